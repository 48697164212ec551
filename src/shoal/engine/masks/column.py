"""Many masks as one column, built and compared by the C kernels in ``_native.c``.

Layout of a :class:`MaskColumn` of N masks (COCO's RLE, see ``rle.py``):

* ``counts`` (K,) uint32: every mask's run lengths end to end, each mask's in
  column-major order starting with a background run;
* ``offsets`` (N + 1,) int64: mask ``i``'s runs are ``counts[offsets[i]:offsets[i + 1]]``;
* ``height``, ``width`` (N,) int64; ``area`` (N,) int64, the foreground pixels;
* ``bbox`` (N, 4) float64: pycocotools' ``toBbox`` (x, y, width, height; 0s when the
  mask has no runs).

The kernels read compressed counts strings, rasterise polygons (pycocotools'
``frPoly`` then ``merge``, as ``annToRLE``) and compute the IoU of (prediction,
ground truth) pairs as ``maskUtils.iou`` does, on every CPU (``SHOAL_THREADS``); the
results never depend on the thread count. :class:`MaskSimilarity` is the detection
evaluator's ``PairSimilarity`` for instance masks (COCO's ``segm``).
"""

from __future__ import annotations

import ctypes
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shoal._native import F64, I64, U8, empty_unhinted, load_library, thread_count
from shoal.engine.masks.rle import Rle
from shoal.errors import InputError

__all__ = [
    "BadString",
    "MaskColumn",
    "MaskSimilarity",
    "concatenate_masks",
    "mask_pair_ious",
    "masks_from_counts",
    "masks_from_polygon_arrays",
    "masks_from_polygons",
    "masks_from_rles",
    "masks_from_spans",
    "masks_from_strings",
    "masks_to_strings",
    "set_min_work_per_thread",
]

_i64 = ctypes.c_int64
_U32 = np.ctypeslib.ndpointer(dtype=np.uint32, flags="C_CONTIGUOUS")
_lib = load_library("shoal.engine.masks._native")
# fmt: off
_SIGNATURES: dict[str, tuple[object, list[object]]] = {
    "shoal_masks_set_min_work_per_thread": (_i64, [_i64]),
    "shoal_masks_area_bbox": (None, [_i64, _U32, I64, I64, I64, I64, F64, I64, _i64]),
    "shoal_masks_pixels": (None, [_i64, _U32, I64, I64, _i64]),
    "shoal_masks_gather": (None, [_i64, _U32, I64, I64, I64, _U32, _i64]),
    "shoal_count_string_runs": (None, [_i64, U8, I64, I64, I64, _i64]),
    "shoal_masks_from_strings": (None, [
        _i64, U8, I64, I64, I64, I64, I64, _U32, I64, F64, I64, I64, _i64, _i64]),
    "shoal_masks_to_strings": (_i64, [_i64, _U32, I64, U8, I64, _i64]),
    "shoal_polygon_run_bounds": (None, [_i64, I64, I64, F64, I64, I64]),
    "shoal_masks_from_polygons": (_i64, [
        _i64, I64, I64, F64, I64, I64, I64, _U32, I64, I64, F64, _i64]),
    "shoal_mask_pair_ious": (_i64, [
        _i64, I64, I64, _U32, I64, I64, I64, I64, F64, _U32, I64, I64, I64, I64, F64, U8, F64,
        _i64]),
}
# fmt: on
for _name, (_restype, _argtypes) in _SIGNATURES.items():
    _function = getattr(_lib, _name)
    _function.restype = _restype
    _function.argtypes = _argtypes


# Text decoded per call when the caller releases what was read (a mapped file's pages).
_SLICE_BYTES = 16 << 20


def _runs_array(size: int) -> NDArray[np.uint32]:
    """An uninitialised uint32 array for ``size`` runs (see ``empty_unhinted``)."""
    return empty_unhinted(size, np.uint32)


def set_min_work_per_thread(work: int) -> int:
    """Set how much work (about one run visited per unit) the mask kernels give each
    thread at least, and return the previous value. Tests set 1 to split even tiny
    inputs across every thread."""
    return int(_lib.shoal_masks_set_min_work_per_thread(work))


