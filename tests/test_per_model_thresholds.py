"""Each model at its own thresholds: ``other_conf`` / ``other_iou`` on /metrics and
/compare (and the client, and ``shoal check --baseline-conf``) change only that model's
numbers; IoU over its whole range 0.05..0.95 on every route."""

# ruff: noqa: F811 (the fixtures imported from demo_api are the parameters named after them)
from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from fastapi.testclient import TestClient

import shoal
from demo_api import DIGITS, SHAPES, api, error, ok, remote, set_names, store  # noqa: F401
from shoal.client import Client


def report_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    return result["report"]["classes"]


def test_metrics_second_set_at_its_own_thresholds(api: TestClient, store: shoal.Store) -> None:
    first, second = set_names(api, SHAPES)
    both = {"inference_set": [first, second], "conf": "0.2", "iou": 0.5}
    same = ok(api.get(f"{SHAPES}/metrics", params=both))
    moved = ok(api.get(f"{SHAPES}/metrics", params={**both, "other_conf": "0.8", "other_iou": 0.3}))
    # The first set's numbers do not move; the second's are its own at (0.8, 0.3).
    assert moved["results"][0] == same["results"][0]
    assert (moved["results"][0]["conf"], moved["results"][0]["iou"]) == (0.2, 0.5)
    assert (moved["results"][1]["conf"], moved["results"][1]["iou"]) == (0.8, 0.3)
    assert moved["results"][1]["report"] != same["results"][1]["report"]
    dataset = store.project("shapes").dataset("rendered-scenes")
    local = dataset.inference_set(second).metrics(conf=0.8, iou=0.3, include=["report"])
    assert report_rows(moved["results"][1]) == local.to_dict()["report"]["classes"]


def test_compare_moves_only_the_other_side(api: TestClient, store: shoal.Store) -> None:
    base, other = set_names(api, SHAPES)
    params = {"base": base, "other": other, "conf": "0.2", "iou": 0.5}
    same = ok(api.get(f"{SHAPES}/compare", params=params))
    moved = ok(api.get(f"{SHAPES}/compare", params={**params, "other_conf": "0.9"}))
    assert (moved["other_conf"], moved["other_iou"]) == (0.9, 0.5)
    assert moved["confusion_matrix"]["other_conf"] == 0.9
    for label, metrics in moved["classes"].items():
        for name, values in metrics.items():
            assert values["base"] == same["classes"][label][name]["base"], (label, name)
    assert moved["confusion_matrix"]["base"] == same["confusion_matrix"]["base"]
    assert moved["confusion_matrix"]["other"] != same["confusion_matrix"]["other"]
    # The other side is that set's own answer at (0.9, 0.5).
    dataset = store.project("shapes").dataset("rendered-scenes")
    own = dataset.inference_set(other).metrics(conf=0.9, iou=0.5, include=["report"]).report
    assert own is not None
    for label, metrics in moved["classes"].items():
        assert metrics["tp"]["other"] == own.row(label)["tp"]
    # Moving the base alone (conf) with the other pinned leaves the other's side.
    pinned = ok(api.get(f"{SHAPES}/compare", params={**params, "conf": "0.6", "other_conf": "0.2"}))
    assert pinned["confusion_matrix"]["other"] == same["confusion_matrix"]["other"]
    assert pinned["confusion_matrix"]["base"] != same["confusion_matrix"]["base"]


def test_other_conf_per_class_and_bad_values(api: TestClient) -> None:
    base, other = set_names(api, SHAPES)
    params = {"base": base, "other": other}
    answer = ok(api.get(f"{SHAPES}/compare", params={**params, "other_conf": '{"circle": 0.7}'}))
    assert answer["other_conf"] == {"circle": 0.7}
    # The other's report states every class's threshold (classes not named use 0).
    assert answer["confusion_matrix"]["other_conf"]["square"] == 0.0
    body = error(api.get(f"{SHAPES}/compare", params={**params, "other_conf": "2"}), 422)
    assert body["where"] == "query.other_conf" and "2.0 is not in [0, 1]" in body["detail"]
    body = error(api.get(f"{SHAPES}/compare", params={**params, "other_conf": "{"}), 422)
    assert body["detail"] == "other_conf is not valid JSON"
    body = error(api.get(f"{SHAPES}/compare", params={**params, "other_conf": '{"dog": 1}'}), 422)
    assert body["where"] == "query.other_conf" and "dog" in body["detail"]
    error(api.get(f"{SHAPES}/compare", params={**params, "other_iou": 0}), 422)


