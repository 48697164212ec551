"""Comparing two inference sets on the same dataset, class by class and cell by cell.

The first inference set is the base. Deltas are ``other - base``. In the confusion
matrix an increase on the diagonal (more true positives) is an improvement and an
increase off it (more confusions, misses or false positives) is a regression.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from shoal._types import Conf
from shoal.analysis._classes import MAX_COMPARED_CLASSES, bounded_classes
from shoal.analysis.changes import Verdict, class_verdicts
from shoal.engine.evaluation import Evaluation
from shoal.engine.metrics import BACKGROUND, ClassificationReport, ConfusionMatrix
from shoal.errors import InputError

__all__ = ["Comparison", "compare"]


_ROW_METRICS = ("precision", "recall", "f1-score", "tp", "fp", "fn", "support")


@dataclass(frozen=True, eq=False)
class Comparison:
    """Per-class deltas, the two confusion matrices and a short summary, over the
    classes either inference set involves (ground truth or predictions on the frames
    compared): every other class is zero in both, at any threshold.

    ``versions`` are the (base, other) inference set versions compared, where known
    (the store sets them; the REST answer carries them as ``versions``, which
    :meth:`from_dict` reads back), so an answer says which data it is from."""

    labels: tuple[str, ...]
    base: ClassificationReport
    other: ClassificationReport
    base_matrix: ConfusionMatrix
    other_matrix: ConfusionMatrix
    versions: tuple[int, int] | None = None

    @property
    def matrix_labels(self) -> tuple[str, ...]:
        return self.base_matrix.labels

    @property
    def delta_matrix(self) -> NDArray[np.int64]:
        return self.other_matrix.matrix - self.base_matrix.matrix

    def cell(self, truth: str, predicted: str) -> dict[str, Any]:
        """One cell (row ``truth``, column ``predicted``; ``background`` for the
        background row or column): both counts, the delta, whether the change is an
        improvement (None when unchanged) and its hover text (see ``cell_text``)."""
        where = self._matrix_index
        for name in (truth, predicted):
            if name not in where:
                labels = list(self.matrix_labels)
                raise InputError(f"unknown class {name!r}; the matrix has {labels}")
        return self._cell(where[truth], where[predicted])

    def verdicts(self) -> dict[str, Verdict]:
        """Each class's verdict, other against base: ``better``, ``worse`` or ``same`` as
        its F1 score rose, fell or stayed."""
        return class_verdicts(self.class_deltas())

    @functools.cached_property
    def _matrix_index(self) -> dict[str, int]:
        """Each matrix label's row (and column): one lookup per cell asked for."""
        return {label: i for i, label in enumerate(self.matrix_labels)}

    def cells(self) -> list[dict[str, Any]]:
        """Every cell of the matrix, row-major (truth, then predicted), as ``cell``
        gives them: what the server answers and the web app and the CLI show."""
        size = len(self.matrix_labels)
        return [self._cell(i, j) for i in range(size) for j in range(size)]

    def cell_text(self, truth: str, predicted: str) -> str:
        """The hover text of a cell, as the reference docs write it:
        ``<predicted> - <truth> +N (base -> other)``. ``delta - straight +10 (2 -> 12)``
        reads: predicted *delta* where the truth is *straight*, 10 more than the base
        (2 in the base, 12 in the other); the background row or column is named
        ``background``."""
        return str(self.cell(truth, predicted)["text"])

    def _cell(self, i: int, j: int) -> dict[str, Any]:
        truth, predicted = self.matrix_labels[i], self.matrix_labels[j]
        before, after = int(self.base_matrix.matrix[i, j]), int(self.other_matrix.matrix[i, j])
        delta = after - before
        # More on the diagonal is better (more true positives); more anywhere else,
        # background included, is worse (confusions, misses, false positives).
        diagonal = i == j and truth != BACKGROUND
        return {
            "truth": truth,
            "predicted": predicted,
            "base": before,
            "other": after,
            "delta": delta,
            "improved": None if delta == 0 else (delta > 0) == diagonal,
            "text": f"{predicted} - {truth} {delta:+d} ({before} -> {after})",
        }

    def class_deltas(self) -> dict[str, dict[str, dict[str, float]]]:
        """For each class: each metric's base, other and delta."""
        out: dict[str, dict[str, dict[str, float]]] = {}
        for label in self.labels:
            base, other = self.base.row(label), self.other.row(label)
            out[label] = {
                metric: {
                    "base": base[metric],
                    "other": other[metric],
                    "delta": other[metric] - base[metric],
                }
                for metric in _ROW_METRICS
            }
        return out

    def summary(self) -> list[str]:
        """Plain sentences about the totals, e.g. "false positives decreased by 5"."""
        sentences = []
        for name, field in (
            ("true positives", "tp"),
            ("false positives", "fp"),
            ("false negatives", "fn"),
        ):
            before = int(getattr(self.base, field).sum())
            after = int(getattr(self.other, field).sum())
            if after == before:
                sentences.append(f"{name} unchanged ({before})")
            else:
                verb = "increased" if after > before else "decreased"
                sentences.append(f"{name} {verb} by {abs(after - before)} ({before} -> {after})")
        for name in ("precision", "recall", "f1-score"):
            before_avg = self.base.averages()["micro avg"][name]
            after_avg = self.other.averages()["micro avg"][name]
            sentences.append(
                f"{name} {before_avg:.3f} -> {after_avg:.3f} ({after_avg - before_avg:+.3f})"
            )
        return sentences

    def to_dict(self) -> dict[str, Any]:
        """``classes`` (each class's metrics: base, other, delta; ``ap`` too where the
        reports have it), ``confusion_matrix`` (labels, base, other, delta, and the
        operating point ``conf`` and ``iou``, and the other's ``other_conf`` and
        ``other_iou``), ``accuracy`` (base, other, delta; None for detection),
        ``summary`` and ``versions`` (base, other; None where unknown): all :meth:`from_dict` needs to rebuild the comparison."""
        labels = self.matrix_labels
        classes = self.class_deltas()
        if self.base.ap is not None and self.other.ap is not None:
            for label, base_ap, other_ap in zip(
                self.labels, self.base.ap.tolist(), self.other.ap.tolist(), strict=True
            ):
                classes[label]["ap"] = {
                    "base": base_ap,
                    "other": other_ap,
                    "delta": other_ap - base_ap,
                }
        accuracy = None
        if self.base.accuracy is not None and self.other.accuracy is not None:
            accuracy = {
                "base": self.base.accuracy,
                "other": self.other.accuracy,
                "delta": self.other.accuracy - self.base.accuracy,
            }
        return {
            "classes": classes,
            "confusion_matrix": {
                "labels": list(labels),
                "base": self.base_matrix.matrix.tolist(),
                "other": self.other_matrix.matrix.tolist(),
                "delta": self.delta_matrix.tolist(),
                "conf": self.base.conf,
                "iou": self.base.iou,
                # Each side's operating point: the other's differs where it was asked to.
                "other_conf": self.other.conf,
                "other_iou": self.other.iou,
            },
            "accuracy": accuracy,
            "summary": self.summary(),
            "versions": None
            if self.versions is None
            else {"base": self.versions[0], "other": self.versions[1]},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Comparison:
        """The comparison :meth:`to_dict` wrote (e.g. the REST answer): both reports and
        both matrices, from the counts."""
        classes: Mapping[str, Mapping[str, Mapping[str, Any]]] = data["classes"]
        labels = tuple(str(label) for label in classes)
        cells = data["confusion_matrix"]
        matrix_labels = tuple(str(label) for label in cells["labels"])
        operating_points = {
            "base": (cells["conf"], cells.get("iou")),
            "other": (
                cells.get("other_conf", cells["conf"]),
                cells.get("other_iou", cells.get("iou")),
            ),
        }
        accuracy = data.get("accuracy")

        def side(name: str) -> tuple[ClassificationReport, ConfusionMatrix]:
            conf, iou = operating_points[name]

            def column(metric: str) -> list[Any]:
                return [classes[label][metric][name] for label in labels]

            has_ap = bool(labels) and all("ap" in classes[label] for label in labels)
            report = ClassificationReport.from_dict(
                {
                    "classes": [
                        {"label": label, "tp": tp, "fp": fp, "fn": fn, "ap": ap}
                        for label, tp, fp, fn, ap in zip(
                            labels,
                            column("tp"),
                            column("fp"),
                            column("fn"),
                            column("ap") if has_ap else [None] * len(labels),
                            strict=True,
                        )
                    ],
                    "conf": conf,
                    "iou": iou,
                    "accuracy": None if accuracy is None else accuracy[name],
                }
            )
            matrix = ConfusionMatrix.from_dict(
                {"labels": matrix_labels, "matrix": cells[name], "conf": conf, "iou": iou}
            )
            return report, matrix

        base_report, base_matrix = side("base")
        other_report, other_matrix = side("other")
        versions = data.get("versions")
        return cls(
            labels,
            base_report,
            other_report,
            base_matrix,
            other_matrix,
            None if versions is None else (int(versions["base"]), int(versions["other"])),
        )


def compare(
    base: Evaluation,
    other: Evaluation,
    *,
    conf: Conf,
    iou: float = 0.5,
    frames: Sequence[str] | None = None,
    other_conf: Conf | None = None,
    other_iou: float | None = None,
) -> Comparison:
    """Compare two evaluations of the same dataset over the classes either involves on
    ``frames``; more than ``MAX_COMPARED_CLASSES`` of them is an ``InputError`` (before
    any matrix is built).

    Both sides are read at (``conf``, ``iou``) unless ``other_conf`` or ``other_iou``
    sets the other's own: each model at its own operating point, as a team ships it."""
    if tuple(base.labels) != tuple(other.labels):
        raise InputError("the two inference sets were evaluated with different class maps")
    selection = None if frames is None else list(frames)
    classes = bounded_classes(
        [base, other], iou, selection, limit=MAX_COMPARED_CLASSES, what="the comparison"
    )
    points = [
        (base, conf, iou),
        (
            other,
            conf if other_conf is None else other_conf,
            iou if other_iou is None else other_iou,
        ),
    ]
    sides = [
        (
            evaluation.report(side_conf, side_iou, frames=selection, classes=classes),
            evaluation.confusion_matrix(side_conf, side_iou, frames=selection, classes=classes),
        )
        for evaluation, side_conf, side_iou in points
    ]
    (base_report, base_matrix), (other_report, other_matrix) = sides
    return Comparison(tuple(classes), base_report, other_report, base_matrix, other_matrix)
