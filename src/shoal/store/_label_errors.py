"""The label-error queue of stored inference sets: computed by shoal.analysis.label_errors on
the store's cached evaluation, cached per version like TIDE, with persisted reviews (the
``label_error_reviews`` catalog table) and an export of confirmed errors.

A candidate's id names its kind and the object under suspicion, so a review outlives a new
queue: ``<kind>:<annotation id>`` when a label is suspect, ``missing:<prediction id>``
when a prediction lacks a label.
"""

from __future__ import annotations

import csv
import hashlib
import io
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from shoal.analysis.label_errors import (
    DEFAULT_MIN_SCORE,
    KINDS,
    LabelErrors,
    classification_label_errors,
    detection_label_errors,
)
from shoal.engine._frame_index import FrameIndex
from shoal.engine.classification.evaluator import ClassificationEvaluation
from shoal.engine.detection.annotations import GroundTruth, Predictions
from shoal.engine.detection.evaluator import DetectionEvaluation
from shoal.errors import InputError, NotFoundError

if TYPE_CHECKING:
    from shoal.store._entities import InferenceSet
    from shoal.store._store import Store

__all__ = [
    "REVIEW_STATUSES",
    "ClassificationLabelErrorQueue",
    "LabelErrorQueue",
    "export_label_errors",
    "label_error_reviews",
    "review_label_error",
    "stored_label_errors",
]

REVIEW_STATUSES = ("open", "confirmed", "dismissed")
ReviewStatus = Literal["open", "confirmed", "dismissed"]
ClassificationMethod = Literal["self_confidence", "normalized_margin"]
_CACHE_SIZE = 64


@dataclass(frozen=True, slots=True, eq=False)
class LabelErrorQueue:
    """A stored inference set's candidates, highest score first, with what the export
    needs: the ground truth and predictions they point into."""

    errors: LabelErrors
    ground_truth: GroundTruth
    predictions: Predictions
    # The stored ids (``label_id``, ``prediction_id``) of the engine's rows: engine ids
    # are 1-based row numbers, which the user's data does not know.
    label_ids: np.ndarray
    prediction_ids: np.ndarray

    def candidate_id(self, index: int) -> str:
        kind = KINDS[int(self.errors.kind[index])]
        if kind == "missing":
            return f"missing:{int(self.predictions.ids[self.errors.prediction[index]])}"
        return f"{kind}:{int(self.ground_truth.ids[self.errors.annotation[index]])}"

    @property
    def class_names(self) -> list[str]:
        return [str(n) for n in self.ground_truth.classes.names]

    def subject_classes(self) -> np.ndarray:
        """Each candidate's class index (into the ground truth's classes): its suspect
        label's, or for ``missing`` its suspect prediction's."""
        errors = self.errors
        missing = errors.kind == KINDS.index("missing")
        out = np.empty(len(errors.kind), dtype=np.int64)
        out[missing] = self.predictions.label[errors.prediction[missing]]
        out[~missing] = self.ground_truth.label[errors.annotation[~missing]]
        return out

    def entry(self, index: int) -> dict[str, Any]:
        """One candidate as the API lists it: ``id``, ``image_id``, ``kind``, ``score``,
        ``annotation_id`` (the suspect label, or for ``missing`` an overlapping one),
        ``prediction_id`` (the suspect prediction for ``missing``, else the partner),
        ``label`` (the suspect object's class) and ``partner_label`` (the other one's
        class, None without a partner)."""
        errors, gt, dt = self.errors, self.ground_truth, self.predictions
        annotation, prediction = int(errors.annotation[index]), int(errors.prediction[index])
        kind = KINDS[int(errors.kind[index])]
        names = gt.classes.names
        label_class = str(names[gt.label[annotation]]) if annotation >= 0 else None
        prediction_class = str(names[dt.label[prediction]]) if prediction >= 0 else None
        subject, partner = (
            (prediction_class, label_class)
            if kind == "missing"
            else (label_class, prediction_class)
        )
        return {
            "id": self.candidate_id(index),
            "image_id": str(gt.frame_ids[int(errors.frame[index])]),
            "kind": kind,
            "score": float(errors.score[index]),
            "annotation_id": int(gt.ids[annotation]) if annotation >= 0 else None,
            "prediction_id": int(dt.ids[prediction]) if prediction >= 0 else None,
            "label": subject,
            "partner_label": partner,
            "source_label_id": str(self.label_ids[annotation]) if annotation >= 0 else None,
            "source_prediction_id": (
                str(self.prediction_ids[prediction]) if prediction >= 0 else None
            ),
        }


