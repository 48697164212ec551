"""CVAT for images 1.1 and CVAT for video 1.1 XML to Shoal's tables.

Layout read by :func:`from_cvat`::

    <annotations>
      <version>1.1</version>
      <meta>...</meta>
      <image id="0" name="train/2007_000027.jpg" width="486" height="500">
        <box label="person" occluded="0" source="manual" xtl="174.00" ytl="101.00"
             xbr="349.00" ybr="351.00" z_order="0">
          <attribute name="truncated">false</attribute>
        </box>
        <tag label="daytime" source="manual"/>
      </image>
    </annotations>

* frame per ``<image>``: ``frame_id`` = ``name`` without its extension (the id VOC and
  YOLO files of the same image get), ``image_uri`` = ``name``, ``width``, ``height``.
* label per ``<box>``: ``class_name`` = ``label``, box from ``xtl ytl xbr ybr``,
  ``attributes`` = JSON of the box's other XML attributes (``occluded`` as a bool,
  numbers as numbers) and of its ``<attribute name=...>`` children (same conversion).
  A ``<tag>`` is a frame-level (box-less) label. ``label_id`` = ``frame_id:n``, n the
  shape's 1-based position in its image.
* ``<polygon points="x1,y1;x2,y2;...">``: a label with ``shape`` ``polygon`` (the
  ``polygon`` column, rasterised to ``mask`` on the image's size); ``<polyline>``: shape
  ``polyline``, its vertices in ``points``; ``<points>``: one label of shape ``point``
  per point (``label_id`` = ``frame_id:n.k`` for its k-th point when it has several:
  points are matched one by one). Their box is their vertices' extent (a point's has
  no size; see :mod:`shoal.tables`).
* ``<mask rle="..." left top width height>``: shape ``mask`` (COCO RLE in ``mask``).
  CVAT's ``rle`` is run lengths over the ``width`` x ``height`` box at (``left``,
  ``top``), row by row, starting with a background run; they must cover the box, and
  the box must lie in the image.
* ``<skeleton label="person">`` with ``<points label="nose" points="x,y" occluded
  outside>`` children: shape ``keypoints``, one (x, y, v) triple per keypoint of the
  class (v 2 visible, 1 ``occluded``, 0 ``outside`` or absent). The class's keypoint
  names are its sublabels in ``<meta>`` (labels whose ``<parent>`` is the class), else
  the points of its first skeleton in order; they become the dataset's keypoint schema
  (no skeleton edges: CVAT keeps those in its label's drawing).
* ``rotation`` other than 0 is an error (Shoal boxes are axis-aligned). Other shapes
  (``ellipse``, ``cuboid``) are errors unless ``other_shapes="skip"``.

CVAT for video: each ``<track id label>`` holds its object's shape at each frame
(``<box frame="12" outside="0" ...>``, ``<polygon frame=...>``...). Every frame a
track is in becomes a frame (``frame_id`` = ``frame_000012``, CVAT's name for that
frame's image, no ``image_uri``; the size is the task's ``<original_size>``), and every
shape not ``outside`` a label there (``label_id`` = ``frame_id:track:id``, attributes
with ``track_id`` and ``keyframe``). ``<image>`` and ``<track>`` elements cannot be mixed.

Errors name the file and ``image i, <shape> n`` (i the 1-based ``<image>`` position) or
``track i, <shape> n``.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import PurePosixPath
from typing import Any, Literal

from shoal.errors import InputError
from shoal.formats._rows import (
    FrameRows,
    LabelRows,
    PathLike,
    build_dataset,
    check_image_size,
    number_or_text,
    option,
    parse_number,
    parse_xml,
)
from shoal.tables import DatasetTables, with_keypoint_schemas

__all__ = ["from_cvat"]

_BOX_FIELDS = {"label", "xtl", "ytl", "xbr", "ybr"}
_POINT_FIELDS = {"label", "points"}
_VERTEX_SHAPES = {"polygon": "polygon", "polyline": "polyline", "points": "point"}
_OTHER_SHAPES = {"ellipse", "cuboid"}
_MASK_FIELDS = {"label", "rle", "left", "top", "width", "height"}
# Track shapes' own keys (a track's frame and whether the object is out of view).
_TRACK_FIELDS = {"frame", "outside"}


def _value(text: str) -> Any:
    """A CVAT attribute value as JSON: booleans and numbers typed, else the text."""
    if text.lower() in {"true", "false"}:
        return text.lower() == "true"
    return number_or_text(text)


def _attributes(shape: ET.Element, skip: set[str]) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    for key, text in shape.attrib.items():
        if key in skip:
            continue
        attributes[key] = (
            bool(int(text)) if key == "occluded" and text in {"0", "1"} else _value(text)
        )
    for child in shape.iter("attribute"):
        name = child.get("name")
        if name:
            attributes[name] = _value((child.text or "").strip())
    return attributes


def _vertices(shape: ET.Element, source: str, record: str) -> list[float]:
    """``points="x1,y1;x2,y2;..."`` as [x1, y1, x2, y2, ...]."""
    text = shape.get("points")
    if text is None:
        raise InputError(f"<{shape.tag}> has no points", source=source, record=record)
    values: list[float] = []
    for pair in text.strip().split(";"):
        parts = pair.split(",")
        if len(parts) != 2:
            raise InputError(
                f"<{shape.tag}> point {pair.strip()!r} is not x,y", source=source, record=record
            )
        values += [parse_number(part, "point", source, record) for part in parts]
    return values


def _sublabels(root: ET.Element) -> dict[str, list[str]]:
    """Each skeleton class's keypoint names, from ``<meta>``'s labels with a parent."""
    names: dict[str, list[str]] = {}
    for label in root.iterfind("meta//labels/label"):
        parent, name = label.findtext("parent"), label.findtext("name")
        if parent and name:
            names.setdefault(parent.strip(), []).append(name.strip())
    return names


def _keypoints(
    shape: ET.Element, label: str, source: str, record: str, skeletons: dict[str, list[str]]
) -> list[float]:
    """A ``<skeleton>``'s points as (x, y, v) triples in its class's keypoint order."""
    found: dict[str, list[float]] = {}
    for point in shape.iter("points"):
        name = point.get("label")
        if not name:
            raise InputError("skeleton <points> has no label", source=source, record=record)
        if point.get("outside", "0") == "1":
            found[name] = [0.0, 0.0, 0.0]
            continue
        xy = _vertices(point, source, record)
        if len(xy) != 2:
            raise InputError(
                f"skeleton point {name!r} has {len(xy) // 2} points, not one",
                source=source,
                record=record,
            )
        found[name] = [*xy, 1.0 if point.get("occluded", "0") == "1" else 2.0]
    names = skeletons.setdefault(label, list(found))
    unknown = [n for n in found if n not in names]
    if unknown:
        raise InputError(
            f"skeleton point {unknown[0]!r} is not a keypoint of {label!r} ({', '.join(names)})",
            source=source,
            record=record,
        )
    return [v for name in names for v in found.get(name, [0.0, 0.0, 0.0])]


def _with_schemas(
    dataset: DatasetTables, skeletons: dict[str, list[str]], source: str
) -> DatasetTables:
    """The dataset with the keypoint names of each skeleton class it has labels of."""
    used = set(dataset.labels.column("class_name").to_pylist())
    kept = {name: names for name, names in skeletons.items() if name in used}
    if not kept:
        return dataset
    from shoal.engine.keypoints import KeypointSchema

    schemas = {name: KeypointSchema(tuple(names)) for name, names in kept.items()}
    return with_keypoint_schemas(dataset, schemas, source=source)


def _mask(
    shape: ET.Element, source: str, record: str, frame_size: tuple[int, int]
) -> dict[str, Any]:
    """A CVAT ``<mask>`` as the ``mask`` column's COCO RLE on the whole frame."""
    import numpy as np

    from shoal.engine.masks import encode_mask, rle_to_string

    box = []
    for key in ("left", "top", "width", "height"):
        text = shape.get(key)
        if text is None:
            raise InputError(f"<mask> has no {key}", source=source, record=record)
        value = parse_number(text, key, source, record)
        if value != int(value) or value < 0:
            raise InputError(
                f"<mask> {key} {text} is not a whole number >= 0", source=source, record=record
            )
        box.append(int(value))
    left, top, width, height = box
    image_width, image_height = frame_size
    if left + width > image_width or top + height > image_height:
        raise InputError(
            f"<mask> box ({left}, {top}, {width}, {height}) leaves the {image_width} x "
            f"{image_height} image",
            source=source,
            record=record,
        )
    runs = [
        parse_number(t, "rle", source, record)
        for t in (shape.get("rle") or "").split(",")
        if t.strip()
    ]
    if any(r != int(r) or r < 0 for r in runs) or sum(runs) != width * height:
        raise InputError(
            f"<mask> rle covers {sum(runs):g} pixels, not its {width} x {height} box "
            "(whole numbers >= 0)",
            source=source,
            record=record,
        )
    values = np.repeat(np.arange(len(runs)) % 2, np.asarray(runs, np.int64)).astype(np.uint8)
    pixels = np.zeros((image_height, image_width), np.uint8)
    pixels[top : top + height, left : left + width] = values.reshape(height, width)
    rle = encode_mask(pixels)
    return {"height": image_height, "width": image_width, "counts": rle_to_string(rle)}


