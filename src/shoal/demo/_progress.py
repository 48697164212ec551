"""Reporting a demo build's progress as ``progress(done, total)`` steps."""

from __future__ import annotations

from shoal._types import Progress

__all__ = ["Progress", "StepCounter"]


class StepCounter:
    """Counts finished steps of a build with a known number of steps."""

    def __init__(self, total: int, progress: Progress | None) -> None:
        self.total = total
        self.done = 0
        self._progress = progress
        if progress is not None:
            progress(0, total)

    def step(self) -> None:
        self.done = min(self.done + 1, self.total)
        if self._progress is not None:
            self._progress(self.done, self.total)
