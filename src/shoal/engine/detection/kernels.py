"""The detection engine's kernels: typed Python faces over the C in ``_native.c``.

Each function allocates its outputs, checks nothing twice (ctypes' ``ndpointer``
argument types refuse an array of the wrong dtype or layout) and returns NumPy
arrays. Layouts (N ground-truth rows, M predictions, K grid thresholds, C classes,
F frames):

* A *group* is one (frame, class) pair. ``gt_sorted`` lists ground-truth rows grouped by
  (frame, class), file order inside a group; ``dt_sorted`` lists predictions grouped the
  same way, by descending score inside a group (stable: file order breaks ties, as
  pycocotools' mergesort does). ``*_bounds`` (G, 2) hold [start, end) into those lists.
* Outcome codes (int8): ``UNMATCHED`` 0, ``MATCHED`` 1 (a counted true positive),
  ``IGNORED`` 2 (matched a crowd, ignored or out-of-range ground truth).
* Boxes are (x, y, width, height) float64 rows; IoU repeats pycocotools' ``bbIou``
  floating-point operations in the same order, so thresholds tie exactly as there.
"""

from __future__ import annotations

import ctypes
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from shoal._native import BOOL, F64, I8, I32, I64, load_library, thread_count
from shoal.errors import ShoalError

UNMATCHED = 0
MATCHED = 1
IGNORED = 2

RULE_COCO = 0  # best still-unmatched ground truth (pycocotools)
RULE_VOC = 1  # best ground truth; a duplicate if it is taken (PASCAL VOC devkit)

INTERP_COCO101 = 0  # precision envelope sampled at recall 0, 0.01, ..., 1 (COCO)
INTERP_VOC_ALL = 1  # area under the precision envelope at every recall step (VOC 2010+)
INTERP_VOC11 = 2  # mean of the envelope at recall 0, 0.1, ..., 1 (VOC 2007)

# COCO's area ranges, inclusive at both ends: all, small, medium, large.
COCO_AREA_RANGES = np.array(
    [[0.0, 1e5**2], [0.0, 32.0**2], [32.0**2, 96.0**2], [96.0**2, 1e5**2]], dtype=np.float64
)
COCO_MAX_DETS = np.array([1, 10, 100], dtype=np.int64)

_i64 = ctypes.c_int64
_f64 = ctypes.c_double
_lib = load_library("shoal.engine.detection._native")
# fmt: off
_SIGNATURES: dict[str, tuple[object, list[object]]] = {
    "shoal_pair_ious": (None, [_i64, F64, F64, BOOL, _i64, F64]),
    "shoal_set_min_work_per_thread": (_i64, [_i64]),
    "shoal_match_all": (_i64, [
        F64, F64, BOOL, BOOL, F64, ctypes.c_void_p, _i64, _i64, I64, I64, I64, I64, _i64, F64, _i64, F64, I64,
        _i64, F64, _i64, _i64, _i64, _i64, I32, BOOL, I32, I8, I32, F64, I32, I32, F64, _i64]),
    "shoal_rematch": (None, [
        _i64, I32, I32, F64, _i64, I32, I32, _i64, BOOL, _f64, _i64, I32, BOOL, I32,
        ctypes.c_void_p, ctypes.c_void_p, _i64]),
    "shoal_cross_class_pairs": (_i64, [
        F64, I32, BOOL, F64, I32, I64, I64, I64, I64, _i64, _f64, _i64, I32, I32, F64, _i64]),
    "shoal_coco_accumulate": (_i64, [
        I64, _i64, I64, I64, F64, ctypes.c_void_p, I8, _i64, _i64, I64, F64, I64, F64, _i64, F64,
        F64, _i64]),
    "shoal_operating_point_counts": (_i64, [
        _i64, I32, F64, ctypes.c_void_p, I32, BOOL, _i64, I32, BOOL, I32, F64, _i64, I64, I64, I64, BOOL,
        BOOL, ctypes.c_void_p, ctypes.c_void_p, _i64]),
    "shoal_greedy_pairs": (None, [_i64, I32, I32, BOOL, I32, I32]),
    "shoal_assign_confusions": (None, [_i64, I32, I32, F64, BOOL, BOOL, _f64, I32, I32]),
    "shoal_confused_pairs": (_i64, [_i64, I32, I32, F64, BOOL, BOOL, _f64, _i64, I32, I32]),
    "shoal_cumulative_curve": (_i64, [I64, _i64, _i64, BOOL, I32, BOOL, F64, F64, F64, F64]),
    "shoal_average_precision_by_class": (_i64, [
        I64, I64, _i64, ctypes.c_void_p, I32, BOOL, ctypes.c_void_p, I64, _i64, F64, _i64, F64,
        _i64]),
    "shoal_resampled_average_precision": (_i64, [
        I32, I64, _i64, F64, _i64, _i64, F64, _i64, F64, _i64, F64, _i64]),
    "shoal_counting_sort": (_i64, [I32, _i64, I64, _i64, I64, I64, _i64]),
    "shoal_sort_segments_by_score": (_i64, [I64, I64, _i64, F64, _i64]),
    "shoal_shared_groups": (_i64, [I64, I64, _i64, I64, I64, _i64, I64, I64]),
    "shoal_ranks_in_groups": (None, [I64, _i64, I64, I64]),
    "shoal_block_pairs": (None, [I64, I64, I64, I64, _i64, I64, I64]),
    "shoal_key_runs": (_i64, [I64, _i64, I64, I64]),
    "shoal_outcomes": (_i64, [
        _i64, I32, F64, BOOL, I32, BOOL, I32, F64, I32, F64, BOOL, _i64, I32, BOOL, I32, BOOL,
        I32, _i64, I32, I32, F64, F64, BOOL, _i64, _i64, _f64, I64, I64, I8, I8, I64, F64,
        ctypes.POINTER(ctypes.c_int64)]),
}
# fmt: on
for _name, (_restype, _argtypes) in _SIGNATURES.items():
    _function = getattr(_lib, _name)
    _function.restype = _restype
    _function.argtypes = _argtypes
