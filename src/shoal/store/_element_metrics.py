"""Element metrics: typed columns on frames, labels and predictions.

Two sources share one storage: quality metrics, which Shoal computes (``"quality"``,
written whole per level by :func:`write_quality_metrics`), and custom metrics, which
users upload one at a time (``"custom"``, :func:`add_custom_metric`). Levels:
``"frame"`` (keyed by ``frame_id``), ``"label"`` (``label_id``) and ``"prediction"``
(``prediction_id``, one inference set's).

Storage
    Every write is one immutable object holding ``metrics.parquet``: the key column and
    the metric columns written (all of a level's quality columns at once; one custom
    metric). One ``element_metrics`` catalog row per metric column points to it, so a
    write is staged, published and committed like a dataset's: a failed write leaves
    the columns there were.
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
    the field ``quality.brightness`` (written ```quality.brightness```).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, cast, get_args

import pyarrow as pa
import pyarrow.compute as pc

from shoal.errors import ConflictError, InputError, NotFoundError
from shoal.formats._validation import RESERVED_METADATA_KEYS, metadata_entry, plain
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

_OBJECT_QUALITY = {
    "relative_area": "box area over image area",
    "aspect_ratio": "box width over height",
    "border_distance": "distance from the box to the nearest image border, over the image side",
    "max_overlap": "largest IoU with another box of the frame",
    "crop_brightness": "mean luminance of the box's pixels, 0 to 1",
    "crop_sharpness": "variance of the Laplacian of the box's pixels",
}
QUALITY_METRICS: dict[Level, dict[str, str]] = {
    "frame": {
        "brightness": "mean luminance, 0 to 1",
        "contrast": "standard deviation of the luminance, 0 to 1",
        "sharpness": "variance of the Laplacian of the luminance",
        "colorfulness": "Hasler and Suesstrunk's colorfulness",
        "image_width": "width in pixels",
        "image_height": "height in pixels",
        "image_area": "width times height in pixels",
        "aspect_ratio": "width over height",
        "label_count": "number of labels",
        "label_density": "labels' total box area over image area",
    },
    "label": dict(_OBJECT_QUALITY),
    "prediction": dict(_OBJECT_QUALITY),
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


def _assemble(owner: _Owner, rows: Sequence[sqlite3.Row]) -> pa.Table:
    """The key column in stored order with one column per row's metric (null where an
    element has no value)."""
    key = KEY_COLUMNS[owner.level]
    ids = owner.ids().combine_chunks()
    columns: dict[str, pa.Array] = {key: ids}
    positions: dict[str, pa.Array] = {}
    store = owner.dataset.store
    for row in rows:
        stored = store.read_table(str(row["object"]), METRIC_FILE)
        obj = str(row["object"])
        if obj not in positions:
            positions[obj] = pc.index_in(ids, value_set=stored.column(key).combine_chunks())
        values = stored.column(str(row["name"])).combine_chunks()
        columns[str(row["name"])] = values.take(positions[obj])
    return pa.table(columns)


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
    listed = ids.to_pylist() if isinstance(ids, pa.Array | pa.ChunkedArray) else list(ids)
    for index, value in enumerate(listed):
        if not isinstance(value, str):
            raise InputError(
                f"{what} {plain(value)!r} is a {type(plain(value)).__name__}, not a string "
                f"(ids are text, e.g. '{plain(value)}')",
                source=source,
                record=index,
            )
    return listed


def _pairs(values: Any, key: str, name: str, source: str | None) -> tuple[list[str], list[Any]]:
    """(ids, values) from a mapping or a table (the key column, or ``id``, or the first
    column; the value column named ``name``, or the other one)."""
    if isinstance(values, Mapping):
        return _id_list(values.keys(), "id", source), list(values.values())
    if isinstance(values, pa.RecordBatch):
        values = pa.Table.from_batches([values])
    if not isinstance(values, pa.Table):
        raise InputError(
            "metric values are a mapping {id: value} or a table of ids and values, got "
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
    ids = _id_list(values.column(id_column), f"{id_column}", source)
    return ids, values.column(value_column).to_pylist()


def _typed(
    name: str, ids: Sequence[str], values: Sequence[Any], source: str | None
) -> tuple[MetricType, pa.Array]:
    """The values as one typed column (ints widen to float beside floats; NaN and None
    are missing), else an ``InputError`` naming the id, its record and the value."""
    kinds: list[str | None] = []
    cleaned: list[Any] = []
    for index, value in enumerate(values):
        try:
            kind, entry = metadata_entry(value)
        except TypeError:
            raise InputError(
                f"metric {name!r} of id {ids[index]!r}: {plain(value)!r} is not a number, bool "
                "or string",
                source=source,
                record=index,
            ) from None
        if isinstance(entry, float) and not math.isfinite(entry):
            raise InputError(
                f"metric {name!r} of id {ids[index]!r}: {entry} is not a finite number",
                source=source,
                record=index,
            )
        if kind == "int" and not -(2**63) <= cast(int, entry) < 2**63:
            raise InputError(
                f"metric {name!r} of id {ids[index]!r}: {entry} does not fit 64 bits",
                source=source,
                record=index,
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
            f"{_TYPE_ORDER[cast(str, kinds[other])]}, but id {ids[first]!r} (record {first}) "
            f"is {_TYPE_ORDER[cast(str, kinds[first])]} (a metric keeps one type)",
            source=source,
            record=other,
        )
    found = cast(MetricType, _TYPE_ORDER[present.pop()])
    return found, pa.array(cleaned, _ARROW_TYPES[found])


def _check_ids(
    ids: Sequence[str], known: pa.ChunkedArray, owner: _Owner, source: str | None
) -> None:
    """Each id once, and each one of the owner's elements."""
    seen: dict[str, int] = {}
    for index, element in enumerate(ids):
        if element in seen:
            raise InputError(
                f"id {element!r} appears twice (records {seen[element]} and {index})",
                source=source,
                record=index,
            )
        seen[element] = index
    array = pa.array(ids, pa.string())
    unknown_mask = pc.invert(pc.is_in(array, value_set=known.combine_chunks()))
    count = pc.sum(unknown_mask).as_py() or 0
    if count:
        unknown = pc.filter(array, unknown_mask).to_pylist()
        shown = ", ".join(repr(u) for u in unknown[:_SHOWN_IDS])
        more = f" and {count - _SHOWN_IDS} more" if count > _SHOWN_IDS else ""
        first = ids.index(unknown[0])
        element = owner.level
        raise InputError(
            f"{count} id{'s' if count != 1 else ''} name no {element} of {owner.describe()}: "
            f"{shown}{more}",
            source=source,
            record=first,
        )


