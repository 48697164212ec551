"""A dataset's summary: every inference set side by side, segment by segment.

For each segment and each inference set: the regression-test scores (precision, recall
and F1 pooled over every class, the error counts, each segment's verdict against its
thresholds; see ``shoal.analysis.regression``) and two mean average precisions:

- ``mean_ap``: the mean over the classes with ground truth on the segment of each
  class's AP at the IoU asked for (detection) or of its one-vs-rest AP (classification);
  None where no class has ground truth or the task has no AP;
- ``coco_ap``: COCO's AP@[.5:.95] on the segment (pycocotools' first statistic;
  detection only, None for classification and where no ground truth is there).

Each number is the engine's; this module only gathers them per segment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from shoal._types import Conf
from shoal.analysis._classes import involved_classes
from shoal.analysis.regression import SegmentResult, SegmentSpec, evaluate_segments
from shoal.engine.evaluation import Evaluation

__all__ = ["SegmentScores", "scores_by_segment", "segment_scores"]


@dataclass(frozen=True)
class SegmentScores:
    """One inference set's scores on one segment."""

    result: SegmentResult
    mean_ap: float | None
    coco_ap: float | None

    def to_dict(self) -> dict[str, Any]:
        return {**self.result.to_dict(), "mean_ap": self.mean_ap, "coco_ap": self.coco_ap}


def segment_scores(
    evaluation: Evaluation, segments: Sequence[SegmentSpec], *, conf: Conf, iou: float
) -> list[SegmentScores]:
    """Each segment's scores for one evaluation at (conf, iou), in ``segments``' order."""
    results = evaluate_segments(evaluation, segments, conf=conf, iou=iou)
    return [
        SegmentScores(result, *_mean_aps(evaluation, spec, iou))
        for spec, result in zip(segments, results, strict=True)
    ]


def _mean_aps(
    evaluation: Evaluation, segment: SegmentSpec, iou: float
) -> tuple[float | None, float | None]:
    if segment.stale is not None:
        return None, None
    frames = None if segment.frame_ids is None else list(segment.frame_ids)
    # AP does not depend on the confidence threshold: read at 0, over the classes used.
    classes = involved_classes([evaluation], iou, frames)
    report = evaluation.report(0.0, iou, frames=frames, classes=classes)
    mean_ap = None
    if report.ap is not None:
        present = (report.support > 0) & np.isfinite(report.ap)
        if present.any():
            mean_ap = float(report.ap[present].mean())
    coco_ap = None
    if evaluation.has_coco_summary:
        summary = evaluation.coco_summary(frames=frames)
        if summary is not None and summary["AP"] >= 0:
            coco_ap = float(summary["AP"])
    return mean_ap, coco_ap


def scores_by_segment(
    scores: Mapping[str, Sequence[SegmentScores]],
) -> list[dict[str, Any]]:
    """``{inference set: its scores per segment}`` turned side by side: one entry per
    segment (its name, type, frame count and thresholds) listing every set's scores."""
    names = list(scores)
    if not names:
        return []
    out = []
    for position, first in enumerate(scores[names[0]]):
        result = first.result
        out.append(
            {
                "segment": result.segment_name,
                "segment_type": result.segment_type,
                "frame_count": result.frame_count,
                "stale": result.stale,
                "thresholds": {
                    "precision": result.precision.threshold,
                    "recall": result.recall.threshold,
                    "f1_score": result.f1_score.threshold,
                },
                "results": [
                    {"inference_set": name, **scores[name][position].to_dict()} for name in names
                ],
            }
        )
    return out
