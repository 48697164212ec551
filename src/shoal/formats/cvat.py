"""CVAT for images 1.1 and CVAT for video 1.1 XML to Shoal's tables, and a dataset back to
CVAT for images 1.1 (:func:`as_cvat`, which this reader reads to the same tables).

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

import math
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal

from shoal.errors import InputError
from shoal.formats._rows import (
    FrameRows,
    LabelRows,
    PathLike,
    attributes_of,
    build_dataset,
    check_image_size,
    describe,
    labels_by_frame,
    number_or_text,
    number_text,
    option,
    parse_number,
    parse_xml,
)
from shoal.tables import DatasetTables, keypoint_schemas, with_keypoint_schemas

if TYPE_CHECKING:
    from shoal.engine.keypoints import KeypointSchema

__all__ = ["as_cvat", "from_cvat"]

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


# Shape attributes CVAT writes on the element itself; written there while they lead a
# label's attributes (later keys go to <attribute> children, keeping the JSON's order).
_ELEMENT_ATTRIBUTES = {"occluded", "source", "z_order", "group_id"}
_POINT_GROUP_ID = re.compile(r"^(.*:\d+)\.(\d+)$")
# Characters XML cannot carry back as written: control characters (parse errors), and
# tabs and carriage returns (turned into spaces and newlines when the file is read).
_UNWRITABLE = re.compile(r"[\x00-\x09\x0b-\x1f]")


def _check_writable(element: ET.Element, where: str) -> None:
    for node in element.iter():
        for text in (*node.attrib.values(), node.text or ""):
            if _UNWRITABLE.search(text):
                raise InputError(
                    f"{where}: <{node.tag}> text {text!r} has a tab or control character, "
                    "which XML does not read back as written"
                )


def _attribute_text(value: Any, label_id: str, key: str) -> str:
    """A label attribute as the text that :func:`_value` reads back to it."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int | float) and math.isfinite(value):
        text = str(value) if isinstance(value, int) else repr(value)
    elif isinstance(value, str):
        text = value
    else:
        text = None
    if text is None or type(_value(text)) is not type(value) or _value(text) != value:
        raise InputError(
            f"label {label_id!r} attribute {key!r} is {describe(value)}: CVAT keeps a "
            "number, true/false or text that does not read as either"
        )
    if text != text.strip():
        raise InputError(
            f"label {label_id!r} attribute {key!r} has leading or trailing spaces, which "
            "CVAT's reader drops"
        )
    return text


def _write_attributes(element: ET.Element, row: dict[str, Any]) -> None:
    leading = True
    for key, value in attributes_of(row).items():
        # On the element the reader takes occluded "0"/"1" for a bool, so only a bool
        # occluded stays there; anything else goes to a child, as do the keys after it.
        leading = (
            leading
            and key in _ELEMENT_ATTRIBUTES
            and (key != "occluded" or isinstance(value, bool))
        )
        if not leading:
            text = _attribute_text(value, row["label_id"], key)
            ET.SubElement(element, "attribute", name=key).text = text
        elif key == "occluded":
            element.set(key, "1" if value else "0")
        else:
            element.set(key, _attribute_text(value, row["label_id"], key))


def _corner(start: float, size: float) -> float:
    """``start + size``, nudged by an ulp or two when needed so that the reader's
    ``corner - start`` gives back ``size`` exactly."""
    corner = start + size
    for direction in (math.inf, -math.inf):
        candidate = corner
        for _ in range(4):
            if candidate - start == size:
                return candidate
            candidate = math.nextafter(candidate, direction)
    return corner


def _points_text(values: list[float]) -> str:
    return ";".join(
        f"{number_text(x)},{number_text(y)}"
        for x, y in zip(values[0::2], values[1::2], strict=True)
    )


