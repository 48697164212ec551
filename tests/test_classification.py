"""The classification engine against scikit-learn as the oracle.

Inputs are random (seeded NumPy and hypothesis); scikit-learn computes every expected
number. Thresholded queries are checked against scikit-learn run on predictions where
every frame below its threshold predicts a label outside the report ("no prediction").
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    classification_report,
    confusion_matrix,
    fbeta_score,
    precision_recall_curve,
    precision_recall_fscore_support,
    top_k_accuracy_score,
)
from sklearn.preprocessing import label_binarize

from shoal.engine.classification import ClassificationEvaluation, evaluate_classifications
from shoal.engine.metrics import BACKGROUND, ClassificationReport
from shoal.errors import InputError, ShoalError

TOLERANCE = 1e-12
NO_PREDICTION = -1  # a label outside every report: what a thresholded-out frame predicts


class Case:
    """Random single-label data: integer labels 0..C-1 and Dirichlet score vectors."""

    def __init__(
        self,
        seed: int,
        n: int = 200,
        num_classes: int = 5,
        *,
        tie_decimals: int | None = None,
        missing_true: int | None = None,
        missing_predicted: int | None = None,
    ) -> None:
        rng = np.random.default_rng(seed)
        self.num_classes = num_classes
        self.y_true = rng.integers(0, num_classes, n)
        scores = rng.dirichlet(np.full(num_classes, 0.7), n)
        # Nudge the true class up so the classifier is better than chance.
        scores[np.arange(n), self.y_true] += rng.uniform(0, 0.6, n)
        scores /= scores.sum(axis=1, keepdims=True)
        if tie_decimals is not None:
            scores = np.round(scores, tie_decimals)  # many exact ties
        if missing_predicted is not None:
            scores[:, missing_predicted] = 0.0
        self.scores = scores
        self.y_pred = np.argmax(scores, axis=1)
        if missing_true is not None:
            # Move the class's frames to another class: it stays predicted, never true.
            self.y_true[self.y_true == missing_true] = (missing_true + 1) % num_classes
        self.confidence = scores[np.arange(n), self.y_pred]

    def evaluation(self, **kwargs: Any) -> ClassificationEvaluation:
        return evaluate_classifications(
            self.y_true, scores=self.scores, labels=list(range(self.num_classes)), **kwargs
        )


def sklearn_labels(*columns: NDArray[Any]) -> list[Any]:
    present = np.unique(np.concatenate(columns)) if columns else np.zeros(0)
    return [x for x in present.tolist() if x != NO_PREDICTION]


def thresholded(y_pred: NDArray[Any], confidence: NDArray[Any], cut: NDArray[Any]) -> NDArray[Any]:
    return np.where(confidence >= cut, y_pred, NO_PREDICTION)


def assert_report_equals_sklearn(
    report: ClassificationReport, y_true: NDArray[Any], y_pred: NDArray[Any], labels: list[Any]
) -> None:
    """``report`` against ``precision_recall_fscore_support`` on ``labels`` (rows)."""
    assert report.labels == tuple(str(x) for x in labels)
    if not labels:
        assert report.tp.size == 0
        return
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, average=None, zero_division=0
    )
    np.testing.assert_allclose(report.precision, precision, rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(report.recall, recall, rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(report.f1_score, f1, rtol=0, atol=TOLERANCE)
    np.testing.assert_array_equal(report.support, support)
    averages = report.averages()
    for average in ("micro", "macro", "weighted"):
        expected = precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average=average, zero_division=0
        )
        row = averages[f"{average} avg"]
        got = (row["precision"], row["recall"], row["f1-score"])
        np.testing.assert_allclose(got, expected[:3], rtol=0, atol=TOLERANCE)


def assert_report_matches_matrix(evaluation: ClassificationEvaluation, **query: Any) -> None:
    """Diagonal = tp, row sums = support, column sums = kept predictions (tp + fp)."""
    report = evaluation.report(**query)
    matrix = evaluation.confusion_matrix(**query)
    assert matrix.labels == (*report.labels, BACKGROUND)
    counts = matrix.matrix
    body = counts[:-1, :-1]
    np.testing.assert_array_equal(np.diag(body), report.tp)
    np.testing.assert_array_equal(counts[:-1].sum(axis=1), report.support)
    np.testing.assert_array_equal(body.sum(axis=0), report.tp + report.fp)
    np.testing.assert_array_equal(counts[-1], 0)
    np.testing.assert_array_equal(counts[:-1, -1], report.support - body.sum(axis=1))


# ------------------------------------------------------------------ report at 0
@pytest.mark.parametrize("seed", range(8))
def test_report_at_zero_equals_sklearn(seed: int) -> None:
    case = Case(seed, n=300, num_classes=2 + seed % 6, tie_decimals=1 if seed % 2 else None)
    evaluation = evaluate_classifications(case.y_true, case.y_pred, confidences=case.confidence)
    labels = sklearn_labels(case.y_true, case.y_pred)
    report = evaluation.report()
    assert_report_equals_sklearn(report, case.y_true, case.y_pred, labels)
    assert report.accuracy == pytest.approx(accuracy_score(case.y_true, case.y_pred), abs=TOLERANCE)
    assert evaluation.accuracy() == report.accuracy
    expected = classification_report(case.y_true, case.y_pred, output_dict=True, zero_division=0)
    got = report.to_sklearn_dict()
    for key, value in expected.items():
        if isinstance(value, dict):
            for metric, number in value.items():
                assert got[key][metric] == pytest.approx(number, abs=TOLERANCE), (key, metric)
        else:
            assert got[key] == pytest.approx(value, abs=TOLERANCE)


@pytest.mark.parametrize("seed", range(4))
def test_string_labels_and_label_order(seed: int) -> None:
    case = Case(seed, n=150, num_classes=4)
    names = np.array(["owl", "cat", "zebra", "ant"])
    y_true, y_pred = names[case.y_true], names[case.y_pred]
    evaluation = evaluate_classifications(list(y_true), list(y_pred))
    assert evaluation.labels == ("ant", "cat", "owl", "zebra")  # sorted, like sklearn
    assert_report_equals_sklearn(
        evaluation.report(), y_true, y_pred, sklearn_labels(y_true, y_pred)
    )
    order = ["zebra", "ant", "owl"]
    assert_report_equals_sklearn(evaluation.report(classes=order), y_true, y_pred, order)
    explicit = evaluate_classifications(y_true, y_pred, labels=["zebra", "owl", "cat", "ant"])
    assert explicit.labels == ("zebra", "owl", "cat", "ant")
    assert_report_equals_sklearn(explicit.report(), y_true, y_pred, ["zebra", "owl", "cat", "ant"])


def test_fbeta_equals_sklearn() -> None:
    case = Case(3, n=250, num_classes=4, tie_decimals=1)
    evaluation = evaluate_classifications(case.y_true, case.y_pred, confidences=case.confidence)
    cut = np.full(case.y_pred.shape, 0.5)
    y_cut = thresholded(case.y_pred, case.confidence, cut)
    labels = sklearn_labels(case.y_true, case.y_pred)
    for beta in (0.5, 1.0, 2.0):
        got = evaluation.fbeta_score(beta, conf=0.5)
        expected = fbeta_score(
            case.y_true, y_cut, beta=beta, labels=labels, average=None, zero_division=0
        )
        np.testing.assert_allclose([got[str(x)] for x in labels], expected, atol=TOLERANCE)
        for average in ("micro", "macro", "weighted"):
            expected_avg = fbeta_score(
                case.y_true, y_cut, beta=beta, labels=labels, average=average, zero_division=0
            )
            assert got[f"{average} avg"] == pytest.approx(expected_avg, abs=TOLERANCE)


def test_balanced_accuracy_equals_sklearn() -> None:
    for seed in range(4):
        case = Case(seed, n=200, num_classes=3 + seed, missing_true=seed % 3)
        evaluation = evaluate_classifications(case.y_true, case.y_pred)
        with pytest.warns(UserWarning):  # sklearn warns about the never-true class
            expected = balanced_accuracy_score(case.y_true, case.y_pred)
        assert evaluation.balanced_accuracy() == pytest.approx(expected, abs=TOLERANCE)


# ------------------------------------------------------------- thresholds
@pytest.mark.parametrize("seed", range(6))
def test_thresholded_report_is_sklearn_without_low_predictions(seed: int) -> None:
    case = Case(seed, n=400, num_classes=4, tie_decimals=2)
    evaluation = case.evaluation()
    labels = list(range(case.num_classes))
    rng = np.random.default_rng(100 + seed)
    for conf in [0.0, 0.3, float(np.median(case.confidence)), 0.9, 1.0]:
        y_cut = thresholded(case.y_pred, case.confidence, np.full(case.y_pred.shape, conf))
        report = evaluation.report(conf)
        assert report.conf == conf
        assert_report_equals_sklearn(report, case.y_true, y_cut, labels)
        assert report.accuracy == pytest.approx(accuracy_score(case.y_true, y_cut), abs=TOLERANCE)
        assert evaluation.accuracy(conf) == report.accuracy
        assert_report_matches_matrix(evaluation, conf=conf)
        matrix = confusion_matrix(case.y_true, y_cut, labels=[*labels, NO_PREDICTION])
        matrix[-1] = 0  # sklearn's row of the out-of-report label; no frame is "background"
        np.testing.assert_array_equal(evaluation.confusion_matrix(conf).matrix, matrix)
    per_class = {c: float(rng.uniform(0, 1)) for c in labels[:-1]}  # last class unnamed: 0
    cut = np.array([per_class.get(c, 0.0) for c in labels])[case.y_pred]
    y_cut = thresholded(case.y_pred, case.confidence, cut)
    report = evaluation.report(per_class)
    assert report.conf == {str(c): per_class.get(c, 0.0) for c in labels}
    assert_report_equals_sklearn(report, case.y_true, y_cut, labels)
    assert_report_matches_matrix(evaluation, conf=per_class)
    by_name = {str(c): t for c, t in per_class.items()}
    np.testing.assert_array_equal(evaluation.report(by_name).tp, report.tp)


def test_below_threshold_is_a_miss_not_a_false_positive() -> None:
    evaluation = evaluate_classifications(
        ["cat", "cat", "dog"], ["cat", "dog", "dog"], confidences=[0.9, 0.2, 0.6]
    )
    report = evaluation.report(0.5)
    assert report.row("cat") == {**report.row("cat"), "tp": 1, "fp": 0, "fn": 1}
    assert report.row("dog") == {**report.row("dog"), "tp": 1, "fp": 0, "fn": 0}
    matrix = evaluation.confusion_matrix(0.5)
    assert matrix.cell("cat", BACKGROUND) == 1
    assert matrix.cell("cat", "dog") == 0


def test_bad_thresholds_are_input_errors() -> None:
    evaluation = Case(0, n=20, num_classes=3).evaluation()
    for conf in (-0.1, 1.5, float("nan")):
        with pytest.raises(InputError):
            evaluation.report(conf)
    with pytest.raises(InputError, match="unknown class"):
        evaluation.report({"horse": 0.5})


# --------------------------------------------------------------- segments
@pytest.mark.parametrize("seed", range(4))
def test_segment_equals_sklearn_on_the_subset(seed: int) -> None:
    case = Case(seed, n=300, num_classes=6, tie_decimals=1)
    frame_ids = [f"img{i:04d}" for i in range(len(case.y_true))]
    evaluation = evaluate_classifications(
        case.y_true, case.y_pred, confidences=case.confidence, frame_ids=frame_ids
    )
    rng = np.random.default_rng(seed)
    picked = np.sort(rng.choice(len(frame_ids), size=25, replace=False))
    segment = [frame_ids[i] for i in picked]
    y_true, y_pred, confidence = case.y_true[picked], case.y_pred[picked], case.confidence[picked]
    labels = sklearn_labels(y_true, y_pred)  # a segment reports the classes it has
    assert_report_equals_sklearn(evaluation.report(frames=segment), y_true, y_pred, labels)
    y_cut = thresholded(y_pred, confidence, np.full(y_pred.shape, 0.4))
    report = evaluation.report(0.4, frames=segment)
    assert_report_equals_sklearn(report, y_true, y_cut, labels)
    np.testing.assert_array_equal(
        evaluation.confusion_matrix(frames=segment).matrix[:-1, :-1],
        confusion_matrix(y_true, y_pred, labels=labels),
    )
    assert_report_matches_matrix(evaluation, conf=0.4, frames=segment)
    assert evaluation.accuracy(frames=segment) == pytest.approx(accuracy_score(y_true, y_pred))
    with pytest.raises(InputError, match="unknown frame id 'nope'"):
        evaluation.report(frames=["img0001", "nope"])


# ----------------------------------------------------------------- top-k
@pytest.mark.parametrize("seed", range(6))
def test_top_k_accuracy_equals_sklearn_including_ties(seed: int) -> None:
    num_classes = 3 + seed % 4
    case = Case(seed, n=300, num_classes=num_classes, tie_decimals=1)
    evaluation = case.evaluation()
    labels = list(range(num_classes))
    for k in range(1, num_classes + 1):
        expected = top_k_accuracy_score(case.y_true, case.scores, k=k, labels=labels)
        assert evaluation.top_k_accuracy(k) == pytest.approx(expected, abs=TOLERANCE)


def test_top_k_accuracy_binary_follows_sklearn() -> None:
    rng = np.random.default_rng(7)
    positive = np.round(rng.uniform(0, 1, 300), 1)  # some exactly 0.5
    scores = np.stack([1 - positive, positive], axis=1)
    y_true = rng.integers(0, 2, 300)
    evaluation = evaluate_classifications(y_true, scores=scores, labels=[0, 1])
    for k in (1, 2):
        expected = top_k_accuracy_score(y_true, positive, k=k, labels=[0, 1])
        assert evaluation.top_k_accuracy(k) == pytest.approx(expected, abs=TOLERANCE)


def test_top_k_needs_scores_and_a_positive_k() -> None:
    evaluation = evaluate_classifications([0, 1], [0, 1])
    with pytest.raises(ShoalError, match="needs an evaluation made with scores"):
        evaluation.top_k_accuracy(1)
    with pytest.raises(InputError):
        Case(0, n=10).evaluation().top_k_accuracy(0)


# ------------------------------------------------------------ PR curves, AP
@pytest.mark.parametrize("seed", range(6))
def test_pr_curves_and_ap_equal_sklearn(seed: int) -> None:
    num_classes = 3 + seed % 3
    case = Case(seed, n=250, num_classes=num_classes, tie_decimals=2 if seed % 2 else None)
    evaluation = case.evaluation()
    curves = evaluation.pr_curves()
    assert list(curves) == [str(c) for c in range(num_classes)]
    for c in range(num_classes):
        relevant = case.y_true == c
        precision, recall, thresholds = precision_recall_curve(relevant, case.scores[:, c])
        curve = curves[str(c)]
        np.testing.assert_array_equal(curve.thresholds, thresholds[::-1])
        np.testing.assert_allclose(curve.precision, precision[:-1][::-1], atol=TOLERANCE)
        np.testing.assert_allclose(curve.recall, recall[:-1][::-1], atol=TOLERANCE)
        ap = average_precision_score(relevant, case.scores[:, c])
        assert curve.ap == pytest.approx(ap, abs=TOLERANCE)
    average_precision = evaluation.average_precision()
    indicator = label_binarize(case.y_true, classes=list(range(num_classes)))
    for average in ("macro", "micro"):
        expected = average_precision_score(indicator, case.scores, average=average)
        assert average_precision[f"{average} avg"] == pytest.approx(expected, abs=TOLERANCE)
    assert evaluation.pr_curve().ap == pytest.approx(average_precision["micro avg"], abs=TOLERANCE)


def test_ap_of_a_class_without_frames_is_zero_and_counts_in_macro() -> None:
    case = Case(5, n=200, num_classes=4, missing_true=2)
    evaluation = case.evaluation()
    indicator = label_binarize(case.y_true, classes=[0, 1, 2, 3])
    with pytest.warns(UserWarning):  # sklearn: no positive class found for column 2
        expected = average_precision_score(indicator, case.scores, average="macro")
    got = evaluation.average_precision()
    assert got["2"] == 0.0
    assert got["macro avg"] == pytest.approx(expected, abs=TOLERANCE)


@pytest.mark.parametrize("seed", range(4))
def test_operating_curve_is_the_report_at_each_cut_off(seed: int) -> None:
    case = Case(seed, n=300, num_classes=4, tie_decimals=2)
    evaluation = evaluate_classifications(case.y_true, case.y_pred, confidences=case.confidence)
    for c in range(4):
        curve = evaluation.operating_curve(c)
        assert evaluation.pr_curve(c).to_dict() == curve.to_dict()  # no scores: the same
        predicted_c = case.y_pred == c
        np.testing.assert_array_equal(
            curve.thresholds, np.unique(case.confidence[predicted_c])[::-1]
        )
        for i in range(0, curve.thresholds.size, 7):
            row = evaluation.report(float(curve.thresholds[i])).row(str(c))
            assert (curve.precision[i], curve.recall[i]) == (row["precision"], row["recall"])
        # AP: sklearn's on the class's predictions, whose recall is over those predictions'
        # hits, rescaled to recall over every frame of the class.
        hits = case.y_true[predicted_c] == c
        if hits.any():
            subset_ap = average_precision_score(hits, case.confidence[predicted_c])
            expected = subset_ap * hits.sum() / np.count_nonzero(case.y_true == c)
        else:
            expected = 0.0
        assert curve.ap == pytest.approx(expected, abs=TOLERANCE)


@pytest.mark.parametrize("seed", range(4))
def test_best_thresholds_maximize_report_f1(seed: int) -> None:
    case = Case(seed, n=200, num_classes=4, tie_decimals=2)
    evaluation = case.evaluation()
    best = evaluation.best_thresholds()
    for c in range(4):
        name = str(c)
        candidates = np.unique(case.confidence[case.y_pred == c])[::-1]
        f1 = [evaluation.report({c: float(t)}).row(name)["f1-score"] for t in candidates]
        choice = best[name]
        assert choice.f1_score == pytest.approx(max(f1), abs=TOLERANCE)
        assert choice.conf == candidates[int(np.argmax(f1))]  # the highest on ties
    applied = evaluation.report({name: choice.conf for name, choice in best.items()})
    for name, choice in best.items():
        row = applied.row(name)
        assert (row["f1-score"], row["precision"], row["recall"]) == pytest.approx(
            (choice.f1_score, choice.precision, choice.recall), abs=TOLERANCE
        )


# ------------------------------------------------------------------- merge
def assert_same_evaluation(a: ClassificationEvaluation, b: ClassificationEvaluation) -> None:
    assert a.labels == b.labels
    for conf in (0.0, 0.45, 0.8):
        assert a.report(conf).to_dict() == b.report(conf).to_dict()
        assert a.confusion_matrix(conf).to_dict() == b.confusion_matrix(conf).to_dict()
    assert a.average_precision() == pytest.approx(b.average_precision(), abs=TOLERANCE)
    assert a.best_thresholds() == b.best_thresholds()
    if a.has_scores:
        assert a.top_k_accuracy(2) == b.top_k_accuracy(2)
        for label in a.labels:
            assert a.pr_curve(label).to_dict() == b.pr_curve(label).to_dict()


@pytest.mark.parametrize("seed", range(5))
def test_merge_of_random_splits_is_the_union(seed: int) -> None:
    case = Case(seed, n=240, num_classes=5, tie_decimals=2)
    rng = np.random.default_rng(seed)
    frame_ids = rng.permutation(10_000)[: len(case.y_true)]
    whole = case.evaluation(frame_ids=frame_ids)
    parts = np.array_split(rng.permutation(len(case.y_true)), 1 + seed)
    pieces = [
        evaluate_classifications(
            case.y_true[p], scores=case.scores[p], labels=list(range(5)), frame_ids=frame_ids[p]
        )
        for p in parts
    ]
    merged = ClassificationEvaluation.merge_all(pieces)
    assert_same_evaluation(merged, whole)
    segment = frame_ids[parts[0]]
    assert (
        merged.report(0.3, frames=segment).to_dict() == whole.report(0.3, frames=segment).to_dict()
    )


def test_merge_unites_label_sets_as_the_default_order_does() -> None:
    case = Case(11, n=300, num_classes=6)
    # The first part holds only classes 0-2, so the parts have different label sets.
    low = np.flatnonzero((case.y_true < 3) & (case.y_pred < 3))
    rest = np.setdiff1d(np.arange(len(case.y_true)), low)
    parts = [low, *np.array_split(rest, 2)]
    pieces = [
        evaluate_classifications(
            case.y_true[p], case.y_pred[p], confidences=case.confidence[p], frame_ids=p
        )
        for p in parts
    ]
    assert len({piece.labels for piece in pieces}) > 1
    whole = evaluate_classifications(case.y_true, case.y_pred, confidences=case.confidence)
    merged = pieces[0].merge(pieces[1]).merge(pieces[2])
    assert_same_evaluation(merged, whole)


def test_merge_refuses_shared_frames_and_mismatched_scores() -> None:
    a = evaluate_classifications([0, 1], [0, 1])
    with pytest.raises(ShoalError, match="share frames"):
        a.merge(a)
    scored = evaluate_classifications([0, 1], scores=[[0.6, 0.4], [0.1, 0.9]], frame_ids=[5, 6])
    with pytest.raises(ShoalError, match="with and without scores"):
        a.merge(scored)


# ------------------------------------------------------------- edge cases
def test_class_never_predicted_and_never_true() -> None:
    case = Case(2, n=200, num_classes=5, missing_true=1, missing_predicted=3)
    assert 3 not in case.y_pred and 1 not in case.y_true
    evaluation = evaluate_classifications(case.y_true, case.y_pred)
    labels = sklearn_labels(case.y_true, case.y_pred)
    assert_report_equals_sklearn(evaluation.report(), case.y_true, case.y_pred, labels)
    np.testing.assert_array_equal(
        evaluation.confusion_matrix().matrix[:-1, :-1],
        confusion_matrix(case.y_true, case.y_pred),
    )
    assert_report_matches_matrix(evaluation)


def test_one_class_only() -> None:
    evaluation = evaluate_classifications(["a"] * 4, ["a"] * 4, confidences=[0.2, 0.4, 0.6, 0.8])
    report = evaluation.report()
    assert_report_equals_sklearn(report, np.array(["a"] * 4), np.array(["a"] * 4), ["a"])
    assert report.accuracy == 1.0
    assert evaluation.report(0.5).row("a")["recall"] == 0.5
    assert evaluation.confusion_matrix(0.5).matrix.tolist() == [[2, 2], [0, 0]]


def test_empty_input_gives_empty_results() -> None:
    evaluation = evaluate_classifications([], [])
    report = evaluation.report()
    assert report.labels == () and report.accuracy == 0.0
    assert report.averages()["macro avg"]["f1-score"] == 0.0
    assert evaluation.confusion_matrix().matrix.tolist() == [[0]]
    assert evaluation.accuracy() == 0.0 and evaluation.balanced_accuracy() == 0.0
    assert evaluation.pr_curves() == {} and evaluation.best_thresholds() == {}
    assert evaluation.average_precision() == {"macro avg": 0.0, "micro avg": 0.0}
    assert evaluation.pr_curve().thresholds.size == 0
    scored = evaluate_classifications([], scores=np.zeros((0, 3)), labels=[0, 1, 2])
    assert scored.top_k_accuracy(1) == 0.0
    assert scored.report().labels == ("0", "1", "2")  # explicit labels are always shown
    assert evaluation.report(frames=[]).labels == ()


# -------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"y_true": [0, 1, 2], "y_pred": [0, 1]},
            "record 2: y_pred has 2 records but y_true has 3",
        ),
        (
            {"y_true": [0, 1], "y_pred": [0, 1], "confidences": [0.5, float("nan")]},
            "record 1: confidence is NaN",
        ),
        (
            {"y_true": [0, 1], "y_pred": [0, 1], "confidences": [1.5, 0.2]},
            "record 0: confidence is 1.5, not in [0, 1]",
        ),
        (
            {"y_true": [0, 1], "scores": [[0.5, 0.5], [0.2, -0.1]]},
            "record 1: scores[1] is -0.1, not in [0, 1]",
        ),
        (
            {"y_true": [0, 1], "scores": [[0.5, 0.5], [float("nan"), 1.0]]},
            "record 1: scores[0] is NaN",
        ),
        (
            {"y_true": [0, 1, 2], "y_pred": [0, 1, 7], "labels": [0, 1, 2]},
            "record 2: y_pred 7 is not one of labels",
        ),
        (
            {"y_true": ["a", "b", "c"], "y_pred": ["a", "b", "a"], "labels": ["a", "b"]},
            "record 2: y_true 'c' is not one of labels",
        ),
        (
            {"y_true": [0, 1, 2], "y_pred": [0, 1, 2], "frame_ids": ["x", "y", "x"]},
            "record 2: duplicate frame id 'x' (first at record 0)",
        ),
        (
            {"y_true": [0, "a"], "y_pred": [0, 0]},
            "record 1: y_true is 'a' (str), expected an integer",
        ),
        ({"y_true": [0.5, 1.0], "y_pred": [0, 0]}, "record 0: y_true is 0.5 (float)"),
        ({"y_true": [0, 1], "y_pred": [0, 1], "labels": [0, 1, 0]}, "record 2: label 0 repeats"),
        ({"y_true": ["background"], "y_pred": ["background"]}, "reserved"),
        ({"y_true": [0, 1], "scores": [[0.5, 0.3, 0.2]] * 2}, "scores has 3 columns"),
        ({"y_true": [0, 1]}, "pass y_pred, scores, or both"),
    ],
)
def test_bad_input_names_the_record(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError) as raised:
        evaluate_classifications(**kwargs)
    assert message in str(raised.value)


# ------------------------------------------------------------ the objects
def test_results_print_and_serialize() -> None:
    case = Case(1, n=60, num_classes=3)
    evaluation = evaluate_classifications(
        np.array(["ant", "bee", "cow"])[case.y_true],
        scores=case.scores,
        labels=["ant", "bee", "cow"],
    )
    text = str(evaluation.report(0.5))
    assert "bee" in text and "weighted avg" in text and "accuracy" in text
    assert "background" in str(evaluation.confusion_matrix())
    assert "'cow'" in str(evaluation.pr_curve("cow"))
    assert evaluation.best_thresholds()["ant"].to_dict()["label"] == "ant"
    assert evaluation.report(0.5).to_dict()["conf"] == 0.5
    assert "60 frames" in repr(evaluation)


# --------------------------------------------------------------- property
@settings(max_examples=150, deadline=None)
@given(
    pairs=st.lists(
        st.tuples(st.integers(0, 4), st.integers(0, 4), st.sampled_from([0.1, 0.5, 0.7, 1.0])),
        max_size=40,
    ),
    conf=st.sampled_from([0.0, 0.5, 0.8]),
)
def test_property_report_and_matrix_equal_sklearn(
    pairs: list[tuple[int, int, float]], conf: float
) -> None:
    y_true = np.array([p[0] for p in pairs], dtype=np.int64)
    y_pred = np.array([p[1] for p in pairs], dtype=np.int64)
    confidence = np.array([p[2] for p in pairs])
    evaluation = evaluate_classifications(y_true, y_pred, confidences=confidence)
    labels = sklearn_labels(y_true, y_pred)
    y_cut = thresholded(y_pred, confidence, np.full(y_pred.shape, conf))
    assert_report_equals_sklearn(evaluation.report(conf), y_true, y_cut, labels)
    assert_report_matches_matrix(evaluation, conf=conf)
    if labels:
        expected = confusion_matrix(y_true, y_cut, labels=[*labels, NO_PREDICTION])
        np.testing.assert_array_equal(evaluation.confusion_matrix(conf).matrix[:-1], expected[:-1])


@pytest.mark.parametrize("seed", range(4))
def test_outcomes_list_exactly_each_matrix_cell(seed: int) -> None:
    rng = np.random.default_rng(seed)
    labels = ["a", "b", "c"]
    truth = rng.choice(labels, 80)
    predicted = np.where(rng.random(80) < 0.7, truth, rng.choice(labels, 80))
    confidences = rng.random(80)
    evaluation = evaluate_classifications(truth, predicted, confidences=confidences, labels=labels)
    for conf in (0.0, 0.4, {"a": 0.8}):
        matrix = evaluation.confusion_matrix(conf)
        outcomes = evaluation.outcomes(conf)
        for row in matrix.labels:
            for column in matrix.labels:
                assert len(outcomes.in_cell(row, column)) == matrix.cell(row, column), (row, column)
        report = evaluation.report(conf, classes=labels)
        assert len(outcomes.where(outcome="FP")) == report.fp.sum()
        assert len(outcomes.where(outcome="FN")) == report.fn.sum()
        assert len(outcomes.where(outcome="TP", kind="ground_truth")) == report.tp.sum()
    wrong = evaluation.outcomes().where(kind="prediction", outcome="FP")
    assert (wrong.reason == "class_confusion").all()
    assert (wrong.partner_label != wrong.label).all()
