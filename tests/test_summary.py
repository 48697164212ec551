"""The project summary: every inference set of a dataset side by side per segment, and
per-class improvements between any two, each number equal to the store's own answer."""

# ruff: noqa: F811 (the fixtures imported from demo_api are the parameters named after them)
from __future__ import annotations

import numpy as np
from fastapi.testclient import TestClient

import shoal
from demo_api import DIGITS, SHAPES, api, error, ok, remote, store  # noqa: F401
from shoal.client import Client


def test_summary_is_every_sets_regression_results_side_by_side(
    api: TestClient, store: shoal.Store
) -> None:
    dataset = store.project("shapes").dataset("rendered-scenes")
    answer = ok(api.get(f"{SHAPES}/summary", params={"conf": "0.25", "iou": 0.5}))
    names = [s.name for s in dataset.inference_sets()]
    assert answer["inference_sets"] == names
    assert [s["segment"] for s in answer["segments"]] == [s.name for s in dataset.segments()]
    for name in names:
        expected = dataset.inference_set(name).regression_results(conf=0.25, iou=0.5)
        for segment, result in zip(answer["segments"], expected, strict=True):
            (row,) = [r for r in segment["results"] if r["inference_set"] == name]
            assert {k: row[k] for k in result.to_dict()} == result.to_dict()
            assert segment["frame_count"] == result.frame_count
    # mean AP: the mean of the report's per-class AP over classes with ground truth;
    # COCO AP: pycocotools' first statistic on the segment's frames.
    model = dataset.inference_set(names[0])
    everything = answer["segments"][0]["results"][0]
    metrics = model.metrics(conf=0.25, iou=0.5, include=["report", "coco_summary"])
    assert metrics.report is not None and metrics.report.ap is not None
    present = metrics.report.support > 0
    assert everything["mean_ap"] == float(np.mean(metrics.report.ap[present]))
    assert metrics.coco_summary is not None
    assert everything["coco_ap"] == metrics.coco_summary["AP"]


def test_summary_on_one_segment_with_a_query_and_a_comparison(
    api: TestClient, store: shoal.Store
) -> None:
    dataset = store.project("shapes").dataset("rendered-scenes")
    base, other = (s.name for s in dataset.inference_sets())
    params = {"segment": "crowded", "query": "noise > 0", "base": base, "other": other}
    answer = ok(api.get(f"{SHAPES}/summary", params=params))
    (segment,) = answer["segments"]
    frames = set(dataset.segment("crowded").frame_ids()) & set(dataset.query("noise > 0"))
    assert segment["segment"] == "crowded" and segment["frame_count"] == len(frames)
    compared = ok(
        api.get(
            f"{SHAPES}/compare",
            params={"base": base, "other": other, "segment": "crowded", "query": "noise > 0"},
        )
    )
    assert answer["comparison"] == compared
    assert set(compared["verdicts"]) == set(compared["classes"])
    for label, verdict in compared["verdicts"].items():
        delta = compared["classes"][label]["f1-score"]["delta"]
        assert verdict == ("better" if delta > 0 else "worse" if delta < 0 else "same")
    body = error(api.get(f"{SHAPES}/summary", params={"base": base}), 422)
    assert body["where"] == "query.other"
    error(api.get(f"{SHAPES}/summary", params={"segment": "nope"}), 404)


def test_classification_summary(api: TestClient) -> None:
    answer = ok(api.get(f"{DIGITS}/summary"))
    assert answer["iou"] is None
    for segment in answer["segments"]:
        for row in segment["results"]:
            assert row["coco_ap"] is None
            assert 0.0 <= row["f1_score"]["score"] <= 1.0


def test_client_summary(remote: Client, api: TestClient) -> None:
    assert remote.summary("shapes", conf=0.3) == ok(api.get(f"{SHAPES}/summary?conf=0.3"))
