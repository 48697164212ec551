"""Shoal's REST API from Python: ``shoal.client.Client(url, token=None, timeout=30.0)``.

The client mirrors the local store (projects, datasets, inference sets, segments,
issues, chunked uploads, frames, metrics, examples, comparisons and regression tests).
Metric answers are the local API's result classes (``ClassificationReport``,
``ConfusionMatrix``, ``PRCurve``, ``ThresholdChoice``, ``CocoSummary``, ``Comparison``,
``SegmentResult``), read with their ``from_dict``; entities are the server's JSON as
plain dicts and lists. Errors are rooted in :class:`shoal.errors.ShoalError`, and
``NotFound``, ``Conflict`` and ``BadRequest`` are also the core ``NotFoundError``,
``ConflictError`` and ``InputError``, so code written against the local store handles
the remote one unchanged (the tree is in :mod:`shoal.errors`). Needs httpx
(``pip install 'shoal[client]'``); ``import shoal`` works without it. See docs/client.md.
"""

from shoal.client import _errors
from shoal.client._client import ALL_FRAMES, DEFAULT_CHUNK_ROWS, UNSET, Client
from shoal.client._errors import *  # noqa: F403 (its __all__ is every error a caller may catch)

__all__ = ["ALL_FRAMES", "DEFAULT_CHUNK_ROWS", "UNSET", "Client"]
__all__ += _errors.__all__