@dataclass(frozen=True, slots=True, eq=False)
class ClassificationLabelErrorQueue:
    """A stored classification inference set's candidates (confident learning on the
    predictions' class probabilities), highest score first. ``errors.frame`` and
    ``errors.annotation`` are rows of the evaluation (one label and one prediction per
    labelled frame), ``errors.prediction`` the suggested class. A candidate's id is
    ``wrong_class:<row + 1>``."""

    errors: LabelErrors
    frame_ids: np.ndarray
    truth: np.ndarray
    names: tuple[str, ...]
    # The stored label_id and prediction_id of each row's frame.
    label_ids: np.ndarray
    prediction_ids: np.ndarray

    @property
    def class_names(self) -> list[str]:
        return list(self.names)

    def candidate_id(self, index: int) -> str:
        return f"wrong_class:{int(self.errors.annotation[index]) + 1}"

    def subject_classes(self) -> np.ndarray:
        """Each candidate's given class index."""
        return np.asarray(self.truth, dtype=np.int64)[self.errors.annotation]

    def entry(self, index: int) -> dict[str, Any]:
        """One candidate as the API lists it (as a detection entry): the frame's label is
        suspect (``label``: its given class) and ``partner_label`` is the class the
        probabilities suggest; ``annotation_id`` and ``prediction_id`` are both the row."""
        row, suggested = int(self.errors.annotation[index]), int(self.errors.prediction[index])
        return {
            "id": self.candidate_id(index),
            "image_id": str(self.frame_ids[row]),
            "kind": "wrong_class",
            "score": float(self.errors.score[index]),
            "annotation_id": row + 1,
            "prediction_id": row + 1,
            "label": self.names[int(self.truth[row])],
            "partner_label": self.names[suggested],
            "source_label_id": str(self.label_ids[row]),
            "source_prediction_id": str(self.prediction_ids[row]),
        }


AnyLabelErrorQueue = LabelErrorQueue | ClassificationLabelErrorQueue

_CACHES: weakref.WeakKeyDictionary[Store, OrderedDict[tuple[object, ...], AnyLabelErrorQueue]] = (
    weakref.WeakKeyDictionary()
)
_LOCK = threading.Lock()


def _cached(store: Store, key: tuple[object, ...]) -> AnyLabelErrorQueue | None:
    with _LOCK:
        entries = _CACHES.setdefault(store, OrderedDict())
        found = entries.get(key)
        if found is not None:
            entries.move_to_end(key)
        return found


def _remember(store: Store, key: tuple[object, ...], queue: AnyLabelErrorQueue) -> None:
    with _LOCK:
        entries = _CACHES.setdefault(store, OrderedDict())
        entries[key] = queue
        while len(entries) > _CACHE_SIZE:
            entries.popitem(last=False)


def stored_label_errors(
    inference_set: InferenceSet,
    *,
    frames: list[str] | None = None,
    min_score: float = DEFAULT_MIN_SCORE,
    fg_iou: float = 0.5,
    bg_iou: float = 0.1,
    method: ClassificationMethod = "self_confidence",
) -> AnyLabelErrorQueue:
    """The queue of an inference set on ``frames`` (ids; None: every frame), from the
    cache when this version was asked before with these settings. Detection reads
    ``min_score``, ``fg_iou`` and ``bg_iou``; classification ``method`` (and needs the
    predictions' class probabilities)."""
    with inference_set.store.evaluations.hold(inference_set) as entry:
        evaluation = entry.evaluation
        frames_key = (
            "*" if frames is None else hashlib.sha1("\n".join(sorted(frames)).encode()).hexdigest()
        )
        settings: tuple[object, ...] = (
            ("classification", method)
            if isinstance(evaluation, ClassificationEvaluation)
            else (float(min_score), float(fg_iou), float(bg_iou))
        )
        key = (
            inference_set.id,
            entry.version,
            entry.dataset_version,
            entry.objects,
            frames_key,
            *settings,
        )
        found = _cached(inference_set.store, key)
        if found is not None:
            return found
        queue: AnyLabelErrorQueue
        if isinstance(evaluation, ClassificationEvaluation):
            queue = _classification_queue(
                inference_set.store, entry.objects, evaluation, frames, method
            )
        else:
            gt, dt = evaluation.ground_truth, evaluation.predictions
            mask = None if frames is None else FrameIndex(gt.frame_ids).mask(frames)
            errors = detection_label_errors(
                gt, dt, min_score=min_score, fg_iou=fg_iou, bg_iou=bg_iou, frames=mask
            )
            label_ids, prediction_ids = _stored_ids(inference_set.store, entry.objects)
            queue = LabelErrorQueue(errors, gt, dt, label_ids, prediction_ids)
    _remember(inference_set.store, key, queue)
    return queue


