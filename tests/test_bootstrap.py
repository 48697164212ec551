"""Paired bootstrap over frames: point values equal the comparison's, a replicate equals
a fresh evaluation of its resampled frames, seeds reproduce, and the 95% intervals
cover the true delta at about the nominal rate in a simulation."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest

import shoal
from shoal.analysis import Significance, compare, paired_bootstrap
from shoal.analysis.bootstrap import MACRO, MICRO
from shoal.errors import InputError


def _scene(seed: int, frames: int = 30) -> tuple[dict[str, Any], list[Any], list[Any]]:
    """Ground truth and two detectors' results over ``frames`` images, 3 classes."""
    rng = np.random.default_rng(seed)
    images = [{"id": i, "width": 300, "height": 300} for i in range(frames)]
    categories = [{"id": c, "name": name} for c, name in ((1, "car"), (2, "bus"), (3, "van"))]
    annotations: list[dict[str, Any]] = []
    for image in range(frames):
        for _ in range(int(rng.integers(0, 5))):
            x, y = rng.uniform(0, 250, 2)
            annotations.append(
                {"id": len(annotations) + 1, "image_id": image,
                 "category_id": int(rng.integers(1, 4)), "bbox": [x, y, 40, 40], "area": 1600}
            )  # fmt: skip

    def detector(noise: float, miss: float) -> list[dict[str, Any]]:
        out = []
        for a in annotations:
            if rng.uniform() < miss:
                continue
            x, y, w, h = a["bbox"]
            label = a["category_id"] if rng.uniform() > 0.1 else int(rng.integers(1, 4))
            out.append(
                {"image_id": a["image_id"], "category_id": label,
                 "bbox": [x + rng.normal(0, noise), y + rng.normal(0, noise), w, h],
                 "score": float(rng.uniform(0.2, 1.0))}
            )  # fmt: skip
        for image in range(frames):
            if rng.uniform() < 0.5:
                out.append(
                    {"image_id": image, "category_id": int(rng.integers(1, 4)),
                     "bbox": [*rng.uniform(0, 250, 2).tolist(), 30, 30],
                     "score": float(rng.uniform(0.0, 0.8))}
                )  # fmt: skip
        return out

    gt = {"images": images, "categories": categories, "annotations": annotations}
    return gt, detector(4.0, 0.2), detector(8.0, 0.1)


def test_point_values_equal_the_comparison() -> None:
    gt, first, second = _scene(1)
    base, other = shoal.evaluate_detections(gt, first), shoal.evaluate_detections(gt, second)
    found = paired_bootstrap(base, other, conf=0.3, iou=0.5, resamples=200, seed=4)
    comparison = compare(base, other, conf=0.3, iou=0.5)
    assert found.labels == comparison.labels
    deltas = comparison.class_deltas()
    for label in comparison.labels:
        for metric in ("precision", "recall", "f1-score"):
            interval = found.interval(label, metric)
            assert interval.base == pytest.approx(deltas[label][metric]["base"])
            assert interval.delta == pytest.approx(deltas[label][metric]["delta"])
            assert interval.low <= interval.high
    for scope in (MACRO, MICRO):
        for metric in ("precision", "recall", "f1-score"):
            interval = found.interval(scope, metric)
            assert interval.base == pytest.approx(comparison.base.averages()[scope][metric])
            assert interval.other == pytest.approx(comparison.other.averages()[scope][metric])
    # AP: the comparison's per-class AP, and mAP as their mean over classes with ground truth.
    ap = comparison.to_dict()["classes"]
    for label in comparison.labels:
        assert found.interval(label, "ap").base == ap[label]["ap"]["base"]
        assert found.interval(label, "ap").delta == pytest.approx(ap[label]["ap"]["delta"])
    base_map = base.average_precision(0.5, classes=list(comparison.labels))["mAP"]
    assert found.interval(MACRO, "ap").base == pytest.approx(base_map)
    with pytest.raises(InputError, match="no interval"):
        found.interval(MICRO, "ap")
    assert found.frame_count == 30 and found.resamples == 200
    assert Significance.from_dict(found.to_dict()) == found
    with pytest.raises(InputError, match="no interval"):
        found.interval("lorry", "precision")


