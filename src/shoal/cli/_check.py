"""``shoal check``: run every regression test of an inference set; the exit code gates CI.

One code path for the local store and a server (``--url``): both give the
``SegmentResult`` list (``InferenceSet.regression_results`` locally, ``Client.regression_results``
remotely), printed and written to JUnit the same way, and a segment's verdict is its
``SegmentResult.succeeds``.

Exit 0 when every thresholded metric of every segment passes, 1 when any fails, when a
segment is stale (its saved query no longer runs on the dataset) or when no segment has a
threshold (nothing was checked; ``--allow-empty`` accepts that), 2 on bad
input. ``--junit FILE`` writes one test case per segment for CI dashboards.
"""

from __future__ import annotations

import argparse
import os
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from shoal.analysis import MetricCheck, SegmentResult
from shoal.cli._output import format_table
from shoal.cli._projects import home_option, open_store, pick_dataset
from shoal.errors import InputError

# The thresholded metrics, by their column and JUnit name.
METRICS = {"precision": "precision", "recall": "recall", "f1": "f1_score"}
COUNTS = {"FP": "false_positives", "FN": "false_negatives", "confusions": "total_confusions"}
Results = list[SegmentResult]


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "check",
        help="run an inference set's regression tests (exit 1 if any fails)",
        description=(
            "Compare each segment's precision, recall and F1 with its own thresholds. "
            "Exit 0 when all pass, 1 when any fails or when no segment has a threshold "
            "(set them with `shoal segment set`, or pass --allow-empty), 2 on bad input."
        ),
    )
    parser.add_argument("--project", required=True)
    parser.add_argument("--dataset", help="the dataset (default: the project's only dataset)")
    parser.add_argument("--inference-set", required=True, help="the inference set to check")
    parser.add_argument("--baseline", help="another inference set to show deltas against")
    parser.add_argument("--conf", type=float, help="confidence threshold (default: the project's)")
    parser.add_argument("--iou", type=float, help="IoU threshold (default: the project's)")
    parser.add_argument(
        "--baseline-conf",
        type=float,
        help="the baseline's own confidence threshold (default: --conf)",
    )
    parser.add_argument(
        "--baseline-iou", type=float, help="the baseline's own IoU threshold (default: --iou)"
    )
    parser.add_argument(
        "--query", help="a frames query (docs/queries.md) narrowing every segment to its frames"
    )
    parser.add_argument("--junit", type=Path, metavar="FILE", help="write JUnit XML here")
    parser.add_argument(
        "--allow-empty",
        action="store_true",
        help="exit 0 when no segment has a threshold (default: exit 1, nothing was checked)",
    )
    parser.add_argument("--url", help="check against a Shoal server instead of the local store")
    parser.add_argument("--token", help="API key for --url (or SHOAL_TOKEN)")
    home_option(parser)
    parser.set_defaults(run=run)


def _local_results(args: argparse.Namespace) -> tuple[Results, Results | None]:
    dataset = pick_dataset(open_store(args).project(args.project), args.dataset)

    def results(name: str, conf: float | None, iou: float | None) -> Results:
        return dataset.inference_set(name).regression_results(conf=conf, iou=iou, query=args.query)

    return _both(args, results)


def _both(
    args: argparse.Namespace, results: Callable[[str, float | None, float | None], Results]
) -> tuple[Results, Results | None]:
    """The inference set's results at (--conf, --iou) and the baseline's at its own
    (--baseline-conf, --baseline-iou; default the same)."""
    checked = results(args.inference_set, args.conf, args.iou)
    if not args.baseline:
        return checked, None
    conf = args.conf if args.baseline_conf is None else args.baseline_conf
    iou = args.iou if args.baseline_iou is None else args.baseline_iou
    return checked, results(args.baseline, conf, iou)


def _remote_results(args: argparse.Namespace) -> tuple[Results, Results | None]:
    from shoal.client import Client

    with Client(args.url, token=args.token or os.environ.get("SHOAL_TOKEN")) as client:

        def results(name: str, conf: float | None, iou: float | None) -> Results:
            return client.regression_results(
                args.project, name, dataset=args.dataset, conf=conf, iou=iou, query=args.query
            )

        return _both(args, results)


