"""Multi-label projects end to end: files in, stored, first and later metrics queries,
against scikit-learn computing the same numbers from the same matrices, in one run.

    python benchmarks/multilabel_store.py [--frames 100000] [--classes 80] [--repeat 3]

Data: a seeded random indicator (per-class prevalence 1-30%) and scores correlated with
it, written as the multi-label CSV files (``frame_id,labels`` and ``frame_id,p_<class>``;
scores under 0.05 left empty, so they count as 0). Timed, wall clock:

* reading: ``from_multilabel_csv``, then ``from_multilabel_predictions_csv`` (its
  column-wise path, and the row-by-row reader it falls back to for a bad file, as the
  peer: the ratio is what the vectorised path saves);
* storing: ``create_dataset`` + ``create_inference_set`` into a fresh store;
* the first ``multilabel_metrics`` (builds and caches the evaluation), then the median of
  ``--repeat`` re-threshold queries with per-class thresholds (what a slider move asks);
* scikit-learn: ``classification_report`` + ``multilabel_confusion_matrix`` +
  ``accuracy_score`` + ``hamming_loss`` + ``average_precision_score`` on the dense
  matrices (given the thresholded matrix; thresholding is not timed for it).

The stored answer is checked equal to scikit-learn's (1e-12) before times are printed.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sklearn import metrics as sk

from shoal.formats.multilabel_csv import (
    _predictions_by_row,
    from_multilabel_csv,
    from_multilabel_predictions_csv,
)
from shoal.store import Store


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = run()
    return time.perf_counter() - start, value


def write_files(
    folder: Path, truth: np.ndarray, scores: np.ndarray, names: list[str]
) -> tuple[Path, Path]:
    labels, predictions = folder / "labels.csv", folder / "scores.csv"
    with labels.open("w") as out:
        out.write("frame_id,labels\n")
        for i, row in enumerate(truth):
            out.write(f"f{i},{';'.join(names[c] for c in np.flatnonzero(row))}\n")
    cells = np.where(scores >= 0.05, np.char.mod("%.3f", scores), "")
    with predictions.open("w") as out:
        out.write("frame_id," + ",".join(f"p_{n}" for n in names) + "\n")
        for i, row in enumerate(cells):
            out.write(f"f{i}," + ",".join(row) + "\n")
    return labels, predictions


def sklearn_all(truth: np.ndarray, predicted: np.ndarray, scores: np.ndarray) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "report": sk.classification_report(truth, predicted, output_dict=True, zero_division=0),
            "matrices": sk.multilabel_confusion_matrix(truth, predicted),
            "accuracy": sk.accuracy_score(truth, predicted),
            "hamming": sk.hamming_loss(truth, predicted),
            "ap": sk.average_precision_score(truth, scores, average=None),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--classes", type=int, default=80)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    names = [f"c{c}" for c in range(args.classes)]
    truth = rng.random((args.frames, args.classes)) < rng.uniform(0.01, 0.3, args.classes)
    scores = np.round(np.clip(0.35 * truth + 0.65 * rng.random(truth.shape), 0, 1), 3)
    scores[scores < 0.05] = 0.0
    thresholds = {
        n: float(t) for n, t in zip(names, rng.uniform(0.3, 0.7, args.classes), strict=True)
    }
    limits = np.asarray([thresholds[n] for n in names])

    with tempfile.TemporaryDirectory() as folder:
        labels, predictions = write_files(Path(folder), truth, scores, names)
        read_labels, dataset_tables = timed(lambda: from_multilabel_csv(labels))
        read_fast, inference_tables = timed(
            lambda: from_multilabel_predictions_csv(predictions, dataset_tables)
        )
        read_rows, by_row = timed(lambda: _predictions_by_row(predictions, dataset_tables))
        assert by_row.predictions.equals(inference_tables.predictions)
        store = Store(Path(folder) / "home")
        project = store.create_project("tags", task="multilabel", classes=names)

        def store_both() -> Any:
            dataset = project.create_dataset("val", dataset_tables)
            return dataset.create_inference_set("model", inference_tables)

        storing, inference_set = timed(store_both)
        first, _ = timed(lambda: inference_set.multilabel_metrics())
        again = statistics.median(
            timed(lambda: inference_set.multilabel_metrics(threshold=thresholds))[0]
            for _ in range(args.repeat)
        )
        answer = inference_set.multilabel_metrics(threshold=thresholds).to_dict()
        predicted = scores >= limits
        peer = statistics.median(
            timed(lambda: sklearn_all(truth, predicted, scores))[0] for _ in range(args.repeat)
        )
        expected = sklearn_all(truth, predicted, scores)
    for c, row in enumerate(answer["classes"]):
        want = expected["report"][str(c)]
        assert abs(row["f1-score"] - want["f1-score"]) < 1e-12
        assert [[row["tn"], row["fp"]], [row["fn"], row["tp"]]] == expected["matrices"][c].tolist()
        assert abs(row["average_precision"] - expected["ap"][c]) < 1e-12
    assert abs(answer["subset_accuracy"] - expected["accuracy"]) < 1e-12
    assert abs(answer["hamming_loss"] - expected["hamming"]) < 1e-12
    cells = int((scores > 0).sum())
    print(
        f"{args.frames:,} frames x {args.classes} classes, {cells:,} stored scores (checked equal to scikit-learn)"
    )
    print(f"read labels CSV               {read_labels:8.2f} s")
    print(
        f"read scores CSV (vectorised)  {read_fast:8.2f} s   row by row {read_rows:.2f} s ({read_rows / read_fast:.1f}x)"
    )
    print(f"store dataset + inference set {storing:8.2f} s")
    print(f"first metrics query           {first:8.2f} s")
    print(
        f"re-threshold (per class)      {again:8.3f} s   scikit-learn {peer:.3f} s ({peer / again:.1f}x)"
    )


if __name__ == "__main__":
    main()
