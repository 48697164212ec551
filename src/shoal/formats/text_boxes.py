"""Plain-text boxes, one file per image (the layout of Padilla et al.'s object-detection
metrics tools), to Shoal's tables.

Every ``*.txt`` under a directory is one frame (``frame_id`` = its path without
``.txt``; an empty file is a frame without boxes). Rows, whitespace-separated:

* detections (:func:`from_text_boxes`): ``<class> <confidence> <a> <b> <c> <d>``
* ground truth (:func:`from_text_labels`): ``<class> <a> <b> <c> <d>``

where ``<a> <b> <c> <d>`` is, by ``coords``:

* ``"xywh"``: left, top, width, height in pixels;
* ``"xyx2y2"``: left, top, right, bottom in pixels;
* ``"rel_xcycwh"``: centre x, centre y, width, height divided by the image size (YOLO
  style), which needs ``image_sizes`` (``{frame_id: (width, height)}`` or a dataset).

``<class>`` is a class name, or with ``class_names`` (a list or a names file, one name a
line) a 0-based index into it when it is an integer (a name is then checked against the
list). Without ``class_names`` an integer class that is not a class name of the dataset
is refused, rather than read as a class named "3". Ids are ``frame_id:line``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from shoal.errors import InputError
from shoal.formats._rows import (
    Box,
    FrameRows,
    ImageSizes,
    LabelRows,
    PathLike,
    PredictionRows,
    build_dataset,
    build_inferences,
    class_names_argument,
    frame_id_of,
    image_sizes_argument,
    option,
    parse_class_index,
    parse_number,
    sorted_files,
    token_rows,
)
from shoal.tables import DatasetTables, InferenceTables

__all__ = ["Coordinates", "from_text_boxes", "from_text_labels"]

Coordinates = Literal["xywh", "xyx2y2", "rel_xcycwh"]


class _Reader:
    def __init__(
        self,
        coords: Coordinates,
        image_sizes: ImageSizes | DatasetTables | None,
        class_names: Sequence[str] | PathLike | None,
        known_classes: Sequence[str] = (),
    ) -> None:
        if coords not in ("xywh", "xyx2y2", "rel_xcycwh"):
            raise InputError(f"coords {coords!r} is not 'xywh', 'xyx2y2' or 'rel_xcycwh'")
        self.coords = coords
        self.sizes = image_sizes_argument(image_sizes)
        self.names = None if class_names is None else class_names_argument(class_names)
        # Class names an integer token may be (without class_names): the dataset's.
        self.known = set(known_classes) | (
            set(image_sizes.class_names) if isinstance(image_sizes, DatasetTables) else set()
        )

    def files(self, directory: PathLike) -> list[tuple[str, Path]]:
        folder = Path(directory)
        if not folder.is_dir():
            raise InputError("is not a directory", source=os.fspath(directory))
        return [(frame_id_of(path, folder), path) for path in sorted_files(folder, "*.txt")]

    def class_name(self, token: str, source: str, record: str) -> str:
        if self.names is None:
            if token.lstrip("-").isdigit() and token not in self.known:
                raise InputError(
                    f"class {token!r} is a class id, but no class names were given: pass "
                    f"{option('class_names')}",
                    source=source,
                    record=record,
                )
            return token
        if token.lstrip("-").isdigit():
            return parse_class_index(token, self.names, source, record)
        if token not in self.names:
            raise InputError(
                f"class {token!r} is not in the class names", source=source, record=record
            )
        return token

    def box(self, tokens: Sequence[str], frame_id: str, source: str, record: str) -> Box:
        a, b, c, d = (parse_number(t, "coordinate", source, record) for t in tokens)
        if self.coords == "xywh":
            return a, b, c, d
        if self.coords == "xyx2y2":
            if c < a or d < b:
                raise InputError(
                    f"right/bottom ({c:g}, {d:g}) is left of or above left/top ({a:g}, {b:g})",
                    source=source,
                    record=record,
                )
            return a, b, c - a, d - b
        if frame_id not in self.sizes:
            raise InputError(
                f"relative coordinates need the size of frame {frame_id!r}: pass "
                f"{option('image_sizes')}",
                source=source,
                record=record,
            )
        width, height = self.sizes[frame_id]
        return (a - c / 2) * width, (b - d / 2) * height, c * width, d * height


def from_text_boxes(
    directory: PathLike,
    *,
    coords: Coordinates = "xywh",
    image_sizes: ImageSizes | DatasetTables | None = None,
    class_names: Sequence[str] | PathLike | None = None,
    known_classes: Sequence[str] = (),
) -> InferenceTables:
    """Detections, rows ``<class> <confidence> <a> <b> <c> <d>``; see the module doc.
    ``known_classes`` (the dataset's class names) are the names an integer ``<class>``
    may be without ``class_names``."""
    reader = _Reader(coords, image_sizes, class_names, known_classes)
    predictions = PredictionRows()
    for frame_id, path in reader.files(directory):
        source = os.fspath(path)
        for number, record, tokens in token_rows(path, 6, "class confidence and 4 coordinates"):
            predictions.add(
                f"{frame_id}:{number}",
                frame_id,
                reader.class_name(tokens[0], source, record),
                reader.box(tokens[2:], frame_id, source, record),
                parse_number(tokens[1], "confidence", source, record),
                source=source,
                record=record,
            )
    return build_inferences(predictions, source=os.fspath(directory))


def from_text_labels(
    directory: PathLike,
    *,
    coords: Coordinates = "xywh",
    image_sizes: ImageSizes | DatasetTables | None = None,
    class_names: Sequence[str] | PathLike | None = None,
) -> DatasetTables:
    """Ground truth, rows ``<class> <a> <b> <c> <d>``; see the module doc. Frame sizes
    are those of ``image_sizes`` when given."""
    reader = _Reader(coords, image_sizes, class_names)
    frames = FrameRows()
    labels = LabelRows()
    for frame_id, path in reader.files(directory):
        source = os.fspath(path)
        size = reader.sizes.get(frame_id, (None, None))
        frames.add(frame_id, None, size[0], size[1], source=source)
        for number, record, tokens in token_rows(path, 5, "class and 4 coordinates"):
            labels.add(
                f"{frame_id}:{number}",
                frame_id,
                reader.class_name(tokens[0], source, record),
                reader.box(tokens[1:], frame_id, source, record),
                source=source,
                record=record,
            )
    return build_dataset(frames, labels, source=os.fspath(directory))
