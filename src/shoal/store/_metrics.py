"""What a metrics query of a stored inference set answers, in one object.

The numbers are the engine's (``report``, ``confusion_matrix``, ``coco_summary``,
``pr_curves``, ``best_thresholds``); this module only asks for the ones wanted, at one
operating point and frame selection, so the server, the CLI and scripts ask the same way.
"""

from __future__ import annotations

import weakref
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np

from shoal._types import Conf
from shoal.analysis._classes import MAX_MATRIX_CLASSES, bounded_classes
from shoal.engine.detection.evaluator import DetectionEvaluation
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

__all__ = [
    "INCLUDE",
    "MATCHING_PROTOCOLS",
    "Include",
    "MatchingProtocol",
    "Metrics",
    "compute_metrics",
    "outcomes_at",
    "with_protocol",
]

# How a stored detection evaluation may be asked to match: COCO's rule (what it keeps)
# or Labelbox's (docs/metrics.md), read from the same kept pairs.
MatchingProtocol = Literal["coco", "labelbox"]
MATCHING_PROTOCOLS: tuple[str, ...] = get_args(MatchingProtocol)
# Each kept evaluation's Labelbox view, built once, gone with the evaluation.
_LABELBOX_VIEWS: weakref.WeakKeyDictionary[DetectionEvaluation, DetectionEvaluation] = (
    weakref.WeakKeyDictionary()
)

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
    protocol: MatchingProtocol = "coco",
) -> Metrics:
    """The parts of ``include`` at (conf, iou) on ``frames`` (None: every frame; ``iou``
    one number or a mapping of class to IoU, classes not named at 0.5);
    ``curve_points`` downsamples each PR curve for drawing (``PRCurve.downsampled``);
    ``protocol`` the matching rule (``with_protocol``; Labelbox's has no COCO summary)."""
    evaluation = with_protocol(evaluation, protocol, iou)
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


def with_protocol(
    evaluation: Evaluation, protocol: MatchingProtocol, iou: IouThreshold
) -> Evaluation:
    """``evaluation`` matching by ``protocol``. Labelbox's rule needs every pair of an
    image with IoU above the query's, any classes: the stored evaluation keeps every
    same-class pair with IoU > 0 and the cross-class ones down to ``QUERY_IOU_FLOOR``,
    so its view reads them without matching again (built once per evaluation), for IoUs
    from that floor up (the IoU slider's whole range); a lower IoU is refused rather
    than answered short."""
    if protocol == "coco":
        return evaluation
    if protocol not in MATCHING_PROTOCOLS:
        raise InputError(
            f"unknown protocol {protocol!r}; choose from {', '.join(MATCHING_PROTOCOLS)}"
        )
    if not isinstance(evaluation, DetectionEvaluation):
        raise InputError(f"protocol={protocol!r} is for detection; classification has one rule")
    view = _LABELBOX_VIEWS.get(evaluation)
    if view is None:
        state = {**evaluation.kept_state(), "protocol": np.asarray("labelbox")}
        view = DetectionEvaluation.from_kept_state(
            evaluation.ground_truth, evaluation.predictions, state,
            similarity=evaluation.similarity,
        )  # fmt: skip
        _LABELBOX_VIEWS[evaluation] = view
    # The kept class confusions reach QUERY_IOU_FLOOR (an older kept state: the grid's
    # lowest IoU); below that, Labelbox's matching would miss some.
    floor = float(view.kept_state()["cross_floor"])
    lowest = _one_iou(iou)
    if lowest < floor - 1e-12:
        raise InputError(
            f"protocol='labelbox' answers IoU thresholds from {floor:g} (the kept class "
            f"confusions reach that low); {lowest:g} is below it"
        )
    return view


def _one_iou(iou: IouThreshold) -> float:
    """One IoU standing for ``iou``: itself, or a per-class mapping's lowest."""
    if isinstance(iou, Mapping):
        return min([float(v) for v in iou.values()], default=DEFAULT_CLASS_IOU)
    return float(iou)


def outcomes_at(
    evaluation: Evaluation,
    conf: Conf,
    iou: IouThreshold,
    frames: Sequence[str] | None,
    protocol: MatchingProtocol = "coco",
) -> Outcomes:
    """Every counted object's outcome at (conf, iou) on ``frames`` (``iou`` is ignored
    for classification), matched by ``protocol`` (``with_protocol``)."""
    evaluation = with_protocol(evaluation, protocol, iou)
    return evaluation.outcomes(conf, iou, frames=None if frames is None else list(frames))
