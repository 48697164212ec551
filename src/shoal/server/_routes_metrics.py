"""Metrics, the examples behind them, comparisons and regression tests.

Each route is one call to the store (``InferenceSet.metrics``, ``outcomes``,
``compare``, ``regression_results``), which answers from its cached evaluations with
the engine and the analysis layer; this module only parses parameters and shapes
answers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import orjson
import pyarrow as pa
import pyarrow.compute as pc
from fastapi import APIRouter, Depends, Query

from shoal.engine.metrics import BACKGROUND, SORT_KEYS, Outcomes
from shoal.server._errors import ApiError
from shoal.server._models import (
    MAX_QUERY_LENGTH,
    ComparisonOut,
    ExamplesPage,
    MetricsOut,
    SegmentFromExamples,
    SegmentOut,
    SegmentResultOut,
)
from shoal.server._routes_entities import (
    DATASET,
    INFERENCE_SET,
    DatasetName,
    PageOffset,
    ProjectName,
    SetName,
    get_dataset,
)
from shoal.server._routing import NameRoute
from shoal.server._state import State, requested_segment
from shoal.store import ALL_FRAMES, Dataset, Include, InferenceSet, MatchingProtocol, Project
from shoal.tables import geometry_at

__all__ = [
    "ClassIouParam",
    "ConfParam",
    "FramesQueryParam",
    "IouParam",
    "OtherConfParam",
    "OtherIouParam",
    "SegmentParam",
    "compare_inference_sets",
    "labels_of",
    "operating_points",
    "router",
    "source_of",
]

router = APIRouter(route_class=NameRoute)
ConfParam = Annotated[
    str | None,
    Query(
        max_length=100_000,
        description='a confidence threshold in [0, 1], or per class as JSON: {"cat": 0.5} '
        "(classes not named use 0); default: the project's",
    ),
]
IouParam = Annotated[
    float | None,
    Query(gt=0.0, le=1.0, description="IoU threshold (detection); default: the project's"),
]
ProtocolParam = Annotated[
    MatchingProtocol,
    Query(
        description="detection's matching rule: coco (default) or labelbox (Labelbox's "
        "model-run metrics, docs/metrics.md; no COCO summary; IoU from 0.05)"
    ),
]
ClassIouParam = Annotated[
    str | None,
    Query(
        max_length=100_000,
        description='an IoU threshold in (0, 1], or per class as JSON: {"cat": 0.75} '
        "(classes not named use 0.5; detection); default: the project's",
    ),
]
OtherConfParam = Annotated[
    str | None,
    Query(
        max_length=100_000,
        description="the second inference set's own confidence threshold (same forms as "
        "conf); default: conf",
    ),
]
OtherIouParam = Annotated[
    float | None,
    Query(gt=0.0, le=1.0, description="the second inference set's own IoU threshold; default: iou"),
]
SegmentParam = Annotated[
    str, Query(max_length=1000, description='a segment of the dataset; default "All Frames"')
]
FramesQueryParam = Annotated[
    str | None,
    Query(
        max_length=MAX_QUERY_LENGTH,
        description="an ad-hoc frames query (docs/queries.md) that narrows the segment to "
        "the frames it matches",
    ),
]


# ------------------------------------------------------------- parameters
def _per_class(
    raw: str | None,
    default: float,
    labels: Sequence[str],
    parameter: str,
    checked: Callable[[Any, str], float],
) -> float | dict[str, float]:
    """A number, or per class as a JSON object of class name to number, each value
    checked by ``checked(value, where)``; ``parameter`` names it in errors."""
    if raw is None:
        return default
    where = f"query.{parameter}"
    text = raw.strip()
    if text.startswith("{"):
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            raise ApiError(422, f"{parameter} is not valid JSON", where=where) from None
        if not isinstance(value, dict):
            raise ApiError(422, f"{parameter} must be a number or a JSON object", where=where)
        out: dict[str, float] = {}
        for name, threshold in value.items():
            if name not in labels:
                raise ApiError(422, f"{parameter} names an unknown class {name!r}", where=where)
            out[name] = checked(threshold, where)
        return out
    try:
        return checked(float(text), where)
    except ValueError:
        raise ApiError(422, f"{parameter} {raw!r} is not a number", where=where) from None


def parse_conf(
    raw: str | None, default: float, labels: Sequence[str], *, parameter: str = "conf"
) -> float | dict[str, float]:
    """A ``conf``-style query parameter (``parameter`` names it in errors): a number in
    [0, 1], or per class as a JSON object."""
    return _per_class(raw, default, labels, parameter, _unit)


def parse_iou(
    raw: str | None, default: float, labels: Sequence[str], *, parameter: str = "iou"
) -> float | dict[str, float]:
    """An ``iou``-style query parameter: a number in (0, 1], or per class as a JSON
    object of class name to IoU (classes not named: 0.5, the engine's)."""
    return _per_class(raw, default, labels, parameter, _overlap)


def _overlap(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ApiError(422, f"IoU threshold {value!r} is not a number", where=where)
    number = float(value)
    if not math.isfinite(number) or not 0.0 < number <= 1.0:
        raise ApiError(422, f"IoU threshold {value!r} is not in (0, 1]", where=where)
    return number


def _unit(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ApiError(422, f"confidence threshold {value!r} is not a number", where=where)
    number = float(value)
    if not math.isfinite(number) or not 0.0 <= number <= 1.0:
        raise ApiError(422, f"confidence threshold {value!r} is not in [0, 1]", where=where)
    return number


def _operating_point(
    project: Project, conf: str | None, iou: float | None, labels: Sequence[str]
) -> tuple[float | dict[str, float], float]:
    return (
        parse_conf(conf, project.default_conf, labels),
        project.default_iou if iou is None else float(iou),
    )


def _other_operating_point(
    first: tuple[float | dict[str, float], float],
    conf: str | None,
    iou: float | None,
    labels: Sequence[str],
) -> tuple[float | dict[str, float], float]:
    """The second inference set's (conf, iou): its own where given, else the first's."""
    conf_value = first[0] if conf is None else parse_conf(conf, 0.0, labels, parameter="other_conf")
    return conf_value, first[1] if iou is None else float(iou)


def _iou_or_null(
    project: Project, iou: float | dict[str, float]
) -> float | dict[str, float] | None:
    return iou if project.task == "detection" else None


def _answered_at(
    project: Project,
    segment: str,
    query: str | None,
    conf: float | dict[str, float],
    iou: float | dict[str, float],
) -> dict[str, Any]:
    """Where an answer was computed: the segment, the query narrowing it and the
    operating point (``iou`` is null for classification, which has none)."""
    return {"segment": segment, "query": query, "conf": conf, "iou": _iou_or_null(project, iou)}


def labels_of(dataset: Dataset) -> list[str]:
    return [c.name for c in dataset.project.classes()]


def operating_points(
    dataset: Dataset,
    conf: str | None,
    iou: float | None,
    other_conf: str | None,
    other_iou: float | None,
) -> tuple[tuple[float | dict[str, float], float], tuple[float | dict[str, float], float]]:
    """The first (or base) inference set's (conf, iou) and the second's (its own where
    ``other_conf`` or ``other_iou`` is given, else the first's)."""
    labels = labels_of(dataset)
    first = _operating_point(dataset.project, conf, iou, labels)
    return first, _other_operating_point(first, other_conf, other_iou, labels)


@dataclass(frozen=True, slots=True)
class ComparedPair:
    """Two inference sets of one dataset, each at its operating point, on one segment:
    what every comparing route (compare, significance, changed examples) asks of the
    store and echoes in its answer."""

    base: InferenceSet
    other: InferenceSet
    # The store call's keyword arguments (conf, iou, other_conf, other_iou, segment, query).
    options: dict[str, Any]
    # The answer's echo of what was compared, and where (``iou`` null for classification).
    answered: dict[str, Any]


def compared_pair(
    dataset: Dataset,
    base: str,
    other: str,
    conf: str | None,
    iou: float | None,
    other_conf: str | None,
    other_iou: float | None,
    segment: str,
    query: str | None,
) -> ComparedPair:
    """``base`` and ``other`` of ``dataset`` at their operating points (see
    :func:`operating_points`); unknown sets and segments are 404s."""
    first, second = dataset.inference_set(base), dataset.inference_set(other)
    (conf_value, iou_value), (second_conf, second_iou) = operating_points(
        dataset, conf, iou, other_conf, other_iou
    )
    options = {
        "conf": conf_value,
        "iou": iou_value,
        "other_conf": second_conf,
        "other_iou": second_iou,
        "segment": requested_segment(dataset, segment),
        "query": query,
    }
    answered = {
        "base": base,
        "other": other,
        "segment": segment,
        "conf": conf_value,
        "iou": _iou_or_null(dataset.project, iou_value),
        "other_conf": second_conf,
        "other_iou": _iou_or_null(dataset.project, second_iou),
    }
    return ComparedPair(first, second, options, answered)


def source_of(
    table: pa.Table, id_column: str, row: dict[str, Any], detection: bool
) -> tuple[str | None, list[float] | None]:
    """The stored id (and box, for detection) of an outcome row: detection ids are
    1-based table rows; a classification row is its frame's one record."""
    if detection:
        return _source(table, id_column, int(row["id"]) - 1)
    return _source_of_frame(table, id_column, str(row["frame_id"])), None


# --------------------------------------------------------------- metrics
@router.get(DATASET + "/metrics", response_model=MetricsOut, tags=["metrics"])
def metrics(
    s: State,
    project: ProjectName,
    dataset: DatasetName,
    inference_set: Annotated[
        list[str], Query(min_length=1, max_length=2, description="one or two inference sets")
    ],
    conf: ConfParam = None,
    iou: ClassIouParam = None,
    other_conf: OtherConfParam = None,
    other_iou: OtherIouParam = None,
    segment: SegmentParam = ALL_FRAMES,
    query: FramesQueryParam = None,
    include: Annotated[
        list[Include], Query(description="what to compute; default report and confusion_matrix")
    ] = ["report", "confusion_matrix"],  # noqa: B006 (FastAPI copies defaults)
    protocol: ProtocolParam = "coco",
    curve_points: Annotated[
        int | None,
        Query(
            ge=5,
            le=1_000_000,
            description=(
                "draw-ready PR curves: at most this many points each (first, last, best F1 "
                "and each run's lowest and highest precision); all points when left out"
            ),
        ),
    ] = None,
) -> dict[str, Any]:
    """Metrics of one or two inference sets on a dataset or one of its segments
    (narrowed by ``query``), at (``conf``, ``iou``); the second set at (``other_conf``,
    ``other_iou``) where given. Each result says its own operating point. ``iou`` may be
    per class (JSON, as ``conf``): detection matches each class at its own IoU.
    ``coco_summary`` is detection only (null for classification)."""
    found = get_dataset(s, project, dataset)
    owner = found.project
    sets = [found.inference_set(name) for name in inference_set]
    labels = labels_of(found)
    first_point = (
        parse_conf(conf, owner.default_conf, labels),
        parse_iou(iou, owner.default_iou, labels),
    )
    # The second set's own where given, else the first's (its IoU one number).
    second_point = (
        first_point[0]
        if other_conf is None
        else parse_conf(other_conf, 0.0, labels, parameter="other_conf"),
        first_point[1] if other_iou is None else float(other_iou),
    )
    points = [first_point, second_point]
    chosen = requested_segment(found, segment)
    results = [
        {
            "inference_set": inference.name,
            "conf": set_conf,
            "iou": _iou_or_null(owner, set_iou),
            **inference.metrics(
                conf=set_conf,
                iou=set_iou,
                segment=chosen,
                include=include,
                curve_points=curve_points,
                query=query,
                protocol=protocol,
            ).to_dict(),
        }
        for inference, (set_conf, set_iou) in zip(sets, points, strict=False)
    ]
    conf_value, iou_value = first_point
    return {
        "dataset": dataset,
        **_answered_at(owner, segment, query, conf_value, iou_value),
        "protocol": protocol,
        "results": results,
    }


# -------------------------------------------------------------- examples
@dataclass(frozen=True)
class ExampleFilters:
    """Which of the outcomes an examples list shows: one place for the examples page
    and for a segment saved from it."""

    truth: str | None
    predicted: str | None
    outcome: Literal["TP", "FP", "FN"] | None
    label: str | None
    confused_as: str | None
    confused_from: str | None
    frame_id: str | None
    tide: str | None = None  # a TIDE type: applied by _routes_insights.tide_filtered
    # A metric's range: applied by _routes_metric_performance.metric_filtered.
    metric: str | None = None
    metric_min: float | None = None
    metric_max: float | None = None

    def check(self, labels: Sequence[str]) -> None:
        """A 422 naming the parameter for half a matrix cell or an unknown class."""
        if (self.truth is None) != (self.predicted is None):
            where = "query.predicted" if self.predicted is None else "query.truth"
            raise ApiError(422, "a matrix cell needs both truth and predicted", where=where)
        for where, name in (
            ("query.truth", self.truth),
            ("query.predicted", self.predicted),
            ("query.label", self.label),
            ("query.confused_as", self.confused_as),
            ("query.confused_from", self.confused_from),
        ):
            cell = where in ("query.truth", "query.predicted")
            allowed = (*labels, BACKGROUND) if cell else labels
            if name is not None and name not in allowed:
                raise ApiError(422, f"unknown class {name!r}", where=where)

    def apply(self, rows: Outcomes) -> Outcomes:
        if self.truth is not None and self.predicted is not None:
            rows = rows.in_cell(self.truth, self.predicted)
        rows = rows.where(outcome=self.outcome, label=self.label, frame_id=self.frame_id)
        if self.confused_as is not None:
            rows = rows.where(kind="prediction", reason="class_confusion", label=self.confused_as)
        if self.confused_from is not None:
            rows = rows.where(
                kind="prediction", reason="class_confusion", partner_label=self.confused_from
            )
        return rows


def example_filters(
    truth: Annotated[
        str | None, Query(max_length=1000, description="matrix row (with predicted)")
    ] = None,
    predicted: Annotated[
        str | None, Query(max_length=1000, description="matrix column (with truth)")
    ] = None,
    outcome: Annotated[Literal["TP", "FP", "FN"] | None, Query()] = None,
    label: Annotated[str | None, Query(max_length=1000, description="the object's class")] = None,
    confused_as: Annotated[
        str | None,
        Query(max_length=1000, description="predictions of this class confused with another"),
    ] = None,
    confused_from: Annotated[
        str | None,
        Query(max_length=1000, description="predictions confused with ground truth of this class"),
    ] = None,
    frame_id: Annotated[
        str | None, Query(max_length=1000, description="only this frame's objects")
    ] = None,
    tide: Annotated[
        Literal["Cls", "Loc", "Both", "Dupe", "Bkg", "Miss"] | None,
        Query(
            description="only objects of this TIDE error type (docs/insights.md), TIDE's "
            "foreground IoU at iou; conf then defaults to 0 (TIDE keeps every score)"
        ),
    ] = None,
    metric: Annotated[
        str | None,
        Query(
            max_length=1000,
            description="only objects with a value of this metric (as /metric-importance "
            "lists it), in [min, max]",
        ),
    ] = None,
    metric_min: Annotated[
        float | None, Query(alias="min", description="the metric's smallest value kept")
    ] = None,
    metric_max: Annotated[
        float | None, Query(alias="max", description="the metric's largest value kept")
    ] = None,
) -> ExampleFilters:
    return ExampleFilters(
        truth, predicted, outcome, label, confused_as, confused_from, frame_id, tide,
        metric, metric_min, metric_max,
    )  # fmt: skip


def _examples_point(
    found: Dataset, filters: ExampleFilters, conf: str | None, iou: str | None
) -> tuple[float | dict[str, float], float | dict[str, float]]:
    """The operating point of an examples selection (a TIDE filter reads every
    prediction, conf 0, unless ``conf`` is given), its filters checked against the
    dataset's classes. ``iou`` may be per class, except with a TIDE filter (TIDE's
    foreground IoU is one number)."""
    labels = labels_of(found)
    conf = "0" if filters.tide is not None and conf is None else conf
    project = found.project
    point = (
        parse_conf(conf, project.default_conf, labels),
        parse_iou(iou, project.default_iou, labels),
    )
    if filters.tide is not None and isinstance(point[1], dict):
        raise ApiError(
            422, "a tide filter takes one IoU threshold, not one per class", where="query.iou"
        )
    filters.check(labels)
    return point


def _filtered(
    rows: Outcomes,
    inference: InferenceSet,
    filters: ExampleFilters,
    iou: float | dict[str, float],
    found: Dataset,
    segment: str,
    query: str | None,
    sources: tuple[pa.Table, pa.Table] | None = None,
) -> Outcomes:
    """The outcomes an examples selection keeps: its metric range, its filters, then its
    TIDE error type (``sources``: the predictions and labels tables ``rows`` index)."""
    if filters.metric is not None:
        from shoal.server._routes_metric_performance import metric_filtered  # imports this

        rows = metric_filtered(
            rows, inference, filters.metric, filters.metric_min, filters.metric_max, sources
        )
    rows = filters.apply(rows)
    if filters.tide is None:
        return rows
    from shoal.server._routes_insights import tide_filtered  # it imports this module

    chosen = requested_segment(found, segment)
    if isinstance(iou, dict):  # _examples_point refuses it first
        raise ApiError(422, "a tide filter takes one IoU threshold", where="query.iou")
    return tide_filtered(rows, inference, filters.tide, iou=iou, segment=chosen, query=query)


@router.get(INFERENCE_SET + "/examples", response_model=ExamplesPage, tags=["metrics"])
def examples(
    s: State,
    project: ProjectName,
    dataset: DatasetName,
    inference_set: SetName,
    filters: Annotated[ExampleFilters, Depends(example_filters)],
    conf: ConfParam = None,
    iou: ClassIouParam = None,
    segment: SegmentParam = ALL_FRAMES,
    query: FramesQueryParam = None,
    protocol: ProtocolParam = "coco",
    sort: Annotated[
        str,
        Query(
            max_length=200,
            description="confidence, iou, area, or a metric's name as GET "
            ".../metric-importance names it (docs/quality.md): an object metric's value "
            "for a prediction or label, a frame metric's for every object of the frame; "
            "objects without a value come last",
        ),
    ] = "confidence",
    order: Annotated[Literal["desc", "asc"], Query()] = "desc",
    offset: PageOffset = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> dict[str, Any]:
    """The objects behind the numbers: each counted prediction and ground truth with its
    outcome (TP, FP, FN), reason, partner and IoU (for classification, each frame's
    prediction and label; no boxes, IoU 0), filtered and sorted.

    ``truth`` + ``predicted``: the objects counted in that confusion-matrix cell
    (``background`` for the background row or column). ``outcome=FP&sort=confidence``
    lists high-confidence disagreements first; ``outcome=TP&order=asc`` low-confidence
    agreements first."""
    found = get_dataset(s, project, dataset)
    inference = found.inference_set(inference_set)
    detection = found.project.task == "detection"
    conf_value, iou_value = _examples_point(found, filters, conf, iou)
    # The outcomes and the tables their ids index, all of one version (a replace
    # meanwhile must not pair one version's outcomes with another's ids and boxes).
    read = inference.outcomes_with_sources(
        conf=conf_value,
        iou=iou_value,
        segment=requested_segment(found, segment),
        query=query,
        protocol=protocol,
    )
    rows = _filtered(
        read.outcomes, inference, filters, iou_value, found, segment, query,
        (read.predictions, read.labels),
    )  # fmt: skip
    total = len(rows)
    by = (
        None
        if sort in SORT_KEYS
        else inference.outcome_metric_values(
            rows, sort, predictions=read.predictions, labels=read.labels
        )
    )
    page = rows.sorted_by(sort, descending=order == "desc", values=by).page(offset, limit)
    columns = {name: column.tolist() for name, column in page.columns().items()}
    predictions, labels_table = read.predictions, read.labels
    examples = []
    for i in range(len(columns["id"])):
        row = {name: values[i] for name, values in columns.items()}
        table = predictions if row["kind"] == "prediction" else labels_table
        id_column = "prediction_id" if row["kind"] == "prediction" else "label_id"
        source, box = source_of(table, id_column, row, detection)
        geometry = geometry_at(table, int(row["id"]) - 1) if detection else None
        confidence = row["confidence"]
        row["confidence"] = None if confidence is None or math.isnan(confidence) else confidence
        examples.append({**row, "source_id": source, "box": box, "geometry": geometry})
    return {
        "inference_set": inference_set,
        "version": read.version,
        "dataset_version": read.dataset_version,
        "conf": conf_value,
        "iou": iou_value,
        "protocol": protocol,
        "total": total,
        "offset": offset,
        "limit": limit,
        "examples": examples,
    }


def _source_of_frame(table: pa.Table, id_column: str, frame_id: str) -> str | None:
    """The stored id of a classification frame's one label or prediction."""
    matches = pc.index(table.column("frame_id"), frame_id).as_py()
    return None if matches < 0 else str(table.column(id_column)[matches].as_py())


def _source(table: pa.Table, id_column: str, row: int) -> tuple[str | None, list[float] | None]:
    """The stored id and box of an engine row (engine ids are 1-based table rows)."""
    if not 0 <= row < table.num_rows:
        return None, None
    record = table.slice(row, 1).select([id_column, "x", "y", "width", "height"]).to_pylist()[0]
    box = [record[k] for k in ("x", "y", "width", "height")]
    return record[id_column], None if any(v is None for v in box) else box


@router.post(
    INFERENCE_SET + "/examples/segment",
    response_model=SegmentOut,
    status_code=201,
    tags=["segments"],
)
def segment_from_examples(
    s: State,
    project: ProjectName,
    dataset: DatasetName,
    inference_set: SetName,
    body: SegmentFromExamples,
    filters: Annotated[ExampleFilters, Depends(example_filters)],
    conf: ConfParam = None,
    iou: ClassIouParam = None,
    segment: SegmentParam = ALL_FRAMES,
    query: FramesQueryParam = None,
    protocol: ProtocolParam = "coco",
) -> dict[str, Any]:
    """Save the frames of an examples selection as a segment of listed frames: the same
    query parameters as ``GET .../examples`` (its page aside) pick the objects, and every
    frame holding one of them joins the segment, in the name, type and description of the
    body. A selection without objects is a 400."""
    found = get_dataset(s, project, dataset)
    inference = found.inference_set(inference_set)
    conf_value, iou_value = _examples_point(found, filters, conf, iou)
    outcomes = inference.outcomes(
        conf=conf_value,
        iou=iou_value,
        segment=requested_segment(found, segment),
        query=query,
        protocol=protocol,
    )
    rows = _filtered(outcomes, inference, filters, iou_value, found, segment, query)
    frames = sorted({str(frame) for frame in rows.frame_id.tolist()})
    if not frames:
        raise ApiError(400, "the examples selection holds no frames to save", where="query")
    created = found.create_segment(
        body.name, type=body.type, frames=frames, description=body.description
    )
    return created.to_dict()


# ------------------------------------------------------------ comparison
@router.get(DATASET + "/compare", response_model=ComparisonOut, tags=["metrics"])
def compare_inference_sets(
    s: State,
    project: ProjectName,
    dataset: DatasetName,
    base: Annotated[str, Query(description="the inference set compared against")],
    other: Annotated[str, Query(description="the inference set compared")],
    conf: ConfParam = None,
    iou: IouParam = None,
    other_conf: OtherConfParam = None,
    other_iou: OtherIouParam = None,
    segment: SegmentParam = ALL_FRAMES,
    query: FramesQueryParam = None,
) -> dict[str, Any]:
    """``other`` against ``base``: per-class deltas and verdicts, and each
    confusion-matrix cell's count for both (deltas are other - base). Both at (``conf``,
    ``iou``), the other at (``other_conf``, ``other_iou``) where given."""
    found = get_dataset(s, project, dataset)
    pair = compared_pair(found, base, other, conf, iou, other_conf, other_iou, segment, query)
    comparison = pair.base.compare(pair.other, **pair.options)
    return {
        **pair.answered,
        "query": query,
        **comparison.to_dict(),
        "verdicts": comparison.verdicts(),
        "cells": comparison.cells(),
    }


# ------------------------------------------------------------ regression
@router.get(INFERENCE_SET + "/regression", response_model=list[SegmentResultOut], tags=["metrics"])
def regression(
    s: State,
    project: ProjectName,
    dataset: DatasetName,
    inference_set: SetName,
    conf: ConfParam = None,
    iou: IouParam = None,
    query: FramesQueryParam = None,
) -> list[dict[str, Any]]:
    """Every segment's regression-test result ("All Frames" first), each segment
    narrowed by ``query`` where given: exactly the list of ``SegmentResult.to_dict()``.
    Each inference set is tested at its own (``conf``, ``iou``): ask per set."""
    found = get_dataset(s, project, dataset)
    inference = found.inference_set(inference_set)
    conf_value, iou_value = _operating_point(found.project, conf, iou, labels_of(found))
    results = inference.regression_results(conf=conf_value, iou=iou_value, query=query)
    return [result.to_dict() for result in results]
