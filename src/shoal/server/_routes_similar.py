"""Similar elements: the frames or label crops of a dataset nearest some elements by their
stored embeddings. One call to ``Dataset.similar``; this module parses and shapes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from shoal.server._routes_entities import DATASET, DatasetName, ProjectName, get_dataset
from shoal.server._routing import NameRoute
from shoal.server._state import State

__all__ = ["router"]

router = APIRouter(route_class=NameRoute)

MAX_SEEDS = 10_000
MAX_K = 10_000


class SimilarOut(BaseModel):
    id: str = Field(
        description="a frame id (kind frame) or a label id (kind crop); an inference set's "
        "element is prediction/<set>/<id> or frame/<set>/<id>"
    )
    frame_id: str = Field(description="the element's frame (a crop's frame)")
    distance: float = Field(description="to the nearest seed: cosine 1 - cos, or Euclidean")


class SimilarElementsOut(BaseModel):
    kind: Literal["frame", "crop"]
    embedding: str = Field(description="the embedding model the vectors are of")
    metric: Literal["cosine", "euclidean"]
    exact: bool = Field(description="exact search answered (false: the inverted-file index)")
    results: list[SimilarOut] = Field(description="nearest first")


@router.get(DATASET + "/similar", response_model=SimilarElementsOut, tags=["datasets"])
def similar(
    s: State,
    project: ProjectName,
    dataset: DatasetName,
    to: Annotated[
        list[Annotated[str, Query(max_length=1000)]],
        Query(min_length=1, max_length=MAX_SEEDS, description="the seeds' ids (repeat)"),
    ],
    k: Annotated[int, Query(ge=1, le=MAX_K, description="how many to answer")] = 10,
    embedding: Annotated[
        str | None,
        Query(max_length=1000, description="the embedding model (needed when there are several)"),
    ] = None,
    kind: Annotated[
        Literal["frame", "crop"],
        Query(description="frames, or crops (label crops and inference sets' prediction crops)"),
    ] = "frame",
    metric: Annotated[Literal["cosine", "euclidean"], Query()] = "cosine",
    exclude: Annotated[
        list[Annotated[str, Query(max_length=1000)]],
        Query(max_length=MAX_SEEDS, description="ids never to answer (repeat)"),
    ] = [],  # noqa: B006 (FastAPI copies a query list's default)
) -> dict[str, Any]:
    """The ``k`` elements nearest the ``to`` elements by their stored embeddings (a
    candidate's distance is to its nearest seed; the seeds and ``exclude`` never come
    back): ``Dataset.similar``."""
    found = get_dataset(s, project, dataset)
    answer = found.similar(to, k, embedding=embedding, exclude=exclude, kind=kind, metric=metric)
    return answer.to_dict()
