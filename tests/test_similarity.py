"""Similar elements (shoal.analysis.similarity): exact search equals scikit-learn's
brute-force neighbours, several seeds rank by the nearest seed, excluded rows never
come back, and the faiss index finds what exact search finds on clustered data."""

from __future__ import annotations

import numpy as np
import pytest

from shoal.analysis.similarity import VectorIndex, nearest
from shoal.errors import InputError


def _clusters(n: int, d: int = 32, centers: int = 8, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    middle = rng.normal(size=(centers, d)) * 4
    return (middle[rng.integers(0, centers, n)] + rng.normal(size=(n, d))).astype(np.float32)


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_exact_search_is_sklearns_brute_force(metric: str) -> None:
    from sklearn.neighbors import NearestNeighbors

    vectors = _clusters(3000)
    seed_rows = [5, 1200]
    oracle = NearestNeighbors(n_neighbors=3000, algorithm="brute", metric=metric).fit(vectors)
    distances, rows = oracle.kneighbors(vectors[seed_rows])
    # A candidate's distance to the seeds is its distance to the nearest seed.
    best = np.full(3000, np.inf)
    for dist, row in zip(distances, rows, strict=True):
        best[row] = np.minimum(best[row], dist)
    best[seed_rows] = np.inf  # excluded below
    expected = np.lexsort((np.arange(3000), best))[:25]
    found = nearest(vectors, vectors[seed_rows], 25, metric=metric, exclude=seed_rows)
    assert found.exact
    assert found.rows.tolist() == expected.tolist()
    np.testing.assert_allclose(found.distances, best[expected], rtol=1e-5, atol=1e-5)
    assert not set(found.rows.tolist()) & set(seed_rows)


def test_distances_are_defined_as_documented() -> None:
    vectors = np.array([[1, 0], [0, 1], [-1, 0], [3, 0], [0, 0]], np.float32)
    cosine = nearest(vectors, [[2, 0]], 5)
    assert dict(zip(cosine.rows.tolist(), cosine.distances.tolist(), strict=True)) == {
        0: 0.0, 3: 0.0, 1: 1.0, 4: 1.0, 2: 2.0,
    }  # fmt: skip
    assert cosine.rows.tolist()[:2] == [0, 3]  # ties: the lower row first
    euclidean = nearest(vectors, [[2, 0]], 2, metric="euclidean")
    assert euclidean.rows.tolist() == [0, 3]
    assert euclidean.distances.tolist() == pytest.approx([1.0, 1.0])


def test_bad_input_is_refused_clearly() -> None:
    vectors = _clusters(50, d=4)
    with pytest.raises(InputError, match="dimension 3"):
        nearest(vectors, np.ones((1, 3)))
    with pytest.raises(InputError, match="k must be a positive integer"):
        nearest(vectors, vectors[:1], 0)
    with pytest.raises(InputError, match="unknown similarity metric"):
        nearest(vectors, vectors[:1], metric="manhattan")  # type: ignore[arg-type]
    broken = vectors.copy()
    broken[7, 2] = np.nan
    with pytest.raises(InputError, match="row 7"):
        nearest(broken, vectors[:1])
    with pytest.raises(InputError, match="excluded rows"):
        nearest(vectors, vectors[:1], exclude=[50])
    # Fewer candidates than k: all of them.
    assert len(nearest(vectors, vectors[:1], 100, exclude=range(45)).rows) == 5


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_the_index_finds_what_exact_search_finds(metric: str) -> None:
    pytest.importorskip("faiss")
    vectors = _clusters(20_000, d=64, centers=20)
    index = VectorIndex.build(vectors, metric=metric)  # type: ignore[arg-type]
    rng = np.random.default_rng(1)
    recalls = []
    for seed_row in rng.choice(20_000, 30, replace=False).tolist():
        exact = nearest(vectors, vectors[[seed_row]], 10, metric=metric, exclude=[seed_row])  # type: ignore[arg-type]
        found = nearest(
            vectors, vectors[[seed_row]], 10, metric=metric, exclude=[seed_row], index=index
        )  # type: ignore[arg-type]
        assert not found.exact and seed_row not in found.rows.tolist()
        recalls.append(len(set(exact.rows.tolist()) & set(found.rows.tolist())) / 10)
        # Where both find a row, they agree on its distance.
        exact_at = dict(zip(exact.rows.tolist(), exact.distances.tolist(), strict=True))
        for row, distance in zip(found.rows.tolist(), found.distances.tolist(), strict=True):
            if row in exact_at:
                assert distance == pytest.approx(exact_at[row], abs=1e-4)
    assert np.mean(recalls) >= 0.95
    # Serialized and read back, it answers the same.
    again = VectorIndex.from_bytes(index.to_bytes(), metric)  # type: ignore[arg-type]
    first = index.search(vectors[:3], 10)
    second = again.search(vectors[:3], 10)
    assert first.rows.tolist() == second.rows.tolist()
