"""The tables Shoal stores: frames, labels, predictions and embeddings, as Arrow.

Every importer produces these, the SDK's frame builders produce these, and the store
writes them to Parquet unchanged; the engine reads them through
:func:`to_ground_truth` / :func:`to_predictions`. One schema, one validation.

Frames (one row per frame)
    ``frame_id`` string (unique), ``image_uri`` string (a local path or URL, nullable),
    ``width`` / ``height`` int32 (nullable), then one column per user metadata key
    (typed: bool, int64, float64 or string; any name but the reserved ones).
Labels (ground truth, one row per object)
    ``label_id`` string (unique), ``frame_id`` string, ``class_name`` string, ``x``,
    ``y``, ``width``, ``height`` float64 (box in pixels; null for a frame-level
    classification label), ``area`` float64 (for COCO area ranges; null means
    width * height), ``iscrowd`` bool, ``ignore`` bool, ``attributes`` string (JSON, nullable).
Predictions (one row per predicted object)
    ``prediction_id`` string (unique), ``frame_id``, ``class_name``, ``x``, ``y``,
    ``width``, ``height`` (null for classification), ``confidence`` float64 in [0, 1],
    ``probabilities`` list<float32> (classification only: one score per class, in the
    project's class order; nullable).
Geometry (optional columns of labels and predictions; absent for boxes-only data)
    ``shape`` string (``box``, ``mask``, ``polygon``, ``keypoints``, ``polyline``,
    ``point``; null means a box), ``mask`` struct<height int32, width int32, counts
    string> (COCO compressed RLE of the object's mask, in its frame's size),
    ``polygon`` list<list<float64>> (the object's polygons ``[x0, y0, x1, y1, ...]``,
    kept for exact drawing; the dataset rasterises them into ``mask``), ``keypoints``
    list<float64> (x, y, v triples; v 0 not labeled, 1 labeled but not visible, 2
    visible), ``points`` list<float64> (x, y pairs: a polyline's vertices, or one
    point). The box columns stay filled with the object's box. When one of them is
    present, all five are. Keypoint names and skeletons per class are kept in the
    labels table's schema metadata (:func:`keypoint_schemas`).
Embeddings (one row per vector)
    ``frame_id`` string, ``target_id`` string (a label or prediction id for a crop
    embedding, null for a frame embedding), ``model_id`` string, ``vector`` list<float32>.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shoal.engine.detection.annotations import Classes, GroundTruth, Predictions

if TYPE_CHECKING:
    from shoal.engine.keypoints import KeypointSchema
from shoal.errors import InputError
from shoal.formats._validation import (
    RESERVED_METADATA_KEYS,
    box_problems,
    confidence_problems,
    describe_box_problem,
    metadata_key_problem,
)

__all__ = [
    "EMBEDDINGS_SCHEMA",
    "FRAME_COLUMNS",
    "GEOMETRY_SCHEMA",
    "LABELS_SCHEMA",
    "MASK_TYPE",
    "PREDICTIONS_SCHEMA",
    "RESERVED_METADATA_KEYS",
    "SHAPES",
    "DatasetTables",
    "InferenceTables",
    "areas_are_boxes",
    "check_mask_sizes",
    "embeddings_table",
    "empty_embeddings",
    "geometry_at",
    "has_geometry",
    "keypoint_schemas",
    "rasterise_polygons",
    "to_ground_truth",
    "to_predictions",
    "with_box_areas",
    "with_keypoint_schemas",
]

FRAME_COLUMNS = pa.schema(
    [
        ("frame_id", pa.string()),
        ("image_uri", pa.string()),
        ("width", pa.int32()),
        ("height", pa.int32()),
    ]
)


def _object_schema(id_column: str, *own_columns: tuple[str, pa.DataType]) -> pa.Schema:
    """A labels or predictions schema: the object's id, its frame, its class and its box
    (``x``, ``y``, ``width``, ``height``; null for classification), then the columns
    only that kind of object has."""
    return pa.schema(
        [
            (id_column, pa.string()),
            ("frame_id", pa.string()),
            ("class_name", pa.string()),
            ("x", pa.float64()),
            ("y", pa.float64()),
            ("width", pa.float64()),
            ("height", pa.float64()),
            *own_columns,
        ]
    )


LABELS_SCHEMA = _object_schema(
    "label_id",
    ("area", pa.float64()),
    ("iscrowd", pa.bool_()),
    ("ignore", pa.bool_()),
    ("attributes", pa.string()),
)
PREDICTIONS_SCHEMA = _object_schema(
    "prediction_id",
    ("confidence", pa.float64()),
    ("probabilities", pa.list_(pa.float32())),
)
EMBEDDINGS_SCHEMA = pa.schema(
    [
        ("frame_id", pa.string()),
        ("target_id", pa.string()),
        ("model_id", pa.string()),
        ("vector", pa.list_(pa.float32())),
    ]
)
MASK_TYPE = pa.struct([("height", pa.int32()), ("width", pa.int32()), ("counts", pa.string())])
GEOMETRY_SCHEMA = pa.schema(
    [
        ("shape", pa.string()),
        ("mask", MASK_TYPE),
        ("polygon", pa.list_(pa.list_(pa.float64()))),
        ("keypoints", pa.list_(pa.float64())),
        ("points", pa.list_(pa.float64())),
    ]
)
SHAPES = ("box", "mask", "polygon", "keypoints", "polyline", "point")
# The column a shape cannot be without.
_SHAPE_COLUMN = {"mask": "mask", "polygon": "polygon", "keypoints": "keypoints",
                 "polyline": "points", "point": "points"}  # fmt: skip
_KEYPOINTS_KEY = b"shoal.keypoints"
_AREA_KEY = b"shoal.area"
# RESERVED_METADATA_KEYS (the frame columns and the query language's label statistics)
# comes from the one validation module, shoal.formats._validation.
_METADATA_TYPES = (pa.bool_(), pa.int64(), pa.float64(), pa.string())


def empty_embeddings() -> pa.Table:
    return EMBEDDINGS_SCHEMA.empty_table()


def embeddings_table(
    frame_ids: Sequence[str] | pa.Array | None,
    vectors: Any,
    *,
    model: str,
    target_ids: Sequence[str] | pa.Array | None = None,
) -> pa.Table:
    """Embedding rows of one model from an (n, d) array: frame embeddings
    (``target_ids`` None) or crops (``target_ids`` the label or prediction ids);
    ``frame_ids`` None leaves the frames to be found from the targets."""
    rows = np.ascontiguousarray(vectors, np.float32)
    if rows.ndim != 2:
        raise InputError(f"vectors must be rows of numbers (n, d), not shape {rows.shape}")
    count, dimension = rows.shape
    if count * dimension > np.iinfo(np.int32).max:
        raise InputError(f"{count * dimension} vector values do not fit one table")

    def strings(values: Sequence[str] | pa.Array | None) -> pa.Array:
        if values is None:
            return pa.nulls(count, pa.string())
        array = (
            values.cast(pa.string())
            if isinstance(values, pa.Array)
            else pa.array(list(values), pa.string())
        )
        if len(array) != count:
            raise InputError(f"{len(array)} ids for {count} vectors")
        return array

    offsets = pa.array(np.arange(count + 1, dtype=np.int32) * dimension, pa.int32())
    return pa.table(
        {
            "frame_id": strings(frame_ids),
            "target_id": strings(target_ids),
            "model_id": pa.array([model] * count, pa.string()),
            "vector": pa.ListArray.from_arrays(offsets, pa.array(rows.ravel(), pa.float32())),
        },
        schema=EMBEDDINGS_SCHEMA,
    )


def _first(mask: Any) -> int | None:
    """Index of the first true entry of an Arrow or NumPy boolean array, or None."""
    values = np.asarray(mask.to_numpy(zero_copy_only=False) if hasattr(mask, "to_numpy") else mask)
    hits = np.flatnonzero(values.astype(bool))
    return int(hits[0]) if hits.size else None


def _conform(table: pa.Table, schema: pa.Schema, what: str, source: str | None) -> pa.Table:
    """``table`` with exactly ``schema``'s columns (missing nullable ones added as nulls)."""
    columns = []
    for field in schema:
        if field.name in table.column_names:
            column = table.column(field.name)
            try:
                columns.append(column.cast(field.type))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
                raise InputError(
                    f"{what} column {field.name!r} is {column.type}, expected {field.type}",
                    source=source,
                ) from error
        elif field.name in {"frame_id", "label_id", "prediction_id", "class_name", "model_id"}:
            raise InputError(f"{what} table has no {field.name!r} column", source=source)
        elif field.type == pa.bool_():
            columns.append(pa.array(np.zeros(table.num_rows, bool)))
        else:
            columns.append(pa.nulls(table.num_rows, field.type))
    return pa.Table.from_arrays(columns, schema=schema)


