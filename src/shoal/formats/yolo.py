"""YOLO (Ultralytics / darknet) text labels and predictions to and from Shoal's tables.

Ultralytics layout read by :func:`from_yolo` given a ``data.yaml``::

    path: ../datasets/pets      # dataset root, relative to the YAML's folder (default: it)
    train: images/train         # image folder(s) under the root: a string or a list;
    val: images/val             # a .txt file instead lists image paths, one a line
    test:                       # (relative to that file's folder)
    names: [cat, dog]           # or {0: cat, 1: dog}, or indented "  0: cat" lines

and labels mirroring the images: ``.../images/train/a.jpg`` has its labels in
``.../labels/train/a.txt`` (the last ``images`` folder becomes ``labels``; an image path
without one has its ``.txt`` beside it). A missing label file is a frame without labels.
Label rows are ``class xc yc w h``: a 0-based class id and the box centre and size
divided by the image width / height (each in [0, 1]).

Darknet layout, :func:`from_yolo` given a folder: every ``*.txt`` under it is a label
file (except a ``classes.txt`` class list), the class names come from ``class_names`` (a
list or a names file such as ``obj.names``, one name a line) or that ``classes.txt``; an
image with the same name beside the ``.txt`` is the frame's image.

Frames: ``frame_id`` = the image path under its split folder (darknet: the ``.txt`` path
under the folder) without extension; ``image_uri`` = the image path when known. Image
sizes, needed to turn normalized boxes into pixels, come from ``image_sizes``
(``{frame_id: (width, height)}``, or a dataset whose frames have sizes), else from the
image file's header (Pillow, read lazily). Labels: ``label_id`` = ``frame_id:line``.

The YAML is read with a small parser for the subset above: top-level ``key: value``
lines, scalars (plain, ``'single'`` or ``"double"`` quoted, numbers, ``null``/``~``),
``[a, b]`` and ``{0: a}`` flow collections, and indented block lists (``- a``) or maps
(``0: a``) under a key with no value; ``#`` comments. Anything else is an error naming the
line (Shoal does not depend on PyYAML).

Predictions (:func:`from_yolo_predictions`): one ``.txt`` per image, as Ultralytics'
``predict(save_txt=True, save_conf=True)`` writes, rows ``class xc yc w h conf``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from shoal.errors import InputError
from shoal.formats._rows import (
    IMAGE_SUFFIXES,
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
    image_size_from_file,
    image_sizes_argument,
    labels_by_frame,
    number_or_text,
    option,
    parse_class_index,
    parse_number,
    read_text,
    remembered,
    sorted_files,
    token_lines,
    token_rows,
)
from shoal.tables import DatasetTables, InferenceTables

__all__ = ["as_yolo", "from_yolo", "from_yolo_predictions", "parse_data_yaml"]

_NAMES = "yolo_names"
_SPLITS = ("train", "val", "test")
_KEY_LINE = re.compile(r"^(?P<key>[^\s:#'\"][^:#]*?|'[^']*'|\"[^\"]*\")\s*:(?:\s+(?P<value>.*))?$")

# ------------------------------------------------------------------------ data.yaml


def _strip_comment(line: str) -> str:
    """The line without a ``#`` comment (a ``#`` inside quotes or a word is kept)."""
    quote = None
    for i, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line.rstrip()


def _split_flow(text: str, source: str, record: str) -> list[str]:
    """Items of a ``[...]`` / ``{...}`` body, split on commas outside quotes."""
    items, current, quote = [], "", None
    for char in text:
        if quote:
            current += char
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
            current += char
        elif char == ",":
            items.append(current.strip())
            current = ""
        elif char in "[]{}":
            raise InputError("nested collections are not supported", source=source, record=record)
        else:
            current += char
    if quote:
        raise InputError("unterminated quoted string", source=source, record=record)
    if current.strip():
        items.append(current.strip())
    return items


def _scalar(text: str, source: str, record: str) -> Any:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1].replace("''", "'")
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if text[:1] in {"'", '"'}:
        raise InputError(f"unterminated quoted string {text!r}", source=source, record=record)
    if text in {"", "~", "null", "Null", "NULL"}:
        return None
    if text in {"true", "True", "false", "False"}:
        return text in {"true", "True"}
    return number_or_text(text)


def _value(text: str, source: str, record: str) -> Any:
    if text.startswith("["):
        if not text.endswith("]"):
            raise InputError("unterminated [ list", source=source, record=record)
        return [_scalar(item, source, record) for item in _split_flow(text[1:-1], source, record)]
    if text.startswith("{"):
        if not text.endswith("}"):
            raise InputError("unterminated { mapping", source=source, record=record)
        mapping = {}
        for item in _split_flow(text[1:-1], source, record):
            key, colon, value = item.partition(":")
            if not colon:
                raise InputError(f"{item!r} is not 'key: value'", source=source, record=record)
            mapping[_scalar(key, source, record)] = _scalar(value, source, record)
        return mapping
    return _scalar(text, source, record)


