"""Per-class COCO AP, AP50, AP75 and AR100 (the metrics answer's ``coco_summary.per_class``)
equal pycocotools' per-category means of its ``eval['precision']`` and ``eval['recall']``
arrays, through the store, the REST API and the client; on a segment too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("pycocotools")
pytest.importorskip("fastapi")

from fastapi.testclient import TestClient

import shoal
from shoal.client import Client
from shoal.server import create_app
from test_client import serve

from coco_oracle import coco_sample, pycocotools_eval

DATASET = "/api/v1/projects/coco/datasets/val"


def pycocotools_per_class(gt: dict[str, Any], dt: list[dict[str, Any]]) -> dict[str, Any]:
    """{class name: {AP, AP50, AP75, AR100}} from pycocotools' arrays (-1: no ground
    truth), the definition its summarize() uses for the whole dataset, per category."""
    evaluator = pycocotools_eval(gt, dt)
    precision = evaluator.eval["precision"]  # (T, R, K, A, M)
    recall = evaluator.eval["recall"]  # (T, K, A, M)
    iou_index = {round(float(t), 2): i for i, t in enumerate(evaluator.params.iouThrs)}
    names = {c["id"]: c["name"] for c in gt["categories"]}

    def mean(values: np.ndarray) -> float:
        kept = values[values > -1]
        return float(kept.mean()) if kept.size else -1.0

    out = {}
    for k, category in enumerate(evaluator.params.catIds):
        area_all, max100 = 0, 2
        out[names[category]] = {
            "AP": mean(precision[:, :, k, area_all, max100]),
            "AP50": mean(precision[iou_index[0.5], :, k, area_all, max100]),
            "AP75": mean(precision[iou_index[0.75], :, k, area_all, max100]),
            "AR100": mean(recall[:, k, area_all, max100]),
        }
    return out


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    gt, dt, dataset_tables, inference_tables = coco_sample(seed=17, num_images=40)
    store = shoal.Store(Path(tmp_path_factory.mktemp("home")))
    project = store.create_project("coco", classes=[c["name"] for c in gt["categories"]])
    dataset = project.create_dataset("val", dataset_tables)
    dataset.create_inference_set("model", inference_tables)
    dataset.create_segment("rain", query="weather = 'rain'")
    yield {"gt": gt, "dt": dt, "store": store}
    store.close()


def close(ours: dict[str, dict[str, float]], theirs: dict[str, dict[str, float]]) -> None:
    assert set(ours) == set(theirs)
    for label, values in theirs.items():
        for name, value in values.items():
            assert ours[label][name] == pytest.approx(value, abs=1e-12), (label, name)


def test_per_class_ap_and_ar_equal_pycocotools(sample: dict[str, Any]) -> None:
    store: shoal.Store = sample["store"]
    expected = pycocotools_per_class(sample["gt"], sample["dt"])
    model = store.project("coco").dataset("val").inference_set("model")
    local = model.metrics(include=["coco_summary"]).coco_summary
    assert local is not None
    close(local.per_class(), expected)
    api = TestClient(create_app(store), base_url="http://localhost")
    answer = api.get(
        f"{DATASET}/metrics", params={"inference_set": "model", "include": "coco_summary"}
    )
    assert answer.status_code == 200, answer.text
    over_api = answer.json()["results"][0]["coco_summary"]["per_class"]
    close(
        {k: {n: (-1.0 if v is None else v) for n, v in d.items()} for k, d in over_api.items()},
        expected,
    )
    with serve(create_app(store)) as url, Client(url) as client:
        remote = client.coco_summary("coco", "val", "model")
        close(remote.per_class(), expected)


def test_per_class_ap_on_a_segment_equals_pycocotools_on_its_images(
    sample: dict[str, Any],
) -> None:
    gt, dt = sample["gt"], sample["dt"]
    rainy = {i["id"] for i in gt["images"] if i["id"] % 3 == 0}  # coco_tables' "rain"
    gt_rain = {
        **gt,
        "images": [i for i in gt["images"] if i["id"] in rainy],
        "annotations": [a for a in gt["annotations"] if a["image_id"] in rainy],
    }
    dt_rain = [d for d in dt if d["image_id"] in rainy]
    expected = pycocotools_per_class(gt_rain, dt_rain)
    model = sample["store"].project("coco").dataset("val").inference_set("model")
    on_segment = model.metrics(include=["coco_summary"], segment="rain").coco_summary
    by_query = model.metrics(include=["coco_summary"], query="weather = 'rain'").coco_summary
    assert on_segment is not None and by_query is not None
    close(on_segment.per_class(), expected)
    close(by_query.per_class(), expected)
