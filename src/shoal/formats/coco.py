"""The one reader of COCO: instances ground truth and detection results, read once and
projected two ways, into the engine's columns (:func:`read_coco_ground_truth`,
:func:`read_coco_results`, used by ``shoal.evaluate_detections`` and ``shoal eval``) and
into Shoal's tables (:mod:`shoal.formats.coco_tables`: ``from_coco``,
``from_coco_results``, ``shoal import``). Both projections come from the same parsed
values, so every path gives the same numbers.

The values are exactly those pycocotools holds after ``COCO(...)`` and ``loadRes(...)``:

* Frames are the ``images`` (the engine sorts them by id, as pycocotools evaluates
  ``sorted(imgIds)``), classes are the ``categories`` (the engine sorts them by id).
  Image ids are all integers or all strings; annotation and prediction rows keep their
  file order.
* Ground truth ``area`` is read as given (COCO's segmentation area, not ``w * h``); an
  annotation without ``area`` gets ``w * h``. ``iscrowd`` defaults to 0. Annotation ids
  are integers or strings (the engine numbers string ids 1..n by file position).
* **The ignore policy.** By default a COCO ``ignore`` flag does not count, as in
  pycocotools, whose ``COCOeval`` overwrites it with ``iscrowd`` (crowd regions get that
  treatment through ``iscrowd``); the tables keep the flag as a label attribute, so
  ``as_coco`` writes it back. With ``ignore_flag=True`` (``--honor-ignore`` in the CLI)
  an annotation with a true ``ignore`` is ignored ground truth: matched at most once and
  never counted, like a VOC ``difficult`` box.
* Results keep only ``image_id``, ``category_id``, ``bbox`` and ``score`` (1.0 when
  missing); any other key (``segmentation``, ``area``, ``id``...) is ignored, as in
  ``loadRes`` for results that carry a bbox. Prediction ids are 1-based file
  positions, like the ids ``loadRes`` assigns. A segmentation result without a
  ``bbox`` gets the bbox of its RLE mask, as ``loadRes`` computes it (slow path only;
  the mask area is not kept, predictions have no area column).
* Results are a list of records, or an object whose ``annotations`` all carry a
  ``score`` (its own ``images`` are matched to the ground truth's by ``file_name``, its
  own ``categories`` by name). An object whose annotations have no ``score`` is a
  ground-truth file, and is refused.

Unlike pycocotools these readers reject, with an :class:`InputError` naming the file,
the record and the problem: unknown image or category ids, boxes that are not four
finite numbers or have a negative size, scores outside [0, 1], duplicate ids,
integral float ids such as ``42.0``, NaN or infinite numbers (named by record and
field) and malformed JSON.

Both files are scanned straight into columns by a C scanner
(:mod:`shoal.formats._json_columns`; the ground truth's images and categories, a few
thousand records, through ``orjson``), with ``orjson`` and per-record Python checks as
the exact fallback for anything unusual, which also words every error. Files are
memory-mapped, not copied. :func:`read_coco_detections` reads the two files of an
evaluation at once, and a large results file in two halves at once, on threads: the
scanner releases the GIL.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import math
import mmap
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import numpy as np
import orjson
from numpy.typing import NDArray

from shoal._native import thread_count
from shoal._types import Progress
from shoal.engine.detection.annotations import Classes, GroundTruth, Predictions
from shoal.errors import InputError
from shoal.formats._validation import (
    box_problems,
    confidence_problems,
    describe_box_problem,
    plain,
)

__all__ = [
    "CocoGroundTruth",
    "CocoResults",
    "CocoSource",
    "parse_coco_ground_truth",
    "parse_coco_results",
    "read_coco_detections",
    "read_coco_ground_truth",
    "read_coco_keypoints",
    "read_coco_masks",
    "read_coco_results",
]

if TYPE_CHECKING:
    from shoal.formats._coco_keypoints import read_coco_keypoints
    from shoal.formats._coco_masks import read_coco_masks

# Readers of other COCO geometries, each in its own module (built on this one) and
# loaded on first use, so reading boxes loads no keypoint or mask kernel.
_READERS_ELSEWHERE = {
    "read_coco_keypoints": "shoal.formats._coco_keypoints",
    "read_coco_masks": "shoal.formats._coco_masks",
}


def __getattr__(name: str) -> Any:
    home = _READERS_ELSEWHERE.get(name)
    if home is None:
        raise AttributeError(f"module 'shoal.formats.coco' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)


_Value = TypeVar("_Value")

CocoSource = str | os.PathLike[str] | bytes | dict[str, Any] | list[Any]
"""A path to a JSON file, the file's bytes, or the already-parsed JSON value."""

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


_Bytes = bytes | mmap.mmap
"""A file's bytes: mapped from a path (no copy), or the bytes given."""


def _read_source(source: CocoSource) -> tuple[str | None, _Bytes | None, Any]:
    """``(name for errors, raw bytes or None, parsed value or None)``."""
    if isinstance(source, bytes | bytearray | memoryview):
        return "<bytes>", bytes(source), None
    if isinstance(source, str | os.PathLike):
        name = os.fspath(source)
        try:
            return name, _map_file(name), None
        except OSError as error:
            raise InputError(f"cannot read the file: {error.strerror}", source=name) from None
    return None, None, source


def _map_file(path: str) -> _Bytes:
    """The file mapped read-only: the scanners read the page cache directly, with no
    copy into a second buffer of the file's size; the pages go when the map does."""
    with open(path, "rb") as file:
        size = os.fstat(file.fileno()).st_size
        if size == 0 or not hasattr(mmap, "MAP_POPULATE"):
            return file.read()  # an empty file cannot be mapped; a system without
            # MAP_POPULATE (not Linux) reads the file: faulting pages in one by one costs more
        # MAP_POPULATE: the whole file in one system call, not one page fault per 4 kB.
        return mmap.mmap(
            file.fileno(), size, flags=mmap.MAP_SHARED | mmap.MAP_POPULATE, prot=mmap.PROT_READ
        )


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999: not a number JSON can hold
        raise ValueError(text)
    return value


