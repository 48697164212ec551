"""Read COCO instances ground truth and COCO results into Shoal's detection columns.

The values read are exactly those pycocotools holds after ``COCO(...)`` and
``loadRes(...)``, so metrics computed from them match pycocotools:

* Frames are the ``images`` sorted by id (pycocotools evaluates ``sorted(imgIds)``),
  classes are the ``categories`` sorted by id. Image ids are all integers or all
  strings; annotation and prediction rows keep their file order.
* Ground truth ``area`` is read as given (COCO's segmentation area, not ``w * h``);
  an annotation without ``area`` gets ``w * h``. ``iscrowd`` defaults to 0. A COCO
  ``ignore`` flag is not read: pycocotools' ``COCOeval`` overwrites it with
  ``iscrowd``, and crowd regions already get that treatment through ``iscrowd``.
* Results keep only ``image_id``, ``category_id``, ``bbox`` and ``score`` (1.0 when
  missing); any other key (``segmentation``, ``area``, ``id``...) is ignored, as in
  ``loadRes`` for results that carry a bbox. Prediction ids are 1-based file
  positions, like the ids ``loadRes`` assigns. A segmentation result without a
  ``bbox`` gets the bbox of its RLE mask, as ``loadRes`` computes it (slow path only;
  the mask area is not kept, predictions have no area column).

Unlike pycocotools these readers reject, with an :class:`InputError` naming the file,
the record and the problem: unknown image or category ids, boxes that are not four
finite numbers or have a negative size, scores outside [0, 1], duplicate ids,
integral float ids such as ``42.0``, and malformed JSON.

The results file is the hot path (hundreds of thousands of records): it is scanned
straight into columns by a C scanner (:mod:`shoal.formats._json_columns`), with
``orjson`` and per-record Python checks as the exact fallback for anything unusual.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from numpy.typing import NDArray

from shoal.engine.detection.annotations import Classes, GroundTruth, Predictions
from shoal.errors import InputError

__all__ = ["CocoSource", "ProgressCallback", "read_coco_ground_truth", "read_coco_results"]

CocoSource = str | os.PathLike[str] | bytes | dict[str, Any] | list[Any]
"""A path to a JSON file, the file's bytes, or the already-parsed JSON value."""

ProgressCallback = Callable[[int, int], None]
"""``progress(done, total)``; units are arbitrary, ``done == total`` at the end."""

# Records per scanner call: a handful of progress updates for a COCO-sized file.
_SCAN_CHUNK_ROWS = 65536
# Number tokens per scanner call that only float() rounds with certainty (over 18
# significant digits, halfway cases, subnormals); the scanner pauses when full.
_SLOW_TOKEN_CAPACITY = 16384
# The shortest record the scanner accepts is about 47 bytes
# ({"image_id":0,"category_id":0,"bbox":[0,0,0,0]}), so this rarely has to grow.
_BYTES_PER_RECORD_LOWER_BOUND = 40


# --------------------------------------------------------------------------- loading


def _read_source(source: CocoSource) -> tuple[str | None, bytes | None, Any]:
    """``(name for errors, raw bytes or None, parsed value or None)``."""
    if isinstance(source, bytes | bytearray | memoryview):
        return "<bytes>", bytes(source), None
    if isinstance(source, str | os.PathLike):
        name = os.fspath(source)
        try:
            return name, Path(name).read_bytes(), None
        except OSError as error:
            raise InputError(f"cannot read the file: {error.strerror}", source=name) from None
    return None, None, source


def _parse_json(data: bytes, name: str | None) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise InputError(
            f"malformed JSON at line {error.lineno}, column {error.colno} "
            f"(offset {error.pos}): {error.msg}",
            source=name,
        ) from None


def _describe(value: Any) -> str:
    """A short JSON-like rendering of a user value for an error message."""
    try:
        text = json.dumps(value, default=repr)  # Infinity/NaN stay visible, unlike orjson
    except ValueError:  # circular structure
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _type_name(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)


# ----------------------------------------------------------------- column helpers


