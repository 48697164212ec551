"""Checking a home for damage, and repairing what can be repaired (``shoal doctor``).

What is checked, in order:

* the catalog: SQLite's own ``integrity_check`` and ``foreign_key_check``; a catalog
  that cannot be read ends the check (nothing else can be known without it);
* every object the catalog points to: a valid object name (never a path elsewhere), its
  folder, and each of its files read whole (a dataset's frames and labels, an inference
  set's predictions, their embeddings when present, a kept matching's ``kept.npz``,
  element metrics' ``metrics.parquet``, a kept projection's ``projection.parquet``, a kept
  similarity index's ``index.faiss`` and ``vectors.npy``);
* leftovers: staged folders and objects no catalog row points to (what a killed write
  leaves; the next writer sweeps them anyway).

Repairs (``repair=True``) only ever remove what can be rebuilt: a kept matching, projection
or similarity index that cannot be read (its row and its folder; the next use computes it
again) and leftovers.
Damaged datasets and inference sets are reported, never dropped: the user decides
(re-import with ``--replace``, or delete them).
"""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from shoal.errors import ShoalError
from shoal.store._catalog import catalog_errors, connect
from shoal.store._evaluations import UNREADABLE_KEPT_STATE, load_arrays
from shoal.store._home import Home, is_object_name

__all__ = ["Checkup", "Finding", "examine"]

# The files each kind of object must have, and those it may have.
_REQUIRED = {
    "dataset": ("frames.parquet", "labels.parquet"),
    "inference set": ("predictions.parquet",),
    "element metrics": ("metrics.parquet",),
    "projection": ("projection.parquet",),
}
_OPTIONAL = ("embeddings.parquet",)


@dataclass(frozen=True)
class Finding:
    """One problem: the file (or folder) it is in, what is wrong, what it belongs to,
    and whether it was repaired. ``damage`` False marks leftovers, which do no harm."""

    path: str
    problem: str
    owner: str = ""
    repaired: bool = False
    damage: bool = True

    def line(self) -> str:
        status = "repaired" if self.repaired else ("DAMAGED" if self.damage else "leftover")
        owner = f" ({self.owner})" if self.owner else ""
        return f"{status}: {self.path}{owner}: {self.problem}"


@dataclass
class Checkup:
    """What ``examine`` found: counts of what it checked and every finding."""

    home: Path
    findings: list[Finding]
    checked: dict[str, int]

    @property
    def healthy(self) -> bool:
        """No damage left (leftovers and repaired damage are fine)."""
        return not any(f.damage and not f.repaired for f in self.findings)


@dataclass(frozen=True)
class _Object:
    kind: str  # "dataset", "inference set" or "kept matching"
    name: str  # the object's folder name, as the catalog gives it
    owner: str  # "p/val", "p/val/m"
    evaluation_of: int | None = None  # the inference set id of a kept matching
    table: str = ""  # the catalog table of a kept projection or similarity index


def examine(path: str | Path, *, repair: bool = False) -> Checkup:
    """Check the home at ``path`` (see the module doc); with ``repair``, drop
    unreadable kept matchings and leftovers, under the writers' lock."""
    home = Home(path)
    checkup = Checkup(home.path, [], {})
    try:
        connection = connect(home.catalog)
    except ShoalError as error:
        checkup.findings.append(Finding(str(home.catalog), _message(error)))
        return checkup
    try:
        with home.write_lock() if repair else contextlib.nullcontext():
            _examine(home, connection, checkup, repair=repair)
    finally:
        connection.close()
    return checkup


def _message(error: BaseException) -> str:
    return getattr(error, "message", None) or str(error)


def _examine(home: Home, db: sqlite3.Connection, checkup: Checkup, *, repair: bool) -> None:
    catalog = str(home.catalog)
    try:
        with catalog_errors(home.catalog):
            problems = [r[0] for r in db.execute("PRAGMA integrity_check")]
            dangling = list(db.execute("PRAGMA foreign_key_check"))
            objects = _objects(db)
    except ShoalError as error:
        checkup.findings.append(Finding(catalog, _message(error)))
        return
    if problems != ["ok"]:
        checkup.findings.append(Finding(catalog, "SQLite integrity check: " + "; ".join(problems)))
    if dangling:
        checkup.findings.append(
            Finding(catalog, f"{len(dangling)} row(s) point to rows that do not exist")
        )
    checkup.checked = {"catalog": 1, "objects": len(objects)}
    for obj in objects:
        found = len(checkup.findings)
        _check_object(home, db, obj, checkup, repair=repair)
        if len(checkup.findings) > found and not repair and not _still_referenced(db, obj):
            del checkup.findings[found:]  # replaced or deleted by a writer meanwhile
    referenced = {obj.name for obj in objects}
    leftovers = [*home.staging.iterdir()]
    leftovers += [entry for entry in home.objects.iterdir() if entry.name not in referenced]
    for entry in leftovers:
        kind = "a staged write" if entry.parent == home.staging else "an object no row points to"
        checkup.findings.append(
            Finding(str(entry), f"{kind}, left by an interrupted write", damage=False)
        )
    if repair and leftovers:
        home.sweep(referenced)
        checkup.findings[-len(leftovers) :] = [
            Finding(f.path, f.problem, f.owner, repaired=True, damage=False)
            for f in checkup.findings[-len(leftovers) :]
        ]


