"""COCO run-length encoding (RLE) of binary masks: the codec, area, box and union.

Layouts, as in COCO and pycocotools:

* A mask of height ``h`` and width ``w`` is read in column-major order (down the
  first column, then the next): pixel (row ``y``, column ``x``) is position
  ``x * h + y``.
* ``Rle.counts`` (uint32, K) holds alternating run lengths along that order, the
  first run of background (0 when the mask starts with foreground); they sum to
  ``h * w``. Foreground runs are the odd indices.
* COCO's *uncompressed* form is ``{"size": [h, w], "counts": [ints]}``; the
  *compressed* one has ``counts`` as a string: each count (from the fourth on, minus
  the count two before it) in 5-bit groups, low first, each group plus a
  continuation bit written as the character ``48 + group``; the last group's top
  bit carries the sign.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shoal.errors import InputError

__all__ = [
    "Rle",
    "decode_mask",
    "encode_mask",
    "merge_rles",
    "rle_area",
    "rle_bbox",
    "rle_from_coco",
    "rle_from_string",
    "rle_to_coco",
    "rle_to_string",
    "rles_from_strings",
]


@dataclass(frozen=True, eq=False)
class Rle:
    """One mask as runs: ``height`` x ``width`` pixels, ``counts`` (uint32) in
    column-major order starting with a background run (see the module's layouts)."""

    height: int
    width: int
    counts: NDArray[np.uint32]

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Rle)
            and (self.height, self.width) == (other.height, other.width)
            and np.array_equal(self.counts, other.counts)
        )

    __hash__ = None  # type: ignore[assignment]

    @property
    def size(self) -> tuple[int, int]:
        """(height, width), COCO's ``size``."""
        return self.height, self.width


def _check_size(height: Any, width: Any, what: str) -> tuple[int, int]:
    try:
        h, w = int(height), int(width)
    except (TypeError, ValueError):
        raise InputError(f"{what}: size {[height, width]!r} is not two whole numbers") from None
    if h < 0 or w < 0 or h != height or w != width:
        raise InputError(f"{what}: size {[height, width]!r} is not two whole numbers >= 0")
    return h, w


def encode_mask(mask: ArrayLike) -> Rle:
    """The RLE of a binary mask (h, w): nonzero pixels are foreground."""
    pixels = np.asarray(mask)
    if pixels.ndim != 2:
        raise InputError(f"a mask must be 2-d (height, width), not shape {pixels.shape}")
    h, w = pixels.shape
    flat = pixels.ravel(order="F") != 0
    # Positions where the value changes, bounded by 0 and h*w; the runs are their gaps.
    changes = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    edges = np.concatenate(([0], changes, [flat.size])) if flat.size else np.zeros(1, np.int64)
    counts = np.diff(edges)
    if flat.size and flat[0]:
        counts = np.concatenate(([0], counts))
    if not flat.size:
        counts = np.zeros(1 if h * w == 0 else 0, np.int64)
    return Rle(h, w, counts.astype(np.uint32))


def decode_mask(rle: Rle) -> NDArray[np.uint8]:
    """The binary mask (h, w) uint8 of ``rle``; runs past ``h * w`` are cut off there."""
    counts = rle.counts.astype(np.int64)
    values = np.zeros(counts.size, np.uint8)
    values[1::2] = 1
    flat = np.repeat(values, counts)[: rle.height * rle.width]
    if flat.size < rle.height * rle.width:
        flat = np.concatenate((flat, np.zeros(rle.height * rle.width - flat.size, np.uint8)))
    return flat.reshape((rle.height, rle.width), order="F")


_GROUPS = 7  # 5-bit groups enough for any difference of two uint32 counts


def rle_to_string(rle: Rle) -> str:
    """The compressed COCO ``counts`` string of ``rle``."""
    counts = rle.counts.astype(np.int64)
    deltas = counts.copy()
    # pycocotools differences from the fourth count on (its ``i > 2``), kept for equal strings.
    deltas[3:] -= counts[1:-2]
    shifts = 5 * np.arange(_GROUPS, dtype=np.int64)
    groups = (deltas[:, None] >> shifts) & 0x1F  # (K, 7), low group first
    rest = deltas[:, None] >> (shifts + 5)
    more = np.where(groups & 0x10, rest != -1, rest != 0)
    # A number ends at its first group with nothing more to say.
    length = np.argmin(more, axis=1) + 1
    written = np.arange(_GROUPS) < length[:, None]
    chars = (groups | np.where(more, 0x20, 0)) + 48
    text: str = chars[written].astype(np.uint8).tobytes().decode("ascii")
    return text


def rle_from_string(counts: str | bytes, height: int, width: int) -> Rle:
    """The RLE of a compressed COCO ``counts`` string for an ``height`` x ``width`` mask."""
    h, w = _check_size(height, width, "RLE")
    return rles_from_strings([counts], h, w)[0]


