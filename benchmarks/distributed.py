"""Single-process evaluation against partitions on Ray (2 local workers) and faster-coco-eval.

    python benchmarks/distributed.py --size M [--partitions 2,4] [--repeat 1]

Sizes are ``generate.py``'s plus XL (100k images, about 8M predictions at the generator's
rate). Every run is a fresh ``python`` process that reads ``gt.json`` and
``predictions.json`` and computes the 12 COCO statistics:

* ``shoal``: ``shoal.evaluate_detections`` in one process;
* ``shoal-ray-N``: ``shoal.distributed.evaluate_coco`` with N partitions as tasks on a local
  Ray started with 2 CPUs (its start-up is timed on its own and left out of the time);
* ``faster-coco-eval``: ``COCOeval_faster``, as its documentation shows.

Times are wall clock in the child; peak memory is each process's high-water mark
(``VmHWM``): the driver's, and for Ray the largest worker's too (workers report theirs).
Ratios are to ``shoal``; the Ray rows must equal it bit for bit (checked and printed). A
peer that fails or runs past ``--timeout`` is shown as such.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SIZES = {"S": 500, "M": 5_000, "L": 20_000, "XL": 100_000}


def peak_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def child(engine: str, gt: str, dt: str) -> dict[str, Any]:
    started = time.perf_counter()
    result: dict[str, Any] = {}
    if engine == "shoal":
        import shoal

        stats = shoal.evaluate_detections(gt, dt).coco_summary().stats
        result["stats"] = list(stats.values())
    elif engine.startswith("shoal-ray-"):
        import ray

        import shoal.distributed as sd

        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        result["ray_start_s"] = time.perf_counter() - started
        started = time.perf_counter()
        ev = sd.evaluate_coco(gt, dt, int(engine.rsplit("-", 1)[1]), executor="ray")
        result["stats"] = list(ev.coco_summary().stats.values())
        result["seconds"] = time.perf_counter() - started
        workers = ray.get([ray.remote(peak_bytes).remote() for _ in range(8)])
        result["worker_peak_bytes"] = max(workers)
        ray.shutdown()
    elif engine == "faster-coco-eval":
        import contextlib
        import io

        from faster_coco_eval import COCO, COCOeval_faster

        with contextlib.redirect_stdout(io.StringIO()):
            coco_gt = COCO(gt)
            ev = COCOeval_faster(coco_gt, coco_gt.loadRes(dt), "bbox", print_function=print)
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
        result["stats"] = [float(x) for x in list(ev.stats)[:12]]
    else:
        raise SystemExit(f"unknown engine {engine}")
    result.setdefault("seconds", time.perf_counter() - started)
    result["peak_bytes"] = peak_bytes()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="S")
    parser.add_argument("--partitions", default="2,4")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--child", nargs=3, metavar=("ENGINE", "GT", "DT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(*args.child)))
        return 0
    import orjson

    from shoal.demo.synthetic import generate_coco

    folder = Path(tempfile.mkdtemp(prefix="shoal-distributed-"))
    gt, dt = generate_coco(SIZES[args.size])
    (folder / "gt.json").write_bytes(orjson.dumps(gt))
    (folder / "predictions.json").write_bytes(orjson.dumps(dt))
    print(f"{args.size}: {len(gt['images'])} images, {len(dt)} predictions")
    engines = ["shoal", *(f"shoal-ray-{n}" for n in args.partitions.split(",")), "faster-coco-eval"]
    runs: dict[str, dict[str, Any]] = {}
    for engine in engines:
        command = [sys.executable, __file__, "--child", engine, str(folder / "gt.json"),
                   str(folder / "predictions.json")]  # fmt: skip
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=args.timeout, check=True
            )
            runs[engine] = json.loads(done.stdout.strip().splitlines()[-1])
        except (subprocess.SubprocessError, ValueError) as error:
            runs[engine] = {"error": type(error).__name__}
    base = runs["shoal"]
    print(f"{'engine':<20} {'seconds':>8} {'ratio':>6} {'peak MB':>8} {'worker MB':>9}  stats")
    for engine, run in runs.items():
        if "error" in run:
            print(f"{engine:<20} {run['error']}")
            continue
        if engine.startswith("shoal-ray"):
            same = "identical" if run["stats"] == base["stats"] else "DIFFERENT"
        else:
            diff = max(abs(a - b) for a, b in zip(run["stats"], base["stats"], strict=True))
            same = f"max abs diff {diff:.1e}"
        worker = run.get("worker_peak_bytes")
        print(
            f"{engine:<20} {run['seconds']:8.2f} {run['seconds'] / base['seconds']:6.2f} "
            f"{run['peak_bytes'] / 1e6:8.0f} {'' if worker is None else f'{worker / 1e6:9.0f}'}"
            f"  {same}"
            + (f" (Ray start {run['ray_start_s']:.1f}s)" if "ray_start_s" in run else "")
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
