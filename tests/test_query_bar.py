"""The query bar: completion candidates from the dataset, and an ad-hoc ``query=`` on every
metrics, examples, compare and regression route that answers exactly what a segment of
the same query answers, with the compiler's "did you mean" errors."""

# ruff: noqa: F811 (the fixtures imported from demo_api are the parameters named after them)
from __future__ import annotations

from fastapi.testclient import TestClient

import shoal
from demo_api import DIGITS, SHAPES, api, error, ok, remote, set_names, store  # noqa: F401
from shoal.client import Client

QUERY = "num_labels >= 3 and noise > 0"


def test_completions_name_fields_classes_functions_and_keywords(
    api: TestClient, store: shoal.Store
) -> None:
    dataset = store.project("shapes").dataset("rendered-scenes")
    everything = ok(api.get(f"{SHAPES}/query/completions"))
    fields = {f["name"]: f["type"] for f in everything["fields"]}
    assert set(dataset.frames().column_names) <= set(fields)
    assert fields["num_labels"] == "int" and fields["noise"] == "float"
    assert everything["classes"] == [c.name for c in store.project("shapes").classes()]
    assert everything["functions"] == ["has", "count"] and "and" in everything["keywords"]
    typed = ok(api.get(f"{SHAPES}/query/completions", params={"prefix": "NUM_"}))
    assert [f["name"] for f in typed["fields"]] == [n for n in fields if n.startswith("num_")]
    assert typed["classes"] == [] and typed["functions"] == []
    cut = ok(api.get(f"{SHAPES}/query/completions", params={"limit": 1}))
    assert len(cut["fields"]) == 1 and cut["truncated"] is True
    digits = ok(api.get(f"{DIGITS}/query/completions", params={"prefix": "st"}))
    assert [f["name"] for f in digits["fields"]] == ["stroke_width"]
    assert digits["keywords"] == ["startswith"]


def test_a_query_answers_what_its_segment_answers(api: TestClient, store: shoal.Store) -> None:
    dataset = store.project("shapes").dataset("rendered-scenes")
    dataset.create_segment("saved query", query=QUERY)
    try:
        base, other = set_names(api, SHAPES)
        routes = [
            (f"{SHAPES}/metrics", {"inference_set": [base, other]}),
            (f"{SHAPES}/inference-sets/{base}/examples", {"limit": 1000}),
            (f"{SHAPES}/compare", {"base": base, "other": other}),
            (f"{SHAPES}/compare/examples", {"base": base, "other": other, "limit": 1000}),
        ]
        for url, params in routes:
            by_query = ok(api.get(url, params={**params, "query": QUERY}))
            by_segment = ok(api.get(url, params={**params, "segment": "saved query"}))
            # Each says what it was computed on; the numbers are the same.
            if "query" in by_query:
                assert (by_query["query"], by_segment["query"]) == (QUERY, None)
            for answer in (by_query, by_segment):
                answer.pop("segment", None), answer.pop("query", None)
            assert by_query == by_segment, url
        # A query narrows a segment: "crowded" and the query is their intersection.
        narrowed = ok(
            api.get(
                f"{SHAPES}/metrics",
                params={"inference_set": base, "segment": "crowded", "query": QUERY},
            )
        )
        frames = set(dataset.segment("crowded").frame_ids()) & set(dataset.query(QUERY))
        model = dataset.inference_set(base)
        only = model.metrics(include=["report"], segment="crowded", query=QUERY).report
        assert only is not None
        assert narrowed["results"][0]["report"] == only.to_dict()
        support = sum(c["support"] for c in narrowed["results"][0]["report"]["classes"])
        labels = dataset.labels().to_pylist()
        counted = [r for r in labels if not (r["ignore"] or r["iscrowd"])]  # COCO's rule
        assert support == sum(1 for row in counted if row["frame_id"] in frames)
        # Regression: every segment narrowed by the query.
        tested = ok(api.get(f"{SHAPES}/inference-sets/{base}/regression", params={"query": QUERY}))
        counts = {r["segment_name"]: r["frame_count"] for r in tested}
        assert counts["All Frames"] == len(dataset.query(QUERY))
        assert counts["crowded"] == len(frames)
    finally:
        dataset.segment("saved query").delete()


def test_a_mistyped_query_says_what_it_meant(api: TestClient) -> None:
    base = set_names(api, SHAPES)[0]
    for url, params in [
        (f"{SHAPES}/metrics", {"inference_set": base}),
        (f"{SHAPES}/inference-sets/{base}/examples", {}),
        (f"{SHAPES}/inference-sets/{base}/regression", {}),
        (f"{SHAPES}/summary", {}),
    ]:
        body = error(api.get(url, params={**params, "query": "nosie > 0"}), 400)
        assert "did you mean 'noise'" in body["detail"], url
    error(api.get(f"{SHAPES}/metrics", params={"inference_set": base, "query": "x" * 4001}), 422)


def test_client_query_bar(remote: Client, api: TestClient, store: shoal.Store) -> None:
    assert remote.query_completions("shapes", prefix="no") == ok(
        api.get(f"{SHAPES}/query/completions", params={"prefix": "no"})
    )
    base = set_names(api, SHAPES)[0]
    far = remote.examples("shapes", None, base, query=QUERY, limit=5)
    near = ok(
        api.get(f"{SHAPES}/inference-sets/{base}/examples", params={"query": QUERY, "limit": 5})
    )
    assert far == near
    results = remote.regression_results("shapes", base, query=QUERY)
    dataset = store.project("shapes").dataset("rendered-scenes")
    assert results == dataset.inference_set(base).regression_results(query=QUERY)
    assert results[0].frame_count == len(dataset.query(QUERY))
