"""The store's rules (issue 9): one evaluation cache for every face, names checked and
inserted in one transaction, one naming rule, "All Frames" thresholds, classes that
leave with the last object using them. Real stores on real files, real threads and
processes."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from shoal.engine.detection.evaluator import evaluate
from shoal.errors import ConflictError, InputError
from shoal.server import create_app
from shoal.store import ALL_FRAMES, IssueElement, Store
from shoal.store._evaluations import load_arrays
from shoal.tables import DatasetTables, InferenceTables

from coco_oracle import coco_sample, random_coco, to_columns
from conftest import one_model


@pytest.fixture
def sample():
    return coco_sample(seed=5, num_images=10)


def race(count: int, job):
    """``job(i)`` on ``count`` threads released together; each result or exception."""
    barrier = threading.Barrier(count)

    def run(i: int):
        barrier.wait()
        try:
            return job(i)
        except Exception as error:  # the losers' errors are what is checked
            return error

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


# --------------------------------------------------------------- evaluation cache
def test_every_caller_gets_the_one_cached_evaluation(tmp_path, sample):
    gt, dt, dataset_tables, inference_tables = sample
    store = Store(tmp_path)
    model = one_model(store, dataset_tables, inference_tables)
    dataset = model.dataset
    first = model.evaluate()
    # Another handle on the same inference set, the metrics query and the lock all use
    # the one object the store keeps.
    assert store.project("p").dataset("val").inference_set("m").evaluate() is first
    with model.evaluation() as held:
        assert held is first
        # The lock is re-entrant: a store query inside the block does not deadlock.
        assert model.metrics(include=["report"]).report is not None
    assert model.use(lambda evaluation: evaluation) is first
    direct = evaluate(*to_columns(gt, dt))
    metrics = model.metrics(conf=0.3, iou=0.5, include=["report", "coco_summary"])
    assert metrics.version == 1
    assert metrics.coco_summary is not None and metrics.report is not None
    assert metrics.coco_summary.stats == direct.coco_summary().stats
    assert metrics.report.tp.sum() == direct.report(0.3, 0.5).tp.sum()
    assert metrics.confusion_matrix is None  # not asked for
    # A replace is a new version: a new evaluation, equal to the engine on the new data.
    half = dt[: len(dt) // 2]
    fewer = InferenceTables.build(
        inference_tables.predictions.slice(0, len(half)),
        frame_ids=dataset_tables.frames.column("frame_id"),
    )
    replaced = dataset.create_inference_set("m", fewer, replace=True)
    again = replaced.evaluate()
    assert again is not first
    assert again.coco_summary().stats == evaluate(*to_columns(gt, half)).coco_summary().stats
    assert replaced.metrics(include=["report"]).version == 2


def test_the_cache_holds_at_most_its_size(tmp_path, sample):
    _, _, dataset_tables, inference_tables = sample
    store = Store(tmp_path, evaluation_cache_size=2)
    dataset = store.create_project("p").create_dataset("val", dataset_tables)
    sets = [dataset.create_inference_set(f"m{i}", inference_tables) for i in range(3)]
    for inference_set in sets:
        inference_set.evaluate()
    assert len(store.evaluations) == 2
    assert [key[0] for key in store.evaluations.held_keys()] == [sets[1].id, sets[2].id]


def test_queries_from_many_threads_equal_one_thread(tmp_path, sample):
    """New IoU thresholds make the engine match again inside the shared evaluation:
    under the entry lock, threads asking at once get what one thread gets."""
    gt, dt, dataset_tables, inference_tables = sample
    store = Store(tmp_path)
    model = one_model(store, dataset_tables, inference_tables)
    direct = evaluate(*to_columns(gt, dt))
    ious = [0.33, 0.41, 0.47, 0.58, 0.66, 0.71, 0.83, 0.92]
    expected = {iou: direct.report(0.2, iou).tp.tolist() for iou in ious}

    def job(i: int):
        iou = ious[i % len(ious)]
        return iou, model.metrics(conf=0.2, iou=iou, include=["report"]).report.tp.tolist()

    for result in race(16, job):
        assert not isinstance(result, Exception), result
        iou, tp = result
        assert tp == expected[iou]


def test_kept_matchings_load_from_many_threads_at_once(tmp_path, sample):
    """np.load parses .npy headers with ast, which CPython 3.11.7 cannot run on two
    threads at once (gh-106905); the store serializes its loads."""
    _, _, dataset_tables, inference_tables = sample
    store = Store(tmp_path)
    model = one_model(store, dataset_tables, inference_tables)
    expected = model.evaluate().coco_summary().stats
    kept = next((tmp_path / "objects").glob("*/kept.npz"))
    reference = load_arrays(kept)

    def job(i: int):
        if i % 2:
            loaded = load_arrays(kept)
            return all(np.array_equal(loaded[k], reference[k]) for k in reference)
        # A store of its own: its cache is empty, so it loads the kept matching.
        fresh = Store(tmp_path)
        try:
            stats = fresh.project("p").dataset("val").inference_set("m").evaluate().coco_summary()
            return stats.stats == expected
        finally:
            fresh.close()

    for _ in range(3):
        assert race(12, job) == [True] * 12


def test_outcomes_compare_and_regression_go_through_the_store(tmp_path, sample):
    gt, dt, dataset_tables, inference_tables = sample
    store = Store(tmp_path)
    dataset = store.create_project("p").create_dataset("val", dataset_tables)
    base = dataset.create_inference_set("a", inference_tables)
    other = dataset.create_inference_set(
        "b", InferenceTables.build(inference_tables.predictions.slice(0, len(dt) // 2))
    )
    frames = dataset.frames().column("frame_id").to_pylist()[:4]
    dataset.create_segment("few", frames=frames)
    direct = evaluate(*to_columns(gt, dt))  # COCO's integer image ids
    direct_report = direct.report(0.3, 0.5, frames=[int(f) for f in frames])
    outcomes = base.outcomes(conf=0.3, iou=0.5, segment="few")
    assert len(outcomes.where(outcome="FP")) == int(direct_report.fp.sum())
    comparison = base.compare(other, conf=0.3, segment="few")
    assert comparison.base.tp.sum() == direct_report.tp.sum()
    results = base.regression_results(conf=0.3)
    assert [r.segment_name for r in results] == [ALL_FRAMES, "few"]
    assert results[1].frame_count == 4


# -------------------------------------------------------------------- names
BAD_NAMES = [
    "",
    "a/b",
    "a\\b",
    "tab\there",
    "bell\x07",
    "del\x7f",
    " lead",
    "trail ",
    ".",
    "..",
    "x" * 201,
]


@pytest.mark.parametrize("bad", BAD_NAMES)
def test_names_a_url_path_cannot_carry_are_refused_everywhere(tmp_path, sample, bad):
    _, _, dataset_tables, inference_tables = sample
    store = Store(tmp_path)
    project = store.create_project("p")
    dataset = project.create_dataset("val", dataset_tables)
    frames = dataset.frames().column("frame_id").to_pylist()[:1]
    for make in (
        lambda: store.create_project(bad),
        lambda: project.create_dataset(bad, dataset_tables),
        lambda: dataset.create_inference_set(bad, inference_tables),
        lambda: dataset.create_segment(bad, frames=frames),
        lambda: project.create_issue(bad),
        lambda: dataset.create_segment("ok", frames=frames).rename(bad),
    ):
        with pytest.raises(InputError, match="name"):
            make()
        for segment in dataset.segments()[1:]:
            segment.delete()
    assert [p.name for p in store.projects()] == ["p"]
    assert [d.name for d in project.datasets()] == ["val"]


def test_good_names_are_reachable_over_the_api(tmp_path):
    client = TestClient(create_app(tmp_path / "home"), base_url="http://localhost")
    # ("a%20b" is a fine name too, but Starlette's TestClient decodes paths twice.)
    for name in ("night drive", "Straße ✓", "v1.2 (best)", "?#", "50%"):
        made = client.post("/api/v1/projects", json={"name": name})
        assert made.status_code == 201, made.text
        quoted = __import__("urllib.parse").parse.quote(name, safe="")
        read = client.get(f"/api/v1/projects/{quoted}")
        assert read.status_code == 200 and read.json()["name"] == name
    refused = client.post("/api/v1/projects", json={"name": "a/b"})
    assert refused.status_code == 400 and "'/'" in refused.json()["detail"]


def test_class_names_may_hold_what_data_holds_but_no_control_characters(tmp_path):
    store = Store(tmp_path)
    project = store.create_project("p", classes=["traffic light/red", " spaced ", "a\\b", "."])
    assert [c.name for c in project.classes()] == ["traffic light/red", " spaced ", "a\\b", "."]
    with pytest.raises(InputError, match="control character"):
        project.add_classes(["line\nbreak"])
    with pytest.raises(InputError, match="1 to 200"):
        project.add_classes([""])


# -------------------------------------------------------------------- races
def test_threads_racing_for_one_new_name_get_one_winner(tmp_path, sample):
    _, _, dataset_tables, inference_tables = sample
    store = Store(tmp_path)
    results = race(6, lambda i: store.create_project("same", task="detection"))
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1
    assert all(isinstance(r, ConflictError) for r in results if r not in winners)
    assert all("exists already" in str(r) for r in results if r not in winners)
    # exist_ok: every racer gets the one project.
    shared = race(6, lambda i: store.get_or_create_project("shared").id)
    assert len(set(shared)) == 1
    project = winners[0]
    datasets = race(4, lambda i: project.create_dataset("val", dataset_tables))
    assert sum(not isinstance(r, Exception) for r in datasets) == 1
    assert all(isinstance(r, ConflictError) for r in datasets if isinstance(r, Exception))
    dataset = project.dataset("val")
    sets = race(4, lambda i: dataset.create_inference_set("m", inference_tables))
    assert sum(not isinstance(r, Exception) for r in sets) == 1
    assert all(isinstance(r, ConflictError) for r in sets if isinstance(r, Exception))
    frames = dataset.frames().column("frame_id").to_pylist()[:2]
    segments = race(4, lambda i: dataset.create_segment("s", frames=frames))
    assert sum(not isinstance(r, Exception) for r in segments) == 1
    assert all(isinstance(r, ConflictError) for r in segments if isinstance(r, Exception))
    issues = race(4, lambda i: project.create_issue("i", [IssueElement("val", frames[0])]))
    assert sum(not isinstance(r, Exception) for r in issues) == 1
    assert all(isinstance(r, ConflictError) for r in issues if isinstance(r, Exception))
    # --replace racers all succeed, one after the other.
    replaced = race(3, lambda i: dataset.create_inference_set("m", inference_tables, replace=True))
    assert not any(isinstance(r, Exception) for r in replaced)
    assert dataset.inference_set("m").version == 4


def run_cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "shoal.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_imports_into_a_new_project_both_land(tmp_path):
    """Two `shoal import` processes creating one new project: both use it (no
    IntegrityError traceback, no "exists already" for a different dataset)."""
    for seed in (1, 2):
        gt, _ = random_coco(np.random.default_rng(seed), num_images=6)
        (tmp_path / f"gt{seed}.json").write_text(json.dumps(gt))
    for attempt in range(3):
        home = str(tmp_path / f"home{attempt}")
        runs = [
            run_cli(
                "import", "coco", str(tmp_path / f"gt{seed}.json"), "--project", "p", "--home", home
            )
            for seed in (1, 2)
        ]
        outputs = [run.communicate(timeout=120) for run in runs]
        for run, (_, err) in zip(runs, outputs, strict=True):
            assert run.returncode == 0, err
            assert "Traceback" not in err
        assert [d.name for d in Store(home).project("p").datasets()] == ["gt1", "gt2"]
    # The same new dataset name from two processes: one lands, the other is told.
    home = str(tmp_path / "same")
    runs = [
        run_cli(
            "import",
            "coco",
            str(tmp_path / "gt1.json"),
            "--project",
            "p",
            "--dataset",
            "val",
            "--home",
            home,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    codes = sorted(run.returncode for run in runs)
    assert codes == [0, 2], outputs
    loser = next(err for run, (_, err) in zip(runs, outputs, strict=True) if run.returncode)
    assert "has a dataset 'val' already" in loser and "Traceback" not in loser


def test_writing_under_a_parent_another_writer_deleted_is_a_conflict(tmp_path):
    store = Store(tmp_path)
    project = store.create_project("gone")
    Store(tmp_path).delete_project("gone")  # another writer
    with pytest.raises(ConflictError, match="deleted meanwhile"):
        project.create_issue("late")


def test_two_processes_create_one_new_home(tmp_path):
    """Creating the catalog of a new home from two processes at once: SQLite answers
    the second "database is locked" while the first switches it to WAL mode; the
    store waits instead of failing."""
    script = (
        "import sys; from shoal.store import Store; Store(sys.argv[1]).get_or_create_project('p')"
    )
    for attempt in range(6):
        home = str(tmp_path / f"home{attempt}")
        runs = [
            subprocess.Popen(
                [sys.executable, "-c", script, home], stderr=subprocess.PIPE, text=True
            )
            for _ in range(2)
        ]
        for run in runs:
            _, err = run.communicate(timeout=120)
            assert run.returncode == 0, err
        assert [p.name for p in Store(home).projects()] == ["p"]


def test_concurrent_creates_over_the_api_are_one_201_and_409s(tmp_path):
    client = TestClient(create_app(tmp_path / "home"), base_url="http://localhost")
    statuses = race(6, lambda i: client.post("/api/v1/projects", json={"name": "p"}).status_code)
    assert sorted(statuses) == [201, 409, 409, 409, 409, 409]


# --------------------------------------------------------------- All Frames
def test_all_frames_takes_thresholds_and_is_a_regression_scope(tmp_path, sample):
    _, _, dataset_tables, inference_tables = sample
    store = Store(tmp_path)
    model = one_model(store, dataset_tables, inference_tables)
    dataset = model.dataset
    project = dataset.project
    everything = dataset.segment(ALL_FRAMES)
    assert everything.thresholds == {"precision": None, "recall": None, "f1_score": None}
    everything.set_thresholds(precision=0.2, recall=0.99)
    # Kept in the catalog: another store sees them, a replace of the data keeps them.
    again = Store(tmp_path).project("p").dataset("val").segment(ALL_FRAMES)
    assert again.thresholds == {"precision": 0.2, "recall": 0.99, "f1_score": None}
    project.create_dataset("val", dataset_tables, replace=True)
    first = model.regression_results(conf=0.3)[0]
    assert first.segment_name == ALL_FRAMES and first.segment_type == "split"
    assert (first.precision.threshold, first.recall.threshold) == (0.2, 0.99)
    assert first.precision.succeeds == (first.precision.score >= 0.2)
    assert first.recall.succeeds is False and first.succeeds is False
    everything.set_thresholds(recall=None)
    assert model.regression_results(conf=0.3)[0].recall.threshold is None
    with pytest.raises(InputError, match="between 0 and 1"):
        everything.set_thresholds(f1_score=2)
    with pytest.raises(InputError, match="cannot be renamed"):
        everything.rename("everything")
    with pytest.raises(ConflictError, match="built-in"):
        dataset.create_segment(ALL_FRAMES, frames=[])
    # The thresholds go with their dataset.
    project.delete_dataset("val")
    assert store._rows("SELECT * FROM all_frames_thresholds") == []


# ------------------------------------------------------------------ classes
def detection_tables(classes: list[str]) -> DatasetTables:
    frames = pa.table({"frame_id": ["a", "b"], "width": [100, 100], "height": [100, 100]})
    labels = pa.table(
        {
            "label_id": [str(i) for i in range(len(classes))],
            "frame_id": ["a" if i % 2 else "b" for i in range(len(classes))],
            "class_name": classes,
            "x": [10.0] * len(classes),
            "y": [10.0] * len(classes),
            "width": [20.0] * len(classes),
            "height": [20.0] * len(classes),
        }
    )
    return DatasetTables.build(frames, labels)


def predictions(classes: list[str]) -> InferenceTables:
    table = pa.table(
        {
            "frame_id": ["a" if i % 2 else "b" for i in range(len(classes))],
            "class_name": classes,
            "x": [10.0] * len(classes),
            "y": [10.0] * len(classes),
            "width": [20.0] * len(classes),
            "height": [20.0] * len(classes),
            "confidence": [0.9] * len(classes),
        }
    )
    return InferenceTables.build(table)


def test_classes_no_object_uses_leave_the_project(tmp_path):
    store = Store(tmp_path)
    project = store.create_project("p", classes=["car"])  # declared: stays
    dataset = project.create_dataset("val", detection_tables(["car", "bus"]))
    model = dataset.create_inference_set("m", predictions(["car", "0", "1"]))
    assert [c.name for c in project.classes()] == ["car", "bus", "0", "1"]
    before = model.evaluate().report(0.5, 0.5, classes=["car"]).row("car")
    # A replace without the mistaken classes: they leave the map.
    model = dataset.create_inference_set("m", predictions(["car", "bus"]), replace=True)
    assert [c.name for c in project.classes()] == ["car", "bus"]
    # The evaluation follows the smaller map (no stale kept matching by class index).
    after = model.evaluate().report(0.5, 0.5, classes=["car"]).row("car")
    assert after["tp"] == before["tp"]
    other = project.create_dataset("other", detection_tables(["truck"]))
    other.create_inference_set("t", predictions(["truck", "van"]))
    assert [c.name for c in project.classes()] == ["car", "bus", "truck", "van"]
    other.delete_inference_set("t")
    assert [c.name for c in project.classes()] == ["car", "bus", "truck"]
    project.delete_dataset("other")
    assert [c.name for c in project.classes()] == ["car", "bus"]
    project.delete_dataset("val")
    assert [c.name for c in project.classes()] == ["car"]  # declared classes stay
    # A class a user declares after an import made it stays too.
    dataset = project.create_dataset("val", detection_tables(["bus"]))
    project.add_classes(["bus"])
    project.delete_dataset("val")
    assert [c.name for c in project.classes()] == ["car", "bus"]


def test_classes_of_an_older_catalog_count_as_declared(tmp_path):
    store = Store(tmp_path)
    project = store.create_project("p")
    project.create_dataset("val", detection_tables(["car"]))
    store.close()
    with sqlite3.connect(tmp_path / "catalog.sqlite") as db:
        db.execute("ALTER TABLE classes DROP COLUMN declared")  # as Shoal 0.1 wrote it
    reopened = Store(tmp_path)
    project = reopened.project("p")
    project.delete_dataset("val")
    assert [c.name for c in project.classes()] == ["car"]


def test_classification_projects_keep_their_class_map(tmp_path):
    store = Store(tmp_path)
    project = store.create_project("c", task="classification")
    frames = pa.table({"frame_id": ["a", "b"]})
    labels = pa.table({"label_id": ["1", "2"], "frame_id": ["a", "b"], "class_name": ["x", "y"]})
    dataset = project.create_dataset("val", DatasetTables.build(frames, labels))
    project.delete_dataset(dataset.name)
    # Probability vectors are positional over the map: it never shrinks under them.
    assert [c.name for c in project.classes()] == ["x", "y"]


def test_stale_kept_matchings_are_not_left_behind(tmp_path, sample):
    _, _, dataset_tables, inference_tables = sample
    store = Store(tmp_path)
    model = one_model(store, dataset_tables, inference_tables)
    dataset = model.dataset
    project = dataset.project
    model.evaluate()
    project.add_classes(["extra"])  # a new class map: matched again, kept once
    store.evaluations.clear()
    model.evaluate()
    rows = store._rows("SELECT grid, object FROM evaluations")
    assert len(rows) == 1 and "extra" in json.loads(rows[0]["grid"])["classes"]
    objects = {p.name for p in Path(tmp_path, "objects").iterdir()}
    assert rows[0]["object"] in objects and len(objects) == 3  # dataset, set, one matching
