"""Quality metrics of images and boxes: NumPy kernels on arrays handed in.

Every definition is in docs/quality.md; in short:

Frame (on the image's pixels, see ``WORKING_SIDE``)
    ``brightness`` mean luma / 255; ``contrast`` standard deviation of luma / 255;
    ``sharpness`` variance of the 4-neighbour Laplacian of luma; ``colorfulness``
    Hasler and Süsstrunk's M on the 0-255 scale (0 for a gray image).
Boxes (labels or predictions; geometry needs no image)
    ``relative_area`` box area / image area; ``aspect_ratio`` width / height;
    ``border_distance`` distance to the nearest image border, as a fraction of that
    border's axis (0 when the box touches or crosses it); ``max_overlap`` the largest
    IoU with another box of the same frame (and the same set); ``crop_brightness`` and
    ``crop_sharpness`` the frame's definitions on the box's pixels.
Frame labels
    ``label_count``; ``label_density`` sum of the labels' relative areas.

Luma is ITU-R BT.601's ``0.299 R + 0.587 G + 0.114 B`` in floating point (what
Pillow's and OpenCV's grayscale conversions compute before rounding). A value that
cannot be computed is NaN (the store keeps it as null).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shoal.errors import InputError

__all__ = [
    "BOX_METRICS",
    "FRAME_METRICS",
    "LUMA_WEIGHTS",
    "WORKING_SIDE",
    "BoxGeometry",
    "CropQuality",
    "FrameLabels",
    "FramePixels",
    "box_geometry",
    "brightness",
    "colorfulness",
    "contrast",
    "crop_bounds",
    "crop_quality",
    "frame_labels",
    "frame_pixels",
    "image_geometry",
    "laplacian",
    "luma",
    "max_overlap",
    "sharpness",
]

WORKING_SIDE = 320
"""The longest side, in pixels, of the image the pixel metrics are computed on: a larger
image is first reduced to it (area averaging), so that sharpness (which grows with
resolution) compares images of different sizes, and reading stays fast. A smaller image
is used as it is (never enlarged)."""

LUMA_WEIGHTS = (0.299, 0.587, 0.114)

FRAME_METRICS: dict[str, str] = {
    "brightness": "mean luma / 255 (0 black, 1 white)",
    "contrast": "standard deviation of luma / 255",
    "sharpness": "variance of the Laplacian of luma (4-neighbour kernel), "
    f"at most {WORKING_SIDE} px on the longest side",
    "colorfulness": "Hasler and Süsstrunk's colorfulness M (0 for gray; 0-255 scale)",
    "image_width": "image width in pixels",
    "image_height": "image height in pixels",
    "image_area": "image width x height in pixels",
    "aspect_ratio": "image width / height",
    "label_count": "number of labels on the frame",
    "label_density": "sum of the labels' box areas / image area (overlaps count twice)",
}
BOX_METRICS: dict[str, str] = {
    "relative_area": "box area / image area",
    "aspect_ratio": "box width / height",
    "border_distance": "distance to the nearest image border / that axis' length "
    "(0 touching or crossing it)",
    "max_overlap": "largest IoU with another box of the same frame",
    "crop_brightness": "mean luma of the box's pixels / 255",
    "crop_sharpness": "variance of the Laplacian of luma inside the box",
}

Float64s = NDArray[np.float64]
Floats = NDArray[np.floating[Any]]


def luma(pixels: ArrayLike) -> Floats:
    """BT.601 luma of an ``H x W`` (gray) or ``H x W x C`` image (RGB, or RGBA whose
    alpha is ignored), on the pixels' own scale, in float32 (sums over it are taken in
    float64)."""
    array = np.asarray(pixels)
    if array.ndim == 2:
        return array.astype(np.float32)
    if array.ndim != 3 or array.shape[2] < 3:
        raise InputError(f"an image is H x W or H x W x 3 (RGB), not shape {array.shape}")
    channels = array[..., :3].astype(np.float32)
    result: Floats = channels @ np.asarray(LUMA_WEIGHTS, np.float32)
    return result


def brightness(gray: Floats) -> float:
    """Mean luma / 255 (NaN for an empty image)."""
    return float(gray.mean(dtype=np.float64)) / 255.0 if gray.size else float("nan")


def contrast(gray: Floats) -> float:
    """Population standard deviation of luma / 255 (NaN for an empty image)."""
    return float(gray.std(dtype=np.float64)) / 255.0 if gray.size else float("nan")


def laplacian(gray: Floats) -> Floats:
    """The 4-neighbour Laplacian (kernel ``[[0, 1, 0], [1, -4, 1], [0, 1, 0]]``) at every
    pixel whose neighbours are all inside the image: an ``(H - 2) x (W - 2)`` array, so
    no border rule enters the values."""
    if gray.shape[0] < 3 or gray.shape[1] < 3:
        return np.zeros((0, 0), gray.dtype)
    centre = gray[1:-1, 1:-1]
    result: Floats = (
        gray[:-2, 1:-1] + gray[2:, 1:-1] + gray[1:-1, :-2] + gray[1:-1, 2:] - 4.0 * centre
    )
    return result


def sharpness(gray: Floats, response: Floats | None = None) -> float:
    """Variance of the Laplacian over the image's interior (NaN below 3 x 3 pixels);
    ``response``: ``laplacian(gray)``, when the caller has it already."""
    if response is None:
        response = laplacian(gray)
    return float(response.var(dtype=np.float64)) if response.size else float("nan")


def colorfulness(pixels: ArrayLike) -> float:
    """Hasler and Süsstrunk (2003): with ``rg = R - G`` and ``yb = (R + G) / 2 - B``,
    ``M = sqrt(std(rg)² + std(yb)²) + 0.3 * sqrt(mean(rg)² + mean(yb)²)`` on the 0-255
    scale. 0 for a gray (2-D) image."""
    array = np.asarray(pixels)
    if array.ndim == 2:
        return 0.0 if array.size else float("nan")
    if array.size == 0:
        return float("nan")
    red, green, blue = (array[..., c].astype(np.float32) for c in range(3))
    rg = red - green  # exact in float32, as is yb (halves of integers)
    yb = 0.5 * (red + green) - blue
    spread = np.hypot(rg.std(dtype=np.float64), yb.std(dtype=np.float64))
    offset = np.hypot(rg.mean(dtype=np.float64), yb.mean(dtype=np.float64))
    return float(spread + 0.3 * offset)


@dataclass(frozen=True)
class FramePixels:
    """The pixel metrics of one image."""

    brightness: float
    contrast: float
    sharpness: float
    colorfulness: float


def frame_pixels(
    pixels: ArrayLike, gray: Floats | None = None, response: Floats | None = None
) -> FramePixels:
    """Brightness, contrast, sharpness and colorfulness of one image (``gray``: its
    luma, ``response``: its Laplacian, when the caller has them already)."""
    if gray is None:
        gray = luma(pixels)
    return FramePixels(
        brightness(gray), contrast(gray), sharpness(gray, response), colorfulness(pixels)
    )


@dataclass(frozen=True)
class CropQuality:
    """Per box: the brightness and sharpness of its pixels (NaN where it has none, or
    fewer than 3 x 3 for sharpness)."""

    brightness: Float64s
    sharpness: Float64s


def crop_bounds(
    boxes: ArrayLike, width: int, height: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Pixel bounds (``col0, row0, col1, row1``, ends exclusive) of boxes given as
    ``x0, y0, x1, y1`` in pixel coordinates: every pixel the box covers any part of
    (``floor(x0)`` to ``ceil(x1)``), clipped to the image. Non-finite boxes get an
    empty range."""
    array = np.asarray(boxes, np.float64).reshape(-1, 4)
    finite = np.asarray(np.isfinite(array).all(axis=1), bool)
    safe = np.where(finite[:, None], array, 0.0)
    col0 = np.clip(np.floor(safe[:, 0]), 0, width).astype(np.int64)
    row0 = np.clip(np.floor(safe[:, 1]), 0, height).astype(np.int64)
    col1 = np.clip(np.ceil(safe[:, 2]), 0, width).astype(np.int64)
    row1 = np.clip(np.ceil(safe[:, 3]), 0, height).astype(np.int64)
    col1 = np.where(finite, np.maximum(col1, col0), col0)
    row1 = np.where(finite, np.maximum(row1, row0), row0)
    return col0, row0, col1, row1


