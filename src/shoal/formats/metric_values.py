"""Custom metric files: values per frame, label or prediction, in CSV or JSON.

CSV, a header row then one row per element::

    frame_id,night_score,blur
    img_001,0.82,false
    img_002,0.10,true

The id column is ``id``, ``frame_id``, ``label_id`` or ``prediction_id`` (exactly one
of them); every other column is one metric, named by its header. Cells are typed per
column: all ``true``/``false`` is bool, all integers int, all numbers float (ints beside
floats widen), anything else string. A column mixing numbers with words is an error
naming the row (a typo in a number must not turn a metric into text). An empty cell or
``nan`` is missing; ``inf`` is refused.

JSON, either an object of one metric's values (its name comes from the caller)::

    {"img_001": 0.82, "img_002": 0.10}

or a list of records with an id key (as CSV's id column) and one key per metric::

    [{"frame_id": "img_001", "night_score": 0.82, "blur": false}, ...]

A value is a number, a bool, a string or null; a list or an object is refused. Errors
name the file and where (``row n``, the CSV line with the header as row 1; ``record n``,
0-based, in JSON) and what is wrong. Each id appears once.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from shoal.errors import InputError
from shoal.formats._rows import PathLike, read_text

__all__ = [
    "ID_COLUMNS",
    "MetricValues",
    "metric_values_from_csv",
    "metric_values_from_json",
    "read_metric_values",
]

ID_COLUMNS = ("id", "frame_id", "label_id", "prediction_id")
VALUE_COLUMN = ""
"""The column name of a JSON object's values: none (the caller names the metric)."""


@dataclass(frozen=True)
class MetricValues:
    """Metric values read from a file: ``ids`` in file order, one list of values per
    metric in ``columns``, where each id was (``records``, for messages), the file
    (``source``) and its id column's name (``id_column``: ``frame_id``... or ``id``)."""

    ids: list[str]
    columns: dict[str, list[Any]]
    records: list[str]
    source: str | None
    id_column: str

    @property
    def names(self) -> list[str]:
        return list(self.columns)

    def only(self, name: str) -> MetricValues:
        """The values of one metric."""
        if name not in self.columns:
            raise InputError(
                f"has no metric column {name!r} (columns: {', '.join(self.columns)})",
                source=self.source,
            )
        return MetricValues(self.ids, {name: self.columns[name]}, self.records, self.source,
                            self.id_column)  # fmt: skip

    def mapping(self, name: str) -> dict[str, Any]:
        """``{id: value}`` of one metric."""
        return dict(zip(self.ids, self.only(name).columns[name], strict=True))


def _unique_ids(ids: Sequence[str], records: Sequence[str], source: str | None) -> None:
    seen: dict[str, str] = {}
    for element, record in zip(ids, records, strict=True):
        if element in seen:
            raise InputError(
                f"id {element!r} appears twice (also at {seen[element]})",
                source=source,
                record=record,
            )
        seen[element] = record


def _id_column(names: Sequence[str], source: str | None, record: str) -> str:
    found = [name for name in names if name in ID_COLUMNS]
    if len(found) != 1:
        what = "none" if not found else ", ".join(found)
        raise InputError(
            f"needs exactly one id column ({', '.join(ID_COLUMNS)}); found {what}",
            source=source,
            record=record,
        )
    return found[0]


# ------------------------------------------------------------------------------ CSV


def _cell(text: str) -> bool | int | float | str | None:
    """One cell's value on its own: bool, int, float, missing or text."""
    if not text or text.lower() == "nan":
        return None
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _csv_column(name: str, cells: list[str], rows: list[int], source: str | None) -> list[Any]:
    values = [_cell(cell) for cell in cells]
    kinds = {type(v) for v in values if v is not None}
    numeric = {int, float}
    if kinds and kinds <= numeric:
        for value, row in zip(values, rows, strict=True):
            if isinstance(value, float) and not math.isfinite(value):
                raise InputError(
                    f"column {name!r}: {value} is not a finite number",
                    source=source,
                    record=f"row {row}",
                )
        return [float(v) if kinds == numeric and v is not None else v for v in values]
    if len(kinds) <= 1:
        return values
    # Mixed: name the first value whose kind differs from the column's first value.
    first = next(i for i, v in enumerate(values) if v is not None)
    first_kind = _kind(values[first])
    other = next(i for i, v in enumerate(values) if v is not None and _kind(v) != first_kind)
    raise InputError(
        f"column {name!r}: {cells[other]!r} is {_kind(values[other])}, but the column's first "
        f"value ({cells[first]!r}, row {rows[first]}) is {first_kind} (a metric keeps one type)",
        source=source,
        record=f"row {rows[other]}",
    )


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, int | float):
        return "a number"
    return "text"


