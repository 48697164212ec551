"""``shoal ls``, ``shoal show`` and ``shoal rm``: look at and tidy the store."""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from shoal.cli._output import print_table
from shoal.errors import InputError, NotFoundError

if TYPE_CHECKING:
    from shoal.store import Dataset, Project, Store


def home_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--home",
        type=Path,
        default=None,
        help="the store's home directory (default: $SHOAL_HOME, else ~/.shoal)",
    )


def open_store(args: argparse.Namespace, *, create: bool = False) -> Store:
    """The store at ``--home``. Only commands that write new things pass ``create``: the
    others refuse a home that holds no store (a typo) rather than make an empty one."""
    from shoal.store import Store, default_home, holds_store

    if not create and not holds_store(args.home):
        where = args.home if args.home is not None else default_home()
        raise NotFoundError(
            f"no Shoal store at {where}; create one with `shoal import` or `shoal demo --build`"
        )
    return Store(args.home)


def pick_dataset(project: Project, name: str | None) -> Dataset:
    """The dataset named by ``--dataset``, or the project's only one, or its only one
    with labels (an unlabeled corpus beside it is never evaluated)."""
    if name is not None:
        return project.dataset(name)
    datasets = project.datasets()
    labeled = [d for d in datasets if d.to_dict()["num_labels"] > 0]
    if len(datasets) == 1:
        return datasets[0]
    if len(labeled) == 1:
        return labeled[0]
    names = ", ".join(d.name for d in datasets) or "none"
    raise InputError(
        f"project {project.name!r} has {len(datasets)} datasets ({names}): pass --dataset"
    )


def register(commands: Any) -> None:
    ls = commands.add_parser("ls", help="list projects, or a project's datasets and inference sets")
    ls.add_argument("project", nargs="?", help="list this project's datasets")
    home_option(ls)
    ls.set_defaults(run=run_ls)

    show = commands.add_parser("show", help="show a project: classes, datasets, segments, issues")
    show.add_argument("project")
    show.add_argument("--json", action="store_true", help="print JSON instead of text")
    home_option(show)
    show.set_defaults(run=run_show)

    rm = commands.add_parser("rm", help="delete a project, a dataset or an inference set")
    rm.add_argument("project")
    rm.add_argument("dataset", nargs="?", help="delete only this dataset (and its inference sets)")
    rm.add_argument("inference_set", nargs="?", help="delete only this inference set")
    rm.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    home_option(rm)
    rm.set_defaults(run=run_rm)


def run_ls(args: argparse.Namespace) -> int:
    store = open_store(args)
    if args.project is None:
        projects = store.projects()
        if not projects:
            print(f"no projects in {store.home.path}")
            return 0
        print_table(
            ["project", "task", "datasets"],
            ([p.name, p.task, len(p.datasets())] for p in projects),
            right={"datasets"},
        )
        return 0
    project = store.project(args.project)
    rows: list[list[object]] = []
    for dataset in project.datasets():
        info = dataset.to_dict()
        rows.append([dataset.name, "-", f"{info['num_frames']:,}", f"{info['num_labels']:,}", "-"])
        for inference_set in dataset.inference_sets():
            count = inference_set.to_dict()["num_predictions"]
            rows.append([dataset.name, inference_set.name, "-", "-", f"{count:,}"])
    if not rows:
        print(f"project {project.name} has no datasets")
        return 0
    print_table(
        ["dataset", "inference set", "frames", "labels", "predictions"],
        rows,
        right={"frames", "labels", "predictions"},
    )
    return 0


def run_show(args: argparse.Namespace) -> int:
    from shoal.cli._segments import print_segments

    store = open_store(args)
    project = store.project(args.project)
    info = project.to_dict()
    info["datasets"] = [
        {
            **dataset.to_dict(),
            "inference_sets": [i.to_dict() for i in dataset.inference_sets()],
            "segments": [s.to_dict() for s in dataset.segments()],
        }
        for dataset in project.datasets()
    ]
    info["issues"] = [
        {k: v for k, v in issue.to_dict().items() if k != "elements"}
        | {"elements": len(issue.elements())}
        for issue in project.issues()
    ]
    if args.json:
        sys.stdout.write(orjson.dumps(info, option=orjson.OPT_INDENT_2).decode() + "\n")
        return 0
    print(
        f"project {info['name']} ({info['task']}); defaults: conf {info['default_conf']:g}, IoU {info['default_iou']:g}"
    )
    classes = ", ".join(c["name"] + (" (ignored)" if c["ignore"] else "") for c in info["classes"])
    print(f"classes ({len(info['classes'])}): {classes or 'none'}")
    for dataset in info["datasets"]:
        print(
            f"\ndataset {dataset['name']} (version {dataset['version']}): {dataset['num_frames']:,} frames, {dataset['num_labels']:,} labels"
        )
        if dataset["inference_sets"]:
            print()
            print_table(
                ["inference set", "predictions"],
                ([i["name"], f"{i['num_predictions']:,}"] for i in dataset["inference_sets"]),
                right={"predictions"},
            )
        print()
        print_segments(dataset["segments"])
    if info["issues"]:
        print()
        print_table(
            ["issue", "status", "elements"],
            ([i["name"], i["status"], i["elements"]] for i in info["issues"]),
            right={"elements"},
        )
    return 0


def confirm(question: str) -> bool:
    """Ask on the terminal; without one (a script, CI) the answer is no."""
    if not sys.stdin or not sys.stdin.isatty():
        # No one to ask (a script, CI): refuse rather than guess; --yes says yes.
        print(f"{question} [y/N] (no terminal to answer: pass --yes)", file=sys.stderr)
        return False
    answer = input(f"{question} [y/N] ").strip().lower()
    return answer in ("y", "yes")


def run_rm(args: argparse.Namespace) -> int:
    store = open_store(args)
    project = store.project(args.project)
    if args.inference_set is not None:
        dataset = project.dataset(args.dataset)
        target = dataset.inference_set(args.inference_set)
        question = f"Delete inference set {target.name!r} of dataset {dataset.name!r}?"
        action = partial(dataset.delete_inference_set, target.name)
    elif args.dataset is not None:
        dataset = project.dataset(args.dataset)
        count = len(dataset.inference_sets())
        question = f"Delete dataset {dataset.name!r} and its {count} inference set(s)?"
        action = partial(project.delete_dataset, dataset.name)
    else:
        count = len(project.datasets())
        question = f"Delete project {project.name!r} with its {count} dataset(s)?"
        action = partial(store.delete_project, project.name)
    if not args.yes and not confirm(question):
        print("nothing deleted", file=sys.stderr)
        return 1
    action()
    print("deleted")
    return 0