def _integral(values: Floats) -> Float64s:
    """Summed-area table with a zero first row and column: the sum over rows
    ``[r0, r1)`` and columns ``[c0, c1)`` is ``S[r1, c1] - S[r0, c1] - S[r1, c0] + S[r0, c0]``."""
    table = np.zeros((values.shape[0] + 1, values.shape[1] + 1), np.float64)
    np.cumsum(values, axis=0, dtype=np.float64, out=table[1:, 1:])
    np.cumsum(table[1:, 1:], axis=1, out=table[1:, 1:])
    return table


def _box_sums(
    table: Float64s,
    row0: NDArray[np.int64],
    col0: NDArray[np.int64],
    row1: NDArray[np.int64],
    col1: NDArray[np.int64],
) -> Float64s:
    result: Float64s = table[row1, col1] - table[row0, col1] - table[row1, col0] + table[row0, col0]
    return result


# Below this many boxes on an image, each crop is summed directly; from it on, the
# summed-area tables (three passes over the image) cost less.
_BOXES_FOR_TABLES = 24


def crop_quality(gray: Floats, boxes: ArrayLike, response: Floats | None = None) -> CropQuality:
    """Brightness (mean luma / 255) and sharpness (variance of the Laplacian over the
    crop's interior) of each box's pixels (``crop_bounds``) in the luma image ``gray``
    (``response``: its Laplacian, when the caller has it).

    Equal to ``brightness`` and ``sharpness`` of the cropped array: the crop's
    Laplacian is the image's at the crop's interior pixels (rows ``[row0 + 1, row1 - 1)``
    of the image are rows ``[row0, row1 - 2)`` of ``laplacian``). Many boxes are answered
    from summed-area tables of luma and of the Laplacian's square.
    """
    height, width = gray.shape
    col0, row0, col1, row1 = crop_bounds(boxes, width, height)
    count = col0.size
    crop_brightness = np.full(count, np.nan)
    crop_sharpness = np.full(count, np.nan)
    if count == 0:
        return CropQuality(crop_brightness, crop_sharpness)
    pixels = (col1 - col0) * (row1 - row0)
    lit = np.flatnonzero(pixels > 0)
    inner = np.flatnonzero((col1 - col0 >= 3) & (row1 - row0 >= 3))
    if inner.size and response is None:
        response = laplacian(gray)
    if count < _BOXES_FOR_TABLES:
        for k in lit:
            crop_brightness[k] = brightness(gray[row0[k] : row1[k], col0[k] : col1[k]])
        for k in inner:
            assert response is not None
            crop = response[row0[k] : row1[k] - 2, col0[k] : col1[k] - 2]
            crop_sharpness[k] = float(crop.var(dtype=np.float64))
        return CropQuality(crop_brightness, crop_sharpness)
    gray_table = _integral(gray)
    if lit.size:
        sums = _box_sums(gray_table, row0[lit], col0[lit], row1[lit], col1[lit])
        crop_brightness[lit] = sums / pixels[lit] / 255.0
    if inner.size:
        assert response is not None
        # The interior, in image rows [a, b) and columns [c, d).
        a, b, c, d = row0[inner] + 1, row1[inner] - 1, col0[inner] + 1, col1[inner] - 1
        area = ((b - a) * (d - c)).astype(np.float64)
        # The Laplacian's sum over a rectangle telescopes to sums of luma over the
        # rectangle moved one pixel each way, less four times its own: no table of it.
        laplacian_sum = (
            _box_sums(gray_table, a - 1, c, b - 1, d)
            + _box_sums(gray_table, a + 1, c, b + 1, d)
            + _box_sums(gray_table, a, c - 1, b, d - 1)
            + _box_sums(gray_table, a, c + 1, b, d + 1)
            - 4.0 * _box_sums(gray_table, a, c, b, d)
        )
        mean = laplacian_sum / area
        squares = response.astype(np.float64)
        np.square(squares, out=squares)
        # rows [a, b) of the image are rows [a - 1, b - 1) of ``laplacian``
        mean_square = _box_sums(_integral(squares), a - 1, c - 1, b - 1, d - 1) / area
        crop_sharpness[inner] = np.maximum(mean_square - mean * mean, 0.0)
    return CropQuality(crop_brightness, crop_sharpness)


