"""2D projections of a dataset's embeddings, kept in the store (``Dataset.projection``).

A projection is computed once per (vectors, model, kind, method) by
``shoal.analysis.projection.project`` (seed 0: the same vectors give the same points) and
kept: a ``projections`` catalog row per dataset, model, kind and method pointing to an
object holding ``projection.parquet`` (per element, in element order: ``source``,
``inference_set``, ``element_id``, ``frame_id``, ``x``, ``y``), with the vectors key it was
computed from (``shoal.store._similarity``: the dataset's object and those of the
inference sets with vectors of the model and kind), ``fitted_on`` and ``computed_at``.

* **current**: the row's vectors key is the dataset's now; the points are read back.
* **stale**: the dataset or a set with such vectors was replaced since (or a set with
  such vectors was added or deleted); computing again replaces the row and its object.
* **missing**: never computed.

The work happens before anything is written, and the write is one staged object and one
transaction (``StagedWrite``): a failed or interrupted computation leaves the store as it
was. Progress is reported as ``progress(done, 1000)`` through the stages (principal
axes, UMAP's fit, placing the rest, writing).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pyarrow as pa

from shoal._types import Progress
from shoal.analysis.projection import UMAP_FIT_LIMIT, ProjectionMethod, project
from shoal.analysis.similarity import ElementKind
from shoal.errors import InputError, NotFoundError, StoreCorruptError
from shoal.store._home import crash_point
from shoal.store._similarity import element_vectors, resolve_model, vectors_key

if TYPE_CHECKING:
    from shoal.store._entities import Dataset

__all__ = [
    "PROGRESS_TOTAL",
    "PROJECTION_FILE",
    "Projection",
    "ProjectionState",
    "projection",
    "projection_objects",
    "projection_state",
]

PROJECTION_FILE = "projection.parquet"
PROGRESS_TOTAL = 1000
SEED = 0
ProjectionState = Literal["current", "stale", "missing"]
METHODS: tuple[ProjectionMethod, ...] = ("umap", "pca")


@dataclass(frozen=True)
class Projection:
    """A dataset's elements of one kind placed in 2D by one method, in element order
    (the dataset's vectors in stored order, then each inference set's by name): per
    element its ``sources`` ("frame", "label", "prediction"), ``inference_sets`` (null for
    the dataset's), ``element_ids``, ``frame_ids``, and ``xy`` (n, 2) float32.
    ``fitted_on``: rows the method fitted (the rest placed); ``computed_at`` ISO-8601 UTC."""

    model: str
    kind: ElementKind
    method: ProjectionMethod
    sources: pa.Array
    inference_sets: pa.Array
    element_ids: pa.Array
    frame_ids: pa.Array
    xy: np.ndarray
    fitted_on: int
    computed_at: str

    def __len__(self) -> int:
        return int(self.xy.shape[0])

    def bounds(self) -> dict[str, list[float]]:
        """``{"x": [min, max], "y": [min, max]}`` of the points."""
        if len(self) == 0:
            return {"x": [0.0, 0.0], "y": [0.0, 0.0]}
        low, high = self.xy.min(axis=0), self.xy.max(axis=0)
        return {"x": [float(low[0]), float(high[0])], "y": [float(low[1]), float(high[1])]}

    def source_counts(self) -> dict[str, int]:
        """How many points each source ("frame", "label", "prediction") has."""
        counts = self.sources.value_counts()
        return {str(entry["values"]): int(entry["counts"]) for entry in counts.to_pylist()}

    def to_dict(self) -> dict[str, Any]:
        """What the projection is, without its points (REST's summary)."""
        return {
            "model": self.model,
            "kind": self.kind,
            "method": self.method,
            "count": len(self),
            "fitted_on": self.fitted_on,
            "computed_at": self.computed_at,
            "bounds": self.bounds(),
            "sources": self.source_counts(),
        }


def _check(kind: object, method: object) -> None:
    if kind not in ("frame", "crop"):
        raise InputError(f"unknown element kind {kind!r}; use frame or crop")
    if method not in METHODS:
        raise InputError(f"unknown projection method {method!r}; use umap or pca")


_WHERE = "dataset_id = ? AND model = ? AND kind = ? AND method = ?"


def _row(dataset: Dataset, model: str, kind: str, method: str) -> Any:
    return dataset.store._row(
        f"SELECT * FROM projections WHERE {_WHERE}", (dataset.id, model, kind, method)
    )


def projection_state(
    dataset: Dataset,
    embedding: str | None = None,
    *,
    kind: ElementKind = "frame",
    method: ProjectionMethod = "umap",
) -> ProjectionState:
    """See ``Dataset.projection_state``."""
    _check(kind, method)
    model = resolve_model(dataset, embedding)
    row = _row(dataset, model, kind, method)
    if row is None:
        return "missing"
    return "current" if row["vectors_key"] == vectors_key(dataset, model, kind) else "stale"


def _read(dataset: Dataset, row: Any) -> Projection:
    table = dataset.store.read_table(str(row["object"]), PROJECTION_FILE)
    xy = (
        np.column_stack(
            [
                table.column("x").to_numpy().astype(np.float32, copy=False),
                table.column("y").to_numpy().astype(np.float32, copy=False),
            ]
        )
        if table.num_rows
        else np.zeros((0, 2), np.float32)
    )
    return Projection(
        model=str(row["model"]),
        kind=row["kind"],
        method=row["method"],
        sources=table.column("source").combine_chunks(),
        inference_sets=table.column("inference_set").combine_chunks(),
        element_ids=table.column("element_id").combine_chunks(),
        frame_ids=table.column("frame_id").combine_chunks(),
        xy=np.ascontiguousarray(xy),
        fitted_on=int(row["fitted_on"]),
        computed_at=str(row["computed_at"]),
    )


def _stage_progress(progress: Progress | None, n: int, method: ProjectionMethod) -> Any:
    """``progress(done, PROGRESS_TOTAL)`` from the projection's (stage, done, total)."""
    if method == "pca":
        spans = {"principal axes": (0, 900)}
    else:
        fit_end = 700 if n > UMAP_FIT_LIMIT else 950
        spans = {"principal axes": (0, 150), "umap": (150, fit_end), "placing rows": (700, 950)}

    def report(stage: str, done: int, total: int) -> None:
        if progress is None or stage not in spans:
            return
        low, high = spans[stage]
        progress(low + (high - low) * done // max(total, 1), PROGRESS_TOTAL)

    return report


def projection(
    dataset: Dataset,
    embedding: str | None = None,
    *,
    kind: ElementKind = "frame",
    method: ProjectionMethod = "umap",
    compute: bool = True,
    progress: Progress | None = None,
) -> Projection:
    """See ``Dataset.projection``."""
    _check(kind, method)
    model = resolve_model(dataset, embedding)
    row = _row(dataset, model, kind, method)
    damaged = False
    if row is not None and row["vectors_key"] == vectors_key(dataset, model, kind):
        try:
            kept = _read(dataset, row)
        except StoreCorruptError:
            damaged = True  # computed again (and the damaged object replaced)
        else:
            if progress is not None:
                progress(PROGRESS_TOTAL, PROGRESS_TOTAL)
            return kept
    if not compute:
        state = (
            "missing"
            if row is None
            else "its kept points cannot be read"
            if damaged
            else "stale (the vectors changed since)"
        )
        raise NotFoundError(
            f"the {method} projection of dataset {dataset.name!r}'s {kind} embeddings of "
            f"model {model!r} is not computed: {state}"
        )
    elements = element_vectors(dataset, model, kind, keep=False)  # read once: not kept
    if progress is not None:
        progress(0, PROGRESS_TOTAL)
    placed = project(
        elements.vectors,
        method=method,
        seed=SEED,
        progress=_stage_progress(progress, len(elements), method),
    )
    computed_at = datetime.now(UTC).isoformat(timespec="seconds")
    table = pa.table(
        {
            "source": elements.sources,
            "inference_set": elements.inference_sets,
            "element_id": elements.ids,
            "frame_id": elements.frame_ids,
            "x": pa.array(placed.points[:, 0], pa.float32()),
            "y": pa.array(placed.points[:, 1], pa.float32()),
        }
    )
    write_start = PROGRESS_TOTAL - (100 if method == "pca" else 50)
    if progress is not None:
        progress(write_start, PROGRESS_TOTAL)
    store = dataset.store
    params = (dataset.id, model, kind, method)
    with store._write() as write:
        write.parquet(PROJECTION_FILE, table)
        obj = write.publish()
        with store._transaction() as db:
            if db.execute("SELECT 1 FROM datasets WHERE id = ?", (dataset.id,)).fetchone() is None:
                raise NotFoundError(f"dataset {dataset.name!r} was deleted meanwhile")
            old = [
                r[0] for r in db.execute(f"SELECT object FROM projections WHERE {_WHERE}", params)
            ]
            db.execute(f"DELETE FROM projections WHERE {_WHERE}", params)
            db.execute(
                "INSERT INTO projections (dataset_id, model, kind, method, vectors_key, object, "
                "fitted_on, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (*params, elements.vectors_key, obj, placed.fitted_rows, computed_at),
            )
            crash_point("before-commit")
            if progress is not None:
                progress(PROGRESS_TOTAL - 1, PROGRESS_TOTAL)
    for name in old:
        store.home.discard(name)
    if progress is not None:
        progress(PROGRESS_TOTAL, PROGRESS_TOTAL)
    return Projection(
        model=model,
        kind=kind,
        method=method,
        sources=elements.sources,
        inference_sets=elements.inference_sets,
        element_ids=elements.ids,
        frame_ids=elements.frame_ids,
        xy=np.ascontiguousarray(placed.points, dtype=np.float32),
        fitted_on=placed.fitted_rows,
        computed_at=computed_at,
    )


def projection_objects(dataset: Dataset) -> list[str]:
    """The objects of the dataset's kept projections and similarity indexes (what
    deleting it must discard)."""
    return [
        str(r[0])
        for table in ("projections", "similarity_indexes")
        for r in dataset.store._rows(
            f"SELECT object FROM {table} WHERE dataset_id = ?", (dataset.id,)
        )
    ]
