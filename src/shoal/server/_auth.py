"""API keys: who may read and who may write."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterable, Mapping
from typing import Literal

from shoal.errors import InputError

__all__ = ["Access", "KeyRing", "is_loopback", "parse_api_keys"]

Access = Literal["read-only", "read-write"]
ACCESS_LEVELS: tuple[Access, ...] = ("read-only", "read-write")
MIN_KEY_LENGTH = 16


def is_loopback(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1 (what only this machine can reach)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_api_keys(lines: Iterable[str], *, source: str = "API keys") -> dict[str, Access]:
    """``<key> read-only|read-write`` per line (blank lines and ``#`` comments skipped)."""
    keys: dict[str, Access] = {}
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2 or parts[1] not in ACCESS_LEVELS:
            raise InputError(
                "expected '<key> read-only' or '<key> read-write'", source=source, record=number
            )
        key, access = parts[0], parts[1]
        if len(key) < MIN_KEY_LENGTH:
            raise InputError(
                f"an API key needs at least {MIN_KEY_LENGTH} characters",
                source=source,
                record=number,
            )
        keys[key] = "read-write" if access == "read-write" else "read-only"
    return keys


class KeyRing:
    """The configured keys; lookups compare every key in constant time."""

    def __init__(self, keys: Mapping[str, Access]) -> None:
        self._keys = [(key.encode(), access) for key, access in keys.items()]

    def __len__(self) -> int:
        return len(self._keys)

    def access(self, token: str) -> Access | None:
        offered = token.encode("utf-8", "surrogateescape")
        found: Access | None = None
        for key, access in self._keys:
            if hmac.compare_digest(key, offered):
                found = access
        return found
