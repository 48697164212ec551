"""TIDE's error breakdown equals tidecv 1.0.1 (its COCO box mode) on the public fixtures and
on randomized data with crowds, empty images, tied scores and more than 100 detections per
image; hand-built frames give the type each definition names."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from shoal.analysis.tide import MAIN_ERRORS, SPECIAL_ERRORS, tide
from shoal.engine.detection.annotations import GroundTruth, Predictions
from shoal.formats.coco import read_coco_detections

from conftest import run_cli, validation_folder

tidecv = pytest.importorskip("tidecv")


def tidecv_breakdown(
    gt_path: Path, dt_path: Path, *, fg_iou: float = 0.5, bg_iou: float = 0.1
) -> tuple[float, dict[str, float], dict[str, int]]:
    """tidecv's AP, every dAP and the error counts, read from its own objects."""
    from tidecv import TIDE, datasets

    evaluator = TIDE(pos_threshold=fg_iou, background_threshold=bg_iou)
    with contextlib.redirect_stdout(io.StringIO()):
        run = evaluator.evaluate(
            datasets.COCO(str(gt_path)), datasets.COCOResult(str(dt_path)), mode=TIDE.BOX
        )
        main = evaluator.get_main_errors()[run.preds.name]
        special = evaluator.get_special_errors()[run.preds.name]
    counts = {error.short_name: n for error, n in run.count_errors().items()}
    return run.ap, {**main, **special}, counts


def file_order(gt: GroundTruth, gt_path: Path) -> NDArray[np.int64]:
    """Frame positions in the file's image order: tidecv walks images that way, which
    decides how equal scores on different images rank in AP."""
    position = {frame: index for index, frame in enumerate(gt.frame_ids.tolist())}
    images = json.loads(gt_path.read_text())["images"]
    return np.array([position[image["id"]] for image in images], np.int64)


def assert_equal_to_tidecv(
    gt_path: Path, dt_path: Path, *, fg_iou: float = 0.5, bg_iou: float = 0.1
) -> None:
    gt, dt = read_coco_detections(gt_path, dt_path)
    ours = tide(gt, dt, fg_iou=fg_iou, bg_iou=bg_iou, frame_order=file_order(gt, gt_path))
    ap, dap, counts = tidecv_breakdown(gt_path, dt_path, fg_iou=fg_iou, bg_iou=bg_iou)
    assert ours.ap == pytest.approx(ap, abs=1e-6)
    for name in (*MAIN_ERRORS, *SPECIAL_ERRORS):
        assert ours.dap[name] == pytest.approx(dap[name], abs=1e-6), name
    assert ours.counts == counts


@pytest.mark.parametrize(
    ("folder", "gt_name", "dt_name"),
    [
        (
            "cocoapi-val2014-fake100",
            "instances_val2014_100.json",
            "instances_val2014_fakebbox100_results.json",
        ),
        ("detectron2-coco-eval-sample", "gt_val2017_img139_285.json", "dt_img139.json"),
    ],
)
def test_public_fixtures_equal_tidecv(folder: str, gt_name: str, dt_name: str) -> None:
    base = validation_folder(folder)
    assert_equal_to_tidecv(base / gt_name, base / dt_name)


def test_fake100_at_other_thresholds_equals_tidecv() -> None:
    base = validation_folder("cocoapi-val2014-fake100")
    gt_path = base / "instances_val2014_100.json"
    dt_path = base / "instances_val2014_fakebbox100_results.json"
    for fg_iou, bg_iou in [(0.75, 0.1), (0.3, 0.2), (0.5, 0.0)]:
        assert_equal_to_tidecv(gt_path, dt_path, fg_iou=fg_iou, bg_iou=bg_iou)


