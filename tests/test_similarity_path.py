"""The evaluator's generic similarity path (``evaluate(similarity=...)``), which masks,
keypoints, points and polylines go through.

Its oracle is the box path: box IoU given as a ``PairSimilarity`` (``BoxSimilarity``)
must reproduce ``evaluate()`` bit for bit (every kept array, every statistic, every
query, off the grid and below it, merges). ``CocoParams`` (area ranges and caps from
the params) is checked against pycocotools itself, run on boxes with the keypoint
protocol's areaRng and maxDets.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import pickle
from typing import Any

import numpy as np
import pytest

from shoal.engine.detection.annotations import GroundTruth, Predictions
from shoal.engine.detection.evaluator import (
    QUERY_IOU_FLOOR,
    DetectionEvaluation,
    evaluate,
)
from shoal.engine.detection.metrics import KEYPOINT_STAT_NAMES, CocoParams
from shoal.engine.detection.similarity import BoxSimilarity, PairSimilarity
from shoal.errors import InputError

from coco_oracle import random_coco, to_columns
from conftest import validation_folder

# On the grid, off it between its thresholds, and below it (some under the kept floor).
IOUS = (0.5, 0.75, 0.62, 0.3, 0.1, 0.04)
CONFS: tuple[Any, ...] = (0.0, 0.35, 0.8)


def fake100() -> tuple[GroundTruth, Predictions]:
    folder = validation_folder("cocoapi-val2014-fake100")
    gt = json.loads((folder / "instances_val2014_100.json").read_text())
    dt = json.loads((folder / "instances_val2014_fakebbox100_results.json").read_text())
    return to_columns(gt, dt)


def assert_same_evaluation(a: DetectionEvaluation, b: DetectionEvaluation) -> None:
    """Bit-for-bit equal kept state, statistics and queries."""
    state_a, state_b = a.kept_state(), b.kept_state()
    assert state_a.keys() == state_b.keys()
    for name in state_a:
        np.testing.assert_array_equal(state_a[name], state_b[name], err_msg=name)
    if a.has_coco_summary:
        summary_a, summary_b = a.coco_summary(), b.coco_summary()
        assert summary_a.stats == summary_b.stats
        np.testing.assert_array_equal(summary_a.precision, summary_b.precision)
        np.testing.assert_array_equal(summary_a.recall, summary_b.recall)
    classes = a.labels[:2]
    for iou in IOUS:
        for conf in (*CONFS, {classes[0]: 0.6}):
            ra, rb = a.report(conf, iou), b.report(conf, iou)
            assert ra.labels == rb.labels
            for field in ("tp", "fp", "fn", "ap"):
                np.testing.assert_array_equal(getattr(ra, field), getattr(rb, field), err_msg=field)
            np.testing.assert_array_equal(
                a.confusion_matrix(conf, iou).matrix, b.confusion_matrix(conf, iou).matrix
            )
            oa, ob = a.outcomes(conf, iou), b.outcomes(conf, iou)
            for field in ("id", "outcome_code", "reason_code", "partner_id", "iou", "area"):
                np.testing.assert_array_equal(getattr(oa, field), getattr(ob, field), err_msg=field)
        ca, cb = a.pr_curves(iou=iou), b.pr_curves(iou=iou)
        assert ca.keys() == cb.keys()
        for key in ca:
            np.testing.assert_array_equal(ca[key].precision, cb[key].precision)
            np.testing.assert_array_equal(ca[key].recall, cb[key].recall)
            assert ca[key].ap == cb[key].ap


def test_box_similarity_is_a_pair_similarity() -> None:
    gt, dt = fake100()
    assert isinstance(BoxSimilarity(gt, dt), PairSimilarity)


def test_fake100_box_similarity_equals_box_path() -> None:
    gt, dt = fake100()
    assert_same_evaluation(evaluate(gt, dt), evaluate(gt, dt, similarity=BoxSimilarity(gt, dt)))


@pytest.mark.parametrize("seed", range(6))
def test_random_box_similarity_equals_box_path(seed: int) -> None:
    gt_json, dt_json = random_coco(np.random.default_rng(seed), num_images=20)
    gt, dt = to_columns(gt_json, dt_json)
    floor = QUERY_IOU_FLOOR if seed % 2 else None
    box = evaluate(gt, dt, confusion_floor=floor, iou_thresholds=[0.33])
    generic = evaluate(
        gt, dt, confusion_floor=floor, iou_thresholds=[0.33], similarity=BoxSimilarity(gt, dt)
    )
    assert_same_evaluation(box, generic)


@pytest.mark.parametrize("seed", range(3))
def test_random_voc_box_similarity_equals_box_path(seed: int) -> None:
    # No crowds: under VOC's rule the box path measures a crowd like any box.
    gt_json, dt_json = random_coco(np.random.default_rng(seed), num_images=15, crowd_rate=0.0)
    gt, dt = to_columns(gt_json, dt_json)
    assert_same_evaluation(
        evaluate(gt, dt, protocol="voc"),
        evaluate(gt, dt, protocol="voc", similarity=BoxSimilarity(gt, dt)),
    )


def split(gt: GroundTruth, dt: Predictions, frames: np.ndarray) -> tuple[GroundTruth, Predictions]:
    """The columns of ``frames`` (indices) alone."""
    gt_rows = np.flatnonzero(np.isin(gt.frame, frames))
    dt_rows = np.flatnonzero(np.isin(dt.frame, frames))
    position = np.full(gt.num_frames, -1, np.int32)
    position[frames] = np.arange(frames.size, dtype=np.int32)
    part_gt = GroundTruth(
        frame_ids=gt.frame_ids[frames],
        classes=gt.classes,
        frame=position[gt.frame[gt_rows]],
        label=gt.label[gt_rows],
        box=gt.box[gt_rows],
        area=gt.area[gt_rows],
        iscrowd=gt.iscrowd[gt_rows],
        ignore=gt.ignore[gt_rows],
        ids=gt.ids[gt_rows],
    )
    part_dt = Predictions(
        frame=position[dt.frame[dt_rows]],
        label=dt.label[dt_rows],
        box=dt.box[dt_rows],
        score=dt.score[dt_rows],
        ids=dt.ids[dt_rows],
        area=dt.area[dt_rows],
    )
    return part_gt, part_dt


@pytest.mark.parametrize("seed", range(3))
def test_merged_similarity_evaluations_equal_box_path(seed: int) -> None:
    gt_json, dt_json = random_coco(np.random.default_rng(seed + 50), num_images=18)
    gt, dt = to_columns(gt_json, dt_json)
    frames = np.random.default_rng(seed).permutation(gt.num_frames)
    parts = [split(gt, dt, np.sort(p)) for p in np.array_split(frames, 3)]
    box = DetectionEvaluation.merge_all([evaluate(g, d) for g, d in parts])
    generic = DetectionEvaluation.merge_all(
        [evaluate(g, d, similarity=BoxSimilarity(g, d)) for g, d in parts]
    )
    assert generic.similarity is not None
    assert_same_evaluation(box, generic)
    # And the merge equals evaluating the union in one go (queries below the floor
    # measure pairs through the merged similarity).
    whole_gt, whole_dt = box.ground_truth, box.predictions
    assert_same_evaluation(
        evaluate(whole_gt, whole_dt, similarity=BoxSimilarity(whole_gt, whole_dt)), generic
    )


def test_kept_state_reload_keeps_similarity_and_params() -> None:
    gt_json, dt_json = random_coco(np.random.default_rng(7), num_images=15)
    gt, dt = to_columns(gt_json, dt_json)
    params = CocoParams.keypoints()
    first = evaluate(gt, dt, similarity=BoxSimilarity(gt, dt), params=params)
    again = DetectionEvaluation.from_kept_state(
        gt, dt, first.kept_state(), similarity=BoxSimilarity(gt, dt)
    )
    assert again.params == params
    assert_same_evaluation(first, again)


def test_bad_similarity_values_are_named() -> None:
    gt_json, dt_json = random_coco(np.random.default_rng(1), num_images=8)
    gt, dt = to_columns(gt_json, dt_json)

    class Broken:
        iou_type = "bbox"

        def pair_values(self, dt_rows: np.ndarray, gt_rows: np.ndarray) -> np.ndarray:
            return np.full(dt_rows.size, 1.5)

    with pytest.raises(InputError, match=r"Broken.pair_values gave 1.5 .*prediction row"):
        evaluate(gt, dt, similarity=Broken())
    with pytest.raises(InputError, match="pixel_inclusive"):
        evaluate(gt, dt, similarity=BoxSimilarity(gt, dt), pixel_inclusive=True)


def test_box_params_titles_are_pycocotools_lines() -> None:
    gt, dt = fake100()
    summary = evaluate(gt, dt).coco_summary()
    # pycocotools' summarize format, built here from its own template.
    template = " {:<18} {} @[ IoU={:<9} | area={:>6s} | maxDets={:>3d} ] = {:0.3f}"
    lines = []
    for stat in CocoParams.bbox().stats:
        title = "Average Precision" if stat.kind == "AP" else "Average Recall"
        iou = "0.50:0.95" if stat.iou is None else f"{stat.iou:0.2f}"
        lines.append(
            template.format(
                title, f"({stat.kind})", iou, stat.area, stat.max_dets, summary[stat.name]
            )
        )
    assert str(summary) == "\n".join(lines)


def pycocotools_with_keypoint_params(gt: dict[str, Any], dt: list[dict[str, Any]]) -> Any:
    """pycocotools on boxes (iouType "bbox") with the keypoint protocol's areaRng and
    maxDets, summarised by its keypoint summary."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = copy.deepcopy(gt)
        coco_gt.createIndex()
        coco_dt = coco_gt.loadRes(copy.deepcopy(dt))
        evaluator = COCOeval(coco_gt, coco_dt, "bbox")
        evaluator.params.areaRng = [[0, 1e5**2], [32**2, 96**2], [96**2, 1e5**2]]
        evaluator.params.areaRngLbl = ["all", "medium", "large"]
        evaluator.params.maxDets = [20]
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.params.iouType = "keypoints"  # summarize() picks the keypoint summary
        evaluator.summarize()
    return evaluator