def _add_shape(
    labels: LabelRows,
    shape: ET.Element,
    label_id: str,
    frame_id: str,
    source: str,
    record: str,
    other_shapes: Literal["error", "skip"],
    frame_size: tuple[int, int],
    skeletons: dict[str, list[str]],
    skip: set[str] = frozenset(),  # type: ignore[assignment]
) -> None:
    """One ``<box>``, ``<tag>``, ``<polygon>``, ``<polyline>`` or ``<points>`` as a label
    (other elements: an error, or nothing with ``other_shapes="skip"``)."""
    if shape.tag in _OTHER_SHAPES:
        if other_shapes == "skip":
            return
        raise InputError(
            f"<{shape.tag}> shapes are not supported (Shoal reads boxes, polygons, polylines, "
            f"points and tags; pass {option('other_shapes')} to leave them out)",
            source=source,
            record=record,
        )
    if shape.tag not in {"box", "tag", "mask", "skeleton", *_VERTEX_SHAPES}:
        return
    label = shape.get("label")
    if not label:
        raise InputError(f"<{shape.tag}> has no label", source=source, record=record)
    if shape.tag == "tag":
        labels.add(
            label_id,
            frame_id,
            label,
            None,
            source=source,
            record=record,
            attributes=_attributes(shape, {"label"} | skip),
        )
        return
    if shape.tag == "skeleton":
        labels.add(
            label_id,
            frame_id,
            label,
            None,
            source=source,
            record=record,
            attributes=_attributes(shape, {"label"} | skip),
            geometry={
                "shape": "keypoints",
                "keypoints": _keypoints(shape, label, source, record, skeletons),
            },
        )
        return
    if shape.tag == "mask":
        labels.add(
            label_id,
            frame_id,
            label,
            None,
            source=source,
            record=record,
            attributes=_attributes(shape, _MASK_FIELDS | skip),
            geometry={"shape": "mask", "mask": _mask(shape, source, record, frame_size)},
        )
        return
    if shape.tag in _VERTEX_SHAPES:
        vertices = _vertices(shape, source, record)
        kind = _VERTEX_SHAPES[shape.tag]
        if kind == "polygon" and len(vertices) < 6:
            raise InputError(
                f"<polygon> has {len(vertices) // 2} points (at least 3)",
                source=source,
                record=record,
            )
        if kind == "polyline" and len(vertices) < 4:
            raise InputError("<polyline> has 1 point (at least 2)", source=source, record=record)
        attributes = _attributes(shape, _POINT_FIELDS | skip)
        if kind == "point":
            several = len(vertices) > 2
            for k in range(0, len(vertices), 2):
                x, y = vertices[k], vertices[k + 1]
                labels.add(
                    f"{label_id}.{k // 2 + 1}" if several else label_id,
                    frame_id,
                    label,
                    (x, y, 0.0, 0.0),
                    source=source,
                    record=record,
                    attributes=attributes,
                    geometry={"shape": "point", "points": [x, y]},
                )
            return
        xs, ys = vertices[0::2], vertices[1::2]
        box = (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))
        geometry: dict[str, Any] = (
            {"shape": "polygon", "polygon": [vertices]}
            if kind == "polygon"
            else {"shape": "polyline", "points": vertices}
        )
        labels.add(
            label_id,
            frame_id,
            label,
            box,
            source=source,
            record=record,
            attributes=attributes,
            geometry=geometry,
        )
        return
    coordinates = []
    for key in ("xtl", "ytl", "xbr", "ybr"):
        text = shape.get(key)
        if text is None:
            raise InputError(f"<box> has no {key}", source=source, record=record)
        coordinates.append(parse_number(text, key, source, record))
    xtl, ytl, xbr, ybr = coordinates
    if xbr < xtl or ybr < ytl:
        raise InputError(
            f"<box> has xbr < xtl or ybr < ytl ({xtl:g}, {ytl:g}, {xbr:g}, {ybr:g})",
            source=source,
            record=record,
        )
    rotation = shape.get("rotation")
    if rotation is not None and parse_number(rotation, "rotation", source, record) != 0:
        raise InputError(
            f"<box> is rotated ({rotation} degrees); Shoal boxes are axis-aligned",
            source=source,
            record=record,
        )
    labels.add(
        label_id,
        frame_id,
        label,
        (xtl, ytl, xbr - xtl, ybr - ytl),
        source=source,
        record=record,
        attributes=_attributes(shape, _BOX_FIELDS | {"rotation"} | skip),
    )


