"""The benchmark data generator is deterministic, valid COCO, and has the promised mix."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import orjson
import pytest

GENERATE_PY = Path(__file__).resolve().parents[1] / "benchmarks" / "generate.py"
NUM_IMAGES = 120
SEED = 7


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("shoal_bench_generate", GENERATE_PY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses need the module registered
    spec.loader.exec_module(module)
    return module


gen = _load_generator()


@pytest.fixture(scope="module")
def data() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    return gen.generate(NUM_IMAGES, SEED)  # type: ignore[no-any-return]


def test_deterministic_bytes() -> None:
    a_gt, a_dt = gen.generate(30, SEED)
    b_gt, b_dt = gen.generate(30, SEED)
    assert orjson.dumps(a_gt) == orjson.dumps(b_gt)
    assert orjson.dumps(a_dt) == orjson.dumps(b_dt)
    _, c_dt = gen.generate(30, SEED + 1)
    assert orjson.dumps(c_dt) != orjson.dumps(a_dt)


def test_cli_writes_files_deterministically(tmp_path: Path) -> None:
    for out in (tmp_path / "a", tmp_path / "b"):
        assert gen.main(["--size", "S", "--out", str(out)]) == 0
    for name in ("gt.json", "predictions.json", "meta.json"):
        assert (tmp_path / "a" / "S" / name).read_bytes() == (
            tmp_path / "b" / "S" / name
        ).read_bytes()
    meta = orjson.loads((tmp_path / "a" / "S" / "meta.json").read_bytes())
    assert meta["images"] == 500
    assert 3_000 <= meta["annotations"] <= 4_000
    assert 35_000 <= meta["predictions"] <= 45_000


def test_coco_structure(data: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    gt, dt = data
    images = {im["id"]: im for im in gt["images"]}
    assert len(images) == NUM_IMAGES
    assert all(im["id"] >= 1 and im["width"] > 0 and im["height"] > 0 for im in images.values())
    assert all(im["file_name"].endswith(".jpg") for im in images.values())

    cat_ids = [c["id"] for c in gt["categories"]]
    assert len(cat_ids) == 80 == len(set(cat_ids))
    assert min(cat_ids) == 1 and max(cat_ids) == 90  # COCO's gapped ids

    ann_ids = [a["id"] for a in gt["annotations"]]
    assert min(ann_ids) >= 1 and len(set(ann_ids)) == len(ann_ids)
    for a in gt["annotations"]:
        assert set(a) == {"id", "image_id", "category_id", "bbox", "area", "iscrowd"}
        assert a["image_id"] in images and a["category_id"] in cat_ids
        x, y, w, h = a["bbox"]
        im = images[a["image_id"]]
        assert x >= 0 and y >= 0 and w >= 0 and h >= 0
        assert x + w <= im["width"] + 1e-6 and y + h <= im["height"] + 1e-6
        assert 0 <= a["area"] <= w * h + 1e-6

    for p in dt:
        assert set(p) == {"image_id", "category_id", "bbox", "score"}
        assert p["image_id"] in images and p["category_id"] in cat_ids
        assert 0 < p["score"] <= 1
        assert all(round(v, 2) == v for v in p["bbox"])  # realistic precision
        assert p["bbox"][2] > 0 and p["bbox"][3] > 0


def test_promised_mix(data: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    gt, dt = data
    anns = gt["annotations"]
    assert 5 <= len(anns) / NUM_IMAGES <= 9
    assert 60 <= len(dt) / NUM_IMAGES <= 95

    crowd = [a for a in anns if a["iscrowd"]]
    assert crowd
    assert all(a["bbox"][2] * a["bbox"][3] >= 96**2 for a in crowd)

    areas = np.array([a["area"] for a in anns if not a["iscrowd"]])
    for lo, hi in ((0, 32**2), (32**2, 96**2), (96**2, np.inf)):
        assert ((areas >= lo) & (areas < hi)).mean() > 0.15
    assert (areas == 0).any()

    classes = Counter(a["category_id"] for a in anns)
    counts = sorted(classes.values(), reverse=True)
    assert counts[0] >= 5 * counts[len(counts) // 2]  # long tail

    image_ids = {im["id"] for im in gt["images"]}
    assert image_ids - {a["image_id"] for a in anns}, "no image without ground truth"
    assert image_ids - {p["image_id"] for p in dt}, "no image without predictions"

    per_image_class = Counter((p["image_id"], p["category_id"]) for p in dt)
    assert max(per_image_class.values()) > 100

    ties = Counter((p["image_id"], p["category_id"], p["score"]) for p in dt)
    assert max(ties.values()) >= 2
    assert any(len(str(p["score"])) <= 4 for p in dt)  # some rounded to 2 decimals


def test_pycocotools_loads_and_evaluates(
    data: tuple[dict[str, Any], list[dict[str, Any]]], tmp_path: Path
) -> None:
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    gt, dt = data
    (tmp_path / "gt.json").write_bytes(orjson.dumps(gt))
    (tmp_path / "predictions.json").write_bytes(orjson.dumps(dt))
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO(str(tmp_path / "gt.json"))
        coco_dt = coco_gt.loadRes(str(tmp_path / "predictions.json"))
        ev = COCOeval(coco_gt, coco_dt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    stats = np.asarray(ev.stats)
    assert stats.shape == (12,)
    assert np.all(((stats >= 0) & (stats <= 1)) | (stats == -1))
    assert 0.05 < stats[0] < 0.6  # a plausible, non-degenerate AP

    # The correct detections cover the whole IoU range the brief asks for.
    best = np.concatenate([np.max(v, axis=0) for v in ev.ious.values() if len(v)])
    assert (best > 0.9).any() and ((best > 0.3) & (best < 0.5)).any()
