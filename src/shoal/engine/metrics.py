"""Result types shared by the detection and classification engines: reports, confusion
matrices, PR curves, threshold choices and per-object outcomes.

Names follow scikit-learn's ``classification_report``: ``precision``, ``recall``,
``f1-score``, ``support``, and the rows ``micro avg``, ``macro avg``, ``weighted avg``.
Undefined ratios (0 / 0) are 0, as scikit-learn's default ``zero_division`` gives.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from shoal._types import ConfDescription
from shoal.errors import InputError

__all__ = [
    "BACKGROUND",
    "ClassificationReport",
    "ConfusionMatrix",
    "Outcomes",
    "PRCurve",
    "ThresholdChoice",
    "frame_weights",
    "safe_divide",
]

BACKGROUND = "background"


def frame_weights(weights: Any, num_frames: int) -> NDArray[np.float64]:
    """Resampling weights as float64 (replicates, frames), checked: one column per
    frame, finite and non-negative (``resampled_average_precision`` of both tasks)."""
    array = np.asarray(weights, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != num_frames:
        raise InputError(
            f"weights must have one column per frame ({num_frames}), not shape {array.shape}"
        )
    if not np.all(np.isfinite(array)) or (array < 0).any():
        raise InputError("weights must be finite and non-negative")
    return array


def safe_divide(numerator: NDArray[Any], denominator: NDArray[Any]) -> NDArray[np.float64]:
    """Elementwise ``numerator / denominator`` with 0 where the denominator is 0."""
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)
    out = np.zeros(np.broadcast(num, den).shape, dtype=np.float64)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _f1(precision: NDArray[np.float64], recall: NDArray[np.float64]) -> NDArray[np.float64]:
    return safe_divide(2.0 * precision * recall, precision + recall)


def _fmt(value: float) -> str:
    return f"{value:.4f}"


@dataclass(frozen=True, eq=False)
class ClassificationReport:
    """Per-class counts and ratios at one operating point, with averages.

    ``tp``, ``fp``, ``fn`` and ``support`` (= ``tp + fn``, the ground-truth count) are
    (C,) int64 arrays aligned with ``labels``. ``accuracy`` is set for single-label
    classification (where micro precision = micro recall = accuracy) and None for
    detection, whose false positives need not have a ground-truth object.
    """

    labels: tuple[str, ...]
    tp: NDArray[np.int64]
    fp: NDArray[np.int64]
    fn: NDArray[np.int64]
    conf: ConfDescription
    iou: ConfDescription | None = None  # an IoU, or each class's by name
    accuracy: float | None = None
    ap: NDArray[np.float64] | None = None
    precision: NDArray[np.float64] = field(init=False)
    recall: NDArray[np.float64] = field(init=False)
    f1_score: NDArray[np.float64] = field(init=False)

    def __post_init__(self) -> None:
        precision = safe_divide(self.tp, self.tp + self.fp)
        recall = safe_divide(self.tp, self.tp + self.fn)
        object.__setattr__(self, "precision", precision)
        object.__setattr__(self, "recall", recall)
        object.__setattr__(self, "f1_score", _f1(precision, recall))

    @property
    def support(self) -> NDArray[np.int64]:
        return self.tp + self.fn

    def averages(self) -> dict[str, dict[str, float]]:
        """``micro avg``, ``macro avg`` and ``weighted avg`` rows (scikit-learn's meaning)."""
        tp, fp, fn = (int(x.sum()) for x in (self.tp, self.fp, self.fn))
        micro_p = tp / (tp + fp) if tp + fp else 0.0
        micro_r = tp / (tp + fn) if tp + fn else 0.0
        micro_f = 2 * micro_p * micro_r / (micro_p + micro_r) if micro_p + micro_r else 0.0
        support = self.support
        total = int(support.sum())
        n = len(self.labels)

        def mean(values: NDArray[np.float64]) -> float:
            return float(values.mean()) if n else 0.0

        def weighted(values: NDArray[np.float64]) -> float:
            return float((values * support).sum() / total) if total else 0.0

        return {
            "micro avg": {
                "precision": micro_p,
                "recall": micro_r,
                "f1-score": micro_f,
                "support": float(total),
            },
            "macro avg": {
                "precision": mean(self.precision),
                "recall": mean(self.recall),
                "f1-score": mean(self.f1_score),
                "support": float(total),
            },
            "weighted avg": {
                "precision": weighted(self.precision),
                "recall": weighted(self.recall),
                "f1-score": weighted(self.f1_score),
                "support": float(total),
            },
        }

    def row(self, label: str) -> dict[str, float]:
        i = _label_index(self.labels, label)
        out = {
            "precision": float(self.precision[i]),
            "recall": float(self.recall[i]),
            "f1-score": float(self.f1_score[i]),
            "support": int(self.support[i]),
            "tp": int(self.tp[i]),
            "fp": int(self.fp[i]),
            "fn": int(self.fn[i]),
        }
        if self.ap is not None:
            out["ap"] = float(self.ap[i])
        return out

    def __iter__(self) -> Iterator[tuple[str, dict[str, float]]]:
        for label in self.labels:
            yield label, self.row(label)

    def to_dict(self) -> dict[str, Any]:
        """The wire format (also the REST answer): classes as records, so a class may
        have any name, ``accuracy`` and ``micro avg`` included::

            {"classes": [{"label", "precision", "recall", "f1-score", "support",
                          "tp", "fp", "fn", "ap"}, ...],
             "averages": {"micro avg": {...}, "macro avg": {...}, "weighted avg": {...}},
             "accuracy": float | None, "conf": float | {class: float}, "iou": float | None}

        ``ap`` is None where the report has no AP (classification), ``accuracy`` None
        where it does not apply (detection). :meth:`from_dict` reads it back;
        :meth:`to_sklearn_dict` gives scikit-learn's shape."""
        classes = []
        for label, row in self:
            record: dict[str, Any] = {"label": label, **row}
            record.setdefault("ap", None)
            classes.append(record)
        return {
            "classes": classes,
            "averages": {
                name: {**average, "support": int(average["support"])}
                for name, average in self.averages().items()
            },
            "accuracy": self.accuracy,
            "conf": self.conf,
            "iou": self.iou,
        }

    def to_sklearn_dict(self) -> dict[str, Any]:
        """Shaped like ``classification_report(..., output_dict=True)``, plus counts:
        class names are keys beside ``accuracy``, the averages, ``conf`` and ``iou``, so
        a class named like one of those is overwritten (use :meth:`to_dict` to send)."""
        out: dict[str, Any] = {label: row for label, row in self}
        if self.accuracy is not None:
            out["accuracy"] = self.accuracy
        out.update(self.averages())
        out["conf"] = self.conf
        if self.iou is not None:
            out["iou"] = self.iou
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClassificationReport:
        """The report :meth:`to_dict` wrote (e.g. a REST answer). Precision, recall, F1
        and the averages follow from the counts, so they equal the original's exactly."""
        rows = data["classes"]
        aps = [row.get("ap") for row in rows]
        return cls(
            labels=tuple(str(row["label"]) for row in rows),
            tp=np.array([row["tp"] for row in rows], dtype=np.int64),
            fp=np.array([row["fp"] for row in rows], dtype=np.int64),
            fn=np.array([row["fn"] for row in rows], dtype=np.int64),
            conf=_conf_from_wire(data["conf"]),
            iou=None if data.get("iou") is None else _conf_from_wire(data["iou"]),
            accuracy=_optional_float(data.get("accuracy")),
            ap=None
            if not aps or any(ap is None for ap in aps)
            else np.array(aps, dtype=np.float64),
        )

    def __str__(self) -> str:
        name_width = max([len(x) for x in (*self.labels, "weighted avg")])
        head = ["precision", "recall", "f1-score", "support", "tp", "fp", "fn"]
        if self.ap is not None:
            head.append("ap")
        lines = [" " * name_width + "".join(f"{h:>11}" for h in head)]
        for label, row in self:
            cells = [_fmt(row["precision"]), _fmt(row["recall"]), _fmt(row["f1-score"])]
            cells += [str(row["support"]), str(row["tp"]), str(row["fp"]), str(row["fn"])]
            if self.ap is not None:
                cells.append("-" if row["ap"] < 0 else _fmt(row["ap"]))
            lines.append(f"{label:>{name_width}}" + "".join(f"{c:>11}" for c in cells))
        lines.append("")
        if self.accuracy is not None:
            total = int(self.support.sum())
            lines.append(
                f"{'accuracy':>{name_width}}" + " " * 22 + f"{_fmt(self.accuracy):>11}{total:>11}"
            )
        for name, avg in self.averages().items():
            cells = [_fmt(avg["precision"]), _fmt(avg["recall"]), _fmt(avg["f1-score"])]
            cells.append(str(int(avg["support"])))
            lines.append(f"{name:>{name_width}}" + "".join(f"{c:>11}" for c in cells))
        return "\n".join(lines)


Normalize = Literal["row", "column", "all"]
_NORMALIZE = ("row", "column", "all")


def _label_index(labels: tuple[str, ...], label: str) -> int:
    """Where ``label`` is in ``labels``, or an InputError listing them."""
    try:
        return labels.index(label)
    except ValueError:
        raise InputError(f"unknown class {label!r}; classes are {list(labels)}") from None


@dataclass(frozen=True, eq=False)
class ConfusionMatrix:
    """Counts with rows = ground truth and columns = prediction (scikit-learn's layout).

    ``labels`` ends with ``"background"``: the background column counts ground truth
    that no prediction found, the background row predictions that found nothing. The
    background-background cell is always 0.
    """

    labels: tuple[str, ...]
    matrix: NDArray[np.int64]
    conf: ConfDescription
    iou: ConfDescription | None = None  # an IoU, or each class's by name

    def normalized(self, by: Normalize = "row") -> NDArray[np.float64]:
        """Shares of each row's, column's or the whole matrix's total (0 where empty)."""
        if by not in _NORMALIZE:
            raise InputError(f"cannot normalize by {by!r}; use one of {', '.join(_NORMALIZE)}")
        m = self.matrix.astype(np.float64)
        if by == "row":
            return safe_divide(m, m.sum(axis=1, keepdims=True))
        if by == "column":
            return safe_divide(m, m.sum(axis=0, keepdims=True))
        return safe_divide(m, np.asarray(m.sum()))

    def cell(self, truth: str, predicted: str) -> int:
        return int(
            self.matrix[_label_index(self.labels, truth), _label_index(self.labels, predicted)]
        )

    def largest_confusions(self, n: int = 10) -> list[tuple[str, str, int]]:
        """The ``n`` largest off-diagonal cells as (truth, predicted, count), background
        included, largest first."""
        cells = self.matrix.copy()
        np.fill_diagonal(cells, 0)
        flat = np.argsort(-cells, axis=None, kind="stable")[:n]
        rows, cols = np.unravel_index(flat, cells.shape)
        return [
            (self.labels[r], self.labels[c], int(cells[r, c]))
            for r, c in zip(rows.tolist(), cols.tolist(), strict=True)
            if cells[r, c] > 0
        ]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"labels": list(self.labels), "matrix": self.matrix.tolist()}
        out["conf"] = self.conf
        if self.iou is not None:
            out["iou"] = self.iou
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ConfusionMatrix:
        """The matrix :meth:`to_dict` wrote (``iou`` missing or None for classification)."""
        labels = tuple(str(label) for label in data["labels"])
        matrix = np.array(data["matrix"], dtype=np.int64).reshape(len(labels), len(labels))
        return cls(
            labels=labels,
            matrix=matrix,
            conf=_conf_from_wire(data["conf"]),
            iou=None if data.get("iou") is None else _conf_from_wire(data["iou"]),
        )

    def __str__(self) -> str:
        short = [label[:10] for label in self.labels]
        width = max(6, *(len(s) for s in short), len(str(int(self.matrix.max(initial=0)))))
        corner = "truth \\ pred"
        name_width = max(len(corner), *(len(label) for label in self.labels))
        lines = [f"{corner:<{name_width}} " + " ".join(f"{s:>{width}}" for s in short)]
        for label, row in zip(self.labels, self.matrix.tolist(), strict=True):
            lines.append(f"{label:<{name_width}} " + " ".join(f"{v:>{width}}" for v in row))
        return "\n".join(lines)


