"""Mask IoU straight from RLE runs (no decoding), as pycocotools' ``maskUtils.iou``.

Layouts: ``predictions`` (D) and ``ground_truth`` (G) are sequences of ``Rle``;
``iscrowd`` (G,) bool. The result is (D, G) float64, like pycocotools' ``iou(dt, gt,
iscrowd)``. IoU is intersection / union, or intersection / the prediction's area for
a crowd ground truth (COCO's rule), and 0 where the masks' boxes do not overlap or
the masks share no pixel. Every pair goes through the C kernel of ``column.py``
(``mask_pair_ious``), which evaluations call on mask columns directly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shoal.engine.masks.column import mask_pair_ious, masks_from_rles
from shoal.engine.masks.rle import Rle
from shoal.errors import InputError

__all__ = ["mask_iou"]


def mask_iou(
    predictions: Sequence[Rle], ground_truth: Sequence[Rle], iscrowd: ArrayLike | None = None
) -> NDArray[np.float64]:
    """IoU (D, G) of every prediction mask with every ground-truth mask (see the
    module's layouts); every prediction must have the size of every ground truth."""
    num_dt, num_gt = len(predictions), len(ground_truth)
    crowd = np.zeros(num_gt, bool) if iscrowd is None else np.asarray(iscrowd, bool).reshape(-1)
    if crowd.size != num_gt:
        raise InputError(f"iscrowd has {crowd.size} values for {num_gt} ground-truth masks")
    if num_dt == 0 or num_gt == 0:
        return np.zeros((num_dt, num_gt), np.float64)
    dt_rows = np.repeat(np.arange(num_dt, dtype=np.int64), num_gt)
    gt_rows = np.tile(np.arange(num_gt, dtype=np.int64), num_dt)
    values = mask_pair_ious(
        masks_from_rles(predictions), masks_from_rles(ground_truth), dt_rows, gt_rows, crowd
    )
    return values.reshape(num_dt, num_gt)
