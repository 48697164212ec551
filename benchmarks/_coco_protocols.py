"""What the segm and keypoints benchmarks share: each engine's child run for one COCO
``iouType``, and the parent that runs them round-robin and prints the table.

``coco_segm.py`` and ``coco_keypoints.py`` hold only their data (a seeded generator
and its files); both run every engine through benchmarks/coco_eval.py's harness
(``run_child``: a fresh subprocess per run, CPU time from ``wait4``, peak RSS from the
child; ``EngineResult``, ``reference_stats``, ``ratio``). Shoal runs from a wheel of
this checkout installed as pip installs it (bytecode compiled, as the peers' installs
are; ``--shoal-from checkout`` runs the checkout, whose modules may be compiled afresh
on each run when ``PYTHONDONTWRITEBYTECODE`` is set).

Child side: nothing beyond ``os`` and ``sys`` is imported at module level, so a run
measuring a peer never loads Shoal.
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
# The pycocotools way (faster-coco-eval keeps its API); hotcoco and ultrafast-pycocotools
# have one ``run``.
_PYCOCO_STEPS = ("evaluate", "accumulate", "summarize")
_PEERS = {
    # engine: (module, COCO class, evaluator class, results loader, steps, options)
    "hotcoco": ("hotcoco", "COCO", "COCOeval", "load_res", ("run",)),
    "ultrafast-pycocotools": ("ultrafast_pycocotools", "COCO", "COCOeval", "loadRes", ("run",)),
    "faster-coco-eval": ("faster_coco_eval", "COCO", "COCOeval_faster", "loadRes", _PYCOCO_STEPS),
}


def _peer_stats(engine: str, iou_type: str, gt: str, dt: str, count: int) -> list[float]:
    import importlib

    if engine == "pycocotools":
        # pycocotools keeps COCO and COCOeval in two modules.
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval

        coco_gt = COCO(gt)
        ev = COCOeval(coco_gt, coco_gt.loadRes(dt), iou_type)
        steps: tuple[str, ...] = _PYCOCO_STEPS
    else:
        module, coco, evaluator, load, steps = _PEERS[engine]
        package = importlib.import_module(module)
        coco_gt = getattr(package, coco)(gt)
        options = {"print_function": lambda *a, **k: None} if engine == "faster-coco-eval" else {}
        ev = getattr(package, evaluator)(coco_gt, getattr(coco_gt, load)(dt), iou_type, **options)
    for step in steps:
        getattr(ev, step)()
    return [float(x) for x in list(ev.stats)[:count]]


def _shoal_stats(iou_type: str, gt: str, dt: str) -> list[float]:
    """As the docs show it: the one COCO reader for the type, then ``evaluate`` with its
    pair similarity and COCO parameters."""
    from shoal.engine.detection.evaluator import evaluate
    from shoal.engine.detection.metrics import CocoParams
    from shoal.formats import coco

    reader = coco.read_coco_masks if iou_type == "segm" else coco.read_coco_keypoints
    ground_truth, predictions, similarity = reader(gt, dt)
    params = CocoParams.for_iou_type(iou_type)
    evaluation = evaluate(ground_truth, predictions, similarity=similarity, params=params)
    summary = evaluation.coco_summary()
    return [float(summary.stats[name]) for name in params.stat_names]


def _shoal_cli_stats(iou_type: str, gt: str, dt: str, result: str) -> list[float]:
    """``shoal eval GT DT --iou-type TYPE --json OUT``, as a user runs it."""
    import json

    from shoal.cli import main

    out = result + ".eval.json"
    if main(["eval", gt, dt, "--iou-type", iou_type, "--json", out]):
        raise RuntimeError("shoal eval failed")
    with open(out) as f:
        return [float(value) for value in json.load(f)["coco"].values()]


def child(argv: list[str], iou_type: str, count: int) -> int:
    """One run: ``ENGINE GT DT RESULT [options]`` (coco_eval.run_child's command line);
    writes the stats and the peak RSS to RESULT as JSON."""
    sys.path.insert(0, HERE)
    import contextlib
    import io
    import json

    from _coco_child import peak_rss_bytes

    engine, gt, dt, result = argv[:4]
    out: dict = {"engine": engine}
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            if engine == "shoal-cli":
                out["stats"] = _shoal_cli_stats(iou_type, gt, dt, result)
            elif engine.startswith("shoal"):
                out["stats"] = _shoal_stats(iou_type, gt, dt)
            else:
                out["stats"] = _peer_stats(engine, iou_type, gt, dt, count)
    except Exception as exc:
        out["error"] = f"{type(exc).__name__}: {exc}"
    out["peak_rss_bytes"] = peak_rss_bytes()
    with open(result, "w") as f:
        json.dump(out, f)
    return 0


# ----------------------------------------------------------------------- parent side


def ensure_data(
    name: str, size: str, images: int, generator_version: int, seed: int, generate, regenerate: bool
):
    """``benchmarks/data/NAME-SIZE`` holding ``gt.json`` and ``predictions.json`` of
    ``generate(images)`` and ``meta.json`` (counts, seed, generator version), written once:
    files that match this generator version, seed and size are reused unless
    ``regenerate``. Returns (folder,
    meta)."""
    import json
    from pathlib import Path

    import orjson

    folder = Path(HERE) / "data" / f"{name}-{size}"
    meta_path = folder / "meta.json"
    meta = {"generator": generator_version, "seed": seed, "images": images}
    if not regenerate and meta_path.exists():
        written = json.loads(meta_path.read_text())
        if {k: written.get(k) for k in meta} == meta:
            return folder, written
    gt, results = generate(images)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "gt.json").write_bytes(orjson.dumps(gt))
    (folder / "predictions.json").write_bytes(orjson.dumps(results))
    meta |= {
        "annotations": len(gt["annotations"]),
        "crowd_annotations": sum(a.get("iscrowd", 0) for a in gt["annotations"]),
        "predictions": len(results),
        "predictions_mb": round((folder / "predictions.json").stat().st_size / 1e6, 1),
    }
    meta_path.write_text(json.dumps(meta))
    return folder, meta


def main(
    argv: list[str] | None,
    *,
    script: str,
    description: str,
    sizes: tuple[str, ...],
    stat_names: tuple[str, ...],
    ensure_data,
    title,
    single_run: tuple[str, ...] = (),
) -> int:
    """Parse the shared options, run every engine round-robin (those in ``single_run``
    once: minutes each), print the table and the stats; 1 when an engine's stats differ
    from the reference by more than 1e-9. ``ensure_data(size, regenerate)`` returns
    (folder, meta); ``title(size, meta)`` the table's heading."""
    import argparse
    import statistics
    import tempfile
    from pathlib import Path

    sys.path.insert(0, HERE)
    import coco_eval  # the harness: fresh processes, wait4, peak memory, round-robin

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--size", choices=sizes, default="M")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per engine")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per run")
    parser.add_argument("--regenerate", action="store_true", help="rewrite the data first")
    parser.add_argument("--out", help="also write the markdown table here")
    parser.add_argument(
        "--shoal-from",
        choices=("wheel", "checkout"),
        default="wheel",
        help="run Shoal from a wheel of this checkout installed as pip does (default) "
        "or from the checkout itself",
    )
    args = parser.parse_args(argv)
    engines = [e for e in args.engines.split(",") if e]
    unknown = sorted(set(engines) - set(ENGINES))
    if unknown:
        parser.error(f"unknown engines {unknown}; choose from {', '.join(ENGINES)}")
    data, meta = ensure_data(args.size, args.regenerate)
    coco_eval.CHILD = Path(script).resolve()  # runs come back to the protocol's script

    with tempfile.TemporaryDirectory(prefix="shoal-bench-wheel-") as wheel_folder:
        if args.shoal_from == "wheel":
            print("shoal: building and installing a wheel of this checkout ...", file=sys.stderr)
            coco_eval.shoal_site = coco_eval.install_wheel(Path(wheel_folder))
        results = {
            name: coco_eval.EngineResult(
                name, version=coco_eval.package_version(coco_eval.DISTRIBUTION.get(name, name))
            )
            for name in engines
        }
        for round_number in range(args.repeat):
            for name in engines:
                result = results[name]
                if result.status != "ok" or (name in single_run and result.times_s):
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
    once = f" ({', '.join(single_run)}: one)" if set(single_run) & set(engines) else ""
    lines = [
        title(args.size, meta),
        "",
        f"Fresh process per run, reading both files, Shoal from "
        f"{'a wheel of the checkout' if args.shoal_from == 'wheel' else 'the checkout'}; "
        f"medians of {args.repeat} runs{once}; max abs diff of the {len(stat_names)} stats "
        f"against {reference_name}.",
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
