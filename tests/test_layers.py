"""The layers of the house: a lower layer never imports a higher one.

1. ``shoal.engine``: matching and metrics on arrays.
2. ``shoal.analysis``: comparisons, regression tests, built on the engine.
3. ``shoal.store``, ``shoal.formats``, ``shoal.tables``, ``shoal.sdk``: the embedded store,
   the readers and writers and the tables they share.
4. ``shoal.demo``: demo projects built through the store.
5. ``shoal.server``, ``shoal.client``, ``shoal.cli``: the faces.

Every import counts, including the ones inside functions that load on first use.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src" / "shoal"

# Modules every layer may use: the exceptions, shared type aliases, the native loader.
BASE = {"errors", "_types", "_native"}

# What each part may import besides itself and BASE.
ALLOWED: dict[str, set[str]] = {
    "engine": set(),
    "analysis": {"engine"},
    "formats": {"engine", "tables", "sdk", "_evaluate"},
    "tables": {"engine", "formats"},
    "sdk": {"engine", "tables", "formats"},
    "_evaluate": {"engine", "formats", "tables"},
    # Partitions evaluated apart (in-process or as Ray tasks) and merged.
    "distributed": {"engine", "formats", "tables", "_evaluate"},
    "store": {"engine", "analysis", "formats", "tables", "sdk", "distributed"},
    "demo": {"engine", "analysis", "formats", "tables", "sdk", "store", "_evaluate"},
    "server": {"engine", "analysis", "formats", "tables", "sdk", "store", "_evaluate", "shoal"},
    "client": {"engine", "analysis", "tables", "formats", "sdk", "shoal"},
    "cli": {
        "engine", "analysis", "formats", "tables", "sdk", "store", "_evaluate", "demo",
        "server", "client", "shoal", "distributed",
    },
}  # fmt: skip


def _part(path: Path) -> str | None:
    """The part a source file belongs to (its first folder or module under shoal/)."""
    relative = path.relative_to(SOURCE)
    if relative.parts == ("__init__.py",):
        return None  # the package's front door re-exports every layer
    head = relative.parts[0]
    return head.removesuffix(".py")


def _imported_parts(path: Path) -> list[tuple[int, str]]:
    """(line, part) of every shoal module the file imports, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "shoal":
                # ``from shoal import x``: x is a submodule or a name of the front door.
                names = [
                    f"shoal.{alias.name}"
                    if (SOURCE / alias.name).is_dir() or (SOURCE / f"{alias.name}.py").exists()
                    else "shoal"
                    for alias in node.names
                ]
            else:
                names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] != "shoal":
                continue
            found.append((node.lineno, parts[1] if len(parts) > 1 else "shoal"))
    return found


def _violations() -> list[str]:
    problems = []
    for path in sorted(SOURCE.rglob("*.py")):
        part = _part(path)
        if part is None or part in BASE:
            continue
        if part not in ALLOWED:
            problems.append(f"{path.relative_to(SOURCE)}: part {part!r} has no place in the layers")
            continue
        allowed = ALLOWED[part] | BASE | {part}
        for line, imported in _imported_parts(path):
            if imported not in allowed:
                problems.append(f"{path.relative_to(SOURCE)}:{line}: {part} imports {imported}")
    return problems


def test_no_layer_imports_a_higher_one():
    assert _violations() == []


def test_the_guard_sees_a_violation(tmp_path, monkeypatch):
    # The guard itself must fail on a bad import, inside a function included.
    fake = tmp_path / "shoal"
    (fake / "engine").mkdir(parents=True)
    (fake / "store").mkdir()
    (fake / "engine" / "bad.py").write_text(
        "def f():\n    from shoal.store import Store\n    return Store\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "SOURCE", fake)
    assert _violations() == ["engine/bad.py:2: engine imports store"]


@pytest.mark.parametrize(
    ("statement", "unwanted"),
    [
        # The engine stays free of the store's, the server's and the client's dependencies.
        (
            "import shoal.engine, shoal.analysis",
            ["pyarrow", "duckdb", "fastapi", "uvicorn", "httpx", "rich", "shoal.store"],
        ),
        # Evaluating files needs neither the store nor any face.
        (
            "import shoal; shoal.evaluate_detections",
            ["duckdb", "fastapi", "uvicorn", "httpx", "shoal.store", "shoal.server"],
        ),
        # The store runs without the server, the client and their dependencies.
        ("import shoal.store", ["fastapi", "uvicorn", "httpx", "shoal.server", "shoal.client"]),
        # The client talks HTTP: no server, no store, no DuckDB.
        ("import shoal.client", ["fastapi", "uvicorn", "duckdb", "shoal.server", "shoal.store"]),
    ],
)
def test_the_core_loads_without_what_it_does_not_need(statement, unwanted):
    code = f"import sys; {statement}; print(','.join(m for m in {unwanted!r} if m in sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == ""
