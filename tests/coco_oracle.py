"""Run pycocotools on in-memory COCO data, and turn the same data into Shoal columns
and tables.

Tests use pycocotools as the oracle: whatever it says for a dataset, Shoal must say.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from shoal import COCO_STAT_NAMES
from shoal.engine.detection.annotations import Classes, GroundTruth, Predictions
from shoal.tables import DatasetTables, InferenceTables

# Shoal's names for pycocotools' 12 stats, in its order; test_detection_coco pins the
# order against pycocotools' own printout.
STAT_NAMES = COCO_STAT_NAMES


def pycocotools_eval(gt: dict[str, Any], dt: list[dict[str, Any]]) -> Any:
    """A finished pycocotools COCOeval (bbox) on copies of ``gt`` and ``dt``."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = copy.deepcopy(gt)
        coco_gt.createIndex()
        coco_dt = coco_gt.loadRes(copy.deepcopy(dt)) if dt else COCO()
        if not dt:
            coco_dt.dataset = {
                "images": gt["images"],
                "categories": gt["categories"],
                "annotations": [],
            }
            coco_dt.createIndex()
        evaluator = COCOeval(coco_gt, coco_dt, "bbox")
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return evaluator


def pycocotools_stats(gt: dict[str, Any], dt: list[dict[str, Any]]) -> dict[str, float]:
    return dict(zip(STAT_NAMES, pycocotools_eval(gt, dt).stats.tolist(), strict=True))


def to_columns(gt: dict[str, Any], dt: list[dict[str, Any]]) -> tuple[GroundTruth, Predictions]:
    """Shoal's columns for a COCO ground-truth dict and results list (pycocotools' view:
    images sorted by id, ``ignore`` overwritten by ``iscrowd``)."""
    categories = sorted(gt["categories"], key=lambda c: c["id"])
    classes = Classes.from_ids(
        [c["id"] for c in categories], [c.get("name", str(c["id"])) for c in categories]
    )
    anns = gt["annotations"]
    ground_truth = GroundTruth.from_arrays(
        frame_ids=sorted(img["id"] for img in gt["images"]),
        classes=classes,
        frames=[a["image_id"] for a in anns],
        labels=[a["category_id"] for a in anns],
        boxes=np.array([a["bbox"] for a in anns], dtype=np.float64).reshape(-1, 4),
        area=[a["area"] for a in anns],
        iscrowd=[bool(a.get("iscrowd", 0)) for a in anns],
        ids=[a["id"] for a in anns],
    )
    predictions = Predictions.from_arrays(
        ground_truth,
        frames=[d["image_id"] for d in dt],
        labels=[d["category_id"] for d in dt],
        boxes=np.array([d["bbox"] for d in dt], dtype=np.float64).reshape(-1, 4),
        scores=[d.get("score", 1.0) for d in dt],
        ids=[d.get("id", i + 1) for i, d in enumerate(dt)],
    )
    return ground_truth, predictions


def _box_columns(records: list[dict[str, Any]]) -> dict[str, list[float]]:
    """``x``, ``y``, ``width``, ``height`` columns of COCO records' ``bbox``."""
    return {
        name: [float(r["bbox"][i]) for r in records]
        for i, name in enumerate(("x", "y", "width", "height"))
    }


def coco_tables(
    gt: dict[str, Any], dt: list[dict[str, Any]]
) -> tuple[DatasetTables, InferenceTables]:
    """Shoal tables for a COCO dict and results list (string ids, names as classes; a
    frame has a "weather" metadata column), built column by column, not by Shoal's
    COCO reader."""
    names = {c["id"]: c["name"] for c in gt["categories"]}
    frames = pa.table(
        {
            "frame_id": [str(i["id"]) for i in gt["images"]],
            "width": [i.get("width", 640) for i in gt["images"]],
            "height": [i.get("height", 480) for i in gt["images"]],
            "weather": ["rain" if i["id"] % 3 == 0 else "sun" for i in gt["images"]],
        }
    )
    anns = gt["annotations"]
    labels = pa.table(
        {
            "label_id": [str(a["id"]) for a in anns],
            "frame_id": [str(a["image_id"]) for a in anns],
            "class_name": [names[a["category_id"]] for a in anns],
            **_box_columns(anns),
            "area": [float(a["area"]) for a in anns],
            "iscrowd": [bool(a["iscrowd"]) for a in anns],
        }
    )
    predictions = pa.table(
        {
            "frame_id": [str(d["image_id"]) for d in dt],
            "class_name": [names[d["category_id"]] for d in dt],
            **_box_columns(dt),
            "confidence": [float(d["score"]) for d in dt],
        }
    )
    dataset = DatasetTables.build(frames, labels)
    return dataset, InferenceTables.build(predictions, frame_ids=dataset.frames.column("frame_id"))


