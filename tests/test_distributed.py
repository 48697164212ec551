"""shoal.distributed: partitions matched apart and merged equal the single-process
evaluation bit for bit (==, not approximately), in-process and as tasks on a local Ray
cluster; and pycocotools agrees with the merged summary."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

import shoal
from shoal.cli import main
from shoal.distributed import evaluate, evaluate_coco, split_coco, split_columns
from shoal.engine.detection.evaluator import QUERY_IOU_FLOOR, DetectionEvaluation
from shoal.errors import InputError, ShoalError
from shoal.store import Store

from coco_oracle import coco_sample, pycocotools_stats, random_coco, to_columns
from conftest import validation_folder

# Operating points on the grid, off it (re-matched from the merged kept pairs), and
# with a per-class confidence.
OPERATING_POINTS: list[tuple[Any, float]] = [
    (0.0, 0.5),
    (0.3, 0.75),
    (0.55, 0.95),
    (0.2, 0.33),
    (0.4, 0.62),
]


def _sample(seed: int, num_images: int = 40) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    return random_coco(np.random.default_rng(seed), num_images=num_images)


def assert_identical(merged: DetectionEvaluation, single: DetectionEvaluation) -> None:
    """Every number the merged evaluation answers equals the single-process one's."""
    assert merged.coco_summary().stats == single.coco_summary().stats
    ms, ss = merged.coco_summary(), single.coco_summary()
    for name in ("precision", "recall", "class_ap", "class_ap50", "class_ap75", "class_ar100"):
        assert np.array_equal(getattr(ms, name), getattr(ss, name)), name
    first_class = single.labels[0]
    for conf, iou in [*OPERATING_POINTS, ({first_class: 0.6}, 0.5)]:
        a, b = merged.report(conf, iou), single.report(conf, iou)
        assert a.labels == b.labels
        for name in ("tp", "fp", "fn", "precision", "recall", "f1_score", "ap"):
            assert np.array_equal(getattr(a, name), getattr(b, name)), (conf, iou, name)
        assert a.averages() == b.averages()
        assert np.array_equal(
            merged.confusion_matrix(conf, iou).matrix, single.confusion_matrix(conf, iou).matrix
        )


@pytest.mark.parametrize("num_parts", [1, 2, 5])
@pytest.mark.parametrize("seed", [0, 7])
def test_coco_split_by_image_merges_to_the_single_process_evaluation(seed, num_parts):
    gt, dt = _sample(seed)
    single = shoal.evaluate_detections(gt, dt)
    merged = evaluate_coco(gt, dt, num_parts)
    assert merged.num_frames == single.num_frames
    assert sorted(merged.frame_ids.tolist()) == sorted(single.frame_ids.tolist())
    # Prediction ids are the results' file positions, as the single-process reader gives.
    by_id = dict(
        zip(single.predictions.ids.tolist(), single.predictions.score.tolist(), strict=True)
    )
    assert {
        i: s
        for i, s in zip(
            merged.predictions.ids.tolist(), merged.predictions.score.tolist(), strict=True
        )
    } == by_id
    assert_identical(merged, single)
    # Boxes come back in file order: every kept array equals the single process's.
    kept, single_kept = merged.kept_state(), single.kept_state()
    assert kept.keys() == single_kept.keys()
    for name, values in kept.items():
        assert values.dtype == single_kept[name].dtype, name
        assert np.array_equal(values, single_kept[name]), name
    # The oracle: pycocotools on the whole files.
    assert merged.coco_summary().stats == pytest.approx(pycocotools_stats(gt, dt), abs=1e-12)


@pytest.mark.parametrize("num_parts", [1, 2, 5])
def test_columns_split_by_frame_merge_to_the_single_process_evaluation(num_parts):
    ground_truth, predictions = to_columns(*_sample(4))
    single = shoal.evaluate_detections(ground_truth, predictions)
    parts = split_columns(ground_truth, predictions, num_parts)
    assert len(parts) == num_parts
    merged = evaluate([gt for gt, _ in parts], [dt for _, dt in parts])
    assert np.array_equal(merged.frame_ids, single.frame_ids)
    assert np.array_equal(np.sort(merged.predictions.ids), np.sort(single.predictions.ids))
    assert_identical(merged, single)


