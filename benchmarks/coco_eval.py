"""End-to-end COCO bbox evaluation benchmark: Shoal vs pycocotools vs faster-coco-eval.

    python benchmarks/coco_eval.py --size M [--engines shoal,pycocotools,faster-coco-eval]
                                   [--repeat 3] [--queries 50] [--json out.json]

Every run is a fresh ``python`` subprocess that imports its engine, loads ``gt.json`` and
``predictions.json`` from disk, evaluates and produces the 12 COCO summary stats, so import,
JSON parsing and peak memory all count and are per engine.

* time: wall clock measured in this (parent) process around the subprocess; the median over
  ``--repeat`` runs is reported. Runs are interleaved across engines to spread machine noise.
* peak memory: reported by the child itself as the high-water mark of its own address space
  (``VmHWM`` from ``/proc/self/status``, which starts afresh at ``exec``; where that is not
  available, ``ru_maxrss`` of ``getrusage(RUSAGE_SELF)``). MB = 10**6 bytes. The parent never
  imports numpy or generates data itself, so it stays small.
* Shoal's first run is reported on its own row (Shoal's kernels are C built at install
  time, so there is no JIT cache to warm; the row shows that the first run costs the same).
  A further untimed run measures re-threshold latency: ``ev.report(conf, iou)`` +
  ``ev.confusion_matrix(conf, iou)`` for random operating points.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
ENGINES = ("shoal", "pycocotools", "faster-coco-eval")
# The 12 stat names are shoal.COCO_STAT_NAMES, imported where they are used: a child
# measuring another engine must not import Shoal (its time and memory would count).
IOU_GRID = tuple(round(0.5 + 0.05 * i, 2) for i in range(10))


# --------------------------------------------------------------------------- child side


def _peak_rss_bytes() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB on Linux


def _eval_pycocotools(gt: str, dt: str) -> list[float]:
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO(gt)
        coco_dt = coco_gt.loadRes(dt)
        ev = COCOeval(coco_gt, coco_dt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return [float(x) for x in ev.stats[:12]]


def _eval_faster_coco_eval(gt: str, dt: str) -> list[float]:
    from faster_coco_eval import COCO, COCOeval_faster

    def quiet(*args: object, **kwargs: object) -> None:
        return None

    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO(gt)
        coco_dt = coco_gt.loadRes(dt)
        ev = COCOeval_faster(coco_gt, coco_dt, "bbox", print_function=quiet)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return [float(x) for x in ev.stats[:12]]


QUERY_KINDS = ("report", "confusion_matrix", "report+matrix", "outcomes", "pr_curve")


def _eval_shoal(gt: str, dt: str, queries: int) -> tuple[list[float], dict[str, Any]]:
    import shoal

    with contextlib.redirect_stdout(io.StringIO()):
        ev = shoal.evaluate_detections(gt, dt)
        summary = ev.coco_summary().to_dict()
    stats = [float(summary[name]) for name in shoal.COCO_STAT_NAMES]
    extra: dict[str, Any] = {}
    if queries > 0:
        rng = random.Random(0)
        labels = ev.labels
        points = [
            (round(rng.uniform(0.05, 0.95), 3), rng.choice(IOU_GRID), rng.choice(labels))
            for _ in range(queries)
        ]
        timings: dict[str, list[float]] = {kind: [] for kind in QUERY_KINDS}
        try:
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
        except Exception as exc:
            extra["query_error"] = f"{type(exc).__name__}: {exc}"
            return stats, extra
        extra["query_first_ms"] = timings["report+matrix"][0] * 1e3
        extra["query_count"] = queries - 1
        for kind, values in timings.items():
            rest = sorted(values[1:] or values)
            p95 = rest[min(len(rest) - 1, round(0.95 * (len(rest) - 1)))]
            extra[f"query_{kind}_ms"] = {
                "median": statistics.median(rest) * 1e3,
                "p95": p95 * 1e3,
            }
    return stats, extra


def child_main(engine: str, gt: str, dt: str, result: str, queries: int) -> int:
    """Run one engine once and write its stats, timings and peak RSS to ``result``."""
    start = time.perf_counter()
    out: dict[str, Any] = {"engine": engine}
    try:
        if engine == "pycocotools":
            out["stats"] = _eval_pycocotools(gt, dt)
        elif engine == "faster-coco-eval":
            out["stats"] = _eval_faster_coco_eval(gt, dt)
        elif engine == "shoal":
            out["stats"], extra = _eval_shoal(gt, dt, queries)
            out.update(extra)
        else:
            raise ValueError(f"unknown engine {engine!r}")
    except Exception as exc:
        out["error"] = f"{type(exc).__name__}: {exc}"
    out["inner_s"] = time.perf_counter() - start
    out["peak_rss_bytes"] = _peak_rss_bytes()
    Path(result).write_text(json.dumps(out))
    return 0


# -------------------------------------------------------------------------- parent side


@dataclass
class EngineResult:
    engine: str
    status: str = "ok"  # ok | skipped | not available
    error: str | None = None
    times_s: list[float] = field(default_factory=list)
    peak_rss_bytes: list[int] = field(default_factory=list)
    stats: list[float] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def time_s(self) -> float | None:
        return statistics.median(self.times_s) if self.times_s else None

    @property
    def peak_mb(self) -> float | None:
        return max(self.peak_rss_bytes) / 1e6 if self.peak_rss_bytes else None


def ensure_data(size: str, regenerate: bool) -> Path:
    """(Re)generate the data in a subprocess if missing or made by another generator version."""
    cmd = [sys.executable, str(HERE / "generate.py"), "--size", size, "--out", str(DATA)]
    subprocess.run(cmd if regenerate else [*cmd, "--if-stale"], check=True)
    return DATA / size


def run_child(
    engine: str, data: Path, queries: int, timeout: float | None
) -> tuple[float, dict[str, Any]]:
    """One fresh subprocess; returns (wall seconds measured here, child's report)."""
    with tempfile.TemporaryDirectory(prefix="shoal-bench-") as tmp:
        result = Path(tmp) / "result.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", engine]
        cmd += ["--gt", str(data / "gt.json"), "--dt", str(data / "predictions.json")]
        cmd += ["--result", str(result), "--queries", str(queries)]
        start = time.perf_counter()
        try:
            proc = subprocess.run(
                cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                text=True, timeout=timeout,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return time.perf_counter() - start, {"error": f"timed out after {timeout:g}s"}
        wall = time.perf_counter() - start
        if proc.returncode != 0 or not result.exists():
            tail = (proc.stderr or "").strip().splitlines()[-1:] or ["no output"]
            return wall, {"error": f"exit code {proc.returncode}: {tail[0]}"}
        report: dict[str, Any] = json.loads(result.read_text())
        return wall, report


def record(res: EngineResult, wall: float, report: dict[str, Any]) -> bool:
    if "error" in report:
        res.status, res.error = "not available", report["error"]
        return False
    res.times_s.append(wall)
    res.peak_rss_bytes.append(report["peak_rss_bytes"])
    res.stats = report["stats"]
    return True


def package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def fmt(value: float | None, spec: str, missing: str = "—") -> str:
    return missing if value is None else format(value, spec)


def render(size: str, meta: dict[str, Any], results: dict[str, EngineResult], repeat: int) -> str:
    from shoal import COCO_STAT_NAMES

    lines = [
        f"## COCO bbox evaluation, size {size} "
        f"({meta.get('images', '?')} images, {meta.get('annotations', '?')} GT, "
        f"{meta.get('predictions', '?')} predictions; median of {repeat})",
        "",
        "| engine | time (s) | peak memory (MB) | time vs shoal | max abs diff vs pycocotools |",
        "|---|---:|---:|---:|---:|",
    ]
    shoal = results.get("shoal")
    shoal_time = shoal.time_s if shoal and shoal.status == "ok" else None
    reference = results.get("pycocotools")
    ref_stats = reference.stats if reference and reference.status == "ok" else None
    for name, res in results.items():
        if res.status != "ok":
            lines.append(f"| {name} | {res.status} | | | |")
            continue
        ratio = "—"
        if shoal_time and res.time_s is not None:
            label = "first / later" if name == "shoal (first run)" else f"{name} / shoal"
            ratio = f"{label} = {res.time_s / shoal_time:.1f}x"
        diff = "—"
        if ref_stats is not None and res.stats is not None:
            diff = f"{max(abs(a - b) for a, b in zip(res.stats, ref_stats, strict=True)):.2e}"
        lines.append(
            f"| {name} | {fmt(res.time_s, '.2f')} | {fmt(res.peak_mb, '.0f')} | {ratio} | {diff} |"
        )
    shown: set[str | None] = set()
    for name, res in results.items():
        if res.status == "not available" and res.error not in shown:
            shown.add(res.error)
            lines.append(f"\n{name}: not available ({res.error})")
        elif res.status == "skipped":
            lines.append(f"\n{name}: skipped")

    with_stats = {
        n: r
        for n, r in results.items()
        if r.status == "ok" and r.stats and n != "shoal (first run)"
    }
    if with_stats:
        lines += ["", "| stat | " + " | ".join(with_stats) + " |"]
        lines.append("|---|" + "---:|" * len(with_stats))
        for i, stat in enumerate(COCO_STAT_NAMES):
            row = " | ".join(f"{r.stats[i]:.6f}" for r in with_stats.values() if r.stats)
            lines.append(f"| {stat} | {row} |")

    if shoal and "query_count" in shoal.extra:
        x = shoal.extra
        lines.append(
            f"\nshoal re-threshold queries ({x['query_count']} random (conf, iou) points on the grid; "
            f"first report+matrix {x['query_first_ms']:.1f} ms):\n"
        )
        lines.append("| query | median (ms) | p95 (ms) |")
        lines.append("|---|---:|---:|")
        for kind in QUERY_KINDS:
            q = x[f"query_{kind}_ms"]
            lines.append(f"| {kind} | {q['median']:.2f} | {q['p95']:.2f} |")
    elif shoal and "query_error" in shoal.extra:
        lines.append(f"\nshoal re-threshold query: not available ({shoal.extra['query_error']})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from shoal import COCO_STAT_NAMES

    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=("S", "M", "L"), default="S")
    parser.add_argument("--engines", default=",".join(ENGINES), help="default: %(default)s")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per engine")
    parser.add_argument("--queries", type=int, default=50, help="shoal re-threshold queries")
    parser.add_argument("--json", type=Path, help="also write all measurements here")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per run")
    parser.add_argument("--regenerate", action="store_true", help="rewrite the data first")
    parser.add_argument("--child", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--gt", help=argparse.SUPPRESS)
    parser.add_argument("--dt", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        return child_main(args.child, args.gt, args.dt, args.result, args.queries)

    selected = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = sorted(set(selected) - set(ENGINES))
    if unknown:
        parser.error(f"unknown engine(s): {', '.join(unknown)}; choose from {', '.join(ENGINES)}")
    data = ensure_data(args.size, args.regenerate)
    meta_path = data / "meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}

    results: dict[str, EngineResult] = {}
    if "shoal" in selected:
        results["shoal (first run)"] = EngineResult("shoal (first run)")
    for engine in ENGINES:
        results[engine] = EngineResult(engine)
        if engine not in selected:
            results[engine].status = "skipped"

    if "shoal" in selected:
        print("shoal: first run ...", flush=True)
        wall, report = run_child("shoal", data, 0, args.timeout)
        if record(results["shoal (first run)"], wall, report):
            print("shoal: re-threshold queries ...", flush=True)
            _, report = run_child("shoal", data, args.queries, args.timeout)
            if "error" in report:
                report["query_error"] = report["error"]
            results["shoal"].extra.update(
                {k: v for k, v in report.items() if k.startswith("query_")}
            )
        else:
            results["shoal"].status = "not available"
            results["shoal"].error = report["error"]
            print(f"shoal: not available ({report['error']})", flush=True)

    for r in range(args.repeat):
        for engine in ENGINES:
            res = results[engine]
            if res.status != "ok":
                continue
            print(f"{engine}: run {r + 1}/{args.repeat} ...", end=" ", flush=True)
            wall, report = run_child(engine, data, 0, args.timeout)
            if record(res, wall, report):
                print(f"{wall:.2f}s, {report['peak_rss_bytes'] / 1e6:.0f} MB", flush=True)
            else:
                print(f"not available ({res.error})", flush=True)

    print()
    print(render(args.size, meta, results, args.repeat))

    if args.json:
        payload = {
            "size": args.size,
            "data": meta,
            "repeat": args.repeat,
            "results": {
                name: {**asdict(res), "time_s": res.time_s, "peak_mb": res.peak_mb}
                for name, res in results.items()
            },
            "stat_names": COCO_STAT_NAMES,
            "timing": "wall clock in the parent around a fresh subprocess per run; median",
            "memory": "child's own VmHWM (fallback ru_maxrss); MB = 1e6 bytes; max over runs",
            "environment": {
                "python": platform.python_version(),
                "platform": platform.platform(),
                "cpu_count": os.cpu_count(),
                "git_commit": git_commit(),
                "packages": {
                    p: package_version(p)
                    for p in ("shoal", "pycocotools", "faster-coco-eval", "numpy")
                },
            },
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=2))
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
