"""Collection campaigns (issue 14): find unlabeled data like an issue's elements.

A campaign has seeds (an issue's elements, or elements named one by one, of any dataset
of the project), a corpus (a dataset, typically frames with embeddings and no labels), an
embedding model, an element kind (``frame``: frame vectors; ``crop``: crop vectors), a
metric and ``k``. Running it finds, for every seed, the ``k`` corpus elements nearest it
(``k_per="seed"``: the union of those lists, ranked by distance) or the ``k`` corpus
elements nearest the seeds as a whole (``k_per="total"``: each at its nearest seed's
distance). Either way every candidate keeps its nearest seed and its distance to it.

The "total" answer is the top ``k`` of the merged per-seed top-``k`` lists: an element
among the ``k`` nearest to the seeds is among the ``k`` nearest to its own nearest seed
(whatever precedes it for that seed precedes it overall), so one search per seed gives
both answers exactly, the nearest seeds and a progress step per seed.

Candidates are catalog rows, so a campaign's results and reviews (pending, accepted,
rejected, with a note) are the store's: they survive a restart and are seen by every
process. Running again keeps the review of every candidate found again; a reviewed
candidate no longer found stays, without a rank (the decision was made); a pending one
no longer found is dropped.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shoal._types import Progress
from shoal.errors import ConflictError, InputError, NotFoundError
from shoal.store._names import check_name
from shoal.store._similarity import ElementRef, Elements, element_vectors, resolve_model

if TYPE_CHECKING:
    from shoal.store import IssueElement
    from shoal.store._entities import Dataset, Project
    from shoal.store._store import Store

__all__ = [
    "CAMPAIGN_STATUSES",
    "CANDIDATE_STATUSES",
    "Campaign",
    "CampaignRun",
    "CampaignSeed",
    "Candidate",
    "create_campaign",
]

CampaignKind = Literal["frame", "crop"]
CampaignMetric = Literal["cosine", "euclidean"]
KPer = Literal["seed", "total"]
CandidateStatus = Literal["pending", "accepted", "rejected"]
CAMPAIGN_STATUSES = ("open", "closed")
CANDIDATE_STATUSES = ("pending", "accepted", "rejected")
EXPORT_FORMATS = ("csv", "json")
MAX_K = 10_000
MAX_SEEDS = 10_000
# Candidates one run may store (k per seed times the seeds).
MAX_CANDIDATES = 1_000_000
MAX_TEXT = 10_000  # a description or a note
_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"


@dataclass(frozen=True)
class CampaignSeed:
    """One seed: an element of a dataset of the project (the contract's element identity:
    ``source`` frame/label/prediction, ``id`` the frame, label or prediction id,
    ``inference_set`` for a prediction or an inference set's frame vector)."""

    dataset: str
    source: Literal["frame", "label", "prediction"]
    id: str
    frame_id: str
    inference_set: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "source": self.source,
            "id": self.id,
            "frame_id": self.frame_id,
            "inference_set": self.inference_set,
        }


@dataclass(frozen=True)
class Candidate:
    """A corpus element a run found (``rank`` 1 = nearest; None when a later run no longer
    found it but it was reviewed), with its review. ``key`` names it in reviews: the plain
    id for the corpus's own elements, ``<source>/<inference set>/<id>`` for an inference
    set's (``shoal.store.ElementRef.key``)."""

    key: str
    source: Literal["frame", "label", "prediction"]
    inference_set: str | None
    id: str  # the frame, label or prediction id
    frame_id: str
    rank: int | None
    distance: float | None
    seed: int | None  # position of its nearest seed in ``Campaign.seeds()``
    status: CandidateStatus
    note: str
    reviewed_at: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "source": self.source,
            "inference_set": self.inference_set,
            "id": self.id,
            "frame_id": self.frame_id,
            "rank": self.rank,
            "distance": self.distance,
            "seed": self.seed,
            "status": self.status,
            "note": self.note,
            "reviewed_at": self.reviewed_at,
        }


