"""Stored tables to the engine's inputs: the one place the store turns Parquet rows into
ground truth, predictions and classification columns (``shoal.tables`` defines the
tables; this module feeds them to the engine).

Geometry (:mod:`shoal.tables`): a detection inference set is matched on what both its
predictions and its dataset's labels carry, in this order: masks (``segm``, mask IoU),
keypoints (``keypoints``, OKS with the classes' keypoint schemas), polylines
(``polylines``) and points (``points``), else boxes (``bbox``). A row without the
geometry stands in with its box (masks: its polygons rasterised when it has them, else
the box as pycocotools' ``frBbox``;
points: the box's centre; keypoints: none labeled). Points and polylines match within a
tolerance of :data:`POINT_TOLERANCE` of their frame's diagonal
(:data:`POINT_TOLERANCE_PIXELS` when the frame's size is unknown): similarity
``max(0, 1 - distance / tolerance)`` (polylines: discrete Fréchet distance). A keypoint
label with no labeled keypoint is ignored, as COCOeval ignores ``num_keypoints == 0`` (a
label's ``num_keypoints`` attribute, kept from a COCO file, counts when it has one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from shoal.engine.classification import ClassificationEvaluation, evaluate_classifications
from shoal.engine.detection.annotations import Classes, GroundTruth, Predictions
from shoal.errors import InputError
from shoal.tables import (
    DatasetTables,
    InferenceTables,
    areas_are_boxes,
    keypoint_schemas,
    to_ground_truth,
    to_predictions,
)

if TYPE_CHECKING:
    from shoal.engine.detection.similarity import PairSimilarity

__all__ = [
    "GEOMETRY_INPUTS",
    "INPUT_COLUMNS",
    "classification_evaluation",
    "detection_inputs",
    "detection_similarity",
    "iou_type_of",
]

# The stored columns each task's evaluation reads, per table: reading only these from
# Parquet is several times quicker than reading whole tables.
INPUT_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "detection": {
        "frames": ("frame_id",),
        "labels": (
            "frame_id",
            "class_name",
            "x",
            "y",
            "width",
            "height",
            "area",
            "iscrowd",
            "ignore",
        ),
        "predictions": ("frame_id", "class_name", "x", "y", "width", "height", "confidence"),
    },
    "classification": {
        "frames": ("frame_id",),
        "labels": ("frame_id", "class_name"),
        "predictions": ("frame_id", "class_name", "confidence", "probabilities"),
    },
}


# The geometry columns the evaluation reads (polygons: for rows stored without their mask).
GEOMETRY_INPUTS = ("shape", "mask", "polygon", "keypoints", "points")
POINT_TOLERANCE = 0.02
POINT_TOLERANCE_PIXELS = 10.0


def _count(table: pa.Table, column: str) -> int:
    return 0 if column not in table.column_names else len(table) - table.column(column).null_count


def _shape_count(table: pa.Table, shape: str) -> int:
    if "shape" not in table.column_names:
        return 0
    return int(pc.sum(pc.equal(table.column("shape"), shape)).as_py() or 0)


def iou_type_of(labels: pa.Table, predictions: pa.Table) -> str:
    """What a detection evaluation matches on: the first geometry both tables carry
    (see the module doc)."""
    if any(_count(labels, c) for c in ("mask", "polygon")) and any(
        _count(predictions, c) for c in ("mask", "polygon")
    ):
        return "segm"
    if _count(labels, "keypoints") and _count(predictions, "keypoints"):
        return "keypoints"
    for shape, iou_type in (("polyline", "polylines"), ("point", "points")):
        if _shape_count(labels, shape) and _shape_count(predictions, shape):
            return iou_type
    return "bbox"


def _frame_sizes(frame: np.ndarray, frames: pa.Table) -> np.ndarray:
    """(rows, 2) height, width of each row's frame (``frame`` indexes ``frames``); -1
    when unknown."""
    sizes = np.stack(
        [
            np.asarray(pc.fill_null(frames.column(n), -1).to_numpy(zero_copy_only=False), np.int64)
            for n in ("height", "width")
        ],
        axis=1,
    )
    return sizes[frame] if len(sizes) else np.zeros((0, 2), np.int64)


def _masks(table: pa.Table, box: np.ndarray, sizes: np.ndarray, what: str) -> Any:
    """Each row's mask (a row without one: its box rasterised as ``frBbox`` does)."""
    from shoal.engine.masks.column import (
        concatenate_masks,
        masks_from_polygons,
        masks_from_strings,
    )

    present = np.zeros(len(table), bool)
    counts: list[str] = []
    heights = widths = np.zeros(0, np.int64)
    if "mask" in table.column_names:
        masks = table.column("mask").combine_chunks()
        present = np.asarray(masks.is_valid().to_numpy(zero_copy_only=False), bool)
        kept = masks.filter(pa.array(present))
        counts = kept.field("counts").to_pylist()
        heights = np.asarray(kept.field("height").to_numpy(zero_copy_only=False), np.int64)
        widths = np.asarray(kept.field("width").to_numpy(zero_copy_only=False), np.int64)
    missing = np.flatnonzero(~present)
    unsized = missing[sizes[missing, 0] < 0] if missing.size else missing
    if unsized.size:
        raise InputError(
            f"{what} {int(unsized[0]) + 1} has no mask and its frame no size to rasterise "
            "its box on (mask IoU needs every object's mask)",
            record=int(unsized[0]),
        )
    # A row without a mask: its polygons when it has them (predictions stored without
    # their frames' sizes), else its box's outline (pycocotools' frBbox).
    polygons = table.column("polygon").to_pylist() if "polygon" in table.column_names else None
    rings: list[list[float]] = []
    owner: list[int] = []
    for number, row in enumerate(missing.tolist()):
        own = polygons[row] if polygons is not None and polygons[row] else None
        if own is None:
            a, b, c, d = box[row].tolist()
            own = [[a, b, a, b + d, a + c, b + d, a + c, b]]
        rings += own
        owner += [number] * len(own)
    with_masks = masks_from_strings(counts, heights, widths)
    from_boxes = masks_from_polygons(
        rings, np.asarray(owner, np.int64), missing.size, sizes[missing, 0], sizes[missing, 1]
    )
    order = np.concatenate([np.flatnonzero(present), missing])
    position = np.empty(len(table), np.int64)
    position[order] = np.arange(len(table))
    return concatenate_masks([with_masks, from_boxes]).take(position)