def _parse_json(data: _Bytes, name: str | None) -> Any:
    if isinstance(data, mmap.mmap):
        data = data[:]  # the slow path: orjson and json take bytes
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as error:
        problem = error
    # NaN and Infinity are not JSON, but Python writes them: read them so the record
    # and field holding one can be named by the checks that follow.
    try:
        return json.loads(data, parse_float=_finite_float)
    except (ValueError, RecursionError):
        pass
    raise InputError(
        f"malformed JSON at line {problem.lineno}, column {problem.colno} "
        f"(offset {problem.pos}): {problem.msg}",
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
        try:
            return np.array(values, dtype=np.int64).reshape(-1)
        except OverflowError:
            return None
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
    """Index of each ``wanted`` id in ``known`` and whether it was found (the first
    index, should ``known`` repeat an id)."""
    if known.dtype.kind == "i" and wanted.dtype.kind == "i" and known.size:
        dense = _lookup_dense(known, wanted)
        if dense is not None:
            return dense
    order = np.argsort(known, kind="stable")
    sorted_known = known[order]
    if sorted_known.size == 0:
        return np.zeros(wanted.size, np.int32), np.zeros(wanted.size, np.bool_)
    position = np.minimum(np.searchsorted(sorted_known, wanted), sorted_known.size - 1)
    found = sorted_known[position] == wanted
    return order[position].astype(np.int32), np.asarray(found, dtype=np.bool_)


def _lookup_dense(
    known: NDArray[np.int64], wanted: NDArray[np.int64]
) -> tuple[NDArray[np.int32], NDArray[np.bool_]] | None:
    """:func:`_lookup` through a table indexed by id, when the ids span a range not
    much larger than their number (COCO's image and category ids): one gather per
    wanted id instead of a binary search, several times faster over a million rows."""
    low, high = int(known.min()), int(known.max())
    span = high - low + 1
    # Far from the int64 limits, ``wanted - low`` can only wrap around to values far
    # outside the table, so the clip below still marks them not found.
    if span > 4 * known.size + 65536 or low < -(2**62) or high >= 2**62:
        return None
    # Slot 0 and the last slot stand for ids below and above the range: not found (-1).
    table = np.full(span + 2, -1, np.int32)
    # Written last to first, so that a repeated id keeps its first index.
    table[known[::-1] - (low - 1)] = np.arange(known.size - 1, -1, -1, dtype=np.int32)
    slot = wanted - (low - 1)
    np.clip(slot, 0, span + 1, out=slot)
    index = table[slot]
    found = index >= 0
    return np.maximum(index, 0, out=index), found


def _id_text(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str | np.str_) else str(value)


def _record_id_problem(field: str, value: Any, earlier_kind: type | None) -> str | None:
    """Why ``value`` cannot be a record's ``field``: an id is a 64-bit integer or a string,
    of the same kind as the ids before it (``earlier_kind``, None for the first)."""
    if type(value) not in (int, str) or (type(value) is int and not -(2**63) <= value < 2**63):
        return f"{field} {_describe(value)} must be an integer or a string"
    if earlier_kind is not None and type(value) is not earlier_kind:
        what = "a string" if type(value) is str else "an integer"
        others = "integers" if type(value) is str else "strings"
        return f"{field} {_id_text(value)} is {what} but earlier ids are {others}"
    return None


def _kind_word(kind: str) -> str:
    return "strings" if kind in "US" else "integers"


def _check_bbox_value(bbox: Any) -> str | None:
    """What is wrong with a bbox value, or None."""
    if not isinstance(bbox, list | tuple):
        return f"bbox must be an array of 4 numbers, got {_type_name(bbox)}"
    if len(bbox) == 4:
        for value in bbox:
            if not _is_number(value):
                return f"bbox must be 4 numbers: {_describe(value)} is not a number"
    if len(bbox) != 4:
        return (
            f"bbox must be 4 numbers: expected [x, y, width, height], got {_describe(list(bbox))}"
        )
    return None


def _flag_value(value: Any) -> bool | None:
    """A COCO 0/1 flag (``iscrowd``, ``ignore``) as a bool; None if it is not one."""
    if type(value) in (int, bool):
        return bool(value)
    return None


# ----------------------------------------------------------------- ground truth


@dataclass(frozen=True, eq=False)
class CocoGroundTruth:
    """A COCO instances file, read and checked once; :meth:`ground_truth` and
    :func:`shoal.formats.coco_tables.from_coco` project it.

    ``categories`` are the file's records; ``images`` and ``annotations`` too, when the
    parse keeps them (the tables need their other keys; the engine does not). The columns
    below hold one value per annotation (``area`` is NaN where the file gives none,
    ``ignore`` is the file's flag), in file order.
    """

    source: str | None
    image_ids: NDArray[Any]  # int64 or str, file order
    file_names: list[Any]  # each image's file_name (None when absent), file order
    categories: list[dict[str, Any]]
    classes: Classes  # sorted by category id
    images: list[dict[str, Any]] | None
    annotations: list[dict[str, Any]] | None
    image: NDArray[np.int32]  # index into ``images``
    label: NDArray[np.int32]  # index into ``classes``
    box: NDArray[np.float64]
    area: NDArray[np.float64]
    iscrowd: NDArray[np.bool_]
    ignore: NDArray[np.bool_]
    ids: NDArray[Any] | None  # int64 or str annotation ids; None when the file has none

    def ground_truth(self, *, ignore_flag: bool = False) -> GroundTruth:
        """The engine's columns: frames sorted by image id; ``ignore_flag`` honours the
        file's ``ignore`` flags (see the module doc)."""
        order = np.argsort(self.image_ids, kind="stable")
        position = np.empty(order.size, np.int32)
        position[order] = np.arange(order.size, dtype=np.int32)
        count = int(self.image.size)
        missing_area = np.isnan(self.area)
        area = (
            np.where(missing_area, self.box[:, 2] * self.box[:, 3], self.area)
            if missing_area.any()
            else self.area
        )
        ids = (
            self.ids
            if self.ids is not None and self.ids.dtype.kind in "iu"
            else np.arange(1, count + 1, dtype=np.int64)
        )
        return GroundTruth(
            frame_ids=self.image_ids[order],
            classes=self.classes,
            frame=position[self.image] if count else np.zeros(0, np.int32),
            label=self.label,
            box=self.box,
            area=area,
            iscrowd=self.iscrowd,
            # pycocotools evaluates COCO with ignore == iscrowd, and Shoal's iscrowd
            # column already carries that meaning: by default nothing else is ignored.
            ignore=self.ignore.copy() if ignore_flag else np.zeros(count, np.bool_),
            ids=ids,
        )

    def segmentations(self) -> list[Any]:
        """Each annotation's ``segmentation`` as the file gives it (None where absent), in
        file order; the parse must have kept the records (``keep_records=True``)."""
        if self.annotations is None:
            raise ValueError("segmentations need a parse with keep_records=True")
        return [annotation.get("segmentation") for annotation in self.annotations]

    def frame_file_names(self) -> list[str | None]:
        """The ``file_name`` of each frame of :meth:`ground_truth` (frames sorted by image
        id; None when absent), to match results that list their own images."""
        order = np.argsort(self.image_ids, kind="stable").tolist()
        return [self.file_names[i] for i in order]


def read_coco_ground_truth(
    source: CocoSource, *, ignore_flag: bool = False, progress: Progress | None = None
) -> GroundTruth:
    """Ground truth from a COCO instances JSON (path, bytes or parsed dict).

    ``ignore_flag=True`` honours the annotations' ``ignore`` flags (pycocotools does
    not; see the module doc). Raises :class:`InputError` naming the file and record
    (``images[3]``, ``annotations[17]``...) for anything pycocotools could not evaluate.
    """
    return parse_coco_ground_truth(source, progress=progress).ground_truth(ignore_flag=ignore_flag)


def parse_coco_ground_truth(
    source: CocoSource, *, keep_records: bool = False, progress: Progress | None = None
) -> CocoGroundTruth:
    """Read and check a COCO instances JSON once, for either projection;
    ``keep_records`` keeps the images' and annotations' records (for the tables)."""
    # The parse makes hundreds of thousands of small objects and none of them can form a
    # reference cycle: pausing the cycle collector saves about a quarter of the load, and
    # letting the records go before it resumes spares it a walk over all of them.
    with _collector_paused():
        return _read_ground_truth(source, progress, keep_records)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _read_ground_truth(
    source: CocoSource, progress: Progress | None, keep_records: bool
) -> CocoGroundTruth:
    name, data, document = _read_source(source)
    total_steps = 3
    if progress is not None:
        progress(0, total_steps)
    # The tables need every record's other keys: only the engine's columns are scanned.
    scanned = _scan_ground_truth(data) if data is not None and not keep_records else None
    annotations: list[Any] | None = None
    if scanned is not None:
        images, categories, columns = scanned
    else:
        if data is not None:
            document = _parse_json(data, name)
        if not isinstance(document, dict):
            raise InputError(
                "expected a COCO object with images, annotations and categories, "
                f"got {_type_name(document)}",
                source=name,
            )
        images = _list_member(document, "images", name, required=True)
        categories = _list_member(document, "categories", name, required=True)
        annotations = _list_member(document, "annotations", name, required=False)
    # A file whose text never says "ignore" has no ignore flag: the Python reading
    # skips that pass (the scanner reads the flags as it goes).
    flags_possible = scanned is not None or data is None or data.find(b'"ignore"') >= 0
    del data  # the file's bytes (a mapping is unmapped here): all read
    if progress is not None:
        progress(1, total_steps)

    image_ids = _image_ids(images, name)
    _check_images(images, name)
    classes = _categories(categories, name)
    if annotations is not None:
        columns = _annotation_columns(annotations, name, flags_possible)
    if progress is not None:
        progress(2, total_steps)
    _check_image_id_kinds(image_ids, columns.image_ids, name)

    image_id_array = _unique_image_ids(image_ids, name)
    parsed = _resolve_annotations(image_id_array, classes, columns, name)
    if progress is not None:
        progress(total_steps, total_steps)
    return CocoGroundTruth(
        source=name,
        image_ids=image_id_array,
        file_names=[image.get("file_name") for image in images],
        categories=categories,
        classes=classes,
        images=images if keep_records else None,
        annotations=annotations if keep_records else None,
        **parsed,
    )


def _scan_ground_truth(data: _Bytes) -> tuple[list[Any], list[Any], _AnnotationColumns] | None:
    """The C fast path: the images and categories records and the annotation columns;
    None when the file needs the exact slow path (which also words any error)."""
    from shoal.formats import _json_columns as scanner

    buffer = np.frombuffer(data, dtype=np.uint8)
    scan = scanner.scan_ground_truth(
        buffer, len(data) // _BYTES_PER_RECORD_LOWER_BOUND + 1, _SLOW_TOKEN_CAPACITY
    )
    del buffer  # a mapping cannot close while NumPy holds a view of it
    if scan is None:
        return None
    if scan.slow_slot.size:
        exact = _slow_token_values(data, scan.slow_start, scan.slow_end)
        if exact is None:
            return None
        _place_slow_values(exact, scan.slow_slot, scan.boxes, scan.areas)
    try:
        images = orjson.loads(data[scan.images[0] : scan.images[1]])
        categories = orjson.loads(data[scan.categories[0] : scan.categories[1]])
    except orjson.JSONDecodeError:
        return None
    columns = _AnnotationColumns(
        image_ids=scan.image_ids,
        class_ids=scan.class_ids,
        box=scan.boxes,
        area=scan.areas,
        iscrowd=(scan.flags & 1) != 0,
        ignore=(scan.flags & 2) != 0,
        ids=scan.ids,
    )
    return images, categories, columns


def _slow_token_values(
    data: _Bytes, starts: NDArray[np.int64], ends: NDArray[np.int64]
) -> NDArray[np.float64] | None:
    """``float()`` of the number tokens the scanner could not round with certainty (long
    mantissas, large exponents); None if one is out of range (1e999: orjson rejects it,
    and the slow path words the error)."""
    exact = np.array(
        [float(data[s:e]) for s, e in zip(starts.tolist(), ends.tolist(), strict=True)],
        dtype=np.float64,
    )
    return exact if np.isfinite(exact).all() else None


def _place_slow_values(
    exact: NDArray[np.float64],
    slots: NDArray[np.int64],
    box: NDArray[np.float64],
    fifth: NDArray[np.float64],
) -> None:
    """Write each slow token's value to its slot: fields 0-3 of ``box``, or ``fifth``
    (a result's score, an annotation's area)."""
    from shoal.formats._json_columns import FIELDS_PER_ROW

    row, field = np.divmod(slots, FIELDS_PER_ROW)
    in_box = field < 4
    box[row[in_box], field[in_box]] = exact[in_box]
    fifth[row[~in_box]] = exact[~in_box]


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


def _check_images(images: list[dict[str, Any]], name: str | None) -> None:
    """``file_name`` a string, ``width`` and ``height`` positive whole numbers (when
    given): a second look only at images that have something unusual."""
    for index, image in enumerate(images):
        file_name = image.get("file_name")
        width, height = image.get("width"), image.get("height")
        if (
            (file_name is None or type(file_name) is str)
            and (width is None or (type(width) is int and width > 0))
            and (height is None or (type(height) is int and height > 0))
        ):
            continue
        where = f"images[{index}]"
        if file_name is not None and not isinstance(file_name, str):
            raise InputError(
                f"file_name {_describe(file_name)} must be a string", source=name, record=where
            )
        for what, value in (("width", width), ("height", height)):
            if value is None:
                continue
            if not _is_number(value) or not (
                math.isfinite(value) and value > 0 and value == int(value)
            ):
                raise InputError(
                    f"image {what} {_describe(value)} is not a positive whole number",
                    source=name,
                    record=where,
                )


def _check_image_id_kinds(
    image_ids: list[Any], referenced_ids: list[Any] | NDArray[np.int64], name: str | None
) -> None:
    """All image ids (``images[].id`` and ``annotations[].image_id``) must be ints or
    all strings; otherwise name the first record of the less common kind."""
    scanned = isinstance(referenced_ids, np.ndarray)  # the scanner's int64 column
    kinds = set(map(type, image_ids)) | ({int} if scanned else set(map(type, referenced_ids)))
    if kinds <= {int} or kinds <= {str}:
        return
    if isinstance(referenced_ids, np.ndarray):
        referenced_ids = referenced_ids.tolist()
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


def _unique_image_ids(image_ids: list[Any], name: str | None) -> NDArray[Any]:
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
    if not image_ids:
        ids = np.zeros(0, np.int64)
    repeat = _first_repeat(ids)
    if repeat is not None:
        raise InputError(
            f"duplicate image id {_id_text(ids[repeat])}", source=name, record=f"images[{repeat}]"
        )
    return ids


def _categories(categories: list[Any], name: str | None) -> Classes:
    ids: list[int] = []
    names: list[str] = []
    seen_names: dict[str, int] = {}
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
        if not isinstance(label, str) or not label:
            raise InputError(
                f"category name {_describe(label)} must be a string", source=name, record=where
            )
        if label in seen_names and seen_names[label] != class_id:
            raise InputError(
                f"category name {label!r} is used by ids {seen_names[label]} and {class_id}",
                source=name,
                record=where,
            )
        seen_names[label] = class_id
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


@dataclass(frozen=True, eq=False)
class _AnnotationColumns:
    """Annotation fields in file order, before ids are resolved to indices."""

    image_ids: list[Any] | NDArray[np.int64]  # an array when the C scanner read them
    class_ids: NDArray[np.int64]
    box: NDArray[np.float64]
    area: NDArray[np.float64]  # NaN: not given
    iscrowd: NDArray[np.bool_]
    ignore: NDArray[np.bool_]
    ids: NDArray[Any] | None


def _member_list(records: list[dict[str, Any]], key: str, default: Any) -> list[Any]:
    """``record.get(key, default)`` for each record; subscripting first because it is
    faster than ``.get`` and the key is usually present."""
    try:
        return [record[key] for record in records]
    except KeyError:
        return [record.get(key, default) for record in records]


def _annotation_ids(id_list: list[Any]) -> NDArray[Any] | bool | None:
    """The ids as int64 or str, None when no annotation has one, False when they need
    the per-record pass (missing on some, mixed kinds, out of range)."""
    if None in id_list:
        return None if all(i is None for i in id_list) else False
    ids = _id_column(id_list)
    return False if ids is None else ids


def _annotation_columns(
    annotations: list[Any], name: str | None, flags_possible: bool = True
) -> _AnnotationColumns:
    """Columns via list comprehensions and NumPy; a per-record pass only when
    something is off, to name the record."""
    try:
        image_ids = [a["image_id"] for a in annotations]
        class_list = [a["category_id"] for a in annotations]
        box_list = [a["bbox"] for a in annotations]
        area_list = _member_list(annotations, "area", None)
        crowd_list = _member_list(annotations, "iscrowd", 0)
        ignore_list = [a.get("ignore", 0) for a in annotations] if flags_possible else []
        id_list = _member_list(annotations, "id", None)
    except (KeyError, TypeError, AttributeError):
        return _annotation_columns_per_record(annotations, name)
    class_ids = _int_column(class_list)
    box = _float_matrix(box_list, 4)
    crowd = _int_column([int(v) if type(v) is bool else v for v in crowd_list])
    ignore = (
        _int_column([int(v) if type(v) is bool else v for v in ignore_list])
        if any(ignore_list)
        else np.zeros(len(annotations), np.int64)
    )
    ids = _annotation_ids(id_list)
    if class_ids is None or box is None or crowd is None or ignore is None or ids is False:
        return _annotation_columns_per_record(annotations, name)
    missing_areas = area_list.count(None)
    area = _float_vector(
        [math.nan if a is None else a for a in area_list] if missing_areas else area_list
    )
    if area is None or np.isinf(area).any() or int(np.isnan(area).sum()) != missing_areas:
        return _annotation_columns_per_record(annotations, name)  # NaN or Infinity given
    return _AnnotationColumns(
        image_ids,
        class_ids,
        box,
        area,
        crowd != 0,
        ignore != 0,
        ids,  # type: ignore[arg-type]
    )


def _annotation_columns_per_record(annotations: list[Any], name: str | None) -> _AnnotationColumns:
    """The exact, slow reading: checks each annotation and names the first bad one."""
    ids_given = any(isinstance(a, dict) and "id" in a for a in annotations)
    image_ids: list[Any] = []
    class_ids: list[int] = []
    boxes: list[list[float]] = []
    areas: list[float] = []
    crowds: list[bool] = []
    ignores: list[bool] = []
    ann_ids: list[Any] = []
    id_kind: type | None = None
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
        area = annotation.get("area")
        if area is not None and not _is_number(area):
            raise fail(f"area {_describe(area)} must be a number")
        if area is not None and not math.isfinite(area):
            raise fail(f"area {_describe(area)} is not finite")
        crowd = _flag_value(annotation.get("iscrowd", 0))
        if crowd is None:
            raise fail(f"iscrowd {_describe(annotation['iscrowd'])} must be 0 or 1")
        ignored = _flag_value(annotation.get("ignore", 0))
        if ignored is None:
            raise fail(f"ignore {_describe(annotation['ignore'])} must be 0 or 1")
        if ids_given:
            if "id" not in annotation:
                raise fail('missing "id" (other annotations have one)')
            ann_id = annotation["id"]
            # The usual record passes on the first test; the reason is worked out once.
            if type(ann_id) is not id_kind or (
                type(ann_id) is int and not -(2**63) <= ann_id < 2**63
            ):
                problem = _record_id_problem("annotation id", ann_id, id_kind)
                if problem is not None:
                    raise fail(problem)
                id_kind = type(ann_id)
            ann_ids.append(ann_id)
        image_ids.append(annotation["image_id"])
        class_ids.append(category)
        boxes.append(box)
        areas.append(math.nan if area is None else float(area))
        crowds.append(crowd)
        ignores.append(ignored)
    ids = _id_column(ann_ids) if ids_given and annotations else None
    return _AnnotationColumns(
        image_ids,
        np.array(class_ids, dtype=np.int64),
        np.array(boxes, dtype=np.float64).reshape(-1, 4),
        np.array(areas, dtype=np.float64),
        np.array(crowds, dtype=np.bool_),
        np.array(ignores, dtype=np.bool_),
        ids,
    )


def _resolve_annotations(
    image_ids: NDArray[Any], classes: Classes, columns: _AnnotationColumns, name: str | None
) -> dict[str, Any]:
    """Image and class indices of the annotations, after the checks that need them."""
    count = len(columns.image_ids)
    wanted_images = (
        columns.image_ids
        if isinstance(columns.image_ids, np.ndarray)
        else _id_column(columns.image_ids)
    )
    if wanted_images is None:
        # Kinds were checked, so only an out-of-range integer can get here.
        wanted_images = np.array([min(max(v, -(2**63)), 2**63 - 1) for v in columns.image_ids])
    if count == 0:
        wanted_images = np.zeros(0, image_ids.dtype)
    image, image_found = _lookup(image_ids, wanted_images)
    label, label_found = _lookup(classes.ids, columns.class_ids)
    problems = [
        (
            ~image_found,
            lambda i: f"image_id {_id_text(plain(columns.image_ids[i]))} is not in images",
        ),
        (~label_found, lambda i: f"category_id {columns.class_ids[i]} is not in categories"),
        (box_problems(columns.box), lambda i: describe_box_problem("bbox", columns.box[i])),
        (columns.area < 0, lambda i: f"area {columns.area[i]} is negative"),
    ]
    _raise_first_problem(problems, name, "annotations")
    if columns.ids is not None:
        repeat = _first_repeat(columns.ids)
        if repeat is not None:
            raise InputError(
                f"duplicate annotation id {_id_text(plain(columns.ids[repeat]))}",
                source=name,
                record=f"annotations[{repeat}]",
            )
    return {
        "image": image,
        "label": label,
        "box": np.ascontiguousarray(columns.box),
        "area": columns.area,
        "iscrowd": columns.iscrowd,
        "ignore": columns.ignore,
        "ids": columns.ids,
    }


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


_ResultColumns = tuple[
    NDArray[np.int64] | NDArray[np.str_],
    NDArray[np.int64],
    NDArray[np.float64],
    NDArray[np.float64],
]


@dataclass(frozen=True, eq=False)
class CocoResults:
    """A COCO results file, read and checked once, before its ids are matched to a
    ground truth (:meth:`resolve`). ``images`` and ``categories`` are the file's own
    (``{id: file_name}``, ``{id: name}``) when it is an object that lists them."""

    source: str | None
    image_ids: NDArray[Any]  # int64 or str
    class_ids: NDArray[np.int64]
    box: NDArray[np.float64]
    score: NDArray[np.float64]
    in_annotations: bool = False  # records are numbered annotations[i], not i
    images: dict[Any, Any] | None = None
    categories: dict[int, str] | None = None

    def __len__(self) -> int:
        return int(self.class_ids.size)

    def predictions(
        self, ground_truth: GroundTruth, *, file_names: Sequence[str | None] | None = None
    ) -> Predictions:
        """The engine's columns on ``ground_truth`` (see :meth:`resolve`); prediction
        ids are 1-based file positions, as ``loadRes`` numbers them."""
        frame, label = self.resolve(
            ground_truth.frame_ids, ground_truth.classes, file_names=file_names
        )
        return Predictions(
            frame=frame,
            label=label,
            box=self.box,
            score=self.score,
            ids=np.arange(1, len(self) + 1, dtype=np.int64),
        )

    def _record(self, index: int) -> int | str:
        return f"annotations[{index}]" if self.in_annotations else index

    def resolve(
        self,
        frame_ids: NDArray[Any],
        classes: Classes,
        *,
        file_names: Sequence[str | None] | None = None,
    ) -> tuple[NDArray[np.int32], NDArray[np.int32]]:
        """Frame and class index of each record, on frames ``frame_ids`` (with their
        ``file_names``, for a file that lists its own images) and ``classes``; raises for
        the first record that does not fit, or whose box or score is invalid."""
        name = self.source
        image_ids, class_ids, box, score = self.image_ids, self.class_ids, self.box, self.score
        count = len(self)
        frame_message: Callable[[int], str]
        if self.images is not None:
            frame, frame_found = self._frames_by_file_name(file_names)
            frame_message = self._frame_message_by_file_name
        else:
            if (
                count
                and frame_ids.size
                and (image_ids.dtype.kind in "US") != (frame_ids.dtype.kind in "US")
            ):
                what = "a string" if image_ids.dtype.kind in "US" else "an integer"
                raise InputError(
                    f"image_id {_id_text(plain(image_ids[0]))} is {what} but the ground-truth "
                    f"image ids are {_kind_word(frame_ids.dtype.kind)}",
                    source=name,
                    record=self._record(0),
                )
            frame, frame_found = _lookup(frame_ids, image_ids)

            def frame_message(i: int) -> str:
                return f"image_id {_id_text(plain(image_ids[i]))} is not in the ground truth"

        own_categories = self.categories
        if own_categories is not None:
            label, label_found = self._classes_by_name(classes)

            def label_message(i: int) -> str:
                category = int(class_ids[i])
                if category not in own_categories:
                    return f"category_id {category} is not in the file's categories"
                return (
                    f"category {own_categories[category]!r} (id {category}) is not a "
                    "ground-truth category"
                )

        else:
            label, label_found = _lookup(classes.ids, class_ids)

            def label_message(i: int) -> str:
                return f"category_id {int(class_ids[i])} is not a ground-truth category"

        problems = [
            (~frame_found, frame_message),
            (~label_found, label_message),
            (box_problems(box), lambda i: describe_box_problem("bbox", box[i])),
            (confidence_problems(score), lambda i: f"score {score[i]} is not in [0, 1]"),
        ]
        _raise_first_problem(problems, name, "annotations" if self.in_annotations else None)
        return frame, label

    def _frames_by_file_name(
        self, file_names: Sequence[str | None] | None
    ) -> tuple[NDArray[np.int32], NDArray[np.bool_]]:
        if file_names is None:
            raise InputError(
                "these results list their own images, matched to the ground truth's by "
                "file_name: give the ground-truth file, not GroundTruth columns",
                source=self.source,
            )
        return _through_own_table(self.image_ids, self.images or {}, file_names)

    def _frame_message_by_file_name(self, index: int) -> str:
        image_id = plain(self.image_ids[index])
        images = self.images or {}
        if image_id not in images:
            return f"image_id {_id_text(image_id)} is not in the file's images"
        return (
            f"image {_id_text(image_id)} (file_name {_describe(images[image_id])}) is not "
            "an image of the ground truth"
        )

    def _classes_by_name(self, classes: Classes) -> tuple[NDArray[np.int32], NDArray[np.bool_]]:
        return _through_own_table(self.class_ids, self.categories or {}, classes.names.tolist())


def _through_own_table(
    ids: NDArray[Any], own: Mapping[Any, Any], targets: Sequence[str | None]
) -> tuple[NDArray[np.int32], NDArray[np.bool_]]:
    """Index into ``targets`` of each id's value in ``own`` (a results file's own images
    or categories: id -> file name or class name), and whether it was found."""
    position_of: dict[Any, int] = {t: i for i, t in enumerate(targets) if t is not None}
    index = np.zeros(ids.size, np.int32)
    found = np.zeros(ids.size, np.bool_)
    for row, value in enumerate(ids.tolist()):
        position = position_of.get(own.get(value))
        if position is not None:
            index[row], found[row] = position, True
    return index, found


def read_coco_results(
    source: CocoSource,
    ground_truth: GroundTruth,
    *,
    file_names: Sequence[str | None] | None = None,
    progress: Progress | None = None,
) -> Predictions:
    """Predictions from a COCO results JSON (path, bytes or parsed list).

    The value is a list of ``{"image_id", "category_id", "bbox", "score"}`` objects
    (or an object whose ``"annotations"`` list holds them, each with a score). Records
    are numbered from 0 in errors; prediction ids are numbered from 1, as ``loadRes``
    does. ``file_names`` (one per ``ground_truth.frame_ids``) match a results object's
    own ``images`` to the ground truth's.
    """
    return parse_coco_results(source, progress=progress).predictions(
        ground_truth, file_names=file_names
    )


def read_coco_detections(
    ground_truth: CocoSource,
    results: CocoSource,
    *,
    ignore_flag: bool = False,
    progress: Progress | None = None,
    threads: int | None = None,
) -> tuple[GroundTruth, Predictions]:
    """Both files of an evaluation: :func:`read_coco_ground_truth` and
    :func:`read_coco_results` on it, giving the same columns and the same errors.

    With two threads or more (``threads``, default :func:`shoal._native.thread_count`:
    ``SHOAL_THREADS``, ``--threads`` or the machine's CPUs) the two files are read at the same time: the C scanners release the GIL, so
    the ground truth's scan runs on a second thread while this one scans the results;
    the results' ids are mapped to the ground truth's afterwards. When both files are
    bad, the ground truth's error is the one raised, as when read one after the other.
    ``progress(done, total)`` follows both files (called from either thread, one call
    at a time).
    """
    shares = _SharedProgress(progress, parts=2) if progress is not None else None
    gt_progress = shares.part(0) if shares is not None else None
    results_progress = shares.part(1) if shares is not None else None
    threads = threads if threads is not None else thread_count()
    if threads < 2:
        parsed = parse_coco_ground_truth(ground_truth, progress=gt_progress)
        scanned = parse_coco_results(results, progress=results_progress, threads=threads)
    else:
        background = _InThread(_parse_in_thread, ground_truth, gt_progress)
        try:
            scanned = parse_coco_results(results, progress=results_progress, threads=threads)
        finally:
            # The ground truth's error (if any) wins over the results'.
            parsed = background.result()
    gt = parsed.ground_truth(ignore_flag=ignore_flag)
    file_names = parsed.frame_file_names()
    del parsed  # the file's records: not needed from here on
    return gt, scanned.predictions(gt, file_names=file_names)


def _parse_in_thread(source: CocoSource, progress: Progress | None) -> CocoGroundTruth:
    return parse_coco_ground_truth(source, progress=progress)


class _InThread(Generic[_Value]):
    """``function(*args)`` on a thread of its own; :meth:`result` waits for it and
    returns its value or raises its exception. The C scanners release the GIL, so the
    thread truly runs beside the caller's."""

    def __init__(self, function: Callable[..., _Value], *args: Any) -> None:
        import threading

        self._value: _Value | None = None
        self._error: BaseException | None = None

        def run() -> None:
            try:
                self._value = function(*args)
            except BaseException as error:  # handed to the caller by result()
                self._error = error

        self._thread = threading.Thread(target=run, name="shoal-reader", daemon=True)
        self._thread.start()

    def result(self) -> _Value:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]  # set when no error was raised


