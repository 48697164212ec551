"""What the CLI prints: rich tables (plain in pipes, whole names, no markup read into them)
and the progress bar (drawn on a terminal only)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from shoal.cli import main
from shoal.cli._output import format_table
from shoal.cli._progress import ProgressBar

from conftest import validation_folder


class Terminal(io.StringIO):
    """A stream that says it is a terminal, as a console's standard output does."""

    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def color_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """A colour terminal, whatever the environment running the tests says."""
    monkeypatch.setenv("TERM", "xterm-256color")
    for name in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)


def cells(line: str) -> list[str]:
    return re.split(r"\s{2,}", line.strip())


def test_a_piped_table_is_plain_aligned_text() -> None:
    long_name = "a class with a very long name " * 5
    text = format_table(
        ["class", "count"],
        [["[bold]crowd[/bold] :smile:", 3], [long_name.strip(), 12345], ["none", None]],
        right={"count"},
        stream=io.StringIO(),
    )
    lines = text.splitlines()
    assert "\x1b" not in text
    assert cells(lines[0]) == ["class", "count"]
    # Markup and emoji codes are printed as given; a long name is never cut short.
    assert cells(lines[1]) == ["[bold]crowd[/bold] :smile:", "3"]
    assert cells(lines[2]) == [long_name.strip(), "12345"]
    assert cells(lines[3]) == ["none"]
    assert all(line == line.rstrip() for line in lines)
    # Right-aligned counts end in the same column.
    assert len(lines[1]) == len(lines[2])


def test_a_terminal_table_is_styled_and_keeps_its_rows() -> None:
    text = format_table(["segment", "frames"], [["night", 4]], stream=Terminal())
    assert "\x1b[" in text  # the bold header
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
    assert [cells(line) for line in plain.splitlines()] == [["segment", "frames"], ["night", "4"]]


def test_the_progress_bar_draws_on_a_terminal_only() -> None:
    piped = io.StringIO()
    with ProgressBar("loading gt.json", stream=piped) as bar:
        for done in range(0, 101, 10):
            bar(done, 100)
    assert piped.getvalue() == ""

    terminal = Terminal()
    with ProgressBar("loading [x].json", stream=terminal) as bar:
        for done in range(0, 101, 10):
            bar(done, 100)
    drawn = terminal.getvalue()
    assert "loading [x].json" in drawn and "100%" in drawn
    plain = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", drawn)
    assert plain.endswith("100%\n")  # the last state stays on screen


def test_eval_tables_show_the_json_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = validation_folder("cocoapi-val2014-fake100")
    out = tmp_path / "metrics.json"
    gt = folder / "instances_val2014_100.json"
    results = folder / "instances_val2014_fakebbox100_results.json"
    assert main(["eval", str(gt), str(results), "--conf", "0.3", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    report = json.loads(out.read_text())["report"]
    rows: dict[str, list[str]] = {}
    for line in printed.splitlines():  # the report's rows come before the confusions'
        if line.strip():
            rows.setdefault(cells(line)[0], cells(line))
    assert rows["class"] == ["class", "precision", "recall", "f1-score", "support", "tp", "fp",
                             "fn", "ap"]  # fmt: skip
    person = next(c for c in report["classes"] if c["label"] == "person")
    assert rows["person"] == [
        "person",
        f"{person['precision']:.4f}",
        f"{person['recall']:.4f}",
        f"{person['f1-score']:.4f}",
        str(person["support"]),
        str(person["tp"]),
        str(person["fp"]),
        str(person["fn"]),
        f"{person['ap']:.4f}",
    ]
    micro = report["averages"]["micro avg"]
    assert rows["micro avg"][1:] == [
        f"{micro['precision']:.4f}",
        f"{micro['recall']:.4f}",
        f"{micro['f1-score']:.4f}",
        str(micro["support"]),
    ]
