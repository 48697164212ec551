"""The embedded store, on real SQLite and Parquet files in a temporary home."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from shoal.engine.detection.evaluator import evaluate
from shoal.errors import ConflictError, InputError, ShoalError
from shoal.store import ALL_FRAMES, IssueElement, Store
from shoal.tables import DatasetTables, InferenceTables

from coco_oracle import coco_sample, to_columns
from conftest import one_model


@pytest.fixture
def sample():
    return coco_sample(seed=21, num_images=10)


def snapshot(home: Path) -> tuple[list, list[str]]:
    """Everything a user could observe: catalog rows and the files on disk."""
    store = Store(home)
    rows = [
        (p.name, [(d.name, d.version, [i.name for i in d.inference_sets()]) for d in p.datasets()])
        for p in store.projects()
    ]
    store.close()
    files = sorted(
        str(p.relative_to(home))
        for p in home.rglob("*")
        if p.is_file() and "catalog" not in p.name and p.name != "write.lock"
    )
    return rows, files


def test_round_trip_and_evaluation_equal_the_engine(tmp_path, sample):
    gt, dt, dataset_tables, inference_tables = sample
    store = Store(tmp_path)
    project = store.create_project("p", task="detection")
    dataset = project.create_dataset("val", dataset_tables)
    model = dataset.create_inference_set("model", inference_tables)
    assert dataset.frames().num_rows == len(gt["images"])
    assert dataset.labels().equals(dataset_tables.labels)
    names = {c["id"]: c["name"] for c in gt["categories"]}
    labelled = sorted({names[a["category_id"]] for a in gt["annotations"]})
    predicted_only = sorted({names[d["category_id"]] for d in dt} - set(labelled))
    # The dataset's classes first, then classes only the model predicts.
    assert [c.name for c in project.classes()] == labelled + predicted_only
    ev = model.evaluate()
    direct = evaluate(*to_columns(gt, dt))
    assert ev.coco_summary().stats == direct.coco_summary().stats
    names = ev.labels
    assert ev.report(0.3, 0.5, classes=names).tp.sum() == direct.report(0.3, 0.5).tp.sum()


def test_reopening_answers_from_the_kept_matching(tmp_path, sample, monkeypatch):
    _, _, dataset_tables, inference_tables = sample
    store = Store(tmp_path)
    model = (
        store.create_project("p")
        .create_dataset("val", dataset_tables)
        .create_inference_set("m", inference_tables)
    )
    first = model.evaluate().coco_summary().stats
    store.close()

    import shoal.store._evaluations as store_module

    def no_matching(*args, **kwargs):
        raise AssertionError("matched again instead of loading the kept matching")

    monkeypatch.setattr(store_module, "evaluate", no_matching)
    again = Store(tmp_path).project("p").dataset("val").inference_set("m").evaluate()
    assert again.coco_summary().stats == first


def test_names_in_use_need_replace_and_replacing_rebuilds(tmp_path, sample):
    gt, dt, dataset_tables, inference_tables = sample
    store = Store(tmp_path)
    model = one_model(store, dataset_tables, inference_tables)
    dataset = model.dataset
    before = model.evaluate().coco_summary().stats
    with pytest.raises(InputError, match="replace=True"):
        dataset.project.create_dataset("val", dataset_tables)
    with pytest.raises(InputError, match="replace=True"):
        dataset.create_inference_set("m", inference_tables)
    fewer = InferenceTables.build(
        inference_tables.predictions.slice(0, inference_tables.predictions.num_rows // 2)
    )
    model = dataset.create_inference_set("m", fewer, replace=True)
    assert model.version == 2
    after = model.evaluate().coco_summary().stats
    assert after != before
    half = dt[: len(dt) // 2]
    assert after == evaluate(*to_columns(gt, half)).coco_summary().stats


def test_a_failed_import_changes_nothing(tmp_path, sample):
    _, _, dataset_tables, inference_tables = sample
    store = Store(tmp_path)
    dataset = store.create_project("p").create_dataset("val", dataset_tables)
    dataset.create_inference_set("m", inference_tables)
    before = snapshot(tmp_path)
    bad = inference_tables.predictions.set_column(
        0, "prediction_id", pa.array(["1"] * inference_tables.predictions.num_rows)
    )
    with pytest.raises(InputError, match="duplicate prediction id"):
        dataset.create_inference_set("other", InferenceTables(bad, inference_tables.embeddings))
    unknown = inference_tables.predictions.set_column(
        1, "frame_id", pa.array(["nope"] * inference_tables.predictions.num_rows)
    )
    with pytest.raises(InputError, match="unknown frame 'nope'"):
        dataset.create_inference_set("other", InferenceTables(unknown, inference_tables.embeddings))
    assert snapshot(tmp_path) == before


WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {tests!r})
    import numpy as np
    from coco_oracle import coco_sample
    from shoal.store import Store
    _, _, dataset, inferences = coco_sample(seed=21, num_images=10)
    store = Store({home!r})
    project = store.create_project("p", exist_ok=True)
    names = [d.name for d in project.datasets()]
    target = project.dataset("val") if "val" in names else project.create_dataset("val", dataset)
    target.create_inference_set("killed", inferences)
    print("finished")
    """
)


