"""Pair similarities of keypoints, points and polylines for the detection evaluator
(``evaluate(gt, dt, similarity=...)``): each gives a value in [0, 1] per (prediction,
ground truth) pair that plays the part of the box IoU, so matching, per-object outcomes,
reports and confusion work unchanged.

* :class:`KeypointSimilarity`: COCO's object keypoint similarity (OKS), equal to
  pycocotools' ``COCOeval.computeOks``.
* :class:`PointSimilarity`: ``max(0, 1 - d / tolerance)`` with ``d`` the distance of
  the two points.
* :class:`PolylineSimilarity`: ``max(0, 1 - d / tolerance)`` with ``d`` the discrete
  Fréchet distance of the two polylines' vertex sequences.

For points and polylines a similarity ``>= t`` means exactly ``d <= (1 - t) *
tolerance``: at threshold 0.5 a prediction matches within half the tolerance, at 0
anywhere within it. The tolerance is in pixels, one value or one per ground-truth row
(e.g. a fraction of each image's diagonal: :func:`diagonal_tolerance`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shoal.engine.detection.annotations import GroundTruth, Predictions
from shoal.engine.keypoints.annotations import KeypointSchema, PointLists
from shoal.engine.keypoints.kernels import frechet_pairs, oks_pairs, oks_term_counts
from shoal.errors import InputError

__all__ = [
    "KeypointSimilarity",
    "PointSimilarity",
    "PolylineSimilarity",
    "diagonal_tolerance",
]


def _point_lists(values: PointLists | Sequence[ArrayLike], width: int, what: str) -> PointLists:
    lists = (
        values if isinstance(values, PointLists) else PointLists.from_flat(values, width, what=what)
    )
    if lists.width != width:
        raise InputError(f"{what} rows have {lists.width} numbers, expected {width}")
    return lists


def _rows(rows: ArrayLike, size: int, what: str) -> NDArray[np.int64]:
    array = np.ascontiguousarray(rows, dtype=np.int64).reshape(-1)
    if array.size and (array.min() < 0 or array.max() >= size):
        raise InputError(f"{what} row out of range (0 to {size - 1})")
    return array


class KeypointSimilarity:
    """OKS of predicted and ground-truth keypoints, as pycocotools computes it: per
    keypoint ``exp(-d^2 / (2 s^2 (2 sigma)^2))`` with ``s^2`` the ground truth's
    ``area`` (+ machine epsilon), averaged over the ground truth's visible keypoints
    (``v > 0``); a ground truth without visible keypoints measures each predicted
    keypoint's distance to its box doubled about its centre and averages over all of
    them. Predictions' visibility flags are not used. Crowds get plain OKS.

    ``gt_keypoints`` / ``dt_keypoints`` are one (x, y, v) list per row of
    ``ground_truth`` / ``predictions`` (:class:`PointLists` or flat lists);
    ``schemas`` one :class:`KeypointSchema` per class of ``ground_truth.classes``, whose
    keypoint count every row of that class must have. A pair of objects with different
    keypoint counts (classes with different keypoints) scores 0.
    """

    iou_type = "keypoints"

    def __init__(
        self,
        ground_truth: GroundTruth,
        predictions: Predictions,
        gt_keypoints: PointLists | Sequence[ArrayLike],
        dt_keypoints: PointLists | Sequence[ArrayLike],
        schemas: Sequence[KeypointSchema],
    ) -> None:
        gt_points = _point_lists(gt_keypoints, 3, "ground-truth keypoints")
        dt_points = _point_lists(dt_keypoints, 3, "predicted keypoints")
        if len(schemas) != len(ground_truth.classes):
            raise InputError(
                f"{len(schemas)} keypoint schemas for {len(ground_truth.classes)} classes"
            )
        for what, points, labels in (
            ("ground-truth", gt_points, ground_truth.label),
            ("predicted", dt_points, predictions.label),
        ):
            if len(points) != labels.size:
                raise InputError(f"{len(points)} {what} keypoint lists for {labels.size} rows")
            expected = np.array([len(s) for s in schemas], np.int64)[labels]
            wrong = np.flatnonzero(points.counts != expected)
            if wrong.size:
                row = int(wrong[0])
                raise InputError(
                    f"{what} row {row} has {int(points.counts[row])} keypoints; its class "
                    f"{str(ground_truth.classes.names[labels[row]])!r} has {int(expected[row])}",
                    record=row,
                )
        self.schemas = tuple(schemas)
        self.gt_keypoints = gt_points
        self.dt_keypoints = dt_points
        self._gt_box = np.ascontiguousarray(ground_truth.box, np.float64)
        self._gt_area = np.ascontiguousarray(ground_truth.area, np.float64)
        # pycocotools' vars = (sigmas * 2) ** 2, per class, laid end to end.
        variances = [(s.sigmas * 2) ** 2 for s in schemas]
        starts = np.zeros(len(variances) + 1, np.int64)
        np.cumsum([v.size for v in variances], out=starts[1:])
        self._variances = np.concatenate(variances) if variances else np.zeros(0)
        self._gt_vars = starts[:-1][ground_truth.label] if len(schemas) else np.zeros(0, np.int64)
        self._gt_terms = oks_term_counts(gt_points.offsets, gt_points.points)

    def pair_values(
        self, dt_rows: NDArray[np.int64], gt_rows: NDArray[np.int64]
    ) -> NDArray[np.float64]:
        """OKS of each pair (prediction ``dt_rows[i]``, ground truth ``gt_rows[i]``)."""
        dt = _rows(dt_rows, len(self.dt_keypoints), "prediction")
        gt = _rows(gt_rows, len(self.gt_keypoints), "ground-truth")
        if dt.size != gt.size:
            raise InputError(f"{dt.size} prediction rows for {gt.size} ground-truth rows")
        return oks_pairs(
            dt, gt,
            dt_offsets=self.dt_keypoints.offsets, dt_points=self.dt_keypoints.points,
            gt_offsets=self.gt_keypoints.offsets, gt_points=self.gt_keypoints.points,
            gt_box=self._gt_box, gt_area=self._gt_area, gt_vars=self._gt_vars,
            variances=self._variances, gt_terms=self._gt_terms,
        )  # fmt: skip


def diagonal_tolerance(fraction: float, width: ArrayLike, height: ArrayLike) -> NDArray[np.float64]:
    """``fraction`` of the diagonal of images of ``width`` x ``height`` pixels (arrays:
    one value per ground-truth row), a tolerance relative to the image size."""
    return float(fraction) * np.hypot(np.asarray(width, np.float64), np.asarray(height, np.float64))


class _DistanceSimilarity:
    """``max(0, 1 - d / tolerance)`` of a distance ``d`` between two objects' points."""

    iou_type = ""

    def __init__(
        self,
        gt_points: PointLists | Sequence[ArrayLike],
        dt_points: PointLists | Sequence[ArrayLike],
        tolerance: float | ArrayLike,
    ) -> None:
        self.gt_points = _point_lists(gt_points, 2, f"ground-truth {self.iou_type}")
        self.dt_points = _point_lists(dt_points, 2, f"predicted {self.iou_type}")
        tolerances = np.asarray(tolerance, np.float64).reshape(-1)
        if tolerances.size == 1:
            tolerances = np.full(len(self.gt_points), tolerances[0])
        if tolerances.size != len(self.gt_points):
            raise InputError(
                f"{tolerances.size} tolerances for {len(self.gt_points)} ground-truth rows"
            )
        if not (np.isfinite(tolerances) & (tolerances > 0)).all():
            raise InputError("the tolerance must be a finite distance above 0 pixels")
        self.tolerance = tolerances

    def distances(
        self, dt_rows: NDArray[np.int64], gt_rows: NDArray[np.int64]
    ) -> NDArray[np.float64]:
        raise NotImplementedError

    def pair_values(
        self, dt_rows: NDArray[np.int64], gt_rows: NDArray[np.int64]
    ) -> NDArray[np.float64]:
        """Similarity of each pair (prediction ``dt_rows[i]``, ground truth ``gt_rows[i]``)."""
        dt = _rows(dt_rows, len(self.dt_points), "prediction")
        gt = _rows(gt_rows, len(self.gt_points), "ground-truth")
        if dt.size != gt.size:
            raise InputError(f"{dt.size} prediction rows for {gt.size} ground-truth rows")
        values: NDArray[np.float64] = np.maximum(
            0.0, 1.0 - self.distances(dt, gt) / self.tolerance[gt]
        )
        return values


