"""COCO instances JSON and COCO results to and from Shoal's tables.

Ground truth read by :func:`from_coco` (a path, or the parsed dict)::

    {"images": [{"id": 1, "file_name": "a.jpg", "width": 640, "height": 480, ...}],
     "annotations": [{"id": 7, "image_id": 1, "category_id": 3,
                      "bbox": [x, y, w, h], "area": 812.5, "iscrowd": 0, ...}],
     "categories": [{"id": 3, "name": "dog", "supercategory": "animal"}]}

* frames: ``frame_id = str(id)`` (ids are integers or strings), ``image_uri =
  file_name``, ``width``, ``height``; any other scalar image key (``license``,
  ``date_captured``...) becomes frame metadata, except Shoal's reserved names.
* labels: ``label_id = str(id)`` (when no annotation has an id they are numbered 1..n),
  ``class_name`` = the category's name, ``bbox`` in pixels (required), ``area`` as
  given (null when absent, meaning w * h), ``iscrowd``, ``ignore`` = the COCO ``ignore``
  flag only with ``ignore_flag=True`` (by default it is kept as an attribute and does
  not count, as in pycocotools; see :mod:`shoal.formats.coco`), ``attributes`` = JSON
  of every other key (``num_keypoints`` included, so it is written back).
* geometry (:mod:`shoal.tables`): a ``segmentation`` of polygons is kept as ``polygon``
  (a list of ``[x, y, w, h]`` boxes as their corner rings) and rasterised to ``mask`` on
  the image's size, as ``annToRLE`` does; an RLE one, compressed or not, as ``mask``
  (compressed); ``keypoints`` as ``keypoints``. The ``shape`` is ``keypoints`` when the
  annotation has keypoints, else ``polygon`` or ``mask`` (``box`` without a
  segmentation, or with ``[]``). A file with neither gets no geometry columns.
  Categories' ``keypoints`` (names) and ``skeleton`` become the dataset's keypoint
  schemas. Masks and keypoints are read and checked by the segm and keypoints readers
  (:mod:`shoal.formats._coco_masks`, :mod:`shoal.formats._coco_keypoints`: the
  ``shoal eval`` ones), from the one parse of the file.
* the categories (ids, names, supercategories) are remembered by the dataset, so that
  :func:`as_coco` writes the same ids and :func:`from_coco_results` reads results that
  use them.

Results read by :func:`from_coco_results`: a list of ``{"image_id", "category_id",
"bbox": [x, y, w, h], "score"}`` (missing score = 1.0; other keys ignored, except a
``segmentation``, polygons or RLE, kept as for the ground truth, and ``keypoints``), read
by the segm / keypoints reader of ``shoal eval`` when records carry them, with
``loadRes``' rules: when the first record has a bbox, every bbox is kept, a mask's COCO
area is its box's ``w * h`` (:func:`shoal.tables.with_box_areas`) and a record without a
segmentation (or with ``[]``) is a ``box`` whose mask is its box; else a record's box is
``toBbox`` of its mask (area: the mask's), or for keypoints their extent (every
keypoint); or a
dataset-shaped dict whose ``annotations`` all carry scores, in which case its own
``images`` (matched to the dataset's frames by ``file_name`` = ``image_uri``) and
``categories`` (matched by name) are used. A dict whose annotations have no score is a
ground-truth file, and is refused.

Both are read by the one COCO reader (:mod:`shoal.formats.coco`, which ``shoal eval``
uses too): the same checks, the same messages, the same numbers.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from shoal.engine.detection.annotations import Classes
from shoal.engine.keypoints import PointLists
from shoal.engine.masks import MaskColumn
from shoal.engine.masks.column import masks_to_strings

if TYPE_CHECKING:
    from shoal.engine.keypoints import KeypointSchema
from shoal.errors import InputError
from shoal.formats._coco_keypoints import (
    CocoKeypointResults,
    annotation_keypoints,
    parse_coco_keypoint_results,
)
from shoal.formats._coco_masks import (
    CocoMaskResults,
    annotation_masks,
    parse_coco_mask_results,
    polygon_rings,
)
from shoal.formats._rows import (
    FrameRows,
    PathLike,
    attributes_of,
    describe,
    remembered,
    with_remembered,
)
from shoal.formats._validation import check_metadata_key
from shoal.formats.coco import (
    CocoGroundTruth,
    CocoResults,
    _read_source,
    parse_coco_ground_truth,
    parse_coco_results,
)
from shoal.tables import (
    LABELS_SCHEMA,
    MASK_TYPE,
    PREDICTIONS_SCHEMA,
    DatasetTables,
    InferenceTables,
    empty_embeddings,
    keypoint_schemas,
    with_box_areas,
    with_keypoint_schemas,
)

__all__ = ["as_coco", "as_coco_results", "category_ids", "from_coco", "from_coco_results"]

_IMAGE_KEYS = {"id", "file_name", "width", "height"}
_ANNOTATION_KEYS = {"id", "image_id", "category_id", "bbox", "area", "iscrowd", "ignore"}
_GEOMETRY_KEYS = {"segmentation", "keypoints"}
_CATEGORIES = "coco_categories"


def _parsed_ground_truth(source: PathLike | Mapping[str, Any]) -> CocoGroundTruth:
    if isinstance(source, str | os.PathLike):
        return parse_coco_ground_truth(source, keep_records=True)
    if not isinstance(source, Mapping):
        raise InputError(f"is {describe(source)}, expected a COCO object", source="<COCO data>")
    parsed = parse_coco_ground_truth(dict(source), keep_records=True)
    return replace(parsed, source="<COCO data>")


def _frames(parsed: CocoGroundTruth, name: str) -> FrameRows:
    frames = FrameRows()
    for index, image in enumerate(parsed.images or []):
        where = f"images[{index}]"
        metadata = {}
        for key, value in image.items():
            if key in _IMAGE_KEYS:
                continue
            check_metadata_key(key, name, where)
            metadata[key] = value
        frames.add(
            str(image["id"]),
            image.get("file_name"),
            image.get("width"),
            image.get("height"),
            source=name,
            record=where,
            metadata=metadata,
        )
    return frames


def _labels(
    parsed: CocoGroundTruth, ignore_flag: bool, geometry: dict[str, pa.Array] | None
) -> pa.Table:
    count = int(parsed.image.size)
    image_names = pa.array([str(i) for i in parsed.image_ids.tolist()], pa.string())
    class_names = pa.array(parsed.classes.names.tolist(), pa.string())
    ids = (
        np.arange(1, count + 1).astype(np.str_)
        if parsed.ids is None
        else np.asarray(parsed.ids).astype(np.str_)
    )
    # What the label columns hold is not an attribute; an ignore flag that does not
    # count stays one, so that as_coco writes it back.
    known = _ANNOTATION_KEYS | _GEOMETRY_KEYS
    if not ignore_flag:
        known = known - {"ignore"}
    attributes = []
    for annotation in parsed.annotations or []:
        extra = {k: v for k, v in annotation.items() if k not in known}
        attributes.append(orjson.dumps(extra).decode() if extra else None)
    area = parsed.area
    box = parsed.box
    table = pa.table(
        {
            "label_id": pa.array(ids.tolist(), pa.string()),
            "frame_id": image_names.take(pa.array(parsed.image)),
            "class_name": class_names.take(pa.array(parsed.label)),
            "x": box[:, 0],
            "y": box[:, 1],
            "width": box[:, 2],
            "height": box[:, 3],
            "area": pa.array(area, pa.float64(), mask=np.isnan(area)),
            "iscrowd": pa.array(parsed.iscrowd, pa.bool_()),
            "ignore": pa.array(parsed.ignore if ignore_flag else np.zeros(count, bool)),
            "attributes": pa.array(attributes, pa.string()),
        },
        schema=LABELS_SCHEMA,
    )
    if geometry is not None:
        for name, column in geometry.items():
            table = table.append_column(name, column)
    return table


def _label_geometry(
    parsed: CocoGroundTruth,
) -> tuple[dict[str, pa.Array] | None, dict[str, KeypointSchema]]:
    """The labels' geometry columns (None when no annotation has a ``segmentation`` or
    ``keypoints``) and the keypoint schemas of the categories that name keypoints, from
    the segm and keypoints readers' checks of the parse's records."""
    annotations = parsed.annotations or []
    with_masks = any("segmentation" in r for r in annotations)
    with_keypoints = any("keypoints" in r for r in annotations)
    named = [c for c in parsed.categories if c.get("keypoints") is not None]
    if not with_masks and not with_keypoints and not named:
        return None, {}
    masks = mask_rows = polygons = keypoints = None
    schemas: dict[str, KeypointSchema] = {}
    if with_masks:
        masks, mask_rows = annotation_masks(parsed, every=False)
        polygons = polygon_rings([annotations[row]["segmentation"] for row in mask_rows.tolist()])
    if with_keypoints or named:
        read = annotation_keypoints(parsed)
        keypoints = read.keypoints if with_keypoints else None
        by_name = read.schema_by_name()
        schemas = {str(c["name"]): by_name[str(c["name"])] for c in named}
    if not with_masks and not with_keypoints:
        return None, schemas
    return _geometry_arrays(len(annotations), masks, polygons, keypoints, rows=mask_rows), schemas


def from_coco(source: PathLike | Mapping[str, Any], *, ignore_flag: bool = False) -> DatasetTables:
    """A COCO instances file (or its parsed dict) as a dataset; layout in the module doc.
    ``ignore_flag=True`` honours the annotations' ``ignore`` flags (pycocotools does not)."""
    parsed = _parsed_ground_truth(source)
    name = parsed.source or "<COCO data>"
    categories = [
        {k: category[k] for k in ("id", "name", "supercategory") if k in category}
        for category in parsed.categories
    ]
    geometry, schemas = _label_geometry(parsed)
    dataset = DatasetTables.build(
        _frames(parsed, name).table(), _labels(parsed, ignore_flag, geometry), source=name
    )
    if schemas:
        dataset = with_keypoint_schemas(dataset, schemas, source=name)
    return with_remembered(dataset, {_CATEGORIES: categories})