def _is_number(value: Any) -> bool:
    return type(value) in (int, float)


def _int_column(values: list[Any]) -> NDArray[np.int64] | None:
    """The values as int64 if they are all Python ints that fit, else None."""
    if not set(map(type, values)) <= {int}:
        return None
    try:
        return np.array(values, dtype=np.int64).reshape(-1)
    except OverflowError:
        return None


def _float_matrix(values: list[Any], width: int) -> NDArray[np.float64] | None:
    """``(len(values), width)`` float64 from lists of numbers, else None."""
    if not values:
        return np.zeros((0, width), np.float64)
    try:
        array = np.array(values)
    except (ValueError, TypeError, OverflowError):
        return None
    if array.dtype.kind not in "iuf" or array.shape != (len(values), width):
        return None
    return array.astype(np.float64)


def _float_vector(values: list[Any]) -> NDArray[np.float64] | None:
    if not set(map(type, values)) <= {int, float}:
        return None
    try:
        return np.array(values, dtype=np.float64).reshape(-1)
    except OverflowError:
        return None


def _id_column(values: list[Any]) -> NDArray[np.int64] | NDArray[np.str_] | None:
    """Ids as int64 or str, or None when they are neither or mix the two."""
    kinds = set(map(type, values))
    if kinds <= {int}:
        return _int_column(values)
    if kinds <= {str}:
        return np.array(values, dtype=np.str_).reshape(-1)
    return None


def _first_true(mask: NDArray[np.bool_]) -> int | None:
    hits = np.flatnonzero(mask)
    return int(hits[0]) if hits.size else None


def _first_repeat(ids: NDArray[Any]) -> int | None:
    """Index of the first entry (in file order) whose value appeared earlier."""
    if ids.size < 2:
        return None
    order = np.argsort(ids, kind="stable")
    repeated = ids[order[1:]] == ids[order[:-1]]
    return int(order[1:][repeated].min()) if repeated.any() else None


def _lookup(
    known: NDArray[Any], wanted: NDArray[Any]
) -> tuple[NDArray[np.int32], NDArray[np.bool_]]:
    """Index of each ``wanted`` id in ``known`` and whether it was found."""
    order = np.argsort(known, kind="stable")
    sorted_known = known[order]
    if sorted_known.size == 0:
        return np.zeros(wanted.size, np.int32), np.zeros(wanted.size, np.bool_)
    position = np.minimum(np.searchsorted(sorted_known, wanted), sorted_known.size - 1)
    found = sorted_known[position] == wanted
    return order[position].astype(np.int32), np.asarray(found, dtype=np.bool_)


def _id_text(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str | np.str_) else str(value)


def _kind_word(kind: str) -> str:
    return "strings" if kind in "US" else "integers"


def _box_problem(box: NDArray[np.float64]) -> NDArray[np.bool_]:
    finite = np.isfinite(box).all(axis=1)
    return np.asarray(~finite | (box[:, 2] < 0) | (box[:, 3] < 0), dtype=np.bool_)


def _box_message(box: NDArray[np.float64]) -> str:
    values = box.tolist()
    if not np.isfinite(box).all():
        return f"bbox {values} is not 4 finite numbers"
    return f"bbox {values} has a negative width or height"


def _check_bbox_value(bbox: Any) -> str | None:
    """What is wrong with a bbox value, or None."""
    if not isinstance(bbox, list | tuple):
        return f"bbox must be an array of 4 numbers, got {_type_name(bbox)}"
    if len(bbox) != 4 or not all(_is_number(v) for v in bbox):
        return f"bbox must be 4 numbers [x, y, width, height], got {_describe(list(bbox))}"
    return None


# ----------------------------------------------------------------- ground truth


