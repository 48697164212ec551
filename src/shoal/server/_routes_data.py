"""Uploads (chunked, committed atomically), frames, images and thumbnails."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path as FilePath
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

import duckdb
import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import FileResponse, RedirectResponse

from shoal._types import url_segment
from shoal.errors import InputError, NotFoundError
from shoal.formats._validation import metadata_column, typed_column
from shoal.server._errors import ApiError
from shoal.server._models import (
    MAX_QUERY_LENGTH,
    CommitOut,
    FrameDetail,
    FramesPage,
    UploadChunk,
    UploadCommit,
    UploadOut,
)
from shoal.server._routes_entities import (
    DATASET,
    DatasetName,
    PageOffset,
    ProjectName,
    get_dataset,
    get_project,
)
from shoal.server._routes_quality import start_quality
from shoal.server._routing import NameRoute
from shoal.server._state import ServerState, State, requested_segment
from shoal.store import Dataset
from shoal.tables import (
    EMBEDDINGS_SCHEMA,
    FRAME_COLUMNS,
    GEOMETRY_SCHEMA,
    LABELS_SCHEMA,
    PREDICTIONS_SCHEMA,
    DatasetTables,
    InferenceTables,
    keypoint_schemas,
    with_box_areas,
    with_keypoint_schemas,
)

__all__ = ["router", "staged_dataset"]

router = APIRouter(route_class=NameRoute)
Found = TypeVar("Found")
UploadId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="from POST /uploads")]
TABLES = ("frames", "labels", "predictions", "embeddings")
_SCHEMAS = {
    "frames": FRAME_COLUMNS,
    "labels": LABELS_SCHEMA,
    "predictions": PREDICTIONS_SCHEMA,
    "embeddings": EMBEDDINGS_SCHEMA,
}
IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".bmp": "image/bmp",
    ".webp": "image/webp",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
}
_IMAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {t: {} for t in sorted(set(IMAGE_TYPES.values()))}, "description": "image"},
    307: {"description": "the image is at a URL: a redirect to it"},
    415: {"description": "not an image file"},
}


# ------------------------------------------------------------------ uploads
def _upload_folder(s: ServerState, upload_id: str) -> FilePath:
    folder = s.uploads / upload_id
    if not folder.is_dir():
        raise ApiError(
            404, f"no upload {upload_id!r} (committed, aborted or never started)", where="upload_id"
        )
    return folder


def _chunks(folder: FilePath) -> list[tuple[int, FilePath]]:
    found = []
    for path in folder.glob("chunk-*.json"):
        found.append((int(path.stem.split("-")[1]), path))
    return sorted(found)


def _upload_out(upload_id: str, folder: FilePath) -> dict[str, Any]:
    rows = dict.fromkeys(TABLES, 0)
    chunks = []
    for number, path in _chunks(folder):
        chunks.append(number)
        counts = orjson.loads((path.with_suffix(".rows")).read_bytes())
        for table in TABLES:
            rows[table] += int(counts.get(table, 0))
    return {"upload_id": upload_id, "chunks": chunks, "rows": rows}


@router.post("/uploads", response_model=UploadOut, status_code=201, tags=["uploads"])
def start_upload(s: State) -> dict[str, Any]:
    upload_id = uuid.uuid4().hex
    (s.uploads / upload_id).mkdir(parents=True)
    return {"upload_id": upload_id, "chunks": [], "rows": dict.fromkeys(TABLES, 0)}


@router.get("/uploads/{upload_id}", response_model=UploadOut, tags=["uploads"])
def read_upload(s: State, upload_id: UploadId) -> dict[str, Any]:
    return _upload_out(upload_id, _upload_folder(s, upload_id))


@router.put("/uploads/{upload_id}/chunks/{number}", response_model=UploadOut, tags=["uploads"])
def put_chunk(
    s: State,
    upload_id: UploadId,
    number: Annotated[int, Path(ge=0, le=999_999, description="chunk number; order of rows")],
    body: UploadChunk,
) -> dict[str, Any]:
    """Stage rows; sending a chunk number again replaces that chunk. A value JSON does not
    hold as it is (NaN, Infinity, a whole number beyond ±(2**53 - 1), a lone surrogate, nesting
    beyond 64 levels) is refused with 422 naming it (``body.predictions.4.confidence``)."""
    rows = {table: getattr(body, table) for table in TABLES}
    data = orjson.dumps(rows)  # every request body's values are JSON's (_routing)
    with s.upload_lock(upload_id):
        folder = _upload_folder(s, upload_id)
        path = folder / f"chunk-{number:06d}.json"
        others = sum(p.stat().st_size for n, p in _chunks(folder) if n != number)
        if others + len(data) > s.max_upload_total_bytes:
            megabytes = s.max_upload_total_bytes / (1024 * 1024)
            raise ApiError(
                413,
                f"this upload's chunks would be over the server's limit of {megabytes:g} MB "
                "for one upload; commit fewer rows at a time",
                where="upload",
            )
        staged = path.with_suffix(".tmp")
        staged.write_bytes(data)
        counts = {table: len(table_rows) for table, table_rows in rows.items()}
        path.with_suffix(".rows").write_bytes(orjson.dumps(counts))
        os.replace(staged, path)
        return _upload_out(upload_id, folder)


@router.delete("/uploads/{upload_id}", status_code=204, tags=["uploads"])
def abort_upload(s: State, upload_id: UploadId) -> Response:
    with s.upload_lock(upload_id):
        shutil.rmtree(_upload_folder(s, upload_id), ignore_errors=True)
    return Response(status_code=204)


def _table_of_rows(table: str, rows: list[dict[str, Any]], first_record: int) -> pa.Table:
    """One chunk's rows of ``table`` as Arrow, by the rows' rules in
    ``shoal.formats._validation`` (records counted across chunks from ``first_record``)."""
    schema = _SCHEMAS[table]
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    columns = {}
    for name in names:
        values = [row.get(name) for row in rows]
        if table == "frames" and name not in schema.names:  # the readers' metadata policy
            columns[name] = metadata_column(name, values, source=table, first_record=first_record)
        else:
            kind = schema.field(name).type if name in schema.names else None
            columns[name] = typed_column(
                name, values, kind, source=table, first_record=first_record
            )
    return pa.table(columns)


def _column_type(table: str, name: str, parts: list[tuple[int, pa.Table]]) -> pa.DataType:
    """The one type of a column across chunks: ints widen to floats (as within a chunk);
    a chunk where the column is all null has no say. Geometry columns of labels and
    predictions take their schema's type (lists of ints read as lists of floats)."""
    if table in ("labels", "predictions") and name in GEOMETRY_SCHEMA.names:
        return GEOMETRY_SCHEMA.field(name).type
    typed = [
        (first, part.column(name))
        for first, part in parts
        if name in part.column_names and part.column(name).null_count < part.num_rows
    ]
    kinds = {column.type for _, column in typed}
    if kinds == {pa.int64(), pa.float64()}:
        return pa.float64()
    if len(kinds) > 1:
        (first, column), (later, other) = (
            typed[0],
            next((start, c) for start, c in typed if c.type != typed[0][1].type),
        )
        record = later + pc.index(pc.is_valid(other), True).as_py()
        raise InputError(
            f"column {name!r} is {other.type} here, but {column.type} from record "
            f"{first + pc.index(pc.is_valid(column), True).as_py()} "
            "(a column keeps one type across chunks)",
            source=table,
            record=record,
        )
    if kinds:
        return kinds.pop()
    return _SCHEMAS[table].field(name).type if name in _SCHEMAS[table].names else pa.string()