@dataclass(frozen=True, eq=False)
class PRCurve:
    """Precision and recall at every distinct confidence cut-off, highest first.

    ``thresholds[i]`` is a confidence; ``precision[i]`` and ``recall[i]`` are those of
    keeping every prediction scored at or above it. ``ap`` is the area under the curve
    by the evaluation's interpolation.
    """

    label: str
    thresholds: NDArray[np.float64]
    precision: NDArray[np.float64]
    recall: NDArray[np.float64]
    ap: float
    iou: ConfDescription | None = None  # an IoU, or each class's by name

    @property
    def f1_score(self) -> NDArray[np.float64]:
        return _f1(self.precision, self.recall)

    def best(self) -> ThresholdChoice:
        """The cut-off with the highest F1 (the highest such confidence on ties)."""
        if self.thresholds.size == 0:
            return ThresholdChoice(self.label, 0.0, 0.0, 0.0, 0.0)
        f1 = self.f1_score
        i = int(np.argmax(f1))
        return ThresholdChoice(
            self.label,
            float(self.thresholds[i]),
            float(f1[i]),
            float(self.precision[i]),
            float(self.recall[i]),
        )

    def downsampled(self, max_points: int) -> PRCurve:
        """At most ``max_points`` of the points, for drawing: the first, the last, the
        best-F1 point (so ``best()`` is unchanged) and, in equal runs of points, each
        run's lowest and highest precision, which keeps the curve's saw-tooth envelope.
        ``ap`` is the full curve's."""
        if max_points < 5:
            raise InputError(f"a downsampled curve keeps at least 5 points, not {max_points}")
        n = self.thresholds.size
        if n <= max_points:
            return self
        runs = (max_points - 3) // 2
        edges = np.linspace(0, n, runs + 1).astype(np.int64)
        run_of = np.repeat(np.arange(runs), np.diff(edges))
        # Sorted by run, then precision: each run's lowest and highest sit at its edges.
        by_precision = np.lexsort((self.precision, run_of))
        keep = np.unique(
            np.concatenate(
                [
                    [0, n - 1, int(np.argmax(self.f1_score))],
                    by_precision[edges[:-1]],
                    by_precision[edges[1:] - 1],
                ]
            )
        )
        return replace(
            self,
            thresholds=self.thresholds[keep],
            precision=self.precision[keep],
            recall=self.recall[keep],
        )

    def to_dict(self) -> dict[str, Any]:
        """The wire format: the points, each point's F1 and the best-F1 cut-off
        (:meth:`best`), so that a face draws them without deriving either."""
        out: dict[str, Any] = {
            "label": self.label,
            "thresholds": self.thresholds.tolist(),
            "precision": self.precision.tolist(),
            "recall": self.recall.tolist(),
            "f1": self.f1_score.tolist(),
            "best": self.best().to_dict(),
            "ap": self.ap,
        }
        if self.iou is not None:
            out["iou"] = self.iou
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PRCurve:
        """The curve :meth:`to_dict` wrote (``f1`` and ``best`` follow from the points)."""
        return cls(
            label=str(data["label"]),
            thresholds=np.array(data["thresholds"], dtype=np.float64),
            precision=np.array(data["precision"], dtype=np.float64),
            recall=np.array(data["recall"], dtype=np.float64),
            ap=float(data["ap"]),
            iou=None if data.get("iou") is None else _conf_from_wire(data["iou"]),
        )

    def __str__(self) -> str:
        best = self.best()
        return (
            f"PR curve {self.label!r}: {self.thresholds.size} points, AP {self.ap:.4f}, "
            f"best F1 {best.f1_score:.4f} at confidence {best.conf:.4f}"
        )


