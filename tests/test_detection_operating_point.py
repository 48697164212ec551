"""Operating-point queries (report, confusion matrix, outcomes, PR curves) against an
independent brute-force matcher, their mutual consistency, segments and merging."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest

from shoal.engine.detection.evaluator import evaluate
from shoal.errors import InputError

from coco_oracle import pycocotools_eval, random_coco, to_columns


def brute_force(gt, dt, conf, t):
    """Greedy COCO matching at (conf, t) written plainly, matching only predictions at
    or above ``conf``; then the class-agnostic confusion pass on what is left."""
    classes = sorted(c["id"] for c in gt["categories"])
    conf_of = conf if isinstance(conf, dict) else dict.fromkeys(classes, conf)
    image_rank = {img: r for r, img in enumerate(sorted(i["id"] for i in gt["images"]))}

    def iou(d, g, crowd):
        dx, dy, dw, dh = d
        gx, gy, gw, gh = g
        w = min(dw + dx, gw + gx) - max(dx, gx)
        h = min(dh + dy, gh + gy) - max(dy, gy)
        if w <= 0 or h <= 0:
            return 0.0
        inter = w * h
        return inter / (dw * dh if crowd else dw * dh + gw * gh - inter)

    tp = dict.fromkeys(classes, 0)
    fp = dict.fromkeys(classes, 0)
    fn = dict.fromkeys(classes, 0)
    leftover_dt, leftover_gt = [], set()
    limit = min(t, 1 - 1e-10)
    for image in sorted(image_rank):
        for c in classes:
            gts = [
                (j, a)
                for j, a in enumerate(gt["annotations"])
                if a["image_id"] == image and a["category_id"] == c
            ]
            gts.sort(key=lambda ja: ja[1]["iscrowd"])  # counted first, stable
            dts = [
                (i, d)
                for i, d in enumerate(dt)
                if d["image_id"] == image and d["category_id"] == c and d["score"] >= conf_of[c]
            ]
            dts.sort(key=lambda idd: -idd[1]["score"])
            taken = set()
            for i, d in dts:
                best, best_iou = None, limit
                for j, a in gts:
                    if j in taken and not a["iscrowd"]:
                        continue
                    if best is not None and not best[1]["iscrowd"] and a["iscrowd"]:
                        break
                    v = iou(d["bbox"], a["bbox"], a["iscrowd"])
                    if v < best_iou:
                        continue
                    best, best_iou = (j, a), v
                if best is None:
                    fp[c] += 1
                    leftover_dt.append(i)
                else:
                    taken.add(best[0])
                    if not best[1]["iscrowd"]:
                        tp[c] += 1
            for j, a in gts:
                if not a["iscrowd"] and j not in taken:
                    fn[c] += 1
                    leftover_gt.add(j)
    # Confusions: leftover FPs by descending score (image order, file order on ties).
    confusions = {}
    leftover_dt.sort(key=lambda i: (-dt[i]["score"], image_rank[dt[i]["image_id"]], i))
    for i in leftover_dt:
        d = dt[i]
        options = [
            (iou(d["bbox"], gt["annotations"][j]["bbox"], False), j)
            for j in leftover_gt
            if gt["annotations"][j]["image_id"] == d["image_id"]
            and gt["annotations"][j]["category_id"] != d["category_id"]
        ]
        options = [(v, j) for v, j in options if v >= limit and v > 0]
        if options:
            v, j = max(options, key=lambda vj: (vj[0], -vj[1]))
            leftover_gt.remove(j)
            key = (gt["annotations"][j]["category_id"], d["category_id"])
            confusions[key] = confusions.get(key, 0) + 1
    return tp, fp, fn, confusions


def dataset(seed, **kwargs):
    rng = np.random.default_rng(seed)
    gt, dt = random_coco(rng, num_images=int(rng.integers(2, 12)), **kwargs)
    return gt, dt, evaluate(*to_columns(gt, dt), iou_thresholds=[0.1, 0.3])


@pytest.mark.parametrize("seed", range(25))
def test_report_and_matrix_equal_brute_force(seed):
    gt, dt, ev = dataset(seed)
    rng = np.random.default_rng(1000 + seed)
    ids = {c["name"]: c["id"] for c in gt["categories"]}
    for _ in range(3):
        t = float(rng.choice(ev.iou_thresholds))
        if rng.random() < 0.5:
            conf = float(rng.choice([0.0, 0.25, 0.5, round(rng.random(), 3)]))
            conf_by_id = conf
        else:
            conf = {name: round(float(rng.random()), 2) for name in ids}
            conf_by_id = {ids[n]: v for n, v in conf.items()}
        tp, fp, fn, confusions = brute_force(gt, dt, conf_by_id, t)
        all_names = list(ids)
        report = ev.report(conf, t, classes=all_names)
        matrix = ev.confusion_matrix(conf, t, classes=all_names)
        for k, name in enumerate(all_names):
            c = ids[name]
            assert (report.tp[k], report.fp[k], report.fn[k]) == (tp[c], fp[c], fn[c]), name
        for (truth, predicted), count in confusions.items():
            names = {v: k for k, v in ids.items()}
            assert matrix.cell(names[truth], names[predicted]) == count
        off = matrix.matrix[:-1, :-1].copy()
        np.fill_diagonal(off, 0)
        assert off.sum() == sum(confusions.values())


@pytest.mark.parametrize("seed", range(15))
def test_report_and_matrix_never_disagree(seed):
    _, _, ev = dataset(seed)
    for conf in (0.0, 0.3, 0.7):
        for t in (0.1, 0.5, 0.75):
            report = ev.report(conf, t)
            matrix = ev.confusion_matrix(conf, t)
            assert matrix.labels[:-1] == report.labels
            m = matrix.matrix
            np.testing.assert_array_equal(np.diag(m)[:-1], report.tp)
            np.testing.assert_array_equal(m[:-1].sum(axis=1), report.support)
            np.testing.assert_array_equal(m[:, :-1].sum(axis=0), report.tp + report.fp)
            assert m[-1, -1] == 0
            assert (m >= 0).all()
            outcomes = ev.outcomes(conf, t)
            counts = outcomes.counts()
            preds = outcomes.kind == "prediction"
            assert int((preds & (outcomes.outcome == "TP")).sum()) == report.tp.sum()
            assert counts.get("FP", 0) == report.fp.sum()
            assert counts.get("FN", 0) == report.fn.sum()
            off = m[:-1, :-1].sum() - np.trace(m[:-1, :-1])
            assert counts.get("FP/class_confusion", 0) == off == counts.get("FN/class_confusion", 0)
            # Every TP prediction's IoU clears the threshold; every duplicate's partner was taken.
            tp_rows = preds & (outcomes.outcome == "TP")
            assert (outcomes.iou[tp_rows] >= min(t, 1 - 1e-10)).all()
            dup = outcomes.reason == "duplicate"
            assert (outcomes.iou[dup] >= min(t, 1 - 1e-10)).all()
            loc = preds & (outcomes.reason == "localization")
            assert ((outcomes.iou[loc] > 0) & (outcomes.iou[loc] < t)).all()
            assert (outcomes.partner_id[outcomes.reason == "background"] == -1).all()


def test_pr_curve_points_equal_reports():
    _, _, ev = dataset(3, num_classes=3)
    for name in ev.report().labels:
        curve = ev.pr_curve(name, iou=0.5)
        for i in range(0, curve.thresholds.size, max(1, curve.thresholds.size // 7)):
            report = ev.report(float(curve.thresholds[i]), 0.5, classes=[name])
            assert report.precision[0] == pytest.approx(curve.precision[i])
            assert report.recall[0] == pytest.approx(curve.recall[i])
        best = curve.best()
        assert best.f1_score == pytest.approx(curve.f1_score.max())
        assert best.f1_score == pytest.approx(ev.report(best.conf, 0.5, classes=[name]).f1_score[0])
    pooled = ev.pr_curve(None, iou=0.5)
    assert pooled.label == "all"
    report = ev.report(float(pooled.thresholds[-1]), 0.5)
    assert pooled.recall[-1] == pytest.approx(report.averages()["micro avg"]["recall"])


def test_average_precision_at_one_threshold_equals_pycocotools_ap50():
    rng = np.random.default_rng(11)
    gt, dt = random_coco(rng, num_images=10, crowd_rate=0.1)
    ev = evaluate(*to_columns(gt, dt))
    # pycocotools caps predictions per image; lift the cap so both see all of them.
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = gt
        coco_gt.createIndex()
        oracle = COCOeval(coco_gt, coco_gt.loadRes(dt), "bbox")
        oracle.params.maxDets = [1, 10, 100000]
        oracle.evaluate()
        oracle.accumulate()
    ap = ev.average_precision(0.5, classes=[c["name"] for c in gt["categories"]])
    for k, cat in enumerate(sorted(gt["categories"], key=lambda c: c["id"])):
        p = oracle.eval["precision"][0, :, k, 0, 2]
        expected = -1.0 if (p == -1).all() else float(p.mean())
        assert ap[cat["name"]] == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_partitions_merge_exactly(seed):
    rng = np.random.default_rng(seed)
    gt, dt = random_coco(rng, num_images=12)
    for i, d in enumerate(dt):
        d["id"] = i + 1
    whole = evaluate(*to_columns(gt, dt), iou_thresholds=[0.3])
    images = [img["id"] for img in gt["images"]]
    part_of = rng.integers(0, 3, size=len(images))
    parts = []
    for p in range(3):
        chosen = {img for img, q in zip(images, part_of, strict=True) if q == p}
        sub_gt = {**gt, "images": [i for i in gt["images"] if i["id"] in chosen],
                  "annotations": [a for a in gt["annotations"] if a["image_id"] in chosen]}  # fmt: skip
        sub_dt = [d for d in dt if d["image_id"] in chosen]
        parts.append(evaluate(*to_columns(sub_gt, sub_dt), iou_thresholds=[0.3]))
    merged = type(whole).merge_all(parts)
    a, b = whole.coco_summary(), merged.coco_summary()
    assert a.stats == b.stats
    np.testing.assert_array_equal(a.precision, b.precision)
    for conf, t in [(0.0, 0.5), (0.4, 0.3), (0.8, 0.95)]:
        np.testing.assert_array_equal(
            whole.confusion_matrix(conf, t).matrix, merged.confusion_matrix(conf, t).matrix
        )
        ra, rb = whole.report(conf, t), merged.report(conf, t)
        assert ra.to_dict() == rb.to_dict()
        oa, ob = whole.outcomes(conf, t), merged.outcomes(conf, t)
        assert sorted(map(str, oa.records())) == sorted(map(str, ob.records()))


def test_merge_refuses_overlapping_frames():
    _, _, ev = dataset(1)
    with pytest.raises(Exception, match="share frames"):
        ev.merge(ev)


def test_threshold_off_the_grid_is_matched_once_and_kept():
    gt, dt, ev = dataset(4)
    fresh = evaluate(*to_columns(gt, dt), iou_thresholds=[0.42])
    assert 0.42 not in ev.iou_thresholds
    assert ev.report(0.2, 0.42).to_dict() == fresh.report(0.2, 0.42).to_dict()
    assert 0.42 in ev.iou_thresholds
    np.testing.assert_array_equal(
        ev.confusion_matrix(0.2, 0.42).matrix, fresh.confusion_matrix(0.2, 0.42).matrix
    )


@pytest.mark.parametrize("iou", [0.999, 0.42, 0.2])
def test_outcomes_first_asked_off_the_grid_equal_a_fresh_evaluation(iou):
    # Outcomes were the first query at these IoUs: they match the threshold themselves
    # (0.2 is below the grid, which also replaces the kept cross-class pairs).
    gt, dt, ev = dataset(6)
    fresh = evaluate(*to_columns(gt, dt), iou_thresholds=[iou])
    assert iou not in ev.iou_thresholds
    kept, again = ev.outcomes(0.2, iou), fresh.outcomes(0.2, iou)
    assert len(kept) == len(again) > 0
    for column in kept.COLUMNS:  # NaN confidences (ground truth) compare equal here
        np.testing.assert_array_equal(getattr(kept, column), getattr(again, column), column)
    assert ev.confusion_matrix(0.2, iou).to_dict() == fresh.confusion_matrix(0.2, iou).to_dict()


@pytest.mark.parametrize("max_points", [5, 6, 40, 101])
def test_downsampled_curves_keep_their_ends_best_point_and_envelope(max_points):
    _, _, ev = dataset(2)
    curves = ev.pr_curves(iou=0.5)
    for curve in curves.values():
        small = curve.downsampled(max_points)
        n = curve.thresholds.size
        if n <= max_points:
            assert small is curve
            continue
        assert small.thresholds.size <= max_points
        assert small.best() == curve.best() and small.ap == curve.ap
        # Every kept point is a point of the curve, in the curve's order.
        where = np.searchsorted(-curve.thresholds, -small.thresholds)
        np.testing.assert_array_equal(curve.thresholds[where], small.thresholds)
        np.testing.assert_array_equal(curve.precision[where], small.precision)
        np.testing.assert_array_equal(curve.recall[where], small.recall)
        assert where[0] == 0 and where[-1] == n - 1 and (np.diff(where) > 0).all()
        assert small.precision.min() == curve.precision.min()
        assert small.precision.max() == curve.precision.max()
    with pytest.raises(InputError, match="at least 5"):
        next(iter(curves.values())).downsampled(4)


def test_segment_queries_equal_evaluating_the_segment():
    gt, dt, ev = dataset(5)
    chosen = [img["id"] for img in gt["images"]][::2]
    sub_gt = {**gt, "images": [i for i in gt["images"] if i["id"] in chosen],
              "annotations": [a for a in gt["annotations"] if a["image_id"] in chosen]}  # fmt: skip
    sub = evaluate(*to_columns(sub_gt, [d for d in dt if d["image_id"] in chosen]))
    names = [c["name"] for c in gt["categories"]]
    assert (
        ev.report(0.3, 0.5, frames=chosen, classes=names).to_dict()
        == sub.report(0.3, 0.5, classes=names).to_dict()
    )
    np.testing.assert_array_equal(
        ev.confusion_matrix(0.3, 0.5, frames=chosen, classes=names).matrix,
        sub.confusion_matrix(0.3, 0.5, classes=names).matrix,
    )


def test_bad_queries_raise_input_errors():
    _, _, ev = dataset(2)
    with pytest.raises(InputError, match="unknown frame id"):
        ev.report(frames=[999999])
    with pytest.raises(InputError, match="unknown class"):
        ev.report(classes=["no such class"])
    with pytest.raises(InputError, match="not in"):
        ev.report(conf=1.5)
    with pytest.raises(InputError, match="not in"):
        ev.report(iou=0.0)


def test_report_names_follow_scikit_learn():
    _, _, ev = dataset(6)
    out = ev.report(0.5, 0.5).to_sklearn_dict()
    assert {"micro avg", "macro avg", "weighted avg"} <= set(out)
    row = out[ev.report(0.5, 0.5).labels[0]]
    assert {"precision", "recall", "f1-score", "support"} <= set(row)
    assert "precision" in str(ev.report(0.5, 0.5))


def test_pycocotools_oracle_is_consulted():
    # Guard: the oracle helper really runs pycocotools (not a stub).
    gt, dt, _ = dataset(8)
    assert pycocotools_eval(gt, dt).stats.shape == (12,)


@pytest.mark.parametrize("seed", range(6))
def test_every_matrix_cell_lists_exactly_its_examples(seed):
    _, _, ev = dataset(seed)
    for conf, t in [(0.0, 0.5), (0.35, 0.3), (0.6, 0.75)]:
        matrix = ev.confusion_matrix(conf, t)
        outcomes = ev.outcomes(conf, t)
        for truth in matrix.labels:
            for predicted in matrix.labels:
                examples = outcomes.in_cell(truth, predicted)
                assert len(examples) == matrix.cell(truth, predicted), (truth, predicted)
                if truth != "background" and predicted != "background" and len(examples):
                    assert set(examples.label.tolist()) == {predicted}
                    assert (examples.kind == "prediction").all()


def test_outcome_filters_and_sorting():
    _, _, ev = dataset(9)
    outcomes = ev.outcomes(0.2, 0.5)
    fps = outcomes.where(outcome="FP")
    assert len(fps) == ev.report(0.2, 0.5).fp.sum()
    assert (fps.outcome == "FP").all()
    by_conf = fps.sorted_by("confidence")
    assert (np.diff(by_conf.confidence) <= 0).all()
    low_first = outcomes.where(outcome="TP", kind="prediction").sorted_by(
        "confidence", descending=False
    )
    assert (np.diff(low_first.confidence) >= 0).all()
    assert len(outcomes.page(0, 5)) == min(5, len(outcomes))
    with pytest.raises(InputError, match="unknown outcome"):
        outcomes.where(outcome="maybe")
    with pytest.raises(InputError, match="cannot sort"):
        outcomes.sorted_by("colour")
    record = outcomes.records()[0]
    assert set(record) == set(outcomes.COLUMNS)


def test_kept_state_round_trips_through_a_file(tmp_path):
    _, _, ev = dataset(12)
    path = tmp_path / "state.npz"
    np.savez(path, **ev.kept_state())
    with np.load(path) as saved:
        again = type(ev).from_kept_state(ev.ground_truth, ev.predictions, dict(saved))
    assert again.coco_summary().stats == ev.coco_summary().stats
    assert again.report(0.3, 0.3).to_dict() == ev.report(0.3, 0.3).to_dict()
    other = evaluate(*to_columns(*random_coco(np.random.default_rng(99), num_images=3)))
    with pytest.raises(Exception, match="does not fit"):
        type(ev).from_kept_state(other.ground_truth, other.predictions, ev.kept_state())


def test_evaluations_pickle_for_distributed_workers():
    import pickle

    _, _, ev = dataset(13)
    again = pickle.loads(pickle.dumps(ev))
    assert again.coco_summary().stats == ev.coco_summary().stats


def test_the_kept_grid_is_bounded():
    # Issue 11, defect 10: the grid used to fill up (48 IoUs) and then refuse every
    # other IoU. Now the off-grid ones kept are bounded, and none is ever refused.
    from shoal.engine.detection.evaluator import KEPT_OFF_GRID_THRESHOLDS

    _, _, ev = dataset(14)
    grid_size = len(ev.iou_thresholds)
    extra = np.linspace(0.11, 0.49, 48 - grid_size)
    for t in extra:
        ev.report(0.0, float(t))
    assert len(ev.iou_thresholds) == grid_size + KEPT_OFF_GRID_THRESHOLDS
    ev.report(0.0, 0.999)  # answered, not refused
    assert 0.999 in ev.iou_thresholds
    ev.report(0.0, float(extra[3]))  # dropped ones answer again


def test_outcomes_of_one_frame():
    _, _, ev = dataset(15)
    outcomes = ev.outcomes(0.2, 0.5)
    frame = outcomes.frame_id[0]
    mine = outcomes.where(frame_id=frame)
    assert len(mine) == int((outcomes.frame_id == frame).sum()) > 0
    assert (mine.frame_id == frame).all()
    assert len(outcomes.where(frame_id="no such frame")) == 0
