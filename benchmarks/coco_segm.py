"""End-to-end COCO instance segmentation (segm) evaluation benchmark: Shoal against
pycocotools, faster-coco-eval, hotcoco and ultrafast-pycocotools.

    python benchmarks/coco_segm.py [--size M] [--engines shoal,hotcoco,...] [--repeat 3]

The data: ``--size`` S (500 images), M (5,000) or L (20,000), written once to
``benchmarks/data/segm-SIZE``. It takes the boxes of benchmarks/generate.py's data set
of that size (``shoal.demo.synthetic.generate_coco``: images of several sizes, 80
classes, 1% crowds, scores, duplicates and false positives) and gives each object a
mask inside its box: a star-shaped polygon of 8 to 32 vertices for the ground truth
(a crowd's as an uncompressed RLE, as COCO stores crowds; ``area`` the mask's area),
and for every prediction another star inside its predicted box, rasterised and
written as a compressed RLE without a ``bbox`` (as cocoapi's segm results: area and
box are the mask's). Seeded: the same size gives byte-identical files.

Every run is a fresh subprocess, through benchmarks/coco_eval.py's harness (its
``run_child``, ``EngineResult``, ``reference_stats`` and ``ratio``: wall time here,
CPU time from ``wait4``, peak RSS from the child, medians over ``--repeat``
round-robin runs). The child is this file run as ``coco_segm.py ENGINE GT DT
RESULT``: it imports only its engine, reads both JSON files from disk and computes the
12 segm stats as that engine's documentation shows (Shoal: ``read_coco_masks`` then
``evaluate`` with the mask similarity and ``CocoParams.segm()``; ``shoal-cli``:
``shoal eval --iou-type segm``). Every engine's stats are checked against pycocotools'
(or the peers' when pycocotools is left out) and the table prints ratios to Shoal.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ENGINES = (
    "shoal",
    "shoal-1-thread",
    "shoal-cli",
    "hotcoco",
    "ultrafast-pycocotools",
    "faster-coco-eval",
    "pycocotools",
)
SIZES = {"S": 500, "M": 5_000, "L": 20_000}
GENERATOR_VERSION = 2
SEED = 15


# ----------------------------------------------------------------------- child side
# (no import beyond os and sys at the top: a run measuring a peer must not load Shoal)


def _peer(module: str, coco: str, evaluator: str, load: str, steps: tuple[str, ...], **options):
    def run(gt: str, dt: str) -> list[float]:
        import importlib

        package = importlib.import_module(module)
        coco_gt = getattr(package, coco)(gt)
        ev = getattr(package, evaluator)(coco_gt, getattr(coco_gt, load)(dt), "segm", **options)
        for step in steps:
            getattr(ev, step)()
        return [float(x) for x in list(ev.stats)[:12]]

    return run


def _quiet(*args, **kwargs):
    return None


def _shoal(gt: str, dt: str) -> list[float]:
    from shoal.engine.detection.evaluator import evaluate
    from shoal.engine.detection.metrics import CocoParams
    from shoal.formats.coco import read_coco_masks

    ground_truth, predictions, masks = read_coco_masks(gt, dt)
    params = CocoParams.segm()
    summary = evaluate(ground_truth, predictions, similarity=masks, params=params).coco_summary()
    return [float(summary.stats[name]) for name in params.stat_names]


def _shoal_cli(gt: str, dt: str, result: str) -> list[float]:
    import json

    from shoal.cli import main

    out = result + ".eval.json"
    if main(["eval", gt, dt, "--iou-type", "segm", "--json", out]):
        raise RuntimeError("shoal eval failed")
    with open(out) as f:
        coco = json.load(f)["coco"]
    return [float(value) for value in list(coco.values())[:12]]


_PYCOCO_STEPS = ("evaluate", "accumulate", "summarize")


def _pycocotools(gt: str, dt: str) -> list[float]:
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    coco_gt = COCO(gt)
    ev = COCOeval(coco_gt, coco_gt.loadRes(dt), "segm")
    for step in _PYCOCO_STEPS:
        getattr(ev, step)()
    return [float(x) for x in ev.stats[:12]]


EVALUATORS = {
    "shoal": _shoal,
    "shoal-1-thread": _shoal,
    "pycocotools": _pycocotools,
    "hotcoco": _peer("hotcoco", "COCO", "COCOeval", "load_res", ("run",)),
    "ultrafast-pycocotools": _peer("ultrafast_pycocotools", "COCO", "COCOeval", "loadRes", ("run",)),
    "faster-coco-eval": _peer(
        "faster_coco_eval", "COCO", "COCOeval_faster", "loadRes", _PYCOCO_STEPS,
        print_function=_quiet,
    ),
}  # fmt: skip


def child(argv: list[str]) -> int:
    """One run: ``ENGINE GT DT RESULT [options]`` (coco_eval.run_child's command line)."""
    sys.path.insert(0, HERE)
    import contextlib
    import io

    from _coco_child import peak_rss_bytes

    engine, gt, dt, result = argv[:4]
    out: dict = {"engine": engine}
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            if engine == "shoal-cli":
                out["stats"] = _shoal_cli(gt, dt, result)
            else:
                out["stats"] = EVALUATORS[engine](gt, dt)
    except Exception as exc:
        out["error"] = f"{type(exc).__name__}: {exc}"
    out["peak_rss_bytes"] = peak_rss_bytes()
    import json

    with open(result, "w") as f:
        json.dump(out, f)
    return 0


# ----------------------------------------------------------------------- the data


def _star(box, angles, radius):
    """A star-shaped polygon inside ``box`` (x, y, w, h): vertices at ``angles`` around
    its centre, ``radius`` (0-1) of the way to its edge; flat, rounded to hundredths."""
    import numpy as np

    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    xs = cx + radius * np.cos(angles) * box[2] / 2
    ys = cy + radius * np.sin(angles) * box[3] / 2
    return np.column_stack((xs, ys)).ravel().round(2).tolist()


def _shape(rng, vertices: int):
    """A random star's angles (sorted) and radii."""
    import numpy as np

    return np.sort(rng.random(vertices)) * 2 * np.pi, rng.uniform(0.55, 1.0, vertices)


def _box_iou(box, boxes):
    """IoU of one box with each of ``boxes`` (x, y, w, h)."""
    import numpy as np

    w = np.minimum(box[0] + box[2], boxes[:, 0] + boxes[:, 2]) - np.maximum(box[0], boxes[:, 0])
    h = np.minimum(box[1] + box[3], boxes[:, 1] + boxes[:, 3]) - np.maximum(box[1], boxes[:, 1])
    inter = np.clip(w, 0, None) * np.clip(h, 0, None)
    return inter / (box[2] * box[3] + boxes[:, 2] * boxes[:, 3] - inter)


def generate(images: int, seed: int = SEED) -> tuple[dict, list[dict]]:
    """Segm ground truth and results for ``images`` images (deterministic). A
    prediction's mask is the shape of the ground truth its box overlaps most (radii
    jittered by up to 8%) drawn in its own box, as a detector's masks follow the
    objects; a prediction overlapping nothing gets a random star."""
    from collections import defaultdict

    import numpy as np

    from shoal.demo.synthetic import DEFAULT_SEED, generate_coco
    from shoal.engine.masks import masks_from_polygons, masks_to_strings

    gt, boxes_results = generate_coco(images, DEFAULT_SEED)
    rng = np.random.default_rng(seed)
    size_of = {image["id"]: (image["height"], image["width"]) for image in gt["images"]}
    annotations = gt["annotations"]
    shapes = [_shape(rng, int(rng.choice([8, 16, 32]))) for _ in annotations]
    polygons = [_star(a["bbox"], *shape) for a, shape in zip(annotations, shapes, strict=True)]
    gt_sizes = np.asarray([size_of[a["image_id"]] for a in annotations], np.int64).reshape(-1, 2)
    n = len(polygons)
    masks = masks_from_polygons(polygons, np.arange(n), n, gt_sizes[:, 0], gt_sizes[:, 1])
    for index, annotation in enumerate(annotations):
        annotation["area"] = float(masks.area[index])
        if annotation["iscrowd"]:
            rle = masks.rle(index)
            annotation["segmentation"] = {"size": list(rle.size), "counts": rle.counts.tolist()}
        else:
            annotation["segmentation"] = [polygons[index]]
    by_image = defaultdict(list)
    for index, annotation in enumerate(annotations):
        by_image[annotation["image_id"]].append(index)
    gt_boxes = np.asarray([a["bbox"] for a in annotations], np.float64).reshape(-1, 4)
    dt_polygons = []
    for record in boxes_results:
        candidates = by_image.get(record["image_id"], [])
        box = np.asarray(record["bbox"], np.float64)
        overlap = _box_iou(box, gt_boxes[candidates]) if candidates else np.zeros(0)
        if overlap.size and overlap.max() > 0.1:
            angles, radius = shapes[candidates[int(np.argmax(overlap))]]
            radius = radius * rng.uniform(0.92, 1.08, radius.size)
        else:
            angles, radius = _shape(rng, 12)
        dt_polygons.append(_star(box, angles, radius))
    dt_sizes = np.asarray([size_of[r["image_id"]] for r in boxes_results], np.int64)
    m = len(dt_polygons)
    dt_masks = masks_from_polygons(dt_polygons, np.arange(m), m, dt_sizes[:, 0], dt_sizes[:, 1])
    strings = masks_to_strings(dt_masks)
    results = [
        {
            "image_id": record["image_id"],
            "category_id": record["category_id"],
            "segmentation": {"size": [int(h), int(w)], "counts": text},
            "score": record["score"],
        }
        for record, (h, w), text in zip(boxes_results, dt_sizes.tolist(), strings, strict=True)
    ]
    return gt, results


def ensure_data(size: str, regenerate: bool):
    import json
    from pathlib import Path

    folder = Path(HERE) / "data" / f"segm-{size}"
    meta_path = folder / "meta.json"
    meta = {"generator": GENERATOR_VERSION, "seed": SEED, "images": SIZES[size]}
    if not regenerate and meta_path.exists():
        written = json.loads(meta_path.read_text())
        if {k: written.get(k) for k in meta} == meta:
            return folder, written
    import orjson

    gt, results = generate(SIZES[size])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "gt.json").write_bytes(orjson.dumps(gt))
    (folder / "predictions.json").write_bytes(orjson.dumps(results))
    meta |= {
        "annotations": len(gt["annotations"]),
        "crowd_annotations": sum(a["iscrowd"] for a in gt["annotations"]),
        "predictions": len(results),
        "predictions_mb": round((folder / "predictions.json").stat().st_size / 1e6, 1),
    }
    meta_path.write_text(json.dumps(meta))
    return folder, meta


