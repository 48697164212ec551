"""Performance by metric: how a model's precision and false-negative rate change along a
property of the data (a quality metric, a custom metric, a box's area, a prediction's
confidence, a numeric metadata key), and which property hurts the model most.

The *elements* are the objects counted at one operating point (``conf``, ``iou``): the
predictions kept at ``conf`` (true or false positives) and the ground truth (detected or
missed, a false negative). Each carries the metric's value (NaN where unknown: a null,
or a label asked for a prediction-only metric such as ``confidence``); a frame-level
metric gives every element of a frame the frame's value. Elements without a value are
left out of every number below except the overall precision and FNR, and counted as
``missing``.

**Bins** (:func:`quantile_bins`): every valued element of the analysis (predictions and
labels together) is ranked by its value, ties sharing their average rank (the mid-rank),
and goes in bin ``floor(bins * (rank - 0.5) / n)`` of ``bins`` equal-count quantile bins;
bins left empty are dropped (so a metric with few distinct values has fewer bins). Ties
never straddle two bins (a value holding 60% of the elements is one bin of its own), so a
bin is exactly the elements whose value lies in its ``[low, high]`` (the smallest and
largest value in it) and the bins' ranges never overlap. Without ties the bins are
``pandas.qcut``'s.

Per bin, over the elements in it (and per class, over that class's elements, predictions
by predicted class and labels by their class):

- ``precision = TP / (TP + FP)`` over the predictions in the bin (null without any);
- ``FNR = FN / (TP + FN)`` over the labels in the bin, a label being TP when detected
  (null without any). Encord Active's server divides by FN plus the bin's *predictions*;
  Shoal uses the labels, so FNR = 1 - recall in the bin.

The overall precision and FNR (every counted element, valued or not) are the reference
lines.

**Distribution** (:func:`histogram`): ``histogram_bins`` equal-width bins over the valued
elements' range (NumPy's ``histogram``: half-open bins, the last one closed), counting
true-positive and false-positive predictions and detected and missed labels, overall, per
group (the dataset's split segments) and per class.

**Importance and correlation** (:func:`association`) are measured on one sample with a
binary outcome, ``1`` right and ``0`` wrong, each object counted once:

- detection: every counted prediction (TP 1, FP 0) and every missed label (FN, 0); a
  detected label is left out, its true-positive prediction standing for it;
- classification: every frame's label (1 when its prediction is right at ``conf``).

``importance = I(B; Y) / H(Y)``: the mutual information (nats, plug-in estimate from the
contingency table, as ``sklearn.metrics.mutual_info_score``) between the metric's
quantile bin ``B`` (``importance_bins`` bins, as above) and the outcome ``Y``, divided by
the outcome's entropy; this is Theil's uncertainty coefficient U(Y|B), in [0, 1]: 0 when
knowing the bin says nothing about being right, 1 when it decides it. The plug-in
estimate is biased upwards by about ``(bins - 1) / (2 n)`` nats, hence the sample guard.
(Encord Active's importance is scikit-learn's kNN ``mutual_info_regression`` in nats,
unbounded, displayed on [0, 1].)

``pearson`` and ``spearman``: the correlation of the metric with the outcome (Pearson's
r, equal to the point-biserial correlation, and Spearman's rho on average ranks; both as
``scipy.stats``). Positive: the larger the value, the more often the model is right;
negative: the larger, the worse.

**Guard**: with fewer than ``min_samples`` valued elements (default
:data:`MIN_SAMPLES`), or a constant outcome or metric, importance and correlations are
null and ``reason`` says why; ``n`` is always given. Rankings (:func:`rank`) put the
largest importance first and nulls last.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shoal.errors import InputError

__all__ = [
    "DEFAULT_BINS",
    "DEFAULT_HISTOGRAM_BINS",
    "DEFAULT_IMPORTANCE_BINS",
    "MAX_BINS",
    "MIN_SAMPLES",
    "Association",
    "BinnedRates",
    "Elements",
    "Histogram",
    "MetricImportance",
    "MetricPerformance",
    "association",
    "average_ranks",
    "histogram",
    "in_range",
    "metric_importance",
    "metric_performance",
    "mutual_information",
    "pearson",
    "quantile_bins",
    "rank",
    "spearman",
]

DEFAULT_BINS = 10
DEFAULT_IMPORTANCE_BINS = 10
DEFAULT_HISTOGRAM_BINS = 20
MAX_BINS = 200
MIN_SAMPLES = 100

Reason = Literal["too_few", "constant_outcome", "constant_metric"]


def _check_bins(bins: int, what: str = "bins") -> None:
    if (
        isinstance(bins, bool)
        or not isinstance(bins, int | np.integer)
        or not 1 <= bins <= MAX_BINS
    ):
        raise InputError(f"{what} must be an integer in [1, {MAX_BINS}], not {bins!r}")


def _float(value: float) -> float | None:
    return None if not np.isfinite(value) else float(value)


# ------------------------------------------------------------ kernels
def _ranked(x: NDArray[Any]) -> tuple[NDArray[np.float64], NDArray[Any]]:
    """Average ranks of ``x`` and ``x`` sorted (one sort serves both)."""
    n = x.size
    order = np.argsort(x)  # ties get their group's mean: the sort need not be stable
    ordered = x[order]
    starts = np.empty(n, bool)
    if n:
        starts[0] = True
        np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    group = np.cumsum(starts) - 1  # each sorted element's tie group, 0-based
    bounds = np.append(np.flatnonzero(starts), n)  # group g spans [bounds[g], bounds[g+1])
    mean_rank = 0.5 * (bounds[:-1] + 1 + bounds[1:])
    ranks = np.empty(n, np.float64)
    ranks[order] = mean_rank[group]
    return ranks, ordered


def average_ranks(values: ArrayLike) -> NDArray[np.float64]:
    """1-based ranks, ties given their average rank (``scipy.stats.rankdata``'s
    "average"); ``values`` must hold no NaN."""
    return _ranked(np.asarray(values))[0]


def pearson(x: ArrayLike, y: ArrayLike) -> float:
    """Pearson's r (NaN when either side is constant or there are fewer than 2 values),
    computed as ``scipy.stats.pearsonr`` does: centred, normalized, then the dot
    product, clipped to [-1, 1]."""
    a = np.asarray(x, np.float64)
    b = np.asarray(y, np.float64)
    if a.size < 2:
        return float("nan")
    am = a - a.mean()
    bm = b - b.mean()
    # Pairwise sums rather than BLAS: as exact, and no thread pool to wake per call.
    norm_a = float(np.sqrt(np.sum(am * am)))
    norm_b = float(np.sqrt(np.sum(bm * bm)))
    if norm_a == 0.0 or norm_b == 0.0:
        return float("nan")
    # scipy rescales first when a norm is tiny relative to the mean; the values here
    # (metrics, 0/1 outcomes) do not need it, and equal scipy to 1e-12 without it.
    r = float(np.sum((am / norm_a) * (bm / norm_b)))
    return max(-1.0, min(1.0, r))


def _binary_ranks(y: NDArray[np.bool_]) -> NDArray[np.float64]:
    """:func:`average_ranks` of a boolean array without sorting: the falses share
    ``(n0 + 1) / 2``, the trues ``n0 + (n1 + 1) / 2``."""
    falses = float(y.size - np.count_nonzero(y))
    return np.where(y, falses + (y.size - falses + 1) / 2, (falses + 1) / 2)


def spearman(x: ArrayLike, y: ArrayLike) -> float:
    """Spearman's rho: Pearson's r of the average ranks (``scipy.stats.spearmanr``)."""
    return pearson(average_ranks(x), average_ranks(y))


def mutual_information(first: ArrayLike, second: ArrayLike) -> float:
    """The plug-in mutual information (nats) of two label arrays, from their contingency
    table (``sklearn.metrics.mutual_info_score``)."""
    a = np.unique(np.asarray(first), return_inverse=True)[1].ravel()
    b = np.unique(np.asarray(second), return_inverse=True)[1].ravel()
    return _mutual_information_codes(a, b)


def _mutual_information_codes(a: NDArray[np.integer], b: NDArray[np.integer]) -> float:
    n = a.size
    if n == 0:
        return 0.0
    width = int(b.max()) + 1
    joint = np.bincount(a.astype(np.int64) * width + b, minlength=(int(a.max()) + 1) * width)
    joint = joint.reshape(-1, width).astype(np.float64)
    pa = joint.sum(axis=1, keepdims=True)
    pb = joint.sum(axis=0, keepdims=True)
    nz = joint > 0
    expected = (pa @ pb)[nz]
    observed = joint[nz]
    return max(0.0, float(np.sum(observed / n * np.log(observed * n / expected))))


def _entropy(codes: NDArray[np.integer]) -> float:
    counts = np.bincount(codes).astype(np.float64)
    p = counts[counts > 0] / codes.size
    return float(-(p * np.log(p)).sum())


@dataclass(frozen=True, eq=False)
class QuantileBins:
    """Each valued element's bin (``index``, 0-based over the kept bins) and each kept
    bin's value range ``[low, high]`` (see the module doc)."""

    index: NDArray[np.int64]
    low: NDArray[np.float64]
    high: NDArray[np.float64]

    @property
    def count(self) -> int:
        return int(self.low.size)