def _sizes(values: ArrayLike, n: int, what: str) -> NDArray[np.int64]:
    array = np.asarray(values)
    if array.size and not np.issubdtype(array.dtype, np.integer):
        as_float = array.astype(np.float64)
        if not (np.isfinite(as_float).all() and (as_float == np.round(as_float)).all()):
            raise InputError(f"mask {what}s must be whole numbers")
    sizes = np.ascontiguousarray(np.broadcast_to(array.astype(np.int64), (n,)))
    if n and sizes.min() < 0:
        raise InputError(f"mask {int(np.flatnonzero(sizes < 0)[0])}: a negative {what}")
    return sizes


@dataclass(frozen=True, eq=False)
class MaskColumn:
    """N masks as one column (layouts in the module doc)."""

    counts: NDArray[np.uint32]
    offsets: NDArray[np.int64]
    height: NDArray[np.int64]
    width: NDArray[np.int64]
    area: NDArray[np.int64]
    bbox: NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.height.size)

    def rle(self, index: int) -> Rle:
        """Mask ``index`` as an :class:`Rle` (its runs copied)."""
        start, end = int(self.offsets[index]), int(self.offsets[index + 1])
        return Rle(int(self.height[index]), int(self.width[index]), self.counts[start:end].copy())

    def rles(self) -> list[Rle]:
        """Every mask as an :class:`Rle`."""
        pieces = np.split(self.counts, self.offsets[1:-1]) if len(self) else []
        return [
            Rle(h, w, piece.copy())
            for h, w, piece in zip(self.height.tolist(), self.width.tolist(), pieces, strict=True)
        ]

    def take(self, rows: ArrayLike) -> MaskColumn:
        """The masks of ``rows``, in that order."""
        index = np.ascontiguousarray(rows, np.int64).reshape(-1)
        if index.size and (index.min() < 0 or index.max() >= len(self)):
            raise InputError(f"a row is outside the {len(self)} masks")
        lengths = self.offsets[index + 1] - self.offsets[index]
        offsets = np.zeros(index.size + 1, np.int64)
        np.cumsum(lengths, out=offsets[1:])
        counts = _runs_array(int(offsets[-1]))
        _lib.shoal_masks_gather(
            index.size, self.counts, self.offsets, index, offsets, counts, thread_count()
        )
        return MaskColumn(
            counts,
            offsets,
            self.height[index],
            self.width[index],
            self.area[index],
            self.bbox[index],
        )

    def pixels(self) -> NDArray[np.int64]:
        """Each mask's run total: ``height * width`` for a well-formed RLE, 0 without runs."""
        out = np.empty(len(self), np.int64)
        _lib.shoal_masks_pixels(len(self), self.counts, self.offsets, out, thread_count())
        return out


def masks_from_rles(rles: Sequence[Rle]) -> MaskColumn:
    """A column of ``rles`` (their runs copied once)."""
    n = len(rles)
    lengths = np.fromiter((r.counts.size for r in rles), np.int64, n)
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    counts = (
        np.concatenate([r.counts for r in rles]).astype(np.uint32, copy=False)
        if n
        else np.zeros(0, np.uint32)
    )
    height = np.fromiter((r.height for r in rles), np.int64, n)
    width = np.fromiter((r.width for r in rles), np.int64, n)
    return masks_from_counts(counts, offsets, height, width)


def masks_from_counts(
    counts: ArrayLike, offsets: ArrayLike, height: ArrayLike, width: ArrayLike
) -> MaskColumn:
    """A column from its runs and offsets (layouts in the module doc); area and box
    are computed."""
    counts_array = np.ascontiguousarray(counts, np.uint32)
    offsets_array = np.ascontiguousarray(offsets, np.int64)
    n = offsets_array.size - 1
    heights, widths = _sizes(height, n, "height"), _sizes(width, n, "width")
    area = np.empty(n, np.int64)
    bbox = np.empty((n, 4), np.float64)
    pixels = np.empty(n, np.int64)
    _lib.shoal_masks_area_bbox(
        n, counts_array, offsets_array, heights, widths, area, bbox, pixels, thread_count()
    )
    return MaskColumn(counts_array, offsets_array, heights, widths, area, bbox)


