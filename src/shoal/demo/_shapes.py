"""The "shapes" demo: rendered scenes of simple shapes and two classical detectors.

Embeddings come from two small networks trained on ``train`` during the build
(``shoal.demo._embeddings``): ``shapes-crop-mlp/hidden``, the hidden layer (32) of an
MLP classifying 24x24 crops of the labels' boxes, for every label crop (the dataset) and
every prediction crop (each inference set, the same network); and
``shapes-scene-mlp/hidden``, the hidden layer (32) of an MLP telling from a 40x30
thumbnail of the scene which shapes it holds, for every frame. An ``unlabeled`` dataset
of more rendered scenes (frames and their scene embeddings, no labels) is the corpus of
collection campaigns.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from sklearn.neural_network import MLPClassifier  # type: ignore[import-untyped]

from shoal.demo._calibration import calibrated_confidences, true_positives
from shoal.demo._detectors import (
    FEATURE_NAMES,
    Detection,
    detect_adaptive_cc,
    detect_threshold_cc,
)
from shoal.demo._embeddings import (
    compute_projections,
    crop_pixels,
    hidden_layer,
    standardized,
    train_network,
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
from shoal.tables import DatasetTables, InferenceTables, embeddings_table

PROJECT_NAME = "shapes"
DATASET_NAME = "rendered-scenes"
UNLABELED_NAME = "unlabeled"
CROP_MODEL = "shapes-crop-mlp/hidden"
SCENE_MODEL = "shapes-scene-mlp/hidden"
_HIDDEN_UNITS = 32
_THUMBNAIL_POOL = 8  # 320x240 scenes -> 40x30 thumbnails
FULL_SCENE_COUNT = 300
BUILD_STEPS = 8
SEED = 20240612

_Detector = Callable[[NDArray[np.uint8]], list[Detection]]
_DETECTORS: dict[str, _Detector] = {
    "threshold-cc": detect_threshold_cc,
    "adaptive-cc": detect_adaptive_cc,
}


def _frames(scenes: Sequence[Scene], frame_ids: Sequence[str]) -> pa.Table:
    return pa.table(
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


def _frames_and_labels(
    scenes: Sequence[Scene], frame_ids: Sequence[str], embeddings: pa.Table
) -> DatasetTables:
    frames = _frames(scenes, frame_ids)
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
    return DatasetTables.build(frames, pa.table(rows), embeddings, require_boxes=True)


def _inference_tables(
    model_name: str,
    frame_ids: Sequence[str],
    detections: Sequence[Sequence[Detection]],
    confidences: NDArray[np.float64],
    crop_network: MLPClassifier,
    scenes: Sequence[Scene],
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
    crops = np.concatenate(
        [
            standardized(crop_pixels(scene.pixels, np.array([d.box for d in found], np.float64)))
            for scene, found in zip(scenes, detections, strict=True)
        ]
    )
    network_embeddings = embeddings_table(
        frame_column,
        hidden_layer(crop_network, crops),
        model=CROP_MODEL,
        target_ids=prediction_ids,
    )
    embeddings = pa.concat_tables([embeddings, network_embeddings.cast(embeddings.schema)])
    return InferenceTables.build(predictions, embeddings, require_boxes=True)


def _confidences(
    model_name: str,
    scenes: Sequence[Scene],
    detections: Sequence[Sequence[Detection]],
    train: NDArray[np.int64],
    scored: Sequence[Sequence[Detection]] | None = None,
) -> NDArray[np.float64]:
    """The confidences of ``scored`` (default: ``detections``): the weak detector keeps
    its heuristic score; the strong one is calibrated on the train scenes' matches."""
    scored = detections if scored is None else scored
    scores = np.array([d.score for found in scored for d in found], np.float64)
    if model_name != "adaptive-cc":
        return scores
    features = np.array([d.features for found in scored for d in found], np.float64).reshape(
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


def _thumbnails(scenes: Sequence[Scene]) -> NDArray[np.float32]:
    """Each scene averaged over 8x8 pixel blocks (40x30), standardized."""
    pool = _THUMBNAIL_POOL
    rows, columns = SCENE_HEIGHT // pool, SCENE_WIDTH // pool
    stacked = np.stack([s.pixels.astype(np.float32) for s in scenes])
    blocks = stacked.reshape(len(scenes), rows, pool, columns, pool).mean(axis=(2, 4))
    return standardized(np.asarray(blocks.reshape(len(scenes), -1) / 255.0, np.float32))


def _label_crops(scenes: Sequence[Scene]) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """Every label's 24x24 crop (standardized), in label order, and its scene's row."""
    crops, scene_rows = [], []
    for row, scene in enumerate(scenes):
        boxes = np.array([o.box for o in scene.objects], np.float64).reshape(-1, 4)
        crops.append(standardized(crop_pixels(scene.pixels, boxes)))
        scene_rows += [row] * len(scene.objects)
    return np.concatenate(crops), np.array(scene_rows, np.int64)


def _train_networks(
    scenes: Sequence[Scene], crops: NDArray[np.float32], scene_rows: NDArray[np.int64],
    train: NDArray[np.int64],
) -> tuple[MLPClassifier, MLPClassifier]:  # fmt: skip
    """The crop network (the class of a visible label's crop) and the scene network
    (which classes a scene holds), both fitted on the train split's scenes."""
    in_train = np.isin(scene_rows, train)
    classes = np.array([o.class_name for s in scenes for o in s.objects])
    visible = np.array([o.visible_fraction >= BARELY_VISIBLE for s in scenes for o in s.objects])
    keep = in_train & visible
    crop_network = train_network(crops[keep], classes[keep], hidden=_HIDDEN_UNITS, seed=SEED)
    holds = np.array(
        [[any(o.class_name == c for o in s.objects) for c in SHAPE_CLASSES] for s in scenes],
        np.int64,
    )
    scene_network = train_network(
        _thumbnails([scenes[i] for i in train]), holds[train], hidden=_HIDDEN_UNITS,
        seed=SEED,
    )  # fmt: skip
    return crop_network, scene_network


def _dataset_embeddings(
    scenes: Sequence[Scene],
    frame_ids: Sequence[str],
    crops: NDArray[np.float32],
    scene_rows: NDArray[np.int64],
    networks: tuple[MLPClassifier, MLPClassifier],
) -> pa.Table:
    crop_network, scene_network = networks
    label_frames = [frame_ids[row] for row in scene_rows.tolist()]
    label_ids = [f"{frame_ids[r]}-{k}" for r, s in enumerate(scenes) for k in range(len(s.objects))]
    return pa.concat_tables(
        [
            embeddings_table(
                frame_ids, hidden_layer(scene_network, _thumbnails(scenes)), model=SCENE_MODEL
            ),
            embeddings_table(
                label_frames,
                hidden_layer(crop_network, crops),
                model=CROP_MODEL,
                target_ids=label_ids,
            ),
        ]
    )


def _build_unlabeled(
    project: Project,
    count: int,
    folder: Path,
    networks: tuple[MLPClassifier, MLPClassifier],
    calibration: tuple[Sequence[Scene], Sequence[Sequence[Detection]], NDArray[np.int64]],
) -> None:
    """The ``unlabeled`` corpus: more scenes of a seed of their own, with frame
    embeddings of the scene network and no labels, and the strong detector's predictions
    on them (confidences calibrated as on the labeled scenes) with their crop embeddings,
    so a campaign can look for crops too."""
    crop_network, scene_network = networks
    rng = np.random.default_rng(SEED + 1)
    scenes = [render_scene(rng) for _ in range(count)]
    frame_ids = [f"u{index:04d}" for index in range(count)]
    fresh_image_folder(folder)
    for frame_id, scene in zip(frame_ids, scenes, strict=True):
        write_grayscale_png(scene.pixels, folder / f"{frame_id}.png")
    embeddings = embeddings_table(
        frame_ids, hidden_layer(scene_network, _thumbnails(scenes)), model=SCENE_MODEL
    )
    no_labels = pa.table(
        {name: pa.array([], pa.string()) for name in ("label_id", "frame_id", "class_name")}
    )
    tables = DatasetTables.build(_frames(scenes, frame_ids), no_labels, embeddings)
    dataset = project.create_dataset(UNLABELED_NAME, tables, image_root=folder)
    name = "adaptive-cc"
    found = [_DETECTORS[name](scene.pixels) for scene in scenes]
    labeled_scenes, labeled_found, train = calibration
    confidences = _confidences(name, labeled_scenes, labeled_found, train, scored=found)
    dataset.create_inference_set(
        name, _inference_tables(name, frame_ids, found, confidences, crop_network, scenes)
    )
    compute_projections(dataset, [(SCENE_MODEL, "frame")])


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

    splits = assign_splits(count, SEED)
    crops, scene_rows = _label_crops(scenes)
    networks = _train_networks(scenes, crops, scene_rows, splits["train"])
    embeddings = _dataset_embeddings(scenes, frame_ids, crops, scene_rows, networks)
    steps.step()
    project = store.create_project(PROJECT_NAME, task="detection", classes=list(SHAPE_CLASSES))
    dataset = project.create_dataset(
        DATASET_NAME, _frames_and_labels(scenes, frame_ids, embeddings), image_root=image_folder
    )
    steps.step()

    detections = {
        name: [detect(scene.pixels) for scene in scenes] for name, detect in _DETECTORS.items()
    }
    steps.step()
    evaluations: list[Evaluation] = []
    for name, found in detections.items():
        confidences = _confidences(name, scenes, found, splits["train"])
        tables = _inference_tables(name, frame_ids, found, confidences, networks[0], scenes)
        inference_set = dataset.create_inference_set(name, tables)
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
    compute_projections(dataset, [(SCENE_MODEL, "frame"), (CROP_MODEL, "crop")])
    _build_unlabeled(
        project,
        max(10, count // 2),
        image_folder.parent / "unlabeled-images",
        networks,
        (scenes, detections["adaptive-cc"], splits["train"]),
    )
    steps.step()
    return project
