"""What each point of a projection is: a category or a number per element (a frame, a
label crop or a prediction crop), in the projection's element order, for the embedding
view to color by (``Dataset.projection_colors``; docs/embeddings.md, "Colors").

Every number comes from where the rest of Shoal reads it: outcomes, confusion types and
per-frame precision, recall and F1 from the inference set's cached evaluation
(``InferenceSet.outcomes_with_sources``, counted by ``shoal.analysis.point_colors``),
classes and metadata from the stored tables, metrics from the stored element metrics.
Outcomes are taken on every frame; a segment or a query only says which points are in
scope (``in_scope``), since an object's outcome does not depend on the other frames.
"""

from __future__ import annotations

import functools
import json
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from shoal.analysis.point_colors import (
    CLASSIFICATION_OUTCOMES,
    CONFUSIONS,
    FRAME_OUTCOMES,
    NO_ERRORS,
    OBJECT_OUTCOMES,
    FrameCounts,
    PointColors,
    frame_counts,
    frame_outcomes,
    most_common,
    pair_codes,
    pair_lookup,
)
from shoal.engine.metrics import PREDICTION
from shoal.errors import InputError, NotFoundError
from shoal.store._entities import operating_point
from shoal.store._evaluations import StoredVersions
from shoal.tables import FRAME_COLUMNS

if TYPE_CHECKING:
    from shoal._types import Conf
    from shoal.store._entities import Dataset, InferenceSet, Segment
    from shoal.store._store import Store

__all__ = ["COLOR_BY", "ColorSource", "PointColors", "projection_colors"]

COLOR_BY = ("class", "outcome", "confusion", "confidence", "precision", "recall", "f1")
METADATA_PREFIX, METRIC_PREFIX = "metadata:", "metric:"
FRAME, LABEL, PREDICTION_SOURCE = 0, 1, 2
_SOURCES = {"frame": FRAME, "label": LABEL, "prediction": PREDICTION_SOURCE}


class ColorSource(Protocol):
    """What colors are computed for: a projection's elements (``shoal.store.Projection``
    has these, in element order)."""

    @property
    def sources(self) -> pa.Array: ...
    @property
    def inference_sets(self) -> pa.Array: ...
    @property
    def element_ids(self) -> pa.Array: ...
    @property
    def frame_ids(self) -> pa.Array: ...


# ------------------------------------------------------------------ the elements
def _strings(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array if array.type == pa.string() else pc.cast(array, pa.string())


def _rows_of(
    values: pa.Array | pa.ChunkedArray, keys: pa.Array | pa.ChunkedArray
) -> NDArray[np.int64]:
    """Each value's row in ``keys`` (-1 if absent). Values that are the keys in their
    order (a table's ids against the same table, the frames of a frame projection) need
    no lookup."""
    values, keys = _strings(values), _strings(keys)
    if len(values) == len(keys) and values.equals(keys):
        return np.arange(len(values), dtype=np.int64)
    found = pc.index_in(values, value_set=keys)
    return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), np.int64)


def _take(values: NDArray[Any], rows: NDArray[np.int64], missing: Any) -> NDArray[Any]:
    """``values[rows]``, ``missing`` where a row is -1."""
    out = np.full(rows.size, missing, dtype=values.dtype)
    inside = rows >= 0
    out[inside] = values[rows[inside]]
    return out


@dataclass(frozen=True, eq=False)
class _Elements:
    """A projection's elements as arrays: source code, ids, and each one's frame row in
    the dataset's frames table (-1 for a frame the dataset no longer has)."""

    source: NDArray[np.int8]
    ids: pa.Array
    inference_sets: pa.Array
    frame_ids: pa.Array
    frame_row: NDArray[np.int64]

    @classmethod
    def of(cls, projection: ColorSource, frames: pa.Table) -> _Elements:
        sources = _strings(projection.sources)
        source = np.full(len(sources), -1, np.int8)
        for name, code in _SOURCES.items():
            source[np.asarray(pc.equal(sources, name).fill_null(False))] = code
        frame_ids = _strings(projection.frame_ids)
        return cls(
            source,
            _strings(projection.element_ids),
            _strings(projection.inference_sets),
            frame_ids,
            _rows_of(frame_ids, frames.column("frame_id")),
        )

    def __len__(self) -> int:
        return int(self.source.size)

    @functools.cached_property
    def _set_codes(self) -> tuple[list[str], NDArray[np.int32]]:
        """The inference set names and each element's position among them (-1: none)."""
        encoded = self.inference_sets.dictionary_encode()
        codes = np.asarray(encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False), np.int32)
        return [str(n) for n in encoded.dictionary.to_pylist()], codes

    def by_set(
        self, positions: NDArray[np.int64], mask: NDArray[np.bool_] | None = None
    ) -> list[tuple[str, NDArray[np.int64]]]:
        """``positions`` (those ``mask`` keeps, a mask over every element) grouped by
        their own inference set, by name; elements without one left out."""
        names, codes = self._set_codes
        if mask is not None:
            positions = positions[mask[positions]]
        of = codes[positions]
        return [
            (name, positions[of == code])
            for name, code in sorted((n, c) for c, n in enumerate(names))
            if (of == code).any()
        ]


