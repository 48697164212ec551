"""Labelbox NDJSON predictions (the model-run prediction import payload) to Shoal's tables,
and back (:func:`as_labelbox`, which this reader reads to the same predictions).

One JSON object a line (blank lines skipped), as in Labelbox's "upload image
predictions" payloads:

* bounding box: ``{"uuid": "...", "dataRow": {"globalKey": "img.jpg"}, "name": "cat",
  "confidence": 0.9, "bbox": {"top": 30, "left": 12, "height": 170, "width": 80}}``:
  class = the tool ``name``, box ``x = left, y = top``;
* radio classification: ``{"dataRow": {"id": "ck..."}, "name": "species", "answer":
  {"name": "cat", "confidence": 0.5}}``: class = the answer's ``name`` (the question
  ``name`` is not a class), a frame-level prediction without a box.

* polygon: ``{..., "name": "car", "polygon": [{"x": 10, "y": 20}, {"x": 30, "y": 5},
  ...]}``: shape ``polygon`` (rasterised to ``mask`` on the frame's size, which the
  dataset must know);
* polyline: ``{..., "line": [{"x": .., "y": ..}, ...]}``: shape ``polyline``;
* point: ``{..., "point": {"x": .., "y": ..}}``: shape ``point``;
* segmentation mask: ``{..., "mask": {"png": "<base64 PNG>", "colorRGB": [255, 0, 0]}}``
  or ``{"instanceURI": "masks/car.png", "colorRGB": ...}`` (a local file, relative to
  the NDJSON file's folder, or a ``file://`` URI; Labelbox's composite masks share one
  PNG, and ``colorRGB`` picks the object's pixels; without it every non-black pixel is
  the object). The PNG must be the frame's size. Reading PNGs needs Pillow. A mask at
  an http(s) URL is an error: download it and point ``instanceURI`` at the file.

The box of a polygon, line or point is its vertices' extent; a mask's is pycocotools'
``toBbox`` of it (see :mod:`shoal.tables`).

``dataRow`` has ``id`` or ``globalKey``: it names a frame of ``dataset`` by
``frame_id``, else by ``image_uri``. A missing confidence is 1.0 (Labelbox's rule).
``prediction_id`` = ``uuid`` when present, else the line number. Nested
``classifications`` are not read; checklist answers (a list) and free text are errors
naming the line.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from shoal.errors import InputError
from shoal.formats._rows import (
    PathLike,
    PredictionRows,
    describe,
    frame_sizes,
    parse_number,
    read_text,
)
from shoal.tables import DatasetTables, InferenceTables, check_mask_sizes, rasterise_polygons

__all__ = ["as_labelbox", "from_labelbox"]


def _frame_lookup(dataset: DatasetTables) -> dict[str, str]:
    frames = dataset.frames
    ids = frames.column("frame_id").to_pylist()
    lookup = {
        uri: frame_id
        for frame_id, uri in zip(ids, frames.column("image_uri").to_pylist(), strict=True)
        if uri
    }
    lookup.update({frame_id: frame_id for frame_id in ids})
    return lookup


def _confidence(holder: dict[str, Any], source: str, record: str) -> float:
    value = holder.get("confidence")
    return 1.0 if value is None else parse_number(value, "confidence", source, record)


def ndjson_records(source: str) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """Each non-blank line of a Labelbox NDJSON file as (line number, ``"line n"``, its
    object); a line that is not a JSON object is an error naming it."""
    for number, line in enumerate(read_text(source).splitlines(), 1):
        if not line.strip():
            continue
        record = f"line {number}"
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            raise InputError(
                f"is not valid JSON ({error.msg})", source=source, record=record
            ) from None
        if not isinstance(item, dict):
            raise InputError(
                f"is {describe(item)}, expected an object", source=source, record=record
            )
        yield number, record, item


def data_row_frame(item: dict[str, Any], frame_of: dict[str, str], source: str, record: str) -> str:
    """The frame an NDJSON object's ``dataRow`` (``id`` or ``globalKey``: a frame id or
    image URI of the dataset, see ``frame_lookup``) names."""
    data_row = item.get("dataRow")
    key = data_row.get("id", data_row.get("globalKey")) if isinstance(data_row, dict) else None
    if not isinstance(key, str):
        raise InputError(
            f'dataRow is {describe(data_row)}, expected {{"id": ...}} or {{"globalKey": ...}}',
            source=source,
            record=record,
        )
    if key not in frame_of:
        raise InputError(
            f"data row {key!r} is not a frame of the dataset", source=source, record=record
        )
    return frame_of[key]


def from_labelbox(path: PathLike, dataset: DatasetTables) -> InferenceTables:
    """Labelbox NDJSON predictions on ``dataset``'s frames; layout in the module doc."""
    source = os.fspath(path)
    frame_of = _frame_lookup(dataset)
    sizes = frame_sizes(dataset)
    predictions = PredictionRows()
    for number, record, item in ndjson_records(source):
        frame_id = data_row_frame(item, frame_of, source, record)
        uuid = item.get("uuid")
        prediction_id = uuid if isinstance(uuid, str) and uuid else str(number)
        name = item.get("name")
        if "bbox" in item:
            bbox = item["bbox"]
            if not isinstance(bbox, dict):
                raise InputError(f"bbox is {describe(bbox)}", source=source, record=record)
            left, top, width, height = (
                parse_number(bbox.get(k), f"bbox {k}", source, record)
                for k in ("left", "top", "width", "height")
            )
            if not isinstance(name, str) or not name:
                raise InputError(
                    f"name is {describe(name)}, expected the class", source=source, record=record
                )
            predictions.add(
                prediction_id,
                frame_id,
                name,
                (left, top, width, height),
                _confidence(item, source, record),
                source=source,
                record=record,
            )
        elif "answer" in item:
            answer = item["answer"]
            if not isinstance(answer, dict):
                kind = "a checklist (several answers)" if isinstance(answer, list) else "free text"
                raise InputError(
                    f"answer is {kind}; only radio (single-choice) answers are read",
                    source=source,
                    record=record,
                )
            class_name = answer.get("name")
            if not isinstance(class_name, str) or not class_name:
                raise InputError(
                    f"answer name is {describe(class_name)}", source=source, record=record
                )
            confidence = (
                _confidence(answer, source, record)
                if "confidence" in answer
                else _confidence(item, source, record)
            )
            predictions.add(
                prediction_id,
                frame_id,
                class_name,
                None,
                confidence,
                source=source,
                record=record,
            )
        elif any(k in item for k in _GEOMETRY_KEYS):
            if not isinstance(name, str) or not name:
                raise InputError(
                    f"name is {describe(name)}, expected the class", source=source, record=record
                )
            box, geometry = _geometry(item, source, record, sizes.get(frame_id))
            predictions.add(
                prediction_id,
                frame_id,
                name,
                box,
                _confidence(item, source, record),
                source=source,
                record=record,
                geometry=geometry,
            )
        else:
            what = "a location (text) prediction" if "location" in item else "no prediction"
            raise InputError(
                f"is {what}; Shoal reads boxes, polygons, masks, points, lines and radio "
                "classifications",
                source=source,
                record=record,
            )
    table = rasterise_polygons(
        predictions.table(), dataset.frames, what="prediction", source=source
    )
    built = InferenceTables.build(table, frame_ids=dataset.frames.column("frame_id"), source=source)
    check_mask_sizes(built.predictions, dataset.frames, source=source)
    return built


