"""shoal.client against a real server: uvicorn on a free localhost port, on a temporary
store. Every answer is checked against the local store and engine on the same data
(the local API is the oracle); every error status maps to its exception; ``shoal check
--url`` gates CI through the client."""

from __future__ import annotations

import contextlib
import http.server
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pytest

pytest.importorskip("httpx")
pytest.importorskip("fastapi")
uvicorn = pytest.importorskip("uvicorn")

from shoal.analysis import Comparison, SegmentResult  # noqa: E402
from shoal.client import (  # noqa: E402
    APIError,
    AuthenticationError,
    BadRequest,
    Client,
    ClientError,
    Conflict,
    ConnectionFailed,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    ProtocolError,
    ServerError,
    UsageError,
)
from shoal.engine.detection.metrics import CocoSummary  # noqa: E402
from shoal.engine.metrics import ClassificationReport, ConfusionMatrix  # noqa: E402
from shoal.errors import ShoalError  # noqa: E402
from shoal.sdk import Inferences, InferencesFrame, LabeledDataset, LabeledFrame  # noqa: E402
from shoal.server import create_app  # noqa: E402
from shoal.store import Store  # noqa: E402
from shoal.tables import LABELS_SCHEMA, DatasetTables, InferenceTables  # noqa: E402

from coco_oracle import coco_sample  # noqa: E402

RW_KEY = "rw-key-0123456789abcdef"
RO_KEY = "ro-key-0123456789abcdef"
CLASSES = ("cat", "dog", "bird")


# ------------------------------------------------------------------ servers
@contextlib.contextmanager
def serve(app: Any) -> Iterator[str]:
    """``app`` under uvicorn in a background thread; yields its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def as_json(value: Any) -> Any:
    """A local result as the server sends it (orjson: NaN as null, NumPy as lists)."""
    return orjson.loads(
        orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS)
    )


def sdk_detection(
    gt: dict[str, Any], dt: list[dict[str, Any]]
) -> tuple[LabeledDataset, Inferences]:
    """The same COCO data through the SDK frame builders."""
    names = {c["id"]: c["name"] for c in gt["categories"]}
    dataset = LabeledDataset()
    by_image: dict[int, list[dict[str, Any]]] = {}
    for ann in gt["annotations"]:
        by_image.setdefault(ann["image_id"], []).append(ann)
    for image in gt["images"]:
        frame = LabeledFrame(frame_id=str(image["id"]))
        frame.add_image(width=image.get("width", 640), height=image.get("height", 480))
        frame.add_user_metadata("weather", "rain" if image["id"] % 3 == 0 else "sun")
        frame.add_frame_embedding(embedding=[image["id"] / 7, 0.25, -1.5], model_id="m")
        for ann in by_image.get(image["id"], []):
            x, y, w, h = ann["bbox"]
            frame.add_label_2d_bbox(
                label_id=str(ann["id"]),
                classification=names[ann["category_id"]],
                top=y,
                left=x,
                width=w,
                height=h,
                area=ann["area"],
                iscrowd=bool(ann["iscrowd"]),
            )
            frame.add_crop_embedding(label_id=str(ann["id"]), embedding=[ann["area"] / 3, 1.0])
        dataset.add_frame(frame)
    inferences = Inferences()
    frames: dict[int, InferencesFrame] = {}
    for i, det in enumerate(dt):
        frame = frames.setdefault(det["image_id"], InferencesFrame(frame_id=str(det["image_id"])))
        x, y, w, h = det["bbox"]
        frame.add_inference_2d_bbox(
            label_id=f"p{i}",
            classification=names[det["category_id"]],
            top=y,
            left=x,
            width=w,
            height=h,
            confidence=det["score"],
        )
    for frame in frames.values():
        inferences.add_frame(frame)
    return dataset, inferences


def sdk_classification(seed: int, num: int = 60) -> tuple[LabeledDataset, dict[str, Inferences]]:
    rng = np.random.default_rng(seed)
    dataset = LabeledDataset()
    truth = rng.integers(0, len(CLASSES), num)
    for i in range(num):
        frame = LabeledFrame(frame_id=f"f{i:03d}")
        frame.add_user_metadata("batch", int(i % 4))
        frame.add_label_2d_classification(label_id=f"l{i}", classification=CLASSES[truth[i]])
        dataset.add_frame(frame)
    models = {}
    for name, skill in (("strong", 2.5), ("weak", 0.6)):
        inferences = Inferences()
        for i in range(num):
            logits = rng.normal(size=len(CLASSES))
            logits[truth[i]] += skill
            probs = np.exp(logits) / np.exp(logits).sum()
            probs = probs.astype(np.float32).astype(np.float64)
            best = int(np.argmax(probs))
            frame = InferencesFrame(frame_id=f"f{i:03d}")
            frame.add_inference_2d_classification(
                label_id=f"p{i}",
                classification=CLASSES[best],
                confidence=float(probs[best]),
                probabilities=probs,
            )
            inferences.add_frame(frame)
        models[name] = inferences
    return dataset, models


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A keyed server on a fresh store, loaded through the client only."""
    home = tmp_path_factory.mktemp("client-home")
    gt, dt, dataset_tables, inference_tables = coco_sample(seed=41, num_images=30)
    few = inference_tables.predictions.filter(
        np.arange(inference_tables.predictions.num_rows) % 5 == 0
    )
    sparse = InferenceTables.build(few)
    sdk_dataset, sdk_inferences = sdk_detection(gt, dt)
    cls_dataset, cls_models = sdk_classification(7)
    store = Store(home)
    app = create_app(store, api_keys={RW_KEY: "read-write", RO_KEY: "read-only"})
    with serve(app) as url, Client(url, token=RW_KEY) as client:
        categories = [c["name"] for c in gt["categories"]]
        client.create_project("det", classes=categories, default_conf=0.2)
        client.upload_dataset("det", "val", dataset_tables, chunk_rows=16)
        client.upload_inference_set("det", "val", "good", inference_tables, chunk_rows=25)
        client.upload_inference_set("det", None, "sparse", sparse)
        client.create_project("sdk", classes=categories, default_conf=0.2)
        client.upload_dataset("sdk", "val", sdk_dataset, chunk_rows=9)
        client.upload_inference_set("sdk", "val", "model", sdk_inferences, chunk_rows=40)
        client.create_project("cls", task="classification", classes=list(CLASSES))
        client.upload_dataset("cls", "test", cls_dataset)
        for name, inferences in cls_models.items():
            client.upload_inference_set("cls", "test", name, inferences, chunk_rows=13)
        # Segments: a regression test the good model passes and the sparse one fails.
        good = store.project("det").dataset("val").inference_set("good")
        recall = good.regression_results()[0].recall.score
        frames = dataset_tables.frames.column("frame_id").to_pylist()
        client.create_segment(
            "det",
            "val",
            "everything",
            type="regression_test",
            frames=frames,
            recall=round(recall - 0.01, 2),
        )
        client.create_segment("det", "val", "rainy", query="weather = 'rain'", precision=0.0)
        client.create_segment("det", "val", "first ten", type="split", frames=frames[:10])
        client.create_segment("cls", "test", "batch 0", query="batch = 0", f1_score=0.2)
        yield {
            "url": url,
            "home": home,
            "store": store,
            "client": client,
            "dataset_tables": dataset_tables,
            "inference_tables": inference_tables,
            "sparse": sparse,
            "sdk_dataset": sdk_dataset,
            "sdk_inferences": sdk_inferences,
        }
    store.close()


