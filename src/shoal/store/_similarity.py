"""A dataset's elements with embeddings, and the similar elements among them.

**Elements.** An element is a frame or a crop with a stored vector of one embedding
model (``ElementRef``): a frame (``source="frame"``; its vector from the dataset, or
from an inference set that uploaded per-frame vectors, e.g. a model's hidden layer), a
ground-truth label's crop (``"label"``, the dataset's table) or a prediction's crop
(``"prediction"``, its inference set's table). Kind ``"frame"`` holds the frames, kind
``"crop"`` the label and prediction crops.

**Element order** (of ``Dataset.similar``'s rows and of a projection's points): the
dataset's vectors in stored order, then each inference set's, by set name, in stored
order. Deterministic: the same stored data gives the same order.

**Ids as strings.** ``Dataset.similar`` takes and answers element keys: a dataset's
element is its plain id (a frame id, or a label id for crops); an inference set's is
``prediction/<set>/<prediction id>`` or ``frame/<set>/<frame id>`` (set names never hold
``/``). A plain string is looked up among the dataset's own elements first, so a label
id that happens to look like a prediction key still names the label; ``ElementRef``
names any element without doubt.

**Search** is ``shoal.analysis.similarity``'s: exact below ``INDEX_MIN_VECTORS`` vectors,
through an inverted-file index above it. The index is kept in the store (faiss's bytes in
an object, a ``similarity_indexes`` row per dataset, model, kind and metric with the
vectors key it was built from): built on first use, read back by the next process, built
again when the vectors change. In front of it, the prepared search (unit vectors, or the
index) is kept in memory for the last two (vectors key, model, kind, metric).

**Vectors key.** What an element table depends on: the dataset's stored object and the
object of each inference set with vectors of the model and kind. Objects never change,
so a replaced dataset or set (new vectors) gives a new key; a set added without such
vectors does not.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from numpy.typing import ArrayLike

from shoal.analysis.similarity import (
    INDEX_MIN_VECTORS,
    ElementKind,
    ExactSearch,
    SimilarElements,
    SimilarityMetric,
    VectorIndex,
)
from shoal.errors import ConflictError, InputError, NotFoundError, ShoalError
from shoal.store._home import crash_point
from shoal.store._writes import StagedWrite

if TYPE_CHECKING:
    from shoal.store._entities import Dataset
    from shoal.store._store import Store

__all__ = [
    "INDEX_FILE",
    "INDEX_MIN_VECTORS",
    "VECTORS_FILE",
    "ElementRef",
    "ElementSource",
    "Elements",
    "EmbeddingModelInfo",
    "element_vectors",
    "embedding_models",
    "resolve_model",
    "similar_elements",
    "similar_to_vectors",
    "vectors_of",
]

ElementSource = Literal["frame", "label", "prediction"]
SOURCES: tuple[ElementSource, ...] = ("frame", "label", "prediction")
INDEX_FILE = "index.faiss"
VECTORS_FILE = "vectors.npy"
# Prepared searches kept in memory (each holds its vectors: about 2 GB at 1M x 512).
_KEPT_SEARCHES = 2


@dataclass(frozen=True)
class ElementRef:
    """One element: ``source`` "frame", "label" or "prediction"; ``id`` its frame, label
    or prediction id; ``inference_set`` the set whose table holds its vector (always for
    a prediction; for a frame, None = the dataset's frame vector)."""

    source: ElementSource
    id: str
    inference_set: str | None = None

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise InputError(
                f"an element's source is frame, label or prediction, not {self.source!r}"
            )
        if not isinstance(self.id, str) or not self.id:
            raise InputError(f"an element's id is a non-empty string, not {self.id!r}")
        if self.source == "prediction" and not self.inference_set:
            raise InputError(f"prediction {self.id!r}: name its inference set")
        if self.source == "label" and self.inference_set is not None:
            raise InputError(f"label {self.id!r}: labels belong to the dataset, not a set")

    @property
    def kind(self) -> ElementKind:
        return "frame" if self.source == "frame" else "crop"

    @property
    def key(self) -> str:
        """The element as one string (the module doc): a plain id for the dataset's
        elements, ``<source>/<set>/<id>`` for an inference set's."""
        if self.inference_set is None:
            return self.id
        return f"{self.source}/{self.inference_set}/{self.id}"

    @classmethod
    def from_key(cls, key: str, kind: ElementKind) -> ElementRef:
        """The element a key names, read as kind ``kind`` (a plain id: a frame, or a
        label for crops). Does not check that it exists."""
        head, _, rest = key.partition("/")
        name, _, element = rest.partition("/")
        if (
            head in ("frame", "prediction")
            and name
            and element
            and (head == "frame") == (kind == "frame")
        ):
            return cls(head, element, name)  # type: ignore[arg-type]
        return cls("frame" if kind == "frame" else "label", key)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "inference_set": self.inference_set, "id": self.id}


