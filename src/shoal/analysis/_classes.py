"""Which classes an answer is about: those the data uses, not the project's whole list.

A project may declare thousands of classes while a dataset (or a segment of it) uses a
few. A confusion matrix over every declared class costs the square of the class list;
over the classes involved it costs the square of what the data holds. Every cell left
out is zero in both matrices, so nothing a reader could ask about is lost.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from shoal.engine.evaluation import Evaluation
from shoal.errors import InputError

__all__ = ["MAX_COMPARED_CLASSES", "MAX_MATRIX_CLASSES", "bounded_classes", "involved_classes"]

# The most classes (background aside) one answer's matrix may show, so that a read
# cannot ask for an answer of any size: a confusion matrix of counts (``metrics``), and
# a comparison, whose every cell also carries a delta, a verdict and a hover text. Only
# classes the data uses count; a segment with fewer answers.
MAX_MATRIX_CLASSES = 2000  # about 4 million counts, some 10 MB of JSON
MAX_COMPARED_CLASSES = 500  # about 250,000 cells, some 30 MB of JSON


def involved_classes(
    evaluations: Sequence[Evaluation], iou: float, frames: Sequence[str] | None
) -> list[str]:
    """The classes with ground truth or with predictions on ``frames`` (None: every
    frame) in any of ``evaluations``, in the first evaluation's class order.

    The answer does not depend on the confidence threshold (it is read at 0, where
    every prediction counts), so a matrix keeps its rows while a slider moves. A
    class outside it has an all-zero row and column in every matrix at any threshold:
    a row sums to the class's ground truth, a column to its predictions."""
    if not evaluations:
        return []
    labels = evaluations[0].labels
    used = np.zeros(len(labels), dtype=bool)
    position = {label: i for i, label in enumerate(labels)}
    selection = None if frames is None else list(frames)
    for evaluation in evaluations:
        # Linear in the class list (one count per class); the square is what we avoid.
        report = evaluation.report(0.0, iou, frames=selection)
        rows = [position[label] for label in report.labels]
        counted = (report.support > 0) | ((report.tp + report.fp) > 0)
        used[np.asarray(rows, dtype=np.int64)[counted]] = True
    return [labels[i] for i in np.flatnonzero(used).tolist()]


def bounded_classes(
    evaluations: Sequence[Evaluation],
    iou: float,
    frames: Sequence[str] | None,
    *,
    limit: int,
    what: str,
) -> list[str]:
    """``involved_classes``, or an ``InputError`` naming ``what`` when there are more than
    ``limit`` (checked before any matrix is built)."""
    classes = involved_classes(evaluations, iou, frames)
    if len(classes) > limit:
        raise InputError(
            f"{what} involves {len(classes)} classes; one answer shows at most {limit}: "
            "ask on a segment with fewer classes"
        )
    return classes
