"""The label-error queue over REST and the HTTP client: GET .../label-errors answers the
store's queue (paged, by kind, on a segment), PUT .../label-errors/{id}/review persists a
review, GET .../label-errors/export gives the confirmed ones; bad input is a 4xx JSON
body."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient

from shoal.server import create_app
from test_label_errors_store import stored_sample

BASE = "/api/v1/projects/coco/datasets/val/inference-sets/model/label-errors"


@pytest.fixture
def sample(tmp_path: Path) -> dict[str, Any]:
    return stored_sample(tmp_path / "home")


def test_queue_pages_kinds_and_segments(sample: dict[str, Any]) -> None:
    client = TestClient(create_app(sample["store"]), base_url="http://localhost")
    queue = sample["set"].label_errors()
    body = client.get(BASE, params={"limit": 1000}).json()
    assert body["total"] == len(queue.errors) > 0
    assert body["counts"] == queue.errors.counts()
    expected = [queue.entry(i) | {"review": None} for i in range(len(queue.errors))]
    assert body["label_errors"] == expected
    page = client.get(BASE, params={"offset": 2, "limit": 3}).json()["label_errors"]
    assert page == expected[2:5]
    spurious = client.get(BASE, params={"kind": "spurious", "limit": 1000}).json()
    assert spurious["total"] == queue.errors.counts()["spurious"]
    assert {e["kind"] for e in spurious["label_errors"]} == {"spurious"}
    half = client.get(BASE, params={"segment": "half", "conf": 0.3, "limit": 1000}).json()
    assert half["total"] == len(sample["set"].label_errors(segment="half", min_score=0.3).errors)
    assert {e["image_id"] for e in half["label_errors"]} <= set(sample["frames"])


def test_reviews_and_export_over_rest(sample: dict[str, Any]) -> None:
    client = TestClient(create_app(sample["store"]), base_url="http://localhost")
    first = client.get(BASE).json()["label_errors"][0]
    answer = client.put(
        f"{BASE}/{first['id']}/review",
        json={"status": "confirmed", "issue": "relabel", "note": "checked"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "id": first["id"], "status": "confirmed", "issue": "relabel", "note": "checked"
    }  # fmt: skip
    listed = client.get(BASE).json()["label_errors"][0]
    assert listed["review"]["status"] == "confirmed"
    assert sample["set"].label_error_reviews()[first["id"]]["status"] == "confirmed"
    issue = sample["set"].dataset.project.issue("relabel").elements()
    assert [e.frame_id for e in issue] == [first["image_id"]]
    exported = client.get(f"{BASE}/export", params={"format": "csv"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert [row["id"] for row in csv.DictReader(io.StringIO(exported.text))] == [first["id"]]
    patch = client.get(f"{BASE}/export").json()
    assert sum(len(changes) for changes in patch.values()) == 1


def test_bad_requests_are_4xx_json(sample: dict[str, Any]) -> None:
    client = TestClient(create_app(sample["store"]), base_url="http://localhost")
    checks = [
        (client.get(BASE, params={"fg_iou": 0.3, "bg_iou": 0.4}), 422, "bg_iou"),
        (client.get(BASE, params={"kind": "nope"}), 422, "kind"),
        (client.get(BASE, params={"segment": "nope"}), 404, "nope"),
        (client.put(f"{BASE}/spurious:999999/review", json={"status": "confirmed"}), 404, "999999"),
        (client.put(f"{BASE}/junk/review", json={"status": "confirmed"}), 422, "pattern"),
        (client.put(f"{BASE}/spurious:1/review", json={"status": "maybe"}), 422, "status"),
        (client.get(f"{BASE}/export", params={"format": "xml"}), 422, "format"),
    ]
    for answer, status, words in checks:
        assert answer.status_code == status, answer.text
        assert words in answer.json()["detail"] or words in answer.text


def test_client_answers_the_store_queue(sample: dict[str, Any]) -> None:
    from shoal.client import Client
    from test_client import serve

    queue = sample["set"].label_errors()
    with serve(create_app(sample["store"])) as url, Client(url) as client:
        remote = client.label_errors("coco", "model", limit=5)
        assert remote["total"] == len(queue.errors)
        assert [e["id"] for e in remote["label_errors"]] == [queue.entry(i)["id"] for i in range(5)]
        candidate = remote["label_errors"][0]["id"]
        review = client.review_label_error("coco", "model", candidate, status="dismissed")
        assert review["status"] == "dismissed"
        assert client.export_label_errors("coco", "model", format="csv").startswith("id,kind")
        dismissed = client.label_errors("coco", "model", status="dismissed")["label_errors"]
        assert [e["id"] for e in dismissed] == [candidate]
        label = remote["label_errors"][0]["label"]
        of_class = client.label_errors("coco", "model", label=label, limit=1000)["label_errors"]
        assert of_class and {e["label"] for e in of_class} == {label}
    assert sample["set"].label_error_reviews()[candidate]["status"] == "dismissed"


def test_classes_and_the_kind_class_and_status_filters(sample: dict[str, Any]) -> None:
    """Each candidate names its suspect object's class and its partner's, as the frame's
    labels and predictions give them; label= and status= narrow the page and total."""
    client = TestClient(create_app(sample["store"]), base_url="http://localhost")
    everything = client.get(BASE, params={"limit": 1000}).json()["label_errors"]
    frames = "/api/v1/projects/coco/datasets/val/frames"
    for entry in everything[:25]:
        detail = client.get(f"{frames}/{entry['image_id']}", params={"inference_set": "model"})
        labels = {int(r["label_id"]): r["class_name"] for r in detail.json()["labels"]}
        predictions = {
            int(r["prediction_id"]): r["class_name"] for r in detail.json()["predictions"]["model"]
        }
        label = None if entry["annotation_id"] is None else labels[entry["annotation_id"]]
        prediction = None if entry["prediction_id"] is None else predictions[entry["prediction_id"]]
        subject, partner = (
            (prediction, label) if entry["kind"] == "missing" else (label, prediction)
        )
        assert (entry["label"], entry["partner_label"]) == (subject, partner), entry
    name = everything[0]["label"]
    of_class = client.get(BASE, params={"label": name, "limit": 1000}).json()
    assert of_class["label_errors"] == [e for e in everything if e["label"] == name]
    assert of_class["total"] == len(of_class["label_errors"])
    both = client.get(BASE, params={"label": name, "kind": "spurious", "limit": 1000}).json()
    assert both["label_errors"] == [
        e for e in everything if e["label"] == name and e["kind"] == "spurious"
    ]
    first, second = everything[0]["id"], everything[1]["id"]
    client.put(f"{BASE}/{first}/review", json={"status": "confirmed"})
    client.put(f"{BASE}/{second}/review", json={"status": "dismissed"})
    ids = {
        status: [e["id"] for e in client.get(BASE, params={"status": status, "limit": 1000}).json()["label_errors"]]
        for status in ("open", "confirmed", "dismissed")
    }  # fmt: skip
    assert ids["confirmed"] == [first] and ids["dismissed"] == [second]
    assert ids["open"] == [e["id"] for e in everything[2:]]
    unknown = client.get(BASE, params={"label": "no such class"})
    assert unknown.status_code == 422 and "no such class" in unknown.json()["detail"]
