"""Layer 1: pure array kernels and the evaluations built on them.

The names below load on first use: importing ``shoal.engine.detection`` (what ``shoal
eval`` needs) must not load the classification, multi-label or mask kernels too.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shoal.engine.masks import Rle, mask_iou, rle_from_coco
    from shoal.engine.multilabel import MultiLabelEvaluation, evaluate_multilabel

__all__ = ["MultiLabelEvaluation", "Rle", "evaluate_multilabel", "mask_iou", "rle_from_coco"]

_HOMES = {
    "MultiLabelEvaluation": "shoal.engine.multilabel",
    "evaluate_multilabel": "shoal.engine.multilabel",
    "Rle": "shoal.engine.masks",
    "mask_iou": "shoal.engine.masks",
    "rle_from_coco": "shoal.engine.masks",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'shoal.engine' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
