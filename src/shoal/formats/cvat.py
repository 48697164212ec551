"""CVAT for images 1.1 XML to Shoal's tables.

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
* ``rotation`` other than 0 is an error (Shoal boxes are axis-aligned). Other shapes
  (``polygon``, ``polyline``, ``points``, ``ellipse``, ``mask``, ``cuboid``, ``skeleton``)
  are errors unless ``other_shapes="skip"``. ``<track>`` (CVAT for video) is an error.

Errors name the file and ``image i, <shape> n`` (i the 1-based ``<image>`` position).
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
    parse_number,
    parse_xml,
)
from shoal.tables import DatasetTables

__all__ = ["from_cvat"]

_BOX_FIELDS = {"label", "xtl", "ytl", "xbr", "ybr"}
_OTHER_SHAPES = {"polygon", "polyline", "points", "ellipse", "mask", "cuboid", "skeleton"}


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


def from_cvat(path: PathLike, *, other_shapes: Literal["error", "skip"] = "error") -> DatasetTables:
    """A CVAT for images 1.1 XML file as a dataset; layout in the module doc."""
    source = os.fspath(path)
    root = parse_xml(source)
    if root.tag != "annotations":
        raise InputError(f"root element is <{root.tag}>, expected <annotations>", source=source)
    if root.find("track") is not None:
        raise InputError(
            "has <track> elements (CVAT for video); export the task as CVAT for images",
            source=source,
        )
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
            label = shape.get("label")
            if shape.tag in _OTHER_SHAPES:
                if other_shapes == "skip":
                    continue
                raise InputError(
                    f"<{shape.tag}> shapes are not supported (Shoal reads boxes and tags; "
                    "pass other_shapes='skip' to leave them out)",
                    source=source,
                    record=record,
                )
            if shape.tag not in {"box", "tag"}:
                continue
            if not label:
                raise InputError(f"<{shape.tag}> has no label", source=source, record=record)
            label_id = f"{frame_id}:{shape_number}"
            if shape.tag == "tag":
                labels.add(
                    label_id,
                    frame_id,
                    label,
                    None,
                    source=source,
                    record=record,
                    attributes=_attributes(shape, {"label"}),
                )
                continue
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
                attributes=_attributes(shape, _BOX_FIELDS | {"rotation"}),
            )
    return build_dataset(frames, labels, source=source)
