"""COCO instance masks (``segm``): the ground truth's and the results' ``segmentation``,
read through the one COCO reader (:mod:`shoal.formats.coco` parses images, categories
and annotations; this module adds the masks), with pycocotools' semantics:

* A ground-truth ``segmentation`` is a list of polygons (rasterised at its image's
  ``height`` x ``width`` and merged, as ``annToRLE``; a first entry of four numbers
  makes every entry a box), an uncompressed RLE (``counts`` a list: COCO's crowds) or
  a compressed one (``counts`` a string). ``COCOeval(iouType="segm")`` reads the same.
* Results are ``{"image_id", "category_id", "segmentation", "score"}`` records (or an
  object whose ``annotations`` hold them). As in ``loadRes``: when the first record has
  a non-empty ``bbox``, every record's bbox is kept and its area (what COCO's area
  ranges read for an unmatched prediction) is the box's ``w * h``, and a record without
  a ``segmentation`` (or with ``[]``, a detection file's placeholder, where pycocotools
  fails) takes its box as the mask; otherwise the area is the mask's and a
  missing bbox is the mask's ``toBbox``. A polygon result is rasterised at its image's
  size (pycocotools does so when the first record has a bbox, and fails otherwise);
  an uncompressed RLE result is read too. Prediction ids are 1-based file positions.

Errors name the file and record (``annotations[17]``, ``4``): a segmentation that is
neither polygons nor an RLE, a malformed counts string, a mask whose size is not its
image's or whose runs do not cover it, a polygon on an image without ``height`` and
``width``, an annotation without a ``segmentation``.

Speed: a results array of compressed-RLE records (the usual file) is read by the C
scanner (``shoal_scan_segm_records``: ids, scores, boxes and where each counts string
lies) and its strings decoded straight from the mapped file, slice by slice, each
slice's pages released once read; anything else goes through ``orjson`` and the exact
per-record reading, which also words every error. The ground truth is the instances
parse's records; its polygons are checked at once and rasterised in C.
"""

from __future__ import annotations

import itertools
import mmap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from shoal._types import Progress
from shoal.engine.detection.annotations import GroundTruth, Predictions
from shoal.engine.masks import MaskColumn, MaskSimilarity
from shoal.engine.masks.column import (
    BadString,
    concatenate_masks,
    masks_from_counts,
    masks_from_polygon_arrays,
    masks_from_spans,
    masks_from_strings,
)
from shoal.errors import InputError
from shoal.formats.coco import (
    CocoGroundTruth,
    CocoResults,
    CocoSource,
    _check_bbox_value,
    _collector_paused,
    _describe,
    _float_matrix,
    _float_vector,
    _id_column,
    _int_column,
    _is_number,
    _parse_json,
    _read_source,
    _record_id_problem,
    _SharedProgress,
    _type_name,
    parse_coco_ground_truth,
    results_records,
)

__all__ = [
    "CocoMaskGroundTruth",
    "CocoMaskResults",
    "annotation_masks",
    "parse_coco_mask_ground_truth",
    "parse_coco_mask_results",
    "polygon_rings",
    "read_coco_masks",
]


@dataclass(frozen=True, eq=False)
class CocoMaskGroundTruth:
    """A COCO instances file read once with its masks: the instances parse (``parsed``,
    records kept) and each annotation's mask (file order: the GroundTruth's rows)."""

    parsed: CocoGroundTruth
    masks: MaskColumn

    def ground_truth(self, *, ignore_flag: bool = False) -> GroundTruth:
        """The engine's columns (see :meth:`CocoGroundTruth.ground_truth`)."""
        return self.parsed.ground_truth(ignore_flag=ignore_flag)


