"""Element metrics: typed columns on frames, labels and predictions.

Two sources share one storage: quality metrics, which Shoal computes (``"quality"``,
written whole per level by :func:`write_quality_metrics`), and custom metrics, which
users upload one at a time (``"custom"``, :func:`add_custom_metric`). Levels:
``"frame"`` (keyed by ``frame_id``), ``"label"`` (``label_id``) and ``"prediction"``
(``prediction_id``, one inference set's).

Storage
    Every write is one immutable object holding ``metrics.parquet``: the key column of
    every element of the level in stored order and the metric columns written (all of
    a level's quality columns at once; one custom metric, or a file's columns), null
    where an element has no value, so reading them back needs no join. One
    ``element_metrics`` catalog row per metric column points to it, so a write is
    staged, published and committed like a dataset's: a failed write leaves the
    columns there were. Assembled tables are kept per object (objects never change).
Versions
    A row records the version of its owner it was written for (``data_version``: the
    dataset's for frame and label metrics, the inference set's for prediction metrics).
    Quality columns count only for that version: replacing the dataset (or inference
    set) leaves them out until they are computed again. Custom columns follow the ids:
    after a replace, an element the new version still has keeps its value, a new one
    has none (null), and values of ids the new version lacks are not shown.
Names
    A custom metric's name is a word (a letter, then letters, digits or ``_``, at most
    64 characters) so a query names it bare. It may not be a query keyword, a built-in
    column of frames, labels or predictions, a sort key (``iou``), a quality metric's
    name, a metadata key of the dataset, or another custom metric of its level that
    differs only in case. Where a dataset's metadata key takes a quality metric's name
    (``brightness``), the metadata keeps the plain name in queries and the metric is
    the field ``quality.brightness`` (written ```quality.brightness```; a custom metric
    there, after a replace added such a key, ``custom.NAME``).
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, cast, get_args

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shoal.analysis import quality as quality_kernels
from shoal.errors import ConflictError, InputError, NotFoundError
from shoal.formats._validation import RESERVED_METADATA_KEYS, metadata_entry, plain
from shoal.formats.metric_values import MetricValues
from shoal.store._catalog import catalog_errors
from shoal.store._home import crash_point
from shoal.tables import FRAME_COLUMNS, LABELS_SCHEMA, PREDICTIONS_SCHEMA

if TYPE_CHECKING:
    import sqlite3

    from shoal.store._entities import Dataset, InferenceSet

__all__ = [
    "KEY_COLUMNS",
    "LEVELS",
    "METRIC_FILE",
    "QUALITY_METRICS",
    "Level",
    "MetricInfo",
    "MetricType",
    "Source",
    "add_custom_metric",
    "add_custom_metrics",
    "check_metric_name",
    "delete_custom_metric",
    "element_metrics",
    "metric_infos",
    "metric_objects",
    "metrics_key",
    "prediction_metrics",
    "write_quality_metrics",
]

Level: TypeAlias = Literal["frame", "label", "prediction"]
Source: TypeAlias = Literal["quality", "custom"]
MetricType: TypeAlias = Literal["float", "int", "bool", "string"]
LEVELS: tuple[Level, ...] = get_args(Level)
KEY_COLUMNS: dict[Level, str] = {
    "frame": "frame_id",
    "label": "label_id",
    "prediction": "prediction_id",
}
METRIC_FILE = "metrics.parquet"
MAX_METRIC_NAME_LENGTH = 64
# How many unknown ids an error lists.
_SHOWN_IDS = 5

# The names and descriptions come from the kernels that compute them: one list.
QUALITY_METRICS: dict[Level, dict[str, str]] = {
    "frame": dict(quality_kernels.FRAME_METRICS),
    "label": dict(quality_kernels.BOX_METRICS),
    "prediction": dict(quality_kernels.BOX_METRICS),
}
"""Quality metrics by level with a one-line description (docs/quality.md defines them)."""

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# Words a metric cannot be named: the query language's keywords and functions, the
# built-in columns of every table, the examples' built-in sort keys, the statistics the
# query language computes, and every quality metric.
_RESERVED_NAMES = frozenset(
    name.lower()
    for name in (
        *("and", "or", "not", "in", "is", "null", "true", "false"),
        *("contains", "startswith", "endswith", "has", "count", "quality", "custom"),
        *FRAME_COLUMNS.names,
        *LABELS_SCHEMA.names,
        *PREDICTIONS_SCHEMA.names,
        *RESERVED_METADATA_KEYS,
        *("iou", "area", "confidence", "outcome", "reason"),
        *(name for names in QUALITY_METRICS.values() for name in names),
    )
)
_TYPE_ORDER = {"bool": "bool", "int": "int", "float": "float", "str": "string"}
_ARROW_TYPES: dict[MetricType, pa.DataType] = {
    "float": pa.float64(),
    "int": pa.int64(),
    "bool": pa.bool_(),
    "string": pa.string(),
}


@dataclass(frozen=True)
class MetricInfo:
    """One metric column: its name, level, source, value type, the inference set it
    belongs to (prediction metrics only) and a description."""

    name: str
    level: Level
    source: Source
    type: MetricType
    inference_set: str | None
    description: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "level": self.level,
            "source": self.source,
            "type": self.type,
            "inference_set": self.inference_set,
            "description": self.description,
        }


# --------------------------------------------------------------------------- owners


@dataclass(frozen=True)
class _Owner:
    """What a level's metrics hang on: the dataset (frame, label) or an inference set
    (prediction), at the version read."""

    dataset: Dataset
    inference_set: InferenceSet | None
    level: Level
    version: int

    @property
    def set_id(self) -> int | None:
        return None if self.inference_set is None else self.inference_set.id

    def ids(self) -> pa.ChunkedArray:
        """The ids of the level's elements, in stored order."""
        key = KEY_COLUMNS[self.level]
        if self.inference_set is not None:
            return self.inference_set.predictions().column(key)
        table = self.dataset.frames() if self.level == "frame" else self.dataset.labels()
        return table.column(key)

    def current_version(self, db: sqlite3.Connection) -> int | None:
        table, row_id = (
            ("datasets", self.dataset.id)
            if self.inference_set is None
            else ("inference_sets", self.inference_set.id)
        )
        row = db.execute(f"SELECT version FROM {table} WHERE id = ?", (row_id,)).fetchone()
        return None if row is None else int(row[0])

    def describe(self) -> str:
        if self.inference_set is not None:
            return f"inference set {self.inference_set.name!r}"
        return f"dataset {self.dataset.name!r}"


