"""Performance by metric for a stored inference set: which metrics it can be analysed by,
each counted object's value of one, and the analysis (``shoal.analysis.metric_performance``)
on them.

The metrics (:func:`performance_metrics`):

- built-in: ``confidence`` (predictions only; labels have none) and, for detection,
  ``area`` (the box area of predictions and labels, as the examples sort by it);
- element metrics (``Dataset.metric_infos``: quality and custom, numeric or bool):
  frame metrics reach every object of the frame; a name with label and prediction
  metrics is one metric, each object reading its own; a label-only (prediction-only)
  metric has no value on predictions (labels);
- the dataset's numeric and bool metadata keys (frame-level; bool reads 1 or 0).

Names: metadata keeps its plain name; a quality metric sharing it is
``quality.NAME`` (as in queries); a frame metric sharing an object metric's name
(``aspect_ratio``) is ``frame.NAME``; a metadata key named like a built-in is
``metadata.NAME``.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from shoal.analysis.metric_performance import (
    DEFAULT_BINS,
    DEFAULT_HISTOGRAM_BINS,
    DEFAULT_IMPORTANCE_BINS,
    MIN_SAMPLES,
    Elements,
    MetricImportance,
    MetricPerformance,
    metric_importance,
    metric_performance,
    rank,
)
from shoal.engine.metrics import PREDICTION, TP, Outcomes
from shoal.errors import InputError
from shoal.store._evaluations import StoredVersions
from shoal.tables import FRAME_COLUMNS

if TYPE_CHECKING:
    from shoal._types import Conf
    from shoal.store._entities import InferenceSet, Segment
    from shoal.store._store import Store

__all__ = [
    "PerformanceMetric",
    "inference_metric_importance",
    "inference_metric_performance",
    "metric_values",
    "performance_metrics",
]

BUILTIN_DESCRIPTIONS = {
    "confidence": "the prediction's confidence (predictions only)",
    "area": "the box's area in pixels (predictions and labels)",
}


@dataclass(frozen=True)
class PerformanceMetric:
    """A metric an inference set's performance can be analysed by: its ``name`` (as the
    API takes it), where its values come from (``level``: ``frame``, ``label``,
    ``prediction`` or ``object`` for labels and predictions; ``source``: ``builtin``,
    ``metadata``, ``quality`` or ``custom``), the stored columns it reads (``columns``:
    level -> column name) and a description."""

    name: str
    level: str
    source: str
    columns: tuple[tuple[str, str], ...]
    description: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "level": self.level,
            "source": self.source,
            "description": self.description,
        }


_NUMERIC = ("float", "int", "bool")


def _metadata_keys(frames: pa.Table) -> list[str]:
    keep = []
    for column in frames.schema:
        if column.name in FRAME_COLUMNS.names:
            continue
        kind = column.type
        if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind):
            keep.append(column.name)
    return keep


def performance_metrics(inference: InferenceSet) -> list[PerformanceMetric]:
    """Every metric ``inference`` can be analysed by (see the module doc): built-ins,
    element metrics, then metadata keys."""
    dataset = inference.dataset
    detection = dataset.project.task == "detection"
    found: list[PerformanceMetric] = [
        PerformanceMetric(
            "confidence", "prediction", "builtin", (), BUILTIN_DESCRIPTIONS["confidence"]
        )
    ]
    if detection:
        found.append(
            PerformanceMetric("area", "object", "builtin", (), BUILTIN_DESCRIPTIONS["area"])
        )
    metadata = _metadata_keys(dataset.frames())
    infos = dataset.metric_infos()
    by_name: dict[str, dict[str, Any]] = {}
    for info in infos:
        if info.type not in _NUMERIC:
            continue
        if info.level == "prediction" and info.inference_set != inference.name:
            continue
        by_name.setdefault(info.name, {})[info.level] = info
    object_names = {name for name, levels in by_name.items() if set(levels) - {"frame"}}
    for name, levels in by_name.items():
        frame = levels.get("frame")
        if frame is not None:
            shown = name
            if name in metadata:
                shown = f"{frame.source}.{name}"
            elif name in object_names:
                shown = f"frame.{name}"
            found.append(
                PerformanceMetric(
                    shown, "frame", frame.source, (("frame", name),), frame.description
                )
            )
        own = {level: info for level, info in levels.items() if level != "frame"}
        if own:
            first = next(iter(own.values()))
            level = "object" if len(own) == 2 else first.level
            shown = f"{first.source}.{name}" if name in metadata else name
            found.append(
                PerformanceMetric(
                    shown, level, first.source,
                    tuple((lvl, name) for lvl in own), first.description,
                )
            )  # fmt: skip
    taken = {metric.name for metric in found}
    for key in metadata:
        shown = f"metadata.{key}" if key in taken else key
        found.append(
            PerformanceMetric(shown, "frame", "metadata", (("metadata", key),), "a metadata key")
        )
    return found


def _find(inference: InferenceSet, metric: str) -> PerformanceMetric:
    known = performance_metrics(inference)
    for candidate in known:
        if candidate.name == metric:
            return candidate
    names = ", ".join(repr(m.name) for m in known)
    if any(info.name == metric for info in inference.dataset.metric_infos()):
        raise InputError(
            f"metric {metric!r} is text: only numbers and bools sort and bin "
            f"(this inference set's metrics are {names})"
        )
    raise InputError(f"unknown metric {metric!r}; this inference set's metrics are {names}")


# ------------------------------------------------------------------ the objects
@dataclass(frozen=True, eq=False)
class _Objects:
    """The counted objects at one operating point and where each one's values are: its
    row in the frames table and in the predictions and labels tables (-1 if none; for
    detection an object has a row in its own table only, for classification every row
    has its frame's prediction and label)."""

    outcomes: Outcomes
    predictions: NDArray[np.bool_]
    frame_row: NDArray[np.int64]
    rows: dict[str, NDArray[np.int64]]  # "prediction" / "label" -> table row per object
    frames: pa.Table
    object_ids: dict[str, pa.Array]  # "prediction" / "label" -> the table's id column
    confidence: NDArray[np.float64]  # the predictions table's confidences
    task: Literal["detection", "classification"]
    # The versions the tables were read at (StoredVersions.key), None when not known.
    versions: tuple[Any, ...] | None = None

    @functools.cached_property
    def elements(self) -> Elements:
        """The objects, without a metric's values yet (NaN)."""
        o = self.outcomes
        p = self.predictions
        frame_names = tuple(str(f) for f in self.frames.column("frame_id").to_pylist())
        return Elements(
            self.task,
            tuple(o.class_names),
            frame_names,
            np.full(int(p.sum()), np.nan),
            o.outcome_code[p] == TP,
            o.label_index[p].astype(np.int64),
            self.frame_row[p],
            np.full(int((~p).sum()), np.nan),
            o.outcome_code[~p] == TP,
            o.label_index[~p].astype(np.int64),
            self.frame_row[~p],
        )


def _as_float(column: pa.Array | pa.ChunkedArray) -> NDArray[np.float64]:
    """A numeric or bool column as floats (bool 1 or 0, null NaN)."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pa.types.is_boolean(column.type):
        column = pc.cast(column, pa.int8())
    values = pc.cast(column, pa.float64()).fill_null(float("nan"))
    return np.asarray(values.to_numpy(zero_copy_only=False), np.float64)


def _take(values: NDArray[np.float64], rows: NDArray[np.int64]) -> NDArray[np.float64]:
    """``values[rows]``, NaN where a row is -1."""
    out = np.full(rows.size, np.nan)
    inside = rows >= 0
    out[inside] = values[rows[inside]]
    return out


def _rows_of(values: pa.Array, keys: pa.Array) -> NDArray[np.int64]:
    """Each value's position in ``keys`` (-1 if absent)."""
    found = pc.index_in(values, value_set=keys)
    return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), np.int64)


