"""The single-label classification evaluation: validate once, answer any query by counting.

Each frame has one true class and one prediction (a class and its confidence, and
optionally the full score vector). A query at a confidence threshold keeps the
predictions that reach their class's threshold; the others become "no prediction"
(background). Every query is then a masked ``bincount`` over the columns kept at
construction, so reports at any threshold, for any subset of frames, cost well under a
millisecond per 10^5 frames. All state is per frame, which is why evaluations of
disjoint frame sets concatenate into exactly the evaluation of their union (``merge``).

See ``docs/classification.md`` for the semantics.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shoal._types import ConfDescription, Confidence, Task
from shoal.engine import metrics as m
from shoal.engine._frame_index import FrameIndex
from shoal.engine.classification import kernels
from shoal.engine.classification.annotations import Classifications, ClassLabels
from shoal.engine.metrics import (
    BACKGROUND,
    ClassificationReport,
    ConfusionMatrix,
    Outcomes,
    PRCurve,
    ThresholdChoice,
    safe_divide,
)
from shoal.engine.thresholds import (
    IouThreshold,
    conf_description,
    per_class_thresholds,
    threshold_number,
)
from shoal.errors import InputError, ShoalError

__all__ = ["ClassificationEvaluation", "Confidence", "evaluate_classifications"]


MICRO = "micro avg"
MACRO = "macro avg"
WEIGHTED = "weighted avg"


def evaluate_classifications(
    y_true: ArrayLike,
    y_pred: ArrayLike | None = None,
    *,
    scores: ArrayLike | None = None,
    confidences: ArrayLike | None = None,
    labels: ArrayLike | None = None,
    frame_ids: ArrayLike | None = None,
) -> ClassificationEvaluation:
    """Evaluate one predicted class per frame against one true class per frame.

    ``y_true``/``y_pred``: class labels (integers or strings), one per frame.
    ``scores``: optional (n, C) scores in [0, 1], columns in ``labels`` order; without
    ``y_pred`` the prediction is the first column with the highest score.
    ``confidences``: the confidence of each prediction, in [0, 1]; default the score of
    the predicted class, else 1.0. ``labels``: the classes in evaluation order; default
    the sorted union of ``y_true`` and ``y_pred`` (scikit-learn's order).
    ``frame_ids``: unique ids of the frames (default 0..n-1), used to select segments.

    Raises ``InputError`` naming the record for mismatched lengths, NaN or out-of-range
    confidences or scores, labels outside ``labels`` and duplicate frame ids.
    """
    data = Classifications.from_user(
        y_true, y_pred, scores=scores, confidences=confidences, labels=labels, frame_ids=frame_ids
    )
    return ClassificationEvaluation(data)


class ClassificationEvaluation:
    """Classifications of a set of frames, ready for any query.

    Queries take ``conf`` (a threshold, or a mapping of class name or label to
    threshold applied by predicted class; classes not named use 0), ``frames`` (frame
    ids to restrict to) and ``classes`` (class names or labels to report on, in that
    order). Without ``classes`` the rows are every class when the evaluation was given
    ``labels``, else the classes that are true or predicted in the selected frames,
    which is scikit-learn's label set for those frames.

    It is an ``Evaluation`` (``shoal.engine.evaluation``): every query also takes
    ``iou`` and ignores it, so code written for detection runs unchanged;
    ``coco_summary()`` is None.
    """

    def __init__(self, data: Classifications) -> None:
        self.data = data
        self._correct = data.truth == data.predicted
        self._frame_index = FrameIndex(data.frame_ids)
        self._confidence_order = np.argsort(-data.confidence, kind="stable")
        self._true_rank = (
            None if data.scores is None else kernels.true_class_rank(data.scores, data.truth)
        )
        # Sorting one score column costs more than a whole report, so it is done on a
        # class's first curve query and kept.
        self._score_orders: dict[int, NDArray[np.intp]] = {}
        self._pooled_rankings: dict[bytes, tuple[NDArray[np.float64], NDArray[np.bool_], int]] = {}
        # One contiguous row per class makes a class's scores a cheap gather.
        self._score_columns = None if data.scores is None else np.ascontiguousarray(data.scores.T)

    # ----------------------------------------------------------------- basics
    @property
    def classes(self) -> ClassLabels:
        return self.data.classes

    @property
    def labels(self) -> tuple[str, ...]:
        return self.data.classes.names

    @property
    def frame_ids(self) -> NDArray[Any]:
        return self.data.frame_ids

    @property
    def has_scores(self) -> bool:
        return self.data.scores is not None

    @property
    def task(self) -> Task:
        return "classification"

    @property
    def num_frames(self) -> int:
        return len(self.data)

    @property
    def has_coco_summary(self) -> bool:
        return False

    @property
    def iou_thresholds(self) -> tuple[float, ...]:
        return ()  # no overlap to threshold: a frame's prediction is right or wrong

    def coco_summary(
        self,
        *,
        frames: Iterable[Any] | None = None,
        classes: Iterable[int | str] | None = None,
    ) -> None:
        """None: COCO's summary measures boxes (the ``Evaluation`` protocol asks every
        task; see ``has_coco_summary``)."""
        return None

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        scores = "with scores" if self.has_scores else "without scores"
        return (
            f"<ClassificationEvaluation {len(self)} frames, {len(self.labels)} classes, {scores}>"
        )

    # --------------------------------------------------------------- selection
    def _frame_mask(self, frames: Iterable[Any] | None) -> NDArray[np.bool_] | None:
        """Row mask of the selected frames; None means every frame."""
        return None if frames is None else self._frame_index.mask(frames)

    def _class_thresholds(self, conf: Confidence) -> NDArray[np.float64]:
        return per_class_thresholds(conf, len(self.labels), self.classes.resolve)

    def _conf_label(self, conf: Confidence) -> ConfDescription:
        return conf_description(conf, self.labels, self._class_thresholds(conf))

    def _selected(
        self, conf: Confidence, mask: NDArray[np.bool_] | None
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.bool_] | None]:
        """(truth, predicted, kept) of the selected frames at ``conf``; ``kept`` is None
        when every prediction is kept."""
        data = self.data
        thresholds = self._class_thresholds(conf)
        kept: NDArray[np.bool_] | None
        if not thresholds.any():
            kept = None  # confidences are >= 0
        elif np.all(thresholds == thresholds[0]):
            kept = data.confidence >= thresholds[0]
        else:
            kept = data.confidence >= thresholds[data.predicted]
        if mask is None:
            return data.truth, data.predicted, kept
        return data.truth[mask], data.predicted[mask], None if kept is None else kept[mask]

    def _rows(
        self,
        classes: Iterable[int | str] | None,
        truth: NDArray[np.int64],
        predicted: NDArray[np.int64],
    ) -> NDArray[np.int64]:
        if classes is not None:
            return self.classes.resolve(classes)
        num_classes = len(self.labels)
        if self.classes.explicit:
            return np.arange(num_classes, dtype=np.int64)
        present = np.bincount(truth, minlength=num_classes) + np.bincount(
            predicted, minlength=num_classes
        )
        return np.flatnonzero(present).astype(np.int64)

    def _names(self, rows: NDArray[np.int64]) -> tuple[str, ...]:
        return tuple(self.labels[int(r)] for r in rows)

    # ----------------------------------------------------------------- queries
    def report(
        self,
        conf: Confidence = 0.0,
        iou: IouThreshold = 0.5,
        *,
        frames: Iterable[Any] | None = None,
        classes: Iterable[int | str] | None = None,
    ) -> ClassificationReport:
        """Per-class TP, FP, FN, precision, recall, F1 and support at ``conf``.

        A prediction below its threshold is no prediction: a FN of the true class and
        nobody's FP. At ``conf=0`` this is scikit-learn's ``classification_report``.
        ``accuracy`` is the share of selected frames with a kept correct prediction
        (over all classes, whatever ``classes`` shows).
        """
        truth, predicted, kept = self._selected(conf, self._frame_mask(frames))
        tp, fp, fn = kernels.outcome_counts(truth, predicted, kept, len(self.labels))
        rows = self._rows(classes, truth, predicted)
        return ClassificationReport(
            labels=self._names(rows),
            tp=tp[rows],
            fp=fp[rows],
            fn=fn[rows],
            conf=self._conf_label(conf),
            accuracy=float(tp.sum() / truth.size) if truth.size else 0.0,
        )

    def confusion_matrix(
        self,
        conf: Confidence = 0.0,
        iou: IouThreshold = 0.5,
        *,
        frames: Iterable[Any] | None = None,
        classes: Iterable[int | str] | None = None,
    ) -> ConfusionMatrix:
        """Rows truth, columns prediction, then a background row and column.

        Predictions below their threshold count in the background column; the
        background row is all 0. On the report's rows, the diagonal is ``tp``, row sums
        are ``support`` and column sums are the kept predictions (``tp + fp``). With
        ``classes`` only those rows and columns (and background) are shown.
        """
        truth, predicted, kept = self._selected(conf, self._frame_mask(frames))
        num_classes = len(self.labels)
        rows = self._rows(classes, truth, predicted)
        # Count only the shown cells, through an index map (class -> shown position,
        # -1 when not shown): a matrix over the whole class list would cost its square.
        position = np.full(num_classes + 1, -1, np.int64)
        position[rows] = np.arange(rows.size)
        position[num_classes] = rows.size
        column = predicted if kept is None else np.where(kept, predicted, num_classes)
        truth_at, column_at = position[truth], position[column]
        inside = (truth_at >= 0) & (column_at >= 0)
        return ConfusionMatrix(
            labels=(*self._names(rows), BACKGROUND),
            matrix=kernels.confusion_counts(truth_at[inside], column_at[inside], None, rows.size),
            conf=self._conf_label(conf),
        )

    def fbeta_score(
        self,
        beta: float,
        conf: Confidence = 0.0,
        *,
        frames: Iterable[Any] | None = None,
        classes: Iterable[int | str] | None = None,
    ) -> dict[str, float]:
        """F-beta of each of the report's classes and its ``micro avg``, ``macro avg``
        and ``weighted avg`` (scikit-learn's ``fbeta_score``; recall weighs ``beta``
        times as much as precision). Undefined values are 0."""
        if not threshold_number(beta, "beta") > 0.0:
            raise InputError(f"beta must be positive, got {beta!r}")
        report = self.report(conf, frames=frames, classes=classes)
        weight = beta * beta
        # scikit-learn's count form, (1 + b^2) tp / (b^2 (tp + fn) + tp + fp).
        tp, predictions, support = report.tp, report.tp + report.fp, report.support
        per_class = safe_divide((1.0 + weight) * tp, weight * support + predictions)
        out = dict(zip(report.labels, per_class.tolist(), strict=True))
        pooled = safe_divide(
            np.asarray((1.0 + weight) * tp.sum()),
            np.asarray(weight * support.sum() + predictions.sum()),
        )
        total = int(support.sum())
        out[MICRO] = float(pooled)
        out[MACRO] = float(per_class.mean()) if per_class.size else 0.0
        out[WEIGHTED] = float((per_class * support).sum() / total) if total else 0.0
        return out

    def accuracy(self, conf: Confidence = 0.0, *, frames: Iterable[Any] | None = None) -> float:
        """Share of frames with a kept, correct prediction (0.0 for no frames)."""
        mask = self._frame_mask(frames)
        _, _, kept = self._selected(conf, mask)
        correct = self._correct if mask is None else self._correct[mask]
        if kept is not None:
            correct = correct & kept
        return float(np.count_nonzero(correct) / correct.size) if correct.size else 0.0

    def balanced_accuracy(
        self, conf: Confidence = 0.0, *, frames: Iterable[Any] | None = None
    ) -> float:
        """Mean recall over the classes that have frames (scikit-learn's
        ``balanced_accuracy_score``; 0.0 for no frames)."""
        truth, predicted, kept = self._selected(conf, self._frame_mask(frames))
        tp, _, fn = kernels.outcome_counts(truth, predicted, kept, len(self.labels))
        support = tp + fn
        has_frames = support > 0
        return float((tp[has_frames] / support[has_frames]).mean()) if has_frames.any() else 0.0

    def top_k_accuracy(self, k: int, *, frames: Iterable[Any] | None = None) -> float:
        """Share of frames whose true class is among the ``k`` best-scored classes.

        Equal to scikit-learn's ``top_k_accuracy_score``, ties included: equal scores
        rank the higher class index first, and with two classes class 1 is predicted
        when its score is above 0.5. Needs ``scores``; 0.0 for no frames.
        """
        if self._true_rank is None:
            raise ShoalError("top_k_accuracy() needs an evaluation made with scores")
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
            raise InputError(f"k must be a positive integer, got {k!r}")
        mask = self._frame_mask(frames)
        rank = self._true_rank if mask is None else self._true_rank[mask]
        return float(np.count_nonzero(rank < k) / rank.size) if rank.size else 0.0

    # ------------------------------------------------------------------ curves
    def _score_order(self, column: int) -> NDArray[np.intp]:
        order = self._score_orders.get(column)
        if order is None:
            assert self._score_columns is not None
            order = np.argsort(-self._score_columns[column], kind="stable")
            self._score_orders[column] = order
        return order

    def _score_ranking(
        self, rows: NDArray[np.int64], mask: NDArray[np.bool_] | None
    ) -> tuple[NDArray[np.float64], NDArray[np.bool_], int]:
        """One-vs-rest items of ``rows``' score columns: (scores, relevant, positives)."""
        data = self.data
        assert data.scores is not None and self._score_columns is not None
        if rows.size == 1:
            column = int(rows[0])
            order = self._score_order(column)
            if mask is not None:
                order = order[mask[order]]
            relevant = data.truth[order] == column
            ranked = self._score_columns[column][order]
            return ranked, relevant, int(np.count_nonzero(relevant))
        # Pooling sorts n * len(rows) items: worth keeping for the whole evaluation.
        key = rows.tobytes()
        if mask is None and key in self._pooled_rankings:
            return self._pooled_rankings[key]
        truth = data.truth if mask is None else data.truth[mask]
        scores = data.scores if mask is None else data.scores[mask]
        pooled = scores[:, rows].ravel()
        pooled_relevant = (truth[:, None] == rows[None, :]).ravel()
        order = np.argsort(-pooled, kind="stable")
        relevant = pooled_relevant[order]
        ranking = pooled[order], relevant, int(np.count_nonzero(relevant))
        if mask is None:
            self._pooled_rankings[key] = ranking
        return ranking

    def _prediction_ranking(
        self, rows: NDArray[np.int64], mask: NDArray[np.bool_] | None
    ) -> tuple[NDArray[np.float64], NDArray[np.bool_], int]:
        """Predictions of ``rows``' classes by confidence: (confidences, correct,
        frames of those classes)."""
        data = self.data
        wanted = np.zeros(len(self.labels), bool)
        wanted[rows] = True
        order = self._confidence_order
        keep = wanted[data.predicted[order]]
        if mask is not None:
            keep &= mask[order]
        order = order[keep]
        is_true_class = wanted[data.truth] if mask is None else wanted[data.truth] & mask
        positives = int(np.count_nonzero(is_true_class))
        return data.confidence[order], self._correct[order], positives

    def _curve(
        self,
        label: str,
        ranking: tuple[NDArray[np.float64], NDArray[np.bool_], int],
    ) -> PRCurve:
        ranked_scores, relevant, positives = ranking
        thresholds, tp, fp = kernels.ranked_cumulative_counts(ranked_scores, relevant)
        precision = safe_divide(tp, tp + fp)
        recall = safe_divide(tp, np.full(tp.shape, positives))
        ap = kernels.step_average_precision(precision, recall)
        return PRCurve(label, thresholds, precision, recall, ap)

    def _ranking(
        self, rows: NDArray[np.int64], mask: NDArray[np.bool_] | None
    ) -> tuple[NDArray[np.float64], NDArray[np.bool_], int]:
        if self.data.scores is None:
            return self._prediction_ranking(rows, mask)
        return self._score_ranking(rows, mask)

    def _selected_rows(
        self, classes: Iterable[int | str] | None, mask: NDArray[np.bool_] | None
    ) -> NDArray[np.int64]:
        """The report's rows for a frame selection (see the class docstring)."""
        data = self.data
        truth = data.truth if mask is None else data.truth[mask]
        predicted = data.predicted if mask is None else data.predicted[mask]
        return self._rows(classes, truth, predicted)

    def pr_curve(
        self,
        label: int | str | None = None,
        *,
        iou: IouThreshold = 0.5,
        frames: Iterable[Any] | None = None,
    ) -> PRCurve:
        """One-vs-rest precision-recall curve of class ``label`` and its AP.

        With ``scores``, the ranked items are every selected frame's score for the
        class, relevant when the class is true: scikit-learn's
        ``precision_recall_curve`` / ``average_precision_score`` of that column.
        Without scores, it is ``operating_curve(label)``. ``label=None`` pools the
        report's classes into one curve labelled ``"micro avg"`` (with scores,
        scikit-learn's ``average="micro"`` over those columns).
        """
        mask = self._frame_mask(frames)
        if label is None:
            return self._curve(MICRO, self._ranking(self._selected_rows(None, mask), mask))
        rows = self.classes.resolve([label])
        return self._curve(self.labels[int(rows[0])], self._ranking(rows, mask))

    def operating_curve(
        self, label: int | str | None = None, *, frames: Iterable[Any] | None = None
    ) -> PRCurve:
        """The report's precision and recall of class ``label`` at every cut-off.

        Point i keeps the predictions of the class with confidence >= ``thresholds[i]``
        (the distinct confidences of its predictions): it equals the class's row of
        ``report(conf=thresholds[i])``. Recall is over all frames of the class, so it
        stops short of 1 when some are predicted as another class. ``label=None`` pools
        every class (``"micro avg"``): precision is then the accuracy of the kept
        predictions, recall the share of frames kept and correct.
        """
        mask = self._frame_mask(frames)
        if label is None:
            rows = np.arange(len(self.labels), dtype=np.int64)
            return self._curve(MICRO, self._prediction_ranking(rows, mask))
        rows = self.classes.resolve([label])
        return self._curve(self.labels[int(rows[0])], self._prediction_ranking(rows, mask))

    def pr_curves(
        self,
        *,
        iou: IouThreshold = 0.5,
        frames: Iterable[Any] | None = None,
        classes: Iterable[int | str] | None = None,
    ) -> dict[str, PRCurve]:
        """``pr_curve`` of each of the report's classes, by class name."""
        mask = self._frame_mask(frames)
        return {
            self.labels[r]: self._curve(self.labels[r], self._ranking(np.asarray([r]), mask))
            for r in self._selected_rows(classes, mask).tolist()
        }

    def average_precision(
        self,
        iou: IouThreshold = 0.5,
        *,
        frames: Iterable[Any] | None = None,
        classes: Iterable[int | str] | None = None,
    ) -> dict[str, float]:
        """Each of the report's classes' AP (see ``pr_curve``), their ``"macro avg"``
        and the pooled ``"micro avg"``.

        AP is the non-interpolated step sum ``sum_i (R_i - R_{i-1}) P_i`` over the
        curve's points, scikit-learn's ``average_precision_score``. A class without
        frames has AP 0 and still counts in the macro mean, as in scikit-learn. No
        classes: both averages are 0.
        """
        mask = self._frame_mask(frames)
        rows = self._selected_rows(classes, mask)
        out = {
            self.labels[r]: self._curve("", self._ranking(np.asarray([r]), mask)).ap
            for r in rows.tolist()
        }
        per_class = list(out.values())
        out[MACRO] = float(np.mean(per_class)) if per_class else 0.0
        out[MICRO] = self._curve(MICRO, self._ranking(rows, mask)).ap if rows.size else 0.0
        return out

    def resampled_average_precision(
        self,
        weights: NDArray[Any],
        *,
        iou: IouThreshold = 0.5,
        classes: Iterable[int | str] | None = None,
    ) -> NDArray[np.float64]:
        """Each class's AP (see ``average_precision``; columns: ``classes``, default every
        class) in resampled frame multisets: ``weights`` (R, F) says how many times each
        frame (in ``frame_ids`` order; 0 leaves it out) is drawn in each of R replicates,
        scikit-learn's ``average_precision_score(..., sample_weight=weights[r])``. A
        class without frames in a replicate has AP 0, as in ``average_precision``.
        ``iou`` is accepted for the common interface and ignored."""
        weights = m.frame_weights(weights, self.num_frames)
        rows = (
            np.arange(len(self.labels), dtype=np.int64)
            if classes is None
            else self.classes.resolve(list(classes)).astype(np.int64)
        )
        data = self.data
        out = np.zeros((weights.shape[0], rows.size))
        # Replicates in blocks: each holds (replicates x ranked items) cumulative sums.
        block = max(1, 2_000_000 // max(self.num_frames, 1))
        for j, column in enumerate(rows.tolist()):
            if data.scores is not None:
                order = self._score_order(column)
                relevant = data.truth[order] == column
                ranked = self._score_columns[column][order]  # type: ignore[index]
            else:
                order = self._confidence_order[data.predicted[self._confidence_order] == column]
                relevant = self._correct[order]
                ranked = data.confidence[order]
            # A curve point per distinct score (ties are one threshold), highest first.
            ends = np.flatnonzero(np.append(ranked[1:] != ranked[:-1], True))
            is_class = (data.truth == column).astype(np.float64)
            for start in range(0, weights.shape[0], block):
                drawn = weights[start : start + block]
                positives = drawn @ is_class
                taken = drawn[:, order]
                tp = np.cumsum(taken * relevant, axis=1)[:, ends]
                fp = np.cumsum(taken * ~relevant, axis=1)[:, ends]
                precision = safe_divide(tp, tp + fp)
                recall = safe_divide(tp, np.broadcast_to(positives[:, None], tp.shape))
                # scikit-learn's sum: lowest threshold first, as step_average_precision.
                recall_up = np.concatenate([recall[:, ::-1], np.zeros((len(drawn), 1))], axis=1)
                out[start : start + block, j] = -np.sum(
                    np.diff(recall_up, axis=1) * precision[:, ::-1], axis=1
                )
        return out

    def best_thresholds(
        self,
        *,
        iou: IouThreshold = 0.5,
        frames: Iterable[Any] | None = None,
        classes: Iterable[int | str] | None = None,
    ) -> dict[str, ThresholdChoice]:
        """Per class, the confidence cut-off of its predictions with the highest F1.

        Candidates are the distinct confidences of the class's predictions in the
        selected frames; the F1 of a cut-off t is that of the class's row in
        ``report(conf={class: t})``, which depends on no other class's threshold, so
        the choices combine. Ties go to the highest cut-off; a class never predicted
        gets conf 0 and F1 0. Pass ``{name: choice.conf}`` back as ``conf``.
        """
        mask = self._frame_mask(frames)
        return {
            self.labels[r]: self._curve(
                self.labels[r], self._prediction_ranking(np.asarray([r]), mask)
            ).best()
            for r in self._selected_rows(classes, mask).tolist()
        }

    # ----------------------------------------------------------------- merge
    def outcomes(
        self,
        conf: Confidence = 0.0,
        iou: IouThreshold = 0.5,
        *,
        frames: Iterable[Any] | None = None,
        classes: Iterable[int | str] | None = None,
    ) -> Outcomes:
        """Each frame's outcome at ``conf``, in the detection engine's ``Outcomes`` shape
        so the same filters (``where``, ``in_cell``, ``sorted_by``) apply.

        Per frame: one ``prediction`` row when its prediction is kept (TP when right;
        else FP, reason ``class_confusion``, partner = the true class) and one
        ``ground_truth`` row (TP when right; FN, ``class_confusion`` when another class
        was predicted, ``missed`` when the prediction fell below its threshold). Ids are
        1-based frame positions; ``iou`` and ``area`` are 0.
        """
        mask = self._frame_mask(frames)
        rows = np.arange(len(self), dtype=np.int64) if mask is None else np.flatnonzero(mask)
        truth_all, predicted_all, kept_all = self._selected(conf, None)
        truth, predicted = truth_all[rows], predicted_all[rows]
        kept = np.ones(rows.size, bool) if kept_all is None else kept_all[rows]
        if classes is not None:
            wanted = np.zeros(len(self.labels), bool)
            wanted[self.classes.resolve(classes)] = True
        else:
            wanted = np.ones(len(self.labels), bool)
        right = truth == predicted
        pred_rows = kept & wanted[predicted]
        gt_rows = wanted[truth]
        n_pred, n_gt = int(pred_rows.sum()), int(gt_rows.sum())
        ids = rows + 1
        confidence = self.data.confidence[rows]
        pred_right = right[pred_rows]
        gt_right = (right & kept)[gt_rows]
        gt_kept = kept[gt_rows]
        return Outcomes(
            class_names=self.labels,
            kind_code=np.repeat(np.array([m.PREDICTION, m.GROUND_TRUTH], np.int8), [n_pred, n_gt]),
            id=np.concatenate([ids[pred_rows], ids[gt_rows]]),
            frame_id=np.concatenate(
                [self.frame_ids[rows][pred_rows], self.frame_ids[rows][gt_rows]]
            ),
            label_index=np.concatenate([predicted[pred_rows], truth[gt_rows]]).astype(np.int32),
            confidence=np.concatenate([confidence[pred_rows], np.full(n_gt, np.nan)]),
            outcome_code=np.concatenate(
                [np.where(pred_right, m.TP, m.FP), np.where(gt_right, m.TP, m.FN)]
            ).astype(np.int8),
            reason_code=np.concatenate(
                [
                    np.where(pred_right, m.NO_REASON, m.CLASS_CONFUSION),
                    np.select([gt_right, gt_kept], [m.NO_REASON, m.CLASS_CONFUSION], m.MISSED),
                ]
            ).astype(np.int8),
            partner_id=np.concatenate(
                [
                    ids[pred_rows],  # the same frame's ground truth
                    np.where(gt_kept, ids[gt_rows], -1),
                ]
            ),
            partner_label_index=np.concatenate(
                [truth[pred_rows], np.where(gt_kept, predicted[gt_rows], -1)]
            ).astype(np.int32),
            iou=np.zeros(n_pred + n_gt),
            area=np.zeros(n_pred + n_gt),
            conf=self._conf_label(conf),
            iou_threshold=0.0,
        )

    def merge(self, other: ClassificationEvaluation) -> ClassificationEvaluation:
        """The evaluation of both frame sets (they must not share a frame)."""
        return ClassificationEvaluation.merge_all([self, other])

    @classmethod
    def merge_all(cls, evaluations: Sequence[ClassificationEvaluation]) -> ClassificationEvaluation:
        """The evaluation of the union of disjoint frame sets, equal to evaluating the
        union directly.

        Evaluations with different classes merge onto the sorted union of their labels
        (the default label order), which needs them all to be without scores.
        """
        if not evaluations:
            raise ShoalError("merge_all() needs at least one evaluation")
        parts = [e.data for e in evaluations]
        if len({p.frame_ids.dtype.kind == "U" for p in parts if len(p)}) > 1:
            raise ShoalError("cannot merge evaluations with integer and string frame ids")
        with_scores = {p.scores is not None for p in parts}
        if len(with_scores) > 1:
            raise ShoalError("cannot merge evaluations with and without scores")
        first = parts[0].classes
        if all(p.classes.same_as(first) for p in parts):
            classes = ClassLabels(first.values, first.names, all(p.classes.explicit for p in parts))
            truth = np.concatenate([p.truth for p in parts])
            predicted = np.concatenate([p.predicted for p in parts])
        else:
            if True in with_scores:
                raise ShoalError(
                    "cannot merge evaluations whose score columns are different classes"
                )
            if len({p.classes.values.dtype.kind == "U" for p in parts if len(p.classes)}) > 1:
                raise ShoalError("cannot merge evaluations with integer and string labels")
            values = np.unique(np.concatenate([p.classes.values for p in parts]))
            classes = ClassLabels.from_values(
                values, explicit=any(p.classes.explicit for p in parts)
            )
            remaps = [classes.index_of(p.classes.values, "label") for p in parts]
            truth = np.concatenate([m[p.truth] for m, p in zip(remaps, parts, strict=True)])
            predicted = np.concatenate([m[p.predicted] for m, p in zip(remaps, parts, strict=True)])
        frame_ids = np.concatenate([p.frame_ids for p in parts if len(p)] or [parts[0].frame_ids])
        if np.unique(frame_ids).size != frame_ids.size:
            raise ShoalError("cannot merge evaluations that share frames")
        scores = (
            np.concatenate([p.scores for p in parts if p.scores is not None]).reshape(
                -1, len(classes)
            )
            if True in with_scores
            else None
        )
        merged = Classifications(
            classes=classes,
            frame_ids=frame_ids,
            truth=truth.astype(np.int64),
            predicted=predicted.astype(np.int64),
            confidence=np.concatenate([p.confidence for p in parts]),
            scores=scores,
        )
        return cls(merged)
