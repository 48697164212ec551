"""A stored dataset whose labels and predictions carry masks or keypoints is evaluated
on them (mask IoU, OKS) and equals pycocotools' ``segm`` / ``keypoints`` COCOeval; kept
matchings reload with the same similarity; boxes-only sets stay ``bbox``."""

from __future__ import annotations

import contextlib
import copy
import io
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from shoal.formats.coco_tables import category_ids, from_coco, from_coco_results
from shoal.formats.cvat import from_cvat
from shoal.formats.labelbox import from_labelbox
from shoal.store import Store
from shoal.tables import InferenceTables

from conftest import validation_folder

COCO = pytest.importorskip("pycocotools.coco").COCO
COCOeval = pytest.importorskip("pycocotools.cocoeval").COCOeval


def _pycocotools(truth: dict | str, results: list | str, iou_type: str) -> list[float]:
    with contextlib.redirect_stdout(io.StringIO()):
        if isinstance(truth, str):
            coco = COCO(truth)
        else:
            coco = COCO()
            coco.dataset = copy.deepcopy(truth)
            coco.createIndex()
        loaded = coco.loadRes(results if isinstance(results, str) else copy.deepcopy(results))
        evaluation = COCOeval(coco, loaded, iou_type)
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return [float(v) for v in evaluation.stats]


def _project(store: Store, dataset):
    classes = [{"name": name, "id": id_} for name, id_ in category_ids(dataset).items()]
    return store.create_project("p", classes=classes).create_dataset("d", dataset)


def test_fake100_segm_and_bbox_equal_pycocotools(tmp_path: Path) -> None:
    folder = validation_folder("cocoapi-val2014-fake100")
    truth = str(folder / "instances_val2014_100.json")
    segm = str(folder / "instances_val2014_fakesegm100_results.json")
    bbox = str(folder / "instances_val2014_fakebbox100_results.json")
    dataset = from_coco(truth)
    stored = _project(Store(tmp_path), dataset)
    stored.create_inference_set("segm", from_coco_results(segm, dataset))
    stored.create_inference_set("bbox", from_coco_results(bbox, dataset))
    for name, results in (("segm", segm), ("bbox", bbox)):
        metrics = stored.inference_set(name).metrics(include=["coco_summary"])
        assert metrics.iou_type == name
        assert metrics.to_dict()["iou_type"] == name
        assert list(metrics.coco_summary.stats.values()) == _pycocotools(truth, results, name)
    # A new process reads the kept matching, with the masks measured again for queries.
    again = Store(tmp_path).project("p").dataset("d").inference_set("segm")
    fresh = again.metrics(include=["coco_summary", "report"], iou=0.3)
    assert list(fresh.coco_summary.stats.values()) == _pycocotools(truth, segm, "segm")
    assert fresh.iou_type == "segm" and 0.3 in fresh.iou_thresholds


def _keypoint_files(rng: np.random.Generator) -> tuple[dict, list[dict]]:
    count = 17  # COCO's person: pycocotools' sigmas
    images = [{"id": i, "file_name": f"{i}.jpg", "width": 640, "height": 480} for i in range(1, 21)]
    annotations, results = [], []
    for number in range(1, 121):
        image = int(rng.integers(1, 21))
        centre = rng.uniform(100, 400, 2)
        size = rng.uniform(20, 200)
        xy = centre + rng.normal(0, size / 3, (count, 2))
        v = rng.choice([0, 1, 2], count, p=[0.2, 0.2, 0.6])
        if number % 15 == 0:
            v[:] = 0  # no labeled keypoint: COCOeval ignores it
        xy[v == 0] = 0
        x0, y0 = xy[v > 0].min(axis=0) if (v > 0).any() else centre
        annotations.append(
            {"id": number, "image_id": image, "category_id": 1, "iscrowd": 0,
             "bbox": [float(x0), float(y0), float(size), float(size * 1.3)],
             "area": float(size * size * rng.uniform(0.4, 1.2)),
             "keypoints": np.column_stack([xy.round(2), v]).ravel().tolist(),
             "num_keypoints": int((v > 0).sum())}
        )  # fmt: skip
        for _ in range(int(rng.integers(0, 3))):
            guess = (xy + rng.normal(0, size / 10, xy.shape)).round(2)
            results.append(
                {"image_id": image, "category_id": 1, "score": round(float(rng.uniform()), 4),
                 "keypoints": np.column_stack([guess, np.ones(count)]).ravel().tolist()}
            )  # fmt: skip
    for _ in range(30):  # predictions far from any person
        guess = rng.uniform(0, 480, (count, 2)).round(2)
        results.append(
            {"image_id": int(rng.integers(1, 21)), "category_id": 1, "score": round(float(rng.uniform()), 4),
             "keypoints": np.column_stack([guess, np.ones(count)]).ravel().tolist()}
        )  # fmt: skip
    names = [f"k{k}" for k in range(1, count + 1)]
    category = {"id": 1, "name": "person", "keypoints": names, "skeleton": [[1, 2], [2, 3]]}
    return {"images": images, "annotations": annotations, "categories": [category]}, results