def masks_from_strings(
    counts: Sequence[str | bytes], heights: ArrayLike, widths: ArrayLike
) -> MaskColumn:
    """A column of compressed COCO ``counts`` strings, mask ``i`` of ``heights[i]`` x
    ``widths[i]`` (or one size for all). Raises :class:`InputError` naming the first
    string (``RLE i``) that is not COCO's alphabet or ends inside a number."""
    n = len(counts)
    lengths = np.fromiter(map(len, counts), np.int64, n)
    text_offsets = np.zeros(n + 1, np.int64)
    try:
        # One join and one encoding for all (ASCII: one byte per character).
        joined = "".join(counts).encode("ascii")  # type: ignore[arg-type]
    except (TypeError, UnicodeEncodeError):
        texts = [c if isinstance(c, bytes) else c.encode("ascii", "replace") for c in counts]
        lengths = np.fromiter(map(len, texts), np.int64, n)
        joined = b"".join(texts)
    np.cumsum(lengths, out=text_offsets[1:])
    text = np.frombuffer(joined, np.uint8) if n else np.zeros(0, np.uint8)
    return masks_from_spans(text, text_offsets[:-1], text_offsets[1:], heights, widths)


class BadString(InputError):
    """A compressed counts string that cannot be read: ``index`` of the string and
    ``reason``."""

    def __init__(self, index: int, reason: str) -> None:
        super().__init__(f"RLE {index}: {reason}")
        self.index = index
        self.reason = reason


