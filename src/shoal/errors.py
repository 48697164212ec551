"""The exceptions Shoal raises for problems a user can fix: one tree for the local
store, the engine, the server and the HTTP client.

::

    ShoalError                        every error Shoal raises on purpose
    ├── InputError (ValueError)       bad input: names the file, the record and what is wrong
    │   ├── NotFoundError             no project, dataset, inference set, segment, issue, frame
    │   └── ConflictError             a name in use (pass ``replace``) or a clashing change
    ├── StoreCorruptError             a file of the store is damaged or missing: names it
    └── shoal.client.ClientError      anything ``shoal.client.Client`` raises on purpose
        ├── UsageError (ValueError)   a call the client refuses before asking
        ├── ConnectionFailed          the server could not be reached or did not answer in time
        ├── ProtocolError             the answer is not Shoal's API (e.g. not JSON)
        └── APIError                  the server answered with an error status
            ├── BadRequest            400, 422; also an InputError
            ├── AuthenticationError   401: no API key, or an unknown one
            ├── PermissionDenied      403: the key may not do this (a read-only key writing)
            ├── NotFound              404; also a NotFoundError (and a LookupError)
            ├── Conflict              409; also a ConflictError
            ├── PayloadTooLarge       413: a request body over the server's limit
            └── ServerError           5xx: the server failed

The client's errors are also the core ones, so code written against the local store
handles a remote one unchanged: ``except NotFoundError`` catches both the store's
``NotFoundError`` and the client's ``NotFound``, ``except ConflictError`` both
``ConflictError`` and ``Conflict``, ``except InputError`` every bad-input error from
either side.

The server (``shoal.server``) answers every error as JSON ``{"error", "detail", "where"}``
and maps the tree to statuses in one place (``shoal/server/_errors.py``):
``NotFoundError`` → 404 ``not_found``, ``ConflictError`` → 409 ``conflict``, any other
``InputError`` or ``ShoalError`` → 400 ``bad_request`` (``where`` names the file and
record when the error does); ``StoreCorruptError`` → 503 ``store_damaged`` (``where``
names the damaged file: the server's own state is at fault, not the request, and the
answer may change once ``shoal doctor --repair`` or a re-import has run); request validation → 422 ``validation_error``; a missing or
unknown API key → 401, a read-only key writing → 403, a body over the limit → 413;
anything unexpected → 500 ``internal_error``, never a traceback.
"""

from __future__ import annotations

import copy


class ShoalError(Exception):
    """Base class of every error Shoal raises on purpose."""


class InputError(ShoalError, ValueError):
    """Bad input: names where it is (file, record) and what is wrong.

    ``str(error)`` reads as one line, for example
    ``results.json: record 17: bbox has a negative width (-3.0)``.
    """

    def __init__(self, message: str, *, source: str | None = None, record: int | str | None = None):
        self.message = message
        self.source = source
        self.record = record
        super().__init__(self.__str__())

    def __str__(self) -> str:
        parts = []
        if self.source is not None:
            parts.append(str(self.source))
        if self.record is not None:
            parts.append(f"record {self.record}")
        parts.append(self.message)
        return ": ".join(parts)

    def located(self, source: str) -> InputError:
        """The same error (of the same class), naming ``source`` as the file it came from."""
        found = copy.copy(self)
        found.source = source
        found.args = (str(found),)
        return found


class NotFoundError(InputError):
    """A named thing (project, dataset, inference set, segment, issue, frame) that does
    not exist."""


class ConflictError(InputError):
    """The request clashes with the store's state: a name in use (pass ``replace``), or a
    change that another writer made first."""


class StoreCorruptError(ShoalError):
    """A file of the store (the catalog, a data object's Parquet file or folder) is
    damaged or missing: damage on the store's side, not bad input. ``path`` names the
    file; ``str(error)`` reads as one line that names it and points to ``shoal doctor``."""

    def __init__(self, message: str, *, path: str):
        self.message = message
        self.path = path
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return f"{self.path}: {self.message} (the store is damaged: run `shoal doctor`)"
