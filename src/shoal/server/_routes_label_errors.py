"""The label-error queue of an inference set: the ranked candidates, their reviews and the
export of confirmed errors.

Each route is one call to the store (``InferenceSet.label_errors``, ``review_label_error``,
``export_label_errors``); this module only parses parameters and shapes answers.
docs/insights.md defines every kind and score.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field

from shoal.analysis.label_errors import DEFAULT_MIN_SCORE, KINDS
from shoal.server._errors import ApiError
from shoal.server._models import Body
from shoal.server._routes_entities import (
    INFERENCE_SET,
    DatasetName,
    PageOffset,
    ProjectName,
    SetName,
    get_dataset,
)
from shoal.server._routes_metrics import FramesQueryParam, SegmentParam
from shoal.server._routing import NameRoute
from shoal.server._state import State, check_iou_band, requested_segment
from shoal.store import ALL_FRAMES, Dataset, InferenceSet

__all__ = ["router"]

router = APIRouter(route_class=NameRoute)
LabelErrorKind = Literal["missing", "spurious", "wrong_class", "loose_box"]
CandidateId = Annotated[
    str,
    Path(
        description="a candidate's id: <kind>:<annotation id>, or missing:<prediction id>",
        pattern=f"^({'|'.join(KINDS)}):-?[0-9]+$",
    ),
]


class LabelErrorReviewOut(BaseModel):
    """A review: confirmed (the label is wrong), dismissed (it is right) or open."""

    id: str
    status: Literal["open", "confirmed", "dismissed"]
    issue: str | None
    note: str


class LabelErrorOut(BaseModel):
    id: str = Field(description="<kind>:<annotation id>, or missing:<prediction id>")
    image_id: str
    kind: LabelErrorKind
    score: float = Field(description="in [0, 1]; higher: the label is more likely wrong")
    annotation_id: int | None = Field(
        description="the suspect label (for missing: an overlapping label, if any), by engine id "
        "(its 1-based row)"
    )
    prediction_id: int | None = Field(
        description="the suspect prediction (missing) or the partner prediction, by engine id"
    )
    source_label_id: str | None = Field(
        description="the stored label_id of annotation_id (as the frame's labels name it)"
    )
    source_prediction_id: str | None = Field(
        description="the stored prediction_id of prediction_id (as the frame's predictions name it)"
    )
    label: str = Field(description="the suspect object's class (for missing: the prediction's)")
    partner_label: str | None = Field(
        description="the partner's class (for missing: the overlapping label's), if any"
    )
    review: LabelErrorReviewOut | None


class LabelErrorsOut(BaseModel):
    """One page of the queue, highest score first."""

    inference_set: str
    segment: str
    query: str | None
    total: int
    counts: dict[str, int] = Field(description="candidates of each kind (before kind=)")
    label_errors: list[LabelErrorOut]


class LabelErrorReview(Body):
    status: Literal["open", "confirmed", "dismissed"]
    issue: str | None = Field(
        default=None, description="also collect the suspect object in this issue"
    )
    note: str = ""


def _inference_set(
    s: State, project: str, dataset: str, inference_set: str
) -> tuple[Dataset, InferenceSet]:
    found = get_dataset(s, project, dataset)
    return found, found.inference_set(inference_set)


@router.get(INFERENCE_SET + "/label-errors", response_model=LabelErrorsOut, tags=["metrics"])
def label_errors(
    s: State,
    project: ProjectName,
    dataset: DatasetName,
    inference_set: SetName,
    segment: SegmentParam = ALL_FRAMES,
    query: FramesQueryParam = None,
    kind: Annotated[LabelErrorKind | None, Query(description="only this kind")] = None,
    label: Annotated[
        str | None,
        Query(description="only candidates whose suspect object is of this class"),
    ] = None,
    status: Annotated[
        Literal["open", "confirmed", "dismissed"] | None,
        Query(description="only candidates with this review status (open: not reviewed)"),
    ] = None,
    conf: Annotated[
        float,
        Query(ge=0.0, le=1.0, description="confidence from which a prediction is evidence"),
    ] = DEFAULT_MIN_SCORE,
    method: Annotated[
        Literal["self_confidence", "normalized_margin"],
        Query(description="classification: the confident-learning score"),
    ] = "self_confidence",
    fg_iou: Annotated[float, Query(ge=0.0, le=1.0, description="matching IoU")] = 0.5,
    bg_iou: Annotated[
        float, Query(ge=0.0, le=1.0, description="overlap at or below: none (<= fg_iou)")
    ] = 0.1,
    offset: PageOffset = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> dict[str, Any]:
    """The ranked candidates that the label, not the model, is wrong (missing, spurious,
    wrong_class, loose_box; classification: wrong_class by confident learning on the
    predictions' probabilities, with ``method``), each with its score, classes and review
    (docs/insights.md);
    ``kind``, ``label`` and ``status`` narrow the page and ``total``, not ``counts``."""
    check_iou_band(fg_iou, bg_iou)
    found, stored = _inference_set(s, project, dataset, inference_set)
    queue = stored.label_errors(
        segment=requested_segment(found, segment),
        query=query,
        min_score=conf,
        fg_iou=fg_iou,
        bg_iou=bg_iou,
        method=method,
    )
    keep = np.ones(len(queue.errors), dtype=bool)
    if kind is not None:
        keep &= queue.errors.kind == KINDS.index(kind)
    if label is not None:
        names = queue.class_names
        if label not in names:
            raise ApiError(422, f"unknown class {label!r}", where="query.label")
        keep &= queue.subject_classes() == names.index(label)
    reviews = stored.label_error_reviews()
    if status is not None:
        reviewed = {c: r["status"] for c, r in reviews.items()}
        keep &= np.array(
            [reviewed.get(queue.candidate_id(i), "open") == status for i in range(keep.size)],
            dtype=bool,
        )
    rows = np.flatnonzero(keep)
    page = []
    for index in rows[offset : offset + limit].tolist():
        entry = queue.entry(index)
        review = reviews.get(entry["id"])
        entry["review"] = None if review is None else {"id": entry["id"], **review}
        page.append(entry)
    return {
        "inference_set": inference_set,
        "segment": segment,
        "query": query,
        "total": int(rows.size),
        "counts": queue.errors.counts(),
        "label_errors": page,
    }


@router.put(
    INFERENCE_SET + "/label-errors/{candidate}/review",
    response_model=LabelErrorReviewOut,
    tags=["metrics"],
)
def review_label_error(
    s: State,
    project: ProjectName,
    dataset: DatasetName,
    inference_set: SetName,
    candidate: CandidateId,
    body: LabelErrorReview,
) -> dict[str, Any]:
    """Confirm a candidate as a label error, dismiss it, or reopen it; with ``issue``,
    also add the suspect label or prediction to that issue. Persisted in the catalog."""
    _, stored = _inference_set(s, project, dataset, inference_set)
    return dict(
        stored.review_label_error(candidate, status=body.status, issue=body.issue, note=body.note)
    )


@router.get(
    INFERENCE_SET + "/label-errors/export",
    tags=["metrics"],
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}},
)
def export_label_errors(
    s: State,
    project: ProjectName,
    dataset: DatasetName,
    inference_set: SetName,
    format: Annotated[Literal["coco", "csv"], Query(description="COCO patch or CSV")] = "coco",
) -> Response:
    """The confirmed label errors: a COCO patch (add_annotations, remove_annotations,
    change_category, change_bbox) or CSV, one row per confirmed candidate."""
    _, stored = _inference_set(s, project, dataset, inference_set)
    text = stored.export_label_errors(format)
    media = "application/json" if format == "coco" else "text/csv; charset=utf-8"
    return Response(text, media_type=media)
