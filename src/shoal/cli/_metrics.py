"""``shoal metric add|ls|rm``: a dataset's custom metrics from CSV or JSON files, and the
list of every metric (quality and custom) a query, a sort or a segment may use.

Every rule (names, types, known ids, levels) is the store's and the file reader's
(``shoal.formats.metric_values``); this module only turns arguments into their calls.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import orjson

from shoal.cli._output import print_table
from shoal.cli._projects import confirm, home_option, open_store
from shoal.errors import InputError

__all__ = ["register"]

LEVELS = ("frame", "label", "prediction")


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "metric",
        help="add, list and delete a dataset's custom metrics",
        description=(
            "Custom metrics are values per frame, label or prediction (CSV or JSON files, "
            "docs/quality.md) that queries, segments and the examples' sort use like "
            "Shoal's quality metrics."
        ),
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    add = actions.add_parser(
        "add",
        help="add custom metrics from a CSV or JSON file",
        description=(
            "Add the metric columns of FILE (an id column: frame_id, label_id, prediction_id "
            "or id; one column per metric), all at once. A JSON object {id: value} is one "
            "metric: name it with --name."
        ),
    )
    _where(add)
    add.add_argument("file", type=Path, metavar="FILE", help="a .csv or .json file of values")
    _level(add)
    add.add_argument(
        "--name", help="the metric's name (a file of one metric column; default: its header)"
    )
    add.add_argument("--description", default="", help="what the metric measures")
    add.add_argument(
        "--replace", action="store_true", help="overwrite custom metrics of the same names"
    )
    add.set_defaults(run=run_add)

    listing = actions.add_parser(
        "ls",
        help="list every metric: level, source, type",
        description="List the dataset's metrics (quality and custom) and its inference sets'.",
    )
    _where(listing)
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    listing.set_defaults(run=run_ls)

    remove = actions.add_parser(
        "rm", help="delete a custom metric", description="Delete a custom metric."
    )
    _where(remove)
    remove.add_argument("name", help="the metric's name")
    _level(remove)
    remove.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    remove.set_defaults(run=run_rm)


def _where(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", help="the project")
    parser.add_argument("dataset", help="the dataset")
    home_option(parser)


def _level(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--level",
        choices=LEVELS,
        default="frame",
        help="what the values are of (default: %(default)s)",
    )
    parser.add_argument(
        "--inference-set",
        metavar="S",
        help="the inference set of prediction metrics (needed with --level prediction)",
    )


def run_add(args: argparse.Namespace) -> int:
    from shoal.formats.metric_values import read_metric_values

    values = read_metric_values(args.file)
    dataset = open_store(args).project(args.project).dataset(args.dataset)
    options: dict[str, Any] = {
        "level": args.level,
        "inference_set": args.inference_set,
        "description": args.description,
        "replace": args.replace,
    }
    if args.name is not None:
        if len(values.names) != 1:
            raise InputError(
                f"has {len(values.names)} metric columns ({', '.join(values.names)}): --name "
                "names a file of one",
                source=values.source,
            )
        infos = [dataset.add_custom_metric(args.name, values, **options)]
    else:
        infos = dataset.add_custom_metrics(values, **options)
    where = f" of inference set {args.inference_set!r}" if args.level == "prediction" else ""
    for info in infos:
        count = sum(1 for value in values.columns[_column(values, info.name)] if value is not None)
        print(
            f"added {info.level} metric {info.name!r} ({info.type}){where}: "
            f"{count} value{'s' if count != 1 else ''} from {values.source}"
        )
    return 0


def _column(values: Any, name: str) -> str:
    return name if name in values.columns else values.names[0]


def run_ls(args: argparse.Namespace) -> int:
    dataset = open_store(args).project(args.project).dataset(args.dataset)
    infos = dataset.metric_infos()
    if args.json:
        sys.stdout.write(orjson.dumps([i.to_dict() for i in infos]).decode() + "\n")
        return 0
    if not infos:
        print(f"dataset {dataset.name!r} has no metrics yet (shoal metric add)")
        return 0
    print_table(
        ["name", "level", "source", "type", "inference set", "description"],
        [[i.name, i.level, i.source, i.type, i.inference_set or "", i.description] for i in infos],
    )
    return 0


def run_rm(args: argparse.Namespace) -> int:
    dataset = open_store(args).project(args.project).dataset(args.dataset)
    if not args.yes and not confirm(f"delete custom {args.level} metric {args.name!r}?"):
        return 1
    dataset.delete_custom_metric(args.name, level=args.level, inference_set=args.inference_set)
    print(f"deleted custom {args.level} metric {args.name!r}")
    return 0
