"""Embeddings of a dataset and their 2D projections (``Dataset.embedding_models``,
``Dataset.projection``, ``Dataset.add_embeddings``); this module parses and shapes.

``POST .../projection`` queues the computation as a background job (``_jobs``, one at a
time with the quality jobs) and answers 202 with its record; a projection already kept
and current gives a job done at once. The points are read as bytes
(``application/octet-stream``: n x 2 little-endian float32, row-major, in element order)
and what each point is by its indices.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from shoal.errors import InputError, NotFoundError
from shoal.server._errors import ApiError
from shoal.server._jobs import Job
from shoal.server._routes_entities import DATASET, DatasetName, ProjectName, get_dataset
from shoal.server._routing import NameRoute
from shoal.server._state import ServerState, State
from shoal.store import Dataset, Projection
from shoal.store._embeddings_import import read_embeddings_bytes
from shoal.store._similarity import resolve_model

__all__ = ["MAX_INDICES", "PROJECTION_JOB", "router"]

router = APIRouter(route_class=NameRoute)
PROJECTION_JOB = "projection"
MAX_INDICES = 1_000_000
# No projection holds more points than this (an index past it is never one).
MAX_INDEX = 2**31 - 1
TAGS: list[str | Any] = ["embeddings"]

Embedding = Annotated[
    str | None,
    Query(
        max_length=1000,
        description="the embedding model (may be omitted when the dataset has one)",
    ),
]
Kind = Annotated[
    Literal["frame", "crop"],
    Query(description="frames, or crops (label crops, then each inference set's predictions)"),
]
Method = Annotated[
    Literal["umap", "pca"], Query(description="UMAP (clusters) or PCA (a fast first look)")
]


class EmbeddingModelOut(BaseModel):
    model: str
    dimension: int
    frames: int = Field(description="frame vectors (the dataset's and its inference sets')")
    labels: int = Field(description="label-crop vectors")
    predictions: dict[str, int] = Field(description="prediction-crop vectors per inference set")


class BoundsOut(BaseModel):
    x: list[float] = Field(description="[min, max]")
    y: list[float] = Field(description="[min, max]")


class ProjectionOut(BaseModel):
    model: str
    kind: Literal["frame", "crop"]
    method: Literal["umap", "pca"]
    count: int = Field(description="points, in element order")
    fitted_on: int = Field(description="rows the method fitted (the rest placed)")
    computed_at: str
    state: Literal["current"]
    bounds: BoundsOut
    sources: dict[str, int] = Field(description="points per source: frame, label, prediction")


class ProjectionJobOut(BaseModel):
    id: str
    kind: Literal["projection"]
    state: Literal["queued", "running", "done", "failed"]
    done: int = Field(description="progress steps done")
    total: int = Field(description="progress steps in all")
    created_at: str
    started_at: str | None
    finished_at: str | None
    result: dict[str, Any] | None = Field(description="when done: the projection's summary")
    error: str | None


class IndicesIn(BaseModel):
    indices: list[Annotated[int, Field(ge=0, le=MAX_INDEX)]] = Field(
        max_length=MAX_INDICES, description="point indices (positions in element order)"
    )


class ProjectionElementOut(BaseModel):
    index: int
    source: Literal["frame", "label", "prediction"]
    inference_set: str | None = Field(description="the set holding the vector (null: the dataset)")
    id: str = Field(description="frame, label or prediction id")
    frame_id: str


@router.get(DATASET + "/embeddings", response_model=list[EmbeddingModelOut], tags=TAGS)
def embedding_models(s: State, project: ProjectName, dataset: DatasetName) -> list[dict[str, Any]]:
    """Each embedding model with vectors in the dataset or its inference sets: its
    dimension and how many frame, label-crop and prediction-crop vectors it has."""
    return [info.to_dict() for info in get_dataset(s, project, dataset).embedding_models()]


_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "description": "a Parquet file (frame_id, target_id, model_id, vector; label_id or "
        "prediction_id may name target_id, embedding vector) or a .npz file (ids, vectors; "
        "the model named by `model`), as application/octet-stream",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.post(
    DATASET + "/embeddings",
    response_model=list[EmbeddingModelOut],
    status_code=201,
    tags=TAGS,
    openapi_extra=_UPLOAD_BODY,
)
async def add_embeddings(
    request: Request,
    s: State,
    project: ProjectName,
    dataset: DatasetName,
    format: Annotated[Literal["parquet", "npz"], Query(description="the file's format")] = (
        "parquet"
    ),
    inference_set: Annotated[
        str | None,
        Query(max_length=200, description="add them to this inference set (else the dataset)"),
    ] = None,
    model: Annotated[
        str | None,
        Query(max_length=1000, description="the model of a .npz (or of Parquet without model_id)"),
    ] = None,
    kind: Annotated[
        Literal["frame", "crop"],
        Query(description="a .npz's ids: frame ids, or label / prediction ids (crop)"),
    ] = "frame",
) -> list[dict[str, Any]]:
    """Add vectors from an uploaded file (``Dataset.add_embeddings``): the file's vectors
    of each model and kind replace those in the dataset's table (or the set's); frames, labels
    and predictions stay, and so do kept matchings and quality metrics. Errors name the
    record (the file's row) and what is wrong; the store is left as it was. Answers the
    dataset's embedding models."""
    raw = await request.body()
    # Reading, checking and writing block: off the event loop, like the other routes.
    return await run_in_threadpool(
        _add_uploaded, s, project, dataset, raw, format, inference_set, model, kind
    )


def _add_uploaded(
    s: ServerState,
    project: str,
    dataset: str,
    raw: bytes,
    format: Literal["parquet", "npz"],
    inference_set: str | None,
    model: str | None,
    kind: Literal["frame", "crop"],
) -> list[dict[str, Any]]:
    found = get_dataset(s, project, dataset)
    table = read_embeddings_bytes(raw, format=format, model=model, kind=kind)
    found.add_embeddings(table, inference_set=inference_set, source="upload")
    return [info.to_dict() for info in found.embedding_models()]


def _key(dataset: Dataset, model: str, kind: str, method: str) -> tuple[str, ...]:
    return (dataset.project.name, dataset.name, model, kind, method)


def _job_out(job: Job) -> dict[str, Any]:
    return job.to_dict()


@router.post(DATASET + "/projection", response_model=ProjectionJobOut, status_code=202, tags=TAGS)
def compute_projection(
    s: State,
    project: ProjectName,
    dataset: DatasetName,
    embedding: Embedding = None,
    kind: Kind = "frame",
    method: Method = "umap",
) -> dict[str, Any]:
    """Start computing the projection in the background (202; follow it with
    ``GET .../projection/job``). One already kept and current is a job done at once; a
    job of the same projection still queued or running is answered instead of a new one."""
    found = get_dataset(s, project, dataset)
    model = resolve_model(found, embedding)
    key = _key(found, model, kind, method)
    if found.projection_state(model, kind=kind, method=method) == "current":
        try:
            kept = found.projection(model, kind=kind, method=method, compute=False)
        except NotFoundError:
            pass  # kept but unreadable: the job computes it again
        else:
            return _job_out(s.jobs.finished(PROJECTION_JOB, key, kept.to_dict()))
    return _job_out(_start(s, found, model, kind, method))


def _start(s: ServerState, dataset: Dataset, model: str, kind: str, method: str) -> Job:
    project_name, dataset_name = dataset.project.name, dataset.name
    store = s.store

    def work(progress: Any) -> dict[str, Any]:
        # Found again by name when the job runs: the dataset may have been replaced.
        found = store.project(project_name).dataset(dataset_name)
        kept = found.projection(model, kind=kind, method=method, progress=progress)  # type: ignore[arg-type]
        return kept.to_dict()

    return s.jobs.start(PROJECTION_JOB, _key(dataset, model, kind, method), work)


@router.get(DATASET + "/projection/job", response_model=ProjectionJobOut, tags=TAGS)
def projection_job(
    s: State,
    project: ProjectName,
    dataset: DatasetName,
    embedding: Embedding = None,
    kind: Kind = "frame",
    method: Method = "umap",
) -> dict[str, Any]:
    """The latest job of this projection (state, progress steps done of all, the
    summary when done or the error when failed); 404 when none since the server started."""
    found = get_dataset(s, project, dataset)
    model = resolve_model(found, embedding)
    job = s.jobs.latest(PROJECTION_JOB, _key(found, model, kind, method))
    if job is None:
        raise ApiError(
            404, f"no {method} projection job of model {model!r} ({kind}) since the server started"
        )
    return _job_out(job)


def _kept(
    s: ServerState, project: str, dataset: str, embedding: str | None, kind: str, method: str
) -> Projection:
    found = get_dataset(s, project, dataset)
    try:
        return found.projection(embedding, kind=kind, method=method, compute=False)  # type: ignore[arg-type]
    except NotFoundError as error:
        raise NotFoundError(f"{error}; POST .../projection to compute it") from None


@router.get(DATASET + "/projection", response_model=ProjectionOut, tags=TAGS)
def projection(
    s: State,
    project: ProjectName,
    dataset: DatasetName,
    embedding: Embedding = None,
    kind: Kind = "frame",
    method: Method = "umap",
) -> dict[str, Any]:
    """The kept projection's summary (points, bounds, points per source); 404 when it is
    missing or stale (POST .../projection computes it)."""
    kept = _kept(s, project, dataset, embedding, kind, method)
    return {**kept.to_dict(), "state": "current"}


@router.get(
    DATASET + "/projection/points",
    response_class=Response,
    responses={
        200: {
            "content": {"application/octet-stream": {}},
            "description": "n x 2 little-endian float32, row-major (x0, y0, x1, y1, ...)",
        }
    },
    tags=TAGS,
)
def projection_points(
    s: State,
    project: ProjectName,
    dataset: DatasetName,
    embedding: Embedding = None,
    kind: Kind = "frame",
    method: Method = "umap",
) -> Response:
    """The kept projection's points as bytes, in element order (``X-Shoal-Count`` says how
    many); 404 when it is missing or stale."""
    kept = _kept(s, project, dataset, embedding, kind, method)
    data = np.ascontiguousarray(kept.xy, dtype="<f4").tobytes()
    return Response(
        data, media_type="application/octet-stream", headers={"X-Shoal-Count": str(len(kept))}
    )


@router.post(DATASET + "/projection/elements", response_model=list[ProjectionElementOut], tags=TAGS)
def projection_elements(
    s: State,
    project: ProjectName,
    dataset: DatasetName,
    body: IndicesIn,
    embedding: Embedding = None,
    kind: Kind = "frame",
    method: Method = "umap",
) -> list[dict[str, Any]]:
    """What the points at ``indices`` are (source, inference set, id, frame id), in the
    order asked; an index past the last point is a 400."""
    kept = _kept(s, project, dataset, embedding, kind, method)
    return projection_elements_of(kept, body.indices)


def projection_elements_of(kept: Projection, indices: list[int]) -> list[dict[str, Any]]:
    if not indices:
        return []
    at = np.asarray(indices, np.int64)
    if int(at.max()) >= len(kept):
        bad = int(np.flatnonzero(at >= len(kept))[0])
        raise InputError(
            f"indices[{bad}] = {indices[bad]} is past the last point "
            f"(the projection has {len(kept)})"
        )
    columns = [
        kept.sources.take(at).to_pylist(),
        kept.inference_sets.take(at).to_pylist(),
        kept.element_ids.take(at).to_pylist(),
        kept.frame_ids.take(at).to_pylist(),
    ]
    return [
        {"index": i, "source": src, "inference_set": set_, "id": element, "frame_id": frame}
        for i, src, set_, element, frame in zip(indices, *columns, strict=True)
    ]
