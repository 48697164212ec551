"""Randomized COCO person-keypoint data and pycocotools' keypoint evaluation on it, the
oracle of tests/test_keypoints*.py."""

from __future__ import annotations

import contextlib
import copy
import io
from typing import Any

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

PERSON_NAMES = [
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip",
    "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
]  # fmt: skip
PERSON_SKELETON = [
    [16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13], [6, 7], [6, 8],
    [7, 9], [8, 10], [9, 11], [2, 3], [1, 2], [1, 3], [2, 4], [3, 5], [4, 6], [5, 7],
]  # fmt: skip


def _ground_truth_keypoints(
    rng: np.random.Generator, box: list[float], empty: bool
) -> tuple[list[float], int]:
    x, y, w, h = box
    values: list[float] = []
    visible = 0
    for _ in range(17):
        v = 0 if empty else int(rng.choice([0, 1, 2], p=[0.25, 0.25, 0.5]))
        if v == 0:
            values += [0.0, 0.0, 0.0]
        else:
            visible += 1
            values += [float(x + rng.random() * w), float(y + rng.random() * h), float(v)]
    return values, visible


def random_keypoint_coco(
    rng: np.random.Generator,
    num_images: int = 30,
    *,
    max_gt: int = 6,
    max_dt: int = 28,
    categories: int = 2,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A ground-truth document and a results list: 17-keypoint classes, crowds, objects
    with num_keypoints 0 (a few whose keypoints are nonetheless visible, as the
    ``num_keypoints`` field and the ``v`` flags are independent in pycocotools), images
    with more than maxDets (20) predictions of a class, tied scores and predictions far
    from any ground truth."""
    images = [
        {"id": int(i) * 3 + 1, "width": 640, "height": 480, "file_name": f"{i}.jpg"}
        for i in rng.permutation(num_images)
    ]
    cats = [
        {
            "id": c + 1,
            "name": "person" if c == 0 else f"person{c}",
            "supercategory": "person",
            "keypoints": PERSON_NAMES,
            "skeleton": PERSON_SKELETON,
        }
        for c in range(categories)
    ]
    annotations: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for image in images:
        objects = []
        for _ in range(int(rng.integers(0, max_gt + 1))):
            w, h = float(rng.uniform(5, 300)), float(rng.uniform(5, 300))
            box = [float(rng.uniform(0, 340)), float(rng.uniform(0, 180)), w, h]
            empty = rng.random() < 0.15
            keypoints, visible = _ground_truth_keypoints(rng, box, empty)
            num_keypoints = visible
            if rng.random() < 0.05:  # the field disagrees with the flags
                num_keypoints = 0 if visible else int(rng.integers(1, 5))
            category = int(rng.integers(1, categories + 1))
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": image["id"],
                    "category_id": category,
                    "bbox": box,
                    "area": float(w * h * rng.uniform(0.3, 1.0)),
                    "iscrowd": int(rng.random() < 0.06),
                    "keypoints": keypoints,
                    "num_keypoints": num_keypoints,
                }
            )
            objects.append((annotations[-1], category))
        count = int(rng.integers(0, max_dt + 1)) if rng.random() < 0.3 else int(rng.integers(0, 8))
        for _ in range(count):
            if objects and rng.random() < 0.8:
                target, category = objects[int(rng.integers(0, len(objects)))]
                gx, gy, gw, gh = target["bbox"]
                noise = float(rng.choice([1.0, 4.0, 15.0, 40.0]))
                kp = np.array(target["keypoints"], float).reshape(17, 3)
                spot = np.column_stack([gx + rng.random(17) * gw, gy + rng.random(17) * gh])
                xy = np.where(kp[:, 2:3] > 0, kp[:, :2], spot) + rng.normal(0, noise, (17, 2))
                if rng.random() < 0.1:
                    category = int(rng.integers(1, categories + 1))
            else:
                category = int(rng.integers(1, categories + 1))
                xy = np.column_stack([rng.uniform(0, 640, 17), rng.uniform(0, 480, 17)])
            flags = rng.choice([0.0, 1.0, 2.0], 17)
            score = round(float(rng.random()), 1 if rng.random() < 0.3 else 6)
            results.append(
                {
                    "image_id": image["id"],
                    "category_id": category,
                    "keypoints": np.column_stack([xy, flags]).reshape(-1).tolist(),
                    "score": score,
                }
            )
    gt = {"images": images, "annotations": annotations, "categories": cats}
    return gt, results


def pycocotools_keypoints(gt: dict[str, Any], results: list[dict[str, Any]]) -> COCOeval:
    """pycocotools' keypoint evaluation, evaluated, accumulated and summarized."""
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = copy.deepcopy(gt)
        coco_gt.createIndex()
        coco_dt = coco_gt.loadRes(copy.deepcopy(results)) if results else COCO()
        evaluation = COCOeval(coco_gt, coco_dt, iouType="keypoints")
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return evaluation
