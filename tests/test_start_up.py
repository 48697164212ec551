"""Start-up cost: ``import shoal`` loads nothing until a name is used, ``shoal eval``
loads only what evaluating two files needs, and only the command (never the library)
limits NumPy's BLAS threads."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

import shoal

from coco_oracle import random_coco


def loaded_after(script: str, env: dict[str, str] | None = None) -> tuple[set[str], str]:
    """The modules loaded by ``script`` in a fresh interpreter, and its last line."""
    code = f"import sys\n{script}\nprint(sorted(sys.modules))\n"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120,
        env=env,
    )  # fmt: skip
    lines = done.stdout.strip().splitlines()
    return set(ast.literal_eval(lines[-1])), "\n".join(lines[:-1])


def test_import_shoal_loads_nothing_until_a_name_is_used():
    loaded, _ = loaded_after("import shoal")
    assert "numpy" not in loaded
    assert not any(m.startswith(("shoal.engine", "shoal.formats")) for m in loaded)


def test_evaluating_files_loads_neither_classification_nor_the_store():
    loaded, _ = loaded_after("import shoal\nshoal.evaluate_detections")
    assert "shoal.engine.detection.evaluator" in loaded and "shoal.formats.coco" in loaded
    for module in ("shoal.engine.classification", "shoal.analysis", "shoal.store", "pyarrow"):
        assert module not in loaded, module


def test_every_public_name_still_resolves():
    for name in shoal.__all__:
        assert getattr(shoal, name) is not None, name
    assert set(shoal.__all__) <= set(dir(shoal))


def test_shoal_eval_loads_only_its_own_command(tmp_path: Path):
    gt, dt = random_coco(np.random.default_rng(1), num_images=4)
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "dt.json").write_text(json.dumps(dt))
    script = (
        "import contextlib, io, os\n"
        "from shoal.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    code = main(['eval', {str(tmp_path / 'gt.json')!r}, {str(tmp_path / 'dt.json')!r}])\n"
        "print(code, os.environ.get('OPENBLAS_NUM_THREADS'))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    loaded, printed = loaded_after(script, env)
    assert printed == "0 1"  # the command set one BLAS thread before NumPy loaded
    for module in ("shoal.cli._check", "shoal.cli._import", "shoal.analysis", "xml.etree"):
        assert module not in loaded, module
    assert "shoal.engine.classification" not in loaded
    # TIDE (tide_assignment loads its C library) and the label-error queue's peers load
    # only for --tide / --label-errors.
    for module in ("shoal.engine.detection.tide_assignment", "cleanlab", "sklearn", "scipy"):
        assert module not in loaded, module


def test_the_command_keeps_a_blas_thread_count_the_user_chose():
    script = "from shoal.cli import main\nimport os\nprint(os.environ['OPENBLAS_NUM_THREADS'])"
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "3"}
    code = f"{script}\ntry:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
    code += "print(os.environ['OPENBLAS_NUM_THREADS'])"
    _, printed = loaded_after(code, env)
    assert printed.splitlines()[-1] == "3"


def test_the_library_leaves_the_blas_threads_alone():
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    script = (
        "import os, shoal\nshoal.evaluate_detections\nprint(os.environ.get('OPENBLAS_NUM_THREADS'))"
    )
    _, printed = loaded_after(script, env)
    assert printed == "None"


def test_every_command_is_still_registered():
    from shoal.cli import _build_parser

    commands = _build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert {"eval", "import", "serve", "demo"} <= set(commands)
    only_eval = _build_parser(["eval", "a", "b"])._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert set(only_eval) == {"eval"}
