"""The entity handles: projects, datasets, inference sets, segments and issues.

Each handle is a row id on a ``Store``; its properties read the catalog each time, so a
handle always tells the committed state. Writes check names with the one rule of
``_names`` and check-and-insert inside one transaction (a name in use is a
``ConflictError``). Evaluations come from the store's cache (``_evaluations``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from shoal._types import Conf, Progress, Task
from shoal.analysis import (
    ChangedExamples,
    Comparison,
    SegmentResult,
    SegmentScores,
    SegmentSpec,
    changed_examples,
    compare,
    evaluate_segments,
    segment_scores,
)
from shoal.analysis.bootstrap import DEFAULT_RESAMPLES, Significance, paired_bootstrap
from shoal.analysis.calibration import DEFAULT_BINS, Calibration, calibration
from shoal.analysis.tide import DEFAULT_BG_IOU, DEFAULT_FG_IOU, TideResult
from shoal.engine.detection.annotations import Classes
from shoal.engine.metrics import PREDICTION, Outcomes
from shoal.engine.thresholds import IouThreshold
from shoal.errors import ConflictError, InputError, NotFoundError, ShoalError
from shoal.formats.metric_values import MetricValues
from shoal.sdk._as_tables import as_tables
from shoal.store._classes import ClassInfo, ClassSpec, add_classes
from shoal.store._element_metrics import (
    Level,
    MetricInfo,
    add_custom_metric,
    add_custom_metrics,
    delete_custom_metric,
    element_metrics,
    metric_infos,
    metric_objects,
    prediction_metrics,
    write_quality_metrics,
)
from shoal.store._evaluations import StoredEvaluation, StoredVersions, build_evaluation
from shoal.store._label_errors import (
    ClassificationLabelErrorQueue,
    LabelErrorQueue,
    ReviewStatus,
    export_label_errors,
    label_error_reviews,
    review_label_error,
    stored_label_errors,
)
from shoal.store._metrics import (
    Include,
    MatchingProtocol,
    Metrics,
    compute_metrics,
    outcomes_at,
)
from shoal.store._multilabel import check_multilabel_rows
from shoal.store._names import check_metadata_keys, check_name
from shoal.store._ner import check_ner_rows
from shoal.store._query import FieldType, QueryError
from shoal.store._tide import stored_tide
from shoal.store._writes import DataRow, write_data
from shoal.tables import DatasetTables, InferenceTables, empty_embeddings

if TYPE_CHECKING:
    from shoal.analysis.metric_performance import MetricImportance, MetricPerformance
    from shoal.analysis.similarity import SimilarElements
    from shoal.engine.multilabel import MultiLabelEvaluation
    from shoal.store._campaigns import Campaign, CampaignSeed
    from shoal.store._issues import Issue, IssueElement
    from shoal.store._multilabel import MultiLabelExamples, MultiLabelMetrics
    from shoal.store._ner import NerMetrics, NerSentences
    from shoal.store._projection import Projection
    from shoal.store._projection_colors import PointColors
    from shoal.store._quality import QualityTables
    from shoal.store._similarity import ElementRef, EmbeddingModelInfo
    from shoal.store._store import Store

__all__ = [
    "ALL_FRAMES",
    "Dataset",
    "InferenceSet",
    "Project",
    "Segment",
    "Task",
    "check_unit",
]

T = TypeVar("T")
SegmentType = Literal["split", "regression_test", "scenario"]
SEGMENT_TYPES = ("split", "regression_test", "scenario")
ALL_FRAMES = "All Frames"
_THRESHOLD_COLUMNS = {
    "precision": "precision_threshold",
    "recall": "recall_threshold",
    "f1_score": "f1_threshold",
}


def check_unit(value: float | None, what: str) -> float | None:
    if value is None:
        return None
    number = float(value)
    if not 0.0 <= number <= 1.0:
        raise InputError(f"{what} {value!r} is not between 0 and 1")
    return number


class _Entity:
    """A handle on one catalog row; properties read the catalog each time."""

    _table = ""

    def __init__(self, store: Store, row_id: int) -> None:
        self.store = store
        self.id = row_id

    def _get(self) -> sqlite3.Row:
        row = self.store._row(f"SELECT * FROM {self._table} WHERE id = ?", (self.id,))
        if row is None:
            raise NotFoundError(f"this {self._table[:-1].replace('_', ' ')} was deleted")
        return row

    @property
    def name(self) -> str:
        return str(self._get()["name"])

    def _child_ids(self, table: str, parent_column: str) -> list[int]:
        """Ids of this entity's datasets, inference sets or issues, by name."""
        rows = self.store._rows(
            f"SELECT id FROM {table} WHERE {parent_column} = ? ORDER BY name", (self.id,)
        )
        return [int(r["id"]) for r in rows]

    def _child_id(self, table: str, parent_column: str, name: str, kind: str) -> int:
        """The id of this entity's ``kind`` named ``name``; else a ``NotFoundError``
        listing the names there are."""
        row = self.store._row(
            f"SELECT id FROM {table} WHERE {parent_column} = ? AND name = ?", (self.id, name)
        )
        if row is None:
            names = self.store._rows(
                f"SELECT name FROM {table} WHERE {parent_column} = ? ORDER BY name", (self.id,)
            )
            known = ", ".join(r["name"] for r in names) or "none yet"
            owner = self._table[:-1].replace("_", " ")
            raise NotFoundError(f"{owner} {self.name!r} has no {kind} {name!r} ({kind}s: {known})")
        return int(row["id"])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Entity) and type(other) is type(self) and other.id == self.id

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.id))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


class _StoredEntity(_Entity):
    """An entity whose rows are one stored object, replaced whole by each write (which
    also counts its version up)."""

    @property
    def version(self) -> int:
        return int(self._get()["version"])

    def _object(self) -> str:
        return str(self._get()["object"])

    def _read(self, table: str) -> pa.Table:
        """One of the object's tables (``frames``, ``labels``, ``predictions``, ...)."""
        return self.store.read_table(self._object(), f"{table}.parquet")


