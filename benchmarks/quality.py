"""Quality metrics: images per second of Shoal's pipeline (shoal.store._quality) against
reading one image at a time, in the same run.

Peers, each computing the four frame metrics and every box's crop brightness and sharpness:

- **shoal**: ``compute_quality`` (Pillow decoding to the working size, ``WORKING_SIDE``, JPEG's DCT
  scaling through ``draft``, threads from ``shoal._native.thread_count()``);
- **naive Pillow**: one image at a time, a full Pillow decode, the same NumPy kernels at
  full resolution;
- **naive OpenCV** (when ``cv2`` imports): one image at a time, ``cv2.imread`` (a full
  decode), ``cvtColor``, ``Laplacian`` and ``meanStdDev`` per image and per crop.

Data: the demo projects' images (PNG), and generated JPEGs at two sizes (640 x 480 and
1920 x 1080) with COCO-like boxes from ``shoal.demo.synthetic``; ``--m`` adds the M data
set (5,000 JPEGs at their COCO sizes, ~35k labels and ~388k predictions), the issue's
target (<= 20 s on 2 cores).

    .venv/bin/python benchmarks/quality.py [--images 300] [--m] [--threads N]

writes benchmarks/results/quality.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from PIL import Image

from shoal._native import thread_count
from shoal.analysis import quality as kernels
from shoal.store._quality import compute_quality, locate_image

RESULTS = Path(__file__).resolve().parent / "results" / "quality.md"


def _write_jpegs(folder: Path, sizes: list[tuple[int, int]], seed: int) -> list[str]:
    """Smooth gradients with noise (JPEG-compressible like photos); a folder holding
    them already (``--data``) is reused."""
    names = [f"{index:06d}.jpg" for index in range(len(sizes))]
    if all((folder / name).is_file() for name in names):
        return names
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    names = []
    cache: dict[tuple[int, int], np.ndarray] = {}
    for index, (width, height) in enumerate(sizes):
        if (width, height) not in cache:
            ys, xs = np.mgrid[0:height, 0:width]
            cache[(width, height)] = np.stack(
                [xs * 255 / width, ys * 255 / height, (xs + ys) * 127 / (width + height)], -1
            )
        base = cache[(width, height)] + rng.normal(0, 12, (1, 1, 3))
        noise = rng.normal(0, 10, (height // 8 + 1, width // 8 + 1, 3)).repeat(8, 0).repeat(8, 1)
        pixels = np.clip(base + noise[:height, :width], 0, 255).astype(np.uint8)
        name = f"{index:06d}.jpg"
        Image.fromarray(pixels).save(folder / name, quality=85)
        names.append(name)
    return names


def _tables(
    names: list[str], sizes: list[tuple[int, int]], boxes_per_image: int, seed: int
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Frames, labels and predictions with random boxes (COCO-like sizes)."""
    rng = np.random.default_rng(seed)
    frame_ids = [n.removesuffix(".jpg") for n in names]
    frames = pa.table(
        {
            "frame_id": frame_ids,
            "image_uri": names,
            "width": pa.array([s[0] for s in sizes], pa.int32()),
            "height": pa.array([s[1] for s in sizes], pa.int32()),
        }
    )

    def boxes(id_column: str, per_image: int) -> pa.Table:
        rows: dict[str, list[Any]] = {
            k: [] for k in (id_column, "frame_id", "class_name", "x", "y", "width", "height")
        }
        for frame_id, (width, height) in zip(frame_ids, sizes, strict=True):
            count = int(rng.poisson(per_image))
            w = width * rng.uniform(0.02, 0.5, count)
            h = height * rng.uniform(0.02, 0.5, count)
            x = rng.uniform(0, 1, count) * (width - w)
            y = rng.uniform(0, 1, count) * (height - h)
            for k in range(count):
                rows[id_column].append(f"{frame_id}-{len(rows[id_column])}")
                rows["frame_id"].append(frame_id)
                rows["class_name"].append("thing")
                rows["x"].append(float(x[k]))
                rows["y"].append(float(y[k]))
                rows["width"].append(float(w[k]))
                rows["height"].append(float(h[k]))
        return pa.table(rows)

    return frames, boxes("label_id", 7), boxes("prediction_id", boxes_per_image)


def _box_arrays(frames: pa.Table, tables: list[pa.Table]) -> dict[str, np.ndarray]:
    """Per frame id, its boxes (x0, y0, x1, y1) from every table."""
    by_frame: dict[str, list[list[float]]] = {f: [] for f in frames.column("frame_id").to_pylist()}
    for table in tables:
        for row in table.select(["frame_id", "x", "y", "width", "height"]).to_pylist():
            if row["x"] is None:
                continue
            by_frame[row["frame_id"]].append(
                [row["x"], row["y"], row["x"] + row["width"], row["y"] + row["height"]]
            )
    return {f: np.array(b, np.float64).reshape(-1, 4) for f, b in by_frame.items()}