def _check_unique(column: pa.ChunkedArray, what: str, source: str | None) -> None:
    if pc.count_distinct(column, mode="all").as_py() == len(column):
        return
    seen: set[object] = set()
    for i, value in enumerate(column.to_pylist()):
        if value in seen:
            raise InputError(f"duplicate {what} {value!r}", source=source, record=i)
        seen.add(value)


def _check_not_null(table: pa.Table, names: Sequence[str], what: str, source: str | None) -> None:
    for name in names:
        bad = _first(table.column(name).is_null())
        if bad is not None:
            raise InputError(f"{what} has no {name}", source=source, record=bad)


def _check_boxes(table: pa.Table, what: str, source: str | None, required: bool) -> None:
    parts = [table.column(n) for n in ("x", "y", "width", "height")]
    nulls = [np.asarray(p.is_null().to_numpy(zero_copy_only=False)) for p in parts]
    some, every = np.logical_or.reduce(nulls), np.logical_and.reduce(nulls)
    partial = _first(some & ~every)
    if partial is not None:
        raise InputError(
            f"{what} has a partial box (x, y, width, height all or none)",
            source=source,
            record=partial,
        )
    if required and (bad := _first(every)) is not None:
        raise InputError(f"{what} has no box", source=source, record=bad)
    values = np.stack(
        [np.asarray(p.to_numpy(zero_copy_only=False), dtype=np.float64) for p in parts], axis=1
    )
    if (bad := _first(~every & box_problems(values))) is not None:
        raise InputError(
            describe_box_problem(f"{what} box", values[bad]), source=source, record=bad
        )


