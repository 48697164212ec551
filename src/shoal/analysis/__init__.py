"""Analysis built on the engine: regression tests over segments, model comparisons."""

from shoal.analysis.compare import Comparison, compare
from shoal.analysis.regression import MetricCheck, SegmentResult, SegmentSpec, evaluate_segments

__all__ = [
    "Comparison",
    "MetricCheck",
    "SegmentResult",
    "SegmentSpec",
    "compare",
    "evaluate_segments",
]
