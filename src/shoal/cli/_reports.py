"""The engine's results as CLI tables (``shoal eval``, ``shoal demo``): every number is
the result's own, only laid out here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from shoal.cli._output import format_table

if TYPE_CHECKING:
    from shoal.engine.metrics import ClassificationReport, ConfusionMatrix

__all__ = [
    "format_confusion_matrix",
    "format_largest_confusions",
    "format_report",
    "format_scores",
]

_RATIOS = ("precision", "recall", "f1-score")
_COUNTS = ("support", "tp", "fp", "fn")


def _ratio(value: float) -> str:
    # A negative AP is the engine's "no ground truth for this class".
    return "-" if value < 0 else f"{value:.4f}"


def format_report(report: ClassificationReport) -> str:
    """One row per class (precision, recall, F1, support, TP, FP, FN, AP when the report
    has it), then accuracy (classification) and the micro, macro and weighted averages."""
    has_ap = report.ap is not None
    header = ["class", *_RATIOS, *_COUNTS, *(["ap"] if has_ap else [])]
    rows: list[list[object]] = []
    for label, row in report:
        cells: list[object] = [label, *(_ratio(row[k]) for k in _RATIOS)]
        cells += [row[k] for k in _COUNTS]
        if has_ap:
            cells.append(_ratio(row["ap"]))
        rows.append(cells)
    rows.append([None] * len(header))
    if report.accuracy is not None:
        rows.append(["accuracy", None, None, _ratio(report.accuracy), int(report.support.sum())])
    for name, average in report.averages().items():
        rows.append([name, *(_ratio(average[k]) for k in _RATIOS), int(average["support"])])
    padded = [row + [None] * (len(header) - len(row)) for row in rows]
    return format_table(header, padded, right=header[1:])


def format_confusion_matrix(matrix: ConfusionMatrix) -> str:
    """Rows: ground truth; columns: prediction; ``background`` last in both."""
    header = ["truth \\ pred", *matrix.labels]
    rows = [
        [label, *counts]
        for label, counts in zip(matrix.labels, matrix.matrix.tolist(), strict=True)
    ]
    return format_table(header, rows, right=header[1:])


def format_largest_confusions(matrix: ConfusionMatrix, n: int) -> str:
    """The ``n`` largest off-diagonal cells, largest first."""
    return format_table(
        ["ground truth", "prediction", "count"],
        matrix.largest_confusions(n),
        right=("count",),
    )


def format_scores(scores: Mapping[str, float], *, name: str = "class", score: str) -> str:
    """One ``name  score`` row per entry (a per-class AP, say)."""
    return format_table([name, score], ([k, _ratio(v)] for k, v in scores.items()), right=(score,))
