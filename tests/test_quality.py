"""The quality kernels (shoal.analysis.quality) against independent oracles: OpenCV's
grayscale conversion and Laplacian, scipy.ndimage's Laplacian, pycocotools' box IoU,
plain loops, and small images computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.ndimage as ndi

from shoal.analysis import quality as q

cv2 = pytest.importorskip("cv2")
mask_utils = pytest.importorskip("pycocotools.mask")


def _image(seed: int, shape: tuple[int, ...]) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


# frames


@pytest.mark.parametrize("seed", range(5))
def test_luma_brightness_contrast_equal_opencv(seed: int) -> None:
    rng = np.random.default_rng(seed)
    image = _image(seed, (int(rng.integers(3, 90)), int(rng.integers(3, 90)), 3))
    gray = cv2.cvtColor(image.astype(np.float32), cv2.COLOR_RGB2GRAY).astype(np.float64)
    ours = q.luma(image)
    np.testing.assert_allclose(ours, gray, rtol=1e-6, atol=1e-4)
    mean, std = cv2.meanStdDev(gray)
    assert q.brightness(ours) == pytest.approx(mean.item() / 255, rel=1e-6)
    assert q.contrast(ours) == pytest.approx(std.item() / 255, rel=1e-6)


@pytest.mark.parametrize("seed", range(5))
def test_sharpness_is_the_variance_of_opencv_and_scipy_laplacians(seed: int) -> None:
    rng = np.random.default_rng(seed)
    image = _image(seed, (int(rng.integers(3, 120)), int(rng.integers(3, 120)), 3))
    gray = cv2.cvtColor(image.astype(np.float32), cv2.COLOR_RGB2GRAY).astype(np.float64)
    # The interior only: neither library's border rule enters the value.
    opencv = cv2.Laplacian(gray, cv2.CV_64F, ksize=1)[1:-1, 1:-1]
    scipy_laplace = ndi.laplace(gray)[1:-1, 1:-1]
    ours = q.laplacian(q.luma(image))
    np.testing.assert_allclose(ours, opencv, rtol=1e-5, atol=1e-3)
    assert q.sharpness(q.luma(image)) == pytest.approx(opencv.var(), rel=1e-6)
    assert q.sharpness(q.luma(image)) == pytest.approx(scipy_laplace.var(), rel=1e-6)


def test_hand_computed_frames() -> None:
    flat = np.full((4, 5, 3), 51, np.uint8)
    pixels = q.frame_pixels(flat)
    assert pixels.brightness == pytest.approx(0.2)
    assert pixels.contrast == 0.0
    assert pixels.sharpness == 0.0
    assert pixels.colorfulness == 0.0
    # Half black, half white: mean 127.5, population std 127.5.
    halves = np.zeros((4, 4), np.uint8)
    halves[:, 2:] = 255
    assert q.brightness(q.luma(halves)) == pytest.approx(0.5)
    assert q.contrast(q.luma(halves)) == pytest.approx(0.5)
    # One white pixel in the middle of a black 3 x 3: the only interior Laplacian is -4 x 255.
    dot = np.zeros((3, 3), np.uint8)
    dot[1, 1] = 255
    assert q.sharpness(q.luma(dot)) == 0.0  # one value: no variance
    dot5 = np.zeros((5, 5), np.uint8)
    dot5[2, 2] = 255
    # interior 3 x 3: centre -1020, its 4 neighbours +255, corners 0
    values = np.array([-1020.0] + [255.0] * 4 + [0.0] * 4)
    assert q.sharpness(q.luma(dot5)) == pytest.approx(values.var())
    assert math.isnan(q.sharpness(q.luma(np.zeros((2, 9), np.uint8))))


def test_colorfulness_hand_computed() -> None:
    red = np.zeros((3, 3, 3), np.uint8)
    red[..., 0] = 255
    # rg = 255, yb = 127.5 everywhere: no spread, M = 0.3 * |(255, 127.5)|
    assert q.colorfulness(red) == pytest.approx(0.3 * math.hypot(255, 127.5))
    # Two pixels: pure red and pure blue. rg = (255, 0), yb = (127.5, -255).
    two = np.array([[[255, 0, 0], [0, 0, 255]]], np.uint8)
    rg, yb = np.array([255.0, 0.0]), np.array([127.5, -255.0])
    expected = math.hypot(rg.std(), yb.std()) + 0.3 * math.hypot(rg.mean(), yb.mean())
    assert q.colorfulness(two) == pytest.approx(expected)
    assert q.colorfulness(np.full((5, 5), 9, np.uint8)) == 0.0


@pytest.mark.parametrize("seed", range(3))
def test_colorfulness_equals_the_formula_in_plain_python(seed: int) -> None:
    image = _image(seed, (7, 11, 3))
    rg = [int(p[0]) - int(p[1]) for row in image for p in row]
    yb = [(int(p[0]) + int(p[1])) / 2 - int(p[2]) for row in image for p in row]

    def mean(values: list[float]) -> float:
        return sum(values) / len(values)

    def std(values: list[float]) -> float:
        m = mean(values)
        return math.sqrt(sum((v - m) ** 2 for v in values) / len(values))

    expected = math.sqrt(std(rg) ** 2 + std(yb) ** 2) + 0.3 * math.sqrt(
        mean(rg) ** 2 + mean(yb) ** 2
    )
    assert q.colorfulness(image) == pytest.approx(expected, rel=1e-9)


# crops


def _oracle_crop(gray: np.ndarray, box: np.ndarray) -> tuple[float, float]:
    height, width = gray.shape
    if not np.isfinite(box).all():
        return math.nan, math.nan
    col0 = min(max(math.floor(box[0]), 0), width)
    row0 = min(max(math.floor(box[1]), 0), height)
    col1 = max(min(max(math.ceil(box[2]), 0), width), col0)
    row1 = max(min(max(math.ceil(box[3]), 0), height), row0)
    crop = gray[row0:row1, col0:col1]
    bright = crop.mean() / 255 if crop.size else math.nan
    if crop.shape[0] >= 3 and crop.shape[1] >= 3:
        sharp = cv2.Laplacian(crop, cv2.CV_64F, ksize=1)[1:-1, 1:-1].var()
    else:
        sharp = math.nan
    return bright, sharp


@pytest.mark.parametrize("boxes_count", [0, 1, 5, 23, 24, 80])
def test_crops_equal_opencv_on_the_cropped_array(boxes_count: int) -> None:
    """Both paths (direct sums below 24 boxes, summed-area tables from 24) equal
    OpenCV's Laplacian and NumPy's mean on each crop, including boxes partly or wholly
    outside the image, thinner than 3 pixels and not finite."""
    rng = np.random.default_rng(boxes_count)
    image = _image(boxes_count, (61, 83, 3))
    gray64 = cv2.cvtColor(image.astype(np.float32), cv2.COLOR_RGB2GRAY).astype(np.float64)
    corners = rng.uniform(-20, 100, (boxes_count, 2))
    sizes = rng.uniform(0, 50, (boxes_count, 2))
    boxes = np.c_[corners, corners + sizes]
    if boxes_count >= 5:
        boxes[0] = [10.5, 10.5, 11.5, 40.0]  # 2 pixels wide: no sharpness
        boxes[1] = [200, 200, 220, 220]  # outside: no pixels
        boxes[2] = [np.nan, 0, 5, 5]
        boxes[3] = [0, 0, 83, 61]  # the whole image
    crops = q.crop_quality(q.luma(image), boxes)
    for k, box in enumerate(boxes):
        bright, sharp = _oracle_crop(gray64, box)
        np.testing.assert_allclose(crops.brightness[k], bright, rtol=1e-6, equal_nan=True)
        np.testing.assert_allclose(crops.sharpness[k], sharp, rtol=1e-5, equal_nan=True)
    if boxes_count >= 5:
        assert crops.sharpness[3] == pytest.approx(q.sharpness(q.luma(image)), rel=1e-6)


# geometry


def test_box_geometry_hand_computed() -> None:
    geometry = q.box_geometry(
        x=[10, 0, 90, -5, np.nan, 10],
        y=[20, 0, 40, 10, 0, 10],
        width=[20, 100, 10, 10, 5, 10],
        height=[10, 50, 10, 10, 5, 0],
        image_width=[100, 100, 100, 100, 100, np.nan],
        image_height=[50, 50, 50, 50, 50, 50],
    )
    np.testing.assert_allclose(
        geometry.relative_area, [0.04, 1.0, 0.02, 0.02, 0.005, np.nan], equal_nan=True
    )
    np.testing.assert_allclose(
        geometry.aspect_ratio, [2.0, 2.0, 1.0, 1.0, 1.0, np.nan], equal_nan=True
    )
    # box 0: left 0.1, top 0.4, right 0.7, bottom 0.4 -> 0.1; box 2 touches the right
    # and bottom borders -> 0; box 3 crosses the left border -> 0 (not negative)
    np.testing.assert_allclose(
        geometry.border_distance, [0.1, 0.0, 0.0, 0.0, np.nan, np.nan], equal_nan=True
    )


def _loop_max_overlap(frames: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    result = np.zeros(len(frames))
    for i in range(len(frames)):
        others = [j for j in range(len(frames)) if j != i and frames[j] == frames[i]]
        if others:
            ious = mask_utils.iou(boxes[[i]].tolist(), boxes[others].tolist(), [0] * len(others))
            result[i] = float(np.max(ious))
    return result


@pytest.mark.parametrize("seed", range(4))
def test_max_overlap_equals_pycocotools_iou(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(seed)
    count = int(rng.integers(1, 120))
    frames = rng.integers(0, 9, count)
    corners = rng.uniform(0, 60, (count, 2))
    sizes = rng.uniform(0.5, 40, (count, 2))
    boxes = np.c_[corners, sizes]
    if seed == 0:
        # small chunks: groups split across several passes give the same answer
        monkeypatch.setattr(q, "_PAIRS_PER_CHUNK", 50)
    ours = q.max_overlap(frames, *boxes.T)
    np.testing.assert_allclose(ours, _loop_max_overlap(frames, boxes), rtol=1e-12, atol=1e-12)


def test_max_overlap_hand_computed() -> None:
    frames = np.array([3, 3, 1, 1, 1, 7, 1])
    x = np.array([0, 5, 0, 0, 50, 0, np.nan])
    y = np.zeros(7)
    width = np.array([10, 10, 10, 5, 1, 3, 4])
    height = np.array([10, 10, 10, 10, 1, 3, 4])
    # frame 3: 5 x 10 shared of 150 -> 1/3; frame 1: the 5-wide box inside the 10-wide
    # one -> 0.5; a box alone or disjoint -> 0; no coordinates -> NaN
    np.testing.assert_allclose(
        q.max_overlap(frames, x, y, width, height),
        [1 / 3, 1 / 3, 0.5, 0.5, 0.0, 0.0, np.nan],
        equal_nan=True,
    )
    assert q.max_overlap([], [], [], [], []).size == 0


def test_frame_labels_count_and_density() -> None:
    labels = q.frame_labels([0, 0, 2, 3], 5, [0.25, 0.5, 0.1, np.nan])
    np.testing.assert_array_equal(labels.label_count, [2, 0, 1, 1, 0])
    np.testing.assert_allclose(labels.label_density, [0.75, 0, 0.1, np.nan, 0], equal_nan=True)


def test_bad_image_shape_is_an_input_error() -> None:
    from shoal.errors import InputError

    with pytest.raises(InputError, match="H x W"):
        q.luma(np.zeros((4, 4, 2), np.uint8))