def category_ids(dataset: DatasetTables) -> dict[str, int]:
    """The COCO category id of each class, by name, for a dataset read by ``from_coco``
    (empty for other datasets). A project made by the import keeps them as its class
    ids, so its COCO summary runs over classes in the file's id order, as pycocotools'
    does, and equals pycocotools' to the last bit."""
    return {
        str(c["name"]): c["id"]
        for c in remembered(dataset, _CATEGORIES) or []
        if "name" in c and type(c.get("id")) is int
    }


def _canonical_int(text: str) -> int | None:
    """``int(text)`` when ``text`` is exactly how Python writes that int, else None."""
    try:
        value = int(text)
    except ValueError:
        return None
    return value if str(value) == text else None


def _ids_as_written(ids: Sequence[str]) -> list[int] | list[str]:
    """Integers when every id is one written plainly (so ids read from COCO go back as
    they were), else the strings."""
    as_ints = [_canonical_int(i) for i in ids]
    if all(v is not None for v in as_ints):
        return [v for v in as_ints if v is not None]
    return list(ids)


def _category_list(dataset: DatasetTables, class_names: Sequence[str]) -> list[dict[str, Any]]:
    """The remembered COCO categories, plus any new class numbered after them (a dataset
    from another format gets ids 1..n in sorted name order)."""
    categories: list[dict[str, Any]] = [dict(c) for c in remembered(dataset, _CATEGORIES) or []]
    known = {c["name"] for c in categories}
    next_id = 1 + max((c["id"] for c in categories if isinstance(c["id"], int)), default=0)
    for class_name in sorted(set(class_names) - known):
        categories.append({"id": next_id, "name": class_name})
        next_id += 1
    return categories