def _frame_ids_known(
    frame_ids: pa.ChunkedArray, known: pa.ChunkedArray, what: str, source: str | None
) -> None:
    missing = pc.invert(pc.is_in(frame_ids, value_set=known.combine_chunks()))
    if (bad := _first(missing)) is not None:
        raise InputError(
            f"{what} refers to unknown frame {frame_ids[bad].as_py()!r}", source=source, record=bad
        )


# ----------------------------------------------------------------------- geometry


def has_geometry(table: pa.Table) -> bool:
    """Whether a labels or predictions table carries the geometry columns."""
    return "shape" in table.column_names


def _with_geometry(table: pa.Table, conformed: pa.Table, what: str, source: str | None) -> pa.Table:
    """``conformed`` plus the geometry columns of ``table`` (all five when it has any;
    none when it has none)."""
    if not any(name in table.column_names for name in GEOMETRY_SCHEMA.names):
        return conformed
    geometry = _conform(
        table.select([n for n in GEOMETRY_SCHEMA.names if n in table.column_names]),
        GEOMETRY_SCHEMA,
        what,
        source,
    )
    for field in GEOMETRY_SCHEMA:
        conformed = conformed.append_column(field, geometry.column(field.name))
    return _infer_shapes(conformed)


def _infer_shapes(table: pa.Table) -> pa.Table:
    """A null ``shape`` named from the geometry the row has: polygon, else mask, else
    keypoints, else a point (one pair) or a polyline, else a box."""
    shapes = table.column("shape")
    if shapes.null_count == 0:
        return table
    points = pc.list_value_length(table.column("points"))
    guess = pc.case_when(
        pc.make_struct(
            table.column("polygon").is_valid(),
            table.column("mask").is_valid(),
            table.column("keypoints").is_valid(),
            pc.fill_null(pc.equal(points, 2), False),
            table.column("points").is_valid(),
        ),
        "polygon",
        "mask",
        "keypoints",
        "point",
        "polyline",
        "box",
    )
    index = table.schema.get_field_index("shape")
    return table.set_column(index, "shape", pc.coalesce(shapes, guess))


def geometry_at(table: pa.Table, row: int) -> dict[str, Any] | None:
    """Row ``row``'s geometry columns by name (None for a box or a table without
    them): what a face sends with an object to draw it."""
    if not has_geometry(table) or not 0 <= row < table.num_rows:
        return None
    record: dict[str, Any] = table.slice(row, 1).select(GEOMETRY_SCHEMA.names).to_pylist()[0]
    return None if record["shape"] in (None, "box") else record


def _list_parts(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A list column's per-row lengths (-1 for null rows), its values as float64 (NaN
    for null values) and each value's row."""
    array = column.combine_chunks()
    lengths = pc.fill_null(pc.list_value_length(array), -1)
    values = array.flatten()
    return (
        np.asarray(lengths.to_numpy(zero_copy_only=False), np.int64),
        np.asarray(values.to_numpy(zero_copy_only=False), np.float64),
        np.asarray(pc.list_parent_indices(array).to_numpy(zero_copy_only=False), np.int64),
    )


def _check_finite(values: np.ndarray, rows: np.ndarray, what: str, source: str | None) -> None:
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise InputError(f"{what} has a value that is not a finite number", source=source,
                         record=int(rows[bad[0]]))  # fmt: skip


