"""Shared fixtures and helpers: where the public validation material lives, how a test
runs the CLI in a fresh process, and the one-model store many store tests start from."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shoal.store import InferenceSet, Store
from shoal.tables import DatasetTables, InferenceTables

# Test helper modules (the pycocotools oracle) sit beside the tests.
sys.path.insert(0, str(Path(__file__).parent))

VALIDATION = Path(__file__).resolve().parents[1].parent / "shared" / "validation"


def validation_folder(name: str) -> Path:
    """A folder of ../shared/validation, or a skip naming what is missing."""
    folder = VALIDATION / name
    if not folder.is_dir():
        pytest.skip(f"public fixture folder {folder} is absent (it lives beside the checkout)")
    return folder


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m shoal.cli ARGS`` in a fresh process, its output captured as text;
    ``stdin`` is what it reads (nothing unless given)."""
    return subprocess.run(
        [sys.executable, "-m", "shoal.cli", *args],
        capture_output=True,
        text=True,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        check=False,
    )


def one_model(
    store: Store, dataset_tables: DatasetTables, inference_tables: InferenceTables
) -> InferenceSet:
    """Inference set "m" on dataset "val" of a new project "p"; ``.dataset`` and
    ``.dataset.project`` reach the others."""
    dataset = store.create_project("p").create_dataset("val", dataset_tables)
    return dataset.create_inference_set("m", inference_tables)