def _write_json(value: Any, path: PathLike | None) -> None:
    if path is not None:
        Path(path).write_bytes(orjson.dumps(value))


def as_coco(dataset: DatasetTables, path: PathLike | None = None) -> dict[str, Any]:
    """The dataset as a COCO instances dict (also written to ``path`` when given).

    Image and annotation ids are integers when every frame / label id is an integer
    written plainly, else strings; categories keep the ids they were read with. ``area``
    is always written (``w * h`` when null) because COCO evaluators need it; frame
    metadata become image keys, label attributes become annotation keys. Labels without
    a box cannot be written (COCO instances are boxes): they are an error."""
    frames = dataset.frames.to_pylist()
    labels = dataset.labels.to_pylist()
    image_ids = _ids_as_written([f["frame_id"] for f in frames])
    image_id_of = dict(zip((f["frame_id"] for f in frames), image_ids, strict=True))
    label_ids = _ids_as_written([row["label_id"] for row in labels])
    categories = _category_list(dataset, dataset.class_names)
    category_of = {c["name"]: c["id"] for c in categories}

    images = []
    for frame, image_id in zip(frames, image_ids, strict=True):
        image: dict[str, Any] = {"id": image_id}
        if frame["image_uri"] is not None:
            image["file_name"] = frame["image_uri"]
        if frame["width"] is not None and frame["height"] is not None:
            image["width"], image["height"] = frame["width"], frame["height"]
        image.update({k: frame[k] for k in dataset.metadata_keys if frame[k] is not None})
        images.append(image)

    schemas = keypoint_schemas(dataset)
    for category in categories:
        schema = schemas.get(category["name"])
        if schema is not None:
            category.update(
                keypoints=list(schema.names), skeleton=[list(p) for p in schema.skeleton]
            )

    annotations = []
    for record, (row, label_id) in enumerate(zip(labels, label_ids, strict=True)):
        if row["x"] is None:
            raise InputError(
                f"label {row['label_id']!r} has no box: COCO instances hold boxes only",
                record=record,
            )
        box = [row["x"], row["y"], row["width"], row["height"]]
        annotation: dict[str, Any] = {
            "id": label_id,
            "image_id": image_id_of[row["frame_id"]],
            "category_id": category_of[row["class_name"]],
            "bbox": box,
            "area": row["area"] if row["area"] is not None else _area(row, box),
            "iscrowd": int(row["iscrowd"]),
        }
        if row["ignore"]:
            annotation["ignore"] = 1
        annotation.update(_coco_geometry(row, "label", record))
        annotation.update(attributes_of(row))
        if "keypoints" in annotation and "num_keypoints" not in annotation:
            annotation["num_keypoints"] = sum(v > 0 for v in annotation["keypoints"][2::3])
        annotations.append(annotation)
    document = {"images": images, "annotations": annotations, "categories": categories}
    _write_json(document, path)
    return document