class Project(_Entity):
    """A project: a task, a label class map, datasets and issues."""

    _table = "projects"

    @property
    def task(self) -> Task:
        task = self._get()["task"]
        known: dict[str, Task] = {
            "classification": "classification", "multilabel": "multilabel", "ner": "ner"
        }  # fmt: skip
        return known.get(task, "detection")

    @property
    def default_conf(self) -> float:
        return float(self._get()["default_conf"])

    @property
    def default_iou(self) -> float:
        return float(self._get()["default_iou"])

    def update(
        self, *, default_conf: float | None = None, default_iou: float | None = None
    ) -> None:
        with self.store._transaction() as db:
            if default_conf is not None:
                db.execute(
                    "UPDATE projects SET default_conf = ? WHERE id = ?",
                    (check_unit(default_conf, "default confidence threshold"), self.id),
                )
            if default_iou is not None:
                iou = check_unit(default_iou, "default IoU threshold")
                if iou == 0.0:
                    raise InputError("default IoU threshold must be above 0")
                db.execute("UPDATE projects SET default_iou = ? WHERE id = ?", (iou, self.id))

    def classes(self) -> list[ClassInfo]:
        return [
            ClassInfo(r["name"], int(r["class_id"]), r["color"], bool(r["ignore"]))
            for r in self.store._rows(
                "SELECT * FROM classes WHERE project_id = ? ORDER BY position", (self.id,)
            )
        ]

    def add_classes(self, classes: Iterable[ClassSpec]) -> None:
        """Declare classes (they stay in the map even while no object uses them)."""
        with self.store._transaction() as db:
            add_classes(db, self.id, classes, declared=True)

    def class_map(self) -> Classes:
        """The engine's class map (evaluation order = the project's class order)."""
        infos = self.classes()
        return Classes.from_ids([c.id for c in infos], [c.name for c in infos])

    def to_dict(self) -> dict[str, Any]:
        row = self._get()
        return {
            "name": row["name"],
            "task": row["task"],
            "default_conf": row["default_conf"],
            "default_iou": row["default_iou"],
            "created_at": row["created_at"],
            "classes": [c.to_dict() for c in self.classes()],
            "datasets": [d.name for d in self.datasets()],
        }

    # datasets
    def datasets(self) -> list[Dataset]:
        return [Dataset(self.store, i) for i in self._child_ids("datasets", "project_id")]

    def dataset(self, name: str) -> Dataset:
        return Dataset(self.store, self._child_id("datasets", "project_id", name, "dataset"))

    def create_dataset(
        self,
        name: str,
        data: DatasetTables | Any,
        *,
        replace: bool = False,
        image_root: str | os.PathLike[str] | None = None,
        progress: Progress | None = None,
    ) -> Dataset:
        """Store a labeled dataset (``DatasetTables`` or an SDK ``LabeledDataset``).

        Everything is validated before anything is written; a name in use needs
        ``replace=True``. ``image_root`` is the one local folder images may be served
        from. Classes the labels use join the project's class map.
        """
        check_name(name, "dataset")
        tables = as_tables(
            data, DatasetTables, "a labeled dataset (DatasetTables or LabeledDataset)"
        )
        check_metadata_keys(tables.frames)
        if self.task == "detection":
            _require_boxes(tables.labels, "label")
        elif self.task == "multilabel":
            check_multilabel_rows(tables.labels, "label")
        elif self.task == "ner":
            check_ner_rows(tables.labels, "label")
        else:
            _one_per_frame(tables.labels, "label")
        root = str(Path(image_root).resolve()) if image_root is not None else None
        files = {"frames.parquet": tables.frames, "labels.parquet": tables.labels}
        if tables.embeddings.num_rows:
            files["embeddings.parquet"] = tables.embeddings
        row = DataRow(
            table="datasets",
            parent_column="project_id",
            parent_id=self.id,
            owner=f"project {self.name!r}",
            kind="dataset",
            name=name,
            project_id=self.id,
            evaluations="inference_set_id IN (SELECT id FROM inference_sets WHERE dataset_id = ?)",
            kept_when_none=("image_root",),
            check_replace=lambda dataset_id: _predictions_keep_their_frames(
                Dataset(self.store, dataset_id), tables.frames.column("frame_id")
            ),
        )
        values = {
            "num_frames": tables.frames.num_rows,
            "num_labels": tables.labels.num_rows,
            "image_root": root,
        }
        classes = _source_classes(tables)
        dataset_id = write_data(
            self.store, row, files, values, classes, replace=replace, progress=progress
        )
        return Dataset(self.store, dataset_id)

    def delete_dataset(self, name: str) -> None:
        """Remove a dataset with its inference sets and segments (classes only they
        used leave the map)."""
        with self.store.home.write_lock():
            dataset = self.dataset(name)
            self.store._delete_data("datasets", dataset.id, dataset._objects(), self.id)

    def _objects(self) -> list[str]:
        return [obj for d in self.datasets() for obj in d._objects()]

    # issues
    def issues(self) -> list[Issue]:
        from shoal.store._issues import Issue

        return [Issue(self.store, i) for i in self._child_ids("issues", "project_id")]

    def issue(self, name: str) -> Issue:
        from shoal.store._issues import Issue

        return Issue(self.store, self._child_id("issues", "project_id", name, "issue"))

    def create_issue(
        self,
        name: str,
        elements: Iterable[IssueElement] = (),
        *,
        description: str = "",
        owner: str = "",
        notes: str | None = None,
    ) -> Issue:
        """A new issue holding ``elements`` (each checked against the store; repeats
        skipped); ``notes`` is the description's former name. See ``shoal.store._issues``."""
        from shoal.store._issues import create_issue

        text = notes if notes is not None else description
        return create_issue(self, name, elements, description=text, owner=owner)

    # collection campaigns (shoal.store._campaigns)
    def campaigns(self) -> list[Campaign]:
        from shoal.store._campaigns import Campaign

        return [Campaign(self.store, i) for i in self._child_ids("campaigns", "project_id")]

    def campaign(self, name: str) -> Campaign:
        from shoal.store._campaigns import Campaign

        return Campaign(self.store, self._child_id("campaigns", "project_id", name, "campaign"))

    def create_campaign(
        self,
        name: str,
        *,
        corpus: str,
        issue: str | None = None,
        seeds: Iterable[IssueElement | CampaignSeed] | None = None,
        embedding: str | None = None,
        kind: Literal["frame", "crop"] | None = None,
        metric: Literal["cosine", "euclidean"] = "cosine",
        k: int = 10,
        k_per: Literal["seed", "total"] = "seed",
        description: str = "",
    ) -> Campaign:
        """A collection campaign: search dataset ``corpus`` (unlabeled data) for the
        elements nearest the seeds, an issue's elements (``issue``, dismissed ones left
        out) or ``seeds``, by model ``embedding`` (the corpus's one model when None); ``k``
        per seed or in total (``k_per``). ``kind`` frame or crop (default: crop when every
        seed is a label or prediction). Not run yet: ``Campaign.run()``. See
        docs/campaigns.md."""
        from shoal.store._campaigns import create_campaign

        return create_campaign(
            self, name, corpus=corpus, issue=issue, seeds=seeds, embedding=embedding,
            kind=kind, metric=metric, k=k, k_per=k_per, description=description,
        )  # fmt: skip


def _predictions_keep_their_frames(dataset: Dataset, frame_ids: pa.ChunkedArray) -> None:
    """A ``ConflictError`` if an inference set of ``dataset`` has predictions on a frame
    that ``frame_ids`` (the replacing version's) lacks: every query of it would fail."""
    for inference_set in dataset.inference_sets():
        predicted = inference_set.predictions().column("frame_id")
        missing = pc.invert(pc.is_in(predicted, value_set=frame_ids))
        if pc.any(missing).as_py():
            first = pc.filter(predicted, missing)[0].as_py()
            raise ConflictError(
                f"inference set {inference_set.name!r} has predictions on frame {first!r}, "
                f"which this version of dataset {dataset.name!r} does not have; replace or "
                "delete that inference set first"
            )


def _source_classes(tables: DatasetTables) -> list[ClassSpec]:
    """The classes a dataset brings, with the ids its file gave them (COCO category ids)
    where it gave any: a new class keeps its id (unless the project uses it), so the
    engine's COCO summary, which runs over classes by id, equals pycocotools' on the file."""
    from shoal.formats.coco_tables import category_ids

    ids = category_ids(tables)
    return [{"name": name, "id": ids[name]} if name in ids else name for name in tables.class_names]


def _as_inference_tables(data: Any, frame_ids: pa.ChunkedArray) -> InferenceTables:
    if isinstance(data, InferenceTables):
        return InferenceTables.build(data.predictions, data.embeddings, frame_ids=frame_ids)
    return as_tables(
        data, InferenceTables, "inferences (InferenceTables or Inferences)", frame_ids=frame_ids
    )


def _one_per_frame(table: pa.Table, what: str) -> None:
    """Classification has one label and one prediction per frame."""
    seen: set[str] = set()
    for i, frame_id in enumerate(table.column("frame_id").to_pylist()):
        if frame_id in seen:
            raise InputError(
                f"frame {frame_id!r} has a second {what}; a classification project takes one per frame",
                record=i,
            )
        seen.add(frame_id)


def _require_boxes(table: pa.Table, what: str) -> None:
    missing = np.asarray(table.column("width").is_null().to_numpy(zero_copy_only=False))
    if missing.any():
        raise InputError(
            f"{what} has no box, but this is a detection project",
            record=int(np.flatnonzero(missing)[0]),
        )


