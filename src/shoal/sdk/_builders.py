"""The frame builders: ``LabeledFrame`` / ``InferencesFrame`` collected into a
``LabeledDataset`` / ``Inferences``, checked at the point of use (see :mod:`shoal.sdk`)."""

from __future__ import annotations

import json
import math
import numbers
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Generic, TypeAlias, TypeVar

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from shoal.errors import InputError
from shoal.formats._validation import (
    METADATA_TYPES,
    MetadataType,
    MetadataValue,
    box_field_problem,
    metadata_arrow_type,
    metadata_entry,
    metadata_key_problem,
    plain,
)
from shoal.sdk._columns import (
    DEFAULT_MODEL_ID,
    FRAME_ALIASES,
    LABEL_ALIASES,
    PREDICTION_ALIASES,
    VECTOR,
    Columns,
    FrameIds,
    dataset_tables,
    inference_tables,
    list_array,
    place_of,
    read_columns,
    read_embeddings,
)
from shoal.tables import (
    EMBEDDINGS_SCHEMA,
    LABELS_SCHEMA,
    PREDICTIONS_SCHEMA,
    DatasetTables,
    InferenceTables,
)

_OptionalFloat: TypeAlias = float | None
_Frame = TypeVar("_Frame", bound="_FrameBuilder")
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


def _text(value: object, what: str, place: str | None) -> str:
    if not isinstance(value, str) or not value:
        prefix = f"{place}: " if place else ""
        raise InputError(f"{prefix}{what} must be a non-empty string, got {plain(value)!r}")
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
        raise InputError(f"{place}: {what} must be a number, got {plain(value)!r}")
    number = float(value)
    if not math.isfinite(number):
        raise InputError(f"{place}: {what} {number} is not finite")
    if non_negative and number < 0:
        raise InputError(f"{place}: {what} {number:g} is negative")
    if at_most is not None and number > at_most:
        raise InputError(f"{place}: {what} {number:g} is greater than {at_most:g}")
    return number


def _box(
    left: object, top: object, width: object, height: object, place: str
) -> tuple[float, float, float, float]:
    """A box in pixels, by the one box rule (shoal.formats._validation)."""
    values = []
    for name, value in (("left", left), ("top", top), ("width", width), ("height", height)):
        number = _number(value, name, place)
        if (problem := box_field_problem(name, number)) is not None:
            raise InputError(f"{place}: {problem}")
        values.append(number)
    return values[0], values[1], values[2], values[3]


def _flag(value: object, what: str, place: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool | np.bool_):
        raise InputError(f"{place}: {what} must be True or False, got {plain(value)!r}")
    return bool(value)


