"""Analysis built on the engine: regression tests over segments, model comparisons, and
the classes an answer's matrix covers (those the data uses, up to a bound)."""

from shoal.analysis._classes import MAX_COMPARED_CLASSES, MAX_MATRIX_CLASSES, involved_classes
from shoal.analysis.compare import Comparison, compare
from shoal.analysis.regression import MetricCheck, SegmentResult, SegmentSpec, evaluate_segments

__all__ = [
    "MAX_COMPARED_CLASSES",
    "MAX_MATRIX_CLASSES",
    "Comparison",
    "MetricCheck",
    "SegmentResult",
    "SegmentSpec",
    "compare",
    "evaluate_segments",
    "involved_classes",
]
