"""Requests HTTP itself refuses (a request line or headers too long, bytes that are not
HTTP) answered like every other error: a status that says why and the JSON error body.

uvicorn answers them itself with a plain-text 400 and closes the socket at once; a client
still sending its long request line then gets a connection reset instead of the answer.
:class:`HttpProtocol` answers 414 (request line), 431 (headers) or 400 with the JSON
body, stops writing, and reads on (discarding) for a moment before closing, so the
client reads the answer.
"""

from __future__ import annotations

import asyncio

import orjson
from uvicorn.protocols.http.h11_impl import H11Protocol

from shoal.server._errors import STATUS_NAMES

__all__ = ["MAX_REQUEST_HEAD_BYTES", "HttpProtocol"]

# A request line and headers up to 2 MiB: room for every query parameter at its
# documented longest and a little over (which the API answers 422), each character
# percent-encoded (the schema's limits count characters; a URL spends up to 12 bytes on
# one).
MAX_REQUEST_HEAD_BYTES = 2 * 1024 * 1024
# How long a refused connection is read (and discarded) before it is closed.
LINGER_SECONDS = 2.0
_REASONS = {
    400: ("Bad Request", "this is not an HTTP request the server can read"),
    414: ("URI Too Long", "the request line (method, path and query) is over"),
    431: ("Request Header Fields Too Large", "the request's headers are over"),
}


class HttpProtocol(H11Protocol):
    """uvicorn's h11 protocol, with JSON answers to requests HTTP refuses (module doc).
    Run it with ``h11_max_incomplete_event_size=MAX_REQUEST_HEAD_BYTES``."""

    _refused = False

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # read and dropped until the linger ends
        super().data_received(data)

    def send_400_response(self, msg: str) -> None:
        # uvicorn calls this for every request h11 cannot parse.
        received, _ = self.conn.trailing_data
        status = 400
        if len(received) > MAX_REQUEST_HEAD_BYTES:
            status = 431 if b"\n" in received else 414  # is the request line complete?
        reason, detail = _REASONS[status]
        if status == 400:
            detail = f"{detail} ({msg.rstrip('.').lower()})"
        else:
            detail = f"{detail} the server's limit of {MAX_REQUEST_HEAD_BYTES // 1024} KiB"
        body = orjson.dumps({"error": STATUS_NAMES[status], "detail": detail, "where": "request"})
        head = (
            f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
        ).encode("latin-1")
        self.transport.write(head + body)
        self._refused = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        asyncio.get_running_loop().call_later(LINGER_SECONDS, self.transport.close)
