"""Embeddings added to a stored dataset or inference set (``Dataset.add_embeddings``,
``shoal embeddings import``).

**Files.** Parquet with the ``EMBEDDINGS_SCHEMA`` columns (``frame_id``, ``target_id``,
``model_id``, ``vector``; ``label_id`` / ``prediction_id`` may name ``target_id`` and
``embedding`` ``vector``; without ``model_id`` the model is given), or ``.npz`` with
``ids`` (n strings) and ``vectors`` (n x d numbers) and the model given: the ids are
frame ids (frame vectors) or, for crops, label ids (prediction ids with an inference set).
A crop row without a frame id takes its label's or prediction's.

**How it is stored.** The file's vectors of each model and kind (frames, crops) replace
that model's vectors of that kind in the table (the dataset's, or the set's): the others
stay. The dataset or set gets a
new version whose object holds the same frames and labels (or predictions) files, linked,
and the new embeddings. Since the frames, labels and predictions are unchanged, what was
computed from them stays valid: kept matchings stay, and the quality metrics of the old
version are carried to the new one. Kept projections and similarity indexes of the
(model, kind) pairs in the file become stale; the others (whose vectors and order are
unchanged) are carried to the new object and stay current. One staged object
and one transaction: a failed import leaves the store as it was.
"""

from __future__ import annotations

import io
import os
import shutil
import sqlite3
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from shoal._types import Progress
from shoal.errors import ConflictError, InputError, NotFoundError
from shoal.sdk._columns import dataset_tables, inference_tables
from shoal.store._home import crash_point
from shoal.tables import EMBEDDINGS_SCHEMA, embeddings_table

if TYPE_CHECKING:
    from shoal.store._entities import Dataset, InferenceSet

__all__ = ["add_embeddings", "read_embeddings_bytes", "read_embeddings_file"]

_ALIASES = {"label_id": "target_id", "prediction_id": "target_id", "embedding": "vector"}


def read_embeddings_file(
    path: str | os.PathLike[str],
    *,
    model: str | None = None,
    kind: Literal["frame", "crop"] = "frame",
) -> pa.Table:
    """The embeddings in a Parquet or ``.npz`` file (the module doc) as an
    ``EMBEDDINGS_SCHEMA`` table (a crop's ``frame_id`` may be null); an ``InputError``
    naming the file and what is wrong."""
    file = Path(path)
    source = str(file)
    if not file.is_file():
        raise InputError("no such file", source=source)
    if file.suffix.lower() == ".npz":
        return _from_npz(file, source, model, kind)
    return _from_parquet(file, source, model)


def read_embeddings_bytes(
    data: bytes,
    *,
    format: Literal["parquet", "npz"],
    model: str | None = None,
    kind: Literal["frame", "crop"] = "frame",
    source: str = "upload",
) -> pa.Table:
    """Like ``read_embeddings_file``, of a file's bytes (an upload)."""
    if format == "npz":
        return _from_npz(io.BytesIO(data), source, model, kind)
    if format != "parquet":
        raise InputError(f"unknown embeddings format {format!r}; use parquet or npz", source=source)
    return _from_parquet(pa.BufferReader(data), source, model)


def _from_parquet(file: Any, source: str, model: str | None) -> pa.Table:
    try:
        table = pq.read_table(file)
    except (pa.ArrowException, OSError) as error:
        raise InputError(
            f"not a Parquet file ({str(error).splitlines()[0][:200]}); "
            "give .parquet or .npz (ids + vectors)",
            source=source,
        ) from None
    names = [_ALIASES.get(name, name) for name in table.column_names]
    if len(set(names)) != len(names):
        raise InputError(f"columns {table.column_names} name one column twice", source=source)
    table = table.rename_columns(names)
    if "model_id" not in names:
        if model is None:
            raise InputError(
                "the file has no model_id column: name the model (--model)", source=source
            )
        table = table.append_column("model_id", pa.array([model] * table.num_rows, pa.string()))
    for column in ("vector", "model_id"):
        if column not in table.column_names:
            raise InputError(f"the file has no {column!r} column", source=source)
    if "frame_id" not in table.column_names:
        table = table.append_column("frame_id", pa.nulls(table.num_rows, pa.string()))
    if "target_id" not in table.column_names:
        table = table.append_column("target_id", pa.nulls(table.num_rows, pa.string()))
    columns = []
    for field in EMBEDDINGS_SCHEMA:
        try:
            columns.append(table.column(field.name).cast(field.type))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise InputError(
                f"column {field.name!r} is {table.column(field.name).type}, expected {field.type}",
                source=source,
            ) from None
    return pa.Table.from_arrays(columns, schema=EMBEDDINGS_SCHEMA)


