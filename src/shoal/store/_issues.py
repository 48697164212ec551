"""Issues: named collections of frames and crops (labels, predictions) to review, export
for relabeling, fix, and compare before and after.

An issue belongs to a project; its name is its title (unique in the project). Each
element is a frame, a label or a prediction of one of the project's datasets, kept at a
stable ``position`` with a review ``status`` (open, confirmed, fixed, dismissed) and a
``note``. Adding an element the issue already holds is skipped, not duplicated. Every
element names things that exist: its dataset, its frame, its label or prediction (in that
frame), and its inference set; anything else is an ``InputError`` naming the element.

The fixed-label round trip: :meth:`Issue.export` writes the issue's frames as a COCO
subset (images = the frames, annotations = their current labels) through Shoal's one COCO
writer; :meth:`Issue.import_fixed_labels` reads the relabeled file through the one COCO
reader and stores a new dataset (every frame, the relabeled frames' labels replaced, a
copy of every inference set); :meth:`Issue.before_after` scores each inference set on the
issue's frames and on all frames, before and after, through ``shoal.analysis.summary``
(the regression-test scores and the mean APs every other face shows).
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import json
import sqlite3
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, NoReturn

import pyarrow as pa
import pyarrow.compute as pc

from shoal._types import Conf, Progress
from shoal.analysis import SegmentScores, SegmentSpec, segment_scores
from shoal.errors import ConflictError, InputError, NotFoundError
from shoal.formats._rows import PathLike
from shoal.store._entities import ALL_FRAMES, Dataset, InferenceSet, _Entity, operating_point
from shoal.store._names import check_name
from shoal.tables import DatasetTables, InferenceTables

if TYPE_CHECKING:
    from shoal.store._entities import Project, Segment

__all__ = [
    "ELEMENT_KINDS",
    "ELEMENT_STATUSES",
    "EXPORT_FORMATS",
    "ISSUE_STATUSES",
    "BeforeAfter",
    "ElementsAdded",
    "Issue",
    "IssueElement",
    "IssueElementRecord",
    "SetBeforeAfter",
    "create_issue",
]

IssueStatus = Literal["open", "in_progress", "resolved"]
ElementStatus = Literal["open", "confirmed", "fixed", "dismissed"]
ElementKind = Literal["frame", "label", "prediction"]
ExportFormat = Literal["csv", "json", "coco"]
ISSUE_STATUSES: tuple[IssueStatus, ...] = ("open", "in_progress", "resolved")
ELEMENT_STATUSES: tuple[ElementStatus, ...] = ("open", "confirmed", "fixed", "dismissed")
ELEMENT_KINDS: tuple[ElementKind, ...] = ("frame", "label", "prediction")
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("csv", "json", "coco")
ISSUE_FRAMES = "issue frames"
_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
# The CSV export's columns, in order.
CSV_COLUMNS = (
    "position", "dataset", "frame_id", "element_kind", "element_id", "inference_set",
    "status", "note", "image_uri", "class_name", "x", "y", "width", "height",
)  # fmt: skip


@dataclass(frozen=True)
class IssueElement:
    """A frame, or a label or prediction (crop) in a frame, collected in an issue.

    ``element_id`` is the label or prediction id (None for a frame); ``inference_set``
    is the prediction's set (required for a prediction; optional context otherwise, e.g.
    the set whose label-error review collected a label)."""

    dataset: str
    frame_id: str
    element_kind: ElementKind = "frame"
    element_id: str | None = None
    inference_set: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "frame_id": self.frame_id,
            "element_kind": self.element_kind,
            "element_id": self.element_id,
            "inference_set": self.inference_set,
        }

    def describe(self) -> str:
        where = f"dataset {self.dataset!r} frame {self.frame_id!r}"
        if self.element_kind == "frame":
            return where
        return f"{self.element_kind} {self.element_id!r} of {where}"


@dataclass(frozen=True)
class IssueElementRecord:
    """An element as the issue holds it: its position, review status and note."""

    position: int
    element: IssueElement
    status: ElementStatus
    note: str
    added_at: str
    updated_at: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            **self.element.to_dict(),
            "status": self.status,
            "note": self.note,
            "added_at": self.added_at,
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True)
class ElementsAdded:
    """What an addition did: elements added, and those skipped (already in the issue)."""

    added: int
    skipped: int

    def to_dict(self) -> dict[str, int]:
        return {"added": self.added, "skipped": self.skipped}


@dataclass(frozen=True)
class SetBeforeAfter:
    """One inference set's scores before and after, on the issue's frames and on all."""

    inference_set: str
    issue_frames: tuple[SegmentScores, SegmentScores]
    all_frames: tuple[SegmentScores, SegmentScores]

    def to_dict(self) -> dict[str, Any]:
        return {
            "inference_set": self.inference_set,
            "issue_frames": _pair_dict(self.issue_frames),
            "all_frames": _pair_dict(self.all_frames),
        }


def _scores_dict(scores: SegmentScores) -> dict[str, Any]:
    result = scores.result
    return {
        "frame_count": result.frame_count,
        "precision": result.precision.score,
        "recall": result.recall.score,
        "f1_score": result.f1_score.score,
        "false_positives": result.false_positives,
        "false_negatives": result.false_negatives,
        "total_confusions": result.total_confusions,
        "mean_ap": scores.mean_ap,
        "coco_ap": scores.coco_ap,
    }


def _pair_dict(pair: tuple[SegmentScores, SegmentScores]) -> dict[str, Any]:
    before, after = _scores_dict(pair[0]), _scores_dict(pair[1])
    delta = {
        key: None if before[key] is None or after[key] is None else after[key] - before[key]
        for key in before
        if key != "frame_count"
    }
    return {"before": before, "after": after, "delta": delta}


@dataclass(frozen=True)
class BeforeAfter:
    """Every compared inference set's scores on the issue's frames and on all frames, in
    the dataset before the fix and in the one after, at one operating point."""

    issue: str
    before: str
    after: str
    conf: Conf
    iou: float
    frames: int
    sets: list[SetBeforeAfter]

    def to_dict(self) -> dict[str, Any]:
        return {
            "issue": self.issue,
            "before": self.before,
            "after": self.after,
            "conf": self.conf,
            "iou": self.iou,
            "frames": self.frames,
            "sets": [s.to_dict() for s in self.sets],
        }


# ------------------------------------------------------------------ checks
def _check_status(status: str, allowed: Sequence[str], what: str) -> None:
    if status not in allowed:
        raise InputError(f"{what} must be one of {', '.join(allowed)}, got {status!r}")


def _shape_problem(element: IssueElement) -> str | None:
    if element.element_kind not in ELEMENT_KINDS:
        return f"kind {element.element_kind!r} is not frame, label or prediction"
    if element.element_kind == "frame" and element.element_id is not None:
        return "a frame element has no element_id (the frame is frame_id)"
    if element.element_kind != "frame" and not element.element_id:
        return f"a {element.element_kind} element needs its element_id"
    if element.element_kind == "prediction" and not element.inference_set:
        return "a prediction element needs its inference_set"
    return None


def _id_frames(table: pa.Table, id_column: str, wanted: set[str]) -> dict[str, str]:
    """``{id: frame_id}`` of the rows of ``table`` whose id is in ``wanted``."""
    if not wanted:
        return {}
    rows = table.select([id_column, "frame_id"]).filter(
        pc.is_in(table.column(id_column), pa.array(sorted(wanted), pa.string()))
    )
    return dict(zip(rows.column(0).to_pylist(), rows.column(1).to_pylist(), strict=True))


def check_elements(project: Project, elements: Iterable[IssueElement]) -> list[IssueElement]:
    """``elements`` as a list, each checked against the store: its dataset, frame, label
    or prediction (in that frame) and inference set exist, and its kind and ids agree.
    The first that does not is an ``InputError`` naming it (by its place in the list)."""
    given = list(elements)
    for index, element in enumerate(given):
        problem = _shape_problem(element)
        if problem is not None:
            raise InputError(f"issue element {index} ({element.describe()}): {problem}")
    by_dataset: dict[str, list[int]] = {}
    for index, element in enumerate(given):
        by_dataset.setdefault(element.dataset, []).append(index)
    for name, indices in by_dataset.items():
        try:
            dataset = project.dataset(name)
        except NotFoundError as error:
            raise InputError(f"issue element {indices[0]}: {error}") from None
        _check_in_dataset(dataset, [(i, given[i]) for i in indices])
    return given


def _check_in_dataset(dataset: Dataset, elements: list[tuple[int, IssueElement]]) -> None:
    frames = set(dataset.frames().column("frame_id").to_pylist())
    sets = {s.name: s for s in dataset.inference_sets()}
    label_ids = {e.element_id for _, e in elements if e.element_kind == "label"}
    label_frames = _id_frames(dataset.labels(), "label_id", {i for i in label_ids if i})
    prediction_frames: dict[str, dict[str, str]] = {}
    for index, element in elements:

        def fail(problem: str, index: int = index, element: IssueElement = element) -> NoReturn:
            raise InputError(f"issue element {index} ({element.describe()}): {problem}")

        if element.frame_id not in frames:
            fail(f"dataset {dataset.name!r} has no frame {element.frame_id!r}")
        if element.inference_set is not None and element.inference_set not in sets:
            fail(f"dataset {dataset.name!r} has no inference set {element.inference_set!r}")
        if element.element_kind == "label":
            frame = label_frames.get(str(element.element_id))
            if frame is None:
                fail(f"dataset {dataset.name!r} has no label {element.element_id!r}")
            if frame != element.frame_id:
                fail(f"label {element.element_id!r} is in frame {frame!r}")
        elif element.element_kind == "prediction":
            set_name = str(element.inference_set)
            if set_name not in prediction_frames:
                wanted = {
                    str(e.element_id)
                    for _, e in elements
                    if e.element_kind == "prediction" and e.inference_set == set_name
                }
                prediction_frames[set_name] = _id_frames(
                    sets[set_name].predictions(), "prediction_id", wanted
                )
            frame = prediction_frames[set_name].get(str(element.element_id))
            if frame is None:
                fail(f"inference set {set_name!r} has no prediction {element.element_id!r}")
            if frame != element.frame_id:
                fail(f"prediction {element.element_id!r} is in frame {frame!r}")


# ------------------------------------------------------------------ issues
def create_issue(
    project: Project,
    name: str,
    elements: Iterable[IssueElement] = (),
    *,
    description: str = "",
    owner: str = "",
) -> Issue:
    """A new issue of ``project`` holding ``elements`` (checked first; repeats are
    skipped); a name in use is a ``ConflictError``."""
    check_name(name, "issue")
    checked = check_elements(project, elements)
    with project.store._transaction() as db:
        if db.execute(
            "SELECT id FROM issues WHERE project_id = ? AND name = ?", (project.id, name)
        ).fetchone():
            raise ConflictError(f"project {project.name!r} has an issue {name!r} already")
        cursor = db.execute(
            "INSERT INTO issues (uuid, project_id, name, notes, owner) VALUES (?, ?, ?, ?, ?)",
            (str(uuid.uuid4()), project.id, name, description, owner),
        )
        issue = Issue(project.store, int(cursor.lastrowid or 0))
        issue._insert_elements(db, checked)
    return issue


def _identity(element: IssueElement) -> tuple[str, str, str, str, str]:
    return (
        element.dataset,
        element.frame_id,
        element.element_kind,
        element.element_id or "",
        element.inference_set or "",
    )


def _record(row: sqlite3.Row) -> IssueElementRecord:
    element = IssueElement(
        row["dataset"], row["frame_id"], row["element_kind"], row["element_id"],
        row["inference_set"],
    )  # fmt: skip
    return IssueElementRecord(
        int(row["position"]), element, row["status"], row["note"], row["added_at"],
        row["updated_at"],
    )  # fmt: skip


class Issue(_Entity):
    """A named collection of frames or crops (the title is its name), with a
    description, an owner, a status and a review of each element."""

    _table = "issues"

    # ------------------------------------------------------------- fields
    @property
    def project(self) -> Project:
        from shoal.store._entities import Project

        return Project(self.store, int(self._get()["project_id"]))

    @property
    def status(self) -> IssueStatus:
        return self._get()["status"]  # type: ignore[no-any-return]

    @property
    def description(self) -> str:
        return str(self._get()["notes"])

    @property
    def notes(self) -> str:
        """The description (its former name)."""
        return self.description

    @property
    def owner(self) -> str:
        return str(self._get()["owner"])

    @property
    def uuid(self) -> str:
        return str(self._get()["uuid"])

    @property
    def created_at(self) -> str:
        return str(self._get()["created_at"])

    @property
    def updated_at(self) -> str:
        return str(self._get()["updated_at"])

    # ----------------------------------------------------------- elements
    def elements(self) -> list[IssueElement]:
        """The elements in position order."""
        return [r.element for r in self.records()]

    def records(
        self,
        *,
        status: ElementStatus | Iterable[ElementStatus] | None = None,
        kind: ElementKind | None = None,
        dataset: str | None = None,
    ) -> list[IssueElementRecord]:
        """The elements with their position, status and note, in position order; only
        those of the given status(es), kind and dataset where given."""
        statuses = _statuses(status)
        if kind is not None:
            _check_status(kind, ELEMENT_KINDS, "an issue element kind")
        rows = self.store._rows(
            "SELECT * FROM issue_elements WHERE issue_id = ? ORDER BY position", (self.id,)
        )
        records = [_record(r) for r in rows]
        return [
            r
            for r in records
            if (statuses is None or r.status in statuses)
            and (kind is None or r.element.element_kind == kind)
            and (dataset is None or r.element.dataset == dataset)
        ]

    def record(self, position: int) -> IssueElementRecord:
        row = self.store._row(
            "SELECT * FROM issue_elements WHERE issue_id = ? AND position = ?",
            (self.id, int(position)),
        )
        if row is None:
            raise NotFoundError(f"issue {self.name!r} has no element at position {position}")
        return _record(row)

    def counts(self) -> dict[str, int]:
        """How many elements have each status."""
        counts: dict[str, int] = dict.fromkeys(ELEMENT_STATUSES, 0)
        for row in self.store._rows(
            "SELECT status, COUNT(*) AS n FROM issue_elements WHERE issue_id = ? GROUP BY status",
            (self.id,),
        ):
            counts[row["status"]] = int(row["n"])
        return counts

    def frame_ids(self, dataset: str) -> list[str]:
        """The frames of the issue's elements in ``dataset`` (a crop counts its frame),
        each once, in first-position order."""
        seen: dict[str, None] = {}
        for record in self.records(dataset=dataset):
            seen.setdefault(record.element.frame_id, None)
        return list(seen)

    def _insert_elements(
        self, db: sqlite3.Connection, elements: Iterable[IssueElement]
    ) -> ElementsAdded:
        """Insert inside the caller's transaction; elements already held are skipped."""
        held = {
            (r[0], r[1], r[2], r[3] or "", r[4] or "")
            for r in db.execute(
                "SELECT dataset, frame_id, element_kind, element_id, inference_set "
                "FROM issue_elements WHERE issue_id = ?",
                (self.id,),
            )
        }
        start = db.execute(
            "SELECT COALESCE(MAX(position), -1) + 1 FROM issue_elements WHERE issue_id = ?",
            (self.id,),
        ).fetchone()[0]
        rows: list[tuple[Any, ...]] = []
        skipped = 0
        for element in elements:
            problem = _shape_problem(element)
            if problem is not None:
                raise InputError(f"issue element ({element.describe()}): {problem}")
            key = _identity(element)
            if key in held:
                skipped += 1
                continue
            held.add(key)
            rows.append(
                (self.id, start + len(rows), element.dataset, element.frame_id,
                 element.element_kind, element.element_id, element.inference_set),
            )  # fmt: skip
        db.executemany(
            "INSERT INTO issue_elements (issue_id, position, dataset, frame_id, element_kind, "
            f"element_id, inference_set, added_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, "
            f"{_NOW}, {_NOW})",
            rows,
        )
        added = len(rows)
        return ElementsAdded(added, skipped)

    def _touch(self, db: sqlite3.Connection) -> None:
        db.execute(f"UPDATE issues SET updated_at = {_NOW} WHERE id = ?", (self.id,))

    def add_elements(self, elements: Iterable[IssueElement]) -> ElementsAdded:
        """Add ``elements`` (each checked against the store first; one already in the
        issue is skipped)."""
        checked = check_elements(self.project, elements)
        with self.store._transaction() as db:
            self._get()
            added = self._add_elements_within(db, checked)
        return added

    def _add_elements_within(
        self, db: sqlite3.Connection, elements: Iterable[IssueElement]
    ) -> ElementsAdded:
        """Add ``elements`` inside the caller's open transaction, so a change that
        also writes elsewhere (a label-error review) commits or rolls back whole."""
        added = self._insert_elements(db, elements)
        if added.added:
            self._touch(db)
        return added

    def add_from_query(
        self,
        dataset: Dataset | str,
        *,
        query: str | None = None,
        segment: Segment | str | None = None,
    ) -> ElementsAdded:
        """Add the frames a frames ``query`` (docs/queries.md) matches, in a ``segment``
        (both narrow; one is needed; "All Frames" = every frame), as frame elements."""
        found = self._dataset(dataset)
        if query is None and segment is None:
            raise InputError("give a query, a segment or both to pick the frames to add")
        selected = found._selection(segment, query)
        frames = (
            found.frames().column("frame_id").to_pylist() if selected is None else list(selected)
        )
        return self.add_elements(IssueElement(found.name, str(f)) for f in frames)

    def add_from_cell(
        self,
        dataset: Dataset | str,
        inference_set: InferenceSet | str,
        truth_class: str,
        predicted_class: str,
        conf: Conf | None = None,
        iou: float | None = None,
        *,
        segment: Segment | str | None = None,
        query: str | None = None,
    ) -> ElementsAdded:
        """Add the objects counted in one confusion-matrix cell at (conf, iou) (the
        project's defaults unless given), the same objects ``GET .../examples?truth=&
        predicted=`` lists: predictions as prediction elements, missed ground truth as
        label elements (``background`` names the background row or column)."""
        found = self._dataset(dataset)
        inference = (
            found.inference_set(inference_set) if isinstance(inference_set, str) else inference_set
        )
        read = inference.outcomes_with_sources(conf=conf, iou=iou, segment=segment, query=query)
        rows = read.outcomes.in_cell(truth_class, predicted_class)
        ids = read.stored_ids(rows, detection=found.project.task == "detection")
        kinds = rows.kind.tolist()
        frames = rows.frame_id.tolist()
        elements = [
            IssueElement(
                found.name,
                str(frame),
                "prediction" if kind == "prediction" else "label",
                element_id,
                inference.name,
            )
            for kind, frame, element_id in zip(kinds, frames, ids, strict=True)
            if element_id is not None
        ]
        return self.add_elements(elements)

    def update_element(
        self, position: int, *, status: ElementStatus | None = None, note: str | None = None
    ) -> IssueElementRecord:
        """Review one element: its status and/or note."""
        if status is not None:
            _check_status(status, ELEMENT_STATUSES, "an issue element's status")
        with self.store._transaction() as db:
            found = db.execute(
                "SELECT 1 FROM issue_elements WHERE issue_id = ? AND position = ?",
                (self.id, int(position)),
            ).fetchone()
            if found is None:
                raise NotFoundError(f"issue {self.name!r} has no element at position {position}")
            if status is not None or note is not None:
                db.execute(
                    "UPDATE issue_elements SET status = COALESCE(?, status), "
                    f"note = COALESCE(?, note), updated_at = {_NOW} "
                    "WHERE issue_id = ? AND position = ?",
                    (status, note, self.id, int(position)),
                )
                self._touch(db)
        return self.record(position)

    def remove_element(self, position: int) -> None:
        """Remove one element (the others keep their positions)."""
        with self.store._transaction() as db:
            cursor = db.execute(
                "DELETE FROM issue_elements WHERE issue_id = ? AND position = ?",
                (self.id, int(position)),
            )
            if cursor.rowcount == 0:
                raise NotFoundError(f"issue {self.name!r} has no element at position {position}")
            self._touch(db)

    # -------------------------------------------------------------- issue
    def update(
        self,
        *,
        status: IssueStatus | None = None,
        description: str | None = None,
        owner: str | None = None,
        notes: str | None = None,
    ) -> None:
        """Change the status, description (``notes``: its former name) or owner."""
        if status is not None:
            _check_status(status, ISSUE_STATUSES, "issue status")
        text = description if description is not None else notes
        with self.store._transaction() as db:
            if status is not None:
                db.execute("UPDATE issues SET status = ? WHERE id = ?", (status, self.id))
            if text is not None:
                db.execute("UPDATE issues SET notes = ? WHERE id = ?", (text, self.id))
            if owner is not None:
                db.execute("UPDATE issues SET owner = ? WHERE id = ?", (owner, self.id))
            self._touch(db)

    def delete(self) -> None:
        with self.store._transaction() as db:
            db.execute("DELETE FROM issues WHERE id = ?", (self.id,))

    def to_dict(
        self, *, status: ElementStatus | Iterable[ElementStatus] | None = None
    ) -> dict[str, Any]:
        """The issue with its counts and elements (those of ``status`` where given)."""
        row = self._get()
        return {
            "uuid": row["uuid"],
            "name": row["name"],
            "description": row["notes"],
            "notes": row["notes"],
            "owner": row["owner"],
            "status": row["status"],
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
            "counts": self.counts(),
            "elements": [r.to_dict() for r in self.records(status=status)],
        }

    # ------------------------------------------------------------- export
    def _dataset(self, dataset: Dataset | str) -> Dataset:
        return self.project.dataset(dataset) if isinstance(dataset, str) else dataset

    def export(
        self,
        format: ExportFormat = "csv",
        *,
        status: ElementStatus | Iterable[ElementStatus] | None = None,
        dataset: str | None = None,
    ) -> str:
        """The elements (of ``status`` where given) as text for relabeling:

        * ``csv``: one row per element (``CSV_COLUMNS``: its frame, kind, ids, status,
          note, the frame's image URI, and a crop's class and box);
        * ``json``: ``{"issue": {...}, "elements": [those rows as objects]}``;
        * ``coco``: a COCO instances subset of one dataset (``dataset``, needed when the
          issue spans several): images = the elements' frames, annotations = every
          current label of those frames, categories; written by Shoal's COCO writer, so
          ``shoal.from_coco`` reads it back to the same labels.
        """
        _check_status(format, EXPORT_FORMATS, "the export format")
        records = self.records(status=status)
        if format == "coco":
            return json.dumps(self._coco_subset(records, dataset))
        rows = self._export_rows(records)
        if format == "json":
            issue = {k: v for k, v in self.to_dict().items() if k != "elements"}
            return json.dumps({"issue": issue, "elements": rows})
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
        return out.getvalue()

    def _export_rows(self, records: list[IssueElementRecord]) -> list[dict[str, Any]]:
        project = self.project
        lookups: dict[tuple[str, str | None], dict[str, dict[str, Any]]] = {}
        uris: dict[str, dict[str, Any]] = {}

        def objects(name: str, dataset: Dataset, set_name: str | None) -> dict[str, dict[str, Any]]:
            key = (name, set_name)
            if key not in lookups:
                if set_name is None:
                    table, column = dataset.labels(), "label_id"
                else:
                    table, column = dataset.inference_set(set_name).predictions(), "prediction_id"
                columns = [column, "class_name", "x", "y", "width", "height"]
                lookups[key] = {r[column]: r for r in table.select(columns).to_pylist()}
            return lookups[key]

        rows = []
        datasets: dict[str, Dataset | None] = {}
        for record in records:
            element = record.element
            if element.dataset not in datasets:
                try:
                    datasets[element.dataset] = project.dataset(element.dataset)
                except NotFoundError:
                    datasets[element.dataset] = None  # deleted since: keep what the issue knows
            dataset = datasets[element.dataset]
            if dataset is not None and element.dataset not in uris:
                frames = dataset.frames().select(["frame_id", "image_uri"])
                uris[element.dataset] = dict(
                    zip(frames.column(0).to_pylist(), frames.column(1).to_pylist(), strict=True)
                )
            found: dict[str, Any] = {}
            if dataset is not None and element.element_kind != "frame":
                set_name = element.inference_set if element.element_kind == "prediction" else None
                with contextlib.suppress(NotFoundError):  # a set deleted since
                    found = (
                        objects(element.dataset, dataset, set_name).get(str(element.element_id))
                        or {}
                    )
            rows.append(
                {
                    "position": record.position,
                    **element.to_dict(),
                    "status": record.status,
                    "note": record.note,
                    "image_uri": uris.get(element.dataset, {}).get(element.frame_id),
                    **{k: found.get(k) for k in ("class_name", "x", "y", "width", "height")},
                }
            )
        return rows

    def _single_dataset(self, records: list[IssueElementRecord], dataset: str | None) -> Dataset:
        names = sorted({r.element.dataset for r in records})
        if dataset is None:
            if len(names) != 1:
                raise InputError(
                    "the issue's elements are in datasets "
                    f"{', '.join(map(repr, names)) or '(none)'}: name the dataset to export"
                )
            dataset = names[0]
        return self.project.dataset(dataset)

    def _coco_subset(
        self, records: list[IssueElementRecord], dataset: str | None
    ) -> dict[str, Any]:
        from shoal.formats.coco_tables import as_coco

        found = self._single_dataset(records, dataset)
        _require_detection(found, "a COCO export")
        wanted: dict[str, None] = {}
        for record in records:
            if record.element.dataset == found.name:
                wanted.setdefault(record.element.frame_id, None)
        if not wanted:
            raise InputError(f"the issue has no elements in dataset {found.name!r} to export")
        tables = found.tables()
        frame_ids = pa.array(list(wanted), pa.string())
        frames = tables.frames.filter(pc.is_in(tables.frames.column("frame_id"), frame_ids))
        labels = tables.labels.filter(pc.is_in(tables.labels.column("frame_id"), frame_ids))
        return as_coco(DatasetTables(frames, labels, tables.embeddings.slice(0, 0)))

    # -------------------------------------------------------- fixed labels
    def import_fixed_labels(
        self,
        dataset: Dataset | str,
        source: PathLike | dict[str, Any] | DatasetTables,
        *,
        name: str | None = None,
        progress: Progress | None = None,
    ) -> Dataset:
        """A new dataset of the project from ``dataset`` with the relabeled frames' labels
        of ``source``: a COCO instances file or its parsed dict, as :meth:`export` writes
        it, read by Shoal's COCO reader (detection), or ``DatasetTables`` of the relabeled
        frames and their labels (any format's reader, e.g. ``shoal.from_yolo``; both
        tasks). The new dataset holds every frame of ``dataset``; its labels, those of
        the source's frames replaced by the source's; a copy of every inference set. The
        source's frames must be frames of the issue in ``dataset``. The name defaults to
        ``<dataset>-fixed-<n>`` (the first n free). A label id of the source that another
        frame's label already uses gets ``-fixed`` (then a number) appended. Quality and
        custom metrics are not copied. All or nothing: a failure leaves the store as
        it was. ``progress(done, total)`` counts the dataset and each set written."""
        from shoal.formats.coco_tables import from_coco

        found = self._dataset(dataset)
        if isinstance(source, DatasetTables):
            fixed, where, record = source, "the fixed labels", "frames"
        else:
            _require_detection(found, "fixed labels from COCO")
            # The export writes "ignore": 1 for ignored labels; honour it coming back.
            fixed = from_coco(source, ignore_flag=True)
            where = str(source) if not isinstance(source, dict) else "<COCO data>"
            record = "images"
        issue_frames = set(self.frame_ids(found.name))
        file_frames = fixed.frames.column("frame_id").to_pylist()
        for index, frame in enumerate(file_frames):
            if frame not in issue_frames:
                raise InputError(
                    f"{where}: {record}[{index}]: frame {frame!r} is not one of issue "
                    f"{self.name!r}'s frames in dataset {found.name!r}"
                )
        tables = found.tables()
        replaced = pc.is_in(tables.labels.column("frame_id"), pa.array(file_frames, pa.string()))
        kept = tables.labels.filter(pc.invert(replaced))
        new_labels = _fresh_ids(fixed.labels, set(kept.column("label_id").to_pylist()))
        labels = pa.concat_tables([kept, new_labels.cast(kept.schema)])
        target = name if name is not None else _free_name(found.project, f"{found.name}-fixed")
        check_name(target, "dataset")
        names = {d.name for d in found.project.datasets()}
        if target in names:
            raise ConflictError(f"project {found.project.name!r} has a dataset {target!r} already")
        new_tables = DatasetTables.build(
            tables.frames, labels, tables.embeddings if tables.embeddings.num_rows else None
        )
        sets = [(s.name, s.predictions(), s._read("embeddings")) for s in found.inference_sets()]
        project = found.project
        total = 1 + len(sets)
        created = project.create_dataset(target, new_tables, image_root=found.image_root)
        if progress is not None:
            progress(1, total)
        try:
            for done, (set_name, predictions, embeddings) in enumerate(sets, 2):
                created.create_inference_set(
                    set_name,
                    InferenceTables.build(predictions, embeddings if embeddings.num_rows else None),
                )
                if progress is not None:
                    progress(done, total)
        except BaseException:
            project.delete_dataset(target)
            raise
        return created

    # --------------------------------------------------------- before/after
    def before_after(
        self,
        dataset_before: Dataset | str,
        dataset_after: Dataset | str,
        inference_set: str | None = None,
        conf: Conf | None = None,
        iou: float | None = None,
    ) -> BeforeAfter:
        """Each inference set (``inference_set``, or every set both datasets have) scored
        on the issue's frames (its elements' frames in ``dataset_before``) and on all
        frames, in both datasets, at (conf, iou) (the project's defaults unless given):
        precision, recall, F1, error counts and mean APs of ``shoal.analysis.summary``."""
        before = self._dataset(dataset_before)
        after = self._dataset(dataset_after)
        conf_value, iou_value = operating_point(before.project, conf, iou)
        frames = self.frame_ids(before.name)
        if not frames:
            raise InputError(f"issue {self.name!r} has no elements in dataset {before.name!r}")
        after_frames = set(after.frames().column("frame_id").to_pylist())
        missing = [f for f in frames if f not in after_frames]
        if missing:
            raise InputError(f"dataset {after.name!r} has no frame {missing[0]!r} of the issue")
        if inference_set is None:
            after_sets = {s.name for s in after.inference_sets()}
            names = [s.name for s in before.inference_sets() if s.name in after_sets]
        else:
            names = [inference_set]
        specs = [
            SegmentSpec(ISSUE_FRAMES, "scenario", self.uuid, frames, _NO_THRESHOLDS),
            SegmentSpec(ALL_FRAMES, "split", "", None, _NO_THRESHOLDS),
        ]

        def scores(dataset: Dataset, set_name: str) -> list[SegmentScores]:
            inference = dataset.inference_set(set_name)
            return inference.use(
                lambda evaluation: segment_scores(evaluation, specs, conf=conf_value, iou=iou_value)
            )

        results = []
        for set_name in names:
            was, now = scores(before, set_name), scores(after, set_name)
            results.append(SetBeforeAfter(set_name, (was[0], now[0]), (was[1], now[1])))
        return BeforeAfter(
            self.name, before.name, after.name, conf_value, iou_value, len(frames), results
        )


