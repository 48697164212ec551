"""Multi-label projects through the real store, against scikit-learn as the oracle.

Random label sets and scores are written as the multi-label CSV files, imported with the
format readers into a real store (``Store`` on a temporary home), and every stored
metric (per class, the four averages, subset accuracy, Hamming loss, the 2x2 matrices,
AP) is compared with scikit-learn on the same indicator matrices.
"""

from __future__ import annotations

import json
import re
import sqlite3
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    classification_report,
    hamming_loss,
    multilabel_confusion_matrix,
)

from shoal.errors import InputError
from shoal.formats import FORMATS, ReadOptions
from shoal.formats.multilabel_csv import (
    as_multilabel_csv,
    as_multilabel_predictions_csv,
    from_multilabel_csv,
    from_multilabel_predictions_csv,
)
from shoal.store import Store

from conftest import run_cli

TOL = 1e-12
CLASSES = ["cat", "dog", "car", "tree", "sky"]


def random_case(seed: int, frames: int = 120) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
    rng = np.random.default_rng(seed)
    truth = rng.random((frames, len(CLASSES))) < rng.uniform(0.05, 0.6, len(CLASSES))
    scores = np.round(np.clip(truth * 0.3 + rng.random(truth.shape) * 0.7, 0, 1), 3)
    scores[rng.random(truth.shape) < 0.15] = 0.0  # written as empty cells: no score
    return truth, scores


def write_case(
    folder: Path, truth: NDArray[np.bool_], scores: NDArray[np.float64]
) -> tuple[Path, Path]:
    labels = folder / "labels.csv"
    rows = ["frame_id,labels,camera"]
    for i, row in enumerate(truth):
        rows.append(
            f"f{i:04d},{';'.join(c for c, on in zip(CLASSES, row, strict=True) if on)},cam{i % 3}"
        )
    labels.write_text("\n".join(rows) + "\n")
    predictions = folder / "predictions.csv"
    rows = ["frame_id," + ",".join(f"p_{c}" for c in CLASSES)]
    for i, row in enumerate(scores):
        rows.append(f"f{i:04d}," + ",".join("" if s == 0 else repr(float(s)) for s in row))
    predictions.write_text("\n".join(rows) + "\n")
    return labels, predictions


def stored_case(tmp_path: Path, seed: int) -> tuple[Any, NDArray[np.bool_], NDArray[np.float64]]:
    truth, scores = random_case(seed)
    labels, predictions = write_case(tmp_path, truth, scores)
    store = Store(tmp_path / "home")
    project = store.create_project("tags", task="multilabel", classes=CLASSES)
    dataset = project.create_dataset("val", from_multilabel_csv(labels))
    inference_set = dataset.create_inference_set(
        "model", from_multilabel_predictions_csv(predictions)
    )
    return inference_set, truth, scores


def sklearn_expected(
    truth: NDArray[np.bool_], predicted: NDArray[np.bool_], names: list[str] = CLASSES
) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = classification_report(
            truth, predicted, output_dict=True, zero_division=0, target_names=names
        )
    return {
        "report": report,
        "matrices": multilabel_confusion_matrix(truth, predicted),
        "accuracy": accuracy_score(truth, predicted),
        "hamming": hamming_loss(truth, predicted),
    }


def assert_equal_to_sklearn(
    got: dict[str, Any], truth: NDArray[np.bool_], predicted: NDArray[np.bool_], scores: Any
) -> None:
    expected = sklearn_expected(truth, predicted)
    assert [row["label"] for row in got["classes"]] == CLASSES
    for c, row in enumerate(got["classes"]):
        want = expected["report"][row["label"]]
        for key in ("precision", "recall", "f1-score"):
            assert row[key] == pytest.approx(want[key], abs=TOL), (row["label"], key)
        assert row["support"] == want["support"]
        assert [[row["tn"], row["fp"]], [row["fn"], row["tp"]]] == expected["matrices"][c].tolist()
        if truth[:, c].any():
            ap = average_precision_score(truth[:, c], scores[:, c])
            assert row["average_precision"] == pytest.approx(ap, abs=TOL)
    for name in ("micro avg", "macro avg", "weighted avg", "samples avg"):
        for key in ("precision", "recall", "f1-score"):
            assert got["averages"][name][key] == pytest.approx(
                expected["report"][name][key], abs=TOL
            ), (name, key)
        assert got["averages"][name]["support"] == expected["report"][name]["support"]
    assert got["subset_accuracy"] == pytest.approx(expected["accuracy"], abs=TOL)
    assert got["hamming_loss"] == pytest.approx(expected["hamming"], abs=TOL)
    assert got["num_frames"] == truth.shape[0]


