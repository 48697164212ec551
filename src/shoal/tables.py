"""The tables Shoal stores: frames, labels, predictions and embeddings, as Arrow.

Every importer produces these, the SDK's frame builders produce these, and the store
writes them to Parquet unchanged; the engine reads them through
:func:`to_ground_truth` / :func:`to_predictions`. One schema, one validation.

Frames (one row per frame)
    ``frame_id`` string (unique), ``image_uri`` string (a local path or URL, nullable),
    ``width`` / ``height`` int32 (nullable), then one column per user metadata key
    (typed: bool, int64, float64 or string; any name but the reserved ones).
Labels (ground truth, one row per object)
    ``label_id`` string (unique), ``frame_id`` string, ``class_name`` string, ``x``,
    ``y``, ``width``, ``height`` float64 (box in pixels; null for a frame-level
    classification label), ``area`` float64 (for COCO area ranges; null means
    width * height), ``iscrowd`` bool, ``ignore`` bool, ``attributes`` string (JSON, nullable).
Predictions (one row per predicted object)
    ``prediction_id`` string (unique), ``frame_id``, ``class_name``, ``x``, ``y``,
    ``width``, ``height`` (null for classification), ``confidence`` float64 in [0, 1],
    ``probabilities`` list<float32> (classification only: one score per class, in the
    project's class order; nullable).
Embeddings (one row per vector)
    ``frame_id`` string, ``target_id`` string (a label or prediction id for a crop
    embedding, null for a frame embedding), ``model_id`` string, ``vector`` list<float32>.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shoal.engine.detection.annotations import Classes, GroundTruth, Predictions
from shoal.errors import InputError
from shoal.formats._validation import (
    RESERVED_METADATA_KEYS,
    box_problems,
    confidence_problems,
    describe_box_problem,
    metadata_key_problem,
)

__all__ = [
    "EMBEDDINGS_SCHEMA",
    "FRAME_COLUMNS",
    "LABELS_SCHEMA",
    "PREDICTIONS_SCHEMA",
    "RESERVED_METADATA_KEYS",
    "DatasetTables",
    "InferenceTables",
    "embeddings_table",
    "empty_embeddings",
    "to_ground_truth",
    "to_predictions",
]

FRAME_COLUMNS = pa.schema(
    [
        ("frame_id", pa.string()),
        ("image_uri", pa.string()),
        ("width", pa.int32()),
        ("height", pa.int32()),
    ]
)


def _object_schema(id_column: str, *own_columns: tuple[str, pa.DataType]) -> pa.Schema:
    """A labels or predictions schema: the object's id, its frame, its class and its box
    (``x``, ``y``, ``width``, ``height``; null for classification), then the columns
    only that kind of object has."""
    return pa.schema(
        [
            (id_column, pa.string()),
            ("frame_id", pa.string()),
            ("class_name", pa.string()),
            ("x", pa.float64()),
            ("y", pa.float64()),
            ("width", pa.float64()),
            ("height", pa.float64()),
            *own_columns,
        ]
    )


LABELS_SCHEMA = _object_schema(
    "label_id",
    ("area", pa.float64()),
    ("iscrowd", pa.bool_()),
    ("ignore", pa.bool_()),
    ("attributes", pa.string()),
)
PREDICTIONS_SCHEMA = _object_schema(
    "prediction_id",
    ("confidence", pa.float64()),
    ("probabilities", pa.list_(pa.float32())),
)
EMBEDDINGS_SCHEMA = pa.schema(
    [
        ("frame_id", pa.string()),
        ("target_id", pa.string()),
        ("model_id", pa.string()),
        ("vector", pa.list_(pa.float32())),
    ]
)
# RESERVED_METADATA_KEYS (the frame columns and the query language's label statistics)
# comes from the one validation module, shoal.formats._validation.
_METADATA_TYPES = (pa.bool_(), pa.int64(), pa.float64(), pa.string())


def empty_embeddings() -> pa.Table:
    return EMBEDDINGS_SCHEMA.empty_table()


def embeddings_table(
    frame_ids: Sequence[str] | pa.Array | None,
    vectors: Any,
    *,
    model: str,
    target_ids: Sequence[str] | pa.Array | None = None,
) -> pa.Table:
    """Embedding rows of one model from an (n, d) array: frame embeddings
    (``target_ids`` None) or crops (``target_ids`` the label or prediction ids);
    ``frame_ids`` None leaves the frames to be found from the targets."""
    rows = np.ascontiguousarray(vectors, np.float32)
    if rows.ndim != 2:
        raise InputError(f"vectors must be rows of numbers (n, d), not shape {rows.shape}")
    count, dimension = rows.shape
    if count * dimension > np.iinfo(np.int32).max:
        raise InputError(f"{count * dimension} vector values do not fit one table")

    def strings(values: Sequence[str] | pa.Array | None) -> pa.Array:
        if values is None:
            return pa.nulls(count, pa.string())
        array = (
            values.cast(pa.string())
            if isinstance(values, pa.Array)
            else pa.array(list(values), pa.string())
        )
        if len(array) != count:
            raise InputError(f"{len(array)} ids for {count} vectors")
        return array

    offsets = pa.array(np.arange(count + 1, dtype=np.int32) * dimension, pa.int32())
    return pa.table(
        {
            "frame_id": strings(frame_ids),
            "target_id": strings(target_ids),
            "model_id": pa.array([model] * count, pa.string()),
            "vector": pa.ListArray.from_arrays(offsets, pa.array(rows.ravel(), pa.float32())),
        },
        schema=EMBEDDINGS_SCHEMA,
    )


def _first(mask: Any) -> int | None:
    """Index of the first true entry of an Arrow or NumPy boolean array, or None."""
    values = np.asarray(mask.to_numpy(zero_copy_only=False) if hasattr(mask, "to_numpy") else mask)
    hits = np.flatnonzero(values.astype(bool))
    return int(hits[0]) if hits.size else None


def _conform(table: pa.Table, schema: pa.Schema, what: str, source: str | None) -> pa.Table:
    """``table`` with exactly ``schema``'s columns (missing nullable ones added as nulls)."""
    columns = []
    for field in schema:
        if field.name in table.column_names:
            column = table.column(field.name)
            try:
                columns.append(column.cast(field.type))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
                raise InputError(
                    f"{what} column {field.name!r} is {column.type}, expected {field.type}",
                    source=source,
                ) from error
        elif field.name in {"frame_id", "label_id", "prediction_id", "class_name", "model_id"}:
            raise InputError(f"{what} table has no {field.name!r} column", source=source)
        elif field.type == pa.bool_():
            columns.append(pa.array(np.zeros(table.num_rows, bool)))
        else:
            columns.append(pa.nulls(table.num_rows, field.type))
    return pa.Table.from_arrays(columns, schema=schema)


