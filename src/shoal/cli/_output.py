"""What the CLI prints for people: tables through rich, plain when piped.

A table keeps its natural width, never squeezed into the window by cutting names short:
what a terminal shows is what a pipe gets, row for row. On a terminal the header is bold;
in a pipe, a file or a CI log the text is plain (no ANSI codes, no trailing spaces), so
``grep``, ``awk`` and the tests read it row by row: columns are separated by two or more
spaces and every row starts with its first cell.
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Iterable, Sequence
from typing import TextIO

from rich.console import Console
from rich.table import Table

__all__ = ["console", "format_table", "print_table"]

# Wide enough that no table wraps: its rows keep their natural width.
_UNBOUNDED_WIDTH = 1_000_000


def console(stream: TextIO | None = None) -> Console:
    """A console on ``stream`` (standard output by default) that prints text as given:
    no markup, emoji codes or highlighting read into names such as ``[crowd]``."""
    target = stream if stream is not None else sys.stdout
    return Console(file=target, markup=False, emoji=False, highlight=False, width=_UNBOUNDED_WIDTH)


def format_table(
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    right: Collection[str] = (),
    title: str | None = None,
    stream: TextIO | None = None,
) -> str:
    """The table as it should be written to ``stream``: ``header`` names the columns,
    each row gives one cell per column (``None`` prints empty), and the columns named in
    ``right`` (counts, scores) are right-aligned."""
    out = console(stream)
    table = Table(
        box=None,
        pad_edge=False,
        show_edge=False,
        header_style="bold" if out.is_terminal else None,
        title=title,
        title_justify="left",
        title_style="bold" if out.is_terminal else None,
    )
    for name in header:
        table.add_column(name, justify="right" if name in right else "left")
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    with out.capture() as captured:
        out.print(table)
    return "\n".join(line.rstrip() for line in captured.get().rstrip("\n").splitlines())


def print_table(
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    right: Collection[str] = (),
    title: str | None = None,
    stream: TextIO | None = None,
) -> None:
    """Write :func:`format_table`'s table and a newline to ``stream`` (standard output)."""
    target = stream if stream is not None else sys.stdout
    target.write(format_table(header, rows, right=right, title=title, stream=target) + "\n")
