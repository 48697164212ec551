"""``shoal eval GT PRED``: every standard metric of one detection run, printed or as JSON."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import orjson

from shoal.cli._arguments import unit_float
from shoal.cli._eval_multilabel import class_threshold, run_multilabel
from shoal.cli._eval_ner import add_ner_arguments, is_ner, run_ner
from shoal.cli._label_errors import (
    add_label_error_arguments,
    format_label_errors,
    label_errors_json,
    run_label_errors,
)
from shoal.cli._progress import ProgressBar
from shoal.cli._reports import (
    format_confusion_matrix,
    format_largest_confusions,
    format_report,
    format_scores,
)
from shoal.cli._tide import add_tide_arguments, format_tide, run_tide, tide_json

MATRIX_MAX_CLASSES = 12


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "eval",
        help="evaluate COCO detection results against COCO ground truth",
        description=(
            "Evaluate COCO results (a JSON list of {image_id, category_id, bbox, score}) "
            "against COCO ground truth: the 12 COCO statistics, a per-class report and a "
            "confusion matrix at one operating point."
        ),
    )
    parser.add_argument(
        "ground_truth",
        type=Path,
        help="COCO instances JSON (ground truth), or a multi-label CSV (frame_id,labels)",
    )
    parser.add_argument(
        "predictions",
        type=Path,
        help="COCO results JSON (predictions), or a multi-label CSV (frame_id,p_<class>...)",
    )
    parser.add_argument(
        "--conf", type=unit_float, default=0.1, help="confidence threshold (default: %(default)s)"
    )
    parser.add_argument(
        "--iou", type=unit_float, default=0.5, help="IoU threshold (default: %(default)s)"
    )
    parser.add_argument(
        "--protocol",
        choices=("coco", "voc", "labelbox"),
        default="coco",
        help="matching rules and AP: pycocotools' (coco), PASCAL VOC's (voc), or Labelbox's "
        "class-agnostic matching by decreasing IoU (labelbox: report and matrix, no AP) "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--class-iou",
        type=class_threshold,
        action="append",
        metavar="CLASS=T",
        help="one class's own IoU threshold (repeatable; the others use --iou)",
    )
    parser.add_argument(
        "--iou-type",
        choices=("bbox", "segm", "keypoints"),
        default="bbox",
        help="what is matched, in pycocotools' names: boxes, masks (mask IoU) or keypoints "
        "(OKS; areas all/medium/large, maxDets 20) (default: %(default)s)",
    )
    parser.add_argument(
        "--pixel-inclusive",
        action="store_true",
        help="VOC devkit box convention: a box covers width + 1 pixels",
    )
    parser.add_argument(
        "--honor-ignore",
        action="store_true",
        help='count annotations marked "ignore": 1 as ignored ground truth (pycocotools, '
        "and so Shoal by default, overwrites the flag with iscrowd)",
    )
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write the results here")
    parser.add_argument(
        "--threshold",
        type=unit_float,
        help="multi-label CSVs: the class-score threshold (default 0.5)",
    )
    parser.add_argument(
        "--class-threshold",
        type=class_threshold,
        action="append",
        metavar="CLASS=T",
        help="multi-label CSVs: one class's own threshold (repeatable)",
    )
    parser.add_argument(
        "--task",
        choices=("detection", "multilabel", "ner"),
        help="what the files hold (default: ner for two .conll files, multilabel for a .csv "
        "ground truth, else detection)",
    )
    add_ner_arguments(parser)
    add_tide_arguments(parser)
    add_label_error_arguments(parser)
    parser.add_argument(
        "--threads",
        type=_thread_count,
        metavar="N",
        help="threads for matching and metrics (default: SHOAL_THREADS, else every CPU this "
        "process may use); the results are the same for any N",
    )
    parser.add_argument(
        "--ray",
        metavar="ADDRESS",
        help="match partitions of the images as Ray tasks on the cluster at ADDRESS ('auto' "
        "for the one this machine belongs to, 'local' to start one here, ray://HOST:PORT), "
        "merged exactly (shoal.distributed; needs the ray extra)",
    )
    parser.add_argument(
        "--partitions",
        type=int,
        metavar="N",
        help="with --ray, the number of partitions (default: one per CPU of the cluster)",
    )
    parser.set_defaults(run=run)


def _thread_count(text: str) -> int:
    from shoal._native import parse_thread_count
    from shoal.errors import InputError

    try:
        return parse_thread_count(text, source="--threads")
    except InputError as error:
        raise argparse.ArgumentTypeError(error.message) from None


def run(args: argparse.Namespace) -> int:
    if is_ner(args):
        return run_ner(args)  # CoNLL files of token tags
    task = getattr(args, "task", None)
    if task == "multilabel" or (task is None and str(args.ground_truth).lower().endswith(".csv")):
        return run_multilabel(args)  # multi-label classification CSVs
    import shoal
    from shoal._native import set_threads, thread_count
    from shoal.formats.coco import read_coco_detections

    threads = getattr(args, "threads", None)  # `shoal demo` runs this without the option
    if threads is not None:
        set_threads(threads)
    thread_count()  # a bad SHOAL_THREADS is refused before any file is read
    started = time.perf_counter()
    iou_type = getattr(args, "iou_type", "bbox")  # `shoal demo` runs this without the option
    if iou_type != "bbox":
        ev = _evaluate_geometry(args, iou_type)
        gt, dt = ev.ground_truth, ev.predictions
    elif getattr(args, "ray", None) is not None or getattr(args, "partitions", None) is not None:
        ev = _evaluate_on_ray(args)
        gt, dt = ev.ground_truth, ev.predictions
    else:
        label = f"loading {args.ground_truth.name} and {args.predictions.name}"
        with ProgressBar(label) as bar:
            gt, dt = read_coco_detections(
                args.ground_truth, args.predictions, ignore_flag=args.honor_ignore, progress=bar
            )
        ev = shoal.evaluate_detections(
            gt,
            dt,
            iou_thresholds=_grid_iou(args),
            protocol=args.protocol,
            pixel_inclusive=args.pixel_inclusive,
        )
    iou = _operating_iou(args, ev)
    result = collect(ev, conf=args.conf, iou=iou)
    breakdown = run_tide(args, gt, dt)
    if breakdown is not None:
        result |= tide_json(breakdown)
    queue = run_label_errors(args, gt, dt)
    if queue is not None:
        result |= label_errors_json(queue, gt)
    elapsed = time.perf_counter() - started
    print(render(ev, result, conf=args.conf, iou=iou, seconds=elapsed))
    if breakdown is not None:
        print("\n" + format_tide(breakdown))
    if queue is not None:
        print("\n" + format_label_errors(queue, gt))
    if args.json is not None:
        args.json.write_bytes(
            orjson.dumps(result, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY)
        )
        print(f"wrote {args.json}", file=sys.stderr)
    return 0


def _operating_iou(args: argparse.Namespace, ev: Any) -> float | dict[str, float]:
    """``--iou``, or with ``--class-iou`` each class's IoU by name (--iou for the rest)."""
    given = getattr(args, "class_iou", None)
    if not given:
        return float(args.iou)
    ious = dict.fromkeys(ev.labels, float(args.iou))
    for name, value in given:
        if name not in ious:
            from shoal.errors import InputError

            raise InputError(
                f"--class-iou names {name!r}, not a class; classes are {list(ev.labels)}"
            )
        ious[name] = value
    return ious


