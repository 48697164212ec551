"""ctypes bindings for the C scanner that reads COCO results and ground truth into columns.

``orjson.loads`` plus a walk over 390k Python dicts takes over a second; scanning the
bytes once in C and writing numbers into preallocated arrays takes a few hundredths.
The scanner (``_native.c``, which documents the C side) handles the common shape
only: a top-level array of flat objects whose ``image_id``/``category_id`` are JSON
integers, ``bbox`` is an array of exactly four numbers and ``score`` is a number, with
any other key's value skipped (and validated as JSON). Anything else stops the scan
with ``SCAN_UNSUPPORTED`` so the caller can use the exact slow path (``orjson`` +
Python), which also words the error precisely.

Numbers convert to exactly the float64 Python's ``float()`` gives; the few the C code
cannot round with certainty come back as byte ranges ("slow tokens") that the caller
converts with ``float()``. The JSON integer ``-0`` becomes ``+0.0``, as ``int`` 0 does
after ``json.loads``.

Array layouts (R = rows of capacity, T = slow-token capacity):

``image_ids``   (R,)    int64    ``image_id`` of each record, in file order
``class_ids``   (R,)    int64    ``category_id``
``boxes``       (R, 4)  float64  ``bbox`` x, y, width, height
``scores``      (R,)    float64  ``score`` (1.0 when the record has none)
``slow_start``  (T,)    int64    byte offset where an inexact number token starts
``slow_end``    (T,)    int64    byte offset just past it
``slow_slot``   (T,)    int64    ``row * 5 + field`` (fields 0-3: ``bbox``, 4:
                                 ``score``) that ``float(buf[start:end])`` must fill

:func:`scan_ground_truth` reads a COCO instances object in one call: the byte ranges of
its ``images`` and ``categories`` arrays (which the caller reads with ``orjson``: they
are small) and its ``annotations`` into the same kind of columns, with ``area`` (NaN
where absent) in field 4 of the slow-token slots, the ``iscrowd``/``ignore`` flags and
the annotation ids.

Every call releases the GIL for the whole scan (ctypes does so around a foreign call),
so two files can be scanned on two threads at once.

The results scan is resumable so the caller can report progress and grow its arrays:
``scan_records`` pauses with ``SCAN_PAUSED`` at the next record when it has read
``max_rows`` records, filled the row capacity, or cannot fit another record's tokens
in the slow-token arrays.
"""

from __future__ import annotations

import ctypes
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from shoal._native import F64, I64, U8, empty_unhinted, load_library

__all__ = [
    "FIELDS_PER_ROW",
    "SCAN_DONE",
    "SCAN_PAUSED",
    "SCAN_UNSUPPORTED",
    "GroundTruthScan",
    "KeypointScan",
    "SegmScan",
    "guess_record_start",
    "open_array",
    "scan_annotation_keypoints",
    "scan_ground_truth",
    "scan_keypoint_records",
    "scan_number",
    "scan_records",
    "scan_segm_records",
]

SCAN_DONE = 0
SCAN_PAUSED = 1
SCAN_UNSUPPORTED = 2

FIELDS_PER_ROW = 5

# Eisel-Lemire covers 10**-348 .. 10**347; beyond that float() decides.
_MIN_POWER = -348
_MAX_POWER = 347


def _powers_of_ten_128() -> NDArray[np.uint64]:
    """(696, 2) uint64: 128-bit truncated mantissas of 10**q for q in [_MIN_POWER,
    _MAX_POWER], ``floor(10**q * 2**s)`` with ``s`` chosen so that the value has
    exactly 128 bits, as (high, low) halves. Python integers make them exact; about a
    millisecond, once, and simpler to trust than a 700-line literal table in C."""
    table = np.empty((_MAX_POWER - _MIN_POWER + 1, 2), np.uint64)
    for index, q in enumerate(range(_MIN_POWER, _MAX_POWER + 1)):
        if q >= 0:
            power = 10**q
            shift = 128 - power.bit_length()
            mantissa = power << shift if shift >= 0 else power >> -shift
        else:
            divisor = 10**-q
            shift = 127 + divisor.bit_length()
            mantissa = (1 << shift) // divisor
            if mantissa.bit_length() > 128:
                mantissa = (1 << (shift - 1)) // divisor
        table[index, 0] = mantissa >> 64
        table[index, 1] = mantissa & (2**64 - 1)
    return table