def test_classification_other_conf(api: TestClient) -> None:
    base, other = set_names(api, DIGITS)
    params = {"base": base, "other": other, "conf": "0.0"}
    same = ok(api.get(f"{DIGITS}/compare", params=params))
    moved = ok(api.get(f"{DIGITS}/compare", params={**params, "other_conf": "0.9"}))
    assert moved["other_iou"] is None and moved["iou"] is None
    assert moved["confusion_matrix"]["base"] == same["confusion_matrix"]["base"]
    assert moved["confusion_matrix"]["other"] != same["confusion_matrix"]["other"]


def test_client_compare_equals_the_store(remote: Client, store: shoal.Store) -> None:
    dataset = store.project("shapes").dataset("rendered-scenes")
    base, other = (s.name for s in dataset.inference_sets())
    far = remote.compare(
        "shapes", None, base, other, conf=0.3, iou=0.5, other_conf=0.7, other_iou=0.35
    )
    near = dataset.inference_set(base).compare(
        dataset.inference_set(other), conf=0.3, iou=0.5, other_conf=0.7, other_iou=0.35
    )
    assert far.to_dict() == near.to_dict()
    assert (far.other.conf, far.other.iou) == (0.7, 0.35)
    answer = remote.metrics("shapes", None, [base, other], conf=0.3, other_conf=0.7)
    assert [r["conf"] for r in answer["results"]] == [0.3, 0.7]


@pytest.mark.parametrize("iou", [0.05, 0.95, 0.37])
def test_every_route_takes_an_iou_over_the_whole_range(api: TestClient, iou: float) -> None:
    base, other = set_names(api, SHAPES)
    grid = {"iou": iou, "conf": "0.1"}
    metrics = ok(
        api.get(
            f"{SHAPES}/metrics",
            params={**grid, "inference_set": [base, other], "include": ["report", "pr_curves"]},
        )
    )
    assert metrics["iou"] == iou and metrics["results"][0]["report"]["iou"] == iou
    assert iou in metrics["results"][0]["iou_thresholds"]
    assert (
        ok(api.get(f"{SHAPES}/compare", params={**grid, "base": base, "other": other}))["iou"]
        == iou
    )
    examples = ok(api.get(f"{SHAPES}/inference-sets/{base}/examples", params=grid))
    assert examples["iou"] == iou
    ok(api.get(f"{SHAPES}/inference-sets/{base}/regression", params=grid))
    assert ok(api.get(f"{SHAPES}/summary", params=grid))["iou"] == iou
    changed = ok(
        api.get(f"{SHAPES}/compare/examples", params={**grid, "base": base, "other": other})
    )
    assert changed["iou"] == iou
    # A stricter IoU never matches more: true positives fall (or stay) as the IoU rises.
    loose = ok(api.get(f"{SHAPES}/metrics", params={"inference_set": base, "iou": 0.05}))
    strict = ok(api.get(f"{SHAPES}/metrics", params={"inference_set": base, "iou": 0.95}))
    tp = [sum(c["tp"] for c in r["results"][0]["report"]["classes"]) for r in (loose, strict)]
    assert tp[0] >= tp[1]


def test_iou_outside_the_range_is_refused(api: TestClient) -> None:
    base = set_names(api, SHAPES)[0]
    for bad in (0, -0.1, 1.01):
        body = error(api.get(f"{SHAPES}/metrics", params={"inference_set": base, "iou": bad}), 422)
        assert "iou" in str(body["where"])


def check(home: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "shoal.cli", "check", "--home", home, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_shoal_check_baseline_at_its_own_thresholds(store: shoal.Store) -> None:
    dataset = store.project("shapes").dataset("rendered-scenes")
    checked, baseline = (s.name for s in dataset.inference_sets())
    common = ["--project", "shapes", "--inference-set", checked, "--baseline", baseline]
    common += ["--conf", "0.2", "--allow-empty"]
    home = str(store.home.path)
    same = check(home, *common)
    moved = check(home, *common, "--baseline-conf", "0.9")
    assert same.returncode in (0, 1) and moved.returncode == same.returncode, moved.stderr
    # The checked set's scores are printed the same; only the deltas against the
    # baseline (at its own threshold now) change.
    local = dataset.inference_set(checked).regression_results(conf=0.2)[0]
    assert f"{local.precision.score:.3f}" in moved.stdout
    pinned = dataset.inference_set(baseline).regression_results(conf=0.9)[0]
    delta = f"({local.precision.score - pinned.precision.score:+.3f})"
    assert delta in moved.stdout and moved.stdout != same.stdout
    bad = check(home, *common, "--baseline-iou", "1.5")
    assert bad.returncode == 2 and "--baseline-iou" in bad.stderr
