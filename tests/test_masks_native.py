"""The mask column's C kernels (shoal.engine.masks.column) against pycocotools.mask and
against the NumPy references they replaced (tests/mask_oracle.py): strings read and
written, polygons rasterised and merged, pair IoU with crowds, on one thread and on
many (results must not depend on the thread count)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import pytest
from pycocotools import mask as coco_mask

from mask_oracle import numpy_mask_iou, numpy_polygons_to_rles, numpy_rles_from_strings
from shoal._native import set_threads
from shoal.engine.masks import (
    MaskSimilarity,
    encode_mask,
    mask_pair_ious,
    masks_from_counts,
    masks_from_polygons,
    masks_from_rles,
    masks_from_strings,
    masks_to_strings,
    rle_to_string,
)
from shoal.engine.masks.column import set_min_work_per_thread
from shoal.errors import InputError
from test_masks import coco_rle, random_mask, random_polygon


@contextlib.contextmanager
def threads(count: int) -> Iterator[None]:
    """``count`` threads, each given work however small."""
    previous = set_min_work_per_thread(1)
    set_threads(count)
    try:
        yield
    finally:
        set_threads(None)
        set_min_work_per_thread(previous)


def border_mask(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A mask touching the image's border: first/last row or column set."""
    mask = random_mask(rng, h, w)
    side = rng.integers(0, 4)
    if side == 0:
        mask[0, :] = 1
    elif side == 1:
        mask[-1, :] = 1
    elif side == 2:
        mask[:, 0] = 1
    else:
        mask[:, -1] = 1
    return mask


