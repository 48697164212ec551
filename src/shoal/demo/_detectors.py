"""Two classical shape detectors of different strength, run on the rendered scenes.

``threshold-cc`` (weak): one global Otsu threshold, the minority side as foreground,
8-connected components, the class from the box fill ratio alone, and a heuristic
confidence from contrast, size and elongation. Background gradients, dark shapes on a
bright scene and clutter all fool it.

``adaptive-cc`` (strong): a robust plane fit removes the background gradient; bright and
dark residuals are thresholded separately against the measured noise; an opening
removes thin clutter lines; eroded cores split touching shapes. The class comes from
rotation-invariant features that survive blurred corners: solidity (area over convex
hull area) and the area over the squared inradius (from a distance transform). Its raw
features are turned into a calibrated confidence by ``_calibration``.

Both describe every detection with the same feature vector (``FEATURE_NAMES``), stored
as the prediction's crop embedding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage  # type: ignore[import-untyped]
from scipy.spatial import ConvexHull  # type: ignore[import-untyped]

FEATURE_NAMES = (
    "fill_ratio",
    "aspect",
    "circularity",
    "solidity",
    "roundness",
    "inscribed_ratio",
    "contrast_to_noise",
    "log_area",
)
_EIGHT_CONNECTED = np.ones((3, 3), bool)
_MIN_AREA = 40
_MIN_SHAPE_AREA = 80  # the smallest rendered shape, a triangle of circumradius 9, has 105


@dataclass(frozen=True)
class Detection:
    class_name: str
    box: tuple[float, float, float, float]  # x, y, width, height
    score: float  # the detector's own confidence in [0, 1]
    features: NDArray[np.float64]  # FEATURE_NAMES order


def _perimeter(mask: NDArray[np.bool_]) -> float:
    """Pixel sides between the region and the rest, times pi/4 (the mean ratio of a
    staircase outline to the curve it follows)."""
    padded = np.pad(mask, 1)
    sides = np.count_nonzero(padded[1:, :] != padded[:-1, :])
    sides += np.count_nonzero(padded[:, 1:] != padded[:, :-1])
    return sides * math.pi / 4


def _features(mask: NDArray[np.bool_], contrast_to_noise: float) -> NDArray[np.float64]:
    """The feature vector of one region, ``mask`` cropped to its bounding box."""
    area = float(np.count_nonzero(mask))
    height, width = mask.shape
    outline = mask & ~ndimage.binary_erosion(mask, border_value=0)
    rows, cols = np.nonzero(outline)
    corners = np.concatenate(
        [np.stack([cols + dx, rows + dy], axis=1) for dx in (0, 1) for dy in (0, 1)]
    ).astype(np.float64)
    hull = ConvexHull(corners)
    hull_area = float(hull.volume)
    filled_rows, filled_cols = np.nonzero(mask)
    centre = np.array([filled_cols.mean() + 0.5, filled_rows.mean() + 0.5])
    reach = float(np.max(np.hypot(*(corners[hull.vertices] - centre).T)))
    perimeter = _perimeter(mask)
    inradius = float(ndimage.distance_transform_edt(np.pad(mask, 1)).max()) - 0.5
    return np.array(
        [
            area / (width * height),
            min(width, height) / max(width, height),
            4 * math.pi * area / (perimeter * perimeter),
            min(area / hull_area, 1.0),
            hull_area / (math.pi * reach * reach),
            area / max(inradius * inradius, 0.25),
            contrast_to_noise,
            math.log(area),
        ]
    )


def _box(rows: slice, cols: slice) -> tuple[float, float, float, float]:
    return (
        float(cols.start),
        float(rows.start),
        float(cols.stop - cols.start),
        float(rows.stop - rows.start),
    )


def _otsu_threshold(pixels: NDArray[np.uint8]) -> float:
    """The gray level that maximizes the between-class variance of the histogram."""
    counts = np.bincount(pixels.ravel(), minlength=256).astype(np.float64)
    levels = np.arange(256, dtype=np.float64)
    below = np.cumsum(counts)
    below_sum = np.cumsum(counts * levels)
    above = below[-1] - below
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_below = below_sum / below
        mean_above = (below_sum[-1] - below_sum) / above
        between = below * above * (mean_below - mean_above) ** 2
    return float(np.nanargmax(np.where(np.isfinite(between), between, np.nan))) + 0.5


def _class_from_fill(fill_ratio: float) -> str:
    if fill_ratio >= 0.88:
        return "square"
    if fill_ratio >= 0.68:
        return "circle"
    if fill_ratio >= 0.53:
        return "cross"
    return "triangle"


def detect_threshold_cc(pixels: NDArray[np.uint8]) -> list[Detection]:
    image = pixels.astype(np.float64)
    threshold = _otsu_threshold(pixels)
    above = image > threshold
    foreground = above if np.count_nonzero(above) < above.size / 2 else ~above
    labels, count = ndimage.label(foreground, structure=_EIGHT_CONNECTED)
    areas = np.bincount(labels.ravel(), minlength=count + 1)
    means = ndimage.mean(image, labels, index=np.arange(1, count + 1))
    noise = float(np.std(image[~foreground])) if np.any(~foreground) else 1.0
    detections = []
    for label, found in enumerate(ndimage.find_objects(labels), start=1):
        area = int(areas[label])
        if found is None or area < _MIN_AREA or area > image.size // 5:
            continue
        rows, cols = found
        contrast = abs(float(means[label - 1]) - threshold)
        features = _features(labels[found] == label, contrast / max(noise, 1.0))
        fill_ratio, aspect = float(features[0]), float(features[1])
        score = (1 - math.exp(-contrast / 30)) * (1 - math.exp(-area / 250)) * (0.4 + 0.6 * aspect)
        detections.append(
            Detection(_class_from_fill(fill_ratio), _box(rows, cols), round(score, 6), features)
        )
    return detections


def _background_plane(image: NDArray[np.float64]) -> NDArray[np.float64]:
    """A plane a + b x + c y fitted to the background by trimmed least squares."""
    height, width = image.shape
    ys, xs = np.mgrid[0:height:4, 0:width:4]
    values = image[::4, ::4].ravel()
    design = np.stack([np.ones(values.size), xs.ravel(), ys.ravel()], axis=1).astype(np.float64)
    keep = np.ones(values.size, bool)
    coefficients: NDArray[np.float64] = np.zeros(3)
    for _ in range(4):
        coefficients = np.asarray(
            np.linalg.lstsq(design[keep], values[keep], rcond=None)[0], np.float64
        )
        residual = values - design @ coefficients
        centre = np.median(residual[keep])
        spread = 1.4826 * float(np.median(np.abs(residual[keep] - centre)))
        keep = np.abs(residual - centre) < 2.5 * spread + 1.0
    full_ys, full_xs = np.mgrid[0:height, 0:width]
    plane = coefficients[0] + coefficients[1] * full_xs + coefficients[2] * full_ys
    return np.asarray(plane, np.float64)


def _split_touching(foreground: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Regions of ``foreground``, cut where two eroded cores meet (each pixel joins the
    nearest core of its own connected component; components without a core go)."""
    components, _ = ndimage.label(foreground, structure=_EIGHT_CONNECTED)
    cores, _ = ndimage.label(
        ndimage.binary_erosion(foreground, iterations=2), structure=_EIGHT_CONNECTED
    )
    _, (near_rows, near_cols) = ndimage.distance_transform_edt(cores == 0, return_indices=True)
    nearest = cores[near_rows, near_cols]
    same_component = components[near_rows, near_cols] == components
    return np.asarray(np.where(foreground & same_component, nearest, 0), np.int64)