def quantile_bins(
    values: ArrayLike,
    bins: int = DEFAULT_BINS,
    *,
    ranked: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None,
) -> QuantileBins:
    """Mid-rank quantile bins of ``values`` (no NaN): element ``i`` of rank ``r_i``
    (ties averaged) goes in ``floor(bins * (r_i - 0.5) / n)``; empty bins are dropped and
    the others renumbered in order. ``ranked`` (their average ranks and the values
    sorted) spares ranking again."""
    _check_bins(bins)
    x = np.asarray(values, np.float64)
    n = x.size
    if n == 0:
        empty = np.zeros(0, np.float64)
        return QuantileBins(np.zeros(0, np.int64), empty, empty)
    r, ordered = _ranked(x) if ranked is None else ranked
    raw = np.minimum(np.floor(bins * (r - 0.5) / n).astype(np.int64), bins - 1)
    sizes = np.bincount(raw, minlength=bins)
    used = sizes > 0
    renumber = np.cumsum(used) - 1
    index = renumber[raw]
    # A bin is a run of the sorted values (bins follow the ranks): its first and last.
    ends = np.cumsum(sizes[used])
    return QuantileBins(index, ordered[ends - sizes[used]], ordered[ends - 1])


def in_range(values: ArrayLike, low: float | None, high: float | None) -> NDArray[np.bool_]:
    """Which values lie in ``[low, high]`` (a bound None is open); NaN never does. A bin
    of :func:`quantile_bins` is exactly its ``[low, high]``."""
    x = np.asarray(values, np.float64)
    keep = ~np.isnan(x)
    if low is not None:
        keep &= x >= low
    if high is not None:
        keep &= x <= high
    return keep