def _check_geometry(
    table: pa.Table, what: str, source: str | None, frame_sizes: np.ndarray | None = None
) -> None:
    """Every geometry column valid: known shapes, each with its column; masks that
    decode to their size (the frame's, ``frame_sizes`` (rows, 2) height/width with -1
    when unknown); keypoints as (x, y, v) triples with v in 0, 1, 2; points as (x, y)
    pairs, one pair for a point; polygons of at least two vertices."""
    shapes = table.column("shape")
    unknown = pc.and_(shapes.is_valid(), pc.invert(pc.is_in(shapes, value_set=pa.array(SHAPES))))
    if (bad := _first(unknown)) is not None:
        raise InputError(
            f"{what} shape {shapes[bad].as_py()!r} is not one of {', '.join(SHAPES)}",
            source=source,
            record=bad,
        )
    for shape, column in _SHAPE_COLUMN.items():
        needs = pc.fill_null(pc.equal(shapes, shape), False)
        missing = pc.and_(needs, table.column(column).is_null())
        if (bad := _first(missing)) is not None:
            raise InputError(f"{what} is a {shape} without {column}", source=source, record=bad)

    lengths, values, rows = _list_parts(table.column("keypoints"))
    _check_finite(values, rows, f"{what} keypoints", source)
    if (bad := _first((lengths >= 0) & (lengths % 3 != 0))) is not None:
        raise InputError(
            f"{what} keypoints has {lengths[bad]} numbers, not (x, y, v) triples",
            source=source,
            record=bad,
        )
    visibility = values[2::3]
    wrong = np.flatnonzero(~np.isin(visibility, (0.0, 1.0, 2.0)))
    if wrong.size:
        raise InputError(
            f"{what} keypoint visibility {visibility[wrong[0]]:g} is not 0, 1 or 2",
            source=source,
            record=int(rows[2 + 3 * wrong[0]]),
        )

    lengths, values, rows = _list_parts(table.column("points"))
    _check_finite(values, rows, f"{what} points", source)
    if (bad := _first((lengths >= 0) & ((lengths % 2 != 0) | (lengths < 2)))) is not None:
        raise InputError(
            f"{what} points has {lengths[bad]} numbers, not (x, y) pairs", source=source, record=bad
        )
    single = np.asarray(
        pc.fill_null(pc.equal(shapes, "point"), False).to_numpy(zero_copy_only=False)
    )
    if (bad := _first(single & (lengths != 2))) is not None:
        raise InputError(
            f"{what} is a point with {lengths[bad]} numbers, not one (x, y)",
            source=source,
            record=bad,
        )

    polygons = table.column("polygon").combine_chunks()
    rings = polygons.flatten()
    ring_row = np.asarray(pc.list_parent_indices(polygons).to_numpy(zero_copy_only=False))
    ring_lengths, values, value_ring = _list_parts(pa.chunked_array([rings], rings.type))
    _check_finite(
        values, ring_row[value_ring] if ring_row.size else value_ring, f"{what} polygon", source
    )
    short = np.flatnonzero((ring_lengths % 2 != 0) | (ring_lengths < 4))
    if short.size:
        raise InputError(
            f"{what} polygon has a ring of {ring_lengths[short[0]]} numbers "
            "(an even count, at least 4)",
            source=source,
            record=int(ring_row[short[0]]),
        )
    empty = np.asarray(pc.fill_null(pc.equal(pc.list_value_length(polygons), 0), False))
    if (bad := _first(empty)) is not None:
        raise InputError(f"{what} polygon has no rings", source=source, record=bad)
    _check_masks(table.column("mask"), what, source, frame_sizes)


def _mask_parts(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[Any]]:
    """The rows with a mask, their heights, widths and counts strings."""
    masks = column.combine_chunks()
    present = np.flatnonzero(np.asarray(masks.is_valid().to_numpy(zero_copy_only=False)))
    kept = masks.take(pa.array(present, pa.int64()))
    heights = np.asarray(pc.fill_null(kept.field("height"), -1).to_numpy(zero_copy_only=False))
    widths = np.asarray(pc.fill_null(kept.field("width"), -1).to_numpy(zero_copy_only=False))
    return (
        present,
        heights.astype(np.int64),
        widths.astype(np.int64),
        kept.field("counts").to_pylist(),
    )


def _check_masks(
    column: pa.ChunkedArray, what: str, source: str | None, frame_sizes: np.ndarray | None
) -> None:
    from shoal.engine.masks.column import BadString, masks_from_strings

    present, heights, widths, counts = _mask_parts(column)
    if not present.size:
        return
    if (bad := _first((heights <= 0) | (widths <= 0))) is not None:
        raise InputError(
            f"{what} mask size {heights[bad]} x {widths[bad]} is not positive",
            source=source,
            record=int(present[bad]),
        )
    if (bad := _first(np.asarray([c is None for c in counts]))) is not None:
        raise InputError(f"{what} mask has no counts", source=source, record=int(present[bad]))
    if frame_sizes is not None:
        expected = frame_sizes[present]
        known = expected[:, 0] >= 0
        wrong = known & ((expected[:, 0] != heights) | (expected[:, 1] != widths))
        if (bad := _first(wrong)) is not None:
            raise InputError(
                f"{what} mask is {heights[bad]} x {widths[bad]} (height x width) but its "
                f"frame is {expected[bad, 0]} x {expected[bad, 1]}",
                source=source,
                record=int(present[bad]),
            )
    try:
        column = masks_from_strings(counts, heights, widths)
    except BadString as error:
        raise InputError(
            f"{what} mask counts: {error.reason}", source=source, record=int(present[error.index])
        ) from None
    totals = column.pixels()
    if (bad := _first(totals != heights * widths)) is not None:
        raise InputError(
            f"{what} mask counts cover {totals[bad]} pixels, not {heights[bad]} x {widths[bad]}",
            source=source,
            record=int(present[bad]),
        )