@pytest.mark.parametrize("seed", range(5))
def test_keypoint_params_equal_pycocotools(seed: int) -> None:
    gt_json, dt_json = random_coco(np.random.default_rng(seed + 100), num_images=25, max_dt=40)
    gt, dt = to_columns(gt_json, dt_json)
    reference = pycocotools_with_keypoint_params(gt_json, dt_json)
    for similarity in (None, BoxSimilarity(gt, dt)):
        summary = evaluate(
            gt, dt, similarity=similarity, params=CocoParams.keypoints()
        ).coco_summary()
        assert tuple(summary.stats) == KEYPOINT_STAT_NAMES
        np.testing.assert_array_equal(list(summary.stats.values()), reference.stats)
        np.testing.assert_array_equal(summary.precision, reference.eval["precision"])
        np.testing.assert_array_equal(summary.recall, reference.eval["recall"])
        assert "maxDets= 20" in str(summary) and "area=medium" in str(summary)


def test_pickled_before_any_confusion_query_equals_box_path() -> None:
    # Through a similarity the confusion candidates are found on first need; an
    # evaluation pickled before that (a distributed worker's) finds them after.
    gt_json, dt_json = random_coco(np.random.default_rng(12), num_images=15)
    gt, dt = to_columns(gt_json, dt_json)
    generic = evaluate(gt, dt, similarity=BoxSimilarity(gt, dt))
    assert generic.coco_summary().stats == evaluate(gt, dt).coco_summary().stats
    assert_same_evaluation(evaluate(gt, dt), pickle.loads(pickle.dumps(generic)))