# ------------------------------------------------------------------ outcomes of one set
@dataclass(frozen=True, eq=False)
class _SetOutcomes:
    """One inference set's outcomes at one operating point, by row of its predictions
    table, of the dataset's labels table and of the dataset's frames table."""

    task: str
    predictions: pa.Table
    labels: pa.Table
    prediction_pair: NDArray[np.int16]  # -1: not counted (below conf)
    label_pair: NDArray[np.int16]  # -1: not counted (ignored)
    label_partner: NDArray[np.int64]  # the prediction row matched or compared with, -1
    counts: FrameCounts
    frame_row: NDArray[np.int64]  # of each outcome row
    row_pair: NDArray[np.int16]  # of each outcome row
    classification_pair: NDArray[np.int16]  # per frame row: its ground truth row's pair
    classification_confidence: NDArray[np.float64]  # per frame row: its prediction's
    # Per frame row: the true class's and the predicted class's index (-1: none).
    classification_classes: tuple[NDArray[np.int32], NDArray[np.int32]]
    class_names: tuple[str, ...]

    @classmethod
    def read(
        cls, inference: InferenceSet, frames: pa.Table, conf: Conf | None, iou: float | None
    ) -> _SetOutcomes:
        read = inference.outcomes_with_sources(conf=conf, iou=iou)
        outcomes, predictions, labels = read.outcomes, read.predictions, read.labels
        task = inference.dataset.project.task
        num_frames = frames.num_rows
        frame_ids = frames.column("frame_id")
        pairs = pair_codes(outcomes)
        is_prediction = outcomes.kind_code == PREDICTION
        prediction_pair = np.full(predictions.num_rows, -1, np.int16)
        label_pair = np.full(labels.num_rows, -1, np.int16)
        label_partner = np.full(labels.num_rows, -1, np.int64)
        classification_pair = np.full(num_frames, -1, np.int16)
        classification_confidence = np.full(num_frames, np.nan)
        true_class = np.full(num_frames, -1, np.int32)
        predicted_class = np.full(num_frames, -1, np.int32)
        if task == "detection":
            # Engine ids are 1-based rows of the predictions and labels tables.
            rows = outcomes.id.astype(np.int64) - 1
            prediction_frames = _rows_of(_strings(predictions.column("frame_id")), frame_ids)
            label_frames = _rows_of(_strings(labels.column("frame_id")), frame_ids)
            frame_row = np.where(
                is_prediction,
                _take(prediction_frames, np.where(is_prediction, rows, -1), -1),
                _take(label_frames, np.where(is_prediction, -1, rows), -1),
            )
            prediction_pair[rows[is_prediction]] = pairs[is_prediction]
            label_pair[rows[~is_prediction]] = pairs[~is_prediction]
            label_partner[rows[~is_prediction]] = outcomes.partner_id[~is_prediction] - 1
        else:
            # One prediction and one label per frame: each row is its frame's. Engine ids
            # are 1-based positions among the labelled frames in frame order
            # (store._conversion.classification_evaluation).
            label_frames = _strings(labels.column("frame_id"))
            labelled = (
                np.arange(num_frames)  # every frame labelled, in frame order
                if label_frames.equals(_strings(frame_ids))
                else np.flatnonzero(np.asarray(pc.is_in(frame_ids, value_set=label_frames)))
            )
            frame_row = _take(labelled, outcomes.id.astype(np.int64) - 1, -1)
            prediction_rows = _rows_of(frame_ids, predictions.column("frame_id"))
            label_rows = _rows_of(frame_ids, label_frames)
            truth = ~is_prediction & (frame_row >= 0)
            classification_pair[frame_row[truth]] = pairs[truth]
            true_class[frame_row[truth]] = outcomes.label_index[truth]
            predicted_class[frame_row[truth]] = outcomes.partner_label_index[truth]
            confidence = np.asarray(
                pc.cast(predictions.column("confidence"), pa.float64())
                .fill_null(np.nan)
                .to_numpy(),
                np.float64,
            )
            classification_confidence = _take(confidence, prediction_rows, np.nan)
            has = prediction_rows >= 0
            predicted = is_prediction & (frame_row >= 0)
            at = _take(prediction_rows, frame_row[predicted], -1)
            prediction_pair[at[at >= 0]] = pairs[predicted][at >= 0]
            at = _take(label_rows, frame_row[truth], -1)
            label_pair[at[at >= 0]] = pairs[truth][at >= 0]
            label_partner[label_rows[has & (label_rows >= 0)]] = prediction_rows[
                has & (label_rows >= 0)
            ]
        return cls(
            task, predictions, labels, prediction_pair, label_pair, label_partner,
            frame_counts(outcomes, frame_row, num_frames), frame_row, pairs,
            classification_pair, classification_confidence, (true_class, predicted_class),
            tuple(outcomes.class_names),
        )  # fmt: skip

    def prediction_confidence(self) -> NDArray[np.float64]:
        column = self.predictions.column("confidence")
        return np.asarray(pc.cast(column, pa.float64()).fill_null(np.nan).to_numpy(), np.float64)


