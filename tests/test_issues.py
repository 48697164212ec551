"""Issues in the store (issue 14): fields, checked elements, repeats skipped, adding from a
query, a segment and a confusion-matrix cell, reviews with stable positions, the CSV/JSON/COCO
exports (pycocotools reads the COCO subset; Shoal's reader reads it back to the same labels),
fixed labels back as a new dataset (all or nothing), before/after scores equal to the
inference sets' own metrics on each dataset, and the migration of older catalogs."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import shoal
from shoal.errors import ConflictError, InputError, NotFoundError
from shoal.store import IssueElement

CLASSES = ["cat", "dog", "bird"]
FRAMES = [f"f{i}" for i in range(10)]


def _tables(seed: int = 7, *, ignored: bool = True) -> tuple[pa.Table, pa.Table, list[pa.Table]]:
    """Frames, labels and two inference sets' predictions: matches, class confusions,
    misses and background boxes, an ignored label and a crowd one."""
    rng = np.random.default_rng(seed)
    frames = pa.table({
        "frame_id": FRAMES,
        "image_uri": [f"img/{f}.png" for f in FRAMES],
        "width": [200] * len(FRAMES),
        "height": [200] * len(FRAMES),
        "night": [i % 3 == 0 for i in range(len(FRAMES))],
    })  # fmt: skip
    labels: dict[str, list[Any]] = {k: [] for k in (
        "label_id", "frame_id", "class_name", "x", "y", "width", "height", "iscrowd", "ignore",
    )}  # fmt: skip
    for i, frame in enumerate(FRAMES):
        for j in range(2 + i % 2):
            labels["label_id"].append(f"{frame}-{j}")
            labels["frame_id"].append(frame)
            labels["class_name"].append(CLASSES[(i + j) % 3])
            labels["x"].append(10.0 + 60 * j)
            labels["y"].append(20.0 + 5 * i)
            labels["width"].append(40.0)
            labels["height"].append(30.0 + j)
            labels["iscrowd"].append(i == 4 and j == 1)
            labels["ignore"].append(ignored and i == 5 and j == 0)
    label_table = pa.table(labels)
    sets = []
    for s in range(2):
        rows: dict[str, list[Any]] = {k: [] for k in (
            "prediction_id", "frame_id", "class_name", "x", "y", "width", "height", "confidence",
        )}  # fmt: skip
        for record in label_table.to_pylist():
            draw = rng.random()
            if draw < 0.2 + 0.1 * s:
                continue  # missed
            name = record["class_name"]
            if draw > 0.85:
                name = CLASSES[(CLASSES.index(name) + 1) % 3]  # confused
            rows["prediction_id"].append(f"m{s}-{len(rows['prediction_id'])}")
            rows["frame_id"].append(record["frame_id"])
            rows["class_name"].append(name)
            rows["x"].append(record["x"] + rng.uniform(-3, 3))
            rows["y"].append(record["y"] + rng.uniform(-3, 3))
            rows["width"].append(record["width"])
            rows["height"].append(record["height"])
            rows["confidence"].append(float(rng.uniform(0.2, 1.0)))
        for frame in FRAMES[::3]:  # background boxes
            rows["prediction_id"].append(f"m{s}-{len(rows['prediction_id'])}")
            rows["frame_id"].append(frame)
            rows["class_name"].append(CLASSES[s])
            rows["x"].append(150.0)
            rows["y"].append(150.0)
            rows["width"].append(20.0)
            rows["height"].append(20.0)
            rows["confidence"].append(float(rng.uniform(0.2, 1.0)))
        sets.append(pa.table(rows))
    return frames, label_table, sets


def stored_issue_sample(home: Path, *, ignored: bool = True) -> dict[str, Any]:
    """A store with project "p" (detection): dataset "val" (10 frames), inference sets
    "m0" and "m1", a segment "night" (a saved query) and an empty issue "misses";
    ``ignored``: one label is ignored ground truth."""
    store = shoal.Store(home)
    project = store.create_project("p", task="detection", classes=CLASSES)
    frames, labels, sets = _tables(ignored=ignored)
    dataset = project.create_dataset("val", shoal.DatasetTables.build(frames, labels))
    for s, predictions in enumerate(sets):
        dataset.create_inference_set(f"m{s}", shoal.InferenceTables.build(predictions))
    dataset.create_segment("night", query="night = true")
    issue = project.create_issue("misses", description="missed at night", owner="ann")
    return {"store": store, "project": project, "dataset": dataset, "issue": issue}


@pytest.fixture
def sample(tmp_path: Path) -> dict[str, Any]:
    return stored_issue_sample(tmp_path / "home")


def _ids(records: list[Any]) -> list[tuple[str, str, str | None, str | None]]:
    return [
        (r.element.frame_id, r.element.element_kind, r.element.element_id, r.element.inference_set)
        for r in records
    ]


# ------------------------------------------------------------------ fields
def test_fields_and_dict(sample: dict[str, Any]) -> None:
    issue = sample["issue"]
    assert (issue.name, issue.description, issue.notes, issue.owner, issue.status) == (
        "misses", "missed at night", "missed at night", "ann", "open",
    )  # fmt: skip
    answer = issue.to_dict()
    assert set(answer) == {
        "uuid", "name", "description", "notes", "owner", "status", "created_at", "updated_at",
        "counts", "elements",
    }  # fmt: skip
    assert answer["counts"] == {"open": 0, "confirmed": 0, "fixed": 0, "dismissed": 0}
    issue.update(status="in_progress", description="night misses", owner="bob")
    again = sample["store"].project("p").issue("misses")
    assert (again.status, again.description, again.owner) == ("in_progress", "night misses", "bob")
    assert again.updated_at >= answer["updated_at"]
    issue.update(notes="old name for the description")
    assert again.description == "old name for the description"
    with pytest.raises(InputError, match="issue status must be one of"):
        issue.update(status="closed")  # type: ignore[arg-type]
    with pytest.raises(ConflictError):
        sample["project"].create_issue("misses")


# ---------------------------------------------------------------- elements
def test_elements_are_checked_and_nothing_is_added_on_error(sample: dict[str, Any]) -> None:
    issue = sample["issue"]
    good = IssueElement("val", "f1")
    bad_cases = [
        (IssueElement("nope", "f1"), "has no dataset 'nope'"),
        (IssueElement("val", "zz"), "has no frame 'zz'"),
        (IssueElement("val", "f1", "label", "f9-0"), "label 'f9-0' is in frame 'f9'"),
        (IssueElement("val", "f1", "label", "nope"), "has no label 'nope'"),
        (IssueElement("val", "f1", "prediction", "m0-0"), "needs its inference_set"),
        (IssueElement("val", "f1", "prediction", "zz", "m0"), "has no prediction 'zz'"),
        (IssueElement("val", "f1", "frame", "f1"), "a frame element has no element_id"),
        (IssueElement("val", "f1", "label"), "needs its element_id"),
        (IssueElement("val", "f1", "frame", None, "m9"), "has no inference set 'm9'"),
        (IssueElement("val", "f1", "box"), "kind 'box'"),  # type: ignore[arg-type]
    ]
    for element, message in bad_cases:
        with pytest.raises(InputError, match=message) as caught:
            issue.add_elements([good, element])
        assert "issue element 1" in str(caught.value)
        assert issue.records() == []
    with pytest.raises(InputError, match="issue element 0"):
        sample["project"].create_issue("other", [IssueElement("val", "zz")])
    assert [i.name for i in sample["project"].issues()] == ["misses"]


def test_repeats_are_skipped_and_positions_stay(sample: dict[str, Any]) -> None:
    issue = sample["issue"]
    predictions = sample["dataset"].inference_set("m0").predictions().to_pylist()
    first = predictions[0]
    elements = [
        IssueElement("val", "f0"),
        IssueElement("val", "f0"),
        IssueElement("val", "f0", "label", "f0-1"),
        IssueElement("val", first["frame_id"], "prediction", first["prediction_id"], "m0"),
    ]
    added = issue.add_elements(elements)
    assert (added.added, added.skipped) == (3, 1)
    again = issue.add_elements([IssueElement("val", "f0"), IssueElement("val", "f2")])
    assert (again.added, again.skipped) == (1, 1)
    assert [r.position for r in issue.records()] == [0, 1, 2, 3]
    issue.remove_element(1)
    assert [r.position for r in issue.records()] == [0, 2, 3]
    issue.add_elements([IssueElement("val", "f3")])
    assert [r.position for r in issue.records()] == [0, 2, 3, 4]
    with pytest.raises(NotFoundError, match="no element at position 1"):
        issue.remove_element(1)
    # The label crop removed can come back (at a new position).
    assert issue.add_elements([IssueElement("val", "f0", "label", "f0-1")]).added == 1
    assert issue.elements()[-1] == IssueElement("val", "f0", "label", "f0-1")


def test_review(sample: dict[str, Any]) -> None:
    issue = sample["issue"]
    issue.add_elements([IssueElement("val", f) for f in FRAMES[:4]])
    record = issue.update_element(2, status="confirmed", note="occluded")
    assert (record.position, record.status, record.note) == (2, "confirmed", "occluded")
    assert record.updated_at >= record.added_at
    issue.update_element(3, status="dismissed")
    issue.update_element(2, note="really occluded")  # the status stays
    assert issue.record(2).status == "confirmed" and issue.record(2).note == "really occluded"
    assert issue.counts() == {"open": 2, "confirmed": 1, "fixed": 0, "dismissed": 1}
    assert [r.position for r in issue.records(status="confirmed")] == [2]
    assert [r.position for r in issue.records(status=["confirmed", "dismissed"])] == [2, 3]
    assert [e["position"] for e in issue.to_dict(status="open")["elements"]] == [0, 1]
    with pytest.raises(InputError, match="status must be one of"):
        issue.update_element(0, status="done")  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        issue.update_element(9, status="fixed")


def test_add_from_query_and_segment(sample: dict[str, Any]) -> None:
    issue, dataset = sample["issue"], sample["dataset"]
    added = issue.add_from_query("val", query="night = true")
    assert added.added == len(dataset.query("night = true")) == 4
    assert [e.frame_id for e in issue.elements()] == dataset.query("night = true")
    assert issue.add_from_query(dataset, segment="night").added == 0
    both = issue.add_from_query(dataset, segment="All Frames", query="night = false")
    assert both.added == 6 and len(issue.records()) == 10
    with pytest.raises(InputError, match="give a query, a segment"):
        issue.add_from_query(dataset)


def test_add_from_cell_is_the_cells_objects(sample: dict[str, Any]) -> None:
    issue, dataset = sample["issue"], sample["dataset"]
    inference = dataset.inference_set("m0")
    outcomes = inference.outcomes(conf=0.3, iou=0.5)
    predictions = inference.predictions()
    labels = dataset.labels()
    for truth, predicted in [("cat", "background"), ("cat", "dog"), ("dog", "dog"),
                             ("background", "cat")]:  # fmt: skip
        cell = outcomes.in_cell(truth, predicted)
        # Engine ids are 1-based rows of the stored tables.
        expected = set()
        for kind, engine_id, frame in zip(
            cell.kind.tolist(), cell.id.tolist(), cell.frame_id.tolist(), strict=True
        ):
            table, column = (
                (predictions, "prediction_id") if kind == "prediction" else (labels, "label_id")
            )
            stored = table.column(column)[int(engine_id) - 1].as_py()
            element_kind = "prediction" if kind == "prediction" else "label"
            expected.add((str(frame), element_kind, stored, "m0"))
        name = f"{truth} as {predicted}"
        made = sample["project"].create_issue(name)
        added = made.add_from_cell("val", "m0", truth, predicted, conf=0.3, iou=0.5)
        assert added.added == len(expected) == len(cell)
        assert set(_ids(made.records())) == expected
    assert len(sample["project"].issue("cat as background").records()) > 0
    assert issue.add_from_cell(dataset, inference, "cat", "dog", 0.3, 0.5).added >= 0
    with pytest.raises(InputError, match="unknown class 'lion'"):
        issue.add_from_cell(dataset, inference, "lion", "cat")


# ------------------------------------------------------------------ export
def _filled(sample: dict[str, Any]) -> Any:
    issue = sample["issue"]
    issue.add_elements([
        IssueElement("val", "f0"),
        IssueElement("val", "f4", "label", "f4-1"),
        IssueElement("val", "f5", "label", "f5-0", "m1"),
    ])  # fmt: skip
    first = sample["dataset"].inference_set("m0").predictions().to_pylist()[3]
    issue.add_elements(
        [IssueElement("val", first["frame_id"], "prediction", first["prediction_id"], "m0")]
    )
    issue.update_element(1, status="confirmed", note='say "cat"')
    return issue


def test_export_csv_and_json(sample: dict[str, Any]) -> None:
    issue = _filled(sample)
    rows = list(csv.DictReader(io.StringIO(issue.export("csv"))))
    assert [r["position"] for r in rows] == ["0", "1", "2", "3"]
    assert list(rows[0]) == [
        "position", "dataset", "frame_id", "element_kind", "element_id", "inference_set",
        "status", "note", "image_uri", "class_name", "x", "y", "width", "height",
    ]  # fmt: skip
    assert rows[0]["image_uri"] == "img/f0.png" and rows[0]["class_name"] == ""
    label = sample["dataset"].labels().filter(pc.equal(pc.field("label_id"), "f4-1")).to_pylist()
    assert rows[1]["note"] == 'say "cat"' and rows[1]["status"] == "confirmed"
    assert rows[1]["class_name"] == label[0]["class_name"]
    assert float(rows[1]["height"]) == label[0]["height"]
    predictions = sample["dataset"].inference_set("m0").predictions().to_pylist()
    assert rows[3]["class_name"] == predictions[3]["class_name"]
    assert float(rows[3]["x"]) == predictions[3]["x"]
    only = list(csv.DictReader(io.StringIO(issue.export("csv", status="confirmed"))))
    assert [r["position"] for r in only] == ["1"]
    document = json.loads(issue.export("json"))
    assert document["issue"]["name"] == "misses" and document["issue"]["counts"]["confirmed"] == 1
    assert [e["position"] for e in document["elements"]] == [0, 1, 2, 3]
    assert document["elements"][2]["inference_set"] == "m1"
    with pytest.raises(InputError, match="export format"):
        issue.export("xml")  # type: ignore[arg-type]


def test_coco_subset_round_trip(sample: dict[str, Any], tmp_path: Path) -> None:
    pycocotools = pytest.importorskip("pycocotools.coco")
    issue = _filled(sample)
    frames = issue.frame_ids("val")
    document = json.loads(issue.export("coco"))
    path = tmp_path / "subset.json"
    path.write_text(json.dumps(document))
    oracle = pycocotools.COCO(str(path))
    assert sorted(str(i) for i in oracle.getImgIds()) == sorted(frames)
    labels = sample["dataset"].labels()
    wanted = labels.filter(pc.is_in(labels.column("frame_id"), pa.array(frames)))
    assert len(oracle.getAnnIds()) == wanted.num_rows
    names = {c["id"]: c["name"] for c in oracle.loadCats(oracle.getCatIds())}
    by_id = {str(a["id"]): a for a in oracle.loadAnns(oracle.getAnnIds())}
    for row in wanted.to_pylist():
        annotation = by_id[row["label_id"]]
        assert names[annotation["category_id"]] == row["class_name"]
        assert annotation["bbox"] == [row["x"], row["y"], row["width"], row["height"]]
        assert str(annotation["image_id"]) == row["frame_id"]
    # Shoal's own reader reads it back to the same labels (ignore flags honoured).
    back = shoal.from_coco(path, ignore_flag=True).labels
    columns = ["label_id", "frame_id", "class_name", "x", "y", "width", "height", "iscrowd",
               "ignore"]  # fmt: skip
    order = [("label_id", "ascending")]
    assert back.select(columns).sort_by(order).to_pylist() == (
        wanted.select(columns).sort_by(order).to_pylist()
    )
    assert wanted.filter(pc.field("ignore")).num_rows == 1  # the round trip covers one
    only = json.loads(issue.export("coco", status="confirmed"))
    assert [str(i["id"]) for i in only["images"]] == ["f4"]


# ------------------------------------------------------------ fixed labels
def _relabeled(issue: Any) -> dict[str, Any]:
    """The COCO export with f4's first label turned into a bird, f0's last one deleted and
    a new label on f0 whose id another frame's label uses."""
    document: dict[str, Any] = json.loads(issue.export("coco"))
    bird = next(c["id"] for c in document["categories"] if c["name"] == "bird")
    annotations = document["annotations"]
    for annotation in annotations:
        if annotation["id"] == "f4-0":
            annotation["category_id"] = bird
    document["annotations"] = [a for a in annotations if a["id"] != "f0-1"]
    document["annotations"].append({
        "id": "f9-0", "image_id": "f0", "category_id": bird, "bbox": [5, 5, 30, 30],
        "area": 900, "iscrowd": 0,
    })  # fmt: skip
    return document


