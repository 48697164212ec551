"""The ``shoal`` command: a thin face over the library.

Every command prints tables for people and can write JSON for machines. Bad input is
reported in one line naming the file, the record and the problem, with exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from shoal.errors import ShoalError

__all__ = ["main"]


def _build_parser() -> argparse.ArgumentParser:
    from shoal.cli import _check, _demo, _eval, _import, _projects, _serve

    parser = argparse.ArgumentParser(
        prog="shoal",
        description="Find where your models fail: exact detection metrics at any threshold.",
    )
    parser.add_argument("--version", action="version", version=_version())
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _eval.register(commands)
    _import.register(commands)
    _projects.register(commands)
    _check.register(commands)
    _serve.register(commands)
    _demo.register(commands)
    return parser


def _version() -> str:
    from shoal import __version__

    return f"shoal {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
    except ShoalError as error:
        print(f"shoal: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        # A missing or unreadable file is the user's to fix: no traceback.
        where = f"{error.filename}: " if error.filename else ""
        print(f"shoal: error: {where}{error.strerror or error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("shoal: interrupted", file=sys.stderr)
        return 130
    return code
