"""A project's label class map: adding classes, and dropping those no object uses.

A class is *declared* when a user names it (``create_project(classes=...)``,
``Project.add_classes``, the API's ``add_classes``) and *implicit* when an import
brings it (a label or prediction of that class). Declared classes stay until their
project goes; implicit ones leave the map when the last label or prediction using them
is replaced or removed, so a mistaken import (class ids read as names "0".."19") does
not haunt the project's reports afterwards.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow.compute as pc

from shoal.errors import InputError, StoreCorruptError
from shoal.store._names import check_class_name

if TYPE_CHECKING:
    from shoal.store._home import Home

__all__ = ["ClassInfo", "ClassSpec", "add_classes", "drop_unused_classes"]

# A qualitative palette that stays readable on light and dark backgrounds.
_PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
    "#ff9da7", "#9c755f", "#bab0ac", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
    "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip


@dataclass(frozen=True)
class ClassInfo:
    """One entry of a project's label class map."""

    name: str
    id: int
    color: str
    ignore: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "id": self.id, "color": self.color, "ignore": self.ignore}


ClassSpec = str | Mapping[str, Any] | ClassInfo


def add_classes(
    db: sqlite3.Connection, project_id: int, classes: Iterable[ClassSpec], *, declared: bool
) -> None:
    """Append classes not yet in the project's map (ids and colors continue the map).
    ``declared`` marks them as named by the user (a declared class already in the map
    becomes declared)."""
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
        name = check_class_name(str(spec.get("name", "")))
        if name in names:
            if declared:
                db.execute(
                    "UPDATE classes SET declared = 1 WHERE project_id = ? AND name = ?",
                    (project_id, name),
                )
            continue
        class_id = spec.get("id")
        if class_id is None or (not declared and class_id in used_ids):
            # An import's own id (a COCO category id) gives way to the project's classes.
            class_id = max(used_ids, default=-1) + 1
        if not isinstance(class_id, int) or isinstance(class_id, bool) or class_id in used_ids:
            raise InputError(f"class {name!r}: id {class_id!r} is not a new integer")
        color = str(spec.get("color") or _PALETTE[position % len(_PALETTE)])
        db.execute(
            "INSERT INTO classes (project_id, position, name, class_id, color, ignore, declared) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                project_id, position, name, class_id, color,
                int(bool(spec.get("ignore", False))), int(declared),
            ),
        )  # fmt: skip
        names.add(name)
        used_ids.add(class_id)
        position += 1


def _used_class_names(db: sqlite3.Connection, home: Home, project_id: int) -> set[str] | None:
    """Every class a label or prediction of the project uses (one column read per
    stored object); None if an object cannot be read (then no class counts as unused)."""
    files = [
        (row[0], "labels.parquet")
        for row in db.execute("SELECT object FROM datasets WHERE project_id = ?", (project_id,))
    ]
    files += [
        (row[0], "predictions.parquet")
        for row in db.execute(
            "SELECT i.object FROM inference_sets i JOIN datasets d ON i.dataset_id = d.id "
            "WHERE d.project_id = ?",
            (project_id,),
        )
    ]
    used: set[str] = set()
    for object_name, file in files:
        try:
            column = home.read_parquet(object_name, file, columns=["class_name"])
        except StoreCorruptError:
            return None  # damage elsewhere must not block this write: `shoal doctor` reports it
        used.update(v for v in pc.unique(column.column("class_name")).to_pylist() if v is not None)
    return used


def drop_unused_classes(db: sqlite3.Connection, home: Home, project_id: int) -> list[str]:
    """Remove the project's implicit classes that no label or prediction uses any more;
    returns their names. Call inside a transaction, under the writers' lock (so no
    import adds a use meanwhile)."""
    implicit = [
        row[0]
        for row in db.execute(
            "SELECT name FROM classes WHERE project_id = ? AND declared = 0", (project_id,)
        )
    ]
    if not implicit:
        return []
    used = _used_class_names(db, home, project_id)
    if used is None:
        return []
    unused = [name for name in implicit if name not in used]
    for name in unused:
        db.execute("DELETE FROM classes WHERE project_id = ? AND name = ?", (project_id, name))
    return unused