def _area(row: Mapping[str, Any], box: list[float]) -> float:
    """A label's COCO area when the table has none: its mask's pixels, else w * h."""
    mask = row.get("mask")
    if mask is None:
        return box[2] * box[3]
    from shoal.engine.masks import rle_area, rle_from_string

    return float(rle_area([rle_from_string(mask["counts"], mask["height"], mask["width"])])[0])


def _coco_geometry(row: Mapping[str, Any], what: str, record: int) -> dict[str, Any]:
    """A row's geometry as COCO keys: ``segmentation`` (its polygons as read, else its
    mask as a compressed RLE) and ``keypoints``. Polylines and points have no COCO form."""
    written: dict[str, Any] = {}
    if row.get("shape") in {"polyline", "point"}:
        raise InputError(
            f"{what} {row.get(what + '_id')!r} is a {row['shape']}: COCO holds boxes, masks, "
            "polygons and keypoints",
            record=record,
        )
    if row.get("polygon") is not None:
        written["segmentation"] = row["polygon"]
    elif row.get("mask") is not None:
        mask = row["mask"]
        written["segmentation"] = {
            "size": [mask["height"], mask["width"]],
            "counts": mask["counts"],
        }
    if row.get("keypoints") is not None:
        written["keypoints"] = row["keypoints"]
    return written