_NO_THRESHOLDS: dict[str, float | None] = {"precision": None, "recall": None, "f1_score": None}


def _statuses(
    status: ElementStatus | Iterable[ElementStatus] | None,
) -> set[str] | None:
    if status is None:
        return None
    wanted: set[str] = {status} if isinstance(status, str) else set(status)
    for value in wanted:
        _check_status(value, ELEMENT_STATUSES, "an issue element's status")
    return wanted or None


def _require_detection(dataset: Dataset, what: str) -> None:
    if dataset.project.task != "detection":
        raise InputError(
            f"{what} needs boxes: project {dataset.project.name!r} is a "
            f"{dataset.project.task} project (export CSV or JSON instead)"
        )


def _free_name(project: Project, stem: str) -> str:
    names = {d.name for d in project.datasets()}
    return next(f"{stem}-{n}" for n in itertools.count(1) if f"{stem}-{n}" not in names)


def _fresh_ids(labels: pa.Table, taken: set[str]) -> pa.Table:
    """``labels`` with each id that ``taken`` holds renamed ``<id>-fixed`` (then
    ``-fixed-2``...), so the new dataset's label ids stay unique."""
    ids = labels.column("label_id").to_pylist()
    if not taken.intersection(ids):
        return labels
    used = taken | set(ids)
    renamed = []
    for label_id in ids:
        if label_id in taken:
            candidate = f"{label_id}-fixed"
            n = 1
            while candidate in used:
                n += 1
                candidate = f"{label_id}-fixed-{n}"
            used.add(candidate)
            label_id = candidate
        renamed.append(label_id)
    index = labels.column_names.index("label_id")
    return labels.set_column(index, "label_id", pa.array(renamed, pa.string()))
