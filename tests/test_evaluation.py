"""One evaluation protocol for both tasks, and one path for every COCO statistic."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

import shoal
from shoal.analysis import Comparison
from shoal.demo.synthetic import generate_coco
from shoal.engine.classification import ClassificationEvaluation, evaluate_classifications
from shoal.engine.detection.annotations import Classes, GroundTruth, Predictions
from shoal.engine.detection.evaluator import DetectionEvaluation, evaluate
from shoal.engine.evaluation import Evaluation
from shoal.engine.metrics import ClassificationReport, ConfusionMatrix
from shoal.errors import InputError
from shoal.server import create_app

from coco_oracle import pycocotools_stats, random_coco, to_columns

QUERIES = (
    "report",
    "confusion_matrix",
    "outcomes",
    "pr_curve",
    "pr_curves",
    "best_thresholds",
    "coco_summary",
)


def _parameters(owner: type, name: str) -> list[tuple[str, Any, Any]]:
    signature = inspect.signature(getattr(owner, name))
    return [(p.name, p.kind, p.default) for p in signature.parameters.values()]


def _classifications() -> ClassificationEvaluation:
    rng = np.random.default_rng(4)
    labels = ["ant", "bee", "cat"]
    truth = rng.integers(0, 3, 60)
    scores = rng.dirichlet(np.ones(3), 60)
    scores[np.arange(60), truth] += 0.4 * rng.random(60)
    scores /= scores.sum(axis=1, keepdims=True)
    return evaluate_classifications(
        [labels[t] for t in truth],
        scores=scores,
        labels=labels,
        frame_ids=[f"f{i}" for i in range(60)],
    )


def _detections() -> DetectionEvaluation:
    gt, dt = random_coco(np.random.default_rng(12), num_images=10)
    return evaluate(*to_columns(gt, dt))


# ------------------------------------------------------------------ protocol
@pytest.mark.parametrize("name", QUERIES)
def test_both_tasks_answer_each_query_with_the_protocols_signature(name: str) -> None:
    expected = _parameters(Evaluation, name)
    assert _parameters(DetectionEvaluation, name) == expected
    assert _parameters(ClassificationEvaluation, name) == expected


def test_both_evaluations_are_evaluations_and_say_what_they_hold() -> None:
    detection, classification = _detections(), _classifications()
    assert isinstance(detection, Evaluation) and isinstance(classification, Evaluation)
    assert (detection.task, classification.task) == ("detection", "classification")
    assert detection.num_frames == detection.ground_truth.num_frames == len(detection.frame_ids)
    assert classification.num_frames == 60 == len(classification.frame_ids)
    assert detection.has_coco_summary and not classification.has_coco_summary
    voc = evaluate(detection.ground_truth, detection.predictions, protocol="voc")
    assert not voc.has_coco_summary


def test_classification_takes_iou_and_ignores_it() -> None:
    ev = _classifications()
    frames = [f"f{i}" for i in range(0, 60, 3)]
    for iou in (0.1, 0.5, 0.95):
        assert ev.report(0.4, iou).to_dict() == ev.report(0.4).to_dict()
        assert ev.report(0.4, iou=iou, frames=frames).to_dict() == (
            ev.report(0.4, frames=frames).to_dict()
        )
        assert ev.confusion_matrix(0.4, iou).to_dict() == ev.confusion_matrix(0.4).to_dict()
        with_iou, without = ev.outcomes(0.4, iou), ev.outcomes(0.4)
        for name in with_iou.COLUMNS:  # NaN confidences of ground truth compare equal here
            np.testing.assert_array_equal(getattr(with_iou, name), getattr(without, name))
        assert ev.pr_curve("bee", iou=iou).to_dict() == ev.pr_curve("bee").to_dict()
        assert {k: v.to_dict() for k, v in ev.pr_curves(iou=iou).items()} == {
            k: v.to_dict() for k, v in ev.pr_curves().items()
        }
        assert ev.best_thresholds(iou=iou) == ev.best_thresholds()
        assert ev.average_precision(iou) == ev.average_precision()
    assert ev.coco_summary() is None
    assert ev.report(0.4, 0.7).iou is None  # nothing was measured at an IoU


def test_one_caller_serves_both_tasks() -> None:
    """What the store, the server and analysis do: ask the protocol, never the type."""

    def answers(evaluation: Evaluation) -> dict[str, Any]:
        first = evaluation.frame_ids[: evaluation.num_frames // 2].tolist()
        summary = evaluation.coco_summary(frames=first)
        return {
            "report": evaluation.report(0.3, 0.5, frames=first),
            "matrix": evaluation.confusion_matrix(0.3, 0.5, frames=first),
            "outcomes": evaluation.outcomes(0.3, 0.5, frames=first),
            "summary": summary,
        }

    detection = answers(_detections())
    classification = answers(_classifications())
    assert detection["summary"] is not None and classification["summary"] is None
    for found in (detection, classification):
        # The matrix's diagonal is the report's TP; the outcomes are its rows.
        report, matrix = found["report"], found["matrix"]
        for label in report.labels:
            assert matrix.cell(label, label) == report.row(label)["tp"]
            assert len(found["outcomes"].in_cell(label, label)) == report.row(label)["tp"]


# ----------------------------------------------- COCO statistics, bit for bit
def _permuted_columns(
    gt: dict[str, Any], dt: list[dict[str, Any]], order: list[int]
) -> tuple[GroundTruth, Predictions]:
    """``to_columns`` with the classes in ``order`` (category ids) instead of by id."""
    ground_truth, predictions = to_columns(gt, dt)
    names = dict(
        zip(ground_truth.classes.ids.tolist(), ground_truth.classes.names.tolist(), strict=True)
    )
    classes = Classes.from_ids(order, [names[i] for i in order])
    category = ground_truth.classes.ids
    permuted = GroundTruth.from_arrays(
        frame_ids=ground_truth.frame_ids,
        classes=classes,
        frames=ground_truth.frame_ids[ground_truth.frame],
        labels=category[ground_truth.label],
        boxes=ground_truth.box,
        area=ground_truth.area,
        iscrowd=ground_truth.iscrowd,
        ids=ground_truth.ids,
    )
    return permuted, Predictions.from_arrays(
        permuted,
        frames=ground_truth.frame_ids[predictions.frame],
        labels=category[predictions.label],
        boxes=predictions.box,
        scores=predictions.score,
        ids=predictions.ids,
    )


def test_coco_statistics_do_not_depend_on_the_class_order() -> None:
    gt, dt = generate_coco(200, seed=5)
    expected = pycocotools_stats(gt, dt)
    ids = sorted(c["id"] for c in gt["categories"])
    for order in (ids, ids[::-1], sorted(ids, key=lambda i: (i * 37) % 11)):
        ev = evaluate(*_permuted_columns(gt, dt, order))
        assert ev.coco_summary().stats == expected  # exactly, not approximately
        assert ev.coco_summary().labels == ev.labels  # per-class rows keep their order


def test_coco_statistics_are_identical_on_every_path(tmp_path: Path) -> None:
    """Files, reloaded matchings, the store (fresh and reopened) and the server all give
    pycocotools' statistics to the last bit."""
    gt, dt = generate_coco(200, seed=5)
    expected = pycocotools_stats(gt, dt)

    direct = shoal.evaluate_detections(gt, dt)
    assert direct.coco_summary().stats == expected
    reloaded = DetectionEvaluation.from_kept_state(
        direct.ground_truth, direct.predictions, direct.kept_state()
    )
    assert reloaded.coco_summary().stats == expected

    store = shoal.Store(tmp_path)
    project = store.create_project("coco")
    dataset = project.create_dataset("val", shoal.from_coco(gt))
    model = dataset.create_inference_set("m", shoal.from_coco_results(dt, dataset.tables()))
    # The project lists classes by name, not by category id: the order really differs.
    by_id = [c["name"] for c in sorted(gt["categories"], key=lambda c: c["id"])]
    assert [c.name for c in project.classes()] != by_id
    # Classes with ground truth keep their category ids (a class only predictions use
    # comes with the results and is numbered after them; it has no statistic to sum).
    labelled = set(dataset.labels().column("class_name").to_pylist())
    assert {c.name: c.id for c in project.classes() if c.name in labelled} == {
        c["name"]: c["id"] for c in gt["categories"] if c["name"] in labelled
    }
    assert model.evaluate().coco_summary().stats == expected

    reopened = shoal.Store(tmp_path).project("coco").dataset("val").inference_set("m")
    assert reopened.evaluate().coco_summary().stats == expected  # from the kept matching

    client = TestClient(create_app(shoal.Store(tmp_path)), base_url="http://localhost")
    answer = client.get(
        "/api/v1/projects/coco/datasets/val/metrics",
        params={"inference_set": "m", "include": ["coco_summary"]},
    ).json()
    summary = answer["results"][0]["coco_summary"]
    assert {name: summary[name] for name in expected} == expected