@pytest.fixture
def client(world: dict[str, Any]) -> Client:
    result: Client = world["client"]
    return result


@pytest.fixture
def local(world: dict[str, Any]) -> Store:
    """The oracle: a second Store on the server's home."""
    store = Store(world["home"])
    yield store
    store.close()


# ------------------------------------------------------------------ uploads
def same_table(stored: pa.Table, original: pa.Table) -> None:
    assert stored.column_names == original.column_names
    assert stored.to_pylist() == original.to_pylist()


def test_uploaded_tables_are_stored_unchanged(world: dict[str, Any], local: Store) -> None:
    dataset = local.project("det").dataset("val")
    tables = world["dataset_tables"]
    same_table(dataset.frames(), tables.frames)
    same_table(dataset.labels(), tables.labels)
    same_table(dataset.inference_set("good").predictions(), world["inference_tables"].predictions)
    same_table(dataset.inference_set("sparse").predictions(), world["sparse"].predictions)


def test_sdk_builders_upload_like_the_local_store(world: dict[str, Any], local: Store) -> None:
    dataset = local.project("sdk").dataset("val")
    expected = world["sdk_dataset"].to_tables()
    same_table(dataset.frames(), expected.frames)
    same_table(dataset.labels(), expected.labels)
    assert expected.embeddings.num_rows > 30
    same_table(dataset.tables().embeddings, expected.embeddings)
    predictions = world["sdk_inferences"].to_tables().predictions
    same_table(dataset.inference_set("model").predictions(), predictions)
    # The same data evaluates to the same numbers as the tables uploaded as Arrow.
    sdk = dataset.inference_set("model").evaluate().report(0.2, 0.5).to_dict()
    det = local.project("det").dataset("val").inference_set("good").evaluate()
    assert sdk == det.report(0.2, 0.5).to_dict()


def test_classification_probabilities_survive_the_upload(local: Store) -> None:
    predictions = local.project("cls").dataset("test").inference_set("strong").predictions()
    probabilities = predictions.column("probabilities").to_pylist()
    assert all(len(p) == len(CLASSES) for p in probabilities)
    assert predictions.schema.field("probabilities").type == pa.list_(pa.float32())


