"""End-to-end COCO keypoints evaluation benchmark: Shoal against pycocotools,
faster-coco-eval, hotcoco and ultrafast-pycocotools.

    python benchmarks/coco_keypoints.py [--size M] [--engines shoal,hotcoco,...] [--repeat 3]

The data: ``--size`` S (500 images), M (5,000) or L (20,000) of seeded person-keypoint
ground truth (17 keypoints, crowds, objects without labelled keypoints, every COCO area
range) and results (several per person, false positives, images past maxDets 20),
written once to ``benchmarks/data/keypoints-SIZE``.

Every run is a fresh subprocess, through benchmarks/coco_eval.py's harness (its
``run_child``, ``Run`` and ``EngineResult``: wall time here, CPU time from ``wait4``,
peak RSS from the child, medians over ``--repeat`` round-robin runs). The child is this
file run as ``coco_keypoints.py ENGINE GT DT RESULT``: it imports only its engine, reads
both JSON files from disk and computes the 10 keypoint stats as that engine's
documentation shows (Shoal: ``read_coco_keypoints`` then ``evaluate`` with the OKS
similarity and ``CocoParams.keypoints()``; ``shoal-cli``: ``shoal eval --iou-type
keypoints``). Every engine's stats are checked against pycocotools' (or the peers'
when pycocotools is left out) and the table prints time and memory ratios to Shoal.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
STAT_NAMES = ("AP", "AP50", "AP75", "APm", "APl", "AR", "AR50", "AR75", "ARm", "ARl")
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
GENERATOR_VERSION = 1
SEED = 15


# ----------------------------------------------------------------------- child side
# (no import beyond os and sys at the top: a run measuring a peer must not load Shoal)


def _peer(module: str, coco: str, evaluator: str, load: str, steps: tuple[str, ...], **options):
    def run(gt: str, dt: str) -> list[float]:
        import importlib

        package = importlib.import_module(module)
        coco_gt = getattr(package, coco)(gt)
        ev = getattr(package, evaluator)(
            coco_gt, getattr(coco_gt, load)(dt), "keypoints", **options
        )
        for step in steps:
            getattr(ev, step)()
        return [float(x) for x in list(ev.stats)[:10]]

    return run


def _quiet(*args, **kwargs):
    return None


def _shoal(gt: str, dt: str) -> list[float]:
    from shoal.engine.detection.evaluator import evaluate
    from shoal.engine.detection.metrics import CocoParams
    from shoal.formats.coco import read_coco_keypoints

    ground_truth, predictions, oks = read_coco_keypoints(gt, dt)
    params = CocoParams.keypoints()
    summary = evaluate(ground_truth, predictions, similarity=oks, params=params).coco_summary()
    return [float(summary.stats[name]) for name in STAT_NAMES]


def _shoal_cli(gt: str, dt: str, result: str) -> list[float]:
    import json

    from shoal.cli import main

    out = result + ".eval.json"
    if main(["eval", gt, dt, "--iou-type", "keypoints", "--json", out]):
        raise RuntimeError("shoal eval failed")
    with open(out) as f:
        coco = json.load(f)["coco"]
    return [float(coco[name]) for name in STAT_NAMES]


_PYCOCO_STEPS = ("evaluate", "accumulate", "summarize")


def _pycocotools(gt: str, dt: str) -> list[float]:
    # pycocotools keeps COCO and COCOeval in two modules.
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    coco_gt = COCO(gt)
    ev = COCOeval(coco_gt, coco_gt.loadRes(dt), "keypoints")
    for step in _PYCOCO_STEPS:
        getattr(ev, step)()
    return [float(x) for x in ev.stats[:10]]


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


def generate(images: int, seed: int = SEED) -> tuple[dict, list[dict]]:
    """Person-keypoint ground truth and results for ``images`` images (deterministic)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    names = [f"keypoint{k}" for k in range(1, 18)]
    skeleton = [[16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13], [6, 7]]
    gt: dict = {
        "images": [
            {"id": i, "file_name": f"{i:012d}.jpg", "width": 640, "height": 480}
            for i in range(1, images + 1)
        ],
        "categories": [
            {"id": 1, "name": "person", "supercategory": "person", "keypoints": names,
             "skeleton": skeleton}
        ],
        "annotations": [],
    }  # fmt: skip
    results: list[dict] = []
    counts = np.minimum(rng.poisson(2.5, images), 15)
    for image, count in zip(range(1, images + 1), counts.tolist(), strict=True):
        size = np.exp(rng.uniform(np.log(12), np.log(400), (count, 2)))
        corner = rng.uniform(0, 1, (count, 2)) * (np.array([640, 480]) - np.minimum(size, 400))
        for box_xy, box_wh in zip(corner, size, strict=True):
            visible = rng.choice(3, 17, p=[0.3, 0.15, 0.55]) * (rng.random() > 0.1)
            xy = box_xy + rng.random((17, 2)) * box_wh
            xy[visible == 0] = 0.0
            keypoints = np.column_stack([xy.round(2), visible]).ravel().tolist()
            gt["annotations"].append(
                {
                    "id": len(gt["annotations"]) + 1,
                    "image_id": image,
                    "category_id": 1,
                    "bbox": [*box_xy.round(2).tolist(), *box_wh.round(2).tolist()],
                    "area": round(float(box_wh.prod() * rng.uniform(0.4, 0.9)), 2),
                    "iscrowd": int(rng.random() < 0.01),
                    "keypoints": keypoints,
                    "num_keypoints": int((visible > 0).sum()),
                }
            )
            for _ in range(int(rng.integers(1, 4))):
                spot = box_xy + rng.random((17, 2)) * box_wh
                target = np.where((visible > 0)[:, None], xy, spot)
                noise = rng.normal(0, float(rng.choice([1.0, 3.0, 8.0, 20.0])), (17, 2))
                results.append(_result(rng, image, target + noise))
        for _ in range(int(rng.integers(0, 30 if rng.random() < 0.1 else 5))):
            xy = rng.uniform([0, 0], [640, 480], (17, 2))
            results.append(_result(rng, image, xy))
    return gt, results


