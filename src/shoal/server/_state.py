"""What every request handler shares: the store, the evaluation cache, the settings."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from fastapi import Request

from shoal.analysis import SegmentSpec
from shoal.analysis.regression import Evaluation
from shoal.errors import NotFoundError
from shoal.server._auth import KeyRing
from shoal.server._errors import ApiError
from shoal.store import ALL_FRAMES, Dataset, InferenceSet, Segment, Store

__all__ = ["EvaluationCache", "SegmentFrames", "ServerState", "state"]

T = TypeVar("T")
EVALUATION_CACHE_SIZE = 16
_BUILD_ATTEMPTS = 3


@dataclass
class _Entry:
    evaluation: Evaluation
    version: int
    lock: threading.Lock = field(default_factory=threading.Lock)


class EvaluationCache:
    """The most recently used evaluations, keyed by what they depend on: the inference
    set and its version, the dataset's version and the project's class map.

    The engine keeps what it matches (a new IoU threshold, cached AP) inside the
    evaluation object, so each entry has a lock and queries on one entry take turns.
    """

    def __init__(self, size: int = EVALUATION_CACHE_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[object, ...], _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[tuple[object, ...], threading.Lock] = {}

    def __len__(self) -> int:
        return len(self._entries)

    @staticmethod
    def _key(inference_set: InferenceSet) -> tuple[object, ...]:
        dataset = inference_set.dataset
        classes = tuple((c.name, c.id, c.ignore) for c in dataset.project.classes())
        return (inference_set.id, inference_set.version, dataset.id, dataset.version, classes)

    def _entry(self, inference_set: InferenceSet) -> _Entry:
        for _ in range(_BUILD_ATTEMPTS):
            key = self._key(inference_set)
            with self._lock:
                entry = self._entries.get(key)
                if entry is not None:
                    self._entries.move_to_end(key)
                    return entry
                build_lock = self._building.setdefault(key, threading.Lock())
            with build_lock:
                with self._lock:
                    entry = self._entries.get(key)
                if entry is not None:
                    return entry
                try:
                    evaluation = inference_set.evaluate()
                except Exception:
                    # A replace committed while we read: the old files may be gone. Retry
                    # on the new version; re-raise a failure of a stable version.
                    if self._key(inference_set) != key:
                        continue
                    raise
                finally:
                    with self._lock:
                        self._building.pop(key, None)
                if self._key(inference_set) != key:
                    continue  # changed while we built: build again from the new version
                entry = _Entry(evaluation, inference_set.version)
                with self._lock:
                    self._entries[key] = entry
                    while len(self._entries) > self.size:
                        self._entries.popitem(last=False)
                return entry
        raise RuntimeError("the inference set kept changing while it was evaluated")

    def use(self, inference_set: InferenceSet, query: Callable[[Evaluation, int], T]) -> T:
        """``query(evaluation, version)`` with the evaluation to itself."""
        entry = self._entry(inference_set)
        with entry.lock:
            return query(entry.evaluation, entry.version)

    def preload(self, store: Store, count: int) -> threading.Thread | None:
        """Load the evaluations of the ``count`` most recently written inference sets in
        a background thread, so that the first query of each does not wait for its
        matching to be read (about a second on the M benchmark data). A request that
        comes first loads it itself; the other waits for it rather than loading twice."""
        count = min(count, self.size)
        if count <= 0:
            return None

        def run() -> None:
            try:
                candidates = [
                    inference_set
                    for project in store.projects()
                    for dataset in project.datasets()
                    for inference_set in dataset.inference_sets()
                ]
            except Exception:  # a store being changed: the requests will load what they need
                return
            candidates.sort(key=lambda s: str(s.to_dict()["created_at"]), reverse=True)
            for inference_set in candidates[:count]:
                try:
                    self._entry(inference_set)
                except Exception:  # deleted or replaced meanwhile: nothing to warm
                    continue

        thread = threading.Thread(target=run, name="shoal-preload", daemon=True)
        thread.start()
        return thread

    @contextmanager
    def many(self, inference_sets: list[InferenceSet]) -> Iterator[list[tuple[Evaluation, int]]]:
        """Several evaluations at once, locked in a fixed order (no deadlocks)."""
        entries = [self._entry(s) for s in inference_sets]
        with ExitStack() as stack:
            unique = {id(entry): entry for entry in entries}
            for _, entry in sorted(unique.items()):
                stack.enter_context(entry.lock)
            yield [(e.evaluation, e.version) for e in entries]


class SegmentFrames:
    """Frame ids of query segments, kept per (dataset, version, query): a saved query
    runs DuckDB over the frames, and regression tests ask for every segment at once."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[int, int, str], list[str]] = OrderedDict()
        self._lock = threading.Lock()

    def frame_ids(self, segment: Segment) -> list[str] | None:
        """None for "All Frames"."""
        if segment.id is None:
            return None
        query = segment.query
        if query is None:
            return segment.frame_ids()
        dataset = segment.dataset
        key = (dataset.id, dataset.version, query)
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        ids = dataset.query(query)
        with self._lock:
            self._entries[key] = ids
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return ids

    def named(self, dataset: Dataset, name: str) -> list[str] | None:
        """The frame ids of the dataset's segment ``name`` (a ``segment=`` parameter);
        None for "All Frames". An unknown name is a 404 at ``query.segment``."""
        if name == ALL_FRAMES:
            return None
        try:
            segment = dataset.segment(name)
        except NotFoundError as error:
            raise ApiError(404, error.message, where="query.segment") from None
        return self.frame_ids(segment)

    def spec(self, segment: Segment) -> SegmentSpec:
        """``segment.spec()``, with the frames from here."""
        return SegmentSpec(
            name=segment.name,
            type=segment.type,
            uuid=segment.uuid,
            frame_ids=self.frame_ids(segment),
            thresholds=segment.thresholds,
        )

    def to_dict(self, segment: Segment) -> dict[str, Any]:
        """``segment.to_dict()``, with the frame count from here."""
        frames = self.frame_ids(segment)
        count = len(segment.dataset.frames()) if frames is None else len(frames)
        return {
            "uuid": segment.uuid,
            "name": segment.name,
            "type": segment.type,
            "query": segment.query,
            "thresholds": segment.thresholds,
            "frame_count": count,
        }


@dataclass
class ServerState:
    store: Store
    keys: KeyRing | None
    max_upload_bytes: int
    evaluations: EvaluationCache
    segments: SegmentFrames
    uploads: Path
    thumbnails: Path
    upload_locks: dict[str, threading.Lock] = field(default_factory=dict)
    upload_locks_guard: threading.Lock = field(default_factory=threading.Lock)

    def upload_lock(self, upload_id: str) -> threading.Lock:
        with self.upload_locks_guard:
            return self.upload_locks.setdefault(upload_id, threading.Lock())


def state(request: Request) -> ServerState:
    value = request.app.state.shoal
    assert isinstance(value, ServerState)
    return value