_GEOMETRY_KEYS = ("polygon", "line", "point", "mask")


def _xy(value: Any, what: str, source: str, record: str) -> list[float]:
    if not isinstance(value, dict):
        raise InputError(
            f'{what} is {describe(value)}, not {{"x": .., "y": ..}}', source=source, record=record
        )
    return [parse_number(value.get(k), f"{what} {k}", source, record) for k in ("x", "y")]


def _vertices(value: Any, what: str, least: int, source: str, record: str) -> list[float]:
    if not isinstance(value, list) or len(value) < least:
        raise InputError(
            f"{what} is {describe(value)}, not a list of at least {least} points",
            source=source,
            record=record,
        )
    return [v for point in value for v in _xy(point, f"{what} point", source, record)]


def _extent(vertices: list[float]) -> tuple[float, float, float, float]:
    xs, ys = vertices[0::2], vertices[1::2]
    return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)


def _geometry(
    item: dict[str, Any], source: str, record: str, size: tuple[int, int] | None
) -> tuple[tuple[float, float, float, float] | None, dict[str, Any]]:
    """A polygon, line, point or mask prediction's box and geometry columns."""
    if "polygon" in item:
        vertices = _vertices(item["polygon"], "polygon", 3, source, record)
        return _extent(vertices), {"shape": "polygon", "polygon": [vertices]}
    if "line" in item:
        vertices = _vertices(item["line"], "line", 2, source, record)
        return _extent(vertices), {"shape": "polyline", "points": vertices}
    if "point" in item:
        vertices = _xy(item["point"], "point", source, record)
        return _extent(vertices), {"shape": "point", "points": vertices}
    return None, {"shape": "mask", "mask": _mask(item["mask"], source, record, size)}


