"""The CLI's tables for a plain stream are laid out without rich's renderer, and must
read exactly as rich lays them out (rich is the oracle)."""

from __future__ import annotations

import ast
import io
import json
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from shoal.cli._output import _plain_layout, _rich_layout, console, format_table

from coco_oracle import random_coco

NAMES = ["person", "traffic light", "Ünïcödé", "狗", "🐟 fish", "e\u0301", "a  b", "", "x" * 40]


def rich_text(header: list[str], rows: list[list[str]], right: list[str]) -> str:
    return _rich_layout(console(io.StringIO()), header, rows, right=right, title=None)


@pytest.mark.parametrize("seed", range(20))
def test_plain_tables_read_as_rich_lays_them_out(seed: int) -> None:
    rng = random.Random(seed)
    columns = rng.randrange(1, 7)
    header = [rng.choice(NAMES[:-2]) or "c" for _ in range(columns)]
    rows = [
        [
            rng.choice([rng.choice(NAMES), f"{rng.random():.4f}", str(rng.randrange(10**6))])
            for _ in range(columns)
        ]
        for _ in range(rng.randrange(0, 12))
    ]
    if rows and rng.random() < 0.5:
        rows.insert(rng.randrange(len(rows)), [""] * columns)  # a spacer row
    right = [name for name in header if rng.random() < 0.5]
    plain = _plain_layout(header, rows, [name in right for name in header])
    assert plain == rich_text(header, rows, right)


def test_cells_rich_treats_specially_go_through_rich() -> None:
    header, rows = ["class", "n"], [["tab\there", "1"], ["new\nline", "2"]]
    assert _plain_layout(header, rows, [False, True]) is None
    assert format_table(header, rows, right=["n"], stream=io.StringIO()) == rich_text(
        header, rows, ["n"]
    )


def test_eval_report_in_a_pipe_is_the_plain_layout() -> None:
    header = ["class", "precision", "support"]
    rows = [["person", "0.5000", 12], [None, None, None], ["macro avg", "-", 3]]
    text = format_table(header, rows, right=header[1:], stream=io.StringIO())
    assert text.splitlines() == [
        "class      precision  support",
        "person        0.5000       12",
        "",
        "macro avg          -        3",
    ]


def test_shoal_eval_in_a_pipe_loads_neither_the_store_nor_rich_console(tmp_path: Path) -> None:
    """Start-up time: evaluating two files needs no pyarrow, DuckDB or rich console."""
    gt, dt = random_coco(np.random.default_rng(0), num_images=5)
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "dt.json").write_text(json.dumps(dt))
    script = (
        "import contextlib, io, sys\n"
        "from shoal.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main(['eval', {str(tmp_path / 'gt.json')!r}, {str(tmp_path / 'dt.json')!r}])\n"
        "print(sorted(sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    loaded = set(ast.literal_eval(done.stdout.strip().splitlines()[-1]))
    assert "shoal.formats.coco" in loaded
    for module in ("pyarrow", "duckdb", "pandas", "rich.console", "rich.table", "rich.progress"):
        assert module not in loaded
