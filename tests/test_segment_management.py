"""Managing a segment as the reference docs describe: create it from a query, a list of
frames or the current examples selection; add and remove frames; edit its name, type and
description; delete it. Over the REST API and the client, on a real store."""

# ruff: noqa: F811 (the fixtures imported from demo_api are the parameters named after them)
from __future__ import annotations

import sqlite3
from pathlib import Path

from fastapi.testclient import TestClient

import shoal
from demo_api import SHAPES, api, error, ok, remote, set_names, store  # noqa: F401
from shoal.client import Client

from coco_oracle import coco_sample


def test_create_edit_and_delete_a_segment_of_frames(api: TestClient, store: shoal.Store) -> None:
    dataset = store.project("shapes").dataset("rendered-scenes")
    frames = dataset.frames().column("frame_id").to_pylist()
    made = ok(
        api.post(
            f"{SHAPES}/segments",
            json={"name": "picked", "frames": frames[:3], "description": "three frames"},
        ),
        201,
    )
    assert made["description"] == "three frames" and made["frame_count"] == 3
    edited = ok(
        api.patch(
            f"{SHAPES}/segments/picked",
            json={
                "add_frames": frames[3:5],
                "remove_frames": [frames[0]],
                "type": "regression_test",
                "description": "four frames",
                "name": "picked again",
            },
        )
    )
    assert edited["name"] == "picked again" and edited["type"] == "regression_test"
    assert edited["description"] == "four frames" and edited["frame_count"] == 4
    assert dataset.segment("picked again").frame_ids() == sorted(frames[1:5])
    # The metrics of the edited segment are the metrics of its frames.
    model = dataset.inference_sets()[0]
    on_segment = ok(
        api.get(
            f"{SHAPES}/metrics", params={"inference_set": model.name, "segment": "picked again"}
        )
    )["results"][0]["report"]
    direct = model.metrics(segment=dataset.segment("picked again"), include=["report"])
    assert on_segment == direct.to_dict()["report"]
    # Removing a frame it does not hold is no change; adding an unknown one is a 400.
    again = ok(api.patch(f"{SHAPES}/segments/picked again", json={"remove_frames": ["nope"]}))
    assert again["frame_count"] == 4
    body = error(api.patch(f"{SHAPES}/segments/picked again", json={"add_frames": ["nope"]}), 400)
    assert "nope" in body["detail"]
    error(api.patch(f"{SHAPES}/segments/picked again", json={"type": "other"}), 422)
    assert api.delete(f"{SHAPES}/segments/picked again").status_code == 204
    error(api.get(f"{SHAPES}/segments/picked again"), 404)


def test_a_refused_edit_changes_nothing(api: TestClient, store: shoal.Store) -> None:
    dataset = store.project("shapes").dataset("rendered-scenes")
    frames = dataset.frames().column("frame_id").to_pylist()
    ok(api.post(f"{SHAPES}/segments", json={"name": "atomic", "frames": frames[:2]}), 201)
    before = ok(api.get(f"{SHAPES}/segments/atomic"))
    refused = {
        "name": "renamed",
        "type": "split",
        "description": "changed",
        "add_frames": [frames[2], "no such frame"],
    }
    error(api.patch(f"{SHAPES}/segments/atomic", json=refused), 400)
    error(
        api.patch(
            f"{SHAPES}/segments/atomic", json={**refused, "add_frames": [], "name": "crowded"}
        ),
        409,
    )
    assert ok(api.get(f"{SHAPES}/segments/atomic")) == before
    error(api.get(f"{SHAPES}/segments/renamed"), 404)
    assert api.delete(f"{SHAPES}/segments/atomic").status_code == 204


def test_a_query_segment_follows_its_query(api: TestClient, store: shoal.Store) -> None:
    dataset = store.project("shapes").dataset("rendered-scenes")
    made = ok(
        api.post(f"{SHAPES}/segments", json={"name": "busy", "query": "num_labels >= 4"}), 201
    )
    assert made["query"] == "num_labels >= 4" and made["description"] == ""
    assert made["frame_count"] == len(dataset.query("num_labels >= 4"))
    frame = dataset.frames().column("frame_id")[0].as_py()
    body = error(api.patch(f"{SHAPES}/segments/busy", json={"add_frames": [frame]}), 400)
    assert "saved query" in body["detail"]
    described = ok(api.patch(f"{SHAPES}/segments/busy", json={"description": "many shapes"}))
    assert described["description"] == "many shapes"
    error(api.post(f"{SHAPES}/segments", json={"name": "bad", "query": "num_lables > 1"}), 400)
    assert api.delete(f"{SHAPES}/segments/busy").status_code == 204


