"""Collection campaigns: one run of ``Campaign.run`` against its peers, same run.

    python benchmarks/campaigns.py [--corpus 100000] [--dimension 256] [--seeds 50] [-k 20]

A corpus of clustered Gaussian vectors (one frame each, no labels) and seeds from another
dataset of the same clusters. Timed: ``Campaign.run`` (a search per seed through the
store, each candidate's nearest seed, the candidates written to the catalog), a re-run
(the reviews kept), and the peers answering the same question over the same vectors in
memory: scikit-learn's brute-force ``NearestNeighbors`` (all seeds at once) and NumPy
(one matrix product). The store's candidates are checked against scikit-learn's (the same
union of each seed's k nearest). Ratios are printed; nothing is asserted about speed.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np


def clustered(n: int, d: int, rng: np.random.Generator, centres: np.ndarray) -> np.ndarray:
    rows = centres[rng.integers(0, len(centres), n)]
    return (rows + rng.normal(size=(n, d))).astype(np.float32)


def stored(home: str, name: str, vectors: np.ndarray, prefix: str) -> None:
    import pyarrow as pa

    from shoal.store import Store
    from shoal.tables import LABELS_SCHEMA, DatasetTables, embeddings_table

    ids = pa.array([f"{prefix}{i:07d}" for i in range(len(vectors))], pa.string())
    embeddings = embeddings_table(ids, vectors, model="bench")
    tables = DatasetTables.build(
        pa.table({"frame_id": ids}), LABELS_SCHEMA.empty_table(), embeddings
    )
    Store(home).get_or_create_project("bench").create_dataset(name, tables)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=int, default=100_000)
    parser.add_argument("--dimension", type=int, default=256)
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("-k", type=int, default=20)
    args = parser.parse_args()
    from sklearn.neighbors import NearestNeighbors

    from shoal.store import IssueElement, Store

    rng = np.random.default_rng(14)
    centres = rng.normal(size=(50, args.dimension)) * 3
    corpus = clustered(args.corpus, args.dimension, rng, centres)
    seeds = clustered(args.seeds, args.dimension, rng, centres)
    with tempfile.TemporaryDirectory() as home:
        stored(home, "unlabeled", corpus, "u")
        stored(home, "val", seeds, "v")
        project = Store(home).project("bench")
        elements = [IssueElement("val", f"v{i:07d}") for i in range(args.seeds)]
        campaign = project.create_campaign("bench", corpus="unlabeled", seeds=elements, k=args.k)
        start = time.perf_counter()
        outcome = campaign.run()
        first = time.perf_counter() - start
        start = time.perf_counter()
        campaign.run()
        again = time.perf_counter() - start
        found = {c.id for c in campaign.candidates()}

    start = time.perf_counter()
    oracle = NearestNeighbors(n_neighbors=args.k, algorithm="brute", metric="cosine")
    rows = oracle.fit(corpus).kneighbors(seeds)[1]
    sklearn_time = time.perf_counter() - start
    start = time.perf_counter()
    unit = corpus / np.linalg.norm(corpus, axis=1, keepdims=True)
    queries = seeds / np.linalg.norm(seeds, axis=1, keepdims=True)
    similarity = queries @ unit.T
    np.argpartition(-similarity, args.k, axis=1)[:, : args.k]
    numpy_time = time.perf_counter() - start
    expected = {f"u{r:07d}" for r in rows.ravel()}
    load = os.getloadavg()[0]
    print(
        f"corpus {args.corpus:,} x {args.dimension}, {args.seeds} seeds, k {args.k} per seed; "
        f"{outcome.found} candidates ({'exact' if outcome.exact else 'through the index'}); "
        f"load average {load:.1f}"
    )
    print(f"candidates equal scikit-learn's: {found == expected}")
    print("| what | time | ratio to Campaign.run |")
    print("| --- | ---: | ---: |")
    for what, seconds in (
        ("Campaign.run (first: vectors gathered, searched, stored)", first),
        ("Campaign.run again (reviews kept)", again),
        ("scikit-learn NearestNeighbors brute, all seeds at once (in memory)", sklearn_time),
        ("NumPy one matrix product + partition (in memory)", numpy_time),
    ):
        print(f"| {what} | {seconds:.3f} s | {seconds / first:.2f} |")


if __name__ == "__main__":
    main()
