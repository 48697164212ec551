"""The built web app (``web/`` compiled by Vite into ``_webapp/``), served at ``/``.

The build is not in the repository: ``make demo`` (or ``cd web && npm run build``) writes
it here, and a wheel built afterwards carries it as package data. Without a build, ``/``
answers a 404 that says how to make one; the REST API works either way.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

from shoal.server._errors import ApiError

__all__ = ["WEBAPP_DIR", "install"]

WEBAPP_DIR = Path(__file__).with_name("_webapp")
# Vite names every asset by its content hash, so a browser may keep them for good; the
# page itself must be revalidated so that a rebuilt app is picked up on reload.
_IMMUTABLE = "public, max-age=31536000, immutable"
_REVALIDATE = "no-cache"


class _HashedAssets(StaticFiles):
    """Vite's ``assets/`` folder, cached for good; missing files (or no build) are 404s."""

    async def check_config(self) -> None:
        # Starlette raises (a 500) when the folder is missing; without a build every
        # asset is simply not found.
        return None

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["cache-control"] = _IMMUTABLE
        return response


def install(app: FastAPI, folder: Path = WEBAPP_DIR) -> None:
    """Serve ``folder/index.html`` at ``/`` and ``folder/assets/`` under ``/assets``."""
    index = folder / "index.html"

    @app.get("/", include_in_schema=False)
    def web_app() -> Response:
        if not index.is_file():
            raise ApiError(
                404,
                "the web app is not built in this installation: run `make demo`, or "
                "`npm ci && npm run build` in web/ (the REST API is under /api/v1)",
                where="path",
            )
        return FileResponse(index, media_type="text/html", headers={"cache-control": _REVALIDATE})

    # check_dir=False: the app may be built after the server starts.
    app.mount("/assets", _HashedAssets(directory=folder / "assets", check_dir=False), name="assets")
