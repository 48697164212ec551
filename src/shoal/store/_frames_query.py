"""Selecting a dataset's frames with the query language, answered by DuckDB.

The queryable fields are the frame columns, every user metadata column, label
statistics per frame (``num_labels`` objects, ``num_classes`` distinct classes) and the
frame metrics (quality and custom). Label predicates of the language run against the
dataset's labels, whose label conditions read ``class_name`` and the label metrics.

DuckDB matches column names without regard to case, so the frames go to it under
positional names (``c0``, ``c1``, ...) and the compiler maps each field to its own:
``FRAME_ID`` never reads ``frame_id``, nor ``Weather`` ``weather``, even in a dataset
stored before the store refused keys that differ only in case.
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pyarrow as pa

from shoal.store._query import FieldType, compile_query

__all__ = ["label_fields", "query_fields", "select_frames", "with_frame_metrics"]

_LABEL_STATISTICS: dict[str, FieldType] = {"num_labels": "int", "num_classes": "int"}


def _field_type(arrow_type: pa.DataType) -> FieldType:
    if pa.types.is_boolean(arrow_type):
        return "bool"
    if pa.types.is_integer(arrow_type):
        return "int"
    if pa.types.is_floating(arrow_type):
        return "float"
    return "string"


def with_frame_metrics(
    frames: pa.Table, frame_metrics: pa.Table | None, sources: Mapping[str, str] | None = None
) -> pa.Table:
    """The frames with one more column per frame metric (rows in the same stored order),
    named as queries name it: the metric's name, or ``SOURCE.NAME`` (``quality.brightness``;
    ``sources`` maps a metric to its source) where a frame column, a metadata key or a
    label statistic has that name already."""
    if frame_metrics is None:
        return frames
    taken = set(frames.column_names) | set(_LABEL_STATISTICS)
    for name in frame_metrics.column_names[1:]:
        source = (sources or {}).get(name, "metric")
        field = name if name not in taken else f"{source}.{name}"
        frames = frames.append_column(field, frame_metrics.column(name))
    return frames


def query_fields(
    frames: pa.Table,
    frame_metrics: pa.Table | None = None,
    sources: Mapping[str, str] | None = None,
) -> dict[str, FieldType]:
    """Every name a query may use on these frames, with its type (frame metrics
    included)."""
    combined = with_frame_metrics(frames, frame_metrics, sources)
    fields: dict[str, FieldType] = {
        field.name: _field_type(field.type) for field in combined.schema
    }
    for name, kind in _LABEL_STATISTICS.items():
        fields.setdefault(name, kind)
    return fields


def label_fields(label_metrics: pa.Table | None = None) -> dict[str, FieldType]:
    """The fields of a label condition: ``class_name`` and every label metric."""
    fields: dict[str, FieldType] = {"class_name": "string"}
    if label_metrics is not None:
        for field in label_metrics.schema:
            if field.name != "label_id":
                fields[field.name] = _field_type(field.type)
    return fields


def select_frames(
    frames: pa.Table,
    labels: pa.Table,
    expression: str,
    *,
    frame_metrics: pa.Table | None = None,
    label_metrics: pa.Table | None = None,
    sources: Mapping[str, str] | None = None,
) -> list[str]:
    """Ids of the frames matching ``expression``, in the frames' order. The metrics
    tables (``Dataset.element_metrics``) are in the frames' and labels' stored order;
    ``sources`` maps each frame metric to its source (see ``with_frame_metrics``)."""
    fields = query_fields(frames, frame_metrics, sources)
    frames = with_frame_metrics(frames, frame_metrics, sources)
    positional = {name: f"c{i}" for i, name in enumerate(frames.column_names)}
    conditions = label_fields(label_metrics)
    label_columns = {name: f"m{i}" for i, name in enumerate(conditions) if name != "class_name"}
    compiled = compile_query(
        expression,
        fields,
        labels_relation="labels",
        columns=positional,
        label_fields=conditions,
        label_columns=label_columns,
    )
    frame_id = positional["frame_id"]
    label_table = labels.select(["frame_id", "class_name"])
    if label_metrics is not None:
        for name, column in label_columns.items():
            label_table = label_table.append_column(column, label_metrics.column(name))
    connection = duckdb.connect()
    try:
        connection.register("frame_rows", frames.rename_columns(list(positional.values())))
        connection.register("labels", label_table)
        connection.execute(
            "CREATE TEMP VIEW frames AS SELECT f.*, "
            "COALESCE(s.num_labels, 0) AS num_labels, COALESCE(s.num_classes, 0) AS num_classes "
            "FROM frame_rows f LEFT JOIN (SELECT frame_id, count(*) AS num_labels, "
            "count(DISTINCT class_name) AS num_classes FROM labels GROUP BY frame_id) s "
            f"ON f.{frame_id} = s.frame_id"
        )
        rows = connection.execute(
            f"SELECT {frame_id} FROM frames WHERE {compiled.sql}", compiled.params
        ).fetchall()
    finally:
        connection.close()
    matched = {row[0] for row in rows}
    return [f for f in frames.column("frame_id").to_pylist() if f in matched]