@pytest.mark.parametrize("seed", [1, 2])
def test_keypoints_equal_pycocotools(tmp_path: Path, seed: int) -> None:
    truth, results = _keypoint_files(np.random.default_rng(seed))
    dataset = from_coco(truth)
    stored = _project(Store(tmp_path), dataset)
    inference = stored.create_inference_set("kp", from_coco_results(results, dataset))
    metrics = inference.metrics(include=["coco_summary"])
    assert metrics.iou_type == "keypoints"
    expected = _pycocotools(truth, results, "keypoints")
    assert list(metrics.coco_summary.stats) == [
        "AP", "AP50", "AP75", "APm", "APl", "AR", "AR50", "AR75", "ARm", "ARl"
    ]  # fmt: skip
    np.testing.assert_allclose(
        list(metrics.coco_summary.stats.values()), expected, rtol=0, atol=1e-12
    )


def test_polylines_and_points_match_within_the_tolerance(tmp_path: Path) -> None:
    xml = """<annotations><version>1.1</version>
      <image id="0" name="a.jpg" width="300" height="400">
        <polyline label="lane" points="0,0;100,100;200,150"/>
        <polyline label="lane" points="0,300;250,390"/>
      </image></annotations>"""
    (tmp_path / "gt.xml").write_text(xml)
    dataset = from_cvat(tmp_path / "gt.xml")
    lines = [
        '{"uuid": "near", "dataRow": {"id": "a"}, "name": "lane", "confidence": 0.9,'
        ' "line": [{"x": 1, "y": 2}, {"x": 101, "y": 99}, {"x": 199, "y": 151}]}',
        '{"uuid": "far", "dataRow": {"id": "a"}, "name": "lane", "confidence": 0.8,'
        ' "line": [{"x": 0, "y": 200}, {"x": 250, "y": 250}]}',
    ]
    (tmp_path / "p.ndjson").write_text("\n".join(lines))
    stored = Store(tmp_path / "store").create_project("p").create_dataset("d", dataset)
    inference = stored.create_inference_set("m", from_labelbox(tmp_path / "p.ndjson", dataset))
    metrics = inference.metrics(conf=0.5, iou=0.5)
    assert metrics.iou_type == "polylines"
    row = metrics.report.to_dict()["classes"][0]
    # The near line is within 2% of the 500-pixel diagonal (10 px: Fréchet 2.2, similarity
    # 0.78); the far one is not.
    assert (row["tp"], row["fp"], row["fn"]) == (1, 1, 1)
    outcomes = inference.outcomes(conf=0.5, iou=0.5)
    assert sorted(outcomes.records(), key=lambda r: r["id"])[0]["iou"] == pytest.approx(
        1 - np.hypot(1, 2) / 10
    )


def test_boxes_only_predictions_on_masked_labels_stay_bbox(tmp_path: Path) -> None:
    folder = validation_folder("cocoapi-val2014-fake100")
    dataset = from_coco(folder / "instances_val2014_100.json")
    boxes = from_coco_results(folder / "instances_val2014_fakebbox100_results.json", dataset)
    assert "mask" not in boxes.predictions.column_names
    stored = _project(Store(tmp_path), dataset)
    assert stored.create_inference_set("b", boxes).metrics().iou_type == "bbox"
    assert pa.types.is_struct(stored.labels().schema.field("mask").type)


def test_predicted_polygons_stored_without_masks_are_rasterised_for_mask_iou(
    tmp_path: Path,
) -> None:
    folder = validation_folder("cocoapi-val2014-fake100")
    dataset = from_coco(folder / "instances_val2014_100.json")
    stored = _project(Store(tmp_path), dataset)
    # The ground truth's own polygons as predictions, built without the frames' sizes
    # (no mask), and the same with their masks: the same evaluation.
    labels = dataset.labels.filter(pc.equal(dataset.labels.column("shape"), "polygon"))
    columns = ["frame_id", "class_name", "x", "y", "width", "height", "shape", "polygon"]
    scores = pa.array(np.linspace(0.05, 0.95, labels.num_rows))
    polygons_only = InferenceTables.build(
        labels.select(columns).append_column("confidence", scores)
    )
    assert polygons_only.predictions.column("mask").null_count == labels.num_rows
    with_masks = InferenceTables.build(
        labels.select([*columns, "mask"]).append_column("confidence", scores)
    )
    first = stored.create_inference_set("polygons", polygons_only).metrics(include=["coco_summary"])
    second = stored.create_inference_set("masks", with_masks).metrics(include=["coco_summary"])
    assert first.iou_type == second.iou_type == "segm"
    assert first.coco_summary.stats == second.coco_summary.stats
    assert first.coco_summary.stats["AP"] > 0.5


