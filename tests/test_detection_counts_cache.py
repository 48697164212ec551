"""The counts kept between queries: every answer equals a fresh evaluation's, whatever
came before it; a slider query (report + matrix) counts the predictions once; the
kernel's second set of thresholds counts as a pass of its own would."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from shoal.engine.detection import evaluator as detection
from shoal.engine.detection import kernels
from shoal.engine.detection.evaluator import evaluate
from shoal.store._metrics import compute_metrics

from coco_oracle import random_coco, to_columns


def _fields(answer):
    """An answer's fields as plain values, arrays as lists of their values' reprs (for
    ==, a missing value's NaN equal to itself)."""
    return {
        f.name: [repr(x) for x in np.asarray(v).ravel().tolist()] + [v.shape]
        if isinstance(v, np.ndarray)
        else v
        for f in dataclasses.fields(answer)
        for v in [getattr(answer, f.name)]
    }


def _query(ev, kind, conf, iou, frames):
    return _fields(getattr(ev, kind)(conf, iou, frames=frames))


def test_every_answer_equals_a_fresh_evaluations_after_any_queries(monkeypatch):
    # Few kept, so that entries are dropped and found again along the way.
    monkeypatch.setattr(detection, "KEPT_COUNTS", 1)
    monkeypatch.setattr(detection, "KEPT_CLASS_COUNTS", 3)
    rng = np.random.default_rng(15)
    gt, dt = random_coco(rng, num_images=10, crowd_rate=0.1)
    columns = to_columns(gt, dt)
    ev = evaluate(*columns, iou_thresholds=[0.3])
    classes = list(ev.labels)
    frames = list(ev.frame_ids[:5])
    confs = [0.0, 0.3, 0.71, {classes[0]: 0.5, classes[1]: 0.2}]
    ious = [0.5, 0.75, 0.3, 0.62, 0.2, {classes[0]: 0.6, classes[2]: 0.4}]
    points = [
        (kind, confs[rng.integers(len(confs))], ious[rng.integers(len(ious))], selection)
        for _ in range(60)
        for kind in [("report", "confusion_matrix", "outcomes")[rng.integers(3)]]
        for selection in [None if rng.random() < 0.8 else frames]
    ]
    # Each point twice in a row too: the second is the one answered from what was kept.
    for kind, conf, iou, selection in points + [p for p in points for _ in range(2)]:
        fresh = evaluate(*columns, iou_thresholds=[0.3])
        assert _query(ev, kind, conf, iou, selection) == _query(fresh, kind, conf, iou, selection)


def test_a_slider_query_counts_the_predictions_once(monkeypatch):
    rng = np.random.default_rng(3)
    gt, dt = random_coco(rng, num_images=8)
    ev = evaluate(*to_columns(gt, dt))
    calls = []
    real = kernels.operating_point_counts

    def counted(*args, **kwargs):
        calls.append(args[9].tolist())  # the per-class confidences
        return real(*args, **kwargs)

    monkeypatch.setattr(kernels, "operating_point_counts", counted)
    include = ["report", "confusion_matrix"]
    first = compute_metrics(ev, 1, include, 0.4, 0.5, None)
    # A new IoU: one pass counts at the confidence and at 0 (which classes the matrix
    # shows, read from a report there).
    assert len(calls) == 1
    for conf in (0.1, 0.65, 0.9):
        calls.clear()
        moved = compute_metrics(ev, 1, include, conf, 0.5, None)
        assert len(calls) == 1
        fresh = evaluate(*to_columns(gt, dt))
        assert moved.to_dict() == compute_metrics(fresh, 1, include, conf, 0.5, None).to_dict()
    calls.clear()
    # Another IoU, then back to one already seen: one pass each.
    compute_metrics(ev, 1, include, 0.3, 0.75, None)
    compute_metrics(ev, 1, include, 0.35, 0.5, None)
    assert len(calls) == 2
    assert first.to_dict() == compute_metrics(ev, 1, include, 0.4, 0.5, None).to_dict()


@pytest.mark.parametrize("kind", ["report", "confusion_matrix"])
def test_kept_counts_cannot_be_changed_through_an_answer(kind):
    rng = np.random.default_rng(4)
    gt, dt = random_coco(rng, num_images=6)
    ev = evaluate(*to_columns(gt, dt))
    answer = getattr(ev, kind)(0.2, 0.5)
    before = _fields(answer)
    for field in dataclasses.fields(answer):
        value = getattr(answer, field.name)
        if isinstance(value, np.ndarray) and value.flags.writeable:
            value[...] = 0
    assert _query(ev, kind, 0.2, 0.5, None) == before


@pytest.fixture
def every_thread():
    """Tiny inputs split across every thread, so that each part's counts are summed."""
    previous = kernels.set_min_work_per_thread(1)
    yield
    kernels.set_min_work_per_thread(previous)


def test_counts_at_a_second_threshold_equal_a_pass_of_their_own(every_thread):
    rng = np.random.default_rng(8)
    gt, dt = random_coco(rng, num_images=12, crowd_rate=0.15)
    ev = evaluate(*to_columns(gt, dt), iou_thresholds=[0.3])
    level = ev._level_for(0.3)
    num = len(ev.classes)
    g, d = ev.ground_truth, ev.predictions
    frames = np.arange(g.num_frames) % 3 > 0
    for selected in (None, frames[d.frame]):
        gt_selected = ev._gt_counted & (True if selected is None else frames[g.frame])
        for first, second in ((0.3, 0.0), (0.0, 0.8), (0.5, 0.5)):
            confs = [np.full(num, first), rng.uniform(0, 1, num) * second]
            args = (num, d.label, d.score, selected, level.det_gt, level.det_ignored, g.label)
            args += (gt_selected, level.gt_det)
            counts, also = kernels.operating_point_counts(*args, confs[0], confs[1])
            alone, none = kernels.operating_point_counts(*args, confs[0])
            other, _ = kernels.operating_point_counts(*args, confs[1])
            assert none is None
            for a, b in zip(counts, alone, strict=True):
                assert np.array_equal(a, b)
            for a, b in zip(also, other[:3], strict=True):
                assert np.array_equal(a, b)