def _from_npz(file: Any, source: str, model: str | None, kind: str) -> pa.Table:
    if model is None:
        raise InputError("a .npz file names no model: name it (--model)", source=source)
    try:
        with np.load(file, allow_pickle=False) as data:
            if "ids" not in data or "vectors" not in data:
                raise InputError(
                    f"a .npz of embeddings holds 'ids' and 'vectors', not {sorted(data.files)}",
                    source=source,
                )
            ids, vectors = data["ids"], data["vectors"]
    except InputError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise InputError(f"not a readable .npz file ({error})", source=source) from None
    if ids.ndim != 1 or ids.dtype.kind not in "UO":
        raise InputError(
            f"'ids' must be a 1-D array of strings, not {ids.dtype} {ids.shape}", source=source
        )
    if vectors.ndim != 2 or vectors.shape[0] != ids.shape[0] or vectors.dtype.kind not in "fiu":
        raise InputError(
            f"'vectors' must be {ids.shape[0]} rows of numbers, not {vectors.dtype} {vectors.shape}",
            source=source,
        )
    names = [str(i) for i in ids]
    return embeddings_table(
        names if kind == "frame" else None,
        vectors,
        model=model,
        target_ids=None if kind == "frame" else names,
    )


def _with_frames(
    table: pa.Table, targets: pa.Table, id_column: str, what: str, source: str | None
) -> pa.Table:
    """Crop rows without a frame id get their target's; a crop of a target that does not
    exist is an error naming the record."""
    target = table.column("target_id")
    at = pc.index_in(target, value_set=targets.column(id_column).combine_chunks())
    unknown = pc.and_(pc.is_valid(target), pc.is_null(at))
    if pc.any(unknown).as_py():
        bad = int(np.flatnonzero(unknown.to_numpy(zero_copy_only=False))[0])
        raise InputError(
            f"crop embedding of a {what} {target[bad].as_py()!r} that does not exist",
            source=source,
            record=bad,
        )
    frames = targets.column("frame_id").combine_chunks().take(at)
    filled = pc.coalesce(table.column("frame_id"), frames)
    return table.set_column(table.schema.get_field_index("frame_id"), "frame_id", filled)