@pytest.mark.parametrize("seed", range(4))
def test_stored_metrics_equal_sklearn_global_threshold(tmp_path: Path, seed: int) -> None:
    inference_set, truth, scores = stored_case(tmp_path, seed)
    for threshold in (0.0, 0.3, 0.5, 0.77, 1.0):
        got = inference_set.multilabel_metrics(threshold=threshold).to_dict()
        assert_equal_to_sklearn(got, truth, scores >= threshold, scores)
    # No threshold: the project's default_conf, 0.5 for a multi-label project.
    assert inference_set.dataset.project.default_conf == 0.5
    got = inference_set.multilabel_metrics().to_dict()
    assert_equal_to_sklearn(got, truth, scores >= 0.5, scores)


def test_per_class_thresholds_and_segments(tmp_path: Path) -> None:
    inference_set, truth, scores = stored_case(tmp_path, 11)
    per_class = {"cat": 0.2, "car": 0.9}  # the others: the project's default (0.5)
    limits = np.asarray([per_class.get(c, 0.5) for c in CLASSES])
    got = inference_set.multilabel_metrics(threshold=per_class).to_dict()
    assert [row["threshold"] for row in got["classes"]] == limits.tolist()
    assert_equal_to_sklearn(got, truth, scores >= limits, scores)
    # A segment (saved frames) and an ad-hoc frames query: the metrics of those frames alone.
    dataset = inference_set.dataset
    chosen = [f"f{i:04d}" for i in range(0, truth.shape[0], 3)]
    dataset.create_segment("every third", frames=chosen)
    rows = np.arange(0, truth.shape[0], 3)
    got = inference_set.multilabel_metrics(threshold=per_class, segment="every third").to_dict()
    assert_equal_to_sklearn(got, truth[rows], scores[rows] >= limits, scores[rows])
    got = inference_set.multilabel_metrics(threshold=0.4, query="camera == 'cam1'").to_dict()
    rows = np.arange(1, truth.shape[0], 3)
    assert_equal_to_sklearn(got, truth[rows], scores[rows] >= 0.4, scores[rows])
    with pytest.raises(InputError, match="unknown class 'bird'"):
        inference_set.multilabel_metrics(threshold={"bird": 0.3})


def test_examples_are_the_cells_frames(tmp_path: Path) -> None:
    inference_set, truth, scores = stored_case(tmp_path, 5)
    predicted = scores >= 0.5
    cells = {"tp": (True, True), "fp": (False, True), "fn": (True, False), "tn": (False, False)}
    for c, name in enumerate(CLASSES):
        counted = 0
        for cell, (t, p) in cells.items():
            page = inference_set.multilabel_examples(name, cell, limit=10_000).to_dict()
            want = {
                f"f{i:04d}" for i in np.flatnonzero((truth[:, c] == t) & (predicted[:, c] == p))
            }
            assert {e["frame_id"] for e in page["examples"]} == want
            assert page["total"] == len(want)
            counted += page["total"]
            for example in page["examples"]:
                i = int(example["frame_id"][1:])
                assert example["truth"] == [
                    n for n, on in zip(CLASSES, truth[i], strict=True) if on
                ]
                assert example["predicted"] == [
                    n for n, on in zip(CLASSES, predicted[i], strict=True) if on
                ]
                assert example["score"] == scores[i, c]
        assert counted == truth.shape[0]  # each frame is in one cell of every class
    # Confident mistakes first, and paging.
    full = inference_set.multilabel_examples("dog", "fp", limit=10_000).to_dict()["examples"]
    assert [e["score"] for e in full] == sorted((e["score"] for e in full), reverse=True)
    page = inference_set.multilabel_examples("dog", "fp", offset=2, limit=3).to_dict()
    assert page["examples"] == full[2:5]
    with pytest.raises(InputError, match="cell must be one of"):
        inference_set.multilabel_examples("dog", "wrong")
    with pytest.raises(InputError, match="unknown class"):
        inference_set.multilabel_examples("bird", "tp")