def _classification_queue(
    store: Store,
    objects: tuple[str, str],
    evaluation: ClassificationEvaluation,
    frames: list[str] | None,
    method: ClassificationMethod,
) -> ClassificationLabelErrorQueue:
    """Confident learning on the stored probabilities of the frames asked (each class's
    threshold is the mean probability of that class on those of its frames)."""
    data = evaluation.data
    if data.scores is None:
        raise InputError(
            "the label-error queue of a classification inference set needs the predictions' "
            "class probabilities (the probabilities column), and this set has none"
        )
    frame_ids = np.asarray(data.frame_ids)
    rows = (
        np.arange(len(data))
        if frames is None
        else np.flatnonzero(FrameIndex(frame_ids).mask(frames))
    )
    found = classification_label_errors(data.truth[rows], data.scores[rows], method=method)
    errors = LabelErrors(
        found.kind,
        found.score,
        rows[found.frame].astype(np.int64),
        rows[found.annotation].astype(np.int64),
        found.prediction,
    )
    set_object, dataset_object = objects
    labels = store.read_table(dataset_object, "labels.parquet", ["frame_id", "label_id"])
    predictions = store.read_table(set_object, "predictions.parquet", ["frame_id", "prediction_id"])
    label_of = dict(
        zip(
            labels.column("frame_id").to_pylist(),
            labels.column("label_id").to_pylist(),
            strict=True,
        )
    )
    prediction_of = dict(
        zip(
            predictions.column("frame_id").to_pylist(),
            predictions.column("prediction_id").to_pylist(),
            strict=True,
        )
    )
    ids = frame_ids.tolist()
    return ClassificationLabelErrorQueue(
        errors,
        frame_ids,
        np.asarray(data.truth, dtype=np.int64),
        tuple(str(n) for n in data.classes.names),
        np.asarray([label_of[f] for f in ids], dtype=object),
        np.asarray([prediction_of[f] for f in ids], dtype=object),
    )