@pytest.mark.parametrize("seed", range(30))
@pytest.mark.parametrize("thread_count", [1, 3])
def test_pair_ious_equal_pycocotools_bit_for_bit(seed, thread_count):
    rng = np.random.default_rng(7000 + seed)
    h, w = int(rng.integers(1, 70)), int(rng.integers(1, 70))
    make = [random_mask, border_mask]
    dt = [make[int(rng.integers(2))](rng, h, w) for _ in range(int(rng.integers(1, 15)))]
    gt = [make[int(rng.integers(2))](rng, h, w) for _ in range(int(rng.integers(1, 15)))]
    crowd = rng.random(len(gt)) < 0.3
    dt_column = masks_from_strings([coco_rle(m)["counts"] for m in dt], h, w)
    gt_column = masks_from_rles([encode_mask(m) for m in gt])
    # Every pair, in a shuffled order and with repeats.
    d, g = np.meshgrid(np.arange(len(dt)), np.arange(len(gt)), indexing="ij")
    order = rng.permutation(d.size)
    order = np.concatenate((order, order[: d.size // 3]))
    with threads(thread_count):
        ours = mask_pair_ious(dt_column, gt_column, d.ravel()[order], g.ravel()[order], crowd)
    theirs = coco_mask.iou([coco_rle(m) for m in dt], [coco_rle(m) for m in gt], crowd.tolist())
    np.testing.assert_array_equal(ours, np.asarray(theirs)[d.ravel()[order], g.ravel()[order]])
    similarity = MaskSimilarity(gt_column, dt_column, crowd)
    assert similarity.iou_type == "segm"
    np.testing.assert_array_equal(similarity.pair_values(d.ravel()[order], g.ravel()[order]), ours)


@pytest.mark.parametrize("seed", range(10))
def test_pair_ious_equal_the_numpy_reference_on_large_masks(seed):
    rng = np.random.default_rng(7500 + seed)
    h, w = 240, 320
    polygons = [random_polygon(rng, h, w) for _ in range(40)]
    masks = masks_from_polygons(polygons, np.arange(40), 40, h, w)
    rles = masks.rles()
    crowd = rng.random(20) < 0.2
    d, g = np.meshgrid(np.arange(20), np.arange(20, 40), indexing="ij")
    ours = mask_pair_ious(masks, masks.take(np.arange(20, 40)), d.ravel(), g.ravel() - 20, crowd)
    reference = numpy_mask_iou(rles[:20], rles[20:], crowd)
    np.testing.assert_array_equal(ours.reshape(20, 20), reference)


def test_empty_masks_masks_without_runs_and_crowds():
    h, w = 6, 7
    full, empty = np.ones((h, w), np.uint8), np.zeros((h, w), np.uint8)
    corner = np.zeros((h, w), np.uint8)
    corner[-2:, -3:] = 1  # touches the bottom right border
    column = masks_from_rles([encode_mask(m) for m in (full, empty, corner)])
    no_runs = masks_from_counts(np.zeros(0, np.uint32), [0, 0], [h], [w])
    assert no_runs.area.tolist() == [0] and no_runs.bbox.tolist() == [[0, 0, 0, 0]]
    d = np.asarray([0, 0, 1, 2, 2, 0])
    g = np.asarray([0, 2, 1, 2, 0, 1])
    np.testing.assert_array_equal(
        mask_pair_ious(column, column, d, g, [False, False, False]),
        [1.0, 6 / 42, 0.0, 1.0, 6 / 42, 0.0],
    )
    # A crowd: the intersection over the prediction's area.
    np.testing.assert_array_equal(
        mask_pair_ious(column, column, [2], [0], [True, False, False]), [1.0]
    )
    np.testing.assert_array_equal(
        mask_pair_ious(no_runs, column, [0, 0], [0, 2], [True] * 3), [0, 0]
    )
    assert mask_pair_ious(column, column, [], [], [False] * 3).shape == (0,)


def test_different_sizes_and_bad_rows_are_refused():
    small = masks_from_rles([encode_mask(np.ones((3, 3)))])
    large = masks_from_rles([encode_mask(np.zeros((4, 4)))])  # boxes do not even overlap
    with pytest.raises(
        InputError, match=r"prediction mask 0 is \(3, 3\) but ground-truth mask 0 is \(4, 4\)"
    ):
        mask_pair_ious(small, large, [0], [0], [False])
    with pytest.raises(InputError, match="outside the 1 masks"):
        mask_pair_ious(small, large, [1], [0], [False])
    with pytest.raises(InputError, match="2 crowd flags for 1"):
        MaskSimilarity(large, small, [False, True])
    with pytest.raises(InputError, match="negative height"):
        masks_from_strings(["00"], -1, 3)


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("thread_count", [1, 4])
def test_strings_read_and_written_as_pycocotools(seed, thread_count):
    rng = np.random.default_rng(8000 + seed)
    sizes = rng.integers(1, 50, (int(rng.integers(1, 40)), 2))
    masks = [random_mask(rng, int(h), int(w)) for h, w in sizes]
    theirs = [coco_rle(m) for m in masks]
    strings = [t["counts"] if rng.random() < 0.5 else t["counts"].decode() for t in theirs]
    with threads(thread_count):
        column = masks_from_strings(strings, sizes[:, 0], sizes[:, 1])
        written = masks_to_strings(column)
    assert written == [t["counts"].decode() for t in theirs]
    assert column.rles() == numpy_rles_from_strings(strings, sizes[:, 0], sizes[:, 1])
    np.testing.assert_array_equal(column.area, [coco_mask.area(t) for t in theirs])
    np.testing.assert_array_equal(column.bbox, coco_mask.toBbox(theirs).reshape(-1, 4))
    np.testing.assert_array_equal(column.pixels(), sizes[:, 0] * sizes[:, 1])
    # Round trips: decode -> encode and runs -> column -> runs.
    for rle, mask in zip(column.rles(), masks, strict=True):
        np.testing.assert_array_equal(
            coco_mask.decode({"size": list(rle.size), "counts": rle_to_string(rle)}), mask
        )
    again = masks_from_counts(column.counts, column.offsets, column.height, column.width)
    np.testing.assert_array_equal(again.bbox, column.bbox)
    np.testing.assert_array_equal(again.area, column.area)
    picked = rng.permutation(len(column))[: len(column) // 2]
    assert column.take(picked).rles() == [column.rle(int(i)) for i in picked]


def test_large_counts_and_negative_differences():
    h, w = 1000, 1200
    mask = np.zeros((h, w), np.uint8)
    mask[:, 1000:] = 1
    mask[::97, :40] = 1
    string = coco_rle(mask)["counts"]
    column = masks_from_strings([string], h, w)
    assert masks_to_strings(column) == [string.decode()]
    assert column.area[0] == mask.sum()


def test_bad_strings_name_the_string_and_character():
    good = rle_to_string(encode_mask(np.eye(5)))
    with pytest.raises(InputError, match="RLE 1: counts character '~' at 2"):
        masks_from_strings([good, "00~", good], 5, 5)
    with pytest.raises(InputError, match="RLE 2: counts ends inside a number"):
        masks_from_strings([good, good, "o", good], 5, 5)
    assert len(masks_from_strings([], 5, 5)) == 0


@pytest.mark.parametrize("seed", range(25))
@pytest.mark.parametrize("thread_count", [1, 3])
def test_polygons_rasterise_and_merge_as_pycocotools(seed, thread_count):
    rng = np.random.default_rng(9000 + seed)
    num_objects = int(rng.integers(1, 20))
    sizes = rng.integers(1, 120, (num_objects, 2))
    per_object = rng.integers(0, 4, num_objects)  # an object without polygons: empty
    polygons, owner = [], []
    for i, count in enumerate(per_object.tolist()):
        h, w = int(sizes[i, 0]), int(sizes[i, 1])
        for _ in range(count):
            polygon = random_polygon(rng, h, w)
            if rng.random() < 0.1:
                polygon = [*polygon, 3.0]  # an odd trailing number: ignored, as there
            polygons.append(polygon)
            owner.append(i)
    with threads(thread_count):
        column = masks_from_polygons(polygons, owner, num_objects, sizes[:, 0], sizes[:, 1])
    strings = masks_to_strings(column)
    start = 0
    for i, count in enumerate(per_object.tolist()):
        h, w = int(sizes[i, 0]), int(sizes[i, 1])
        mine = polygons[start : start + count]
        start += count
        if not mine:
            assert column.area[i] == 0
            continue
        theirs = coco_mask.merge(coco_mask.frPyObjects(mine, h, w))
        assert strings[i] == theirs["counts"].decode(), (seed, i)
        assert column.area[i] == coco_mask.area(theirs)
        np.testing.assert_array_equal(column.bbox[i], coco_mask.toBbox(theirs))
        if count == 1:
            assert column.rle(i) == numpy_polygons_to_rles(mine, h, w)[0]


def test_polygons_on_pixel_and_half_pixel_grids_and_far_outside():
    rng = np.random.default_rng(11)
    h, w = 50, 60
    cases = [
        [0.0, 0.0, 59.0, 0.0, 59.0, 49.0, 0.0, 49.0],  # the whole image, on pixel centres
        [-0.5, -0.5, 59.5, -0.5, 59.5, 49.5, -0.5, 49.5],  # the image's edges
        [-1e4, -1e4, 1e4, -1e4, 0.0, 1e4],  # far beyond the image
        [10.0, 10.0, 10.0, 10.0, 10.0, 10.0],  # a point
        [5.0, 5.0, 20.0, 5.0, 12.0, 5.0],  # a segment
    ]
    cases += [(np.round(rng.uniform(-5, 65, 12) * 2) / 2).tolist() for _ in range(50)]
    column = masks_from_polygons(cases, np.arange(len(cases)), len(cases), h, w)
    for polygon, string in zip(cases, masks_to_strings(column), strict=True):
        theirs = coco_mask.frPyObjects([polygon], h, w)[0]
        assert string == theirs["counts"].decode(), polygon
    assert column.rles() == numpy_polygons_to_rles(cases, h, w)


def test_polygons_must_come_grouped_by_object():
    with pytest.raises(InputError, match="grouped by object"):
        masks_from_polygons([[0, 0, 1, 1, 2, 0]] * 2, [1, 0], 2, 5, 5)
    with pytest.raises(InputError, match="grouped by object"):
        masks_from_polygons([[0, 0, 1, 1, 2, 0]], [3], 2, 5, 5)


@pytest.mark.parametrize("seed", range(10))
def test_boxes_and_areas_of_odd_runs_equal_pycocotools(seed):
    # Runs with zeros anywhere (a zero-length foreground run gives the pixel before it),
    # long jumps over columns and runs wrapping into later columns.
    rng = np.random.default_rng(9500 + seed)
    rles = []
    for _ in range(40):
        h, w = int(rng.integers(1, 30)), int(rng.integers(1, 30))
        runs = rng.choice([0, 1, 2, h, 3 * h + 1], size=int(rng.integers(0, 12)))
        runs = runs[np.cumsum(runs) <= h * w]
        runs = np.append(runs, h * w - runs.sum()) if rng.random() < 0.7 else runs
        rles.append(({"size": [h, w], "counts": runs.tolist()}, runs))
    column = masks_from_counts(
        np.concatenate([r for _, r in rles]).astype(np.uint32),
        np.concatenate([[0], np.cumsum([r.size for _, r in rles])]),
        [d["size"][0] for d, _ in rles],
        [d["size"][1] for d, _ in rles],
    )
    for i, (uncompressed, _) in enumerate(rles):
        h, w = uncompressed["size"]
        theirs = coco_mask.frPyObjects(uncompressed, h, w)
        np.testing.assert_array_equal(
            column.bbox[i], coco_mask.toBbox(theirs), err_msg=str(uncompressed)
        )
        assert column.area[i] == coco_mask.area(theirs)


def test_mask_similarity_pickles_for_worker_processes():
    import pickle

    rng = np.random.default_rng(12)
    h, w = 20, 30
    gt = masks_from_rles([encode_mask(random_mask(rng, h, w)) for _ in range(6)])
    dt = masks_from_rles([encode_mask(random_mask(rng, h, w)) for _ in range(9)])
    similarity = MaskSimilarity(gt, dt, rng.random(6) < 0.3)
    again = pickle.loads(pickle.dumps(similarity))
    d, g = np.meshgrid(np.arange(9), np.arange(6), indexing="ij")
    np.testing.assert_array_equal(
        again.pair_values(d.ravel(), g.ravel()), similarity.pair_values(d.ravel(), g.ravel())
    )