def test_all_frames_keeps_its_frames(api: TestClient) -> None:
    body = error(api.patch(f"{SHAPES}/segments/All Frames", json={"add_frames": ["0000"]}), 400)
    assert "All Frames" in body["detail"]
    error(api.patch(f"{SHAPES}/segments/All Frames", json={"description": "x"}), 400)


def test_segment_from_the_examples_selection(api: TestClient, store: shoal.Store) -> None:
    dataset = store.project("shapes").dataset("rendered-scenes")
    model = set_names(api, SHAPES)[0]
    selection = {"outcome": "FN", "conf": "0.3", "iou": 0.5}
    listed = ok(
        api.get(f"{SHAPES}/inference-sets/{model}/examples", params={**selection, "limit": 1000})
    )
    expected = sorted({e["frame_id"] for e in listed["examples"]})
    assert expected, "the demo has misses to save"
    made = ok(
        api.post(
            f"{SHAPES}/inference-sets/{model}/examples/segment",
            params=selection,
            json={"name": "missed at 0.3", "description": "frames with a miss"},
        ),
        201,
    )
    assert made["frame_count"] == len(expected) and made["query"] is None
    assert dataset.segment("missed at 0.3").frame_ids() == expected
    # A selection of nothing is refused, and the filters are checked as on /examples.
    nothing = {"frame_id": "no such frame"}
    error(
        api.post(
            f"{SHAPES}/inference-sets/{model}/examples/segment",
            params=nothing,
            json={"name": "empty"},
        ),
        400,
    )
    body = error(
        api.post(
            f"{SHAPES}/inference-sets/{model}/examples/segment",
            params={"label": "hexagon"},
            json={"name": "empty"},
        ),
        422,
    )
    assert body["where"] == "query.label"
    error(
        api.post(
            f"{SHAPES}/inference-sets/{model}/examples/segment",
            params=selection,
            json={"name": "missed at 0.3"},
        ),
        409,
    )
    dataset.segment("missed at 0.3").delete()


def test_the_client_manages_segments(remote: Client, store: shoal.Store) -> None:
    dataset = store.project("shapes").dataset("rendered-scenes")
    frames = dataset.frames().column("frame_id").to_pylist()
    remote.create_segment("shapes", None, "by client", frames=frames[:2], description="two")
    info = remote.update_segment(
        "shapes", None, "by client", add_frames=frames[2:4], remove_frames=frames[:1]
    )
    assert info["frame_count"] == 3 and info["description"] == "two"
    info = remote.update_segment("shapes", None, "by client", type="split", description="")
    assert (info["type"], info["description"]) == ("split", "")
    model = dataset.inference_sets()[0].name
    saved = remote.segment_from_examples(
        "shapes", None, model, "client selection", outcome="FP", conf=0.5
    )
    assert saved["frame_count"] == len(
        {
            str(f)
            for f in dataset.inference_set(model).outcomes(conf=0.5).where(outcome="FP").frame_id
        }
    )
    for name in ("by client", "client selection"):
        remote.delete_segment("shapes", None, name)


def test_an_older_catalog_gains_descriptions(tmp_path: Path) -> None:
    home = tmp_path / "home"
    store = shoal.Store(home)
    _, _, tables, _ = coco_sample(seed=3, num_images=3)
    dataset = store.create_project("p").create_dataset("d", tables)
    dataset.create_segment("s", frames=tables.frames.column("frame_id").to_pylist()[:1])
    store.close()
    # A catalog written before segments had descriptions.
    with sqlite3.connect(home / "catalog.sqlite") as db:
        db.execute("ALTER TABLE segments DROP COLUMN description")
    reopened = shoal.Store(home)
    segment = reopened.project("p").dataset("d").segment("s")
    assert segment.description == ""
    segment.update(description="kept")
    assert reopened.project("p").dataset("d").segment("s").to_dict()["description"] == "kept"
    reopened.close()
