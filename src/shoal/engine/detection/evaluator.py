"""The detection evaluation: match once, then answer any operating point from what was kept.

Matching runs once per IoU threshold of the evaluation's grid (COCO's ten thresholds
plus any the caller adds), and keeps every overlapping same-class pair with its IoU, so
that a threshold off the grid is one greedy pass over those pairs (a few milliseconds),
kept among the last few asked for. With greedy matching in score order, the matches made at a
confidence threshold c are exactly the matches of the predictions scored >= c in the
matching at c = 0, so every later query (report, confusion matrix, outcomes, PR
curve) at any (c, t on the grid), for any subset of frames and classes, is a masked
count over kept arrays. All kept state is local to a frame, which is why the
evaluations of disjoint sets of frames concatenate into exactly the evaluation of
their union (``merge``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, Literal, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shoal._types import ConfDescription, Confidence, Task
from shoal.engine import metrics as m
from shoal.engine._frame_index import FrameIndex
from shoal.engine._messages import shown
from shoal.engine.detection import kernels
from shoal.engine.detection.annotations import Classes, GroundTruth, Predictions
from shoal.engine.detection.metrics import CocoParams, CocoSummary
from shoal.engine.detection.similarity import (
    ConcatenatedSimilarity,
    PairSimilarity,
    checked_pair_values,
)
from shoal.engine.metrics import (
    BACKGROUND,
    ClassificationReport,
    ConfusionMatrix,
    Outcomes,
    PRCurve,
    ThresholdChoice,
    safe_divide,
)
from shoal.engine.thresholds import (
    IouThreshold,
    conf_description,
    per_class_ious,
    per_class_thresholds,
    threshold_number,
)
from shoal.errors import InputError, ShoalError

__all__ = [
    "COCO_IOU_THRESHOLDS",
    "KEPT_OFF_GRID_THRESHOLDS",
    "QUERY_IOU_FLOOR",
    "DetectionEvaluation",
    "evaluate",
]

Protocol = Literal["coco", "voc", "labelbox"]
PROTOCOLS: tuple[Protocol, ...] = ("coco", "voc", "labelbox")
Interpolation = Literal["coco101", "voc_all", "voc11"]

# Built as pycocotools builds them (float64 linspace), so thresholds compare identically.
COCO_IOU_THRESHOLDS = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1)
COCO_RECALL_POINTS = np.linspace(0.0, 1.00, int(np.round((1.00 - 0.0) / 0.01)) + 1)
VOC11_RECALL_POINTS = np.linspace(0.0, 1.0, 11)
_GRID_TOLERANCE = 1e-9
# The matchings at IoUs off the grid kept, the least recently used dropped beyond them:
# each costs about 5 bytes per prediction, and a long-lived server must not grow with
# every IoU a client sends (one dropped is matched again in milliseconds when asked).
KEPT_OFF_GRID_THRESHOLDS = 8
# All-frames counts kept: whole ones (about 1 byte per row each, their row masks), and
# per-class numbers alone (3 integers per class each), least recently used dropped.
KEPT_COUNTS = 2
KEPT_CLASS_COUNTS = 64
# The lowest IoU the web app's slider asks for. An evaluation kept for re-thresholding
# (``evaluate(confusion_floor=QUERY_IOU_FLOOR)``, as the store does) keeps its confusion
# candidates down to it, so that the first query at a new IoU below the grid reads them
# instead of every box pair (at L about 10 MB more, instead of 100+ ms per new IoU).
QUERY_IOU_FLOOR = 0.05
_INTERPOLATIONS = {
    "coco101": kernels.INTERP_COCO101,
    "voc_all": kernels.INTERP_VOC_ALL,
    "voc11": kernels.INTERP_VOC11,
}


@dataclass(frozen=True, slots=True, eq=False)
class _Kept:
    """What matching leaves behind; every array is local to frames (see kernels.py).

    ``det_gt``/``det_ignored`` (K, M), ``gt_det`` (K, N): matching at each grid
    threshold; ``coco_status`` (M, 4, 10): COCO's area-range matchings;
    ``best_gt``/``best_iou`` (M,): closest same-class counted ground truth;
    ``pair_*`` (P,): same-class pairs with IoU > 0, a crowd or ignored ground-truth
    row as -(row + 1), in matching order (see ``kernels.match_all``); ``cross_*``
    (Q,): cross-class pairs with IoU >= ``cross_floor`` (0-d: the grid's lowest
    threshold, or lower when kept for queries below the grid), in confusion order
    (see ``_confusion_order``).
    """

    grid: NDArray[np.float64]
    det_gt: NDArray[np.int32]
    det_ignored: NDArray[np.bool_]
    gt_det: NDArray[np.int32]
    coco_status: NDArray[np.int8]
    best_gt: NDArray[np.int32]
    best_iou: NDArray[np.float64]
    pair_gt: NDArray[np.int32]
    pair_dt: NDArray[np.int32]
    pair_iou: NDArray[np.float64]
    cross_dt: NDArray[np.int32]
    cross_gt: NDArray[np.int32]
    cross_iou: NDArray[np.float64]
    cross_floor: NDArray[np.float64]


# What counts are kept by: the matching's key and the per-class confidences' bytes.
_CountsKey = tuple[float | bytes, bytes]


_K = TypeVar("_K")
_V = TypeVar("_V")


def _keep(cache: OrderedDict[_K, _V], key: _K, value: _V, limit: int) -> None:
    """Put ``value`` in ``cache`` as its most recent entry, dropping the least recently
    used beyond ``limit``."""
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > limit:
        cache.popitem(last=False)


def _merge_grid(extra: ArrayLike | None) -> NDArray[np.float64]:
    grid = list(COCO_IOU_THRESHOLDS)
    try:
        values = np.asarray([] if extra is None else extra, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise InputError(f"iou_thresholds {extra!r} are not numbers") from None
    for value in values:
        if not 0.0 < value <= 1.0:
            raise InputError(f"IoU threshold {value} is not in (0, 1]")
        if all(abs(value - g) > _GRID_TOLERANCE for g in grid):
            grid.append(float(value))
    return np.asarray(sorted(grid), dtype=np.float64)


def _positions_in(grid: NDArray[np.float64], values: NDArray[np.float64]) -> NDArray[np.int64]:
    """Index in ``grid`` of each of ``values`` (exact float equality), -1 if absent."""
    return np.asarray(
        [int(np.flatnonzero(grid == v)[0]) if (grid == v).any() else -1 for v in values],
        dtype=np.int64,
    )


@dataclass(frozen=True, slots=True, eq=False)
class _Level:
    """The matching at one IoU threshold: ``det_gt``/``det_ignored`` (M,), ``gt_det``
    (N,); ``cross``: the confusion candidates sorted for the second pass when the
    threshold is below the grid's (None: the evaluation's own); ``outcome``: the outcome
    codes in accumulation order, where rematching wrote them (AP reads them in order)."""

    iou: float
    det_gt: NDArray[np.int32]
    det_ignored: NDArray[np.bool_]
    gt_det: NDArray[np.int32]
    cross: tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.float64]] | None = None
    outcome: NDArray[np.uint8] | None = None
    # Per-class IoUs: each class's threshold (C,), ``iou`` then being the lowest of them.
    class_iou: NDArray[np.float64] | None = None

    @property
    def key(self) -> float | bytes:
        """What caches of this matching's results are keyed on."""
        return self.iou if self.class_iou is None else self.class_iou.tobytes()


@dataclass(frozen=True, slots=True, eq=False)
class _Orders:
    """Row orders every kernel walks; derived from the columns alone, never kept.

    ``gt_grouped`` / ``dt_grouped``: rows by (frame, class), file order inside a group
    for ground truth, descending score (stable) for predictions; frame-sorted too, with
    ``*_frame_bounds`` (F, 2). ``shared_*_bounds``: the groups that have both sides.
    ``dt_rank``: rank by score inside the (frame, class). ``dt_order``: accumulation order
    (class, descending score, frame id, row) with ``class_bounds`` (C, 2).
    """

    gt_grouped: NDArray[np.int64]
    gt_frame_bounds: NDArray[np.int64]
    dt_grouped: NDArray[np.int64]
    dt_frame_bounds: NDArray[np.int64]
    shared_gt_bounds: NDArray[np.int64]
    shared_dt_bounds: NDArray[np.int64]
    dt_rank: NDArray[np.int64]
    dt_order: NDArray[np.int64]
    class_bounds: NDArray[np.int64]
    frame_rank: NDArray[np.int32]


def frame_order(frame_ids: NDArray[Any]) -> NDArray[np.int64]:
    """Indices that sort frames by id: numerically when every id is an integer or an
    integer written as text (so a store's "42" ranks as COCO's 42), else as text."""
    if frame_ids.dtype.kind in "US" and frame_ids.size:
        text = frame_ids.astype(np.str_)
        digits = np.char.isdigit(np.char.lstrip(text, "-"))
        if digits.all():
            numbers = text.astype(np.int64)
            if (numbers.astype(np.str_) == text).all():  # no "007": the mapping is one to one
                return np.argsort(numbers, kind="stable")
    return np.argsort(frame_ids, kind="stable")


def _orders(gt: GroundTruth, dt: Predictions) -> _Orders:
    num_frames, num_classes = gt.num_frames, max(len(gt.classes), 1)
    frame_rank = np.empty(num_frames, np.int32)
    frame_rank[frame_order(gt.frame_ids)] = np.arange(num_frames, dtype=np.int32)
    dt_rows = np.arange(len(dt), dtype=np.int64)
    gt_key = gt.frame.astype(np.int64) * num_classes + gt.label
    dt_key = dt.frame.astype(np.int64) * num_classes + dt.label

    def ground_truth_groups() -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        # Two stable counting sorts give (frame, class, row).
        rows = np.arange(len(gt), dtype=np.int64)
        by_class, _ = kernels.counting_sort(gt.label, num_classes, rows)
        return kernels.counting_sort(gt.frame, num_frames, by_class)

    def prediction_groups() -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        # (frame, class), then descending score inside each group.
        by_class, _ = kernels.counting_sort(dt.label, num_classes, dt_rows)
        grouped, frame_bounds = kernels.counting_sort(dt.frame, num_frames, by_class)
        kernels.sort_segments_by_score(grouped, kernels.key_runs(grouped, dt_key), dt.score)
        return grouped, frame_bounds, kernels.ranks_in_groups(grouped, dt_key)

    def accumulation_order() -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        # (frame id, row) first, then a stable sort by class and score.
        by_frame, _ = kernels.counting_sort(frame_rank[dt.frame], num_frames, dt_rows)
        order, class_bounds = kernels.counting_sort(dt.label, num_classes, by_frame)
        kernels.sort_segments_by_score(order, class_bounds, dt.score)
        return order, class_bounds

    # One after the other, each kernel on every thread: orders built side by side on
    # Python threads cost tens of MB more peak memory (each thread's malloc arena keeps
    # what it freed) for little time.
    gt_grouped, gt_frame_bounds = ground_truth_groups()
    dt_grouped, dt_frame_bounds, dt_rank = prediction_groups()
    dt_order, class_bounds = accumulation_order()
    shared_gt_bounds, shared_dt_bounds = kernels.shared_groups(
        gt_key, gt_grouped, dt_key, dt_grouped
    )
    return _Orders(
        gt_grouped=gt_grouped,
        gt_frame_bounds=gt_frame_bounds,
        dt_grouped=dt_grouped,
        dt_frame_bounds=dt_frame_bounds,
        shared_gt_bounds=shared_gt_bounds,
        shared_dt_bounds=shared_dt_bounds,
        dt_rank=dt_rank,
        dt_order=dt_order,
        class_bounds=class_bounds[: len(gt.classes)],
        frame_rank=frame_rank,
    )


