"""Custom metrics through every face (issue 13, section 3): the store, CSV and JSON files,
the CLI, REST and ``shoal.Client``. Values read back to the numbers uploaded; bad values
are refused naming the file, the record and the problem; a refused upload leaves the
store as it was."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from shoal.client import BadRequest, Client, Conflict, NotFound
from shoal.errors import ConflictError, InputError, NotFoundError
from shoal.formats.metric_values import read_metric_values
from shoal.server import create_app
from shoal.store import MetricInfo, Store
from test_client import serve

from coco_oracle import coco_sample
from conftest import one_model, run_cli


@pytest.fixture
def home(tmp_path: Path) -> Path:
    _, _, dataset_tables, inference_tables = coco_sample(seed=21, num_images=12)
    store = Store(tmp_path / "home")
    one_model(store, dataset_tables, inference_tables)
    store.close()
    return tmp_path / "home"


def dataset_of(home: Path) -> Any:
    return Store(home).project("p").dataset("val")


def frame_ids(home: Path) -> list[str]:
    return [str(f) for f in dataset_of(home).frames().column("frame_id").to_pylist()]


def stored(dataset: Any, name: str, level: str = "frame") -> dict[str, Any]:
    table = dataset.element_metrics(level)
    return dict(zip(table.column(0).to_pylist(), table.column(name).to_pylist(), strict=True))


# ---------------------------------------------------------------------- the store


def test_values_of_every_type_read_back_in_stored_order(home: Path) -> None:
    dataset = dataset_of(home)
    frames = frame_ids(home)
    rng = np.random.default_rng(3)
    scores = {f: float(v) for f, v in zip(frames, rng.random(len(frames)), strict=True)}
    info = dataset.add_custom_metric("night_score", scores, description="how dark")
    assert info == MetricInfo("night_score", "frame", "custom", "float", None, "how dark")
    dataset.add_custom_metric("camera_id", {f: i for i, f in enumerate(frames[:5])})
    dataset.add_custom_metric("blurry", {f: i % 2 == 0 for i, f in enumerate(frames)})
    dataset.add_custom_metric("annotator", {f: f"a{i % 3}" for i, f in enumerate(frames)})
    table = dataset.element_metrics("frame")
    assert table.column_names == ["frame_id", "annotator", "blurry", "camera_id", "night_score"]
    assert table.column("frame_id").to_pylist() == frames  # stored order
    assert table.schema.field("camera_id").type == pa.int64()
    assert table.schema.field("blurry").type == pa.bool_()
    assert table.schema.field("annotator").type == pa.string()
    assert stored(dataset, "night_score") == scores  # bit for bit
    camera = stored(dataset, "camera_id")
    assert [camera[f] for f in frames[:5]] == [0, 1, 2, 3, 4]
    assert all(camera[f] is None for f in frames[5:])  # no value: null
    infos = {i.name: i for i in dataset.metric_infos()}
    assert {n: i.type for n, i in infos.items()} == {
        "annotator": "string",
        "blurry": "bool",
        "camera_id": "int",
        "night_score": "float",
    }


def test_a_table_a_mapping_and_label_and_prediction_levels(home: Path) -> None:
    dataset = dataset_of(home)
    model = dataset.inference_set("m")
    labels = dataset.labels().column("label_id").to_pylist()
    predictions = model.predictions().column("prediction_id").to_pylist()
    table = pa.table({"label_id": labels, "difficulty": [i % 4 for i in range(len(labels))]})
    info = dataset.add_custom_metric("difficulty", table, level="label")
    assert (info.level, info.type) == ("label", "int")
    assert stored(dataset, "difficulty", "label") == {
        label: i % 4 for i, label in enumerate(labels)
    }
    # Ints beside floats widen to float, as metadata does; NaN and None are missing.
    mixed = {p: (i if i % 3 else 0.5) for i, p in enumerate(predictions)}
    mixed[predictions[1]] = float("nan")
    mixed[predictions[2]] = None
    info = dataset.add_custom_metric("uncertainty", mixed, level="prediction", inference_set="m")
    assert info == MetricInfo("uncertainty", "prediction", "custom", "float", "m", "")
    values = model.element_metrics()
    assert values.column_names == ["prediction_id", "uncertainty"]
    got = dict(zip(predictions, values.column("uncertainty").to_pylist(), strict=True))
    assert got[predictions[1]] is None and got[predictions[2]] is None
    assert all(got[p] == float(v) for p, v in mixed.items() if p not in predictions[1:3])
    # Prediction metrics belong to their inference set, not to the dataset's levels.
    assert "uncertainty" not in dataset.element_metrics("label").column_names
    with pytest.raises(InputError, match="belong to an inference set"):
        dataset.add_custom_metric("x2", {predictions[0]: 1}, level="prediction")
    with pytest.raises(InputError, match="only prediction metrics take an inference set"):
        dataset.add_custom_metric("x2", {labels[0]: 1}, level="label", inference_set="m")


BAD_VALUES = [
    ({"nope": 1.0}, "1 id name no frame of dataset 'val': 'nope'"),
    ({"FRAME0": 1.0, "FRAME1": "a"}, "'a' is string, but id 'FRAME0' (record 0) is float"),
    ({"FRAME0": [1, 2]}, "[1, 2] is not a number, bool or string"),
    ({"FRAME0": float("inf")}, "inf is not a finite number"),
    ({"FRAME0": None}, "has no values"),
    ({"FRAME0": True, "FRAME1": 2}, "2 is int, but id 'FRAME0' (record 0) is bool"),
]


@pytest.mark.parametrize(("values", "message"), BAD_VALUES, ids=[m for _, m in BAD_VALUES])
def test_bad_values_are_refused_naming_the_id(home: Path, values: dict, message: str) -> None:
    dataset = dataset_of(home)
    frames = frame_ids(home)
    named = {
        k.replace("FRAME0", frames[0]).replace("FRAME1", frames[1]): v for k, v in values.items()
    }
    message = message.replace("FRAME0", frames[0])
    with pytest.raises(InputError) as caught:
        dataset.add_custom_metric("score", named)
    assert message in str(caught.value)
    assert dataset.metric_infos() == []


def test_unknown_ids_are_listed_first_few(home: Path) -> None:
    dataset = dataset_of(home)
    frames = frame_ids(home)
    values = {f: 1.0 for f in frames} | {f"ghost{i}": 1.0 for i in range(8)}
    with pytest.raises(InputError) as caught:
        dataset.add_custom_metric("score", values)
    text = str(caught.value)
    assert "8 ids name no frame of dataset 'val': 'ghost0', 'ghost1', 'ghost2'" in text
    assert "'ghost4' and 3 more" in text and "ghost5" not in text
    assert caught.value.record == len(frames)  # the first unknown one


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("brightness", "reserved (a quality metric's name)"),
        ("relative_area", "reserved (a quality metric's name)"),
        ("num_labels", "reserved (a built-in name)"),
        ("confidence", "reserved"),
        ("and", "reserved"),
        ("Weather", "is the dataset's metadata key 'weather'"),
        ("2fast", "a metric name is a letter"),
        ("night score", "a metric name is a letter"),
        ("x" * 65, "at most 64 characters"),
    ],
)
def test_names_that_a_query_could_not_tell_apart_are_refused(
    home: Path, name: str, message: str
) -> None:
    dataset = dataset_of(home)
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        dataset.add_custom_metric(name, {frame_ids(home)[0]: 1.0})


def test_a_name_in_use_needs_replace_and_case_twins_are_refused(home: Path) -> None:
    dataset = dataset_of(home)
    frames = frame_ids(home)
    dataset.add_custom_metric("score", {f: 1.0 for f in frames})
    with pytest.raises(ConflictError, match="pass replace=True"):
        dataset.add_custom_metric("score", {f: 2.0 for f in frames})
    with pytest.raises(ConflictError, match="differ only in case"):
        dataset.add_custom_metric("Score", {f: 2.0 for f in frames})
    dataset.add_custom_metric("score", {frames[0]: 5}, replace=True)
    assert stored(dataset, "score")[frames[0]] == 5
    assert stored(dataset, "score")[frames[1]] is None  # a replace replaces every value
    # The same name at another level is another metric.
    labels = dataset.labels().column("label_id").to_pylist()
    dataset.add_custom_metric("score", {labels[0]: 0.5}, level="label")
    assert [(i.name, i.level) for i in dataset.metric_infos()] == [
        ("score", "frame"),
        ("score", "label"),
    ]


def test_delete_and_the_objects_it_leaves(home: Path) -> None:
    store = Store(home)
    dataset = store.project("p").dataset("val")
    frames = frame_ids(home)
    dataset.add_custom_metric("score", {f: 1.0 for f in frames})
    objects_before = {p.name for p in (home / "objects").iterdir()}
    dataset.add_custom_metric("score", {f: 2.0 for f in frames}, replace=True)
    objects_after = {p.name for p in (home / "objects").iterdir()}
    assert len(objects_after) == len(objects_before)  # the replaced values' object is gone
    with pytest.raises(
        NotFoundError, match=r"no custom frame metric 'nope' \(custom frame metrics: score\)"
    ):
        dataset.delete_custom_metric("nope")
    dataset.delete_custom_metric("score")
    assert dataset.metric_infos() == []
    assert len({p.name for p in (home / "objects").iterdir()}) == len(objects_before) - 1
    assert store.sweep() == 0  # nothing left behind
    from shoal.store import examine

    assert examine(home).healthy


def test_deleting_the_dataset_discards_its_metric_objects(home: Path) -> None:
    store = Store(home)
    dataset = store.project("p").dataset("val")
    frames = frame_ids(home)
    objects = {p.name for p in (home / "objects").iterdir()}
    dataset.add_custom_metric("score", {f: 1.0 for f in frames})
    predictions = dataset.inference_set("m").predictions().column("prediction_id").to_pylist()
    dataset.add_custom_metric("hard", {predictions[0]: True}, level="prediction", inference_set="m")
    assert len({p.name for p in (home / "objects").iterdir()} - objects) == 2
    store.project("p").delete_dataset("val")
    assert list((home / "objects").iterdir()) == []


def test_a_replaced_dataset_keeps_custom_values_of_ids_it_still_has(home: Path) -> None:
    store = Store(home)
    project = store.project("p")
    dataset = project.dataset("val")
    frames = frame_ids(home)
    dataset.add_custom_metric("score", {f: float(i) for i, f in enumerate(frames)})
    dataset.write_quality_metrics(
        "frame", pa.table({"frame_id": frames, "brightness": [0.5] * len(frames)})
    )
    tables = dataset.tables()
    kept = tables.frames.slice(0, 6)
    labels = tables.labels.filter(
        pa.compute.is_in(tables.labels.column("frame_id"), kept.column("frame_id"))
    )
    from shoal.tables import DatasetTables

    project.dataset("val").delete_inference_set("m")
    project.create_dataset("val", DatasetTables.build(kept, labels), replace=True)
    # Quality was of the old version: gone until computed again. Custom values follow ids.
    assert [i.name for i in dataset.metric_infos()] == ["score"]
    assert stored(dataset, "score") == {f: float(i) for i, f in enumerate(frames[:6])}


# ---------------------------------------------------------------------- files

CSV = "frame_id,night_score,blurry,camera\n{rows}"


def write_csv(path: Path, frames: list[str]) -> dict[str, dict[str, Any]]:
    rows = []
    expected: dict[str, dict[str, Any]] = {"night_score": {}, "blurry": {}, "camera": {}}
    for i, frame in enumerate(frames):
        night = round(0.1 * i + 0.003, 6)
        rows.append(f"{frame},{night},{'true' if i % 2 else 'false'},{'' if i == 2 else i}")
        expected["night_score"][frame] = night
        expected["blurry"][frame] = bool(i % 2)
        expected["camera"][frame] = None if i == 2 else i
    path.write_text(CSV.format(rows="\n".join(rows) + "\n"))
    return expected


def test_csv_and_json_files_read_back_to_the_same_numbers(home: Path, tmp_path: Path) -> None:
    dataset = dataset_of(home)
    frames = frame_ids(home)
    expected = write_csv(tmp_path / "m.csv", frames)
    infos = dataset.add_custom_metrics(read_metric_values(tmp_path / "m.csv"))
    assert [(i.name, i.type) for i in infos] == [
        ("night_score", "float"),
        ("blurry", "bool"),
        ("camera", "int"),
    ]
    for name, values in expected.items():
        assert stored(dataset, name) == values
    # JSON records and a JSON object of one metric (named by the caller).
    records = [{"frame_id": f, "gain": i * 1.5, "tag": f"t{i}"} for i, f in enumerate(frames)]
    (tmp_path / "r.json").write_text(json.dumps(records))
    dataset.add_custom_metrics(read_metric_values(tmp_path / "r.json"))
    assert stored(dataset, "gain") == {f: i * 1.5 for i, f in enumerate(frames)}
    assert stored(dataset, "tag") == {f: f"t{i}" for i, f in enumerate(frames)}
    (tmp_path / "o.json").write_text(json.dumps({f: -i for i, f in enumerate(frames)}))
    one = read_metric_values(tmp_path / "o.json")
    with pytest.raises(InputError, match="does not name its metric"):
        dataset.add_custom_metrics(one)
    dataset.add_custom_metric("rank", one)
    assert stored(dataset, "rank") == {f: -i for i, f in enumerate(frames)}


BAD_FILES = [
    (
        "a.csv",
        "frame_id,score\nF0,0.5\nF1,0..5\n",
        "a.csv: record row 3: column 'score': '0..5' is text",
    ),
    (
        "b.csv",
        "frame_id,score\nF0,0.5\nF0,0.7\n",
        "b.csv: record row 3: id 'F0' appears twice (also at row 2)",
    ),
    ("c.csv", "frame_id,score\nF0,0.5\nghost,1\n", "c.csv: record row 3: 1 id name no frame"),
    ("d.csv", "name,score\nF0,1\n", "d.csv: record row 1: needs exactly one id column"),
    ("e.csv", "frame_id,score\nF0,0.5,1\n", "e.csv: record row 2: has 3 cells, the header has 2"),
    (
        "f.csv",
        "frame_id,score\nF0,inf\n",
        "f.csv: record row 2: column 'score': inf is not a finite",
    ),
    ("g.json", '[{"frame_id": "F0", "s": [1]}]', "g.json: record record 0: 's' is a list"),
    ("h.json", '{"F0": 1, "F1": "x"}', "h.json: record id 'F1': metric 'score' of id 'F1'"),
    (
        "i.json",
        '[{"frame_id": 5, "s": 1}]',
        "i.json: record record 0: frame_id 5 is not a non-empty",
    ),
    ("j.json", "{nope", "j.json: is not valid JSON"),
    (
        "k.csv",
        "label_id,score\n1,0.5\n",
        "k.csv: the ids are in a 'label_id' column, but this is a frame metric",
    ),
]


@pytest.mark.parametrize(("file", "text", "message"), BAD_FILES, ids=[f for f, _, _ in BAD_FILES])
def test_bad_files_name_the_file_the_row_and_the_problem(
    home: Path, tmp_path: Path, file: str, text: str, message: str
) -> None:
    frames = frame_ids(home)
    path = tmp_path / file
    path.write_text(text.replace("F0", frames[0]).replace("F1", frames[1]))
    message = message.replace("F0", frames[0]).replace("F1", frames[1])
    dataset = dataset_of(home)
    with pytest.raises(InputError) as caught:
        dataset.add_custom_metric("score", read_metric_values(path))
    assert str(caught.value) == f"{path}: " + str(caught.value).split(f"{path}: ", 1)[1]
    assert message.replace(f"{file}:", f"{path}:") in str(caught.value)
    assert dataset.metric_infos() == []


# ---------------------------------------------------------------------- CLI


def test_cli_add_ls_rm(home: Path, tmp_path: Path) -> None:
    frames = frame_ids(home)
    expected = write_csv(tmp_path / "m.csv", frames)
    added = run_cli("metric", "add", "p", "val", str(tmp_path / "m.csv"), "--home", str(home))
    assert added.returncode == 0, added.stderr
    assert f"added frame metric 'night_score' (float): {len(frames)} values" in added.stdout
    assert f"added frame metric 'camera' (int): {len(frames) - 1} values" in added.stdout
    again = run_cli("metric", "add", "p", "val", str(tmp_path / "m.csv"), "--home", str(home))
    assert again.returncode == 2 and "pass replace=True (--replace)" in again.stderr
    replaced = run_cli(
        "metric", "add", "p", "val", str(tmp_path / "m.csv"), "--home", str(home), "--replace"
    )
    assert replaced.returncode == 0, replaced.stderr
    dataset = dataset_of(home)
    assert stored(dataset, "night_score") == expected["night_score"]

    labels = dataset.labels().column("label_id").to_pylist()
    (tmp_path / "l.json").write_text(json.dumps({label: 0.25 for label in labels}))
    one = run_cli(
        "metric", "add", "p", "val", str(tmp_path / "l.json"), "--home", str(home),
        "--level", "label", "--name", "hardness", "--description", "how hard",
    )  # fmt: skip
    assert one.returncode == 0, one.stderr
    predictions = dataset.inference_set("m").predictions().column("prediction_id").to_pylist()
    (tmp_path / "p.csv").write_text(
        "prediction_id,flagged\n" + "".join(f"{p},true\n" for p in predictions[:3])
    )
    pred = run_cli(
        "metric", "add", "p", "val", str(tmp_path / "p.csv"), "--home", str(home),
        "--level", "prediction", "--inference-set", "m",
    )  # fmt: skip
    assert pred.returncode == 0, pred.stderr
    listed = run_cli("metric", "ls", "p", "val", "--home", str(home), "--json")
    assert [(m["name"], m["level"], m["inference_set"]) for m in json.loads(listed.stdout)] == [
        ("blurry", "frame", None),
        ("camera", "frame", None),
        ("night_score", "frame", None),
        ("hardness", "label", None),
        ("flagged", "prediction", "m"),
    ]
    table = run_cli("metric", "ls", "p", "val", "--home", str(home))
    assert "hardness" in table.stdout and "how hard" in table.stdout
    bad = run_cli("metric", "add", "p", "val", str(tmp_path / "nope.csv"), "--home", str(home))
    assert bad.returncode == 2 and "nope.csv: cannot read the file" in bad.stderr
    refused = run_cli("metric", "rm", "p", "val", "camera", "--home", str(home))
    assert refused.returncode == 1  # no terminal to confirm
    removed = run_cli("metric", "rm", "p", "val", "camera", "--home", str(home), "--yes")
    assert removed.returncode == 0
    assert "camera" not in [i.name for i in dataset_of(home).metric_infos()]


# ---------------------------------------------------------------------- REST


@pytest.fixture
def api(home: Path) -> TestClient:
    return TestClient(create_app(Store(home)), base_url="http://localhost")


BASE = "/api/v1/projects/p/datasets/val/element-metrics"


def test_rest_add_list_read_delete(api: TestClient, home: Path) -> None:
    frames = frame_ids(home)
    values = {f: i / 7 for i, f in enumerate(frames)}
    created = api.post(BASE, json={"name": "score", "values": values, "description": "d"})
    assert created.status_code == 201, created.text
    assert created.json() == MetricInfo("score", "frame", "custom", "float", None, "d").to_dict()
    assert api.get(BASE).json() == {"metrics": [created.json()]}
    read = api.get(f"{BASE}/frame/score").json()
    assert read["ids"] == frames and read["values"] == [values[f] for f in frames]
    assert read["total"] == len(frames)
    page = api.get(f"{BASE}/frame/score", params={"offset": 3, "limit": 2}).json()
    assert page["ids"] == frames[3:5]
    conflict = api.post(BASE, json={"name": "score", "values": values})
    assert conflict.status_code == 409 and conflict.json()["error"] == "conflict"
    assert api.delete(f"{BASE}/frame/score").status_code == 204
    missing = api.delete(f"{BASE}/frame/score")
    assert (
        missing.status_code == 404 and "no custom frame metric 'score'" in missing.json()["detail"]
    )
    assert api.get(f"{BASE}/frame/score").status_code == 404


def test_rest_uploads_of_csv_and_json(api: TestClient, home: Path, tmp_path: Path) -> None:
    frames = frame_ids(home)
    expected = write_csv(tmp_path / "m.csv", frames)
    answer = api.post(
        f"{BASE}/upload",
        content=(tmp_path / "m.csv").read_bytes(),
        headers={"Content-Type": "text/csv"},
    )
    assert answer.status_code == 201, answer.text
    assert [m["name"] for m in answer.json()["metrics"]] == ["night_score", "blurry", "camera"]
    for name, values in expected.items():
        read = api.get(f"{BASE}/frame/{name}").json()
        assert dict(zip(read["ids"], read["values"], strict=True)) == values
    labels = dataset_of(home).labels().column("label_id").to_pylist()
    answer = api.post(
        f"{BASE}/upload",
        params={"level": "label", "name": "area_rank"},
        content=json.dumps({label: i for i, label in enumerate(labels)}),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["metrics"][0]["type"] == "int"


@pytest.mark.parametrize(
    ("request_kwargs", "status", "detail"),
    [
        ({"json": {"name": "s", "values": {"ghost": 1}}}, 400, "1 id name no frame"),
        ({"json": {"name": "brightness", "values": {"F0": 1}}}, 400, "reserved"),
        ({"json": {"name": "s", "values": {"F0": [1]}}}, 422, ""),
        ({"json": {"name": "s", "values": {"F0": 1}, "level": "nope"}}, 422, ""),
        ({"json": {"name": "s", "values": {"F0": 1}, "extra": 1}}, 422, ""),
        ({"json": {"name": "s", "values": {"F0": 1, "F1": "a"}}}, 400, "keeps one type"),
        ({"json": {"name": "s", "values": {"F0": 1}, "level": "prediction"}}, 400, "inference set"),
        (
            {
                "json": {
                    "name": "s",
                    "values": {"F0": 1},
                    "level": "prediction",
                    "inference_set": "zz",
                }
            },
            404,
            "no inference set 'zz'",
        ),
        (
            {"content": b"frame_id,s\nF0,1\nF0,2\n", "path": "/upload", "type": "text/csv"},
            400,
            "appears twice",
        ),
        ({"content": b"\xff\xfe", "path": "/upload", "type": "text/csv"}, 400, "not UTF-8"),
        (
            {"content": b"{nope", "path": "/upload", "type": "application/json"},
            400,
            "not valid JSON",
        ),
        (
            {"content": b"frame_id,s\nF0,1\n", "path": "/upload", "type": "image/png"},
            400,
            "text/csv",
        ),
    ],
)
def test_rest_refuses_bad_uploads_with_4xx_json(
    api: TestClient, home: Path, request_kwargs: dict, status: int, detail: str
) -> None:
    frames = frame_ids(home)

    def named(value: Any) -> Any:
        if isinstance(value, dict):
            return {named(k): named(v) for k, v in value.items()}
        if isinstance(value, str):
            return value.replace("F0", frames[0]).replace("F1", frames[1])
        if isinstance(value, bytes):
            return value.replace(b"F0", frames[0].encode())
        return value

    kwargs = named(dict(request_kwargs))
    path = BASE + kwargs.pop("path", "")
    if "type" in kwargs:
        kwargs["headers"] = {"Content-Type": kwargs.pop("type")}
    answer = api.post(path, **kwargs)
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"error", "detail", "where"}
    assert detail in body["detail"]
    assert api.get(BASE).json() == {"metrics": []}  # nothing stored


# ---------------------------------------------------------------------- client


def test_the_client_matches_the_store(home: Path, tmp_path: Path) -> None:
    frames = frame_ids(home)
    expected = write_csv(tmp_path / "m.csv", frames)
    with serve(create_app(Store(home))) as url, Client(url) as client:
        infos = client.upload_custom_metrics("p", "val", tmp_path / "m.csv")
        assert [i["name"] for i in infos] == ["night_score", "blurry", "camera"]
        info = client.add_custom_metric("p", None, "gain", {f: 2.5 for f in frames})
        assert info["type"] == "float"
        assert client.element_metrics("p") == [i.to_dict() for i in dataset_of(home).metric_infos()]
        for name, values in expected.items():
            assert client.element_metric_values("p", "val", name) == values
        with pytest.raises(Conflict):
            client.add_custom_metric("p", "val", "gain", {frames[0]: 1})
        with pytest.raises(BadRequest, match="1 id name no frame"):
            client.add_custom_metric("p", "val", "other", {"ghost": 1})
        client.delete_custom_metric("p", "val", "gain")
        with pytest.raises(NotFound):
            client.delete_custom_metric("p", "val", "gain")
        assert "gain" not in [i["name"] for i in client.element_metrics("p", "val")]
        assert not math.isnan(len(frames))


def test_rest_reads_prediction_metrics_of_their_inference_set(api: TestClient, home: Path) -> None:
    predictions = (
        dataset_of(home).inference_set("m").predictions().column("prediction_id").to_pylist()
    )
    values = {p: i % 3 for i, p in enumerate(predictions)}
    created = api.post(
        BASE, json={"name": "bucket", "level": "prediction", "inference_set": "m", "values": values}
    )
    assert created.status_code == 201, created.text
    assert created.json()["inference_set"] == "m"
    read = api.get(f"{BASE}/prediction/bucket", params={"inference_set": "m"}).json()
    assert dict(zip(read["ids"], read["values"], strict=True)) == values
    missing = api.get(f"{BASE}/prediction/bucket")
    assert missing.status_code == 400 and "belong to an inference set" in missing.json()["detail"]
    stray = api.get(f"{BASE}/frame/bucket", params={"inference_set": "m"})
    assert stray.status_code == 400 and "leave inference_set out" in stray.json()["detail"]
    assert api.delete(f"{BASE}/prediction/bucket", params={"inference_set": "m"}).status_code == 204


def test_pandas_series_and_frames_are_values_too(home: Path) -> None:
    import pandas as pd

    dataset = dataset_of(home)
    frames = frame_ids(home)
    series = pd.Series([i * 0.5 for i in range(len(frames))], index=frames)
    assert dataset.add_custom_metric("half", series).type == "float"
    assert stored(dataset, "half") == {f: i * 0.5 for i, f in enumerate(frames)}
    table = pd.DataFrame(
        {"frame_id": frames[::-1], "flag": [i % 2 == 0 for i in range(len(frames))]}
    )
    assert dataset.add_custom_metric("flag", table).type == "bool"
    assert stored(dataset, "flag") == dict(zip(frames[::-1], table["flag"].tolist(), strict=True))
    with pytest.raises(InputError, match="got list"):
        dataset.add_custom_metric("nope", [1, 2, 3])
