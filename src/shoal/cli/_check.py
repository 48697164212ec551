"""``shoal check``: run every regression test of an inference set; the exit code gates CI.

One code path for the local store and a server (``--url``): both give the
``SegmentResult`` list (``InferenceSet.regression_results`` locally, ``Client.regression_results``
remotely), printed and written to JUnit the same way, and a segment's verdict is its
``SegmentResult.succeeds``.

Exit 0 when every thresholded metric of every segment passes, 1 when any fails, when a
segment is stale (its saved query no longer runs on the dataset) or when no segment has a
threshold (nothing was checked; ``--allow-empty`` accepts that), 2 on bad
input. ``--junit FILE`` writes one test case per segment for CI dashboards.

``--significant`` (with ``--baseline``) adds each segment's paired-bootstrap 95%
intervals of the precision, recall and F1 deltas (``shoal.analysis.bootstrap``), and a
segment whose delta on any of them has an interval entirely below zero is a regression
(exit 1); a drop whose interval includes zero is noise, not a regression.
"""

from __future__ import annotations

import argparse
import os
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from shoal.analysis import DeltaInterval, MetricCheck, SegmentResult, Significance
from shoal.cli._output import format_table
from shoal.cli._projects import home_option, open_store, pick_dataset
from shoal.errors import InputError

# The thresholded metrics, by their column and JUnit name.
METRICS = {"precision": "precision", "recall": "recall", "f1": "f1_score"}
COUNTS = {"FP": "false_positives", "FN": "false_negatives", "confusions": "total_confusions"}
Results = list[SegmentResult]
# A segment's intervals by metric column (METRICS' values), for --significant.
Intervals = dict[str, dict[str, DeltaInterval]]
# (segment name, base conf, other conf) -> the significance of the checked set's deltas.
SignificanceOf = Callable[[str, float | None, float | None], Significance]


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
    parser.add_argument(
        "--significant",
        action="store_true",
        help="with --baseline: paired-bootstrap 95%% intervals of each delta; a segment "
        "regresses (exit 1) when an interval of precision, recall or F1 is below zero",
    )
    parser.add_argument(
        "--resamples", type=int, default=1000, help="bootstrap resamples (default 1000)"
    )
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
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


def _local_results(args: argparse.Namespace) -> tuple[Results, Results | None, Intervals]:
    dataset = pick_dataset(open_store(args).project(args.project), args.dataset)

    def results(name: str, conf: float | None, iou: float | None) -> Results:
        return dataset.inference_set(name).regression_results(conf=conf, iou=iou, query=args.query)

    def significance(segment: str, conf: float | None, other_conf: float | None) -> Significance:
        return dataset.inference_set(args.baseline).significance(
            dataset.inference_set(args.inference_set),
            **_significance_options(args, segment, conf, other_conf),
        )

    checked, baseline = _both(args, results)
    conf = dataset.project.default_conf
    return checked, baseline, _intervals(args, checked, significance, conf)


def _baseline_iou(args: argparse.Namespace) -> float | None:
    iou: float | None = args.iou if args.baseline_iou is None else args.baseline_iou
    return iou


def _significance_options(
    args: argparse.Namespace, segment: str, conf: float | None, other_conf: float | None
) -> dict[str, Any]:
    """One segment's significance request, the same locally and remotely: the baseline
    at (``conf``, --baseline-iou or --iou), the checked set at (``other_conf``, --iou)."""
    return {
        "conf": conf,
        "iou": _baseline_iou(args),
        "other_conf": other_conf,
        "other_iou": args.iou,
        "segment": segment,
        "query": args.query,
        "resamples": args.resamples,
        "seed": args.seed,
        # The check reads the pooled precision, recall and F1 only: AP's resampling is
        # left out (it walks every ranked prediction once per replicate).
        "average_precision": False,
    }


def _intervals(
    args: argparse.Namespace, checked: Results, significance: SignificanceOf, default_conf: float
) -> Intervals:
    """Each fresh segment's intervals of the micro (pooled) precision, recall and F1
    deltas, checked set against the baseline, each at its own operating point."""
    if not (args.significant and args.baseline):
        return {}
    checked_conf = default_conf if args.conf is None else args.conf
    base_conf = checked_conf if args.baseline_conf is None else args.baseline_conf
    out: Intervals = {}
    for result in checked:
        if result.stale is not None:
            continue
        found = significance(result.segment_name, base_conf, checked_conf)
        out[result.segment_name] = {
            column: found.interval("micro avg", metric)
            for column, metric in zip(
                METRICS.values(), ("precision", "recall", "f1-score"), strict=True
            )
        }
    return out


def _both(
    args: argparse.Namespace, results: Callable[[str, float | None, float | None], Results]
) -> tuple[Results, Results | None]:
    """The inference set's results at (--conf, --iou) and the baseline's at its own
    (--baseline-conf, --baseline-iou; default the same)."""
    checked = results(args.inference_set, args.conf, args.iou)
    if not args.baseline:
        return checked, None
    conf = args.conf if args.baseline_conf is None else args.baseline_conf
    return checked, results(args.baseline, conf, _baseline_iou(args))


def _remote_results(args: argparse.Namespace) -> tuple[Results, Results | None, Intervals]:
    from shoal.client import Client

    with Client(args.url, token=args.token or os.environ.get("SHOAL_TOKEN")) as client:

        def results(name: str, conf: float | None, iou: float | None) -> Results:
            return client.regression_results(
                args.project, name, dataset=args.dataset, conf=conf, iou=iou, query=args.query
            )

        def significance(
            segment: str, conf: float | None, other_conf: float | None
        ) -> Significance:
            return client.significance(
                args.project,
                args.dataset,
                args.baseline,
                args.inference_set,
                **_significance_options(args, segment, conf, other_conf),
            )

        checked, baseline = _both(args, results)
        conf = float(client.project(args.project)["default_conf"]) if args.significant else 0.0
        return checked, baseline, _intervals(args, checked, significance, conf)


