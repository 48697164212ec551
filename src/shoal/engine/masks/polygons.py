"""Polygons and boxes rasterised to RLE exactly as pycocotools' ``frPyObjects`` does.

Layouts: a polygon is a flat float64 sequence ``[x0, y0, x1, y1, ...]`` in pixel
coordinates (x to the right, y down). pycocotools' rule, reproduced step for step so
that every pixel agrees: vertices are scaled by 5 and rounded (C's truncation of
``v * 5 + 0.5``), each edge is walked one step at a time along its longer axis
(rounding the other coordinate from the edge's lower end), and every crossing of a
pixel-column centre marks where a column's foreground starts or stops; the sorted
marks become the runs. A sequence of exactly four numbers is a box (x, y, w, h), as
pycocotools reads it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shoal.engine.masks.rle import Rle, merge_rles
from shoal.errors import InputError

__all__ = ["box_to_rle", "polygon_to_rle", "polygons_to_rle", "polygons_to_rles"]

_SCALE = 5.0


def _c_int(values: NDArray[np.float64]) -> NDArray[np.int64]:
    """C's ``(int)`` of doubles: truncation toward zero."""
    return np.trunc(values).astype(np.int64)


def polygon_to_rle(xy: ArrayLike, height: int, width: int) -> Rle:
    """The RLE of one polygon ``[x0, y0, x1, y1, ...]`` on an ``height`` x ``width``
    image (pycocotools' ``frPoly``)."""
    return polygons_to_rles([xy], height, width)[0]