@dataclass(frozen=True, eq=False)
class CocoMaskResults:
    """A COCO segm results file read once, before its ids meet a ground truth: the
    records' columns, each record's segmentation as given, and its area rule."""

    results: CocoResults  # boxes 0 where not given (see box_given)
    segmentations: list[Any] | None  # each record's (None: the box, as loadRes), or
    masks: MaskColumn | None  # the masks already read (a file the C scanner read)
    box_given: NDArray[np.bool_]
    area: NDArray[np.float64] | None  # bbox areas when the first record had a bbox

    def predictions_and_masks(
        self,
        ground_truth: GroundTruth,
        frame_sizes: NDArray[np.int64],
        *,
        file_names: Sequence[str | None] | None = None,
    ) -> tuple[Predictions, MaskColumn]:
        """The engine's columns on ``ground_truth`` and each prediction's mask;
        ``frame_sizes`` (F, 2) holds each frame's (height, width), -1 when unknown."""
        base = self.results.predictions(ground_truth, file_names=file_names)
        sizes = frame_sizes[base.frame] if len(base) else np.zeros((0, 2), np.int64)
        masks, box, area = self.masks_and_boxes(sizes)
        predictions = Predictions(
            frame=base.frame, label=base.label, box=box, score=base.score, ids=base.ids, area=area
        )
        return predictions, masks

    def masks_and_boxes(
        self, sizes: NDArray[np.int64]
    ) -> tuple[MaskColumn, NDArray[np.float64], NDArray[np.float64]]:
        """Each record's mask, checked against its image's (height, width) (``sizes``
        (N, 2) in record order, -1 when unknown), and its box and COCO area by loadRes'
        rules (for the engine and for the store's tables alike)."""
        name, table = self.results.source, "annotations" if self.results.in_annotations else None
        masks = (
            self.masks
            if self.masks is not None
            else _masks(self.segmentations or [], sizes, self.results.box, name, table)
        )
        _check_sizes(masks, sizes, name, table)
        # Boxes not given are the masks' (loadRes' toBbox), known only now for polygons.
        box = np.where(self.box_given[:, None], self.results.box, masks.bbox)
        area = self.area if self.area is not None else masks.area.astype(np.float64)
        return masks, box, area

    def without_segmentation(self) -> NDArray[np.bool_]:
        """The records whose mask is their box (no ``segmentation`` given)."""
        if self.segmentations is None:
            return np.zeros(len(self.results), np.bool_)
        return np.fromiter(
            (s is None for s in self.segmentations), np.bool_, len(self.segmentations)
        )

    def polygons(self) -> list[list[list[float]] | None] | None:
        """Each record's polygons as read (None for an RLE or a missing segmentation),
        for drawing; None when no record has polygons. Call after :meth:`masks_and_boxes`
        (which checks them)."""
        return polygon_rings(self.segmentations) if self.segmentations is not None else None


def read_coco_masks(
    ground_truth: CocoSource,
    results: CocoSource,
    *,
    ignore_flag: bool = False,
    progress: Progress | None = None,
) -> tuple[GroundTruth, Predictions, MaskSimilarity]:
    """Both files of a COCO segm evaluation (paths, bytes or parsed JSON): the engine's
    columns and the mask IoU to evaluate them with, ``evaluate(gt, dt,
    similarity=masks, params=CocoParams.segm())``. See the module doc for the
    semantics; ``ignore_flag`` honours the annotations' ``ignore`` flags as in
    :func:`shoal.formats.coco.read_coco_ground_truth`."""
    shares = _SharedProgress(progress, parts=2) if progress is not None else None
    parsed = parse_coco_mask_ground_truth(
        ground_truth, progress=shares.part(0) if shares is not None else None
    )
    gt = parsed.ground_truth(ignore_flag=ignore_flag)
    sizes, file_names = frame_sizes(parsed.parsed), parsed.parsed.frame_file_names()
    gt_masks = parsed.masks
    # The file's records (every polygon as Python lists) go before the results come in.
    with _collector_paused():
        del parsed
    results_progress = shares.part(1) if shares is not None else None
    if results_progress is not None:
        results_progress(0, 2)
    scanned = parse_coco_mask_results(results)
    if results_progress is not None:
        results_progress(1, 2)
    dt, dt_masks = scanned.predictions_and_masks(gt, sizes, file_names=file_names)
    if results_progress is not None:
        results_progress(2, 2)
    return gt, dt, MaskSimilarity(gt_masks, dt_masks, gt.iscrowd)


def frame_sizes(parsed: CocoGroundTruth) -> NDArray[np.int64]:
    """(F, 2) (height, width) of each frame of ``parsed.ground_truth()`` (frames sorted
    by image id), -1 where the image record does not give it."""
    images = parsed.images or []
    sizes = np.asarray(
        [[image.get("height", -1), image.get("width", -1)] for image in images], np.int64
    ).reshape(-1, 2)
    return sizes[np.argsort(parsed.image_ids, kind="stable")]


