"""2D projections of embeddings for the embedding view: PCA for a first look, UMAP for
the clusters.

Arrays: ``vectors`` (n, d) float32, one row per element; the answer's ``points`` (n, 2)
float32 in the same row order.

* **PCA** (``method="pca"``): the rows centred on their mean and projected on the two
  leading eigenvectors of their covariance, computed in blocks of rows; above
  :data:`AXES_SAMPLE` rows the mean and axes come from a seeded sample of that many
  rows (the covariance of 100k rows pins the leading axes; all 1M would cost a minute
  more) and every row is projected. Deterministic, each axis signed so its largest
  loading is positive.
* **UMAP** (``method="umap"``, umap-learn, ``shoal[embeddings]``): the rows are first
  reduced to :data:`UMAP_INPUT_DIMENSIONS` principal components (UMAP's neighbour
  search is then cheaper, and little of the neighbourhood structure is lost). Up to
  :data:`UMAP_FIT_LIMIT` rows, UMAP fits them all. Above it, UMAP fits a seeded
  random sample of that many rows and every other row is placed at the
  inverse-distance-weighted mean of the 2D points of its :data:`PLACEMENT_NEIGHBOURS`
  nearest sampled rows (in the reduced space): umap-learn's own ``transform`` costs
  about 2 ms a row on two cores (35 minutes at 1M), the placement about 20 us.

A projection is computed once per embedding model, with progress, and kept by the store;
the web app draws it.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shoal.errors import InputError, ShoalError

__all__ = [
    "AXES_SAMPLE",
    "PLACEMENT_NEIGHBOURS",
    "UMAP_FIT_LIMIT",
    "UMAP_INPUT_DIMENSIONS",
    "Projection",
    "ProjectionMethod",
    "project",
]

ProjectionMethod = Literal["umap", "pca"]
UMAP_FIT_LIMIT = 20_000
AXES_SAMPLE = 100_000
UMAP_INPUT_DIMENSIONS = 50
PLACEMENT_NEIGHBOURS = 5
_BLOCK_ROWS = 65_536
# (row, sampled row) distances computed at once when placing rows.
_BLOCK_CELLS = 8_000_000

# A stage's name, the rows done and the rows in all.
ProjectionProgress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Projection:
    """``points`` (n, 2) float32; ``method``; ``fitted_rows``: how many rows the method
    fitted (PCA: the rows its axes came from; UMAP: the rows it fitted, the rest placed
    from their neighbours); ``seed``."""

    points: NDArray[np.float32]
    method: ProjectionMethod
    fitted_rows: int
    seed: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "fitted_rows": self.fitted_rows,
            "seed": self.seed,
            "points": self.points.tolist(),
        }


def _principal_axes(
    data: NDArray[np.float32], count: int, progress: ProjectionProgress | None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The rows' mean (d,) and their ``count`` leading principal axes (d, count), each
    signed so its largest loading is positive."""
    n, d = data.shape
    mean = np.zeros(d, np.float64)
    for start in range(0, n, _BLOCK_ROWS):
        mean += data[start : start + _BLOCK_ROWS].sum(axis=0, dtype=np.float64)
    mean /= n
    scatter = np.zeros((d, d), np.float64)
    for start in range(0, n, _BLOCK_ROWS):
        block = data[start : start + _BLOCK_ROWS].astype(np.float64) - mean
        scatter += block.T @ block
        if progress is not None:
            progress("principal axes", min(n, start + _BLOCK_ROWS), n)
    values, vectors = np.linalg.eigh(scatter)
    axes = vectors[:, np.argsort(values)[::-1][:count]]
    signs = np.sign(axes[np.abs(axes).argmax(axis=0), np.arange(axes.shape[1])])
    return mean, axes * np.where(signs == 0, 1.0, signs)


def _reduce(
    data: NDArray[np.float32], mean: NDArray[np.float64], axes: NDArray[np.float64]
) -> NDArray[np.float32]:
    out = np.empty((data.shape[0], axes.shape[1]), np.float32)
    for start in range(0, data.shape[0], _BLOCK_ROWS):
        block = data[start : start + _BLOCK_ROWS].astype(np.float64) - mean
        out[start : start + _BLOCK_ROWS] = block @ axes
    return out


