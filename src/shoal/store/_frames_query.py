"""Selecting a dataset's frames with the query language, answered by DuckDB.

The queryable fields are the frame columns, every user metadata column, and label
statistics per frame: ``num_labels`` (objects) and ``num_classes`` (distinct classes).
Label predicates of the language run against the dataset's labels.

DuckDB matches column names without regard to case, so the frames go to it under
positional names (``c0``, ``c1``, ...) and the compiler maps each field to its own:
``FRAME_ID`` never reads ``frame_id``, nor ``Weather`` ``weather``, even in a dataset
stored before the store refused keys that differ only in case.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from shoal.store._query import FieldType, compile_query

__all__ = ["query_fields", "select_frames"]

_LABEL_STATISTICS: dict[str, FieldType] = {"num_labels": "int", "num_classes": "int"}


def _field_type(arrow_type: pa.DataType) -> FieldType:
    if pa.types.is_boolean(arrow_type):
        return "bool"
    if pa.types.is_integer(arrow_type):
        return "int"
    if pa.types.is_floating(arrow_type):
        return "float"
    return "string"


def query_fields(frames: pa.Table) -> dict[str, FieldType]:
    """Every name a query may use on these frames, with its type."""
    fields: dict[str, FieldType] = {field.name: _field_type(field.type) for field in frames.schema}
    fields.update(_LABEL_STATISTICS)
    return fields


def select_frames(frames: pa.Table, labels: pa.Table, expression: str) -> list[str]:
    """Ids of the frames matching ``expression``, in the frames' order."""
    positional = {name: f"c{i}" for i, name in enumerate(frames.column_names)}
    compiled = compile_query(
        expression, query_fields(frames), labels_relation="labels", columns=positional
    )
    frame_id = positional["frame_id"]
    connection = duckdb.connect()
    try:
        connection.register("frame_rows", frames.rename_columns(list(positional.values())))
        connection.register("labels", labels.select(["frame_id", "class_name"]))
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