def add_embeddings(
    dataset: Dataset,
    embeddings: pa.Table,
    *,
    inference_set: InferenceSet | str | None = None,
    source: str | None = None,
    progress: Progress | None = None,
) -> None:
    """See ``Dataset.add_embeddings``."""
    from shoal.store._similarity import embedding_models

    found_set = (
        None
        if inference_set is None
        else dataset.inference_set(inference_set)
        if isinstance(inference_set, str)
        else inference_set
    )
    owner: Dataset | InferenceSet = dataset if found_set is None else found_set
    described = (
        f"dataset {dataset.name!r}" if found_set is None else f"inference set {owner.name!r}"
    )
    if progress:
        progress(0, 3)
    if embeddings.num_rows == 0:
        raise InputError("no embeddings to add", source=source)
    table = embeddings
    if found_set is None:
        targets, id_column, what = dataset.labels(), "label_id", "label"
    else:
        targets, id_column, what = found_set.predictions(), "prediction_id", "prediction"
    table = _with_frames(table, targets, id_column, what, source)
    models = set(pc.unique(table.column("model_id")).to_pylist())
    if None in models:
        bad = int(
            np.flatnonzero(table.column("model_id").is_null().to_numpy(zero_copy_only=False))[0]
        )
        raise InputError("embedding without a model_id", source=source, record=bad)
    # One model, one dimension: across the dataset and its sets too.
    lengths = pc.list_value_length(table.column("vector"))
    for info in embedding_models(dataset):
        if info.model not in models:
            continue
        rows = pc.equal(table.column("model_id"), info.model)
        wrong = pc.and_(rows, pc.not_equal(lengths, info.dimension))
        if pc.any(wrong).as_py():
            bad = int(np.flatnonzero(wrong.to_numpy(zero_copy_only=False))[0])
            raise InputError(
                f"embedding of model {info.model!r} has length {lengths[bad].as_py()}; the "
                f"stored vectors of that model have {info.dimension}",
                source=source,
                record=bad,
            )
    old_object, old_version = owner._object(), owner.version
    existing = owner.embeddings()
    # What the file replaces: each (model, kind) it has vectors of.
    replaced = {
        f"{model}\x00{'frame' if is_frame else 'crop'}"
        for model, is_frame in zip(
            table.column("model_id").to_pylist(),
            pc.is_null(table.column("target_id")).to_pylist(),
            strict=True,
        )
    }
    if existing.num_columns:
        pairs = pc.binary_join_element_wise(
            existing.column("model_id"),
            pc.if_else(pc.is_null(existing.column("target_id")), "frame", "crop"),
            "\x00",
        )
        kept = existing.filter(
            pc.invert(pc.is_in(pairs, value_set=pa.array(sorted(replaced), pa.string())))
        )
        merged = pa.concat_tables([table, kept.cast(EMBEDDINGS_SCHEMA)])
    else:
        merged = table
    # Validated as a whole (the file's rows first: a record number is the file's row).
    if found_set is None:
        merged = dataset_tables(dataset.frames(), targets, merged, source=source).embeddings
        data_files: tuple[str, ...] = ("frames.parquet", "labels.parquet")
    else:
        merged = inference_tables(
            targets, merged, dataset.frames().column("frame_id"), source=source
        ).embeddings
        data_files = ("predictions.parquet",)
    if progress:
        progress(1, 3)
    store = dataset.store
    row_table = "datasets" if found_set is None else "inference_sets"
    with store._write() as write:
        folder = store.home.object_path(old_object)
        for name in data_files:
            try:
                os.link(folder / name, write.stage / name)  # objects never change: shared
            except OSError:
                shutil.copyfile(folder / name, write.stage / name)
        write.parquet("embeddings.parquet", merged)
        obj = write.publish()
        with store._transaction() as db:
            row = db.execute(
                f"SELECT object, version FROM {row_table} WHERE id = ?", (owner.id,)
            ).fetchone()
            if row is None:
                raise NotFoundError(f"{described} was deleted meanwhile")
            if row[0] != old_object:
                raise ConflictError(
                    f"{described} was replaced while its embeddings were added; add them again"
                )
            db.execute(
                f"UPDATE {row_table} SET object = ?, version = version + 1 WHERE id = ?",
                (obj, owner.id),
            )
            # Unchanged frames, labels and predictions: their quality metrics still hold.
            clause = (
                "dataset_id = ? AND inference_set_id IS NULL"
                if found_set is None
                else "inference_set_id = ?"
            )
            db.execute(
                f"UPDATE element_metrics SET data_version = ? WHERE {clause} AND source = 'quality' "
                "AND data_version = ?",
                (old_version + 1, owner.id, old_version),
            )
            _carry_kept(db, dataset.id, found_set, old_object, obj, replaced)
            crash_point("before-commit")
        if progress:
            progress(2, 3)
    store.home.discard(old_object)
    if progress:
        progress(3, 3)


def _carry_kept(
    db: sqlite3.Connection,
    dataset_id: int,
    inference_set: InferenceSet | None,
    old: str,
    new: str,
    replaced: set[str],
) -> None:
    """Kept projections and similarity indexes of the (model, kind) pairs the file left
    alone stay current: their vectors (and their order) are those of the new object
    too, so the old object's name in their vectors key becomes the new one's."""
    for table in ("projections", "similarity_indexes"):
        rows = db.execute(
            f"SELECT rowid, model, kind, vectors_key FROM {table} WHERE dataset_id = ?",
            (dataset_id,),
        ).fetchall()
        for rowid, model, kind, key in rows:
            if f"{model}\x00{kind}" in replaced:
                continue  # its vectors changed: stale
            if inference_set is None:
                carried = new + key[len(old) :] if key.split(";")[0] == old else key
            else:
                part = f";{inference_set.name}={old}"
                carried = key.replace(part, f";{inference_set.name}={new}") if part in key else key
            if carried != key:
                db.execute(f"UPDATE {table} SET vectors_key = ? WHERE rowid = ?", (carried, rowid))
