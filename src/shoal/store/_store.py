"""The store: projects, datasets, inference sets, segments and issues on one home.

``Store`` is the one core object every face (CLI, server, SDK scripts) works through.
Entities are light handles that read the catalog when asked, so two processes on one
home (a server and a CLI import) always see committed state.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from shoal.analysis import Comparison, SegmentResult, SegmentSpec, compare, evaluate_segments
from shoal.engine.classification import ClassificationEvaluation, evaluate_classifications
from shoal.engine.detection.annotations import Classes
from shoal.engine.detection.evaluator import DetectionEvaluation, evaluate
from shoal.errors import InputError, NotFoundError, ShoalError
from shoal.store._catalog import connect
from shoal.store._home import Home, crash_point
from shoal.tables import (
    DatasetTables,
    InferenceTables,
    empty_embeddings,
    to_ground_truth,
    to_predictions,
)

__all__ = [
    "ClassInfo",
    "Dataset",
    "InferenceSet",
    "Issue",
    "IssueElement",
    "Project",
    "Segment",
    "Store",
]

Task = Literal["detection", "classification"]
SegmentType = Literal["split", "regression_test", "scenario"]
Progress = Callable[[int, int], None]
SEGMENT_TYPES = ("split", "regression_test", "scenario")
ALL_FRAMES = "All Frames"
TABLE_CACHE_SIZE = 48
ISSUE_STATUSES = ("open", "in_progress", "resolved")

# A qualitative palette that stays readable on light and dark backgrounds.
_PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
    "#ff9da7", "#9c755f", "#bab0ac", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
    "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip


def _check_name(name: str, what: str) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise InputError(f"{what} name must be 1 to 200 characters, got {name!r}")
    if any(ord(ch) < 32 for ch in name):
        raise InputError(f"{what} name {name!r} has control characters")
    return name


def _check_unit(value: float | None, what: str) -> float | None:
    if value is None:
        return None
    number = float(value)
    if not 0.0 <= number <= 1.0:
        raise InputError(f"{what} {value!r} is not between 0 and 1")
    return number


@dataclass(frozen=True)
class ClassInfo:
    """One entry of a project's label class map."""

    name: str
    id: int
    color: str
    ignore: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "id": self.id, "color": self.color, "ignore": self.ignore}


@dataclass(frozen=True)
class IssueElement:
    """A frame, or a label or prediction (crop) in a frame, collected in an issue."""

    dataset: str
    frame_id: str
    element_kind: Literal["frame", "label", "prediction"] = "frame"
    element_id: str | None = None
    inference_set: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "frame_id": self.frame_id,
            "element_kind": self.element_kind,
            "element_id": self.element_id,
            "inference_set": self.inference_set,
        }


class Store:
    """Shoal's embedded store on one home directory (``$SHOAL_HOME`` or ``~/.shoal``).

    Safe to use from several processes at once: readers never block, writers take
    turns, and a failed or killed write leaves the store as it was.
    """

    def __init__(self, home: str | os.PathLike[str] | None = None) -> None:
        self.home = Home(home)
        # One SQLite connection per thread: a server answers requests on many threads.
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._tables: OrderedDict[tuple[str, str], pa.Table] = OrderedDict()
        self._tables_lock = threading.Lock()
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
        return list(self._connection.execute(sql, params))

    def _row(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._connection.execute("BEGIN IMMEDIATE")
        try:
            yield self._connection
        except BaseException:
            self._connection.execute("ROLLBACK")
            raise
        else:
            self._connection.execute("COMMIT")

    @contextlib.contextmanager
    def _write(self) -> Iterator[_Write]:
        """Stage files, then publish them and commit catalog rows, all or nothing."""
        with self.home.write_lock():
            write = _Write(self)
            try:
                yield write
            except BaseException:
                write.abandon()
                raise

    def _referenced_objects(self) -> set[str]:
        names = set()
        for table in ("datasets", "inference_sets", "evaluations"):
            names |= {row[0] for row in self._rows(f"SELECT object FROM {table}")}
        return names

    def sweep(self) -> int:
        """Remove what interrupted writes left behind; skipped while another process
        writes. Returns how many folders it removed."""
        with self.home.write_lock(blocking=False) as locked:
            if not locked:
                return 0
            return self.home.sweep(self._referenced_objects())

    def read_table(self, object_name: str, file: str) -> pa.Table:
        """A Parquet table of an object. Objects never change, so the most recently used
        tables stay in memory (a long-running server keeps reading the same few)."""
        key = (object_name, file)
        with self._tables_lock:
            if key in self._tables:
                self._tables.move_to_end(key)
                return self._tables[key]
        folder = self.home.object_path(object_name)
        if not folder.is_dir():
            # Replaced or deleted by another writer since the catalog was read.
            raise ShoalError("the data changed while it was being read; ask again")
        path = folder / file
        if not path.exists():
            return pa.table({})  # an optional file (embeddings) that this write had none of
        table = pq.read_table(path)
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
        classes: Sequence[str | Mapping[str, Any] | ClassInfo] = (),
        default_conf: float = 0.1,
        default_iou: float = 0.5,
        exist_ok: bool = False,
    ) -> Project:
        """A new project. ``classes`` may be names or ``{"name", "id", "color",
        "ignore"}`` entries; datasets and inference sets add the classes they use."""
        _check_name(name, "project")
        if task not in ("detection", "classification"):
            raise InputError(f"task must be 'detection' or 'classification', got {task!r}")
        conf = _check_unit(default_conf, "default confidence threshold")
        iou = _check_unit(default_iou, "default IoU threshold")
        if iou == 0.0:
            raise InputError("default IoU threshold must be above 0")
        existing = self._row("SELECT id FROM projects WHERE name = ?", (name,))
        if existing is not None:
            if exist_ok:
                return Project(self, existing["id"])
            raise InputError(f"a project named {name!r} exists already")
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO projects (name, task, default_conf, default_iou) VALUES (?, ?, ?, ?)",
                (name, task, conf, iou),
            )
            project_id = int(cursor.lastrowid or 0)
            _add_classes(db, project_id, classes)
        return Project(self, project_id)

    def delete_project(self, name: str) -> None:
        project = self.project(name)
        objects = project._objects()
        with self._transaction() as db:
            db.execute("DELETE FROM projects WHERE id = ?", (project.id,))
        for obj in objects:
            self.home.discard(obj)


