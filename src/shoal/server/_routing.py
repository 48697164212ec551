"""Names of any characters in URL paths, JSON bodies kept as sent, and the ``Allow``
header of a 405.

A name is one path segment, percent-encoded (``shoal._types.url_segment``): a frame id
``val/0001.jpg`` is ``val%2F0001.jpg``. ASGI servers hand the application the *decoded*
path, in which that ``/`` splits the segment in two and no route matches. So for the API
the path is rebuilt from the raw path with each segment decoded except ``%`` and ``/``
(written ``%25`` and ``%2F``), routes match on that, and each path parameter is decoded
once, by :class:`NameRoute`, before a handler sees it.

Python's JSON parser reads ``NaN``, ``Infinity``, integers of any size and lone
surrogates, none of which a store, a Parquet file or a JSON answer can hold as sent
(``NaN`` would come back as null, a confidence of null as 1.0). :class:`NameRoute` refuses
such a body with 422 naming the value's place (``body.predictions.4.confidence``) before
a handler sees it, by the one rule in ``shoal.formats._validation``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import unquote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

from shoal.formats._validation import json_value_problem

__all__ = ["NameRoute", "allowed_methods", "route_path"]


def route_path(raw_path: bytes) -> str:
    """The path routes match on: ``raw_path`` with every segment decoded but for the
    ``%`` and ``/`` inside it."""
    segments = raw_path.decode("utf-8", "replace").split("/")
    return "/".join(
        unquote(segment).replace("%", "%25").replace("/", "%2F") for segment in segments
    )


class NameRoute(APIRoute):
    """A route whose path parameters arrive decoded (see the module doc)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match is not Match.NONE and scope.get("shoal.route_path"):
            child_scope["path_params"] = {
                name: unquote(value) if isinstance(value, str) else value
                for name, value in child_scope["path_params"].items()
            }
        return match, child_scope

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def checked(request: Request) -> Response:
            if "json" in request.headers.get("content-type", "") and await request.body():
                try:
                    body = await request.json()
                except (ValueError, RecursionError):
                    body = None  # FastAPI answers what is not JSON
                found = json_value_problem(body)
                if found is not None:
                    path, problem = found
                    raise RequestValidationError(
                        [{"type": "value_error", "loc": ("body", *path), "msg": problem}]
                    )
            return await handle(request)

        return checked


def allowed_methods(routes: list[BaseRoute], path: str) -> list[str]:
    """Every method some route answers at ``path`` (a 405's ``Allow`` header: Starlette
    names only the first matching route's)."""
    methods: set[str] = set()
    for route in routes:
        regex: Any = getattr(route, "path_regex", None)
        if regex is not None and regex.match(path) and getattr(route, "methods", None):
            methods.update(route.methods)  # type: ignore[attr-defined]
    return sorted(methods)
