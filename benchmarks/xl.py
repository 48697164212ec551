"""The XL benchmark: 100,000 images, about 7.8M predictions, evaluated and stored.

    python benchmarks/xl.py [--steps eval,store] [--points 100] [--timeout 3600]
                            [--out benchmarks/results/xl.md]

The data is ``generate.py --size XL`` (made in chunks when missing or stale). Every
measured step runs in a fresh ``python`` process; its time is wall clock inside it and its
peak memory the process's high-water mark (``VmHWM``; for Ray also the largest worker's,
reported by the workers themselves). MB = 10**6 bytes.

``eval``: the 12 COCO statistics from ``gt.json`` and ``predictions.json``, with the
children of ``benchmarks/distributed.py``: Shoal in one process, Shoal on a local Ray with
2 CPUs (the driver splits the COCO files into 2 partitions, one task each; Ray's start-up
is left out), and faster-coco-eval. A peer that fails or runs past ``--timeout`` is shown
as such, with why.

``store``: the same files imported into a fresh store (``from_coco``,
``from_coco_results``, both writes); the home is then copied, so two matchings start from
the same files:

* first metrics query, one process: open the store, ``metrics()`` (report, confusion
  matrix, COCO summary): reads the tables, matches, keeps the matching;
* on Ray: ``evaluate_in_partitions(model, 2, ray=...)`` on a local Ray with 2 CPUs, each
  task reading its own rows of the stored Parquet files, the kept matching written to the
  store, then the same ``metrics()``; the kept arrays of both homes are compared;
* slider: ``shoal serve`` on the first home (``--preload 0``), its first query (which
  loads the kept matching), then ``--points`` metrics queries (report + confusion matrix)
  at random confidences and COCO's ten IoUs, as the web app's sliders ask: p50/p95 of
  the server's time (``Server-Timing``) and of the whole HTTP round trip; the server
  process's peak memory.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "XL"
INCLUDE = ["report", "confusion_matrix", "coco_summary"]


def peak_bytes(pid: int | str = "self") -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


# ----------------------------------------------------------------------------- children
def child_import(home: str) -> dict[str, Any]:
    import shoal

    started = time.perf_counter()
    tables = shoal.from_coco(DATA / "gt.json")
    dataset = shoal.Store(home).create_project("bench").create_dataset("gt", tables)
    read_done = time.perf_counter()
    results = shoal.from_coco_results(DATA / "predictions.json", tables)
    dataset.create_inference_set("model", results)
    return {
        "seconds": time.perf_counter() - started,
        "dataset_seconds": read_done - started,
        "peak_bytes": peak_bytes(),
    }


def _model(home: str) -> Any:
    import shoal

    return shoal.Store(home).project("bench").dataset("gt").inference_set("model")


def _summary(metrics: Any) -> list[float]:
    return [float(v) for v in metrics.coco_summary.stats.values()]


def child_first_query(home: str) -> dict[str, Any]:
    started = time.perf_counter()
    metrics = _model(home).metrics(include=INCLUDE)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "stats": _summary(metrics), "peak_bytes": peak_bytes()}


def child_store_ray(home: str) -> dict[str, Any]:
    import ray

    from shoal.store._partitioned import evaluate_in_partitions

    started = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    ray_start = time.perf_counter() - started
    started = time.perf_counter()
    model = _model(home)
    evaluate_in_partitions(model, 2, ray="auto")
    matched = time.perf_counter() - started
    metrics = model.metrics(include=INCLUDE)
    seconds = time.perf_counter() - started
    workers = ray.get([ray.remote(peak_bytes).remote() for _ in range(8)])
    ray.shutdown()
    return {
        "seconds": seconds,
        "match_seconds": matched,
        "ray_start_s": ray_start,
        "stats": _summary(metrics),
        "peak_bytes": peak_bytes(),
        "worker_peak_bytes": max(workers),
    }


def child_compare(home_a: str, home_b: str) -> dict[str, Any]:
    """Whether the two homes keep equal matchings (every array, dtype and values)."""
    from shoal.store._evaluations import load_arrays

    def kept(home: str) -> dict[str, Any]:
        model = _model(home)
        row = model.store._row(
            "SELECT object FROM evaluations WHERE inference_set_id = ?", (model.id,)
        )
        return load_arrays(model.store.home.object_path(row["object"]) / "kept.npz")

    a, b = kept(home_a), kept(home_b)
    different = sorted(
        name
        for name in a.keys() | b.keys()
        if name not in a
        or name not in b
        or a[name].dtype != b[name].dtype
        or not np.array_equal(a[name], b[name])
    )
    return {"different": different, "arrays": len(a)}


def child_slider(home: str, points: int, seed: int) -> dict[str, Any]:
    import httpx

    sys.path.insert(0, str(HERE))
    from web_speed import _free_port, _serve

    port = _free_port()
    server = _serve(Path(home), port, preload=0)
    url = "/api/v1/projects/bench/datasets/gt/metrics"

    def query(client: httpx.Client, conf: float, iou: float) -> tuple[float, float]:
        params = {
            "inference_set": "model",
            "conf": f"{conf:.6f}",
            "iou": f"{iou:.6f}",
            "include": ["report", "confusion_matrix"],
        }
        began = time.perf_counter()
        answer = client.get(url, params=params)
        client_ms = (time.perf_counter() - began) * 1000
        answer.raise_for_status()
        return float(answer.headers["server-timing"].split("dur=")[1]), client_ms

    rng = np.random.default_rng(seed)
    grid = np.linspace(0.5, 0.95, 10)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=1200) as client:
            first_server, first_client = query(client, 0.5, 0.5)
            times = [
                query(client, float(rng.uniform(0, 1)), float(rng.choice(grid)))
                for _ in range(points)
            ]
        server_peak = peak_bytes(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=60)
    server_ms, client_ms = (np.asarray(t) for t in zip(*times, strict=True))
    return {
        "first_server_ms": first_server,
        "first_client_ms": first_client,
        "server_p50": float(np.percentile(server_ms, 50)),
        "server_p95": float(np.percentile(server_ms, 95)),
        "client_p50": float(np.percentile(client_ms, 50)),
        "client_p95": float(np.percentile(client_ms, 95)),
        "points": points,
        "server_peak_bytes": server_peak,
    }


CHILDREN = {
    "import": child_import,
    "first-query": child_first_query,
    "store-ray": child_store_ray,
    "compare": child_compare,
    "slider": child_slider,
}


# ------------------------------------------------------------------------------ parent
def _tree(root: int) -> dict[int, int]:
    """Resident bytes of a process and of every descendant (Ray's raylet and workers)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    tree, stack = {}, [root]
    while stack:
        pid = stack.pop()
        tree[pid] = rss.get(pid, 0)
        stack += children.get(pid, [])
    return tree


def _run(command: list[str], timeout: float, max_bytes: float) -> dict[str, Any]:
    """A child's JSON answer, or why there is none. The machine is shared: a child whose
    process tree holds more than ``max_bytes`` is stopped (the whole tree, by pid)."""
    started = time.monotonic()
    # Files, not pipes: a chatty child (Ray's logs) never blocks on a full pipe.
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, start_new_session=True)
        peak, why = 0, None
        while process.poll() is None:
            tree = _tree(process.pid)
            peak = max(peak, sum(tree.values()))
            if peak > max_bytes:
                why = f"stopped at {peak / 1e9:.1f} GB resident (limit {max_bytes / 1e9:.0f} GB)"
            elif time.monotonic() - started > timeout:
                why = f"did not finish within {timeout:.0f} s"
            if why is not None:
                for pid in tree:  # this step's processes, by pid
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                process.wait()
                return {"error": f"{why}, after {time.monotonic() - started:.0f} s"}
            time.sleep(0.25)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode != 0:
        last = (stderr.strip().splitlines() or ["?"])[-1]
        return {"error": f"exit {process.returncode}: {last[:160]}"}
    return dict(json.loads(stdout.strip().splitlines()[-1]))


