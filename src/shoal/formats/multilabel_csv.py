"""Multi-label classification CSV files to and from Shoal's tables.

Ground truth (:func:`from_multilabel_csv`), a header row then one row per frame::

    frame_id,labels,image_uri,camera
    img_001,cat;dog,images/img_001.jpg,north
    img_002,,images/img_002.jpg,south

``frame_id`` and ``labels`` are required. ``labels`` holds the frame's classes separated
by ``;`` (spaces around a name are dropped); an empty cell is a frame with no class,
which is evaluated like any other. ``image_uri``, ``width``, ``height`` and metadata
columns are read as in the classification CSV (:mod:`shoal.formats.classification_csv`).
Each (frame, class) is one label row, ``label_id`` = ``<frame_id>/<class>``, no box.

Predictions (:func:`from_multilabel_predictions_csv`), one row per frame with a score
per class::

    frame_id,p_cat,p_dog,p_tree
    img_001,0.91,0.62,0.05

Every column but ``frame_id`` is ``p_<class>``; a score is in [0, 1]; an empty cell is no
score (the class scores 0). Each score is one prediction row (``prediction_id`` =
``<frame_id>/<class>``, ``confidence`` = the score). A class predicted at threshold t is
one whose score is >= t.

The writers (:func:`as_multilabel_csv`, :func:`as_multilabel_predictions_csv`) write
these layouts back: what they write reads back to the same tables. Errors name the file
and ``row n`` (the CSV line, the header being row 1).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from typing import Any

from shoal.errors import InputError
from shoal.formats._rows import (
    LabelRows,
    PathLike,
    PredictionRows,
    build_dataset,
    build_inferences,
    class_names_argument,
    parse_number,
)
from shoal.formats.classification_csv import (
    _FRAME_COLUMNS,
    PROBABILITY_PREFIX,
    _require,
    _rows,
    _write,
    frames_of_csv,
)
from shoal.tables import DatasetTables, InferenceTables

__all__ = [
    "LABEL_SEPARATOR",
    "as_multilabel_csv",
    "as_multilabel_predictions_csv",
    "from_multilabel_csv",
    "from_multilabel_predictions_csv",
]

LABEL_SEPARATOR = ";"


def _label_names(cell: str, source: str, record: str) -> list[str]:
    names = [name.strip() for name in cell.split(LABEL_SEPARATOR)] if cell.strip() else []
    seen: set[str] = set()
    for name in names:
        if not name:
            raise InputError(
                f"labels {cell!r} has an empty class name (classes are separated by "
                f"{LABEL_SEPARATOR!r})",
                source=source,
                record=record,
            )
        if name in seen:
            raise InputError(f"labels {cell!r} names {name!r} twice", source=source, record=record)
        seen.add(name)
    return names


def from_multilabel_csv(path: PathLike) -> DatasetTables:
    """Ground-truth multi-label CSV as a dataset; layout in the module doc."""
    source, frames, rows = frames_of_csv(path, "labels")
    labels = LabelRows()
    for record, frame_id, row in rows:
        for name in _label_names(row["labels"], source, record):
            labels.add(f"{frame_id}/{name}", frame_id, name, None, source=source, record=record)
    return build_dataset(frames, labels, source=source)


def from_multilabel_predictions_csv(
    path: PathLike, dataset: DatasetTables | None = None
) -> InferenceTables:
    """Multi-label predictions CSV (a score per class per frame); layout in the module
    doc. With ``dataset``, a frame it does not have is an error.

    A valid file is read column by column (Arrow's CSV reader, a few seconds for millions
    of scores); one with a problem is read again row by row, whose error names the row."""
    fast = _fast_predictions(path, dataset)
    if fast is not None:
        return fast
    return _predictions_by_row(path, dataset)


def _fast_predictions(path: PathLike, dataset: DatasetTables | None) -> InferenceTables | None:
    """The predictions of a well-formed file, read vectorised; None at the first sign of
    a problem (the row-by-row reader then names it)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv as pacsv

    source = os.fspath(path)
    try:
        with open(source, encoding="utf-8-sig", newline="") as handle:
            header = [name.strip() for name in next(csv.reader(handle))]
        if (
            header.count("frame_id") != 1
            or len(set(header)) != len(header)
            or any(n != "frame_id" and not n.startswith(PROBABILITY_PREFIX) for n in header)
            or any(n == PROBABILITY_PREFIX or n != n.strip() for n in header)
            or len(header) < 2
        ):
            return None
        table = pacsv.read_csv(
            source,
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header},
                strings_can_be_null=True,
                null_values=[""],
            ),
        )
    except (OSError, UnicodeDecodeError, StopIteration, csv.Error, pa.ArrowException):
        return None
    if table.column_names != header:
        return None
    frame_ids = pc.utf8_trim_whitespace(table.column("frame_id"))
    if frame_ids.null_count or pc.count_distinct(frame_ids).as_py() != len(frame_ids):
        return None
    if not pc.all(pc.greater(pc.utf8_length(frame_ids), 0)).as_py() and len(frame_ids):
        return None
    score_columns = [name for name in header if name != "frame_id"]
    classes = [name[len(PROBABILITY_PREFIX) :] for name in score_columns]
    scores = np.empty((table.num_rows, len(classes)))
    given = np.empty(scores.shape, bool)
    for c, name in enumerate(score_columns):
        text = pc.utf8_trim_whitespace(table.column(name))
        present = pc.fill_null(pc.greater(pc.utf8_length(text), 0), False)
        given[:, c] = present.to_numpy(zero_copy_only=False)
        try:
            values = pc.cast(pc.if_else(present, text, "0"), pa.float64())
        except pa.ArrowException:
            return None
        scores[:, c] = values.to_numpy(zero_copy_only=False)
    if not np.isfinite(scores).all() or ((scores < 0) | (scores > 1)).any():
        return None
    known = None if dataset is None else dataset.frames.column("frame_id")
    if (
        known is not None
        and not pc.all(pc.is_in(frame_ids, value_set=known.combine_chunks())).as_py()
    ):
        return None
    rows, columns = np.nonzero(given)
    frame_column = pc.take(frame_ids, pa.array(rows))
    class_column = pa.array(np.asarray(classes, dtype=object)[columns], pa.string())
    predictions = pa.table(
        {
            "prediction_id": pc.binary_join_element_wise(frame_column, class_column, "/"),
            "frame_id": frame_column,
            "class_name": class_column,
            "confidence": scores[rows, columns],
        }
    )
    return InferenceTables.build(predictions, frame_ids=known, source=source)


