"""Compiled kernels of the detection engine.

Every kernel takes flat arrays and returns flat arrays; nothing here knows about
files or Python objects. Conventions used throughout (N ground-truth rows, M
prediction rows, K IoU thresholds of the evaluation's grid):

* A *group* is one (frame, class) pair. ``gt_sorted`` lists ground-truth rows grouped
  by (frame, class), file order inside a group; ``dt_sorted`` lists prediction rows
  grouped the same way, by descending score inside a group (stable, so file order
  breaks ties, as pycocotools' mergesort does). ``gt_bounds`` / ``dt_bounds`` hold
  each group's [start, end) into those lists and ``group_key`` its frame * C + class.
* Matching outcome codes (int8): ``UNMATCHED`` = 0, ``MATCHED`` = 1 (a counted true
  positive), ``IGNORED`` = 2 (matched a crowd, ignored or out-of-range ground truth:
  neither true nor false positive).
* Boxes are (x, y, width, height) float64; IoU is pycocotools' ``bbIou`` with the same
  floating-point operations in the same order, so thresholds tie exactly as there.
"""

from __future__ import annotations

import numpy as np
from numba import njit

UNMATCHED = 0
MATCHED = 1
IGNORED = 2

RULE_COCO = 0  # best still-unmatched ground truth (pycocotools)
RULE_VOC = 1  # best ground truth; a duplicate if it is taken (PASCAL VOC devkit)

# COCO's area ranges, inclusive at both ends: all, small, medium, large.
COCO_AREA_RANGES = np.array(
    [[0.0, 1e5**2], [0.0, 32.0**2], [32.0**2, 96.0**2], [96.0**2, 1e5**2]], dtype=np.float64
)
COCO_MAX_DETS = np.array([1, 10, 100], dtype=np.int64)


@njit(cache=True, inline="always")
def box_iou(
    dx: float,
    dy: float,
    dw: float,
    dh: float,
    gx: float,
    gy: float,
    gw: float,
    gh: float,
    crowd: bool,
    pixel_inclusive: bool,
) -> float:
    """IoU of a prediction and a ground-truth box; over the prediction's area for a crowd.

    ``pixel_inclusive`` is the PASCAL VOC devkit convention, where a box covers
    ``width + 1`` pixels (and boxes that touch overlap by one pixel).
    """
    if pixel_inclusive:
        left = max(dx, gx)
        right = min(dx + dw, gx + gw)
        top = max(dy, gy)
        bottom = min(dy + dh, gy + gh)
        if right < left or bottom < top:
            return 0.0
        inter = (right - left + 1.0) * (bottom - top + 1.0)
        da = (dw + 1.0) * (dh + 1.0)
        ga = (gw + 1.0) * (gh + 1.0)
        union = da if crowd else da + ga - inter
        return inter / union
    da = dw * dh
    ga = gw * gh
    w = min(dw + dx, gw + gx) - max(dx, gx)
    if w <= 0.0:
        return 0.0
    h = min(dh + dy, gh + gy) - max(dy, gy)
    if h <= 0.0:
        return 0.0
    inter = w * h
    union = da if crowd else da + ga - inter
    return inter / union


@njit(cache=True)
def _greedy_match(
    ious: np.ndarray,
    gt_order: np.ndarray,
    gt_ignored: np.ndarray,
    gt_crowd: np.ndarray,
    num_dets: int,
    threshold: float,
    rule: int,
    det_gt: np.ndarray,
    gt_det: np.ndarray,
) -> None:
    """Match one group at one IoU threshold.

    ``ious`` is (dets, gts) with dets in score order; ``gt_order`` lists the group's
    ground truth with non-ignored ones first (stable). Writes ``det_gt[d]`` (a local
    ground-truth column or -1) and ``gt_det[g]`` (a local det or -1).
    """
    det_gt[:num_dets] = -1
    gt_det[:] = -1
    limit = min(threshold, 1.0 - 1e-10)
    for d in range(num_dets):
        if rule == RULE_VOC:
            best = -1
            best_iou = -1.0
            for g in range(ious.shape[1]):
                if ious[d, g] > best_iou:
                    best_iou = ious[d, g]
                    best = g
            # A taken (non-ignored) best match leaves the prediction a duplicate.
            if best >= 0 and best_iou >= limit and (gt_ignored[best] or gt_det[best] < 0):
                det_gt[d] = best
                if gt_det[best] < 0:
                    gt_det[best] = d
            continue
        best = -1
        best_iou = limit
        for j in range(gt_order.size):
            g = gt_order[j]
            if gt_det[g] >= 0 and not gt_crowd[g]:
                continue
            if best > -1 and not gt_ignored[best] and gt_ignored[g]:
                break
            if ious[d, g] < best_iou:
                continue
            best_iou = ious[d, g]
            best = g
        if best >= 0:
            det_gt[d] = best
            gt_det[best] = d


