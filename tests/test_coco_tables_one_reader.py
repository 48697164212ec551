"""The store's COCO tables take their masks and keypoints from the reader ``shoal eval``
uses (one reader of the format): the same values, the same boxes by loadRes' rules and
the same message for a bad record."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from shoal.engine.masks import masks_to_strings
from shoal.errors import InputError
from shoal.formats._coco_keypoints import (
    parse_coco_keypoint_ground_truth,
    parse_coco_keypoint_results,
    read_coco_keypoints,
)
from shoal.formats._coco_masks import read_coco_masks
from shoal.formats.coco_tables import from_coco, from_coco_results

from conftest import validation_folder

FAKE100 = "cocoapi-val2014-fake100"


def _mask_rows(table: object) -> tuple[list[int], list[int], list[str]]:
    masks = table.column("mask").to_pylist()  # type: ignore[attr-defined]
    return (
        [m["height"] for m in masks],
        [m["width"] for m in masks],
        [m["counts"] for m in masks],
    )


def _engine_rows(masks: object) -> tuple[list[int], list[int], list[str]]:
    return (
        masks.height.tolist(),  # type: ignore[attr-defined]
        masks.width.tolist(),  # type: ignore[attr-defined]
        masks_to_strings(masks),  # type: ignore[arg-type]
    )


def _fake100() -> tuple[Path, Path]:
    folder = validation_folder(FAKE100)
    return (
        folder / "instances_val2014_100.json",
        folder / "instances_val2014_fakesegm100_results.json",
    )


def test_fake100_tables_masks_and_boxes_equal_the_segm_readers() -> None:
    truth, results = _fake100()
    dataset = from_coco(truth)
    predictions = from_coco_results(results, dataset).predictions
    gt, dt, similarity = read_coco_masks(truth, results)

    assert _mask_rows(dataset.labels) == _engine_rows(similarity.gt_masks)
    assert _mask_rows(predictions) == _engine_rows(similarity.dt_masks)
    # Predictions are in record order in both (ids are 1-based positions).
    assert predictions.column("prediction_id").to_pylist() == [str(i) for i in dt.ids.tolist()]
    box = np.column_stack([predictions.column(c).to_numpy() for c in ("x", "y", "width", "height")])
    np.testing.assert_array_equal(box, dt.box)
    assert len(dataset.labels) == len(gt.label)


def _keypoint_files(tmp_path: Path, rng: np.random.Generator) -> tuple[Path, Path]:
    images = [{"id": i, "file_name": f"{i}.jpg", "width": 64, "height": 48} for i in (1, 2, 3)]
    annotations, results = [], []
    for number in range(1, 30):
        xy = rng.uniform(2, 40, (3, 2)).round(2)
        v = rng.integers(0, 3, 3)
        annotations.append(
            {"id": number, "image_id": 1 + number % 3, "category_id": 1,
             "bbox": [float(xy[:, 0].min()), float(xy[:, 1].min()), 10.0, 12.0],
             "area": 120.0, "iscrowd": 0, "keypoints": np.column_stack([xy, v]).ravel().tolist(),
             "num_keypoints": int((v > 0).sum())}
        )  # fmt: skip
        guess = (xy + rng.normal(0, 1, xy.shape)).round(2)
        results.append(
            {"image_id": 1 + number % 3, "category_id": 1, "score": round(float(rng.uniform()), 3),
             "keypoints": np.column_stack([guess, rng.integers(0, 3, 3)]).ravel().tolist()}
        )  # fmt: skip
    category = {"id": 1, "name": "person", "keypoints": ["nose", "left_eye", "right_eye"],
                "skeleton": [[1, 2], [1, 3]]}  # fmt: skip
    truth = tmp_path / "gt.json"
    truth.write_text(
        json.dumps({"images": images, "annotations": annotations, "categories": [category]})
    )
    predictions = tmp_path / "dt.json"
    predictions.write_text(json.dumps(results))
    return truth, predictions


def test_tables_keypoints_and_boxes_equal_the_keypoints_readers(tmp_path: Path) -> None:
    truth, results = _keypoint_files(tmp_path, np.random.default_rng(5))
    dataset = from_coco(truth)
    predictions = from_coco_results(results, dataset).predictions
    gt_read = parse_coco_keypoint_ground_truth(truth)
    dt_read = parse_coco_keypoint_results(results)
    _, dt, _ = read_coco_keypoints(truth, results)

    def flat(points: object) -> list[list[float]]:
        offsets, values = points.offsets, points.points  # type: ignore[attr-defined]
        return [values[a:b].reshape(-1).tolist() for a, b in itertools.pairwise(offsets)]

    assert dataset.labels.column("keypoints").to_pylist() == flat(gt_read.keypoints)
    assert predictions.column("keypoints").to_pylist() == flat(dt_read.keypoints)
    box = np.column_stack([predictions.column(c).to_numpy() for c in ("x", "y", "width", "height")])
    np.testing.assert_array_equal(box, dt.box)  # loadRes: the keypoints' extent
    assert set(dataset.labels.column("shape").to_pylist()) == {"keypoints"}


def _message(call: object) -> str:
    with pytest.raises(InputError) as caught:
        call()  # type: ignore[operator]
    return str(caught.value)


def test_a_bad_mask_record_is_named_alike_by_the_tables_and_the_segm_reader(
    tmp_path: Path,
) -> None:
    truth, results = _fake100()
    document = json.loads(truth.read_text())
    document["annotations"][5]["segmentation"] = [[1.0, 2.0, "x", 4.0, 5.0, 6.0]]
    bad_truth = tmp_path / "gt.json"
    bad_truth.write_text(json.dumps(document))
    tables = _message(lambda: from_coco(bad_truth))
    engine = _message(lambda: read_coco_masks(bad_truth, results))
    assert tables == engine and "annotations[5]" in tables

    records = json.loads(results.read_text())
    records[3]["segmentation"]["counts"] = "!!"
    bad_results = tmp_path / "dt.json"
    bad_results.write_text(json.dumps(records))
    dataset = from_coco(truth)
    tables = _message(lambda: from_coco_results(bad_results, dataset))
    engine = _message(lambda: read_coco_masks(truth, bad_results))
    assert tables == engine and "record 3" in tables and "alphabet" in tables


def test_a_bad_keypoints_record_is_named_alike_by_the_tables_and_the_keypoints_reader(
    tmp_path: Path,
) -> None:
    truth, results = _keypoint_files(tmp_path, np.random.default_rng(6))
    document = json.loads(truth.read_text())
    document["annotations"][4]["keypoints"] = [1, 2, 2, 3]
    bad_truth = tmp_path / "bad_gt.json"
    bad_truth.write_text(json.dumps(document))
    tables = _message(lambda: from_coco(bad_truth))
    engine = _message(lambda: read_coco_keypoints(bad_truth, results))
    assert tables == engine and "annotations[4]" in tables

    records = json.loads(results.read_text())
    records[2]["keypoints"] = [1, 2, 2, 3]
    bad_results = tmp_path / "bad_dt.json"
    bad_results.write_text(json.dumps(records))
    dataset = from_coco(truth)
    tables = _message(lambda: from_coco_results(bad_results, dataset))
    engine = _message(lambda: parse_coco_keypoint_results(bad_results))
    assert tables == engine and "record 2" in tables
