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
  given (null when absent, meaning w * h), ``iscrowd``, ``ignore`` from a COCO
  ``ignore`` flag (written by several converters; pycocotools itself disregards it),
  ``attributes`` = JSON of every other key (``segmentation`` is dropped: Shoal
  evaluates boxes).
* the categories (ids, names, supercategories) are remembered by the dataset, so that
  :func:`as_coco` writes the same ids and :func:`from_coco_results` reads results that
  use them.

Results read by :func:`from_coco_results`: a list of ``{"image_id", "category_id",
"bbox": [x, y, w, h], "score"}`` (missing score = 1.0; other keys ignored); or a
dataset-shaped dict whose ``annotations`` carry scores, in which case its own
``images`` (matched to the dataset's frames by ``file_name`` = ``image_uri``) and
``categories`` (matched by name) are used.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa

from shoal.engine.detection.annotations import Classes, GroundTruth
from shoal.errors import InputError
from shoal.formats._rows import (
    FrameRows,
    LabelRows,
    PathLike,
    PredictionRows,
    attributes_of,
    build_dataset,
    build_inferences,
    check_image_size,
    check_metadata_key,
    describe,
    parse_number,
    read_text,
    remembered,
)
from shoal.formats.coco import read_coco_results
from shoal.tables import PREDICTIONS_SCHEMA, DatasetTables, InferenceTables, empty_embeddings

__all__ = ["as_coco", "as_coco_results", "from_coco", "from_coco_results"]

_IMAGE_KEYS = {"id", "file_name", "width", "height"}
_ANNOTATION_KEYS = {"id", "image_id", "category_id", "bbox", "area", "iscrowd", "ignore"}
_DROPPED_ANNOTATION_KEYS = {"segmentation"}
_CATEGORIES = "coco_categories"


def _load(source: PathLike | Mapping[str, Any] | Sequence[Any]) -> tuple[str, Any]:
    if isinstance(source, str | os.PathLike):
        name = os.fspath(source)
        text = read_text(name)
        try:
            return name, orjson.loads(text)
        except orjson.JSONDecodeError as error:
            raise InputError(
                f"is not valid JSON ({error.msg})", source=name, record=f"line {error.lineno}"
            ) from None
    return "<COCO data>", source


def _list(document: Mapping[str, Any], key: str, name: str, required: bool = True) -> list[Any]:
    value = document.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list):
        raise InputError(f"{key!r} is {describe(value)}, expected a list", source=name, record=key)
    return value


def _record(record: Any, where: str, name: str) -> dict[str, Any]:
    if not isinstance(record, dict):
        raise InputError(f"is {describe(record)}, expected an object", source=name, record=where)
    return record


