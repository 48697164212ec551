"""Writes of data objects: staged files, published folders and the catalog rows that
point to them, all or nothing.

``StagedWrite`` stages files until they are published as an immutable object;
``write_data`` is the one writer of datasets and inference sets: it checks the name and
inserts (or, with ``replace``, updates) the row in one transaction under the writers'
lock, so a name is never taken twice, and a replace drops the kept matchings of the old
data and the classes no object uses any more.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from shoal._types import Progress
from shoal.errors import ConflictError
from shoal.store._classes import ClassSpec, add_classes
from shoal.store._home import crash_point

if TYPE_CHECKING:
    from shoal.store._store import Store

__all__ = ["DataRow", "StagedWrite", "write_data"]


class StagedWrite:
    """One staged write: files go to a staging folder until ``publish``."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.stage: Path = store.home.new_stage()
        self.published: list[str] = []

    def parquet(self, name: str, table: pa.Table) -> None:
        pq.write_table(table, self.stage / name, compression="zstd")

    def numpy(self, name: str, arrays: Mapping[str, Any]) -> None:
        # Written with np.savez, read with load_arrays (which serializes np.load).
        with open(self.stage / name, "wb") as handle:
            np.savez(handle, **arrays)

    def publish(self) -> str:
        crash_point("before-publish")
        name = self.store.home.publish(self.stage)
        self.published.append(name)
        crash_point("after-publish")
        return name

    def abandon(self) -> None:
        shutil.rmtree(self.stage, ignore_errors=True)
        for name in self.published:
            self.store.home.discard(name)


@dataclass(frozen=True)
class DataRow:
    """Where the catalog keeps a dataset or an inference set, for ``write_data``."""

    table: str  # "datasets" or "inference_sets"
    parent_column: str  # "project_id" or "dataset_id"
    parent_id: int
    owner: str  # "project 'traffic'": who has it, for messages
    kind: str  # "dataset" or "inference set"
    name: str
    project_id: int
    # Which kept matchings depend on this row's data (one ``?``: the row id).
    evaluations: str
    # Columns a replace keeps when given None (a dataset's image root).
    kept_when_none: tuple[str, ...] = ()
    # Run in the replacing transaction with the replaced row's id: raises to refuse a
    # replace that would leave what depends on the row inconsistent.
    check_replace: Callable[[int], None] | None = None

    def existing(self, db: sqlite3.Connection, replace: bool) -> int | None:
        """The row's id, None if there is none; a ``ConflictError`` if there is one and
        ``replace`` is off."""
        found = db.execute(
            f"SELECT id FROM {self.table} WHERE {self.parent_column} = ? AND name = ?",
            (self.parent_id, self.name),
        ).fetchone()
        if found is not None and not replace:
            raise ConflictError(
                f"{self.owner} has {'an' if self.kind[0] in 'aeiou' else 'a'} {self.kind} "
                f"{self.name!r} already; "
                "pass replace=True (--replace) to overwrite it"
            )
        return None if found is None else int(found[0])


def write_data(
    store: Store,
    row: DataRow,
    files: Mapping[str, pa.Table],
    values: Mapping[str, Any],
    classes: Sequence[ClassSpec],
    *,
    replace: bool,
    progress: Progress | None = None,
) -> int:
    """Write ``files`` as one object and point the row ``row`` at it (with ``values``
    for its other columns), adding ``classes`` to the project as implicit ones. Returns
    the row id."""
    # Checked here to fail before writing anything, and again in the transaction that
    # inserts (another writer may have taken the name meanwhile).
    row.existing(store._connection, replace)
    with store._write() as write:
        if progress:
            progress(0, 2)
        for file, table in files.items():
            write.parquet(file, table)
        obj = write.publish()
        if progress:
            progress(1, 2)
        with store._transaction() as db:
            existing = row.existing(db, replace)
            if existing is not None and row.check_replace is not None:
                row.check_replace(existing)
            add_classes(db, row.project_id, classes, declared=False)
            old: list[str] = []
            if existing is None:
                columns = [row.parent_column, "name", "object", *values]
                cursor = db.execute(
                    f"INSERT INTO {row.table} ({', '.join(columns)}) "
                    f"VALUES ({', '.join('?' * len(columns))})",
                    (row.parent_id, row.name, obj, *values.values()),
                )
                row_id = int(cursor.lastrowid or 0)
            else:
                row_id = existing
                old += [
                    r[0]
                    for r in db.execute(f"SELECT object FROM {row.table} WHERE id = ?", (row_id,))
                ]
                old += [
                    r[0]
                    for r in db.execute(
                        f"SELECT object FROM evaluations WHERE {row.evaluations}", (row_id,)
                    )
                ]
                db.execute(f"DELETE FROM evaluations WHERE {row.evaluations}", (row_id,))
                assignments = ", ".join(
                    f"{column} = COALESCE(?, {column})"
                    if column in row.kept_when_none
                    else f"{column} = ?"
                    for column in values
                )
                db.execute(
                    f"UPDATE {row.table} SET object = ?, version = version + 1, {assignments} "
                    "WHERE id = ?",
                    (obj, *values.values(), row_id),
                )
                store._drop_unused_classes(db, row.project_id)
            crash_point("before-commit")
        for name in old:
            store.home.discard(name)
        if progress:
            progress(2, 2)
    return row_id
