"""Colors of a projection's points (``Dataset.projection_colors``) at benchmark scale,
against peers in the same run.

    python benchmarks/projection_colors.py [--size L] [--repeat 3]
    python benchmarks/projection_colors.py --classification 1000000

``--classification N`` times a classification store instead: N frames of ten classes
(80% right, seeded), every frame a point.

The benchmark COCO data (``generate.py``) becomes a store: a dataset and one inference
set. The elements are every label crop and every prediction crop (size L: ~1.7M points)
and, separately, every frame. With the evaluation cached (as in a server after the first
request), each ``color_by`` is timed at a new operating point (the set's outcomes read) and
again (best of ``--repeat``; the outcomes at that point kept), against two peers:

* ``outcomes``: ``InferenceSet.outcomes`` at the same point, the engine's answer the
  examples page reads (the floor: colors read it and map it onto the elements);
* ``python join``: the same outcome colors joined in Python (a dict from element id to
  outcome, one lookup per element), the way a face would do it without the store's
  column kernels.

Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa

import shoal
from shoal.store import Store, _projection_colors

DATA = Path(__file__).resolve().parent / "data"


class Elements:
    """A projection's element columns (what colors read of a Projection)."""

    def __init__(self, sources: pa.Array, sets: pa.Array, ids: pa.Array, frames: pa.Array) -> None:
        self.sources, self.inference_sets, self.element_ids, self.frame_ids = (
            sources, sets, ids, frames,
        )  # fmt: skip