def _iou_text(iou: float | dict[str, float]) -> str:
    if not isinstance(iou, dict):
        return f"{iou:g}"
    common = max(set(iou.values()), key=list(iou.values()).count)
    own = ", ".join(f"{name} {value:g}" for name, value in iou.items() if value != common)
    return f"{common:g} ({own})" if own else f"{common:g}"


def _grid_iou(args: argparse.Namespace) -> list[float]:
    """The operating point's IoU added to the matching grid (Labelbox's matching reads
    no grid, and takes IoU 0)."""
    return [] if args.protocol == "labelbox" or args.iou == 0 else [args.iou]


def _evaluate_geometry(args: argparse.Namespace, iou_type: str) -> Any:
    """A segm or keypoints evaluation of the two COCO files."""
    import shoal
    from shoal.errors import InputError

    for option in ("tide", "label_errors"):
        if getattr(args, option, False):  # both measure boxes
            raise InputError(
                f"--{option.replace('_', '-')} measures boxes; use it with --iou-type bbox"
            )
    if getattr(args, "ray", None) is not None or getattr(args, "partitions", None) is not None:
        return _evaluate_on_ray(args, iou_type)
    label = f"loading {args.ground_truth.name} and {args.predictions.name} ({iou_type})"
    with ProgressBar(label) as bar:
        return shoal.evaluate_detections(
            args.ground_truth,
            args.predictions,
            iou_type=iou_type,  # type: ignore[arg-type]  # argparse's choices
            iou_thresholds=_grid_iou(args),
            protocol=args.protocol,
            pixel_inclusive=args.pixel_inclusive,
            ignore_flag=args.honor_ignore,
            progress=bar,
        )


