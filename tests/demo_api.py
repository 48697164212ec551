"""Fixtures for tests of the API's analysis routes: the two demo projects in a real
store, served in-process (``api``: FastAPI's test client) and over HTTP to the Python
client (``remote``). Import the fixtures into a test module to use them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from fastapi.testclient import TestClient

import shoal
from shoal.client import Client
from shoal.demo import build_demo_projects
from shoal.server import create_app
from test_client import serve

API = "/api/v1"
SHAPES = f"{API}/projects/shapes/datasets/rendered-scenes"
DIGITS = f"{API}/projects/digits/datasets/handwritten-digits"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[shoal.Store]:
    built = shoal.Store(tmp_path_factory.mktemp("home"))
    build_demo_projects(built, scale=0.05)
    yield built
    built.close()


@pytest.fixture(scope="module")
def api(store: shoal.Store) -> TestClient:
    return TestClient(create_app(store), base_url="http://localhost")


@pytest.fixture(scope="module")
def remote(store: shoal.Store) -> Iterator[Client]:
    with serve(create_app(store)) as url, Client(url) as client:
        yield client


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def error(response: Any, status: int) -> dict[str, Any]:
    """The JSON error body of a refused request (never a 500)."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"error", "detail", "where"} and body["detail"]
    return body


def set_names(api: TestClient, dataset: str) -> list[str]:
    return [entry["name"] for entry in ok(api.get(f"{dataset}/inference-sets"))]