def _predictions_by_row(path: PathLike, dataset: DatasetTables | None) -> InferenceTables:
    source = os.fspath(path)
    header, rows = _rows(source)
    _require(header, ("frame_id",), source)
    classes: list[str] = []
    for column in header:
        if column == "frame_id":
            continue
        if not column.startswith(PROBABILITY_PREFIX) or column == PROBABILITY_PREFIX:
            raise InputError(
                f"column {column!r} is neither frame_id nor a class score p_<class>",
                source=source,
                record="row 1",
            )
        classes.append(column[len(PROBABILITY_PREFIX) :])
    if not classes:
        raise InputError("has no p_<class> score columns", source=source, record="row 1")
    predictions = PredictionRows()
    seen: dict[str, int] = {}
    for number, row in rows:
        record = f"row {number}"
        frame_id = row["frame_id"]
        if not frame_id:
            raise InputError("has no frame_id", source=source, record=record)
        if frame_id in seen:
            raise InputError(
                f"frame {frame_id!r} has a second row (first at row {seen[frame_id]})",
                source=source,
                record=record,
            )
        seen[frame_id] = number
        for name in classes:
            cell = row[PROBABILITY_PREFIX + name]
            if not cell:
                continue
            score = parse_number(cell, PROBABILITY_PREFIX + name, source, record)
            if not 0.0 <= score <= 1.0:
                raise InputError(
                    f"{PROBABILITY_PREFIX}{name} {cell} is not a score in [0, 1]",
                    source=source,
                    record=record,
                )
            predictions.add(
                f"{frame_id}/{name}", frame_id, name, None, score, source=source, record=record
            )
    return build_inferences(predictions, source=source, dataset=dataset)


def _by_frame(table: Any, what: str) -> dict[str, list[Any]]:
    """Rows grouped by frame (in stored order); a row with a box is an error."""
    grouped: dict[str, list[Any]] = {}
    for record, row in enumerate(table.to_pylist()):
        if row["width"] is not None:
            raise InputError(f"{what} has a box: not multi-label classification", record=record)
        grouped.setdefault(row["frame_id"], []).append(row)
    return grouped


def as_multilabel_csv(dataset: DatasetTables, path: PathLike) -> None:
    """Write a ground-truth CSV (``frame_id,labels,image_uri,width,height`` and the
    metadata columns; a frame without labels has an empty ``labels`` cell)."""
    labels_of = _by_frame(dataset.labels, "label")
    for rows in labels_of.values():
        for row in rows:
            if LABEL_SEPARATOR in row["class_name"]:
                raise InputError(f"class {row['class_name']!r} contains {LABEL_SEPARATOR!r}")
    header = ["frame_id", "labels", *_FRAME_COLUMNS, *dataset.metadata_keys]
    out = []
    for frame in dataset.frames.to_pylist():
        names = LABEL_SEPARATOR.join(r["class_name"] for r in labels_of.get(frame["frame_id"], []))
        out.append([frame["frame_id"], names, *(frame[k] for k in header[2:])])
    _write(path, header, out)


def as_multilabel_predictions_csv(
    inferences: InferenceTables, path: PathLike, class_names: Sequence[str] | PathLike
) -> None:
    """Write a predictions CSV: ``frame_id`` then ``p_<class>`` in ``class_names`` order
    (a class without a score on a frame: an empty cell)."""
    names = class_names_argument(class_names)
    column_of = {name: c for c, name in enumerate(names)}
    out = []
    for frame_id, rows in _by_frame(inferences.predictions, "prediction").items():
        scores: list[Any] = [None] * len(names)
        for row in rows:
            column = column_of.get(row["class_name"])
            if column is None:
                raise InputError(f"predicted class {row['class_name']!r} is not in class_names")
            scores[column] = row["confidence"]
        out.append([frame_id, *scores])
    _write(path, ["frame_id", *(PROBABILITY_PREFIX + name for name in names)], out)
