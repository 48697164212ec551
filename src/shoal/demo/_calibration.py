"""Calibrating a detector's confidence: the chance that a detection is a true positive.

Detections on the train split are matched to the ground truth (same class, IoU >= 0.5,
greedily by the detector's own score, as COCO matches); a logistic regression on the
detection features then predicts that outcome for every detection.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.pipeline import make_pipeline  # type: ignore[import-untyped]
from sklearn.preprocessing import StandardScaler  # type: ignore[import-untyped]

from shoal.demo._detectors import Detection
from shoal.demo._scenes import SceneObject

MATCH_IOU = 0.5


def _iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    width = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    height = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    overlap = max(width, 0.0) * max(height, 0.0)
    union = a[2] * a[3] + b[2] * b[3] - overlap
    return overlap / union if union > 0 else 0.0


def true_positives(
    detections: Sequence[Detection], objects: Sequence[SceneObject]
) -> NDArray[np.bool_]:
    """Which detections of one scene match an object of their class (each object once)."""
    matched = np.zeros(len(detections), bool)
    taken: set[int] = set()
    for index in sorted(range(len(detections)), key=lambda i: -detections[i].score):
        detection = detections[index]
        best, best_iou = -1, MATCH_IOU
        for object_index, scene_object in enumerate(objects):
            if object_index in taken or scene_object.class_name != detection.class_name:
                continue
            overlap = _iou(detection.box, scene_object.box)
            if overlap >= best_iou:
                best, best_iou = object_index, overlap
        if best >= 0:
            taken.add(best)
            matched[index] = True
    return matched


def calibrated_confidences(
    train_features: NDArray[np.float64],
    train_outcomes: NDArray[np.bool_],
    features: NDArray[np.float64],
) -> NDArray[np.float64]:
    """P(true positive | features) for each row of ``features``, learned on the train
    rows; with one outcome only in training, that outcome's observed rate."""
    if len(features) == 0:
        return np.zeros(0)
    if np.unique(train_outcomes).size < 2:
        rate = float(train_outcomes.mean()) if train_outcomes.size else 0.5
        return np.full(len(features), rate)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(train_features, train_outcomes)
    return np.asarray(model.predict_proba(features)[:, 1], np.float64)
