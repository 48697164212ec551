"""Paired bootstrap over frames: is the change between two inference sets real?

Both evaluations are read once at their operating points; each frame's TP, FP and FN
per class (the kept matching's outcomes, not a new matching) are the resampled units.
A replicate draws ``n`` frames with replacement from the ``n`` compared frames (the
same draw for both sets: *paired*) and scores each set as the report of that multiset
of frames would: per-class precision, recall and F1 (0 where undefined), their macro
average over the compared classes and the pooled (micro) values. The delta is
``other - base``; its 95% interval is the 2.5th and 97.5th percentiles of the ``B``
replicate deltas (percentile method). A delta is *significant* when its interval
excludes zero.

AP is resampled too (``average_precision=True``, the default), without matching or
sorting again: the evaluation's ranked predictions are walked once per replicate, each
counted as many times as its frame was drawn (``Evaluation.resampled_average_precision``),
so a replicate's AP is the AP of its frames duplicated. Each class's AP at the side's
IoU over every prediction (no confidence cut, as the report's ``ap``) and ``macro avg``,
the mean over the classes with ground truth in the replicate (detection's mAP; for
classification every class, as scikit-learn averages). A detection class without
ground truth on either side's compared frames has no AP interval; a replicate that
draws none of a class's ground truth leaves it out of that class's percentiles.

Replicates are drawn from ``numpy.random.default_rng(seed)`` in blocks whose size
depends only on the frame count, so one seed gives the same intervals on every run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from shoal._types import Conf
from shoal.analysis._classes import MAX_COMPARED_CLASSES, bounded_classes
from shoal.engine.evaluation import Evaluation
from shoal.engine.metrics import FN, FP, PREDICTION, TP, Outcomes, safe_divide
from shoal.errors import InputError

__all__ = [
    "BOOTSTRAP_METRICS",
    "DEFAULT_RESAMPLES",
    "DeltaInterval",
    "Significance",
    "paired_bootstrap",
]

DEFAULT_RESAMPLES = 1000
MAX_RESAMPLES = 100_000
BOOTSTRAP_METRICS = ("precision", "recall", "f1-score", "ap")
# The metrics read from per-frame counts (AP needs the ranked predictions).
COUNT_METRICS = ("precision", "recall", "f1-score")
MACRO, MICRO = "macro avg", "micro avg"
# Weights of this many (replicate, frame) cells are drawn at once: memory stays bounded
# on a large dataset and the draw order depends only on the frame count.
_BLOCK_CELLS = 2_000_000


@dataclass(frozen=True)
class DeltaInterval:
    """One metric's change (``other - base``) on one class or average, with its
    bootstrap interval [``low``, ``high``]."""

    scope: str
    metric: str
    base: float
    other: float
    delta: float
    low: float
    high: float

    @property
    def significant(self) -> bool:
        """Whether the interval excludes zero."""
        return bool(self.low > 0.0 or self.high < 0.0)

    @property
    def direction(self) -> str:
        """``better`` or ``worse`` when significant (every metric here is higher-is-
        better), else ``same``."""
        if not self.significant:
            return "same"
        return "better" if self.low > 0.0 else "worse"

    def to_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "metric": self.metric,
            "base": self.base,
            "other": self.other,
            "delta": self.delta,
            "low": self.low,
            "high": self.high,
            "significant": self.significant,
            "direction": self.direction,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DeltaInterval:
        return cls(
            str(data["scope"]),
            str(data["metric"]),
            *(float(data[k]) for k in ("base", "other", "delta", "low", "high")),
        )


@dataclass(frozen=True)
class Significance:
    """Every interval of one paired bootstrap: each class's and both averages'
    precision, recall and F1, over ``frame_count`` frames, ``resamples`` replicates."""

    labels: tuple[str, ...]
    intervals: tuple[DeltaInterval, ...]
    frame_count: int
    resamples: int
    seed: int
    level: float

    def interval(self, scope: str, metric: str) -> DeltaInterval:
        """The interval of ``metric`` on a class, ``"macro avg"`` or ``"micro avg"``."""
        for found in self.intervals:
            if found.scope == scope and found.metric == metric:
                return found
        raise InputError(
            f"no interval for {metric!r} of {scope!r}; scopes are "
            f"{[*self.labels, MACRO, MICRO]}, metrics {list(BOOTSTRAP_METRICS)}"
        )

    def significant(self) -> list[DeltaInterval]:
        """The intervals that exclude zero."""
        return [found for found in self.intervals if found.significant]

    def to_dict(self) -> dict[str, Any]:
        return {
            "labels": list(self.labels),
            "frame_count": self.frame_count,
            "resamples": self.resamples,
            "seed": self.seed,
            "level": self.level,
            "intervals": [found.to_dict() for found in self.intervals],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Significance:
        return cls(
            tuple(str(label) for label in data["labels"]),
            tuple(DeltaInterval.from_dict(found) for found in data["intervals"]),
            int(data["frame_count"]),
            int(data["resamples"]),
            int(data["seed"]),
            float(data["level"]),
        )


def _frame_counts(
    outcomes: Outcomes, frame_index: dict[str, int], classes: Sequence[str]
) -> NDArray[np.float32]:
    """(frames, 3 * classes): each frame's TP, FP and FN per compared class, in that
    order (the columns of the outcome codes)."""
    num_classes = len(classes)
    counts = np.zeros((len(frame_index), 3 * num_classes), np.float32)
    # Outcomes index the evaluation's whole class list: map to the compared positions.
    position_of = {label: i for i, label in enumerate(classes)}
    to_position = np.array([position_of.get(name, -1) for name in outcomes.class_names], np.int64)
    position = to_position[outcomes.label_index]
    # A true positive has two rows (its prediction and its ground truth): count the
    # prediction's; false negatives are ground-truth rows only.
    once = (outcomes.kind_code == PREDICTION) | (outcomes.outcome_code == FN)
    kept = (position >= 0) & once
    frames = np.fromiter(
        (frame_index[str(frame)] for frame in outcomes.frame_id[kept].tolist()),
        np.int64,
        count=int(kept.sum()),
    )
    block_of_outcome = np.zeros(max(TP, FP, FN) + 1, np.int64)
    block_of_outcome[[TP, FP, FN]] = [0, 1, 2]
    block = block_of_outcome[outcomes.outcome_code[kept]]
    column = block * num_classes + position[kept]
    np.add.at(counts, (frames, column), 1.0)
    return counts


def _scores(sums: NDArray[np.float64], num_classes: int) -> dict[str, NDArray[np.float64]]:
    """Per replicate (rows of ``sums``: TP, FP, FN per class): per-class and averaged
    precision, recall and F1, as (replicates, classes + 2) arrays (macro, then micro)."""
    tp = sums[:, :num_classes]
    fp = sums[:, num_classes : 2 * num_classes]
    fn = sums[:, 2 * num_classes :]
    precision = safe_divide(tp, tp + fp)
    recall = safe_divide(tp, tp + fn)
    f1 = safe_divide(2 * precision * recall, precision + recall)
    tp_all, fp_all, fn_all = tp.sum(axis=1), fp.sum(axis=1), fn.sum(axis=1)
    micro_p = safe_divide(tp_all, tp_all + fp_all)
    micro_r = safe_divide(tp_all, tp_all + fn_all)
    micro_f = safe_divide(2 * micro_p * micro_r, micro_p + micro_r)

    def with_averages(per_class: NDArray[np.float64], micro: NDArray[np.float64]) -> Any:
        macro = per_class.mean(axis=1) if num_classes else np.zeros(len(sums))
        return np.column_stack([per_class, macro, micro])

    return {
        "precision": with_averages(precision, micro_p),
        "recall": with_averages(recall, micro_r),
        "f1-score": with_averages(f1, micro_f),
    }


def _weight_blocks(
    num_frames: int, resamples: int, rng: np.random.Generator
) -> Iterator[tuple[int, NDArray[np.int64]]]:
    """The replicates' frame multiplicities in blocks: (first replicate, (size, frames)
    counts of each frame's draws), drawn block by block from ``rng``."""
    block = max(1, min(resamples, _BLOCK_CELLS // max(num_frames, 1)))
    for start in range(0, resamples, block):
        size = min(block, resamples - start)
        drawn = rng.integers(0, num_frames, size=(size, num_frames))
        drawn += (np.arange(size) * num_frames)[:, None]
        weights = np.bincount(drawn.ravel(), minlength=size * num_frames)
        yield start, weights.reshape(size, num_frames)


def _replicates(
    counts: NDArray[np.float32],
    resamples: int,
    rng: np.random.Generator,
    each_block: Callable[[int, NDArray[np.int64]], None] | None = None,
) -> NDArray[np.float64]:
    """(resamples, columns): each replicate's column sums over its frame multiset;
    ``each_block`` also sees every block of weights (AP is resampled from them)."""
    num_frames = counts.shape[0]
    if num_frames == 0:  # nothing to draw: every replicate is the empty selection
        return np.zeros((resamples, counts.shape[1]), np.float64)
    active = np.flatnonzero(counts.any(axis=1))  # empty frames add nothing to a sum
    dense = counts[active]
    out = np.empty((resamples, counts.shape[1]), np.float64)
    for start, weights in _weight_blocks(num_frames, resamples, rng):
        # Integer sums far below 2**24 are exact in float32.
        out[start : start + len(weights)] = weights[:, active].astype(np.float32) @ dense
        if each_block is not None:
            each_block(start, weights)
    return out


class _ResampledAP:
    """One side's AP per replicate, filled block by block: (resamples, classes), NaN
    where a replicate draws no ground truth of a class (detection's -1)."""

    def __init__(
        self,
        evaluation: Evaluation,
        iou: float,
        frame_ids: Sequence[str],
        classes: Sequence[str],
        resamples: int,
    ) -> None:
        self.evaluation, self.iou, self.classes = evaluation, iou, list(classes)
        position = {str(frame): i for i, frame in enumerate(evaluation.frame_ids.tolist())}
        self.columns = np.array([position[str(frame)] for frame in frame_ids], np.int64)
        self.values = np.full((resamples, len(classes)), np.nan)
        self.missing = -1.0 if evaluation.task == "detection" else None

    def _of(self, weights: NDArray[Any]) -> NDArray[np.float64]:
        full = np.zeros((len(weights), self.evaluation.num_frames))
        full[:, self.columns] = weights
        ap = self.evaluation.resampled_average_precision(full, iou=self.iou, classes=self.classes)
        return np.where(ap == self.missing, np.nan, ap) if self.missing is not None else ap

    def add(self, start: int, weights: NDArray[np.int64]) -> None:
        self.values[start : start + len(weights)] = self._of(weights)

    def point(self) -> NDArray[np.float64]:
        """(classes,): AP over the compared frames, each drawn once."""
        point: NDArray[np.float64] = self._of(np.ones((1, self.columns.size)))[0]
        return point


def _with_mean(per_class: NDArray[np.float64]) -> NDArray[np.float64]:
    """Per-class AP and, last, their mean over the classes defined in each row."""
    defined = ~np.isnan(per_class)
    counted = defined.sum(axis=1)
    total = np.where(defined, per_class, 0.0).sum(axis=1)
    mean = np.divide(total, counted, out=np.full(len(per_class), np.nan), where=counted > 0)
    return np.column_stack([per_class, mean])


def paired_bootstrap(
    base: Evaluation,
    other: Evaluation,
    *,
    conf: Conf,
    iou: float = 0.5,
    frames: Sequence[Any] | None = None,
    other_conf: Conf | None = None,
    other_iou: float | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    level: float = 0.95,
    average_precision: bool = True,
) -> Significance:
    """Intervals of every precision, recall, F1 and (with ``average_precision``) AP delta
    (``other - base``) per class and averaged, over the classes
    :func:`shoal.analysis.compare` compares on ``frames`` (see the module doc). The point
    values equal that comparison's."""
    if not 1 <= resamples <= MAX_RESAMPLES:
        raise InputError(f"resamples must be in [1, {MAX_RESAMPLES}], not {resamples}")
    if seed < 0:
        raise InputError(f"the seed must be a non-negative integer, not {seed}")
    if not 0.0 < level < 1.0:
        raise InputError(f"the interval level must be in (0, 1), not {level}")
    if tuple(base.labels) != tuple(other.labels):
        raise InputError("the two inference sets were evaluated with different class maps")
    selection = None if frames is None else list(frames)
    classes = bounded_classes(
        [base, other], iou, selection, limit=MAX_COMPARED_CLASSES, what="the comparison"
    )
    frame_ids = [str(f) for f in base.frame_ids.tolist()] if selection is None else list(selection)
    frame_index = {str(frame): i for i, frame in enumerate(frame_ids)}
    sides = [
        (base, conf, iou),
        (
            other,
            conf if other_conf is None else other_conf,
            iou if other_iou is None else other_iou,
        ),
    ]
    per_side = []
    for evaluation, side_conf, side_iou in sides:
        outcomes = evaluation.outcomes(side_conf, side_iou, frames=selection, classes=classes)
        per_side.append(_frame_counts(outcomes, frame_index, classes))
    counts = np.concatenate(per_side, axis=1)
    width = 3 * len(classes)
    rng = np.random.default_rng(seed)
    resampled_ap = (
        [_ResampledAP(evaluation, side_iou, frame_ids, classes, resamples)
         for evaluation, _, side_iou in sides]
        if average_precision else []
    )  # fmt: skip

    def each_block(start: int, weights: NDArray[np.int64]) -> None:
        for side in resampled_ap:
            side.add(start, weights)

    sums = _replicates(counts, resamples, rng, each_block if resampled_ap else None)
    full = counts.sum(axis=0, dtype=np.float64)[None, :]
    base_point = _scores(full[:, :width], len(classes))
    other_point = _scores(full[:, width:], len(classes))
    base_rep = _scores(sums[:, :width], len(classes))
    other_rep = _scores(sums[:, width:], len(classes))
    tail = (1.0 - level) / 2.0 * 100.0
    scopes = [*classes, MACRO, MICRO]
    intervals = []
    for metric in COUNT_METRICS:
        deltas = other_rep[metric] - base_rep[metric]
        low, high = np.percentile(deltas, [tail, 100.0 - tail], axis=0)
        for j, scope in enumerate(scopes):
            before, after = float(base_point[metric][0, j]), float(other_point[metric][0, j])
            intervals.append(
                DeltaInterval(
                    scope, metric, before, after, after - before, float(low[j]), float(high[j])
                )
            )
    if resampled_ap:
        base_ap, other_ap = resampled_ap
        points = [_with_mean(side.point()[None, :])[0] for side in resampled_ap]
        deltas = _with_mean(other_ap.values) - _with_mean(base_ap.values)
        for j, scope in enumerate([*classes, MACRO]):
            before, after = float(points[0][j]), float(points[1][j])
            column = deltas[:, j][~np.isnan(deltas[:, j])]
            if np.isnan(before) or np.isnan(after) or column.size == 0:
                continue  # no ground truth of the class on the compared frames
            low, high = np.percentile(column, [tail, 100.0 - tail])
            intervals.append(
                DeltaInterval(scope, "ap", before, after, after - before, float(low), float(high))
            )
    return Significance(
        labels=tuple(classes),
        intervals=tuple(intervals),
        frame_count=len(frame_ids),
        resamples=resamples,
        seed=seed,
        level=level,
    )
