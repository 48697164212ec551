"""The SQLite catalog: names, settings and pointers to data objects.

WAL mode lets a server read while a CLI import writes; ``busy_timeout`` makes a second
writer wait its turn instead of failing.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from shoal.errors import StoreCorruptError

__all__ = ["SCHEMA_VERSION", "catalog_errors", "connect"]

SCHEMA_VERSION = 1
BUSY_TIMEOUT_SECONDS = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS projects (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    task TEXT NOT NULL CHECK (task IN ('detection', 'classification', 'multilabel', 'ner')),
    default_conf REAL NOT NULL DEFAULT 0.1 CHECK (default_conf BETWEEN 0 AND 1),
    default_iou REAL NOT NULL DEFAULT 0.5 CHECK (default_iou > 0 AND default_iou <= 1),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TABLE IF NOT EXISTS classes (
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    class_id INTEGER NOT NULL,
    color TEXT NOT NULL,
    ignore INTEGER NOT NULL DEFAULT 0,
    declared INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (project_id, name),
    UNIQUE (project_id, class_id),
    UNIQUE (project_id, position)
);
CREATE TABLE IF NOT EXISTS datasets (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    object TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    num_frames INTEGER NOT NULL,
    num_labels INTEGER NOT NULL,
    image_root TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (project_id, name)
);
CREATE TABLE IF NOT EXISTS inference_sets (
    id INTEGER PRIMARY KEY,
    dataset_id INTEGER NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    object TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    num_predictions INTEGER NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (dataset_id, name)
);
CREATE TABLE IF NOT EXISTS evaluations (
    inference_set_id INTEGER NOT NULL REFERENCES inference_sets (id) ON DELETE CASCADE,
    grid TEXT NOT NULL,
    object TEXT NOT NULL,
    PRIMARY KEY (inference_set_id, grid)
);
CREATE TABLE IF NOT EXISTS segments (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    dataset_id INTEGER NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('split', 'regression_test', 'scenario')),
    frame_ids TEXT,
    query TEXT,
    precision_threshold REAL CHECK (precision_threshold BETWEEN 0 AND 1),
    recall_threshold REAL CHECK (recall_threshold BETWEEN 0 AND 1),
    f1_threshold REAL CHECK (f1_threshold BETWEEN 0 AND 1),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    description TEXT NOT NULL DEFAULT '',
    UNIQUE (dataset_id, name),
    CHECK ((frame_ids IS NULL) != (query IS NULL))
);
CREATE TABLE IF NOT EXISTS all_frames_thresholds (
    dataset_id INTEGER PRIMARY KEY REFERENCES datasets (id) ON DELETE CASCADE,
    precision_threshold REAL CHECK (precision_threshold BETWEEN 0 AND 1),
    recall_threshold REAL CHECK (recall_threshold BETWEEN 0 AND 1),
    f1_threshold REAL CHECK (f1_threshold BETWEEN 0 AND 1)
);
CREATE TABLE IF NOT EXISTS issues (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_progress', 'resolved')),
    notes TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    owner TEXT NOT NULL DEFAULT '',
    UNIQUE (project_id, name)
);
CREATE TABLE IF NOT EXISTS issue_elements (
    issue_id INTEGER NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    dataset TEXT NOT NULL,
    frame_id TEXT NOT NULL,
    element_kind TEXT NOT NULL CHECK (element_kind IN ('frame', 'label', 'prediction')),
    element_id TEXT,
    inference_set TEXT,
    status TEXT NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'confirmed', 'fixed', 'dismissed')),
    note TEXT NOT NULL DEFAULT '',
    added_at TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (issue_id, position)
);
CREATE TABLE IF NOT EXISTS label_error_reviews (
    inference_set_id INTEGER NOT NULL REFERENCES inference_sets (id) ON DELETE CASCADE,
    candidate TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('confirmed', 'dismissed')),
    issue TEXT,
    note TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (inference_set_id, candidate)
);
CREATE TABLE IF NOT EXISTS element_metrics (
    id INTEGER PRIMARY KEY,
    dataset_id INTEGER NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    inference_set_id INTEGER REFERENCES inference_sets (id) ON DELETE CASCADE,
    level TEXT NOT NULL CHECK (level IN ('frame', 'label', 'prediction')),
    source TEXT NOT NULL CHECK (source IN ('quality', 'custom')),
    name TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('float', 'int', 'bool', 'string')),
    description TEXT NOT NULL DEFAULT '',
    object TEXT NOT NULL,
    data_version INTEGER NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CHECK ((level = 'prediction') = (inference_set_id IS NOT NULL))
);
CREATE UNIQUE INDEX IF NOT EXISTS element_metrics_names
    ON element_metrics (dataset_id, COALESCE(inference_set_id, 0), level, name);
CREATE TABLE IF NOT EXISTS projections (
    dataset_id INTEGER NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    model TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('frame', 'crop')),
    method TEXT NOT NULL CHECK (method IN ('umap', 'pca')),
    vectors_key TEXT NOT NULL,
    object TEXT NOT NULL,
    fitted_on INTEGER NOT NULL,
    computed_at TEXT NOT NULL,
    PRIMARY KEY (dataset_id, model, kind, method)
);
CREATE TABLE IF NOT EXISTS similarity_indexes (
    dataset_id INTEGER NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    model TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('frame', 'crop')),
    metric TEXT NOT NULL CHECK (metric IN ('cosine', 'euclidean')),
    vectors_key TEXT NOT NULL,
    object TEXT NOT NULL,
    PRIMARY KEY (dataset_id, model, kind, metric)
);
CREATE TABLE IF NOT EXISTS campaigns (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    issue TEXT,
    corpus TEXT NOT NULL,
    embedding TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('frame', 'crop')),
    metric TEXT NOT NULL CHECK (metric IN ('cosine', 'euclidean')),
    k INTEGER NOT NULL CHECK (k >= 1),
    k_per TEXT NOT NULL CHECK (k_per IN ('seed', 'total')),
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    run_at TEXT,
    corpus_version INTEGER,
    exact INTEGER,
    UNIQUE (project_id, name)
);
CREATE TABLE IF NOT EXISTS campaign_seeds (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    dataset TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('frame', 'label', 'prediction')),
    element_id TEXT NOT NULL,
    inference_set TEXT,
    frame_id TEXT NOT NULL,
    PRIMARY KEY (campaign_id, position)
);
CREATE TABLE IF NOT EXISTS campaign_candidates (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    element_key TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('frame', 'label', 'prediction')),
    inference_set TEXT,
    element_id TEXT NOT NULL,
    frame_id TEXT NOT NULL,
    rank INTEGER,
    distance REAL,
    seed INTEGER,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'accepted', 'rejected')),
    note TEXT NOT NULL DEFAULT '',
    reviewed_at TEXT,
    PRIMARY KEY (campaign_id, element_key),
    CHECK ((rank IS NULL) = (distance IS NULL))
);
CREATE INDEX IF NOT EXISTS campaign_candidates_rank ON campaign_candidates (campaign_id, rank);
"""