def _objects(
    outcomes: Outcomes, predictions: pa.Table, labels: pa.Table, frames: pa.Table, task: str
) -> _Objects:
    is_prediction = outcomes.kind_code == PREDICTION
    frame_ids = pa.array(outcomes.frame_id.astype(str), pa.string())
    frame_row = _rows_of(frame_ids, frames.column("frame_id").combine_chunks())
    tables = {"prediction": predictions, "label": labels}
    rows: dict[str, NDArray[np.int64]] = {}
    for kind, table in tables.items():
        if task == "detection":
            # Engine ids are 1-based rows of the predictions and labels tables.
            own = is_prediction if kind == "prediction" else ~is_prediction
            rows[kind] = np.where(own, outcomes.id.astype(np.int64) - 1, -1)
        else:
            # A classification frame has one prediction and one label: every row reads both.
            rows[kind] = _rows_of(frame_ids, table.column("frame_id").combine_chunks())
    object_ids = {
        "prediction": predictions.column("prediction_id").combine_chunks(),
        "label": labels.column("label_id").combine_chunks(),
    }
    confidence = _as_float(predictions.column("confidence"))
    return _Objects(
        outcomes, is_prediction, frame_row, rows, frames, object_ids, confidence,
        "detection" if task == "detection" else "classification",
    )  # fmt: skip