def _concatenated(table: str, parts: list[tuple[int, pa.Table]]) -> pa.Table | None:
    if not parts:
        return None
    names: dict[str, None] = {}
    for _, part in parts:
        names.update(dict.fromkeys(part.column_names))
    kinds = {name: _column_type(table, name, parts) for name in names}

    def cast(part: pa.Table, name: str, kind: pa.DataType, first: int) -> pa.ChunkedArray:
        try:
            return part.column(name).cast(kind)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            raise InputError(
                f"column {name!r} is {part.column(name).type}, expected {kind}",
                source=table,
                record=first,
            ) from None

    return pa.concat_tables(
        pa.table(
            {
                name: cast(part, name, kind, first)
                if name in part.column_names
                else pa.nulls(part.num_rows, kind)
                for name, kind in kinds.items()
            }
        )
        for first, part in parts
    )


def _staged_tables(folder: FilePath) -> tuple[dict[str, pa.Table | None], dict[str, int]]:
    """The staged chunks as one Arrow table per kind of row, read a chunk at a time: at
    most one chunk's JSON is in memory beside the Arrow columns built so far."""
    chunks = _chunks(folder)
    for expected, (number, _) in enumerate(chunks):
        if number != expected:
            staged = ", ".join(str(n) for n, _ in chunks)
            raise ApiError(
                409,
                f"chunk {expected} is missing (staged: {staged}); chunks are numbered 0, 1, "
                "2, ... without gaps",
                where="chunks",
            )
    parts: dict[str, list[tuple[int, pa.Table]]] = {table: [] for table in TABLES}
    counts = dict.fromkeys(TABLES, 0)
    for _, path in chunks:
        chunk = orjson.loads(path.read_bytes())
        for table in TABLES:
            rows = chunk.pop(table, [])
            if rows:
                parts[table].append((counts[table], _table_of_rows(table, rows, counts[table])))
                counts[table] += len(rows)
            del rows
        del chunk
    return {table: _concatenated(table, parts[table]) for table in TABLES}, counts


