"""Type aliases shared by every layer (the engine, analysis, the store and the faces).

This module sits below everything (like ``shoal.errors``): it imports nothing of Shoal,
so any layer may use it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Literal, TypeAlias

__all__ = ["Conf", "ConfDescription", "Confidence", "Progress", "Task"]

Task: TypeAlias = Literal["detection", "classification"]
"""What a project or an evaluation measures."""

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
