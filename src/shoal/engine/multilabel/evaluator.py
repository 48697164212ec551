"""The multi-label classification evaluation: validate once, answer queries by counting.

Each frame has a set of true labels (possibly empty) and a score per class. A query at a
threshold predicts every class whose score reaches its threshold (``score >= t``), then
counts (frame, class) cells: per class for the report and the confusion matrices, per
frame for the samples average, subset accuracy and Hamming loss. Every number equals
scikit-learn's on the same indicator matrices (``zero_division=0``).

See the "Multi-label classification" section of ``docs/metrics.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shoal.engine._frame_index import FrameIndex
from shoal.engine._messages import shown
from shoal.engine.multilabel import kernels
from shoal.engine.multilabel.annotations import MultiLabels
from shoal.engine.thresholds import threshold_number
from shoal.errors import InputError

__all__ = ["MultiLabelEvaluation", "MultiLabelThreshold", "evaluate_multilabel"]

MICRO = "micro avg"
MACRO = "macro avg"
WEIGHTED = "weighted avg"
SAMPLES = "samples avg"
DEFAULT_THRESHOLD = 0.5
# A 2x2 cell by (true, predicted): scikit-learn's [[tn, fp], [fn, tp]].
_CELLS = {"tp": (True, True), "fp": (False, True), "fn": (True, False), "tn": (False, False)}

# One number for every class, one per class in class order, or class name -> threshold.
MultiLabelThreshold: TypeAlias = float | Sequence[float] | Mapping[Any, float]


def evaluate_multilabel(
    y_true: Any,
    scores: ArrayLike,
    *,
    classes: Sequence[Any] | None = None,
    frame_ids: ArrayLike | None = None,
) -> MultiLabelEvaluation:
    """Evaluate per-class scores against the true label sets of each frame.

    ``y_true``: an (n, C) indicator (bool or 0/1), or one collection of labels per frame
    with ``classes`` (rows that are all 0/1 of length C read as an indicator; Python sets
    never do).
    ``scores``: (n, C) finite floats, columns in ``classes`` order. ``classes``: the
    class names, default ``"0" .. "C-1"``. ``frame_ids``: unique int or str ids, one
    per frame (default ``0 .. n-1``), which queries' ``frames=`` names.
    """
    return MultiLabelEvaluation(MultiLabels.from_inputs(y_true, scores, classes, frame_ids))


class MultiLabelEvaluation:
    """Answers for one multi-label evaluation; queries take ``threshold`` (see
    ``MultiLabelThreshold``; a class not named in a mapping keeps 0.5) and ``frames``
    (frame ids to restrict to, a segment; default every frame)."""

    def __init__(self, data: MultiLabels) -> None:
        self.data = data
        self._frame_index = FrameIndex(data.frame_ids)

    @property
    def frame_ids(self) -> NDArray[Any]:
        return self.data.frame_ids

    @property
    def labels(self) -> tuple[str, ...]:
        return self.data.names

    @property
    def num_frames(self) -> int:
        return int(self.data.truth.shape[0])

    def __len__(self) -> int:
        return self.num_frames

    def __repr__(self) -> str:
        return f"MultiLabelEvaluation({self.num_frames} frames, {len(self.labels)} classes)"

    # ----------------------------------------------------------------- thresholds
    def thresholds(self, threshold: MultiLabelThreshold = DEFAULT_THRESHOLD) -> NDArray[np.float64]:
        """(C,) the threshold of each class, in class order."""
        num_classes = len(self.labels)
        if isinstance(threshold, Mapping):
            out = np.full(num_classes, DEFAULT_THRESHOLD)
            column_of = {name: c for c, name in enumerate(self.labels)}
            for key, value in threshold.items():
                column = column_of.get(str(key))
                if column is None:
                    raise InputError(f"unknown class {shown(key)}; classes are {list(self.labels)}")
                out[column] = threshold_number(value, f"threshold of {shown(key)}")
        elif isinstance(threshold, Sequence) and not isinstance(threshold, str):
            if len(threshold) != num_classes:
                raise InputError(
                    f"{len(threshold)} thresholds given for {num_classes} classes; give one "
                    "per class, in class order"
                )
            out = np.asarray([threshold_number(v, "threshold") for v in threshold], np.float64)
        else:
            out = np.full(num_classes, threshold_number(threshold, "threshold"))
        if not np.isfinite(out).all():
            raise InputError(f"threshold {threshold!r} is not finite")
        return out

    def predictions(
        self,
        threshold: MultiLabelThreshold = DEFAULT_THRESHOLD,
        *,
        frames: Iterable[Any] | None = None,
    ) -> NDArray[np.bool_]:
        """(n, C) predicted indicator: each class whose score reaches its threshold (rows:
        the selected frames, in evaluation order)."""
        return self._selected(threshold, frames)[1]

    def _selected(
        self, threshold: MultiLabelThreshold, frames: Iterable[Any] | None
    ) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
        """(truth, predicted) of the selected frames."""
        thresholds = self.thresholds(threshold)
        truth, scores = self.data.truth, self.data.scores
        if frames is not None:
            mask = self._frame_index.mask(frames)
            truth, scores = truth[mask], scores[mask]
        predicted: NDArray[np.bool_] = scores >= thresholds[None, :]
        return truth, predicted

    def cell_rows(
        self,
        label: Any,
        cell: str,
        threshold: MultiLabelThreshold = DEFAULT_THRESHOLD,
        *,
        frames: Iterable[Any] | None = None,
    ) -> NDArray[np.intp]:
        """Rows (frame positions, in evaluation order) in one cell of class ``label``'s
        2x2 matrix: ``cell`` is ``tp``, ``fp``, ``fn`` or ``tn``. Each frame is in one
        cell of every class, so in as many cells of the set of matrices as there are
        classes; their counts are ``multilabel_confusion_matrix``."""
        column_of = {name: c for c, name in enumerate(self.labels)}
        column = column_of.get(str(label))
        if column is None:
            raise InputError(f"unknown class {shown(label)}; classes are {list(self.labels)}")
        if cell not in _CELLS:
            raise InputError(f"cell must be one of {', '.join(_CELLS)}, got {shown(cell)}")
        thresholds = self.thresholds(threshold)
        rows = np.arange(self.num_frames)
        if frames is not None:
            rows = rows[self._frame_index.mask(frames)]
        truth = self.data.truth[rows, column]
        predicted = self.data.scores[rows, column] >= thresholds[column]
        want_truth, want_predicted = _CELLS[cell]
        chosen: NDArray[np.intp] = rows[(truth == want_truth) & (predicted == want_predicted)]
        return chosen

    # ----------------------------------------------------------------- queries
    def report(
        self,
        threshold: MultiLabelThreshold = DEFAULT_THRESHOLD,
        *,
        frames: Iterable[Any] | None = None,
    ) -> dict[str, dict[str, float]]:
        """scikit-learn's ``classification_report(..., output_dict=True)`` on the
        indicator matrices: per class ``precision``, ``recall``, ``f1-score`` and
        ``support`` (true frames), then ``micro avg``, ``macro avg``, ``weighted avg``
        (by support) and ``samples avg`` (per-frame scores averaged over frames), each
        with the total support. Undefined values are 0."""
        truth, predicted = self._selected(threshold, frames)
        tp, fp, fn = kernels.class_counts(truth, predicted)
        precision, recall, f1 = kernels.precision_recall_f1(tp, fp, fn)
        support = tp + fn
        total = int(support.sum())
        out: dict[str, dict[str, float]] = {
            name: _row((p, r, f), int(s))
            for name, p, r, f, s in zip(self.labels, precision, recall, f1, support, strict=True)
        }
        micro = kernels.precision_recall_f1(
            np.asarray([tp.sum()]), np.asarray([fp.sum()]), np.asarray([fn.sum()])
        )
        out[MICRO] = _row((v[0] for v in micro), total)
        out[MACRO] = _row((_mean(v) for v in (precision, recall, f1)), total)
        out[WEIGHTED] = _row(
            ((v * support).sum() / total if total else 0.0 for v in (precision, recall, f1)),
            total,
        )
        per_frame = kernels.precision_recall_f1(*kernels.frame_counts(truth, predicted))
        out[SAMPLES] = _row((_mean(v) for v in per_frame), total)
        return out

    def multilabel_confusion_matrix(
        self,
        threshold: MultiLabelThreshold = DEFAULT_THRESHOLD,
        *,
        frames: Iterable[Any] | None = None,
    ) -> NDArray[np.int64]:
        """(C, 2, 2): per class ``[[tn, fp], [fn, tp]]``, rows truth (scikit-learn's
        ``multilabel_confusion_matrix``). A frame counts in one cell of every class."""
        truth, predicted = self._selected(threshold, frames)
        tp, fp, fn = kernels.class_counts(truth, predicted)
        return kernels.confusion_matrices(tp, fp, fn, truth.shape[0])

    def accuracy(
        self,
        threshold: MultiLabelThreshold = DEFAULT_THRESHOLD,
        *,
        frames: Iterable[Any] | None = None,
    ) -> float:
        """Subset accuracy: share of frames whose predicted label set is exactly their
        true one (scikit-learn's ``accuracy_score``; 0.0 for no frames)."""
        _, fp, fn = kernels.frame_counts(*self._selected(threshold, frames))
        return kernels.subset_accuracy(fp, fn)

    def hamming_loss(
        self,
        threshold: MultiLabelThreshold = DEFAULT_THRESHOLD,
        *,
        frames: Iterable[Any] | None = None,
    ) -> float:
        """Share of wrong (frame, class) cells (scikit-learn's ``hamming_loss``)."""
        truth, predicted = self._selected(threshold, frames)
        _, fp, fn = kernels.frame_counts(truth, predicted)
        return kernels.hamming_loss(fp, fn, truth.size)

    def best_thresholds(
        self, *, frames: Iterable[Any] | None = None
    ) -> dict[str, dict[str, float]]:
        """Each class's best-F1 threshold: among its distinct scores, the one whose
        predictions (``score >= threshold``) have the highest F1 (the highest threshold
        on a tie), with that ``precision``, ``recall`` and ``f1-score`` (what ``report``
        gives at it). A class no selected frame has is left out (no threshold gives it a
        positive F1)."""
        truth, scores = self.data.truth, self.data.scores
        if frames is not None:
            mask = self._frame_index.mask(frames)
            truth, scores = truth[mask], scores[mask]
        best, tp, fp, fn = kernels.best_f1_thresholds(truth, scores)
        return {
            name: _best_row(best[c], int(tp[c]), int(fp[c]), int(fn[c]))
            for c, name in enumerate(self.labels)
            if not np.isnan(best[c])
        }

    def average_precision(self, *, frames: Iterable[Any] | None = None) -> dict[str, float]:
        """Each class's AP from its score ranking (no threshold), and their ``macro avg``:
        scikit-learn's ``average_precision_score(..., average=None)`` and
        ``average="macro"``. A class without true frames has AP 0 and counts in the mean."""
        truth, scores = self.data.truth, self.data.scores
        if frames is not None:
            mask = self._frame_index.mask(frames)
            truth, scores = truth[mask], scores[mask]
        per_class = kernels.step_average_precisions(truth, scores)
        out = dict(zip(self.labels, per_class.tolist(), strict=True))
        out[MACRO] = _mean(per_class)
        return out


def _best_row(threshold: float, tp: int, fp: int, fn: int) -> dict[str, float]:
    precision, recall, f1 = kernels.precision_recall_f1(
        np.asarray([tp]), np.asarray([fp]), np.asarray([fn])
    )
    return {
        "threshold": float(threshold),
        "precision": float(precision[0]),
        "recall": float(recall[0]),
        "f1-score": float(f1[0]),
    }


def _row(values: Iterable[Any], support: int) -> dict[str, float]:
    """One report row in scikit-learn's keys: precision, recall, F1 (floats), support."""
    precision, recall, f1 = (float(v) for v in values)
    return {"precision": precision, "recall": recall, "f1-score": f1, "support": support}


def _mean(values: NDArray[np.float64]) -> float:
    return float(values.mean()) if values.size else 0.0