@dataclass(frozen=True)
class EmbeddingModelInfo:
    """One embedding model of a dataset: its vectors' ``dimension``, and how many
    vectors it has of frames (the dataset's and its inference sets'), of label crops,
    and of prediction crops per inference set."""

    model: str
    dimension: int
    frames: int
    labels: int
    predictions: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "dimension": self.dimension,
            "frames": self.frames,
            "labels": self.labels,
            "predictions": dict(self.predictions),
        }


_lock = threading.Lock()


_EMBEDDINGS_FILE = "embeddings.parquet"


@dataclass(frozen=True)
class _Source:
    """One table of vectors: the dataset's (``inference_set`` None) or a set's, in the
    stored object ``object``."""

    store: Store
    inference_set: str | None
    object: str

    def columns(self, names: Sequence[str]) -> pa.Table:
        """Some columns (no columns when the object has no embeddings): the model and
        target columns are read without the vectors."""
        return self.store.read_table(self.object, _EMBEDDINGS_FILE, columns=names)

    def table(self, *, vectors: bool = True) -> pa.Table:
        """The whole table (EMBEDDINGS_SCHEMA, or no columns), or all but the vectors.
        Read past the store's table cache: the element tables built from it are kept
        instead (at 1M x 512 each is 2 GB)."""
        path = self.store.home.object_path(self.object) / _EMBEDDINGS_FILE
        if not path.is_file():
            return self.store.read_table(self.object, _EMBEDDINGS_FILE)  # says why
        columns = None if vectors else ["frame_id", "target_id", "model_id"]
        return self.store.home.read_parquet(self.object, _EMBEDDINGS_FILE, columns=columns)


def _sources(dataset: Dataset) -> list[_Source]:
    store = dataset.store
    found = [_Source(store, None, dataset._object())]
    for row in store._rows(
        "SELECT name, object FROM inference_sets WHERE dataset_id = ? ORDER BY name",
        (dataset.id,),
    ):
        found.append(_Source(store, str(row["name"]), str(row["object"])))
    return found


def _mask(table: pa.Table, model: str, kind: ElementKind) -> pa.ChunkedArray | None:
    if table.num_rows == 0:
        return None
    target = table.column("target_id")
    return pc.and_(
        pc.equal(table.column("model_id"), model),
        pc.is_null(target) if kind == "frame" else pc.is_valid(target),
    )


# (model, kind) -> vectors, per stored object: objects never change, so a summary is
# computed once (a query at 1M vectors must not scan the model column each time).
_summaries: OrderedDict[str, dict[tuple[str, ElementKind], int]] = OrderedDict()
_KEPT_SUMMARIES = 256


def _summary(source: _Source) -> dict[tuple[str, ElementKind], int]:
    with _lock:
        found = _summaries.get(source.object)
        if found is not None:
            _summaries.move_to_end(source.object)
            return found
    counts: dict[tuple[str, ElementKind], int] = {}
    columns = source.columns(["model_id", "target_id"])
    if columns.num_rows:
        table = pa.table(
            {"model": columns.column("model_id"), "frame": pc.is_null(columns.column("target_id"))}
        )
        for row in table.group_by(["model", "frame"]).aggregate([("model", "count")]).to_pylist():
            kind: ElementKind = "frame" if row["frame"] else "crop"
            counts[(str(row["model"]), kind)] = int(row["model_count"])
    with _lock:
        _summaries[source.object] = counts
        while len(_summaries) > _KEPT_SUMMARIES:
            _summaries.popitem(last=False)
    return counts


def _dimensions(source: _Source) -> dict[str, int]:
    """Each model's vector length in one table: read batch by batch until every model
    is met (usually the first batch), not the whole table."""
    wanted = {model for model, _ in _summary(source)}
    found: dict[str, int] = {}
    if not wanted:
        return found
    path = source.store.home.object_path(source.object) / _EMBEDDINGS_FILE
    for batch in pq.ParquetFile(path).iter_batches(batch_size=4096, columns=["model_id", "vector"]):
        models = batch.column(0)
        lengths = pc.list_value_length(batch.column(1))
        for model in pc.unique(models).to_pylist():
            if model not in found:
                at = pc.index(models, model).as_py()
                found[str(model)] = int(lengths[at].as_py())
        if wanted <= set(found):
            break
    return found


