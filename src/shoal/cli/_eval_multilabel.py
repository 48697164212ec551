"""``shoal eval LABELS.csv SCORES.csv``: the multi-label metrics of one model, printed
or as JSON (the layouts: :mod:`shoal.formats.multilabel_csv`).

``shoal eval`` comes here when the ground truth is a CSV file. The numbers are the
store's (``shoal.store._multilabel.metrics_of`` over the engine's evaluation), equal to
scikit-learn's; the JSON has the REST answer's shape.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from typing import Any

import orjson

from shoal.cli._output import format_table
from shoal.cli._progress import ProgressBar
from shoal.errors import InputError

__all__ = ["class_threshold", "run_multilabel"]

DEFAULT_THRESHOLD = 0.5
_RATIOS = ("precision", "recall", "f1-score")


def class_threshold(text: str) -> tuple[str, float]:
    """``--class-threshold NAME=T``: a class's own score threshold in [0, 1]."""
    name, sep, value = text.rpartition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"{text!r} is not CLASS=THRESHOLD")
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"threshold {value!r} is not a number") from None
    if not 0.0 <= number <= 1.0:
        raise argparse.ArgumentTypeError(f"threshold {value} is not in [0, 1]")
    return name, number


def _score_columns(path: Any) -> list[str]:
    """The classes of a predictions CSV's ``p_<class>`` columns, in the file's order."""
    from shoal.formats.classification_csv import PROBABILITY_PREFIX

    with open(path, encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle), [])
    return [n.strip()[len(PROBABILITY_PREFIX) :] for n in header if n.strip() != "frame_id"]


def run_multilabel(args: argparse.Namespace) -> int:
    from shoal.formats.multilabel_csv import from_multilabel_csv, from_multilabel_predictions_csv
    from shoal.store._multilabel import metrics_of, multilabel_inputs

    started = time.perf_counter()
    with ProgressBar(f"loading {args.ground_truth.name} and {args.predictions.name}"):
        dataset = from_multilabel_csv(args.ground_truth)
        inferences = from_multilabel_predictions_csv(args.predictions, dataset)
    predictions = inferences.predictions
    # Column order: the score columns' classes first (the file's order), then classes only
    # the labels name.
    classes = _score_columns(args.predictions)
    classes += [c for c in dataset.class_names if c not in classes]
    per_class = dict(getattr(args, "class_threshold", None) or [])
    unknown = [name for name in per_class if name not in classes]
    if unknown:
        raise InputError(
            f"--class-threshold names unknown class {unknown[0]!r} (classes: {classes})"
        )
    evaluation = multilabel_inputs(classes, dataset.frames, dataset.labels, predictions)
    given = getattr(args, "threshold", None)
    threshold = given if given is not None else DEFAULT_THRESHOLD
    metrics = metrics_of(evaluation, per_class, threshold)
    result = metrics.to_dict()
    del result["version"]
    result = {
        "settings": {"task": "multilabel", "threshold": threshold, "class_thresholds": per_class},
        "counts": {
            "frames": evaluation.num_frames,
            "labels": dataset.labels.num_rows,
            "scores": predictions.num_rows,
            "classes": len(classes),
        },
        **result,
    }
    print(render(result, time.perf_counter() - started))
    if args.json is not None:
        args.json.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
        print(f"wrote {args.json}", file=sys.stderr)
    return 0


def _ratio(value: float) -> str:
    return f"{value:.3f}"


def render(result: dict[str, Any], seconds: float) -> str:
    counts = result["counts"]
    lines = [
        f"{counts['frames']:,} frames, {counts['labels']:,} true labels, {counts['scores']:,} "
        f"class scores, {counts['classes']} classes (evaluated in {seconds:.2f} s)",
        "",
        "Per-class report (a class is predicted when its score >= its threshold)",
    ]
    header = ["class", "threshold", *_RATIOS, "support", "tp", "fp", "fn", "tn", "ap"]
    rows: list[list[object]] = [
        [
            row["label"], f"{row['threshold']:g}", *(_ratio(row[k]) for k in _RATIOS),
            row["support"], row["tp"], row["fp"], row["fn"], row["tn"],
            _ratio(row["average_precision"]),
        ]
        for row in result["classes"]
    ]  # fmt: skip
    rows.append([None] * len(header))
    for name, average in result["averages"].items():
        rows.append([name, None, *(_ratio(average[k]) for k in _RATIOS), average["support"]])
    padded = [row + [None] * (len(header) - len(row)) for row in rows]
    lines.append(format_table(header, padded, right=header[1:]))
    lines += [
        "",
        f"subset accuracy {result['subset_accuracy']:.4f}   Hamming loss "
        f"{result['hamming_loss']:.4f}   mean AP {result['mean_average_precision']:.4f}",
    ]
    return "\n".join(lines)
