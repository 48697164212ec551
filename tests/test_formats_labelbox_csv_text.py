"""Labelbox NDJSON, classification CSV and plain-text boxes: reading, round trips, and
bad input named by file and line / row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shoal.errors import InputError
from shoal.formats.classification_csv import (
    as_classification_csv,
    as_classification_predictions_csv,
    from_classification_csv,
    from_classification_predictions_csv,
)
from shoal.formats.coco_tables import from_coco
from shoal.formats.labelbox import from_labelbox
from shoal.formats.text_boxes import from_text_boxes

DATASET = {
    "images": [{"id": 1, "file_name": "a.jpg", "width": 100, "height": 80}],
    "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 5, 5]}],
    "categories": [{"id": 1, "name": "cat"}],
}
BOX = {"uuid": "u1", "dataRow": {"globalKey": "a.jpg"}, "name": "cat", "confidence": 0.5,
       "bbox": {"top": 30, "left": 12, "height": 170, "width": 80}}  # fmt: skip
RADIO = {"dataRow": {"id": "1"}, "name": "species", "answer": {"name": "cat", "confidence": 0.25}}


def test_labelbox_boxes_and_radio_answers(tmp_path: Path) -> None:
    path = tmp_path / "predictions.ndjson"
    path.write_text(json.dumps(BOX) + "\n\n" + json.dumps(RADIO) + "\n")
    box, radio = from_labelbox(path, from_coco(DATASET)).predictions.to_pylist()
    assert (box["prediction_id"], box["frame_id"], box["x"], box["y"]) == ("u1", "1", 12, 30)
    assert (box["width"], box["height"], box["confidence"]) == (80, 170, 0.5)
    assert (radio["prediction_id"], radio["class_name"], radio["confidence"]) == ("3", "cat", 0.25)
    assert radio["x"] is None


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"dataRow": {"id": "zz"}, "name": "cat", "bbox": {}}', "data row 'zz' is not a frame"),
        ('{"dataRow": {"id": "1"}, "name": "cat", "bbox": {"top": 1}}', "bbox left"),
        ('{"dataRow": {"id": "1"}, "answer": [{"name": "cat"}]}', "checklist"),
        (
            '{"dataRow": {"id": "1"}, "name": "p", "polygon": []}',
            "polygon is [], not a list of at least 3 points",
        ),
        (
            '{"uuid": "u1", "dataRow": {"id": "1"}, "answer": {"name": "cat"}}',
            "duplicate prediction id",
        ),
        ('{"dataRow": {"id": "1"}, "answer": {"name": "cat", "confidence": 2}}', "not in [0, 1]"),
        ('{"dataRow": {"id": "1"}, "answer": ', "not valid JSON"),
    ],
)
def test_labelbox_bad_lines(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "predictions.ndjson"
    path.write_text(json.dumps(BOX) + "\n" + line + "\n")
    with pytest.raises(InputError) as error:
        from_labelbox(path, from_coco(DATASET))
    assert (error.value.source, error.value.record) == (str(path), "line 2")
    assert message in error.value.message


def test_classification_csv_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "gt.csv"
    path.write_text(
        "frame_id,label,image_uri,camera,exposure,night\n"
        "f1,cat,f1.jpg,north,1,true\nf2,dog,,south,2.5,false\n"
    )
    dataset = from_classification_csv(path)
    assert dataset.frames.to_pylist()[1] == {
        "frame_id": "f2", "image_uri": None, "width": None, "height": None,
        "camera": "south", "exposure": 2.5, "night": False,
    }  # fmt: skip
    assert dataset.labels.column("class_name").to_pylist() == ["cat", "dog"]
    as_classification_csv(dataset, tmp_path / "again.csv")
    again = from_classification_csv(tmp_path / "again.csv")
    assert again.frames.equals(dataset.frames) and again.labels.equals(dataset.labels)


def test_classification_predictions_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "predictions.csv"
    path.write_text("frame_id,predicted,confidence,p_dog,p_cat\nf1,cat,0.75,0.25,0.75\n")
    inferences = from_classification_predictions_csv(path, ["cat", "dog"])
    (row,) = inferences.predictions.to_pylist()
    assert row["probabilities"] == [0.75, 0.25] and row["confidence"] == 0.75
    as_classification_predictions_csv(inferences, tmp_path / "again.csv", ["cat", "dog"])
    again = from_classification_predictions_csv(tmp_path / "again.csv", ["cat", "dog"])
    assert again.predictions.equals(inferences.predictions)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("f1,emu,0.5,0.5,0.5", "predicted class 'emu' is not in class_names"),
        ("f1,cat,1.5,0.5,0.5", "confidence 1.5 is not in [0, 1]"),
        ("f1,cat,0.5,-0.5,0.5", "p_cat -0.5 is not in [0, 1]"),
        ("f1,cat,0.5,nan,0.5", "not a finite number"),
        ("f1,cat,0.5,0.5", "has 4 cells, the header has 5"),
        ("f0,cat,0.5,0.5,0.5", "duplicate prediction id 'f0'"),
    ],
)
def test_classification_predictions_bad_rows(tmp_path: Path, row: str, message: str) -> None:
    path = tmp_path / "predictions.csv"
    path.write_text(f"frame_id,predicted,confidence,p_cat,p_dog\nf0,cat,1,1,0\n{row}\n")
    with pytest.raises(InputError) as error:
        from_classification_predictions_csv(path, ["cat", "dog"])
    assert (error.value.source, error.value.record) == (str(path), "row 3")
    assert message in error.value.message


def test_classification_csv_bad_header_and_rows(tmp_path: Path) -> None:
    path = tmp_path / "gt.csv"
    for text, record, message in (
        ("frame_id,class\nf1,cat\n", "row 1", "has no 'label' column"),
        ("frame_id,label,split\nf1,cat,a\n", "row 1", "'split' cannot be a metadata name"),
        ("frame_id,label\nf1,cat\nf1,dog\n", "row 3", "duplicate frame id 'f1'"),
        ("frame_id,label,width,height\nf1,cat,-1,5\n", "row 2", "not a positive whole number"),
    ):
        path.write_text(text)
        with pytest.raises(InputError) as error:
            from_classification_csv(path)
        assert (error.value.source, error.value.record) == (str(path), record)
        assert message in error.value.message
    path.write_text("frame_id,predicted,p_cat\nf1,cat,0.5\n")
    with pytest.raises(InputError, match="missing: \\['dog'\\]"):
        from_classification_predictions_csv(path, ["cat", "dog"])


@pytest.mark.parametrize(
    ("coords", "row", "message"),
    [
        ("xywh", "cat 0.5 1 2 3", "has 5 columns, expected 6"),
        ("xywh", "cat 1.5 1 2 3 4", "confidence 1.5 is not in [0, 1]"),
        ("xywh", "cat 0.5 1 2 -3 4", "negative width"),
        ("xyx2y2", "cat 0.5 10 10 5 20", "left of or above"),
        ("rel_xcycwh", "cat 0.5 0.5 0.5 0.1 0.1", "need the size of frame 'a'"),
        ("xywh", "9 0.5 1 2 3 4", "class id 9 is out of range"),
    ],
)
def test_text_boxes_bad_rows(tmp_path: Path, coords: str, row: str, message: str) -> None:
    # Relative rows all need a size: there line 1 is left blank (blank lines are skipped).
    first = "" if coords == "rel_xcycwh" else "cat 0.9 1 2 3 4"
    (tmp_path / "a.txt").write_text(f"{first}\n{row}\n")
    with pytest.raises(InputError) as error:
        from_text_boxes(tmp_path, coords=coords, class_names=["cat"])  # type: ignore[arg-type]
    assert (error.value.source, error.value.record) == (str(tmp_path / "a.txt"), "line 2")
    assert message in error.value.message


def test_text_boxes_take_integer_class_names_the_dataset_has(tmp_path: Path) -> None:
    """A class named "3" in the dataset (``known_classes``) is a name, not an id, even
    when the image sizes come from elsewhere than the dataset."""
    (tmp_path / "a.txt").write_text("3 0.9 1 2 3 4\n")
    tables = from_text_boxes(tmp_path, image_sizes={"a": (10, 10)}, known_classes=["3", "7"])
    assert tables.predictions.column("class_name").to_pylist() == ["3"]
    with pytest.raises(InputError, match="'3' is a class id, but no class names were given"):
        from_text_boxes(tmp_path, image_sizes={"a": (10, 10)})
