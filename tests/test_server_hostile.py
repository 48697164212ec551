# ruff: noqa: UP031 (raw JSON texts, full of braces, read best with %-formatting)
"""The server against hostile or unlucky input (issue 11): every refusal is a 4xx with the
JSON error body, and nothing is stored differently from what was sent."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
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


# ---------------------------------- defects 6 and 7: uploads keep exactly what was sent
@pytest.fixture
def pets(tmp_path: Path) -> TestClient:
    store = shoal.Store(tmp_path / "home")
    project = store.create_project("pets", classes=["cat", "dog"])
    frames = pa.table({"frame_id": ["f0", "f1"]})
    labels = pa.table({
        "label_id": ["l0", "l1"], "frame_id": ["f0", "f1"], "class_name": ["cat", "dog"],
        "x": [1.0, 2.0], "y": [1.0, 2.0], "width": [5.0, 5.0], "height": [5.0, 5.0],
    })  # fmt: skip
    project.create_dataset("val", shoal.DatasetTables.build(frames, labels))
    return TestClient(create_app(store, max_upload_total_bytes=4000), base_url=LOCAL)


def _start(client: TestClient) -> str:
    answer = client.post(f"{API}/uploads")
    assert answer.status_code == 201
    upload_id: str = answer.json()["upload_id"]
    return upload_id


def _put_raw(client: TestClient, upload_id: str, number: int, body: str) -> Any:
    return client.put(
        f"{API}/uploads/{upload_id}/chunks/{number}",
        content=body.encode("utf-8", "surrogatepass"),
        headers={"content-type": "application/json"},
    )


PREDICTION = (
    '{"frame_id": "f0", "class_name": "cat", "x": 1, "y": 1, "width": 5, "height": 5, '
    '"confidence": %s}'
)


@pytest.mark.parametrize(
    ("chunk", "where", "words"),
    [
        ('{"predictions": [%s, %s]}' % (PREDICTION % "0.5", PREDICTION % "NaN"),
         "body.predictions.1.confidence", "nan"),
        ('{"frames": [{"frame_id": "f9", "weather": Infinity}]}', "body.frames.0.weather", "inf"),
        ('{"frames": [{"frame_id": "f9", "weather": -Infinity}]}', "body.frames.0.weather", "inf"),
        ('{"frames": [{"frame_id": "f9", "weather": NaN}]}', "body.frames.0.weather", "nan"),
        ('{"frames": [{"frame_id": "f9", "n": %d}]}' % 2**64, "body.frames.0.n", "2**53"),
        ('{"frames": [{"frame_id": "f9", "n": %d}]}' % -(2**53), "body.frames.0.n", "2**53"),
        ('{"frames": [{"frame_id": "f9", "n": 1e20}]}', "body.frames.0.n", "2**53"),
        ('{"frames": [{"frame_id": "f9", "n": "a\\ud800"}]}', "body.frames.0.n", "surrogate"),
        ('{"frames": [{"frame_id": "f9", "\\udfff": 1}]}', "body.frames.0", "surrogate"),
        ('{"frames": [{"frame_id": "f9", "n": %s}]}' % ("[" * 300 + "]" * 300),
         "body.frames.0.n", "nested"),
    ],
)  # fmt: skip
def test_chunks_with_values_json_cannot_keep_are_refused_naming_the_value(
    pets: TestClient, chunk: str, where: str, words: str
) -> None:
    upload_id = _start(pets)
    body = error_of(_put_raw(pets, upload_id, 0, chunk), 422)
    assert body["where"].startswith(where) and words in body["detail"].lower()
    assert pets.get(f"{API}/uploads/{upload_id}").json()["chunks"] == []


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ('{"name": "a\\ud800"}', "body.name"),
        ('{"name": "p", "classes": ["\\udc00"]}', "body.classes.0"),
        ('{"name": "p", "classes": [{"name": "c", "id": %d}]}' % 2**64, "body.classes.0.id"),
        ('{"name": "p", "classes": [{"name": "c", "id": %d}]}' % 2**63, "body.classes.0.id"),
        ('{"name": "p", "default_conf": NaN}', "body.default_conf"),
        ('{"name": "p", "x": %s}' % ("[" * 256 + "]" * 256), "body.x"),
    ],
)  # fmt: skip
def test_every_json_body_is_checked_alike(pets: TestClient, body: str, where: str) -> None:
    answer = pets.post(
        f"{API}/projects",
        content=body.encode("utf-8", "surrogatepass"),
        headers={"content-type": "application/json"},
    )
    assert error_of(answer, 422)["where"].startswith(where)


def _commit(client: TestClient, upload_id: str, **body: Any) -> Any:
    return client.post(f"{API}/uploads/{upload_id}/commit", json=body)


def test_a_commit_refuses_a_gap_in_the_chunks(pets: TestClient) -> None:
    upload_id = _start(pets)
    for number in (0, 2):
        chunk = '{"frames": [{"frame_id": "f%d"}]}' % number
        assert _put_raw(pets, upload_id, number, chunk).status_code == 200
    body = error_of(_commit(pets, upload_id, kind="dataset", project="pets", name="gap"), 409)
    assert body["where"] == "chunks" and "chunk 1 is missing" in body["detail"]
    assert pets.get(f"{API}/projects/pets/datasets/gap").status_code == 404
    assert _put_raw(pets, upload_id, 1, '{"frames": [{"frame_id": "f1"}]}').status_code == 200
    done = _commit(pets, upload_id, kind="dataset", project="pets", name="gap")
    assert done.status_code == 201 and done.json()["rows"]["frames"] == 3


@pytest.mark.parametrize(
    ("chunks", "where", "words"),
    [
        (['{"labels": [{"label_id": "a", "frame_id": "f0", "class_name": "cat", "x": 1, '
          '"y": 1, "width": true, "height": 2}]}'], "labels: record 0", "width"),
        (['{"frames": [{"frame_id": "f0", "width": 1.5, "height": 2}]}'], "frames: record 0",
         "width"),
        (['{"frames": [{"frame_id": 7}]}'], "frames: record 0", "frame_id"),
        (['{"frames": [{"frame_id": "f0", "weather": "sun"}]}',
          '{"frames": [{"frame_id": "f1"}, {"frame_id": "f2", "weather": 3}]}'],
         "frames: record 2", "weather"),
    ],
)  # fmt: skip
def test_values_of_another_type_are_refused_at_commit_naming_the_record(
    pets: TestClient, chunks: list[str], where: str, words: str
) -> None:
    upload_id = _start(pets)
    for number, chunk in enumerate(chunks):
        assert _put_raw(pets, upload_id, number, chunk).status_code == 200
    body = error_of(_commit(pets, upload_id, kind="dataset", project="pets", name="typed"), 400)
    assert body["where"] == where and words in body["detail"]


def test_ints_and_floats_of_one_key_widen_across_chunks(pets: TestClient, tmp_path: Path) -> None:
    upload_id = _start(pets)
    _put_raw(pets, upload_id, 0, '{"frames": [{"frame_id": "f0", "speed": 3}, {"frame_id": "f1"}]}')
    _put_raw(pets, upload_id, 1, '{"frames": [{"frame_id": "f2", "speed": 2.5}]}')
    done = _commit(pets, upload_id, kind="dataset", project="pets", name="wide")
    assert done.status_code == 201, done.text
    frames = shoal.Store(tmp_path / "home").project("pets").dataset("wide").frames()
    assert frames.column("speed").to_pylist() == [3.0, None, 2.5]
    assert frames.schema.field("speed").type == pa.float64()


def test_an_upload_is_capped_in_total(pets: TestClient) -> None:
    upload_id = _start(pets)
    rows = ",".join('{"frame_id": "frame-%04d"}' % i for i in range(60))  # ~1.6 kB staged
    assert _put_raw(pets, upload_id, 0, '{"frames": [%s]}' % rows).status_code == 200
    assert _put_raw(pets, upload_id, 1, '{"frames": [%s]}' % rows).status_code == 200
    body = error_of(_put_raw(pets, upload_id, 2, '{"frames": [%s]}' % rows), 413)
    assert body["where"] == "upload" and "limit" in body["detail"]
    # replacing a chunk counts it once
    assert _put_raw(pets, upload_id, 1, '{"frames": [%s]}' % rows).status_code == 200


@pytest.mark.parametrize("route", ["frames", "inference-sets/model/examples"])
def test_huge_offsets_are_422_not_500(odd_store: shoal.Store, route: str) -> None:
    client = TestClient(create_app(odd_store), base_url=LOCAL)
    base = f"{API}/projects/{url_segment('odd project ü%')}/datasets/{url_segment('data %2F set')}"
    for offset in (2**31, 2**63, 2**64):
        error_of(client.get(f"{base}/{route}", params={"offset": offset}), 422)
    answer = client.get(f"{base}/{route}", params={"offset": 2**31 - 1})
    assert answer.status_code == 200, answer.text


# ------------------------- defect 7: what HTTP itself refuses gets the JSON error body too
@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``shoal serve`` (the command, with its HTTP protocol) on a fresh home."""
    import time

    from test_server_live import _free_port, _serve

    port = _free_port()
    process = _serve("--home", str(tmp_path_factory.mktemp("served")), "--port", str(port))
    deadline = time.monotonic() + 30
    while True:
        try:
            import socket

            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, process.stderr
            time.sleep(0.1)
    yield port
    process.terminate()
    process.wait(timeout=30)