def _mask(value: Any, source: str, record: str, size: tuple[int, int] | None) -> dict[str, Any]:
    """A Labelbox mask (a base64 PNG or a local file, the object's color picked) as the
    ``mask`` column's COCO RLE."""
    import base64
    import binascii
    import io
    from pathlib import Path

    import numpy as np

    from shoal.engine.masks import encode_mask, rle_to_string

    if not isinstance(value, dict) or not ({"png", "instanceURI"} & value.keys()):
        raise InputError(
            f'mask is {describe(value)}, expected {{"png": ...}} or {{"instanceURI": ...}}',
            source=source,
            record=record,
        )
    if "png" in value:
        try:
            data = base64.b64decode(value["png"], validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise InputError("mask png is not base64 text", source=source, record=record) from None
    else:
        uri = str(value["instanceURI"])
        if uri.lower().startswith(("http://", "https://")):
            raise InputError(
                f"mask instanceURI {uri!r} is a URL: download it and give the local file",
                source=source,
                record=record,
            )
        path = Path(uri.removeprefix("file://"))
        if not path.is_absolute():
            path = Path(source).parent / path
        try:
            data = path.read_bytes()
        except OSError as error:
            raise InputError(
                f"cannot read mask {uri!r}: {error.strerror}", source=source, record=record
            ) from None
    try:
        from PIL import Image
    except ImportError:
        raise InputError(
            "reading mask PNGs needs Pillow (pip install pillow)", source=source, record=record
        ) from None
    try:
        with Image.open(io.BytesIO(data)) as image:
            pixels = np.asarray(image.convert("RGB"))
    except (OSError, SyntaxError, ValueError) as error:
        raise InputError(
            f"mask is not a readable image ({error})", source=source, record=record
        ) from None
    color = value.get("colorRGB")
    if color is None:
        foreground = pixels.any(axis=2)
    else:
        if not isinstance(color, list) or len(color) != 3:
            raise InputError(
                f"colorRGB is {describe(color)}, not [r, g, b]", source=source, record=record
            )
        foreground = (pixels == np.asarray(color, np.uint8)).all(axis=2)
    height, width = foreground.shape
    if size is not None and (width, height) != size:
        raise InputError(
            f"mask is {width} x {height} pixels but its frame is {size[0]} x {size[1]}",
            source=source,
            record=record,
        )
    return {"height": height, "width": width, "counts": rle_to_string(encode_mask(foreground))}


def _png(pixels: Any) -> bytes:
    """A (height, width) 0/255 uint8 array as an 8-bit grayscale PNG (zlib only, so
    writing needs no Pillow)."""
    import struct
    import zlib

    import numpy as np

    height, width = pixels.shape

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    # Each scanline starts with filter type 0 (none).
    scanlines = np.zeros((height, width + 1), np.uint8)
    scanlines[:, 1:] = pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(scanlines.tobytes(), 6))
        + chunk(b"IEND", b"")
    )


