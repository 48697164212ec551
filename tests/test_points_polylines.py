"""Points and polylines (shoal.engine.keypoints): PointSimilarity and
PolylineSimilarity against plain-Python distances and discrete Fréchet distance on
randomized data, and the detection evaluator's per-object counts with them against a
plain-Python greedy matching (pycocotools' rule)."""

from __future__ import annotations

import math
from collections import defaultdict
from functools import cache

import numpy as np
import pytest

from shoal._native import set_threads
from shoal.engine.detection.annotations import Classes, GroundTruth, Predictions
from shoal.engine.detection.evaluator import evaluate
from shoal.engine.keypoints import (
    PointLists,
    PointSimilarity,
    PolylineSimilarity,
    diagonal_tolerance,
)
from shoal.engine.keypoints.kernels import set_min_work_per_thread
from shoal.errors import InputError


def frechet(p: list[tuple[float, float]], q: list[tuple[float, float]]) -> float:
    """Eiter and Mannila's discrete Fréchet distance, by its recursive definition."""

    @cache
    def c(i: int, j: int) -> float:
        d = math.dist(p[i], q[j])
        if i == 0 and j == 0:
            return d
        if i == 0:
            return max(c(0, j - 1), d)
        if j == 0:
            return max(c(i - 1, 0), d)
        return max(min(c(i - 1, j), c(i - 1, j - 1), c(i, j - 1)), d)

    return c(len(p) - 1, len(q) - 1)


def random_polyline(rng: np.random.Generator, near: list[float] | None = None) -> list[float]:
    if near is not None and rng.random() < 0.7:
        path = np.array(near).reshape(-1, 2)
        if rng.random() < 0.3:
            path = path[::-1]
        keep = np.sort(
            rng.choice(len(path), max(1, len(path) - int(rng.integers(0, 3))), replace=False)
        )
        return (
            (path[keep] + rng.normal(0, rng.choice([0.5, 3.0, 10.0]), (keep.size, 2)))
            .ravel()
            .tolist()
        )
    n = int(rng.integers(1, 9))
    start = rng.uniform(0, 200, 2)
    return (start + np.cumsum(rng.normal(0, 15, (n, 2)), axis=0)).ravel().tolist()


def as_pairs(flat: list[float]) -> list[tuple[float, float]]:
    return [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]


@pytest.mark.parametrize("seed", range(8))
def test_frechet_equals_plain_python(seed: int) -> None:
    rng = np.random.default_rng(seed)
    gt = [random_polyline(rng) for _ in range(25)]
    dt = [random_polyline(rng, gt[int(rng.integers(0, 25))]) for _ in range(30)]
    tolerance = rng.uniform(5, 40, len(gt))
    dt_rows = np.repeat(np.arange(len(dt)), len(gt))
    gt_rows = np.tile(np.arange(len(gt)), len(dt))
    for either in (False, True):
        similarity = PolylineSimilarity(gt, dt, tolerance, either_direction=either)
        distances = similarity.distances(dt_rows, gt_rows)
        values = similarity.pair_values(dt_rows, gt_rows)
        for d, g, distance, value in zip(dt_rows, gt_rows, distances, values, strict=True):
            p, q = as_pairs(dt[d]), as_pairs(gt[g])
            expected = frechet(p, q)
            if either:
                expected = min(expected, frechet(p, q[::-1]))
            assert distance == pytest.approx(expected, rel=0, abs=1e-12)
            assert value == pytest.approx(max(0.0, 1 - expected / tolerance[g]), abs=1e-12)


def test_frechet_same_for_every_thread_count() -> None:
    rng = np.random.default_rng(5)
    gt = [random_polyline(rng) for _ in range(40)]
    dt = [random_polyline(rng, gt[int(rng.integers(0, 40))]) for _ in range(40)]
    similarity = PolylineSimilarity(gt, dt, 20.0, either_direction=True)
    dt_rows = np.repeat(np.arange(40), 40)
    gt_rows = np.tile(np.arange(40), 40)
    previous = set_min_work_per_thread(1)
    try:
        set_threads(1)
        one = similarity.pair_values(dt_rows, gt_rows)
        for threads in (2, 5):
            set_threads(threads)
            assert np.array_equal(similarity.pair_values(dt_rows, gt_rows), one)
    finally:
        set_threads(None)
        set_min_work_per_thread(previous)