# ------------------------------------------------------------- bad arguments
def test_bad_query_arguments_are_input_errors_that_name_the_choices() -> None:
    ev = _detections()
    with pytest.raises(InputError, match="unknown interpolation 'coco'; use one of 'coco101', "):
        ev.average_precision(interpolation="coco")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="IoU threshold 'high' is not a number"):
        ev.report(0.3, "high")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="confidence threshold None is not a number"):
        ev.report(None)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="confidence threshold of 'x'"):
        ev.report({"x": "0.5"})  # type: ignore[dict-item]
    with pytest.raises(InputError, match=r"unknown class None; classes are \["):
        ev.report(classes=[None])  # type: ignore[list-item]
    with pytest.raises(InputError, match=r"unknown frame id 123456789$"):
        ev.report(frames=[np.int64(123456789)])  # the value, not np.int64(...)
    report, matrix = ev.report(0.3), ev.confusion_matrix(0.3)
    with pytest.raises(InputError, match="unknown class 'nope'"):
        report.row("nope")
    with pytest.raises(InputError, match="unknown class 'nope'"):
        matrix.cell("nope", "background")
    with pytest.raises(InputError, match="cannot normalize by 'rows'; use one of row, column"):
        matrix.normalized("rows")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="unknown COCO statistic 'mAP'; use one of AP, AP50"):
        ev.coco_summary()["mAP"]
    with pytest.raises(InputError, match="offset >= 0"):
        ev.outcomes(0.3).page(-1)
    with pytest.raises(InputError, match=r"iou_thresholds \['x'\] are not numbers"):
        evaluate(ev.ground_truth, ev.predictions, iou_thresholds=["x"])
    classification = _classifications()
    with pytest.raises(InputError, match="beta 'x' is not a number"):
        classification.fbeta_score("x")  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"unknown class 'nope'; classes are \['ant'"):
        classification.report({"nope": 0.5})
    with pytest.raises(InputError, match="unknown frame id 'f999'"):
        classification.outcomes(frames=[np.str_("f999")])