def _frame_sizes_of(objects: pa.Table, frames: pa.Table) -> np.ndarray:
    """(rows, 2) height, width of each object's frame (-1 when unknown)."""
    index = pc.index_in(
        objects.column("frame_id"), value_set=frames.column("frame_id").combine_chunks()
    )
    rows = np.asarray(pc.fill_null(index, 0).to_numpy(zero_copy_only=False), np.int64)
    sizes = np.stack(
        [
            np.asarray(
                pc.fill_null(frames.column(name), -1).to_numpy(zero_copy_only=False), np.int64
            )
            for name in ("height", "width")
        ],
        axis=1,
    )
    return sizes[rows] if sizes.size else np.full((objects.num_rows, 2), -1, np.int64)


def check_mask_sizes(
    objects: pa.Table, frames: pa.Table, *, what: str = "prediction", source: str | None = None
) -> None:
    """Every mask of ``objects`` is the size of its frame (when the frame's is known):
    masks compared by IoU must be of one size."""
    if has_geometry(objects):
        _check_masks(objects.column("mask"), what, source, _frame_sizes_of(objects, frames))


def rasterise_polygons(objects: pa.Table, frames: pa.Table, *, what: str = "label",
                       source: str | None = None) -> pa.Table:  # fmt: skip
    """``objects`` (labels or predictions with geometry) with the mask of every row that
    has polygons but no mask filled in: its polygons rasterised on its frame's size and
    united, as pycocotools' ``annToRLE`` does. A frame without a size is an error."""
    from shoal.engine.masks.column import masks_from_polygon_arrays, masks_to_strings

    if not has_geometry(objects):
        return objects
    polygons = objects.column("polygon").combine_chunks()
    todo = np.flatnonzero(
        np.asarray(
            pc.and_(polygons.is_valid(), objects.column("mask").is_null()).to_numpy(
                zero_copy_only=False
            )
        )
    )
    if not todo.size:
        return objects
    sizes = _frame_sizes_of(objects, frames)[todo]
    if (bad := _first(sizes[:, 0] < 0)) is not None:
        raise InputError(
            f"{what} has a polygon but its frame has no width and height to rasterise it on",
            source=source,
            record=int(todo[bad]),
        )
    # The rings' coordinates straight from the Arrow buffers (validated: even counts).
    chosen = polygons.take(pa.array(todo))
    rings = chosen.flatten()
    owner = np.asarray(pc.list_parent_indices(chosen).to_numpy(zero_copy_only=False), np.int64)
    ring_offsets = np.zeros(len(rings) + 1, np.int64)
    np.cumsum(pc.list_value_length(rings).to_numpy(zero_copy_only=False), out=ring_offsets[1:])
    coords = np.ascontiguousarray(rings.flatten().to_numpy(zero_copy_only=False), np.float64)
    heights = np.ascontiguousarray(sizes[:, 0], np.int64)
    widths = np.ascontiguousarray(sizes[:, 1], np.int64)
    counts = masks_to_strings(
        masks_from_polygon_arrays(coords, ring_offsets, owner, todo.size, heights, widths)
    )
    masks = objects.column("mask").to_pylist()
    for row, (height, width), text in zip(todo.tolist(), sizes.tolist(), counts, strict=True):
        masks[row] = {"height": height, "width": width, "counts": text}
    index = objects.schema.get_field_index("mask")
    return objects.set_column(index, objects.schema.field(index), pa.array(masks, MASK_TYPE))


def with_box_areas(inferences: InferenceTables) -> InferenceTables:
    """``inferences`` whose masks' COCO area is their box's ``w * h``, as pycocotools'
    ``loadRes`` sets it for results whose first record has a bbox (kept in the
    predictions' schema metadata; by default a mask's area is its pixels)."""
    meta = dict(inferences.predictions.schema.metadata or {})
    meta[_AREA_KEY] = b"box"
    predictions = inferences.predictions.replace_schema_metadata(meta)
    return InferenceTables(predictions, inferences.embeddings)


def areas_are_boxes(predictions: pa.Table) -> bool:
    """Whether ``predictions``' masks count their box's area (:func:`with_box_areas`)."""
    return (predictions.schema.metadata or {}).get(_AREA_KEY) == b"box"


