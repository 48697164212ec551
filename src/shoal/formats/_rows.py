"""What the file-format importers share: rows of frames, labels and predictions checked
where they are read (so an error names the file and the line or element, not a table
row), then built into validated :class:`~shoal.tables.DatasetTables` /
:class:`~shoal.tables.InferenceTables`.

Also the format facts a dataset remembers for its exporters (COCO category ids, YOLO
class order): kept as JSON in the labels table's Arrow schema metadata under
``shoal.formats``, which Parquet preserves and which nothing else reads.
"""

from __future__ import annotations

import contextlib
import contextvars
import csv
import io
import math
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from shoal.errors import InputError
from shoal.formats._validation import (
    area_problem,
    check_box,
    check_confidence,
    metadata_column,
)
from shoal.tables import (
    GEOMETRY_SCHEMA,
    LABELS_SCHEMA,
    PREDICTIONS_SCHEMA,
    DatasetTables,
    InferenceTables,
)

Record = int | str | None
Box = tuple[float, float, float, float]
PathLike = str | os.PathLike[str]
ImageSizes = Mapping[str, tuple[int, int]]

_REMEMBERED_KEY = b"shoal.formats"

# How a reader's messages name its options: Python's keyword arguments unless a face
# (the CLI) says otherwise with option_spelling().
_PYTHON_SPELLING = {
    "class_names": "class_names= (a list or a names file)",
    "image_sizes": "image_sizes= ({frame_id: (width, height)} or a dataset)",
    "images": "the images beside the labels",
    "other_shapes": "other_shapes='skip'",
}
_spelling: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar(
    "option_spelling", default=_PYTHON_SPELLING
)


@contextlib.contextmanager
def option_spelling(spelling: Mapping[str, str]) -> Iterator[None]:
    """Within the block, readers' messages name options as ``spelling`` says (e.g.
    ``{"class_names": "--class-names FILE"}`` for the CLI)."""
    token = _spelling.set({**_PYTHON_SPELLING, **spelling})
    try:
        yield
    finally:
        _spelling.reset(token)


def option(name: str) -> str:
    """How to pass the reader option ``name`` where the reader was called from."""
    return _spelling.get().get(name, name)


def read_text(path: PathLike) -> str:
    """A UTF-8 text file (a BOM is dropped); unreadable or undecodable files are input errors."""
    name = os.fspath(path)
    try:
        data = Path(name).read_bytes()
    except OSError as error:
        raise InputError(f"cannot read the file: {error.strerror}", source=name) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            f"is not UTF-8 text (byte {error.start}: {data[error.start : error.start + 1]!r})",
            source=name,
        ) from None


def parse_xml(path: PathLike) -> ET.Element:
    """The root element of an XML file; a malformed file is an input error naming the line."""
    name = os.fspath(path)
    text = read_text(name)
    try:
        return ET.fromstring(text)
    except ET.ParseError as error:
        line, column = error.position
        raise InputError(
            f"is not well-formed XML ({error.msg.split(':')[0]} at column {column + 1})",
            source=name,
            record=f"line {line}",
        ) from None


def number_or_text(text: str) -> int | float | str:
    """An attribute written as text, typed: an integer, else a number, else the text."""
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text


def parse_number(text: object, what: str, source: str, record: Record) -> float:
    """A finite number from a token, a JSON number or an XML text."""
    if isinstance(text, bool):
        raise InputError(f"{what} is {text!r}, not a number", source=source, record=record)
    if isinstance(text, int | float):
        value = float(text)
    elif isinstance(text, str):
        try:
            value = float(text.strip())
        except ValueError:
            raise InputError(
                f"{what} is {text.strip()!r}, not a number", source=source, record=record
            ) from None
    else:
        raise InputError(f"{what} is {describe(text)}, not a number", source=source, record=record)
    if not math.isfinite(value):
        raise InputError(f"{what} is {value}, not a finite number", source=source, record=record)
    return value


