"""``protocol="labelbox"``: Labelbox's documented matching for model-run metrics.

Labelbox's docs ("Automatic metric calculations"): predictions below the confidence
threshold are discarded; predictions and annotations are greedily matched by
decreasing IoU; a pair whose IoU is above the IoU threshold, with neither side matched
so far, is matched, and is a true positive if the classes agree, else a false
positive; unmatched annotations are false negatives and unmatched predictions false
positives. The oracle below is that rule written plainly, per image, with its own IoU.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from shoal.engine.detection.annotations import GroundTruth, Predictions
from shoal.engine.detection.evaluator import LABELBOX_CONF_GRID, DetectionEvaluation, evaluate
from shoal.engine.detection.similarity import BoxSimilarity
from shoal.errors import InputError, ShoalError

from coco_oracle import random_coco, to_columns
from conftest import run_cli


def box_iou(d: list[float], g: list[float]) -> float:
    """IoU of two (x, y, w, h) boxes (pycocotools' arithmetic)."""
    w = min(d[2] + d[0], g[2] + g[0]) - max(d[0], g[0])
    h = min(d[3] + d[1], g[3] + g[1]) - max(d[1], g[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / (d[2] * d[3] + g[2] * g[3] - inter)


def labelbox_oracle(
    gt: GroundTruth, dt: Predictions, conf: dict[int, float], iou: dict[int, float]
) -> tuple[Counter[Any], Counter[Any], Counter[Any], Counter[Any]]:
    """TP, FP, FN by class index and the cross-class matches by (truth, predicted) class.
    ``conf`` / ``iou`` map class index to threshold; a pair needs the ground truth's
    class's IoU. Crowd and ignored ground truth take no part. Ties of IoU go to the
    higher confidence, then the lower prediction row, then the lower ground-truth row."""
    tp: Counter[Any] = Counter()
    fp: Counter[Any] = Counter()
    fn: Counter[Any] = Counter()
    cross: Counter[Any] = Counter()
    for frame in range(gt.num_frames):
        preds = [
            d
            for d in np.flatnonzero(dt.frame == frame).tolist()
            if dt.score[d] >= conf[int(dt.label[d])]
        ]
        truths = [
            g
            for g in np.flatnonzero(gt.frame == frame).tolist()
            if not gt.iscrowd[g] and not gt.ignore[g]
        ]
        pairs = []
        for d in preds:
            for g in truths:
                value = box_iou(dt.box[d].tolist(), gt.box[g].tolist())
                if value > 0:
                    pairs.append((-value, -float(dt.score[d]), d, g, value))
        pairs.sort()
        taken_dt: set[int] = set()
        taken_gt: set[int] = set()
        for _, _, d, g, value in pairs:
            if d in taken_dt or g in taken_gt or not value > iou[int(gt.label[g])]:
                continue
            taken_dt.add(d)
            taken_gt.add(g)
            if dt.label[d] == gt.label[g]:
                tp[int(dt.label[d])] += 1
            else:
                fp[int(dt.label[d])] += 1
                fn[int(gt.label[g])] += 1
                cross[(int(gt.label[g]), int(dt.label[d]))] += 1
        for d in preds:
            if d not in taken_dt:
                fp[int(dt.label[d])] += 1
        for g in truths:
            if g not in taken_gt:
                fn[int(gt.label[g])] += 1
    return tp, fp, fn, cross


def check(ev: DetectionEvaluation, conf: Any, iou: Any) -> None:
    gt, dt = ev.ground_truth, ev.predictions
    names = list(ev.labels)
    index = {n: i for i, n in enumerate(names)}

    def per_class(value: Any) -> dict[int, float]:
        if isinstance(value, dict):
            return {i: float(value.get(n, 0.5 if value is iou else 0.0)) for n, i in index.items()}
        return dict.fromkeys(range(len(names)), float(value))

    tp, fp, fn, cross = labelbox_oracle(gt, dt, per_class(conf), per_class(iou))
    report = ev.report(conf, iou, classes=names)
    assert report.tp.tolist() == [tp[i] for i in range(len(names))]
    assert report.fp.tolist() == [fp[i] for i in range(len(names))]
    assert report.fn.tolist() == [fn[i] for i in range(len(names))]
    matrix = ev.confusion_matrix(conf, iou, classes=names).matrix
    size = len(names)
    for t in range(size):
        for p in range(size):
            expected = tp[t] if t == p else cross[(t, p)]
            assert matrix[t, p] == expected, (t, p)
    # Background: truths matched to nothing, predictions matched to nothing.
    counted = ~(gt.iscrowd | gt.ignore)
    np.testing.assert_array_equal(
        matrix[:size].sum(axis=1), np.bincount(gt.label[counted], minlength=size)
    )


@pytest.mark.parametrize("seed", range(8))
def test_random_data_equals_the_documented_rule(seed: int) -> None:
    gt_json, dt_json = random_coco(np.random.default_rng(seed + 300), num_images=14, num_classes=4)
    gt, dt = to_columns(gt_json, dt_json)
    ev = evaluate(gt, dt, protocol="labelbox")
    for conf in (0.0, 0.3, 0.75):
        for iou in (0.0, 0.1, 0.5, 0.62, 0.9):
            check(ev, conf, iou)
    check(ev, {ev.labels[0]: 0.6, ev.labels[1]: 0.2}, {ev.labels[0]: 0.3, ev.labels[2]: 0.8})


def test_the_rule_differs_from_cocos_where_it_should() -> None:
    # One image: a cat box, a dog prediction on it (IoU 0.9, score 0.9) and a cat
    # prediction on it (IoU 0.6, score 0.8). COCO matches within a class: the cat
    # prediction is a true positive. Labelbox matches the best IoU first whatever the
    # classes: the dog prediction takes the cat, a confusion; the cat prediction is left.
    gt = GroundTruth.from_arrays(
        frame_ids=[1], classes=["cat", "dog"], frames=[1], labels=[0], boxes=[[0, 0, 100, 100]],
        labels_are_indices=True,
    )  # fmt: skip
    dt = Predictions.from_arrays(
        gt, frames=[1, 1], labels=[1, 0], boxes=[[0, 0, 90, 100], [0, 0, 60, 100]],
        scores=[0.9, 0.8], labels_are_indices=True,
    )  # fmt: skip
    coco = evaluate(gt, dt).report(0.5, 0.5)
    labelbox = evaluate(gt, dt, protocol="labelbox").report(0.5, 0.5)
    assert dict(zip(coco.labels, coco.tp.tolist(), strict=True)) == {"cat": 1, "dog": 0}
    assert dict(zip(labelbox.labels, labelbox.tp.tolist(), strict=True)) == {"cat": 0, "dog": 0}
    assert dict(zip(labelbox.labels, labelbox.fp.tolist(), strict=True)) == {"cat": 1, "dog": 1}
    assert dict(zip(labelbox.labels, labelbox.fn.tolist(), strict=True)) == {"cat": 1, "dog": 0}
    matrix = evaluate(gt, dt, protocol="labelbox").confusion_matrix(0.5, 0.5)
    assert matrix.labels == ("cat", "dog", "background")
    assert matrix.matrix.tolist() == [[0, 1, 0], [0, 0, 0], [1, 0, 0]]
    # Discarding the dog prediction (conf 0.85) frees the cat for the cat prediction.
    above = evaluate(gt, dt, protocol="labelbox").report(0.85, 0.5)
    assert above.tp.tolist() == [0, 0]  # the cat prediction (0.8) is discarded too
    low = evaluate(gt, dt, protocol="labelbox").report({"dog": 0.95}, 0.5)
    assert dict(zip(low.labels, low.tp.tolist(), strict=True)) == {"cat": 1, "dog": 0}


def test_similarity_frames_and_merge_follow_the_rule() -> None:
    gt_json, dt_json = random_coco(np.random.default_rng(9), num_images=16, num_classes=4)
    gt, dt = to_columns(gt_json, dt_json)
    box = evaluate(gt, dt, protocol="labelbox")
    generic = evaluate(gt, dt, protocol="labelbox", similarity=BoxSimilarity(gt, dt))
    frames = gt.frame_ids[::2].tolist()
    for conf, iou in ((0.2, 0.5), (0.5, 0.3)):
        a, b = box.report(conf, iou), generic.report(conf, iou)
        assert a.tp.tolist() == b.tp.tolist() and a.fp.tolist() == b.fp.tolist()
        np.testing.assert_array_equal(
            box.confusion_matrix(conf, iou).matrix, generic.confusion_matrix(conf, iou).matrix
        )
        # A frame selection counts those frames alone: the sum of two halves is the whole.
        rest = gt.frame_ids[1::2].tolist()
        one, two = box.report(conf, iou, frames=frames), box.report(conf, iou, frames=rest)
        whole = box.report(conf, iou)
        totals: Counter[str] = Counter()
        for part in (one, two):
            totals.update(dict(zip(part.labels, part.tp.tolist(), strict=True)))
        assert {k: v for k, v in totals.items() if v} == {
            k: v for k, v in zip(whole.labels, whole.tp.tolist(), strict=True) if v
        }


def test_other_queries_are_refused_clearly() -> None:
    gt_json, dt_json = random_coco(np.random.default_rng(2), num_images=5)
    gt, dt = to_columns(gt_json, dt_json)
    ev = evaluate(gt, dt, protocol="labelbox")
    assert not ev.has_coco_summary
    with pytest.raises(InputError, match="protocol='labelbox'"):
        ev.average_precision()
    with pytest.raises(InputError, match="protocol='labelbox'"):
        ev.resampled_average_precision(np.ones((1, ev.num_frames)))
    with pytest.raises(InputError, match="not in"):
        ev.report(0.5, 1.5)
    with pytest.raises(ShoalError, match="protocol='coco'"):
        ev.coco_summary()
    saved = DetectionEvaluation.from_kept_state(gt, dt, ev.kept_state())
    assert saved.protocol == "labelbox"
    assert saved.report(0.3, 0.4).tp.tolist() == ev.report(0.3, 0.4).tp.tolist()


def test_cli_protocol_labelbox(tmp_path: Path) -> None:
    gt_json, dt_json = random_coco(np.random.default_rng(77), num_images=12, num_classes=3)
    (tmp_path / "gt.json").write_text(json.dumps(gt_json))
    (tmp_path / "dt.json").write_text(json.dumps(dt_json))
    out = tmp_path / "out.json"
    result = run_cli(
        "eval", str(tmp_path / "gt.json"), str(tmp_path / "dt.json"), "--protocol", "labelbox",
        "--conf", "0.4", "--iou", "0", "--json", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Labelbox matching" in result.stdout and "IoU > 0" in result.stdout
    written = json.loads(out.read_text())
    assert "coco" not in written and "best_thresholds" not in written
    gt, dt = to_columns(gt_json, dt_json)
    names = list(gt.classes.names)
    tp, fp, fn, _ = labelbox_oracle(
        gt, dt, dict.fromkeys(range(len(names)), 0.4), dict.fromkeys(range(len(names)), 0.0)
    )
    rows = {row["label"]: row for row in written["report"]["classes"]}
    for i, name in enumerate(names):
        if name in rows:
            assert (rows[name]["tp"], rows[name]["fp"], rows[name]["fn"]) == (tp[i], fp[i], fn[i])
        else:
            assert tp[i] == fp[i] == fn[i] == 0


def outcome_oracle(
    gt: GroundTruth, dt: Predictions, conf: float, iou: float
) -> tuple[dict[int, tuple[int, int, int]], dict[int, tuple[int, int, int]]]:
    """Each kept prediction's and counted ground truth's (outcome, reason, partner row)
    under the documented rule; partners only for matched pairs (-1 otherwise)."""
    tp, fp, fn, miss = 0, 1, 2, -1
    dt_out: dict[int, tuple[int, int, int]] = {}
    gt_out: dict[int, tuple[int, int, int]] = {}
    for frame in range(gt.num_frames):
        preds = [d for d in np.flatnonzero(dt.frame == frame).tolist() if dt.score[d] >= conf]
        truths = [
            g
            for g in np.flatnonzero(gt.frame == frame).tolist()
            if not gt.iscrowd[g] and not gt.ignore[g]
        ]
        value = {
            (d, g): box_iou(dt.box[d].tolist(), gt.box[g].tolist()) for d in preds for g in truths
        }
        pairs = sorted((-v, -float(dt.score[d]), d, g) for (d, g), v in value.items() if v > 0)
        match_dt: dict[int, int] = {}
        match_gt: dict[int, int] = {}
        for negative, _, d, g in pairs:
            if d not in match_dt and g not in match_gt and -negative > iou:
                match_dt[d], match_gt[g] = g, d
        for d in preds:
            same_class = [value[d, g] for g in truths if gt.label[g] == dt.label[d]]
            best = max(same_class, default=0.0)
            if d in match_dt:
                g = match_dt[d]
                agree = gt.label[g] == dt.label[d]
                dt_out[d] = (tp if agree else fp, 0 if agree else 1, g)
            else:
                reason = 2 if best > iou else 3 if best > 0 else 4
                dt_out[d] = (fp, reason, miss)
        for g in truths:
            if g in match_gt:
                d = match_gt[g]
                agree = gt.label[g] == dt.label[d]
                gt_out[g] = (tp if agree else fn, 0 if agree else 1, d)
            else:
                overlapped = any(value[d, g] > 0 for d in preds if dt.label[d] == gt.label[g])
                gt_out[g] = (fn, 3 if overlapped else 5, miss)
    return dt_out, gt_out


@pytest.mark.parametrize("seed", range(5))
def test_outcomes_follow_the_rule(seed: int) -> None:
    gt_json, dt_json = random_coco(np.random.default_rng(seed + 500), num_images=14, num_classes=4)
    gt, dt = to_columns(gt_json, dt_json)
    ev = evaluate(gt, dt, protocol="labelbox")
    dt_row = {int(i): r for r, i in enumerate(dt.ids.tolist())}
    gt_row = {int(i): r for r, i in enumerate(gt.ids.tolist())}
    for conf, iou in ((0.0, 0.5), (0.4, 0.2), (0.7, 0.0)):
        dt_out, gt_out = outcome_oracle(gt, dt, conf, iou)
        outcomes = ev.outcomes(conf, iou)
        seen_dt, seen_gt = {}, {}
        for kind, ident, code, reason, partner in zip(
            outcomes.kind_code.tolist(), outcomes.id.tolist(), outcomes.outcome_code.tolist(),
            outcomes.reason_code.tolist(), outcomes.partner_id.tolist(), strict=True,
        ):  # fmt: skip
            if kind == 0:
                row = dt_row[ident]
                expected = dt_out[row]
                other = gt_row.get(partner, -1) if expected[2] >= 0 else -1
                seen_dt[row] = (code, reason, other)
            else:
                row = gt_row[ident]
                expected = gt_out[row]
                other = dt_row.get(partner, -1) if expected[2] >= 0 else -1
                seen_gt[row] = (code, reason, other)
        assert seen_dt == dt_out
        assert seen_gt == gt_out
        # Counts agree with the report.
        report = ev.report(conf, iou, classes=list(ev.labels))
        assert outcomes.counts()["TP"] // 2 == int(report.tp.sum())


@pytest.mark.parametrize("seed", range(3))
def test_pr_curves_are_the_rule_at_each_confidence_of_the_grid(seed: int) -> None:
    gt_json, dt_json = random_coco(np.random.default_rng(seed + 700), num_images=10, num_classes=3)
    gt, dt = to_columns(gt_json, dt_json)
    ev = evaluate(gt, dt, protocol="labelbox")
    curves = ev.pr_curves(iou=0.4)
    np.testing.assert_array_equal(curves["all"].thresholds, LABELBOX_CONF_GRID[::-1])
    names = list(ev.labels)
    for k in (0, 25, 60, 100):
        conf = float(curves["all"].thresholds[k])
        classes = range(len(names))
        tp, fp, fn, _ = labelbox_oracle(
            gt, dt, dict.fromkeys(classes, conf), dict.fromkeys(classes, 0.4)
        )
        for c, name in enumerate(names):
            if name not in curves:
                continue
            found, predicted, support = tp[c], tp[c] + fp[c], tp[c] + fn[c]
            assert curves[name].precision[k] == (found / predicted if predicted else 0.0)
            assert curves[name].recall[k] == (found / support if support else 0.0)
    best = ev.best_thresholds(iou=0.4)
    for name, choice in best.items():
        assert choice.f1_score == float(np.max(curves[name].f1_score))
