"""TIDE's error breakdown (Bolya et al., "TIDE: A General Toolbox for Identifying Object
Detection Errors", ECCV 2020), equal to tidecv 1.0.1 in its COCO box mode.

Every false positive gets one type (Cls, Loc, Both, Dupe, Bkg) and every missed ground
truth not explained by a Cls or Loc error is a Miss (:mod:`shoal.engine.detection.tide_assignment`).
A type's dAP is how much TIDE's AP at the foreground IoU (101-point, mean over classes)
rises when an oracle fixes every error of that type and nothing else; FalsePos and FalseNeg
are the AP gained by perfect precision and by perfect recall. docs/insights.md has every
definition and the places where tidecv's choices are kept on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from shoal.engine.detection.annotations import GroundTruth, Predictions
from shoal.engine.detection.tide_assignment import (
    ERROR_CODES,
    FALSE_POSITIVE,
    TRUE_POSITIVE,
    TideAssignment,
    assign,
)

__all__ = [
    "DEFAULT_BG_IOU",
    "DEFAULT_FG_IOU",
    "DEFAULT_MAX_DETS",
    "MAIN_ERRORS",
    "SPECIAL_ERRORS",
    "TideClass",
    "TideResult",
    "tide",
]

DEFAULT_FG_IOU = 0.5
DEFAULT_BG_IOU = 0.1
DEFAULT_MAX_DETS = 100
MAIN_ERRORS: tuple[str, ...] = ("Cls", "Loc", "Both", "Dupe", "Bkg", "Miss")
SPECIAL_ERRORS: tuple[str, ...] = ("FalsePos", "FalseNeg")
_CODE_NAMES = {code: name for name, code in ERROR_CODES.items()}
_RECALL_GRID = np.arange(101) / 100  # the same floats as tidecv's x / 100


@dataclass(frozen=True, slots=True)
class TideClass:
    """One class's share: its TIDE AP, error counts (false positives by predicted class,
    misses by ground-truth class) and the rise of its own AP under each fix."""

    label: str
    ap: float
    counts: dict[str, int]
    dap: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "ap": self.ap, "counts": self.counts, "dap": self.dap}


@dataclass(frozen=True, slots=True, eq=False)
class TideResult:
    """A TIDE breakdown. ``dap`` has the six main errors and the two special ones, in AP
    points (0-100) as tidecv prints them; ``ap`` is TIDE's AP at ``fg_iou``.
    ``assignment`` keeps each prediction's and ground truth's type
    (:meth:`prediction_types`, :meth:`ground_truth_types`)."""

    fg_iou: float
    bg_iou: float
    max_dets: int
    ap: float
    counts: dict[str, int]
    dap: dict[str, float]
    per_class: tuple[TideClass, ...]
    assignment: TideAssignment = field(repr=False)
    prediction_ids: NDArray[np.int64] = field(repr=False)
    ground_truth_ids: NDArray[np.int64] = field(repr=False)

    def prediction_types(self) -> list[str | None]:
        """Each prediction row's TIDE type (None: a true positive, not kept or ignored
        without an error)."""
        return [_CODE_NAMES.get(int(code)) for code in self.assignment.prediction_error]

    def ground_truth_types(self) -> list[str | None]:
        """Each ground-truth row's type: "Miss" or None."""
        return ["Miss" if missed else None for missed in self.assignment.ground_truth_missed]

    def prediction_rows(self, error: str) -> NDArray[np.int64]:
        """Rows of the predictions of one type (Cls, Loc, Both, Dupe or Bkg)."""
        return np.flatnonzero(self.assignment.prediction_error == ERROR_CODES[error])

    def object_ids(self, error: str) -> NDArray[np.int64]:
        """Ids (``Predictions.ids``, or ``GroundTruth.ids`` for Miss) of the objects of
        one type."""
        if error == "Miss":
            return self.ground_truth_ids[self.assignment.ground_truth_missed]
        return self.prediction_ids[self.prediction_rows(error)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "settings": {"fg_iou": self.fg_iou, "bg_iou": self.bg_iou, "max_dets": self.max_dets},
            "ap": self.ap,
            "counts": self.counts,
            "dap": self.dap,
            "per_class": [entry.to_dict() for entry in self.per_class],
        }