def _verdict(result: SegmentResult) -> str:
    if result.stale is not None:
        return "STALE"
    verdict = result.succeeds
    return "-" if verdict is None else ("pass" if verdict else "FAIL")


def _cell(metric: MetricCheck, baseline: MetricCheck | None) -> str:
    text = f"{metric.score:.3f}"
    if metric.threshold is not None:
        text += f" >= {metric.threshold:g} {'pass' if metric.succeeds else 'FAIL'}"
    if baseline is not None:
        text += f" ({metric.score - baseline.score:+.3f})"
    return text


def _count(result: SegmentResult, baseline: SegmentResult | None, name: str) -> str:
    value: int = getattr(result, name)
    if baseline is None:
        return str(value)
    return f"{value} ({value - getattr(baseline, name):+d})"


def render(results: Sequence[SegmentResult], baseline: Sequence[SegmentResult] | None) -> str:
    """One row per segment: each metric against its threshold, the counts, the verdict
    (with deltas against ``baseline``'s segment of the same name)."""
    by_name = {r.segment_name: r for r in baseline or []}
    header = ["segment", "type", "frames", *METRICS, *COUNTS, "result"]
    rows = []
    for result in results:
        base = by_name.get(result.segment_name)
        rows.append(
            [
                result.segment_name,
                result.segment_type,
                str(result.frame_count),
                *(
                    _cell(getattr(result, name), getattr(base, name) if base else None)
                    for name in METRICS.values()
                ),
                *(_count(result, base, name) for name in COUNTS.values()),
                _verdict(result),
            ]
        )
    return format_table(header, rows, right=("frames",))


def junit(results: Sequence[SegmentResult], inference_set: str) -> ET.ElementTree:
    suite = ET.Element("testsuite", name=f"shoal regression tests: {inference_set}")
    failures = skipped = 0
    for result in results:
        case = ET.SubElement(
            suite, "testcase", classname="shoal.regression", name=result.segment_name
        )
        if result.stale is not None:
            ET.SubElement(case, "failure", message=f"stale: {result.stale}")
            failures += 1
        elif result.succeeds is None:
            ET.SubElement(case, "skipped", message="no thresholds set")
            skipped += 1
        elif not result.succeeds:
            failing = [
                f"{name} {check.score:.4f} < {check.threshold:g}"
                for name in METRICS.values()
                if (check := getattr(result, name)).succeeds is False
            ]
            ET.SubElement(case, "failure", message="; ".join(failing))
            failures += 1
    suite.set("tests", str(len(results)))
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))
    return ET.ElementTree(suite)


def run(args: argparse.Namespace) -> int:
    for name in ("conf", "iou", "baseline_conf", "baseline_iou"):
        value = getattr(args, name)
        if value is not None and not 0.0 <= value <= 1.0:
            raise InputError(f"--{name.replace('_', '-')} {value} is not in [0, 1]")
    results, baseline = _remote_results(args) if args.url else _local_results(args)
    print(render(results, baseline))
    if args.junit is not None:
        tree = junit(results, args.inference_set)
        ET.indent(tree)
        tree.write(args.junit, encoding="utf-8", xml_declaration=True)
    failed = [r.segment_name for r in results if r.succeeds is False]
    for result in results:
        if result.stale is not None:
            print(f"segment {result.segment_name!r} is stale: {result.stale}", file=sys.stderr)
    if failed:
        print(f"\n{len(failed)} regression test(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    checked = sum(r.succeeds is True for r in results)
    if checked == 0:
        where = f"--project {args.project}" + (f" --dataset {args.dataset}" if args.dataset else "")
        advice = (
            f"set one with `shoal segment set NAME {where} --recall 0.8` (or `shoal segment "
            "create`)"
        )
        if args.allow_empty:
            print(f"\nno segment has a threshold: nothing was checked ({advice})", file=sys.stderr)
            return 0
        print(
            f"\nno segment has a threshold: nothing was checked; {advice}, "
            "or pass --allow-empty to accept this",
            file=sys.stderr,
        )
        return 1
    print(f"\nall {checked} regression test(s) passed", file=sys.stderr)
    return 0
