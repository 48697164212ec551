"""End-to-end COCO bbox evaluation benchmark: Shoal against four COCO evaluators.

    python benchmarks/coco_eval.py --size M [--engines shoal,hotcoco,...] [--repeat 3]
                                   [--stages] [--queries 50] [--out results.md] [--json out.json]

Every run is a fresh ``python`` subprocess (``_coco_child.py``, which loads nothing but
its engine) that imports its engine, reads ``gt.json`` and ``predictions.json`` from disk,
evaluates and produces the 12 COCO summary stats, so import, JSON parsing, threads and peak
memory all count and are per engine. Each engine is used the way its own documentation
shows for COCO bbox evaluation.

* Shoal runs from a wheel of this checkout installed into a temporary folder as pip
  installs it (bytecode compiled, as the peers' installs are): ``--shoal-from checkout``
  runs the checkout instead (whose bytecode may not be cached: see PYTHONDONTWRITEBYTECODE).

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
  at random operating points, and the first report + matrix at new IoUs off the grid.
* ``--store`` (on by default): the data imported into a fresh store, then the store's
  first evaluation of the inference set (Parquet read, matching, the matching kept on
  disk) and a later process's (the kept matching read), each timed inside a fresh process.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
RESULTS = HERE / "results"
CHILD = HERE / "_coco_child.py"
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
QUERY_KINDS = ("report", "confusion_matrix", "report+matrix", "outcomes", "pr_curve")
# Where Shoal's runs import it from: None for this checkout, else a folder holding an
# installed wheel (``install_wheel``), put first on their PYTHONPATH.
shoal_site: Path | None = None


def child_environment(engine: str) -> dict[str, str]:
    """The environment of a run: Shoal's thread count is its default unless the row says 1;
    Shoal's runs import it from ``shoal_site`` when set."""
    env = {k: v for k, v in os.environ.items() if k != "SHOAL_THREADS"}
    if engine == "shoal-1-thread":
        env["SHOAL_THREADS"] = "1"
    if shoal_site is not None and engine.startswith("shoal"):
        env["PYTHONPATH"] = os.pathsep.join(
            [str(shoal_site), *filter(None, [env.get("PYTHONPATH")])]
        )
    return env


def install_wheel(folder: Path) -> Path:
    """Build a wheel of this checkout and install it (no dependencies: they are this
    environment's) into ``folder``/site as pip installs it, bytecode compiled."""
    wheels, site = folder / "wheel", folder / "site"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(wheels), str(HERE.parent)], check=True)
    (wheel,) = wheels.glob("shoal-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(wheel)], check=True)
    return site


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
    engine: str,
    data: Path,
    timeout: float,
    *,
    queries: int = 0,
    stages: bool = False,
    store_home: Path | None = None,
) -> Run:
    """One fresh subprocess, reaped with wait4 so its own CPU time and faults are known."""
    with tempfile.TemporaryDirectory(prefix="shoal-bench-") as tmp:
        result, stderr_path = Path(tmp) / "result.json", Path(tmp) / "stderr.txt"
        cmd = [sys.executable, str(CHILD), engine, str(data / "gt.json")]
        cmd += [str(data / "predictions.json"), str(result), "--queries", str(queries)]
        cmd += ["--stages"] if stages else []
        cmd += ["--store-home", str(store_home)] if store_home is not None else []
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


NEW_IOU_ROWS = {
    "new_iou": "report+matrix, first at a new IoU off the grid (0.5-0.95)",
    "new_iou_below_grid": "report+matrix, first at a new IoU below the grid (0.1-0.5)",
}


def render_store(runs: dict[str, list[Run]]) -> list[str]:
    """The store's evaluation of the imported inference set, first and later."""
    rows = {
        "first evaluation (Parquet read, matching, kept on disk)": runs.get("first", []),
        "a later process's (kept matching read)": runs.get("reopen", []),
    }
    if not any(rows.values()):
        return []
    lines = [
        "\nThe store (the same data imported into a fresh store; each evaluation timed "
        "inside a fresh process, the store opened and Shoal loaded beforehand):\n",
        "| store evaluation | median (s) | runs | peak (MB) |",
        "|---|---:|---:|---:|",
    ]
    for text, done in rows.items():
        if done:
            seconds = statistics.median(run.report["evaluate_s"] for run in done)
            peak = max(run.report["peak_rss_bytes"] for run in done) / 1e6
            lines.append(f"| {text} | {seconds:.3f} | {len(done)} | {peak:.0f} |")
    return lines


def measure_store(data: Path, repeat: int, timeout: float) -> dict[str, list[Run]]:
    """Import the data into a store once, then per repeat: a copy of it (nothing kept
    yet) evaluated in a fresh process, and again in another (the kept matching read)."""
    runs: dict[str, list[Run]] = {"first": [], "reopen": []}
    with tempfile.TemporaryDirectory(prefix="shoal-bench-store-") as tmp:
        imported = Path(tmp) / "imported"
        done = run_child("shoal-store-import", data, timeout, store_home=imported)
        if done.error:
            print(f"store: not available ({done.error})", flush=True)
            return runs
        for r in range(repeat):
            home = Path(tmp) / f"run-{r}"
            shutil.copytree(imported, home)
            for kind in ("first", "reopen"):
                run = run_child("shoal-store", data, timeout, store_home=home)
                if run.error:
                    print(f"store {kind}: not available ({run.error})", flush=True)
                    return runs
                print(f"store {kind}: {run.report['evaluate_s']:.3f}s", flush=True)
                runs[kind].append(run)
            shutil.rmtree(home)
    return runs


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
        for name, text in NEW_IOU_ROWS.items():
            if f"query_{name}_ms" in x:
                q = x[f"query_{name}_ms"]
                lines.append(
                    f"| {text} ({q['count']} IoUs; max {q['max']:.2f}) "
                    f"| {q['median']:.2f} | {q['p95']:.2f} |"
                )
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
    parser.add_argument(
        "--shoal-from",
        choices=("wheel", "checkout"),
        default="wheel",
        help="run Shoal from a wheel of this checkout installed as pip does (default) "
        "or from the checkout itself",
    )
    parser.add_argument(
        "--store",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time the store's evaluation of the data (default: on)",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="shoal-bench-wheel-") as wheel_folder:
        if args.shoal_from == "wheel":
            global shoal_site
            print("shoal: building and installing a wheel of this checkout ...", flush=True)
            shoal_site = install_wheel(Path(wheel_folder))
        return run_benchmark(parser, args)


def run_benchmark(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Every engine's runs, round-robin, then the tables."""
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

    store_runs = measure_store(data, args.repeat, args.timeout) if args.store else {}
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
    lines += render_store(store_runs)
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
            else f"commit {env['git_commit']}, Shoal from a wheel of the checkout installed as "
            "pip does"
            if shoal_site is not None and Path(source).is_relative_to(shoal_site)
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
            "store": {
                kind: {
                    "evaluate_s": [run.report["evaluate_s"] for run in done],
                    "peak_mb": [run.report["peak_rss_bytes"] / 1e6 for run in done],
                }
                for kind, done in store_runs.items()
            },
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