def naive_pillow(paths: list[str], boxes: list[np.ndarray]) -> None:
    for path, frame_boxes in zip(paths, boxes, strict=True):
        with Image.open(path) as opened:
            pixels = np.asarray(opened.convert("RGB"))
        gray = kernels.luma(pixels).astype(np.float64)
        kernels.frame_pixels(pixels, gray)
        for x0, y0, x1, y1 in frame_boxes:
            crop = gray[int(y0) : int(np.ceil(y1)), int(x0) : int(np.ceil(x1))]
            kernels.brightness(crop)
            kernels.sharpness(crop)


def naive_opencv(paths: list[str], boxes: list[np.ndarray]) -> None:
    import cv2

    for path, frame_boxes in zip(paths, boxes, strict=True):
        image = cv2.imread(path, cv2.IMREAD_COLOR)
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        cv2.meanStdDev(gray)
        cv2.meanStdDev(cv2.Laplacian(gray, cv2.CV_64F))
        b, g, r = (c.astype(np.float32) for c in cv2.split(image))
        rg, yb = r - g, 0.5 * (r + g) - b
        np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean())
        for x0, y0, x1, y1 in frame_boxes:
            crop = gray[int(y0) : int(np.ceil(y1)), int(x0) : int(np.ceil(x1))]
            if crop.size:
                cv2.meanStdDev(crop)
                cv2.meanStdDev(cv2.Laplacian(crop, cv2.CV_64F))


def decode_only(paths: list[str]) -> dict[str, float]:
    """Seconds to decode every image, per reader (no metrics): the reader choice."""
    from shoal.store._quality import read_working_image

    timings = {}
    started = time.perf_counter()
    for path in paths:
        read_working_image(path)
    timings[f"Pillow draft + BOX to {kernels.WORKING_SIDE}"] = time.perf_counter() - started
    started = time.perf_counter()
    for path in paths:
        with Image.open(path) as opened:
            np.asarray(opened.convert("RGB"))
    timings["Pillow full decode"] = time.perf_counter() - started
    try:
        import cv2
    except ImportError:
        return timings
    started = time.perf_counter()
    for path in paths:
        cv2.imread(path, cv2.IMREAD_COLOR)
    timings["OpenCV full decode"] = time.perf_counter() - started
    started = time.perf_counter()
    for path in paths:
        cv2.imread(path, cv2.IMREAD_REDUCED_COLOR_2)
    timings["OpenCV reduced 1/2"] = time.perf_counter() - started
    return timings