# -------------------------------------------------------------- comparisons
def _side(matrix: list[list[int]]) -> tuple[ClassificationReport, ConfusionMatrix]:
    counts = np.asarray(matrix, dtype=np.int64)
    tp = np.diag(counts)[:-1]
    report = ClassificationReport(
        labels=("delta", "straight"),
        tp=tp,
        fp=counts[:, :-1].sum(axis=0) - tp,
        fn=counts[:-1, :].sum(axis=1) - tp,
        conf=0.5,
    )
    return report, ConfusionMatrix(("delta", "straight", "background"), counts, conf=0.5)


def test_comparison_cells_read_as_the_reference_docs() -> None:
    """``delta - straight +10 (2 -> 12)``: predicted delta, truth straight, 10 more."""
    base_report, base_matrix = _side([[5, 0, 1], [2, 7, 3], [4, 1, 0]])
    other_report, other_matrix = _side([[6, 0, 0], [12, 7, 2], [4, 0, 0]])
    comparison = Comparison(
        ("delta", "straight"), base_report, other_report, base_matrix, other_matrix
    )
    assert comparison.cell_text("straight", "delta") == "delta - straight +10 (2 -> 12)"
    assert comparison.cell("straight", "delta")["improved"] is False  # more confusion
    assert comparison.cell_text("delta", "delta") == "delta - delta +1 (5 -> 6)"
    assert comparison.cell("delta", "delta")["improved"] is True
    assert comparison.cell_text("straight", "background") == "background - straight -1 (3 -> 2)"
    assert comparison.cell("straight", "background")["improved"] is True  # fewer misses
    assert comparison.cell_text("background", "straight") == "straight - background -1 (1 -> 0)"
    assert comparison.cell("straight", "straight")["improved"] is None  # unchanged
    labels = comparison.matrix_labels
    assert comparison.cells() == [comparison.cell(t, p) for t in labels for p in labels]
    with pytest.raises(InputError, match="unknown class 'curve'"):
        comparison.cell("curve", "delta")