def _add_classes(
    db: sqlite3.Connection, project_id: int, classes: Iterable[str | Mapping[str, Any] | ClassInfo]
) -> None:
    """Append classes not yet in the project's map (ids and colors continue the map)."""
    rows = list(
        db.execute(
            "SELECT name, class_id, position FROM classes WHERE project_id = ?", (project_id,)
        )
    )
    names = {r[0] for r in rows}
    used_ids = {r[1] for r in rows}
    position = max((r[2] for r in rows), default=-1) + 1
    for entry in classes:
        info = entry.to_dict() if isinstance(entry, ClassInfo) else entry
        spec: dict[str, Any] = {"name": info} if isinstance(info, str) else dict(info)
        name = _check_name(str(spec.get("name", "")), "class")
        if name in names:
            continue
        class_id = spec.get("id")
        if class_id is None:
            class_id = max(used_ids, default=-1) + 1
        if not isinstance(class_id, int) or isinstance(class_id, bool) or class_id in used_ids:
            raise InputError(f"class {name!r}: id {class_id!r} is not a new integer")
        color = str(spec.get("color") or _PALETTE[position % len(_PALETTE)])
        db.execute(
            "INSERT INTO classes (project_id, position, name, class_id, color, ignore) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (project_id, position, name, class_id, color, int(bool(spec.get("ignore", False)))),
        )
        names.add(name)
        used_ids.add(class_id)
        position += 1


