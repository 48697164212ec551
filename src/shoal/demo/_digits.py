"""The "digits" demo: scikit-learn's bundled handwritten digits and two real classifiers.

The 1,797 8x8 images of ``sklearn.datasets.load_digits`` (UCI optical recognition of
handwritten digits, shipped inside scikit-learn, so no network) become 64x64 PNG frames.
Two models train on the train split and predict every frame:

* ``logreg-4x4``: logistic regression on 4x4 thumbnails (2x2 average pooling), a model
  that cannot see fine strokes;
* ``mlp-64``: a multi-layer perceptron with one hidden layer of 64 units on all 64 pixels.

The dataset's frame embeddings (``digits-mlp/hidden``) are that MLP's hidden layer on
each frame, so the embedding view has frames to place without choosing an inference set.
An ``unlabeled`` dataset holds re-scanned digits (noise; a third also off centre by a
pixel, metadata ``shifted``): frames and the same embeddings, no labels, the corpus of
collection campaigns.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from sklearn.datasets import load_digits  # type: ignore[import-untyped]
from sklearn.exceptions import ConvergenceWarning  # type: ignore[import-untyped]
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.neural_network import MLPClassifier  # type: ignore[import-untyped]

from shoal.demo._embeddings import compute_projections, hidden_layer
from shoal.demo._images import fresh_image_folder, write_grayscale_png
from shoal.demo._progress import StepCounter
from shoal.demo._regression import create_split_segments
from shoal.demo._splits import assign_splits
from shoal.engine.evaluation import Evaluation
from shoal.store import Project, Store
from shoal.tables import DatasetTables, InferenceTables, embeddings_table

PROJECT_NAME = "digits"
DATASET_NAME = "handwritten-digits"
UNLABELED_NAME = "unlabeled"
EMBEDDING_MODEL = "digits-mlp/hidden"
CLASSES = [str(digit) for digit in range(10)]
BUILD_STEPS = 8
SEED = 20240611

_SOURCE_SIZE = 8
_UPSCALE = 8  # 8x8 -> 64x64, nearest neighbour
_MAX_VALUE = 16.0  # load_digits pixels are counts 0..16
_INK_PIXEL = 4.0  # a pixel with more than this (of 16) is part of a stroke
_SHIFTED_SHARE = 1 / 3  # of the unlabeled re-scans, off centre by a pixel


@dataclass(frozen=True)
class _Model:
    name: str
    probabilities: NDArray[np.float32]  # (frames, 10) in CLASSES order
    embedding_id: str
    embeddings: NDArray[np.float32]


def _stroke_width(images: NDArray[np.float64]) -> NDArray[np.float64]:
    """Mean stroke width in output pixels, as 2 * ink area / ink perimeter.

    A stroke of width w and length L has area w * L and a perimeter of about 2 * L, so
    twice the area over the perimeter is w. Area counts pixels above ``_INK_PIXEL``;
    the perimeter counts their sides that face a non-ink pixel (4-neighbours).
    """
    ink = np.pad(images > _INK_PIXEL, ((0, 0), (1, 1), (1, 1)))
    area = ink.sum(axis=(1, 2))
    edges = (ink[:, 1:, :] != ink[:, :-1, :]).sum(axis=(1, 2))
    edges += (ink[:, :, 1:] != ink[:, :, :-1]).sum(axis=(1, 2))
    width = 2.0 * area / np.maximum(edges, 1) * _UPSCALE
    return np.asarray(np.round(width, 3), np.float64)


def _full_probabilities(
    scores: NDArray[np.float64], model_classes: NDArray[np.int64]
) -> NDArray[np.float32]:
    """A model's ``predict_proba`` spread over all ten digits (a class missing from a
    small train split scores 0)."""
    full = np.zeros((scores.shape[0], len(CLASSES)), np.float32)
    full[:, model_classes.astype(np.int64)] = scores
    return full


def _train_models(
    images: NDArray[np.float64], digits: NDArray[np.int64], train: NDArray[np.int64]
) -> tuple[list[_Model], MLPClassifier]:
    """The two models (the MLP's hidden layer is its embedding) and the MLP itself."""
    count = images.shape[0]
    pixels = images.reshape(count, -1) / _MAX_VALUE
    thumbnails = images.reshape(count, 4, 2, 4, 2).mean(axis=(2, 4)).reshape(count, -1)
    thumbnails /= _MAX_VALUE

    linear = LogisticRegression(max_iter=1000).fit(thumbnails[train], digits[train])
    mlp = MLPClassifier(hidden_layer_sizes=(64,), alpha=1e-3, max_iter=400, random_state=SEED)
    with warnings.catch_warnings():
        # Small demo builds stop before the optimizer's tolerance: that is expected.
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(pixels[train], digits[train])
    hidden = hidden_layer(mlp, pixels)
    models = [
        _Model(
            "logreg-4x4",
            _full_probabilities(linear.predict_proba(thumbnails), linear.classes_),
            "logreg-4x4/logits",
            np.asarray(linear.decision_function(thumbnails), np.float32),
        ),
        _Model(
            "mlp-64",
            _full_probabilities(mlp.predict_proba(pixels), mlp.classes_),
            "mlp-64/hidden",
            hidden,
        ),
    ]
    return models, mlp


def _inference_tables(model: _Model, frame_ids: list[str]) -> InferenceTables:
    predicted = model.probabilities.argmax(axis=1)
    predictions = pa.table(
        {
            "prediction_id": frame_ids,
            "frame_id": frame_ids,
            "class_name": [CLASSES[i] for i in predicted],
            "confidence": model.probabilities.max(axis=1).astype(np.float64),
            "probabilities": pa.array(list(model.probabilities), pa.list_(pa.float32())),
        }
    )
    embeddings = pa.table(
        {
            "frame_id": frame_ids,
            "target_id": pa.nulls(len(frame_ids), pa.string()),
            "model_id": [model.embedding_id] * len(frame_ids),
            "vector": pa.array(list(model.embeddings), pa.list_(pa.float32())),
        }
    )
    return InferenceTables.build(predictions, embeddings)


def _frames_table(
    frame_ids: list[str], source_index: NDArray[np.int64], images: NDArray[np.float64]
) -> pa.Table:
    size = _SOURCE_SIZE * _UPSCALE
    count = len(frame_ids)
    return pa.table(
        {
            "frame_id": frame_ids,
            "image_uri": [f"{frame_id}.png" for frame_id in frame_ids],
            "width": pa.array([size] * count, pa.int32()),
            "height": pa.array([size] * count, pa.int32()),
            "source_index": source_index.astype(np.int64),
            "ink": images.sum(axis=(1, 2)),
            "stroke_width": _stroke_width(images),
        }
    )


def _write_images(images: NDArray[np.float64], frame_ids: list[str], folder: Path) -> None:
    fresh_image_folder(folder)
    gray = np.round(np.clip(images, 0.0, _MAX_VALUE) * (255.0 / _MAX_VALUE)).astype(np.uint8)
    for frame_id, image in zip(frame_ids, gray, strict=True):
        upscaled = np.repeat(np.repeat(image, _UPSCALE, axis=0), _UPSCALE, axis=1)
        write_grayscale_png(upscaled, folder / f"{frame_id}.png")


def _rescanned(
    images: NDArray[np.float64], rng: np.random.Generator
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """New scans of the same digits: sensor noise on each, and a third of them off
    centre (shifted by one pixel, the uncovered edge blank), where the models are weak."""
    out = images.copy()
    shifted = rng.random(len(images)) < _SHIFTED_SHARE
    directions = rng.choice(np.array([(0, 1), (0, -1), (1, 0), (-1, 0)]), size=len(images))
    for row in np.flatnonzero(shifted).tolist():
        dy, dx = directions[row].tolist()
        moved = np.roll(images[row], (dy, dx), axis=(0, 1))
        if dy:
            moved[0 if dy > 0 else -1, :] = 0.0
        if dx:
            moved[:, 0 if dx > 0 else -1] = 0.0
        out[row] = moved
    noisy = out + rng.normal(0.0, 1.0, size=out.shape)
    return np.asarray(np.round(np.clip(noisy, 0.0, _MAX_VALUE)), np.float64), shifted


def _build_unlabeled(
    project: Project, bunch: Any, count: int, folder: Path, network: MLPClassifier
) -> None:
    """The ``unlabeled`` corpus: re-scans of a seeded choice of digits, with frame
    embeddings of the same model and no labels."""
    rng = np.random.default_rng(SEED + 1)
    available = len(bunch.target)
    chosen = np.sort(rng.permutation(available)[:count])
    images, shifted = _rescanned(np.asarray(bunch.images, np.float64)[chosen], rng)
    frame_ids = [f"u{index:04d}" for index in range(count)]
    _write_images(images, frame_ids, folder)
    frames = _frames_table(frame_ids, chosen, images).append_column(
        "shifted", pa.array(shifted, pa.bool_())
    )
    vectors = hidden_layer(network, images.reshape(count, -1) / _MAX_VALUE)
    embeddings = embeddings_table(frame_ids, vectors, model=EMBEDDING_MODEL)
    labels = pa.table({"label_id": [], "frame_id": [], "class_name": []},
                      schema=pa.schema([(n, pa.string()) for n in ("label_id", "frame_id", "class_name")]))  # fmt: skip
    dataset = project.create_dataset(
        UNLABELED_NAME, DatasetTables.build(frames, labels, embeddings), image_root=folder
    )
    compute_projections(dataset, [(EMBEDDING_MODEL, "frame")])


def build_digits(store: Store, image_folder: Path, steps: StepCounter, scale: float) -> Project:
    """Create the digits project (the caller removed any previous one)."""
    bunch = load_digits()
    available = len(bunch.target)
    count = min(available, max(60, round(available * scale)))
    chosen = np.sort(np.random.default_rng(SEED).permutation(available)[:count])
    images = np.asarray(bunch.images, np.float64)[chosen]
    digits = np.asarray(bunch.target, np.int64)[chosen]
    frame_ids = [f"{index:04d}" for index in chosen]
    _write_images(images, frame_ids, image_folder)
    steps.step()

    splits = assign_splits(count, SEED)
    models, network = _train_models(images, digits, splits["train"])
    steps.step()
    frames = _frames_table(frame_ids, chosen, images)
    ink = frames.column("ink").to_numpy()
    stroke_width = frames.column("stroke_width").to_numpy()
    labels = pa.table(
        {
            "label_id": frame_ids,
            "frame_id": frame_ids,
            "class_name": [CLASSES[d] for d in digits],
        }
    )
    # The MLP's hidden layer, the dataset's own frame embedding.
    embeddings = embeddings_table(frame_ids, models[1].embeddings, model=EMBEDDING_MODEL)
    project = store.create_project(PROJECT_NAME, task="classification", classes=CLASSES)
    dataset = project.create_dataset(
        DATASET_NAME, DatasetTables.build(frames, labels, embeddings), image_root=image_folder
    )
    steps.step()

    evaluations: list[Evaluation] = []
    for model in models:
        inference_set = dataset.create_inference_set(
            model.name, _inference_tables(model, frame_ids)
        )
        evaluations.append(inference_set.evaluate())
        steps.step()

    create_split_segments(
        dataset, frame_ids, splits, evaluations, project.default_conf, project.default_iou
    )
    faint_cut = float(np.round(np.quantile(ink, 0.2)))
    dataset.create_segment("faint digits", type="scenario", query=f"ink < {faint_cut:g}")
    thick_cut = float(np.round(np.quantile(stroke_width, 0.8), 1))
    dataset.create_segment("thick strokes", type="scenario", query=f"stroke_width > {thick_cut:g}")
    steps.step()
    compute_projections(dataset, [(EMBEDDING_MODEL, "frame")])
    steps.step()
    unlabeled_folder = image_folder.parent / "unlabeled-images"
    _build_unlabeled(project, bunch, max(30, count // 2), unlabeled_folder, network)
    steps.step()
    return project