def _check_unique(column: pa.ChunkedArray, what: str, source: str | None) -> None:
    if pc.count_distinct(column, mode="all").as_py() == len(column):
        return
    seen: set[object] = set()
    for i, value in enumerate(column.to_pylist()):
        if value in seen:
            raise InputError(f"duplicate {what} {value!r}", source=source, record=i)
        seen.add(value)


def _check_not_null(table: pa.Table, names: Sequence[str], what: str, source: str | None) -> None:
    for name in names:
        bad = _first(table.column(name).is_null())
        if bad is not None:
            raise InputError(f"{what} has no {name}", source=source, record=bad)


def _check_boxes(table: pa.Table, what: str, source: str | None, required: bool) -> None:
    parts = [table.column(n) for n in ("x", "y", "width", "height")]
    nulls = [np.asarray(p.is_null().to_numpy(zero_copy_only=False)) for p in parts]
    some, every = np.logical_or.reduce(nulls), np.logical_and.reduce(nulls)
    partial = _first(some & ~every)
    if partial is not None:
        raise InputError(
            f"{what} has a partial box (x, y, width, height all or none)",
            source=source,
            record=partial,
        )
    if required and (bad := _first(every)) is not None:
        raise InputError(f"{what} has no box", source=source, record=bad)
    values = np.stack(
        [np.asarray(p.to_numpy(zero_copy_only=False), dtype=np.float64) for p in parts], axis=1
    )
    if (bad := _first(~every & box_problems(values))) is not None:
        raise InputError(
            describe_box_problem(f"{what} box", values[bad]), source=source, record=bad
        )


def _frame_ids_known(
    frame_ids: pa.ChunkedArray, known: pa.ChunkedArray, what: str, source: str | None
) -> None:
    missing = pc.invert(pc.is_in(frame_ids, value_set=known.combine_chunks()))
    if (bad := _first(missing)) is not None:
        raise InputError(
            f"{what} refers to unknown frame {frame_ids[bad].as_py()!r}", source=source, record=bad
        )