def _check_level(level: object) -> Level:
    for known in LEVELS:
        if level == known:
            return known
    raise InputError(f"a metric level is one of {', '.join(LEVELS)}, got {level!r}")


def _owner(dataset: Dataset, level: object, inference_set: InferenceSet | str | None) -> _Owner:
    checked = _check_level(level)
    if checked == "prediction":
        if inference_set is None:
            raise InputError("prediction metrics belong to an inference set: name one")
        found = (
            dataset.inference_set(inference_set)
            if isinstance(inference_set, str)
            else inference_set
        )
        if found.dataset.id != dataset.id:
            raise InputError(f"inference set {found.name!r} is not one of dataset {dataset.name!r}")
        return _Owner(dataset, found, checked, found.version)
    if inference_set is not None:
        raise InputError(
            f"{checked} metrics belong to the dataset; only prediction metrics take an "
            "inference set"
        )
    return _Owner(dataset, None, checked, dataset.version)


# --------------------------------------------------------------------------- reading

_CURRENT_ROWS = """
SELECT m.*, i.name AS set_name
FROM element_metrics m
JOIN datasets d ON d.id = m.dataset_id
LEFT JOIN inference_sets i ON i.id = m.inference_set_id
WHERE m.dataset_id = ?
  AND (m.source = 'custom' OR m.data_version = COALESCE(i.version, d.version))
"""
_ORDER = (
    " ORDER BY CASE m.level WHEN 'frame' THEN 0 WHEN 'label' THEN 1 ELSE 2 END, "
    "i.name, CASE m.source WHEN 'quality' THEN 0 ELSE 1 END, m.name"
)


def _current_rows(
    dataset: Dataset, level: Level | None = None, set_id: int | None = None
) -> list[sqlite3.Row]:
    sql, params = _CURRENT_ROWS, [cast(object, dataset.id)]
    if level is not None:
        sql += " AND m.level = ?"
        params.append(level)
        if level == "prediction":
            sql += " AND m.inference_set_id = ?"
            params.append(cast(int, set_id))
    return dataset.store._rows(sql + _ORDER, params)