def test_prediction_areas_are_checked_and_read_by_area_ranges() -> None:
    gt_json, dt_json = random_coco(np.random.default_rng(21), num_images=12)
    gt, dt = to_columns(gt_json, dt_json)
    with pytest.raises(InputError, match="areas must be one finite value per prediction"):
        Predictions.from_arrays(
            gt, frames=gt.frame_ids[dt.frame], labels=dt.label, boxes=dt.box,
            labels_are_indices=True, areas=np.ones(len(dt) + 1),
        )  # fmt: skip
    # Every prediction "large": unmatched small ones now count against APl, so the
    # large-area statistics change and the all-area ones do not.
    large = Predictions.from_arrays(
        gt, frames=gt.frame_ids[dt.frame], labels=dt.label, boxes=dt.box, scores=dt.score,
        labels_are_indices=True, areas=np.full(len(dt), 1e6),
    )  # fmt: skip
    before, after = evaluate(gt, dt).coco_summary(), evaluate(gt, large).coco_summary()
    assert before["AP"] == after["AP"] and before["AR100"] == after["AR100"]
    assert after["APl"] <= before["APl"] and after["APs"] >= before["APs"]


def test_keypoint_summary_round_trips_through_its_dict() -> None:
    gt_json, dt_json = random_coco(np.random.default_rng(22), num_images=10)
    gt, dt = to_columns(gt_json, dt_json)
    summary = evaluate(gt, dt, params=CocoParams.keypoints()).coco_summary()
    data = summary.to_dict()
    assert list(data) == [*KEYPOINT_STAT_NAMES, "per_class"]
    assert all(set(row) == {"AP", "AP50", "AP75", "AR20"} for row in data["per_class"].values())
    again = type(summary).from_dict(data)
    assert again.params == CocoParams.keypoints() and again.stats == summary.stats
    assert str(again) == str(summary)


@pytest.mark.parametrize("seed", range(20))
def test_block_pairs_enumerate_every_pair_of_each_block_predictions_major(seed: int) -> None:
    """The C enumeration the similarity path measures in: block by block, each prediction
    with each ground truth of its block, equal to the plain nested loops."""
    from shoal.engine.detection import kernels

    rng = np.random.default_rng(seed)
    blocks = int(rng.integers(0, 30))
    nd, ng = rng.integers(0, 6, blocks), rng.integers(0, 5, blocks)
    dt_bounds = np.column_stack([np.cumsum(nd) - nd, np.cumsum(nd)])
    gt_bounds = np.column_stack([np.cumsum(ng) - ng, np.cumsum(ng)])
    dt_sorted = rng.permutation(int(nd.sum())).astype(np.int64)
    gt_sorted = rng.permutation(int(ng.sum())).astype(np.int64)
    pair_dt, pair_gt = kernels.block_pairs(dt_sorted, dt_bounds, gt_sorted, gt_bounds)
    expected = [
        (int(dt_sorted[d]), int(gt_sorted[g]))
        for k in range(blocks)
        for d in range(dt_bounds[k, 0], dt_bounds[k, 1])
        for g in range(gt_bounds[k, 0], gt_bounds[k, 1])
    ]
    assert list(zip(pair_dt.tolist(), pair_gt.tolist(), strict=True)) == expected
