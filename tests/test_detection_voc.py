"""PASCAL VOC protocol: the published rafaelpadilla numbers and Valor's regression fixture."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from shoal.engine.detection.annotations import GroundTruth, Predictions
from shoal.engine.detection.evaluator import evaluate

from conftest import validation_folder


def read_text_boxes(gt_dir: Path, dt_dir: Path):
    """The rafaelpadilla text layout: one file per image, ``class [conf] x y w h``."""
    frames = sorted(p.stem for p in gt_dir.glob("*.txt"))
    gt_rows, dt_rows = [], []
    for frame in frames:
        for line in (gt_dir / f"{frame}.txt").read_text().splitlines():
            if line.split():
                name, *box = line.split()
                gt_rows.append((frame, name, [float(v) for v in box]))
        for line in (dt_dir / f"{frame}.txt").read_text().splitlines():
            if line.split():
                name, conf, *box = line.split()
                dt_rows.append((frame, name, float(conf), [float(v) for v in box]))
    classes = sorted({r[1] for r in gt_rows} | {r[1] for r in dt_rows})
    ground_truth = GroundTruth.from_arrays(
        frame_ids=frames,
        classes=classes,
        frames=[r[0] for r in gt_rows],
        labels=[classes.index(r[1]) for r in gt_rows],
        labels_are_indices=True,
        boxes=[r[2] for r in gt_rows],
    )
    predictions = Predictions.from_arrays(
        ground_truth,
        frames=[r[0] for r in dt_rows],
        labels=[classes.index(r[1]) for r in dt_rows],
        labels_are_indices=True,
        boxes=[r[3] for r in dt_rows],
        scores=[r[2] for r in dt_rows],
    )
    return ground_truth, predictions


# tests/test_eval_pascal.py of review_object_detection_metrics (rel_tol 1e-9 there).
SEVEN_IMAGES = [
    (0.10, 0.3333333333, 0.3371980676),
    (0.30, 0.2683982683, 0.2456866804),
    (0.50, 0.0303030303, 0.0222222222),
    (0.75, 0.0, 0.0),
]


@pytest.mark.parametrize(("iou", "eleven_point", "all_point"), SEVEN_IMAGES)
def test_seven_images_published_voc_ap(iou, eleven_point, all_point):
    folder = validation_folder("rafaelpadilla-object-detection-metrics")
    gt, dt = read_text_boxes(folder / "groundtruths", folder / "detections")
    assert (len(gt), len(dt)) == (15, 24)
    ev = evaluate(gt, dt, protocol="voc", pixel_inclusive=True, iou_thresholds=[0.1, 0.3])
    assert ev.average_precision(iou, interpolation="voc11")["person"] == pytest.approx(
        eleven_point, abs=1e-9
    )
    assert ev.average_precision(iou, interpolation="voc_all")["person"] == pytest.approx(
        all_point, abs=1e-9
    )


def test_seven_images_table_at_iou_03():
    folder = validation_folder("rafaelpadilla-object-detection-metrics")
    ev = evaluate(*read_text_boxes(folder / "groundtruths", folder / "detections"),
                  protocol="voc", pixel_inclusive=True, iou_thresholds=[0.3])  # fmt: skip
    report = ev.report(0.0, 0.3)
    assert (int(report.tp[0]), int(report.fp[0])) == (7, 17)
    assert report.recall[0] == pytest.approx(7 / 15)
    # The README: 24.56% computed from truncated values; results.txt prints 24.57%.
    assert round(ev.average_precision(0.3)["person"] * 100, 2) == 24.57


def test_review_repo_test_case_1_is_the_same_data():
    folder = validation_folder("rafaelpadilla-review-object-detection-metrics")
    gt, dt = read_text_boxes(folder / "tests/test_case_1/gts", folder / "tests/test_case_1/dets")
    ev = evaluate(gt, dt, protocol="voc", pixel_inclusive=True, iou_thresholds=[0.1, 0.3])
    for iou, eleven, every in SEVEN_IMAGES:
        assert ev.average_precision(iou, interpolation="voc11")["object"] == pytest.approx(
            eleven, abs=1e-9
        )
        assert ev.average_precision(iou, interpolation="voc_all")["object"] == pytest.approx(
            every, abs=1e-9
        )


def read_toy_example(folder: Path):
    frames, gt_rows = [], []
    for xml in sorted((folder / "gts_vocpascal_format").glob("*.xml")):
        frames.append(xml.stem)
        for obj in ET.parse(xml).getroot().iter("object"):
            if obj.findtext("name") != "cat":
                continue
            b = obj.find("bndbox")
            assert b is not None
            x1, y1, x2, y2 = (
                float(b.findtext(k) or "nan") for k in ("xmin", "ymin", "xmax", "ymax")
            )
            gt_rows.append((xml.stem, [x1, y1, x2 - x1, y2 - y1]))
    dt_rows = []
    for path in sorted((folder / "dets_classname_abs_xywh").glob("*.txt")):
        for line in path.read_text().splitlines():
            name, conf, *box = line.split()
            if name == "cat":
                dt_rows.append((path.stem, float(conf), [float(v) for v in box]))
    ground_truth = GroundTruth.from_arrays(
        frame_ids=frames, classes=["cat"], frames=[r[0] for r in gt_rows],
        labels=[0] * len(gt_rows), labels_are_indices=True, boxes=[r[1] for r in gt_rows],
    )  # fmt: skip
    predictions = Predictions.from_arrays(
        ground_truth, frames=[r[0] for r in dt_rows], labels=[0] * len(dt_rows),
        labels_are_indices=True, boxes=[r[2] for r in dt_rows], scores=[r[1] for r in dt_rows],
    )  # fmt: skip
    return ground_truth, predictions


@pytest.mark.parametrize("pixel_inclusive", [False, True])
def test_toy_example_published_cat_ap(pixel_inclusive):
    folder = validation_folder("rafaelpadilla-review-object-detection-metrics") / "toyexample"
    gt, dt = read_toy_example(folder)
    assert (len(gt), len(dt)) == (12, 12)
    ev = evaluate(gt, dt, protocol="voc", pixel_inclusive=pixel_inclusive)
    assert round(ev.average_precision(0.5, interpolation="voc11")["cat"] * 100, 2) == 88.64
    assert round(ev.average_precision(0.5, interpolation="voc_all")["cat"] * 100, 2) == 89.58
    assert round(ev.average_precision(0.75, interpolation="voc11")["cat"] * 100, 2) == 49.24
    assert round(ev.average_precision(0.75, interpolation="voc_all")["cat"] * 100, 2) == 50.97
    assert ev.average_precision(0.5)["cat"] == pytest.approx(0.8958333333, abs=1e-9)
    report = ev.report(0.0, 0.5)
    assert (int(report.tp[0]), int(report.fp[0])) == (11, 1)
    report = ev.report(0.0, 0.75)
    assert (int(report.tp[0]), int(report.fp[0])) == (8, 4)


def test_valor_regression_counts_and_ap():
    folder = validation_folder("valor-coco-regression")
    datums = json.loads((folder / "coco_input.json").read_text())
    expected = json.loads((folder / "coco_output.json").read_text())
    names = sorted(
        {
            label
            for d in datums
            for box in d["groundtruths"] + d["predictions"]
            for label in box["labels"]
        }
    )

    def columns(boxes):
        return [[b["xmin"], b["ymin"], b["xmax"] - b["xmin"], b["ymax"] - b["ymin"]] for b in boxes]

    gts = [(d["uid"], b) for d in datums for b in d["groundtruths"]]
    dts = [(d["uid"], b) for d in datums for b in d["predictions"]]
    ground_truth = GroundTruth.from_arrays(
        frame_ids=[d["uid"] for d in datums], classes=names, frames=[u for u, _ in gts],
        labels=[names.index(b["labels"][0]) for _, b in gts], labels_are_indices=True,
        boxes=columns([b for _, b in gts]),
    )  # fmt: skip
    predictions = Predictions.from_arrays(
        ground_truth, frames=[u for u, _ in dts], labels=[names.index(b["labels"][0]) for _, b in dts],
        labels_are_indices=True, boxes=columns([b for _, b in dts]), scores=[b["scores"][0] for _, b in dts],
    )  # fmt: skip
    ev = evaluate(ground_truth, predictions, protocol="voc", iou_thresholds=[0.1])
    report = ev.report(0.5, 0.1, classes=names)
    for entry in expected["Counts"]:
        row = report.row(entry["parameters"]["label"])
        assert (row["tp"], row["fp"], row["fn"]) == tuple(
            entry["value"][k] for k in ("tp", "fp", "fn")
        )
    for metric, key in (("Precision", "precision"), ("Recall", "recall"), ("F1", "f1-score")):
        for entry in expected[metric]:
            assert report.row(entry["parameters"]["label"])[key] == pytest.approx(
                entry["value"], abs=1e-12
            )
    ap = ev.average_precision(0.1, interpolation="coco101", classes=names)
    for entry in expected["AP"]:
        label = entry["parameters"]["label"]
        if label in ("person", "bus"):
            assert ap[label] == pytest.approx(entry["value"], abs=1e-12)
        else:  # no ground truth: Valor says 0, Shoal says -1 (undefined) as COCO does
            assert ap[label] == -1.0 and entry["value"] == 0.0
    assert ap["mAP"] == pytest.approx(np.mean([ap["person"], ap["bus"]]))
