"""Similar elements: the nearest embeddings to a set of seeds, exact or through an index.

Arrays (n stored vectors, d dimensions, s seeds):

* ``vectors``: (n, d) float32, one row per element (a frame or a crop); the row index is
  the element's position, which the caller maps to its id.
* ``seeds``: (s, d) float32, the elements to find more of (an issue's elements, a
  selection).

A candidate's **distance to the seeds** is its distance to the nearest seed: a lasso of
two clusters finds more of both, where the mean of the seeds would land between them.
``cosine`` distance is ``1 - cos(a, b)`` (0 for the same direction, 2 for opposite);
``euclidean`` is the L2 distance. Results are nearest first; ties keep the lower row.

**Exact or indexed.** Below :data:`INDEX_MIN_VECTORS` vectors, search is exact
(:class:`ExactSearch`: the vectors prepared once, then one float32 matrix product and one
partial sort a search; about 80 ms a seed at 1M x 512 on two cores) and no index is
built or kept. Above it, :class:`VectorIndex` (an inverted-file index, faiss
``IndexIVFFlat``: vectors grouped around ``lists`` k-means centroids, a search scanning
the ``probes`` groups nearest each seed) answers a seed in about 4 ms at 1M x 512 with
recall@10 1.0 against exact search on clustered data, after a 20 s build
(``benchmarks/similarity.py``). faiss is an optional dependency (``shoal[embeddings]``).
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shoal.errors import InputError, ShoalError

__all__ = [
    "INDEX_MIN_VECTORS",
    "ElementKind",
    "ExactSearch",
    "Neighbors",
    "SimilarElements",
    "SimilarityMetric",
    "VectorIndex",
    "nearest",
]

SimilarityMetric = Literal["cosine", "euclidean"]
# Frames (frame embeddings) or label crops (crop embeddings).
ElementKind = Literal["frame", "crop"]
METRICS: tuple[SimilarityMetric, ...] = ("cosine", "euclidean")
# Exact search costs about 0.1 us per stored vector and seed at d = 512 (105 ms a seed at
# 1M): below this many vectors it is fast enough and always exact.
INDEX_MIN_VECTORS = 200_000
# Rows checked at once for NaN; (seed, row) products computed at once by exact search.
_BLOCK_ROWS = 65_536
_BLOCK_CELLS = 4_000_000
# Candidates an index search asks for beyond k, so excluded rows still leave k.
_DEFAULT_PROBES = 16


@dataclass(frozen=True)
class Neighbors:
    """The nearest rows to the seeds: ``rows`` (k,) int64 and ``distances`` (k,) float64,
    nearest first; ``exact`` says whether exact search (not an index) answered."""

    rows: NDArray[np.int64]
    distances: NDArray[np.float64]
    exact: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows.tolist(),
            "distances": self.distances.tolist(),
            "exact": self.exact,
        }


@dataclass(frozen=True)
class SimilarElements:
    """The elements nearest the seeds, nearest first: ``ids`` (frame or label ids, by
    ``kind``), their ``distances`` and ``frame_ids`` (each element's frame: a crop's
    frame, which a face needs to show it or add it to an issue); ``embedding`` (the model
    id), ``metric``, and ``exact`` (exact search answered, not the index)."""

    ids: tuple[str, ...]
    distances: tuple[float, ...]
    kind: ElementKind
    embedding: str
    metric: SimilarityMetric
    exact: bool
    frame_ids: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "embedding": self.embedding,
            "metric": self.metric,
            "exact": self.exact,
            "results": [
                {"id": element, "frame_id": frame, "distance": distance}
                for element, frame, distance in zip(
                    self.ids, self.frame_ids, self.distances, strict=True
                )
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SimilarElements:
        results = list(data["results"])
        return cls(
            ids=tuple(str(r["id"]) for r in results),
            distances=tuple(float(r["distance"]) for r in results),
            kind=data["kind"],
            embedding=str(data["embedding"]),
            metric=data["metric"],
            exact=bool(data["exact"]),
            frame_ids=tuple(str(r["frame_id"]) for r in results),
        )


def _faiss() -> ModuleType:
    try:
        return importlib.import_module("faiss")
    except ImportError:
        raise ShoalError(
            "an embedding index needs faiss: pip install 'shoal[embeddings]' "
            "(exact search needs nothing more)"
        ) from None


def _matrix(values: ArrayLike, what: str, dimension: int | None = None) -> NDArray[np.float32]:
    array = np.ascontiguousarray(values, dtype=np.float32)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2:
        raise InputError(f"{what} must be a 2-D array (rows of vectors), not {array.ndim}-D")
    if dimension is not None and array.shape[1] != dimension:
        raise InputError(
            f"{what} have dimension {array.shape[1]}; the stored vectors have {dimension}"
        )
    for start in range(0, array.shape[0], _BLOCK_ROWS):  # blocks: no n x d mask at once
        block = array[start : start + _BLOCK_ROWS]
        if not np.isfinite(block).all():
            row = start + int(np.flatnonzero(~np.isfinite(block).all(axis=1))[0])
            raise InputError(f"{what} row {row} holds NaN or infinity")
    return array


def _check_metric(metric: str) -> None:
    if metric not in METRICS:
        raise InputError(f"unknown similarity metric {metric!r}; use one of {', '.join(METRICS)}")


def _unit(vectors: NDArray[np.float32]) -> NDArray[np.float32]:
    """Rows scaled to length 1 (a zero row stays zero: it is at distance 1 from all)."""
    norms = np.sqrt(np.einsum("ij,ij->i", vectors, vectors))[:, None]
    unit: NDArray[np.float32] = (vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32)
    return unit


def _excluded(exclude: Iterable[int] | NDArray[np.integer[Any]], n: int) -> NDArray[np.int64]:
    rows = np.unique(np.asarray(list(exclude) if not isinstance(exclude, np.ndarray) else exclude,
                                dtype=np.int64))  # fmt: skip
    if rows.size and (rows[0] < 0 or rows[-1] >= n):
        raise InputError(f"excluded rows must be in [0, {n}), got {rows[0]}..{rows[-1]}")
    return rows


def _top(
    distances: NDArray[np.float64], rows: NDArray[np.int64], k: int
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """The k smallest distances, nearest first, ties by lower row."""
    if distances.size > k:
        part = np.argpartition(distances, k - 1)[:k]
        # Rows tied with the k-th distance but cut by the partition: keep the lower rows.
        cut = distances[part].max()
        tied = np.flatnonzero(distances <= cut)
        part = tied if tied.size > k else part
        distances, rows = distances[part], rows[part]
    order = np.lexsort((rows, distances))[:k]
    return rows[order], distances[order]


class ExactSearch:
    """Exact nearest rows of ``vectors``, prepared once for many searches: for cosine
    the rows are scaled to unit length once, for Euclidean their squared norms are kept,
    so a search is one matrix product over the rows and one partial sort."""

    def __init__(self, vectors: ArrayLike, metric: SimilarityMetric = "cosine") -> None:
        _check_metric(metric)
        data = _matrix(vectors, "vectors")
        self.metric: SimilarityMetric = metric
        self.size, self.dimension = data.shape
        self._vectors = _unit(data) if metric == "cosine" else data
        self._squared = (
            None if metric == "cosine" else np.einsum("ij,ij->i", data, data).astype(np.float64)
        )

    def search(
        self,
        seeds: ArrayLike,
        k: int = 10,
        *,
        exclude: Iterable[int] | NDArray[np.integer[Any]] = (),
    ) -> Neighbors:
        """The k rows nearest the seeds (each at its nearest seed's distance), leaving
        out ``exclude``."""
        queries = _matrix(seeds, "seeds", self.dimension)
        excluded = _excluded(exclude, self.size)
        k = _check_k(k, self.size - excluded.size)
        if k == 0 or queries.shape[0] == 0:
            return Neighbors(np.zeros(0, np.int64), np.zeros(0), exact=True)
        if self.metric == "cosine":
            queries = _unit(queries)
        seed_sq = np.einsum("ij,ij->i", queries, queries).astype(np.float64)
        distance = np.empty(self.size, np.float64)
        # Blocks of rows bound the (seeds, rows) products held at once.
        block = max(1, _BLOCK_CELLS // queries.shape[0])
        for start in range(0, self.size, block):
            products = queries @ self._vectors[start : start + block].T
            if self.metric == "cosine":
                distance[start : start + block] = 1.0 - products.max(axis=0)
            else:
                assert self._squared is not None
                squared = (
                    seed_sq[:, None] - 2.0 * products + self._squared[None, start : start + block]
                )
                distance[start : start + block] = np.sqrt(np.maximum(squared.min(axis=0), 0.0))
        distance[excluded] = np.inf
        rows, best = _top(distance, np.arange(self.size, dtype=np.int64), k)
        return Neighbors(rows, best, exact=True)


class VectorIndex:
    """An inverted-file index over ``vectors`` (see the module doc): ``lists`` k-means
    groups (default ``sqrt(n)``, trained on a seeded sample of ``40 x lists`` rows), a
    search scanning the ``probes`` (default 16) groups nearest each seed."""

    def __init__(self, index: Any, metric: SimilarityMetric, size: int, dimension: int) -> None:
        self._index = index
        self.metric: SimilarityMetric = metric
        self.size = size
        self.dimension = dimension

    @classmethod
    def build(
        cls,
        vectors: ArrayLike,
        *,
        metric: SimilarityMetric = "cosine",
        lists: int | None = None,
        seed: int = 0,
    ) -> VectorIndex:
        _check_metric(metric)
        faiss = _faiss()
        data = _matrix(vectors, "vectors")
        n, d = data.shape
        if n == 0:
            raise InputError("an index needs at least one vector")
        if metric == "cosine":
            data = _unit(data)
        count = max(1, min(n, lists if lists is not None else round(math.sqrt(n))))
        measure = faiss.METRIC_INNER_PRODUCT if metric == "cosine" else faiss.METRIC_L2
        coarse = faiss.IndexFlatIP(d) if metric == "cosine" else faiss.IndexFlatL2(d)
        index = faiss.IndexIVFFlat(coarse, d, count, measure)
        rng = np.random.default_rng(seed)
        sample = data[np.sort(rng.choice(n, size=min(n, 40 * count), replace=False))]
        index.cp.seed = seed
        index.train(sample)
        index.add(data)
        index.nprobe = min(_DEFAULT_PROBES, count)
        return cls(index, metric, n, d)

    def to_bytes(self) -> bytes:
        """The index serialized (faiss's format), to keep beside the vectors."""
        return bytes(_faiss().serialize_index(self._index).tobytes())

    @classmethod
    def from_bytes(cls, data: bytes, metric: SimilarityMetric) -> VectorIndex:
        faiss = _faiss()
        index = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
        return cls(index, metric, int(index.ntotal), int(index.d))

    def search(
        self,
        seeds: ArrayLike,
        k: int = 10,
        *,
        exclude: Iterable[int] | NDArray[np.integer[Any]] = (),
        probes: int | None = None,
    ) -> Neighbors:
        """The k rows nearest the seeds (each candidate at its nearest seed's distance),
        leaving out ``exclude``."""
        queries = _matrix(seeds, "seeds", self.dimension)
        excluded = _excluded(exclude, self.size)
        k = _check_k(k, self.size - excluded.size)
        if k == 0:
            return Neighbors(np.zeros(0, np.int64), np.zeros(0), exact=False)
        if self.metric == "cosine":
            queries = _unit(queries)
        if probes is not None:
            if probes < 1:
                raise InputError(f"probes must be at least 1, not {probes}")
            self._index.nprobe = min(probes, self._index.nlist)
        wanted = min(self.size, k + excluded.size)
        scores, rows = self._index.search(queries, wanted)
        rows = rows.astype(np.int64).ravel()
        values = scores.astype(np.float64).ravel()
        found = rows >= 0  # -1: the probed groups held fewer than wanted
        rows, values = rows[found], values[found]
        distance = 1.0 - values if self.metric == "cosine" else np.sqrt(np.maximum(values, 0.0))
        keep = ~np.isin(rows, excluded)
        rows, distance = rows[keep], distance[keep]
        # A row near several seeds: its nearest seed's distance.
        order = np.lexsort((distance, rows))
        rows, distance = rows[order], distance[order]
        first = np.append(True, rows[1:] != rows[:-1])
        best_rows, best = _top(distance[first], rows[first], k)
        return Neighbors(best_rows, best, exact=False)


def _check_k(k: int, available: int) -> int:
    if not isinstance(k, int | np.integer) or isinstance(k, bool) or k < 1:
        raise InputError(f"k must be a positive integer, not {k!r}")
    return int(min(k, max(available, 0)))


def nearest(
    vectors: ArrayLike,
    seeds: ArrayLike,
    k: int = 10,
    *,
    metric: SimilarityMetric = "cosine",
    exclude: Iterable[int] | NDArray[np.integer[Any]] = (),
    index: VectorIndex | None = None,
) -> Neighbors:
    """The ``k`` rows of ``vectors`` nearest the ``seeds`` (see the module doc), leaving
    out ``exclude`` (e.g. the seeds' own rows and an issue's elements). With ``index``
    (built over these vectors with this metric) the index answers, else exact search
    (which prepares the vectors on each call: keep an :class:`ExactSearch` for many)."""
    _check_metric(metric)
    if index is not None:
        if index.metric != metric:
            raise InputError(f"the index measures {index.metric} distance, not {metric}")
        return index.search(seeds, k, exclude=exclude)
    return ExactSearch(vectors, metric).search(seeds, k, exclude=exclude)