def _info(row: sqlite3.Row) -> MetricInfo:
    return MetricInfo(
        name=str(row["name"]),
        level=cast(Level, row["level"]),
        source=cast(Source, row["source"]),
        type=cast(MetricType, row["type"]),
        inference_set=row["set_name"],
        description=str(row["description"]),
    )


def metric_infos(dataset: Dataset) -> list[MetricInfo]:
    """Every current metric of the dataset and of its inference sets: frame, then label,
    then prediction (by inference set); quality before custom; by name."""
    return [_info(row) for row in _current_rows(dataset)]


def metrics_key(dataset: Dataset) -> tuple[str, ...]:
    """What a frames query's answer depends on besides the dataset's version: the stored
    objects of its current frame and label metrics (objects never change, so new values
    are new objects)."""
    rows = dataset.store._rows(
        _CURRENT_ROWS + " AND m.level IN ('frame', 'label') ORDER BY m.id", [dataset.id]
    )
    return tuple(f"{row['name']}:{row['object']}" for row in rows)


def metric_objects(owner: Dataset | InferenceSet) -> list[str]:
    """The objects of the metric rows a dataset (frame and label) or an inference set
    (prediction) owns: what deleting it must discard."""
    column = "inference_set_id" if owner._table == "inference_sets" else "dataset_id"
    extra = "" if column == "inference_set_id" else " AND inference_set_id IS NULL"
    rows = owner.store._rows(
        f"SELECT DISTINCT object FROM element_metrics WHERE {column} = ?{extra}", (owner.id,)
    )
    return [str(row[0]) for row in rows]


# Assembled tables by (the owner's data object, the level, each metric's name and
# object): objects never change, so an entry is right for as long as its key is current.
_ASSEMBLED: OrderedDict[tuple[object, ...], pa.Table] = OrderedDict()
_ASSEMBLED_LOCK = threading.Lock()
ASSEMBLED_CACHE_SIZE = 32
_ELEMENT_FILES: dict[Level, str] = {
    "frame": "frames.parquet",
    "label": "labels.parquet",
    "prediction": "predictions.parquet",
}


def _assemble(owner: _Owner, rows: Sequence[sqlite3.Row]) -> pa.Table:
    """The key column in stored order with one column per row's metric (null where an
    element has no value)."""
    source = owner.inference_set if owner.inference_set is not None else owner.dataset
    data_object = source._object()
    cache_key = (
        data_object,
        owner.level,
        *((str(row["name"]), str(row["object"])) for row in rows),
    )
    with _ASSEMBLED_LOCK:
        if cache_key in _ASSEMBLED:
            _ASSEMBLED.move_to_end(cache_key)
            return _ASSEMBLED[cache_key]
    key = KEY_COLUMNS[owner.level]
    store = owner.dataset.store
    # The ids of exactly the object the key names (not of a version committed since).
    ids = store.read_table(data_object, _ELEMENT_FILES[owner.level]).column(key).combine_chunks()
    columns: dict[str, pa.Array] = {key: ids}
    positions: dict[str, pa.Array | None] = {}
    for row in rows:
        obj = str(row["object"])
        stored = store.read_table(obj, METRIC_FILE)
        if obj not in positions:
            stored_ids = stored.column(key).combine_chunks()
            # Written in stored order for every element (quality): no join needed.
            positions[obj] = (
                None if stored_ids.equals(ids) else pc.index_in(ids, value_set=stored_ids)
            )
        values = stored.column(str(row["name"])).combine_chunks()
        at = positions[obj]
        columns[str(row["name"])] = values if at is None else values.take(at)
    table = pa.table(columns)
    with _ASSEMBLED_LOCK:
        _ASSEMBLED[cache_key] = table
        while len(_ASSEMBLED) > ASSEMBLED_CACHE_SIZE:
            _ASSEMBLED.popitem(last=False)
    return table


