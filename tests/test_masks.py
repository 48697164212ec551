"""The mask engine (shoal.engine.masks) against pycocotools.mask on randomized masks,
polygons and boxes: RLE codec, compressed strings, area, box, union and IoU."""

from __future__ import annotations

import numpy as np
import pytest
from pycocotools import mask as coco_mask

from shoal.engine.masks import (
    Rle,
    box_to_rle,
    decode_mask,
    encode_mask,
    mask_iou,
    merge_rles,
    polygon_to_rle,
    polygons_to_rles,
    rle_area,
    rle_bbox,
    rle_from_coco,
    rle_from_string,
    rle_to_coco,
    rle_to_string,
    rles_from_strings,
)
from shoal.errors import InputError

SEEDS = range(40)


def random_mask(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Blobs, noise, full or empty: the shapes that exercise every run pattern."""
    kind = rng.integers(0, 6)
    if kind == 0:
        return np.zeros((h, w), np.uint8)
    if kind == 1:
        return (rng.random((h, w)) < rng.random()).astype(np.uint8)
    if kind == 2:
        return np.ones((h, w), np.uint8)
    mask = np.zeros((h, w), np.uint8)
    for _ in range(rng.integers(1, 4)):
        y0, x0 = rng.integers(0, h), rng.integers(0, w)
        mask[y0 : y0 + rng.integers(1, h + 1), x0 : x0 + rng.integers(1, w + 1)] = 1
    return mask


def coco_rle(mask: np.ndarray) -> dict:
    return coco_mask.encode(np.asfortranarray(mask))


def random_polygon(rng: np.random.Generator, h: int, w: int) -> list[float]:
    n = int(rng.integers(3, 12))
    if rng.random() < 0.5:  # a star-ish simple polygon
        angles = np.sort(rng.random(n) * 2 * np.pi)
        radius = rng.random(n) * min(h, w) / 2
        cx, cy = rng.random() * w, rng.random() * h
        xs, ys = cx + radius * np.cos(angles), cy + radius * np.sin(angles)
    else:  # anything, partly outside the image, self-intersecting
        xs = rng.uniform(-0.3 * w, 1.3 * w, n)
        ys = rng.uniform(-0.3 * h, 1.3 * h, n)
    if rng.random() < 0.3:  # integer and half-pixel vertices hit the rounding edges
        xs, ys = np.round(xs * 2) / 2, np.round(ys * 2) / 2
    if rng.random() < 0.2:  # a repeated vertex (zero-length edge)
        xs, ys = np.insert(xs, 1, xs[1]), np.insert(ys, 1, ys[1])
    return np.column_stack((xs, ys)).ravel().tolist()


@pytest.mark.parametrize("seed", SEEDS)
def test_encode_decode_area_bbox_and_strings_equal_pycocotools(seed):
    rng = np.random.default_rng(seed)
    h, w = int(rng.integers(1, 60)), int(rng.integers(1, 60))
    for _ in range(10):
        mask = random_mask(rng, h, w)
        ours, theirs = encode_mask(mask), coco_rle(mask)
        assert rle_to_string(ours) == theirs["counts"].decode()
        assert rle_to_coco(ours) == {"size": [h, w], "counts": theirs["counts"].decode()}
        assert rle_from_string(theirs["counts"], h, w) == ours
        np.testing.assert_array_equal(decode_mask(ours), coco_mask.decode(theirs))
        assert rle_area([ours])[0] == coco_mask.area(theirs)
        np.testing.assert_array_equal(rle_bbox([ours])[0], coco_mask.toBbox(theirs))
        # Uncompressed COCO RLE reads the same.
        uncompressed = {"size": [h, w], "counts": ours.counts.tolist()}
        assert rle_from_coco(uncompressed, h, w) == ours
        assert rle_from_coco({"size": [h, w], "counts": theirs["counts"]}, h, w) == ours


def test_large_counts_and_negative_differences_round_trip():
    rng = np.random.default_rng(7)
    h, w = 1000, 1200
    mask = np.zeros((h, w), np.uint8)
    mask[:, 1000:] = 1
    mask[::97, :40] = 1
    mask[rng.random((h, w)) < 0.0005] = 1
    ours, theirs = encode_mask(mask), coco_rle(mask)
    assert rle_to_string(ours) == theirs["counts"].decode()
    assert rle_from_string(theirs["counts"], h, w) == ours


@pytest.mark.parametrize("seed", SEEDS)
def test_polygons_and_boxes_rasterise_as_pycocotools(seed):
    rng = np.random.default_rng(1000 + seed)
    h, w = int(rng.integers(5, 120)), int(rng.integers(5, 120))
    for _ in range(30):
        polygon = random_polygon(rng, h, w)
        theirs = coco_mask.frPyObjects([polygon], h, w)[0]
        ours = polygon_to_rle(polygon, h, w)
        assert rle_to_string(ours) == theirs["counts"].decode(), polygon
        box = [rng.uniform(-10, w), rng.uniform(-10, h), rng.uniform(0, w), rng.uniform(0, h)]
        if rng.random() < 0.3:
            box = [float(round(v)) for v in box]
        # (pycocotools takes boxes as an array; its list path raises a TypeError)
        theirs = coco_mask.frPyObjects(np.asarray([box]), h, w)[0]
        assert rle_to_string(box_to_rle(box, h, w)) == theirs["counts"].decode(), box


@pytest.mark.parametrize("seed", range(10))
def test_an_objects_polygons_are_merged_as_coco_ann_to_rle(seed):
    rng = np.random.default_rng(2000 + seed)
    h, w = int(rng.integers(5, 80)), int(rng.integers(5, 80))
    polygons = [random_polygon(rng, h, w) for _ in range(int(rng.integers(1, 4)))]
    theirs = coco_mask.merge(coco_mask.frPyObjects(polygons, h, w))
    ours = rle_from_coco(polygons, h, w)
    assert rle_to_string(ours) == theirs["counts"].decode()
    # A four-number first entry makes every entry a box, as pycocotools means it to.
    boxes = [[1.0, 2.0, 5.0, 6.0], [3.5, 1.5, 2.0, 9.0]]
    theirs = coco_mask.merge(coco_mask.frPyObjects(np.asarray(boxes), h, w))
    assert rle_to_string(rle_from_coco(boxes, h, w)) == theirs["counts"].decode()


@pytest.mark.parametrize("seed", range(10))
def test_merge_union_and_intersection_equal_pycocotools(seed):
    rng = np.random.default_rng(3000 + seed)
    h, w = int(rng.integers(1, 40)), int(rng.integers(1, 40))
    masks = [random_mask(rng, h, w) for _ in range(int(rng.integers(1, 5)))]
    theirs = [coco_rle(m) for m in masks]
    ours = [encode_mask(m) for m in masks]
    for intersect in (False, True):
        expected = coco_mask.merge(theirs, intersect=intersect)
        assert rle_to_string(merge_rles(ours, intersect=intersect)) == expected["counts"].decode()


@pytest.mark.parametrize("seed", SEEDS)
def test_mask_iou_equals_pycocotools_with_crowd(seed):
    rng = np.random.default_rng(4000 + seed)
    h, w = int(rng.integers(1, 50)), int(rng.integers(1, 50))
    dt_masks = [random_mask(rng, h, w) for _ in range(int(rng.integers(0, 12)))]
    gt_masks = [random_mask(rng, h, w) for _ in range(int(rng.integers(0, 12)))]
    if rng.random() < 0.5:  # polygons too, as real ground truth is
        gt_masks += [decode_mask(polygon_to_rle(random_polygon(rng, h, w), h, w))]
    crowd = rng.random(len(gt_masks)) < 0.3
    ours = mask_iou([encode_mask(m) for m in dt_masks], [encode_mask(m) for m in gt_masks], crowd)
    assert ours.shape == (len(dt_masks), len(gt_masks))
    if dt_masks and gt_masks:
        theirs = coco_mask.iou(
            [coco_rle(m) for m in dt_masks], [coco_rle(m) for m in gt_masks], crowd.tolist()
        )
        np.testing.assert_array_equal(ours, theirs)  # bit-identical, not just close


def test_mask_iou_on_identical_disjoint_and_empty_masks():
    full, empty = encode_mask(np.ones((4, 5))), encode_mask(np.zeros((4, 5)))
    left = np.zeros((4, 5))
    left[:, :2] = 1
    right = 1 - left
    result = mask_iou([full, empty, encode_mask(left)], [full, encode_mask(right)])
    np.testing.assert_array_equal(result, [[1.0, 0.6], [0.0, 0.0], [0.4, 0.0]])
    # A mask without runs (pycocotools: an empty box) overlaps nothing, wherever it is.
    no_runs = Rle(4, 5, np.zeros(0, np.uint32))
    np.testing.assert_array_equal(mask_iou([full, no_runs], [no_runs, full]), [[0, 1], [0, 0]])
    # A crowd ground truth: intersection over the prediction's own area.
    assert mask_iou([encode_mask(left)], [full], [True])[0, 0] == 1.0


def test_bad_input_is_refused_with_a_clear_error():
    with pytest.raises(InputError, match="not in COCO's alphabet"):
        rle_from_string("ab~", 3, 3)
    with pytest.raises(InputError, match="ends inside a number"):
        rle_from_string("o", 3, 3)
    with pytest.raises(InputError, match="needs 'size' and 'counts'"):
        rle_from_coco({"counts": "00"}, 3, 3)
    with pytest.raises(InputError, match="polygon 1 has 5 numbers"):
        rle_from_coco([[0, 0, 1, 0, 1, 1], [0, 0, 1, 1, 2]], 3, 3)
    with pytest.raises(InputError, match="masks compared must match"):
        mask_iou([encode_mask(np.ones((3, 3)))], [encode_mask(np.ones((4, 4)))])
    with pytest.raises(InputError, match="different sizes"):
        merge_rles([encode_mask(np.ones((3, 3))), encode_mask(np.ones((4, 4)))])
    with pytest.raises(InputError, match="2-d"):
        encode_mask(np.ones(3))
    assert Rle(2, 2, np.asarray([4], np.uint32)) != Rle(2, 2, np.asarray([0, 4], np.uint32))


@pytest.mark.parametrize("seed", range(10))
def test_many_strings_read_at_once_equal_one_by_one(seed):
    rng = np.random.default_rng(5000 + seed)
    sizes = rng.integers(1, 40, (int(rng.integers(0, 30)), 2))
    rles = [encode_mask(random_mask(rng, int(h), int(w))) for h, w in sizes]
    strings = [rle_to_string(r) for r in rles]
    if strings and rng.random() < 0.5:
        strings[int(rng.integers(len(strings)))] = ""  # an empty string: no runs
    as_bytes = [s.encode() if rng.random() < 0.5 else s for s in strings]
    batch = rles_from_strings(as_bytes, sizes[:, 0], sizes[:, 1])
    assert batch == [
        rle_from_string(s, int(h), int(w)) for s, (h, w) in zip(strings, sizes, strict=True)
    ]


def test_many_strings_name_the_bad_one():
    good = rle_to_string(encode_mask(np.eye(5)))
    with pytest.raises(InputError, match="RLE 1: counts character '~' at 2"):
        rles_from_strings([good, "00~", good], 5, 5)
    with pytest.raises(InputError, match="RLE 2: counts ends inside a number"):
        rles_from_strings([good, good, "o", good], 5, 5)


@pytest.mark.parametrize("seed", range(10))
def test_many_polygons_rasterised_at_once_equal_pycocotools(seed):
    rng = np.random.default_rng(6000 + seed)
    sizes = rng.integers(1, 90, (int(rng.integers(1, 25)), 2))
    polygons = [random_polygon(rng, int(h), int(w)) for h, w in sizes]
    batch = polygons_to_rles(polygons, sizes[:, 0], sizes[:, 1])
    for rle, polygon, (h, w) in zip(batch, polygons, sizes, strict=True):
        theirs = coco_mask.frPyObjects([polygon], int(h), int(w))[0]
        assert rle.size == (h, w)
        assert rle_to_string(rle) == theirs["counts"].decode()