def test_one_replicate_equals_a_fresh_evaluation_of_its_frames() -> None:
    """With one resample the interval is that replicate's delta: rebuild the replicate's
    frames as a new dataset (repeated frames copied under new ids), match it again, and
    compare every delta."""
    gt, first, second = _scene(2, frames=25)
    base, other = shoal.evaluate_detections(gt, first), shoal.evaluate_detections(gt, second)
    seed = 11
    found = paired_bootstrap(base, other, conf=0.4, iou=0.5, resamples=1, seed=seed)
    # The same draw as the bootstrap's (one block: the frame ids in evaluation order).
    order = [int(f) for f in base.frame_ids.tolist()]
    drawn = np.random.default_rng(seed).integers(0, len(order), size=(1, len(order)))[0]
    images, annotations, copies = [], [], {}
    for copy, index in enumerate(drawn.tolist()):
        source = order[index]
        copies.setdefault(source, []).append(copy)
        images.append({"id": copy, "width": 300, "height": 300})
        for a in gt["annotations"]:
            if a["image_id"] == source:
                annotations.append({**a, "id": len(annotations) + 1, "image_id": copy})
    resampled = {"images": images, "categories": gt["categories"], "annotations": annotations}

    def copied(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**r, "image_id": copy} for r in results for copy in copies.get(r["image_id"], [])]

    comparison = compare(
        shoal.evaluate_detections(resampled, copied(first)),
        shoal.evaluate_detections(resampled, copied(second)),
        conf=0.4,
        iou=0.5,
    )
    deltas = comparison.class_deltas()
    for label in found.labels:
        for metric in ("precision", "recall", "f1-score"):
            interval = found.interval(label, metric)
            expected = deltas[label][metric]["delta"] if label in deltas else 0.0
            assert interval.low == pytest.approx(expected, abs=1e-12)
            assert interval.high == pytest.approx(expected, abs=1e-12)
    micro_before = comparison.base.averages()[MICRO]["f1-score"]
    micro_after = comparison.other.averages()[MICRO]["f1-score"]
    assert found.interval(MICRO, "f1-score").low == pytest.approx(micro_after - micro_before)
    # AP: the replicate's AP is that of the copied frames matched again, per class and
    # as the mean over the classes with ground truth (COCO's mAP at this IoU).
    fresh_base = shoal.evaluate_detections(resampled, copied(first)).average_precision(0.5)
    fresh_other = shoal.evaluate_detections(resampled, copied(second)).average_precision(0.5)
    checked = 0
    for label in found.labels:
        if fresh_base.get(label, -1.0) < 0:
            continue  # the draw holds no ground truth of the class: no AP to compare
        interval = found.interval(label, "ap")
        assert interval.low == interval.high
        assert interval.low == pytest.approx(fresh_other[label] - fresh_base[label], abs=1e-12)
        checked += 1
    assert checked >= 2
    expected_map = fresh_other["mAP"] - fresh_base["mAP"]
    assert found.interval(MACRO, "ap").low == pytest.approx(expected_map, abs=1e-12)


def test_resampled_ap_with_every_weight_one_is_the_ap() -> None:
    """A replicate drawing every frame once is the evaluation itself, bit for bit: on the
    grid, off it (matched again from the kept pairs), for a frame selection (weights 0
    outside it), and for classification with and without scores."""
    gt, first, _ = _scene(4, frames=40)
    detections = shoal.evaluate_detections(gt, first)
    labels = list(detections.labels)
    ones = np.ones((1, detections.num_frames))
    for iou in (0.5, 0.75, 0.42):
        expected = detections.average_precision(iou, classes=labels)
        found = detections.resampled_average_precision(ones, iou=iou, classes=labels)[0]
        assert found.tolist() == [expected[label] for label in labels]
    frames = detections.frame_ids.tolist()[:15]
    mask = np.isin(detections.frame_ids, frames).astype(float)[None, :]
    expected = detections.average_precision(0.5, classes=labels, frames=frames)
    found = detections.resampled_average_precision(mask, classes=labels)[0]
    assert found.tolist() == [expected[label] for label in labels]

    rng = np.random.default_rng(0)
    truth = rng.integers(0, 4, 200)
    scores = rng.dirichlet(np.ones(4), 200)
    scores[np.arange(200), truth] += rng.uniform(0, 0.6, 200)
    scores = np.round(scores / scores.sum(axis=1, keepdims=True), 2)  # ties
    for evaluation in (
        shoal.evaluate_classifications(truth, scores=scores, labels=[0, 1, 2, 3]),
        shoal.evaluate_classifications(
            truth, scores.argmax(axis=1), confidences=scores.max(axis=1), labels=[0, 1, 2, 3]
        ),
    ):
        expected = evaluation.average_precision()
        found = evaluation.resampled_average_precision(np.ones((1, 200)))[0]
        assert found.tolist() == [expected[label] for label in evaluation.labels]
    with pytest.raises(InputError, match="one column per frame"):
        detections.resampled_average_precision(np.ones((1, 3)))
    with pytest.raises(InputError, match="non-negative"):
        detections.resampled_average_precision(-ones)


def test_resampled_classification_ap_is_sklearns_weighted_ap() -> None:
    """Classification AP of a replicate equals scikit-learn's average_precision_score
    with the draw counts as sample weights (ties merged as there)."""
    from sklearn.metrics import average_precision_score

    rng = np.random.default_rng(1)
    truth = rng.integers(0, 3, 150)
    scores = np.round(rng.dirichlet(np.ones(3), 150), 2)
    evaluation = shoal.evaluate_classifications(truth, scores=scores, labels=[0, 1, 2])
    weights = rng.multinomial(150, np.full(150, 1 / 150), size=40).astype(float)
    found = evaluation.resampled_average_precision(weights)
    for r in range(40):
        for c in range(3):
            expected = average_precision_score(truth == c, scores[:, c], sample_weight=weights[r])
            assert found[r, c] == pytest.approx(expected, abs=1e-12)


