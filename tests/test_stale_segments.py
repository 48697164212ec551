"""One stale saved query never breaks a dataset (issue 11, defect 9).

A replace that removes a field a saved-query segment reads made listing segments and
``/regression`` answer 400 for the whole dataset. Now that segment is reported stale
(a field on it), fails its own regression test with the reason, and everything else
answers as before: through the store, the server and ``shoal check``.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from fastapi.testclient import TestClient

from shoal.analysis import SegmentResult
from shoal.errors import InputError
from shoal.server import create_app
from shoal.store import ALL_FRAMES, Store
from shoal.tables import DatasetTables, InferenceTables

from coco_oracle import coco_sample
from conftest import run_cli


def with_weather(tables: DatasetTables) -> DatasetTables:
    count = tables.frames.num_rows
    weather = pa.array(["sun" if i % 2 else "rain" for i in range(count)])
    frames = tables.frames.append_column("sky", weather)
    return DatasetTables.build(frames, tables.labels)


@pytest.fixture
def stale_home(tmp_path):
    """Project p, dataset val (replaced without its sky key), inference set m, a
    stale query segment "sunny", a fine query segment "busy" and a frames segment
    "first"; the results before the replace, for comparison."""
    _, _, dataset_tables, inference_tables = coco_sample(seed=13, num_images=8)
    store = Store(tmp_path)
    dataset = store.create_project("p").create_dataset("val", with_weather(dataset_tables))
    model = dataset.create_inference_set("m", inference_tables)
    frames = dataset.frames().column("frame_id").to_pylist()
    dataset.create_segment("sunny", query="sky = 'sun'", type="regression_test", recall=0.1)
    dataset.create_segment("busy", query="num_labels > 2", recall=0.01)
    dataset.create_segment("first", frames=frames[:3], precision=0.0)
    before = {r.segment_name: r for r in model.regression_results()}
    store.project("p").create_dataset("val", dataset_tables, replace=True)  # no sky now
    store.close()
    return tmp_path, before


def test_the_store_reports_a_stale_segment_and_answers_the_rest(stale_home):
    home, before = stale_home
    dataset = Store(home).project("p").dataset("val")
    model = dataset.inference_set("m")
    listed = {s["name"]: s for s in (segment.to_dict() for segment in dataset.segments())}
    assert list(listed) == [ALL_FRAMES, "sunny", "busy", "first"]
    assert "unknown field 'sky'" in listed["sunny"]["stale"]
    assert listed["sunny"]["frame_count"] == 0
    assert all(listed[name]["stale"] is None for name in (ALL_FRAMES, "busy", "first"))
    assert dataset.segment("sunny").stale == listed["sunny"]["stale"]

    results = {r.segment_name: r for r in model.regression_results()}
    stale = results["sunny"]
    assert stale.succeeds is False and stale.stale == listed["sunny"]["stale"]
    assert stale.frame_count == 0 and stale.recall.threshold == 0.1
    # Everything else equals what it was before the replace (same labels, same frames).
    for name in (ALL_FRAMES, "busy", "first"):
        assert results[name] == before[name]
        assert results[name].stale is None
    # The wire form carries the reason and reads back whole.
    assert SegmentResult.from_dict(json.loads(json.dumps(stale.to_dict()))) == stale
    # Asking for the stale segment's own frames says why; every other query works.
    with pytest.raises(InputError, match=r"segment 'sunny' is stale: .*unknown field 'sky'"):
        model.metrics(segment="sunny")
    with pytest.raises(InputError, match="is stale"):
        dataset.segment("sunny").frame_ids()
    assert model.metrics(segment="busy").report is not None
    # Saving the segment again with a query that runs puts it back in order.
    dataset.segment("sunny").delete()
    dataset.create_segment("sunny", query="num_labels >= 0")
    assert dataset.segment("sunny").stale is None


def test_the_server_lists_and_tests_a_dataset_with_a_stale_segment(stale_home):
    home, _ = stale_home
    client = TestClient(create_app(home), base_url="http://localhost")
    base = "/api/v1/projects/p/datasets/val"
    listed = client.get(f"{base}/segments")
    assert listed.status_code == 200, listed.text
    stale = {s["name"]: s["stale"] for s in listed.json()}
    assert "unknown field 'sky'" in stale["sunny"] and stale["busy"] is None
    one = client.get(f"{base}/segments/sunny")
    assert one.status_code == 200 and one.json()["stale"] == stale["sunny"]
    answer = client.get(f"{base}/inference-sets/m/regression")
    assert answer.status_code == 200, answer.text
    by_name = {r["segment_name"]: r for r in answer.json()}
    assert by_name["sunny"]["succeeds"] is False and by_name["sunny"]["stale"] == stale["sunny"]
    assert by_name["busy"]["stale"] is None and by_name["busy"]["succeeds"] is not False
    refused = client.get(f"{base}/metrics", params={"inference_set": "m", "segment": "sunny"})
    assert refused.status_code == 400 and "is stale" in refused.json()["detail"]
    fine = client.get(f"{base}/metrics", params={"inference_set": "m", "segment": "busy"})
    assert fine.status_code == 200


def test_shoal_check_fails_the_stale_segment_with_its_reason(stale_home, tmp_path):
    home, _ = stale_home
    junit = tmp_path / "junit.xml"
    where = ["--project", "p", "--home", str(home)]
    run = run_cli("check", *where, "--inference-set", "m", "--junit", str(junit))
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    assert "segment 'sunny' is stale: its saved query no longer runs" in run.stderr
    row = next(line for line in run.stdout.splitlines() if line.startswith("sunny"))
    assert row.rstrip().endswith("STALE")
    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
    failure = cases["sunny"].find("failure")
    assert failure is not None and failure.get("message", "").startswith("stale: ")
    assert cases["busy"].find("failure") is None
    listing = run_cli("segment", "ls", *where)
    assert listing.returncode == 0, listing.stderr
    assert "segment 'sunny' is stale" in listing.stderr


def test_a_frames_segment_whose_frames_a_replace_removed_is_stale(tmp_path):
    _, _, dataset_tables, inference_tables = coco_sample(seed=13, num_images=8)
    store = Store(tmp_path)
    dataset = store.create_project("p").create_dataset("val", dataset_tables)
    frames = dataset.frames().column("frame_id").to_pylist()
    dataset.create_segment("few", frames=frames[:3], recall=0.1)
    dataset.create_segment("kept", frames=frames[4:6], recall=0.1)
    kept = pa.array(frames[2:])
    smaller = DatasetTables.build(
        dataset_tables.frames.filter(pc.is_in(dataset_tables.frames["frame_id"], kept)),
        dataset_tables.labels.filter(pc.is_in(dataset_tables.labels["frame_id"], kept)),
    )
    dataset = store.project("p").create_dataset("val", smaller, replace=True)
    predictions = inference_tables.predictions
    model = dataset.create_inference_set(
        "m",
        InferenceTables.build(
            predictions.filter(pc.is_in(predictions["frame_id"], kept)),
            frame_ids=smaller.frames["frame_id"],
        ),
    )
    few = dataset.segment("few")
    assert few.stale == (
        f"2 of its 3 frames are no longer in this dataset (the first: {frames[0]!r})"
    )
    assert few.to_dict()["frame_count"] == 0 and dataset.segment("kept").stale is None
    results = {r.segment_name: r for r in model.regression_results()}
    assert results["few"].succeeds is False and results["few"].stale == few.stale
    assert results["kept"].stale is None and results["kept"].frame_count == 2
    with pytest.raises(InputError, match="segment 'few' is stale"):
        model.metrics(segment="few")
