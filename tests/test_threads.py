"""Threads: every number is the same for any thread count, and the count is set clearly.

The kernels split their work only above a minimum per thread; these tests lower it to
one unit so that even the small public fixtures run split across 2, 3 and 7 threads.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from shoal import _native
from shoal.engine.detection import kernels
from shoal.engine.detection.evaluator import DetectionEvaluation, evaluate
from shoal.errors import InputError

from coco_oracle import pycocotools_stats, random_coco, to_columns
from conftest import validation_folder

THREAD_COUNTS = (2, 3, 7)

# Every COCO detection fixture of ../shared/validation: (folder, ground truth, results).
COCO_FIXTURES = [
    ("cocoapi-val2014-fake100", "instances_val2014_100.json",
     "instances_val2014_fakebbox100_results.json"),
    ("detectron2-coco-eval-sample", "gt_val2017_img139_285.json", "dt_img139.json"),
    ("faster-coco-eval-ignore-crowd", "gt_ignore_test.json", "dt_ignore_test.json"),
    ("rafaelpadilla-review-object-detection-metrics",
     "tests/test_coco_eval/gts/sampled_gts_bbox_area.json",
     "tests/test_coco_eval/dets/sampled_bbox_results.json"),
    ("torchmetrics-map-sample", "inputs_v2021_img133_gt_coco.json",
     "inputs_v2021_img133_dt_coco.json"),
    ("torchmetrics-map-sample", "inputs_v2022_img987_gt_coco.json",
     "inputs_v2022_img987_dt_coco.json"),
]  # fmt: skip


@pytest.fixture
def split_everything() -> Iterator[None]:
    """Kernels split any input, however small, across every thread they are given."""
    previous = kernels.set_min_work_per_thread(1)
    try:
        yield
    finally:
        kernels.set_min_work_per_thread(previous)
        _native.set_threads(None)


def load_fixture(folder: str, gt_name: str, dt_name: str) -> tuple[dict, list]:
    root = validation_folder(folder)
    gt = json.loads((root / gt_name).read_text())
    dt = json.loads((root / dt_name).read_text())
    if isinstance(dt, dict):  # a results file wrapped as {"annotations": [...]}
        dt = dt["annotations"]
    # One image id type per file (one fixture mixes "2299" and 2299 for one image).
    for record in [*gt["images"], *gt["annotations"], *dt]:
        key = "id" if "image_id" not in record else "image_id"
        record[key] = int(record[key])
    return gt, dt


def flattened(value: Any, name: str = "") -> Iterator[tuple[str, Any]]:
    """(path, leaf) of every array and scalar inside results, dataclasses and dicts."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from flattened(getattr(value, field.name), f"{name}.{field.name}")
    elif isinstance(value, dict):
        for key in value:
            yield from flattened(value[key], f"{name}[{key!r}]")
    elif isinstance(value, list | tuple) and not all(isinstance(v, str) for v in value):
        for i, item in enumerate(value):
            yield from flattened(item, f"{name}[{i}]")
    else:
        yield name, value


def everything(ev: DetectionEvaluation) -> dict[str, Any]:
    """Every number an evaluation gives: kept state, COCO summary (stats, precision and
    recall arrays), reports, matrices, outcomes, curves, AP, and a new IoU threshold."""
    some_frames = list(ev.frame_ids[::2])
    return {
        "kept": ev.kept_state(),
        "summary": ev.coco_summary(),
        "summary_frames": ev.coco_summary(frames=some_frames),
        "report": ev.report(0.3, 0.5),
        "report_frames": ev.report(0.0, 0.75, frames=some_frames),
        "matrix": ev.confusion_matrix(0.2, 0.5),
        "outcomes": ev.outcomes(0.25, 0.6),
        "curves": ev.pr_curves(iou=0.5),
        "best": ev.best_thresholds(iou=0.7),
        "ap": ev.average_precision(0.5, interpolation="voc_all"),
        "off_grid": ev.report(0.1, 0.62),
        "off_grid_matrix": ev.confusion_matrix(0.1, 0.33),
        "kept_after": ev.kept_state(),
    }


def assert_identical(expected: dict[str, Any], actual: dict[str, Any], where: str) -> None:
    left, right = dict(flattened(expected)), dict(flattened(actual))
    assert left.keys() == right.keys(), where
    for path, a in left.items():
        b = right[path]
        if isinstance(a, np.ndarray):
            assert a.dtype == b.dtype and a.shape == b.shape, (where, path)
            # Bit for bit: the bytes, so that even -0.0 against 0.0 would differ.
            assert a.tobytes() == b.tobytes(), (where, path)
        else:
            assert a == b or (a != a and b != b), (where, path, a, b)


def evaluated_with(threads: int, gt: dict, dt: list, **options: Any) -> dict[str, Any]:
    _native.set_threads(threads)
    return everything(evaluate(*to_columns(gt, dt), **options))


def assert_same_for_every_thread_count(gt: dict, dt: list, **options: Any) -> dict[str, Any]:
    expected = evaluated_with(1, gt, dt, **options)
    for threads in THREAD_COUNTS:
        assert_identical(expected, evaluated_with(threads, gt, dt, **options), f"{threads=}")
    return expected


@pytest.mark.parametrize(("folder", "gt_name", "dt_name"), COCO_FIXTURES)
def test_fixtures_identical_for_any_thread_count(split_everything, folder, gt_name, dt_name):
    gt, dt = load_fixture(folder, gt_name, dt_name)
    result = assert_same_for_every_thread_count(gt, dt)
    # And still pycocotools' statistics, to the bit.
    assert result["summary"].stats == pycocotools_stats(gt, dt)


