"""``shoal campaign create|run|ls|show|review|export|set|rm``: collection campaigns (search an
unlabeled corpus for elements like an issue's, review them, export the accepted list).

Every rule is the store's (``shoal.store.Campaign``); this module turns flags into its
calls and lays the answers out.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from shoal.cli._arguments import non_negative_int, positive_int
from shoal.cli._output import print_table, write_json
from shoal.cli._progress import ProgressBar
from shoal.cli._projects import confirm, home_option, open_store
from shoal.errors import InputError

__all__ = ["register"]


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "campaign",
        help="collection campaigns: find unlabeled data like an issue's elements",
        description=(
            "A campaign searches a corpus dataset (typically frames with embeddings and no "
            "labels) for the elements nearest its seeds (an issue's elements, or elements "
            "named with --seed), by their embeddings; its candidates are reviewed (accepted "
            "or rejected) and the accepted list exported for labeling (docs/campaigns.md)."
        ),
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    create = actions.add_parser(
        "create",
        help="a campaign from an issue or seed elements",
        description=(
            "Create a campaign (run it with `shoal campaign run`). Seeds: --issue NAME, or "
            "--seed DATASET:FRAME_ID (a frame), DATASET:FRAME_ID:label:LABEL_ID or "
            "DATASET:FRAME_ID:prediction:SET:PREDICTION_ID (crops); repeat --seed."
        ),
    )
    create.add_argument("project", help="the project")
    create.add_argument("name", help="the campaign's name")
    create.add_argument("--corpus", required=True, metavar="DATASET", help="the dataset searched")
    seeds = create.add_mutually_exclusive_group(required=True)
    seeds.add_argument("--issue", help="the issue whose elements are the seeds")
    seeds.add_argument(
        "--seed", action="append", metavar="ELEMENT", help="a seed element (see above); repeat"
    )
    create.add_argument(
        "--embedding", metavar="MODEL", help="the embedding model (needed when there are several)"
    )
    create.add_argument(
        "--kind", choices=("frame", "crop"),
        help="frames or crops (default: crop when every seed is a label or prediction)",
    )  # fmt: skip
    create.add_argument(
        "--metric", choices=("cosine", "euclidean"), default="cosine",
        help="the distance (default: cosine)",
    )  # fmt: skip
    create.add_argument(
        "-k", type=positive_int, default=10, help="candidates per seed or in total (default: 10)"
    )
    create.add_argument(
        "--k-per", choices=("seed", "total"), default="seed",
        help="k per seed (the union of each seed's nearest) or in total (default: seed)",
    )  # fmt: skip
    create.add_argument("--description", default="", help="what the campaign collects")
    create.add_argument("--run", action="store_true", dest="run_now", help="run it at once")
    home_option(create)
    create.set_defaults(run=run_create)

    run = actions.add_parser(
        "run",
        help="search the corpus (reviews of candidates found again are kept)",
        description="Run a campaign: its candidates are stored, with a progress bar per seed.",
    )
    _named(run)
    run.set_defaults(run=run_run)

    listing = actions.add_parser("ls", help="a project's campaigns with their counts")
    listing.add_argument("project", help="the project")
    listing.add_argument("--json", type=Path, metavar="OUT", help="write JSON ('-': stdout)")
    home_option(listing)
    listing.set_defaults(run=run_ls)

    show = actions.add_parser(
        "show", help="a campaign and its candidates, nearest first", description="A page of "
        "a campaign's candidates (nearest first) with their review, and its counts.",
    )  # fmt: skip
    _named(show)
    show.add_argument(
        "--status", choices=("pending", "accepted", "rejected"), help="only these candidates"
    )
    show.add_argument(
        "--limit", type=positive_int, default=50, help="candidates shown (default: 50)"
    )
    show.add_argument(
        "--offset", type=non_negative_int, default=0, help="candidates skipped (default: 0)"
    )
    show.add_argument("--json", type=Path, metavar="OUT", help="write JSON ('-': stdout)")
    show.set_defaults(run=run_show)

    review = actions.add_parser(
        "review",
        help="accept, reject or reset candidates",
        description="Set candidates' review (all or none); KEY is a candidate's key (its id "
        "for the corpus's own elements), as `shoal campaign show` lists them.",
    )
    _named(review)
    review.add_argument(
        "status", choices=("accepted", "rejected", "pending"), help="the review to set"
    )
    review.add_argument("keys", nargs="+", metavar="KEY", help="the candidates")
    review.add_argument("--note", help="a note for them (replaces theirs)")
    review.set_defaults(run=run_review)

    export = actions.add_parser(
        "export",
        help="the accepted list (CSV or JSON) for labeling",
        description="Write the candidates of --status (default accepted), nearest first: "
        "id, frame id, image uri, distance, nearest seed.",
    )
    _named(export)
    export.add_argument("--format", choices=("csv", "json"), default="csv", help="default: csv")
    export.add_argument(
        "--status", choices=("pending", "accepted", "rejected"), default="accepted",
        help="which candidates (default: accepted)",
    )  # fmt: skip
    export.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="the file (default: standard output)"
    )
    export.set_defaults(run=run_export)

    change = actions.add_parser(
        "set",
        help="rename, describe, close or reopen a campaign, or change its k",
        description="Change a campaign: --status closed makes it read-only (no runs, no "
        "reviews) until reopened; a new -k or --k-per applies from the next run.",
    )
    _named(change)
    change.add_argument("--new-name", metavar="NAME", help="its new name")
    change.add_argument("--description", help="what the campaign collects")
    change.add_argument("--status", choices=("open", "closed"), help="close or reopen it")
    change.add_argument("-k", type=positive_int, help="candidates per seed or in total")
    change.add_argument("--k-per", choices=("seed", "total"), help="k per seed or in total")
    change.set_defaults(run=run_set)

    remove = actions.add_parser("rm", help="delete a campaign and its reviews")
    _named(remove)
    remove.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    remove.set_defaults(run=run_rm)


def _named(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", help="the project")
    parser.add_argument("name", help="the campaign")
    home_option(parser)


def _seed(text: str) -> Any:
    from shoal.store import IssueElement

    parts = text.split(":")
    if len(parts) == 2:
        return IssueElement(parts[0], parts[1])
    if len(parts) == 4 and parts[2] == "label":
        return IssueElement(parts[0], parts[1], "label", parts[3])
    if len(parts) == 5 and parts[2] == "prediction":
        return IssueElement(parts[0], parts[1], "prediction", parts[4], parts[3])
    raise InputError(
        f"--seed {text!r} is not DATASET:FRAME_ID, DATASET:FRAME_ID:label:LABEL_ID or "
        "DATASET:FRAME_ID:prediction:SET:PREDICTION_ID"
    )


def run_create(args: argparse.Namespace) -> int:
    project = open_store(args).project(args.project)
    seeds = None if args.seed is None else [_seed(text) for text in args.seed]
    campaign = project.create_campaign(
        args.name, corpus=args.corpus, issue=args.issue, seeds=seeds, embedding=args.embedding,
        kind=args.kind, metric=args.metric, k=args.k, k_per=args.k_per,
        description=args.description,
    )  # fmt: skip
    print(
        f"created campaign {campaign.name!r}: {len(campaign.seeds())} seeds, corpus "
        f"{args.corpus!r}, {campaign.kind}s by {campaign.embedding} ({campaign.metric}), "
        f"k {campaign.k} per {campaign.k_per}"
    )
    return _run(campaign) if args.run_now else 0


def _run(campaign: Any) -> int:
    with ProgressBar(f"searching for {campaign.name}") as bar:
        outcome = campaign.run(progress=bar)
    counts = campaign.counts()
    print(
        f"{outcome.found} candidates ({outcome.new} new, {outcome.kept} reviews kept, "
        f"{outcome.dropped} dropped); pending {counts['pending']}, accepted "
        f"{counts['accepted']}, rejected {counts['rejected']}"
    )
    return 0


def run_run(args: argparse.Namespace) -> int:
    return _run(open_store(args).project(args.project).campaign(args.name))


def run_ls(args: argparse.Namespace) -> int:
    campaigns = [c.to_dict() for c in open_store(args).project(args.project).campaigns()]
    if write_json(args.json, {"project": args.project, "campaigns": campaigns}):
        return 0
    rows = [
        [c["name"], c["status"], c["corpus"], c["issue"] or "", str(len(c["seeds"])),
         str(c["counts"]["pending"]), str(c["counts"]["accepted"]),
         str(c["counts"]["rejected"]), c["run_at"] or "never"]
        for c in campaigns
    ]  # fmt: skip
    header = ["campaign", "status", "corpus", "issue", "seeds", "pending", "accepted",
              "rejected", "last run"]  # fmt: skip
    print_table(header, rows, right=("seeds", "pending", "accepted", "rejected"))
    return 0


def run_show(args: argparse.Namespace) -> int:
    campaign = open_store(args).project(args.project).campaign(args.name)
    about = campaign.to_dict()
    page = campaign.candidates(args.status, offset=args.offset, limit=args.limit)
    answer = {**about, "candidates": [c.to_dict() for c in page]}
    if write_json(args.json, answer):
        return 0
    counts = about["counts"]
    print(
        f"{about['name']} ({about['status']}): corpus {about['corpus']!r}, "
        f"{len(about['seeds'])} seeds, {about['kind']}s by {about['embedding']}, "
        f"k {about['k']} per {about['k_per']}; last run {about['run_at'] or 'never'}\n"
        f"pending {counts['pending']}, accepted {counts['accepted']}, "
        f"rejected {counts['rejected']}"
    )
    seeds = campaign.seeds()
    rows = [
        ["" if c.rank is None else str(c.rank), c.key, c.frame_id,
         "" if c.distance is None else f"{c.distance:.4f}",
         "" if c.seed is None else seeds[c.seed].id, c.status, c.note]
        for c in page
    ]  # fmt: skip
    print_table(
        ["#", "key", "frame", "distance", "nearest seed", "review", "note"],
        rows,
        right=("#", "distance"),
    )
    return 0


def run_review(args: argparse.Namespace) -> int:
    campaign = open_store(args).project(args.project).campaign(args.name)
    reviewed = campaign.review(args.keys, args.status, note=args.note)
    counts = campaign.counts()
    print(
        f"{len(reviewed)} candidates {args.status}; pending {counts['pending']}, accepted "
        f"{counts['accepted']}, rejected {counts['rejected']}"
    )
    return 0


def run_export(args: argparse.Namespace) -> int:
    campaign = open_store(args).project(args.project).campaign(args.name)
    text = campaign.export(args.format, status=args.status)
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
        count = campaign.counts()[args.status]
        print(f"wrote {count} {args.status} candidates to {args.output}", file=sys.stderr)
    return 0


def run_set(args: argparse.Namespace) -> int:
    campaign = open_store(args).project(args.project).campaign(args.name)
    campaign.update(
        name=args.new_name, description=args.description, status=args.status, k=args.k,
        k_per=args.k_per,
    )  # fmt: skip
    about = campaign.to_dict()
    print(f"campaign {about['name']!r}: {about['status']}, k {about['k']} per {about['k_per']}")
    return 0


def run_rm(args: argparse.Namespace) -> int:
    campaign = open_store(args).project(args.project).campaign(args.name)
    counts = campaign.counts()
    question = (
        f"Delete campaign {args.name!r} with its {counts['total']} candidates "
        f"({counts['accepted']} accepted, {counts['rejected']} rejected)?"
    )
    if not args.yes and not confirm(question):
        print("nothing deleted", file=sys.stderr)
        return 1
    campaign.delete()
    print("deleted")
    return 0
