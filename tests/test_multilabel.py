"""The multi-label engine against scikit-learn as the oracle.

Inputs are random (seeded NumPy, many seeds) plus hand-made edge cases: a class no frame
has, a frame with no labels, all predictions correct, per-class thresholds and tied
scores. scikit-learn computes every expected number on the same indicator matrices, with
predictions ``scores >= threshold`` and ``zero_division=0``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    classification_report,
    hamming_loss,
    multilabel_confusion_matrix,
    precision_recall_fscore_support,
)

from shoal.engine.multilabel import MultiLabelEvaluation, evaluate_multilabel
from shoal.errors import InputError

TOL = 1e-12


def random_case(
    seed: int, frames: int = 200, classes: int = 6, ties: bool = False
) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
    rng = np.random.default_rng(seed)
    density = rng.uniform(0.05, 0.6, classes)
    truth = rng.random((frames, classes)) < density
    scores = np.clip(truth * rng.uniform(0.1, 0.5) + rng.random((frames, classes)) * 0.7, 0, 1)
    if ties:
        scores = np.round(scores, 1)
    return truth, scores


def assert_equals_sklearn(
    evaluation: MultiLabelEvaluation,
    truth: NDArray[np.bool_],
    scores: NDArray[np.float64],
    thresholds: NDArray[np.float64],
    threshold: Any,
) -> None:
    predicted = scores >= thresholds[None, :]
    names = list(evaluation.labels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = classification_report(
            truth.astype(int),
            predicted.astype(int),
            target_names=names,
            labels=list(range(len(names))),
            output_dict=True,
            zero_division=0,
        )
        expected_ap = average_precision_score(truth.astype(int), scores, average=None)
        expected_macro_ap = average_precision_score(truth.astype(int), scores, average="macro")
    report = evaluation.report(threshold)
    assert list(report) == list(expected)
    for row, values in expected.items():
        assert report[row].keys() == values.keys()
        for key, value in values.items():
            assert report[row][key] == pytest.approx(value, abs=TOL), (row, key)
    assert evaluation.accuracy(threshold) == pytest.approx(
        accuracy_score(truth, predicted), abs=TOL
    )
    assert evaluation.hamming_loss(threshold) == pytest.approx(
        hamming_loss(truth, predicted), abs=TOL
    )
    np.testing.assert_array_equal(
        evaluation.multilabel_confusion_matrix(threshold),
        multilabel_confusion_matrix(truth, predicted),
    )
    ap = evaluation.average_precision()
    np.testing.assert_allclose([ap[n] for n in names], expected_ap, rtol=0, atol=TOL)
    assert ap["macro avg"] == pytest.approx(expected_macro_ap, abs=TOL)


@pytest.mark.parametrize("seed", range(40))
def test_random_data_equals_sklearn(seed):
    truth, scores = random_case(seed, frames=50 + 37 * seed, classes=2 + seed % 9)
    threshold = float(np.random.default_rng(seed).uniform(0.2, 0.8))
    evaluation = evaluate_multilabel(truth, scores)
    thresholds = np.full(truth.shape[1], threshold)
    assert_equals_sklearn(evaluation, truth, scores, thresholds, threshold)


@pytest.mark.parametrize("seed", range(20))
def test_per_class_thresholds_equal_sklearn(seed):
    truth, scores = random_case(100 + seed, classes=5)
    classes = ["cat", "dog", "car", "tree", "sky"]
    rng = np.random.default_rng(seed)
    per_class = rng.uniform(0.1, 0.9, 5)
    evaluation = evaluate_multilabel(truth, scores, classes=classes)
    assert_equals_sklearn(evaluation, truth, scores, per_class, per_class.tolist())
    # A mapping names some classes; the others keep 0.5.
    mapping = {"dog": float(per_class[1]), "sky": float(per_class[4])}
    expected = np.full(5, 0.5)
    expected[[1, 4]] = per_class[[1, 4]]
    np.testing.assert_array_equal(evaluation.thresholds(mapping), expected)
    assert_equals_sklearn(evaluation, truth, scores, expected, mapping)


@pytest.mark.parametrize("seed", range(10))
def test_tied_scores_equal_sklearn(seed):
    truth, scores = random_case(200 + seed, frames=300, classes=4, ties=True)
    evaluation = evaluate_multilabel(truth, scores)
    assert_equals_sklearn(evaluation, truth, scores, np.full(4, 0.5), 0.5)
    # Every score equal: one tie group per class, AP is the class's prevalence.
    flat = np.full(scores.shape, 0.3)
    evaluation = evaluate_multilabel(truth, flat)
    assert_equals_sklearn(evaluation, truth, flat, np.full(4, 0.5), 0.5)


@pytest.mark.parametrize("seed", range(10))
def test_class_without_labels_and_frames_without_labels(seed):
    truth, scores = random_case(300 + seed, classes=5)
    truth[:, 2] = False  # no frame has class 2
    truth[::3] = False  # every third frame has no label
    scores[::5] = 0.0  # and every fifth frame predicts nothing
    evaluation = evaluate_multilabel(truth, scores)
    report = evaluation.report(0.5)
    assert report["2"]["support"] == 0
    assert report["2"]["recall"] == 0.0
    assert evaluation.average_precision()["2"] == 0.0
    assert_equals_sklearn(evaluation, truth, scores, np.full(5, 0.5), 0.5)


def test_all_correct_and_all_empty():
    truth, _ = random_case(7, classes=4)
    perfect = truth.astype(float)
    evaluation = evaluate_multilabel(truth, perfect)
    assert evaluation.accuracy(0.5) == 1.0
    assert evaluation.hamming_loss(0.5) == 0.0
    assert evaluation.report(0.5)["micro avg"]["f1-score"] == 1.0
    assert_equals_sklearn(evaluation, truth, perfect, np.full(4, 0.5), 0.5)
    # No labels and no predictions anywhere: every ratio is undefined, so 0.
    empty = np.zeros((10, 3), bool)
    evaluation = evaluate_multilabel(empty, np.zeros((10, 3)))
    assert evaluation.accuracy(0.5) == 1.0
    assert_equals_sklearn(evaluation, empty, np.zeros((10, 3)), np.full(3, 0.5), 0.5)


def test_label_sets_give_the_same_evaluation_as_the_indicator():
    truth, scores = random_case(11, frames=60, classes=3)
    classes = ["a", "b", "c"]
    sets = [{classes[c] for c in np.flatnonzero(row)} for row in truth]
    as_lists = [sorted(s) for s in sets]
    for y_true in (sets, as_lists):
        evaluation = evaluate_multilabel(y_true, scores, classes=classes)
        np.testing.assert_array_equal(evaluation.data.truth, truth)
    # Integer class labels in sets, and an indicator given as nested lists.
    int_sets = [set(np.flatnonzero(row).tolist()) for row in truth]
    evaluation = evaluate_multilabel(int_sets, scores, classes=[0, 1, 2])
    np.testing.assert_array_equal(evaluation.data.truth, truth)
    evaluation = evaluate_multilabel(truth.astype(int).tolist(), scores)
    np.testing.assert_array_equal(evaluation.data.truth, truth)
    assert evaluation.labels == ("0", "1", "2")


@pytest.mark.parametrize(
    ("y_true", "scores", "classes", "message"),
    [
        (np.zeros((3, 2), bool), np.zeros((3, 3)), None, "shape"),
        (np.zeros((3, 2), bool), np.zeros((3, 2)), ["a"], "2 columns but there are 1 classes"),
        (np.full((2, 2), 2), np.zeros((2, 2)), None, "not 0 or 1"),
        (np.zeros((2, 2), bool), [[0.1, np.nan], [0, 0]], None, "record 0"),
        (np.zeros((2, 2), bool), np.zeros(2), None, "n_frames, n_classes"),
        ([{"a"}, {"z"}], np.zeros((2, 2)), ["a", "b"], "'z' is not one of classes"),
        ([{"a"}, {"b"}], np.zeros((2, 2)), None, "needs classes="),
        (np.zeros((2, 2), bool), np.zeros((2, 2)), ["a", "a"], "repeats"),
    ],
)
def test_bad_input_is_named(y_true, scores, classes, message):
    with pytest.raises(InputError, match=message):
        evaluate_multilabel(y_true, scores, classes=classes)


def test_bad_thresholds_are_named():
    evaluation = evaluate_multilabel(np.zeros((2, 2), bool), np.zeros((2, 2)), classes=["a", "b"])
    with pytest.raises(InputError, match="unknown class 'c'"):
        evaluation.report({"c": 0.3})
    with pytest.raises(InputError, match="3 thresholds given for 2 classes"):
        evaluation.report([0.1, 0.2, 0.3])
    with pytest.raises(InputError, match="is not a number"):
        evaluation.report("high")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="not finite"):
        evaluation.report(float("nan"))


def test_no_frames_gives_zeros_not_an_error():
    """scikit-learn refuses empty input; Shoal answers 0 (a segment may select no frame)."""
    evaluation = evaluate_multilabel([], np.zeros((0, 2)), classes=["a", "b"])
    assert len(evaluation) == 0
    assert evaluation.report(0.5)["samples avg"] == {
        "precision": 0.0,
        "recall": 0.0,
        "f1-score": 0.0,
        "support": 0,
    }
    assert evaluation.accuracy(0.5) == 0.0
    assert evaluation.hamming_loss(0.5) == 0.0
    np.testing.assert_array_equal(evaluation.multilabel_confusion_matrix(), np.zeros((2, 2, 2)))
    assert evaluation.average_precision() == {"a": 0.0, "b": 0.0, "macro avg": 0.0}


@pytest.mark.parametrize("seed", range(5))
def test_one_class_equals_sklearn_binary(seed):
    """One column is a binary problem to scikit-learn (its multi-label report needs two
    columns); the class's row and AP then equal its binary metrics with pos_label=1."""
    truth, scores = random_case(400 + seed, frames=120, classes=1)
    evaluation = evaluate_multilabel(truth, scores, classes=["only"])
    y_true, y_pred = truth[:, 0].astype(int), (scores[:, 0] >= 0.5).astype(int)
    precision, recall, f1, _ = precision_recall_fscore_support(
        y_true, y_pred, average="binary", zero_division=0
    )
    row = evaluation.report(0.5)["only"]
    assert row["precision"] == pytest.approx(precision, abs=TOL)
    assert row["recall"] == pytest.approx(recall, abs=TOL)
    assert row["f1-score"] == pytest.approx(f1, abs=TOL)
    assert row["support"] == int(y_true.sum())
    assert evaluation.average_precision()["only"] == pytest.approx(
        average_precision_score(y_true, scores[:, 0]), abs=TOL
    )


