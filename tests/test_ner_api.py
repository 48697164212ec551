"""NER metrics and sentences over REST (a real server app, the real store), against
seqeval as the oracle; bad parameters are 4xx JSON naming them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient

from shoal.formats.conll import from_conll, from_conll_predictions, write_conll
from shoal.server import create_app
from shoal.store import Store
from test_ner_store import assert_equal_to_seqeval, corpus_pair

SET = "/api/v1/projects/news/datasets/test/inference-sets/tagger"


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> tuple[TestClient, Any, Any]:
    folder: Path = tmp_path_factory.mktemp("ner_api")
    gold, pred = corpus_pair(13)
    write_conll(folder / "gold.conll", gold)
    write_conll(folder / "pred.conll", pred)
    store = Store(folder / "home")
    project = store.create_project("news", task="ner")
    tables = from_conll(folder / "gold.conll")
    dataset = project.create_dataset("test", tables)
    dataset.create_inference_set("tagger", from_conll_predictions(folder / "pred.conll", tables))
    dataset.create_segment("first ten", frames=[str(i) for i in range(1, 11)])
    return TestClient(create_app(store), base_url="http://localhost"), gold.tags(), pred.tags()


def test_metrics_equal_seqeval(case: Any) -> None:
    client, gold, pred = case
    answer = client.get(SET + "/ner-metrics")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["num_frames"] == 60 and body["segment"] == "All Frames"
    assert_equal_to_seqeval(body, gold, pred)
    body = client.get(SET + "/ner-metrics", params={"segment": "first ten"}).json()
    assert body["num_frames"] == 10
    assert_equal_to_seqeval(body, gold[:10], pred[:10])
    body = client.get(SET + "/ner-metrics", params={"query": "document == 1"}).json()
    assert_equal_to_seqeval(body, gold[:30], pred[:30])


def test_sentences_pages(case: Any) -> None:
    client, gold, _ = case
    body = client.get(SET + "/ner-sentences", params={"limit": 5, "offset": 2}).json()
    assert body["total"] == 60 and body["offset"] == 2
    assert [s["frame_id"] for s in body["sentences"]] == ["3", "4", "5", "6", "7"]
    assert [len(s["tokens"]) for s in body["sentences"]] == [len(t) for t in gold[2:7]]
    errors = client.get(SET + "/ner-sentences", params={"errors_only": "true", "limit": 100})
    for sentence in errors.json()["sentences"]:
        assert any(not e["matched"] for e in sentence["truth"] + sentence["predicted"])
    overlap = client.get(SET + "/ner-sentences", params={"match": "overlap", "limit": 100})
    assert overlap.json()["match"] == "overlap"


@pytest.mark.parametrize(
    ("params", "status", "needle"),
    [
        ({"match": "partial"}, 422, "match"),
        ({"entity_type": "DATE"}, 400, "unknown entity type 'DATE'"),
        ({"limit": 0}, 422, "limit"),
        ({"segment": "nope"}, 404, "nope"),
    ],
)
def test_bad_parameters_are_4xx(
    case: Any, params: dict[str, Any], status: int, needle: str
) -> None:
    client, _, _ = case
    answer = client.get(SET + "/ner-sentences", params=params)
    assert answer.status_code == status, answer.text
    assert needle in answer.text


def test_other_routes_refuse_an_ner_set(case: Any) -> None:
    client, _, _ = case
    answer = client.get(SET + "/examples")
    assert answer.status_code == 400
    assert "NER project" in answer.json()["detail"]


def test_one_frame(case: Any) -> None:
    client, gold, _ = case
    body = client.get(SET + "/ner-sentences", params={"frame_id": "7"}).json()
    assert body["total"] == 1 and body["sentences"][0]["frame_id"] == "7"
    assert len(body["sentences"][0]["tokens"]) == len(gold[6])
    answer = client.get(SET + "/ner-sentences", params={"frame_id": "999"})
    assert answer.status_code == 400 and "frame '999' is not in the dataset" in answer.text


def test_client_answers_what_the_store_does(case: Any) -> None:
    """The client over a real server (uvicorn on a port) equals the store's answer."""
    from shoal.client import Client
    from test_client import serve

    client, _, _ = case
    store = client.app.state.shoal.store
    inference_set = store.project("news").dataset("test").inference_set("tagger")
    with serve(create_app(store)) as url, Client(url) as remote:
        body = remote.ner_metrics("news", "test", "tagger", segment="first ten")
        page = remote.ner_sentences("news", "test", "tagger", errors_only=True, limit=7)
    local = inference_set.ner_metrics(segment="first ten").to_dict()
    assert {k: body[k] for k in local} == local
    expected = inference_set.ner_sentences(errors_only=True, limit=7).to_dict()
    assert page["sentences"] == expected["sentences"] and page["total"] == expected["total"]