def _time(run: Callable[[], Any]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def measure(
    name: str, folder: Path, frames: pa.Table, labels: pa.Table, predictions: pa.Table, threads: int
) -> dict[str, Any]:
    paths = [str(locate_image(uri, folder)[0]) for uri in frames.column("image_uri").to_pylist()]
    boxes_by_frame = _box_arrays(frames, [labels, predictions])
    boxes = [boxes_by_frame[f] for f in frames.column("frame_id").to_pylist()]
    count = frames.num_rows
    for path in paths:  # every peer reads from the OS's file cache, the first one too
        Path(path).read_bytes()
    row: dict[str, Any] = {
        "data": name,
        "images": count,
        "boxes": labels.num_rows + predictions.num_rows,
    }
    row["shoal_s"] = _time(
        lambda: compute_quality(frames, labels, {"model": predictions}, folder, threads=threads)
    )
    row["shoal_1_thread_s"] = _time(
        lambda: compute_quality(frames, labels, {"model": predictions}, folder, threads=1)
    )
    row["pillow_s"] = _time(lambda: naive_pillow(paths, boxes))
    try:
        import cv2  # noqa: F401

        row["opencv_s"] = _time(lambda: naive_opencv(paths, boxes))
    except ImportError:
        row["opencv_s"] = None
    row["decode"] = decode_only(paths[: min(count, 200)])
    row["decode_images"] = min(count, 200)
    return row


def _line(row: dict[str, Any]) -> str:
    count = row["images"]

    def rate(seconds: float | None) -> str:
        return "n/a" if seconds is None else f"{count / seconds:,.0f}"

    opencv = row["opencv_s"]
    return (
        f"| {row['data']} | {count:,} | {row['boxes']:,} | {rate(row['shoal_s'])} "
        f"({row['shoal_s']:.2f} s) | {rate(row['shoal_1_thread_s'])} | {rate(row['pillow_s'])} | "
        f"{rate(opencv)} | {row['pillow_s'] / row['shoal_s']:.1f}x | "
        + ("n/a" if opencv is None else f"{opencv / row['shoal_s']:.1f}x")
        + " |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=300, help="JPEGs per generated size")
    parser.add_argument("--m", action="store_true", help="also the M data set (5,000 JPEGs)")
    parser.add_argument("--threads", type=int, default=None, help="default: thread_count()")
    parser.add_argument("--no-demo", action="store_true", help="skip the demo images")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--data", type=Path, default=None, help="keep (and reuse) the generated JPEGs here"
    )
    args = parser.parse_args(argv)
    threads = args.threads or thread_count()
    rows = []
    with tempfile.TemporaryDirectory(prefix="shoal-quality-bench-") as temporary:
        root = args.data if args.data is not None else Path(temporary)
        if not args.no_demo:
            from shoal.demo import build_demo_projects
            from shoal.store import Store

            store = Store(Path(temporary) / "home")
            print("building the demo projects ...", file=sys.stderr)
            build_demo_projects(store, scale=1.0)
            for project in store.projects():
                for dataset in project.datasets():
                    sets = dataset.inference_sets()
                    predictions = sets[0].predictions() if sets else None
                    assert dataset.image_root is not None and predictions is not None
                    rows.append(
                        measure(
                            f"demo {project.name} (PNG {_size_of(dataset.image_root)})",
                            dataset.image_root,
                            dataset.frames(),
                            dataset.labels(),
                            predictions,
                            threads,
                        )
                    )
        for width, height, per_image in ((640, 480, 20), (1920, 1080, 20)):
            folder = root / f"jpeg-{width}-{args.images}"
            print(f"writing {args.images} JPEGs of {width} x {height} ...", file=sys.stderr)
            sizes = [(width, height)] * args.images
            names = _write_jpegs(folder, sizes, seed=width)
            frames, labels, predictions = _tables(names, sizes, per_image, seed=width)
            rows.append(
                measure(f"JPEG {width} x {height}", folder, frames, labels, predictions, threads)
            )
        if args.m:
            from shoal.demo.synthetic import generate_coco

            folder = root / "jpeg-M"
            gt, results = generate_coco(5_000, seed=0)
            sizes = [(image["width"], image["height"]) for image in gt["images"]]
            print("writing the M data set's 5,000 JPEGs ...", file=sys.stderr)
            names = _write_jpegs(folder, sizes, seed=1)
            frames, labels, predictions = _coco_tables(gt, results, names)
            rows.append(
                measure("M (COCO sizes, JPEG)", folder, frames, labels, predictions, threads)
            )
    report = _report(rows, threads)
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report)
    return 0


def _size_of(folder: Path) -> str:
    first = next(iter(sorted(folder.iterdir())))
    with Image.open(first) as opened:
        return f"{opened.size[0]} x {opened.size[1]}"


def _coco_tables(
    gt: dict[str, Any], results: list[dict[str, Any]], names: list[str]
) -> tuple[pa.Table, pa.Table, pa.Table]:
    ids = [str(image["id"]) for image in gt["images"]]
    frames = pa.table(
        {
            "frame_id": ids,
            "image_uri": names,
            "width": pa.array([image["width"] for image in gt["images"]], pa.int32()),
            "height": pa.array([image["height"] for image in gt["images"]], pa.int32()),
        }
    )

    def table(id_column: str, records: list[dict[str, Any]]) -> pa.Table:
        boxes = np.array([r["bbox"] for r in records], np.float64).reshape(-1, 4)
        return pa.table(
            {
                id_column: [str(i) for i in range(len(records))],
                "frame_id": [str(r["image_id"]) for r in records],
                "class_name": ["thing"] * len(records),
                "x": boxes[:, 0],
                "y": boxes[:, 1],
                "width": boxes[:, 2],
                "height": boxes[:, 3],
            }
        )

    return frames, table("label_id", gt["annotations"]), table("prediction_id", results)


def _report(rows: list[dict[str, Any]], threads: int) -> str:
    lines = [
        "# Quality metrics: images per second",
        "",
        f"Machine: {os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f} at the end: "
        "other work on a shared machine slows every peer alike); Shoal with "
        f"{threads} threads. Each peer computes the "
        "four frame metrics and every box's crop brightness and sharpness (labels and one "
        "inference set). Ratios: a naive peer's time over Shoal's.",
        "",
        "| data | images | boxes | Shoal img/s | Shoal 1 thread | naive Pillow | naive OpenCV "
        "| Shoal vs Pillow | Shoal vs OpenCV |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        *(_line(row) for row in rows),
        "",
        "Decoding alone (one thread, no metrics), images per second:",
        "",
        "| data | " + " | ".join(rows[0]["decode"]) + " |",
        "| --- |" + " ---: |" * len(rows[0]["decode"]),
    ]
    for row in rows:
        rates = [f"{row['decode_images'] / s:,.0f}" for s in row["decode"].values()]
        lines.append(f"| {row['data']} | " + " | ".join(rates) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
