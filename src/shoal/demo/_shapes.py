"""The "shapes" demo: rendered scenes of simple shapes and two classical detectors."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from shoal.demo._calibration import calibrated_confidences, true_positives
from shoal.demo._detectors import (
    FEATURE_NAMES,
    Detection,
    detect_adaptive_cc,
    detect_threshold_cc,
)
from shoal.demo._images import fresh_image_folder, write_grayscale_png
from shoal.demo._progress import StepCounter
from shoal.demo._regression import create_split_segments
from shoal.demo._scenes import (
    BARELY_VISIBLE,
    HEAVILY_OCCLUDED,
    SCENE_HEIGHT,
    SCENE_WIDTH,
    SHAPE_CLASSES,
    Scene,
    render_scene,
)
from shoal.demo._splits import assign_splits
from shoal.engine.evaluation import Evaluation
from shoal.store import Project, Store
from shoal.tables import DatasetTables, InferenceTables

PROJECT_NAME = "shapes"
DATASET_NAME = "rendered-scenes"
FULL_SCENE_COUNT = 300
BUILD_STEPS = 6
SEED = 20240612

_Detector = Callable[[NDArray[np.uint8]], list[Detection]]
_DETECTORS: dict[str, _Detector] = {
    "threshold-cc": detect_threshold_cc,
    "adaptive-cc": detect_adaptive_cc,
}


def _frames_and_labels(scenes: Sequence[Scene], frame_ids: Sequence[str]) -> DatasetTables:
    frames = pa.table(
        {
            "frame_id": frame_ids,
            "image_uri": [f"{frame_id}.png" for frame_id in frame_ids],
            "width": pa.array([SCENE_WIDTH] * len(scenes), pa.int32()),
            "height": pa.array([SCENE_HEIGHT] * len(scenes), pa.int32()),
            "num_shapes": pa.array([len(s.objects) for s in scenes], pa.int64()),
            "contrast": [s.contrast for s in scenes],
            "clutter": [s.clutter for s in scenes],
            "occlusion": [s.occlusion for s in scenes],
            "noise": [s.noise for s in scenes],
            "background_gradient": [s.gradient for s in scenes],
        }
    )
    rows: dict[str, list[object]] = {
        name: []
        for name in (
            "label_id", "frame_id", "class_name", "x", "y", "width", "height", "ignore",
            "attributes",
        )
    }  # fmt: skip
    for frame_id, scene in zip(frame_ids, scenes, strict=True):
        for index, scene_object in enumerate(scene.objects):
            x, y, width, height = scene_object.box
            attributes = {
                "visible_fraction": scene_object.visible_fraction,
                "heavily_occluded": scene_object.visible_fraction < HEAVILY_OCCLUDED,
            }
            for name, value in (
                ("label_id", f"{frame_id}-{index}"), ("frame_id", frame_id),
                ("class_name", scene_object.class_name), ("x", x), ("y", y),
                ("width", width), ("height", height),
                ("ignore", scene_object.visible_fraction < BARELY_VISIBLE),
                ("attributes", json.dumps(attributes, sort_keys=True)),
            ):  # fmt: skip
                rows[name].append(value)
    return DatasetTables.build(frames, pa.table(rows), require_boxes=True)


def _inference_tables(
    model_name: str,
    frame_ids: Sequence[str],
    detections: Sequence[Sequence[Detection]],
    confidences: NDArray[np.float64],
) -> InferenceTables:
    flat = [
        (f, k, d)
        for f, found in zip(frame_ids, detections, strict=True)
        for k, d in enumerate(found)
    ]
    prediction_ids = [f"{frame_id}-p{k}" for frame_id, k, _ in flat]
    frame_column = [frame_id for frame_id, _, _ in flat]
    boxes = np.array([d.box for _, _, d in flat], np.float64).reshape(-1, 4)
    predictions = pa.table(
        {
            "prediction_id": prediction_ids,
            "frame_id": frame_column,
            "class_name": [d.class_name for _, _, d in flat],
            "x": boxes[:, 0],
            "y": boxes[:, 1],
            "width": boxes[:, 2],
            "height": boxes[:, 3],
            "confidence": np.clip(confidences, 0.0, 1.0),
        }
    )
    embeddings = pa.table(
        {
            "frame_id": frame_column,
            "target_id": prediction_ids,
            "model_id": [f"{model_name}/shape-features"] * len(flat),
            "vector": pa.array(
                [d.features.astype(np.float32) for _, _, d in flat], pa.list_(pa.float32())
            ),
        }
    )
    return InferenceTables.build(predictions, embeddings, require_boxes=True)


def _confidences(
    model_name: str,
    scenes: Sequence[Scene],
    detections: Sequence[Sequence[Detection]],
    train: NDArray[np.int64],
) -> NDArray[np.float64]:
    """The weak detector keeps its heuristic score; the strong one is calibrated."""
    scores = np.array([d.score for found in detections for d in found], np.float64)
    if model_name != "adaptive-cc":
        return scores
    features = np.array([d.features for found in detections for d in found], np.float64).reshape(
        -1, len(FEATURE_NAMES)
    )
    train_rows = set(train.tolist())
    train_features, outcomes = [], []
    for index, (scene, found) in enumerate(zip(scenes, detections, strict=True)):
        if index in train_rows and found:
            train_features.append(np.array([d.features for d in found]))
            outcomes.append(true_positives(found, scene.objects))
    if not train_features:
        return scores
    return calibrated_confidences(
        np.concatenate(train_features), np.concatenate(outcomes), features
    )


def build_shapes(store: Store, image_folder: Path, steps: StepCounter, scale: float) -> Project:
    """Create the shapes project (the caller removed any previous one)."""
    count = max(10, round(FULL_SCENE_COUNT * scale))
    rng = np.random.default_rng(SEED)
    scenes = [render_scene(rng) for _ in range(count)]
    frame_ids = [f"{index:04d}" for index in range(count)]
    fresh_image_folder(image_folder)
    for frame_id, scene in zip(frame_ids, scenes, strict=True):
        write_grayscale_png(scene.pixels, image_folder / f"{frame_id}.png")
    steps.step()

    project = store.create_project(PROJECT_NAME, task="detection", classes=list(SHAPE_CLASSES))
    dataset = project.create_dataset(
        DATASET_NAME, _frames_and_labels(scenes, frame_ids), image_root=image_folder
    )
    steps.step()

    detections = {
        name: [detect(scene.pixels) for scene in scenes] for name, detect in _DETECTORS.items()
    }
    steps.step()
    splits = assign_splits(count, SEED)
    evaluations: list[Evaluation] = []
    for name, found in detections.items():
        confidences = _confidences(name, scenes, found, splits["train"])
        inference_set = dataset.create_inference_set(
            name, _inference_tables(name, frame_ids, found, confidences)
        )
        evaluations.append(inference_set.evaluate())
        steps.step()

    create_split_segments(
        dataset, frame_ids, splits, evaluations, project.default_conf, project.default_iou
    )
    scenarios = {
        "cluttered": "clutter > 0.6",
        "occluded": "occlusion = true",
        "low contrast": "contrast < 40",
        "crowded": "num_shapes >= 5",
    }
    for name, query in scenarios.items():
        dataset.create_segment(name, type="scenario", query=query)
    steps.step()
    return project
