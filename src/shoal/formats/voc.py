"""Pascal VOC XML (one file per image) to and from Shoal's tables.

Layout read by :func:`from_voc`: every ``*.xml`` under a directory (recursively; a VOC
root holding ``Annotations/`` reads that folder), each::

    <annotation>
      <filename>2007_000027.jpg</filename>
      <size><width>486</width><height>500</height><depth>3</depth></size>
      <object>
        <name>person</name>
        <pose>Unspecified</pose> <truncated>0</truncated> <difficult>0</difficult>
        <bndbox><xmin>174</xmin><ymin>101</ymin><xmax>349</xmax><ymax>351</ymax></bndbox>
      </object>
    </annotation>

* frame: ``frame_id`` = the XML's path under the directory without ``.xml`` (VOC names
  the image and its annotation alike), ``image_uri`` = ``<filename>``, ``width`` /
  ``height`` from ``<size>`` (optional; when present both must be positive whole
  numbers).
* label per ``<object>``: ``class_name`` = ``<name>``, box ``x = xmin``, ``y = ymin``,
  ``width = xmax - xmin``, ``height = ymax - ymin`` (no +1: the same boxes COCO and CVAT
  exports of VOC carry), ``ignore`` = ``<difficult>`` (0/1), ``attributes`` = JSON of the
  object's other simple elements (``pose``, ``truncated``, ``occluded``...; numbers as
  numbers), nested ones such as ``<part>`` left out. ``label_id`` = ``frame_id:n``, n the
  object's 1-based position.

Errors name the file and ``object n`` (or the XML line for malformed XML).
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

from shoal.errors import InputError
from shoal.formats._rows import (
    FrameRows,
    LabelRows,
    PathLike,
    attributes_of,
    build_dataset,
    check_image_size,
    frame_id_of,
    labels_by_frame,
    number_or_text,
    number_text,
    parse_number,
    parse_xml,
    sorted_files,
)
from shoal.tables import DatasetTables

__all__ = ["as_voc", "from_voc"]

_OBJECT_FIELDS = {"name", "bndbox", "difficult"}


def _text(element: ET.Element, tag: str) -> str | None:
    child = element.find(tag)
    if child is None or child.text is None or not child.text.strip():
        return None
    return child.text.strip()


def _required(element: ET.Element, tag: str, parent: str, source: str, record: str) -> str:
    text = _text(element, tag)
    if text is None:
        raise InputError(f"<{parent}> has no <{tag}>", source=source, record=record)
    return text


def _flag(text: str | None, what: str, source: str, record: str) -> bool:
    if text is None:
        return False
    lowered = text.lower()
    if lowered in {"0", "false", "0.0"}:
        return False
    if lowered in {"1", "true", "1.0"}:
        return True
    raise InputError(f"<{what}> is {text!r}, expected 0 or 1", source=source, record=record)


def from_voc(directory: PathLike) -> DatasetTables:
    """Every VOC XML under ``directory`` as a dataset; layout in the module doc."""
    root = Path(directory)
    if not root.is_dir():
        raise InputError("is not a directory", source=os.fspath(directory))
    if (root / "Annotations").is_dir():
        root = root / "Annotations"
    frames = FrameRows()
    labels = LabelRows()
    for path in sorted_files(root, "*.xml"):
        source = os.fspath(path)
        annotation = parse_xml(path)
        if annotation.tag != "annotation":
            raise InputError(
                f"root element is <{annotation.tag}>, expected <annotation>", source=source
            )
        frame_id = frame_id_of(path, root)
        size = annotation.find("size")
        width = height = None
        if size is not None and (_text(size, "width") or _text(size, "height")):
            width, height = check_image_size(
                parse_number(
                    _required(size, "width", "size", source, "size"), "width", source, "size"
                ),
                parse_number(
                    _required(size, "height", "size", source, "size"), "height", source, "size"
                ),
                source,
                "size",
            )
        frames.add(frame_id, _text(annotation, "filename"), width, height, source=source)
        for number, obj in enumerate(annotation.iter("object"), 1):
            record = f"object {number}"
            class_name = _required(obj, "name", "object", source, record)
            bndbox = obj.find("bndbox")
            if bndbox is None:
                raise InputError("<object> has no <bndbox>", source=source, record=record)
            xmin, ymin, xmax, ymax = (
                parse_number(_required(bndbox, tag, "bndbox", source, record), tag, source, record)
                for tag in ("xmin", "ymin", "xmax", "ymax")
            )
            if xmax < xmin or ymax < ymin:
                raise InputError(
                    f"<bndbox> has xmax < xmin or ymax < ymin ({xmin:g}, {ymin:g}, {xmax:g}, "
                    f"{ymax:g})",
                    source=source,
                    record=record,
                )
            attributes = {
                child.tag: number_or_text(child.text.strip())
                for child in obj
                if child.tag not in _OBJECT_FIELDS
                and len(child) == 0
                and child.text is not None
                and child.text.strip()
            }
            labels.add(
                f"{frame_id}:{number}",
                frame_id,
                class_name,
                (xmin, ymin, xmax - xmin, ymax - ymin),
                source=source,
                record=record,
                ignore=_flag(_text(obj, "difficult"), "difficult", source, record),
                attributes=attributes,
            )
    return build_dataset(frames, labels, source=os.fspath(directory))


def _element(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    child = ET.SubElement(parent, tag)
    child.text = text
    return child


def as_voc(dataset: DatasetTables, directory: PathLike) -> list[Path]:
    """Write one VOC XML per frame under ``directory`` (``<frame_id>.xml``; a ``/`` in a
    frame id makes subfolders) and return the paths. Scalar label attributes become
    object elements; ``ignore`` becomes ``<difficult>1``. Labels without a box cannot be
    written (VOC objects are boxes)."""
    root = Path(directory)
    written = []
    frames = {row["frame_id"]: row for row in dataset.frames.to_pylist()}
    for frame_id, rows in labels_by_frame(dataset).items():
        frame = frames[frame_id]
        if frame_id.startswith("/") or ".." in Path(frame_id).parts:
            raise InputError(f"frame id {frame_id!r} cannot be a file name under {root}")
        annotation = ET.Element("annotation")
        _element(annotation, "filename", frame["image_uri"] or frame_id)
        if frame["width"] is not None and frame["height"] is not None:
            size = _element(annotation, "size")
            _element(size, "width", str(frame["width"]))
            _element(size, "height", str(frame["height"]))
        for row in rows:
            if row["x"] is None:
                raise InputError(
                    f"label {row['label_id']!r} has no box: VOC objects are boxes",
                    source=frame_id,
                )
            obj = _element(annotation, "object")
            _element(obj, "name", row["class_name"])
            for key, value in attributes_of(row).items():
                if key not in _OBJECT_FIELDS and isinstance(value, str | int | float):
                    _element(obj, key, str(value))
            _element(obj, "difficult", "1" if row["ignore"] else "0")
            box = _element(obj, "bndbox")
            x, y, w, h = row["x"], row["y"], row["width"], row["height"]
            for tag, value in (("xmin", x), ("ymin", y), ("xmax", x + w), ("ymax", y + h)):
                _element(box, tag, number_text(value))
        ET.indent(annotation)
        path = root / f"{frame_id}.xml"
        path.parent.mkdir(parents=True, exist_ok=True)
        ET.ElementTree(annotation).write(path, encoding="utf-8", xml_declaration=False)
        written.append(path)
    return written
