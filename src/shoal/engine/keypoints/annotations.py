"""Keypoint, point and polyline geometry in columns: :class:`PointLists` (each object's
points, one flat array) and :class:`KeypointSchema` (a class's keypoint names,
skeleton and OKS sigmas)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shoal.errors import InputError

# COCO's per-keypoint OKS sigmas of its 17 person keypoints (pycocotools' kpt_oks_sigmas).
# fmt: off
COCO_PERSON_SIGMAS: NDArray[np.float64] = np.array(
    [0.26, 0.25, 0.25, 0.35, 0.35, 0.79, 0.79, 0.72, 0.72, 0.62, 0.62, 1.07, 1.07, 0.87, 0.87,
     0.89, 0.89]
) / 10.0
# fmt: on
# The sigma of a keypoint of a class that is not COCO's 17-keypoint person when no sigmas
# are given: the mean of COCO's person sigmas (a keypoint as hard to place as COCO's
# average one).
DEFAULT_SIGMA = float(COCO_PERSON_SIGMAS.mean())


@dataclass(frozen=True, slots=True, eq=False)
class PointLists:
    """The points of a sequence of objects: object ``i`` owns rows
    ``points[offsets[i]:offsets[i + 1]]``. ``points`` is (total, width): width 3 for
    keypoints (x, y, v), 2 for points and polylines (x, y)."""

    offsets: NDArray[np.int64]
    points: NDArray[np.float64]

    def __post_init__(self) -> None:
        offsets, points = self.offsets, self.points
        if offsets.ndim != 1 or offsets.size < 1 or offsets[0] != 0:
            raise InputError("offsets must be a 1-D array starting at 0")
        if (np.diff(offsets) < 0).any() or offsets[-1] != points.shape[0]:
            raise InputError(
                f"offsets must rise from 0 to the number of points ({points.shape[0]})"
            )

    def __len__(self) -> int:
        return int(self.offsets.size - 1)

    @property
    def counts(self) -> NDArray[np.int64]:
        """Points per object."""
        return np.diff(self.offsets)

    @property
    def width(self) -> int:
        return int(self.points.shape[1])

    @classmethod
    def from_flat(
        cls, values: Sequence[ArrayLike], width: int, *, what: str = "points"
    ) -> PointLists:
        """From one flat list per object (COCO's ``[x1, y1, v1, x2, ...]`` with
        ``width`` 3, ``[x1, y1, x2, y2, ...]`` with width 2)."""
        arrays = [np.asarray(v, np.float64).reshape(-1) for v in values]
        for row, array in enumerate(arrays):
            if array.size % width:
                raise InputError(
                    f"{what} has {array.size} numbers, not a multiple of {width}", record=row
                )
            if not np.isfinite(array).all():
                raise InputError(f"{what} has a number that is not finite", record=row)
        offsets = np.zeros(len(arrays) + 1, np.int64)
        np.cumsum([a.size // width for a in arrays], out=offsets[1:])
        points = np.concatenate(arrays).reshape(-1, width) if arrays else np.zeros((0, width))
        return cls(offsets, np.ascontiguousarray(points, dtype=np.float64))

    def to_flat(self) -> list[list[float]]:
        """One flat list per object (the inverse of :meth:`from_flat`)."""
        return [
            self.points[start:end].reshape(-1).tolist()
            for start, end in zip(
                self.offsets[:-1].tolist(), self.offsets[1:].tolist(), strict=True
            )
        ]


@dataclass(frozen=True, slots=True, eq=False)
class KeypointSchema:
    """A class's keypoints: their ``names``, the ``skeleton`` (pairs of 1-based keypoint
    numbers joined by a limb, as COCO's categories list them) and each keypoint's OKS
    ``sigma``. Without sigmas a 17-keypoint class gets COCO's person sigmas (what
    pycocotools uses for every class), any other ``DEFAULT_SIGMA`` for each keypoint."""

    names: tuple[str, ...]
    skeleton: tuple[tuple[int, int], ...] = ()
    sigmas: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        count = len(self.names)
        sigmas = np.asarray(self.sigmas, np.float64).reshape(-1)
        if sigmas.size == 0:
            sigmas = COCO_PERSON_SIGMAS.copy() if count == 17 else np.full(count, DEFAULT_SIGMA)
        if sigmas.size != count:
            raise InputError(f"{sigmas.size} sigmas for {count} keypoints")
        if not (np.isfinite(sigmas) & (sigmas > 0)).all():
            raise InputError("keypoint sigmas must be finite and positive")
        object.__setattr__(self, "sigmas", sigmas)
        for limb in self.skeleton:
            if len(limb) != 2 or not all(1 <= int(k) <= count for k in limb):
                raise InputError(
                    f"skeleton limb {list(limb)} does not join two of the {count} keypoints "
                    "(numbered from 1)"
                )

    def __len__(self) -> int:
        return len(self.names)

    @classmethod
    def numbered(cls, count: int, *, sigmas: ArrayLike | None = None) -> KeypointSchema:
        """``count`` keypoints named "1", "2", ... without a skeleton."""
        return cls(
            tuple(str(k) for k in range(1, count + 1)),
            sigmas=np.zeros(0) if sigmas is None else np.asarray(sigmas, np.float64),
        )

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: names, skeleton (1-based pairs) and sigmas."""
        return {
            "names": list(self.names),
            "skeleton": [list(limb) for limb in self.skeleton],
            "sigmas": self.sigmas.tolist(),
        }