# The metric tables of the last few (versions, level, stored metric objects) read, with
# each table row's position among the frames / labels / predictions, per store: a
# second metric reads them from here instead of assembling and joining them again.
_KEPT_TABLES = 3  # frame, label and prediction metrics of one version
_kept_tables: weakref.WeakKeyDictionary[
    Store, OrderedDict[tuple[Any, ...], tuple[pa.Table, NDArray[np.int64]]]
] = weakref.WeakKeyDictionary()


class _Columns:
    """The stored metric columns of one analysis, by row of the frames, labels or
    predictions table the objects were read with."""

    def __init__(self, inference: InferenceSet, objects: _Objects) -> None:
        self.inference = inference
        self.objects = objects

    def _read(self, level: str) -> tuple[pa.Table, NDArray[np.int64]]:
        from shoal.store._element_metrics import metric_objects

        inference = self.inference
        owner = inference if level == "prediction" else inference.dataset
        key = (
            None
            if self.objects.versions is None
            else (self.objects.versions, level, tuple(metric_objects(owner)))
        )
        store = inference.store
        if key is not None:
            with _kept_lock:
                kept = _kept_tables.setdefault(store, OrderedDict())
                if key in kept:
                    kept.move_to_end(key)
                    return kept[key]
        if level == "prediction":
            table = inference.element_metrics()
        else:
            frame_or_label: Literal["frame", "label"] = "frame" if level == "frame" else "label"
            table = inference.dataset.element_metrics(frame_or_label)
        ids = (
            self.objects.frames.column("frame_id").combine_chunks()
            if level == "frame"
            else self.objects.object_ids[level]
        )
        stored = table.column(0).combine_chunks()
        # The tables list elements in stored order: most often the very same ids.
        rows = np.arange(len(ids)) if stored.equals(ids) else _rows_of(ids, stored)
        if key is not None:
            with _kept_lock:
                kept[key] = (table, rows)
                while len(kept) > _KEPT_TABLES:
                    kept.popitem(last=False)
        return table, rows

    def per_row(self, level: str, column: str) -> NDArray[np.float64]:
        """``column``'s values by row of the frames (frame level), labels or predictions
        table (NaN where an element has none)."""
        table, rows = self._read(level)
        return _take(_as_float(table.column(column)), rows)


def _values(objects: _Objects, metric: PerformanceMetric, columns: _Columns) -> NDArray[np.float64]:
    """Each counted object's value of ``metric`` (NaN where it has none). An object reads
    its own kind's column first; for classification a row without one reads its frame's
    other object (a frame's prediction confidence is its label's too)."""
    o = objects.outcomes
    if metric.source == "builtin":
        if metric.name == "area":
            return np.asarray(o.area, np.float64).copy()
        return _take(objects.confidence, objects.rows["prediction"])
    out = np.full(len(o), np.nan)
    for level, column in metric.columns:
        if level == "metadata":
            return _take(_as_float(objects.frames.column(column)), objects.frame_row)
        per_row = columns.per_row(level, column)
        if level == "frame":
            return _take(per_row, objects.frame_row)
        own = objects.predictions if level == "prediction" else ~objects.predictions
        mine = _take(per_row, objects.rows[level])
        out[own] = np.where(np.isnan(mine[own]), out[own], mine[own])
        borrow = ~own & np.isnan(out)
        out[borrow] = mine[borrow]
    return out


def _split_groups(inference: InferenceSet) -> dict[str, list[str]]:
    """The dataset's split segments (but "All Frames") and their frames, for the
    distribution per split; a stale segment is left out."""
    groups = {}
    for segment in inference.dataset.segments():
        if segment.type != "split" or segment.id is None:
            continue
        try:
            groups[segment.name] = segment.frame_ids()
        except InputError:
            continue
    return groups


