"""Issues over REST and the HTTP client (issue 14): the answers are the store's, elements
added from a matrix cell are the examples route's objects of that cell, reviews and
removals keep positions, exports are files, fixed labels make a new dataset (a bad record
is a 400 naming it, the store unchanged), before/after is the library's; bad input is a
4xx JSON body."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient

import shoal
from shoal.server import create_app
from test_issues import _catalog_state, _filled, _relabeled, stored_issue_sample
from test_server import error_of

ISSUES = "/api/v1/projects/p/issues"
ISSUE = ISSUES + "/misses"


@pytest.fixture
def sample(tmp_path: Path) -> dict[str, Any]:
    found = stored_issue_sample(tmp_path / "home")
    found["client"] = TestClient(create_app(found["store"]), base_url="http://localhost")
    return found


def test_create_list_read_update(sample: dict[str, Any]) -> None:
    client = sample["client"]
    made = client.post(
        ISSUES,
        json={
            "name": "night boxes", "description": "dark", "owner": "bob",
            "elements": [{"dataset": "val", "frame_id": "f0"}, {"dataset": "val", "frame_id": "f0"}],
        },
    )  # fmt: skip
    assert made.status_code == 201, made.text
    body = made.json()
    assert body == json.loads(json.dumps(sample["project"].issue("night boxes").to_dict()))
    assert (body["description"], body["notes"], body["owner"]) == ("dark", "dark", "bob")
    assert body["elements"][0] | {"added_at": "", "updated_at": ""} == {
        "position": 0, "dataset": "val", "frame_id": "f0", "element_kind": "frame",
        "element_id": None, "inference_set": None, "status": "open", "note": "",
        "added_at": "", "updated_at": "",
    }  # fmt: skip
    assert len(body["elements"]) == 1
    alias = client.post(ISSUES, json={"name": "old style", "notes": "via notes"}).json()
    assert alias["description"] == "via notes"
    names = [i["name"] for i in client.get(ISSUES).json()]
    assert names == ["misses", "night boxes", "old style"]
    assert [i["name"] for i in client.get(ISSUES, params={"owner": "bob"}).json()] == [
        "night boxes"
    ]
    patched = client.patch(
        ISSUES + "/night boxes",
        json={"status": "resolved", "owner": "cy", "add_elements": [
            {"dataset": "val", "frame_id": "f1", "element_kind": "label", "element_id": "f1-0"}
        ]},
    ).json()  # fmt: skip
    assert (patched["status"], patched["owner"], len(patched["elements"])) == ("resolved", "cy", 2)
    assert [i["name"] for i in client.get(ISSUES, params={"status": "resolved"}).json()] == [
        "night boxes"
    ]
    error_of(client.post(ISSUES, json={"name": "misses"}), 409)
    error_of(client.patch(ISSUE, json={"status": "done"}), 422)
    error_of(client.get(ISSUES + "/nope"), 404)
    bad = error_of(
        client.post(ISSUES, json={"name": "x", "elements": [{"dataset": "val", "frame_id": "zz"}]}),
        400,
    )
    assert "issue element 0" in bad["detail"] and "'zz'" in bad["detail"]
    assert client.delete(ISSUES + "/old style").status_code == 204


def test_elements_review_and_remove(sample: dict[str, Any]) -> None:
    client = sample["client"]
    elements = [{"dataset": "val", "frame_id": f} for f in ("f0", "f1", "f2")]
    added = client.post(ISSUE + "/elements", json={"elements": elements}).json()
    assert (added["added"], added["skipped"]) == (3, 0)
    again = client.post(ISSUE + "/elements", json={"elements": elements[:2]}).json()
    assert (again["added"], again["skipped"]) == (0, 2)
    reviewed = client.patch(ISSUE + "/elements/1", json={"status": "confirmed", "note": "dark"})
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json() == sample["issue"].record(1).to_dict()
    assert client.get(ISSUE).json()["counts"] == {
        "open": 2, "confirmed": 1, "fixed": 0, "dismissed": 0,
    }  # fmt: skip
    only = client.get(ISSUE, params={"status": ["confirmed", "dismissed"]}).json()
    assert [e["position"] for e in only["elements"]] == [1]
    assert client.delete(ISSUE + "/elements/0").status_code == 204
    assert [e["position"] for e in client.get(ISSUE).json()["elements"]] == [1, 2]
    error_of(client.delete(ISSUE + "/elements/0"), 404)
    error_of(client.patch(ISSUE + "/elements/7", json={"status": "fixed"}), 404)
    error_of(client.patch(ISSUE + "/elements/1", json={"status": "done"}), 422)
    error_of(client.patch(ISSUE + "/elements/-1", json={"status": "fixed"}), 404)
    error_of(client.patch(ISSUE + "/elements/from-cell", json={"status": "fixed"}), 405)
    bad = error_of(
        client.post(ISSUE + "/elements", json={"elements": [
            {"dataset": "val", "frame_id": "f1", "element_kind": "prediction", "element_id": "q",
             "inference_set": "m0"},
        ]}),
        400,
    )  # fmt: skip
    assert "has no prediction 'q'" in bad["detail"]


def test_from_query(sample: dict[str, Any]) -> None:
    client = sample["client"]
    answer = client.post(
        ISSUE + "/elements/from-query", json={"dataset": "val", "query": "night = true"}
    ).json()
    assert answer["added"] == 4
    frames = [e["frame_id"] for e in answer["issue"]["elements"]]
    assert frames == sample["dataset"].query("night = true")
    segment = client.post(
        ISSUE + "/elements/from-query", json={"dataset": "val", "segment": "night"}
    ).json()
    assert (segment["added"], segment["skipped"]) == (0, 4)
    error_of(client.post(ISSUE + "/elements/from-query", json={"dataset": "val"}), 400)
    error_of(
        client.post(ISSUE + "/elements/from-query", json={"dataset": "val", "query": "nope >"}),
        400,
    )


def test_from_cell_is_the_examples_of_the_cell(sample: dict[str, Any]) -> None:
    client = sample["client"]
    examples_url = "/api/v1/projects/p/datasets/val/inference-sets/m0/examples"
    for truth, predicted in [("cat", "background"), ("cat", "dog"), ("dog", "dog"),
                             ("background", "bird")]:  # fmt: skip
        name = f"{truth}-{predicted}"
        client.post(ISSUES, json={"name": name})
        page = client.get(examples_url, params={
            "truth": truth, "predicted": predicted, "conf": 0.3, "iou": 0.5, "limit": 1000,
        }).json()  # fmt: skip
        expected = {
            (e["frame_id"], "prediction" if e["kind"] == "prediction" else "label", e["source_id"])
            for e in page["examples"]
        }
        answer = client.post(
            f"{ISSUES}/{name}/elements/from-cell",
            params={"conf": 0.3, "iou": 0.5},
            json={"dataset": "val", "inference_set": "m0", "truth": truth, "predicted": predicted},
        )
        assert answer.status_code == 200, answer.text
        got = {
            (e["frame_id"], e["element_kind"], e["element_id"])
            for e in answer.json()["issue"]["elements"]
        }
        assert got == expected and answer.json()["added"] == page["total"]
        assert {e["inference_set"] for e in answer.json()["issue"]["elements"]} <= {"m0"}
    error_of(
        client.post(ISSUE + "/elements/from-cell", json={
            "dataset": "val", "inference_set": "m0", "truth": "lion", "predicted": "cat",
        }),
        400,
    )  # fmt: skip
    error_of(
        client.post(ISSUE + "/elements/from-cell", json={
            "dataset": "val", "inference_set": "m9", "truth": "cat", "predicted": "cat",
        }),
        404,
    )  # fmt: skip


def test_export(sample: dict[str, Any]) -> None:
    client = sample["client"]
    _filled(sample)
    issue = sample["issue"]
    answer = client.get(ISSUE + "/export", params={"format": "csv"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    assert answer.text == issue.export("csv")
    assert len(list(csv.DictReader(io.StringIO(answer.text)))) == 4
    confirmed = client.get(ISSUE + "/export", params={"format": "json", "status": "confirmed"})
    assert confirmed.json() == json.loads(issue.export("json", status="confirmed"))
    coco = client.get(ISSUE + "/export", params={"format": "coco"})
    assert coco.json() == json.loads(issue.export("coco"))
    error_of(client.get(ISSUE + "/export", params={"format": "xml"}), 422)
    error_of(client.get(ISSUE + "/export", params={"format": "coco", "dataset": "nope"}), 404)


def test_fixed_labels_and_before_after(sample: dict[str, Any]) -> None:
    client = sample["client"]
    _filled(sample)
    issue = sample["issue"]
    store = sample["store"]
    state = _catalog_state(store)
    document = _relabeled(issue)
    document["annotations"][1]["category_id"] = 99
    bad = error_of(
        client.post(ISSUE + "/fixed-labels", params={"dataset": "val"}, json=document), 400
    )
    assert "annotations[1]" in bad["where"] and "99" in bad["detail"]
    assert _catalog_state(store) == state
    made = client.post(ISSUE + "/fixed-labels", params={"dataset": "val"}, json=_relabeled(issue))
    assert made.status_code == 201, made.text
    assert made.json()["name"] == "val-fixed-1"
    assert made.json()["num_labels"] == sample["dataset"].labels().num_rows
    named = client.post(
        ISSUE + "/fixed-labels", params={"dataset": "val", "name": "val-v2"}, json=_relabeled(issue)
    )
    assert named.json()["name"] == "val-v2"
    error_of(
        client.post(
            ISSUE + "/fixed-labels", params={"dataset": "val", "name": "val-v2"},
            json=_relabeled(issue),
        ),
        409,
    )  # fmt: skip
    compared = client.get(
        ISSUE + "/before-after",
        params={"before": "val", "after": "val-fixed-1", "conf": 0.3, "iou": 0.5},
    )
    assert compared.status_code == 200, compared.text
    expected = issue.before_after("val", "val-fixed-1", conf=0.3, iou=0.5).to_dict()
    assert compared.json() == json.loads(json.dumps(expected))
    one = client.get(
        ISSUE + "/before-after",
        params={"before": "val", "after": "val-fixed-1", "inference_set": "m1"},
    ).json()
    assert [s["inference_set"] for s in one["sets"]] == ["m1"]
    error_of(client.get(ISSUE + "/before-after", params={"before": "val", "after": "nope"}), 404)
    error_of(
        client.get(
            ISSUE + "/before-after",
            params={"before": "val", "after": "val-fixed-1", "inference_set": "m9"},
        ),
        404,
    )


def test_client_round_trip(sample: dict[str, Any], tmp_path: Path) -> None:
    """The HTTP client over a live server answers what the store holds."""
    pytest.importorskip("uvicorn")
    from shoal.client import Client
    from test_client import serve

    with serve(create_app(sample["store"])) as url, Client(url) as client:
        made = client.create_issue("p", "by client", [{"dataset": "val", "frame_id": "f1"}],
                                   description="d", owner="o")  # fmt: skip
        assert made["owner"] == "o"
        added = client.add_issue_elements_from_query("p", "by client", "val", query="night = true")
        assert added["added"] == 4
        cell = client.add_issue_elements_from_cell(
            "p", "by client", "val", "m0", "cat", "background", conf=0.3, iou=0.5
        )
        assert cell["added"] >= 1
        client.add_issue_elements("p", "by client", [{"dataset": "val", "frame_id": "f2"}])
        element = client.review_issue_element("p", "by client", 1, status="fixed", note="n")
        assert element["status"] == "fixed"
        client.remove_issue_element("p", "by client", 0)
        issue = sample["project"].issue("by client")
        assert client.issue("p", "by client") == json.loads(json.dumps(issue.to_dict()))
        assert client.issues("p", owner="o")[0]["name"] == "by client"
        assert client.export_issue("p", "by client", format="csv") == issue.export("csv")
        path = tmp_path / "fixed.json"
        path.write_text(issue.export("coco"))
        dataset = client.import_fixed_labels("p", "by client", "val", path)
        assert dataset["name"] == "val-fixed-1"
        # Fixed labels as tables go up in chunks of an upload (3 rows a chunk here).
        labels = sample["dataset"].labels()
        on_f2 = labels.filter(pc.equal(labels.column("frame_id"), "f2"))
        relabeled = on_f2.set_column(
            on_f2.column_names.index("class_name"), "class_name",
            pa.array(["bird"] * on_f2.num_rows),
        )  # fmt: skip
        tables = shoal.DatasetTables.build(pa.table({"frame_id": ["f2"]}), relabeled)
        by_tables = client.import_fixed_labels("p", "by client", "val", tables, chunk_rows=1)
        stored = sample["project"].dataset(by_tables["name"]).labels()
        f2 = stored.filter(pc.equal(stored.column("frame_id"), "f2"))
        assert f2.column("class_name").to_pylist() == ["bird"] * on_f2.num_rows
        compared = client.issue_before_after("p", "by client", "val", "val-fixed-1", conf=0.3)
        expected = issue.before_after("val", "val-fixed-1", conf=0.3).to_dict()
        assert compared == json.loads(json.dumps(expected))
        client.update_issue("p", "by client", status="resolved", description="done")
        assert client.issue("p", "by client")["description"] == "done"
        client.delete_issue("p", "by client")


def test_fixed_labels_from_an_upload(sample: dict[str, Any]) -> None:
    client = sample["client"]
    issue = _filled(sample)
    upload = client.post("/api/v1/uploads").json()["upload_id"]
    frames = [{"frame_id": "f4"}, {"frame_id": "f8"}]
    label = {"label_id": "new", "frame_id": "f4", "class_name": "bird",
             "x": 1.0, "y": 2.0, "width": 3.0, "height": 4.0}  # fmt: skip
    chunk = client.put(f"/api/v1/uploads/{upload}/chunks/0", json={"frames": frames,
                                                                   "labels": [label]})  # fmt: skip
    assert chunk.status_code == 200, chunk.text
    url = ISSUE + "/fixed-labels"
    # f8 is not one of the issue's frames: a 400, and the upload stays to fix.
    bad = error_of(client.post(url, params={"dataset": "val", "upload": upload}), 400)
    assert "frames[1]: frame 'f8' is not one of issue 'misses'" in bad["detail"]
    assert client.get(f"/api/v1/uploads/{upload}").status_code == 200
    client.put(f"/api/v1/uploads/{upload}/chunks/0", json={"frames": frames[:1],
                                                          "labels": [label]})  # fmt: skip
    made = client.post(url, params={"dataset": "val", "upload": upload})
    assert made.status_code == 201, made.text
    fixed = sample["project"].dataset(made.json()["name"])
    f4 = fixed.labels().filter(pc.equal(fixed.labels().column("frame_id"), "f4")).to_pylist()
    assert [(r["label_id"], r["class_name"]) for r in f4] == [("new", "bird")]
    error_of(client.get(f"/api/v1/uploads/{upload}"), 404)  # consumed
    error_of(client.post(url, params={"dataset": "val", "upload": upload}), 404)
    error_of(client.post(url, params={"dataset": "val", "upload": "../x"}), 422)
    error_of(client.post(url, params={"dataset": "val"}), 400)
    both = client.post(url, params={"dataset": "val", "upload": "0" * 32}, json=_relabeled(issue))
    error_of(both, 400)
