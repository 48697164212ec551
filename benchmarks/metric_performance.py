"""Performance by metric and metric importance at M size, Shoal against a pandas /
scikit-learn implementation of Encord Active's approach, in the same run.

    python benchmarks/metric_performance.py [--size M] [--conf 0.3] [--repeat 5]

Data: ``benchmarks/data/<size>/`` (``generate.py`` writes it) imported into a new store,
evaluated once (not timed), with eight custom metrics added (frame: a night score tied to
the misses, its noise, the label count, a random id; label and prediction: the box's
aspect ratio, its area over the image's, its distance to the border, a random score),
besides the built-in ``confidence`` and ``area``.

Shoal (the store's methods, as the REST API calls them): ``metric_performance`` of one
metric, first after the store opened (reading the operating point's objects) and then
each metric again (median); ``metric_importance`` over every metric (median).

Peer, on the same objects and outcomes (Shoal's matching, so only the analysis is
compared), as Encord Active computes it (docs/insights.md): per metric, the values
joined to the predictions and labels by id with ``pandas.merge``; importance
``sklearn.feature_selection.mutual_info_regression(values.fillna(0), iou * tp,
random_state=42)``; correlation ``values.fillna(0).corr(tp)``; precision per
``pandas.qcut(values, 10, duplicates="drop")`` bin (a ``groupby`` mean of TP over the
predictions) and FNR per bin over the labels. Times are wall clock in this process;
the ratio is the peer's over Shoal's.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

import shoal

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "metric-performance.md"
METRICS_PER_FRAME = ("night", "night_noise", "labels_here", "random_id")
METRICS_PER_OBJECT = ("box_aspect", "box_share", "border", "random_score")


def _object_metrics(
    table: Any, frames: dict[str, tuple[float, float]], seed: int
) -> dict[str, dict[str, float]]:
    """Box aspect ratio, area over the image's, distance to the border (over the image
    side) and a random score of each row of a labels or predictions table."""
    rng = np.random.default_rng(seed)
    key = table.column_names[0]
    ids = table.column(key).to_pylist()
    frame_ids = table.column("frame_id").to_pylist()
    x, y, w, h = (
        np.asarray(table.column(c).to_numpy(zero_copy_only=False), float)
        for c in ("x", "y", "width", "height")
    )
    size = np.array([frames[f] for f in frame_ids])
    width, height = size[:, 0], size[:, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        aspect = np.where(h > 0, w / h, np.nan)
    share = w * h / (width * height)
    border = np.minimum.reduce(
        [x / width, y / height, (width - x - w) / width, (height - y - h) / height]
    )
    score = rng.uniform(size=len(ids))
    columns = {"box_aspect": aspect, "box_share": share, "border": border, "random_score": score}
    return {name: dict(zip(ids, values.tolist(), strict=True)) for name, values in columns.items()}


def build(folder: Path, home: Path) -> None:
    store = shoal.Store(home)
    tables = shoal.from_coco(folder / "gt.json")
    dataset = store.create_project("bench").create_dataset("gt", tables)
    inference = dataset.create_inference_set(
        "model", shoal.from_coco_results(folder / "predictions.json", tables)
    )
    inference.evaluate()
    frames_table = dataset.frames()
    frame_ids = frames_table.column("frame_id").to_pylist()
    sizes = dict(
        zip(
            frame_ids,
            zip(
                frames_table.column("width").to_pylist(),
                frames_table.column("height").to_pylist(),
                strict=True,
            ),
            strict=True,
        )
    )
    rng = np.random.default_rng(7)
    labels = dataset.labels()
    per_frame = np.bincount(
        np.searchsorted(
            np.array(sorted(frame_ids)), np.array(labels.column("frame_id").to_pylist())
        ),
        minlength=len(frame_ids),
    )
    order = {f: i for i, f in enumerate(sorted(frame_ids))}
    # "night": each frame's share of missed labels at conf 0.3, blurred with noise, so
    # that one metric does tell where the model fails.
    outcomes = inference.outcomes(conf=0.3)
    labels_rows = outcomes.kind_code == 1
    position = {f: i for i, f in enumerate(frame_ids)}
    frame_of = np.array(
        [position[f] for f in outcomes.frame_id[labels_rows].astype(str).tolist()], np.int64
    )
    missed = np.bincount(
        frame_of, weights=outcomes.outcome_code[labels_rows] == 2, minlength=len(frame_ids)
    )
    total = np.bincount(frame_of, minlength=len(frame_ids))
    share = np.divide(missed, total, out=np.zeros(len(frame_ids)), where=total > 0)
    night = 0.6 * share + 0.4 * rng.uniform(size=len(frame_ids))
    frame_values = {
        "night": {f: float(night[i]) for i, f in enumerate(frame_ids)},
        "night_noise": {
            f: float(night[i] + rng.normal(scale=0.5)) for i, f in enumerate(frame_ids)
        },
        "labels_here": {f: float(per_frame[order[f]]) for f in frame_ids},
        "random_id": {f: float(rng.uniform()) for f in frame_ids},
    }
    for name, values in frame_values.items():
        dataset.add_custom_metric(name, values)
    for name, values in _object_metrics(labels, sizes, 1).items():
        dataset.add_custom_metric(name, values, level="label")
    for name, values in _object_metrics(inference.predictions(), sizes, 2).items():
        dataset.add_custom_metric(name, values, level="prediction", inference_set="model")
    store.close()


def time_it(run: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    value = run()
    return time.perf_counter() - started, value


def peer_inputs(inference: shoal.store.InferenceSet, conf: float) -> dict[str, Any]:
    """The objects and outcomes (Shoal's) and the metric tables, as pandas frames."""
    import pandas as pd

    read = inference.outcomes_with_sources(conf=conf)
    o = read.outcomes
    p = o.kind_code == 0
    predictions = pd.DataFrame({
        "prediction_id": np.asarray(read.predictions.column("prediction_id").to_pylist(), object)[o.id[p] - 1],
        "frame_id": o.frame_id[p], "tp": (o.outcome_code[p] == 0).astype(float), "iou": o.iou[p],
        "confidence": o.confidence[p], "area": o.area[p],
    })  # fmt: skip
    labels = pd.DataFrame({
        "label_id": np.asarray(read.labels.column("label_id").to_pylist(), object)[o.id[~p] - 1],
        "frame_id": o.frame_id[~p], "fn": (o.outcome_code[~p] == 2).astype(float), "area": o.area[~p],
    })  # fmt: skip
    dataset = inference.dataset
    return {
        "predictions": predictions,
        "labels": labels,
        "frame": dataset.element_metrics("frame").to_pandas(),
        "label": dataset.element_metrics("label").to_pandas(),
        "prediction": inference.element_metrics().to_pandas(),
    }


def peer_metric(inputs: dict[str, Any], metric: str) -> dict[str, Any]:
    """Encord Active's importance, correlation and performance by metric of one metric."""
    import pandas as pd
    from sklearn.feature_selection import mutual_info_regression

    predictions, labels = inputs["predictions"], inputs["labels"]
    if metric in ("confidence", "area"):
        p_values = predictions[metric]
        g_values = labels["area"] if metric == "area" else pd.Series(np.nan, index=labels.index)
    elif metric in METRICS_PER_FRAME:
        frame = inputs["frame"][["frame_id", metric]]
        p_values = predictions[["frame_id"]].merge(frame, on="frame_id", how="left")[metric]
        g_values = labels[["frame_id"]].merge(frame, on="frame_id", how="left")[metric]
    else:
        p_values = predictions[["prediction_id"]].merge(
            inputs["prediction"][["prediction_id", metric]], how="left"
        )[metric]
        g_values = labels[["label_id"]].merge(inputs["label"][["label_id", metric]], how="left")[
            metric
        ]
    target = predictions["iou"].to_numpy() * predictions["tp"].to_numpy()
    filled = p_values.fillna(0).to_numpy().reshape(-1, 1)
    importance = float(mutual_info_regression(filled, target, random_state=42)[0])
    correlation = float(p_values.fillna(0).corr(predictions["tp"]))
    precision = (
        predictions["tp"].groupby(pd.qcut(p_values, 10, duplicates="drop"), observed=True).mean()
    )
    fnr = (
        labels["fn"].groupby(pd.qcut(g_values, 10, duplicates="drop"), observed=True).mean()
        if g_values.notna().any()
        else None
    )
    return {
        "importance": importance,
        "correlation": correlation,
        "precision": precision,
        "fnr": fnr,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="M")
    parser.add_argument("--conf", type=float, default=0.3)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    folder = HERE / "data" / args.size
    if not (folder / "gt.json").exists():
        raise SystemExit(f"no {folder}; run: python benchmarks/generate.py --size {args.size}")

    with tempfile.TemporaryDirectory() as home:
        built, _ = time_it(lambda: build(folder, Path(home)))
        print(f"store built and evaluated, metrics added: {built:.1f} s")
        # A new store object: nothing of this operating point is kept yet.
        store = shoal.Store(home)
        inference = store.project("bench").dataset("gt").inference_set("model")
        inference.evaluate()
        first, _ = time_it(lambda: inference.metric_performance("night", conf=args.conf))
        ranked_time, ranked = time_it(lambda: inference.metric_importance(conf=args.conf))
        names = [m.metric for m in ranked]
        per_metric: dict[str, float] = {}
        for name in names:
            per_metric[name] = statistics.median(
                time_it(lambda name=name: inference.metric_performance(name, conf=args.conf))[0]
                for _ in range(args.repeat)
            )
        importance_all = statistics.median(
            time_it(lambda: inference.metric_importance(conf=args.conf))[0]
            for _ in range(args.repeat)
        )
        objects = len(inference.outcomes(conf=args.conf))

        inputs_time, inputs = time_it(lambda: peer_inputs(inference, args.conf))
        peer_per_metric: dict[str, float] = {}
        peer_answers: dict[str, Any] = {}
        for name in names:
            elapsed, peer_answers[name] = time_it(lambda name=name: peer_metric(inputs, name))
            peer_per_metric[name] = elapsed
        store.close()

    shoal_all = sum(per_metric.values())
    peer_all = sum(peer_per_metric.values())
    worst = max(per_metric.values())
    lines = [
        f"# Performance by metric at {args.size} (conf {args.conf}, {objects:,} objects, {len(names)} metrics)",
        "",
        f"- Shoal, first metric after the store opened (reads the operating point's objects): {first * 1000:.0f} ms",
        f"- Shoal, one metric after the first: median {statistics.median(per_metric.values()) * 1000:.0f} ms, "
        f"slowest {worst * 1000:.0f} ms (budget 200 ms)",
        f"- Shoal, importance of every metric (`metric_importance`): {importance_all * 1000:.0f} ms "
        f"(first call {ranked_time * 1000:.0f} ms)",
        f"- Peer (pandas + scikit-learn, Encord's approach), every metric: {peer_all:.2f} s "
        f"(+ {inputs_time:.2f} s building its frames)",
        f"- Ratio peer / Shoal, every metric's performance and importance: {peer_all / shoal_all:.1f}x; "
        f"importance ranking alone: {peer_all / importance_all:.1f}x",
        "",
        "| metric | Shoal metric_performance (ms) | peer (ms) | ratio | Shoal importance | Encord importance (nats) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    by_name = {m.metric: m.association for m in ranked}
    for name in names:
        shown = by_name[name].importance
        lines.append(
            f"| {name} | {per_metric[name] * 1000:.0f} | {peer_per_metric[name] * 1000:.0f} | "
            f"{peer_per_metric[name] / per_metric[name]:.1f}x | {'-' if shown is None else f'{shown:.3f}'} | "
            f"{peer_answers[name]['importance']:.3f} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
