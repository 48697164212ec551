"""Per-class IoU thresholds (``iou={class: IoU}``) in every query that takes an IoU.

Matching never crosses classes, so a class's numbers at its own IoU must equal the
evaluation of that class alone at that IoU; the oracle here evaluates each class's
rows on their own. Class confusions pair a prediction with another class's ground
truth at the ground truth's class IoU, checked against a plain-Python confusion pass.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from shoal.engine.detection.annotations import GroundTruth, Predictions
from shoal.engine.detection.evaluator import DetectionEvaluation, evaluate
from shoal.engine.detection.kernels import pair_ious
from shoal.engine.metrics import CLASS_CONFUSION
from shoal.engine.thresholds import DEFAULT_CLASS_IOU
from shoal.errors import InputError

from coco_oracle import random_coco, to_columns
from conftest import run_cli


def one_class(gt: GroundTruth, dt: Predictions, c: int) -> tuple[GroundTruth, Predictions]:
    """The rows of class ``c`` alone (every frame and class kept)."""
    g, d = np.flatnonzero(gt.label == c), np.flatnonzero(dt.label == c)
    return (
        GroundTruth(
            frame_ids=gt.frame_ids, classes=gt.classes, frame=gt.frame[g], label=gt.label[g],
            box=gt.box[g], area=gt.area[g], iscrowd=gt.iscrowd[g], ignore=gt.ignore[g],
            ids=gt.ids[g],
        ),
        Predictions(
            frame=dt.frame[d], label=dt.label[d], box=dt.box[d], score=dt.score[d],
            ids=dt.ids[d],
        ),
    )  # fmt: skip


def sample(seed: int) -> tuple[GroundTruth, Predictions, dict[str, float]]:
    rng = np.random.default_rng(seed)
    gt_json, dt_json = random_coco(rng, num_images=25, num_classes=5)
    gt, dt = to_columns(gt_json, dt_json)
    # On the grid, off it, below it; one class left to the default.
    choices = [0.5, 0.75, 0.62, 0.3, 0.12, 0.9]
    names = gt.classes.names.tolist()
    ious = {name: float(rng.choice(choices)) for name in names[:-1]}
    return gt, dt, ious


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("protocol", ["coco", "voc"])
def test_each_class_equals_that_class_alone_at_its_iou(seed: int, protocol: str) -> None:
    gt, dt, ious = sample(seed)
    ev = evaluate(gt, dt, protocol=protocol)  # type: ignore[arg-type]
    conf = 0.3 if seed % 2 else {gt.classes.names[0]: 0.6}
    report = ev.report(conf, ious, classes=list(gt.classes.names))
    assert report.iou == {
        name: ious.get(name, DEFAULT_CLASS_IOU) for name in gt.classes.names.tolist()
    }
    ap = ev.average_precision(ious, classes=list(gt.classes.names))
    curves = ev.pr_curves(iou=ious, classes=list(gt.classes.names))
    best = ev.best_thresholds(iou=ious, classes=list(gt.classes.names))
    outcomes = ev.outcomes(conf, ious)
    for c, name in enumerate(gt.classes.names.tolist()):
        iou = ious.get(name, DEFAULT_CLASS_IOU)
        alone = evaluate(*one_class(gt, dt, c), protocol=protocol)  # type: ignore[arg-type]
        expected = alone.report(conf, iou, classes=[name])
        for field in ("tp", "fp", "fn", "ap"):
            assert getattr(report, field)[c] == getattr(expected, field)[0], (name, field)
        assert ap[name] == alone.average_precision(iou, classes=[name])[name]
        curve = alone.pr_curve(name, iou=iou)
        np.testing.assert_array_equal(curves[name].precision, curve.precision)
        np.testing.assert_array_equal(curves[name].recall, curve.recall)
        theirs_best = alone.best_thresholds(iou=iou, classes=[name])[name]
        assert best[name].to_dict() == theirs_best.to_dict()
        # Outcomes: the same rows and outcomes; reasons too but for class confusions
        # (a class alone has no other class to be confused with).
        mine = outcomes.label_index == c
        theirs = alone.outcomes(conf, iou, classes=[name])
        np.testing.assert_array_equal(outcomes.id[mine], theirs.id)
        np.testing.assert_array_equal(outcomes.outcome_code[mine], theirs.outcome_code)
        plain = outcomes.reason_code[mine] != CLASS_CONFUSION
        np.testing.assert_array_equal(outcomes.reason_code[mine][plain], theirs.reason_code[plain])


def confusion_oracle(ev: DetectionEvaluation, conf: float, class_iou: np.ndarray) -> np.ndarray:
    """The confusion pass written plainly: each false positive (by descending score,
    frame order, row) takes the missed counted ground truth of another class in its
    frame with the highest IoU (then the lowest row) among those reaching the ground
    truth's class IoU. Returns the (truth class, predicted class) counts."""
    gt, dt = ev.ground_truth, ev.predictions
    outcomes = ev.outcomes(conf, dict(zip(ev.labels, class_iou.tolist(), strict=True)))
    kind = outcomes.kind_code
    row_of_dt = {int(i): r for r, i in enumerate(dt.ids.tolist())}
    row_of_gt = {int(i): r for r, i in enumerate(gt.ids.tolist())}
    fps = [
        row_of_dt[int(i)]
        for i, k, o in zip(outcomes.id, kind, outcomes.outcome_code, strict=True)
        if k == 0 and o == 1
    ]
    missed = {
        row_of_gt[int(i)]
        for i, k, o in zip(outcomes.id, kind, outcomes.outcome_code, strict=True)
        if k == 1 and o == 2
    }
    frame_rank = np.argsort(np.argsort(ev.frame_ids.astype(np.int64), kind="stable"))
    fps.sort(key=lambda d: (-dt.score[d], frame_rank[dt.frame[d]], d))
    counted = ~(gt.iscrowd | gt.ignore)
    matrix = np.zeros((len(ev.labels), len(ev.labels)), np.int64)
    for d in fps:
        best, best_iou = -1, -1.0
        for g in sorted(missed):
            if gt.frame[g] != dt.frame[d] or gt.label[g] == dt.label[d] or not counted[g]:
                continue
            value = float(pair_ious(dt.box[[d]], gt.box[[g]], np.zeros(1, bool), False)[0])
            if value > 0 and value >= class_iou[gt.label[g]] and value > best_iou:
                best, best_iou = g, value
        if best >= 0:
            missed.discard(best)
            matrix[gt.label[best], dt.label[d]] += 1
    return matrix