_BOX_PARAMS = CocoParams.bbox()
# The confidence thresholds Labelbox-rule PR curves are matched at: Labelbox's default
# grid (0, 0.1, ..., 1) refined to hundredths, as its docs show refining it.
LABELBOX_CONF_GRID = np.round(np.linspace(0.0, 1.0, 101), 2)
# A confusion floor that keeps every cross-class pair with IoU > 0.
_EVERY_OVERLAP = float(np.finfo(np.float64).tiny)
# Pairs a similarity is asked for at once when finding confusion candidates: bounds the
# memory of the row arrays (a frame's pairs are never split).
_CROSS_BATCH = 1 << 22


def _cross_class_values(
    gt: GroundTruth, dt: Predictions, orders: _Orders, min_iou: float, similarity: PairSimilarity
) -> tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.float64]]:
    """``_cross_class_pairs`` through a similarity: each frame's (prediction, counted
    ground truth of another class) pairs, in batches of frames."""
    counted = ~(gt.iscrowd | gt.ignore)
    gt_rows = orders.gt_grouped[counted[orders.gt_grouped]]
    gt_count = np.bincount(gt.frame[gt_rows], minlength=gt.num_frames)
    gt_bounds = np.column_stack([np.cumsum(gt_count) - gt_count, np.cumsum(gt_count)])
    dt_bounds = orders.dt_frame_bounds
    sizes = (dt_bounds[:, 1] - dt_bounds[:, 0]) * gt_count
    ends = np.cumsum(sizes)
    parts: list[tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]] = []
    start = 0
    while start < sizes.size:
        # Frames up to the batch size (at least one frame).
        stop = max(int(np.searchsorted(ends, ends[start] - sizes[start] + _CROSS_BATCH)), start + 1)
        stop = min(stop, sizes.size)
        pair_dt, pair_gt = kernels.block_pairs(
            orders.dt_grouped, dt_bounds[start:stop], gt_rows, gt_bounds[start:stop]
        )
        other = dt.label[pair_dt] != gt.label[pair_gt]
        pair_dt, pair_gt = pair_dt[other], pair_gt[other]
        values = checked_pair_values(similarity, pair_dt, pair_gt)
        keep = (values >= min_iou) & (values > 0.0)
        parts.append((pair_dt[keep], pair_gt[keep], values[keep]))
        start = stop
    if not parts:
        return np.empty(0, np.int32), np.empty(0, np.int32), np.empty(0, np.float64)
    return (
        np.concatenate([p[0] for p in parts]).astype(np.int32),
        np.concatenate([p[1] for p in parts]).astype(np.int32),
        np.concatenate([p[2] for p in parts]),
    )


def _match(
    gt: GroundTruth,
    dt: Predictions,
    orders: _Orders,
    grid: NDArray[np.float64],
    coco_thresholds: NDArray[np.float64],
    settings: _Settings,
    confusion_floor: float,
    similarity: PairSimilarity | None,
) -> _Kept:
    """Match at every threshold of ``grid`` (and the params' area ranges at
    ``coco_thresholds``, if any); keep the confusion candidates down to
    ``confusion_floor`` (at most the grid's lowest threshold). ``similarity`` replaces
    box IoU everywhere (None: boxes, in the kernels)."""
    gt_bounds, dt_bounds = orders.shared_gt_bounds, orders.shared_dt_bounds
    capacity = int(
        ((gt_bounds[:, 1] - gt_bounds[:, 0]) * (dt_bounds[:, 1] - dt_bounds[:, 0])).sum()
    )
    values = None
    if similarity is not None:
        # One call for every pair the kernel would compute, in its order.
        pair_dt, pair_gt = kernels.block_pairs(
            orders.dt_grouped, dt_bounds, orders.gt_grouped, gt_bounds
        )
        values = checked_pair_values(similarity, pair_dt, pair_gt)
        del pair_dt, pair_gt
    params = settings.params
    matching = kernels.match_all(
        gt.box, gt.area, gt.iscrowd, gt.ignore, dt.box,
        orders.gt_grouped, gt_bounds, orders.dt_grouped, dt_bounds,
        grid, coco_thresholds, _positions_in(grid, coco_thresholds),
        params.area_ranges if coco_thresholds.size else np.empty((0, 2)),
        int(params.max_dets[-1]), settings.rule, settings.pixel_inclusive, capacity, values,
    )  # fmt: skip
    del values
    floor = min(float(confusion_floor), float(grid.min()))
    if similarity is None:
        cross_dt, cross_gt, cross_iou = _confusion_order(
            dt, orders.frame_rank, *_cross_class_pairs(gt, dt, orders, floor, settings, None)
        )
    else:  # found on first need (DetectionEvaluation._kept_with_cross)
        cross_dt, cross_gt = np.empty(0, np.int32), np.empty(0, np.int32)
        cross_iou = np.empty(0, np.float64)
    return _Kept(
        grid=grid,
        det_gt=matching.det_gt,
        det_ignored=matching.det_ignored,
        gt_det=matching.gt_det,
        coco_status=matching.coco_status,
        best_gt=matching.best_gt,
        best_iou=matching.best_iou,
        pair_gt=matching.pair_gt,
        pair_dt=matching.pair_dt,
        pair_iou=matching.pair_iou,
        cross_dt=cross_dt,
        cross_gt=cross_gt,
        cross_iou=cross_iou,
        cross_floor=np.asarray(floor, dtype=np.float64),
    )


def _confusion_order(
    dt: Predictions,
    frame_rank: NDArray[np.int32],
    pair_dt: NDArray[np.int32],
    pair_gt: NDArray[np.int32],
    pair_iou: NDArray[np.float64],
) -> tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.float64]]:
    """Confusion candidates in the order the second pass walks them: prediction by
    descending score, frame id and row, then by descending IoU, then ground-truth row."""
    order = np.lexsort(
        (pair_gt, -pair_iou, pair_dt, frame_rank[dt.frame[pair_dt]], -dt.score[pair_dt])
    )
    return pair_dt[order], pair_gt[order], pair_iou[order]


def _cross_class_pairs(
    gt: GroundTruth,
    dt: Predictions,
    orders: _Orders,
    min_iou: float,
    settings: _Settings,
    similarity: PairSimilarity | None,
) -> tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.float64]]:
    """Confusion candidates: (prediction, counted ground truth of another class) pairs
    in one frame with IoU >= ``min_iou`` (and > 0)."""
    if similarity is not None:
        return _cross_class_values(gt, dt, orders, min_iou, similarity)
    return kernels.cross_class_pairs(
        gt.box, gt.label, ~(gt.iscrowd | gt.ignore), dt.box, dt.label,
        orders.gt_grouped, orders.gt_frame_bounds, orders.dt_grouped, orders.dt_frame_bounds,
        min_iou, settings.pixel_inclusive,
    )  # fmt: skip


@dataclass(frozen=True, slots=True, eq=False)
class _LabelboxMatching:
    """Labelbox's matching at one operating point: per-class ``tp``, ``fp``, ``fn``
    (C,); the cross-class pairs it made (``cross_dt``, ``cross_gt``); the selection's
    prediction and ground-truth row masks."""

    tp: NDArray[np.int64]
    fp: NDArray[np.int64]
    fn: NDArray[np.int64]
    cross_dt: NDArray[np.int32]
    cross_gt: NDArray[np.int32]
    dt_sel: NDArray[np.bool_]
    gt_sel: NDArray[np.bool_]
    det_gt: NDArray[np.int32]  # (M,) the ground truth each prediction matched, or -1
    gt_det: NDArray[np.int32]  # (N,) the prediction each ground truth matched, or -1
    det_iou: NDArray[np.float64]  # (M,) the matched pair's IoU (0 unmatched)
    dt_kept: NDArray[np.bool_]  # (M,) selected and at or above its class's conf
    class_iou: NDArray[np.float64]  # (C,) each class's IoU threshold


@dataclass(frozen=True, slots=True)
class _Settings:
    protocol: Protocol
    pixel_inclusive: bool
    params: CocoParams = _BOX_PARAMS

    @property
    def rule(self) -> int:
        # Labelbox's matching depends on the confidence threshold, so it runs per query;
        # the grid's matching (which it does not read) follows COCO's rule.
        return kernels.RULE_VOC if self.protocol == "voc" else kernels.RULE_COCO

    @property
    def interpolation(self) -> Interpolation:
        return "voc_all" if self.protocol == "voc" else "coco101"