def read_coco_ground_truth(
    source: CocoSource, *, progress: ProgressCallback | None = None
) -> GroundTruth:
    """Ground truth from a COCO instances JSON (path, bytes or parsed dict).

    Raises :class:`InputError` naming the file and record (``images[3]``,
    ``annotations[17]``...) for anything pycocotools could not evaluate.
    """
    # The parse makes hundreds of thousands of small objects and none of them can form a
    # reference cycle: pausing the cycle collector saves about a quarter of the load.
    with _collector_paused():
        return _read_ground_truth(source, progress)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _read_ground_truth(source: CocoSource, progress: ProgressCallback | None) -> GroundTruth:
    name, data, document = _read_source(source)
    total_steps = 3
    if progress is not None:
        progress(0, total_steps)
    if data is not None:
        document = _parse_json(data, name)
    if progress is not None:
        progress(1, total_steps)
    if not isinstance(document, dict):
        raise InputError(
            "expected a COCO object with images, annotations and categories, "
            f"got {_type_name(document)}",
            source=name,
        )
    images = _list_member(document, "images", name, required=True)
    categories = _list_member(document, "categories", name, required=True)
    annotations = _list_member(document, "annotations", name, required=False)

    image_ids = _image_ids(images, name)
    classes = _categories(categories, name)
    columns = _annotation_columns(annotations, name)
    if progress is not None:
        progress(2, total_steps)
    _check_image_id_kinds(image_ids, columns.image_ids, name)

    frame_ids = _sorted_frame_ids(image_ids, name)
    ground_truth = _ground_truth(frame_ids, classes, columns, name)
    if progress is not None:
        progress(total_steps, total_steps)
    return ground_truth


def _list_member(
    document: dict[str, Any], key: str, name: str | None, *, required: bool
) -> list[Any]:
    if key not in document:
        if required:
            raise InputError(f'missing "{key}" list', source=name)
        return []
    value = document[key]
    if not isinstance(value, list):
        raise InputError(f'"{key}" must be an array, got {_type_name(value)}', source=name)
    return value


def _image_ids(images: list[Any], name: str | None) -> list[Any]:
    try:
        return [image["id"] for image in images]
    except (KeyError, TypeError):
        pass
    for index, image in enumerate(images):
        if not isinstance(image, dict):
            raise InputError(
                f"expected an object, got {_type_name(image)}",
                source=name,
                record=f"images[{index}]",
            )
        if "id" not in image:
            raise InputError('missing "id"', source=name, record=f"images[{index}]")
    raise AssertionError("unreachable: images were checked above")


def _check_image_id_kinds(
    image_ids: list[Any], referenced_ids: list[Any], name: str | None
) -> None:
    """All image ids (``images[].id`` and ``annotations[].image_id``) must be ints or
    all strings; otherwise name the first record of the less common kind."""
    kinds = set(map(type, image_ids)) | set(map(type, referenced_ids))
    if kinds <= {int} or kinds <= {str}:
        return
    places = [("images", "image id", image_ids), ("annotations", "image_id", referenced_ids)]
    for table, field, ids in places:
        for index, value in enumerate(ids):
            if type(value) not in (int, str):
                raise InputError(
                    f"{field} {_describe(value)} must be an integer or a string",
                    source=name,
                    record=f"{table}[{index}]",
                )
    strings = sum(type(v) is str for v in image_ids) + sum(type(v) is str for v in referenced_ids)
    integers = len(image_ids) + len(referenced_ids) - strings
    odd_kind = int if strings > integers else str
    for table, field, ids in places:
        for index, value in enumerate(ids):
            if type(value) is odd_kind:
                what = "a string" if odd_kind is str else "an integer"
                others = "integers" if odd_kind is str else "strings"
                raise InputError(
                    f"{field} {_id_text(value)} is {what} but other ids are {others}",
                    source=name,
                    record=f"{table}[{index}]",
                )


def _sorted_frame_ids(image_ids: list[Any], name: str | None) -> NDArray[Any]:
    ids = _id_column(image_ids)
    if ids is None:  # ints too large for int64
        for index, value in enumerate(image_ids):
            if isinstance(value, int) and not -(2**63) <= value < 2**63:
                raise InputError(
                    f"image id {value} does not fit in 64 bits",
                    source=name,
                    record=f"images[{index}]",
                )
        raise AssertionError("unreachable: image id kinds were checked")
    repeat = _first_repeat(ids)
    if repeat is not None:
        raise InputError(
            f"duplicate image id {_id_text(ids[repeat])}", source=name, record=f"images[{repeat}]"
        )
    return np.sort(ids)


