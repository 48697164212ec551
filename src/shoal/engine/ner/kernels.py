"""Array computations of the NER engine: tags to entity spans, spans matched, counts to
scores. Pure functions over integer arrays.

The tags of all sentences are laid out in one array, each sentence followed by one
``O`` (a separator), plus one final ``O``: exactly the sequence seqeval's default mode
reads (its ``get_entities`` joins the sentences with ``O`` and appends one), and in strict
mode the separator plays the outside token seqeval appends to each sentence. A rule
"does a chunk end/start/continue between tag i-1 and tag i" is then one lookup per
position in a (previous prefix, prefix, same type) table, and spans follow from
cumulative maxima and searches, never a Python loop over tokens.

Prefix codes: conlleval (default mode) reads the first character as one of ``O B I E S .``
or anything else (``OTHER``); strict mode's schemes read one of ``I O B E S U L``.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "CONLL_CODES",
    "SCHEME_PREFIXES",
    "SCHEME_TABLES",
    "STRICT_CODES",
    "conlleval_chunks",
    "exact_matches",
    "layout",
    "overlap_matches",
    "precision_recall_f1",
    "strict_entities",
]

# conlleval's tag characters; any other first character is OTHER.
CONLL_CODES = {"O": 0, "B": 1, "I": 2, "E": 3, "S": 4, ".": 5}
CONLL_O, CONLL_DOT, CONLL_OTHER = 0, 5, 6

# The prefixes of strict mode's schemes.
STRICT_CODES = {"I": 0, "O": 1, "B": 2, "E": 3, "S": 4, "U": 5, "L": 6}
STRICT_O = STRICT_CODES["O"]


def _key(previous: int, current: int, differ: int) -> int:
    """The index of a (previous code, code, types differ) triple in a rule table."""
    return previous * 16 + current * 2 + differ


def _conlleval_tables() -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """(end, start) over ``_key(previous code, code, differ)``: conlleval's boundary
    rules, the type rule included (a type change ends a chunk unless the previous tag is
    O or ".", and starts one unless this tag is)."""
    o, b, i, e, s = (CONLL_CODES[c] for c in "OBIES")
    end_pairs = {(e, c) for c in range(7)} | {(s, c) for c in range(7)}
    end_pairs |= {(b, b), (b, s), (b, o), (i, b), (i, s), (i, o)}
    start_pairs = {(p, b) for p in range(7)} | {(p, s) for p in range(7)}
    start_pairs |= {(e, e), (e, i), (s, e), (s, i), (o, e), (o, i)}
    end = np.zeros(128, bool)
    start = np.zeros(128, bool)
    for previous in range(7):
        for current in range(7):
            for differ in (0, 1):
                key = _key(previous, current, differ)
                end[key] = (previous, current) in end_pairs or bool(
                    differ and previous not in (CONLL_O, CONLL_DOT)
                )
                start[key] = (previous, current) in start_pairs or bool(
                    differ and current not in (CONLL_O, CONLL_DOT)
                )
    return end, start


CONLL_END, CONLL_START = _conlleval_tables()

# A scheme's rules as (previous prefixes, prefixes, type condition) triples, the
# condition one of "same", "diff", "any" (the types of the two tags).
_Rule = tuple[str, str, str]
_ANY = "IOBESUL"
_SCHEME_RULES: dict[str, dict[str, tuple[_Rule, ...]]] = {
    "IOB2": {
        "start": ((_ANY, "B", "any"),),
        "inside": (("B", "I", "same"), ("I", "I", "same")),
        "end": (
            ("I", "O", "any"),
            ("I", "I", "diff"),
            ("I", "B", "any"),
            ("B", "O", "any"),
            ("B", "I", "diff"),
            ("B", "B", "any"),
        ),
    },
    "IOE2": {
        "start": (
            ("O", "I", "any"),
            ("O", "E", "any"),
            ("E", "I", "any"),
            ("E", "E", "any"),
            ("I", "I", "diff"),
            ("I", "E", "diff"),
        ),
        "inside": (("I", "E", "same"), ("I", "I", "same")),
        "end": (("E", _ANY, "any"),),
    },
    "IOBES": {
        "start": ((_ANY, "B", "any"), (_ANY, "S", "any")),
        "inside": (("B", "I", "same"), ("B", "E", "same"), ("I", "I", "same"), ("I", "E", "same")),
        "end": (("S", _ANY, "any"), ("E", _ANY, "any")),
    },
    "BILOU": {
        "start": ((_ANY, "B", "any"), (_ANY, "U", "any")),
        "inside": (("B", "I", "same"), ("B", "L", "same"), ("I", "I", "same"), ("I", "L", "same")),
        "end": (("U", _ANY, "any"), ("L", _ANY, "any")),
    },
}

# The prefixes each scheme allows (a tag with another one is an error in strict mode).
SCHEME_PREFIXES = {"IOB2": "IOB", "IOE2": "IOE", "IOBES": "IOBES", "BILOU": "BILOU"}


def _scheme_table(rules: Iterable[_Rule]) -> NDArray[np.bool_]:
    """(128,) bool over ``_key(previous prefix, prefix, types differ)``."""
    table = np.zeros(128, bool)
    for previous, current, condition in rules:
        differs = {"same": (0,), "diff": (1,), "any": (0, 1)}[condition]
        for p in previous:
            for c in current:
                for differ in differs:
                    table[_key(STRICT_CODES[p], STRICT_CODES[c], differ)] = True
    return table


# scheme -> (start, not inside, end) tables.
SCHEME_TABLES = {
    name: (_scheme_table(r["start"]), ~_scheme_table(r["inside"]), _scheme_table(r["end"]))
    for name, r in _SCHEME_RULES.items()
}


def layout(
    tag_ids: NDArray[np.int32],
    offsets: NDArray[np.int64],
    codes_of_tag: NDArray[np.int8],
    types_of_tag: NDArray[np.int32],
    outside_code: int,
    outside_type: int,
) -> tuple[NDArray[np.int8], NDArray[np.int32]]:
    """(codes, types) of the laid-out sequence (module docstring): length
    ``N + n + 1``, token j of sentence i at ``offsets[i] + i + j``."""
    num_sentences = offsets.size - 1
    size = int(offsets[-1]) + num_sentences + 1
    sentence_of_token = np.repeat(np.arange(num_sentences), np.diff(offsets))
    positions = np.arange(tag_ids.size) + sentence_of_token
    codes = np.full(size, outside_code, np.int8)
    types = np.full(size, outside_type, np.int32)
    codes[positions] = codes_of_tag[tag_ids]
    types[positions] = types_of_tag[tag_ids]
    return codes, types


def _keys(
    codes: NDArray[np.int8], types: NDArray[np.int32], first_code: int, first_differs: bool
) -> NDArray[np.int8]:
    """(M,) ``_key(code at i - 1, code at i, types at i - 1 and i differ)`` for each
    position; position 0's previous tag is ``first_code``."""
    keys = np.empty(codes.size, np.int8)
    if codes.size:
        keys[0] = _key(first_code, int(codes[0]), int(first_differs))
        np.multiply(codes[:-1], 16, out=keys[1:])
        keys[1:] += codes[1:] * 2
        keys[1:] += types[1:] != types[:-1]
    return keys


