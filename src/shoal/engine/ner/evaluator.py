"""Entity-level NER evaluation: tag sequences to entity spans once, then any report.

``evaluate_entities(y_true, y_pred)`` reads the tags of both sides, extracts every
entity (seqeval's default mode, conlleval's rules; or its strict mode for one scheme) and
answers precision, recall, F1 and support per entity type and averaged, equal to
seqeval's ``classification_report(..., output_dict=True)``, ``precision_score``,
``recall_score`` and ``f1_score``. ``match="overlap"`` counts entities of the same type
that share a token (see the "Named entities" section of ``docs/metrics.md``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from shoal.engine._messages import shown
from shoal.engine.ner import kernels
from shoal.engine.ner.annotations import TagSequences
from shoal.engine.ner.metrics import Average, EntitySpans, Match, ReportRow
from shoal.errors import InputError

__all__ = ["SCHEMES", "EntityEvaluation", "evaluate_entities", "extract_entities"]

SCHEMES = ("IOB2", "IOE2", "IOBES", "BILOU")
MODES = ("default", "strict")
MATCHES = ("exact", "overlap")
AVERAGES = (None, "micro", "macro", "weighted")
OUTSIDE_TYPE = "_"  # seqeval's type of a tag without one ("O", a bare "B")

_Spans = tuple[NDArray[np.int32], NDArray[np.int64], NDArray[np.int64]]

# The prefix sets seqeval's auto_detect accepts for each scheme (from y_true's tags).
_DETECTED: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("IOB2", ("IOB", "IB", "BO", "B")),
    ("IOE2", ("IOE", "IE", "EO", "E")),
    ("IOBES", ("IOBES", "IBES", "IOBE", "OBES", "IBE", "BES", "OBE", "BE", "S")),
    ("BILOU", ("IOBLU", "IBLU", "IOBL", "OBLU", "IBL", "BLU", "OBL", "BL", "U")),
)


def evaluate_entities(
    y_true: Iterable[Sequence[str]] | TagSequences,
    y_pred: Iterable[Sequence[str]] | TagSequences,
    *,
    scheme: str | None = None,
    mode: Literal["default", "strict"] = "default",
    suffix: bool = False,
) -> EntityEvaluation:
    """Extract the entities of both sides and return the evaluation that scores them.

    ``y_true``, ``y_pred``: one sequence of string tags per sentence, equal lengths.
    ``mode="default"`` reads tags as conlleval (and seqeval by default) does: ``B``,
    ``I``, ``E``, ``S`` prefixes, an ``I-`` without ``B-`` or a change of type starts an
    entity; ``scheme`` is not used. ``mode="strict"`` reads them as seqeval's strict mode
    for ``scheme`` (``"IOB2"``, ``"IOE2"``, ``"IOBES"``, ``"BILOU"``; default detected from
    ``y_true``'s prefixes as seqeval does): an entity counts only if well formed, and a
    prefix the scheme does not allow is an error. ``suffix=True`` reads tags as
    ``PER-B`` (the prefix last).
    """
    if mode not in MODES:
        raise InputError(f"mode must be one of {', '.join(MODES)}, got {shown(mode)}")
    if scheme is not None and scheme not in SCHEMES:
        raise InputError(f"scheme must be one of {', '.join(SCHEMES)}, got {shown(scheme)}")
    truth = y_true if isinstance(y_true, TagSequences) else TagSequences.from_lists(y_true)
    predicted = (
        y_pred if isinstance(y_pred, TagSequences) else TagSequences.from_lists(y_pred, "y_pred")
    )
    truth.check_same_shape(predicted, ("y_true", "y_pred"))
    if mode == "strict" and scheme is None:
        scheme = _detect_scheme(truth, suffix)
    type_ids: dict[str, int] = {OUTSIDE_TYPE: 0}
    true_spans = _spans(truth, "y_true", mode, scheme, suffix, type_ids)
    pred_spans = _spans(predicted, "y_pred", mode, scheme, suffix, type_ids)
    return EntityEvaluation(truth, true_spans, pred_spans, type_ids, mode=mode, scheme=scheme)


def extract_entities(
    tags: Iterable[Sequence[str]] | TagSequences,
    *,
    scheme: str | None = None,
    mode: Literal["default", "strict"] = "default",
    suffix: bool = False,
) -> EntitySpans:
    """The entities of one side's tag sequences, read as ``evaluate_entities`` reads
    them (same arguments)."""
    if mode not in MODES:
        raise InputError(f"mode must be one of {', '.join(MODES)}, got {shown(mode)}")
    if scheme is not None and scheme not in SCHEMES:
        raise InputError(f"scheme must be one of {', '.join(SCHEMES)}, got {shown(scheme)}")
    side = tags if isinstance(tags, TagSequences) else TagSequences.from_lists(tags, "tags")
    if mode == "strict" and scheme is None:
        scheme = _detect_scheme(side, suffix)
    type_ids: dict[str, int] = {OUTSIDE_TYPE: 0}
    spans = _spans(side, "tags", mode, scheme, suffix, type_ids)
    none = (np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros(0, np.int64))
    return EntityEvaluation(side, spans, none, type_ids, mode=mode, scheme=scheme).true_entities


def _spans(
    side: TagSequences,
    name: str,
    mode: str,
    scheme: str | None,
    suffix: bool,
    type_ids: dict[str, int],
) -> _Spans:
    """(type id, start, end) of the entities of one side, in laid-out positions."""
    outside = type_ids[OUTSIDE_TYPE]
    if mode == "strict":
        assert scheme is not None
        codes, types = _strict_tags(side, name, scheme, suffix, type_ids)
        laid = kernels.layout(side.tag_ids, side.offsets, codes, types, kernels.STRICT_O, outside)
        return kernels.strict_entities(*laid, scheme, outside)
    codes, types = _conlleval_tags(side, suffix, type_ids)
    laid = kernels.layout(side.tag_ids, side.offsets, codes, types, kernels.CONLL_O, outside)
    return kernels.conlleval_chunks(*laid)


class EntityEvaluation:
    """The entities of both sides and every score over them. ``match`` is ``"exact"``
    (seqeval: same type, same first and last token) or ``"overlap"`` (same type, at least
    one token in common); ``zero_division`` (0 or 1) is a ratio's value when its
    denominator is 0 (seqeval's ``"warn"`` reads as 0)."""

    def __init__(
        self,
        truth: TagSequences,
        true_spans: _Spans,
        pred_spans: _Spans,
        type_ids: dict[str, int],
        *,
        mode: str,
        scheme: str | None,
    ) -> None:
        self.mode = mode
        self.scheme = scheme
        self.num_sentences = truth.num_sentences
        # Positions in the laid-out sequence (kernels.layout); keys and shifts stay below it.
        self._size = int(truth.offsets[-1]) + truth.num_sentences + 1
        type_names = np.asarray(list(type_ids), dtype=object)
        present = np.unique(np.concatenate([true_spans[0], pred_spans[0]]))
        order = np.argsort(type_names[present].astype(str), kind="stable")
        self.names: tuple[str, ...] = tuple(str(n) for n in type_names[present[order]])
        column_of = np.full(len(type_ids), -1, np.int32)
        column_of[present[order]] = np.arange(present.size, dtype=np.int32)
        # Spans with types as columns of the report (names order).
        self._true = (column_of[true_spans[0]], true_spans[1], true_spans[2])
        self._pred = (column_of[pred_spans[0]], pred_spans[1], pred_spans[2])
        self._sentence_starts = truth.offsets[:-1] + np.arange(truth.num_sentences)
        self._true_sentences = self._sentence_of(self._true[1])
        self._pred_sentences = self._sentence_of(self._pred[1])
        self._matched = cache(self._compute_matched)

    def __repr__(self) -> str:
        return (
            f"EntityEvaluation({self.num_sentences} sentences, {len(self._true[0])} true and "
            f"{len(self._pred[0])} predicted entities, mode={self.mode!r}, scheme={self.scheme!r})"
        )

    # ----------------------------------------------------------------- entities
    @property
    def true_entities(self) -> EntitySpans:
        return self._entity_spans(self._true)

    @property
    def pred_entities(self) -> EntitySpans:
        return self._entity_spans(self._pred)

    def _sentence_of(self, starts: NDArray[np.int64]) -> NDArray[np.int64]:
        """The sentence of each laid-out position."""
        found: NDArray[np.int64] = np.searchsorted(self._sentence_starts, starts, side="right") - 1
        return found

    def _entity_spans(self, spans: _Spans) -> EntitySpans:
        types, starts, ends = spans
        sentence = self._sentence_of(starts)
        first = self._sentence_starts[sentence]
        return EntitySpans(sentence, starts - first, ends - first, types, self.names)

    def matched(self, match: Match = "exact") -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
        """(true matched, predicted matched): per entity of ``true_entities`` and of
        ``pred_entities``, whether it matches one of the other side."""
        if match not in MATCHES:
            raise InputError(f"match must be one of {', '.join(MATCHES)}, got {shown(match)}")
        return self._matched(match)

    def _compute_matched(self, match: str) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
        if match == "exact":
            return kernels.exact_matches(self._true, self._pred, self._size)
        return kernels.overlap_matches(self._true, self._pred, self._size)

    def counts(
        self, match: Match = "exact", *, sentences: Iterable[int] | None = None
    ) -> dict[str, NDArray[np.int64]]:
        """Per type (``names`` order): ``matched_pred`` and ``matched_true`` (the same in
        exact matching), ``pred`` and ``true`` (entities of each side); with
        ``sentences`` (indices), only the entities of those sentences count."""
        true_matched, pred_matched = self.matched(match)
        width = len(self.names)
        true_types, pred_types = self._true[0], self._pred[0]
        if sentences is not None:
            chosen = self._sentence_mask(sentences)
            true_keep = chosen[self._true_sentences]
            pred_keep = chosen[self._pred_sentences]
            true_types, true_matched = true_types[true_keep], true_matched[true_keep]
            pred_types, pred_matched = pred_types[pred_keep], pred_matched[pred_keep]
        return {
            "matched_pred": np.bincount(pred_types[pred_matched], minlength=width),
            "matched_true": np.bincount(true_types[true_matched], minlength=width),
            "pred": np.bincount(pred_types, minlength=width),
            "true": np.bincount(true_types, minlength=width),
        }

    def _present_counts(
        self, match: Match, sentences: Iterable[int] | None
    ) -> tuple[tuple[str, ...], dict[str, NDArray[np.int64]]]:
        """(type names, counts) of the types with an entity in the selection (every type
        without one): the rows seqeval reports for those sentences alone."""
        c = self.counts(match, sentences=sentences)
        if sentences is None:
            return self.names, c
        present = (c["true"] + c["pred"]) > 0
        names = tuple(n for n, keep in zip(self.names, present.tolist(), strict=True) if keep)
        return names, {key: value[present] for key, value in c.items()}

    def _sentence_mask(self, sentences: Iterable[int]) -> NDArray[np.bool_]:
        chosen = np.asarray(list(sentences), dtype=np.int64)
        bad = (chosen < 0) | (chosen >= self.num_sentences)
        if bad.any():
            raise InputError(
                f"sentence {int(chosen[bad][0])} is not one of the {self.num_sentences} sentences"
            )
        mask = np.zeros(self.num_sentences, bool)
        mask[chosen] = True
        return mask

    # ----------------------------------------------------------------- scores
    def precision_recall_fscore_support(
        self,
        average: Average = None,
        *,
        match: Match = "exact",
        zero_division: float | str = 0,
        sentences: Iterable[int] | None = None,
    ) -> tuple[Any, Any, Any, Any]:
        """seqeval's ``precision_recall_fscore_support``: per type arrays (``average=None``)
        or the ``"micro"``, ``"macro"`` or ``"weighted"`` (by support) average, with the
        total support. ``sentences``: only the entities of those sentences (indices)
        count."""
        if average not in AVERAGES:
            raise InputError(
                f"average must be one of None, micro, macro, weighted, got {shown(average)}"
            )
        zero = _zero_division(zero_division)
        _, c = self._present_counts(match, sentences)
        if average == "micro":
            c = {key: np.asarray([value.sum()]) for key, value in c.items()}
        precision, recall, f1 = kernels.precision_recall_f1(
            c["matched_pred"], c["matched_true"], c["pred"], c["true"], zero
        )
        support = c["true"]
        if average is None:
            return precision, recall, f1, support
        total = int(support.sum())
        if average == "weighted":
            if total == 0:
                # seqeval's (scikit-learn's) rule when no entity is true.
                none_predicted = int(c["pred"].sum()) == 0
                value = zero if none_predicted else 0.0
                return value, zero, value, total
            weighted = [float(np.average(v, weights=support)) for v in (precision, recall, f1)]
            return weighted[0], weighted[1], weighted[2], total
        # micro: one row; macro: the unweighted mean (NaN with no entity type at all).
        means = [float(v.mean()) if v.size else float("nan") for v in (precision, recall, f1)]
        return means[0], means[1], means[2], total

    def precision(
        self, average: Average = "micro", *, match: Match = "exact", zero_division: float = 0
    ) -> Any:
        """seqeval's ``precision_score`` (default ``average="micro"``)."""
        return self.precision_recall_fscore_support(
            average, match=match, zero_division=zero_division
        )[0]

    def recall(
        self, average: Average = "micro", *, match: Match = "exact", zero_division: float = 0
    ) -> Any:
        """seqeval's ``recall_score``."""
        return self.precision_recall_fscore_support(
            average, match=match, zero_division=zero_division
        )[1]

    def f1(
        self, average: Average = "micro", *, match: Match = "exact", zero_division: float = 0
    ) -> Any:
        """seqeval's ``f1_score``."""
        return self.precision_recall_fscore_support(
            average, match=match, zero_division=zero_division
        )[2]

    def report(
        self,
        *,
        match: Match = "exact",
        zero_division: float | str = 0,
        sentences: Iterable[int] | None = None,
    ) -> dict[str, ReportRow]:
        """seqeval's ``classification_report(..., output_dict=True)``: a row per entity
        type (sorted names), then ``micro avg``, ``macro avg``, ``weighted avg``; each row
        ``precision``, ``recall``, ``f1-score``, ``support`` (true entities).
        ``sentences``: the report of those sentences (indices) alone (the types with an
        entity there)."""
        if sentences is not None:
            sentences = list(sentences)
        names = self._present_counts(match, sentences)[0]
        precision, recall, f1, support = self.precision_recall_fscore_support(
            None, match=match, zero_division=zero_division, sentences=sentences
        )
        out: dict[str, ReportRow] = {
            name: _row(p, r, f, s)
            for name, p, r, f, s in zip(
                names,
                precision.tolist(),
                recall.tolist(),
                f1.tolist(),
                support.tolist(),
                strict=True,
            )
        }
        for average in ("micro", "macro", "weighted"):
            p, r, f, s = self.precision_recall_fscore_support(
                average, match=match, zero_division=zero_division, sentences=sentences
            )
            out[f"{average} avg"] = _row(p, r, f, s)
        return out


def _row(precision: float, recall: float, f1: float, support: int) -> ReportRow:
    return {
        "precision": float(precision),
        "recall": float(recall),
        "f1-score": float(f1),
        "support": int(support),
    }


def _zero_division(value: float | str) -> float:
    if isinstance(value, str) and value == "warn":
        return 0.0
    if isinstance(value, bool) or value not in (0, 1):
        raise InputError(f"zero_division must be 0, 1 or 'warn', got {shown(value)}")
    return float(value)


def _split(tag: str, suffix: bool) -> tuple[str, str]:
    """(prefix character, the rest of the tag)."""
    return (tag[-1], tag[:-1]) if suffix else (tag[0], tag[1:])


def _type_id(type_ids: dict[str, int], name: str) -> int:
    return type_ids.setdefault(name, len(type_ids))


def _conlleval_tags(
    side: TagSequences, suffix: bool, type_ids: dict[str, int]
) -> tuple[NDArray[np.int8], NDArray[np.int32]]:
    """(code, type id) of each distinct tag, read as seqeval's ``get_entities`` does."""
    codes = np.empty(len(side.vocabulary), np.int8)
    types = np.empty(len(side.vocabulary), np.int32)
    for i, tag in enumerate(side.vocabulary):
        prefix, rest = _split(tag, suffix)
        codes[i] = kernels.CONLL_CODES.get(prefix, kernels.CONLL_OTHER)
        name = rest.rsplit("-", maxsplit=1)[0] if suffix else rest.split("-", maxsplit=1)[-1]
        types[i] = _type_id(type_ids, name or OUTSIDE_TYPE)
    return codes, types


def _strict_tags(
    side: TagSequences, name: str, scheme: str, suffix: bool, type_ids: dict[str, int]
) -> tuple[NDArray[np.int8], NDArray[np.int32]]:
    """(prefix code, type id) of each distinct tag, read as seqeval's strict ``Token``;
    a prefix the scheme does not allow is an error naming the first tag that has it."""
    allowed = kernels.SCHEME_PREFIXES[scheme]
    codes = np.empty(len(side.vocabulary), np.int8)
    types = np.empty(len(side.vocabulary), np.int32)
    for i, tag in enumerate(side.vocabulary):
        prefix, rest = _split(tag, suffix)
        if prefix not in allowed:
            sentence, token = _first_use(side, i)
            raise InputError(
                f"{name}[{sentence}][{token}] is {tag!r}: its prefix {prefix!r} is not one of "
                f"{scheme}'s ({', '.join(allowed)})",
                record=sentence,
            )
        codes[i] = kernels.STRICT_CODES[prefix]
        types[i] = _type_id(type_ids, rest.strip("-") or OUTSIDE_TYPE)
    return codes, types


def _first_use(side: TagSequences, tag_id: int) -> tuple[int, int]:
    """(sentence, token) of the first token with tag ``tag_id``."""
    position = int(np.flatnonzero(side.tag_ids == tag_id)[0])
    sentence = int(np.searchsorted(side.offsets, position, side="right") - 1)
    return sentence, position - int(side.offsets[sentence])


def _detect_scheme(truth: TagSequences, suffix: bool) -> str:
    """seqeval's ``auto_detect``: the scheme whose allowed prefix sets hold the set of
    y_true's prefixes."""
    used = np.unique(truth.tag_ids)
    prefixes = {_split(truth.vocabulary[i], suffix)[0] for i in used.tolist()}
    unknown = prefixes - set(kernels.STRICT_CODES)
    if unknown:
        raise InputError(
            f"cannot detect the tagging scheme: y_true has prefixes {sorted(unknown)} outside "
            "I O B E S U L; pass scheme="
        )
    for scheme, sets in _DETECTED:
        if any(prefixes == set(allowed) for allowed in sets):
            return scheme
    raise InputError(
        f"cannot detect the tagging scheme from y_true's prefixes {sorted(prefixes)}; pass "
        f"scheme= (one of {', '.join(SCHEMES)})"
    )