# Each function with each argument's array dtype as the table above declares it (None: a
# scalar or a pointer), built once so a call only converts.
_KERNELS: dict[str, tuple[Any, tuple[np.dtype[Any] | None, ...]]] = {
    name: (getattr(_lib, name), tuple(getattr(argtype, "_dtype_", None) for argtype in argtypes))
    for name, (_, argtypes) in _SIGNATURES.items()
}


def _run(name: str, *args: Any) -> Any:
    """Call the C function ``name``, each array argument made C-contiguous in the dtype
    ``_SIGNATURES`` declares for it (no copy when it already is, so the output arrays the
    wrappers allocate are written in place)."""
    function, dtypes = _KERNELS[name]
    return function(
        *[
            arg if dtype is None else np.ascontiguousarray(arg, dtype=dtype)
            for arg, dtype in zip(args, dtypes, strict=True)
        ]
    )


def _check(status: int, what: str) -> int:
    if status < 0:
        raise MemoryError(f"out of memory in the {what} kernel")
    return status


def set_min_work_per_thread(work: int) -> int:
    """Set how much work (about one IoU per unit) a kernel gives each thread at least,
    and return the previous value (20,000 by default: below that a thread costs more
    than it saves). Tests set 1 to split even tiny inputs across every thread."""
    return int(_lib.shoal_set_min_work_per_thread(work))


def pair_ious(
    dt_box: NDArray[np.float64],
    gt_box: NDArray[np.float64],
    crowd: NDArray[np.bool_],
    pixel_inclusive: bool,
) -> NDArray[np.float64]:
    """IoU of each row pair (dt_box[i], gt_box[i]); (P, 4) boxes, (P,) crowd flags.
    ``pixel_inclusive`` is the VOC devkit's "+1 pixel" convention."""
    out = np.empty(dt_box.shape[0], np.float64)
    _run(
        "shoal_pair_ious", out.size, dt_box, gt_box, crowd, int(pixel_inclusive), out,
    )  # fmt: skip
    return out


class Matching(NamedTuple):
    """What ``match_all`` returns (layouts in its docstring)."""

    det_gt: NDArray[np.int32]
    det_ignored: NDArray[np.bool_]
    gt_det: NDArray[np.int32]
    coco_status: NDArray[np.int8]
    best_gt: NDArray[np.int32]
    best_iou: NDArray[np.float64]
    pair_gt: NDArray[np.int32]
    pair_dt: NDArray[np.int32]
    pair_iou: NDArray[np.float64]