@pytest.mark.parametrize("seed", range(12))
def test_random_data_identical_for_any_thread_count(split_everything, seed):
    """Crowds, images without ground truth or predictions, tied scores, classes without
    ground truth and more than 100 predictions of a class in an image."""
    rng = np.random.default_rng(1000 + seed)
    gt, dt = random_coco(
        rng,
        num_images=int(rng.integers(1, 40)),
        num_classes=int(rng.integers(1, 7)),
        max_dt=int(rng.choice([30, 150])),
        crowd_rate=0.15,
    )
    result = assert_same_for_every_thread_count(gt, dt)
    assert result["summary"].stats == pycocotools_stats(gt, dt)


@pytest.mark.parametrize("seed", range(3))
def test_voc_protocol_identical_for_any_thread_count(split_everything, seed):
    rng = np.random.default_rng(2000 + seed)
    gt, dt = random_coco(rng, num_images=20, num_classes=4, max_dt=120)
    _native.set_threads(1)
    ev = evaluate(*to_columns(gt, dt), protocol="voc", pixel_inclusive=True)
    expected = {"kept": ev.kept_state(), "ap": ev.average_precision(0.5), "report": ev.report()}
    for threads in THREAD_COUNTS:
        _native.set_threads(threads)
        ev = evaluate(*to_columns(gt, dt), protocol="voc", pixel_inclusive=True)
        actual = {"kept": ev.kept_state(), "ap": ev.average_precision(0.5), "report": ev.report()}
        assert_identical(expected, actual, f"{threads=}")


def test_random_data_with_default_splitting_identical():
    """Large enough for the default minimum work per thread to split it."""
    rng = np.random.default_rng(7)
    gt, dt = random_coco(rng, num_images=400, num_classes=6, max_dt=150)
    try:
        assert_same_for_every_thread_count(gt, dt)
    finally:
        _native.set_threads(None)


# ------------------------------------------------------------------ the count itself
@pytest.fixture
def no_thread_setting(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    monkeypatch.delenv("SHOAL_THREADS", raising=False)
    _native.set_threads(None)
    yield monkeypatch
    _native.set_threads(None)


def test_thread_count_follows_the_machine(no_thread_setting):
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if hasattr(os, "process_cpu_count"):
        expected = os.process_cpu_count()
    assert _native.thread_count() == _native.machine_threads() == min(expected, 64)


@pytest.mark.parametrize(("text", "count"), [("1", 1), ("2", 2), (" 3 ", 3), ("64", 64)])
def test_shoal_threads_sets_the_count(no_thread_setting, text, count):
    no_thread_setting.setenv("SHOAL_THREADS", text)
    assert _native.thread_count() == count


def test_empty_shoal_threads_means_the_machine(no_thread_setting):
    no_thread_setting.setenv("SHOAL_THREADS", "")
    assert _native.thread_count() == _native.machine_threads()


@pytest.mark.parametrize("text", ["0", "-2", "65", "1.5", "two", "2x"])
def test_bad_shoal_threads_is_a_clear_error(no_thread_setting, text):
    no_thread_setting.setenv("SHOAL_THREADS", text)
    with pytest.raises(InputError, match=r"^SHOAL_THREADS: .*(thread count|out of range)"):
        _native.thread_count()


def test_set_threads_wins_over_the_environment(no_thread_setting):
    no_thread_setting.setenv("SHOAL_THREADS", "3")
    _native.set_threads(1)
    assert _native.thread_count() == 1
    _native.set_threads(None)
    assert _native.thread_count() == 3
    with pytest.raises(InputError, match="out of range"):
        _native.set_threads(0)


def run_eval(*args: str, threads_variable: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SHOAL_THREADS"}
    if threads_variable is not None:
        env["SHOAL_THREADS"] = threads_variable
    return subprocess.run(
        [sys.executable, "-m", "shoal.cli", "eval", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=env,
        check=False,
    )


def fixture_paths() -> tuple[str, str]:
    root = validation_folder("cocoapi-val2014-fake100")
    return (
        str(root / "instances_val2014_100.json"),
        str(root / "instances_val2014_fakebbox100_results.json"),
    )


def test_cli_threads_gives_the_same_json(tmp_path):
    gt, dt = fixture_paths()
    outputs = []
    for threads in ("1", "2", "3"):
        out = tmp_path / f"threads{threads}.json"
        done = run_eval(gt, dt, "--threads", threads, "--json", str(out))
        assert done.returncode == 0, done.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]


@pytest.mark.parametrize(
    ("value", "message"),
    [("0", "thread count 0 is out of range (1 to 64)"), ("many", "'many' is not a thread count")],
)
def test_cli_refuses_bad_threads(tmp_path, value, message):
    gt, dt = fixture_paths()
    done = run_eval(gt, dt, "--threads", value, "--json", str(tmp_path / "out.json"))
    assert done.returncode == 2
    assert f"argument --threads: {message}" in done.stderr
    assert not (tmp_path / "out.json").exists()


def test_cli_refuses_bad_shoal_threads_before_reading(tmp_path):
    done = run_eval(
        str(tmp_path / "absent.json"), str(tmp_path / "absent.json"), threads_variable="lots"
    )
    assert done.returncode != 0
    assert "SHOAL_THREADS: 'lots' is not a thread count" in done.stderr
