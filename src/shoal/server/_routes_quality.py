"""Quality metrics in the background: start a dataset's computation, follow its progress.

``POST .../datasets/{d}/quality`` queues the job (``Dataset.compute_quality``: frames,
labels and every inference set's predictions) and answers 202 with its record;
``GET .../datasets/{d}/quality`` answers the latest job's state and progress (images
read of images to read) and whether the dataset has quality metrics stored. Uploads
committed through ``/uploads/{id}/commit`` queue the job themselves.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from shoal.server._jobs import Job, JobRegistry
from shoal.server._routes_entities import DATASET, DatasetName, ProjectName, get_dataset
from shoal.server._routing import NameRoute
from shoal.server._state import ServerState, State
from shoal.store import Dataset

__all__ = ["QUALITY_JOB", "QualityOut", "router", "start_quality"]

router = APIRouter(route_class=NameRoute)
QUALITY_JOB = "quality"
# Warnings an answer lists (each names a frame whose image was not read); the count is whole.
SHOWN_WARNINGS = 50


class ImageWarningOut(BaseModel):
    frame_id: str
    message: str


class QualityOut(BaseModel):
    """The latest quality job of a dataset and whether its metrics are stored."""

    job_id: str | None = Field(
        description="the latest job's id (null: none since the server started)"
    )
    state: Literal["none", "queued", "running", "done", "failed"]
    done: int = Field(description="images read so far")
    total: int = Field(description="images to read (known once the job runs)")
    images_read: int | None = Field(description="when done: images read")
    frames_without_image: int | None = Field(description="when done: frames with no image_uri")
    warning_count: int | None = Field(description="when done: frames whose image was not read")
    warnings: list[ImageWarningOut] = Field(description=f"the first {SHOWN_WARNINGS} of them")
    notes: list[str] = Field(
        description="when done: images not read for a reason of the whole dataset "
        "(no image root, URLs), each with its count of frames"
    )
    error: str | None = Field(description="why the job failed")
    started_at: str | None
    finished_at: str | None
    computed: bool = Field(description="the dataset has quality metrics stored")


def _jobs(s: ServerState) -> JobRegistry:
    return s.jobs


def start_quality(s: ServerState, dataset: Dataset, *, again: bool = False) -> Job:
    """Queue the computation of ``dataset``'s quality metrics (see ``JobRegistry.start``)."""
    project_name, dataset_name = dataset.project.name, dataset.name
    store = s.store

    def work(progress: Any) -> dict[str, Any]:
        # Found again by name when the job runs: the dataset may have been replaced.
        found = store.project(project_name).dataset(dataset_name)
        result = found.compute_quality(progress=progress)
        return result.to_dict(warnings=SHOWN_WARNINGS)

    return _jobs(s).start(QUALITY_JOB, (project_name, dataset_name), work, again=again)


def _answer(dataset: Dataset, job: Job | None) -> dict[str, Any]:
    computed = any(i.source == "quality" and i.level == "frame" for i in dataset.metric_infos())
    result = job.result if job is not None and job.result is not None else {}
    return {
        "job_id": job.id if job is not None else None,
        "state": job.state if job is not None else "none",
        "done": job.done if job is not None else 0,
        "total": job.total if job is not None else 0,
        "images_read": result.get("images_read"),
        "frames_without_image": result.get("frames_without_image"),
        "warning_count": result.get("warning_count"),
        "warnings": result.get("warnings", []),
        "notes": result.get("notes", []),
        "error": job.error if job is not None else None,
        "started_at": job.started_at if job is not None else None,
        "finished_at": job.finished_at if job is not None else None,
        "computed": computed,
    }


@router.post(DATASET + "/quality", response_model=QualityOut, status_code=202, tags=["quality"])
def compute_quality(
    s: State,
    project: ProjectName,
    dataset: DatasetName,
    again: Annotated[
        bool,
        Query(description="queue a new job even while one runs (the data changed since)"),
    ] = False,
) -> dict[str, Any]:
    """Start computing the dataset's quality metrics in the background (202): frames,
    labels and every inference set's predictions (docs/quality.md). A job already queued
    (or running, unless ``again``) is answered instead of a new one."""
    found = get_dataset(s, project, dataset)
    return _answer(found, start_quality(s, found, again=again))


@router.get(DATASET + "/quality", response_model=QualityOut, tags=["quality"])
def quality_state(s: State, project: ProjectName, dataset: DatasetName) -> dict[str, Any]:
    """The dataset's latest quality job (state, images read of images to read, the
    frames whose image was not read) and whether quality metrics are stored."""
    found = get_dataset(s, project, dataset)
    return _answer(found, _jobs(s).latest(QUALITY_JOB, (project, dataset)))