_POWERS = _powers_of_ten_128()
_U64 = np.ctypeslib.ndpointer(dtype=np.uint64, flags="C_CONTIGUOUS")
_i64 = ctypes.c_int64
_i64_out = ctypes.POINTER(ctypes.c_int64)
_f64_out = ctypes.POINTER(ctypes.c_double)

_lib = load_library("shoal.formats._native")
_SIGNATURES: dict[str, tuple[object, list[object]]] = {
    "shoal_open_array": (ctypes.c_int32, [U8, _i64, _i64_out]),
    "shoal_scan_records": (
        ctypes.c_int32,
        [U8, _i64, I64, _i64, _i64, _i64, I64, I64, F64, F64, I64, I64, I64, _i64, _U64, _i64],
    ),
    "shoal_scan_keypoint_records": (
        ctypes.c_int32,
        [U8, _i64, _i64, _i64, I64, I64, F64, U8, F64, F64, _i64, I64, F64, _U64, _i64_out],
    ),
    "shoal_scan_annotation_keypoints": (
        ctypes.c_int32,
        [U8, _i64, _i64, F64, _i64, I64, I64, _U64, _i64_out],
    ),
    "shoal_scan_segm_records": (
        ctypes.c_int32,
        [U8, _i64, _i64, _i64, I64, I64, F64, U8, F64, I64, I64, I64, _U64, _i64_out],
    ),
    "shoal_guess_record_start": (_i64, [U8, _i64, _i64]),
    "shoal_scan_number": (ctypes.c_int32, [U8, _i64, _i64, _U64, _i64_out, _f64_out]),
    "shoal_scan_ground_truth": (
        ctypes.c_int32,
        [U8, _i64, I64, _i64, I64, I64, F64, F64, U8, I64, I64, I64, I64, _i64, _U64, I64],
    ),
}
for _name, (_restype, _argtypes) in _SIGNATURES.items():
    _function = getattr(_lib, _name)
    _function.restype = _restype
    _function.argtypes = _argtypes


def open_array(buffer: NDArray[np.uint8]) -> tuple[int, int]:
    """Start a scan: ``(status, pos)`` with pos at the first record.

    ``SCAN_DONE`` for an empty array, ``SCAN_PAUSED`` when records follow,
    ``SCAN_UNSUPPORTED`` when the document is not an array of objects.
    """
    position = ctypes.c_int64()
    status = _lib.shoal_open_array(buffer, buffer.size, ctypes.byref(position))
    return int(status), position.value