def masks_from_spans(
    text: NDArray[np.uint8],
    starts: ArrayLike,
    ends: ArrayLike,
    heights: ArrayLike,
    widths: ArrayLike,
    *,
    json_escaped: bool = False,
    release: Callable[[int, int], None] | None = None,
) -> MaskColumn:
    """A column of compressed COCO ``counts`` strings lying in one buffer (a results
    file's bytes, say): string ``i`` is ``text[starts[i]:ends[i]]``; ``json_escaped``:
    as a JSON file writes them (a backslash as two). Errors as :func:`masks_from_strings`.

    ``release(start, end)``, when given, is told each byte range of ``text`` that has
    been read for now: a mapped file's caller can drop those pages from memory (they
    are read again from the page cache). The strings are then decoded in slices, so a
    large file is never all resident at once beside its runs."""
    first = np.ascontiguousarray(starts, np.int64).reshape(-1)
    last = np.ascontiguousarray(ends, np.int64).reshape(-1)
    n = first.size
    h, w = _sizes(heights, n, "height"), _sizes(widths, n, "width")
    buffer = np.ascontiguousarray(text, np.uint8)
    runs = np.empty(n, np.int64)
    _lib.shoal_count_string_runs(n, buffer, first, last, runs, thread_count())
    if release is not None and n:
        release(int(first[0]), int(last[-1]))
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(runs, out=offsets[1:])
    counts = _runs_array(int(offsets[-1]))
    area = np.empty(n, np.int64)
    bbox = np.empty((n, 4), np.float64)
    problem = np.empty(n, np.int64)
    pixels = np.empty(n, np.int64)
    # Slices of about _SLICE_BYTES of text each (one slice without release).
    cuts = (
        np.searchsorted(last, np.arange(1, int(last[-1]) // _SLICE_BYTES + 1) * _SLICE_BYTES)
        if release is not None and n
        else np.zeros(0, np.int64)
    )
    bounds = [0, *sorted(set(cuts.tolist()) - {0, n}), n]
    for lo, hi in itertools.pairwise(bounds):
        _lib.shoal_masks_from_strings(
            hi - lo, buffer, first[lo:hi], last[lo:hi], h[lo:hi], w[lo:hi], offsets[lo:],
            counts, area[lo:hi], bbox[lo:hi], pixels[lo:hi], problem[lo:hi],
            int(json_escaped), thread_count(),
        )  # fmt: skip
        if release is not None and hi > lo:
            release(int(first[lo]), int(last[hi - 1]))
    bad = np.flatnonzero(problem != -1)
    if bad.size:
        where = int(bad[0])
        if problem[where] == -2:
            raise BadString(where, "counts ends inside a number")
        position = int(problem[where])
        char = chr(int(buffer[first[where] + position]))
        raise BadString(where, f"counts character {char!r} at {position} is not in COCO's alphabet")
    return MaskColumn(counts, offsets, h, w, area, bbox)


def masks_to_strings(masks: MaskColumn) -> list[str]:
    """Each mask's compressed COCO ``counts`` string (pycocotools' ``rleToString``)."""
    n = len(masks)
    text = np.empty(max(7 * masks.counts.size, 1), np.uint8)
    text_offsets = np.empty(n + 1, np.int64)
    total = _lib.shoal_masks_to_strings(
        n, masks.counts, masks.offsets, text, text_offsets, thread_count()
    )
    if total < 0:
        raise MemoryError("out of memory writing RLE strings")
    joined = text[:total].tobytes().decode("ascii")
    bounds = text_offsets.tolist()
    return [joined[bounds[i] : bounds[i + 1]] for i in range(n)]


def masks_from_polygons(
    polygons: Sequence[ArrayLike],
    object_of_polygon: ArrayLike,
    num_objects: int,
    heights: ArrayLike,
    widths: ArrayLike,
) -> MaskColumn:
    """One mask per object from flat polygons ``[x0, y0, x1, y1, ...]``: polygon ``q``
    belongs to object ``object_of_polygon[q]`` (non-decreasing; an object may have
    none: an empty mask), each rasterised as pycocotools' ``frPoly`` and an object's
    merged in order, as ``annToRLE`` does (an odd trailing number is ignored, as
    there). ``heights``/``widths`` per object, or one number for all."""
    owner = np.asarray(object_of_polygon, np.int64).reshape(-1)
    if owner.size != len(polygons):
        raise InputError(f"{owner.size} owners for {len(polygons)} polygons")
    if owner.size and (np.any(np.diff(owner) < 0) or owner[0] < 0 or owner[-1] >= num_objects):
        raise InputError("polygons must be grouped by object, in object order")
    h, w = _sizes(heights, num_objects, "height"), _sizes(widths, num_objects, "width")
    flat = [np.asarray(p, np.float64).reshape(-1) for p in polygons]
    pairs = np.fromiter((f.size // 2 for f in flat), np.int64, len(flat))
    coords = (
        np.concatenate([f[: 2 * k] for f, k in zip(flat, pairs.tolist(), strict=True)])
        if flat
        else np.zeros(0, np.float64)
    )
    polygon_coords = np.zeros(len(flat) + 1, np.int64)
    np.cumsum(2 * pairs, out=polygon_coords[1:])
    return masks_from_polygon_arrays(coords, polygon_coords, owner, num_objects, h, w)


def masks_from_polygon_arrays(
    coords: NDArray[np.float64],
    polygon_coords: NDArray[np.int64],
    owner: NDArray[np.int64],
    num_objects: int,
    h: NDArray[np.int64],
    w: NDArray[np.int64],
) -> MaskColumn:
    """``masks_from_polygons`` on flat arrays: ``coords`` (x, y pairs end to end),
    ``polygon_coords`` (P + 1) offsets into them, ``owner`` (P,) each polygon's object
    (non-decreasing), ``h``/``w`` (num_objects,) the objects' image sizes."""
    object_polygons = np.searchsorted(owner, np.arange(num_objects + 1), side="left").astype(
        np.int64
    )
    coords = np.ascontiguousarray(coords, np.float64)
    bounds = np.empty(num_objects, np.int64)
    _lib.shoal_polygon_run_bounds(num_objects, object_polygons, polygon_coords, coords, w, bounds)
    bound_offsets = np.zeros(num_objects + 1, np.int64)
    np.cumsum(bounds, out=bound_offsets[1:])
    counts = _runs_array(max(int(bound_offsets[-1]), 1))
    offsets = np.empty(num_objects + 1, np.int64)
    area = np.empty(num_objects, np.int64)
    bbox = np.empty((num_objects, 4), np.float64)
    total = _lib.shoal_masks_from_polygons(
        num_objects, object_polygons, polygon_coords, coords, h, w, bound_offsets, counts,
        offsets, area, bbox, thread_count(),
    )  # fmt: skip
    if total < 0:
        raise MemoryError("out of memory rasterising polygons")
    runs = _runs_array(total)
    runs[:] = counts[:total]  # the bound's room let go
    return MaskColumn(runs, offsets, h, w, area, bbox)


def concatenate_masks(parts: Sequence[MaskColumn]) -> MaskColumn:
    """The masks of ``parts`` one after the other."""
    if not parts:
        return masks_from_counts(np.zeros(0, np.uint32), np.zeros(1, np.int64), [], [])
    if len(parts) == 1:
        return parts[0]
    shifts = np.cumsum([0] + [part.counts.size for part in parts[:-1]])
    offsets = np.concatenate(
        [np.zeros(1, np.int64)]
        + [part.offsets[1:] + shift for part, shift in zip(parts, shifts, strict=True)]
    )
    return MaskColumn(
        np.concatenate([part.counts for part in parts]),
        offsets,
        np.concatenate([part.height for part in parts]),
        np.concatenate([part.width for part in parts]),
        np.concatenate([part.area for part in parts]),
        np.concatenate([part.bbox for part in parts]),
    )


def mask_pair_ious(
    predictions: MaskColumn,
    ground_truth: MaskColumn,
    dt_rows: ArrayLike,
    gt_rows: ArrayLike,
    gt_crowd: ArrayLike,
) -> NDArray[np.float64]:
    """IoU of each pair (``predictions`` mask ``dt_rows[i]``, ``ground_truth`` mask
    ``gt_rows[i]``), as pycocotools' ``maskUtils.iou``: 0 where the masks' boxes do
    not overlap or they share no pixel, and intersection over the prediction's area
    where the ground truth is a crowd (``gt_crowd``, one flag per ground-truth mask).
    Raises :class:`InputError` for a pair of masks of different sizes."""
    dt = np.ascontiguousarray(dt_rows, np.int64).reshape(-1)
    gt = np.ascontiguousarray(gt_rows, np.int64).reshape(-1)
    if dt.shape != gt.shape:
        raise InputError(f"{dt.size} prediction rows for {gt.size} ground-truth rows")
    crowd = np.ascontiguousarray(gt_crowd, np.bool_).reshape(-1)
    if crowd.size != len(ground_truth):
        raise InputError(f"{crowd.size} crowd flags for {len(ground_truth)} ground-truth masks")
    for rows, masks, what in ((dt, predictions, "prediction"), (gt, ground_truth, "ground-truth")):
        if rows.size and (rows.min() < 0 or rows.max() >= len(masks)):
            raise InputError(f"a {what} row is outside the {len(masks)} masks")
    out = np.empty(dt.size, np.float64)
    mismatch = _lib.shoal_mask_pair_ious(
        dt.size, dt, gt,
        predictions.counts, predictions.offsets, predictions.height, predictions.width,
        predictions.area, predictions.bbox,
        ground_truth.counts, ground_truth.offsets, ground_truth.height, ground_truth.width,
        ground_truth.area, ground_truth.bbox,
        crowd.view(np.uint8), out, thread_count(),
    )  # fmt: skip
    if mismatch >= 0:
        d, g = int(dt[mismatch]), int(gt[mismatch])
        raise InputError(
            f"prediction mask {d} is {_size(predictions, d)} but ground-truth mask {g} is "
            f"{_size(ground_truth, g)} (height, width); masks compared must match"
        )
    return out


def _size(masks: MaskColumn, row: int) -> tuple[int, int]:
    return int(masks.height[row]), int(masks.width[row])


class MaskSimilarity:
    """Mask IoU as the detection evaluator's ``PairSimilarity`` (``iou_type`` "segm"):
    rows of ``gt_masks`` / ``dt_masks`` are the GroundTruth / Predictions rows;
    ``gt_crowd`` the ground truth's ``iscrowd`` (crowd pairs: intersection over the
    prediction's area, as pycocotools)."""

    iou_type = "segm"

    def __init__(self, gt_masks: MaskColumn, dt_masks: MaskColumn, gt_crowd: ArrayLike) -> None:
        crowd = np.ascontiguousarray(gt_crowd, np.bool_).reshape(-1)
        if crowd.size != len(gt_masks):
            raise InputError(f"{crowd.size} crowd flags for {len(gt_masks)} ground-truth masks")
        self.gt_masks = gt_masks
        self.dt_masks = dt_masks
        self.gt_crowd = crowd

    def pair_values(
        self, dt_rows: NDArray[np.int64], gt_rows: NDArray[np.int64]
    ) -> NDArray[np.float64]:
        return mask_pair_ious(self.dt_masks, self.gt_masks, dt_rows, gt_rows, self.gt_crowd)
