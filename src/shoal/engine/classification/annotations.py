"""Column containers for single-label classification: one row per frame.

Everything the classification engine reads is validated once here and held in flat
NumPy columns, so that every query is a masked count over arrays and the columns of
disjoint frame sets concatenate into the columns of their union.

Array layouts (n frames, C classes):

``ClassLabels``
    ``values`` (C,) int64 or str   the user's class labels, in evaluation order
    ``names``  C str               display names (``str`` of each value)
``Classifications``
    ``frame_ids``  (n,)   int64 or str   the user's frame ids, unique
    ``truth``      (n,)   int64          index into ``classes`` of the true class
    ``predicted``  (n,)   int64          index into ``classes`` of the predicted class
    ``confidence`` (n,)   float64        confidence of the predicted class, in [0, 1]
    ``scores``     (n, C) float64        full score vectors (columns = ``classes``), or
                                         None when only predictions were given
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shoal.engine._messages import shown
from shoal.engine.metrics import BACKGROUND
from shoal.errors import InputError

__all__ = ["ClassLabels", "Classifications"]

LabelColumn = NDArray[np.int64] | NDArray[np.str_]


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def _is_str(value: Any) -> bool:
    return isinstance(value, str | np.str_)


def label_column(values: ArrayLike, what: str) -> LabelColumn:
    """``values`` as int64 or str; raises naming the first record that is neither or
    whose type differs from the first record's."""
    array = np.asarray(values, dtype=object if isinstance(values, list | tuple) else None)
    if array.ndim != 1:
        raise InputError(f"{what} must be one-dimensional, got shape {array.shape}")
    if array.size == 0:
        return np.empty(0, np.int64)
    if array.dtype.kind in "iu":
        return array.astype(np.int64)
    if array.dtype.kind == "U":
        return array.astype(np.str_)
    items = array.tolist()
    first_is_int = _is_int(items[0])
    if not first_is_int and not _is_str(items[0]):
        raise InputError(
            f"{what} is {items[0]!r} ({type(items[0]).__name__}); labels must be integers or strings",
            record=0,
        )
    same_kind = _is_int if first_is_int else _is_str
    for i, item in enumerate(items):
        if not same_kind(item):
            expected = "an integer" if first_is_int else "a string"
            raise InputError(
                f"{what} is {item!r} ({type(item).__name__}), expected {expected} like record 0",
                record=i,
            )
    if first_is_int:
        return np.asarray(items, dtype=np.int64)
    return np.asarray(items, dtype=np.str_)


def first_duplicate(values: NDArray[Any]) -> tuple[int, int] | None:
    """(record, earlier record) of the first value that repeats an earlier one."""
    if values.size < 2:
        return None
    order = np.argsort(values, kind="stable")
    repeats = np.flatnonzero(values[order[1:]] == values[order[:-1]])
    if repeats.size == 0:
        return None
    # Each run of equal values lists its records in order, so a repeat's predecessor in
    # the run is an earlier record; the smallest repeating record is the one to report.
    later = order[1:][repeats]
    pick = int(np.argmin(later))
    value = values[later[pick]]
    earliest = int(order[np.searchsorted(values[order], value)])
    return int(later[pick]), earliest


def _same_kind(a: LabelColumn, b: LabelColumn) -> bool:
    return a.size == 0 or b.size == 0 or (a.dtype.kind == "U") == (b.dtype.kind == "U")


@dataclass(frozen=True, slots=True, eq=False)
class ClassLabels:
    """The classes of an evaluation, in evaluation order (see the module docstring).

    ``explicit`` records whether the user named them (``labels=``): then reports show
    every class, as scikit-learn does with ``labels=``; otherwise reports show the
    classes present in the selected frames, as scikit-learn's sorted label union does.
    """

    values: LabelColumn
    names: tuple[str, ...]
    explicit: bool

    @classmethod
    def from_values(cls, values: ArrayLike, *, explicit: bool) -> ClassLabels:
        column = label_column(values, "labels")
        duplicate = first_duplicate(column)
        if duplicate is not None:
            later, earlier = duplicate
            raise InputError(
                f"label {shown(column[later])} repeats labels[{earlier}]", record=later
            )
        names = tuple(str(v) for v in column.tolist())
        if BACKGROUND in names:
            raise InputError(
                f"label {BACKGROUND!r} is reserved for the confusion matrix's no-prediction column",
                record=names.index(BACKGROUND),
            )
        return cls(column, names, explicit)

    def __len__(self) -> int:
        return len(self.names)

    def same_as(self, other: ClassLabels) -> bool:
        return self.names == other.names and _same_kind(self.values, other.values)

    def index_of(self, values: LabelColumn, what: str) -> NDArray[np.int64]:
        """Indices of ``values`` in the evaluation order; raises naming the first
        record whose label is not a class."""
        if values.size == 0:
            return np.empty(0, np.int64)
        if not _same_kind(values, self.values) or len(self) == 0:
            raise InputError(f"{what} {shown(values[0])} is not one of labels", record=0)
        order = np.argsort(self.values, kind="stable")
        ordered = self.values[order]
        position = np.minimum(np.searchsorted(ordered, values), len(ordered) - 1)
        found = ordered[position] == values
        if not found.all():
            bad = int(np.flatnonzero(~found)[0])
            raise InputError(f"{what} {shown(values[bad])} is not one of labels", record=bad)
        return order[position].astype(np.int64)

    def resolve(self, classes: Iterable[int | str]) -> NDArray[np.int64]:
        """Indices of classes picked by label value or display name, in the given order."""
        by_name = {name: i for i, name in enumerate(self.names)}
        picked = []
        for wanted in classes:
            index = by_name.get(str(wanted)) if _is_int(wanted) or _is_str(wanted) else None
            if index is None:
                raise InputError(f"unknown class {shown(wanted)}; classes are {list(self.names)}")
            picked.append(index)
        return np.asarray(picked, dtype=np.int64)


