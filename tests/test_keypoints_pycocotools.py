"""The COCO keypoints protocol end to end: read_coco_keypoints + evaluate(similarity=
KeypointSimilarity, params=CocoParams.keypoints()) equal to pycocotools'
COCOeval(iouType="keypoints") to 1e-9, all 10 statistics and the precision/recall
arrays, on randomized person-keypoint data (crowds, num_keypoints 0, more than maxDets
20 predictions per image, tied scores)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from keypoints_oracle import pycocotools_keypoints, random_keypoint_coco
from shoal.engine.detection.evaluator import evaluate
from shoal.engine.detection.metrics import KEYPOINT_STAT_NAMES, CocoParams
from shoal.formats.coco import read_coco_keypoints


def check_equal(gt: dict[str, Any], results: list[dict[str, Any]]) -> None:
    ground_truth, predictions, similarity = read_coco_keypoints(gt, results)
    evaluation = evaluate(
        ground_truth, predictions, similarity=similarity, params=CocoParams.keypoints()
    )
    summary = evaluation.coco_summary()
    expected = pycocotools_keypoints(gt, results)
    assert tuple(summary.stats) == KEYPOINT_STAT_NAMES
    np.testing.assert_allclose(
        [summary.stats[name] for name in KEYPOINT_STAT_NAMES], expected.stats, rtol=0, atol=1e-9
    )
    # pycocotools' precision is (T, R, K, A, M) and recall (T, K, A, M).
    np.testing.assert_allclose(summary.precision, expected.eval["precision"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(summary.recall, expected.eval["recall"], rtol=0, atol=1e-9)


@pytest.mark.parametrize("seed", range(10))
def test_keypoints_protocol_equals_pycocotools(seed: int) -> None:
    gt, results = random_keypoint_coco(np.random.default_rng(seed), num_images=40)
    check_equal(gt, results)


def test_one_class_crowded_images() -> None:
    """Every image with more predictions than maxDets (20) of its class."""
    gt, results = random_keypoint_coco(
        np.random.default_rng(77), num_images=15, max_gt=10, max_dt=60, categories=1
    )
    check_equal(gt, results)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(3))
def test_keypoints_protocol_equals_pycocotools_large(seed: int) -> None:
    gt, results = random_keypoint_coco(
        np.random.default_rng(1000 + seed), num_images=800, max_gt=12, max_dt=40
    )
    check_equal(gt, results)