def test_point_similarity_equals_plain_python() -> None:
    rng = np.random.default_rng(0)
    gt = rng.uniform(0, 500, (50, 2))
    dt = gt[rng.integers(0, 50, 60)] + rng.normal(0, 8, (60, 2))
    tolerance = diagonal_tolerance(0.02, rng.uniform(300, 900, 50), rng.uniform(300, 900, 50))
    similarity = PointSimilarity(gt.tolist(), dt.tolist(), tolerance)
    dt_rows = np.repeat(np.arange(60), 50)
    gt_rows = np.tile(np.arange(50), 60)
    values = similarity.pair_values(dt_rows, gt_rows)
    for d, g, value in zip(dt_rows, gt_rows, values, strict=True):
        expected = max(0.0, 1 - math.dist(dt[d], gt[g]) / tolerance[g])
        assert value == pytest.approx(expected, abs=1e-12)
    assert (values > 0).sum() > 20  # some pairs within the tolerance


def test_worked_example_in_the_docs() -> None:
    """docs/metrics.md's example: a 2-vertex line against 3 vertices, tolerance 10."""
    truth = [[0, 0, 10, 0, 20, 0]]
    predicted = [[0, 3, 20, 4]]
    similarity = PolylineSimilarity(truth, predicted, 10.0)
    assert similarity.distances(np.array([0]), np.array([0]))[0] == pytest.approx(math.hypot(10, 3))
    assert similarity.pair_values(np.array([0]), np.array([0]))[0] == 0.0
    loose = PolylineSimilarity(truth, predicted, 20.0)
    assert loose.pair_values(np.array([0]), np.array([0]))[0] == pytest.approx(
        1 - math.hypot(10, 3) / 20
    )
    points = PointSimilarity([[10, 10]], [[13, 14]], 10.0)
    assert points.pair_values(np.array([0]), np.array([0]))[0] == pytest.approx(0.5)


def test_checks() -> None:
    with pytest.raises(InputError, match="2 points, not one") as error:
        PointSimilarity([[1, 1], [1, 2, 3, 4]], [[0, 0]], 5.0)
    assert error.value.record == 1
    with pytest.raises(InputError, match="above 0 pixels"):
        PolylineSimilarity([[1, 1]], [[0, 0]], 0.0)
    with pytest.raises(InputError, match="3 tolerances for 1 ground-truth rows"):
        PolylineSimilarity([[1, 1]], [[0, 0]], [1.0, 2.0, 3.0])
    with pytest.raises(InputError, match="not a multiple of 2"):
        PolylineSimilarity([[1, 1, 2]], [[0, 0]], 1.0)
    with pytest.raises(InputError, match="expected 2"):
        PolylineSimilarity(PointLists.from_flat([[1, 1, 2]], 3), [[0, 0]], 1.0)
    empty = PolylineSimilarity([[]], [[0, 0]], 1.0)
    assert empty.pair_values(np.array([0]), np.array([0])).tolist() == [0.0]