def keypoint_schemas(labels: pa.Table | DatasetTables) -> dict[str, KeypointSchema]:
    """The keypoint names, skeleton and OKS sigmas of each class, as the dataset keeps
    them (:class:`shoal.engine.keypoints.KeypointSchema`)."""
    table = labels.labels if isinstance(labels, DatasetTables) else labels
    meta = table.schema.metadata or {}
    if _KEYPOINTS_KEY not in meta:
        return {}
    import orjson

    try:
        kept = orjson.loads(meta[_KEYPOINTS_KEY])
    except orjson.JSONDecodeError:
        return {}
    from shoal.engine.keypoints import KeypointSchema

    return {
        name: KeypointSchema(
            tuple(str(n) for n in value.get("names", [])),
            tuple((int(a), int(b)) for a, b in value.get("skeleton", [])),
            sigmas=np.asarray(value.get("sigmas", []), np.float64),
        )
        for name, value in kept.items()
    }


def with_keypoint_schemas(
    dataset: DatasetTables, schemas: Mapping[str, KeypointSchema], *, source: str | None = None
) -> DatasetTables:
    """``dataset`` keeping ``schemas`` (class name -> keypoint names, skeleton and
    sigmas); each label of those classes must have one triple per keypoint name."""
    import orjson

    labels = dataset.labels
    if has_geometry(labels) and schemas:
        lengths = np.asarray(
            pc.fill_null(pc.list_value_length(labels.column("keypoints")), -1).to_numpy(
                zero_copy_only=False
            )
        )
        classes = labels.column("class_name").to_pylist()
        expected = np.asarray([3 * len(schemas[c].names) if c in schemas else -2 for c in classes])
        wrong = (lengths >= 0) & (expected >= 0) & (lengths != expected)
        if (bad := _first(wrong)) is not None:
            raise InputError(
                f"label keypoints has {lengths[bad] // 3} triples but class {classes[bad]!r} "
                f"has {expected[bad] // 3} keypoints",
                source=source,
                record=bad,
            )
    meta = dict(labels.schema.metadata or {})
    meta[_KEYPOINTS_KEY] = orjson.dumps({k: v.to_dict() for k, v in schemas.items()})
    return DatasetTables(dataset.frames, labels.replace_schema_metadata(meta), dataset.embeddings)


def _fill_boxes(table: pa.Table) -> pa.Table:
    """Rows without a box but with a mask, keypoints or points get the box of that
    geometry (pycocotools' ``toBbox`` for masks; the labeled points' extent else)."""
    if not has_geometry(table) or table.num_rows == 0:
        return table
    boxless = np.asarray(table.column("x").is_null().to_numpy(zero_copy_only=False))
    if not boxless.any():
        return table
    from shoal.engine.masks import masks_from_strings

    boxes = _boxes(table)
    present, heights, widths, counts = _mask_parts(table.column("mask"))
    use = boxless[present]
    if use.any():
        kept = [c for c, u in zip(counts, use, strict=True) if u]
        boxes[present[use]] = masks_from_strings(kept, heights[use], widths[use]).bbox
        boxless[present[use]] = False
    for column, stride in (("keypoints", 3), ("points", 2)):
        values = table.column(column).to_pylist()
        for row in np.flatnonzero(boxless).tolist():
            flat = values[row]
            if not flat:
                continue
            xy = np.asarray(flat, np.float64).reshape(-1, stride)
            if stride == 3:
                xy = xy[xy[:, 2] > 0]
            if not xy.size:
                continue
            low, high = xy[:, :2].min(axis=0), xy[:, :2].max(axis=0)
            boxes[row] = (low[0], low[1], high[0] - low[0], high[1] - low[1])
            boxless[row] = False
    filled = ~np.isnan(boxes[:, 0])
    for field, name in enumerate(("x", "y", "width", "height")):
        index = table.schema.get_field_index(name)
        table = table.set_column(index, name, pa.array(boxes[:, field], pa.float64(), mask=~filled))
    return table


