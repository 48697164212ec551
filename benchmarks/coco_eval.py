"""End-to-end COCO bbox evaluation benchmark: Shoal against four COCO evaluators.

    python benchmarks/coco_eval.py --size M [--engines shoal,hotcoco,...] [--repeat 3]
                                   [--stages] [--queries 50] [--out results.md] [--json out.json]

Every run is a fresh ``python`` subprocess that imports its engine, reads ``gt.json`` and
``predictions.json`` from disk, evaluates and produces the 12 COCO summary stats, so import,
JSON parsing, threads and peak memory all count and are per engine. Each engine is used the
way its own documentation shows for COCO bbox evaluation.

* time: wall clock measured in this (parent) process around the subprocess; user and system
  CPU time of the child (all its threads) from ``wait4``. Medians over ``--repeat`` runs.
  Runs go round-robin: every engine once, then every engine again, so machine noise hits
  all engines alike.
* peak memory: reported by the child itself as the high-water mark of its own address space
  (``VmHWM`` from ``/proc/self/status``, which starts afresh at ``exec``; where that is not
  available, the child's ``ru_maxrss``). MB = 10**6 bytes; the maximum over runs.
* max abs diff: of the 12 stats, against pycocotools when it ran; otherwise against the
  stats the other peers agree on exactly (the table says which).
* Shoal runs with its default thread count and with ``SHOAL_THREADS=1``; ``shoal eval``
  (the CLI, which also prints a per-class report and a confusion matrix) is its own row.
* ``--stages``: Shoal in one process, timed stage by stage (import, ground-truth read,
  results read, matching, summary; wall, user, system, minor page faults, peak memory).
* Shoal's first run is reported on its own row, and a further untimed run measures
  re-threshold latency: ``ev.report(conf, iou)`` + ``ev.confusion_matrix(conf, iou)`` etc.
  at random operating points.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
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
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
RESULTS = HERE / "results"
# Shown in this order; the first is the baseline of the ratios.
ENGINES = (
    "shoal",
    "shoal-1-thread",
    "shoal-cli",
    "hotcoco",
    "ultrafast-pycocotools",
    "faster-coco-eval",
    "pycocotools",
)
SHOAL_ENGINES = ("shoal", "shoal-1-thread", "shoal-cli")
# The distribution whose version each engine's row names.
DISTRIBUTION = {name: "shoal" for name in SHOAL_ENGINES} | {
    name: name for name in ENGINES if name not in SHOAL_ENGINES
}
# pycocotools takes minutes and several GB at L: left out there unless named in --engines.
SLOW_AT_L = ("pycocotools",)
# The 12 stat names are shoal.COCO_STAT_NAMES, imported where they are used: a child
# measuring another engine must not import Shoal (its time and memory would count).
IOU_GRID = tuple(round(0.5 + 0.05 * i, 2) for i in range(10))


def child_environment(engine: str) -> dict[str, str]:
    """The environment of a run: Shoal's thread count is its default unless the row says 1."""
    env = {k: v for k, v in os.environ.items() if k != "SHOAL_THREADS"}
    if engine == "shoal-1-thread":
        env["SHOAL_THREADS"] = "1"
    return env


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


# pycocotools' own three steps; hotcoco's and ultrafast-pycocotools' READMEs call run(),
# which does the same three.
PYCOCOTOOLS_STEPS = ("evaluate", "accumulate", "summarize")


def _eval_coco_api(
    coco: Any, evaluator: Any, load_results: str, steps: tuple[str, ...], gt: str, dt: str,
    **options: Any,
) -> list[float]:  # fmt: skip
    """A pycocotools-style API: COCO(gt), its results loader on dt, the evaluator's steps."""
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = coco(gt)
        ev = evaluator(coco_gt, getattr(coco_gt, load_results)(dt), "bbox", **options)
        for step in steps:
            getattr(ev, step)()
    return [float(x) for x in list(ev.stats)[:12]]