@pytest.mark.parametrize("seed", range(10))
def test_a_segment_equals_sklearn_on_its_frames(seed):
    truth, scores = random_case(500 + seed, frames=150, classes=4)
    ids = np.asarray([f"img-{i:04d}" for i in range(150)])
    rng = np.random.default_rng(seed)
    evaluation = evaluate_multilabel(truth, scores, frame_ids=ids)
    np.testing.assert_array_equal(evaluation.frame_ids, ids)
    chosen = np.sort(rng.choice(150, size=int(rng.integers(10, 140)), replace=False))
    segment = evaluate_multilabel(truth[chosen], scores[chosen], frame_ids=ids[chosen])
    frames = rng.permutation(ids[chosen]).tolist()  # order of frames= does not matter
    thresholds = rng.uniform(0.3, 0.7, 4)
    assert evaluation.report(thresholds.tolist(), frames=frames) == segment.report(
        thresholds.tolist()
    )
    assert evaluation.accuracy(0.5, frames=frames) == segment.accuracy(0.5)
    assert evaluation.hamming_loss(0.5, frames=frames) == segment.hamming_loss(0.5)
    np.testing.assert_array_equal(
        evaluation.multilabel_confusion_matrix(0.5, frames=frames),
        segment.multilabel_confusion_matrix(0.5),
    )
    np.testing.assert_array_equal(evaluation.predictions(0.5, frames=frames), scores[chosen] >= 0.5)
    assert evaluation.average_precision(frames=frames) == segment.average_precision()
    assert_equals_sklearn(segment, truth[chosen], scores[chosen], thresholds, thresholds.tolist())


