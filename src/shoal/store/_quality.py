"""Computing a dataset's quality metrics: each image read once, in parallel.

Frame pixel metrics and the crop metrics of every label and prediction on a frame come
from the same decoded image (``shoal.analysis.quality`` computes them); box geometry,
label counts and image sizes need no image. Images are found like the server finds
them: a frame's ``image_uri`` relative to the dataset's image root, never outside it.

Reading
    Pillow decodes each image straight to the working size (``WORKING_SIDE`` on the
    longest side): for a JPEG its decoder scales by 1/2, 1/4 or 1/8 while decoding
    (``Image.draft``), then an area-averaging resize makes the exact working size. A
    frame without an ``image_uri`` is counted, not warned about; a frame whose image is
    missing, outside the root, at a URL or unreadable gets one warning, and nulls in its
    pixel and crop columns: the computation itself never fails on an image.
Threads
    ``shoal._native.thread_count()`` readers (Pillow's decoder and NumPy's array
    arithmetic release the GIL); the results do not depend on it.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from shoal._native import thread_count
from shoal._types import Progress
from shoal.analysis import quality as kernels

if TYPE_CHECKING:
    from shoal.store._entities import Dataset, InferenceSet

__all__ = [
    "BOX_COLUMNS",
    "FRAME_COLUMNS",
    "ImageWarning",
    "QualityTables",
    "compute_quality",
    "locate_image",
    "read_working_image",
    "store_dataset_quality",
    "store_inference_set_quality",
]

FRAME_COLUMNS = tuple(kernels.FRAME_METRICS)
BOX_COLUMNS = tuple(kernels.BOX_METRICS)
_PIXEL_COLUMNS = ("brightness", "contrast", "sharpness", "colorfulness")
# Warnings kept in full; past this many only the count grows (each is one frame).
MAX_WARNINGS = 10_000
# Reasons of the whole dataset, told once (a note with the count), not once per frame.
NO_IMAGE_ROOT = (
    "the dataset has no image root (import it with --images DIR, or "
    "create_dataset(image_root=...)): pixel and crop metrics need one"
)
AT_URL = "the images are at URLs; quality metrics read local files only"

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class ImageWarning:
    """A frame whose image was not read, and why."""

    frame_id: str
    message: str

    def __str__(self) -> str:
        return f"frame {self.frame_id!r}: {self.message}"

    def to_dict(self) -> dict[str, str]:
        return {"frame_id": self.frame_id, "message": self.message}


@dataclass
class QualityTables:
    """Quality metrics of a dataset: ``frames`` (``frame_id`` + ``FRAME_COLUMNS``),
    ``labels`` (``label_id`` + ``BOX_COLUMNS``) and ``predictions`` per inference set
    (``prediction_id`` + ``BOX_COLUMNS``), every metric float64 with nulls where
    unknown; the frames whose image could not be read (``warnings``, at most
    ``MAX_WARNINGS`` kept of ``warning_count``), ``notes`` on images not read for a
    reason of the whole dataset (no image root; URLs), and how many images were read."""

    frames: pa.Table
    labels: pa.Table
    predictions: dict[str, pa.Table]
    images_read: int = 0
    frames_without_image: int = 0
    warnings: list[ImageWarning] = field(default_factory=list)
    warning_count: int = 0
    notes: list[str] = field(default_factory=list)

    def to_dict(self, *, warnings: int = 20) -> dict[str, Any]:
        """A summary: counts and the first ``warnings`` warnings."""
        return {
            "frames": self.frames.num_rows,
            "labels": self.labels.num_rows,
            "predictions": {name: t.num_rows for name, t in self.predictions.items()},
            "images_read": self.images_read,
            "frames_without_image": self.frames_without_image,
            "warning_count": self.warning_count,
            "warnings": [w.to_dict() for w in self.warnings[:warnings]],
            "notes": list(self.notes),
        }


def locate_image(uri: object, root: Path | None) -> tuple[str | None, str | None]:
    """``(path, None)`` for a readable local image of ``uri`` under ``root``, else
    ``(None, why)``; ``(None, None)`` when the frame has no image at all. The rule is the
    image server's: a relative path inside the dataset's image root."""
    if not isinstance(uri, str) or not uri:
        return None, None
    lowered = uri.lower()
    if "://" in uri or lowered.startswith(("file:", "data:")):
        return None, AT_URL
    if root is None:
        return None, NO_IMAGE_ROOT
    try:
        real_root = os.path.realpath(root)
        real = os.path.realpath(os.path.join(real_root, uri))
    except (ValueError, OSError):
        return None, f"the image path {uri!r} is not valid"
    if os.path.commonpath([real_root, real]) != real_root or real == real_root:
        return None, f"the image {uri!r} is outside the dataset's image root"
    if not os.path.isfile(real):
        return None, f"the image file is missing: {real}"
    return real, None


def read_working_image(
    path: str | os.PathLike[str], side: int = kernels.WORKING_SIDE
) -> tuple[NDArray[np.uint8], tuple[int, int]]:
    """The image's pixels at most ``side`` pixels on the longest side (``H x W`` for
    gray images, else ``H x W x 3`` RGB) and its own size ``(width, height)``.

    JPEGs are decoded already reduced where their decoder can (``draft``: the smallest
    of 1/1, 1/2, 1/4, 1/8 that stays at least the working size); the rest of the
    reduction averages areas (``Image.BOX``)."""
    from PIL import Image

    with Image.open(path) as opened:
        own_size = opened.size
        longest = max(own_size)
        scale = min(1.0, side / longest) if longest else 1.0
        target = (max(1, round(own_size[0] * scale)), max(1, round(own_size[1] * scale)))
        if scale < 1.0 and opened.format == "JPEG":
            opened.draft("L" if opened.mode == "L" else "RGB", target)
        picture = opened if opened.mode in ("RGB", "L") else opened.convert("RGB")
        if picture.size != target:
            picture = picture.resize(target, Image.Resampling.BOX)
        pixels = np.asarray(picture)
    return pixels, own_size


@dataclass(frozen=True)
class _Boxes:
    """Every box of the dataset (labels, then each inference set's predictions), in
    pixels, sorted by frame: ``rows[k]`` is the box's index in the concatenation, and
    frame ``f``'s boxes are ``starts[f]:starts[f + 1]``."""

    x0: Floats
    y0: Floats
    x1: Floats
    y1: Floats
    rows: NDArray[np.int64]
    starts: NDArray[np.int64]

    def of_frame(self, frame: int) -> tuple[NDArray[np.int64], Floats]:
        span = slice(int(self.starts[frame]), int(self.starts[frame + 1]))
        return self.rows[span], np.stack(
            [self.x0[span], self.y0[span], self.x1[span], self.y1[span]], axis=1
        )


def _floats(table: pa.Table, name: str) -> Floats:
    return np.asarray(
        table.column(name).cast(pa.float64()).to_numpy(zero_copy_only=False), np.float64
    )


def _frame_rows(objects: pa.Table, frame_ids: pa.ChunkedArray) -> NDArray[np.int64]:
    """Each object's frame's row (objects are validated to name known frames)."""
    rows = pc.index_in(objects.column("frame_id"), value_set=frame_ids)
    return np.asarray(rows.fill_null(-1).to_numpy(zero_copy_only=False), np.int64)


def _sorted_boxes(
    tables: list[pa.Table], frame_rows: list[NDArray[np.int64]], frames: int
) -> _Boxes:
    x = np.concatenate([_floats(t, "x") for t in tables]) if tables else np.zeros(0)
    y = np.concatenate([_floats(t, "y") for t in tables]) if tables else np.zeros(0)
    w = np.concatenate([_floats(t, "width") for t in tables]) if tables else np.zeros(0)
    h = np.concatenate([_floats(t, "height") for t in tables]) if tables else np.zeros(0)
    owner = np.concatenate(frame_rows) if frame_rows else np.zeros(0, np.int64)
    boxed = np.flatnonzero(np.isfinite(x) & np.isfinite(y) & np.isfinite(w) & (owner >= 0))
    order = boxed[np.argsort(owner[boxed], kind="stable")]
    starts = np.searchsorted(owner[order], np.arange(frames + 1)).astype(np.int64)
    return _Boxes(x[order], y[order], x[order] + w[order], y[order] + h[order], order, starts)


@dataclass(frozen=True)
class _FrameResult:
    frame: int
    pixels: kernels.FramePixels | None
    size: tuple[int, int] | None
    box_rows: NDArray[np.int64]
    crops: kernels.CropQuality | None
    problem: str | None


def _measure(frame: int, path: str, boxes: _Boxes) -> _FrameResult:
    """One frame's pixel and crop metrics (a problem reading the image is returned, not
    raised)."""
    rows, box_array = boxes.of_frame(frame)
    try:
        pixels, own_size = read_working_image(path)
    except Exception as error:  # any decoder failure is the file's, reported per frame
        return _FrameResult(frame, None, None, rows, None, f"cannot read the image: {error}")
    gray = kernels.luma(pixels)
    response = kernels.laplacian(gray)
    frame_pixels = kernels.frame_pixels(pixels, gray, response)
    crops = None
    if rows.size:
        scale_x = pixels.shape[1] / own_size[0]
        scale_y = pixels.shape[0] / own_size[1]
        scaled = box_array * np.array([scale_x, scale_y, scale_x, scale_y])
        crops = kernels.crop_quality(gray, scaled, response)
    return _FrameResult(frame, frame_pixels, own_size, rows, crops, None)


# Frames one task measures: a task per frame would cost more in hand-offs between
# threads than a small image takes to measure.
_FRAMES_PER_TASK = 8


def _in_parallel(
    work: Callable[[int], _FrameResult], items: list[int], threads: int
) -> Iterator[_FrameResult]:
    if threads <= 1 or len(items) <= 1:
        yield from (work(item) for item in items)
        return

    def batch(chunk: list[int]) -> list[_FrameResult]:
        return [work(item) for item in chunk]

    chunks = [items[i : i + _FRAMES_PER_TASK] for i in range(0, len(items), _FRAMES_PER_TASK)]
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="shoal-quality") as pool:
        # A bounded window of tasks in flight: memory stays a few images per thread.
        window = threads * 2
        pending = deque(pool.submit(batch, chunk) for chunk in chunks[:window])
        following = window
        while pending:
            results = pending.popleft().result()
            if following < len(chunks):
                pending.append(pool.submit(batch, chunks[following]))
                following += 1
            yield from results