class _Write:
    """One staged write: files go to a staging folder until ``publish``."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.stage: Path = store.home.new_stage()
        self.published: list[str] = []

    def parquet(self, name: str, table: pa.Table) -> None:
        pq.write_table(table, self.stage / name, compression="zstd")

    def numpy(self, name: str, arrays: Mapping[str, Any]) -> None:
        with open(self.stage / name, "wb") as handle:
            np.savez(handle, **arrays)

    def publish(self) -> str:
        crash_point("before-publish")
        name = self.store.home.publish(self.stage)
        self.published.append(name)
        crash_point("after-publish")
        return name

    def abandon(self) -> None:
        import shutil

        shutil.rmtree(self.stage, ignore_errors=True)
        for name in self.published:
            self.store.home.discard(name)


class _Entity:
    """A handle on one catalog row; properties read the catalog each time."""

    _table = ""

    def __init__(self, store: Store, row_id: int) -> None:
        self.store = store
        self.id = row_id

    def _get(self) -> sqlite3.Row:
        row = self.store._row(f"SELECT * FROM {self._table} WHERE id = ?", (self.id,))
        if row is None:
            raise NotFoundError(f"this {self._table[:-1].replace('_', ' ')} was deleted")
        return row

    @property
    def name(self) -> str:
        return str(self._get()["name"])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Entity) and type(other) is type(self) and other.id == self.id

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.id))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


class Project(_Entity):
    """A project: a task, a label class map, datasets and issues."""

    _table = "projects"

    @property
    def task(self) -> Task:
        return "classification" if self._get()["task"] == "classification" else "detection"

    @property
    def default_conf(self) -> float:
        return float(self._get()["default_conf"])

    @property
    def default_iou(self) -> float:
        return float(self._get()["default_iou"])

    def update(
        self, *, default_conf: float | None = None, default_iou: float | None = None
    ) -> None:
        with self.store._transaction() as db:
            if default_conf is not None:
                db.execute(
                    "UPDATE projects SET default_conf = ? WHERE id = ?",
                    (_check_unit(default_conf, "default confidence threshold"), self.id),
                )
            if default_iou is not None:
                iou = _check_unit(default_iou, "default IoU threshold")
                if iou == 0.0:
                    raise InputError("default IoU threshold must be above 0")
                db.execute("UPDATE projects SET default_iou = ? WHERE id = ?", (iou, self.id))

    def classes(self) -> list[ClassInfo]:
        return [
            ClassInfo(r["name"], int(r["class_id"]), r["color"], bool(r["ignore"]))
            for r in self.store._rows(
                "SELECT * FROM classes WHERE project_id = ? ORDER BY position", (self.id,)
            )
        ]

    def add_classes(self, classes: Iterable[str | Mapping[str, Any] | ClassInfo]) -> None:
        with self.store._transaction() as db:
            _add_classes(db, self.id, classes)

    def class_map(self) -> Classes:
        """The engine's class map (evaluation order = the project's class order)."""
        infos = self.classes()
        return Classes.from_ids([c.id for c in infos], [c.name for c in infos])

    def to_dict(self) -> dict[str, Any]:
        row = self._get()
        return {
            "name": row["name"],
            "task": row["task"],
            "default_conf": row["default_conf"],
            "default_iou": row["default_iou"],
            "created_at": row["created_at"],
            "classes": [c.to_dict() for c in self.classes()],
            "datasets": [d.name for d in self.datasets()],
        }

    # datasets
    def datasets(self) -> list[Dataset]:
        rows = self.store._rows(
            "SELECT id FROM datasets WHERE project_id = ? ORDER BY name", (self.id,)
        )
        return [Dataset(self.store, r["id"]) for r in rows]

    def dataset(self, name: str) -> Dataset:
        row = self.store._row(
            "SELECT id FROM datasets WHERE project_id = ? AND name = ?", (self.id, name)
        )
        if row is None:
            known = ", ".join(d.name for d in self.datasets()) or "none yet"
            raise NotFoundError(
                f"project {self.name!r} has no dataset {name!r} (datasets: {known})"
            )
        return Dataset(self.store, row["id"])

    def create_dataset(
        self,
        name: str,
        data: DatasetTables | Any,
        *,
        replace: bool = False,
        image_root: str | os.PathLike[str] | None = None,
        progress: Progress | None = None,
    ) -> Dataset:
        """Store a labeled dataset (``DatasetTables`` or an SDK ``LabeledDataset``).

        Everything is validated before anything is written; a name in use needs
        ``replace=True``. ``image_root`` is the one local folder images may be served
        from. Classes the labels use join the project's class map.
        """
        _check_name(name, "dataset")
        tables = _as_dataset_tables(data)
        existing = self.store._row(
            "SELECT id FROM datasets WHERE project_id = ? AND name = ?", (self.id, name)
        )
        if existing is not None and not replace:
            raise InputError(
                f"project {self.name!r} has a dataset {name!r} already; "
                "pass replace=True (--replace) to overwrite it"
            )
        if self.task == "detection":
            _require_boxes(tables.labels, "label")
        else:
            _one_per_frame(tables.labels, "label")
        root = str(Path(image_root).resolve()) if image_root is not None else None
        steps = 3
        with self.store._write() as write:
            if progress:
                progress(0, steps)
            write.parquet("frames.parquet", tables.frames)
            write.parquet("labels.parquet", tables.labels)
            if progress:
                progress(1, steps)
            if tables.embeddings.num_rows:
                write.parquet("embeddings.parquet", tables.embeddings)
            obj = write.publish()
            if progress:
                progress(2, steps)
            with self.store._transaction() as db:
                _add_classes(db, self.id, tables.class_names)
                if existing is None:
                    cursor = db.execute(
                        "INSERT INTO datasets (project_id, name, object, num_frames, num_labels, "
                        "image_root) VALUES (?, ?, ?, ?, ?, ?)",
                        (self.id, name, obj, tables.frames.num_rows, tables.labels.num_rows, root),
                    )
                    dataset_id = int(cursor.lastrowid or 0)
                    old: list[str] = []
                else:
                    dataset_id = int(existing["id"])
                    old = [
                        r[0]
                        for r in db.execute(
                            "SELECT object FROM datasets WHERE id = ?", (dataset_id,)
                        )
                    ]
                    old += [
                        r[0]
                        for r in db.execute(
                            "SELECT e.object FROM evaluations e JOIN inference_sets i "
                            "ON e.inference_set_id = i.id WHERE i.dataset_id = ?",
                            (dataset_id,),
                        )
                    ]
                    db.execute(
                        "DELETE FROM evaluations WHERE inference_set_id IN "
                        "(SELECT id FROM inference_sets WHERE dataset_id = ?)",
                        (dataset_id,),
                    )
                    db.execute(
                        "UPDATE datasets SET object = ?, version = version + 1, num_frames = ?, "
                        "num_labels = ?, image_root = COALESCE(?, image_root) WHERE id = ?",
                        (obj, tables.frames.num_rows, tables.labels.num_rows, root, dataset_id),
                    )
                crash_point("before-commit")
            for name_ in old:
                self.store.home.discard(name_)
            if progress:
                progress(3, steps)
        return Dataset(self.store, dataset_id)

    def delete_dataset(self, name: str) -> None:
        dataset = self.dataset(name)
        objects = dataset._objects()
        with self.store._transaction() as db:
            db.execute("DELETE FROM datasets WHERE id = ?", (dataset.id,))
        for obj in objects:
            self.store.home.discard(obj)

    def _objects(self) -> list[str]:
        return [obj for d in self.datasets() for obj in d._objects()]

    # issues
    def issues(self) -> list[Issue]:
        rows = self.store._rows(
            "SELECT id FROM issues WHERE project_id = ? ORDER BY name", (self.id,)
        )
        return [Issue(self.store, r["id"]) for r in rows]

    def issue(self, name: str) -> Issue:
        row = self.store._row(
            "SELECT id FROM issues WHERE project_id = ? AND name = ?", (self.id, name)
        )
        if row is None:
            raise NotFoundError(f"project {self.name!r} has no issue {name!r}")
        return Issue(self.store, row["id"])

    def create_issue(
        self, name: str, elements: Iterable[IssueElement] = (), *, notes: str = ""
    ) -> Issue:
        _check_name(name, "issue")
        if self.store._row(
            "SELECT id FROM issues WHERE project_id = ? AND name = ?", (self.id, name)
        ):
            raise InputError(f"project {self.name!r} has an issue {name!r} already")
        with self.store._transaction() as db:
            cursor = db.execute(
                "INSERT INTO issues (uuid, project_id, name, notes) VALUES (?, ?, ?, ?)",
                (str(uuid.uuid4()), self.id, name, notes),
            )
            issue = Issue(self.store, int(cursor.lastrowid or 0))
            issue._insert_elements(db, elements)
        return issue


def _as_dataset_tables(data: Any) -> DatasetTables:
    if isinstance(data, DatasetTables):
        return data
    to_tables = getattr(data, "to_tables", None)
    if callable(to_tables):
        tables = to_tables()
        if isinstance(tables, DatasetTables):
            return tables
    raise InputError(
        f"expected a labeled dataset (DatasetTables or LabeledDataset), got {type(data).__name__}"
    )


def _as_inference_tables(data: Any, frame_ids: pa.ChunkedArray) -> InferenceTables:
    if isinstance(data, InferenceTables):
        return InferenceTables.build(data.predictions, data.embeddings, frame_ids=frame_ids)
    to_tables = getattr(data, "to_tables", None)
    if callable(to_tables):
        tables = to_tables(frame_ids=frame_ids)
        if isinstance(tables, InferenceTables):
            return tables
    raise InputError(
        f"expected inferences (InferenceTables or Inferences), got {type(data).__name__}"
    )


def _one_per_frame(table: pa.Table, what: str) -> None:
    """Classification has one label and one prediction per frame."""
    seen: set[str] = set()
    for i, frame_id in enumerate(table.column("frame_id").to_pylist()):
        if frame_id in seen:
            raise InputError(
                f"frame {frame_id!r} has a second {what}; a classification project takes one per frame",
                record=i,
            )
        seen.add(frame_id)


def _require_boxes(table: pa.Table, what: str) -> None:
    missing = np.asarray(table.column("width").is_null().to_numpy(zero_copy_only=False))
    if missing.any():
        raise InputError(
            f"{what} has no box, but this is a detection project",
            record=int(np.flatnonzero(missing)[0]),
        )


class Dataset(_Entity):
    """A labeled dataset: frames, labels, embeddings, its inference sets and segments."""

    _table = "datasets"

    @property
    def project(self) -> Project:
        return Project(self.store, int(self._get()["project_id"]))

    @property
    def version(self) -> int:
        return int(self._get()["version"])

    @property
    def image_root(self) -> Path | None:
        root = self._get()["image_root"]
        return Path(root) if root else None

    def _object(self) -> str:
        return str(self._get()["object"])

    def _objects(self) -> list[str]:
        objects = [self._object()]
        for inference_set in self.inference_sets():
            objects += inference_set._objects()
        return objects

    def frames(self) -> pa.Table:
        return self.store.read_table(self._object(), "frames.parquet")

    def labels(self) -> pa.Table:
        return self.store.read_table(self._object(), "labels.parquet")

    def embeddings(self) -> pa.Table:
        return self.store.read_table(self._object(), "embeddings.parquet")

    def tables(self) -> DatasetTables:
        """Frames, labels and embeddings as stored (validated when they were written)."""
        embeddings = self.embeddings()
        return DatasetTables(
            self.frames(),
            self.labels(),
            embeddings if embeddings.num_columns else empty_embeddings(),
        )

    def to_dict(self) -> dict[str, Any]:
        row = self._get()
        return {
            "name": row["name"],
            "version": row["version"],
            "num_frames": row["num_frames"],
            "num_labels": row["num_labels"],
            "created_at": row["created_at"],
            "inference_sets": [i.name for i in self.inference_sets()],
            "segments": [s.name for s in self.segments()],
        }

    # inference sets
    def inference_sets(self) -> list[InferenceSet]:
        rows = self.store._rows(
            "SELECT id FROM inference_sets WHERE dataset_id = ? ORDER BY name", (self.id,)
        )
        return [InferenceSet(self.store, r["id"]) for r in rows]

    def inference_set(self, name: str) -> InferenceSet:
        row = self.store._row(
            "SELECT id FROM inference_sets WHERE dataset_id = ? AND name = ?", (self.id, name)
        )
        if row is None:
            known = ", ".join(i.name for i in self.inference_sets()) or "none yet"
            raise NotFoundError(
                f"dataset {self.name!r} has no inference set {name!r} (inference sets: {known})"
            )
        return InferenceSet(self.store, row["id"])

    def create_inference_set(
        self,
        name: str,
        data: InferenceTables | Any,
        *,
        replace: bool = False,
        progress: Progress | None = None,
    ) -> InferenceSet:
        """Store a model's predictions on this dataset (validated first; a name in use
        needs ``replace=True``). Predicted classes join the project's class map."""
        _check_name(name, "inference set")
        tables = _as_inference_tables(data, self.frames().column("frame_id"))
        project = self.project
        if project.task == "detection":
            _require_boxes(tables.predictions, "prediction")
        else:
            _one_per_frame(tables.predictions, "prediction")
        existing = self.store._row(
            "SELECT id FROM inference_sets WHERE dataset_id = ? AND name = ?", (self.id, name)
        )
        if existing is not None and not replace:
            raise InputError(
                f"dataset {self.name!r} has an inference set {name!r} already; "
                "pass replace=True (--replace) to overwrite it"
            )
        with self.store._write() as write:
            if progress:
                progress(0, 2)
            write.parquet("predictions.parquet", tables.predictions)
            if tables.embeddings.num_rows:
                write.parquet("embeddings.parquet", tables.embeddings)
            obj = write.publish()
            if progress:
                progress(1, 2)
            with self.store._transaction() as db:
                _add_classes(db, project.id, tables.class_names)
                if existing is None:
                    cursor = db.execute(
                        "INSERT INTO inference_sets (dataset_id, name, object, num_predictions) "
                        "VALUES (?, ?, ?, ?)",
                        (self.id, name, obj, tables.predictions.num_rows),
                    )
                    set_id = int(cursor.lastrowid or 0)
                    old: list[str] = []
                else:
                    set_id = int(existing["id"])
                    old = [
                        r[0]
                        for r in db.execute(
                            "SELECT object FROM inference_sets WHERE id = ?", (set_id,)
                        )
                    ]
                    old += [
                        r[0]
                        for r in db.execute(
                            "SELECT object FROM evaluations WHERE inference_set_id = ?", (set_id,)
                        )
                    ]
                    db.execute("DELETE FROM evaluations WHERE inference_set_id = ?", (set_id,))
                    db.execute(
                        "UPDATE inference_sets SET object = ?, version = version + 1, "
                        "num_predictions = ? WHERE id = ?",
                        (obj, tables.predictions.num_rows, set_id),
                    )
                crash_point("before-commit")
            for name_ in old:
                self.store.home.discard(name_)
            if progress:
                progress(2, 2)
        return InferenceSet(self.store, set_id)

    def delete_inference_set(self, name: str) -> None:
        inference_set = self.inference_set(name)
        objects = inference_set._objects()
        with self.store._transaction() as db:
            db.execute("DELETE FROM inference_sets WHERE id = ?", (inference_set.id,))
        for obj in objects:
            self.store.home.discard(obj)

    # segments
    def segments(self) -> list[Segment]:
        """Every segment, starting with the "All Frames" split that always exists."""
        rows = self.store._rows(
            "SELECT id FROM segments WHERE dataset_id = ? ORDER BY type, name", (self.id,)
        )
        return [Segment.all_frames(self), *(Segment(self.store, r["id"]) for r in rows)]

    def segment(self, name: str) -> Segment:
        if name == ALL_FRAMES:
            return Segment.all_frames(self)
        row = self.store._row(
            "SELECT id FROM segments WHERE dataset_id = ? AND name = ?", (self.id, name)
        )
        if row is None:
            raise NotFoundError(f"dataset {self.name!r} has no segment {name!r}")
        return Segment(self.store, row["id"])

    def create_segment(
        self,
        name: str,
        *,
        type: SegmentType = "scenario",
        frames: Iterable[str] | None = None,
        query: str | None = None,
        precision: float | None = None,
        recall: float | None = None,
        f1_score: float | None = None,
    ) -> Segment:
        """A named set of frames (``frames``) or a saved metadata ``query``, with optional
        pass/fail thresholds in [0, 1]."""
        _check_name(name, "segment")
        if name == ALL_FRAMES:
            raise InputError(f"{ALL_FRAMES!r} is the built-in split of every frame")
        if type not in SEGMENT_TYPES:
            raise InputError(
                f"segment type must be one of {', '.join(SEGMENT_TYPES)}, got {type!r}"
            )
        if (frames is None) == (query is None):
            raise InputError("a segment takes either frames or a query")
        frame_json = None
        if frames is not None:
            ids = [str(f) for f in frames]
            known = set(self.frames().column("frame_id").to_pylist())
            unknown = [f for f in ids if f not in known]
            if unknown:
                raise InputError(f"segment {name!r}: unknown frame {unknown[0]!r}")
            frame_json = json.dumps(sorted(set(ids)))
        if query is not None:
            self.query(query)  # validate now, not at first use
        if self.store._row(
            "SELECT id FROM segments WHERE dataset_id = ? AND name = ?", (self.id, name)
        ):
            raise InputError(f"dataset {self.name!r} has a segment {name!r} already")
        with self.store._transaction() as db:
            cursor = db.execute(
                "INSERT INTO segments (uuid, dataset_id, name, type, frame_ids, query, "
                "precision_threshold, recall_threshold, f1_threshold) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    str(uuid.uuid4()), self.id, name, type, frame_json, query,
                    _check_unit(precision, "precision threshold"),
                    _check_unit(recall, "recall threshold"),
                    _check_unit(f1_score, "F1 threshold"),
                ),
            )  # fmt: skip
        return Segment(self.store, int(cursor.lastrowid or 0))

    def query(self, expression: str) -> list[str]:
        """Frame ids matching a query over metadata and label statistics (see
        docs/queries.md), in frame order."""
        from shoal.store._frames_query import select_frames

        return select_frames(self.frames(), self.labels(), expression)


