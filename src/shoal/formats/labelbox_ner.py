"""Labelbox NDJSON text entities (NER) to and from token tags.

One JSON object a line (blank lines skipped), Labelbox's text-entity import payload::

    {"uuid": "...", "dataRow": {"globalKey": "doc-1"}, "name": "PER",
     "location": {"start": 0, "end": 4}, "confidence": 0.9}

``name`` is the entity type; ``dataRow`` names the text by ``globalKey`` or ``id``;
``location.start`` is the index of the entity's first character and ``location.end`` the
index of its **last** character (inclusive, Labelbox's convention: ``end`` is at most
the text's length minus 1); ``confidence`` is optional. Other lines (boxes,
classifications) are errors naming the line.

Labelbox entities are character spans, Shoal's NER engine reads token tags: given the
texts (data row key -> text), each text is split into tokens at whitespace, and an
entity tags every token it covers at least one character of (IOB2: ``B-`` on the first,
``I-`` on the rest). An entity covering no token (only whitespace), outside its text,
or sharing a token with another entity of the same text (flat tags cannot hold both) is
an error naming the line(s).

:func:`as_labelbox_ner` writes tags back as entities: each entity runs from its first
token's first character to its last token's last character, so reading what it wrote
gives the same tags.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from shoal.engine.ner import TagSequences, extract_entities
from shoal.errors import InputError
from shoal.formats._rows import PathLike
from shoal.formats.labelbox import ndjson_records
from shoal.tables import DatasetTables, InferenceTables

__all__ = [
    "TextEntity",
    "as_labelbox_ner",
    "entities_to_tags",
    "from_labelbox_ner_predictions",
    "read_labelbox_entities",
    "read_labelbox_ner_pair",
    "tokenize",
]

_TOKEN = re.compile(r"\S+")


@dataclass(frozen=True)
class TextEntity:
    """One Labelbox text entity: characters ``start .. end`` (both inclusive) of the text
    of ``data_row``; ``line`` is its line in the file (from 1)."""

    data_row: str
    name: str
    start: int
    end: int
    line: int
    confidence: float | None = None


def tokenize(text: str) -> list[tuple[int, int]]:
    """The whitespace-separated tokens of ``text`` as (first character, one past the last)."""
    return [match.span() for match in _TOKEN.finditer(text)]


def _integer(value: Any, what: str, source: str, line: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"line {line}: {what} is {value!r}, not an integer", source=source)
    return value


def read_labelbox_entities(path: PathLike) -> list[TextEntity]:
    """The text entities of a Labelbox NDJSON file (see the module docstring)."""
    source = os.fspath(path)
    out: list[TextEntity] = []
    for number, _, record in ndjson_records(source):
        location = record.get("location")
        if not isinstance(location, dict):
            raise InputError(
                f'line {number}: no text entity here (expected "location": {{"start", "end"}}}})',
                source=source,
            )
        data_row = record.get("dataRow")
        key = None
        if isinstance(data_row, dict):
            key = data_row.get("globalKey", data_row.get("id"))
        if not isinstance(key, str) or not key:
            raise InputError(
                f"line {number}: dataRow must name the text by globalKey or id", source=source
            )
        name = record.get("name")
        if not isinstance(name, str) or not name or any(c.isspace() for c in name):
            raise InputError(
                f"line {number}: name (the entity type) is {name!r}; it must be a non-empty "
                "string without whitespace",
                source=source,
            )
        start = _integer(location.get("start"), "location.start", source, number)
        end = _integer(location.get("end"), "location.end", source, number)
        if start < 0 or end < start:
            raise InputError(
                f"line {number}: location {start}..{end} is not a span (0 <= start <= end)",
                source=source,
            )
        confidence = record.get("confidence")
        if confidence is not None and (
            isinstance(confidence, bool) or not isinstance(confidence, int | float)
        ):
            raise InputError(f"line {number}: confidence is {confidence!r}", source=source)
        out.append(TextEntity(key, name, start, end, number, confidence))
    return out


def entities_to_tags(
    texts: Mapping[str, str], entities: Sequence[TextEntity], *, source: str = "entities"
) -> list[list[str]]:
    """IOB2 tags of each text's whitespace tokens, in ``texts`` order (module docstring)."""
    tokens = {key: tokenize(text) for key, text in texts.items()}
    starts = {key: [a for a, _ in spans] for key, spans in tokens.items()}
    ends = {key: [b for _, b in spans] for key, spans in tokens.items()}
    tags = {key: ["O"] * len(spans) for key, spans in tokens.items()}
    owner: dict[tuple[str, int], TextEntity] = {}
    for entity in entities:
        if entity.data_row not in texts:
            raise InputError(
                f"line {entity.line}: dataRow {entity.data_row!r} is not one of the texts",
                source=source,
            )
        length = len(texts[entity.data_row])
        if entity.end >= length:
            raise InputError(
                f"line {entity.line}: location.end {entity.end} is past the text's last "
                f"character ({length - 1}; Labelbox's end is inclusive)",
                source=source,
            )
        # Tokens ending after the entity's first character and starting at or before its last.
        first = bisect_right(ends[entity.data_row], entity.start)
        last = bisect_right(starts[entity.data_row], entity.end)
        covered = range(first, last)
        if not covered:
            raise InputError(
                f"line {entity.line}: location {entity.start}..{entity.end} covers no token "
                "(only whitespace)",
                source=source,
            )
        for position, i in enumerate(covered):
            other = owner.setdefault((entity.data_row, i), entity)
            if other is not entity:
                raise InputError(
                    f"line {entity.line}: the entity shares a token with line {other.line}'s "
                    "(token tags hold one entity per token)",
                    source=source,
                )
            tags[entity.data_row][i] = ("B-" if position == 0 else "I-") + entity.name
    return [tags[key] for key in texts]


