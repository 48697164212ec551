"""Names of any characters in URL paths, and the ``Allow`` header of a 405.

A name is one path segment, percent-encoded (``shoal._types.url_segment``): a frame id
``val/0001.jpg`` is ``val%2F0001.jpg``. ASGI servers hand the application the *decoded*
path, in which that ``/`` splits the segment in two and no route matches. So for the API
the path is rebuilt from the raw path with each segment decoded except ``%`` and ``/``
(written ``%25`` and ``%2F``), routes match on that, and each path parameter is decoded
once, by :class:`NameRoute`, before a handler sees it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

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


def allowed_methods(routes: list[BaseRoute], path: str) -> list[str]:
    """Every method some route answers at ``path`` (a 405's ``Allow`` header: Starlette
    names only the first matching route's)."""
    methods: set[str] = set()
    for route in routes:
        regex: Any = getattr(route, "path_regex", None)
        if regex is not None and regex.match(path) and getattr(route, "methods", None):
            methods.update(route.methods)  # type: ignore[attr-defined]
    return sorted(methods)
