"""Multi-label metrics over REST (a real server app, the real store) and the client,
against scikit-learn as the oracle; bad parameters are 4xx JSON naming them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient

from shoal.formats.multilabel_csv import from_multilabel_csv, from_multilabel_predictions_csv
from shoal.server import create_app
from shoal.store import Store
from test_multilabel_store import CLASSES, assert_equal_to_sklearn, random_case, write_case

SET = "/api/v1/projects/tags/datasets/val/inference-sets/model"


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> tuple[TestClient, Any, Any]:
    folder = tmp_path_factory.mktemp("multilabel_api")
    truth, scores = random_case(21, frames=90)
    labels, predictions = write_case(folder, truth, scores)
    store = Store(folder / "home")
    project = store.create_project("tags", task="multilabel", classes=CLASSES)
    dataset = project.create_dataset("val", from_multilabel_csv(labels))
    dataset.create_inference_set("model", from_multilabel_predictions_csv(predictions))
    dataset.create_segment("first half", frames=[f"f{i:04d}" for i in range(45)])
    return TestClient(create_app(store), base_url="http://localhost"), truth, scores


def test_metrics_equal_sklearn_at_global_and_per_class_thresholds(case: Any) -> None:
    client, truth, scores = case
    answer = client.get(SET + "/multilabel-metrics")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["conf"] == 0.5  # the multi-label project's default
    assert_equal_to_sklearn(body, truth, scores >= 0.5, scores)
    body = client.get(SET + "/multilabel-metrics", params={"conf": "0.25"}).json()
    assert_equal_to_sklearn(body, truth, scores >= 0.25, scores)
    per_class = '{"dog": 0.1, "sky": 0.95}'
    limits = np.asarray([{"dog": 0.1, "sky": 0.95}.get(c, 0.5) for c in CLASSES])
    body = client.get(
        SET + "/multilabel-metrics", params={"conf": per_class, "segment": "first half"}
    ).json()
    assert [row["threshold"] for row in body["classes"]] == limits.tolist()
    assert body["segment"] == "first half"
    assert_equal_to_sklearn(body, truth[:45], scores[:45] >= limits, scores[:45])


def test_examples_list_each_cell(case: Any) -> None:
    client, truth, scores = case
    c = CLASSES.index("car")
    body = client.get(
        SET + "/multilabel-examples",
        params={"label": "car", "cell": "fn", "conf": "0.6", "limit": 1000},
    ).json()
    want = {f"f{i:04d}" for i in np.flatnonzero(truth[:, c] & (scores[:, c] < 0.6))}
    assert {e["frame_id"] for e in body["examples"]} == want
    assert body["total"] == len(want) and body["cell"] == "fn"
    page = client.get(
        SET + "/multilabel-examples",
        params={"label": "car", "cell": "fn", "conf": "0.6", "offset": 1, "limit": 2},
    ).json()
    assert page["examples"] == body["examples"][1:3]


def test_one_frame_equals_the_store(case: Any) -> None:
    client, truth, scores = case
    body = client.get(SET + "/multilabel-frame", params={"frame_id": "f0003", "conf": "0.4"}).json()
    assert [row["truth"] for row in body["classes"]] == truth[3].tolist()
    assert [row["predicted"] for row in body["classes"]] == (scores[3] >= 0.4).tolist()
    assert body["conf"] == 0.4 and body["frame_id"] == "f0003"


@pytest.mark.parametrize(
    ("path", "params", "status", "where"),
    [
        ("/multilabel-metrics", {"conf": "2"}, 422, "query.conf"),
        ("/multilabel-metrics", {"conf": '{"bird": 0.2}'}, 422, "query.conf"),
        ("/multilabel-metrics", {"segment": "nope"}, 404, "query.segment"),
        ("/multilabel-metrics", {"query": "nope ==="}, 400, None),
        ("/multilabel-examples", {"label": "car", "cell": "xx"}, 422, "query.cell"),
        ("/multilabel-examples", {"label": "bird", "cell": "tp"}, 400, None),
        ("/multilabel-examples", {"cell": "tp"}, 422, "query.label"),
        ("/multilabel-examples", {"label": "car", "cell": "tp", "limit": 0}, 422, "query.limit"),
        ("/multilabel-frame", {"frame_id": "nowhere"}, 400, None),
        ("/multilabel-frame", {}, 422, "query.frame_id"),
    ],
)
def test_bad_parameters_are_4xx_json(
    case: Any, path: str, params: dict[str, str], status: int, where: str | None
) -> None:
    client, _, _ = case
    answer = client.get(SET + path, params=params)
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["detail"]
    if where is not None:
        assert body["where"] == where


def test_other_tasks_answer_400_both_ways(case: Any, tmp_path: Path) -> None:
    client, _, _ = case
    metrics = client.get(
        "/api/v1/projects/tags/datasets/val/metrics", params={"inference_set": "model"}
    )
    assert metrics.status_code == 400
    assert "multilabel" in metrics.json()["detail"]


def test_client_answers_what_the_store_does(case: Any) -> None:
    """The client over a real server (uvicorn on a port) equals the store's answer."""
    from shoal.client import Client
    from test_client import serve

    client, truth, scores = case
    store = client.app.state.shoal.store
    inference_set = store.project("tags").dataset("val").inference_set("model")
    with serve(create_app(store)) as url, Client(url) as remote:
        body = remote.multilabel_metrics("tags", "val", "model", conf={"cat": 0.2})
        page = remote.multilabel_examples("tags", "val", "model", "cat", "tp", conf={"cat": 0.2})
    limits = np.asarray([0.2 if c == "cat" else 0.5 for c in CLASSES])
    assert_equal_to_sklearn(body, truth, scores >= limits, scores)
    local = inference_set.multilabel_metrics(threshold={"cat": 0.2}).to_dict()
    assert {k: body[k] for k in local} == local
    expected = inference_set.multilabel_examples("cat", "tp", threshold={"cat": 0.2}).to_dict()
    assert page["examples"] == expected["examples"] and page["total"] == expected["total"]


def test_regression_route_tests_micro_averages(case: Any) -> None:
    client, truth, scores = case
    body = client.get(SET + "/regression", params={"conf": "0.3"})
    assert body.status_code == 200, body.text
    results = {r["segment_name"]: r for r in body.json()}
    from test_multilabel_store import sklearn_expected

    micro = sklearn_expected(truth[:45], scores[:45] >= 0.3)["report"]["micro avg"]
    half = results["first half"]
    assert half["precision"]["score"] == pytest.approx(micro["precision"], abs=1e-12)
    assert half["f1_score"]["score"] == pytest.approx(micro["f1-score"], abs=1e-12)
    assert half["frame_count"] == 45 and half["total_confusions"]["score"] == 0