def _models(sources: Sequence[_Source]) -> list[str]:
    return sorted({model for source in sources for model, _ in _summary(source)})


def resolve_model(dataset: Dataset, embedding: str | None) -> str:
    """The model named, or the dataset's one model when none is named; an
    ``InputError`` naming the models when there are several, ``NotFoundError`` when the
    one named has no vectors."""
    models = _models(_sources(dataset))
    if embedding is None:
        if len(models) != 1:
            raise InputError(
                f"dataset {dataset.name!r} has embeddings of {len(models)} models "
                f"({', '.join(models) or 'none'}): name one (embedding=)"
            )
        return models[0]
    if embedding not in models:
        raise NotFoundError(
            f"dataset {dataset.name!r} has no embedding model {embedding!r} "
            f"(models: {', '.join(models) or 'none'})"
        )
    return embedding


def embedding_models(dataset: Dataset) -> list[EmbeddingModelInfo]:
    """See ``Dataset.embedding_models``."""
    sources = _sources(dataset)
    infos = []
    for model in _models(sources):
        dimension, frames, labels, predictions = 0, 0, 0, {}
        for source in sources:
            summary = _summary(source)
            if not (summary.get((model, "frame")) or summary.get((model, "crop"))):
                continue
            dimension = dimension or _dimensions(source).get(model, 0)
            crops = summary.get((model, "crop"), 0)
            frames += summary.get((model, "frame"), 0)
            if source.inference_set is None:
                labels += crops
            elif crops:
                predictions[source.inference_set] = crops
        infos.append(EmbeddingModelInfo(model, dimension, frames, labels, predictions))
    return infos


@dataclass(frozen=True)
class Elements:
    """A dataset's elements of one kind with vectors of one model, in element order
    (the module doc): per element its ``sources``, ``inference_sets`` (null for the
    dataset's), ``ids``, ``frame_ids`` and ``keys`` (strings), and ``vectors`` (n, d)."""

    model: str
    kind: ElementKind
    vectors_key: str
    sources: pa.Array
    inference_sets: pa.Array
    ids: pa.Array
    frame_ids: pa.Array
    keys: pa.Array
    vectors: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    @functools.cached_property
    def _rows(self) -> dict[str, int]:
        """Key -> row, the first row of a key (the dataset's before a set's): built once
        per element table, so a lookup does not hash every key again."""
        keys = self.keys.to_pylist()
        return {key: row for row, key in reversed(list(enumerate(keys)))}

    def rows_of(self, keys: Iterable[str | ElementRef], what: str) -> np.ndarray:
        """The rows of the elements named (keys or ``ElementRef``s); an ``InputError``
        naming those without a vector."""
        wanted = [k.key if isinstance(k, ElementRef) else str(k) for k in keys]
        lookup = self._rows
        rows = [lookup.get(key, -1) for key in wanted]
        missing = [key for key, row in zip(wanted, rows, strict=True) if row < 0]
        if missing:
            shown = ", ".join(repr(m) for m in missing[:5])
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            raise InputError(f"{what} without an embedding of this model: {shown}{more}")
        return np.asarray(rows, np.int64)


def _key_of(sources: Sequence[_Source], dataset_object: str, model: str, kind: ElementKind) -> str:
    parts = [dataset_object]
    for source in sources[1:]:
        if _summary(source).get((model, kind)):
            parts.append(f"{source.inference_set}={source.object}")
    return ";".join(parts)


def vectors_key(dataset: Dataset, model: str, kind: ElementKind) -> str:
    """What the elements of ``model`` and ``kind`` depend on (the module doc)."""
    sources = _sources(dataset)
    return _key_of(sources, sources[0].object, model, kind)


# The last element tables (each holds its vectors), shared with the prepared searches.
_elements: OrderedDict[tuple[str, str, str], Elements] = OrderedDict()


