"""The Embeddings tab's frame time while panning, in Debian's chromium, at 100k and 1M points.

    python benchmarks/web_embeddings.py [--sizes 100000 1000000] [--drags 3] [--out FILE]

For each size a dataset of that many frames with 16-d frame vectors (50 clustered
Gaussians, seeded) and a `cluster` metadata key is stored, its PCA projection computed
through REST, and the real app opened in chromium (Playwright, 1440 x 1000) on the
Embeddings tab colored by the cluster. Measured in the page: the time from opening the
tab to the first drawn frame (points and colors downloaded, decoded, uploaded to the GPU),
then, over `--drags` scripted drags of 120 mouse moves each (real input events), the
time of each animation frame (requestAnimationFrame timestamps) in which the scatter
drew: frames that moved its texture of the points (panning) and frames that drew every
point again (when the view rests after a drag); then every point is selected, saved as a
segment and added to a new issue, each timed until the view says it is done
(`--no-actions` skips that). Headless chromium draws WebGL with
SwiftShader on the CPU (no GPU here), so the numbers are a floor of what a desktop GPU
gives. The 1M row's ratios to the 100k row are printed; nothing is asserted.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import shoal  # noqa: E402
from shoal.tables import LABELS_SCHEMA, PREDICTIONS_SCHEMA, DatasetTables, InferenceTables  # noqa: E402
from test_browser import CHROMIUM, CHROMIUM_ARGS, _start, _stop  # noqa: E402

DIMENSION = 16
PROJECT = "bench"


def _dataset(store: shoal.Store, n: int) -> str:
    rng = np.random.default_rng(n)
    centres = rng.normal(size=(50, DIMENSION)).astype(np.float32) * 4
    cluster = rng.integers(0, 50, n)
    vectors = centres[cluster] + rng.normal(size=(n, DIMENSION)).astype(np.float32)
    ids = pa.array([f"f{i:07d}" for i in range(n)])
    frames = pa.table({"frame_id": ids, "cluster": pa.array([f"c{c:02d}" for c in cluster])})
    flat = pa.array(vectors.reshape(-1), pa.float32())
    offsets = pa.array(np.arange(0, n * DIMENSION + 1, DIMENSION, dtype=np.int32))
    embeddings = pa.table(
        {
            "frame_id": ids,
            "target_id": pa.nulls(n, pa.string()),
            "model_id": pa.array(["bench"] * n),
            "vector": pa.ListArray.from_arrays(offsets, flat),
        }
    )
    project = store.project(PROJECT)
    name = f"points-{n}"
    dataset = project.create_dataset(
        name, DatasetTables.build(frames, LABELS_SCHEMA.empty_table(), embeddings)
    )
    dataset.create_inference_set("none", InferenceTables.build(PREDICTIONS_SCHEMA.empty_table()))
    return name


# Each animation frame's timestamp and what the scatter did in the frame before it: 0
# nothing, 1 moved its texture of the points, 2 drew the points (its `data-frames` and
# `data-renders` counters): the interval ending a frame is that frame's time.
_RECORD = """() => {
  const scatter = document.querySelector('[data-testid=embedding-scatter]');
  window.__frames = [];
  window.__recording = true;
  let frames = scatter.dataset.frames, renders = scatter.dataset.renders;
  const tick = (t) => {
    if (!window.__recording) return;
    const f = scatter.dataset.frames, r = scatter.dataset.renders;
    window.__frames.push([t, r !== renders ? 2 : f !== frames ? 1 : 0]);
    frames = f;
    renders = r;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""


def _stats(values: list[float]) -> tuple[float, float, float]:
    """Median, p95 and max (NaN when empty)."""
    if not values:
        return (float("nan"),) * 3
    ordered = sorted(values)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))], ordered[-1]


