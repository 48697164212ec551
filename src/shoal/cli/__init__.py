"""The ``shoal`` command: a thin face over the library.

Every command prints tables for people and can write JSON for machines. Bad input is
reported in one line naming the file, the record and the problem, with exit code 2.
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import sys
from collections.abc import Sequence

from shoal.errors import ShoalError

__all__ = ["main"]


def _build_parser(arguments: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The command line's parser; for ``arguments`` naming ``eval``, that command's alone."""
    parser = argparse.ArgumentParser(
        prog="shoal",
        description="Find where your models fail: exact detection metrics at any threshold.",
    )
    parser.add_argument("--version", action="version", version=_version())
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    if arguments is not None and list(arguments[:1]) == ["eval"]:
        # `shoal eval` registers only itself: the other commands' modules load the
        # store, the XML readers and the analysis layer (about 40 ms it does not need).
        from shoal.cli import _eval

        _eval.register(commands)
        return parser
    from shoal.cli import (
        _campaigns,
        _check,
        _demo,
        _doctor,
        _embeddings,
        _eval,
        _import,
        _insights,
        _issues,
        _metrics,
        _projects,
        _quality,
        _segments,
        _serve,
        _similar,
    )

    _eval.register(commands)
    _import.register(commands)
    _quality.register(commands)
    _projects.register(commands)
    _check.register(commands)
    _segments.register(commands)
    _metrics.register(commands)
    _insights.register(commands)
    _similar.register(commands)
    _issues.register(commands)
    _embeddings.register(commands)
    _campaigns.register(commands)
    _serve.register(commands)
    _demo.register(commands)
    _doctor.register(commands)
    return parser


def _version() -> str:
    from shoal import __version__

    return f"shoal {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    # NumPy's OpenBLAS starts a thread per CPU when NumPy loads, and Shoal does no
    # linear algebra: one thread, unless the user chose otherwise. Only the command
    # sets this (before anything loads NumPy); importing the library changes nothing.
    # (Not OMP_NUM_THREADS: pyarrow sizes its thread pool by it.)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    arguments = sys.argv[1:] if argv is None else list(argv)
    parser = _build_parser(arguments)
    args = parser.parse_args(arguments)
    try:
        code: int = args.run(args)
        # Flush here, not at exit, so a reader that went away is caught below.
        sys.stdout.flush()
    except BrokenPipeError:
        return _reader_gone()
    except ShoalError as error:
        print(f"shoal: error: {error}", file=sys.stderr)
        return 2
    except sqlite3.DatabaseError as error:
        # A damaged catalog, or a --home holding some other program's file of that name.
        print(f"shoal: error: cannot read the store at {_home(args)}: {error}", file=sys.stderr)
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


def _home(args: argparse.Namespace) -> str:
    from shoal.store import default_home

    home = getattr(args, "home", None)
    return str(home if home is not None else default_home())


def _reader_gone() -> int:
    """Standard output's reader has gone (``shoal eval ... | head``): stop quietly, as
    Unix tools do, with the status of a process ended by SIGPIPE.

    Output still buffered would fail again when Python flushes it at exit, so standard
    output is pointed at /dev/null first (what Python's documentation on SIGPIPE advises).
    """
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, ValueError, OSError):
        return 128 + signal.SIGPIPE  # not a real file (a test's capture): nothing to flush
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, descriptor)
    os.close(devnull)
    return 128 + signal.SIGPIPE