def _centres(box: np.ndarray) -> list[list[float]]:
    return [[x + w / 2, y + h / 2] for x, y, w, h in box.tolist()]


def _point_lists(table: pa.Table, column: str, fill: list[list[float]]) -> list[list[float]]:
    values = (
        table.column(column).to_pylist() if column in table.column_names else [None] * len(table)
    )
    return [v if v is not None else f for v, f in zip(values, fill, strict=True)]


def detection_similarity(
    ground_truth: GroundTruth,
    predictions: Predictions,
    frames: pa.Table,
    labels: pa.Table,
    predicted: pa.Table,
) -> tuple[GroundTruth, Predictions, PairSimilarity | None]:
    """The similarity a detection evaluation matches with (None: boxes) and the inputs
    it needs (predictions' areas of masks; keypoint labels without a labeled keypoint
    ignored). ``labels`` / ``predicted`` hold the geometry columns (and ``labels`` the
    keypoint schemas in its metadata); ``frames`` ``frame_id``, ``width``, ``height``."""
    iou_type = iou_type_of(labels, predicted)
    if iou_type == "bbox":
        return ground_truth, predictions, None
    gt_sizes = _frame_sizes(ground_truth.frame, frames)
    dt_sizes = _frame_sizes(predictions.frame, frames)
    if iou_type == "segm":
        from shoal.engine.masks import MaskSimilarity

        gt_masks = _masks(labels, ground_truth.box, gt_sizes, "label")
        dt_masks = _masks(predicted, predictions.box, dt_sizes, "prediction")
        if not areas_are_boxes(predicted):
            predictions = replace(predictions, area=dt_masks.area.astype(np.float64))
        return ground_truth, predictions, MaskSimilarity(gt_masks, dt_masks, ground_truth.iscrowd)
    if iou_type == "keypoints":
        return _keypoints(ground_truth, predictions, labels, predicted)
    from shoal.engine.keypoints import PointSimilarity, PolylineSimilarity, diagonal_tolerance

    gt_points = _point_lists(labels, "points", _centres(ground_truth.box))
    dt_points = _point_lists(predicted, "points", _centres(predictions.box))
    tolerance = np.where(
        gt_sizes[:, 0] > 0,
        diagonal_tolerance(POINT_TOLERANCE, gt_sizes[:, 1], gt_sizes[:, 0]),
        POINT_TOLERANCE_PIXELS,
    )
    if iou_type == "points":
        similarity: PairSimilarity = PointSimilarity(gt_points, dt_points, tolerance)
    else:
        similarity = PolylineSimilarity(gt_points, dt_points, tolerance)
    return ground_truth, predictions, similarity