class InferenceSet(_Entity):
    """A named model run on a dataset: its predictions, and its cached evaluations."""

    _table = "inference_sets"

    @property
    def dataset(self) -> Dataset:
        return Dataset(self.store, int(self._get()["dataset_id"]))

    @property
    def version(self) -> int:
        return int(self._get()["version"])

    def _object(self) -> str:
        return str(self._get()["object"])

    def _objects(self) -> list[str]:
        rows = self.store._rows(
            "SELECT object FROM evaluations WHERE inference_set_id = ?", (self.id,)
        )
        return [self._object(), *(r[0] for r in rows)]

    def predictions(self) -> pa.Table:
        return self.store.read_table(self._object(), "predictions.parquet")

    def to_dict(self) -> dict[str, Any]:
        row = self._get()
        return {
            "name": row["name"],
            "dataset": self.dataset.name,
            "version": row["version"],
            "num_predictions": row["num_predictions"],
            "created_at": row["created_at"],
        }

    def regression_results(
        self, *, conf: float | Mapping[str, float] | None = None, iou: float | None = None
    ) -> list[SegmentResult]:
        """Every segment's pass/fail result; see ``shoal.analysis.regression``."""
        return regression_results(self, conf=conf, iou=iou)

    def compare(
        self,
        other: InferenceSet,
        *,
        conf: float | Mapping[str, float] | None = None,
        iou: float | None = None,
        segment: str | None = None,
    ) -> Comparison:
        """``other`` against this inference set (the base)."""
        return compare_inference_sets(self, other, conf=conf, iou=iou, segment=segment)

    def evaluate(
        self, *, iou_thresholds: Sequence[float] | None = None
    ) -> DetectionEvaluation | ClassificationEvaluation:
        """The engine's evaluation of these predictions against the dataset's labels.

        Detection matching is kept on disk per IoU grid, so reopening a project answers
        metric queries without matching again (rebuilt when labels or predictions change).
        """
        dataset = self.dataset
        project = dataset.project
        labels_table, frames_table = dataset.labels(), dataset.frames()
        predictions = self.predictions()
        if project.task == "classification":
            return _classification_evaluation(project, frames_table, labels_table, predictions)
        classes = project.class_map()
        ignored = [c.name for c in project.classes() if c.ignore]
        tables = DatasetTables(frames_table, labels_table, pa.table({}))
        gt = to_ground_truth(tables, classes, ignored_classes=ignored)
        dt = to_predictions(InferenceTables(predictions, pa.table({})), gt)
        # What the kept matching depends on besides the data: the grid and which classes
        # are ignored (ignored ground truth matches differently).
        grid = json.dumps(
            {
                "iou": sorted({round(float(t), 12) for t in iou_thresholds or ()}),
                "ignored": sorted(ignored),
            }
        )
        row = self.store._row(
            "SELECT object FROM evaluations WHERE inference_set_id = ? AND grid = ?",
            (self.id, grid),
        )
        if row is not None:
            path = self.store.home.object_path(row["object"]) / "kept.npz"
            with contextlib.suppress(OSError, ShoalError, ValueError), np.load(path) as saved:
                return DetectionEvaluation.from_kept_state(gt, dt, dict(saved))
        evaluation = evaluate(gt, dt, iou_thresholds=iou_thresholds)
        with self.store._write() as write:
            write.numpy("kept.npz", evaluation.kept_state())
            obj = write.publish()
            with self.store._transaction() as db:
                old = [
                    r[0]
                    for r in db.execute(
                        "SELECT object FROM evaluations WHERE inference_set_id = ? AND grid = ?",
                        (self.id, grid),
                    )
                ]
                db.execute(
                    "INSERT OR REPLACE INTO evaluations (inference_set_id, grid, object) VALUES (?, ?, ?)",
                    (self.id, grid, obj),
                )
            for name in old:
                self.store.home.discard(name)
        return evaluation


