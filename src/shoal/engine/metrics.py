"""Result types shared by the detection and classification engines.

Names follow scikit-learn's ``classification_report``: ``precision``, ``recall``,
``f1-score``, ``support``, and the rows ``micro avg``, ``macro avg``, ``weighted avg``.
Undefined ratios (0 / 0) are 0, as scikit-learn's default ``zero_division`` gives.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from shoal.errors import InputError

__all__ = [
    "BACKGROUND",
    "ClassificationReport",
    "ConfusionMatrix",
    "PRCurve",
    "ThresholdChoice",
    "safe_divide",
]

BACKGROUND = "background"


def safe_divide(numerator: NDArray[Any], denominator: NDArray[Any]) -> NDArray[np.float64]:
    """Elementwise ``numerator / denominator`` with 0 where the denominator is 0."""
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)
    out = np.zeros(np.broadcast(num, den).shape, dtype=np.float64)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _f1(precision: NDArray[np.float64], recall: NDArray[np.float64]) -> NDArray[np.float64]:
    return safe_divide(2.0 * precision * recall, precision + recall)


def _fmt(value: float) -> str:
    return f"{value:.4f}"


@dataclass(frozen=True, eq=False)
class ClassificationReport:
    """Per-class counts and ratios at one operating point, with averages.

    ``tp``, ``fp``, ``fn`` and ``support`` (= ``tp + fn``, the ground-truth count) are
    (C,) int64 arrays aligned with ``labels``. ``accuracy`` is set for single-label
    classification (where micro precision = micro recall = accuracy) and None for
    detection, whose false positives need not have a ground-truth object.
    """

    labels: tuple[str, ...]
    tp: NDArray[np.int64]
    fp: NDArray[np.int64]
    fn: NDArray[np.int64]
    conf: float | dict[str, float]
    iou: float | None = None
    accuracy: float | None = None
    ap: NDArray[np.float64] | None = None
    precision: NDArray[np.float64] = field(init=False)
    recall: NDArray[np.float64] = field(init=False)
    f1_score: NDArray[np.float64] = field(init=False)

    def __post_init__(self) -> None:
        precision = safe_divide(self.tp, self.tp + self.fp)
        recall = safe_divide(self.tp, self.tp + self.fn)
        object.__setattr__(self, "precision", precision)
        object.__setattr__(self, "recall", recall)
        object.__setattr__(self, "f1_score", _f1(precision, recall))

    @property
    def support(self) -> NDArray[np.int64]:
        return self.tp + self.fn

    def averages(self) -> dict[str, dict[str, float]]:
        """``micro avg``, ``macro avg`` and ``weighted avg`` rows (scikit-learn's meaning)."""
        tp, fp, fn = (int(x.sum()) for x in (self.tp, self.fp, self.fn))
        micro_p = tp / (tp + fp) if tp + fp else 0.0
        micro_r = tp / (tp + fn) if tp + fn else 0.0
        micro_f = 2 * micro_p * micro_r / (micro_p + micro_r) if micro_p + micro_r else 0.0
        support = self.support
        total = int(support.sum())
        n = len(self.labels)

        def mean(values: NDArray[np.float64]) -> float:
            return float(values.mean()) if n else 0.0

        def weighted(values: NDArray[np.float64]) -> float:
            return float((values * support).sum() / total) if total else 0.0

        return {
            "micro avg": {
                "precision": micro_p,
                "recall": micro_r,
                "f1-score": micro_f,
                "support": float(total),
            },
            "macro avg": {
                "precision": mean(self.precision),
                "recall": mean(self.recall),
                "f1-score": mean(self.f1_score),
                "support": float(total),
            },
            "weighted avg": {
                "precision": weighted(self.precision),
                "recall": weighted(self.recall),
                "f1-score": weighted(self.f1_score),
                "support": float(total),
            },
        }

    def row(self, label: str) -> dict[str, float]:
        i = self.labels.index(label)
        out = {
            "precision": float(self.precision[i]),
            "recall": float(self.recall[i]),
            "f1-score": float(self.f1_score[i]),
            "support": int(self.support[i]),
            "tp": int(self.tp[i]),
            "fp": int(self.fp[i]),
            "fn": int(self.fn[i]),
        }
        if self.ap is not None:
            out["ap"] = float(self.ap[i])
        return out

    def __iter__(self) -> Iterator[tuple[str, dict[str, float]]]:
        for label in self.labels:
            yield label, self.row(label)

    def to_dict(self) -> dict[str, Any]:
        """Shaped like ``classification_report(..., output_dict=True)``, plus counts."""
        out: dict[str, Any] = {label: row for label, row in self}
        if self.accuracy is not None:
            out["accuracy"] = self.accuracy
        out.update(self.averages())
        out["conf"] = self.conf
        if self.iou is not None:
            out["iou"] = self.iou
        return out

    def __str__(self) -> str:
        name_width = max([len(x) for x in (*self.labels, "weighted avg")])
        head = ["precision", "recall", "f1-score", "support", "tp", "fp", "fn"]
        if self.ap is not None:
            head.append("ap")
        lines = [" " * name_width + "".join(f"{h:>11}" for h in head)]
        for label, row in self:
            cells = [_fmt(row["precision"]), _fmt(row["recall"]), _fmt(row["f1-score"])]
            cells += [str(row["support"]), str(row["tp"]), str(row["fp"]), str(row["fn"])]
            if self.ap is not None:
                cells.append("-" if row["ap"] < 0 else _fmt(row["ap"]))
            lines.append(f"{label:>{name_width}}" + "".join(f"{c:>11}" for c in cells))
        lines.append("")
        if self.accuracy is not None:
            total = int(self.support.sum())
            lines.append(
                f"{'accuracy':>{name_width}}" + " " * 22 + f"{_fmt(self.accuracy):>11}{total:>11}"
            )
        for name, avg in self.averages().items():
            cells = [_fmt(avg["precision"]), _fmt(avg["recall"]), _fmt(avg["f1-score"])]
            cells.append(str(int(avg["support"])))
            lines.append(f"{name:>{name_width}}" + "".join(f"{c:>11}" for c in cells))
        return "\n".join(lines)


Normalize = Literal["row", "column", "all"]


@dataclass(frozen=True, eq=False)
class ConfusionMatrix:
    """Counts with rows = ground truth and columns = prediction (scikit-learn's layout).

    ``labels`` ends with ``"background"``: the background column counts ground truth
    that no prediction found, the background row predictions that found nothing. The
    background-background cell is always 0.
    """

    labels: tuple[str, ...]
    matrix: NDArray[np.int64]
    conf: float | dict[str, float]
    iou: float | None = None

    def normalized(self, by: Normalize = "row") -> NDArray[np.float64]:
        """Shares of each row's, column's or the whole matrix's total (0 where empty)."""
        m = self.matrix.astype(np.float64)
        if by == "row":
            return safe_divide(m, m.sum(axis=1, keepdims=True))
        if by == "column":
            return safe_divide(m, m.sum(axis=0, keepdims=True))
        return safe_divide(m, np.asarray(m.sum()))

    def cell(self, truth: str, predicted: str) -> int:
        return int(self.matrix[self.labels.index(truth), self.labels.index(predicted)])

    def largest_confusions(self, n: int = 10) -> list[tuple[str, str, int]]:
        """The ``n`` largest off-diagonal cells as (truth, predicted, count), background
        included, largest first."""
        cells = self.matrix.copy()
        np.fill_diagonal(cells, 0)
        flat = np.argsort(-cells, axis=None, kind="stable")[:n]
        rows, cols = np.unravel_index(flat, cells.shape)
        return [
            (self.labels[r], self.labels[c], int(cells[r, c]))
            for r, c in zip(rows.tolist(), cols.tolist(), strict=True)
            if cells[r, c] > 0
        ]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"labels": list(self.labels), "matrix": self.matrix.tolist()}
        out["conf"] = self.conf
        if self.iou is not None:
            out["iou"] = self.iou
        return out

    def __str__(self) -> str:
        short = [label[:10] for label in self.labels]
        width = max(6, *(len(s) for s in short), len(str(int(self.matrix.max(initial=0)))))
        corner = "truth \\ pred"
        name_width = max(len(corner), *(len(label) for label in self.labels))
        lines = [f"{corner:<{name_width}} " + " ".join(f"{s:>{width}}" for s in short)]
        for label, row in zip(self.labels, self.matrix.tolist(), strict=True):
            lines.append(f"{label:<{name_width}} " + " ".join(f"{v:>{width}}" for v in row))
        return "\n".join(lines)