def random_coco(seed: int, tmp_path: Path, *, shuffled: bool = False) -> tuple[Path, Path]:
    """A COCO ground truth and results pair meant to reach every branch: crowds, images
    without ground truth or without predictions, a class with no ground truth, jittered
    copies of true boxes with other classes, duplicates, scores rounded so that many tie,
    and images with more than 100 detections."""
    rng = np.random.default_rng(seed)
    num_images, num_classes = 30, 5
    images = [
        {"id": i + 1, "file_name": f"{i}.jpg", "width": 400, "height": 300}
        for i in range(num_images)
    ]
    categories = [{"id": c + 1, "name": f"c{c}"} for c in range(num_classes + 1)]
    annotations: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []

    def box() -> list[float]:
        x, y = rng.uniform(0, 300), rng.uniform(0, 220)
        return [
            round(x, 1),
            round(y, 1),
            round(rng.uniform(4, 100), 1),
            round(rng.uniform(4, 80), 1),
        ]

    for image in images:
        image_id = image["id"]
        kind = rng.integers(0, 6)
        num_gt = 0 if kind == 0 else int(rng.integers(1, 12))
        truths = []
        for _ in range(num_gt):
            b = box()
            crowd = int(rng.random() < 0.12)
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": image_id,
                    "category_id": int(rng.integers(1, num_classes + 1)),
                    "bbox": b,
                    "area": b[2] * b[3],
                    "iscrowd": crowd,
                    "segmentation": [[b[0], b[1], b[0] + b[2], b[1], b[0] + b[2], b[1] + b[3]]],
                }
            )
            truths.append(annotations[-1])
        if kind == 1:
            continue  # ground truth, no predictions
        num_dt = int(rng.integers(105, 160)) if kind == 2 else int(rng.integers(0, 25))
        for _ in range(num_dt):
            if truths and rng.random() < 0.7:
                truth = truths[int(rng.integers(len(truths)))]
                jitter = rng.normal(0, rng.choice([1.0, 6.0, 20.0]), 4)
                b = [max(0.0, v + j) for v, j in zip(truth["bbox"], jitter, strict=True)]
                b[2], b[3] = max(b[2], 1.0), max(b[3], 1.0)
                label = truth["category_id"] if rng.random() < 0.7 else int(rng.integers(1, 8))
            else:
                b = box()
                label = int(rng.integers(1, num_classes + 2))
            results.append(
                {
                    "image_id": image_id,
                    "category_id": min(label, num_classes + 1),
                    "bbox": [round(v, 2) for v in b],
                    "score": round(float(rng.random()), 2),
                }
            )
    if shuffled:  # images not listed by id: tidecv's walk differs from the id order
        images = [images[i] for i in rng.permutation(len(images))]
    gt_path = tmp_path / f"gt{seed}.json"
    dt_path = tmp_path / f"dt{seed}.json"
    gt_path.write_text(
        json.dumps({"images": images, "annotations": annotations, "categories": categories})
    )
    dt_path.write_text(json.dumps(results))
    return gt_path, dt_path


@pytest.mark.parametrize("seed", range(12))
def test_randomized_data_equals_tidecv(seed: int, tmp_path: Path) -> None:
    gt_path, dt_path = random_coco(seed, tmp_path)
    assert_equal_to_tidecv(gt_path, dt_path)


@pytest.mark.parametrize("seed", range(3))
def test_randomized_data_at_other_thresholds_equals_tidecv(seed: int, tmp_path: Path) -> None:
    gt_path, dt_path = random_coco(100 + seed, tmp_path)
    assert_equal_to_tidecv(gt_path, dt_path, fg_iou=0.7, bg_iou=0.3)


def test_cli_eval_tide_writes_tidecv_numbers(tmp_path: Path) -> None:
    base = validation_folder("cocoapi-val2014-fake100")
    gt_path = base / "instances_val2014_100.json"
    dt_path = base / "instances_val2014_fakebbox100_results.json"
    out = tmp_path / "out.json"
    done = run_cli("eval", str(gt_path), str(dt_path), "--tide", "--json", str(out))
    assert done.returncode == 0, done.stderr
    assert "TIDE errors" in done.stdout and "FalseNeg" in done.stdout
    written = json.loads(out.read_text())
    _, dap, counts = tidecv_breakdown(gt_path, dt_path)
    assert set(written["tide"]) == {*MAIN_ERRORS, *SPECIAL_ERRORS}
    for name, value in dap.items():  # at IoU 0.5 no score tie across images matters here
        assert written["tide"][name] == pytest.approx(value, abs=1e-6), name
    assert written["tide_details"]["counts"] == counts


def test_cli_eval_refuses_background_above_foreground(tmp_path: Path) -> None:
    base = validation_folder("cocoapi-val2014-fake100")
    done = run_cli(
        "eval",
        str(base / "instances_val2014_100.json"),
        str(base / "instances_val2014_fakebbox100_results.json"),
        "--tide",
        "--iou",
        "0.3",
        "--tide-bg-iou",
        "0.4",
    )
    assert done.returncode != 0
    assert "--tide-bg-iou 0.4 is above the foreground IoU --iou 0.3" in done.stderr


# ------------------------------------------------------- hand-built known answers
def one_class_case(
    truths: list[tuple[int, list[float]]],
    predictions: list[tuple[int, int, list[float], float]],
    *,
    num_frames: int = 3,
    crowds: list[bool] | None = None,
) -> tuple[GroundTruth, Predictions]:
    """Frames 1..num_frames, classes a (0) and b (1); truths are (frame, box) of class a,
    predictions (frame, class index, box, score)."""
    gt = GroundTruth.from_arrays(
        frame_ids=list(range(1, num_frames + 1)),
        classes=["a", "b"],
        frames=[frame for frame, _ in truths],
        labels=[0] * len(truths),
        boxes=[box for _, box in truths],
        iscrowd=crowds,
    )
    dt = Predictions.from_arrays(
        gt,
        frames=[p[0] for p in predictions],
        labels=[p[1] for p in predictions],
        boxes=[p[2] for p in predictions],
        scores=[p[3] for p in predictions],
    )
    return gt, dt


SQUARE = [0.0, 0.0, 10.0, 10.0]