def _xy_list(values: list[float]) -> list[dict[str, float]]:
    return [{"x": x, "y": y} for x, y in zip(values[0::2], values[1::2], strict=True)]


def _prediction_object(row: dict[str, Any]) -> dict[str, Any]:
    """One prediction row as the NDJSON object :func:`from_labelbox` reads back to it."""
    import base64

    from shoal.engine.masks import decode_mask, rle_from_string

    prediction_id, class_name = row["prediction_id"], row["class_name"]
    item: dict[str, Any] = {"uuid": prediction_id, "dataRow": {"globalKey": row["frame_id"]}}
    shape = row.get("shape") or "box"
    if shape == "box" and row["x"] is None:
        item["name"] = class_name
        item["answer"] = {"name": class_name, "confidence": row["confidence"]}
        return item
    item["name"] = class_name
    item["confidence"] = row["confidence"]
    if shape == "box":
        item["bbox"] = {
            "top": row["y"],
            "left": row["x"],
            "height": row["height"],
            "width": row["width"],
        }
    elif shape == "polygon":
        rings = row["polygon"] or []
        if len(rings) != 1:
            raise InputError(
                f"prediction {prediction_id!r} has {len(rings)} polygons: a Labelbox polygon "
                "is one ring"
            )
        item["polygon"] = _xy_list(rings[0])
    elif shape == "polyline":
        item["line"] = _xy_list(row["points"])
    elif shape == "point":
        x, y = row["points"]
        item["point"] = {"x": x, "y": y}
    elif shape == "mask":
        mask = row["mask"]
        pixels = decode_mask(rle_from_string(mask["counts"], mask["height"], mask["width"]))
        item["mask"] = {
            "png": base64.b64encode(_png(pixels * 255)).decode("ascii"),
            "colorRGB": [255, 255, 255],
        }
    else:
        raise InputError(
            f"prediction {prediction_id!r} has shape {shape!r}, which Labelbox NDJSON "
            "predictions cannot hold (boxes, polygons, lines, points, masks, radio answers)"
        )
    return item


def as_labelbox(inferences: InferenceTables, dataset: DatasetTables, path: PathLike) -> Path:
    """Write ``inferences`` on ``dataset``'s frames as Labelbox NDJSON predictions at
    ``path`` (returned), one object a line in the layout of the module doc.

    ``uuid`` = ``prediction_id``, ``dataRow`` = ``{"globalKey": frame_id}``, ``name`` =
    the class, and the confidence always written. Boxes become ``bbox``, frame-level
    predictions radio ``answer`` objects, polygons ``polygon`` (one ring), polylines
    ``line``, points ``point`` and masks ``mask`` with an embedded base64 PNG (white
    object on black, ``colorRGB`` white; written without Pillow, read with it).

    :func:`from_labelbox` with the same dataset reads the file back to the same
    predictions and geometry, except what Labelbox cannot hold: ``probabilities``; the
    box of a polygon, line, point or mask reads back as its geometry's extent.
    Keypoint predictions are an error. Labelbox itself wants UUIDs as ``uuid``: give
    the predictions UUID ids to upload the file there."""
    frame_ids = set(dataset.frames.column("frame_id").to_pylist())
    lines = []
    for row in inferences.predictions.to_pylist():
        if row["frame_id"] not in frame_ids:
            raise InputError(
                f"prediction {row['prediction_id']!r} is on frame {row['frame_id']!r}, "
                "which is not in the dataset"
            )
        lines.append(orjson.dumps(_prediction_object(row)))
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"".join(line + b"\n" for line in lines))
    return target
