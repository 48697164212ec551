"""``shoal similar``: the frames or label crops of a dataset nearest some elements by their
stored embeddings (``Dataset.similar``, shoal.analysis.similarity); this module only lays
the answer out."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from shoal.cli._arguments import positive_int
from shoal.cli._output import print_table, write_json
from shoal.cli._projects import home_option, open_store

__all__ = ["register"]


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "similar",
        help="the elements nearest some elements by their embeddings",
        description=(
            "The frames (or crops of labels and predictions, --kind crop) of a dataset nearest the --to "
            "elements by their stored embeddings, nearest first: a candidate's distance is "
            "to its nearest seed (cosine 1 - cos, or Euclidean). Exact search below 200,000 "
            "vectors, an inverted-file index above it (the JSON's 'exact' says which)."
        ),
    )
    parser.add_argument("project", help="the project")
    parser.add_argument("dataset", help="the dataset")
    parser.add_argument(
        "--to", action="append", required=True, metavar="ID",
        help="a frame id (with --kind crop: a label id, or prediction/SET/ID) to find more like; "
        "repeat for several",
    )  # fmt: skip
    parser.add_argument(
        "-k", type=positive_int, default=10, help="how many to list (default: %(default)s)"
    )
    parser.add_argument(
        "--embedding", metavar="MODEL", help="the embedding model (needed when there are several)"
    )
    parser.add_argument(
        "--kind", choices=("frame", "crop"), default="frame",
        help="frames (frame embeddings) or label crops (crop embeddings); default: frame",
    )  # fmt: skip
    parser.add_argument(
        "--metric", choices=("cosine", "euclidean"), default="cosine",
        help="the distance (default: cosine)",
    )  # fmt: skip
    parser.add_argument(
        "--exclude", action="append", default=[], metavar="ID",
        help="an element never to list (e.g. one already in an issue); repeat for several",
    )  # fmt: skip
    parser.add_argument(
        "--json", type=Path, metavar="OUT", help="also write the answer as JSON ('-': stdout)"
    )
    home_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    dataset = open_store(args).project(args.project).dataset(args.dataset)
    found = dataset.similar(
        args.to, args.k, embedding=args.embedding, exclude=args.exclude,
        kind=args.kind, metric=args.metric,
    )  # fmt: skip
    answer = {"project": args.project, "dataset": args.dataset, "to": args.to, **found.to_dict()}
    if write_json(args.json, answer):
        return 0
    rows = [
        [str(rank), element, f"{distance:.4f}"]
        for rank, (element, distance) in enumerate(zip(found.ids, found.distances, strict=True), 1)
    ]
    how = "exact search" if found.exact else "the index"
    print_table(
        ["#", found.kind, f"{found.metric} distance"],
        rows,
        right=("#", f"{found.metric} distance"),
        title=f"Nearest {found.kind}s by {found.embedding} ({how})",
    )
    return 0
