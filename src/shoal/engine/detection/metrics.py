"""Result types specific to detection: the COCO summary and per-object outcomes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["COCO_STAT_NAMES", "CocoSummary", "Outcomes"]

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
        return {**self.stats, "per_class": self.per_class()}

    def __str__(self) -> str:
        return "\n".join(
            f" {_STAT_TITLES[name]} = {self.stats[name]:0.3f}" for name in COCO_STAT_NAMES
        )


@dataclass(frozen=True, eq=False)
class Outcomes:
    """Each object's outcome at one operating point, as columns (one row per object).

    Rows are the counted predictions at or above the confidence threshold (``TP`` or
    ``FP``) and the counted ground truth (``TP`` or ``FN``). Columns:

    ``kind`` "prediction" or "ground_truth"; ``id`` the object's id; ``frame_id``;
    ``label`` its class; ``confidence`` (NaN for ground truth); ``outcome`` TP, FP or FN;
    ``reason`` for FP one of ``class_confusion``, ``duplicate``, ``localization``,
    ``background``, for FN one of ``class_confusion``, ``localization``, ``missed``,
    empty for TP; ``partner_id`` the object it was matched or compared with (-1 if
    none), ``partner_label`` its class ("" if none), ``iou`` with the partner (0 if none);
    ``area`` the object's box area.
    """

    kind: NDArray[np.str_]
    id: NDArray[np.int64]
    frame_id: NDArray[Any]
    label: NDArray[np.str_]
    confidence: NDArray[np.float64]
    outcome: NDArray[np.str_]
    reason: NDArray[np.str_]
    partner_id: NDArray[np.int64]
    partner_label: NDArray[np.str_]
    iou: NDArray[np.float64]
    area: NDArray[np.float64]
    conf: float | dict[str, float]
    iou_threshold: float

    _COLUMNS = (
        "kind",
        "id",
        "frame_id",
        "label",
        "confidence",
        "outcome",
        "reason",
        "partner_id",
        "partner_label",
        "iou",
        "area",
    )

    def __len__(self) -> int:
        return int(self.id.size)

    def columns(self) -> dict[str, NDArray[Any]]:
        return {name: getattr(self, name) for name in self._COLUMNS}

    def select(self, mask: NDArray[np.bool_]) -> Outcomes:
        """The rows where ``mask`` is true."""
        picked = {name: column[mask] for name, column in self.columns().items()}
        return Outcomes(**picked, conf=self.conf, iou_threshold=self.iou_threshold)

    def records(self) -> list[dict[str, Any]]:
        columns = {name: column.tolist() for name, column in self.columns().items()}
        return [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "conf": self.conf,
            "iou": self.iou_threshold,
            "columns": {name: column.tolist() for name, column in self.columns().items()},
        }

    def counts(self) -> dict[str, int]:
        """How many rows have each outcome and each ``outcome/reason``."""
        keys = np.char.add(np.char.add(self.outcome, "/"), self.reason)
        out: dict[str, int] = {}
        for value, count in zip(*np.unique(self.outcome, return_counts=True), strict=True):
            out[str(value)] = int(count)
        for value, count in zip(*np.unique(keys, return_counts=True), strict=True):
            if not str(value).endswith("/"):
                out[str(value)] = int(count)
        return out

    def __str__(self) -> str:
        counts = ", ".join(f"{k}: {v}" for k, v in self.counts().items())
        return f"{len(self)} outcomes at conf={self.conf}, iou={self.iou_threshold} ({counts})"