def greedy_counts(
    frames_gt: np.ndarray,
    labels_gt: np.ndarray,
    frames_dt: np.ndarray,
    labels_dt: np.ndarray,
    scores: np.ndarray,
    similarity: np.ndarray,
    threshold: float,
    num_classes: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """pycocotools' matching in plain Python: in each (frame, class), predictions by
    descending score (stable) take the unmatched ground truth of highest similarity at
    or above the threshold (the last one among equals)."""
    tp, fp = np.zeros(num_classes, int), np.zeros(num_classes, int)
    fn = np.bincount(labels_gt, minlength=num_classes)
    groups: dict[tuple[int, int], list[int]] = defaultdict(list)
    for g, key in enumerate(zip(frames_gt.tolist(), labels_gt.tolist(), strict=True)):
        groups[key].append(g)
    order = np.argsort(-scores, kind="stable")
    taken: set[int] = set()
    for d in order.tolist():
        key = (int(frames_dt[d]), int(labels_dt[d]))
        best, best_value = -1, min(threshold, 1 - 1e-10)
        for g in groups.get(key, []):
            if g in taken or similarity[d, g] < best_value:
                continue
            best, best_value = g, similarity[d, g]
        if best >= 0:
            taken.add(best)
            tp[labels_dt[d]] += 1
            fn[labels_dt[d]] -= 1
        else:
            fp[labels_dt[d]] += 1
    return tp, fp, fn


@pytest.mark.parametrize("kind", ["points", "polylines"])
@pytest.mark.parametrize("seed", range(4))
def test_evaluator_counts_with_points_and_polylines(kind: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    num_frames, classes = 12, Classes.from_names(["lane", "curb", "sign"])
    gt_frames = rng.integers(0, num_frames, 60)
    gt_labels = rng.integers(0, 3, 60)
    if kind == "points":
        gt_geometry = rng.uniform(0, 300, (60, 2)).tolist()
    else:
        gt_geometry = [random_polyline(rng) for _ in range(60)]
    dt_frames, dt_labels, dt_geometry = [], [], []
    for _ in range(90):
        g = int(rng.integers(0, 60))
        if rng.random() < 0.8:
            dt_frames.append(gt_frames[g])
            dt_labels.append(gt_labels[g] if rng.random() < 0.85 else int(rng.integers(0, 3)))
            near = gt_geometry[g]
        else:
            dt_frames.append(int(rng.integers(0, num_frames)))
            dt_labels.append(int(rng.integers(0, 3)))
            near = None
        if kind == "points":
            base = np.array(near) if near is not None else rng.uniform(0, 300, 2)
            dt_geometry.append((base + rng.normal(0, 4, 2)).tolist())
        else:
            dt_geometry.append(random_polyline(rng, near))
    scores = np.round(rng.random(90), 2)  # ties
    gt_lists = PointLists.from_flat(gt_geometry, 2)
    dt_lists = PointLists.from_flat(dt_geometry, 2)

    def boxes(lists: PointLists) -> np.ndarray:
        out = []
        for start, end in zip(lists.offsets[:-1], lists.offsets[1:], strict=True):
            xy = lists.points[start:end]
            low, high = xy.min(axis=0), xy.max(axis=0)
            out.append([*low, *(high - low)])
        return np.array(out)

    ground_truth = GroundTruth.from_arrays(
        frame_ids=np.arange(num_frames), classes=classes, frames=gt_frames,
        labels=gt_labels, boxes=boxes(gt_lists), labels_are_indices=True,
    )  # fmt: skip
    predictions = Predictions.from_arrays(
        ground_truth, frames=np.array(dt_frames), labels=np.array(dt_labels),
        boxes=boxes(dt_lists), scores=scores, labels_are_indices=True,
    )  # fmt: skip
    tolerance = 12.0
    similarity = (
        PointSimilarity(gt_lists, dt_lists, tolerance)
        if kind == "points"
        else PolylineSimilarity(gt_lists, dt_lists, tolerance, either_direction=True)
    )
    evaluation = evaluate(ground_truth, predictions, similarity=similarity)
    all_pairs = similarity.pair_values(np.repeat(np.arange(90), 60), np.tile(np.arange(60), 90))
    matrix = all_pairs.reshape(90, 60)
    for threshold in (0.5, 0.75, 0.3):
        report = evaluation.report(conf=0.0, iou=threshold, classes=[0, 1, 2])
        tp, fp, fn = greedy_counts(
            gt_frames, gt_labels, np.array(dt_frames), np.array(dt_labels), scores, matrix,
            threshold, 3,
        )  # fmt: skip
        assert report.tp.tolist() == tp.tolist(), threshold
        assert report.fp.tolist() == fp.tolist(), threshold
        assert report.fn.tolist() == fn.tolist(), threshold
    assert int(np.sum(report.tp)) > 0
    outcomes = evaluation.outcomes(conf=0.0, iou=0.5)
    assert len(outcomes.id) == 90 + 60
    confusion = evaluation.confusion_matrix(conf=0.0, iou=0.5)
    assert confusion is not None