def _migrate(connection: sqlite3.Connection) -> None:
    """Bring a catalog written by an older Shoal up to this schema (inside the schema's
    transaction). Classes of older catalogs count as declared: nothing says which ones
    an import created, so none is dropped for being unused. Segments of older catalogs
    have an empty description. Campaign tables are new: the schema's CREATE TABLE IF NOT
    EXISTS adds them to an older catalog. Issues of older catalogs have no owner; their
    elements are open, without a note, added when their issue was created."""
    columns = {row[1] for row in connection.execute("PRAGMA table_info(classes)")}
    if "declared" not in columns:
        connection.execute("ALTER TABLE classes ADD COLUMN declared INTEGER NOT NULL DEFAULT 1")
    segment_columns = {row[1] for row in connection.execute("PRAGMA table_info(segments)")}
    if "description" not in segment_columns:
        connection.execute("ALTER TABLE segments ADD COLUMN description TEXT NOT NULL DEFAULT ''")
    issue_columns = {row[1] for row in connection.execute("PRAGMA table_info(issues)")}
    if "owner" not in issue_columns:
        connection.execute("ALTER TABLE issues ADD COLUMN owner TEXT NOT NULL DEFAULT ''")
    element_columns = {row[1] for row in connection.execute("PRAGMA table_info(issue_elements)")}
    if "status" not in element_columns:
        for column in (
            "status TEXT NOT NULL DEFAULT 'open' "
            "CHECK (status IN ('open', 'confirmed', 'fixed', 'dismissed'))",
            "note TEXT NOT NULL DEFAULT ''",
            "added_at TEXT NOT NULL DEFAULT ''",
            "updated_at TEXT NOT NULL DEFAULT ''",
        ):
            connection.execute(f"ALTER TABLE issue_elements ADD COLUMN {column}")
        connection.execute(
            "UPDATE issue_elements SET (added_at, updated_at) = (SELECT created_at, created_at "
            "FROM issues WHERE issues.id = issue_elements.issue_id)"
        )


