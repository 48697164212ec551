"""Layer 1: pure array kernels and the evaluations built on them."""

from shoal.engine.masks import Rle, mask_iou, rle_from_coco
from shoal.engine.multilabel import MultiLabelEvaluation, evaluate_multilabel

__all__ = ["MultiLabelEvaluation", "Rle", "evaluate_multilabel", "mask_iou", "rle_from_coco"]