@dataclass(frozen=True)
class ThresholdChoice:
    """The confidence threshold that maximizes F1 for one class."""

    label: str
    conf: float
    f1_score: float
    precision: float
    recall: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "conf": self.conf,
            "f1-score": self.f1_score,
            "precision": self.precision,
            "recall": self.recall,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ThresholdChoice:
        """The choice :meth:`to_dict` wrote."""
        return cls(
            label=str(data["label"]),
            conf=float(data["conf"]),
            f1_score=float(data["f1-score"]),
            precision=float(data["precision"]),
            recall=float(data["recall"]),
        )


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _conf_from_wire(value: Any) -> float | dict[str, float]:
    """A confidence threshold as ``to_dict`` writes it: a number or ``{class: number}``."""
    if isinstance(value, Mapping):
        return {str(label): float(threshold) for label, threshold in value.items()}
    return float(value)


KIND_NAMES = ("prediction", "ground_truth")
OUTCOME_NAMES = ("TP", "FP", "FN")
REASON_NAMES = ("", "class_confusion", "duplicate", "localization", "background", "missed")
PREDICTION, GROUND_TRUTH = 0, 1
TP, FP, FN = 0, 1, 2
NO_REASON, CLASS_CONFUSION, DUPLICATE, LOCALIZATION, BACKGROUND_REASON, MISSED = range(6)
SORT_KEYS = ("confidence", "iou", "area")


