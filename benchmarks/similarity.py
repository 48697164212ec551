"""Similar elements: exact NumPy search against the faiss inverted-file index, same run.

    python benchmarks/similarity.py [--sizes 100000 1000000] [--dimension 512] [--queries 100]

Vectors are clustered Gaussians (50 centres, unit-normalized for cosine), generated with
a fixed seed; the queries are stored rows (each excluded from its own answer, as an
element is from "more like this one"). For each size: the index build time, one query's
median time by exact search and through the index (each query alone, as the web app
asks), and the index's recall@10 against exact search. Ratios are printed; nothing is
asserted (timings belong here, not in tests).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from shoal.analysis.similarity import ExactSearch, VectorIndex


def clustered(n: int, d: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(50, d)).astype(np.float32) * 3
    out = np.empty((n, d), np.float32)
    for start in range(0, n, 100_000):
        size = min(100_000, n - start)
        out[start : start + size] = centres[rng.integers(0, 50, size)]
        out[start : start + size] += rng.normal(size=(size, d)).astype(np.float32)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--dimension", type=int, default=512)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args()
    print(f"| vectors x {args.dimension} | index build | exact, 1 query | index, 1 query "
          f"| exact / index | recall@{args.k} |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- |")
    for n in args.sizes:
        vectors = clustered(n, args.dimension)
        rows = np.random.default_rng(1).choice(n, size=args.queries, replace=False).tolist()
        start = time.perf_counter()
        index = VectorIndex.build(vectors)
        build = time.perf_counter() - start
        exact_search = ExactSearch(vectors)  # prepared once, as the store keeps it
        exact_times, index_times, recalls = [], [], []
        for row in rows:
            start = time.perf_counter()
            exact = exact_search.search(vectors[[row]], args.k, exclude=[row])
            exact_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            found = index.search(vectors[[row]], args.k, exclude=[row])
            index_times.append(time.perf_counter() - start)
            recalls.append(len(set(exact.rows.tolist()) & set(found.rows.tolist())) / args.k)
        exact_ms = statistics.median(exact_times) * 1000
        index_ms = statistics.median(index_times) * 1000
        print(
            f"| {n:,} | {build:.1f} s | {exact_ms:.1f} ms | {index_ms:.1f} ms "
            f"| {exact_ms / index_ms:.1f}x | {statistics.mean(recalls):.3f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
