"""Collection campaigns over REST: an unlabeled corpus uploaded in chunks (frames and
embeddings, no labels), a campaign created from an issue, run as a job with progress,
its candidates paged and filtered, reviewed and exported: every answer equal to the
store's own, and bad requests 4xx JSON that change nothing."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from shoal.sdk import LabeledDataset, LabeledFrame
from shoal.server import create_app
from shoal.store import IssueElement, Project, Store
from test_campaigns import build, oracle

API = "/api/v1"
P = f"{API}/projects/p"


@pytest.fixture
def world(tmp_path: Path) -> tuple[TestClient, Project, dict[str, np.ndarray]]:
    project, vectors = build(tmp_path / "home")
    project.create_issue("shibas", [IssueElement("val", f"v{i:03d}") for i in (2, 8, 21)])
    client = TestClient(create_app(project.store), base_url="http://localhost")
    return client, project, vectors


def error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "detail", "where"} and body["detail"]
    return body


def test_an_unlabeled_corpus_uploads_over_rest(tmp_path: Path) -> None:
    client = TestClient(create_app(tmp_path / "home"), base_url="http://localhost")
    assert client.post(f"{API}/projects", json={"name": "p"}).status_code == 201
    rng = np.random.default_rng(3)
    frames = [{"frame_id": f"u{i}", "image_uri": f"pool/u{i}.jpg"} for i in range(6)]
    embeddings = [
        {"frame_id": f"u{i}", "model_id": "m", "vector": rng.normal(size=4).tolist()}
        for i in range(6)
    ]
    upload_id = client.post(f"{API}/uploads").json()["upload_id"]
    for number, chunk in enumerate(
        [{"frames": frames[:3], "embeddings": embeddings[:3]},
         {"frames": frames[3:], "embeddings": embeddings[3:]}]
    ):  # fmt: skip
        assert client.put(f"{API}/uploads/{upload_id}/chunks/{number}", json=chunk).is_success
    done = client.post(
        f"{API}/uploads/{upload_id}/commit",
        json={"kind": "dataset", "project": "p", "name": "unlabeled"},
    )
    assert done.status_code == 201, done.text
    corpus = Store(tmp_path / "home").project("p").dataset("unlabeled")
    assert corpus.frames().num_rows == 6 and corpus.labels().num_rows == 0
    assert [i.frames for i in corpus.embedding_models()] == [6]


def run(client: TestClient, name: str) -> dict[str, Any]:
    started = client.post(f"{P}/campaigns/{name}/run")
    assert started.status_code == 202, started.text
    assert started.json()["kind"] == "campaign"
    client.app.state.shoal.jobs.wait(timeout=60)  # type: ignore[attr-defined]
    state = client.get(f"{P}/campaigns/{name}/run").json()
    assert state["state"] == "done", state
    assert state["done"] == state["total"] > 0
    return state


def test_campaign_from_an_issue_over_rest(
    world: tuple[TestClient, Project, dict[str, np.ndarray]],
) -> None:
    client, project, vectors = world
    created = client.post(
        f"{P}/campaigns",
        json={"name": "more", "corpus": "unlabeled", "issue": "shibas", "k": 5},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["kind"] == "frame" and body["embedding"] == "m" and body["run_at"] is None
    assert [s["id"] for s in body["seeds"]] == ["v002", "v008", "v021"]
    assert client.get(f"{P}/campaigns").json()[0]["name"] == "more"
    state = run(client, "more")
    expected = oracle(vectors["corpus"], vectors["val"][[2, 8, 21]], 5, "seed")
    assert state["result"]["found"] == len(expected) == state["result"]["new"]
    # Pages of the candidates equal the store's list, in its order.
    stored = project.campaign("more").candidates()
    assert [c.id for c in stored] == [f"u{r:03d}" for r, _, _ in expected]
    first = client.get(f"{P}/campaigns/more/candidates", params={"limit": 4}).json()
    rest = client.get(f"{P}/campaigns/more/candidates", params={"offset": 4}).json()
    assert first["total"] == len(stored) and first["offset"] == 0
    assert first["candidates"] + rest["candidates"] == [c.to_dict() for c in stored]
    # Reviews: accept two, reject one; counts and the status filter follow.
    keys = [c.key for c in stored]
    reviewed = client.post(
        f"{P}/campaigns/more/review",
        json={"keys": [keys[0], keys[3]], "status": "accepted", "note": "yes"},
    ).json()
    assert [c["status"] for c in reviewed["candidates"]] == ["accepted", "accepted"]
    client.post(f"{P}/campaigns/more/review", json={"keys": [keys[1]], "status": "rejected"})
    accepted = client.get(f"{P}/campaigns/more/candidates", params={"status": "accepted"}).json()
    assert accepted["total"] == 2 and accepted["counts"]["rejected"] == 1
    assert [c["key"] for c in accepted["candidates"]] == [keys[0], keys[3]]
    # The export is the store's, a download.
    exported = client.get(f"{P}/campaigns/more/export", params={"format": "csv"})
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    assert exported.text == project.campaign("more").export("csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["id"] for r in rows] == [keys[0], keys[3]]
    assert rows[0]["image_uri"] == f"pool/{keys[0]}.jpg"
    as_json = client.get(f"{P}/campaigns/more/export", params={"format": "json"})
    assert json.loads(as_json.text) == json.loads(project.campaign("more").export("json"))
    # Re-running keeps the reviews; a new Store reads them (they are the store's).
    run(client, "more")
    again = Store(project.store.home.path).project("p").campaign("more")
    assert again.counts() == {"pending": len(keys) - 3, "accepted": 2, "rejected": 1,
                              "total": len(keys)}  # fmt: skip
    # Close, rename, delete.
    closed = client.patch(f"{P}/campaigns/more", json={"status": "closed", "name": "done"})
    assert closed.json()["status"] == "closed" and closed.json()["name"] == "done"
    error(client.post(f"{P}/campaigns/done/run"), 409)
    error(
        client.post(f"{P}/campaigns/done/review", json={"keys": [keys[2]], "status": "accepted"}),
        409,
    )
    assert client.delete(f"{P}/campaigns/done").status_code == 204
    error(client.get(f"{P}/campaigns/done"), 404)


def test_bad_requests_are_4xx_json(
    world: tuple[TestClient, Project, dict[str, np.ndarray]],
) -> None:
    client, project, _ = world
    error(client.get(f"{P}/campaigns/nope"), 404)
    error(client.get(f"{P}/campaigns/nope/candidates"), 404)
    error(client.get(f"{API}/projects/nope/campaigns"), 404)
    error(client.post(f"{P}/campaigns", json={"name": "c", "corpus": "unlabeled"}), 400)
    error(
        client.post(f"{P}/campaigns", json={"name": "c", "corpus": "nope", "issue": "shibas"}), 404
    )
    error(
        client.post(f"{P}/campaigns", json={"name": "c", "corpus": "unlabeled", "issue": "x"}), 404
    )
    error(client.post(f"{P}/campaigns", json={"name": "c", "corpus": "unlabeled",
                                              "issue": "shibas", "k": 0}), 422)  # fmt: skip
    error(client.post(f"{P}/campaigns", json={"name": "c", "corpus": "unlabeled", "issue": "shibas",
                                              "kind": "crop"}), 400)  # fmt: skip
    seeds = [{"dataset": "val", "frame_id": "v999"}]
    error(
        client.post(f"{P}/campaigns", json={"name": "c", "corpus": "unlabeled", "seeds": seeds}),
        404,
    )
    assert client.get(f"{P}/campaigns").json() == []
    ok = {"name": "c", "corpus": "unlabeled", "issue": "shibas", "k": 2}
    assert client.post(f"{P}/campaigns", json=ok).status_code == 201
    error(client.post(f"{P}/campaigns", json=ok), 409)
    error(client.get(f"{P}/campaigns/c/run"), 404)  # never ran here
    run(client, "c")
    key = project.campaign("c").candidates()[0].key
    error(
        client.post(f"{P}/campaigns/c/review", json={"keys": [key, "nope"], "status": "accepted"}),
        404,
    )
    assert project.campaign("c").candidate(key).status == "pending"
    error(client.post(f"{P}/campaigns/c/review", json={"keys": [key], "status": "maybe"}), 422)
    error(client.post(f"{P}/campaigns/c/review", json={"keys": [], "status": "accepted"}), 422)
    error(client.get(f"{P}/campaigns/c/candidates", params={"limit": 0}), 422)
    error(client.get(f"{P}/campaigns/c/candidates", params={"status": "maybe"}), 422)
    error(client.get(f"{P}/campaigns/c/export", params={"format": "xml"}), 422)
    error(client.patch(f"{P}/campaigns/c", json={"status": "gone"}), 422)


def test_the_client_over_a_live_server(
    world: tuple[TestClient, Project, dict[str, np.ndarray]],
) -> None:
    from shoal.client import Client, Conflict, NotFound
    from test_client import serve

    _, project, _ = world
    with serve(create_app(project.store)) as url, Client(url) as client:
        seeds = [IssueElement("val", "v004"), {"dataset": "val", "frame_id": "v005"}]
        created = client.create_campaign("p", "c", corpus="unlabeled", seeds=seeds, k=3)
        assert created["seeds"][1]["id"] == "v005" and client.campaigns("p")[0]["name"] == "c"
        steps: list[tuple[int, int]] = []
        job = client.run_campaign(
            "p", "c", poll_seconds=0.05, progress=lambda d, t: steps.append((d, t))
        )
        assert job["state"] == "done" and job["result"]["found"] >= 3
        stored = project.campaign("c")
        page = client.campaign_candidates("p", "c", limit=2)
        assert page["candidates"] == [c.to_dict() for c in stored.candidates(limit=2)]
        keys = [c.key for c in stored.candidates()]
        reviewed = client.review_candidates("p", "c", keys[:2], "accepted", note="ok")
        assert reviewed["counts"]["accepted"] == 2
        assert client.export_campaign("p", "c", format="json") == stored.export("json")
        assert client.campaign("p", "c")["counts"] == stored.counts()
        assert client.update_campaign("p", "c", status="closed")["status"] == "closed"
        with pytest.raises(Conflict):
            client.run_campaign("p", "c")
        client.delete_campaign("p", "c")
        with pytest.raises(NotFound):
            client.campaign("p", "c")
        # An unlabeled corpus uploaded by the client (the SDK's builder, no labels).
        pool = LabeledDataset()
        for i in range(8):
            frame = LabeledFrame(frame_id=f"w{i}")
            frame.add_image(image_url=f"more/w{i}.jpg", width=8, height=8)
            frame.add_frame_embedding(embedding=[float(i), 1.0, *[0.0] * 10], model_id="m")
            pool.add_frame(frame)
        client.upload_dataset("p", "more", pool)
        assert project.dataset("more").labels().num_rows == 0
        client.create_campaign("p", "w", corpus="more", seeds=[IssueElement("val", "v004")], k=2)
        assert client.run_campaign("p", "w", poll_seconds=0.05)["result"]["found"] == 2
