"""Result types specific to detection: the COCO summary."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from shoal.errors import InputError

__all__ = ["COCO_STAT_NAMES", "CocoSummary"]

COCO_STAT_NAMES = (
    "AP",
    "AP50",
    "AP75",
    "APs",
    "APm",
    "APl",
    "AR1",
    "AR10",
    "AR100",
    "ARs",
    "ARm",
    "ARl",
)

_STAT_TITLES = {
    "AP": "Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]",
    "AP50": "Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ]",
    "AP75": "Average Precision  (AP) @[ IoU=0.75      | area=   all | maxDets=100 ]",
    "APs": "Average Precision  (AP) @[ IoU=0.50:0.95 | area= small | maxDets=100 ]",
    "APm": "Average Precision  (AP) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ]",
    "APl": "Average Precision  (AP) @[ IoU=0.50:0.95 | area= large | maxDets=100 ]",
    "AR1": "Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ]",
    "AR10": "Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets= 10 ]",
    "AR100": "Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]",
    "ARs": "Average Recall     (AR) @[ IoU=0.50:0.95 | area= small | maxDets=100 ]",
    "ARm": "Average Recall     (AR) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ]",
    "ARl": "Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets=100 ]",
}


@dataclass(frozen=True, eq=False)
class CocoSummary:
    """The 12 COCO summary statistics, with per-class AP and AR.

    ``stats`` maps the names in ``COCO_STAT_NAMES`` to values; -1 means "no ground
    truth to measure against" (as pycocotools prints). ``precision`` (T, R, C, A, D)
    and ``recall`` (T, C, A, D) are pycocotools' ``eval['precision']`` and
    ``eval['recall']`` arrays (areas all/small/medium/large, maxDets 1/10/100).
    """

    stats: dict[str, float]
    labels: tuple[str, ...]
    class_ap: NDArray[np.float64]
    class_ap50: NDArray[np.float64]
    class_ap75: NDArray[np.float64]
    class_ar100: NDArray[np.float64]
    precision: NDArray[np.float64]
    recall: NDArray[np.float64]

    def __getitem__(self, name: str) -> float:
        if name not in self.stats:
            raise InputError(
                f"unknown COCO statistic {name!r}; use one of {', '.join(COCO_STAT_NAMES)}"
            )
        return self.stats[name]

    def per_class(self) -> dict[str, dict[str, float]]:
        return {
            label: {
                "AP": float(self.class_ap[i]),
                "AP50": float(self.class_ap50[i]),
                "AP75": float(self.class_ap75[i]),
                "AR100": float(self.class_ar100[i]),
            }
            for i, label in enumerate(self.labels)
        }

    def to_dict(self) -> dict[str, Any]:
        """The 12 statistics by name and ``per_class`` (``{label: {"AP", "AP50", "AP75",
        "AR100"}}``); the (T, R, C, A, D) arrays stay out (12,120 numbers a class)."""
        return {**self.stats, "per_class": self.per_class()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CocoSummary:
        """The summary :meth:`to_dict` wrote (e.g. a REST answer). The statistics and the
        per-class values are the original's; ``precision`` and ``recall`` are empty
        arrays, since the dict does not carry them."""
        per_class: Mapping[str, Mapping[str, Any]] = data["per_class"]

        def column(name: str) -> NDArray[np.float64]:
            values = [per_class[label][name] for label in per_class]
            return np.array([np.nan if v is None else v for v in values], dtype=np.float64)

        return cls(
            stats={
                name: np.nan if data[name] is None else float(data[name])
                for name in COCO_STAT_NAMES
            },
            labels=tuple(str(label) for label in per_class),
            class_ap=column("AP"),
            class_ap50=column("AP50"),
            class_ap75=column("AP75"),
            class_ar100=column("AR100"),
            precision=np.zeros((0, 0, 0, 0, 0)),
            recall=np.zeros((0, 0, 0, 0)),
        )

    def __str__(self) -> str:
        return "\n".join(
            f" {_STAT_TITLES[name]} = {self.stats[name]:0.3f}" for name in COCO_STAT_NAMES
        )
