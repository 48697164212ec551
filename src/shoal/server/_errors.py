"""Errors as JSON: ``{"error", "detail", "where"}`` for every failed request.

The one place that maps :mod:`shoal.errors` to statuses (the tree and the mapping are
documented there): ``NotFoundError`` 404, ``ConflictError`` 409, other ``InputError`` and
``ShoalError`` 400, request validation 422, anything unexpected 500. Routes raise the
store's errors as they come and never pre-check what the store checks atomically.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from shoal.errors import ConflictError, InputError, NotFoundError, ShoalError, StoreCorruptError
from shoal.server._models import ErrorBody
from shoal.server._routing import allowed_methods

__all__ = ["ERROR_RESPONSES", "ApiError", "FastJSONResponse", "error_response", "install"]

STATUS_NAMES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    422: "validation_error",
    431: "header_fields_too_large",
    500: "internal_error",
}


class FastJSONResponse(JSONResponse):
    """JSON by orjson: NumPy values as they are, NaN and infinity as null."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS)


class ApiError(Exception):
    """An error the API answers on purpose."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        where: str | None = None,
        error: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.where = where
        self.error = error or STATUS_NAMES.get(status, "error")
        self.headers = headers


def error_response(
    status: int,
    detail: str,
    where: str | None = None,
    *,
    error: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body = {"error": error or STATUS_NAMES.get(status, "error"), "detail": detail, "where": where}
    return FastJSONResponse(body, status_code=status, headers=headers)


def input_where(error: InputError) -> str | None:
    parts = []
    if error.source is not None:
        parts.append(str(error.source))
    if error.record is not None:
        parts.append(f"record {error.record}")
    return ": ".join(parts) or None


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


async def _validation(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if not errors:
        return error_response(422, "invalid request")
    first = errors[0]
    where = _location(first.get("loc", ()))
    detail = str(first.get("msg", "invalid value"))
    if len(errors) > 1:
        detail += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return error_response(422, detail, where or None)


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else "request failed"
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no such endpoint: {request.url.path}"
    where = request.url.path if exc.status_code in (404, 405) else None
    if exc.status_code == 413:
        where = "body"
    headers = dict(exc.headers) if exc.headers else None
    if exc.status_code == 405:
        methods = allowed_methods(request.app.routes, str(request.scope.get("path", "")))
        headers = {**(headers or {}), "Allow": ", ".join(methods)}
        detail = f"{request.method} is not allowed here; allowed: {', '.join(methods)}"
    return error_response(exc.status_code, detail, where, headers=headers)


async def _api(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.detail, exc.where, error=exc.error, headers=exc.headers)


async def _not_found(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, NotFoundError)
    return error_response(404, exc.message, input_where(exc))


async def _conflict(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, ConflictError)
    return error_response(409, exc.message, input_where(exc))


async def _input(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, InputError)
    return error_response(400, exc.message, input_where(exc))


async def _store_damaged(_: Request, exc: Exception) -> Response:
    # The server's own files are damaged: not the request's fault (so not 4xx), and not
    # an unexpected failure (so not 500): 503 until repaired, naming the file.
    assert isinstance(exc, StoreCorruptError)
    return error_response(503, str(exc), exc.path, error="store_damaged")


async def _shoal(_: Request, exc: Exception) -> Response:
    return error_response(400, str(exc))


async def _internal(_: Request, exc: Exception) -> Response:
    return error_response(500, f"internal error ({type(exc).__name__})")


def install(app: Any) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(ApiError, _api)
    app.add_exception_handler(NotFoundError, _not_found)
    app.add_exception_handler(ConflictError, _conflict)
    app.add_exception_handler(InputError, _input)
    app.add_exception_handler(StoreCorruptError, _store_damaged)
    app.add_exception_handler(ShoalError, _shoal)
    app.add_exception_handler(Exception, _internal)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": STATUS_NAMES[status].replace("_", " ")}
    # 414 and 431 come from shoal serve's HTTP layer (server/_http.py), for any request
    for status in (400, 401, 403, 404, 409, 413, 414, 422, 431)
}