def parse_class_index(token: str, class_names: Sequence[str], source: str, record: Record) -> str:
    """The class name of a 0-based class id token."""
    try:
        index = int(token)
    except ValueError:
        raise InputError(
            f"class id {token!r} is not an integer", source=source, record=record
        ) from None
    if not 0 <= index < len(class_names):
        raise InputError(
            f"class id {index} is out of range (there are {len(class_names)} class names)",
            source=source,
            record=record,
        )
    return class_names[index]


def check_image_size(width: float, height: float, source: str, record: Record) -> tuple[int, int]:
    for what, value in (("width", width), ("height", height)):
        if not (math.isfinite(value) and value > 0 and value == int(value)):
            raise InputError(
                f"image {what} {value:g} is not a positive whole number",
                source=source,
                record=record,
            )
    return int(width), int(height)


def describe(value: Any) -> str:
    """A short rendering of a value for a message."""
    try:
        text = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def frame_id_of(path: Path, root: Path) -> str:
    """A file's frame id: its path under ``root`` without the extension, with ``/``."""
    return path.relative_to(root).with_suffix("").as_posix()


def read_class_names(path: PathLike) -> list[str]:
    """Class names one per line (darknet ``obj.names``, ``voc.names``); blank lines end it."""
    names = [line.strip() for line in read_text(path).splitlines()]
    while names and not names[-1]:
        names.pop()
    for number, name in enumerate(names, 1):
        if not name:
            raise InputError("class name is empty", source=os.fspath(path), record=f"line {number}")
    return names


def class_names_argument(class_names: Sequence[str] | PathLike) -> list[str]:
    """A class-name list given inline or as a names file."""
    if isinstance(class_names, str | os.PathLike):
        return read_class_names(class_names)
    return [str(name) for name in class_names]


def frame_sizes(dataset: DatasetTables) -> dict[str, tuple[int, int]]:
    """``{frame_id: (width, height)}`` for the frames whose size is known."""
    frames = dataset.frames
    return {
        frame_id: (width, height)
        for frame_id, width, height in zip(
            frames.column("frame_id").to_pylist(),
            frames.column("width").to_pylist(),
            frames.column("height").to_pylist(),
            strict=True,
        )
        if width is not None and height is not None
    }


def image_sizes_argument(sizes: ImageSizes | DatasetTables | None) -> dict[str, tuple[int, int]]:
    if sizes is None:
        return {}
    if isinstance(sizes, DatasetTables):
        return frame_sizes(sizes)
    return {str(k): (int(v[0]), int(v[1])) for k, v in sizes.items()}