class DetectionEvaluation:
    """Predictions matched against ground truth, ready for any query.

    Build one with :func:`shoal.evaluate_detections`. Every query takes ``conf`` (a
    confidence threshold, or a mapping of class name or id to threshold; classes not
    named use 0), ``iou`` (an IoU threshold: one of the grid is instant, any other is
    matched from the kept pairs in milliseconds, the last few of them kept; or a
    mapping of class name or id to IoU, classes not named at 0.5), ``frames`` (frame
    ids to restrict to) and ``classes`` (class names or ids to report on). It is an
    ``Evaluation`` (``shoal.engine.evaluation``): classification answers the same
    queries.
    """

    def __init__(
        self,
        ground_truth: GroundTruth,
        predictions: Predictions,
        kept: _Kept,
        settings: _Settings,
        orders: _Orders | None = None,
        similarity: PairSimilarity | None = None,
        cross_pending: bool = False,
    ) -> None:
        self.ground_truth = ground_truth
        self.predictions = predictions
        self._settings = settings
        self._similarity = similarity
        gt, dt = ground_truth, predictions
        self._orders = orders if orders is not None else _orders(gt, dt)
        self._dt_order = self._orders.dt_order
        self._class_bounds = self._orders.class_bounds
        self._dt_rank = self._orders.dt_rank
        self._dt_area = dt.box[:, 2] * dt.box[:, 3]
        self._gt_area = gt.box[:, 2] * gt.box[:, 3]
        self._gt_counted = ~(gt.iscrowd | gt.ignore)
        self._localization: tuple[NDArray[np.int32], NDArray[np.int32]] | None = None
        # All-frames counts by (matching, per-class confidences): the last few whole
        # ones (with their row masks, for a matrix or outcomes), and many more of the
        # per-class numbers alone (a report's; what rows a matrix shows asks for a
        # report at confidence 0 on every query).
        self._recent_counts: OrderedDict[_CountsKey, kernels.OperatingPointCounts] = OrderedDict()
        self._class_counts: OrderedDict[_CountsKey, kernels.ClassCounts] = OrderedDict()
        self._summary: CocoSummary | None = None
        self._kept = kept
        # Through a similarity, the confusion candidates (every cross-class pair of an
        # image measured: masks, OKS) are found on first need, so a COCO summary never
        # pays for them; ``kept`` holds none until then.
        self._cross_pending = cross_pending
        self._cross_lock = threading.Lock()
        self._cross_on_grid: (
            tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.float64]] | None
        ) = None
        # Matchings at IoUs off the grid, least recently used first.
        self._off_grid: OrderedDict[float, _Level] = OrderedDict()
        # Matchings composed for per-class IoUs, by their classes' IoUs.
        self._mixed: OrderedDict[bytes, _Level] = OrderedDict()
        self._labelbox: tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.float64]] | None = (
            None
        )
        self._dt_position: NDArray[np.int32] | None = None
        self._all_frames = np.ones(gt.num_frames, bool)
        # Selections of every row; queries over all frames cache on their identity.
        self._every_dt = np.ones(len(dt), bool)
        self._every_gt = np.ones(len(gt), bool)
        self._every_dt.flags.writeable = self._every_gt.flags.writeable = False
        self._cache: dict[tuple[Any, ...], NDArray[Any]] = {}
        self._frame_index = FrameIndex(gt.frame_ids)

    def __getstate__(self) -> dict[str, Any]:
        # Evaluations travel to distributed workers pickled; a lock does not.
        state = self.__dict__.copy()
        del state["_cross_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._cross_lock = threading.Lock()

    def _kept_with_cross(self) -> _Kept:
        """The kept state with its confusion candidates, found now if they were left
        for later (the first query needing them, on any thread)."""
        if self._cross_pending:
            with self._cross_lock:
                if self._cross_pending:
                    kept, dt, orders = self._kept, self.predictions, self._orders
                    pairs = _cross_class_pairs(
                        self.ground_truth, dt, orders, float(kept.cross_floor), self._settings,
                        self._similarity,
                    )  # fmt: skip
                    cross_dt, cross_gt, cross_iou = _confusion_order(dt, orders.frame_rank, *pairs)
                    self._kept = replace(
                        kept, cross_dt=cross_dt, cross_gt=cross_gt, cross_iou=cross_iou
                    )
                    self._cross_pending = False
        return self._kept

    @property
    def _cross(self) -> tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.float64]]:
        """The candidates at the grid's thresholds and above: the kept ones (in confusion
        order, which a subset keeps) above the grid's lowest threshold."""
        if self._cross_on_grid is None:
            kept = self._kept_with_cross()
            cross = (kept.cross_dt, kept.cross_gt, kept.cross_iou)
            if float(kept.cross_floor) < float(kept.grid.min()):
                on_grid = kept.cross_iou >= float(kept.grid.min())
                cross = (kept.cross_dt[on_grid], kept.cross_gt[on_grid], kept.cross_iou[on_grid])
            self._cross_on_grid = cross
        return self._cross_on_grid

    @property
    def _localization_pairs(self) -> tuple[NDArray[np.int32], NDArray[np.int32]]:
        """Localization candidates of a missed ground truth, best first: highest IoU,
        then higher confidence, then the earlier prediction row (sorted on first use:
        only ``outcomes`` needs them)."""
        if self._localization is None:
            kept, score = self._kept, self.predictions.score
            counted = np.flatnonzero(kept.pair_gt >= 0)
            same_gt, same_dt = kept.pair_gt[counted], kept.pair_dt[counted]
            order = np.lexsort((same_dt, -score[same_dt], -kept.pair_iou[counted], same_gt))
            self._localization = (same_gt[order], same_dt[order])
        return self._localization

    # ----------------------------------------------------------------- basics
    @property
    def classes(self) -> Classes:
        return self.ground_truth.classes

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.classes.names.tolist())

    @property
    def iou_thresholds(self) -> tuple[float, ...]:
        """The grid's IoUs and the off-grid ones kept now, ascending."""
        return tuple(sorted([*self._kept.grid.tolist(), *self._off_grid]))

    @property
    def protocol(self) -> Protocol:
        return self._settings.protocol

    @property
    def params(self) -> CocoParams:
        """The COCO protocol's area ranges, caps and statistics (``coco_summary``)."""
        return self._settings.params

    @property
    def similarity(self) -> PairSimilarity | None:
        """What pairs were matched on (None: box IoU)."""
        return self._similarity

    @property
    def task(self) -> Task:
        return "detection"

    @property
    def frame_ids(self) -> NDArray[Any]:
        return self.ground_truth.frame_ids

    @property
    def num_frames(self) -> int:
        return self.ground_truth.num_frames

    @property
    def has_coco_summary(self) -> bool:
        return self._settings.protocol == "coco"

    def __repr__(self) -> str:
        return (
            f"<DetectionEvaluation {self.ground_truth.num_frames} frames, "
            f"{len(self.ground_truth)} ground truth, {len(self.predictions)} predictions, "
            f"{len(self.classes)} classes, protocol={self.protocol}>"
        )

    # --------------------------------------------------------------- selection
    def _frame_mask(self, frames: Iterable[Any] | None) -> NDArray[np.bool_]:
        return self._all_frames if frames is None else self._frame_index.mask(frames)

    def _selection(
        self, frames: Iterable[Any] | None
    ) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
        """Prediction and ground-truth row masks for a frame selection."""
        if frames is None:
            return self._every_dt, self._every_gt
        mask = self._frame_mask(frames)
        return mask[self.predictions.frame], mask[self.ground_truth.frame]

    def _class_conf(self, conf: Confidence) -> NDArray[np.float64]:
        return per_class_thresholds(conf, len(self.classes), self.classes.resolve)

    def _conf_label(self, conf: Confidence) -> ConfDescription:
        return conf_description(conf, self.labels, self._class_conf(conf))

    def _class_iou(self, iou: IouThreshold) -> NDArray[np.float64] | None:
        """Each class's IoU threshold for a per-class mapping (None for one number)."""
        return per_class_ious(iou, len(self.classes), self.classes.resolve)

    def _iou_label(self, iou: IouThreshold) -> ConfDescription:
        class_iou = self._class_iou(iou)
        if class_iou is None:
            return threshold_number(iou, "IoU threshold")
        return dict(zip(self.labels, class_iou.tolist(), strict=True))

    def _level_for(self, iou: IouThreshold) -> _Level:
        """The matching at ``iou``, one number or a mapping of class to IoU. Matching is
        within a class, so each class's rows are taken from the matching at its own IoU
        (composed matchings kept as the off-grid ones are)."""
        class_iou = self._class_iou(iou)
        if class_iou is None:
            return self._level(iou)  # type: ignore[arg-type]
        distinct = np.unique(class_iou)
        if distinct.size == 1:
            return self._level(float(distinct[0]))
        key = class_iou.tobytes()
        if key in self._mixed:
            self._mixed.move_to_end(key)
            return self._mixed[key]
        gt, dt = self.ground_truth, self.predictions
        levels = [self._level(float(value)) for value in distinct]
        # Each row's class's IoU, as an index into ``distinct``.
        which = np.searchsorted(distinct, class_iou)
        dt_which, gt_which = which[dt.label], which[gt.label]
        det_gt = np.empty(len(dt), np.int32)
        det_ignored = np.empty(len(dt), np.bool_)
        gt_det = np.empty(len(gt), np.int32)
        for index, one in enumerate(levels):
            dt_rows, gt_rows = dt_which == index, gt_which == index
            det_gt[dt_rows] = one.det_gt[dt_rows]
            det_ignored[dt_rows] = one.det_ignored[dt_rows]
            gt_det[gt_rows] = one.gt_det[gt_rows]
        level = _Level(float(distinct[0]), det_gt, det_ignored, gt_det, class_iou=class_iou)
        self._mixed[key] = level
        while len(self._mixed) > KEPT_OFF_GRID_THRESHOLDS:
            dropped, _ = self._mixed.popitem(last=False)
            for cached in [c for c in self._cache if c[:2] == ("ap", dropped)]:
                del self._cache[cached]
        return level

    def _level(self, iou: float) -> _Level:
        """The matching at ``iou``: the grid's, a kept off-grid one, or matched now from
        the kept pairs (and kept, dropping the least recently used beyond
        ``KEPT_OFF_GRID_THRESHOLDS``: any IoU is answered, never refused)."""
        iou = threshold_number(iou, "IoU threshold")
        kept = self._kept
        near = np.flatnonzero(np.abs(kept.grid - iou) <= _GRID_TOLERANCE)
        if near.size:
            k = int(near[0])
            return _Level(float(kept.grid[k]), kept.det_gt[k], kept.det_ignored[k], kept.gt_det[k])
        for value, level in self._off_grid.items():
            if abs(value - iou) <= _GRID_TOLERANCE:
                self._off_grid.move_to_end(value)
                return level
        if not 0.0 < iou <= 1.0:
            raise InputError(f"IoU threshold {iou} is not in (0, 1]")
        level = self._match_off_grid(float(iou))
        self._off_grid[level.iou] = level
        while len(self._off_grid) > KEPT_OFF_GRID_THRESHOLDS:
            dropped, _ = self._off_grid.popitem(last=False)
            for key in [key for key in self._cache if key[:2] == ("ap", dropped)]:
                del self._cache[key]
        return level

    def _match_off_grid(self, iou: float) -> _Level:
        """Matching at a threshold off the grid, from the kept same-class pairs. Below
        the grid's lowest threshold, the confusion candidates are the kept ones when
        they reach that low (the confusion pass skips those under the threshold), else
        found again from the boxes."""
        gt, dt, orders = self.ground_truth, self.predictions, self._orders
        kept = self._kept_with_cross()
        if self._dt_position is None:  # each prediction's place in the accumulation order
            self._dt_position = np.empty(len(dt), np.int32)
            self._dt_position[self._dt_order] = np.arange(len(dt), dtype=np.int32)
        matching = kernels.rematch(
            kept.pair_gt,
            kept.pair_dt,
            kept.pair_iou,
            dt.frame,
            dt.label,
            gt.iscrowd,
            iou,
            self._settings.rule,
            self._dt_position,
        )
        cross = None
        if float(kept.cross_floor) <= iou < float(kept.grid.min()):
            cross = (kept.cross_dt, kept.cross_gt, kept.cross_iou)
        elif iou < float(kept.grid.min()):
            pairs = _cross_class_pairs(gt, dt, orders, iou, self._settings, self._similarity)
            cross = _confusion_order(dt, orders.frame_rank, *pairs)
        return _Level(
            iou, matching.det_gt, matching.det_ignored, matching.gt_det, cross, matching.outcome
        )

    def _class_rows(
        self, classes: Sequence[int | str] | None, present: NDArray[np.bool_]
    ) -> NDArray[np.int32]:
        """Classes to report: the caller's, else those present in the selection."""
        if classes is not None:
            return self.classes.resolve(classes)
        return np.flatnonzero(present).astype(np.int32)

    # ----------------------------------------------------------------- queries
    def _counts(
        self, conf: Confidence, iou: IouThreshold, frames: Iterable[Any] | None
    ) -> tuple[kernels.OperatingPointCounts, NDArray[np.bool_], NDArray[np.bool_]]:
        """The counts at (conf, iou) over ``frames``, with that selection's prediction and
        ground-truth row masks."""
        level = self._level_for(iou)
        dt_sel, gt_sel = self._selection(frames)
        class_conf = self._class_conf(conf)
        # A report and a matrix at one operating point share their counts: the last few
        # all-frames counts are kept (read-only arrays, so no caller can change them).
        key = (level.key, class_conf.tobytes())
        if dt_sel is self._every_dt and key in self._recent_counts:
            self._recent_counts.move_to_end(key)
            return self._recent_counts[key], dt_sel, gt_sel
        everything = dt_sel is self._every_dt
        # Which classes a matrix shows is read from a report at confidence 0 (on every
        # query, the rows then staying put as the slider moves): those counts come from
        # the same pass when not kept yet.
        zero = np.zeros(len(self.classes))
        zero_key = (level.key, zero.tobytes())
        also = zero if everything and zero_key not in self._class_counts else None
        counts, at_zero = kernels.operating_point_counts(
            len(self.classes),
            self.predictions.label,
            self.predictions.score,
            None if dt_sel is self._every_dt else dt_sel,
            level.det_gt,
            level.det_ignored,
            self.ground_truth.label,
            gt_sel & self._gt_counted,
            level.gt_det,
            class_conf,
            None if also is None or zero_key == key else also,
        )
        if everything:
            for array in counts:
                array.flags.writeable = False
            if at_zero is not None:
                for array in at_zero:
                    array.flags.writeable = False
                _keep(self._class_counts, zero_key, at_zero, KEPT_CLASS_COUNTS)
            _keep(self._recent_counts, key, counts, KEPT_COUNTS)
            whole = kernels.ClassCounts(counts.tp, counts.fp, counts.fn)
            _keep(self._class_counts, key, whole, KEPT_CLASS_COUNTS)
        return counts, dt_sel, gt_sel

    def _tp_fp_fn(
        self, conf: Confidence, iou: IouThreshold, frames: Iterable[Any] | None
    ) -> tuple[kernels.ClassCounts, NDArray[np.bool_], NDArray[np.bool_]]:
        """Per-class (TP, FP, FN) at (conf, iou) over ``frames``: ``_counts`` without its
        row masks, so kept for many more operating points."""
        if frames is None:
            key = (self._level_for(iou).key, self._class_conf(conf).tobytes())
            if key in self._class_counts:
                self._class_counts.move_to_end(key)
                return self._class_counts[key], self._every_dt, self._every_gt
        counts, dt_sel, gt_sel = self._counts(conf, iou, frames)
        return kernels.ClassCounts(counts.tp, counts.fp, counts.fn), dt_sel, gt_sel

    def _present(self, dt_sel: NDArray[np.bool_], gt_sel: NDArray[np.bool_]) -> NDArray[np.bool_]:
        if dt_sel is self._every_dt and ("present",) in self._cache:
            return self._cache[("present",)]
        num = len(self.classes)
        has_gt = np.bincount(self.ground_truth.label[gt_sel & self._gt_counted], minlength=num)
        if dt_sel is self._every_dt:  # each class's run in the accumulation order
            has_dt = self._class_bounds[:, 1] - self._class_bounds[:, 0]
        else:
            has_dt = np.bincount(self.predictions.label[dt_sel], minlength=num)
        present = (has_gt > 0) | (has_dt > 0)
        if dt_sel is self._every_dt:
            self._cache[("present",)] = present
        return present

    def report(
        self,
        conf: Confidence = 0.0,
        iou: IouThreshold = 0.5,
        *,
        frames: Iterable[Any] | None = None,
        classes: Sequence[int | str] | None = None,
    ) -> ClassificationReport:
        """Per-class TP, FP, FN, precision, recall, F1, support and AP at (conf, iou).

        Without ``classes``, the rows are the classes with ground truth or predictions
        in the selected frames. ``ap`` is the class's AP at ``iou`` over all its
        predictions (the evaluation's interpolation; -1 without ground truth).
        """
        if self._settings.protocol == "labelbox":
            return self._labelbox_report(conf, iou, frames, classes)
        (tp, fp, fn), dt_sel, gt_sel = self._tp_fp_fn(conf, iou, frames)
        rows = self._class_rows(classes, self._present(dt_sel, gt_sel))
        ap = self._average_precision(self._level_for(iou), dt_sel, gt_sel, None)
        return ClassificationReport(
            labels=tuple(self.classes.names[rows].tolist()),
            tp=tp[rows],
            fp=fp[rows],
            fn=fn[rows],
            conf=self._conf_label(conf),
            iou=self._iou_label(iou),
            ap=ap[rows],
        )

    # -------------------------------------------------------------- Labelbox
    def _refuse_labelbox(self, what: str) -> None:
        if self._settings.protocol == "labelbox":
            raise InputError(
                f"{what} is not defined for protocol='labelbox' (its matching changes with "
                "the confidence threshold); it answers report(), confusion_matrix(), "
                "outcomes() and PR curves at LABELBOX_CONF_GRID"
            )

    def _labelbox_pairs(self) -> tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.float64]]:
        """Every (prediction, counted ground truth) pair of an image with IoU > 0, any
        classes, in Labelbox's order: decreasing IoU, then (ties, which its docs leave
        open) decreasing confidence, prediction row, ground-truth row."""
        if self._labelbox is None:
            kept, score = self._kept_with_cross(), self.predictions.score
            same = kept.pair_gt >= 0  # crowd and ignored rows take no part
            pair_dt = np.concatenate([kept.pair_dt[same], kept.cross_dt])
            pair_gt = np.concatenate([kept.pair_gt[same], kept.cross_gt])
            pair_iou = np.concatenate([kept.pair_iou[same], kept.cross_iou])
            order = np.lexsort((pair_gt, pair_dt, -score[pair_dt], -pair_iou))
            self._labelbox = (pair_dt[order], pair_gt[order], pair_iou[order])
        return self._labelbox

    def _labelbox_matching(
        self, conf: Confidence, iou: IouThreshold, frames: Iterable[Any] | None
    ) -> _LabelboxMatching:
        """Labelbox's matching at (conf, iou): predictions under ``conf`` discarded, the
        rest matched to ground truth greedily by decreasing IoU whatever the classes,
        a pair needing an IoU above ``iou`` (per class: the ground truth's class's)."""
        gt, dt = self.ground_truth, self.predictions
        num = len(self.classes)
        dt_sel, gt_sel = self._selection(frames)
        class_conf = self._class_conf(conf)
        class_iou = self._class_iou(iou)
        if class_iou is None:
            value = threshold_number(iou, "IoU threshold")
            if not 0.0 <= value <= 1.0:
                raise InputError(f"IoU threshold {value} is not in [0, 1]")
            class_iou = np.full(num, value)
        dt_kept = dt_sel & (dt.score >= class_conf[dt.label])
        pair_dt, pair_gt, pair_iou = self._labelbox_pairs()
        usable = dt_kept[pair_dt] & (pair_iou > class_iou[gt.label[pair_gt]])
        det_gt, gt_det = kernels.greedy_pairs(pair_dt, pair_gt, usable, len(dt), len(gt))
        # A (prediction, ground truth) pair is listed once: the usable ones that agree
        # with the matching are the matches.
        made = usable & (det_gt[pair_dt] == pair_gt)
        det_iou = np.zeros(len(dt), np.float64)
        det_iou[pair_dt[made]] = pair_iou[made]
        matched = np.flatnonzero(det_gt >= 0)
        same = gt.label[det_gt[matched]] == dt.label[matched]
        tp = np.bincount(dt.label[matched[same]], minlength=num)
        cross = matched[~same]
        return _LabelboxMatching(
            tp=tp,
            fp=np.bincount(dt.label[dt_kept], minlength=num) - tp,
            fn=np.bincount(gt.label[gt_sel & self._gt_counted], minlength=num) - tp,
            cross_dt=cross.astype(np.int32),
            cross_gt=det_gt[cross],
            dt_sel=dt_sel,
            gt_sel=gt_sel,
            det_gt=det_gt,
            gt_det=gt_det,
            det_iou=det_iou,
            dt_kept=dt_kept,
            class_iou=class_iou,
        )

    def _labelbox_outcomes(
        self,
        conf: Confidence,
        iou: IouThreshold,
        frames: Iterable[Any] | None,
        classes: Sequence[int | str] | None,
    ) -> Outcomes:
        """``outcomes`` under Labelbox's matching: a matched pair is a TP, or a class
        confusion on both sides; an unmatched prediction is a duplicate when a
        same-class ground truth above its IoU threshold was taken, a localization
        error when its best same-class IoU is above 0, else background; an unmatched
        ground truth is a localization miss when a kept same-class prediction overlaps
        it, else missed."""
        gt, dt, kept = self.ground_truth, self.predictions, self._kept
        lb = self._labelbox_matching(conf, iou, frames)
        wanted = np.zeros(len(self.classes), bool)
        wanted[self._class_rows(classes, np.ones(len(self.classes), bool))] = True
        dt_rows = np.flatnonzero(lb.dt_kept & wanted[dt.label])
        gt_rows = np.flatnonzero(lb.gt_sel & self._gt_counted & wanted[gt.label])
        # Predictions.
        partner_gt = lb.det_gt[dt_rows].astype(np.int64)
        has = partner_gt >= 0
        same = np.zeros(dt_rows.size, bool)
        same[has] = gt.label[partner_gt[has]] == dt.label[dt_rows[has]]
        best = kept.best_iou[dt_rows]
        above = best > lb.class_iou[dt.label[dt_rows]]
        dt_reason = np.select(
            [same, has, above, best > 0.0],
            [m.NO_REASON, m.CLASS_CONFUSION, m.DUPLICATE, m.LOCALIZATION],
            m.BACKGROUND_REASON,
        )
        dt_partner = np.where(has, partner_gt, kept.best_gt[dt_rows].astype(np.int64))
        dt_iou = np.where(has, lb.det_iou[dt_rows], np.where(dt_partner >= 0, best, 0.0))
        # Ground truth: the localization partner of a miss is its first same-class pair
        # (highest IoU, then confidence, then row) with a kept prediction.
        partner_dt = lb.gt_det[gt_rows].astype(np.int64)
        g_has = partner_dt >= 0
        g_same = np.zeros(gt_rows.size, bool)
        g_same[g_has] = dt.label[partner_dt[g_has]] == gt.label[gt_rows[g_has]]
        same_gt, same_dt = self._localization_pairs
        eligible = lb.dt_kept[same_dt]
        first_gt, first_at = np.unique(same_gt[eligible], return_index=True)
        localizer = np.full(len(gt), -1, np.int64)
        localizer[first_gt] = same_dt[eligible][first_at]
        near = localizer[gt_rows]
        gt_reason = np.select(
            [g_same, g_has, near >= 0], [m.NO_REASON, m.CLASS_CONFUSION, m.LOCALIZATION], m.MISSED
        )
        gt_partner = np.where(g_has, partner_dt, near)
        gt_iou = np.zeros(gt_rows.size, np.float64)
        matched_at = np.flatnonzero(g_has)
        gt_iou[matched_at] = lb.det_iou[partner_dt[matched_at]]
        near_at = np.flatnonzero(~g_has & (near >= 0))
        if near_at.size:
            gt_iou[near_at] = self._pair_iou(near[near_at], gt_rows[near_at])

        def partner_of(values: NDArray[Any], rows: NDArray[np.int64]) -> Any:
            out = np.full(rows.size, -1, values.dtype)
            out[rows >= 0] = values[rows[rows >= 0]]
            return out

        return Outcomes(
            class_names=self.labels,
            kind_code=np.repeat(
                np.array([m.PREDICTION, m.GROUND_TRUTH], np.int8), [dt_rows.size, gt_rows.size]
            ),
            id=np.concatenate([dt.ids[dt_rows], gt.ids[gt_rows]]),
            frame_id=np.concatenate(
                [gt.frame_ids[dt.frame[dt_rows]], gt.frame_ids[gt.frame[gt_rows]]]
            ),
            label_index=np.concatenate([dt.label[dt_rows], gt.label[gt_rows]]).astype(np.int32),
            confidence=np.concatenate([dt.score[dt_rows], np.full(gt_rows.size, np.nan)]),
            outcome_code=np.concatenate(
                [np.where(same, m.TP, m.FP), np.where(g_same, m.TP, m.FN)]
            ).astype(np.int8),
            reason_code=np.concatenate([dt_reason, gt_reason]).astype(np.int8),
            partner_id=np.concatenate(
                [partner_of(gt.ids, dt_partner), partner_of(dt.ids, gt_partner)]
            ),
            partner_label_index=np.concatenate(
                [partner_of(gt.label, dt_partner), partner_of(dt.label, gt_partner)]
            ).astype(np.int32),
            iou=np.concatenate([dt_iou, gt_iou]),
            area=np.concatenate([self._dt_area[dt_rows], self._gt_area[gt_rows]]),
            conf=self._conf_label(conf),
            iou_threshold=self._iou_label(iou),
        )

    def _pair_iou(self, dt_rows: NDArray[np.int64], gt_rows: NDArray[np.int64]) -> Any:
        """The similarity (box IoU without one) of row pairs, counted ground truth."""
        if self._similarity is not None:
            return checked_pair_values(self._similarity, dt_rows, gt_rows)
        return kernels.pair_ious(
            self.predictions.box[dt_rows], self.ground_truth.box[gt_rows],
            np.zeros(dt_rows.size, bool), self._settings.pixel_inclusive,
        )  # fmt: skip

    def _labelbox_curves(
        self, rows: Iterable[int | None], iou: IouThreshold, frames: Iterable[Any] | None
    ) -> list[PRCurve]:
        """PR curves under Labelbox's matching, which changes with the confidence
        threshold: matched again at each of ``LABELBOX_CONF_GRID`` (highest first).
        ``ap`` is -1: Labelbox defines none."""
        grid = LABELBOX_CONF_GRID[::-1]
        counts = [self._labelbox_matching(float(c), iou, frames) for c in grid]
        tp = np.stack([one.tp for one in counts]).astype(np.float64)
        fp = np.stack([one.fp for one in counts]).astype(np.float64)
        positives = (counts[0].tp + counts[0].fn).astype(np.float64)
        curves = []
        for c in rows:
            if c is None:
                t, f, npos, name = tp.sum(axis=1), fp.sum(axis=1), positives.sum(), "all"
            else:
                t, f, npos, name = tp[:, c], fp[:, c], positives[c], str(self.classes.names[c])
            curves.append(
                PRCurve(
                    label=name,
                    thresholds=grid.copy(),
                    precision=safe_divide(t, t + f),
                    recall=safe_divide(t, np.asarray(float(npos))),
                    ap=-1.0,
                    iou=self._iou_label(iou),
                )
            )
        return curves

    def _labelbox_report(
        self,
        conf: Confidence,
        iou: IouThreshold,
        frames: Iterable[Any] | None,
        classes: Sequence[int | str] | None,
    ) -> ClassificationReport:
        matching = self._labelbox_matching(conf, iou, frames)
        rows = self._class_rows(classes, self._present(matching.dt_sel, matching.gt_sel))
        return ClassificationReport(
            labels=tuple(self.classes.names[rows].tolist()),
            tp=matching.tp[rows],
            fp=matching.fp[rows],
            fn=matching.fn[rows],
            conf=self._conf_label(conf),
            iou=self._iou_label(iou),
        )

    def _candidates(
        self, iou: IouThreshold
    ) -> tuple[tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.float64]], float]:
        """The confusion candidates for ``iou``, sorted for the confusion pass, and the
        threshold the pass applies to them. With per-class IoUs a (prediction, ground
        truth) pair needs the ground truth's class IoU: the candidates down to the lowest
        are filtered by that (the pass then applies the lowest)."""
        level = self._level_for(iou)
        level = self._level(level.iou) if level.class_iou is not None else level
        pairs = self._cross if level.cross is None else level.cross
        class_iou = self._class_iou(iou)
        if class_iou is not None:
            pair_dt, pair_gt, pair_iou = pairs
            keep = pair_iou >= class_iou[self.ground_truth.label[pair_gt]]
            pairs = (pair_dt[keep], pair_gt[keep], pair_iou[keep])
        return pairs, level.iou

    def _confusions(
        self, iou: IouThreshold, dt_is_fp: NDArray[np.bool_], gt_is_fn: NDArray[np.bool_]
    ) -> tuple[NDArray[np.int32], NDArray[np.int32]]:
        (pair_dt, pair_gt, pair_iou), threshold = self._candidates(iou)
        return kernels.assign_confusions(
            pair_dt, pair_gt, pair_iou, dt_is_fp, gt_is_fn, threshold,
            len(self.predictions), len(self.ground_truth),
        )  # fmt: skip

    def confusion_matrix(
        self,
        conf: Confidence = 0.0,
        iou: IouThreshold = 0.5,
        *,
        frames: Iterable[Any] | None = None,
        classes: Sequence[int | str] | None = None,
    ) -> ConfusionMatrix:
        """Rows ground truth, columns predictions, with a background row and column.

        The diagonal is each class's TP. After class-aware matching, each remaining
        false positive (in descending score order) takes the remaining missed ground
        truth of another class it overlaps most with IoU >= ``iou``: that pair is one
        count in the off-diagonal cell (truth class, predicted class). Missed ground
        truth left over is counted in the background column, false positives left over
        in the background row. Row sums are ground-truth counts; column sums are the
        numbers of predictions at or above ``conf`` (crowd and ignored matches aside).
        With ``classes``, only those rows and columns (and background) are shown.

        With ``protocol="labelbox"`` the off-diagonal cells are the pairs Labelbox's
        class-agnostic matching made between classes (see ``evaluate``).
        """
        if self._settings.protocol == "labelbox":
            matching = self._labelbox_matching(conf, iou, frames)
            tp, fp, fn = matching.tp, matching.fp, matching.fn
            confused_dt, confused_gt = matching.cross_dt, matching.cross_gt
            dt_sel, gt_sel = matching.dt_sel, matching.gt_sel
        else:
            (tp, fp, fn, dt_is_fp, gt_is_fn), dt_sel, gt_sel = self._counts(conf, iou, frames)
            candidates, threshold = self._candidates(iou)
            confused_dt, confused_gt = kernels.confused_pairs(
                *candidates, dt_is_fp, gt_is_fn, threshold
            )
        num = len(self.classes)
        rows = self._class_rows(classes, self._present(dt_sel, gt_sel))
        truth = self.ground_truth.label[confused_gt].astype(np.int64)
        predicted = self.predictions.label[confused_dt].astype(np.int64)
        # Only the shown cells are built, through an index map (class -> shown position,
        # -1 when not shown): a matrix over the whole class list would cost its square
        # whatever the data uses. Off-diagonal pairs still come off every class's
        # background cells, shown or not.
        off = truth != predicted
        confused_of_truth = np.bincount(truth[off], minlength=num)
        confused_as = np.bincount(predicted[off], minlength=num)
        size = rows.size
        position = np.full(num, -1, np.int64)
        position[rows] = np.arange(size)
        matrix = np.zeros((size + 1, size + 1), np.int64)
        matrix[np.arange(size), np.arange(size)] = tp[rows]
        truth_at, predicted_at = position[truth], position[predicted]
        inside = (truth_at >= 0) & (predicted_at >= 0)
        np.add.at(matrix, (truth_at[inside], predicted_at[inside]), 1)
        matrix[:size, size] = fn[rows] - confused_of_truth[rows]
        matrix[size, :size] = fp[rows] - confused_as[rows]
        return ConfusionMatrix(
            labels=(*self.classes.names[rows].tolist(), BACKGROUND),
            matrix=matrix,
            conf=self._conf_label(conf),
            iou=self._iou_label(iou),
        )

    def outcomes(
        self,
        conf: Confidence = 0.0,
        iou: IouThreshold = 0.5,
        *,
        frames: Iterable[Any] | None = None,
        classes: Sequence[int | str] | None = None,
    ) -> Outcomes:
        """Each counted object's outcome, reason, partner and IoU at (conf, iou).

        Reasons, in order of precedence. A false positive is a ``class_confusion``
        when the confusion matrix pairs it with another class's missed ground truth;
        a ``duplicate`` when a same-class ground truth it overlaps with IoU >= ``iou``
        was already taken by a higher-confidence prediction; ``localization`` when its
        best same-class IoU is above 0 but below ``iou``; else ``background``. A false
        negative is a ``class_confusion`` when paired in the matrix; ``localization``
        when a same-class prediction at or above ``conf`` overlaps it (IoU > 0); else
        ``missed``.
        """
        if self._settings.protocol == "labelbox":
            return self._labelbox_outcomes(conf, iou, frames, classes)
        level = self._level_for(iou)
        gt, dt, kept = self.ground_truth, self.predictions, self._kept
        counts, dt_sel, gt_sel = self._counts(conf, iou, frames)
        dt_conf_gt, gt_conf_dt = self._confusions(iou, counts.dt_is_fp, counts.gt_is_fn)
        wanted = np.zeros(len(self.classes), bool)
        wanted[self._class_rows(classes, np.ones(len(self.classes), bool))] = True
        same_gt, same_dt = self._localization_pairs
        rows = kernels.outcomes(
            dt.label, dt.score, dt_sel, level.det_gt, level.det_ignored,
            kept.best_gt, kept.best_iou, dt_conf_gt, self._class_conf(conf), wanted,
            gt.label, gt_sel & self._gt_counted, level.gt_det, counts.gt_is_fn,
            gt_conf_dt, same_gt, same_dt, dt.box, gt.box, gt.iscrowd,
            self._settings.protocol == "coco", self._settings.pixel_inclusive, level.iou,
        )  # fmt: skip
        split = rows.num_predictions
        if level.class_iou is not None:
            # A duplicate overlaps a taken ground truth at its own class's IoU, which the
            # kernel (at the lowest) could not tell from a localization error.
            at = np.flatnonzero(np.isin(rows.reason[:split], (m.DUPLICATE, m.LOCALIZATION)))
            d = rows.row[at]
            limit = np.minimum(level.class_iou[dt.label[d]], 1.0 - 1e-10)
            rows.reason[at] = np.where(kept.best_iou[d] >= limit, m.DUPLICATE, m.LOCALIZATION)
        if self._similarity is not None:  # the kernel measured the partners' boxes
            partnered = np.flatnonzero(rows.partner >= 0)
            is_dt = partnered < split
            pair_dt = np.where(is_dt, rows.row[partnered], rows.partner[partnered])
            pair_gt = np.where(is_dt, rows.partner[partnered], rows.row[partnered])
            rows.iou[partnered] = checked_pair_values(self._similarity, pair_dt, pair_gt)
        dt_rows, gt_rows = rows.row[:split], rows.row[split:]
        dt_partner, gt_partner = rows.partner[:split], rows.partner[split:]
        dt_has, gt_has = dt_partner >= 0, gt_partner >= 0

        def partner(values: NDArray[Any], rows: NDArray[np.int64], has: NDArray[np.bool_]) -> Any:
            # -1 where there is none (a side may have no rows at all).
            out = np.full(rows.size, -1, values.dtype)
            out[has] = values[rows[has]]
            return out

        return Outcomes(
            class_names=self.labels,
            kind_code=np.repeat(
                np.array([m.PREDICTION, m.GROUND_TRUTH], np.int8), [split, gt_rows.size]
            ),
            id=np.concatenate([dt.ids[dt_rows], gt.ids[gt_rows]]),
            frame_id=np.concatenate(
                [gt.frame_ids[dt.frame[dt_rows]], gt.frame_ids[gt.frame[gt_rows]]]
            ),
            label_index=np.concatenate([dt.label[dt_rows], gt.label[gt_rows]]).astype(np.int32),
            confidence=np.concatenate([dt.score[dt_rows], np.full(gt_rows.size, np.nan)]),
            outcome_code=rows.outcome,
            reason_code=rows.reason,
            partner_id=np.concatenate(
                [partner(gt.ids, dt_partner, dt_has), partner(dt.ids, gt_partner, gt_has)]
            ),
            partner_label_index=np.concatenate(
                [partner(gt.label, dt_partner, dt_has), partner(dt.label, gt_partner, gt_has)]
            ).astype(np.int32),
            iou=rows.iou,
            area=np.concatenate([self._dt_area[dt_rows], self._gt_area[gt_rows]]),
            conf=self._conf_label(conf),
            iou_threshold=self._iou_label(iou),
        )

    # ----------------------------------------------------------- curves and AP
    def _num_positive(self, gt_sel: NDArray[np.bool_]) -> NDArray[np.int64]:
        counted = gt_sel & self._gt_counted
        return np.bincount(self.ground_truth.label[counted], minlength=len(self.classes))

    def _average_precision(
        self,
        level: _Level,
        dt_sel: NDArray[np.bool_],
        gt_sel: NDArray[np.bool_],
        interpolation: Interpolation | None,
    ) -> NDArray[np.float64]:
        method = interpolation or self._settings.interpolation
        if method not in _INTERPOLATIONS:
            raise InputError(
                f"unknown interpolation {shown(method)}; use one of "
                + ", ".join(repr(name) for name in _INTERPOLATIONS)
            )
        key = ("ap", level.key, method)
        if dt_sel is self._every_dt and key in self._cache:
            return self._cache[key]
        points = VOC11_RECALL_POINTS if method == "voc11" else COCO_RECALL_POINTS
        ap = kernels.average_precision_by_class(
            self._dt_order, self._class_bounds, None if dt_sel is self._every_dt else dt_sel,
            level.det_gt, level.det_ignored, self._num_positive(gt_sel), _INTERPOLATIONS[method],
            points, level.outcome if dt_sel is self._every_dt else None,
        )  # fmt: skip
        if dt_sel is self._every_dt:
            self._cache[key] = ap
        return ap

    def average_precision(
        self,
        iou: IouThreshold = 0.5,
        *,
        interpolation: Interpolation | None = None,
        frames: Iterable[Any] | None = None,
        classes: Sequence[int | str] | None = None,
    ) -> dict[str, float]:
        """AP of each class at one IoU threshold, over all predictions (no per-frame cap,
        no area range), and ``"mAP"``, the mean over classes with ground truth.

        ``interpolation``: ``"coco101"`` (COCO's 101 recall points), ``"voc_all"``
        (area under the precision envelope, VOC 2010+) or ``"voc11"`` (VOC 2007's 11
        points). The default follows the protocol. -1 marks a class without ground truth.
        """
        self._refuse_labelbox("average_precision()")
        dt_sel, gt_sel = self._selection(frames)
        ap = self._average_precision(self._level_for(iou), dt_sel, gt_sel, interpolation)
        rows = self._class_rows(classes, self._present(dt_sel, gt_sel))
        out = {
            name: float(ap[r])
            for name, r in zip(self.classes.names[rows].tolist(), rows, strict=True)
        }
        valid = ap[rows][ap[rows] > -1]
        out["mAP"] = float(valid.mean()) if valid.size else -1.0
        return out

    def resampled_average_precision(
        self,
        weights: NDArray[Any],
        *,
        iou: IouThreshold = 0.5,
        classes: Sequence[int | str] | None = None,
        interpolation: Interpolation | None = None,
    ) -> NDArray[np.float64]:
        """AP of each class (columns: ``classes``, default every class) in resampled
        frame multisets, without matching again: ``weights`` (R, F) says how many times
        each frame (in ``frame_ids`` order; 0 leaves it out) is drawn in each of R
        replicates. Each prediction and counted ground truth of a frame counts that many
        times, as if the frame were duplicated (tied scores of one frame stay together).
        -1 marks a class without counted ground truth in a replicate. A row of ones gives
        :meth:`average_precision` (bit for bit); a row marking a selection gives its AP
        over those frames."""
        self._refuse_labelbox("resampled_average_precision()")
        weights = m.frame_weights(weights, self.num_frames)
        method = interpolation or self._settings.interpolation
        if method not in _INTERPOLATIONS:
            raise InputError(
                f"unknown interpolation {shown(method)}; use one of "
                + ", ".join(repr(name) for name in _INTERPOLATIONS)
            )
        level = self._level_for(iou)
        order, dt, gt = self._dt_order, self.predictions, self.ground_truth
        if level.outcome is not None:
            code = level.outcome
        else:
            code = np.where(
                level.det_ignored[order],
                kernels.IGNORED,
                (level.det_gt[order] >= 0).astype(np.uint8),
            ).astype(np.uint8)
        rows = self._class_rows(classes, np.ones(len(self.classes), bool))
        counted = self._gt_counted
        per_frame = np.zeros((self.num_frames, len(self.classes)), np.float64)
        np.add.at(per_frame, (gt.frame[counted], gt.label[counted]), 1.0)
        positives = weights @ per_frame[:, rows]
        bounds = self._class_bounds[rows]
        points = VOC11_RECALL_POINTS if method == "voc11" else COCO_RECALL_POINTS
        return kernels.resampled_average_precision(
            code, dt.frame[order], bounds, weights, positives, _INTERPOLATIONS[method], points
        )

    def pr_curve(
        self,
        label: str | int | None = None,
        *,
        iou: IouThreshold = 0.5,
        frames: Iterable[Any] | None = None,
    ) -> PRCurve:
        """Precision and recall at every distinct confidence for one class, or for all
        classes pooled (``label=None``: micro-averaged, labelled ``"all"``)."""
        row = None if label is None else int(self.classes.resolve([label])[0])
        return self._curves([row], iou, frames)[0]

    def _curves(
        self, rows: Iterable[int | None], iou: IouThreshold, frames: Iterable[Any] | None
    ) -> list[PRCurve]:
        """The PR curve of each class row (``None``: all classes pooled), sharing one
        selection, one positive count and one AP computation."""
        if self._settings.protocol == "labelbox":
            return self._labelbox_curves(rows, iou, frames)
        level = self._level_for(iou)
        dt_sel, gt_sel = self._selection(frames)
        positives = self._num_positive(gt_sel)
        ap_by_class = self._average_precision(level, dt_sel, gt_sel, None)
        det_gt, det_ignored = level.det_gt, level.det_ignored
        score = self.predictions.score
        curves = []
        for c in rows:
            if c is None:
                order = np.lexsort((np.arange(len(self.predictions)), -score))
                start, end, npos = 0, order.size, int(positives.sum())
                valid = ap_by_class[ap_by_class > -1]
                ap = float(valid.mean()) if valid.size else -1.0
                name = "all"
            else:
                order = self._dt_order
                start, end = (int(bound) for bound in self._class_bounds[c])
                npos, ap, name = (
                    int(positives[c]),
                    float(ap_by_class[c]),
                    str(self.classes.names[c]),
                )
            thresholds, tp, fp = kernels.cumulative_curve(
                order, start, end, dt_sel, det_gt, det_ignored, score
            )
            curves.append(
                PRCurve(
                    label=name,
                    thresholds=thresholds,
                    precision=safe_divide(tp, tp + fp),
                    recall=safe_divide(tp, np.asarray(float(npos))),
                    ap=ap,
                    iou=self._iou_label(iou),
                )
            )
        return curves

    def _curve_rows(
        self, frames: Iterable[Any] | None, classes: Sequence[int | str] | None
    ) -> list[int]:
        dt_sel, gt_sel = self._selection(frames)
        return [int(r) for r in self._class_rows(classes, self._present(dt_sel, gt_sel))]

    def pr_curves(
        self,
        *,
        iou: IouThreshold = 0.5,
        frames: Iterable[Any] | None = None,
        classes: Sequence[int | str] | None = None,
    ) -> dict[str, PRCurve]:
        """``pr_curve`` of each class (present ones unless ``classes``), plus ``"all"``."""
        rows: list[int | None] = [*self._curve_rows(frames, classes), None]
        return {curve.label: curve for curve in self._curves(rows, iou, frames)}

    def best_thresholds(
        self,
        *,
        iou: IouThreshold = 0.5,
        frames: Iterable[Any] | None = None,
        classes: Sequence[int | str] | None = None,
    ) -> dict[str, ThresholdChoice]:
        """For each class, the confidence threshold with the highest F1 at ``iou``: a
        suggested per-class deployment threshold (pass the result's ``conf`` values back
        as a per-class ``conf``)."""
        curves = self._curves(self._curve_rows(frames, classes), iou, frames)
        return {curve.label: curve.best() for curve in curves}

    # ------------------------------------------------------------------ COCO
    def coco_summary(
        self,
        *,
        frames: Iterable[Any] | None = None,
        classes: Sequence[int | str] | None = None,
    ) -> CocoSummary:
        """The 12 COCO statistics exactly as pycocotools' ``COCOeval`` computes them.

        Classes without counted ground truth are -1 and left out of the means; with
        ``classes``, the means cover only those classes. The means run over classes in
        ascending class id (pycocotools' order), so the statistics do not depend on the
        order the evaluation lists its classes in; ``labels`` and the per-class arrays
        keep that order. Raises ``ShoalError`` for ``protocol="voc"``
        (``has_coco_summary`` is False).
        """
        if self._settings.protocol != "coco":
            raise ShoalError("coco_summary() needs an evaluation with protocol='coco'")
        if frames is None and classes is None:
            # Kept: the COCO matchings never change, and a CLI or a server asks again.
            if self._summary is None:
                self._summary = self._coco_summary(None, None)
                for array in (self._summary.precision, self._summary.recall):
                    array.flags.writeable = False
            return replace(self._summary, stats=dict(self._summary.stats))
        return self._coco_summary(frames, classes)

    def _coco_summary(
        self, frames: Iterable[Any] | None, classes: Sequence[int | str] | None
    ) -> CocoSummary:
        gt = self.ground_truth
        dt_sel, gt_sel = self._selection(frames)
        counted = gt_sel & self._gt_counted
        num_classes = len(self.classes)
        params = self._settings.params
        ranges = params.area_ranges
        # The kernel takes three caps: fewer are padded with the last, then cut off.
        num_caps = len(params.max_dets)
        caps = np.asarray([*params.max_dets, *[params.max_dets[-1]] * (3 - num_caps)], np.int64)
        num_counted = np.stack(
            [
                np.bincount(
                    gt.label[counted & (gt.area >= lo) & (gt.area <= hi)], minlength=num_classes
                )
                for lo, hi in ranges
            ]
        ).astype(np.int64)
        precision, recall = kernels.coco_accumulate(
            self._class_bounds, self._dt_order, self._dt_rank, self.predictions.area,
            None if dt_sel is self._every_dt else dt_sel,
            self._kept.coco_status, num_counted, ranges, caps, COCO_RECALL_POINTS,
        )  # fmt: skip
        if num_caps < 3:
            precision, recall = precision[..., :num_caps], recall[..., :num_caps]
        rows = self.classes.resolve(classes) if classes is not None else np.arange(num_classes)
        # The means run over classes in ascending id, as pycocotools sorts its category
        # ids: a float sum depends on its order, and the class order differs between
        # paths (a COCO file's, a project's), so this keeps the statistics bit-identical
        # to pycocotools' whatever the evaluation's class order.
        stats = _summarize(
            precision, recall, rows[np.argsort(self.classes.ids[rows], kind="stable")], params
        )
        if classes is not None:  # every class in order needs no (7.8 MB at 80 classes) copy
            precision, recall = precision[:, :, rows], recall[:, rows]
        last = num_caps - 1
        per_class_p = np.where(
            precision[:, :, :, 0, last] > -1, precision[:, :, :, 0, last], np.nan
        )

        def class_mean(values: NDArray[np.float64], axes: tuple[int, ...]) -> NDArray[np.float64]:
            valid = ~np.isnan(values)
            total = np.where(valid, values, 0.0).sum(axis=axes)
            count = valid.sum(axis=axes)
            return np.where(count > 0, total / np.maximum(count, 1), -1.0)

        t50 = int(np.flatnonzero(np.abs(COCO_IOU_THRESHOLDS - 0.5) < 1e-12)[0])
        t75 = int(np.flatnonzero(np.abs(COCO_IOU_THRESHOLDS - 0.75) < 1e-12)[0])
        rec100 = np.where(recall[:, :, 0, last] > -1, recall[:, :, 0, last], np.nan)
        return CocoSummary(
            stats=stats,
            labels=tuple(self.classes.names[rows].tolist()),
            class_ap=class_mean(per_class_p, (0, 1)),
            class_ap50=class_mean(per_class_p[t50], (0,)),
            class_ap75=class_mean(per_class_p[t75], (0,)),
            class_ar100=class_mean(rec100, (0,)),
            precision=precision,
            recall=recall,
            params=params,
        )

    # ------------------------------------------------------------ persistence
    def kept_state(self) -> dict[str, NDArray[Any]]:
        """What matching left behind, as named arrays (to save and reload without
        matching again; see ``from_kept_state``). Inputs are not included."""
        kept = self._kept_with_cross()
        state: dict[str, NDArray[Any]] = {f.name: getattr(kept, f.name) for f in fields(_Kept)}
        state["protocol"] = np.asarray(self._settings.protocol)
        state["pixel_inclusive"] = np.asarray(self._settings.pixel_inclusive)
        params = self._settings.params
        state["coco_iou_type"] = np.asarray(params.iou_type)
        state["coco_area_names"] = np.asarray(params.area_names)
        state["coco_area_ranges"] = params.area_ranges
        state["coco_max_dets"] = np.asarray(params.max_dets, np.int64)
        return state

    @classmethod
    def from_kept_state(
        cls,
        ground_truth: GroundTruth,
        predictions: Predictions,
        state: Mapping[str, NDArray[Any]],
        *,
        similarity: PairSimilarity | None = None,
    ) -> DetectionEvaluation:
        """The evaluation whose ``kept_state()`` this was, on the same inputs (and the
        same ``similarity``, which queries at IoUs below the kept candidates and
        ``outcomes`` measure pairs with). A state saved before ``cross_floor`` was kept
        holds its confusion candidates at the grid's lowest threshold, unsorted: they are
        sorted here (queries below the grid find theirs from the boxes). A state saved
        before its COCO params were kept is the box protocol's."""
        try:
            arrays = {
                f.name: np.asarray(state[f.name]) for f in fields(_Kept) if f.name != "cross_floor"
            }
            saved_floor = state.get("cross_floor")
            protocol = str(state["protocol"])
            settings = _Settings(
                protocol if protocol in PROTOCOLS else "voc",
                bool(state["pixel_inclusive"]),
                _saved_params(state),
            )
        except KeyError as missing:
            raise ShoalError(f"saved evaluation state lacks {missing}") from None
        orders = None
        if saved_floor is None:
            orders = _orders(ground_truth, predictions)
            pairs = (arrays["cross_dt"], arrays["cross_gt"], arrays["cross_iou"])
            if pairs[0].size and int(pairs[0].max()) >= len(predictions):
                raise ShoalError("saved evaluation state does not fit these inputs")
            ordered = _confusion_order(predictions, orders.frame_rank, *pairs)
            arrays["cross_dt"], arrays["cross_gt"], arrays["cross_iou"] = ordered
            saved_floor = arrays["grid"].min()
        kept = _Kept(**arrays, cross_floor=np.asarray(saved_floor, dtype=np.float64))
        if kept.det_gt.shape[1:] != (len(predictions),) or kept.gt_det.shape[1:] != (
            len(ground_truth),
        ):
            raise ShoalError("saved evaluation state does not fit these inputs")
        return cls(ground_truth, predictions, kept, settings, orders, similarity)

    # ----------------------------------------------------------------- merge
    def merge(self, other: DetectionEvaluation) -> DetectionEvaluation:
        """The evaluation of both frame sets (they must not share a frame)."""
        return DetectionEvaluation.merge_all([self, other])

    @staticmethod
    def merge_all(evaluations: Sequence[DetectionEvaluation]) -> DetectionEvaluation:
        """Concatenate the evaluations of disjoint frame sets into the evaluation of their
        union; equal to evaluating the union directly."""
        if not evaluations:
            raise ShoalError("merge_all() needs at least one evaluation")
        first = evaluations[0]
        for other in evaluations[1:]:
            if other._settings != first._settings:
                raise ShoalError("cannot merge evaluations made with different protocols")
            if not np.array_equal(other.classes.ids, first.classes.ids):
                raise ShoalError("cannot merge evaluations with different classes")
            if not np.array_equal(other._kept.grid, first._kept.grid):
                raise ShoalError("cannot merge evaluations with different IoU grids")
        gts = [e.ground_truth for e in evaluations]
        dts = [e.predictions for e in evaluations]
        frame_offsets = np.cumsum([0] + [g.num_frames for g in gts])
        gt_offsets = np.cumsum([0] + [len(g) for g in gts])
        dt_offsets = np.cumsum([0] + [len(d) for d in dts])
        frame_ids = np.concatenate([g.frame_ids for g in gts])
        if np.unique(frame_ids).size != frame_ids.size:
            raise ShoalError("cannot merge evaluations that share frames")
        ground_truth = GroundTruth(
            frame_ids=frame_ids,
            classes=first.classes,
            frame=np.concatenate(
                [g.frame + o for g, o in zip(gts, frame_offsets, strict=False)]
            ).astype(np.int32),
            label=np.concatenate([g.label for g in gts]),
            box=np.concatenate([g.box for g in gts]).reshape(-1, 4),
            area=np.concatenate([g.area for g in gts]),
            iscrowd=np.concatenate([g.iscrowd for g in gts]),
            ignore=np.concatenate([g.ignore for g in gts]),
            ids=np.concatenate([g.ids for g in gts]),
        )
        predictions = Predictions(
            frame=np.concatenate(
                [d.frame + o for d, o in zip(dts, frame_offsets, strict=False)]
            ).astype(np.int32),
            label=np.concatenate([d.label for d in dts]),
            box=np.concatenate([d.box for d in dts]).reshape(-1, 4),
            score=np.concatenate([d.score for d in dts]),
            ids=np.concatenate([d.ids for d in dts]),
            area=np.concatenate([d.area for d in dts]),
        )
        similarities = [e._similarity for e in evaluations]
        similarity: PairSimilarity | None = None
        if any(s is not None for s in similarities):
            if any(s is None for s in similarities):
                raise ShoalError("cannot merge box evaluations with evaluations on a similarity")
            similarity = ConcatenatedSimilarity(
                [s for s in similarities if s is not None], gt_offsets, dt_offsets
            )

        def shifted(values: NDArray[Any], offset: int) -> NDArray[Any]:
            return np.where(values >= 0, values + offset, values).astype(values.dtype)

        def shifted_pairs(values: NDArray[Any], offset: int) -> NDArray[Any]:
            # Rows of ignored ground truth are held as -(row + 1).
            return np.where(values >= 0, values + offset, values - offset).astype(values.dtype)

        kept_parts = [e._kept_with_cross() for e in evaluations]
        # The candidates every part kept: down to the highest of their floors.
        floor = max(float(k.cross_floor) for k in kept_parts)
        pieces: dict[str, Any] = {
            "grid": first._kept.grid,
            "cross_floor": np.asarray(floor, dtype=np.float64),
        }
        for f in fields(_Kept):
            name = f.name
            if name in ("grid", "cross_floor"):
                continue
            arrays = [getattr(k, name) for k in kept_parts]
            if name.startswith("cross_"):
                arrays = [a[k.cross_iou >= floor] for a, k in zip(arrays, kept_parts, strict=True)]
            if name == "pair_gt":
                arrays = [
                    shifted_pairs(a, int(o)) for a, o in zip(arrays, gt_offsets, strict=False)
                ]
            elif name in ("det_gt", "best_gt", "cross_gt"):
                arrays = [shifted(a, int(o)) for a, o in zip(arrays, gt_offsets, strict=False)]
            elif name in ("gt_det", "pair_dt", "cross_dt"):
                arrays = [shifted(a, int(o)) for a, o in zip(arrays, dt_offsets, strict=False)]
            pieces[name] = np.concatenate(arrays, axis=0 if name == "coco_status" else -1)
        # Each part's candidates are in its own confusion order; the union's interleaves them.
        orders = _orders(ground_truth, predictions)
        pieces["cross_dt"], pieces["cross_gt"], pieces["cross_iou"] = _confusion_order(
            predictions,
            orders.frame_rank,
            pieces["cross_dt"],
            pieces["cross_gt"],
            pieces["cross_iou"],
        )
        return DetectionEvaluation(
            ground_truth, predictions, _Kept(**pieces), first._settings, orders, similarity
        )


