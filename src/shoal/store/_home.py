"""The home directory: where the catalog and the immutable data objects live.

Layout::

    $SHOAL_HOME/                 (default ~/.shoal)
      catalog.sqlite             SQLite in WAL mode: every name, setting and pointer
      write.lock                 held (flock) by the one process writing at a time
      objects/<uuid>/            immutable Parquet / NumPy files, one folder per write
      staging/<uuid>/            a write in progress

A write stages its files, fsyncs them, renames the folder into ``objects/`` and only
then commits the catalog rows that point to it, all under ``write.lock``. Killed at any
point, it leaves either nothing in the catalog (and a folder nobody points to, swept
by the next writer) or everything: readers never see half a dataset.

Object names are the 32 hex digits of a uuid4: a name the catalog gives that is not
one (a damaged or tampered catalog: ``../..``) is never turned into a path, so nothing
outside ``objects/`` is ever read or deleted.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from shoal.errors import ShoalError, StoreCorruptError

__all__ = ["Home", "crash_point", "default_home", "holds_store", "is_object_name"]

CRASH_ENV = "SHOAL_TEST_CRASH_AT"
CATALOG_FILE = "catalog.sqlite"
_OBJECT_NAME = re.compile(r"[0-9a-f]{32}")


def is_object_name(name: object) -> bool:
    """Whether ``name`` may name an object folder (what ``Home.new_stage`` makes)."""
    return isinstance(name, str) and _OBJECT_NAME.fullmatch(name) is not None


def default_home() -> Path:
    """``$SHOAL_HOME``, else ``~/.shoal``."""
    return Path(os.environ.get("SHOAL_HOME") or Path.home() / ".shoal")


def holds_store(path: str | os.PathLike[str] | None = None) -> bool:
    """Whether ``path`` (default: :func:`default_home`) holds a Shoal store already, so a
    read-only tool can refuse a mistyped home instead of creating an empty store there."""
    home = Path(path) if path is not None else default_home()
    return (home / CATALOG_FILE).is_file()


def crash_point(name: str) -> None:
    """Die here, as a SIGKILL would, when the tests ask for it (``SHOAL_TEST_CRASH_AT``):
    how the store proves that an interrupted write leaves nothing behind."""
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Home:
    """One home directory; creates its layout on first use."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_home()
        try:
            for folder in (self.path, self.objects, self.staging):
                folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ShoalError(f"cannot use {self.path} as Shoal's home: {error.strerror}") from None

    @property
    def catalog(self) -> Path:
        return self.path / CATALOG_FILE

    @property
    def objects(self) -> Path:
        return self.path / "objects"

    @property
    def staging(self) -> Path:
        return self.path / "staging"

    def object_path(self, name: str) -> Path:
        """The folder of object ``name``; a ``StoreCorruptError`` naming the catalog if
        ``name`` is not an object name (it would point elsewhere)."""
        if not is_object_name(name):
            raise StoreCorruptError(
                f"the catalog names a data object {name!r}, which is not an object name",
                path=str(self.catalog),
            )
        return self.objects / name

    @contextlib.contextmanager
    def write_lock(self, *, blocking: bool = True) -> Iterator[bool]:
        """Hold the writers' lock; yields False at once if ``blocking`` is off and another
        process holds it."""
        with open(self.path / "write.lock", "a+") as handle:
            flags = fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB)
            try:
                fcntl.flock(handle, flags)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def new_stage(self) -> Path:
        stage = self.staging / uuid.uuid4().hex
        stage.mkdir()
        return stage

    def publish(self, stage: Path) -> str:
        """Make a staged folder an object (durably); returns the object's name."""
        for child in stage.iterdir():
            with open(child, "rb") as handle:
                os.fsync(handle.fileno())
        _fsync_dir(stage)
        target = self.objects / stage.name
        stage.rename(target)
        _fsync_dir(self.objects)
        return stage.name

    def read_parquet(self, name: str, file: str, columns: list[str] | None = None) -> pa.Table:
        """A Parquet file of object ``name``; a ``StoreCorruptError`` naming it if it
        cannot be read (damaged, truncated, or gone while the catalog points to it)."""
        path = self.object_path(name) / file
        try:
            return pq.read_table(path, columns=columns)
        except FileNotFoundError:
            raise StoreCorruptError("this data file is missing", path=str(path)) from None
        except (pa.ArrowException, OSError) as error:
            raise StoreCorruptError(
                f"this data file cannot be read ({_first_line(error)})", path=str(path)
            ) from None

    def discard(self, name: str) -> None:
        """Delete object ``name``'s folder; a name that is not an object name is left
        alone (never a path outside ``objects/``)."""
        if is_object_name(name):
            shutil.rmtree(self.objects / name, ignore_errors=True)

    def sweep(self, referenced: set[str]) -> int:
        """Delete staged leftovers and objects the catalog does not reference. Call with
        the write lock held (so no write is in flight). Returns how many it removed."""
        removed = 0
        for stage in self.staging.iterdir():
            _remove(stage)
            removed += 1
        for folder in self.objects.iterdir():
            if folder.name not in referenced:
                _remove(folder)
                removed += 1
        return removed


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:200]


def _remove(entry: Path) -> None:
    """Remove a folder (or a stray file or link) directly inside ``objects/`` or
    ``staging/``: a link is removed itself, never followed."""
    if entry.is_symlink() or not entry.is_dir():
        with contextlib.suppress(OSError):
            entry.unlink()
    else:
        shutil.rmtree(entry, ignore_errors=True)
