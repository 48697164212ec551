"""The front door accepts files, parsed COCO objects, tables and columns alike."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

import shoal

from coco_oracle import write_coco_sample


@pytest.fixture
def coco(tmp_path):
    return write_coco_sample(tmp_path, seed=3, num_images=8, results_file="dt.json")


def test_files_objects_tables_and_columns_give_the_same_evaluation(coco):
    gt, dt, folder = coco
    from_files = shoal.evaluate_detections(str(folder / "gt.json"), folder / "dt.json")
    expected = from_files.coco_summary().stats
    ground_truth = shoal.read_coco_ground_truth(gt)
    columns = {
        "image_id": np.array([d["image_id"] for d in dt]),
        "category_id": np.array([d["category_id"] for d in dt]),
        "bbox": np.array([d["bbox"] for d in dt]),
        "score": np.array([d["score"] for d in dt]),
    }
    split_boxes = {
        **{k: v for k, v in columns.items() if k != "bbox"},
        **dict(zip(("x", "y", "width", "height"), columns["bbox"].T, strict=True)),
    }
    arrow = pa.table(
        {**{k: v for k, v in columns.items() if k != "bbox"}, "bbox": columns["bbox"].tolist()}
    )
    for predictions in (dt, columns, split_boxes, arrow):
        ev = shoal.evaluate_detections(gt, predictions)
        assert ev.coco_summary().stats == expected
    arrays = shoal.Predictions.from_arrays(
        ground_truth,
        frames=columns["image_id"],
        labels=columns["category_id"],
        boxes=columns["bbox"],
        scores=columns["score"],
    )
    assert shoal.evaluate_detections(ground_truth, arrays).coco_summary().stats == expected


def test_missing_scores_count_as_one(coco):
    gt, dt, _ = coco
    unscored = [{k: v for k, v in d.items() if k != "score"} for d in dt]
    ones = [{**d, "score": 1.0} for d in unscored]
    a = shoal.evaluate_detections(gt, unscored).coco_summary().stats
    b = shoal.evaluate_detections(gt, ones).coco_summary().stats
    assert a == b
    table = {k: np.array([d[k] for d in dt]) for k in ("image_id", "category_id", "bbox")}
    assert shoal.evaluate_detections(gt, table).coco_summary().stats == a


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"category_id": [1], "bbox": [[0, 0, 1, 1]]}, "no 'image_id' column"),
        ({"image_id": [1], "category_id": [1]}, "needs a 'bbox' column"),
        (pa.table({"image_id": [1], "category_id": [1], "bbox": [[0, 0, 1]]}), "4 numbers"),
    ],
)
def test_bad_tables_are_input_errors(coco, table, message):
    gt, _, _ = coco
    with pytest.raises(shoal.InputError, match=message):
        shoal.evaluate_detections(gt, table)


def test_an_unknown_input_type_is_named():
    gt = {"images": [{"id": 1}], "annotations": [], "categories": [{"id": 1, "name": "a"}]}
    with pytest.raises(shoal.InputError, match="cannot read predictions from a int"):
        shoal.evaluate_detections(gt, 42)