def _category_names(
    categories: Mapping[Any, str] | Sequence[Mapping[str, Any]] | None, dataset: DatasetTables
) -> Classes:
    """The category ids and names results use: the argument's, else the dataset's."""
    if categories is None:
        pairs = [(c["id"], c["name"]) for c in _category_list(dataset, dataset.class_names)]
    elif isinstance(categories, Mapping):
        pairs = list(categories.items())
    else:
        pairs = [(c["id"], c["name"]) for c in categories]
    ids = []
    for category_id, _ in pairs:
        number = category_id if type(category_id) is int else None
        if isinstance(category_id, str):
            number = _canonical_int(category_id)
        if number is None:
            raise InputError(f"category id {describe(category_id)} is not an integer")
        ids.append(number)
    return Classes.from_ids(np.asarray(ids, dtype=np.int64), [str(n) for _, n in pairs])


def _integer_ids(values: Sequence[str]) -> np.ndarray | None:
    """``values`` as int64 when every one is an integer written plainly, else None."""
    try:
        numbers = np.asarray([int(v) for v in values], dtype=np.int64)
    except (ValueError, OverflowError):
        return None
    if any(str(n) != v for n, v in zip(numbers.tolist(), values, strict=True)):
        return None
    return numbers


def from_coco_results(
    source: PathLike | Sequence[Any] | Mapping[str, Any],
    dataset: DatasetTables,
    *,
    categories: Mapping[Any, str] | Sequence[Mapping[str, Any]] | None = None,
) -> InferenceTables:
    """COCO detection results on ``dataset``'s frames; layout in the module doc.

    ``image_id`` must be a frame id of the dataset (``str(image_id)``). Category ids are
    resolved by ``categories`` (``{id: name}`` or a COCO categories list) when given, else
    by the categories the dataset was read with (:func:`from_coco`), else by the ids
    :func:`as_coco` assigns. Prediction ids are the 1-based record positions."""
    read = _read_results(source)
    results = read.results
    frame_names = dataset.frames.column("frame_id").to_pylist()
    frame_keys: np.ndarray = np.asarray(frame_names, dtype=np.str_)
    if results.images is None and results.image_ids.dtype.kind in "iu":
        # Integer ids meet frame ids that are integers written plainly as integers (the
        # fast common case), any others as text.
        numbers = _integer_ids(frame_names)
        if numbers is not None:
            frame_keys = numbers
        else:
            results = replace(results, image_ids=results.image_ids.astype(np.str_))
    classes = _category_names(categories, dataset)
    frame, label = results.resolve(
        frame_keys, classes, file_names=dataset.frames.column("image_uri").to_pylist()
    )
    n = len(results)
    box = results.box
    geometry = None
    if read.masks is not None or read.keypoints is not None:
        box, geometry = _result_geometry(read, _frame_sizes(dataset.frames)[frame])
    predictions = pa.table(
        {
            "prediction_id": pa.array(np.arange(1, n + 1).astype(np.str_)),
            "frame_id": pa.array(frame_names, pa.string()).take(pa.array(frame)),
            "class_name": pa.array(classes.names.tolist(), pa.string()).take(pa.array(label)),
            "x": box[:, 0],
            "y": box[:, 1],
            "width": box[:, 2],
            "height": box[:, 3],
            "confidence": results.score,
            "probabilities": pa.nulls(n, pa.list_(pa.float32())),
        },
        schema=PREDICTIONS_SCHEMA,
    )
    if geometry is None:
        # Ids are positions (unique by construction) and every record was checked above.
        return InferenceTables(predictions, empty_embeddings())
    for name, column in geometry.items():
        predictions = predictions.append_column(name, column)
    # The masks were checked against their frames' sizes by the reader.
    built = InferenceTables.build(predictions, source=results.source or "<COCO data>")
    return with_box_areas(built) if read.box_first else built