class Dataset(_StoredEntity):
    """A labeled dataset: frames, labels, embeddings, its inference sets and segments."""

    _table = "datasets"

    @property
    def project(self) -> Project:
        return Project(self.store, int(self._get()["project_id"]))

    @property
    def image_root(self) -> Path | None:
        root = self._get()["image_root"]
        return Path(root) if root else None

    def _objects(self) -> list[str]:
        from shoal.store._projection import projection_objects

        objects = [self._object(), *metric_objects(self), *projection_objects(self)]
        for inference_set in self.inference_sets():
            objects += inference_set._objects()
        return objects

    def frames(self) -> pa.Table:
        return self._read("frames")

    def labels(self) -> pa.Table:
        return self._read("labels")

    def embeddings(self) -> pa.Table:
        return self._read("embeddings")

    def tables(self) -> DatasetTables:
        """Frames, labels and embeddings as stored (validated when they were written)."""
        embeddings = self.embeddings()
        return DatasetTables(
            self.frames(),
            self.labels(),
            embeddings if embeddings.num_columns else empty_embeddings(),
        )

    def to_dict(self) -> dict[str, Any]:
        row = self._get()
        return {
            "name": row["name"],
            "version": row["version"],
            "num_frames": row["num_frames"],
            "num_labels": row["num_labels"],
            "created_at": row["created_at"],
            "inference_sets": [i.name for i in self.inference_sets()],
            "segments": [s.name for s in self.segments()],
        }

    # inference sets
    def inference_sets(self) -> list[InferenceSet]:
        ids = self._child_ids("inference_sets", "dataset_id")
        return [InferenceSet(self.store, i) for i in ids]

    def inference_set(self, name: str) -> InferenceSet:
        found = self._child_id("inference_sets", "dataset_id", name, "inference set")
        return InferenceSet(self.store, found)

    def create_inference_set(
        self,
        name: str,
        data: InferenceTables | Any,
        *,
        replace: bool = False,
        progress: Progress | None = None,
    ) -> InferenceSet:
        """Store a model's predictions on this dataset (validated first; a name in use
        needs ``replace=True``). Predicted classes join the project's class map."""
        check_name(name, "inference set")
        tables = _as_inference_tables(data, self.frames().column("frame_id"))
        project = self.project
        if project.task == "detection":
            _require_boxes(tables.predictions, "prediction")
        elif project.task == "multilabel":
            check_multilabel_rows(tables.predictions, "prediction")
        elif project.task == "ner":
            check_ner_rows(tables.predictions, "prediction")
        else:
            _one_per_frame(tables.predictions, "prediction")
        files = {"predictions.parquet": tables.predictions}
        if tables.embeddings.num_rows:
            files["embeddings.parquet"] = tables.embeddings
        row = DataRow(
            table="inference_sets",
            parent_column="dataset_id",
            parent_id=self.id,
            owner=f"dataset {self.name!r}",
            kind="inference set",
            name=name,
            project_id=project.id,
            evaluations="inference_set_id = ?",
        )
        values = {"num_predictions": tables.predictions.num_rows}
        set_id = write_data(
            self.store, row, files, values, tables.class_names, replace=replace, progress=progress
        )
        created = InferenceSet(self.store, set_id)
        if project.task == "detection" and any(
            m.source == "quality" and m.level == "frame" for m in self.metric_infos()
        ):
            # The dataset has quality metrics: the new set's box geometry joins them at
            # once (no image is read; compute_quality adds the crops).
            created.compute_quality(read_images=False)
        return created

    def delete_inference_set(self, name: str) -> None:
        """Remove an inference set (classes only it used leave the map)."""
        with self.store.home.write_lock():
            found = self.inference_set(name)
            project_id = int(self._get()["project_id"])
            self.store._delete_data("inference_sets", found.id, found._objects(), project_id)

    # segments
    def segments(self) -> list[Segment]:
        """Every segment, starting with the "All Frames" split that always exists."""
        rows = self.store._rows(
            "SELECT id FROM segments WHERE dataset_id = ? ORDER BY type, name", (self.id,)
        )
        return [Segment.all_frames(self), *(Segment(self.store, r["id"]) for r in rows)]

    def segment(self, name: str) -> Segment:
        if name == ALL_FRAMES:
            return Segment.all_frames(self)
        row = self.store._row(
            "SELECT id FROM segments WHERE dataset_id = ? AND name = ?", (self.id, name)
        )
        if row is None:
            raise NotFoundError(f"dataset {self.name!r} has no segment {name!r}")
        return Segment(self.store, row["id"])

    def create_segment(
        self,
        name: str,
        *,
        type: SegmentType = "scenario",
        frames: Iterable[str] | None = None,
        query: str | None = None,
        precision: float | None = None,
        recall: float | None = None,
        f1_score: float | None = None,
        description: str = "",
    ) -> Segment:
        """A named set of frames (``frames``) or a saved metadata ``query``, with optional
        pass/fail thresholds in [0, 1] and a free-text ``description``."""
        check_name(name, "segment")
        if name == ALL_FRAMES:
            raise ConflictError(f"{ALL_FRAMES!r} is the built-in split of every frame")
        if type not in SEGMENT_TYPES:
            raise InputError(
                f"segment type must be one of {', '.join(SEGMENT_TYPES)}, got {type!r}"
            )
        if (frames is None) == (query is None):
            raise InputError("a segment takes either frames or a query")
        check_description(description)
        frame_json = None
        if frames is not None:
            frame_json = json.dumps(self._known_frames(name, frames))
        if query is not None:
            self.query(query)  # validate now, not at first use
        with self.store._transaction() as db:
            if db.execute(
                "SELECT id FROM segments WHERE dataset_id = ? AND name = ?", (self.id, name)
            ).fetchone():
                raise ConflictError(f"dataset {self.name!r} has a segment {name!r} already")
            cursor = db.execute(
                "INSERT INTO segments (uuid, dataset_id, name, type, frame_ids, query, "
                "precision_threshold, recall_threshold, f1_threshold, description) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    str(uuid.uuid4()), self.id, name, type, frame_json, query,
                    check_unit(precision, "precision threshold"),
                    check_unit(recall, "recall threshold"),
                    check_unit(f1_score, "F1 threshold"), description,
                ),
            )  # fmt: skip
        return Segment(self.store, int(cursor.lastrowid or 0))

    def _known_frames(self, segment: str, frames: Iterable[str]) -> list[str]:
        """``frames`` as a segment stores them (sorted, each once); a frame the dataset
        does not have is an ``InputError`` naming it."""
        ids = [str(f) for f in frames]
        known = set(self.frames().column("frame_id").to_pylist())
        unknown = [f for f in ids if f not in known]
        if unknown:
            raise InputError(f"segment {segment!r}: unknown frame {unknown[0]!r}")
        return sorted(set(ids))

    def _selection(
        self, segment: Segment | str | None, query: str | None = None
    ) -> list[str] | None:
        """The frame ids of a segment (or the segment so named) for an engine query,
        narrowed to the frames an ad-hoc ``query`` matches; None for every frame."""
        found = (
            None
            if segment is None
            else (self.segment(segment) if isinstance(segment, str) else segment)
        )
        selected = None if found is None else found.selection()
        if query is None:
            return selected
        return narrowed(selected, self.store.segment_frames.matching(self, query))

    def summary(
        self,
        *,
        conf: Conf | None = None,
        iou: float | None = None,
        segment: Segment | str | None = None,
        query: str | None = None,
    ) -> dict[str, list[SegmentScores]]:
        """Every inference set's scores on every segment ("All Frames" first), or on one
        ``segment``, each narrowed by an ad-hoc frames ``query``: ``{inference set:
        [scores per segment]}`` (see ``shoal.analysis.summary``), each from the set's
        cached evaluation."""
        conf_value, iou_value = operating_point(self.project, conf, iou)
        chosen = (
            self.segments()
            if segment is None
            else [self.segment(segment) if isinstance(segment, str) else segment]
        )
        specs = narrowed_specs(self, [s.spec() for s in chosen], query)
        if self.project.task == "multilabel":
            from shoal.store._multilabel import multilabel_segment_scores

            return {
                inference.name: multilabel_segment_scores(inference, specs, threshold=conf)
                for inference in self.inference_sets()
            }
        return {
            inference.name: inference.use(
                lambda evaluation: segment_scores(evaluation, specs, conf=conf_value, iou=iou_value)
            )
            for inference in self.inference_sets()
        }

    def query_fields(self) -> dict[str, FieldType]:
        """Every name a frames query may use on this dataset, with its type: the frame
        columns, the metadata keys, the label statistics and the frame metrics (label
        metrics are fields of label conditions: ``label_query_fields``)."""
        from shoal.store._frames_query import query_fields

        return query_fields(self.frames(), self._metric_tables()[0], self._frame_sources())

    def label_query_fields(self) -> dict[str, FieldType]:
        """The fields a label condition (inside ``has()`` and ``count()``) may use:
        ``class_name`` and the label metrics."""
        from shoal.store._frames_query import label_fields

        return label_fields(self._metric_tables()[1])

    def similar(
        self,
        ids: Iterable[str | ElementRef],
        k: int = 10,
        *,
        embedding: str | None = None,
        exclude: Iterable[str | ElementRef] = (),
        kind: Literal["frame", "crop"] = "frame",
        metric: Literal["cosine", "euclidean"] = "cosine",
    ) -> SimilarElements:
        """The ``k`` elements most similar to ``ids`` by their stored embeddings, nearest
        first: frames (``kind="frame"``, frame embeddings) or crops (``"crop"``: label
        crops of the dataset and prediction crops of its inference sets). Ids are
        ``ElementRef``s or keys: a plain id is the dataset's frame (or label, for crops),
        ``prediction/<set>/<id>`` a prediction's crop, ``frame/<set>/<id>`` a frame
        vector an inference set uploaded; answers are keys (docs/embeddings.md). A
        candidate's distance is to its nearest seed (cosine ``1 - cos``, or Euclidean);
        the seeds and ``exclude`` never come back. ``embedding`` names the model (needed
        when there are several). Exact search below 200,000 vectors, an inverted-file
        index above, kept in the store (``answer.exact`` says which)."""
        from shoal.store._similarity import similar_elements

        return similar_elements(
            self, ids, k=k, embedding=embedding, exclude=exclude, kind=kind, metric=metric
        )

    def similar_to_vectors(
        self,
        vectors: Any,
        k: int = 10,
        *,
        embedding: str | None = None,
        kind: Literal["frame", "crop"] = "frame",
        metric: Literal["cosine", "euclidean"] = "cosine",
        exclude: Iterable[str | ElementRef] = (),
    ) -> SimilarElements:
        """Like ``similar``, but the seeds are given vectors ((s, d) float32, e.g.
        another dataset's ``vectors_of``): the ``k`` elements of this dataset nearest
        them, leaving out ``exclude``."""
        from shoal.store._similarity import similar_to_vectors

        return similar_to_vectors(
            self, vectors, k=k, embedding=embedding, exclude=exclude, kind=kind, metric=metric
        )

    def vectors_of(
        self, elements: Iterable[ElementRef], *, embedding: str | None = None
    ) -> NDArray[np.float32]:
        """The stored vectors ((n, d) float32, in the order asked) of the elements of
        one model (``embedding`` needed when there are several); a ``NotFoundError``
        naming the first element without one."""
        from shoal.store._similarity import vectors_of

        return vectors_of(self, elements, embedding=embedding)

    def embedding_models(self) -> list[EmbeddingModelInfo]:
        """Each embedding model with vectors in the dataset or its inference sets: its
        dimension and how many frame, label-crop and prediction-crop vectors it has."""
        from shoal.store._similarity import embedding_models

        return embedding_models(self)

    def add_embeddings(
        self,
        embeddings: pa.Table,
        *,
        inference_set: InferenceSet | str | None = None,
        source: str | None = None,
        progress: Progress | None = None,
    ) -> None:
        """Add vectors (an ``EMBEDDINGS_SCHEMA`` table, e.g. from
        ``shoal.store.read_embeddings_file``) to the dataset, or to ``inference_set``
        (frame vectors and prediction crops): the vectors of each model and kind (frames,
        crops) replace those of the table. The dataset or set gets a new version holding
        the same frames, labels and predictions, so kept matchings and quality metrics
        stay valid; the projections and indexes of the changed vectors become stale. ``source`` names
        the file in errors. See docs/embeddings.md."""
        from shoal.store._embeddings_import import add_embeddings

        add_embeddings(
            self, embeddings, inference_set=inference_set, source=source, progress=progress
        )

    def projection(
        self,
        embedding: str | None = None,
        *,
        kind: Literal["frame", "crop"] = "frame",
        method: Literal["umap", "pca"] = "umap",
        compute: bool = True,
        progress: Progress | None = None,
    ) -> Projection:
        """The 2D projection of the elements of ``kind`` with vectors of ``embedding``
        (frames; or crops: label crops, then every inference set's prediction crops),
        kept in the store: computed once (UMAP by default, PCA fast; above 20,000
        vectors UMAP fits a sample and places the rest), read back while the vectors
        are unchanged, computed again when they change. With ``compute=False`` a
        missing or stale projection is a ``NotFoundError``. ``progress(done, total)``
        follows the computation. See docs/embeddings.md."""
        from shoal.store._projection import projection

        return projection(
            self, embedding, kind=kind, method=method, compute=compute, progress=progress
        )

    def projection_state(
        self,
        embedding: str | None = None,
        *,
        kind: Literal["frame", "crop"] = "frame",
        method: Literal["umap", "pca"] = "umap",
    ) -> Literal["current", "stale", "missing"]:
        """Whether the projection is kept and current, kept but stale (the vectors
        changed since), or missing."""
        from shoal.store._projection import projection_state

        return projection_state(self, embedding, kind=kind, method=method)

    def projection_colors(
        self,
        projection: Projection,
        color_by: str,
        *,
        inference_set: str | None = None,
        conf: Conf | None = None,
        iou: float | None = None,
        segment: Segment | str | None = None,
        query: str | None = None,
    ) -> PointColors:
        """What each of ``projection``'s points is, in its element order: ``color_by``
        ``class``, ``outcome``, ``confusion``, ``confidence``, ``precision``, ``recall``,
        ``f1`` (per frame at (conf, iou), from ``inference_set``'s evaluation; a crop
        gets its frame's), ``metadata:KEY`` or ``metric:NAME``; ``in_scope`` marks the
        points a ``segment`` and ``query`` keep. See docs/embeddings.md ("Colors")."""
        from shoal.store._projection_colors import projection_colors

        return projection_colors(
            self, projection, color_by, inference_set=inference_set, conf=conf, iou=iou,
            segment=segment, query=query,
        )  # fmt: skip

    def query(self, expression: str) -> list[str]:
        """Frame ids matching a query over metadata, label statistics and element
        metrics (see docs/queries.md), in frame order."""
        from shoal.store._frames_query import select_frames

        frame_metrics, label_metrics = self._metric_tables()
        return select_frames(
            self.frames(),
            self.labels(),
            expression,
            frame_metrics=frame_metrics,
            label_metrics=label_metrics,
            sources=self._frame_sources(),
        )

    def _frame_sources(self) -> dict[str, str]:
        """Each frame metric's source (quality, custom): a metric that shares a
        metadata key's name is the query field ``SOURCE.NAME``."""
        return {i.name: i.source for i in self.metric_infos() if i.level == "frame"}

    def _metric_tables(self) -> tuple[pa.Table | None, pa.Table | None]:
        """The frame and label metrics with their infos, None for a level without any."""
        levels = {info.level for info in self.metric_infos()}
        return (
            self.element_metrics("frame") if "frame" in levels else None,
            self.element_metrics("label") if "label" in levels else None,
        )

    # element metrics (quality and custom): see shoal.store._element_metrics
    def metric_infos(self) -> list[MetricInfo]:
        """Every metric of the dataset (frame, label) and of its inference sets
        (prediction): frame first, quality before custom, by name."""
        return metric_infos(self)

    def element_metrics(self, level: Literal["frame", "label"] = "frame") -> pa.Table:
        """The key column (``frame_id`` or ``label_id``) in stored order with one column
        per metric of the level (quality and custom), null where unknown."""
        return element_metrics(self, level)

    def write_quality_metrics(
        self, level: Level, table: pa.Table, *, inference_set: InferenceSet | str | None = None
    ) -> None:
        """Replace the level's quality columns (a key column, then float columns) at
        once; ``inference_set`` for prediction metrics."""
        write_quality_metrics(self, level, table, inference_set=inference_set)

    def add_custom_metric(
        self,
        name: str,
        values: Any,
        *,
        level: Level = "frame",
        inference_set: InferenceSet | str | None = None,
        description: str = "",
        replace: bool = False,
    ) -> MetricInfo:
        """Store a custom metric: ``values`` is a mapping {id: value} or a table of ids
        and values (``shoal.formats.metric_values.read_metric_values`` reads CSV and JSON
        files);
        values are typed like metadata (bool, int, float or string; NaN and None are
        missing). Every id must be one of the level's elements; a name in use needs
        ``replace=True``. See docs/quality.md, "Custom metrics"."""
        return add_custom_metric(
            self,
            name,
            values,
            level=level,
            inference_set=inference_set,
            description=description,
            replace=replace,
        )

    def add_custom_metrics(
        self,
        values: MetricValues,
        *,
        level: Level = "frame",
        inference_set: InferenceSet | str | None = None,
        description: str = "",
        replace: bool = False,
    ) -> list[MetricInfo]:
        """Store every metric column of a file read by
        ``shoal.formats.metric_values.read_metric_values`` at once (all or none)."""
        return add_custom_metrics(
            self,
            values,
            level=level,
            inference_set=inference_set,
            description=description,
            replace=replace,
        )

    def delete_custom_metric(
        self, name: str, *, level: Level = "frame", inference_set: InferenceSet | str | None = None
    ) -> None:
        """Remove a custom metric."""
        delete_custom_metric(self, name, level=level, inference_set=inference_set)

    def compute_quality(
        self, *, progress: Progress | None = None, read_images: bool = True
    ) -> QualityTables:
        """Compute and store the quality metrics (docs/quality.md) of the frames, the
        labels and every inference set's predictions, reading each image once, in
        parallel; ``read_images=False`` stores geometry and sizes only. A frame whose
        image cannot be read is a warning in the result (its pixel metrics are null),
        never an error. ``progress(done, total)`` counts images."""
        from shoal.store._quality import store_dataset_quality

        return store_dataset_quality(self, progress=progress, read_images=read_images)