def test_a_stored_datasets_frames_in_partitions_equal_the_stores_evaluation(tmp_path):
    _, _, dataset_tables, inference_tables = coco_sample(seed=12, num_images=30)
    project = Store(tmp_path).create_project("p", task="detection")
    model = project.create_dataset("val", dataset_tables).create_inference_set(
        "m", inference_tables
    )
    stored = model.evaluate()
    assert isinstance(stored, DetectionEvaluation)
    parts = split_columns(stored.ground_truth, stored.predictions, 3)
    merged = evaluate(
        [gt for gt, _ in parts], [dt for _, dt in parts], confusion_floor=QUERY_IOU_FLOOR
    )
    assert_identical(merged, stored)


def test_partition_files_evaluate_like_their_union(tmp_path):
    gt, dt = _sample(3)
    partitions = split_coco(gt, dt, 3)
    gt_files, dt_files = [], []
    for index, part in enumerate(partitions):
        gt_file, dt_file = tmp_path / f"gt{index}.json", tmp_path / f"dt{index}.json"
        gt_file.write_text(json.dumps(part.ground_truth))
        dt_file.write_text(json.dumps(part.results))
        gt_files.append(gt_file)
        dt_files.append(dt_file)
    progress: list[tuple[int, int]] = []
    merged = evaluate(
        gt_files, dt_files, progress=lambda done, total: progress.append((done, total))
    )
    assert progress == [(1, 3), (2, 3), (3, 3)]
    assert_identical(merged, shoal.evaluate_detections(gt, dt))


def test_the_options_reach_every_partition():
    gt, dt = _sample(11)
    options = {"iou_thresholds": [0.3], "confusion_floor": 0.05}
    single = shoal.evaluate_detections(gt, dt, **options)
    merged = evaluate_coco(gt, dt, 4, **options)
    assert merged.iou_thresholds == single.iou_thresholds
    assert_identical(merged, single)
    voc = evaluate_coco(gt, dt, 2, protocol="voc")
    assert voc.protocol == "voc"
    single_voc = shoal.evaluate_detections(gt, dt, protocol="voc")
    for conf, iou in OPERATING_POINTS:
        assert np.array_equal(voc.report(conf, iou).ap, single_voc.report(conf, iou).ap)


def test_split_keeps_every_image_annotation_and_category():
    gt, dt = _sample(5, num_images=13)
    parts = split_coco(gt, dt, 5)
    assert len(parts) == 5
    assert [i["id"] for p in parts for i in p.ground_truth["images"]] == [
        i["id"] for i in gt["images"]
    ]
    assert sum(len(p.ground_truth["annotations"]) for p in parts) == len(gt["annotations"])
    assert sorted(i for p in parts for i in p.result_ids.tolist()) == list(range(1, len(dt) + 1))
    assert all(p.ground_truth["categories"] == gt["categories"] for p in parts)
    # More partitions than images: one per image.
    assert len(split_coco(gt, dt, 50)) == 13


def test_bad_input_is_named():
    gt, dt = _sample(1, num_images=6)
    stray = [*dt, {"image_id": 999_999, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.5}]
    with pytest.raises(InputError, match=rf"record {len(dt)}: image_id 999999 is not in"):
        split_coco(gt, stray, 2)
    with pytest.raises(InputError, match="at least 1"):
        split_coco(gt, dt, 0)
    with pytest.raises(InputError, match="at least 1"):
        split_columns(*to_columns(gt, dt), 0)
    with pytest.raises(InputError, match="2 ground-truth partitions but 1 prediction"):
        evaluate([gt, gt], [dt])
    with pytest.raises(InputError, match="unknown executor 'spark'"):
        evaluate_coco(gt, dt, 2, executor="spark")  # type: ignore[arg-type]
    # Partitions that share frames cannot merge.
    with pytest.raises(ShoalError, match="share frames"):
        evaluate([gt, gt], [dt, dt])
    # A partition's own bad input reads as the reader's error.
    broken = [*dt[:2], {"image_id": dt[0]["image_id"], "category_id": 1, "score": 0.5}]
    with pytest.raises(InputError):
        evaluate([gt], [broken])


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.mark.slow
def test_ray_tasks_on_a_local_cluster_merge_to_the_single_process_evaluation(local_ray):
    gt, dt = _sample(21, num_images=60)
    single = shoal.evaluate_detections(gt, dt)
    for num_parts in (2, 5, None):  # None: one per CPU of the cluster
        merged = evaluate_coco(gt, dt, num_parts, executor="ray")
        assert_identical(merged, single)
    # Separate partitions as Ray tasks, and a partition's bad input as the reader's error.
    parts = split_coco(gt, dt, 2)
    merged = evaluate([p.ground_truth for p in parts], [p.results for p in parts], executor="ray")
    assert merged.coco_summary().stats == single.coco_summary().stats
    stray = [{"image_id": gt["images"][0]["id"], "category_id": 1, "score": 0.5}]
    with pytest.raises(InputError):
        evaluate([parts[0].ground_truth], [stray], executor="ray")
    # Masks: each task reads its partition's, and its similarity travels back.
    fake100 = validation_folder("cocoapi-val2014-fake100")
    files = (
        fake100 / "instances_val2014_100.json",
        fake100 / "instances_val2014_fakesegm100_results.json",
    )
    segm = evaluate_coco(*files, 3, executor="ray", iou_type="segm")
    single_segm = shoal.evaluate_detections(*files, iou_type="segm")
    assert_identical(segm, single_segm)
    assert np.array_equal(segm.report(0.1, 0.03).tp, single_segm.report(0.1, 0.03).tp)


