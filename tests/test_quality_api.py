"""Quality metrics over REST: a background job started by POST (and by uploads), followed
by GET to done, whose stored values equal the kernels' on the working image."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("PIL")

from fastapi.testclient import TestClient

import shoal
from shoal.analysis import quality as kernels
from shoal.demo import build_demo_projects
from shoal.server import create_app
from shoal.server._jobs import JobRegistry
from shoal.store._quality import NO_IMAGE_ROOT, read_working_image

API = "/api/v1"
SHAPES = f"{API}/projects/shapes/datasets/rendered-scenes"


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> shoal.Store:
    store = shoal.Store(tmp_path_factory.mktemp("home"))
    build_demo_projects(store, scale=0.05)
    return store


@pytest.fixture(scope="module")
def client(demo_store: shoal.Store) -> TestClient:
    return TestClient(create_app(demo_store), base_url="http://localhost")


def _until_ended(client: TestClient, url: str, seconds: float = 60) -> list[dict[str, Any]]:
    """Every answer of GET ``url`` until its job has ended."""
    answers = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        answer = client.get(url)
        assert answer.status_code == 200, answer.text
        answers.append(answer.json())
        if answers[-1]["state"] in ("done", "failed"):
            return answers
        time.sleep(0.02)
    raise AssertionError(f"the job did not end in {seconds} s: {answers[-1]}")


def test_post_starts_a_job_that_progresses_to_done(
    client: TestClient, demo_store: shoal.Store
) -> None:
    dataset = demo_store.project("shapes").dataset("rendered-scenes")
    started = client.post(f"{SHAPES}/quality")
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["state"] in ("queued", "running", "done") and job["job_id"]
    answers = _until_ended(client, f"{SHAPES}/quality")
    last = answers[-1]
    assert last["state"] == "done" and last["job_id"] == job["job_id"]
    frames = dataset.frames().num_rows
    assert last["done"] == last["total"] == frames == last["images_read"]
    assert last["warning_count"] == 0 and last["warnings"] == [] and last["computed"]
    progress = [(a["done"], a["total"]) for a in answers]
    assert progress == sorted(progress)  # never goes back

    # the stored values, read through the store and through REST, equal the kernels'
    # on each image as read
    stored = dataset.element_metrics("frame").to_pylist()
    over_rest = {
        name: client.get(f"{SHAPES}/element-metrics/frame/{name}").json()
        for name in ("brightness", "sharpness", "colorfulness")
    }
    frame_rows = dataset.frames().to_pylist()
    for index, (frame, row) in enumerate(zip(frame_rows, stored, strict=True)):
        pixels, _ = read_working_image(Path(dataset.image_root or "") / frame["image_uri"])
        expected = kernels.frame_pixels(pixels)
        for name in ("brightness", "sharpness", "colorfulness"):
            value = getattr(expected, name)
            assert row[name] == pytest.approx(value, rel=1e-12), name
            assert over_rest[name]["ids"][index] == frame["frame_id"]
            assert over_rest[name]["values"][index] == pytest.approx(value, rel=1e-12), name
    # a label's crop metrics over REST equal the kernels' on its image's crop
    label = dataset.labels().to_pylist()[0]
    frame = next(f for f in frame_rows if f["frame_id"] == label["frame_id"])
    pixels, (width, height) = read_working_image(
        Path(dataset.image_root or "") / frame["image_uri"]
    )
    scale = np.array([pixels.shape[1] / width, pixels.shape[0] / height] * 2)
    box = np.array(
        [label["x"], label["y"], label["x"] + label["width"], label["y"] + label["height"]]
    )
    crops = kernels.crop_quality(kernels.luma(pixels), box[None, :] * scale)
    crop_rest = client.get(f"{SHAPES}/element-metrics/label/crop_sharpness").json()
    assert crop_rest["ids"][0] == label["label_id"]
    assert crop_rest["values"][0] == pytest.approx(crops.sharpness[0], rel=1e-9)


def test_a_query_on_a_quality_metric_reads_the_stored_values(
    client: TestClient, demo_store: shoal.Store
) -> None:
    """The stored metrics reach the faces: a query on a frame metric over REST selects
    the frames whose stored values match."""
    client.post(f"{SHAPES}/quality")
    _until_ended(client, f"{SHAPES}/quality")
    dataset = demo_store.project("shapes").dataset("rendered-scenes")
    values = dataset.element_metrics("frame").column("brightness").to_pylist()
    median = float(np.median(values))
    expected = [
        f["frame_id"]
        for f, v in zip(dataset.frames().to_pylist(), values, strict=True)
        if v is not None and v > median
    ]
    assert dataset.query(f"brightness > {median!r}") == expected


def test_a_job_without_an_image_root_notes_it_and_an_upload_starts_one(tmp_path: Path) -> None:
    fresh = TestClient(create_app(tmp_path / "home"), base_url="http://localhost")
    assert fresh.post(f"{API}/projects", json={"name": "p"}).status_code == 201
    assert fresh.get(f"{API}/projects/p/datasets/d/quality").status_code == 404
    frames = [
        {"frame_id": "a", "image_uri": "a.jpg", "width": 100, "height": 50},
        {"frame_id": "b", "width": 40, "height": 40},
    ]
    labels = [
        {"label_id": "l1", "frame_id": "a", "class_name": "x",
         "x": 10, "y": 10, "width": 20, "height": 10},
        {"label_id": "l2", "frame_id": "a", "class_name": "x",
         "x": 15, "y": 10, "width": 20, "height": 10},
    ]  # fmt: skip
    upload_id = fresh.post(f"{API}/uploads").json()["upload_id"]
    put = fresh.put(
        f"{API}/uploads/{upload_id}/chunks/0", json={"frames": frames, "labels": labels}
    )
    assert put.status_code == 200, put.text
    commit = fresh.post(
        f"{API}/uploads/{upload_id}/commit", json={"kind": "dataset", "project": "p", "name": "d"}
    )
    assert commit.status_code == 201, commit.text
    last = _until_ended(fresh, f"{API}/projects/p/datasets/d/quality")[-1]
    assert last["state"] == "done" and last["computed"]
    assert last["images_read"] == 0 and last["frames_without_image"] == 1
    assert last["warning_count"] == 0 and last["warnings"] == []
    assert last["notes"] == ["1 frame not read: " + NO_IMAGE_ROOT]
    store = shoal.Store(tmp_path / "home")
    labels_out = store.project("p").dataset("d").element_metrics("label").to_pylist()
    # 20 x 10 boxes shifted by 5: intersection 15 x 10 = 150, union 250
    assert [r["max_overlap"] for r in labels_out] == [pytest.approx(0.6)] * 2
    assert labels_out[0]["relative_area"] == pytest.approx(200 / 5000)

    # an inference set uploaded later starts the job again and gets its own metrics
    upload_id = fresh.post(f"{API}/uploads").json()["upload_id"]
    predictions = [
        {"prediction_id": "p1", "frame_id": "b", "class_name": "x", "x": 0, "y": 0,
         "width": 40, "height": 20, "confidence": 0.5},
    ]  # fmt: skip
    fresh.put(f"{API}/uploads/{upload_id}/chunks/0", json={"predictions": predictions})
    commit = fresh.post(
        f"{API}/uploads/{upload_id}/commit",
        json={"kind": "inference_set", "project": "p", "dataset": "d", "name": "m"},
    )
    assert commit.status_code == 201, commit.text
    _until_ended(fresh, f"{API}/projects/p/datasets/d/quality")
    metrics = store.project("p").dataset("d").inference_set("m").element_metrics().to_pylist()
    assert metrics[0]["relative_area"] == pytest.approx(0.5)
    assert metrics[0]["border_distance"] == 0.0


def test_unknown_dataset_is_a_404(client: TestClient) -> None:
    answer = client.post(f"{API}/projects/shapes/datasets/nope/quality")
    assert answer.status_code == 404
    assert answer.json()["error"] == "not_found"


def test_the_registry_queues_runs_in_order_and_records_failures() -> None:
    registry = JobRegistry()
    seen: list[str] = []

    def work(name: str, fail: bool = False) -> Any:
        def run(progress: Any) -> dict[str, Any]:
            progress(1, 2)
            seen.append(name)
            if fail:
                raise ValueError("broken on purpose")
            progress(2, 2)
            return {"name": name}

        return run

    first = registry.start("k", ("a",), work("first"))
    registry.start("k", ("b",), work("second", fail=True))
    registry.wait(timeout=10)
    assert seen == ["first", "second"]
    done = registry.get(first.id)
    assert done is not None and done.state == "done" and done.result == {"name": "first"}
    assert (done.done, done.total) == (2, 2)
    failed = registry.latest("k", ("b",))
    assert failed is not None and failed.state == "failed"
    assert failed.error == "ValueError: broken on purpose"
    assert registry.latest("k", ("c",)) is None
    registry.shutdown()


def test_the_client_computes_and_follows_the_job(demo_store: shoal.Store) -> None:
    pytest.importorskip("httpx")
    from shoal.client import Client
    from test_client import serve

    with serve(create_app(demo_store)) as url, Client(url) as client:
        seen: list[tuple[int, int]] = []
        final = client.compute_quality(
            "shapes", "rendered-scenes", again=True, poll_seconds=0.02,
            progress=lambda done, total: seen.append((done, total)),
        )  # fmt: skip
        assert final["state"] == "done" and final["computed"]
        frames = demo_store.project("shapes").dataset("rendered-scenes").frames().num_rows
        assert final["images_read"] == frames
        assert client.quality("shapes", "rendered-scenes")["job_id"] == final["job_id"]
        assert all(done <= total for done, total in seen)
