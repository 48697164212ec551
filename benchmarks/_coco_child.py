"""One run of the COCO benchmark (``coco_eval.py``), in a fresh process of its own.

    python benchmarks/_coco_child.py ENGINE GT DT RESULT [--queries N] [--stages]
                                     [--store-home HOME]

It loads nothing but its engine: the harness's own imports (argparse, subprocess,
dataclasses, importlib.metadata... about 50 ms) would otherwise be timed as part of
every engine's start-up. Each engine reads both JSON files from disk and computes the
12 COCO stats as its own documentation shows; the run writes the stats, anything
measured inside the process and its peak memory to RESULT as JSON.
"""

import os
import sys

# The 12 stat names are shoal.COCO_STAT_NAMES, imported where they are used: a child
# measuring another engine must not import Shoal (its time and memory would count).
IOU_GRID = tuple(round(0.5 + 0.05 * i, 2) for i in range(10))
QUERY_KINDS = ("report", "confusion_matrix", "report+matrix", "outcomes", "pr_curve")
# pycocotools' own three steps; hotcoco's and ultrafast-pycocotools' READMEs call run(),
# which does the same three.
PYCOCOTOOLS_STEPS = ("evaluate", "accumulate", "summarize")


def peak_rss_bytes() -> int:
    """The high-water mark of this process's resident memory (``VmHWM``, which starts
    afresh at ``exec``; where that is missing, ``ru_maxrss``)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB on Linux


def _quietly(call, *args, **kwargs):
    """``call(*args, **kwargs)`` with its printing to standard output discarded."""
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        return call(*args, **kwargs)


def _eval_coco_api(coco, evaluator, load_results, steps, gt, dt, **options):
    """A pycocotools-style API: COCO(gt), its results loader on dt, the evaluator's steps."""

    def run():
        coco_gt = coco(gt)
        ev = evaluator(coco_gt, getattr(coco_gt, load_results)(dt), "bbox", **options)
        for step in steps:
            getattr(ev, step)()
        return [float(x) for x in list(ev.stats)[:12]]

    return _quietly(run)


def _eval_pycocotools(gt, dt):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    return _eval_coco_api(COCO, COCOeval, "loadRes", PYCOCOTOOLS_STEPS, gt, dt)


def _eval_faster_coco_eval(gt, dt):
    from faster_coco_eval import COCO, COCOeval_faster

    def quiet(*args, **kwargs):
        return None

    return _eval_coco_api(
        COCO, COCOeval_faster, "loadRes", PYCOCOTOOLS_STEPS, gt, dt, print_function=quiet
    )


def _eval_hotcoco(gt, dt):
    from hotcoco import COCO, COCOeval

    return _eval_coco_api(COCO, COCOeval, "load_res", ("run",), gt, dt)


def _eval_ultrafast(gt, dt):
    from ultrafast_pycocotools import COCO, COCOeval

    return _eval_coco_api(COCO, COCOeval, "loadRes", ("run",), gt, dt)


def _eval_shoal_cli(gt, dt, result):
    """``shoal eval gt dt --json out``, as a user runs it (the console script calls main,
    which sets up the process before anything loads NumPy)."""
    from shoal.cli import main

    out = result + ".eval.json"
    code = _quietly(main, ["eval", gt, dt, "--json", out])
    if code:
        raise RuntimeError(f"shoal eval exited with {code}")
    import json

    from shoal import COCO_STAT_NAMES

    with open(out) as f:
        coco = json.load(f)["coco"]
    return [float(coco[name]) for name in COCO_STAT_NAMES]


def _eval_shoal(gt, dt):
    import shoal

    summary = _quietly(lambda: shoal.evaluate_detections(gt, dt).coco_summary().to_dict())
    return [float(summary[name]) for name in shoal.COCO_STAT_NAMES]


def _percentiles(values):
    """Median and p95 (nearest rank) of ``values``, in milliseconds."""
    import statistics

    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median": statistics.median(ordered) * 1e3, "p95": p95 * 1e3, "max": ordered[-1] * 1e3}


def shoal_queries(gt, dt, queries):
    """Shoal once more, then re-threshold queries at random operating points: on the grid
    (after the first), and the first report + matrix at each of several new IoUs off the
    grid (each matched then from the kept pairs), above and below the grid's lowest."""
    import random
    import time

    import shoal
    from shoal.engine.detection.evaluator import QUERY_IOU_FLOOR

    # Kept for re-thresholding, as the store keeps it (candidates below the grid too).
    ev = _quietly(shoal.evaluate_detections, gt, dt, confusion_floor=QUERY_IOU_FLOOR)
    stats = [float(ev.coco_summary().stats[name]) for name in shoal.COCO_STAT_NAMES]
    extra = {"shoal_source": os.path.dirname(shoal.__file__)}
    rng = random.Random(0)
    labels = ev.labels
    points = [
        (round(rng.uniform(0.05, 0.95), 3), rng.choice(IOU_GRID), rng.choice(labels))
        for _ in range(queries)
    ]
    timings = {kind: [] for kind in QUERY_KINDS}
    for conf, iou, label in points:
        start = time.perf_counter()
        ev.report(conf=conf, iou=iou)
        middle = time.perf_counter()
        ev.confusion_matrix(conf=conf, iou=iou)
        end = time.perf_counter()
        ev.outcomes(conf=conf, iou=iou)
        after = time.perf_counter()
        ev.pr_curve(label, iou=iou)
        last = time.perf_counter()
        timings["report"].append(middle - start)
        timings["confusion_matrix"].append(end - middle)
        timings["report+matrix"].append(end - start)
        timings["outcomes"].append(after - end)
        timings["pr_curve"].append(last - after)
    extra["query_first_ms"] = timings["report+matrix"][0] * 1e3
    extra["query_count"] = queries - 1
    for kind, values in timings.items():
        extra[f"query_{kind}_ms"] = _percentiles(values[1:] or values)
    # New IoUs: distinct, off the grid, never asked before in this process.
    for name, low, high in (("new_iou", 0.5, 0.95), ("new_iou_below_grid", 0.1, 0.5)):
        ious = sorted({round(rng.uniform(low, high), 4) for _ in range(20)} - set(IOU_GRID))
        firsts = []
        for iou in ious:
            conf = round(rng.uniform(0.05, 0.95), 3)
            start = time.perf_counter()
            ev.report(conf=conf, iou=iou)
            ev.confusion_matrix(conf=conf, iou=iou)
            firsts.append(time.perf_counter() - start)
        extra[f"query_{name}_ms"] = _percentiles(firsts) | {"count": len(firsts)}
    return stats, extra