def scan_records(
    buffer: NDArray[np.uint8],
    pos: int,
    row: int,
    max_rows: int,
    image_ids: NDArray[np.int64],
    class_ids: NDArray[np.int64],
    boxes: NDArray[np.float64],
    scores: NDArray[np.float64],
    slow_start: NDArray[np.int64],
    slow_end: NDArray[np.int64],
    slow_slot: NDArray[np.int64],
    stop: int | None = None,
) -> tuple[int, int, int, int]:
    """Scan up to ``max_rows`` records from ``pos`` (at a ``{``) into row ``row`` on,
    pausing before a record that starts at or after ``stop``.

    Returns ``(status, pos, rows_written, slow_tokens)``. With ``SCAN_PAUSED``, ``pos``
    is at the next record's ``{``. ``slow_start/end/slot`` are filled from index 0 by
    each call.
    """
    # ctypes checks dtypes and contiguity; these checks keep C inside the arrays.
    capacity = image_ids.size
    slow_capacity = slow_start.size
    if class_ids.size != capacity or boxes.shape != (capacity, 4) or scores.size != capacity:
        raise ValueError("image_ids, class_ids, boxes and scores must have the same rows")
    if slow_end.size != slow_capacity or slow_slot.size != slow_capacity:
        raise ValueError("slow_start, slow_end and slow_slot must have the same size")
    if slow_capacity < FIELDS_PER_ROW or not 0 <= row < capacity or max_rows < 1:
        raise ValueError("no room to scan a record")
    if not 0 <= pos < buffer.size:
        raise ValueError("pos is outside the buffer")
    state = np.array([pos, 0, 0], np.int64)
    status = _lib.shoal_scan_records(
        buffer,
        buffer.size,
        state,
        row,
        max_rows,
        capacity,
        image_ids,
        class_ids,
        boxes,
        scores,
        slow_start,
        slow_end,
        slow_slot,
        slow_capacity,
        _POWERS,
        buffer.size if stop is None else stop,
    )
    return int(status), int(state[0]), int(state[1]), int(state[2])


class KeypointScan(NamedTuple):
    """What :func:`scan_keypoint_records` read; one row per record, in file order."""

    image_ids: NDArray[np.int64]
    class_ids: NDArray[np.int64]
    boxes: NDArray[np.float64]  # (rows, 4); rows without a bbox hold garbage
    has_box: NDArray[np.bool_]
    scores: NDArray[np.float64]  # 1.0 when the record has none
    keypoints: NDArray[np.float64]  # every record's keypoint values, end to end
    offsets: NDArray[np.int64]  # (rows + 1,) record r's values: offsets[r]:offsets[r + 1]
    extents: NDArray[np.float64]  # (rows, 4) each record's keypoints' box, as loadRes gives


def scan_keypoint_records(buffer: NDArray[np.uint8], pos: int) -> KeypointScan | None:
    """Keypoint results (records with ``image_id``, ``category_id``, ``keypoints``, an
    optional ``score`` and ``bbox``) from ``pos`` (the first record's ``{``, see
    :func:`open_array`) in one call; None when the file needs the exact slow path."""
    if not 0 <= pos < buffer.size:
        raise ValueError("pos is outside the buffer")
    # The shortest record, {"image_id":0,"category_id":0,"keypoints":[]}, has 45 bytes;
    # each value takes at least 2 ("0,"). np.empty: unwritten pages are never touched.
    capacity = buffer.size // 40 + 1
    kp_capacity = buffer.size // 2 + 1
    image_ids = empty_unhinted(capacity, np.int64)
    class_ids = empty_unhinted(capacity, np.int64)
    boxes = empty_unhinted((capacity, 4), np.float64)
    has_box = empty_unhinted(capacity, np.uint8)
    scores = empty_unhinted(capacity, np.float64)
    keypoints = empty_unhinted(kp_capacity, np.float64)
    offsets = empty_unhinted(capacity + 1, np.int64)
    extents = empty_unhinted((capacity, 4), np.float64)
    rows = ctypes.c_int64()
    status = _lib.shoal_scan_keypoint_records(
        buffer, buffer.size, pos, capacity, image_ids, class_ids, boxes, has_box, scores,
        keypoints, kp_capacity, offsets, extents, _POWERS, ctypes.byref(rows),
    )  # fmt: skip
    if status != SCAN_DONE:
        return None
    count = rows.value
    return KeypointScan(
        image_ids=image_ids[:count],
        class_ids=class_ids[:count],
        boxes=boxes[:count],
        has_box=has_box[:count].view(np.bool_),
        scores=scores[:count],
        keypoints=keypoints[: int(offsets[count])],
        offsets=offsets[: count + 1],
        extents=extents[:count],
    )


