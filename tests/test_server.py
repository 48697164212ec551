"""The REST API in-process (FastAPI's test client) on a real store."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("PIL")

from fastapi.testclient import TestClient

import shoal
from shoal.demo import build_demo_projects
from shoal.server import create_app
from shoal.store import Dataset

API = "/api/v1"
SHAPES = f"{API}/projects/shapes/datasets/rendered-scenes"
DIGITS = f"{API}/projects/digits/datasets/handwritten-digits"
READ_KEY = "r" * 20
WRITE_KEY = "w" * 20


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> shoal.Store:
    store = shoal.Store(tmp_path_factory.mktemp("home"))
    build_demo_projects(store, scale=0.05)
    return store


@pytest.fixture(scope="module")
def client(demo_store: shoal.Store) -> TestClient:
    return TestClient(create_app(demo_store), base_url="http://localhost")


@pytest.fixture
def fresh(tmp_path: Path) -> TestClient:
    return TestClient(create_app(tmp_path / "home"), base_url="http://localhost")


def shapes_dataset(store: shoal.Store) -> Dataset:
    """The demo's detection dataset (``SHAPES`` over the API)."""
    return store.project("shapes").dataset("rendered-scenes")


def digits_dataset(store: shoal.Store) -> Dataset:
    """The demo's classification dataset (``DIGITS`` over the API)."""
    return store.project("digits").dataset("handwritten-digits")


def as_json(value: Any) -> Any:
    """What a value reads as after a trip through JSON (NaN is null)."""
    return orjson.loads(orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY))


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"error", "detail", "where"}
    assert isinstance(body["detail"], str) and body["detail"]
    return body


# ------------------------------------------------------------------ entities
def test_project_lifecycle(fresh: TestClient) -> None:
    made = fresh.post(
        f"{API}/projects",
        json={"name": "cars", "classes": ["car", {"name": "truck", "color": "#000000"}]},
    )
    assert made.status_code == 201, made.text
    assert [c["name"] for c in made.json()["classes"]] == ["car", "truck"]
    assert made.json()["default_conf"] == 0.1
    error_of(fresh.post(f"{API}/projects", json={"name": "cars"}), 409)
    body = error_of(fresh.post(f"{API}/projects", json={"name": "x", "default_conf": 2}), 422)
    assert body["where"] == "body.default_conf"
    error_of(fresh.post(f"{API}/projects", json={"name": "x", "task": "segmentation"}), 422)
    error_of(fresh.post(f"{API}/projects", json={"name": ""}), 400)
    patched = fresh.patch(
        f"{API}/projects/cars",
        json={"default_conf": 0.4, "default_iou": 0.7, "add_classes": ["bus"]},
    )
    assert patched.status_code == 200
    assert patched.json()["default_conf"] == 0.4 and patched.json()["default_iou"] == 0.7
    assert [c["name"] for c in patched.json()["classes"]] == ["car", "truck", "bus"]
    assert [p["name"] for p in fresh.get(f"{API}/projects").json()] == ["cars"]
    assert fresh.delete(f"{API}/projects/cars").status_code == 204
    error_of(fresh.get(f"{API}/projects/cars"), 404)
    error_of(fresh.delete(f"{API}/projects/cars"), 404)


def test_entities_of_the_demo(client: TestClient) -> None:
    datasets = client.get(f"{API}/projects/shapes/datasets").json()
    assert datasets[0]["name"] == "rendered-scenes" and datasets[0]["has_image_root"]
    sets = client.get(f"{SHAPES}/inference-sets").json()
    assert {s["name"] for s in sets} == {"adaptive-cc", "threshold-cc"}
    assert client.get(f"{SHAPES}/inference-sets/adaptive-cc").json()["version"] == 1
    error_of(client.get(f"{SHAPES}/inference-sets/nope"), 404)
    segments = client.get(f"{SHAPES}/segments").json()
    assert segments[0]["name"] == "All Frames"
    error_of(client.get(f"{API}/projects/shapes/datasets/nope"), 404)


