"""Column containers for detection ground truth and predictions.

Everything the detection engine reads is held in flat NumPy columns, one row per
box, so that kernels run over arrays and partitions concatenate cheaply.

Array layouts (N ground-truth boxes, M predictions, F frames, C classes):

``Classes``
    ``ids``    (C,) int64   the user's class id (COCO ``category_id``)
    ``names``  (C,) str     display name
``GroundTruth``
    ``frame_ids`` (F,)    int64 or str, every frame of the set (frames without boxes too)
    ``frame``     (N,)    int32 index into ``frame_ids``
    ``label``     (N,)    int32 index into ``classes``
    ``box``       (N, 4)  float64 ``x, y, width, height`` (COCO ``bbox``)
    ``area``      (N,)    float64 the area used for COCO area ranges (COCO ``area``)
    ``iscrowd``   (N,)    bool    crowd region: matched any number of times, IoU over
                                  the prediction's area, never counted
    ``ignore``    (N,)    bool    ignored box (for example VOC ``difficult``): matched at
                                  most once, never counted
    ``ids``       (N,)    int64   the user's annotation id
``Predictions``
    ``frame``, ``label``, ``box``, ``ids`` as above, and
    ``score``     (M,)    float64 confidence in [0, 1]
    ``area``      (M,)    float64 the area COCO's area ranges read for an unmatched
                                  prediction (default ``width * height``; a mask's area
                                  for segm, the keypoints' extent for keypoints)

Rows keep the order they were given in; within a frame that order breaks ties
between equal scores, as pycocotools' stable sort does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shoal.engine._frame_index import FrameIndex
from shoal.engine._messages import shown
from shoal.errors import InputError

__all__ = ["Classes", "GroundTruth", "Predictions"]


def _as_ids(values: ArrayLike, what: str) -> NDArray[np.int64] | NDArray[np.str_]:
    array = np.asarray(values)
    if array.ndim != 1:
        raise InputError(f"{what} must be one-dimensional, got shape {array.shape}")
    if array.dtype.kind in "iu":
        return array.astype(np.int64, copy=False)
    if array.dtype.kind in "UST" or array.size == 0:
        return array.astype(np.str_) if array.size else np.empty(0, np.int64)
    if array.dtype.kind == "O":
        kinds = {type(v) for v in array.tolist()}
        if kinds <= {int}:
            return array.astype(np.int64)
        if kinds <= {str}:
            return array.astype(np.str_)
        raise InputError(f"{what} mix types {sorted(k.__name__ for k in kinds)}; use one type")
    raise InputError(f"{what} must be integers or strings, got {array.dtype}")


def _first_duplicate(ids: NDArray[np.generic]) -> int | None:
    """Index of the first entry whose value appeared before, or None."""
    if ids.size < 2:
        return None
    order = np.argsort(ids, kind="stable")
    same = ids[order[1:]] == ids[order[:-1]]
    if not same.any():
        return None
    return int(order[1:][same].min())


@dataclass(frozen=True, slots=True, eq=False)
class Classes:
    """The label class map: user ids and display names, in evaluation order."""

    ids: NDArray[np.int64]
    names: NDArray[np.str_]

    @classmethod
    def from_ids(cls, ids: ArrayLike, names: Sequence[str] | None = None) -> Classes:
        id_array = np.asarray(ids)
        if id_array.size and id_array.dtype.kind not in "iu":
            raise InputError(f"class ids must be integers, got {id_array.dtype}")
        id_array = id_array.astype(np.int64).reshape(-1)
        duplicate = _first_duplicate(id_array)
        if duplicate is not None:
            raise InputError(f"duplicate class id {id_array[duplicate]}", record=duplicate)
        name_array = (
            np.array([str(i) for i in id_array.tolist()], dtype=np.str_)
            if names is None
            else np.asarray(list(names), dtype=np.str_)
        )
        if name_array.shape != id_array.shape:
            raise InputError(f"{len(name_array)} class names for {len(id_array)} class ids")
        return cls(id_array, name_array)

    @classmethod
    def from_names(cls, names: Sequence[str]) -> Classes:
        return cls.from_ids(np.arange(len(names)), names)

    def __len__(self) -> int:
        return int(self.ids.size)

    def index_of(self, class_ids: ArrayLike, *, what: str = "class id") -> NDArray[np.int32]:
        """Map user class ids to indices; raises naming the first unknown one."""
        wanted = np.asarray(class_ids).astype(np.int64).reshape(-1)
        order = np.argsort(self.ids, kind="stable")
        sorted_ids = self.ids[order]
        pos = np.searchsorted(sorted_ids, wanted)
        pos_clipped = np.minimum(pos, max(len(sorted_ids) - 1, 0))
        found = (
            (pos < len(sorted_ids)) & (sorted_ids[pos_clipped] == wanted)
            if len(sorted_ids)
            else np.zeros(wanted.shape, bool)
        )
        if not found.all():
            bad = int(np.flatnonzero(~found)[0])
            raise InputError(f"unknown {what} {wanted[bad]}", record=bad)
        return order[pos_clipped].astype(np.int32)

    def resolve(self, classes: Sequence[int | str] | None) -> NDArray[np.int32]:
        """Class indices for a user's selection by id or name (None: all classes)."""
        if classes is None:
            return np.arange(len(self), dtype=np.int32)
        by_name = {str(n): i for i, n in enumerate(self.names.tolist())}
        by_id = {int(c): i for i, c in enumerate(self.ids.tolist())}
        picked = []
        for c in classes:
            if isinstance(c, str):
                index = by_name.get(str(c))
            elif isinstance(c, int | np.integer) and not isinstance(c, bool):
                index = by_id.get(int(c))
            else:
                index = None
            if index is None:
                raise InputError(
                    f"unknown class {shown(c)}; classes are {self.names.tolist()} "
                    f"(ids {self.ids.tolist()})"
                )
            picked.append(index)
        return np.asarray(picked, dtype=np.int32)


