"""IoU thresholds off the evaluation's grid: matched from the kept same-class pairs
(exactly as matching the boxes again), the last few kept, and never refused, however
many distinct IoUs clients ask for (issue 11, defect 10)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

import shoal
from shoal import _native
from shoal.demo import build_demo_projects
from shoal.engine.detection.annotations import GroundTruth
from shoal.engine.detection.evaluator import (
    KEPT_OFF_GRID_THRESHOLDS,
    QUERY_IOU_FLOOR,
    DetectionEvaluation,
    evaluate,
)
from shoal.server import create_app
from test_threads import split_everything

from coco_oracle import random_coco, to_columns

READ_KEY = "r" * 20
SHAPES = "/api/v1/projects/shapes/datasets/rendered-scenes"
GT_ROW_COLUMNS = ("label", "box", "area", "iscrowd", "ignore", "ids")
DT_ROW_COLUMNS = ("label", "box", "score", "ids")


def columns_with_ignored_rows(seed: int):
    """Random COCO data (crowds included) where some other rows carry an ignore flag."""
    rng = np.random.default_rng(seed)
    gt, dt = random_coco(rng, num_images=14, max_gt=9, max_dt=40, crowd_rate=0.15)
    ground_truth, predictions = to_columns(gt, dt)
    flagged = ground_truth.ignore | (rng.random(len(ground_truth)) < 0.1)
    return dataclasses.replace(ground_truth, ignore=flagged), predictions


def thresholds_to_try(ev) -> list[float]:
    """Off-grid IoUs, among them IoUs of real pairs (ties at the threshold) and 1."""
    pair_ious = ev.kept_state()["pair_iou"]
    grid = np.asarray(ev.iou_thresholds)
    exact = [float(v) for v in np.unique(pair_ious)[::7] if np.abs(grid - v).min() > 1e-9]
    return [0.05, 0.31, 0.42, 0.5000001, 0.63, 0.77, 0.9, 0.99, 1.0, *exact[:12]]


@pytest.mark.parametrize("protocol", ["coco", "voc"])
@pytest.mark.parametrize("pixel_inclusive", [False, True])
@pytest.mark.parametrize("seed", range(6))
def test_off_grid_matching_from_kept_pairs_equals_matching_the_boxes(
    seed, protocol, pixel_inclusive
):
    ground_truth, predictions = columns_with_ignored_rows(seed)
    options = {"protocol": protocol, "pixel_inclusive": pixel_inclusive}
    ev = evaluate(ground_truth, predictions, **options)
    for t in thresholds_to_try(ev):
        fresh = evaluate(ground_truth, predictions, iou_thresholds=[t], **options)
        kept = fresh.kept_state()
        (k,) = np.flatnonzero(np.abs(kept["grid"] - t) <= 1e-9)
        level = ev._level(t)
        np.testing.assert_array_equal(level.det_gt, kept["det_gt"][k], f"{t=}")
        np.testing.assert_array_equal(level.det_ignored, kept["det_ignored"][k], f"{t=}")
        np.testing.assert_array_equal(level.gt_det, kept["gt_det"][k], f"{t=}")
        assert ev.report(0.2, t).to_dict() == fresh.report(0.2, t).to_dict()
        assert ev.confusion_matrix(0.1, t).to_dict() == fresh.confusion_matrix(0.1, t).to_dict()
        mine, theirs = ev.outcomes(0.3, t), fresh.outcomes(0.3, t)
        for column in mine.COLUMNS:
            np.testing.assert_array_equal(getattr(mine, column), getattr(theirs, column))


def assert_same_answers(
    ev: DetectionEvaluation, fresh: DetectionEvaluation, t: float, *, same_rows: bool = True
) -> None:
    """Report, confusion matrix and (on the same rows) outcomes at IoU ``t`` equal, to
    the last bit."""
    assert ev.report(0.2, t).to_dict() == fresh.report(0.2, t).to_dict(), f"{t=}"
    assert ev.confusion_matrix(0.1, t).to_dict() == fresh.confusion_matrix(0.1, t).to_dict()
    if not same_rows:
        return
    mine, theirs = ev.outcomes(0.3, t), fresh.outcomes(0.3, t)
    for column in mine.COLUMNS:
        np.testing.assert_array_equal(getattr(mine, column), getattr(theirs, column), f"{t=}")


def below_the_grid(ev: DetectionEvaluation) -> list[float]:
    """IoUs below the grid: round ones, the floor itself, IoUs of real cross-class pairs
    (ties at the threshold) and one under the floor (found from the boxes)."""
    cross = ev.kept_state()["cross_iou"]
    exact = [float(v) for v in np.unique(cross[cross < 0.5])[::5]]
    return [QUERY_IOU_FLOOR, 0.1, 0.23, 0.31, 0.42, 0.4999999, 0.02, *exact[:10]]


@pytest.mark.usefixtures(split_everything.__name__)
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("protocol", ["coco", "voc"])
@pytest.mark.parametrize("pixel_inclusive", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_below_the_grid_from_kept_candidates_equals_matching_the_boxes(
    seed, protocol, pixel_inclusive, threads
):
    _native.set_threads(threads)
    ground_truth, predictions = columns_with_ignored_rows(seed)
    options = {"protocol": protocol, "pixel_inclusive": pixel_inclusive}
    ev = evaluate(ground_truth, predictions, confusion_floor=QUERY_IOU_FLOOR, **options)
    kept = ev._kept
    assert float(kept.cross_floor) == QUERY_IOU_FLOOR
    assert (kept.cross_iou >= QUERY_IOU_FLOOR).any() and (kept.cross_iou < 0.5).any()
    for t in below_the_grid(ev):
        # At or above the floor the kept candidates are read, never the boxes.
        assert (ev._level(t).cross is not None and ev._level(t).cross[0] is kept.cross_dt) == (
            t >= QUERY_IOU_FLOOR
        )
        fresh = evaluate(ground_truth, predictions, iou_thresholds=[t], **options)
        assert_same_answers(ev, fresh, t)
    # On the grid, the answers of a one-shot evaluation (candidates at 0.5 and above).
    one_shot = evaluate(ground_truth, predictions, **options)
    for t in (0.5, 0.75, 0.63):
        assert_same_answers(ev, one_shot, t)


def test_a_one_shot_evaluation_keeps_candidates_from_the_grid_only():
    ground_truth, predictions = columns_with_ignored_rows(2)
    one_shot = evaluate(ground_truth, predictions).kept_state()
    kept = evaluate(ground_truth, predictions, confusion_floor=QUERY_IOU_FLOOR).kept_state()
    assert float(one_shot["cross_floor"]) == 0.5 and (one_shot["cross_iou"] >= 0.5).all()
    assert kept["cross_iou"].size > one_shot["cross_iou"].size
    on_grid = kept["cross_iou"] >= 0.5
    for name in ("cross_dt", "cross_gt", "cross_iou"):  # the same pairs, in the same order
        np.testing.assert_array_equal(kept[name][on_grid], one_shot[name])
    # A floor above the grid's lowest threshold keeps the grid's.
    above = evaluate(ground_truth, predictions, confusion_floor=0.7).kept_state()
    assert float(above["cross_floor"]) == 0.5
    with pytest.raises(shoal.InputError, match="confusion_floor"):
        evaluate(ground_truth, predictions, confusion_floor=0.0)


def test_kept_candidates_below_the_grid_survive_saving_and_merging():
    ground_truth, predictions = columns_with_ignored_rows(5)
    whole = evaluate(ground_truth, predictions, confusion_floor=QUERY_IOU_FLOOR)
    reloaded = DetectionEvaluation.from_kept_state(ground_truth, predictions, whole.kept_state())
    frames = list(ground_truth.frame_ids)
    parts = [
        evaluate(*_restricted(ground_truth, predictions, frames[i::3]), confusion_floor=0.05)
        for i in range(3)
    ]
    merged = parts[0].merge_all(parts)
    # Mixed floors: the merge keeps what every part has (the grid's lowest here).
    mixed = parts[0].merge_all(
        [*parts[:2], evaluate(*_restricted(ground_truth, predictions, frames[2::3]))]
    )
    assert float(merged._kept.cross_floor) == QUERY_IOU_FLOOR
    assert float(mixed._kept.cross_floor) == 0.5
    for t in (0.05, 0.12, 0.37, 0.5, 0.71):
        fresh = evaluate(ground_truth, predictions, iou_thresholds=[t])
        assert_same_answers(reloaded, fresh, t)
        for ev in (merged, mixed):  # rows in another order: no row-by-row outcomes
            assert_same_answers(ev, fresh, t, same_rows=False)
    assert reloaded._level(0.12).cross[0] is reloaded._kept.cross_dt


def test_a_state_saved_before_the_floor_was_kept_answers_below_the_grid_from_the_boxes():
    ground_truth, predictions = columns_with_ignored_rows(6)
    state = evaluate(ground_truth, predictions).kept_state()
    # As an older Shoal saved it: no floor, candidates in the kernel's order (unsorted).
    del state["cross_floor"]
    shuffle = np.random.default_rng(0).permutation(state["cross_dt"].size)
    for name in ("cross_dt", "cross_gt", "cross_iou"):
        state[name] = state[name][shuffle]
    old = DetectionEvaluation.from_kept_state(ground_truth, predictions, state)
    assert float(old._kept.cross_floor) == 0.5
    for t in (0.05, 0.3, 0.5, 0.66):
        assert_same_answers(old, evaluate(ground_truth, predictions, iou_thresholds=[t]), t)


def test_the_kept_pairs_hold_every_overlap_ignored_rows_marked():
    ground_truth, predictions = columns_with_ignored_rows(3)
    kept = evaluate(ground_truth, predictions).kept_state()
    counted = ~(ground_truth.iscrowd | ground_truth.ignore)
    marked = kept["pair_gt"] < 0
    assert marked.any() and (~marked).any()
    assert not counted[-kept["pair_gt"][marked] - 1].any()
    assert counted[kept["pair_gt"][~marked]].all()
    assert (kept["pair_iou"] > 0).all()


def test_merged_evaluations_match_off_the_grid_as_the_whole_does():
    ground_truth, predictions = columns_with_ignored_rows(4)
    whole = evaluate(ground_truth, predictions)
    frames = list(ground_truth.frame_ids)
    parts = [evaluate(*_restricted(ground_truth, predictions, frames[i::3])) for i in range(3)]
    merged = parts[0].merge_all(parts)
    for t in (0.07, 0.45, 0.81):
        assert merged.report(0.2, t).to_dict() == whole.report(0.2, t).to_dict()
        assert merged.confusion_matrix(0.2, t).to_dict() == whole.confusion_matrix(0.2, t).to_dict()


def _restricted(ground_truth: GroundTruth, predictions, frame_ids):
    """The rows of some frames, as their own inputs."""
    wanted = np.isin(ground_truth.frame_ids, frame_ids)
    gt_rows = np.flatnonzero(wanted[ground_truth.frame])
    dt_rows = np.flatnonzero(wanted[predictions.frame])
    remap = np.cumsum(wanted) - 1
    frame = remap[ground_truth.frame[gt_rows]].astype(np.int32)
    gt = dataclasses.replace(
        ground_truth,
        frame_ids=ground_truth.frame_ids[wanted],
        frame=frame,
        **{name: getattr(ground_truth, name)[gt_rows] for name in GT_ROW_COLUMNS},
    )
    dt = dataclasses.replace(
        predictions,
        frame=remap[predictions.frame[dt_rows]].astype(np.int32),
        **{name: getattr(predictions, name)[dt_rows] for name in DT_ROW_COLUMNS},
    )
    return gt, dt


def test_any_number_of_off_grid_ious_answers_and_only_the_last_few_are_kept():
    ground_truth, predictions = columns_with_ignored_rows(7)
    ev = evaluate(ground_truth, predictions)
    grid = ev.iou_thresholds
    asked = [round(0.06 + 0.0093 * i, 4) for i in range(100)]
    asked = [t for t in asked if t not in grid]
    for t in asked:
        fresh = evaluate(ground_truth, predictions, iou_thresholds=[t])
        assert ev.report(0.1, t).to_dict() == fresh.report(0.1, t).to_dict()
        assert len(ev.iou_thresholds) <= len(grid) + KEPT_OFF_GRID_THRESHOLDS
        assert t in ev.iou_thresholds  # the last one asked is kept
    # The AP cache of dropped thresholds goes with them.
    assert len(ev._cache) <= 2 * (len(grid) + KEPT_OFF_GRID_THRESHOLDS)
    # A dropped one answers again, matched again.
    first = asked[0]
    assert first not in ev.iou_thresholds
    again = evaluate(ground_truth, predictions, iou_thresholds=[first])
    assert ev.report(0.1, first).to_dict() == again.report(0.1, first).to_dict()
    assert set(grid) <= set(ev.iou_thresholds)


def test_the_least_recently_used_off_grid_iou_is_dropped_first():
    ground_truth, predictions = columns_with_ignored_rows(8)
    ev = evaluate(ground_truth, predictions)
    first, *others = [0.11 + 0.01 * i for i in range(KEPT_OFF_GRID_THRESHOLDS)]
    for t in [first, *others]:
        ev.report(0.0, t)
    ev.report(0.0, first)  # used again: now the most recent
    ev.report(0.0, 0.44)
    assert first in ev.iou_thresholds
    assert others[0] not in ev.iou_thresholds


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> shoal.Store:
    store = shoal.Store(tmp_path_factory.mktemp("off-grid") / "home")
    build_demo_projects(store, scale=0.05)
    return store


def test_a_read_only_client_cannot_fill_the_kept_grid_over_the_server(demo_store):
    app = create_app(demo_store, api_keys={READ_KEY: "read-only"})
    client = TestClient(app, base_url="http://localhost")
    read = {"Authorization": f"Bearer {READ_KEY}"}
    inference_set = (
        demo_store.project("shapes").dataset("rendered-scenes").inference_set("adaptive-cc")
    )
    for i in range(60):
        iou = round(0.101 + 0.013 * i, 3)
        answer = client.get(
            f"{SHAPES}/metrics",
            params={"inference_set": "adaptive-cc", "iou": iou, "conf": 0.3, "include": "report"},
            headers=read,
        )
        assert answer.status_code == 200, (iou, answer.text)
        (result,) = answer.json()["results"]
        assert iou in result["iou_thresholds"]
        assert len(result["iou_thresholds"]) <= 10 + KEPT_OFF_GRID_THRESHOLDS
        if i % 10 == 0:  # the numbers of an evaluation made for that IoU
            fresh = inference_set.evaluate(iou_thresholds=[iou]).report(0.3, iou)
            assert result["report"] == fresh.to_dict()
    # Everyone else still gets off-grid answers, in the Python API too.
    assert inference_set.metrics(iou=0.987).report is not None
    examples = client.get(
        f"{SHAPES}/inference-sets/adaptive-cc/examples", params={"iou": 0.0777}, headers=read
    )
    assert examples.status_code == 200, examples.text


def test_off_grid_ious_through_the_store_match_a_fresh_evaluation(demo_store):
    inference_set = (
        demo_store.project("shapes").dataset("rendered-scenes").inference_set("adaptive-cc")
    )
    for i in range(3 * KEPT_OFF_GRID_THRESHOLDS):
        iou = round(0.21 + 0.017 * i, 3)
        metrics = inference_set.metrics(conf=0.3, iou=iou)
        fresh = inference_set.evaluate(iou_thresholds=[iou])
        assert metrics.report is not None and metrics.confusion_matrix is not None
        assert metrics.report.to_dict() == fresh.report(0.3, iou).to_dict()
        assert metrics.confusion_matrix.to_dict() == fresh.confusion_matrix(0.3, iou).to_dict()


def test_the_store_keeps_candidates_for_queries_below_the_grid(demo_store):
    inference_set = (
        demo_store.project("shapes").dataset("rendered-scenes").inference_set("adaptive-cc")
    )
    (row,) = demo_store._rows(
        "SELECT object FROM evaluations WHERE inference_set_id = ? AND grid LIKE '%\"iou\": []%'",
        (inference_set.id,),
    )
    with np.load(demo_store.home.object_path(row["object"]) / "kept.npz") as saved:
        assert float(saved["cross_floor"]) == QUERY_IOU_FLOOR
        assert (saved["cross_iou"] < 0.5).any()
    for iou in (0.05, 0.15, 0.35):
        metrics = inference_set.metrics(conf=0.3, iou=iou)
        fresh = inference_set.evaluate(iou_thresholds=[iou])
        assert metrics.report is not None and metrics.confusion_matrix is not None
        assert metrics.report.to_dict() == fresh.report(0.3, iou).to_dict()
        assert metrics.confusion_matrix.to_dict() == fresh.confusion_matrix(0.3, iou).to_dict()


def test_an_evaluation_saved_before_ignored_pairs_were_kept_is_matched_again(
    tmp_path: Path,
):
    store = shoal.Store(tmp_path / "home")
    build_demo_projects(store, scale=0.05)
    inference_set = store.project("shapes").dataset("rendered-scenes").inference_set("adaptive-cc")
    expected = inference_set.evaluate().report(0.3, 0.47).to_dict()
    # Rewrite the kept matching the way an older Shoal saved it (counted pairs only,
    # as same_*): the pairs of crowd and ignored rows are unknown.
    (row,) = store._rows(
        "SELECT object FROM evaluations WHERE inference_set_id = ?", (inference_set.id,)
    )
    path = store.home.object_path(row["object"]) / "kept.npz"
    with np.load(path) as saved:
        old = {k.replace("pair_", "same_"): saved[k] for k in saved.files}
    np.savez(path, **old)
    reopened = shoal.Store(tmp_path / "home")
    again = reopened.project("shapes").dataset("rendered-scenes").inference_set("adaptive-cc")
    assert again.evaluate().report(0.3, 0.47).to_dict() == expected
    # ... and kept again, now with them.
    (row,) = reopened._rows(
        "SELECT object FROM evaluations WHERE inference_set_id = ?", (inference_set.id,)
    )
    with np.load(reopened.home.object_path(row["object"]) / "kept.npz") as saved:
        assert "pair_gt" in saved.files