@dataclass(frozen=True, slots=True)
class _Points:
    """AP data points: class index, score, true positive, tie-break rank."""

    label: NDArray[np.int32]
    score: NDArray[np.float64]
    correct: NDArray[np.bool_]
    tie: NDArray[np.int64]


def _class_aps(
    points: _Points, num_gt: NDArray[np.int64], classes: NDArray[np.bool_]
) -> tuple[NDArray[np.float64], float]:
    """tidecv's ``APDataObject.get_ap`` per class and ``get_mAP``: per class, points by
    descending score (``tie`` ordering equal scores), precision made monotone from the
    right and sampled at the 101 recalls with ``searchsorted(side="left")`` (0 past the
    end), times 100; a class without ground truth scores 0. The mean skips classes of
    ``classes`` with neither points nor a ground-truth count."""
    num_classes = num_gt.size
    order = np.lexsort((points.tie, -points.score, points.label))
    label = points.label[order]
    correct = points.correct[order]
    bounds = np.searchsorted(label, np.arange(num_classes + 1))
    sizes = np.diff(bounds)
    aps = np.zeros(num_classes)
    for c in np.flatnonzero((sizes > 0) & (num_gt > 0)):
        start, end = bounds[c], bounds[c + 1]
        true_positives = np.cumsum(correct[start:end])
        precision = true_positives / np.arange(1, end - start + 1)
        recall = true_positives / num_gt[c]
        envelope = np.maximum.accumulate(precision[::-1])[::-1]
        at = np.searchsorted(recall, _RECALL_GRID, side="left")
        sampled = np.where(at < envelope.size, envelope[np.minimum(at, envelope.size - 1)], 0.0)
        aps[c] = sum(sampled.tolist()) / len(sampled) * 100
    counted = classes & ((sizes > 0) | (num_gt != 0))
    mean = sum(aps[counted].tolist()) / int(counted.sum()) if counted.any() else 0.0
    return aps, mean


def tide(
    gt: GroundTruth,
    dt: Predictions,
    *,
    fg_iou: float = DEFAULT_FG_IOU,
    bg_iou: float = DEFAULT_BG_IOU,
    max_dets: int = DEFAULT_MAX_DETS,
    frames: NDArray[np.bool_] | None = None,
    frame_order: NDArray[np.int64] | None = None,
) -> TideResult:
    """TIDE's breakdown of ``dt`` against ``gt`` on the frames ``frames`` selects (a mask
    over ``gt.frame_ids``, all by default). Crowds (and ground truth flagged ``ignore``)
    are ignore regions. ``frame_order`` (frame positions) only decides which of two
    equal scores on different frames ranks first in AP: by default frames by id, where
    tidecv takes its file's image order."""
    if not 0.0 <= bg_iou <= fg_iou <= 1.0:
        from shoal.errors import InputError

        raise InputError(f"TIDE needs 0 <= bg_iou <= fg_iou <= 1 (got {bg_iou}, {fg_iou})")
    assignment = assign(
        gt,
        dt,
        fg_iou=fg_iou,
        bg_iou=bg_iou,
        max_dets=max_dets,
        frames=frames,
        frame_order=frame_order,
    )
    return _breakdown(gt, dt, assignment, fg_iou=fg_iou, bg_iou=bg_iou, max_dets=max_dets)


