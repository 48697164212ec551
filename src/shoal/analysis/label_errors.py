"""Label-error queue: candidates that the label, not the model, is wrong, highest score first.

Detection (:func:`detection_label_errors`) reads a run at one operating point: predictions
with confidence >= ``min_score`` are "confident", and TIDE's matching and assignment
(:mod:`shoal.engine.detection.tide_assignment`, foreground IoU ``fg_iou``, background IoU
``bg_iou``, no per-image limit) says which confident prediction matched which label and
why the others did not. Four kinds, each with one score in [0, 1] (docs/insights.md):

- ``missing``: a confident prediction overlapping no label of any class (IoU <= bg_iou,
  TIDE's Bkg): the object may lack a label. Score: its confidence times (1 - its largest
  IoU with any label).
- ``wrong_class``: a label no prediction of its class matched, overlapped at IoU >= fg_iou
  by a confident prediction of another class (TIDE's Cls, the highest-scoring one).
  Score: that confidence.
- ``loose_box``: a label no prediction matched, overlapped in [bg_iou, fg_iou) by a
  confident prediction of its class (TIDE's Loc, the highest-scoring one). Score: that
  confidence (the overlap band is the evidence; a deeper shift is not a likelier error).
- ``spurious``: a label nothing explains (TIDE's Miss among confident predictions) while
  the model is strong elsewhere: score = its class's recall on the other labels of the
  class, times the recall on the other labels of its image (1 when it is alone), times
  (1 - the highest confidence of any prediction of its class at IoU >= fg_iou, below
  the operating point: a weak detection says the object is real).

Classification (:func:`classification_label_errors`) follows confident learning
(Northcutt et al., 2021): a frame is a candidate when the predicted class differs from
the label and its probability reaches that class's threshold (the mean probability the
model gives the class on frames labelled with it). Score: 1 minus cleanlab's label
quality, ``self_confidence`` (the probability of the given label) or
``normalized_margin`` ((p_label - max other p + 1) / 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shoal.engine.detection.annotations import GroundTruth, Predictions
from shoal.engine.detection.kernels import pair_ious
from shoal.engine.detection.tide_assignment import ERROR_CODES, assign
from shoal.errors import InputError

__all__ = [
    "DEFAULT_MIN_SCORE",
    "KINDS",
    "LabelErrors",
    "classification_label_errors",
    "detection_label_errors",
]

DEFAULT_MIN_SCORE = 0.5
KINDS: tuple[str, ...] = ("missing", "spurious", "wrong_class", "loose_box")
_NO_ROW = -1
_UNLIMITED = 2**62


@dataclass(frozen=True, slots=True, eq=False)
class LabelErrors:
    """Candidates (a score above 0), highest score first (ties: frame, then row). Per
    candidate: ``kind`` (an index into :data:`KINDS`; classification candidates are
    ``wrong_class``), ``score`` in (0, 1], ``frame`` (a frame position), ``annotation``
    (the suspect ground-truth row; for ``missing`` the label it overlaps most, or -1) and
    ``prediction`` (the suspect prediction for ``missing``, else the partner prediction;
    -1 when there is none)."""

    kind: NDArray[np.int8]
    score: NDArray[np.float64]
    frame: NDArray[np.int64]
    annotation: NDArray[np.int64]
    prediction: NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.score.size)

    def kinds(self) -> list[str]:
        return [KINDS[int(k)] for k in self.kind]

    def counts(self) -> dict[str, int]:
        found = np.bincount(self.kind.astype(np.int64), minlength=len(KINDS))
        return {name: int(found[i]) for i, name in enumerate(KINDS)}

    def image_scores(self, num_frames: int) -> NDArray[np.float64]:
        """Per frame, its highest candidate score (0 without candidates): the image ranking."""
        out = np.zeros(num_frames)
        np.maximum.at(out, self.frame, self.score)
        return out

    def to_records(self, gt: GroundTruth, *, limit: int | None = None) -> list[dict[str, Any]]:
        """JSON-ready entries: ``image_id``, ``kind``, ``score``, then ``annotation_id`` (a
        label is suspect) or ``prediction`` (the prediction's record index, for
        ``missing``), and ``partner`` (the other side: a prediction's record index, or an
        overlapping label's annotation id; None when there is none)."""
        count = len(self) if limit is None else min(limit, len(self))
        frame_ids = gt.frame_ids.tolist()
        records: list[dict[str, Any]] = []
        for i in range(count):
            kind = KINDS[int(self.kind[i])]
            annotation, prediction = int(self.annotation[i]), int(self.prediction[i])
            entry: dict[str, Any] = {
                "image_id": frame_ids[int(self.frame[i])],
                "kind": kind,
                "score": float(self.score[i]),
            }
            if kind == "missing":
                entry["prediction"] = prediction
                entry["partner"] = int(gt.ids[annotation]) if annotation >= 0 else None
            else:
                entry["annotation_id"] = int(gt.ids[annotation])
                entry["partner"] = prediction if prediction >= 0 else None
            records.append(entry)
        return records


def _ranked(
    kind: NDArray[np.int8],
    score: NDArray[np.float64],
    frame: NDArray[np.int64],
    annotation: NDArray[np.int64],
    prediction: NDArray[np.int64],
) -> LabelErrors:
    score = np.clip(score, 0.0, 1.0)
    # A zero score is no evidence at all (a class's only label, a zero confidence): not a candidate.
    order = np.flatnonzero(score > 0)
    order = order[np.lexsort((prediction[order], annotation[order], frame[order], -score[order]))]
    return LabelErrors(
        kind[order], score[order], frame[order], annotation[order], prediction[order]
    )


def _same_frame_pairs(
    gt_frame: NDArray[np.int32], dt_frame: NDArray[np.int32], num_frames: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Every (ground-truth row, prediction row) pair on one frame."""
    gt_order = np.argsort(gt_frame, kind="stable")
    dt_order = np.argsort(dt_frame, kind="stable")
    gt_count = np.bincount(gt_frame, minlength=num_frames)
    dt_count = np.bincount(dt_frame, minlength=num_frames)
    gt_start = np.cumsum(gt_count) - gt_count
    dt_start = np.cumsum(dt_count) - dt_count
    per_frame = gt_count * dt_count
    frame = np.repeat(np.arange(num_frames), per_frame)
    k = np.arange(int(per_frame.sum())) - np.repeat(np.cumsum(per_frame) - per_frame, per_frame)
    columns = dt_count[frame]
    gt_rows = gt_order[gt_start[frame] + k // np.maximum(columns, 1)]
    dt_rows = dt_order[dt_start[frame] + k % np.maximum(columns, 1)]
    return gt_rows.astype(np.int64), dt_rows.astype(np.int64)


def detection_label_errors(
    gt: GroundTruth,
    dt: Predictions,
    *,
    min_score: float = DEFAULT_MIN_SCORE,
    fg_iou: float = 0.5,
    bg_iou: float = 0.1,
    frames: NDArray[np.bool_] | None = None,
) -> LabelErrors:
    """The label-error candidates of a detection run (definitions in the module docstring)
    on the frames ``frames`` selects (a mask over ``gt.frame_ids``; all by default).
    Crowds and ignored labels are never candidates."""
    if not 0.0 <= bg_iou <= fg_iou <= 1.0:
        raise InputError(f"label errors need 0 <= bg_iou <= fg_iou <= 1 (got {bg_iou}, {fg_iou})")
    if not 0.0 <= min_score <= 1.0:
        raise InputError(f"min_score must be in [0, 1] (got {min_score})")
    num_classes = len(gt.classes)
    selected = np.ones(gt.num_frames, bool) if frames is None else np.asarray(frames, bool)
    confident_rows = np.flatnonzero((dt.score >= min_score) & selected[dt.frame])
    confident = Predictions(
        frame=dt.frame[confident_rows],
        label=dt.label[confident_rows],
        box=dt.box[confident_rows],
        score=dt.score[confident_rows],
        ids=dt.ids[confident_rows],
    )
    tide = assign(gt, confident, fg_iou=fg_iou, bg_iou=bg_iou, max_dets=_UNLIMITED, frames=frames)
    error = tide.prediction_error
    regular = tide.ground_truth_in_frames & ~(gt.iscrowd | gt.ignore)
    matched = tide.ground_truth_matched

    # Every (label, prediction) pair on one frame, with its IoU: the overlaps below.
    pair_gt, pair_dt = _same_frame_pairs(gt.frame, dt.frame, gt.num_frames)
    no_crowd = np.zeros(pair_gt.size, bool)
    pair_iou = pair_ious(dt.box[pair_dt], gt.box[pair_gt], no_crowd, False)
    overlapping = (pair_iou > 0) & regular[pair_gt]

    parts: list[tuple[NDArray[Any], ...]] = []

    # missing: TIDE's background errors among confident predictions.
    background = np.flatnonzero(error == ERROR_CODES["Bkg"])
    rows = confident_rows[background]
    largest_iou = np.zeros(len(dt))
    nearest = np.full(len(dt), _NO_ROW, np.int64)
    order = np.lexsort((pair_iou, pair_dt))  # per prediction, its largest IoU last
    kept = overlapping[order]
    last = order[kept]
    largest_iou[pair_dt[last]] = pair_iou[last]
    nearest[pair_dt[last]] = pair_gt[last]
    parts.append(
        (
            np.full(rows.size, KINDS.index("missing"), np.int8),
            dt.score[rows] * (1.0 - largest_iou[rows]),
            dt.frame[rows].astype(np.int64),
            nearest[rows],
            rows.astype(np.int64),
        )
    )

    # wrong_class and loose_box: an unmatched label a confident prediction targets.
    fixer = tide.ground_truth_fixer
    for kind, code in (("wrong_class", "Cls"), ("loose_box", "Loc")):
        labels = np.flatnonzero(regular & ~matched & (fixer >= 0))
        labels = labels[error[fixer[labels]] == ERROR_CODES[code]]
        partner_local = fixer[labels]
        partners = confident_rows[partner_local]
        confidence = dt.score[partners]
        score = confidence
        parts.append(
            (
                np.full(labels.size, KINDS.index(kind), np.int8),
                score,
                gt.frame[labels].astype(np.int64),
                labels.astype(np.int64),
                partners.astype(np.int64),
            )
        )

    # spurious: TIDE's misses, weighted by the model's recall elsewhere.
    missed = np.flatnonzero(tide.ground_truth_missed & regular)
    class_total = np.bincount(gt.label[regular], minlength=num_classes)
    class_found = np.bincount(gt.label[regular & matched], minlength=num_classes)
    frame_total = np.bincount(gt.frame[regular], minlength=gt.num_frames)
    frame_found = np.bincount(gt.frame[regular & matched], minlength=gt.num_frames)
    others = class_total[gt.label[missed]] - 1
    class_recall = np.where(others > 0, class_found[gt.label[missed]] / np.maximum(others, 1), 0.0)
    frame_others = frame_total[gt.frame[missed]] - 1
    frame_recall = np.where(
        frame_others > 0, frame_found[gt.frame[missed]] / np.maximum(frame_others, 1), 1.0
    )
    weak = (pair_iou >= fg_iou) & (dt.label[pair_dt] == gt.label[pair_gt])
    weak_confidence = np.zeros(len(gt))
    np.maximum.at(weak_confidence, pair_gt[weak], dt.score[pair_dt[weak]])
    parts.append(
        (
            np.full(missed.size, KINDS.index("spurious"), np.int8),
            class_recall * frame_recall * (1.0 - weak_confidence[missed]),
            gt.frame[missed].astype(np.int64),
            missed.astype(np.int64),
            np.full(missed.size, _NO_ROW, np.int64),
        )
    )
    return _ranked(*(np.concatenate(column) for column in zip(*parts, strict=True)))


def classification_label_errors(
    labels: ArrayLike,
    pred_probs: ArrayLike,
    *,
    method: Literal["self_confidence", "normalized_margin"] = "self_confidence",
) -> LabelErrors:
    """Confident-learning candidates of a classifier: ``labels`` (N,) class indices and
    ``pred_probs`` (N, C) predicted probabilities (rows sum to 1). ``frame`` is the row;
    ``annotation`` is the row too, ``prediction`` the predicted class index."""
    given = np.asarray(labels)
    probs = np.asarray(pred_probs, np.float64)
    if probs.ndim != 2 or given.shape != (probs.shape[0],):
        raise InputError(
            f"pred_probs must be (N, C) with one label per row (got {probs.shape} and "
            f"{given.shape})"
        )
    if given.size and (
        given.dtype.kind not in "iu" or given.min() < 0 or given.max() >= probs.shape[1]
    ):
        raise InputError(f"labels must be class indices in [0, {probs.shape[1]})")
    if not np.isfinite(probs).all() or (probs < 0).any() or (probs > 1).any():
        valid = np.isfinite(probs) & (probs >= 0) & (probs <= 1)
        bad = int(np.flatnonzero(~valid.all(axis=1))[0])
        raise InputError("pred_probs must be probabilities in [0, 1]", record=bad)
    given = given.astype(np.int64)
    rows = np.arange(given.size)
    own = probs[rows, given]
    if method == "self_confidence":
        quality = own
    elif method == "normalized_margin":
        others = probs.copy()
        others[rows, given] = -np.inf
        quality = (own - others.max(axis=1, initial=-np.inf) + 1.0) / 2.0
    else:
        raise InputError(f"unknown method {method!r}; use self_confidence or normalized_margin")
    num_classes = probs.shape[1]
    per_class_total = np.bincount(given, weights=own, minlength=num_classes)
    per_class_count = np.bincount(given, minlength=num_classes)
    threshold = np.where(
        per_class_count > 0, per_class_total / np.maximum(per_class_count, 1), np.inf
    )
    predicted = probs.argmax(axis=1)
    candidates = np.flatnonzero(
        (predicted != given) & (probs[rows, predicted] >= threshold[predicted])
    )
    return _ranked(
        np.full(candidates.size, KINDS.index("wrong_class"), np.int8),
        1.0 - quality[candidates],
        candidates.astype(np.int64),
        candidates.astype(np.int64),
        predicted[candidates].astype(np.int64),
    )
