"""The keypoint engine (shoal.engine.keypoints): OKS equal to pycocotools'
COCOeval.computeOks bit for bit on randomized data, for every thread count; schemas and
the keypoint columns' checks."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import pytest

from keypoints_oracle import pycocotools_keypoints, random_keypoint_coco
from shoal._native import set_threads
from shoal.engine.detection.annotations import Classes, GroundTruth, Predictions
from shoal.engine.keypoints import (
    COCO_PERSON_SIGMAS,
    DEFAULT_SIGMA,
    KeypointSchema,
    KeypointSimilarity,
    PointLists,
)
from shoal.engine.keypoints.kernels import set_min_work_per_thread
from shoal.errors import InputError


def engine_columns(
    gt: dict[str, Any], results: list[dict[str, Any]]
) -> tuple[GroundTruth, Predictions, KeypointSimilarity]:
    """The engine's columns built by hand from the documents (the reader has its own
    tests): boxes and areas as pycocotools' loadRes gives them."""
    categories = gt["categories"]
    classes = Classes.from_ids([c["id"] for c in categories], [c["name"] for c in categories])
    anns = gt["annotations"]
    ground_truth = GroundTruth.from_arrays(
        frame_ids=[image["id"] for image in gt["images"]],
        classes=classes,
        frames=[a["image_id"] for a in anns],
        labels=[a["category_id"] for a in anns],
        boxes=np.array([a["bbox"] for a in anns]).reshape(-1, 4),
        area=[a["area"] for a in anns],
        iscrowd=[a["iscrowd"] for a in anns],
    )
    boxes = []
    for r in results:
        x, y = r["keypoints"][0::3], r["keypoints"][1::3]
        boxes.append([min(x), min(y), max(x) - min(x), max(y) - min(y)])
    predictions = Predictions.from_arrays(
        ground_truth,
        frames=[r["image_id"] for r in results],
        labels=[r["category_id"] for r in results],
        boxes=np.array(boxes).reshape(-1, 4),
        scores=[r["score"] for r in results],
    )
    schemas = [KeypointSchema(tuple(c["keypoints"])) for c in categories]
    similarity = KeypointSimilarity(
        ground_truth,
        predictions,
        [a["keypoints"] for a in anns],
        [r["keypoints"] for r in results],
        schemas,
    )
    return ground_truth, predictions, similarity


def oks_matrices(
    gt: dict[str, Any], results: list[dict[str, Any]], similarity: KeypointSimilarity
) -> dict[tuple[int, int], np.ndarray]:
    """Shoal's OKS laid out as pycocotools' ``ious[image, category]``: predictions by
    descending score (stable), the top 20, by ground truth in file order."""
    gt_rows: dict[tuple[int, int], list[int]] = defaultdict(list)
    dt_rows: dict[tuple[int, int], list[int]] = defaultdict(list)
    for row, a in enumerate(gt["annotations"]):
        gt_rows[a["image_id"], a["category_id"]].append(row)
    for row, r in enumerate(results):
        dt_rows[r["image_id"], r["category_id"]].append(row)
    keys = sorted(set(gt_rows) | set(dt_rows))
    pairs_dt, pairs_gt, shapes = [], [], []
    for key in keys:
        gts, dts = gt_rows.get(key, []), dt_rows.get(key, [])
        order = np.argsort([-results[d]["score"] for d in dts], kind="mergesort")
        dts = [dts[i] for i in order][:20]
        shapes.append((len(dts), len(gts)) if gts and dts else (0, 0))
        grid_dt, grid_gt = np.meshgrid(dts, gts, indexing="ij")
        pairs_dt.append(grid_dt.reshape(-1).astype(np.int64))
        pairs_gt.append(grid_gt.reshape(-1).astype(np.int64))
    values = similarity.pair_values(np.concatenate(pairs_dt), np.concatenate(pairs_gt))
    matrices, at = {}, 0
    for key, (n, m) in zip(keys, shapes, strict=True):
        matrices[key] = values[at : at + n * m].reshape(n, m)
        at += n * m
    return matrices


@pytest.mark.parametrize("seed", range(12))
def test_oks_equals_pycocotools_compute_oks(seed: int) -> None:
    rng = np.random.default_rng(seed)
    gt, results = random_keypoint_coco(rng, num_images=25)
    _, _, similarity = engine_columns(gt, results)
    expected = pycocotools_keypoints(gt, results).ious
    ours = oks_matrices(gt, results, similarity)
    compared = 0
    for key, matrix in expected.items():
        matrix = np.asarray(matrix, dtype=float)
        if matrix.size == 0:
            assert ours.get(key, np.zeros(0)).size == 0
            continue
        # Bit for bit: the same operations, NumPy's exp and np.sum's order of additions.
        np.testing.assert_array_equal(ours[key], matrix)
        compared += matrix.size
    assert compared > 100


def test_oks_same_for_every_thread_count() -> None:
    rng = np.random.default_rng(99)
    gt, results = random_keypoint_coco(rng, num_images=40)
    ground_truth, predictions, similarity = engine_columns(gt, results)
    dt_rows = np.repeat(np.arange(len(predictions)), len(ground_truth))
    gt_rows = np.tile(np.arange(len(ground_truth)), len(predictions))
    previous = set_min_work_per_thread(1)
    try:
        set_threads(1)
        one = similarity.pair_values(dt_rows, gt_rows)
        for threads in (2, 3, 7):
            set_threads(threads)
            assert np.array_equal(similarity.pair_values(dt_rows, gt_rows), one)
    finally:
        set_threads(None)
        set_min_work_per_thread(previous)
    assert ((one >= 0) & (one <= 1)).all()