@dataclass(frozen=True, eq=False)
class DatasetTables:
    """A labeled dataset: frames, their labels and optional embeddings (validated)."""

    frames: pa.Table
    labels: pa.Table
    embeddings: pa.Table

    @classmethod
    def build(
        cls,
        frames: pa.Table,
        labels: pa.Table,
        embeddings: pa.Table | None = None,
        *,
        source: str | None = None,
        require_boxes: bool = False,
    ) -> DatasetTables:
        """Conform columns to the schema and validate everything; raises ``InputError``
        naming ``source``, the record and the problem."""
        frames = _conform_frames(frames, source)
        labels = _conform(labels, LABELS_SCHEMA, "label", source)
        _check_not_null(labels, ("label_id", "frame_id", "class_name"), "label", source)
        _check_unique(labels.column("label_id"), "label id", source)
        _frame_ids_known(labels.column("frame_id"), frames.column("frame_id"), "label", source)
        _check_boxes(labels, "label", source, required=require_boxes)
        area = np.asarray(labels.column("area").to_numpy(zero_copy_only=False), dtype=np.float64)
        if (bad := _first(~np.isnan(area) & ~(np.isfinite(area) & (area >= 0)))) is not None:
            raise InputError(
                f"label area {area[bad]} is not a finite number >= 0", source=source, record=bad
            )
        embeddings = _conform(
            embeddings if embeddings is not None else empty_embeddings(),
            EMBEDDINGS_SCHEMA,
            "embedding",
            source,
        )
        _frame_ids_known(
            embeddings.column("frame_id"), frames.column("frame_id"), "embedding", source
        )
        return cls(frames, labels, embeddings)

    @property
    def class_names(self) -> list[str]:
        """Every class name the labels use, sorted."""
        return sorted(set(self.labels.column("class_name").to_pylist()))

    @property
    def metadata_keys(self) -> list[str]:
        return [n for n in self.frames.column_names if n not in FRAME_COLUMNS.names]


def _conform_frames(frames: pa.Table, source: str | None) -> pa.Table:
    base = _conform(
        frames.select([n for n in FRAME_COLUMNS.names if n in frames.column_names]),
        FRAME_COLUMNS,
        "frame",
        source,
    )
    _check_not_null(base, ("frame_id",), "frame", source)
    _check_unique(base.column("frame_id"), "frame id", source)
    for name in ("width", "height"):
        values = np.asarray(base.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)
        if (bad := _first(~np.isnan(values) & (values <= 0))) is not None:
            raise InputError(
                f"frame {name} {values[bad]:g} is not positive", source=source, record=bad
            )
    columns, names = list(base.columns), list(base.column_names)
    for name in frames.column_names:
        if name in FRAME_COLUMNS.names:
            continue
        if metadata_key_problem(name) is not None:
            raise InputError(f"metadata key {name!r} is reserved", source=source)
        column = frames.column(name)
        if column.type not in _METADATA_TYPES:
            target = (
                pa.int64() if pa.types.is_integer(column.type)
                else pa.float64() if pa.types.is_floating(column.type)
                else pa.string()
            )  # fmt: skip
            try:
                column = column.cast(target)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
                raise InputError(
                    f"metadata {name!r} of type {column.type} is not supported", source=source
                ) from error
        columns.append(column)
        names.append(name)
    return pa.Table.from_arrays(columns, names=names)


@dataclass(frozen=True, eq=False)
class InferenceTables:
    """A model's predictions on a dataset's frames, and optional embeddings."""

    predictions: pa.Table
    embeddings: pa.Table

    @classmethod
    def build(
        cls,
        predictions: pa.Table,
        embeddings: pa.Table | None = None,
        *,
        frame_ids: pa.ChunkedArray | None = None,
        source: str | None = None,
        require_boxes: bool = False,
    ) -> InferenceTables:
        """Conform and validate; with ``frame_ids`` (the dataset's), unknown frames are
        errors. A missing ``prediction_id`` column is numbered 1..n; a missing
        ``confidence`` counts as 1.0."""
        if "prediction_id" not in predictions.column_names:
            ids = pa.array([str(i) for i in range(1, predictions.num_rows + 1)], pa.string())
            predictions = predictions.append_column("prediction_id", ids)
        if "confidence" not in predictions.column_names:
            predictions = predictions.append_column(
                "confidence", pa.array(np.ones(predictions.num_rows))
            )
        predictions = _conform(predictions, PREDICTIONS_SCHEMA, "prediction", source)
        _check_not_null(
            predictions, ("prediction_id", "frame_id", "class_name"), "prediction", source
        )
        _check_unique(predictions.column("prediction_id"), "prediction id", source)
        _check_boxes(predictions, "prediction", source, required=require_boxes)
        # A null confidence counts as 1.0, as a missing COCO score does; NaN is an error.
        filled = pc.fill_null(predictions.column("confidence"), 1.0)
        confidence = np.asarray(filled.to_numpy(zero_copy_only=False), dtype=np.float64)
        if (bad := _first(confidence_problems(confidence))) is not None:
            raise InputError(
                f"confidence {confidence[bad]} is not in [0, 1]", source=source, record=bad
            )
        predictions = predictions.set_column(
            PREDICTIONS_SCHEMA.get_field_index("confidence"), "confidence", pa.array(confidence)
        )
        if frame_ids is not None:
            _frame_ids_known(predictions.column("frame_id"), frame_ids, "prediction", source)
        embeddings = _conform(
            embeddings if embeddings is not None else empty_embeddings(),
            EMBEDDINGS_SCHEMA,
            "embedding",
            source,
        )
        return cls(predictions, embeddings)

    @property
    def class_names(self) -> list[str]:
        return sorted(set(self.predictions.column("class_name").to_pylist()))