def rles_from_strings(
    counts: Sequence[str | bytes], heights: ArrayLike, widths: ArrayLike
) -> list[Rle]:
    """Many compressed COCO ``counts`` strings at once (``rle_from_string`` of each, in
    one pass of the C kernel: what reading a results file needs). ``heights``/``widths``
    (N,) or one number for all."""
    from shoal.engine.masks.column import masks_from_strings

    return masks_from_strings(counts, heights, widths).rles()


def rle_from_coco(segmentation: Any, height: int, width: int, *, what: str = "segmentation") -> Rle:
    """One object's COCO ``segmentation`` as an RLE, as pycocotools' ``annToRLE`` reads it:
    a list of polygons (rasterised, then their union), an uncompressed RLE or a
    compressed one. ``height``/``width`` are the image's (polygons carry no size)."""
    from shoal.engine.masks.polygons import polygons_to_rle

    if isinstance(segmentation, Mapping):
        if "counts" not in segmentation or "size" not in segmentation:
            raise InputError(f"{what}: an RLE needs 'size' and 'counts'")
        size = segmentation["size"]
        if not isinstance(size, Sequence) or len(size) != 2:
            raise InputError(f"{what}: size {size!r} is not [height, width]")
        h, w = _check_size(size[0], size[1], what)
        counts = segmentation["counts"]
        if isinstance(counts, str | bytes):
            return rle_from_string(counts, h, w)
        array = np.asarray(counts)
        if array.ndim != 1 or (array.size and not np.issubdtype(array.dtype, np.integer)):
            raise InputError(f"{what}: counts is neither a string nor a list of whole numbers")
        if array.size and (array.min() < 0 or array.max() > 0xFFFFFFFF):
            raise InputError(f"{what}: counts has a run length out of range")
        return Rle(h, w, array.astype(np.uint32))
    if isinstance(segmentation, Sequence) and not isinstance(segmentation, str | bytes):
        return polygons_to_rle(segmentation, height, width, what=what)
    raise InputError(f"{what}: neither polygons nor an RLE ({type(segmentation).__name__})")


def rle_to_coco(rle: Rle) -> dict[str, Any]:
    """``{"size": [h, w], "counts": str}``, COCO's compressed RLE (as pycocotools writes)."""
    return {"size": [rle.height, rle.width], "counts": rle_to_string(rle)}


def rle_area(rles: Sequence[Rle]) -> NDArray[np.int64]:
    """Foreground pixels of each RLE (N,): the sum of its odd runs."""
    return np.asarray([int(r.counts[1::2].sum(dtype=np.int64)) for r in rles], np.int64)


def rle_bbox(rles: Sequence[Rle]) -> NDArray[np.float64]:
    """Each RLE's box (N, 4) as (x, y, width, height) float64, 0s for an RLE without
    runs: pycocotools' ``toBbox`` (2.0.8 on): the first and last pixel of every
    non-empty foreground run, a run spanning columns covering the full height (the C
    kernel of ``column.py``)."""
    from shoal.engine.masks.column import masks_from_rles

    return masks_from_rles(rles).bbox


def merge_rles(rles: Sequence[Rle], *, intersect: bool = False) -> Rle:
    """The union (or intersection) of same-size RLEs, as pycocotools' ``merge``: one
    RLE comes back unchanged, several give canonical runs."""
    if not rles:
        return Rle(0, 0, np.zeros(0, np.uint32))
    if len(rles) == 1:
        return rles[0]
    first = rles[0]
    if any(r.size != first.size for r in rles):
        sizes = sorted({r.size for r in rles})
        raise InputError(f"masks of different sizes cannot be merged: {sizes}")
    if intersect:
        combined = decode_mask(first).astype(bool)
        for other in rles[1:]:
            combined &= decode_mask(other).astype(bool)
        return encode_mask(combined)
    return _union_of_runs(rles)


def _union_of_runs(rles: Sequence[Rle]) -> Rle:
    """The union of same-size RLEs without decoding: every foreground run (cut at
    ``h * w``), sorted by start, joined while they overlap or touch."""
    h, w = rles[0].size
    total = h * w
    starts_list, ends_list = [], []
    for rle in rles:
        edges = np.minimum(np.concatenate(([0], np.cumsum(rle.counts, dtype=np.int64))), total)
        starts_list.append(edges[1:-1:2])
        ends_list.append(edges[2::2])
    starts, ends = np.concatenate(starts_list), np.concatenate(ends_list)
    nonempty = ends > starts
    starts, ends = starts[nonempty], ends[nonempty]
    if starts.size == 0:
        return Rle(h, w, np.asarray([total], np.uint32))
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], np.maximum.accumulate(ends[order])
    # A run opens where it starts after everything before it has ended.
    opens = np.ones(starts.size, bool)
    opens[1:] = starts[1:] > ends[:-1]
    run_starts = starts[opens]
    run_ends = ends[np.append(np.flatnonzero(opens)[1:] - 1, starts.size - 1)]
    edges = np.column_stack((run_starts, run_ends)).ravel()
    counts = np.diff(edges, prepend=0)
    if run_ends[-1] < total:
        counts = np.append(counts, total - run_ends[-1])
    return Rle(h, w, counts.astype(np.uint32))
