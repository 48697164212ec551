"""Access logs with paths only: no query strings (and never a header)."""

from __future__ import annotations

import copy
import logging
from typing import Any

__all__ = ["StripQuery", "log_config"]


class StripQuery(logging.Filter):
    """Drop the query string from uvicorn's access-log records."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration, with the access log's queries stripped."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["strip_query"] = {"()": StripQuery}
    config["handlers"]["access"]["filters"] = ["strip_query"]
    return config