def _check_boxes(box: NDArray[np.float64], what: str) -> None:
    if box.ndim != 2 or box.shape[1] != 4:
        raise InputError(f"{what} boxes must have shape (n, 4), got {box.shape}")
    finite = np.isfinite(box).all(axis=1)
    if not finite.all():
        bad = int(np.flatnonzero(~finite)[0])
        raise InputError(f"box {box[bad].tolist()} is not finite", record=bad)
    negative = (box[:, 2] < 0) | (box[:, 3] < 0)
    if negative.any():
        bad = int(np.flatnonzero(negative)[0])
        raise InputError(f"box {box[bad].tolist()} has a negative width or height", record=bad)


def _index_column(values: ArrayLike | None, n: int, what: str) -> NDArray[np.int32]:
    array = np.zeros(n, np.int32) if values is None else np.asarray(values).reshape(-1)
    if array.shape != (n,):
        raise InputError(f"{what} has {array.size} values for {n} boxes")
    return array.astype(np.int32, copy=False)


def _frame_index(frame_ids: NDArray[np.generic], frames: ArrayLike, what: str) -> NDArray[np.int32]:
    wanted = _as_ids(frames, f"{what} frame ids")
    return FrameIndex(frame_ids).positions(wanted).astype(np.int32)


@dataclass(frozen=True, slots=True, eq=False)
class GroundTruth:
    """Ground-truth boxes of a set of frames (see the module docstring for layouts)."""

    frame_ids: NDArray[np.generic]
    classes: Classes
    frame: NDArray[np.int32]
    label: NDArray[np.int32]
    box: NDArray[np.float64]
    area: NDArray[np.float64]
    iscrowd: NDArray[np.bool_]
    ignore: NDArray[np.bool_]
    ids: NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.frame.size)

    @property
    def num_frames(self) -> int:
        return int(self.frame_ids.size)

    @classmethod
    def from_arrays(
        cls,
        *,
        frame_ids: ArrayLike,
        classes: Classes | Sequence[str],
        frames: ArrayLike,
        labels: ArrayLike,
        boxes: ArrayLike,
        area: ArrayLike | None = None,
        iscrowd: ArrayLike | None = None,
        ignore: ArrayLike | None = None,
        ids: ArrayLike | None = None,
        labels_are_indices: bool = False,
    ) -> GroundTruth:
        """Validated ground truth from columns.

        ``frames`` holds frame ids (values of ``frame_ids``); ``labels`` holds class ids
        of ``classes`` (or indices into it with ``labels_are_indices``). ``area`` defaults
        to ``width * height``.
        """
        class_map = classes if isinstance(classes, Classes) else Classes.from_names(classes)
        all_frames = _as_ids(frame_ids, "frame_ids")
        duplicate = _first_duplicate(all_frames)
        if duplicate is not None:
            raise InputError(f"duplicate frame id {shown(all_frames[duplicate])}", record=duplicate)
        box = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        n = box.shape[0]
        _check_boxes(box, "ground-truth")
        frame = _frame_index(all_frames, frames, "ground-truth")
        if frame.shape != (n,):
            raise InputError(f"{frame.size} frame ids for {n} ground-truth boxes")
        label = (
            _index_column(labels, n, "labels")
            if labels_are_indices
            else class_map.index_of(np.asarray(labels).reshape(-1))
        )
        if label.shape != (n,):
            raise InputError(f"{label.size} labels for {n} ground-truth boxes")
        if n and ((label < 0).any() or (label >= len(class_map)).any()):
            raise InputError("label index out of range")
        area_array = (
            box[:, 2] * box[:, 3] if area is None else np.asarray(area, np.float64).reshape(-1)
        )
        if area_array.shape != (n,) or not np.isfinite(area_array).all():
            raise InputError("area must be one finite value per box")
        id_array = (
            np.arange(1, n + 1, dtype=np.int64)
            if ids is None
            else np.asarray(ids).astype(np.int64).reshape(-1)
        )
        duplicate = _first_duplicate(id_array)
        if duplicate is not None:
            raise InputError(f"duplicate annotation id {id_array[duplicate]}", record=duplicate)
        return cls(
            frame_ids=all_frames,
            classes=class_map,
            frame=frame,
            label=label,
            box=np.ascontiguousarray(box),
            area=area_array,
            iscrowd=np.zeros(n, bool) if iscrowd is None else np.asarray(iscrowd, bool).reshape(-1),
            ignore=np.zeros(n, bool) if ignore is None else np.asarray(ignore, bool).reshape(-1),
            ids=id_array,
        )