def conlleval_chunks(
    codes: NDArray[np.int8], types: NDArray[np.int32]
) -> tuple[NDArray[np.int32], NDArray[np.int64], NDArray[np.int64]]:
    """seqeval's default mode (conlleval's rules) on a laid-out sequence: (type, start,
    end) of every chunk, ``end`` exclusive, in order of their ends.

    At each position i a chunk ends (the one from the latest start before i to i - 1,
    with the type of tag i - 1) when the rules say so, and one starts; like seqeval, the
    start is the latest start before i, or 0 if none (the rules only leave a stale start
    with tags outside ``O B I E S``)."""
    # Before the first tag seqeval's previous tag is O with type "", unlike every type.
    keys = _keys(codes, types, CONLL_O, True)
    starts = np.flatnonzero(CONLL_START[keys])
    ends = np.flatnonzero(CONLL_END[keys])  # never 0: nothing ends before the first tag
    latest = np.searchsorted(starts, ends, side="left") - 1
    begins = np.where(latest >= 0, starts[np.maximum(latest, 0)] if starts.size else 0, 0)
    return types[ends - 1], begins.astype(np.int64), ends.astype(np.int64)


def strict_entities(
    codes: NDArray[np.int8], types: NDArray[np.int32], scheme: str, outside_type: int
) -> tuple[NDArray[np.int32], NDArray[np.int64], NDArray[np.int64]]:
    """seqeval's strict mode (``Tokens.entities``) for one scheme on a laid-out sequence:
    (type, start, end) of every entity, ``end`` exclusive, in order.

    An entity starts where the scheme's start rule holds, runs while its inside rule
    holds, and counts only if the end rule holds between its last tag and the next.
    A tag inside a run never satisfies the start rule in these schemes, so the starts
    are exactly the positions where the start rule holds."""
    start_table, not_inside_table, end_table = SCHEME_TABLES[scheme]
    keys = _keys(codes, types, STRICT_O, bool(types.size) and int(types[0]) != outside_type)
    starts = np.flatnonzero(start_table[keys])
    breaks = np.flatnonzero(not_inside_table[keys])
    # The laid-out sequence ends with O, never inside a run: every start finds its end.
    ends = breaks[np.searchsorted(breaks, starts, side="right")]
    closed = end_table[keys[ends]]
    starts, ends = starts[closed], ends[closed]
    return types[starts], starts.astype(np.int64), ends.astype(np.int64)


