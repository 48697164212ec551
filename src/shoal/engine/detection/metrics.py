"""Result types specific to detection: the COCO summary and per-object outcomes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from shoal.engine.metrics import BACKGROUND
from shoal.errors import InputError

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


KIND_NAMES = ("prediction", "ground_truth")
OUTCOME_NAMES = ("TP", "FP", "FN")
REASON_NAMES = ("", "class_confusion", "duplicate", "localization", "background", "missed")
PREDICTION, GROUND_TRUTH = 0, 1
TP, FP, FN = 0, 1, 2
NO_REASON, CLASS_CONFUSION, DUPLICATE, LOCALIZATION, BACKGROUND_REASON, MISSED = range(6)
SORT_KEYS = ("confidence", "iou", "area")


def _code(names: tuple[str, ...], value: str, what: str) -> int:
    if value not in names:
        raise InputError(
            f"unknown {what} {value!r}; use one of {', '.join(repr(n) for n in names if n)}"
        )
    return names.index(value)


@dataclass(frozen=True, eq=False)
class Outcomes:
    """Each object's outcome at one operating point, as columns (one row per object).

    Rows are the counted predictions at or above the confidence threshold (TP or FP)
    and the counted ground truth (TP or FN). Categorical columns are kept as small
    integer codes and decoded on access, so building and filtering stay cheap:

    ``kind`` "prediction" or "ground_truth"; ``id``; ``frame_id``; ``label`` its class;
    ``confidence`` (NaN for ground truth); ``outcome`` TP, FP or FN; ``reason`` for FP one
    of ``class_confusion``, ``duplicate``, ``localization``, ``background``, for FN one of
    ``class_confusion``, ``localization``, ``missed``, "" for TP; ``partner_id`` the
    object it was matched or compared with (-1 if none), ``partner_label`` its class (""
    if none), ``iou`` with the partner (0 if none); ``area`` the object's box area.
    """

    class_names: tuple[str, ...]
    kind_code: NDArray[np.int8]
    id: NDArray[np.int64]
    frame_id: NDArray[Any]
    label_index: NDArray[np.int32]
    confidence: NDArray[np.float64]
    outcome_code: NDArray[np.int8]
    reason_code: NDArray[np.int8]
    partner_id: NDArray[np.int64]
    partner_label_index: NDArray[np.int32]
    iou: NDArray[np.float64]
    area: NDArray[np.float64]
    conf: float | dict[str, float]
    iou_threshold: float

    _ROW_FIELDS = (
        "kind_code", "id", "frame_id", "label_index", "confidence", "outcome_code",
        "reason_code", "partner_id", "partner_label_index", "iou", "area",
    )  # fmt: skip
    COLUMNS = (
        "kind", "id", "frame_id", "label", "confidence", "outcome", "reason", "partner_id",
        "partner_label", "iou", "area",
    )  # fmt: skip

    def __len__(self) -> int:
        return int(self.id.size)

    # Decoded columns.
    @property
    def kind(self) -> NDArray[np.str_]:
        return np.asarray(KIND_NAMES)[self.kind_code]

    @property
    def outcome(self) -> NDArray[np.str_]:
        return np.asarray(OUTCOME_NAMES)[self.outcome_code]

    @property
    def reason(self) -> NDArray[np.str_]:
        return np.asarray(REASON_NAMES)[self.reason_code]

    @property
    def label(self) -> NDArray[np.str_]:
        return np.asarray(self.class_names, dtype=np.str_)[self.label_index]

    @property
    def partner_label(self) -> NDArray[np.str_]:
        names = np.asarray((*self.class_names, ""), dtype=np.str_)
        return names[self.partner_label_index]  # -1 reads the trailing ""

    def columns(self) -> dict[str, NDArray[Any]]:
        return {name: getattr(self, name) for name in self.COLUMNS}

    # Selecting rows.
    def select(self, rows: NDArray[np.bool_] | NDArray[np.integer]) -> Outcomes:
        """The rows picked by a boolean mask or an index array (in that order)."""
        picked = {name: getattr(self, name)[rows] for name in self._ROW_FIELDS}
        return replace(self, **picked)

    def where(
        self,
        *,
        kind: str | None = None,
        outcome: str | None = None,
        reason: str | None = None,
        label: str | None = None,
        partner_label: str | None = None,
        frame_id: Any = None,
    ) -> Outcomes:
        """The rows matching every given value, e.g. ``where(outcome="FP", label="cat")``
        or ``where(frame_id="img_12")`` (one frame's objects)."""
        mask = np.ones(len(self), bool)
        if frame_id is not None:
            mask &= self.frame_id.astype(str) == str(frame_id)
        if kind is not None:
            mask &= self.kind_code == _code(KIND_NAMES, kind, "kind")
        if outcome is not None:
            mask &= self.outcome_code == _code(OUTCOME_NAMES, outcome, "outcome")
        if reason is not None:
            mask &= self.reason_code == _code(REASON_NAMES, reason, "reason")
        if label is not None:
            mask &= self.label_index == _code(self.class_names, label, "class")
        if partner_label is not None:
            mask &= self.partner_label_index == _code(self.class_names, partner_label, "class")
        return self.select(mask)

    def in_cell(self, truth: str, predicted: str) -> Outcomes:
        """The objects counted in one confusion-matrix cell, one row per count.

        (A, A): A's true-positive predictions; (A, B): B predictions confused with an A;
        (A, "background"): A ground truth missed (not confused); ("background", B): B
        predictions that found nothing (not confused).
        """
        confused = self.reason_code == CLASS_CONFUSION
        is_pred = self.kind_code == PREDICTION
        if truth == BACKGROUND and predicted == BACKGROUND:
            return self.select(np.zeros(len(self), bool))
        if predicted == BACKGROUND:
            a = _code(self.class_names, truth, "class")
            mask = ~is_pred & (self.outcome_code == FN) & ~confused & (self.label_index == a)
        elif truth == BACKGROUND:
            b = _code(self.class_names, predicted, "class")
            mask = is_pred & (self.outcome_code == FP) & ~confused & (self.label_index == b)
        else:
            a = _code(self.class_names, truth, "class")
            b = _code(self.class_names, predicted, "class")
            if a == b:
                mask = is_pred & (self.outcome_code == TP) & (self.label_index == a)
            else:
                mask = (
                    is_pred & confused & (self.label_index == b) & (self.partner_label_index == a)
                )
        return self.select(mask)

    def sorted_by(self, key: str = "confidence", *, descending: bool = True) -> Outcomes:
        """Rows ordered by ``confidence``, ``iou`` or ``area`` (stable; NaN last)."""
        if key not in SORT_KEYS:
            raise InputError(f"cannot sort outcomes by {key!r}; use one of {', '.join(SORT_KEYS)}")
        values = getattr(self, key)
        values = np.where(np.isnan(values), -np.inf if descending else np.inf, values)
        order = np.argsort(-values if descending else values, kind="stable")
        return self.select(order)

    def page(self, offset: int = 0, limit: int = 50) -> Outcomes:
        return self.select(np.arange(offset, min(offset + limit, len(self))))

    # Output.
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
        out: dict[str, int] = {}
        by_outcome = np.bincount(self.outcome_code, minlength=len(OUTCOME_NAMES))
        for code, name in enumerate(OUTCOME_NAMES):
            if by_outcome[code]:
                out[name] = int(by_outcome[code])
        pairs = self.outcome_code.astype(np.int64) * len(REASON_NAMES) + self.reason_code
        by_pair = np.bincount(pairs, minlength=len(OUTCOME_NAMES) * len(REASON_NAMES))
        for pair in np.flatnonzero(by_pair).tolist():
            outcome, reason = divmod(pair, len(REASON_NAMES))
            if reason != NO_REASON:
                out[f"{OUTCOME_NAMES[outcome]}/{REASON_NAMES[reason]}"] = int(by_pair[pair])
        return out

    def __str__(self) -> str:
        counts = ", ".join(f"{k}: {v}" for k, v in self.counts().items())
        return f"{len(self)} outcomes at conf={self.conf}, iou={self.iou_threshold} ({counts})"