def _code(names: tuple[str, ...], value: str, what: str) -> int:
    if value not in names:
        raise InputError(
            f"unknown {what} {value!r}; use one of {', '.join(repr(n) for n in names if n)}"
        )
    return names.index(value)


@dataclass(frozen=True, eq=False)
class Outcomes:
    """Each object's outcome at one operating point, as columns (one row per object).

    Rows are the counted predictions at or above the confidence threshold (TP or FP)
    and the counted ground truth (TP or FN). Both tasks answer ``outcomes()`` with this
    class: for classification each frame is one prediction row (when kept) and one
    ground-truth row, with ``iou`` and ``area`` 0. Categorical columns are kept as small
    integer codes and decoded on access, so building and filtering stay cheap:

    ``kind`` "prediction" or "ground_truth"; ``id``; ``frame_id``; ``label`` its class;
    ``confidence`` (NaN for ground truth); ``outcome`` TP, FP or FN; ``reason`` for FP one
    of ``class_confusion``, ``duplicate``, ``localization``, ``background``, for FN one of
    ``class_confusion``, ``localization``, ``missed``, "" for TP; ``partner_id`` the
    object it was matched or compared with (-1 if none), ``partner_label`` its class (""
    if none), ``iou`` with the partner (0 if none); ``area`` the object's box area.
    """

    class_names: tuple[str, ...]
    kind_code: NDArray[np.int8]
    id: NDArray[np.int64]
    frame_id: NDArray[Any]
    label_index: NDArray[np.int32]
    confidence: NDArray[np.float64]
    outcome_code: NDArray[np.int8]
    reason_code: NDArray[np.int8]
    partner_id: NDArray[np.int64]
    partner_label_index: NDArray[np.int32]
    iou: NDArray[np.float64]
    area: NDArray[np.float64]
    conf: ConfDescription
    iou_threshold: ConfDescription  # an IoU, or each class's by name

    _ROW_FIELDS = (
        "kind_code", "id", "frame_id", "label_index", "confidence", "outcome_code",
        "reason_code", "partner_id", "partner_label_index", "iou", "area",
    )  # fmt: skip
    COLUMNS = (
        "kind", "id", "frame_id", "label", "confidence", "outcome", "reason", "partner_id",
        "partner_label", "iou", "area",
    )  # fmt: skip

    def __len__(self) -> int:
        return int(self.id.size)

    # Decoded columns.
    @property
    def kind(self) -> NDArray[np.str_]:
        return np.asarray(KIND_NAMES)[self.kind_code]

    @property
    def outcome(self) -> NDArray[np.str_]:
        return np.asarray(OUTCOME_NAMES)[self.outcome_code]

    @property
    def reason(self) -> NDArray[np.str_]:
        return np.asarray(REASON_NAMES)[self.reason_code]

    @property
    def label(self) -> NDArray[np.str_]:
        return np.asarray(self.class_names, dtype=np.str_)[self.label_index]

    @property
    def partner_label(self) -> NDArray[np.str_]:
        names = np.asarray((*self.class_names, ""), dtype=np.str_)
        return names[self.partner_label_index]  # -1 reads the trailing ""

    def columns(self) -> dict[str, NDArray[Any]]:
        return {name: getattr(self, name) for name in self.COLUMNS}

    # Selecting rows.
    def select(self, rows: NDArray[np.bool_] | NDArray[np.integer]) -> Outcomes:
        """The rows picked by a boolean mask or an index array (in that order)."""
        picked = {name: getattr(self, name)[rows] for name in self._ROW_FIELDS}
        return replace(self, **picked)

    def where(
        self,
        *,
        kind: str | None = None,
        outcome: str | None = None,
        reason: str | None = None,
        label: str | None = None,
        partner_label: str | None = None,
        frame_id: Any = None,
    ) -> Outcomes:
        """The rows matching every given value, e.g. ``where(outcome="FP", label="cat")``
        or ``where(frame_id="img_12")`` (one frame's objects)."""
        mask = np.ones(len(self), bool)
        if frame_id is not None:
            mask &= self.frame_id.astype(str) == str(frame_id)
        if kind is not None:
            mask &= self.kind_code == _code(KIND_NAMES, kind, "kind")
        if outcome is not None:
            mask &= self.outcome_code == _code(OUTCOME_NAMES, outcome, "outcome")
        if reason is not None:
            mask &= self.reason_code == _code(REASON_NAMES, reason, "reason")
        if label is not None:
            mask &= self.label_index == _code(self.class_names, label, "class")
        if partner_label is not None:
            mask &= self.partner_label_index == _code(self.class_names, partner_label, "class")
        return self.select(mask)

    def in_cell(self, truth: str, predicted: str) -> Outcomes:
        """The objects counted in one confusion-matrix cell, one row per count.

        (A, A): A's true-positive predictions; (A, B): B predictions confused with an A;
        (A, "background"): A ground truth missed (not confused); ("background", B): B
        predictions that found nothing (not confused).
        """
        confused = self.reason_code == CLASS_CONFUSION
        is_pred = self.kind_code == PREDICTION
        if truth == BACKGROUND and predicted == BACKGROUND:
            return self.select(np.zeros(len(self), bool))
        if predicted == BACKGROUND:
            a = _code(self.class_names, truth, "class")
            mask = ~is_pred & (self.outcome_code == FN) & ~confused & (self.label_index == a)
        elif truth == BACKGROUND:
            b = _code(self.class_names, predicted, "class")
            mask = is_pred & (self.outcome_code == FP) & ~confused & (self.label_index == b)
        else:
            a = _code(self.class_names, truth, "class")
            b = _code(self.class_names, predicted, "class")
            if a == b:
                mask = is_pred & (self.outcome_code == TP) & (self.label_index == a)
            else:
                mask = (
                    is_pred & confused & (self.label_index == b) & (self.partner_label_index == a)
                )
        return self.select(mask)

    def sorted_by(
        self,
        key: str = "confidence",
        *,
        descending: bool = True,
        values: NDArray[np.float64] | None = None,
    ) -> Outcomes:
        """Rows ordered by ``confidence``, ``iou`` or ``area``, or by ``values`` (one
        number per row, e.g. an element metric; ``key`` then only names it) (stable;
        NaN last)."""
        if values is not None:
            values = np.asarray(values, dtype=np.float64)
            if values.shape != (len(self),):
                raise InputError(
                    f"sorting by {key!r} needs one value per row ({len(self)}), got {values.shape}"
                )
        elif key not in SORT_KEYS:
            raise InputError(f"cannot sort outcomes by {key!r}; use one of {', '.join(SORT_KEYS)}")
        else:
            values = getattr(self, key)
        values = np.where(np.isnan(values), -np.inf if descending else np.inf, values)
        order = np.argsort(-values if descending else values, kind="stable")
        return self.select(order)

    def page(self, offset: int = 0, limit: int = 50) -> Outcomes:
        """``limit`` rows from row ``offset`` (fewer at the end)."""
        if offset < 0 or limit < 0:
            raise InputError(f"a page needs offset >= 0 and limit >= 0, not {offset} and {limit}")
        return self.select(np.arange(offset, min(offset + limit, len(self))))

    # Output.
    def records(self) -> list[dict[str, Any]]:
        columns = {name: column.tolist() for name, column in self.columns().items()}
        return [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "conf": self.conf,
            "iou": self.iou_threshold,
            "columns": {name: column.tolist() for name, column in self.columns().items()},
        }

    def counts(self) -> dict[str, int]:
        """How many rows have each outcome and each ``outcome/reason``."""
        out: dict[str, int] = {}
        by_outcome = np.bincount(self.outcome_code, minlength=len(OUTCOME_NAMES))
        for code, name in enumerate(OUTCOME_NAMES):
            if by_outcome[code]:
                out[name] = int(by_outcome[code])
        pairs = self.outcome_code.astype(np.int64) * len(REASON_NAMES) + self.reason_code
        by_pair = np.bincount(pairs, minlength=len(OUTCOME_NAMES) * len(REASON_NAMES))
        for pair in np.flatnonzero(by_pair).tolist():
            outcome, reason = divmod(pair, len(REASON_NAMES))
            if reason != NO_REASON:
                out[f"{OUTCOME_NAMES[outcome]}/{REASON_NAMES[reason]}"] = int(by_pair[pair])
        return out

    def __str__(self) -> str:
        counts = ", ".join(f"{k}: {v}" for k, v in self.counts().items())
        return f"{len(self)} outcomes at conf={self.conf}, iou={self.iou_threshold} ({counts})"
