"""Single-label classification: one true class and one prediction per frame.

``evaluate_classifications`` validates the columns once and returns a
``ClassificationEvaluation`` that answers reports, confusion matrices, accuracies,
PR curves and threshold choices at any confidence threshold and for any segment of
frames, equal to scikit-learn's metrics at threshold 0.
"""

from shoal.engine.classification.annotations import Classifications, ClassLabels
from shoal.engine.classification.evaluator import (
    ClassificationEvaluation,
    Confidence,
    evaluate_classifications,
)

__all__ = [
    "ClassLabels",
    "ClassificationEvaluation",
    "Classifications",
    "Confidence",
    "evaluate_classifications",
]