# ----------------------------------------------------------------- ground truth


def parse_coco_mask_ground_truth(
    source: CocoSource, *, progress: Progress | None = None
) -> CocoMaskGroundTruth:
    """Read and check a COCO instances file with its segmentations once."""
    # As the instances parse does: the records hold no cycles, and a collection pass
    # over the million objects of a file's polygons would cost more than reading them.
    with _collector_paused():
        return _parse_ground_truth(source, progress)


def _parse_ground_truth(source: CocoSource, progress: Progress | None) -> CocoMaskGroundTruth:
    parsed = parse_coco_ground_truth(source, keep_records=True, progress=progress)
    masks, _ = annotation_masks(parsed)
    return CocoMaskGroundTruth(parsed=parsed, masks=masks)


def annotation_masks(
    parsed: CocoGroundTruth, *, every: bool = True
) -> tuple[MaskColumn, NDArray[np.int64]]:
    """The masks of a parse's annotation records (kept) and the rows they belong to,
    each checked against its image's size. ``every``: each annotation needs a
    ``segmentation`` (a segm evaluation); else those without one (or with ``[]``) are
    boxes, left out (the store's tables)."""
    annotations = parsed.annotations or []
    name = parsed.source
    segmentations = []
    rows = []
    for index, record in enumerate(annotations):
        segmentation = record.get("segmentation")
        if segmentation is None or (not every and segmentation == []):
            if every:
                raise InputError(
                    'missing "segmentation" (a segm evaluation needs every annotation\'s mask)',
                    source=name,
                    record=f"annotations[{index}]",
                )
            continue
        segmentations.append(segmentation)
        rows.append(index)
    sizes = frame_sizes(parsed)
    order = np.argsort(parsed.image_ids, kind="stable")
    position = np.empty(order.size, np.int64)
    position[order] = np.arange(order.size)
    row_array = np.asarray(rows, np.int64)
    image_sizes = sizes[position[parsed.image[row_array]]] if rows else np.zeros((0, 2), np.int64)
    try:
        masks = _masks(segmentations, image_sizes, None, name, None)
        _check_sizes(masks, image_sizes, name, None)
    except InputError as error:
        # Named by the annotation's own position, not its place among those with masks.
        at = error.record
        where = f"annotations[{rows[at]}]" if isinstance(at, int) else at
        raise InputError(error.message, source=error.source, record=where) from None
    return masks, row_array


# --------------------------------------------------------------------- masks


def polygon_rings(segmentations: Sequence[Any]) -> list[list[list[float]] | None] | None:
    """Each already checked segmentation's polygon rings (a list of boxes as their
    corner rings, as they are rasterised), None for an RLE or a missing one; None
    when none is polygons (the store's ``polygon`` column, kept for exact drawing)."""
    rings: list[list[list[float]] | None] = []
    found = False
    for segmentation in segmentations:
        if type(segmentation) is not list:
            rings.append(None)
            continue
        found = True
        if len(segmentation[0]) == 4:
            segmentation = [[x, y, x, y + h, x + w, y + h, x + w, y] for x, y, w, h in segmentation]
        rings.append(segmentation)
    return rings if found else None


def _record(index: int, table: str | None) -> int | str:
    return index if table is None else f"{table}[{index}]"