def test_other_queries_refuse_a_multilabel_set(tmp_path: Path) -> None:
    inference_set, _, _ = stored_case(tmp_path, 1)
    with pytest.raises(InputError, match="multilabel project"):
        inference_set.metrics()
    with pytest.raises(InputError, match="not multilabel"):
        store = inference_set.store
        other = store.create_project("boxes", task="detection")
        frames = inference_set.dataset.tables()
        detection = other.create_dataset(
            "empty", type(frames)(frames.frames, frames.labels.slice(0, 0), frames.embeddings)
        )
        import pyarrow as pa

        predictions = pa.table(
            {
                "frame_id": ["f0000"],
                "class_name": ["cat"],
                "x": [1.0],
                "y": [1.0],
                "width": [2.0],
                "height": [2.0],
            }
        )
        from shoal.tables import InferenceTables

        made = detection.create_inference_set("m", InferenceTables.build(predictions))
        made.multilabel_metrics()


def test_store_refuses_boxes_and_repeated_pairs(tmp_path: Path) -> None:
    import pyarrow as pa

    from shoal.tables import DatasetTables, InferenceTables

    store = Store(tmp_path / "home")
    project = store.create_project("tags", task="multilabel")
    frames = pa.table({"frame_id": ["a", "b"]})
    twice = pa.table({"label_id": ["1", "2"], "frame_id": ["a", "a"], "class_name": ["cat", "cat"]})
    with pytest.raises(InputError, match="frame 'a' has class 'cat' twice") as error:
        project.create_dataset("d", DatasetTables.build(frames, twice))
    assert error.value.record == 1
    boxed = pa.table(
        {
            "label_id": ["1"],
            "frame_id": ["a"],
            "class_name": ["cat"],
            "x": [0.0],
            "y": [0.0],
            "width": [1.0],
            "height": [1.0],
        }
    )
    with pytest.raises(InputError, match="has a box, but this is a multi-label project"):
        project.create_dataset("d", DatasetTables.build(frames, boxed))
    assert project.datasets() == []  # a refused write leaves nothing
    dataset = project.create_dataset("d", DatasetTables.build(frames, twice.slice(0, 1)))
    scores = pa.table(
        {"frame_id": ["b", "b"], "class_name": ["dog", "dog"], "confidence": [0.2, 0.3]}
    )
    with pytest.raises(InputError, match="frame 'b' has class 'dog' twice"):
        dataset.create_inference_set("m", InferenceTables.build(scores))
    assert dataset.inference_sets() == []


def test_csv_round_trip(tmp_path: Path) -> None:
    truth, scores = random_case(3, frames=30)
    labels, predictions = write_case(tmp_path, truth, scores)
    dataset = from_multilabel_csv(labels)
    inferences = from_multilabel_predictions_csv(predictions)
    as_multilabel_csv(dataset, tmp_path / "labels2.csv")
    as_multilabel_predictions_csv(inferences, tmp_path / "predictions2.csv", CLASSES)
    again = from_multilabel_csv(tmp_path / "labels2.csv")
    assert again.frames.equals(dataset.frames)
    assert again.labels.equals(dataset.labels)
    assert from_multilabel_predictions_csv(tmp_path / "predictions2.csv").predictions.equals(
        inferences.predictions
    )
    # A frame without classes survives the trip (an empty labels cell).
    empty = [f"f{i:04d}" for i in np.flatnonzero(~truth.any(axis=1))]
    text = (tmp_path / "labels2.csv").read_text()
    for frame_id in empty:
        assert f"\n{frame_id},," in text