class _SharedProgress:
    """One ``progress(done, total)`` for several readers, each reporting its own
    ``(done, total)`` from any thread: the mean of their fractions, in thousandths."""

    _SCALE = 1000

    def __init__(self, progress: Progress, parts: int) -> None:
        import threading

        self._progress = progress
        self._fractions = [0.0] * parts
        self._lock = threading.Lock()

    def part(self, index: int) -> Progress:
        def report(done: int, total: int) -> None:
            with self._lock:
                self._fractions[index] = done / total if total > 0 else 1.0
                scale = self._SCALE * len(self._fractions)
                self._progress(round(sum(self._fractions) * self._SCALE), scale)

        return report


def parse_coco_results(
    source: CocoSource, *, progress: Progress | None = None, threads: int | None = None
) -> CocoResults:
    """Read and check a COCO results JSON once, for either projection. With two
    ``threads`` or more (default ``SHOAL_THREADS`` or the machine's CPUs) a large file
    is scanned in two halves at once."""
    name, data, document = _read_source(source)
    total = len(data) if data is not None else 1
    if progress is not None:
        progress(0, total)
    threads = threads if threads is not None else thread_count()
    columns = _scan_results(data, progress, threads) if data is not None else None
    if columns is not None:
        results = CocoResults(name, *columns)
    else:
        if data is not None:
            document = _parse_json(data, name)
        results = _results_from_value(document, name)
    if progress is not None:
        progress(total, total)
    return results


