"""What every request handler shares: the store (which owns the evaluation and segment
caches), the keys, the settings."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request

from shoal.errors import NotFoundError
from shoal.server._auth import KeyRing
from shoal.server._errors import ApiError
from shoal.server._jobs import JobRegistry
from shoal.server._thumbnails import ThumbnailCache
from shoal.store import Dataset, Project, Segment, Store

__all__ = ["ServerState", "State", "requested_segment", "state"]


def requested_segment(dataset: Dataset, name: str) -> Segment:
    """The dataset's segment named by a ``segment=`` query parameter ("All Frames"
    included); an unknown name is a 404 that names the parameter."""
    try:
        return dataset.segment(name)
    except NotFoundError as error:
        raise ApiError(404, error.message, where="query.segment") from None


def require_detection(project: Project, what: str, *, where: str | None = None) -> None:
    """A 422 when ``what``, an answer only detection has, is asked of another task."""
    if project.task != "detection":
        raise ApiError(422, f"{what} applies to detection projects only", where=where)


def check_iou_band(fg_iou: float, bg_iou: float) -> None:
    """A 422 naming ``bg_iou`` when it is above ``fg_iou`` (a background overlap must
    not reach a match)."""
    if bg_iou > fg_iou:
        raise ApiError(422, f"bg_iou {bg_iou:g} is above fg_iou {fg_iou:g}", where="query.bg_iou")


@dataclass
class ServerState:
    store: Store
    keys: KeyRing | None
    max_upload_bytes: int
    max_upload_total_bytes: int
    uploads: Path
    thumbnails: ThumbnailCache
    upload_locks: dict[str, threading.Lock] = field(default_factory=dict)
    upload_locks_guard: threading.Lock = field(default_factory=threading.Lock)
    # Background work (quality metrics), one job at a time: see _jobs.
    jobs: JobRegistry = field(default_factory=JobRegistry)

    def upload_lock(self, upload_id: str) -> threading.Lock:
        with self.upload_locks_guard:
            return self.upload_locks.setdefault(upload_id, threading.Lock())


def state(request: Request) -> ServerState:
    value = request.app.state.shoal
    assert isinstance(value, ServerState)
    return value


# The server's state as a route parameter (``s: State``), injected by FastAPI.
State = Annotated[ServerState, Depends(state)]