def test_each_type_is_the_first_test_that_fires() -> None:
    gt, dt = one_class_case(
        [(1, SQUARE), (2, SQUARE), (3, [50.0, 50.0, 10.0, 10.0])],
        [
            (1, 0, SQUARE, 0.9),  # true positive
            (1, 0, [0.0, 0.0, 10.0, 9.0], 0.8),  # IoU 0.9 with a taken GT of its class: Dupe
            (1, 1, SQUARE, 0.7),  # IoU 1 with a GT of another class: Cls
            (1, 1, [0.0, 0.0, 10.0, 3.0], 0.6),  # IoU 0.3, other class: Both
            (1, 0, [80.0, 80.0, 5.0, 5.0], 0.5),  # overlaps nothing: Bkg
            (2, 0, [0.0, 0.0, 10.0, 3.0], 0.4),  # IoU 0.3, its class, GT free: Loc
        ],
    )
    result = tide(gt, dt)
    assert result.prediction_types() == [None, "Dupe", "Cls", "Both", "Bkg", "Loc"]
    # Frame 2's GT is explained by the Loc error; frame 3's is missed.
    assert result.ground_truth_types() == [None, None, "Miss"]
    assert result.counts == {"Cls": 1, "Loc": 1, "Both": 1, "Dupe": 1, "Bkg": 1, "Miss": 1}


def test_loc_fix_turns_the_prediction_into_a_match() -> None:
    gt, dt = one_class_case([(1, SQUARE)], [(1, 0, [0.0, 0.0, 10.0, 3.0], 0.9)])
    result = tide(gt, dt)
    assert result.ap == 0.0
    assert result.dap["Loc"] == pytest.approx(100.0)
    assert result.dap["Miss"] == 0.0  # the GT is a Loc target, not a miss
    # Perfect recall removes the only GT: class a has a point but no GT, AP 0.
    assert result.dap["FalseNeg"] == 0.0


def test_miss_fix_removes_the_missed_ground_truth() -> None:
    gt, dt = one_class_case([(1, SQUARE), (2, SQUARE)], [(1, 0, SQUARE, 0.9)])
    result = tide(gt, dt)
    # Precision 1 up to recall 0.5: 51 of the 101 recall points.
    assert result.ap == pytest.approx(51 / 101 * 100)
    assert result.dap["Miss"] == pytest.approx(100 - 51 / 101 * 100)
    assert result.dap["FalseNeg"] == pytest.approx(100 - 51 / 101 * 100)


def test_bkg_and_false_pos_fixes_remove_a_confident_false_positive() -> None:
    gt, dt = one_class_case(
        [(1, SQUARE)], [(1, 0, SQUARE, 0.5), (1, 0, [60.0, 60.0, 10.0, 10.0], 0.9)]
    )
    result = tide(gt, dt)
    assert result.ap == pytest.approx(50.0)
    assert result.dap["Bkg"] == pytest.approx(50.0)
    assert result.dap["FalsePos"] == pytest.approx(50.0)
    assert result.dap["Loc"] == 0.0


def test_more_than_max_dets_per_image_are_not_evaluated() -> None:
    far = [[100.0 + 12 * i, 100.0, 10.0, 10.0] for i in range(5)]
    gt, dt = one_class_case(
        [(1, SQUARE)], [(1, 0, box, 0.9) for box in far] + [(1, 0, SQUARE, 0.1)]
    )
    assert tide(gt, dt).counts["Miss"] == 0
    limited = tide(gt, dt, max_dets=5)  # the match is the sixth by score
    assert limited.counts == {"Cls": 0, "Loc": 0, "Both": 0, "Dupe": 0, "Bkg": 5, "Miss": 1}


def test_crowd_region_ignores_a_prediction_inside_it() -> None:
    gt, dt = one_class_case(
        [(1, SQUARE), (1, [40.0, 40.0, 30.0, 30.0])],
        [(1, 0, SQUARE, 0.9), (1, 0, [45.0, 45.0, 10.0, 10.0], 0.8)],
        crowds=[False, True],
    )
    result = tide(gt, dt)
    assert result.ap == pytest.approx(100.0)  # the prediction in the crowd is not an FP
    # tidecv still types it (Bkg: no regular GT overlaps it), though AP leaves it out.
    assert result.prediction_types() == [None, "Bkg"]


def test_cli_walks_images_in_the_file_order_as_tidecv(tmp_path: Path) -> None:
    gt_path, dt_path = random_coco(7, tmp_path, shuffled=True)
    out = tmp_path / "out.json"
    done = run_cli("eval", str(gt_path), str(dt_path), "--tide", "--json", str(out))
    assert done.returncode == 0, done.stderr
    written = json.loads(out.read_text())
    ap, dap, counts = tidecv_breakdown(gt_path, dt_path)
    assert written["tide_details"]["ap"] == pytest.approx(ap, abs=1e-6)
    assert written["tide_details"]["counts"] == counts
    for name, value in dap.items():
        assert written["tide"][name] == pytest.approx(value, abs=1e-6), name
    # Walking by id instead changes how tied scores rank: here, measurably.
    gt, dt = read_coco_detections(gt_path, dt_path)
    assert abs(tide(gt, dt).ap - ap) > 1e-6
