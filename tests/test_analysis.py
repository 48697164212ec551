"""Regression tests over segments and comparisons of two inference sets."""

from __future__ import annotations

import numpy as np
import pytest

from shoal.store import ALL_FRAMES, Store
from shoal.tables import InferenceTables

from coco_oracle import coco_sample


@pytest.fixture
def dataset(tmp_path):
    _, _, dataset_tables, inference_tables = coco_sample(seed=31, num_images=12)
    store = Store(tmp_path)
    dataset = store.create_project("p", default_conf=0.3).create_dataset("val", dataset_tables)
    dataset.create_inference_set("base", inference_tables)
    half = inference_tables.predictions.filter(
        np.arange(inference_tables.predictions.num_rows) % 2 == 0
    )
    dataset.create_inference_set("half", InferenceTables.build(half))
    return dataset


def test_regression_results_payload_and_verdicts(dataset):
    frames = dataset.frames().column("frame_id").to_pylist()
    dataset.create_segment(
        "first half", type="regression_test", frames=frames[:6], precision=0.0, recall=1.01 - 0.01
    )
    dataset.create_segment("unchecked", type="scenario", frames=frames[6:])
    model = dataset.inference_set("base")
    results = model.regression_results()
    assert [r.segment_name for r in results] == [ALL_FRAMES, "first half", "unchecked"]
    evaluation = model.evaluate()
    for result, frame_ids in zip(results, (None, frames[:6], frames[6:]), strict=True):
        report = evaluation.report(0.3, 0.5, frames=frame_ids, classes=list(evaluation.labels))
        micro = report.averages()["micro avg"]
        assert result.precision.score == pytest.approx(micro["precision"])
        assert result.recall.score == pytest.approx(micro["recall"])
        assert result.f1_score.score == pytest.approx(micro["f1-score"])
        assert (
            result.false_positives == report.fp.sum() and result.false_negatives == report.fn.sum()
        )
    checked = results[1]
    # Each metric against its own threshold: precision >= 0 passes, recall >= 1 fails.
    assert checked.precision.succeeds is True
    assert checked.recall.succeeds is (checked.recall.score >= 1.0)
    assert checked.f1_score.succeeds is None
    assert results[2].succeeds is None
    payload = checked.to_dict()
    assert list(payload) == [
        "segment_name", "frame_count", "precision", "recall", "f1_score", "false_positives",
        "false_negatives", "total_confusions", "segment_type", "uuid", "succeeds", "stale",
    ]  # fmt: skip
    assert payload["stale"] is None
    assert payload["succeeds"] is checked.succeeds is (checked.recall.score >= 1.0)
    assert results[2].to_dict()["succeeds"] is None
    assert payload["precision"] == {
        "score": checked.precision.score,
        "threshold": 0.0,
        "succeeds": True,
    }
    assert payload["frame_count"] == 6 and payload["segment_type"] == "regression_test"
    assert results[0].to_dict()["frame_count"] == len(frames)


def test_total_confusions_are_the_matrix_off_diagonal(dataset):
    model = dataset.inference_set("base")
    result = model.regression_results(conf=0.0, iou=0.3)[0]
    matrix = (
        model.evaluate()
        .confusion_matrix(0.0, 0.3, classes=list(model.evaluate().labels))
        .matrix[:-1, :-1]
    )
    assert result.total_confusions == matrix.sum() - np.trace(matrix)


def test_comparison_deltas_cells_and_summary(dataset):
    base, half = dataset.inference_set("base"), dataset.inference_set("half")
    comparison = base.compare(half, conf=0.0, iou=0.5)
    np.testing.assert_array_equal(
        comparison.delta_matrix, comparison.other_matrix.matrix - comparison.base_matrix.matrix
    )
    labels = comparison.matrix_labels
    for i, truth in enumerate(labels):
        for j, predicted in enumerate(labels):
            cell = comparison.cell(truth, predicted)
            assert cell["delta"] == comparison.delta_matrix[i, j]
            # The documented hover text: <predicted> - <truth> +N (base -> other).
            assert (
                cell["text"]
                == f"{predicted} - {truth} {cell['delta']:+d} ({cell['base']} -> {cell['other']})"
            )
            if cell["delta"] and truth != "background" and i == j:
                assert cell["improved"] is (cell["delta"] > 0)
            elif cell["delta"]:
                assert cell["improved"] is (cell["delta"] < 0)
    fp_before = int(comparison.base.fp.sum())
    fp_after = int(comparison.other.fp.sum())
    assert fp_after < fp_before
    assert (
        f"false positives decreased by {fp_before - fp_after} ({fp_before} -> {fp_after})"
        in comparison.summary()
    )
    deltas = comparison.class_deltas()
    for label, row in deltas.items():
        assert (
            row["tp"]["delta"]
            == comparison.other.row(label)["tp"] - comparison.base.row(label)["tp"]
        )
    same = base.compare(base, conf=0.2)
    assert not same.delta_matrix.any()
    assert set(same.to_dict()) == {"classes", "confusion_matrix", "accuracy", "summary", "versions"}
