"""The classification engine on scikit-learn's published docstring examples.

The cases are read in place from ``../shared/validation/sklearn-classification-
docstrings/cases.json`` (see its EXPECTED.md); each is compared with the value
scikit-learn 1.9.1 returns (``full_precision_sklearn_1_9_1``) to 1e-12. Functions Shoal
does not implement are skipped with the reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from shoal.engine.classification import ClassificationEvaluation, evaluate_classifications
from shoal.engine.multilabel import evaluate_multilabel

from conftest import VALIDATION

FOLDER = VALIDATION / "sklearn-classification-docstrings"
CASES_FILE = FOLDER / "cases.json"
TOLERANCE = 1e-12

NOT_IMPLEMENTED = {
    "sklearn.metrics.matthews_corrcoef": "Shoal does not compute the Matthews correlation",
    "sklearn.metrics.cohen_kappa_score": "Shoal does not compute Cohen's kappa",
    "sklearn.metrics.jaccard_score": "Shoal does not compute Jaccard scores",
}


def is_multilabel(y: Any) -> bool:
    return bool(y) and isinstance(y[0], list)


def evaluation_and_rows(
    y_true: list[Any], y_pred: list[Any], labels: list[Any] | None
) -> tuple[ClassificationEvaluation, list[Any] | None]:
    """The evaluation of a case and the rows scikit-learn's ``labels=`` asks for.

    scikit-learn lets ``labels`` omit classes that occur (they are left out of the
    counts); Shoal needs every class named, so the others are appended and the report
    is restricted to ``labels`` with ``classes=``.
    """
    if labels is None:
        return evaluate_classifications(y_true, y_pred), None
    others = sorted((set(y_true) | set(y_pred)) - set(labels))
    return evaluate_classifications(y_true, y_pred, labels=[*labels, *others]), labels


def unsupported_zero_division(kwargs: dict[str, Any]) -> bool:
    return kwargs.get("zero_division", "warn") not in ("warn", 0, 0.0)


def precision_recall_fbeta(case: dict[str, Any]) -> Any:
    """precision_score, recall_score, f1_score, fbeta_score, precision_recall_fscore_support."""
    y_true, y_pred = case["args"]
    kwargs = dict(case["kwargs"])
    if is_multilabel(y_true):
        return multilabel_scores(case)
    if unsupported_zero_division(kwargs):
        pytest.skip("zero_division=1: Shoal's undefined ratios are always 0 (zero_division=0)")
    average = kwargs.get("average", "binary")
    labels = kwargs.get("labels")
    if average == "binary":
        # scikit-learn's binary average is the row of pos_label=1.
        every_label = sorted(set(y_true) | set(y_pred) | {1})
        evaluation = evaluate_classifications(y_true, y_pred, labels=every_label)
        rows: list[Any] | None = [1]
    else:
        evaluation, rows = evaluation_and_rows(y_true, y_pred, labels)
    report = evaluation.report(classes=rows)
    beta = float(kwargs.get("beta", 1.0))
    fbeta = evaluation.fbeta_score(beta, classes=rows)
    per_class = {
        "precision": report.precision,
        "recall": report.recall,
        "f": np.asarray([fbeta[name] for name in report.labels]),
    }
    if average in (None, "binary"):
        values = per_class
    else:
        row = report.averages()[f"{average} avg"]
        values = {
            "precision": row["precision"],
            "recall": row["recall"],
            "f": fbeta[f"{average} avg"],
        }
    if average == "binary":
        values = {name: float(value[0]) for name, value in per_class.items()}
    function = case["function"].rsplit(".", 1)[1]
    if function == "precision_recall_fscore_support":
        support = report.support.tolist() if average is None else None
        return [values["precision"], values["recall"], values["f"], support]
    return values[{"precision_score": "precision", "recall_score": "recall"}.get(function, "f")]


def multilabel_evaluation(y_true: Any, y_pred: Any) -> Any:
    """Indicator predictions as Shoal's multi-label scores: a 1 scores 1.0, predicted at
    the default threshold 0.5; a 0 scores 0.0."""
    return evaluate_multilabel(np.asarray(y_true), np.asarray(y_pred, dtype=np.float64))


def multilabel_scores(case: dict[str, Any]) -> Any:
    """precision_score, recall_score, f1_score on indicator matrices (shoal.engine.multilabel)."""
    y_true, y_pred = case["args"]
    kwargs = dict(case["kwargs"])
    if unsupported_zero_division(kwargs):
        pytest.skip("zero_division=1: Shoal's undefined ratios are always 0 (zero_division=0)")
    report = multilabel_evaluation(y_true, y_pred).report()
    metric = {"precision_score": "precision", "recall_score": "recall"}.get(
        case["function"].rsplit(".", 1)[1], "f1-score"
    )
    average = kwargs.get("average", "binary")
    if average is None:
        return [report[name][metric] for name in map(str, range(len(y_true[0])))]
    return report[f"{average} avg"][metric]


def hamming(case: dict[str, Any]) -> Any:
    """hamming_loss: the multi-label engine's on indicator matrices; for one label per
    frame it is the share of wrong labels, 1 - accuracy."""
    y_true, y_pred = case["args"]
    if is_multilabel(y_true):
        return multilabel_evaluation(y_true, y_pred).hamming_loss()
    return 1.0 - evaluate_classifications(y_true, y_pred).accuracy()


def accuracy(case: dict[str, Any]) -> Any:
    y_true, y_pred = case["args"]
    evaluation = evaluate_classifications(y_true, y_pred)
    if case["kwargs"].get("normalize", True):
        return evaluation.accuracy()
    return evaluation.accuracy() * len(evaluation)


def balanced_accuracy(case: dict[str, Any]) -> Any:
    return evaluate_classifications(*case["args"]).balanced_accuracy()


def confusion(case: dict[str, Any]) -> Any:
    y_true, y_pred = case["args"]
    evaluation, rows = evaluation_and_rows(y_true, y_pred, case["kwargs"].get("labels"))
    matrix = evaluation.confusion_matrix(classes=rows).matrix
    return matrix[:-1, :-1]


def multilabel_confusion(case: dict[str, Any]) -> Any:
    """Per class [[tn, fp], [fn, tp]]: one-vs-rest counts of the report."""
    y_true, y_pred = case["args"]
    if is_multilabel(y_true):
        return multilabel_evaluation(y_true, y_pred).multilabel_confusion_matrix()
    evaluation, rows = evaluation_and_rows(y_true, y_pred, case["kwargs"].get("labels"))
    report = evaluation.report(classes=rows)
    tn = len(evaluation) - report.tp - report.fp - report.fn
    return np.stack([tn, report.fp, report.fn, report.tp], axis=1).reshape(-1, 2, 2)


def report_dict(case: dict[str, Any]) -> Any:
    y_true, y_pred = case["args"]
    evaluation, rows = evaluation_and_rows(y_true, y_pred, case["kwargs"].get("labels"))
    got = evaluation.report(classes=rows).to_sklearn_dict()
    expected = case["full_precision_sklearn_1_9_1"]
    # Compare every entry scikit-learn prints; Shoal's dict also has counts and the
    # averages scikit-learn folds into "accuracy".
    out: dict[str, Any] = {}
    for key, value in expected.items():
        out[key] = {m: got[key][m] for m in value} if isinstance(value, dict) else got[key]
    return out


def top_k(case: dict[str, Any]) -> Any:
    y_true, scores = case["args"]
    return evaluate_classifications(y_true, scores=scores).top_k_accuracy(case["kwargs"]["k"])


def binary_scores(score: list[float]) -> np.ndarray:
    """A binary score column as Shoal's (n, 2) score vectors (class 1 in column 1)."""
    positive = np.asarray(score, dtype=np.float64)
    return np.stack([1.0 - positive, positive], axis=1)