def test_upload_answer_and_progress(client: Client, world: dict[str, Any], local: Store) -> None:
    calls: list[tuple[int, int]] = []
    answer = client.upload_inference_set(
        "det",
        "val",
        "progress",
        world["sparse"],
        chunk_rows=10,
        progress=lambda *a: calls.append(a),
    )
    rows = world["sparse"].predictions.num_rows
    assert answer["kind"] == "inference_set" and answer["version"] == 1
    assert answer["rows"]["predictions"] == rows
    chunks = -(-rows // 10)
    assert calls == [(n, chunks) for n in range(1, chunks + 1)]
    assert (
        local.project("det").dataset("val").inference_set("progress").to_dict()["num_predictions"]
        == rows
    )
    client.delete_inference_set("det", "val", "progress")


def test_replace_needs_replace_true(client: Client, world: dict[str, Any], local: Store) -> None:
    client.upload_inference_set("det", "val", "victim", world["sparse"])
    with pytest.raises(Conflict) as caught:
        client.upload_inference_set("det", "val", "victim", world["inference_tables"])
    assert caught.value.status == 409 and "replace" in caught.value.detail
    victim = local.project("det").dataset("val").inference_set("victim")
    assert victim.version == 1
    assert victim.predictions().num_rows == world["sparse"].predictions.num_rows
    answer = client.upload_inference_set(
        "det", "val", "victim", world["inference_tables"], replace=True
    )
    assert answer["version"] == 2 == victim.version
    assert victim.predictions().num_rows == world["inference_tables"].predictions.num_rows
    client.delete_inference_set("det", "val", "victim")
    with pytest.raises(NotFound):
        client.inference_set("det", "val", "victim")


def test_a_failed_commit_stores_nothing_and_discards_the_upload(
    client: Client, world: dict[str, Any], local: Store
) -> None:
    first = world["dataset_tables"].frames.column("frame_id")[0].as_py()
    bad = pa.table(
        {"frame_id": [first, "no-such-frame"], "class_name": ["a", "a"], "x": [0.0, 0.0],
         "y": [0.0, 0.0], "width": [1.0, 1.0], "height": [1.0, 1.0]}
    )  # fmt: skip
    with pytest.raises(BadRequest) as caught:
        client.upload_inference_set("det", "val", "bad", InferenceTables.build(bad))
    assert caught.value.status == 400
    assert "no-such-frame" in str(caught.value)
    assert "bad" not in [i.name for i in local.project("det").dataset("val").inference_sets()]
    assert list((Path(world["home"]) / "uploads").iterdir()) == []


def test_upload_to_a_missing_project_sends_no_rows(client: Client, world: dict[str, Any]) -> None:
    with pytest.raises(NotFound, match="no project named 'nope'"):
        client.upload_dataset("nope", "val", world["dataset_tables"])
    with pytest.raises(NotFound, match="no dataset 'nope'"):
        client.upload_inference_set("det", "nope", "x", world["sparse"])
    assert list((Path(world["home"]) / "uploads").iterdir()) == []


def test_upload_rejects_what_is_not_a_dataset(client: Client, world: dict[str, Any]) -> None:
    with pytest.raises(UsageError, match="expected a labeled dataset"):
        client.upload_dataset("det", "x", world["inference_tables"])
    with pytest.raises(UsageError, match="expected inferences"):
        client.upload_inference_set("det", "val", "x", world["dataset_tables"])
    with pytest.raises(UsageError, match="chunk_rows"):
        client.upload_dataset("det", "x", world["dataset_tables"], chunk_rows=0)


# ----------------------------------------------------------------- entities
def test_projects_datasets_and_inference_sets_match_the_store(client: Client, local: Store) -> None:
    assert client.projects() == [as_json(p.to_dict()) for p in local.projects()]
    project = local.project("det")
    assert client.project("det") == as_json(project.to_dict())
    dataset = project.dataset("val")
    expected = {**dataset.to_dict(), "has_image_root": False}
    assert client.dataset("det", "val") == as_json(expected)
    assert client.datasets("det") == [as_json(expected)]
    assert client.inference_sets("det", "val") == [
        as_json(i.to_dict()) for i in dataset.inference_sets()
    ]
    assert client.inference_set("det", "val", "good") == as_json(
        dataset.inference_set("good").to_dict()
    )
    assert client.inference_set("det", None, "good") == client.inference_set("det", "val", "good")


def test_create_update_and_delete_a_project(client: Client, local: Store) -> None:
    created = client.create_project(
        "scratch", task="classification", classes=["a", {"name": "b", "id": 7}], default_conf=0.4
    )
    assert created == as_json(local.project("scratch").to_dict())
    assert [(c["name"], c["id"]) for c in created["classes"]] == [("a", 0), ("b", 7)]
    with pytest.raises(Conflict, match="exists already"):
        client.create_project("scratch")
    updated = client.update_project("scratch", default_iou=0.7, add_classes=["c"])
    assert updated["default_iou"] == 0.7 == local.project("scratch").default_iou
    assert [c.name for c in local.project("scratch").classes()] == ["a", "b", "c"]
    client.delete_project("scratch")
    with pytest.raises(NotFound):
        client.project("scratch")


def test_segments(client: Client, local: Store) -> None:
    dataset = local.project("det").dataset("val")
    ids = dataset.frames().column("frame_id").to_pylist()
    assert client.segments("det", "val") == [as_json(s.to_dict()) for s in dataset.segments()]
    assert client.segments("det")[0]["name"] == "All Frames"
    created = client.create_segment("det", "val", "tmp", frames=ids[:3], precision=0.5, recall=0.25)
    assert created == as_json(dataset.segment("tmp").to_dict())
    assert created["frame_count"] == 3
    changed = client.update_segment("det", "val", "tmp", recall=None, f1_score=0.75)
    assert changed["thresholds"] == {"precision": 0.5, "recall": None, "f1_score": 0.75}
    assert dataset.segment("tmp").thresholds == changed["thresholds"]
    again = client.set_thresholds("det", "val", "tmp", precision=0.125)
    assert (
        again["thresholds"]["precision"] == 0.125 == dataset.segment("tmp").thresholds["precision"]
    )
    renamed = client.update_segment("det", "val", "tmp", new_name="tmp2")
    assert renamed["uuid"] == created["uuid"] and client.segment("det", "val", "tmp2") == renamed
    with pytest.raises(Conflict):
        client.create_segment("det", "val", "tmp2", frames=ids[:1])
    with pytest.raises(BadRequest, match="unknown frame"):
        client.create_segment("det", "val", "tmp3", frames=["zzz"])
    with pytest.raises(BadRequest, match="unknown field"):
        client.create_segment("det", "val", "tmp3", query="wether = 'rain'")
    with pytest.raises(UsageError, match="unknown threshold"):
        client.set_thresholds("det", "val", "tmp2", accuracy=0.5)
    client.delete_segment("det", "val", "tmp2")
    with pytest.raises(NotFound):
        client.segment("det", "val", "tmp2")


def test_issues(client: Client, local: Store) -> None:
    from shoal.store import IssueElement

    ids = local.project("det").dataset("val").frames().column("frame_id").to_pylist()
    created = client.create_issue(
        "det", "missed cats", [IssueElement("val", ids[0]), {"dataset": "val", "frame_id": ids[1]}],
        notes="look",
    )  # fmt: skip
    assert created == as_json(local.project("det").issue("missed cats").to_dict())
    assert [e["frame_id"] for e in created["elements"]] == ids[:2]
    predictions = local.project("det").dataset("val").inference_set("good").predictions()
    prediction = predictions.filter(pc.equal(predictions.column("frame_id"), ids[2]))
    prediction_id = prediction.column("prediction_id")[0].as_py()
    updated = client.update_issue(
        "det",
        "missed cats",
        status="in_progress",
        add_elements=[
            IssueElement("val", ids[2], "prediction", prediction_id, inference_set="good")
        ],
    )
    assert updated == as_json(local.project("det").issue("missed cats").to_dict())
    assert updated["status"] == "in_progress" and len(updated["elements"]) == 3
    assert client.issues("det") == [updated]
    assert client.issue("det", "missed cats") == updated
    with pytest.raises(Conflict):
        client.create_issue("det", "missed cats")
    with pytest.raises(BadRequest):
        client.update_issue("det", "missed cats", status="closed")  # type: ignore[arg-type]
    client.delete_issue("det", "missed cats")
    assert client.issues("det") == []


def test_frames(client: Client, local: Store) -> None:
    dataset = local.project("det").dataset("val")
    rows = dataset.frames().to_pylist()
    page = client.frames("det", "val", offset=5, limit=7)
    assert (page["total"], page["offset"], page["limit"]) == (len(rows), 5, 7)
    assert [{k: f[k] for k in rows[0]} for f in page["frames"]] == as_json(rows[5:12])
    assert [f["frame_id"] for f in client.iter_frames("det", page_size=4)] == [
        r["frame_id"] for r in rows
    ]
    rainy = [f["frame_id"] for f in client.iter_frames("det", "val", query="weather = 'rain'")]
    assert rainy == dataset.query("weather = 'rain'")
    some = rows[3]["frame_id"]
    detail = client.frame("det", "val", some, inference_sets=["good"])
    labels = dataset.labels().to_pylist()
    assert detail["labels"] == as_json([r for r in labels if r["frame_id"] == some])
    predictions = dataset.inference_set("good").predictions().to_pylist()
    assert detail["predictions"]["good"] == as_json(
        [r for r in predictions if r["frame_id"] == some]
    )
    with pytest.raises(NotFound, match="no frame"):
        client.frame("det", "val", "nope")
    with pytest.raises(BadRequest):
        client.frames("det", "val", query="weather >")
    with pytest.raises(NotFound, match="has no image"):
        client.image("det", "val", some)


# ------------------------------------------------------------------ metrics
OPERATING_POINTS = [
    (None, None),
    (0.5, 0.3),
    ({"a": 0.3, "b": 0.6}, 0.75),
    (0.0, 0.5),
]


def det_point(local: Store, conf: Any, iou: Any) -> tuple[Any, float]:
    project = local.project("det")
    return (project.default_conf if conf is None else conf), (
        project.default_iou if iou is None else iou
    )


def class_names(local: Store) -> list[str]:
    return [c.name for c in local.project("det").classes()]


@pytest.mark.parametrize(("conf", "iou"), OPERATING_POINTS)
@pytest.mark.parametrize("segment", [None, "rainy", "first ten"])
def test_detection_metrics_equal_the_engine(
    client: Client, local: Store, conf: Any, iou: Any, segment: str | None
) -> None:
    if isinstance(conf, dict):
        names = class_names(local)
        conf = {names[0]: conf["a"], names[1]: conf["b"]}
    dataset = local.project("det").dataset("val")
    evaluation = dataset.inference_set("good").evaluate()
    frames = None if segment is None else dataset.segment(segment).frame_ids()
    c, i = det_point(local, conf, iou)
    kw = {"conf": conf, "iou": iou, "segment": segment}
    report = client.report("det", "val", "good", **kw)
    assert isinstance(report, ClassificationReport)
    assert report.to_dict() == as_json(evaluation.report(c, i, frames=frames).to_dict())
    matrix = client.confusion_matrix("det", "val", "good", **kw)
    assert isinstance(matrix, ConfusionMatrix)
    assert matrix.to_dict() == as_json(evaluation.confusion_matrix(c, i, frames=frames).to_dict())
    curves = evaluation.pr_curves(iou=i, frames=frames)
    remote_curves = client.pr_curves("det", "val", "good", iou=iou, segment=segment)
    assert {k: v.to_dict() for k, v in remote_curves.items()} == as_json(
        {k: v.to_dict() for k, v in curves.items()}
    )
    best = evaluation.best_thresholds(iou=i, frames=frames)
    remote_best = client.best_thresholds("det", "val", "good", iou=iou, segment=segment)
    assert remote_best == best


@pytest.mark.parametrize("segment", [None, "rainy"])
def test_coco_summary_equals_the_engine(client: Client, local: Store, segment: str | None) -> None:
    dataset = local.project("det").dataset("val")
    frames = None if segment is None else dataset.segment(segment).frame_ids()
    expected = dataset.inference_set("sparse").evaluate().coco_summary(frames=frames).to_dict()
    summary = client.coco_summary("det", "val", "sparse", segment=segment)
    assert isinstance(summary, CocoSummary)
    assert summary.to_dict() == as_json(expected)


def test_metrics_of_two_inference_sets_at_once(client: Client, local: Store) -> None:
    answer = client.metrics(
        "det", "val", ["good", "sparse"], conf=0.4, iou=0.5, include=["report", "coco_summary"]
    )
    dataset = local.project("det").dataset("val")
    assert (answer["dataset"], answer["segment"], answer["conf"], answer["iou"]) == (
        "val", "All Frames", 0.4, 0.5,
    )  # fmt: skip
    for result, name in zip(answer["results"], ["good", "sparse"], strict=True):
        evaluation = dataset.inference_set(name).evaluate()
        assert result["inference_set"] == name
        assert result["report"] == as_json(evaluation.report(0.4, 0.5).to_dict())
        assert result["coco_summary"] == as_json(evaluation.coco_summary().to_dict())
    with pytest.raises(UsageError, match="unknown metric"):
        client.metrics("det", "val", "good", include=["accuracy"])


@pytest.mark.parametrize("conf", [None, 0.45, {"cat": 0.6, "bird": 0.2}])
@pytest.mark.parametrize("model", ["strong", "weak"])
def test_classification_metrics_equal_the_engine(
    client: Client, local: Store, conf: Any, model: str
) -> None:
    project = local.project("cls")
    evaluation = project.dataset("test").inference_set(model).evaluate()
    c = project.default_conf if conf is None else conf
    assert client.report("cls", "test", model, conf=conf).to_dict() == as_json(
        evaluation.report(c).to_dict()
    )
    assert client.confusion_matrix("cls", None, model, conf=conf).to_dict() == as_json(
        evaluation.confusion_matrix(c).to_dict()
    )
    assert {k: v.to_dict() for k, v in client.pr_curves("cls", "test", model).items()} == as_json(
        {
            k: v.to_dict()
            for k, v in [*evaluation.pr_curves().items(), ("micro avg", evaluation.pr_curve())]
        }
    )
    assert client.best_thresholds("cls", "test", model) == evaluation.best_thresholds()
    frames = project.dataset("test").segment("batch 0").frame_ids()
    assert client.report("cls", "test", model, conf=conf, segment="batch 0").to_dict() == (
        as_json(evaluation.report(c, frames=frames).to_dict())
    )
    with pytest.raises(UsageError, match="not a detection project"):
        client.coco_summary("cls", "test", model)


@pytest.mark.parametrize(
    "filters",
    [
        {"outcome": "FP"},
        {"outcome": "TP", "order": "asc"},
        {"outcome": "FN", "sort": "area"},
        {"sort": "iou", "offset": 3, "limit": 11},
    ],
)
def test_examples_equal_the_engine_outcomes(
    client: Client, local: Store, filters: dict[str, Any]
) -> None:
    evaluation = local.project("det").dataset("val").inference_set("good").evaluate()
    rows = evaluation.outcomes(0.3, 0.5).where(outcome=filters.get("outcome"))
    order = filters.get("order", "desc")
    page = rows.sorted_by(filters.get("sort", "confidence"), descending=order == "desc").page(
        filters.get("offset", 0), filters.get("limit", 20)
    )
    answer = client.examples(
        "det", "val", "good", conf=0.3, iou=0.5, limit=filters.get("limit", 20),
        **{k: v for k, v in filters.items() if k != "limit"},
    )  # fmt: skip
    assert answer["total"] == len(rows)
    expected = as_json(page.records())
    for record in expected:
        if record["confidence"] is not None and np.isnan(record["confidence"]):
            record["confidence"] = None
    assert [{k: e[k] for k in expected[0]} for e in answer["examples"]] == expected


def test_examples_of_a_confusion_matrix_cell(client: Client, local: Store) -> None:
    evaluation = local.project("det").dataset("val").inference_set("good").evaluate()
    matrix = evaluation.confusion_matrix(0.2, 0.5)
    truth, predicted, count = matrix.largest_confusions(1)[0]
    answer = client.examples("det", "val", "good", truth=truth, predicted=predicted, limit=1000)
    assert answer["total"] == count == len(answer["examples"])
    with pytest.raises(BadRequest, match="needs both truth and predicted"):
        client.examples("det", "val", "good", truth=truth)
    local_cls = local.project("cls").dataset("test").inference_set("strong").evaluate()
    right = client.examples("cls", "test", "strong", conf=0.3, outcome="TP", limit=1000)
    # A prediction row and a label row per correct frame.
    assert right["total"] == 2 * int(local_cls.report(0.3).tp.sum())


@pytest.mark.parametrize(("conf", "iou", "segment"), [(None, None, None), (0.5, 0.3, "rainy")])
def test_compare_equals_the_analysis(
    client: Client, local: Store, conf: Any, iou: Any, segment: str | None
) -> None:
    dataset = local.project("det").dataset("val")
    comparison = dataset.inference_set("good").compare(
        dataset.inference_set("sparse"), conf=conf, iou=iou, segment=segment
    )
    answer = client.compare("det", "val", "good", "sparse", conf=conf, iou=iou, segment=segment)
    assert isinstance(answer, Comparison)
    c, i = det_point(local, conf, iou)
    assert (answer.base.conf, answer.base.iou, answer.other.conf, answer.other.iou) == (
        c, i, c, i,
    )  # fmt: skip
    expected = as_json(comparison.to_dict())
    assert answer.to_dict() == expected
    labels = comparison.matrix_labels
    assert [answer.cell(t, p) for t in labels for p in labels] == [
        comparison.cell(t, p) for t in labels for p in labels
    ]


def test_compare_of_classification(client: Client, local: Store) -> None:
    dataset = local.project("cls").dataset("test")
    comparison = dataset.inference_set("weak").compare(dataset.inference_set("strong"), conf=0.3)
    answer = client.compare("cls", None, "weak", "strong", conf=0.3)
    expected = as_json(comparison.to_dict())
    assert answer.to_dict() == expected
    assert (answer.base.accuracy, answer.other.accuracy) == (
        comparison.base.accuracy,
        comparison.other.accuracy,
    )


# --------------------------------------------------------------- regression
@pytest.mark.parametrize(
    ("conf", "iou"), [(None, None), (0.5, 0.3), (0.0, 0.9), ({"a": 0.1, "b": 0.9}, None)]
)
@pytest.mark.parametrize("name", ["good", "sparse"])
def test_regression_results_equal_the_store(
    client: Client, local: Store, name: str, conf: Any, iou: Any
) -> None:
    if isinstance(conf, dict):
        names = class_names(local)
        conf = {names[0]: conf["a"], names[1]: conf["b"]}
    inference_set = local.project("det").dataset("val").inference_set(name)
    expected = [r.to_dict() for r in inference_set.regression_results(conf=conf, iou=iou)]
    answer = client.regression_results("det", name, conf=conf, iou=iou)
    assert all(isinstance(r, SegmentResult) for r in answer)
    assert [r.to_dict() for r in answer] == as_json(expected)
    assert answer == inference_set.regression_results(conf=conf, iou=iou)
    assert answer == client.regression_results("det", name, dataset="val", conf=conf, iou=iou)
    assert answer[0].segment_name == "All Frames"


def test_regression_results_of_classification(client: Client, local: Store) -> None:
    inference_set = local.project("cls").dataset("test").inference_set("weak")
    expected = [r.to_dict() for r in inference_set.regression_results(conf=0.4)]
    answer = client.regression_results("cls", "weak", conf=0.4)
    assert [r.to_dict() for r in answer] == as_json(expected)


def test_regression_results_need_a_dataset_when_there_are_several(
    client: Client, world: dict[str, Any]
) -> None:
    client.create_project("multi")
    try:
        with pytest.raises(UsageError, match=r"has 0 datasets \(none\)"):
            client.regression_results("multi", "good")
        client.upload_dataset("multi", "one", world["dataset_tables"])
        client.upload_dataset("multi", "two", world["dataset_tables"])
        client.upload_inference_set("multi", "two", "good", world["sparse"])
        with pytest.raises(UsageError, match=r"has 2 datasets \('one', 'two'\).*dataset="):
            client.regression_results("multi", "good")
        assert client.regression_results("multi", "good", dataset="two")[0].frame_count == 30
        with pytest.raises(NotFound, match="no inference set 'good'"):
            client.regression_results("multi", "good", dataset="one")
    finally:
        client.delete_project("multi")


# ------------------------------------------------------------------- errors
def test_not_found_errors_name_what_is_missing(client: Client) -> None:
    with pytest.raises(NotFound) as caught:
        client.project("nope")
    error = caught.value
    assert (error.status, error.error) == (404, "not_found")
    assert error.detail.startswith("no project named 'nope'")
    assert "\n" not in str(error) and "404 not_found: no project named 'nope'" in str(error)
    assert "GET /api/v1/projects/nope" in str(error)
    assert isinstance(error, APIError) and isinstance(error, ClientError)
    assert isinstance(error, ShoalError) and isinstance(error, LookupError)
    for call in (
        lambda: client.dataset("det", "nope"),
        lambda: client.inference_set("det", "val", "nope"),
        lambda: client.report("det", "val", "nope"),
        lambda: client.report("det", "val", "good", segment="nope"),
        lambda: client.segment("det", "val", "nope"),
        lambda: client.issue("det", "nope"),
        lambda: client.regression_results("nope", "good"),
    ):
        with pytest.raises(NotFound):
            call()


def test_names_with_spaces_and_url_characters_stay_one_path_segment(
    client: Client, local: Store
) -> None:
    name = "a b?c#d%e&f=ü"
    client.create_project(name)
    try:
        assert client.project(name)["name"] == name
    finally:
        client.delete_project(name)
    # The store refuses a name with a slash (it names files too), locally and through
    # the server; asked for, it is one segment the server reads back whole.
    with pytest.raises(BadRequest, match="'/'"):
        client.create_project("x/y")
    with pytest.raises(NotFound, match="no project named 'x/y'"):
        client.project("x/y")
    assert "x/y" not in [p["name"] for p in client.projects()]


def test_bad_requests(client: Client) -> None:
    with pytest.raises(BadRequest) as caught:
        client.report("det", "val", "good", conf=3.0)
    assert (caught.value.status, caught.value.where) == (422, "query.conf")
    with pytest.raises(BadRequest) as caught:
        client.report("det", "val", "good", conf={"nope": 0.5})
    assert "unknown class 'nope'" in caught.value.detail
    with pytest.raises(BadRequest) as caught:
        client.report("det", "val", "good", iou=0.0)
    assert caught.value.status == 422 and caught.value.where == "query.iou"
    with pytest.raises(BadRequest) as caught:
        client.create_project("x", default_conf=2.0)
    assert caught.value.where == "body.default_conf"
    with pytest.raises(BadRequest) as caught:
        client.create_project("")
    assert caught.value.status == 400
    with pytest.raises(UsageError):
        client.report("det", "val", "good", conf="high")  # type: ignore[arg-type]


def test_authentication_and_permissions(world: dict[str, Any]) -> None:
    url = world["url"]
    with Client(url) as anonymous, pytest.raises(AuthenticationError) as caught:
        anonymous.projects()
    assert caught.value.status == 401 and "Bearer" in caught.value.detail
    wrong = "wrong-key-that-is-secret-42"
    with Client(url, token=wrong) as stranger, pytest.raises(AuthenticationError) as caught:
        stranger.project("det")
    assert caught.value.detail == "unknown API key"
    assert wrong not in str(caught.value) and wrong not in repr(caught.value)
    assert wrong not in repr(stranger)
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    with Client(url, token=RO_KEY) as reader:
        assert reader.project("det")["name"] == "det"
        assert reader.regression_results("det", "good") == world["client"].regression_results(
            "det", "good"
        )
        with pytest.raises(PermissionDenied) as denied:
            reader.create_project("not allowed")
        assert denied.value.status == 403 and "read-only" in denied.value.detail
        with pytest.raises(PermissionDenied):
            reader.upload_dataset("det", "ro", world["dataset_tables"])
        with pytest.raises(PermissionDenied):
            reader.delete_project("det")
        assert RO_KEY not in str(denied.value) and RO_KEY not in repr(reader)
    assert world["client"].project("det")["name"] == "det"


def test_server_errors(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: Store) -> list[Any]:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Store, "projects", broken)
    with pytest.raises(ServerError) as caught:
        client.projects()
    assert caught.value.status == 500 and caught.value.error == "internal_error"
    assert "RuntimeError" in caught.value.detail