class FrameRows:
    """Frames as they are read; a frame id seen twice is an error naming both places."""

    def __init__(self) -> None:
        self.frame_ids: list[str] = []
        self.image_uris: list[str | None] = []
        self.widths: list[int | None] = []
        self.heights: list[int | None] = []
        self.metadata: list[dict[str, Any]] = []
        self._where: dict[str, str] = {}

    def add(
        self,
        frame_id: str,
        image_uri: str | None,
        width: int | None,
        height: int | None,
        *,
        source: str,
        record: Record = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        if frame_id in self._where:
            raise InputError(
                f"duplicate frame id {frame_id!r} (first at {self._where[frame_id]})",
                source=source,
                record=record,
            )
        self._where[frame_id] = f"{source}" + (f" record {record}" if record is not None else "")
        self.frame_ids.append(frame_id)
        self.image_uris.append(image_uri)
        self.widths.append(width)
        self.heights.append(height)
        self.metadata.append(metadata or {})

    def __contains__(self, frame_id: object) -> bool:
        return frame_id in self._where

    def table(self) -> pa.Table:
        columns: dict[str, Any] = {
            "frame_id": pa.array(self.frame_ids, pa.string()),
            "image_uri": pa.array(self.image_uris, pa.string()),
            "width": pa.array(self.widths, pa.int32()),
            "height": pa.array(self.heights, pa.int32()),
        }
        keys: dict[str, None] = {}
        for row in self.metadata:
            keys.update(dict.fromkeys(row))
        places = [f"frame {frame_id!r}" for frame_id in self.frame_ids]
        for key in keys:
            values = [row.get(key) for row in self.metadata]
            columns[key] = metadata_column(key, values, places=places)
        return pa.table(columns)


class _IdentifiedBoxRows:
    """Rows of labels or predictions as they are read, one column list per schema field;
    what both kinds check alike: a unique id, a class name and a valid box."""

    _kind: str

    def __init__(self, schema: pa.Schema) -> None:
        self.columns: dict[str, list[Any]] = {name: [] for name in schema.names}
        # Both schemas start with id, frame_id, class_name, x, y, width, height.
        self._shared_columns = [self.columns[name] for name in schema.names[:7]]
        self._where: dict[str, str] = {}
        # Each row's geometry (shape, mask, polygon, keypoints, points), None for a box.
        self.geometry: list[Mapping[str, Any] | None] = []

    def _check_identity(
        self, row_id: str, class_name: str, box: Box | None, source: str, record: Record
    ) -> None:
        """Refuse a repeated id, an empty class name or an invalid box; remember where
        ``row_id`` was read, for the message about its repeat (a reader stops at its
        first error, so remembering before the caller's own checks is harmless)."""
        if row_id in self._where:
            raise InputError(
                f"duplicate {self._kind} id {row_id!r} (first at {self._where[row_id]})",
                source=source,
                record=record,
            )
        if not class_name:
            raise InputError("class name is empty", source=source, record=record)
        if box is not None:
            check_box(box, source, record)
        self._where[row_id] = f"{source}" + (f" record {record}" if record is not None else "")

    def _append(
        self, row_id: str, frame_id: str, class_name: str, box: Box | None, **own_columns: Any
    ) -> None:
        """One row: the id (the schema's first column), the frame, the class, the box's
        four columns (nulls without a box), then the columns only this kind has."""
        x, y, w, h = box if box is not None else (None, None, None, None)
        shared = (row_id, frame_id, class_name, x, y, w, h)
        for values, value in zip(self._shared_columns, shared, strict=True):
            values.append(value)
        for name, value in own_columns.items():
            self.columns[name].append(value)

    def _with_geometry(self, table: pa.Table) -> pa.Table:
        """``table`` plus the geometry columns when any row has geometry
        (:data:`shoal.tables.GEOMETRY_SCHEMA`)."""
        if not any(g is not None for g in self.geometry):
            return table
        rows = [g or {} for g in self.geometry]
        for field in GEOMETRY_SCHEMA:
            table = table.append_column(
                field, pa.array([r.get(field.name) for r in rows], field.type)
            )
        return table


class LabelRows(_IdentifiedBoxRows):
    """Ground-truth labels as they are read; a label id seen twice is an error."""

    _kind = "label"

    def __init__(self) -> None:
        super().__init__(LABELS_SCHEMA)

    def add(
        self,
        label_id: str,
        frame_id: str,
        class_name: str,
        box: Box | None,
        *,
        source: str,
        record: Record,
        area: float | None = None,
        iscrowd: bool = False,
        ignore: bool = False,
        attributes: Mapping[str, Any] | None = None,
        geometry: Mapping[str, Any] | None = None,
    ) -> None:
        """``geometry``: the row's geometry columns by name (``shape``, ``polygon``...)."""
        self._check_identity(label_id, class_name, box, source, record)
        if area is not None and (problem := area_problem(area)) is not None:
            raise InputError(problem, source=source, record=record)
        self.geometry.append(geometry)
        self._append(
            label_id,
            frame_id,
            class_name,
            box,
            area=area,
            iscrowd=iscrowd,
            ignore=ignore,
            attributes=orjson.dumps(dict(attributes)).decode() if attributes else None,
        )

    def table(self) -> pa.Table:
        return self._with_geometry(pa.table(self.columns))


class PredictionRows(_IdentifiedBoxRows):
    """Predictions as they are read; a prediction id seen twice is an error."""

    _kind = "prediction"

    def __init__(self) -> None:
        super().__init__(PREDICTIONS_SCHEMA)

    def add(
        self,
        prediction_id: str,
        frame_id: str,
        class_name: str,
        box: Box | None,
        confidence: float,
        *,
        source: str,
        record: Record,
        probabilities: Sequence[float] | None = None,
        geometry: Mapping[str, Any] | None = None,
    ) -> None:
        self._check_identity(prediction_id, class_name, box, source, record)
        check_confidence(confidence, source, record)
        self.geometry.append(geometry)
        self._append(
            prediction_id,
            frame_id,
            class_name,
            box,
            confidence=confidence,
            probabilities=None if probabilities is None else list(probabilities),
        )

    def table(self) -> pa.Table:
        table = pa.table({k: v for k, v in self.columns.items() if k != "probabilities"})
        return self._with_geometry(
            table.append_column(
                "probabilities", pa.array(self.columns["probabilities"], pa.list_(pa.float32()))
            )
        )


def build_dataset(
    frames: FrameRows,
    labels: LabelRows,
    *,
    source: str,
    remember: Mapping[str, Any] | None = None,
) -> DatasetTables:
    """Validated tables; ``remember`` is kept for this format's exporter (see module doc)."""
    dataset = DatasetTables.build(frames.table(), labels.table(), source=source)
    return with_remembered(dataset, remember) if remember else dataset


def with_remembered(dataset: DatasetTables, facts: Mapping[str, Any]) -> DatasetTables:
    """``dataset`` keeping ``facts`` for this format's exporter (see module doc)."""
    meta = dict(dataset.labels.schema.metadata or {})
    meta[_REMEMBERED_KEY] = orjson.dumps(dict(facts))
    return DatasetTables(
        dataset.frames, dataset.labels.replace_schema_metadata(meta), dataset.embeddings
    )


def remembered(dataset: DatasetTables, key: str) -> Any:
    """A format fact stored by :func:`build_dataset`, or None."""
    meta = dataset.labels.schema.metadata or {}
    if _REMEMBERED_KEY not in meta:
        return None
    try:
        return orjson.loads(meta[_REMEMBERED_KEY]).get(key)
    except orjson.JSONDecodeError:
        return None


def build_inferences(
    predictions: PredictionRows, *, source: str, dataset: DatasetTables | None = None
) -> InferenceTables:
    return InferenceTables.build(
        predictions.table(),
        frame_ids=None if dataset is None else dataset.frames.column("frame_id"),
        source=source,
    )


def require_known_frame(
    frame_id: str, known: Mapping[str, Any] | set[str], source: str, record: Record
) -> None:
    if frame_id not in known:
        raise InputError(f"frame {frame_id!r} is not in the dataset", source=source, record=record)


def labels_by_frame(dataset: DatasetTables) -> dict[str, list[dict[str, Any]]]:
    """Each frame's labels as row dicts, frames in table order (frames without labels too)."""
    grouped: dict[str, list[dict[str, Any]]] = {
        frame_id: [] for frame_id in dataset.frames.column("frame_id").to_pylist()
    }
    for row in dataset.labels.to_pylist():
        grouped[row["frame_id"]].append(row)
    return grouped


def attributes_of(row: Mapping[str, Any]) -> dict[str, Any]:
    text = row.get("attributes")
    if not text:
        return {}
    value = orjson.loads(text)
    return value if isinstance(value, dict) else {"attributes": value}


def number_text(value: float) -> str:
    """Shortest text that reads back as the same float; whole numbers without ``.0``."""
    return str(int(value)) if value == int(value) and abs(value) < 2**53 else repr(value)


def sorted_files(directory: Path, pattern: str) -> Iterable[Path]:
    return sorted(p for p in directory.rglob(pattern) if p.is_file())


def token_lines(path: PathLike) -> Iterable[tuple[int, list[str]]]:
    """``(line number, whitespace-separated tokens)`` of a text file's non-blank lines."""
    for number, line in enumerate(read_text(path).splitlines(), 1):
        tokens = line.split()
        if tokens:
            yield number, tokens


def token_rows(
    path: PathLike, columns: int, layout: str, hint: Callable[[int], str] | None = None
) -> Iterator[tuple[int, str, list[str]]]:
    """``(line number, record, tokens)`` of a text file's non-blank lines, each of
    ``columns`` tokens; another count is an error naming ``layout`` (what the columns
    are) and ``hint(count)`` (a likely cause, or "")."""
    source = os.fspath(path)
    for number, tokens in token_lines(path):
        record = f"line {number}"
        if len(tokens) != columns:
            advice = hint(len(tokens)) if hint is not None else ""
            raise InputError(
                f"has {len(tokens)} columns, expected {columns}: {layout}{advice}",
                source=source,
                record=record,
            )
        yield number, record, tokens


IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif")


def image_size_from_file(path: Path, source: str, record: Record) -> tuple[int, int]:
    """An image's (width, height) from its header (Pillow reads no pixels here)."""
    try:
        from PIL import Image
    except ImportError:
        raise InputError(
            f"the size of {path} is needed: pass {option('image_sizes')}, or install pillow "
            "to read it",
            source=source,
            record=record,
        ) from None
    try:
        with Image.open(path) as image:
            width, height = image.size
    except (OSError, SyntaxError, ValueError) as error:
        raise InputError(
            f"cannot read the size of image {path}: {error}", source=source, record=record
        ) from None
    return int(width), int(height)


def image_sizes_file(path: PathLike) -> dict[str, tuple[int, int]]:
    """``{frame_id: (width, height)}`` from a CSV (header ``frame_id,width,height``) or a
    JSON object (``{"frame_id": [width, height]}``), chosen by the ``.json`` suffix."""
    name = os.fspath(path)
    text = read_text(name)
    sizes: dict[str, tuple[int, int]] = {}
    if name.lower().endswith(".json"):
        try:
            document = orjson.loads(text)
        except orjson.JSONDecodeError as error:
            raise InputError(f"malformed JSON ({error.msg})", source=name) from None
        if not isinstance(document, dict):
            raise InputError('expected an object {"frame_id": [width, height]}', source=name)
        for frame_id, size in document.items():
            if not isinstance(size, list | tuple) or len(size) != 2:
                raise InputError(
                    f"size {describe(size)} is not [width, height]", source=name, record=frame_id
                )
            sizes[frame_id] = check_image_size(
                parse_number(size[0], "width", name, frame_id),
                parse_number(size[1], "height", name, frame_id),
                name,
                frame_id,
            )
        return sizes
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or [c.strip() for c in rows[0]] != ["frame_id", "width", "height"]:
        raise InputError('the first line must be "frame_id,width,height"', source=name)
    for number, row in enumerate(rows[1:], 2):
        record = f"line {number}"
        if not row:
            continue
        if len(row) != 3:
            raise InputError(f"has {len(row)} columns, expected 3", source=name, record=record)
        frame_id = row[0].strip()
        if frame_id in sizes:
            raise InputError(f"frame {frame_id!r} is listed twice", source=name, record=record)
        sizes[frame_id] = check_image_size(
            parse_number(row[1], "width", name, record),
            parse_number(row[2], "height", name, record),
            name,
            record,
        )
    return sizes


def image_sizes_from_folder(folder: PathLike) -> dict[str, tuple[int, int]]:
    """The size of every image under ``folder``, read from its header, by frame id (the
    image's path under ``folder`` without its suffix, as label files name frames)."""
    root = Path(folder)
    if not root.is_dir():
        raise InputError("is not a directory", source=os.fspath(folder))
    return {
        frame_id_of(path, root): image_size_from_file(path, os.fspath(folder), path.name)
        for path in sorted_files(root, "*")
        if path.suffix.lower() in IMAGE_SUFFIXES
    }
