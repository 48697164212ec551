"""The NER engine's result types: entity spans and the report's rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias, TypedDict

import numpy as np
from numpy.typing import NDArray

__all__ = ["Average", "EntitySpans", "Match", "ReportRow"]

# How a predicted entity and a true one match: "exact" (seqeval: same type, same first
# and last token) or "overlap" (same type, at least one token in common).
Match: TypeAlias = Literal["exact", "overlap"]
Average: TypeAlias = Literal["micro", "macro", "weighted"] | None


# One row of the report, in scikit-learn's (and seqeval's) names ("f1-score" is not an
# identifier, hence the functional form).
ReportRow = TypedDict(
    "ReportRow", {"precision": float, "recall": float, "f1-score": float, "support": int}
)


@dataclass(frozen=True, eq=False)
class EntitySpans:
    """The entities of one side, one row each, in order of position.

    ``sentence``: (k,) int64 sentence index; ``start``, ``end``: (k,) int64 token offsets
    in that sentence, ``end`` exclusive (tokens ``start .. end - 1``); ``type``: (k,)
    int32 index into ``names``.
    """

    sentence: NDArray[np.int64]
    start: NDArray[np.int64]
    end: NDArray[np.int64]
    type: NDArray[np.int32]
    names: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.sentence.size)

    def to_list(self) -> list[tuple[int, str, int, int]]:
        """``(sentence, type name, start, end)`` tuples (``end`` exclusive), seqeval v1's
        ``Entity.to_tuple()`` order."""
        return [
            (s, self.names[t], b, e)
            for s, t, b, e in zip(
                self.sentence.tolist(),
                self.type.tolist(),
                self.start.tolist(),
                self.end.tolist(),
                strict=True,
            )
        ]
