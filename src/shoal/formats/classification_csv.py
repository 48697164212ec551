"""Image-classification CSV files to and from Shoal's tables.

Ground truth (:func:`from_classification_csv`), a header row then one row per frame::

    frame_id,label,image_uri,camera,exposure
    img_001,cat,images/img_001.jpg,north,0.25

``frame_id`` and ``label`` are required; ``image_uri``, ``width`` and ``height`` are
frame columns; every further column is frame metadata, typed by its values (all
``true``/``false``: bool; all integers: int; all numbers: float; else text; an empty
cell is null). One label per frame (``label_id`` = ``frame_id``, no box).

Predictions (:func:`from_classification_predictions_csv`)::

    frame_id,predicted,confidence,p_cat,p_dog
    img_001,cat,0.91,0.91,0.09

``confidence`` is the score of ``predicted``; the optional ``p_<class>`` columns hold one
probability per class and, when present, must cover exactly ``class_names`` (they are
stored in that order). Without a ``confidence`` column the ``p_`` of the predicted
class is the confidence. ``prediction_id`` = ``frame_id``.

Errors name the file and ``row n`` (the CSV line, the header being row 1).
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from shoal.errors import InputError
from shoal.formats._rows import (
    FrameRows,
    LabelRows,
    PathLike,
    PredictionRows,
    build_dataset,
    build_inferences,
    check_image_size,
    class_names_argument,
    parse_number,
    read_text,
)
from shoal.formats._validation import check_metadata_key
from shoal.tables import DatasetTables, InferenceTables

__all__ = [
    "PROBABILITY_PREFIX",
    "as_classification_csv",
    "as_classification_predictions_csv",
    "from_classification_csv",
    "from_classification_predictions_csv",
]

PROBABILITY_PREFIX = "p_"
_FRAME_COLUMNS = ("image_uri", "width", "height")


def _rows(source: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header and ``(row number, {column: cell})`` of each non-empty row."""
    reader = csv.reader(io.StringIO(read_text(source), newline=""))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise InputError("is empty (expected a header row)", source=source) from None
    except csv.Error as error:
        raise InputError(f"is not valid CSV ({error})", source=source, record="row 1") from None
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise InputError(f"column {name!r} appears twice", source=source, record="row 1")
        seen.add(name)
    rows = []
    try:
        for cells in reader:
            number = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                raise InputError(
                    f"has {len(cells)} cells, the header has {len(header)}",
                    source=source,
                    record=f"row {number}",
                )
            rows.append((number, dict(zip(header, (c.strip() for c in cells), strict=True))))
    except csv.Error as error:
        raise InputError(
            f"is not valid CSV ({error})", source=source, record=f"row {reader.line_num}"
        ) from None
    return header, rows


def _require(header: Sequence[str], names: Sequence[str], source: str) -> None:
    for name in names:
        if name not in header:
            raise InputError(f"has no {name!r} column", source=source, record="row 1")


def _typed(cells: list[str]) -> list[Any]:
    """A metadata column's cells typed by all its values (see the module doc)."""
    present = [c for c in cells if c]
    if present and all(c.lower() in {"true", "false"} for c in present):
        return [c.lower() == "true" if c else None for c in cells]
    for convert in (int, float):
        try:
            converted = [convert(c) if c else None for c in cells]
        except ValueError:
            continue
        if all(v is None or math.isfinite(v) for v in converted):
            return converted
    return [c or None for c in cells]


def frames_of_csv(
    path: PathLike, label_column: str
) -> tuple[str, FrameRows, list[tuple[str, str, dict[str, str]]]]:
    """A ground-truth CSV's frames (``frame_id``, ``image_uri``, size and typed metadata
    columns: every column but those and ``label_column``), and each row's record name,
    frame id and cells, for the caller to read its labels from (the classification and
    the multi-label CSV differ only in those)."""
    source = os.fspath(path)
    header, rows = _rows(source)
    _require(header, ("frame_id", label_column), source)
    metadata_names = [n for n in header if n not in {"frame_id", label_column, *_FRAME_COLUMNS}]
    for name in metadata_names:
        check_metadata_key(name, source, "row 1")
    typed = {name: _typed([row[name] for _, row in rows]) for name in metadata_names}
    frames = FrameRows()
    read: list[tuple[str, str, dict[str, str]]] = []
    for index, (number, row) in enumerate(rows):
        record = f"row {number}"
        frame_id = row["frame_id"]
        if not frame_id:
            raise InputError("has no frame_id", source=source, record=record)
        size: tuple[int | None, int | None] = (None, None)
        if row.get("width") or row.get("height"):
            size = check_image_size(
                parse_number(row.get("width", ""), "width", source, record),
                parse_number(row.get("height", ""), "height", source, record),
                source,
                record,
            )
        frames.add(
            frame_id,
            row.get("image_uri") or None,
            size[0],
            size[1],
            source=source,
            record=record,
            metadata={name: typed[name][index] for name in metadata_names},
        )
        read.append((record, frame_id, row))
    return source, frames, read