def _categories(categories: list[Any], name: str | None) -> Classes:
    ids: list[int] = []
    names: list[str] = []
    for index, category in enumerate(categories):
        where = f"categories[{index}]"
        if not isinstance(category, dict):
            raise InputError(
                f"expected an object, got {_type_name(category)}", source=name, record=where
            )
        if "id" not in category:
            raise InputError('missing "id"', source=name, record=where)
        class_id = category["id"]
        if type(class_id) is not int or not -(2**63) <= class_id < 2**63:
            raise InputError(
                f"category id {_describe(class_id)} must be an integer", source=name, record=where
            )
        label = category.get("name", str(class_id))
        if not isinstance(label, str):
            raise InputError(
                f"category name {_describe(label)} must be a string", source=name, record=where
            )
        ids.append(class_id)
        names.append(label)
    id_array = np.array(ids, dtype=np.int64)
    repeat = _first_repeat(id_array)
    if repeat is not None:
        raise InputError(
            f"duplicate category id {ids[repeat]}", source=name, record=f"categories[{repeat}]"
        )
    order = np.argsort(id_array, kind="stable")
    return Classes(ids=id_array[order], names=np.array(names, dtype=np.str_).reshape(-1)[order])


class _AnnotationColumns:
    """Annotation fields in file order, before ids are resolved to indices."""

    __slots__ = ("area", "box", "class_ids", "ids", "image_ids", "iscrowd")

    def __init__(
        self,
        image_ids: list[Any],
        class_ids: NDArray[np.int64],
        box: NDArray[np.float64],
        area: NDArray[np.float64],
        iscrowd: NDArray[np.bool_],
        ids: NDArray[np.int64],
    ) -> None:
        self.image_ids = image_ids
        self.class_ids = class_ids
        self.box = box
        self.area = area
        self.iscrowd = iscrowd
        self.ids = ids


def _member_list(records: list[dict[str, Any]], key: str, default: Any) -> list[Any]:
    """``record.get(key, default)`` for each record; subscripting first because it is
    faster than ``.get`` and the key is usually present."""
    try:
        return [record[key] for record in records]
    except KeyError:
        return [record.get(key, default) for record in records]


def _annotation_columns(annotations: list[Any], name: str | None) -> _AnnotationColumns:
    """Columns via list comprehensions and NumPy; a per-record pass only when
    something is off, to name the record."""
    try:
        image_ids = [a["image_id"] for a in annotations]
        class_list = [a["category_id"] for a in annotations]
        box_list = [a["bbox"] for a in annotations]
        area_list = _member_list(annotations, "area", None)
        crowd_list = _member_list(annotations, "iscrowd", 0)
        id_list = _member_list(annotations, "id", None)
    except (KeyError, TypeError, AttributeError):
        return _annotation_columns_per_record(annotations, name)
    class_ids = _int_column(class_list)
    box = _float_matrix(box_list, 4)
    crowd = _int_column([int(v) if type(v) is bool else v for v in crowd_list])
    if class_ids is None or box is None or crowd is None:
        return _annotation_columns_per_record(annotations, name)
    if None in area_list:
        area_list = [
            a if a is not None else w * h
            for a, (_, _, w, h) in zip(area_list, box.tolist(), strict=True)
        ]
    area = _float_vector(area_list)
    if None in id_list and any(i is not None for i in id_list):
        return _annotation_columns_per_record(annotations, name)
    ids = (
        np.arange(1, len(annotations) + 1, dtype=np.int64)
        if annotations and id_list[0] is None
        else _int_column(id_list)
    )
    if area is None or ids is None:
        return _annotation_columns_per_record(annotations, name)
    return _AnnotationColumns(image_ids, class_ids, box, area, crowd != 0, ids)