def test_payload_too_large_and_chunks_that_split_themselves(tmp_path: Path) -> None:
    frames = pa.table(
        {"frame_id": [f"f{i}" for i in range(300)], "note": ["x" * 100 for _ in range(300)]}
    )
    tables = DatasetTables.build(frames, LABELS_SCHEMA.empty_table())
    store = Store(tmp_path)
    with serve(create_app(store, max_upload_bytes=8_000)) as url, Client(url) as client:
        client.create_project("p")
        calls: list[tuple[int, int]] = []
        client.upload_dataset("p", "d", tables, progress=lambda *a: calls.append(a))
        assert calls[-1][0] == calls[-1][1] > 1  # one chunk of 300 rows became several
        same_table(store.project("p").dataset("d").frames(), tables.frames)
        huge = DatasetTables.build(
            pa.table({"frame_id": ["big"], "note": ["y" * 20_000]}), tables.labels
        )
        with pytest.raises(PayloadTooLarge) as caught:
            client.upload_dataset("p", "huge", huge)
        assert caught.value.status == 413 and caught.value.where == "body"
        assert [d.name for d in store.project("p").datasets()] == ["d"]
        assert list((tmp_path / "uploads").iterdir()) == []
    store.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_connection_refused() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    secret = "secret-token-never-shown-1234"
    with Client(url, token=secret) as client, pytest.raises(ConnectionFailed) as caught:
        client.projects()
    message = str(caught.value)
    assert message.startswith(f"cannot reach the Shoal server at {url}")
    assert secret not in message and secret not in repr(caught.value)
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    assert isinstance(caught.value, ShoalError)


