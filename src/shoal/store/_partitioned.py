"""An inference set's matching in partitions of its dataset's frames, in-process or as
Ray tasks that read their own rows of the stored Parquet files (``shoal.distributed``),
kept in the store exactly as a matching in one process is."""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING

from shoal._types import Progress
from shoal.engine.detection.annotations import Classes
from shoal.engine.detection.evaluator import QUERY_IOU_FLOOR, DetectionEvaluation
from shoal.errors import InputError
from shoal.store._conversion import INPUT_COLUMNS, detection_inputs, iou_type_of
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
    geometry = _stored_geometry(store, dataset_object, set_object)
    if geometry is not None and iou_type_of(geometry[1], geometry[2]) != "bbox":
        # Partition tasks match boxes; a set with masks or keypoints is matched on them.
        raise InputError(
            f"inference set {inference_set.name!r} carries masks, keypoints, polylines or "
            "points: its matching runs in one process (inference_set.evaluate())"
        )
    frames = store.read_table(dataset_object, "frames.parquet", needed["frames"])
    labels = store.read_table(dataset_object, "labels.parquet", needed["labels"])
    predictions = store.read_table(set_object, "predictions.parquet", needed["predictions"])
    classes = Classes.from_ids([c.id for c in infos], [c.name for c in infos])
    ignored = sorted(c.name for c in infos if c.ignore)
    to_inputs = functools.partial(detection_inputs, classes, ignored)
    dataset_folder = store.home.object_path(dataset_object)
    evaluation = evaluate_parquet(
        dataset_folder / "frames.parquet",
        dataset_folder / "labels.parquet",
        store.home.object_path(set_object) / "predictions.parquet",
        to_inputs,
        partitions,
        executor="local" if ray is None else "ray",
        address=ray,
        columns=needed,
        inputs=to_inputs(frames, labels, predictions),
        confusion_floor=QUERY_IOU_FLOOR,
        progress=progress,
    )
    assert isinstance(evaluation, DetectionEvaluation)
    # The key build_evaluation looks its kept matching up by (the default IoU grid).
    grid = json.dumps({"iou": [], "ignored": ignored, "classes": [c.name for c in infos]})
    _keep(store, inference_set.id, grid, evaluation, pinned.objects)
    return store.evaluations.put(pinned, evaluation).evaluation
