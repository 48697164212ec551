"""COCO keypoints: the ground truth's and the results' ``keypoints``, read through the
one COCO reader (:mod:`shoal.formats.coco` parses images, categories and annotations;
this module adds the keypoint fields), with pycocotools' semantics:

* Each category's ``keypoints`` (names) and ``skeleton`` (1-based pairs) make its
  :class:`~shoal.engine.keypoints.KeypointSchema`; a category without ``keypoints``
  takes its count from its first annotation that has some (names "1", "2", ...).
  OKS sigmas: ``sigmas=`` (one array for every category, or ``{category_id: array}``);
  else COCO's 17 person sigmas for a 17-keypoint category (what pycocotools uses for
  every category), else :data:`~shoal.engine.keypoints.DEFAULT_SIGMA` per keypoint.
* A ground-truth annotation with ``num_keypoints == 0`` is ignored (matched at most once
  and never counted), as ``COCOeval`` sets ``ignore``; a missing ``num_keypoints``
  counts the keypoints with ``v > 0``. OKS itself reads the ``v`` flags.
* Results are ``{"image_id", "category_id", "keypoints", "score"}`` records (or an
  object whose ``annotations`` hold them). As in ``loadRes``: when the first record has
  a non-empty ``bbox``, every record's bbox is kept and its area is ``w * h``; otherwise
  each prediction's box is its keypoints' extent (every keypoint, whatever its flag) and
  its area that box's area. Prediction ids are 1-based file positions.

Errors name the file and record: a keypoint list whose length is not 3 per keypoint of
the record's category, values that are not finite numbers, a bad ``num_keypoints`` or
skeleton.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shoal._native import thread_count
from shoal._types import Progress
from shoal.engine.detection.annotations import GroundTruth, Predictions
from shoal.engine.keypoints import KeypointSchema, KeypointSimilarity, PointLists
from shoal.errors import InputError
from shoal.formats.coco import (
    CocoGroundTruth,
    CocoResults,
    CocoSource,
    _describe,
    _id_column,
    _InThread,
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
    "CocoKeypointGroundTruth",
    "CocoKeypointResults",
    "annotation_keypoints",
    "parse_coco_keypoint_ground_truth",
    "parse_coco_keypoint_results",
    "read_coco_keypoints",
]

Sigmas = ArrayLike | Mapping[int, ArrayLike] | None
"""One sigma array for every category, one per category id, or None (the defaults)."""


@dataclass(frozen=True, eq=False)
class CocoKeypointGroundTruth:
    """A COCO keypoints file read once: the instances parse (``parsed``, whose
    ``annotations`` records are kept), each annotation's keypoints (file order) and
    ``num_keypoints``, and each class's schema (``schemas[i]`` for
    ``parsed.classes[i]``)."""

    parsed: CocoGroundTruth
    keypoints: PointLists
    num_keypoints: NDArray[np.int64]
    schemas: tuple[KeypointSchema, ...]

    def ground_truth(self, *, ignore_flag: bool = False) -> GroundTruth:
        """The engine's columns, objects with ``num_keypoints == 0`` ignored."""
        gt = self.parsed.ground_truth(ignore_flag=ignore_flag)
        return GroundTruth(
            frame_ids=gt.frame_ids,
            classes=gt.classes,
            frame=gt.frame,
            label=gt.label,
            box=gt.box,
            area=gt.area,
            iscrowd=gt.iscrowd,
            ignore=gt.ignore | (self.num_keypoints == 0),
            ids=gt.ids,
        )

    def schema_by_name(self) -> dict[str, KeypointSchema]:
        """Each class's schema by class name (for the store's metadata and the web)."""
        names = self.parsed.classes.names.tolist()
        return dict(zip(names, self.schemas, strict=True))


@dataclass(frozen=True, eq=False)
class CocoKeypointResults:
    """A COCO keypoint results file read once, before its ids meet a ground truth."""

    results: CocoResults  # boxes already the keypoints' extents (or the given bboxes)
    keypoints: PointLists
    area: NDArray[np.float64]
    box_given: bool = False  # the first record had a bbox: every box is the file's

    def predictions(
        self, ground_truth: GroundTruth, *, file_names: Sequence[str | None] | None = None
    ) -> Predictions:
        base = self.results.predictions(ground_truth, file_names=file_names)
        return Predictions(
            frame=base.frame,
            label=base.label,
            box=base.box,
            score=base.score,
            ids=base.ids,
            area=self.area,
        )