def test_seeded_and_reproducible_and_per_segment() -> None:
    gt, first, second = _scene(3, frames=60)
    base, other = shoal.evaluate_detections(gt, first), shoal.evaluate_detections(gt, second)
    one = paired_bootstrap(base, other, conf=0.3, resamples=1000, seed=5)
    assert paired_bootstrap(base, other, conf=0.3, resamples=1000, seed=5) == one
    assert paired_bootstrap(base, other, conf=0.3, resamples=1000, seed=6) != one
    # A segment: only its frames are resampled, and its point values are its own.
    frames = base.frame_ids.tolist()[:20]
    part = paired_bootstrap(base, other, conf=0.3, frames=frames, resamples=300, seed=5)
    assert part.frame_count == 20
    expected = compare(base, other, conf=0.3, frames=frames).other.averages()[MICRO]["recall"]
    assert part.interval(MICRO, "recall").other == pytest.approx(expected)
    # Identical sets: every delta and every interval is exactly 0, nothing significant.
    same = paired_bootstrap(base, base, conf=0.3, resamples=100, seed=1)
    assert all(i.low == 0.0 and i.high == 0.0 for i in same.intervals)
    assert same.significant() == []
    with pytest.raises(InputError, match="resamples"):
        paired_bootstrap(base, other, conf=0.3, resamples=0)
    with pytest.raises(InputError, match="seed"):
        paired_bootstrap(base, other, conf=0.3, seed=-1)
    # No frames (a query that matches none): nothing changes, nothing is significant.
    empty = paired_bootstrap(base, other, conf=0.3, frames=[], resamples=50)
    assert empty.frame_count == 0 and empty.significant() == []
    assert all(i.delta == 0.0 for i in empty.intervals)


@pytest.mark.slow
def test_classification_intervals_cover_the_true_delta() -> None:
    """Simulation: frames drawn from a known population where model A is right with
    probability 0.70 and model B with 0.75 (correlated through a shared difficulty);
    the 95% interval of the accuracy delta (= micro precision for one label per frame)
    should cover 0.05 in about 95% of 200 trials."""
    rng = np.random.default_rng(2026)
    trials, frames, covered, covered_macro = 200, 300, 0, 0
    labels = np.array(["a", "b", "c"])
    start = time.perf_counter()
    for trial in range(trials):
        truth = rng.integers(0, 3, frames)
        hard = rng.uniform(size=frames)
        right_a = hard < 0.70
        right_b = hard < 0.75  # B is right wherever A is, and on 5% more
        swap = rng.uniform(size=frames) < 0.3  # decorrelate part of the frames
        right_b = np.where(swap, rng.uniform(size=frames) < 0.75, right_b)
        wrong = (truth + rng.integers(1, 3, frames)) % 3
        pred_a = np.where(right_a, truth, wrong)
        pred_b = np.where(right_b, truth, wrong)
        ids = [str(i) for i in range(frames)]
        ev_a = shoal.evaluate_classifications(labels[truth], labels[pred_a], frame_ids=ids)
        ev_b = shoal.evaluate_classifications(labels[truth], labels[pred_b], frame_ids=ids)
        found = paired_bootstrap(ev_a, ev_b, conf=0.0, resamples=1000, seed=trial)
        interval = found.interval(MICRO, "precision")
        covered += interval.low <= 0.05 <= interval.high
        # Right or wrong does not depend on the class: each class's recall rises by
        # 0.05 too, and so does their mean.
        macro = found.interval(MACRO, "recall")
        covered_macro += macro.low <= 0.05 <= macro.high
    assert 0.90 <= covered_macro / trials <= 0.99, covered_macro / trials
    rate = covered / trials
    # Binomial(200, 0.95) lies in [0.91, 0.985] with probability > 0.99; the percentile
    # interval runs slightly narrow at n = 300.
    assert 0.90 <= rate <= 0.99, rate
    assert time.perf_counter() - start < 30


def test_replicate_sums_at_scale() -> None:
    """1,000 resamples of 5,000 frames and 80 classes: each replicate's sums are those of
    a 5,000-frame draw (benchmarks/bootstrap.py times this at M)."""
    from shoal.analysis.bootstrap import _replicates

    rng = np.random.default_rng(0)
    counts = rng.poisson(0.05, size=(5000, 6 * 80)).astype(np.float32)
    sums = _replicates(counts, 1000, np.random.default_rng(1))
    assert sums.shape == (1000, 480)
    # Every replicate draws 5,000 frames: the sums average the full counts.
    np.testing.assert_allclose(sums.mean(axis=0), counts.sum(axis=0), rtol=0.05, atol=5)