@dataclass(frozen=True)
class CampaignRun:
    """What one run did: candidates ``found``, of which ``new``; reviews ``kept`` (found
    again); pending candidates ``dropped`` and reviewed ones ``unranked`` (not found
    again); ``exact`` whether exact search answered every seed."""

    found: int
    new: int
    kept: int
    dropped: int
    unranked: int
    exact: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "found": self.found,
            "new": self.new,
            "kept": self.kept,
            "dropped": self.dropped,
            "unranked": self.unranked,
            "exact": self.exact,
        }


def _seed_of(element: IssueElement | CampaignSeed) -> CampaignSeed:
    if isinstance(element, CampaignSeed):
        seed = element
    else:
        kind = element.element_kind
        if kind == "frame":
            seed = CampaignSeed(
                element.dataset, "frame", element.frame_id, element.frame_id, element.inference_set
            )
        else:
            if not element.element_id:
                raise InputError(f"a {kind} seed needs its {kind} id (element_id)")
            seed = CampaignSeed(
                element.dataset, kind, element.element_id, element.frame_id, element.inference_set
            )
    if seed.source not in ("frame", "label", "prediction"):
        raise InputError(f"seed source {seed.source!r} is not frame, label or prediction")
    if seed.source == "prediction" and not seed.inference_set:
        raise InputError(f"prediction seed {seed.id!r} needs its inference set")
    if seed.source == "label" and seed.inference_set:
        raise InputError(f"label seed {seed.id!r} has no inference set (labels are the dataset's)")
    return seed


def _choose(value: str, allowed: Sequence[str], what: str) -> str:
    if value not in allowed:
        raise InputError(f"{what} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _check_k(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= k <= MAX_K:
        raise InputError(f"k must be an integer from 1 to {MAX_K}, got {k!r}")
    return int(k)


def _check_text(text: str, what: str) -> str:
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        raise InputError(f"a campaign's {what} is text of at most {MAX_TEXT:,} characters")
    return text


def _check_size(k: int, k_per: str, seeds: int) -> None:
    if k_per == "seed" and k * seeds > MAX_CANDIDATES:
        raise InputError(
            f"k {k} per seed of {seeds} seeds could find {k * seeds:,} candidates, over "
            f"{MAX_CANDIDATES:,}: lower k, or take k in total (k_per='total')"
        )


def create_campaign(
    project: Project,
    name: str,
    *,
    corpus: str,
    issue: str | None = None,
    seeds: Iterable[IssueElement | CampaignSeed] | None = None,
    embedding: str | None = None,
    kind: CampaignKind | None = None,
    metric: CampaignMetric = "cosine",
    k: int = 10,
    k_per: KPer = "seed",
    description: str = "",
) -> Campaign:
    """See ``Project.create_campaign``."""
    check_name(name, "campaign")
    _check_text(description, "description")
    if (issue is None) == (seeds is None):
        raise InputError("give the seeds as an issue's name or as elements (one of the two)")
    elements: list[IssueElement | CampaignSeed]
    if issue is not None:
        records = project.issue(issue).records()
        elements = [r.element for r in records if r.status != "dismissed"]
        if not elements:
            raise InputError(f"issue {issue!r} has no elements (dismissed ones do not count)")
    else:
        elements = list(seeds or ())
        if not elements:
            raise InputError("name at least one seed element")
    if len(elements) > MAX_SEEDS:
        raise InputError(f"a campaign takes at most {MAX_SEEDS} seeds, got {len(elements)}")
    seed_list = [_seed_of(e) for e in elements]
    _check_size(_check_k(k), k_per, len(seed_list))
    corpus_dataset = project.dataset(corpus)
    metric = cast(CampaignMetric, _choose(metric, ("cosine", "euclidean"), "metric"))
    k_per = cast(KPer, _choose(k_per, ("seed", "total"), "k_per"))
    k = _check_k(k)
    crops = [s for s in seed_list if s.source != "frame"]
    if kind is None:
        kind = "crop" if len(crops) == len(seed_list) else "frame"
    kind = cast(CampaignKind, _choose(kind, ("frame", "crop"), "kind"))
    if kind == "crop" and len(crops) != len(seed_list):
        first = next(s for s in seed_list if s.source == "frame")
        raise InputError(
            f"a crop campaign's seeds are labels or predictions; frame {first.id!r} is a frame"
        )
    embedding = _model(project, corpus_dataset, seed_list, embedding, kind)
    searched = element_vectors(corpus_dataset, embedding, kind)  # NotFoundError: none of kind
    # Every seed must have a vector of the model, of the corpus's dimension: found now,
    # not at the first run.
    dimension = _seed_vectors(project, seed_list, embedding, kind).shape[1]
    if dimension != searched.vectors.shape[1]:
        raise InputError(
            f"the seeds' vectors of model {embedding!r} have {dimension} dimensions, "
            f"corpus {corpus!r}'s {searched.vectors.shape[1]}: not one model's vectors"
        )
    store = project.store
    with store._transaction() as db:
        if db.execute(
            "SELECT id FROM campaigns WHERE project_id = ? AND name = ?", (project.id, name)
        ).fetchone():
            raise ConflictError(f"project {project.name!r} has a campaign {name!r} already")
        cursor = db.execute(
            "INSERT INTO campaigns (uuid, project_id, name, description, issue, corpus, "
            "embedding, kind, metric, k, k_per) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (str(uuid.uuid4()), project.id, name, description, issue, corpus, embedding, kind,
             metric, k, k_per),
        )  # fmt: skip
        campaign_id = int(cursor.lastrowid or 0)
        db.executemany(
            "INSERT INTO campaign_seeds (campaign_id, position, dataset, source, element_id, "
            "inference_set, frame_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (campaign_id, i, s.dataset, s.source, s.id, s.inference_set, s.frame_id)
                for i, s in enumerate(seed_list)
            ],
        )
    return Campaign(store, campaign_id)


