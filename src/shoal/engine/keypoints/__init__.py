"""Keypoints, points and polylines: pair similarities (OKS equal to pycocotools,
point distance and discrete Fréchet distance with a tolerance) for the detection
evaluator, and the columns they read (:class:`PointLists`, :class:`KeypointSchema`)."""

from shoal.engine.keypoints.annotations import (
    COCO_PERSON_SIGMAS,
    DEFAULT_SIGMA,
    KeypointSchema,
    PointLists,
)
from shoal.engine.keypoints.similarity import (
    KeypointSimilarity,
    PointSimilarity,
    PolylineSimilarity,
    diagonal_tolerance,
)

__all__ = [
    "COCO_PERSON_SIGMAS",
    "DEFAULT_SIGMA",
    "KeypointSchema",
    "KeypointSimilarity",
    "PointLists",
    "PointSimilarity",
    "PolylineSimilarity",
    "diagonal_tolerance",
]
