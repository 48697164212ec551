"""Regression tests: each segment's metrics against its own pass/fail thresholds.

Scores are pooled over every class (micro averages): ``precision`` = TP / (TP + FP),
``recall`` = TP / (TP + FN), ``f1_score`` their harmonic mean, at one confidence and IoU
threshold. ``false_positives`` and ``false_negatives`` are the report's totals;
``total_confusions`` counts the confusion matrix's off-diagonal cells between classes
(background excluded). Each metric is compared with its own threshold (``score >=
threshold``); ``succeeds`` is None where no threshold is set.

A stale segment (one the dataset's current version no longer has: a saved query that
no longer runs after a replace removed a field it reads, or listed frames a replace
removed) has no frames to score: its result says
why (``stale``), scores 0 on no frames, and fails (``succeeds`` False) whatever its
thresholds, while every other segment is scored as usual.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from shoal._types import Conf
from shoal.analysis._classes import involved_classes
from shoal.engine.evaluation import Evaluation
from shoal.engine.metrics import ClassificationReport, ConfusionMatrix

__all__ = ["Evaluation", "MetricCheck", "SegmentResult", "SegmentSpec", "evaluate_segments"]

THRESHOLD_METRICS = ("precision", "recall", "f1_score")


@dataclass(frozen=True)
class SegmentSpec:
    """What a regression test needs to know of a segment (``frame_ids`` None = all)."""

    name: str
    type: str
    uuid: str
    frame_ids: Sequence[str] | None
    thresholds: Mapping[str, float | None]
    # Why the segment's frames cannot be known (its saved query no longer runs, or its
    # frames are gone); None for a segment in order.
    stale: str | None = None


@dataclass(frozen=True)
class MetricCheck:
    score: float
    threshold: float | None = None

    @property
    def succeeds(self) -> bool | None:
        return None if self.threshold is None else bool(self.score >= self.threshold)

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "threshold": self.threshold, "succeeds": self.succeeds}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MetricCheck:
        """The check :meth:`to_dict` wrote (``succeeds`` follows from the two numbers)."""
        threshold = data.get("threshold")
        return cls(float(data["score"]), None if threshold is None else float(threshold))


@dataclass(frozen=True)
class SegmentResult:
    segment_name: str
    segment_type: str
    uuid: str
    frame_count: int
    precision: MetricCheck
    recall: MetricCheck
    f1_score: MetricCheck
    false_positives: int
    false_negatives: int
    total_confusions: int
    stale: str | None = None

    @property
    def succeeds(self) -> bool | None:
        """False if the segment is stale or any thresholded metric fails, True if all
        pass, None if none is set."""
        if self.stale is not None:
            return False
        verdicts = [m.succeeds for m in (self.precision, self.recall, self.f1_score)]
        decided = [v for v in verdicts if v is not None]
        return None if not decided else all(decided)

    def to_dict(self) -> dict[str, Any]:
        """The regression-test payload, one entry per segment, with the segment's verdict
        (``succeeds``: None when no threshold is set) so that no face derives it again."""
        return {
            "segment_name": self.segment_name,
            "frame_count": self.frame_count,
            "precision": self.precision.to_dict(),
            "recall": self.recall.to_dict(),
            "f1_score": self.f1_score.to_dict(),
            "false_positives": {"score": self.false_positives},
            "false_negatives": {"score": self.false_negatives},
            "total_confusions": {"score": self.total_confusions},
            "segment_type": self.segment_type,
            "uuid": self.uuid,
            "succeeds": self.succeeds,
            "stale": self.stale,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SegmentResult:
        """The result :meth:`to_dict` wrote (e.g. one entry of the REST answer)."""
        return cls(
            segment_name=str(data["segment_name"]),
            segment_type=str(data["segment_type"]),
            uuid=str(data["uuid"]),
            frame_count=int(data["frame_count"]),
            precision=MetricCheck.from_dict(data["precision"]),
            recall=MetricCheck.from_dict(data["recall"]),
            f1_score=MetricCheck.from_dict(data["f1_score"]),
            false_positives=int(data["false_positives"]["score"]),
            false_negatives=int(data["false_negatives"]["score"]),
            total_confusions=int(data["total_confusions"]["score"]),
            stale=None if data.get("stale") is None else str(data["stale"]),
        )


def report_and_matrix(
    evaluation: Evaluation, conf: Conf, iou: float, frames: Sequence[str] | None
) -> tuple[ClassificationReport, ConfusionMatrix]:
    """The report and confusion matrix at (conf, iou) on ``frames``, over the classes
    the data involves there (every other class counts 0 everywhere; a matrix over the
    project's whole class list would cost its square)."""
    classes = involved_classes([evaluation], iou, frames)
    return (
        evaluation.report(conf, iou, frames=frames, classes=classes),
        evaluation.confusion_matrix(conf, iou, frames=frames, classes=classes),
    )


def evaluate_segments(
    evaluation: Evaluation,
    segments: Sequence[SegmentSpec],
    *,
    conf: Conf,
    iou: float = 0.5,
) -> list[SegmentResult]:
    """Every segment's regression-test result at (conf, iou); ``iou`` is ignored for
    classification."""
    results = []
    for segment in segments:
        if segment.stale is not None:
            results.append(_stale_result(segment))
            continue
        frames = None if segment.frame_ids is None else list(segment.frame_ids)
        report, matrix = report_and_matrix(evaluation, conf, iou, frames)
        micro = report.averages()["micro avg"]
        cells = matrix.matrix[:-1, :-1]
        confusions = int(cells.sum() - np.trace(cells))
        thresholds = segment.thresholds
        count = len(frames) if frames is not None else evaluation.num_frames
        results.append(
            SegmentResult(
                segment_name=segment.name,
                segment_type=segment.type,
                uuid=segment.uuid,
                frame_count=count,
                precision=MetricCheck(float(micro["precision"]), thresholds.get("precision")),
                recall=MetricCheck(float(micro["recall"]), thresholds.get("recall")),
                f1_score=MetricCheck(float(micro["f1-score"]), thresholds.get("f1_score")),
                false_positives=int(report.fp.sum()),
                false_negatives=int(report.fn.sum()),
                total_confusions=confusions,
            )
        )
    return results


def _stale_result(segment: SegmentSpec) -> SegmentResult:
    """The failing result of a segment whose frames cannot be known."""
    thresholds = segment.thresholds
    return SegmentResult(
        segment_name=segment.name,
        segment_type=segment.type,
        uuid=segment.uuid,
        frame_count=0,
        precision=MetricCheck(0.0, thresholds.get("precision")),
        recall=MetricCheck(0.0, thresholds.get("recall")),
        f1_score=MetricCheck(0.0, thresholds.get("f1_score")),
        false_positives=0,
        false_negatives=0,
        total_confusions=0,
        stale=segment.stale,
    )