# The last few sets' outcomes by (their StoredVersions key, the operating point), per
# store: the embedding view asks for one color after another at the same thresholds.
_KEPT_OUTCOMES = 4
_kept: weakref.WeakKeyDictionary[Store, OrderedDict[tuple[Any, ...], _SetOutcomes]] = (
    weakref.WeakKeyDictionary()
)
_kept_lock = threading.Lock()


def _kept_outcomes(
    inference: InferenceSet, frames: pa.Table, conf: Conf | None, iou: float | None
) -> _SetOutcomes:
    conf_value, iou_value = operating_point(inference.dataset.project, conf, iou)
    point = (
        json.dumps(conf_value, sort_keys=True) if isinstance(conf_value, dict) else conf_value,
        iou_value,
    )
    key = (StoredVersions.read(inference).key, point)
    with _kept_lock:
        kept = _kept.setdefault(inference.store, OrderedDict())
        if key in kept:
            kept.move_to_end(key)
            return kept[key]
    read = _SetOutcomes.read(inference, frames, conf_value, iou_value)
    # Kept only when nothing was committed meanwhile (the read is of the key's versions).
    if StoredVersions.read(inference).key == key[0]:
        with _kept_lock:
            kept[key] = read
            while len(kept) > _KEPT_OUTCOMES:
                kept.popitem(last=False)
    return read


class _Sets:
    """The inference sets a request reads, each read once: the chosen one (for label
    crops and dataset frames) and each prediction crop's or set frame's own."""

    def __init__(
        self,
        dataset: Dataset,
        frames: pa.Table,
        chosen: str | None,
        conf: Conf | None,
        iou: float | None,
    ) -> None:
        self.dataset = dataset
        self.frames = frames
        self.chosen = chosen
        self.conf, self.iou = conf, iou
        self._read: dict[str, _SetOutcomes] = {}

    def get(self, name: str) -> _SetOutcomes:
        if name not in self._read:
            inference = self.dataset.inference_set(name)
            self._read[name] = _kept_outcomes(inference, self.frames, self.conf, self.iou)
        return self._read[name]

    def groups(self, elements: _Elements) -> list[tuple[str, NDArray[np.int64]]]:
        """(inference set, element positions) for every element with one: label crops
        and dataset frames the chosen set, prediction crops and set frames their own."""
        has_own = (elements._set_codes[1] >= 0) & (elements.source != LABEL)
        groups = elements.by_set(np.flatnonzero(has_own))
        rest = np.flatnonzero(~has_own)
        if rest.size:
            groups.append((self._chosen_name(), rest))
        return groups

    def _chosen_name(self) -> str:
        if self.chosen is not None:
            return self.chosen
        names = [s.name for s in self.dataset.inference_sets()]
        if len(names) == 1:
            return names[0]
        if not names:
            raise InputError(
                f"dataset {self.dataset.name!r} has no inference set: outcomes, confidence "
                "and precision need one"
            )
        raise InputError(
            "name the inference set whose outcomes color the frames and label crops "
            f"(inference_set): one of {', '.join(repr(n) for n in names)}"
        )