def _measure(page: Any, base: str, dataset: str, drags: int, with_actions: bool) -> dict[str, Any]:
    view = f"#view=embeddings&project={PROJECT}&dataset={dataset}&set=none&emb_method=pca&color_by=metadata:cluster"
    page.goto(f"{base}/#view=metrics&project={PROJECT}&dataset={dataset}&set=none")
    page.wait_for_selector("[role=tab]")
    start = time.perf_counter()
    page.evaluate(f"() => {{ window.location.hash = {view!r}.slice(1); }}")
    page.wait_for_selector("[data-testid=embedding-scatter][data-frames]", timeout=600_000)
    first_frame = time.perf_counter() - start
    # Of which: the points' and the colors' requests, as the page's resource timing has them.
    fetched: dict[str, float] = page.evaluate(
        """() => Object.fromEntries(performance.getEntriesByType('resource')
          .filter((e) => /projection\\/(points|colors)/.test(e.name))
          .map((e) => [e.name.match(/projection\\/(points|colors)/)[1], e.duration / 1000]))"""
    )
    box = page.get_by_test_id("embedding-scatter").bounding_box()
    page.get_by_role("button", name="Pan").click()

    moved: list[float] = []
    drawn: list[float] = []
    for _ in range(drags):
        page.wait_for_timeout(400)  # the view at rest, its points drawn
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.evaluate(_RECORD)
        page.mouse.down()
        for k in range(120):
            page.mouse.move(x + 2 * (k if k < 60 else 120 - k), y + (k % 30))
        page.mouse.up()
        page.wait_for_timeout(2000)  # and the points drawn again once the view rests
        stamps: list[list[Any]] = page.evaluate(
            "() => { window.__recording = false; return window.__frames; }"
        )
        for (a, _), (b, what) in itertools.pairwise(stamps):
            if what == 1:
                moved.append(b - a)
            elif what == 2:
                drawn.append(b - a)
    # The selection's actions on every point: select all shown, save as a segment, add to a new issue.
    actions: dict[str, float] = {}
    if with_actions:
        panel = page.locator(".selection-panel")
        t = time.perf_counter()
        page.get_by_role("button", name="All shown").click()
        page.get_by_test_id("selection-count").wait_for()
        actions["select_all_s"] = time.perf_counter() - t
        page.get_by_label("Segment name").fill("everything")
        t = time.perf_counter()
        page.get_by_role("button", name="Save as segment").click()
        panel.get_by_text("Saved segment everything").wait_for(timeout=900_000)
        actions["segment_s"] = time.perf_counter() - t
        page.get_by_label("Issue name").fill(
            f"everything in {dataset}"
        )  # issue names are the project's
        t = time.perf_counter()
        page.get_by_role("button", name="Add to issue").click()
        panel.get_by_text(f"Created issue everything in {dataset}").wait_for(timeout=900_000)
        actions["issue_s"] = time.perf_counter() - t
    return {
        **actions,
        "first_frame_s": first_frame,
        "points_s": fetched.get("points", float("nan")),
        "colors_s": fetched.get("colors", float("nan")),
        "moved": _stats(moved),
        "drawn": _stats(drawn),
        "moved_count": len(moved),
        "drawn_count": len(drawn),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--drags", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--no-actions", action="store_true", help="skip selecting every point, saving and adding it"
    )
    args = parser.parse_args()
    if CHROMIUM is None or not (ROOT / "src/shoal/server/_webapp/index.html").is_file():
        print("needs Debian's chromium and the built web app: `make web chromium`", file=sys.stderr)
        raise SystemExit(2)
    from playwright.sync_api import sync_playwright

    home = Path(tempfile.mkdtemp(prefix="shoal-web-embeddings-"))
    try:
        store = shoal.Store(home / "home")
        store.create_project(PROJECT, task="detection", classes=["thing"])
        rows: list[tuple[int, dict[str, Any], float, float]] = []
        names = {}
        for n in args.sizes:
            t = time.perf_counter()
            names[n] = _dataset(store, n)
            print(f"stored {n:,} frames in {time.perf_counter() - t:.1f} s", flush=True)
        process, base = _start(home / "home")
        try:
            with httpx.Client(base_url=base, timeout=600) as api, sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for n in args.sizes:
                    path = f"/api/v1/projects/{PROJECT}/datasets/{names[n]}/projection"
                    t = time.perf_counter()
                    assert api.post(path, params={"method": "pca"}).status_code == 202
                    while api.get(path, params={"method": "pca"}).status_code != 200:
                        time.sleep(0.2)
                    projection_s = time.perf_counter() - t
                    t = time.perf_counter()
                    colors = api.get(
                        f"{path}/colors", params={"method": "pca", "color_by": "metadata:cluster"}
                    )
                    colors_s = time.perf_counter() - t
                    assert colors.status_code == 200, colors.text
                    context = browser.new_context(viewport={"width": 1440, "height": 1000})
                    page = context.new_page()
                    renderer = page.evaluate(
                        "() => { const gl = document.createElement('canvas').getContext('webgl2');"
                        " const d = gl.getExtension('WEBGL_debug_renderer_info');"
                        " return d ? gl.getParameter(d.UNMASKED_RENDERER_WEBGL) : 'unknown'; }"
                    )
                    result = _measure(page, base, names[n], args.drags, not args.no_actions)
                    context.close()
                    rows.append((n, result, projection_s, colors_s))
                    print(
                        f"{n:,}: {result} (projection {projection_s:.1f} s, colors {colors_s:.2f} s)",
                        flush=True,
                    )
                browser.close()
        finally:
            _stop(process)
    finally:
        shutil.rmtree(home, ignore_errors=True)

    load = os.getloadavg()
    lines = [
        "# Embedding view: frame time while panning (chromium)",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, load average {load[0]:.1f} at the end; "
        f"chromium headless, WebGL2 renderer: {renderer}. "
        "`python benchmarks/web_embeddings.py` (same run for every row).",
        "",
        "| points | first frame (s) | of which points / colors requests (s) | panning frame median / p95 / max (ms) | frames | points drawn again: median / max (ms) | times | PCA via REST (s) | colors (s) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for n, r, projection_s, colors_s in rows:
        lines.append(
            f"| {n:,} | {r['first_frame_s']:.2f} | {r['points_s']:.2f} / {r['colors_s']:.2f} | {r['moved'][0]:.1f} / {r['moved'][1]:.1f} / {r['moved'][2]:.1f} "
            f"| {r['moved_count']} | {r['drawn'][0]:.1f} / {r['drawn'][2]:.1f} | {r['drawn_count']} "
            f"| {projection_s:.1f} | {colors_s:.2f} |"
        )
    if not args.no_actions:
        lines += [
            "",
            "Every point selected (All shown), then saved as a segment of its frames and added to a new issue"
            " (the elements resolved through `POST .../projection/elements`, then the segment's and the issue's POST):",
            "",
            "| points | select all (s) | save as segment (s) | add to a new issue (s) |",
            "| ---: | ---: | ---: | ---: |",
        ]
        for n, r, _, _ in rows:
            lines.append(
                f"| {n:,} | {r['select_all_s']:.2f} | {r['segment_s']:.1f} | {r['issue_s']:.1f} |"
            )
    if len(rows) >= 2:
        (n0, r0, *_), (n1, r1, *_) = rows[0], rows[-1]
        lines += [
            "",
            f"{n1:,} vs {n0:,} points: panning frame median x{r1['moved'][0] / r0['moved'][0]:.2f}, "
            f"p95 x{r1['moved'][1] / r0['moved'][1]:.2f}; drawing the points again x{r1['drawn'][0] / r0['drawn'][0]:.2f}; "
            f"first frame x{r1['first_frame_s'] / r0['first_frame_s']:.2f}.",
        ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
