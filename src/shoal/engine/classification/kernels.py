"""Array computations of the classification engine; pure functions over columns.

Shapes (n frames, C classes, K ranked items):

* ``truth``, ``predicted``: (n,) int64 class indices in ``[0, C)``.
* ``kept``: (n,) bool, the prediction's confidence reaches its class's threshold, or
  None when every prediction is kept. A frame whose prediction is not kept has "no
  prediction" (background).
* ``scores``: (n, C) float64, columns in class order.
* Ranked items (a PR curve's input): ``ranked_scores`` (K,) float64 sorted in
  descending order and ``ranked_relevant`` (K,) bool, whether each item is a hit.

Everything is a count with ``np.bincount`` or a cumulative sum, so queries over 10^5
frames take well under a millisecond per array pass.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "confusion_counts",
    "outcome_counts",
    "ranked_cumulative_counts",
    "step_average_precision",
    "true_class_rank",
]


def outcome_counts(
    truth: NDArray[np.int64],
    predicted: NDArray[np.int64],
    kept: NDArray[np.bool_] | None,
    num_classes: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """(tp, fp, fn), each (C,) int64.

    ``tp[c]``: kept predictions of c on frames of class c. ``fp[c]``: kept predictions
    of c on frames of another class. ``fn[c]``: frames of class c without a kept
    prediction of c (a kept wrong prediction or none), so ``tp + fn`` is the support.
    """
    hit = truth == predicted
    if kept is not None:
        hit &= kept
    support = np.bincount(truth, minlength=num_classes)
    tp = np.bincount(predicted[hit], minlength=num_classes)
    predictions = np.bincount(predicted if kept is None else predicted[kept], minlength=num_classes)
    return tp, predictions - tp, support - tp


def confusion_counts(
    truth: NDArray[np.int64],
    predicted: NDArray[np.int64],
    kept: NDArray[np.bool_] | None,
    num_classes: int,
) -> NDArray[np.int64]:
    """(C + 1, C + 1) int64 counts: rows truth, columns prediction.

    Index C is background: frames whose prediction is not kept count in column C. Row
    C (predictions of no true class) stays 0, since every frame has a true class.
    """
    size = num_classes + 1
    column = predicted if kept is None else np.where(kept, predicted, num_classes)
    flat = np.bincount(truth * size + column, minlength=size * size)
    return flat.reshape(size, size).astype(np.int64)


def ranked_cumulative_counts(
    ranked_scores: NDArray[np.float64], ranked_relevant: NDArray[np.bool_]
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.int64]]:
    """(thresholds, tp, fp), each (T,) for the T distinct scores, highest first.

    ``tp[i]``/``fp[i]`` count the relevant/irrelevant items scored >= ``thresholds[i]``:
    tied items enter together, as in scikit-learn's ``precision_recall_curve``.
    """
    if ranked_scores.size == 0:
        return np.zeros(0), np.zeros(0, np.int64), np.zeros(0, np.int64)
    last_of_value = np.append(np.flatnonzero(np.diff(ranked_scores)), ranked_scores.size - 1)
    tp = np.cumsum(ranked_relevant, dtype=np.int64)[last_of_value]
    fp = (last_of_value + 1) - tp
    return ranked_scores[last_of_value], tp, fp.astype(np.int64)


def step_average_precision(precision: NDArray[np.float64], recall: NDArray[np.float64]) -> float:
    """Non-interpolated AP, ``sum_i (R_i - R_{i-1}) * P_i`` with ``R_0 = 0``.

    ``precision``/``recall`` are a curve's points from the highest threshold down. The
    sum runs in scikit-learn's order (lowest threshold first) so results agree to the
    last bits.
    """
    if precision.size == 0:
        return 0.0
    recall_up = np.append(recall[::-1], 0.0)
    return float(-np.sum(np.diff(recall_up) * precision[::-1]))


def true_class_rank(scores: NDArray[np.float64], truth: NDArray[np.int64]) -> NDArray[np.int64]:
    """(n,) int64: how many classes rank above the true class of each frame.

    The order is scikit-learn's ``top_k_accuracy_score``: classes by descending score,
    ties broken towards the higher class index (a stable ascending sort, reversed). A
    frame is a top-k hit when its rank is below k. With two classes scikit-learn instead
    thresholds the second column at 0.5 (``score > 0.5`` predicts class 1), so rank is 0
    for a hit of that rule and 1 otherwise.
    """
    n, num_classes = scores.shape
    if n == 0:
        return np.zeros(0, np.int64)
    if num_classes == 2:
        predicted = (scores[:, 1] > 0.5).astype(np.int64)
        rank: NDArray[np.int64] = (predicted != truth).astype(np.int64)
        return rank
    true_score = scores[np.arange(n), truth][:, None]
    higher_index = np.arange(num_classes)[None, :] > truth[:, None]
    above = (scores > true_score) | ((scores == true_score) & higher_index)
    count: NDArray[np.int64] = above.sum(axis=1, dtype=np.int64)
    return count