def test_a_server_that_does_not_answer_times_out() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)  # accepts connections in the backlog, never answers
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        with Client(url, timeout=0.3) as client, pytest.raises(ConnectionFailed) as caught:
            client.projects()
    assert "no answer within 0.3 s" in str(caught.value)


def test_a_server_that_is_not_shoal() -> None:
    class Html(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<html>hello</html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Html)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        with Client(url) as client, pytest.raises(ProtocolError, match="not JSON"):
            client.projects()
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("url", ["", "ftp://host", "localhost:8000", "http://u:p@host"])
def test_bad_urls(url: str) -> None:
    with pytest.raises(UsageError):
        Client(url)


def test_the_url_may_end_with_the_api_prefix(world: dict[str, Any]) -> None:
    with Client(world["url"] + "/api/v1/", token=RO_KEY) as client:
        assert client.url == world["url"]
        assert client.project("det")["name"] == "det"


def test_without_httpx(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "httpx", None)
    with pytest.raises(ClientError, match=r"pip install 'shoal\[client\]'"):
        Client("http://127.0.0.1:1")
    script = (
        "import sys; sys.modules['httpx'] = None\n"
        "import shoal, shoal.client\n"
        "print(shoal.__version__, shoal.client.Client.__name__)"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_errors_pickle_and_read_as_one_line() -> None:
    import pickle

    error = NotFound(
        404,
        "not_found",
        "no project named 'x'",
        "path.project",
        method="GET",
        path="/api/v1/projects/x",
    )
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is NotFound and str(again) == str(error)
    assert str(error) == (
        "404 not_found: no project named 'x' (at path.project) [GET /api/v1/projects/x]"
    )


# ---------------------------------------------------------------- shoal check
def run_check(url: str, *args: str, token: str | None = RW_KEY) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "shoal.cli", "check", "--url", url, *args]
    if token is not None:
        command += ["--token", token]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_check_against_a_server(world: dict[str, Any], tmp_path: Path) -> None:
    url = world["url"]
    passing = run_check(
        url, "--project", "det", "--inference-set", "good", "--token", RO_KEY, token=None
    )
    assert passing.returncode == 0, passing.stderr
    assert "all 2 regression test(s) passed" in passing.stderr
    junit = tmp_path / "junit.xml"
    failing = run_check(
        url, "--project", "det", "--inference-set", "sparse", "--junit", str(junit),
        "--baseline", "good",
    )  # fmt: skip
    assert failing.returncode == 1, failing.stderr
    assert "1 regression test(s) failed: everything" in failing.stderr
    suite = ET.parse(junit).getroot()
    expected = world["client"].regression_results("det", "sparse")
    assert suite.get("tests") == str(len(expected)) == "4"
    assert (suite.get("failures"), suite.get("skipped")) == ("1", "2")
    failure = suite.find("testcase[@name='everything']/failure")
    assert failure is not None and failure.get("message", "").startswith("recall ")