def read_coco_keypoints(
    ground_truth: CocoSource,
    results: CocoSource,
    *,
    ignore_flag: bool = False,
    sigmas: Sigmas = None,
    progress: Progress | None = None,
) -> tuple[GroundTruth, Predictions, KeypointSimilarity]:
    """Both files of a COCO keypoints evaluation (paths, bytes or parsed JSON): the
    engine's columns and the OKS similarity to evaluate them with,
    ``evaluate(gt, dt, similarity=oks, params=CocoParams.keypoints())``. The classes'
    keypoint names and skeletons are ``oks.schemas``. See the module doc for the
    semantics; ``ignore_flag`` honours the annotations' ``ignore`` flags as in
    :func:`shoal.formats.coco.read_coco_ground_truth`."""
    shares = _SharedProgress(progress, parts=2) if progress is not None else None
    gt_progress = shares.part(0) if shares is not None else None
    results_progress = shares.part(1) if shares is not None else None
    if thread_count() >= 2:
        # The C scans release the GIL: the ground truth is read on a second thread while
        # this one reads the results. The ground truth's error (raised last, from the
        # finally) wins, as when the files are read in turn.
        background = _InThread(_parse_ground_truth, ground_truth, sigmas, gt_progress)
        try:
            scanned = parse_coco_keypoint_results(results, progress=results_progress)
        finally:
            parsed = background.result()
    else:
        parsed = _parse_ground_truth(ground_truth, sigmas, gt_progress)
        scanned = parse_coco_keypoint_results(results, progress=results_progress)
    gt = parsed.ground_truth(ignore_flag=ignore_flag)
    dt = scanned.predictions(gt, file_names=parsed.parsed.frame_file_names())
    _check_result_counts(scanned, dt, parsed.schemas, gt)
    similarity = KeypointSimilarity(gt, dt, parsed.keypoints, scanned.keypoints, parsed.schemas)
    return gt, dt, similarity


# ----------------------------------------------------------------- ground truth


def _parse_ground_truth(
    source: CocoSource, sigmas: Sigmas, progress: Progress | None
) -> CocoKeypointGroundTruth:
    return parse_coco_keypoint_ground_truth(source, sigmas=sigmas, progress=progress)


def parse_coco_keypoint_ground_truth(
    source: CocoSource, *, sigmas: Sigmas = None, progress: Progress | None = None
) -> CocoKeypointGroundTruth:
    """Read and check a COCO keypoints file once (for the engine or the tables). A
    file's annotations go through the C scanners (their usual columns, then a second
    pass for the keypoint fields); anything unusual through the records."""
    if isinstance(source, str | os.PathLike | bytes | bytearray | memoryview):
        scanned = _scan_ground_truth(source, sigmas, progress)
        if scanned is not None:
            return scanned
    parsed = parse_coco_ground_truth(source, keep_records=True, progress=progress)
    return annotation_keypoints(parsed, sigmas=sigmas)


def annotation_keypoints(
    parsed: CocoGroundTruth, *, sigmas: Sigmas = None
) -> CocoKeypointGroundTruth:
    """The keypoints of a parse's annotation records (kept), checked against their
    categories' schemas (for the engine's reading of a file and for the store's tables)."""
    name = parsed.source
    annotations = parsed.annotations or []
    class_ids = parsed.classes.ids[parsed.label] if annotations else np.zeros(0, np.int64)
    lengths = np.fromiter(
        (len(r["keypoints"]) if isinstance(r.get("keypoints"), list) else 0 for r in annotations),
        np.int64,
        len(annotations),
    )
    counts = _category_counts(parsed, lengths)
    schemas = _schemas(parsed, counts, sigmas)
    values, num_keypoints = _keypoint_fields(annotations, parsed.label, schemas)
    if values is None or num_keypoints is None:
        values, num_keypoints = _keypoint_fields_per_record(annotations, class_ids, counts, name)
    return CocoKeypointGroundTruth(
        parsed=parsed,
        keypoints=_point_lists(values, name),
        num_keypoints=num_keypoints,
        schemas=schemas,
    )