def from_classification_csv(path: PathLike) -> DatasetTables:
    """Ground-truth classification CSV as a dataset; layout in the module doc."""
    source, frames, rows = frames_of_csv(path, "label")
    labels = LabelRows()
    for record, frame_id, row in rows:
        if not row["label"]:
            raise InputError("has no label", source=source, record=record)
        labels.add(frame_id, frame_id, row["label"], None, source=source, record=record)
    return build_dataset(frames, labels, source=source)


def from_classification_predictions_csv(
    path: PathLike, class_names: Sequence[str] | PathLike
) -> InferenceTables:
    """Classification predictions CSV; layout in the module doc. ``class_names`` (a list
    or a names file) orders the probabilities and lists the classes ``predicted`` may
    take."""
    source = os.fspath(path)
    names = class_names_argument(class_names)
    header, rows = _rows(source)
    _require(header, ("frame_id", "predicted"), source)
    probability_columns = [n for n in header if n.startswith(PROBABILITY_PREFIX)]
    if probability_columns:
        given = {n[len(PROBABILITY_PREFIX) :] for n in probability_columns}
        missing = [n for n in names if n not in given]
        extra = sorted(given - set(names))
        if missing or extra:
            raise InputError(
                f"probability columns do not match class_names (missing: {missing}, "
                f"not a class: {extra})",
                source=source,
                record="row 1",
            )
    elif "confidence" not in header:
        raise InputError(
            "has no 'confidence' column and no p_<class> columns", source=source, record="row 1"
        )
    known = set(names)
    predictions = PredictionRows()
    for number, row in rows:
        record = f"row {number}"
        frame_id, predicted = row["frame_id"], row["predicted"]
        if not frame_id:
            raise InputError("has no frame_id", source=source, record=record)
        if predicted not in known:
            raise InputError(
                f"predicted class {predicted!r} is not in class_names", source=source, record=record
            )
        probabilities = None
        if probability_columns:
            probabilities = []
            for name in names:
                value = parse_number(
                    row[PROBABILITY_PREFIX + name], PROBABILITY_PREFIX + name, source, record
                )
                if not 0.0 <= value <= 1.0:
                    raise InputError(
                        f"{PROBABILITY_PREFIX}{name} {value} is not in [0, 1]",
                        source=source,
                        record=record,
                    )
                probabilities.append(value)
        if "confidence" in row:
            confidence = parse_number(row["confidence"], "confidence", source, record)
        else:
            assert probabilities is not None  # checked with the header
            confidence = probabilities[names.index(predicted)]
        predictions.add(
            frame_id,
            frame_id,
            predicted,
            None,
            confidence,
            source=source,
            record=record,
            probabilities=probabilities,
        )
    return build_inferences(predictions, source=source)


def _write(path: PathLike, header: Sequence[str], rows: list[list[Any]]) -> None:
    with Path(path).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else _cell(v) for v in row])


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def as_classification_csv(dataset: DatasetTables, path: PathLike) -> None:
    """Write a ground-truth CSV (``frame_id,label,image_uri,width,height`` and the
    metadata columns). Every frame needs exactly one label, without a box."""
    labels_of: dict[str, str] = {}
    for record, row in enumerate(dataset.labels.to_pylist()):
        if row["x"] is not None or row["frame_id"] in labels_of:
            raise InputError(
                f"frame {row['frame_id']!r} has a box or several labels: not a "
                "single-label classification dataset",
                record=record,
            )
        labels_of[row["frame_id"]] = row["class_name"]
    header = ["frame_id", "label", *_FRAME_COLUMNS, *dataset.metadata_keys]
    rows = []
    for record, frame in enumerate(dataset.frames.to_pylist()):
        if frame["frame_id"] not in labels_of:
            raise InputError(f"frame {frame['frame_id']!r} has no label", record=record)
        rows.append(
            [frame["frame_id"], labels_of[frame["frame_id"]], *(frame[k] for k in header[2:])]
        )
    _write(path, header, rows)


def as_classification_predictions_csv(
    inferences: InferenceTables, path: PathLike, class_names: Sequence[str] | PathLike
) -> None:
    """Write a predictions CSV (``frame_id,predicted,confidence`` and ``p_<class>``
    columns when the predictions carry probabilities, in ``class_names`` order)."""
    names = class_names_argument(class_names)
    table = inferences.predictions.to_pylist()
    with_probabilities = any(row["probabilities"] is not None for row in table)
    header = ["frame_id", "predicted", "confidence"]
    if with_probabilities:
        header += [PROBABILITY_PREFIX + name for name in names]
    rows = []
    for record, row in enumerate(table):
        values = [row["frame_id"], row["class_name"], row["confidence"]]
        if with_probabilities:
            probabilities = row["probabilities"]
            if probabilities is None or len(probabilities) != len(names):
                raise InputError(
                    f"prediction {row['prediction_id']!r} has no probabilities for each of "
                    f"the {len(names)} classes",
                    record=record,
                )
            values += probabilities
        rows.append(values)
    _write(path, header, rows)
