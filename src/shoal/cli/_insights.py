"""``shoal insights importance|performance``: which property of the data hurts an
inference set (every metric ranked by importance, with its correlations) and one
metric's precision and false-negative rate per quantile bin, from the local store.

Every number is the store's (``InferenceSet.metric_importance`` and
``metric_performance``, docs/insights.md); this module only lays them out.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shoal.cli._arguments import positive_int, unit_float
from shoal.cli._output import print_table, write_json
from shoal.cli._projects import home_option, open_store

if TYPE_CHECKING:
    from shoal.store import InferenceSet

__all__ = ["register"]


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "insights",
        help="which metric hurts a model: importance ranking, performance by metric",
        description=(
            "Performance by metric (docs/insights.md): every metric an inference set can be "
            "analysed by (confidence, box area, quality and custom metrics, numeric "
            "metadata) ranked by importance, or one metric's precision and false-negative "
            "rate per quantile bin."
        ),
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    importance = actions.add_parser(
        "importance",
        help="every metric ranked by importance, with Pearson and Spearman correlations",
        description=(
            "Importance: mutual information of the metric's quantile bin and being right "
            "(a true positive; wrong: a false positive or a missed label) over the "
            "outcome's entropy, in [0, 1]. Correlation: Pearson and Spearman with being "
            "right (negative: the larger the value, the worse). Null below 100 objects."
        ),
    )
    _where(importance)
    importance.set_defaults(run=run_importance)

    performance = actions.add_parser(
        "performance",
        help="one metric's precision and false-negative rate per quantile bin",
        description=(
            "Precision (over the predictions) and false-negative rate (over the labels) "
            "per quantile bin of the metric, with the overall values for reference."
        ),
    )
    _where(performance)
    performance.add_argument("metric", help="the metric (as `shoal insights importance` lists it)")
    performance.add_argument(
        "--bins", type=positive_int, default=10, help="quantile bins (default: %(default)s)"
    )
    performance.add_argument("--label", help="analyse only this class's objects")
    performance.set_defaults(run=run_performance)


def _where(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", help="the project")
    parser.add_argument("dataset", help="the dataset")
    parser.add_argument("inference_set", metavar="SET", help="the inference set")
    parser.add_argument(
        "--conf", type=unit_float, help="confidence threshold (default: the project's)"
    )
    parser.add_argument("--iou", type=unit_float, help="IoU threshold (default: the project's)")
    parser.add_argument("--segment", help='a segment of the dataset (default: "All Frames")')
    parser.add_argument("--query", help="a frames query narrowing the segment (docs/queries.md)")
    parser.add_argument(
        "--json", type=Path, metavar="OUT", help="also write the answer as JSON ('-': stdout)"
    )
    home_option(parser)


def _inference_set(args: argparse.Namespace) -> InferenceSet:
    store = open_store(args)
    return store.project(args.project).dataset(args.dataset).inference_set(args.inference_set)


def _options(args: argparse.Namespace) -> dict[str, Any]:
    return {"conf": args.conf, "iou": args.iou, "segment": args.segment, "query": args.query}


def _number(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def run_importance(args: argparse.Namespace) -> int:
    inference = _inference_set(args)
    ranked = inference.metric_importance(**_options(args))
    answer = {
        "inference_set": inference.name,
        "segment": args.segment,
        "query": args.query,
        "metrics": [entry.to_dict() for entry in ranked],
    }
    if write_json(args.json, answer):
        return 0
    rows = []
    for entry in ranked:
        a = entry.association
        rows.append(
            [
                entry.metric, entry.level, entry.source, _number(a.importance),
                _number(a.pearson), _number(a.spearman), f"{a.n:,}", a.reason or "",
            ]
        )  # fmt: skip
    print_table(
        ["metric", "level", "source", "importance", "pearson", "spearman", "n", "null because"],
        rows,
        right=("importance", "pearson", "spearman", "n"),
        title=f"Metric importance of {inference.name} (most important first)",
    )
    return 0


def run_performance(args: argparse.Namespace) -> int:
    inference = _inference_set(args)
    result = inference.metric_performance(
        args.metric, **_options(args), bins=args.bins, label=args.label
    )
    answer = result.to_dict()
    if write_json(args.json, answer):
        return 0
    overall = answer["overall"]
    rows = [
        [
            f"{b['low']:.4g} - {b['high']:.4g}", f"{b['predictions']:,}", _number(b["precision"]),
            f"{b['labels']:,}", _number(b["fnr"]),
        ]
        for b in answer["bins"]
    ]  # fmt: skip
    rows.append(
        [
            "overall", f"{overall['predictions']:,}", _number(overall["precision"]),
            f"{overall['labels']:,}", _number(overall["fnr"]),
        ]
    )  # fmt: skip
    scope = f", class {args.label}" if args.label else ""
    print_table(
        ["bin", "predictions", "precision", "labels", "FNR"],
        rows,
        right=("predictions", "precision", "labels", "FNR"),
        title=f"{result.metric} of {inference.name}{scope}",
    )
    a = answer["importance"]
    print(
        f"importance {_number(a['importance'])}, pearson {_number(a['pearson'])}, "
        f"spearman {_number(a['spearman'])} (n {a['n']:,})"
    )
    return 0
