"""Each partition matched on its own, in-process or as a Ray task; merged on the driver."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any, Literal, TypeVar

import numpy as np
import orjson
import pyarrow.parquet as pq
from numpy.typing import ArrayLike, NDArray

from shoal._evaluate import GroundTruthSource, IouType, PredictionsSource, evaluate_detections
from shoal._types import Progress
from shoal.distributed._parquet import (
    Inputs,
    ParquetPartition,
    ToInputs,
    match_columns,
    match_partition,
    merge_in_file_order,
    split_parquet,
)
from shoal.distributed._partitions import CocoInput, split_coco, split_columns_with_rows
from shoal.engine.detection.annotations import GroundTruth, Predictions
from shoal.engine.detection.evaluator import DetectionEvaluation, Protocol
from shoal.engine.detection.similarity import PairSimilarity
from shoal.errors import InputError, ShoalError
from shoal.formats.coco import read_coco_detections

Executor = Literal["local", "ray"]

# What a partition's task sends back: its columns and its kept matchings (plain arrays,
# cheap to serialize), not the evaluation object with its caches.
_PartResult = tuple[GroundTruth, Predictions, dict[str, NDArray[Any]], PairSimilarity | None]
T = TypeVar("T")


def _evaluate_partition(
    ground_truth: GroundTruthSource, predictions: PredictionsSource, options: dict[str, Any]
) -> _PartResult:
    evaluation = evaluate_detections(ground_truth, predictions, **options)
    # The similarity (masks, keypoints) comes back too: queries below the kept
    # candidates measure pairs with it.
    return (
        evaluation.ground_truth,
        evaluation.predictions,
        evaluation.kept_state(),
        evaluation.similarity,
    )


def _run_local(
    function: Callable[..., T], tasks: Sequence[tuple[Any, ...]], progress: Progress | None
) -> list[T]:
    done: list[T] = []
    for arguments in tasks:
        done.append(function(*arguments))
        if progress is not None:
            progress(len(done), len(tasks))
    return done


@contextlib.contextmanager
def _ray_session(address: str | None) -> Iterator[Any]:
    """Ray, initialized: the program's own if it called ``ray.init``, else one joined
    (or started) for this call and shut down after it."""
    try:
        import ray
    except ImportError:
        raise ShoalError(
            "executor='ray' needs Ray: pip install 'shoal[ray]' (or use executor='local')"
        ) from None
    if ray.is_initialized():
        yield ray
        return
    # "auto" joins the cluster this machine belongs to; None does that too when there
    # is one, else starts a local Ray for this call.
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    except ConnectionError as error:
        raise ShoalError(f"cannot reach a Ray cluster at {address!r}: {error}") from None
    try:
        yield ray
    finally:
        ray.shutdown()


def _run_ray(
    ray: Any,
    function: Callable[..., T],
    tasks: Sequence[tuple[Any, ...]],
    progress: Progress | None,
) -> list[T]:
    remote = ray.remote(function)
    refs = [remote.remote(*arguments) for arguments in tasks]
    if isinstance(tasks, list):
        # Submitted arguments are in Ray's object store now: the driver's copies can go.
        tasks.clear()
    pending, finished = list(refs), 0
    while pending:
        ready, pending = ray.wait(pending, num_returns=1)
        finished += len(ready)
        if progress is not None:
            progress(finished, len(refs))
    try:
        return list(ray.get(refs))
    except ray.exceptions.RayTaskError as error:
        # A partition's bad input reads as it does in-process, not as a Ray traceback.
        if isinstance(error.cause, ShoalError):
            raise error.cause from None
        raise


def _check_executor(executor: str) -> None:
    if executor not in ("local", "ray"):
        raise InputError(f"unknown executor {executor!r}; use 'local' or 'ray'")


def _options(
    iou_thresholds: ArrayLike | None,
    protocol: Protocol,
    pixel_inclusive: bool,
    ignore_flag: bool,
    confusion_floor: float | None,
    iou_type: IouType,
) -> dict[str, Any]:
    return {
        "iou_type": iou_type,
        "iou_thresholds": iou_thresholds,
        "protocol": protocol,
        "pixel_inclusive": pixel_inclusive,
        "ignore_flag": ignore_flag,
        "confusion_floor": confusion_floor,
    }


def evaluate(
    ground_truth_parts: Sequence[GroundTruthSource],
    prediction_parts: Sequence[PredictionsSource],
    *,
    executor: Executor = "local",
    address: str | None = None,
    iou_thresholds: ArrayLike | None = None,
    protocol: Protocol = "coco",
    pixel_inclusive: bool = False,
    ignore_flag: bool = False,
    confusion_floor: float | None = None,
    iou_type: IouType = "bbox",
    progress: Progress | None = None,
) -> DetectionEvaluation:
    """The evaluation of the union of disjoint frame partitions, equal to evaluating the
    union in one process.

    ``ground_truth_parts[i]`` and ``prediction_parts[i]`` are one partition, in any form
    :func:`shoal.evaluate_detections` takes (COCO files or dicts, tables, columns); the
    partitions must not share a frame and must have the same categories. Each partition is
    matched as a Ray task with ``executor="ray"`` (on the cluster at ``address``:
    ``"auto"`` for the one this machine belongs to, ``"ray://host:10001"`` for a remote
    one, None for ``ray.init()``'s choice; an initialized Ray is used as it is), or one
    after the other in-process with ``executor="local"``. The kept matchings are merged
    on the driver; every query of the result re-thresholds from them as usual. The other
    options are :func:`shoal.evaluate_detections`' (``iou_type="segm"`` or
    ``"keypoints"``: each task reads its partition's masks or keypoints and matches on
    them; its similarity comes back with its matchings); ``progress(done, total)``
    counts finished partitions.
    """
    if len(ground_truth_parts) != len(prediction_parts):
        raise InputError(
            f"{len(ground_truth_parts)} ground-truth partitions but "
            f"{len(prediction_parts)} prediction partitions; give one of each per partition"
        )
    if not ground_truth_parts:
        raise InputError("evaluate() needs at least one partition")
    _check_executor(executor)
    options = _options(
        iou_thresholds, protocol, pixel_inclusive, ignore_flag, confusion_floor, iou_type
    )
    tasks = [(gt, dt, options) for gt, dt in zip(ground_truth_parts, prediction_parts, strict=True)]
    if executor == "local":
        return _merge(_run_local(_evaluate_partition, tasks, progress))
    with _ray_session(address) as ray:
        return _merge(_run_ray(ray, _evaluate_partition, tasks, progress))


def _merge(
    results: Sequence[_PartResult], prediction_ids: Sequence[NDArray[np.int64]] | None = None
) -> DetectionEvaluation:
    parts = []
    for index, (ground_truth, predictions, state, similarity) in enumerate(results):
        if prediction_ids is not None:
            predictions = replace(predictions, ids=prediction_ids[index])
        parts.append(
            DetectionEvaluation.from_kept_state(
                ground_truth, predictions, state, similarity=similarity
            )
        )
    return DetectionEvaluation.merge_all(parts)


def evaluate_coco(
    ground_truth: CocoInput,
    results: CocoInput,
    num_parts: int | None = None,
    *,
    executor: Executor = "local",
    address: str | None = None,
    iou_thresholds: ArrayLike | None = None,
    protocol: Protocol = "coco",
    pixel_inclusive: bool = False,
    ignore_flag: bool = False,
    confusion_floor: float | None = None,
    iou_type: IouType = "bbox",
    progress: Progress | None = None,
) -> DetectionEvaluation:
    """A COCO instances file and its results file, split by image into ``num_parts``
    partitions of consecutive images (by default one per CPU of the Ray cluster, or one
    in-process), each matched as a task, merged on the driver.

    Boxes (``iou_type="bbox"``): the driver reads both files once with Shoal's native
    reader (no Python object per record), splits the columns by image
    (:func:`split_columns`) and sends each task its partition's columns; the kept
    matchings are put back at the files' rows, so the result equals the single-process
    evaluation array for array (its rows in file order, prediction ids the results'
    1-based file positions). Masks and keypoints: the files are split as JSON
    (:func:`split_coco`) and each task reads its partition's geometry, as
    :func:`evaluate` does."""
    _check_executor(executor)
    if num_parts is not None and num_parts < 1:
        raise InputError(f"the number of partitions must be at least 1, got {num_parts}")
    if iou_type != "bbox":
        return _evaluate_coco_geometry(
            ground_truth, results, num_parts, executor, address, progress,
            _options(iou_thresholds, protocol, pixel_inclusive, ignore_flag, confusion_floor,
                     iou_type),
        )  # fmt: skip
    gt, dt = read_coco_detections(ground_truth, results, ignore_flag=ignore_flag)
    options = {
        "iou_thresholds": iou_thresholds,
        "protocol": protocol,
        "pixel_inclusive": pixel_inclusive,
        "confusion_floor": confusion_floor,
    }
    if executor == "local":
        pieces = split_columns_with_rows(gt, dt, num_parts or 1)
        tasks: list[tuple[Any, ...]] = [(g, d, options) for g, d, _, _ in pieces]
        states = _run_local(match_columns, tasks, progress)
    else:
        with _ray_session(address) as ray:
            if num_parts is None:
                num_parts = max(int(ray.cluster_resources().get("CPU", 1)), 1)
            pieces = split_columns_with_rows(gt, dt, num_parts)
            tasks = [(g, d, options) for g, d, _, _ in pieces]
            rows = [(gt_rows, dt_rows) for _, _, gt_rows, dt_rows in pieces]
            del pieces  # the partitions' columns: held by ``tasks`` until submitted
            states = _run_ray(ray, match_columns, tasks, progress)
            return merge_in_file_order(states, [r[0] for r in rows], [r[1] for r in rows], gt, dt)
    return merge_in_file_order(states, [p[2] for p in pieces], [p[3] for p in pieces], gt, dt)


def _evaluate_coco_geometry(
    ground_truth: CocoInput,
    results: CocoInput,
    num_parts: int | None,
    executor: Executor,
    address: str | None,
    progress: Progress | None,
    options: dict[str, Any],
) -> DetectionEvaluation:
    """Masks or keypoints: partitions of the files as JSON, read by their tasks."""
    if executor == "local":
        partitions = split_coco(ground_truth, results, num_parts or 1)
        tasks: list[tuple[Any, ...]] = [(p.ground_truth, p.results, options) for p in partitions]
        parts = _run_local(_evaluate_partition, tasks, progress)
    else:
        with _ray_session(address) as ray:
            if num_parts is None:
                num_parts = max(int(ray.cluster_resources().get("CPU", 1)), 1)
            partitions = split_coco(ground_truth, results, num_parts)
            # As JSON bytes: cheaper to ship than Python objects, and read by the
            # workers' native COCO reader rather than walked as dicts.
            tasks = [
                (orjson.dumps(p.ground_truth), orjson.dumps(p.results), options) for p in partitions
            ]
            parts = _run_ray(ray, _evaluate_partition, tasks, progress)
    return _merge(parts, [p.result_ids for p in partitions])


def evaluate_parquet(
    frames: str | os.PathLike[str],
    labels: str | os.PathLike[str],
    predictions: str | os.PathLike[str],
    to_inputs: ToInputs,
    num_parts: int | None = None,
    *,
    executor: Executor = "local",
    address: str | None = None,
    columns: Mapping[str, Sequence[str]] | None = None,
    inputs: Inputs | None = None,
    iou_thresholds: ArrayLike | None = None,
    protocol: Protocol = "coco",
    pixel_inclusive: bool = False,
    confusion_floor: float | None = None,
    progress: Progress | None = None,
) -> DetectionEvaluation:
    """A stored dataset's detection evaluation, matched in partitions whose tasks read
    their own rows of the Parquet files.

    ``frames``, ``labels`` and ``predictions`` are Parquet files of ``shoal.tables``'
    schema (a store's objects: every node must see them at these paths); they are split
    by frame with :func:`split_parquet` (``num_parts`` by default one per CPU of the Ray
    cluster, one in-process) and each task reads only the row groups holding its rows
    (``columns`` of each file), turns them into engine columns with
    ``to_inputs(frames, labels, predictions)`` (a picklable function keeping one engine
    row per table row, in order; it may return a third item, the ``PairSimilarity`` to
    match with: masks, keypoints...) and matches them with the engine's ``evaluate`` and
    these options. The driver puts every partition's kept matchings back at their rows:
    the result is the evaluation of ``inputs`` (the whole files' engine columns; read
    with ``to_inputs`` when None), equal array for array to matching them in one process.
    """
    _check_executor(executor)
    if num_parts is not None and num_parts < 1:
        raise InputError(f"the number of partitions must be at least 1, got {num_parts}")
    options = {
        "iou_thresholds": iou_thresholds,
        "protocol": protocol,
        "pixel_inclusive": pixel_inclusive,
        "confusion_floor": confusion_floor,
    }

    def split(count: int) -> list[ParquetPartition]:
        return split_parquet(frames, labels, predictions, count, columns=columns)

    if executor == "local":
        partitions = split(num_parts or 1)
        tasks = [(p, to_inputs, options) for p in partitions]
        states = _run_local(match_partition, tasks, progress)
    else:
        with _ray_session(address) as ray:
            if num_parts is None:
                num_parts = max(int(ray.cluster_resources().get("CPU", 1)), 1)
            partitions = split(num_parts)
            tasks = [(p, to_inputs, options) for p in partitions]
            states = _run_ray(ray, match_partition, tasks, progress)
    if inputs is None:
        inputs = to_inputs(
            *(pq.read_table(path, columns=_columns(columns, name)) for name, path in
              (("frames", frames), ("labels", labels), ("predictions", predictions)))
        )  # fmt: skip
    gt_rows = [p.labels.rows for p in partitions]
    dt_rows = [p.predictions.rows for p in partitions]
    similarity = inputs[2] if len(inputs) == 3 else None
    return merge_in_file_order(states, gt_rows, dt_rows, inputs[0], inputs[1], similarity)


def _columns(columns: Mapping[str, Sequence[str]] | None, name: str) -> list[str] | None:
    return None if columns is None else list(columns[name])