# ------------------------------------------------------------------ color schemes
def _categorical(
    color_by: str,
    definition: str,
    categories: tuple[str, ...],
    codes: NDArray[Any],
    in_scope: NDArray[np.bool_] | None,
) -> PointColors:
    return PointColors(
        color_by, "categorical", definition, categories, codes.astype(np.int32), in_scope=in_scope
    )


def _continuous(
    color_by: str, definition: str, values: NDArray[np.float64], in_scope: NDArray[np.bool_] | None
) -> PointColors:
    finite = values[np.isfinite(values)]
    values = np.where(np.isfinite(values), values, np.nan)
    low = float(finite.min()) if finite.size else None
    high = float(finite.max()) if finite.size else None
    return PointColors(color_by, "continuous", definition, values=values, min=low, max=high,
                       in_scope=in_scope)  # fmt: skip


def _object_rows(
    elements: _Elements, positions: NDArray[np.int64], source: int, table: pa.Table, key: str
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The positions of ``source`` elements among ``positions`` and their rows in
    ``table`` (by its ``key`` id column; -1 for an id it does not have)."""
    mine = positions[elements.source[positions] == source]
    if mine.size == 0:
        return mine, np.zeros(0, np.int64)
    keys = table.column(key).combine_chunks()
    first, last = int(mine[0]), int(mine[-1])
    if last - first + 1 == mine.size:
        # A projection lists a table's elements together, most often in its own order:
        # then no lookup is needed.
        ids = elements.ids.slice(first, mine.size)
        if len(keys) == mine.size and ids.equals(keys):
            return mine, np.arange(mine.size, dtype=np.int64)
    else:
        ids = elements.ids.take(pa.array(mine))
    return mine, _rows_of(ids, keys)


def _outcome_codes(
    elements: _Elements, sets: _Sets, scheme: Literal["outcome", "confusion"]
) -> tuple[tuple[str, ...], NDArray[np.int32]]:
    """The categories and each element's code of the outcome or confusion scheme (see
    docs/embeddings.md): crops by their own outcome, frames by their objects'."""
    codes = np.full(len(elements), -1, np.int32)
    task = sets.dataset.project.task
    if task == "classification":
        truth = np.full(len(elements), -1, np.int64)
        predicted = np.full(len(elements), -1, np.int64)
        names: tuple[str, ...] = ()
        for name, positions in sets.groups(elements):
            read = sets.get(name)
            rows = elements.frame_row[positions]
            codes[positions] = _take(read.classification_pair, rows, -1)
            truth[positions] = _take(read.classification_classes[0], rows, -1)
            predicted[positions] = _take(read.classification_classes[1], rows, -1)
            names = read.class_names
        lookup = pair_lookup("classification")
        known = codes >= 0
        codes[known] = lookup[codes[known]]
        if scheme == "outcome":
            return CLASSIFICATION_OUTCOMES, codes
        # Confusion: a wrong frame's (true class, predicted class), each pair found a
        # category of its own, in the class order.
        wrong = codes == 1
        pair = truth * max(len(names), 1) + predicted
        found = np.unique(pair[wrong])
        codes[codes == 2] = 1  # below threshold
        codes[wrong] = 2 + np.searchsorted(found, pair[wrong])
        size = max(len(names), 1)
        labels = [f"{names[k // size]} \u2192 {names[k % size]}" for k in found.tolist()]
        return (CLASSIFICATION_OUTCOMES[0], CLASSIFICATION_OUTCOMES[2], *labels), codes
    object_categories = OBJECT_OUTCOMES if scheme == "outcome" else CONFUSIONS
    lookup = pair_lookup(scheme)
    frame_categories = FRAME_OUTCOMES if scheme == "outcome" else (NO_ERRORS, *CONFUSIONS[1:])
    offset = len(object_categories)
    for name, positions in sets.groups(elements):
        read = sets.get(name)
        for source, table, key, pairs in (
            (LABEL, read.labels, "label_id", read.label_pair),
            (PREDICTION_SOURCE, read.predictions, "prediction_id", read.prediction_pair),
        ):
            mine, rows = _object_rows(elements, positions, source, table, key)
            pair = _take(pairs, rows, -1)
            codes[mine] = np.where(pair >= 0, lookup[np.maximum(pair, 0)], -1)
        frames = positions[elements.source[positions] == FRAME]
        if frames.size == 0:
            continue
        if scheme == "outcome":
            per_frame = frame_outcomes(read.counts)
        else:
            category = np.where(read.row_pair >= 0, lookup[np.maximum(read.row_pair, 0)], -1)
            per_frame = most_common(
                read.frame_row, category.astype(np.int16), sets.frames.num_rows,
                len(CONFUSIONS), skip=0,
            )  # fmt: skip
            per_frame[per_frame < 0] = 0  # a frame without objects has no errors
        found = _take(per_frame, elements.frame_row[frames], -1)
        codes[frames] = np.where(found >= 0, found + offset, -1)
    return (*object_categories, *frame_categories), codes


