"""Regression-test thresholds placed between two models' measured scores."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TypedDict


class RegressionThresholds(TypedDict):
    """A regression test's pass/fail thresholds (``Dataset.create_segment`` keywords)."""

    precision: float
    recall: float
    f1_score: float


def thresholds_between(
    stronger: Mapping[str, float], weaker: Mapping[str, float]
) -> RegressionThresholds:
    """Precision, recall and F1 thresholds halfway between two models' report averages
    (``{"precision", "recall", "f1-score"}`` rows), floored to 0.01.

    Flooring the midpoint keeps every threshold at or below the better of the two
    scores, so the model that scores higher on a metric passes it; the other fails
    whenever the gap is wider than the rounding.
    """

    def between(key: str) -> float:
        midpoint = (float(stronger[key]) + float(weaker[key])) / 2
        return min(max(math.floor(midpoint * 100) / 100, 0.0), 1.0)

    return RegressionThresholds(
        precision=between("precision"), recall=between("recall"), f1_score=between("f1-score")
    )