def _operating_point(project: Project, conf: Any, iou: float | None) -> tuple[Any, float]:
    return (project.default_conf if conf is None else conf), (
        project.default_iou if iou is None else float(iou)
    )


def regression_results(
    inference_set: InferenceSet,
    *,
    conf: float | Mapping[str, float] | None = None,
    iou: float | None = None,
) -> list[SegmentResult]:
    """Every segment's regression-test result (All Frames first) at (conf, iou), the
    project's defaults unless given."""
    dataset = inference_set.dataset
    conf_value, iou_value = _operating_point(dataset.project, conf, iou)
    specs = [segment.spec() for segment in dataset.segments()]
    return evaluate_segments(inference_set.evaluate(), specs, conf=conf_value, iou=iou_value)


def compare_inference_sets(
    base: InferenceSet,
    other: InferenceSet,
    *,
    conf: float | Mapping[str, float] | None = None,
    iou: float | None = None,
    segment: str | None = None,
) -> Comparison:
    """``other`` against ``base`` (both on one dataset) at (conf, iou), optionally on one
    segment's frames."""
    dataset = base.dataset
    if other.dataset.id != dataset.id:
        raise InputError("compare inference sets of the same dataset")
    conf_value, iou_value = _operating_point(dataset.project, conf, iou)
    frames = None if segment is None else dataset.segment(segment).spec().frame_ids
    return compare(base.evaluate(), other.evaluate(), conf=conf_value, iou=iou_value, frames=frames)


