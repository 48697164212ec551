"""Calibration: does a model's confidence say how often it is right?

The predictions counted at an operating point (the evaluation's outcomes at ``conf``
and ``iou``) are put in ``bins`` equal-width confidence bins over [0, 1]: bin ``b`` of
``n`` holds confidences in (b/n, (b+1)/n], and a confidence of exactly 0 falls in the
first bin (scikit-learn's ``calibration_curve(strategy="uniform")`` bins the same way).
Per bin: the count, the mean confidence and the *accuracy*, the fraction of its
predictions that are true positives:

- classification: each frame's top-1 prediction, right or wrong (``conf`` 0 keeps
  every frame); this is the usual reliability diagram and ECE;
- detection: each kept prediction, matched to a same-class ground truth at ``iou`` or
  not, so the accuracy is the bin's precision (D-ECE, Küppers et al. 2020, with
  confidence as the only binned feature). Low-confidence detections would dominate
  the first bins: the confidence threshold ``conf`` is part of the definition.

``ECE = sum_b (n_b / N) * |accuracy_b - confidence_b|`` over non-empty bins (N the
predictions counted); ``MCE`` is the largest ``|accuracy_b - confidence_b|``. Each is
given over every prediction (``overall``) and per class, a prediction belonging to
the class it predicts. Without predictions the ECE is 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shoal._types import Conf
from shoal.engine.evaluation import Evaluation
from shoal.engine.metrics import PREDICTION, TP
from shoal.errors import InputError

__all__ = ["DEFAULT_BINS", "Calibration", "Reliability", "calibration", "reliability"]

DEFAULT_BINS = 10
MAX_BINS = 1000
ALL_CLASSES = "all"


@dataclass(frozen=True, eq=False)
class Reliability:
    """One reliability diagram: per bin (``bins`` equal-width, see the module doc) the
    prediction count, mean confidence and accuracy (NaN in an empty bin), with the
    ECE and MCE they give."""

    label: str
    count: NDArray[np.int64]
    confidence: NDArray[np.float64]
    accuracy: NDArray[np.float64]

    @property
    def bins(self) -> int:
        return int(self.count.size)

    @property
    def edges(self) -> NDArray[np.float64]:
        return np.linspace(0.0, 1.0, self.bins + 1)

    @property
    def total(self) -> int:
        return int(self.count.sum())

    @property
    def gaps(self) -> NDArray[np.float64]:
        """``|accuracy - confidence|`` per non-empty bin."""
        filled = self.count > 0
        return np.abs(self.accuracy[filled] - self.confidence[filled])

    @property
    def ece(self) -> float:
        if self.total == 0:
            return 0.0
        filled = self.count > 0
        return float((self.count[filled] / self.total * self.gaps).sum())

    @property
    def mce(self) -> float:
        gaps = self.gaps
        return float(gaps.max()) if gaps.size else 0.0

    def to_dict(self) -> dict[str, Any]:
        """``label``, ``count`` (predictions), ``ece``, ``mce`` and ``bins``: one record
        per bin (``low``, ``high``, ``count``, ``confidence``, ``accuracy``; the last two
        None when the bin is empty)."""
        edges = self.edges.tolist()

        def number(value: float) -> float | None:
            return None if np.isnan(value) else float(value)

        return {
            "label": self.label,
            "count": self.total,
            "ece": self.ece,
            "mce": self.mce,
            "bins": [
                {
                    "low": edges[b],
                    "high": edges[b + 1],
                    "count": int(self.count[b]),
                    "confidence": number(self.confidence[b]),
                    "accuracy": number(self.accuracy[b]),
                }
                for b in range(self.bins)
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reliability:
        def column(name: str) -> list[float]:
            return [np.nan if b[name] is None else float(b[name]) for b in data["bins"]]

        return cls(
            str(data["label"]),
            np.array([int(b["count"]) for b in data["bins"]], np.int64),
            np.array(column("confidence"), np.float64),
            np.array(column("accuracy"), np.float64),
        )


def _bin_of(confidence: NDArray[np.float64], bins: int) -> NDArray[np.int64]:
    inner_edges = np.linspace(0.0, 1.0, bins + 1)[1:-1]
    return np.searchsorted(inner_edges, confidence, side="left").astype(np.int64)


def reliability(
    confidence: ArrayLike, correct: ArrayLike, *, bins: int = DEFAULT_BINS, label: str = ""
) -> Reliability:
    """The reliability diagram of predictions with these confidences (in [0, 1]) and
    outcomes (True when right)."""
    if not 1 <= bins <= MAX_BINS:
        raise InputError(f"bins must be in [1, {MAX_BINS}], not {bins}")
    conf = np.asarray(confidence, np.float64).ravel()
    right = np.asarray(correct, bool).ravel()
    if conf.size != right.size:
        raise InputError(f"{conf.size} confidences for {right.size} outcomes")
    outside = np.flatnonzero(~((conf >= 0.0) & (conf <= 1.0)))
    if outside.size:
        first = int(outside[0])
        raise InputError(
            f"confidence {conf[first]} is not in [0, 1] (a calibration needs probabilities)",
            record=first,
        )
    which = _bin_of(conf, bins)
    count = np.bincount(which, minlength=bins).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(which, weights=conf, minlength=bins) / count
        accuracy = np.bincount(which, weights=right.astype(np.float64), minlength=bins) / count
    return Reliability(label, count, mean_conf, accuracy)


@dataclass(frozen=True, eq=False)
class Calibration:
    """An evaluation's calibration at one operating point: ``overall`` over every
    counted prediction and one diagram per class (``classes``, by predicted class)."""

    task: str
    conf: Any
    iou: float | None
    overall: Reliability
    classes: tuple[Reliability, ...]

    @property
    def ece(self) -> float:
        return self.overall.ece

    def of(self, label: str) -> Reliability:
        for found in self.classes:
            if found.label == label:
                return found
        raise InputError(
            f"no calibration for class {label!r}; classes are {[c.label for c in self.classes]}"
        )

    def to_dict(self) -> dict[str, Any]:
        """``task``, ``conf``, ``iou`` (None for classification), ``metric`` (``ECE``
        or ``D-ECE``), ``overall`` and ``classes`` (each as :meth:`Reliability.to_dict`)."""
        return {
            "task": self.task,
            "metric": "D-ECE" if self.task == "detection" else "ECE",
            "conf": self.conf,
            "iou": self.iou,
            "overall": self.overall.to_dict(),
            "classes": [found.to_dict() for found in self.classes],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Calibration:
        return cls(
            str(data["task"]),
            data["conf"],
            None if data.get("iou") is None else float(data["iou"]),
            Reliability.from_dict(data["overall"]),
            tuple(Reliability.from_dict(found) for found in data["classes"]),
        )


def calibration(
    evaluation: Evaluation,
    *,
    conf: Conf = 0.0,
    iou: float = 0.5,
    frames: Iterable[Any] | None = None,
    classes: Sequence[int | str] | None = None,
    bins: int = DEFAULT_BINS,
) -> Calibration:
    """The reliability diagrams, ECE (classification) or D-ECE (detection) of the
    predictions counted at (``conf``, ``iou``) on ``frames`` (see the module doc).
    Per-class diagrams cover ``classes`` (default: every class with a counted
    prediction)."""
    outcomes = evaluation.outcomes(conf, iou, frames=frames, classes=classes)
    predictions = outcomes.kind_code == PREDICTION
    confidence = outcomes.confidence[predictions]
    correct = outcomes.outcome_code[predictions] == TP
    label_index = outcomes.label_index[predictions]
    overall = reliability(confidence, correct, bins=bins, label=ALL_CLASSES)
    per_class = []
    for index in np.unique(label_index).tolist():
        mine = label_index == index
        per_class.append(
            reliability(
                confidence[mine], correct[mine], bins=bins, label=outcomes.class_names[index]
            )
        )
    task = evaluation.task
    return Calibration(
        task=task,
        conf=outcomes.conf,
        iou=float(iou) if task == "detection" else None,
        overall=overall,
        classes=tuple(per_class),
    )