# ------------------------------------------------------------ association
@dataclass(frozen=True)
class Association:
    """How one metric goes with a binary outcome (right 1, wrong 0) on ``n`` valued
    elements (``missing`` more had no value): ``importance`` (normalized mutual
    information, [0, 1]), ``mutual_information`` (nats), ``pearson`` and ``spearman``;
    all null when ``reason`` says the sample cannot tell (see the module doc)."""

    n: int
    missing: int
    right: int
    importance: float | None
    mutual_information: float | None
    pearson: float | None
    spearman: float | None
    reason: Reason | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "missing": self.missing,
            "right": self.right,
            "importance": self.importance,
            "mutual_information": self.mutual_information,
            "pearson": self.pearson,
            "spearman": self.spearman,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Association:
        return cls(**{name: data[name] for name in cls.__dataclass_fields__})


def association(
    values: ArrayLike,
    right: ArrayLike,
    *,
    bins: int = DEFAULT_IMPORTANCE_BINS,
    min_samples: int = MIN_SAMPLES,
) -> Association:
    """Importance (mutual information of the metric's quantile bin and the outcome over
    the outcome's entropy) and Pearson and Spearman correlations of ``values`` (NaN:
    unknown, left out) with the binary outcome ``right``."""
    _check_bins(bins, "importance bins")
    x = np.asarray(values, np.float64).ravel()
    y = np.asarray(right, bool).ravel()
    if x.size != y.size:
        raise InputError(f"{x.size} metric values for {y.size} outcomes")
    valued = ~np.isnan(x)
    x, y = x[valued], y[valued]
    n, missing, right_count = int(x.size), int((~valued).sum()), int(y.sum())

    def empty(reason: Reason) -> Association:
        return Association(n, missing, right_count, None, None, None, None, reason)

    if n < max(min_samples, 2):
        return empty("too_few")
    if right_count in (0, n):
        return empty("constant_outcome")
    if x.min() == x.max():
        return empty("constant_metric")
    ranks, ordered = _ranked(x)
    outcome = y.astype(np.int64)
    binned = quantile_bins(x, bins, ranked=(ranks, ordered))
    information = _mutual_information_codes(binned.index, outcome)
    importance = min(1.0, information / _entropy(outcome))
    y_float = y.astype(np.float64)
    return Association(
        n,
        missing,
        right_count,
        importance,
        information,
        _float(pearson(x, y_float)),
        _float(pearson(ranks, _binary_ranks(y))),
        None,
    )