def element_vectors(
    dataset: Dataset, model: str, kind: ElementKind, *, keep: bool = True
) -> Elements:
    """The dataset's elements of ``kind`` with vectors of ``model``, in element order;
    a ``NotFoundError`` when there are none. The last two are kept in memory (unless
    ``keep`` is off: a projection reads them once)."""
    sources = _sources(dataset)
    key = (_key_of(sources, sources[0].object, model, kind), model, kind)
    with _lock:
        found = _elements.get(key)
        if found is not None:
            _elements.move_to_end(key)
            return found
    elements = _gather(dataset, sources, model, kind)
    if not keep:
        return elements
    with _lock:
        _elements[key] = elements
        while len(_elements) > _KEPT_SEARCHES:
            _elements.popitem(last=False)
    return elements


def _gather(
    dataset: Dataset,
    sources: list[_Source],
    model: str,
    kind: ElementKind,
    *,
    vectors_from: np.ndarray | None = None,
) -> Elements:
    """The element table; with ``vectors_from`` (the vectors kept beside an index, in
    element order) only the ids are read, not the vectors."""
    parts: dict[str, list[pa.Array]] = {
        name: [] for name in ("sources", "sets", "ids", "frames", "keys", "vectors")
    }
    dimension = 0
    for source in sources:
        if not _summary(source).get((model, kind)):
            continue
        table = source.table(vectors=vectors_from is None)
        mask = (
            None if _summary(source)[(model, kind)] == table.num_rows else _mask(table, model, kind)
        )
        # All rows of one model and kind (the usual table): no filtered copy.
        rows = table if mask is None else table.filter(mask)
        n = rows.num_rows
        if n == 0:
            continue
        frame_ids = rows.column("frame_id").combine_chunks()
        ids = frame_ids if kind == "frame" else rows.column("target_id").combine_chunks()
        element_source = (
            "frame"
            if kind == "frame"
            else "label"
            if source.inference_set is None
            else "prediction"
        )
        parts["sources"].append(pa.array([element_source] * n, pa.string()))
        parts["sets"].append(pa.array([source.inference_set] * n, pa.string()))
        parts["ids"].append(ids)
        parts["frames"].append(frame_ids)
        parts["keys"].append(
            ids
            if source.inference_set is None
            else pc.binary_join_element_wise(
                f"{element_source}/{source.inference_set}", ids.cast(pa.string()), "/"
            )
        )
        if vectors_from is not None:
            continue
        vector = rows.column("vector").combine_chunks()
        values = vector.flatten()
        dimension = dimension or len(values) // n
        if len(values) != n * dimension:
            raise ShoalError(
                f"the stored vectors of model {model!r} differ in length "
                f"({'the dataset' if source.inference_set is None else source.inference_set})"
            )
        parts["vectors"].append(
            np.asarray(values.to_numpy(zero_copy_only=False), np.float32).reshape(n, dimension)
        )
    if not parts["ids"]:
        what = "frame" if kind == "frame" else "crop"
        raise NotFoundError(f"dataset {dataset.name!r} has no {what} embeddings of model {model!r}")
    vectors = parts["vectors"]
    if any(v.shape[1] != dimension for v in vectors):
        raise ShoalError(f"the stored vectors of model {model!r} differ in length between sets")
    if vectors_from is not None:
        vectors = [vectors_from]
    return Elements(
        model=model,
        kind=kind,
        vectors_key=_key_of(sources, sources[0].object, model, kind),
        sources=pa.concat_arrays(parts["sources"]),
        inference_sets=pa.concat_arrays(parts["sets"]),
        ids=pa.concat_arrays(parts["ids"]).cast(pa.string()),
        frame_ids=pa.concat_arrays(parts["frames"]).cast(pa.string()),
        keys=pa.concat_arrays(parts["keys"]).cast(pa.string()),
        vectors=vectors[0] if len(vectors) == 1 else np.concatenate(vectors),
    )


# --------------------------------------------------------------------------- search


@dataclass(frozen=True)
class _Prepared:
    elements: Elements
    search: ExactSearch | VectorIndex


_kept: OrderedDict[tuple[Any, ...], _Prepared] = OrderedDict()


def forget_prepared() -> None:
    """Drop the prepared searches kept in memory (as a new process starts without)."""
    with _lock:
        _kept.clear()
        _elements.clear()