class InferenceSet(_StoredEntity):
    """A named model run on a dataset: its predictions, and its cached evaluations."""

    _table = "inference_sets"

    @property
    def dataset(self) -> Dataset:
        return Dataset(self.store, int(self._get()["dataset_id"]))

    def _objects(self) -> list[str]:
        rows = self.store._rows(
            "SELECT object FROM evaluations WHERE inference_set_id = ?", (self.id,)
        )
        return [self._object(), *(r[0] for r in rows), *metric_objects(self)]

    def predictions(self) -> pa.Table:
        return self._read("predictions")

    def embeddings(self) -> pa.Table:
        """Frame and prediction-crop vectors uploaded with this set (no columns when
        there are none)."""
        return self._read("embeddings")

    def compute_quality(
        self, *, progress: Progress | None = None, read_images: bool = True
    ) -> QualityTables:
        """Compute and store this set's prediction quality metrics (box geometry, and
        crop brightness and sharpness where the dataset's images can be read); see
        ``Dataset.compute_quality``."""
        from shoal.store._quality import store_inference_set_quality

        return store_inference_set_quality(self, progress=progress, read_images=read_images)

    def outcome_metric_values(
        self, outcomes: Outcomes, name: str, *, predictions: pa.Table, labels: pa.Table
    ) -> NDArray[np.float64]:
        """Metric ``name`` of each outcome row, to sort or filter examples by
        (``outcomes.sorted_by(name, values=...)``), named and valued as performance by
        metric names them (``metric_importance``; see docs/insights.md): an object
        metric's value for a prediction or label, a frame metric's or metadata key's for
        every object of the frame; NaN where none. ``predictions`` and ``labels`` are the
        tables the rows index (``outcomes_with_sources``)."""
        from shoal.store._metric_performance import metric_values

        return metric_values(self, name, outcomes, predictions, labels)

    def element_metrics(self) -> pa.Table:
        """``prediction_id`` in stored order with one column per prediction metric of
        this inference set (quality and custom), null where a prediction has no value;
        see docs/quality.md."""
        return prediction_metrics(self)

    def to_dict(self) -> dict[str, Any]:
        row = self._get()
        return {
            "name": row["name"],
            "dataset": self.dataset.name,
            "version": row["version"],
            "num_predictions": row["num_predictions"],
            "created_at": row["created_at"],
        }

    # evaluations: every query below runs on the store's cached evaluation, holding
    # its lock (the engine's evaluation objects are not safe to share between threads)
    def evaluate(
        self,
        *,
        iou_thresholds: Sequence[float] | None = None,
        partitions: int | None = None,
        ray: str | None = None,
        progress: Progress | None = None,
    ) -> StoredEvaluation:
        """The engine's evaluation of these predictions against the dataset's labels.

        It is the store's cached object (one per inference set version, shared by
        every caller of this store), so asking again costs nothing. Detection matching
        is also kept on disk, so reopening a project answers without matching again.
        The object is not safe to query from several threads at once: there, query
        inside ``with inference_set.evaluation() as ev:`` (or ``use``).
        ``iou_thresholds`` (a custom grid) builds an evaluation of its own, uncached.

        ``partitions`` and/or ``ray`` (detection): match now, in partitions of the
        frames, as Ray tasks on the cluster at ``ray`` (``"auto"``, ``"local"``,
        ``"ray://HEAD:10001"``) that read their own rows of the stored files, or in this
        process without ``ray``; the matching is kept exactly as one made in one process
        (docs/distributed.md). ``progress(done, total)`` counts partitions.
        """
        if partitions is not None or ray is not None:
            if iou_thresholds is not None:
                raise InputError("iou_thresholds does not combine with partitions or ray")
            from shoal.store._partitioned import evaluate_in_partitions

            return evaluate_in_partitions(self, partitions, ray=ray, progress=progress)
        if iou_thresholds is not None:
            return build_evaluation(self, iou_thresholds=iou_thresholds)
        return self.store.evaluations.entry(self).evaluation

    @contextlib.contextmanager
    def evaluation(self) -> Iterator[StoredEvaluation]:
        """The cached evaluation, for this thread alone until the block ends."""
        with self.store.evaluations.hold(self) as entry:
            yield entry.evaluation

    def use(self, query: Callable[[StoredEvaluation], T]) -> T:
        """``query(evaluation)`` on the cached evaluation, under its lock."""
        return self.store.evaluations.use(self, query)

    def metrics(
        self,
        *,
        conf: Conf | None = None,
        iou: IouThreshold | None = None,
        segment: Segment | str | None = None,
        include: Iterable[Include] = ("report", "confusion_matrix"),
        curve_points: int | None = None,
        query: str | None = None,
        protocol: MatchingProtocol = "coco",
    ) -> Metrics:
        """Report, confusion matrix, COCO summary, PR curves and best thresholds (those
        in ``include``) at (conf, iou), the project's defaults unless given (``iou``
        may be per class: a mapping of class name to IoU, classes not named at 0.5), on a
        segment's frames (default: every frame), narrowed to those an ad-hoc frames
        ``query`` matches (docs/queries.md). ``protocol="labelbox"``: detection matched by
        Labelbox's rule (docs/metrics.md) from the same kept pairs, for IoUs from 0.05."""
        dataset = self.dataset
        conf_value, iou_value = matching_point(dataset.project, conf, iou)
        frames = dataset._selection(segment, query)
        wanted = list(include)
        with self.store.evaluations.hold(self) as entry:
            return compute_metrics(
                entry.evaluation, entry.version, wanted, conf_value, iou_value, frames,
                curve_points, protocol,
            )  # fmt: skip

    def multilabel_evaluation(self) -> MultiLabelEvaluation:
        """A multi-label project's engine evaluation (cached per version); see
        ``shoal.store._multilabel``. Query it inside ``multilabel_metrics`` from threads."""
        from shoal.store._multilabel import multilabel_evaluation

        return multilabel_evaluation(self)

    def multilabel_metrics(
        self,
        *,
        threshold: Conf | None = None,
        segment: Segment | str | None = None,
        query: str | None = None,
    ) -> MultiLabelMetrics:
        """A multi-label project's per-class precision, recall, F1, support, threshold,
        2x2 confusion matrix and AP, the micro/macro/weighted/samples averages, subset
        accuracy and Hamming loss (all equal to scikit-learn's) at ``threshold`` (a
        number, or class -> threshold; unnamed classes use the project's
        ``default_conf``), on a segment's frames narrowed by a frames ``query``."""
        from shoal.store._multilabel import multilabel_metrics

        return multilabel_metrics(self, threshold=threshold, segment=segment, query=query)

    def multilabel_examples(
        self,
        label: str,
        cell: str,
        *,
        threshold: Conf | None = None,
        segment: Segment | str | None = None,
        query: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> MultiLabelExamples:
        """The frames in ``cell`` (``tp``, ``fp``, ``fn``, ``tn``) of class ``label``'s 2x2
        matrix at ``threshold``, a page of them with their true and predicted classes
        (a frame is in a cell of every class)."""
        from shoal.store._multilabel import multilabel_examples

        return multilabel_examples(
            self, label, cell, threshold=threshold, segment=segment, query=query,
            offset=offset, limit=limit,
        )  # fmt: skip

    def ner_metrics(
        self, *, segment: Segment | str | None = None, query: str | None = None
    ) -> NerMetrics:
        """An NER project's entity-level precision, recall, F1, support and TP/FP/FN per
        entity type and averaged, with exact matching (equal to seqeval's) and overlap
        matching, on a segment's frames narrowed by a frames ``query``; see
        ``shoal.store._ner``."""
        from shoal.store._ner import ner_metrics

        return ner_metrics(self, segment=segment, query=query)

    def ner_sentences(
        self,
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
        """A page of an NER project's frames with their tokens, true and predicted
        entities and whether each matched (``errors_only``: frames with an unmatched
        entity; ``entity_type``: frames with an entity of that type; ``frame_id``: that
        frame only)."""
        from shoal.store._ner import ner_sentences

        return ner_sentences(
            self, match=match, errors_only=errors_only, entity_type=entity_type,
            frame_id=frame_id, segment=segment, query=query, offset=offset, limit=limit,
        )  # fmt: skip

    def multilabel_frame(self, frame_id: str, *, threshold: Conf | None = None) -> dict[str, Any]:
        """One frame of a multi-label project at ``threshold``: every class's score,
        threshold, truth, prediction and 2x2 cell."""
        from shoal.store._multilabel import multilabel_frame

        return multilabel_frame(self, frame_id, threshold=threshold)

    def outcomes(
        self,
        *,
        conf: Conf | None = None,
        iou: IouThreshold | None = None,
        segment: Segment | str | None = None,
        query: str | None = None,
        protocol: MatchingProtocol = "coco",
    ) -> Outcomes:
        """Every counted prediction and ground truth with its outcome (TP, FP, FN),
        reason, partner and IoU at (conf, iou) on a segment's frames (filter, sort and
        page the answer with its own methods), matched by ``protocol`` (as ``metrics``)."""
        dataset = self.dataset
        conf_value, iou_value = matching_point(dataset.project, conf, iou)
        frames = dataset._selection(segment, query)
        return self.use(
            lambda evaluation: outcomes_at(evaluation, conf_value, iou_value, frames, protocol)
        )

    def outcomes_with_sources(
        self,
        *,
        conf: Conf | None = None,
        iou: IouThreshold | None = None,
        segment: Segment | str | None = None,
        query: str | None = None,
        protocol: MatchingProtocol = "coco",
    ) -> VersionedOutcomes:
        """``outcomes`` together with the prediction and label tables they index (engine
        ids are 1-based rows of those tables), all of one version of this inference set
        and of its dataset: the version the cached evaluation was built from, whatever
        is committed meanwhile."""
        dataset = self.dataset
        conf_value, iou_value = matching_point(dataset.project, conf, iou)
        frames = dataset._selection(segment, query)
        cache = self.store.evaluations
        for _ in range(_CONSISTENT_READ_ATTEMPTS):
            snapshot = StoredVersions.read(self)
            set_object, dataset_object = snapshot.objects
            try:
                # Whole tables, read first: the store keeps them in memory, where the
                # evaluation's build finds them even once a replace removed the files.
                predictions = self.store.read_table(set_object, "predictions.parquet")
                labels = self.store.read_table(dataset_object, "labels.parquet")
                entry = cache.entry_at(self, snapshot)
            except Exception:
                if StoredVersions.read(self).key == snapshot.key:
                    raise  # a failure of a version still current
                continue  # that version's files were removed by a replace: the next one
            with entry.lock:
                outcomes = outcomes_at(entry.evaluation, conf_value, iou_value, frames, protocol)
            return VersionedOutcomes(
                outcomes, entry.version, entry.dataset_version, predictions, labels
            )
        raise ShoalError("the inference set kept changing while it was read; ask again")

    def regression_results(
        self, *, conf: Conf | None = None, iou: float | None = None, query: str | None = None
    ) -> list[SegmentResult]:
        """Every segment's pass/fail result against its thresholds ("All Frames" first);
        see ``shoal.analysis.regression`` (multi-label: ``shoal.store._multilabel``,
        ``conf`` the class-score thresholds). An ad-hoc frames ``query`` narrows every
        segment to the frames it matches."""
        dataset = self.dataset
        specs = narrowed_specs(dataset, [segment.spec() for segment in dataset.segments()], query)
        if dataset.project.task == "multilabel":
            from shoal.store._multilabel import multilabel_regression_results

            return multilabel_regression_results(self, specs, threshold=conf)
        conf_value, iou_value = operating_point(dataset.project, conf, iou)
        return self.use(
            lambda evaluation: evaluate_segments(evaluation, specs, conf=conf_value, iou=iou_value)
        )

    def compare(
        self,
        other: InferenceSet,
        *,
        conf: Conf | None = None,
        iou: float | None = None,
        segment: Segment | str | None = None,
        other_conf: Conf | None = None,
        other_iou: float | None = None,
        query: str | None = None,
    ) -> Comparison:
        """``other`` against this inference set (the base), both on one dataset; see
        ``shoal.analysis.compare``. (``conf``, ``iou``) is both sides' operating point
        unless ``other_conf`` or ``other_iou`` gives the other its own."""
        conf_value, iou_value, frames = self._compared_on(other, conf, iou, segment, query)
        with self.store.evaluations.hold_many([self, other]) as (base, changed):
            comparison = compare(
                base.evaluation,
                changed.evaluation,
                conf=conf_value,
                iou=iou_value,
                frames=frames,
                other_conf=other_conf,
                other_iou=other_iou,
            )
        # Each side is one cached evaluation, of one version: the answer says which.
        return dataclasses.replace(comparison, versions=(base.version, changed.version))

    def _check_same_dataset(self, other: InferenceSet) -> None:
        if other.dataset.id != self.dataset.id:
            raise InputError("compare inference sets of the same dataset")

    def _compared_on(
        self,
        other: InferenceSet,
        conf: Conf | None,
        iou: float | None,
        segment: Segment | str | None,
        query: str | None,
    ) -> tuple[Conf, float, list[str] | None]:
        """The base's operating point and the frames a comparison with ``other`` (of the
        same dataset, else an InputError) is made on."""
        self._check_same_dataset(other)
        dataset = self.dataset
        conf_value, iou_value = operating_point(dataset.project, conf, iou)
        return conf_value, iou_value, dataset._selection(segment, query)

    def significance(
        self,
        other: InferenceSet,
        *,
        conf: Conf | None = None,
        iou: float | None = None,
        segment: Segment | str | None = None,
        other_conf: Conf | None = None,
        other_iou: float | None = None,
        query: str | None = None,
        resamples: int = DEFAULT_RESAMPLES,
        seed: int = 0,
        average_precision: bool = True,
    ) -> Significance:
        """Paired-bootstrap intervals of every precision, recall, F1 and (with
        ``average_precision``) AP delta of ``other`` against this inference set (the
        base) on a segment's frames, each side at its operating point as in
        :meth:`compare`; see ``shoal.analysis.bootstrap``."""
        conf_value, iou_value, frames = self._compared_on(other, conf, iou, segment, query)
        with self.store.evaluations.hold_many([self, other]) as (base, changed):
            return paired_bootstrap(
                base.evaluation, changed.evaluation, conf=conf_value, iou=iou_value,
                frames=frames, other_conf=other_conf, other_iou=other_iou,
                resamples=resamples, seed=seed, average_precision=average_precision,
            )  # fmt: skip

    def calibration(
        self,
        *,
        conf: Conf | None = None,
        iou: float | None = None,
        segment: Segment | str | None = None,
        query: str | None = None,
        bins: int = DEFAULT_BINS,
    ) -> Calibration:
        """Reliability diagrams with ECE (classification) or D-ECE (detection), overall
        and per class, of the predictions counted at (conf, iou) on a segment's frames;
        see ``shoal.analysis.calibration``."""
        dataset = self.dataset
        conf_value, iou_value = operating_point(dataset.project, conf, iou)
        frames = dataset._selection(segment, query)
        return self.use(
            lambda evaluation: calibration(
                evaluation, conf=conf_value, iou=iou_value, frames=frames, bins=bins
            )
        )

    def tide(
        self,
        *,
        fg_iou: float = DEFAULT_FG_IOU,
        bg_iou: float = DEFAULT_BG_IOU,
        segment: Segment | str | None = None,
        query: str | None = None,
    ) -> TideResult:
        """TIDE's error breakdown (Cls, Loc, Both, Dupe, Bkg, Miss counts and dAP, and the
        FalsePos and FalseNeg dAP, overall and per class) on a segment's frames, narrowed
        by an ad-hoc ``query``; cached per version, frames and thresholds. See
        ``shoal.analysis.tide`` and docs/insights.md."""
        frames = self.dataset._selection(segment, query)
        return stored_tide(self, frames=frames, fg_iou=fg_iou, bg_iou=bg_iou)

    def label_errors(
        self,
        *,
        segment: Segment | str | None = None,
        query: str | None = None,
        min_score: float = 0.5,
        fg_iou: float = 0.5,
        bg_iou: float = 0.1,
        method: Literal["self_confidence", "normalized_margin"] = "self_confidence",
    ) -> LabelErrorQueue | ClassificationLabelErrorQueue:
        """The label-error queue (missing, spurious, wrong_class, loose_box candidates,
        highest score first) on a segment's frames, narrowed by an ad-hoc ``query``;
        cached per version, frames and settings. See ``shoal.analysis.label_errors``
        and docs/insights.md. Classification (wrong_class candidates by confident
        learning on the predictions' probabilities) reads ``method`` instead of the
        detection settings."""
        frames = self.dataset._selection(segment, query)
        return stored_label_errors(
            self, frames=frames, min_score=min_score, fg_iou=fg_iou, bg_iou=bg_iou, method=method
        )

    def label_error_reviews(self) -> dict[str, dict[str, Any]]:
        """Every review of a label-error candidate, by candidate id."""
        return label_error_reviews(self)

    def review_label_error(
        self,
        candidate: str,
        *,
        status: ReviewStatus,
        issue: str | None = None,
        note: str = "",
    ) -> dict[str, Any]:
        """Confirm a candidate as a label error, dismiss it, or reopen it (``open``);
        ``issue`` also collects the suspect object in that issue of the project."""
        return review_label_error(self, candidate, status=status, issue=issue, note=note)

    def export_label_errors(self, format: Literal["coco", "csv"] = "coco") -> str:
        """The confirmed label errors as a COCO patch (JSON text) or CSV."""
        return export_label_errors(self, format=format)

    def changed_examples(
        self,
        other: InferenceSet,
        *,
        conf: Conf | None = None,
        iou: float | None = None,
        other_conf: Conf | None = None,
        other_iou: float | None = None,
        segment: Segment | str | None = None,
        query: str | None = None,
    ) -> tuple[ChangedExamples, pa.Table]:
        """The ground truth ``other`` fixed, broke or still gets wrong against this
        inference set (the base), each side at its operating point (``other_conf`` and
        ``other_iou`` default to ``conf`` and ``iou``); see ``shoal.analysis.changes``.
        With it, the labels table its ids index (1-based rows), of the version both
        sides were evaluated on."""
        self._check_same_dataset(other)
        for _ in range(_CONSISTENT_READ_ATTEMPTS):
            base = self.outcomes_with_sources(conf=conf, iou=iou, segment=segment, query=query)
            changed = other.outcomes_with_sources(
                conf=conf if other_conf is None else other_conf,
                iou=iou if other_iou is None else other_iou,
                segment=segment,
                query=query,
            )
            if base.dataset_version == changed.dataset_version:
                return changed_examples(base.outcomes, changed.outcomes), base.labels
        raise ShoalError("the dataset kept changing while it was compared; ask again")

    # performance by metric: see shoal.store._metric_performance
    def metric_performance(
        self,
        metric: str,
        *,
        conf: Conf | None = None,
        iou: float | None = None,
        segment: Segment | str | None = None,
        query: str | None = None,
        bins: int = 10,
        label: str | None = None,
    ) -> MetricPerformance:
        """Precision and false-negative rate per quantile bin of ``metric`` (overall and
        per class, only class ``label``'s objects when given), its distribution and its
        importance and correlations with being right, at (conf, iou) on a segment's
        frames; see ``shoal.analysis.metric_performance`` and docs/insights.md."""
        from shoal.store._metric_performance import inference_metric_performance

        return inference_metric_performance(
            self, metric, conf=conf, iou=iou, segment=segment, query=query, bins=bins,
            label=label,
        )  # fmt: skip

    def metric_importance(
        self,
        *,
        conf: Conf | None = None,
        iou: float | None = None,
        segment: Segment | str | None = None,
        query: str | None = None,
    ) -> list[MetricImportance]:
        """Every metric this inference set can be analysed by (built-ins, quality and
        custom metrics, numeric metadata) with its importance and correlations, the
        most important first; see docs/insights.md."""
        from shoal.store._metric_performance import inference_metric_importance

        return inference_metric_importance(self, conf=conf, iou=iou, segment=segment, query=query)


@dataclass(frozen=True)
class VersionedOutcomes:
    """Outcomes and the tables their ids index, all read at one version (the inference
    set's ``version`` and its dataset's ``dataset_version``)."""

    outcomes: Outcomes
    version: int
    dataset_version: int
    predictions: pa.Table
    labels: pa.Table

    def stored_ids(self, rows: Outcomes, *, detection: bool) -> list[str | None]:
        """The stored id of each of ``rows`` (outcomes of this read): a prediction's
        ``prediction_id``, a ground truth's ``label_id``. Detection ids are 1-based rows
        of the tables; a classification row is its frame's one record (None when the
        frame has none)."""
        kinds = rows.kind_code == PREDICTION
        if detection:
            index = rows.id.astype(np.int64) - 1
            predicted = self.predictions.column("prediction_id").to_numpy(zero_copy_only=False)
            labelled = self.labels.column("label_id").to_numpy(zero_copy_only=False)
            return [
                str((predicted if is_prediction else labelled)[i])
                for is_prediction, i in zip(kinds.tolist(), index.tolist(), strict=True)
            ]
        by_frame = {
            True: _first_by_frame(self.predictions, "prediction_id"),
            False: _first_by_frame(self.labels, "label_id"),
        }
        return [
            by_frame[is_prediction].get(str(frame))
            for is_prediction, frame in zip(kinds.tolist(), rows.frame_id.tolist(), strict=True)
        ]


def _first_by_frame(table: pa.Table, id_column: str) -> dict[str, str]:
    """``{frame_id: the id of its first record}`` (a classification frame has one)."""
    found: dict[str, str] = {}
    for frame, record in zip(
        table.column("frame_id").to_pylist(), table.column(id_column).to_pylist(), strict=True
    ):
        found.setdefault(frame, record)
    return found


# A replace between the reads of one answer makes it read again, up to this many times.
_CONSISTENT_READ_ATTEMPTS = 5


# A segment's description is free text, up to this many characters.
MAX_DESCRIPTION_LENGTH = 10_000


def check_description(description: str) -> None:
    if not isinstance(description, str):
        raise InputError(f"a segment description is text, got {type(description).__name__}")
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise InputError(
            f"a segment description has at most {MAX_DESCRIPTION_LENGTH} characters, "
            f"got {len(description)}"
        )


def narrowed_specs(
    dataset: Dataset, specs: list[SegmentSpec], query: str | None
) -> list[SegmentSpec]:
    """Each segment narrowed to the frames an ad-hoc ``query`` matches (a stale one
    stays as it is: it has no frames to narrow)."""
    if query is None:
        return specs
    matched = dataset.store.segment_frames.matching(dataset, query)
    return [
        spec
        if spec.stale is not None
        else dataclasses.replace(spec, frame_ids=narrowed(spec.frame_ids, matched))
        for spec in specs
    ]


def narrowed(selected: Sequence[str] | None, matched: Sequence[str]) -> list[str]:
    """The frames of ``selected`` (None: every frame) that ``matched`` holds too, in
    the order of ``matched`` (frame order)."""
    if selected is None:
        return list(matched)
    keep = set(selected)
    return [frame for frame in matched if frame in keep]


def operating_point(project: Project, conf: Conf | None, iou: float | None) -> tuple[Conf, float]:
    """(conf, iou), each the project's default where not given."""
    return (project.default_conf if conf is None else conf), (
        project.default_iou if iou is None else float(iou)
    )


def matching_point(
    project: Project, conf: Conf | None, iou: IouThreshold | None
) -> tuple[Conf, IouThreshold]:
    """``operating_point`` where ``iou`` may also be per class (a mapping of class name to
    IoU, classes not named at 0.5), for the queries that match per class."""
    if isinstance(iou, Mapping):
        return operating_point(project, conf, None)[0], dict(iou)
    return operating_point(project, conf, iou)


class Segment:
    """A named set of frames of a dataset, with optional pass/fail thresholds.

    "All Frames" is the built-in split of every frame: it has no catalog row of its own
    (``id`` None) and cannot be renamed or deleted, but takes thresholds like any other
    segment (kept per dataset), so it can be a regression test's scope.
    """

    def __init__(self, store: Store, row_id: int | None, *, dataset: Dataset | None = None) -> None:
        self.store = store
        self.id = row_id
        self._dataset = dataset

    @classmethod
    def all_frames(cls, dataset: Dataset) -> Segment:
        return cls(dataset.store, None, dataset=dataset)

    def _get(self) -> sqlite3.Row | None:
        if self.id is None:
            return None
        row = self.store._row("SELECT * FROM segments WHERE id = ?", (self.id,))
        if row is None:
            raise NotFoundError("this segment was deleted")
        return row

    @property
    def dataset(self) -> Dataset:
        row = self._get()
        if row is not None:
            return Dataset(self.store, int(row["dataset_id"]))
        if self._dataset is None:
            raise ShoalError("a segment without a row needs its dataset")
        return self._dataset

    @property
    def name(self) -> str:
        row = self._get()
        return ALL_FRAMES if row is None else str(row["name"])

    @property
    def uuid(self) -> str:
        row = self._get()
        if row is None:
            return str(uuid.uuid5(uuid.NAMESPACE_URL, f"shoal:all-frames:{self.dataset.id}"))
        return str(row["uuid"])

    @property
    def type(self) -> SegmentType:
        row = self._get()
        value = "split" if row is None else row["type"]
        return (
            "regression_test"
            if value == "regression_test"
            else ("split" if value == "split" else "scenario")
        )

    @property
    def query(self) -> str | None:
        row = self._get()
        return None if row is None else row["query"]

    @property
    def description(self) -> str:
        row = self._get()
        return "" if row is None else str(row["description"])

    def update(self, *, type: SegmentType | None = None, description: str | None = None) -> None:
        """Change the segment's type or description (None leaves one as it is)."""
        self.edit(type=type, description=description)

    def edit_frames(self, *, add: Iterable[str] = (), remove: Iterable[str] = ()) -> None:
        """Add frames to a segment of listed frames and remove others (removing one it
        does not hold is no change; adding one the dataset lacks is an ``InputError``).
        A saved query's frames follow its query: editing them is an ``InputError``."""
        self.edit(add_frames=add, remove_frames=remove)

    def edit(
        self,
        *,
        name: str | None = None,
        type: SegmentType | None = None,
        description: str | None = None,
        add_frames: Iterable[str] = (),
        remove_frames: Iterable[str] = (),
    ) -> None:
        """Every change at once, in one transaction: all of them or, on any error
        (``InputError``; a name in use is a ``ConflictError``), none. None and empty
        leave a field as it is; see ``rename``, ``update`` and ``edit_frames``."""
        added, removed = [str(f) for f in add_frames], {str(f) for f in remove_frames}
        if name is None and type is None and description is None and not added and not removed:
            return
        if self.id is None:
            raise InputError(
                f"the {ALL_FRAMES!r} split holds every frame and keeps its name, type and "
                "description; it takes thresholds only"
            )
        if name is not None:
            check_name(name, "segment")
            if name == ALL_FRAMES:
                raise ConflictError(f"{ALL_FRAMES!r} is the built-in split of every frame")
        if type is not None and type not in SEGMENT_TYPES:
            raise InputError(
                f"segment type must be one of {', '.join(SEGMENT_TYPES)}, got {type!r}"
            )
        if description is not None:
            check_description(description)
        dataset = self.dataset
        current = self.name
        known = dataset._known_frames(current, added) if added else []
        with self.store._transaction() as db:
            row = db.execute("SELECT frame_ids FROM segments WHERE id = ?", (self.id,)).fetchone()
            if row is None:
                raise NotFoundError("this segment was deleted")
            if added or removed:
                if row["frame_ids"] is None:
                    raise InputError(
                        f"segment {current!r} is a saved query: its frames follow the query; "
                        "save a segment of listed frames to add or remove frames"
                    )
                frames = (set(json.loads(row["frame_ids"])) | set(known)) - removed
                db.execute(
                    "UPDATE segments SET frame_ids = ? WHERE id = ?",
                    (json.dumps(sorted(frames)), self.id),
                )
            if type is not None:
                db.execute("UPDATE segments SET type = ? WHERE id = ?", (type, self.id))
            if description is not None:
                db.execute(
                    "UPDATE segments SET description = ? WHERE id = ?", (description, self.id)
                )
            if name is not None and name != current:
                if db.execute(
                    "SELECT id FROM segments WHERE dataset_id = ? AND name = ? AND id != ?",
                    (dataset.id, name, self.id),
                ).fetchone():
                    raise ConflictError(f"dataset {dataset.name!r} has a segment {name!r} already")
                db.execute("UPDATE segments SET name = ? WHERE id = ?", (name, self.id))

    @property
    def thresholds(self) -> dict[str, float | None]:
        row = self._get()
        if row is None:
            row = self.store._row(
                "SELECT * FROM all_frames_thresholds WHERE dataset_id = ?", (self.dataset.id,)
            )
        if row is None:
            return {key: None for key in _THRESHOLD_COLUMNS}
        return {key: row[column] for key, column in _THRESHOLD_COLUMNS.items()}

    def set_thresholds(self, **thresholds: float | None) -> None:
        """Change thresholds in place: ``precision=``, ``recall=``, ``f1_score=`` (None
        removes one). "All Frames" takes them too."""
        unknown = set(thresholds) - set(_THRESHOLD_COLUMNS)
        if unknown:
            raise InputError(
                f"unknown threshold {sorted(unknown)[0]!r}; use precision, recall or f1_score"
            )
        values = {
            _THRESHOLD_COLUMNS[key]: check_unit(value, f"{key} threshold")
            for key, value in thresholds.items()
        }
        dataset_id = self.dataset.id if self.id is None else None
        with self.store._transaction() as db:
            for column, value in values.items():
                if dataset_id is None:
                    db.execute(f"UPDATE segments SET {column} = ? WHERE id = ?", (value, self.id))
                else:
                    db.execute(
                        f"INSERT INTO all_frames_thresholds (dataset_id, {column}) VALUES (?, ?) "
                        f"ON CONFLICT (dataset_id) DO UPDATE SET {column} = excluded.{column}",
                        (dataset_id, value),
                    )

    def _frames_or_stale(self) -> tuple[list[str] | None, str | None]:
        """(the segment's frame ids, None for every frame; None) or, for a segment the
        dataset's current version no longer has (a replace removed or retyped a field
        its saved query reads, or removed frames it lists), (None, why)."""
        try:
            selected = self.store.segment_frames.selection(self)
        except QueryError as error:
            return None, f"its saved query no longer runs on this dataset: {error}"
        if selected is None or self.query is not None:
            return selected, None  # a query selects among the current frames only
        current = self.dataset.frames().column("frame_id")
        missing = pc.invert(pc.is_in(pa.array(selected, pa.string()), value_set=current))
        gone = pc.sum(missing).as_py() or 0
        if gone:
            first = pc.filter(pa.array(selected, pa.string()), missing)[0].as_py()
            return None, (
                f"{gone} of its {len(selected)} frames are no longer in this dataset "
                f"(the first: {first!r})"
            )
        return selected, None

    @property
    def stale(self) -> str | None:
        """Why the segment's frames cannot be known (its saved query no longer runs on
        the dataset, or some frames it lists are gone), or None when it is in order. A
        stale segment fails its regression test with this reason; every other segment
        of the dataset works as before."""
        return self._frames_or_stale()[1]

    def selection(self) -> list[str] | None:
        """The frame ids (None for "All Frames": every frame); a stale segment is an
        ``InputError`` saying why."""
        selected, stale = self._frames_or_stale()
        if stale is not None:
            raise InputError(f"segment {self.name!r} is stale: {stale}")
        return selected

    def frame_ids(self) -> list[str]:
        """The segment's frame ids (a saved query's are cached per dataset version)."""
        selected = self.selection()
        if selected is None:
            return list(self.dataset.frames().column("frame_id").to_pylist())
        return list(selected)  # the caller's own copy: the cached list stays as it was

    def spec(self) -> SegmentSpec:
        """The segment as the analysis layer takes it (frames resolved now)."""
        selected, stale = self._frames_or_stale()
        return SegmentSpec(
            name=self.name,
            type=self.type,
            uuid=self.uuid,
            frame_ids=selected,
            thresholds=self.thresholds,
            stale=stale,
        )

    def rename(self, name: str) -> None:
        """A new name for the segment (its uuid stays); a name in use is a
        ``ConflictError``."""
        if self.id is None:
            raise InputError(f"the {ALL_FRAMES!r} split cannot be renamed")
        self.edit(name=name)

    def delete(self) -> None:
        if self.id is None:
            raise InputError(f"the {ALL_FRAMES!r} split cannot be deleted")
        with self.store._transaction() as db:
            db.execute("DELETE FROM segments WHERE id = ?", (self.id,))

    def to_dict(self) -> dict[str, Any]:
        selected, stale = self._frames_or_stale()
        if stale is not None:
            count = 0
        elif selected is None:
            count = int(self.dataset._get()["num_frames"])
        else:
            count = len(selected)
        return {
            "uuid": self.uuid,
            "name": self.name,
            "type": self.type,
            "query": self.query,
            "description": self.description,
            "thresholds": self.thresholds,
            "frame_count": count,
            "stale": stale,
        }

    def __repr__(self) -> str:
        return f"<Segment {self.name!r} ({self.type})>"
