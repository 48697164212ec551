"""Regression-test thresholds placed between two models' measured scores."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from shoal.engine.evaluation import Evaluation
    from shoal.store import Dataset


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


def create_split_segments(
    dataset: Dataset,
    frame_ids: Sequence[str],
    splits: Mapping[str, NDArray[np.int64]],
    evaluations: Sequence[Evaluation],
    conf: float,
    iou: float,
) -> None:
    """One ``split`` segment per split (row indices into ``frame_ids``), then the "test
    regression" segment whose thresholds lie between the two models' ``evaluations``
    (weaker first) on the test split at (``conf``, ``iou``)."""
    split_frames = {name: [frame_ids[i] for i in rows] for name, rows in splits.items()}
    for name, ids in split_frames.items():
        dataset.create_segment(name, type="split", frames=ids)
    test = split_frames["test"]
    weaker, stronger = (
        evaluation.report(conf, iou, frames=test).averages()["macro avg"]
        for evaluation in evaluations
    )
    dataset.create_segment(
        "test regression", type="regression_test", frames=test,
        **thresholds_between(stronger, weaker),
    )  # fmt: skip
