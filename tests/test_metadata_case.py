"""Metadata keys that differ only in case (issue 11, defect 8).

DuckDB matches column names without regard to case: stored keys ``weather`` and
``Weather`` answered ``Weather = 'sun'`` from the wrong column, ``FRAME_ID`` read
``frame_id`` and ``Num_Labels`` hid ``num_labels``. The store refuses such keys when a
dataset is written (every importer and upload goes through it), and queries resolve
names exactly: a case mismatch is a "did you mean" error, never an empty answer.
"""

from __future__ import annotations

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from shoal.errors import InputError
from shoal.server import create_app
from shoal.store import QueryError, Store, compile_query
from shoal.store._frames_query import select_frames
from shoal.tables import LABELS_SCHEMA, DatasetTables

from conftest import run_cli


def frames_with(**metadata: list[object]) -> pa.Table:
    count = len(next(iter(metadata.values())))
    return pa.table({"frame_id": [f"f{i}" for i in range(count)], **metadata})


def labels_for(frame_ids: list[str]) -> pa.Table:
    rows = [
        {"label_id": f"l{i}", "frame_id": f, "class_name": "cat", "x": 1.0, "y": 1.0,
         "width": 5.0, "height": 5.0}
        for i, f in enumerate(frame_ids)
    ]  # fmt: skip
    return pa.Table.from_pylist(rows).select([n for n in LABELS_SCHEMA.names if n in rows[0]])


@pytest.mark.parametrize(
    ("metadata", "message", "record"),
    [
        ({"weather": ["sun", "rain"], "Weather": [None, "fog"]}, "'Weather' differs only in case "
         "from another metadata key, 'weather'", 1),
        ({"FRAME_ID": ["zz", "yy"]}, "'FRAME_ID' differs only in case from a built-in name, "
         "'frame_id'", 0),
        ({"Num_Labels": [1, 2]}, "'Num_Labels' differs only in case from a built-in name, "
         "'num_labels'", 0),
        ({"IMAGE_URI": [None, None]}, "'IMAGE_URI' differs only in case", None),
    ],
)  # fmt: skip
def test_the_store_refuses_keys_that_differ_only_in_case(tmp_path, metadata, message, record):
    frames = frames_with(**metadata)
    tables = DatasetTables.build(frames, labels_for(["f0", "f1"]))
    store = Store(tmp_path)
    project = store.create_project("p")
    with pytest.raises(InputError, match=message) as caught:
        project.create_dataset("val", tables)
    assert caught.value.record == record
    assert project.datasets() == []  # nothing written
    assert list((tmp_path / "objects").iterdir()) == []


def test_keys_of_other_cases_are_fine_when_nothing_collides(tmp_path):
    tables = DatasetTables.build(
        frames_with(Weather=["sun", "rain"], camera=["a", "b"]), labels_for(["f0"])
    )
    dataset = Store(tmp_path).create_project("p").create_dataset("val", tables)
    assert dataset.query("Weather = 'sun'") == ["f0"]
    with pytest.raises(QueryError, match=r"unknown field 'weather' \(did you mean 'Weather'\?\)"):
        dataset.query("weather = 'sun'")
    with pytest.raises(QueryError, match=r"unknown field 'FRAME_ID' \(did you mean 'frame_id'\?\)"):
        dataset.query("FRAME_ID = 'f0'")
    with pytest.raises(QueryError, match=r"did you mean 'num_labels'"):
        dataset.query("Num_Labels > 0")
    assert dataset.query("num_labels > 0") == ["f0"]


def test_a_cli_import_names_the_file_the_row_and_both_keys(tmp_path):
    csv = tmp_path / "labels.csv"
    csv.write_text("frame_id,label,weather,Weather\na.jpg,cat,sun,\nb.jpg,dog,rain,fog\n")
    run = run_cli("import", "csv", str(csv), "--project", "p", "--home", str(tmp_path / "h"))
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    error = run.stderr.strip().splitlines()[-1]
    assert error.startswith(f"shoal: error: {csv}: record 1: metadata key 'Weather'"), error
    assert "'weather'" in error


def test_an_upload_is_refused_with_a_4xx_naming_the_keys(tmp_path):
    client = TestClient(create_app(tmp_path / "home"), base_url="http://127.0.0.1")
    assert client.post("/api/v1/projects", json={"name": "p"}).status_code == 201
    upload_id = client.post("/api/v1/uploads").json()["upload_id"]
    chunk = {"frames": [{"frame_id": "a", "weather": "sun", "Weather": "fog"}]}
    sent = client.put(f"/api/v1/uploads/{upload_id}/chunks/0", json=chunk)
    assert sent.status_code < 300, sent.text
    answer = client.post(
        f"/api/v1/uploads/{upload_id}/commit", json={"project": "p", "kind": "dataset", "name": "v"}
    )
    assert answer.status_code == 400, answer.text
    assert "differs only in case" in answer.json()["detail"]
    assert client.get("/api/v1/projects/p").json()["datasets"] == []


def test_queries_on_colliding_columns_read_each_column_exactly():
    """A dataset stored before the store refused such keys still answers exactly: the
    frames reach DuckDB under positional names."""
    frames = frames_with(
        weather=["sun", "rain", "sun"],
        Weather=["fog", "sun", None],
        FRAME_ID=["zz", "f1", "yy"],
        Num_Labels=[7, 7, 7],
    )
    labels = labels_for(["f0", "f0", "f2"])
    assert select_frames(frames, labels, "Weather = 'sun'") == ["f1"]
    assert select_frames(frames, labels, "weather = 'sun'") == ["f0", "f2"]
    assert select_frames(frames, labels, "FRAME_ID = 'zz'") == ["f0"]
    assert select_frames(frames, labels, "frame_id = 'f1'") == ["f1"]
    assert select_frames(frames, labels, "num_labels = 2") == ["f0"]
    assert select_frames(frames, labels, "Num_Labels = 7") == ["f0", "f1", "f2"]
    assert select_frames(frames, labels, "has('cat') and Weather is null") == ["f2"]


def test_the_compiler_maps_fields_to_their_columns():
    compiled = compile_query(
        "Weather = 'sun' and has('cat')",
        {"frame_id": "string", "Weather": "string", "weather": "string"},
        labels_relation="labels",
        columns={"frame_id": "c0", "Weather": "c2", "weather": "c1"},
    )
    assert '"c2"' in compiled.sql and '"c0"' in compiled.sql and '"c1"' not in compiled.sql
    assert compiled.fields == frozenset({"Weather"})
    with pytest.raises(QueryError, match="did you mean 'weather'"):
        compile_query("WEATHER = 'x'", {"weather": "string"})
    with pytest.raises(InputError, match="column name"):
        compile_query("weather = 'x'", {"weather": "string"}, columns={"weather": ""})
