"""NER projects in the store: named entities in each frame's text, from one tag per token.

Stored in the common tables (``shoal.tables``), without boxes, as
``shoal.formats.conll`` writes them:

* frames: one per sentence (text), its tokens in the metadata column ``text`` joined by
  single spaces (tokens hold no whitespace), as text frames keep their text;
* labels and predictions: one row per token, id ``"<frame_id>/<token index>"``,
  ``class_name`` the token's tag (``B-PER``, ``I-PER``, ``O``...). A token without a row
  is tagged ``O``.

The evaluation is the engine's ``EntityEvaluation`` (seqeval's default reading of the
tags, conlleval's) over every frame of the dataset in frame order, cached per version
like the other tasks' (``ner_cache``); segments and queries select sentences
(``sentences=``), which equals evaluating them alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from shoal.engine.ner import EntityEvaluation, TagSequences, evaluate_entities
from shoal.errors import InputError
from shoal.store._evaluations import StoredVersions, TaskEvaluations

if TYPE_CHECKING:
    from shoal.store._entities import InferenceSet, Segment
    from shoal.store._store import Store

__all__ = [
    "NER_COLUMNS",
    "NerMetrics",
    "NerSentences",
    "check_ner_rows",
    "ner_cache",
    "ner_evaluation",
    "ner_inputs",
    "ner_metrics",
    "ner_sentences",
]

NER_COLUMNS: dict[str, tuple[str, ...]] = {
    "frames": ("frame_id", "text"),
    "labels": ("label_id", "frame_id", "class_name"),
    "predictions": ("prediction_id", "frame_id", "class_name"),
}
OUTSIDE = "O"
AVERAGES = ("micro avg", "macro avg", "weighted avg")
CACHE_SIZE = 16


def _token_indices(table: pa.Table, id_column: str, what: str) -> NDArray[np.int64]:
    """Each row's token index, from its id ``"<frame_id>/<token index>"`` (vectorised:
    the id split at its last ``/``)."""
    ids = table.column(id_column).combine_chunks()
    # Greedy: the head runs to the last "/"; an id that does not match is null.
    parts = pc.extract_regex(ids, pattern=r"(?s)^(?P<head>.*)/(?P<tail>[0-9]{1,18})$")
    head, tail = pc.struct_field(parts, "head"), pc.struct_field(parts, "tail")
    good = pc.fill_null(pc.equal(head, table.column("frame_id").combine_chunks()), False)
    if not pc.all(good).as_py() and table.num_rows:
        i = int(np.flatnonzero(~good.to_numpy(zero_copy_only=False))[0])
        raise InputError(
            f"{what} id {ids[i].as_py()!r} is not '<frame_id>/<token index>' of its frame "
            f"{table['frame_id'][i].as_py()!r} (an NER project has one {what} per token)",
            record=i,
        )
    out: NDArray[np.int64] = pc.cast(tail, pa.int64()).to_numpy(zero_copy_only=False)
    return out


def check_ner_rows(table: pa.Table, what: str) -> None:
    """Rows of an NER project: no box, ids naming their frame and token."""
    boxed = table.column("width").is_valid()
    if pc.any(boxed).as_py():
        first = int(np.flatnonzero(boxed.to_numpy(zero_copy_only=False))[0])
        raise InputError(
            f"{what} has a box, but this is an NER project (one tag per token, no box)",
            record=first,
        )
    _token_indices(table, table.column_names[0], what)


def _token_counts(frames: pa.Table) -> NDArray[np.int64]:
    if "text" not in frames.column_names:
        raise InputError("the frames of an NER dataset need a 'text' column (their tokens)")
    texts = pc.fill_null(frames.column("text"), "")
    spaces = pc.count_substring(texts, " ").to_numpy(zero_copy_only=False).astype(np.int64)
    empty = pc.equal(pc.utf8_length(texts), 0).to_numpy(zero_copy_only=False)
    counts: NDArray[np.int64] = np.where(empty, 0, spaces + 1)
    return counts


def _tags(frames: pa.Table, table: pa.Table, id_column: str, what: str) -> TagSequences:
    """Every frame's tag sequence (frames order), ``O`` where a token has no row."""
    counts = _token_counts(frames)
    offsets = np.zeros(counts.size + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    frame_index = pc.index_in(table.column("frame_id"), value_set=frames.column("frame_id"))
    if frame_index.null_count:
        bad = int(np.flatnonzero(frame_index.is_null().to_numpy(zero_copy_only=False))[0])
        raise InputError(
            f"{what} names unknown frame {table['frame_id'][bad].as_py()!r}", record=bad
        )
    rows = np.asarray(frame_index.to_numpy(zero_copy_only=False), np.int64)
    tokens = _token_indices(table, id_column, what)
    outside = tokens >= counts[rows]
    if outside.any():
        bad = int(np.flatnonzero(outside)[0])
        raise InputError(
            f"{what} {table[id_column][bad].as_py()!r}: its frame has {int(counts[rows[bad]])} "
            "tokens",
            record=bad,
        )
    encoded = pc.dictionary_encode(table.column("class_name")).combine_chunks()
    vocabulary = (*encoded.dictionary.to_pylist(), OUTSIDE)
    tag_ids = np.full(int(offsets[-1]), len(vocabulary) - 1, np.int32)
    tag_ids[offsets[rows] + tokens] = encoded.indices.to_numpy(zero_copy_only=False)
    return TagSequences(tag_ids, offsets, vocabulary)


@dataclass(frozen=True, eq=False)
class NerInputs:
    """An NER inference set as the engine evaluated it, with the frames' texts."""

    evaluation: EntityEvaluation
    frame_ids: list[str]
    texts: list[str]

    def sentences(self, frames: list[str] | None) -> list[int] | None:
        """The sentence indices of the selected frame ids (None: every sentence)."""
        if frames is None:
            return None
        index = {frame_id: i for i, frame_id in enumerate(self.frame_ids)}
        return sorted(index[f] for f in frames if f in index)


def ner_inputs(frames: pa.Table, labels: pa.Table, predictions: pa.Table) -> NerInputs:
    """The engine's evaluation of stored NER tables (module docstring)."""
    truth = _tags(frames, labels, "label_id", "label")
    predicted = _tags(frames, predictions, "prediction_id", "prediction")
    texts = pc.fill_null(frames.column("text"), "").to_pylist()
    return NerInputs(
        evaluate_entities(truth, predicted), frames.column("frame_id").to_pylist(), texts
    )


@dataclass
class _Entry:
    inputs: NerInputs
    version: int


def _build_entry(snapshot: StoredVersions, read: Callable[..., pa.Table]) -> _Entry:
    """An NER inference set's evaluation inputs from its stored tables."""
    dataset_object, set_object = snapshot.dataset_row["object"], snapshot.set_row["object"]
    inputs = ner_inputs(
        read(dataset_object, "frames.parquet", NER_COLUMNS["frames"]),
        read(dataset_object, "labels.parquet", NER_COLUMNS["labels"]),
        read(set_object, "predictions.parquet", NER_COLUMNS["predictions"]),
    )
    return _Entry(inputs, int(snapshot.set_row["version"]))


def ner_cache(store: Store, size: int = CACHE_SIZE) -> TaskEvaluations[_Entry]:
    """The store's most recently used NER evaluations."""
    return TaskEvaluations(store, "ner", _build_entry, size)


def ner_evaluation(inference_set: InferenceSet) -> EntityEvaluation:
    return inference_set.store.ner_evaluations.entry(inference_set).inputs.evaluation


def _typed_rows(
    evaluation: EntityEvaluation, match: str, sentences: list[int] | None
) -> dict[str, Any]:
    """The report of one matching, types as records with their tp, fp, fn."""
    report = evaluation.report(match=match, sentences=sentences)  # type: ignore[arg-type]
    counts = evaluation.counts(match, sentences=sentences)  # type: ignore[arg-type]
    column = {name: i for i, name in enumerate(evaluation.names)}
    types = []
    for name, row in report.items():
        if name in AVERAGES:
            continue
        i = column[name]
        types.append(
            {
                "label": name, **row,
                "tp": int(counts["matched_pred"][i]),
                "fp": int(counts["pred"][i] - counts["matched_pred"][i]),
                "fn": int(counts["true"][i] - counts["matched_true"][i]),
            }
        )  # fmt: skip
    averages = {name: dict(report[name]) for name in AVERAGES}
    return {"types": types, "averages": averages}


@dataclass(frozen=True)
class NerMetrics:
    """An NER inference set's entity-level scores on one selection of frames: the exact
    report (equal to seqeval's) and the overlap one."""

    version: int
    num_frames: int
    exact: dict[str, Any]
    overlap: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "num_frames": self.num_frames,
            "mode": "default",
            "exact": self.exact,
            "overlap": self.overlap,
        }