def _frame_values(
    elements: _Elements, sets: _Sets, per_frame: Callable[[_SetOutcomes], NDArray[np.float64]]
) -> NDArray[np.float64]:
    values = np.full(len(elements), np.nan)
    for name, positions in sets.groups(elements):
        values[positions] = _take(per_frame(sets.get(name)), elements.frame_row[positions], np.nan)
    return values


def _confidence(elements: _Elements, sets: _Sets) -> NDArray[np.float64]:
    values = np.full(len(elements), np.nan)
    classification = sets.dataset.project.task == "classification"
    for name, positions in sets.groups(elements):
        read = sets.get(name)
        confidence = read.prediction_confidence()
        mine, rows = _object_rows(elements, positions, PREDICTION_SOURCE, read.predictions,
                                  "prediction_id")  # fmt: skip
        values[mine] = _take(confidence, rows, np.nan)
        mine, rows = _object_rows(elements, positions, LABEL, read.labels, "label_id")
        values[mine] = _take(confidence, _take(read.label_partner, rows, -1), np.nan)
        frames = positions[elements.source[positions] == FRAME]
        per_frame = (
            read.classification_confidence if classification else read.counts.mean_confidence()
        )
        values[frames] = _take(per_frame, elements.frame_row[frames], np.nan)
    return values


def _class_codes(
    dataset: Dataset, elements: _Elements, frames: pa.Table, chosen: str | None
) -> tuple[tuple[str, ...], NDArray[np.int32]]:
    names = [c.name for c in dataset.project.classes()]
    labels = dataset.labels()
    extra = sorted(set(pc.unique(labels.column("class_name")).to_pylist()) - set(names) - {None})
    categories = (*names, *extra)
    index_of = pa.array(categories, pa.string())
    codes = np.full(len(elements), -1, np.int32)
    label_class = _rows_of(_strings(labels.column("class_name")), index_of)
    positions = np.arange(len(elements))
    mine, rows = _object_rows(elements, positions, LABEL, labels, "label_id")
    codes[mine] = _take(label_class, rows, -1)
    predicted = positions[elements.source == PREDICTION_SOURCE]
    if predicted.size:
        for set_name, group in elements.by_set(predicted):
            predictions = dataset.inference_set(set_name).predictions()
            mine, rows = _object_rows(elements, group, PREDICTION_SOURCE, predictions,
                                      "prediction_id")  # fmt: skip
            prediction_class = _rows_of(_strings(predictions.column("class_name")), index_of)
            codes[mine] = _take(prediction_class, rows, -1)
    frame_positions = positions[elements.source == FRAME]
    if frame_positions.size:
        label_frames = _rows_of(_strings(labels.column("frame_id")), frames.column("frame_id"))
        per_frame = most_common(label_frames, label_class.astype(np.int16), frames.num_rows,
                                len(categories))  # fmt: skip
        codes[frame_positions] = _take(per_frame, elements.frame_row[frame_positions], -1)
    return categories, codes