def _eval_pycocotools(gt: str, dt: str) -> list[float]:
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    return _eval_coco_api(COCO, COCOeval, "loadRes", PYCOCOTOOLS_STEPS, gt, dt)


def _eval_faster_coco_eval(gt: str, dt: str) -> list[float]:
    from faster_coco_eval import COCO, COCOeval_faster

    def quiet(*args: object, **kwargs: object) -> None:
        return None

    return _eval_coco_api(
        COCO, COCOeval_faster, "loadRes", PYCOCOTOOLS_STEPS, gt, dt, print_function=quiet
    )


def _eval_hotcoco(gt: str, dt: str) -> list[float]:
    from hotcoco import COCO, COCOeval

    return _eval_coco_api(COCO, COCOeval, "load_res", ("run",), gt, dt)


def _eval_ultrafast(gt: str, dt: str) -> list[float]:
    from ultrafast_pycocotools import COCO, COCOeval

    return _eval_coco_api(COCO, COCOeval, "loadRes", ("run",), gt, dt)


def _eval_shoal_cli(gt: str, dt: str) -> list[float]:
    """``shoal eval gt dt --json out``, as a user runs it (the console script calls main)."""
    from shoal import COCO_STAT_NAMES
    from shoal.cli import main

    with tempfile.TemporaryDirectory(prefix="shoal-bench-cli-") as tmp:
        out = Path(tmp) / "eval.json"
        with contextlib.redirect_stdout(io.StringIO()):
            code = main(["eval", gt, dt, "--json", str(out)])
        if code:
            raise RuntimeError(f"shoal eval exited with {code}")
        coco = json.loads(out.read_text())["coco"]
    return [float(coco[name]) for name in COCO_STAT_NAMES]


QUERY_KINDS = ("report", "confusion_matrix", "report+matrix", "outcomes", "pr_curve")


def _eval_shoal(gt: str, dt: str, queries: int) -> tuple[list[float], dict[str, Any]]:
    import shoal

    with contextlib.redirect_stdout(io.StringIO()):
        ev = shoal.evaluate_detections(gt, dt)
        summary = ev.coco_summary().to_dict()
    stats = [float(summary[name]) for name in shoal.COCO_STAT_NAMES]
    extra: dict[str, Any] = {"shoal_source": str(Path(shoal.__file__).parent)}
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


def _usage_now() -> dict[str, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "wall_s": time.perf_counter(),
        "user_s": usage.ru_utime,
        "sys_s": usage.ru_stime,
        "minor_faults": usage.ru_minflt,
        "peak_mb": _peak_rss_bytes() / 1e6,
    }


def _shoal_stages(gt: str, dt: str) -> dict[str, Any]:
    """Shoal's public path one stage at a time, in this process: where the time goes.

    Where Shoal reads the two files at the same time (``read_coco_detections``, as
    ``evaluate_detections`` does), that is one stage, except with ``SHOAL_THREADS=1``: then
    it reads them in turn anyway, and the two reads are timed one by one.
    """
    marks = [_usage_now()]
    names = ["import"]
    import shoal
    from shoal.formats import coco

    marks.append(_usage_now())
    both = getattr(coco, "read_coco_detections", None)
    if both is not None and os.environ.get("SHOAL_THREADS") != "1":
        ground_truth, predictions = both(gt, dt)
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
    stages: dict[str, dict[str, float]] = {}
    for name, before, after in zip(names, marks[:-1], marks[1:], strict=True):
        stages[name] = {k: after[k] - before[k] for k in ("wall_s", "user_s", "sys_s")}
        stages[name]["minor_faults"] = after["minor_faults"] - before["minor_faults"]
        stages[name]["peak_mb"] = after["peak_mb"]
    return {
        "stages": stages,
        "stats": [float(summary[name]) for name in shoal.COCO_STAT_NAMES],
        "in_process_s": marks[-1]["wall_s"] - marks[0]["wall_s"],
    }