def _keypoint_fields(
    annotations: list[dict[str, Any]], label: NDArray[np.int32], schemas: Sequence[KeypointSchema]
) -> tuple[list[Any] | None, NDArray[np.int64] | None]:
    """The annotations' keypoint lists and num_keypoints when every record has both, of
    the right lengths and kinds; (None, None) otherwise (the per-record reading words
    the problem)."""
    values: list[Any] = [record.get("keypoints") for record in annotations]
    given = [record.get("num_keypoints") for record in annotations]
    if not (set(map(type, values)) <= {list} and set(map(type, given)) <= {int}):
        return None, None
    lengths = np.fromiter(map(len, values), np.int64, len(values))
    expected = 3 * np.array([len(schema) for schema in schemas], np.int64)[label]
    try:
        num_keypoints = np.array(given, np.int64)
    except OverflowError:
        return None, None
    if not np.array_equal(lengths, expected) or (num_keypoints < 0).any():
        return None, None
    return values, num_keypoints


def _keypoint_fields_per_record(
    annotations: list[dict[str, Any]],
    class_ids: NDArray[np.int64],
    counts: dict[int, int],
    name: str | None,
) -> tuple[list[Any], NDArray[np.int64]]:
    values: list[Any] = []
    num_keypoints = np.zeros(len(annotations), np.int64)
    for index, record in enumerate(annotations):
        count = counts[int(class_ids[index])]
        keypoints = record.get("keypoints", [] if count == 0 else None)
        where = f"annotations[{index}]"
        if keypoints is None:
            raise InputError(
                f'missing "keypoints" (category {int(class_ids[index])} has {count})',
                source=name,
                record=where,
            )
        _check_keypoint_list(keypoints, count, int(class_ids[index]), name, where)
        values.append(keypoints)
        given = record.get("num_keypoints")
        if given is None:
            num_keypoints[index] = sum(1 for v in keypoints[2::3] if v > 0)
        elif type(given) is int and given >= 0:
            num_keypoints[index] = given
        else:
            raise InputError(
                f"num_keypoints {_describe(given)} must be a whole number >= 0",
                source=name,
                record=where,
            )
    return values, num_keypoints


def _categories_by_class(parsed: CocoGroundTruth) -> list[tuple[int, dict[str, Any]]]:
    """(file index, record) of each category, in the classes' (sorted id) order."""
    by_id = {category["id"]: (i, category) for i, category in enumerate(parsed.categories)}
    return [by_id[class_id] for class_id in parsed.classes.ids.tolist()]


