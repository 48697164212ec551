"""Stored tables to the engine's inputs: the one place the store turns Parquet rows into
ground truth, predictions and classification columns (``shoal.tables`` defines the
tables; this module feeds them to the engine)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from shoal.engine.classification import ClassificationEvaluation, evaluate_classifications
from shoal.engine.detection.annotations import Classes, GroundTruth, Predictions
from shoal.errors import InputError
from shoal.tables import DatasetTables, InferenceTables, to_ground_truth, to_predictions

__all__ = ["INPUT_COLUMNS", "classification_evaluation", "detection_inputs"]

# The stored columns each task's evaluation reads, per table: reading only these from
# Parquet is several times quicker than reading whole tables.
INPUT_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "detection": {
        "frames": ("frame_id",),
        "labels": (
            "frame_id",
            "class_name",
            "x",
            "y",
            "width",
            "height",
            "area",
            "iscrowd",
            "ignore",
        ),
        "predictions": ("frame_id", "class_name", "x", "y", "width", "height", "confidence"),
    },
    "classification": {
        "frames": ("frame_id",),
        "labels": ("frame_id", "class_name"),
        "predictions": ("frame_id", "class_name", "confidence", "probabilities"),
    },
}


def detection_inputs(
    classes: Classes,
    ignored_classes: Sequence[str],
    frames: pa.Table,
    labels: pa.Table,
    predictions: pa.Table,
) -> tuple[GroundTruth, Predictions]:
    """The engine's ground truth and predictions for a stored dataset and inference set
    (``ignored_classes``' labels count as ignored ground truth)."""
    tables = DatasetTables(frames, labels, pa.table({}))
    ground_truth = to_ground_truth(tables, classes, ignored_classes=ignored_classes)
    return ground_truth, to_predictions(InferenceTables(predictions, pa.table({})), ground_truth)


def classification_evaluation(
    class_names: Sequence[str], frames: pa.Table, labels: pa.Table, predictions: pa.Table
) -> ClassificationEvaluation:
    """The engine's evaluation of a stored classification inference set: one label and
    one prediction per labelled frame, in the dataset's frame order."""
    names = list(class_names)
    truth = dict(
        zip(
            labels.column("frame_id").to_pylist(),
            labels.column("class_name").to_pylist(),
            strict=True,
        )
    )
    frame_ids = [f for f in frames.column("frame_id").to_pylist() if f in truth]
    by_frame = {f: i for i, f in enumerate(predictions.column("frame_id").to_pylist())}
    missing = [f for f in frame_ids if f not in by_frame]
    if missing:
        raise InputError(f"the inference set has no prediction for frame {missing[0]!r}")
    rows = np.asarray([by_frame[f] for f in frame_ids], dtype=np.int64)
    predicted = np.asarray(predictions.column("class_name").to_pylist(), dtype=object)[rows]
    confidence = np.asarray(predictions.column("confidence").to_numpy(zero_copy_only=False))[rows]
    probabilities = predictions.column("probabilities").to_pylist()
    scores = None
    if all(p is not None for p in probabilities) and probabilities:
        scores = np.asarray(probabilities, dtype=np.float64)[rows]
        if scores.shape[1] != len(names):
            raise InputError(
                f"probabilities have {scores.shape[1]} entries for {len(names)} classes"
            )
    return evaluate_classifications(
        [truth[f] for f in frame_ids],
        predicted.tolist(),
        scores=scores,
        confidences=confidence,
        labels=names,
        frame_ids=frame_ids,
    )
