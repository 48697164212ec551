"""Named-entity recognition: the entity-level metrics of an inference set and its frames
with their text's tokens and entities.

Each route is one call to the store (``InferenceSet.ner_metrics``, ``ner_sentences``),
which answers from its cached ``EntityEvaluation``; this module parses parameters and
shapes answers.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from shoal.server._models import AverageRow
from shoal.server._routes_entities import (
    INFERENCE_SET,
    DatasetName,
    PageOffset,
    ProjectName,
    SetName,
    get_inference_set,
)
from shoal.server._routes_metrics import FramesQueryParam, SegmentParam
from shoal.server._routing import NameRoute
from shoal.server._state import State, requested_segment
from shoal.store import ALL_FRAMES

__all__ = ["router"]

router = APIRouter(route_class=NameRoute)


class NerTypeRow(AverageRow):
    """One entity type: its report row and counts (tp: matched predicted entities, fp:
    unmatched predicted ones, fn: unmatched true ones)."""

    label: str
    tp: int
    fp: int
    fn: int


class NerAverages(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    micro: AverageRow = Field(alias="micro avg")
    macro: AverageRow = Field(alias="macro avg")
    weighted: AverageRow = Field(alias="weighted avg")


class NerReport(BaseModel):
    types: list[NerTypeRow]
    averages: NerAverages


class NerMetricsOut(BaseModel):
    """The entity-level metrics of an NER inference set (docs/metrics.md, "Named
    entities"): ``exact`` equal to seqeval's, ``overlap`` counting entities of the same
    type that share a token."""

    project: str
    dataset: str
    inference_set: str
    segment: str
    query: str | None
    version: int
    num_frames: int
    mode: Literal["default"]
    exact: NerReport
    overlap: NerReport


class NerEntityOut(BaseModel):
    """An entity: tokens ``start .. end - 1`` of its frame, its type, and whether it
    matched an entity of the other side."""

    type: str
    start: int
    end: int
    matched: bool


class NerSentenceOut(BaseModel):
    frame_id: str
    tokens: list[str]
    truth: list[NerEntityOut]
    predicted: list[NerEntityOut]


class NerSentencesOut(BaseModel):
    """One page of frames (dataset order) with their tokens and both sides' entities."""

    inference_set: str
    segment: str
    query: str | None
    version: int
    match: Literal["exact", "overlap"]
    total: int
    offset: int
    sentences: list[NerSentenceOut]


@router.get(INFERENCE_SET + "/ner-metrics", response_model=NerMetricsOut, tags=["metrics"])
def ner_metrics(
    s: State,
    project: ProjectName,
    dataset: DatasetName,
    inference_set: SetName,
    segment: SegmentParam = ALL_FRAMES,
    query: FramesQueryParam = None,
) -> dict[str, Any]:
    """Per entity type precision, recall, F1, support, TP, FP and FN and the micro,
    macro and weighted averages of an NER inference set, with exact and overlap
    matching, on a segment narrowed by ``query``. A project of another task is a 400."""
    found = get_inference_set(s, project, dataset, inference_set)
    chosen = requested_segment(found.dataset, segment)
    answer = found.ner_metrics(segment=chosen, query=query)
    return {
        "project": project,
        "dataset": dataset,
        "inference_set": inference_set,
        "segment": segment,
        "query": query,
        **answer.to_dict(),
    }


@router.get(INFERENCE_SET + "/ner-sentences", response_model=NerSentencesOut, tags=["metrics"])
def ner_sentences(
    s: State,
    project: ProjectName,
    dataset: DatasetName,
    inference_set: SetName,
    match: Annotated[
        Literal["exact", "overlap"], Query(description="how entities match (the flags)")
    ] = "exact",
    errors_only: Annotated[
        bool, Query(description="only frames with an unmatched entity (a miss or a false one)")
    ] = False,
    entity_type: Annotated[
        str | None, Query(max_length=1000, description="only frames with an entity of this type")
    ] = None,
    frame_id: Annotated[
        str | None, Query(max_length=1000, description="only this frame (the Frame view)")
    ] = None,
    segment: SegmentParam = ALL_FRAMES,
    query: FramesQueryParam = None,
    offset: PageOffset = 0,
    limit: Annotated[int, Query(ge=1, le=1000, description="frames per page")] = 50,
) -> dict[str, Any]:
    """A page of an NER inference set's frames with their tokens, true and predicted
    entities and whether each matched."""
    found = get_inference_set(s, project, dataset, inference_set)
    chosen = requested_segment(found.dataset, segment)
    page = found.ner_sentences(
        match=match, errors_only=errors_only, entity_type=entity_type, frame_id=frame_id,
        segment=chosen, query=query, offset=offset, limit=limit,
    )  # fmt: skip
    return {"inference_set": inference_set, "segment": segment, "query": query, **page.to_dict()}