def _annotation_columns_per_record(annotations: list[Any], name: str | None) -> _AnnotationColumns:
    """The exact, slow reading: checks each annotation and names the first bad one."""
    ids_given = any(isinstance(a, dict) and "id" in a for a in annotations)
    image_ids: list[Any] = []
    class_ids: list[int] = []
    boxes: list[list[float]] = []
    areas: list[float] = []
    crowds: list[bool] = []
    ann_ids: list[int] = []
    for index, annotation in enumerate(annotations):
        where = f"annotations[{index}]"

        def fail(message: str, where: str = where) -> InputError:
            return InputError(message, source=name, record=where)

        if not isinstance(annotation, dict):
            raise fail(f"expected an object, got {_type_name(annotation)}")
        for key in ("image_id", "category_id", "bbox"):
            if key not in annotation:
                raise fail(f'missing "{key}"')
        category = annotation["category_id"]
        if type(category) is not int or not -(2**63) <= category < 2**63:
            raise fail(f"category_id {_describe(category)} must be an integer")
        problem = _check_bbox_value(annotation["bbox"])
        if problem is not None:
            raise fail(problem)
        box = [float(v) for v in annotation["bbox"]]
        area = annotation.get("area", box[2] * box[3])
        if not _is_number(area):
            raise fail(f"area {_describe(area)} must be a number")
        crowd = annotation.get("iscrowd", 0)
        if type(crowd) not in (int, bool):
            raise fail(f"iscrowd {_describe(crowd)} must be 0 or 1")
        if ids_given:
            if "id" not in annotation:
                raise fail('missing "id" (other annotations have one)')
            ann_id = annotation["id"]
            if type(ann_id) is not int or not -(2**63) <= ann_id < 2**63:
                raise fail(f"annotation id {_describe(ann_id)} must be an integer")
        else:
            ann_id = index + 1
        image_ids.append(annotation["image_id"])
        class_ids.append(category)
        boxes.append(box)
        areas.append(float(area))
        crowds.append(bool(crowd))
        ann_ids.append(ann_id)
    return _AnnotationColumns(
        image_ids,
        np.array(class_ids, dtype=np.int64),
        np.array(boxes, dtype=np.float64).reshape(-1, 4),
        np.array(areas, dtype=np.float64),
        np.array(crowds, dtype=np.bool_),
        np.array(ann_ids, dtype=np.int64),
    )


def _ground_truth(
    frame_ids: NDArray[Any], classes: Classes, columns: _AnnotationColumns, name: str | None
) -> GroundTruth:
    count = len(columns.image_ids)
    wanted_frames = _id_column(columns.image_ids)
    if wanted_frames is None:
        # Kinds were checked, so only an out-of-range integer can get here.
        wanted_frames = np.array([min(max(v, -(2**63)), 2**63 - 1) for v in columns.image_ids])
    if count == 0:
        wanted_frames = np.zeros(0, frame_ids.dtype)
    frame, frame_found = _lookup(frame_ids, wanted_frames)
    label, label_found = _lookup(classes.ids, columns.class_ids)
    problems = [
        (~frame_found, lambda i: f"image_id {_id_text(columns.image_ids[i])} is not in images"),
        (~label_found, lambda i: f"category_id {columns.class_ids[i]} is not in categories"),
        (_box_problem(columns.box), lambda i: _box_message(columns.box[i])),
        (~np.isfinite(columns.area), lambda i: f"area {columns.area[i]} is not finite"),
    ]
    _raise_first_problem(problems, name, "annotations")
    repeat = _first_repeat(columns.ids)
    if repeat is not None:
        raise InputError(
            f"duplicate annotation id {columns.ids[repeat]}",
            source=name,
            record=f"annotations[{repeat}]",
        )
    return GroundTruth(
        frame_ids=frame_ids,
        classes=classes,
        frame=frame,
        label=label,
        box=np.ascontiguousarray(columns.box),
        area=columns.area,
        iscrowd=columns.iscrowd,
        # pycocotools evaluates COCO with ignore == iscrowd; Shoal's iscrowd column
        # already carries that meaning, so nothing else is ignored.
        ignore=np.zeros(count, np.bool_),
        ids=columns.ids,
    )


