"""Thresholds as users give them: a confidence (one number, or one per class), an IoU."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

from shoal._types import ConfDescription, Confidence
from shoal.engine._messages import shown
from shoal.errors import InputError

__all__ = [
    "DEFAULT_CLASS_IOU",
    "Confidence",
    "IouThreshold",
    "conf_description",
    "per_class_ious",
    "per_class_thresholds",
    "threshold_number",
]

# An IoU threshold: one for every class, or a mapping of class name or id to its own.
IouThreshold: TypeAlias = float | Mapping[str, float] | Mapping[int, float]
# The IoU of a class a per-class mapping does not name.
DEFAULT_CLASS_IOU = 0.5


def threshold_number(value: object, what: str) -> float:
    """``value`` as a float, or an InputError naming ``what`` (a string, None or a list
    given as a threshold would otherwise surface as NumPy's TypeError)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise InputError(f"{what} {shown(value)} is not a number")
    return float(value)


def per_class_thresholds(
    conf: Confidence, num_classes: int, resolve: Callable[[list[Any]], NDArray[np.integer]]
) -> NDArray[np.float64]:
    """(C,) thresholds: ``conf`` for every class, or a mapping of class (as ``resolve``
    understands it) to threshold, with 0 for classes not named."""
    if isinstance(conf, Mapping):
        thresholds = np.zeros(num_classes)
        values = [
            threshold_number(v, f"confidence threshold of {shown(k)}") for k, v in conf.items()
        ]
        thresholds[resolve(list(conf.keys()))] = np.asarray(values, dtype=np.float64)
    else:
        thresholds = np.full(num_classes, threshold_number(conf, "confidence threshold"))
    if not np.all((thresholds >= 0.0) & (thresholds <= 1.0)):
        raise InputError(f"confidence threshold {conf!r} is not in [0, 1]")
    return thresholds


def per_class_ious(
    iou: IouThreshold, num_classes: int, resolve: Callable[[list[Any]], NDArray[np.integer]]
) -> NDArray[np.float64] | None:
    """(C,) IoU thresholds of a mapping of class (as ``resolve`` understands it) to IoU,
    ``DEFAULT_CLASS_IOU`` for classes not named; None for one number (every class)."""
    if not isinstance(iou, Mapping):
        return None
    thresholds = np.full(num_classes, DEFAULT_CLASS_IOU)
    values = [threshold_number(v, f"IoU threshold of {shown(k)}") for k, v in iou.items()]
    thresholds[resolve(list(iou.keys()))] = np.asarray(values, dtype=np.float64)
    bad = ~((thresholds > 0.0) & (thresholds <= 1.0))
    if bad.any():
        raise InputError(f"IoU threshold {float(thresholds[bad][0])} is not in (0, 1]")
    return thresholds


def conf_description(
    conf: Confidence, labels: Sequence[str], thresholds: NDArray[np.float64]
) -> ConfDescription:
    """How results report the threshold they were computed at: the number, or every
    class's threshold by name."""
    if not isinstance(conf, Mapping):
        return float(conf)
    return {name: float(v) for name, v in zip(labels, thresholds.tolist(), strict=True)}
