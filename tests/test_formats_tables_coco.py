"""COCO to and from Shoal's tables: round trips and bad input named by file and record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shoal.errors import InputError
from shoal.formats.coco_tables import as_coco, as_coco_results, from_coco, from_coco_results

COCO = {
    "images": [
        {"id": 1, "file_name": "a.jpg", "width": 100, "height": 80, "license": 2},
        {"id": 2, "file_name": "b.jpg", "width": 50, "height": 40, "license": 3},
    ],
    "annotations": [
        {"id": 10, "image_id": 1, "category_id": 7, "bbox": [1, 2, 30, 40], "area": 900,
         "iscrowd": 0, "occluded": True, "segmentation": [[1, 2, 3, 4]]},
        {"id": 11, "image_id": 2, "category_id": 3, "bbox": [5, 5, 10, 10], "iscrowd": 1},
    ],
    "categories": [{"id": 3, "name": "cat"}, {"id": 7, "name": "dog"}, {"id": 9, "name": "emu"}],
}  # fmt: skip


def test_reads_frames_labels_and_extra_keys() -> None:
    dataset = from_coco(COCO)
    frame = dataset.frames.to_pylist()[0]
    assert frame == {
        "frame_id": "1",
        "image_uri": "a.jpg",
        "width": 100,
        "height": 80,
        "license": 2,
    }
    first, second = dataset.labels.to_pylist()
    assert first["label_id"] == "10" and first["class_name"] == "dog"
    assert (first["x"], first["y"], first["width"], first["height"], first["area"]) == (
        1,
        2,
        30,
        40,
        900,
    )
    assert json.loads(first["attributes"]) == {"occluded": True}
    assert second["iscrowd"] and second["area"] is None


def test_round_trip_keeps_tables_and_ids(tmp_path: Path) -> None:
    dataset = from_coco(COCO)
    written = as_coco(dataset, tmp_path / "gt.json")
    assert [c["id"] for c in written["categories"]] == [3, 7, 9]
    assert written["images"][0]["id"] == 1 and written["annotations"][0]["id"] == 10
    again = from_coco(tmp_path / "gt.json")
    assert again.frames.equals(dataset.frames)
    # A null area (meaning w * h) is written as w * h: COCO evaluators need the key.
    assert again.labels.drop_columns(["area"]).equals(dataset.labels.drop_columns(["area"]))
    assert again.labels.column("area").to_pylist() == [900, 100]
    assert from_coco(as_coco(again)).labels.equals(again.labels)


def test_results_use_the_dataset_categories_and_round_trip(tmp_path: Path) -> None:
    dataset = from_coco(COCO)
    results = [
        {"image_id": 1, "category_id": 7, "bbox": [1, 2, 3, 4], "score": 0.5},
        {"image_id": 2, "category_id": 3, "bbox": [1, 2, 3, 4]},
    ]
    inferences = from_coco_results(results, dataset)
    rows = inferences.predictions.to_pylist()
    assert [r["class_name"] for r in rows] == ["dog", "cat"]
    assert [r["confidence"] for r in rows] == [0.5, 1.0]
    written = as_coco_results(inferences, dataset, tmp_path / "results.json")
    assert written[0] == {
        "image_id": 1,
        "category_id": 7,
        "bbox": [1.0, 2.0, 3.0, 4.0],
        "score": 0.5,
    }
    again = from_coco_results(tmp_path / "results.json", dataset)
    assert again.predictions.equals(inferences.predictions)


def test_string_image_ids_stay_strings() -> None:
    document = {
        "images": [{"id": "img-a", "file_name": "a.jpg"}],
        "annotations": [{"id": 1, "image_id": "img-a", "category_id": 1, "bbox": [0, 0, 1, 1]}],
        "categories": [{"id": 1, "name": "x"}],
    }
    assert as_coco(from_coco(document))["images"][0]["id"] == "img-a"


def _broken(**changes: object) -> dict:
    document = json.loads(json.dumps(COCO))
    for path, value in changes.items():
        section, index, key = path.split("__")
        document[section][int(index)][key] = value
    return document


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"annotations__1__bbox": [1, 2, -3, 4]}, "negative width"),
        ({"annotations__1__bbox": [1, 2, 3]}, "expected [x, y, width, height]"),
        ({"annotations__1__bbox": [1, 2, "x", 4]}, "not a number"),
        ({"annotations__1__category_id": 42}, "category_id 42 is not in categories"),
        ({"annotations__1__image_id": 99}, "image_id 99 is not in images"),
        ({"annotations__1__id": 10}, "duplicate annotation id 10"),
        ({"images__1__width": -5}, "width -5 is not a positive"),
        ({"images__1__id": 1}, "duplicate image id 1"),
    ],
)
def test_bad_ground_truth_names_the_record(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    path = tmp_path / "gt.json"
    path.write_text(json.dumps(_broken(**change)))
    with pytest.raises(InputError) as error:
        from_coco(path)
    assert error.value.source == str(path)
    section = next(iter(change)).split("__")[0]
    assert error.value.record == f"{section}[1]"
    assert message in error.value.message


def test_nan_is_rejected_naming_the_record_and_field(tmp_path: Path) -> None:
    path = tmp_path / "gt.json"
    path.write_text(json.dumps(COCO).replace('"area": 900', '"area": NaN'))
    with pytest.raises(InputError) as error:
        from_coco(path)
    assert (error.value.source, error.value.record) == (str(path), "annotations[0]")
    assert error.value.message == "area NaN is not finite"


def test_truncated_json_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "gt.json"
    path.write_text(json.dumps(COCO)[:-30])
    with pytest.raises(InputError, match="malformed JSON at line 1"):
        from_coco(path)


@pytest.mark.parametrize(
    ("result", "message"),
    [
        ({"image_id": 1, "category_id": 7, "bbox": [0, 0, 1, 1], "score": 1.5}, "not in [0, 1]"),
        ({"image_id": 5, "category_id": 7, "bbox": [0, 0, 1, 1]}, "is not in the ground truth"),
        ({"image_id": 1, "category_id": 8, "bbox": [0, 0, 1, 1]}, "is not a ground-truth category"),
        ({"image_id": 1, "category_id": 7}, 'missing "bbox"'),
    ],
)
def test_bad_results_name_the_record(result: dict, message: str) -> None:
    good = {"image_id": 1, "category_id": 7, "bbox": [0, 0, 1, 1], "score": 0.1}
    with pytest.raises(InputError) as error:
        from_coco_results([good, result], from_coco(COCO))
    assert error.value.record == 1
    assert message in error.value.message


def test_results_files_read_by_the_scanner_equal_the_general_reader(tmp_path):
    import json

    import numpy as np

    from shoal.formats.coco_tables import from_coco, from_coco_results

    from coco_oracle import random_coco

    gt, dt = random_coco(np.random.default_rng(8), num_images=9)
    for d in dt[::4]:
        del d["score"]  # a missing score counts as 1.0 on both paths
    dataset = from_coco(gt)
    path = tmp_path / "results.json"
    path.write_text(json.dumps(dt))
    fast = from_coco_results(path, dataset)
    general = from_coco_results(dt, dataset)
    assert fast.predictions.equals(general.predictions)
    bad = [
        *dt,
        {
            "image_id": 10**6,
            "category_id": dt[0]["category_id"],
            "bbox": [0, 0, 1, 1],
            "score": 0.5,
        },
    ]
    path.write_text(json.dumps(bad))
    with pytest.raises(InputError, match=f"record {len(dt)}"):
        from_coco_results(path, dataset)
