"""The store's evaluations: built from stored tables, kept on disk, cached in memory.

Every face (CLI, SDK scripts, the server) asks an inference set for its evaluation
through the one ``EvaluationCache`` of its ``Store``, so they all get the same object,
at the same speed, and so the same numbers.

Three layers, fastest first:

* memory: the most recently used evaluations, keyed by what they depend on (the
  inference set and its version, the dataset and its version, the class map);
* disk: the matching of a detection evaluation (``kept.npz`` in an object of its own,
  one per inference set and IoU grid), so a new process answers without matching again;
* matching from the Parquet tables.

The engine keeps what it computes later (a new IoU threshold's matching, AP) inside the
evaluation object, which is therefore not safe to query from two threads at once: each
cache entry has a lock, and ``hold`` / ``use`` / ``hold_many`` query under it.
"""

from __future__ import annotations

import contextlib
import json
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from shoal.engine.classification import ClassificationEvaluation
from shoal.engine.detection.annotations import Classes
from shoal.engine.detection.evaluator import QUERY_IOU_FLOOR, DetectionEvaluation, evaluate
from shoal.errors import InputError, ShoalError
from shoal.store._conversion import (
    GEOMETRY_INPUTS,
    INPUT_COLUMNS,
    classification_evaluation,
    detection_inputs,
    detection_similarity,
)
from shoal.store._element_metrics import metrics_key

if TYPE_CHECKING:
    import sqlite3

    from shoal.store._classes import ClassInfo
    from shoal.store._entities import Dataset, InferenceSet, Segment
    from shoal.store._store import Store

__all__ = [
    "EVALUATION_CACHE_SIZE",
    "EvaluationCache",
    "SegmentFrames",
    "StoredEvaluation",
    "StoredVersions",
    "TaskEvaluations",
    "build_evaluation",
    "load_arrays",
]

T = TypeVar("T")
# The concrete classes (both satisfy ``shoal.engine.evaluation.Evaluation``), so callers
# keep the task-specific queries (``accuracy``, ``average_precision``).
StoredEvaluation = DetectionEvaluation | ClassificationEvaluation
EVALUATION_CACHE_SIZE = 16
SEGMENT_CACHE_SIZE = 256
_BUILD_ATTEMPTS = 3
# What reading a damaged kept.npz raises (np.load on a truncated zip: BadZipFile).
UNREADABLE_KEPT_STATE = (OSError, ShoalError, ValueError, KeyError, EOFError, zipfile.BadZipFile)

# CPython 3.11.7 can fail with "SystemError: AST constructor recursion depth mismatch"
# when two threads run ast.parse at once (gh-106905), and np.load reads every .npy
# header with ast.literal_eval. A server loads kept matchings from several threads, so
# the store loads them one at a time (a load takes milliseconds; matching takes seconds).
_NPY_LOAD_LOCK = threading.Lock()


def load_arrays(path: Path) -> dict[str, NDArray[Any]]:
    """The arrays of an ``.npz`` file, read whole (one load at a time: see above)."""
    with _NPY_LOAD_LOCK, np.load(path) as saved:
        return {name: saved[name] for name in saved.files}


@dataclass(frozen=True)
class StoredVersions:
    """What an evaluation is built from, read once: the inference set's and its
    dataset's catalog rows (each names its version and its stored object) and the
    project's classes. ``key`` is the cache key of exactly these."""

    set_row: sqlite3.Row
    dataset_row: sqlite3.Row
    task: str
    infos: list[ClassInfo]

    @classmethod
    def read(cls, inference_set: InferenceSet) -> StoredVersions:
        set_row = inference_set._get()
        dataset = inference_set.dataset
        project = dataset.project
        return cls(set_row, dataset._get(), project.task, project.classes())

    @property
    def objects(self) -> tuple[str, str]:
        """The stored objects read: the inference set's, then the dataset's."""
        return str(self.set_row["object"]), str(self.dataset_row["object"])

    @property
    def key(self) -> tuple[object, ...]:
        classes = tuple((c.name, c.id, c.ignore) for c in self.infos)
        set_row, dataset = self.set_row, self.dataset_row
        return (set_row["id"], set_row["version"], dataset["id"], dataset["version"], classes)


