"""What each point of an embedding view is, on arrays: the categories of the objects'
outcomes and each frame's true positives, false positives and false negatives with its
precision, recall and F1, all read from the engine's ``Outcomes`` at one operating point
(no matching of its own). ``shoal.store._projection_colors`` maps them onto a
projection's elements; docs/embeddings.md ("Colors") defines every category.

An object's outcome is one *pair code*: ``outcome * len(REASON_NAMES) + reason`` (the
engine's codes), so every scheme below is a lookup table from pair codes to category
positions (-1: none).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from shoal.engine.metrics import (
    BACKGROUND_REASON,
    CLASS_CONFUSION,
    DUPLICATE,
    FN,
    FP,
    GROUND_TRUTH,
    LOCALIZATION,
    MISSED,
    NO_REASON,
    OUTCOME_NAMES,
    PREDICTION,
    REASON_NAMES,
    TP,
    Outcomes,
)

__all__ = [
    "CLASSIFICATION_OUTCOMES",
    "CONFUSIONS",
    "FRAME_OUTCOMES",
    "NO_ERRORS",
    "OBJECT_OUTCOMES",
    "FrameCounts",
    "PointColors",
    "frame_counts",
    "frame_outcomes",
    "most_common",
    "pair_codes",
    "pair_lookup",
]

PAIRS = len(OUTCOME_NAMES) * len(REASON_NAMES)
OBJECT_OUTCOMES = ("TP", "FP", "FN")
# An object's confusion type: its outcome split by the engine's reason.
CONFUSIONS = (
    "TP",
    "wrong class",
    "FP (localization)",
    "FP (duplicate)",
    "FP (background)",
    "FN (localization)",
    "FN (missed)",
)
NO_ERRORS = "no errors"
FRAME_OUTCOMES = (NO_ERRORS, "FP only", "FN only", "FP and FN")
# A classification frame (the image is the object): its ground truth row's outcome.
CLASSIFICATION_OUTCOMES = ("correct", "wrong class", "below threshold")


def pair_codes(outcomes: Outcomes) -> NDArray[np.int16]:
    """Each outcome row's (outcome, reason) as one code."""
    return outcomes.outcome_code.astype(np.int16) * len(REASON_NAMES) + outcomes.reason_code


def _pair(outcome: int, reason: int) -> int:
    return outcome * len(REASON_NAMES) + reason


def pair_lookup(scheme: str) -> NDArray[np.int16]:
    """Pair code -> category position (-1 none) of ``scheme``: ``outcome`` (TP, FP, FN),
    ``confusion`` (:data:`CONFUSIONS`) or ``classification`` (a ground truth row's
    :data:`CLASSIFICATION_OUTCOMES`)."""
    table = np.full(PAIRS, -1, np.int16)
    if scheme == "outcome":
        for outcome in (TP, FP, FN):
            for reason in range(len(REASON_NAMES)):
                table[_pair(outcome, reason)] = outcome
    elif scheme == "confusion":
        table[_pair(TP, NO_REASON)] = 0
        table[_pair(FP, CLASS_CONFUSION)] = 1
        table[_pair(FN, CLASS_CONFUSION)] = 1
        table[_pair(FP, LOCALIZATION)] = 2
        table[_pair(FP, DUPLICATE)] = 3
        table[_pair(FP, BACKGROUND_REASON)] = 4
        table[_pair(FN, LOCALIZATION)] = 5
        table[_pair(FN, MISSED)] = 6
    elif scheme == "classification":
        table[_pair(TP, NO_REASON)] = 0
        table[_pair(FN, CLASS_CONFUSION)] = 1
        table[_pair(FN, MISSED)] = 2
    else:
        raise ValueError(f"unknown scheme {scheme!r}")
    return table


@dataclass(frozen=True)
class FrameCounts:
    """Per frame (rows of a frames table): counted true positives (predictions), false
    positives and false negatives at one operating point, the sum and count of the
    counted predictions' confidences."""

    tp: NDArray[np.int64]
    fp: NDArray[np.int64]
    fn: NDArray[np.int64]
    confidence_sum: NDArray[np.float64]

    def precision(self) -> NDArray[np.float64]:
        """TP / (TP + FP); NaN for a frame without counted predictions."""
        return _ratio(self.tp, self.tp + self.fp)

    def recall(self) -> NDArray[np.float64]:
        """TP / (TP + FN); NaN for a frame without counted ground truth."""
        return _ratio(self.tp, self.tp + self.fn)

    def f1(self) -> NDArray[np.float64]:
        """2 TP / (2 TP + FP + FN) (the harmonic mean of precision and recall, 0 when
        either is 0); NaN for a frame with neither predictions nor ground truth."""
        return _ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn)

    def mean_confidence(self) -> NDArray[np.float64]:
        """The mean confidence of the frame's counted predictions (NaN if none)."""
        return _ratio(self.confidence_sum, self.tp + self.fp)


