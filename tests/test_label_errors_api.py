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
    assert sample["set"].label_error_reviews()[candidate]["status"] == "dismissed"
