"""``shoal issue create|add|from-query|from-cell|ls|show|set|review|export|import-fixed|
before-after|rm``: a project's issues without Python (docs/issues.md).

Every rule (names, statuses, which elements exist, repeats skipped, the export formats,
the fixed-label import, the before/after scores) is the store's (``shoal.store._issues``);
this module turns flags and files into its calls and lays the answers out.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from shoal.cli._arguments import non_negative_int, unit_float
from shoal.cli._output import print_table, write_json
from shoal.cli._progress import ProgressBar
from shoal.cli._projects import confirm, home_option, open_store, pick_dataset
from shoal.errors import InputError, NotFoundError

if TYPE_CHECKING:
    from shoal.store import Issue, IssueElement, Project

__all__ = ["read_elements", "register"]

ISSUE_STATUSES = ("open", "in_progress", "resolved")
ELEMENT_STATUSES = ("open", "confirmed", "fixed", "dismissed")
# Label formats whose reader needs nothing but the path.
FIXED_FORMATS = ("coco", "voc", "cvat", "csv")
_ELEMENT_FIELDS = ("dataset", "frame_id", "element_kind", "element_id", "inference_set")
# Columns of the CSV/JSON export that an elements file may carry and that are not read
# back (so an export can be fed to `shoal issue add`).
_EXPORT_ONLY = {
    "position", "status", "note", "image_uri", "class_name", "x", "y", "width", "height",
    "added_at", "updated_at",
}  # fmt: skip


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "issue",
        help="collect frames and crops in issues, review, export, fix and compare",
        description=(
            "Issues are named collections of frames, labels and predictions (crops) of a "
            "project's datasets, each with a review status and a note. Export them for "
            "relabeling, import the fixed labels as a new dataset and compare the "
            "inference sets before and after (docs/issues.md)."
        ),
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    create = actions.add_parser(
        "create",
        help="a new issue, from a list of frames or elements",
        description=(
            "Create an issue, empty or holding the frames of --frames-file (one id a line, "
            "of --dataset) or the elements of --elements-file (CSV or JSON)."
        ),
    )
    _project_and_name(create)
    _issue_fields(create)
    _element_sources(create, required=False)
    create.set_defaults(run=run_create)

    add = actions.add_parser(
        "add",
        help="add frames or elements to an issue",
        description="Add the frames or elements of a file; one already there is skipped.",
    )
    _project_and_name(add)
    _element_sources(add, required=True)
    add.set_defaults(run=run_add)

    from_query = actions.add_parser(
        "from-query",
        help="add the frames a query or segment picks (creating the issue if needed)",
        description=(
            "Add the frames of --dataset that --query matches within --segment (at least "
            "one of the two) to the issue, created first when it does not exist."
        ),
    )
    _project_and_name(from_query)
    from_query.add_argument("--dataset", help="the dataset (default: the project's only one)")
    from_query.add_argument("--query", help="a frames query (docs/queries.md)")
    from_query.add_argument("--segment", help='a segment ("All Frames": every frame)')
    _issue_fields(from_query)
    from_query.set_defaults(run=run_from_query)

    from_cell = actions.add_parser(
        "from-cell",
        help="add a confusion-matrix cell's objects (creating the issue if needed)",
        description=(
            "Add the objects counted in one confusion-matrix cell (the same as the "
            "examples of that cell): predictions as prediction crops, missed ground "
            "truth as label crops. 'background' names the background row or column."
        ),
    )
    _project_and_name(from_cell)
    from_cell.add_argument("--dataset", help="the dataset (default: the project's only one)")
    from_cell.add_argument("--inference-set", required=True, help="the inference set")
    from_cell.add_argument("--truth", required=True, help="the matrix row (true class)")
    from_cell.add_argument("--predicted", required=True, help="the matrix column")
    _operating_point(from_cell)
    _issue_fields(from_cell)
    from_cell.set_defaults(run=run_from_cell)

    listing = actions.add_parser(
        "ls", help="list a project's issues", description="List issues with their counts."
    )
    listing.add_argument("project", help="the project")
    listing.add_argument("--status", choices=ISSUE_STATUSES, help="only issues of this status")
    listing.add_argument("--owner", help="only this owner's issues")
    listing.add_argument("--json", type=Path, metavar="OUT", help="write JSON ('-': stdout)")
    home_option(listing)
    listing.set_defaults(run=run_ls)

    show = actions.add_parser(
        "show",
        help="an issue and its elements",
        description="Show an issue: its fields and its elements (of --status where given).",
    )
    _project_and_name(show)
    _status_filter(show)
    show.add_argument("--json", type=Path, metavar="OUT", help="write JSON ('-': stdout)")
    show.set_defaults(run=run_show)

    change = actions.add_parser(
        "set",
        help="change an issue's status, description or owner",
        description="Change an issue's status, description or owner.",
    )
    _project_and_name(change)
    change.add_argument("--status", choices=ISSUE_STATUSES, help="the issue's status")
    change.add_argument("--description", help="the issue's description")
    change.add_argument("--owner", help="who owns the issue")
    change.set_defaults(run=run_set)

    review = actions.add_parser(
        "review",
        help="set one element's status and/or note",
        description="Review one element (by its position, as `shoal issue show` lists it).",
    )
    _project_and_name(review)
    review.add_argument("position", type=non_negative_int, help="the element's position")
    review.add_argument("--status", choices=ELEMENT_STATUSES, help="the element's status")
    review.add_argument("--note", help="a note on the element")
    review.set_defaults(run=run_review)

    export = actions.add_parser(
        "export",
        help="write an issue's elements as CSV, JSON or a COCO subset",
        description=(
            "Write the elements (of --status where given) for relabeling: CSV (one row an "
            "element), JSON, or COCO (images = their frames, annotations = the frames' "
            "current labels; one dataset, --dataset when the issue spans several)."
        ),
    )
    _project_and_name(export)
    export.add_argument("--format", choices=("csv", "json", "coco"), default="csv")
    export.add_argument(
        "-o", "--output", type=Path, required=True, metavar="FILE", help="'-': stdout"
    )
    export.add_argument("--dataset", help="coco: the dataset to export (when several)")
    _status_filter(export)
    export.set_defaults(run=run_export)

    fixed = actions.add_parser(
        "import-fixed",
        help="store the relabeled frames' labels as a new dataset",
        description=(
            "Read a file of the relabeled frames (COCO, or --format voc, cvat, csv; its "
            "frames: frames of the issue in --dataset) and store a new dataset: every "
            "frame of --dataset, those frames' "
            "labels replaced by the file's, a copy of every inference set. Default name "
            "<dataset>-fixed-<n>."
        ),
    )
    _project_and_name(fixed)
    fixed.add_argument("coco", type=Path, help="the file of fixed labels (COCO by default)")
    fixed.add_argument(
        "--format",
        choices=FIXED_FORMATS,
        default="coco",
        help="the file's format (default: coco; csv: classification frame_id,label)",
    )
    fixed.add_argument("--dataset", help="the dataset fixed (default: the project's only one)")
    fixed.add_argument("--new-name", metavar="NAME", help="the new dataset's name")
    fixed.set_defaults(run=run_import_fixed)

    compare = actions.add_parser(
        "before-after",
        help="compare inference sets on the dataset before and after the fix",
        description=(
            "Each inference set (or --inference-set) scored on the issue's frames and on "
            "all frames, in --before and in --after: precision, recall, F1, errors, mAP."
        ),
    )
    _project_and_name(compare)
    compare.add_argument("--before", required=True, help="the dataset before the fix")
    compare.add_argument("--after", required=True, help="the dataset after it")
    compare.add_argument("--inference-set", help="one inference set (default: every shared one)")
    _operating_point(compare)
    compare.add_argument("--json", type=Path, metavar="OUT", help="write JSON ('-': stdout)")
    compare.set_defaults(run=run_before_after)

    remove = actions.add_parser("rm", help="delete an issue", description="Delete an issue.")
    _project_and_name(remove)
    remove.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    remove.set_defaults(run=run_rm)


# ------------------------------------------------------------------ options
def _project_and_name(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", help="the project")
    parser.add_argument("name", help="the issue's name (its title)")
    home_option(parser)


def _issue_fields(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--description", default="", help="what the issue is about")
    parser.add_argument("--owner", default="", help="who owns the issue")


def _element_sources(parser: argparse.ArgumentParser, *, required: bool) -> None:
    source = parser.add_mutually_exclusive_group(required=required)
    source.add_argument(
        "--frames-file",
        type=Path,
        metavar="FILE",
        help="frame ids of --dataset, one a line ('-': standard input)",
    )
    source.add_argument(
        "--elements-file",
        type=Path,
        metavar="FILE",
        help="a .csv or .json of elements: dataset, frame_id, element_kind (frame, label, "
        "prediction), element_id, inference_set (an export reads back)",
    )
    parser.add_argument(
        "--dataset", help="the dataset of the frames (default: the project's only one)"
    )


def _operating_point(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--conf", type=unit_float, help="confidence threshold (default: the project's)"
    )
    parser.add_argument("--iou", type=unit_float, help="IoU threshold (default: the project's)")


def _status_filter(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--status",
        action="append",
        choices=ELEMENT_STATUSES,
        help="only elements of this status; repeat for several",
    )


# ------------------------------------------------------------------- files
def _read_text(path: Path) -> tuple[str, str]:
    source = "standard input" if str(path) == "-" else str(path)
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"{source}: is not UTF-8 text (byte {error.start})") from None
    return source, text


def _element_of(record: Any, source: str, where: str, dataset: str | None) -> IssueElement:
    from shoal.store import IssueElement

    if not isinstance(record, Mapping):
        raise InputError(f"{source}: {where}: expected an object with frame_id, got {record!r}")
    unknown = sorted(set(record) - set(_ELEMENT_FIELDS) - _EXPORT_ONLY)
    if unknown:
        raise InputError(
            f"{source}: {where}: unknown field {unknown[0]!r} (fields: "
            f"{', '.join(_ELEMENT_FIELDS)})"
        )
    values = {k: (None if record.get(k) in ("", None) else record.get(k)) for k in _ELEMENT_FIELDS}
    for key, value in values.items():
        if value is not None and not isinstance(value, str):
            raise InputError(f"{source}: {where}: {key} must be text, got {value!r}")
    if values["frame_id"] is None:
        raise InputError(f"{source}: {where}: frame_id is missing")
    name = values["dataset"] or dataset
    if name is None:
        raise InputError(f"{source}: {where}: dataset is missing (or give --dataset)")
    return IssueElement(
        name,
        str(values["frame_id"]),
        values["element_kind"] or "frame",
        values["element_id"],
        values["inference_set"],
    )


def read_elements(path: Path, dataset: str | None) -> list[IssueElement]:
    """The elements of a CSV file (a header row naming the fields) or a JSON file (a list
    of objects, or an object with ``elements``, such as the JSON export); a record that
    is not an element is an ``InputError`` naming the file and the record."""
    source, text = _read_text(path)
    if path.suffix.lower() == ".json":
        try:
            document = orjson.loads(text)
        except orjson.JSONDecodeError as error:
            raise InputError(f"{source}: is not JSON ({error})") from None
        records = document.get("elements") if isinstance(document, Mapping) else document
        if not isinstance(records, list):
            raise InputError(f"{source}: expected a list of elements or {{'elements': [...]}}")
        return [_element_of(r, source, f"element {i}", dataset) for i, r in enumerate(records)]
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or "frame_id" not in reader.fieldnames:
        raise InputError(f"{source}: the header row names no frame_id column")
    return [_element_of(r, source, f"line {i}", dataset) for i, r in enumerate(reader, 2)]


def _frames_elements(path: Path, dataset: str) -> list[IssueElement]:
    from shoal.store import IssueElement

    source, text = _read_text(path)
    ids = [line.strip() for line in text.splitlines() if line.strip()]
    if not ids:
        raise InputError(f"{source}: no frame ids (one per line)")
    return [IssueElement(dataset, frame) for frame in ids]


def _file_elements(args: argparse.Namespace, project: Project) -> list[IssueElement]:
    if args.frames_file is not None:
        return _frames_elements(args.frames_file, pick_dataset(project, args.dataset).name)
    if args.elements_file is not None:
        return read_elements(args.elements_file, args.dataset)
    return []


def _issue_or_new(args: argparse.Namespace, project: Project) -> Issue:
    try:
        return project.issue(args.name)
    except NotFoundError:
        created = project.create_issue(args.name, description=args.description, owner=args.owner)
        print(f"created issue {created.name!r} in {project.name}")
        return created


# ---------------------------------------------------------------- printing
def _print_issues(issues: Iterable[Mapping[str, Any]]) -> None:
    print_table(
        ["issue", "status", "owner", "elements", *ELEMENT_STATUSES, "updated"],
        (
            [
                i["name"], i["status"], i["owner"] or "-", str(sum(i["counts"].values())),
                *(str(i["counts"][s]) for s in ELEMENT_STATUSES), i["updated_at"],
            ]
            for i in issues
        ),
        right={"elements", *ELEMENT_STATUSES},
    )  # fmt: skip


def _print_elements(elements: Iterable[Mapping[str, Any]]) -> None:
    print_table(
        ["#", "dataset", "frame", "kind", "id", "inference set", "status", "note"],
        (
            [
                str(e["position"]), e["dataset"], e["frame_id"], e["element_kind"],
                e["element_id"] or "-", e["inference_set"] or "-", e["status"], e["note"] or "",
            ]
            for e in elements
        ),
        right={"#"},
    )  # fmt: skip


def _print_added(added: Any, issue: Issue) -> None:
    print(
        f"added {added.added} element(s) to issue {issue.name!r}"
        + (f" ({added.skipped} already there, skipped)" if added.skipped else "")
    )


# --------------------------------------------------------------------- runs
def run_create(args: argparse.Namespace) -> int:
    project = open_store(args).project(args.project)
    elements = _file_elements(args, project)
    issue = project.create_issue(
        args.name, elements, description=args.description, owner=args.owner
    )
    print(f"created issue {issue.name!r} in {project.name} with {len(issue.records())} element(s)")
    return 0


def run_add(args: argparse.Namespace) -> int:
    project = open_store(args).project(args.project)
    issue = project.issue(args.name)
    _print_added(issue.add_elements(_file_elements(args, project)), issue)
    return 0


def run_from_query(args: argparse.Namespace) -> int:
    project = open_store(args).project(args.project)
    dataset = pick_dataset(project, args.dataset)
    if args.query is None and args.segment is None:
        raise InputError("give --query, --segment or both to pick the frames")
    issue = _issue_or_new(args, project)
    _print_added(issue.add_from_query(dataset, query=args.query, segment=args.segment), issue)
    return 0


def run_from_cell(args: argparse.Namespace) -> int:
    project = open_store(args).project(args.project)
    dataset = pick_dataset(project, args.dataset)
    inference = dataset.inference_set(args.inference_set)
    issue = _issue_or_new(args, project)
    added = issue.add_from_cell(dataset, inference, args.truth, args.predicted, args.conf, args.iou)
    _print_added(added, issue)
    return 0


def run_ls(args: argparse.Namespace) -> int:
    project = open_store(args).project(args.project)
    issues = [
        {k: v for k, v in i.to_dict().items() if k != "elements"}
        for i in project.issues()
        if (args.status is None or i.status == args.status)
        and (args.owner is None or i.owner == args.owner)
    ]
    if write_json(args.json, {"project": project.name, "issues": issues}):
        return 0
    if not issues:
        print(f"no issues in {project.name}")
        return 0
    _print_issues(issues)
    return 0


def run_show(args: argparse.Namespace) -> int:
    issue = open_store(args).project(args.project).issue(args.name)
    answer = issue.to_dict(status=args.status)
    if write_json(args.json, answer):
        return 0
    _print_issues([answer])
    if answer["description"]:
        print(answer["description"])
    if answer["elements"]:
        _print_elements(answer["elements"])
    else:
        print("no elements" + (" of that status" if args.status else ""))
    return 0


def run_set(args: argparse.Namespace) -> int:
    issue = open_store(args).project(args.project).issue(args.name)
    issue.update(status=args.status, description=args.description, owner=args.owner)
    _print_issues([issue.to_dict()])
    return 0


def run_review(args: argparse.Namespace) -> int:
    issue = open_store(args).project(args.project).issue(args.name)
    if args.status is None and args.note is None:
        raise InputError("give --status, --note or both")
    record = issue.update_element(args.position, status=args.status, note=args.note)
    _print_elements([record.to_dict()])
    return 0


def run_export(args: argparse.Namespace) -> int:
    issue = open_store(args).project(args.project).issue(args.name)
    text = issue.export(args.format, status=args.status, dataset=args.dataset)
    if str(args.output) == "-":
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return 0
    args.output.write_text(text, encoding="utf-8")
    count = len(issue.records(status=args.status))
    print(f"wrote {count} element(s) of issue {issue.name!r} as {args.format} to {args.output}")
    return 0


def run_import_fixed(args: argparse.Namespace) -> int:
    project = open_store(args).project(args.project)
    issue = project.issue(args.name)
    dataset = pick_dataset(project, args.dataset)
    source: Any = args.coco
    if args.format != "coco":
        # Shoal's reader of that format (the one `shoal import` uses) gives the tables.
        from shoal.formats import FORMATS, ReadOptions

        source = FORMATS[args.format].read(ReadOptions(args.coco))
    with ProgressBar("storing the fixed dataset") as bar:
        created = issue.import_fixed_labels(dataset, source, name=args.new_name, progress=bar)
    sets = ", ".join(s.name for s in created.inference_sets()) or "none"
    print(
        f"created dataset {created.name!r} from {dataset.name!r} with the labels of "
        f"{args.coco} (inference sets copied: {sets})"
    )
    return 0


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _signed(value: float | None) -> str:
    return "-" if value is None else f"{value:+.4f}"


def run_before_after(args: argparse.Namespace) -> int:
    issue = open_store(args).project(args.project).issue(args.name)
    found = issue.before_after(args.before, args.after, args.inference_set, args.conf, args.iou)
    answer = found.to_dict()
    if write_json(args.json, answer):
        return 0
    rows = []
    for entry in answer["sets"]:
        for scope in ("issue_frames", "all_frames"):
            pair = entry[scope]
            for metric in ("precision", "recall", "f1_score", "mean_ap"):
                rows.append([
                    entry["inference_set"], scope.replace("_", " "), metric,
                    _number(pair["before"][metric]), _number(pair["after"][metric]),
                    _signed(pair["delta"][metric]),
                ])  # fmt: skip
    print_table(
        ["inference set", "frames", "metric", "before", "after", "change"],
        rows,
        right={"before", "after", "change"},
        title=(
            f"Issue {issue.name!r}: {answer['before']} -> {answer['after']} "
            f"({answer['frames']} issue frames, iou {answer['iou']:g})"
        ),
    )
    return 0


def run_rm(args: argparse.Namespace) -> int:
    issue = open_store(args).project(args.project).issue(args.name)
    if not args.yes and not confirm(f"delete issue {issue.name!r}?"):
        print("kept")
        return 1
    issue.delete()
    print(f"deleted issue {args.name!r}")
    return 0