def _video_size(root: ET.Element, source: str) -> tuple[int, int]:
    """A video task's frame size, from ``<meta><task><original_size>``."""
    size = root.find("meta/task/original_size")
    if size is None:
        size = root.find("meta/job/original_size")
    width = size.findtext("width") if size is not None else None
    height = size.findtext("height") if size is not None else None
    if width is None or height is None:
        raise InputError(
            "has <track> elements but no <meta><task><original_size> (the video's frame size)",
            source=source,
        )
    return check_image_size(
        parse_number(width, "width", source, "original_size"),
        parse_number(height, "height", source, "original_size"),
        source,
        "original_size",
    )


def _from_video(
    root: ET.Element, source: str, other_shapes: Literal["error", "skip"]
) -> DatasetTables:
    """A CVAT for video file: one frame per track frame (see the module doc)."""
    width, height = _video_size(root, source)
    skeletons = _sublabels(root)
    shapes: list[tuple[int, int, ET.Element, str, str]] = []
    for track_number, track in enumerate(root.iter("track"), 1):
        track_id = track.get("id", str(track_number - 1))
        label = track.get("label")
        for shape_number, shape in enumerate(track, 1):
            record = f"track {track_number}, <{shape.tag}> {shape_number}"
            if shape.tag not in {"box", "mask", "skeleton", *_VERTEX_SHAPES, *_OTHER_SHAPES}:
                continue
            frame_text = shape.get("frame")
            if frame_text is None:
                raise InputError(f"<{shape.tag}> has no frame", source=source, record=record)
            frame = parse_number(frame_text, "frame", source, record)
            if frame != int(frame) or frame < 0:
                raise InputError(
                    f"frame {frame_text} is not a whole number >= 0", source=source, record=record
                )
            if shape.get("outside", "0") == "1":
                continue
            if label and "label" not in shape.attrib:
                shape.set("label", label)
            shape.set("track_id", track_id)
            shapes.append((int(frame), track_number, shape, track_id, record))
    frames = FrameRows()
    for frame in sorted({s[0] for s in shapes}):
        frames.add(
            f"frame_{frame:06d}", None, width, height, source=source, record=f"frame {frame}"
        )
    labels = LabelRows()
    for frame, _, shape, track_id, record in sorted(shapes, key=lambda s: (s[0], s[1])):
        frame_id = f"frame_{frame:06d}"
        _add_shape(
            labels,
            shape,
            f"{frame_id}:track:{track_id}",
            frame_id,
            source,
            record,
            other_shapes,
            (width, height),
            skeletons,
            skip=_TRACK_FIELDS,
        )
    return _with_schemas(build_dataset(frames, labels, source=source), skeletons, source)