@dataclass(frozen=True)
class BoxGeometry:
    relative_area: Float64s
    aspect_ratio: Float64s
    border_distance: Float64s

    def columns(self) -> dict[str, Float64s]:
        return {
            "relative_area": self.relative_area,
            "aspect_ratio": self.aspect_ratio,
            "border_distance": self.border_distance,
        }


def _floats(values: ArrayLike) -> Float64s:
    return np.asarray(values, np.float64).ravel()


def _ratio(numerator: Float64s, denominator: Float64s) -> Float64s:
    """``numerator / denominator``, NaN where the denominator is not positive."""
    good = denominator > 0
    result = np.full(numerator.shape, np.nan)
    np.divide(numerator, denominator, out=result, where=good)
    return result


def box_geometry(
    x: ArrayLike,
    y: ArrayLike,
    width: ArrayLike,
    height: ArrayLike,
    image_width: ArrayLike,
    image_height: ArrayLike,
) -> BoxGeometry:
    """Relative area, aspect ratio and border distance of boxes (top-left corner, width
    and height in pixels) on images of the given sizes (one per box). NaN where a box or
    its image size is unknown, or for an aspect ratio of a zero-height box."""
    bx, by, bw, bh = (_floats(v) for v in (x, y, width, height))
    iw, ih = _floats(image_width), _floats(image_height)
    relative_area = _ratio(bw * bh, iw * ih)
    aspect_ratio = _ratio(bw, bh)
    distances = np.stack(
        [_ratio(bx, iw), _ratio(by, ih), _ratio(iw - bx - bw, iw), _ratio(ih - by - bh, ih)]
    )
    border_distance = np.maximum(distances.min(axis=0), 0.0)  # NaN stays NaN
    return BoxGeometry(relative_area, aspect_ratio, border_distance)


