"""Element-metric storage (issue 13, section 3): quality columns per level written whole,
versions, atomic writes (a refused or killed write leaves the columns there were), the
store's sweep and doctor, and catalogs older than the element_metrics table."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from shoal.errors import ConflictError, InputError
from shoal.store import QUALITY_METRICS, MetricInfo, Store, examine
from shoal.tables import DatasetTables

from coco_oracle import coco_sample
from conftest import one_model

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    _, _, dataset_tables, inference_tables = coco_sample(seed=5, num_images=10)
    store = Store(tmp_path / "home")
    one_model(store, dataset_tables, inference_tables)
    store.close()
    return tmp_path / "home"


def ids(dataset: Any, level: str) -> list[str]:
    if level == "prediction":
        return dataset.inference_set("m").predictions().column("prediction_id").to_pylist()
    table = dataset.frames() if level == "frame" else dataset.labels()
    return table.column("frame_id" if level == "frame" else "label_id").to_pylist()


def quality_table(dataset: Any, level: str, seed: int, names: list[str]) -> pa.Table:
    key = {"frame": "frame_id", "label": "label_id", "prediction": "prediction_id"}[level]
    elements = ids(dataset, level)
    rng = np.random.default_rng(seed)
    # Written in another order than stored: the store keys values by id.
    order = rng.permutation(len(elements))
    columns: dict[str, Any] = {key: [elements[i] for i in order]}
    for name in names:
        columns[name] = rng.random(len(elements))
    return pa.table(columns)


def by_id(table: pa.Table, name: str) -> dict[str, Any]:
    return dict(zip(table.column(0).to_pylist(), table.column(name).to_pylist(), strict=True))


@pytest.mark.parametrize("level", ["frame", "label", "prediction"])
def test_quality_columns_round_trip_at_every_level(home: Path, level: str) -> None:
    dataset = Store(home).project("p").dataset("val")
    names = list(QUALITY_METRICS[level])[:4]
    written = quality_table(dataset, level, 1, names)
    set_name = "m" if level == "prediction" else None
    dataset.write_quality_metrics(level, written, inference_set=set_name)
    read = (
        dataset.inference_set("m").element_metrics()
        if level == "prediction"
        else dataset.element_metrics(level)
    )
    assert read.column(0).to_pylist() == ids(dataset, level)  # stored order
    assert read.column_names[1:] == sorted(names)  # quality, then custom; by name
    for name in names:
        assert by_id(read, name) == by_id(written, name)  # bit for bit, by id
        assert read.schema.field(name).type == pa.float64()
    assert dataset.metric_infos() == [
        MetricInfo(n, level, "quality", "float", set_name, QUALITY_METRICS[level][n])
        for n in sorted(names)
    ]


def test_a_quality_write_replaces_the_levels_columns_whole(home: Path) -> None:
    store = Store(home)
    dataset = store.project("p").dataset("val")
    dataset.write_quality_metrics(
        "frame", quality_table(dataset, "frame", 1, ["brightness", "contrast"])
    )
    second = quality_table(dataset, "frame", 2, ["brightness"])
    objects = set(os.listdir(home / "objects"))
    dataset.write_quality_metrics("frame", second)
    assert [i.name for i in dataset.metric_infos()] == ["brightness"]
    assert by_id(dataset.element_metrics("frame"), "brightness") == by_id(second, "brightness")
    assert len(set(os.listdir(home / "objects"))) == len(objects)  # the old one discarded
    # Ints are numbers too (stored as float64); a subset of ids leaves the rest null.
    frames = ids(dataset, "frame")
    dataset.write_quality_metrics(
        "frame", pa.table({"frame_id": frames[:3], "image_width": pa.array([640, 800, 1024])})
    )
    widths = by_id(dataset.element_metrics("frame"), "image_width")
    assert [widths[f] for f in frames[:3]] == [640.0, 800.0, 1024.0]
    assert all(widths[f] is None for f in frames[3:])


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (pa.table({"id": ["x"], "brightness": [0.1]}), "a table with a 'frame_id' column"),
        (pa.table({"frame_id": ["ghost"], "brightness": [0.1]}), "1 id name no frame"),
        (pa.table({"frame_id": ["F0"], "brightness": ["dark"]}), "is string, not a number"),
        (pa.table({"frame_id": ["F0"], "bright ness": [0.1]}), "is not a word"),
        (pa.table({"frame_id": ["F0", "F0"], "brightness": [0.1, 0.2]}), "appears twice"),
    ],
)
def test_bad_quality_tables_are_refused(home: Path, table: pa.Table, message: str) -> None:
    dataset = Store(home).project("p").dataset("val")
    first = ids(dataset, "frame")[0]
    table = table.set_column(
        0, table.column_names[0], pc.replace_substring(table.column(0), "F0", first)
    )
    with pytest.raises(InputError, match=message):
        dataset.write_quality_metrics("frame", table)
    assert dataset.metric_infos() == []


def test_a_quality_name_a_custom_metric_holds_is_a_conflict(home: Path) -> None:
    dataset = Store(home).project("p").dataset("val")
    frames = ids(dataset, "frame")
    dataset.add_custom_metric("sky_score", {f: 1.0 for f in frames})
    with pytest.raises(ConflictError, match="custom frame metric 'sky_score'"):
        dataset.write_quality_metrics(
            "frame", pa.table({"frame_id": frames, "sky_score": [0.0] * len(frames)})
        )


def test_a_refused_write_leaves_the_columns_there_were(home: Path) -> None:
    """A catalog that refuses the new rows (a trigger standing in for a full disk or a
    lost lock) fails the write; the old columns answer as before, and no object is
    left behind."""
    store = Store(home)
    dataset = store.project("p").dataset("val")
    first = quality_table(dataset, "frame", 1, ["brightness", "sharpness"])
    dataset.write_quality_metrics("frame", first)
    dataset.add_custom_metric("night", {f: 0.5 for f in ids(dataset, "frame")})
    before_objects = set(os.listdir(home / "objects"))
    before = dataset.element_metrics("frame")
    with sqlite3.connect(home / "catalog.sqlite") as db:
        db.execute(
            "CREATE TRIGGER refuse_metrics BEFORE INSERT ON element_metrics "
            "BEGIN SELECT RAISE(ABORT, 'metrics refused'); END"
        )
    with pytest.raises(InputError, match="metrics refused"):
        dataset.write_quality_metrics("frame", quality_table(dataset, "frame", 2, ["brightness"]))
    with pytest.raises(InputError, match="metrics refused"):
        dataset.add_custom_metric("night", {f: 0.9 for f in ids(dataset, "frame")}, replace=True)
    reopened = Store(home).project("p").dataset("val")
    assert reopened.element_metrics("frame").equals(before)
    assert set(os.listdir(home / "objects")) == before_objects
    assert examine(home).healthy


@pytest.mark.parametrize("point", ["before-publish", "after-publish", "before-commit"])
def test_a_killed_write_leaves_the_old_columns_and_a_leftover_the_sweep_removes(
    home: Path, point: str
) -> None:
    store = Store(home)
    dataset = store.project("p").dataset("val")
    dataset.write_quality_metrics("frame", quality_table(dataset, "frame", 1, ["brightness"]))
    before = dataset.element_metrics("frame")
    objects = set(os.listdir(home / "objects"))
    script = (
        "import sys; sys.path.insert(0, 'tests')\n"
        "from shoal.store import Store\n"
        "from test_element_metrics import quality_table\n"
        f"d = Store({str(home)!r}).project('p').dataset('val')\n"
        "d.write_quality_metrics('frame', quality_table(d, 'frame', 2, ['brightness']))\n"
    )
    env = {**os.environ, "SHOAL_TEST_CRASH_AT": point}
    killed = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=False)
    assert killed.returncode == -9
    reopened = Store(home)  # opening sweeps what the killed write left
    assert reopened.project("p").dataset("val").element_metrics("frame").equals(before)
    assert set(os.listdir(home / "objects")) == objects
    assert examine(home).healthy


def test_a_replace_drops_quality_of_the_old_version_and_keeps_custom_by_id(home: Path) -> None:
    store = Store(home)
    project = store.project("p")
    dataset = project.dataset("val")
    model = dataset.inference_set("m")
    dataset.write_quality_metrics("label", quality_table(dataset, "label", 1, ["relative_area"]))
    dataset.write_quality_metrics(
        "prediction", quality_table(dataset, "prediction", 2, ["max_overlap"]), inference_set="m"
    )
    predictions = ids(dataset, "prediction")
    dataset.add_custom_metric(
        "hard", {p: i % 2 == 0 for i, p in enumerate(predictions)}, level="prediction",
        inference_set="m",
    )  # fmt: skip
    # Replacing the inference set: its quality is of the old version, its custom kept.
    kept = model.predictions().slice(0, len(predictions) // 2)
    from shoal.tables import InferenceTables

    dataset.create_inference_set("m", InferenceTables.build(kept), replace=True)
    assert [(i.name, i.level) for i in dataset.metric_infos()] == [
        ("relative_area", "label"),
        ("hard", "prediction"),
    ]
    hard = by_id(model.element_metrics(), "hard")
    assert list(hard) == predictions[: len(predictions) // 2]
    assert all(hard[p] == (i % 2 == 0) for i, p in enumerate(hard))
    # Replacing the dataset: its label quality goes too.
    tables = dataset.tables()
    project.create_dataset("val", DatasetTables.build(tables.frames, tables.labels), replace=True)
    assert [i.name for i in dataset.metric_infos()] == ["hard"]
    # Computed again for the new version, it is back.
    dataset.write_quality_metrics("label", quality_table(dataset, "label", 3, ["relative_area"]))
    assert [i.name for i in dataset.metric_infos()] == ["relative_area", "hard"]


def test_the_doctor_checks_metric_objects(home: Path) -> None:
    store = Store(home)
    dataset = store.project("p").dataset("val")
    dataset.write_quality_metrics("frame", quality_table(dataset, "frame", 1, ["brightness"]))
    checkup = examine(home)
    assert checkup.healthy and checkup.checked["objects"] == 3  # dataset, set, metrics
    obj = store._rows("SELECT object FROM element_metrics")[0][0]
    (home / "objects" / obj / "metrics.parquet").write_bytes(b"not parquet")
    damaged = examine(home)
    assert not damaged.healthy
    (finding,) = damaged.findings
    assert finding.path.endswith("metrics.parquet") and "element metrics p/val" in finding.owner
    assert store.sweep() == 0  # the sweep never removes what the catalog points to


def test_an_older_catalog_gains_the_table(home: Path) -> None:
    with sqlite3.connect(home / "catalog.sqlite") as db:
        db.execute("DROP TABLE element_metrics")
    dataset = Store(home).project("p").dataset("val")
    assert dataset.metric_infos() == []
    dataset.add_custom_metric("score", {ids(dataset, "frame")[0]: 1})
    assert [i.name for i in dataset.metric_infos()] == ["score"]


@pytest.mark.parametrize("level", ["frame", "label", "prediction", "banana"])
def test_levels_and_their_owners(home: Path, level: str) -> None:
    dataset = Store(home).project("p").dataset("val")
    if level == "banana":
        with pytest.raises(InputError, match="a metric level is one of frame, label, prediction"):
            dataset.element_metrics(level)  # type: ignore[arg-type]
        return
    if level == "prediction":
        with pytest.raises(InputError, match="belong to an inference set"):
            dataset.element_metrics(level)  # type: ignore[arg-type]
        assert dataset.inference_set("m").element_metrics().column_names == ["prediction_id"]
        return
    empty = dataset.element_metrics(level)  # type: ignore[arg-type]
    assert empty.column_names == [f"{level}_id"] and empty.num_rows == len(ids(dataset, level))


def test_a_quality_table_without_metric_columns_removes_the_levels_quality(home: Path) -> None:
    store = Store(home)
    dataset = store.project("p").dataset("val")
    dataset.write_quality_metrics("frame", quality_table(dataset, "frame", 1, ["brightness"]))
    objects = set(os.listdir(home / "objects"))
    dataset.write_quality_metrics("frame", pa.table({"frame_id": ids(dataset, "frame")}))
    assert dataset.metric_infos() == []
    assert len(set(os.listdir(home / "objects"))) == len(objects) - 1  # nothing new, one gone
    assert store.sweep() == 0


def test_two_writers_of_one_new_name_one_wins_and_nothing_is_left(home: Path) -> None:
    """Both check the name before either holds the writers' lock; the catalog's unique
    index makes the second a ConflictError, and its published object is discarded."""
    import threading

    frames = ids(Store(home).project("p").dataset("val"), "frame")
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def write(value: float) -> None:
        dataset = Store(home).project("p").dataset("val")
        start.wait()
        try:
            dataset.add_custom_metric("score", {f: value for f in frames})
            outcomes.append("written")
        except ConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=write, args=(v,)) for v in (1.0, 2.0)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "written"]
    store = Store(home)
    (value,) = set(
        by_id(store.project("p").dataset("val").element_metrics("frame"), "score").values()
    )
    assert value in (1.0, 2.0)
    assert store.sweep() == 0 and examine(home).healthy