def _dataset_tables(tables: dict[str, pa.Table | None]) -> DatasetTables:
    return DatasetTables.build(
        tables["frames"] if tables["frames"] is not None else FRAME_COLUMNS.empty_table(),
        tables["labels"] if tables["labels"] is not None else LABELS_SCHEMA.empty_table(),
        tables["embeddings"],
    )


def staged_dataset(s: ServerState, upload_id: str) -> DatasetTables:
    """An upload's staged frames, labels and embeddings as dataset tables (validated;
    a 404 when the upload is not there). The caller holds ``s.upload_lock(upload_id)``
    and removes ``s.uploads / upload_id`` once it has used them."""
    if not re.fullmatch(r"[0-9a-f]{32}", upload_id):  # never a path outside the uploads
        raise ApiError(404, f"no upload {upload_id!r}", where="upload")
    tables, _ = _staged_tables(_upload_folder(s, upload_id))
    return _dataset_tables(tables)


def _named_in_body(lookup: Callable[[], Found], where: str) -> Found:
    """What a body names. Missing, it is a 409: the upload (the URL) is there, but the
    store lacks what the commit needs (a 404 would say the upload is gone)."""
    try:
        return lookup()
    except NotFoundError as error:
        raise ApiError(409, error.message, where=where) from None


def _keypoint_schemas(given: dict[str, Any]) -> dict[str, Any]:
    """A commit's keypoint schemas as the engine's (a bad one: a 4xx naming the class)."""
    from shoal.engine.keypoints import KeypointSchema

    schemas = {}
    for name, schema in given.items():
        try:
            schemas[name] = KeypointSchema(
                tuple(schema.names),
                tuple(tuple(pair) for pair in schema.skeleton),
                sigmas=np.asarray(schema.sigmas, np.float64),
            )
        except InputError as error:
            raise ApiError(
                422, f"class {name!r}: {error.message}", where="body.keypoint_schemas"
            ) from None
    return schemas


@router.post(
    "/uploads/{upload_id}/commit", response_model=CommitOut, status_code=201, tags=["uploads"]
)
def commit_upload(s: State, upload_id: UploadId, body: UploadCommit) -> dict[str, Any]:
    """Build the staged rows into a dataset or inference set and store it, all or
    nothing. On success the upload is gone; on failure (4xx naming the record) the store
    is unchanged and the upload stays, to fix a chunk and commit again, or abort."""
    with s.upload_lock(upload_id):
        folder = _upload_folder(s, upload_id)
        project = _named_in_body(lambda: get_project(s, body.project), "body.project")
        tables, counts = _staged_tables(folder)
        if body.kind == "dataset":
            built = _dataset_tables(tables)
            if body.keypoint_schemas:
                built = with_keypoint_schemas(built, _keypoint_schemas(body.keypoint_schemas))
            dataset = project.create_dataset(body.name, built, replace=body.replace)
            version, dataset_name = dataset.version, dataset.name
        else:
            dataset = _named_in_body(lambda: project.dataset(body.dataset), "body.dataset")
            predictions = tables["predictions"]
            built_set = InferenceTables.build(
                predictions if predictions is not None else PREDICTIONS_SCHEMA.empty_table(),
                tables["embeddings"],
            )
            if body.box_areas:
                built_set = with_box_areas(built_set)
            created = dataset.create_inference_set(body.name, built_set, replace=body.replace)
            version, dataset_name = created.version, dataset.name
        shutil.rmtree(folder, ignore_errors=True)
    # Quality metrics follow in the background (GET .../datasets/{d}/quality tells).
    start_quality(s, dataset, again=True)
    with s.upload_locks_guard:
        s.upload_locks.pop(upload_id, None)
    return {
        "kind": body.kind,
        "project": body.project,
        "dataset": dataset_name,
        "name": body.name,
        "version": version,
        "rows": counts,
    }


