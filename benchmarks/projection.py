"""2D projection of embeddings: Shoal's PCA and sampled UMAP against umap-learn fitting
every row, same run.

    python benchmarks/projection.py [--sizes 100000 1000000] [--dimension 512] [--full-umap 20000]
    python benchmarks/projection.py --store 100000 [--dimension 512]

Vectors are clustered Gaussians (50 centres, seeded). For each size: Shoal's PCA and
its UMAP (fit on 20,000 sampled rows after a 50-component PCA, the rest placed from
their nearest sampled rows), the wall time and the process's peak memory growth, and
how well the 2D points keep the clusters apart (leave-one-out 1-NN accuracy of the
cluster labels on 5,000 rows). umap-learn fitting every row is timed at
``--full-umap`` rows (it takes minutes beyond that); its time per row is the ratio's
basis. Nothing is asserted.

``--store N`` times the store's path instead (``Dataset.projection``: gathering the
vectors from the stored embeddings, computing, writing the kept object) against the
projection alone on the same vectors, and the read-back of the kept projection by a new
store (a new process) against computing it.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from shoal.analysis.projection import project


def clustered(n: int, d: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(50, d)).astype(np.float32) * 3
    labels = rng.integers(0, 50, n)
    out = np.empty((n, d), np.float32)
    for start in range(0, n, 100_000):
        size = min(100_000, n - start)
        out[start : start + size] = centres[labels[start : start + size]]
        out[start : start + size] += rng.normal(size=(size, d)).astype(np.float32)
    return out, labels


def separation(points: np.ndarray, labels: np.ndarray) -> float:
    from sklearn.neighbors import NearestNeighbors

    rows = np.random.default_rng(1).choice(len(points), size=min(5000, len(points)), replace=False)
    neighbour = NearestNeighbors(n_neighbors=2).fit(points[rows]).kneighbors(return_distance=False)
    return float(np.mean(labels[rows][neighbour[:, 0]] == labels[rows]))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stored_dataset(home: str, vectors: np.ndarray) -> object:
    """A dataset of one frame per vector, its frame embeddings of model "bench"."""
    import pyarrow as pa

    from shoal.store import Store
    from shoal.tables import LABELS_SCHEMA, DatasetTables, embeddings_table

    ids = pa.array([f"f{i:07d}" for i in range(len(vectors))], pa.string())
    embeddings = embeddings_table(ids, vectors, model="bench")
    tables = DatasetTables.build(
        pa.table({"frame_id": ids}), LABELS_SCHEMA.empty_table(), embeddings
    )
    project_ = Store(home).create_project("bench", task="detection")
    return project_.create_dataset("vectors", tables)


def store_path(n: int, d: int) -> None:
    import tempfile

    from shoal.store import Store

    vectors, _ = clustered(n, d)
    project(vectors[:500], method="umap")  # numba compiles UMAP's kernels on first use
    print(f"| {n:,} x {d} | step | time | ratio |")
    print("| --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as home:
        dataset = stored_dataset(home, vectors)
        for method in ("pca", "umap"):
            start = time.perf_counter()
            project(vectors, method=method)  # type: ignore[arg-type]
            alone = time.perf_counter() - start
            start = time.perf_counter()
            dataset.projection(method=method)  # type: ignore[attr-defined]
            stored = time.perf_counter() - start
            start = time.perf_counter()
            again = Store(home).project("bench").dataset("vectors")
            again.projection(method=method, compute=False)
            reread = time.perf_counter() - start
            print(f"| {method} | projection alone | {alone:.2f} s | 1.00 |")
            print(
                f"| {method} | store: gather, compute, keep | {stored:.2f} s | {stored / alone:.2f} |"
            )
            print(
                f"| {method} | store: read back (new store) | {reread:.3f} s | "
                f"{reread / stored:.4f} of computing |",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--dimension", type=int, default=512)
    parser.add_argument("--full-umap", type=int, default=20_000)
    parser.add_argument("--store", type=int, metavar="N", help="time the store's path at N vectors")
    args = parser.parse_args()
    if args.store:
        store_path(args.store, args.dimension)
        return
    import umap

    vectors, labels = clustered(args.full_umap, args.dimension)
    start = time.perf_counter()
    umap.UMAP(n_components=2, random_state=0).fit_transform(vectors)
    per_row = (time.perf_counter() - start) / args.full_umap
    print(f"umap-learn on every row: {args.full_umap:,} rows in {per_row * args.full_umap:.1f} s")
    print(
        "| vectors x d | method | time | umap-learn on every row (estimated) | ratio | peak memory | 1-NN cluster accuracy |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for n in args.sizes:
        vectors, labels = clustered(n, args.dimension)
        for method in ("pca", "umap"):
            before = peak_mb()
            start = time.perf_counter()
            found = project(vectors, method=method)  # type: ignore[arg-type]
            took = time.perf_counter() - start
            estimate = per_row * n
            print(
                f"| {n:,} x {args.dimension} | {method} | {took:.1f} s | "
                f"{'-' if method == 'pca' else f'{estimate:.0f} s'} | "
                f"{'-' if method == 'pca' else f'{estimate / took:.1f}x'} | "
                f"+{max(0.0, peak_mb() - before):.0f} MB (peak {peak_mb():.0f} MB) | "
                f"{separation(found.points, labels):.3f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