def _column(values: Floats) -> pa.Array:
    """float64 with null where the value is NaN (unknown)."""
    return pa.array(values, pa.float64(), mask=np.isnan(values))


def _object_table(key: str, ids: pa.ChunkedArray, columns: Mapping[str, Floats]) -> pa.Table:
    return pa.table({key: ids.cast(pa.string()), **{n: _column(columns[n]) for n in BOX_COLUMNS}})


def compute_quality(
    frames: pa.Table,
    labels: pa.Table,
    predictions: Mapping[str, pa.Table],
    image_root: Path | None,
    *,
    read_images: bool = True,
    progress: Progress | None = None,
    threads: int | None = None,
) -> QualityTables:
    """Quality metrics of a dataset's ``frames`` (Shoal's frames table), ``labels`` and
    every inference set's ``predictions`` (by name; none for a dataset's labels alone),
    reading each frame's image once (``read_images=False``: geometry only).

    ``progress(done, total)`` counts images as they are read."""
    frame_count = frames.num_rows
    frame_ids = frames.column("frame_id")
    sources = [labels, *predictions.values()]
    owners = [_frame_rows(t, frame_ids) for t in sources]
    boxes = _sorted_boxes(sources, owners, frame_count)
    box_total = int(sum(t.num_rows for t in sources))
    crop_brightness = np.full(box_total, np.nan)
    crop_sharpness = np.full(box_total, np.nan)
    pixel_values = {name: np.full(frame_count, np.nan) for name in _PIXEL_COLUMNS}
    own_width = np.full(frame_count, np.nan)
    own_height = np.full(frame_count, np.nan)

    tables = QualityTables(frames, labels, {})
    to_read: list[int] = []
    paths: dict[int, str] = {}
    if read_images:
        dataset_wide = dict.fromkeys((NO_IMAGE_ROOT, AT_URL), 0)
        for row, uri in enumerate(frames.column("image_uri").to_pylist()):
            path, problem = locate_image(uri, image_root)
            if path is not None:
                paths[row] = path
                to_read.append(row)
            elif problem is None:
                tables.frames_without_image += 1
            elif problem in dataset_wide:
                dataset_wide[problem] += 1
            else:
                _warn(tables, str(frame_ids[row]), problem)
        tables.notes = [
            f"{count:,} {'frame' if count == 1 else 'frames'} not read: {reason}"
            for reason, count in dataset_wide.items()
            if count
        ]
    else:
        tables.frames_without_image = frame_count

    total = len(to_read)
    if progress is not None:
        progress(0, total)
    workers = max(1, threads if threads is not None else thread_count())
    measured = _in_parallel(lambda f: _measure(f, paths[f], boxes), to_read, workers)
    for done, result in enumerate(measured, start=1):
        if result.problem is not None:
            _warn(tables, str(frame_ids[result.frame]), result.problem)
        else:
            assert result.pixels is not None and result.size is not None
            tables.images_read += 1
            for name in _PIXEL_COLUMNS:
                pixel_values[name][result.frame] = getattr(result.pixels, name)
            own_width[result.frame], own_height[result.frame] = result.size
            if result.crops is not None:
                crop_brightness[result.box_rows] = result.crops.brightness
                crop_sharpness[result.box_rows] = result.crops.sharpness
        if progress is not None and (done == total or done % 16 == 0):
            progress(done, total)

    # Sizes: the frames table's, else the image's own.
    width = np.where(np.isnan(_floats(frames, "width")), own_width, _floats(frames, "width"))
    height = np.where(np.isnan(_floats(frames, "height")), own_height, _floats(frames, "height"))
    box_columns: list[dict[str, Floats]] = []
    offset = 0
    for table, owner in zip(sources, owners, strict=True):
        span = slice(offset, offset + table.num_rows)
        offset += table.num_rows
        known = owner >= 0
        safe = np.where(known, owner, 0)
        geometry = kernels.box_geometry(
            _floats(table, "x"),
            _floats(table, "y"),
            _floats(table, "width"),
            _floats(table, "height"),
            np.where(known, width[safe], np.nan),
            np.where(known, height[safe], np.nan),
        )
        overlap = kernels.max_overlap(
            owner,
            _floats(table, "x"),
            _floats(table, "y"),
            _floats(table, "width"),
            _floats(table, "height"),
        )
        box_columns.append(
            {
                **geometry.columns(),
                "max_overlap": overlap,
                "crop_brightness": crop_brightness[span],
                "crop_sharpness": crop_sharpness[span],
            }
        )
    label_stats = kernels.frame_labels(
        owners[0][owners[0] >= 0],
        frame_count,
        box_columns[0]["relative_area"][owners[0] >= 0],
    )
    frame_columns: dict[str, Floats] = {
        **pixel_values,
        **kernels.image_geometry(width, height),
        "label_count": label_stats.label_count,
        "label_density": label_stats.label_density,
    }
    tables.frames = pa.table(
        {
            "frame_id": frame_ids.cast(pa.string()),
            **{n: _column(frame_columns[n]) for n in FRAME_COLUMNS},
        }
    )
    tables.labels = _object_table("label_id", labels.column("label_id"), box_columns[0])
    tables.predictions = {
        name: _object_table("prediction_id", table.column("prediction_id"), columns)
        for (name, table), columns in zip(predictions.items(), box_columns[1:], strict=True)
    }
    return tables


