"""TIDE's per-object assignment (Bolya et al., ECCV 2020): which predictions are true
positives, which are ignored by a crowd region, and the error type of every other
prediction and of every missed ground truth, as tidecv 1.0.1 assigns them in box mode.

The walk over frames is C (``_tide_native.c``); this module chooses the predictions TIDE
keeps (per frame, by descending score, file order breaking ties, at most ``max_dets``)
and lays out the arrays. The dAP built on it is :mod:`shoal.analysis.tide`.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from shoal._native import F64, I8, I32, I64, U8, load_library
from shoal.engine.detection.annotations import GroundTruth, Predictions
from shoal.engine.detection.evaluator import frame_order as by_frame_id

__all__ = [
    "CROWD_IGNORED",
    "ERROR_CODES",
    "FALSE_POSITIVE",
    "NOT_KEPT",
    "TRUE_POSITIVE",
    "TideAssignment",
    "assign",
]

# Prediction states.
NOT_KEPT = -1  # beyond the per-frame limit, or on a frame left out: not evaluated
FALSE_POSITIVE = 0
TRUE_POSITIVE = 1
CROWD_IGNORED = 2  # matched no ground truth but lies in a crowd region of its class

# Error codes, in TIDE's display order (0: no error).
ERROR_CODES: dict[str, int] = {"Cls": 1, "Loc": 2, "Both": 3, "Dupe": 4, "Bkg": 5, "Miss": 6}

_i64 = ctypes.c_int64
_f64 = ctypes.c_double
_lib = load_library("shoal.engine.detection._tide_native")
_assign = _lib.shoal_tide_assign
_assign.restype = _i64
_assign.argtypes = [
    _i64, I64, I64, I64, I64, F64, I32, F64, F64, I32, U8, _f64, _f64, I8, I8, I64, I8, I8, I64,
]  # fmt: skip


@dataclass(frozen=True, slots=True, eq=False)
class TideAssignment:
    """Per-row outcome of one TIDE run (rows of the inputs, in their order).

    ``prediction_state``: NOT_KEPT, FALSE_POSITIVE, TRUE_POSITIVE or CROWD_IGNORED.
    ``prediction_error``: an ERROR_CODES value (0 for true positives and rows not kept).
    ``prediction_target``: the ground-truth row a true positive matched, a Cls/Loc error
    targets, or a Dupe error's ground truth was taken by (-1 otherwise).
    ``prediction_position``: the order TIDE pushes kept predictions in (frames in order,
    descending score inside a frame), -1 when not kept; it breaks AP's score ties.
    ``ground_truth_matched`` / ``ground_truth_missed``: per ground-truth row (crowds
    neither); ``ground_truth_in_frames``: on a selected frame. ``ground_truth_fixer``: the prediction whose Cls or Loc fix would match
    that ground truth (the highest-scoring one targeting it while unmatched), else -1.
    """

    prediction_state: NDArray[np.int8]
    prediction_error: NDArray[np.int8]
    prediction_target: NDArray[np.int64]
    prediction_position: NDArray[np.int64]
    ground_truth_matched: NDArray[np.bool_]
    ground_truth_missed: NDArray[np.bool_]
    ground_truth_fixer: NDArray[np.int64]
    ground_truth_in_frames: NDArray[np.bool_]


def _grouped_by_frame(
    row_walk: NDArray[np.int64], rows: NDArray[np.int64], num_frames: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """``rows`` by the walk rank of their frame (``row_walk``, per row), their own order
    kept inside a frame, and the (F + 1) offsets of each frame's run."""
    order = rows[np.argsort(row_walk[rows], kind="stable")]
    bounds = np.zeros(num_frames + 1, np.int64)
    np.cumsum(np.bincount(row_walk[rows], minlength=num_frames), out=bounds[1:])
    return order.astype(np.int64, copy=False), bounds