def parse_data_yaml(text: str, source: str = "<data.yaml>") -> dict[str, Any]:
    """The subset of YAML an Ultralytics ``data.yaml`` uses (see the module doc)."""
    document: dict[str, Any] = {}
    block_key: str | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        record = f"line {number}"
        line = _strip_comment(raw)
        if not line.strip() or line.strip() == "---":
            continue
        if "\t" in line[: len(line) - len(line.lstrip())]:
            raise InputError("indentation uses a tab", source=source, record=record)
        if line[0].isspace():
            if block_key is None:
                raise InputError("indented line outside a block", source=source, record=record)
            item = line.strip()
            current = document[block_key]
            if item.startswith("- ") or item == "-":
                if current is None:
                    current = document[block_key] = []
                if not isinstance(current, list):
                    raise InputError("list item inside a mapping", source=source, record=record)
                current.append(_scalar(item[1:], source, record))
                continue
            match = _KEY_LINE.match(item)
            if match is None:
                raise InputError(f"cannot read {item!r}", source=source, record=record)
            if current is None:
                current = document[block_key] = {}
            if not isinstance(current, dict):
                raise InputError("mapping entry inside a list", source=source, record=record)
            current[_scalar(match["key"], source, record)] = _scalar(
                match["value"] or "", source, record
            )
            continue
        match = _KEY_LINE.match(line)
        if match is None:
            raise InputError(
                f"cannot read {line.strip()!r} (expected 'key: value')",
                source=source,
                record=record,
            )
        key = str(_scalar(match["key"], source, record))
        if match["value"]:
            document[key] = _value(match["value"].strip(), source, record)
            block_key = None
        else:
            document[key] = None
            block_key = key
    return document


def _names_list(names: Any, source: str) -> list[str]:
    """``names`` as a list in class-id order (from a list or an ``{id: name}`` mapping)."""
    if isinstance(names, list):
        result = names
    elif isinstance(names, dict):
        ids = sorted(names, key=lambda k: (not isinstance(k, int), k))
        if ids != list(range(len(ids))):
            raise InputError(
                f"names ids are {ids}, expected 0..{len(ids) - 1}", source=source, record="names"
            )
        result = [names[i] for i in ids]
    else:
        raise InputError("has no 'names' list or mapping", source=source, record="names")
    for i, name in enumerate(result):
        if name is None or (isinstance(name, str) and not name):
            raise InputError(f"class {i} has no name", source=source, record="names")
    return [str(name) for name in result]


# ------------------------------------------------------------------------ reading


def _label_path(image: Path) -> Path:
    parts = list(image.parts)
    for i in range(len(parts) - 2, -1, -1):
        if parts[i] == "images":
            parts[i] = "labels"
            break
    return Path(*parts).with_suffix(".txt")


def _labels_without_images(entry: str, root: Path) -> Path | None:
    """The labels folder of a split whose images folder does not exist (yet), if any."""
    location = (root / entry).resolve() if not Path(entry).is_absolute() else Path(entry)
    if location.exists() or "images" not in location.parts:
        return None
    twin = _label_path(location / "x").parent
    return twin if twin.is_dir() else None


def _images_of(entry: str, root: Path, source: str) -> Iterator[tuple[str, Path]]:
    """``(frame_id, image path)`` of one split entry (a folder or a .txt list)."""
    location = (root / entry).resolve() if not Path(entry).is_absolute() else Path(entry)
    if location.is_dir():
        for path in sorted_files(location, "*"):
            if path.suffix.lower() in IMAGE_SUFFIXES:
                yield frame_id_of(path, location), path
    elif location.suffix == ".txt" and location.is_file():
        for number, tokens in token_lines(location):
            line = " ".join(tokens)
            path = Path(line) if Path(line).is_absolute() else location.parent / line
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                raise InputError(
                    f"{line!r} is not an image path", source=str(location), record=f"line {number}"
                )
            yield path.stem, path
    else:
        raise InputError(f"split folder {location} does not exist", source=source)


def _normalized_box(tokens: Sequence[str], size: tuple[int, int], source: str, record: str) -> Box:
    xc, yc, w, h = (
        parse_number(t, what, source, record)
        for t, what in zip(tokens, ("xc", "yc", "w", "h"), strict=True)
    )
    for what, value in (("xc", xc), ("yc", yc), ("w", w), ("h", h)):
        if not 0.0 <= value <= 1.0:
            raise InputError(
                f"{what} {value:g} is not a normalized coordinate in [0, 1]",
                source=source,
                record=record,
            )
    width, height = size
    return (xc - w / 2) * width, (yc - h / 2) * height, w * width, h * height