def exact_matches(
    true_spans: tuple[NDArray[np.int32], NDArray[np.int64], NDArray[np.int64]],
    pred_spans: tuple[NDArray[np.int32], NDArray[np.int64], NDArray[np.int64]],
    size: int,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """(true matched, predicted matched): an entity matches one of the other side with the
    same type, start and end. ``size`` bounds every position. Spans are unique per side
    (at most one ends, and one starts, at each position)."""
    true_types, true_starts, true_ends = true_spans
    pred_types, pred_starts, pred_ends = pred_spans
    _, true_index, pred_index = np.intersect1d(
        true_starts * size + true_ends,
        pred_starts * size + pred_ends,
        assume_unique=True,
        return_indices=True,
    )
    same_type = true_types[true_index] == pred_types[pred_index]
    true_matched = np.zeros(true_types.size, bool)
    pred_matched = np.zeros(pred_types.size, bool)
    true_matched[true_index[same_type]] = True
    pred_matched[pred_index[same_type]] = True
    return true_matched, pred_matched


def _overlapped(
    spans: tuple[NDArray[np.int32], NDArray[np.int64], NDArray[np.int64]],
    others: tuple[NDArray[np.int32], NDArray[np.int64], NDArray[np.int64]],
    size: int,
) -> NDArray[np.bool_]:
    """For each span, whether a span of ``others`` with the same type shares a position.

    Types are kept apart by shifting each type into its own range of ``size`` positions;
    sorted by start, the running maximum of the others' ends tells whether any other
    span starting at or before this span's last position reaches its first."""
    types, starts, ends = spans
    other_types, other_starts, other_ends = others
    shift = other_types.astype(np.int64) * size
    order = np.argsort(shift + other_starts, kind="stable")
    sorted_starts = (shift + other_starts)[order]
    reach = np.maximum.accumulate((shift + other_ends)[order]) if order.size else order
    own = types.astype(np.int64) * size
    last = np.searchsorted(sorted_starts, own + ends - 1, side="right") - 1
    found = last >= 0
    out = np.zeros(types.size, bool)
    out[found] = reach[last[found]] > own[found] + starts[found]
    return out


def overlap_matches(
    true_spans: tuple[NDArray[np.int32], NDArray[np.int64], NDArray[np.int64]],
    pred_spans: tuple[NDArray[np.int32], NDArray[np.int64], NDArray[np.int64]],
    size: int,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """(true matched, predicted matched): an entity matches when an entity of the other
    side with the same type shares at least one token with it."""
    return _overlapped(true_spans, pred_spans, size), _overlapped(pred_spans, true_spans, size)


def _divide(
    numerator: NDArray[np.int64], denominator: NDArray[np.int64], zero_division: float
) -> NDArray[np.float64]:
    """seqeval's (scikit-learn's) division: ``zero_division`` where the denominator is 0."""
    empty = denominator == 0
    result: NDArray[np.float64] = numerator / np.where(empty, 1, denominator)
    result[empty] = zero_division
    return result


def precision_recall_f1(
    true_positive_predictions: NDArray[np.int64],
    true_positive_truths: NDArray[np.int64],
    predicted: NDArray[np.int64],
    true: NDArray[np.int64],
    zero_division: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """(precision, recall, f1) per row, in seqeval's floating-point operations: matched
    predictions over predictions, matched truths over truths (the same count in exact
    matching), ``2 * p * r / (p + r)`` with 0 when ``p + r`` is 0."""
    precision = _divide(true_positive_predictions, predicted, zero_division)
    recall = _divide(true_positive_truths, true, zero_division)
    denominator = precision + recall
    denominator[denominator == 0.0] = 1
    f1: NDArray[np.float64] = 2.0 * precision * recall / denominator
    return precision, recall, f1