def test_segment_lifecycle(demo_store: shoal.Store, client: TestClient) -> None:
    made = client.post(
        f"{SHAPES}/segments",
        json={"name": "two frames", "frames": ["0000", "0001"], "precision": 0.5},
    )
    assert made.status_code == 201, made.text
    uuid = made.json()["uuid"]
    assert made.json()["frame_count"] == 2
    error_of(
        client.post(f"{SHAPES}/segments", json={"name": "two frames", "frames": ["0000"]}), 409
    )
    body = error_of(
        client.post(f"{SHAPES}/segments", json={"name": "bad", "frames": ["nope"]}), 400
    )
    assert "nope" in body["detail"]
    error_of(client.post(f"{SHAPES}/segments", json={"name": "bad", "query": "num_shapes >"}), 400)
    renamed = client.patch(
        f"{SHAPES}/segments/two frames", json={"name": "pair", "recall": 0.25, "precision": None}
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["uuid"] == uuid and renamed.json()["name"] == "pair"
    assert renamed.json()["thresholds"] == {"precision": None, "recall": 0.25, "f1_score": None}
    # "All Frames" takes thresholds like any split (it was a 400 before issue 9), and a
    # regression test reports them; it keeps its name.
    everything = client.patch(f"{SHAPES}/segments/All Frames", json={"recall": 0.5})
    assert everything.status_code == 200, everything.text
    assert everything.json()["thresholds"] == {"precision": None, "recall": 0.5, "f1_score": None}
    results = client.get(f"{SHAPES}/inference-sets/adaptive-cc/regression").json()
    assert results[0]["segment_name"] == "All Frames"
    assert results[0]["recall"]["threshold"] == 0.5
    assert results[0]["recall"]["succeeds"] == (results[0]["recall"]["score"] >= 0.5)
    error_of(client.patch(f"{SHAPES}/segments/All Frames", json={"name": "everything"}), 400)
    cleared = client.patch(f"{SHAPES}/segments/All Frames", json={"recall": None})
    assert cleared.json()["thresholds"]["recall"] is None
    error_of(client.patch(f"{SHAPES}/segments/pair", json={"name": "crowded"}), 409)
    assert client.delete(f"{SHAPES}/segments/pair").status_code == 204
    error_of(client.get(f"{SHAPES}/segments/pair"), 404)


def test_issue_lifecycle(client: TestClient) -> None:
    element = {"dataset": "rendered-scenes", "frame_id": "0000"}
    made = client.post(
        f"{API}/projects/shapes/issues", json={"name": "missed crosses", "elements": [element]}
    )
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "open"
    error_of(client.post(f"{API}/projects/shapes/issues", json={"name": "missed crosses"}), 409)
    patched = client.patch(
        f"{API}/projects/shapes/issues/missed crosses",
        json={
            "status": "in_progress",
            "notes": "occluded",
            "add_elements": [
                {**element, "frame_id": "0001", "element_kind": "label", "element_id": "0001-0"}
            ],
        },
    )
    assert patched.status_code == 200
    assert patched.json()["notes"] == "occluded" and len(patched.json()["elements"]) == 2
    error_of(
        client.patch(f"{API}/projects/shapes/issues/missed crosses", json={"status": "done"}), 422
    )
    assert [i["name"] for i in client.get(f"{API}/projects/shapes/issues").json()] == [
        "missed crosses"
    ]
    assert client.delete(f"{API}/projects/shapes/issues/missed crosses").status_code == 204


# ------------------------------------------------------------------- uploads
FRAMES = [
    {"frame_id": f"f{i}", "width": 100, "height": 100, "weather": "rain" if i % 2 else "sun"}
    for i in range(6)
]
LABELS = [
    {
        "label_id": f"l{i}",
        "frame_id": f"f{i}",
        "class_name": "cat" if i % 3 else "dog",
        "x": 10,
        "y": 10,
        "width": 30,
        "height": 30,
    }
    for i in range(6)
]
PREDICTIONS = [
    {
        "prediction_id": f"p{i}",
        "frame_id": f"f{i}",
        "class_name": "cat",
        "x": 12,
        "y": 11,
        "width": 30,
        "height": 29,
        "confidence": 0.1 + 0.15 * i,
    }
    for i in range(6)
]


def upload(client: TestClient, chunks: list[dict[str, Any]], commit: dict[str, Any]) -> Any:
    started = client.post(f"{API}/uploads")
    assert started.status_code == 201
    upload_id = started.json()["upload_id"]
    for number, chunk in enumerate(chunks):
        put = client.put(f"{API}/uploads/{upload_id}/chunks/{number}", json=chunk)
        assert put.status_code == 200, put.text
    return upload_id, client.post(f"{API}/uploads/{upload_id}/commit", json=commit)


def test_chunked_upload_builds_a_dataset_and_an_inference_set(
    fresh: TestClient, tmp_path: Path
) -> None:
    fresh.post(f"{API}/projects", json={"name": "pets"})
    upload_id, done = upload(
        fresh,
        [
            {"frames": FRAMES[:3], "labels": LABELS[:2]},
            {"frames": FRAMES[3:], "labels": LABELS[2:]},
        ],
        {"kind": "dataset", "project": "pets", "name": "val"},
    )
    assert done.status_code == 201, done.text
    assert done.json()["rows"]["frames"] == 6 and done.json()["rows"]["labels"] == 6
    assert not (tmp_path / "home" / "uploads" / upload_id).exists()
    error_of(fresh.get(f"{API}/uploads/{upload_id}"), 404)
    _, done = upload(
        fresh,
        [{"predictions": PREDICTIONS[:4]}, {"predictions": PREDICTIONS[4:]}],
        {"kind": "inference_set", "project": "pets", "dataset": "val", "name": "model"},
    )
    assert done.status_code == 201, done.text
    store = shoal.Store(tmp_path / "home")
    dataset = store.project("pets").dataset("val")
    assert dataset.frames().num_rows == 6
    assert dataset.frames().column("weather").to_pylist()[:2] == ["sun", "rain"]
    assert dataset.inference_set("model").predictions().num_rows == 6
    frames = fresh.get(
        f"{API}/projects/pets/datasets/val/frames", params={"query": "weather == 'rain'"}
    )
    assert frames.json()["total"] == 3
    # the name is taken without replace
    _, again = upload(
        fresh,
        [{"predictions": PREDICTIONS}],
        {"kind": "inference_set", "project": "pets", "dataset": "val", "name": "model"},
    )
    error_of(again, 409)


def test_failed_commit_names_the_record_and_changes_nothing(
    fresh: TestClient, tmp_path: Path
) -> None:
    fresh.post(f"{API}/projects", json={"name": "pets"})
    _, done = upload(
        fresh,
        [{"frames": FRAMES, "labels": LABELS}],
        {"kind": "dataset", "project": "pets", "name": "val"},
    )
    assert done.status_code == 201
    bad = [dict(p) for p in PREDICTIONS]
    bad[4]["confidence"] = 1.5
    upload_id, failed = upload(
        fresh,
        [{"predictions": bad[:3]}, {"predictions": bad[3:]}],
        {"kind": "inference_set", "project": "pets", "dataset": "val", "name": "model"},
    )
    body = error_of(failed, 400)
    assert body["where"] == "record 4" and "confidence" in body["detail"]
    assert shoal.Store(tmp_path / "home").project("pets").dataset("val").inference_sets() == []
    assert (tmp_path / "home" / "uploads" / upload_id).is_dir()
    # unknown frame, label without a box: named too
    bad_frame = [{**PREDICTIONS[0], "frame_id": "nope"}]
    _, failed = upload(
        fresh,
        [{"predictions": bad_frame}],
        {"kind": "inference_set", "project": "pets", "dataset": "val", "name": "m2"},
    )
    assert "nope" in error_of(failed, 400)["detail"]
    mixed = [{**LABELS[0]}, {**LABELS[1], "x": "left"}]
    _, failed = upload(
        fresh,
        [{"frames": FRAMES, "labels": mixed}],
        {"kind": "dataset", "project": "pets", "name": "v2"},
    )
    body = error_of(failed, 400)
    assert body["where"] == "labels: record 1"
    # fix the chunk and commit again; then abort another
    fixed = fresh.put(f"{API}/uploads/{upload_id}/chunks/1", json={"predictions": PREDICTIONS[3:]})
    assert fixed.json()["rows"]["predictions"] == 6
    ok = fresh.post(
        f"{API}/uploads/{upload_id}/commit",
        json={"kind": "inference_set", "project": "pets", "dataset": "val", "name": "model"},
    )
    assert ok.status_code == 201, ok.text
    other = fresh.post(f"{API}/uploads").json()["upload_id"]
    assert fresh.delete(f"{API}/uploads/{other}").status_code == 204
    assert not (tmp_path / "home" / "uploads" / other).exists()
    error_of(fresh.put(f"{API}/uploads/../chunks/0", json={}), 404)
    error_of(fresh.put(f"{API}/uploads/{'a' * 31}g/chunks/0", json={}), 422)
    error_of(fresh.put(f"{API}/uploads/{upload_id}/chunks/0", json={}), 404)  # committed
    body = error_of(fresh.put(f"{API}/uploads/{other}/chunks/0", json={"rows": []}), 422)
    assert body["where"] == "body.rows"


def test_uploads_over_the_limit_get_413(tmp_path: Path) -> None:
    small = TestClient(
        create_app(tmp_path / "home", max_upload_bytes=2000), base_url="http://localhost"
    )
    upload_id = small.post(f"{API}/uploads").json()["upload_id"]
    body = error_of(
        small.put(f"{API}/uploads/{upload_id}/chunks/0", json={"frames": FRAMES * 20}), 413
    )
    assert body["where"] == "body"

    def chunked() -> Any:
        yield b'{"frames": ['
        for _ in range(100):
            yield b'{"frame_id": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},'
        yield b'{"frame_id": "b"}]}'

    streamed = small.put(
        f"{API}/uploads/{upload_id}/chunks/0",
        content=chunked(),
        headers={"content-type": "application/json"},
    )
    error_of(streamed, 413)


# -------------------------------------------------------------------- frames
def test_frames_pages_and_detail(client: TestClient) -> None:
    page = client.get(f"{SHAPES}/frames", params={"offset": 2, "limit": 3}).json()
    assert page["total"] == 15 and len(page["frames"]) == 3
    assert page["frames"][0]["image_url"].endswith("/frames/0002/image")
    queried = client.get(f"{SHAPES}/frames", params={"query": "num_shapes > 2"}).json()
    assert 0 < queried["total"] < 15
    assert all(f["num_shapes"] > 2 for f in queried["frames"])
    body = error_of(client.get(f"{SHAPES}/frames", params={"query": "num_shapes >"}), 400)
    assert body["where"] == "query.query"
    detail = client.get(
        f"{SHAPES}/frames/0000", params={"inference_set": ["adaptive-cc", "threshold-cc"]}
    ).json()
    assert detail["frame"]["frame_id"] == "0000" and detail["labels"]
    assert set(detail["predictions"]) == {"adaptive-cc", "threshold-cc"}
    assert all(p["frame_id"] == "0000" for p in detail["predictions"]["adaptive-cc"])
    error_of(client.get(f"{SHAPES}/frames/nope"), 404)


def _frame_ids(client: TestClient, **params: Any) -> tuple[int, list[str]]:
    """Every frame id the frames endpoint lists (paged, two a page), and its total."""
    ids: list[str] = []
    offset, total = 0, None
    while total is None or offset < total:
        response = client.get(f"{SHAPES}/frames", params={**params, "offset": offset, "limit": 2})
        assert response.status_code == 200, response.text
        page = response.json()
        assert total is None or page["total"] == total
        total = page["total"]
        ids.extend(f["frame_id"] for f in page["frames"])
        offset += 2
    assert total is not None and len(ids) == total
    return total, ids


def test_frames_of_a_segment(demo_store: shoal.Store, client: TestClient) -> None:
    dataset = shapes_dataset(demo_store)
    order = dataset.frames().column("frame_id").to_pylist()

    def in_dataset_order(ids: list[str]) -> list[str]:
        return [f for f in order if f in set(ids)]

    # A list segment, listed out of order: its frames come in the dataset's order.
    chosen = [order[7], order[2], order[11], order[0]]
    made = client.post(f"{SHAPES}/segments", json={"name": "picked", "frames": chosen})
    assert made.status_code == 201, made.text
    try:
        total, ids = _frame_ids(client, segment="picked")
        assert total == 4 and ids == in_dataset_order(chosen) == [order[k] for k in (0, 2, 7, 11)]
        # the demo's splits are lists too
        test_split = dataset.segment("test").frame_ids()
        assert _frame_ids(client, segment="test")[1] == in_dataset_order(test_split)
        # With a query: the frames in both, still in order.
        wanted = [f for f in in_dataset_order(chosen) if f in set(dataset.query("num_shapes > 2"))]
        assert 0 < len(wanted) < 4, "the chosen frames should be split by the query"
        assert _frame_ids(client, segment="picked", query="num_shapes > 2") == (len(wanted), wanted)
        assert _frame_ids(client, segment="picked", query="num_shapes > 99") == (0, [])
    finally:
        assert client.delete(f"{SHAPES}/segments/picked").status_code == 204

    # A query segment lists what its query selects.
    crowded = dataset.segment("crowded")
    assert crowded.query is not None
    expected = in_dataset_order(dataset.query(crowded.query))
    assert 0 < len(expected) < len(order)
    assert _frame_ids(client, segment="crowded") == (len(expected), expected)
    assert _frame_ids(client, segment="crowded") == _frame_ids(client, query=crowded.query)

    # "All Frames" is every frame, as without the parameter.
    assert _frame_ids(client, segment="All Frames") == (len(order), order) == _frame_ids(client)
    queried = _frame_ids(client, query="num_shapes > 2")
    assert _frame_ids(client, segment="All Frames", query="num_shapes > 2") == queried

    # An unknown segment is a JSON 404 naming the parameter; a bad query still a 400.
    body = error_of(client.get(f"{SHAPES}/frames", params={"segment": "nope"}), 404)
    assert body["error"] == "not_found" and body["where"] == "query.segment"
    assert "nope" in body["detail"]
    body = error_of(client.get(f"{SHAPES}/frames", params={"segment": "test", "query": "x >"}), 400)
    assert body["where"] == "query.query"


@pytest.fixture
def images(tmp_path: Path) -> TestClient:
    from PIL import Image

    root = tmp_path / "images"
    (root / "sub").mkdir(parents=True)
    Image.new("RGB", (300, 200), "red").save(root / "ok.png")
    Image.new("RGB", (10, 10), "blue").save(tmp_path / "secret.png")
    (tmp_path / "secret.txt").write_text("secret")
    (root / "notes.txt").write_text("not an image")
    os.symlink(tmp_path / "secret.png", root / "escape.png")
    os.symlink(root / "ok.png", root / "sub" / "inside.png")
    uris = {
        "ok": "ok.png",
        "nested": "sub/../ok.png",
        "inside-link": "sub/inside.png",
        "absolute-inside": str(root / "ok.png"),
        "dotdot": "../secret.png",
        "deep-dotdot": "sub/../../secret.txt",
        "absolute": str(tmp_path / "secret.png"),
        "etc": "/etc/passwd",
        "symlink": "escape.png",
        "encoded": "%2e%2e/secret.png",
        "encoded-slash": "..%2fsecret.png",
        "nul": "ok.png\x00.txt",
        "url": "https://example.com/a.png",
        "file-url": "file:///etc/passwd",
        "not-image": "notes.txt",
        "root": ".",
        "none": None,
    }
    store = shoal.Store(tmp_path / "home")
    project = store.create_project("imgs")
    import pyarrow as pa

    frames = pa.table({"frame_id": list(uris), "image_uri": list(uris.values())})
    labels = pa.table(
        {
            "label_id": ["l"],
            "frame_id": ["ok"],
            "class_name": ["a"],
            "x": [1.0],
            "y": [1.0],
            "width": [2.0],
            "height": [2.0],
        }
    )
    project.create_dataset("d", shoal.DatasetTables.build(frames, labels), image_root=root)
    project.create_dataset("no-root", shoal.DatasetTables.build(frames, labels))
    return TestClient(create_app(store), follow_redirects=False, base_url="http://localhost")


def test_images_are_served_only_from_inside_the_image_root(images: TestClient) -> None:
    base = f"{API}/projects/imgs/datasets/d/frames"
    for frame in ("ok", "nested", "inside-link", "absolute-inside"):
        served = images.get(f"{base}/{frame}/image")
        assert served.status_code == 200, (frame, served.text)
        assert served.headers["content-type"] == "image/png"
    for frame in ("dotdot", "deep-dotdot", "absolute", "etc", "symlink", "file-url", "root"):
        body = error_of(images.get(f"{base}/{frame}/image"), 403)
        assert body["where"] == "image_uri", frame
    for frame in ("encoded", "encoded-slash", "none"):
        error_of(images.get(f"{base}/{frame}/image"), 404)
    assert images.get(f"{base}/nul/image").status_code in (400, 403, 404)
    error_of(images.get(f"{base}/not-image/image"), 415)
    redirect = images.get(f"{base}/url/image")
    assert (
        redirect.status_code == 307 and redirect.headers["location"] == "https://example.com/a.png"
    )
    error_of(images.get(f"{base}/url/thumbnail"), 404)
    # traversal in the request itself only ever names a frame id
    for path in ("..%2F..%2Fsecret.png", "%2e%2e", "..", "%2Fetc%2Fpasswd"):
        assert images.get(f"{base}/{path}/image").status_code == 404, path
    error_of(images.get(f"{API}/projects/imgs/datasets/no-root/frames/ok/image"), 404)


def test_thumbnails_are_small_pngs_and_cached(images: TestClient, tmp_path: Path) -> None:
    from io import BytesIO

    from PIL import Image

    url = f"{API}/projects/imgs/datasets/d/frames/ok/thumbnail"
    first = images.get(url, params={"size": 64})
    assert first.status_code == 200 and first.headers["content-type"] == "image/png"
    assert Image.open(BytesIO(first.content)).size == (64, 43)
    assert len(list((tmp_path / "home" / "thumbnails").glob("*.png"))) == 1
    assert images.get(url, params={"size": 64}).content == first.content
    error_of(images.get(url, params={"size": 5000}), 422)
    error_of(images.get(f"{API}/projects/imgs/datasets/d/frames/symlink/thumbnail"), 403)
    error_of(images.get(f"{API}/projects/imgs/datasets/d/frames/not-image/thumbnail"), 415)


# ------------------------------------------------------------------- metrics
def test_metrics_are_the_engines(demo_store: shoal.Store, client: TestClient) -> None:
    dataset = shapes_dataset(demo_store)
    evaluation = dataset.inference_set("adaptive-cc").evaluate()
    answer = client.get(
        f"{SHAPES}/metrics",
        params={
            "inference_set": "adaptive-cc",
            "conf": "0.3",
            "iou": "0.6",
            "include": [
                "report",
                "confusion_matrix",
                "coco_summary",
                "pr_curves",
                "best_thresholds",
            ],
        },
    )
    assert answer.status_code == 200, answer.text
    result = answer.json()["results"][0]
    assert result["report"] == as_json(evaluation.report(0.3, 0.6).to_dict())
    assert result["confusion_matrix"] == evaluation.confusion_matrix(0.3, 0.6).to_dict()
    assert result["coco_summary"]["AP"] == as_json(evaluation.coco_summary()["AP"])
    assert set(result["pr_curves"]) == {*evaluation.pr_curves(iou=0.6)}
    best = evaluation.best_thresholds(iou=0.6)
    assert result["best_thresholds"] == {k: as_json(v.to_dict()) for k, v in best.items()}
    assert "server-timing" in answer.headers


def test_preload_loads_the_most_recent_evaluations_in_the_background(
    demo_store: shoal.Store,
) -> None:
    from shoal.store import EvaluationCache

    written = sorted(
        (s for p in demo_store.projects() for d in p.datasets() for s in d.inference_sets()),
        key=lambda s: str(s.to_dict()["created_at"]),
    )
    cache = EvaluationCache(demo_store, size=8)
    thread = cache.preload(2)
    assert thread is not None
    thread.join(timeout=120)
    assert len(cache) == 2
    kept = {key[0] for key in cache.held_keys()}
    assert kept == {s.id for s in written[-2:]}
    # What was preloaded answers without loading again.
    evaluation = cache.use(written[-1], lambda e: e)
    assert cache.use(written[-1], lambda e: e) is evaluation
    assert EvaluationCache(demo_store).preload(0) is None
    # The server preloads into its store's cache (a fresh store: an empty cache).
    app = create_app(shoal.Store(demo_store.home.path), preload=1)
    deadline = time.monotonic() + 120
    while len(app.state.shoal.store.evaluations) < 1:
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_curve_points_downsample_each_curve_for_drawing(
    demo_store: shoal.Store, client: TestClient
) -> None:
    evaluation = shapes_dataset(demo_store).inference_set("adaptive-cc").evaluate()
    answer = client.get(
        f"{SHAPES}/metrics",
        params={"inference_set": "adaptive-cc", "include": "pr_curves", "curve_points": 9},
    )
    assert answer.status_code == 200, answer.text
    curves = answer.json()["results"][0]["pr_curves"]
    full = evaluation.pr_curves(iou=0.5)
    assert curves == {k: as_json(v.downsampled(9).to_dict()) for k, v in full.items()}
    assert all(len(c["thresholds"]) <= 9 for c in curves.values())
    assert max(len(v.thresholds) for v in full.values()) > 9  # some curve was cut down
    too_few = client.get(
        f"{SHAPES}/metrics",
        params={"inference_set": "adaptive-cc", "include": "pr_curves", "curve_points": 2},
    )
    assert error_of(too_few, 422)["where"] == "query.curve_points"


def test_metrics_defaults_segments_two_sets_and_per_class_conf(
    demo_store: shoal.Store, client: TestClient
) -> None:
    project = demo_store.project("shapes")
    dataset = project.dataset("rendered-scenes")
    frames = dataset.segment("crowded").frame_ids()
    answer = client.get(
        f"{SHAPES}/metrics",
        params={
            "inference_set": ["adaptive-cc", "threshold-cc"],
            "segment": "crowded",
            "conf": '{"circle": 0.5}',
        },
    ).json()
    assert answer["conf"] == {"circle": 0.5} and answer["iou"] == project.default_iou
    assert [r["inference_set"] for r in answer["results"]] == ["adaptive-cc", "threshold-cc"]
    for result in answer["results"]:
        evaluation = dataset.inference_set(result["inference_set"]).evaluate()
        expected = evaluation.report({"circle": 0.5}, project.default_iou, frames=frames).to_dict()
        assert result["report"] == as_json(expected)
    for conf, where in (
        ("{bad", "query.conf"),
        ('{"nope": 0.5}', "query.conf"),
        ("1.5", "query.conf"),
        ("nan", "query.conf"),
        ('{"circle": true}', "query.conf"),
    ):
        assert (
            error_of(
                client.get(
                    f"{SHAPES}/metrics", params={"inference_set": "adaptive-cc", "conf": conf}
                ),
                422,
            )["where"]
            == where
        )
    assert (
        error_of(
            client.get(f"{SHAPES}/metrics", params={"inference_set": "adaptive-cc", "iou": 0}), 422
        )["where"]
        == "query.iou"
    )
    assert error_of(client.get(f"{SHAPES}/metrics"), 422)["where"] == "query.inference_set"
    body = error_of(
        client.get(f"{SHAPES}/metrics", params={"inference_set": "adaptive-cc", "segment": "nope"}),
        404,
    )
    assert body["where"] == "query.segment"
    error_of(client.get(f"{SHAPES}/metrics", params={"inference_set": ["a", "b", "c"]}), 422)


def test_classification_metrics(demo_store: shoal.Store, client: TestClient) -> None:
    evaluation = digits_dataset(demo_store).inference_set("mlp-64").evaluate()
    answer = client.get(
        f"{DIGITS}/metrics",
        params={
            "inference_set": "mlp-64",
            "conf": 0.5,
            "include": ["report", "confusion_matrix", "coco_summary", "best_thresholds"],
        },
    ).json()
    result = answer["results"][0]
    assert answer["iou"] is None and result["coco_summary"] is None
    assert result["report"] == as_json(evaluation.report(0.5).to_dict())
    expected = {**evaluation.confusion_matrix(0.5).to_dict(), "iou": None}
    assert result["confusion_matrix"] == expected
    # Classification examples: each matrix cell lists exactly its frames.
    matrix = evaluation.confusion_matrix(0.5)
    truth, predicted, count = matrix.largest_confusions(1)[0]
    page = client.get(
        f"{DIGITS}/inference-sets/mlp-64/examples",
        params={"conf": 0.5, "truth": truth, "predicted": predicted, "limit": 1000},
    ).json()
    assert page["total"] == count == len(page["examples"])
    assert {e["partner_label"] for e in page["examples"] if e["kind"] == "prediction"} <= {truth}


def test_evaluations_are_cached_per_version(demo_store: shoal.Store, client: TestClient) -> None:
    cache = client.app.state.shoal.store.evaluations  # type: ignore[attr-defined]
    params = {"inference_set": "threshold-cc"}
    client.get(f"{SHAPES}/metrics", params=params)
    size = len(cache)
    for conf in (0.1, 0.2, 0.9):
        assert client.get(f"{SHAPES}/metrics", params={**params, "conf": conf}).status_code == 200
    assert len(cache) == size


def test_examples_behind_the_numbers(demo_store: shoal.Store, client: TestClient) -> None:
    evaluation = shapes_dataset(demo_store).inference_set("adaptive-cc").evaluate()
    url = f"{SHAPES}/inference-sets/adaptive-cc/examples"
    matrix = evaluation.confusion_matrix(0.1, 0.5)
    for truth, predicted in (
        ("circle", "circle"),
        ("circle", "background"),
        ("background", "square"),
    ):
        answer = client.get(
            url, params={"truth": truth, "predicted": predicted, "limit": 1000}
        ).json()
        assert answer["total"] == matrix.cell(truth, predicted) == len(answer["examples"])
    fps = client.get(url, params={"outcome": "FP", "limit": 5}).json()
    confidences = [e["confidence"] for e in fps["examples"]]
    assert confidences == sorted(confidences, reverse=True) and all(
        e["outcome"] == "FP" for e in fps["examples"]
    )
    assert fps["total"] == int(evaluation.report(0.1, 0.5).fp.sum())
    first = fps["examples"][0]
    assert first["source_id"] and len(first["box"]) == 4
    tps = client.get(
        url, params={"outcome": "TP", "order": "asc", "sort": "confidence", "offset": 1, "limit": 3}
    ).json()
    assert len(tps["examples"]) == 3
    ascending = [e["confidence"] for e in tps["examples"] if e["kind"] == "prediction"]
    assert ascending == sorted(ascending)
    fns = client.get(url, params={"outcome": "FN", "sort": "area"}).json()
    assert all(e["confidence"] is None and e["kind"] == "ground_truth" for e in fns["examples"])
    confused = client.get(url, params={"confused_as": "triangle"}).json()
    assert all(
        e["label"] == "triangle" and e["reason"] == "class_confusion" for e in confused["examples"]
    )
    off_diagonal = sum(
        matrix.cell(t, "triangle") for t in matrix.labels if t not in ("triangle", "background")
    )
    assert confused["total"] == off_diagonal
    from_cross = client.get(url, params={"confused_from": "cross"}).json()
    assert all(e["partner_label"] == "cross" for e in from_cross["examples"])
    frame = first["frame_id"]
    one_frame = client.get(url, params={"frame_id": frame, "limit": 1000}).json()
    expected = evaluation.outcomes(0.1, 0.5).where(frame_id=frame)
    assert one_frame["total"] == len(expected) > 0
    assert all(e["frame_id"] == frame for e in one_frame["examples"])
    error_of(client.get(url, params={"truth": "circle"}), 422)
    error_of(client.get(url, params={"label": "nope"}), 422)
    error_of(client.get(url, params={"outcome": "XX"}), 422)


def test_compare_and_regression_are_the_analysis_layers(
    demo_store: shoal.Store, client: TestClient
) -> None:
    dataset = shapes_dataset(demo_store)
    base, other = dataset.inference_set("threshold-cc"), dataset.inference_set("adaptive-cc")
    answer = client.get(
        f"{SHAPES}/compare", params={"base": "threshold-cc", "other": "adaptive-cc", "conf": 0.2}
    ).json()
    expected = base.compare(other, conf=0.2).to_dict()
    assert answer["confusion_matrix"] == expected["confusion_matrix"]
    assert answer["classes"] == as_json(expected["classes"])
    assert answer["summary"] == expected["summary"]
    labels = expected["confusion_matrix"]["labels"]
    assert len(answer["cells"]) == len(labels) ** 2
    cell = answer["cells"][0]
    assert cell["base"] == expected["confusion_matrix"]["base"][0][0]
    assert cell["other"] == expected["confusion_matrix"]["other"][0][0]
    error_of(client.get(f"{SHAPES}/compare", params={"base": "threshold-cc", "other": "nope"}), 404)
    regression = client.get(f"{SHAPES}/inference-sets/adaptive-cc/regression").json()
    assert regression == [r.to_dict() for r in other.regression_results()]
    assert regression[0]["segment_name"] == "All Frames"
    digits = digits_dataset(demo_store).inference_set("mlp-64")
    answer = client.get(f"{DIGITS}/inference-sets/mlp-64/regression", params={"conf": 0.6}).json()
    assert answer == [r.to_dict() for r in digits.regression_results(conf=0.6)]


# ---------------------------------------------------------------- errors
def test_errors_are_json_with_where(client: TestClient) -> None:
    body = error_of(client.get(f"{API}/no-such-thing"), 404)
    assert body["where"] == f"{API}/no-such-thing"
    error_of(client.put(f"{API}/projects"), 405)
    body = error_of(
        client.post(
            f"{API}/projects", content=b"{not json", headers={"content-type": "application/json"}
        ),
        422,
    )
    assert body["where"].startswith("body")
    body = error_of(client.post(f"{API}/projects", json={"name": "x", "surprise": 1}), 422)
    assert body["where"] == "body.surprise"
    error_of(client.get(f"{SHAPES}/frames", params={"limit": -1}), 422)


# ------------------------------------------------------------------- auth
def test_api_keys(demo_store: shoal.Store) -> None:
    app = create_app(demo_store, api_keys={READ_KEY: "read-only", WRITE_KEY: "read-write"})
    client = TestClient(app, base_url="http://localhost")
    body = error_of(client.get(f"{API}/projects"), 401)
    assert body["where"] == "header.Authorization"
    assert error_of(client.get(f"{API}/nope"), 401)
    error_of(client.get(f"{API}/projects", headers={"Authorization": "Bearer " + "x" * 20}), 401)
    error_of(client.get(f"{API}/projects", headers={"Authorization": f"Basic {READ_KEY}"}), 401)
    error_of(
        client.get(
            f"{API}/projects",
            params={"api_key": READ_KEY, "token": READ_KEY, "access_token": READ_KEY},
        ),
        401,
    )
    read = {"Authorization": f"Bearer {READ_KEY}"}
    write = {"Authorization": f"Bearer {WRITE_KEY}"}
    assert client.get(f"{API}/projects", headers=read).status_code == 200
    assert (
        client.get(
            f"{SHAPES}/metrics", params={"inference_set": "adaptive-cc"}, headers=read
        ).status_code
        == 200
    )
    error_of(client.post(f"{API}/projects", json={"name": "new"}, headers=read), 403)
    error_of(client.post(f"{API}/uploads", headers=read), 403)
    error_of(client.delete(f"{API}/projects/shapes", headers=read), 403)
    made = client.post(f"{API}/projects", json={"name": "keyed"}, headers=write)
    assert made.status_code == 201
    assert client.delete(f"{API}/projects/keyed", headers=write).status_code == 204
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/docs").status_code == 200


def test_api_key_files_are_checked() -> None:
    from shoal.errors import InputError
    from shoal.server import is_loopback, parse_api_keys

    keys = parse_api_keys(["# comment", "", f"{READ_KEY} read-only", f"{WRITE_KEY}  read-write"])
    assert keys == {READ_KEY: "read-only", WRITE_KEY: "read-write"}
    with pytest.raises(InputError, match="record 1"):
        parse_api_keys([f"{READ_KEY} admin"])
    with pytest.raises(InputError, match="at least 16"):
        parse_api_keys(["short read-only"])
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.8.9.1", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "192.168.1.4", "example.com"))


def test_openapi_schema_is_real(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    assert f"{API}/projects/{{project}}/datasets/{{dataset}}/metrics" in paths
    metrics = paths[f"{API}/projects/{{project}}/datasets/{{dataset}}/metrics"]["get"]
    assert metrics["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "MetricsOut"
    )
    assert metrics["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "ErrorBody"
    )