class TaskEvaluations(Generic[T]):
    """The most recently used evaluations of one task (``multilabel``, ``ner``) in a
    store, built by ``build(snapshot, read_table)`` and keyed like the detection and
    classification ones (``StoredVersions.key``): an inference set of another task's
    project is an error naming it."""

    def __init__(
        self,
        store: Store,
        task: str,
        build: Callable[[StoredVersions, Callable[..., pa.Table]], T],
        size: int,
    ) -> None:
        self.store = store
        self.task = task
        self.size = size
        self._build = build
        self._entries: OrderedDict[tuple[object, ...], T] = OrderedDict()
        self._lock = threading.Lock()

    def entry(self, inference_set: InferenceSet) -> T:
        snapshot = StoredVersions.read(inference_set)
        if snapshot.task != self.task:
            raise InputError(
                f"project of inference set {inference_set.name!r} is a {snapshot.task} "
                f"project, not {self.task}"
            )
        with self._lock:
            found = self._entries.get(snapshot.key)
            if found is not None:
                self._entries.move_to_end(snapshot.key)
                return found
        built = self._build(snapshot, self.store.read_table)
        with self._lock:
            entry = self._entries.setdefault(snapshot.key, built)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return entry


def build_evaluation(
    inference_set: InferenceSet,
    *,
    iou_thresholds: Sequence[float] | None = None,
    snapshot: StoredVersions | None = None,
) -> StoredEvaluation:
    """The engine's evaluation of an inference set against its dataset's labels, from
    the kept matching when there is one (else matched now, and kept). With a
    ``snapshot``, of exactly the versions it read (its stored objects never change; one
    removed by a replace since is an error)."""
    store = inference_set.store
    pinned = snapshot or StoredVersions.read(inference_set)
    set_row, dataset_row, infos = pinned.set_row, pinned.dataset_row, pinned.infos
    task = pinned.task
    if task == "multilabel":
        raise InputError(
            f"inference set {inference_set.name!r} is of a multilabel project: its metrics "
            "are multilabel_metrics (per-class 2x2 matrices), not this query's"
        )
    if task == "ner":
        raise InputError(
            f"inference set {inference_set.name!r} is of an NER project: its metrics are "
            "ner_metrics (entity-level scores), not this query's"
        )
    needed = INPUT_COLUMNS[task]
    frames = store.read_table(dataset_row["object"], "frames.parquet", needed["frames"])
    labels = store.read_table(dataset_row["object"], "labels.parquet", needed["labels"])
    predictions = store.read_table(set_row["object"], "predictions.parquet", needed["predictions"])
    if task == "classification":
        return classification_evaluation([c.name for c in infos], frames, labels, predictions)
    classes = Classes.from_ids([c.id for c in infos], [c.name for c in infos])
    ignored = sorted(c.name for c in infos if c.ignore)
    ground_truth, detections = detection_inputs(classes, ignored, frames, labels, predictions)
    similarity = None
    geometry = _stored_geometry(store, dataset_row["object"], set_row["object"])
    if geometry is not None:
        ground_truth, detections, similarity = detection_similarity(
            ground_truth, detections, *geometry
        )
    # What the kept matching depends on besides the data: the IoU grid, which classes
    # are ignored (ignored ground truth matches differently), the class map (the
    # matching is kept by class index) and what it matched on (boxes: no key).
    grid = json.dumps(
        {
            "iou": sorted({round(float(t), 12) for t in iou_thresholds or ()}),
            "ignored": ignored,
            "classes": [c.name for c in infos],
            **({"iou_type": similarity.iou_type} if similarity is not None else {}),
        }
    )
    row = store._row(
        "SELECT object FROM evaluations WHERE inference_set_id = ? AND grid = ?",
        (inference_set.id, grid),
    )
    if row is not None:
        path = store.home.object_path(row["object"]) / "kept.npz"
        # Unreadable (truncated, damaged, missing): match again; keeping the new
        # matching below replaces the damaged one.
        with contextlib.suppress(*UNREADABLE_KEPT_STATE):
            return DetectionEvaluation.from_kept_state(
                ground_truth, detections, load_arrays(path), similarity=similarity
            )
    # Kept for re-thresholding: confusion candidates down to the lowest IoU a query asks.
    evaluation = evaluate(
        ground_truth,
        detections,
        iou_thresholds=iou_thresholds,
        confusion_floor=QUERY_IOU_FLOOR,
        similarity=similarity,
    )
    _keep(store, inference_set.id, grid, evaluation, (set_row["object"], dataset_row["object"]))
    return evaluation


