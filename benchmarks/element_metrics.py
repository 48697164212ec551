"""Element metrics at M size: storing custom metrics, reading them back, querying frames by
them and sorting examples by them, each against a peer doing the same work in the same
run.

    python benchmarks/element_metrics.py [--size M] [--repeat 5]

Data: ``benchmarks/data/<size>/`` (``generate.py`` writes it), imported into a new store
and evaluated once (not timed). The values: a frame metric (5k), a label metric (~35k)
and a prediction metric (~388k), random floats keyed by id.

| step | Shoal | peer |
| --- | --- | --- |
| write | ``Dataset.add_custom_metric`` (typed, ids checked, staged, committed) | ``pyarrow.parquet.write_table`` of the same two columns |
| read | ``InferenceSet.element_metrics()``: assembled from the stored files, then again (kept assembled) | ``pyarrow.parquet.read_table`` + ``pandas.merge`` onto the predictions' ids |
| frame query | ``Dataset.query("night > 0.5")`` (a metric field) | the same query over a metadata column holding the same values |
| label query | ``Dataset.query("count(area_rank < 0.1) >= 2")`` | ``pandas`` filter + ``groupby`` count over the labels |
| sort | ``Outcomes.sorted_by(values=InferenceSet.outcome_metric_values(...))`` | ``sorted_by("confidence")`` (the built-in sort) |

Times are medians of ``--repeat`` runs (wall clock); the ratio is the peer's time over
Shoal's (above 1: Shoal is quicker).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import shoal

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "element-metrics.md"


def median_time(run: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="M")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    folder = HERE / "data" / args.size
    if not (folder / "gt.json").is_file():
        raise SystemExit(f"no data in {folder}: run benchmarks/generate.py --size {args.size}")
    import pandas as pd

    with tempfile.TemporaryDirectory() as scratch:
        home = Path(scratch) / "home"
        store = shoal.Store(home)
        tables = shoal.from_coco(folder / "gt.json")
        rng = np.random.default_rng(11)
        night = rng.random(tables.frames.num_rows)
        # The peer of the frame query: the same values as a metadata key.
        frames = tables.frames.append_column("night_meta", pa.array(night))
        dataset = store.create_project("bench").create_dataset(
            "gt", shoal.DatasetTables.build(frames, tables.labels)
        )
        model = dataset.create_inference_set(
            "model", shoal.from_coco_results(folder / "predictions.json", tables)
        )
        model.evaluate()
        frame_ids = dataset.frames().column("frame_id").to_pylist()
        label_ids = dataset.labels().column("label_id").to_pylist()
        prediction_ids = model.predictions().column("prediction_id").to_pylist()
        label_values = dict(zip(label_ids, rng.random(len(label_ids)).tolist(), strict=True))
        prediction_values = dict(
            zip(prediction_ids, rng.random(len(prediction_ids)).tolist(), strict=True)
        )
        dataset.add_custom_metric("night", dict(zip(frame_ids, night.tolist(), strict=True)))
        dataset.add_custom_metric("area_rank", label_values, level="label")
        rows: list[tuple[str, float, float]] = []

        # write: the prediction metric (388k values)
        def shoal_write() -> None:
            dataset.add_custom_metric(
                "hardness", prediction_values, level="prediction", inference_set="model",
                replace=True,
            )  # fmt: skip

        peer_path = Path(scratch) / "peer.parquet"

        def peer_write() -> None:
            table = pa.table(
                {
                    "prediction_id": list(prediction_values),
                    "hardness": list(prediction_values.values()),
                }
            )
            pq.write_table(table, peer_path, compression="zstd")

        rows.append(("write 388k prediction values", median_time(shoal_write, args.repeat),
                     median_time(peer_write, args.repeat)))  # fmt: skip

        # read back in stored order
        ids = pd.DataFrame({"prediction_id": prediction_ids})

        def peer_read() -> None:
            values = pq.read_table(peer_path).to_pandas()
            ids.merge(values, on="prediction_id", how="left")

        from shoal.store import _element_metrics

        reopened = shoal.Store(home)
        reopened_model = reopened.project("bench").dataset("gt").inference_set("model")
        reopened_model.element_metrics()  # the first read loads the files (not timed)

        def shoal_read_cold() -> None:
            _element_metrics._ASSEMBLED.clear()  # assembled again from the stored files
            reopened_model.element_metrics()

        peer_read_time = median_time(peer_read, args.repeat)
        rows.append(("read the prediction metric (assembled)", median_time(
            shoal_read_cold, args.repeat), peer_read_time))  # fmt: skip
        rows.append(("read it again (kept assembled)", median_time(
            reopened_model.element_metrics, args.repeat), peer_read_time))  # fmt: skip

        # frame query on a metric vs on metadata (the segment cache is bypassed)
        rows.append(("frame query: night > 0.5", median_time(
            lambda: dataset.query("night > 0.5"), args.repeat), median_time(
            lambda: dataset.query("night_meta > 0.5"), args.repeat)))  # fmt: skip

        # label condition vs pandas
        labels_frame = pd.DataFrame(
            {
                "frame_id": dataset.labels().column("frame_id").to_pylist(),
                "v": list(label_values.values()),
            }
        )

        def peer_count() -> None:
            small = labels_frame[labels_frame["v"] < 0.1]
            counts = small.groupby("frame_id").size()
            set(counts[counts >= 2].index)

        shoal_count = dataset.query("count(area_rank < 0.1) >= 2")
        counts = labels_frame[labels_frame["v"] < 0.1].groupby("frame_id").size()
        assert set(shoal_count) == set(counts[counts >= 2].index)
        rows.append(("label query: count(area_rank < 0.1) >= 2", median_time(
            lambda: dataset.query("count(area_rank < 0.1) >= 2"), args.repeat),
            median_time(peer_count, args.repeat)))  # fmt: skip

        # sort the examples of the default operating point
        read = model.outcomes_with_sources(conf=0.1)
        outcomes = read.outcomes

        def shoal_sort() -> None:
            values = model.outcome_metric_values(
                outcomes, "hardness", predictions=read.predictions, labels=read.labels
            )
            outcomes.sorted_by("hardness", values=values)

        rows.append((f"sort {len(outcomes):,} examples by a metric", median_time(
            shoal_sort, args.repeat), median_time(
            lambda: outcomes.sorted_by("confidence"), args.repeat)))  # fmt: skip

    lines = [
        f"# Element metrics at {args.size} (median of {args.repeat} runs)",
        "",
        "| step | Shoal (ms) | peer (ms) | peer / Shoal |",
        "|---|---:|---:|---:|",
        *(
            f"| {step} | {mine * 1000:.1f} | {peer * 1000:.1f} | {peer / max(mine, 1e-9):.2f} |"
            for step, mine, peer in rows
        ),
    ]
    print("\n".join(lines))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