def _breakdown(
    gt: GroundTruth,
    dt: Predictions,
    assignment: TideAssignment,
    *,
    fg_iou: float,
    bg_iou: float,
    max_dets: int,
) -> TideResult:
    num_classes = len(gt.classes)
    state = assignment.prediction_state
    error = assignment.prediction_error
    regular = assignment.ground_truth_in_frames & ~(gt.iscrowd | gt.ignore)
    num_gt = np.bincount(gt.label[regular], minlength=num_classes).astype(np.int64)

    pushed = np.flatnonzero((state == FALSE_POSITIVE) | (state == TRUE_POSITIVE))
    correct_rows = np.flatnonzero(state == TRUE_POSITIVE)
    error_rows = np.flatnonzero(error != 0)
    position = assignment.prediction_position
    classes = (num_gt > 0) | (np.bincount(dt.label[pushed], minlength=num_classes) > 0)

    original = _Points(
        dt.label[pushed], dt.score[pushed], state[pushed] == TRUE_POSITIVE, position[pushed]
    )
    base_aps, base_ap = _class_aps(original, num_gt, classes)

    # tidecv's fix_errors pushes every error's point first, then the true positives, so
    # at equal scores error points rank first: tie = position, or position + N.
    offset = int(position.max(initial=-1)) + 1
    fixable = np.zeros(len(dt), bool)
    targeted = assignment.prediction_target[error_rows]
    has_target = targeted >= 0
    fixable[error_rows[has_target]] = (
        assignment.ground_truth_fixer[targeted[has_target]] == error_rows[has_target]
    )
    error_pushed = error_rows[state[error_rows] == FALSE_POSITIVE]
    missed = assignment.ground_truth_missed
    unmatched = regular & ~assignment.ground_truth_matched
    missed_per_class = np.bincount(gt.label[missed], minlength=num_classes)
    unmatched_per_class = np.bincount(gt.label[unmatched], minlength=num_classes)

    def points(kept_errors: NDArray[np.int64], fixed: NDArray[np.int64], code: int) -> _Points:
        fixed_label = dt.label[fixed]
        if code == ERROR_CODES["Cls"]:  # relabelled as its target's class
            fixed_label = gt.label[assignment.prediction_target[fixed]]
        return _Points(
            np.concatenate([dt.label[kept_errors], fixed_label, dt.label[correct_rows]]),
            np.concatenate([dt.score[kept_errors], dt.score[fixed], dt.score[correct_rows]]),
            np.concatenate(
                [
                    np.zeros(kept_errors.size, bool),
                    np.ones(fixed.size, bool),
                    np.ones(correct_rows.size, bool),
                ]
            ),
            np.concatenate(
                [position[kept_errors], position[fixed], position[correct_rows] + offset]
            ),
        )

    dap: dict[str, float] = {}
    class_dap: dict[str, NDArray[np.float64]] = {}
    nothing = np.zeros(0, np.int64)
    for name in MAIN_ERRORS:
        code = ERROR_CODES[name]
        gt_count = num_gt
        if name == "Miss":
            variant = points(error_pushed, nothing, code)
            gt_count = num_gt - missed_per_class
        else:
            of_type = error[error_rows] == code
            kept = error_pushed[error[error_pushed] != code]
            fixed = error_rows[of_type & fixable[error_rows]] if name in ("Cls", "Loc") else nothing
            variant = points(kept, fixed, code)
        aps, mean = _class_aps(variant, gt_count, classes)
        dap[name] = max(mean - base_ap, 0.0)
        class_dap[name] = np.maximum(aps - base_aps, 0.0)
    plain = points(error_pushed, nothing, 0)
    perfect_precision = _Points(
        plain.label, np.where(plain.correct, 1.0, 0.0), plain.correct, plain.tie
    )
    aps, mean = _class_aps(perfect_precision, num_gt, classes)
    dap["FalsePos"], class_dap["FalsePos"] = mean - base_ap, aps - base_aps
    aps, mean = _class_aps(plain, num_gt - unmatched_per_class, classes)
    dap["FalseNeg"], class_dap["FalseNeg"] = mean - base_ap, aps - base_aps

    counts = {name: int(np.count_nonzero(error == ERROR_CODES[name])) for name in MAIN_ERRORS}
    counts["Miss"] = int(np.count_nonzero(missed))
    class_counts = {
        name: np.bincount(dt.label[error == ERROR_CODES[name]], minlength=num_classes)
        for name in MAIN_ERRORS[:-1]
    }
    class_counts["Miss"] = missed_per_class
    labels = gt.classes.names
    per_class = tuple(
        TideClass(
            label=_label(labels, int(c)),
            ap=float(base_aps[c]),
            counts={name: int(class_counts[name][c]) for name in MAIN_ERRORS},
            dap={name: float(class_dap[name][c]) for name in (*MAIN_ERRORS, *SPECIAL_ERRORS)},
        )
        for c in np.flatnonzero(classes)
    )
    return TideResult(
        fg_iou=fg_iou,
        bg_iou=bg_iou,
        max_dets=max_dets,
        ap=base_ap,
        counts=counts,
        dap={name: float(value) for name, value in dap.items()},
        per_class=per_class,
        assignment=assignment,
        prediction_ids=dt.ids,
        ground_truth_ids=gt.ids,
    )


def _label(labels: NDArray[np.str_], index: int) -> str:
    return str(labels[index]) if index < labels.size else str(index)
