"""A numba scanner that reads a COCO results array straight into columns.

``orjson.loads`` plus a walk over 390k Python dicts takes over a second; scanning the
bytes once and writing numbers into preallocated arrays takes a fraction of that.
The scanner handles the common shape only: a top-level array of flat objects whose
``image_id``/``category_id`` are JSON integers, ``bbox`` is an array of exactly four
numbers and ``score`` is a number, with any other key's value skipped (and validated
as JSON). Anything else — string ids, a duplicate key, escaped keys, non-ASCII text,
malformed JSON — stops the scan with ``SCAN_UNSUPPORTED`` so the caller can use the
exact slow path (``orjson`` + Python), which also words the error precisely.

Numbers convert to exactly the float64 Python's ``float()`` gives. A decimal mantissa
below 2**53 with a power of ten up to 22 in magnitude converts with one correctly
rounded multiplication or division by an exact power of ten; every other number is
reported back as a byte range so the caller converts just those tokens with
``float()``. The JSON integer ``-0`` becomes ``+0.0``, as ``int`` 0 does after
``json.loads``.

Array layouts (R = rows of capacity, T = fallback token capacity):

``image_ids``   (R,)    int64    ``image_id`` of each record, in file order
``class_ids``   (R,)    int64    ``category_id``
``values``      (R, 5)  float64  ``bbox`` x, y, width, height, then ``score``
                                 (1.0 when the record has no ``score``)
``slow_start``  (T,)    int64    byte offset where an inexact number token starts
``slow_end``    (T,)    int64    byte offset just past it
``slow_slot``   (T,)    int64    flat index into ``values`` (``row * 5 + field``)
                                 that ``float(buf[start:end])`` must fill

The scan is resumable so the caller can report progress: ``scan_records`` stops after
``max_rows`` records with ``SCAN_PAUSED`` and the position of the next record.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = [
    "FIELDS_PER_ROW",
    "SCAN_DONE",
    "SCAN_PAUSED",
    "SCAN_UNSUPPORTED",
    "open_array",
    "scan_records",
]

SCAN_DONE = 0
SCAN_PAUSED = 1
SCAN_UNSUPPORTED = 2

FIELDS_PER_ROW = 5
_SCORE_FIELD = 4

# Exactly representable powers of ten: 10**22 < 2**53 * 2**22 is the last one whose
# product with an exact mantissa is still a single correctly rounded operation.
_EXACT_POWERS_OF_TEN = np.array([10.0**k for k in range(23)], dtype=np.float64)
_MAX_EXACT_MANTISSA = 2**53
# Stop accumulating digits before uint64 overflows; such numbers go to float().
_MANTISSA_DIGIT_LIMIT = 10**18
_MAX_NESTING = 512


def _powers_of_ten_128() -> tuple[np.ndarray, np.ndarray]:
    """128-bit truncated mantissas of 10**q for q in [_MIN_POWER, _MAX_POWER]: the
    value ``floor(10**q * 2**s)`` with ``s`` chosen so that it has exactly 128 bits,
    split into (high, low) 64-bit halves. Computed once with Python integers."""
    high = np.empty(_MAX_POWER - _MIN_POWER + 1, np.uint64)
    low = np.empty_like(high)
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
        high[index] = mantissa >> 64
        low[index] = mantissa & (2**64 - 1)
    return high, low


# Eisel-Lemire covers 10**-348 .. 10**347; beyond that the fallback decides.
_MIN_POWER = -348
_MAX_POWER = 347
_POWER_HIGH, _POWER_LOW = _powers_of_ten_128()
# 5**27 is the largest power of five below 2**64.
_MAX_POWER_OF_FIVE = 27
_POWERS_OF_FIVE = np.array([5**k for k in range(_MAX_POWER_OF_FIVE + 1)], dtype=np.uint64)
_U0 = np.uint64(0)
_U1 = np.uint64(1)
_U3 = np.uint64(3)
_U9 = np.uint64(9)
_U32 = np.uint64(32)
_U53 = np.uint64(53)
_U63 = np.uint64(63)
_LOW_9_BITS = np.uint64(0x1FF)
_LOW_32_BITS = np.uint64(0xFFFFFFFF)
_ALL_ONES = np.uint64(0xFFFFFFFFFFFFFFFF)

_KEY_OTHER = 0
_KEY_IMAGE_ID = 1
_KEY_CATEGORY_ID = 2
_KEY_BBOX = 3
_KEY_SCORE = 4

_QUOTE = 34
_BACKSLASH = 92
_COMMA = 44
_COLON = 58
_MINUS = 45
_PLUS = 43
_DOT = 46
_OPEN_BRACKET = 91
_CLOSE_BRACKET = 93
_OPEN_BRACE = 123
_CLOSE_BRACE = 125


@njit(cache=True)
def _skip_whitespace(buf, pos):  # type: ignore[no-untyped-def]
    n = buf.size
    while pos < n:
        c = buf[pos]
        if c != 32 and c != 10 and c != 13 and c != 9:
            return pos
        pos += 1
    return pos


@njit(cache=True)
def _is_digit(c):  # type: ignore[no-untyped-def]
    return 48 <= c <= 57


@njit(cache=True)
def _is_hex(c):  # type: ignore[no-untyped-def]
    return (48 <= c <= 57) or (65 <= c <= 70) or (97 <= c <= 102)


@njit(cache=True)
def _skip_string(buf, pos):  # type: ignore[no-untyped-def]
    """Position just past the string starting at ``pos`` (a quote), or -1.

    Returns -1 for invalid strings and also for non-ASCII bytes, whose UTF-8 validity
    the slow path checks.
    """
    n = buf.size
    pos += 1
    while pos < n:
        c = buf[pos]
        if c == _QUOTE:
            return pos + 1
        if c == _BACKSLASH:
            if pos + 1 >= n:
                return -1
            e = buf[pos + 1]
            if e == 117:  # \uXXXX
                if pos + 5 >= n:
                    return -1
                for k in range(2, 6):
                    if not _is_hex(buf[pos + k]):
                        return -1
                pos += 6
                continue
            # " \ / b f n r t
            if e in (34, 92, 47, 98, 102, 110, 114, 116):
                pos += 2
                continue
            return -1
        if c < 32 or c >= 128:
            return -1
        pos += 1
    return -1


@njit(cache=True)
def _scan_number(buf, pos):  # type: ignore[no-untyped-def]
    """Parse the JSON number at ``pos``: ``(end, value, exact)``.

    ``end`` is -1 when the token is not a valid JSON number. ``exact`` is False when
    ``value`` must instead be computed as ``float(buf[pos:end])``.
    """
    n = buf.size
    negative = False
    if pos < n and buf[pos] == _MINUS:
        negative = True
        pos += 1
    if pos >= n or not _is_digit(buf[pos]):
        return -1, 0.0, False
    mantissa = np.uint64(0)
    exponent = 0
    exact = True
    if buf[pos] == 48:
        pos += 1
        # JSON forbids leading zeros such as 012.
        if pos < n and _is_digit(buf[pos]):
            return -1, 0.0, False
    else:
        while pos < n and _is_digit(buf[pos]):
            if mantissa < _MANTISSA_DIGIT_LIMIT:
                mantissa = mantissa * np.uint64(10) + np.uint64(buf[pos] - 48)
            else:
                exponent += 1
                exact = False
            pos += 1
    is_integer = True
    if pos < n and buf[pos] == _DOT:
        is_integer = False
        pos += 1
        if pos >= n or not _is_digit(buf[pos]):
            return -1, 0.0, False
        while pos < n and _is_digit(buf[pos]):
            if mantissa < _MANTISSA_DIGIT_LIMIT:
                mantissa = mantissa * np.uint64(10) + np.uint64(buf[pos] - 48)
                exponent -= 1
            else:
                exact = False
            pos += 1
    if pos < n and (buf[pos] == 101 or buf[pos] == 69):  # e E
        is_integer = False
        pos += 1
        exponent_negative = False
        if pos < n and (buf[pos] == _PLUS or buf[pos] == _MINUS):
            exponent_negative = buf[pos] == _MINUS
            pos += 1
        if pos >= n or not _is_digit(buf[pos]):
            return -1, 0.0, False
        written = 0
        while pos < n and _is_digit(buf[pos]):
            if written < 100000:
                written = written * 10 + (buf[pos] - 48)
            else:
                exact = False
            pos += 1
        exponent += -written if exponent_negative else written
    if mantissa == 0:
        # Zero whatever the exponent; the JSON integer -0 loads as int 0, i.e. +0.0.
        return pos, (-0.0 if negative and not is_integer else 0.0), True
    if not exact:
        return pos, 0.0, False
    if mantissa >= _MAX_EXACT_MANTISSA or exponent > 22 or exponent < -22:
        # Typical of float32 values printed as float64 (17 digits): still exact here.
        if -_MAX_POWER_OF_FIVE <= exponent < 0:
            # m / 10**k == (m / 5**k) / 2**k: exact when 5**k divides m, which is the
            # case for dyadic values like 283.45001220703125 (a float32 written out
            # in full), precisely where Eisel-Lemire's truncated table is ambiguous.
            power_of_five = _POWERS_OF_FIVE[-exponent]
            if mantissa % power_of_five == _U0:
                quotient = mantissa // power_of_five
                if quotient < _MAX_EXACT_MANTISSA:
                    value = math.ldexp(float(quotient), exponent)
                    return pos, (-value if negative else value), True
        ok, value = _eisel_lemire(mantissa, exponent)
        if not ok:
            return pos, 0.0, False
        return pos, (-value if negative else value), True
    value = float(mantissa)
    if exponent >= 0:
        value = value * _EXACT_POWERS_OF_TEN[exponent]
    else:
        value = value / _EXACT_POWERS_OF_TEN[-exponent]
    return pos, (-value if negative else value), True


@njit(cache=True)
def _multiply_64x64(a, b):  # type: ignore[no-untyped-def]
    """Full 128-bit product of two uint64 as (high, low)."""
    a_low = a & _LOW_32_BITS
    a_high = a >> _U32
    b_low = b & _LOW_32_BITS
    b_high = b >> _U32
    low_low = a_low * b_low
    low_high = a_low * b_high
    high_low = a_high * b_low
    high_high = a_high * b_high
    middle = (low_low >> _U32) + (low_high & _LOW_32_BITS) + (high_low & _LOW_32_BITS)
    low = (low_low & _LOW_32_BITS) | (middle << _U32)
    high = high_high + (low_high >> _U32) + (high_low >> _U32) + (middle >> _U32)
    return high, low


@njit(cache=True)
def _eisel_lemire(mantissa, exponent):  # type: ignore[no-untyped-def]
    """Correctly rounded ``mantissa * 10**exponent`` for a nonzero uint64 mantissa,
    after Lemire, "Number Parsing at a Gigabyte per Second" (2021).

    Returns ``(ok, value)``; ok is False in the rare ambiguous cases (exact halfway
    points, subnormals, overflow), which the caller leaves to Python's ``float()``.
    """
    if exponent < _MIN_POWER or exponent > _MAX_POWER:
        return False, 0.0
    leading_zeros = 0
    while (mantissa >> _U63) == _U0:
        mantissa = mantissa << _U1
        leading_zeros += 1
    # floor(exponent * log2(10)) + 64 + bias - leading zeros
    biased_exponent = ((217706 * exponent) >> 16) + 64 + 1023 - leading_zeros
    index = exponent - _MIN_POWER
    high, low = _multiply_64x64(mantissa, _POWER_HIGH[index])
    if (high & _LOW_9_BITS) == _LOW_9_BITS and low + mantissa < mantissa:
        # The truncated table value may matter: add the product with its low half.
        extra_high, extra_low = _multiply_64x64(mantissa, _POWER_LOW[index])
        merged_high = high
        merged_low = low + extra_high
        if merged_low < low:
            merged_high += _U1
        if (
            (merged_high & _LOW_9_BITS) == _LOW_9_BITS
            and merged_low == _ALL_ONES
            and extra_low + mantissa < mantissa
        ):
            return False, 0.0
        high = merged_high
        low = merged_low
    top_bit = high >> _U63
    result = high >> (top_bit + _U9)
    biased_exponent -= 1 - int(top_bit)
    if low == _U0 and (high & _LOW_9_BITS) == _U0 and (result & _U3) == _U1:
        return False, 0.0  # possibly halfway between two doubles
    result += result & _U1
    result = result >> _U1
    if (result >> _U53) > _U0:
        result = result >> _U1
        biased_exponent += 1
    if biased_exponent <= 0 or biased_exponent >= 0x7FF:
        return False, 0.0  # subnormal or overflow
    # result holds 53 bits including the implicit one: an exact scaling.
    return True, math.ldexp(float(result), biased_exponent - 1075)


@njit(cache=True)
def _scan_integer(buf, pos):  # type: ignore[no-untyped-def]
    """Parse a JSON integer of at most 18 digits at ``pos``: ``(end, value)``, with
    end -1 when the token is anything else (a float, a string, a huge integer)."""
    n = buf.size
    negative = False
    if pos < n and buf[pos] == _MINUS:
        negative = True
        pos += 1
    if pos >= n or not _is_digit(buf[pos]):
        return -1, 0
    if buf[pos] == 48 and pos + 1 < n and _is_digit(buf[pos + 1]):
        return -1, 0
    value = 0
    digits = 0
    while pos < n and _is_digit(buf[pos]):
        value = value * 10 + (buf[pos] - 48)
        digits += 1
        pos += 1
    if digits > 18:
        return -1, 0
    if pos < n and (buf[pos] == _DOT or buf[pos] == 101 or buf[pos] == 69):
        return -1, 0
    return pos, -value if negative else value


@njit(cache=True)
def _matches(buf, pos, word):  # type: ignore[no-untyped-def]
    """Whether the bytes at ``pos`` spell ``word`` (a tuple of byte values)."""
    if pos + len(word) > buf.size:
        return False
    for k in range(len(word)):  # noqa: SIM110 (a plain loop for numba)
        if buf[pos + k] != word[k]:
            return False
    return True


@njit(cache=True)
def _skip_literal(buf, pos):  # type: ignore[no-untyped-def]
    """Position just past ``true``, ``false`` or ``null`` at ``pos``, or -1."""
    if _matches(buf, pos, (116, 114, 117, 101)):
        return pos + 4
    if _matches(buf, pos, (110, 117, 108, 108)):
        return pos + 4
    if _matches(buf, pos, (102, 97, 108, 115, 101)):
        return pos + 5
    return -1


@njit(cache=True)
def _skip_value(buf, pos):  # type: ignore[no-untyped-def]
    """Position just past the JSON value at ``pos``, validating it, or -1."""
    n = buf.size
    stack = np.empty(_MAX_NESTING, np.uint8)
    depth = 0
    need_value = True
    while True:
        if need_value:
            if pos >= n:
                return -1
            c = buf[pos]
            if c in (_OPEN_BRACE, _OPEN_BRACKET):
                if depth == _MAX_NESTING:
                    return -1
                stack[depth] = c
                depth += 1
                pos = _skip_whitespace(buf, pos + 1)
                if pos >= n:
                    return -1
                close = _CLOSE_BRACE if c == _OPEN_BRACE else _CLOSE_BRACKET
                if buf[pos] == close:
                    depth -= 1
                    pos += 1
                    need_value = False
                elif c == _OPEN_BRACE:
                    # A member: "key" : value
                    if buf[pos] != _QUOTE:
                        return -1
                    pos = _skip_string(buf, pos)
                    if pos < 0:
                        return -1
                    pos = _skip_whitespace(buf, pos)
                    if pos >= n or buf[pos] != _COLON:
                        return -1
                    pos = _skip_whitespace(buf, pos + 1)
                continue
            if c == _QUOTE:
                pos = _skip_string(buf, pos)
            elif c == _MINUS or _is_digit(c):
                pos = _scan_number(buf, pos)[0]
            else:
                pos = _skip_literal(buf, pos)
            if pos < 0:
                return -1
            need_value = False
        else:
            if depth == 0:
                return pos
            pos = _skip_whitespace(buf, pos)
            if pos >= n:
                return -1
            c = buf[pos]
            top = stack[depth - 1]
            if c == _COMMA:
                pos = _skip_whitespace(buf, pos + 1)
                if top == _OPEN_BRACE:
                    if pos >= n or buf[pos] != _QUOTE:
                        return -1
                    pos = _skip_string(buf, pos)
                    if pos < 0:
                        return -1
                    pos = _skip_whitespace(buf, pos)
                    if pos >= n or buf[pos] != _COLON:
                        return -1
                    pos = _skip_whitespace(buf, pos + 1)
                need_value = True
            elif (c == _CLOSE_BRACE and top == _OPEN_BRACE) or (
                c == _CLOSE_BRACKET and top == _OPEN_BRACKET
            ):
                depth -= 1
                pos += 1
            else:
                return -1


@njit(cache=True)
def _key_kind(buf, start, end):  # type: ignore[no-untyped-def]
    """Which known key the bytes ``buf[start:end]`` (no quotes) spell."""
    length = end - start
    if length == 8 and _matches(buf, start, (105, 109, 97, 103, 101, 95, 105, 100)):
        return _KEY_IMAGE_ID
    if length == 11 and _matches(buf, start, (99, 97, 116, 101, 103, 111, 114, 121, 95, 105, 100)):
        return _KEY_CATEGORY_ID
    if length == 4 and _matches(buf, start, (98, 98, 111, 120)):
        return _KEY_BBOX
    if length == 5 and _matches(buf, start, (115, 99, 111, 114, 101)):
        return _KEY_SCORE
    return _KEY_OTHER


@njit(cache=True)
def open_array(buf):  # type: ignore[no-untyped-def]
    """Start a scan: ``(status, pos)`` with pos at the first record.

    ``SCAN_DONE`` for an empty array, ``SCAN_PAUSED`` when records follow,
    ``SCAN_UNSUPPORTED`` when the document is not an array of objects.
    """
    n = buf.size
    pos = _skip_whitespace(buf, 0)
    if pos >= n or buf[pos] != _OPEN_BRACKET:
        return SCAN_UNSUPPORTED, pos
    pos = _skip_whitespace(buf, pos + 1)
    if pos >= n:
        return SCAN_UNSUPPORTED, pos
    if buf[pos] == _CLOSE_BRACKET:
        pos = _skip_whitespace(buf, pos + 1)
        return (SCAN_DONE if pos == n else SCAN_UNSUPPORTED), pos
    if buf[pos] != _OPEN_BRACE:
        return SCAN_UNSUPPORTED, pos
    return SCAN_PAUSED, pos


@njit(cache=True)
def scan_records(  # type: ignore[no-untyped-def]
    buf,
    pos,
    row,
    max_rows,
    image_ids,
    class_ids,
    values,
    slow_start,
    slow_end,
    slow_slot,
):
    """Scan up to ``max_rows`` records from ``pos`` (at a ``{``) into row ``row`` on.

    Returns ``(status, pos, rows_written, slow_tokens)``. With ``SCAN_PAUSED``, ``pos``
    is at the next record's ``{``. ``slow_start/end/slot`` are filled from index 0 for
    this call and need room for ``5 * max_rows`` tokens.
    """
    n = buf.size
    flat = values.reshape(-1)
    first_row = row
    slow_count = 0
    while True:
        if row - first_row == max_rows:
            return SCAN_PAUSED, pos, row - first_row, slow_count
        # pos is at '{'
        base = row * FIELDS_PER_ROW
        flat[base + _SCORE_FIELD] = 1.0
        seen_image = False
        seen_class = False
        seen_box = False
        seen_score = False
        pos = _skip_whitespace(buf, pos + 1)
        if pos >= n or buf[pos] != _QUOTE:
            # Also covers '{}': a record without the required keys.
            return SCAN_UNSUPPORTED, pos, row - first_row, slow_count
        while True:
            key_start = pos + 1
            key_end = _skip_string(buf, pos)
            if key_end < 0:
                return SCAN_UNSUPPORTED, pos, row - first_row, slow_count
            for k in range(key_start, key_end - 1):
                if buf[k] == _BACKSLASH:
                    # An escaped key might spell a known name: leave it to orjson.
                    return SCAN_UNSUPPORTED, pos, row - first_row, slow_count
            kind = _key_kind(buf, key_start, key_end - 1)
            pos = _skip_whitespace(buf, key_end)
            if pos >= n or buf[pos] != _COLON:
                return SCAN_UNSUPPORTED, pos, row - first_row, slow_count
            pos = _skip_whitespace(buf, pos + 1)
            if kind in (_KEY_IMAGE_ID, _KEY_CATEGORY_ID):
                # Duplicate keys: json keeps the last, leave that subtlety to orjson.
                if (kind == _KEY_IMAGE_ID and seen_image) or (
                    kind == _KEY_CATEGORY_ID and seen_class
                ):
                    return SCAN_UNSUPPORTED, pos, row - first_row, slow_count
                end, integer = _scan_integer(buf, pos)
                if end < 0:
                    return SCAN_UNSUPPORTED, pos, row - first_row, slow_count
                if kind == _KEY_IMAGE_ID:
                    image_ids[row] = integer
                    seen_image = True
                else:
                    class_ids[row] = integer
                    seen_class = True
                pos = end
            elif kind == _KEY_BBOX:
                if seen_box or pos >= n or buf[pos] != _OPEN_BRACKET:
                    return SCAN_UNSUPPORTED, pos, row - first_row, slow_count
                for field in range(4):
                    pos = _skip_whitespace(buf, pos + 1)
                    start = pos
                    pos, value, exact = _scan_number(buf, pos)
                    if pos < 0:
                        return SCAN_UNSUPPORTED, start, row - first_row, slow_count
                    if exact:
                        flat[base + field] = value
                    else:
                        slow_start[slow_count] = start
                        slow_end[slow_count] = pos
                        slow_slot[slow_count] = base + field
                        slow_count += 1
                    pos = _skip_whitespace(buf, pos)
                    expected = _CLOSE_BRACKET if field == 3 else _COMMA
                    if pos >= n or buf[pos] != expected:
                        return SCAN_UNSUPPORTED, pos, row - first_row, slow_count
                pos += 1
                seen_box = True
            elif kind == _KEY_SCORE:
                if seen_score:
                    return SCAN_UNSUPPORTED, pos, row - first_row, slow_count
                start = pos
                pos, value, exact = _scan_number(buf, pos)
                if pos < 0:
                    return SCAN_UNSUPPORTED, start, row - first_row, slow_count
                if exact:
                    flat[base + _SCORE_FIELD] = value
                else:
                    slow_start[slow_count] = start
                    slow_end[slow_count] = pos
                    slow_slot[slow_count] = base + _SCORE_FIELD
                    slow_count += 1
                seen_score = True
            else:
                start = pos
                pos = _skip_value(buf, pos)
                if pos < 0:
                    return SCAN_UNSUPPORTED, start, row - first_row, slow_count
            pos = _skip_whitespace(buf, pos)
            if pos >= n:
                return SCAN_UNSUPPORTED, pos, row - first_row, slow_count
            if buf[pos] == _COMMA:
                pos = _skip_whitespace(buf, pos + 1)
                if pos >= n or buf[pos] != _QUOTE:
                    return SCAN_UNSUPPORTED, pos, row - first_row, slow_count
                continue
            if buf[pos] == _CLOSE_BRACE:
                break
            return SCAN_UNSUPPORTED, pos, row - first_row, slow_count
        if not (seen_image and seen_class and seen_box):
            return SCAN_UNSUPPORTED, pos, row - first_row, slow_count
        row += 1
        pos = _skip_whitespace(buf, pos + 1)
        if pos >= n:
            return SCAN_UNSUPPORTED, pos, row - first_row, slow_count
        if buf[pos] == _COMMA:
            pos = _skip_whitespace(buf, pos + 1)
            if pos >= n or buf[pos] != _OPEN_BRACE:
                return SCAN_UNSUPPORTED, pos, row - first_row, slow_count
            continue
        if buf[pos] == _CLOSE_BRACKET:
            pos = _skip_whitespace(buf, pos + 1)
            if pos != n:
                return SCAN_UNSUPPORTED, pos, row - first_row, slow_count
            return SCAN_DONE, pos, row - first_row, slow_count
        return SCAN_UNSUPPORTED, pos, row - first_row, slow_count
