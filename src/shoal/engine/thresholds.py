"""Confidence thresholds as users give them: one number, or one per class."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from shoal.errors import InputError

__all__ = ["Confidence", "conf_description", "per_class_thresholds"]

Confidence = float | Mapping[str, float] | Mapping[int, float]


def per_class_thresholds(
    conf: Confidence, num_classes: int, resolve: Callable[[list[Any]], NDArray[np.integer]]
) -> NDArray[np.float64]:
    """(C,) thresholds: ``conf`` for every class, or a mapping of class (as ``resolve``
    understands it) to threshold, with 0 for classes not named."""
    if isinstance(conf, Mapping):
        thresholds = np.zeros(num_classes)
        thresholds[resolve(list(conf.keys()))] = np.asarray(list(conf.values()), dtype=np.float64)
    else:
        thresholds = np.full(num_classes, float(conf))
    if not np.all((thresholds >= 0.0) & (thresholds <= 1.0)):
        raise InputError(f"confidence threshold {conf!r} is not in [0, 1]")
    return thresholds


def conf_description(
    conf: Confidence, labels: Sequence[str], thresholds: NDArray[np.float64]
) -> float | dict[str, float]:
    """How results report the threshold they were computed at: the number, or every
    class's threshold by name."""
    if not isinstance(conf, Mapping):
        return float(conf)
    return {name: float(v) for name, v in zip(labels, thresholds.tolist(), strict=True)}