# The objects of the last two (inference set version, operating point, frames) asked
# (about 100 bytes an object: 40 MB for M's 420k objects at conf 0),
# per store: a metric after the first reads them from here instead of the evaluation.
_KEPT = 2
_kept: weakref.WeakKeyDictionary[Store, OrderedDict[tuple[Any, ...], _Objects]] = (
    weakref.WeakKeyDictionary()
)
_kept_lock = threading.Lock()


def _read(
    inference: InferenceSet,
    conf: Conf | None,
    iou: float | None,
    segment: Segment | str | None,
    query: str | None,
) -> _Objects:
    from shoal.store._entities import operating_point

    dataset = inference.dataset
    conf_value, iou_value = operating_point(dataset.project, conf, iou)
    frames = dataset._selection(segment, query)
    snapshot = StoredVersions.read(inference)
    conf_key = tuple(sorted(conf_value.items())) if isinstance(conf_value, dict) else conf_value
    key = (snapshot.key, conf_key, iou_value, None if frames is None else tuple(frames))
    with _kept_lock:
        kept = _kept.setdefault(inference.store, OrderedDict())
        if key in kept:
            kept.move_to_end(key)
            return kept[key]
    read = inference.outcomes_with_sources(
        conf=conf_value, iou=iou_value, segment=segment, query=query
    )
    task = dataset.project.task
    objects = _objects(read.outcomes, read.predictions, read.labels, dataset.frames(), task)
    set_row, dataset_row = snapshot.set_row, snapshot.dataset_row
    if (read.version, read.dataset_version) == (set_row["version"], dataset_row["version"]):
        objects = dataclasses.replace(objects, versions=snapshot.key)
        with _kept_lock:
            kept[key] = objects
            while len(kept) > _KEPT:
                kept.popitem(last=False)
    return objects


def _with_metric(objects: _Objects, metric: PerformanceMetric, columns: _Columns) -> Elements:
    values = _values(objects, metric, columns)
    p = objects.predictions
    return objects.elements.with_values(values[p], values[~p])


def inference_metric_performance(
    inference: InferenceSet,
    metric: str,
    *,
    conf: Conf | None = None,
    iou: float | None = None,
    segment: Segment | str | None = None,
    query: str | None = None,
    bins: int = DEFAULT_BINS,
    label: str | None = None,
    histogram_bins: int = DEFAULT_HISTOGRAM_BINS,
    min_samples: int = MIN_SAMPLES,
) -> MetricPerformance:
    """``metric``'s precision and FNR per quantile bin, distribution and importance for
    ``inference`` at (conf, iou) on a segment's frames (only class ``label``'s objects
    when given)."""
    found = _find(inference, metric)
    objects = _read(inference, conf, iou, segment, query)
    elements = _with_metric(objects, found, _Columns(inference, objects))
    if label is not None:
        elements = elements.of_class(label)
    return metric_performance(
        elements,
        metric=found.name,
        level=found.level,
        source=found.source,
        bins=bins,
        histogram_bins=histogram_bins,
        groups=_split_groups(inference),
        min_samples=min_samples,
    )


def inference_metric_importance(
    inference: InferenceSet,
    *,
    conf: Conf | None = None,
    iou: float | None = None,
    segment: Segment | str | None = None,
    query: str | None = None,
    bins: int = DEFAULT_IMPORTANCE_BINS,
    min_samples: int = MIN_SAMPLES,
) -> list[MetricImportance]:
    """Every metric's importance and correlations, the most important first."""
    objects = _read(inference, conf, iou, segment, query)
    columns = _Columns(inference, objects)
    return rank(
        [
            metric_importance(
                _with_metric(objects, metric, columns),
                metric.name,
                level=metric.level,
                source=metric.source,
                description=metric.description,
                bins=bins,
                min_samples=min_samples,
            )
            for metric in performance_metrics(inference)
        ]
    )


def metric_values(
    inference: InferenceSet,
    metric: str,
    outcomes: Outcomes,
    predictions: pa.Table,
    labels: pa.Table,
) -> NDArray[np.float64]:
    """Each row of ``outcomes`` (read with ``predictions`` and ``labels``, as
    ``outcomes_with_sources`` gives them) valued by ``metric`` (NaN where it has none)."""
    found = _find(inference, metric)
    dataset = inference.dataset
    objects = _objects(outcomes, predictions, labels, dataset.frames(), dataset.project.task)
    return _values(objects, found, _Columns(inference, objects))