def _stored_index(
    dataset: Dataset, model: str, kind: ElementKind, metric: SimilarityMetric, key: str
) -> tuple[VectorIndex, np.ndarray] | None:
    """The kept index of these vectors and the vectors kept beside it (memory-mapped,
    in element order), or None when there is none current or it cannot be read."""
    store = dataset.store
    row = store._row(
        "SELECT object, vectors_key FROM similarity_indexes "
        "WHERE dataset_id = ? AND model = ? AND kind = ? AND metric = ?",
        (dataset.id, model, kind, metric),
    )
    if row is None or row["vectors_key"] != key:
        return None
    try:
        folder = store.home.object_path(str(row["object"]))
        index = VectorIndex.from_bytes((folder / INDEX_FILE).read_bytes(), metric)
        vectors = np.load(folder / VECTORS_FILE, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError, RuntimeError, ShoalError):
        return None  # unreadable (doctor reports it): built again and replaced
    if vectors.dtype != np.float32 or vectors.shape != (index.size, index.dimension):
        return None
    return index, vectors


def _keep_index(
    dataset: Dataset,
    model: str,
    kind: ElementKind,
    metric: SimilarityMetric,
    key: str,
    index: VectorIndex,
    vectors: np.ndarray,
) -> None:
    """Keep ``index`` in the store (replacing the row's older one), all or nothing; not
    while another process writes (a query does not wait out an import: the next
    first query keeps it)."""
    store = dataset.store
    with store.home.write_lock(blocking=False) as locked:
        if not locked:
            return
        write = StagedWrite(store)
        try:
            old = _write_index(dataset, write, model, kind, metric, key, index, vectors)
        except BaseException:
            write.abandon()
            raise
    for name in old:
        store.home.discard(name)


def _write_index(
    dataset: Dataset,
    write: StagedWrite,
    model: str,
    kind: ElementKind,
    metric: SimilarityMetric,
    key: str,
    index: VectorIndex,
    vectors: np.ndarray,
) -> list[str]:
    """Publish the index (and the vectors it was built from, so the next process reads
    neither the Parquet vectors nor builds again) and point the row at it; the objects
    it replaced."""
    (write.stage / INDEX_FILE).write_bytes(index.to_bytes())
    np.save(write.stage / VECTORS_FILE, vectors, allow_pickle=False)
    obj = write.publish()
    with dataset.store._transaction() as db:
        if db.execute("SELECT 1 FROM datasets WHERE id = ?", (dataset.id,)).fetchone() is None:
            raise NotFoundError(f"dataset {dataset.name!r} was deleted meanwhile")
        where = "dataset_id = ? AND model = ? AND kind = ? AND metric = ?"
        params = (dataset.id, model, kind, metric)
        old = [
            str(r[0])
            for r in db.execute(f"SELECT object FROM similarity_indexes WHERE {where}", params)
        ]
        db.execute(f"DELETE FROM similarity_indexes WHERE {where}", params)
        db.execute(
            "INSERT INTO similarity_indexes (dataset_id, model, kind, metric, vectors_key, "
            "object) VALUES (?, ?, ?, ?, ?, ?)",
            (*params, key, obj),
        )
        crash_point("before-commit")
    return old


def _prepared(
    dataset: Dataset, model: str, kind: ElementKind, metric: SimilarityMetric
) -> _Prepared:
    sources = _sources(dataset)
    key = (_key_of(sources, sources[0].object, model, kind), model, kind, metric)
    with _lock:
        found = _kept.get(key)
        if found is not None:
            _kept.move_to_end(key)
            return found
    count = sum(_summary(source).get((model, kind), 0) for source in sources)
    search: ExactSearch | VectorIndex
    stored = (
        None if count < INDEX_MIN_VECTORS else _stored_index(dataset, model, kind, metric, key[0])
    )
    if stored is not None and stored[0].size == count:
        # Kept: the ids alone are read; the vectors are the kept ones, memory-mapped.
        search = stored[0]
        elements = _gather(dataset, sources, model, kind, vectors_from=stored[1])
    else:
        elements = element_vectors(dataset, model, kind)
        if len(elements) < INDEX_MIN_VECTORS:
            search = ExactSearch(elements.vectors, metric)
        else:
            search = VectorIndex.build(elements.vectors, metric=metric)
            # The dataset changed meanwhile: not kept, but this answer still stands.
            with contextlib.suppress(ConflictError, NotFoundError):
                _keep_index(
                    dataset, model, kind, metric, elements.vectors_key, search, elements.vectors
                )
    prepared = _Prepared(elements, search)
    with _lock:
        _kept[(elements.vectors_key, model, kind, metric)] = prepared
        while len(_kept) > _KEPT_SEARCHES:
            _kept.popitem(last=False)
    return prepared


