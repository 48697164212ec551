"""An inference set's matching in partitions of its dataset's frames, in-process or as
Ray tasks that read their own rows of the stored Parquet files (``shoal.distributed``),
kept in the store exactly as a matching in one process is."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from shoal._types import Progress
from shoal.engine.detection.annotations import Classes, GroundTruth, Predictions
from shoal.engine.detection.evaluator import QUERY_IOU_FLOOR, DetectionEvaluation
from shoal.engine.detection.similarity import PairSimilarity
from shoal.errors import InputError
from shoal.store._conversion import (
    GEOMETRY_INPUTS,
    INPUT_COLUMNS,
    detection_inputs,
    detection_similarity,
    iou_type_of,
)
from shoal.store._evaluations import StoredEvaluation, StoredVersions, _keep, _stored_geometry

if TYPE_CHECKING:
    from shoal.store._entities import InferenceSet

__all__ = ["evaluate_in_partitions"]


def evaluate_in_partitions(
    inference_set: InferenceSet,
    partitions: int | None = None,
    *,
    ray: str | None = None,
    progress: Progress | None = None,
) -> StoredEvaluation:
    """Match a detection inference set in partitions of its dataset's frames and keep
    the matching in the store; then return its evaluation, the store's cached one
    (``inference_set.evaluate()`` returns it after this), whose every query re-thresholds
    from the kept matching as after a matching in one process (the kept arrays are equal).

    ``ray``: the Ray cluster to run the partitions on as tasks (``"auto"``,
    ``"ray://HEAD:10001"``, ``"local"`` for a Ray started for this call; an initialized
    Ray is used as it is); None runs them one after the other in this process.
    ``partitions``: how many (default: one per CPU of the Ray cluster, else one). Every
    task reads its own rows of the store's Parquet files, so with a cluster the store's
    home must be on storage every node sees at the same path. A matching already kept
    is matched again (the new one replaces it)."""
    from shoal.distributed import evaluate_parquet  # Ray and the partition code on first use

    pinned = StoredVersions.read(inference_set)
    if pinned.task != "detection":
        raise InputError(
            f"inference set {inference_set.name!r} is of a {pinned.task} project: only "
            "detection matching runs in partitions (other tasks keep no matching)"
        )
    store, infos = inference_set.store, pinned.infos
    needed = INPUT_COLUMNS["detection"]
    set_object, dataset_object = pinned.objects
    classes = Classes.from_ids([c.id for c in infos], [c.name for c in infos])
    ignored = sorted(c.name for c in infos if c.ignore)
    geometry = _stored_geometry(store, dataset_object, set_object)
    iou_type = "bbox" if geometry is None else iou_type_of(geometry[1], geometry[2])
    columns = {name: tuple(needed[name]) for name in ("frames", "labels", "predictions")}
    if iou_type == "bbox":
        to_inputs: Any = functools.partial(detection_inputs, classes, ignored)
    else:
        # Masks, keypoints, polylines, points: each task reads its rows' geometry and
        # builds its own similarity, as the store does for the whole set.
        to_inputs = functools.partial(_geometry_inputs, classes, ignored, needed["frames"])
        columns["frames"] += ("width", "height")
        columns["labels"] += GEOMETRY_INPUTS
        columns["predictions"] += GEOMETRY_INPUTS
    frames, labels, predictions = (
        store.read_table(obj, f"{name}.parquet", columns[name])
        for obj, name in (
            (dataset_object, "frames"),
            (dataset_object, "labels"),
            (set_object, "predictions"),
        )
    )
    dataset_folder = store.home.object_path(dataset_object)
    evaluation = evaluate_parquet(
        dataset_folder / "frames.parquet",
        dataset_folder / "labels.parquet",
        store.home.object_path(set_object) / "predictions.parquet",
        to_inputs,
        partitions,
        executor="local" if ray is None else "ray",
        address=ray,
        columns=columns,
        inputs=to_inputs(frames, labels, predictions),
        confusion_floor=QUERY_IOU_FLOOR,
        progress=progress,
    )
    assert isinstance(evaluation, DetectionEvaluation)
    # The key build_evaluation looks its kept matching up by (the default IoU grid).
    key: dict[str, Any] = {"iou": [], "ignored": ignored, "classes": [c.name for c in infos]}
    if evaluation.similarity is not None:
        key["iou_type"] = evaluation.similarity.iou_type
    grid = json.dumps(key)
    _keep(store, inference_set.id, grid, evaluation, pinned.objects)
    return store.evaluations.put(pinned, evaluation).evaluation


def _geometry_inputs(
    classes: Classes,
    ignored: Sequence[str],
    frame_columns: Sequence[str],
    frames: pa.Table,
    labels: pa.Table,
    predictions: pa.Table,
) -> tuple[GroundTruth, Predictions, PairSimilarity | None]:
    """Engine columns and the similarity of stored rows with their geometry columns
    (frames with their sizes): the store's conversion, for a partition or the whole."""
    ground_truth, detections = detection_inputs(
        classes, ignored, frames.select(list(frame_columns)), labels, predictions
    )
    return detection_similarity(ground_truth, detections, frames, labels, predictions)
