"""Shoal's REST API from Python: ``shoal.client.Client(url, token=None, timeout=30.0)``.

The client mirrors the local store (projects, datasets, inference sets, segments,
issues, chunked uploads, frames, metrics, examples, comparisons and regression tests)
and answers with the server's JSON as plain dicts and lists; metric answers have
exactly the shapes of the local engine's ``to_dict()``. Errors form one hierarchy
rooted in :class:`shoal.errors.ShoalError` (see :class:`ClientError`). Needs httpx
(``pip install 'shoal[client]'``); ``import shoal`` works without it. See docs/client.md.
"""

from shoal.client._client import ALL_FRAMES, DEFAULT_CHUNK_ROWS, UNSET, Client
from shoal.client._errors import (
    APIError,
    AuthenticationError,
    BadRequest,
    ClientError,
    Conflict,
    ConnectionFailed,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    ProtocolError,
    ServerError,
    UsageError,
)

__all__ = [
    "ALL_FRAMES",
    "DEFAULT_CHUNK_ROWS",
    "UNSET",
    "APIError",
    "AuthenticationError",
    "BadRequest",
    "Client",
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