def _check(kind: str, metric: str) -> None:
    if kind not in ("frame", "crop"):
        raise InputError(f"unknown element kind {kind!r}; use frame or crop")
    if metric not in ("cosine", "euclidean"):
        raise InputError(f"unknown similarity metric {metric!r}; use cosine or euclidean")


def _answer(
    prepared: _Prepared,
    seeds: np.ndarray,
    k: int,
    excluded: np.ndarray,
    kind: ElementKind,
    metric: SimilarityMetric,
) -> SimilarElements:
    found = prepared.search.search(seeds, k, exclude=excluded)
    rows = pa.array(found.rows)
    return SimilarElements(
        ids=tuple(prepared.elements.keys.take(rows).to_pylist()),
        frame_ids=tuple(prepared.elements.frame_ids.take(rows).to_pylist()),
        distances=tuple(found.distances.tolist()),
        kind=kind,
        embedding=prepared.elements.model,
        metric=metric,
        exact=found.exact,
    )


def similar_elements(
    dataset: Dataset,
    ids: Iterable[str | ElementRef],
    *,
    k: int = 10,
    embedding: str | None = None,
    exclude: Iterable[str | ElementRef] = (),
    kind: ElementKind = "frame",
    metric: SimilarityMetric = "cosine",
) -> SimilarElements:
    """See ``Dataset.similar``."""
    seeds = list(ids)
    if not seeds:
        raise InputError("name at least one element to find similar ones to")
    _check(kind, metric)
    prepared = _prepared(dataset, resolve_model(dataset, embedding), kind, metric)
    what = "frames" if kind == "frame" else "crops"
    seed_rows = prepared.elements.rows_of(seeds, what)
    excluded = np.union1d(seed_rows, prepared.elements.rows_of(exclude, "excluded elements"))
    return _answer(prepared, prepared.elements.vectors[seed_rows], k, excluded, kind, metric)


def similar_to_vectors(
    dataset: Dataset,
    vectors: ArrayLike,
    *,
    k: int = 10,
    embedding: str | None = None,
    exclude: Iterable[str | ElementRef] = (),
    kind: ElementKind = "frame",
    metric: SimilarityMetric = "cosine",
) -> SimilarElements:
    """See ``Dataset.similar_to_vectors``."""
    _check(kind, metric)
    prepared = _prepared(dataset, resolve_model(dataset, embedding), kind, metric)
    seeds = np.asarray(vectors, dtype=np.float32)
    if seeds.ndim == 1:
        seeds = seeds[None, :]
    if seeds.ndim != 2 or seeds.shape[0] == 0:
        raise InputError("give at least one seed vector (an (n, d) array)")
    excluded = prepared.elements.rows_of(exclude, "excluded elements")
    return _answer(prepared, seeds, k, excluded, kind, metric)


def vectors_of(
    dataset: Dataset, elements: Iterable[ElementRef], *, embedding: str | None = None
) -> np.ndarray:
    """See ``Dataset.vectors_of``."""
    refs = list(elements)
    for ref in refs:
        if not isinstance(ref, ElementRef):
            raise InputError(f"name elements as shoal.store.ElementRef, not {ref!r}")
    model = resolve_model(dataset, embedding)
    dimension = next((i.dimension for i in embedding_models(dataset) if i.model == model), 0)
    out = np.zeros((len(refs), dimension), np.float32)
    kinds: tuple[ElementKind, ...] = ("frame", "crop")
    for kind in kinds:
        positions = [i for i, ref in enumerate(refs) if ref.kind == kind]
        if not positions:
            continue
        try:
            table = element_vectors(dataset, model, kind)
        except NotFoundError:
            raise NotFoundError(
                f"{_describe(refs[positions[0]])} has no embedding of model {model!r} "
                f"(dataset {dataset.name!r} has no {kind} embeddings of it)"
            ) from None
        lookup = table._rows
        rows = [lookup.get(refs[i].key, -1) for i in positions]
        for at, position in zip(rows, positions, strict=True):
            ref = refs[position]
            if at < 0 or table.sources[at].as_py() != ref.source:
                raise NotFoundError(f"{_describe(ref)} has no embedding of model {model!r}")
        out[positions] = table.vectors[np.asarray(rows, np.int64)]
    return out


def _describe(ref: ElementRef) -> str:
    where = f" of inference set {ref.inference_set!r}" if ref.inference_set else ""
    return f"{ref.source} {ref.id!r}{where}"