def _id(value: Any, what: str, name: str, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InputError(
            f"{what} {describe(value)} is not an integer or a string", source=name, record=where
        )
    return str(value)


def _flag(value: Any, what: str, name: str, where: str) -> bool:
    if value in (0, 1) or isinstance(value, bool):
        return bool(value)
    raise InputError(f"{what} is {describe(value)}, expected 0 or 1", source=name, record=where)


def _bbox(value: Any, name: str, where: str) -> tuple[float, float, float, float]:
    if not isinstance(value, list) or len(value) != 4:
        raise InputError(
            f"bbox is {describe(value)}, expected [x, y, width, height]", source=name, record=where
        )
    x, y, w, h = (parse_number(v, "bbox value", name, where) for v in value)
    return x, y, w, h


def _categories(document: Mapping[str, Any], name: str) -> tuple[dict[str, str], list[Any]]:
    """``{str(category id): name}`` and the categories as written."""
    by_id: dict[str, str] = {}
    names: dict[str, str] = {}
    kept = []
    for i, raw in enumerate(_list(document, "categories", name)):
        where = f"categories[{i}]"
        category = _record(raw, where, name)
        category_id = _id(category.get("id"), "category id", name, where)
        class_name = category.get("name")
        if not isinstance(class_name, str) or not class_name:
            raise InputError(f"category name is {describe(class_name)}", source=name, record=where)
        if category_id in by_id:
            raise InputError(f"duplicate category id {category_id}", source=name, record=where)
        if class_name in names:
            raise InputError(
                f"category name {class_name!r} is used by ids {names[class_name]} and "
                f"{category_id}",
                source=name,
                record=where,
            )
        by_id[category_id] = class_name
        names[class_name] = category_id
        kept.append({k: category[k] for k in ("id", "name", "supercategory") if k in category})
    return by_id, kept


def from_coco(source: PathLike | Mapping[str, Any]) -> DatasetTables:
    """A COCO instances file (or its parsed dict) as a dataset; layout in the module doc."""
    name, document = _load(source)
    if not isinstance(document, dict):
        raise InputError(f"is {describe(document)}, expected a COCO object", source=name)
    class_of, categories = _categories(document, name)

    frames = FrameRows()
    for i, raw in enumerate(_list(document, "images", name)):
        where = f"images[{i}]"
        image = _record(raw, where, name)
        frame_id = _id(image.get("id"), "image id", name, where)
        file_name = image.get("file_name")
        if file_name is not None and not isinstance(file_name, str):
            raise InputError(f"file_name is {describe(file_name)}", source=name, record=where)
        width = image.get("width")
        height = image.get("height")
        size: tuple[int | None, int | None] = (None, None)
        if width is not None or height is not None:
            size = check_image_size(
                parse_number(width, "width", name, where),
                parse_number(height, "height", name, where),
                name,
                where,
            )
        metadata = {}
        for key, value in image.items():
            if key in _IMAGE_KEYS:
                continue
            check_metadata_key(key, name, where)
            metadata[key] = value
        frames.add(
            frame_id, file_name, size[0], size[1], source=name, record=where, metadata=metadata
        )

    annotations = _list(document, "annotations", name, required=False)
    numbered = not any(isinstance(a, dict) and "id" in a for a in annotations)
    labels = LabelRows()
    for i, raw in enumerate(annotations):
        where = f"annotations[{i}]"
        annotation = _record(raw, where, name)
        label_id = (
            str(i + 1) if numbered else _id(annotation.get("id"), "annotation id", name, where)
        )
        frame_id = _id(annotation.get("image_id"), "image_id", name, where)
        if frame_id not in frames:
            raise InputError(f"image_id {frame_id} is not an image", source=name, record=where)
        category_id = _id(annotation.get("category_id"), "category_id", name, where)
        if category_id not in class_of:
            raise InputError(
                f"category_id {category_id} is not a category", source=name, record=where
            )
        if "bbox" not in annotation:
            raise InputError("annotation has no bbox", source=name, record=where)
        area = annotation.get("area")
        attributes = {
            k: v
            for k, v in annotation.items()
            if k not in _ANNOTATION_KEYS and k not in _DROPPED_ANNOTATION_KEYS
        }
        labels.add(
            label_id,
            frame_id,
            class_of[category_id],
            _bbox(annotation["bbox"], name, where),
            source=name,
            record=where,
            area=None if area is None else parse_number(area, "area", name, where),
            iscrowd=_flag(annotation.get("iscrowd", 0), "iscrowd", name, where),
            ignore=_flag(annotation.get("ignore", 0), "ignore", name, where),
            attributes=attributes,
        )
    return build_dataset(frames, labels, source=name, remember={_CATEGORIES: categories})


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
            "area": row["area"] if row["area"] is not None else box[2] * box[3],
            "iscrowd": int(row["iscrowd"]),
        }
        if row["ignore"]:
            annotation["ignore"] = 1
        annotation.update(attributes_of(row))
        annotations.append(annotation)
    document = {"images": images, "annotations": annotations, "categories": categories}
    _write_json(document, path)
    return document


def _category_names(
    categories: Mapping[Any, str] | Sequence[Mapping[str, Any]] | None, dataset: DatasetTables
) -> dict[str, str]:
    """``{str(category id): class name}`` from the argument, else the dataset's."""
    if categories is None:
        return {str(c["id"]): c["name"] for c in _category_list(dataset, dataset.class_names)}
    if isinstance(categories, Mapping):
        return {str(k): str(v) for k, v in categories.items()}
    return {str(c["id"]): str(c["name"]) for c in categories}


def _integer_ids(values: Sequence[str]) -> np.ndarray | None:
    """``values`` as int64 when every one is an integer written plainly, else None."""
    try:
        numbers = np.asarray([int(v) for v in values], dtype=np.int64)
    except (ValueError, OverflowError):
        return None
    if any(str(n) != v for n, v in zip(numbers.tolist(), values, strict=True)):
        return None
    return numbers


