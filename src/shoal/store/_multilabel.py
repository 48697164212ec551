"""Multi-label projects in the store: a set of classes per frame.

Stored in the common tables (``shoal.tables``), without boxes:

* labels: one row per (frame, true class); a frame without rows has no class (an empty
  set is a valid answer, and such a frame is evaluated);
* predictions: one row per (frame, class) with ``confidence`` the class's score; a
  (frame, class) without a row scores 0.

The evaluation is the engine's ``MultiLabelEvaluation`` over every frame of the dataset
and the project's classes in class order, cached per version like the other tasks'
(``multilabel_cache``). A class's threshold is its "confidence": ``score >= threshold``
predicts it; one number for every class or a mapping class -> threshold (classes not
named use the project's ``default_conf``). A class marked ``ignore`` is left out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from shoal._types import Conf
from shoal.engine.multilabel import MultiLabelEvaluation, evaluate_multilabel
from shoal.errors import InputError, ShoalError
from shoal.store._evaluations import StoredVersions, TaskEvaluations

if TYPE_CHECKING:
    from shoal.analysis.regression import SegmentResult, SegmentSpec
    from shoal.analysis.summary import SegmentScores
    from shoal.store._entities import InferenceSet, Segment
    from shoal.store._store import Store

__all__ = [
    "MULTILABEL_CELLS",
    "MULTILABEL_COLUMNS",
    "MultiLabelExamples",
    "MultiLabelMetrics",
    "check_multilabel_rows",
    "metrics_of",
    "multilabel_cache",
    "multilabel_evaluation",
    "multilabel_examples",
    "multilabel_inputs",
    "multilabel_metrics",
    "multilabel_regression_results",
    "multilabel_segment_scores",
]

MULTILABEL_COLUMNS: dict[str, tuple[str, ...]] = {
    "frames": ("frame_id",),
    "labels": ("frame_id", "class_name"),
    "predictions": ("frame_id", "class_name", "confidence"),
}
MULTILABEL_CELLS = ("tp", "fp", "fn", "tn")
AVERAGES = ("micro avg", "macro avg", "weighted avg", "samples avg")
CACHE_SIZE = 16
SELECTIONS_KEPT = 8


def check_multilabel_rows(table: pa.Table, what: str) -> None:
    """Rows of a multi-label project: no box, and each (frame, class) at most once."""
    boxed = table.column("width").is_valid()
    if pc.any(boxed).as_py():
        first = int(np.flatnonzero(boxed.to_numpy(zero_copy_only=False))[0])
        raise InputError(
            f"{what} has a box, but this is a multi-label project (one row per frame and "
            "class, no box)",
            record=first,
        )
    pairs = pc.binary_join_element_wise(
        table.column("frame_id"), table.column("class_name"), "\x00"
    )
    if pc.count_distinct(pairs).as_py() == table.num_rows:
        return
    seen: dict[str, int] = {}
    for i, pair in enumerate(pairs.to_pylist()):
        if pair in seen:
            frame, name = pair.split("\x00", 1)
            raise InputError(
                f"frame {frame!r} has class {name!r} twice (first at record {seen[pair]}); a "
                f"multi-label project takes one {what} per frame and class",
                record=i,
            )
        seen[pair] = i


def multilabel_inputs(
    class_names: Sequence[str], frames: pa.Table, labels: pa.Table, predictions: pa.Table
) -> MultiLabelEvaluation:
    """The engine's evaluation of stored multi-label tables (module docstring)."""
    frame_ids = frames.column("frame_id").combine_chunks()
    names = pa.array(list(class_names), pa.string())
    shape = (len(frame_ids), len(names))
    truth = np.zeros(shape, dtype=bool)
    truth[_index(labels, "frame_id", frame_ids), _index(labels, "class_name", names)] = True
    scores = np.zeros(shape, dtype=np.float64)
    confidence = pc.fill_null(predictions.column("confidence"), 1.0).to_numpy()
    scores[_index(predictions, "frame_id", frame_ids), _index(predictions, "class_name", names)] = (
        confidence
    )
    return evaluate_multilabel(
        truth, scores, classes=list(class_names), frame_ids=frame_ids.to_numpy(zero_copy_only=False)
    )


def _index(table: pa.Table, column: str, known: pa.Array) -> NDArray[np.intp]:
    index = pc.index_in(table.column(column), value_set=known)
    if index.null_count:
        bad = int(np.flatnonzero(index.is_null().to_numpy(zero_copy_only=False))[0])
        raise ShoalError(f"stored row {bad} names unknown {column} {table[column][bad].as_py()!r}")
    return np.asarray(index.to_numpy(zero_copy_only=False), dtype=np.intp)


