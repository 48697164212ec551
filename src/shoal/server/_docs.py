"""The API's interactive docs at ``/docs``, entirely from this machine.

FastAPI's own ``/docs`` page loads Swagger UI from a CDN, so offline (or behind a
firewall) it is blank. Here the page loads Swagger UI's files from the ``swagger-ui-py``
package (Swagger UI 5, which reads OpenAPI 3.1), served under ``/docs/static/``; no
request leaves the machine. ``/redoc`` (CDN-only) is not offered.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response

from shoal.server._errors import ApiError

__all__ = ["STATIC_PREFIX", "install", "swagger_ui_folder"]

STATIC_PREFIX = "/docs/static"


def swagger_ui_folder() -> Path | None:
    """Where Swagger UI's files are installed, or None without ``swagger-ui-py``."""
    try:
        folder = Path(str(resources.files("swagger_ui") / "static"))
    except ModuleNotFoundError:
        return None
    return folder if (folder / "swagger-ui-bundle.js").is_file() else None


def install(app: FastAPI) -> None:
    """``/docs`` (made with ``FastAPI(docs_url=None, redoc_url=None)``) and its files."""
    folder = swagger_ui_folder()

    @app.get("/docs", include_in_schema=False)
    def docs() -> Response:
        if folder is None:
            raise ApiError(
                404,
                "the API docs need swagger-ui-py (pip install 'shoal[server]'); the schema "
                "is at /openapi.json",
                where="path",
            )
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} API",
            swagger_js_url=f"{STATIC_PREFIX}/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC_PREFIX}/swagger-ui.css",
            swagger_favicon_url=f"{STATIC_PREFIX}/favicon-32x32.png",
        )

    if folder is not None:
        app.mount(STATIC_PREFIX, StaticFiles(directory=folder), name="docs-static")
