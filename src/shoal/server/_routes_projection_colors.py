"""What each point of a kept projection is (``Dataset.projection_colors``): one category
or number per element, in the projection's element order, for the embedding view to
color by. This module parses and shapes; docs/embeddings.md ("Colors") defines them."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from shoal.server._errors import FastJSONResponse
from shoal.server._routes_entities import DATASET, DatasetName, ProjectName, get_dataset
from shoal.server._routes_metrics import (
    ConfParam,
    FramesQueryParam,
    IouParam,
    labels_of,
    parse_conf,
)
from shoal.server._routing import NameRoute
from shoal.server._state import State, requested_segment

__all__ = ["router"]

router = APIRouter(route_class=NameRoute)


class PointColorsOut(BaseModel):
    color_by: str
    type: Literal["categorical", "continuous"]
    definition: str = Field(description="what the values are")
    categories: list[str] | None = Field(description="categorical: the categories")
    codes: list[int] | None = Field(
        description="categorical: each element's index into categories, -1 for no value"
    )
    values: list[float | None] | None = Field(
        description="continuous: each element's value, null for none"
    )
    min: float | None = Field(description="continuous: the smallest value (null if none)")
    max: float | None = Field(description="continuous: the largest value (null if none)")
    in_scope: list[bool] | None = Field(
        description="whether each element's frame is in the segment and query (null: "
        "neither given, every element)"
    )


@router.get(
    DATASET + "/projection/colors",
    response_model=PointColorsOut,
    tags=["embeddings"],
)
def projection_colors(
    s: State,
    project: ProjectName,
    dataset: DatasetName,
    color_by: Annotated[
        str,
        Query(
            max_length=1000,
            description="class, outcome, confusion, confidence, precision, recall, f1, "
            "metadata:KEY or metric:NAME",
        ),
    ],
    embedding: Annotated[
        str | None,
        Query(max_length=1000, description="the embedding model (needed when there are several)"),
    ] = None,
    kind: Annotated[Literal["frame", "crop"], Query()] = "frame",
    method: Annotated[Literal["umap", "pca"], Query()] = "umap",
    inference_set: Annotated[
        str | None,
        Query(
            max_length=1000,
            description="whose outcomes color the frames and label crops (prediction crops "
            "use their own); needed for outcomes and scores when there are several",
        ),
    ] = None,
    conf: ConfParam = None,
    iou: IouParam = None,
    segment: Annotated[
        str | None,
        Query(max_length=1000, description="in_scope marks the elements of this segment"),
    ] = None,
    query: FramesQueryParam = None,
) -> FastJSONResponse:
    """One color value per element of the projection, in its element order: a category
    (``codes`` into ``categories``) or a number (``values``). Outcomes, confusion types
    and per-frame precision, recall and F1 are at (conf, iou), from the inference set's
    evaluation. 404 when the projection is not computed (POST .../projection)."""
    found = get_dataset(s, project, dataset)
    conf_value = None if conf is None else parse_conf(conf, 0.0, labels_of(found))
    chosen = None if segment is None else requested_segment(found, segment)
    if inference_set is not None:
        found.inference_set(inference_set)  # a 404 naming it
    projection = found.projection(embedding, kind=kind, method=method, compute=False)
    colors = found.projection_colors(
        projection, color_by, inference_set=inference_set, conf=conf_value, iou=iou,
        segment=chosen, query=query,
    )  # fmt: skip
    # Arrays as they are (orjson writes NumPy, NaN as null): a million points answer
    # without a Python object each.
    return FastJSONResponse(
        {
            "color_by": colors.color_by,
            "type": colors.type,
            "definition": colors.definition,
            "categories": None if colors.categories is None else list(colors.categories),
            "codes": colors.codes,
            "values": colors.values,
            "min": colors.min,
            "max": colors.max,
            "in_scope": colors.in_scope,
        }
    )
