"""Every file Shoal exports is read back by every Shoal reader of that format, to the same
numbers: ``as_coco`` / ``as_coco_results`` through ``evaluate_detections``, ``shoal eval``,
``shoal import`` and ``from_coco*``; ``as_yolo`` through ``from_yolo`` and ``shoal import
yolo``; ``as_voc`` through ``from_voc`` and ``shoal import voc``; the classification CSVs
through their readers and ``shoal import csv`` / ``csv-predictions``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import shoal
from shoal.cli import main
from shoal.store import Store

CLASSES = ("cat", "dog", "emu")


def _detection_data(rng: np.random.Generator) -> tuple[Any, Any]:
    """String frame and label ids (as a new user's script would make), sizes, boxes
    that land on whole pixels in YOLO's relative form, and scored predictions."""
    labeled, predicted = shoal.LabeledDataset(), shoal.Inferences()
    for f in range(6):
        frame_id = f"img-{f:02d}"
        frame = shoal.LabeledFrame(frame_id=frame_id)
        frame.add_image(image_url=f"{frame_id}.jpg", width=640, height=480)
        guesses = shoal.InferencesFrame(frame_id=frame_id)
        for k in range(int(rng.integers(1, 5))):
            x, y = (int(v) for v in rng.integers(0, 300, 2))
            w, h = (int(v) for v in rng.integers(8, 160, 2))
            name = CLASSES[int(rng.integers(0, len(CLASSES)))]
            frame.add_label_2d_bbox(
                label_id=f"{frame_id}/{k}", classification=name, left=x, top=y, width=w, height=h
            )
            for j in range(int(rng.integers(0, 3))):
                dx, dy = (int(v) for v in rng.integers(-6, 7, 2))
                guesses.add_inference_2d_bbox(
                    label_id=f"{frame_id}/{k}/{j}",
                    classification=name if rng.random() < 0.8 else CLASSES[0],
                    left=max(x + dx, 0),
                    top=max(y + dy, 0),
                    width=w,
                    height=h,
                    confidence=round(float(rng.uniform(0.05, 1.0)), 3),
                )
        labeled.add_frame(frame)
        predicted.add_frame(guesses)
    return labeled.to_tables(), predicted.to_tables()


def _stats(store_home: Path, name: str, dataset: Any, inferences: Any) -> dict[str, Any]:
    project = Store(store_home).create_project(name, task="detection")
    stored = project.create_dataset("gt", dataset)
    evaluation = stored.create_inference_set("model", inferences).evaluate()
    return {
        "coco": dict(evaluation.coco_summary().stats),
        "report": evaluation.report(0.3, 0.5).to_dict(),
    }


def _stored_stats(home: Path, project: str) -> dict[str, Any]:
    evaluation = Store(home).project(project).dataset("gt").inference_set("model").evaluate()
    return {
        "coco": dict(evaluation.coco_summary().stats),
        "report": evaluation.report(0.3, 0.5).to_dict(),
    }


@pytest.fixture
def detection(tmp_path: Path) -> tuple[Any, Any, dict[str, Any]]:
    dataset, inferences = _detection_data(np.random.default_rng(4))
    return dataset, inferences, _stats(tmp_path / "reference", "reference", dataset, inferences)


def _cli(capsys: Any, *args: str) -> None:
    assert main(list(args)) == 0, capsys.readouterr().err
    capsys.readouterr()


def test_coco_exports_read_back_by_every_coco_reader(detection, tmp_path, capsys):
    dataset, inferences, reference = detection
    gt_path, dt_path = tmp_path / "gt.json", tmp_path / "model.json"
    shoal.as_coco(dataset, gt_path)
    shoal.as_coco_results(inferences, dataset, dt_path)
    assert isinstance(json.loads(gt_path.read_text())["images"][0]["id"], str)

    evaluation = shoal.evaluate_detections(gt_path, dt_path)
    assert dict(evaluation.coco_summary().stats) == reference["coco"]
    assert evaluation.report(0.3, 0.5).to_dict() == reference["report"]

    out = tmp_path / "eval.json"
    _cli(capsys, "eval", str(gt_path), str(dt_path), "--json", str(out))
    assert json.loads(out.read_text())["coco"] == reference["coco"]

    home = tmp_path / "home"
    common = ["--project", "cli", "--dataset", "gt", "--home", str(home)]
    _cli(capsys, "import", "coco", str(gt_path), *common)
    _cli(capsys, "import", "coco-results", str(dt_path), *common, "--name", "model")
    assert _stored_stats(home, "cli") == reference

    again = shoal.from_coco(gt_path)
    assert _stats(home, "py", again, shoal.from_coco_results(dt_path, again)) == reference


def _close(left: dict[str, Any], right: dict[str, Any]) -> None:
    """Equal numbers, to the rounding of a relative format's text."""
    assert list(left["coco"]) == list(right["coco"])
    np.testing.assert_allclose(list(left["coco"].values()), list(right["coco"].values()), atol=1e-9)
    assert json.dumps(left["report"], sort_keys=True) == json.dumps(right["report"], sort_keys=True)


def test_yolo_export_read_back_by_from_yolo_and_shoal_import(detection, tmp_path, capsys):
    dataset, inferences, reference = detection
    data_yaml = shoal.as_yolo(dataset, tmp_path / "yolo")
    sizes = tmp_path / "sizes.csv"
    sizes.write_text(
        "frame_id,width,height\n"
        + "".join(f"{f},640,480\n" for f in dataset.frames.column("frame_id").to_pylist())
    )
    again = shoal.from_yolo(data_yaml, image_sizes=dataset)
    assert sorted(again.frames.column("frame_id").to_pylist()) == sorted(
        dataset.frames.column("frame_id").to_pylist()
    )
    _close(_stats(tmp_path / "home", "py", again, inferences), reference)
    labels = data_yaml.parent / "labels"
    home = tmp_path / "home"
    _cli(
        capsys, "import", "yolo", str(labels), "--project", "cli", "--dataset", "gt",
        "--class-names", str(_names_file(tmp_path)), "--image-sizes", str(sizes),
        "--home", str(home),
    )  # fmt: skip
    Store(home).project("cli").dataset("gt").create_inference_set("model", inferences)
    _close(_stored_stats(home, "cli"), reference)


def _names_file(tmp_path: Path) -> Path:
    path = tmp_path / "obj.names"
    path.write_text("".join(f"{name}\n" for name in CLASSES))
    return path


def test_voc_export_read_back_by_from_voc_and_shoal_import(detection, tmp_path, capsys):
    dataset, inferences, reference = detection
    shoal.as_voc(dataset, tmp_path / "voc")
    again = shoal.from_voc(tmp_path / "voc")
    assert _stats(tmp_path / "home", "py", again, inferences) == reference
    home = tmp_path / "home"
    _cli(capsys, "import", "voc", str(tmp_path / "voc"), "--project", "cli", "--dataset", "gt",
         "--home", str(home))  # fmt: skip
    Store(home).project("cli").dataset("gt").create_inference_set("model", inferences)
    assert _stored_stats(home, "cli") == reference


def test_classification_csvs_read_back_by_every_reader(tmp_path, capsys):
    rng = np.random.default_rng(2)
    labeled, predicted = shoal.LabeledDataset(), shoal.Inferences()
    for f in range(20):
        frame = shoal.LabeledFrame(frame_id=f"photo {f}")
        frame.add_label_2d_classification(
            label_id=f"l{f}", classification=CLASSES[int(rng.integers(0, 3))]
        )
        labeled.add_frame(frame)
        guess = shoal.InferencesFrame(frame_id=f"photo {f}")
        probabilities = rng.dirichlet(np.ones(3))
        guess.add_inference_2d_classification(
            label_id=f"p{f}",
            classification=CLASSES[int(np.argmax(probabilities))],
            confidence=float(np.max(probabilities)),
            probabilities=probabilities.tolist(),
        )
        predicted.add_frame(guess)
    dataset, inferences = labeled.to_tables(), predicted.to_tables()

    def report(home: Path, project: str) -> dict[str, Any]:
        stored = Store(home).project(project).dataset("gt").inference_set("model")
        return stored.evaluate().report(0.4).to_dict()

    home = tmp_path / "home"
    project = Store(home).create_project("reference", task="classification")
    project.create_dataset("gt", dataset).create_inference_set("model", inferences)
    reference = report(home, "reference")

    gt_csv, dt_csv = tmp_path / "labels.csv", tmp_path / "predictions.csv"
    shoal.as_classification_csv(dataset, gt_csv)
    shoal.as_classification_predictions_csv(inferences, dt_csv, list(CLASSES))
    again = shoal.from_classification_csv(gt_csv)
    project = Store(home).create_project("py", task="classification")
    project.create_dataset("gt", again).create_inference_set(
        "model", shoal.from_classification_predictions_csv(dt_csv, list(CLASSES))
    )
    assert report(home, "py") == reference

    common = ["--project", "cli", "--dataset", "gt", "--home", str(home)]
    _cli(capsys, "import", "csv", str(gt_csv), *common)
    _cli(capsys, "import", "csv-predictions", str(dt_csv), *common, "--name", "model")
    assert report(home, "cli") == reference