def _mask_element(image: ET.Element, row: dict[str, Any]) -> ET.Element:
    """A ``mask`` column's RLE as CVAT's run lengths over the mask's pixel extent."""
    import numpy as np

    from shoal.engine.masks import decode_mask, rle_from_string

    mask = row["mask"]
    pixels = decode_mask(rle_from_string(mask["counts"], mask["height"], mask["width"]))
    rows, columns = np.flatnonzero(pixels.any(axis=1)), np.flatnonzero(pixels.any(axis=0))
    if rows.size == 0:
        left = top = width = height = 0
        runs = [0]
    else:
        top, left = int(rows[0]), int(columns[0])
        height, width = int(rows[-1]) - top + 1, int(columns[-1]) - left + 1
        flat = pixels[top : top + height, left : left + width].ravel() != 0
        edges = np.concatenate(([0], np.flatnonzero(flat[1:] != flat[:-1]) + 1, [flat.size]))
        runs = ([0] if flat[0] else []) + np.diff(edges).tolist()
    element = ET.SubElement(image, "mask", label=row["class_name"])
    element.set("rle", ", ".join(str(r) for r in runs))
    for key, value in (("left", left), ("top", top), ("width", width), ("height", height)):
        element.set(key, str(value))
    return element


def _skeleton_element(image: ET.Element, row: dict[str, Any], names: tuple[str, ...]) -> ET.Element:
    element = ET.SubElement(image, "skeleton", label=row["class_name"])
    values = row["keypoints"]
    for k, name in enumerate(names):
        x, y, v = values[3 * k : 3 * k + 3]
        point = ET.SubElement(element, "points", label=name)
        point.set("occluded", "1" if v == 1 else "0")
        point.set("outside", "1" if v == 0 else "0")
        point.set("points", _points_text([x, y] if v else [0.0, 0.0]))
    return element