# Pairs compared at once in ``max_overlap``: bounds its memory (a few arrays of this
# many float64) on a frame with many boxes.
_PAIRS_PER_CHUNK = 1 << 21


def max_overlap(
    frame_index: ArrayLike, x: ArrayLike, y: ArrayLike, width: ArrayLike, height: ArrayLike
) -> Float64s:
    """Per box, the largest IoU with any other box of the same frame (``frame_index``
    groups them); 0 for a box alone on its frame, NaN for a box without coordinates
    (which also overlaps nothing)."""
    frames = np.asarray(frame_index, np.int64).ravel()
    bx, by, bw, bh = (_floats(v) for v in (x, y, width, height))
    count = frames.size
    result = np.zeros(count)
    if count == 0:
        return result
    known = np.isfinite(bx) & np.isfinite(by) & np.isfinite(bw) & np.isfinite(bh)
    order = np.argsort(frames, kind="stable")
    order = order[known[order]]
    sorted_frames = frames[order]
    starts = np.flatnonzero(np.r_[True, sorted_frames[1:] != sorted_frames[:-1]])
    sizes = np.diff(np.r_[starts, sorted_frames.size])
    x0, y0 = bx[order], by[order]
    x1, y1 = x0 + bw[order], y0 + bh[order]
    area = bw[order] * bh[order]
    best = np.zeros(order.size)
    # One frame at a time, its boxes against each other by broadcasting (rows in blocks
    # of at most _PAIRS_PER_CHUNK pairs, so a frame with thousands of boxes stays small).
    for start, size in zip(starts[sizes >= 2].tolist(), sizes[sizes >= 2].tolist(), strict=True):
        columns = slice(start, start + size)
        step = max(1, _PAIRS_PER_CHUNK // size)
        for row in range(start, start + size, step):
            rows = slice(row, min(row + step, start + size))
            overlap_w = np.minimum(x1[rows, None], x1[None, columns])
            overlap_w -= np.maximum(x0[rows, None], x0[None, columns])
            np.clip(overlap_w, 0.0, None, out=overlap_w)
            overlap_h = np.minimum(y1[rows, None], y1[None, columns])
            overlap_h -= np.maximum(y0[rows, None], y0[None, columns])
            np.clip(overlap_h, 0.0, None, out=overlap_h)
            intersection = overlap_w * overlap_h
            union = area[rows, None] + area[None, columns] - intersection
            iou = np.zeros_like(intersection)
            np.divide(intersection, union, out=iou, where=union > 0)
            # a box against itself: the diagonal of this block
            own = np.arange(rows.stop - rows.start)
            iou[own, own + (rows.start - start)] = 0.0
            best[rows] = iou.max(axis=1)
    result[order] = best
    result[~known] = np.nan
    return result


def image_geometry(width: ArrayLike, height: ArrayLike) -> dict[str, Float64s]:
    """Per image: ``image_width``, ``image_height``, ``image_area`` (pixels) and
    ``aspect_ratio`` (width / height), NaN where a size is unknown."""
    image_width, image_height = _floats(width), _floats(height)
    return {
        "image_width": image_width,
        "image_height": image_height,
        "image_area": image_width * image_height,
        "aspect_ratio": _ratio(image_width, image_height),
    }


@dataclass(frozen=True)
class FrameLabels:
    label_count: Float64s
    label_density: Float64s


def frame_labels(frame_index: ArrayLike, frames: int, relative_area: ArrayLike) -> FrameLabels:
    """Per frame: how many labels it has and the sum of their relative areas (labels
    without a box add nothing to the sum; a frame whose labels all lack one has a NaN
    density, a frame without labels 0)."""
    index = np.asarray(frame_index, np.int64).ravel()
    areas = _floats(relative_area)
    counts = np.bincount(index, minlength=frames).astype(np.float64)
    boxed = np.isfinite(areas)
    density = np.bincount(index[boxed], weights=areas[boxed], minlength=frames).astype(np.float64)
    with_boxes = np.bincount(index[boxed], minlength=frames)
    density[(counts > 0) & (with_boxes == 0)] = np.nan
    return FrameLabels(counts, density)