def _stored_ids(store: Store, objects: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """The ``label_id`` and ``prediction_id`` columns of the version evaluated (the
    inference set's object, then the dataset's), in engine row order."""
    set_object, dataset_object = objects
    labels = store.read_table(dataset_object, "labels.parquet", ["label_id"])
    predictions = store.read_table(set_object, "predictions.parquet", ["prediction_id"])
    return (
        np.asarray(labels.column("label_id").to_pylist(), dtype=object),
        np.asarray(predictions.column("prediction_id").to_pylist(), dtype=object),
    )


def _coco_id(stored: str) -> int | str:
    """A stored id as a COCO patch names it: an integer when it is one (COCO's
    annotation ids; a results file's prediction positions), else the string."""
    return int(stored) if stored.lstrip("-").isdigit() else stored


def label_error_reviews(inference_set: InferenceSet) -> dict[str, dict[str, Any]]:
    """Every review of the inference set, by candidate id: ``status``, ``issue``, ``note``
    and ``updated_at``."""
    rows = inference_set.store._rows(
        "SELECT candidate, status, issue, note, updated_at FROM label_error_reviews "
        "WHERE inference_set_id = ?",
        (inference_set.id,),
    )
    return {
        row["candidate"]: {
            "status": row["status"],
            "issue": row["issue"],
            "note": row["note"],
            "updated_at": row["updated_at"],
        }
        for row in rows
    }


def _parse_candidate(candidate: str) -> tuple[str, int]:
    kind, _, number = candidate.partition(":")
    if kind not in KINDS or not number.lstrip("-").isdigit():
        raise InputError(
            f"label-error id {candidate!r} is not <kind>:<id> with kind one of {', '.join(KINDS)}"
        )
    return kind, int(number)


def review_label_error(
    inference_set: InferenceSet,
    candidate: str,
    *,
    status: ReviewStatus,
    issue: str | None = None,
    note: str = "",
) -> dict[str, Any]:
    """Record a review of one candidate: ``confirmed`` (the label is wrong), ``dismissed``
    (it is right) or ``open`` (forget the review). ``issue`` (an issue of the project)
    also collects the suspect label or prediction in that issue."""
    if status not in REVIEW_STATUSES:
        raise InputError(
            f"review status must be one of {', '.join(REVIEW_STATUSES)}, got {status!r}"
        )
    kind, object_id = _parse_candidate(candidate)
    with inference_set.store.evaluations.hold(inference_set) as entry:
        evaluation = entry.evaluation
        if isinstance(evaluation, ClassificationEvaluation):
            frame_id, element_id = _classification_object(
                inference_set.store, entry.objects, evaluation, candidate
            )
        elif isinstance(evaluation, DetectionEvaluation):
            gt, dt = evaluation.ground_truth, evaluation.predictions
            ids, frames = (dt.ids, dt.frame) if kind == "missing" else (gt.ids, gt.frame)
            rows = np.flatnonzero(ids == object_id)
            if rows.size == 0:
                what = "prediction" if kind == "missing" else "annotation"
                raise NotFoundError(f"label error {candidate!r}: no {what} {object_id} in this set")
            frame_id = str(gt.frame_ids[int(frames[rows[0]])])
            label_ids, prediction_ids = _stored_ids(inference_set.store, entry.objects)
            element_id = str((prediction_ids if kind == "missing" else label_ids)[int(rows[0])])
        else:
            raise InputError("label-error reviews apply to detection and classification sets")
    store = inference_set.store
    from shoal.store._issues import IssueElement

    # The issue is resolved before writing, and its element is added in the same
    # transaction as the review: a failure leaves neither behind.
    collecting = None if issue is None else inference_set.dataset.project.issue(issue)
    with store._transaction() as db:
        if collecting is not None:
            collecting._add_elements_within(
                db,
                [
                    IssueElement(
                        inference_set.dataset.name,
                        frame_id,
                        "prediction" if kind == "missing" else "label",
                        element_id,
                        inference_set.name,
                    )
                ],
            )
        if status == "open":
            db.execute(
                "DELETE FROM label_error_reviews WHERE inference_set_id = ? AND candidate = ?",
                (inference_set.id, candidate),
            )
        else:
            db.execute(
                "INSERT INTO label_error_reviews (inference_set_id, candidate, status, issue, "
                "note) VALUES (?, ?, ?, ?, ?) ON CONFLICT (inference_set_id, candidate) DO "
                "UPDATE SET status = excluded.status, issue = COALESCE(excluded.issue, issue), "
                "note = excluded.note, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
                (inference_set.id, candidate, status, issue, note),
            )
    found = label_error_reviews(inference_set).get(candidate)
    return {"id": candidate, **(found or {"status": "open", "issue": None, "note": ""})}


def _classification_object(
    store: Store, objects: tuple[str, str], evaluation: ClassificationEvaluation, candidate: str
) -> tuple[str, str]:
    """The frame and stored label id of a classification candidate ``wrong_class:<row>``."""
    kind, row = _parse_candidate(candidate)
    frame_ids = np.asarray(evaluation.data.frame_ids)
    if kind != "wrong_class" or not 1 <= row <= frame_ids.size:
        raise NotFoundError(
            f"label error {candidate!r}: a classification candidate is wrong_class:<row> "
            f"with a row in 1..{frame_ids.size}"
        )
    frame_id = str(frame_ids[row - 1])
    labels = store.read_table(objects[1], "labels.parquet", ["frame_id", "label_id"])
    label_of = dict(
        zip(
            labels.column("frame_id").to_pylist(),
            labels.column("label_id").to_pylist(),
            strict=True,
        )
    )
    return frame_id, str(label_of[frame_id])


def _box(values: Any) -> list[float]:
    return [float(v) for v in values]


def export_label_errors(inference_set: InferenceSet, *, format: Literal["coco", "csv"]) -> str:
    """The confirmed label errors as a COCO patch (JSON) or CSV (docs/insights.md):
    ``missing`` adds the prediction as a label, ``spurious`` removes the label,
    ``wrong_class`` gives the label its partner prediction's class, ``loose_box`` its
    partner prediction's box: the partner at the default evidence confidence, else
    counting every score (a candidate confirmed whose partner is gone is skipped)."""

    if format not in ("coco", "csv"):
        raise InputError(f"export format must be coco or csv, got {format!r}")
    reviews = label_error_reviews(inference_set)
    confirmed = sorted(c for c, review in reviews.items() if review["status"] == "confirmed")
    queue = stored_label_errors(inference_set)
    if isinstance(queue, ClassificationLabelErrorQueue):
        return _export_classification(inference_set, queue, confirmed, format)
    gt, dt = queue.ground_truth, queue.predictions
    class_ids, class_names = gt.classes.ids, gt.classes.names
    # A candidate's partner as its reviewer most likely saw it: at the default evidence
    # confidence, else counting every score (counting more predictions can match the
    # label to a weak one, and so lose a candidate confirmed at the default).
    partner_of: dict[str, int] = {}
    for ranked in (queue, stored_label_errors(inference_set, min_score=0.0)):
        assert isinstance(ranked, LabelErrorQueue)
        for index in range(len(ranked.errors)):
            partner_of.setdefault(ranked.candidate_id(index), int(ranked.errors.prediction[index]))
    patch: dict[str, list[dict[str, Any]]] = {
        "add_annotations": [],
        "remove_annotations": [],
        "change_category": [],
        "change_bbox": [],
    }
    rows: list[dict[str, Any]] = []
    for candidate in confirmed:
        kind, object_id = _parse_candidate(candidate)
        if kind == "missing":
            found = np.flatnonzero(dt.ids == object_id)
            if not found.size:
                continue
            row = int(found[0])
            addition: dict[str, Any] = {
                "image_id": str(gt.frame_ids[int(dt.frame[row])]),
                "category_id": int(class_ids[int(dt.label[row])]),
                "category": str(class_names[int(dt.label[row])]),
                "bbox": _box(dt.box[row]),
                "from_prediction": _coco_id(str(queue.prediction_ids[row])),
            }
            patch["add_annotations"].append(addition)
            rows.append({"id": candidate, "kind": kind, **addition})
            continue
        found = np.flatnonzero(gt.ids == object_id)
        if not found.size:
            continue
        label_row = int(found[0])
        base: dict[str, Any] = {
            "annotation_id": _coco_id(str(queue.label_ids[label_row])),
            "image_id": str(gt.frame_ids[int(gt.frame[label_row])]),
        }
        if kind == "spurious":
            patch["remove_annotations"].append(base)
            rows.append({"id": candidate, "kind": kind, **base})
            continue
        partner = partner_of.get(candidate, -1)
        if partner < 0:
            continue
        if kind == "wrong_class":
            label = int(dt.label[partner])
            change: dict[str, Any] = {
                **base,
                "category_id": int(class_ids[label]),
                "category": str(class_names[label]),
            }
            patch["change_category"].append(change)
        else:
            change = {**base, "bbox": _box(dt.box[partner])}
            patch["change_bbox"].append(change)
        rows.append(
            {
                "id": candidate,
                "kind": kind,
                **change,
                "from_prediction": _coco_id(str(queue.prediction_ids[partner])),
            }
        )
    return _written(patch, rows, format)


def _export_classification(
    inference_set: InferenceSet,
    queue: ClassificationLabelErrorQueue,
    confirmed: list[str],
    format: Literal["coco", "csv"],
) -> str:
    """Each confirmed candidate still in the queue gives its label the suggested class."""
    suggested = {queue.candidate_id(i): i for i in range(len(queue.errors))}
    class_ids = {c.name: c.id for c in inference_set.dataset.project.classes()}
    patch: dict[str, list[dict[str, Any]]] = {
        "add_annotations": [],
        "remove_annotations": [],
        "change_category": [],
        "change_bbox": [],
    }
    rows: list[dict[str, Any]] = []
    for candidate in confirmed:
        index = suggested.get(candidate)
        if index is None:
            continue
        entry = queue.entry(index)
        change = {
            "annotation_id": _coco_id(entry["source_label_id"]),
            "image_id": entry["image_id"],
            "category_id": class_ids.get(entry["partner_label"]),
            "category": entry["partner_label"],
        }
        patch["change_category"].append(change)
        rows.append({"id": candidate, "kind": "wrong_class", **change})
    return _written(patch, rows, format)


def _written(
    patch: dict[str, list[dict[str, Any]]], rows: list[dict[str, Any]], format: str
) -> str:
    import orjson

    if format == "coco":
        return orjson.dumps(patch, option=orjson.OPT_INDENT_2).decode()
    out = io.StringIO()
    columns = [
        "id", "kind", "image_id", "annotation_id", "category_id", "category", "bbox",
        "from_prediction",
    ]  # fmt: skip
    writer = csv.DictWriter(out, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for record in rows:
        bbox = " ".join(f"{v:g}" for v in record["bbox"]) if "bbox" in record else ""
        writer.writerow({**record, "bbox": bbox})
    return out.getvalue()
