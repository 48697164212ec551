"""A dataset's summary, the examples two inference sets disagree on, and the query bar's
completions.

Each route is one call to the store (``Dataset.summary``, ``InferenceSet.compare``,
``InferenceSet.changed_examples``, ``Dataset.query_fields``), which answers from its
cached evaluations with the analysis layer; this module only parses parameters and
shapes answers.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from shoal._types import ConfDescription
from shoal.analysis import scores_by_segment
from shoal.server._errors import ApiError
from shoal.server._models import ComparisonOut, SegmentResultOut, Thresholds
from shoal.server._routes_entities import DATASET, DatasetName, PageOffset, ProjectName, get_dataset
from shoal.server._routes_metrics import (
    ConfParam,
    FramesQueryParam,
    IouParam,
    OtherConfParam,
    OtherIouParam,
    SegmentParam,
    compare_inference_sets,
    compared_pair,
    labels_of,
    operating_points,
    source_of,
)
from shoal.server._routing import NameRoute
from shoal.server._state import State, requested_segment
from shoal.store import ALL_FRAMES

__all__ = ["router"]

router = APIRouter(route_class=NameRoute)

Verdict = Literal["better", "worse", "same"]


# ----------------------------------------------------------------- answers
class SetScoresOut(SegmentResultOut):
    inference_set: str
    mean_ap: float | None = Field(
        description="mean over the classes with ground truth of each class's AP at the IoU "
        "(detection); null for classification"
    )
    coco_ap: float | None = Field(
        description="COCO AP@[.5:.95] on the segment (detection; null without ground truth)"
    )


class SegmentSummaryOut(BaseModel):
    segment: str
    segment_type: str
    frame_count: int
    stale: str | None
    thresholds: Thresholds
    results: list[SetScoresOut] = Field(description="one per inference set, in the sets' order")


class SummaryOut(BaseModel):
    dataset: str
    conf: ConfDescription
    iou: float | None
    query: str | None
    inference_sets: list[str]
    segments: list[SegmentSummaryOut]
    comparison: ComparisonOut | None = Field(
        description="other against base (per-class deltas and verdicts), when both are given"
    )


class ChangeCounts(BaseModel):
    fixed: int
    broken: int
    still_wrong: int


class ClassChangesOut(ChangeCounts):
    verdict: Verdict = Field(description="fixed - broken: above 0 better, below worse, else same")


class ChangeSide(BaseModel):
    outcome: Literal["TP", "FN"]
    reason: str
    partner_label: str
    iou: float


class ChangedExampleOut(BaseModel):
    id: int = Field(description="the ground-truth object's engine id (1-based labels row)")
    source_id: str | None = Field(description="the label_id (classification: the frame's label)")
    frame_id: str
    label: str = Field(description="the ground truth's class")
    area: float
    box: list[float] | None
    change: Literal["fixed", "broken", "still_wrong"]
    base: ChangeSide
    other: ChangeSide


class ChangedExamplesPage(BaseModel):
    base: str
    other: str
    segment: str
    conf: ConfDescription
    iou: float | None
    other_conf: ConfDescription
    other_iou: float | None
    counts: ChangeCounts = Field(description="over every class (before change and label)")
    classes: dict[str, ClassChangesOut] = Field(
        description="per ground-truth class with any change (before change and label)"
    )
    total: int = Field(description="rows matching change and label")
    offset: int
    limit: int
    examples: list[ChangedExampleOut]


class FieldOut(BaseModel):
    name: str
    type: Literal["bool", "int", "float", "string"]


class CompletionsOut(BaseModel):
    fields: list[FieldOut] = Field(
        description="frame columns, metadata keys, label statistics, frame metrics"
    )
    label_fields: list[FieldOut] = Field(
        default_factory=list,
        description="fields of a label condition inside has() and count(): class_name and "
        "the label metrics (docs/queries.md)",
    )
    classes: list[str] = Field(description="label classes, for has('...') and count('...')")
    functions: list[str]
    keywords: list[str]
    truncated: bool = Field(description="true when a list was cut at limit")


# ----------------------------------------------------------------- summary
@router.get(DATASET + "/summary", response_model=SummaryOut, tags=["metrics"])
def summary(
    s: State,
    project: ProjectName,
    dataset: DatasetName,
    conf: ConfParam = None,
    iou: IouParam = None,
    segment: Annotated[
        str | None,
        Query(max_length=1000, description="one segment (default: every segment)"),
    ] = None,
    query: FramesQueryParam = None,
    base: Annotated[
        str | None, Query(max_length=1000, description="with other: per-class improvements")
    ] = None,
    other: Annotated[str | None, Query(max_length=1000)] = None,
) -> dict[str, Any]:
    """Every inference set of the dataset side by side, per segment: precision, recall
    and F1 (pooled over classes), error counts, the segment's verdict against its
    thresholds, mean AP and COCO AP; with ``base`` and ``other``, the comparison of the
    two (per-class deltas and verdicts) on the segment (default "All Frames")."""
    found = get_dataset(s, project, dataset)
    if (base is None) != (other is None):
        where = "query.other" if other is None else "query.base"
        raise ApiError(422, "per-class improvements need both base and other", where=where)
    (conf_value, iou_value), _ = operating_points(found, conf, iou, None, None)
    chosen = None if segment is None else requested_segment(found, segment)
    scores = found.summary(conf=conf_value, iou=iou_value, segment=chosen, query=query)
    detection = found.project.task == "detection"
    comparison = None
    if base is not None and other is not None:
        comparison = compare_inference_sets(
            s, project, dataset, base, other, conf, iou,
            segment=ALL_FRAMES if segment is None else segment, query=query,
        )  # fmt: skip
    return {
        "dataset": dataset,
        "conf": conf_value,
        "iou": iou_value if detection else None,
        "query": query,
        "inference_sets": list(scores),
        "segments": scores_by_segment(scores),
        "comparison": comparison,
    }


# ------------------------------------------------------- changed examples
@router.get(DATASET + "/compare/examples", response_model=ChangedExamplesPage, tags=["metrics"])
def changed_examples(
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
    change: Annotated[Literal["fixed", "broken", "still_wrong"] | None, Query()] = None,
    label: Annotated[
        str | None, Query(max_length=1000, description="the ground truth's class")
    ] = None,
    offset: PageOffset = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> dict[str, Any]:
    """The ground truth that changed from ``base`` to ``other``: ``fixed`` (wrong in the
    base, right in the other), ``broken`` (right, then wrong) and ``still_wrong``, with
    the counts overall and per class (each with its verdict), paged like ``/examples``
    (in the dataset's object order). Each side at its own operating point as on
    ``/compare``."""
    found = get_dataset(s, project, dataset)
    if label is not None and label not in labels_of(found):
        raise ApiError(422, f"unknown class {label!r}", where="query.label")
    pair = compared_pair(found, base, other, conf, iou, other_conf, other_iou, segment, query)
    changes, labels_table = pair.base.changed_examples(pair.other, **pair.options)
    rows = changes.where(change=change, label=label)
    detection = found.project.task == "detection"
    examples = []
    for record in rows.page(offset, limit).records():
        source, box = source_of(labels_table, "label_id", record, detection)
        examples.append({**record, "source_id": source, "box": box})
    return {
        **pair.answered,
        "counts": changes.counts(),
        "classes": changes.class_counts(),
        "total": len(rows),
        "offset": offset,
        "limit": limit,
        "examples": examples,
    }


# ------------------------------------------------------ query completions
_FUNCTIONS = ["has", "count"]
_KEYWORDS = [
    "and", "or", "not", "in", "is", "null", "true", "false", "contains", "startswith", "endswith",
]  # fmt: skip


@router.get(DATASET + "/query/completions", response_model=CompletionsOut, tags=["datasets"])
def query_completions(
    s: State,
    project: ProjectName,
    dataset: DatasetName,
    prefix: Annotated[
        str, Query(max_length=1000, description="what the user typed of the word (any case)")
    ] = "",
    limit: Annotated[int, Query(ge=1, le=10_000, description="most of each list")] = 200,
) -> dict[str, Any]:
    """What the query bar may offer at a word starting with ``prefix`` (compared without
    regard to case): the dataset's queryable fields with their types (frame metrics
    included), the fields of label conditions (label metrics), its label classes, the
    functions and the keywords (docs/queries.md)."""
    found = get_dataset(s, project, dataset)
    wanted = prefix.casefold()

    def starts(name: str) -> bool:
        return name.casefold().startswith(wanted)

    fields = [
        {"name": name, "type": kind} for name, kind in found.query_fields().items() if starts(name)
    ]
    label_fields = [
        {"name": name, "type": kind}
        for name, kind in found.label_query_fields().items()
        if starts(name)
    ]
    classes = [name for name in labels_of(found) if starts(name)]
    truncated = len(fields) > limit or len(classes) > limit or len(label_fields) > limit
    return {
        "fields": fields[:limit],
        "label_fields": label_fields[:limit],
        "classes": classes[:limit],
        "functions": [f for f in _FUNCTIONS if starts(f)],
        "keywords": [k for k in _KEYWORDS if starts(k)],
        "truncated": truncated,
    }