@dataclass(frozen=True, eq=False)
class DatasetTables:
    """A labeled dataset: frames, their labels and optional embeddings (validated)."""

    frames: pa.Table
    labels: pa.Table
    embeddings: pa.Table

    @classmethod
    def build(
        cls,
        frames: pa.Table,
        labels: pa.Table,
        embeddings: pa.Table | None = None,
        *,
        source: str | None = None,
        require_boxes: bool = False,
    ) -> DatasetTables:
        """Conform columns to the schema and validate everything; raises ``InputError``
        naming ``source``, the record and the problem."""
        frames = _conform_frames(frames, source)
        schemas = keypoint_schemas(labels)
        labels = _with_geometry(
            labels, _conform(labels, LABELS_SCHEMA, "label", source), "label", source
        )
        _check_not_null(labels, ("label_id", "frame_id", "class_name"), "label", source)
        _check_unique(labels.column("label_id"), "label id", source)
        _frame_ids_known(labels.column("frame_id"), frames.column("frame_id"), "label", source)
        if has_geometry(labels):
            sizes = _frame_sizes_of(labels, frames)
            _check_geometry(labels, "label", source, sizes)
            labels = _fill_boxes(rasterise_polygons(labels, frames, source=source))
        _check_boxes(labels, "label", source, required=require_boxes)
        area = np.asarray(labels.column("area").to_numpy(zero_copy_only=False), dtype=np.float64)
        if (bad := _first(~np.isnan(area) & ~(np.isfinite(area) & (area >= 0)))) is not None:
            raise InputError(
                f"label area {area[bad]} is not a finite number >= 0", source=source, record=bad
            )
        embeddings = _conform(
            embeddings if embeddings is not None else empty_embeddings(),
            EMBEDDINGS_SCHEMA,
            "embedding",
            source,
        )
        _frame_ids_known(
            embeddings.column("frame_id"), frames.column("frame_id"), "embedding", source
        )
        built = cls(frames, labels, embeddings)
        return with_keypoint_schemas(built, schemas, source=source) if schemas else built

    @property
    def class_names(self) -> list[str]:
        """Every class name the labels use, sorted."""
        return sorted(set(self.labels.column("class_name").to_pylist()))

    @property
    def metadata_keys(self) -> list[str]:
        return [n for n in self.frames.column_names if n not in FRAME_COLUMNS.names]


def _conform_frames(frames: pa.Table, source: str | None) -> pa.Table:
    base = _conform(
        frames.select([n for n in FRAME_COLUMNS.names if n in frames.column_names]),
        FRAME_COLUMNS,
        "frame",
        source,
    )
    _check_not_null(base, ("frame_id",), "frame", source)
    _check_unique(base.column("frame_id"), "frame id", source)
    for name in ("width", "height"):
        values = np.asarray(base.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)
        if (bad := _first(~np.isnan(values) & (values <= 0))) is not None:
            raise InputError(
                f"frame {name} {values[bad]:g} is not positive", source=source, record=bad
            )
    columns, names = list(base.columns), list(base.column_names)
    for name in frames.column_names:
        if name in FRAME_COLUMNS.names:
            continue
        if metadata_key_problem(name) is not None:
            raise InputError(f"metadata key {name!r} is reserved", source=source)
        column = frames.column(name)
        if column.type not in _METADATA_TYPES:
            target = (
                pa.int64() if pa.types.is_integer(column.type)
                else pa.float64() if pa.types.is_floating(column.type)
                else pa.string()
            )  # fmt: skip
            try:
                column = column.cast(target)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
                raise InputError(
                    f"metadata {name!r} of type {column.type} is not supported", source=source
                ) from error
        columns.append(column)
        names.append(name)
    return pa.Table.from_arrays(columns, names=names)


@dataclass(frozen=True, eq=False)
class InferenceTables:
    """A model's predictions on a dataset's frames, and optional embeddings."""

    predictions: pa.Table
    embeddings: pa.Table

    @classmethod
    def build(
        cls,
        predictions: pa.Table,
        embeddings: pa.Table | None = None,
        *,
        frame_ids: pa.ChunkedArray | None = None,
        source: str | None = None,
        require_boxes: bool = False,
    ) -> InferenceTables:
        """Conform and validate; with ``frame_ids`` (the dataset's), unknown frames are
        errors. A missing ``prediction_id`` column is numbered 1..n; a missing
        ``confidence`` counts as 1.0."""
        box_areas = areas_are_boxes(predictions)
        if "prediction_id" not in predictions.column_names:
            ids = pa.array([str(i) for i in range(1, predictions.num_rows + 1)], pa.string())
            predictions = predictions.append_column("prediction_id", ids)
        if "confidence" not in predictions.column_names:
            predictions = predictions.append_column(
                "confidence", pa.array(np.ones(predictions.num_rows))
            )
        predictions = _with_geometry(
            predictions,
            _conform(predictions, PREDICTIONS_SCHEMA, "prediction", source),
            "prediction",
            source,
        )
        _check_not_null(
            predictions, ("prediction_id", "frame_id", "class_name"), "prediction", source
        )
        _check_unique(predictions.column("prediction_id"), "prediction id", source)
        if has_geometry(predictions):
            _check_geometry(predictions, "prediction", source)
            predictions = _fill_boxes(predictions)
        _check_boxes(predictions, "prediction", source, required=require_boxes)
        # A null confidence counts as 1.0, as a missing COCO score does; NaN is an error.
        filled = pc.fill_null(predictions.column("confidence"), 1.0)
        confidence = np.asarray(filled.to_numpy(zero_copy_only=False), dtype=np.float64)
        if (bad := _first(confidence_problems(confidence))) is not None:
            raise InputError(
                f"confidence {confidence[bad]} is not in [0, 1]", source=source, record=bad
            )
        predictions = predictions.set_column(
            PREDICTIONS_SCHEMA.get_field_index("confidence"), "confidence", pa.array(confidence)
        )
        if frame_ids is not None:
            _frame_ids_known(predictions.column("frame_id"), frame_ids, "prediction", source)
        embeddings = _conform(
            embeddings if embeddings is not None else empty_embeddings(),
            EMBEDDINGS_SCHEMA,
            "embedding",
            source,
        )
        built = cls(predictions, embeddings)
        return with_box_areas(built) if box_areas else built

    @property
    def class_names(self) -> list[str]:
        return sorted(set(self.predictions.column("class_name").to_pylist()))