def _results_by_scanner(
    path: str, dataset: DatasetTables, class_of: Mapping[str, str]
) -> InferenceTables | None:
    """The common case at scale, a results list whose ids are integers, read by the C
    scanner into columns (a million predictions in about a second); None when the file
    needs the general reader (a dataset-shaped file, non-integer ids)."""
    with open(path, "rb") as handle:
        head = handle.read(4096).lstrip()
    if not head.startswith(b"["):
        return None
    frame_names = dataset.frames.column("frame_id").to_pylist()
    frame_numbers = _integer_ids(frame_names)
    category_numbers = _integer_ids(list(class_of))
    if frame_numbers is None or category_numbers is None:
        return None
    # The engine reader validates every record against these ids and boxes/scores.
    classes = Classes.from_ids(category_numbers, [class_of[k] for k in class_of])
    ground_truth = GroundTruth(
        frame_ids=frame_numbers,
        classes=classes,
        frame=np.zeros(0, np.int32),
        label=np.zeros(0, np.int32),
        box=np.zeros((0, 4)),
        area=np.zeros(0),
        iscrowd=np.zeros(0, bool),
        ignore=np.zeros(0, bool),
        ids=np.zeros(0, np.int64),
    )
    columns = read_coco_results(path, ground_truth)
    n = len(columns)
    frame_strings = pa.array(frame_names, pa.string())
    class_strings = pa.array(classes.names.tolist(), pa.string())
    box = columns.box
    predictions = pa.table(
        {
            "prediction_id": pa.array(np.arange(1, n + 1).astype(np.str_)),
            "frame_id": frame_strings.take(pa.array(columns.frame)),
            "class_name": class_strings.take(pa.array(columns.label)),
            "x": box[:, 0],
            "y": box[:, 1],
            "width": box[:, 2],
            "height": box[:, 3],
            "confidence": columns.score,
            "probabilities": pa.nulls(n, pa.list_(pa.float32())),
        },
        schema=PREDICTIONS_SCHEMA,
    )
    # Ids are positions (unique by construction) and every record was checked above.
    return InferenceTables(predictions, empty_embeddings())


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
    if isinstance(source, str | os.PathLike):
        fast = _results_by_scanner(os.fspath(source), dataset, _category_names(categories, dataset))
        if fast is not None:
            return fast
    name, document = _load(source)
    frame_ids = set(dataset.frames.column("frame_id").to_pylist())
    frame_of_image: dict[str, str] | None = None
    if isinstance(document, dict):
        # A dataset-shaped results file: its own image and category ids apply.
        frame_of_uri = {
            uri: frame_id
            for frame_id, uri in zip(
                dataset.frames.column("frame_id").to_pylist(),
                dataset.frames.column("image_uri").to_pylist(),
                strict=True,
            )
            if uri is not None
        }
        frame_of_image = {}
        for i, raw in enumerate(_list(document, "images", name)):
            where = f"images[{i}]"
            image = _record(raw, where, name)
            file_name = image.get("file_name")
            if file_name not in frame_of_uri:
                raise InputError(
                    f"file_name {describe(file_name)} is not an image of the dataset",
                    source=name,
                    record=where,
                )
            frame_of_image[_id(image.get("id"), "image id", name, where)] = frame_of_uri[file_name]
        class_of, _ = _categories(document, name)
        records = _list(document, "annotations", name)
        prefix = "annotations"
    elif isinstance(document, list):
        class_of = _category_names(categories, dataset)
        records = document
        prefix = ""
    else:
        raise InputError(f"is {describe(document)}, expected a list of results", source=name)

    predictions = PredictionRows()
    for i, raw in enumerate(records):
        where = f"{prefix}[{i}]" if prefix else str(i)
        result = _record(raw, where, name)
        image_id = _id(result.get("image_id"), "image_id", name, where)
        if frame_of_image is not None:
            if image_id not in frame_of_image:
                raise InputError(f"image_id {image_id} is not an image", source=name, record=where)
            frame_id = frame_of_image[image_id]
        else:
            frame_id = image_id
            if frame_id not in frame_ids:
                raise InputError(
                    f"image_id {image_id} is not a frame of the dataset", source=name, record=where
                )
        category_id = _id(result.get("category_id"), "category_id", name, where)
        if category_id not in class_of:
            raise InputError(
                f"category_id {category_id} is not a known category", source=name, record=where
            )
        if "bbox" not in result:
            raise InputError("result has no bbox", source=name, record=where)
        score = result.get("score")
        predictions.add(
            str(i + 1),
            frame_id,
            class_of[category_id],
            _bbox(result["bbox"], name, where),
            1.0 if score is None else parse_number(score, "score", name, where),
            source=name,
            record=where,
        )
    return build_inferences(predictions, source=name, dataset=dataset)


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
        results.append(
            {
                "image_id": image_id_of[row["frame_id"]],
                "category_id": category_of[row["class_name"]],
                "bbox": [row["x"], row["y"], row["width"], row["height"]],
                "score": row["confidence"],
            }
        )
    _write_json(results, path)
    return results