def _classification_evaluation(
    project: Project, frames: pa.Table, labels: pa.Table, predictions: pa.Table
) -> ClassificationEvaluation:
    names = [c.name for c in project.classes()]
    truth = dict(
        zip(
            labels.column("frame_id").to_pylist(),
            labels.column("class_name").to_pylist(),
            strict=True,
        )
    )
    frame_ids = [f for f in frames.column("frame_id").to_pylist() if f in truth]
    by_frame = {f: i for i, f in enumerate(predictions.column("frame_id").to_pylist())}
    missing = [f for f in frame_ids if f not in by_frame]
    if missing:
        raise InputError(f"the inference set has no prediction for frame {missing[0]!r}")
    rows = np.asarray([by_frame[f] for f in frame_ids], dtype=np.int64)
    predicted = np.asarray(predictions.column("class_name").to_pylist(), dtype=object)[rows]
    confidence = np.asarray(predictions.column("confidence").to_numpy(zero_copy_only=False))[rows]
    probabilities = predictions.column("probabilities").to_pylist()
    scores = None
    if all(p is not None for p in probabilities) and probabilities:
        scores = np.asarray(probabilities, dtype=np.float64)[rows]
        if scores.shape[1] != len(names):
            raise InputError(
                f"probabilities have {scores.shape[1]} entries for {len(names)} classes"
            )
    return evaluate_classifications(
        [truth[f] for f in frame_ids],
        predicted.tolist(),
        scores=scores,
        confidences=confidence,
        labels=names,
        frame_ids=frame_ids,
    )


