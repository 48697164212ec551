"""Array computations of the multi-label engine; pure functions over indicator matrices.

Shapes (n frames, C classes):

* ``truth``, ``predicted``: (n, C) bool indicator matrices, ``[i, c]`` true when class c
  is a label (or a prediction) of frame i.
* ``scores``: (n, C) float64, columns in class order.

Counts are ``np.count_nonzero`` along one axis, so every query is a few passes over
n x C booleans. Undefined ratios (a zero denominator) are 0, scikit-learn's
``zero_division=0``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from shoal.engine.classification.kernels import ranked_cumulative_counts, step_average_precision

__all__ = [
    "best_f1_thresholds",
    "class_counts",
    "confusion_matrices",
    "frame_counts",
    "hamming_loss",
    "precision_recall_f1",
    "step_average_precisions",
    "subset_accuracy",
]


def class_counts(
    truth: NDArray[np.bool_], predicted: NDArray[np.bool_]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """(tp, fp, fn), each (C,) int64: per class, frames labelled and predicted, predicted
    but not labelled, labelled but not predicted."""
    tp = np.count_nonzero(truth & predicted, axis=0).astype(np.int64)
    labelled = np.count_nonzero(truth, axis=0).astype(np.int64)
    predictions = np.count_nonzero(predicted, axis=0).astype(np.int64)
    return tp, predictions - tp, labelled - tp


def frame_counts(
    truth: NDArray[np.bool_], predicted: NDArray[np.bool_]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """(tp, fp, fn), each (n,) int64: the same counts per frame, over its classes."""
    tp = np.count_nonzero(truth & predicted, axis=1).astype(np.int64)
    labelled = np.count_nonzero(truth, axis=1).astype(np.int64)
    predictions = np.count_nonzero(predicted, axis=1).astype(np.int64)
    return tp, predictions - tp, labelled - tp


def _ratio(numerator: NDArray[np.int64], denominator: NDArray[np.int64]) -> NDArray[np.float64]:
    out = np.zeros(numerator.shape, dtype=np.float64)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def precision_recall_f1(
    tp: NDArray[np.int64], fp: NDArray[np.int64], fn: NDArray[np.int64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Precision, recall and F1 of each count triple, 0 where undefined.

    F1 uses scikit-learn's count form ``2 tp / (2 tp + fp + fn)`` so values agree to the
    last bits."""
    return _ratio(tp, tp + fp), _ratio(tp, tp + fn), _ratio(2 * tp, 2 * tp + fp + fn)


def confusion_matrices(
    tp: NDArray[np.int64], fp: NDArray[np.int64], fn: NDArray[np.int64], num_frames: int
) -> NDArray[np.int64]:
    """(C, 2, 2) int64, scikit-learn's ``multilabel_confusion_matrix``: per class
    ``[[tn, fp], [fn, tp]]`` (rows truth, columns prediction)."""
    tn = num_frames - tp - fp - fn
    return np.stack([tn, fp, fn, tp], axis=1).reshape(-1, 2, 2).astype(np.int64)


def hamming_loss(frame_fp: NDArray[np.int64], frame_fn: NDArray[np.int64], cells: int) -> float:
    """Share of wrong (frame, class) cells, from the per-frame counts."""
    return float((frame_fp.sum() + frame_fn.sum()) / cells) if cells else 0.0


def subset_accuracy(frame_fp: NDArray[np.int64], frame_fn: NDArray[np.int64]) -> float:
    """Share of frames whose predicted label set is exactly the true one."""
    if frame_fp.size == 0:
        return 0.0
    return float(np.count_nonzero((frame_fp == 0) & (frame_fn == 0)) / frame_fp.size)


def step_average_precisions(
    truth: NDArray[np.bool_], scores: NDArray[np.float64]
) -> NDArray[np.float64]:
    """(C,) non-interpolated AP of each class ranked by its score column, scikit-learn's
    ``average_precision_score(..., average=None)``. Tied scores enter the ranking
    together; a class without labelled frames has AP 0, as in scikit-learn."""
    num_classes = truth.shape[1]
    out = np.zeros(num_classes)
    # Class-major copies make each column's sort and gathers contiguous. The sort need
    # not be stable: tied scores enter together, so their order within a tie is moot.
    truth_rows = np.ascontiguousarray(truth.T)
    score_rows = np.ascontiguousarray(scores.T)
    order = np.argsort(-score_rows, axis=1)
    positives = np.count_nonzero(truth_rows, axis=1)
    for c in np.flatnonzero(positives).tolist():
        ranked = score_rows[c][order[c]]
        _, tp, fp = ranked_cumulative_counts(ranked, truth_rows[c][order[c]])
        precision = tp / (tp + fp)
        recall = tp / positives[c]
        out[c] = step_average_precision(precision, recall)
    return out


def best_f1_thresholds(
    truth: NDArray[np.bool_], scores: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Per class, the threshold (one of its distinct scores) whose predictions
    ``score >= threshold`` have the highest F1, the highest such threshold on a tie, and
    its (tp, fp, fn); each (C,). A class without labelled frames gets NaN and zeros (no
    threshold gives it a positive F1)."""
    num_classes = truth.shape[1]
    best = np.full(num_classes, np.nan)
    counts = np.zeros((3, num_classes), np.int64)
    truth_rows = np.ascontiguousarray(truth.T)
    score_rows = np.ascontiguousarray(scores.T)
    positives = np.count_nonzero(truth_rows, axis=1)
    for c in np.flatnonzero(positives).tolist():
        order = np.argsort(-score_rows[c], kind="stable")
        thresholds, tp, fp = ranked_cumulative_counts(score_rows[c][order], truth_rows[c][order])
        fn = positives[c] - tp
        f1 = 2 * tp / (2 * tp + fp + fn)  # positives > 0: never 0 / 0
        k = int(np.argmax(f1))  # the first maximum: the highest threshold
        best[c] = thresholds[k]
        counts[:, c] = tp[k], fp[k], fn[k]
    return best, counts[0], counts[1], counts[2]
