"""Projects, datasets, inference sets and segments: list, create, read, update, delete
(issues: ``_routes_issues``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from shoal.server._errors import ApiError
from shoal.server._models import (
    DatasetOut,
    InferenceSetOut,
    ProjectCreate,
    ProjectOut,
    ProjectUpdate,
    SegmentCreate,
    SegmentOut,
    SegmentUpdate,
)
from shoal.server._routing import NameRoute
from shoal.server._state import ServerState, State
from shoal.store import ALL_FRAMES, Dataset, InferenceSet, Project

__all__ = [
    "PROJECT",
    "PageOffset",
    "dataset_out",
    "get_dataset",
    "get_inference_set",
    "get_project",
    "router",
]

router = APIRouter(route_class=NameRoute)
ProjectName = Annotated[str, Path(description="project name")]
DatasetName = Annotated[str, Path(description="dataset name")]
SetName = Annotated[str, Path(description="inference set name")]
SegmentName = Annotated[str, Path(description='segment name ("All Frames" is built in)')]
# Where a page starts: past the end is an empty page; beyond 2**31 - 1 no table reaches.
PageOffset = Annotated[int, Query(ge=0, le=2**31 - 1, description="rows to skip")]

PROJECTS = "/projects"
PROJECT = "/projects/{project}"
DATASET = PROJECT + "/datasets/{dataset}"
INFERENCE_SET = DATASET + "/inference-sets/{inference_set}"
SEGMENT = DATASET + "/segments/{segment}"


# ------------------------------------------------------------------ lookups
def get_project(s: ServerState, name: str) -> Project:
    return s.store.project(name)


def get_dataset(s: ServerState, project: str, dataset: str) -> Dataset:
    return get_project(s, project).dataset(dataset)


def get_inference_set(s: ServerState, project: str, dataset: str, name: str) -> InferenceSet:
    return get_dataset(s, project, dataset).inference_set(name)


def dataset_out(dataset: Dataset) -> dict[str, Any]:
    return {**dataset.to_dict(), "has_image_root": dataset.image_root is not None}


# ----------------------------------------------------------------- projects
@router.get(PROJECTS, response_model=list[ProjectOut], tags=["projects"])
def list_projects(s: State) -> list[dict[str, Any]]:
    return [p.to_dict() for p in s.store.projects()]


@router.post(PROJECTS, response_model=ProjectOut, status_code=201, tags=["projects"])
def create_project(s: State, body: ProjectCreate) -> dict[str, Any]:
    classes = [c if isinstance(c, str) else c.model_dump(exclude_none=True) for c in body.classes]
    project = s.store.create_project(
        body.name,
        task=body.task,
        classes=classes,
        default_conf=body.default_conf,
        default_iou=body.default_iou,
    )
    return project.to_dict()


@router.get(PROJECT, response_model=ProjectOut, tags=["projects"])
def read_project(s: State, project: ProjectName) -> dict[str, Any]:
    return get_project(s, project).to_dict()


@router.patch(PROJECT, response_model=ProjectOut, tags=["projects"])
def update_project(s: State, project: ProjectName, body: ProjectUpdate) -> dict[str, Any]:
    found = get_project(s, project)
    if body.add_classes:
        found.add_classes(
            c if isinstance(c, str) else c.model_dump(exclude_none=True) for c in body.add_classes
        )
    found.update(default_conf=body.default_conf, default_iou=body.default_iou)
    return found.to_dict()


@router.delete(PROJECT, status_code=204, tags=["projects"])
def delete_project(s: State, project: ProjectName) -> Response:
    s.store.delete_project(project)
    return Response(status_code=204)


# ----------------------------------------------------------------- datasets
@router.get(PROJECT + "/datasets", response_model=list[DatasetOut], tags=["datasets"])
def list_datasets(s: State, project: ProjectName) -> list[dict[str, Any]]:
    return [dataset_out(d) for d in get_project(s, project).datasets()]


@router.get(DATASET, response_model=DatasetOut, tags=["datasets"])
def read_dataset(s: State, project: ProjectName, dataset: DatasetName) -> dict[str, Any]:
    return dataset_out(get_dataset(s, project, dataset))


@router.delete(DATASET, status_code=204, tags=["datasets"])
def delete_dataset(s: State, project: ProjectName, dataset: DatasetName) -> Response:
    get_project(s, project).delete_dataset(dataset)
    return Response(status_code=204)


# ----------------------------------------------------------- inference sets
@router.get(
    DATASET + "/inference-sets", response_model=list[InferenceSetOut], tags=["inference sets"]
)
def list_inference_sets(
    s: State, project: ProjectName, dataset: DatasetName
) -> list[dict[str, Any]]:
    return [i.to_dict() for i in get_dataset(s, project, dataset).inference_sets()]


@router.get(INFERENCE_SET, response_model=InferenceSetOut, tags=["inference sets"])
def read_inference_set(
    s: State, project: ProjectName, dataset: DatasetName, inference_set: SetName
) -> dict[str, Any]:
    return get_inference_set(s, project, dataset, inference_set).to_dict()


@router.delete(INFERENCE_SET, status_code=204, tags=["inference sets"])
def delete_inference_set(
    s: State, project: ProjectName, dataset: DatasetName, inference_set: SetName
) -> Response:
    get_dataset(s, project, dataset).delete_inference_set(inference_set)
    return Response(status_code=204)


# ----------------------------------------------------------------- segments
@router.get(DATASET + "/segments", response_model=list[SegmentOut], tags=["segments"])
def list_segments(s: State, project: ProjectName, dataset: DatasetName) -> list[dict[str, Any]]:
    return [seg.to_dict() for seg in get_dataset(s, project, dataset).segments()]


@router.post(DATASET + "/segments", response_model=SegmentOut, status_code=201, tags=["segments"])
def create_segment(
    s: State, project: ProjectName, dataset: DatasetName, body: SegmentCreate
) -> dict[str, Any]:
    segment = get_dataset(s, project, dataset).create_segment(
        body.name,
        type=body.type,
        frames=body.frames,
        query=body.query,
        description=body.description,
        precision=body.precision,
        recall=body.recall,
        f1_score=body.f1_score,
    )
    return segment.to_dict()


@router.get(SEGMENT, response_model=SegmentOut, tags=["segments"])
def read_segment(
    s: State, project: ProjectName, dataset: DatasetName, segment: SegmentName
) -> dict[str, Any]:
    return get_dataset(s, project, dataset).segment(segment).to_dict()


@router.patch(SEGMENT, response_model=SegmentOut, tags=["segments"])
def update_segment(
    s: State, project: ProjectName, dataset: DatasetName, segment: SegmentName, body: SegmentUpdate
) -> dict[str, Any]:
    found = get_dataset(s, project, dataset)
    seg = found.segment(segment)
    given = body.model_fields_set
    thresholds = {k: getattr(body, k) for k in ("precision", "recall", "f1_score") if k in given}
    # "All Frames" takes thresholds like any segment, but keeps its name.
    if seg.id is None and "name" in given and body.name != seg.name:
        raise ApiError(400, f"the {ALL_FRAMES!r} split cannot be renamed", where="body.name")
    renamed = body.name if "name" in given and body.name != seg.name else None
    # One transaction: every change or none (a rename keeps the uuid; a name in use is
    # the store's ConflictError).
    seg.edit(
        name=renamed,
        type=body.type,
        description=body.description,
        add_frames=body.add_frames,
        remove_frames=body.remove_frames,
    )
    if thresholds:
        seg.set_thresholds(**thresholds)
    return seg.to_dict()


@router.delete(SEGMENT, status_code=204, tags=["segments"])
def delete_segment(
    s: State, project: ProjectName, dataset: DatasetName, segment: SegmentName
) -> Response:
    get_dataset(s, project, dataset).segment(segment).delete()
    return Response(status_code=204)