def _evaluate_on_ray(args: argparse.Namespace, iou_type: str = "bbox") -> Any:
    """The files' partitions as Ray tasks, merged exactly (boxes come back in file
    order, so --tide and --label-errors read them as without --ray)."""
    from shoal.distributed import evaluate_coco
    from shoal.errors import InputError

    if args.ray is None:
        raise InputError("--partitions needs --ray ADDRESS")
    if args.partitions is not None and args.partitions < 1:
        raise InputError(f"--partitions must be at least 1, got {args.partitions}")
    with ProgressBar(f"evaluating partitions on Ray ({args.ray})") as bar:
        return evaluate_coco(
            args.ground_truth,
            args.predictions,
            args.partitions,
            executor="ray",
            address=args.ray,
            iou_thresholds=_grid_iou(args),
            protocol=args.protocol,
            pixel_inclusive=args.pixel_inclusive,
            ignore_flag=args.honor_ignore,
            iou_type=iou_type,  # type: ignore[arg-type]  # argparse's choices
            progress=bar,
        )


def collect(ev: Any, *, conf: float, iou: float | dict[str, float]) -> dict[str, Any]:
    """Everything ``shoal eval`` shows, as one JSON-ready dict."""
    out: dict[str, Any] = {
        "settings": {
            "conf": conf,
            "iou": iou,
            "protocol": ev.protocol,
            "iou_type": ev.params.iou_type,
        },
        "counts": {
            "frames": ev.ground_truth.num_frames,
            "ground_truth": len(ev.ground_truth),
            "predictions": len(ev.predictions),
            "classes": len(ev.classes),
        },
    }
    if ev.protocol == "coco":
        summary = ev.coco_summary()
        out["coco"] = dict(summary.stats)
        out["coco_per_class"] = summary.per_class()
    elif ev.protocol == "voc":
        out["voc"] = {"iou": iou, "ap": ev.average_precision(iou)}
    out["report"] = ev.report(conf, iou).to_dict()
    out["confusion_matrix"] = ev.confusion_matrix(conf, iou).to_dict()
    if ev.protocol != "labelbox":  # its matching changes with conf: no curve to pick from
        out["best_thresholds"] = {
            name: choice.to_dict() for name, choice in ev.best_thresholds(iou=iou).items()
        }
    return out


def render(
    ev: Any, result: dict[str, Any], *, conf: float, iou: float | dict[str, float], seconds: float
) -> str:
    counts = result["counts"]
    lines = [
        f"{counts['frames']:,} frames, {counts['ground_truth']:,} ground truth, "
        f"{counts['predictions']:,} predictions, {counts['classes']} classes "
        f"(evaluated in {seconds:.2f} s)",
        "",
    ]
    if "coco" in result:
        lines += [f"COCO summary ({ev.params.iou_type})", str(ev.coco_summary()), ""]
    elif "voc" in result:
        lines.append(f"PASCAL VOC AP at IoU {_iou_text(iou)}")
        lines += [format_scores(result["voc"]["ap"], score="AP"), ""]
    else:
        lines += ["Labelbox matching: class-agnostic, greedy by decreasing IoU", ""]
    relation = "IoU >" if ev.protocol == "labelbox" else "IoU >="
    lines += [
        f"Per-class report at conf >= {conf:g}, {relation} {_iou_text(iou)}",
        format_report(ev.report(conf, iou)),
        "",
    ]
    matrix = ev.confusion_matrix(conf, iou)
    if len(matrix.labels) - 1 <= MATRIX_MAX_CLASSES:
        lines += [
            "Confusion matrix (rows: ground truth, columns: prediction)",
            format_confusion_matrix(matrix),
        ]
    else:
        lines.append("Largest confusions (the full matrix is in --json output)")
        lines.append(format_largest_confusions(matrix, 15))
    return "\n".join(lines)