# ------------------------------------------------------------ elements
@dataclass(frozen=True, eq=False)
class Elements:
    """The counted objects at one operating point with one metric's value each.

    Predictions: ``prediction_value`` (NaN unknown), ``prediction_tp`` (true positive),
    ``prediction_class`` (index into ``class_names``), ``prediction_frame`` (index into
    ``frames``); labels likewise (``label_detected``: matched, i.e. not a false
    negative). ``task`` decides the importance sample (see the module doc)."""

    task: Literal["detection", "classification"]
    class_names: tuple[str, ...]
    frames: tuple[str, ...]
    prediction_value: NDArray[np.float64]
    prediction_tp: NDArray[np.bool_]
    prediction_class: NDArray[np.int64]
    prediction_frame: NDArray[np.int64]
    label_value: NDArray[np.float64]
    label_detected: NDArray[np.bool_]
    label_class: NDArray[np.int64]
    label_frame: NDArray[np.int64]

    def __post_init__(self) -> None:
        sizes = {
            "prediction": {
                self.prediction_value.size, self.prediction_tp.size,
                self.prediction_class.size, self.prediction_frame.size,
            },
            "label": {
                self.label_value.size, self.label_detected.size,
                self.label_class.size, self.label_frame.size,
            },
        }  # fmt: skip
        for kind, found in sizes.items():
            if len(found) != 1:
                raise InputError(f"the {kind} columns differ in length: {sorted(found)}")

    def with_values(
        self, prediction_value: NDArray[np.float64], label_value: NDArray[np.float64]
    ) -> Elements:
        """The same objects with another metric's values."""
        return dataclasses.replace(
            self,
            prediction_value=np.asarray(prediction_value, np.float64),
            label_value=np.asarray(label_value, np.float64),
        )

    def of_class(self, label: str) -> Elements:
        """Only the predictions and labels of class ``label``."""
        if label not in self.class_names:
            raise InputError(f"unknown class {label!r}; classes are {list(self.class_names)}")
        index = self.class_names.index(label)
        p = self.prediction_class == index
        g = self.label_class == index
        return Elements(
            self.task, self.class_names, self.frames,
            self.prediction_value[p], self.prediction_tp[p], self.prediction_class[p],
            self.prediction_frame[p],
            self.label_value[g], self.label_detected[g], self.label_class[g], self.label_frame[g],
        )  # fmt: skip

    def outcome_sample(self) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        """The importance sample's values and outcomes (right True), each object once:
        detection, the predictions and the missed labels; classification, the labels."""
        if self.task == "classification":
            return self.label_value, self.label_detected
        missed = ~self.label_detected
        return (
            np.concatenate([self.prediction_value, self.label_value[missed]]),
            np.concatenate([self.prediction_tp, np.zeros(int(missed.sum()), bool)]),
        )