def _raw_request(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``request`` whole (as a client that does not wait would) and read the answer."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(request)  # the answer may come before the request is all sent
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in header_lines)
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /api/v1/projects?q=" + b"a" * 3_000_000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n",
         414),
        (b"GET /api/v1/projects HTTP/1.1\r\nHost: localhost\r\n"
         + b"".join(b"X-Filler-%d: %s\r\n" % (i, b"b" * 1000) for i in range(3000)) + b"\r\n",
         431),
        (b"NOT HTTP AT ALL\r\n\r\n", 400),
    ],
)  # fmt: skip
def test_requests_http_refuses_get_the_json_error_body(
    served: int, request_bytes: bytes, status: int
) -> None:
    got, headers, body = _raw_request(served, request_bytes)
    assert got == status and headers["content-type"] == "application/json"
    error = orjson.loads(body)
    assert set(error) == {"error", "detail", "where"} and error["where"] == "request"


def test_a_long_query_within_the_schemas_limits_is_read(served: int) -> None:
    from urllib.parse import quote

    conf = quote("é" * 50_000)  # 100 kB in UTF-8, 300 kB percent-encoded: not a threshold
    path = f"/api/v1/projects/p/datasets/d/metrics?inference_set=m&conf={conf}"
    request = f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    status, _, body = _raw_request(served, request.encode())
    assert status == 404, body  # read whole; the project is missing