def _verdict(result: SegmentResult) -> str:
    if result.stale is not None:
        return "STALE"
    verdict = result.succeeds
    return "-" if verdict is None else ("pass" if verdict else "FAIL")


def _cell(
    metric: MetricCheck, baseline: MetricCheck | None, interval: DeltaInterval | None = None
) -> str:
    text = f"{metric.score:.3f}"
    if metric.threshold is not None:
        text += f" >= {metric.threshold:g} {'pass' if metric.succeeds else 'FAIL'}"
    if baseline is not None and interval is None:
        text += f" ({metric.score - baseline.score:+.3f})"
    if interval is not None:
        mark = {"worse": " worse", "better": " better", "same": ""}[interval.direction]
        text += f" ({interval.delta:+.3f} [{interval.low:+.3f}, {interval.high:+.3f}]{mark})"
    return text


def regressed(intervals: Intervals) -> list[str]:
    """The segments with a significant drop of precision, recall or F1."""
    return [
        name
        for name, found in intervals.items()
        if any(interval.direction == "worse" for interval in found.values())
    ]


def _count(result: SegmentResult, baseline: SegmentResult | None, name: str) -> str:
    value: int = getattr(result, name)
    if baseline is None:
        return str(value)
    return f"{value} ({value - getattr(baseline, name):+d})"


def render(
    results: Sequence[SegmentResult],
    baseline: Sequence[SegmentResult] | None,
    intervals: Intervals | None = None,
) -> str:
    """One row per segment: each metric against its threshold, the counts, the verdict
    (with deltas against ``baseline``'s segment of the same name, and their 95%
    intervals where ``intervals`` has the segment's)."""
    by_name = {r.segment_name: r for r in baseline or []}
    intervals = intervals or {}
    worse = set(regressed(intervals))
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
                    _cell(
                        getattr(result, name),
                        getattr(base, name) if base else None,
                        intervals.get(result.segment_name, {}).get(name),
                    )
                    for name in METRICS.values()
                ),
                *(_count(result, base, name) for name in COUNTS.values()),
                _verdict(result) + (" REGRESSED" if result.segment_name in worse else ""),
            ]
        )
    return format_table(header, rows, right=("frames",))


def junit(
    results: Sequence[SegmentResult], inference_set: str, intervals: Intervals | None = None
) -> ET.ElementTree:
    """One test case per segment: a failure for a stale segment, a metric below its
    threshold or (with ``intervals``, from --significant) a significant drop against the
    baseline; skipped when nothing was checked."""
    suite = ET.Element("testsuite", name=f"shoal regression tests: {inference_set}")
    failures = skipped = 0
    intervals = intervals or {}
    for result in results:
        case = ET.SubElement(
            suite, "testcase", classname="shoal.regression", name=result.segment_name
        )
        if result.stale is not None:
            ET.SubElement(case, "failure", message=f"stale: {result.stale}")
            failures += 1
            continue
        failing = [
            f"{name} {check.score:.4f} < {check.threshold:g}"
            for name in METRICS.values()
            if (check := getattr(result, name)).succeeds is False
        ] + [
            f"{name} {found.delta:+.4f} [{found.low:+.4f}, {found.high:+.4f}] against the baseline"
            for name, found in intervals.get(result.segment_name, {}).items()
            if found.direction == "worse"
        ]
        if failing:
            ET.SubElement(case, "failure", message="; ".join(failing))
            failures += 1
        elif result.succeeds is None and result.segment_name not in intervals:
            ET.SubElement(case, "skipped", message="no thresholds set")
            skipped += 1
    suite.set("tests", str(len(results)))
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))
    return ET.ElementTree(suite)


def run(args: argparse.Namespace) -> int:
    for name in ("conf", "iou", "baseline_conf", "baseline_iou"):
        value = getattr(args, name)
        if value is not None and not 0.0 <= value <= 1.0:
            raise InputError(f"--{name.replace('_', '-')} {value} is not in [0, 1]")
    if args.significant and not args.baseline:
        raise InputError("--significant needs --baseline (the inference set to compare with)")
    results, baseline, intervals = _remote_results(args) if args.url else _local_results(args)
    print(render(results, baseline, intervals))
    if args.junit is not None:
        tree = junit(results, args.inference_set, intervals)
        ET.indent(tree)
        tree.write(args.junit, encoding="utf-8", xml_declaration=True)
    failed = [r.segment_name for r in results if r.succeeds is False]
    for result in results:
        if result.stale is not None:
            print(f"segment {result.segment_name!r} is stale: {result.stale}", file=sys.stderr)
    worse = regressed(intervals)
    if worse:
        print(
            f"\n{len(worse)} segment(s) regressed significantly against {args.baseline} "
            f"(95% interval below zero): {', '.join(worse)}",
            file=sys.stderr,
        )
    if failed:
        print(f"\n{len(failed)} regression test(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    if worse:
        return 1
    checked = sum(r.succeeds is True for r in results)
    if intervals:
        print(
            f"\nno significant regression against {args.baseline} in {len(intervals)} segment(s)",
            file=sys.stderr,
        )
        if checked == 0:  # the intervals were the check
            return 0
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
