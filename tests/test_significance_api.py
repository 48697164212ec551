"""Calibration and significance through every face: the store equals the analysis
functions on its evaluations, REST (GET .../compare/significance and
.../inference-sets/{s}/calibration) and the client equal the store, bad parameters are
4xx, and ``shoal check --baseline --significant`` gates on the intervals (locally and
against a server)."""

# ruff: noqa: F811 (the fixtures imported from demo_api are the parameters named after them)
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

import shoal
from demo_api import DIGITS, SHAPES, api, error, ok, remote, set_names, store  # noqa: F401
from shoal.analysis import Calibration, Significance, calibration, paired_bootstrap
from shoal.client import Client
from shoal.server import create_app
from shoal.tables import InferenceTables
from test_client import serve

from coco_oracle import coco_sample
from conftest import run_cli


def test_store_significance_is_the_analysis_on_its_evaluations(store: shoal.Store) -> None:
    dataset = store.project("shapes").dataset("rendered-scenes")
    first, second = (s.name for s in dataset.inference_sets())
    base, other = dataset.inference_set(first), dataset.inference_set(second)
    found = base.significance(other, conf=0.3, iou=0.5, resamples=300, seed=2)
    expected = paired_bootstrap(
        _evaluation(base),
        _evaluation(other),
        conf=0.3,
        iou=0.5,
        resamples=300,
        seed=2,
    )
    assert found == expected
    compared = base.compare(other, conf=0.3, iou=0.5).class_deltas()
    for label in found.labels:
        assert found.interval(label, "recall").delta == pytest.approx(
            compared[label]["recall"]["delta"]
        )


def _evaluation(inference_set: shoal.store.InferenceSet) -> shoal.Evaluation:
    with inference_set.evaluation() as evaluation:
        return evaluation


def test_rest_and_client_significance_equal_the_store(
    api: TestClient, remote: Client, store: shoal.Store
) -> None:
    first, second = set_names(api, SHAPES)
    dataset = store.project("shapes").dataset("rendered-scenes")
    segments = [s.name for s in dataset.segments()]
    segment = segments[-1]
    params = {"base": first, "other": second, "conf": "0.4", "iou": 0.5, "resamples": 400}
    answer = ok(api.get(f"{SHAPES}/compare/significance", params={**params, "segment": segment}))
    local = dataset.inference_set(first).significance(
        dataset.inference_set(second), conf=0.4, iou=0.5, segment=segment, resamples=400
    )
    assert Significance.from_dict(answer) == local
    assert (answer["base"], answer["other"], answer["segment"]) == (first, second, segment)
    assert (answer["conf"], answer["iou"], answer["seed"]) == (0.4, 0.5, 0)
    assert answer["frame_count"] == len(dataset.segment(segment).selection() or [])
    through_client = remote.significance(
        "shapes", None, first, second, conf=0.4, iou=0.5, segment=segment, resamples=400
    )
    assert through_client == local
    # The same seed gives the same answer; the point values are /compare's.
    again = ok(api.get(f"{SHAPES}/compare/significance", params={**params, "segment": segment}))
    assert again == answer
    compared = ok(api.get(f"{SHAPES}/compare", params={**params, "segment": segment}))
    micro = Significance.from_dict(answer).interval("micro avg", "precision")
    assert micro.base == pytest.approx(
        shoal.analysis.Comparison.from_dict(compared).base.averages()["micro avg"]["precision"]
    )


def test_rest_and_client_calibration_equal_the_store(
    api: TestClient, remote: Client, store: shoal.Store
) -> None:
    for path, project, dataset_name, metric in (
        (SHAPES, "shapes", "rendered-scenes", "D-ECE"),
        (DIGITS, "digits", "handwritten-digits", "ECE"),
    ):
        name = set_names(api, path)[0]
        dataset = store.project(project).dataset(dataset_name)
        answer = ok(
            api.get(f"{path}/inference-sets/{name}/calibration", params={"conf": "0.3", "bins": 8})
        )
        assert answer["metric"] == metric and answer["inference_set"] == name
        local = dataset.inference_set(name).calibration(conf=0.3, bins=8)
        assert answer["overall"] == local.to_dict()["overall"]
        assert Calibration.from_dict(answer).ece == pytest.approx(local.ece)
        with dataset.inference_set(name).evaluation() as evaluation:
            direct = calibration(evaluation, conf=0.3, iou=dataset.project.default_iou, bins=8)
        assert direct.to_dict()["classes"] == answer["classes"]
        client = remote.calibration(project, name, conf=0.3, bins=8)
        assert client.to_dict() == Calibration.from_dict(answer).to_dict()
        assert client.overall.total > 0


