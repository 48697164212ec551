"""The REST answers that carry stored geometry: a frame's rows with their masks and
keypoints and its classes' keypoint schemas, examples with their geometry, and the
metrics' iou_type (a real server app on a real store)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from shoal.formats.coco_tables import category_ids, from_coco, from_coco_results
from shoal.server import create_app
from shoal.store import Store

mask_api = pytest.importorskip("pycocotools.mask")


def _rle(top: int, left: int, size: int) -> dict:
    pixels = np.zeros((60, 80), np.uint8)
    pixels[top : top + size, left : left + size] = 1
    return {
        "size": [60, 80],
        "counts": mask_api.encode(np.asfortranarray(pixels))["counts"].decode(),
    }


TRUTH = {
    "images": [{"id": 1, "width": 80, "height": 60}],
    "annotations": [
        {"id": 1, "image_id": 1, "category_id": 1, "bbox": [5, 5, 20, 20], "area": 400.0,
         "iscrowd": 0, "segmentation": [[5, 5, 25, 5, 25, 25, 5, 25]]},
        {"id": 2, "image_id": 1, "category_id": 2, "bbox": [40, 10, 20, 30], "area": 300.0,
         "iscrowd": 0, "keypoints": [45, 15, 2, 50, 35, 1, 0, 0, 0], "num_keypoints": 2},
    ],
    "categories": [{"id": 1, "name": "cat"},
                   {"id": 2, "name": "person", "keypoints": ["head", "foot", "hand"],
                    "skeleton": [[1, 2], [2, 3]]}],
}  # fmt: skip
RESULTS = [{"image_id": 1, "category_id": 1, "score": 0.8, "segmentation": _rle(6, 6, 18)}]


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    dataset = from_coco(TRUTH)
    store = Store(tmp_path)
    classes = [{"name": n, "id": i} for n, i in category_ids(dataset).items()]
    stored = store.create_project("p", classes=classes).create_dataset("d", dataset)
    stored.create_inference_set("m", from_coco_results(RESULTS, dataset))
    return TestClient(create_app(store), base_url="http://localhost")


def test_frame_rows_carry_geometry_and_keypoint_schemas(client: TestClient) -> None:
    body = client.get(
        "/api/v1/projects/p/datasets/d/frame", params={"frame_id": "1", "inference_set": "m"}
    ).json()
    cat, person = body["labels"]
    assert cat["shape"] == "polygon" and cat["polygon"] == [[5, 5, 25, 5, 25, 25, 5, 25]]
    expected = mask_api.merge(mask_api.frPyObjects(cat["polygon"], 60, 80))["counts"].decode()
    assert cat["mask"] == {"height": 60, "width": 80, "counts": expected}
    assert person["keypoints"] == [45, 15, 2, 50, 35, 1, 0, 0, 0]
    assert body["keypoint_schemas"]["person"]["names"] == ["head", "foot", "hand"]
    assert body["keypoint_schemas"]["person"]["skeleton"] == [[1, 2], [2, 3]]
    assert body["predictions"]["m"][0]["mask"]["counts"] == RESULTS[0]["segmentation"]["counts"]


def test_examples_carry_geometry_and_metrics_their_iou_type(client: TestClient) -> None:
    base = "/api/v1/projects/p/datasets/d"
    page = client.get(f"{base}/inference-sets/m/examples", params={"conf": 0.1, "limit": 10}).json()
    shapes = sorted((e["kind"], (e["geometry"] or {}).get("shape")) for e in page["examples"])
    assert shapes == [
        ("ground_truth", "keypoints"),
        ("ground_truth", "polygon"),
        ("prediction", "mask"),
    ]
    metrics = client.get(
        f"{base}/metrics", params={"inference_set": "m", "include": "coco_summary"}
    ).json()
    assert metrics["results"][0]["iou_type"] == "segm"
    # Mask IoU of the 18 x 18 square inside the 20 x 20 one: 324 / 400.
    matched = next(e for e in page["examples"] if e["kind"] == "prediction")
    assert matched["iou"] == pytest.approx(324 / 400)


def test_keypoint_summary_has_the_keypoint_protocols_names(tmp_path: Path) -> None:
    from test_geometry_store_eval import _keypoint_files

    truth, results = _keypoint_files(np.random.default_rng(5))
    dataset = from_coco(truth)
    store = Store(tmp_path)
    classes = [{"name": n, "id": i} for n, i in category_ids(dataset).items()]
    stored = store.create_project("k", classes=classes).create_dataset("d", dataset)
    inference = stored.create_inference_set("m", from_coco_results(results, dataset))
    client = TestClient(create_app(store), base_url="http://localhost")
    body = client.get(
        "/api/v1/projects/k/datasets/d/metrics",
        params={"inference_set": "m", "include": "coco_summary"},
    ).json()
    summary = body["results"][0]["coco_summary"]
    expected = inference.metrics(include=["coco_summary"]).coco_summary.to_dict()
    assert summary == expected
    assert list(summary) == [
        "AP",
        "AP50",
        "AP75",
        "APm",
        "APl",
        "AR",
        "AR50",
        "AR75",
        "ARm",
        "ARl",
        "per_class",
    ]
    assert set(summary["per_class"]["person"]) == {"AP", "AP50", "AP75", "AR20"}


def test_client_uploads_masks_in_chunks_and_the_server_matches_on_them(tmp_path: Path) -> None:
    pytest.importorskip("uvicorn")
    from shoal.client import Client
    from test_client import serve

    from conftest import validation_folder

    folder = validation_folder("cocoapi-val2014-fake100")
    dataset = from_coco(folder / "instances_val2014_100.json")
    results = from_coco_results(folder / "instances_val2014_fakesegm100_results.json", dataset)
    store = Store(tmp_path)
    classes = [{"name": n, "id": i} for n, i in category_ids(dataset).items()]
    store.create_project("p", classes=classes)
    local = store.create_project("local", classes=classes).create_dataset("d", dataset)
    expected = local.create_inference_set("m", results).metrics(include=["coco_summary"])
    with serve(create_app(store)) as url, Client(url) as client:
        # Chunks of 100 rows: some hold only polygons, some only RLE masks.
        client.upload_dataset("p", "d", dataset, chunk_rows=100)
        client.upload_inference_set("p", "d", "m", results, chunk_rows=100)
    uploaded = store.project("p").dataset("d")
    for name in ("shape", "polygon", "mask"):
        assert uploaded.labels().column(name).to_pylist() == dataset.labels.column(name).to_pylist()
    metrics = uploaded.inference_set("m").metrics(include=["coco_summary"])
    assert metrics.iou_type == "segm"
    assert metrics.coco_summary.stats == expected.coco_summary.stats


def test_client_uploads_keep_keypoint_schemas_and_the_box_area_rule(tmp_path: Path) -> None:
    pytest.importorskip("uvicorn")
    from shoal.client import Client
    from shoal.tables import areas_are_boxes, keypoint_schemas
    from test_client import serve
    from test_geometry_store_eval import _keypoint_files

    truth, results = _keypoint_files(np.random.default_rng(8))
    people = from_coco(truth)
    guesses = from_coco_results(results, people)
    boxed_results = [{**r, "bbox": [1.0, 1.0, 30.0, 30.0]} for r in RESULTS]
    things = from_coco(TRUTH)
    boxed = from_coco_results(boxed_results, things)
    assert areas_are_boxes(boxed.predictions)
    store = Store(tmp_path)
    for name, data in (("k", people), ("t", things)):
        store.create_project(
            name, classes=[{"name": n, "id": i} for n, i in category_ids(data).items()]
        )
    with serve(create_app(store)) as url, Client(url) as client:
        client.upload_dataset("k", "d", people, chunk_rows=50)
        client.upload_inference_set("k", "d", "m", guesses, chunk_rows=50)
        client.upload_dataset("t", "d", things)
        client.upload_inference_set("t", "d", "m", boxed)
    kept = keypoint_schemas(store.project("k").dataset("d").labels())
    assert kept["person"].to_dict() == keypoint_schemas(people)["person"].to_dict()
    local = Store(tmp_path / "local")
    local.create_project(
        "k", classes=[{"name": n, "id": i} for n, i in category_ids(people).items()]
    )
    expected = local.project("k").create_dataset("d", people).create_inference_set("m", guesses)
    uploaded = store.project("k").dataset("d").inference_set("m")
    assert (
        uploaded.metrics(include=["coco_summary"]).coco_summary.stats
        == expected.metrics(include=["coco_summary"]).coco_summary.stats
    )
    assert areas_are_boxes(store.project("t").dataset("d").inference_set("m").predictions())
