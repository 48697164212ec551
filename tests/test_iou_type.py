"""``shoal eval --iou-type`` and ``evaluate_detections(iou_type=...)``: every COCO
protocol through one command, each equal to pycocotools run with that ``iouType``."""

from __future__ import annotations

import contextlib
import copy
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import shoal
from shoal.engine.detection.metrics import KEYPOINT_STAT_NAMES
from shoal.errors import InputError

from conftest import run_cli, validation_folder


def pycocotools_stats(gt: dict[str, Any], dt: list[dict[str, Any]], iou_type: str) -> Any:
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = copy.deepcopy(gt)
        coco_gt.createIndex()
        coco_dt = coco_gt.loadRes(copy.deepcopy(dt))
        evaluator = COCOeval(coco_gt, coco_dt, iou_type)
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return evaluator.stats


def random_keypoints(seed: int, num_images: int = 25) -> tuple[dict[str, Any], list[Any]]:
    """People with COCO's 17 keypoints (some unlabelled, some without any), crowds, and
    results near them or anywhere, with tied scores."""
    rng = np.random.default_rng(seed)
    images = [{"id": int(i), "width": 640, "height": 480} for i in range(1, num_images + 1)]
    annotations: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for image in images:
        people = []
        for _ in range(int(rng.integers(0, 6))):
            w, h = rng.uniform(10, 200, size=2)
            x, y = rng.uniform(0, 400), rng.uniform(0, 300)
            xs, ys = x + rng.uniform(0, w, 17), y + rng.uniform(0, h, 17)
            visible = rng.choice([0, 1, 2], size=17, p=[0.3, 0.2, 0.5])
            if rng.random() < 0.1:
                visible[:] = 0
            keypoints = np.column_stack(
                [np.where(visible > 0, xs, 0), np.where(visible > 0, ys, 0), visible]
            )
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": image["id"],
                    "category_id": 1,
                    "bbox": [float(x), float(y), float(w), float(h)],
                    "area": float(w * h * rng.uniform(0.5, 1.0)),
                    "iscrowd": int(rng.random() < 0.05),
                    "keypoints": [round(float(v), 2) for v in keypoints.reshape(-1)],
                    "num_keypoints": int((visible > 0).sum()),
                }
            )
            people.append((xs, ys, w, h))
        for _ in range(int(rng.integers(0, 8))):
            if people and rng.random() < 0.7:
                xs, ys, w, h = people[int(rng.integers(len(people)))]
                noise = rng.normal(0, rng.uniform(1, 15), size=(2, 17))
                xs, ys = xs + noise[0], ys + noise[1]
            else:
                x, y = rng.uniform(0, 400), rng.uniform(0, 300)
                xs, ys = x + rng.uniform(0, 80, 17), y + rng.uniform(0, 80, 17)
            keypoints = np.column_stack([xs, ys, np.ones(17)])
            results.append(
                {
                    "image_id": image["id"],
                    "category_id": 1,
                    "keypoints": [round(float(v), 2) for v in keypoints.reshape(-1)],
                    "score": float(rng.choice([0.5, 0.9]))
                    if rng.random() < 0.2
                    else round(float(rng.random()), 3),
                }
            )
    categories = [
        {"id": 1, "name": "person", "keypoints": [f"k{i}" for i in range(17)], "skeleton": [[1, 2]]}
    ]
    return {"images": images, "annotations": annotations, "categories": categories}, results


@pytest.mark.parametrize("seed", range(4))
def test_keypoints_equal_pycocotools(seed: int) -> None:
    gt, dt = random_keypoints(seed)
    expected = pycocotools_stats(gt, dt, "keypoints")
    summary = shoal.evaluate_detections(gt, dt, iou_type="keypoints").coco_summary()
    assert tuple(summary.stats) == KEYPOINT_STAT_NAMES
    np.testing.assert_allclose(list(summary.stats.values()), expected, rtol=0, atol=1e-9)


def test_cli_keypoints_json_and_printout(tmp_path: Path) -> None:
    gt, dt = random_keypoints(11, num_images=30)
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "dt.json").write_text(json.dumps(dt))
    out = tmp_path / "out.json"
    result = run_cli(
        "eval", str(tmp_path / "gt.json"), str(tmp_path / "dt.json"), "--iou-type", "keypoints",
        "--json", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    written = json.loads(out.read_text())
    expected = pycocotools_stats(gt, dt, "keypoints")
    assert list(written["coco"]) == list(KEYPOINT_STAT_NAMES)
    np.testing.assert_allclose(list(written["coco"].values()), expected, rtol=0, atol=1e-9)
    assert written["settings"]["iou_type"] == "keypoints"
    assert "COCO summary (keypoints)" in result.stdout
    # pycocotools' summarize line for the keypoint AP.
    assert (
        f" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets= 20 ] = "
        f"{expected[0]:0.3f}" in result.stdout
    )


def fake100_segm() -> tuple[Path, Path]:
    folder = validation_folder("cocoapi-val2014-fake100")
    return (
        folder / "instances_val2014_100.json",
        folder / "instances_val2014_fakesegm100_results.json",
    )


def test_cli_segm_fake100_equals_pycocotools(tmp_path: Path) -> None:
    from shoal.formats import coco

    if not hasattr(coco, "read_coco_masks"):
        with pytest.raises(InputError, match="read_coco_masks"):
            shoal.evaluate_detections(*fake100_segm(), iou_type="segm")
        result = run_cli("eval", *map(str, fake100_segm()), "--iou-type", "segm")
        assert result.returncode != 0 and "read_coco_masks" in result.stderr
        pytest.skip("the masks reader (shoal.formats.coco.read_coco_masks) is not there yet")
    gt_path, dt_path = fake100_segm()
    expected = pycocotools_stats(
        json.loads(gt_path.read_text()), json.loads(dt_path.read_text()), "segm"
    )
    out = tmp_path / "out.json"
    result = run_cli("eval", str(gt_path), str(dt_path), "--iou-type", "segm", "--json", str(out))
    assert result.returncode == 0, result.stderr
    written = json.loads(out.read_text())["coco"]
    assert list(written) == list(shoal.COCO_STAT_NAMES)
    np.testing.assert_allclose(list(written.values()), expected, rtol=0, atol=1e-9)
    assert "COCO summary (segm)" in result.stdout


def test_bad_iou_type_uses() -> None:
    gt, dt = random_keypoints(3, num_images=4)
    with pytest.raises(InputError, match="unknown iou_type"):
        shoal.evaluate_detections(gt, dt, iou_type="masks")  # type: ignore[arg-type]
    columns = shoal.evaluate_detections(gt, [], iou_type="bbox")
    with pytest.raises(InputError, match="similarity= and params="):
        shoal.evaluate_detections(columns.ground_truth, columns.predictions, iou_type="keypoints")


def test_cli_refuses_box_only_options_with_other_geometry(tmp_path: Path) -> None:
    gt, dt = random_keypoints(5, num_images=5)
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "dt.json").write_text(json.dumps(dt))
    result = run_cli(
        "eval", str(tmp_path / "gt.json"), str(tmp_path / "dt.json"), "--iou-type", "keypoints",
        "--tide",
    )  # fmt: skip
    assert result.returncode != 0 and "--tide measures boxes" in result.stderr
