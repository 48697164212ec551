"""YOLO labels and predictions: data.yaml layouts, round trips, bad rows named by line."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from shoal.errors import InputError
from shoal.formats.yolo import as_yolo, from_yolo, from_yolo_predictions, parse_data_yaml


def _ultralytics(tmp_path: Path, names: str = "names: [cat, dog]") -> Path:
    for split, stem in (("train", "a"), ("val", "b")):
        (tmp_path / "images" / split).mkdir(parents=True)
        (tmp_path / "labels" / split).mkdir(parents=True)
        Image.new("RGB", (200, 100)).save(tmp_path / "images" / split / f"{stem}.jpg")
    (tmp_path / "labels" / "train" / "a.txt").write_text("0 0.5 0.5 0.2 0.4\n1 0.1 0.1 0.2 0.2\n")
    (tmp_path / "data.yaml").write_text(
        f"# pets\npath: .\ntrain: images/train\nval: images/val  # no labels\n{names}\n"
    )
    return tmp_path / "data.yaml"


def test_reads_an_ultralytics_dataset_with_sizes_from_images(tmp_path: Path) -> None:
    dataset = from_yolo(_ultralytics(tmp_path))
    frames = dataset.frames.to_pylist()
    assert [(f["frame_id"], f["width"], f["height"]) for f in frames] == [
        ("a", 200, 100),
        ("b", 200, 100),
    ]
    cat, dog = dataset.labels.to_pylist()
    assert (cat["class_name"], cat["x"], cat["y"], cat["width"], cat["height"]) == (
        "cat", 80.0, 30.0, 40.0, 40.0
    )  # fmt: skip
    assert dog["class_name"] == "dog" and dog["label_id"] == "a:2"


@pytest.mark.parametrize(
    "names", ["names: {0: cat, 1: dog}", "names:\n  0: cat\n  1: 'dog'", "names:\n  - cat\n  - dog"]
)
def test_names_as_list_or_mapping(tmp_path: Path, names: str) -> None:
    dataset = from_yolo(_ultralytics(tmp_path, names))
    assert dataset.class_names == ["cat", "dog"]


def test_yaml_subset_errors_name_the_line() -> None:
    assert parse_data_yaml("a: [x, 'y, z']\nb: 3\n") == {"a": ["x", "y, z"], "b": 3}
    with pytest.raises(InputError, match=r"d\.yaml: record line 2: cannot read"):
        parse_data_yaml("a: 1\n!!weird\n", "d.yaml")
    with pytest.raises(InputError, match="names ids are"):
        from_yolo_text = "train: x\nnames: {0: a, 2: b}\n"
        from shoal.formats.yolo import _names_list

        _names_list(parse_data_yaml(from_yolo_text)["names"], "d.yaml")


def test_round_trip_and_predictions(tmp_path: Path) -> None:
    dataset = from_yolo(_ultralytics(tmp_path / "in"))
    as_yolo(dataset, tmp_path / "out")
    again = from_yolo(tmp_path / "out" / "labels", class_names=["cat", "dog"], image_sizes=dataset)
    assert again.labels.drop_columns(["x", "y", "width", "height"]).equals(
        dataset.labels.drop_columns(["x", "y", "width", "height"])
    )
    for name in ("x", "y", "width", "height"):
        assert again.labels.column(name).to_pylist() == pytest.approx(
            dataset.labels.column(name).to_pylist(), abs=1e-9
        )
    predictions = tmp_path / "predict" / "labels"
    predictions.mkdir(parents=True)
    (predictions / "a.txt").write_text("1 0.5 0.5 0.2 0.4 0.75\n")
    inferences = from_yolo_predictions(tmp_path / "predict", dataset)
    (row,) = inferences.predictions.to_pylist()
    assert (row["class_name"], row["x"], row["confidence"]) == ("dog", 80.0, 0.75)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("0 0.5 0.5 0.2", "has 4 columns, expected 5"),
        ("7 0.5 0.5 0.2 0.2", "class id 7 is out of range"),
        ("x 0.5 0.5 0.2 0.2", "class id 'x' is not an integer"),
        ("0 0.5 0.5 nan 0.2", "not a finite number"),
        ("0 0.5 0.5 -0.2 0.2", "not a normalized coordinate"),
        ("0 1.5 0.5 0.2 0.2", "not a normalized coordinate"),
    ],
)
def test_bad_label_rows_name_file_and_line(tmp_path: Path, row: str, message: str) -> None:
    folder = tmp_path / "obj_train_data"
    folder.mkdir()
    (folder / "a.txt").write_text(f"0 0.5 0.5 0.1 0.1\n\n{row}\n")
    with pytest.raises(InputError) as error:
        from_yolo(folder, class_names=["cat", "dog"], image_sizes={"a": (10, 10)})
    assert error.value.source == str(folder / "a.txt")
    assert error.value.record == "line 3"
    assert message in error.value.message


def test_missing_image_size_and_bad_predictions(tmp_path: Path) -> None:
    folder = tmp_path / "labels"
    folder.mkdir()
    (folder / "a.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    with pytest.raises(InputError, match="no image size for frame 'a'"):
        from_yolo(folder, class_names=["cat"])
    dataset = from_yolo(folder, class_names=["cat"], image_sizes={"a": (10, 10)})
    (tmp_path / "predict").mkdir()
    for row, message in (
        ("0 0.5 0.5 0.1 0.1", "expected 6"),
        ("0 0.5 0.5 0.1 0.1 1.2", "confidence 1.2 is not in [0, 1]"),
    ):
        (tmp_path / "predict" / "a.txt").write_text(row + "\n")
        with pytest.raises(InputError) as error:
            from_yolo_predictions(tmp_path / "predict", dataset)
        assert error.value.record == "line 1" and message in error.value.message
    (tmp_path / "predict" / "a.txt").write_text("")
    (tmp_path / "predict" / "zzz.txt").write_text("")
    with pytest.raises(InputError, match="frame 'zzz' is not in the dataset"):
        from_yolo_predictions(tmp_path / "predict", dataset)