def scan_annotation_keypoints(
    buffer: NDArray[np.uint8],
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.int64]] | None:
    """The ``keypoints`` and ``num_keypoints`` (-1 where absent) of each annotation of a
    COCO keypoints ground truth, in file order: ``(values, offsets, num_keypoints)``,
    annotation r's values at ``offsets[r]:offsets[r + 1]``; None when the file needs the
    exact slow path (an annotation without keypoints counts as unusual)."""
    capacity = buffer.size // 40 + 1
    kp_capacity = buffer.size // 2 + 1
    values = empty_unhinted(kp_capacity, np.float64)
    offsets = empty_unhinted(capacity + 1, np.int64)
    num_keypoints = empty_unhinted(capacity, np.int64)
    rows = ctypes.c_int64()
    status = _lib.shoal_scan_annotation_keypoints(
        buffer, buffer.size, capacity, values, kp_capacity, offsets, num_keypoints, _POWERS,
        ctypes.byref(rows),
    )  # fmt: skip
    if status != SCAN_DONE:
        return None
    count = rows.value
    return values[: int(offsets[count])], offsets[: count + 1], num_keypoints[:count]


class SegmScan(NamedTuple):
    """What :func:`scan_segm_records` read; one row per record, in file order."""

    image_ids: NDArray[np.int64]
    class_ids: NDArray[np.int64]
    boxes: NDArray[np.float64]  # (rows, 4); rows without a bbox hold garbage
    has_box: NDArray[np.bool_]
    scores: NDArray[np.float64]  # 1.0 when the record has none
    sizes: NDArray[np.int64]  # (rows, 2) the RLE's [height, width]
    counts_start: NDArray[np.int64]  # the counts string's contents in the buffer,
    counts_end: NDArray[np.int64]  # as written (a backslash escaped as two)


def scan_segm_records(buffer: NDArray[np.uint8], pos: int) -> SegmScan | None:
    """Segmentation results (records with ``image_id``, ``category_id``, a compressed
    RLE ``segmentation``, an optional ``score`` and ``bbox``) from ``pos`` (the first
    record's ``{``, see :func:`open_array`) in one call; None when the file needs the
    exact slow path."""
    if not 0 <= pos < buffer.size:
        raise ValueError("pos is outside the buffer")
    # The shortest record, {"image_id":0,"category_id":0,"segmentation":{"size":[0,0],
    # "counts":""}}, has over 70 bytes. np.empty: unwritten pages are never touched.
    capacity = buffer.size // 60 + 1
    image_ids = empty_unhinted(capacity, np.int64)
    class_ids = empty_unhinted(capacity, np.int64)
    boxes = empty_unhinted((capacity, 4), np.float64)
    has_box = empty_unhinted(capacity, np.uint8)
    scores = empty_unhinted(capacity, np.float64)
    sizes = empty_unhinted((capacity, 2), np.int64)
    counts_start = empty_unhinted(capacity, np.int64)
    counts_end = empty_unhinted(capacity, np.int64)
    rows = ctypes.c_int64()
    status = _lib.shoal_scan_segm_records(
        buffer, buffer.size, pos, capacity, image_ids, class_ids, boxes, has_box, scores,
        sizes, counts_start, counts_end, _POWERS, ctypes.byref(rows),
    )  # fmt: skip
    if status != SCAN_DONE:
        return None
    count = rows.value
    return SegmScan(
        image_ids=image_ids[:count],
        class_ids=class_ids[:count],
        boxes=boxes[:count],
        has_box=has_box[:count].view(np.bool_),
        scores=scores[:count],
        sizes=sizes[:count],
        counts_start=counts_start[:count],
        counts_end=counts_end[:count],
    )


def guess_record_start(buffer: NDArray[np.uint8], pos: int) -> int:
    """Where a record of a results array may start at or after ``pos`` (the ``{`` of
    the first ``}, {"``), or -1: a guess, since those bytes may sit inside a string;
    see :func:`scan_records`' ``stop`` for how to check it."""
    if not 0 <= pos <= buffer.size:
        raise ValueError("pos is outside the buffer")
    return int(_lib.shoal_guess_record_start(buffer, buffer.size, pos))