def as_labelbox_ner(
    texts: Mapping[str, str],
    tags: Sequence[Sequence[str]],
    *,
    mode: str = "default",
    scheme: str | None = None,
) -> str:
    """Labelbox NDJSON of the entities in ``tags`` (one tag sequence per text, in
    ``texts`` order, one tag per whitespace token; entities read as
    ``shoal.engine.ner.extract_entities`` reads them)."""
    keys = list(texts)
    if len(tags) != len(keys):
        raise InputError(f"{len(tags)} tag sequences for {len(keys)} texts")
    tokens = [tokenize(texts[key]) for key in keys]
    for key, spans, sequence in zip(keys, tokens, tags, strict=True):
        if len(spans) != len(sequence):
            raise InputError(
                f"text {key!r} has {len(spans)} tokens but {len(sequence)} tags", record=key
            )
    entities = extract_entities(
        TagSequences.from_lists(tags, "tags"),
        mode=mode,  # type: ignore[arg-type]
        scheme=scheme,
    )
    lines = []
    for number, (sentence, name, start, end) in enumerate(entities.to_list()):
        spans = tokens[sentence]
        if end > len(spans):  # conlleval can run an entity past a text with odd tags
            raise InputError(
                f"text {keys[sentence]!r}: an entity ({name}) runs past its last token",
                record=keys[sentence],
            )
        lines.append(
            orjson.dumps(
                {
                    "uuid": f"{number:032x}",
                    "dataRow": {"globalKey": keys[sentence]},
                    "name": name,
                    "location": {"start": spans[start][0], "end": spans[end - 1][1] - 1},
                }
            ).decode()
        )
    return "".join(line + "\n" for line in lines)


def read_labelbox_ner_pair(
    gold: PathLike, predicted: PathLike, texts: Mapping[str, str]
) -> tuple[TagSequences, TagSequences]:
    """The gold and predicted tags (``texts`` order) of two Labelbox NDJSON files."""
    gold_name, pred_name = os.fspath(gold), os.fspath(predicted)
    gold_tags = entities_to_tags(texts, read_labelbox_entities(gold), source=gold_name)
    pred_tags = entities_to_tags(texts, read_labelbox_entities(predicted), source=pred_name)
    return (
        TagSequences.from_lists(gold_tags, gold_name),
        TagSequences.from_lists(pred_tags, pred_name),
    )


def from_labelbox_ner_predictions(path: PathLike, dataset: DatasetTables) -> InferenceTables:
    """Labelbox NDJSON text entities as predictions on an NER dataset (one whose frames
    keep their tokens in ``text``, as ``shoal.formats.conll.from_conll`` writes them):
    ``dataRow``'s ``globalKey`` (or ``id``) names the frame, each token covered by an
    entity gets its IOB2 tag and every other token ``O``, one prediction per token
    (``"<frame_id>/<token index>"``, confidence 1) as the store's NER tables have them."""
    source = os.fspath(path)
    if "text" not in dataset.frames.column_names:
        raise InputError("the dataset's frames have no 'text' column (not an NER dataset)")
    frame_ids = dataset.frames.column("frame_id").to_pylist()
    texts = pc.fill_null(dataset.frames.column("text"), "").to_pylist()
    tags = entities_to_tags(
        dict(zip(frame_ids, texts, strict=True)), read_labelbox_entities(source), source=source
    )
    lengths = np.fromiter(map(len, tags), np.int64, count=len(tags))
    owners = pa.array(np.repeat(np.asarray(frame_ids, dtype=object), lengths), pa.string())
    positions = np.arange(int(lengths.sum()), dtype=np.int64) - np.repeat(
        np.cumsum(lengths) - lengths, lengths
    )
    predictions = pa.table(
        {
            "prediction_id": pc.binary_join_element_wise(
                owners, pa.array(positions.astype(str)), "/"
            ),
            "frame_id": owners,
            "class_name": pa.array([t for sentence in tags for t in sentence], pa.string()),
            "confidence": pa.array(np.ones(int(lengths.sum())), pa.float64()),
        }
    )
    return InferenceTables.build(
        predictions, frame_ids=dataset.frames.column("frame_id"), source=source
    )