def test_import_fixed_labels(sample: dict[str, Any], tmp_path: Path) -> None:
    issue, dataset = _filled(sample), sample["dataset"]
    path = tmp_path / "relabeled.json"
    path.write_text(json.dumps(_relabeled(issue)))
    fixed = issue.import_fixed_labels("val", path)
    assert fixed.name == "val-fixed-1"
    assert fixed.frames().equals(dataset.frames())
    before = {r["label_id"]: r for r in dataset.labels().to_pylist()}
    after = {r["label_id"]: r for r in fixed.labels().to_pylist()}
    relabeled = set(issue.frame_ids("val"))
    for label_id, row in before.items():
        if row["frame_id"] not in relabeled:
            assert after[label_id] == row
    assert after["f4-0"]["class_name"] == "bird"
    assert "f0-1" not in after
    assert after["f9-0-fixed"]["frame_id"] == "f0" and after["f9-0"] == before["f9-0"]
    assert after["f5-0"]["ignore"] is True
    assert fixed.labels().num_rows == dataset.labels().num_rows
    assert [s.name for s in fixed.inference_sets()] == ["m0", "m1"]
    for name in ("m0", "m1"):
        assert (
            fixed.inference_set(name)
            .predictions()
            .equals(dataset.inference_set(name).predictions())
        )
    assert issue.import_fixed_labels(dataset, _relabeled(issue)).name == "val-fixed-2"
    named = issue.import_fixed_labels(dataset, _relabeled(issue), name="val-v3")
    assert named.name == "val-v3"
    with pytest.raises(ConflictError, match="val-v3"):
        issue.import_fixed_labels(dataset, _relabeled(issue), name="val-v3")


