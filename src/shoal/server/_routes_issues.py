"""Issues: create, read, update, delete; add elements (a list, a query or segment, a
confusion-matrix cell); review each element; export for relabeling; import the fixed
labels as a new dataset and compare before and after. Every rule is the store's
(``shoal.store._issues``); these routes turn requests into its calls."""

from __future__ import annotations

import shutil
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Response

from shoal.server._errors import ApiError
from shoal.server._models import (
    MAX_NAME_LENGTH,
    BeforeAfterOut,
    DatasetOut,
    ElementStatusName,
    IssueCreate,
    IssueElementModel,
    IssueElementOut,
    IssueElementsAdded,
    IssueElementsFromCell,
    IssueElementsFromQuery,
    IssueElementsIn,
    IssueElementUpdate,
    IssueOut,
    IssueStatusName,
    IssueUpdate,
)
from shoal.server._routes_data import staged_dataset
from shoal.server._routes_entities import PROJECT, dataset_out, get_project
from shoal.server._routes_metrics import ConfParam, IouParam, labels_of, parse_conf
from shoal.server._routing import NameRoute
from shoal.server._state import State
from shoal.store import ElementsAdded, Issue, IssueElement

__all__ = ["router"]

router = APIRouter(route_class=NameRoute)
ProjectName = Annotated[str, Path(description="project name")]
IssueName = Annotated[str, Path(description="issue name (its title)")]
Position = Annotated[int, Path(ge=0, le=2**31 - 1, description="the element's position")]
StatusFilter = Annotated[
    list[ElementStatusName] | None,
    Query(description="only elements of these statuses (repeat for several)"),
]
ISSUES = PROJECT + "/issues"
ISSUE = ISSUES + "/{issue}"
# Digits only, so that another method on .../elements/from-query is a 405, not a 422.
ELEMENT = ISSUE + "/elements/{position:int}"
TAGS: list[str | Any] = ["issues"]


def _elements(elements: list[IssueElementModel]) -> list[IssueElement]:
    return [
        IssueElement(e.dataset, e.frame_id, e.element_kind, e.element_id, e.inference_set)
        for e in elements
    ]


def _issue(s: State, project: str, issue: str) -> Issue:
    return get_project(s, project).issue(issue)


def _added(added: ElementsAdded, issue: Issue) -> dict[str, Any]:
    return {**added.to_dict(), "issue": issue.to_dict()}


# ------------------------------------------------------------------- issues
@router.get(ISSUES, response_model=list[IssueOut], tags=TAGS)
def list_issues(
    s: State,
    project: ProjectName,
    status: Annotated[
        IssueStatusName | None, Query(description="only issues of this status")
    ] = None,
    owner: Annotated[str | None, Query(max_length=MAX_NAME_LENGTH)] = None,
) -> list[dict[str, Any]]:
    """The project's issues by name, each with its counts and elements."""
    found = get_project(s, project).issues()
    return [
        i.to_dict()
        for i in found
        if (status is None or i.status == status) and (owner is None or i.owner == owner)
    ]


@router.post(ISSUES, response_model=IssueOut, status_code=201, tags=TAGS)
def create_issue(s: State, project: ProjectName, body: IssueCreate) -> dict[str, Any]:
    """A new issue; ``elements`` are checked against the store (a 400 names the first
    that does not exist), repeats skipped."""
    found = get_project(s, project)
    description = body.notes if body.notes is not None else body.description
    issue = found.create_issue(
        body.name, _elements(body.elements), description=description, owner=body.owner
    )
    return issue.to_dict()


@router.get(ISSUE, response_model=IssueOut, tags=TAGS)
def read_issue(
    s: State, project: ProjectName, issue: IssueName, status: StatusFilter = None
) -> dict[str, Any]:
    """One issue; with ``status``, only its elements of those statuses (counts: all)."""
    return _issue(s, project, issue).to_dict(status=status)


@router.patch(ISSUE, response_model=IssueOut, tags=TAGS)
def update_issue(
    s: State, project: ProjectName, issue: IssueName, body: IssueUpdate
) -> dict[str, Any]:
    """Change the status, description or owner; ``add_elements`` adds elements."""
    found = _issue(s, project, issue)
    if body.add_elements:
        found.add_elements(_elements(body.add_elements))
    description = body.notes if body.notes is not None else body.description
    found.update(status=body.status, description=description, owner=body.owner)
    return found.to_dict()


@router.delete(ISSUE, status_code=204, tags=TAGS)
def delete_issue(s: State, project: ProjectName, issue: IssueName) -> Response:
    _issue(s, project, issue).delete()
    return Response(status_code=204)


# ----------------------------------------------------------------- elements
@router.post(ISSUE + "/elements", response_model=IssueElementsAdded, tags=TAGS)
def add_elements(
    s: State, project: ProjectName, issue: IssueName, body: IssueElementsIn
) -> dict[str, Any]:
    """Add elements (each checked against the store); one already in the issue is
    skipped, not duplicated."""
    found = _issue(s, project, issue)
    return _added(found.add_elements(_elements(body.elements)), found)


@router.post(ISSUE + "/elements/from-query", response_model=IssueElementsAdded, tags=TAGS)
def add_elements_from_query(
    s: State, project: ProjectName, issue: IssueName, body: IssueElementsFromQuery
) -> dict[str, Any]:
    """Add the frames of a dataset that a frames ``query`` matches within a ``segment``
    (at least one of the two), as frame elements."""
    found = _issue(s, project, issue)
    added = found.add_from_query(body.dataset, query=body.query, segment=body.segment)
    return _added(added, found)


