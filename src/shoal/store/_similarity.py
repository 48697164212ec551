"""Similar elements of a dataset by its stored embeddings (``Dataset.similar``).

The elements are frames (frame embeddings, id = the frame id) or crops (crop embeddings of
labels, id = the label id), of one embedding model. Seeds and answers are of one kind: a
frame finds frames, a crop finds crops. The search is ``shoal.analysis.similarity``'s:
exact below ``INDEX_MIN_VECTORS`` vectors, through an inverted-file index above it. The
prepared search (unit vectors, or the index) is kept in memory per stored dataset
version, model, kind and metric, the last two of them, so the first query pays for it and the
next ones do not.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shoal.analysis.similarity import (
    INDEX_MIN_VECTORS,
    ElementKind,
    ExactSearch,
    SimilarElements,
    SimilarityMetric,
    VectorIndex,
)
from shoal.errors import InputError, NotFoundError

if TYPE_CHECKING:
    from shoal.store._entities import Dataset

__all__ = ["similar_elements"]

# Prepared searches kept in memory (each holds its vectors: about 2 GB at 1M x 512).
_KEPT_SEARCHES = 2


@dataclass(frozen=True)
class _Prepared:
    ids: pa.Array  # the elements' ids, in the vectors' row order
    vectors: np.ndarray
    search: ExactSearch | VectorIndex


_lock = threading.Lock()
_kept: OrderedDict[tuple[Any, ...], _Prepared] = OrderedDict()


def _models(embeddings: pa.Table) -> list[str]:
    return sorted(set(embeddings.column("model_id").to_pylist())) if embeddings.num_rows else []


def _prepared(
    dataset: Dataset, model: str, kind: ElementKind, metric: SimilarityMetric
) -> _Prepared:
    # The dataset's object names its stored version (a uuid: no two versions share it).
    key = (dataset._object(), model, kind, metric)
    with _lock:
        found = _kept.get(key)
        if found is not None:
            _kept.move_to_end(key)
            return found
    embeddings = dataset.embeddings()
    rows = embeddings.filter(
        pc.and_(
            pc.equal(embeddings.column("model_id"), model),
            pc.is_null(embeddings.column("target_id"))
            if kind == "frame"
            else pc.is_valid(embeddings.column("target_id")),
        )
    )
    if rows.num_rows == 0:
        raise NotFoundError(f"dataset {dataset.name!r} has no {kind} embeddings of model {model!r}")
    ids = rows.column("frame_id" if kind == "frame" else "target_id").combine_chunks()
    vector = rows.column("vector").combine_chunks()
    dimension = len(vector[0].as_py())
    vectors = np.asarray(vector.flatten().to_numpy(zero_copy_only=False), np.float32).reshape(
        -1, dimension
    )
    search: ExactSearch | VectorIndex = (
        ExactSearch(vectors, metric)
        if len(vectors) < INDEX_MIN_VECTORS
        else VectorIndex.build(vectors, metric=metric)
    )
    prepared = _Prepared(ids, vectors, search)
    with _lock:
        _kept[key] = prepared
        while len(_kept) > _KEPT_SEARCHES:
            _kept.popitem(last=False)
    return prepared


def _rows_of(prepared: _Prepared, ids: Iterable[str], what: str) -> np.ndarray:
    wanted = pa.array([str(element) for element in ids], pa.string())
    found = pc.index_in(wanted, value_set=prepared.ids)
    missing = [str(wanted[i]) for i in range(len(wanted)) if not found[i].is_valid]
    if missing:
        shown = ", ".join(repr(m) for m in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise InputError(f"{what} without an embedding of this model: {shown}{more}")
    return np.asarray(found.to_numpy(zero_copy_only=False), np.int64)


def similar_elements(
    dataset: Dataset,
    ids: Iterable[str],
    *,
    k: int = 10,
    embedding: str | None = None,
    exclude: Iterable[str] = (),
    kind: ElementKind = "frame",
    metric: SimilarityMetric = "cosine",
) -> SimilarElements:
    """See ``Dataset.similar``."""
    seeds = [str(element) for element in ids]
    if not seeds:
        raise InputError("name at least one element to find similar ones to")
    if kind not in ("frame", "crop"):
        raise InputError(f"unknown element kind {kind!r}; use frame or crop")
    models = _models(dataset.embeddings())
    if embedding is None:
        if len(models) != 1:
            raise InputError(
                f"dataset {dataset.name!r} has embeddings of {len(models)} models "
                f"({', '.join(models) or 'none'}): name one (embedding=)"
            )
        embedding = models[0]
    elif embedding not in models:
        raise NotFoundError(
            f"dataset {dataset.name!r} has no embedding model {embedding!r} "
            f"(models: {', '.join(models) or 'none'})"
        )
    prepared = _prepared(dataset, embedding, kind, metric)
    seed_rows = _rows_of(prepared, seeds, f"{kind}s")
    excluded = np.union1d(seed_rows, _rows_of(prepared, exclude, "excluded elements"))
    found = prepared.search.search(prepared.vectors[seed_rows], k, exclude=excluded)
    return SimilarElements(
        ids=tuple(prepared.ids.take(pa.array(found.rows)).to_pylist()),
        distances=tuple(found.distances.tolist()),
        kind=kind,
        embedding=embedding,
        metric=metric,
        exact=found.exact,
    )