# ------------------------------------------------------------ performance
@dataclass(frozen=True, eq=False)
class BinnedRates:
    """Per bin: predictions and their true positives (precision = tp / predictions),
    labels and the missed ones (FNR = fn / labels); with the overall ``precision`` and
    ``fnr`` over every counted element (valued or not)."""

    label: str
    predictions: NDArray[np.int64]
    tp: NDArray[np.int64]
    labels: NDArray[np.int64]
    fn: NDArray[np.int64]
    overall_predictions: int
    overall_tp: int
    overall_labels: int
    overall_fn: int

    @property
    def precision(self) -> NDArray[np.float64]:
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.tp / self.predictions

    @property
    def fnr(self) -> NDArray[np.float64]:
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.fn / self.labels

    @property
    def overall_precision(self) -> float | None:
        return self.overall_tp / self.overall_predictions if self.overall_predictions else None

    @property
    def overall_fnr(self) -> float | None:
        return self.overall_fn / self.overall_labels if self.overall_labels else None

    def to_dict(self) -> dict[str, Any]:
        precision, fnr = self.precision, self.fnr
        return {
            "label": self.label,
            "overall": {
                "predictions": self.overall_predictions,
                "tp": self.overall_tp,
                "labels": self.overall_labels,
                "fn": self.overall_fn,
                "precision": self.overall_precision,
                "fnr": self.overall_fnr,
            },
            "bins": [
                {
                    "predictions": int(self.predictions[b]),
                    "tp": int(self.tp[b]),
                    "labels": int(self.labels[b]),
                    "fn": int(self.fn[b]),
                    "precision": _float(precision[b]),
                    "fnr": _float(fnr[b]),
                }
                for b in range(self.predictions.size)
            ],
        }


@dataclass(frozen=True, eq=False)
class Histogram:
    """Equal-width bins (``edges``, NumPy's ``histogram`` rule) and, per group, the
    count of true- and false-positive predictions and detected and missed labels."""

    edges: NDArray[np.float64]
    groups: tuple[tuple[str, dict[str, NDArray[np.int64]]], ...]
    classes: tuple[tuple[str, dict[str, NDArray[np.int64]]], ...]

    def to_dict(self) -> dict[str, Any]:
        def counts(name: str, found: dict[str, NDArray[np.int64]], key: str) -> dict[str, Any]:
            return {key: name, **{k: v.tolist() for k, v in found.items()}}

        return {
            "edges": self.edges.tolist(),
            "groups": [counts(name, found, "name") for name, found in self.groups],
            "classes": [counts(name, found, "label") for name, found in self.classes],
        }


HISTOGRAM_COUNTS = ("tp", "fp", "detected", "fn")


def histogram_edges(values: NDArray[np.float64], bins: int) -> NDArray[np.float64]:
    """``numpy.histogram_bin_edges`` of the values (a constant value spans +-0.5)."""
    if values.size == 0:
        return np.linspace(0.0, 1.0, bins + 1)
    return np.histogram_bin_edges(values, bins)


def _histogram_index(values: NDArray[np.float64], edges: NDArray[np.float64]) -> NDArray[np.int64]:
    # NumPy's rule: [e_i, e_i+1) with the last bin closed.
    inner = np.searchsorted(edges, values, side="right") - 1
    return np.clip(inner, 0, edges.size - 2).astype(np.int64)