def _stored_geometry(
    store: Store, dataset_object: str, set_object: str
) -> tuple[pa.Table, pa.Table, pa.Table] | None:
    """Frames (id and size), labels and predictions with their geometry columns, when
    both the labels and the predictions have them (else None: boxes)."""
    found = []
    for name, file in ((dataset_object, "labels.parquet"), (set_object, "predictions.parquet")):
        columns = pq.read_schema(store.home.object_path(name) / file).names
        if not all(c in columns for c in GEOMETRY_INPUTS):
            return None
        # The labels' attributes hold COCO's num_keypoints (COCOeval ignores 0).
        extra = ("attributes",) if file == "labels.parquet" else ()
        found.append(store.read_table(name, file, (*GEOMETRY_INPUTS, *extra)))
    frames = store.read_table(dataset_object, "frames.parquet", ("frame_id", "width", "height"))
    return frames, found[0], found[1]


def _keep(
    store: Store,
    set_id: int,
    grid: str,
    evaluation: DetectionEvaluation,
    inputs: tuple[str, str],
) -> None:
    """Keep a matching on disk, unless its inputs were replaced (or deleted) while it
    was computed: a matching of old inputs must never be read for new ones."""
    with store._write() as write:
        write.numpy("kept.npz", evaluation.kept_state())
        obj = write.publish()
        with store._transaction() as db:
            current = db.execute(
                "SELECT i.object, d.object FROM inference_sets i JOIN datasets d "
                "ON i.dataset_id = d.id WHERE i.id = ?",
                (set_id,),
            ).fetchone()
            if current is None or (current[0], current[1]) != inputs:
                old = [obj]
            else:
                iou = json.loads(grid)["iou"]
                old = [
                    r[0]
                    for r in db.execute(
                        "SELECT object, grid FROM evaluations WHERE inference_set_id = ?",
                        (set_id,),
                    )
                    if json.loads(r[1]).get("iou") == iou
                ]
                for name in old:
                    db.execute(
                        "DELETE FROM evaluations WHERE inference_set_id = ? AND object = ?",
                        (set_id, name),
                    )
                db.execute(
                    "INSERT OR REPLACE INTO evaluations (inference_set_id, grid, object) "
                    "VALUES (?, ?, ?)",
                    (set_id, grid, obj),
                )
        for name in old:
            store.home.discard(name)


@dataclass
class CachedEvaluation:
    """One cache entry: the evaluation, the inference set version it is of, its lock,
    and what it was built from (the dataset's version, the stored objects of both), so
    a query can read the tables of exactly that version."""

    evaluation: StoredEvaluation
    version: int
    dataset_version: int
    objects: tuple[str, str]  # the inference set's, then the dataset's
    # Re-entrant: a query may call another (``metrics`` inside ``with evaluation()``).
    lock: threading.RLock = field(default_factory=threading.RLock)


