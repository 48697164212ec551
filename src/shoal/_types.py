"""Type aliases shared by every layer (the engine, analysis, the store and the faces),
and the one spelling of a name in a URL path that the server and the client share.

This module sits below everything (like ``shoal.errors``): it imports nothing of Shoal,
so any layer may use it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Literal, TypeAlias

__all__ = ["Conf", "ConfDescription", "Confidence", "Progress", "Task", "url_segment"]

Task: TypeAlias = Literal["detection", "classification", "multilabel", "ner"]
"""What a project or an evaluation measures (``multilabel``: a set of classes per frame;
``ner``: named entities in a frame's text, from one tag per token)."""

Conf: TypeAlias = float | Mapping[str, float]
"""A confidence threshold as users give it: one number, or one per class name (classes
not named use 0)."""

Confidence: TypeAlias = float | Mapping[str, float] | Mapping[int, float]
"""What the engine's queries accept: ``Conf``, or thresholds keyed by class id."""

ConfDescription: TypeAlias = float | dict[str, float]
"""How results report the threshold they were computed at: the number, or every class's
threshold by name."""

Progress: TypeAlias = Callable[[int, int], None]
"""``progress(done, total)``, called while long work runs."""


def url_segment(name: str) -> str:
    """``name`` as one URL path segment, whatever it holds (``/``, ``%``, spaces, any
    Unicode). ``.`` and ``..`` are written ``%2E`` and ``%2E%2E``: as they are, clients
    and proxies would resolve them as "this folder" and "the parent folder"."""
    from urllib.parse import quote

    quoted = quote(name, safe="")
    return quoted.replace(".", "%2E") if quoted in (".", "..") else quoted