@dataclass(frozen=True)
class _ReadResults:
    """A results file through the one COCO reader: its columns, and the segm and
    keypoints readings of its geometry when its records carry some."""

    results: CocoResults
    masks: CocoMaskResults | None = None
    keypoints: CocoKeypointResults | None = None
    box_first: bool = True  # loadRes: the first record's bbox keeps every bbox


def _read_results(source: PathLike | Sequence[Any] | Mapping[str, Any]) -> _ReadResults:
    """The results read once: by the segm reader when records carry a ``segmentation``,
    by the keypoints reader when they carry ``keypoints`` (both when both), else by the
    boxes reader (the fast reading of a file with neither word)."""
    document: Any
    if isinstance(source, str | os.PathLike):
        _, data, _ = _read_source(source)
        assert data is not None
        with_masks = data.find(b'"segmentation"') >= 0
        with_keypoints = data.find(b'"keypoints"') >= 0
        del data
        document, name = source, os.fspath(source)
    else:
        document = dict(source) if isinstance(source, Mapping) else source
        if not isinstance(document, list) and not isinstance(document, dict):
            document = list(document)
        name = "<COCO data>"
        records = document.get("annotations") if isinstance(document, dict) else document
        records = records if isinstance(records, list) else []
        with_masks = any(isinstance(r, dict) and "segmentation" in r for r in records)
        with_keypoints = any(isinstance(r, dict) and "keypoints" in r for r in records)
    if not with_masks and not with_keypoints:
        return _ReadResults(replace(parse_coco_results(document), source=name))
    masks = keypoints = None
    if with_masks:
        masks = parse_coco_mask_results(document)
        masks = replace(masks, results=replace(masks.results, source=name))
        if masks.without_segmentation().all():  # boxes only (empty placeholders)
            if not with_keypoints:
                return _ReadResults(masks.results)
            masks = None
    if with_keypoints:
        keypoints = parse_coco_keypoint_results(document)
        keypoints = replace(keypoints, results=replace(keypoints.results, source=name))
    read = masks if masks is not None else keypoints
    assert read is not None
    box_first = (
        masks.area is not None
        if masks is not None
        else bool(keypoints is not None and keypoints.box_given)
    )
    return _ReadResults(read.results, masks, keypoints, box_first)


def _frame_sizes(frames: pa.Table) -> np.ndarray:
    """(F, 2) height, width of each frame, -1 where unknown."""
    return np.stack(
        [
            np.asarray(pc.fill_null(frames.column(c), -1).to_numpy(zero_copy_only=False), np.int64)
            for c in ("height", "width")
        ],
        axis=1,
    ).reshape(-1, 2)


def _result_geometry(
    read: _ReadResults, sizes: np.ndarray
) -> tuple[np.ndarray, dict[str, pa.Array]]:
    """The predictions' boxes (loadRes' rules) and geometry columns from the reader's
    masks and keypoints (``sizes``: each record's frame's height, width)."""
    box = read.results.box
    masks = polygons = points = None
    boxes_only = None
    if read.masks is not None:
        masks, box, _ = read.masks.masks_and_boxes(sizes)
        polygons = read.masks.polygons()
        boxes_only = read.masks.without_segmentation()
    if read.keypoints is not None:
        points = read.keypoints.keypoints
        if read.masks is None:
            box = read.keypoints.results.box
    return box, _geometry_arrays(len(read.results), masks, polygons, points, boxes_only)