def coco_sample(
    *, seed: int, num_images: int
) -> tuple[dict[str, Any], list[dict[str, Any]], DatasetTables, InferenceTables]:
    """A :func:`random_coco` dataset and results, and their :func:`coco_tables`."""
    gt, dt = random_coco(np.random.default_rng(seed), num_images=num_images)
    return gt, dt, *coco_tables(gt, dt)


def write_coco_sample(
    folder: Path, *, seed: int, num_images: int, results_file: str
) -> tuple[dict[str, Any], list[dict[str, Any]], Path]:
    """A :func:`random_coco` dataset written to ``folder/gt.json`` and its results to
    ``folder/results_file``; returns both and the folder."""
    gt, dt = random_coco(np.random.default_rng(seed), num_images=num_images)
    (folder / "gt.json").write_text(json.dumps(gt))
    (folder / results_file).write_text(json.dumps(dt))
    return gt, dt, folder


def random_coco(
    rng: np.random.Generator,
    *,
    num_images: int = 12,
    num_classes: int = 4,
    max_gt: int = 8,
    max_dt: int = 30,
    crowd_rate: float = 0.08,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A small random COCO dataset and results list full of edge cases.

    Images without ground truth or predictions, classes without ground truth, crowds,
    tied scores, zero-area boxes, boxes that nearly coincide with ground truth, and
    sometimes more than 100 predictions of one class in one image.
    """
    image_ids = rng.choice(np.arange(1, 10 * num_images), size=num_images, replace=False)
    category_ids = np.sort(
        rng.choice(np.arange(1, 3 * num_classes + 1), size=num_classes, replace=False)
    )
    images = [{"id": int(i), "width": 640, "height": 480} for i in image_ids]
    annotations: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    # The last class never has ground truth.
    gt_classes = category_ids[:-1] if num_classes > 1 else category_ids
    scales = np.array([6.0, 20.0, 50.0, 140.0])
    for image_id in image_ids:
        kind = rng.random()
        num_gt = 0 if kind < 0.12 else int(rng.integers(1, max_gt + 1))
        boxes = []
        for _ in range(num_gt):
            w, h = rng.choice(scales) * rng.uniform(0.4, 1.6, size=2)
            if rng.random() < 0.03:
                w = 0.0
            x, y = rng.uniform(0, 500), rng.uniform(0, 380)
            box = [round(float(x), 2), round(float(y), 2), round(float(w), 2), round(float(h), 2)]
            crowd = int(rng.random() < crowd_rate)
            cat = int(rng.choice(gt_classes))
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": int(image_id),
                    "category_id": cat,
                    "bbox": box,
                    # Area differs from w * h sometimes, as a mask area would.
                    "area": float(
                        box[2] * box[3] * (rng.uniform(0.6, 1.0) if rng.random() < 0.3 else 1.0)
                    ),
                    "iscrowd": crowd,
                }
            )
            boxes.append((box, cat))
        num_dt = 0 if kind > 0.9 else int(rng.integers(0, max_dt + 1))
        for _ in range(num_dt):
            r = rng.random()
            if boxes and r < 0.6:
                box, cat = boxes[int(rng.integers(len(boxes)))]
                jitter = rng.normal(0, 0.15, size=4) * np.array([box[2], box[3], box[2], box[3]])
                new = [
                    box[0] + jitter[0],
                    box[1] + jitter[1],
                    max(box[2] + jitter[2], 0),
                    max(box[3] + jitter[3], 0),
                ]
                if rng.random() < 0.2:
                    cat = int(rng.choice(category_ids))
                if rng.random() < 0.1:
                    new = list(box)
            else:
                w, h = rng.choice(scales) * rng.uniform(0.4, 1.6, size=2)
                new = [rng.uniform(0, 500), rng.uniform(0, 380), w, h]
                cat = int(rng.choice(category_ids))
            score = (
                float(rng.choice([0.5, 0.25, 0.9]))
                if rng.random() < 0.15
                else round(float(rng.random()), 3)
            )
            results.append(
                {
                    "image_id": int(image_id),
                    "category_id": cat,
                    "bbox": [round(float(v), 2) for v in new],
                    "score": score,
                }
            )
        if rng.random() < 0.1:
            # A crowded class: more than 100 predictions of one class in one image.
            cat = int(category_ids[0])
            for _ in range(110):
                x, y = rng.uniform(0, 500), rng.uniform(0, 380)
                results.append(
                    {
                        "image_id": int(image_id),
                        "category_id": cat,
                        "bbox": [round(x, 2), round(y, 2), 30.0, 30.0],
                        "score": round(float(rng.random()), 2),
                    }
                )
    categories = [{"id": int(c), "name": f"class{int(c)}"} for c in category_ids]
    return {"images": images, "annotations": annotations, "categories": categories}, results