def _usage_now():
    import resource
    import time

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "wall_s": time.perf_counter(),
        "user_s": usage.ru_utime,
        "sys_s": usage.ru_stime,
        "minor_faults": usage.ru_minflt,
        "peak_mb": peak_rss_bytes() / 1e6,
    }


def shoal_stages(gt, dt):
    """Shoal's public path one stage at a time, in this process: where the time goes.

    Where Shoal reads the two files at the same time (``read_coco_detections``, as
    ``evaluate_detections`` does), that is one stage, except with ``SHOAL_THREADS=1``: then
    it reads them in turn anyway, and the two reads are timed one by one.
    """
    marks = [_usage_now()]
    names = ["import"]
    import shoal
    from shoal.formats import coco

    shoal.evaluate_detections  # noqa: B018 - loading the evaluation's modules is this stage
    marks.append(_usage_now())
    if os.environ.get("SHOAL_THREADS") != "1":
        ground_truth, predictions = coco.read_coco_detections(gt, dt)
        names.append("GT + results read")
    else:
        ground_truth = shoal.read_coco_ground_truth(gt)
        marks.append(_usage_now())
        predictions = shoal.read_coco_results(dt, ground_truth)
        names += ["GT read", "results read"]
    marks.append(_usage_now())
    ev = shoal.evaluate_detections(ground_truth, predictions)
    marks.append(_usage_now())
    summary = ev.coco_summary().to_dict()
    marks.append(_usage_now())
    names += ["matching", "summary"]
    stages = {}
    for name, before, after in zip(names, marks[:-1], marks[1:], strict=True):
        stages[name] = {k: after[k] - before[k] for k in ("wall_s", "user_s", "sys_s")}
        stages[name]["minor_faults"] = after["minor_faults"] - before["minor_faults"]
        stages[name]["peak_mb"] = after["peak_mb"]
    return {
        "stages": stages,
        "stats": [float(summary[name]) for name in shoal.COCO_STAT_NAMES],
        "in_process_s": marks[-1]["wall_s"] - marks[0]["wall_s"],
    }


def store_import(gt, dt, home):
    """Import both files into a new store at ``home`` (the data the store runs evaluate)."""
    import shoal

    tables = shoal.from_coco(gt)
    dataset = shoal.Store(home).create_project("bench").create_dataset("gt", tables)
    dataset.create_inference_set("model", shoal.from_coco_results(dt, tables))
    return {"stats": []}


def store_evaluation(home):
    """The store's evaluation of the inference set, timed inside the process (opening
    the store and loading Shoal aside): the first one reads the Parquet tables, matches
    and keeps the matching on disk; a later process reads that kept matching."""
    import time

    import shoal

    store = shoal.Store(home)
    inference_set = store.project("bench").dataset("gt").inference_set("model")
    start = time.perf_counter()
    ev = inference_set.evaluate()
    elapsed = time.perf_counter() - start
    stats = [float(ev.coco_summary().stats[name]) for name in shoal.COCO_STAT_NAMES]
    return {"stats": stats, "evaluate_s": elapsed}


EVALUATORS = {
    "pycocotools": _eval_pycocotools,
    "faster-coco-eval": _eval_faster_coco_eval,
    "hotcoco": _eval_hotcoco,
    "ultrafast-pycocotools": _eval_ultrafast,
    "shoal": _eval_shoal,
    "shoal-1-thread": _eval_shoal,
}


def main(argv):
    engine, gt, dt, result, *options = argv
    queries = int(options[options.index("--queries") + 1]) if "--queries" in options else 0
    home = options[options.index("--store-home") + 1] if "--store-home" in options else None
    out = {"engine": engine}
    try:
        if "--stages" in options:
            out.update(shoal_stages(gt, dt))
        elif engine == "shoal-store-import":
            out.update(store_import(gt, dt, home))
        elif engine == "shoal-store":
            out.update(store_evaluation(home))
        elif queries > 0:
            out["stats"], extra = shoal_queries(gt, dt, queries)
            out.update(extra)
        elif engine == "shoal-cli":
            out["stats"] = _eval_shoal_cli(gt, dt, result)
        else:
            out["stats"] = EVALUATORS[engine](gt, dt)
    except Exception as exc:
        out["error"] = f"{type(exc).__name__}: {exc}"
    out["peak_rss_bytes"] = peak_rss_bytes()
    import json

    with open(result, "w") as f:
        json.dump(out, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
