"""The label-error queue of a stored classification inference set (confident learning on the
predictions' stored class probabilities), through the store and REST: scores equal
cleanlab's label quality (1 - quality), candidates are the frames whose predicted class
differs from the label at or above that class's threshold (computed here with numpy), a
segment narrows the frames the thresholds are computed on, reviews add the frame's label to
an issue and the export changes its category."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

import shoal
from shoal.tables import DatasetTables, InferenceTables

NAMES = ["cat", "dog", "fox"]
BASE = "/api/v1/projects/c/datasets/val/inference-sets/m/label-errors"


def classification_sample(home: Path, n: int = 80) -> dict[str, Any]:
    """Labels and probabilities where a tenth of the labels are flipped, stored; frames
    listed in another order than the labels, label and prediction ids of their own."""
    rng = np.random.default_rng(7)
    true = rng.integers(0, 3, n)
    probabilities = rng.dirichlet(np.ones(3) * 0.6, n)
    probabilities[np.arange(n), true] += 1.5
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    given = true.copy()
    flipped = rng.choice(n, n // 10, replace=False)
    given[flipped] = (given[flipped] + 1) % 3
    order = rng.permutation(n)
    frames = pa.table({"frame_id": [f"f{i:03d}" for i in order]})
    labels = pa.table(
        {
            "label_id": [f"label-{i}" for i in range(n)],
            "frame_id": [f"f{i:03d}" for i in range(n)],
            "class_name": [NAMES[g] for g in given],
        }
    )
    predictions = pa.table(
        {
            "prediction_id": [f"pred-{i}" for i in range(n)],
            "frame_id": [f"f{i:03d}" for i in range(n)],
            "class_name": [NAMES[i] for i in probabilities.argmax(axis=1)],
            "confidence": probabilities.max(axis=1),
            "probabilities": probabilities.astype(np.float32).tolist(),
        }
    )
    store = shoal.Store(home)
    project = store.create_project("c", task="classification", classes=NAMES)
    dataset = project.create_dataset("val", DatasetTables.build(frames, labels))
    inference_set = dataset.create_inference_set("m", InferenceTables.build(predictions))
    half = [f"f{i:03d}" for i in range(0, n, 2)]
    dataset.create_segment("half", frames=half)
    project.create_issue("relabel")
    stored = probabilities.astype(np.float32).astype(np.float64)
    return {"store": store, "set": inference_set, "given": given, "probs": stored,
            "flipped": flipped, "half": half, "n": n}  # fmt: skip


@pytest.fixture
def sample(tmp_path: Path) -> dict[str, Any]:
    return classification_sample(tmp_path / "home")


def expected(
    given: np.ndarray, probs: np.ndarray, rows: np.ndarray, method: str
) -> dict[int, float]:
    """Confident learning by hand on ``rows``: a row is a candidate when its predicted class
    j is not its label and p_j reaches t_j (the mean p_j over the rows labelled j); its
    score is 1 - cleanlab's label quality."""
    from cleanlab.rank import get_label_quality_scores

    g, p = given[rows], probs[rows]
    thresholds = np.array([p[g == j, j].mean() if (g == j).any() else np.inf for j in range(3)])
    predicted = p.argmax(axis=1)
    candidate = (predicted != g) & (p[np.arange(rows.size), predicted] >= thresholds[predicted])
    quality = get_label_quality_scores(g, p, method=method)
    return {int(rows[k]): float(1 - quality[k]) for k in np.flatnonzero(candidate)}


