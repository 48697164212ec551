"""``shoal eval --label-errors``: the label-error queue (shoal.analysis.label_errors) as JSON
and as the top of the queue, its numbers only laid out here."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from shoal.cli._arguments import unit_float
from shoal.cli._output import format_table

if TYPE_CHECKING:
    from shoal.analysis.label_errors import LabelErrors

__all__ = [
    "add_label_error_arguments",
    "format_label_errors",
    "label_errors_json",
    "run_label_errors",
]

SHOWN = 20


def add_label_error_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--label-errors",
        action="store_true",
        help="add the label-error queue (labels likely wrong: missing, spurious, wrong_class, "
        "loose_box), highest score first, with --iou as the matching IoU",
    )
    parser.add_argument(
        "--label-errors-conf",
        type=unit_float,
        default=0.5,
        metavar="CONF",
        help="confidence from which a prediction is confident evidence against a label "
        "(default: %(default)s)",
    )


def run_label_errors(args: argparse.Namespace, gt: Any, dt: Any) -> LabelErrors | None:
    """The queue ``--label-errors`` asks for, or None."""
    if not getattr(args, "label_errors", False):
        return None
    from shoal.analysis.label_errors import detection_label_errors

    return detection_label_errors(
        gt, dt, min_score=args.label_errors_conf, fg_iou=args.iou, bg_iou=min(0.1, args.iou)
    )


def label_errors_json(queue: LabelErrors, gt: Any) -> dict[str, Any]:
    """``"label_errors"``: every candidate, highest score first."""
    return {"label_errors": queue.to_records(gt)}


def format_label_errors(queue: LabelErrors, gt: Any, *, shown: int = SHOWN) -> str:
    counts = ", ".join(f"{count:,} {kind}" for kind, count in queue.counts().items())
    header = f"Label errors ({len(queue):,} candidates: {counts})"
    if not len(queue):
        return header
    rows = []
    for entry in queue.to_records(gt, limit=shown):
        suspect = (
            f"prediction #{entry['prediction']}"
            if "prediction" in entry
            else f"annotation {entry['annotation_id']}"
        )
        partner = entry["partner"]
        if partner is None:
            against = ""
        elif "prediction" in entry:
            against = f"annotation {partner}"
        else:
            against = f"prediction #{partner}"
        rows.append(
            [f"{entry['score']:.3f}", entry["kind"], str(entry["image_id"]), suspect, against]
        )
    table = format_table(["score", "kind", "image", "suspect", "against"], rows, right=("score",))
    more = f"\n... {len(queue) - shown:,} more in --json output" if len(queue) > shown else ""
    return f"{header}, top {min(shown, len(queue))}\n{table}{more}"
