"""Multi-label classification: the metrics of an inference set and the frames in each
cell of a class's 2x2 matrix.

Each route is one call to the store (``InferenceSet.multilabel_metrics``,
``multilabel_examples``), which answers from its cached ``MultiLabelEvaluation``; this
module parses parameters and shapes answers. ``conf`` is the class-score threshold (a
number, or per class as JSON; classes not named use the project's ``default_conf``).
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
from shoal.server._routes_metrics import ConfParam, FramesQueryParam, SegmentParam, parse_conf
from shoal.server._routing import NameRoute
from shoal.server._state import State, requested_segment
from shoal.store import ALL_FRAMES

__all__ = ["router"]

router = APIRouter(route_class=NameRoute)


class MultiLabelBest(BaseModel):
    """A class's best-F1 threshold (one of its scores; the highest on a tie) and the
    precision, recall and F1 its report row has there."""

    model_config = ConfigDict(populate_by_name=True)

    threshold: float
    precision: float
    recall: float
    f1_score: float = Field(alias="f1-score")


class MultiLabelClassRow(AverageRow):
    """One class: its report row, its threshold, the AP of its score ranking, its
    best-F1 threshold (null for a class no frame has) and its 2x2 confusion matrix
    (scikit-learn's ``[[tn, fp], [fn, tp]]``)."""

    label: str
    threshold: float
    average_precision: float
    best: MultiLabelBest | None
    tn: int
    fp: int
    fn: int
    tp: int


class MultiLabelAverages(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    micro: AverageRow = Field(alias="micro avg")
    macro: AverageRow = Field(alias="macro avg")
    weighted: AverageRow = Field(alias="weighted avg")
    samples: AverageRow = Field(alias="samples avg")


class MultiLabelMetricsOut(BaseModel):
    """The metrics of a multi-label inference set (see docs/metrics.md, "Multi-label
    classification"), equal to scikit-learn's."""

    project: str
    dataset: str
    inference_set: str
    segment: str
    query: str | None
    conf: float | dict[str, float]
    version: int
    num_frames: int
    classes: list[MultiLabelClassRow]
    averages: MultiLabelAverages
    subset_accuracy: float
    hamming_loss: float
    mean_average_precision: float


class MultiLabelExampleOut(BaseModel):
    frame_id: str
    truth: list[str]
    predicted: list[str]
    score: float


class MultiLabelExamplesOut(BaseModel):
    """One page of the frames in a cell of a class's 2x2 matrix (a frame is in one cell
    of every class): ``tp`` and ``fp`` by decreasing score, ``fn`` and ``tn`` by
    increasing score."""

    inference_set: str
    segment: str
    query: str | None
    conf: float | dict[str, float]
    version: int
    label: str
    cell: Literal["tp", "fp", "fn", "tn"]
    total: int
    offset: int
    examples: list[MultiLabelExampleOut]


def _threshold(found: Any, conf: str | None) -> float | dict[str, float]:
    project = found.dataset.project
    labels = [c.name for c in project.classes()]
    return parse_conf(conf, project.default_conf, labels)


@router.get(
    INFERENCE_SET + "/multilabel-metrics", response_model=MultiLabelMetricsOut, tags=["metrics"]
)
def multilabel_metrics(
    s: State,
    project: ProjectName,
    dataset: DatasetName,
    inference_set: SetName,
    conf: ConfParam = None,
    segment: SegmentParam = ALL_FRAMES,
    query: FramesQueryParam = None,
) -> dict[str, Any]:
    """Per-class precision, recall, F1, support, threshold, AP and 2x2 confusion matrix,
    the micro, macro, weighted and samples averages, subset accuracy and Hamming loss of
    a multi-label inference set at the class-score thresholds ``conf``, on a segment
    narrowed by ``query``. A project of another task is a 400."""
    found = get_inference_set(s, project, dataset, inference_set)
    threshold = _threshold(found, conf)
    chosen = requested_segment(found.dataset, segment)
    answer = found.multilabel_metrics(threshold=threshold, segment=chosen, query=query)
    return {
        "project": project,
        "dataset": dataset,
        "inference_set": inference_set,
        "segment": segment,
        "query": query,
        "conf": threshold,
        **answer.to_dict(),
    }


@router.get(
    INFERENCE_SET + "/multilabel-examples", response_model=MultiLabelExamplesOut, tags=["metrics"]
)
def multilabel_examples(
    s: State,
    project: ProjectName,
    dataset: DatasetName,
    inference_set: SetName,
    label: Annotated[str, Query(max_length=1000, description="the class whose matrix is asked")],
    cell: Annotated[
        Literal["tp", "fp", "fn", "tn"],
        Query(description="the cell: tp, fp (predicted, not true), fn (true, missed) or tn"),
    ],
    conf: ConfParam = None,
    segment: SegmentParam = ALL_FRAMES,
    query: FramesQueryParam = None,
    offset: PageOffset = 0,
    limit: Annotated[int, Query(ge=1, le=1000, description="frames per page")] = 50,
) -> dict[str, Any]:
    """The frames in ``cell`` of class ``label``'s 2x2 matrix at the thresholds, a page,
    each with its true and predicted classes and the class's score."""
    found = get_inference_set(s, project, dataset, inference_set)
    threshold = _threshold(found, conf)
    chosen = requested_segment(found.dataset, segment)
    page = found.multilabel_examples(
        label, cell, threshold=threshold, segment=chosen, query=query, offset=offset, limit=limit
    )
    return {
        "inference_set": inference_set,
        "segment": segment,
        "query": query,
        "conf": threshold,
        **page.to_dict(),
    }


class MultiLabelFrameClass(BaseModel):
    label: str
    truth: bool
    predicted: bool
    score: float
    threshold: float
    cell: Literal["tp", "fp", "fn", "tn"]


class MultiLabelFrameOut(BaseModel):
    """One frame's classes at the thresholds: score, threshold, truth, prediction and
    the cell of the class's 2x2 matrix the frame is in."""

    inference_set: str
    conf: float | dict[str, float]
    version: int
    frame_id: str
    classes: list[MultiLabelFrameClass]


@router.get(
    INFERENCE_SET + "/multilabel-frame", response_model=MultiLabelFrameOut, tags=["metrics"]
)
def multilabel_frame(
    s: State,
    project: ProjectName,
    dataset: DatasetName,
    inference_set: SetName,
    frame_id: Annotated[str, Query(max_length=1000, description="the frame")],
    conf: ConfParam = None,
) -> dict[str, Any]:
    """Every class of one frame at the class-score thresholds ``conf``: its score,
    threshold, whether the frame has it, whether it is predicted and the frame's cell of
    the class's 2x2 matrix. An unknown frame is a 400."""
    found = get_inference_set(s, project, dataset, inference_set)
    threshold = _threshold(found, conf)
    answer = found.multilabel_frame(frame_id, threshold=threshold)
    return {"inference_set": inference_set, "conf": threshold, **answer}
