"""Importing a large COCO dataset and its predictions into a fresh store, timed.

    python benchmarks/import_scale.py --size L [--repeat 1]

Each run is a fresh ``python`` subprocess on an empty temporary home: read the COCO
ground truth, write the dataset, read the COCO results, write the inference set, and
match once (``evaluate()``, which also saves the kept matching). Wall time per step and
the process's peak memory (``VmHWM``, MB = 10**6 bytes) are printed as a table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
STEPS = ("read ground truth", "store dataset", "read results", "store inference set", "evaluate")


def child(size: str, home: str) -> dict[str, float]:
    import shoal

    data = DATA / size
    times: dict[str, float] = {}
    start = time.perf_counter()
    dataset_tables = shoal.from_coco(data / "gt.json")
    times["read ground truth"] = time.perf_counter() - start
    store = shoal.Store(home)
    project = store.create_project("bench")
    mark = time.perf_counter()
    dataset = project.create_dataset("gt", dataset_tables)
    times["store dataset"] = time.perf_counter() - mark
    mark = time.perf_counter()
    results = shoal.from_coco_results(data / "predictions.json", dataset_tables)
    times["read results"] = time.perf_counter() - mark
    mark = time.perf_counter()
    inference_set = dataset.create_inference_set("model", results)
    times["store inference set"] = time.perf_counter() - mark
    times["import total"] = time.perf_counter() - start
    mark = time.perf_counter()
    inference_set.evaluate()
    times["evaluate"] = time.perf_counter() - mark
    status = Path("/proc/self/status").read_text()
    peak_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
    times["peak_mb"] = peak_kb * 1024 / 1e6
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="L", choices=("S", "M", "L"))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--home", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.size, args.home)))
        return 0
    subprocess.run(
        [sys.executable, str(HERE / "generate.py"), "--size", args.size, "--if-stale"], check=True
    )
    meta = json.loads((DATA / args.size / "meta.json").read_text())
    runs = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="shoal-import-") as home:
            wall = time.perf_counter()
            done = subprocess.run(
                [sys.executable, __file__, "--child", "--size", args.size, "--home", home],
                capture_output=True,
                text=True,
                check=True,
            )
            result = json.loads(done.stdout.strip().splitlines()[-1])
            result["process"] = time.perf_counter() - wall
            runs.append(result)
    print(
        f"## Import into a fresh store, size {args.size} ({meta['images']:,} images, "
        f"{meta['annotations']:,} GT, {meta['predictions']:,} predictions; median of {len(runs)})\n"
    )
    print("| step | time (s) |\n|---|---:|")
    for step in (*STEPS, "import total", "process"):
        label = "whole process (import, evaluate, start-up)" if step == "process" else step
        print(f"| {label} | {statistics.median(r[step] for r in runs):.2f} |")
    print(f"\npeak memory: {max(r['peak_mb'] for r in runs):.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
