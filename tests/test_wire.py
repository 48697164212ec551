"""The wire: every result class reads back what its ``to_dict`` wrote, field by field;
class names that collide with every key of the report survive Python, REST and the
client; one ``except`` catches the local store's error and the client's."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pytest

from shoal.analysis import Comparison, SegmentResult
from shoal.engine.detection.metrics import CocoSummary
from shoal.engine.metrics import ClassificationReport, ConfusionMatrix, PRCurve, ThresholdChoice
from shoal.errors import ConflictError, InputError, NotFoundError
from shoal.store import Store
from shoal.tables import DatasetTables, InferenceTables

from coco_oracle import coco_tables, random_coco

# Every key of the report's wire format and of scikit-learn's shape, as class names.
COLLIDING = (
    "accuracy",
    "conf",
    "iou",
    "micro avg",
    "macro avg",
    "weighted avg",
    "classes",
    "averages",
    "label",
    "precision",
    "recall",
    "f1-score",
    "support",
    "tp",
    "fp",
    "fn",
    "ap",
    "per_class",
)


def through_json(value: Any) -> Any:
    """What a value reads as after a trip through the server (orjson, NumPy as lists)."""
    return orjson.loads(orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY))


def assert_same_fields(got: Any, expected: Any, path: str = "") -> None:
    """Dataclasses equal field by field: arrays by dtype, shape and value (NaN equal to
    NaN), nested results recursively, everything else by ``==`` and type."""
    assert type(got) is type(expected), path
    for field in dataclasses.fields(expected):
        a, b = getattr(got, field.name), getattr(expected, field.name)
        where = f"{path}.{field.name}"
        if isinstance(b, np.ndarray):
            assert isinstance(a, np.ndarray) and a.dtype == b.dtype, where
            np.testing.assert_array_equal(a, b, err_msg=where)
        elif dataclasses.is_dataclass(b):
            assert_same_fields(a, b, where)
        else:
            assert a == b and type(a) is type(b), (where, a, b)


def detection_store(home: Path, names: tuple[str, ...] | None = None, seed: int = 41) -> Store:
    """A detection project "det" with dataset "val" and inference sets "good" and
    "sparse", its classes renamed to ``names`` when given."""
    gt, dt = random_coco(np.random.default_rng(seed), num_images=20, num_classes=6)
    if names is not None:
        for category, name in zip(gt["categories"], names, strict=False):
            category["name"] = name
    dataset_tables, inference_tables = coco_tables(gt, dt)
    few = inference_tables.predictions.filter(
        np.arange(inference_tables.predictions.num_rows) % 3 == 0
    )
    store = Store(home)
    classes = [c["name"] for c in gt["categories"]]
    dataset = store.create_project("det", classes=classes, default_conf=0.2).create_dataset(
        "val", dataset_tables
    )
    dataset.create_inference_set("good", inference_tables)
    dataset.create_inference_set("sparse", InferenceTables.build(few))
    frames = dataset_tables.frames.column("frame_id").to_pylist()
    dataset.create_segment("half", type="regression_test", frames=frames[::2], recall=0.3)
    return store


def classification_store(home: Path, names: tuple[str, ...], n: int = 90) -> Store:
    """A classification project "cls" with dataset "test" and inference sets "strong"
    and "weak" over ``names``."""
    rng = np.random.default_rng(5)
    truth = rng.integers(0, len(names), n)
    frames = pa.table({"frame_id": [f"f{i}" for i in range(n)]})
    labels = pa.table(
        {
            "label_id": [f"l{i}" for i in range(n)],
            "frame_id": [f"f{i}" for i in range(n)],
            "class_name": [names[t] for t in truth],
        }
    )
    store = Store(home)
    dataset = store.create_project("cls", task="classification", classes=list(names))
    test = dataset.create_dataset("test", DatasetTables.build(frames, labels))
    for name, skill in (("strong", 3.0), ("weak", 0.5)):
        logits = rng.normal(size=(n, len(names)))
        logits[np.arange(n), truth] += skill
        probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        predictions = pa.table(
            {
                "frame_id": [f"f{i}" for i in range(n)],
                "class_name": [names[i] for i in probabilities.argmax(axis=1)],
                "confidence": probabilities.max(axis=1),
            }
        )
        test.create_inference_set(name, InferenceTables.build(predictions))
    test.create_segment("first half", frames=[f"f{i}" for i in range(n // 2)], f1_score=0.2)
    return store


# --------------------------------------------------------------- round trips
@pytest.fixture(scope="module")
def det(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = detection_store(tmp_path_factory.mktemp("det"))
    yield store
    store.close()


@pytest.fixture(scope="module")
def cls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = classification_store(tmp_path_factory.mktemp("cls"), ("cat", "dog", "fox", "owl"))
    yield store
    store.close()


@pytest.mark.parametrize("conf", [0.0, 0.35, "per class"])
def test_detection_results_read_back_field_by_field(det: Store, conf: Any) -> None:
    dataset = det.project("det").dataset("val")
    good, sparse = dataset.inference_set("good"), dataset.inference_set("sparse")
    evaluation = good.evaluate()
    if conf == "per class":
        conf = {name: 0.1 * (i + 1) for i, name in enumerate(evaluation.labels)}
    report = evaluation.report(conf, 0.6)
    assert report.ap is not None and report.accuracy is None
    assert_same_fields(ClassificationReport.from_dict(through_json(report.to_dict())), report)
    matrix = evaluation.confusion_matrix(conf, 0.6)
    assert_same_fields(ConfusionMatrix.from_dict(through_json(matrix.to_dict())), matrix)
    for curve in evaluation.pr_curves(iou=0.6).values():
        assert_same_fields(PRCurve.from_dict(through_json(curve.to_dict())), curve)
    for choice in evaluation.best_thresholds(iou=0.6).values():
        assert_same_fields(ThresholdChoice.from_dict(through_json(choice.to_dict())), choice)
    results = sparse.regression_results(conf=conf, iou=0.6)
    assert [r.succeeds for r in results] == [None, False]
    for result in results:
        assert_same_fields(SegmentResult.from_dict(through_json(result.to_dict())), result)
    comparison = good.compare(sparse, conf=conf, iou=0.6)
    again = Comparison.from_dict(through_json(comparison.to_dict()))
    assert_same_fields(again, comparison)
    assert again.to_dict() == through_json(comparison.to_dict())
    labels = comparison.matrix_labels
    assert [again.cell(t, p) for t in labels for p in labels] == [
        comparison.cell(t, p) for t in labels for p in labels
    ]


def test_the_coco_summary_reads_back_what_it_sends(det: Store) -> None:
    summary = det.project("det").dataset("val").inference_set("good").evaluate().coco_summary()
    wire = through_json(summary.to_dict())
    again = CocoSummary.from_dict(wire)
    assert again.stats == summary.stats and again.labels == summary.labels
    for name in ("class_ap", "class_ap50", "class_ap75", "class_ar100"):
        np.testing.assert_array_equal(getattr(again, name), getattr(summary, name))
    assert again.to_dict() == wire
    # The (T, R, C, A, D) arrays do not travel: they are empty, not made up.
    assert again.precision.size == 0 and again.recall.size == 0


@pytest.mark.parametrize("conf", [0.0, 0.5, {"cat": 0.7, "owl": 0.2}])
def test_classification_results_read_back_field_by_field(cls: Store, conf: Any) -> None:
    dataset = cls.project("cls").dataset("test")
    strong, weak = dataset.inference_set("strong"), dataset.inference_set("weak")
    evaluation = strong.evaluate()
    report = evaluation.report(conf)
    assert report.accuracy is not None and report.iou is None
    assert_same_fields(ClassificationReport.from_dict(through_json(report.to_dict())), report)
    matrix = evaluation.confusion_matrix(conf)
    assert_same_fields(ConfusionMatrix.from_dict(through_json(matrix.to_dict())), matrix)
    for curve in evaluation.pr_curves().values():
        assert_same_fields(PRCurve.from_dict(through_json(curve.to_dict())), curve)
    for result in weak.regression_results(conf=conf):
        assert_same_fields(SegmentResult.from_dict(through_json(result.to_dict())), result)
    comparison = weak.compare(strong, conf=conf)
    assert comparison.to_dict()["accuracy"]["delta"] == pytest.approx(
        comparison.other.accuracy - comparison.base.accuracy
    )
    assert_same_fields(Comparison.from_dict(through_json(comparison.to_dict())), comparison)


def test_the_sklearn_shape_is_still_there(cls: Store) -> None:
    from sklearn.metrics import classification_report

    dataset = cls.project("cls").dataset("test")
    evaluation = dataset.inference_set("strong").evaluate()
    report = evaluation.report(0.0)
    truth = dataset.labels().column("class_name").to_pylist()
    predicted = dataset.inference_set("strong").predictions().column("class_name").to_pylist()
    expected = classification_report(truth, predicted, output_dict=True, zero_division=0)
    got = report.to_sklearn_dict()
    assert got["accuracy"] == pytest.approx(expected["accuracy"])
    for name in ("cat", "dog", "macro avg", "weighted avg"):
        for metric in ("precision", "recall", "f1-score", "support"):
            assert got[name][metric] == pytest.approx(expected[name][metric]), (name, metric)
    # The wire format has the same numbers as records.
    wire = report.to_dict()
    rows = {row["label"]: row for row in wire["classes"]}
    assert rows["cat"]["f1-score"] == got["cat"]["f1-score"]
    assert wire["averages"]["macro avg"]["recall"] == got["macro avg"]["recall"]
    assert wire["accuracy"] == got["accuracy"]


# ---------------------------------------------------------- colliding names
def check_colliding_report(wire: dict[str, Any], expected: ClassificationReport) -> None:
    """The wire report of classes named like its keys: every class its own record,
    every top-level key what it says."""
    assert set(wire) == {"classes", "averages", "accuracy", "conf", "iou"}
    assert [row["label"] for row in wire["classes"]] == list(expected.labels)
    for row in wire["classes"]:
        local = expected.row(row["label"])
        assert {k: row[k] for k in local} == pytest.approx(local)
    assert set(wire["averages"]) == {"micro avg", "macro avg", "weighted avg"}
    micro = expected.averages()["micro avg"]
    assert wire["averages"]["micro avg"]["precision"] == pytest.approx(micro["precision"])
    assert wire["accuracy"] == expected.accuracy
    assert wire["iou"] == expected.iou
    assert_same_fields(ClassificationReport.from_dict(wire), expected)


@pytest.fixture(scope="module")
def colliding(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    home = tmp_path_factory.mktemp("colliding")
    detection_store(home, COLLIDING[:6]).close()
    store = classification_store(home, COLLIDING)
    yield store
    store.close()


def test_colliding_class_names_in_python(colliding: Store) -> None:
    dataset = colliding.project("cls").dataset("test")
    report = dataset.inference_set("strong").evaluate().report(0.3)
    assert set(report.labels) == set(COLLIDING)
    check_colliding_report(through_json(report.to_dict()), report)
    # Only the scikit-learn shape loses classes to its keys (which is why it is not sent).
    sklearn_shape = report.to_sklearn_dict()
    assert sklearn_shape["accuracy"] == report.accuracy
    assert not isinstance(sklearn_shape["accuracy"], dict)
    det_report = colliding.project("det").dataset("val").inference_set("good").evaluate()
    det_report_at = det_report.report(0.2, 0.5)
    check_colliding_report(through_json(det_report_at.to_dict()), det_report_at)


def test_colliding_class_names_over_rest(colliding: Store) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from shoal.server import create_app

    api = TestClient(create_app(colliding), base_url="http://localhost")
    for project, dataset, model, iou in (
        ("cls", "test", "strong", None),
        ("det", "val", "good", 0.5),
    ):
        path = f"/api/v1/projects/{project}/datasets/{dataset}"
        params: dict[str, Any] = {"inference_set": model, "conf": "0.3"}
        if iou is not None:
            params["iou"] = iou
        answer = api.get(f"{path}/metrics", params=params)
        assert answer.status_code == 200, answer.text
        evaluation = colliding.project(project).dataset(dataset).inference_set(model).evaluate()
        expected = evaluation.report(0.3) if iou is None else evaluation.report(0.3, iou)
        check_colliding_report(answer.json()["results"][0]["report"], expected)
    # A per-class threshold on a class named "conf".
    answer = api.get(
        "/api/v1/projects/cls/datasets/test/metrics",
        params={"inference_set": "weak", "conf": '{"conf": 0.9, "accuracy": 0.1}'},
    )
    assert answer.status_code == 200, answer.text
    report = answer.json()["results"][0]["report"]
    assert (report["conf"]["conf"], report["conf"]["accuracy"]) == (0.9, 0.1)
    assert set(report["conf"]) == set(COLLIDING)
    evaluation = colliding.project("cls").dataset("test").inference_set("weak").evaluate()
    check_colliding_report(report, evaluation.report({"conf": 0.9, "accuracy": 0.1}))
    schema = api.get("/openapi.json").json()["components"]["schemas"]
    report_ref = schema["MetricsResult"]["properties"]["report"]
    assert "#/components/schemas/ReportOut" in orjson.dumps(report_ref).decode()
    assert set(schema["ReportOut"]["required"]) == {
        "classes", "averages", "accuracy", "conf", "iou",
    }  # fmt: skip
    row = schema["ClassRow"]["properties"]
    assert {"label", "precision", "recall", "f1-score", "support", "tp", "fp", "fn", "ap"} <= set(
        row
    )


def test_colliding_class_names_through_the_client(colliding: Store) -> None:
    pytest.importorskip("httpx")
    from shoal.client import Client
    from shoal.server import create_app
    from test_client import serve

    with serve(create_app(colliding)) as url, Client(url) as client:
        local = colliding.project("cls").dataset("test")
        evaluation = local.inference_set("strong").evaluate()
        remote = client.report("cls", "test", "strong", conf=0.3)
        assert_same_fields(remote, evaluation.report(0.3))
        assert_same_fields(
            client.report("cls", "test", "strong", conf={"micro avg": 0.8}),
            evaluation.report({"micro avg": 0.8}),
        )
        assert_same_fields(
            client.confusion_matrix("cls", "test", "strong", conf=0.3),
            evaluation.confusion_matrix(0.3),
        )
        assert_same_fields(
            client.compare("cls", "test", "weak", "strong", conf=0.3),
            local.inference_set("weak").compare(local.inference_set("strong"), conf=0.3),
        )
        det = colliding.project("det").dataset("val").inference_set("good").evaluate()
        assert_same_fields(
            client.report("det", "val", "good", conf=0.2, iou=0.5), det.report(0.2, 0.5)
        )


# ---------------------------------------------------------------- errors
def test_one_except_catches_the_local_and_the_remote_error(det: Store) -> None:
    """The same handlers, written against the local store, catch the client's errors."""
    pytest.importorskip("httpx")
    from shoal.client import Client
    from shoal.server import create_app
    from test_client import serve

    def caught(call: Any) -> str:
        try:
            call()
        except NotFoundError:
            return "not found"
        except ConflictError:
            return "conflict"
        except InputError:
            return "bad input"
        return "no error"

    frames = det.project("det").dataset("val").frames().column("frame_id").to_pylist()
    with serve(create_app(det)) as url, Client(url) as client:
        assert caught(lambda: det.project("nope")) == "not found"
        assert caught(lambda: client.project("nope")) == "not found"
        assert caught(lambda: det.project("det").dataset("val").segment("nope")) == "not found"
        assert caught(lambda: client.segment("det", "val", "nope")) == "not found"
        assert caught(lambda: det.create_project("det")) == "conflict"
        assert caught(lambda: client.create_project("det")) == "conflict"
        local_segment = det.project("det").dataset("val").create_segment
        assert caught(lambda: local_segment("half", frames=frames[:1])) == "conflict"
        assert caught(lambda: client.create_segment("det", "val", "half", frames=frames[:1])) == (
            "conflict"
        )
        assert caught(lambda: local_segment("bad", frames=["no such frame"])) == "bad input"
        assert (
            caught(lambda: client.create_segment("det", "val", "bad", frames=["no such frame"]))
            == "bad input"
        )
        assert caught(lambda: client.report("det", "val", "good", conf=3.0)) == "bad input"


