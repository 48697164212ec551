"""Real embeddings for the demo projects: hidden layers of small networks trained during
the build (scikit-learn, seeded, a few seconds, no downloads), and the projections the
embedding view draws, computed once at the end of the build.

* ``crop_pixels``: a box of a grayscale image cut out (2 px margin, clipped to the
  image) and resized to ``CROP_SIZE`` x ``CROP_SIZE`` (bilinear), values in [0, 1];
* ``standardized``: each row centred and scaled (the networks' inputs);
* ``train_network``: a seeded one-hidden-layer ``MLPClassifier`` (60 epochs: a few
  seconds, enough for the embeddings' neighbourhoods);
* ``hidden_layer``: an ``MLPClassifier``'s first hidden layer (ReLU) on some inputs,
  the vectors stored as embeddings;
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from sklearn.exceptions import ConvergenceWarning  # type: ignore[import-untyped]
from sklearn.neural_network import MLPClassifier  # type: ignore[import-untyped]

from shoal.store import Dataset

__all__ = [
    "CROP_SIZE",
    "compute_projections",
    "crop_pixels",
    "hidden_layer",
    "standardized",
    "train_network",
]

CROP_SIZE = 24
_MARGIN = 2


def crop_pixels(image: NDArray[np.uint8], boxes: NDArray[np.float64]) -> NDArray[np.float32]:
    """(boxes, CROP_SIZE**2) float32: each ``x, y, width, height`` box of ``image`` with a
    small margin, clipped to the image, resized to CROP_SIZE x CROP_SIZE, in [0, 1]."""
    height, width = image.shape
    out = np.zeros((len(boxes), CROP_SIZE * CROP_SIZE), np.float32)
    for row, (x, y, w, h) in enumerate(np.asarray(boxes, np.float64).reshape(-1, 4)):
        left = int(max(0, np.floor(x) - _MARGIN))
        top = int(max(0, np.floor(y) - _MARGIN))
        right = int(min(width, np.ceil(x + w) + _MARGIN))
        bottom = int(min(height, np.ceil(y + h) + _MARGIN))
        if right <= left or bottom <= top:
            continue  # a box outside the image: a blank crop
        patch = Image.fromarray(np.ascontiguousarray(image[top:bottom, left:right]))
        resized = patch.resize((CROP_SIZE, CROP_SIZE), Image.Resampling.BILINEAR)
        out[row] = np.asarray(resized, np.float32).ravel() / 255.0
    return out


def standardized(rows: NDArray[np.float32]) -> NDArray[np.float32]:
    """Each row minus its mean, over its standard deviation: the networks see shape, not
    brightness (and ReLU units do not die on all-positive pixels)."""
    centred = rows - rows.mean(axis=1, keepdims=True)
    scale = np.maximum(centred.std(axis=1, keepdims=True), 1e-3)
    return np.asarray(centred / scale, np.float32)


def train_network(
    inputs: NDArray[np.float32], targets: Any, *, hidden: int, seed: int, max_iter: int = 60
) -> MLPClassifier:
    """A one-hidden-layer MLP fitted to ``targets`` (class labels, or a 0/1 indicator
    matrix for several labels at once), seeded."""
    network = MLPClassifier(
        hidden_layer_sizes=(hidden,), alpha=1e-3, max_iter=max_iter, random_state=seed
    )
    with warnings.catch_warnings():
        # Small demo builds stop before the optimizer's tolerance: that is expected.
        warnings.simplefilter("ignore", ConvergenceWarning)
        network.fit(inputs, targets)
    return network


def hidden_layer(network: MLPClassifier, inputs: NDArray[np.floating[Any]]) -> NDArray[np.float32]:
    """The network's first hidden layer (ReLU) on ``inputs``: its embedding of them."""
    weights, bias = network.coefs_[0], network.intercepts_[0]
    hidden: NDArray[np.float32] = np.maximum(
        np.asarray(inputs, np.float64) @ weights + bias, 0.0
    ).astype(np.float32)
    return hidden


def compute_projections(dataset: Dataset, wanted: Sequence[tuple[str, str]]) -> None:
    """Compute and keep the PCA and UMAP projections of each ``(model, kind)``."""
    with warnings.catch_warnings():
        # umap-learn says a seeded fit runs on one thread: the demo wants the seed.
        warnings.filterwarnings("ignore", message="n_jobs value", category=UserWarning)
        for model, kind in wanted:
            for method in ("pca", "umap"):
                dataset.projection(model, kind=kind, method=method)  # type: ignore[arg-type]
