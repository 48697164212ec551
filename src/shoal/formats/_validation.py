"""The rules every incoming row follows, in one place: boxes, confidences, areas and
metadata values. The SDK builders, the format readers, :mod:`shoal.tables` (and through
it the server's uploads) call these, so a row is valid or not whatever door it came in by.

Boxes
    ``x, y, width, height`` in pixels: four finite numbers, ``width`` and ``height``
    not negative (a zero-size box is allowed: pycocotools evaluates it).
Confidences
    a number in [0, 1] (NaN is not in it).
Areas
    a finite number >= 0 (missing means ``width * height``).
Metadata
    a key is a non-empty name that is not reserved (a frame column, a query statistic)
    and does not start with ``_``. A value is a bool, an int, a float, a string or
    missing (None, or a float NaN). A key keeps one type across the frames of a
    dataset; the one widening is int to float, when the key is declared float (the
    SDK's ``val_type="float"``) or when the values come from a file that does not tell
    ints from floats (JSON numbers, CSV cells). A list or an object is not a metadata
    value; a file reader keeps it as its JSON text (a string).
JSON values (every request body the server reads, upload rows included)
    every number finite (JSON has no NaN or Infinity: a value that is one is refused,
    never read as null), every whole number (``7``, ``7.0``, ``1e20``) within
    ±(2**53 - 1), the integers JSON carries exactly between any two programs (RFC 8259,
    section 6), no string with a lone UTF-16 surrogate, lists and objects nested at most
    64 deep.
Rows of values (the server's uploads)
    a column of the tables' schema takes values of its own type only: ``true`` is not a
    width, 1.5 is not a pixel count, ``5`` is not a frame id.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import numpy as np
import orjson
from numpy.typing import NDArray

from shoal.errors import InputError

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "MAX_JSON_INTEGER",
    "METADATA_TYPES",
    "RESERVED_METADATA_KEYS",
    "MetadataType",
    "MetadataValue",
    "area_problem",
    "box_field_problem",
    "box_problems",
    "check_box",
    "check_confidence",
    "check_metadata_key",
    "confidence_problems",
    "describe_box_problem",
    "json_value_problem",
    "metadata_arrow_type",
    "metadata_column",
    "metadata_entry",
    "metadata_key_problem",
    "plain",
    "typed_column",
]

MetadataValue: TypeAlias = bool | int | float | str | None
MetadataType: TypeAlias = Literal["bool", "int", "float", "str"]
METADATA_TYPES: tuple[MetadataType, ...] = ("bool", "int", "float", "str")
# Names a metadata key cannot take: frame columns, and the label statistics the query
# language computes.
RESERVED_METADATA_KEYS = frozenset(
    {"frame_id", "image_uri", "width", "height", "num_labels", "num_classes", "classes", "split"}
)

Record = int | str | None
MAX_JSON_DEPTH = 64
MAX_JSON_INTEGER = 2**53 - 1
_INT64 = range(-(2**63), 2**63)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def plain(value: Any) -> Any:
    """A NumPy scalar as the Python scalar it holds (for messages: never ``np.str_('a')``)."""
    return value.item() if isinstance(value, np.generic) else value


# ------------------------------------------------------------------------------ boxes


def box_field_problem(name: str, value: float) -> str | None:
    """What is wrong with one box field (``x``, ``left``, ``width``...), or None."""
    if not math.isfinite(value):
        return f"{name} {value} is not finite"
    if name in ("width", "height") and value < 0:
        return f"{name} {value:g} is negative"
    return None


def box_problems(box: NDArray[np.float64]) -> NDArray[np.bool_]:
    """For each ``(x, y, width, height)`` row: is it not a valid box?"""
    box = np.ascontiguousarray(box, dtype=np.float64).reshape(-1, 4)
    # A row's four finiteness flags read as one 4-byte word: all set is 0x01010101
    # (any byte order). Much faster than .all(axis=1) over a million rows.
    finite = np.isfinite(box).view(np.uint32).reshape(-1) == 0x01010101
    return np.asarray(~finite | (box[:, 2] < 0) | (box[:, 3] < 0), dtype=np.bool_)


def describe_box_problem(what: str, box: Sequence[float] | NDArray[np.float64]) -> str:
    """The message for an invalid box row, e.g. ``bbox [1.0, 2.0, -3.0, 4.0] has a
    negative width or height``."""
    values = [float(v) for v in box]
    if not all(math.isfinite(v) for v in values):
        return f"{what} {values} is not 4 finite numbers"
    return f"{what} {values} has a negative width or height"


def check_box(
    box: tuple[float, float, float, float], source: str | None, record: Record, what: str = "box"
) -> tuple[float, float, float, float]:
    if box_problems(np.asarray([box], dtype=np.float64))[0]:
        raise InputError(describe_box_problem(what, box), source=source, record=record)
    return box


# ------------------------------------------------------------- confidences and areas


def confidence_problems(confidence: NDArray[np.float64]) -> NDArray[np.bool_]:
    return np.asarray(~((confidence >= 0.0) & (confidence <= 1.0)), dtype=np.bool_)


def check_confidence(
    value: float, source: str | None, record: Record, what: str = "confidence"
) -> float:
    if not 0.0 <= value <= 1.0:
        raise InputError(f"{what} {value} is not in [0, 1]", source=source, record=record)
    return value


def area_problem(value: float) -> str | None:
    if not (math.isfinite(value) and value >= 0):
        return f"area {value} is not a finite number >= 0"
    return None


# ----------------------------------------------------------------------- metadata


def metadata_key_problem(key: object) -> str | None:
    if not isinstance(key, str) or not key:
        return "metadata key must be a non-empty string"
    if key in RESERVED_METADATA_KEYS or key.startswith("_"):
        return f"metadata key {key!r} is reserved"
    return None


def check_metadata_key(key: str, source: str | None, record: Record) -> None:
    if metadata_key_problem(key) is not None:
        raise InputError(
            f"{key!r} cannot be a metadata name (reserved, empty or starting with '_')",
            source=source,
            record=record,
        )


def metadata_entry(value: object) -> tuple[MetadataType | None, MetadataValue]:
    """The type and plain Python value of one metadata value (NumPy scalars accepted;
    NaN is missing). Raises ``TypeError`` for anything that is not a metadata value."""
    if value is None:
        return None, None
    if isinstance(value, bool | np.bool_):
        return "bool", bool(value)
    if isinstance(value, numbers.Integral):
        return "int", int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        return "float", None if math.isnan(number) else number
    if isinstance(value, str):
        return "str", str(value)
    raise TypeError(type(value).__name__)


def metadata_arrow_type(kind: MetadataType) -> pa.DataType:
    """The Arrow type a metadata column of ``kind`` is stored as."""
    import pyarrow as pa  # here, so that evaluating files does not load Arrow

    types = {"bool": pa.bool_(), "int": pa.int64(), "float": pa.float64(), "str": pa.string()}
    return types[kind]


def metadata_column(
    key: str,
    values: Sequence[Any],
    *,
    places: Sequence[str] | None = None,
    source: str | None = None,
    first_record: int = 0,
) -> pa.Array:
    """One metadata column from a file's values, by the policy in the module doc: one
    type per key, ints widened to float when floats are present, lists and objects kept
    as JSON text. A clash names the first value of the other type and where the key's
    type was set (``places[i]`` names value ``i``; else its position, counted from
    ``first_record``)."""

    def where(index: int) -> str:
        return places[index] if places is not None else f"row {first_record + index}"

    kinds: list[MetadataType | None] = []
    cleaned: list[MetadataValue] = []
    for value in values:
        if isinstance(value, list | dict):
            value = orjson.dumps(value).decode()
        value_kind, entry = metadata_entry(value)
        kinds.append(value_kind)
        cleaned.append(entry)
    present = {k for k in kinds if k is not None}
    if present == {"int", "float"}:
        present = {"float"}
        cleaned = [float(v) if isinstance(v, int) else v for v in cleaned]
    if len(present) > 1:
        first = next(i for i, k in enumerate(kinds) if k is not None)
        other = next(i for i, k in enumerate(kinds) if k is not None and k != kinds[first])
        raise InputError(
            f"metadata {key!r} is {kinds[other]}, but it is {kinds[first]} at {where(first)} "
            "(a key keeps one type across frames)",
            source=source,
            record=where(other) if places is not None else first_record + other,
        )
    kind: MetadataType = present.pop() if present else "str"
    if kind == "int":
        for index, value in enumerate(cleaned):
            if isinstance(value, int) and value not in _INT64:
                raise InputError(
                    f"metadata {key!r} has an integer that does not fit 64 bits",
                    source=source,
                    record=where(index) if places is not None else first_record + index,
                )
    import pyarrow as pa

    return pa.array(cleaned, metadata_arrow_type(kind))


# ------------------------------------------------------------------ rows of JSON values


def json_value_problem(value: object) -> tuple[tuple[str | int, ...], str] | None:
    """Where (keys and indexes from ``value`` down) and what makes a value parsed from JSON
    unfit to keep as it was sent (the module doc's rules); None when nothing does."""
    stack: list[tuple[tuple[str | int, ...], object]] = [((), value)]
    while stack:
        path, item = stack.pop()
        if type(item) is float:
            if not math.isfinite(item):
                return path, f"{item} is not a number JSON has"
            if item.is_integer() and abs(item) > MAX_JSON_INTEGER:
                return (
                    path,
                    f"the whole number {item:g} is beyond ±(2**53 - 1) (JSON's exact range)",
                )
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if abs(item) > MAX_JSON_INTEGER:
                return path, f"the integer {item} is beyond ±(2**53 - 1) (JSON's exact range)"
        elif isinstance(item, str):
            if _LONE_SURROGATE.search(item) is not None:
                return path, "a string holds a lone surrogate"
        elif isinstance(item, list | dict):
            if len(path) >= MAX_JSON_DEPTH:
                return path, f"lists and objects are nested more than {MAX_JSON_DEPTH} deep"
            entries = item.items() if isinstance(item, dict) else enumerate(item)
            for key, entry in reversed(list(entries)):
                if isinstance(key, str) and _LONE_SURROGATE.search(key) is not None:
                    return path, "a key holds a lone surrogate"
                stack.append(((*path, key), entry))
        else:
            return path, f"a {type(item).__name__} is not a JSON value"
    return None


def _value_fits(value: object, kind: pa.DataType) -> bool:
    """Whether one value is of ``kind`` as it is, without Arrow's silent conversions
    (``True`` as 1.0, 1.5 as 1)."""
    import pyarrow as pa

    if pa.types.is_list(kind) and isinstance(value, list):
        return all(_value_fits(item, kind.value_type) for item in value)
    if value is None:
        return True
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if pa.types.is_integer(kind) and not (isinstance(value, int) or value.is_integer()):
            return False
    elif (pa.types.is_boolean(kind) and not isinstance(value, bool)) or (
        pa.types.is_string(kind) and not isinstance(value, str)
    ):
        return False
    try:
        pa.array([value], type=kind)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError,
            TypeError):  # fmt: skip
        return False
    return True