@pytest.mark.parametrize("crash_at", ["before-publish", "after-publish", "before-commit"])
def test_a_killed_import_leaves_the_store_as_it_was(tmp_path, sample, crash_at):
    _, _, dataset_tables, inference_tables = sample
    store = Store(tmp_path)
    store.create_project("p").create_dataset("val", dataset_tables)
    store.close()
    before = snapshot(tmp_path)
    script = WRITER.format(tests=str(Path(__file__).parent), home=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={**__import__("os").environ, "SHOAL_TEST_CRASH_AT": crash_at},
        capture_output=True,
        text=True,
    )
    assert done.returncode == -9, done.stderr
    assert "finished" not in done.stdout
    # Opening the store sweeps what the killed write left: the store is as it was.
    assert snapshot(tmp_path) == before
    # And the same import now works without --replace: nothing half-made is in the way.
    again = (
        Store(tmp_path).project("p").dataset("val").create_inference_set("killed", inference_tables)
    )
    assert again.predictions().num_rows == inference_tables.predictions.num_rows


def test_two_processes_on_one_home(tmp_path, sample):
    _, _, dataset_tables, inference_tables = sample
    store = Store(tmp_path)
    model = one_model(store, dataset_tables, inference_tables)
    expected = model.evaluate().coco_summary().stats
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        import numpy as np
        from coco_oracle import random_coco
        from coco_oracle import coco_tables
        from shoal.store import Store
        store = Store({str(tmp_path)!r})
        dataset = store.project("p").dataset("val")
        for i in range(8):
            gt, dt = random_coco(np.random.default_rng(21), num_images=10)
            dataset.create_inference_set(f"import-{{i}}", coco_tables(gt, dt)[1])
        print("imported")
        """
    )
    writer = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    reads = 0
    while writer.poll() is None or reads < 3:
        reader = Store(tmp_path)
        names = [i.name for i in reader.project("p").dataset("val").inference_sets()]
        assert "m" in names
        assert (
            reader.project("p").dataset("val").inference_set("m").evaluate().coco_summary().stats
            == expected
        )
        reader.close()
        reads += 1
    out, err = writer.communicate()
    assert writer.returncode == 0, err
    assert "imported" in out
    names = [i.name for i in Store(tmp_path).project("p").dataset("val").inference_sets()]
    assert names == sorted(["m", *(f"import-{i}" for i in range(8))])


def test_segments_and_thresholds(tmp_path, sample):
    _, _, dataset_tables, _ = sample
    dataset = Store(tmp_path).create_project("p").create_dataset("val", dataset_tables)
    frames = dataset.frames().column("frame_id").to_pylist()
    assert [s.name for s in dataset.segments()] == [ALL_FRAMES]
    assert dataset.segment(ALL_FRAMES).frame_ids() == frames
    test = dataset.create_segment(
        "smoke", type="regression_test", frames=frames[:3], precision=0.8, recall=0.6
    )
    assert test.thresholds == {"precision": 0.8, "recall": 0.6, "f1_score": None}
    assert sorted(test.frame_ids()) == sorted(frames[:3])
    test.set_thresholds(recall=0.9, f1_score=0.5)
    assert dataset.segment("smoke").thresholds == {"precision": 0.8, "recall": 0.9, "f1_score": 0.5}
    with pytest.raises(InputError, match="between 0 and 1"):
        test.set_thresholds(precision=1.5)
    with pytest.raises(InputError, match="unknown frame"):
        dataset.create_segment("bad", frames=["nope"])
    with pytest.raises(InputError, match="either frames or a query"):
        dataset.create_segment("bad")
    with pytest.raises(InputError, match="already"):
        dataset.create_segment("smoke", frames=frames[:1])
    rainy = dataset.create_segment("rain", type="scenario", query="weather = 'rain'")
    expected = [
        f
        for f, w in zip(frames, dataset.frames().column("weather").to_pylist(), strict=True)
        if w == "rain"
    ]
    assert rainy.frame_ids() == expected
    assert [s.type for s in dataset.segments()] == ["split", "regression_test", "scenario"]
    rainy.delete()
    assert [s.name for s in dataset.segments()] == [ALL_FRAMES, "smoke"]


def test_issues(tmp_path, sample):
    _, _, dataset_tables, inference_tables = sample
    project = Store(tmp_path).create_project("p")
    project.create_dataset("val", dataset_tables).create_inference_set("model", inference_tables)
    frame, label = dataset_tables.labels.select(["frame_id", "label_id"]).to_pylist()[0].values()
    prediction = inference_tables.predictions.select(["frame_id", "prediction_id"]).to_pylist()[1]
    issue = project.create_issue(
        "blurry",
        [IssueElement("val", frame), IssueElement("val", frame, "label", label)],
        notes="motion blur",
    )
    issue.add_elements(
        [
            IssueElement(
                "val", prediction["frame_id"], "prediction", prediction["prediction_id"], "model"
            )
        ]
    )
    with pytest.raises(InputError, match="no frame"):  # elements name what the store holds
        issue.add_elements([IssueElement("val", "no such frame")])
    issue.update(status="in_progress")
    again = Store(tmp_path).project("p").issue("blurry")
    assert again.status == "in_progress" and again.notes == "motion blur"
    assert [e.element_kind for e in again.elements()] == ["frame", "label", "prediction"]
    with pytest.raises(InputError, match="status"):
        again.update(status="done")
    assert json.loads(json.dumps(again.to_dict()))["elements"][2]["inference_set"] == "model"


def test_classification_project(tmp_path):
    rng = np.random.default_rng(4)
    names = ["cat", "dog", "fox"]
    n = 60
    truth = rng.choice(names, n)
    probabilities = rng.dirichlet(np.ones(3), n)
    frames = pa.table({"frame_id": [f"f{i}" for i in range(n)]})
    labels = pa.table(
        {
            "label_id": [f"l{i}" for i in range(n)],
            "frame_id": [f"f{i}" for i in range(n)],
            "class_name": truth.tolist(),
        }
    )
    predictions = pa.table(
        {
            "frame_id": [f"f{i}" for i in range(n)],
            "class_name": [names[i] for i in probabilities.argmax(axis=1)],
            "confidence": probabilities.max(axis=1),
            "probabilities": probabilities.astype(np.float32).tolist(),
        }
    )
    project = Store(tmp_path).create_project("c", task="classification", classes=names)
    dataset = project.create_dataset("val", DatasetTables.build(frames, labels))
    ev = dataset.create_inference_set("m", InferenceTables.build(predictions)).evaluate()
    from sklearn.metrics import accuracy_score

    assert ev.accuracy() == pytest.approx(
        accuracy_score(truth, [names[i] for i in probabilities.argmax(axis=1)])
    )


def test_detection_projects_need_boxes(tmp_path):
    frames = pa.table({"frame_id": ["a"]})
    labels = pa.table({"label_id": ["1"], "frame_id": ["a"], "class_name": ["cat"]})
    project = Store(tmp_path).create_project("d")
    with pytest.raises(InputError, match="no box"):
        project.create_dataset("val", DatasetTables.build(frames, labels))


def test_bad_names_and_settings(tmp_path):
    store = Store(tmp_path)
    with pytest.raises(InputError, match="name"):
        store.create_project("")
    with pytest.raises(InputError, match="task"):
        store.create_project("x", task="segmentation")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="between 0 and 1"):
        store.create_project("x", default_conf=2)
    project = store.create_project("x", default_conf=0.25)
    assert (project.default_conf, project.default_iou) == (0.25, 0.5)
    with pytest.raises(InputError, match="no project named 'y'"):
        store.project("y")
    store.delete_project("x")
    assert store.projects() == []


def test_sdk_builders_upload_into_the_store(tmp_path):
    from shoal.sdk import Inferences, InferencesFrame, LabeledDataset, LabeledFrame

    dataset = LabeledDataset()
    inferences = Inferences()
    for i in range(3):
        frame = LabeledFrame(frame_id=f"img{i}")
        frame.add_image(image_url=f"img{i}.jpg", width=100, height=80)
        frame.add_user_metadata("weather", "rain" if i else "sun")
        frame.add_label_2d_bbox(
            label_id=f"g{i}", classification="car", top=10, left=10, width=20, height=20
        )
        dataset.add_frame(frame)
        guess = InferencesFrame(frame_id=f"img{i}")
        # One hit, one near miss, one wrong class.
        left = 10 if i == 0 else 22
        guess.add_inference_2d_bbox(
            label_id=f"p{i}",
            classification="car" if i < 2 else "bus",
            top=10,
            left=left,
            width=20,
            height=20,
            confidence=0.9,
        )
        inferences.add_frame(guess)
    project = Store(tmp_path).create_project("sdk")
    stored = project.create_dataset("val", dataset)
    model = stored.create_inference_set("m", inferences)
    report = model.evaluate().report(0.5, 0.5, classes=["car", "bus"])
    assert (report.row("car")["tp"], report.row("car")["fp"], report.row("car")["fn"]) == (1, 1, 2)
    assert (report.row("bus")["tp"], report.row("bus")["fp"]) == (0, 1)
    assert stored.query("weather = 'rain'") == ["img1", "img2"]


def test_threads_share_one_store(tmp_path, sample):
    from concurrent.futures import ThreadPoolExecutor

    _, _, dataset_tables, inference_tables = sample
    store = Store(tmp_path)
    model = one_model(store, dataset_tables, inference_tables)
    dataset = model.dataset
    expected = model.evaluate().coco_summary().stats

    def work(i: int) -> dict:
        if i % 4 == 0:
            dataset.create_segment(
                f"s{i}", frames=dataset.frames().column("frame_id").to_pylist()[:2]
            )
        # The store's cached evaluation is shared: query it under its lock.
        with store.project("p").dataset("val").inference_set("m").evaluation() as evaluation:
            return evaluation.coco_summary().stats

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(work, range(12)))
    assert all(r == expected for r in results)
    assert len(dataset.segments()) == 1 + 3
    store.close()


def test_classification_takes_one_label_and_one_prediction_per_frame(tmp_path):
    frames = pa.table({"frame_id": ["a", "b"]})
    labels = pa.table(
        {"label_id": ["1", "2"], "frame_id": ["a", "a"], "class_name": ["cat", "dog"]}
    )
    project = Store(tmp_path).create_project("c", task="classification")
    with pytest.raises(InputError, match="record 1: frame 'a' has a second label"):
        project.create_dataset("val", DatasetTables.build(frames, labels))
    ok = pa.table({"label_id": ["1", "2"], "frame_id": ["a", "b"], "class_name": ["cat", "dog"]})
    dataset = project.create_dataset("val", DatasetTables.build(frames, ok))
    twice = pa.table(
        {"frame_id": ["a", "a"], "class_name": ["cat", "dog"], "confidence": [0.9, 0.8]}
    )
    with pytest.raises(InputError, match="second prediction"):
        dataset.create_inference_set("m", InferenceTables.build(twice))


def test_segments_rename_and_keep_their_uuid(tmp_path, sample):
    _, _, dataset_tables, _ = sample
    dataset = Store(tmp_path).create_project("p").create_dataset("val", dataset_tables)
    frames = dataset.frames().column("frame_id").to_pylist()
    first = dataset.create_segment("a", frames=frames[:2])
    dataset.create_segment("b", frames=frames[2:4])
    uuid = first.uuid
    first.rename("night")
    assert dataset.segment("night").uuid == uuid
    with pytest.raises(InputError, match="already"):
        first.rename("b")
    with pytest.raises(InputError, match="built-in"):
        first.rename(ALL_FRAMES)


def test_reading_a_replaced_object_is_an_error_not_an_empty_table(tmp_path, sample):
    _, _, dataset_tables, inference_tables = sample
    store = Store(tmp_path)
    model = one_model(store, dataset_tables, inference_tables)
    dataset = model.dataset
    stale = model._object()
    dataset.create_inference_set("m", inference_tables, replace=True)
    store._tables.clear()
    with pytest.raises(ShoalError, match="changed while it was being read"):
        store.read_table(stale, "predictions.parquet")


def test_a_replace_that_drops_predicted_frames_is_refused(tmp_path, sample):
    """Replacing a dataset by a version without frames an inference set predicts on
    would make every query of that set fail: it is a conflict, and nothing changes."""
    import pyarrow.compute as pc

    _, _, dataset_tables, inference_tables = sample
    store = Store(tmp_path)
    model = one_model(store, dataset_tables, inference_tables)
    predicted = sorted(set(inference_tables.predictions.column("frame_id").to_pylist()))
    keep = pa.array([f for f in dataset_tables.frames.column("frame_id").to_pylist()
                     if f != predicted[0]])  # fmt: skip
    smaller = DatasetTables.build(
        dataset_tables.frames.filter(pc.is_in(dataset_tables.frames["frame_id"], keep)),
        dataset_tables.labels.filter(pc.is_in(dataset_tables.labels["frame_id"], keep)),
    )
    before = snapshot(tmp_path)
    with pytest.raises(ConflictError, match=f"inference set 'm' has predictions on frame "
                       f"{predicted[0]!r}, which this version of dataset 'val' does not have"):  # fmt: skip
        store.project("p").create_dataset("val", smaller, replace=True)
    assert snapshot(tmp_path) == before
    assert model.metrics().report is not None
    # A version with every predicted frame (here, the same one) replaces as before.
    store.project("p").create_dataset("val", dataset_tables, replace=True)
    model.dataset.delete_inference_set("m")
    assert store.project("p").create_dataset("val", smaller, replace=True).version == 3


def test_metrics_refuse_an_unknown_include_naming_the_valid_ones(tmp_path, sample):
    """A misspelt metric name is an error, not silently left out."""
    _, _, dataset_tables, inference_tables = sample
    dataset = Store(tmp_path).create_project("p").create_dataset("val", dataset_tables)
    inference = dataset.create_inference_set("m", inference_tables)
    with pytest.raises(InputError, match="unknown metrics 'coco' in include; choose from"):
        inference.metrics(include=["coco"])  # type: ignore[list-item]
    assert inference.metrics(include=["coco_summary"]).coco_summary is not None