def test_bad_frame_ids_are_named():
    truth, scores = np.zeros((3, 2), bool), np.zeros((3, 2))
    with pytest.raises(InputError, match="frame_ids has 2 records but y_true has 3"):
        evaluate_multilabel(truth, scores, frame_ids=[1, 2])
    with pytest.raises(InputError, match="duplicate frame id 'a'"):
        evaluate_multilabel(truth, scores, frame_ids=["a", "b", "a"])
    evaluation = evaluate_multilabel(truth, scores, frame_ids=["a", "b", "c"])
    with pytest.raises(InputError, match="unknown frame id 'z'"):
        evaluation.report(frames=["a", "z"])


@pytest.mark.parametrize("seed", range(6))
def test_best_thresholds_equal_a_brute_force_over_sklearn_f1(seed: int) -> None:
    """Each class's best-F1 threshold: scikit-learn's f1_score at every distinct score of
    the class, the highest F1 and, among equal ones, the highest threshold; the numbers
    are the report's at that threshold. A class without true frames is left out."""
    from sklearn.metrics import f1_score

    truth, scores = random_case(seed, frames=120, ties=seed % 2 == 0)
    truth[:, 0] = False  # a class no frame has
    evaluation = evaluate_multilabel(truth, scores)
    best = evaluation.best_thresholds()
    assert "0" not in best
    for c in range(1, truth.shape[1]):
        candidates = np.unique(scores[:, c])
        values = np.asarray(
            [f1_score(truth[:, c], scores[:, c] >= t, zero_division=0) for t in candidates]
        )
        top = values.max()
        expected = candidates[values >= top - TOL].max()
        got = best[str(c)]
        assert got["threshold"] == expected
        assert got["f1-score"] == pytest.approx(top, abs=TOL)
        row = evaluation.report({str(c): expected})[str(c)]
        for key in ("precision", "recall", "f1-score"):
            assert got[key] == row[key]
    # A segment's best thresholds are those of its frames alone.
    chosen = np.arange(0, 120, 2)
    alone = evaluate_multilabel(truth[chosen], scores[chosen]).best_thresholds()
    assert evaluation.best_thresholds(frames=chosen) == alone