def _model(
    project: Project,
    corpus: Dataset,
    seeds: Sequence[CampaignSeed],
    embedding: str | None,
    kind: CampaignKind,
) -> str:
    """The model named (checked), else the corpus's one model with vectors of ``kind``,
    else, of several, the one of which every seed has a vector (a corpus may hold other
    models' vectors, e.g. of its inference sets' crops); an ``InputError`` naming the
    choices otherwise."""
    if embedding is not None:
        return resolve_model(corpus, embedding)
    infos = corpus.embedding_models()
    searchable = [
        i.model
        for i in infos
        if (i.frames if kind == "frame" else i.labels + sum(i.predictions.values())) > 0
    ]
    if not searchable:
        every = ", ".join(i.model for i in infos) or "none"
        raise NotFoundError(
            f"corpus {corpus.name!r} has no {kind} vectors of any model (models: {every})"
        )
    if len(searchable) == 1:
        return searchable[0]  # a seed without a vector of it is named by the seeds' check
    usable = []
    for model in searchable:
        try:
            _seed_vectors(project, seeds, model, kind)
        except (NotFoundError, InputError):
            continue
        usable.append(model)
    if len(usable) == 1:
        return usable[0]
    raise InputError(
        f"{len(usable) or 'no'} of the models with {kind} vectors in corpus {corpus.name!r} "
        f"({', '.join(searchable)}) {'has' if not usable else 'have'} a vector of every seed"
        + (f" ({', '.join(usable)}): name one (embedding=)" if usable else "")
    )


def _seed_vectors(
    project: Project, seeds: Sequence[CampaignSeed], model: str, kind: str
) -> np.ndarray:
    """The seeds' vectors in seed order: each seed's own (kind crop), or its frame's
    (kind frame: a label or prediction seed stands for its frame)."""
    by_dataset: dict[str, list[int]] = {}
    for position, seed in enumerate(seeds):
        by_dataset.setdefault(seed.dataset, []).append(position)
    vectors: np.ndarray | None = None
    for name, positions in by_dataset.items():
        dataset = project.dataset(name)
        refs = [_ref_of(seeds[position], kind) for position in positions]
        found = np.asarray(dataset.vectors_of(refs, embedding=model), np.float32)
        if vectors is None:
            vectors = np.empty((len(seeds), found.shape[1]), np.float32)
        elif found.shape[1] != vectors.shape[1]:
            raise InputError(
                f"model {model!r} has {found.shape[1]} dimensions in dataset {name!r} "
                f"but {vectors.shape[1]} in another seed's dataset"
            )
        vectors[positions] = found
    assert vectors is not None
    return vectors