@pytest.mark.parametrize("seed", range(5))
def test_confusions_at_the_ground_truths_class_iou(seed: int) -> None:
    gt, dt, ious = sample(seed + 20)
    ev = evaluate(gt, dt)
    class_iou = np.array([ious.get(n, DEFAULT_CLASS_IOU) for n in ev.labels])
    matrix = ev.confusion_matrix(0.2, ious, classes=list(ev.labels))
    size = len(ev.labels)
    off = matrix.matrix[:size, :size].copy()
    np.fill_diagonal(off, 0)
    np.testing.assert_array_equal(off, confusion_oracle(ev, 0.2, class_iou))
    report = ev.report(0.2, ious, classes=list(ev.labels))
    np.testing.assert_array_equal(np.diag(matrix.matrix[:size, :size]), report.tp)
    # Rows sum to each class's counted ground truth, whatever the IoUs.
    counted = ~(gt.iscrowd | gt.ignore)
    np.testing.assert_array_equal(
        matrix.matrix[:size].sum(axis=1), np.bincount(gt.label[counted], minlength=size)
    )


def test_one_iou_for_every_class_equals_the_number() -> None:
    gt, dt, _ = sample(3)
    ev = evaluate(gt, dt)
    same = {name: 0.62 for name in ev.labels}
    a, b = ev.report(0.3, same), ev.report(0.3, 0.62)
    np.testing.assert_array_equal(a.tp, b.tp)
    np.testing.assert_array_equal(a.fp, b.fp)
    np.testing.assert_array_equal(
        ev.confusion_matrix(0.3, same).matrix, ev.confusion_matrix(0.3, 0.62).matrix
    )


def test_class_ids_work_and_bad_values_are_named() -> None:
    gt, dt, ious = sample(4)
    ev = evaluate(gt, dt)
    by_id = {int(gt.classes.ids[gt.classes.resolve([n])[0]]): v for n, v in ious.items()}
    np.testing.assert_array_equal(ev.report(0.3, by_id).tp, ev.report(0.3, ious).tp)
    with pytest.raises(InputError, match="not in"):
        ev.report(0.3, {ev.labels[0]: 1.5})
    with pytest.raises(InputError, match="unknown class"):
        ev.report(0.3, {"no such class": 0.5})
    with pytest.raises(InputError, match="not a number"):
        ev.report(0.3, {ev.labels[0]: "high"})  # type: ignore[dict-item]


def test_cli_class_iou(tmp_path: Path) -> None:
    gt_json, dt_json = random_coco(np.random.default_rng(5), num_images=12, num_classes=3)
    (tmp_path / "gt.json").write_text(json.dumps(gt_json))
    (tmp_path / "dt.json").write_text(json.dumps(dt_json))
    gt, dt = to_columns(gt_json, dt_json)
    names = gt.classes.names.tolist()
    out = tmp_path / "out.json"
    result = run_cli(
        "eval", str(tmp_path / "gt.json"), str(tmp_path / "dt.json"), "--conf", "0.3",
        "--iou", "0.6", "--class-iou", f"{names[0]}=0.3", "--json", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"IoU >= 0.6 ({names[0]} 0.3)" in result.stdout
    written = json.loads(out.read_text())
    ious = {name: 0.6 for name in names} | {names[0]: 0.3}
    assert written["settings"]["iou"] == ious
    expected = evaluate(gt, dt).report(0.3, ious).to_dict()
    assert written["report"]["classes"] == expected["classes"]
    bad = run_cli(
        "eval", str(tmp_path / "gt.json"), str(tmp_path / "dt.json"), "--class-iou", "nope=0.3"
    )
    assert bad.returncode != 0 and "--class-iou names 'nope'" in bad.stderr