@dataclass
class _Entry:
    evaluation: MultiLabelEvaluation
    version: int
    lock: threading.RLock
    # Per frame selection (None: every frame), what ignores the thresholds: each class's
    # AP and best-F1 threshold. They cost most of a query (a sort per class), so a
    # threshold move reuses them.
    threshold_free: OrderedDict[tuple[str, ...] | None, _ThresholdFree] = field(
        default_factory=OrderedDict
    )

    def of_selection(self, frames: Sequence[Any] | None) -> _ThresholdFree:
        key = None if frames is None else tuple(str(f) for f in frames)
        found = self.threshold_free.get(key)
        if found is None:
            found = _ThresholdFree(
                self.evaluation.average_precision(frames=frames),
                self.evaluation.best_thresholds(frames=frames),
            )
            self.threshold_free[key] = found
            while len(self.threshold_free) > SELECTIONS_KEPT:
                self.threshold_free.popitem(last=False)
        return found


@dataclass(frozen=True)
class _ThresholdFree:
    average_precision: dict[str, float]
    best_thresholds: dict[str, dict[str, float]]


def _build_entry(snapshot: StoredVersions, read: Callable[..., pa.Table]) -> _Entry:
    """A multi-label inference set's evaluation from its stored tables."""
    dataset_object, set_object = snapshot.dataset_row["object"], snapshot.set_row["object"]
    # A class marked ignore is left out of the evaluation (its column and its rows).
    kept = [c.name for c in snapshot.infos if not c.ignore]
    evaluation = multilabel_inputs(
        kept,
        read(dataset_object, "frames.parquet", MULTILABEL_COLUMNS["frames"]),
        _of_classes(read(dataset_object, "labels.parquet", MULTILABEL_COLUMNS["labels"]), kept),
        _of_classes(
            read(set_object, "predictions.parquet", MULTILABEL_COLUMNS["predictions"]), kept
        ),
    )
    return _Entry(evaluation, int(snapshot.set_row["version"]), threading.RLock())


def multilabel_cache(store: Store, size: int = CACHE_SIZE) -> TaskEvaluations[_Entry]:
    """The store's most recently used multi-label evaluations."""
    return TaskEvaluations(store, "multilabel", _build_entry, size)


def _of_classes(table: pa.Table, kept: list[str]) -> pa.Table:
    """The rows of the ``kept`` classes (all of them when no class is ignored)."""
    mask = pc.is_in(table.column("class_name"), value_set=pa.array(kept, pa.string()))
    return table if pc.all(mask).as_py() is not False else table.filter(mask)


def multilabel_evaluation(inference_set: InferenceSet) -> MultiLabelEvaluation:
    return inference_set.store.multilabel_evaluations.entry(inference_set).evaluation


def _thresholds(
    evaluation: MultiLabelEvaluation, threshold: Conf | None, default: float
) -> dict[str, float]:
    """Every class's threshold by name: ``threshold`` (a number, or per class; classes
    not named use ``default``, the project's ``default_conf``)."""
    if threshold is None or isinstance(threshold, Mapping):
        named = dict(threshold or {})
        full = {name: float(named.pop(name, default)) for name in evaluation.labels}
        if named:
            unknown = next(iter(named))
            raise InputError(f"unknown class {unknown!r}; classes are {list(evaluation.labels)}")
        values = evaluation.thresholds(full)
    else:
        values = evaluation.thresholds(float(threshold))
    return dict(zip(evaluation.labels, values.tolist(), strict=True))


@dataclass(frozen=True)
class MultiLabelMetrics:
    """Everything the metrics of a multi-label inference set are at one set of
    thresholds, on one selection of frames (see ``to_dict`` for the shape)."""

    version: int
    num_frames: int
    thresholds: dict[str, float]
    report: dict[str, dict[str, float]]
    confusion_matrices: NDArray[np.int64]  # (C, 2, 2) [[tn, fp], [fn, tp]]
    subset_accuracy: float
    hamming_loss: float
    average_precision: dict[str, float]
    best_thresholds: dict[str, dict[str, float]]  # classes with true frames only

    def to_dict(self) -> dict[str, Any]:
        classes = []
        for i, (name, threshold) in enumerate(self.thresholds.items()):
            (tn, fp), (fn, tp) = self.confusion_matrices[i].tolist()
            row = self.report[name]
            classes.append(
                {
                    "label": name, **row, "support": int(row["support"]),
                    "threshold": threshold, "average_precision": self.average_precision[name],
                    "best": self.best_thresholds.get(name),
                    "tn": tn, "fp": fp, "fn": fn, "tp": tp,
                }
            )  # fmt: skip
        averages = {
            name: {**self.report[name], "support": int(self.report[name]["support"])}
            for name in AVERAGES
        }
        return {
            "version": self.version,
            "num_frames": self.num_frames,
            "classes": classes,
            "averages": averages,
            "subset_accuracy": self.subset_accuracy,
            "hamming_loss": self.hamming_loss,
            "mean_average_precision": self.average_precision["macro avg"],
        }