def test_check_prints_the_same_numbers_as_the_store(world: dict[str, Any], local: Store) -> None:
    results = (
        local.project("det")
        .dataset("val")
        .inference_set("good")
        .regression_results(conf=0.5, iou=0.3)
    )
    done = run_check(
        world["url"],
        "--project",
        "det",
        "--dataset",
        "val",
        "--inference-set",
        "good",
        "--conf",
        "0.5",
        "--iou",
        "0.3",
    )
    row = next(line for line in done.stdout.splitlines() if line.startswith("everything"))
    assert f"{results[1].recall.score:.3f}" in row


def test_check_prints_the_same_locally_and_remotely(world: dict[str, Any], tmp_path: Path) -> None:
    """``shoal check --url`` and ``shoal check --home`` share one code path: the same
    table, verdict, exit code and JUnit file."""
    args = ("--project", "det", "--inference-set", "sparse", "--baseline", "good")
    remote = run_check(world["url"], *args, "--junit", str(tmp_path / "remote.xml"))
    local = subprocess.run(
        [sys.executable, "-m", "shoal.cli", "check", *args, "--home", str(world["home"]),
         "--junit", str(tmp_path / "local.xml")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert remote.returncode == local.returncode == 1, (remote.stderr, local.stderr)
    assert remote.stdout == local.stdout and remote.stderr == local.stderr
    assert (tmp_path / "remote.xml").read_text() == (tmp_path / "local.xml").read_text()


@pytest.mark.parametrize(
    ("args", "token", "message"),
    [
        (("--project", "nope", "--inference-set", "good"), RW_KEY, "no project named 'nope'"),
        (("--project", "det", "--inference-set", "nope"), RW_KEY, "no inference set 'nope'"),
        (("--project", "det", "--inference-set", "good"), "bad-key-bad-key-bad", "unknown API key"),
        (("--project", "det", "--inference-set", "good"), None, "needs an API key"),
    ],
)
def test_check_bad_input_exits_2(
    world: dict[str, Any], args: tuple[str, ...], token: str | None, message: str
) -> None:
    done = run_check(world["url"], *args, token=token)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
    if token:
        assert token not in done.stderr


def test_check_when_the_server_is_down() -> None:
    done = run_check(f"http://127.0.0.1:{free_port()}", "--project", "p", "--inference-set", "m")
    assert done.returncode == 2
    assert "cannot reach the Shoal server" in done.stderr and "Traceback" not in done.stderr


def test_docs_name_every_public_method() -> None:
    text = (Path(__file__).parent.parent / "docs" / "client.md").read_text()
    public = [n for n in dir(Client) if not n.startswith("_") and callable(getattr(Client, n))]
    missing = [n for n in public if f"{n}(" not in text]
    assert missing == []
