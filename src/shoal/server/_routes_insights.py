"""Why a model fails: TIDE's error breakdown of an inference set.

Each route is one call to the store (``InferenceSet.tide``); this module only parses
parameters and shapes answers. docs/insights.md defines every number.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
from fastapi import APIRouter, Query
from pydantic import BaseModel

from shoal.analysis.tide import DEFAULT_BG_IOU, DEFAULT_FG_IOU
from shoal.server._routes_entities import (
    INFERENCE_SET,
    DatasetName,
    ProjectName,
    SetName,
    get_dataset,
)
from shoal.server._routes_metrics import FramesQueryParam, SegmentParam
from shoal.server._routing import NameRoute
from shoal.server._state import State, check_iou_band, requested_segment, require_detection
from shoal.store import ALL_FRAMES

if TYPE_CHECKING:
    from shoal.engine.metrics import Outcomes
    from shoal.store import InferenceSet, Segment

__all__ = ["TIDE_TYPES", "router", "tide_filtered"]

router = APIRouter(route_class=NameRoute)

# The names a ``tide=`` filter accepts: the prediction types and Miss (ground truth).
TIDE_TYPES = ("Cls", "Loc", "Both", "Dupe", "Bkg", "Miss")


class TideCountsOut(BaseModel):
    """Errors of each type: false positives (Cls, Loc, Both, Dupe, Bkg) and missed
    ground truth (Miss)."""

    Cls: int
    Loc: int
    Both: int
    Dupe: int
    Bkg: int
    Miss: int


class TideDapOut(BaseModel):
    """AP points (0-100) gained by fixing each type alone; FalsePos and FalseNeg: by
    perfect precision and by perfect recall."""

    Cls: float
    Loc: float
    Both: float
    Dupe: float
    Bkg: float
    Miss: float
    FalsePos: float
    FalseNeg: float


class TideClassOut(BaseModel):
    """One class: its TIDE AP, its errors (false positives by predicted class, misses by
    ground-truth class) and the rise of its own AP under each fix."""

    label: str
    ap: float
    counts: TideCountsOut
    dap: TideDapOut


class TideSettingsOut(BaseModel):
    fg_iou: float
    bg_iou: float
    max_dets: int


class TideOut(BaseModel):
    """TIDE's error breakdown of an inference set on a segment's frames."""

    inference_set: str
    segment: str
    query: str | None
    settings: TideSettingsOut
    ap: float
    counts: TideCountsOut
    dap: TideDapOut
    per_class: list[TideClassOut]


@router.get(INFERENCE_SET + "/tide", response_model=TideOut, tags=["metrics"])
def tide(
    s: State,
    project: ProjectName,
    dataset: DatasetName,
    inference_set: SetName,
    segment: SegmentParam = ALL_FRAMES,
    query: FramesQueryParam = None,
    fg_iou: Annotated[
        float, Query(ge=0.0, le=1.0, description="TIDE's foreground IoU (a match at or above)")
    ] = DEFAULT_FG_IOU,
    bg_iou: Annotated[
        float,
        Query(ge=0.0, le=1.0, description="TIDE's background IoU (Bkg at or below; <= fg_iou)"),
    ] = DEFAULT_BG_IOU,
) -> dict[str, Any]:
    """Cls, Loc, Both, Dupe, Bkg and Miss counts and dAP, FalsePos and FalseNeg dAP,
    overall and per class, with TIDE's rules (100 detections per image, its 101-point
    AP at ``fg_iou``); equal to tidecv 1.0.1's box mode (docs/insights.md)."""
    check_iou_band(fg_iou, bg_iou)
    found = get_dataset(s, project, dataset)
    require_detection(found.project, "TIDE's error breakdown")
    result = found.inference_set(inference_set).tide(
        fg_iou=fg_iou, bg_iou=bg_iou, segment=requested_segment(found, segment), query=query
    )
    return {"inference_set": inference_set, "segment": segment, "query": query, **result.to_dict()}


def tide_filtered(
    rows: Outcomes,
    inference_set: InferenceSet,
    error: str | None,
    *,
    iou: float,
    segment: Segment,
    query: str | None,
) -> Outcomes:
    """The examples of one TIDE type (``tide=``): predictions of that type, or for Miss
    the missed ground truth, with TIDE's foreground IoU at the examples' ``iou``."""
    if error is None:
        return rows
    require_detection(inference_set.dataset.project, "tide=", where="query.tide")
    result = inference_set.tide(
        fg_iou=iou, bg_iou=min(DEFAULT_BG_IOU, iou), segment=segment, query=query
    )
    kind = "ground_truth" if error == "Miss" else "prediction"
    keep = (rows.kind == kind) & np.isin(rows.id, result.object_ids(error))
    return rows.select(keep)