def _result(rng, image: int, xy) -> dict:
    import numpy as np

    flags = np.ones(17)
    return {
        "image_id": image,
        "category_id": 1,
        "keypoints": np.column_stack([xy.round(2), flags]).ravel().tolist(),
        "score": round(float(rng.random()), 3),
    }


def ensure_data(size: str, regenerate: bool):
    import json
    from pathlib import Path

    folder = Path(HERE) / "data" / f"keypoints-{size}"
    meta_path = folder / "meta.json"
    meta = {"generator": GENERATOR_VERSION, "seed": SEED, "images": SIZES[size]}
    if not regenerate and meta_path.exists():
        written = json.loads(meta_path.read_text())
        if {k: written.get(k) for k in meta} == meta:
            return folder, written
    gt, results = generate(SIZES[size])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "gt.json").write_text(json.dumps(gt))
    (folder / "predictions.json").write_text(json.dumps(results))
    meta |= {"annotations": len(gt["annotations"]), "predictions": len(results)}
    meta_path.write_text(json.dumps(meta))
    return folder, meta


# ----------------------------------------------------------------------- parent side


def main(argv: list[str] | None = None) -> int:
    import argparse
    import statistics

    sys.path.insert(0, HERE)
    import coco_eval  # the harness: fresh processes, wait4, peak memory, round-robin

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=tuple(SIZES), default="M")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per engine")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per run")
    parser.add_argument("--regenerate", action="store_true", help="rewrite the data first")
    parser.add_argument("--out", help="also write the markdown table here")
    args = parser.parse_args(argv)
    engines = [e for e in args.engines.split(",") if e]
    unknown = sorted(set(engines) - set(ENGINES))
    if unknown:
        parser.error(f"unknown engines {unknown}; choose from {', '.join(ENGINES)}")
    data, meta = ensure_data(args.size, args.regenerate)
    coco_eval.CHILD = __import__("pathlib").Path(__file__).resolve()  # runs come back here

    results = {
        name: coco_eval.EngineResult(name, version=coco_eval.package_version(
            coco_eval.DISTRIBUTION.get(name, name)))
        for name in engines
    }  # fmt: skip
    for round_number in range(args.repeat):
        for name in engines:
            result = results[name]
            if result.status != "ok":
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
        f"## COCO keypoints evaluation, size {args.size} ({meta['images']} images, "
        f"{meta['annotations']} GT, {meta['predictions']} predictions)",
        "",
        f"Fresh process per run; medians of {args.repeat} runs; max abs diff of the 10 "
        f"stats against {reference_name}.",
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
    lines += ["", "| stat | " + " | ".join(ran) + " |", "|---|" + "---:|" * len(ran)]
    for i, stat in enumerate(STAT_NAMES):
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