class Segment:
    """A named set of frames of a dataset, with optional pass/fail thresholds."""

    def __init__(self, store: Store, row_id: int | None, *, dataset: Dataset | None = None) -> None:
        self.store = store
        self.id = row_id
        self._dataset = dataset

    @classmethod
    def all_frames(cls, dataset: Dataset) -> Segment:
        return cls(dataset.store, None, dataset=dataset)

    def _get(self) -> sqlite3.Row | None:
        if self.id is None:
            return None
        row = self.store._row("SELECT * FROM segments WHERE id = ?", (self.id,))
        if row is None:
            raise NotFoundError("this segment was deleted")
        return row

    @property
    def dataset(self) -> Dataset:
        row = self._get()
        if row is not None:
            return Dataset(self.store, int(row["dataset_id"]))
        if self._dataset is None:
            raise ShoalError("a segment without a row needs its dataset")
        return self._dataset

    @property
    def name(self) -> str:
        row = self._get()
        return ALL_FRAMES if row is None else str(row["name"])

    @property
    def uuid(self) -> str:
        row = self._get()
        if row is None:
            return str(uuid.uuid5(uuid.NAMESPACE_URL, f"shoal:all-frames:{self.dataset.id}"))
        return str(row["uuid"])

    @property
    def type(self) -> SegmentType:
        row = self._get()
        value = "split" if row is None else row["type"]
        return (
            "regression_test"
            if value == "regression_test"
            else ("split" if value == "split" else "scenario")
        )

    @property
    def query(self) -> str | None:
        row = self._get()
        return None if row is None else row["query"]

    @property
    def thresholds(self) -> dict[str, float | None]:
        row = self._get()
        if row is None:
            return {"precision": None, "recall": None, "f1_score": None}
        return {
            "precision": row["precision_threshold"],
            "recall": row["recall_threshold"],
            "f1_score": row["f1_threshold"],
        }

    def set_thresholds(self, **thresholds: float | None) -> None:
        """Change thresholds in place: ``precision=``, ``recall=``, ``f1_score=`` (None
        removes one)."""
        if self.id is None:
            raise InputError(f"the {ALL_FRAMES!r} split has no thresholds")
        columns = {
            "precision": "precision_threshold",
            "recall": "recall_threshold",
            "f1_score": "f1_threshold",
        }
        unknown = set(thresholds) - set(columns)
        if unknown:
            raise InputError(
                f"unknown threshold {sorted(unknown)[0]!r}; use precision, recall or f1_score"
            )
        with self.store._transaction() as db:
            for key, value in thresholds.items():
                db.execute(
                    f"UPDATE segments SET {columns[key]} = ? WHERE id = ?",
                    (_check_unit(value, f"{key} threshold"), self.id),
                )

    def frame_ids(self) -> list[str]:
        row = self._get()
        dataset = self.dataset
        if row is None:
            return list(dataset.frames().column("frame_id").to_pylist())
        if row["frame_ids"] is not None:
            return list(json.loads(row["frame_ids"]))
        return dataset.query(str(row["query"]))

    def spec(self) -> SegmentSpec:
        """The segment as the analysis layer takes it (frames resolved now)."""
        return SegmentSpec(
            name=self.name,
            type=self.type,
            uuid=self.uuid,
            frame_ids=None if self.id is None else self.frame_ids(),
            thresholds=self.thresholds,
        )

    def rename(self, name: str) -> None:
        """A new name for the segment (its uuid stays)."""
        if self.id is None:
            raise InputError(f"the {ALL_FRAMES!r} split cannot be renamed")
        _check_name(name, "segment")
        if name == ALL_FRAMES:
            raise InputError(f"{ALL_FRAMES!r} is the built-in split of every frame")
        dataset = self.dataset
        if self.store._row(
            "SELECT id FROM segments WHERE dataset_id = ? AND name = ? AND id != ?",
            (dataset.id, name, self.id),
        ):
            raise InputError(f"dataset {dataset.name!r} has a segment {name!r} already")
        with self.store._transaction() as db:
            db.execute("UPDATE segments SET name = ? WHERE id = ?", (name, self.id))

    def delete(self) -> None:
        if self.id is None:
            raise InputError(f"the {ALL_FRAMES!r} split cannot be deleted")
        with self.store._transaction() as db:
            db.execute("DELETE FROM segments WHERE id = ?", (self.id,))

    def to_dict(self) -> dict[str, Any]:
        return {
            "uuid": self.uuid,
            "name": self.name,
            "type": self.type,
            "query": self.query,
            "thresholds": self.thresholds,
            "frame_count": len(self.frame_ids()),
        }

    def __repr__(self) -> str:
        return f"<Segment {self.name!r} ({self.type})>"