def _masks(
    segmentations: list[Any],
    sizes: NDArray[np.int64],
    boxes: NDArray[np.float64] | None,
    name: str | None,
    table: str | None,
) -> MaskColumn:
    """One mask per segmentation (None: the record's box as a polygon, as loadRes), in
    order: compressed RLEs, uncompressed RLEs and polygons each read in one batch."""
    fast = _all_compressed(segmentations, name, table)
    if fast is not None:
        return fast
    strings: list[Any] = []
    string_sizes: list[Any] = []
    string_rows: list[int] = []
    run_lists: list[Any] = []
    run_sizes: list[Any] = []
    run_rows: list[int] = []
    polygon_objects: list[Any] = []
    polygon_rows: list[int] = []
    for index, segmentation in enumerate(segmentations):
        if type(segmentation) is dict:
            counts, size = segmentation.get("counts"), segmentation.get("size")
            if not _is_size(size):
                raise _fail(
                    f"segmentation size {_describe(size)} is not [height, width]"
                    if "size" in segmentation
                    else "segmentation RLE has no \"size\"",
                    name, table, index,
                )  # fmt: skip
            if type(counts) is str:
                strings.append(counts)
                string_sizes.append(size)
                string_rows.append(index)
            elif type(counts) is list:
                run_lists.append(counts)
                run_sizes.append(size)
                run_rows.append(index)
            else:
                raise _fail(
                    f"segmentation counts {_describe(counts)} is neither a string nor a list "
                    "of run lengths",
                    name, table, index,
                )  # fmt: skip
            continue
        if segmentation is None and boxes is not None:
            x, y, w, h = boxes[index].tolist()
            polygon_objects.append([[x, y, x, y + h, x + w, y + h, x + w, y]])
        elif type(segmentation) is list and segmentation:
            polygon_objects.append(segmentation)
        else:
            raise _fail(
                f"segmentation is {_describe(segmentation)}, neither polygons nor an RLE",
                name, table, index,
            )  # fmt: skip
        polygon_rows.append(index)
    if polygon_rows:
        polygons, polygon_owner = _rings(polygon_objects, polygon_rows, sizes, name, table)

    parts: list[MaskColumn] = []
    rows: list[list[int]] = []
    if strings:
        size_array = np.asarray(string_sizes, np.int64).reshape(-1, 2)
        try:
            parts.append(masks_from_strings(strings, size_array[:, 0], size_array[:, 1]))
        except BadString as error:
            raise _fail(
                f"segmentation {error.reason}", name, table, string_rows[error.index]
            ) from None
        rows.append(string_rows)
    if run_lists:
        parts.append(_masks_from_run_lists(run_lists, run_sizes, run_rows, name, table))
        rows.append(run_rows)
    if polygon_rows:
        parts.append(_masks_from_rings(polygons, polygon_owner, polygon_rows, sizes, name, table))
        rows.append(polygon_rows)
    column = concatenate_masks(parts)
    if len(rows) == 1:  # one kind: already in order
        return column
    row_of = np.fromiter(itertools.chain.from_iterable(rows), np.int64, len(segmentations))
    order = np.empty(len(segmentations), np.int64)
    order[row_of] = np.arange(len(segmentations))
    return column.take(order)


def _rings(
    objects: list[Any],
    rows: list[int],
    sizes: NDArray[np.int64],
    name: str | None,
    table: str | None,
) -> tuple[list[Any], Any]:
    """Every polygon of ``objects`` (each a segmentation's list of polygons) and the
    object each belongs to, checked: all at once when every polygon is a list of an
    even count of at least 6 numbers (4 after the first) and every image has a size;
    else object by object, which turns boxes into polygons and names a bad record."""
    rings = [ring for segmentation in objects for ring in segmentation]
    per_object = np.fromiter(map(len, objects), np.int64, len(objects))
    if set(map(type, rings)) <= {list} and (sizes[np.asarray(rows, np.int64)] >= 0).all():
        lengths = np.fromiter(map(len, rings), np.int64, len(rings))
        first = np.zeros(len(rings), np.bool_)
        first[np.cumsum(per_object) - per_object] = True
        if ((lengths % 2 == 0) & (lengths >= np.where(first, 6, 4))).all():
            return rings, np.repeat(np.arange(len(objects)), per_object)
    polygons: list[Any] = []
    owner: list[int] = []
    for number, (index, segmentation) in enumerate(zip(rows, objects, strict=True)):
        if sizes[index, 0] < 0 or sizes[index, 1] < 0:
            raise _fail(
                "segmentation is polygons but its image has no height and width to "
                "rasterise them on",
                name, table, index,
            )  # fmt: skip
        as_boxes = type(segmentation[0]) is list and len(segmentation[0]) == 4
        for ring_number, ring in enumerate(segmentation):
            shortest = 4 if as_boxes or ring_number else 6
            if (
                type(ring) is not list
                or len(ring) % 2
                or len(ring) < shortest
                or (as_boxes and len(ring) != 4)
            ):
                raise _fail(_ring_problem(ring, ring_number, as_boxes), name, table, index)
            if as_boxes:
                if not all(_is_number(v) and np.isfinite(v) for v in ring):
                    raise _fail(
                        "segmentation has a polygon coordinate that is not a finite number",
                        name, table, index,
                    )  # fmt: skip
                x, y, w, h = ring
                ring = [x, y, x, y + h, x + w, y + h, x + w, y]
            polygons.append(ring)
            owner.append(number)
    return polygons, owner


