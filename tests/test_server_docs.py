"""/docs works offline: the page and every file it loads come from the server itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("swagger_ui")

from fastapi.testclient import TestClient

from shoal.server import create_app


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    return TestClient(create_app(tmp_path / "home"), base_url="http://localhost")


def test_docs_load_only_files_the_server_serves(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    urls += re.findall(r"""url:\s*['"]([^'"]+)['"]""", html)  # the schema Swagger UI reads
    assert len(urls) >= 4, html
    assert not [url for url in urls if "//" in url], urls  # nothing from another host
    for url in urls:
        assert client.get(url).status_code == 200, url
    bundle = client.get("/docs/static/swagger-ui-bundle.js").text
    assert "isOAS31" in bundle  # Swagger UI 5: it reads the OpenAPI 3.1 the server writes
    assert client.get("/openapi.json").json()["openapi"].startswith("3.1")


def test_redoc_is_not_offered_from_a_cdn(client: TestClient) -> None:
    assert client.get("/redoc").status_code == 404