CHILD_EVALUATORS: dict[str, Callable[[str, str], list[float]]] = {
    "pycocotools": _eval_pycocotools,
    "faster-coco-eval": _eval_faster_coco_eval,
    "hotcoco": _eval_hotcoco,
    "ultrafast-pycocotools": _eval_ultrafast,
    "shoal-cli": _eval_shoal_cli,
}


def child_main(engine: str, gt: str, dt: str, result: str, queries: int, stages: bool) -> int:
    """Run one engine once and write its stats, extras and peak RSS to ``result``."""
    out: dict[str, Any] = {"engine": engine}
    try:
        if stages:
            out.update(_shoal_stages(gt, dt))
        elif engine in ("shoal", "shoal-1-thread"):
            out["stats"], extra = _eval_shoal(gt, dt, queries)
            out.update(extra)
        else:
            out["stats"] = CHILD_EVALUATORS[engine](gt, dt)
    except Exception as exc:
        out["error"] = f"{type(exc).__name__}: {exc}"
    out["peak_rss_bytes"] = _peak_rss_bytes()
    Path(result).write_text(json.dumps(out))
    return 0


# -------------------------------------------------------------------------- parent side


@dataclass
class Run:
    """One subprocess: wall time measured here, CPU time and faults from wait4."""

    wall_s: float
    user_s: float = 0.0
    sys_s: float = 0.0
    minor_faults: int = 0
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def error(self) -> str | None:
        return self.report.get("error")


@dataclass
class EngineResult:
    engine: str
    version: str = ""
    status: str = "ok"  # ok | skipped | not available
    error: str | None = None
    times_s: list[float] = field(default_factory=list)
    user_s: list[float] = field(default_factory=list)
    sys_s: list[float] = field(default_factory=list)
    minor_faults: list[int] = field(default_factory=list)
    peak_rss_bytes: list[int] = field(default_factory=list)
    stats: list[float] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def time_s(self) -> float | None:
        return statistics.median(self.times_s) if self.times_s else None

    @property
    def peak_mb(self) -> float | None:
        return max(self.peak_rss_bytes) / 1e6 if self.peak_rss_bytes else None

    def record(self, run: Run) -> bool:
        if run.error:
            self.status, self.error = "not available", run.error
            return False
        self.times_s.append(run.wall_s)
        self.user_s.append(run.user_s)
        self.sys_s.append(run.sys_s)
        self.minor_faults.append(run.minor_faults)
        self.peak_rss_bytes.append(run.report["peak_rss_bytes"])
        self.stats = run.report["stats"]
        return True


def ensure_data(size: str, regenerate: bool) -> Path:
    """(Re)generate the data in a subprocess if missing or made by another generator version."""
    cmd = [sys.executable, str(HERE / "generate.py"), "--size", size, "--out", str(DATA)]
    subprocess.run(cmd if regenerate else [*cmd, "--if-stale"], check=True)
    return DATA / size


def run_child(
    engine: str, data: Path, timeout: float, *, queries: int = 0, stages: bool = False
) -> Run:
    """One fresh subprocess, reaped with wait4 so its own CPU time and faults are known."""
    with tempfile.TemporaryDirectory(prefix="shoal-bench-") as tmp:
        result, stderr_path = Path(tmp) / "result.json", Path(tmp) / "stderr.txt"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", engine]
        cmd += ["--gt", str(data / "gt.json"), "--dt", str(data / "predictions.json")]
        cmd += ["--result", str(result), "--queries", str(queries)]
        cmd += ["--stages"] if stages else []
        with stderr_path.open("w") as stderr:
            start = time.perf_counter()
            proc = subprocess.Popen(
                cmd, stdout=subprocess.DEVNULL, stderr=stderr, env=child_environment(engine)
            )
            timed_out = threading.Event()

            def kill() -> None:
                timed_out.set()
                proc.kill()

            timer = threading.Timer(timeout, kill)
            timer.start()
            try:
                _, status, usage = os.wait4(proc.pid, 0)
            finally:
                timer.cancel()
            wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        run = Run(wall, usage.ru_utime, usage.ru_stime, usage.ru_minflt)
        if timed_out.is_set():
            run.report = {"error": f"timed out after {timeout:g}s"}
        elif proc.returncode != 0 or not result.exists():
            tail = stderr_path.read_text().strip().splitlines()[-1:] or ["no output"]
            run.report = {"error": f"exit code {proc.returncode}: {tail[0]}"}
        else:
            run.report = json.loads(result.read_text())
        return run


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


