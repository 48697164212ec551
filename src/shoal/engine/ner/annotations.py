"""Tag sequences, validated once: every sentence's tags as one flat array of ids into a
vocabulary of distinct tag strings, plus where each sentence starts.

``y_true`` and ``y_pred`` are one sequence of string tags per sentence (``"B-PER"``,
``"I-PER"``, ``"O"``, ...), the same lengths sentence by sentence. Python touches each
tag once (to look its id up); everything after works on the id arrays, and each tag
string is parsed once per distinct value.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
from numpy.typing import NDArray

from shoal.engine._messages import shown
from shoal.errors import InputError

__all__ = ["TagSequences"]


@dataclass(frozen=True, eq=False)
class TagSequences:
    """The tags of n sentences in one id array (see the module docstring).

    ``tag_ids``: (N,) int32, the id of every token's tag, sentence after sentence, indexing
    ``vocabulary``. ``offsets``: (n + 1,) int64, sentence i is
    ``tag_ids[offsets[i]:offsets[i + 1]]``.
    """

    tag_ids: NDArray[np.int32]
    offsets: NDArray[np.int64]
    vocabulary: tuple[str, ...]

    @property
    def num_sentences(self) -> int:
        return int(self.offsets.size - 1)

    @property
    def lengths(self) -> NDArray[np.int64]:
        return np.diff(self.offsets)

    def sentence(self, index: int) -> list[str]:
        """The tags of one sentence, as strings."""
        ids = self.tag_ids[self.offsets[index] : self.offsets[index + 1]]
        return [self.vocabulary[i] for i in ids.tolist()]

    @classmethod
    def from_lists(cls, sequences: Iterable[Sequence[str]], name: str = "y_true") -> TagSequences:
        """Read one sequence of tag strings per sentence; errors name ``name`` and the
        sentence."""
        if isinstance(sequences, str | bytes):
            raise InputError(f"{name} must be one sequence of tags per sentence, not a string")
        sentences = sequences if isinstance(sequences, list) else list(sequences)
        if not set(map(type, sentences)) <= {list, tuple}:
            for i, sentence in enumerate(sentences):
                if isinstance(sentence, str | bytes) or not isinstance(
                    sentence, Sequence | np.ndarray
                ):
                    raise InputError(
                        f"{name}[{i}] is {shown(sentence)}, not a sequence of tags (a sentence)",
                        record=i,
                    )
        lengths = np.fromiter(map(len, sentences), np.int64, count=len(sentences))
        offsets = np.zeros(len(sentences) + 1, np.int64)
        np.cumsum(lengths, out=offsets[1:])
        try:
            ids_of: dict[Any, int] = dict.fromkeys(chain.from_iterable(sentences), 0)
        except TypeError:  # an unhashable value: name the first tag that is not a string
            flat = list(chain.from_iterable(sentences))
            _check_tag(next(t for t in flat if not isinstance(t, str)), name, flat, offsets)
            raise
        for i, tag in enumerate(ids_of):
            if not (isinstance(tag, str) and tag):
                _check_tag(tag, name, list(chain.from_iterable(sentences)), offsets)
            ids_of[tag] = i
        tag_ids = np.fromiter(
            map(ids_of.__getitem__, chain.from_iterable(sentences)),
            np.int32,
            count=int(offsets[-1]),
        )
        vocabulary = tuple(str(tag) for tag in ids_of)
        return cls(tag_ids, offsets, vocabulary)

    def check_same_shape(self, other: TagSequences, names: tuple[str, str]) -> None:
        """Raise unless ``other`` has as many sentences, each as long (seqeval's rule)."""
        if self.num_sentences != other.num_sentences:
            raise InputError(
                f"{names[0]} has {self.num_sentences} sentences but {names[1]} has "
                f"{other.num_sentences}"
            )
        differ = np.flatnonzero(self.lengths != other.lengths)
        if differ.size:
            i = int(differ[0])
            raise InputError(
                f"sentence {i} has {int(self.lengths[i])} tags in {names[0]} but "
                f"{int(other.lengths[i])} in {names[1]}",
                record=i,
            )


def _check_tag(tag: Any, name: str, flat: list[Any], offsets: NDArray[np.int64]) -> None:
    """Raise naming the first token whose tag is ``tag`` (not a string, or empty)."""
    position = next(i for i, value in enumerate(flat) if value is tag)
    sentence = int(np.searchsorted(offsets, position, side="right") - 1)
    token = position - int(offsets[sentence])
    what = "an empty tag" if isinstance(tag, str) else f"{shown(tag)}, not a string tag"
    raise InputError(f"{name}[{sentence}][{token}] is {what}", record=sentence)
