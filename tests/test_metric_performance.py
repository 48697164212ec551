"""Performance by metric (shoal.analysis.metric_performance) against oracles: ranks,
Pearson and Spearman equal scipy.stats to 1e-12, the mutual information equals
sklearn.metrics.mutual_info_score and its normalization scipy's entropy, quantile bins
equal pandas.qcut where it has no ties to merge, the histogram equals numpy.histogram,
and precision / FNR per bin are checked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import mutual_info_score

import shoal
from shoal.analysis.metric_performance import (
    MIN_SAMPLES,
    Association,
    Elements,
    MetricImportance,
    association,
    average_ranks,
    histogram,
    in_range,
    metric_importance,
    metric_performance,
    mutual_information,
    pearson,
    quantile_bins,
    rank,
    spearman,
)
from shoal.errors import InputError


def _elements(
    prediction_value: list[float],
    prediction_tp: list[bool],
    label_value: list[float],
    label_detected: list[bool],
    *,
    prediction_class: list[int] | None = None,
    label_class: list[int] | None = None,
    prediction_frame: list[int] | None = None,
    label_frame: list[int] | None = None,
    task: str = "detection",
    classes: tuple[str, ...] = ("a", "b"),
    frames: tuple[str, ...] = ("f0", "f1", "f2"),
) -> Elements:
    p, g = len(prediction_value), len(label_value)
    return Elements(
        task,  # type: ignore[arg-type]
        classes,
        frames,
        np.array(prediction_value, np.float64),
        np.array(prediction_tp, bool),
        np.array(prediction_class or [0] * p, np.int64),
        np.array(prediction_frame or [0] * p, np.int64),
        np.array(label_value, np.float64),
        np.array(label_detected, bool),
        np.array(label_class or [0] * g, np.int64),
        np.array(label_frame or [0] * g, np.int64),
    )


def test_average_ranks_equal_scipy_rankdata() -> None:
    rng = np.random.default_rng(1)
    for values in (
        rng.normal(size=500),
        rng.integers(0, 7, 500).astype(float),
        np.array([3.0, 1.0, 3.0, 3.0, 2.0]),
        np.array([]),
    ):
        np.testing.assert_array_equal(average_ranks(values), stats.rankdata(values))


def test_correlations_equal_scipy_to_1e12() -> None:
    rng = np.random.default_rng(2)
    for n in (3, 50, 5000):
        x = rng.gamma(2.0, 3.0, n)
        x[: n // 5] = np.round(x[: n // 5])  # ties
        y = rng.uniform(size=n) < 1 / (1 + np.exp(-(x - 5)))
        y[0], y[1] = True, False
        assert pearson(x, y) == pytest.approx(stats.pearsonr(x, y.astype(float))[0], abs=1e-12)
        assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y)[0], abs=1e-12)
        discrete = rng.integers(0, 4, n).astype(float)
        assert spearman(discrete, y) == pytest.approx(stats.spearmanr(discrete, y)[0], abs=1e-12)
    assert np.isnan(pearson([1.0, 1.0, 1.0], [0.0, 1.0, 0.0]))
    assert np.isnan(pearson([1.0], [1.0]))


def test_mutual_information_equals_sklearn() -> None:
    rng = np.random.default_rng(3)
    for _ in range(5):
        a = rng.integers(0, 9, 2000)
        b = (rng.uniform(size=2000) < (a + 1) / 12).astype(int)
        assert mutual_information(a, b) == pytest.approx(mutual_info_score(a, b), abs=1e-12)
    assert mutual_information([1, 1, 1], [0, 1, 0]) == 0.0


def test_importance_is_binned_mutual_information_over_outcome_entropy() -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(size=3000)
    y = rng.uniform(size=3000) < 1 / (1 + np.exp(-3 * x))
    found = association(x, y, bins=10, min_samples=10)
    codes = quantile_bins(x, 10).index
    expected_mi = mutual_info_score(codes, y)
    assert found.mutual_information == pytest.approx(expected_mi, abs=1e-12)
    outcome_entropy = stats.entropy(np.bincount(y.astype(int)))
    assert found.importance == pytest.approx(expected_mi / outcome_entropy, abs=1e-12)
    assert 0.0 < found.importance < 1.0
    assert found.pearson is not None and found.pearson > 0.5
    assert found.spearman == pytest.approx(stats.spearmanr(x, y)[0], abs=1e-12)
    assert (found.n, found.missing, found.right) == (3000, 0, int(y.sum()))
    # A metric that decides the outcome has importance 1; an unrelated one about 0.
    decided = x > np.median(x)
    assert association(x, decided, bins=2, min_samples=10).importance == pytest.approx(1.0)
    noise = association(rng.normal(size=3000), y, bins=10, min_samples=10)
    assert noise.importance is not None and noise.importance < 0.01


def test_association_guard_and_nulls() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=MIN_SAMPLES - 1)
    y = rng.uniform(size=x.size) < 0.5
    small = association(x, y)
    assert small.reason == "too_few" and small.importance is None and small.pearson is None
    assert small.n == MIN_SAMPLES - 1
    # NaN values are left out and counted as missing.
    x2 = np.append(rng.normal(size=200), [np.nan] * 7)
    y2 = np.append(rng.uniform(size=200) < 0.5, [True] * 7)
    found = association(x2, y2)
    assert (found.n, found.missing) == (200, 7)
    assert found.spearman == pytest.approx(stats.spearmanr(x2[:200], y2[:200])[0], abs=1e-12)
    assert association(x2, np.ones(207, bool)).reason == "constant_outcome"
    assert association(np.ones(200), y2[:200]).reason == "constant_metric"
    with pytest.raises(InputError, match="3 metric values for 2 outcomes"):
        association([1.0, 2.0, 3.0], [True, False])
    with pytest.raises(InputError, match="importance bins"):
        association([1.0], [True], bins=0)
    assert Association.from_dict(found.to_dict()) == found


def test_quantile_bins_equal_qcut_without_ties_and_keep_ties_together() -> None:
    rng = np.random.default_rng(6)
    for n, bins in ((100, 10), (1000, 4), (500, 5)):
        x = rng.permutation(rng.normal(size=n))
        found = quantile_bins(x, bins)
        expected = pd.qcut(x, bins, labels=False, duplicates="drop")
        np.testing.assert_array_equal(found.index, expected)
    # 60% zeros: one bin holds every zero and nothing else; no bin is empty.
    x = np.concatenate([np.zeros(60), np.arange(1, 41, dtype=float)])
    found = quantile_bins(x, 10)
    zero_bins = set(found.index[x == 0].tolist())
    assert len(zero_bins) == 1
    assert not set(found.index[x > 0].tolist()) & zero_bins
    assert np.bincount(found.index).min() > 0
    assert found.low[found.index[0]] == 0 and found.high[found.index[0]] == 0
    # Bins' [low, high] ranges never overlap, and a bin is exactly its range.
    for b in range(found.count):
        np.testing.assert_array_equal(in_range(x, found.low[b], found.high[b]), found.index == b)
    assert np.all(found.low[1:] > found.high[:-1])
    booleans = np.array([0.0] * 30 + [1.0] * 70)
    assert quantile_bins(booleans, 10).count == 2
    with pytest.raises(InputError, match="bins must be"):
        quantile_bins(x, 0)
    assert quantile_bins(np.zeros(0), 3).count == 0


def test_histogram_equals_numpy() -> None:
    rng = np.random.default_rng(7)
    x = rng.exponential(size=1000)
    x[:10] = np.nan
    counts, edges = histogram(x, 15)
    expected_counts, expected_edges = np.histogram(x[10:], 15)
    np.testing.assert_array_equal(counts, expected_counts)
    np.testing.assert_allclose(edges, expected_edges, rtol=0, atol=0)
    counts, edges = histogram(np.full(5, 2.0), 4)
    assert counts.sum() == 5 and edges[0] == 1.5 and edges[-1] == 2.5


def test_precision_and_fnr_per_bin_by_hand() -> None:
    # Predictions: values 1..6, TP except 2, 3 and 5; class b for 6.
    # Labels: values 1, 3.5, 7, 8; missed 3.5 and 8; one label without a value.
    elements = _elements(
        [1, 2, 3, 4, 5, 6],
        [True, False, False, True, False, True],
        [1, 3.5, 7, 8, np.nan],
        [True, False, True, False, True],
        prediction_class=[0, 0, 0, 0, 0, 1],
        label_class=[0, 0, 1, 1, 0],
        prediction_frame=[0, 0, 1, 1, 2, 2],
        label_frame=[0, 1, 2, 2, 2],
    )
    found = metric_performance(
        elements, metric="m", bins=2, histogram_bins=2, groups={"second": ["f1"]}, min_samples=1
    )
    # Pooled values 1, 1, 2, 3, 3.5, 4, 5, 6, 7, 8: the first five ranks fill the first bin.
    assert found.low.tolist() == [1.0, 4.0] and found.high.tolist() == [3.5, 8.0]
    d = found.to_dict()
    first, second = d["bins"]
    assert (first["predictions"], first["tp"], first["labels"], first["fn"]) == (3, 1, 2, 1)
    assert first["precision"] == pytest.approx(1 / 3) and first["fnr"] == 0.5
    assert (second["predictions"], second["tp"], second["labels"], second["fn"]) == (3, 2, 2, 1)
    assert second["precision"] == pytest.approx(2 / 3) and second["fnr"] == 0.5
    # Overall: every counted element, the unvalued label too.
    assert d["overall"]["precision"] == 0.5
    assert d["overall"]["fnr"] == pytest.approx(2 / 5)
    assert d["missing"] == {"predictions": 0, "labels": 1}
    by_class = {c["label"]: c for c in d["classes"]}
    assert by_class["b"]["bins"][0]["predictions"] == 0
    assert by_class["b"]["bins"][0]["precision"] is None
    assert by_class["b"]["bins"][1] == {
        "predictions": 1, "tp": 1, "labels": 2, "fn": 1, "precision": 1.0, "fnr": 0.5
    }  # fmt: skip
    assert by_class["a"]["overall"]["fnr"] == pytest.approx(1 / 3)
    # Histogram: 2 equal-width bins over [1, 8] split at 4.5.
    hist = d["histogram"]
    assert hist["edges"] == [1.0, 4.5, 8.0]
    assert hist["groups"][0] == {
        "name": "all", "tp": [2, 1], "fp": [2, 1], "detected": [1, 1], "fn": [1, 1]
    }  # fmt: skip
    # f1 holds predictions 3 (FP) and 4 (TP) and the missed label 3.5.
    assert hist["groups"][1] == {
        "name": "second", "tp": [1, 0], "fp": [1, 0], "detected": [0, 0], "fn": [1, 0]
    }  # fmt: skip
    # Importance sample: the 6 predictions and the 2 missed labels, each object once.
    values, right = elements.outcome_sample()
    assert values.tolist() == [1, 2, 3, 4, 5, 6, 3.5, 8]
    assert right.tolist() == [True, False, False, True, False, True, False, False]
    assert d["importance"]["n"] == 8
    assert d["precision_side"]["n"] == 6 and d["recall_side"]["n"] == 4
    assert d["recall_side"]["missing"] == 1
    only_b = metric_performance(elements.of_class("b"), bins=2, min_samples=1).to_dict()
    assert [c["label"] for c in only_b["classes"]] == ["b"]
    with pytest.raises(InputError, match="unknown class 'c'"):
        elements.of_class("c")


def test_classification_sample_is_one_label_per_frame() -> None:
    elements = _elements(
        [0.9, 0.2, 0.5], [True, False, True], [0.9, 0.2, 0.5], [True, False, True],
        task="classification",
    )  # fmt: skip
    values, right = elements.outcome_sample()
    assert values.tolist() == [0.9, 0.2, 0.5] and right.tolist() == [True, False, True]


def test_ranking_puts_the_most_important_first_and_nulls_last() -> None:
    rng = np.random.default_rng(8)
    n = 2000
    decisive = rng.normal(size=n)
    right = decisive + rng.normal(scale=0.5, size=n) > 0
    noise = rng.normal(size=n)
    base = _elements(
        decisive.tolist(), right.tolist(), [], [], frames=("f0",),
    )  # fmt: skip
    ranked = rank(
        [
            metric_importance(base.with_values(noise, np.zeros(0)), "noise"),
            metric_importance(base.with_values(np.full(n, np.nan), np.zeros(0)), "empty"),
            metric_importance(base, "decisive", level="frame", source="custom"),
        ]
    )
    assert [m.metric for m in ranked] == ["decisive", "noise", "empty"]
    assert ranked[2].association.reason == "too_few"
    top = ranked[0].to_dict()
    assert top["metric"] == "decisive" and top["level"] == "frame" and top["source"] == "custom"
    assert top["spearman"] == pytest.approx(stats.spearmanr(decisive, right)[0], abs=1e-12)
    assert isinstance(ranked[0], MetricImportance)


def test_on_a_real_evaluation_confidence_predicts_true_positives() -> None:
    # Random boxes shifted by a random amount; the score falls with the shift, so the
    # confidence (a prediction-only metric) goes with being right.
    rng = np.random.default_rng(9)
    images = [{"id": i, "width": 200, "height": 200} for i in range(60)]
    annotations, dt = [], []
    for image in range(60):
        for _ in range(4):
            x, y = rng.uniform(0, 150, 2)
            annotations.append(
                {"id": len(annotations) + 1, "image_id": image, "category_id": 1,
                 "bbox": [x, y, 30, 30], "area": 900}
            )  # fmt: skip
            shift = rng.uniform(0, 25)
            dt.append(
                {"image_id": image, "category_id": 1, "bbox": [x + shift, y, 30, 30],
                 "score": float(np.clip(1 - shift / 25 + rng.normal(scale=0.1), 0, 1))}
            )  # fmt: skip
    gt = {"images": images, "categories": [{"id": 1, "name": "a"}], "annotations": annotations}
    outcomes = shoal.evaluate_detections(gt, dt).outcomes(0.0, 0.5)
    predictions = outcomes.kind_code == 0
    elements = Elements(
        "detection", outcomes.class_names, ("x",),
        outcomes.confidence[predictions], outcomes.outcome_code[predictions] == 0,
        outcomes.label_index[predictions].astype(np.int64), np.zeros(int(predictions.sum()), np.int64),
        np.full(int((~predictions).sum()), np.nan), outcomes.outcome_code[~predictions] == 0,
        outcomes.label_index[~predictions].astype(np.int64), np.zeros(int((~predictions).sum()), np.int64),
    )  # fmt: skip
    found = metric_performance(elements, metric="confidence", bins=5).to_dict()
    precision = [b["precision"] for b in found["bins"]]
    assert precision == sorted(precision) and precision[-1] > precision[0]
    assert all(b["labels"] == 0 and b["fnr"] is None for b in found["bins"])
    assert found["missing"]["labels"] == len(annotations)
    assert found["precision_side"]["importance"] > 0.2
    assert found["precision_side"]["spearman"] > 0.5


def test_importance_by_hand() -> None:
    # Two equal bins: the low half always wrong, the high half right half the time.
    # H(Y) = -(1/4 ln 1/4 + 3/4 ln 3/4); H(Y|B) = 1/2 * 0 + 1/2 * ln 2; I = H(Y) - H(Y|B).
    x = np.arange(200, dtype=float)
    right = np.zeros(200, bool)
    right[100::2] = True
    found = association(x, right, bins=2, min_samples=10)
    entropy = -(0.25 * np.log(0.25) + 0.75 * np.log(0.75))
    information = entropy - 0.5 * np.log(2)
    assert found.mutual_information == pytest.approx(information, abs=1e-12)
    assert found.importance == pytest.approx(information / entropy, abs=1e-12)
    assert found.right == 50
