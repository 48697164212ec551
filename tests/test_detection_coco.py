"""COCO metrics equal pycocotools: on every public fixture and on random datasets."""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pytest

from shoal.engine.detection.evaluator import evaluate

from coco_oracle import STAT_NAMES, pycocotools_eval, pycocotools_stats, random_coco, to_columns
from conftest import validation_folder


def shoal_stats(gt: dict, dt: list) -> dict[str, float]:
    return evaluate(*to_columns(gt, dt)).coco_summary().stats


def assert_stats(
    actual: dict[str, float], expected: dict[str, float] | list[float], tol: float
) -> None:
    if isinstance(expected, list):
        expected = dict(zip(STAT_NAMES, expected, strict=True))
    for name, value in expected.items():
        assert actual[name] == pytest.approx(value, abs=tol), name


def load(folder: str, name: str):
    return json.loads((validation_folder(folder) / name).read_text())


FAKE100_BBOX = [
    0.5045806987249628, 0.6969727247299577, 0.5729816669904824, 0.5856257209410443,
    0.5193996948036719, 0.5013978986347466, 0.38681277964578054, 0.5936795762842003,
    0.595352982877607, 0.6398109626113442, 0.5664205978994309, 0.5642905982905982,
]  # fmt: skip


def test_cocoapi_fake100_bbox_published_values():
    gt = load("cocoapi-val2014-fake100", "instances_val2014_100.json")
    dt = load("cocoapi-val2014-fake100", "instances_val2014_fakebbox100_results.json")
    stats = shoal_stats(gt, dt)
    assert_stats(stats, FAKE100_BBOX, 1e-12)
    # The official 3-decimal printout as well.
    official = [0.505, 0.697, 0.573, 0.586, 0.519, 0.501, 0.387, 0.594, 0.595, 0.640, 0.566, 0.564]
    assert [round(stats[n], 3) for n in STAT_NAMES] == official


def test_summary_printout_is_pycocotools_printout():
    """The 12 stats print in pycocotools' order with its titles, which pins the order
    of COCO_STAT_NAMES that the other tests take from Shoal."""
    gt = load("cocoapi-val2014-fake100", "instances_val2014_100.json")
    dt = load("cocoapi-val2014-fake100", "instances_val2014_fakebbox100_results.json")
    oracle = pycocotools_eval(gt, dt)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        oracle.summarize()
    assert str(evaluate(*to_columns(gt, dt)).coco_summary()) == printed.getvalue().rstrip("\n")


def test_cocoapi_fake100_per_class_matches_pycocotools():
    gt = load("cocoapi-val2014-fake100", "instances_val2014_100.json")
    dt = load("cocoapi-val2014-fake100", "instances_val2014_fakebbox100_results.json")
    summary = evaluate(*to_columns(gt, dt)).coco_summary()
    oracle = pycocotools_eval(gt, dt)
    np.testing.assert_allclose(summary.precision, oracle.eval["precision"], atol=1e-12)
    np.testing.assert_allclose(summary.recall, oracle.eval["recall"], atol=1e-12)
    reference = load("cocoapi-val2014-fake100", "pycocotools_reference_computed.json")["bbox"]
    per_class = summary.per_class()
    assert len(reference["per_category"]) == 80
    for values in reference["per_category"].values():
        ours = per_class[values["name"]]
        for key in ("AP", "AP50", "AP75", "AR100"):
            assert ours[key] == pytest.approx(values[key], abs=1e-12), (values["name"], key)


def test_review_repo_crowd_free_variant():
    gt = load(
        "rafaelpadilla-review-object-detection-metrics",
        "tests/test_coco_eval/gts/sampled_gts_bbox_area.json",
    )
    dets = load(
        "rafaelpadilla-review-object-detection-metrics",
        "tests/test_coco_eval/dets/sampled_bbox_results.json",
    )
    expected = [0.503647, 0.696973, 0.571667, 0.593252, 0.557991, 0.489363,
                0.386813, 0.593680, 0.595353, 0.654764, 0.603130, 0.553744]  # fmt: skip
    stats = shoal_stats(gt, dets["annotations"])
    assert_stats(stats, expected, 1e-6)
    full = [0.5036473243630208, 0.6969727247299577, 0.5716670593726122, 0.593252103002719,
            0.5579906676111427, 0.48936321019618756, 0.38681277964578054, 0.5936795762842003,
            0.595352982877607, 0.6547641893777741, 0.6031300236406619, 0.5537444355958507]  # fmt: skip
    assert_stats(stats, full, 1e-12)


def test_detectron2_sample():
    gt = load("detectron2-coco-eval-sample", "gt_val2017_img139_285.json")
    dt = load("detectron2-coco-eval-sample", "dt_img139.json")
    expected = [0.7504950495049505, 1.0, 1.0, 0.7, 0.8, -1.0, 0.4, 0.75, 0.75, 0.7, 0.8, -1.0]
    assert_stats(shoal_stats(gt, dt), expected, 1e-12)