def average_precision(case: dict[str, Any]) -> Any:
    y_true, y_score = case["args"]
    if not isinstance(y_score[0], list):
        return evaluate_classifications(y_true, scores=binary_scores(y_score)).pr_curve(1).ap
    return evaluate_classifications(y_true, scores=y_score).average_precision()["macro avg"]


def pr_curve(case: dict[str, Any]) -> Any:
    y_true, y_score = case["args"]
    curve = evaluate_classifications(y_true, scores=binary_scores(y_score)).pr_curve(1)
    # scikit-learn lists thresholds ascending and closes the curve at (recall 0, precision 1).
    return [
        [*curve.precision[::-1].tolist(), 1.0],
        [*curve.recall[::-1].tolist(), 0.0],
        curve.thresholds[::-1].tolist(),
    ]


HANDLERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "sklearn.metrics.accuracy_score": accuracy,
    "sklearn.metrics.balanced_accuracy_score": balanced_accuracy,
    "sklearn.metrics.confusion_matrix": confusion,
    "sklearn.metrics.multilabel_confusion_matrix": multilabel_confusion,
    "sklearn.metrics.precision_score": precision_recall_fbeta,
    "sklearn.metrics.recall_score": precision_recall_fbeta,
    "sklearn.metrics.f1_score": precision_recall_fbeta,
    "sklearn.metrics.fbeta_score": precision_recall_fbeta,
    "sklearn.metrics.precision_recall_fscore_support": precision_recall_fbeta,
    "sklearn.metrics.classification_report": report_dict,
    "sklearn.metrics.top_k_accuracy_score": top_k,
    "sklearn.metrics.average_precision_score": average_precision,
    "sklearn.metrics.precision_recall_curve": pr_curve,
    "sklearn.metrics.hamming_loss": hamming,
}


def load_cases() -> list[Any]:
    if not CASES_FILE.is_file():
        return [pytest.param(None, id="fixture-absent")]
    cases = json.loads(CASES_FILE.read_text())["cases"]
    return [pytest.param(case, id=case["id"]) for case in cases]


def assert_close(got: Any, expected: Any, where: str) -> None:
    if isinstance(expected, dict):
        assert set(got) == set(expected), where
        for key in expected:
            assert_close(got[key], expected[key], f"{where}[{key!r}]")
    elif expected is None:
        assert got is None, where
    elif (
        isinstance(expected, list)
        and expected
        and any(isinstance(e, list) or e is None for e in expected)
    ):
        assert len(got) == len(expected), where
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            assert_close(g, e, f"{where}[{i}]")
    else:
        np.testing.assert_allclose(
            np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64),
            rtol=0, atol=TOLERANCE, err_msg=where,
        )  # fmt: skip


@pytest.mark.parametrize("case", load_cases())
def test_published_case(case: dict[str, Any] | None) -> None:
    if case is None:
        pytest.skip(f"public fixture {CASES_FILE} is absent (it lives beside the checkout)")
    function = case["function"]
    if function in NOT_IMPLEMENTED:
        pytest.skip(NOT_IMPLEMENTED[function])
    assert function in HANDLERS, f"no handler for {function}: add one or a skip reason"
    assert_close(HANDLERS[function](case), case["full_precision_sklearn_1_9_1"], case["id"])


def test_every_case_is_run_or_skipped_for_a_stated_reason() -> None:
    if not CASES_FILE.is_file():
        pytest.skip(f"public fixture {CASES_FILE} is absent (it lives beside the checkout)")
    functions = {c["function"] for c in json.loads(CASES_FILE.read_text())["cases"]}
    assert functions <= set(HANDLERS) | set(NOT_IMPLEMENTED)