def _all_compressed(
    segmentations: list[Any], name: str | None, table: str | None
) -> MaskColumn | None:
    """The usual results file, every segmentation a compressed RLE with a valid size, read
    without a Python step per record; None for anything else (read record by record)."""
    try:
        strings = [s["counts"] for s in segmentations]
        size_list = [s["size"] for s in segmentations]
    except (KeyError, TypeError):
        return None
    if not segmentations or not set(map(type, strings)) <= {str}:
        return None
    try:
        sizes = np.array(size_list, np.int64)
    except (ValueError, TypeError, OverflowError):
        return None
    if sizes.shape != (len(segmentations), 2) or sizes.min() < 0 or sizes.max() >= 2**31:
        return None
    if not set(map(type, itertools.chain.from_iterable(size_list))) <= {int}:
        return None
    try:
        return masks_from_strings(strings, sizes[:, 0], sizes[:, 1])
    except BadString as error:
        raise _fail(f"segmentation {error.reason}", name, table, error.index) from None


def _is_size(size: Any) -> bool:
    return (
        type(size) is list
        and len(size) == 2
        and all(type(v) is int and 0 <= v < 2**31 for v in size)
    )


def _ring_problem(ring: Any, number: int, as_boxes: bool) -> str:
    if type(ring) is not list:
        return f"segmentation polygon {number} is {_describe(ring)}, not a list of numbers"
    if as_boxes:
        return (
            f"segmentation box {number} has {len(ring)} numbers, not 4 (the first entry "
            "has 4, so every entry is a box, as pycocotools reads it)"
        )
    return (
        f"segmentation polygon {number} has {len(ring)} numbers (needs an even count, "
        f"at least {4 if number else 6})"
    )


