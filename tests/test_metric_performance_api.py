"""Performance by metric through every face: the store equals the analysis on values
joined here independently (by id, from the stored tables), REST (GET
.../metric-importance and .../metric-performance) and the client equal the store, the
examples' metric range lists exactly a bin's objects and saves them as a segment, bad
parameters are 4xx, and ``shoal insights importance`` prints the store's ranking."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from scipy import stats

import shoal
from demo_api import DIGITS, SHAPES, error, ok, set_names
from shoal.analysis.metric_performance import Elements, association, metric_performance
from shoal.client import Client
from shoal.demo import build_demo_projects
from shoal.server import create_app
from test_client import serve

from conftest import run_cli

SHAPES_SET = "adaptive-cc"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="module")
def store(home: Path) -> Iterator[shoal.Store]:
    # Large enough for the sample guard (100 objects) to let importance through.
    built = shoal.Store(home)
    build_demo_projects(built, scale=0.2)
    dataset = built.project("shapes").dataset("rendered-scenes")
    frames = dataset.frames().column("frame_id").to_pylist()
    dataset.add_custom_metric(
        "frame_rank", {f: float(i % 7) for i, f in enumerate(frames)}, description="i mod 7"
    )
    labels = dataset.labels().column("label_id").to_pylist()
    dataset.add_custom_metric(
        "object_score", {g: float(i % 5) for i, g in enumerate(labels)}, level="label"
    )
    predictions = dataset.inference_set(SHAPES_SET).predictions()
    dataset.add_custom_metric(
        "object_score",
        {p: float(i % 3) for i, p in enumerate(predictions.column("prediction_id").to_pylist())},
        level="prediction",
        inference_set=SHAPES_SET,
    )
    yield built
    built.close()


@pytest.fixture(scope="module")
def api(store: shoal.Store) -> TestClient:
    return TestClient(create_app(store), base_url="http://localhost")


@pytest.fixture(scope="module")
def remote(store: shoal.Store) -> Iterator[Client]:
    with serve(create_app(store)) as url, Client(url) as client:
        yield client


def _independent_elements(
    inference: shoal.store.InferenceSet, metric: str, conf: float
) -> Elements:
    """The objects at ``conf`` valued by ``metric``, joined here by id with plain dicts
    (not the store's code): detection ids are 1-based table rows; a classification row
    reads its frame's prediction and label."""
    dataset = inference.dataset
    detection = dataset.project.task == "detection"
    read = inference.outcomes_with_sources(conf=conf)
    o = read.outcomes
    predictions = read.predictions.to_pylist()
    labels = read.labels.to_pylist()
    frames = dataset.frames().to_pylist()
    frame_metrics = {r["frame_id"]: r for r in dataset.element_metrics("frame").to_pylist()}
    label_metrics = {r["label_id"]: r for r in dataset.element_metrics("label").to_pylist()}
    prediction_metrics = {r["prediction_id"]: r for r in inference.element_metrics().to_pylist()}
    frame_of = {r["frame_id"]: r for r in frames}
    prediction_of_frame = {r["frame_id"]: r for r in predictions}
    label_of_frame = {r["frame_id"]: r for r in labels}

    def value(kind: str, object_id: int, frame: str, confidence: float) -> float:
        if detection:
            record = (predictions if kind == "prediction" else labels)[object_id - 1]
        else:
            record = (prediction_of_frame if kind == "prediction" else label_of_frame)[frame]
        if metric == "confidence":
            if detection:
                return confidence if kind == "prediction" else np.nan
            return float(prediction_of_frame[frame]["confidence"])
        if metric in ("brightness", "frame_rank"):
            found = frame_metrics[frame][metric]
        elif metric == "occlusion":
            found = float(frame_of[frame]["occlusion"])
        elif metric in ("object_score", "max_overlap"):
            table = prediction_metrics if kind == "prediction" else label_metrics
            key = record["prediction_id" if kind == "prediction" else "label_id"]
            found = table[key][metric]
        else:
            raise AssertionError(metric)
        return np.nan if found is None else float(found)

    kinds, ids, frame_ids = o.kind.tolist(), o.id.tolist(), o.frame_id.astype(str).tolist()
    values = np.array(
        [
            value(k, i, f, c)
            for k, i, f, c in zip(kinds, ids, frame_ids, o.confidence.tolist(), strict=True)
        ]
    )
    p = o.kind_code == 0
    position = {f["frame_id"]: i for i, f in enumerate(frames)}
    frame_index = np.array([position[f] for f in frame_ids], np.int64)
    return Elements(
        "detection" if detection else "classification",
        tuple(o.class_names),
        tuple(position),
        values[p], o.outcome_code[p] == 0, o.label_index[p].astype(np.int64), frame_index[p],
        values[~p], o.outcome_code[~p] == 0, o.label_index[~p].astype(np.int64), frame_index[~p],
    )  # fmt: skip


@pytest.mark.parametrize(
    ("project", "dataset_name", "set_name", "metric"),
    [
        ("shapes", "rendered-scenes", SHAPES_SET, "confidence"),
        ("shapes", "rendered-scenes", SHAPES_SET, "brightness"),
        ("shapes", "rendered-scenes", SHAPES_SET, "occlusion"),
        ("shapes", "rendered-scenes", SHAPES_SET, "frame_rank"),
        ("shapes", "rendered-scenes", SHAPES_SET, "object_score"),
        ("shapes", "rendered-scenes", SHAPES_SET, "max_overlap"),
        ("digits", "handwritten-digits", "mlp-64", "confidence"),
        ("digits", "handwritten-digits", "mlp-64", "brightness"),
    ],
)
def test_store_equals_the_analysis_on_values_joined_by_id(
    store: shoal.Store, project: str, dataset_name: str, set_name: str, metric: str
) -> None:
    dataset = store.project(project).dataset(dataset_name)
    inference = dataset.inference_set(set_name)
    elements = _independent_elements(inference, metric, 0.3)
    splits = {
        s.name: s.frame_ids() for s in dataset.segments() if s.type == "split" and s.id is not None
    }
    expected = metric_performance(elements, metric=metric, bins=6, groups=splits).to_dict()
    found = inference.metric_performance(metric, conf=0.3, bins=6).to_dict()
    assert {k: v for k, v in found.items() if k not in ("level", "source")} == {
        k: v for k, v in expected.items() if k not in ("level", "source", "metric")
    } | {"metric": metric}
    assert [g["name"] for g in found["histogram"]["groups"]] == ["all", *splits]
    # The ranking's entry for the metric is the association on the outcome sample.
    ranked = {m.metric: m for m in inference.metric_importance(conf=0.3)}
    values, right = elements.outcome_sample()
    assert ranked[metric].association == association(values, right)
    valued = ~np.isnan(values)
    if ranked[metric].association.spearman is not None:
        assert ranked[metric].association.spearman == pytest.approx(
            stats.spearmanr(values[valued], right[valued])[0], abs=1e-12
        )


def test_metrics_listed_and_ranked(store: shoal.Store) -> None:
    inference = store.project("shapes").dataset("rendered-scenes").inference_set(SHAPES_SET)
    ranked = inference.metric_importance(conf=0.3)
    by_name = {m.metric: m for m in ranked}
    assert {"confidence", "area", "brightness", "frame_rank", "object_score", "occlusion"} <= set(
        by_name
    )
    assert (by_name["object_score"].level, by_name["object_score"].source) == ("object", "custom")
    assert (by_name["frame_rank"].level, by_name["frame_rank"].source) == ("frame", "custom")
    assert by_name["occlusion"].source == "metadata" and by_name["confidence"].level == "prediction"
    # Metadata keeps its plain name; the quality metric of the same name is qualified.
    assert by_name["contrast"].source == "metadata"
    assert by_name["quality.contrast"].source == "quality"
    importances = [m.association.importance for m in ranked]
    known = [i for i in importances if i is not None]
    assert known == sorted(known, reverse=True) and known
    assert importances[: len(known)] == known  # nulls last
    # Confidence has no value on labels: the missed ones are left out of its sample.
    assert by_name["confidence"].association.missing > 0
    with pytest.raises(shoal.errors.InputError, match="unknown metric 'nope'"):
        inference.metric_performance("nope")


def test_one_class_alone(store: shoal.Store) -> None:
    inference = store.project("shapes").dataset("rendered-scenes").inference_set(SHAPES_SET)
    everything = inference.metric_performance("area", conf=0.3).to_dict()
    label = everything["classes"][0]["label"]
    alone = inference.metric_performance("area", conf=0.3, label=label).to_dict()
    assert [c["label"] for c in alone["classes"]] == [label]
    assert alone["overall"] == everything["classes"][0]["overall"]
    assert sum(b["predictions"] + b["labels"] for b in alone["bins"]) == (
        alone["overall"]["predictions"] + alone["overall"]["labels"]
    )


def test_rest_and_client_equal_the_store(
    api: TestClient, remote: Client, store: shoal.Store
) -> None:
    for path, project, dataset_name in (
        (SHAPES, "shapes", "rendered-scenes"),
        (DIGITS, "digits", "handwritten-digits"),
    ):
        dataset = store.project(project).dataset(dataset_name)
        name = set_names(api, path)[0]
        inference = dataset.inference_set(name)
        segment = next(s.name for s in dataset.segments() if s.type == "split" and s.id)
        params: dict[str, Any] = {"conf": "0.3", "segment": segment}
        ranked = ok(api.get(f"{path}/inference-sets/{name}/metric-importance", params=params))
        local = inference.metric_importance(conf=0.3, segment=segment)
        assert ranked["metrics"] == [m.to_dict() for m in local]
        assert (ranked["conf"], ranked["segment"]) == (0.3, segment)
        assert ranked["iou"] == (0.5 if project == "shapes" else None)
        assert remote.metric_importance(project, name, conf=0.3, segment=segment) == ranked
        top = ranked["metrics"][0]["metric"]
        answer = ok(
            api.get(
                f"{path}/inference-sets/{name}/metric-performance",
                params={**params, "metric": top, "bins": 4},
            )
        )
        expected = inference.metric_performance(top, conf=0.3, segment=segment, bins=4).to_dict()
        assert {k: answer[k] for k in expected} == expected
        assert answer["label"] is None and answer["inference_set"] == name
        assert (
            remote.metric_performance(project, name, top, conf=0.3, segment=segment, bins=4)
            == answer
        )


def test_a_bins_examples_and_segment(api: TestClient, remote: Client, store: shoal.Store) -> None:
    dataset = store.project("shapes").dataset("rendered-scenes")
    base = f"{SHAPES}/inference-sets/{SHAPES_SET}"
    answer = ok(
        api.get(
            f"{base}/metric-performance", params={"metric": "max_overlap", "conf": "0.3", "bins": 5}
        )
    )
    seen = 0
    for b in answer["bins"]:
        params = {"metric": "max_overlap", "min": b["low"], "max": b["high"], "conf": "0.3"}
        listed = ok(api.get(f"{base}/examples", params={**params, "limit": 1000}))
        assert listed["total"] == b["predictions"] + b["labels"]
        fp = ok(api.get(f"{base}/examples", params={**params, "outcome": "FP", "limit": 1}))
        assert fp["total"] == b["predictions"] - b["tp"]
        fn = ok(api.get(f"{base}/examples", params={**params, "outcome": "FN", "limit": 1}))
        assert fn["total"] == b["fn"]
        seen += listed["total"]
        through_client = remote.examples(
            "shapes", None, SHAPES_SET, conf=0.3, metric="max_overlap",
            metric_min=b["low"], metric_max=b["high"], limit=1000,
        )  # fmt: skip
        assert through_client == listed
    missing = answer["missing"]["predictions"] + answer["missing"]["labels"]
    assert seen + missing == answer["overall"]["predictions"] + answer["overall"]["labels"]
    # The last bin's frames saved as a segment: every frame holding one of its objects.
    last = answer["bins"][-1]
    params = {"metric": "max_overlap", "min": last["low"], "max": last["high"], "conf": "0.3"}
    listed = ok(api.get(f"{base}/examples", params={**params, "limit": 1000}))
    frames = sorted({e["frame_id"] for e in listed["examples"]})
    made = ok(
        api.post(f"{base}/examples/segment", params=params, json={"name": "overlapping"}), 201
    )
    assert made["frame_count"] == len(frames)
    assert dataset.segment("overlapping").frame_ids() == frames
    dataset.segment("overlapping").delete()
    made = remote.segment_from_examples(
        "shapes", None, SHAPES_SET, "overlapping again", conf=0.3, metric="max_overlap",
        metric_min=last["low"], metric_max=last["high"],
    )  # fmt: skip
    assert dataset.segment("overlapping again").frame_ids() == frames
    dataset.segment("overlapping again").delete()


def test_bad_parameters_are_4xx(api: TestClient) -> None:
    base = f"{SHAPES}/inference-sets/{SHAPES_SET}"
    body = error(api.get(f"{base}/metric-performance", params={"metric": "nope"}), 422)
    assert body["where"] == "query.metric" and "unknown metric 'nope'" in body["detail"]
    error(api.get(f"{base}/metric-performance"), 422)
    error(api.get(f"{base}/metric-performance", params={"metric": "area", "bins": 0}), 422)
    error(api.get(f"{base}/metric-performance", params={"metric": "area", "bins": 201}), 422)
    body = error(
        api.get(f"{base}/metric-performance", params={"metric": "area", "label": "x"}), 422
    )
    assert body["where"] == "query.label"
    error(api.get(f"{base}/metric-performance", params={"metric": "area", "conf": "2"}), 422)
    error(api.get(f"{base}/metric-performance", params={"metric": "area", "segment": "nope"}), 404)
    error(api.get(f"{SHAPES}/inference-sets/nope/metric-importance"), 404)
    body = error(api.get(f"{base}/examples", params={"metric": "nope"}), 422)
    assert body["where"] == "query.metric"
    body = error(api.get(f"{base}/examples", params={"metric": "area", "min": 5, "max": 1}), 422)
    assert body["where"] == "query.min"
    error(api.get(f"{base}/examples", params={"metric": "area", "min": "x"}), 422)


def test_cli_prints_the_stores_ranking(home: Path, store: shoal.Store, tmp_path: Path) -> None:
    out = tmp_path / "importance.json"
    result = run_cli(
        "insights", "importance", "shapes", "rendered-scenes", SHAPES_SET,
        "--conf", "0.3", "--json", str(out), "--home", str(home),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    written = json.loads(out.read_text())
    inference = store.project("shapes").dataset("rendered-scenes").inference_set(SHAPES_SET)
    assert written["metrics"] == [m.to_dict() for m in inference.metric_importance(conf=0.3)]
    top = written["metrics"][0]
    assert top["metric"] in result.stdout and "importance" in result.stdout
    failed = run_cli(
        "insights", "importance", "shapes", "rendered-scenes", "nope", "--home", str(home)
    )
    assert failed.returncode != 0 and "nope" in failed.stderr


def test_reference_lines_are_the_reports_micro_average(store: shoal.Store) -> None:
    for project, metric in (("shapes", "area"), ("digits", "confidence")):
        inference = store.project(project).datasets()[0].inference_sets()[0]
        report = inference.metrics(conf=0.3, include=["report"]).to_dict()["report"]
        micro = report["averages"]["micro avg"]
        overall = inference.metric_performance(metric, conf=0.3).to_dict()["overall"]
        assert overall["precision"] == pytest.approx(micro["precision"], abs=1e-12)
        assert overall["fnr"] == pytest.approx(1 - micro["recall"], abs=1e-12)
        assert overall["labels"] == micro["support"]


def test_kept_objects_and_tables_follow_new_metrics_and_values(tmp_path: Path) -> None:
    with shoal.Store(tmp_path / "home") as fresh:
        build_demo_projects(fresh, scale=0.05)
        dataset = fresh.project("shapes").dataset("rendered-scenes")
        inference = dataset.inference_set(SHAPES_SET)
        before = {m.metric for m in inference.metric_importance(conf=0.3)}
        frames = dataset.frames().column("frame_id").to_pylist()
        dataset.add_custom_metric("late", {f: 1.0 for f in frames})
        assert {m.metric for m in inference.metric_importance(conf=0.3)} == before | {"late"}
        first = inference.metric_performance("late", conf=0.3).to_dict()
        assert [(b["low"], b["high"]) for b in first["bins"]] == [(1.0, 1.0)]
        # New values of the same metric: the kept tables are of the old object, not read.
        dataset.add_custom_metric("late", {f: float(i) for i, f in enumerate(frames)}, replace=True)
        again = inference.metric_performance("late", conf=0.3, bins=2).to_dict()
        assert len(again["bins"]) == 2 and again["bins"][-1]["high"] > 1
        # Another version of the inference set: its own objects (here, none kept).
        kept = inference.predictions().slice(0, 5)
        dataset.create_inference_set(SHAPES_SET, shoal.InferenceTables.build(kept), replace=True)
        found = (
            dataset.inference_set(SHAPES_SET).metric_performance("confidence", conf=0.0).to_dict()
        )
        assert found["overall"]["predictions"] == 5


def test_cli_performance_prints_the_stores_bins(home: Path, store: shoal.Store) -> None:
    result = run_cli(
        "insights", "performance", "shapes", "rendered-scenes", SHAPES_SET, "max_overlap",
        "--conf", "0.3", "--bins", "4", "--json", "-", "--home", str(home),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    inference = store.project("shapes").dataset("rendered-scenes").inference_set(SHAPES_SET)
    expected = inference.metric_performance("max_overlap", conf=0.3, bins=4).to_dict()
    assert json.loads(result.stdout) == expected
    table = run_cli(
        "insights", "performance", "shapes", "rendered-scenes", SHAPES_SET, "max_overlap",
        "--conf", "0.3", "--bins", "4", "--home", str(home),
    )  # fmt: skip
    assert table.returncode == 0, table.stderr
    overall = expected["overall"]
    assert f"{overall['precision']:.3f}" in table.stdout and "overall" in table.stdout
    assert len([line for line in table.stdout.splitlines() if " - " in line]) == len(
        expected["bins"]
    )
    unknown = run_cli(
        "insights",
        "performance",
        "shapes",
        "rendered-scenes",
        SHAPES_SET,
        "nope",
        "--home",
        str(home),
    )
    assert unknown.returncode == 2 and "unknown metric 'nope'" in unknown.stderr
