"""Paired bootstrap benchmark: 1,000 resamples of two inference sets at M scale.

    python benchmarks/bootstrap.py [--size M] [--resamples 1000] [--repeat 3]

Reads ``benchmarks/data/<size>/gt.json`` and ``predictions.json`` (``generate.py``
writes them); the second inference set is the same predictions with every score
jittered (seeded), so the two differ at the operating point. Both are evaluated once
(not timed); then ``shoal.analysis.paired_bootstrap`` is timed end to end (reading
each side's outcomes, the per-frame counts, the resampling and the intervals), without
and with AP. Medians over ``--repeat`` runs; the budget is 2 s for 1,000 resamples at
M (5,000 images, 388k predictions).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

import shoal
from shoal.analysis import paired_bootstrap

DATA = Path(__file__).parent / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="M")
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--conf", type=float, default=0.3)
    args = parser.parse_args()
    folder = DATA / args.size
    base = shoal.evaluate_detections(folder / "gt.json", folder / "predictions.json")
    results = json.loads((folder / "predictions.json").read_text())
    rng = np.random.default_rng(1)
    for record in results:
        record["score"] = float(np.clip(record["score"] + rng.normal(0.0, 0.05), 0.0, 1.0))
    jittered = folder / "predictions_jittered.json"
    jittered.write_text(json.dumps(results))
    try:
        other = shoal.evaluate_detections(folder / "gt.json", jittered)
    finally:
        jittered.unlink()
    timed = {}
    for with_ap in (False, True):
        times = []
        for run in range(args.repeat):
            start = time.perf_counter()
            significance = paired_bootstrap(
                base, other, conf=args.conf, iou=0.5, resamples=args.resamples, seed=run,
                average_precision=with_ap,
            )  # fmt: skip
            times.append(time.perf_counter() - start)
        timed[with_ap] = times
        what = "precision, recall, F1 and AP" if with_ap else "precision, recall, F1"
        print(
            f"{args.size}: {significance.frame_count} frames, {len(significance.labels)} "
            f"classes, {len(results)} predictions; {args.resamples} resamples of {what}: "
            f"median {statistics.median(times):.3f} s (runs {', '.join(f'{t:.3f}' for t in times)})"
        )
    micro = significance.interval("micro avg", "f1-score")
    mean_ap = significance.interval("macro avg", "ap")
    print(
        f"micro F1 delta {micro.delta:+.4f}, 95% interval [{micro.low:+.4f}, {micro.high:+.4f}]; "
        f"mAP@0.5 delta {mean_ap.delta:+.4f} [{mean_ap.low:+.4f}, {mean_ap.high:+.4f}]; "
        f"{len(significance.significant())} of {len(significance.intervals)} intervals exclude 0"
    )
    ratio = statistics.median(timed[True]) / statistics.median(timed[False])
    print(f"AP's resampling costs {ratio:.2f}x the counts-only bootstrap")


if __name__ == "__main__":
    main()