@pytest.mark.parametrize("method", ["self_confidence", "normalized_margin"])
def test_the_queue_is_confident_learning_on_the_stored_probabilities(
    sample: dict[str, Any], method: str
) -> None:
    queue = sample["set"].label_errors(method=method)
    entries = [queue.entry(i) for i in range(len(queue.errors))]
    row_of = {f"f{i:03d}": i for i in range(sample["n"])}
    want = expected(sample["given"], sample["probs"], np.arange(sample["n"]), method)
    got = {row_of[e["image_id"]]: e["score"] for e in entries}
    assert set(got) == set(want) and len(got) > 0
    for row, score in want.items():
        assert got[row] == pytest.approx(score, abs=1e-12)
    scores = [e["score"] for e in entries]
    assert scores == sorted(scores, reverse=True)
    # The flipped labels lead the queue.
    top = {row_of[e["image_id"]] for e in entries[: len(sample["flipped"])]}
    assert len(top & set(sample["flipped"].tolist())) >= len(sample["flipped"]) // 2
    for e in entries:
        row = row_of[e["image_id"]]
        assert e["kind"] == "wrong_class"
        assert e["label"] == NAMES[sample["given"][row]]
        assert e["partner_label"] == NAMES[int(sample["probs"][row].argmax())]
        assert (e["source_label_id"], e["source_prediction_id"]) == (f"label-{row}", f"pred-{row}")
    # On a segment, the thresholds are those of its frames.
    half = sample["set"].label_errors(segment="half", method=method)
    rows = np.array(sorted(row_of[f] for f in sample["half"]))
    want_half = expected(sample["given"], sample["probs"], rows, method)
    got_half = {row_of[half.entry(i)["image_id"]]: half.entry(i)["score"] for i in range(len(half.errors))}  # fmt: skip
    assert got_half.keys() == want_half.keys()
    assert all(got_half[r] == pytest.approx(s, abs=1e-12) for r, s in want_half.items())


def test_rest_reviews_issue_and_export(sample: dict[str, Any]) -> None:
    from fastapi.testclient import TestClient

    from shoal.server import create_app

    client = TestClient(create_app(sample["store"]), base_url="http://localhost")
    body = client.get(BASE, params={"limit": 1000}).json()
    queue = sample["set"].label_errors()
    assert body["label_errors"] == [
        queue.entry(i) | {"review": None} for i in range(len(queue.errors))
    ]
    assert body["counts"]["wrong_class"] == body["total"] > 1
    margin = client.get(BASE, params={"method": "normalized_margin", "limit": 1000}).json()
    assert [e["score"] for e in margin["label_errors"]] != [
        e["score"] for e in body["label_errors"]
    ]
    cat = client.get(BASE, params={"label": "cat", "limit": 1000}).json()["label_errors"]
    assert cat == [e for e in body["label_errors"] if e["label"] == "cat"]
    first, second = body["label_errors"][0], body["label_errors"][1]
    answer = client.put(
        f"{BASE}/{first['id']}/review", json={"status": "confirmed", "issue": "relabel"}
    )
    assert answer.status_code == 200, answer.text
    client.put(f"{BASE}/{second['id']}/review", json={"status": "dismissed"})
    elements = sample["set"].dataset.project.issue("relabel").elements()
    assert [(e.frame_id, e.element_kind, e.element_id) for e in elements] == [
        (first["image_id"], "label", first["source_label_id"])
    ]
    patch = client.get(f"{BASE}/export").json()
    class_ids = {c.name: c.id for c in sample["set"].dataset.project.classes()}
    change = {
        "annotation_id": first["source_label_id"],
        "image_id": first["image_id"],
        "category_id": class_ids[first["partner_label"]],
        "category": first["partner_label"],
    }
    assert patch == {
        "add_annotations": [],
        "remove_annotations": [],
        "change_category": [change],
        "change_bbox": [],
    }
    rows = list(csv.DictReader(io.StringIO(client.get(f"{BASE}/export?format=csv").text)))
    assert [(r["id"], r["category"]) for r in rows] == [(first["id"], first["partner_label"])]
    json.dumps(patch)  # JSON-ready
    for bad, status in [("wrong_class:0", 404), (f"wrong_class:{sample['n'] + 1}", 404),
                        ("spurious:3", 404)]:  # fmt: skip
        refused = client.put(f"{BASE}/{bad}/review", json={"status": "confirmed"})
        assert refused.status_code == status and bad in refused.json()["detail"]


def test_a_set_without_probabilities_is_a_clear_4xx(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from shoal.server import create_app

    frames = pa.table({"frame_id": ["a", "b"]})
    labels = pa.table({"label_id": ["1", "2"], "frame_id": ["a", "b"], "class_name": ["cat", "dog"]})  # fmt: skip
    predictions = pa.table({"frame_id": ["a", "b"], "class_name": ["dog", "dog"], "confidence": [0.9, 0.8]})  # fmt: skip
    store = shoal.Store(tmp_path / "home")
    project = store.create_project("c", task="classification", classes=NAMES)
    dataset = project.create_dataset("val", DatasetTables.build(frames, labels))
    dataset.create_inference_set("m", InferenceTables.build(predictions))
    client = TestClient(create_app(store), base_url="http://localhost")
    answer = client.get(BASE)
    assert 400 <= answer.status_code < 500 and "probabilities" in answer.json()["detail"]