def _type_takes(kind: pa.DataType, inferred: pa.DataType) -> bool:
    """Whether values Arrow inferred as ``inferred`` are of ``kind`` (numbers as numbers,
    text as text...), before a safe cast checks ranges and whole numbers."""
    import pyarrow as pa

    if pa.types.is_null(inferred):
        return True
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        return bool(pa.types.is_integer(inferred) or pa.types.is_floating(inferred))
    if pa.types.is_list(kind):
        return pa.types.is_list(inferred) and _type_takes(kind.value_type, inferred.value_type)
    return bool(inferred == kind)


def typed_column(
    name: str,
    values: Sequence[Any],
    kind: pa.DataType | None,
    *,
    source: str | None,
    first_record: int = 0,
) -> pa.Array:
    """``values`` as an Arrow array of ``kind`` (None: the type Arrow infers), refusing
    a value of another type with an ``InputError`` naming its record."""
    import pyarrow as pa

    failures = (
        pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError, TypeError
    )  # fmt: skip
    try:
        inferred = pa.array(values)
        if kind is None:
            return inferred
        if _type_takes(kind, inferred.type):
            return inferred.cast(kind)  # safe: refuses overflow and fractions
    except failures:
        pass
    for index, value in enumerate(values):
        if kind is None or not _value_fits(value, kind):
            raise InputError(
                f"column {name!r}: {value!r} is not a {kind or 'value of one type'}",
                source=source,
                record=first_record + index,
            )
    raise InputError(f"column {name!r}: mixed value types", source=source)
