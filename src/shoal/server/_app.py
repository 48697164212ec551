"""The application factory, its middleware and its error handling."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shoal.server import _errors
from shoal.server._auth import Access, KeyRing, is_loopback
from shoal.server._routing import route_path
from shoal.server._state import ServerState
from shoal.server._thumbnails import DEFAULT_THUMBNAIL_CACHE_BYTES, ThumbnailCache
from shoal.store import Store

__all__ = ["DEFAULT_MAX_UPLOAD_BYTES", "DEFAULT_MAX_UPLOAD_TOTAL_BYTES", "create_app"]

DEFAULT_MAX_UPLOAD_BYTES = 256 * 1024 * 1024
# What one upload's chunks may add up to: its commit holds them as Arrow columns (about
# half their JSON size) plus one chunk's JSON at a time.
DEFAULT_MAX_UPLOAD_TOTAL_BYTES = 2048 * 1024 * 1024
STALE_UPLOAD_SECONDS = 24 * 3600
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Keys guard the data, which is all under /api/; the web app's page and assets and the
# API's docs are the same for everyone (the app asks for a key when the API answers 401).
_GUARDED_PREFIX = "/api/"
# The names a key-less server answers to besides those it was given (any 127.0.0.0/8
# address is answered too).
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")


class _TooLarge(StarletteHTTPException):
    """Raised while reading a body over the limit (FastAPI passes HTTP errors on)."""

    def __init__(self, limit: int) -> None:
        megabytes = limit / (1024 * 1024)
        super().__init__(413, f"the request body is over the server's limit of {megabytes:g} MB")


def host_name(header: str) -> str:
    """The name in a ``Host`` header (or a ``--host``), lowercased, without its port or a
    trailing dot; an IPv6 address in brackets."""
    text = header.strip().lower()
    if text.startswith("["):
        text = text[: text.find("]") + 1] if "]" in text else text
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    elif text.count(":") > 1:
        text = f"[{text}]"  # a bare IPv6 address, as --host takes it
    return text.removesuffix(".")


class GuardMiddleware:
    """Outermost layer: the ``Host`` check of a key-less server, API keys, the
    request-body limit, the path routes match on (``_routing``) and the Server-Timing
    header.

    Tokens are only read from the ``Authorization`` header, never from the query
    string, so they cannot end up in access logs.

    Without keys, a request must be addressed to a loopback name (or one of ``hosts``).
    A browser sends the page's own host name, so a web page whose name an attacker
    points at 127.0.0.1 (DNS rebinding) cannot read or write through a visitor's browser.
    """

    def __init__(
        self, app: ASGIApp, keys: KeyRing | None, max_body: int, hosts: frozenset[str]
    ) -> None:
        self.app = app
        self.keys = keys
        self.max_body = max_body
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = {k.decode("latin-1").lower(): v for k, v in scope.get("headers", [])}
        path = str(scope.get("path", ""))
        raw_path = scope.get("raw_path")
        if path.startswith(_GUARDED_PREFIX) and isinstance(raw_path, bytes):
            scope = {**scope, "path": route_path(raw_path), "shoal.route_path": True}
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        length = headers.get("content-length")
        if length is not None:
            try:
                too_large = int(length) > self.max_body
            except ValueError:
                too_large = False
            if too_large:
                await self._too_large()(scope, receive, send)
                return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise _TooLarge(self.max_body)
            return message

        async def timed_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
                elapsed = (time.perf_counter() - started) * 1000.0
                extra = [(b"server-timing", f"app;dur={elapsed:.2f}".encode())]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        try:
            await self.app(scope, limited_receive, timed_send)
        except _TooLarge:
            if not response_started:
                await self._too_large()(scope, receive, send)

    def _too_large(self) -> ASGIApp:
        megabytes = self.max_body / (1024 * 1024)
        return _errors.error_response(
            413, f"the request body is over the server's limit of {megabytes:g} MB", "body"
        )

    def _refusal(self, scope: Scope, headers: Mapping[str, bytes]) -> ASGIApp | None:
        if self.keys is None:
            host = headers.get("host")
            if host is None or host_name(host.decode("latin-1")) in self.hosts:
                return None
            if is_loopback(host_name(host.decode("latin-1"))):
                return None
            return _errors.error_response(
                400,
                f"this server has no API keys, so it answers only requests addressed to "
                f"{', '.join(sorted(self.hosts))}, not {host.decode('latin-1')!r} "
                "(a guard against DNS rebinding; serve with API keys to be reached by other "
                "names)",
                "header.Host",
            )
        if not str(scope.get("path", "")).startswith(_GUARDED_PREFIX):
            return None
        challenge = {"WWW-Authenticate": "Bearer"}
        header = headers.get("authorization", b"").decode("latin-1")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _errors.error_response(
                401,
                "this server needs an API key: send 'Authorization: Bearer <key>'",
                "header.Authorization",
                headers=challenge,
            )
        access = self.keys.access(token.strip())
        if access is None:
            return _errors.error_response(
                401, "unknown API key", "header.Authorization", headers=challenge
            )
        if access != "read-write" and scope.get("method", "GET") not in _SAFE_METHODS:
            return _errors.error_response(403, "this API key is read-only", "header.Authorization")
        return None


def _sweep_uploads(folder: Path) -> None:
    """Remove uploads nobody committed or aborted for a day."""
    now = time.time()
    for entry in folder.iterdir() if folder.is_dir() else ():
        try:
            if now - entry.stat().st_mtime > STALE_UPLOAD_SECONDS:
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            continue


def create_app(
    store_or_home: Store | str | os.PathLike[str],
    *,
    api_keys: Mapping[str, Access] | None = None,
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
    max_upload_total_bytes: int = DEFAULT_MAX_UPLOAD_TOTAL_BYTES,
    preload: int = 0,
    hosts: Iterable[str] = (),
    thumbnail_cache_bytes: int = DEFAULT_THUMBNAIL_CACHE_BYTES,
) -> Any:
    """The REST API over one store (or the store on ``home``), and the web app at ``/``.

    ``api_keys`` maps each key to ``"read-only"`` or ``"read-write"``; with keys, every
    request under ``/api/`` needs ``Authorization: Bearer <key>``. A request body may
    hold ``max_upload_bytes``, and one upload's chunks ``max_upload_total_bytes`` in all.
    Without keys anyone who can reach the server may read and write: bind it to a
    loopback address (``shoal serve`` refuses otherwise). Without keys, too, only requests
    addressed (``Host``) to a loopback name (localhost, 127.0.0.0/8, [::1]) or one of
    ``hosts`` are answered (400 otherwise). ``preload`` evaluations (of the
    most recently written inference sets) are loaded in the background from the start.
    Thumbnails are cached under ``<home>/thumbnails``, at most ``thumbnail_cache_bytes``
    (least recently used removed first).
    """
    from shoal.server import (
        _docs,
        _routes_analysis,
        _routes_calibration,
        _routes_campaigns,
        _routes_data,
        _routes_element_metrics,
        _routes_embeddings,
        _routes_entities,
        _routes_insights,
        _routes_issues,
        _routes_label_errors,
        _routes_metric_performance,
        _routes_metrics,
        _routes_multilabel,
        _routes_ner,
        _routes_projection_colors,
        _routes_quality,
        _routes_similar,
        _webapp,
    )

    store = store_or_home if isinstance(store_or_home, Store) else Store(store_or_home)
    if max_upload_bytes <= 0 or max_upload_total_bytes <= 0:
        raise ValueError("max_upload_bytes and max_upload_total_bytes must be positive")
    keys = KeyRing(api_keys) if api_keys else None
    uploads = store.home.path / "uploads"
    thumbnails = store.home.path / "thumbnails"
    for folder in (uploads, thumbnails):
        folder.mkdir(parents=True, exist_ok=True)
    _sweep_uploads(uploads)

    app = FastAPI(
        title="Shoal",
        version=_version(),
        description=(
            "Find where ML models fail: projects, datasets, inference sets, segments and "
            "issues, exact metrics at any threshold, and the examples behind them."
        ),
        default_response_class=_errors.FastJSONResponse,
        docs_url=None,  # _docs serves /docs without a CDN
        redoc_url=None,
    )
    # The store's evaluation cache serves every request (and the CLI, and scripts).
    store.evaluations.preload(preload)
    app.state.shoal = ServerState(
        store=store,
        keys=keys,
        max_upload_bytes=max_upload_bytes,
        max_upload_total_bytes=max_upload_total_bytes,
        uploads=uploads,
        thumbnails=ThumbnailCache(thumbnails, thumbnail_cache_bytes),
    )
    _errors.install(app)
    for module in (
        _routes_entities,
        _routes_data,
        _routes_metrics,
        _routes_multilabel,
        _routes_ner,
        _routes_analysis,
        _routes_calibration,
        _routes_insights,
        _routes_label_errors,
        _routes_metric_performance,
        _routes_quality,
        _routes_element_metrics,
        _routes_similar,
        _routes_embeddings,
        _routes_issues,
        _routes_projection_colors,
        _routes_campaigns,
    ):
        app.include_router(module.router, prefix="/api/v1", responses=_errors.ERROR_RESPONSES)
    _docs.install(app)
    _webapp.install(app)
    names = frozenset({*LOOPBACK_NAMES, *(host_name(host) for host in hosts)})
    app.add_middleware(GuardMiddleware, keys=keys, max_body=max_upload_bytes, hosts=names)
    return app


def _version() -> str:
    from shoal import __version__

    return str(__version__)