def _read_label_file(
    path: Path,
    frame_id: str,
    names: Sequence[str],
    size: tuple[int, int],
    labels: LabelRows,
) -> None:
    source = os.fspath(path)
    rows = token_rows(
        path,
        5,
        "class xc yc w h",
        lambda count: " (segmentation polygons are not supported)" if count > 6 else "",
    )
    for number, record, tokens in rows:
        labels.add(
            f"{frame_id}:{number}",
            frame_id,
            parse_class_index(tokens[0], names, source, record),
            _normalized_box(tokens[1:], size, source, record),
            source=source,
            record=record,
        )


class _Sizes:
    """Image sizes from the argument, else from image headers."""

    def __init__(self, given: dict[str, tuple[int, int]]) -> None:
        self.given = given

    def __call__(self, frame_id: str, image: Path | None, source: str) -> tuple[int, int]:
        if frame_id in self.given:
            return self.given[frame_id]
        if image is None or not image.is_file():
            raise InputError(
                f"no image size for frame {frame_id!r}: pass {option('image_sizes')} or "
                "provide the image",
                source=source,
            )
        return image_size_from_file(image, source, None)


def from_yolo(
    source: PathLike,
    *,
    class_names: Sequence[str] | PathLike | None = None,
    image_sizes: ImageSizes | DatasetTables | None = None,
    splits: Sequence[str] = _SPLITS,
) -> DatasetTables:
    """A YOLO dataset (a ``data.yaml``, or a folder of label files) as a dataset; layout in
    the module doc. ``class_names`` overrides the YAML's ``names``; ``splits`` picks which
    of the YAML's image folders to read."""
    name = os.fspath(source)
    sizes = _Sizes(image_sizes_argument(image_sizes))
    frames = FrameRows()
    labels = LabelRows()
    path = Path(name)
    if path.is_dir():
        names = _darknet_names(path, class_names)
        for label_file in sorted_files(path, "*.txt"):
            if label_file.name == "classes.txt":
                continue
            frame_id = frame_id_of(label_file, path)
            image = next(
                (
                    candidate
                    for suffix in IMAGE_SUFFIXES
                    for candidate in (label_file.with_suffix(suffix),)
                    if candidate.is_file()
                ),
                None,
            )
            size = sizes(frame_id, image, os.fspath(label_file))
            frames.add(
                frame_id,
                None if image is None else os.fspath(image),
                *size,
                source=os.fspath(label_file),
            )
            _read_label_file(label_file, frame_id, names, size, labels)
        return build_dataset(frames, labels, source=name, remember={_NAMES: names})

    document = parse_data_yaml(read_text(name), name)
    names = (
        class_names_argument(class_names)
        if class_names is not None
        else _names_list(document.get("names"), name)
    )
    root_entry = document.get("path")
    root = path.parent if root_entry is None else path.parent / str(root_entry)
    for split in splits:
        entries = document.get(split)
        if entries is None:
            continue
        for entry in entries if isinstance(entries, list) else [entries]:
            twin = _labels_without_images(str(entry), root)
            if twin is not None:
                # as_yolo's output before its images are copied in: the labels say it all.
                for label_file in sorted_files(twin, "*.txt"):
                    frame_id = frame_id_of(label_file, twin)
                    size = sizes(frame_id, None, os.fspath(label_file))
                    frames.add(frame_id, None, *size, source=os.fspath(label_file))
                    _read_label_file(label_file, frame_id, names, size, labels)
                continue
            for frame_id, image in _images_of(str(entry), root, name):
                size = sizes(frame_id, image, os.fspath(image))
                frames.add(frame_id, os.fspath(image), *size, source=os.fspath(image))
                label_file = _label_path(image)
                if label_file.is_file():
                    _read_label_file(label_file, frame_id, names, size, labels)
    return build_dataset(frames, labels, source=name, remember={_NAMES: names})


def _darknet_names(folder: Path, class_names: Sequence[str] | PathLike | None) -> list[str]:
    if class_names is not None:
        return class_names_argument(class_names)
    if (folder / "classes.txt").is_file():
        return class_names_argument(folder / "classes.txt")
    raise InputError(
        f"needs class names: pass {option('class_names')} or add classes.txt",
        source=os.fspath(folder),
    )


def _dataset_names(
    dataset: DatasetTables, class_names: Sequence[str] | PathLike | None
) -> list[str]:
    if class_names is not None:
        if isinstance(class_names, str | os.PathLike) and Path(class_names).suffix in {
            ".yaml",
            ".yml",
        }:
            name = os.fspath(class_names)
            return _names_list(parse_data_yaml(read_text(name), name).get("names"), name)
        return class_names_argument(class_names)
    names = remembered(dataset, _NAMES)
    return [str(n) for n in names] if names else dataset.class_names