def match_all(
    gt_box: NDArray[np.float64],
    gt_area: NDArray[np.float64],
    gt_crowd: NDArray[np.bool_],
    gt_ignore: NDArray[np.bool_],
    dt_box: NDArray[np.float64],
    gt_sorted: NDArray[np.int64],
    gt_bounds: NDArray[np.int64],
    dt_sorted: NDArray[np.int64],
    dt_bounds: NDArray[np.int64],
    grid: NDArray[np.float64],
    coco_thresholds: NDArray[np.float64],
    coco_in_grid: NDArray[np.int64],
    area_ranges: NDArray[np.float64],
    max_det: int,
    rule: int,
    pixel_inclusive: bool,
    pair_capacity: int,
    pair_values: NDArray[np.float64] | None = None,
) -> Matching:
    """Match every group that has both ground truth and predictions.

    ``gt_bounds`` / ``dt_bounds`` (G, 2) bound the same G groups. ``grid`` (K,) are the
    operating-point thresholds, matched with no area range and no cap on predictions;
    ``coco_thresholds`` (T,) x ``area_ranges`` (A, 2) are COCO's configurations,
    matched on each group's first ``max_det`` predictions; ``coco_in_grid`` (T,) gives
    each one's index in ``grid`` (-1 if absent), so equal matchings are copied.

    Returns ``det_gt`` (K, M) int32 (matched ground-truth row or -1), ``det_ignored``
    (K, M) bool (that match is to a crowd/ignored row), ``gt_det`` (K, N) int32 (the
    prediction that took a row, or -1; for a crowd, the last), ``coco_status`` (M, A, T)
    int8 codes, ``best_gt`` (M,) int32 / ``best_iou`` (M,) float64 (the closest
    same-class counted ground truth, -1 / 0 when none overlaps), and ``pair_gt``,
    ``pair_dt``, ``pair_iou`` (P,): every same-class (ground truth, prediction) pair
    with IoU > 0, a crowd or ignored row as -(row + 1), group by group and in a group
    prediction by prediction in matching order (what ``rematch`` walks).

    ``pair_values`` (``pair_capacity``,) float64, when given, replaces box IoU (masks,
    keypoints, ...): each group's values in turn, in the group its predictions in
    ``dt_sorted`` order, for each of them its ground truth in ``gt_sorted`` order.
    """
    num_gt, num_dt = gt_box.shape[0], dt_box.shape[0]
    # Passed by address (held here while the kernel runs): None reaches it as NULL.
    values = None if pair_values is None else np.ascontiguousarray(pair_values, np.float64)
    if values is not None and values.size != pair_capacity:
        raise ShoalError(f"{values.size} pair values for {pair_capacity} pairs")
    # The kernel fills the -1 outputs itself, on its threads; the zero ones come from
    # np.zeros (calloc: the OS's zero pages, no pass over them).
    det_gt = np.empty((grid.size, num_dt), np.int32)
    det_ignored = np.zeros((grid.size, num_dt), np.bool_)
    gt_det = np.empty((grid.size, num_gt), np.int32)
    coco_status = np.zeros((num_dt, area_ranges.shape[0], coco_thresholds.size), np.int8)
    best_gt = np.empty(num_dt, np.int32)
    best_iou = np.empty(num_dt, np.float64)
    pair_gt = np.empty(pair_capacity, np.int32)
    pair_dt = np.empty(pair_capacity, np.int32)
    pair_iou = np.empty(pair_capacity, np.float64)
    count = _check(
        _run(
            "shoal_match_all", gt_box, gt_area, gt_crowd, gt_ignore, dt_box,
            None if values is None else values.ctypes.data, num_gt, num_dt,
            gt_sorted, gt_bounds, dt_sorted, dt_bounds, gt_bounds.shape[0], grid, grid.size,
            coco_thresholds, coco_in_grid, coco_thresholds.size, area_ranges, area_ranges.shape[0],
            max_det, rule, int(pixel_inclusive), det_gt, det_ignored, gt_det, coco_status, best_gt,
            best_iou, pair_gt, pair_dt, pair_iou, thread_count(),
        ),
        "matching",
    )  # fmt: skip
    return Matching(
        det_gt,
        det_ignored,
        gt_det,
        coco_status,
        best_gt,
        best_iou,
        pair_gt[:count].copy(),
        pair_dt[:count].copy(),
        pair_iou[:count].copy(),
    )


class Rematching(NamedTuple):
    """One threshold's matching (what ``rematch`` returns): ``det_gt`` (M,),
    ``det_ignored`` (M,), ``gt_det`` (N,), as one row of ``match_all``'s; ``outcome``
    (M,) uint8, the outcome codes in accumulation order, when asked for."""

    det_gt: NDArray[np.int32]
    det_ignored: NDArray[np.bool_]
    gt_det: NDArray[np.int32]
    outcome: NDArray[np.uint8] | None