def best_of(repeat: int, run: Callable[[], Any]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def classification(count: int, repeat: int) -> None:
    import numpy as np

    from shoal.tables import DatasetTables, InferenceTables

    rng = np.random.default_rng(0)
    ids = pa.array([f"f{i:07d}" for i in range(count)])
    classes = np.asarray([str(c) for c in range(10)])
    truth = rng.integers(0, 10, count)
    predicted = np.where(rng.random(count) < 0.8, truth, rng.integers(0, 10, count))
    size = pa.array(np.full(count, 8, np.int32))
    with tempfile.TemporaryDirectory() as home:
        store = Store(Path(home))
        project = store.create_project("c", task="classification", classes=list(classes))
        frames = pa.table({"frame_id": ids, "image_uri": ids, "width": size, "height": size})
        labels = pa.table({"label_id": ids, "frame_id": ids, "class_name": classes[truth]})
        dataset = project.create_dataset("d", DatasetTables.build(frames, labels))
        predictions = pa.table({"prediction_id": ids, "frame_id": ids,
                                "class_name": classes[predicted], "confidence": rng.random(count)})  # fmt: skip
        inference = dataset.create_inference_set("m", InferenceTables.build(predictions))
        inference.evaluate()
        points = Elements(pa.array(["frame"] * count), pa.nulls(count, pa.string()), ids, ids)
        floor = best_of(repeat, lambda: inference.outcomes())
        print(f"{count:,} classification frames (load average {os.getloadavg()[0]:.2f}); "
              f"peer outcomes: {floor * 1000:.0f} ms")  # fmt: skip
        print("| color_by | first at the point, ms | again, ms | again / outcomes |")
        print("|---|---:|---:|---:|")
        for color_by in ("outcome", "confusion", "confidence", "f1", "class"):

            def run(c: str = color_by) -> Any:
                return dataset.projection_colors(points, c)  # type: ignore[arg-type]

            _projection_colors._kept.clear()
            first = best_of(1, run)
            again = best_of(repeat, run)
            print(f"| {color_by} | {first * 1000:.0f} | {again * 1000:.0f} | {again / floor:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="L")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--classification", type=int, default=None, metavar="N")
    args = parser.parse_args()
    if args.classification is not None:
        classification(args.classification, args.repeat)
        return
    folder = DATA / args.size
    with tempfile.TemporaryDirectory() as home:
        started = time.perf_counter()
        store = Store(Path(home))
        project = store.create_project("bench", task="detection")
        tables = shoal.from_coco(folder / "gt.json")
        dataset = project.create_dataset("val", tables)
        inference = dataset.create_inference_set(
            "model", shoal.from_coco_results(folder / "predictions.json", dataset.tables())
        )
        print(f"store built in {time.perf_counter() - started:.1f} s "
              f"(load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs)")  # fmt: skip
        started = time.perf_counter()
        inference.evaluate()
        print(f"evaluation (matching) in {time.perf_counter() - started:.1f} s")

        labels, predictions = dataset.labels(), inference.predictions()
        n_labels, n_predictions = labels.num_rows, predictions.num_rows
        crops = Elements(
            pa.concat_arrays([pa.array(["label"] * n_labels), pa.array(["prediction"] * n_predictions)]),
            pa.concat_arrays([pa.nulls(n_labels, pa.string()), pa.array(["model"] * n_predictions)]),
            pa.concat_arrays([labels["label_id"].combine_chunks(), predictions["prediction_id"].combine_chunks()]),
            pa.concat_arrays([labels["frame_id"].combine_chunks(), predictions["frame_id"].combine_chunks()]),
        )  # fmt: skip
        frame_ids = dataset.frames()["frame_id"].combine_chunks()
        frames = Elements(
            pa.array(["frame"] * len(frame_ids)), pa.nulls(len(frame_ids), pa.string()),
            frame_ids, frame_ids,
        )  # fmt: skip
        count = len(crops.element_ids)
        print(f"{count:,} crop points ({n_labels:,} labels, {n_predictions:,} predictions), "
              f"{len(frame_ids):,} frame points")  # fmt: skip

        floor = best_of(args.repeat, lambda: inference.outcomes())
        print(f"peer outcomes (the engine's answer at the point): {floor * 1000:.0f} ms")

        def python_join() -> list[str | None]:
            answer = inference.outcomes_with_sources()
            rows = answer.outcomes
            label_ids = answer.labels["label_id"].to_pylist()
            prediction_ids = answer.predictions["prediction_id"].to_pylist()
            by_key: dict[tuple[str, str], str] = {}
            for kind, engine_id, outcome in zip(
                rows.kind.tolist(), rows.id.tolist(), rows.outcome.tolist(), strict=True
            ):
                if kind == "prediction":
                    by_key[("prediction", prediction_ids[engine_id - 1])] = outcome
                else:
                    by_key[("label", label_ids[engine_id - 1])] = outcome
            return [
                by_key.get((source, element))
                for source, element in zip(
                    crops.sources.to_pylist(), crops.element_ids.to_pylist(), strict=True
                )
            ]

        joined = best_of(1, python_join)
        print(f"peer python join (outcome per crop): {joined * 1000:.0f} ms")
        print()
        print(
            "| color_by | points | first at the point, ms | again, ms | again / outcomes | python join / first |"
        )
        print("|---|---:|---:|---:|---:|---:|")
        schemes = ["outcome", "confusion", "confidence", "precision", "f1", "class"]
        for which, elements, names in (
            ("crops", crops, schemes),
            ("frames", frames, ["outcome", "confusion", "f1"]),
        ):
            for color_by in names:

                def run(c: str = color_by, e: Elements = elements) -> Any:
                    return dataset.projection_colors(e, c)  # type: ignore[arg-type]

                _projection_colors._kept.clear()  # the set's outcomes at the point: not kept
                first = best_of(1, run)
                again = best_of(args.repeat, run)
                ratio = joined / first if color_by == "outcome" and which == "crops" else None
                print(
                    f"| {color_by} ({which}) | {len(elements.element_ids):,} | "
                    f"{first * 1000:.0f} | {again * 1000:.0f} | {again / floor:.1f} | "
                    + (f"{ratio:.1f}x |" if ratio is not None else "- |")
                )


if __name__ == "__main__":
    main()
