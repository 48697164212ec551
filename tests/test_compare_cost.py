"""Cost follows the classes the data uses, not the project's class list (issue 11,
defect 1): a project declaring thousands of classes whose data uses twenty answers
/compare, /metrics, /examples and /regression with matrices over those twenty, and
the same numbers as the dense computation over every class."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient

import shoal
from shoal.analysis._classes import MAX_COMPARED_CLASSES, MAX_MATRIX_CLASSES
from shoal.server import create_app
from shoal.store import Dataset
from shoal.tables import DatasetTables, InferenceTables

from coco_oracle import coco_tables, random_coco

API = "/api/v1/projects/p/datasets/val"


def detection_dataset(store: shoal.Store, declared: int, used: int, seed: int = 3) -> Dataset:
    """A detection project declaring ``declared`` unused classes besides the ``used``
    ones its data has, with inference sets "base" and "half" (every other prediction)."""
    gt, dt = random_coco(np.random.default_rng(seed), num_images=30, num_classes=used)
    dataset_tables, inference_tables = coco_tables(gt, dt)
    project = store.create_project(
        "p", classes=[f"declared-{i}" for i in range(declared)], default_conf=0.2
    )
    dataset = project.create_dataset("val", dataset_tables)
    dataset.create_inference_set("base", inference_tables)
    predictions = inference_tables.predictions
    half = predictions.filter(np.arange(predictions.num_rows) % 2 == 0)
    dataset.create_inference_set("half", InferenceTables.build(half))
    return dataset


def classification_dataset(
    store: shoal.Store, declared: int, used: int, frames: int = 80, seed: int = 5
) -> Dataset:
    """A classification project declaring ``declared`` classes; the data uses ``used``."""
    rng = np.random.default_rng(seed)
    names = [f"c{i}" for i in range(used)]
    ids = [f"f{i}" for i in range(frames)]
    truth = [names[i % used] for i in range(frames)]
    project = store.create_project(
        "p",
        task="classification",
        classes=[*names, *(f"declared-{i}" for i in range(declared))],
        default_conf=0.3,
    )
    labels = pa.table({"label_id": ids, "frame_id": ids, "class_name": truth})
    dataset = project.create_dataset(
        "val", DatasetTables.build(pa.table({"frame_id": ids}), labels)
    )
    for name in ("base", "half"):
        guesses = rng.choice(names, frames).tolist()
        predictions = pa.table(
            {"frame_id": ids, "class_name": guesses, "confidence": rng.uniform(0, 1, frames)}
        )
        dataset.create_inference_set(name, InferenceTables.build(predictions))
    return dataset


def client_of(store: shoal.Store) -> TestClient:
    return TestClient(create_app(store), base_url="http://localhost")


def used_classes(dataset: Dataset) -> set[str]:
    names = set(dataset.labels().column("class_name").to_pylist())
    for name in ("base", "half"):
        predictions = dataset.inference_set(name).predictions()
        names |= set(predictions.column("class_name").to_pylist())
    return names


def get(client: TestClient, url: str, **params: Any) -> Any:
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("declared", [1000, 4000])
def test_every_matrix_answer_is_over_the_classes_the_data_uses(tmp_path, declared):
    store = shoal.Store(tmp_path)
    dataset = detection_dataset(store, declared=declared, used=20)
    used = used_classes(dataset)
    assert len(store.project("p").classes()) == declared + len(used)
    client = client_of(store)

    comparison = get(client, f"{API}/compare", base="base", other="half")
    labels = comparison["confusion_matrix"]["labels"]
    assert set(labels) == used | {"background"}
    # The work done is what is answered: (classes used + background) squared cells.
    assert len(comparison["cells"]) == len(labels) ** 2 <= 21**2
    assert set(comparison["classes"]) == used
    assert comparison["versions"] == {"base": 1, "other": 1}

    metrics = get(client, f"{API}/metrics", inference_set=["base", "half"])
    for result in metrics["results"]:
        assert set(result["confusion_matrix"]["labels"]) <= used | {"background"}
        assert {row["label"] for row in result["report"]["classes"]} <= used

    page = get(client, f"{API}/inference-sets/base/examples", limit=1000)
    assert page["version"] == 1 and page["dataset_version"] == 1
    assert page["total"] > 0 and {example["label"] for example in page["examples"]} <= used
    results = get(client, f"{API}/inference-sets/base/regression")
    assert results[0]["segment_name"] == "All Frames"


def dense_cells(
    dataset: Dataset, conf: float, iou: float
) -> dict[tuple[str, str], tuple[int, int]]:
    """(truth, predicted) -> (base, other) over every class of the project: the engine's
    matrices with every class asked for by name, the dense computation."""
    matrices = []
    for name in ("base", "half"):
        evaluation = dataset.inference_set(name).evaluate()
        matrices.append(evaluation.confusion_matrix(conf, iou, classes=list(evaluation.labels)))
    labels = matrices[0].labels
    return {
        (truth, predicted): (int(matrices[0].matrix[i, j]), int(matrices[1].matrix[i, j]))
        for i, truth in enumerate(labels)
        for j, predicted in enumerate(labels)
    }


def small_dataset(store: shoal.Store, task: str, declared: int, used: int) -> Dataset:
    if task == "detection":
        return detection_dataset(store, declared=declared, used=used)
    return classification_dataset(store, declared=declared, used=used)


@pytest.mark.parametrize("task", ["detection", "classification"])
def test_sparse_cells_equal_the_dense_computation(tmp_path, task):
    dataset = small_dataset(shoal.Store(tmp_path), task, declared=7, used=5)
    conf, iou = 0.2 if task == "detection" else 0.3, 0.5
    dense = dense_cells(dataset, conf, iou)
    comparison = dataset.inference_set("base").compare(dataset.inference_set("half"), conf=conf)
    cells = {(c["truth"], c["predicted"]): (c["base"], c["other"]) for c in comparison.cells()}
    assert len(comparison.matrix_labels) < len(dataset.project.classes()) + 1
    for key, counts in dense.items():
        # A cell left out is zero in both dense matrices.
        assert cells.get(key, (0, 0)) == counts, key
    assert set(cells) <= set(dense)
    # Per-class rows: those left out count nothing in either report.
    for name in ("base", "half"):
        evaluation = dataset.inference_set(name).evaluate()
        report = evaluation.report(conf, iou, classes=list(evaluation.labels))
        side = "base" if name == "base" else "other"
        deltas = comparison.class_deltas()
        for label in report.labels:
            row = report.row(label)
            if label in deltas:
                assert deltas[label]["tp"][side] == row["tp"]
                assert deltas[label]["fn"][side] == row["fn"]
                assert deltas[label]["fp"][side] == row["fp"]
            else:
                assert row["tp"] == row["fp"] == row["fn"] == 0, label


@pytest.mark.parametrize("task", ["detection", "classification"])
def test_regression_and_metrics_matrix_equal_the_dense_computation(tmp_path, task):
    dataset = small_dataset(shoal.Store(tmp_path), task, declared=9, used=4)
    inference = dataset.inference_set("base")
    evaluation = inference.evaluate()
    conf = dataset.project.default_conf
    every = list(evaluation.labels)
    report = evaluation.report(conf, 0.5, classes=every)
    full = evaluation.confusion_matrix(conf, 0.5, classes=every).matrix
    result = inference.regression_results()[0]
    micro = report.averages()["micro avg"]
    assert result.precision.score == pytest.approx(micro["precision"])
    assert result.recall.score == pytest.approx(micro["recall"])
    off_diagonal = full[:-1, :-1]
    assert result.total_confusions == off_diagonal.sum() - np.trace(off_diagonal)
    shown = inference.metrics().confusion_matrix
    assert shown is not None and len(shown.labels) - 1 < len(every)
    for i, truth in enumerate([*every, "background"]):
        for j, predicted in enumerate([*every, "background"]):
            if truth in shown.labels and predicted in shown.labels:
                assert shown.cell(truth, predicted) == full[i, j]
            else:
                assert full[i, j] == 0, (truth, predicted)


def test_a_comparison_over_too_many_classes_is_refused_with_a_reason(tmp_path):
    store = shoal.Store(tmp_path)
    used = MAX_COMPARED_CLASSES + 1
    dataset = classification_dataset(store, declared=0, used=used, frames=used)
    client = client_of(store)
    response = client.get(f"{API}/compare", params={"base": "base", "other": "half"})
    assert response.status_code == 400, response.text
    assert f"involves {used} classes" in response.json()["detail"]
    # A segment with fewer classes answers.
    frames = dataset.frames().column("frame_id").to_pylist()[:10]
    dataset.create_segment("few", frames=frames)
    few = get(client, f"{API}/compare", base="base", other="half", segment="few")
    assert len(few["confusion_matrix"]["labels"]) <= 3 * 10 + 1  # 10 truths, 2 x 10 guesses


def test_a_confusion_matrix_over_too_many_classes_is_refused_with_a_reason(tmp_path):
    store = shoal.Store(tmp_path)
    used = MAX_MATRIX_CLASSES + 1
    classification_dataset(store, declared=0, used=used, frames=used)
    client = client_of(store)
    response = client.get(f"{API}/metrics", params={"inference_set": "base"})
    assert response.status_code == 400, response.text
    assert f"the confusion matrix involves {used} classes" in response.json()["detail"]
    # The report alone answers (one row per class, not their square).
    report = get(client, f"{API}/metrics", inference_set="base", include="report")
    assert len(report["results"][0]["report"]["classes"]) == used


def test_the_rest_answer_reads_back_with_its_versions(tmp_path):
    from shoal.analysis import Comparison

    store = shoal.Store(tmp_path)
    dataset = detection_dataset(store, declared=50, used=6)
    answer = get(client_of(store), f"{API}/compare", base="base", other="half")
    back = Comparison.from_dict(answer)
    assert back.versions == (1, 1)
    assert back.cells() == answer["cells"]
    computed = dataset.inference_set("base").compare(dataset.inference_set("half"))
    assert computed.versions == (1, 1) and computed.cells() == answer["cells"]
