"""COCO files split by image, or engine columns by frame, into partitions that evaluate
independently."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from numpy.typing import NDArray

from shoal.engine.detection.annotations import GroundTruth, Predictions
from shoal.errors import InputError

CocoInput = str | os.PathLike[str] | bytes | dict[str, Any] | list[Any]


@dataclass(frozen=True, slots=True)
class CocoPartition:
    """One partition: a COCO ground-truth dict holding some of the images (and every
    category), the results on those images, and each result's 1-based position in the
    whole results file (the prediction id the single-process reader gives it)."""

    ground_truth: dict[str, Any]
    results: list[dict[str, Any]]
    result_ids: NDArray[np.int64]


def _load(source: CocoInput, what: str) -> tuple[str, Any]:
    if isinstance(source, dict | list):
        return what, source
    if isinstance(source, bytes):
        return what, orjson.loads(source)
    path = Path(source)
    try:
        return str(path), orjson.loads(path.read_bytes())
    except OSError as error:
        raise InputError(f"cannot read the file: {error.strerror}", source=str(path)) from None
    except orjson.JSONDecodeError as error:
        raise InputError(f"not valid JSON: {error}", source=str(path)) from None


def split_coco(ground_truth: CocoInput, results: CocoInput, num_parts: int) -> list[CocoPartition]:
    """Split a COCO instances file and its results file by image into ``num_parts``
    partitions of consecutive images (in the file's image order), each result with its
    image. Every partition keeps all categories and the file's other keys, so each
    evaluates on the same classes. Fewer partitions come back when there are fewer
    images. Raises ``InputError`` for a result on an image the ground truth lacks."""
    if num_parts < 1:
        raise InputError(f"the number of partitions must be at least 1, got {num_parts}")
    gt_name, gt = _load(ground_truth, "ground truth")
    dt_name, dt = _load(results, "results")
    if not isinstance(gt, dict) or not isinstance(gt.get("images"), list):
        raise InputError('a COCO instances file needs an "images" list', source=gt_name)
    records = dt.get("annotations") if isinstance(dt, dict) else dt
    if not isinstance(records, list):
        raise InputError("a COCO results file holds a list of results", source=dt_name)
    images: list[dict[str, Any]] = gt["images"]
    part_of: dict[Any, int] = {}
    chunks = [c for c in np.array_split(np.arange(len(images)), num_parts) if c.size] or [
        np.arange(0)
    ]
    for part, chunk in enumerate(chunks):
        for index in chunk.tolist():
            image = images[index]
            if not isinstance(image, dict) or "id" not in image:
                raise InputError('missing "id"', source=gt_name, record=f"images[{index}]")
            part_of[image["id"]] = part
    annotations: list[list[dict[str, Any]]] = [[] for _ in chunks]
    for index, annotation in enumerate(gt.get("annotations") or []):
        try:
            annotations[part_of[annotation["image_id"]]].append(annotation)
        except (KeyError, TypeError):
            # The reader of the part names what is wrong with it: keep it where it reads.
            if not isinstance(annotation, dict) or "image_id" not in annotation:
                annotations[0].append(annotation)
            else:
                raise InputError(
                    f"image_id {annotation['image_id']!r} is not in images",
                    source=gt_name,
                    record=f"annotations[{index}]",
                ) from None
    parts_results: list[list[dict[str, Any]]] = [[] for _ in chunks]
    parts_ids: list[list[int]] = [[] for _ in chunks]
    for index, record in enumerate(records):
        try:
            part = part_of[record["image_id"]]
        except (KeyError, TypeError):
            if isinstance(record, dict) and "image_id" in record:
                raise InputError(
                    f"image_id {record['image_id']!r} is not in the ground truth's images",
                    source=dt_name,
                    record=index,
                ) from None
            raise InputError('a result needs an "image_id"', source=dt_name, record=index) from None
        parts_results[part].append(record)
        parts_ids[part].append(index + 1)
    others = {k: v for k, v in gt.items() if k not in ("images", "annotations")}
    return [
        CocoPartition(
            ground_truth={
                **others,
                "images": [images[i] for i in chunk.tolist()],
                "annotations": annotations[part],
            },
            results=parts_results[part],
            result_ids=np.asarray(parts_ids[part], dtype=np.int64),
        )
        for part, chunk in enumerate(chunks)
    ]


def split_columns(
    ground_truth: GroundTruth, predictions: Predictions, num_parts: int
) -> list[tuple[GroundTruth, Predictions]]:
    """Split engine columns (a store's, a reader's, your own) by frame into ``num_parts``
    partitions of consecutive frames, each with its boxes in their given order and the
    same classes; prediction and annotation ids are kept. Fewer partitions come back
    when there are fewer frames."""
    return [
        (gt, dt) for gt, dt, _, _ in split_columns_with_rows(ground_truth, predictions, num_parts)
    ]


def split_columns_with_rows(
    ground_truth: GroundTruth, predictions: Predictions, num_parts: int
) -> list[tuple[GroundTruth, Predictions, NDArray[np.int64], NDArray[np.int64]]]:
    """``split_columns``, each partition with its ground-truth and prediction rows in
    the whole columns (ascending)."""
    if num_parts < 1:
        raise InputError(f"the number of partitions must be at least 1, got {num_parts}")
    bounds = [
        (int(c[0]), int(c[-1]) + 1)
        for c in np.array_split(np.arange(ground_truth.num_frames), num_parts)
        if c.size
    ] or [(0, 0)]
    parts = []
    gt, dt = ground_truth, predictions
    for lo, hi in bounds:
        gt_rows = np.flatnonzero((gt.frame >= lo) & (gt.frame < hi)).astype(np.int64)
        dt_rows = np.flatnonzero((dt.frame >= lo) & (dt.frame < hi)).astype(np.int64)
        parts.append(
            (
                GroundTruth(
                    frame_ids=gt.frame_ids[lo:hi],
                    classes=gt.classes,
                    frame=(gt.frame[gt_rows] - lo).astype(np.int32),
                    label=gt.label[gt_rows],
                    box=gt.box[gt_rows],
                    area=gt.area[gt_rows],
                    iscrowd=gt.iscrowd[gt_rows],
                    ignore=gt.ignore[gt_rows],
                    ids=gt.ids[gt_rows],
                ),
                Predictions(
                    frame=(dt.frame[dt_rows] - lo).astype(np.int32),
                    label=dt.label[dt_rows],
                    box=dt.box[dt_rows],
                    score=dt.score[dt_rows],
                    ids=dt.ids[dt_rows],
                    area=dt.area[dt_rows],
                ),
                gt_rows,
                dt_rows,
            )
        )
    return parts