def _takes_every_task(projects_sql: str) -> bool:
    """Whether the projects table's CHECK names every task this Shoal knows."""
    return all(f"'{task}'" in projects_sql for task in ("multilabel", "ner"))


def _allow_multilabel_projects(connection: sqlite3.Connection) -> None:
    """Catalogs written before multi-label (and then NER) projects check ``task IN
    ('detection', 'classification'[, 'multilabel'])``, and SQLite cannot alter a CHECK: the projects table is rebuilt
    once (SQLite's documented procedure for other schema changes: foreign keys off, new
    table, copy, drop, rename, foreign key check), in one transaction, before this
    connection turns foreign keys on (a cascade must not fire on the drop)."""
    query = "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'projects'"
    row = connection.execute(query).fetchone()
    if row is None or _takes_every_task(row[0]):
        return
    connection.execute("BEGIN IMMEDIATE")
    try:
        row = connection.execute(query).fetchone()  # another process may have done it
        if not _takes_every_task(row[0]):
            start = _SCHEMA.index("CREATE TABLE IF NOT EXISTS projects (")
            table = _SCHEMA[start : _SCHEMA.index(");", start) + 2]
            columns = ", ".join(r[1] for r in connection.execute("PRAGMA table_info(projects)"))
            connection.execute(table.replace("EXISTS projects (", "EXISTS projects_widened (", 1))
            connection.execute(
                f"INSERT INTO projects_widened ({columns}) SELECT {columns} FROM projects"
            )
            connection.execute("DROP TABLE projects")
            connection.execute("ALTER TABLE projects_widened RENAME TO projects")
            if connection.execute("PRAGMA foreign_key_check").fetchone() is not None:
                raise sqlite3.DatabaseError("projects no longer match the rows that name them")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def _use_wal(connection: sqlite3.Connection) -> None:
    """Switch to WAL mode. While another process creates the same new catalog, SQLite
    answers "database is locked" at once, without waiting out the busy timeout (two
    ``shoal import`` runs into a new home): wait and retry, as the busy timeout would."""
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    while True:
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


@contextlib.contextmanager
def catalog_errors(path: Path) -> Iterator[None]:
    """SQLite's "file is not a database" and "database disk image is malformed" (plain
    ``sqlite3.DatabaseError``; its subclasses are locks, constraints and misuse) as a
    ``StoreCorruptError`` naming the catalog."""
    try:
        yield
    except sqlite3.DatabaseError as error:
        if type(error) is not sqlite3.DatabaseError:
            raise
        raise StoreCorruptError(f"the catalog cannot be read ({error})", path=str(path)) from None


def connect(path: Path) -> sqlite3.Connection:
    """A connection with the schema in place, foreign keys on and WAL mode; a damaged
    catalog is a ``StoreCorruptError``."""
    with catalog_errors(path):
        return _connect(path)


def _connect(path: Path) -> sqlite3.Connection:
    # Each thread has its own connection; only close() may come from another thread.
    connection = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
    )
    connection.row_factory = sqlite3.Row
    _use_wal(connection)
    connection.execute("PRAGMA synchronous = FULL")
    _allow_multilabel_projects(connection)
    connection.execute("PRAGMA foreign_keys = ON")
    connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
    connection.executescript("BEGIN IMMEDIATE;" + _SCHEMA)
    try:
        _migrate(connection)
        connection.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
            (str(SCHEMA_VERSION),),
        )
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    return connection
