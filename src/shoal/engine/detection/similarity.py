"""How the detection evaluator scores a (prediction, ground truth) pair.

The evaluator matches on a similarity in [0, 1] per pair: box IoU by default, and any
other geometry (mask IoU, keypoint OKS, point or polyline distances) through a
``PairSimilarity``. It asks for every pair it needs in one batch (the pairs of each
(frame, class) group that has both sides, in the kernel's order; the cross-class
confusion candidates; the partners of ``outcomes``), so an implementation is a
vectorised kernel over row pairs, never a Python loop per pair.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from shoal.engine.detection import kernels
from shoal.errors import InputError

if TYPE_CHECKING:
    from shoal.engine.detection.annotations import GroundTruth, Predictions

__all__ = ["BoxSimilarity", "ConcatenatedSimilarity", "PairSimilarity", "checked_pair_values"]


@runtime_checkable
class PairSimilarity(Protocol):
    """The similarity of (prediction, ground truth) row pairs.

    ``iou_type`` names the geometry: ``"bbox"``, ``"segm"``, ``"keypoints"``,
    ``"points"`` or ``"polylines"``.
    """

    iou_type: str

    def pair_values(
        self, dt_rows: NDArray[np.int64], gt_rows: NDArray[np.int64]
    ) -> NDArray[np.float64]:
        """Similarity in [0, 1] (IoU, OKS, ...) of each pair (predictions row
        ``dt_rows[i]``, ground-truth row ``gt_rows[i]``); rows index the GroundTruth /
        Predictions given to evaluate. For a crowd ground-truth row it returns what
        pycocotools computes for crowds (boxes and masks: intersection over the
        prediction's area; OKS: plain OKS). Thread-safe and deterministic."""
        ...


class BoxSimilarity:
    """Box IoU as a ``PairSimilarity``: pycocotools' ``bbIou`` operations in the same
    order as the evaluator's own box path, so ``evaluate(similarity=BoxSimilarity(gt,
    dt))`` equals ``evaluate()`` bit for bit (crowd rows: intersection over the
    prediction's area). ``pixel_inclusive``: the VOC devkit's "+1 pixel" convention."""

    iou_type = "bbox"

    def __init__(
        self, ground_truth: GroundTruth, predictions: Predictions, *, pixel_inclusive: bool = False
    ) -> None:
        self._gt_box = ground_truth.box
        self._gt_crowd = ground_truth.iscrowd
        self._dt_box = predictions.box
        self._pixel_inclusive = bool(pixel_inclusive)

    def pair_values(
        self, dt_rows: NDArray[np.int64], gt_rows: NDArray[np.int64]
    ) -> NDArray[np.float64]:
        return kernels.pair_ious(
            self._dt_box[dt_rows], self._gt_box[gt_rows], self._gt_crowd[gt_rows],
            self._pixel_inclusive,
        )  # fmt: skip


class ConcatenatedSimilarity:
    """The similarity of evaluations of disjoint frame sets concatenated (what
    ``DetectionEvaluation.merge_all`` builds): rows are offset into each part's rows.
    Every pair the evaluator asks for lies in one frame, hence in one part."""

    def __init__(
        self,
        parts: Sequence[PairSimilarity],
        gt_offsets: NDArray[np.int64],
        dt_offsets: NDArray[np.int64],
    ) -> None:
        kinds = {part.iou_type for part in parts}
        if len(kinds) != 1:
            raise InputError(f"cannot merge evaluations of different geometries {sorted(kinds)}")
        self.iou_type = kinds.pop()
        self._parts = list(parts)
        # Part starts, with the total as the last entry.
        self._gt_offsets = np.asarray(gt_offsets, np.int64)
        self._dt_offsets = np.asarray(dt_offsets, np.int64)

    def pair_values(
        self, dt_rows: NDArray[np.int64], gt_rows: NDArray[np.int64]
    ) -> NDArray[np.float64]:
        dt_rows, gt_rows = np.asarray(dt_rows, np.int64), np.asarray(gt_rows, np.int64)
        part_of = np.searchsorted(self._dt_offsets, dt_rows, side="right") - 1
        gt_part = np.searchsorted(self._gt_offsets, gt_rows, side="right") - 1
        if not np.array_equal(part_of, gt_part):
            raise InputError("a pair spans two merged evaluations")
        out = np.empty(dt_rows.size, np.float64)
        for p, part in enumerate(self._parts):
            at = np.flatnonzero(part_of == p)
            if at.size:
                out[at] = part.pair_values(
                    dt_rows[at] - self._dt_offsets[p], gt_rows[at] - self._gt_offsets[p]
                )
        return out


def checked_pair_values(
    similarity: PairSimilarity, dt_rows: NDArray[np.int64], gt_rows: NDArray[np.int64]
) -> NDArray[np.float64]:
    """``similarity.pair_values`` as contiguous float64, checked to be one finite value
    in [0, 1] per pair (an implementation's bug named, not matched on). Values are kept
    as given, a rounding above 1 too (pycocotools' crowd IoU can be 1 + 2e-16)."""
    if dt_rows.size == 0:
        return np.empty(0, np.float64)
    values = np.ascontiguousarray(similarity.pair_values(dt_rows, gt_rows), dtype=np.float64)
    if values.shape != dt_rows.shape:
        raise InputError(
            f"{type(similarity).__name__}.pair_values returned {values.shape} values "
            f"for {dt_rows.size} pairs"
        )
    bad = ~((values >= 0.0) & (values <= 1.0 + 1e-9))
    if bad.any():
        at = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{type(similarity).__name__}.pair_values gave {values[at]} (not in [0, 1]) for "
            f"prediction row {int(dt_rows[at])} and ground-truth row {int(gt_rows[at])}"
        )
    return values