# ------------------------------------------------------------------- frames
# Ids that a path segment cannot carry to the server from a browser: a WHATWG URL parser
# (every browser's fetch and <img>) resolves "%2E" and "%2E%2E" as "." and "..", so
# frames/%2E%2E/image reaches the dataset's own /image. The /frame routes take the id as
# the query parameter frame_id instead, which carries any id.
_UNROUTABLE_IDS = frozenset({".", ".."})
FrameIdQuery = Annotated[
    str,
    Query(description="the frame's id, any string (also '.' and '..', which a path cannot carry)"),
]


def _dataset_path(project: str, dataset: str) -> str:
    return f"/api/v1/projects/{url_segment(project)}/datasets/{url_segment(dataset)}"


def _frame_path(project: str, dataset: str, frame_id: str) -> str:
    return f"{_dataset_path(project, dataset)}/frames/{url_segment(frame_id)}"


def _image_url(project: str, dataset: str, frame_id: str) -> str:
    """The frame image's URL: by path, or for an id a path cannot carry by query."""
    if frame_id in _UNROUTABLE_IDS:
        return f"{_dataset_path(project, dataset)}/frame/image?{urlencode({'frame_id': frame_id})}"
    return _frame_path(project, dataset, frame_id) + "/image"


def _frame_row(dataset: Dataset, frame_id: str) -> dict[str, Any]:
    frames = dataset.frames()
    matches = frames.filter(pc.equal(frames.column("frame_id"), frame_id))
    if matches.num_rows == 0:
        raise ApiError(404, f"dataset {dataset.name!r} has no frame {frame_id!r}", where="frame_id")
    row: dict[str, Any] = matches.slice(0, 1).to_pylist()[0]
    return row


@router.get(DATASET + "/frames", response_model=FramesPage, tags=["frames"])
def list_frames(
    s: State,
    project: ProjectName,
    dataset: DatasetName,
    offset: PageOffset = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    query: Annotated[
        str | None,
        Query(max_length=MAX_QUERY_LENGTH, description="a query over metadata (docs/queries.md)"),
    ] = None,
    segment: Annotated[
        str | None,
        Query(
            max_length=1000,
            description='only the frames of this segment (a list or a query; "All Frames" is '
            "every frame); with query, the frames in both",
        ),
    ] = None,
) -> dict[str, Any]:
    """A page of the dataset's frames, in the dataset's order, optionally only those a
    query selects and / or those of a segment."""
    found = get_dataset(s, project, dataset)
    frames = found.frames()
    selections: list[list[str]] = []
    if segment is not None:
        ids = requested_segment(found, segment).selection()  # a stale one: 400 saying why
        if ids is not None:
            selections.append(ids)
    if query is not None:
        try:
            selections.append(found.query(query))
        except InputError as error:
            raise ApiError(400, error.message, where="query.query") from None
        except duckdb.Error as error:
            raise ApiError(400, f"the query failed: {error}", where="query.query") from None
    for ids in selections:
        frames = frames.filter(
            pc.is_in(frames.column("frame_id"), value_set=pa.array(ids, pa.string()))
        )
    page = frames.slice(offset, limit).to_pylist()
    for row in page:
        row["image_url"] = _image_url(project, dataset, str(row["frame_id"]))
    return {"total": frames.num_rows, "offset": offset, "limit": limit, "frames": page}


@router.get(DATASET + "/frames/{frame_id}", response_model=FrameDetail, tags=["frames"])
def read_frame(
    s: State,
    project: ProjectName,
    dataset: DatasetName,
    frame_id: str,
    inference_set: Annotated[
        list[str], Query(description="inference sets whose predictions to include")
    ] = [],  # noqa: B006 (FastAPI copies defaults)
) -> dict[str, Any]:
    found = get_dataset(s, project, dataset)
    frame = _frame_row(found, frame_id)
    labels = found.labels()
    predictions = {}
    for name in inference_set:
        table = found.inference_set(name).predictions()
        predictions[name] = table.filter(pc.equal(table.column("frame_id"), frame_id)).to_pylist()
    return {
        "frame": frame,
        "image_url": _image_url(project, dataset, frame_id),
        "labels": labels.filter(pc.equal(labels.column("frame_id"), frame_id)).to_pylist(),
        "predictions": predictions,
        "keypoint_schemas": {k: v.to_dict() for k, v in keypoint_schemas(labels).items()},
    }


