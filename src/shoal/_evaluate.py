"""The front door: evaluate what users have (files, COCO objects, tables or columns).

This module turns user inputs into the engine's columns and calls the engine; it holds
no metric logic of its own.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shoal._types import Progress
from shoal.engine.detection.annotations import GroundTruth, Predictions
from shoal.engine.detection.evaluator import DetectionEvaluation, Protocol, evaluate
from shoal.engine.detection.metrics import CocoParams
from shoal.engine.detection.similarity import PairSimilarity
from shoal.errors import InputError
from shoal.formats.coco import read_coco_detections, read_coco_ground_truth, read_coco_results

__all__ = ["evaluate_detections", "predictions_from_table"]

GroundTruthSource = GroundTruth | str | os.PathLike[str] | bytes | dict[str, Any]
PredictionsSource = Predictions | str | os.PathLike[str] | bytes | list[Any] | Any
IouType = Literal["bbox", "segm", "keypoints"]
IOU_TYPES: tuple[IouType, ...] = ("bbox", "segm", "keypoints")
# The COCO reader of each geometry but boxes (pycocotools' iouType names).
_GEOMETRY_READERS = {"segm": "read_coco_masks", "keypoints": "read_coco_keypoints"}


def evaluate_detections(
    ground_truth: GroundTruthSource,
    predictions: PredictionsSource,
    *,
    iou_thresholds: ArrayLike | None = None,
    protocol: Protocol = "coco",
    pixel_inclusive: bool = False,
    ignore_flag: bool = False,
    progress: Progress | None = None,
    confusion_floor: float | None = None,
    iou_type: IouType = "bbox",
    similarity: PairSimilarity | None = None,
    params: CocoParams | None = None,
) -> DetectionEvaluation:
    """Match predictions against ground truth once; query any operating point after.

    ``ground_truth``: a COCO instances file (path or bytes), its parsed dict, or a
    :class:`GroundTruth`. ``predictions``: a COCO results file, its parsed list, a
    table (pyarrow ``Table``, pandas ``DataFrame`` or a mapping of columns; see
    :func:`predictions_from_table`), or :class:`Predictions` built on ``ground_truth``.
    Predictions without a score count as 1.0.

    ``iou_thresholds`` adds IoU thresholds to COCO's ten (0.50:0.05:0.95); queries at
    those are instant, others are matched once on first use. ``protocol`` is ``"coco"``
    (pycocotools' rules) or ``"voc"`` (PASCAL VOC matching, all-point AP);
    ``pixel_inclusive`` uses the VOC devkit's "+1 pixel" box convention.
    ``ignore_flag=True`` honours COCO ``ignore`` flags in a ground-truth file (by default
    they do not count, as in pycocotools). ``progress(done, total)`` is called while
    large files load. ``confusion_floor`` keeps class-confusion candidates down to that
    IoU (the store uses ``shoal.engine.detection.evaluator.QUERY_IOU_FLOOR``, 0.05), so
    that the first query at a new IoU below 0.5 is as fast as one above it (at the cost
    of some matching time and memory).

    ``iou_type`` (pycocotools' names): ``"bbox"`` matches boxes; ``"segm"`` reads both
    COCO files' masks (``shoal.formats.coco.read_coco_masks``) and matches on mask IoU;
    ``"keypoints"`` reads keypoints (``read_coco_keypoints``) and matches on OKS, with
    the keypoint protocol's area ranges, maxDets 20 and 10 statistics. Those two take
    COCO files (paths, bytes or parsed JSON). For columns you built, pass
    ``similarity`` (a ``PairSimilarity``) and ``params`` (``CocoParams``) instead.
    """
    if iou_type != "bbox":
        if similarity is not None:
            raise InputError(f"iou_type={iou_type!r} builds its own similarity; give one of them")
        return _evaluate_geometry(
            ground_truth, predictions, iou_type, iou_thresholds=iou_thresholds,
            protocol=protocol, pixel_inclusive=pixel_inclusive, ignore_flag=ignore_flag,
            progress=progress, confusion_floor=confusion_floor, params=params,
        )  # fmt: skip
    coco_results = isinstance(predictions, str | os.PathLike | bytes | list) or (
        isinstance(predictions, dict) and "annotations" in predictions
    )
    gt: GroundTruth
    dt: Predictions
    if isinstance(ground_truth, GroundTruth):
        gt = ground_truth
        if isinstance(predictions, Predictions):
            dt = predictions
        elif coco_results:
            dt = read_coco_results(predictions, gt, progress=progress)
        else:
            dt = predictions_from_table(predictions, gt)
    elif coco_results and isinstance(predictions, str | os.PathLike | bytes | list | dict):
        # Two COCO files: read at the same time, on two threads.
        gt, dt = read_coco_detections(
            ground_truth, predictions, ignore_flag=ignore_flag, progress=progress
        )
    else:
        gt = read_coco_ground_truth(ground_truth, ignore_flag=ignore_flag, progress=progress)
        dt = (
            predictions
            if isinstance(predictions, Predictions)
            else predictions_from_table(predictions, gt)
        )
    return evaluate(
        gt,
        dt,
        iou_thresholds=iou_thresholds,
        protocol=protocol,
        pixel_inclusive=pixel_inclusive,
        confusion_floor=confusion_floor,
        similarity=similarity,
        params=params,
    )


def _evaluate_geometry(
    ground_truth: GroundTruthSource,
    predictions: PredictionsSource,
    iou_type: str,
    *,
    iou_thresholds: ArrayLike | None,
    protocol: Protocol,
    pixel_inclusive: bool,
    ignore_flag: bool,
    progress: Progress | None,
    confusion_floor: float | None,
    params: CocoParams | None,
) -> DetectionEvaluation:
    """A segm or keypoints evaluation of two COCO files, through that geometry's reader."""
    reader_name = _GEOMETRY_READERS.get(iou_type)
    if reader_name is None:
        raise InputError(
            f"unknown iou_type {iou_type!r}; use one of {', '.join(repr(t) for t in IOU_TYPES)}"
        )
    coco_source = (str, os.PathLike, bytes, dict, list)
    if not isinstance(ground_truth, coco_source) or not isinstance(predictions, coco_source):
        raise InputError(
            f"iou_type={iou_type!r} reads COCO files (paths, bytes or parsed JSON); for "
            "GroundTruth and Predictions columns pass similarity= and params= instead"
        )
    coco = importlib.import_module("shoal.formats.coco")
    try:
        reader = getattr(coco, reader_name)
    except AttributeError:
        raise InputError(
            f"iou_type={iou_type!r} needs shoal.formats.coco.{reader_name}, which this "
            "version of Shoal does not have yet"
        ) from None
    gt, dt, similarity = reader(
        ground_truth, predictions, ignore_flag=ignore_flag, progress=progress
    )
    return evaluate(
        gt,
        dt,
        iou_thresholds=iou_thresholds,
        protocol=protocol,
        pixel_inclusive=pixel_inclusive,
        confusion_floor=confusion_floor,
        similarity=similarity,
        params=params if params is not None else CocoParams.for_iou_type(iou_type),
    )


def _column(table: Any, name: str) -> NDArray[Any] | None:
    """One column of a pyarrow Table, pandas DataFrame or mapping, as NumPy (None if absent)."""
    names = getattr(table, "column_names", None)
    if names is not None:  # pyarrow.Table
        if name not in names:
            return None
        column = table.column(name).combine_chunks()
        if hasattr(column, "flatten") and str(column.type).startswith(("list", "fixed_size_list")):
            lengths = np.asarray(column.value_lengths().to_numpy(zero_copy_only=False))
            if (lengths != 4).any():
                bad = int(np.flatnonzero(lengths != 4)[0])
                raise InputError(f"{name} must hold 4 numbers per row", record=bad)
            return np.asarray(column.flatten().to_numpy(zero_copy_only=False)).reshape(-1, 4)
        return np.asarray(column.to_numpy(zero_copy_only=False))
    if isinstance(table, Mapping) or hasattr(table, "columns"):
        try:
            values = table[name]
        except (KeyError, IndexError):
            return None
        array = np.asarray(values.to_numpy() if hasattr(values, "to_numpy") else values)
        if array.dtype == object and array.size and np.ndim(array[0]) == 1:
            array = np.asarray(array.tolist(), dtype=np.float64)
        return array
    raise InputError(
        f"cannot read predictions from a {type(table).__name__}; give a COCO results file, "
        "a list of COCO records, a table of columns, or shoal.Predictions"
    )


def predictions_from_table(table: Any, ground_truth: GroundTruth) -> Predictions:
    """Predictions from columns: ``image_id``, ``category_id``, ``score`` (optional) and
    either ``bbox`` (x, y, width, height per row) or ``x``, ``y``, ``width``, ``height``."""
    frames, labels = _column(table, "image_id"), _column(table, "category_id")
    if frames is None or labels is None:
        missing = "image_id" if frames is None else "category_id"
        raise InputError(f"the predictions table has no {missing!r} column")
    bbox = _column(table, "bbox")
    if bbox is None:
        parts = [_column(table, name) for name in ("x", "y", "width", "height")]
        if any(p is None for p in parts):
            raise InputError("the predictions table needs a 'bbox' column or x, y, width, height")
        bbox = np.stack([np.asarray(p, dtype=np.float64) for p in parts], axis=1)
    return Predictions.from_arrays(
        ground_truth,
        frames=frames,
        labels=labels,
        boxes=np.asarray(bbox, dtype=np.float64),
        scores=_column(table, "score"),
        ids=_column(table, "id"),
    )