def _geometry_arrays(
    count: int,
    masks: MaskColumn | None,
    polygons: list[Any] | None,
    keypoints: PointLists | None,
    boxes_only: np.ndarray | None = None,
    *,
    rows: np.ndarray | None = None,
) -> dict[str, pa.Array]:
    """The five geometry columns of ``count`` objects from the readers' columns: the
    masks of ``rows`` (every object when None) and their polygons as read (None for an
    RLE), keypoints (none: null); ``boxes_only`` rows are boxes (their mask, the box's,
    is what a segm evaluation reads)."""
    shapes = np.full(count, "box", object)
    mask_column: pa.Array = pa.nulls(count, MASK_TYPE)
    polygon_column: pa.Array = pa.nulls(count, pa.list_(pa.list_(pa.float64())))
    if masks is not None:
        at = np.arange(count) if rows is None else rows
        heights = np.zeros(count, np.int32)
        widths = np.zeros(count, np.int32)
        heights[at], widths[at] = masks.height, masks.width
        strings = masks_to_strings(masks)
        if rows is not None:
            spread: list[str | None] = [None] * count
            for row, text in zip(rows.tolist(), strings, strict=True):
                spread[row] = text
            strings = spread  # type: ignore[assignment]
        present = np.zeros(count, np.bool_)
        present[at] = True
        mask_column = pa.StructArray.from_arrays(
            [pa.array(heights), pa.array(widths), pa.array(strings, pa.string())],
            fields=list(MASK_TYPE),
            mask=None if rows is None else pa.array(~present),
        )
        shapes[at] = "mask"
        if polygons is not None:
            if rows is not None:
                spread_polygons: list[Any] = [None] * count
                for row, rings in zip(rows.tolist(), polygons, strict=True):
                    spread_polygons[row] = rings
                polygons = spread_polygons
            shapes[[p is not None for p in polygons]] = "polygon"
            polygon_column = pa.array(polygons, pa.list_(pa.list_(pa.float64())))
        if boxes_only is not None:
            shapes[boxes_only] = "box"
    if keypoints is not None:
        has = keypoints.counts > 0
        shapes[has] = "keypoints"
        keypoint_column = pa.ListArray.from_arrays(
            pa.array(keypoints.offsets * 3, pa.int32()),
            pa.array(keypoints.points.reshape(-1), pa.float64()),
            mask=pa.array(~has),
        )
    else:
        keypoint_column = pa.nulls(count, pa.list_(pa.float64()))
    return {
        "shape": pa.array(shapes.tolist(), pa.string()),
        "mask": mask_column,
        "polygon": polygon_column,
        "keypoints": keypoint_column,
        "points": pa.nulls(count, pa.list_(pa.float64())),
    }


def as_coco_results(
    inferences: InferenceTables, dataset: DatasetTables, path: PathLike | None = None
) -> list[dict[str, Any]]:
    """Box predictions as a COCO results list (also written to ``path``): image and
    category ids as :func:`as_coco` writes them for ``dataset``."""
    frame_ids = dataset.frames.column("frame_id").to_pylist()
    image_id_of = dict(zip(frame_ids, _ids_as_written(frame_ids), strict=True))
    names = set(dataset.class_names) | set(inferences.class_names)
    category_of = {c["name"]: c["id"] for c in _category_list(dataset, sorted(names))}
    results = []
    for record, row in enumerate(inferences.predictions.to_pylist()):
        if row["x"] is None:
            raise InputError(
                f"prediction {row['prediction_id']!r} has no box: COCO results hold boxes only",
                record=record,
            )
        if row["frame_id"] not in image_id_of:
            raise InputError(
                f"prediction frame {row['frame_id']!r} is not in the dataset", record=record
            )
        result = {
            "image_id": image_id_of[row["frame_id"]],
            "category_id": category_of[row["class_name"]],
            "bbox": [row["x"], row["y"], row["width"], row["height"]],
            "score": row["confidence"],
        }
        geometry = _coco_geometry(row, "prediction", record)
        mask = row.get("mask")
        if isinstance(geometry.get("segmentation"), list) and mask is not None:
            # loadRes reads result polygons only after a bbox-led record: their masks.
            geometry["segmentation"] = {
                "size": [mask["height"], mask["width"]],
                "counts": mask["counts"],
            }
        result.update(geometry)
        results.append(result)
    _write_json(results, path)
    return results
