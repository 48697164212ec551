"""One evaluation protocol for both tasks.

``DetectionEvaluation`` and ``ClassificationEvaluation`` answer the same queries with the
same signatures, so code above the engine (analysis, the store, the server, the CLI)
takes an ``Evaluation`` and never asks which task it holds:

- ``report``, ``confusion_matrix`` and ``outcomes`` take ``conf`` and ``iou``
  (positional or keyword), then ``frames=`` and ``classes=``;
- ``pr_curve(label, *, iou, frames)``, ``pr_curves`` and ``best_thresholds`` take
  ``iou=``, ``frames=`` (and ``classes=``);
- ``coco_summary(*, frames, classes)`` is COCO's 12 statistics where they apply and
  None where they do not (``has_coco_summary`` says which before calling).

Classification accepts ``iou`` everywhere and ignores it: a frame's prediction is right
or wrong whatever the overlap. Defaults are identical across the two classes (``conf``
0.0, ``iou`` 0.5, every frame, the report's default classes).

What differs is documented, not hidden behind a branch: the default ``classes`` of a
detection report are those present in the selected frames, of a classification report
every class when the evaluation was given ``labels``; ``pr_curves`` of a detection adds
the pooled curve ``"all"``; a detection evaluation made with ``protocol="voc"`` raises
on ``coco_summary`` (``has_coco_summary`` is False). Task-specific queries
(``average_precision``, ``accuracy``, ``top_k_accuracy``, ...) stay on the classes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from shoal._types import Confidence, Task
from shoal.engine.classification.evaluator import ClassificationEvaluation
from shoal.engine.detection.evaluator import DetectionEvaluation
from shoal.engine.detection.metrics import CocoSummary
from shoal.engine.metrics import (
    ClassificationReport,
    ConfusionMatrix,
    Outcomes,
    PRCurve,
    ThresholdChoice,
)
from shoal.engine.thresholds import IouThreshold

__all__ = ["Evaluation"]


@runtime_checkable
class Evaluation(Protocol):
    """Predictions evaluated against ground truth, for either task (see the module doc)."""

    @property
    def task(self) -> Task:
        """``"detection"`` or ``"classification"``."""
        ...

    @property
    def labels(self) -> tuple[str, ...]:
        """Every class name, in evaluation order."""
        ...

    @property
    def frame_ids(self) -> NDArray[Any]:
        """The ids of every evaluated frame (what ``frames=`` selects from)."""
        ...

    @property
    def num_frames(self) -> int: ...

    @property
    def has_coco_summary(self) -> bool:
        """Whether ``coco_summary()`` answers (True for a COCO-protocol detection)."""
        ...

    @property
    def iou_thresholds(self) -> tuple[float, ...]:
        """The IoU thresholds matched so far, ascending (detection: COCO's ten and any
        other asked for; another IoU is matched on first use). Empty for classification."""
        ...

    def report(
        self,
        conf: Confidence = 0.0,
        iou: IouThreshold = 0.5,
        *,
        frames: Iterable[Any] | None = None,
        classes: Sequence[int | str] | None = None,
    ) -> ClassificationReport: ...

    def confusion_matrix(
        self,
        conf: Confidence = 0.0,
        iou: IouThreshold = 0.5,
        *,
        frames: Iterable[Any] | None = None,
        classes: Sequence[int | str] | None = None,
    ) -> ConfusionMatrix: ...

    def outcomes(
        self,
        conf: Confidence = 0.0,
        iou: IouThreshold = 0.5,
        *,
        frames: Iterable[Any] | None = None,
        classes: Sequence[int | str] | None = None,
    ) -> Outcomes: ...

    def pr_curve(
        self,
        label: int | str | None = None,
        *,
        iou: IouThreshold = 0.5,
        frames: Iterable[Any] | None = None,
    ) -> PRCurve: ...

    def pr_curves(
        self,
        *,
        iou: IouThreshold = 0.5,
        frames: Iterable[Any] | None = None,
        classes: Sequence[int | str] | None = None,
    ) -> dict[str, PRCurve]: ...

    def best_thresholds(
        self,
        *,
        iou: IouThreshold = 0.5,
        frames: Iterable[Any] | None = None,
        classes: Sequence[int | str] | None = None,
    ) -> dict[str, ThresholdChoice]: ...

    def resampled_average_precision(
        self,
        weights: NDArray[Any],
        *,
        iou: IouThreshold = 0.5,
        classes: Sequence[int | str] | None = None,
    ) -> NDArray[np.float64]:
        """Each class's AP in resampled frame multisets: ``weights`` (R, F) is how many
        times each frame is drawn in each replicate (the paired bootstrap's)."""
        ...

    def coco_summary(
        self,
        *,
        frames: Iterable[Any] | None = None,
        classes: Sequence[int | str] | None = None,
    ) -> CocoSummary | None: ...


# mypy proves here that both evaluations satisfy the protocol (a signature that drifts
# fails type checking, not a user's call).
_DETECTION: type[Evaluation] = DetectionEvaluation
_CLASSIFICATION: type[Evaluation] = ClassificationEvaluation