def test_colliding_class_names_in_the_cli_json(tmp_path: Path) -> None:
    import subprocess
    import sys

    import shoal

    gt, dt = random_coco(np.random.default_rng(8), num_images=10, num_classes=6)
    for category, name in zip(gt["categories"], COLLIDING[:6], strict=True):
        category["name"] = name
    (tmp_path / "gt.json").write_bytes(orjson.dumps(gt))
    (tmp_path / "dt.json").write_bytes(orjson.dumps(dt))
    done = subprocess.run(
        [sys.executable, "-m", "shoal.cli", "eval", str(tmp_path / "gt.json"),
         str(tmp_path / "dt.json"), "--conf", "0.3", "--json", str(tmp_path / "out.json")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    wire = orjson.loads((tmp_path / "out.json").read_bytes())["report"]
    expected = shoal.evaluate_detections(
        tmp_path / "gt.json", tmp_path / "dt.json", iou_thresholds=[0.5]
    ).report(0.3, 0.5)
    check_colliding_report(wire, expected)


def test_the_client_errors_are_the_core_errors() -> None:
    import pickle

    from shoal.client import APIError, BadRequest, ClientError, Conflict, NotFound

    for client_error, core_error, extra in (
        (NotFound, NotFoundError, LookupError),
        (Conflict, ConflictError, ValueError),
        (BadRequest, InputError, ValueError),
    ):
        assert issubclass(client_error, APIError) and issubclass(client_error, ClientError)
        assert issubclass(client_error, core_error) and issubclass(client_error, extra)
        error = client_error(409, "conflict", "a project named 'p' exists already", "body.name")
        # What code handling an InputError reads: the message, and str() in one line.
        assert error.message == "a project named 'p' exists already"
        assert (error.source, error.record) == (None, None)
        assert str(error) == "409 conflict: a project named 'p' exists already (at body.name)"
        again = pickle.loads(pickle.dumps(error))
        assert type(again) is client_error and str(again) == str(error)
    # located() keeps the class (a NotFoundError stays one when it learns its file).
    found = NotFoundError("no frame 'x'", record=3).located("labels.json")
    assert type(found) is NotFoundError and str(found) == "labels.json: record 3: no frame 'x'"


def test_curves_carry_their_f1_and_best_point_over_rest(det: Store) -> None:
    """A face draws a curve's F1 and best point from the answer, never deriving them."""
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from shoal.server import create_app

    api = TestClient(create_app(det), base_url="http://localhost")
    evaluation = det.project("det").dataset("val").inference_set("good").evaluate()
    for points in (None, 40):
        params: dict[str, Any] = {"inference_set": "good", "iou": 0.5, "include": "pr_curves"}
        if points is not None:
            params["curve_points"] = points
        answer = api.get("/api/v1/projects/det/datasets/val/metrics", params=params)
        assert answer.status_code == 200, answer.text
        curves = answer.json()["results"][0]["pr_curves"]
        assert curves, "no curves answered"
        pooled = evaluation.pr_curves(iou=0.5)  # per class and "all"
        assert set(curves) == set(pooled)
        for label, wire in curves.items():
            curve = pooled[label]
            if points is not None:
                curve = curve.downsampled(points)
            best = curve.best()
            assert wire["best"] == {
                "label": label,
                "conf": best.conf,
                "f1-score": best.f1_score,
                "precision": best.precision,
                "recall": best.recall,
            }
            assert wire["f1"] == curve.f1_score.tolist()
            assert len(wire["f1"]) == len(wire["thresholds"])
            # The best point is one of the points, with the highest F1.
            assert wire["best"]["f1-score"] == max(wire["f1"], default=0.0)