def test_oks_cases_by_hand() -> None:
    """A perfect prediction scores 1; a ground truth without visible keypoints measures
    from its doubled box; classes with different keypoint counts score 0."""
    classes = Classes.from_ids([1, 2], ["person", "hand"])
    ground_truth = GroundTruth.from_arrays(
        frame_ids=[1],
        classes=classes,
        frames=[1, 1, 1],
        labels=[1, 1, 2],
        boxes=[[10, 10, 20, 40], [100, 100, 10, 10], [0, 0, 5, 5]],
        area=[400.0, 100.0, 25.0],
    )
    person = [[15.0 + k, 20.0 + k, 2.0] for k in range(17)]
    hidden = [[0.0, 0.0, 0.0]] * 17
    hand = [[1.0, 1.0, 2.0], [2.0, 2.0, 1.0]]
    predictions = Predictions.from_arrays(
        ground_truth, frames=[1, 1, 1], labels=[1, 1, 2], boxes=[[0, 0, 1, 1]] * 3
    )
    inside = [[95.0, 95.0, 1.0]] * 17  # inside [90, 120] x [90, 120]: distance 0
    outside = [[80.0, 100.0, 1.0]] * 17  # 10 px left of x0 = 90
    similarity = KeypointSimilarity(
        ground_truth,
        predictions,
        [np.ravel(person), np.ravel(hidden), np.ravel(hand)],
        [np.ravel(person), np.ravel(inside), np.ravel(hand)],
        [KeypointSchema(tuple(f"k{k}" for k in range(17))), KeypointSchema(("a", "b"))],
    )
    values = similarity.pair_values(np.array([0, 1, 2, 0, 2]), np.array([0, 1, 2, 2, 0]))
    assert values.tolist() == [1.0, 1.0, 1.0, 0.0, 0.0]
    similarity_outside = KeypointSimilarity(
        ground_truth,
        predictions,
        [np.ravel(person), np.ravel(hidden), np.ravel(hand)],
        [np.ravel(person), np.ravel(outside), np.ravel(hand)],
        [KeypointSchema(tuple(f"k{k}" for k in range(17))), KeypointSchema(("a", "b"))],
    )
    value = similarity_outside.pair_values(np.array([1]), np.array([1]))[0]
    variances = (COCO_PERSON_SIGMAS * 2) ** 2
    expected = np.mean(np.exp(-(10.0**2) / variances / (100.0 + np.spacing(1)) / 2))
    assert value == pytest.approx(expected, abs=1e-15)


def test_schema_defaults_and_checks() -> None:
    person = KeypointSchema(tuple(f"k{k}" for k in range(17)))
    assert np.array_equal(person.sigmas, COCO_PERSON_SIGMAS)
    hand = KeypointSchema.numbered(5)
    assert hand.names == ("1", "2", "3", "4", "5")
    assert np.array_equal(hand.sigmas, np.full(5, DEFAULT_SIGMA))
    assert KeypointSchema.numbered(2, sigmas=[0.1, 0.2]).to_dict() == {
        "names": ["1", "2"],
        "skeleton": [],
        "sigmas": [0.1, 0.2],
    }
    with pytest.raises(InputError, match="3 sigmas for 2 keypoints"):
        KeypointSchema(("a", "b"), sigmas=np.array([0.1, 0.1, 0.1]))
    with pytest.raises(InputError, match="finite and positive"):
        KeypointSchema(("a",), sigmas=np.array([0.0]))
    with pytest.raises(InputError, match=r"skeleton limb \[1, 3\]"):
        KeypointSchema(("a", "b"), skeleton=((1, 3),))


def test_point_lists_round_trip_and_checks() -> None:
    flat = [[1.0, 2.0, 2.0, 3.0, 4.0, 1.0], [], [5.0, 6.0, 0.0]]
    lists = PointLists.from_flat(flat, 3)
    assert lists.counts.tolist() == [2, 0, 1]
    assert lists.to_flat() == flat
    with pytest.raises(InputError, match="not a multiple of 3") as error:
        PointLists.from_flat([[1.0, 2.0, 2.0], [1.0, 2.0]], 3, what="keypoints")
    assert error.value.record == 1
    with pytest.raises(InputError, match="not finite"):
        PointLists.from_flat([[1.0, float("nan")]], 2)
    with pytest.raises(InputError, match="offsets must rise"):
        PointLists(np.array([0, 2, 1]), np.zeros((1, 2)))


def test_similarity_refuses_wrong_keypoint_counts() -> None:
    classes = Classes.from_ids([1], ["person"])
    ground_truth = GroundTruth.from_arrays(
        frame_ids=[1], classes=classes, frames=[1], labels=[1], boxes=[[0, 0, 5, 5]]
    )
    predictions = Predictions.from_arrays(
        ground_truth, frames=[1], labels=[1], boxes=[[0, 0, 1, 1]]
    )
    schema = [KeypointSchema(("a", "b"))]
    with pytest.raises(
        InputError, match="predicted row 0 has 1 keypoints; its class 'person' has 2"
    ):
        KeypointSimilarity(ground_truth, predictions, [[0, 0, 2, 1, 1, 2]], [[0, 0, 2]], schema)
    with pytest.raises(InputError, match="2 keypoint schemas for 1 classes"):
        KeypointSimilarity(ground_truth, predictions, [[0] * 6], [[0] * 6], schema * 2)
