"""``shoal check``: run every regression test of an inference set; the exit code gates CI.

Exit 0 when every thresholded metric of every segment passes, 1 when any fails, 2 on
bad input. ``--junit FILE`` writes one test case per segment for CI dashboards.
"""

from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from shoal.cli._projects import home_option, open_store
from shoal.errors import InputError

METRICS = ("precision", "recall", "f1_score")


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "check",
        help="run an inference set's regression tests (exit 1 if any fails)",
        description=(
            "Compare each segment's precision, recall and F1 with its own thresholds. "
            "Exit 0 when all pass, 1 when any fails, 2 on bad input."
        ),
    )
    parser.add_argument("--project", required=True)
    parser.add_argument("--dataset", help="the dataset (default: the project's only dataset)")
    parser.add_argument("--inference-set", required=True, help="the inference set to check")
    parser.add_argument("--baseline", help="another inference set to show deltas against")
    parser.add_argument("--conf", type=float, help="confidence threshold (default: the project's)")
    parser.add_argument("--iou", type=float, help="IoU threshold (default: the project's)")
    parser.add_argument("--junit", type=Path, metavar="FILE", help="write JUnit XML here")
    parser.add_argument("--url", help="check against a Shoal server instead of the local store")
    parser.add_argument("--token", help="API key for --url (or SHOAL_TOKEN)")
    home_option(parser)
    parser.set_defaults(run=run)


def _local_results(
    args: argparse.Namespace,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
    store = open_store(args)
    project = store.project(args.project)
    if args.dataset is None:
        datasets = project.datasets()
        if len(datasets) != 1:
            names = ", ".join(d.name for d in datasets) or "none"
            raise InputError(
                f"project {project.name!r} has {len(datasets)} datasets ({names}): pass --dataset"
            )
        dataset = datasets[0]
    else:
        dataset = project.dataset(args.dataset)
    results = dataset.inference_set(args.inference_set).regression_results(
        conf=args.conf, iou=args.iou
    )
    baseline = None
    if args.baseline:
        baseline = [
            r.to_dict()
            for r in dataset.inference_set(args.baseline).regression_results(
                conf=args.conf, iou=args.iou
            )
        ]
    return [r.to_dict() for r in results], baseline


def _remote_results(
    args: argparse.Namespace,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
    import os

    from shoal.client import Client

    client = Client(args.url, token=args.token or os.environ.get("SHOAL_TOKEN"))
    results = client.regression_results(
        args.project, args.inference_set, dataset=args.dataset, conf=args.conf, iou=args.iou
    )
    baseline = None
    if args.baseline:
        baseline = client.regression_results(
            args.project, args.baseline, dataset=args.dataset, conf=args.conf, iou=args.iou
        )
    return results, baseline


def _verdict(result: dict[str, Any]) -> bool | None:
    decided = [result[m]["succeeds"] for m in METRICS if result[m]["succeeds"] is not None]
    return None if not decided else all(decided)


def _cell(metric: dict[str, Any], baseline: dict[str, Any] | None) -> str:
    text = f"{metric['score']:.3f}"
    if metric["threshold"] is not None:
        mark = "pass" if metric["succeeds"] else "FAIL"
        text += f" >= {metric['threshold']:g} {mark}"
    if baseline is not None:
        text += f" ({metric['score'] - baseline['score']:+.3f})"
    return text


def render(results: list[dict[str, Any]], baseline: list[dict[str, Any]] | None) -> str:
    by_name = {r["segment_name"]: r for r in baseline or []}
    header = [
        "segment",
        "type",
        "frames",
        "precision",
        "recall",
        "f1",
        "FP",
        "FN",
        "confusions",
        "result",
    ]
    rows = []
    for result in results:
        base = by_name.get(result["segment_name"])
        verdict = _verdict(result)
        rows.append(
            [
                result["segment_name"],
                result["segment_type"],
                str(result["frame_count"]),
                *(_cell(result[m], base[m] if base else None) for m in METRICS),
                *(
                    str(result[k]["score"])
                    + (f" ({result[k]['score'] - base[k]['score']:+d})" if base else "")
                    for k in ("false_positives", "false_negatives", "total_confusions")
                ),
                "-" if verdict is None else ("pass" if verdict else "FAIL"),
            ]
        )
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines)


def junit(results: list[dict[str, Any]], inference_set: str) -> ET.ElementTree:
    suite = ET.Element("testsuite", name=f"shoal regression tests: {inference_set}")
    failures = skipped = 0
    for result in results:
        case = ET.SubElement(
            suite, "testcase", classname="shoal.regression", name=result["segment_name"]
        )
        verdict = _verdict(result)
        if verdict is None:
            ET.SubElement(case, "skipped", message="no thresholds set")
            skipped += 1
        elif not verdict:
            failing = [
                f"{m} {result[m]['score']:.4f} < {result[m]['threshold']:g}"
                for m in METRICS
                if result[m]["succeeds"] is False
            ]
            ET.SubElement(case, "failure", message="; ".join(failing))
            failures += 1
    suite.set("tests", str(len(results)))
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))
    return ET.ElementTree(suite)


def run(args: argparse.Namespace) -> int:
    for name in ("conf", "iou"):
        value = getattr(args, name)
        if value is not None and not 0.0 <= value <= 1.0:
            raise InputError(f"--{name} {value} is not in [0, 1]")
    results, baseline = _remote_results(args) if args.url else _local_results(args)
    print(render(results, baseline))
    if args.junit is not None:
        tree = junit(results, args.inference_set)
        ET.indent(tree)
        tree.write(args.junit, encoding="utf-8", xml_declaration=True)
    verdicts = [_verdict(r) for r in results]
    failed = [r["segment_name"] for r, v in zip(results, verdicts, strict=True) if v is False]
    if failed:
        print(f"\n{len(failed)} regression test(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    checked = sum(v is True for v in verdicts)
    print(f"\nall {checked} regression test(s) passed", file=sys.stderr)
    return 0