@dataclass(frozen=True, slots=True, eq=False)
class Predictions:
    """Predicted boxes with confidences, on the frames of a ``GroundTruth``."""

    frame: NDArray[np.int32]
    label: NDArray[np.int32]
    box: NDArray[np.float64]
    score: NDArray[np.float64]
    ids: NDArray[np.int64]
    # None when built: filled with the boxes' areas, so every existing constructor call
    # (which names the other columns only) keeps pycocotools' box-area default.
    area: NDArray[np.float64] = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.area is None:
            object.__setattr__(self, "area", self.box[:, 2] * self.box[:, 3])

    def __len__(self) -> int:
        return int(self.frame.size)

    @classmethod
    def from_arrays(
        cls,
        ground_truth: GroundTruth,
        *,
        frames: ArrayLike,
        labels: ArrayLike,
        boxes: ArrayLike,
        scores: ArrayLike | None = None,
        ids: ArrayLike | None = None,
        labels_are_indices: bool = False,
        areas: ArrayLike | None = None,
    ) -> Predictions:
        """Validated predictions from columns; missing scores count as 1.0, missing
        ``areas`` (what COCO's area ranges read) as ``width * height``."""
        box = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        n = box.shape[0]
        _check_boxes(box, "predicted")
        frame = _frame_index(ground_truth.frame_ids, frames, "prediction")
        if frame.shape != (n,):
            raise InputError(f"{frame.size} frame ids for {n} predicted boxes")
        classes = ground_truth.classes
        label = (
            _index_column(labels, n, "labels")
            if labels_are_indices
            else classes.index_of(np.asarray(labels).reshape(-1))
        )
        if label.shape != (n,):
            raise InputError(f"{label.size} labels for {n} predicted boxes")
        score = np.ones(n) if scores is None else np.asarray(scores, np.float64).reshape(-1)
        if score.shape != (n,):
            raise InputError(f"{score.size} scores for {n} predicted boxes")
        bad_score = ~((score >= 0.0) & (score <= 1.0))
        if bad_score.any():
            bad = int(np.flatnonzero(bad_score)[0])
            raise InputError(f"score {score[bad]} is not in [0, 1]", record=bad)
        id_array = (
            np.arange(1, n + 1, dtype=np.int64)
            if ids is None
            else np.asarray(ids).astype(np.int64).reshape(-1)
        )
        area = None
        if areas is not None:
            area = np.asarray(areas, np.float64).reshape(-1)
            if area.shape != (n,) or not np.isfinite(area).all():
                raise InputError(f"areas must be one finite value per prediction ({n})")
        return cls(
            frame=frame,
            label=label,
            box=np.ascontiguousarray(box),
            score=score,
            ids=id_array,
            area=area,  # type: ignore[arg-type]
        )
