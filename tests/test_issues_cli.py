"""``shoal issue``: each action is the store's call, its output what the store holds; a user
error is one line naming the file and record, exit code 2, no traceback."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

import shoal
from shoal.cli import main
from test_issues import _relabeled, stored_issue_sample


@pytest.fixture
def sample(tmp_path: Path) -> dict[str, Any]:
    return stored_issue_sample(tmp_path / "home")


def _shoal(sample: dict[str, Any], *arguments: str) -> int:
    return main(["issue", *arguments, "--home", str(sample["store"].home.path)])


def _issue(sample: dict[str, Any], name: str = "misses") -> Any:
    return shoal.Store(sample["store"].home.path).project("p").issue(name)


def test_create_add_review_show(sample: dict[str, Any], tmp_path: Path, capsys: Any) -> None:
    frames = tmp_path / "frames.txt"
    frames.write_text("f0\nf1\n\nf1\n")
    code = _shoal(
        sample, "create", "p", "night", "--description", "dark", "--owner", "ann",
        "--frames-file", str(frames),
    )  # fmt: skip
    assert code == 0
    created = _issue(sample, "night")
    assert (created.description, created.owner) == ("dark", "ann")
    assert [e.frame_id for e in created.elements()] == ["f0", "f1"]
    rows = tmp_path / "elements.csv"
    rows.write_text(
        "dataset,frame_id,element_kind,element_id,inference_set\n"
        "val,f2,label,f2-1,\n"
        ",f3,frame,,\n"
        "val,f0,frame,,\n"
    )
    assert (
        _shoal(sample, "add", "p", "night", "--elements-file", str(rows), "--dataset", "val") == 0
    )
    assert "added 2 element(s)" in capsys.readouterr().out
    assert [e.frame_id for e in created.elements()] == ["f0", "f1", "f2", "f3"]
    assert _shoal(sample, "review", "p", "night", "2", "--status", "confirmed", "--note", "x") == 0
    assert created.record(2).status == "confirmed" and created.record(2).note == "x"
    capsys.readouterr()
    assert _shoal(sample, "show", "p", "night", "--json", "-") == 0
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(created.to_dict()))
    assert _shoal(sample, "show", "p", "night", "--status", "confirmed") == 0
    shown = capsys.readouterr().out
    assert "f2-1" in shown and "f3" not in shown.split("f2-1")[1]
    assert _shoal(sample, "set", "p", "night", "--status", "resolved", "--owner", "bob") == 0
    assert (created.status, created.owner) == ("resolved", "bob")
    capsys.readouterr()
    assert _shoal(sample, "ls", "p", "--status", "resolved", "--json", "-") == 0
    listed = json.loads(capsys.readouterr().out)["issues"]
    assert [i["name"] for i in listed] == ["night"] and listed[0]["counts"]["confirmed"] == 1
    assert _shoal(sample, "rm", "p", "night", "--yes") == 0
    assert [i.name for i in sample["project"].issues()] == ["misses"]


def test_from_query_and_cell_create_the_issue(sample: dict[str, Any], capsys: Any) -> None:
    assert _shoal(sample, "from-query", "p", "dark", "--query", "night = true") == 0
    assert "created issue 'dark'" in capsys.readouterr().out
    dataset = sample["dataset"]
    assert [e.frame_id for e in _issue(sample, "dark").elements()] == dataset.query("night = true")
    code = _shoal(
        sample, "from-cell", "p", "cats missed", "--inference-set", "m0", "--truth", "cat",
        "--predicted", "background", "--conf", "0.3", "--iou", "0.5",
    )  # fmt: skip
    assert code == 0
    expected = shoal.Store(sample["store"].home.path).project("p").create_issue("oracle")
    expected.add_from_cell("val", "m0", "cat", "background", 0.3, 0.5)
    assert _issue(sample, "cats missed").elements() == expected.elements()


def test_export_import_fixed_before_after(
    sample: dict[str, Any], tmp_path: Path, capsys: Any
) -> None:
    from test_issues import _filled

    issue = _filled(sample)
    out = tmp_path / "issue.csv"
    assert _shoal(sample, "export", "p", "misses", "--format", "csv", "-o", str(out)) == 0
    assert out.read_text() == issue.export("csv")
    assert len(list(csv.DictReader(io.StringIO(out.read_text())))) == 4
    # The export reads back as an elements file (its extra columns ignored).
    assert _shoal(sample, "add", "p", "misses", "--elements-file", str(out)) == 0
    assert "added 0 element(s)" in capsys.readouterr().out
    capsys.readouterr()
    assert _shoal(sample, "export", "p", "misses", "--format", "json", "-o", "-",
                  "--status", "confirmed") == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out) == json.loads(
        issue.export("json", status="confirmed")
    )
    relabeled = tmp_path / "relabeled.json"
    relabeled.write_text(json.dumps(_relabeled(issue)))
    code = _shoal(sample, "import-fixed", "p", "misses", str(relabeled), "--new-name", "val-v2")
    assert code == 0
    assert "created dataset 'val-v2'" in capsys.readouterr().out
    answer = tmp_path / "compare.json"
    code = _shoal(
        sample, "before-after", "p", "misses", "--before", "val", "--after", "val-v2",
        "--conf", "0.3", "--json", str(answer),
    )  # fmt: skip
    assert code == 0
    expected = issue.before_after("val", "val-v2", conf=0.3).to_dict()
    assert json.loads(answer.read_text()) == json.loads(json.dumps(expected))
    capsys.readouterr()
    assert _shoal(sample, "before-after", "p", "misses", "--before", "val", "--after",
                  "val-v2", "--inference-set", "m1") == 0  # fmt: skip
    table = capsys.readouterr().out
    assert "m1" in table and "m0" not in table and "issue frames" in table


def test_user_errors(sample: dict[str, Any], tmp_path: Path, capsys: Any) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"dataset": "val", "frame_id": "f1"}, {"frame": "f2"}]))
    assert _shoal(sample, "add", "p", "misses", "--elements-file", str(bad)) == 2
    error = capsys.readouterr().err
    assert error.startswith("shoal: error:") and "bad.json" in error and "element 1" in error
    assert "Traceback" not in error
    missing = tmp_path / "missing.json"
    missing.write_text(json.dumps([{"dataset": "val", "frame_id": "zz"}]))
    assert _shoal(sample, "add", "p", "misses", "--elements-file", str(missing)) == 2
    assert "has no frame 'zz'" in capsys.readouterr().err
    relabeled = tmp_path / "relabeled.json"
    document = _relabeled(sample["issue"]) if sample["issue"].records() else None
    assert document is None  # the issue is empty: no frame of it to relabel
    relabeled.write_text(json.dumps({"images": [{"id": "f1"}], "annotations": [],
                                     "categories": []}))  # fmt: skip
    assert _shoal(sample, "import-fixed", "p", "misses", str(relabeled)) == 2
    assert "is not one of issue 'misses'" in capsys.readouterr().err
    assert [d.name for d in sample["project"].datasets()] == ["val"]
    assert _shoal(sample, "review", "p", "misses", "0") == 2
    assert "give --status, --note" in capsys.readouterr().err
    assert _shoal(sample, "show", "p", "nope") == 2
    assert "no issue 'nope'" in capsys.readouterr().err


def test_import_fixed_from_a_classification_csv(tmp_path: Path, capsys: Any) -> None:
    import pyarrow as pa

    home = tmp_path / "home"
    store = shoal.Store(home)
    project = store.create_project("digits", task="classification", classes=["0", "1"])
    frames = pa.table({"frame_id": ["a", "b"]})
    labels = pa.table({"label_id": ["la", "lb"], "frame_id": ["a", "b"], "class_name": ["0", "1"]})
    dataset = project.create_dataset("d", shoal.DatasetTables.build(frames, labels))
    predictions = pa.table(
        {"frame_id": ["a", "b"], "class_name": ["1", "1"], "confidence": [0.9, 0.8]}
    )
    dataset.create_inference_set("m", shoal.InferenceTables.build(predictions))
    project.create_issue("confused").add_from_cell("d", "m", "0", "1", conf=0.5)
    fixed = tmp_path / "fixed.csv"
    fixed.write_text("frame_id,label\na,1\n")
    arguments = ["issue", "import-fixed", "digits", "confused", str(fixed), "--format", "csv",
                 "--home", str(home)]  # fmt: skip
    assert main(arguments) == 0
    made = shoal.Store(home).project("digits").dataset("d-fixed-1")
    assert dict(zip(made.labels().column("frame_id").to_pylist(),
                    made.labels().column("class_name").to_pylist(), strict=True)) == {
        "a": "1", "b": "1",
    }  # fmt: skip
    fixed.write_text("frame_id,label\nb,0\n")
    assert main([*arguments, "--dataset", "d"]) == 2
    assert "frame 'b' is not one of issue 'confused'" in capsys.readouterr().err
