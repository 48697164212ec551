"""TIDE through the store and the REST API: InferenceSet.tide equals tidecv on the stored
data (whole dataset and a segment's frames), is cached per version and thresholds, and
GET .../inference-sets/{s}/tide answers the same numbers, per class too."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("tidecv")
pytest.importorskip("fastapi")

from fastapi.testclient import TestClient

import shoal
from shoal.analysis.tide import MAIN_ERRORS, SPECIAL_ERRORS
from shoal.engine.detection.tide_assignment import CROWD_IGNORED
from shoal.server import create_app
from test_tide import tidecv_breakdown

from coco_oracle import coco_sample


def tidecv_files(
    gt: dict[str, Any], dt: list[dict[str, Any]], folder: Path, images: set[int] | None = None
) -> tuple[Path, Path]:
    """The data as tidecv's COCO reader wants it (file names, segmentations), images
    listed by id (the order Shoal walks frames in), only ``images`` when given."""
    kept = sorted(
        (im for im in gt["images"] if images is None or im["id"] in images),
        key=lambda im: im["id"],
    )
    ids = {im["id"] for im in kept}
    annotations = []
    for ann in gt["annotations"]:
        if ann["image_id"] not in ids:
            continue
        x, y, w, h = ann["bbox"]
        annotations.append({**ann, "segmentation": [[x, y, x + w, y, x + w, y + h]]})
    gt_path, dt_path = folder / "gt.json", folder / "dt.json"
    gt_path.write_text(
        json.dumps(
            {
                "images": [{**im, "file_name": f"{im['id']}.jpg"} for im in kept],
                "annotations": annotations,
                "categories": gt["categories"],
            }
        )
    )
    dt_path.write_text(json.dumps([d for d in dt if d["image_id"] in ids]))
    return gt_path, dt_path


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    gt, dt, dataset_tables, inference_tables = coco_sample(seed=23, num_images=40)
    store = shoal.Store(Path(tmp_path_factory.mktemp("home")))
    project = store.create_project("coco", classes=[c["name"] for c in gt["categories"]])
    dataset = project.create_dataset("val", dataset_tables)
    inference_set = dataset.create_inference_set("model", inference_tables)
    frames = sorted(dataset.frames().column("frame_id").to_pylist())[::2]
    dataset.create_segment("half", frames=frames)
    yield {"gt": gt, "dt": dt, "store": store, "set": inference_set, "frames": frames}


def assert_same(ours: Any, theirs: tuple[float, dict[str, float], dict[str, int]]) -> None:
    ap, dap, counts = theirs
    assert ours.ap == pytest.approx(ap, abs=1e-6)
    for name in (*MAIN_ERRORS, *SPECIAL_ERRORS):
        assert ours.dap[name] == pytest.approx(dap[name], abs=1e-6), name
    assert ours.counts == counts


def test_inference_set_tide_equals_tidecv(sample: dict[str, Any], tmp_path: Path) -> None:
    ours = sample["set"].tide()
    assert_same(ours, tidecv_breakdown(*tidecv_files(sample["gt"], sample["dt"], tmp_path)))
    # Per class, the counts add up to the totals.
    for name in MAIN_ERRORS:
        assert sum(entry.counts[name] for entry in ours.per_class) == ours.counts[name]


def test_segment_tide_equals_tidecv_on_its_frames(sample: dict[str, Any], tmp_path: Path) -> None:
    ours = sample["set"].tide(segment="half", fg_iou=0.6, bg_iou=0.2)
    images = {int(f) for f in sample["frames"]}
    files = tidecv_files(sample["gt"], sample["dt"], tmp_path, images)
    assert_same(ours, tidecv_breakdown(*files, fg_iou=0.6, bg_iou=0.2))


def test_tide_is_cached_per_version_and_thresholds(sample: dict[str, Any]) -> None:
    inference_set = sample["set"]
    first = inference_set.tide()
    assert inference_set.tide() is first
    assert inference_set.tide(bg_iou=0.2) is not first
    with pytest.raises(shoal.InputError, match="bg_iou"):
        inference_set.tide(fg_iou=0.3, bg_iou=0.4)


def test_every_prediction_keeps_its_type(sample: dict[str, Any]) -> None:
    result = sample["set"].tide()
    types = result.prediction_types()
    for name in MAIN_ERRORS[:-1]:
        assert types.count(name) == result.counts[name]
        assert all(types[row] == name for row in result.prediction_rows(name))
    assert result.ground_truth_types().count("Miss") == result.counts["Miss"]


def test_rest_tide_route_answers_the_store_numbers(sample: dict[str, Any]) -> None:
    client = TestClient(create_app(sample["store"]), base_url="http://localhost")
    base = "/api/v1/projects/coco/datasets/val/inference-sets/model/tide"
    answer = client.get(base)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    expected = sample["set"].tide()
    assert body["counts"] == expected.counts
    for name, value in expected.dap.items():
        assert body["dap"][name] == pytest.approx(value, abs=1e-9)
    assert [c["label"] for c in body["per_class"]] == [c.label for c in expected.per_class]
    segment = client.get(base, params={"segment": "half", "fg_iou": 0.6, "bg_iou": 0.2}).json()
    expected = sample["set"].tide(segment="half", fg_iou=0.6, bg_iou=0.2)
    assert segment["counts"] == expected.counts
    bad = client.get(base, params={"fg_iou": 0.3, "bg_iou": 0.4})
    assert bad.status_code == 422 and "bg_iou" in bad.text
    assert client.get(base, params={"segment": "nope"}).status_code == 404
    assert np.isfinite(body["ap"])


def test_examples_filter_by_tide_type_lists_that_bar(sample: dict[str, Any]) -> None:
    client = TestClient(create_app(sample["store"]), base_url="http://localhost")
    base = "/api/v1/projects/coco/datasets/val/inference-sets/model"
    result = sample["set"].tide()
    for name in MAIN_ERRORS:
        page = client.get(base + "/examples", params={"tide": name, "iou": 0.5, "limit": 1000})
        assert page.status_code == 200, page.text
        body = page.json()
        # Every object of the type is listed (TIDE keeps every score: conf 0), except
        # predictions inside crowd regions: tidecv types them though it leaves them out
        # of AP, and the examples (like AP) leave them out.
        in_crowds = result.assignment.prediction_state == CROWD_IGNORED
        typed = result.prediction_rows(name) if name != "Miss" else np.zeros(0, np.int64)
        listed_count = result.counts[name] - int(in_crowds[typed].sum())
        assert body["total"] == listed_count, name
        kind = "ground_truth" if name == "Miss" else "prediction"
        assert {e["kind"] for e in body["examples"]} <= {kind}
        expected_ids = result.object_ids(name)
        if name != "Miss":
            expected_ids = result.prediction_ids[typed[~in_crowds[typed]]]
        assert sorted(e["id"] for e in body["examples"]) == sorted(expected_ids.tolist())
    bad = client.get(base + "/examples", params={"tide": "Wrong"})
    assert bad.status_code == 422


def test_client_tide_answers_the_store_numbers(sample: dict[str, Any]) -> None:
    from shoal.client import Client
    from test_client import serve

    expected = sample["set"].tide(segment="half", bg_iou=0.05)
    with serve(create_app(sample["store"])) as url, Client(url) as client:
        remote = client.tide("coco", "model", dataset="val", segment="half", bg_iou=0.05)
    assert remote["counts"] == expected.counts
    assert remote["settings"] == {"fg_iou": 0.5, "bg_iou": 0.05, "max_dets": 100}
    for name, value in expected.dap.items():
        assert remote["dap"][name] == pytest.approx(value, abs=1e-9)