def _frames(inference_set: InferenceSet, segment: Segment | str | None, query: str | None) -> Any:
    return inference_set.dataset._selection(segment, query)


def multilabel_metrics(
    inference_set: InferenceSet,
    *,
    threshold: Conf | None = None,
    segment: Segment | str | None = None,
    query: str | None = None,
) -> MultiLabelMetrics:
    default = inference_set.dataset.project.default_conf
    frames = _frames(inference_set, segment, query)
    entry = inference_set.store.multilabel_evaluations.entry(inference_set)
    with entry.lock:
        return metrics_of(
            entry.evaluation, threshold, default, frames=frames, version=entry.version,
            threshold_free=entry.of_selection(frames),
        )  # fmt: skip


def metrics_of(
    evaluation: MultiLabelEvaluation,
    threshold: Conf | None,
    default: float,
    *,
    frames: Sequence[Any] | None = None,
    version: int = 0,
    threshold_free: _ThresholdFree | None = None,
) -> MultiLabelMetrics:
    """Every metric of ``evaluation`` at ``threshold`` (classes it does not name:
    ``default``) on ``frames`` (None: all): what the store, the server and ``shoal
    eval`` answer alike. ``threshold_free``: the selection's AP and best thresholds when
    known (they do not depend on the thresholds)."""
    thresholds = _thresholds(evaluation, threshold, default)
    free = threshold_free or _ThresholdFree(
        evaluation.average_precision(frames=frames), evaluation.best_thresholds(frames=frames)
    )
    return MultiLabelMetrics(
        version=version,
        num_frames=evaluation.num_frames if frames is None else len(frames),
        thresholds=thresholds,
        report=evaluation.report(thresholds, frames=frames),
        confusion_matrices=evaluation.multilabel_confusion_matrix(thresholds, frames=frames),
        subset_accuracy=evaluation.accuracy(thresholds, frames=frames),
        hamming_loss=evaluation.hamming_loss(thresholds, frames=frames),
        average_precision=free.average_precision,
        best_thresholds=free.best_thresholds,
    )


@dataclass(frozen=True)
class MultiLabelExample:
    frame_id: str
    truth: list[str]
    predicted: list[str]
    score: float  # the asked class's score

    def to_dict(self) -> dict[str, Any]:
        return {
            "frame_id": self.frame_id,
            "truth": self.truth,
            "predicted": self.predicted,
            "score": self.score,
        }


@dataclass(frozen=True)
class MultiLabelExamples:
    """One page of the frames in a cell of one class's 2x2 matrix, highest score first
    for ``tp``/``fp`` (confident mistakes first) and lowest first for ``fn``/``tn``."""

    version: int
    label: str
    cell: str
    total: int
    offset: int
    examples: list[MultiLabelExample]

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "label": self.label,
            "cell": self.cell,
            "total": self.total,
            "offset": self.offset,
            "examples": [e.to_dict() for e in self.examples],
        }