@dataclass(frozen=True, eq=False)
class PRCurve:
    """Precision and recall at every distinct confidence cut-off, highest first.

    ``thresholds[i]`` is a confidence; ``precision[i]`` and ``recall[i]`` are those of
    keeping every prediction scored at or above it. ``ap`` is the area under the curve
    by the evaluation's interpolation.
    """

    label: str
    thresholds: NDArray[np.float64]
    precision: NDArray[np.float64]
    recall: NDArray[np.float64]
    ap: float
    iou: float | None = None

    @property
    def f1_score(self) -> NDArray[np.float64]:
        return _f1(self.precision, self.recall)

    def best(self) -> ThresholdChoice:
        """The cut-off with the highest F1 (the highest such confidence on ties)."""
        if self.thresholds.size == 0:
            return ThresholdChoice(self.label, 0.0, 0.0, 0.0, 0.0)
        f1 = self.f1_score
        i = int(np.argmax(f1))
        return ThresholdChoice(
            self.label,
            float(self.thresholds[i]),
            float(f1[i]),
            float(self.precision[i]),
            float(self.recall[i]),
        )

    def downsampled(self, max_points: int) -> PRCurve:
        """At most ``max_points`` of the points, for drawing: the first, the last, the
        best-F1 point (so ``best()`` is unchanged) and, in equal runs of points, each
        run's lowest and highest precision, which keeps the curve's saw-tooth envelope.
        ``ap`` is the full curve's."""
        if max_points < 5:
            raise InputError(f"a downsampled curve keeps at least 5 points, not {max_points}")
        n = self.thresholds.size
        if n <= max_points:
            return self
        runs = (max_points - 3) // 2
        edges = np.linspace(0, n, runs + 1).astype(np.int64)
        run_of = np.repeat(np.arange(runs), np.diff(edges))
        # Sorted by run, then precision: each run's lowest and highest sit at its edges.
        by_precision = np.lexsort((self.precision, run_of))
        keep = np.unique(
            np.concatenate(
                [
                    [0, n - 1, int(np.argmax(self.f1_score))],
                    by_precision[edges[:-1]],
                    by_precision[edges[1:] - 1],
                ]
            )
        )
        return replace(
            self,
            thresholds=self.thresholds[keep],
            precision=self.precision[keep],
            recall=self.recall[keep],
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "label": self.label,
            "thresholds": self.thresholds.tolist(),
            "precision": self.precision.tolist(),
            "recall": self.recall.tolist(),
            "ap": self.ap,
        }
        if self.iou is not None:
            out["iou"] = self.iou
        return out

    def __str__(self) -> str:
        best = self.best()
        return (
            f"PR curve {self.label!r}: {self.thresholds.size} points, AP {self.ap:.4f}, "
            f"best F1 {best.f1_score:.4f} at confidence {best.conf:.4f}"
        )


@dataclass(frozen=True)
class ThresholdChoice:
    """The confidence threshold that maximizes F1 for one class."""

    label: str
    conf: float
    f1_score: float
    precision: float
    recall: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "conf": self.conf,
            "f1-score": self.f1_score,
            "precision": self.precision,
            "recall": self.recall,
        }
