"""Calibration and significance: an inference set's reliability diagrams (ECE, D-ECE)
and the paired-bootstrap intervals of the deltas between two inference sets.

Each route is one call to the store (``InferenceSet.calibration``,
``InferenceSet.significance``); this module only parses parameters and shapes answers.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from shoal.analysis.bootstrap import DEFAULT_RESAMPLES, MAX_RESAMPLES
from shoal.analysis.calibration import DEFAULT_BINS, MAX_BINS
from shoal.server._models import CalibrationOut, SignificanceOut
from shoal.server._routes_entities import (
    DATASET,
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
    OtherConfParam,
    OtherIouParam,
    SegmentParam,
    compared_pair,
    operating_points,
)
from shoal.server._routing import NameRoute
from shoal.server._state import State, requested_segment
from shoal.store import ALL_FRAMES

__all__ = ["router"]

router = APIRouter(route_class=NameRoute)


@router.get(DATASET + "/compare/significance", response_model=SignificanceOut, tags=["metrics"])
def significance(
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
    resamples: Annotated[
        int,
        Query(ge=1, le=MAX_RESAMPLES, description="bootstrap replicates (frames resampled)"),
    ] = DEFAULT_RESAMPLES,
    seed: Annotated[
        int, Query(ge=0, le=2**32 - 1, description="the resampling seed (same seed, same answer)")
    ] = 0,
    average_precision: Annotated[
        bool, Query(description="resample AP too (per class and its macro mean)")
    ] = True,
) -> dict[str, Any]:
    """Paired-bootstrap 95% intervals of every precision, recall, F1 and AP delta (other -
    base) per class, macro and micro (AP: per class and macro), over the segment's
    frames; the point values are those of ``/compare`` with the same parameters."""
    found = get_dataset(s, project, dataset)
    pair = compared_pair(found, base, other, conf, iou, other_conf, other_iou, segment, query)
    result = pair.base.significance(
        pair.other, **pair.options, resamples=resamples, seed=seed,
        average_precision=average_precision,
    )  # fmt: skip
    return {**pair.answered, "query": query, **result.to_dict()}


@router.get(INFERENCE_SET + "/calibration", response_model=CalibrationOut, tags=["metrics"])
def calibration(
    s: State,
    project: ProjectName,
    dataset: DatasetName,
    inference_set: SetName,
    conf: ConfParam = None,
    iou: IouParam = None,
    segment: SegmentParam = ALL_FRAMES,
    query: FramesQueryParam = None,
    bins: Annotated[
        int, Query(ge=1, le=MAX_BINS, description="equal-width confidence bins over [0, 1]")
    ] = DEFAULT_BINS,
) -> dict[str, Any]:
    """Reliability diagrams, overall and per predicted class, with ECE (classification:
    top-1 predictions) or D-ECE (detection: predictions kept at ``conf``, a true
    positive when matched at ``iou``); docs/calibration.md defines them."""
    found = get_dataset(s, project, dataset)
    (conf_value, iou_value), _ = operating_points(found, conf, iou, None, None)
    result = found.inference_set(inference_set).calibration(
        conf=conf_value,
        iou=iou_value,
        segment=requested_segment(found, segment),
        query=query,
        bins=bins,
    )
    return {"inference_set": inference_set, "segment": segment, "query": query, **result.to_dict()}
