"""The store: plumbing and writes on one home (the entity handles are in ``_entities``).

``Store`` is the one core object every face (CLI, server, SDK scripts) works through.
Entities are light handles that read the catalog when asked, so two processes on one
home (a server and a CLI import) always see committed state.

Writes that create a name check it and insert it in one ``BEGIN IMMEDIATE``
transaction (and writes of data objects also under the home's writers' lock), so two
writers racing for one new name never both pass the check: the second gets a
``ConflictError``.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import Any, cast

import pyarrow as pa

from shoal.errors import ConflictError, InputError, NotFoundError, ShoalError, StoreCorruptError
from shoal.store._catalog import catalog_errors, connect
from shoal.store._classes import ClassSpec, add_classes, drop_unused_classes
from shoal.store._entities import Project, Task, check_unit
from shoal.store._evaluations import EVALUATION_CACHE_SIZE, EvaluationCache, SegmentFrames
from shoal.store._home import Home
from shoal.store._multilabel import multilabel_cache
from shoal.store._names import check_name
from shoal.store._ner import ner_cache
from shoal.store._writes import StagedWrite

__all__ = ["TABLE_CACHE_SIZE", "Store"]

TABLE_CACHE_SIZE = 48
# Files a data object may lack (every other one it must have).
OPTIONAL_FILES = frozenset({"embeddings.parquet"})


class Store:
    """Shoal's embedded store on one home directory (``$SHOAL_HOME`` or ``~/.shoal``).

    Safe to use from several processes at once: readers never block, writers take
    turns, and a failed or killed write leaves the store as it was.
    """

    def __init__(
        self,
        home: str | os.PathLike[str] | None = None,
        *,
        evaluation_cache_size: int = EVALUATION_CACHE_SIZE,
    ) -> None:
        self.home = Home(home)
        # One SQLite connection per thread: a server answers requests on many threads.
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        # (object, file, the columns read or None for all) -> table
        self._tables: OrderedDict[tuple[str, str, tuple[str, ...] | None], pa.Table] = OrderedDict()
        self._tables_lock = threading.Lock()
        # Evaluations and saved queries' frames, shared by every caller of this store.
        self.evaluations = EvaluationCache(self, evaluation_cache_size)
        self.multilabel_evaluations = multilabel_cache(self, evaluation_cache_size)
        self.ner_evaluations = ner_cache(self, evaluation_cache_size)
        self.segment_frames = SegmentFrames()
        self.sweep()

    def __repr__(self) -> str:
        return f"<Store {self.home.path}>"

    def close(self) -> None:
        with self._connections_lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ----------------------------------------------------------- plumbing
    @property
    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = connect(self.home.catalog)
            self._local.connection = connection
            with self._connections_lock:
                self._connections.append(connection)
        return connection

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with catalog_errors(self.home.catalog):
            return list(self._connection.execute(sql, params))

    def _row(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: ``BEGIN IMMEDIATE`` takes SQLite's write lock at
        once, so what it reads stays true until it commits. A constraint that still
        fails (a name taken by a writer that skipped the check, a parent deleted by
        another writer) is a ``ConflictError``, never a bare ``sqlite3.IntegrityError``."""
        with catalog_errors(self.home.catalog):
            self._connection.execute("BEGIN IMMEDIATE")
        try:
            with catalog_errors(self.home.catalog):
                yield self._connection
        except sqlite3.IntegrityError as error:
            self._rollback()
            if "UNIQUE" in str(error):
                raise ConflictError(f"that name is in use already ({error})") from None
            if "FOREIGN KEY" in str(error):
                raise ConflictError(
                    "what this change belongs to was deleted meanwhile by another writer"
                ) from None
            # Any other constraint (CHECK, NOT NULL) guards what the checks before it
            # let through: still the request's fault, said in one line.
            raise InputError(f"the store refused this change ({error})") from None
        except BaseException:
            self._rollback()
            raise
        else:
            with catalog_errors(self.home.catalog):
                self._connection.execute("COMMIT")

    def _rollback(self) -> None:
        # SQLite may have rolled back itself (a damaged page, a full disk): the error
        # being raised says what happened, not this one.
        with contextlib.suppress(sqlite3.Error):
            self._connection.execute("ROLLBACK")

    @contextlib.contextmanager
    def _write(self) -> Iterator[StagedWrite]:
        """Stage files, then publish them and commit catalog rows, all or nothing."""
        with self.home.write_lock():
            write = StagedWrite(self)
            try:
                yield write
            except BaseException:
                write.abandon()
                raise

    def _referenced_objects(self) -> set[str]:
        names = set()
        for table in (
            "datasets",
            "inference_sets",
            "evaluations",
            "element_metrics",
            "projections",
            "similarity_indexes",
        ):
            names |= {row[0] for row in self._rows(f"SELECT object FROM {table}")}
        return names

    def sweep(self) -> int:
        """Remove what interrupted writes left behind; skipped while another process
        writes. Returns how many folders it removed."""
        with self.home.write_lock(blocking=False) as locked:
            if not locked:
                return 0
            return self.home.sweep(self._referenced_objects())

    def read_table(
        self, object_name: str, file: str, columns: Sequence[str] | None = None
    ) -> pa.Table:
        """A Parquet table of an object (only ``columns``, when given: reading fewer is
        much quicker). Objects never change, so the most recently used tables stay in
        memory (a long-running server keeps reading the same few)."""
        key = (object_name, file, None if columns is None else tuple(columns))
        with self._tables_lock:
            # The columns asked for, or the whole table they can be selected from.
            for cached in (key, (object_name, file, None)):
                if cached in self._tables:
                    self._tables.move_to_end(cached)
                    table = self._tables[cached]
                    return table if columns is None else table.select(list(columns))
        folder = self.home.object_path(object_name)
        if not folder.is_dir():
            if object_name in self._referenced_objects():
                # Still the catalog's: no writer removed it, the folder itself is gone.
                raise StoreCorruptError("this data object's folder is missing", path=str(folder))
            # Replaced or deleted by another writer since the catalog was read.
            raise ShoalError("the data changed while it was being read; ask again")
        if file in OPTIONAL_FILES and not (folder / file).exists():
            return pa.table({})  # embeddings, which this write had none of
        try:
            table = self.home.read_parquet(
                object_name, file, columns=None if columns is None else list(columns)
            )
        except StoreCorruptError:
            if object_name not in self._referenced_objects():
                raise ShoalError("the data changed while it was being read; ask again") from None
            raise
        with self._tables_lock:
            self._tables[key] = table
            while len(self._tables) > TABLE_CACHE_SIZE:
                self._tables.popitem(last=False)
        return table

    # ----------------------------------------------------------- projects
    def projects(self) -> list[Project]:
        return [
            Project(self, row["id"]) for row in self._rows("SELECT id FROM projects ORDER BY name")
        ]

    def project(self, name: str) -> Project:
        row = self._row("SELECT id FROM projects WHERE name = ?", (name,))
        if row is None:
            known = ", ".join(p.name for p in self.projects()) or "none yet"
            raise NotFoundError(f"no project named {name!r} (projects: {known})")
        return Project(self, row["id"])

    def create_project(
        self,
        name: str,
        *,
        task: Task = "detection",
        classes: Sequence[ClassSpec] = (),
        default_conf: float | None = None,
        default_iou: float = 0.5,
        exist_ok: bool = False,
    ) -> Project:
        """A new project. ``classes`` may be names or ``{"name", "id", "color",
        "ignore"}`` entries (declared classes, kept while the project lives); datasets
        and inference sets add the classes they use.

        A name in use is a ``ConflictError``; with ``exist_ok=True`` that project is
        returned instead (as is, whatever ``task`` and ``classes`` say), which is what
        two imports racing to create one project need. ``default_conf`` defaults to 0.1,
        and to 0.5 (scikit-learn's threshold) for a multi-label project's class scores.
        """
        check_name(name, "project")
        if task not in ("detection", "classification", "multilabel", "ner"):
            raise InputError(
                f"task must be 'detection', 'classification', 'multilabel' or 'ner', got {task!r}"
            )
        if default_conf is None:
            default_conf = 0.5 if task == "multilabel" else 0.1
        conf = check_unit(default_conf, "default confidence threshold")
        iou = check_unit(default_iou, "default IoU threshold")
        if iou == 0.0:
            raise InputError("default IoU threshold must be above 0")
        with self._transaction() as db:
            existing = db.execute("SELECT id FROM projects WHERE name = ?", (name,)).fetchone()
            if existing is not None:
                if exist_ok:
                    return Project(self, int(existing[0]))
                raise ConflictError(f"a project named {name!r} exists already")
            cursor = db.execute(
                "INSERT INTO projects (name, task, default_conf, default_iou) VALUES (?, ?, ?, ?)",
                (name, task, conf, iou),
            )
            project_id = int(cursor.lastrowid or 0)
            add_classes(db, project_id, classes, declared=True)
        return Project(self, project_id)

    def get_or_create_project(self, name: str, *, task: Task | str = "detection") -> Project:
        """The project ``name``, created (with ``task``, checked there) if missing; safe
        against another process creating it at the same moment."""
        return self.create_project(name, task=cast(Task, task), exist_ok=True)

    def delete_project(self, name: str) -> None:
        project = self.project(name)
        objects = project._objects()
        with self._transaction() as db:
            db.execute("DELETE FROM projects WHERE id = ?", (project.id,))
        for obj in objects:
            self.home.discard(obj)

    def _delete_data(self, table: str, row_id: int, objects: list[str], project_id: int) -> None:
        """Delete a dataset or inference set row (with what hangs on it), drop the
        classes no object uses any more, then the row's objects. Call under the
        writers' lock."""
        with self._transaction() as db:
            db.execute(f"DELETE FROM {table} WHERE id = ?", (row_id,))
            self._drop_unused_classes(db, project_id)
        for obj in objects:
            self.home.discard(obj)

    def _drop_unused_classes(self, db: sqlite3.Connection, project_id: int) -> None:
        """After a replace or a removal: implicit classes no object uses leave the
        detection project's map. Classification projects keep theirs: stored
        probability vectors are positional over the class map."""
        task = db.execute("SELECT task FROM projects WHERE id = ?", (project_id,)).fetchone()
        if task is not None and task[0] == "detection":  # multilabel: scores are per class too
            drop_unused_classes(db, self.home, project_id)