def _warn(tables: QualityTables, frame_id: str, message: str) -> None:
    tables.warning_count += 1
    if len(tables.warnings) < MAX_WARNINGS:
        tables.warnings.append(ImageWarning(frame_id, message))


def store_dataset_quality(
    dataset: Dataset, *, progress: Progress | None = None, read_images: bool = True
) -> QualityTables:
    """Compute and store the quality metrics of ``dataset``: its frames, its labels and
    every inference set's predictions (box metrics only in a detection project). Each
    level is written at once (``Dataset.write_quality_metrics``)."""
    inference_sets = dataset.inference_sets()
    tables = compute_quality(
        dataset.frames(),
        dataset.labels(),
        {s.name: s.predictions() for s in inference_sets},
        dataset.image_root,
        read_images=read_images,
        progress=progress,
    )
    dataset.write_quality_metrics("frame", tables.frames)
    if dataset.project.task == "detection":
        dataset.write_quality_metrics("label", tables.labels)
        for name, table in tables.predictions.items():
            dataset.write_quality_metrics("prediction", table, inference_set=name)
    return tables


def store_inference_set_quality(
    inference_set: InferenceSet, *, progress: Progress | None = None, read_images: bool = True
) -> QualityTables:
    """Compute and store the prediction quality metrics of one inference set (its
    dataset's images are read again for the crops; nothing for classification, whose
    predictions have no box)."""
    dataset = inference_set.dataset
    frames, labels = dataset.frames(), dataset.labels()
    predictions = inference_set.predictions()
    if dataset.project.task != "detection":
        return QualityTables(frames.slice(0, 0), labels.slice(0, 0), {})
    # Only frames with predictions need reading.
    predicted = pc.is_in(frames.column("frame_id"), value_set=predictions.column("frame_id"))
    tables = compute_quality(
        frames.filter(predicted),
        labels.slice(0, 0),
        {inference_set.name: predictions},
        dataset.image_root,
        read_images=read_images,
        progress=progress,
    )
    dataset.write_quality_metrics(
        "prediction", tables.predictions[inference_set.name], inference_set=inference_set.name
    )
    return tables
