"""``shoal check``: the regression-test gate, its exit codes and JUnit output."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from shoal.store import Store
from shoal.tables import InferenceTables

from coco_oracle import coco_sample
from conftest import run_cli


@pytest.fixture
def home(tmp_path):
    _, _, dataset_tables, inference_tables = coco_sample(seed=41, num_images=12)
    store = Store(tmp_path)
    dataset = store.create_project("p", default_conf=0.2).create_dataset("val", dataset_tables)
    good = dataset.create_inference_set("good", inference_tables)
    few = inference_tables.predictions.filter(
        np.arange(inference_tables.predictions.num_rows) % 5 == 0
    )
    dataset.create_inference_set("sparse", InferenceTables.build(few))
    recall = good.regression_results()[0].recall.score
    frames = dataset.frames().column("frame_id").to_pylist()
    # The good model passes by construction; the sparse one finds far fewer objects.
    dataset.create_segment(
        "everything", type="regression_test", frames=frames, recall=round(recall - 0.01, 2)
    )
    dataset.create_segment("untested", type="scenario", frames=frames[:3])
    store.close()
    return str(tmp_path)


def test_passing_and_failing_exit_codes(home, tmp_path):
    passing = run_cli("check", "--project", "p", "--inference-set", "good", "--home", home)
    assert passing.returncode == 0, passing.stderr
    assert "all 1 regression test(s) passed" in passing.stderr
    failing = run_cli(
        "check",
        "--project",
        "p",
        "--inference-set",
        "sparse",
        "--home",
        home,
        "--junit",
        str(tmp_path / "j.xml"),
    )
    assert failing.returncode == 1
    assert "1 regression test(s) failed: everything" in failing.stderr
    assert "FAIL" in failing.stdout
    suite = ET.parse(tmp_path / "j.xml").getroot()
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "1", "2")
    failure = suite.find("testcase[@name='everything']/failure")
    assert failure is not None and failure.get("message", "").startswith("recall ")


def test_baseline_deltas(home):
    done = run_cli(
        "check", "--project", "p", "--inference-set", "good", "--baseline", "sparse", "--home", home
    )
    assert done.returncode == 0
    line = next(row for row in done.stdout.splitlines() if row.startswith("everything"))
    assert "(+" in line


def test_same_metrics_as_the_python_api(home):
    results = (
        Store(home)
        .project("p")
        .dataset("val")
        .inference_set("good")
        .regression_results(conf=0.5, iou=0.3)
    )
    done = run_cli(
        "check",
        "--project",
        "p",
        "--inference-set",
        "good",
        "--conf",
        "0.5",
        "--iou",
        "0.3",
        "--home",
        home,
    )
    everything = next(row for row in done.stdout.splitlines() if row.startswith("everything"))
    assert f"{results[1].recall.score:.3f}" in everything


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--project", "nope", "--inference-set", "good"), "no project named 'nope'"),
        (("--project", "p", "--inference-set", "nope"), "has no inference set 'nope'"),
        (
            ("--project", "p", "--inference-set", "good", "--conf", "3"),
            "--conf 3.0 is not in [0, 1]",
        ),
    ],
)
def test_bad_input_exits_2(home, args, message):
    done = run_cli("check", *args, "--home", home)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_no_thresholds_is_not_a_pass(tmp_path):
    _, _, dataset_tables, inference_tables = coco_sample(seed=43, num_images=6)
    store = Store(tmp_path)
    dataset = store.create_project("p").create_dataset("val", dataset_tables)
    dataset.create_inference_set("m", inference_tables)
    dataset.create_segment("some", frames=dataset.frames().column("frame_id").to_pylist()[:2])
    store.close()
    args = ("check", "--project", "p", "--inference-set", "m", "--home", str(tmp_path))
    refused = run_cli(*args, "--junit", str(tmp_path / "j.xml"))
    assert refused.returncode == 1, refused.stderr
    assert "no segment has a threshold: nothing was checked" in refused.stderr
    assert "shoal segment set" in refused.stderr and "--allow-empty" in refused.stderr
    assert "passed" not in refused.stderr
    suite = ET.parse(tmp_path / "j.xml").getroot()
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("2", "0", "2")
    allowed = run_cli(*args, "--allow-empty")
    assert allowed.returncode == 0, allowed.stderr
    assert "nothing was checked" in allowed.stderr
    assert allowed.stdout == refused.stdout