def _image_file(dataset: Dataset, frame: dict[str, Any]) -> FilePath | str:
    """The frame's image: a local file inside the dataset's image root, or a URL.

    Anything else (no root, a path leaving the root through ``..``, an absolute path or a
    symlink, a URL scheme other than http(s)) is refused."""
    uri = frame.get("image_uri")
    if not isinstance(uri, str) or not uri:
        raise ApiError(404, f"frame {frame['frame_id']!r} has no image", where="image_uri")
    lowered = uri.lower()
    if lowered.startswith(("http://", "https://")):
        return uri
    if "://" in uri or lowered.startswith(("file:", "data:")):
        raise ApiError(403, "this image URI is not served", where="image_uri")
    root = dataset.image_root
    if root is None:
        raise ApiError(
            404, f"dataset {dataset.name!r} has no registered image root", where="image_uri"
        )
    try:
        real_root = os.path.realpath(root)
        real = os.path.realpath(os.path.join(real_root, uri))
    except (ValueError, OSError):
        raise ApiError(400, "the image path is not valid", where="image_uri") from None
    if os.path.commonpath([real_root, real]) != real_root or real == real_root:
        raise ApiError(403, "the image is outside the dataset's image root", where="image_uri")
    if not os.path.isfile(real):
        raise ApiError(404, "the image file is missing", where="image_uri")
    return FilePath(real)


@router.get(
    DATASET + "/frames/{frame_id}/image",
    response_class=Response,
    responses=_IMAGE_RESPONSES,
    tags=["frames"],
)
def frame_image(s: State, project: ProjectName, dataset: DatasetName, frame_id: str) -> Response:
    found = get_dataset(s, project, dataset)
    image = _image_file(found, _frame_row(found, frame_id))
    if isinstance(image, str):
        return RedirectResponse(image, status_code=307)
    media_type = IMAGE_TYPES.get(image.suffix.lower())
    if media_type is None:
        raise ApiError(415, "the frame's file is not an image", where="image_uri")
    return FileResponse(image, media_type=media_type)


_THUMBNAIL_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/png": {}}, "description": "a PNG thumbnail"},
    415: {"description": "not an image file"},
}
ThumbnailSize = Annotated[
    int,
    Query(
        ge=16,
        le=1024,
        description="longest side in pixels, rounded up to 32, 64, 128, 256, 512 or "
        "1024 and never above the image's own",
    ),
]


@router.get(
    DATASET + "/frames/{frame_id}/thumbnail",
    response_class=Response,
    responses=_THUMBNAIL_RESPONSES,
    tags=["frames"],
)
def frame_thumbnail(
    s: State,
    project: ProjectName,
    dataset: DatasetName,
    frame_id: str,
    size: ThumbnailSize = 256,
) -> Response:
    found = get_dataset(s, project, dataset)
    image = _image_file(found, _frame_row(found, frame_id))
    if isinstance(image, str):
        raise ApiError(
            404, "the image is at a URL; thumbnails are of local files", where="image_uri"
        )
    return Response(s.thumbnails.thumbnail(image, size), media_type="image/png")


# The same three frame routes with the id as a query parameter (any id, "." and ".."
# included: see _UNROUTABLE_IDS). The web app uses these for every frame.
@router.get(DATASET + "/frame", response_model=FrameDetail, tags=["frames"])
def read_frame_by_query(
    s: State,
    project: ProjectName,
    dataset: DatasetName,
    frame_id: FrameIdQuery,
    inference_set: Annotated[
        list[str], Query(description="inference sets whose predictions to include")
    ] = [],  # noqa: B006 (FastAPI copies defaults)
) -> dict[str, Any]:
    """A frame, its labels and the named inference sets' predictions, as
    ``GET .../frames/{frame_id}`` answers them."""
    return read_frame(s, project, dataset, frame_id, inference_set)


@router.get(
    DATASET + "/frame/image",
    response_class=Response,
    responses=_IMAGE_RESPONSES,
    tags=["frames"],
)
def frame_image_by_query(
    s: State, project: ProjectName, dataset: DatasetName, frame_id: FrameIdQuery
) -> Response:
    """The frame's image, as ``GET .../frames/{frame_id}/image`` answers it."""
    return frame_image(s, project, dataset, frame_id)


@router.get(
    DATASET + "/frame/thumbnail",
    response_class=Response,
    responses=_THUMBNAIL_RESPONSES,
    tags=["frames"],
)
def frame_thumbnail_by_query(
    s: State,
    project: ProjectName,
    dataset: DatasetName,
    frame_id: FrameIdQuery,
    size: ThumbnailSize = 256,
) -> Response:
    """A PNG thumbnail of the frame's image, as ``GET .../frames/{frame_id}/thumbnail``."""
    return frame_thumbnail(s, project, dataset, frame_id, size)
