"""Bulk loading predictions through the SDK: 1.6M rows from NumPy columns, timed.

python benchmarks/sdk_bulk.py [--rows 1600000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from shoal.sdk import Inferences


def prediction_columns(count: int) -> dict[str, np.ndarray]:
    """``count`` random detections as the SDK's NumPy columns (16 per frame, 3 classes,
    SDK names: ``label_id``, ``classification``, ``left``, ``top``); tests/test_sdk.py
    checks what loading them gives."""
    rng = np.random.default_rng(0)
    return {
        "label_id": np.char.add("p", np.arange(count).astype(str)),
        "frame_id": np.char.add("img_", (np.arange(count) // 16).astype(str)),
        "classification": np.array(["car", "person", "bike"])[rng.integers(0, 3, count)],
        "left": rng.random(count) * 600,
        "top": rng.random(count) * 400,
        "width": rng.random(count) * 50,
        "height": rng.random(count) * 50,
        "confidence": rng.random(count),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_600_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n = args.rows
    columns = prediction_columns(n)
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        Inferences.from_columns(predictions=columns)
        times.append(time.perf_counter() - start)
    print(
        f"Inferences.from_columns, {n:,} predictions: median {statistics.median(times):.2f} s "
        f"(min {min(times):.2f}, max {max(times):.2f}) over {args.repeat} runs"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
