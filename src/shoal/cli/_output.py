"""What the CLI prints for people: tables through rich, plain when piped.

A table keeps its natural width, never squeezed into the window by cutting names short:
what a terminal shows is what a pipe gets, row for row. On a terminal the header is bold;
in a pipe, a file or a CI log the text is plain (no ANSI codes, no trailing spaces), so
``grep``, ``awk`` and the tests read it row by row: columns are separated by two or more
spaces and every row starts with its first cell.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import orjson

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["console", "format_table", "print_table", "write_json"]

# Wide enough that no table wraps: its rows keep their natural width.
_UNBOUNDED_WIDTH = 1_000_000


def console(stream: TextIO | None = None) -> Console:
    """A console on ``stream`` (standard output by default) that prints text as given:
    no markup, emoji codes or highlighting read into names such as ``[crowd]``."""
    from rich.console import Console

    target = stream if stream is not None else sys.stdout
    return Console(file=target, markup=False, emoji=False, highlight=False, width=_UNBOUNDED_WIDTH)


def _plainly_not_a_terminal(stream: TextIO) -> bool:
    """True when rich, too, would see no terminal: the stream says it is not a tty and
    no variable that rich reads (FORCE_COLOR, TTY_COMPATIBLE) says otherwise. Then a
    table needs neither rich's console nor its import (a pipe, a file, a CI log)."""
    if "FORCE_COLOR" in os.environ or "TTY_COMPATIBLE" in os.environ:
        return False
    try:
        return stream.isatty() is False
    except (AttributeError, ValueError):  # no isatty, or a closed stream: rich decides
        return False


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
    target = stream if stream is not None else sys.stdout
    cells = [["" if cell is None else str(cell) for cell in row] for row in rows]
    if title is None and _plainly_not_a_terminal(target):
        plain = _plain_layout(list(header), cells, [name in right for name in header])
        if plain is not None:
            return plain
    return _rich_layout(console(target), header, cells, right=right, title=title)


def _plain_layout(header: list[str], rows: list[list[str]], right: list[bool]) -> str | None:
    """What rich lays out for a plain stream, built directly (rich takes tens of
    milliseconds for shoal eval's 80-class report): columns as wide as their widest
    cell in terminal cells, two spaces apart, no trailing spaces. None when a cell has
    a character rich might treat specially (tabs, newlines, control codes)."""
    from rich.cells import cell_len

    table = [header, *rows]
    if any(len(row) != len(header) for row in rows) or not all(
        cell.isprintable() for row in table for cell in row
    ):
        return None
    lengths = [[cell_len(cell) for cell in row] for row in table]
    widths = [max(column) for column in zip(*lengths, strict=True)]
    lines = []
    for row, row_lengths in zip(table, lengths, strict=True):
        parts = [
            " " * (width - length) + cell if at_right else cell + " " * (width - length)
            for cell, length, width, at_right in zip(row, row_lengths, widths, right, strict=True)
        ]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def _rich_layout(
    out: Console,
    header: Sequence[str],
    rows: list[list[str]],
    *,
    right: Collection[str],
    title: str | None,
) -> str:
    from rich.table import Table

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
        table.add_row(*row)
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


def write_json(target: Path | None, answer: dict[str, Any]) -> bool:
    """Write ``answer`` as indented JSON to ``target`` (a file, or ``-`` for standard
    output); True when it went to standard output (print nothing else then)."""
    if target is None:
        return False
    data = orjson.dumps(answer, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY)
    if str(target) == "-":
        sys.stdout.write(data.decode() + "\n")
        return True
    target.write_bytes(data + b"\n")
    return False
