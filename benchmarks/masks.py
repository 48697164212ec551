"""Mask kernels: Shoal's engine (shoal.engine.masks, NumPy) against pycocotools.mask (C).

    python benchmarks/masks.py [--images 200] [--objects 20] [--predictions 50] [--repeat 3]

Data: seeded images of 480 x 640 pixels, each with ``--objects`` ground-truth polygons
(random star-shaped, 8-30 vertices) and ``--predictions`` prediction masks (the
ground-truth masks shifted and grown, as a detector's are), compressed like COCO
results. Per image both sides do what COCOeval(iouType="segm") does: rasterise the
polygons, read the compressed predictions, and compute the (predictions x ground
truth) IoU with 10% crowd. Every result is checked equal (IoU bit for bit, strings
exactly) before times are reported.

Times are medians of ``--repeat`` runs (wall clock); the ratio is pycocotools' time over
Shoal's (above 1: Shoal is quicker).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from pycocotools import mask as coco_mask

from shoal.engine.masks import (
    decode_mask,
    encode_mask,
    mask_iou,
    polygons_to_rle,
    polygons_to_rles,
    rle_bbox,
    rle_from_string,
    rle_to_string,
    rles_from_strings,
)

HEIGHT, WIDTH = 480, 640


def median_seconds(run: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def star(rng: np.random.Generator) -> list[float]:
    n = int(rng.integers(8, 31))
    angles = np.sort(rng.random(n) * 2 * np.pi)
    radius = rng.uniform(0.3, 1.0, n) * rng.uniform(10, 120)
    cx, cy = rng.uniform(0, WIDTH), rng.uniform(0, HEIGHT)
    return (
        np.column_stack((cx + radius * np.cos(angles), cy + radius * np.sin(angles)))
        .ravel()
        .tolist()
    )


def make_images(args: argparse.Namespace) -> list[dict[str, Any]]:
    rng = np.random.default_rng(0)
    images = []
    for _ in range(args.images):
        polygons = [[star(rng)] for _ in range(args.objects)]
        masks = [decode_mask(polygons_to_rle(p, HEIGHT, WIDTH)) for p in polygons]
        predictions = []
        for _ in range(args.predictions):
            base = masks[int(rng.integers(len(masks)))]
            shifted = np.roll(base, (int(rng.integers(-8, 9)), int(rng.integers(-8, 9))), (0, 1))
            predictions.append(rle_to_string(encode_mask(shifted)))
        crowd = (rng.random(args.objects) < 0.1).tolist()
        images.append({"polygons": polygons, "predictions": predictions, "crowd": crowd})
    return images


def shoal_run(images: list[dict[str, Any]]) -> list[np.ndarray]:
    out = []
    for image in images:
        # One polygon per object here: rasterised all at once (one object's several
        # polygons would go through polygons_to_rle, which merges them).
        gt = polygons_to_rles([p[0] for p in image["polygons"]], HEIGHT, WIDTH)
        dt = rles_from_strings(image["predictions"], HEIGHT, WIDTH)
        out.append(mask_iou(dt, gt, image["crowd"]))
    return out


def pycocotools_run(images: list[dict[str, Any]]) -> list[np.ndarray]:
    out = []
    for image in images:
        gt = [coco_mask.merge(coco_mask.frPyObjects(p, HEIGHT, WIDTH)) for p in image["polygons"]]
        dt = [{"size": [HEIGHT, WIDTH], "counts": s} for s in image["predictions"]]
        out.append(coco_mask.iou(dt, gt, image["crowd"]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--objects", type=int, default=20)
    parser.add_argument("--predictions", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    images = make_images(args)
    for ours, theirs in zip(shoal_run(images), pycocotools_run(images), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    shoal_time = median_seconds(lambda: shoal_run(images), args.repeat)
    coco_time = median_seconds(lambda: pycocotools_run(images), args.repeat)
    print(
        f"{args.images} images x ({args.objects} polygons, {args.predictions} masks), "
        f"{HEIGHT}x{WIDTH}: results equal"
    )
    print(
        f"read + IoU   Shoal {shoal_time:8.3f} s   pycocotools {coco_time:8.3f} s   "
        f"ratio {coco_time / shoal_time:6.2f}"
    )

    # The codec alone, on every prediction string.
    strings = [s for image in images for s in image["predictions"]]
    rles = [rle_from_string(s, HEIGHT, WIDTH) for s in strings]
    assert [rle_to_string(r) for r in rles] == strings
    # pycocotools reads a compressed string inside each call; toBbox() is a light one
    # (its area() fails on lists of more than 255 masks).
    objs = [{"size": [HEIGHT, WIDTH], "counts": s} for s in strings]
    np.testing.assert_array_equal(rle_bbox(rles), coco_mask.toBbox(objs))
    read_ours = median_seconds(
        lambda: rle_bbox(rles_from_strings(strings, HEIGHT, WIDTH)), args.repeat
    )
    read_theirs = median_seconds(lambda: coco_mask.toBbox(objs), args.repeat)
    encode_ours = median_seconds(lambda: [rle_to_string(r) for r in rles], args.repeat)
    print(
        f"read + box   Shoal {read_ours:8.3f} s   pycocotools {read_theirs:8.3f} s   "
        f"ratio {read_theirs / read_ours:6.2f}   (RLE->string: Shoal {encode_ours:.3f} s)"
    )


if __name__ == "__main__":
    main()