def _positions(values: pa.ChunkedArray, value_set: pa.Array, what: str) -> np.ndarray:
    """Index of each value in ``value_set`` (vectorized); an unknown value is an error."""
    index = pc.index_in(values, value_set=value_set)
    if (bad := _first(index.is_null())) is not None:
        raise InputError(f"{what} {values[bad].as_py()!r} is unknown", record=bad)
    return np.asarray(index.to_numpy(zero_copy_only=False), dtype=np.int32)


def _class_index(names: pa.ChunkedArray, classes: Classes, what: str) -> np.ndarray:
    known = pa.array(classes.names.tolist(), pa.string())
    try:
        return _positions(names, known, f"{what} class")
    except InputError as error:
        raise InputError(
            f"{error.message} (not in the project's classes)", record=error.record
        ) from None


def _boxes(table: pa.Table) -> np.ndarray:
    """(rows, 4) x, y, width, height, written chunk by chunk into one array (no
    concatenated column, no stacked copy)."""
    boxes = np.empty((table.num_rows, 4), np.float64)
    for field, name in enumerate(("x", "y", "width", "height")):
        row = 0
        for chunk in table.column(name).chunks:
            boxes[row : row + len(chunk), field] = chunk.to_numpy(zero_copy_only=False)
            row += len(chunk)
    return boxes


def _strings(column: pa.ChunkedArray) -> np.ndarray:
    return np.asarray(column.to_numpy(zero_copy_only=False)).astype(np.str_)


def to_ground_truth(
    dataset: DatasetTables, classes: Classes, *, ignored_classes: Sequence[str] = ()
) -> GroundTruth:
    """The engine's columns for a (validated) dataset's boxes. Labels of
    ``ignored_classes`` (and labels marked ``ignore``) are kept as ignored ground truth;
    frame ids stay strings. Engine ids are 1-based row numbers of the labels table."""
    labels = dataset.labels
    boxes = _boxes(labels)
    area = np.asarray(labels.column("area").to_numpy(zero_copy_only=False), dtype=np.float64)
    area = np.where(np.isnan(area), boxes[:, 2] * boxes[:, 3], area)
    ignore = np.asarray(labels.column("ignore").to_numpy(zero_copy_only=False), dtype=bool)
    if ignored_classes:
        ignored = pc.is_in(labels.column("class_name"), value_set=pa.array(list(ignored_classes)))
        ignore |= np.asarray(ignored.to_numpy(zero_copy_only=False), dtype=bool)
    frame_ids = dataset.frames.column("frame_id").combine_chunks()
    return GroundTruth(
        frame_ids=_strings(dataset.frames.column("frame_id")),
        classes=classes,
        frame=_positions(labels.column("frame_id"), frame_ids, "label frame"),
        label=_class_index(labels.column("class_name"), classes, "label"),
        box=np.ascontiguousarray(boxes),
        area=area,
        iscrowd=np.asarray(labels.column("iscrowd").to_numpy(zero_copy_only=False), dtype=bool),
        ignore=ignore,
        ids=np.arange(1, labels.num_rows + 1, dtype=np.int64),
    )


def to_predictions(inferences: InferenceTables, ground_truth: GroundTruth) -> Predictions:
    """The engine's columns for a (validated) inference set's boxes, on ``ground_truth``'s
    frames. Engine ids are 1-based row numbers of the predictions table."""
    predictions = inferences.predictions
    frame_ids = pa.array(ground_truth.frame_ids.tolist(), pa.string())
    return Predictions(
        frame=_positions(predictions.column("frame_id"), frame_ids, "prediction frame"),
        label=_class_index(predictions.column("class_name"), ground_truth.classes, "prediction"),
        box=np.ascontiguousarray(_boxes(predictions)),
        score=np.asarray(
            predictions.column("confidence").to_numpy(zero_copy_only=False), dtype=np.float64
        ),
        ids=np.arange(1, predictions.num_rows + 1, dtype=np.int64),
    )