@router.post(ISSUE + "/elements/from-cell", response_model=IssueElementsAdded, tags=TAGS)
def add_elements_from_cell(
    s: State,
    project: ProjectName,
    issue: IssueName,
    body: IssueElementsFromCell,
    conf: ConfParam = None,
    iou: IouParam = None,
) -> dict[str, Any]:
    """Add the objects counted in one confusion-matrix cell (``truth`` row,
    ``predicted`` column; "background" for none) at (conf, iou): the same objects as
    ``GET .../examples?truth=&predicted=``; predictions become prediction elements,
    missed ground truth label elements."""
    found = _issue(s, project, issue)
    dataset = found.project.dataset(body.dataset)
    conf_value = parse_conf(conf, dataset.project.default_conf, labels_of(dataset))
    added = found.add_from_cell(
        dataset, body.inference_set, body.truth, body.predicted, conf_value, iou,
        segment=body.segment, query=body.query,
    )  # fmt: skip
    return _added(added, found)


@router.patch(ELEMENT, response_model=IssueElementOut, tags=TAGS)
def review_element(
    s: State, project: ProjectName, issue: IssueName, position: Position, body: IssueElementUpdate
) -> dict[str, Any]:
    """Review one element: its status (open, confirmed, fixed, dismissed) and/or note."""
    found = _issue(s, project, issue)
    return found.update_element(position, status=body.status, note=body.note).to_dict()


@router.delete(ELEMENT, status_code=204, tags=TAGS)
def remove_element(
    s: State, project: ProjectName, issue: IssueName, position: Position
) -> Response:
    """Remove one element; the others keep their positions."""
    _issue(s, project, issue).remove_element(position)
    return Response(status_code=204)


# ------------------------------------------------------------------ export
_MEDIA = {"csv": "text/csv; charset=utf-8", "json": "application/json", "coco": "application/json"}


@router.get(
    ISSUE + "/export",
    tags=TAGS,
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, "application/json": {}}}},
)
def export_issue(
    s: State,
    project: ProjectName,
    issue: IssueName,
    format: Annotated[Literal["csv", "json", "coco"], Query()] = "csv",
    status: StatusFilter = None,
    dataset: Annotated[
        str | None,
        Query(max_length=MAX_NAME_LENGTH, description="coco: the dataset (when several)"),
    ] = None,
) -> Response:
    """The elements (of ``status`` where given) as a file for relabeling: CSV (one row
    per element: frame, kind, ids, status, note, image URI, a crop's class and box),
    JSON (the issue and those rows), or a COCO subset of one dataset (images = the
    elements' frames, annotations = their current labels, categories)."""
    found = _issue(s, project, issue)
    text = found.export(format, status=status, dataset=dataset)
    extension = "coco.json" if format == "coco" else format
    return Response(
        text,
        media_type=_MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="issue.{extension}"'},
    )


# ---------------------------------------------------------- fixed labels
@router.post(ISSUE + "/fixed-labels", response_model=DatasetOut, status_code=201, tags=TAGS)
def import_fixed_labels(
    s: State,
    project: ProjectName,
    issue: IssueName,
    dataset: Annotated[str, Query(max_length=MAX_NAME_LENGTH, description="the fixed dataset")],
    coco: Annotated[
        dict[str, Any] | None,
        Body(description="COCO instances of the relabeled frames (as the COCO export)"),
    ] = None,
    upload: Annotated[
        str | None,
        Query(
            pattern=r"^[0-9a-f]{32}$",
            description="instead of a body: an upload (POST /uploads) whose chunks hold the "
            "relabeled frames and their labels; consumed on success",
        ),
    ] = None,
    name: Annotated[
        str | None,
        Query(max_length=MAX_NAME_LENGTH, description='default "<dataset>-fixed-<n>"'),
    ] = None,
) -> dict[str, Any]:
    """A new dataset: every frame of ``dataset``, the relabeled frames' labels replaced
    by those of the body (COCO) or of the ``upload``, a copy of every inference set. All
    or nothing (a failed upload stays, to fix and try again)."""
    found = _issue(s, project, issue)
    if (coco is None) == (upload is None):
        raise ApiError(400, "give the fixed labels as a COCO body or as an upload (one)")
    if coco is not None:
        return dataset_out(found.import_fixed_labels(dataset, coco, name=name))
    assert upload is not None
    with s.upload_lock(upload):
        created = found.import_fixed_labels(dataset, staged_dataset(s, upload), name=name)
        shutil.rmtree(s.uploads / upload, ignore_errors=True)
    with s.upload_locks_guard:
        s.upload_locks.pop(upload, None)
    return dataset_out(created)


@router.get(ISSUE + "/before-after", response_model=BeforeAfterOut, tags=TAGS)
def before_after(
    s: State,
    project: ProjectName,
    issue: IssueName,
    before: Annotated[str, Query(max_length=MAX_NAME_LENGTH, description="dataset before")],
    after: Annotated[str, Query(max_length=MAX_NAME_LENGTH, description="dataset after")],
    inference_set: Annotated[
        str | None,
        Query(max_length=MAX_NAME_LENGTH, description="default: every set both datasets have"),
    ] = None,
    conf: ConfParam = None,
    iou: IouParam = None,
) -> dict[str, Any]:
    """Each inference set's precision, recall, F1, error counts and mean APs on the
    issue's frames and on all frames, in the dataset before the fix and after it."""
    found = _issue(s, project, issue)
    first = found.project.dataset(before)
    conf_value = parse_conf(conf, first.project.default_conf, labels_of(first))
    return found.before_after(first, after, inference_set, conf_value, iou).to_dict()