def element_metrics(dataset: Dataset, level: object) -> pa.Table:
    """``frame_id`` (or ``label_id``) in stored order with one column per current frame
    (label) metric, quality and custom; null where an element has no value."""
    checked = _check_level(level)
    if checked == "prediction":
        raise InputError(
            "prediction metrics belong to an inference set: ask it (InferenceSet.element_metrics)"
        )
    owner = _owner(dataset, checked, None)
    return _assemble(owner, _current_rows(dataset, checked))


def prediction_metrics(inference_set: InferenceSet) -> pa.Table:
    """``prediction_id`` in stored order with one column per current prediction metric."""
    dataset = inference_set.dataset
    owner = _owner(dataset, "prediction", inference_set)
    return _assemble(owner, _current_rows(dataset, "prediction", inference_set.id))


# --------------------------------------------------------------------------- names


def check_metric_name(name: object, *, metadata_keys: Sequence[str] = ()) -> str:
    """``name`` if a custom metric may take it (see the module doc); else an
    ``InputError`` saying why."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InputError(
            f"a metric name is a letter followed by letters, digits or '_', got {name!r}"
        )
    if len(name) > MAX_METRIC_NAME_LENGTH:
        raise InputError(
            f"a metric name has at most {MAX_METRIC_NAME_LENGTH} characters, got {len(name)}"
        )
    if name.lower() in _RESERVED_NAMES:
        quality = any(name.lower() in names for names in QUALITY_METRICS.values())
        why = "a quality metric's name" if quality else "a built-in name"
        raise InputError(f"metric name {name!r} is reserved ({why}); choose another")
    for key in metadata_keys:
        if key.lower() == name.lower():
            raise InputError(
                f"metric name {name!r} is the dataset's metadata key {key!r}; queries could "
                "not tell them apart, so choose another"
            )
    return name


# --------------------------------------------------------------------------- values


def _id_list(ids: Any, what: str, source: str | None) -> list[str]:
    if (
        isinstance(ids, pa.Array | pa.ChunkedArray)
        and pa.types.is_string(ids.type)
        and ids.null_count == 0
    ):
        return list(ids.to_pylist())
    listed = ids.to_pylist() if isinstance(ids, pa.Array | pa.ChunkedArray) else list(ids)
    try:  # all strings (the usual case), checked at once
        if pa.types.is_string(pa.array(listed).type) and None not in listed:
            return listed
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        pass
    for index, value in enumerate(listed):
        if not isinstance(value, str):
            raise InputError(
                f"{what} {plain(value)!r} is a {type(plain(value)).__name__}, not a string "
                f"(ids are text, e.g. '{plain(value)}')",
                source=source,
                record=index,
            )
    return listed


@dataclass(frozen=True)
class _Values:
    """Values to store: ids, their values, where each was (for messages) and the file."""

    ids: list[str]
    values: list[Any]
    records: list[Any]
    source: str | None


def _pairs(values: Any, key: str, name: str, source: str | None) -> _Values:
    """The ids and values of a mapping, of a file read by ``shoal.formats.metric_values``
    (its column named ``name``, or its only one) or of a table (the key column, or
    ``id``, or the first column; the value column named ``name``, or the other one)."""
    if isinstance(values, MetricValues):
        if values.id_column in KEY_COLUMNS.values() and values.id_column != key:
            level = next(k for k, v in KEY_COLUMNS.items() if v == values.id_column)
            raise InputError(
                f"the ids are in a {values.id_column!r} column, but this is a "
                f"{key.removesuffix('_id')} metric (for {level} metrics pass level "
                f"{level!r}: --level {level})",
                source=values.source,
            )
        if name not in values.columns and len(values.columns) != 1:
            raise InputError(
                f"has several metric columns ({', '.join(values.columns)}) and none named {name!r}",
                source=values.source,
            )
        column = (
            values.columns[name] if name in values.columns else next(iter(values.columns.values()))
        )
        return _Values(values.ids, column, values.records, values.source)
    if type(values).__module__.startswith("pandas"):
        # A pandas Series is {index: value}; a DataFrame a table (its index left out).
        if hasattr(values, "columns"):
            values = pa.Table.from_pandas(values, preserve_index=False)
        else:
            values = dict(values.items())
    if isinstance(values, Mapping):
        ids = _id_list(values.keys(), "id", source)
        return _Values(ids, list(values.values()), list(range(len(ids))), source)
    if isinstance(values, pa.RecordBatch):
        values = pa.Table.from_batches([values])
    if not isinstance(values, pa.Table):
        raise InputError(
            "metric values are a mapping {id: value} (or a pandas Series) or a table of ids "
            "and values (Arrow or pandas), got "
            f"{type(values).__name__}",
            source=source,
        )
    names = values.column_names
    id_column = key if key in names else ("id" if "id" in names else None)
    if id_column is None:
        if len(names) != 2:
            raise InputError(
                f"a metric table has a {key!r} (or 'id') column and a value column, got "
                f"columns {names}",
                source=source,
            )
        id_column = names[0]
    others = [n for n in names if n != id_column]
    value_column = name if name in others else (others[0] if len(others) == 1 else None)
    if value_column is None:
        raise InputError(
            f"a metric table has one value column (or one named {name!r}); got {others}",
            source=source,
        )
    ids = _id_list(values.column(id_column), id_column, source)
    return _Values(ids, values.column(value_column).to_pylist(), list(range(len(ids))), source)


_FAST_TYPES: dict[pa.DataType, MetricType] = {
    pa.float64(): "float",
    pa.int64(): "int",
    pa.bool_(): "bool",
    pa.string(): "string",
}


def _typed_at_once(name: str, given: _Values) -> tuple[MetricType, pa.Array] | None:
    """``_typed``'s answer when Arrow reads the values as one type by itself (numbers,
    bools or text; ints beside floats are floats): NaN is missing, an infinity is an
    error naming its id. None when Arrow cannot, for ``_typed`` to say why."""
    try:
        array = pa.array(given.values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError,
            TypeError, ValueError):  # fmt: skip
        return None
    kind = _FAST_TYPES.get(array.type)
    if kind is None or array.null_count == len(array):
        return None
    if kind == "float":
        numbers = np.asarray(array.to_numpy(zero_copy_only=False), dtype=np.float64)
        infinite = np.flatnonzero(np.isinf(numbers))
        if infinite.size:
            index = int(infinite[0])
            raise InputError(
                f"metric {name!r} of id {given.ids[index]!r}: {numbers[index]} is not a finite "
                "number",
                source=given.source,
                record=given.records[index],
            )
        nan = np.isnan(numbers)
        if nan.any():
            array = pc.if_else(pa.array(nan), pa.scalar(None, pa.float64()), array)
    return kind, array


def _typed(name: str, given: _Values) -> tuple[MetricType, pa.Array]:
    """The values as one typed column (ints widen to float beside floats; NaN and None
    are missing), else an ``InputError`` naming the id, where it is and the value."""
    at_once = _typed_at_once(name, given)
    if at_once is not None:
        return at_once
    ids, records, source = given.ids, given.records, given.source
    kinds: list[str | None] = []
    cleaned: list[Any] = []
    for index, value in enumerate(given.values):
        try:
            kind, entry = metadata_entry(value)
        except TypeError:
            raise InputError(
                f"metric {name!r} of id {ids[index]!r}: {plain(value)!r} is not a number, bool "
                "or string",
                source=source,
                record=records[index],
            ) from None
        if isinstance(entry, float) and not math.isfinite(entry):
            raise InputError(
                f"metric {name!r} of id {ids[index]!r}: {entry} is not a finite number",
                source=source,
                record=records[index],
            )
        if kind == "int" and not -(2**63) <= cast(int, entry) < 2**63:
            raise InputError(
                f"metric {name!r} of id {ids[index]!r}: {entry} does not fit 64 bits",
                source=source,
                record=records[index],
            )
        kinds.append(kind)
        cleaned.append(entry)
    present = {k for k in kinds if k is not None}
    if present == {"int", "float"}:
        present = {"float"}
        cleaned = [float(v) if isinstance(v, int) else v for v in cleaned]
    if not present:
        raise InputError(f"metric {name!r} has no values", source=source)
    if len(present) > 1:
        first = next(i for i, k in enumerate(kinds) if k is not None)
        other = next(i for i, k in enumerate(kinds) if k is not None and k != kinds[first])
        raise InputError(
            f"metric {name!r} of id {ids[other]!r}: {cleaned[other]!r} is "
            f"{_TYPE_ORDER[cast(str, kinds[other])]}, but id {ids[first]!r} ({_at(records[first])}) "
            f"is {_TYPE_ORDER[cast(str, kinds[first])]} (a metric keeps one type)",
            source=source,
            record=records[other],
        )
    found = cast(MetricType, _TYPE_ORDER[present.pop()])
    return found, pa.array(cleaned, _ARROW_TYPES[found])


def _at(record: object) -> str:
    return f"record {record}" if isinstance(record, int) else str(record)


def _stored_order(
    ids: Sequence[str],
    known: pa.ChunkedArray,
    owner: _Owner,
    source: str | None,
    records: Sequence[Any] | None = None,
) -> pa.Array:
    """Each id once, and each one of the owner's elements (``known``, in stored order);
    else an ``InputError`` naming the first duplicate, or how many ids are unknown and
    the first few. Returns, for each stored element, the index of its id in ``ids``
    (null where it has none): values taken by it are in stored order."""
    where = list(range(len(ids))) if records is None else list(records)
    array = pa.array(ids, pa.string())
    stored = known.combine_chunks()
    positions = pc.index_in(array, value_set=stored)
    count = positions.null_count
    if count:
        unknown = pc.filter(array, positions.is_null()).to_pylist()
        shown = ", ".join(repr(u) for u in unknown[:_SHOWN_IDS])
        more = f" and {count - _SHOWN_IDS} more" if count > _SHOWN_IDS else ""
        first = ids.index(unknown[0])
        raise InputError(
            f"{count} id{'s' if count != 1 else ''} name no {owner.level} of "
            f"{owner.describe()}: {shown}{more}",
            source=source,
            record=where[first],
        )
    at = np.asarray(positions.to_numpy(zero_copy_only=False), dtype=np.int64)
    if np.bincount(at, minlength=len(stored)).max(initial=0) > 1:  # which one, only then
        seen: dict[str, int] = {}
        for index, element in enumerate(ids):
            if element in seen:
                raise InputError(
                    f"id {element!r} appears twice (also at {_at(where[seen[element]])})",
                    source=source,
                    record=where[index],
                )
            seen[element] = index
    order = np.full(len(stored), -1, dtype=np.int64)
    order[at] = np.arange(len(at))
    return pa.array(order, mask=order < 0)


# --------------------------------------------------------------------------- writing


def _write(
    owner: _Owner,
    table: pa.Table,
    rows: Sequence[tuple[str, Source, MetricType, str]],
    drop: str,
    drop_params: Sequence[Any],
    *,
    check: Callable[[sqlite3.Connection], None] | None = None,
) -> None:
    """Write ``table`` as one object and, in one transaction (after ``check``, which
    raises to refuse the write), delete the rows ``drop``
    selects (a WHERE clause on ``element_metrics``) and insert ``rows`` (name, source,
    type, description) pointing to it; discard objects no row points to any more.
    Without ``rows`` nothing is written: the rows ``drop`` selects are deleted."""
    store = owner.dataset.store
    with store._write() as write:
        obj = ""
        if rows:
            write.parquet(METRIC_FILE, table)
            obj = write.publish()
        else:
            write.abandon()  # its empty staging folder: nothing to publish
        with store._transaction() as db:
            version = owner.current_version(db)
            if version is None:
                raise NotFoundError(f"{owner.describe()} was deleted meanwhile")
            if version != owner.version:
                raise ConflictError(
                    f"{owner.describe()} was replaced while its metrics were written; "
                    "write them again"
                )
            if check is not None:
                check(db)
            old = [
                str(r[0])
                for r in db.execute(
                    f"SELECT DISTINCT object FROM element_metrics WHERE {drop}", drop_params
                )
            ]
            db.execute(f"DELETE FROM element_metrics WHERE {drop}", drop_params)
            for name, source, kind, description in rows:
                db.execute(
                    "INSERT INTO element_metrics (dataset_id, inference_set_id, level, source, "
                    "name, type, description, object, data_version) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (owner.dataset.id, owner.set_id, owner.level, source, name, kind,
                     description, obj, owner.version),
                )  # fmt: skip
            unused = [
                o
                for o in old
                if db.execute(
                    "SELECT 1 FROM element_metrics WHERE object = ? LIMIT 1", (o,)
                ).fetchone()
                is None
            ]
            crash_point("before-commit")
        for name in unused:
            store.home.discard(name)


def _owner_clause(owner: _Owner) -> tuple[str, list[Any]]:
    if owner.set_id is None:
        return (
            "dataset_id = ? AND inference_set_id IS NULL AND level = ?",
            [owner.dataset.id, owner.level],
        )
    return "inference_set_id = ? AND level = ?", [owner.set_id, owner.level]


def write_quality_metrics(
    dataset: Dataset,
    level: object,
    table: pa.Table,
    *,
    inference_set: InferenceSet | str | None = None,
) -> None:
    """Replace the level's quality columns with ``table``'s (the key column, then one
    numeric column per metric, stored as float64), all at once."""
    owner = _owner(dataset, level, inference_set)
    key = KEY_COLUMNS[owner.level]
    if not isinstance(table, pa.Table) or key not in table.column_names:
        raise InputError(f"quality metrics of a {owner.level} are a table with a {key!r} column")
    ids = _id_list(table.column(key), key, None)
    known = owner.ids()
    order = _stored_order(ids, known, owner, None)
    columns: dict[str, pa.ChunkedArray | pa.Array] = {key: known.combine_chunks()}
    clause, params = _owner_clause(owner)
    names = [name for name in table.column_names if name != key]

    def check_names(db: sqlite3.Connection) -> None:
        """No custom metric of the level takes a quality name (before writing, and in
        the transaction that writes)."""
        custom = {
            row[0].lower()
            for row in db.execute(
                f"SELECT name FROM element_metrics WHERE source = 'custom' AND {clause}", params
            )
        }
        for name in names:
            if name.lower() in custom:
                raise ConflictError(
                    f"{owner.describe()} has a custom {owner.level} metric {name!r}"
                )

    with catalog_errors(dataset.store.home.catalog):
        check_names(dataset.store._connection)
    for name in names:
        if not _NAME.fullmatch(name) or len(name) > MAX_METRIC_NAME_LENGTH:
            raise InputError(f"quality metric name {name!r} is not a word")
        column = table.column(name)
        if not (pa.types.is_floating(column.type) or pa.types.is_integer(column.type)):
            raise InputError(f"quality metric {name!r} is {column.type}, not a number")
        columns[name] = column.cast(pa.float64()).combine_chunks().take(order)
    descriptions = QUALITY_METRICS[owner.level]
    rows = [(n, "quality", "float", descriptions.get(n, "")) for n in columns if n != key]
    _write(
        owner,
        pa.table(columns),
        cast(Sequence[tuple[str, Source, MetricType, str]], rows),
        f"{clause} AND source = 'quality'",
        params,
        check=check_names,
    )


def add_custom_metric(
    dataset: Dataset,
    name: str,
    values: Any,
    *,
    level: object = "frame",
    inference_set: InferenceSet | str | None = None,
    description: str = "",
    replace: bool = False,
) -> MetricInfo:
    """Store a custom metric: ``values`` maps ids of the level's elements to values
    (a mapping, a table of ids and values, or a file's ``MetricValues``), typed like
    metadata. Elements without a value have none (null). A name in use at this level
    needs ``replace``."""
    return _add_custom(dataset, [(name, values)], level, inference_set, description, replace)[0]


def add_custom_metrics(
    dataset: Dataset,
    values: MetricValues,
    *,
    level: object = "frame",
    inference_set: InferenceSet | str | None = None,
    description: str = "",
    replace: bool = False,
) -> list[MetricInfo]:
    """Store every metric column of a file (``shoal.formats.read_metric_values``) at
    once: all of them or, on any error, none."""
    if not isinstance(values, MetricValues):
        raise InputError("add_custom_metrics takes a file's values (read_metric_values)")
    unnamed = [n for n in values.names if not n]
    if unnamed:
        raise InputError(
            "the file does not name its metric (an object of id: value): give it a name (--name)",
            source=values.source,
        )
    named = [(n, values.only(n)) for n in values.names]
    return _add_custom(dataset, named, level, inference_set, description, replace)


def _add_custom(
    dataset: Dataset,
    named: Sequence[tuple[str, Any]],
    level: object,
    inference_set: InferenceSet | str | None,
    description: str,
    replace: bool,
) -> list[MetricInfo]:
    """Check every (name, values) first, then write them as one object (they share
    their ids: one metric, or a file's columns) in one transaction."""
    owner = _owner(dataset, level, inference_set)
    metadata = [n for n in dataset.frames().column_names if n not in FRAME_COLUMNS.names]
    if not isinstance(description, str) or len(description) > 10_000:
        raise InputError("a metric description is text of at most 10,000 characters")
    key = KEY_COLUMNS[owner.level]
    known = owner.ids()
    columns: dict[str, pa.Array] = {}
    kinds: dict[str, MetricType] = {}
    ids: list[str] | None = None
    order: pa.Array | None = None
    for name, values in named:
        check_metric_name(name, metadata_keys=metadata)
        if name.lower() in {n.lower() for n in columns}:
            raise InputError(f"metric {name!r} is given twice")
        given = _pairs(values, key, name, None)
        kinds[name], columns[name] = _typed(name, given)
        if ids is None:
            order = _stored_order(given.ids, known, owner, given.source, given.records)
            ids = given.ids
        elif given.ids != ids:
            raise InputError("metrics written together share their ids")
    assert order is not None
    clause, params = _owner_clause(owner)

    def check_names(db: sqlite3.Connection) -> None:
        """The names free (or, with ``replace``, this level's custom ones of the same
        spelling): checked before writing, and again in the transaction that writes
        (another writer may have taken a name meanwhile)."""
        for row in db.execute(f"SELECT name, source FROM element_metrics WHERE {clause}", params):
            for name in columns:
                if row["name"].lower() != name.lower():
                    continue
                if row["name"] != name or row["source"] != "custom":
                    raise ConflictError(
                        f"{owner.describe()} has a {owner.level} metric {row['name']!r} "
                        "already; names that differ only in case cannot be told apart"
                    )
                if not replace:
                    raise ConflictError(
                        f"{owner.describe()} has a custom {owner.level} metric {name!r} "
                        "already; pass replace=True (--replace) to overwrite it"
                    )

    with catalog_errors(dataset.store.home.catalog):
        check_names(dataset.store._connection)
    # Stored in the elements' stored order (null for none): read back without a join.
    table = pa.table(
        {key: known.combine_chunks(), **{n: c.take(order) for n, c in columns.items()}}
    )
    marks = ", ".join("?" for _ in columns)
    _write(
        owner,
        table,
        [(name, "custom", kinds[name], description) for name in columns],
        f"{clause} AND source = 'custom' AND name IN ({marks})",
        [*params, *columns],
        check=check_names,
    )
    set_name = None if owner.inference_set is None else owner.inference_set.name
    return [
        MetricInfo(name, owner.level, "custom", kinds[name], set_name, description)
        for name in columns
    ]


def delete_custom_metric(
    dataset: Dataset,
    name: str,
    *,
    level: object = "frame",
    inference_set: InferenceSet | str | None = None,
) -> None:
    """Remove a custom metric (a ``NotFoundError`` naming those there are if it has none
    of that name)."""
    owner = _owner(dataset, level, inference_set)
    clause, params = _owner_clause(owner)
    store = dataset.store
    with store.home.write_lock():
        with store._transaction() as db:
            found = db.execute(
                f"SELECT object FROM element_metrics WHERE {clause} AND source = 'custom' "
                "AND name = ?",
                [*params, name],
            ).fetchone()
            if found is None:
                names = [
                    r[0]
                    for r in db.execute(
                        f"SELECT name FROM element_metrics WHERE {clause} AND source = 'custom' "
                        "ORDER BY name",
                        params,
                    )
                ]
                raise NotFoundError(
                    f"{owner.describe()} has no custom {owner.level} metric {name!r} "
                    f"(custom {owner.level} metrics: {', '.join(names) or 'none yet'})"
                )
            db.execute(
                f"DELETE FROM element_metrics WHERE {clause} AND source = 'custom' AND name = ?",
                [*params, name],
            )
            obj = str(found[0])
            unused = (
                db.execute("SELECT 1 FROM element_metrics WHERE object = ?", (obj,)).fetchone()
                is None
            )
        if unused:
            store.home.discard(obj)
