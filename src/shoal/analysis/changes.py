"""What changed between two inference sets, object by object: the ground truth one
model gets right and the other wrong.

Both sides are evaluated on the same dataset version, so their ground-truth rows are the
same objects (the same ids): a ground-truth object is *right* when it is a true positive
(matched by a prediction of its class; for classification, the frame's prediction is its
class) and *wrong* when it is a false negative (missed, confused or mislocalized). Between
a ``base`` and an ``other``:

- ``fixed``: wrong in the base, right in the other;
- ``broken``: right in the base, wrong in the other;
- ``still_wrong``: wrong in both.

Objects right in both did not change and are not listed. Predictions are not compared:
two models' predictions are different objects. A class's ``verdict`` follows its net
change, ``fixed - broken`` (the change of its true positives, so of its recall):
``better`` above 0, ``worse`` below, ``same`` at 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from shoal.engine.metrics import OUTCOME_NAMES, REASON_NAMES, Outcomes
from shoal.errors import InputError

__all__ = [
    "CHANGES",
    "Change",
    "ChangedExamples",
    "Verdict",
    "changed_examples",
    "class_verdicts",
    "verdict",
]

Change = Literal["fixed", "broken", "still_wrong"]
CHANGES: tuple[Change, ...] = ("fixed", "broken", "still_wrong")
Verdict = Literal["better", "worse", "same"]

_TP = OUTCOME_NAMES.index("TP")
_GROUND_TRUTH = 1  # KIND_NAMES.index("ground_truth")


def verdict(net: float) -> Verdict:
    """``better`` for a positive net change, ``worse`` for a negative one, else ``same``."""
    return "better" if net > 0 else "worse" if net < 0 else "same"


@dataclass(frozen=True)
class ChangedExamples:
    """The ground-truth objects whose outcome changed (or stayed wrong), one row each:
    ``base`` and ``other`` hold each side's row of the object (same order), ``change``
    the code into ``CHANGES``. Filter with :meth:`where`, page with :meth:`page`."""

    base: Outcomes
    other: Outcomes
    change_code: NDArray[np.int8]

    def __len__(self) -> int:
        return int(self.change_code.size)

    @property
    def change(self) -> NDArray[np.str_]:
        return np.asarray(CHANGES)[self.change_code]

    def _select(self, rows: NDArray[Any]) -> ChangedExamples:
        return replace(
            self,
            base=self.base.select(rows),
            other=self.other.select(rows),
            change_code=self.change_code[rows],
        )

    def where(self, *, change: str | None = None, label: str | None = None) -> ChangedExamples:
        """The rows of one change and/or of one ground-truth class."""
        mask = np.ones(len(self), bool)
        if change is not None:
            if change not in CHANGES:
                raise InputError(f"unknown change {change!r}; use one of {', '.join(CHANGES)}")
            mask &= self.change_code == CHANGES.index(change)
        if label is not None:
            names = self.base.class_names
            if label not in names:
                raise InputError(f"unknown class {label!r}")
            mask &= self.base.label_index == names.index(label)
        return self._select(np.flatnonzero(mask))

    def page(self, offset: int = 0, limit: int = 50) -> ChangedExamples:
        if offset < 0 or limit < 0:
            raise InputError(f"a page needs offset >= 0 and limit >= 0, not {offset} and {limit}")
        return self._select(np.arange(offset, min(offset + limit, len(self))))

    def counts(self) -> dict[str, int]:
        """How many objects are fixed, broken and still wrong."""
        found = np.bincount(self.change_code, minlength=len(CHANGES))
        return {name: int(found[i]) for i, name in enumerate(CHANGES)}

    def class_counts(self) -> dict[str, dict[str, Any]]:
        """Per ground-truth class with any change: its counts and its ``verdict``. The
        cost is the rows and the classes they hold, not the project's class list."""
        size = len(self.base.class_names)
        keyed = self.base.label_index.astype(np.int64) * len(CHANGES) + self.change_code
        table = np.bincount(keyed, minlength=size * len(CHANGES)).reshape(size, len(CHANGES))
        out: dict[str, dict[str, Any]] = {}
        for index in np.flatnonzero(table.sum(axis=1)).tolist():
            counts: dict[str, int] = {name: int(table[index, i]) for i, name in enumerate(CHANGES)}
            out[self.base.class_names[index]] = {
                **counts,
                "verdict": verdict(counts["fixed"] - counts["broken"]),
            }
        return out

    def records(self) -> list[dict[str, Any]]:
        """Each row: the object (``id``, ``frame_id``, ``label``, ``area``), its
        ``change``, and each side's ``outcome``, ``reason``, ``partner_label`` and ``iou``."""
        return [
            {
                "id": int(object_id),
                "frame_id": frame,
                "label": label,
                "area": float(area),
                "change": change,
                "base": side_base,
                "other": side_other,
            }
            for object_id, frame, label, area, change, side_base, side_other in zip(
                self.base.id.tolist(),
                self.base.frame_id.tolist(),
                self.base.label.tolist(),
                self.base.area.tolist(),
                self.change.tolist(),
                _sides(self.base),
                _sides(self.other),
                strict=True,
            )
        ]


def _sides(outcomes: Outcomes) -> list[dict[str, Any]]:
    outcome_names, reason_names = np.asarray(OUTCOME_NAMES), np.asarray(REASON_NAMES)
    return [
        {"outcome": outcome, "reason": reason, "partner_label": partner, "iou": iou}
        for outcome, reason, partner, iou in zip(
            outcome_names[outcomes.outcome_code].tolist(),
            reason_names[outcomes.reason_code].tolist(),
            outcomes.partner_label.tolist(),
            outcomes.iou.tolist(),
            strict=True,
        )
    ]


def changed_examples(base: Outcomes, other: Outcomes) -> ChangedExamples:
    """The ground truth fixed, broken or still wrong from ``base`` to ``other``: the
    outcomes of two inference sets on the same frames of the same dataset version
    (each side at its own operating point), in the base's row order."""
    if tuple(base.class_names) != tuple(other.class_names):
        raise InputError("the two inference sets were evaluated with different class maps")
    base_truth = base.select(np.flatnonzero(base.kind_code == _GROUND_TRUTH))
    other_truth = other.select(np.flatnonzero(other.kind_code == _GROUND_TRUTH))
    # Align the other's rows to the base's by object id (both hold the same objects).
    order = np.argsort(other_truth.id, kind="stable")
    at = np.searchsorted(other_truth.id[order], base_truth.id)
    at = np.minimum(at, max(len(order) - 1, 0))
    if len(order) != len(base_truth) or (
        len(order) and not np.array_equal(other_truth.id[order][at], base_truth.id)
    ):
        raise InputError("the two inference sets' outcomes are not of the same ground truth")
    other_truth = other_truth.select(order[at] if len(order) else order)
    right_before = base_truth.outcome_code == _TP
    right_after = other_truth.outcome_code == _TP
    code = np.full(len(base_truth), -1, np.int8)
    code[~right_before & right_after] = 0
    code[right_before & ~right_after] = 1
    code[~right_before & ~right_after] = 2
    keep = np.flatnonzero(code >= 0)
    return ChangedExamples(base_truth.select(keep), other_truth.select(keep), code[keep])


def class_verdicts(deltas: Mapping[str, Mapping[str, Mapping[str, float]]]) -> dict[str, Verdict]:
    """Each class's verdict from a comparison's ``class_deltas``: its F1 score's change."""
    return {label: verdict(metrics["f1-score"]["delta"]) for label, metrics in deltas.items()}