def _shape_groups(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """A frame's labels, one list per CVAT element: consecutive point labels numbered
    ``frame:n.1``, ``frame:n.2``... (as the reader names one ``<points>``' points) share
    one element when their class and attributes agree."""
    groups: list[list[dict[str, Any]]] = []
    for row in rows:
        match = _POINT_GROUP_ID.match(row["label_id"]) if row.get("shape") == "point" else None
        if match and groups and int(match.group(2)) > 1:
            last = groups[-1][-1]
            previous = (
                _POINT_GROUP_ID.match(last["label_id"]) if last.get("shape") == "point" else None
            )
            if (
                previous is not None
                and previous.group(1) == match.group(1)
                and int(previous.group(2)) + 1 == int(match.group(2))
                and (last["class_name"], last["attributes"])
                == (row["class_name"], row["attributes"])
            ):
                groups[-1].append(row)
                continue
        groups.append([row])
    return groups


def _image_name(frame: dict[str, Any], rename_frames: bool) -> str:
    """The ``<image name>`` the reader turns back into this frame's id (or, with
    ``rename_frames``, into the id its name gives)."""
    frame_id, uri = frame["frame_id"], frame["image_uri"]
    name = str(frame_id if uri is None else uri)
    if name and (rename_frames or str(PurePosixPath(name).with_suffix("")) == frame_id):
        return name
    raise InputError(
        f"frame {frame_id!r} cannot be a CVAT image: CVAT names an image by its file "
        f"(image_uri {uri!r}) and the frame id read back is that name without its "
        "extension; pass rename_frames=True to take those ids"
    )


def as_cvat(dataset: DatasetTables, path: PathLike, *, rename_frames: bool = False) -> Path:
    """Write ``dataset`` as CVAT for images 1.1 XML at ``path`` (returned).

    One ``<image>`` per frame (``name`` = ``image_uri``, whose name without extension
    must be the frame id; a frame without an image URI is named by its id, which must
    have no extension, and reads back with that name as its URI; frames need a size).
    With ``rename_frames=True`` a frame whose id is not its image's name (COCO's image
    ids) is written all the same and reads back with the name's id; two frames whose
    names give one id are an error.
    Boxes become ``<box>``, frame-level labels ``<tag>``, polygons ``<polygon>`` (one
    ring), polylines ``<polyline>``, points ``<points>`` (the points the reader numbers
    ``frame:n.k`` back in one element), masks ``<mask>`` (run lengths over the mask's
    pixel extent) and keypoints ``<skeleton>`` with one ``<points>`` per keypoint of the
    class (``<meta>`` lists the class's keypoint names as sublabels; v 0 is written
    ``outside`` and reads back (0, 0, 0)). Attributes are written as ``<attribute>``
    children, except the CVAT shape keys (``occluded``, ``source``, ``z_order``,
    ``group_id``) that lead them, which stay on the element, so a file read from CVAT is
    written back as CVAT wrote it.

    :func:`from_cvat` reads the file back to the same frames and geometry. What CVAT
    cannot hold is not written: frame metadata, ``area``, ``iscrowd``, ``ignore``,
    keypoint skeleton edges and sigmas; the box of a polygon, polyline, point, mask or
    skeleton reads back as its geometry's extent; label ids read back as
    ``frame:n`` (n the element's position in its image), the ids the reader gave.
    A label attribute CVAT cannot keep (a list, null, text that reads as a number) is
    an error naming the label, and so is text with a tab or control character (XML does
    not read those back). Nothing is written when there is an error."""
    target = Path(path)
    schemas = keypoint_schemas(dataset)
    frames = {row["frame_id"]: row for row in dataset.frames.to_pylist()}
    root = ET.Element("annotations")
    ET.SubElement(root, "version").text = "1.1"
    labels_element = ET.SubElement(ET.SubElement(ET.SubElement(root, "meta"), "task"), "labels")
    for class_name in dataset.class_names:
        label = ET.SubElement(labels_element, "label")
        ET.SubElement(label, "name").text = class_name
        schema = schemas.get(class_name)
        ET.SubElement(label, "type").text = "skeleton" if schema else "any"
        for name in schema.names if schema else ():
            sublabel = ET.SubElement(labels_element, "label")
            ET.SubElement(sublabel, "name").text = name
            ET.SubElement(sublabel, "type").text = "points"
            ET.SubElement(sublabel, "parent").text = class_name
    read_back: dict[str, str] = {}
    for number, (frame_id, rows) in enumerate(labels_by_frame(dataset).items()):
        frame = frames[frame_id]
        if frame["width"] is None or frame["height"] is None:
            raise InputError(f"frame {frame_id!r} has no size: CVAT images need one")
        name = _image_name(frame, rename_frames)
        new_id = str(PurePosixPath(name).with_suffix(""))
        if new_id in read_back:
            raise InputError(
                f"frames {read_back[new_id]!r} and {frame_id!r} would both read back as "
                f"frame {new_id!r} (images {name!r}...)"
            )
        read_back[new_id] = frame_id
        image = ET.SubElement(root, "image", id=str(number), name=name)
        image.set("width", str(frame["width"]))
        image.set("height", str(frame["height"]))
        for group in _shape_groups(rows):
            row = group[0]
            element = _shape_element(image, row, group, schemas)
            _write_attributes(element, row)
        _check_writable(image, f"frame {frame_id!r}")
    _check_writable(labels_element, "class names")
    ET.indent(root)
    target.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(target, encoding="utf-8", xml_declaration=True)
    return target


def _shape_element(
    image: ET.Element,
    row: dict[str, Any],
    group: list[dict[str, Any]],
    schemas: dict[str, KeypointSchema],
) -> ET.Element:
    shape = row.get("shape") or "box"
    label_id, class_name = row["label_id"], row["class_name"]
    if shape == "box" and row["x"] is None:
        return ET.SubElement(image, "tag", label=class_name)
    if shape == "box":
        x, y, w, h = row["x"], row["y"], row["width"], row["height"]
        element = ET.SubElement(image, "box", label=class_name)
        for key, value in (
            ("xtl", x), ("ytl", y), ("xbr", _corner(x, w)), ("ybr", _corner(y, h))
        ):  # fmt: skip
            element.set(key, number_text(value))
        return element
    if shape == "polygon":
        rings = row["polygon"] or []
        if len(rings) != 1:
            raise InputError(
                f"label {label_id!r} has {len(rings)} polygons: a CVAT <polygon> is one ring"
            )
        return ET.SubElement(image, "polygon", label=class_name, points=_points_text(rings[0]))
    if shape in {"polyline", "point"}:
        tag = "polyline" if shape == "polyline" else "points"
        values = [v for member in group for v in member["points"]]
        return ET.SubElement(image, tag, label=class_name, points=_points_text(values))
    if shape == "mask":
        return _mask_element(image, row)
    if shape == "keypoints":
        schema = schemas.get(class_name)
        if schema is None:
            raise InputError(
                f"label {label_id!r} has keypoints but {class_name!r} no keypoint names"
            )
        return _skeleton_element(image, row, schema.names)
    raise InputError(f"label {label_id!r} has shape {shape!r}, which CVAT cannot hold")
