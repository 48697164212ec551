"""Layer 1: pure array kernels and the evaluations built on them."""

from shoal.engine.multilabel import MultiLabelEvaluation, evaluate_multilabel

__all__ = ["MultiLabelEvaluation", "evaluate_multilabel"]