def from_cvat(path: PathLike, *, other_shapes: Literal["error", "skip"] = "error") -> DatasetTables:
    """A CVAT for images (or for video) 1.1 XML file as a dataset; layout in the module doc."""
    source = os.fspath(path)
    root = parse_xml(source)
    if root.tag != "annotations":
        raise InputError(f"root element is <{root.tag}>, expected <annotations>", source=source)
    if root.find("track") is not None:
        if root.find("image") is not None:
            raise InputError("has both <image> and <track> elements", source=source)
        return _from_video(root, source, other_shapes)
    skeletons = _sublabels(root)
    frames = FrameRows()
    labels = LabelRows()
    for image_number, image in enumerate(root.iter("image"), 1):
        where = f"image {image_number}"
        name = image.get("name")
        if not name:
            raise InputError("<image> has no name", source=source, record=where)
        frame_id = str(PurePosixPath(name).with_suffix(""))
        width = image.get("width")
        height = image.get("height")
        if width is None or height is None:
            raise InputError("<image> has no width or height", source=source, record=where)
        size = check_image_size(
            parse_number(width, "width", source, where),
            parse_number(height, "height", source, where),
            source,
            where,
        )
        frames.add(frame_id, name, size[0], size[1], source=source, record=where)
        for shape_number, shape in enumerate(image, 1):
            record = f"{where}, <{shape.tag}> {shape_number}"
            _add_shape(
                labels,
                shape,
                f"{frame_id}:{shape_number}",
                frame_id,
                source,
                record,
                other_shapes,
                size,
                skeletons,
            )
    return _with_schemas(build_dataset(frames, labels, source=source), skeletons, source)
