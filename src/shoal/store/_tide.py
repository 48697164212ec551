"""TIDE breakdowns of stored inference sets, cached per store.

A breakdown is computed from the store's cached evaluation (its ground truth and
predictions, shoal.analysis.tide) and kept in memory keyed by what it depends on: the
inference set and its version, the dataset's version, the frames selected and both
thresholds. A new version of either makes a new key; old entries age out.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections import OrderedDict
from typing import TYPE_CHECKING

from shoal.analysis.tide import DEFAULT_BG_IOU, DEFAULT_FG_IOU, TideResult, tide
from shoal.engine._frame_index import FrameIndex
from shoal.engine.detection.evaluator import DetectionEvaluation
from shoal.errors import InputError

if TYPE_CHECKING:
    from shoal.store._entities import InferenceSet
    from shoal.store._store import Store

__all__ = ["TIDE_CACHE_SIZE", "TideCache", "stored_tide"]

TIDE_CACHE_SIZE = 64


class TideCache:
    """The most recently used breakdowns of one store."""

    def __init__(self, size: int = TIDE_CACHE_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[object, ...], TideResult] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: tuple[object, ...]) -> TideResult | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: tuple[object, ...], result: TideResult) -> None:
        with self._lock:
            self._entries[key] = result
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


_CACHES: weakref.WeakKeyDictionary[Store, TideCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def tide_cache(store: Store) -> TideCache:
    """The store's breakdown cache (made on first use)."""
    with _CACHES_LOCK:
        cache = _CACHES.get(store)
        if cache is None:
            cache = _CACHES[store] = TideCache()
        return cache


def _frames_key(frames: list[str] | None) -> str:
    if frames is None:
        return "*"
    return hashlib.sha1("\n".join(sorted(frames)).encode()).hexdigest()


def stored_tide(
    inference_set: InferenceSet,
    *,
    frames: list[str] | None = None,
    fg_iou: float = DEFAULT_FG_IOU,
    bg_iou: float = DEFAULT_BG_IOU,
) -> TideResult:
    """TIDE's breakdown of a detection inference set on ``frames`` (ids; None: every
    frame), from the cache when this version was asked before with these thresholds."""
    if not 0.0 <= bg_iou <= fg_iou <= 1.0:
        raise InputError(
            f"TIDE needs 0 <= bg_iou <= fg_iou <= 1 (got bg_iou {bg_iou:g}, fg_iou {fg_iou:g})"
        )
    cache = tide_cache(inference_set.store)
    with inference_set.store.evaluations.hold(inference_set) as entry:
        evaluation = entry.evaluation
        if not isinstance(evaluation, DetectionEvaluation):
            raise InputError("TIDE's error breakdown applies to detection projects only")
        key = (
            inference_set.id,
            entry.version,
            entry.dataset_version,
            entry.objects,
            _frames_key(frames),
            float(fg_iou),
            float(bg_iou),
        )
        found = cache.get(key)
        if found is not None:
            return found
        gt = evaluation.ground_truth
        mask = None if frames is None else FrameIndex(gt.frame_ids).mask(frames)
        result = tide(gt, evaluation.predictions, fg_iou=fg_iou, bg_iou=bg_iou, frames=mask)
    cache.put(key, result)
    return result