def metric_values_from_csv(text: str, source: str | None = None) -> MetricValues:
    """Metric values from CSV text (layout in the module doc)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise InputError("is empty (expected a header row)", source=source) from None
    except csv.Error as error:
        raise InputError(f"is not valid CSV ({error})", source=source, record="row 1") from None
    seen: set[str] = set()
    for name in header:
        if not name:
            raise InputError("a column has no name", source=source, record="row 1")
        if name in seen:
            raise InputError(f"column {name!r} appears twice", source=source, record="row 1")
        seen.add(name)
    id_column = _id_column(header, source, "row 1")
    if len(header) < 2:
        raise InputError("has no metric column besides the ids", source=source, record="row 1")
    position = header.index(id_column)
    ids: list[str] = []
    rows: list[int] = []
    cells: dict[str, list[str]] = {name: [] for name in header if name != id_column}
    try:
        for line in reader:
            if not any(cell.strip() for cell in line):
                continue
            number = reader.line_num
            if len(line) != len(header):
                raise InputError(
                    f"has {len(line)} cells, the header has {len(header)}",
                    source=source,
                    record=f"row {number}",
                )
            element = line[position].strip()
            if not element:
                raise InputError("has no id", source=source, record=f"row {number}")
            ids.append(element)
            rows.append(number)
            for name, cell in zip(header, line, strict=True):
                if name != id_column:
                    cells[name].append(cell.strip())
    except csv.Error as error:
        raise InputError(
            f"is not valid CSV ({error})", source=source, record=f"row {reader.line_num}"
        ) from None
    if not ids:
        raise InputError("has no rows of values", source=source)
    records = [f"row {row}" for row in rows]
    _unique_ids(ids, records, source)
    columns = {name: _csv_column(name, values, rows, source) for name, values in cells.items()}
    return MetricValues(ids, columns, records, source, id_column)


# ------------------------------------------------------------------------------ JSON


def _json_value(value: object, source: str | None, record: str, what: str) -> object:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value
    kind = "a list" if isinstance(value, list) else "an object"
    raise InputError(
        f"{what} is {kind}, not a metric value (a number, bool, string or null)",
        source=source,
        record=record,
    )


def metric_values_from_json(data: object, source: str | None = None) -> MetricValues:
    """Metric values from parsed JSON (layout in the module doc)."""
    if isinstance(data, dict):
        if not data:
            raise InputError("has no values (an empty object)", source=source)
        ids = list(data)
        records = [f"id {element!r}" for element in ids]
        values = [
            _json_value(value, source, record, "the value")
            for value, record in zip(data.values(), records, strict=True)
        ]
        return MetricValues(ids, {VALUE_COLUMN: values}, records, source, "id")
    if not isinstance(data, list):
        raise InputError("is neither an object {id: value} nor a list of records", source=source)
    if not data:
        raise InputError("has no records (an empty list)", source=source)
    if not all(isinstance(item, dict) for item in data):
        index = next(i for i, item in enumerate(data) if not isinstance(item, dict))
        raise InputError(
            "is not an object with an id and metric values", source=source, record=f"record {index}"
        )
    names: dict[str, None] = {}
    for item in data:
        names.update(dict.fromkeys(item))
    id_column = _id_column(list(names), source, "record 0")
    metric_names = [name for name in names if name != id_column]
    if not metric_names:
        raise InputError("has no metric besides the ids", source=source)
    ids = []
    records = [f"record {index}" for index in range(len(data))]
    columns: dict[str, list[Any]] = {name: [] for name in metric_names}
    for item, record in zip(data, records, strict=True):
        element = item.get(id_column)
        if not isinstance(element, str) or not element:
            raise InputError(
                f"{id_column} {element!r} is not a non-empty string", source=source, record=record
            )
        ids.append(element)
        for name in metric_names:
            columns[name].append(_json_value(item.get(name), source, record, repr(name)))
    _unique_ids(ids, records, source)
    return MetricValues(ids, columns, records, source, id_column)


def read_metric_values(path: PathLike) -> MetricValues:
    """Metric values from a ``.csv`` or ``.json`` file (by its suffix; other suffixes
    are read as JSON when the text starts with ``{`` or ``[``, else as CSV)."""
    source = os.fspath(path)
    text = read_text(source)
    suffix = os.path.splitext(source)[1].lower()
    if suffix == ".json" or (suffix != ".csv" and text.lstrip()[:1] in ("{", "[")):
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError as error:
            raise InputError(f"is not valid JSON ({error})", source=source) from None
        return metric_values_from_json(data, source)
    return metric_values_from_csv(text, source)
