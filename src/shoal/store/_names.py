"""The one rule for names the store keeps.

Projects, datasets, inference sets, segments and issues are addressed by name in URL
paths (``/api/v1/projects/{project}/datasets/{dataset}``), in CLI arguments and in
file names of exports, so their names must survive all three: 1 to 200 characters, no
``/`` or ``\\``, no control characters, not ``.`` or ``..``, and no space at either end.

Class names come from the data (a COCO ``categories`` entry, a YOLO ``names`` list) and
travel in query strings and JSON bodies, never as a path segment, so they only have to
be 1 to 200 characters without control characters.

Metadata keys become columns that queries name, and DuckDB matches column names
without regard to case: keys that differ only in case from each other (``weather``,
``Weather``) or from a built-in column (``FRAME_ID``, ``Num_Labels``) would answer
queries about the other one. The store refuses them when a dataset is written.
"""

from __future__ import annotations

import unicodedata

import pyarrow as pa

from shoal.errors import InputError
from shoal.tables import FRAME_COLUMNS, RESERVED_METADATA_KEYS

__all__ = ["MAX_NAME_LENGTH", "check_class_name", "check_metadata_keys", "check_name"]

MAX_NAME_LENGTH = 200
_SEPARATORS = ("/", "\\")


def _control_character(name: str) -> str | None:
    for character in name:
        if unicodedata.category(character) == "Cc":
            return character
    return None


def _check_length_and_controls(name: object, what: str) -> str:
    if not isinstance(name, str) or not name or len(name) > MAX_NAME_LENGTH:
        raise InputError(f"{what} name must be 1 to {MAX_NAME_LENGTH} characters, got {name!r}")
    control = _control_character(name)
    if control is not None:
        raise InputError(f"{what} name {name!r} has a control character ({control!r})")
    return name


def check_name(name: object, what: str) -> str:
    """``name`` if it may name a project, dataset, inference set, segment or issue
    (``what`` says which, for the message); else an ``InputError`` saying why."""
    checked = _check_length_and_controls(name, what)
    if checked != checked.strip():
        raise InputError(f"{what} name {checked!r} starts or ends with a space")
    for separator in _SEPARATORS:
        if separator in checked:
            raise InputError(
                f"{what} name {checked!r} has a {separator!r}, which a URL path or a file "
                "name cannot carry"
            )
    if checked in (".", ".."):
        raise InputError(f"{what} name {checked!r} is not a name a URL path can carry")
    return checked


def check_class_name(name: object) -> str:
    """``name`` if it may name a class: 1 to 200 characters, no control characters."""
    return _check_length_and_controls(name, "class")


def check_metadata_keys(frames: pa.Table) -> None:
    """An ``InputError`` if two of the frames' columns (metadata keys or built-in
    columns, the label statistics queries add included) differ only in case: it names
    both keys and the first frame (record) that has a value for the later one."""
    seen: dict[str, str] = {name.lower(): name for name in RESERVED_METADATA_KEYS}
    seen.update((name.lower(), name) for name in FRAME_COLUMNS.names)
    for name in frames.column_names:
        if name in FRAME_COLUMNS.names:
            continue
        other = seen.setdefault(name.lower(), name)
        if other == name:
            continue
        valid = frames.column(name).is_valid().to_numpy(zero_copy_only=False)
        record = int(valid.argmax()) if valid.any() else None
        what = "a built-in name" if other in RESERVED_METADATA_KEYS else "another metadata key"
        raise InputError(
            f"metadata key {name!r} differs only in case from {what}, {other!r}; queries "
            "cannot tell them apart, so rename one",
            record=record,
        )
