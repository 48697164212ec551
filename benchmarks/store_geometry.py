"""The store with masks and keypoints: importing a COCO segm (or keypoints) ground truth
and results into a store and asking its first COCO summary, against pycocotools loading
and evaluating the same files, in the same run.

    python benchmarks/store_geometry.py [--size S|M] [--kind segm|keypoints] [--skip-pycocotools]

The data are benchmarks/coco_segm.py's and benchmarks/coco_keypoints.py's (generated
once into benchmarks/data/). Shoal's steps: ``from_coco`` (polygons rasterised to
masks), ``from_coco_results``, ``create_dataset`` + ``create_inference_set`` (Parquet),
the first ``metrics(include=["coco_summary"])`` (matching on masks or OKS, kept), a
query at another IoU (re-thresholding the kept matching) and the first summary in a
new process's store (the kept matching read back). pycocotools: ``COCO`` +
``loadRes`` + ``evaluate`` + ``accumulate`` + ``summarize``. The 12 (or 10) statistics
are checked equal before any time is printed; the table gives each time and the ratio
of pycocotools' whole run to Shoal's import plus first summary.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def _data(kind: str, size: str):
    module = __import__("coco_segm" if kind == "segm" else "coco_keypoints")
    folder, meta = module.ensure_data(size, False)
    return str(folder / "gt.json"), str(folder / "predictions.json"), meta


def _timed(step, *args, **kwargs):
    start = time.perf_counter()
    value = step(*args, **kwargs)
    return value, time.perf_counter() - start


def _shoal(gt: str, dt: str) -> tuple[list[float], dict[str, float]]:
    from shoal.formats.coco_tables import category_ids, from_coco, from_coco_results
    from shoal.store import Store

    times: dict[str, float] = {}
    dataset, times["read ground truth"] = _timed(from_coco, gt)
    predictions, times["read results"] = _timed(from_coco_results, dt, dataset)
    with tempfile.TemporaryDirectory() as home:
        store = Store(home)
        classes = [{"name": n, "id": i} for n, i in category_ids(dataset).items()]
        project = store.create_project("p", classes=classes)
        stored, times["store dataset"] = _timed(project.create_dataset, "d", dataset)
        inference, times["store results"] = _timed(stored.create_inference_set, "m", predictions)
        metrics, times["first COCO summary"] = _timed(inference.metrics, include=["coco_summary"])
        _, times["report at IoU 0.6"] = _timed(inference.metrics, iou=0.6)
        again = Store(home).project("p").dataset("d").inference_set("m")
        _, times["summary, new store (kept)"] = _timed(again.metrics, include=["coco_summary"])
    return list(metrics.coco_summary.stats.values()), times


def _pycocotools(gt: str, dt: str, kind: str) -> tuple[list[float], float]:
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        truth = COCO(gt)
        evaluation = COCOeval(truth, truth.loadRes(dt), kind)
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return [float(v) for v in evaluation.stats], time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="S", choices=["S", "M"])
    parser.add_argument("--kind", default="segm", choices=["segm", "keypoints"])
    parser.add_argument("--skip-pycocotools", action="store_true")
    args = parser.parse_args(argv)
    gt, dt, meta = _data(args.kind, args.size)
    stats, times = _shoal(gt, dt)
    print(f"{args.kind} {args.size}: {meta}  (load {os.getloadavg()[0]:.1f})")
    shoal_total = sum(times[k] for k in list(times)[:5])
    if not args.skip_pycocotools:
        expected, peer = _pycocotools(gt, dt, args.kind)
        if max(abs(a - b) for a, b in zip(stats, expected, strict=True)) > 1e-12:
            print("statistics differ from pycocotools:", stats, expected)
            return 1
        print("statistics equal to pycocotools' (to 1e-12)")
    for name, seconds in times.items():
        print(f"  shoal {name:<28} {seconds:8.2f} s")
    print(f"  shoal import + first summary   {shoal_total:8.2f} s")
    if not args.skip_pycocotools:
        print(f"  pycocotools load + evaluate    {peer:8.2f} s   ratio {peer / shoal_total:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
