"""Metrics in the query language, in segments and as sort keys (issue 13, section 3).

Every answer is checked against an oracle computed here with NumPy and plain Python
from the values written, never against the store's own reading of them."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from shoal.errors import InputError
from shoal.server import create_app
from shoal.store import QueryError, Store
from shoal.tables import DatasetTables

from coco_oracle import coco_sample
from conftest import one_model


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Any]:
    """A detection dataset with frame metrics (quality brightness, custom night_score),
    label metrics (quality relative_area, some labels without a value) and a prediction
    metric; the values written, by id."""
    _, _, dataset_tables, inference_tables = coco_sample(seed=8, num_images=40)
    store = Store(tmp_path / "home")
    model = one_model(store, dataset_tables, inference_tables)
    dataset = model.dataset
    rng = np.random.default_rng(17)
    frames = dataset.frames().column("frame_id").to_pylist()
    labels = dataset.labels()
    label_ids = labels.column("label_id").to_pylist()
    predictions = model.predictions().column("prediction_id").to_pylist()
    brightness = dict(zip(frames, rng.random(len(frames)).round(3), strict=True))
    night = dict(zip(frames, rng.random(len(frames)).round(3), strict=True))
    area = {
        label: (None if i % 7 == 3 else float(v))
        for i, (label, v) in enumerate(
            zip(label_ids, rng.random(len(label_ids)) * 0.05, strict=True)
        )
    }
    overlap = {p: float(v) for p, v in zip(predictions, rng.random(len(predictions)), strict=True)}
    dataset.write_quality_metrics(
        "frame", pa.table({"frame_id": frames, "brightness": list(brightness.values())})
    )
    dataset.add_custom_metric("night_score", night)
    dataset.write_quality_metrics(
        "label",
        pa.table(
            {"label_id": list(area), "relative_area": pa.array(list(area.values()), pa.float64())}
        ),
    )
    dataset.write_quality_metrics(
        "prediction",
        pa.table({"prediction_id": predictions, "max_overlap": list(overlap.values())}),
        inference_set="m",
    )
    return {
        "home": tmp_path / "home",
        "store": store,
        "dataset": dataset,
        "frames": frames,
        "labels": labels,
        "brightness": brightness,
        "night": night,
        "area": area,
        "overlap": overlap,
    }


def frames_where(world: dict[str, Any], keep: Any) -> list[str]:
    return [f for f in world["frames"] if keep(f)]


def labels_of_frame(world: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """frame -> [(label_id, class_name)]."""
    found: dict[str, list[tuple[str, str]]] = {f: [] for f in world["frames"]}
    table = world["labels"]
    for label, frame, name in zip(
        table.column("label_id").to_pylist(),
        table.column("frame_id").to_pylist(),
        table.column("class_name").to_pylist(),
        strict=True,
    ):
        found[frame].append((label, name))
    return found


# ------------------------------------------------------------------ frame metrics


@pytest.mark.parametrize("threshold", [0.2, 0.5, 0.8])
def test_frame_metrics_are_fields(world: dict[str, Any], threshold: float) -> None:
    dataset, b, n = world["dataset"], world["brightness"], world["night"]
    got = dataset.query(f"brightness < {threshold} and night_score > 0.5")
    assert got == frames_where(world, lambda f: b[f] < threshold and n[f] > 0.5)
    assert dataset.query(f"not brightness >= {threshold}") == frames_where(
        world, lambda f: b[f] < threshold
    )
    assert dataset.query("brightness > night_score") == frames_where(world, lambda f: b[f] > n[f])


# ------------------------------------------------------------------ label conditions


@pytest.mark.parametrize("threshold", [0.005, 0.02, 0.04])
def test_label_metrics_in_has_and_count(world: dict[str, Any], threshold: float) -> None:
    dataset, area = world["dataset"], world["area"]
    per_frame = labels_of_frame(world)
    classes = Counter(name for labels in per_frame.values() for _, name in labels)
    common = classes.most_common(1)[0][0]

    def small(label: str) -> bool:
        value = area[label]
        return value is not None and value < threshold  # no value: the comparison is false

    assert dataset.query(f"has(relative_area < {threshold})") == frames_where(
        world, lambda f: any(small(label) for label, _ in per_frame[f])
    )
    assert dataset.query(f"has('{common}', relative_area < {threshold})") == frames_where(
        world, lambda f: any(small(label) and name == common for label, name in per_frame[f])
    )
    for at_least in (1, 2, 3):
        assert dataset.query(f"count(relative_area < {threshold}) >= {at_least}") == frames_where(
            world, lambda f, least=at_least: sum(small(lb) for lb, _ in per_frame[f]) >= least
        )
    assert dataset.query(
        f"count('{common}', relative_area >= {threshold} or relative_area is null) = 0"
    ) == frames_where(
        world,
        lambda f: not any(name == common and not small(label) for label, name in per_frame[f]),
    )
    assert dataset.query(f"has(class_name != '{common}' and relative_area < {threshold})") == (
        frames_where(
            world, lambda f: any(small(label) and name != common for label, name in per_frame[f])
        )
    )


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("relative_area < 0.01", "'relative_area' is a label field: use it in a label condition"),
        ("has(brightness < 0.2)", "'brightness' is a frame field; a label condition reads label"),
        ("has('car', weather = 'x')", "'weather' is a frame field"),
        (
            "has(relative_area < 0.1 and has('car'))",
            "has() cannot be used inside a label condition",
        ),
        ("count(count() > 1) > 0", "count() cannot be used inside a label condition"),
        ("brightnes < 0.2", "unknown field 'brightnes' (did you mean 'brightness'?)"),
        ("night_scor > 1", "did you mean 'night_score'?"),
        ("has(relative_aera < 0.1)", "did you mean 'relative_area'?"),
        ("has(relative_area)", "float label field 'relative_area' is not a condition"),
        ("max_overlap > 0.5", "unknown field 'max_overlap'"),
    ],
)
def test_mistakes_say_what_is_wrong(world: dict[str, Any], expression: str, message: str) -> None:
    with pytest.raises(QueryError) as caught:
        world["dataset"].query(expression)
    assert message in str(caught.value)


def test_fields_and_completions_list_the_metrics(world: dict[str, Any]) -> None:
    dataset = world["dataset"]
    fields = dataset.query_fields()
    assert fields["brightness"] == "float" and fields["night_score"] == "float"
    assert "relative_area" not in fields and "max_overlap" not in fields
    assert dataset.label_query_fields() == {"class_name": "string", "relative_area": "float"}
    api = TestClient(create_app(world["store"]), base_url="http://localhost")
    answer = api.get(
        "/api/v1/projects/p/datasets/val/query/completions", params={"prefix": "r"}
    ).json()
    assert answer["label_fields"] == [{"name": "relative_area", "type": "float"}]
    everything = api.get("/api/v1/projects/p/datasets/val/query/completions").json()
    assert {"name": "night_score", "type": "float"} in everything["fields"]


def test_a_metadata_key_keeps_a_quality_metrics_name(tmp_path: Path) -> None:
    _, _, tables, _ = coco_sample(seed=3, num_images=6)
    frames = tables.frames.append_column("brightness", pa.array(["dim"] * tables.frames.num_rows))
    store = Store(tmp_path)
    dataset = store.create_project("p").create_dataset(
        "val", DatasetTables.build(frames, tables.labels)
    )
    ids = dataset.frames().column("frame_id").to_pylist()
    values = [i / 10 for i in range(len(ids))]
    dataset.write_quality_metrics("frame", pa.table({"frame_id": ids, "brightness": values}))
    assert dataset.query_fields()["brightness"] == "string"  # the metadata key
    assert dataset.query_fields()["quality.brightness"] == "float"
    assert dataset.query("brightness = 'dim' and `quality.brightness` < 0.25") == ids[:3]


# ------------------------------------------------------------------ segments


def test_a_query_segment_follows_the_metrics(world: dict[str, Any]) -> None:
    dataset, frames = world["dataset"], world["frames"]
    model = dataset.inference_set("m")
    segment = dataset.create_segment(
        "dark", query="brightness < 0.3 and has(relative_area < 0.03)", recall=0.0
    )
    per_frame = labels_of_frame(world)
    area = world["area"]

    def expected(brightness: dict[str, float]) -> list[str]:
        return frames_where(
            world,
            lambda f: (
                brightness[f] < 0.3
                and any(area[label] is not None and area[label] < 0.03 for label, _ in per_frame[f])
            ),
        )

    assert segment.frame_ids() == expected(world["brightness"])
    # New quality values (computed again): the segment's frames follow at once.
    flipped = {f: round(1 - v, 3) for f, v in world["brightness"].items()}
    dataset.write_quality_metrics(
        "frame", pa.table({"frame_id": frames, "brightness": [flipped[f] for f in frames]})
    )
    assert segment.frame_ids() == expected(flipped)
    results = {r.segment_name: r for r in model.regression_results()}
    assert results["dark"].frame_count == len(expected(flipped))
    # A segment reading a custom metric that is deleted is stale, then back when it is.
    night = dataset.create_segment("night", query="night_score > 0.5")
    dataset.delete_custom_metric("night_score")
    assert "unknown field 'night_score'" in (night.stale or "")
    results = {r.segment_name: r for r in model.regression_results()}
    assert results["night"].stale is not None and results["dark"].stale is None
    dataset.add_custom_metric("night_score", world["night"])
    assert night.stale is None
    assert night.frame_ids() == frames_where(world, lambda f: world["night"][f] > 0.5)


def test_a_segment_saved_from_a_metric_query_on_the_server(world: dict[str, Any]) -> None:
    api = TestClient(create_app(world["store"]), base_url="http://localhost")
    created = api.post(
        "/api/v1/projects/p/datasets/val/segments",
        json={"name": "bright", "query": "brightness >= 0.5", "type": "scenario"},
    )
    assert created.status_code == 201, created.text
    b = world["brightness"]
    assert created.json()["frame_count"] == sum(1 for f in world["frames"] if b[f] >= 0.5)
    bad = api.post(
        "/api/v1/projects/p/datasets/val/segments",
        json={"name": "bad", "query": "relative_area < 0.1", "type": "scenario"},
    )
    assert bad.status_code == 400 and "is a label field" in bad.json()["detail"]


# ------------------------------------------------------------------ sort keys


def examples(api: TestClient, **params: Any) -> list[dict[str, Any]]:
    """Every example (page after page) at conf 0.3."""
    found: list[dict[str, Any]] = []
    while True:
        answer = api.get(
            "/api/v1/projects/p/datasets/val/inference-sets/m/examples",
            params={"conf": 0.3, "limit": 1000, "offset": len(found), **params},
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        found += body["examples"]
        if len(found) >= body["total"]:
            return found


def expected_value(world: dict[str, Any], example: dict[str, Any], name: str) -> float:
    """The oracle: an object's own metric of its level, else its frame's."""
    own = {
        "max_overlap": ("prediction", world["overlap"]),
        "relative_area": ("ground_truth", world["area"]),
    }
    frame = {"brightness": world["brightness"], "night_score": world["night"]}
    if name in own:
        kind, values = own[name]
        if example["kind"] == kind:
            value = values.get(example["source_id"])
            return math.nan if value is None else float(value)
    if name in frame:
        return float(frame[name][example["frame_id"]])
    return math.nan


@pytest.mark.parametrize("name", ["brightness", "night_score", "max_overlap", "relative_area"])
@pytest.mark.parametrize("order", ["desc", "asc"])
def test_examples_sort_by_any_metric(world: dict[str, Any], name: str, order: str) -> None:
    api = TestClient(create_app(world["store"]), base_url="http://localhost")
    default = examples(api)
    rows = examples(api, sort=name, order=order)
    assert sorted(map(str, default)) == sorted(map(str, rows))  # the same objects
    values = [expected_value(world, row, name) for row in rows]
    present = [v for v in values if not math.isnan(v)]
    assert present, "the oracle found values"
    # Objects without a value (the other level's for an own-level metric) come last.
    assert all(math.isnan(v) for v in values[len(present) :])
    assert present == sorted(present, reverse=order == "desc")
    if name in ("max_overlap", "relative_area"):
        assert len(present) < len(values)  # the other kind has none


def test_an_unknown_or_text_sort_key_is_a_400(world: dict[str, Any]) -> None:
    world["dataset"].add_custom_metric("vendor", {f: "acme" for f in world["frames"]})
    api = TestClient(create_app(world["store"]), base_url="http://localhost")
    base = "/api/v1/projects/p/datasets/val/inference-sets/m/examples"
    unknown = api.get(base, params={"sort": "shininess"})
    assert unknown.status_code == 400
    detail = unknown.json()["detail"]
    assert "unknown metric 'shininess'; this inference set's metrics are" in detail
    assert "'brightness'" in detail and "'max_overlap'" in detail
    text = api.get(base, params={"sort": "vendor"})
    assert (
        text.status_code == 400
        and "is text: only numbers and bools sort and bin" in text.json()["detail"]
    )


def test_the_engine_sorts_by_given_values() -> None:
    from shoal.engine.metrics import Outcomes

    rows = Outcomes.__new__(Outcomes)  # only the sort is exercised: built from its fields
    n = 5
    fields = {
        "class_names": ("a",),
        "kind_code": np.zeros(n, np.int8),
        "id": np.arange(1, n + 1),
        "frame_id": np.array(["f"] * n, object),
        "label_index": np.zeros(n, np.int32),
        "confidence": np.linspace(0.1, 0.5, n),
        "outcome_code": np.zeros(n, np.int8),
        "reason_code": np.zeros(n, np.int8),
        "partner_id": np.full(n, -1),
        "partner_label_index": np.full(n, -1, np.int32),
        "iou": np.zeros(n),
        "area": np.zeros(n),
        "conf": 0.0,
        "iou_threshold": 0.5,
    }
    for key, value in fields.items():
        object.__setattr__(rows, key, value)
    values = np.array([0.3, np.nan, 0.9, 0.1, 0.3])
    assert rows.sorted_by("m", values=values).id.tolist() == [3, 1, 5, 4, 2]
    assert rows.sorted_by("m", values=values, descending=False).id.tolist() == [4, 1, 5, 3, 2]
    with pytest.raises(InputError, match="needs one value per row"):
        rows.sorted_by("m", values=values[:3])


def test_classification_examples_sort_by_label_and_frame_metrics(tmp_path: Path) -> None:
    """A classification row is its frame's one label or prediction, and the two share
    the frame's values (as performance by metric reads them): the label metric and the
    frame metric both sort every row."""
    from test_client import sdk_classification

    labeled, models = sdk_classification(seed=9, num=30)
    store = Store(tmp_path)
    project = store.create_project("c", task="classification", classes=["cat", "dog", "bird"])
    dataset = project.create_dataset("val", labeled)
    dataset.create_inference_set("m", models["strong"])
    frames = dataset.frames().column("frame_id").to_pylist()
    labels = dataset.labels()
    rng = np.random.default_rng(2)
    frame_values = dict(zip(frames, rng.random(len(frames)).tolist(), strict=True))
    label_of_frame = dict(
        zip(
            labels.column("frame_id").to_pylist(),
            labels.column("label_id").to_pylist(),
            strict=True,
        )
    )
    label_values = {label_of_frame[f]: float(i) for i, f in enumerate(frames)}
    dataset.add_custom_metric("gloom", frame_values)
    dataset.add_custom_metric("rank", label_values, level="label")
    api = TestClient(create_app(store), base_url="http://localhost")
    base = "/api/v1/projects/c/datasets/val/inference-sets/m/examples"
    by_frame = api.get(base, params={"sort": "gloom", "limit": 1000}).json()["examples"]
    values = [frame_values[e["frame_id"]] for e in by_frame]
    assert values == sorted(values, reverse=True) and len(by_frame) == 2 * len(frames)
    by_label = api.get(base, params={"sort": "rank", "order": "asc", "limit": 1000}).json()
    rows = by_label["examples"]
    assert len(rows) == 2 * len(frames)
    ranks = [label_values[label_of_frame[r["frame_id"]]] for r in rows]
    assert ranks == sorted(ranks)
