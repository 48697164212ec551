"""CoNLL files (CoNLL-2003 style) of tagged tokens: read, write, and read a gold and a
predicted file as the tag sequences ``shoal.engine.ner`` evaluates.

One token per line, columns separated by whitespace, the token first and its tag last
(CoNLL-2003: ``word POS chunk NER``; two columns ``word NER`` are as good)::

    -DOCSTART- -X- -X- O

    EU NNP B-NP B-ORG
    rejects VBZ B-VP O
    German JJ B-NP B-MISC

A blank line ends a sentence. A ``-DOCSTART-`` line starts a document (it is not a
token, and ends any open sentence). Every token line of a file has the same number of
columns (at least 2). Errors name the file and the line.

As Shoal's tables (:func:`from_conll`, :func:`from_conll_predictions`): one frame per
sentence, ``frame_id`` its number from 1, metadata ``text`` (its tokens joined by single
spaces, as text frames keep their text) and ``document`` (the document's number, 0 before
any ``-DOCSTART-``); one label (prediction) per token, ``label_id`` (``prediction_id``)
``"<frame_id>/<token index>"`` and ``class_name`` its tag, without a box; predictions have
confidence 1.

The writer puts one space between columns, a blank line after each sentence, and a
``-DOCSTART-`` line (``-X-`` in the middle columns, ``O`` last) followed by a blank line
before each document: reading what it wrote gives the same corpus back.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shoal.engine.ner import TagSequences
from shoal.errors import InputError
from shoal.formats._rows import PathLike, read_text
from shoal.tables import DatasetTables, InferenceTables

__all__ = [
    "DOCSTART",
    "ConllCorpus",
    "as_conll",
    "from_conll",
    "from_conll_predictions",
    "read_conll",
    "read_conll_pair",
    "token_id",
    "write_conll",
]

DOCSTART = "-DOCSTART-"


@dataclass(frozen=True, eq=True)
class ConllCorpus:
    """Sentences of token rows. ``sentences[i][j]`` is the columns of token j of sentence
    i (the token first, the tag last); ``documents`` the indices of the sentences that
    open a document (after a ``-DOCSTART-`` line); ``lines`` the line number (from 1)
    of each sentence's first token in the file it was read from (empty when built)."""

    sentences: list[list[tuple[str, ...]]]
    documents: list[int] = field(default_factory=list)
    lines: list[int] = field(default_factory=list, compare=False)

    @property
    def num_columns(self) -> int:
        """Columns per token line (0 for a corpus without tokens)."""
        for sentence in self.sentences:
            if sentence:
                return len(sentence[0])
        return 0

    def tokens(self) -> list[list[str]]:
        return [[row[0] for row in sentence] for sentence in self.sentences]

    def tags(self, column: int = -1) -> list[list[str]]:
        """The tag of every token: its last column, or ``column``."""
        return [[row[column] for row in sentence] for sentence in self.sentences]


def read_conll(path: PathLike) -> ConllCorpus:
    """Read a CoNLL file (see the module docstring). Each line is split once; where
    sentences and documents begin is found with array operations over the lines."""
    source = os.fspath(path)
    cells = [tuple(line.split()) for line in read_text(source).splitlines()]
    widths = np.fromiter(map(len, cells), np.int64, count=len(cells))
    starts_doc = np.fromiter((c[:1] == (DOCSTART,) for c in cells), bool, count=len(cells))
    tokens = (widths > 0) & ~starts_doc
    token_lines = np.flatnonzero(tokens)
    if token_lines.size:
        first = int(token_lines[0])
        columns = int(widths[first])
        if columns < 2:
            raise InputError(
                f"line {first + 1}: {' '.join(cells[first])!r} has one column; a token line "
                "needs the token and its tag",
                source=source,
            )
        odd = token_lines[widths[token_lines] != columns]
        if odd.size:
            bad = int(odd[0])
            raise InputError(
                f"line {bad + 1}: {int(widths[bad])} columns, but line {first + 1} has {columns} "
                "(every token line has the same columns, the tag last)",
                source=source,
            )
    # A sentence starts at a token line whose previous line is not a token line.
    previous = np.concatenate([[False], tokens[:-1]])
    begins = np.flatnonzero(tokens & ~previous)
    ends = np.flatnonzero(tokens & ~np.concatenate([tokens[1:], [False]])) + 1
    sentences = [cells[b:e] for b, e in zip(begins.tolist(), ends.tolist(), strict=True)]
    # A -DOCSTART- opens the document of the next sentence (none after the last one).
    opened = np.searchsorted(begins, np.flatnonzero(starts_doc))
    documents = sorted({int(d) for d in opened if d < len(sentences)})
    return ConllCorpus(sentences, documents, (begins + 1).tolist())


def as_conll(corpus: ConllCorpus) -> str:
    """The corpus as CoNLL text (see the module docstring)."""
    width = corpus.num_columns
    docstart = " ".join([DOCSTART, *["-X-"] * max(width - 2, 0), "O"][: max(width, 2)])
    opens = set(corpus.documents)
    out: list[str] = []
    for i, sentence in enumerate(corpus.sentences):
        if i in opens:
            out += [docstart, ""]
        for row in sentence:
            if len(row) != width or any(not cell or any(c.isspace() for c in cell) for cell in row):
                raise InputError(
                    f"sentence {i}: token row {row!r} must have {width} non-empty cells "
                    "without whitespace"
                )
            out.append(" ".join(row))
        out.append("")
    return "\n".join(out) + ("\n" if out else "")


