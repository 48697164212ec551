"""Multi-label classification: a set of true labels and a score per class for each frame.

``evaluate_multilabel`` validates the matrices once and returns a
``MultiLabelEvaluation`` that answers the per-class and averaged report, subset
accuracy, Hamming loss, the per-class confusion matrices and per-class average
precision at any threshold (global or per class), equal to scikit-learn's metrics.
"""

from shoal.engine.multilabel.annotations import MultiLabels
from shoal.engine.multilabel.evaluator import (
    MultiLabelEvaluation,
    MultiLabelThreshold,
    evaluate_multilabel,
)

__all__ = [
    "MultiLabelEvaluation",
    "MultiLabelThreshold",
    "MultiLabels",
    "evaluate_multilabel",
]