# --------------------------------------------------------------------------- writing


def _write(
    owner: _Owner,
    table: pa.Table,
    rows: Sequence[tuple[str, Source, MetricType, str]],
    drop: str,
    drop_params: Sequence[Any],
) -> None:
    """Write ``table`` as one object and, in one transaction, delete the rows ``drop``
    selects (a WHERE clause on ``element_metrics``) and insert ``rows`` (name, source,
    type, description) pointing to it; discard objects no row points to any more."""
    store = owner.dataset.store
    with store._write() as write:
        write.parquet(METRIC_FILE, table)
        obj = write.publish()
        with store._transaction() as db:
            version = owner.current_version(db)
            if version is None:
                raise NotFoundError(f"{owner.describe()} was deleted meanwhile")
            if version != owner.version:
                raise ConflictError(
                    f"{owner.describe()} was replaced while its metrics were written; "
                    "write them again"
                )
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
    _check_ids(ids, owner.ids(), owner, None)
    columns: dict[str, pa.ChunkedArray] = {key: table.column(key).cast(pa.string())}
    custom = {
        row["name"].lower()
        for row in dataset.store._rows(
            f"SELECT name FROM element_metrics WHERE source = 'custom' AND {_owner_clause(owner)[0]}",
            _owner_clause(owner)[1],
        )
    }
    for name in table.column_names:
        if name == key:
            continue
        if not _NAME.fullmatch(name) or len(name) > MAX_METRIC_NAME_LENGTH:
            raise InputError(f"quality metric name {name!r} is not a word")
        if name.lower() in custom:
            raise ConflictError(f"{owner.describe()} has a custom {owner.level} metric {name!r}")
        column = table.column(name)
        if not (pa.types.is_floating(column.type) or pa.types.is_integer(column.type)):
            raise InputError(f"quality metric {name!r} is {column.type}, not a number")
        columns[name] = column.cast(pa.float64())
    descriptions = QUALITY_METRICS[owner.level]
    rows = [(n, "quality", "float", descriptions.get(n, "")) for n in columns if n != key]
    clause, params = _owner_clause(owner)
    _write(
        owner,
        pa.table(columns),
        cast(Sequence[tuple[str, Source, MetricType, str]], rows),
        f"{clause} AND source = 'quality'",
        params,
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
    source: str | None = None,
) -> MetricInfo:
    """Store a custom metric: ``values`` maps ids of the level's elements to values
    (a mapping, or a table of ids and values), typed like metadata. Elements without a
    value have none (null). A name in use at this level needs ``replace``. ``source``
    names the file the values came from, for messages."""
    owner = _owner(dataset, level, inference_set)
    metadata = [n for n in dataset.frames().column_names if n not in FRAME_COLUMNS.names]
    check_metric_name(name, metadata_keys=metadata)
    if not isinstance(description, str) or len(description) > 10_000:
        raise InputError("a metric description is text of at most 10,000 characters")
    key = KEY_COLUMNS[owner.level]
    ids, raw = _pairs(values, key, name, source)
    kind, column = _typed(name, ids, raw, source)
    _check_ids(ids, owner.ids(), owner, source)
    clause, params = _owner_clause(owner)
    existing = dataset.store._rows(
        f"SELECT name, source FROM element_metrics WHERE {clause}", params
    )
    for row in existing:
        if row["name"].lower() != name.lower():
            continue
        if row["name"] != name or row["source"] != "custom":
            raise ConflictError(
                f"{owner.describe()} has a {owner.level} metric {row['name']!r} already; "
                "names that differ only in case cannot be told apart"
            )
        if not replace:
            raise ConflictError(
                f"{owner.describe()} has a custom {owner.level} metric {name!r} already; "
                "pass replace=True (--replace) to overwrite it"
            )
    table = pa.table({key: pa.array(ids, pa.string()), name: column})
    _write(
        owner,
        table,
        [(name, "custom", kind, description)],
        f"{clause} AND name = ?",
        [*params, name],
    )
    return MetricInfo(
        name,
        owner.level,
        "custom",
        kind,
        None if owner.inference_set is None else owner.inference_set.name,
        description,
    )


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