def _mb(value: int | None) -> str:
    return "" if value is None else f"{value / 1e6:,.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default="eval,store")
    parser.add_argument("--points", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument(
        "--max-gb",
        type=float,
        default=10.0,
        help="stop a step whose processes hold more (default: %(default)s GB)",
    )
    parser.add_argument("--out", type=Path, help="also write the tables here (markdown)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        name, *rest = args.child
        extra: list[Any] = [int(v) if v.isdigit() else v for v in rest]
        print(json.dumps(CHILDREN[name](*extra)))
        return 0

    subprocess.run(
        [sys.executable, str(HERE / "generate.py"), "--size", "XL", "--if-stale"], check=True
    )
    meta = json.loads((DATA / "meta.json").read_text())
    load_before = os.getloadavg()
    lines = [
        f"XL: {meta['images']:,} images, {meta['annotations']:,} ground-truth boxes, "
        f"{meta['predictions']:,} predictions, 80 classes; {os.cpu_count()} CPUs, "
        f"load average before {load_before[0]:.1f}",
        "",
    ]
    steps = set(args.steps.split(","))
    gt, dt = str(DATA / "gt.json"), str(DATA / "predictions.json")
    if "eval" in steps:
        runs: dict[str, dict[str, Any]] = {}
        for engine in ("shoal", "shoal-ray-2", "faster-coco-eval"):
            print(f"eval: {engine}...", file=sys.stderr, flush=True)
            command = [sys.executable, str(HERE / "distributed.py"), "--child", engine, gt, dt]
            runs[engine] = _run(command, args.timeout, args.max_gb * 1e9)
        base = runs["shoal"]
        lines += [
            "| evaluation (12 COCO stats from the files) | seconds | vs one process "
            "| peak MB driver | peak MB largest worker | stats |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        names = {
            "shoal": "Shoal, one process",
            "shoal-ray-2": "Shoal on Ray (2 CPUs), 2 partitions",
            "faster-coco-eval": "faster-coco-eval",
        }
        for engine, run in runs.items():
            if "error" in run:
                lines.append(f"| {names[engine]} | {run['error']} | | | | |")
                continue
            if "error" in base:
                same = ""
            elif engine.startswith("shoal"):
                same = "identical" if run["stats"] == base["stats"] else "DIFFERENT"
            else:
                diff = max(abs(a - b) for a, b in zip(run["stats"], base["stats"], strict=True))
                same = f"max abs diff {diff:.1e}"
            ratio = "" if "error" in base else f"{run['seconds'] / base['seconds']:.2f}"
            start = f" (+ Ray start {run['ray_start_s']:.1f})" if "ray_start_s" in run else ""
            lines.append(
                f"| {names[engine]} | {run['seconds']:.1f}{start} | {ratio} "
                f"| {_mb(run['peak_bytes'])} | {_mb(run.get('worker_peak_bytes'))} | {same} |"
            )
        lines.append("")
    if "store" in steps:
        me = [sys.executable, __file__, "--child"]
        with tempfile.TemporaryDirectory(prefix="shoal-xl-") as folder:
            home_a, home_b = str(Path(folder) / "a"), str(Path(folder) / "b")
            print("store: import...", file=sys.stderr, flush=True)
            imported = _run([*me, "import", home_a], args.timeout, args.max_gb * 1e9)
            rows = [("import (read COCO, write both)", imported)]
            if "error" not in imported:
                shutil.copytree(home_a, home_b)
                print("store: first query...", file=sys.stderr, flush=True)
                first = _run([*me, "first-query", home_a], args.timeout, args.max_gb * 1e9)
                print("store: on Ray...", file=sys.stderr, flush=True)
                on_ray = _run([*me, "store-ray", home_b], args.timeout, args.max_gb * 1e9)
                rows += [
                    ("first metrics query, one process (reads, matches, keeps)", first),
                    ("on Ray (2 CPUs), 2 partitions reading their rows, then metrics", on_ray),
                ]
                compared = _run([*me, "compare", home_a, home_b], args.timeout, args.max_gb * 1e9)
                print("store: slider...", file=sys.stderr, flush=True)
                slider_command = [*me, "slider", home_a, str(args.points), str(args.seed)]
                slider = _run(slider_command, args.timeout, args.max_gb * 1e9)
            lines += [
                "| store | seconds | peak MB driver | peak MB largest worker | note |",
                "| --- | --- | --- | --- | --- |",
            ]
            for name, run in rows:
                if "error" in run:
                    lines.append(f"| {name} | {run['error']} | | | |")
                    continue
                note = ""
                if "match_seconds" in run:
                    note = (
                        f"matching {run['match_seconds']:.1f} s (+ Ray start "
                        f"{run['ray_start_s']:.1f} s); stats "
                        + ("identical" if run["stats"] == first.get("stats") else "DIFFERENT")
                        + "; kept arrays "
                        + (
                            "equal"
                            if compared.get("different") == []
                            else f"differ: {compared.get('different', compared.get('error'))}"
                        )
                    )
                elif "dataset_seconds" in run:
                    note = f"dataset {run['dataset_seconds']:.1f} s"
                lines.append(
                    f"| {name} | {run['seconds']:.1f} | {_mb(run['peak_bytes'])} "
                    f"| {_mb(run.get('worker_peak_bytes'))} | {note} |"
                )
            if "error" not in imported:
                lines += [
                    "",
                    "| slider through the REST API | p50 ms | p95 ms |",
                    "| --- | --- | --- |",
                ]
                if "error" in slider:
                    lines.append(f"| {slider['error']} | | |")
                else:
                    lines += [
                        f"| server time (Server-Timing), {slider['points']} moves "
                        f"| {slider['server_p50']:.1f} | {slider['server_p95']:.1f} |",
                        f"| HTTP round trip | {slider['client_p50']:.1f} "
                        f"| {slider['client_p95']:.1f} |",
                        "",
                        f"First query of a fresh `shoal serve --preload 0` (loads the kept "
                        f"matching): {slider['first_server_ms'] / 1000:.1f} s; server peak "
                        f"{_mb(slider['server_peak_bytes'])} MB.",
                    ]
    load_after = os.getloadavg()
    lines += ["", f"Load average after: {load_after[0]:.1f}."]
    text = "\n".join(lines)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