@njit(cache=True)
def _ignored_first_order(ignored: np.ndarray) -> np.ndarray:
    order = np.empty(ignored.size, np.int64)
    n = 0
    for g in range(ignored.size):
        if not ignored[g]:
            order[n] = g
            n += 1
    for g in range(ignored.size):
        if ignored[g]:
            order[n] = g
            n += 1
    return order


@njit(cache=True)
def match_all(
    gt_box: np.ndarray,
    gt_area: np.ndarray,
    gt_crowd: np.ndarray,
    gt_ignore: np.ndarray,
    dt_box: np.ndarray,
    gt_sorted: np.ndarray,
    gt_bounds: np.ndarray,
    dt_sorted: np.ndarray,
    dt_bounds: np.ndarray,
    grid: np.ndarray,
    coco_thresholds: np.ndarray,
    coco_in_grid: np.ndarray,
    area_ranges: np.ndarray,
    max_det: int,
    rule: int,
    pixel_inclusive: bool,
    pair_capacity: int,
) -> tuple[
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
]:
    """Match every group that has both ground truth and predictions.

    Inputs: ``gt_bounds`` / ``dt_bounds`` (G, 2) are the bounds of the same G groups
    (groups lacking one side are not passed). ``grid`` (K,) are the operating-point
    thresholds, matched with no area range and no cap on predictions;
    ``coco_thresholds`` (T,) x ``area_ranges`` (A, 2) are COCO's configurations,
    matched on each group's first ``max_det`` predictions; ``coco_in_grid`` (T,) gives
    each one's index in ``grid`` (-1 if absent), so equal matchings are copied, not redone.

    Returns
    ``det_gt`` (K, M) int32: ground-truth row matched at grid threshold k, or -1;
    ``det_ignored`` (K, M) bool: that match is to a crowd/ignored row;
    ``gt_det`` (K, N) int32: prediction row matched to a ground-truth row, or -1
    (for a crowd row, the first one);
    ``coco_status`` (M, A, T) int8 outcome codes (predictions past ``max_det`` stay 0);
    ``best_gt`` (M,) int32 / ``best_iou`` (M,) float64: the same-class counted
    ground truth with the highest IoU (-1 / 0.0 when none overlaps);
    ``pair_gt``, ``pair_dt``, ``pair_iou`` (P,): every same-class (counted ground truth,
    prediction) pair with IoU > 0.
    """
    num_gt = gt_box.shape[0]
    num_dt = dt_box.shape[0]
    num_grid = grid.size
    num_area = area_ranges.shape[0]
    num_coco = coco_thresholds.size
    det_gt = np.full((num_grid, num_dt), -1, np.int32)
    det_ignored = np.zeros((num_grid, num_dt), np.bool_)
    gt_det = np.full((num_grid, num_gt), -1, np.int32)
    coco_status = np.zeros((num_dt, num_area, num_coco), np.int8)
    best_gt = np.full(num_dt, -1, np.int32)
    best_iou = np.zeros(num_dt, np.float64)
    pair_gt = np.empty(pair_capacity, np.int32)
    pair_dt = np.empty(pair_capacity, np.int32)
    pair_iou = np.empty(pair_capacity, np.float64)
    num_pairs = 0

    for group in range(gt_bounds.shape[0]):
        g0, g1 = gt_bounds[group, 0], gt_bounds[group, 1]
        d0, d1 = dt_bounds[group, 0], dt_bounds[group, 1]
        ng = g1 - g0
        nd = d1 - d0
        gts = gt_sorted[g0:g1]
        dts = dt_sorted[d0:d1]
        crowd = np.empty(ng, np.bool_)
        counted = np.empty(ng, np.bool_)
        for j in range(ng):
            crowd[j] = gt_crowd[gts[j]]
            counted[j] = not (gt_crowd[gts[j]] or gt_ignore[gts[j]])
        ious = np.empty((nd, ng), np.float64)
        for i in range(nd):
            d = dts[i]
            for j in range(ng):
                g = gts[j]
                ious[i, j] = box_iou(
                    dt_box[d, 0], dt_box[d, 1], dt_box[d, 2], dt_box[d, 3],
                    gt_box[g, 0], gt_box[g, 1], gt_box[g, 2], gt_box[g, 3],
                    crowd[j] and rule == RULE_COCO, pixel_inclusive,
                )  # fmt: skip
                if counted[j] and ious[i, j] > 0.0:
                    pair_gt[num_pairs] = g
                    pair_dt[num_pairs] = d
                    pair_iou[num_pairs] = ious[i, j]
                    num_pairs += 1
                    if ious[i, j] > best_iou[d]:
                        best_iou[d] = ious[i, j]
                        best_gt[d] = g

        local_det = np.empty(nd, np.int64)
        local_gt = np.empty(ng, np.int64)
        ignored = ~counted
        order = _ignored_first_order(ignored)
        for k in range(num_grid):
            _greedy_match(ious, order, ignored, crowd, nd, grid[k], rule, local_det, local_gt)
            for i in range(nd):
                j = local_det[i]
                if j >= 0:
                    det_gt[k, dts[i]] = gts[j]
                    det_ignored[k, dts[i]] = ignored[j]
            for j in range(ng):
                if local_gt[j] >= 0:
                    gt_det[k, gts[j]] = dts[local_gt[j]]

        capped = min(nd, max_det)
        for a in range(num_area):
            lo = area_ranges[a, 0]
            hi = area_ranges[a, 1]
            area_ignored = np.empty(ng, np.bool_)
            same_as_grid = True
            for j in range(ng):
                area = gt_area[gts[j]]
                area_ignored[j] = ignored[j] or area < lo or area > hi
                same_as_grid = same_as_grid and area_ignored[j] == ignored[j]
            area_order = _ignored_first_order(area_ignored)
            for t in range(num_coco):
                k = coco_in_grid[t]
                if same_as_grid and k >= 0:
                    # Same ignore flags, same order: the capped matching is a prefix of
                    # the grid's uncapped one.
                    for i in range(capped):
                        d = dts[i]
                        if det_gt[k, d] >= 0:
                            coco_status[d, a, t] = IGNORED if det_ignored[k, d] else MATCHED
                    continue
                _greedy_match(
                    ious, area_order, area_ignored, crowd, capped, coco_thresholds[t],
                    rule, local_det, local_gt,
                )  # fmt: skip
                for i in range(capped):
                    j = local_det[i]
                    if j >= 0:
                        coco_status[dts[i], a, t] = IGNORED if area_ignored[j] else MATCHED
    return (
        det_gt,
        det_ignored,
        gt_det,
        coco_status,
        best_gt,
        best_iou,
        pair_gt[:num_pairs].copy(),
        pair_dt[:num_pairs].copy(),
        pair_iou[:num_pairs].copy(),
    )


