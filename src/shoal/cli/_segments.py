"""``shoal segment create|set|ls|rm``: a dataset's segments and their thresholds, so a CI
gate (``shoal check``) can be set up without Python.

Every rule (names, types, known frames, thresholds in [0, 1], what "All Frames" takes)
is the store's; this module only turns flags into its calls.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from shoal.cli._arguments import threshold
from shoal.cli._output import print_table
from shoal.cli._projects import confirm, home_option, open_store, pick_dataset
from shoal.errors import InputError

if TYPE_CHECKING:
    from shoal.store import Dataset

__all__ = ["print_segments", "register"]

# Flag name -> the store's threshold name.
THRESHOLD_FLAGS = {"precision": "precision", "recall": "recall", "f1": "f1_score"}
SEGMENT_TYPES_HELP = "split, regression_test or scenario"


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "segment",
        help="create, list, threshold and delete a dataset's segments",
        description=(
            "Segments are named sets of frames (a list of frame ids, or a saved query over "
            "metadata and labels) with optional precision, recall and F1 thresholds that "
            "`shoal check` gates on. --dataset is needed when the project has several."
        ),
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    create = actions.add_parser(
        "create",
        help="a segment from frame ids or a query",
        description="Create a segment from frame ids (--frames or --frames-file) or a --query.",
    )
    create.add_argument("name", help="the segment's name")
    _where(create)
    source = create.add_mutually_exclusive_group(required=True)
    source.add_argument("--frames", metavar="ID,ID,...", help="frame ids, separated by commas")
    source.add_argument(
        "--frames-file",
        type=Path,
        metavar="FILE",
        help="a text file of frame ids, one per line ('-': standard input)",
    )
    source.add_argument(
        "--query",
        help="a query over metadata and labels (docs/queries.md), saved: its frames follow "
        "the dataset",
    )
    create.add_argument(
        "--type",
        default="scenario",
        help=f"{SEGMENT_TYPES_HELP} (default: %(default)s)",
    )
    _threshold_options(create, default=None)
    create.set_defaults(run=run_create)

    change = actions.add_parser(
        "set",
        help="set or clear a segment's thresholds",
        description=(
            "Set thresholds (a value in [0, 1], or 'none' to remove one); --clear removes "
            'every threshold not given. "All Frames" takes thresholds too.'
        ),
    )
    change.add_argument("name", help='the segment\'s name ("All Frames" for every frame)')
    _where(change)
    _threshold_options(change, default=argparse.SUPPRESS)
    change.add_argument(
        "--clear", action="store_true", help="remove every threshold not given here"
    )
    change.set_defaults(run=run_set)

    listing = actions.add_parser(
        "ls",
        help="list segments: type, frames, thresholds",
        description="List a dataset's segments with their type, frame count and thresholds.",
    )
    _where(listing)
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    listing.set_defaults(run=run_ls)

    remove = actions.add_parser("rm", help="delete a segment", description="Delete a segment.")
    remove.add_argument("name", help="the segment's name")
    _where(remove)
    remove.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    remove.set_defaults(run=run_rm)


def _where(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", required=True)
    parser.add_argument("--dataset", help="the dataset (default: the project's only dataset)")
    home_option(parser)


def _threshold_options(parser: argparse.ArgumentParser, *, default: Any) -> None:
    for flag, name in (("precision", "precision"), ("recall", "recall"), ("f1", "F1")):
        parser.add_argument(
            f"--{flag}",
            type=threshold,
            default=default,
            metavar="T",
            help=f"{name} threshold: the segment passes when its {name} is >= T",
        )


def _dataset(args: argparse.Namespace) -> Dataset:
    return pick_dataset(open_store(args).project(args.project), args.dataset)


def _limit(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def print_segments(segments: Iterable[Mapping[str, Any]]) -> None:
    """Segments (as ``Segment.to_dict()``) in one table: the same in ``shoal segment ls``
    and ``shoal show``."""
    print_table(
        ["segment", "type", "frames", "precision >=", "recall >=", "F1 >=", "query"],
        (
            [
                s["name"],
                s["type"],
                "stale" if s.get("stale") else f"{s['frame_count']:,}",
                _limit(s["thresholds"]["precision"]),
                _limit(s["thresholds"]["recall"]),
                _limit(s["thresholds"]["f1_score"]),
                s["query"] or "-",
            ]
            for s in segments
        ),
        right={"frames", "precision >=", "recall >=", "F1 >="},
    )
    for segment in segments:
        if segment.get("stale"):
            print(f"segment {segment['name']!r} is stale: {segment['stale']}", file=sys.stderr)


def _frame_ids(args: argparse.Namespace) -> list[str] | None:
    if args.frames is not None:
        ids = [part.strip() for part in args.frames.split(",") if part.strip()]
        if not ids:
            raise InputError("--frames lists no frame ids")
        return ids
    if args.frames_file is None:
        return None
    source = _frames_source(args.frames_file)
    try:
        if source == "standard input":
            text = sys.stdin.read()
        else:
            text = args.frames_file.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"{source}: is not UTF-8 text (byte {error.start})") from None
    ids = [line.strip() for line in text.splitlines() if line.strip()]
    if not ids:
        raise InputError(f"{source}: no frame ids (one per line)")
    return ids


def _frames_source(path: Path) -> str:
    return "standard input" if str(path) == "-" else str(path)


def run_create(args: argparse.Namespace) -> int:
    dataset = _dataset(args)
    frames = _frame_ids(args)
    thresholds = {name: getattr(args, flag) for flag, name in THRESHOLD_FLAGS.items()}
    try:
        segment = dataset.create_segment(
            args.name, type=args.type, frames=frames, query=args.query, **thresholds
        )
    except InputError as error:
        if args.frames_file is None:
            raise
        # Say where the ids came from, without claiming every error is the file's.
        source = _frames_source(args.frames_file)
        raise type(error)(f"{error} (frame ids read from {source})") from None
    print(f"created segment {segment.name!r} on {dataset.project.name}/{dataset.name}")
    print_segments([segment.to_dict()])
    return 0


def run_set(args: argparse.Namespace) -> int:
    segment = _dataset(args).segment(args.name)
    changes: dict[str, float | None] = {}
    if args.clear:
        changes = dict.fromkeys(THRESHOLD_FLAGS.values(), None)
    for flag, name in THRESHOLD_FLAGS.items():
        if hasattr(args, flag):
            changes[name] = getattr(args, flag)
    if not changes:
        raise InputError("nothing to set: pass --precision, --recall, --f1 or --clear")
    segment.set_thresholds(**changes)
    print_segments([segment.to_dict()])
    return 0


def run_ls(args: argparse.Namespace) -> int:
    segments = [segment.to_dict() for segment in _dataset(args).segments()]
    if args.json:
        sys.stdout.write(orjson.dumps(segments, option=orjson.OPT_INDENT_2).decode() + "\n")
        return 0
    print_segments(segments)
    return 0


def run_rm(args: argparse.Namespace) -> int:
    dataset = _dataset(args)
    segment = dataset.segment(args.name)
    question = f"Delete segment {segment.name!r} of dataset {dataset.name!r}?"
    if not args.yes and not confirm(question):
        print("nothing deleted", file=sys.stderr)
        return 1
    segment.delete()
    print("deleted")
    return 0