def _positions(values: pa.ChunkedArray, value_set: pa.Array, what: str) -> np.ndarray:
    """Index of each value in ``value_set`` (vectorized); an unknown value is an error."""
    index = pc.index_in(values, value_set=value_set)
    if (bad := _first(index.is_null())) is not None:
        raise InputError(f"{what} {values[bad].as_py()!r} is unknown", record=bad)
    return np.asarray(index.to_numpy(zero_copy_only=False), dtype=np.int32)


def _class_index(names: pa.ChunkedArray, classes: Classes, what: str) -> np.ndarray:
    known = pa.array(classes.names.tolist(), pa.string())
    try:
        return _positions(names, known, f"{what} class")
    except InputError as error:
        raise InputError(
            f"{error.message} (not in the project's classes)", record=error.record
        ) from None


def _boxes(table: pa.Table) -> np.ndarray:
    """(rows, 4) x, y, width, height, written chunk by chunk into one array (no
    concatenated column, no stacked copy)."""
    boxes = np.empty((table.num_rows, 4), np.float64)
    for field, name in enumerate(("x", "y", "width", "height")):
        row = 0
        for chunk in table.column(name).chunks:
            boxes[row : row + len(chunk), field] = chunk.to_numpy(zero_copy_only=False)
            row += len(chunk)
    return boxes


def _strings(column: pa.ChunkedArray) -> np.ndarray:
    return np.asarray(column.to_numpy(zero_copy_only=False)).astype(np.str_)


def to_ground_truth(
    dataset: DatasetTables, classes: Classes, *, ignored_classes: Sequence[str] = ()
) -> GroundTruth:
    """The engine's columns for a (validated) dataset's boxes. Labels of
    ``ignored_classes`` (and labels marked ``ignore``) are kept as ignored ground truth;
    frame ids stay strings. Engine ids are 1-based row numbers of the labels table."""
    labels = dataset.labels
    boxes = _boxes(labels)
    area = np.asarray(labels.column("area").to_numpy(zero_copy_only=False), dtype=np.float64)
    area = np.where(np.isnan(area), boxes[:, 2] * boxes[:, 3], area)
    ignore = np.asarray(labels.column("ignore").to_numpy(zero_copy_only=False), dtype=bool)
    if ignored_classes:
        ignored = pc.is_in(labels.column("class_name"), value_set=pa.array(list(ignored_classes)))
        ignore |= np.asarray(ignored.to_numpy(zero_copy_only=False), dtype=bool)
    frame_ids = dataset.frames.column("frame_id").combine_chunks()
    return GroundTruth(
        frame_ids=_strings(dataset.frames.column("frame_id")),
        classes=classes,
        frame=_positions(labels.column("frame_id"), frame_ids, "label frame"),
        label=_class_index(labels.column("class_name"), classes, "label"),
        box=np.ascontiguousarray(boxes),
        area=area,
        iscrowd=np.asarray(labels.column("iscrowd").to_numpy(zero_copy_only=False), dtype=bool),
        ignore=ignore,
        ids=np.arange(1, labels.num_rows + 1, dtype=np.int64),
    )


def to_predictions(inferences: InferenceTables, ground_truth: GroundTruth) -> Predictions:
    """The engine's columns for a (validated) inference set's boxes, on ``ground_truth``'s
    frames. Engine ids are 1-based row numbers of the predictions table."""
    predictions = inferences.predictions
    frame_ids = pa.array(ground_truth.frame_ids.tolist(), pa.string())
    return Predictions(
        frame=_positions(predictions.column("frame_id"), frame_ids, "prediction frame"),
        label=_class_index(predictions.column("class_name"), ground_truth.classes, "prediction"),
        box=np.ascontiguousarray(_boxes(predictions)),
        score=np.asarray(
            predictions.column("confidence").to_numpy(zero_copy_only=False), dtype=np.float64
        ),
        ids=np.arange(1, predictions.num_rows + 1, dtype=np.int64),
    )
