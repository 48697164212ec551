"""COCO's segm protocol end to end: read_coco_masks + evaluate(similarity=MaskSimilarity,
params=CocoParams.segm()) against pycocotools' COCOeval(iouType="segm"): the 12 stats,
the precision/recall arrays and every image's matches (evalImgs), on cocoapi's fake100,
detectron2's sample and randomized masks with crowds."""

from __future__ import annotations

import contextlib
import copy
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from shoal.engine.detection.evaluator import evaluate
from shoal.engine.detection.metrics import CocoParams
from shoal.engine.masks import decode_mask, encode_mask, polygons_to_rle, rle_to_string
from shoal.formats.coco import read_coco_masks

VALIDATION = Path(__file__).resolve().parents[2] / "shared" / "validation"
FAKE100 = VALIDATION / "cocoapi-val2014-fake100"
DETECTRON2 = VALIDATION / "detectron2-coco-eval-sample"

# Published full-precision segm stats (faster_coco_eval's tests; EXPECTED.md of each set).
FAKE100_SEGM = [
    0.3195452758576433, 0.5622883972521636, 0.29892653412086784, 0.3873740315997838,
    0.31018272403369485, 0.3269339071005138, 0.2682297225711534, 0.41544868114906375,
    0.4168394992198818, 0.4694498622754236, 0.37675922666197265, 0.3814715099715099,
]  # fmt: skip
DETECTRON2_SEGM = [
    0.7252475247524752, 1.0, 1.0, 0.8, 0.7, -1.0, 0.35, 0.75, 0.75, 0.8, 0.7, -1.0,
]  # fmt: skip


def pycocotools_segm(gt: Any, dt: Any) -> COCOeval:
    """A finished COCOeval(segm) on a path or (copies of) in-memory data."""
    with contextlib.redirect_stdout(io.StringIO()):
        if isinstance(gt, Path):
            coco_gt = COCO(str(gt))
        else:
            coco_gt = COCO()
            coco_gt.dataset = copy.deepcopy(gt)
            coco_gt.createIndex()
        coco_dt = coco_gt.loadRes(str(dt) if isinstance(dt, Path) else copy.deepcopy(dt))
        evaluation = COCOeval(coco_gt, coco_dt, "segm")
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return evaluation


def shoal_segm(gt: Any, dt: Any) -> Any:
    ground_truth, predictions, masks = read_coco_masks(gt, dt)
    evaluation = evaluate(ground_truth, predictions, similarity=masks, params=CocoParams.segm())
    return ground_truth, predictions, evaluation