def _pixels(value: object, what: str, place: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise InputError(f"{place}: image {what} must be a whole number, got {plain(value)!r}")
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
    try:
        kind, plain = metadata_entry(value)
    except TypeError:
        raise InputError(
            f"{place}: metadata {key!r} must be a bool, int, float, str or None, "
            f"got {type(value).__name__}"
        ) from None
    if declared is None:
        return kind, plain
    if declared not in METADATA_TYPES:
        raise InputError(
            f"{place}: metadata {key!r} val_type {declared!r} is not one of "
            f"{', '.join(METADATA_TYPES)}"
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

    def _object_rows(self) -> Sequence[tuple[Any, ...]]:
        """The frame's label or prediction rows, each starting with its id."""
        raise NotImplementedError

    def __repr__(self) -> str:
        count = len(self._object_rows())
        return f"{type(self).__name__}(frame_id={self._frame_id!r}, {self._object_kind}s={count})"

    def _ids_in_order(self) -> list[str]:
        return [row[0] for row in self._object_rows()]

    def _place(self, object_id: str | None = None) -> str:
        return place_of(self._frame_id, object_id, self._object_kind)

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

    def _object_rows(self) -> list[_LabelRow]:
        return self._labels

    @property
    def label_ids(self) -> list[str]:
        return self._ids_in_order()

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
        if (problem := metadata_key_problem(key)) is not None:
            raise InputError(f"{place}: {problem}")
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
        box = _box(left, top, width, height, place)
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

    def _object_rows(self) -> list[_PredictionRow]:
        return self._predictions

    @property
    def prediction_ids(self) -> list[str]:
        return self._ids_in_order()

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
        x, y, checked_width, checked_height = _box(left, top, width, height, place)
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


_Value = TypeVar("_Value")


def _values_agreeing_across_frames(
    known: Mapping[str, tuple[_Value, str]],
    offered: Mapping[str, _Value],
    frame_id: str,
    disagreement: Callable[[str, _Value, _Value, str], str],
) -> dict[str, tuple[_Value, str]]:
    """The keys ``offered`` (one frame's key -> value) adds to ``known`` (key -> value and
    the first frame that gave it); raises ``disagreement(key, value, known value, known
    frame)`` if the frame gives a known key another value."""
    added: dict[str, tuple[_Value, str]] = {}
    for key, value in offered.items():
        seen = known.get(key)
        if seen is None:
            added[key] = (value, frame_id)
        elif seen[0] != value:
            raise InputError(f"frame {frame_id!r}: " + disagreement(key, value, seen[0], seen[1]))
    return added


def _merge_metadata_types(
    known: Mapping[str, tuple[MetadataType, str]], frame: LabeledFrame
) -> dict[str, tuple[MetadataType, str]]:
    """The types ``frame`` adds to ``known`` (key -> type, first frame); raises if the
    frame gives a known key another type."""
    return _values_agreeing_across_frames(
        known,
        frame._metadata_types,
        frame.frame_id,
        lambda key, kind, first, where: (
            f"metadata {key!r} is {kind}, but it is {first} "
            f"in frame {where!r} (a key keeps one type across frames)"
        ),
    )


def _merge_embedding_lengths(
    known: Mapping[str, tuple[int, str]], frame: _FrameBuilder
) -> dict[str, tuple[int, str]]:
    return _values_agreeing_across_frames(
        known,
        frame._embedding_lengths,
        frame.frame_id,
        lambda model, length, first, where: (
            f"embeddings of model {model!r} have length {length}, "
            f"but {first} in frame {where!r} (one model, one length)"
        ),
    )


def _vectors_array(vectors: Sequence[NDArray[np.float32]]) -> pa.Array:
    """A list<float32> array of ``vectors``, built from one flat buffer."""
    offsets = np.zeros(len(vectors) + 1, np.int64)
    np.cumsum([vector.size for vector in vectors], out=offsets[1:])
    values = np.concatenate(vectors) if vectors else np.zeros(0, np.float32)
    return list_array(offsets, values)


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


class _FrameCollection(Generic[_Frame]):
    """Frames added one by one, each once, whose embedding lengths agree."""

    _frame_type: type[_Frame]
    _frame_type_name: str  # with its article, for messages

    def __init__(self) -> None:
        self._frames: dict[str, _Frame] = {}
        self._embedding_lengths: dict[str, tuple[int, str]] = {}

    def __len__(self) -> int:
        return len(self._frames)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(frames={len(self._frames)})"

    @property
    def frame_ids(self) -> list[str]:
        return list(self._frames)

    def add_frame(self, frame: _Frame) -> None:
        """Add a frame; its embedding lengths (and a labeled frame's metadata types) must
        agree with the frames added before."""
        if not isinstance(frame, self._frame_type):
            raise InputError(f"add_frame takes {self._frame_type_name}, got {type(frame).__name__}")
        if frame.frame_id in self._frames:
            raise InputError(f"frame {frame.frame_id!r}: the frame was already added")
        new_lengths = _merge_embedding_lengths(self._embedding_lengths, frame)
        self._check(frame)
        self._embedding_lengths.update(new_lengths)
        self._frames[frame.frame_id] = frame

    def _check(self, frame: _Frame) -> None:
        """Further checks of a frame about to be added (nothing is kept if one raises)."""


class LabeledDataset(_FrameCollection[LabeledFrame]):
    """A labeled dataset built frame by frame: ``add_frame``, then ``to_tables()``."""

    _frame_type = LabeledFrame
    _frame_type_name = "a LabeledFrame"

    def __init__(self) -> None:
        super().__init__()
        self._metadata_types: dict[str, tuple[MetadataType, str]] = {}

    def _check(self, frame: LabeledFrame) -> None:
        self._metadata_types.update(_merge_metadata_types(self._metadata_types, frame))

    def to_tables(self) -> DatasetTables:
        """The frames, labels and embeddings as validated Arrow tables."""
        frames = list(self._frames.values())
        return dataset_tables(
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
        frames_table = read_columns(frames, "frames", FRAME_ALIASES, None)
        labels_table = (
            LABELS_SCHEMA.empty_table()
            if labels is None
            else read_columns(labels, "labels", LABEL_ALIASES, LABELS_SCHEMA.names)
        )
        return dataset_tables(
            frames_table, labels_table, read_embeddings(embeddings), source="columns"
        )


class Inferences(_FrameCollection[InferencesFrame]):
    """A model's predictions built frame by frame: ``add_frame``, then ``to_tables()``."""

    _frame_type = InferencesFrame
    _frame_type_name = "an InferencesFrame"

    def to_tables(self, frame_ids: FrameIds = None) -> InferenceTables:
        """The predictions and embeddings as validated Arrow tables. With ``frame_ids``
        (the dataset's: a ``DatasetTables``, ``LabeledDataset``, Arrow array or iterable
        of strings), predictions and embeddings on other frames are errors."""
        frames = list(self._frames.values())
        return inference_tables(
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
        table = read_columns(
            predictions, "predictions", PREDICTION_ALIASES, PREDICTIONS_SCHEMA.names
        )
        return inference_tables(table, read_embeddings(embeddings), frame_ids, source="columns")


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
        columns[key] = pa.array([f._metadata.get(key) for f in frames], metadata_arrow_type(kind))
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
            pa.array(probabilities, VECTOR),
        ],
        schema=PREDICTIONS_SCHEMA,
    )