def _masks_from_run_lists(
    run_lists: list[Any],
    run_sizes: list[Any],
    run_rows: list[int],
    name: str | None,
    table: str | None,
) -> MaskColumn:
    lengths = np.fromiter(map(len, run_lists), np.int64, len(run_lists))
    offsets = np.zeros(len(run_lists) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    flat = list(itertools.chain.from_iterable(run_lists))
    counts = _int_column(flat)
    if counts is None or (counts.size and (counts.min() < 0 or counts.max() > 0xFFFFFFFF)):
        for at, runs in enumerate(run_lists):
            if not all(type(c) is int and 0 <= c <= 0xFFFFFFFF for c in runs):
                raise _fail(
                    "segmentation counts must be whole numbers from 0 to 2^32 - 1",
                    name, table, run_rows[at],
                )  # fmt: skip
    size_array = np.asarray(run_sizes, np.int64).reshape(-1, 2)
    assert counts is not None
    return masks_from_counts(counts, offsets, size_array[:, 0], size_array[:, 1])


def _masks_from_rings(
    polygons: list[Any],
    owner: list[int],
    rows: list[int],
    sizes: NDArray[np.int64],
    name: str | None,
    table: str | None,
) -> MaskColumn:
    lengths = np.fromiter(map(len, polygons), np.int64, len(polygons))
    coords: NDArray[np.float64] | None
    try:
        # Straight from the lists (no list of every coordinate); a bool or a string
        # among them goes to the exact check below.
        coords = np.fromiter(
            itertools.chain.from_iterable(polygons), np.float64, int(lengths.sum())
        )
        exact_types = all(set(map(type, ring)) <= {int, float} for ring in polygons)
    except (TypeError, ValueError):
        coords, exact_types = None, False
    if coords is None or not exact_types or not np.isfinite(coords).all():
        owner_of = np.asarray(owner)
        for at, ring in enumerate(polygons):
            if not all(_is_number(v) and np.isfinite(v) for v in ring):
                raise _fail(
                    "segmentation has a polygon coordinate that is not a finite number",
                    name, table, rows[int(owner_of[at])],
                )  # fmt: skip
    assert coords is not None
    polygon_coords = np.zeros(len(polygons) + 1, np.int64)
    np.cumsum(lengths, out=polygon_coords[1:])
    object_sizes = sizes[np.asarray(rows, np.int64)]
    return masks_from_polygon_arrays(
        coords,
        polygon_coords,
        np.asarray(owner, np.int64),
        len(rows),
        object_sizes[:, 0].copy(),
        object_sizes[:, 1].copy(),
    )


def _check_sizes(
    masks: MaskColumn, sizes: NDArray[np.int64], name: str | None, table: str | None
) -> None:
    """Every mask the size of its image (where the image gives one), its runs covering
    it exactly (or no runs at all)."""
    known = sizes[:, 0] >= 0
    wrong = known & ((masks.height != sizes[:, 0]) | (masks.width != sizes[:, 1]))
    if wrong.any():
        at = int(np.flatnonzero(wrong)[0])
        raise _fail(
            f"segmentation size [{int(masks.height[at])}, {int(masks.width[at])}] is not its "
            f"image's [height, width] [{int(sizes[at, 0])}, {int(sizes[at, 1])}]",
            name, table, at,
        )  # fmt: skip
    pixels = masks.pixels()
    runs = np.diff(masks.offsets)
    uncovered = (runs > 0) & (pixels != masks.height * masks.width)
    if uncovered.any():
        at = int(np.flatnonzero(uncovered)[0])
        raise _fail(
            f"segmentation counts cover {int(pixels[at])} pixels, not height x width = "
            f"{int(masks.height[at] * masks.width[at])}",
            name, table, at,
        )  # fmt: skip


def _fail(message: str, name: str | None, table: str | None, index: int) -> InputError:
    return InputError(message, source=name, record=_record(index, table))


# --------------------------------------------------------------------- results


def parse_coco_mask_results(source: CocoSource) -> CocoMaskResults:
    """Read and check a COCO segm results file once (masks are read when the records
    meet their ground truth's images: polygons need the image size)."""
    name, data, document = _read_source(source)
    if data is not None:
        scanned = _scan_results(data, name)
        if scanned is not None:
            return scanned
        document = _parse_json(data, name)
    del data
    records, table, images, categories = results_records(
        document, name, kind="segmentation results", geometry="segmentation"
    )
    # loadRes decides on the first record: a non-empty bbox keeps every record's box
    # (and takes its area); otherwise areas are the masks'.
    with_boxes = bool(records) and type(records[0]) is dict and bool(records[0].get("bbox"))
    image_ids, class_ids, scores, segmentations, boxes, box_given = _result_fields(
        records, name, table, with_boxes
    )
    area = boxes[:, 2] * boxes[:, 3] if with_boxes else None
    results = CocoResults(
        name, image_ids, class_ids, boxes, scores, table is not None, images, categories
    )
    return CocoMaskResults(results, segmentations, None, box_given, area)


def _releaser(data: Any) -> Callable[[int, int], None] | None:
    """For a mapped file: drop the pages of a byte range from this process's memory
    (read; the page cache keeps them), so the file is not resident beside its runs."""
    if not isinstance(data, mmap.mmap) or not hasattr(mmap, "MADV_DONTNEED"):
        return None

    def release(start: int, end: int) -> None:
        start -= start % mmap.PAGESIZE
        end -= end % mmap.PAGESIZE
        if end > start:
            data.madvise(mmap.MADV_DONTNEED, start, end - start)

    return release


def _scan_results(data: Any, name: str | None) -> CocoMaskResults | None:
    """The C scanner's reading of a results array of compressed RLE records (the usual
    file), masks read straight from the file's bytes; None when the file needs the
    exact slow path (which also words any error)."""
    from shoal.formats import _json_columns as scanner

    buffer = np.frombuffer(data, dtype=np.uint8)
    status, position = scanner.open_array(buffer)
    scan = scanner.scan_segm_records(buffer, position) if status == scanner.SCAN_PAUSED else None
    if scan is None or (scan.sizes.size and (scan.sizes.min() < 0 or scan.sizes.max() >= 2**31)):
        return None
    with_boxes = bool(scan.has_box.size) and bool(scan.has_box[0])
    if with_boxes and not scan.has_box.all():
        return None  # the slow path names the record without a bbox
    try:
        masks = masks_from_spans(
            buffer, scan.counts_start, scan.counts_end, scan.sizes[:, 0], scan.sizes[:, 1],
            json_escaped=True, release=_releaser(data),
        )  # fmt: skip
    except BadString as error:
        raise _fail(f"segmentation {error.reason}", name, None, error.index) from None
    finally:
        del buffer  # a mapping cannot close while NumPy holds a view of it
    box_given = scan.has_box.copy()
    boxes = np.where(box_given[:, None], scan.boxes, 0.0)
    results = CocoResults(name, scan.image_ids, scan.class_ids, boxes, scan.scores)
    area = boxes[:, 2] * boxes[:, 3] if with_boxes else None
    return CocoMaskResults(results, None, masks, box_given, area)


def _result_fields(
    records: list[Any], name: str | None, table: str | None, with_boxes: bool
) -> tuple[
    NDArray[Any],
    NDArray[np.int64],
    NDArray[np.float64],
    list[Any],
    NDArray[np.float64],
    NDArray[np.bool_],
]:
    """image ids, category ids, scores, segmentations, boxes (0 where not given) and
    whether each was given; names the first bad record."""
    try:
        image_list = [r["image_id"] for r in records]
        class_list = [r["category_id"] for r in records]
        score_list = [r.get("score", 1.0) for r in records]
        if with_boxes:
            box_list = [r["bbox"] for r in records]
            # An empty list is no segmentation (a detection file's placeholder).
            segmentations = [None if (s := r.get("segmentation")) == [] else s for r in records]
            box_given = np.ones(len(records), np.bool_)
        else:
            segmentations = [r["segmentation"] for r in records]
            box_given = np.fromiter((bool(r.get("bbox")) for r in records), np.bool_, len(records))
            box_list = [r["bbox"] for r in itertools.compress(records, box_given)]
    except (KeyError, TypeError, AttributeError):
        _raise_record_problem(records, name, table, with_boxes)
    image_ids = _id_column(image_list)
    class_ids = _int_column(class_list)
    scores = _float_vector(score_list)
    given = _float_matrix(box_list, 4)
    if (
        image_ids is None
        or class_ids is None
        or scores is None
        or given is None
        or not np.isfinite(given).all()
    ):
        _raise_record_problem(records, name, table, True)
    assert image_ids is not None and class_ids is not None and scores is not None
    assert given is not None
    if not records:
        image_ids = np.zeros(0, np.int64)
    boxes = np.zeros((len(records), 4), np.float64)
    boxes[box_given] = given
    return image_ids, class_ids, scores, segmentations, boxes, box_given


def _raise_record_problem(
    records: list[Any], name: str | None, table: str | None, with_boxes: bool
) -> Any:
    """Raise the first record's problem (the slow, exact pass)."""
    kind: type | None = None
    for index, record in enumerate(records):
        if type(record) is not dict:
            raise _fail(f"expected an object, got {_type_name(record)}", name, table, index)
        required = ["image_id", "category_id"] + (["bbox"] if with_boxes else ["segmentation"])
        for key in required:
            if key not in record:
                extra = (
                    " (the first record has a bbox, so every record needs one, as loadRes "
                    "reads them)"
                    if key == "bbox"
                    else ""
                )
                raise _fail(f'missing "{key}"{extra}', name, table, index)
        image_id = record["image_id"]
        problem = _record_id_problem("image_id", image_id, kind)
        if problem is not None:
            raise _fail(problem, name, table, index)
        kind = type(image_id)
        category = record["category_id"]
        if type(category) is not int or not -(2**63) <= category < 2**63:
            raise _fail(f"category_id {_describe(category)} must be an integer", name, table, index)
        score = record.get("score", 1.0)
        if not _is_number(score):
            raise _fail(f"score {_describe(score)} must be a number", name, table, index)
        if record.get("bbox"):
            problem = _check_bbox_value(record["bbox"])
            if problem is not None:
                raise _fail(problem, name, table, index)
    raise InputError("unreadable segmentation results", source=name)  # pragma: no cover
