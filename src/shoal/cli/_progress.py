"""A progress bar on standard error (rich's), drawn only for a terminal."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID


class ProgressBar:
    """``bar(done, total)`` moves a ``label ━━━━━╺━━━━  52%`` bar; ``close()`` leaves it
    drawn at its last state.

    On a non-terminal stream (a CI log, a pipe) nothing is drawn, so logs stay clean.
    """

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty()
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        if self._progress is None:
            # Loaded only when a bar is drawn: `shoal eval` in a pipe starts quicker.
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

            self._progress = Progress(
                TextColumn("{task.description}", markup=False),
                BarColumn(),
                TaskProgressColumn(),
                console=Console(file=self.stream, markup=False, emoji=False, highlight=False),
                # Standard output may be a file or a pipe: never route it through the bar.
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._task = self._progress.add_task(self.label, total=total)
            self._progress.start()
        assert self._task is not None
        self._progress.update(self._task, completed=min(max(done, 0), total), total=total)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
            self._task = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
