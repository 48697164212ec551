"""The API under a real uvicorn: concurrent reads during a chunked upload, `shoal serve`
refusing to run unprotected, and access logs that never carry secrets."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import shoal
from shoal.demo import build_demo_projects

httpx = pytest.importorskip("httpx")
pytest.importorskip("uvicorn")  # serve (test_client) runs the app under it

API = "/api/v1"
SHAPES = f"{API}/projects/shapes/datasets/rendered-scenes"
KEY = "k" * 24


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, shoal.Store]]:
    from shoal.server import create_app
    from test_client import serve

    store = shoal.Store(tmp_path_factory.mktemp("home"))
    build_demo_projects(store, scale=0.05)
    with serve(create_app(store)) as url:
        yield url, store


def _metrics(client: Any, conf: float) -> dict[str, Any]:
    answer = client.get(
        f"{SHAPES}/metrics",
        params={
            "inference_set": "adaptive-cc",
            "conf": conf,
            "include": ["report", "confusion_matrix"],
        },
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()["results"][0]
    return result


def test_readers_see_the_old_or_the_new_state_during_an_upload(
    live: tuple[str, shoal.Store],
) -> None:
    base, store = live
    dataset = store.project("shapes").dataset("rendered-scenes")
    rows = dataset.inference_set("threshold-cc").predictions().to_pylist()
    confs = (0.1, 0.3, 0.6)
    with httpx.Client(base_url=base, timeout=60) as client:
        old = {c: _metrics(client, c) for c in confs}
        new_answer = client.get(
            f"{SHAPES}/metrics", params={"inference_set": "threshold-cc", "conf": 0.3}
        ).json()["results"][0]
    assert old[0.3]["report"] != new_answer["report"]

    done = threading.Event()
    seen: list[tuple[float, dict[str, Any]]] = []
    failures: list[str] = []

    def reader(index: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            extra = 0
            while extra < 3:
                conf = confs[index % len(confs)]
                try:
                    seen.append((conf, _metrics(client, conf)))
                    regression = client.get(f"{SHAPES}/inference-sets/adaptive-cc/regression")
                    assert regression.status_code == 200, regression.text
                except Exception as error:
                    failures.append(repr(error))
                    return
                index += 1
                if done.is_set():
                    extra += 1

    readers = [threading.Thread(target=reader, args=(i,)) for i in range(8)]
    for thread in readers:
        thread.start()
    with httpx.Client(base_url=base, timeout=60) as client:
        upload_id = client.post(f"{API}/uploads").json()["upload_id"]
        size = max(1, len(rows) // 4)
        for number, start in enumerate(range(0, len(rows), size)):
            put = client.put(
                f"{API}/uploads/{upload_id}/chunks/{number}",
                json={"predictions": rows[start : start + size]},
            )
            assert put.status_code == 200, put.text
            time.sleep(0.05)
        commit = client.post(
            f"{API}/uploads/{upload_id}/commit",
            json={
                "kind": "inference_set",
                "project": "shapes",
                "dataset": "rendered-scenes",
                "name": "adaptive-cc",
                "replace": True,
            },
        )
        assert commit.status_code == 201, commit.text
        assert commit.json()["version"] == 2
        new = {c: _metrics(client, c) for c in confs}
    done.set()
    for thread in readers:
        thread.join(timeout=120)
    assert not failures, failures[:3]
    assert new[0.3]["report"] == new_answer["report"]
    versions = set()
    for conf, result in seen:
        versions.add(result["version"])
        expected = old[conf] if result["version"] == 1 else new[conf]
        assert result == expected
    assert versions == {1, 2}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _serve(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "shoal.cli._serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def test_serve_refuses_a_public_address_without_keys(tmp_path: Path) -> None:
    env = {"SHOAL_API_KEYS": ""}
    process = _serve(
        "--home", str(tmp_path / "home"), "--host", "0.0.0.0", "--port", str(_free_port()), env=env
    )
    _, err = process.communicate(timeout=60)
    assert process.returncode == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "refusing to serve on 0.0.0.0 without API keys" in lines[0]
    bad_keys = tmp_path / "keys.txt"
    bad_keys.write_text("short read-only\n")
    process = _serve("--home", str(tmp_path / "home"), "--api-keys-file", str(bad_keys), env=env)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 2 and "record 1" in err


def test_shoal_serve_command_refuses_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from shoal.cli import _build_parser

    parser = _build_parser()
    try:
        args = parser.parse_args(["serve", "--host", "0.0.0.0", "--home", str(tmp_path)])
    except SystemExit:
        pytest.skip("`shoal serve` is not registered in shoal.cli yet")
    monkeypatch.delenv("SHOAL_API_KEYS", raising=False)
    assert args.run(args) == 2
    assert "refusing" in capsys.readouterr().err


def test_access_logs_print_paths_only(tmp_path: Path) -> None:
    keys = tmp_path / "keys.txt"
    keys.write_text(f"# who may read\n{KEY} read-only\n")
    port = _free_port()
    process = _serve(
        "--home", str(tmp_path / "home"), "--port", str(port), "--api-keys-file", str(keys)
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, process.stderr
                time.sleep(0.1)
        headers = {"Authorization": f"Bearer {KEY}"}
        assert (
            httpx.get(
                f"{base}{API}/projects", params={"token": "QUERYSECRET"}, headers=headers
            ).status_code
            == 200
        )
        assert httpx.get(f"{base}{API}/projects", params={"api_key": KEY}).status_code == 401
        assert (
            httpx.post(f"{base}{API}/projects", json={"name": "x"}, headers=headers).status_code
            == 403
        )
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    err = out + err  # uvicorn's access log goes to stdout
    assert "GET /api/v1/projects HTTP/1.1" in err
    assert "401" in err and "403" in err
    assert KEY not in err and "QUERYSECRET" not in err and "token=" not in err
