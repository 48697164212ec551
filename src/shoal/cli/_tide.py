"""``shoal eval --tide``: TIDE's error breakdown (shoal.analysis.tide) as JSON and as a
table, its numbers only laid out here."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from shoal.cli._arguments import unit_float
from shoal.cli._output import format_table

if TYPE_CHECKING:
    from shoal.analysis.tide import TideResult

__all__ = ["add_tide_arguments", "format_tide", "run_tide", "tide_json"]


def add_tide_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tide",
        action="store_true",
        help="add TIDE's error breakdown (Cls, Loc, Both, Dupe, Bkg, Miss counts and dAP, "
        "FalsePos and FalseNeg dAP) with --iou as its foreground IoU",
    )
    parser.add_argument(
        "--tide-bg-iou",
        type=unit_float,
        default=0.1,
        metavar="IOU",
        help="TIDE's background IoU (default: %(default)s)",
    )


def run_tide(args: argparse.Namespace, gt: Any, dt: Any) -> TideResult | None:
    """The breakdown ``--tide`` asks for, or None."""
    if not getattr(args, "tide", False):
        return None
    from shoal.analysis.tide import tide
    from shoal.errors import InputError

    if args.tide_bg_iou > args.iou:
        raise InputError(
            f"--tide-bg-iou {args.tide_bg_iou:g} is above the foreground IoU --iou {args.iou:g}"
        )
    return tide(
        gt,
        dt,
        fg_iou=args.iou,
        bg_iou=args.tide_bg_iou,
        frame_order=_file_order(args.ground_truth, gt.num_frames),
    )


def _file_order(ground_truth: Any, num_frames: int) -> NDArray[np.int64] | None:
    """The frames in the order the file lists its images, as tidecv walks them (which
    decides how equal scores on different images rank in AP). The reader sorts frames
    by image id, so this reads the file's image list again with the same reader."""
    from shoal.formats.coco import parse_coco_ground_truth

    image_ids = parse_coco_ground_truth(ground_truth).image_ids
    if image_ids.size != num_frames:
        return None
    by_id = np.argsort(image_ids, kind="stable")
    position = np.empty(by_id.size, np.int64)
    position[by_id] = np.arange(by_id.size, dtype=np.int64)
    return position


def tide_json(result: TideResult) -> dict[str, Any]:
    """``"tide"``: every dAP in AP points (0-100) by TIDE's names; ``"tide_details"``: its
    AP, the counts, the thresholds and the per-class breakdown."""
    return {"tide": dict(result.dap), "tide_details": result.to_dict()}


def format_tide(result: TideResult) -> str:
    from shoal.analysis.tide import MAIN_ERRORS, SPECIAL_ERRORS

    main = format_table(
        ["", *MAIN_ERRORS],
        [
            ["dAP", *(f"{result.dap[name]:.2f}" for name in MAIN_ERRORS)],
            ["count", *(f"{result.counts[name]:,}" for name in MAIN_ERRORS)],
        ],
        right=MAIN_ERRORS,
    )
    special = format_table(
        ["", *SPECIAL_ERRORS],
        [["dAP", *(f"{result.dap[name]:.2f}" for name in SPECIAL_ERRORS)]],
        right=SPECIAL_ERRORS,
    )
    return "\n".join(
        [
            f"TIDE errors (AP{result.fg_iou * 100:g} {result.ap:.2f}, foreground IoU "
            f"{result.fg_iou:g}, background IoU {result.bg_iou:g})",
            main,
            "",
            "TIDE special errors",
            special,
        ]
    )
