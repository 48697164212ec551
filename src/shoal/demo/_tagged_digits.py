"""The "tagged-digits" demo: multi-label classification built from scikit-learn's digits.

Each frame is a 2x2 grid of tiles; each tile holds one of the bundled 8x8 handwritten
digits or stays blank, so a frame shows one to four digits and its true classes are the
set of digits it shows (a digit twice is one class). Frames are 96x96 PNGs (each tile
upscaled 6x). Two per-tile classifiers train on digits that no frame uses; a frame's score
for a class is the highest probability any of its inked tiles gives that class:

* ``logreg-tiles``: logistic regression on the tile's 64 pixels;
* ``logreg-4x4-tiles``: logistic regression on 4x4 thumbnails (coarser, weaker).

Frame metadata: ``digits_shown`` (inked tiles) and ``distinct_digits``; the scenario
segment "crowded" is the frames showing 3 or more digits. The same scale always gives the
same tables.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from sklearn.datasets import load_digits  # type: ignore[import-untyped]
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

from shoal.demo._images import fresh_image_folder, write_grayscale_png
from shoal.demo._progress import StepCounter
from shoal.store import Project, Store
from shoal.tables import DatasetTables, InferenceTables

__all__ = ["BUILD_STEPS", "PROJECT_NAME", "build_tagged_digits"]

PROJECT_NAME = "tagged-digits"
DATASET_NAME = "digit-grids"
CLASSES = [str(digit) for digit in range(10)]
BUILD_STEPS = 3
SEED = 20261203
FRAMES_AT_SCALE_1 = 400
_BLANK_SHARE = 0.3
_UPSCALE = 6
_MAX_VALUE = 16.0
_INK = 8.0  # a tile with less total ink than this is blank to the models


def _grids(count: int, pool: NDArray[np.int64], rng: np.random.Generator) -> NDArray[np.int64]:
    """(count, 4) source indexes of each frame's tiles (-1: blank), at least one inked."""
    tiles = rng.choice(pool, size=(count, 4), replace=pool.size < count * 4)
    blank = rng.random((count, 4)) < _BLANK_SHARE
    blank[blank.all(axis=1), rng.integers(0, 4)] = False
    return np.where(blank, -1, tiles)


def _frame_pixels(images: NDArray[np.float64], grid: NDArray[np.int64]) -> NDArray[np.uint8]:
    """One frame's 96x96 grayscale image."""
    tiles = [images[i] if i >= 0 else np.zeros((8, 8)) for i in grid]
    whole = np.block([[tiles[0], tiles[1]], [tiles[2], tiles[3]]])
    gray = np.round(np.clip(whole, 0.0, _MAX_VALUE) * (255.0 / _MAX_VALUE)).astype(np.uint8)
    return np.repeat(np.repeat(gray, _UPSCALE, axis=0), _UPSCALE, axis=1)


def _thumbnails(images: NDArray[np.float64]) -> NDArray[np.float64]:
    count = images.shape[0]
    pooled: NDArray[np.float64] = images.reshape(count, 4, 2, 4, 2).mean(axis=(2, 4))
    return pooled.reshape(count, -1) / _MAX_VALUE


def _frame_scores(
    tile_probabilities: NDArray[np.float64], grids: NDArray[np.int64], inked: NDArray[np.bool_]
) -> NDArray[np.float64]:
    """(frames, 10): each class's highest probability over the frame's inked tiles."""
    scores = np.zeros((grids.shape[0], len(CLASSES)))
    for slot in range(4):
        rows = grids[:, slot] >= 0
        rows &= inked[np.maximum(grids[:, slot], 0)]
        probabilities = tile_probabilities[np.maximum(grids[:, slot], 0)]
        scores = np.where(rows[:, None], np.maximum(scores, probabilities), scores)
    return np.round(scores, 6)


def _predictions(frame_ids: list[str], scores: NDArray[np.float64]) -> InferenceTables:
    frames, classes = np.nonzero(scores > 0.001)  # the rest score 0
    names = [frame_ids[f] for f in frames]
    return InferenceTables.build(
        pa.table(
            {
                "prediction_id": [f"{n}/{CLASSES[c]}" for n, c in zip(names, classes, strict=True)],
                "frame_id": names,
                "class_name": [CLASSES[c] for c in classes],
                "confidence": scores[frames, classes],
            }
        )
    )


def build_tagged_digits(
    store: Store, image_folder: Path, steps: StepCounter, scale: float
) -> Project:
    """Create the tagged-digits project (the caller removed any previous one)."""
    bunch = load_digits()
    images = np.asarray(bunch.images, np.float64)
    digits = np.asarray(bunch.target, np.int64)
    rng = np.random.default_rng(SEED)
    order = rng.permutation(len(digits))
    train, pool = order[: len(order) // 3], np.sort(order[len(order) // 3 :])
    count = max(60, round(FRAMES_AT_SCALE_1 * scale))
    grids = _grids(count, pool, rng)
    frame_ids = [f"grid-{i:04d}" for i in range(count)]
    fresh_image_folder(image_folder)
    for frame_id, grid in zip(frame_ids, grids, strict=True):
        write_grayscale_png(_frame_pixels(images, grid), image_folder / f"{frame_id}.png")
    steps.step()

    shown = (grids >= 0).sum(axis=1)
    truth = [sorted({int(digits[i]) for i in grid if i >= 0}) for grid in grids]
    frames = pa.table(
        {
            "frame_id": frame_ids,
            "image_uri": [f"{frame_id}.png" for frame_id in frame_ids],
            "width": pa.array([16 * _UPSCALE] * count, pa.int32()),
            "height": pa.array([16 * _UPSCALE] * count, pa.int32()),
            "digits_shown": shown.astype(np.int64),
            "distinct_digits": np.asarray([len(t) for t in truth], np.int64),
        }
    )
    label_frames = [f for f, classes in zip(frame_ids, truth, strict=True) for _ in classes]
    label_classes = [CLASSES[c] for classes in truth for c in classes]
    labels = pa.table(
        {
            "label_id": [f"{f}/{c}" for f, c in zip(label_frames, label_classes, strict=True)],
            "frame_id": label_frames,
            "class_name": label_classes,
        }
    )
    project = store.create_project(PROJECT_NAME, task="multilabel", classes=CLASSES)
    dataset = project.create_dataset(
        DATASET_NAME, DatasetTables.build(frames, labels), image_root=image_folder
    )
    steps.step()

    inked = images.sum(axis=(1, 2)) >= _INK
    pixels = images.reshape(len(images), -1) / _MAX_VALUE
    for name, features in (("logreg-tiles", pixels), ("logreg-4x4-tiles", _thumbnails(images))):
        model = LogisticRegression(max_iter=2000).fit(features[train], digits[train])
        probabilities = np.zeros((len(images), len(CLASSES)))
        probabilities[:, model.classes_] = model.predict_proba(features)
        scores = _frame_scores(probabilities, grids, inked)
        dataset.create_inference_set(name, _predictions(frame_ids, scores))
    dataset.create_segment("crowded", type="scenario", query="digits_shown >= 3")
    steps.step()
    return project