def _unit_interval_column(
    values: ArrayLike, shape: tuple[int, ...], what: str
) -> NDArray[np.float64]:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise InputError(f"{what} must be numbers in [0, 1] ({error})") from None
    if array.size == 0 and shape[0] == 0:
        return np.zeros(shape)
    if array.ndim and array.shape[0] != shape[0]:
        raise InputError(
            f"{what} has {array.shape[0]} records but y_true has {shape[0]}",
            record=min(array.shape[0], shape[0]),
        )
    if array.shape != shape:
        raise InputError(f"{what} has shape {array.shape}, expected {shape}")
    bad = ~((array >= 0.0) & (array <= 1.0))  # NaN fails both comparisons
    if bad.any():
        where = np.argwhere(bad)[0]
        cell = f"{what}[{int(where[1])}]" if array.ndim == 2 else what
        value = array[tuple(where)]
        problem = "is NaN" if np.isnan(value) else f"is {float(value)!r}, not in [0, 1]"
        raise InputError(f"{cell} {problem}", record=int(where[0]))
    return array


@dataclass(frozen=True, slots=True, eq=False)
class Classifications:
    """Validated ground truth and predictions of a set of frames (layouts above)."""

    classes: ClassLabels
    frame_ids: LabelColumn
    truth: NDArray[np.int64]
    predicted: NDArray[np.int64]
    confidence: NDArray[np.float64]
    scores: NDArray[np.float64] | None

    def __len__(self) -> int:
        return int(self.truth.size)

    @classmethod
    def from_user(
        cls,
        y_true: ArrayLike,
        y_pred: ArrayLike | None = None,
        *,
        scores: ArrayLike | None = None,
        confidences: ArrayLike | None = None,
        labels: ArrayLike | None = None,
        frame_ids: ArrayLike | None = None,
    ) -> Classifications:
        """Validate the user's columns (see ``evaluate_classifications`` for meanings)."""
        truth_values = label_column(y_true, "y_true")
        n = truth_values.size
        pred_values = None if y_pred is None else label_column(y_pred, "y_pred")
        if pred_values is not None and pred_values.size != n:
            raise InputError(
                f"y_pred has {pred_values.size} records but y_true has {n}",
                record=min(pred_values.size, n),
            )
        if pred_values is None and scores is None:
            raise InputError("pass y_pred, scores, or both")
        if pred_values is not None and not _same_kind(truth_values, pred_values):
            raise InputError("y_true and y_pred mix integer and string labels", record=0)

        if labels is not None:
            classes = ClassLabels.from_values(labels, explicit=True)
        else:
            present = (
                truth_values if pred_values is None else np.concatenate([truth_values, pred_values])
            )
            classes = ClassLabels.from_values(np.unique(present), explicit=False)
        num_classes = len(classes)
        truth = classes.index_of(truth_values, "y_true")

        score_matrix = None
        if scores is not None:
            raw = np.asarray(scores)
            if raw.ndim != 2 and not (raw.size == 0 and n == 0):
                raise InputError(f"scores must have shape (n, C), got {raw.shape}")
            columns = raw.shape[1] if raw.ndim == 2 else num_classes
            if raw.ndim == 2 and raw.shape[0] != n:
                raise InputError(
                    f"scores has {raw.shape[0]} records but y_true has {n}",
                    record=min(raw.shape[0], n),
                )
            if columns != num_classes:
                source = "labels" if labels is not None else "y_true and y_pred"
                raise InputError(
                    f"scores has {columns} columns but {source} name {num_classes} classes; "
                    "pass labels= to name the score columns"
                )
            score_matrix = _unit_interval_column(raw, (n, num_classes), "scores")

        if pred_values is not None:
            predicted = classes.index_of(pred_values, "y_pred")
        else:
            assert score_matrix is not None
            predicted = (
                np.argmax(score_matrix, axis=1).astype(np.int64)
                if num_classes
                else np.zeros(n, np.int64)
            )

        if confidences is not None:
            confidence = _unit_interval_column(confidences, (n,), "confidence")
        elif score_matrix is not None:
            confidence = score_matrix[np.arange(n), predicted]
        else:
            confidence = np.ones(n)

        ids = (
            np.arange(n, dtype=np.int64)
            if frame_ids is None
            else label_column(frame_ids, "frame id")
        )
        if ids.size != n:
            raise InputError(
                f"frame_ids has {ids.size} records but y_true has {n}", record=min(ids.size, n)
            )
        duplicate = first_duplicate(ids)
        if duplicate is not None:
            later, earlier = duplicate
            raise InputError(
                f"duplicate frame id {shown(ids[later])} (first at record {earlier})", record=later
            )
        return cls(classes, ids, truth, predicted, confidence, score_matrix)