def test_faster_coco_eval_crowd_and_score_cutoff():
    gt = load("faster-coco-eval-ignore-crowd", "gt_ignore_test.json")
    dt = load("faster-coco-eval-ignore-crowd", "dt_ignore_test.json")
    # The file mixes "2299" and 2299 for one image; the published numbers assume one id.
    for image in gt["images"]:
        image["id"] = int(image["id"])
    for ann in gt["annotations"]:
        ann["image_id"] = int(ann["image_id"])
    kept = [d for d in dt if d["score"] >= 0.1]
    assert len(kept) == 36
    expected = {
        "AP": 0.7099009900990099, "AP50": 1.0, "AP75": 0.8415841584158416, "APs": -1.0,
        "APm": 0.7099009900990099, "APl": -1.0, "AR1": 0.0, "AR10": 0.45384615384615384,
        "AR100": 0.7153846153846154, "ARs": -1.0, "ARm": 0.7153846153846154, "ARl": -1.0,
    }  # fmt: skip
    ev = evaluate(*to_columns(gt, kept))
    assert_stats(ev.coco_summary().stats, expected, 1e-10)
    # faster-coco-eval's extra AR50 / AR75 are the recall at those thresholds.
    recall = ev.coco_summary().recall
    assert recall[0, 0, 0, 2] == pytest.approx(1.0)
    assert recall[5, 0, 0, 2] == pytest.approx(0.8461538461538461)


@pytest.mark.parametrize(
    ("stem", "expected", "class_ap"),
    [
        (
            "inputs_v2021_img133",
            [0.7060198019801981, 0.900990099009901, 0.8455445544554455, 0.6887788778877887, 0.8,
             0.7012376237623762, 0.592, 0.716, 0.716, 0.7666666666666666, 0.8, 0.7],
            [0.725, 0.800, 0.454, -1, 0.650, 0.900],
        ),
        (
            "inputs_v2022_img987",
            [0.636958038661009, 0.8589658965896589, 0.7606789250353607, 0.6217350306459217, 0.8,
             0.634983498349835, 0.432, 0.652, 0.652, 0.6733333333333332, 0.8, 0.6333333333333333],
            [0.725, 0.800, 0.454, -1, 0.650, 0.5547],
        ),
    ],
)  # fmt: skip
def test_torchmetrics_samples(stem, expected, class_ap):
    gt = load("torchmetrics-map-sample", f"{stem}_gt_coco.json")
    dt = load("torchmetrics-map-sample", f"{stem}_dt_coco.json")
    summary = evaluate(*to_columns(gt, dt)).coco_summary()
    assert_stats(summary.stats, expected, 1e-12)
    np.testing.assert_allclose(summary.class_ap, class_ap, atol=1.6e-3)


@pytest.mark.parametrize("seed", range(40))
def test_random_datasets_equal_pycocotools(seed):
    rng = np.random.default_rng(seed)
    gt, dt = random_coco(
        rng, num_images=int(rng.integers(1, 16)), num_classes=int(rng.integers(1, 6))
    )
    ev = evaluate(*to_columns(gt, dt))
    summary = ev.coco_summary()
    oracle = pycocotools_eval(gt, dt)
    assert_stats(summary.stats, oracle.stats.tolist(), 1e-9)
    np.testing.assert_allclose(summary.precision, oracle.eval["precision"], atol=1e-12)
    np.testing.assert_allclose(summary.recall, oracle.eval["recall"], atol=1e-12)


def test_empty_inputs_give_minus_one():
    gt = {"images": [{"id": 1}], "annotations": [], "categories": [{"id": 1, "name": "a"}]}
    stats = shoal_stats(gt, [])
    assert all(v == -1.0 for v in stats.values())
    assert stats == pycocotools_stats(gt, [])


def test_no_predictions_gives_zero():
    gt = {
        "images": [{"id": 1}, {"id": 2}],
        "annotations": [
            {
                "id": 1,
                "image_id": 2,
                "category_id": 1,
                "bbox": [0, 0, 10, 10],
                "area": 100,
                "iscrowd": 0,
            }
        ],
        "categories": [{"id": 1, "name": "a"}],
    }
    stats = shoal_stats(gt, [])
    assert stats == pycocotools_stats(gt, [])
    assert stats["AP"] == 0.0


def test_frame_subset_equals_evaluating_the_subset():
    rng = np.random.default_rng(7)
    gt, dt = random_coco(rng, num_images=14)
    ev = evaluate(*to_columns(gt, dt))
    chosen = {img["id"] for img in gt["images"][::2]}
    sub_gt = {**gt, "images": [i for i in gt["images"] if i["id"] in chosen],
              "annotations": [a for a in gt["annotations"] if a["image_id"] in chosen]}  # fmt: skip
    sub_dt = [d for d in dt if d["image_id"] in chosen]
    assert ev.coco_summary(frames=sorted(chosen)).stats == pytest.approx(
        pycocotools_stats(sub_gt, sub_dt), abs=1e-12
    )


@pytest.mark.parametrize("seed", range(5))
def test_integer_ids_written_as_text_tie_break_like_pycocotools(seed):
    # A store keeps frame ids as text; "100" must still rank after "23" as 100 after 23.
    rng = np.random.default_rng(300 + seed)
    gt, dt = random_coco(rng, num_images=14)
    for d in dt:
        d["score"] = round(d["score"], 1)  # many ties across images
    ground_truth, predictions = to_columns(gt, dt)
    as_text = type(ground_truth)(
        **{
            name: getattr(ground_truth, name)
            for name in ground_truth.__dataclass_fields__
            if name != "frame_ids"
        },
        frame_ids=ground_truth.frame_ids.astype(str),
    )
    stats = evaluate(as_text, predictions).coco_summary().stats
    assert_stats(stats, pycocotools_eval(gt, dt).stats.tolist(), 1e-12)