def _keypoints(
    ground_truth: GroundTruth, predictions: Predictions, labels: pa.Table, predicted: pa.Table
) -> tuple[GroundTruth, Predictions, PairSimilarity]:
    from shoal.engine.keypoints import KeypointSchema, KeypointSimilarity

    kept = keypoint_schemas(labels)
    gt_values = labels.column("keypoints").to_pylist()
    dt_values = predicted.column("keypoints").to_pylist()
    schemas = []
    for index, name in enumerate(ground_truth.classes.names.tolist()):
        if name in kept:
            schemas.append(kept[name])
            continue
        # A class without a kept schema: as many keypoints as its first labeled row.
        rows = np.flatnonzero(ground_truth.label == index)
        first = next((gt_values[r] for r in rows.tolist() if gt_values[r] is not None), None)
        schemas.append(KeypointSchema.numbered(len(first) // 3 if first else 0))
    counts = np.asarray([3 * len(s) for s in schemas], np.int64)

    def filled(values: list[Any], label: np.ndarray) -> list[Any]:
        return [
            v if v is not None else [0.0] * int(counts[c])
            for v, c in zip(values, label.tolist(), strict=True)
        ]

    gt_lists = filled(gt_values, ground_truth.label)
    labeled = np.asarray([sum(1 for v in row[2::3] if v > 0) for row in gt_lists], np.int64)
    # A COCO file's num_keypoints, where a label keeps one, is what COCOeval reads.
    if "attributes" in labels.column_names:
        for row, text in enumerate(labels.column("attributes").to_pylist()):
            if text and "num_keypoints" in text:
                given = orjson.loads(text).get("num_keypoints")
                if isinstance(given, int | float) and not isinstance(given, bool):
                    labeled[row] = int(given)
    # COCOeval ignores a ground truth with num_keypoints == 0.
    ground_truth = replace(ground_truth, ignore=ground_truth.ignore | (labeled == 0))
    similarity = KeypointSimilarity(
        ground_truth, predictions, gt_lists, filled(dt_values, predictions.label), schemas
    )
    return ground_truth, predictions, similarity


def detection_inputs(
    classes: Classes,
    ignored_classes: Sequence[str],
    frames: pa.Table,
    labels: pa.Table,
    predictions: pa.Table,
) -> tuple[GroundTruth, Predictions]:
    """The engine's ground truth and predictions for a stored dataset and inference set
    (``ignored_classes``' labels count as ignored ground truth)."""
    tables = DatasetTables(frames, labels, pa.table({}))
    ground_truth = to_ground_truth(tables, classes, ignored_classes=ignored_classes)
    return ground_truth, to_predictions(InferenceTables(predictions, pa.table({})), ground_truth)


def classification_evaluation(
    class_names: Sequence[str], frames: pa.Table, labels: pa.Table, predictions: pa.Table
) -> ClassificationEvaluation:
    """The engine's evaluation of a stored classification inference set: one label and
    one prediction per labelled frame, in the dataset's frame order."""
    names = list(class_names)
    truth = dict(
        zip(
            labels.column("frame_id").to_pylist(),
            labels.column("class_name").to_pylist(),
            strict=True,
        )
    )
    frame_ids = [f for f in frames.column("frame_id").to_pylist() if f in truth]
    by_frame = {f: i for i, f in enumerate(predictions.column("frame_id").to_pylist())}
    missing = [f for f in frame_ids if f not in by_frame]
    if missing:
        raise InputError(f"the inference set has no prediction for frame {missing[0]!r}")
    rows = np.asarray([by_frame[f] for f in frame_ids], dtype=np.int64)
    predicted = np.asarray(predictions.column("class_name").to_pylist(), dtype=object)[rows]
    confidence = np.asarray(predictions.column("confidence").to_numpy(zero_copy_only=False))[rows]
    probabilities = predictions.column("probabilities").to_pylist()
    scores = None
    if all(p is not None for p in probabilities) and probabilities:
        scores = np.asarray(probabilities, dtype=np.float64)[rows]
        if scores.shape[1] != len(names):
            raise InputError(
                f"probabilities have {scores.shape[1]} entries for {len(names)} classes"
            )
    return evaluate_classifications(
        [truth[f] for f in frame_ids],
        predicted.tolist(),
        scores=scores,
        confidences=confidence,
        labels=names,
        frame_ids=frame_ids,
    )