def _saved_params(state: Mapping[str, NDArray[Any]]) -> CocoParams:
    if "coco_iou_type" not in state:
        return CocoParams.bbox()
    base = CocoParams.for_iou_type(str(state["coco_iou_type"]))
    return replace(
        base,
        area_names=tuple(str(name) for name in np.asarray(state["coco_area_names"]).tolist()),
        area_bounds=tuple(
            (float(lo), float(hi)) for lo, hi in np.asarray(state["coco_area_ranges"]).tolist()
        ),
        max_dets=tuple(int(cap) for cap in np.asarray(state["coco_max_dets"]).tolist()),
    )


def _summarize(
    precision: NDArray[np.float64],
    recall: NDArray[np.float64],
    classes: NDArray[np.integer],
    params: CocoParams,
) -> dict[str, float]:
    """pycocotools' ``summarize`` over ``classes`` (in that order): means over the
    entries above -1, taken in pycocotools' (IoU, recall point, class) order."""

    def mean(values: NDArray[np.float64]) -> float:
        valid = values[values > -1]
        return float(np.mean(valid)) if valid.size else -1.0

    stats = {}
    for stat in params.stats:
        ious = slice(None)
        if stat.iou is not None:
            t = int(np.flatnonzero(np.abs(COCO_IOU_THRESHOLDS - stat.iou) < 1e-12)[0])
            ious = slice(t, t + 1)
        area = params.area_names.index(stat.area)
        cap = params.max_dets.index(stat.max_dets)
        # The scalar indices sit next to ``classes``: the axes stay (IoU, recall, class).
        if stat.kind == "AP":
            stats[stat.name] = mean(precision[ious, :, classes, area, cap])
        else:
            stats[stat.name] = mean(recall[ious, classes, area, cap])
    return stats