def histogram(
    values: ArrayLike, bins: int = DEFAULT_HISTOGRAM_BINS
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """``numpy.histogram(values, bins)`` of the valued (non-NaN) entries: counts, edges."""
    _check_bins(bins, "histogram bins")
    x = np.asarray(values, np.float64)
    x = x[~np.isnan(x)]
    edges = histogram_edges(x, bins)
    return np.bincount(_histogram_index(x, edges), minlength=bins).astype(np.int64), edges


@dataclass(frozen=True, eq=False)
class MetricPerformance:
    """One metric's performance analysis (see the module doc): its quantile ``bins``
    (``low``/``high`` value range), precision and FNR per bin overall and per class,
    its distribution and its importance and correlations (``importance`` on the
    outcome sample, ``precision_side`` on the predictions alone, TP vs FP, and
    ``recall_side`` on the labels alone, detected vs missed)."""

    metric: str
    level: str
    source: str
    task: str
    low: NDArray[np.float64]
    high: NDArray[np.float64]
    overall: BinnedRates
    classes: tuple[BinnedRates, ...]
    histogram: Histogram
    importance: Association
    precision_side: Association
    recall_side: Association
    missing_predictions: int
    missing_labels: int
    settings: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        overall = self.overall.to_dict()
        bins = [
            {"low": float(low), "high": float(high), **rates}
            for low, high, rates in zip(
                self.low.tolist(), self.high.tolist(), overall["bins"], strict=True
            )
        ]
        return {
            "metric": self.metric,
            "level": self.level,
            "source": self.source,
            "task": self.task,
            "settings": dict(self.settings),
            "missing": {"predictions": self.missing_predictions, "labels": self.missing_labels},
            "overall": overall["overall"],
            "bins": bins,
            "classes": [found.to_dict() for found in self.classes],
            "histogram": self.histogram.to_dict(),
            "importance": self.importance.to_dict(),
            "precision_side": self.precision_side.to_dict(),
            "recall_side": self.recall_side.to_dict(),
        }


def _counts(
    classes: NDArray[np.int64],
    index: NDArray[np.int64],
    weights: NDArray[np.bool_] | None,
    class_count: int,
    width: int,
) -> NDArray[np.int64]:
    """A (class, bin) table of counts (of ``weights``' trues where given), in one pass."""
    code = classes * width + index
    found = np.bincount(code, weights=weights, minlength=class_count * width)
    return found.astype(np.int64).reshape(class_count, width)


def _counts_by_class(
    p_class: NDArray[np.int64],
    p_index: NDArray[np.int64],
    p_tp: NDArray[np.bool_],
    g_class: NDArray[np.int64],
    g_index: NDArray[np.int64],
    g_detected: NDArray[np.bool_],
    class_count: int,
    width: int,
) -> dict[str, NDArray[np.int64]]:
    """Per (class, bin): ``predictions``, ``tp``, ``fp``, ``labels``, ``detected``, ``fn``."""
    predictions = _counts(p_class, p_index, None, class_count, width)
    tp = _counts(p_class, p_index, p_tp, class_count, width)
    labels = _counts(g_class, g_index, None, class_count, width)
    detected = _counts(g_class, g_index, g_detected, class_count, width)
    return {
        "predictions": predictions,
        "tp": tp,
        "fp": predictions - tp,
        "labels": labels,
        "detected": detected,
        "fn": labels - detected,
    }


def metric_performance(
    elements: Elements,
    *,
    metric: str = "",
    level: str = "",
    source: str = "",
    bins: int = DEFAULT_BINS,
    histogram_bins: int = DEFAULT_HISTOGRAM_BINS,
    importance_bins: int = DEFAULT_IMPORTANCE_BINS,
    groups: Mapping[str, Iterable[str]] | None = None,
    min_samples: int = MIN_SAMPLES,
) -> MetricPerformance:
    """Precision and FNR per quantile bin (overall and per class), the distribution
    (overall, per group of frames in ``groups`` and per class) and the importance and
    correlations of one metric over ``elements`` (see the module doc)."""
    _check_bins(bins)
    _check_bins(histogram_bins, "histogram bins")
    e = elements
    class_count = len(e.class_names)
    p_valued = ~np.isnan(e.prediction_value)
    g_valued = ~np.isnan(e.label_value)
    p_value, p_tp, p_class = (
        e.prediction_value[p_valued], e.prediction_tp[p_valued], e.prediction_class[p_valued]
    )  # fmt: skip
    g_value, g_detected, g_class = (
        e.label_value[g_valued], e.label_detected[g_valued], e.label_class[g_valued]
    )  # fmt: skip
    pooled = np.concatenate([p_value, g_value])
    quantiles = quantile_bins(pooled, bins)
    p_bin, g_bin = quantiles.index[: p_value.size], quantiles.index[p_value.size :]
    count = quantiles.count

    # Every counted element (valued or not), per class: the reference lines.
    total_p = np.bincount(e.prediction_class, minlength=class_count)
    total_tp = np.bincount(e.prediction_class, weights=e.prediction_tp, minlength=class_count)
    total_g = np.bincount(e.label_class, minlength=class_count)
    total_det = np.bincount(e.label_class, weights=e.label_detected, minlength=class_count)
    overall = BinnedRates(
        "all",
        np.bincount(p_bin, minlength=count).astype(np.int64),
        np.bincount(p_bin, weights=p_tp, minlength=count).astype(np.int64),
        np.bincount(g_bin, minlength=count).astype(np.int64),
        np.bincount(g_bin, weights=~g_detected, minlength=count).astype(np.int64),
        int(total_p.sum()),
        int(total_tp.sum()),
        int(total_g.sum()),
        int(total_g.sum() - total_det.sum()),
    )
    present = np.flatnonzero((total_p > 0) | (total_g > 0)).tolist()
    binned = _counts_by_class(p_class, p_bin, p_tp, g_class, g_bin, g_detected, class_count, count)
    per_class = tuple(
        BinnedRates(
            e.class_names[c], binned["predictions"][c], binned["tp"][c], binned["labels"][c],
            binned["fn"][c], int(total_p[c]), int(total_tp[c]), int(total_g[c]),
            int(total_g[c] - total_det[c]),
        )
        for c in present
    )  # fmt: skip

    edges = histogram_edges(pooled, histogram_bins)
    p_hist, g_hist = _histogram_index(p_value, edges), _histogram_index(g_value, edges)

    def distribution(p: NDArray[np.bool_] | None, g: NDArray[np.bool_] | None) -> dict[str, Any]:
        # One "class" (all zeros): the group's counts per bin.
        zero_p = np.zeros(int(p_hist.size if p is None else p.sum()), np.int64)
        zero_g = np.zeros(int(g_hist.size if g is None else g.sum()), np.int64)
        found = _counts_by_class(
            zero_p, p_hist if p is None else p_hist[p], p_tp if p is None else p_tp[p],
            zero_g, g_hist if g is None else g_hist[g], g_detected if g is None else g_detected[g],
            1, histogram_bins,
        )  # fmt: skip
        return {name: found[name][0] for name in HISTOGRAM_COUNTS}

    hist_groups = [("all", distribution(None, None))]
    frame_position = {frame: i for i, frame in enumerate(e.frames)}
    for name, frames in (groups or {}).items():
        member = np.zeros(len(e.frames), bool)
        member[[frame_position[f] for f in frames if f in frame_position]] = True
        hist_groups.append(
            (
                name,
                distribution(member[e.prediction_frame[p_valued]], member[e.label_frame[g_valued]]),
            )
        )
    by_class = _counts_by_class(
        p_class, p_hist, p_tp, g_class, g_hist, g_detected, class_count, histogram_bins
    )
    hist_classes = tuple(
        (e.class_names[c], {name: by_class[name][c] for name in HISTOGRAM_COUNTS}) for c in present
    )

    sample_values, sample_right = e.outcome_sample()
    settings = {
        "bins": bins,
        "histogram_bins": histogram_bins,
        "importance_bins": importance_bins,
        "min_samples": min_samples,
    }
    return MetricPerformance(
        metric=metric,
        level=level,
        source=source,
        task=e.task,
        low=quantiles.low,
        high=quantiles.high,
        overall=overall,
        classes=per_class,
        histogram=Histogram(edges, tuple(hist_groups), hist_classes),
        importance=association(
            sample_values, sample_right, bins=importance_bins, min_samples=min_samples
        ),
        precision_side=association(
            e.prediction_value, e.prediction_tp, bins=importance_bins, min_samples=min_samples
        ),
        recall_side=association(
            e.label_value, e.label_detected, bins=importance_bins, min_samples=min_samples
        ),
        missing_predictions=int((~p_valued).sum()),
        missing_labels=int((~g_valued).sum()),
        settings=settings,
    )


# ------------------------------------------------------------ importance
@dataclass(frozen=True)
class MetricImportance:
    """One metric's importance and correlations (``association``) with where its values
    come from (``level``: frame, label, prediction, or ``object`` for values of both
    labels and predictions; ``source``: builtin, metadata, quality or custom) and what it
    measures (``description``)."""

    metric: str
    level: str
    source: str
    association: Association
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "level": self.level,
            "source": self.source,
            "description": self.description,
            **self.association.to_dict(),
        }


def metric_importance(
    elements: Elements,
    metric: str,
    *,
    level: str = "",
    source: str = "",
    description: str = "",
    bins: int = DEFAULT_IMPORTANCE_BINS,
    min_samples: int = MIN_SAMPLES,
) -> MetricImportance:
    """The importance and correlations of one metric over ``elements``' outcome sample."""
    values, right = elements.outcome_sample()
    found = association(values, right, bins=bins, min_samples=min_samples)
    return MetricImportance(metric, level, source, found, description)


def rank(importances: Sequence[MetricImportance]) -> list[MetricImportance]:
    """Largest importance first (ties: the larger |Spearman|, then the name); metrics
    without an importance last, by name."""

    def key(found: MetricImportance) -> tuple[int, float, float, str]:
        a = found.association
        if a.importance is None:
            return (1, 0.0, 0.0, found.metric)
        return (0, -a.importance, -abs(a.spearman or 0.0), found.metric)

    return sorted(importances, key=key)