class EvaluationCache:
    """The most recently used evaluations of one store, keyed by what they depend on:
    the inference set and its version, the dataset and its version and the project's
    class map. A change to any of them makes a new key; old entries age out."""

    def __init__(self, store: Store, size: int = EVALUATION_CACHE_SIZE) -> None:
        self.store = store
        self.size = size
        self._entries: OrderedDict[tuple[object, ...], CachedEvaluation] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[tuple[object, ...], threading.Lock] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def held_keys(self) -> list[tuple[object, ...]]:
        """The keys held, least recently used first: (inference set id, its version,
        dataset id, its version, class map)."""
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    @staticmethod
    def _key(inference_set: InferenceSet) -> tuple[object, ...]:
        return StoredVersions.read(inference_set).key

    def entry(self, inference_set: InferenceSet) -> CachedEvaluation:
        """The entry of the inference set's current version, built if missing. Two
        threads asking for the same missing entry build it once. It is built from the
        versions read when asked, whatever is committed meanwhile (a replace then makes
        a new key, and the next query builds that); only a build whose files a replace
        removed is tried again, on the new version."""
        for _ in range(_BUILD_ATTEMPTS):
            snapshot = StoredVersions.read(inference_set)
            try:
                return self.entry_at(inference_set, snapshot)
            except Exception:
                # A replace committed while we read: the old files may be gone. Retry
                # on the new version; re-raise a failure of a stable version.
                if self._key(inference_set) != snapshot.key:
                    continue
                raise
        raise ShoalError("the inference set kept changing while it was evaluated; ask again")

    def entry_at(self, inference_set: InferenceSet, snapshot: StoredVersions) -> CachedEvaluation:
        """The entry of exactly the versions ``snapshot`` read, built from them if
        missing (a replace since may have removed their files: then this raises)."""
        key = snapshot.key
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                return entry
            build_lock = self._building.setdefault(key, threading.Lock())
        with build_lock:
            with self._lock:
                entry = self._entries.get(key)
            if entry is not None:
                return entry
            try:
                evaluation = build_evaluation(inference_set, snapshot=snapshot)
            finally:
                with self._lock:
                    self._building.pop(key, None)
            set_row, dataset_row = snapshot.set_row, snapshot.dataset_row
            versions = int(set_row["version"]), int(dataset_row["version"])
            entry = CachedEvaluation(evaluation, *versions, snapshot.objects)
            with self._lock:
                self._entries[key] = entry
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
            return entry

    def put(self, snapshot: StoredVersions, evaluation: StoredEvaluation) -> CachedEvaluation:
        """Hold an evaluation built elsewhere (matched in partitions, its matching kept)
        as the entry of exactly the versions ``snapshot`` read."""
        set_row, dataset_row = snapshot.set_row, snapshot.dataset_row
        versions = int(set_row["version"]), int(dataset_row["version"])
        entry = CachedEvaluation(evaluation, *versions, snapshot.objects)
        with self._lock:
            self._entries[snapshot.key] = entry
            self._entries.move_to_end(snapshot.key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return entry

    @contextlib.contextmanager
    def hold(self, inference_set: InferenceSet) -> Iterator[CachedEvaluation]:
        """The entry, locked for this thread until the block ends."""
        entry = self.entry(inference_set)
        with entry.lock:
            yield entry

    def use(self, inference_set: InferenceSet, query: Callable[[StoredEvaluation], T]) -> T:
        """``query(evaluation)`` with the evaluation to itself."""
        with self.hold(inference_set) as entry:
            return query(entry.evaluation)

    @contextlib.contextmanager
    def hold_many(self, inference_sets: Sequence[InferenceSet]) -> Iterator[list[CachedEvaluation]]:
        """Several entries at once, locked in a fixed order (no deadlocks)."""
        entries = [self.entry(s) for s in inference_sets]
        with ExitStack() as stack:
            unique = {id(entry): entry for entry in entries}
            for _, entry in sorted(unique.items()):
                stack.enter_context(entry.lock)
            yield entries

    def preload(self, count: int) -> threading.Thread | None:
        """Load the evaluations of the ``count`` most recently written inference sets in
        a background thread, so that the first query of each does not wait for its
        matching to be read (about a second on the M benchmark data). A query that comes
        first loads it itself; the other waits for it rather than loading twice."""
        count = min(count, self.size)
        if count <= 0:
            return None
        store = self.store

        def run() -> None:
            try:
                candidates = [
                    inference_set
                    for project in store.projects()
                    for dataset in project.datasets()
                    for inference_set in dataset.inference_sets()
                ]
            except Exception:  # a store being changed: the queries will load what they need
                return
            candidates.sort(key=lambda s: str(s.to_dict()["created_at"]), reverse=True)
            for inference_set in candidates[:count]:
                try:
                    self.entry(inference_set)
                except Exception:  # deleted or replaced meanwhile: nothing to warm
                    continue

        thread = threading.Thread(target=run, name="shoal-preload", daemon=True)
        thread.start()
        return thread


class SegmentFrames:
    """Frame ids of query segments, kept per (dataset, version, query): a saved query
    runs DuckDB over the frames, and regression tests ask for every segment at once."""

    def __init__(self, size: int = SEGMENT_CACHE_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[int, int, tuple[str, ...], str], list[str]] = OrderedDict()
        self._lock = threading.Lock()

    def selection(self, segment: Segment) -> list[str] | None:
        """The segment's frame ids; None for "All Frames" (every frame)."""
        row = segment._get()
        if row is None:
            return None
        if row["frame_ids"] is not None:
            return list(json.loads(row["frame_ids"]))
        return self.matching(segment.dataset, str(row["query"]))

    def matching(self, dataset: Dataset, query: str) -> list[str]:
        """Ids of the frames of ``dataset`` a query matches (a saved segment's, or an
        ad-hoc filter's: a query bar asks again at every threshold it moves)."""
        # Metrics are queryable fields: new values (new objects) are a new answer.
        key = (dataset.id, dataset.version, metrics_key(dataset), query)
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        ids = dataset.query(query)
        with self._lock:
            self._entries[key] = ids
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return ids