# ----------------------------------------------------------------------- parent side


def main(argv: list[str] | None = None) -> int:
    import argparse
    import statistics
    from pathlib import Path

    sys.path.insert(0, HERE)
    import coco_eval  # the harness: fresh processes, wait4, peak memory, round-robin

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=tuple(SIZES), default="M")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per engine")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per run")
    parser.add_argument("--regenerate", action="store_true", help="rewrite the data first")
    parser.add_argument("--out", help="also write the markdown table here")
    args = parser.parse_args(argv)
    engines = [e for e in args.engines.split(",") if e]
    unknown = sorted(set(engines) - set(ENGINES))
    if unknown:
        parser.error(f"unknown engines {unknown}; choose from {', '.join(ENGINES)}")
    data, meta = ensure_data(args.size, args.regenerate)
    coco_eval.CHILD = Path(__file__).resolve()  # runs come back here

    results = {
        name: coco_eval.EngineResult(name, version=coco_eval.package_version(
            coco_eval.DISTRIBUTION.get(name, name)))
        for name in engines
    }  # fmt: skip
    for round_number in range(args.repeat):
        for name in engines:
            result = results[name]
            # pycocotools takes minutes: one run is its time.
            if result.status != "ok" or (name == "pycocotools" and result.times_s):
                continue
            run = coco_eval.run_child(name, data, args.timeout)
            result.record(run)
            print(
                f"round {round_number + 1}/{args.repeat} {name}: "
                + (f"{run.wall_s:.2f}s" if not run.error else str(run.error)),
                file=sys.stderr,
            )

    reference, reference_name = coco_eval.reference_stats(results)
    base = results.get("shoal")
    base_time = base.time_s if base is not None and base.status == "ok" else None
    base_mb = base.peak_mb if base is not None and base.status == "ok" else None
    lines = [
        f"## COCO segm evaluation, size {args.size} ({meta['images']} images, "
        f"{meta['annotations']} GT masks, {meta['predictions']} RLE predictions, "
        f"{meta['predictions_mb']} MB)",
        "",
        f"Fresh process per run, reading both files; medians of {args.repeat} runs "
        f"(pycocotools: one); max abs diff of the 12 stats against {reference_name}.",
        "",
        "| engine | version | wall (s) | user (s) | peak (MB) | time vs shoal "
        "| memory vs shoal | max abs diff |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, res in results.items():
        if res.status != "ok":
            lines.append(f"| {name} | {res.version} | {res.status}: {res.error} | | | | | |")
            continue
        diff = "—"
        if reference is not None and res.stats is not None:
            diff = f"{max(abs(a - b) for a, b in zip(res.stats, reference, strict=True)):.1e}"
        spread = f" ({min(res.times_s):.2f}–{max(res.times_s):.2f})" if len(res.times_s) > 1 else ""
        lines.append(
            f"| {name} | {res.version} | {coco_eval.fmt(res.time_s, '.2f')}{spread} "
            f"| {statistics.median(res.user_s):.2f} | {coco_eval.fmt(res.peak_mb, '.0f')} "
            f"| {coco_eval.ratio(res.time_s, base_time)} | {coco_eval.ratio(res.peak_mb, base_mb)} "
            f"| {diff} |"
        )
    ran = {n: r for n, r in results.items() if r.status == "ok" and r.stats}
    stat_names = (
        "AP",
        "AP50",
        "AP75",
        "APs",
        "APm",
        "APl",
        "AR1",
        "AR10",
        "AR100",
        "ARs",
        "ARm",
        "ARl",
    )
    lines += ["", "| stat | " + " | ".join(ran) + " |", "|---|" + "---:|" * len(ran)]
    for i, stat in enumerate(stat_names):
        lines.append(f"| {stat} | " + " | ".join(f"{r.stats[i]:.6f}" for r in ran.values()) + " |")
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    unequal = [
        name
        for name, res in ran.items()
        if reference is not None
        and max(abs(a - b) for a, b in zip(res.stats or [], reference, strict=True)) > 1e-9
    ]
    if unequal:
        print(f"stats differ from the reference: {', '.join(unequal)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ENGINES:
        sys.exit(child(sys.argv[1:]))
    sys.exit(main())