def scan_number(buffer: NDArray[np.uint8], pos: int) -> tuple[int, float, bool]:
    """Parse the JSON number at ``pos``: ``(end, value, exact)``.

    ``end`` is -1 when the token is not a valid JSON number. ``exact`` is False when
    ``value`` must instead be computed as ``float(buffer[pos:end])``.
    """
    if not 0 <= pos <= buffer.size:
        raise ValueError("pos is outside the buffer")
    end = ctypes.c_int64()
    value = ctypes.c_double()
    exact = _lib.shoal_scan_number(
        buffer, buffer.size, pos, _POWERS, ctypes.byref(end), ctypes.byref(value)
    )
    return end.value, value.value, bool(exact)


class GroundTruthScan(NamedTuple):
    """What :func:`scan_ground_truth` read; annotation columns in file order."""

    images: tuple[int, int]  # byte range of the "images" array
    categories: tuple[int, int]  # byte range of the "categories" array
    image_ids: NDArray[np.int64]
    class_ids: NDArray[np.int64]
    boxes: NDArray[np.float64]  # (rows, 4)
    areas: NDArray[np.float64]  # NaN where the annotation has no area
    flags: NDArray[np.uint8]  # bit 0: iscrowd, bit 1: ignore
    ids: NDArray[np.int64] | None  # None when no annotation has an id
    slow_start: NDArray[np.int64]
    slow_end: NDArray[np.int64]
    slow_slot: NDArray[np.int64]  # row * 5 + field (0-3: bbox, 4: area)


def scan_ground_truth(
    buffer: NDArray[np.uint8], capacity: int, slow_capacity: int
) -> GroundTruthScan | None:
    """Scan a COCO instances object with room for ``capacity`` annotations and
    ``slow_capacity`` slow tokens; None when the file needs the exact slow path (any
    unusual shape, or more annotations or slow tokens than that)."""
    if capacity < 1 or slow_capacity < FIELDS_PER_ROW:
        raise ValueError("no room to scan an annotation")
    # np.empty: pages past the rows actually written are never touched.
    image_ids = empty_unhinted(capacity, np.int64)
    class_ids = empty_unhinted(capacity, np.int64)
    boxes = empty_unhinted((capacity, 4), np.float64)
    areas = empty_unhinted(capacity, np.float64)
    flags = empty_unhinted(capacity, np.uint8)
    ids = empty_unhinted(capacity, np.int64)
    slow_start = empty_unhinted(slow_capacity, np.int64)
    slow_end = empty_unhinted(slow_capacity, np.int64)
    slow_slot = empty_unhinted(slow_capacity, np.int64)
    ranges = np.zeros(4, np.int64)
    counts = np.zeros(3, np.int64)
    status = _lib.shoal_scan_ground_truth(
        buffer,
        buffer.size,
        ranges,
        capacity,
        image_ids,
        class_ids,
        boxes,
        areas,
        flags,
        ids,
        slow_start,
        slow_end,
        slow_slot,
        slow_capacity,
        _POWERS,
        counts,
    )
    if status != SCAN_DONE:
        return None
    rows, with_id, slow = (int(c) for c in counts)
    return GroundTruthScan(
        images=(int(ranges[0]), int(ranges[1])),
        categories=(int(ranges[2]), int(ranges[3])),
        image_ids=image_ids[:rows],
        class_ids=class_ids[:rows],
        boxes=boxes[:rows],
        areas=areas[:rows],
        flags=flags[:rows],
        ids=ids[:rows] if with_id else None,
        slow_start=slow_start[:slow],
        slow_end=slow_end[:slow],
        slow_slot=slow_slot[:slow],
    )
