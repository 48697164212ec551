"""What a metrics query of a stored inference set answers, in one object.

The numbers are the engine's (``report``, ``confusion_matrix``, ``coco_summary``,
``pr_curves``, ``best_thresholds``); this module only asks for the ones wanted, at one
operating point and frame selection, so the server, the CLI and scripts ask the same way.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from shoal._types import Conf
from shoal.analysis._classes import MAX_MATRIX_CLASSES, bounded_classes
from shoal.engine.detection.metrics import CocoSummary
from shoal.engine.evaluation import Evaluation
from shoal.engine.metrics import (
    ClassificationReport,
    ConfusionMatrix,
    Outcomes,
    PRCurve,
    ThresholdChoice,
)
from shoal.engine.thresholds import DEFAULT_CLASS_IOU, IouThreshold
from shoal.errors import InputError

# The label of the pooled curve a detection's ``pr_curves`` includes.
POOLED_DETECTION = "all"

__all__ = ["INCLUDE", "Include", "Metrics", "compute_metrics", "outcomes_at"]

Include = Literal["report", "confusion_matrix", "coco_summary", "pr_curves", "best_thresholds"]
INCLUDES: tuple[str, ...] = get_args(Include)
INCLUDE: tuple[Include, ...] = (
    "report",
    "confusion_matrix",
    "coco_summary",
    "pr_curves",
    "best_thresholds",
)


@dataclass(frozen=True)
class Metrics:
    """The metrics of one inference set (at ``version``); a part not asked for (or not
    defined for the task: ``coco_summary`` of classification) is None."""

    version: int
    report: ClassificationReport | None = None
    confusion_matrix: ConfusionMatrix | None = None
    coco_summary: CocoSummary | None = None
    pr_curves: dict[str, PRCurve] | None = None
    best_thresholds: dict[str, ThresholdChoice] | None = None
    # The evaluation's IoU grid (``Evaluation.iou_thresholds``): what an IoU slider offers.
    iou_thresholds: tuple[float, ...] = ()
    # What detection matched on (pycocotools' names: "bbox", "segm", "keypoints"; or
    # "points", "polylines"); None for classification.
    iou_type: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The parts computed, as JSON-ready dicts (the REST answer's shape)."""
        out: dict[str, Any] = {
            "version": self.version,
            "iou_thresholds": list(self.iou_thresholds),
            "iou_type": self.iou_type,
        }
        if self.report is not None:
            out["report"] = self.report.to_dict()
        if self.confusion_matrix is not None:
            out["confusion_matrix"] = self.confusion_matrix.to_dict()
        if self.coco_summary is not None:
            out["coco_summary"] = self.coco_summary.to_dict()
        if self.pr_curves is not None:
            out["pr_curves"] = {k: v.to_dict() for k, v in self.pr_curves.items()}
        if self.best_thresholds is not None:
            out["best_thresholds"] = {k: v.to_dict() for k, v in self.best_thresholds.items()}
        return out


def compute_metrics(
    evaluation: Evaluation,
    version: int,
    include: Collection[Include],
    conf: Conf,
    iou: IouThreshold,
    frames: Sequence[str] | None,
    curve_points: int | None = None,
) -> Metrics:
    """The parts of ``include`` at (conf, iou) on ``frames`` (None: every frame; ``iou``
    one number or a mapping of class to IoU, classes not named at 0.5);
    ``curve_points`` downsamples each PR curve for drawing (``PRCurve.downsampled``)."""
    selection = None if frames is None else list(frames)
    wanted = set(include)
    unknown = sorted(wanted - set(INCLUDES))
    if unknown:
        raise InputError(
            f"unknown metrics {', '.join(map(repr, unknown))} in include; choose from "
            + ", ".join(INCLUDES)
        )
    report = matrix = summary = curves = best = None
    if "report" in wanted:
        report = evaluation.report(conf, iou, frames=selection)
    if "confusion_matrix" in wanted:
        # Over the classes the data involves, not every declared one (its square).
        # The classes involved do not depend on the IoU (read at conf 0): one number does.
        classes = bounded_classes(
            [evaluation],
            _one_iou(iou),
            selection,
            limit=MAX_MATRIX_CLASSES,
            what="the confusion matrix",
        )
        matrix = evaluation.confusion_matrix(conf, iou, frames=selection, classes=classes)
    if "coco_summary" in wanted and evaluation.has_coco_summary:
        summary = evaluation.coco_summary(frames=selection)
    if "pr_curves" in wanted:
        curves = evaluation.pr_curves(iou=iou, frames=selection)
        if POOLED_DETECTION not in curves:
            # Classification's per-class curves leave out the pooled one ("micro avg");
            # detection's already hold it ("all"), which would cost as much again.
            pooled = evaluation.pr_curve(None, iou=iou, frames=selection)
            curves[pooled.label] = pooled
    if "best_thresholds" in wanted:
        best = evaluation.best_thresholds(iou=iou, frames=selection)
    if curves is not None and curve_points is not None:
        curves = {k: v.downsampled(curve_points) for k, v in curves.items()}
    # Read last: an IoU off the grid has just been matched and joined it.
    grid = evaluation.iou_thresholds
    params = getattr(evaluation, "params", None)  # detection's CocoParams
    iou_type = params.iou_type if params is not None else None
    return Metrics(version, report, matrix, summary, curves, best, grid, iou_type)


def _one_iou(iou: IouThreshold) -> float:
    """One IoU standing for ``iou``: itself, or a per-class mapping's lowest."""
    if isinstance(iou, Mapping):
        return min([float(v) for v in iou.values()], default=DEFAULT_CLASS_IOU)
    return float(iou)


def outcomes_at(
    evaluation: Evaluation, conf: Conf, iou: IouThreshold, frames: Sequence[str] | None
) -> Outcomes:
    """Every counted object's outcome at (conf, iou) on ``frames`` (``iou`` is ignored
    for classification)."""
    return evaluation.outcomes(conf, iou, frames=None if frames is None else list(frames))
