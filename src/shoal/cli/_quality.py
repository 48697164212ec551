"""``shoal quality PROJECT DATASET``: compute (again) a dataset's quality metrics; and the
one way the other commands (``import``, ``demo``) compute them, with a progress bar."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from shoal.cli._progress import ProgressBar
from shoal.cli._projects import home_option, open_store

if TYPE_CHECKING:
    from shoal.store import Dataset, InferenceSet
    from shoal.store._quality import QualityTables

# Warnings printed in full; the rest are counted.
SHOWN_WARNINGS = 5


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "quality",
        help="compute a dataset's quality metrics (brightness, sharpness, box geometry...)",
        description=(
            "Compute and store the quality metrics of a dataset's frames, labels and every "
            "inference set's predictions (docs/quality.md), reading each image once. A frame "
            "whose image cannot be read is a warning, not an error. `shoal import` runs this "
            "after each import unless given --no-quality."
        ),
    )
    parser.add_argument("project")
    parser.add_argument("dataset")
    parser.add_argument(
        "--no-images",
        action="store_true",
        help="do not read images: sizes, box geometry and label counts only",
    )
    parser.add_argument(
        "--json", type=Path, metavar="OUT", help="write a summary (counts, warnings) as JSON"
    )
    home_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    store = open_store(args)
    dataset = store.project(args.project).dataset(args.dataset)
    result = compute_with_bar(dataset, read_images=not args.no_images)
    if args.json is not None:
        args.json.write_bytes(orjson.dumps(result.to_dict(warnings=len(result.warnings))))
    return 0


def compute_with_bar(target: Dataset | InferenceSet, *, read_images: bool = True) -> QualityTables:
    """Compute and store ``target``'s quality metrics under a progress bar, then print
    what was done and the first warnings."""
    started = time.perf_counter()
    with ProgressBar(f"quality metrics of {target.name}") as bar:
        result = target.compute_quality(progress=bar, read_images=read_images)
    print_summary(target.name, result, time.perf_counter() - started)
    return result


def print_summary(name: str, result: QualityTables, seconds: float) -> None:
    parts = [f"{result.images_read:,} images read"]
    if result.frames_without_image:
        parts.append(f"{result.frames_without_image:,} frames without an image")
    if result.warning_count:
        parts.append(f"{result.warning_count:,} not readable")
    print(f"quality metrics of {name}: {', '.join(parts)} in {seconds:.1f} s")
    for note in result.notes:
        print(f"shoal: note: {note}", file=sys.stderr)
    for warning in result.warnings[:SHOWN_WARNINGS]:
        print(f"shoal: warning: {warning}", file=sys.stderr)
    hidden = result.warning_count - min(len(result.warnings), SHOWN_WARNINGS)
    if hidden > 0:
        print(
            f"shoal: warning: {hidden:,} more frames whose image was not read "
            "(--json OUT of `shoal quality` lists them)",
            file=sys.stderr,
        )
