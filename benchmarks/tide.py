"""TIDE error breakdown benchmark: Shoal against tidecv 1.0.1, at each size in one run.

    python benchmarks/tide.py [--sizes S M] [--repeat 3] [--out benchmarks/results/tide.md]

Per size (data from generate.py, made if missing): Shoal reads both files
(``read_coco_detections``) and computes the whole breakdown (six main dAPs, two special
ones, counts, per class) with ``shoal.analysis.tide.tide``; tidecv loads the same files
(``datasets.COCO``, ``datasets.COCOResult``), runs ``TIDE().evaluate(..., mode=TIDE.BOX)``
and ``get_main_errors()`` + ``get_special_errors()``, its README's calls. Times are wall
clock in this process: Shoal's the median of ``--repeat`` runs, tidecv's one run (it takes
minutes at M). The ratio is tidecv's time over Shoal's, for the breakdown alone and end to
end (files read included).

"max |dAP diff|" compares all eight dAPs and the AP: "file order" walks images in the
file's order as tidecv does (``frame_order``), "by id" is Shoal's default walk, which
only changes which of two equal scores on different images ranks first (docs/insights.md).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
NAMES = ("Cls", "Loc", "Both", "Dupe", "Bkg", "Miss", "FalsePos", "FalseNeg")


def data_folder(size: str) -> Path:
    folder = HERE / "data" / size
    subprocess.run(
        [sys.executable, str(HERE / "generate.py"), "--size", size, "--if-stale"], check=True
    )
    return folder


def run_shoal(gt_path: Path, dt_path: Path, repeat: int) -> dict[str, Any]:
    from shoal.analysis.tide import tide
    from shoal.formats.coco import read_coco_detections

    read_times, tide_times = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        gt, dt = read_coco_detections(gt_path, dt_path)
        read = time.perf_counter()
        result = tide(gt, dt)
        done = time.perf_counter()
        read_times.append(read - started)
        tide_times.append(done - read)
    position = {frame: i for i, frame in enumerate(gt.frame_ids.tolist())}
    images = json.loads(gt_path.read_text())["images"]
    in_file_order = tide(
        gt, dt, frame_order=np.array([position[im["id"]] for im in images], np.int64)
    )
    return {
        "read": statistics.median(read_times),
        "tide": statistics.median(tide_times),
        "values": {"AP": result.ap, **result.dap},
        "file_order_values": {"AP": in_file_order.ap, **in_file_order.dap},
        "counts": result.counts,
        "predictions": len(dt),
        "images": gt.num_frames,
    }


def tidecv_ground_truth(gt_path: Path) -> Path:
    """The ground truth with the ``segmentation`` tidecv's COCO reader requires even in
    box mode: an already-compressed (empty) RLE, which it keeps as is, so its load does
    no mask work that box mode never uses."""
    out = gt_path.with_name("gt_tidecv.json")
    if not out.exists() or out.stat().st_mtime < gt_path.stat().st_mtime:
        data = json.loads(gt_path.read_text())
        sizes = {im["id"]: [im["height"], im["width"]] for im in data["images"]}
        for ann in data["annotations"]:
            ann.setdefault("segmentation", {"size": sizes[ann["image_id"]], "counts": ""})
        out.write_text(json.dumps(data))
    return out


def run_tidecv(gt_path: Path, dt_path: Path) -> dict[str, Any]:
    from tidecv import TIDE, datasets

    gt_path = tidecv_ground_truth(gt_path)
    started = time.perf_counter()
    gt = datasets.COCO(str(gt_path))
    dt = datasets.COCOResult(str(dt_path))
    read = time.perf_counter()
    evaluator = TIDE()
    with contextlib.redirect_stdout(io.StringIO()):
        run = evaluator.evaluate(gt, dt, mode=TIDE.BOX)
        main = evaluator.get_main_errors()[dt.name]
        special = evaluator.get_special_errors()[dt.name]
    done = time.perf_counter()
    counts = {error.short_name: n for error, n in run.count_errors().items()}
    return {
        "read": read - started,
        "tide": done - read,
        "values": {"AP": run.ap, **main, **special},
        "counts": counts,
    }


def max_diff(ours: dict[str, float], theirs: dict[str, float]) -> float:
    return max(abs(ours[k] - theirs[k]) for k in ("AP", *NAMES))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", default=["S", "M"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "tide.md")
    args = parser.parse_args()
    rows, records = [], {}
    for size in args.sizes:
        folder = data_folder(size)
        gt_path, dt_path = folder / "gt.json", folder / "predictions.json"
        ours = run_shoal(gt_path, dt_path, args.repeat)
        print(f"{size}: Shoal {ours['tide']:.2f} s (+ {ours['read']:.2f} s reading)", flush=True)
        theirs = run_tidecv(gt_path, dt_path)
        print(f"{size}: tidecv {theirs['tide']:.1f} s (+ {theirs['read']:.1f} s)", flush=True)
        same_counts = ours["counts"] == theirs["counts"]
        diff_file = max_diff(ours["file_order_values"], theirs["values"])
        diff_id = max_diff(ours["values"], theirs["values"])
        shoal_total = ours["tide"] + ours["read"]
        tidecv_total = theirs["tide"] + theirs["read"]
        rows.append(
            f"| {size} | {ours['images']:,} | {ours['predictions']:,} | {ours['tide']:.2f} s | "
            f"{shoal_total:.2f} s | {theirs['tide']:.1f} s | {tidecv_total:.1f} s | "
            f"{theirs['tide'] / ours['tide']:.0f}x | {tidecv_total / shoal_total:.0f}x | "
            f"{'yes' if same_counts else 'NO'} | {diff_file:.1e} | {diff_id:.1e} |"
        )
        records[size] = {"shoal": ours, "tidecv": theirs}
    table = "\n".join(
        [
            "| size | images | predictions | Shoal TIDE | Shoal end to end | tidecv TIDE "
            "| tidecv end to end | ratio (TIDE) | ratio (end to end) | same counts "
            "| max abs dAP diff (file order) | max abs dAP diff (by id) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
            *rows,
        ]
    )
    print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        "# TIDE breakdown: Shoal vs tidecv 1.0.1\n\n"
        "`.venv/bin/python benchmarks/tide.py` (see its docstring for what each column "
        "times).\n\n" + table + "\n"
    )
    args.out.with_suffix(".json").write_text(json.dumps(records, indent=2, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