def write_conll(path: PathLike, corpus: ConllCorpus) -> None:
    """Write the corpus as a CoNLL file (UTF-8)."""
    Path(os.fspath(path)).write_text(as_conll(corpus), encoding="utf-8")


def read_conll_pair(
    gold: PathLike, predicted: PathLike
) -> tuple[ConllCorpus, TagSequences, TagSequences]:
    """Read a gold and a predicted CoNLL file of the same sentences and tokens: (the gold
    corpus, its tags, the predicted tags), each file's tags in its last column. A
    predicted file whose sentences or tokens differ from the gold's is an error naming
    both files and lines."""
    gold_corpus = read_conll(gold)
    pred_corpus = read_conll(predicted)
    gold_name, pred_name = os.fspath(gold), os.fspath(predicted)
    if len(gold_corpus.sentences) != len(pred_corpus.sentences):
        raise InputError(
            f"{len(pred_corpus.sentences)} sentences, but {gold_name} has "
            f"{len(gold_corpus.sentences)}",
            source=pred_name,
        )
    for i, (g, p) in enumerate(zip(gold_corpus.sentences, pred_corpus.sentences, strict=True)):
        gold_line, pred_line = gold_corpus.lines[i], pred_corpus.lines[i]
        if len(g) != len(p):
            raise InputError(
                f"line {pred_line}: sentence {i + 1} has {len(p)} tokens, but in {gold_name} "
                f"(line {gold_line}) it has {len(g)}",
                source=pred_name,
            )
        for j, (gold_row, pred_row) in enumerate(zip(g, p, strict=True)):
            if gold_row[0] != pred_row[0]:
                raise InputError(
                    f"line {pred_line + j}: token {pred_row[0]!r}, but {gold_name} line "
                    f"{gold_line + j} has {gold_row[0]!r} (the files must hold the same "
                    "tokens)",
                    source=pred_name,
                )
    return (
        gold_corpus,
        TagSequences.from_lists(gold_corpus.tags(), gold_name),
        TagSequences.from_lists(pred_corpus.tags(), pred_name),
    )


def token_id(frame_id: str, token: int) -> str:
    """The label (prediction) id of token ``token`` of frame ``frame_id``."""
    return f"{frame_id}/{token}"


def from_conll(path: PathLike) -> DatasetTables:
    """A CoNLL file as a dataset's tables (see the module docstring). Columns are built
    whole (no per-token row objects): a token is a label row."""
    source = os.fspath(path)
    corpus = read_conll(source)
    count = len(corpus.sentences)
    frame_ids = [str(i + 1) for i in range(count)]
    opens = np.zeros(count, np.int64)
    opens[np.asarray(corpus.documents, dtype=np.int64)] = 1
    frames = pa.table(
        {
            "frame_id": pa.array(frame_ids, pa.string()),
            "image_uri": pa.nulls(count, pa.string()),
            "width": pa.nulls(count, pa.int32()),
            "height": pa.nulls(count, pa.int32()),
            "text": [" ".join(row[0] for row in sentence) for sentence in corpus.sentences],
            "document": pa.array(np.cumsum(opens), pa.int64()),
        }
    )
    labels = pa.table(_token_columns(corpus, frame_ids, "label_id"))
    return DatasetTables.build(frames, labels, source=source)


def _token_columns(
    corpus: ConllCorpus, frame_ids: list[str], id_column: str
) -> dict[str, pa.Array]:
    """One row per token: its id (``token_id``), its frame and its tag."""
    lengths = np.fromiter(map(len, corpus.sentences), np.int64, count=len(corpus.sentences))
    owners = pa.array(np.repeat(np.asarray(frame_ids, dtype=object), lengths), pa.string())
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    positions = np.arange(int(lengths.sum()), dtype=np.int64) - starts
    ids = pc.binary_join_element_wise(owners, pa.array(positions.astype(str)), "/")
    tags = [row[-1] for sentence in corpus.sentences for row in sentence]
    return {
        id_column: ids,
        "frame_id": owners,
        "class_name": pa.array(tags, pa.string()),
    }


def from_conll_predictions(path: PathLike, dataset: DatasetTables) -> InferenceTables:
    """A CoNLL file of predicted tags on ``dataset`` (read by :func:`from_conll`):
    sentence i of the file is frame ``i + 1``, with the same tokens."""
    source = os.fspath(path)
    corpus = read_conll(source)
    frame_ids = dataset.frames.column("frame_id").to_pylist()
    texts = (
        dataset.frames.column("text").to_pylist()
        if "text" in dataset.frames.column_names
        else [None] * len(frame_ids)
    )
    text_of = dict(zip(frame_ids, texts, strict=True))
    mine = [str(i + 1) for i in range(len(corpus.sentences))]
    for i, (frame_id, sentence) in enumerate(zip(mine, corpus.sentences, strict=True)):
        line = corpus.lines[i]
        if frame_id not in text_of:
            raise InputError(
                f"line {line}: sentence {frame_id} is not a frame of the dataset (it has "
                f"{len(frame_ids)})",
                source=source,
            )
        words = " ".join(row[0] for row in sentence)
        if words != (text_of[frame_id] or ""):
            raise InputError(
                f"line {line}: sentence {frame_id}'s tokens differ from the dataset's "
                f"({words[:60]!r} vs {(text_of[frame_id] or '')[:60]!r})",
                source=source,
            )
    columns = _token_columns(corpus, mine, "prediction_id")
    columns["confidence"] = pa.array(np.ones(len(columns["class_name"])), pa.float64())
    return InferenceTables.build(
        pa.table(columns), frame_ids=dataset.frames.column("frame_id"), source=source
    )