def test_detectron2_results_with_boxes_and_masks_equal_pycocotools(tmp_path: Path) -> None:
    # Results whose first record has a bbox: loadRes keeps every bbox and counts a
    # mask's area as its box's, for segm too.
    folder = validation_folder("detectron2-coco-eval-sample")
    truth = str(folder / "gt_val2017_img139_285.json")
    results = str(folder / "dt_img139.json")
    dataset = from_coco(truth)
    predictions = from_coco_results(results, dataset)
    stored = _project(Store(tmp_path), dataset)
    inference = stored.create_inference_set("d2", predictions)
    metrics = inference.metrics(include=["coco_summary"])
    assert metrics.iou_type == "segm"
    assert list(metrics.coco_summary.stats.values()) == _pycocotools(truth, results, "segm")


@pytest.mark.parametrize("with_boxes", [True, False])
def test_mask_results_area_follows_loadres(tmp_path: Path, with_boxes: bool) -> None:
    from pycocotools import mask as mask_api

    def rle(top: int, left: int, size: int) -> dict:
        pixels = np.zeros((200, 200), np.uint8)
        pixels[top : top + size, left : left + size] = 1
        encoded = mask_api.encode(np.asfortranarray(pixels))
        return {"size": [200, 200], "counts": encoded["counts"].decode()}

    truth = {
        "images": [{"id": 1, "width": 200, "height": 200}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 120, 120],
                         "area": 14400.0, "iscrowd": 0, "segmentation": rle(10, 10, 120)}],
        "categories": [{"id": 1, "name": "thing"}],
    }  # fmt: skip
    # The second result misses: a tiny mask in a large box. Counted by its box's area it
    # is a large false positive (APl falls); by its mask's, a small one APl ignores.
    results = [
        {"image_id": 1, "category_id": 1, "score": 0.5, "segmentation": rle(12, 12, 118)},
        {"image_id": 1, "category_id": 1, "score": 0.9, "segmentation": rle(180, 180, 5)},
    ]
    if with_boxes:
        results[0]["bbox"] = [12.0, 12.0, 118.0, 118.0]
        results[1]["bbox"] = [60.0, 60.0, 130.0, 130.0]
    dataset = from_coco(truth)
    stored = _project(Store(tmp_path), dataset)
    inference = stored.create_inference_set("m", from_coco_results(results, dataset))
    stats = inference.metrics(include=["coco_summary"]).coco_summary.stats
    expected = _pycocotools(truth, results, "segm")
    assert list(stats.values()) == expected
    assert (stats["APl"] < 0.99) is with_boxes


def _kept_arrays_equal(a, b) -> None:
    sa, sb = a.kept_state(), b.kept_state()
    assert sa.keys() == sb.keys()
    for name in sa:
        assert sa[name].dtype == sb[name].dtype and np.array_equal(sa[name], sb[name]), name


@pytest.mark.parametrize("geometry", ["segm", "keypoints"])
def test_partitioned_matching_on_masks_and_keypoints_keeps_the_one_process_matching(
    tmp_path: Path, geometry: str
) -> None:
    # Each partition's task reads its rows' masks (keypoints) and builds its own
    # similarity; the kept matching equals the one-process one, array for array.
    if geometry == "segm":
        folder = validation_folder("cocoapi-val2014-fake100")
        truth = folder / "instances_val2014_100.json"
        results = folder / "instances_val2014_fakesegm100_results.json"
    else:
        truth, results = _keypoint_files(np.random.default_rng(3))
    sets = []
    for home in ("one", "parts"):
        dataset = from_coco(truth)
        stored = _project(Store(tmp_path / home), dataset)
        sets.append(stored.create_inference_set("m", from_coco_results(results, dataset)))
    one = sets[0].evaluate()
    parts = sets[1].evaluate(partitions=3)
    assert parts.similarity is not None and parts.similarity.iou_type == geometry
    _kept_arrays_equal(parts, one)
    reopened = Store(tmp_path / "parts").project("p").dataset("d").inference_set("m")
    assert reopened.metrics().iou_type == geometry
    _kept_arrays_equal(reopened.evaluate(), one)
    for conf, iou in ((0.3, 0.5), (0.2, 0.03)):  # on the grid; below the kept candidates
        assert (
            reopened.metrics(conf=conf, iou=iou, include=["report", "confusion_matrix"]).to_dict()
            == sets[0].metrics(conf=conf, iou=iou, include=["report", "confusion_matrix"]).to_dict()
        )


def test_keypoints_follow_the_files_num_keypoints(tmp_path: Path) -> None:
    # COCOeval ignores a ground truth whose num_keypoints is 0, whatever its flags say.
    truth, results = _keypoint_files(np.random.default_rng(9))
    for annotation in truth["annotations"][::7]:
        annotation["num_keypoints"] = 0
    dataset = from_coco(truth)
    stored = _project(Store(tmp_path), dataset)
    inference = stored.create_inference_set("kp", from_coco_results(results, dataset))
    stats = list(inference.metrics(include=["coco_summary"]).coco_summary.stats.values())
    np.testing.assert_allclose(stats, _pycocotools(truth, results, "keypoints"), rtol=0, atol=1e-12)
