"""The mask engine on real COCO data (cocoapi's val2014 "fake100" set): every ground-truth
polygon and crowd RLE, every result mask, and every (image, category) mask IoU matrix
of pycocotools' COCOeval(iouType="segm") reproduced exactly."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
from pycocotools import mask as coco_mask
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from shoal.engine.masks import mask_iou, rle_area, rle_from_coco, rle_to_string

FAKE100 = Path(__file__).resolve().parents[2] / "shared" / "validation" / "cocoapi-val2014-fake100"
GROUND_TRUTH = FAKE100 / "instances_val2014_100.json"
RESULTS = FAKE100 / "instances_val2014_fakesegm100_results.json"

pytestmark = pytest.mark.skipif(
    not RESULTS.exists(), reason=f"the shared validation set {FAKE100} is not on this machine"
)


@pytest.fixture(scope="module")
def evaluated() -> COCOeval:
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(GROUND_TRUTH))
        dt = gt.loadRes(str(RESULTS))
        evaluation = COCOeval(gt, dt, iouType="segm")
        evaluation.evaluate()
    return evaluation


def test_every_ground_truth_segmentation_reads_as_ann_to_rle(evaluated):
    gt = evaluated.cocoGt
    # Read afresh: COCOeval(iouType="segm") replaced the loaded polygons by RLEs.
    annotations = json.loads(GROUND_TRUTH.read_text())["annotations"]
    kinds = {"polygons": 0, "uncompressed": 0}
    for ann in annotations:
        image = gt.imgs[ann["image_id"]]
        ours = rle_from_coco(ann["segmentation"], image["height"], image["width"])
        theirs = gt.annToRLE(ann)
        assert rle_to_string(ours) == theirs["counts"].decode(), ann["id"]
        assert rle_area([ours])[0] == coco_mask.area(theirs)
        kinds["polygons" if isinstance(ann["segmentation"], list) else "uncompressed"] += 1
    assert kinds["polygons"] > 800 and kinds["uncompressed"] > 0, kinds


def test_every_result_mask_reads_with_its_area(evaluated):
    results = json.loads(RESULTS.read_text())
    for record in results:
        segmentation = record["segmentation"]
        h, w = segmentation["size"]
        ours = rle_from_coco(segmentation, h, w)
        assert rle_to_string(ours) == segmentation["counts"]
        assert rle_area([ours])[0] == coco_mask.area(segmentation)


def test_every_image_and_category_mask_iou_matrix_equals_cocoeval(evaluated):
    gt = evaluated.cocoGt
    checked = crowd_checked = 0
    for (image_id, category_id), expected in evaluated.ious.items():
        gts = evaluated._gts[image_id, category_id]
        dts = evaluated._dts[image_id, category_id]
        if len(expected) == 0:
            continue
        image = gt.imgs[image_id]
        h, w = image["height"], image["width"]
        order = np.argsort([-d["score"] for d in dts], kind="mergesort")
        dts = [dts[i] for i in order[: evaluated.params.maxDets[-1]]]
        ours = mask_iou(
            [rle_from_coco(d["segmentation"], h, w) for d in dts],
            [rle_from_coco(g["segmentation"], h, w) for g in gts],
            [bool(g["iscrowd"]) for g in gts],
        )
        np.testing.assert_array_equal(
            ours, np.asarray(expected), err_msg=str((image_id, category_id))
        )
        checked += 1
        crowd_checked += any(g["iscrowd"] for g in gts)
    assert checked > 100 and crowd_checked > 0, (checked, crowd_checked)
