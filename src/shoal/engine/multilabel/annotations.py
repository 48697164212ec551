"""Multi-label inputs, validated once: an indicator matrix of true labels, a score matrix
and the class names, all in one class order.

``y_true`` is either an (n, C) indicator (bool, or integers 0/1) or, with ``classes``,
one collection of labels per frame (a frame may have none). ``scores`` is always an
(n, C) float matrix whose columns follow ``classes``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shoal.engine._messages import shown
from shoal.engine.classification.annotations import first_duplicate, label_column
from shoal.errors import InputError

__all__ = ["MultiLabels"]


@dataclass(frozen=True, eq=False)
class MultiLabels:
    """True labels and scores of n frames over C classes (see the module docstring)."""

    truth: NDArray[np.bool_]
    scores: NDArray[np.float64]
    names: tuple[str, ...]
    frame_ids: NDArray[Any]

    @classmethod
    def from_inputs(
        cls,
        y_true: Any,
        scores: ArrayLike,
        classes: Sequence[Any] | None,
        frame_ids: ArrayLike | None = None,
    ) -> MultiLabels:
        score_matrix = _score_matrix(scores)
        if classes is not None:
            names = _class_names(classes)
        else:
            names = tuple(str(c) for c in range(score_matrix.shape[1]))
        if len(names) != score_matrix.shape[1]:
            raise InputError(
                f"scores has {score_matrix.shape[1]} columns but there are {len(names)} classes"
            )
        truth = _truth_matrix(y_true, names, classes is not None)
        if truth.shape != score_matrix.shape:
            raise InputError(
                f"y_true has shape {truth.shape} but scores has shape {score_matrix.shape}"
            )
        return cls(truth, score_matrix, names, _frame_ids(frame_ids, truth.shape[0]))


def _frame_ids(frame_ids: ArrayLike | None, num_frames: int) -> NDArray[Any]:
    """(n,) unique int64 or str ids, default 0 .. n-1."""
    if frame_ids is None:
        return np.arange(num_frames, dtype=np.int64)
    ids = label_column(frame_ids, "frame id")
    if ids.size != num_frames:
        raise InputError(
            f"frame_ids has {ids.size} records but y_true has {num_frames}",
            record=min(ids.size, num_frames),
        )
    duplicate = first_duplicate(ids)
    if duplicate is not None:
        later, earlier = duplicate
        raise InputError(
            f"duplicate frame id {shown(ids[later])} (first at record {earlier})", record=later
        )
    return ids


def _class_names(classes: Sequence[Any]) -> tuple[str, ...]:
    names = tuple(str(c) for c in classes)
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen:
            raise InputError(f"class {shown(classes[i])} repeats classes[{seen[name]}]", record=i)
        seen[name] = i
    return names


def _score_matrix(scores: ArrayLike) -> NDArray[np.float64]:
    try:
        matrix = np.asarray(scores, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise InputError(f"scores is not an (n_frames, n_classes) number matrix: {error}") from None
    if matrix.ndim != 2:
        raise InputError(f"scores must be (n_frames, n_classes), got shape {matrix.shape}")
    bad = ~np.isfinite(matrix)
    if bad.any():
        frame, column = (int(i) for i in np.argwhere(bad)[0])
        raise InputError(f"score of class {column} is {matrix[frame, column]}", record=frame)
    return matrix


def _truth_matrix(y_true: Any, names: tuple[str, ...], named: bool) -> NDArray[np.bool_]:
    """The (n, C) indicator: given as a matrix, or built from label collections."""
    if isinstance(y_true, np.ndarray) and y_true.ndim == 2:
        return _indicator(y_true)
    frames = list(y_true)
    if frames and all(_is_collection(f) for f in frames) and not _all_numeric_rows(frames, names):
        if not named:
            raise InputError("y_true given as label sets needs classes= (the column order)")
        return _from_label_sets(frames, names)
    return _indicator(np.asarray(frames) if frames else np.zeros((0, len(names)), bool))


def _is_collection(value: Any) -> bool:
    return isinstance(value, Iterable) and not isinstance(value, str | bytes)


def _all_numeric_rows(frames: list[Any], names: tuple[str, ...]) -> bool:
    """Rows that are 0/1 (or bool) sequences of length C are an indicator, not label sets;
    sets are never rows of an indicator."""
    return all(
        isinstance(f, list | tuple | np.ndarray)
        and len(f) == len(names)
        and all(isinstance(v, bool | int | np.bool_ | np.integer) and v in (0, 1) for v in f)
        for f in frames
    ) and not all(isinstance(f, set | frozenset) for f in frames)


def _indicator(matrix: NDArray[Any]) -> NDArray[np.bool_]:
    if matrix.ndim != 2:
        raise InputError(f"y_true must be (n_frames, n_classes) or label sets, got {matrix.shape}")
    if matrix.dtype == np.bool_:
        return matrix
    if not np.issubdtype(matrix.dtype, np.number):
        raise InputError(f"y_true indicator must hold 0/1 or booleans, not {matrix.dtype}")
    bad = (matrix != 0) & (matrix != 1)
    if bad.any():
        frame, column = (int(i) for i in np.argwhere(bad)[0])
        raise InputError(
            f"y_true[{frame}, {column}] is {shown(matrix[frame, column])}, not 0 or 1",
            record=frame,
        )
    return matrix.astype(bool)


def _from_label_sets(frames: list[Any], names: tuple[str, ...]) -> NDArray[np.bool_]:
    column_of = {name: c for c, name in enumerate(names)}
    truth = np.zeros((len(frames), len(names)), dtype=bool)
    for i, labels in enumerate(frames):
        for label in labels:
            column = column_of.get(str(label))
            if column is None:
                raise InputError(
                    f"label {shown(label)} is not one of classes {list(names)}", record=i
                )
            truth[i, column] = True
    return truth
