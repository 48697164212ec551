"""Write the benchmark data sets: COCO-like detection data of a named size.

Writes ``gt.json`` (COCO instances) and ``predictions.json`` (COCO results list) for a
named size into ``<out>/<size>/``::

    python benchmarks/generate.py --size M            # -> benchmarks/data/M/

The data comes from ``shoal.demo.synthetic.generate_coco`` (deterministic: the same size and
seed give byte-identical files). XL (100,000 images, about 7.8M predictions) is made in
chunks of 10,000 images (seeds ``seed``, ``seed + 1``, ...; image ids of chunk k offset by
k * 1,000,000), written as they come, so the peak memory stays near one chunk's (about
1 GB) instead of the 4 GB or more of the whole results list as Python objects.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import orjson

from shoal.demo.synthetic import DEFAULT_SEED, GENERATOR_VERSION
from shoal.demo.synthetic import generate_coco as generate

SIZES: dict[str, int] = {"S": 500, "M": 5_000, "L": 20_000, "XL": 100_000}
CHUNK_IMAGES = 10_000
CHUNKED = {"XL"}
CHUNK_ID_OFFSET = 1_000_000  # above any image id one chunk makes (at most 8 per image)
DEFAULT_OUT = Path(__file__).resolve().parent / "data"


def write(size: str, out: Path = DEFAULT_OUT, seed: int = DEFAULT_SEED) -> Path:
    """Generate one named size into ``out/size/`` and return that directory."""
    target = out / size
    target.mkdir(parents=True, exist_ok=True)
    if size in CHUNKED:
        gt, num_predictions = _write_chunked(SIZES[size], seed, target)
    else:
        gt, predictions = generate(SIZES[size], seed)
        (target / "gt.json").write_bytes(orjson.dumps(gt))
        (target / "predictions.json").write_bytes(orjson.dumps(predictions))
        num_predictions = len(predictions)
    meta = {
        "generator_version": GENERATOR_VERSION,
        "size": size,
        "seed": seed,
        "images": len(gt["images"]),
        "annotations": len(gt["annotations"]),
        "crowd_annotations": sum(a["iscrowd"] for a in gt["annotations"]),
        "predictions": num_predictions,
    }
    (target / "meta.json").write_bytes(orjson.dumps(meta, option=orjson.OPT_INDENT_2))
    return target


def _write_chunked(num_images: int, seed: int, target: Path) -> tuple[dict[str, Any], int]:
    """Chunks of ``CHUNK_IMAGES`` images; the results streamed to the file chunk by chunk."""
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    gt: dict[str, Any] = {}
    num_predictions = 0
    with open(target / "predictions.json", "wb") as results:
        results.write(b"[")
        for chunk, start in enumerate(range(0, num_images, CHUNK_IMAGES)):
            part, predictions = generate(min(CHUNK_IMAGES, num_images - start), seed + chunk)
            offset = chunk * CHUNK_ID_OFFSET
            for image in part["images"]:
                image["id"] += offset
                image["file_name"] = f"{image['id']:012d}.jpg"
            for annotation in part["annotations"]:
                annotation["id"] += len(annotations)
                annotation["image_id"] += offset
            images += part["images"]
            annotations += part["annotations"]
            for prediction in predictions:
                prediction["image_id"] += offset
            if predictions:
                results.write(b"," if num_predictions else b"")
                results.write(orjson.dumps(predictions)[1:-1])
            num_predictions += len(predictions)
            gt = part
            del predictions
        results.write(b"]")
    gt = {**gt, "images": images, "annotations": annotations}
    (target / "gt.json").write_bytes(orjson.dumps(gt))
    return gt, num_predictions


def _is_current(target: Path, size: str, seed: int) -> bool:
    try:
        meta = orjson.loads((target / "meta.json").read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return False
    expected = {"generator_version": GENERATOR_VERSION, "size": size, "seed": seed}
    files = all((target / name).exists() for name in ("gt.json", "predictions.json"))
    return files and all(meta.get(k) == v for k, v in expected.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), required=True)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="default: %(default)s")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--if-stale",
        action="store_true",
        help="do nothing if the files exist and were made by this generator version and seed",
    )
    args = parser.parse_args(argv)
    target = args.out / args.size
    if args.if_stale and _is_current(target, args.size, args.seed):
        return 0
    start = time.perf_counter()
    write(args.size, args.out, args.seed)
    meta = orjson.loads((target / "meta.json").read_bytes())
    print(
        f"{target}: {meta['images']} images, {meta['annotations']} GT "
        f"({meta['crowd_annotations']} crowd), {meta['predictions']} predictions "
        f"in {time.perf_counter() - start:.1f}s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
