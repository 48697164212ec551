"""Thumbnails of frame images, kept in a bounded on-disk cache.

A requested size is rounded up to one of a few steps and never exceeds the image's
own longest side, so one image has at most ``len(THUMBNAIL_STEPS)`` cached renderings
however many sizes are asked for. The cache holds at most ``max_bytes``; past that,
the least recently used thumbnails are removed (each hit marks its file as used, so
this does not depend on how the file system keeps access times).
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import os
import threading
import uuid
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

from shoal.server._errors import ApiError

if TYPE_CHECKING:
    from PIL.Image import Image as Picture

__all__ = ["DEFAULT_THUMBNAIL_CACHE_BYTES", "THUMBNAIL_STEPS", "ThumbnailCache", "snapped_size"]

THUMBNAIL_STEPS = (32, 64, 128, 256, 512, 1024)
DEFAULT_THUMBNAIL_CACHE_BYTES = 256 * 1024 * 1024
# When the cache is over its bound it is trimmed to this share of it, so that a busy
# server does not list the folder on every new thumbnail.
_TRIM_TO = 0.9


def snapped_size(requested: int, own_size: int) -> int:
    """The longest side a thumbnail is made at: ``requested`` rounded up to the next
    step (the largest step beyond the last), and at most the image's ``own_size``."""
    at = bisect.bisect_left(THUMBNAIL_STEPS, requested)
    step = THUMBNAIL_STEPS[min(at, len(THUMBNAIL_STEPS) - 1)]
    return max(1, min(step, own_size))


class ThumbnailCache:
    """PNG thumbnails under ``folder``, at most ``max_bytes`` in all (least recently
    used removed first)."""

    def __init__(self, folder: Path, max_bytes: int = DEFAULT_THUMBNAIL_CACHE_BYTES) -> None:
        if max_bytes <= 0:
            raise ValueError("the thumbnail cache needs a positive size in bytes")
        self.folder = folder
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        folder.mkdir(parents=True, exist_ok=True)
        self._total = sum(size for _, _, size in self._entries())

    @property
    def total_bytes(self) -> int:
        """The bytes this cache counts as held (its files' sizes)."""
        with self._lock:
            return self._total

    def thumbnail(self, image: Path, requested: int) -> bytes:
        """The PNG of ``image`` at ``requested`` pixels (longest side, snapped)."""
        from PIL import Image

        try:
            stat = image.stat()
            with Image.open(image) as opened:
                size = snapped_size(requested, max(opened.size))
                key = f"{image}|{stat.st_mtime_ns}|{stat.st_size}|{size}"
                cached = self.folder / f"{hashlib.sha256(key.encode()).hexdigest()}.png"
                data = self._read(cached)
                if data is None:
                    data = _render(opened, size)
                    self._store(cached, data)
                return data
        except (OSError, ValueError, Image.DecompressionBombError) as error:
            raise ApiError(415, f"cannot read the image: {error}", where="image_uri") from None

    def _read(self, cached: Path) -> bytes | None:
        try:
            data = cached.read_bytes()
            os.utime(cached)  # used now: the last to be removed
        except FileNotFoundError:  # not made yet, or removed by a trim meanwhile
            return None
        return data

    def _store(self, cached: Path, data: bytes) -> None:
        staged = cached.with_name(f"{cached.name}.{uuid.uuid4().hex}.tmp")
        staged.write_bytes(data)
        existed = cached.exists()
        os.replace(staged, cached)
        with self._lock:
            if not existed:  # another request may have made the same one meanwhile
                self._total += len(data)
            if self._total > self.max_bytes:
                self._trim()

    def _entries(self) -> list[tuple[float, Path, int]]:
        """(last used, path, bytes) of each cached thumbnail."""
        entries = []
        for path in self.folder.glob("*.png"):
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            entries.append((stat.st_mtime, path, stat.st_size))
        return entries

    def _trim(self) -> None:
        """Remove the least recently used thumbnails until the cache is under its bound
        (called with the lock held). The folder is listed again, so the count also
        catches up with files another process added or removed."""
        entries = sorted(self._entries(), key=lambda entry: entry[0])
        total = sum(size for _, _, size in entries)
        goal = int(self.max_bytes * _TRIM_TO)
        for _, path, size in entries:
            if total <= goal:
                break
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            total -= size
        self._total = total


def _render(opened: Picture, size: int) -> bytes:
    """``opened`` scaled down to ``size`` pixels on its longest side, as PNG (PIL's
    ``thumbnail`` keeps the aspect ratio and never scales up)."""
    opened.thumbnail((size, size))
    picture = opened if opened.mode in ("RGB", "RGBA", "L", "LA") else opened.convert("RGBA")
    out = BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()
