"""Polygons and boxes rasterised to RLE exactly as pycocotools' ``frPyObjects`` does
(the C kernel of ``column.py``).

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

from shoal.engine.masks.column import masks_from_polygons
from shoal.engine.masks.rle import Rle
from shoal.errors import InputError

__all__ = ["box_to_rle", "polygon_to_rle", "polygons_to_rle", "polygons_to_rles"]


def polygon_to_rle(xy: ArrayLike, height: int, width: int) -> Rle:
    """The RLE of one polygon ``[x0, y0, x1, y1, ...]`` on an ``height`` x ``width``
    image (pycocotools' ``frPoly``)."""
    return polygons_to_rles([xy], height, width)[0]


def polygons_to_rles(
    polygons: Sequence[ArrayLike], heights: ArrayLike, widths: ArrayLike
) -> list[Rle]:
    """The RLE of each polygon (``polygon_to_rle`` of each, in one pass of the C kernel
    over all of them: what reading a file's ground truth needs). ``heights``/``widths``
    (N,) or one number for all."""
    n = len(polygons)
    return masks_from_polygons(polygons, np.arange(n), n, heights, widths).rles()


def box_to_rle(box: ArrayLike, height: int, width: int) -> Rle:
    """The RLE of a box (x, y, width, height), pycocotools' ``frBbox``: its outline
    as a polygon."""
    return polygon_to_rle(_box_outline(box), height, width)


def _box_outline(box: ArrayLike) -> list[float]:
    """A box (x, y, w, h) as the polygon pycocotools' ``frBbox`` rasterises."""
    x, y, bw, bh = (float(v) for v in np.asarray(box, np.float64).ravel()[:4])
    xe, ye = x + bw, y + bh
    return [x, y, x, ye, xe, ye, xe, y]


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
        checked = [np.asarray(_box_outline(coords)) for coords in checked]
    if len(checked) == 1:
        return polygon_to_rle(checked[0], height, width)
    # Rasterised and merged in order by the kernel, as annToRLE's frPyObjects + merge.
    return masks_from_polygons(checked, np.zeros(len(checked)), 1, height, width).rle(0)
