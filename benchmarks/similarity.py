"""Similar elements: exact NumPy search against the faiss inverted-file index, same run.

    python benchmarks/similarity.py [--sizes 100000 1000000] [--dimension 512] [--queries 100]
    python benchmarks/similarity.py --store 100000 [--dimension 512]

Vectors are clustered Gaussians (50 centres, unit-normalized for cosine), generated with
a fixed seed; the queries are stored rows (each excluded from its own answer, as an
element is from "more like this one"). For each size: the index build time, one query's
median time by exact search and through the index (each query alone, as the web app
asks), and the index's recall@10 against exact search. Ratios are printed; nothing is
asserted (timings belong here, not in tests).

``--store N`` times the store's path (``Dataset.similar`` with the index threshold
lowered to N so the index answers): the first query (gather the vectors, build the
index, keep it in the store), the first query of a new store (a new process: the index
read back, not built), and one query after that.
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


def store_path(n: int, d: int) -> None:
    import tempfile

    from projection import stored_dataset
    from shoal.store import Store, _similarity

    _similarity.INDEX_MIN_VECTORS = min(n, _similarity.INDEX_MIN_VECTORS)
    vectors = clustered(n, d)
    print(f"| {n:,} x {d} | time | ratio |")
    print("| --- | --- | --- |")
    with tempfile.TemporaryDirectory() as home:
        dataset = stored_dataset(home, vectors)
        start = time.perf_counter()
        VectorIndex.build(vectors)
        alone = time.perf_counter() - start
        del vectors  # the store reads its own (1M x 512: 2 GB)
        start = time.perf_counter()
        found = dataset.similar(["f0000001"], 10)  # type: ignore[attr-defined]
        first = time.perf_counter() - start
        assert not found.exact
        _similarity.forget_prepared()
        fresh = Store(home).project("bench").dataset("vectors")
        start = time.perf_counter()
        _similarity.element_vectors(fresh, "bench", "frame")  # type: ignore[arg-type]
        gather = time.perf_counter() - start
        _similarity.forget_prepared()
        again = Store(home).project("bench").dataset("vectors")
        start = time.perf_counter()
        again.similar(["f0000001"], 10)
        reread = time.perf_counter() - start
        start = time.perf_counter()
        again.similar(["f0000002"], 10)
        warm = time.perf_counter() - start
        print(f"| index build alone | {alone:.2f} s | 1.00 |")
        print(
            f"| store: reading the vectors alone (a new store) | {gather:.2f} s | {gather / alone:.2f} |"
        )
        print(f"| store: first query (gather, build, keep) | {first:.2f} s | {first / alone:.2f} |")
        print(
            f"| store: new store's first query (read back) | {reread:.2f} s | {reread / alone:.2f} |"
        )
        print(f"| store: next query | {warm * 1000:.1f} ms | - |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--dimension", type=int, default=512)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--store", type=int, metavar="N", help="time the store's path at N vectors")
    args = parser.parse_args()
    if args.store:
        store_path(args.store, args.dimension)
        return
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
