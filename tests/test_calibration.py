"""Calibration: reliability diagrams, ECE (classification) and D-ECE (detection) against
hand computations and scikit-learn's ``calibration_curve``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.calibration import calibration_curve

import shoal
from shoal.analysis import Calibration, Reliability, calibration, reliability
from shoal.errors import InputError


def test_reliability_by_hand() -> None:
    # 4 bins of width 0.25: (0, .25], (.25, .5], (.5, .75], (.75, 1]; 0 goes in the first.
    confidence = [0.0, 0.2, 0.25, 0.6, 0.7, 0.9, 1.0, 0.95]
    correct = [False, False, True, True, False, True, True, True]
    found = reliability(confidence, correct, bins=4)
    assert found.count.tolist() == [3, 0, 2, 3]
    assert found.confidence[0] == pytest.approx(0.45 / 3)
    assert found.accuracy[0] == pytest.approx(1 / 3)
    assert np.isnan(found.confidence[1]) and np.isnan(found.accuracy[1])
    assert found.confidence[2] == pytest.approx(0.65) and found.accuracy[2] == 0.5
    assert found.confidence[3] == pytest.approx(2.85 / 3) and found.accuracy[3] == 1.0
    gaps = [abs(1 / 3 - 0.15), abs(0.5 - 0.65), abs(1.0 - 0.95)]
    assert found.ece == pytest.approx((3 * gaps[0] + 2 * gaps[1] + 3 * gaps[2]) / 8)
    assert found.mce == pytest.approx(max(gaps))
    again = Reliability.from_dict(found.to_dict())
    assert again.ece == pytest.approx(found.ece)
    assert found.to_dict()["bins"][1] == {
        "low": 0.25, "high": 0.5, "count": 0, "confidence": None, "accuracy": None
    }  # fmt: skip


def test_reliability_equals_sklearn_calibration_curve() -> None:
    rng = np.random.default_rng(7)
    confidence = rng.uniform(0, 1, 5000)
    confidence[:20] = np.linspace(0, 1, 21)[:20]  # exact bin edges too
    correct = rng.uniform(0, 1, 5000) < confidence**1.5
    for bins in (5, 10, 15):
        found = reliability(confidence, correct, bins=bins)
        prob_true, prob_pred = calibration_curve(correct, confidence, n_bins=bins)
        filled = found.count > 0
        np.testing.assert_allclose(found.accuracy[filled], prob_true, rtol=0, atol=1e-12)
        np.testing.assert_allclose(found.confidence[filled], prob_pred, rtol=0, atol=1e-12)


def test_reliability_refuses_bad_input() -> None:
    with pytest.raises(InputError, match="not in \\[0, 1\\]"):
        reliability([0.5, 1.5], [True, False])
    with pytest.raises(InputError, match="2 confidences for 1 outcomes"):
        reliability([0.5, 0.5], [True])
    with pytest.raises(InputError, match="bins must be"):
        reliability([0.5], [True], bins=0)
    assert reliability([], [], bins=3).ece == 0.0


def test_classification_ece_per_class_by_hand() -> None:
    y_true = ["cat", "cat", "dog", "dog", "dog", "cat"]
    y_pred = ["cat", "dog", "dog", "dog", "cat", "cat"]
    conf = [0.9, 0.8, 0.55, 0.65, 0.3, 0.95]
    ev = shoal.evaluate_classifications(y_true, y_pred, confidences=conf)
    found = calibration(ev, bins=10)
    assert found.task == "classification" and found.iou is None
    right = [t == p for t, p in zip(y_true, y_pred, strict=True)]
    assert found.ece == pytest.approx(reliability(conf, right, bins=10).ece)
    # cat predictions: 0.9 right, 0.3 wrong, 0.95 right -> bins (.8,.9], (.2,.3], (.9,1]
    cat = found.of("cat")
    assert cat.total == 3
    assert cat.ece == pytest.approx((0.1 + 0.3 + 0.05) / 3)
    # dog predictions: 0.8 wrong, 0.55 right, 0.65 right, one per bin
    assert found.of("dog").ece == pytest.approx((0.8 + 0.45 + 0.35) / 3)
    assert Calibration.from_dict(found.to_dict()).of("dog").ece == pytest.approx(
        found.of("dog").ece
    )
    assert found.to_dict()["metric"] == "ECE"
    # A threshold drops the predictions below it (a threshold is part of the definition).
    assert calibration(ev, conf=0.5).overall.total == 5


def _box_dataset() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    images = [{"id": i, "width": 100, "height": 100} for i in (1, 2)]
    categories = [{"id": 1, "name": "car"}, {"id": 2, "name": "bus"}]
    annotations = [
        {"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "area": 100},
        {"id": 2, "image_id": 1, "category_id": 2, "bbox": [50, 50, 20, 20], "area": 400},
        {"id": 3, "image_id": 2, "category_id": 1, "bbox": [10, 10, 10, 10], "area": 100},
    ]
    gt = {"images": images, "categories": categories, "annotations": annotations}
    dt = [
        {"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.95},  # TP
        {"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.85},  # dupe FP
        {"image_id": 1, "category_id": 2, "bbox": [50, 50, 20, 20], "score": 0.62},  # TP
        {"image_id": 2, "category_id": 1, "bbox": [12, 12, 10, 10], "score": 0.7},  # IoU .47
        {"image_id": 2, "category_id": 2, "bbox": [80, 80, 5, 5], "score": 0.2},  # FP
    ]
    return gt, dt


def test_detection_dece_by_hand() -> None:
    gt, dt = _box_dataset()
    ev = shoal.evaluate_detections(gt, dt)
    found = calibration(ev, conf=0.3, iou=0.5, bins=10)
    assert found.task == "detection" and found.to_dict()["metric"] == "D-ECE"
    # Kept at 0.3: 0.95 TP, 0.85 FP, 0.62 TP, 0.7 FP (IoU 64/136 < 0.5).
    assert found.overall.total == 4
    # 0.62 and 0.7 share the bin (0.6, 0.7]: precision 0.5 at mean confidence 0.66.
    expected = (abs(1 - 0.95) + abs(0 - 0.85) + 2 * abs(0.5 - 0.66)) / 4
    assert found.ece == pytest.approx(expected)
    assert found.overall.count.tolist() == [0, 0, 0, 0, 0, 0, 2, 0, 1, 1]
    car = found.of("car")
    assert car.total == 3
    assert car.ece == pytest.approx((0.05 + 0.85 + 0.7) / 3)
    assert found.of("bus").ece == pytest.approx(0.38)
    # At IoU 0.4 the 0.7 box matches, and precision in its bin becomes 1.
    loose = calibration(ev, conf=0.3, iou=0.4, bins=10)
    assert loose.of("car").ece == pytest.approx((0.05 + 0.85 + 0.3) / 3)
    assert loose.ece == pytest.approx((0.05 + 0.85 + 2 * 0.34) / 4)
    # Every detection, conf 0: the 0.2 background box counts too.
    assert calibration(ev, conf=0.0).overall.total == 5


def test_detection_dece_pools_matched_predictions() -> None:
    # D-ECE over many random boxes equals the reliability of the outcomes' TP flags.
    rng = np.random.default_rng(3)
    images = [{"id": i, "width": 200, "height": 200} for i in range(40)]
    annotations, dt = [], []
    for image in range(40):
        for _ in range(3):
            x, y = rng.uniform(0, 150, 2)
            annotations.append(
                {"id": len(annotations) + 1, "image_id": image, "category_id": 1,
                 "bbox": [x, y, 30, 30], "area": 900}
            )  # fmt: skip
            shift = rng.uniform(0, 20)
            dt.append(
                {"image_id": image, "category_id": 1, "bbox": [x + shift, y, 30, 30],
                 "score": float(rng.uniform(0.1, 1.0))}
            )  # fmt: skip
    gt = {"images": images, "categories": [{"id": 1, "name": "a"}], "annotations": annotations}
    ev = shoal.evaluate_detections(gt, dt)
    outcomes = ev.outcomes(0.25, 0.5).where(kind="prediction")
    expected = reliability(outcomes.confidence, outcomes.outcome == "TP", bins=15)
    found = calibration(ev, conf=0.25, iou=0.5, bins=15)
    assert found.overall.count.tolist() == expected.count.tolist()
    assert found.ece == pytest.approx(expected.ece)
    assert 0 < found.overall.total < len(dt)
