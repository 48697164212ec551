"""`shoal serve` serves the built web app at `/`; `shoal demo --serve` is `make demo`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import shoal
from shoal.demo import DEMO_PROJECT_NAMES, build_demo_projects
from shoal.server import _errors, _webapp, create_app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _app_over(folder: Path) -> TestClient:
    app = FastAPI()
    _errors.install(app)
    _webapp.install(app, folder)
    return TestClient(app, base_url="http://localhost")


def test_a_built_app_is_served_with_its_assets(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir(parents=True)
    (tmp_path / "index.html").write_text('<div id="root"></div>')
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log(1)")
    client = _app_over(tmp_path)
    page = client.get("/")
    assert page.status_code == 200 and page.text == '<div id="root"></div>'
    assert page.headers["cache-control"] == "no-cache"
    asset = client.get("/assets/index-abc123.js")
    assert asset.status_code == 200 and asset.text == "console.log(1)"
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    for missing in ("/assets/other.js", "/assets/../index.html", "/assets/%2e%2e/index.html"):
        answer = client.get(missing)
        assert answer.status_code == 404, missing
        assert answer.json()["error"] == "not_found"


def test_without_a_build_the_page_says_how_to_make_one(tmp_path: Path) -> None:
    client = _app_over(tmp_path / "never-built")
    page = client.get("/")
    assert page.status_code == 404
    assert "make demo" in page.json()["detail"] and page.json()["where"] == "path"
    assert client.get("/assets/index.js").status_code == 404  # not a 500


def test_keys_guard_the_api_but_not_the_page(tmp_path: Path) -> None:
    key = "k" * 32
    client = TestClient(
        create_app(tmp_path / "home", api_keys={key: "read-only"}), base_url="http://localhost"
    )
    assert client.get("/").status_code in (200, 404)  # the app when built; never 401
    assert client.get("/").status_code != 401
    assert client.get("/api/v1/projects").status_code == 401
    assert client.get("/api/v1/projects", headers={"Authorization": f"Bearer {key}"}).json() == []
    assert "/" not in client.get("/openapi.json").json()["paths"]


def test_serve_names_a_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "shoal.cli._serve",
                "--home",
                str(tmp_path),
                "--port",
                str(port),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "SHOAL_API_KEYS": ""},
        )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"cannot listen on 127.0.0.1:{port}" in lines[0], done.stderr


def _demo_serve(home: Path, port: int) -> subprocess.Popen[str]:
    flags = ["--serve", "--scale", "0.05", "--home", str(home), "--port", str(port)]
    return subprocess.Popen(
        [sys.executable, "-m", "shoal.cli", "demo", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_projects(process: subprocess.Popen[str], base: str) -> list[str]:
    deadline = time.monotonic() + 120
    while True:
        try:
            return [p["name"] for p in httpx.get(f"{base}/api/v1/projects", timeout=2).json()]
        except httpx.TransportError:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "shoal demo --serve did not start"
            time.sleep(0.2)


@pytest.mark.slow
def test_demo_serve_builds_what_is_missing_then_serves(tmp_path: Path) -> None:
    home = tmp_path / "home"
    for run in ("first", "second"):
        port = _free_port()
        process = _demo_serve(home, port)
        try:
            assert sorted(_wait_for_projects(process, f"http://127.0.0.1:{port}")) == sorted(
                DEMO_PROJECT_NAMES
            )
            page = httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
            if (_webapp.WEBAPP_DIR / "index.html").is_file():
                assert page.status_code == 200 and '<div id="root">' in page.text
            else:
                assert page.status_code == 404 and "not built" in page.json()["detail"]
        finally:
            process.terminate()
            out, err = process.communicate(timeout=30)
        if run == "first":
            assert "shapes (detection)" in out  # built, with each model's scores
        else:
            found = f"demo projects {', '.join(DEMO_PROJECT_NAMES)} found"
            assert found in out and "(detection)" not in out
        assert f"http://127.0.0.1:{port}/" in err


def test_commands_that_serve_start_from_shoal_serves_defaults() -> None:
    from shoal.cli import _serve

    args = _serve.arguments(port=9999)
    assert (args.port, args.host, args.preload, args.max_upload_mb) == (9999, "127.0.0.1", 4, 256)
    with pytest.raises(TypeError, match="no argument 'colour'"):
        _serve.arguments(colour="blue")


def test_the_metrics_answer_carries_the_iou_grid_the_slider_offers(tmp_path: Path) -> None:
    store = shoal.Store(tmp_path / "home")
    build_demo_projects(store, scale=0.05)
    client = TestClient(create_app(store), base_url="http://localhost")
    shapes = "/api/v1/projects/shapes/datasets/rendered-scenes/metrics"
    digits = "/api/v1/projects/digits/datasets/handwritten-digits/metrics"

    def grid(path: str, **params: object) -> list[float]:
        answer = client.get(path, params={"inference_set": params.pop("set"), **params})
        assert answer.status_code == 200, answer.text
        (result,) = answer.json()["results"]
        values: list[float] = result["iou_thresholds"]
        return values

    coco = [float(t) for t in shoal.COCO_IOU_THRESHOLDS]
    first = grid(shapes, set="adaptive-cc", include="report")
    assert first == coco  # the project's default (0.5) is one of them
    # An IoU off the grid is matched when asked for, and offered from then on.
    with_off_grid = grid(shapes, set="adaptive-cc", iou=0.33, include="report")
    assert with_off_grid == sorted([*coco, 0.33])
    assert grid(digits, set="logreg-4x4") == []  # classification has no IoU
