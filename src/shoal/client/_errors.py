"""The exceptions the client raises: every one is a :class:`shoal.errors.ShoalError`,
and those that mean what a core error means are that core error too, so code written
against the local store handles the remote one unchanged (the whole tree, with the
server's status for each, is in :mod:`shoal.errors`).

::

    ShoalError
    └── ClientError                 anything the client raises on purpose
        ├── UsageError              a call the client refuses before asking (also a ValueError)
        ├── ConnectionFailed        the server could not be reached, or did not answer in time
        ├── ProtocolError           the server answered with something that is not Shoal's API
        └── APIError                the server answered with an error status
            ├── BadRequest          400, 422: the request was invalid; also an InputError
            ├── AuthenticationError 401: no API key, or an unknown one
            ├── PermissionDenied    403: the key may not do this (e.g. a read-only key writing)
            ├── NotFound            404: no such project, ...; also a NotFoundError
            ├── Conflict            409: the name is taken or state clashed; also a ConflictError
            ├── PayloadTooLarge     413: a request body over the server's limit
            └── ServerError         5xx: the server failed
"""

from __future__ import annotations

from typing import Any

from shoal.errors import ConflictError, InputError, NotFoundError, ShoalError

__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequest",
    "ClientError",
    "Conflict",
    "ConnectionFailed",
    "NotFound",
    "PayloadTooLarge",
    "PermissionDenied",
    "ProtocolError",
    "ServerError",
    "UsageError",
]


class ClientError(ShoalError):
    """Base class of every error :class:`shoal.client.Client` raises."""


class UsageError(ClientError, ValueError):
    """A call the client can tell is wrong without the server's answer: an argument of
    the wrong kind (upload data that is not a dataset, ``chunk_rows=0``), a bad URL, or
    ``dataset=None`` for a project with no or several datasets."""


class ConnectionFailed(ClientError):
    """The server could not be reached (refused, unknown host, TLS failure) or did not
    answer within the client's timeout. The message names the URL, never the token."""


class ProtocolError(ClientError):
    """The server's answer is not what Shoal's API sends (e.g. not JSON)."""


class APIError(ClientError):
    """The server answered with an error status.

    Attributes: ``status`` (the HTTP status code), ``error`` (the server's short error
    name, e.g. ``"not_found"``), ``detail`` (the readable message), ``where`` (what the
    error is about: a field, a record or a path; may be None), ``method`` and ``path``
    of the request. ``str(error)`` is one line, e.g.
    ``404 not_found: no project named 'nope' (projects: demo) [GET /api/v1/projects/nope]``.
    """

    def __init__(
        self,
        status: int,
        error: str,
        detail: str,
        where: Any = None,
        *,
        method: str = "",
        path: str = "",
    ) -> None:
        self.status = status
        self.error = error
        self.detail = detail
        self.where = where
        self.method = method
        self.path = path
        # What an InputError carries, for the subclasses that are one (BadRequest,
        # NotFound, Conflict): the message is the server's detail.
        self.message = detail
        self.source: str | None = None
        self.record: int | str | None = None
        Exception.__init__(self, str(self))

    def __str__(self) -> str:
        text = f"{self.status} {self.error}: {self.detail}"
        if self.where not in (None, "", [], {}):
            text += f" (at {_one_line(self.where)})"
        if self.method or self.path:
            text += f" [{self.method} {self.path}]".replace("[ ", "[")
        return " ".join(text.split())

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, error={self.error!r}, "
            f"detail={self.detail!r}, where={self.where!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild,
            (type(self), self.status, self.error, self.detail, self.where, self.method, self.path),
        )


def _rebuild(
    cls: type[APIError], status: int, error: str, detail: str, where: Any, method: str, path: str
) -> APIError:
    return cls(status, error, detail, where, method=method, path=path)


def _one_line(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ".".join(str(v) for v in value)
    return str(value)


class BadRequest(APIError, InputError):
    """400 or 422: the request was invalid; ``detail`` and ``where`` say what and where.
    Also an :class:`~shoal.errors.InputError` (and so a ``ValueError``)."""


class AuthenticationError(APIError):
    """401: the request had no API key, or one the server does not know."""


class PermissionDenied(APIError):
    """403: the API key may not do this (e.g. a read-only key asked to write)."""


class NotFound(APIError, NotFoundError, LookupError):
    """404: no such project, dataset, inference set, segment, issue, frame or upload.
    Also a :class:`~shoal.errors.NotFoundError`, as the local store raises."""


class Conflict(APIError, ConflictError):
    """409: the name is in use (pass ``replace=True`` to overwrite) or the state clashed.
    Also a :class:`~shoal.errors.ConflictError`, as the local store raises."""


class PayloadTooLarge(APIError):
    """413: a request body was over the server's limit (upload with smaller chunks)."""


class ServerError(APIError):
    """5xx: the server failed to answer the request."""


_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequest,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    422: BadRequest,
}


def error_for_status(status: int) -> type[APIError]:
    """The exception class for an HTTP error status (``APIError`` for unlisted 4xx)."""
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, APIError)
