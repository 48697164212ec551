"""The label-error queue through the store: InferenceSet.label_errors equals the analysis on
the stored data and is cached per version; reviews persist in the catalog (across a reopen),
can add the suspect object to an issue, and the confirmed ones export as a COCO patch and
CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

import shoal
from shoal.analysis.label_errors import detection_label_errors
from shoal.engine._frame_index import FrameIndex
from shoal.errors import NotFoundError
from shoal.tables import DatasetTables, InferenceTables

from coco_oracle import coco_sample, coco_tables


def stored_sample(home: Path) -> dict[str, Any]:
    """Random COCO data in a new store at ``home``: project "coco", dataset "val" with a
    segment "half" (every other frame) and an issue "relabel", inference set "model"."""
    gt, dt, dataset_tables, inference_tables = coco_sample(seed=31, num_images=40)
    store = shoal.Store(home)
    project = store.create_project("coco", classes=[c["name"] for c in gt["categories"]])
    dataset = project.create_dataset("val", dataset_tables)
    inference_set = dataset.create_inference_set("model", inference_tables)
    frames = sorted(dataset.frames().column("frame_id").to_pylist())[::2]
    dataset.create_segment("half", frames=frames)
    project.create_issue("relabel")
    return {"gt": gt, "dt": dt, "store": store, "set": inference_set, "frames": frames,
            "home": home}  # fmt: skip


@pytest.fixture
def sample(tmp_path: Path) -> Iterator[dict[str, Any]]:
    yield stored_sample(tmp_path / "home")


def _expected(inference_set: Any, frames: list[str] | None = None, **settings: float) -> Any:
    with inference_set.evaluation() as evaluation:
        pass
    gt, dt = evaluation.ground_truth, evaluation.predictions
    mask = None if frames is None else FrameIndex(gt.frame_ids).mask(frames)
    return detection_label_errors(gt, dt, frames=mask, **settings), gt, dt


def test_queue_equals_the_analysis_and_is_cached(sample: dict[str, Any]) -> None:
    inference_set = sample["set"]
    queue = inference_set.label_errors()
    expected, gt, _ = _expected(inference_set)
    assert len(queue.errors) == len(expected) > 0
    np.testing.assert_array_equal(queue.errors.score, expected.score)
    entries = [queue.entry(i) for i in range(len(queue.errors))]
    assert {entry["kind"] for entry in entries} >= {"missing", "spurious"}
    for entry, row in zip(entries, expected.to_records(gt), strict=True):
        assert entry["kind"] == row["kind"] and entry["score"] == row["score"]
        assert entry["image_id"] == str(row["image_id"])
        if entry["kind"] != "missing":
            assert entry["id"] == f"{entry['kind']}:{row['annotation_id']}"
    assert inference_set.label_errors() is queue
    assert inference_set.label_errors(min_score=0.7) is not queue
    half = inference_set.label_errors(segment="half")
    expected_half, _, _ = _expected(inference_set, sample["frames"])
    np.testing.assert_array_equal(half.errors.score, expected_half.score)
    assert len(half.errors) < len(queue.errors)
    assert all(half.entry(i)["image_id"] in sample["frames"] for i in range(len(half.errors)))
    with pytest.raises(shoal.InputError, match="bg_iou"):
        inference_set.label_errors(fg_iou=0.3, bg_iou=0.4)


def test_reviews_persist_and_export(sample: dict[str, Any]) -> None:
    inference_set = sample["set"]
    queue = inference_set.label_errors(min_score=0.0)
    by_kind: dict[str, dict[str, Any]] = {}
    for i in range(len(queue.errors)):
        by_kind.setdefault(queue.entry(i)["kind"], queue.entry(i))
    assert set(by_kind) == {"missing", "spurious", "wrong_class", "loose_box"}
    for kind, entry in by_kind.items():
        review = inference_set.review_label_error(
            entry["id"], status="confirmed", issue="relabel" if kind == "spurious" else None
        )
        assert review["status"] == "confirmed" and review["id"] == entry["id"]
    dismissed = next(
        queue.entry(i)["id"]
        for i in range(len(queue.errors))
        if queue.entry(i)["id"] not in {e["id"] for e in by_kind.values()}
    )
    inference_set.review_label_error(dismissed, status="dismissed", note="fine")

    # A new Store on the same home reads the reviews back from the catalog.
    reopened = shoal.Store(sample["home"]).project("coco").dataset("val").inference_set("model")
    reviews = reopened.label_error_reviews()
    assert {c for c, r in reviews.items() if r["status"] == "confirmed"} == {
        e["id"] for e in by_kind.values()
    }
    assert reviews[dismissed]["status"] == "dismissed" and reviews[dismissed]["note"] == "fine"
    spurious = by_kind["spurious"]
    elements = reopened.dataset.project.issue("relabel").elements()
    assert [(e.frame_id, e.element_kind, e.element_id) for e in elements] == [
        (spurious["image_id"], "label", str(spurious["annotation_id"]))
    ]

    patch = json.loads(reopened.export_label_errors("coco"))
    missing, wrong, loose = by_kind["missing"], by_kind["wrong_class"], by_kind["loose_box"]
    dt = sample["dt"]
    category_ids = {c.name: c.id for c in sample["set"].dataset.project.classes()}
    names = {c["id"]: c["name"] for c in sample["gt"]["categories"]}
    predicted = dt[missing["prediction_id"] - 1]  # prediction ids: 1-based file positions
    assert patch["add_annotations"] == [
        {
            "image_id": missing["image_id"],
            "category_id": category_ids[names[predicted["category_id"]]],
            "category": names[predicted["category_id"]],
            "bbox": pytest.approx(predicted["bbox"]),
            "from_prediction": missing["prediction_id"],
        }
    ]
    assert patch["remove_annotations"] == [
        {"annotation_id": spurious["annotation_id"], "image_id": spurious["image_id"]}
    ]
    partner = dt[wrong["prediction_id"] - 1]
    assert patch["change_category"] == [
        {"annotation_id": wrong["annotation_id"], "image_id": wrong["image_id"],
         "category_id": category_ids[names[partner["category_id"]]],
         "category": names[partner["category_id"]]}
    ]  # fmt: skip
    assert patch["change_bbox"][0]["bbox"] == pytest.approx(dt[loose["prediction_id"] - 1]["bbox"])
    rows = list(csv.DictReader(io.StringIO(reopened.export_label_errors("csv"))))
    assert sorted(row["id"] for row in rows) == sorted(e["id"] for e in by_kind.values())

    # Reopening forgets the review; the export follows.
    reopened.review_label_error(spurious["id"], status="open")
    assert spurious["id"] not in reopened.label_error_reviews()
    assert json.loads(reopened.export_label_errors("coco"))["remove_annotations"] == []


def test_bad_reviews_name_what_is_wrong(sample: dict[str, Any]) -> None:
    inference_set = sample["set"]
    with pytest.raises(shoal.InputError, match="review status"):
        inference_set.review_label_error("spurious:1", status="maybe")  # type: ignore[arg-type]
    with pytest.raises(shoal.InputError, match="<kind>:<id>"):
        inference_set.review_label_error("oops", status="confirmed")
    with pytest.raises(NotFoundError, match="no annotation 999999"):
        inference_set.review_label_error("spurious:999999", status="confirmed")
    with pytest.raises(NotFoundError):
        inference_set.review_label_error("spurious:1", status="confirmed", issue="nope")
    with pytest.raises(shoal.InputError, match="coco or csv"):
        inference_set.export_label_errors("xml")  # type: ignore[arg-type]


def test_a_failed_review_leaves_the_issue_as_it_was(sample: dict[str, Any]) -> None:
    """The review and the element it adds to an issue are one write: when the review's
    row cannot be written (a trigger in the real catalog refuses it), the issue keeps
    no element either."""
    import sqlite3

    inference_set = sample["set"]
    queue = inference_set.label_errors(min_score=0.0)
    spurious = next(
        queue.entry(i) for i in range(len(queue.errors)) if queue.entry(i)["kind"] == "spurious"
    )
    with sqlite3.connect(sample["store"].home.catalog) as db:
        db.execute(
            "CREATE TRIGGER refuse_reviews BEFORE INSERT ON label_error_reviews "
            "BEGIN SELECT RAISE(ABORT, 'reviews refused'); END"
        )
    with pytest.raises(shoal.InputError, match="reviews refused"):
        inference_set.review_label_error(spurious["id"], status="confirmed", issue="relabel")
    reopened = shoal.Store(sample["home"]).project("coco")
    assert reopened.issue("relabel").elements() == []
    assert reopened.dataset("val").inference_set("model").label_error_reviews() == {}


def test_the_export_and_issues_name_the_stored_ids_not_engine_rows(tmp_path: Path) -> None:
    """Engine ids are 1-based rows; the user's data names its labels and predictions by
    their own ids. With COCO annotation ids that are not row numbers (ids x 10 + 7) and
    named predictions, the queue gives both, the issue element names the stored id, and
    the COCO patch names the COCO annotation id and the stored prediction id."""
    gt, dt, _, _ = coco_sample(seed=31, num_images=40)
    for annotation in gt["annotations"]:
        annotation["id"] = annotation["id"] * 10 + 7
    dataset_tables, inference_tables = coco_tables(gt, dt)
    table = inference_tables.predictions
    named = table.set_column(
        table.schema.get_field_index("prediction_id"),
        "prediction_id",
        pa.array([f"det-{k}" for k in range(len(dt))]),
    )
    store = shoal.Store(tmp_path / "home")
    project = store.create_project("coco", classes=[c["name"] for c in gt["categories"]])
    dataset = project.create_dataset("val", dataset_tables)
    inference_set = dataset.create_inference_set(
        "model", InferenceTables.build(named, frame_ids=dataset_tables.frames.column("frame_id"))
    )
    project.create_issue("relabel")
    queue = inference_set.label_errors(min_score=0.0)
    labels = dataset.labels()
    stored_label = {k + 1: v for k, v in enumerate(labels.column("label_id").to_pylist())}
    predictions = inference_set.predictions()
    stored_prediction = {
        k + 1: v for k, v in enumerate(predictions.column("prediction_id").to_pylist())
    }
    by_kind: dict[str, dict[str, Any]] = {}
    for i in range(len(queue.errors)):
        entry = queue.entry(i)
        by_kind.setdefault(entry["kind"], entry)
        if entry["annotation_id"] is not None:
            assert entry["source_label_id"] == stored_label[entry["annotation_id"]]
        if entry["prediction_id"] is not None:
            assert entry["source_prediction_id"] == stored_prediction[entry["prediction_id"]]
    spurious, missing = by_kind["spurious"], by_kind["missing"]
    assert int(spurious["source_label_id"]) % 10 == 7  # a COCO id, not a row
    inference_set.review_label_error(spurious["id"], status="confirmed", issue="relabel")
    inference_set.review_label_error(missing["id"], status="confirmed", issue="relabel")
    elements = project.issue("relabel").elements()
    assert [(e.element_kind, e.element_id) for e in elements] == [
        ("label", spurious["source_label_id"]),
        ("prediction", missing["source_prediction_id"]),
    ]
    patch = json.loads(inference_set.export_label_errors("coco"))
    assert patch["remove_annotations"] == [
        {"annotation_id": int(spurious["source_label_id"]), "image_id": spurious["image_id"]}
    ]
    assert [a["from_prediction"] for a in patch["add_annotations"]] == [
        missing["source_prediction_id"]
    ]


def test_a_confirmed_candidate_exports_with_the_partner_its_reviewer_saw(tmp_path: Path) -> None:
    """A circle labelled where the model says "square" at 0.9 and "circle" at 0.2 (both at
    IoU 0.9): at the default evidence confidence (0.5) the label is a wrong_class candidate
    with the square as partner; counting every score, the weak circle matches it and there
    is no candidate. Confirmed, it still exports the square's class."""
    frames = pa.table({"frame_id": ["a", "b"], "width": [100, 100], "height": [100, 100]})
    labels = pa.table(
        {
            "label_id": ["l1", "l2"],
            "frame_id": ["a", "b"],
            "class_name": ["circle", "circle"],
            "x": [10.0, 10.0],
            "y": [10.0, 10.0],
            "width": [50.0, 50.0],
            "height": [50.0, 50.0],
        }
    )
    predictions = pa.table(
        {
            "prediction_id": ["p1", "p2", "p3"],
            "frame_id": ["a", "a", "b"],
            "class_name": ["square", "circle", "circle"],
            "x": [11.0, 12.0, 10.0],
            "y": [11.0, 12.0, 10.0],
            "width": [50.0, 50.0, 50.0],
            "height": [50.0, 50.0, 50.0],
            "confidence": [0.9, 0.2, 0.95],
        }
    )
    store = shoal.Store(tmp_path / "home")
    project = store.create_project("p", classes=["circle", "square"])
    dataset = project.create_dataset("val", DatasetTables.build(frames, labels))
    inference_set = dataset.create_inference_set("m", InferenceTables.build(predictions))
    queue = inference_set.label_errors()
    entries = [queue.entry(i) for i in range(len(queue.errors))]
    assert [(e["kind"], e["source_label_id"], e["partner_label"]) for e in entries] == [
        ("wrong_class", "l1", "square")
    ]
    assert len(inference_set.label_errors(min_score=0.0).errors) == 0
    inference_set.review_label_error(entries[0]["id"], status="confirmed")
    patch = json.loads(inference_set.export_label_errors("coco"))
    assert patch["change_category"] == [
        {"annotation_id": "l1", "image_id": "a", "category_id": 1, "category": "square"}
    ]
    rows = list(csv.DictReader(io.StringIO(inference_set.export_label_errors("csv"))))
    assert [(r["id"], r["category"], r["from_prediction"]) for r in rows] == [
        (entries[0]["id"], "square", "p1")
    ]