def _umap(reduced: NDArray[np.float32], seed: int) -> NDArray[np.float32]:
    try:
        umap = importlib.import_module("umap")
    except ImportError:
        raise ShoalError(
            "a UMAP projection needs umap-learn: pip install 'shoal[embeddings]' "
            '(method="pca" needs nothing more)'
        ) from None
    nearest = importlib.import_module("sklearn.neighbors")  # umap-learn's own dependency
    neighbours = max(2, min(15, reduced.shape[0] - 1))
    # Exact neighbours (each row's first is itself, as UMAP expects) rather than UMAP's
    # approximate search: the fit is at most the sample size, where exact search is quick,
    # and it spares compiling the approximate search (measured: 32 s of CPU down to 11 s
    # for a first fit of 4,673 rows in a new process).
    distances, indices = (
        nearest.NearestNeighbors(n_neighbors=neighbours).fit(reduced).kneighbors(reduced)
    )
    model = umap.UMAP(
        n_components=2,
        n_neighbors=neighbours,
        random_state=seed,
        precomputed_knn=(indices, distances.astype(np.float32), None),
    )
    with warnings.catch_warnings():
        # Said of every seeded fit ("n_jobs overridden") and of neighbours given without
        # its search index ("transform unavailable": Shoal places the other rows itself).
        warnings.filterwarnings("ignore", category=UserWarning, module="umap")
        points: NDArray[np.float32] = np.asarray(model.fit_transform(reduced), dtype=np.float32)
    return points


def _place(
    reduced: NDArray[np.float32],
    sample: NDArray[np.int64],
    sample_points: NDArray[np.float32],
    progress: ProjectionProgress | None,
) -> NDArray[np.float32]:
    """Every row's 2D point: a sampled row keeps its own, any other row the
    inverse-distance-weighted mean of its nearest sampled rows' points."""
    n = reduced.shape[0]
    anchors = reduced[sample].astype(np.float32)
    anchor_sq = np.einsum("ij,ij->i", anchors, anchors)
    points = np.empty((n, 2), np.float32)
    k = min(PLACEMENT_NEIGHBOURS, anchors.shape[0])
    block = max(1, _BLOCK_CELLS // anchors.shape[0])
    for start in range(0, n, block):
        rows = reduced[start : start + block]
        squared = np.einsum("ij,ij->i", rows, rows)[:, None] - 2.0 * (rows @ anchors.T) + anchor_sq
        np.maximum(squared, 0.0, out=squared)
        nearest = np.argpartition(squared, k - 1, axis=1)[:, :k]
        distance = np.sqrt(np.take_along_axis(squared, nearest, axis=1)).astype(np.float64)
        weight = 1.0 / np.maximum(distance, 1e-12)
        weight /= weight.sum(axis=1, keepdims=True)
        points[start : start + block] = np.einsum("ik,ikj->ij", weight, sample_points[nearest])
        if progress is not None:
            progress("placing rows", min(n, start + block), n)
    points[sample] = sample_points
    return points


def project(
    vectors: ArrayLike,
    *,
    method: ProjectionMethod = "umap",
    seed: int = 0,
    progress: ProjectionProgress | None = None,
) -> Projection:
    """The rows of ``vectors`` in 2D (see the module doc). ``progress(stage, done,
    total)`` is called as the work goes."""
    if method not in ("umap", "pca"):
        raise InputError(f"unknown projection method {method!r}; use umap or pca")
    data = np.ascontiguousarray(vectors, dtype=np.float32)
    if data.ndim != 2 or data.shape[0] < 3 or data.shape[1] < 2:
        raise InputError(
            f"a projection needs at least 3 vectors of 2 or more dimensions, not shape {data.shape}"
        )
    for start in range(0, data.shape[0], _BLOCK_ROWS):
        block = data[start : start + _BLOCK_ROWS]
        if not np.isfinite(block).all():
            row = start + int(np.flatnonzero(~np.isfinite(block).all(axis=1))[0])
            raise InputError(f"vector row {row} holds NaN or infinity")
    n, d = data.shape
    rng = np.random.default_rng(seed)
    fitted = (
        data if n <= AXES_SAMPLE else data[np.sort(rng.choice(n, size=AXES_SAMPLE, replace=False))]
    )
    if method == "pca":
        mean, axes = _principal_axes(fitted, 2, progress)
        return Projection(_reduce(data, mean, axes), "pca", fitted.shape[0], seed)
    mean, axes = _principal_axes(fitted, min(UMAP_INPUT_DIMENSIONS, d), progress)
    reduced = _reduce(data, mean, axes)
    if n <= UMAP_FIT_LIMIT:
        if progress is not None:
            progress("umap", 0, n)
        points = _umap(reduced, seed)
        if progress is not None:
            progress("umap", n, n)
        return Projection(points, "umap", n, seed)
    sample = np.sort(rng.choice(n, size=UMAP_FIT_LIMIT, replace=False)).astype(np.int64)
    if progress is not None:
        progress("umap", 0, UMAP_FIT_LIMIT)
    sample_points = _umap(reduced[sample], seed)
    if progress is not None:
        progress("umap", UMAP_FIT_LIMIT, UMAP_FIT_LIMIT)
    return Projection(
        _place(reduced, sample, sample_points, progress), "umap", UMAP_FIT_LIMIT, seed
    )