def rematch(
    pair_gt: NDArray[np.int32],
    pair_dt: NDArray[np.int32],
    pair_iou: NDArray[np.float64],
    dt_frame: NDArray[np.int32],
    dt_label: NDArray[np.int32],
    gt_crowd: NDArray[np.bool_],
    threshold: float,
    rule: int,
    dt_position: NDArray[np.int32] | None = None,
) -> Rematching:
    """Matching at one more ``threshold`` from the pairs ``match_all`` kept (as it wrote
    them, or concatenated by frames): one greedy pass over them, equal to ``match_all``
    at that threshold, without computing an IoU. With ``dt_position`` (each prediction's
    position in the accumulation order) the outcome codes are also written in that
    order, for ``average_precision_by_class`` to read without scattered reads."""
    num_dt, num_gt = dt_frame.size, gt_crowd.size
    det_gt = np.empty(num_dt, np.int32)
    det_ignored = np.zeros(num_dt, np.bool_)
    gt_det = np.empty(num_gt, np.int32)
    # Passed by address (held here while the kernel runs): None reaches it as NULL.
    position = None if dt_position is None else np.ascontiguousarray(dt_position, np.int32)
    outcome = None if position is None else np.zeros(num_dt, np.uint8)
    _run(
        "shoal_rematch", pair_gt.size, pair_gt, pair_dt, pair_iou, num_dt, dt_frame, dt_label,
        num_gt, gt_crowd, float(threshold), rule, det_gt, det_ignored, gt_det,
        None if position is None else position.ctypes.data,
        None if outcome is None else outcome.ctypes.data, thread_count(),
    )  # fmt: skip
    return Rematching(det_gt, det_ignored, gt_det, outcome)


def greedy_pairs(
    pair_dt: NDArray[np.int32],
    pair_gt: NDArray[np.int32],
    usable: NDArray[np.bool_],
    num_dt: int,
    num_gt: int,
) -> tuple[NDArray[np.int32], NDArray[np.int32]]:
    """Labelbox's greedy matching over (prediction, ground truth) pairs given in the
    rule's order (decreasing IoU): each ``usable`` pair whose two rows are both still
    free is matched. Returns ``det_gt`` (M,) and ``gt_det`` (N,) int32, -1 unmatched."""
    det_gt = np.full(num_dt, -1, np.int32)
    gt_det = np.full(num_gt, -1, np.int32)
    _run("shoal_greedy_pairs", pair_dt.size, pair_dt, pair_gt, usable, det_gt, gt_det)
    return det_gt, gt_det


def cross_class_pairs(
    gt_box: NDArray[np.float64],
    gt_label: NDArray[np.int32],
    gt_counted: NDArray[np.bool_],
    dt_box: NDArray[np.float64],
    dt_label: NDArray[np.int32],
    gt_frame_sorted: NDArray[np.int64],
    gt_frame_bounds: NDArray[np.int64],
    dt_frame_sorted: NDArray[np.int64],
    dt_frame_bounds: NDArray[np.int64],
    min_iou: float,
    pixel_inclusive: bool,
) -> tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.float64]]:
    """Every (prediction, counted ground truth of another class) pair in one frame with
    IoU >= ``min_iou``: the candidates for class confusions.

    ``*_frame_sorted`` list rows grouped by frame; ``*_frame_bounds`` (F, 2) hold each
    frame's [start, end). Returns ``pair_dt``, ``pair_gt`` (int32) and ``pair_iou``.
    """
    capacity = int(
        (
            (gt_frame_bounds[:, 1] - gt_frame_bounds[:, 0])
            * (dt_frame_bounds[:, 1] - dt_frame_bounds[:, 0])
        ).sum()
    )
    pair_dt = np.empty(capacity, np.int32)
    pair_gt = np.empty(capacity, np.int32)
    pair_iou = np.empty(capacity, np.float64)
    count = _check(
        _run(
            "shoal_cross_class_pairs", gt_box, gt_label, gt_counted, dt_box, dt_label,
            gt_frame_sorted, gt_frame_bounds, dt_frame_sorted, dt_frame_bounds,
            gt_frame_bounds.shape[0], float(min_iou), int(pixel_inclusive), pair_dt, pair_gt,
            pair_iou, thread_count(),
        ),
        "cross-class pairs",
    )  # fmt: skip
    return pair_dt[:count].copy(), pair_gt[:count].copy(), pair_iou[:count].copy()