def _catalog_state(store: shoal.Store) -> list[Any]:
    home = store.home.path
    with sqlite3.connect(home / "catalog.sqlite") as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return [(t, db.execute(f"SELECT * FROM {t}").fetchall()) for t in sorted(tables)]


def test_a_failed_import_leaves_the_store_as_it_was(sample: dict[str, Any], tmp_path: Path) -> None:
    issue = _filled(sample)
    store = sample["store"]
    state = _catalog_state(store)
    document = _relabeled(issue)
    document["annotations"][2]["bbox"] = [1, 2, -3, 4]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    with pytest.raises(InputError) as caught:
        issue.import_fixed_labels("val", path)
    assert "bad.json" in str(caught.value) and "annotations[2]" in str(caught.value)
    document = _relabeled(issue)
    document["images"].append({"id": "f8", "file_name": "img/f8.png"})
    with pytest.raises(InputError, match=r"images\[\d\]: frame 'f8' is not one of issue"):
        issue.import_fixed_labels("val", document)
    assert _catalog_state(store) == state
    assert [d.name for d in sample["project"].datasets()] == ["val"]


def test_a_failed_copy_removes_the_new_dataset(
    sample: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    issue = _filled(sample)
    state = _catalog_state(sample["store"])
    real = shoal.store.Dataset.create_inference_set
    calls = []

    def failing(self: Any, name: str, data: Any, **options: Any) -> Any:
        calls.append(name)
        if name == "m1":
            raise OSError("disk full")
        return real(self, name, data, **options)

    monkeypatch.setattr(shoal.store.Dataset, "create_inference_set", failing)
    with pytest.raises(OSError, match="disk full"):
        issue.import_fixed_labels("val", _relabeled(issue))
    assert calls == ["m0", "m1"]
    assert _catalog_state(sample["store"]) == state


# ------------------------------------------------------------ before/after
def test_before_after_equals_each_datasets_own_metrics(sample: dict[str, Any]) -> None:
    issue, dataset = _filled(sample), sample["dataset"]
    fixed = issue.import_fixed_labels("val", _relabeled(issue))
    frames = issue.frame_ids("val")
    compared = issue.before_after("val", fixed.name, conf=0.3, iou=0.5)
    assert compared.frames == len(frames) and [s.inference_set for s in compared.sets] == [
        "m0", "m1",
    ]  # fmt: skip
    answer = compared.to_dict()
    for entry in answer["sets"]:
        for scope, which in (("issue_frames", "issue"), ("all_frames", None)):
            for side, data in (("before", dataset), ("after", fixed)):
                if which is not None and "issue" not in [s.name for s in data.segments()]:
                    data.create_segment("issue", frames=frames)
                inference = data.inference_set(entry["inference_set"])
                metrics = inference.metrics(
                    conf=0.3, iou=0.5, segment=which, include=["report"]
                ).report
                assert metrics is not None
                pooled = metrics.to_dict()["averages"]["micro avg"]
                got = entry[scope][side]
                assert got["precision"] == pytest.approx(pooled["precision"], abs=1e-12)
                assert got["recall"] == pytest.approx(pooled["recall"], abs=1e-12)
                assert got["f1_score"] == pytest.approx(pooled["f1-score"], abs=1e-12)
                summary = data.summary(conf=0.3, iou=0.5, segment=which or "All Frames")
                scores = summary[entry["inference_set"]][0]
                assert got["mean_ap"] == scores.mean_ap and got["coco_ap"] == scores.coco_ap
            pair = entry[scope]
            assert pair["delta"]["recall"] == pair["after"]["recall"] - pair["before"]["recall"]
    # The relabeled frames changed the issue frames' numbers.
    assert any(e["issue_frames"]["delta"]["precision"] != 0 for e in answer["sets"])
    one = issue.before_after(dataset, fixed, "m1", conf=0.3, iou=0.5)
    assert [s.inference_set for s in one.sets] == ["m1"]
    assert one.to_dict()["sets"][0] == answer["sets"][1]


def test_before_after_coco_ap_matches_pycocotools(tmp_path: Path) -> None:
    coco = pytest.importorskip("pycocotools.coco")
    cocoeval = pytest.importorskip("pycocotools.cocoeval")
    # No ignored label: pycocotools reads COCO's ignore flag as iscrowd.
    sample = stored_issue_sample(tmp_path / "home", ignored=False)
    issue, dataset = _filled(sample), sample["dataset"]
    fixed = issue.import_fixed_labels("val", _relabeled(issue))
    answer = issue.before_after("val", fixed.name, "m0").to_dict()["sets"][0]["all_frames"]
    for side, data in (("before", dataset), ("after", fixed)):
        truth_path, results_path = tmp_path / f"{side}.json", tmp_path / f"{side}-dt.json"
        document = shoal.as_coco(data.tables())
        for number, annotation in enumerate(document["annotations"], 1):
            annotation["id"] = number  # pycocotools keeps matched ids in a float array
        truth_path.write_text(json.dumps(document))
        predictions = shoal.InferenceTables.build(data.inference_set("m0").predictions())
        results = shoal.as_coco_results(predictions, data.tables())
        results_path.write_text(json.dumps(results))
        truth = coco.COCO(str(truth_path))
        evaluation = cocoeval.COCOeval(truth, truth.loadRes(str(results_path)), "bbox")
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
        assert answer[side]["coco_ap"] == pytest.approx(evaluation.stats[0], abs=1e-12)


# --------------------------------------------------------------- migration
OLD_ISSUE_ELEMENTS = """
CREATE TABLE issue_elements (
    issue_id INTEGER NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    dataset TEXT NOT NULL,
    frame_id TEXT NOT NULL,
    element_kind TEXT NOT NULL CHECK (element_kind IN ('frame', 'label', 'prediction')),
    element_id TEXT,
    inference_set TEXT,
    PRIMARY KEY (issue_id, position)
);
"""


def test_an_older_catalog_is_migrated(tmp_path: Path) -> None:
    home = tmp_path / "home"
    sample = stored_issue_sample(home)
    created = sample["issue"].created_at
    catalog = sample["store"].home.path / "catalog.sqlite"
    sample["store"].close()
    with sqlite3.connect(catalog) as db:
        db.executescript(
            "DROP TABLE issue_elements;" + OLD_ISSUE_ELEMENTS
            + "ALTER TABLE issues DROP COLUMN owner;"
            "INSERT INTO issue_elements VALUES (1, 0, 'val', 'f1', 'frame', NULL, NULL);"
            "INSERT INTO issue_elements VALUES (1, 1, 'val', 'f2', 'label', 'f2-0', NULL);"
        )  # fmt: skip
    store = shoal.Store(home)
    issue = store.project("p").issue("misses")
    assert issue.owner == ""
    records = issue.records()
    assert [(r.position, r.status, r.note, r.added_at) for r in records] == [
        (0, "open", "", created), (1, "open", "", created),
    ]  # fmt: skip
    issue.update_element(1, status="fixed", note="ok")
    assert issue.add_elements([IssueElement("val", "f1")]).skipped == 1


def test_classification_issues_export_csv_not_coco(tmp_path: Path) -> None:
    store = shoal.Store(tmp_path / "home")
    project = store.create_project("digits", task="classification", classes=["0", "1"])
    frames = pa.table({"frame_id": ["a", "b"]})
    labels = pa.table({"label_id": ["la", "lb"], "frame_id": ["a", "b"], "class_name": ["0", "1"]})
    dataset = project.create_dataset("d", shoal.DatasetTables.build(frames, labels))
    predictions = pa.table({
        "prediction_id": ["pa", "pb"], "frame_id": ["a", "b"], "class_name": ["1", "1"],
        "confidence": [0.9, 0.8],
    })  # fmt: skip
    dataset.create_inference_set("m", shoal.InferenceTables.build(predictions))
    issue = project.create_issue("confused")
    added = issue.add_from_cell("d", "m", "0", "1", conf=0.5)
    assert added.added == 1
    assert _ids(issue.records()) == [("a", "prediction", "pa", "m")]
    rows = list(csv.DictReader(io.StringIO(issue.export("csv"))))
    assert rows[0]["class_name"] == "1" and rows[0]["x"] == ""
    with pytest.raises(InputError, match="a COCO export needs boxes"):
        issue.export("coco")
    with pytest.raises(InputError, match="fixed labels from COCO needs boxes"):
        issue.import_fixed_labels("d", {"images": [], "annotations": [], "categories": []})
    empty = project.create_issue("empty")
    with pytest.raises(InputError, match="has no elements in dataset 'd'"):
        empty.before_after("d", "d")
    # Fixed labels as tables (any format's reader): frame a relabeled as a "1".
    relabeled = pa.table({"label_id": ["la"], "frame_id": ["a"], "class_name": ["1"]})
    wrong = shoal.DatasetTables.build(pa.table({"frame_id": ["b"]}), relabeled.slice(0, 0))
    with pytest.raises(InputError, match=r"the fixed labels: frames\[0\]: frame 'b' is not"):
        issue.import_fixed_labels("d", wrong)
    fixed = issue.import_fixed_labels(
        "d", shoal.DatasetTables.build(pa.table({"frame_id": ["a"]}), relabeled)
    )
    assert fixed.name == "d-fixed-1"
    assert fixed.labels().select(["label_id", "frame_id", "class_name"]).to_pylist() == [
        {"label_id": "lb", "frame_id": "b", "class_name": "1"},
        {"label_id": "la", "frame_id": "a", "class_name": "1"},
    ]
    compared = issue.before_after("d", fixed, "m", conf=0.5).to_dict()["sets"][0]
    for side, data in (("before", dataset), ("after", fixed)):
        data.create_segment("issue", frames=["a"])
        report = data.inference_set("m").metrics(conf=0.5, segment="issue").report
        assert report is not None
        pooled = report.to_dict()["averages"]["micro avg"]
        assert compared["issue_frames"][side]["precision"] == pytest.approx(pooled["precision"])
        assert compared["issue_frames"][side]["recall"] == pytest.approx(pooled["recall"])
    assert compared["issue_frames"]["before"]["precision"] == 0.0
    assert compared["issue_frames"]["after"]["precision"] == 1.0