def _metadata(
    color_by: str, key: str, elements: _Elements, frames: pa.Table,
    in_scope: NDArray[np.bool_] | None,
) -> PointColors:  # fmt: skip
    keys = [name for name in frames.column_names if name not in FRAME_COLUMNS.names]
    if key not in keys:
        raise NotFoundError(
            f"no metadata key {key!r}; the frames have "
            + (", ".join(repr(k) for k in keys) if keys else "none")
        )
    column = frames.column(key).combine_chunks()
    definition = f"the frame's metadata {key!r} (a crop's frame's)"
    return _column_colors(color_by, definition, column, elements.frame_row, in_scope)


def _column_colors(
    color_by: str,
    definition: str,
    column: pa.Array,
    rows: NDArray[np.int64],
    in_scope: NDArray[np.bool_] | None,
) -> PointColors:
    """A stored column's value for each element (``rows``: its row, -1 none): numbers
    continuous, text and bools categorical."""
    kind = column.type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        values = np.asarray(pc.cast(column, pa.float64()).fill_null(np.nan).to_numpy(), np.float64)
        return _continuous(color_by, definition, _take(values, rows, np.nan), in_scope)
    text = pc.cast(column, pa.string())
    categories = tuple(sorted(v for v in pc.unique(text).to_pylist() if v is not None))
    per_row = _rows_of(text, pa.array(categories, pa.string()))
    return _categorical(color_by, definition, categories, _take(per_row, rows, -1), in_scope)


def _metric(
    dataset: Dataset,
    color_by: str,
    name: str,
    elements: _Elements,
    frames: pa.Table,
    in_scope: NDArray[np.bool_] | None,
) -> PointColors:
    """An element metric of the element's level (a frame's, a label's, a prediction's of
    its set), else of its frame; numbers continuous, text categorical."""
    infos = [i for i in dataset.metric_infos() if i.name == name]
    if not infos:
        known = sorted({i.name for i in dataset.metric_infos()})
        raise NotFoundError(
            f"no element metric {name!r}; the dataset has "
            + (", ".join(repr(k) for k in known) if known else "none")
        )
    levels = {(i.level, i.inference_set) for i in infos}
    columns: list[pa.Array] = []
    rows = np.full(len(elements), -1, np.int64)
    positions = np.arange(len(elements))
    # Each element's value sits in one of several columns: concatenated, every element
    # reads its row of the concatenation.
    start = 0

    def add(column: pa.Array, at: NDArray[np.int64], element_rows: NDArray[np.int64]) -> None:
        nonlocal start
        keep = element_rows >= 0
        rows[at[keep]] = element_rows[keep] + start
        columns.append(column)
        start += len(column)

    if ("frame", None) in levels:
        table = dataset.element_metrics("frame")
        frame_rows = _rows_of(elements.frame_ids, table.column("frame_id"))
        add(table.column(name).combine_chunks(), positions, frame_rows)
    if ("label", None) in levels:
        table = dataset.element_metrics("label")
        mine, label_rows = _object_rows(elements, positions, LABEL, table, "label_id")
        add(table.column(name).combine_chunks(), mine, label_rows)
    predicted = positions[elements.source == PREDICTION_SOURCE]
    if predicted.size:
        for set_name, group in elements.by_set(predicted):
            if ("prediction", set_name) not in levels:
                continue
            table = dataset.inference_set(set_name).element_metrics()
            mine, prediction_rows = _object_rows(elements, group, PREDICTION_SOURCE, table,
                                                 "prediction_id")  # fmt: skip
            add(table.column(name).combine_chunks(), mine, prediction_rows)
    numeric = all(
        pa.types.is_integer(c.type) or pa.types.is_floating(c.type) or pa.types.is_boolean(c.type)
        for c in columns
    )
    # One metric name may be typed differently per level (custom metrics): as numbers
    # when every level's are, else as text.
    common = (
        columns[0].type
        if all(c.type == columns[0].type for c in columns)
        else (pa.float64() if numeric else pa.string())
    )
    column = pa.concat_arrays([c.cast(common) for c in columns])
    definition = f"the element metric {name!r} of the element (a frame's, a label's or a " \
        "prediction's), else of its frame"  # fmt: skip
    return _column_colors(color_by, definition, column, rows, in_scope)