def _scan_ground_truth(
    source: CocoSource, sigmas: Sigmas, progress: Progress | None
) -> CocoKeypointGroundTruth | None:
    """The scanners' reading of a keypoints file, or None when it needs the records."""
    from shoal.formats import _json_columns as scanner

    parsed = parse_coco_ground_truth(source, progress=progress)
    _, data, _ = _read_source(source)
    if data is None:
        return None
    buffer = np.frombuffer(data, dtype=np.uint8)
    found = scanner.scan_annotation_keypoints(buffer) if buffer.size else None
    del buffer  # a mapping cannot close while NumPy holds a view of it
    if found is None or found[2].size != parsed.label.size:
        return None
    values, offsets, given = found
    lengths = np.diff(offsets)
    if (lengths % 3).any():
        return None
    counts = _category_counts(parsed, lengths)
    schemas = _schemas(parsed, counts, sigmas)
    if not np.array_equal(lengths, 3 * np.array([len(s) for s in schemas], np.int64)[parsed.label]):
        return None
    keypoints = PointLists(offsets // 3, values.reshape(-1, 3))
    num_keypoints = given
    if (given < 0).any():  # absent: the keypoints with v > 0
        visible = np.zeros(keypoints.points.shape[0] + 1, np.int64)
        np.cumsum(keypoints.points[:, 2] > 0, out=visible[1:])
        counted = visible[keypoints.offsets[1:]] - visible[keypoints.offsets[:-1]]
        num_keypoints = np.where(given < 0, counted, given)
    return CocoKeypointGroundTruth(
        parsed=parsed, keypoints=keypoints, num_keypoints=num_keypoints, schemas=schemas
    )


def _schemas(
    parsed: CocoGroundTruth, counts: dict[int, int], sigmas: Sigmas
) -> tuple[KeypointSchema, ...]:
    return tuple(
        _schema(category, counts[category["id"]], sigmas, parsed.source, index)
        for index, category in _categories_by_class(parsed)
    )


def _category_counts(parsed: CocoGroundTruth, lengths: NDArray[np.int64]) -> dict[int, int]:
    """Keypoints per category id: its ``keypoints`` names, else the count of its first
    annotation with keypoints (``lengths``: each annotation's number of values)."""
    counts: dict[int, int] = {}
    unnamed: set[int] = set()
    for index, category in _categories_by_class(parsed):
        names = category.get("keypoints")
        if names is None:
            unnamed.add(category["id"])
            counts[category["id"]] = 0
        elif isinstance(names, list) and all(isinstance(n, str) for n in names):
            counts[category["id"]] = len(names)
        else:
            raise InputError(
                f"keypoints {_describe(names)} must be a list of keypoint names",
                source=parsed.source,
                record=f"categories[{index}]",
            )
    class_ids = parsed.classes.ids[parsed.label]
    for class_id in unnamed:
        with_values = np.flatnonzero((class_ids == class_id) & (lengths > 0))
        if with_values.size:
            counts[class_id] = int(lengths[with_values[0]]) // 3
    return counts


def _schema(
    category: dict[str, Any], count: int, sigmas: Sigmas, name: str | None, index: int
) -> KeypointSchema:
    where = f"categories[{index}]"
    names = category.get("keypoints")
    names = tuple(names) if names is not None else tuple(str(k) for k in range(1, count + 1))
    skeleton = category.get("skeleton", [])
    if not isinstance(skeleton, list) or not all(
        isinstance(limb, list) and len(limb) == 2 and all(type(k) is int for k in limb)
        for limb in skeleton
    ):
        raise InputError(
            f"skeleton {_describe(skeleton)} must be a list of [keypoint, keypoint] pairs",
            source=name,
            record=where,
        )
    chosen = sigmas.get(category["id"]) if isinstance(sigmas, Mapping) else sigmas
    try:
        return KeypointSchema(
            names,
            tuple((int(a), int(b)) for a, b in skeleton),
            np.zeros(0) if chosen is None else np.asarray(chosen, np.float64),
        )
    except InputError as error:
        raise InputError(error.message, source=name, record=where) from None


def _check_keypoint_list(
    keypoints: Any, count: int, class_id: int, name: str | None, where: str
) -> None:
    if not isinstance(keypoints, list):
        raise InputError(
            f"keypoints must be an array of numbers, got {_type_name(keypoints)}",
            source=name,
            record=where,
        )
    if len(keypoints) != 3 * count:
        raise InputError(
            f"{len(keypoints)} keypoint values; category {class_id} has {count} keypoints "
            f"({3 * count} values: x, y, v each)",
            source=name,
            record=where,
        )


def _point_lists(
    values: list[Any], name: str | None, table: str | None = "annotations"
) -> PointLists:
    """The keypoint lists (lengths already checked) as one flat array, checked to be
    finite numbers; the slow per-record pass only words an error."""
    counts = np.fromiter((len(v) // 3 for v in values), np.int64, len(values))
    offsets = np.zeros(len(values) + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    flat: NDArray[np.float64] | None = None
    try:
        if values and (counts == counts[0]).all():
            array = np.array(values)
            flat = array.astype(np.float64).reshape(-1) if array.dtype.kind in "iuf" else None
        else:
            chained = [x for v in values for x in v]
            flat = (
                np.array(chained, np.float64) if set(map(type, chained)) <= {int, float} else None
            )
    except (ValueError, TypeError, OverflowError):
        flat = None
    if flat is None or not np.isfinite(flat).all():
        for index, keypoints in enumerate(values):
            for value in keypoints:
                if not _is_number(value) or not np.isfinite(value):
                    record = index if table is None else f"{table}[{index}]"
                    raise InputError(
                        f"keypoint value {_describe(value)} is not a finite number",
                        source=name,
                        record=record,
                    )
        raise AssertionError("unreachable")  # pragma: no cover
    return PointLists(offsets, flat.reshape(-1, 3))


# --------------------------------------------------------------------- results


def parse_coco_keypoint_results(
    source: CocoSource, *, progress: Progress | None = None
) -> CocoKeypointResults:
    """Read and check a COCO keypoint results file once; ``progress(done, total)`` at
    the start and the end (one scan, too quick to report within)."""
    if progress is not None:
        progress(0, 1)
    results = _parse_results(source)
    if progress is not None:
        progress(1, 1)
    return results


def _parse_results(source: CocoSource) -> CocoKeypointResults:
    name, data, document = _read_source(source)
    if data is not None:
        scanned = _scan_results(data, name)
        if scanned is not None:
            return scanned
        document = _parse_json(data, name)
    del data
    records, table, images, categories = results_records(
        document, name, kind="keypoint results", geometry="keypoints"
    )
    image_ids, class_ids, keypoint_lists, scores, boxes = _result_fields(records, name, table)
    keypoints = _point_lists(keypoint_lists, name, table)
    if boxes is None:
        # loadRes: the box and area of the keypoints' extent, every keypoint counted.
        box = _extents(keypoints)
        area = box[:, 2] * box[:, 3]
    else:
        box = boxes
        area = box[:, 2] * box[:, 3]
    results = CocoResults(
        name, image_ids, class_ids, box, scores, table is not None, images, categories
    )
    return CocoKeypointResults(
        results=results, keypoints=keypoints, area=area, box_given=boxes is not None
    )


def _scan_results(data: Any, name: str | None) -> CocoKeypointResults | None:
    """The C scanner's reading of a results array (the usual file), or None when the
    file needs the exact slow path (which also words any error)."""
    from shoal.formats import _json_columns as scanner

    buffer = np.frombuffer(data, dtype=np.uint8)
    status, position = scanner.open_array(buffer)
    if status == scanner.SCAN_DONE:
        scan = scanner.KeypointScan(
            np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, 4)),
            np.zeros(0, np.bool_), np.zeros(0), np.zeros(0), np.zeros(1, np.int64),
            np.zeros((0, 4)),
        )  # fmt: skip
    elif status == scanner.SCAN_PAUSED:
        found = scanner.scan_keypoint_records(buffer, position)
        if found is None:
            return None
        scan = found
    else:
        return None
    del buffer  # a mapping cannot close while NumPy holds a view of it
    counts = np.diff(scan.offsets)
    wrong = np.flatnonzero(counts % 3)
    if wrong.size:
        row = int(wrong[0])
        raise InputError(
            f"{int(counts[row])} keypoint values, not x, y, v triples", source=name, record=row
        )
    keypoints = PointLists(scan.offsets // 3, scan.keypoints.reshape(-1, 3))
    with_boxes = bool(scan.has_box.size) and bool(scan.has_box[0])
    if with_boxes and not scan.has_box.all():
        return None  # the slow path names the record without a bbox
    box = np.ascontiguousarray(scan.boxes if with_boxes else scan.extents)
    results = CocoResults(name, scan.image_ids, scan.class_ids, box, scan.scores)
    return CocoKeypointResults(
        results=results, keypoints=keypoints, area=box[:, 2] * box[:, 3], box_given=with_boxes
    )


def _extents(keypoints: PointLists) -> NDArray[np.float64]:
    """(x0, y0, x1 - x0, y1 - y0) of each object's keypoints (zeros for none)."""
    box = np.zeros((len(keypoints), 4), np.float64)
    counts = keypoints.counts
    has = counts > 0
    if not has.any():
        return box
    starts = keypoints.offsets[:-1][has]
    xy = keypoints.points[:, :2]
    low = np.minimum.reduceat(xy, starts, axis=0) if starts.size else np.zeros((0, 2))
    high = np.maximum.reduceat(xy, starts, axis=0) if starts.size else np.zeros((0, 2))
    box[has, 0:2] = low
    box[has, 2:4] = high - low
    return box


def _result_fields(
    records: list[Any], name: str | None, table: str | None
) -> tuple[
    NDArray[Any], NDArray[np.int64], list[Any], NDArray[np.float64], NDArray[np.float64] | None
]:
    """image ids, category ids, keypoint lists, scores and (when the first record has a
    bbox, as loadRes decides) boxes; names the first bad record."""
    with_boxes = bool(records) and isinstance(records[0], dict) and bool(records[0].get("bbox"))
    try:
        image_list = [r["image_id"] for r in records]
        class_list = [r["category_id"] for r in records]
        keypoint_list = [r["keypoints"] for r in records]
        score_list = [r.get("score", 1.0) for r in records]
        box_list = [r["bbox"] for r in records] if with_boxes else None
        fast = (
            set(map(type, class_list)) <= {int}
            and set(map(type, keypoint_list)) <= {list}
            and set(map(type, score_list)) <= {int, float}
        )
    except (KeyError, TypeError, AttributeError):
        fast = False
    image_ids = _id_column(image_list) if fast else None
    boxes = None
    if fast and box_list is not None:
        try:
            array = np.array(box_list)
            fast = array.dtype.kind in "iuf" and array.shape == (len(records), 4)
            boxes = array.astype(np.float64)
        except (ValueError, TypeError, OverflowError):
            fast = False
    if not fast or image_ids is None:
        _raise_record_problem(records, name, table, with_boxes)
        raise AssertionError("unreachable")  # pragma: no cover
    try:
        class_ids = np.array(class_list, np.int64)
    except OverflowError:
        _raise_record_problem(records, name, table, with_boxes)
        raise
    if not records:
        image_ids = np.zeros(0, np.int64)
    for index, keypoints in enumerate(keypoint_list):
        if len(keypoints) % 3:
            raise InputError(
                f"{len(keypoints)} keypoint values, not x, y, v triples",
                source=name,
                record=index if table is None else f"{table}[{index}]",
            )
    return image_ids, class_ids, keypoint_list, np.array(score_list, np.float64), boxes


def _raise_record_problem(
    records: list[Any], name: str | None, table: str | None, with_boxes: bool
) -> None:
    """The exact per-record reading that words the first problem."""
    id_kind: type | None = None
    for index, record in enumerate(records):
        where = index if table is None else f"{table}[{index}]"
        if not isinstance(record, dict):
            raise InputError(
                f"expected an object, got {_type_name(record)}", source=name, record=where
            )
        for key in ("image_id", "category_id", "keypoints") + (("bbox",) if with_boxes else ()):
            if key not in record:
                reason = (
                    " (the first record has one, so loadRes reads every record's)"
                    if key == "bbox"
                    else ""
                )
                raise InputError(f'missing "{key}"{reason}', source=name, record=where)
        image_id = record["image_id"]
        problem = _record_id_problem("image_id", image_id, id_kind)
        if problem is not None:
            raise InputError(problem, source=name, record=where)
        id_kind = type(image_id)
        category = record["category_id"]
        if type(category) is not int or not -(2**63) <= category < 2**63:
            raise InputError(
                f"category_id {_describe(category)} must be an integer", source=name, record=where
            )
        if not isinstance(record["keypoints"], list):
            raise InputError(
                f"keypoints must be an array of numbers, got {_type_name(record['keypoints'])}",
                source=name,
                record=where,
            )
        score = record.get("score", 1.0)
        if not _is_number(score):
            raise InputError(
                f"score {_describe(score)} must be a number", source=name, record=where
            )
        if with_boxes:
            bbox = record["bbox"]
            if not (isinstance(bbox, list) and len(bbox) == 4 and all(_is_number(v) for v in bbox)):
                raise InputError(
                    f"bbox must be 4 numbers, got {_describe(bbox)}", source=name, record=where
                )
    raise InputError("the results could not be read", source=name)


def _check_result_counts(
    scanned: CocoKeypointResults,
    predictions: Predictions,
    schemas: Sequence[KeypointSchema],
    ground_truth: GroundTruth,
) -> None:
    expected = np.array([len(s) for s in schemas], np.int64)[predictions.label]
    wrong = np.flatnonzero(scanned.keypoints.counts != expected)
    if wrong.size:
        row = int(wrong[0])
        class_index = int(predictions.label[row])
        record: int | str = f"annotations[{row}]" if scanned.results.in_annotations else row
        raise InputError(
            f"{int(scanned.keypoints.counts[row]) * 3} keypoint values; category "
            f"{int(ground_truth.classes.ids[class_index])} "
            f"({str(ground_truth.classes.names[class_index])!r}) has {int(expected[row])} "
            f"keypoints ({int(expected[row]) * 3} values)",
            source=scanned.results.source,
            record=record,
        )
