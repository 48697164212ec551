"""Upload data as tables: what the store and the client both accept for an upload."""

from __future__ import annotations

from typing import Any, TypeVar

from shoal.errors import InputError

__all__ = ["as_tables"]

Tables = TypeVar("Tables")


def as_tables(data: Any, kind: type[Tables], expected: str, **to_tables: Any) -> Tables:
    """``data`` as ``kind`` (``DatasetTables`` or ``InferenceTables``): the tables
    themselves, or what an SDK builder's ``to_tables(**to_tables)`` gives.

    Anything else is an ``InputError`` saying what was ``expected`` and what came.
    """
    if isinstance(data, kind):
        return data
    build = getattr(data, "to_tables", None)
    if callable(build):
        tables = build(**to_tables)
        if isinstance(tables, kind):
            return tables
    raise InputError(f"expected {expected}, got {type(data).__name__}")
