"""Analysis built on the engine: regression tests over segments, model comparisons, the
objects two models disagree on, a dataset's summary, the classes an answer's matrix
covers (those the data uses, up to a bound), calibration (reliability diagrams, ECE and
D-ECE), paired-bootstrap intervals of metric deltas and the label-error queue."""

from shoal.analysis._classes import MAX_COMPARED_CLASSES, MAX_MATRIX_CLASSES, involved_classes
from shoal.analysis.bootstrap import DeltaInterval, Significance, paired_bootstrap
from shoal.analysis.calibration import Calibration, Reliability, calibration, reliability
from shoal.analysis.changes import (
    CHANGES,
    Change,
    ChangedExamples,
    Verdict,
    changed_examples,
    class_verdicts,
    verdict,
)
from shoal.analysis.compare import Comparison, compare
from shoal.analysis.label_errors import (
    LabelErrors,
    classification_label_errors,
    detection_label_errors,
)
from shoal.analysis.regression import MetricCheck, SegmentResult, SegmentSpec, evaluate_segments
from shoal.analysis.summary import SegmentScores, scores_by_segment, segment_scores

__all__ = [
    "CHANGES",
    "MAX_COMPARED_CLASSES",
    "MAX_MATRIX_CLASSES",
    "Calibration",
    "Change",
    "ChangedExamples",
    "Comparison",
    "DeltaInterval",
    "LabelErrors",
    "MetricCheck",
    "Reliability",
    "SegmentResult",
    "SegmentScores",
    "SegmentSpec",
    "Significance",
    "Verdict",
    "calibration",
    "changed_examples",
    "class_verdicts",
    "classification_label_errors",
    "compare",
    "detection_label_errors",
    "evaluate_segments",
    "involved_classes",
    "paired_bootstrap",
    "reliability",
    "scores_by_segment",
    "segment_scores",
    "verdict",
]
