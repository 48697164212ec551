"""The server against hostile or unlucky input (issue 11): every refusal is a 4xx with the
JSON error body, and nothing is stored differently from what was sent."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("PIL")

from fastapi.testclient import TestClient

import shoal
from shoal._types import url_segment
from shoal.client import Client
from shoal.server import create_app
from test_server import error_of

API = "/api/v1"
LOCAL = "http://localhost"


# ------------------------------------------------------- defect 4: DNS rebinding
@pytest.fixture
def keyless(tmp_path: Path) -> TestClient:
    store = shoal.Store(tmp_path / "home")
    store.create_project("p", classes=["cat"])
    return TestClient(create_app(store, hosts=["my-box.lan"]), base_url=LOCAL)


@pytest.mark.parametrize(
    "host", ["attacker.example", "attacker.example:8000", "localhost.attacker.example", "0.0.0.0"]
)
def test_a_keyless_server_refuses_other_host_names(keyless: TestClient, host: str) -> None:
    for method in ("GET", "DELETE"):
        response = keyless.request(method, f"{API}/projects/p", headers={"Host": host})
        body = error_of(response, 400)
        assert body["where"] == "header.Host" and host in body["detail"]
    error_of(keyless.get("/", headers={"Host": host}), 400)
    assert keyless.get(f"{API}/projects/p").status_code == 200  # nothing was deleted


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "localhost:8000",
        "LOCALHOST.",
        "127.0.0.1:1",
        "127.1.2.3",
        "[::1]:80",
        "my-box.lan",
    ],
)
def test_a_keyless_server_answers_loopback_names_and_its_own(
    keyless: TestClient, host: str
) -> None:
    assert keyless.get(f"{API}/projects/p", headers={"Host": host}).status_code == 200


def test_a_server_with_keys_answers_any_host_name(tmp_path: Path) -> None:
    key = "k" * 20
    app = create_app(tmp_path / "home", api_keys={key: "read-write"})
    client = TestClient(app, base_url="http://shoal.example.com")
    answer = client.get(f"{API}/projects", headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 200


# --------------------------------------------- defect 5: frame ids of any characters
ODD_IDS = [
    "val/0001.jpg",
    "a/b/c",
    "/leading",
    "trailing/",
    "100%",
    "%2F",
    "with space",
    "ünï cødé ✓",
    "..",
    ".",
    "../../etc/passwd",
    "a?b#c",
    "image",
    "x/image",
    "x/thumbnail",
]


@pytest.fixture(scope="module")
def odd_store(tmp_path_factory: pytest.TempPathFactory) -> shoal.Store:
    from PIL import Image

    home = tmp_path_factory.mktemp("odd")
    images = home / "images"
    images.mkdir()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(images / "red.png")
    store = shoal.Store(home / "store")
    project = store.create_project("odd project ü%", classes=["cat"])
    frames = pa.table({"frame_id": ODD_IDS, "image_uri": ["red.png"] * len(ODD_IDS)})
    count = len(ODD_IDS)
    boxes = {
        "x": [1.0] * count,
        "y": [1.0] * count,
        "width": [5.0] * count,
        "height": [5.0] * count,
    }
    labels = pa.table(
        {"label_id": [f"l{i}" for i in range(count)], "frame_id": ODD_IDS,
         "class_name": ["cat"] * count, **boxes}
    )  # fmt: skip
    dataset = project.create_dataset(
        "data %2F set", shoal.DatasetTables.build(frames, labels), image_root=images
    )
    predictions = pa.table(
        {"frame_id": ODD_IDS, "class_name": ["cat"] * count, **boxes, "confidence": [0.5] * count}
    )  # fmt: skip
    dataset.create_inference_set("model", shoal.InferenceTables.build(predictions))
    return store


def test_frame_ids_of_any_characters_reach_every_frame_route(odd_store: shoal.Store) -> None:
    client = TestClient(create_app(odd_store), base_url=LOCAL, follow_redirects=False)
    base = f"{API}/projects/{url_segment('odd project ü%')}/datasets/{url_segment('data %2F set')}"
    page = client.get(f"{base}/frames", params={"limit": 100})
    assert page.status_code == 200, page.text
    listed = {row["frame_id"]: row["image_url"] for row in page.json()["frames"]}
    assert set(listed) == set(ODD_IDS)
    for frame_id, image_url in listed.items():
        detail = client.get(
            f"{base}/frames/{url_segment(frame_id)}", params={"inference_set": "model"}
        )
        assert detail.status_code == 200, (frame_id, detail.text)
        assert detail.json()["frame"]["frame_id"] == frame_id
        assert [row["frame_id"] for row in detail.json()["labels"]] == [frame_id]
        assert [row["frame_id"] for row in detail.json()["predictions"]["model"]] == [frame_id]
        assert detail.json()["image_url"] == image_url
        image = client.get(image_url)  # the server's own URL
        assert image.status_code == 200 and image.content.startswith(b"\x89PNG"), frame_id
        thumbnail = client.get(f"{base}/frames/{url_segment(frame_id)}/thumbnail")
        assert thumbnail.status_code == 200, (frame_id, thumbnail.text)
    missing = client.get(f"{base}/frames/{url_segment('val/0002.jpg')}")
    assert "val/0002.jpg" in error_of(missing, 404)["detail"]


def test_frame_ids_of_any_characters_round_trip_through_the_client(
    odd_store: shoal.Store,
) -> None:
    from test_client import serve

    with serve(create_app(odd_store)) as url, Client(url) as client:
        for frame_id in ODD_IDS:
            frame = client.frame(
                "odd project ü%", "data %2F set", frame_id, inference_sets=["model"]
            )
            assert frame["frame"]["frame_id"] == frame_id
            assert client.image("odd project ü%", "data %2F set", frame_id).startswith(b"\x89PNG")
            thumbnail = client.thumbnail("odd project ü%", "data %2F set", frame_id, size=32)
            assert thumbnail.startswith(b"\x89PNG")


def test_url_segments_survive_http_clients_path_normalisation() -> None:
    import httpx

    for name in ODD_IDS:
        url = httpx.URL(f"http://localhost/frames/{url_segment(name)}/image")
        assert url.raw_path.decode().count("/") == 3, name


# ------------------------------------------ defect 15: upload limits on the command line
@pytest.mark.parametrize("value", ["inf", "1e308", "1e-9", "nan", "-1", "0", "lots"])
def test_serve_refuses_impossible_upload_limits_in_one_line(tmp_path: Path, value: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "shoal.cli", "serve", "--home", str(tmp_path / "h"),
         "--port", "0", "--max-upload-mb", value],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .startswith("shoal serve: error: argument --max-upload-mb:")
    )