class Issue(_Entity):
    """A named collection of frames or crops, with a status and notes."""

    _table = "issues"

    @property
    def status(self) -> str:
        return str(self._get()["status"])

    @property
    def notes(self) -> str:
        return str(self._get()["notes"])

    @property
    def uuid(self) -> str:
        return str(self._get()["uuid"])

    def elements(self) -> list[IssueElement]:
        rows = self.store._rows(
            "SELECT * FROM issue_elements WHERE issue_id = ? ORDER BY position", (self.id,)
        )
        return [
            IssueElement(
                r["dataset"], r["frame_id"], r["element_kind"], r["element_id"], r["inference_set"]
            )
            for r in rows
        ]

    def _insert_elements(self, db: sqlite3.Connection, elements: Iterable[IssueElement]) -> None:
        start = db.execute(
            "SELECT COALESCE(MAX(position), -1) + 1 FROM issue_elements WHERE issue_id = ?",
            (self.id,),
        ).fetchone()[0]
        for offset, element in enumerate(elements):
            if element.element_kind not in ("frame", "label", "prediction"):
                raise InputError(
                    f"issue element kind {element.element_kind!r} is not frame, label or prediction"
                )
            db.execute(
                "INSERT INTO issue_elements (issue_id, position, dataset, frame_id, element_kind, "
                "element_id, inference_set) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (self.id, start + offset, element.dataset, element.frame_id, element.element_kind,
                 element.element_id, element.inference_set),
            )  # fmt: skip

    def add_elements(self, elements: Iterable[IssueElement]) -> None:
        with self.store._transaction() as db:
            self._insert_elements(db, elements)
            db.execute(
                "UPDATE issues SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?",
                (self.id,),
            )

    def update(self, *, status: str | None = None, notes: str | None = None) -> None:
        if status is not None and status not in ISSUE_STATUSES:
            raise InputError(
                f"issue status must be one of {', '.join(ISSUE_STATUSES)}, got {status!r}"
            )
        with self.store._transaction() as db:
            if status is not None:
                db.execute("UPDATE issues SET status = ? WHERE id = ?", (status, self.id))
            if notes is not None:
                db.execute("UPDATE issues SET notes = ? WHERE id = ?", (notes, self.id))
            db.execute(
                "UPDATE issues SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?",
                (self.id,),
            )

    def delete(self) -> None:
        with self.store._transaction() as db:
            db.execute("DELETE FROM issues WHERE id = ?", (self.id,))

    def to_dict(self) -> dict[str, Any]:
        row = self._get()
        return {
            "uuid": row["uuid"],
            "name": row["name"],
            "status": row["status"],
            "notes": row["notes"],
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
            "elements": [e.to_dict() for e in self.elements()],
        }