def polygons_to_rles(
    polygons: Sequence[ArrayLike], heights: ArrayLike, widths: ArrayLike
) -> list[Rle]:
    """The RLE of each polygon (``polygon_to_rle`` of each, in one vectorised pass over
    all of them: what reading a file's ground truth needs). ``heights``/``widths`` (N,)
    or one number for all."""
    n = len(polygons)
    hs = np.broadcast_to(np.asarray(heights, np.int64), (n,))
    ws = np.broadcast_to(np.asarray(widths, np.int64), (n,))
    if n == 0:
        return []
    flat = [np.asarray(p, dtype=np.float64).ravel() for p in polygons]
    vertices = np.asarray([f.size // 2 for f in flat], np.int64)
    coords = np.concatenate([f[: 2 * k] for f, k in zip(flat, vertices.tolist(), strict=True)])
    polygon_of_vertex = np.repeat(np.arange(n), vertices)
    first_vertex = np.cumsum(vertices) - vertices
    x = _c_int(_SCALE * coords[0::2] + 0.5)
    y = _c_int(_SCALE * coords[1::2] + 0.5)
    # Each vertex's next one, the last closing on its polygon's first.
    following = np.arange(x.size) + 1
    last_vertex = first_vertex + vertices - 1
    following[last_vertex[vertices > 0]] = first_vertex[vertices > 0]
    xs, ys, xe, ye = x, y, x[following], y[following]
    dx, dy = np.abs(xe - xs), np.abs(ys - ye)
    along_x = dx >= dy
    flip = (along_x & (xs > xe)) | (~along_x & (ys > ye))
    # Walk from the lower end so that rounding is symmetric, in the original order.
    x0, x1 = np.where(flip, xe, xs), np.where(flip, xs, xe)
    y0, y1 = np.where(flip, ye, ys), np.where(flip, ys, ye)
    steps = np.where(along_x, dx, dy)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(along_x, (y1 - y0) / dx, (x1 - x0) / dy)
    lengths = steps + 1
    edge = np.repeat(np.arange(x.size), lengths)
    d = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    t = np.where(flip[edge], steps[edge] - d, d)
    major_x = along_x[edge]
    with np.errstate(invalid="ignore"):
        # A zero-length edge has slope NaN; its one point never marks a crossing.
        rounded = np.where(major_x, y0[edge], x0[edge]) + slope[edge] * t + 0.5
        rounded_int = _c_int(np.nan_to_num(rounded))
    u = np.where(major_x, t + x0[edge], rounded_int)
    v = np.where(major_x, rounded_int, t + y0[edge])
    polygon_of_point = polygon_of_vertex[edge]

    # Crossings of a column centre between consecutive points of one polygon.
    crossing = (
        np.flatnonzero((u[1:] != u[:-1]) & (polygon_of_point[1:] == polygon_of_point[:-1])) + 1
    )
    owner = polygon_of_point[crossing]
    h, w = hs[owner], ws[owner]
    uj, up = u[crossing], u[crossing - 1]
    xd = (np.where(uj < up, uj, uj - 1).astype(np.float64) + 0.5) / _SCALE - 0.5
    keep = (np.floor(xd) == xd) & (xd >= 0) & (xd <= w - 1)
    yd = (np.minimum(v[crossing], v[crossing - 1]).astype(np.float64) + 0.5) / _SCALE - 0.5
    yd = np.ceil(np.clip(yd, 0, h))
    # Marks as uint32 positions (C's unsigned wrap-around kept), each polygon's closed
    # by h * w, sorted within the polygon; the runs are their gaps.
    marks = (xd[keep].astype(np.int64) * h[keep] + yd[keep].astype(np.int64)) & 0xFFFFFFFF
    marks = np.concatenate((marks, (hs * ws) & 0xFFFFFFFF))
    mark_owner = np.concatenate((owner[keep], np.arange(n)))
    order = np.lexsort((marks, mark_owner))
    marks, mark_owner = marks[order], mark_owner[order]
    starts_polygon = np.ones(marks.size, bool)
    starts_polygon[1:] = mark_owner[1:] != mark_owner[:-1]
    gaps = np.diff(marks, prepend=0)
    gaps[starts_polygon] = marks[starts_polygon]
    # pycocotools walks the gaps after the first: an empty gap is dropped together with
    # the gap after it, which joins the run before. So empty gaps pair up, and the
    # gap after an odd stretch of them joins the previous run.
    empty = (gaps == 0) & ~starts_polygon
    zeros_so_far = np.cumsum(empty)
    zeros_at_last_run = np.maximum.accumulate(np.where(empty, 0, zeros_so_far))
    stretch = np.zeros(gaps.size, np.int64)
    stretch[1:] = zeros_so_far[:-1] - zeros_at_last_run[:-1]  # empty gaps just before
    kept = ~empty
    joins = kept & (stretch % 2 == 1) & ~starts_polygon
    run_starts = np.flatnonzero(~joins[kept])
    counts = np.add.reduceat(gaps[kept], run_starts).astype(np.uint32)
    runs_per_polygon = np.bincount(mark_owner[kept][run_starts], minlength=n)
    pieces = np.split(counts, np.cumsum(runs_per_polygon)[:-1])
    return [Rle(int(hh), int(ww), piece) for hh, ww, piece in zip(hs, ws, pieces, strict=True)]


def box_to_rle(box: ArrayLike, height: int, width: int) -> Rle:
    """The RLE of a box (x, y, width, height), pycocotools' ``frBbox``: its outline
    as a polygon."""
    x, y, bw, bh = (float(v) for v in np.asarray(box, np.float64).ravel()[:4])
    xe, ye = x + bw, y + bh
    return polygon_to_rle([x, y, x, ye, xe, ye, xe, y], height, width)


def polygons_to_rle(
    polygons: Sequence[Any], height: int, width: int, *, what: str = "segmentation"
) -> Rle:
    """One object's COCO polygons as one RLE: each rasterised, then their union
    (pycocotools' ``frPyObjects`` then ``merge``, as ``annToRLE`` does). As there,
    when the first sequence has four numbers, every one is a box (x, y, w, h)."""
    checked: list[NDArray[np.float64]] = []
    as_boxes = False
    for number, polygon in enumerate(polygons):
        try:
            coords = np.asarray(polygon, dtype=np.float64).ravel()
        except (TypeError, ValueError):
            raise InputError(f"{what}: polygon {number} is not a list of numbers") from None
        if number == 0:
            as_boxes = coords.size == 4
        if as_boxes and coords.size != 4:
            raise InputError(f"{what}: box {number} has {coords.size} numbers, not 4")
        if coords.size < 4 or coords.size % 2:
            raise InputError(
                f"{what}: polygon {number} has {coords.size} numbers "
                "(needs an even count, at least 4)"
            )
        if not np.isfinite(coords).all():
            raise InputError(f"{what}: polygon {number} has a coordinate that is not finite")
        checked.append(coords)
    if not checked:
        raise InputError(f"{what}: no polygons")
    if as_boxes:
        return merge_rles([box_to_rle(coords, height, width) for coords in checked])
    return merge_rles(polygons_to_rles(checked, height, width))