def _raise_first_problem(
    problems: Sequence[tuple[NDArray[np.bool_], Callable[[int], str]]],
    name: str | None,
    table: str | None,
) -> None:
    """Raise for the earliest record flagged by any mask, with that mask's message."""
    first: tuple[int, Callable[[int], str]] | None = None
    for mask, message in problems:
        index = _first_true(mask)
        if index is not None and (first is None or index < first[0]):
            first = (index, message)
    if first is not None:
        index, message = first
        record: int | str = index if table is None else f"{table}[{index}]"
        raise InputError(message(index), source=name, record=record)


# --------------------------------------------------------------------- results


def read_coco_results(
    source: CocoSource,
    ground_truth: GroundTruth,
    *,
    progress: ProgressCallback | None = None,
) -> Predictions:
    """Predictions from a COCO results JSON (path, bytes or parsed list).

    The value is a list of ``{"image_id", "category_id", "bbox", "score"}`` objects
    (or an object whose ``"annotations"`` list holds them). Records are numbered from
    0 in errors; prediction ids are numbered from 1, as ``loadRes`` does.
    """
    name, data, document = _read_source(source)
    total = len(data) if data is not None else 1
    if progress is not None:
        progress(0, total)
    columns = _scan_results(data, progress) if data is not None else None
    if columns is None:
        if data is not None:
            document = _parse_json(data, name)
        columns = _result_columns_from_value(document, name)
    image_ids, class_ids, box, score = columns
    predictions = _predictions(ground_truth, image_ids, class_ids, box, score, name)
    if progress is not None:
        progress(total, total)
    return predictions


_ResultColumns = tuple[
    NDArray[np.int64] | NDArray[np.str_],
    NDArray[np.int64],
    NDArray[np.float64],
    NDArray[np.float64],
]


def _scan_results(data: bytes, progress: ProgressCallback | None) -> _ResultColumns | None:
    """The C fast path; None when the file needs the exact slow path."""
    # Imported here so that importing shoal.formats loads no native library.
    from shoal.formats import _json_columns as scanner

    buffer = np.frombuffer(data, dtype=np.uint8)
    status, position = scanner.open_array(buffer)
    capacity = len(data) // _BYTES_PER_RECORD_LOWER_BOUND + 1
    image_ids = np.empty(capacity, np.int64)
    class_ids = np.empty(capacity, np.int64)
    # Separate box and score arrays, so the result is views, not copies.
    box = np.empty((capacity, 4), np.float64)
    score = np.empty(capacity, np.float64)
    slow_tokens = max(_SLOW_TOKEN_CAPACITY, scanner.FIELDS_PER_ROW)
    slow_start = np.empty(slow_tokens, np.int64)
    slow_end = np.empty(slow_tokens, np.int64)
    slow_slot = np.empty(slow_tokens, np.int64)
    rows = 0
    while status == scanner.SCAN_PAUSED:
        if rows == capacity:  # a safety net: the lower bound makes this unlikely
            capacity *= 2
            image_ids = np.resize(image_ids, capacity)
            class_ids = np.resize(class_ids, capacity)
            box = np.resize(box, (capacity, 4))
            score = np.resize(score, capacity)
        status, position, written, slow_count = scanner.scan_records(
            buffer,
            position,
            rows,
            _SCAN_CHUNK_ROWS,
            image_ids,
            class_ids,
            box,
            score,
            slow_start,
            slow_end,
            slow_slot,
        )
        if status == scanner.SCAN_UNSUPPORTED:
            return None
        if slow_count:
            # Long mantissas and large exponents: let Python round them exactly.
            starts = slow_start[:slow_count].tolist()
            ends = slow_end[:slow_count].tolist()
            exact = np.array(
                [float(data[s:e]) for s, e in zip(starts, ends, strict=True)], dtype=np.float64
            )
            if not np.isfinite(exact).all():
                return None  # 1e999: orjson rejects it, and words the error
            row, field = np.divmod(slow_slot[:slow_count], scanner.FIELDS_PER_ROW)
            in_box = field < 4
            box[row[in_box], field[in_box]] = exact[in_box]
            score[row[~in_box]] = exact[~in_box]
        rows += written
        if progress is not None:
            progress(int(position), len(data))
    if status != scanner.SCAN_DONE:
        return None
    return image_ids[:rows], class_ids[:rows], box[:rows], score[:rows]


