"""Column input: whole columns (a pyarrow Table, a pandas DataFrame, a mapping of column
name to values) in, validated tables out; also what the frame builders' tables go
through (:func:`dataset_tables`, :func:`inference_tables`). See :mod:`shoal.sdk` for the
column names and aliases."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from shoal.errors import InputError
from shoal.tables import EMBEDDINGS_SCHEMA, DatasetTables, InferenceTables

DEFAULT_MODEL_ID = "default"

# What ``from_columns`` accepts: a pyarrow Table or RecordBatch, a pandas DataFrame, or a
# mapping of column name to values.
Columns: TypeAlias = Any
FrameIds: TypeAlias = Any

VECTOR = pa.list_(pa.float32())

FRAME_ALIASES = {"image_url": "image_uri"}
LABEL_ALIASES = {"left": "x", "top": "y", "classification": "class_name"}
PREDICTION_ALIASES = {**LABEL_ALIASES, "label_id": "prediction_id"}
_EMBEDDING_ALIASES = {"label_id": "target_id", "prediction_id": "target_id", "embedding": "vector"}
_VECTOR_COLUMNS = frozenset({"vector", "probabilities"})
# The one column where NaN is not pandas' "missing" but an error.
_NAN_IS_AN_ERROR = "confidence"


def place_of(frame_id: str, object_id: str | None = None, kind: str = "label") -> str:
    return (
        f"frame {frame_id!r}" if object_id is None else f"frame {frame_id!r}, {kind} {object_id!r}"
    )


def list_array(offsets: NDArray[np.int64], values: NDArray[Any]) -> pa.Array:
    if offsets[-1] > np.iinfo(np.int32).max:
        raise InputError(f"{offsets[-1]} vector values do not fit one table (at most 2**31 - 1)")
    return pa.ListArray.from_arrays(
        pa.array(offsets.astype(np.int32)), pa.array(np.asarray(values, np.float32))
    )


# ---------------------------------------------------------------------------------------
# Columns in, validated tables out (shared by the builders and the bulk path)


def _column_items(data: Columns, what: str) -> list[tuple[object, object]]:
    if isinstance(data, Mapping):
        return list(data.items())
    if hasattr(data, "columns") and hasattr(data, "__getitem__"):  # a pandas DataFrame
        return [(name, data[name]) for name in data.columns]
    raise InputError(
        f"cannot read {what} from a {type(data).__name__}; give a pyarrow Table, a pandas "
        "DataFrame or a mapping of column name to values"
    )


def _arrow_column(name: str, values: object, what: str) -> pa.Array | pa.ChunkedArray:
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values
    if not isinstance(values, np.ndarray) and hasattr(values, "to_numpy"):  # a pandas Series
        values = values.to_numpy()
    try:
        if name in _VECTOR_COLUMNS:
            return _vector_column(values)
        if isinstance(values, np.ndarray):
            if values.ndim != 1:
                raise InputError(
                    f"{what} column {name!r} must be one-dimensional, got shape {values.shape}"
                )
            return pa.array(values, from_pandas=name != _NAN_IS_AN_ERROR)
        if isinstance(values, str | bytes) or not isinstance(values, Iterable):
            raise InputError(f"{what} column {name!r} is not a sequence of values")
        return pa.array(list(values), from_pandas=name != _NAN_IS_AN_ERROR)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as error:
        if isinstance(error, InputError):
            raise
        raise InputError(f"{what} column {name!r} cannot be read: {error}") from error


def _vector_column(values: object) -> pa.Array:
    if isinstance(values, np.ndarray) and values.ndim == 2:
        rows, length = values.shape
        offsets = np.arange(rows + 1, dtype=np.int64) * length
        return list_array(offsets, np.ascontiguousarray(values, np.float32).reshape(-1))
    if isinstance(values, np.ndarray):
        values = values.tolist()
    if not isinstance(values, Iterable):
        raise TypeError("expected a sequence of vectors")
    return pa.array(
        [None if v is None else np.asarray(v, dtype=np.float32) for v in values], VECTOR
    )


def read_columns(
    data: Columns, what: str, aliases: Mapping[str, str], allowed: Sequence[str] | None
) -> pa.Table:
    """``data`` as an Arrow table with canonical column names."""
    if isinstance(data, pa.RecordBatch):
        data = pa.Table.from_batches([data])
    if isinstance(data, pa.Table):
        given: list[object] = list(data.column_names)
        arrays: list[pa.Array | pa.ChunkedArray] = list(data.columns)
    else:
        items = _column_items(data, what)
        given = [name for name, _ in items]
        arrays = []
    names: list[str] = []
    for name in given:
        if not isinstance(name, str):
            raise InputError(f"{what} column name {name!r} is not a string")
        canonical = aliases.get(name, name)
        if canonical in names:
            raise InputError(f"{what} column {canonical!r} is given twice (as {name!r} too)")
        names.append(canonical)
    if allowed is not None and (unknown := [n for n in names if n not in allowed]):
        raise InputError(
            f"{what} column {unknown[0]!r} is not known; {what} columns are "
            f"{', '.join(allowed)} (aliases: {', '.join(f'{a}={c}' for a, c in aliases.items())})"
        )
    if not isinstance(data, pa.Table):
        arrays = [
            _arrow_column(n, values, what) for n, (_, values) in zip(names, items, strict=True)
        ]
        lengths = {len(array) for array in arrays}
        if len(lengths) > 1:
            sizes = ", ".join(f"{n}={len(a)}" for n, a in zip(names, arrays, strict=True))
            raise InputError(f"{what} columns differ in length: {sizes}")
    return pa.Table.from_arrays(arrays, names=names)


def read_embeddings(embeddings: Columns | None) -> pa.Table:
    if embeddings is None:
        return EMBEDDINGS_SCHEMA.empty_table()
    table = read_columns(embeddings, "embeddings", _EMBEDDING_ALIASES, EMBEDDINGS_SCHEMA.names)
    if "model_id" not in table.column_names:
        table = table.append_column(
            "model_id", pa.array([DEFAULT_MODEL_ID] * table.num_rows, pa.string())
        )
    return table


def dataset_tables(
    frames: pa.Table, labels: pa.Table, embeddings: pa.Table, *, source: str | None
) -> DatasetTables:
    tables = DatasetTables.build(frames, labels, embeddings, source=source)
    _check_embeddings(tables.embeddings, tables.labels, "label_id", "label", source)
    return tables


def _known_frame_ids(frame_ids: FrameIds) -> pa.ChunkedArray | None:
    if frame_ids is None:
        return None
    if isinstance(frame_ids, DatasetTables):
        column: pa.ChunkedArray = frame_ids.frames.column("frame_id")
        return column
    from shoal.sdk._builders import LabeledDataset  # here: the builders import this module

    if isinstance(frame_ids, LabeledDataset):
        frame_ids = frame_ids.frame_ids
    if isinstance(frame_ids, pa.ChunkedArray):
        return frame_ids.cast(pa.string())
    if isinstance(frame_ids, pa.Array):
        return pa.chunked_array([frame_ids.cast(pa.string())])
    if isinstance(frame_ids, str) or not isinstance(frame_ids, Iterable):
        raise InputError(
            "frame_ids must be a DatasetTables, LabeledDataset, Arrow array or an "
            "iterable of frame ids"
        )
    return pa.chunked_array([pa.array(list(frame_ids), pa.string())])


def inference_tables(
    predictions: pa.Table, embeddings: pa.Table, frame_ids: FrameIds, *, source: str | None
) -> InferenceTables:
    known = _known_frame_ids(frame_ids)
    tables = InferenceTables.build(predictions, embeddings, frame_ids=known, source=source)
    _check_probabilities(tables.predictions, source)
    _check_embeddings(tables.embeddings, tables.predictions, "prediction_id", "prediction", source)
    if known is not None:
        frames = tables.embeddings.column("frame_id")
        missing = pc.invert(pc.is_in(frames, value_set=known.combine_chunks()))
        if (bad := _first_true(missing)) is not None:
            raise InputError(
                f"embedding of unknown frame {frames[bad].as_py()!r}", source=source, record=bad
            )
    return tables


def _first_true(mask: pa.Array | pa.ChunkedArray | NDArray[np.bool_]) -> int | None:
    if isinstance(mask, pa.Array | pa.ChunkedArray):
        mask = np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)
    hits = np.flatnonzero(mask)
    return int(hits[0]) if hits.size else None


def _list_lengths(column: pa.ChunkedArray) -> NDArray[np.int64]:
    lengths = pc.fill_null(pc.list_value_length(column), -1)
    return np.asarray(lengths.to_numpy(zero_copy_only=False), dtype=np.int64)


def _flat_values(column: pa.ChunkedArray) -> NDArray[np.float64]:
    return np.asarray(pc.list_flatten(column).to_numpy(zero_copy_only=False), dtype=np.float64)


def _row_of_value(lengths: NDArray[np.int64], value_index: int) -> int:
    """The row holding flattened value ``value_index`` (null rows hold none)."""
    ends = np.cumsum(np.maximum(lengths, 0))
    return int(np.searchsorted(ends, value_index, side="right"))


def _check_embeddings(
    embeddings: pa.Table, targets: pa.Table, id_column: str, kind: str, source: str | None
) -> None:
    """Vectors present, non-empty and finite; one length per model; crop embeddings name an
    object of the same frame; one vector per (frame, object, model)."""
    if embeddings.num_rows == 0:
        return
    frames, target_ids = embeddings.column("frame_id"), embeddings.column("target_id")

    def where(row: int) -> str:
        return place_of(frames[row].as_py(), target_ids[row].as_py(), kind)

    vectors = embeddings.column("vector")
    lengths = _list_lengths(vectors)
    if (bad := _first_true(lengths <= 0)) is not None:
        raise InputError(f"{where(bad)}: embedding has no vector", source=source, record=bad)
    values = _flat_values(vectors)
    if (bad_value := _first_true(~np.isfinite(values))) is not None:
        bad = _row_of_value(lengths, bad_value)
        raise InputError(
            f"{where(bad)}: embedding has a value that is not finite", source=source, record=bad
        )
    codes = np.asarray(
        pc.dictionary_encode(embeddings.column("model_id").combine_chunks()).indices.to_numpy(
            zero_copy_only=False
        ),
        dtype=np.int64,
    )
    _, first_rows = np.unique(codes, return_index=True)
    expected = lengths[first_rows][codes]
    if (bad := _first_true(lengths != expected)) is not None:
        first = int(first_rows[codes[bad]])
        model = embeddings.column("model_id")[bad].as_py()
        raise InputError(
            f"{where(bad)}: embedding of model {model!r} has length {lengths[bad]}, but "
            f"{expected[bad]} at {where(first)} (one model, one length)",
            source=source,
            record=bad,
        )
    position = pc.index_in(target_ids, value_set=targets.column(id_column).combine_chunks())
    has_target = np.asarray(target_ids.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    found = np.asarray(position.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    if (bad := _first_true(has_target & ~found)) is not None:
        raise InputError(
            f"{where(bad)}: crop embedding of a {kind} that does not exist",
            source=source,
            record=bad,
        )
    target_frames = pc.take(targets.column("frame_id"), position)
    other_frame = pc.and_(pc.is_valid(position), pc.not_equal(target_frames, frames))
    if (bad := _first_true(other_frame)) is not None:
        raise InputError(
            f"{where(bad)}: crop embedding of a {kind} of frame {target_frames[bad].as_py()!r}",
            source=source,
            record=bad,
        )
    keyed = embeddings.select(["frame_id", "target_id", "model_id"]).append_column(
        "row", pa.array(np.arange(embeddings.num_rows))
    )
    groups = keyed.group_by(["frame_id", "target_id", "model_id"]).aggregate(
        [("row", "count"), ("row", "min")]
    )
    if groups.num_rows != embeddings.num_rows:
        counts = np.asarray(groups.column("row_count").to_numpy(), dtype=np.int64)
        bad = int(groups.column("row_min")[int(np.flatnonzero(counts > 1)[0])].as_py())
        model = embeddings.column("model_id")[bad].as_py()
        raise InputError(
            f"{where(bad)}: more than one embedding of model {model!r}", source=source, record=bad
        )


def _check_probabilities(predictions: pa.Table, source: str | None) -> None:
    """Probabilities only on classification predictions, one length, each in [0, 1]."""
    column = predictions.column("probabilities")
    if column.null_count == predictions.num_rows:
        return

    def where(row: int) -> str:
        return place_of(
            predictions.column("frame_id")[row].as_py(),
            predictions.column("prediction_id")[row].as_py(),
            "prediction",
        )

    lengths = _list_lengths(column)
    present = lengths >= 0
    has_box = np.asarray(predictions.column("x").is_valid().to_numpy(zero_copy_only=False), bool)
    if (bad := _first_true(present & has_box)) is not None:
        raise InputError(
            f"{where(bad)}: probabilities are for classification predictions (no box) only",
            source=source,
            record=bad,
        )
    first = int(np.flatnonzero(present)[0])
    if (bad := _first_true(present & (lengths != lengths[first]))) is not None:
        raise InputError(
            f"{where(bad)}: {lengths[bad]} probabilities, but {lengths[first]} at {where(first)} "
            "(one per class of the project)",
            source=source,
            record=bad,
        )
    values = _flat_values(column)
    if (bad_value := _first_true(~((values >= 0) & (values <= 1)))) is not None:
        bad = _row_of_value(lengths, bad_value)
        raise InputError(
            f"{where(bad)}: probability {values[bad_value]:g} is not in [0, 1]",
            source=source,
            record=bad,
        )