def _selected(
    inference_set: InferenceSet, segment: Segment | str | None, query: str | None
) -> tuple[_Entry, list[int] | None]:
    frames = inference_set.dataset._selection(segment, query)
    entry = inference_set.store.ner_evaluations.entry(inference_set)
    return entry, entry.inputs.sentences(frames)


def ner_metrics(
    inference_set: InferenceSet,
    *,
    segment: Segment | str | None = None,
    query: str | None = None,
) -> NerMetrics:
    entry, sentences = _selected(inference_set, segment, query)
    evaluation = entry.inputs.evaluation
    return NerMetrics(
        version=entry.version,
        num_frames=evaluation.num_sentences if sentences is None else len(sentences),
        exact=_typed_rows(evaluation, "exact", sentences),
        overlap=_typed_rows(evaluation, "overlap", sentences),
    )


@dataclass(frozen=True)
class NerSentences:
    """One page of frames with their tokens and both sides' entities; each entity
    ``{"type", "start", "end", "matched"}`` (tokens ``start .. end - 1``; ``matched``
    under the page's matching)."""

    version: int
    match: str
    total: int
    offset: int
    sentences: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "match": self.match,
            "total": self.total,
            "offset": self.offset,
            "sentences": self.sentences,
        }


def ner_sentences(
    inference_set: InferenceSet,
    *,
    match: str = "exact",
    errors_only: bool = False,
    entity_type: str | None = None,
    frame_id: str | None = None,
    segment: Segment | str | None = None,
    query: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> NerSentences:
    """A page of the selected frames (frame order) with their text's tokens and entities.
    ``errors_only``: only frames with an entity not matched (a miss or a false entity);
    ``entity_type``: only frames with an entity of that type (on either side);
    ``frame_id``: only that frame (an unknown one is an error)."""
    if offset < 0 or limit < 1:
        raise InputError(f"offset must be >= 0 and limit >= 1, got {offset} and {limit}")
    entry, sentences = _selected(inference_set, segment, query)
    inputs = entry.inputs
    evaluation = inputs.evaluation
    true_matched, pred_matched = evaluation.matched(match)  # type: ignore[arg-type]
    sides = (
        (evaluation.true_entities, true_matched),
        (evaluation.pred_entities, pred_matched),
    )
    if entity_type is not None and entity_type not in evaluation.names:
        raise InputError(f"unknown entity type {entity_type!r}; types are {list(evaluation.names)}")
    keep = np.zeros(evaluation.num_sentences, bool)
    if sentences is None:
        keep[:] = True
    else:
        keep[np.asarray(sentences, dtype=np.int64)] = True
    if frame_id is not None:
        try:
            only = inputs.frame_ids.index(frame_id)
        except ValueError:
            raise InputError(f"frame {frame_id!r} is not in the dataset") from None
        alone = np.zeros(evaluation.num_sentences, bool)
        alone[only] = True
        keep &= alone
    if errors_only or entity_type is not None:
        wanted = np.zeros(evaluation.num_sentences, bool)
        for spans, matched in sides:
            rows = np.ones(len(spans), bool)
            if errors_only:
                rows &= ~matched
            if entity_type is not None:
                rows &= spans.type == evaluation.names.index(entity_type)
            wanted[spans.sentence[rows]] = True
        keep &= wanted
    chosen = np.flatnonzero(keep)
    page = chosen[offset : offset + limit]
    out = []
    for sentence in page.tolist():
        text = inputs.texts[sentence]
        sentence_sides = []
        for spans, matched in sides:
            rows = np.flatnonzero(spans.sentence == sentence)
            sentence_sides.append(
                [
                    {
                        "type": evaluation.names[int(spans.type[r])],
                        "start": int(spans.start[r]),
                        "end": int(spans.end[r]),
                        "matched": bool(matched[r]),
                    }
                    for r in rows.tolist()
                ]
            )
        out.append(
            {
                "frame_id": inputs.frame_ids[sentence],
                "tokens": text.split(" ") if text else [],
                "truth": sentence_sides[0],
                "predicted": sentence_sides[1],
            }
        )
    return NerSentences(entry.version, match, int(chosen.size), offset, out)