def _result_records(document: Any, name: str | None) -> list[Any]:
    if isinstance(document, list):
        return document
    if isinstance(document, dict) and isinstance(document.get("annotations"), list):
        records: list[Any] = document["annotations"]
        # Guard against passing the ground-truth file as results.
        if records and isinstance(records[0], dict) and "score" not in records[0]:
            raise InputError(
                'expected results, got an object whose "annotations" have no "score" '
                "(a ground-truth file?)",
                source=name,
            )
        return records
    raise InputError(f"expected an array of detections, got {_type_name(document)}", source=name)


def _result_columns_from_value(document: Any, name: str | None) -> _ResultColumns:
    records = _result_records(document, name)
    try:
        image_list = [r["image_id"] for r in records]
        class_list = [r["category_id"] for r in records]
        box_list = [r["bbox"] for r in records]
        score_list = [r.get("score", 1.0) for r in records]
    except (KeyError, TypeError, AttributeError):
        return _result_columns_per_record(records, name)
    image_ids = _id_column(image_list)
    class_ids = _int_column(class_list)
    box = _float_matrix(box_list, 4)
    score = _float_vector(score_list)
    if image_ids is None or class_ids is None or box is None or score is None:
        return _result_columns_per_record(records, name)
    if not records:
        image_ids = np.zeros(0, np.int64)
    return image_ids, class_ids, box, score


def _result_columns_per_record(records: list[Any], name: str | None) -> _ResultColumns:
    """The exact, slow reading: checks each record and names the first bad one."""
    image_ids: list[Any] = []
    class_ids: list[int] = []
    boxes: list[list[float]] = []
    scores: list[float] = []
    id_kind: type | None = None
    for index, record in enumerate(records):

        def fail(message: str, index: int = index) -> InputError:
            return InputError(message, source=name, record=index)

        if not isinstance(record, dict):
            raise fail(f"expected an object, got {_type_name(record)}")
        for key in ("image_id", "category_id"):
            if key not in record:
                raise fail(f'missing "{key}"')
        bbox: Any = record.get("bbox")
        if "bbox" not in record:
            # Segmentation results may omit the bbox; loadRes derives it from the mask.
            if "segmentation" not in record:
                raise fail('missing "bbox"')
            bbox = _rle_bbox(record["segmentation"])
            if bbox is None:
                raise fail(
                    'missing "bbox", and "segmentation" is not an RLE mask to derive it from'
                )
        image_id = record["image_id"]
        if type(image_id) not in (int, str) or (
            type(image_id) is int and not -(2**63) <= image_id < 2**63
        ):
            raise fail(f"image_id {_describe(image_id)} must be an integer or a string")
        if id_kind is not None and type(image_id) is not id_kind:
            what = "a string" if type(image_id) is str else "an integer"
            others = "integers" if type(image_id) is str else "strings"
            raise fail(f"image_id {_id_text(image_id)} is {what} but earlier ids are {others}")
        id_kind = type(image_id)
        category = record["category_id"]
        if type(category) is not int or not -(2**63) <= category < 2**63:
            raise fail(f"category_id {_describe(category)} must be an integer")
        problem = _check_bbox_value(bbox)
        if problem is not None:
            raise fail(problem)
        score = record.get("score", 1.0)
        if not _is_number(score):
            raise fail(f"score {_describe(score)} must be a number")
        image_ids.append(image_id)
        class_ids.append(category)
        boxes.append([float(v) for v in bbox])
        scores.append(float(score))
    ids = _id_column(image_ids)
    return (
        ids if ids is not None and image_ids else np.zeros(0, np.int64),
        np.array(class_ids, dtype=np.int64),
        np.array(boxes, dtype=np.float64).reshape(-1, 4),
        np.array(scores, dtype=np.float64),
    )