def _ratio(numerator: NDArray[Any], denominator: NDArray[Any]) -> NDArray[np.float64]:
    out = np.full(denominator.shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def frame_counts(outcomes: Outcomes, frame_row: NDArray[np.int64], num_frames: int) -> FrameCounts:
    """Each frame's counts from the outcome rows (``frame_row``: each row's frame, -1 for
    none). A true positive has a prediction row and a ground truth row: its prediction
    counts; a false negative is a ground truth row (as the bootstrap counts them)."""
    known = frame_row >= 0
    is_prediction = outcomes.kind_code == PREDICTION
    code = outcomes.outcome_code

    def count(mask: NDArray[np.bool_]) -> NDArray[np.int64]:
        rows = frame_row[mask & known]
        return np.bincount(rows, minlength=num_frames).astype(np.int64)

    predicted = is_prediction & known
    confidence = np.nan_to_num(outcomes.confidence[predicted])
    return FrameCounts(
        tp=count(is_prediction & (code == TP)),
        fp=count(is_prediction & (code == FP)),
        fn=count((outcomes.kind_code == GROUND_TRUTH) & (code == FN)),
        confidence_sum=np.bincount(frame_row[predicted], confidence, minlength=num_frames).astype(
            np.float64
        ),
    )


def frame_outcomes(counts: FrameCounts) -> NDArray[np.int16]:
    """Each frame's :data:`FRAME_OUTCOMES` position: whether it has false positives,
    false negatives, both or neither."""
    return ((counts.fp > 0).astype(np.int16) + 2 * (counts.fn > 0)).astype(np.int16)


def most_common(
    frame_row: NDArray[np.int64],
    category: NDArray[np.int16],
    num_frames: int,
    num_categories: int,
    *,
    skip: int | None = None,
) -> NDArray[np.int16]:
    """Per frame, the category most of its rows have (ties: the earlier category), -1
    for a frame without rows; ``skip``: a category that counts only when the frame has
    no other (e.g. TP when looking for the frame's main error)."""
    keep = (frame_row >= 0) & (category >= 0)
    counts = np.bincount(
        frame_row[keep] * num_categories + category[keep], minlength=num_frames * num_categories
    ).reshape(num_frames, num_categories)
    ranked = counts
    if skip is not None:
        ranked = counts.copy()
        ranked[:, skip] = 0
    best: NDArray[np.int16] = ranked.argmax(axis=1).astype(np.int16)
    if skip is not None:
        only_skipped = ranked.max(axis=1) == 0
        best[only_skipped] = skip
    best[counts.sum(axis=1) == 0] = -1
    return best


@dataclass(frozen=True, eq=False)
class PointColors:
    """One color value per element: ``categories`` with ``codes`` (index into them, -1:
    no value) when ``type`` is ``categorical``; ``values`` (NaN: no value) with their
    ``min`` and ``max`` when ``continuous``. ``in_scope``: the elements whose frame the
    segment and query keep (None: all). ``definition`` says what the values are."""

    color_by: str
    type: Literal["categorical", "continuous"]
    definition: str
    categories: tuple[str, ...] | None = None
    codes: NDArray[np.int32] | None = None
    values: NDArray[np.float64] | None = None
    min: float | None = None
    max: float | None = None
    in_scope: NDArray[np.bool_] | None = None

    def __len__(self) -> int:
        held = self.codes if self.codes is not None else self.values
        return 0 if held is None else len(held)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PointColors:
        """The colors ``to_dict`` (or the REST answer) wrote: lists back to arrays,
        null values as NaN."""

        def array(key: str, dtype: Any, missing: Any) -> NDArray[Any] | None:
            found = data.get(key)
            if found is None:
                return None
            return np.asarray([missing if v is None else v for v in found], dtype)

        categories = data.get("categories")
        return cls(
            color_by=str(data["color_by"]),
            type=data["type"],
            definition=str(data["definition"]),
            categories=None if categories is None else tuple(str(c) for c in categories),
            codes=array("codes", np.int32, -1),
            values=array("values", np.float64, np.nan),
            min=None if data.get("min") is None else float(data["min"]),
            max=None if data.get("max") is None else float(data["max"]),
            in_scope=array("in_scope", np.bool_, False),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON's shape: lists, null for a value that is missing."""
        values = None
        if self.values is not None:
            values = [None if v != v else v for v in self.values.tolist()]
        return {
            "color_by": self.color_by,
            "type": self.type,
            "definition": self.definition,
            "categories": None if self.categories is None else list(self.categories),
            "codes": None if self.codes is None else self.codes.tolist(),
            "values": values,
            "min": self.min,
            "max": self.max,
            "in_scope": None if self.in_scope is None else self.in_scope.tolist(),
        }
