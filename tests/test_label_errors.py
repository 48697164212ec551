"""The label-error queue (shoal.analysis.label_errors): hand-built cases with known answers for
every kind, cleanlab's confident-learning scores as the classification oracle, and recall on
planted errors against cleanlab's ObjectLab on the same data."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from shoal.analysis.label_errors import classification_label_errors, detection_label_errors
from shoal.engine.detection.annotations import GroundTruth, Predictions
from shoal.errors import InputError

BENCHMARK_PY = Path(__file__).resolve().parents[1] / "benchmarks" / "label_errors.py"


def _benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("label_errors_benchmark", BENCHMARK_PY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _scene() -> tuple[GroundTruth, Predictions]:
    """Frame 1: a found label (a) and a confident box on nothing (missing).
    Frame 2: a label of class a under a confident class-b box (wrong_class).
    Frame 3: a label of class a half off its confident class-a box (loose_box).
    Frame 4: a found label (a) and a class-a label nothing found (spurious).
    Frame 5: a class-a label with only a weak class-a box on it (spurious, lower)."""
    gt = GroundTruth.from_arrays(
        frame_ids=[1, 2, 3, 4, 5],
        classes=["a", "b"],
        frames=[1, 2, 3, 4, 4, 5],
        labels=[0, 0, 0, 0, 0, 0],
        boxes=[
            [0, 0, 10, 10],
            [0, 0, 10, 10],
            [0, 0, 10, 10],
            [0, 0, 10, 10],
            [50, 50, 10, 10],
            [0, 0, 10, 10],
        ],
        ids=[11, 12, 13, 14, 15, 16],
        labels_are_indices=True,
    )
    dt = Predictions.from_arrays(
        gt,
        frames=[1, 1, 2, 3, 4, 5],
        labels=[0, 0, 1, 0, 0, 0],
        boxes=[
            [0, 0, 10, 10],
            [80, 80, 10, 10],
            [0, 0, 10, 10],
            [6, 0, 10, 10],
            [0, 0, 10, 10],
            [0, 0, 10, 10],
        ],
        scores=[0.9, 0.8, 0.95, 0.7, 0.9, 0.2],
        labels_are_indices=True,
    )
    return gt, dt


def test_every_kind_on_a_hand_built_scene() -> None:
    gt, dt = _scene()
    records = detection_label_errors(gt, dt).to_records(gt)
    # Class a: 6 labels, 2 matched (11 and 14). spurious on frame 4: class recall 2 of the
    # 5 others, image recall 1 of 1, no weak box.
    # spurious on frame 5: class recall 2/5, alone in its image, weak box 0.2 -> * 0.8.
    assert records == [
        {"image_id": 2, "kind": "wrong_class", "score": 0.95, "annotation_id": 12, "partner": 2},
        {"image_id": 1, "kind": "missing", "score": 0.8, "prediction": 1, "partner": None},
        {"image_id": 3, "kind": "loose_box", "score": 0.7, "annotation_id": 13, "partner": 3},
        {"image_id": 4, "kind": "spurious", "score": 0.4, "annotation_id": 15, "partner": None},
        {
            "image_id": 5,
            "kind": "spurious",
            "score": pytest.approx(0.4 * 0.8),
            "annotation_id": 16,
            "partner": None,
        },
    ]


def test_operating_point_decides_what_is_confident() -> None:
    gt, dt = _scene()
    found = detection_label_errors(gt, dt, min_score=0.85)
    # The 0.8 background box and the 0.7 loose box are no longer confident.
    assert "missing" not in found.kinds() and "loose_box" not in found.kinds()
    assert found.counts()["wrong_class"] == 1


def test_frames_restrict_the_queue() -> None:
    gt, dt = _scene()
    only_two = np.array([False, True, False, False, False])
    found = detection_label_errors(gt, dt, frames=only_two)
    assert found.to_records(gt) == [
        {"image_id": 2, "kind": "wrong_class", "score": 0.95, "annotation_id": 12, "partner": 2}
    ]


def test_bad_settings_are_input_errors() -> None:
    gt, dt = _scene()
    with pytest.raises(InputError, match="bg_iou"):
        detection_label_errors(gt, dt, bg_iou=0.6, fg_iou=0.5)
    with pytest.raises(InputError, match="min_score"):
        detection_label_errors(gt, dt, min_score=1.5)
    with pytest.raises(InputError, match="class indices"):
        classification_label_errors([0, 3], [[0.5, 0.5], [0.5, 0.5]])
    with pytest.raises(InputError, match="probabilities"):
        classification_label_errors([0, 1], [[0.5, 0.5], [np.nan, 0.5]])


@pytest.mark.parametrize("method", ["self_confidence", "normalized_margin"])
def test_classification_scores_equal_cleanlab(method: str) -> None:
    from cleanlab.rank import get_label_quality_scores

    rng = np.random.default_rng(3)
    n, k = 400, 4
    truth = rng.integers(0, k, n)
    logits = rng.normal(0, 1, (n, k))
    logits[np.arange(n), truth] += 2.5
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    given = truth.copy()
    flipped = rng.random(n) < 0.1
    given[flipped] = (given[flipped] + 1) % k
    quality = get_label_quality_scores(given, probs, method=method)
    found = classification_label_errors(given, probs, method=method)
    assert len(found) > 0
    np.testing.assert_allclose(found.score, 1.0 - quality[found.frame], atol=1e-12)
    assert (np.diff(found.score) <= 0).all()
    # Every candidate is a confident disagreement, and most flipped labels are found.
    assert (probs.argmax(1)[found.frame] != given[found.frame]).all()
    assert np.isin(np.flatnonzero(flipped), found.frame).mean() > 0.7


def test_planted_errors_are_found_better_than_objectlab() -> None:
    benchmark = _benchmark()
    data = benchmark.planted_data(300, seed=5)
    shoal_scores, found = benchmark.shoal_image_scores(data)
    objectlab_scores = benchmark.objectlab_image_scores(data)
    shoal = benchmark.ranking_quality(shoal_scores, data.corruption)
    objectlab = benchmark.ranking_quality(objectlab_scores, data.corruption)
    # Floors well below the measured values (benchmarks/results/label-errors.md).
    assert shoal["auroc"] >= 0.9
    assert shoal["precision_at_k"] >= 0.7
    for kind in benchmark.CORRUPTIONS:
        assert shoal[f"recall_{kind}"] >= 0.5, kind
    assert shoal["auroc"] >= objectlab["auroc"]
    assert shoal["precision_at_k"] >= objectlab["precision_at_k"]
    assert set(found.kinds()) == {"missing", "spurious", "wrong_class", "loose_box"}
