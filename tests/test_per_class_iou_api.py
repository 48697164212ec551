"""Per-class IoU (``iou={"cat": 0.75}``) through the REST metrics and examples routes
and the Python client, on a real server over a real store: every answer must equal the
engine's evaluation of the same data at the same mapping, and a bad mapping is a 4xx
JSON naming what is wrong."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("uvicorn")

from shoal.client import Client  # noqa: E402
from shoal.engine.detection.evaluator import DetectionEvaluation, evaluate  # noqa: E402
from shoal.server import create_app  # noqa: E402
from shoal.store import Store  # noqa: E402
from test_client import CLASSES, as_json, sdk_classification, serve  # noqa: E402

from coco_oracle import coco_tables, random_coco, to_columns  # noqa: E402

BASE = "/api/v1/projects/det/datasets/val"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    gt, dt = random_coco(np.random.default_rng(15), num_images=30, num_classes=4)
    dataset_tables, inference_tables = coco_tables(gt, dt)
    names = [c["name"] for c in gt["categories"]]
    store = Store(tmp_path_factory.mktemp("per-class-iou"))
    project = store.create_project("det", classes=names, default_conf=0.2)
    project.create_dataset("val", dataset_tables).create_inference_set("m", inference_tables)
    engine = evaluate(*to_columns(gt, dt))
    with serve(create_app(store)) as url, Client(url) as client:
        yield {"url": url, "client": client, "engine": engine, "names": names}


def mappings(names: list[str]) -> list[dict[str, float]]:
    # On the grid, off it, below it; one class left out (0.5).
    return [
        {names[0]: 0.75, names[1]: 0.3},
        {names[0]: 0.62, names[2]: 0.9, names[3]: 0.12},
    ]


def test_metrics_route_equals_the_engine_at_a_per_class_iou(world: dict[str, Any]) -> None:
    engine: DetectionEvaluation = world["engine"]
    for iou in mappings(world["names"]):
        answer = httpx.get(
            world["url"] + BASE + "/metrics",
            params={
                "inference_set": "m",
                "conf": "0.3",
                "iou": orjson.dumps(iou).decode(),
                "include": ["report", "confusion_matrix", "pr_curves", "best_thresholds"],
            },
        ).json()
        result = answer["results"][0]
        every = {name: iou.get(name, 0.5) for name in world["names"]}
        assert answer["iou"] == iou and result["iou"] == iou
        report = engine.report(0.3, iou)
        assert result["report"] == as_json(report.to_dict())
        assert result["report"]["iou"] == every
        matrix = engine.confusion_matrix(
            0.3, iou, classes=list(result["confusion_matrix"]["labels"][:-1])
        )
        assert result["confusion_matrix"]["matrix"] == matrix.matrix.tolist()
        curves = engine.pr_curves(iou=iou)
        assert set(result["pr_curves"]) == set(curves)
        for label, curve in curves.items():
            assert result["pr_curves"][label]["ap"] == pytest.approx(curve.ap)
        best = engine.best_thresholds(iou=iou)
        assert {k: v["conf"] for k, v in result["best_thresholds"].items()} == pytest.approx(
            {k: v.conf for k, v in best.items()}
        )
        # A per-class IoU changes the answer (else the test would prove nothing).
        plain = engine.report(0.3, 0.5)
        assert not np.array_equal(plain.tp, report.tp)


def test_client_and_examples_take_a_per_class_iou(world: dict[str, Any]) -> None:
    engine: DetectionEvaluation = world["engine"]
    client: Client = world["client"]
    iou = mappings(world["names"])[0]
    report = client.report("det", "val", "m", conf=0.3, iou=iou)
    expected = engine.report(0.3, iou)
    assert report.tp.tolist() == expected.tp.tolist()
    assert report.fn.tolist() == expected.fn.tolist()
    page = client.examples("det", "val", "m", conf=0.3, iou=iou, limit=1000)
    assert page["iou"] == iou
    outcomes = engine.outcomes(0.3, iou)
    assert page["total"] == len(outcomes)
    counted = Counter((e["kind"], e["outcome"], e["label"]) for e in page["examples"])
    columns = outcomes.columns()
    oracle = Counter(
        zip(
            columns["kind"].tolist(),
            columns["outcome"].tolist(),
            columns["label"].tolist(),
            strict=True,
        )
    )
    assert counted == oracle
    # Saving the selection as a segment reads the same mapping.
    created = client.segment_from_examples(
        "det", "val", "m", "missed at per-class IoU", conf=0.3, iou=iou, outcome="FN"
    )
    missed = sorted({str(f) for f in columns["frame_id"][columns["outcome"] == "FN"].tolist()})
    assert created["frame_count"] == len(missed)


@pytest.mark.parametrize(
    ("iou", "message"),
    [
        ('{"zebra": 0.5}', "unknown class 'zebra'"),
        ('{"%s": 0}', "not in (0, 1]"),
        ('{"%s": 1.5}', "not in (0, 1]"),
        ('{"%s": "high"}', "is not a number"),
        ("[0.5]", "is not a number"),
        ("{not json", "not valid JSON"),
        ("0", "not in (0, 1]"),
    ],
)
def test_a_bad_iou_mapping_is_a_422_naming_it(
    world: dict[str, Any], iou: str, message: str
) -> None:
    value = iou % world["names"][0] if "%s" in iou else iou
    for route, extra in (("/metrics", {"inference_set": "m"}), ("/inference-sets/m/examples", {})):
        answer = httpx.get(world["url"] + BASE + route, params={"iou": value, **extra})
        assert answer.status_code == 422, answer.text
        body = answer.json()
        assert message in str(body), body


def test_a_tide_filter_refuses_a_per_class_iou(world: dict[str, Any]) -> None:
    name = world["names"][0]
    answer = httpx.get(
        world["url"] + BASE + "/inference-sets/m/examples",
        params={"iou": orjson.dumps({name: 0.6}).decode(), "tide": "Loc"},
    )
    assert answer.status_code == 422 and "one IoU" in answer.text, answer.text


@pytest.fixture(scope="module")
def labelbox_engine(world: dict[str, Any]) -> DetectionEvaluation:
    engine: DetectionEvaluation = world["engine"]
    return evaluate(engine.ground_truth, engine.predictions, protocol="labelbox")


@pytest.mark.parametrize("iou", [0.5, 0.3, 0.07, "per-class"])
def test_metrics_route_answers_labelbox_matching_as_the_engine(
    world: dict[str, Any], labelbox_engine: DetectionEvaluation, iou: float | str
) -> None:
    value: float | dict[str, float] = mappings(world["names"])[0] if iou == "per-class" else iou  # type: ignore[assignment]
    wire = orjson.dumps(value).decode() if isinstance(value, dict) else str(value)
    include = ["report", "confusion_matrix", "pr_curves", "best_thresholds", "coco_summary"]
    answer = httpx.get(
        world["url"] + BASE + "/metrics",
        params={"inference_set": "m", "conf": "0.3", "iou": wire, "include": include,
                "protocol": "labelbox"},
    ).json()  # fmt: skip
    assert answer["protocol"] == "labelbox"
    result = answer["results"][0]
    report = labelbox_engine.report(0.3, value)
    assert result["report"] == as_json(report.to_dict())
    labels = list(result["confusion_matrix"]["labels"][:-1])
    matrix = labelbox_engine.confusion_matrix(0.3, value, classes=labels)
    assert result["confusion_matrix"]["matrix"] == matrix.matrix.tolist()
    curves = labelbox_engine.pr_curves(iou=value)
    assert {k: v["ap"] for k, v in result["pr_curves"].items()} == pytest.approx(
        {k: v.ap for k, v in curves.items()}
    )
    assert result["coco_summary"] is None  # not defined under Labelbox's rule
    # COCO's answer at the same point differs (else this would prove nothing).
    coco = world["client"].metrics("det", "val", "m", conf=0.3, iou=value, include=["report"])
    assert coco["protocol"] == "coco"
    assert coco["results"][0]["report"] != result["report"]
    through_client = world["client"].metrics(
        "det", "val", "m", conf=0.3, iou=value, include=["report"], protocol="labelbox"
    )
    assert through_client["results"][0]["report"] == result["report"]


def test_labelbox_below_the_kept_confusions_or_unknown_is_a_4xx(world: dict[str, Any]) -> None:
    url = world["url"] + BASE + "/metrics"
    low = httpx.get(url, params={"inference_set": "m", "iou": "0.01", "protocol": "labelbox"})
    assert 400 <= low.status_code < 500 and "from 0.05" in low.text, low.text
    bad = httpx.get(url, params={"inference_set": "m", "protocol": "pascal"})
    assert bad.status_code == 422, bad.text


def test_examples_under_labelbox_matching_are_the_engines_outcomes(
    world: dict[str, Any], labelbox_engine: DetectionEvaluation
) -> None:
    client: Client = world["client"]
    page = client.examples("det", "val", "m", conf=0.3, iou=0.5, limit=1000, protocol="labelbox")
    assert page["protocol"] == "labelbox"
    columns = labelbox_engine.outcomes(0.3, 0.5).columns()
    oracle = Counter(
        zip(columns["kind"].tolist(), columns["outcome"].tolist(), columns["label"].tolist(),
            columns["reason"].tolist(), strict=True)
    )  # fmt: skip
    shown = Counter((e["kind"], e["outcome"], e["label"], e["reason"]) for e in page["examples"])
    assert page["total"] == sum(oracle.values()) and shown == oracle
    coco = client.examples("det", "val", "m", conf=0.3, iou=0.5, limit=1000)
    assert (
        Counter((e["kind"], e["outcome"], e["label"], e["reason"]) for e in coco["examples"])
        != oracle
    )
    # A matrix cell's examples under Labelbox's rule are that cell's count.
    answer = client.metrics("det", "val", "m", conf=0.3, iou=0.5, protocol="labelbox")
    matrix = answer["results"][0]["confusion_matrix"]
    truth, predicted = matrix["labels"][0], matrix["labels"][1]
    count = matrix["matrix"][0][1]
    cell = client.examples("det", "val", "m", conf=0.3, iou=0.5, truth=truth, predicted=predicted,
                           protocol="labelbox")  # fmt: skip
    assert cell["total"] == count
    saved = client.segment_from_examples(
        "det", "val", "m", "labelbox misses", conf=0.3, iou=0.5, outcome="FN", protocol="labelbox"
    )
    missed = {str(f) for f in columns["frame_id"][columns["outcome"] == "FN"].tolist()}
    assert saved["frame_count"] == len(missed)


def test_classification_refuses_labelbox_and_ignores_a_per_class_iou(tmp_path: Path) -> None:
    dataset, models = sdk_classification(3, num=20)
    store = Store(tmp_path)
    project = store.create_project("cls", task="classification", classes=list(CLASSES))
    stored = project.create_dataset("test", dataset)
    name, inferences = next(iter(models.items()))
    stored.create_inference_set(name, inferences)
    with serve(create_app(store)) as url:
        base = f"{url}/api/v1/projects/cls/datasets/test/metrics"
        refused = httpx.get(base, params={"inference_set": name, "protocol": "labelbox"})
        assert refused.status_code == 400 and "classification" in refused.text, refused.text
        per_class = httpx.get(
            base, params={"inference_set": name, "iou": orjson.dumps({CLASSES[0]: 0.7}).decode()}
        ).json()
        plain = httpx.get(base, params={"inference_set": name}).json()
        assert per_class["iou"] is None and per_class["results"] == plain["results"]