def test_bad_parameters_are_4xx(api: TestClient) -> None:
    first, second = set_names(api, SHAPES)
    base = {"base": first, "other": second}
    error(api.get(f"{SHAPES}/compare/significance", params={**base, "resamples": 0}), 422)
    error(api.get(f"{SHAPES}/compare/significance", params={**base, "seed": -1}), 422)
    error(api.get(f"{SHAPES}/compare/significance", params={"base": first, "other": "nope"}), 404)
    error(api.get(f"{SHAPES}/compare/significance", params={**base, "segment": "nope"}), 404)
    error(api.get(f"{SHAPES}/inference-sets/{first}/calibration", params={"bins": 0}), 422)
    error(api.get(f"{SHAPES}/inference-sets/nope/calibration"), 404)


@pytest.fixture
def home(tmp_path: Path) -> str:
    _, _, dataset_tables, inference_tables = coco_sample(seed=43, num_images=40)
    store = shoal.Store(tmp_path)
    dataset = store.create_project("p", default_conf=0.2).create_dataset("val", dataset_tables)
    dataset.create_inference_set("good", inference_tables)
    predictions = inference_tables.predictions
    few = predictions.filter(np.arange(predictions.num_rows) % 4 == 0)
    dataset.create_inference_set("sparse", InferenceTables.build(few))
    dataset.create_segment("untested", type="scenario", frames=dataset.frames()["frame_id"][:20])
    store.close()
    return str(tmp_path)


def _check(home: str, checked: str, baseline: str, *more: str) -> tuple[int, str, str]:
    done = run_cli(
        "check", "--project", "p", "--inference-set", checked, "--baseline", baseline,
        "--significant", "--resamples", "500", "--home", home, *more,
    )  # fmt: skip
    return done.returncode, done.stdout, done.stderr


def test_check_significant_gates_on_the_intervals(home: str, tmp_path: Path) -> None:
    # sparse keeps a quarter of good's predictions: its recall drop is real.
    code, out, err = _check(home, "sparse", "good", "--junit", str(tmp_path / "j.xml"))
    assert code == 1, err
    # JUnit: a significant drop is a failure, naming the metric and its interval; a
    # segment without thresholds whose intervals were checked is not skipped.
    suite = ET.parse(tmp_path / "j.xml").getroot()
    regressed = err.split("(95% interval below zero): ")[1].splitlines()[0].split(", ")
    assert suite.get("failures") == str(len(regressed)) and suite.get("skipped") == "0"
    failure = suite.find("testcase[@name='All Frames']/failure")
    assert failure is not None
    assert "recall -" in failure.get("message", "")
    assert "against the baseline" in failure.get("message", "")
    assert "regressed significantly against good" in err and "All Frames" in err
    row = next(line for line in out.splitlines() if line.startswith("All Frames"))
    assert "REGRESSED" in row and "worse" in row
    store = shoal.Store(home)
    dataset = store.project("p").dataset("val")
    expected = dataset.inference_set("good").significance(
        dataset.inference_set("sparse"), resamples=500
    )
    recall = expected.interval("micro avg", "recall")
    assert recall.direction == "worse"
    assert f"[{recall.low:+.3f}, {recall.high:+.3f}]" in row
    # The other way round recall improves significantly, while precision may drop
    # (sparse keeps the top of each image's list): the exit code follows the intervals.
    code, out, err = _check(home, "good", "sparse")
    reverse = dataset.inference_set("sparse").significance(
        dataset.inference_set("good"), resamples=500
    )
    assert reverse.interval("micro avg", "recall").direction == "better"
    assert "better" in out
    worse = [
        metric
        for metric in ("precision", "recall", "f1-score")
        if reverse.interval("micro avg", metric).direction == "worse"
    ]
    assert code == (1 if worse else 0), err
    # The untested segment's 20 frames are resampled on their own.
    part = dataset.inference_set("sparse").significance(
        dataset.inference_set("good"), segment="untested", resamples=500
    )
    assert part.frame_count == 20
    recall = part.interval("micro avg", "recall")
    row = next(line for line in out.splitlines() if line.startswith("untested"))
    assert f"({recall.delta:+.3f} [{recall.low:+.3f}, {recall.high:+.3f}]" in row
    # Against itself every interval is [0, 0].
    code, out, _ = _check(home, "good", "good")
    assert code == 0 and "[+0.000, +0.000]" in out
    # --significant without --baseline is bad input.
    refused = run_cli("check", "--project", "p", "--inference-set", "good", "--significant",
                      "--home", home)  # fmt: skip
    assert refused.returncode == 2 and "--significant needs --baseline" in refused.stderr
    bad_seed = run_cli("check", "--project", "p", "--inference-set", "good", "--baseline",
                       "sparse", "--significant", "--seed", "-3", "--home", home)  # fmt: skip
    assert bad_seed.returncode == 2 and "seed must be a non-negative" in bad_seed.stderr
    assert "Traceback" not in bad_seed.stderr


def test_check_significant_against_a_server(home: str) -> None:
    local = _check(home, "sparse", "good")
    with serve(create_app(shoal.Store(home))) as url:
        code, out, err = _check(home, "sparse", "good", "--url", url)
    assert code == 1, err
    assert out == local[1]