@pytest.mark.parametrize(
    ("labels", "predictions", "message", "record"),
    [
        ("frame_id,labels\na,cat;cat\n", None, "names 'cat' twice", "row 2"),
        ("frame_id,labels\na,cat;;dog\n", None, "empty class name", "row 2"),
        ("frame_id,label\na,cat\n", None, "has no 'labels' column", "row 1"),
        ("frame_id,labels\na,cat\na,dog\n", None, "duplicate frame id 'a'", "row 3"),
        (None, "frame_id,p_cat\na,1.5\n", "p_cat 1.5 is not a score in [0, 1]", "row 2"),
        (None, "frame_id,p_cat,extra\na,0.5,1\n", "column 'extra' is neither", "row 1"),
        (None, "frame_id,p_cat\na,0.5\na,0.1\n", "frame 'a' has a second row", "row 3"),
        (None, "frame_id\na\n", "has no p_<class> score columns", "row 1"),
        (None, "frame_id,p_cat\na,high\n", "p_cat", "row 2"),
    ],
)
def test_csv_errors_name_file_row_and_problem(
    tmp_path: Path, labels: str | None, predictions: str | None, message: str, record: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(labels or predictions or "")
    reader = from_multilabel_csv if labels is not None else from_multilabel_predictions_csv
    with pytest.raises(InputError, match=re.escape(message)) as error:
        reader(path)
    assert error.value.source == str(path)
    assert error.value.record == record


def test_registry_reads_both_files(tmp_path: Path) -> None:
    truth, scores = random_case(2, frames=10)
    labels, predictions = write_case(tmp_path, truth, scores)
    dataset = FORMATS["multilabel-csv"].read(ReadOptions(labels))
    inferences = FORMATS["multilabel-csv-predictions"].read(
        ReadOptions(predictions, dataset=dataset)
    )
    assert FORMATS["multilabel-csv"].task == "multilabel"
    assert dataset.labels.num_rows == int(truth.sum())
    assert inferences.predictions.num_rows == int((scores > 0).sum())


def test_cli_import_then_metrics_equal_sklearn(tmp_path: Path) -> None:
    truth, scores = random_case(8, frames=40)
    labels, predictions = write_case(tmp_path, truth, scores)
    home = str(tmp_path / "home")
    done = run_cli(
        "import",
        "multilabel-csv",
        str(labels),
        "--project",
        "tags",
        "--dataset",
        "val",
        "--home",
        home,
    )
    assert done.returncode == 0, done.stderr
    done = run_cli(
        "import", "multilabel-csv-predictions", str(predictions), "--project", "tags",
        "--dataset", "val", "--name", "model", "--home", home,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    store = Store(home)
    project = store.project("tags")
    assert project.task == "multilabel"
    got = project.dataset("val").inference_set("model").multilabel_metrics(threshold=0.4).to_dict()
    # Classes join the map in the order the files name them (sorted by the importer).
    order = [CLASSES.index(row["label"]) for row in got["classes"]]
    got["classes"] = sorted(got["classes"], key=lambda row: CLASSES.index(row["label"]))
    assert sorted(order) == list(range(len(CLASSES)))
    assert_equal_to_sklearn(got, truth, scores >= 0.4, scores)


def test_catalog_of_an_older_shoal_takes_multilabel_projects(tmp_path: Path) -> None:
    """A catalog whose projects table allows only detection and classification (as
    older Shoal wrote it) is widened on open, keeping its projects and their rows."""
    store = Store(tmp_path / "home")
    project = store.create_project("old", task="classification", classes=["a", "b"])
    store.close()
    catalog = tmp_path / "home" / "catalog.sqlite"
    db = sqlite3.connect(catalog)
    db.execute("PRAGMA foreign_keys = OFF")
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'projects'").fetchone()[0]
    old = sql.replace(", 'multilabel'", "").replace(
        "CREATE TABLE projects", "CREATE TABLE projects_old", 1
    )
    db.execute(old)
    db.execute("INSERT INTO projects_old SELECT * FROM projects")
    db.execute("DROP TABLE projects")
    db.execute("ALTER TABLE projects_old RENAME TO projects")
    db.commit()
    assert (
        "'multilabel'"
        not in db.execute("SELECT sql FROM sqlite_master WHERE name = 'projects'").fetchone()[0]
    )
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO projects (name, task) VALUES ('x', 'multilabel')")
    db.close()
    reopened = Store(tmp_path / "home")
    assert [c.name for c in reopened.project("old").classes()] == ["a", "b"]
    assert reopened.project("old").task == "classification"
    assert reopened.create_project("tags", task="multilabel").task == "multilabel"
    reopened.delete_project("old")  # the cascade still reaches the classes
    left = sqlite3.connect(catalog).execute("SELECT COUNT(*) FROM classes").fetchone()[0]
    assert left == 0
    assert project.id is not None


def test_cli_eval_of_multilabel_csvs_equals_sklearn(tmp_path: Path) -> None:
    truth, scores = random_case(9, frames=70)
    labels, predictions = write_case(tmp_path, truth, scores)
    out = tmp_path / "metrics.json"
    done = run_cli(
        "eval", str(labels), str(predictions), "--threshold", "0.4",
        "--class-threshold", "sky=0.8", "--class-threshold", "cat=0.1", "--json", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "subset accuracy" in done.stdout and "samples avg" in done.stdout
    got = json.loads(out.read_text())
    limits = np.asarray([{"sky": 0.8, "cat": 0.1}.get(c, 0.4) for c in CLASSES])
    assert [row["label"] for row in got["classes"]] == CLASSES  # the score columns' order
    assert_equal_to_sklearn(got, truth, scores >= limits, scores)
    assert got["settings"]["class_thresholds"] == {"sky": 0.8, "cat": 0.1}


def test_cli_eval_errors_exit_2_naming_the_problem(tmp_path: Path) -> None:
    truth, scores = random_case(9, frames=10)
    labels, predictions = write_case(tmp_path, truth, scores)
    done = run_cli("eval", str(labels), str(predictions), "--class-threshold", "bird=0.2")
    assert done.returncode == 2 and "unknown class 'bird'" in done.stderr
    stray = tmp_path / "stray.csv"
    stray.write_text("frame_id,p_cat\nnowhere,0.5\n")
    done = run_cli("eval", str(labels), str(stray))
    assert done.returncode == 2
    assert "stray.csv" in done.stderr and "unknown frame 'nowhere'" in done.stderr
    done = run_cli("eval", str(labels), str(predictions), "--class-threshold", "cat=2")
    assert done.returncode == 2 and "not in [0, 1]" in done.stderr


def test_tagged_digits_demo_equals_sklearn(tmp_path: Path) -> None:
    """The demo's multi-label project: every frame shows a digit, the stored metrics of
    both models equal scikit-learn's on the stored tables, and the better tile model
    (all pixels) beats the 4x4 one."""
    from shoal.demo._progress import StepCounter
    from shoal.demo._tagged_digits import CLASSES as DIGITS
    from shoal.demo._tagged_digits import build_tagged_digits

    store = Store(tmp_path / "home")
    project = build_tagged_digits(store, tmp_path / "images", StepCounter(3, None), 0.2)
    (dataset,) = project.datasets()
    frame_ids = dataset.frames().column("frame_id").to_pylist()
    row_of = {f: i for i, f in enumerate(frame_ids)}
    truth = np.zeros((len(frame_ids), 10), bool)
    for label in dataset.labels().to_pylist():
        truth[row_of[label["frame_id"]], DIGITS.index(label["class_name"])] = True
    assert truth.any(axis=1).all()
    subset = {}
    for inference_set in dataset.inference_sets():
        scores = np.zeros(truth.shape)
        for row in inference_set.predictions().to_pylist():
            scores[row_of[row["frame_id"]], DIGITS.index(row["class_name"])] = row["confidence"]
        got = inference_set.multilabel_metrics().to_dict()
        expected = sklearn_expected(truth, scores >= 0.5, DIGITS)
        assert got["subset_accuracy"] == pytest.approx(expected["accuracy"], abs=TOL)
        assert got["hamming_loss"] == pytest.approx(expected["hamming"], abs=TOL)
        for name in ("micro avg", "samples avg"):
            assert got["averages"][name]["f1-score"] == pytest.approx(
                expected["report"][name]["f1-score"], abs=TOL
            )
        subset[inference_set.name] = got["subset_accuracy"]
    assert subset["logreg-tiles"] > subset["logreg-4x4-tiles"]


def test_one_frame_at_the_thresholds(tmp_path: Path) -> None:
    inference_set, truth, scores = stored_case(tmp_path, 13)
    limits = np.asarray([{"dog": 0.2}.get(c, 0.5) for c in CLASSES])
    for i in (0, 7, 50):
        answer = inference_set.multilabel_frame(f"f{i:04d}", threshold={"dog": 0.2})
        assert [row["label"] for row in answer["classes"]] == CLASSES
        for c, row in enumerate(answer["classes"]):
            assert row["truth"] == bool(truth[i, c]) and row["score"] == scores[i, c]
            assert row["predicted"] == bool(scores[i, c] >= limits[c])
            assert row["threshold"] == limits[c]
            cells = {
                (True, True): "tp",
                (False, True): "fp",
                (True, False): "fn",
                (False, False): "tn",
            }
            assert row["cell"] == cells[row["truth"], row["predicted"]]
    with pytest.raises(InputError, match="no frame 'nowhere'"):
        inference_set.multilabel_frame("nowhere")


def test_labelbox_checklist_answers_equal_the_csv_scores(tmp_path: Path) -> None:
    """The same scores as Labelbox checklist lines (data rows by id and by globalKey;
    answer confidences, a line-level one, none) give the same stored metrics."""
    truth, scores = random_case(17, frames=40)
    labels, _ = write_case(tmp_path, truth, scores)
    dataset_tables = from_multilabel_csv(labels)
    frames = dataset_tables.frames.to_pylist()
    lines = []
    for i, frame in enumerate(frames):
        answers = [
            {"name": c, "confidence": float(scores[i, k])}
            for k, c in enumerate(CLASSES)
            if scores[i, k] > 0
        ]
        row = {"globalKey" if i % 2 else "id": frame["frame_id"]}
        lines.append({"uuid": f"u{i}", "dataRow": row, "name": "contents", "answer": answers})
    lines.append({"dataRow": {"id": "f0000"}, "name": "other question", "answer": [{"name": "x"}]})
    ndjson = tmp_path / "checklist.ndjson"
    ndjson.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    from shoal.formats.labelbox_checklist import from_labelbox_checklist

    read = from_labelbox_checklist(ndjson, dataset_tables, question="contents")
    store = Store(tmp_path / "home")
    dataset = store.create_project("tags", task="multilabel", classes=CLASSES).create_dataset(
        "val", dataset_tables
    )
    got = dataset.create_inference_set("lb", read).multilabel_metrics(threshold=0.4).to_dict()
    assert_equal_to_sklearn(got, truth, scores >= 0.4, scores)
    # Through the registry and `shoal import`: every line is read (the other question's
    # class "x" joins the map, scoring 0.0 elsewhere).
    everything = FORMATS["labelbox-checklist"].read(ReadOptions(ndjson, dataset=dataset_tables))
    assert everything.predictions.num_rows == read.predictions.num_rows + 1
    # A line-level confidence, or none (1.0).
    plain = tmp_path / "plain.ndjson"
    plain.write_text(
        json.dumps({"dataRow": {"id": "f0001"}, "confidence": 0.3, "answer": [{"name": "cat"}]})
        + "\n"
        + json.dumps({"dataRow": {"id": "f0002"}, "answer": [{"name": "dog"}]})
        + "\n"
    )
    rows = from_labelbox_checklist(plain, dataset_tables).predictions.to_pylist()
    assert [(r["frame_id"], r["class_name"], r["confidence"]) for r in rows] == [
        ("f0001", "cat", 0.3),
        ("f0002", "dog", 1.0),
    ]
    assert [r["prediction_id"] for r in rows] == ["1/cat", "2/dog"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"dataRow": {"id": "f0000"}, "answer": {"name": "cat"}}', "expected a checklist"),
        ('{"dataRow": {"id": "nowhere"}, "answer": []}', "data row 'nowhere' is not a frame"),
        ('{"dataRow": 3, "answer": []}', "dataRow is"),
        (
            '{"dataRow": {"id": "f0000"}, "answer": [{"name": "cat"}, {"name": "cat"}]}',
            "answer 'cat' twice",
        ),
        ('{"dataRow": {"id": "f0000"}, "answer": [{"nom": "cat"}]}', "checklist answer is"),
        (
            '{"dataRow": {"id": "f0000"}, "answer": [{"name": "cat", "confidence": 2}]}',
            "confidence",
        ),
        ("not json", "is not valid JSON"),
    ],
)
def test_labelbox_checklist_errors_name_the_line(tmp_path: Path, line: str, message: str) -> None:
    from shoal.formats.labelbox_checklist import from_labelbox_checklist

    truth, scores = random_case(1, frames=3)
    labels, _ = write_case(tmp_path, truth, scores)
    path = tmp_path / "bad.ndjson"
    path.write_text("\n" + line + "\n")
    with pytest.raises(InputError, match=re.escape(message)) as error:
        from_labelbox_checklist(path, from_multilabel_csv(labels))
    assert error.value.source == str(path) and error.value.record == "line 2"


@pytest.mark.parametrize("seed", range(3))
def test_vectorised_predictions_reader_equals_the_row_reader(tmp_path: Path, seed: int) -> None:
    """Well-formed files take the column-wise path; it gives exactly the row reader's
    table (cells with spaces, empty cells, exponents, quoted ids included)."""
    from shoal.formats.multilabel_csv import _fast_predictions, _predictions_by_row

    truth, scores = random_case(seed, frames=50)
    labels, predictions = write_case(tmp_path, truth, scores)
    text = predictions.read_text().splitlines()
    text[1] = text[1].replace(",", " , ", 2)
    text[2] = '"f0001",' + text[2].split(",", 1)[1]
    text[3] = text[3].split(",", 1)[0] + ",1e-3," + text[3].split(",", 2)[2]
    predictions.write_text("\n".join(text) + "\n")
    dataset = from_multilabel_csv(labels)
    fast = _fast_predictions(predictions, dataset)
    assert fast is not None
    assert fast.predictions.equals(_predictions_by_row(predictions, dataset).predictions)


def test_an_ignored_class_is_left_out(tmp_path: Path) -> None:
    truth, scores = random_case(23, frames=60)
    labels, predictions = write_case(tmp_path, truth, scores)
    store = Store(tmp_path / "home")
    classes: list[Any] = [*CLASSES[:-1], {"name": CLASSES[-1], "ignore": True}]
    project = store.create_project("tags", task="multilabel", classes=classes)
    dataset = project.create_dataset("val", from_multilabel_csv(labels))
    inference_set = dataset.create_inference_set(
        "model", from_multilabel_predictions_csv(predictions)
    )
    got = inference_set.multilabel_metrics(threshold=0.5).to_dict()
    kept = len(CLASSES) - 1
    assert [row["label"] for row in got["classes"]] == CLASSES[:kept]
    expected = sklearn_expected(truth[:, :kept], scores[:, :kept] >= 0.5, CLASSES[:kept])
    assert got["hamming_loss"] == pytest.approx(expected["hamming"], abs=TOL)
    assert got["subset_accuracy"] == pytest.approx(expected["accuracy"], abs=TOL)
    for name in ("micro avg", "samples avg"):
        assert got["averages"][name]["f1-score"] == pytest.approx(
            expected["report"][name]["f1-score"], abs=TOL
        )


def test_best_thresholds_are_the_engines_and_cached_per_selection(tmp_path: Path) -> None:
    from shoal.engine.multilabel import evaluate_multilabel

    inference_set, truth, scores = stored_case(tmp_path, 29)
    engine = evaluate_multilabel(truth, scores, classes=CLASSES)
    got = inference_set.multilabel_metrics(threshold=0.3).to_dict()
    best = engine.best_thresholds()
    assert {row["label"]: row["best"] for row in got["classes"]} == {
        name: best.get(name) for name in CLASSES
    }
    # At the best thresholds, each class's row is its best row.
    at_best = {name: choice["threshold"] for name, choice in best.items()}
    rows = inference_set.multilabel_metrics(threshold=at_best).to_dict()["classes"]
    for row in rows:
        for key in ("precision", "recall", "f1-score"):
            assert row[key] == row["best"][key]
    chosen = [f"f{i:04d}" for i in range(0, truth.shape[0], 4)]
    inference_set.dataset.create_segment("quarter", frames=chosen)
    segment = inference_set.multilabel_metrics(segment="quarter").to_dict()
    alone = evaluate_multilabel(truth[::4], scores[::4], classes=CLASSES).best_thresholds()
    assert {row["label"]: row["best"] for row in segment["classes"]} == {
        name: alone.get(name) for name in CLASSES
    }


def test_regression_tests_of_a_multilabel_set(tmp_path: Path) -> None:
    """Segments' pass/fail tests on the micro averages (scikit-learn's), through the
    store and `shoal check` (exit 1 when one fails)."""
    inference_set, truth, scores = stored_case(tmp_path, 31)
    dataset = inference_set.dataset
    rows = np.arange(0, truth.shape[0], 2)
    micro = sklearn_expected(truth[rows], scores[rows] >= 0.5)["report"]["micro avg"]
    dataset.create_segment(
        "even", type="regression_test", frames=[f"f{i:04d}" for i in rows],
        precision=round(micro["precision"] - 0.01, 3), recall=round(micro["recall"] + 0.01, 3),
    )  # fmt: skip
    results = {r.segment_name: r for r in inference_set.regression_results()}
    even = results["even"]
    assert even.precision.score == pytest.approx(micro["precision"], abs=TOL)
    assert even.recall.score == pytest.approx(micro["recall"], abs=TOL)
    assert even.f1_score.score == pytest.approx(micro["f1-score"], abs=TOL)
    assert even.precision.succeeds is True and even.recall.succeeds is False
    assert even.succeeds is False and even.frame_count == rows.size
    matrices = multilabel_confusion_matrix(truth[rows], scores[rows] >= 0.5)
    assert even.false_positives == int(matrices[:, 0, 1].sum())
    assert even.false_negatives == int(matrices[:, 1, 0].sum())
    assert results["All Frames"].succeeds is None  # no thresholds set
    inference_set.store.close()
    done = run_cli(
        "check", "--project", "tags", "--inference-set", "model", "--home", str(tmp_path / "home")
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "even" in done.stdout


def test_summary_of_multilabel_sets(tmp_path: Path) -> None:
    """Dataset.summary: each set's micro averages per segment and its mean AP over the
    classes the segment's frames have (scikit-learn's average_precision_score)."""
    inference_set, truth, scores = stored_case(tmp_path, 37)
    dataset = inference_set.dataset
    dataset.create_segment("head", frames=[f"f{i:04d}" for i in range(40)])
    summary = dataset.summary(conf=0.4)
    (entries,) = summary.values()
    by_name = {entry.result.segment_name: entry for entry in entries}
    for name, rows in (("All Frames", slice(None)), ("head", slice(0, 40))):
        entry = by_name[name]
        t, s = truth[rows], scores[rows]
        micro = sklearn_expected(t, s >= 0.4)["report"]["micro avg"]
        assert entry.result.f1_score.score == pytest.approx(micro["f1-score"], abs=TOL)
        present = [c for c in range(len(CLASSES)) if t[:, c].any()]
        expected_ap = np.mean([average_precision_score(t[:, c], s[:, c]) for c in present])
        assert entry.mean_ap == pytest.approx(expected_ap, abs=TOL)
        assert entry.coco_ap is None
