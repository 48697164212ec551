"""COCO segmentations and keypoints into Shoal's tables and back: masks equal to
pycocotools' ``annToRLE``, result boxes as ``loadRes`` computes them, and every file
Shoal writes read back to the same numbers."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from shoal.engine.keypoints import KeypointSchema
from shoal.errors import InputError
from shoal.formats.coco_tables import as_coco, as_coco_results, from_coco, from_coco_results
from shoal.tables import keypoint_schemas

from conftest import validation_folder

COCO = pytest.importorskip("pycocotools.coco").COCO
mask_api = pytest.importorskip("pycocotools.mask")

FAKE100 = "cocoapi-val2014-fake100"


def _pycocotools(document: dict) -> object:
    coco = COCO()
    coco.dataset = copy.deepcopy(document)
    coco.createIndex()
    return coco


def _keypoints_files(rng: np.random.Generator) -> tuple[dict, list[dict]]:
    images = [{"id": i, "file_name": f"{i}.jpg", "width": 64, "height": 48} for i in (1, 2, 3)]
    annotations, results = [], []
    for number in range(1, 10):
        xy = rng.uniform(2, 40, (3, 2)).round(2)
        v = rng.integers(0, 3, 3)
        points = np.column_stack([xy, v]).ravel().tolist()
        box = [float(xy[:, 0].min()), float(xy[:, 1].min()), 10.0, 12.0]
        annotations.append(
            {"id": number, "image_id": 1 + number % 3, "category_id": 1, "bbox": box,
             "area": 120.0, "iscrowd": 0, "keypoints": points, "num_keypoints": int((v > 0).sum())}
        )  # fmt: skip
        guess = (xy + rng.normal(0, 1, xy.shape)).round(2)
        results.append(
            {"image_id": 1 + number % 3, "category_id": 1, "score": round(float(rng.uniform()), 3),
             "keypoints": np.column_stack([guess, np.ones(3)]).ravel().tolist()}
        )  # fmt: skip
    category = {"id": 1, "name": "person", "keypoints": ["nose", "left_eye", "right_eye"],
                "skeleton": [[1, 2], [1, 3]]}  # fmt: skip
    return {"images": images, "annotations": annotations, "categories": [category]}, results


def test_fake100_masks_equal_ann_to_rle_and_round_trip(tmp_path: Path) -> None:
    folder = validation_folder(FAKE100)
    truth = folder / "instances_val2014_100.json"
    results_file = folder / "instances_val2014_fakesegm100_results.json"
    dataset = from_coco(truth)
    coco = COCO(str(truth))
    labels = dataset.labels.to_pylist()
    assert len(labels) == len(coco.anns) == 839
    for row in labels:
        expected = coco.annToRLE(coco.anns[int(row["label_id"])])
        counts = expected["counts"]
        assert row["mask"]["counts"] == (counts.decode() if isinstance(counts, bytes) else counts)
        assert [row["mask"]["height"], row["mask"]["width"]] == list(expected["size"])
    shapes = dataset.labels.column("shape").to_pylist()
    assert shapes.count("mask") == 9 and shapes.count("polygon") == 830  # crowds are RLE

    predictions = from_coco_results(results_file, dataset)
    loaded = coco.loadRes(str(results_file))
    rows = predictions.predictions.to_pylist()
    assert len(rows) == len(loaded.anns)
    for row in rows:
        result = loaded.anns[int(row["prediction_id"])]
        assert row["mask"]["counts"] == result["segmentation"]["counts"]
        assert [row["x"], row["y"], row["width"], row["height"]] == list(result["bbox"])

    # Written and read back: the same tables.
    written = as_coco(dataset, tmp_path / "truth.json")
    assert json.loads((tmp_path / "truth.json").read_text()) == json.loads(json.dumps(written))
    again = from_coco(tmp_path / "truth.json")
    assert again.labels.equals(dataset.labels)
    as_coco_results(predictions, dataset, tmp_path / "results.json")
    assert from_coco_results(tmp_path / "results.json", again).predictions.equals(
        predictions.predictions
    )
    # pycocotools reads what Shoal writes to the same masks.
    reread = COCO(str(tmp_path / "truth.json"))
    for row in labels[:50]:
        assert (
            reread.annToRLE(reread.anns[int(row["label_id"])])["counts"].decode()
            == row["mask"]["counts"]
        )


def test_uncompressed_crowd_rle_is_kept_compressed() -> None:
    mask = np.zeros((6, 5), np.uint8)
    mask[1:4, 2:5] = 1
    counts = []
    flat, value, run = mask.ravel(order="F"), 0, 0
    for pixel in flat:
        if pixel != value:
            counts.append(run)
            value, run = pixel, 0
        run += 1
    counts.append(run)
    document = {
        "images": [{"id": 1, "width": 5, "height": 6}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [2, 1, 3, 3],
                         "iscrowd": 1, "segmentation": {"size": [6, 5], "counts": counts}}],
        "categories": [{"id": 1, "name": "crowd"}],
    }  # fmt: skip
    row = from_coco(document).labels.to_pylist()[0]
    expected = mask_api.frPyObjects(document["annotations"][0]["segmentation"], 6, 5)
    assert row["mask"] == {"height": 6, "width": 5, "counts": expected["counts"].decode()}
    assert row["shape"] == "mask" and row["iscrowd"]


def test_keypoints_schemas_and_loadres_boxes(tmp_path: Path) -> None:
    truth, results = _keypoints_files(np.random.default_rng(11))
    dataset = from_coco(truth)
    expected = KeypointSchema(("nose", "left_eye", "right_eye"), ((1, 2), (1, 3)))
    assert {k: v.to_dict() for k, v in keypoint_schemas(dataset).items()} == {
        "person": expected.to_dict()
    }
    labels = dataset.labels.to_pylist()
    for row, annotation in zip(labels, truth["annotations"], strict=True):
        assert row["keypoints"] == annotation["keypoints"] and row["shape"] == "keypoints"
        assert json.loads(row["attributes"]) == {"num_keypoints": annotation["num_keypoints"]}
    predictions = from_coco_results(results, dataset).predictions.to_pylist()
    loaded = _pycocotools(truth).loadRes(copy.deepcopy(results))
    for row in predictions:
        result = loaded.anns[int(row["prediction_id"])]
        assert [row["x"], row["y"], row["width"], row["height"]] == list(result["bbox"])
        assert row["keypoints"] == result["keypoints"]

    written = as_coco(dataset, tmp_path / "k.json")
    assert written["categories"][0]["keypoints"] == ["nose", "left_eye", "right_eye"]
    assert written["categories"][0]["skeleton"] == [[1, 2], [1, 3]]
    again = from_coco(tmp_path / "k.json")
    assert again.labels.equals(dataset.labels)
    assert keypoint_schemas(again)["person"].to_dict() == expected.to_dict()
    inference = from_coco_results(results, dataset)
    as_coco_results(inference, dataset, tmp_path / "r.json")
    assert from_coco_results(tmp_path / "r.json", again).predictions.equals(inference.predictions)


@pytest.mark.parametrize(
    ("change", "message", "record"),
    [
        # The messages of the one COCO reader (shoal eval's), naming the annotation.
        (
            {"segmentation": "no"},
            'segmentation is "no", neither polygons nor an RLE',
            "annotations[1]",
        ),
        (
            {"segmentation": [[1, 2, "x", 4]]},
            "coordinate that is not a finite number",
            "annotations[1]",
        ),
        (
            {"segmentation": {"size": [48, 64], "counts": "!!"}},
            "not in COCO's alphabet",
            "annotations[1]",
        ),
        ({"keypoints": [1, 2]}, "2 keypoint values; category 1 has 3 keypoints", "annotations[1]"),
        (
            {"keypoints": [1, 2, 2, 3, 4, 1, 5, 6, 2, 7, 8, 2]},
            "12 keypoint values; category 1 has 3 keypoints",
            "annotations[1]",
        ),
    ],
)
def test_bad_geometry_is_named(change: dict, message: str, record: object) -> None:
    truth, _ = _keypoints_files(np.random.default_rng(2))
    truth["annotations"][1].update(change)
    with pytest.raises(InputError) as caught:
        from_coco(truth)
    assert message in caught.value.message
    if record is not None:
        assert caught.value.record == record


def test_result_mask_of_another_size_than_its_frame_is_named() -> None:
    truth, _ = _keypoints_files(np.random.default_rng(2))
    dataset = from_coco(truth)
    rle = mask_api.encode(np.asfortranarray(np.ones((10, 10), np.uint8)))
    results = [{"image_id": 1, "category_id": 1, "score": 0.5,
                "segmentation": {"size": [10, 10], "counts": rle["counts"].decode()}}]  # fmt: skip
    with pytest.raises(
        InputError,
        match=r"segmentation size \[10, 10\] is not its image's \[height, width\] \[48, 64\]",
    ):
        from_coco_results(results, dataset)


def test_polygon_results_are_rasterised_and_written_as_rle() -> None:
    truth, _ = _keypoints_files(np.random.default_rng(3))
    dataset = from_coco(truth)
    ring = [2.0, 2.0, 30.0, 4.0, 20.0, 30.0]
    results = [{"image_id": 1, "category_id": 1, "bbox": [2, 2, 28, 28], "score": 0.5,
                "segmentation": [ring]}]  # fmt: skip
    inference = from_coco_results(results, dataset)
    row = inference.predictions.to_pylist()[0]
    expected = mask_api.merge(mask_api.frPyObjects([ring], 48, 64))["counts"].decode()
    assert row["polygon"] == [ring] and row["mask"]["counts"] == expected
    written = as_coco_results(inference, dataset)[0]
    assert written["segmentation"] == {"size": [48, 64], "counts": expected}
