"""The keypoint engine's kernels: typed Python faces over the C in ``_native.c``.

Layouts: an object's points are a run of rows of a flat ``points`` array, object ``i``
owning rows ``offsets[i]:offsets[i + 1]`` (``offsets`` has one entry more than there
are objects). Keypoint rows are (x, y, v) triples, polyline rows (x, y) pairs. Pairs
are given as two equal-length row arrays (prediction rows, ground-truth rows).
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np
from numpy.typing import NDArray

from shoal._native import F64, I64, load_library, thread_count

_i64 = ctypes.c_int64
_lib = load_library("shoal.engine.keypoints._native")
# fmt: off
_SIGNATURES: dict[str, tuple[object, list[object]]] = {
    "shoal_keypoints_set_min_work_per_thread": (_i64, [_i64]),
    "shoal_oks_exponents": (_i64, [
        _i64, I64, I64, I64, F64, I64, F64, F64, F64, I64, F64, _i64, I64, F64, _i64]),
    "shoal_oks_means": (None, [_i64, I64, F64, F64, _i64]),
    "shoal_frechet_pairs": (_i64, [
        _i64, I64, I64, I64, F64, I64, F64, _i64, _i64, _i64, F64, _i64]),
}
# fmt: on
for _name, (_restype, _argtypes) in _SIGNATURES.items():
    _function = getattr(_lib, _name)
    _function.restype = _restype
    _function.argtypes = _argtypes


def _c(array: Any, dtype: type) -> Any:
    return np.ascontiguousarray(array, dtype=dtype)


def set_min_work_per_thread(work: int) -> int:
    """Set how many points a kernel gives each thread at least and return the previous
    value (20,000 by default). Tests set 1 to split tiny inputs across every thread."""
    return int(_lib.shoal_keypoints_set_min_work_per_thread(work))


def _check(status: int, what: str) -> None:
    if status < 0:
        raise MemoryError(f"out of memory in the {what} kernel")


# Terms per pass of ``oks_terms_pairs`` (8 bytes each): a buffer that stays in cache,
# reused by every pass (a buffer for all the terms at once costs more in page faults).
_TERMS_PER_PASS = 1 << 15


def oks_term_counts(
    gt_offsets: NDArray[np.int64], gt_points: NDArray[np.float64]
) -> NDArray[np.int64]:
    """Terms OKS averages for each ground-truth row: its visible keypoints (``v > 0``),
    or all of them when none is visible."""
    counts = np.diff(gt_offsets)
    visible_before = np.zeros(gt_points.shape[0] + 1, np.int64)
    np.cumsum(gt_points[:, 2] > 0, out=visible_before[1:])
    visible = visible_before[gt_offsets[1:]] - visible_before[gt_offsets[:-1]]
    terms: NDArray[np.int64] = np.where(visible > 0, visible, counts)
    return terms


def oks_pairs(
    dt_rows: NDArray[np.int64],
    gt_rows: NDArray[np.int64],
    *,
    dt_offsets: NDArray[np.int64],
    dt_points: NDArray[np.float64],
    gt_offsets: NDArray[np.int64],
    gt_points: NDArray[np.float64],
    gt_box: NDArray[np.float64],
    gt_area: NDArray[np.float64],
    gt_vars: NDArray[np.int64],
    variances: NDArray[np.float64],
    gt_terms: NDArray[np.int64],
) -> NDArray[np.float64]:
    """pycocotools' OKS of each pair, bit for bit: the exponents in C, NumPy's ``np.exp``
    over a pass's worth at once (what pycocotools calls), the means in C as ``np.sum``
    adds. ``*_points`` are (x, y, v) rows; ``gt_box`` (N, 4) and ``gt_area`` (N,) are the
    ground truth's; ``variances`` holds each class's ``(2 * sigma) ** 2`` per keypoint,
    ``gt_vars[g]`` the offset of row ``g``'s class in it; ``gt_terms`` is
    :func:`oks_term_counts`. A pair whose keypoint counts differ scores 0."""
    dt_rows, gt_rows = _c(dt_rows, np.int64), _c(gt_rows, np.int64)
    dt_offsets, gt_offsets = _c(dt_offsets, np.int64), _c(gt_offsets, np.int64)
    out = np.empty(dt_rows.size, np.float64)
    same = (
        dt_offsets[dt_rows + 1] - dt_offsets[dt_rows]
        == gt_offsets[gt_rows + 1] - gt_offsets[gt_rows]
    )
    per_pair = np.where(same, gt_terms[gt_rows], 0)
    arrays = (
        _c(dt_points, np.float64), _c(gt_points, np.float64), _c(gt_box, np.float64),
        _c(gt_area, np.float64), _c(gt_vars, np.int64), _c(variances, np.float64),
    )  # fmt: skip
    max_points = int(np.diff(gt_offsets).max(initial=0))
    step = max(1, _TERMS_PER_PASS // max(1, max_points))
    threads = thread_count()
    # One buffer for every pass: its pages are faulted in once.
    buffer = np.empty(min(int(per_pair.sum()), step * max(1, max_points)), np.float64)
    for start in range(0, out.size, step):
        end = min(out.size, start + step)
        offsets = np.zeros(end - start + 1, np.int64)
        np.cumsum(per_pair[start:end], out=offsets[1:])
        terms = buffer[: int(offsets[-1])]
        dt_part, gt_part = dt_rows[start:end], gt_rows[start:end]
        dp, gp, box, area, gvars, variance = arrays
        status = _lib.shoal_oks_exponents(
            end - start, dt_part, gt_part, dt_offsets, dp, gt_offsets, gp, box, area, gvars,
            variance, max_points, offsets, terms, threads,
        )  # fmt: skip
        _check(status, "OKS")
        np.exp(terms, out=terms)
        _lib.shoal_oks_means(end - start, offsets, terms, out[start:end], threads)
    return out


def frechet_pairs(
    dt_rows: NDArray[np.int64],
    gt_rows: NDArray[np.int64],
    *,
    dt_offsets: NDArray[np.int64],
    dt_points: NDArray[np.float64],
    gt_offsets: NDArray[np.int64],
    gt_points: NDArray[np.float64],
    either_direction: bool = False,
) -> NDArray[np.float64]:
    """Discrete Fréchet distance of each pair of (x, y) paths (infinity when either has
    no vertex); ``either_direction`` also reads the ground truth's path backwards and
    keeps the smaller distance."""
    dt_rows, gt_rows = _c(dt_rows, np.int64), _c(gt_rows, np.int64)
    dt_offsets, gt_offsets = _c(dt_offsets, np.int64), _c(gt_offsets, np.int64)
    out = np.empty(dt_rows.size, np.float64)
    dt_counts, gt_counts = np.diff(dt_offsets), np.diff(gt_offsets)
    work = int((dt_counts[dt_rows] * gt_counts[gt_rows]).sum()) if out.size else 0
    status = _lib.shoal_frechet_pairs(
        out.size, dt_rows, gt_rows, dt_offsets, _c(dt_points, np.float64), gt_offsets,
        _c(gt_points, np.float64), int(either_direction), int(gt_counts.max(initial=0)),
        work * (2 if either_direction else 1), out, thread_count(),
    )  # fmt: skip
    _check(status, "Fréchet distance")
    return out