def _class_from_shape(solidity: float, inscribed_ratio: float) -> str:
    """Area over squared inradius is pi for a disc, 4 for a square, 3 sqrt(3) (5.2) for
    an equilateral triangle and about 10 for the demo's crosses; blur and
    thresholding shift these a little, hence the cut-offs."""
    if solidity < 0.8 or inscribed_ratio >= 6.5:
        return "cross"
    if inscribed_ratio < 3.95:
        return "circle"
    if inscribed_ratio < 5.0:
        return "square"
    return "triangle"


def detect_adaptive_cc(pixels: NDArray[np.uint8]) -> list[Detection]:
    image = pixels.astype(np.float64)
    residual = ndimage.gaussian_filter(image - _background_plane(image), 1.0)
    noise = 1.4826 * float(np.median(np.abs(residual - np.median(residual))))
    threshold = max(4.0 * noise, 10.0)
    detections = []
    for polarity in (1.0, -1.0):
        foreground = ndimage.binary_opening(polarity * residual > threshold, _EIGHT_CONNECTED)
        regions = _split_touching(ndimage.binary_fill_holes(foreground))
        count = int(regions.max())
        areas = np.bincount(regions.ravel(), minlength=count + 1)
        means = ndimage.mean(residual, regions, index=np.arange(1, count + 1))
        for label, found in enumerate(ndimage.find_objects(regions), start=1):
            if found is None or areas[label] < _MIN_SHAPE_AREA:
                continue
            contrast_to_noise = abs(float(means[label - 1])) / max(noise, 0.5)
            features = _features(regions[found] == label, contrast_to_noise)
            solidity, inscribed_ratio = float(features[3]), float(features[5])
            score = 1 - math.exp(-contrast_to_noise / 8)
            detections.append(
                Detection(
                    _class_from_shape(solidity, inscribed_ratio),
                    _box(*found),
                    round(score, 6),
                    features,
                )
            )
    return detections