def _objects(db: sqlite3.Connection) -> list[_Object]:
    found = [
        _Object("dataset", r[0], f"{r[1]}/{r[2]}")
        for r in db.execute(
            "SELECT d.object, p.name, d.name FROM datasets d JOIN projects p "
            "ON d.project_id = p.id ORDER BY p.name, d.name"
        )
    ]
    found += [
        _Object("inference set", r[0], f"{r[1]}/{r[2]}/{r[3]}")
        for r in db.execute(
            "SELECT i.object, p.name, d.name, i.name FROM inference_sets i "
            "JOIN datasets d ON i.dataset_id = d.id JOIN projects p ON d.project_id = p.id "
            "ORDER BY p.name, d.name, i.name"
        )
    ]
    found += [
        _Object("kept matching", r[0], f"{r[1]}/{r[2]}/{r[3]}", evaluation_of=int(r[4]))
        for r in db.execute(
            "SELECT e.object, p.name, d.name, i.name, i.id FROM evaluations e "
            "JOIN inference_sets i ON e.inference_set_id = i.id "
            "JOIN datasets d ON i.dataset_id = d.id JOIN projects p ON d.project_id = p.id "
            "ORDER BY p.name, d.name, i.name"
        )
    ]
    found += [
        _Object("element metrics", r[0], f"{r[1]}/{r[2]}" + (f"/{r[3]}" if r[3] else ""))
        for r in db.execute(
            "SELECT DISTINCT m.object, p.name, d.name, i.name FROM element_metrics m "
            "JOIN datasets d ON m.dataset_id = d.id JOIN projects p ON d.project_id = p.id "
            "LEFT JOIN inference_sets i ON m.inference_set_id = i.id "
            "ORDER BY p.name, d.name, i.name"
        )
    ]
    for table, kind in (("projections", "projection"), ("similarity_indexes", "similarity index")):
        found += [
            _Object(kind, r[0], f"{r[1]}/{r[2]} {r[3]}/{r[4]}", table=table)
            for r in db.execute(
                f"SELECT t.object, p.name, d.name, t.model, t.kind FROM {table} t "
                "JOIN datasets d ON t.dataset_id = d.id JOIN projects p ON d.project_id = p.id "
                "ORDER BY p.name, d.name, t.model, t.kind"
            )
        ]
    return found


def _still_referenced(db: sqlite3.Connection, obj: _Object) -> bool:
    """Whether the catalog still points to the object (without the writers' lock, a
    replace may remove an object between listing and reading it: not damage)."""
    return any(
        db.execute(f"SELECT 1 FROM {table} WHERE object = ? LIMIT 1", (obj.name,)).fetchone()
        for table in (
            "datasets",
            "inference_sets",
            "evaluations",
            "element_metrics",
            "projections",
            "similarity_indexes",
        )
    )


def _check_object(
    home: Home, db: sqlite3.Connection, obj: _Object, checkup: Checkup, *, repair: bool
) -> None:
    owner = f"{obj.kind} {obj.owner}"
    if not is_object_name(obj.name):
        checkup.findings.append(
            Finding(
                str(home.catalog),
                f"names the data object {obj.name!r}, which is not an object name",
                owner,
            )
        )
        return
    folder = home.objects / obj.name
    if obj.kind == "kept matching":
        try:
            load_arrays(folder / "kept.npz")
        except UNREADABLE_KEPT_STATE as error:
            problem = f"the kept matching cannot be read ({_message(error)})"
            if repair:
                _drop_kept_matching(home, db, obj)
                problem += "; dropped (the next query matches again)"
            checkup.findings.append(Finding(str(folder / "kept.npz"), problem, owner, repair))
        return
    if obj.kind in ("projection", "similarity index"):
        _check_derived(home, db, obj, checkup, repair=repair)
        return
    if not folder.is_dir():
        checkup.findings.append(Finding(str(folder), "the data object's folder is missing", owner))
        return
    files = list(_REQUIRED[obj.kind]) + [f for f in _OPTIONAL if (folder / f).exists()]
    for file in files:
        try:
            home.read_parquet(obj.name, file)
        except ShoalError as error:
            checkup.findings.append(Finding(str(folder / file), _message(error), owner))


def _check_derived(
    home: Home, db: sqlite3.Connection, obj: _Object, checkup: Checkup, *, repair: bool
) -> None:
    """A kept projection or similarity index: computed from the embeddings, so one that
    cannot be read is dropped on repair (the next use computes it again)."""
    folder = home.objects / obj.name
    file = folder / ("projection.parquet" if obj.kind == "projection" else "index.faiss")
    try:
        if obj.kind == "projection":
            home.read_parquet(obj.name, file.name)
        elif not file.is_file() or file.stat().st_size == 0:
            raise ShoalError("the index file is missing or empty")
        else:
            _read_index(file)
            vectors = folder / "vectors.npy"
            if vectors.exists():  # the vectors kept beside it (older indexes have none)
                np.load(vectors, mmap_mode="r", allow_pickle=False)
    except (ShoalError, OSError, ValueError, RuntimeError) as error:
        problem = f"the kept {obj.kind} cannot be read ({_message(error)})"
        if repair:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute(f"DELETE FROM {obj.table} WHERE object = ?", (obj.name,))
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            home.discard(obj.name)
            problem += "; dropped (the next use computes it again)"
        checkup.findings.append(Finding(str(file), problem, f"{obj.kind} {obj.owner}", repair))


def _read_index(file: Path) -> None:
    """Read a kept faiss index whole (when faiss is installed; else its size was checked)."""
    try:
        import faiss
    except ImportError:
        return
    faiss.deserialize_index(np.fromfile(file, dtype=np.uint8))


def _drop_kept_matching(home: Home, db: sqlite3.Connection, obj: _Object) -> None:
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute(
            "DELETE FROM evaluations WHERE inference_set_id = ? AND object = ?",
            (obj.evaluation_of, obj.name),
        )
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    home.discard(obj.name)
