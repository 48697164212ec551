"""Multi-label classification metrics: Shoal's engine against scikit-learn in one run.

    python benchmarks/multilabel.py [--frames 100000] [--classes 80] [--repeat 3]

Data: a seeded random indicator (per-class prevalence 1-30%) and scores correlated with
it, rounded to 3 decimals so rankings have ties. Both sides get the same (n, C)
matrices; predictions are ``scores >= 0.5`` (Shoal thresholds itself; scikit-learn is
given the thresholded matrix, and that thresholding is not timed for it).

| metric | Shoal | scikit-learn |
| --- | --- | --- |
| report | ``MultiLabelEvaluation.report`` | ``classification_report(output_dict=True)`` |
| subset accuracy | ``accuracy`` | ``accuracy_score`` |
| Hamming loss | ``hamming_loss`` | ``hamming_loss`` |
| confusion matrices | ``multilabel_confusion_matrix`` | ``multilabel_confusion_matrix`` |
| per-class AP | ``average_precision`` (per class + macro) | ``average_precision_score(average=None)`` |

Times are medians of ``--repeat`` runs (wall clock); the ratio is scikit-learn's time over
Shoal's (above 1: Shoal is quicker). Every pair of results is checked equal (1e-12)
before timing is reported.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn import metrics as sk

from shoal.engine.multilabel import evaluate_multilabel


def median_seconds(run: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--classes", type=int, default=80)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    prevalence = rng.uniform(0.01, 0.3, args.classes)
    truth = rng.random((args.frames, args.classes)) < prevalence
    scores = np.round(np.clip(0.35 * truth + 0.65 * rng.random(truth.shape), 0, 1), 3)
    predicted = scores >= 0.5
    truth_int, predicted_int = truth.astype(np.int64), predicted.astype(np.int64)

    start = time.perf_counter()
    evaluation = evaluate_multilabel(truth, scores)
    setup = time.perf_counter() - start
    names = list(evaluation.labels)

    def sk_report() -> dict[str, Any]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return sk.classification_report(  # type: ignore[no-any-return]
                truth_int, predicted_int, target_names=names, output_dict=True, zero_division=0
            )

    pairs: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
        ("report", lambda: evaluation.report(0.5), sk_report),
        (
            "subset accuracy",
            lambda: evaluation.accuracy(0.5),
            lambda: sk.accuracy_score(truth, predicted),
        ),
        (
            "Hamming loss",
            lambda: evaluation.hamming_loss(0.5),
            lambda: sk.hamming_loss(truth, predicted),
        ),
        (
            "confusion matrices",
            lambda: evaluation.multilabel_confusion_matrix(0.5),
            lambda: sk.multilabel_confusion_matrix(truth, predicted),
        ),
        (
            "per-class AP",
            evaluation.average_precision,
            lambda: sk.average_precision_score(truth_int, scores, average=None),
        ),
    ]
    print(f"{args.frames:,} frames x {args.classes} classes; Shoal setup {setup * 1e3:.1f} ms")
    print("| metric | Shoal (ms) | scikit-learn (ms) | ratio |\n| --- | ---: | ---: | ---: |")
    total_shoal = total_sklearn = 0.0
    for name, shoal_run, sklearn_run in pairs:
        check(name, shoal_run(), sklearn_run(), names)
        shoal_s = median_seconds(shoal_run, args.repeat)
        sklearn_s = median_seconds(sklearn_run, args.repeat)
        total_shoal += shoal_s
        total_sklearn += sklearn_s
        print(
            f"| {name} | {shoal_s * 1e3:.1f} | {sklearn_s * 1e3:.1f} | {sklearn_s / shoal_s:.1f}x |"
        )
    print(
        f"| all | {total_shoal * 1e3:.1f} | {total_sklearn * 1e3:.1f} "
        f"| {total_sklearn / total_shoal:.1f}x |"
    )


def check(name: str, ours: Any, theirs: Any, names: list[str]) -> None:
    """Fail loudly if the two sides disagree: a speed ratio of different numbers is moot."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        for row, values in theirs.items():
            for key, value in values.items():
                assert abs(ours[row][key] - value) <= 1e-12, (name, row, key)
    elif isinstance(ours, dict):
        np.testing.assert_allclose([ours[n] for n in names], theirs, rtol=0, atol=1e-12)
    else:
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


if __name__ == "__main__":
    main()
