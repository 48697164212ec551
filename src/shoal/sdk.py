"""The upload SDK: build Shoal's tables frame by frame, or load them from columns at once.

The frame builders have the shape of Aquarium's ``LabeledFrame`` / ``InferencesFrame``,
so upload scripts written against that API port with few changes::

    frame = LabeledFrame(frame_id="img_001")
    frame.add_image(image_url="data/img_001.jpg", width=640, height=480)
    frame.add_label_2d_bbox(
        label_id="img_001_0", classification="car", top=10, left=20, width=50, height=30
    )
    frame.add_user_metadata("weather", "rain")
    dataset = LabeledDataset()
    dataset.add_frame(frame)
    tables = dataset.to_tables()  # a validated shoal.tables.DatasetTables

Builders check what is cheap at the point of use (types, finite numbers, confidence in
[0, 1], duplicate ids within a frame, crop embeddings of unknown labels, frames added
twice, metadata types, embedding lengths) and raise :class:`~shoal.errors.InputError`
naming the frame and label. They collect plain Python values; Arrow columns are built
once, in ``to_tables()``, which then validates everything else through
:meth:`DatasetTables.build <shoal.tables.DatasetTables.build>` /
:meth:`InferenceTables.build <shoal.tables.InferenceTables.build>`.

For speed, :meth:`LabeledDataset.from_columns` and :meth:`Inferences.from_columns` take
whole columns: a pyarrow ``Table``, a pandas ``DataFrame`` or a mapping of column name to
list / NumPy array, named as in :mod:`shoal.tables` or by these aliases:

=================  ==================================================
alias              column
=================  ==================================================
``left``           ``x``
``top``            ``y``
``classification`` ``class_name``
``image_url``      ``image_uri`` (frames)
``label_id``       ``prediction_id`` (predictions), ``target_id`` (embeddings)
``embedding``      ``vector`` (embeddings)
=================  ==================================================

NaN means missing (null), as in pandas, in every column but ``confidence``, where it is
an error (a missing confidence is null, and counts as 1.0). A NaN metadata value given
to a builder is missing too. Vectors (``vector``, ``probabilities``)
may be a 2-D NumPy array (one row per record) or a sequence of sequences (``None`` for
missing probabilities).
"""

from __future__ import annotations

import json
import math
import numbers
import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Literal, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from shoal.errors import InputError
from shoal.tables import (
    EMBEDDINGS_SCHEMA,
    LABELS_SCHEMA,
    PREDICTIONS_SCHEMA,
    RESERVED_METADATA_KEYS,
    DatasetTables,
    InferenceTables,
)

__all__ = [
    "DEFAULT_MODEL_ID",
    "Inferences",
    "InferencesFrame",
    "LabeledDataset",
    "LabeledFrame",
    "MetadataType",
    "MetadataValue",
]

DEFAULT_MODEL_ID = "default"

MetadataValue: TypeAlias = bool | int | float | str | None
MetadataType: TypeAlias = Literal["bool", "int", "float", "str"]
# What ``from_columns`` accepts: a pyarrow Table or RecordBatch, a pandas DataFrame, or a
# mapping of column name to values.
Columns: TypeAlias = Any
FrameIds: TypeAlias = Any

_ARROW_METADATA_TYPES: dict[MetadataType, pa.DataType] = {
    "bool": pa.bool_(),
    "int": pa.int64(),
    "float": pa.float64(),
    "str": pa.string(),
}
_VECTOR = pa.list_(pa.float32())

_FRAME_ALIASES = {"image_url": "image_uri"}
_LABEL_ALIASES = {"left": "x", "top": "y", "classification": "class_name"}
_PREDICTION_ALIASES = {**_LABEL_ALIASES, "label_id": "prediction_id"}
_EMBEDDING_ALIASES = {"label_id": "target_id", "prediction_id": "target_id", "embedding": "vector"}
_VECTOR_COLUMNS = frozenset({"vector", "probabilities"})
# The one column where NaN is not pandas' "missing" but an error.
_NAN_IS_AN_ERROR = "confidence"

_OptionalFloat: TypeAlias = float | None
# label_id, class_name, x, y, width, height, area, iscrowd, ignore, attributes
_LabelRow: TypeAlias = tuple[
    str, str, _OptionalFloat, _OptionalFloat, _OptionalFloat, _OptionalFloat, _OptionalFloat,
    bool, bool, str | None,
]  # fmt: skip
# prediction_id, class_name, x, y, width, height, confidence, probabilities
_PredictionRow: TypeAlias = tuple[
    str, str, _OptionalFloat, _OptionalFloat, _OptionalFloat, _OptionalFloat, float,
    list[float] | None,
]  # fmt: skip
# target_id (None for a frame embedding), model_id, vector
_EmbeddingRow: TypeAlias = tuple[str | None, str, NDArray[np.float32]]


# ---------------------------------------------------------------------------------------
# Point-of-use checks


def _place(frame_id: str, object_id: str | None = None, kind: str = "label") -> str:
    return (
        f"frame {frame_id!r}" if object_id is None else f"frame {frame_id!r}, {kind} {object_id!r}"
    )


def _text(value: object, what: str, place: str | None) -> str:
    if not isinstance(value, str) or not value:
        prefix = f"{place}: " if place else ""
        raise InputError(f"{prefix}{what} must be a non-empty string, got {value!r}")
    return value