class PointSimilarity(_DistanceSimilarity):
    """Points (one (x, y) per object) matched within ``tolerance`` pixels:
    ``max(0, 1 - distance / tolerance)``."""

    iou_type = "points"

    def __init__(
        self,
        gt_points: PointLists | Sequence[ArrayLike],
        dt_points: PointLists | Sequence[ArrayLike],
        tolerance: float | ArrayLike,
    ) -> None:
        super().__init__(gt_points, dt_points, tolerance)
        for what, lists in (("ground-truth", self.gt_points), ("predicted", self.dt_points)):
            wrong = np.flatnonzero(lists.counts != 1)
            if wrong.size:
                row = int(wrong[0])
                raise InputError(
                    f"{what} point {row} has {int(lists.counts[row])} points, not one "
                    "(a multi-point shape is one object per point)",
                    record=row,
                )

    def distances(
        self, dt_rows: NDArray[np.int64], gt_rows: NDArray[np.int64]
    ) -> NDArray[np.float64]:
        """Euclidean distance of each pair's points."""
        delta = self.dt_points.points[dt_rows] - self.gt_points.points[gt_rows]
        distance: NDArray[np.float64] = np.sqrt(
            delta[:, 0] * delta[:, 0] + delta[:, 1] * delta[:, 1]
        )
        return distance


class PolylineSimilarity(_DistanceSimilarity):
    """Polylines (each object's vertices in drawing order) matched within ``tolerance``
    pixels of discrete Fréchet distance: ``max(0, 1 - frechet / tolerance)``. The
    Fréchet distance is the shortest leash joining two walkers that go along the two
    vertex sequences, each from start to end, never backwards; ``either_direction``
    also tries the ground truth walked backwards (for lines without a direction)."""

    iou_type = "polylines"

    def __init__(
        self,
        gt_points: PointLists | Sequence[ArrayLike],
        dt_points: PointLists | Sequence[ArrayLike],
        tolerance: float | ArrayLike,
        *,
        either_direction: bool = False,
    ) -> None:
        super().__init__(gt_points, dt_points, tolerance)
        self.either_direction = bool(either_direction)

    def distances(
        self, dt_rows: NDArray[np.int64], gt_rows: NDArray[np.int64]
    ) -> NDArray[np.float64]:
        """Discrete Fréchet distance of each pair (infinity when a polyline has no vertex)."""
        return frechet_pairs(
            dt_rows, gt_rows,
            dt_offsets=self.dt_points.offsets, dt_points=self.dt_points.points,
            gt_offsets=self.gt_points.offsets, gt_points=self.gt_points.points,
            either_direction=self.either_direction,
        )  # fmt: skip