# Smaller results files are scanned on one thread: a second one would save less than
# joining the halves' columns costs.
_SPLIT_MIN_BYTES = 4 << 20


def _scan_results(
    data: _Bytes, progress: Progress | None, threads: int = 1
) -> _ResultColumns | None:
    """The C fast path: the records' columns; None when the file needs the exact slow
    path. With two ``threads`` a large file is scanned in two halves at once."""
    # Imported here so that importing shoal.formats loads no native library.
    from shoal.formats import _json_columns as scanner

    buffer = np.frombuffer(data, dtype=np.uint8)
    status, position = scanner.open_array(buffer)
    if status != scanner.SCAN_PAUSED:  # no records, or not an array of objects
        return _no_result_columns() if status == scanner.SCAN_DONE else None
    # Room for every record (np.empty: only the rows written are ever touched).
    columns = _empty_result_columns(len(data) - position)
    # The second half starts at a guessed record start; it counts only if the scan
    # from the beginning arrives there (the guess might sit inside a string).
    guess = (
        scanner.guess_record_start(buffer, len(data) // 2)
        if threads >= 2 and len(data) >= _SPLIT_MIN_BYTES
        else -1
    )
    if guess <= position:
        status, _, rows = _scan_span(data, buffer, columns, 0, None, position, progress)
        return _first_rows(columns, rows) if status == scanner.SCAN_DONE else None
    # The second half in columns of its own, appended to the first's when both are
    # done: its rows are copied once and its pages freed, so no gap stays resident.
    second = _empty_result_columns(len(data) - guess)
    second_half = _InThread(_scan_span, data, buffer, second, 0, None, guess, None)
    try:
        status, position, rows = _scan_span(
            data, buffer, columns, 0, None, position, progress, guess
        )
    finally:
        second_status, _, second_rows = second_half.result()
    if status == scanner.SCAN_PAUSED and position == guess:
        if second_status != scanner.SCAN_DONE:
            return None
        if rows + second_rows > len(columns[0]):  # only with a lower bound too high
            columns[:] = [np.resize(c, (rows + second_rows, *c.shape[1:])) for c in columns]
        for column, appended in zip(columns, second, strict=True):
            column[rows : rows + second_rows] = appended[:second_rows]
        return _first_rows(columns, rows + second_rows)
    if status == scanner.SCAN_PAUSED:  # the guess was not a record start: go on alone
        status, _, more = _scan_span(data, buffer, columns, rows, None, position, progress)
        rows += more
    return _first_rows(columns, rows) if status == scanner.SCAN_DONE else None


def _scan_span(
    data: _Bytes,
    buffer: NDArray[np.uint8],
    columns: list[NDArray[Any]],
    first_row: int,
    end_row: int | None,
    position: int,
    progress: Progress | None,
    stop: int | None = None,
) -> tuple[int, int, int]:
    """Scan the records that start from ``position`` (a record's ``{``), and before
    ``stop`` when given, into ``columns`` from row ``first_row``, below ``end_row``
    (None: to the end, growing the columns if need be; only one thread may do that):
    ``(status, position reached, rows written)``. ``SCAN_PAUSED`` means the next
    record starts at or after ``stop``."""
    from shoal.formats import _json_columns as scanner

    slow_tokens = max(_SLOW_TOKEN_CAPACITY, scanner.FIELDS_PER_ROW)
    slow_start = np.empty(slow_tokens, np.int64)
    slow_end = np.empty(slow_tokens, np.int64)
    slow_slot = np.empty(slow_tokens, np.int64)
    stop = len(data) if stop is None else stop
    row = first_row
    # Page-aligned, at or before where the scan starts.
    released = position - position % mmap.PAGESIZE
    status = scanner.SCAN_PAUSED
    while status == scanner.SCAN_PAUSED and position < stop:
        capacity = len(columns[0])
        if row == (capacity if end_row is None else end_row):
            if end_row is not None:  # cannot happen (see the capacity), but never overflow
                return scanner.SCAN_UNSUPPORTED, position, row - first_row
            # A safety net: the lower bound on a record's bytes makes this unlikely.
            columns[:] = [np.resize(c, (2 * capacity, *c.shape[1:])) for c in columns]
        image_ids, class_ids, box, score = columns
        status, position, written, slow_count = scanner.scan_records(
            buffer,
            position,
            row,
            min(_SCAN_CHUNK_ROWS, (len(image_ids) if end_row is None else end_row) - row),
            image_ids,
            class_ids,
            box,
            score,
            slow_start,
            slow_end,
            slow_slot,
            stop=stop,
        )
        if status == scanner.SCAN_UNSUPPORTED:
            break
        if slow_count:
            exact = _slow_token_values(data, slow_start[:slow_count], slow_end[:slow_count])
            if exact is None:
                return scanner.SCAN_UNSUPPORTED, position, row - first_row
            _place_slow_values(exact, slow_slot[:slow_count], box, score)
        row += written
        released = _release_pages(data, released, position)
        if progress is not None:
            progress(int(position), len(data))
    return status, position, row - first_row


def _release_pages(data: _Bytes, start: int, end: int) -> int:
    """Drop the mapped file's pages from ``start`` to ``end`` (read: the process need
    not keep them; the page cache does), so that resident memory does not grow by the
    file's size; returns where the next release starts."""
    if not isinstance(data, mmap.mmap) or not hasattr(mmap, "MADV_DONTNEED"):
        return start
    end -= end % mmap.PAGESIZE
    if end > start:
        data.madvise(mmap.MADV_DONTNEED, start, end - start)
        return end
    return start


def _empty_result_columns(size: int) -> list[NDArray[Any]]:
    """Uninitialised columns with room for the records of ``size`` bytes: each record
    takes more than the lower bound's bytes."""
    capacity = size // _BYTES_PER_RECORD_LOWER_BOUND + 1
    return [
        np.empty(capacity, np.int64),
        np.empty(capacity, np.int64),
        np.empty((capacity, 4), np.float64),
        np.empty(capacity, np.float64),
    ]


def _first_rows(columns: list[NDArray[Any]], rows: int) -> _ResultColumns:
    image_ids, class_ids, box, score = columns
    return image_ids[:rows], class_ids[:rows], box[:rows], score[:rows]


def _no_result_columns() -> _ResultColumns:
    return (
        np.zeros(0, np.int64),
        np.zeros(0, np.int64),
        np.zeros((0, 4), np.float64),
        np.zeros(0, np.float64),
    )


def results_records(
    document: Any, name: str | None, *, kind: str, geometry: str
) -> tuple[list[Any], str | None, dict[Any, Any] | None, dict[int, str] | None]:
    """The records of a parsed COCO results document (``kind`` names them in errors, e.g.
    "detections"; ``geometry`` is their geometry key): a list of records, or a
    dataset-shaped object whose annotations all carry scores. Returns the records, the
    table they are named by in errors (None for a list), and the object's own images and
    categories (None when it has none)."""
    if isinstance(document, list):
        return document, None, None, None
    if isinstance(document, dict) and isinstance(document.get("annotations"), list):
        records: list[Any] = document["annotations"]
        # A ground-truth file given as results would be a perfect model: refuse it.
        for index, record in enumerate(records):
            if isinstance(record, dict) and "score" not in record:
                raise InputError(
                    f'annotations[{index}] has no "score": this is a ground-truth file, not '
                    f'results (a list of {{"image_id", "category_id", "{geometry}", "score"}})',
                    source=name,
                )
        images = _own_images(document, name) if "images" in document else None
        categories = _own_categories(document, name) if "categories" in document else None
        return records, "annotations", images, categories
    if isinstance(document, dict) and "images" in document:
        raise InputError(
            'expected results, got a COCO object without "annotations" (a ground-truth file?)',
            source=name,
        )
    raise InputError(f"expected an array of {kind}, got {_type_name(document)}", source=name)


def _results_from_value(document: Any, name: str | None) -> CocoResults:
    records, table, images, categories = results_records(
        document, name, kind="detections", geometry="bbox"
    )
    columns = _result_columns_from_value(records, name, table)
    if table is None:
        return CocoResults(name, *columns)
    return CocoResults(name, *columns, True, images, categories)


def _own_images(document: dict[str, Any], name: str | None) -> dict[Any, Any]:
    images = _list_member(document, "images", name, required=True)
    ids = _image_ids(images, name)
    _check_images(images, name)
    _unique_image_ids(ids, name)
    return {image["id"]: image.get("file_name") for image in images}


def _own_categories(document: dict[str, Any], name: str | None) -> dict[int, str]:
    classes = _categories(_list_member(document, "categories", name, required=True), name)
    return dict(zip(classes.ids.tolist(), classes.names.tolist(), strict=True))


def _result_columns_from_value(
    records: list[Any], name: str | None, table: str | None
) -> _ResultColumns:
    try:
        image_list = [r["image_id"] for r in records]
        class_list = [r["category_id"] for r in records]
        box_list = [r["bbox"] for r in records]
        score_list = [r.get("score", 1.0) for r in records]
    except (KeyError, TypeError, AttributeError):
        return _result_columns_per_record(records, name, table)
    image_ids = _id_column(image_list)
    class_ids = _int_column(class_list)
    box = _float_matrix(box_list, 4)
    score = _float_vector(score_list)
    if image_ids is None or class_ids is None or box is None or score is None:
        return _result_columns_per_record(records, name, table)
    if not records:
        image_ids = np.zeros(0, np.int64)
    return image_ids, class_ids, box, score


def _result_columns_per_record(
    records: list[Any], name: str | None, table: str | None
) -> _ResultColumns:
    """The exact, slow reading: checks each record and names the first bad one."""
    image_ids: list[Any] = []
    class_ids: list[int] = []
    boxes: list[list[float]] = []
    scores: list[float] = []
    id_kind: type | None = None
    for index, record in enumerate(records):

        def fail(message: str, index: int = index) -> InputError:
            return InputError(
                message, source=name, record=index if table is None else f"{table}[{index}]"
            )

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
        # The usual record passes on the first test; the reason is worked out once.
        if type(image_id) is not id_kind or (
            type(image_id) is int and not -(2**63) <= image_id < 2**63
        ):
            problem = _record_id_problem("image_id", image_id, id_kind)
            if problem is not None:
                raise fail(problem)
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
    if type(height) is not int or type(width) is not int or height <= 0 or width < 0:
        return None
    # The mask kernels' toBbox (pycocotools 2.0.8 on), on the runs as its uint32 holds them.
    from shoal.engine.masks import masks_from_counts

    try:
        counts = np.asarray(runs, np.int64) & 0xFFFFFFFF
    except OverflowError:
        return None
    box: list[float] = masks_from_counts(counts, [0, len(runs)], [height], [width]).bbox[0].tolist()
    return box