def assign(
    gt: GroundTruth,
    dt: Predictions,
    *,
    fg_iou: float = 0.5,
    bg_iou: float = 0.1,
    max_dets: int = 100,
    frames: NDArray[np.bool_] | None = None,
    frame_order: NDArray[np.int64] | None = None,
) -> TideAssignment:
    """Run TIDE's matching and error assignment on the frames ``frames`` selects (a mask
    over ``gt.frame_ids``; every frame by default). Crowds (and ground truth flagged
    ``ignore``) are TIDE's ignore regions.

    Frames are walked in ``frame_order`` (frame positions; by default by id, numerically
    when every id is a number, as COCO accumulation orders them). The walk decides which
    of two points with equal scores on different frames ranks first in AP; tidecv walks
    images in its file's order, so the two agree when the file lists images by id."""
    num_frames = gt.num_frames
    walk = by_frame_id(gt.frame_ids) if frame_order is None else frame_order
    walk_rank = np.empty(num_frames, dtype=np.int64)
    walk_rank[np.asarray(walk, np.int64)] = np.arange(num_frames, dtype=np.int64)
    dt_walk = walk_rank[dt.frame]
    selected = np.ones(num_frames, bool) if frames is None else np.asarray(frames, bool)
    dt_rows = np.flatnonzero(selected[dt.frame]).astype(np.int64)
    gt_rows = np.flatnonzero(selected[gt.frame]).astype(np.int64)
    # Per frame, descending score, file order breaking ties (Python's stable sort in
    # tidecv), then the first max_dets.
    by_score = dt_rows[np.lexsort((dt_rows, -dt.score[dt_rows], dt_walk[dt_rows]))]
    dt_order, dt_bounds = _grouped_by_frame(dt_walk, by_score, num_frames)
    rank = np.arange(dt_order.size, dtype=np.int64) - np.repeat(dt_bounds[:-1], np.diff(dt_bounds))
    kept = rank < max_dets
    dt_order = dt_order[kept]
    dt_bounds = np.zeros(num_frames + 1, np.int64)
    np.cumsum(np.bincount(dt_walk[dt_order], minlength=num_frames), out=dt_bounds[1:])
    gt_order, gt_bounds = _grouped_by_frame(walk_rank[gt.frame], gt_rows, num_frames)

    n_dt, n_gt = len(dt), len(gt)
    regions = gt.iscrowd | gt.ignore
    state = np.full(n_dt, NOT_KEPT, np.int8)
    error = np.zeros(n_dt, np.int8)
    target = np.full(n_dt, -1, np.int64)
    gt_state = np.zeros(n_gt, np.int8)
    missed = np.zeros(n_gt, np.int8)
    fixer = np.full(n_gt, -1, np.int64)
    status = _assign(
        num_frames,
        dt_bounds,
        dt_order,
        gt_bounds,
        gt_order,
        np.ascontiguousarray(dt.box, np.float64),
        np.ascontiguousarray(dt.label, np.int32),
        np.ascontiguousarray(dt.score, np.float64),
        np.ascontiguousarray(gt.box, np.float64),
        np.ascontiguousarray(gt.label, np.int32),
        np.ascontiguousarray(regions, np.uint8),
        float(fg_iou),
        float(bg_iou),
        state,
        error,
        target,
        gt_state,
        missed,
        fixer,
    )
    if status < 0:
        raise MemoryError("out of memory in the TIDE kernel")
    position = np.full(n_dt, -1, np.int64)
    position[dt_order] = np.arange(dt_order.size, dtype=np.int64)
    in_frames = np.zeros(n_gt, bool)
    in_frames[gt_rows] = True
    return TideAssignment(
        prediction_state=state,
        prediction_error=error,
        prediction_target=target,
        prediction_position=position,
        ground_truth_matched=(gt_state == TRUE_POSITIVE) & in_frames & ~regions,
        ground_truth_missed=missed.astype(bool) & in_frames,
        ground_truth_fixer=fixer,
        ground_truth_in_frames=in_frames,
    )