_DEFINITIONS = {
    "class": "a crop's class; a frame's most common label class (ties: the project's class order)",
    "outcome": "a crop's outcome at (conf, iou): TP, FP or FN; a frame's by its errors: "
    "no errors, FP only, FN only, FP and FN",
    "confusion": "a crop's outcome split by reason: TP, wrong class, FP (localization), FP "
    "(duplicate), FP (background), FN (localization), FN (missed); a frame's most common "
    "error among its objects, else no errors",
    "confidence": "a prediction's confidence; a label's matched (or compared) prediction's; "
    "a frame's mean over its counted predictions",
    "precision": "the frame's precision at (conf, iou): TP / (TP + FP), over its counted "
    "objects (a crop gets its frame's); none without predictions",
    "recall": "the frame's recall at (conf, iou): TP / (TP + FN) (a crop gets its frame's); "
    "none without ground truth",
    "f1": "the frame's F1 at (conf, iou): 2 TP / (2 TP + FP + FN) (a crop gets its "
    "frame's); none without predictions and ground truth",
}
_CLASSIFICATION_DEFINITIONS = {
    "class": "the frame's label class",
    "outcome": "the frame's prediction at conf: correct, wrong class, or below threshold",
    "confusion": "the frame's prediction at conf: correct, below threshold, or the pair "
    "'true class \u2192 predicted class' of a wrong one",
    "confidence": "the frame's top-1 score (its prediction's confidence)",
}


def projection_colors(
    dataset: Dataset,
    projection: ColorSource,
    color_by: str,
    *,
    inference_set: str | None = None,
    conf: Conf | None = None,
    iou: float | None = None,
    segment: Segment | str | None = None,
    query: str | None = None,
) -> PointColors:
    """One color value for each of ``projection``'s elements (see the module doc and
    docs/embeddings.md): ``color_by`` one of :data:`COLOR_BY`, ``metadata:KEY`` or
    ``metric:NAME``."""
    if not isinstance(color_by, str):
        raise InputError(f"color_by is text, got {type(color_by).__name__}")
    frames = dataset.frames()
    elements = _Elements.of(projection, frames)
    if (elements.source < 0).any():
        at = int(np.flatnonzero(elements.source < 0)[0])
        raise InputError(
            f"element {at}: source {elements.ids[at]!r} is not frame, label or prediction"
        )
    in_scope = None
    if segment is not None or query is not None:
        selected = dataset._selection(segment, query)
        if selected is not None:
            in_scope = np.asarray(
                pc.is_in(elements.frame_ids, value_set=pa.array(selected, pa.string())), bool
            )
    if inference_set is not None:
        dataset.inference_set(inference_set)  # NotFoundError naming it
    classification = dataset.project.task == "classification"
    definitions = {**_DEFINITIONS, **(_CLASSIFICATION_DEFINITIONS if classification else {})}
    if color_by.startswith(METADATA_PREFIX):
        return _metadata(color_by, color_by[len(METADATA_PREFIX) :], elements, frames, in_scope)
    if color_by.startswith(METRIC_PREFIX):
        name = color_by[len(METRIC_PREFIX) :]
        return _metric(dataset, color_by, name, elements, frames, in_scope)
    if color_by not in COLOR_BY:
        raise InputError(
            f"cannot color by {color_by!r}; use one of {', '.join(COLOR_BY)}, "
            "metadata:KEY or metric:NAME"
        )
    definition = definitions[color_by]
    if color_by == "class":
        categories, codes = _class_codes(dataset, elements, frames, inference_set)
        return _categorical(color_by, definition, categories, codes, in_scope)
    sets = _Sets(dataset, frames, inference_set, conf, iou)
    if color_by in ("outcome", "confusion"):
        scheme: Literal["outcome", "confusion"] = (
            "outcome" if color_by == "outcome" else "confusion"
        )
        categories, codes = _outcome_codes(elements, sets, scheme)
        return _categorical(color_by, definition, categories, codes, in_scope)
    if color_by == "confidence":
        return _continuous(color_by, definition, _confidence(elements, sets), in_scope)
    score: Callable[[_SetOutcomes], NDArray[np.float64]] = {
        "precision": lambda read: read.counts.precision(),
        "recall": lambda read: read.counts.recall(),
        "f1": lambda read: read.counts.f1(),
    }[color_by]
    return _continuous(color_by, definition, _frame_values(elements, sets, score), in_scope)
