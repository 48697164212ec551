"""Mask IoU straight from RLE runs (no decoding), as pycocotools' ``maskUtils.iou``.

Layouts: ``predictions`` (D) and ``ground_truth`` (G) are sequences of ``Rle``;
``iscrowd`` (G,) bool. The result is (D, G) float64, like pycocotools' ``iou(dt, gt,
iscrowd)``. IoU is intersection / union, or intersection / the prediction's area for
a crowd ground truth (COCO's rule), and 0 where the masks' boxes do not overlap or
the masks share no pixel.

How, in one vectorised pass: every prediction's foreground runs are laid end to end
on one line (prediction ``d`` shifted by ``d * (h * w + 1)``), with the foreground
total before each run; the foreground of a prediction before a position is then a
binary search away, and a pair's intersection is the sum, over the ground truth's
foreground runs, of that count at the run's end minus at its start.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shoal.engine.masks.rle import Rle, rle_area, rle_bbox
from shoal.errors import InputError

__all__ = ["mask_iou"]


def _foreground_runs(
    rles: Sequence[Rle],
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Starts and ends (R,) of every foreground run, each RLE's runs in turn, and the
    offsets (N + 1,) of each RLE's runs in them."""
    sizes = np.asarray([r.counts.size for r in rles], np.int64)
    offsets = np.zeros(len(rles) + 1, np.int64)
    np.cumsum(sizes // 2, out=offsets[1:])
    if not rles or not sizes.sum():
        return np.zeros(0, np.int64), np.zeros(0, np.int64), offsets
    runs = np.concatenate([r.counts for r in rles]).astype(np.int64)
    first = np.cumsum(sizes) - sizes
    totals = np.cumsum(runs)
    # Where each run ends inside its own mask: the running total restarted per mask.
    at = np.minimum(first, runs.size - 1)  # a mask without runs repeats nothing
    ends = totals - np.repeat(totals[at] - runs[at], sizes)
    foreground = (np.arange(runs.size) - np.repeat(first, sizes)) % 2 == 1
    return (ends - runs)[foreground], ends[foreground], offsets


def _boxes_overlap(dt_box: NDArray[np.float64], gt_box: NDArray[np.float64]) -> NDArray[np.bool_]:
    """(D, G): whether pycocotools' box IoU of the masks' boxes is above 0."""
    dx, dy, dw, dh = (dt_box[:, i, None] for i in range(4))
    gx, gy, gw, gh = (gt_box[None, :, i] for i in range(4))
    width = np.minimum(dw + dx, gw + gx) - np.maximum(dx, gx)
    height = np.minimum(dh + dy, gh + gy) - np.maximum(dy, gy)
    return (width > 0) & (height > 0)


def mask_iou(
    predictions: Sequence[Rle], ground_truth: Sequence[Rle], iscrowd: ArrayLike | None = None
) -> NDArray[np.float64]:
    """IoU (D, G) of every prediction mask with every ground-truth mask (see the
    module's layouts); all masks must have one size where their boxes overlap."""
    num_dt, num_gt = len(predictions), len(ground_truth)
    crowd = np.zeros(num_gt, bool) if iscrowd is None else np.asarray(iscrowd, bool).reshape(-1)
    if crowd.size != num_gt:
        raise InputError(f"iscrowd has {crowd.size} values for {num_gt} ground-truth masks")
    iou = np.zeros((num_dt, num_gt), np.float64)
    if num_dt == 0 or num_gt == 0:
        return iou
    dt_index, gt_index = np.nonzero(_boxes_overlap(rle_bbox(predictions), rle_bbox(ground_truth)))
    if dt_index.size == 0:
        return iou
    dt_size = np.asarray([r.size for r in predictions], np.int64).reshape(-1, 2)
    gt_size = np.asarray([r.size for r in ground_truth], np.int64).reshape(-1, 2)
    mismatched = np.flatnonzero((dt_size[dt_index] != gt_size[gt_index]).any(axis=1))
    if mismatched.size:
        d, g = int(dt_index[mismatched[0]]), int(gt_index[mismatched[0]])
        raise InputError(
            f"prediction mask {d} is {predictions[d].size} but ground-truth mask {g} "
            f"is {ground_truth[g].size} (height, width); masks compared must match"
        )

    dt_starts, dt_ends, dt_offsets = _foreground_runs(predictions)
    gt_starts, gt_ends, gt_offsets = _foreground_runs(ground_truth)
    block = max(r.height * r.width for r in predictions) + 1
    dt_shift = np.repeat(np.arange(num_dt, dtype=np.int64) * block, np.diff(dt_offsets))
    line_starts, line_ends = dt_starts + dt_shift, dt_ends + dt_shift
    lengths = line_ends - line_starts
    before = np.cumsum(lengths) - lengths  # foreground on the line before each run

    def foreground_before(position: NDArray[np.int64]) -> NDArray[np.int64]:
        run = np.searchsorted(line_starts, position, side="right") - 1
        safe = np.maximum(run, 0)
        inside = np.clip(position - line_starts[safe], 0, lengths[safe])
        return np.where(run >= 0, before[safe] + inside, 0)

    # Every (pair, ground-truth run) as one row.
    runs_per_pair = gt_offsets[gt_index + 1] - gt_offsets[gt_index]
    pair_of_row = np.repeat(np.arange(dt_index.size), runs_per_pair)
    first_row = np.cumsum(runs_per_pair) - runs_per_pair
    gt_run = gt_offsets[gt_index][pair_of_row] + (
        np.arange(pair_of_row.size) - first_row[pair_of_row]
    )
    shift = dt_index[pair_of_row].astype(np.int64) * block
    overlap = foreground_before(gt_ends[gt_run] + shift) - foreground_before(
        gt_starts[gt_run] + shift
    )
    intersection = np.bincount(pair_of_row, weights=overlap, minlength=dt_index.size)

    dt_area = rle_area(predictions).astype(np.float64)[dt_index]
    gt_area = rle_area(ground_truth).astype(np.float64)[gt_index]
    union = np.where(crowd[gt_index], dt_area, dt_area + gt_area - intersection)
    union = np.where(intersection == 0, 1.0, union)
    iou[dt_index, gt_index] = intersection / union
    return iou