def _number(
    value: object,
    what: str,
    place: str,
    *,
    non_negative: bool = False,
    at_most: float | None = None,
) -> float:
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise InputError(f"{place}: {what} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise InputError(f"{place}: {what} {number} is not finite")
    if non_negative and number < 0:
        raise InputError(f"{place}: {what} {number:g} is negative")
    if at_most is not None and number > at_most:
        raise InputError(f"{place}: {what} {number:g} is greater than {at_most:g}")
    return number


def _flag(value: object, what: str, place: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool | np.bool_):
        raise InputError(f"{place}: {what} must be True or False, got {value!r}")
    return bool(value)


def _pixels(value: object, what: str, place: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise InputError(f"{place}: image {what} must be a whole number, got {value!r}")
    if int(value) <= 0:
        raise InputError(f"{place}: image {what} {int(value)} is not positive")
    return int(value)


def _vector(values: object, what: str, place: str) -> NDArray[np.float32]:
    try:
        vector = np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise InputError(f"{place}: {what} is not a list of numbers") from error
    if vector.ndim != 1 or vector.size == 0:
        raise InputError(
            f"{place}: {what} must be a non-empty list of numbers, got shape {vector.shape}"
        )
    with np.errstate(over="ignore"):
        single = vector.astype(np.float32)
    if not np.isfinite(single).all():
        raise InputError(f"{place}: {what} has a value that is not finite (in float32)")
    return single


def _metadata_entry(
    value: object, declared: MetadataType | None, key: str, place: str
) -> tuple[MetadataType | None, MetadataValue]:
    """The type and plain Python value of a metadata value (NumPy scalars accepted)."""
    kind: MetadataType | None
    plain: MetadataValue
    if value is None:
        kind, plain = None, None
    elif isinstance(value, bool | np.bool_):
        kind, plain = "bool", bool(value)
    elif isinstance(value, numbers.Integral):
        kind, plain = "int", int(value)
    elif isinstance(value, numbers.Real):
        kind, plain = "float", None if math.isnan(value) else float(value)
    elif isinstance(value, str):
        kind, plain = "str", str(value)
    else:
        raise InputError(
            f"{place}: metadata {key!r} must be a bool, int, float, str or None, "
            f"got {type(value).__name__}"
        )
    if declared is None:
        return kind, plain
    if declared not in _ARROW_METADATA_TYPES:
        raise InputError(
            f"{place}: metadata {key!r} val_type {declared!r} is not one of "
            f"{', '.join(_ARROW_METADATA_TYPES)}"
        )
    if kind == "int" and declared == "float":
        return "float", float(plain)  # type: ignore[arg-type]
    if kind is not None and kind != declared:
        raise InputError(f"{place}: metadata {key!r} is {kind}, but val_type is {declared!r}")
    return declared, plain


def _timestamp(value: object, what: str, place: str) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return _text(value, what, place)


# ---------------------------------------------------------------------------------------
# Frame builders


class _FrameBuilder:
    """What labeled and inference frames share: an id, a sensor, unique object ids and
    embeddings."""

    _object_kind = "label"

    def __init__(self, frame_id: str) -> None:
        self._frame_id = _text(frame_id, "frame_id", None)
        self._sensor_id: str | None = None
        self._object_ids: set[str] = set()
        self._embeddings: list[_EmbeddingRow] = []
        self._embedding_keys: set[tuple[str | None, str]] = set()
        self._embedding_lengths: dict[str, int] = {}

    @property
    def frame_id(self) -> str:
        return self._frame_id

    def _place(self, object_id: str | None = None) -> str:
        return _place(self._frame_id, object_id, self._object_kind)

    def _check_sensor(self, sensor_id: str | None, place: str) -> None:
        """Shoal frames hold one image: every sensor id a frame names must be the same."""
        if sensor_id is None:
            return
        _text(sensor_id, "sensor_id", place)
        if self._sensor_id is not None and sensor_id != self._sensor_id:
            raise InputError(
                f"{place}: sensor {sensor_id!r} is not the frame's sensor {self._sensor_id!r} "
                "(a Shoal frame holds one image)"
            )

    def _new_object_id(self, object_id: object) -> str:
        place = self._place(object_id if isinstance(object_id, str) and object_id else None)
        checked = _text(object_id, f"{self._object_kind}_id", place)
        if checked in self._object_ids:
            raise InputError(f"{place}: duplicate {self._object_kind} id within the frame")
        return checked

    def _claim(self, object_id: str, sensor_id: str | None) -> None:
        """Record a fully validated object (nothing is recorded by a call that raises)."""
        self._object_ids.add(object_id)
        if sensor_id is not None:
            self._sensor_id = sensor_id

    def _add_embedding(
        self, target_id: str | None, embedding: object, model_id: object, place: str
    ) -> None:
        model = _text(model_id, "model_id", place)
        vector = _vector(embedding, "embedding", place)
        what = "crop embedding" if target_id is not None else "frame embedding"
        if (target_id, model) in self._embedding_keys:
            raise InputError(f"{place}: a second {what} of model {model!r}")
        expected = self._embedding_lengths.get(model)
        if expected is not None and vector.size != expected:
            raise InputError(
                f"{place}: {what} of model {model!r} has length {vector.size}, but the "
                f"model's other vectors have length {expected}"
            )
        self._embedding_keys.add((target_id, model))
        self._embedding_lengths[model] = vector.size
        self._embeddings.append((target_id, model, vector))

    def add_frame_embedding(self, *, embedding: object, model_id: str = DEFAULT_MODEL_ID) -> None:
        """The whole frame's embedding vector (one per model)."""
        self._add_embedding(None, embedding, model_id, self._place())

    def add_crop_embedding(
        self, *, label_id: str, embedding: object, model_id: str = DEFAULT_MODEL_ID
    ) -> None:
        """The embedding of one object of this frame, added before (one per model)."""
        place = self._place(label_id if isinstance(label_id, str) else None)
        _text(label_id, "label_id", place)
        if label_id not in self._object_ids:
            raise InputError(
                f"{place}: crop embedding of a {self._object_kind} the frame does "
                f"not have (add the {self._object_kind} first)"
            )
        self._add_embedding(label_id, embedding, model_id, place)


class LabeledFrame(_FrameBuilder):
    """One frame of a labeled dataset: its image, ground-truth labels, metadata and
    embeddings. ``date_captured`` and ``device_id`` are kept as string metadata."""

    _object_kind = "label"

    def __init__(
        self,
        *,
        frame_id: str,
        date_captured: str | datetime | None = None,
        device_id: str | None = None,
    ) -> None:
        super().__init__(frame_id)
        self._image_uri: str | None = None
        self._width: int | None = None
        self._height: int | None = None
        self._has_image = False
        self._labels: list[_LabelRow] = []
        self._metadata: dict[str, MetadataValue] = {}
        self._metadata_types: dict[str, MetadataType] = {}
        if date_captured is not None:
            self._set_metadata(
                "date_captured", _timestamp(date_captured, "date_captured", self._place()), "str"
            )
        if device_id is not None:
            self._set_metadata("device_id", _text(device_id, "device_id", self._place()), "str")

    def __repr__(self) -> str:
        return f"LabeledFrame(frame_id={self._frame_id!r}, labels={len(self._labels)})"

    @property
    def label_ids(self) -> list[str]:
        return [row[0] for row in self._labels]

    def add_image(
        self,
        *,
        image_url: str | os.PathLike[str] | None = None,
        width: int | None = None,
        height: int | None = None,
        sensor_id: str | None = None,
        date_captured: str | datetime | None = None,
    ) -> None:
        """The frame's image: a local path or URL and its size in pixels. ``sensor_id``
        and ``date_captured``, if given, are kept as string metadata."""
        place = self._place()
        if self._has_image:
            raise InputError(f"{place}: a second image (a Shoal frame holds one image)")
        uri = None
        if image_url is not None:
            uri = _text(
                os.fspath(image_url) if isinstance(image_url, os.PathLike) else image_url,
                "image_url",
                place,
            )
        checked_width, checked_height = (
            _pixels(width, "width", place),
            _pixels(height, "height", place),
        )
        self._check_sensor(sensor_id, place)
        stamp = None if date_captured is None else _timestamp(date_captured, "date_captured", place)
        for key, value in (("sensor_id", sensor_id), ("date_captured", stamp)):
            if value is not None and key in self._metadata:
                raise InputError(f"{place}: metadata {key!r} is already set")
        for key, value in (("sensor_id", sensor_id), ("date_captured", stamp)):
            if value is not None:
                self._set_metadata(key, value, "str")
        self._image_uri, self._width, self._height = uri, checked_width, checked_height
        self._has_image = True
        if sensor_id is not None:
            self._sensor_id = sensor_id

    def _set_metadata(self, key: str, value: MetadataValue, kind: MetadataType | None) -> None:
        self._metadata[key] = value
        if kind is not None:
            self._metadata_types[key] = kind

    def add_user_metadata(
        self, key: str, val: MetadataValue, val_type: MetadataType | None = None
    ) -> None:
        """A typed metadata value (bool, int, float, str or None); ``val_type`` types a
        None. A key keeps one type across the frames of a dataset."""
        place = self._place()
        _text(key, "metadata key", place)
        if key in RESERVED_METADATA_KEYS or key.startswith("_"):
            raise InputError(f"{place}: metadata key {key!r} is reserved")
        if key in self._metadata:
            raise InputError(f"{place}: metadata {key!r} is already set")
        kind, plain = _metadata_entry(val, val_type, key, place)
        self._set_metadata(key, plain, kind)

    def _add_label(
        self,
        label_id: str,
        classification: object,
        box: tuple[float | None, float | None, float | None, float | None],
        area: object,
        iscrowd: object,
        ignore: object,
        user_attrs: Mapping[str, Any] | None,
        sensor_id: str | None,
    ) -> None:
        place = self._place(label_id)
        class_name = _text(classification, "classification", place)
        checked_area = None if area is None else _number(area, "area", place, non_negative=True)
        crowd, ignored = _flag(iscrowd, "iscrowd", place), _flag(ignore, "ignore", place)
        attributes = None
        if user_attrs is not None:
            if not isinstance(user_attrs, Mapping):
                raise InputError(f"{place}: user_attrs must be a mapping")
            try:
                attributes = json.dumps(dict(user_attrs), allow_nan=False)
            except (TypeError, ValueError) as error:
                raise InputError(
                    f"{place}: user_attrs is not JSON-serializable: {error}"
                ) from error
        self._check_sensor(sensor_id, place)
        x, y, width, height = box
        self._labels.append(
            (label_id, class_name, x, y, width, height, checked_area, crowd, ignored, attributes)
        )
        self._claim(label_id, sensor_id)

    def add_label_2d_bbox(
        self,
        *,
        label_id: str,
        classification: str,
        top: float,
        left: float,
        width: float,
        height: float,
        iscrowd: bool | None = None,
        area: float | None = None,
        ignore: bool = False,
        user_attrs: Mapping[str, Any] | None = None,
        sensor_id: str | None = None,
    ) -> None:
        """A ground-truth box in pixels (``top``/``left`` of its top-left corner).
        ``area`` is for COCO area ranges (default width * height); ``ignore`` keeps the
        box as ignored ground truth; ``user_attrs`` is stored as JSON."""
        checked_id = self._new_object_id(label_id)
        place = self._place(checked_id)
        box = (
            _number(left, "left", place),
            _number(top, "top", place),
            _number(width, "width", place, non_negative=True),
            _number(height, "height", place, non_negative=True),
        )
        self._add_label(
            checked_id, classification, box, area, iscrowd, ignore, user_attrs, sensor_id
        )

    def add_label_2d_classification(
        self,
        *,
        label_id: str,
        classification: str,
        user_attrs: Mapping[str, Any] | None = None,
        sensor_id: str | None = None,
    ) -> None:
        """A frame-level class label (no box)."""
        checked_id = self._new_object_id(label_id)
        self._add_label(
            checked_id,
            classification,
            (None, None, None, None),
            None,
            None,
            None,
            user_attrs,
            sensor_id,
        )


class InferencesFrame(_FrameBuilder):
    """One frame of a model's predictions, and their embeddings."""

    _object_kind = "prediction"

    def __init__(self, *, frame_id: str) -> None:
        super().__init__(frame_id)
        self._predictions: list[_PredictionRow] = []

    def __repr__(self) -> str:
        return f"InferencesFrame(frame_id={self._frame_id!r}, predictions={len(self._predictions)})"

    @property
    def prediction_ids(self) -> list[str]:
        return [row[0] for row in self._predictions]

    def add_inference_2d_bbox(
        self,
        *,
        label_id: str,
        classification: str,
        top: float,
        left: float,
        width: float,
        height: float,
        confidence: float,
        sensor_id: str | None = None,
    ) -> None:
        """A predicted box in pixels with its confidence in [0, 1]; ``label_id`` is the
        prediction's id."""
        checked_id = self._new_object_id(label_id)
        place = self._place(checked_id)
        class_name = _text(classification, "classification", place)
        x = _number(left, "left", place)
        y = _number(top, "top", place)
        checked_width = _number(width, "width", place, non_negative=True)
        checked_height = _number(height, "height", place, non_negative=True)
        score = _number(confidence, "confidence", place, non_negative=True, at_most=1.0)
        self._check_sensor(sensor_id, place)
        self._predictions.append(
            (checked_id, class_name, x, y, checked_width, checked_height, score, None)
        )
        self._claim(checked_id, sensor_id)

    def add_inference_2d_classification(
        self,
        *,
        label_id: str,
        classification: str,
        confidence: float,
        probabilities: Sequence[float] | NDArray[np.floating[Any]] | None = None,
        sensor_id: str | None = None,
    ) -> None:
        """A frame-level predicted class with its confidence; ``probabilities`` (optional)
        holds one score in [0, 1] per class, in the project's class order."""
        checked_id = self._new_object_id(label_id)
        place = self._place(checked_id)
        class_name = _text(classification, "classification", place)
        score = _number(confidence, "confidence", place, non_negative=True, at_most=1.0)
        scores = None
        if probabilities is not None:
            vector = np.asarray(_vector(probabilities, "probabilities", place), dtype=np.float64)
            if ((vector < 0) | (vector > 1)).any():
                raise InputError(f"{place}: probabilities must be in [0, 1]")
            scores = np.asarray(probabilities, dtype=np.float64).tolist()
        self._check_sensor(sensor_id, place)
        self._predictions.append((checked_id, class_name, None, None, None, None, score, scores))
        self._claim(checked_id, sensor_id)


# ---------------------------------------------------------------------------------------
# Collections of frames


def _merge_metadata_types(
    known: Mapping[str, tuple[MetadataType, str]], frame: LabeledFrame
) -> dict[str, tuple[MetadataType, str]]:
    """The types ``frame`` adds to ``known`` (key -> type, first frame); raises if the
    frame gives a known key another type."""
    added: dict[str, tuple[MetadataType, str]] = {}
    for key, kind in frame._metadata_types.items():
        seen = known.get(key)
        if seen is None:
            added[key] = (kind, frame.frame_id)
        elif seen[0] != kind:
            raise InputError(
                f"frame {frame.frame_id!r}: metadata {key!r} is {kind}, but it is {seen[0]} "
                f"in frame {seen[1]!r} (a key keeps one type across frames)"
            )
    return added


def _merge_embedding_lengths(
    known: Mapping[str, tuple[int, str]], frame: _FrameBuilder
) -> dict[str, tuple[int, str]]:
    added: dict[str, tuple[int, str]] = {}
    for model, length in frame._embedding_lengths.items():
        seen = known.get(model)
        if seen is None:
            added[model] = (length, frame.frame_id)
        elif seen[0] != length:
            raise InputError(
                f"frame {frame.frame_id!r}: embeddings of model {model!r} have length {length}, "
                f"but {seen[0]} in frame {seen[1]!r} (one model, one length)"
            )
    return added


def _vectors_array(vectors: Sequence[NDArray[np.float32]]) -> pa.Array:
    """A list<float32> array of ``vectors``, built from one flat buffer."""
    offsets = np.zeros(len(vectors) + 1, np.int64)
    np.cumsum([vector.size for vector in vectors], out=offsets[1:])
    values = np.concatenate(vectors) if vectors else np.zeros(0, np.float32)
    return _list_array(offsets, values)


def _list_array(offsets: NDArray[np.int64], values: NDArray[Any]) -> pa.Array:
    if offsets[-1] > np.iinfo(np.int32).max:
        raise InputError(f"{offsets[-1]} vector values do not fit one table (at most 2**31 - 1)")
    return pa.ListArray.from_arrays(
        pa.array(offsets.astype(np.int32)), pa.array(np.asarray(values, np.float32))
    )


def _embeddings_table(frames: Iterable[_FrameBuilder]) -> pa.Table:
    frame_ids: list[str] = []
    target_ids: list[str | None] = []
    model_ids: list[str] = []
    vectors: list[NDArray[np.float32]] = []
    for frame in frames:
        for target_id, model_id, vector in frame._embeddings:
            frame_ids.append(frame.frame_id)
            target_ids.append(target_id)
            model_ids.append(model_id)
            vectors.append(vector)
    return pa.Table.from_arrays(
        [
            pa.array(frame_ids, pa.string()),
            pa.array(target_ids, pa.string()),
            pa.array(model_ids, pa.string()),
            _vectors_array(vectors),
        ],
        schema=EMBEDDINGS_SCHEMA,
    )


def _columns_of(rows: Sequence[tuple[Any, ...]], width: int) -> list[list[Any]]:
    if not rows:
        return [[] for _ in range(width)]
    return [list(column) for column in zip(*rows, strict=True)]


class LabeledDataset:
    """A labeled dataset built frame by frame: ``add_frame``, then ``to_tables()``."""

    def __init__(self) -> None:
        self._frames: dict[str, LabeledFrame] = {}
        self._metadata_types: dict[str, tuple[MetadataType, str]] = {}
        self._embedding_lengths: dict[str, tuple[int, str]] = {}

    def __len__(self) -> int:
        return len(self._frames)

    def __repr__(self) -> str:
        return f"LabeledDataset(frames={len(self._frames)})"

    @property
    def frame_ids(self) -> list[str]:
        return list(self._frames)

    def add_frame(self, frame: LabeledFrame) -> None:
        """Add a frame; its metadata types and embedding lengths must agree with the
        frames added before."""
        if not isinstance(frame, LabeledFrame):
            raise InputError(f"add_frame takes a LabeledFrame, got {type(frame).__name__}")
        if frame.frame_id in self._frames:
            raise InputError(f"frame {frame.frame_id!r}: the frame was already added")
        new_types = _merge_metadata_types(self._metadata_types, frame)
        new_lengths = _merge_embedding_lengths(self._embedding_lengths, frame)
        self._metadata_types.update(new_types)
        self._embedding_lengths.update(new_lengths)
        self._frames[frame.frame_id] = frame

    def to_tables(self) -> DatasetTables:
        """The frames, labels and embeddings as validated Arrow tables."""
        frames = list(self._frames.values())
        return _dataset_tables(
            _frames_table(frames), _labels_table(frames), _embeddings_table(frames), source=None
        )

    @classmethod
    def from_columns(
        cls, *, frames: Columns, labels: Columns | None = None, embeddings: Columns | None = None
    ) -> DatasetTables:
        """Validated tables straight from columns (the fast path for large datasets).

        ``frames``: ``frame_id``, optional ``image_uri`` (alias ``image_url``), ``width``,
        ``height``; every other column is a metadata key. ``labels``: ``label_id``,
        ``frame_id``, ``class_name`` (``classification``), ``x`` (``left``), ``y``
        (``top``), ``width``, ``height``, optional ``area``, ``iscrowd``, ``ignore``,
        ``attributes``. ``embeddings``: ``frame_id``, ``vector`` (``embedding``),
        optional ``target_id`` (``label_id``) and ``model_id`` (default ``"default"``).
        """
        frames_table = _read_columns(frames, "frames", _FRAME_ALIASES, None)
        labels_table = (
            LABELS_SCHEMA.empty_table()
            if labels is None
            else _read_columns(labels, "labels", _LABEL_ALIASES, LABELS_SCHEMA.names)
        )
        return _dataset_tables(
            frames_table, labels_table, _read_embeddings(embeddings), source="columns"
        )


class Inferences:
    """A model's predictions built frame by frame: ``add_frame``, then ``to_tables()``."""

    def __init__(self) -> None:
        self._frames: dict[str, InferencesFrame] = {}
        self._embedding_lengths: dict[str, tuple[int, str]] = {}

    def __len__(self) -> int:
        return len(self._frames)

    def __repr__(self) -> str:
        return f"Inferences(frames={len(self._frames)})"

    @property
    def frame_ids(self) -> list[str]:
        return list(self._frames)

    def add_frame(self, frame: InferencesFrame) -> None:
        if not isinstance(frame, InferencesFrame):
            raise InputError(f"add_frame takes an InferencesFrame, got {type(frame).__name__}")
        if frame.frame_id in self._frames:
            raise InputError(f"frame {frame.frame_id!r}: the frame was already added")
        self._embedding_lengths.update(_merge_embedding_lengths(self._embedding_lengths, frame))
        self._frames[frame.frame_id] = frame

    def to_tables(self, frame_ids: FrameIds = None) -> InferenceTables:
        """The predictions and embeddings as validated Arrow tables. With ``frame_ids``
        (the dataset's: a ``DatasetTables``, ``LabeledDataset``, Arrow array or iterable
        of strings), predictions and embeddings on other frames are errors."""
        frames = list(self._frames.values())
        return _inference_tables(
            _predictions_table(frames), _embeddings_table(frames), frame_ids, source=None
        )

    @classmethod
    def from_columns(
        cls, *, predictions: Columns, embeddings: Columns | None = None, frame_ids: FrameIds = None
    ) -> InferenceTables:
        """Validated tables straight from columns (the fast path for large inference sets).

        ``predictions``: ``frame_id``, ``class_name`` (``classification``), ``x``
        (``left``), ``y`` (``top``), ``width``, ``height``, optional ``prediction_id``
        (``label_id``; numbered 1..n if absent), ``confidence`` (1.0 if absent) and
        ``probabilities``. ``embeddings`` as for :meth:`LabeledDataset.from_columns`,
        ``target_id`` naming a prediction.
        """
        table = _read_columns(
            predictions, "predictions", _PREDICTION_ALIASES, PREDICTIONS_SCHEMA.names
        )
        return _inference_tables(table, _read_embeddings(embeddings), frame_ids, source="columns")


def _frames_table(frames: Sequence[LabeledFrame]) -> pa.Table:
    types: dict[str, tuple[MetadataType, str]] = {}
    keys: dict[str, None] = {}
    for frame in frames:
        types.update(_merge_metadata_types(types, frame))
        keys.update(dict.fromkeys(frame._metadata))
    columns: dict[str, pa.Array] = {
        "frame_id": pa.array([f.frame_id for f in frames], pa.string()),
        "image_uri": pa.array([f._image_uri for f in frames], pa.string()),
        "width": pa.array([f._width for f in frames], pa.int32()),
        "height": pa.array([f._height for f in frames], pa.int32()),
    }
    for key in keys:
        # A key that only ever holds None has no type; the frames schema stores it as string.
        kind: MetadataType = types[key][0] if key in types else "str"
        columns[key] = pa.array([f._metadata.get(key) for f in frames], _ARROW_METADATA_TYPES[kind])
    return pa.table(columns)


def _labels_table(frames: Sequence[LabeledFrame]) -> pa.Table:
    rows = [row for frame in frames for row in frame._labels]
    frame_ids = [frame.frame_id for frame in frames for _ in frame._labels]
    label_id, class_name, x, y, width, height, area, iscrowd, ignore, attributes = _columns_of(
        rows, 10
    )
    return pa.Table.from_arrays(
        [
            pa.array(label_id, pa.string()),
            pa.array(frame_ids, pa.string()),
            pa.array(class_name, pa.string()),
            pa.array(x, pa.float64()),
            pa.array(y, pa.float64()),
            pa.array(width, pa.float64()),
            pa.array(height, pa.float64()),
            pa.array(area, pa.float64()),
            pa.array(iscrowd, pa.bool_()),
            pa.array(ignore, pa.bool_()),
            pa.array(attributes, pa.string()),
        ],
        schema=LABELS_SCHEMA,
    )


def _predictions_table(frames: Sequence[InferencesFrame]) -> pa.Table:
    rows = [row for frame in frames for row in frame._predictions]
    frame_ids = [frame.frame_id for frame in frames for _ in frame._predictions]
    prediction_id, class_name, x, y, width, height, confidence, probabilities = _columns_of(rows, 8)
    return pa.Table.from_arrays(
        [
            pa.array(prediction_id, pa.string()),
            pa.array(frame_ids, pa.string()),
            pa.array(class_name, pa.string()),
            pa.array(x, pa.float64()),
            pa.array(y, pa.float64()),
            pa.array(width, pa.float64()),
            pa.array(height, pa.float64()),
            pa.array(confidence, pa.float64()),
            pa.array(probabilities, _VECTOR),
        ],
        schema=PREDICTIONS_SCHEMA,
    )


# ---------------------------------------------------------------------------------------
# Columns in, validated tables out (shared by the builders and the bulk path)


def _column_items(data: Columns, what: str) -> list[tuple[object, object]]:
    if isinstance(data, Mapping):
        return list(data.items())
    if hasattr(data, "columns") and hasattr(data, "__getitem__"):  # a pandas DataFrame
        return [(name, data[name]) for name in data.columns]
    raise InputError(
        f"cannot read {what} from a {type(data).__name__}; give a pyarrow Table, a pandas "
        "DataFrame or a mapping of column name to values"
    )


def _arrow_column(name: str, values: object, what: str) -> pa.Array | pa.ChunkedArray:
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values
    if not isinstance(values, np.ndarray) and hasattr(values, "to_numpy"):  # a pandas Series
        values = values.to_numpy()
    try:
        if name in _VECTOR_COLUMNS:
            return _vector_column(values)
        if isinstance(values, np.ndarray):
            if values.ndim != 1:
                raise InputError(
                    f"{what} column {name!r} must be one-dimensional, got shape {values.shape}"
                )
            return pa.array(values, from_pandas=name != _NAN_IS_AN_ERROR)
        if isinstance(values, str | bytes) or not isinstance(values, Iterable):
            raise InputError(f"{what} column {name!r} is not a sequence of values")
        return pa.array(list(values), from_pandas=name != _NAN_IS_AN_ERROR)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as error:
        if isinstance(error, InputError):
            raise
        raise InputError(f"{what} column {name!r} cannot be read: {error}") from error


def _vector_column(values: object) -> pa.Array:
    if isinstance(values, np.ndarray) and values.ndim == 2:
        rows, length = values.shape
        offsets = np.arange(rows + 1, dtype=np.int64) * length
        return _list_array(offsets, np.ascontiguousarray(values, np.float32).reshape(-1))
    if isinstance(values, np.ndarray):
        values = values.tolist()
    if not isinstance(values, Iterable):
        raise TypeError("expected a sequence of vectors")
    return pa.array(
        [None if v is None else np.asarray(v, dtype=np.float32) for v in values], _VECTOR
    )


def _read_columns(
    data: Columns, what: str, aliases: Mapping[str, str], allowed: Sequence[str] | None
) -> pa.Table:
    """``data`` as an Arrow table with canonical column names."""
    if isinstance(data, pa.RecordBatch):
        data = pa.Table.from_batches([data])
    if isinstance(data, pa.Table):
        given: list[object] = list(data.column_names)
        arrays: list[pa.Array | pa.ChunkedArray] = list(data.columns)
    else:
        items = _column_items(data, what)
        given = [name for name, _ in items]
        arrays = []
    names: list[str] = []
    for name in given:
        if not isinstance(name, str):
            raise InputError(f"{what} column name {name!r} is not a string")
        canonical = aliases.get(name, name)
        if canonical in names:
            raise InputError(f"{what} column {canonical!r} is given twice (as {name!r} too)")
        names.append(canonical)
    if allowed is not None and (unknown := [n for n in names if n not in allowed]):
        raise InputError(
            f"{what} column {unknown[0]!r} is not known; {what} columns are "
            f"{', '.join(allowed)} (aliases: {', '.join(f'{a}={c}' for a, c in aliases.items())})"
        )
    if not isinstance(data, pa.Table):
        arrays = [
            _arrow_column(n, values, what) for n, (_, values) in zip(names, items, strict=True)
        ]
        lengths = {len(array) for array in arrays}
        if len(lengths) > 1:
            sizes = ", ".join(f"{n}={len(a)}" for n, a in zip(names, arrays, strict=True))
            raise InputError(f"{what} columns differ in length: {sizes}")
    return pa.Table.from_arrays(arrays, names=names)


def _read_embeddings(embeddings: Columns | None) -> pa.Table:
    if embeddings is None:
        return EMBEDDINGS_SCHEMA.empty_table()
    table = _read_columns(embeddings, "embeddings", _EMBEDDING_ALIASES, EMBEDDINGS_SCHEMA.names)
    if "model_id" not in table.column_names:
        table = table.append_column(
            "model_id", pa.array([DEFAULT_MODEL_ID] * table.num_rows, pa.string())
        )
    return table


def _dataset_tables(
    frames: pa.Table, labels: pa.Table, embeddings: pa.Table, *, source: str | None
) -> DatasetTables:
    tables = DatasetTables.build(frames, labels, embeddings, source=source)
    _check_embeddings(tables.embeddings, tables.labels, "label_id", "label", source)
    return tables


def _known_frame_ids(frame_ids: FrameIds) -> pa.ChunkedArray | None:
    if frame_ids is None:
        return None
    if isinstance(frame_ids, DatasetTables):
        column: pa.ChunkedArray = frame_ids.frames.column("frame_id")
        return column
    if isinstance(frame_ids, LabeledDataset):
        frame_ids = frame_ids.frame_ids
    if isinstance(frame_ids, pa.ChunkedArray):
        return frame_ids.cast(pa.string())
    if isinstance(frame_ids, pa.Array):
        return pa.chunked_array([frame_ids.cast(pa.string())])
    if isinstance(frame_ids, str) or not isinstance(frame_ids, Iterable):
        raise InputError(
            "frame_ids must be a DatasetTables, LabeledDataset, Arrow array or an "
            "iterable of frame ids"
        )
    return pa.chunked_array([pa.array(list(frame_ids), pa.string())])


def _inference_tables(
    predictions: pa.Table, embeddings: pa.Table, frame_ids: FrameIds, *, source: str | None
) -> InferenceTables:
    known = _known_frame_ids(frame_ids)
    tables = InferenceTables.build(predictions, embeddings, frame_ids=known, source=source)
    _check_probabilities(tables.predictions, source)
    _check_embeddings(tables.embeddings, tables.predictions, "prediction_id", "prediction", source)
    if known is not None:
        frames = tables.embeddings.column("frame_id")
        missing = pc.invert(pc.is_in(frames, value_set=known.combine_chunks()))
        if (bad := _first_true(missing)) is not None:
            raise InputError(
                f"embedding of unknown frame {frames[bad].as_py()!r}", source=source, record=bad
            )
    return tables


def _first_true(mask: pa.Array | pa.ChunkedArray | NDArray[np.bool_]) -> int | None:
    if isinstance(mask, pa.Array | pa.ChunkedArray):
        mask = np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)
    hits = np.flatnonzero(mask)
    return int(hits[0]) if hits.size else None


def _list_lengths(column: pa.ChunkedArray) -> NDArray[np.int64]:
    lengths = pc.fill_null(pc.list_value_length(column), -1)
    return np.asarray(lengths.to_numpy(zero_copy_only=False), dtype=np.int64)


def _flat_values(column: pa.ChunkedArray) -> NDArray[np.float64]:
    return np.asarray(pc.list_flatten(column).to_numpy(zero_copy_only=False), dtype=np.float64)


def _row_of_value(lengths: NDArray[np.int64], value_index: int) -> int:
    """The row holding flattened value ``value_index`` (null rows hold none)."""
    ends = np.cumsum(np.maximum(lengths, 0))
    return int(np.searchsorted(ends, value_index, side="right"))


def _check_embeddings(
    embeddings: pa.Table, targets: pa.Table, id_column: str, kind: str, source: str | None
) -> None:
    """Vectors present, non-empty and finite; one length per model; crop embeddings name an
    object of the same frame; one vector per (frame, object, model)."""
    if embeddings.num_rows == 0:
        return
    frames, target_ids = embeddings.column("frame_id"), embeddings.column("target_id")

    def where(row: int) -> str:
        return _place(frames[row].as_py(), target_ids[row].as_py(), kind)

    vectors = embeddings.column("vector")
    lengths = _list_lengths(vectors)
    if (bad := _first_true(lengths <= 0)) is not None:
        raise InputError(f"{where(bad)}: embedding has no vector", source=source, record=bad)
    values = _flat_values(vectors)
    if (bad_value := _first_true(~np.isfinite(values))) is not None:
        bad = _row_of_value(lengths, bad_value)
        raise InputError(
            f"{where(bad)}: embedding has a value that is not finite", source=source, record=bad
        )
    codes = np.asarray(
        pc.dictionary_encode(embeddings.column("model_id").combine_chunks()).indices.to_numpy(
            zero_copy_only=False
        ),
        dtype=np.int64,
    )
    _, first_rows = np.unique(codes, return_index=True)
    expected = lengths[first_rows][codes]
    if (bad := _first_true(lengths != expected)) is not None:
        first = int(first_rows[codes[bad]])
        model = embeddings.column("model_id")[bad].as_py()
        raise InputError(
            f"{where(bad)}: embedding of model {model!r} has length {lengths[bad]}, but "
            f"{expected[bad]} at {where(first)} (one model, one length)",
            source=source,
            record=bad,
        )
    position = pc.index_in(target_ids, value_set=targets.column(id_column).combine_chunks())
    has_target = np.asarray(target_ids.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    found = np.asarray(position.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    if (bad := _first_true(has_target & ~found)) is not None:
        raise InputError(
            f"{where(bad)}: crop embedding of a {kind} that does not exist",
            source=source,
            record=bad,
        )
    target_frames = pc.take(targets.column("frame_id"), position)
    other_frame = pc.and_(pc.is_valid(position), pc.not_equal(target_frames, frames))
    if (bad := _first_true(other_frame)) is not None:
        raise InputError(
            f"{where(bad)}: crop embedding of a {kind} of frame {target_frames[bad].as_py()!r}",
            source=source,
            record=bad,
        )
    keyed = embeddings.select(["frame_id", "target_id", "model_id"]).append_column(
        "row", pa.array(np.arange(embeddings.num_rows))
    )
    groups = keyed.group_by(["frame_id", "target_id", "model_id"]).aggregate(
        [("row", "count"), ("row", "min")]
    )
    if groups.num_rows != embeddings.num_rows:
        counts = np.asarray(groups.column("row_count").to_numpy(), dtype=np.int64)
        bad = int(groups.column("row_min")[int(np.flatnonzero(counts > 1)[0])].as_py())
        model = embeddings.column("model_id")[bad].as_py()
        raise InputError(
            f"{where(bad)}: more than one embedding of model {model!r}", source=source, record=bad
        )


def _check_probabilities(predictions: pa.Table, source: str | None) -> None:
    """Probabilities only on classification predictions, one length, each in [0, 1]."""
    column = predictions.column("probabilities")
    if column.null_count == predictions.num_rows:
        return

    def where(row: int) -> str:
        return _place(
            predictions.column("frame_id")[row].as_py(),
            predictions.column("prediction_id")[row].as_py(),
            "prediction",
        )

    lengths = _list_lengths(column)
    present = lengths >= 0
    has_box = np.asarray(predictions.column("x").is_valid().to_numpy(zero_copy_only=False), bool)
    if (bad := _first_true(present & has_box)) is not None:
        raise InputError(
            f"{where(bad)}: probabilities are for classification predictions (no box) only",
            source=source,
            record=bad,
        )
    first = int(np.flatnonzero(present)[0])
    if (bad := _first_true(present & (lengths != lengths[first]))) is not None:
        raise InputError(
            f"{where(bad)}: {lengths[bad]} probabilities, but {lengths[first]} at {where(first)} "
            "(one per class of the project)",
            source=source,
            record=bad,
        )
    values = _flat_values(column)
    if (bad_value := _first_true(~((values >= 0) & (values <= 1)))) is not None:
        bad = _row_of_value(lengths, bad_value)
        raise InputError(
            f"{where(bad)}: probability {values[bad_value]:g} is not in [0, 1]",
            source=source,
            record=bad,
        )