def assert_equal_to_pycocotools(gt: Any, dt: Any) -> tuple[list[float], COCOeval]:
    """Stats, precision/recall arrays and every evalImgs entry's matches equal."""
    ground_truth, predictions, evaluation = shoal_segm(gt, dt)
    theirs = pycocotools_segm(gt, dt)
    summary = evaluation.coco_summary()
    ours = list(summary.stats.values())
    np.testing.assert_allclose(ours, theirs.stats, rtol=0, atol=1e-12)
    np.testing.assert_allclose(summary.precision, theirs.eval["precision"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(summary.recall, theirs.eval["recall"], rtol=0, atol=1e-12)
    assert_matches_equal(ground_truth, predictions, evaluation, theirs)
    return ours, theirs


def assert_matches_equal(
    ground_truth: Any, predictions: Any, evaluation: Any, theirs: COCOeval
) -> None:
    """Each prediction's COCO status at every threshold and area range (matched,
    ignored, unmatched), and its matched ground truth for the "all" range, as evalImgs."""
    state = evaluation.kept_state()
    row_of_dt = {int(i): r for r, i in enumerate(predictions.ids)}
    grid = state["grid"]
    grid_index = [int(np.argmin(np.abs(grid - t))) for t in theirs.params.iouThrs]
    ranges = [tuple(r) for r in theirs.params.areaRng]
    checked = 0
    for entry in theirs.evalImgs:
        if entry is None or entry["maxDet"] != theirs.params.maxDets[-1]:
            continue
        area = ranges.index(tuple(entry["aRng"]))
        rows = np.asarray([row_of_dt[i] for i in entry["dtIds"]], np.int64)
        if rows.size == 0:
            continue
        matched, ignored = np.asarray(entry["dtMatches"]), np.asarray(entry["dtIgnore"])
        expected = np.where(matched == 0, 0, np.where(ignored, 2, 1))
        np.testing.assert_array_equal(state["coco_status"][rows, area, :].T, expected)
        if area == 0:
            det_gt = state["det_gt"][grid_index][:, rows]
            got = np.where(det_gt < 0, 0, ground_truth.ids[np.maximum(det_gt, 0)])
            np.testing.assert_array_equal(got, matched)
        checked += rows.size
    assert checked > 0


@pytest.mark.skipif(not FAKE100.exists(), reason="the shared validation sets are not here")
def test_fake100_segm_equals_pycocotools_and_the_published_values():
    ours, _ = assert_equal_to_pycocotools(
        FAKE100 / "instances_val2014_100.json",
        FAKE100 / "instances_val2014_fakesegm100_results.json",
    )
    np.testing.assert_allclose(ours, FAKE100_SEGM, rtol=0, atol=1e-12)


@pytest.mark.skipif(not DETECTRON2.exists(), reason="the shared validation sets are not here")
def test_detectron2_sample_segm_equals_pycocotools_and_the_published_values():
    # Its results carry boxes: loadRes keeps them and takes their areas (area ranges).
    ours, _ = assert_equal_to_pycocotools(
        DETECTRON2 / "gt_val2017_img139_285.json", DETECTRON2 / "dt_img139.json"
    )
    np.testing.assert_allclose(ours, DETECTRON2_SEGM, rtol=0, atol=1e-12)


def random_star(rng: np.random.Generator, h: int, w: int, scale: float) -> list[float]:
    n = int(rng.integers(3, 14))
    angles = np.sort(rng.random(n) * 2 * np.pi)
    radius = rng.uniform(0.3, 1.0, n) * scale
    cx, cy = rng.uniform(-5, w + 5), rng.uniform(-5, h + 5)
    xs, ys = cx + radius * np.cos(angles), cy + radius * np.sin(angles)
    if rng.random() < 0.3:  # on the half-pixel grid, where rounding ties
        xs, ys = np.round(xs * 2) / 2, np.round(ys * 2) / 2
    return np.column_stack((xs, ys)).ravel().round(2).tolist()


def random_segm_data(
    rng: np.random.Generator, num_images: int, objects: int, predictions: int, *, boxes: bool
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Images of several sizes; ground truth as polygons (some objects in two parts) and
    crowds as uncompressed RLE; predictions as compressed RLE: shifted and grown copies
    of ground truth, pure noise, empty masks, tied scores."""
    categories = [{"id": c, "name": f"c{c}"} for c in (1, 2, 5)]
    images, annotations, results = [], [], []
    for image_id in range(1, num_images + 1):
        h, w = int(rng.integers(20, 200)), int(rng.integers(20, 200))
        images.append({"id": image_id, "height": h, "width": w, "file_name": f"{image_id}.jpg"})
        masks = []
        for _ in range(int(rng.integers(0, objects + 1))):
            category = int(rng.choice([1, 2, 5]))
            scale = float(rng.choice([3.0, 12.0, 40.0, 90.0]))  # small, medium, large objects
            crowd = rng.random() < 0.12
            polygons = [random_star(rng, h, w, scale) for _ in range(1 + int(rng.random() < 0.2))]
            rle = polygons_to_rle(polygons, h, w)
            segmentation: Any = polygons
            if crowd:
                segmentation = {"size": [h, w], "counts": rle.counts.tolist()}
            area = float(rle.counts[1::2].sum())
            annotations.append(
                {
                    "id": len(annotations) + 1, "image_id": image_id, "category_id": category,
                    "segmentation": segmentation, "area": area, "iscrowd": int(crowd),
                    "bbox": [0.0, 0.0, 1.0, 1.0],
                }
            )  # fmt: skip
            masks.append((category, decode_mask(rle)))
        for _ in range(int(rng.integers(0, predictions + 1))):
            kind = rng.random()
            if masks and kind < 0.7:
                category, base = masks[int(rng.integers(len(masks)))]
                if rng.random() < 0.15:
                    category = int(rng.choice([1, 2, 5]))
                mask = np.roll(base, (int(rng.integers(-3, 4)), int(rng.integers(-3, 4))), (0, 1))
                if rng.random() < 0.3:
                    mask = mask | np.roll(mask, 1, 0)
            elif kind < 0.9:
                category = int(rng.choice([1, 2, 5]))
                mask = np.zeros((h, w), np.uint8)
                y, x = int(rng.integers(0, h)), int(rng.integers(0, w))
                mask[y : y + int(rng.integers(1, 30)), x : x + int(rng.integers(1, 30))] = 1
            else:
                category, mask = int(rng.choice([1, 2, 5])), np.zeros((h, w), np.uint8)
            record: dict[str, Any] = {
                "image_id": image_id,
                "category_id": category,
                "segmentation": {"size": [h, w], "counts": rle_to_string(encode_mask(mask))},
                "score": float(np.round(rng.random(), 2)),  # ties
            }
            if boxes:
                record["bbox"] = np.round(rng.uniform(0, 40, 4), 1).tolist()
            results.append(record)
    if not results:
        results.append(
            {"image_id": 1, "category_id": 1, "score": 0.5,
             "segmentation": {"size": [images[0]["height"], images[0]["width"]], "counts": ""}}
        )  # fmt: skip
        if boxes:
            results[0]["bbox"] = [0.0, 0.0, 1.0, 1.0]
    return {"images": images, "annotations": annotations, "categories": categories}, results


@pytest.mark.parametrize("seed", range(12))
def test_random_masks_with_crowds_equal_pycocotools(seed):
    rng = np.random.default_rng(seed)
    gt, dt = random_segm_data(rng, num_images=8, objects=6, predictions=10, boxes=seed % 3 == 0)
    assert_equal_to_pycocotools(gt, dt)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(3))
def test_larger_random_masks_equal_pycocotools(seed):
    rng = np.random.default_rng(100 + seed)
    gt, dt = random_segm_data(rng, num_images=150, objects=12, predictions=40, boxes=seed == 1)
    assert_equal_to_pycocotools(gt, dt)


def test_files_written_to_disk_read_the_same(tmp_path):
    rng = np.random.default_rng(7)
    gt, dt = random_segm_data(rng, num_images=4, objects=5, predictions=8, boxes=False)
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "dt.json").write_text(json.dumps(dt))
    from_files = shoal_segm(tmp_path / "gt.json", tmp_path / "dt.json")[2].coco_summary()
    in_memory = shoal_segm(gt, dt)[2].coco_summary()
    assert from_files.stats == in_memory.stats


def test_the_evaluation_does_not_depend_on_the_thread_count():
    from shoal._native import set_threads
    from shoal.engine.masks.column import set_min_work_per_thread

    rng = np.random.default_rng(77)
    gt, dt = random_segm_data(rng, num_images=10, objects=6, predictions=12, boxes=False)
    kept = []
    previous = set_min_work_per_thread(1)  # even tiny inputs split across threads
    try:
        for threads in (1, 3):
            set_threads(threads)
            evaluation = shoal_segm(gt, dt)[2]
            kept.append((evaluation.kept_state(), evaluation.coco_summary().stats))
    finally:
        set_threads(None)
        set_min_work_per_thread(previous)
    (one, one_stats), (many, many_stats) = kept
    assert one_stats == many_stats
    for name, array in one.items():
        np.testing.assert_array_equal(array, many[name], err_msg=name)