def reference_stats(results: dict[str, EngineResult]) -> tuple[list[float] | None, str]:
    """pycocotools' stats, or else the stats most peers agree on exactly (and who they are)."""
    ran = {n: r.stats for n, r in results.items() if r.status == "ok" and r.stats is not None}
    if "pycocotools" in ran:
        return ran["pycocotools"], "pycocotools"
    peers = {n: s for n, s in ran.items() if n in DISTRIBUTION and n not in SHOAL_ENGINES}
    groups: dict[tuple[float, ...], list[str]] = {}
    for name, stats in peers.items():
        groups.setdefault(tuple(stats), []).append(name)
    if not groups:
        return None, "no reference (no peer ran)"
    stats, names = max(groups.items(), key=lambda item: len(item[1]))
    others = sorted(set(peers) - set(names))
    text = "the stats " + (" and ".join(names) if len(names) < 3 else ", ".join(names))
    text += " agree on exactly" if len(names) > 1 else " gives"
    if others:
        text += f" ({', '.join(others)} differ{'s' if len(others) == 1 else ''})"
    return list(stats), text + "; pycocotools skipped"


def ratio(value: float | None, base: float | None) -> str:
    return "—" if value is None or not base else f"{value / base:.2f}x"


def render_engines(size: str, meta: dict[str, Any], results: dict[str, EngineResult]) -> list[str]:
    from shoal import COCO_STAT_NAMES

    ref, ref_name = reference_stats(results)
    base = results.get("shoal")
    base_time = base.time_s if base and base.status == "ok" else None
    base_mb = base.peak_mb if base and base.status == "ok" else None
    lines = [
        f"## COCO bbox evaluation, size {size} "
        f"({meta.get('images', '?')} images, {meta.get('annotations', '?')} GT, "
        f"{meta.get('predictions', '?')} predictions)",
        "",
        "Each run is a fresh process that reads both JSON files and computes the 12 stats; "
        "medians over the runs (wall range in brackets); user and sys are the child's CPU "
        "time over all its threads; peak = the child's RSS high-water mark (max over runs). "
        f"Max abs diff is against {ref_name}.",
        "",
        "| engine | version | wall (s) | user (s) | sys (s) | peak (MB) "
        "| time vs shoal | memory vs shoal | max abs diff |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, res in results.items():
        if res.status != "ok":
            lines.append(f"| {name} | {res.version} | {res.status} | | | | | | |")
            continue
        spread = f" ({min(res.times_s):.2f}–{max(res.times_s):.2f})" if len(res.times_s) > 1 else ""
        diff = "—"
        if ref is not None and res.stats is not None:
            diff = f"{max(abs(a - b) for a, b in zip(res.stats, ref, strict=True)):.2e}"
        lines.append(
            f"| {name} | {res.version} | {fmt(res.time_s, '.2f')}{spread} "
            f"| {statistics.median(res.user_s):.2f} | {statistics.median(res.sys_s):.2f} "
            f"| {fmt(res.peak_mb, '.0f')} | {ratio(res.time_s, base_time)} "
            f"| {ratio(res.peak_mb, base_mb)} | {diff} |"
        )
    for name, res in results.items():
        if res.status == "not available":
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
    return lines


def render_queries(shoal: EngineResult | None) -> list[str]:
    if shoal and "query_count" in shoal.extra:
        x = shoal.extra
        lines = [
            f"\nshoal re-threshold queries ({x['query_count']} random (conf, iou) points on the "
            f"grid; first report+matrix {x['query_first_ms']:.1f} ms):\n",
            "| query | median (ms) | p95 (ms) |",
            "|---|---:|---:|",
        ]
        for kind in QUERY_KINDS:
            q = x[f"query_{kind}_ms"]
            lines.append(f"| {kind} | {q['median']:.2f} | {q['p95']:.2f} |")
        return lines
    if shoal and "query_error" in shoal.extra:
        return [f"\nshoal re-threshold query: not available ({shoal.extra['query_error']})"]
    return []


def median_stages(runs: list[Run]) -> dict[str, dict[str, float]]:
    """Per stage and measure, the median over runs; plus the interpreter's own share."""
    table: dict[str, dict[str, float]] = {}
    for stage in runs[0].report["stages"]:
        table[stage] = {
            key: statistics.median(run.report["stages"][stage][key] for run in runs)
            for key in ("wall_s", "user_s", "sys_s", "minor_faults", "peak_mb")
        }
    # What the process spent outside the stages: starting Python, exiting, the harness.
    outside = [
        {
            "wall_s": run.wall_s - run.report["in_process_s"],
            "user_s": run.user_s - sum(s["user_s"] for s in run.report["stages"].values()),
            "sys_s": run.sys_s - sum(s["sys_s"] for s in run.report["stages"].values()),
            "minor_faults": run.minor_faults
            - sum(s["minor_faults"] for s in run.report["stages"].values()),
        }
        for run in runs
    ]
    table["python start + exit"] = {
        key: statistics.median(o[key] for o in outside) for key in outside[0]
    }
    table["whole process"] = {
        "wall_s": statistics.median(run.wall_s for run in runs),
        "user_s": statistics.median(run.user_s for run in runs),
        "sys_s": statistics.median(run.sys_s for run in runs),
        "minor_faults": statistics.median(run.minor_faults for run in runs),
        "peak_mb": max(run.report["peak_rss_bytes"] for run in runs) / 1e6,
    }
    return table


def render_stages(engine: str, table: dict[str, dict[str, float]], count: int) -> list[str]:
    lines = [
        f"\n### Where Shoal's time goes ({engine}, stage by stage in one process, "
        f"median of {count})\n",
        "| stage | wall (s) | user (s) | sys (s) | minor page faults | peak so far (MB) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for stage, row in table.items():
        peak = fmt(row.get("peak_mb"), ".0f", "")
        lines.append(
            f"| {stage} | {row['wall_s']:.3f} | {row['user_s']:.3f} | {row['sys_s']:.3f} "
            f"| {row['minor_faults']:,.0f} | {peak} |"
        )
    return lines


def environment() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "git_commit": git_commit(),
        "shoal_threads_env": os.environ.get("SHOAL_THREADS"),
        "pythonpath": os.environ.get("PYTHONPATH"),
        "packages": {p: package_version(p) for p in (*dict.fromkeys(DISTRIBUTION.values()),)}
        | {"numpy": package_version("numpy")},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=("S", "M", "L"), default="S")
    parser.add_argument(
        "--engines",
        help=f"comma-separated, from {', '.join(ENGINES)} "
        f"(default: all; at L all but {', '.join(SLOW_AT_L)})",
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per engine")
    parser.add_argument("--stages", action="store_true", help="also time Shoal stage by stage")
    parser.add_argument("--queries", type=int, default=50, help="shoal re-threshold queries")
    parser.add_argument("--out", type=Path, help="write the markdown tables here")
    parser.add_argument("--json", type=Path, help="also write all measurements here")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per run")
    parser.add_argument("--regenerate", action="store_true", help="rewrite the data first")
    parser.add_argument("--child", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--gt", help=argparse.SUPPRESS)
    parser.add_argument("--dt", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        return child_main(args.child, args.gt, args.dt, args.result, args.queries, args.stages)

    if args.engines:
        selected = [e.strip() for e in args.engines.split(",") if e.strip()]
    else:
        selected = [e for e in ENGINES if not (args.size == "L" and e in SLOW_AT_L)]
    unknown = sorted(set(selected) - set(ENGINES))
    if unknown:
        parser.error(f"unknown engine(s): {', '.join(unknown)}; choose from {', '.join(ENGINES)}")
    data = ensure_data(args.size, args.regenerate)
    meta_path = data / "meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    started = datetime.datetime.now(datetime.UTC)
    load_before = os.getloadavg()

    results: dict[str, EngineResult] = {}
    if "shoal" in selected:
        results["shoal (first run)"] = EngineResult("shoal (first run)", package_version("shoal"))
    for engine in ENGINES:
        results[engine] = EngineResult(engine, package_version(DISTRIBUTION[engine]))
        if engine not in selected:
            results[engine].status = "skipped"

    if "shoal" in selected:
        print("shoal: first run ...", flush=True)
        if results["shoal (first run)"].record(run_child("shoal", data, args.timeout)):
            print("shoal: re-threshold queries ...", flush=True)
            report = run_child("shoal", data, args.timeout, queries=args.queries).report
            if "error" in report:
                report["query_error"] = report["error"]
            results["shoal"].extra.update(
                {k: v for k, v in report.items() if k.startswith(("query_", "shoal_source"))}
            )

    stage_engines = [e for e in ("shoal", "shoal-1-thread") if e in selected] if args.stages else []
    stage_runs: dict[str, list[Run]] = {e: [] for e in stage_engines}
    for r in range(args.repeat):
        for engine in ENGINES:
            res = results[engine]
            if res.status != "ok":
                continue
            print(f"{engine}: run {r + 1}/{args.repeat} ...", end=" ", flush=True)
            run = run_child(engine, data, args.timeout)
            if res.record(run):
                print(
                    f"{run.wall_s:.2f}s (user {run.user_s:.2f}, sys {run.sys_s:.2f}), "
                    f"{run.report['peak_rss_bytes'] / 1e6:.0f} MB",
                    flush=True,
                )
            else:
                print(f"not available ({res.error})", flush=True)
        for engine in stage_engines:
            print(f"{engine} stages: run {r + 1}/{args.repeat} ...", flush=True)
            run = run_child(engine, data, args.timeout, stages=True)
            if run.error:
                print(f"  not available ({run.error})", flush=True)
            else:
                stage_runs[engine].append(run)

    env = environment()
    load_after = os.getloadavg()
    lines = render_engines(args.size, meta, results)
    lines += render_queries(results.get("shoal"))
    stage_tables = {e: median_stages(runs) for e, runs in stage_runs.items() if runs}
    for engine, table in stage_tables.items():
        lines += render_stages(engine, table, len(stage_runs[engine]))
    source = results["shoal"].extra.get("shoal_source", "")
    lines += [
        "",
        f"Run {started:%Y-%m-%d %H:%M} UTC, {args.repeat} run{'s' * (args.repeat != 1)} "
        "per engine round-robin, "
        + (
            f"commit {env['git_commit']}"
            if not source or Path(source).is_relative_to(HERE.parent)
            else f"Shoal imported from {source}, not this checkout (commit {env['git_commit']})"
        )
        + f"; {env['cpu_count']} CPUs, load average {load_before[0]:.2f} before and "
        f"{load_after[0]:.2f} after; Python {env['python']}, {env['platform']}.",
    ]
    text = "\n".join(lines)
    print()
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
        print(f"\nwrote {args.out}")

    if args.json:
        from shoal import COCO_STAT_NAMES

        payload = {
            "size": args.size,
            "data": meta,
            "repeat": args.repeat,
            "results": {
                name: {**asdict(res), "time_s": res.time_s, "peak_mb": res.peak_mb}
                for name, res in results.items()
            },
            "stages": stage_tables,
            "stat_names": COCO_STAT_NAMES,
            "timing": "wall clock in the parent around a fresh subprocess per run; median; "
            "user/sys from wait4",
            "memory": "child's own VmHWM (fallback ru_maxrss); MB = 1e6 bytes; max over runs",
            "load_average": {"before": load_before, "after": load_after},
            "environment": env,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=2))
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