@njit(cache=True)
def cross_class_pairs(
    gt_box: np.ndarray,
    gt_label: np.ndarray,
    gt_counted: np.ndarray,
    dt_box: np.ndarray,
    dt_label: np.ndarray,
    gt_frame_sorted: np.ndarray,
    gt_frame_bounds: np.ndarray,
    dt_frame_sorted: np.ndarray,
    dt_frame_bounds: np.ndarray,
    min_iou: float,
    pixel_inclusive: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (prediction, counted ground truth of another class) pair in one frame with
    IoU >= ``min_iou``: the candidates for class confusions.

    ``*_frame_sorted`` list rows grouped by frame; ``*_frame_bounds`` (F, 2) hold each
    frame's [start, end). Returns ``pair_dt``, ``pair_gt`` (int32) and ``pair_iou``.
    """
    capacity = 0
    for f in range(gt_frame_bounds.shape[0]):
        capacity += (gt_frame_bounds[f, 1] - gt_frame_bounds[f, 0]) * (
            dt_frame_bounds[f, 1] - dt_frame_bounds[f, 0]
        )
    pair_dt = np.empty(capacity, np.int32)
    pair_gt = np.empty(capacity, np.int32)
    pair_iou = np.empty(capacity, np.float64)
    n = 0
    for f in range(gt_frame_bounds.shape[0]):
        for i in range(dt_frame_bounds[f, 0], dt_frame_bounds[f, 1]):
            d = dt_frame_sorted[i]
            for j in range(gt_frame_bounds[f, 0], gt_frame_bounds[f, 1]):
                g = gt_frame_sorted[j]
                if not gt_counted[g] or gt_label[g] == dt_label[d]:
                    continue
                iou = box_iou(
                    dt_box[d, 0], dt_box[d, 1], dt_box[d, 2], dt_box[d, 3],
                    gt_box[g, 0], gt_box[g, 1], gt_box[g, 2], gt_box[g, 3],
                    False, pixel_inclusive,
                )  # fmt: skip
                if iou >= min_iou and iou > 0.0:
                    pair_dt[n] = d
                    pair_gt[n] = g
                    pair_iou[n] = iou
                    n += 1
    return pair_dt[:n].copy(), pair_gt[:n].copy(), pair_iou[:n].copy()


@njit(cache=True)
def coco_accumulate(
    class_bounds: np.ndarray,
    sorted_rank: np.ndarray,
    sorted_area: np.ndarray,
    sorted_selected: np.ndarray,
    sorted_status: np.ndarray,
    num_counted_gt: np.ndarray,
    area_ranges: np.ndarray,
    max_dets: np.ndarray,
    recall_points: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """pycocotools' ``accumulate``: precision at recall points and final recall.

    Every ``sorted_*`` array is in accumulation order: by class, then descending score,
    then frame order, then row (the order of pycocotools' stable global sort), and
    ``class_bounds`` (C, 2) are each class's [start, end) in it. ``sorted_rank`` is a
    prediction's 0-based rank by score inside its (frame, class); ``sorted_selected``
    limits the evaluation to some frames; ``sorted_status`` is (M, A, T) outcome codes.
    ``num_counted_gt`` (A, C) counts the ground truth that is not ignored in each area
    range. ``max_dets`` must hold three increasing caps (COCO's 1, 10, 100).

    Returns ``precision`` (T, R, C, A, 3) and ``recall`` (T, C, A, 3), -1 where a class
    has no counted ground truth.
    """
    num_area, num_thr = sorted_status.shape[1], sorted_status.shape[2]
    num_cls = class_bounds.shape[0]
    num_rec = recall_points.size
    precision = -np.ones((num_thr, num_rec, num_cls, num_area, 3))
    recall = -np.ones((num_thr, num_cls, num_area, 3))
    eps = np.spacing(1.0)
    cap0, cap1, cap2 = max_dets[0], max_dets[1], max_dets[2]
    for c in range(num_cls):
        start, end = class_bounds[c, 0], class_bounds[c, 1]
        if (num_counted_gt[:, c] == 0).all():
            continue
        # Lay the class's predictions out as (area, threshold, position) codes so the
        # passes below read memory in order: 1 true positive, 2 counted false positive,
        # 0 neither (ignored, past every cap, or unmatched outside the area range).
        n = end - start
        codes = np.zeros((num_area, num_thr, n), np.int8)
        level = np.empty(
            n, np.int8
        )  # 0: kept by every cap, 1: by the two larger, 2: by the largest
        for i in range(n):
            s = start + i
            rank = sorted_rank[s]
            level[i] = 0 if rank < cap0 else (1 if rank < cap1 else 2)
            if not sorted_selected[s] or rank >= cap2:
                continue
            area = sorted_area[s]
            for a in range(num_area):
                outside = area < area_ranges[a, 0] or area > area_ranges[a, 1]
                for t in range(num_thr):
                    status = sorted_status[s, a, t]
                    if status == MATCHED:
                        codes[a, t, i] = 1
                    elif status == UNMATCHED and not outside:
                        codes[a, t, i] = 2
        # Precision only rises at a true positive, so the envelope (the maximum precision
        # at or after a point) and its samples need only the true positives' entries;
        # recall point 0 before any true positive reads the same maximum.
        # ``fp_at[m, j]`` is cap m's false-positive count when its TP j + 1 arrives.
        fp_at = np.empty((3, n), np.float64)
        pr = np.empty(n, np.float64)
        for a in range(num_area):
            npig = num_counted_gt[a, c]
            if npig == 0:
                continue
            for t in range(num_thr):
                row = codes[a, t]
                tp0 = tp1 = tp2 = 0
                fp0 = fp1 = fp2 = 0.0
                for i in range(n):
                    code = row[i]
                    if code == 0:
                        continue
                    lv = level[i]
                    if code == 1:
                        fp_at[2, tp2] = fp2
                        tp2 += 1
                        if lv <= 1:
                            fp_at[1, tp1] = fp1
                            tp1 += 1
                            if lv == 0:
                                fp_at[0, tp0] = fp0
                                tp0 += 1
                    else:
                        fp2 += 1.0
                        if lv <= 1:
                            fp1 += 1.0
                            if lv == 0:
                                fp0 += 1.0
                for m in range(3):
                    count = tp0 if m == 0 else (tp1 if m == 1 else tp2)
                    recall[t, c, a, m] = count / npig
                    for j in range(count):
                        pr[j] = (j + 1.0) / (fp_at[m, j] + (j + 1.0) + eps)
                    for j in range(count - 1, 0, -1):
                        if pr[j] > pr[j - 1]:
                            pr[j - 1] = pr[j]
                    j = 0
                    for r in range(num_rec):
                        # The first TP entry whose recall (j + 1) / npig reaches the point.
                        while j < count and (j + 1.0) / npig < recall_points[r]:
                            j += 1
                        precision[t, r, c, a, m] = pr[j] if j < count else 0.0
    return precision, recall


@njit(cache=True)
def operating_point_counts(
    num_classes: int,
    dt_label: np.ndarray,
    dt_score: np.ndarray,
    dt_selected: np.ndarray,
    det_gt: np.ndarray,
    det_ignored: np.ndarray,
    gt_label: np.ndarray,
    gt_selected: np.ndarray,
    gt_det: np.ndarray,
    class_conf: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-class TP, FP, FN at one grid threshold and per-class confidence thresholds.

    ``det_gt`` / ``det_ignored`` / ``gt_det`` are one row of the kept matching.
    ``gt_selected`` must already exclude crowd and ignored rows. Returns ``tp``, ``fp``,
    ``fn`` (C,) and the per-row outcome masks ``dt_is_fp`` (M,) and ``gt_is_fn`` (N,).
    """
    tp = np.zeros(num_classes, np.int64)
    fp = np.zeros(num_classes, np.int64)
    fn = np.zeros(num_classes, np.int64)
    dt_is_fp = np.zeros(dt_label.size, np.bool_)
    gt_is_fn = np.zeros(gt_label.size, np.bool_)
    for d in range(dt_label.size):
        if not dt_selected[d] or det_ignored[d]:
            continue
        c = dt_label[d]
        if dt_score[d] < class_conf[c]:
            continue
        if det_gt[d] >= 0:
            tp[c] += 1
        else:
            fp[c] += 1
            dt_is_fp[d] = True
    for g in range(gt_label.size):
        if not gt_selected[g]:
            continue
        c = gt_label[g]
        d = gt_det[g]
        if d < 0 or dt_score[d] < class_conf[c]:
            fn[c] += 1
            gt_is_fn[g] = True
    return tp, fp, fn, dt_is_fp, gt_is_fn


@njit(cache=True)
def assign_confusions(
    pair_dt: np.ndarray,
    pair_gt: np.ndarray,
    pair_iou: np.ndarray,
    dt_is_fp: np.ndarray,
    gt_is_fn: np.ndarray,
    threshold: float,
    num_dt: int,
    num_gt: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Pair leftover false positives with leftover missed ground truth of another class.

    ``pair_*`` are the cross-class candidates ordered by prediction (descending score,
    frame, row) and, within one prediction, by descending IoU. Each false positive, in
    that order, takes the highest-IoU still-free missed ground truth with IoU >=
    ``threshold``. Returns ``dt_confused_gt`` (M,) and ``gt_confused_dt`` (N,), -1 where
    unpaired.
    """
    dt_confused_gt = np.full(num_dt, -1, np.int32)
    gt_confused_dt = np.full(num_gt, -1, np.int32)
    limit = min(threshold, 1.0 - 1e-10)
    for p in range(pair_dt.size):
        d = pair_dt[p]
        g = pair_gt[p]
        if pair_iou[p] < limit or not dt_is_fp[d] or not gt_is_fn[g]:
            continue
        if dt_confused_gt[d] >= 0 or gt_confused_dt[g] >= 0:
            continue
        dt_confused_gt[d] = g
        gt_confused_dt[g] = d
    return dt_confused_gt, gt_confused_dt


@njit(cache=True)
def cumulative_curve(
    dt_order: np.ndarray,
    start: int,
    end: int,
    dt_selected: np.ndarray,
    det_gt: np.ndarray,
    det_ignored: np.ndarray,
    dt_score: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cumulative TP and FP down a score-ordered run of predictions, one entry per
    distinct score (the last row of each run of equal scores).

    Returns ``thresholds``, ``tp``, ``fp`` (float64).
    """
    n = end - start
    thresholds = np.empty(n, np.float64)
    tps = np.empty(n, np.float64)
    fps = np.empty(n, np.float64)
    tp = 0.0
    fp = 0.0
    count = 0
    last = np.nan
    for i in range(start, end):
        d = dt_order[i]
        if not dt_selected[d] or det_ignored[d]:
            continue
        if det_gt[d] >= 0:
            tp += 1.0
        else:
            fp += 1.0
        if count > 0 and dt_score[d] == last:
            count -= 1
        thresholds[count] = dt_score[d]
        tps[count] = tp
        fps[count] = fp
        last = dt_score[d]
        count += 1
    return thresholds[:count].copy(), tps[:count].copy(), fps[:count].copy()


INTERP_COCO101 = 0  # precision envelope sampled at recall 0, 0.01, ..., 1 (COCO)
INTERP_VOC_ALL = 1  # area under the precision envelope at every recall step (VOC 2010+)
INTERP_VOC11 = 2  # mean of the envelope at recall 0, 0.1, ..., 1 (VOC 2007)


@njit(cache=True)
def average_precision_by_class(
    dt_order: np.ndarray,
    class_bounds: np.ndarray,
    dt_selected: np.ndarray,
    det_gt: np.ndarray,
    det_ignored: np.ndarray,
    num_positive: np.ndarray,
    interpolation: int,
    recall_points: np.ndarray,
) -> np.ndarray:
    """Average precision of each class at one grid threshold, over every prediction
    (no cap per frame, no area range). (C,) float64; -1 where a class has no counted
    ground truth.

    ``dt_order`` / ``class_bounds`` as in ``coco_accumulate``; every prediction is its
    own point (ties are not merged), as in pycocotools and the VOC devkit. For the
    sampled interpolations, ``recall_points`` are the recall values sampled.
    """
    num_cls = class_bounds.shape[0]
    out = -np.ones(num_cls)
    eps = np.spacing(1.0)
    for c in range(num_cls):
        npos = num_positive[c]
        if npos == 0:
            continue
        start, end = class_bounds[c, 0], class_bounds[c, 1]
        n = end - start
        rc = np.empty(n, np.float64)
        pr = np.empty(n, np.float64)
        tp = 0.0
        fp = 0.0
        count = 0
        for i in range(start, end):
            d = dt_order[i]
            if not dt_selected[d] or det_ignored[d]:
                continue
            if det_gt[d] >= 0:
                tp += 1.0
            else:
                fp += 1.0
            rc[count] = tp / npos
            pr[count] = tp / (fp + tp + eps) if interpolation == INTERP_COCO101 else tp / (fp + tp)
            count += 1
        for i in range(count - 1, 0, -1):
            if pr[i] > pr[i - 1]:
                pr[i - 1] = pr[i]
        total = 0.0
        if interpolation == INTERP_VOC_ALL:
            previous = 0.0
            for i in range(count):
                total += (rc[i] - previous) * pr[i]
                previous = rc[i]
            out[c] = total
            continue
        i = 0
        for r in range(recall_points.size):
            while i < count and rc[i] < recall_points[r]:
                i += 1
            total += pr[i] if i < count else 0.0
        out[c] = total / recall_points.size
    return out


@njit(cache=True)
def counting_sort(
    keys: np.ndarray, num_keys: int, order: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Stable sort of the rows listed in ``order`` by ``keys[row]`` (0 <= key <
    ``num_keys``). Returns the new order and (num_keys, 2) [start, end) bounds."""
    counts = np.zeros(num_keys + 1, np.int64)
    for row in order:
        counts[keys[row] + 1] += 1
    for k in range(num_keys):
        counts[k + 1] += counts[k]
    bounds = np.empty((num_keys, 2), np.int64)
    for k in range(num_keys):
        bounds[k, 0] = counts[k]
        bounds[k, 1] = counts[k + 1]
    out = np.empty(order.size, order.dtype)
    for row in order:
        k = keys[row]
        out[counts[k]] = row
        counts[k] += 1
    return out, bounds


@njit(cache=True)
def sort_segments_by_score(order: np.ndarray, bounds: np.ndarray, score: np.ndarray) -> None:
    """Within each [start, end) segment of ``order``, a stable sort of the rows by
    descending ``score`` (in place): equal scores keep their order."""
    for s in range(bounds.shape[0]):
        start, end = bounds[s, 0], bounds[s, 1]
        n = end - start
        if n < 2:
            continue
        if n <= 24:
            for i in range(start + 1, end):
                row = order[i]
                value = score[row]
                j = i - 1
                while j >= start and score[order[j]] < value:
                    order[j + 1] = order[j]
                    j -= 1
                order[j + 1] = row
            continue
        segment = order[start:end].copy()
        keys = np.empty(n, np.float64)
        for i in range(n):
            keys[i] = -score[segment[i]]
        by_score = np.argsort(keys, kind="mergesort")
        for i in range(n):
            order[start + i] = segment[by_score[i]]


@njit(cache=True)
def shared_groups(
    gt_key: np.ndarray, gt_sorted: np.ndarray, dt_key: np.ndarray, dt_sorted: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """[start, end) bounds, in ``gt_sorted`` and ``dt_sorted`` (rows sorted by key), of
    every key that both sides have: the groups where matching has work to do."""
    capacity = min(gt_sorted.size, dt_sorted.size)
    gt_bounds = np.empty((capacity, 2), np.int64)
    dt_bounds = np.empty((capacity, 2), np.int64)
    n = 0
    i = 0
    j = 0
    while i < gt_sorted.size and j < dt_sorted.size:
        gk = gt_key[gt_sorted[i]]
        dk = dt_key[dt_sorted[j]]
        if gk < dk:
            i += 1
            continue
        if dk < gk:
            j += 1
            continue
        i_end = i
        while i_end < gt_sorted.size and gt_key[gt_sorted[i_end]] == gk:
            i_end += 1
        j_end = j
        while j_end < dt_sorted.size and dt_key[dt_sorted[j_end]] == dk:
            j_end += 1
        gt_bounds[n, 0], gt_bounds[n, 1] = i, i_end
        dt_bounds[n, 0], dt_bounds[n, 1] = j, j_end
        n += 1
        i, j = i_end, j_end
    return gt_bounds[:n].copy(), dt_bounds[:n].copy()


@njit(cache=True)
def ranks_in_groups(dt_sorted: np.ndarray, dt_key: np.ndarray) -> np.ndarray:
    """0-based position of each row inside its run of equal keys in ``dt_sorted``."""
    rank = np.empty(dt_sorted.size, np.int64)
    start = 0
    for i in range(dt_sorted.size):
        if i > 0 and dt_key[dt_sorted[i]] != dt_key[dt_sorted[i - 1]]:
            start = i
        rank[dt_sorted[i]] = i - start
    return rank


@njit(cache=True)
def key_runs(order: np.ndarray, key: np.ndarray) -> np.ndarray:
    """(R, 2) [start, end) of each run of equal ``key[row]`` along ``order``."""
    bounds = np.empty((order.size, 2), np.int64)
    n = 0
    start = 0
    for i in range(1, order.size + 1):
        if i == order.size or key[order[i]] != key[order[i - 1]]:
            bounds[n, 0], bounds[n, 1] = start, i
            n += 1
            start = i
    return bounds[:n].copy()


@njit(cache=True)
def pair_ious(
    dt_box: np.ndarray, gt_box: np.ndarray, crowd: np.ndarray, pixel_inclusive: bool
) -> np.ndarray:
    """IoU of each row pair (dt_box[i], gt_box[i]); (P, 4) boxes, (P,) crowd flags."""
    out = np.empty(dt_box.shape[0], np.float64)
    for i in range(out.size):
        out[i] = box_iou(
            dt_box[i, 0], dt_box[i, 1], dt_box[i, 2], dt_box[i, 3],
            gt_box[i, 0], gt_box[i, 1], gt_box[i, 2], gt_box[i, 3],
            crowd[i], pixel_inclusive,
        )  # fmt: skip
    return out