def test_the_cli_refuses_bad_ray_options(tmp_path, capsys):
    gt, dt = _sample(2, num_images=5)
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "dt.json").write_text(json.dumps(dt))
    files = [str(tmp_path / "gt.json"), str(tmp_path / "dt.json")]
    assert main(["eval", *files, "--partitions", "2"]) == 2
    assert "--partitions needs --ray ADDRESS" in capsys.readouterr().err
    assert main(["eval", *files, "--ray", "local", "--partitions", "0"]) == 2
    assert "at least 1" in capsys.readouterr().err


@pytest.mark.slow
def test_shoal_eval_on_ray_writes_the_single_process_numbers(tmp_path):
    pytest.importorskip("ray")
    gt, dt = _sample(9, num_images=30)
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "dt.json").write_text(json.dumps(dt))
    files = [str(tmp_path / "gt.json"), str(tmp_path / "dt.json"), "--conf", "0.3"]
    # Boxes come back in file order: TIDE and the label-error queue read them as without Ray.
    files += ["--tide", "--label-errors"]
    # A subprocess: the command starts (and stops) its own local Ray.
    for extra, out in (([], "single.json"), (["--ray", "local", "--partitions", "3"], "ray.json")):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "shoal.cli",
                "eval",
                *files,
                *extra,
                "--json",
                str(tmp_path / out),
            ],
            check=True,
            capture_output=True,
        )
    single = json.loads((tmp_path / "single.json").read_text())
    on_ray = json.loads((tmp_path / "ray.json").read_text())
    for key in ("coco", "report", "confusion_matrix", "settings", "tide", "label_errors"):
        assert on_ray[key] == single[key], key
    # Masks: --iou-type segm on Ray, each task reading its partition's masks.
    fake100 = validation_folder("cocoapi-val2014-fake100")
    segm = [
        str(fake100 / "instances_val2014_100.json"),
        str(fake100 / "instances_val2014_fakesegm100_results.json"),
        "--iou-type",
        "segm",
    ]
    for extra, out in (
        ([], "segm.json"),
        (["--ray", "local", "--partitions", "2"], "segm-ray.json"),
    ):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "shoal.cli",
                "eval",
                *segm,
                *extra,
                "--json",
                str(tmp_path / out),
            ],
            check=True,
            capture_output=True,
        )
    single, on_ray = (
        json.loads((tmp_path / f).read_text()) for f in ("segm.json", "segm-ray.json")
    )
    for key in ("coco", "report", "confusion_matrix", "settings"):
        assert on_ray[key] == single[key], key


@pytest.mark.parametrize("num_parts", [2, 7])
def test_segm_partitions_merge_to_the_single_process_evaluation(num_parts):
    fake100 = validation_folder("cocoapi-val2014-fake100")
    gt = fake100 / "instances_val2014_100.json"
    dt = fake100 / "instances_val2014_fakesegm100_results.json"
    single = shoal.evaluate_detections(gt, dt, iou_type="segm")
    merged = evaluate_coco(gt, dt, num_parts, iou_type="segm")
    assert merged.similarity is not None and merged.params == single.params
    assert_identical(merged, single)
    # Below the kept candidates: pairs measured with the merged masks, not boxes.
    for conf, iou in ((0.1, 0.02), (0.3, 0.04)):
        a, b = merged.report(conf, iou), single.report(conf, iou)
        for name in ("tp", "fp", "fn"):
            assert np.array_equal(getattr(a, name), getattr(b, name)), (iou, name)
        assert np.array_equal(
            merged.confusion_matrix(conf, iou).matrix, single.confusion_matrix(conf, iou).matrix
        )