def coco_accumulate(
    class_bounds: NDArray[np.int64],
    dt_order: NDArray[np.int64],
    dt_rank: NDArray[np.int64],
    dt_area: NDArray[np.float64],
    dt_selected: NDArray[np.bool_] | None,
    coco_status: NDArray[np.int8],
    num_counted_gt: NDArray[np.int64],
    area_ranges: NDArray[np.float64],
    max_dets: NDArray[np.int64],
    recall_points: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """pycocotools' ``accumulate``: precision at recall points and final recall.

    ``dt_order`` lists predictions in accumulation order: by class, then descending
    score, then frame order, then row (pycocotools' stable global sort), and
    ``class_bounds`` (C, 2) are each class's [start, end) in it. The other prediction
    arrays are by row: ``dt_rank`` is a prediction's rank by score inside its (frame,
    class), ``dt_area`` its box area, ``dt_selected`` limits the evaluation to some
    frames (None: every prediction), ``coco_status`` is (M, A, T) outcome codes. ``num_counted_gt`` (A, C) counts
    the ground truth that is not ignored in each area range. ``max_dets`` holds three
    increasing caps (COCO's 1, 10, 100). Classes run in parallel (``thread_count()``).

    Returns ``precision`` (T, R, C, A, 3) and ``recall`` (T, C, A, 3), -1 where a class
    has no counted ground truth.
    """
    if max_dets.size != 3:
        raise ShoalError("COCO accumulation takes exactly three maxDets caps")
    num_cls = class_bounds.shape[0]
    num_area, num_thr = coco_status.shape[1], coco_status.shape[2]
    precision = np.full((num_thr, recall_points.size, num_cls, num_area, 3), -1.0)
    recall = np.full((num_thr, num_cls, num_area, 3), -1.0)
    # Passed by address, so that None reaches the kernel as NULL (every prediction).
    selected = None if dt_selected is None else np.ascontiguousarray(dt_selected, np.bool_)
    _check(
        _run(
            "shoal_coco_accumulate", class_bounds, num_cls, dt_order, dt_rank, dt_area,
            None if selected is None else selected.ctypes.data, coco_status, num_area, num_thr, num_counted_gt, area_ranges, max_dets,
            recall_points, recall_points.size, precision, recall, thread_count(),
        ),
        "accumulation",
    )  # fmt: skip
    return precision, recall


class OperatingPointCounts(NamedTuple):
    """What ``operating_point_counts`` returns: ``tp``, ``fp``, ``fn`` (C,) and the per-row
    masks ``dt_is_fp`` (M,) and ``gt_is_fn`` (N,)."""

    tp: NDArray[np.int64]
    fp: NDArray[np.int64]
    fn: NDArray[np.int64]
    dt_is_fp: NDArray[np.bool_]
    gt_is_fn: NDArray[np.bool_]


class ClassCounts(NamedTuple):
    """Per-class ``tp``, ``fp``, ``fn`` (C,) alone."""

    tp: NDArray[np.int64]
    fp: NDArray[np.int64]
    fn: NDArray[np.int64]


def operating_point_counts(
    num_classes: int,
    dt_label: NDArray[np.int32],
    dt_score: NDArray[np.float64],
    dt_selected: NDArray[np.bool_] | None,
    det_gt: NDArray[np.int32],
    det_ignored: NDArray[np.bool_],
    gt_label: NDArray[np.int32],
    gt_selected: NDArray[np.bool_],
    gt_det: NDArray[np.int32],
    class_conf: NDArray[np.float64],
    also_conf: NDArray[np.float64] | None = None,
) -> tuple[OperatingPointCounts, ClassCounts | None]:
    """Per-class TP, FP, FN at one grid threshold and per-class confidence thresholds.

    ``det_gt`` / ``det_ignored`` / ``gt_det`` are one row of the kept matching;
    ``dt_selected`` None counts every prediction; ``gt_selected`` must already exclude
    crowd and ignored rows. With ``also_conf`` (C,), the counts at those per-class
    thresholds too, from the same pass over the rows (second item; else None).
    """
    tp = np.zeros(num_classes, np.int64)
    fp = np.zeros(num_classes, np.int64)
    fn = np.zeros(num_classes, np.int64)
    dt_is_fp = np.zeros(dt_label.size, np.bool_)
    gt_is_fn = np.zeros(gt_label.size, np.bool_)
    # Passed by address (held here while the kernel runs): None reaches it as NULL.
    selected = None if dt_selected is None else np.ascontiguousarray(dt_selected, np.bool_)
    also = None if also_conf is None else np.ascontiguousarray(also_conf, np.float64)
    if also is not None and also.size != num_classes:
        raise ShoalError(f"{also.size} confidence thresholds for {num_classes} classes")
    also_counts = None if also is None else np.zeros((3, num_classes), np.int64)
    _check(
        _run(
            "shoal_operating_point_counts", dt_label.size, dt_label, dt_score,
            None if selected is None else selected.ctypes.data,
            det_gt, det_ignored, gt_label.size, gt_label, gt_selected, gt_det, class_conf,
            num_classes, tp, fp, fn, dt_is_fp, gt_is_fn,
            None if also is None else also.ctypes.data,
            None if also_counts is None else also_counts.ctypes.data, thread_count(),
        ),
        "counting",
    )  # fmt: skip
    counts = OperatingPointCounts(tp, fp, fn, dt_is_fp, gt_is_fn)
    return counts, None if also_counts is None else ClassCounts(*also_counts)


def assign_confusions(
    pair_dt: NDArray[np.int32],
    pair_gt: NDArray[np.int32],
    pair_iou: NDArray[np.float64],
    dt_is_fp: NDArray[np.bool_],
    gt_is_fn: NDArray[np.bool_],
    threshold: float,
    num_dt: int,
    num_gt: int,
) -> tuple[NDArray[np.int32], NDArray[np.int32]]:
    """Pair leftover false positives with leftover missed ground truth of another class.

    ``pair_*`` are the cross-class candidates ordered by prediction (descending score,
    frame, row) and, within one prediction, by descending IoU. Each false positive, in
    that order, takes the highest-IoU still-free missed ground truth with IoU >=
    ``threshold``. Returns ``dt_confused_gt`` (M,) and ``gt_confused_dt`` (N,), -1 where
    unpaired.
    """
    dt_confused_gt = np.full(num_dt, -1, np.int32)
    gt_confused_dt = np.full(num_gt, -1, np.int32)
    _run(
        "shoal_assign_confusions", pair_dt.size, pair_dt, pair_gt, pair_iou, dt_is_fp, gt_is_fn,
        float(threshold), dt_confused_gt, gt_confused_dt,
    )  # fmt: skip
    return dt_confused_gt, gt_confused_dt


def confused_pairs(
    pair_dt: NDArray[np.int32],
    pair_gt: NDArray[np.int32],
    pair_iou: NDArray[np.float64],
    dt_is_fp: NDArray[np.bool_],
    gt_is_fn: NDArray[np.bool_],
    threshold: float,
) -> tuple[NDArray[np.int32], NDArray[np.int32]]:
    """The pairs ``assign_confusions`` makes, as (prediction rows, ground-truth rows):
    what a confusion matrix counts, without arrays over every row."""
    capacity = pair_dt.size
    out_dt = np.empty(capacity, np.int32)
    out_gt = np.empty(capacity, np.int32)
    count = _check(
        _run(
            "shoal_confused_pairs", pair_dt.size, pair_dt, pair_gt, pair_iou, dt_is_fp,
            gt_is_fn, float(threshold), gt_is_fn.size, out_dt, out_gt,
        ),
        "confusion",
    )  # fmt: skip
    return out_dt[:count], out_gt[:count]


def cumulative_curve(
    dt_order: NDArray[np.int64],
    start: int,
    end: int,
    dt_selected: NDArray[np.bool_],
    det_gt: NDArray[np.int32],
    det_ignored: NDArray[np.bool_],
    dt_score: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Cumulative TP and FP down ``dt_order[start:end]`` (score order), one entry per
    distinct score (the last row of each run of equal scores).

    Returns ``thresholds``, ``tp``, ``fp`` (float64).
    """
    n = max(end - start, 0)
    thresholds, tps, fps = np.empty(n), np.empty(n), np.empty(n)
    count = _run(
        "shoal_cumulative_curve", dt_order, start, end, dt_selected, det_gt, det_ignored, dt_score,
        thresholds, tps, fps,
    )  # fmt: skip
    return thresholds[:count].copy(), tps[:count].copy(), fps[:count].copy()


def average_precision_by_class(
    dt_order: NDArray[np.int64],
    class_bounds: NDArray[np.int64],
    dt_selected: NDArray[np.bool_] | None,
    det_gt: NDArray[np.int32],
    det_ignored: NDArray[np.bool_],
    num_positive: NDArray[np.int64],
    interpolation: int,
    recall_points: NDArray[np.float64],
    outcome: NDArray[np.uint8] | None = None,
) -> NDArray[np.float64]:
    """Average precision of each class at one grid threshold over the predictions
    ``dt_selected`` (None: every prediction) with no cap per frame and no area range:
    (C,) float64, -1 without counted ground truth. ``outcome`` (the codes in
    ``dt_order``'s order, from ``rematch``; every prediction only) replaces ``det_gt``
    and ``det_ignored``.

    Every prediction is its own point (ties are not merged), as in pycocotools and the
    VOC devkit. For the sampled interpolations, ``recall_points`` are the recall values.
    """
    out = np.full(class_bounds.shape[0], -1.0)
    # Passed by address, so that None reaches the kernel as NULL (every prediction).
    selected = None if dt_selected is None else np.ascontiguousarray(dt_selected, np.bool_)
    outcomes = None if outcome is None else np.ascontiguousarray(outcome, np.uint8)
    _check(
        _run(
            "shoal_average_precision_by_class", dt_order, class_bounds, class_bounds.shape[0],
            None if selected is None else selected.ctypes.data, det_gt, det_ignored,
            None if outcomes is None else outcomes.ctypes.data,
            num_positive, interpolation, recall_points,
            recall_points.size, out, thread_count(),
        ),
        "average precision",
    )  # fmt: skip
    return out


def resampled_average_precision(
    code: NDArray[np.uint8],
    frame: NDArray[np.int32],
    class_bounds: NDArray[np.int64],
    weights: NDArray[np.float64],
    positives: NDArray[np.float64],
    interpolation: int,
    recall_points: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Average precision of each class in each resampled frame multiset: (R, C) float64,
    -1 where the replicate has no counted ground truth of the class.

    ``code`` (P,) uint8 and ``frame`` (P,) int32 describe the predictions in accumulation
    order (class, descending score): 0 false positive, 1 true positive, 2 not counted
    (ignored, or outside the selection), and the frame index each belongs to.
    ``class_bounds`` (C, 2): each class's [start, end) in that order. ``weights`` (R, F)
    float64: how many times each frame is drawn in each replicate (whole numbers).
    ``positives`` (R, C): the counted ground truth of each class in each replicate.
    With every weight 1 the result is :func:`average_precision_by_class`'s, bit for bit.
    """
    num_reps, num_cls = positives.shape
    # The kernel walks one int32 per counted prediction (a true positive's ~frame, a false
    # positive's frame), each class cut after its last true positive: false positives
    # below every true positive add no point to any replicate's curve.
    position = np.arange(code.size, dtype=np.int64)
    lengths = class_bounds[:, 1] - class_bounds[:, 0]
    class_of = np.repeat(np.arange(num_cls), lengths)
    within = np.concatenate([position[s:e] for s, e in class_bounds]) if num_cls else position[:0]
    tp = code[within] == MATCHED
    last_tp = np.full(num_cls, -1, np.int64)
    np.maximum.at(last_tp, class_of[tp], within[tp])
    kept = (code[within] != IGNORED) & (within <= last_tp[class_of])
    entry = np.where(tp, ~frame[within], frame[within]).astype(np.int32)[kept]
    ends = np.cumsum(np.bincount(class_of[kept], minlength=num_cls))
    bounds = np.column_stack([ends - np.bincount(class_of[kept], minlength=num_cls), ends])
    out = np.full((num_reps, num_cls), -1.0)
    _check(
        _run(
            "shoal_resampled_average_precision", entry, bounds, num_cls, weights, num_reps,
            weights.shape[1], positives, interpolation, recall_points, recall_points.size,
            out, thread_count(),
        ),
        "resampled average precision",
    )  # fmt: skip
    return out


def counting_sort(
    keys: NDArray[np.int32], num_keys: int, order: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Stable sort of the rows listed in ``order`` by ``keys[row]`` (int32, 0 <= key <
    ``num_keys``: frame and class indices as annotations hold them, so no widened copy).
    Returns the new order and (num_keys, 2) [start, end) bounds."""
    out = np.empty(order.size, np.int64)
    bounds = np.empty((num_keys, 2), np.int64)
    _check(
        _run("shoal_counting_sort", keys, num_keys, order, order.size, out, bounds, thread_count()),
        "sorting",
    )
    return out, bounds


def sort_segments_by_score(
    order: NDArray[np.int64], bounds: NDArray[np.int64], score: NDArray[np.float64]
) -> None:
    """Within each [start, end) segment of ``order`` (int64, C-contiguous, sorted in
    place), a stable sort of the rows by descending ``score``."""
    # Called directly: ``order`` is sorted in place, so it must not be silently copied.
    _check(
        _lib.shoal_sort_segments_by_score(
            order, np.ascontiguousarray(bounds, np.int64), bounds.shape[0],
            np.ascontiguousarray(score, np.float64), thread_count(),
        ),
        "sorting",
    )  # fmt: skip


def shared_groups(
    gt_key: NDArray[np.int64],
    gt_sorted: NDArray[np.int64],
    dt_key: NDArray[np.int64],
    dt_sorted: NDArray[np.int64],
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """[start, end) bounds, in ``gt_sorted`` and ``dt_sorted`` (rows sorted by key), of
    every key that both sides have: the groups where matching has work to do."""
    capacity = min(gt_sorted.size, dt_sorted.size)
    gt_bounds = np.empty((capacity, 2), np.int64)
    dt_bounds = np.empty((capacity, 2), np.int64)
    count = _run(
        "shoal_shared_groups", gt_key, gt_sorted, gt_sorted.size, dt_key, dt_sorted, dt_sorted.size,
        gt_bounds, dt_bounds,
    )  # fmt: skip
    return gt_bounds[:count].copy(), dt_bounds[:count].copy()


def block_pairs(
    dt_sorted: NDArray[np.int64],
    dt_bounds: NDArray[np.int64],
    gt_sorted: NDArray[np.int64],
    gt_bounds: NDArray[np.int64],
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Every (prediction, ground truth) row pair of each block (rows of block k:
    ``*_sorted[*_bounds[k, 0]:*_bounds[k, 1]]``), block by block, predictions major:
    the layout ``match_all`` reads precomputed values in."""
    dt_bounds = np.ascontiguousarray(dt_bounds, np.int64).reshape(-1, 2)
    gt_bounds = np.ascontiguousarray(gt_bounds, np.int64).reshape(-1, 2)
    total = int(((dt_bounds[:, 1] - dt_bounds[:, 0]) * (gt_bounds[:, 1] - gt_bounds[:, 0])).sum())
    pair_dt = np.empty(total, np.int64)
    pair_gt = np.empty(total, np.int64)
    _run(
        "shoal_block_pairs", dt_sorted, dt_bounds, gt_sorted, gt_bounds, dt_bounds.shape[0],
        pair_dt, pair_gt,
    )  # fmt: skip
    return pair_dt, pair_gt


def ranks_in_groups(dt_sorted: NDArray[np.int64], dt_key: NDArray[np.int64]) -> NDArray[np.int64]:
    """0-based position of each row inside its run of equal keys in ``dt_sorted``."""
    rank = np.empty(dt_sorted.size, np.int64)
    _run("shoal_ranks_in_groups", dt_sorted, dt_sorted.size, dt_key, rank)
    return rank


def key_runs(order: NDArray[np.int64], key: NDArray[np.int64]) -> NDArray[np.int64]:
    """(R, 2) [start, end) of each run of equal ``key[row]`` along ``order``."""
    bounds = np.empty((order.size, 2), np.int64)
    count = _run("shoal_key_runs", order, order.size, key, bounds)
    return bounds[:count].copy()


class OutcomeRows(NamedTuple):
    """What ``outcomes`` returns: prediction rows first (``num_predictions`` of them),
    then ground-truth rows. ``row`` indexes the predictions or the ground truth,
    ``partner`` the other side (-1 none); codes as in ``metrics.py``."""

    num_predictions: int
    row: NDArray[np.int64]
    outcome: NDArray[np.int8]
    reason: NDArray[np.int8]
    partner: NDArray[np.int64]
    iou: NDArray[np.float64]


def outcomes(
    dt_label: NDArray[np.int32],
    dt_score: NDArray[np.float64],
    dt_selected: NDArray[np.bool_],
    det_gt: NDArray[np.int32],
    det_ignored: NDArray[np.bool_],
    best_gt: NDArray[np.int32],
    best_iou: NDArray[np.float64],
    dt_confused_gt: NDArray[np.int32],
    class_conf: NDArray[np.float64],
    class_wanted: NDArray[np.bool_],
    gt_label: NDArray[np.int32],
    gt_selected: NDArray[np.bool_],
    gt_det: NDArray[np.int32],
    gt_is_fn: NDArray[np.bool_],
    gt_confused_dt: NDArray[np.int32],
    same_gt: NDArray[np.int32],
    same_dt: NDArray[np.int32],
    dt_box: NDArray[np.float64],
    gt_box: NDArray[np.float64],
    gt_crowd: NDArray[np.bool_],
    use_crowd: bool,
    pixel_inclusive: bool,
    threshold: float,
) -> OutcomeRows:
    """Each counted object's outcome, reason, partner and IoU at one operating point.

    ``gt_selected`` must already exclude crowd and ignored rows; ``same_gt`` /
    ``same_dt`` are the same-class overlapping pairs ordered by ground-truth row, then
    descending IoU, descending score and prediction row (the localization partner of a
    missed ground truth is its first pair with a prediction at or above threshold).
    """
    num_dt, num_gt = dt_label.size, gt_label.size
    capacity = num_dt + num_gt
    row = np.empty(capacity, np.int64)
    outcome = np.empty(capacity, np.int8)
    reason = np.empty(capacity, np.int8)
    partner = np.empty(capacity, np.int64)
    iou = np.empty(capacity, np.float64)
    total = ctypes.c_int64(0)
    num_predictions = _run(
        "shoal_outcomes", num_dt, dt_label, dt_score, dt_selected, det_gt, det_ignored, best_gt,
        best_iou, dt_confused_gt, class_conf, class_wanted, num_gt, gt_label, gt_selected, gt_det,
        gt_is_fn, gt_confused_dt, same_gt.size, same_gt, same_dt, dt_box, gt_box, gt_crowd,
        int(use_crowd), int(pixel_inclusive), float(threshold), np.empty(num_gt, np.int64), row,
        outcome, reason, partner, iou, ctypes.byref(total),
    )  # fmt: skip
    n = total.value
    return OutcomeRows(int(num_predictions), row[:n], outcome[:n], reason[:n], partner[:n], iou[:n])