def from_yolo_predictions(
    directory: PathLike,
    dataset: DatasetTables,
    *,
    class_names: Sequence[str] | PathLike | None = None,
    image_sizes: ImageSizes | None = None,
) -> InferenceTables:
    """YOLO prediction files (rows ``class xc yc w h conf``) on ``dataset``'s frames.

    Every ``*.txt`` under ``directory`` (or its ``labels/`` folder) is one frame's
    predictions, ``frame_id`` = its path without ``.txt``; it must be a frame of the
    dataset. Class ids index ``class_names`` (a list, a names file or a ``data.yaml``),
    by default the names the dataset was read with by :func:`from_yolo`, else its sorted
    class names. Image sizes come from ``image_sizes``, else the dataset's frames.
    Prediction ids are ``frame_id:line``."""
    folder = Path(directory)
    if not folder.is_dir():
        raise InputError("is not a directory", source=os.fspath(directory))
    if (folder / "labels").is_dir():
        folder = folder / "labels"
    names = _dataset_names(dataset, class_names)
    sizes = image_sizes_argument(dataset)
    sizes.update(image_sizes_argument(image_sizes))
    known = set(dataset.frames.column("frame_id").to_pylist())
    predictions = PredictionRows()
    for path in sorted_files(folder, "*.txt"):
        source = os.fspath(path)
        frame_id = frame_id_of(path, folder)
        if frame_id not in known:
            raise InputError(f"frame {frame_id!r} is not in the dataset", source=source)
        if frame_id not in sizes:
            raise InputError(
                f"no image size for frame {frame_id!r}: pass {option('image_sizes')}",
                source=source,
            )
        rows = token_rows(
            path,
            6,
            "class xc yc w h conf",
            lambda count: " (save predictions with save_conf=True)" if count == 5 else "",
        )
        for number, record, tokens in rows:
            predictions.add(
                f"{frame_id}:{number}",
                frame_id,
                parse_class_index(tokens[0], names, source, record),
                _normalized_box(tokens[1:5], sizes[frame_id], source, record),
                parse_number(tokens[5], "conf", source, record),
                source=source,
                record=record,
            )
    return build_inferences(predictions, source=os.fspath(directory), dataset=dataset)


# ------------------------------------------------------------------------ writing


def _yaml_text(value: str) -> str:
    plain = re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_ ./()+-]*", value) and value == value.strip()
    if plain and _scalar(value, "", "") == value:
        return value
    return "'" + value.replace("'", "''") + "'"


def as_yolo(
    dataset: DatasetTables,
    directory: PathLike,
    *,
    class_names: Sequence[str] | PathLike | None = None,
) -> Path:
    """Write ``labels/<frame_id>.txt`` for every frame (empty for frames without labels)
    and a ``data.yaml`` (``path: .``, ``train: images``, ``names``) under ``directory``;
    return the YAML's path. Images are not copied: put them in ``images/`` to train.
    Class ids index ``class_names`` (default as in :func:`from_yolo_predictions`);
    frames need sizes and labels need boxes."""
    root = Path(directory)
    names = _dataset_names(dataset, class_names)
    index_of = {name: i for i, name in enumerate(names)}
    frames = {row["frame_id"]: row for row in dataset.frames.to_pylist()}
    files: dict[Path, str] = {}
    for frame_id, rows in labels_by_frame(dataset).items():
        frame = frames[frame_id]
        if frame_id.startswith("/") or ".." in Path(frame_id).parts:
            raise InputError(f"frame id {frame_id!r} cannot be a file name under {root}")
        width, height = frame["width"], frame["height"]
        if rows and (width is None or height is None):
            raise InputError(f"frame {frame_id!r} has no size: YOLO boxes are normalized")
        lines = []
        for row in rows:
            if row["x"] is None:
                raise InputError(f"label {row['label_id']!r} has no box: YOLO labels are boxes")
            if row["class_name"] not in index_of:
                raise InputError(
                    f"label {row['label_id']!r} has class {row['class_name']!r}, "
                    "which is not in class_names"
                )
            x, y, w, h = row["x"], row["y"], row["width"], row["height"]
            values = ((x + w / 2) / width, (y + h / 2) / height, w / width, h / height)
            lines.append(" ".join([str(index_of[row["class_name"]]), *map(repr, values)]))
        files[root / "labels" / f"{frame_id}.txt"] = "".join(line + "\n" for line in lines)
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    yaml_path = root / "data.yaml"
    yaml_lines = ["path: .", "train: images", "names:"]
    yaml_lines += [f"  {i}: {_yaml_text(name)}" for i, name in enumerate(names)]
    yaml_path.write_text("\n".join(yaml_lines) + "\n", encoding="utf-8")
    return yaml_path