def multilabel_examples(
    inference_set: InferenceSet,
    label: str,
    cell: str,
    *,
    threshold: Conf | None = None,
    segment: Segment | str | None = None,
    query: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> MultiLabelExamples:
    """The frames in ``cell`` (``tp``, ``fp``, ``fn``, ``tn``) of class ``label`` at the
    thresholds, one page (``offset``, ``limit``). A frame is in one cell of every class,
    so it can be listed under several classes' cells."""
    if offset < 0 or limit < 1:
        raise InputError(f"offset must be >= 0 and limit >= 1, got {offset} and {limit}")
    default = inference_set.dataset.project.default_conf
    frames = _frames(inference_set, segment, query)
    entry = inference_set.store.multilabel_evaluations.entry(inference_set)
    with entry.lock:
        evaluation = entry.evaluation
        thresholds = _thresholds(evaluation, threshold, default)
        rows = evaluation.cell_rows(label, cell, thresholds, frames=frames)
        column = evaluation.labels.index(str(label))
        data = evaluation.data
        order = np.argsort(-data.scores[rows, column] if cell in ("tp", "fp") else
                           data.scores[rows, column], kind="stable")  # fmt: skip
        page = rows[order][offset : offset + limit]
        limits = np.asarray([thresholds[n] for n in evaluation.labels])
        names = np.asarray(evaluation.labels, dtype=object)
        examples = [
            MultiLabelExample(
                frame_id=str(evaluation.frame_ids[row]),
                truth=names[data.truth[row]].tolist(),
                predicted=names[data.scores[row] >= limits].tolist(),
                score=float(data.scores[row, column]),
            )
            for row in page
        ]
    return MultiLabelExamples(entry.version, str(label), cell, int(rows.size), offset, examples)


def multilabel_frame(
    inference_set: InferenceSet, frame_id: str, *, threshold: Conf | None = None
) -> dict[str, Any]:
    """One frame's classes at the thresholds: for every class its score, threshold,
    whether the frame has it and whether it is predicted, and so its cell (``tp``,
    ``fp``, ``fn``, ``tn``) of the class's 2x2 matrix. An unknown frame is an
    ``InputError``."""
    default = inference_set.dataset.project.default_conf
    entry = inference_set.store.multilabel_evaluations.entry(inference_set)
    with entry.lock:
        evaluation = entry.evaluation
        thresholds = _thresholds(evaluation, threshold, default)
        try:
            predicted = evaluation.predictions(thresholds, frames=[frame_id])[0]
        except InputError:
            raise InputError(f"the dataset has no frame {frame_id!r}") from None
        row = int(np.flatnonzero(evaluation.frame_ids == frame_id)[0])
        truth, scores = evaluation.data.truth[row], evaluation.data.scores[row]
        cells = {(True, True): "tp", (False, True): "fp", (True, False): "fn", (False, False): "tn"}
        classes = [
            {
                "label": name,
                "truth": bool(truth[c]),
                "predicted": bool(predicted[c]),
                "score": float(scores[c]),
                "threshold": thresholds[name],
                "cell": cells[bool(truth[c]), bool(predicted[c])],
            }
            for c, name in enumerate(evaluation.labels)
        ]
    return {"version": entry.version, "frame_id": frame_id, "classes": classes}


def multilabel_regression_results(
    inference_set: InferenceSet, specs: Sequence[SegmentSpec], *, threshold: Conf | None = None
) -> list[SegmentResult]:
    """Every segment's regression test of a multi-label set: the micro-averaged
    precision, recall and F1 of its frames (every (frame, class) cell pooled, as the
    other tasks' tests use micro averages) against the segment's thresholds; false
    positives and negatives are (frame, class) cells; multi-label has no confusions
    between classes (0). A stale segment fails, as for the other tasks."""
    from shoal.analysis.regression import MetricCheck, SegmentResult

    default = inference_set.dataset.project.default_conf
    entry = inference_set.store.multilabel_evaluations.entry(inference_set)
    results = []
    with entry.lock:
        evaluation = entry.evaluation
        limits = _thresholds(evaluation, threshold, default)
        for spec in specs:
            frames = None if spec.frame_ids is None else list(spec.frame_ids)
            wanted = spec.thresholds
            if spec.stale is None:
                micro = evaluation.report(limits, frames=frames)["micro avg"]
                matrices = evaluation.multilabel_confusion_matrix(limits, frames=frames)
                count = evaluation.num_frames if frames is None else len(frames)
                scores = (micro["precision"], micro["recall"], micro["f1-score"])
                fp, fn = int(matrices[:, 0, 1].sum()), int(matrices[:, 1, 0].sum())
            else:
                count, scores, fp, fn = 0, (0.0, 0.0, 0.0), 0, 0
            results.append(
                SegmentResult(
                    segment_name=spec.name,
                    segment_type=spec.type,
                    uuid=spec.uuid,
                    frame_count=count,
                    precision=MetricCheck(float(scores[0]), wanted.get("precision")),
                    recall=MetricCheck(float(scores[1]), wanted.get("recall")),
                    f1_score=MetricCheck(float(scores[2]), wanted.get("f1_score")),
                    false_positives=fp,
                    false_negatives=fn,
                    total_confusions=0,
                    stale=spec.stale,
                )
            )
    return results


def multilabel_segment_scores(
    inference_set: InferenceSet, specs: Sequence[SegmentSpec], *, threshold: Conf | None = None
) -> list[SegmentScores]:
    """Each segment's summary scores for a multi-label set: its regression-test result
    (micro averages) and its mean AP, over the classes the segment's frames have (as
    the other tasks' summaries); no COCO AP."""
    from shoal.analysis.summary import SegmentScores

    results = multilabel_regression_results(inference_set, specs, threshold=threshold)
    entry = inference_set.store.multilabel_evaluations.entry(inference_set)
    scores = []
    with entry.lock:
        for spec, result in zip(specs, results, strict=True):
            mean_ap = None
            if spec.stale is None:
                frames = None if spec.frame_ids is None else list(spec.frame_ids)
                free = entry.of_selection(frames)
                report = entry.evaluation.report(0.5, frames=frames)
                present = [n for n in entry.evaluation.labels if report[n]["support"] > 0]
                if present:
                    mean_ap = float(np.mean([free.average_precision[n] for n in present]))
            scores.append(SegmentScores(result, mean_ap, None))
    return scores
