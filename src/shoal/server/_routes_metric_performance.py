"""Performance by metric: which property of the data hurts an inference set (metric
importance and correlation, ranked), and one metric's precision and false-negative rate
per quantile bin with its distribution.

Each route is one call to the store (``InferenceSet.metric_importance``,
``InferenceSet.metric_performance``); this module only parses parameters and shapes
answers. docs/insights.md defines every number. :func:`metric_filtered` is the examples'
``metric=&min=&max=`` filter (a bin's objects).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from shoal._types import ConfDescription
from shoal.analysis.metric_performance import DEFAULT_BINS, MAX_BINS, in_range
from shoal.errors import InputError
from shoal.server._errors import ApiError
from shoal.server._routes_entities import (
    INFERENCE_SET,
    DatasetName,
    ProjectName,
    SetName,
    get_dataset,
)
from shoal.server._routes_metrics import (
    ConfParam,
    FramesQueryParam,
    IouParam,
    SegmentParam,
    labels_of,
    operating_points,
)
from shoal.server._routing import NameRoute
from shoal.server._state import State, requested_segment
from shoal.store import ALL_FRAMES

if TYPE_CHECKING:
    import pyarrow as pa

    from shoal.engine.metrics import Outcomes
    from shoal.store import InferenceSet

__all__ = ["metric_filtered", "router"]

router = APIRouter(route_class=NameRoute)


class AssociationOut(BaseModel):
    """How a metric goes with being right (1: a true positive, 0: a false positive or
    a missed label) over ``n`` objects with a value (``missing`` without one, ``right``
    of them right). Null below the sample guard, ``reason`` saying why."""

    n: int
    missing: int
    right: int
    importance: float | None = Field(
        description="mutual information of the metric's quantile bin and the outcome over "
        "the outcome's entropy, in [0, 1]"
    )
    mutual_information: float | None = Field(description="in nats")
    pearson: float | None = Field(description="Pearson's r with the outcome (1 right, 0 wrong)")
    spearman: float | None = Field(description="Spearman's rho with the outcome")
    reason: Literal["too_few", "constant_outcome", "constant_metric"] | None


class MetricImportanceOut(AssociationOut):
    metric: str
    level: str = Field(description="frame, label, prediction, or object (labels and predictions)")
    source: str = Field(description="builtin, metadata, quality or custom")
    description: str = Field(description="what the metric measures (empty if not said)")


class MetricImportanceListOut(BaseModel):
    """Every metric of the inference set, the most important first (nulls last)."""

    inference_set: str
    segment: str
    query: str | None
    conf: ConfDescription
    iou: float | None
    metrics: list[MetricImportanceOut]


class RatesOut(BaseModel):
    predictions: int
    tp: int
    labels: int
    fn: int
    precision: float | None = Field(description="tp / predictions; null without predictions")
    fnr: float | None = Field(description="fn / labels; null without labels")


class MetricBinOut(RatesOut):
    low: float = Field(description="the smallest value in the bin")
    high: float = Field(description="the largest value in the bin")


class ClassRatesOut(BaseModel):
    label: str
    overall: RatesOut
    bins: list[RatesOut]


class HistogramGroupOut(BaseModel):
    name: str
    tp: list[int]
    fp: list[int]
    detected: list[int]
    fn: list[int]


class HistogramClassOut(BaseModel):
    label: str
    tp: list[int]
    fp: list[int]
    detected: list[int]
    fn: list[int]


class HistogramOut(BaseModel):
    """Equal-width bins (``edges``): per group ("all", then each split segment) and per
    class, true/false positive predictions and detected/missed labels."""

    edges: list[float]
    groups: list[HistogramGroupOut]
    classes: list[HistogramClassOut]


class MissingOut(BaseModel):
    predictions: int
    labels: int


class MetricPerformanceOut(BaseModel):
    """One metric's precision and FNR per quantile bin (overall: the reference lines),
    per class, its distribution and importance (docs/insights.md)."""

    inference_set: str
    segment: str
    query: str | None
    conf: ConfDescription
    iou: float | None
    label: str | None = Field(description="the class analysed alone, or null for every class")
    metric: str
    level: str
    source: str
    task: str
    settings: dict[str, int]
    missing: MissingOut
    overall: RatesOut
    bins: list[MetricBinOut]
    classes: list[ClassRatesOut]
    histogram: HistogramOut
    importance: AssociationOut
    precision_side: AssociationOut = Field(description="on the predictions: TP against FP")
    recall_side: AssociationOut = Field(description="on the labels: detected against missed")


MetricParam = Annotated[
    str,
    Query(
        min_length=1,
        max_length=1000,
        description="a metric's name as /metric-importance lists it",
    ),
]


def _answered(
    inference: str, segment: str, query: str | None, conf: Any, iou: float, detection: bool
) -> dict[str, Any]:
    return {
        "inference_set": inference,
        "segment": segment,
        "query": query,
        "conf": conf,
        "iou": iou if detection else None,
    }


def _unknown_metric(error: InputError) -> ApiError:
    return ApiError(422, str(error), where="query.metric")


@router.get(
    INFERENCE_SET + "/metric-importance", response_model=MetricImportanceListOut, tags=["metrics"]
)
def metric_importance(
    s: State,
    project: ProjectName,
    dataset: DatasetName,
    inference_set: SetName,
    conf: ConfParam = None,
    iou: IouParam = None,
    segment: SegmentParam = ALL_FRAMES,
    query: FramesQueryParam = None,
) -> dict[str, Any]:
    """Every metric the inference set can be analysed by (built-in ``confidence`` and
    ``area``, quality and custom metrics, numeric metadata) with its importance
    (normalized mutual information with being right) and Pearson and Spearman
    correlations, the most important first, at (``conf``, ``iou``)."""
    found = get_dataset(s, project, dataset)
    (conf_value, iou_value), _ = operating_points(found, conf, iou, None, None)
    ranked = found.inference_set(inference_set).metric_importance(
        conf=conf_value, iou=iou_value, segment=requested_segment(found, segment), query=query
    )
    detection = found.project.task == "detection"
    return {
        **_answered(inference_set, segment, query, conf_value, iou_value, detection),
        "metrics": [entry.to_dict() for entry in ranked],
    }


@router.get(
    INFERENCE_SET + "/metric-performance", response_model=MetricPerformanceOut, tags=["metrics"]
)
def metric_performance(
    s: State,
    project: ProjectName,
    dataset: DatasetName,
    inference_set: SetName,
    metric: MetricParam,
    conf: ConfParam = None,
    iou: IouParam = None,
    segment: SegmentParam = ALL_FRAMES,
    query: FramesQueryParam = None,
    bins: Annotated[
        int, Query(ge=1, le=MAX_BINS, description="quantile bins (fewer when values tie)")
    ] = DEFAULT_BINS,
    label: Annotated[
        str | None, Query(max_length=1000, description="analyse only this class's objects")
    ] = None,
) -> dict[str, Any]:
    """``metric``'s precision (over the predictions) and false-negative rate (over the
    labels) per quantile bin, overall and per class, with the overall values as reference;
    its distribution per split and class; its importance and correlations."""
    found = get_dataset(s, project, dataset)
    if label is not None and label not in labels_of(found):
        raise ApiError(422, f"unknown class {label!r}", where="query.label")
    (conf_value, iou_value), _ = operating_points(found, conf, iou, None, None)
    inference = found.inference_set(inference_set)
    chosen = requested_segment(found, segment)
    try:
        result = inference.metric_performance(
            metric, conf=conf_value, iou=iou_value, segment=chosen, query=query, bins=bins,
            label=label,
        )  # fmt: skip
    except InputError as error:
        if "unknown metric" in error.message:
            raise _unknown_metric(error) from None
        raise
    detection = found.project.task == "detection"
    return {
        **_answered(inference_set, segment, query, conf_value, iou_value, detection),
        "label": label,
        **result.to_dict(),
    }


def metric_filtered(
    rows: Outcomes,
    inference: InferenceSet,
    metric: str,
    low: float | None,
    high: float | None,
    sources: tuple[pa.Table, pa.Table] | None,
) -> Outcomes:
    """The examples' ``metric=&min=&max=`` filter: the objects whose value of ``metric``
    lies in [min, max] (a quantile bin of /metric-performance is exactly its [low,
    high]); objects without a value are left out. ``sources``: the predictions and labels
    tables ``rows`` index (default: the current ones)."""
    from shoal.store._metric_performance import metric_values

    if low is not None and high is not None and low > high:
        raise ApiError(422, f"min {low} is above max {high}", where="query.min")
    predictions, labels = sources or (inference.predictions(), inference.dataset.labels())
    try:
        values = metric_values(inference, metric, rows, predictions, labels)
    except InputError as error:
        raise _unknown_metric(error) from None
    return rows.select(in_range(values, low, high))