def _rle_counts(counts: Any) -> list[int] | None:
    """Run lengths of a COCO RLE ``counts`` (a list, or the compressed string)."""
    if isinstance(counts, list):
        return counts if all(type(c) is int for c in counts) else None
    if not isinstance(counts, str):
        return None
    # The compressed form: 5-bit little-endian groups offset by 48, 0x20 = "more",
    # sign-extended, and from the third run on stored as a difference to runs[i - 2].
    runs: list[int] = []
    position = 0
    while position < len(counts):
        value = 0
        shift = 0
        more = True
        while more:
            if position >= len(counts):
                return None
            chunk = ord(counts[position]) - 48
            value |= (chunk & 0x1F) << shift
            more = bool(chunk & 0x20)
            position += 1
            shift += 5
            if not more and chunk & 0x10:
                value |= -1 << shift
        if len(runs) > 2:
            value += runs[-2]
        runs.append(value)
    return runs


def _rle_bbox(segmentation: Any) -> list[float] | None:
    """The bbox pycocotools' ``toBbox`` gives for an RLE mask, or None."""
    if not isinstance(segmentation, dict):
        return None
    size = segmentation.get("size")
    runs = _rle_counts(segmentation.get("counts"))
    if runs is None or not isinstance(size, list) or len(size) != 2:
        return None
    height, width = size
    if type(height) is not int or type(width) is not int or height <= 0:
        return None
    used = len(runs) // 2 * 2  # a trailing background run adds nothing
    if used == 0:
        return [0.0, 0.0, 0.0, 0.0]
    x_start, y_start, x_end, y_end = width, height, 0, 0
    covered = 0
    previous_x = 0
    for index in range(used):
        covered += runs[index]
        # Runs alternate background/foreground over column-major pixels; look at the
        # first pixel of each foreground run and the last one.
        pixel = covered - index % 2
        y = pixel % height
        x = (pixel - y) // height
        if index % 2 == 0:
            previous_x = x
        elif previous_x < x:  # the run wraps to another column: full height
            y_start, y_end = 0, height - 1
        x_start, x_end = min(x_start, x), max(x_end, x)
        y_start, y_end = min(y_start, y), max(y_end, y)
    return [float(x_start), float(y_start), float(x_end - x_start + 1), float(y_end - y_start + 1)]


def _predictions(
    ground_truth: GroundTruth,
    image_ids: NDArray[np.int64] | NDArray[np.str_],
    class_ids: NDArray[np.int64],
    box: NDArray[np.float64],
    score: NDArray[np.float64],
    name: str | None,
) -> Predictions:
    count = int(class_ids.size)
    known_frames = ground_truth.frame_ids
    if (
        count
        and known_frames.size
        and (image_ids.dtype.kind in "US") != (known_frames.dtype.kind in "US")
    ):
        what = "a string" if image_ids.dtype.kind in "US" else "an integer"
        raise InputError(
            f"image_id {_id_text(image_ids[0])} is {what} but the ground-truth image ids "
            f"are {_kind_word(known_frames.dtype.kind)}",
            source=name,
            record=0,
        )
    frame, frame_found = _lookup(known_frames, image_ids)
    label, label_found = _lookup(ground_truth.classes.ids, class_ids)
    problems = [
        (
            ~frame_found,
            lambda i: f"image_id {_id_text(image_ids[i])} is not in the ground truth",
        ),
        (
            ~label_found,
            lambda i: f"category_id {class_ids[i]} is not a ground-truth category",
        ),
        (_box_problem(box), lambda i: _box_message(box[i])),
        (~((score >= 0.0) & (score <= 1.0)), lambda i: f"score {score[i]} is not in [0, 1]"),
    ]
    _raise_first_problem(problems, name, None)
    return Predictions(
        frame=frame,
        label=label,
        box=box,
        score=score,
        ids=np.arange(1, count + 1, dtype=np.int64),
    )
