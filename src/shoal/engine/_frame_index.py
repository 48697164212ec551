"""Finding frames by id: what a caller's ``frames=`` (or a row's frame id) names."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from shoal.engine._messages import shown
from shoal.errors import InputError

__all__ = ["FrameIndex"]


class FrameIndex:
    """The positions of frame ids, sorted once so each lookup is a binary search."""

    __slots__ = ("_order", "_sorted_ids")

    def __init__(self, frame_ids: NDArray[Any]) -> None:
        self._order = np.argsort(frame_ids, kind="stable")
        self._sorted_ids = frame_ids[self._order]

    def positions(self, wanted: NDArray[Any]) -> NDArray[np.intp]:
        """The position of each of ``wanted`` among the frame ids. An id that is not there
        is an ``InputError`` naming it and its place in ``wanted`` (the record); integer
        ids never match string ids."""
        if wanted.size == 0:
            return np.zeros(0, np.intp)
        ids = self._sorted_ids
        if ids.size == 0 or (wanted.dtype.kind in "iu") != (ids.dtype.kind in "iu"):
            raise InputError(f"unknown frame id {shown(wanted[0])}", record=0)
        position = np.minimum(np.searchsorted(ids, wanted), ids.size - 1)
        found = ids[position] == wanted
        if not found.all():
            bad = int(np.flatnonzero(~found)[0])
            raise InputError(f"unknown frame id {shown(wanted[bad])}", record=bad)
        return self._order[position]

    def mask(self, frames: Iterable[Any]) -> NDArray[np.bool_]:
        """A mask over the frames, True for those ``frames`` names."""
        wanted = np.asarray(
            frames if isinstance(frames, np.ndarray | list | tuple) else list(frames)
        )
        mask = np.zeros(self._order.size, bool)
        mask[self.positions(wanted)] = True
        return mask