def evaluate(
    ground_truth: GroundTruth,
    predictions: Predictions,
    *,
    iou_thresholds: ArrayLike | None = None,
    protocol: Protocol = "coco",
    pixel_inclusive: bool = False,
    confusion_floor: float | None = None,
    similarity: PairSimilarity | None = None,
    params: CocoParams | None = None,
) -> DetectionEvaluation:
    """Match ``predictions`` against ``ground_truth`` at every IoU threshold of the grid.

    ``protocol``: ``"coco"`` (each prediction, by descending score, takes the best
    still-unmatched ground truth; pycocotools' rules for crowds, area ranges and
    maxDets) or ``"voc"`` (each prediction takes its best ground truth and is a
    duplicate if that one is taken; VOC all-point AP by default) or ``"labelbox"``
    (Labelbox's model-run metrics: at each query, predictions under the confidence
    threshold are discarded and the rest matched to ground truth greedily by decreasing
    IoU whatever the classes, a pair needing an IoU above the threshold; a same-class
    pair is a true positive, a cross-class pair a false positive of the predicted class
    and a false negative of the truth's; it answers ``report``, ``confusion_matrix``,
    ``outcomes`` and PR curves (matched at each of ``LABELBOX_CONF_GRID``) and best
    thresholds, docs/metrics.md compares it with COCO's). ``pixel_inclusive``
    uses the VOC devkit's "+1 pixel" box convention for IoU. ``iou_thresholds`` adds
    thresholds to COCO's ten (0.50:0.05:0.95). ``confusion_floor`` keeps the class
    confusion candidates down to that IoU (None: the grid's lowest), for an evaluation
    kept for re-thresholding (``QUERY_IOU_FLOOR``): the first query at a new IoU below
    the grid then reads them instead of the boxes. It costs matching time and memory a
    one-shot summary does not need, and changes no result.

    ``similarity`` (a ``PairSimilarity``: mask IoU, keypoint OKS, ...) replaces box IoU
    in every place a pair is measured: matching, the class confusion candidates,
    matching below the kept candidates, ``outcomes``' IoU (None: box IoU in the C
    kernels). ``params`` (``CocoParams``): COCO's area ranges, per-image caps and
    summary statistics (default: ``CocoParams.for_iou_type(similarity.iou_type)``, the
    box protocol without a similarity). Area ranges read ``ground_truth.area`` and an
    unmatched prediction's ``predictions.area``, as pycocotools does.
    """
    if protocol not in PROTOCOLS:
        raise InputError(f"unknown protocol {protocol!r}; use 'coco', 'voc' or 'labelbox'")
    if len(predictions) and (
        int(predictions.frame.max(initial=0)) >= ground_truth.num_frames
        or int(predictions.label.max(initial=0)) >= len(ground_truth.classes)
    ):
        raise InputError("predictions refer to frames or classes the ground truth does not have")
    if similarity is not None:
        if not isinstance(similarity, PairSimilarity):
            raise InputError(
                f"similarity {type(similarity).__name__} has no iou_type and pair_values()"
            )
        if pixel_inclusive:
            raise InputError(
                "pixel_inclusive applies to box IoU; give BoxSimilarity(..., "
                "pixel_inclusive=True) or leave similarity out"
            )
    if params is None:
        params = (
            CocoParams.bbox()
            if similarity is None
            else CocoParams.for_iou_type(similarity.iou_type)
        )
    if not 1 <= len(params.max_dets) <= 3 or list(params.max_dets) != sorted(params.max_dets):
        raise InputError(f"max_dets {params.max_dets} must be one to three increasing caps")
    settings = _Settings(protocol, bool(pixel_inclusive), params)
    grid = _merge_grid(iou_thresholds)
    floor = float(grid.min()) if confusion_floor is None else float(confusion_floor)
    if not 0.0 < floor <= 1.0:
        raise InputError(f"confusion_floor {confusion_floor} is not in (0, 1]")
    if protocol == "labelbox":
        floor = _EVERY_OVERLAP  # its matching reads every overlapping pair, any classes
    orders = _orders(ground_truth, predictions)
    kept = _match(
        ground_truth, predictions, orders, grid, COCO_IOU_THRESHOLDS, settings, floor, similarity
    )
    return DetectionEvaluation(
        ground_truth, predictions, kept, settings, orders, similarity, similarity is not None
    )
