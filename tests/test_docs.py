"""Documentation keeps up with the code: a new option, name or method must be documented."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

import shoal
from shoal.cli import _build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
DOCS = README + "".join(p.read_text() for p in sorted((ROOT / "docs").glob("*.md")))


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = _build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("name", sorted(subcommands()))
def test_every_command_and_option_is_in_the_readme(name):
    assert f"shoal {name}" in README
    for action in subcommands()[name]._actions:
        for option in action.option_strings:
            if option not in ("-h", "--help"):
                assert option in README, f"`shoal {name} {option}` is not documented in README.md"


@pytest.mark.parametrize("name", sorted(shoal.__all__))
def test_every_public_name_is_documented(name):
    assert name in DOCS, f"shoal.{name} is not mentioned in README.md or docs/"


@pytest.mark.parametrize(
    "method",
    sorted(
        name
        for name in dir(shoal.DetectionEvaluation)
        if not name.startswith("_") and callable(getattr(shoal.DetectionEvaluation, name))
    ),
)
def test_every_evaluation_method_is_in_the_metrics_doc(method):
    assert method in (ROOT / "docs" / "metrics.md").read_text(), (
        f"{method} is not in docs/metrics.md"
    )