def _ref_of(seed: CampaignSeed, kind: str) -> ElementRef:
    """The element whose vector stands for ``seed``: its own (kind crop), or its frame's
    (kind frame: a label or prediction seed stands for its frame)."""
    if kind == "frame":
        frame_set = seed.inference_set if seed.source == "frame" else None
        return ElementRef("frame", seed.frame_id, inference_set=frame_set)
    return ElementRef(seed.source, seed.id, inference_set=seed.inference_set)


def _described(elements: Elements, keys: list[str]) -> list[tuple[str, str | None, str, str]]:
    """(source, inference set, id, frame id) of each element key."""
    rows = pc.index_in(pa.array(keys, pa.string()), value_set=elements.keys).to_pylist()
    columns = (elements.sources, elements.inference_sets, elements.ids, elements.frame_ids)
    return [
        (str(columns[0][r]), columns[1][r].as_py(), str(columns[2][r]), str(columns[3][r]))
        for r in rows
    ]


class Campaign:
    """A collection campaign of a project (see the module doc); a handle whose
    properties read the catalog each time."""

    def __init__(self, store: Store, row_id: int) -> None:
        self.store = store
        self.id = row_id

    def _get(self) -> sqlite3.Row:
        row = self.store._row("SELECT * FROM campaigns WHERE id = ?", (self.id,))
        if row is None:
            raise NotFoundError("this campaign was deleted")
        return row

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Campaign) and other.id == self.id

    def __hash__(self) -> int:
        return hash(("Campaign", self.id))

    def __repr__(self) -> str:
        return f"<Campaign {self.name!r}>"

    @property
    def name(self) -> str:
        return str(self._get()["name"])

    @property
    def uuid(self) -> str:
        return str(self._get()["uuid"])

    @property
    def status(self) -> str:
        return str(self._get()["status"])

    @property
    def description(self) -> str:
        return str(self._get()["description"])

    @property
    def issue(self) -> str | None:
        value = self._get()["issue"]
        return None if value is None else str(value)

    @property
    def embedding(self) -> str:
        return str(self._get()["embedding"])

    @property
    def kind(self) -> CampaignKind:
        return cast(CampaignKind, self._get()["kind"])

    @property
    def metric(self) -> CampaignMetric:
        return cast(CampaignMetric, self._get()["metric"])

    @property
    def k(self) -> int:
        return int(self._get()["k"])

    @property
    def k_per(self) -> KPer:
        return cast(KPer, self._get()["k_per"])

    @property
    def project(self) -> Project:
        from shoal.store._entities import Project

        return Project(self.store, int(self._get()["project_id"]))

    @property
    def corpus(self) -> Dataset:
        return self.project.dataset(str(self._get()["corpus"]))

    def seeds(self) -> list[CampaignSeed]:
        rows = self.store._rows(
            "SELECT * FROM campaign_seeds WHERE campaign_id = ? ORDER BY position", (self.id,)
        )
        return [
            CampaignSeed(r["dataset"], r["source"], r["element_id"], r["frame_id"],
                         r["inference_set"])
            for r in rows
        ]  # fmt: skip

    # ------------------------------------------------------------- running
    def run(self, *, progress: Progress | None = None) -> CampaignRun:
        """Search the corpus for the seeds' nearest elements (one search per seed, a
        progress step each) and store the candidates, keeping the reviews of those found
        again (see the module doc)."""
        row = self._get()
        if row["status"] == "closed":
            raise ConflictError(f"campaign {row['name']!r} is closed; reopen it to run it")
        project = self.project
        corpus = project.dataset(str(row["corpus"]))
        corpus_version = corpus.version
        model, kind, metric = str(row["embedding"]), str(row["kind"]), str(row["metric"])
        k, k_per = int(row["k"]), str(row["k_per"])
        seeds = self.seeds()
        steps = len(seeds) + 1
        if progress:
            progress(0, steps)
        vectors = _seed_vectors(project, seeds, model, kind)
        elements = element_vectors(corpus, model, cast(CampaignKind, kind))
        # Seeds that are corpus elements themselves are not candidates.
        keys = set(elements.keys.to_pylist())
        exclude = sorted(
            {ref.key for ref in (_ref_of(s, kind) for s in seeds if s.dataset == corpus.name)}
            & keys
        )
        best: dict[str, tuple[float, int]] = {}
        exact = True
        for position in range(len(seeds)):
            answer = corpus.similar_to_vectors(
                vectors[position : position + 1],
                k,
                embedding=model,
                kind=cast(CampaignKind, kind),
                metric=cast(CampaignMetric, metric),
                exclude=exclude,
            )
            exact = exact and answer.exact
            for element, distance in zip(answer.ids, answer.distances, strict=True):
                found = best.get(element)
                if found is None or distance < found[0]:
                    best[element] = (float(distance), position)
            if progress:
                progress(position + 1, steps)
        ranked = sorted(best.items(), key=lambda item: (item[1][0], item[1][1], item[0]))
        if k_per == "total":
            ranked = ranked[:k]
        outcome = self._store_run(ranked, _described(elements, [e for e, _ in ranked]),
                                  corpus_version, exact)  # fmt: skip
        if progress:
            progress(steps, steps)
        return outcome

    def _store_run(
        self,
        ranked: list[tuple[str, tuple[float, int]]],
        described: list[tuple[str, str | None, str, str]],
        corpus_version: int,
        exact: bool,
    ) -> CampaignRun:
        with self.store._transaction() as db:
            before = {
                r["element_key"]: r["status"]
                for r in db.execute(
                    "SELECT element_key, status FROM campaign_candidates WHERE campaign_id = ?",
                    (self.id,),
                )
            }
            found = {element for element, _ in ranked}
            gone = [e for e in before if e not in found]
            dropped = [e for e in gone if before[e] == "pending"]
            unranked = [e for e in gone if before[e] != "pending"]
            db.executemany(
                "DELETE FROM campaign_candidates WHERE campaign_id = ? AND element_key = ?",
                [(self.id, e) for e in dropped],
            )
            db.executemany(
                "UPDATE campaign_candidates SET rank = NULL, distance = NULL, seed = NULL "
                "WHERE campaign_id = ? AND element_key = ?",
                [(self.id, e) for e in unranked],
            )
            db.executemany(
                "INSERT INTO campaign_candidates (campaign_id, element_key, source, "
                "inference_set, element_id, frame_id, rank, distance, seed) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (campaign_id, element_key) "
                "DO UPDATE SET frame_id = excluded.frame_id, rank = excluded.rank, "
                "distance = excluded.distance, seed = excluded.seed",
                [
                    (self.id, key, *about, rank, distance, seed)
                    for rank, ((key, (distance, seed)), about) in enumerate(
                        zip(ranked, described, strict=True), start=1
                    )
                ],
            )
            db.execute(
                f"UPDATE campaigns SET run_at = {_NOW}, updated_at = {_NOW}, corpus_version = ?, "
                "exact = ? WHERE id = ?",
                (corpus_version, int(exact), self.id),
            )
        kept = sum(1 for e in found if before.get(e, "pending") != "pending")
        return CampaignRun(
            found=len(found),
            new=sum(1 for e in found if e not in before),
            kept=kept,
            dropped=len(dropped),
            unranked=len(unranked),
            exact=exact,
        )

    # ---------------------------------------------------------- candidates
    def candidates(
        self,
        status: CandidateStatus | None = None,
        *,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[Candidate]:
        """The candidates, nearest first (reviewed ones a later run no longer found come
        last, without a rank), only those of ``status`` when given; a page of them with
        ``offset`` and ``limit``."""
        self._get()
        where = "campaign_id = ?"
        params: list[Any] = [self.id]
        if status is not None:
            _choose(status, CANDIDATE_STATUSES, "candidate status")
            where += " AND status = ?"
            params.append(status)
        if offset < 0 or (limit is not None and limit < 0):
            raise InputError("offset and limit must be >= 0")
        rows = self.store._rows(
            f"SELECT * FROM campaign_candidates WHERE {where} "
            "ORDER BY rank IS NULL, rank, element_key LIMIT ? OFFSET ?",
            (*params, -1 if limit is None else limit, offset),
        )
        return [_candidate(r) for r in rows]

    def candidate(self, element: str) -> Candidate:
        row = self.store._row(
            "SELECT * FROM campaign_candidates WHERE campaign_id = ? AND element_key = ?",
            (self.id, element),
        )
        if row is None:
            raise NotFoundError(f"campaign {self.name!r} has no candidate {element!r}")
        return _candidate(row)

    def counts(self) -> dict[str, int]:
        """Candidates per review status, and ``total``."""
        rows = self.store._rows(
            "SELECT status, COUNT(*) AS n FROM campaign_candidates WHERE campaign_id = ? "
            "GROUP BY status",
            (self.id,),
        )
        counts = dict.fromkeys(CANDIDATE_STATUSES, 0)
        counts.update({r["status"]: int(r["n"]) for r in rows})
        counts["total"] = sum(counts[s] for s in CANDIDATE_STATUSES)
        return counts

    def review(
        self,
        elements: str | Iterable[str],
        status: CandidateStatus,
        *,
        note: str | None = None,
    ) -> list[Candidate]:
        """Set the review of one candidate or several (all or none: an unknown one is a
        ``NotFoundError`` and nothing changes); ``note`` replaces the note when given.
        Back to ``pending`` undoes a review."""
        _choose(status, CANDIDATE_STATUSES, "review status")
        ids = [elements] if isinstance(elements, str) else [str(e) for e in elements]
        if not ids:
            raise InputError("name at least one candidate to review")
        if note is not None:
            _check_text(note, "note")
        with self.store._transaction() as db:
            row = db.execute(
                "SELECT name, status FROM campaigns WHERE id = ?", (self.id,)
            ).fetchone()
            if row is None:
                raise NotFoundError("this campaign was deleted")
            if row["status"] == "closed":
                raise ConflictError(f"campaign {row['name']!r} is closed; reopen it to review")
            for element in ids:
                cursor = db.execute(
                    f"UPDATE campaign_candidates SET status = ?, note = COALESCE(?, note), "
                    f"reviewed_at = CASE WHEN ? = 'pending' THEN NULL ELSE {_NOW} END "
                    "WHERE campaign_id = ? AND element_key = ?",
                    (status, note, status, self.id, element),
                )
                if cursor.rowcount == 0:
                    raise NotFoundError(f"campaign {row['name']!r} has no candidate {element!r}")
            db.execute(f"UPDATE campaigns SET updated_at = {_NOW} WHERE id = ?", (self.id,))
        return [self.candidate(e) for e in ids]

    def export(
        self, format: Literal["csv", "json"] = "csv", *, status: CandidateStatus = "accepted"
    ) -> str:
        """The candidates of ``status`` (accepted by default: the list to label), nearest
        first, as CSV or JSON: id, frame id, image uri, distance, rank, nearest seed."""
        _choose(format, EXPORT_FORMATS, "export format")
        row = self._get()
        rows = self._export_rows(status)
        if format == "json":
            document = {
                "campaign": row["name"],
                "corpus": row["corpus"],
                "embedding": row["embedding"],
                "kind": row["kind"],
                "metric": row["metric"],
                "status": status,
                "candidates": rows,
            }
            return json.dumps(document, indent=2) + "\n"
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        columns = ["rank", "source", "inference_set", "id", "frame_id", "image_uri", "distance",
                   "seed_dataset", "seed_source", "seed_id", "seed_frame_id",
                   "seed_inference_set", "note"]  # fmt: skip
        writer.writerow(columns)
        for entry in rows:
            seed = entry["seed"] or {}
            writer.writerow(
                [
                    "" if entry["rank"] is None else entry["rank"],
                    entry["source"],
                    entry["inference_set"] or "",
                    entry["id"],
                    entry["frame_id"],
                    entry["image_uri"] or "",
                    "" if entry["distance"] is None else repr(entry["distance"]),
                    seed.get("dataset", ""),
                    seed.get("source", ""),
                    seed.get("id", ""),
                    seed.get("frame_id", ""),
                    seed.get("inference_set") or "",
                    entry["note"],
                ]
            )
        return out.getvalue()

    def _export_rows(self, status: CandidateStatus) -> list[dict[str, Any]]:
        candidates = self.candidates(status)
        seeds = self.seeds()
        frames = self.corpus.frames()
        where = pc.index_in(
            pa.array([c.frame_id for c in candidates], pa.string()),
            value_set=frames.column("frame_id"),
        ).to_pylist()
        uris = frames.column("image_uri").combine_chunks()
        return [
            {
                "rank": c.rank,
                "key": c.key,
                "source": c.source,
                "inference_set": c.inference_set,
                "id": c.id,
                "frame_id": c.frame_id,
                "image_uri": None if at is None else uris[at].as_py(),
                "distance": c.distance,
                "seed": None if c.seed is None else seeds[c.seed].to_dict(),
                "note": c.note,
            }
            for c, at in zip(candidates, where, strict=True)
        ]

    # ------------------------------------------------------------- editing
    def update(
        self,
        *,
        name: str | None = None,
        description: str | None = None,
        status: Literal["open", "closed"] | None = None,
        k: int | None = None,
        k_per: KPer | None = None,
    ) -> None:
        """Rename, describe, close or reopen; a new ``k`` or ``k_per`` applies from the
        next run."""
        if name is not None:
            check_name(name, "campaign")
        if description is not None:
            _check_text(description, "description")
        if status is not None:
            _choose(status, CAMPAIGN_STATUSES, "campaign status")
        if k_per is not None:
            _choose(k_per, ("seed", "total"), "k_per")
        changes: dict[str, Any] = {
            "name": name,
            "description": description,
            "status": status,
            "k": None if k is None else _check_k(k),
            "k_per": k_per,
        }
        changes = {column: value for column, value in changes.items() if value is not None}
        if k is not None or k_per is not None:
            row = self._get()
            _check_size(
                k if k is not None else int(row["k"]),
                k_per if k_per is not None else str(row["k_per"]),
                len(self.seeds()),
            )
        with self.store._transaction() as db:
            row = db.execute(
                "SELECT project_id, name FROM campaigns WHERE id = ?", (self.id,)
            ).fetchone()
            if row is None:
                raise NotFoundError("this campaign was deleted")
            if (
                name is not None
                and name != row["name"]
                and db.execute(
                    "SELECT id FROM campaigns WHERE project_id = ? AND name = ?",
                    (row["project_id"], name),
                ).fetchone()
            ):
                raise ConflictError(f"this project has a campaign {name!r} already")
            for column, value in changes.items():
                db.execute(f"UPDATE campaigns SET {column} = ? WHERE id = ?", (value, self.id))
            db.execute(f"UPDATE campaigns SET updated_at = {_NOW} WHERE id = ?", (self.id,))

    def delete(self) -> None:
        with self.store._transaction() as db:
            db.execute("DELETE FROM campaigns WHERE id = ?", (self.id,))

    def stale(self) -> bool | None:
        """Whether the corpus changed (a new version) since the last run; None when it
        never ran or the corpus is gone."""
        row = self._get()
        corpus = self.store._row(
            "SELECT version FROM datasets WHERE project_id = ? AND name = ?",
            (row["project_id"], row["corpus"]),
        )
        if row["corpus_version"] is None or corpus is None:
            return None
        return int(corpus["version"]) != int(row["corpus_version"])

    def to_dict(self) -> dict[str, Any]:
        row = self._get()
        return {
            "uuid": row["uuid"],
            "name": row["name"],
            "description": row["description"],
            "issue": row["issue"],
            "corpus": row["corpus"],
            "embedding": row["embedding"],
            "kind": row["kind"],
            "metric": row["metric"],
            "k": row["k"],
            "k_per": row["k_per"],
            "status": row["status"],
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
            "run_at": row["run_at"],
            "corpus_version": row["corpus_version"],
            "exact": None if row["exact"] is None else bool(row["exact"]),
            "stale": self.stale(),
            "seeds": [s.to_dict() for s in self.seeds()],
            "counts": self.counts(),
        }


def _candidate(row: sqlite3.Row) -> Candidate:
    return Candidate(
        key=row["element_key"],
        source=row["source"],
        inference_set=row["inference_set"],
        id=row["element_id"],
        frame_id=row["frame_id"],
        rank=row["rank"],
        distance=row["distance"],
        seed=row["seed"],
        status=row["status"],
        note=row["note"],
        reviewed_at=row["reviewed_at"],
    )
