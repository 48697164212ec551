"""Shared fixtures: where the public validation material lives."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# Test helper modules (the pycocotools oracle) sit beside the tests.
sys.path.insert(0, str(Path(__file__).parent))

VALIDATION = Path(__file__).resolve().parents[1].parent / "shared" / "validation"


def validation_folder(name: str) -> Path:
    """A folder of ../shared/validation, or a skip naming what is missing."""
    folder = VALIDATION / name
    if not folder.is_dir():
        pytest.skip(f"public fixture folder {folder} is absent (it lives beside the checkout)")
    return folder
