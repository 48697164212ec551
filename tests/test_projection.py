"""2D projections (shoal.analysis.projection): PCA equals scikit-learn's, UMAP keeps
clusters apart, and above the fit limit the rows placed from their neighbours land in
their own cluster like the fitted ones."""

from __future__ import annotations

import numpy as np
import pytest

from shoal.analysis import projection
from shoal.analysis.projection import project
from shoal.errors import InputError


def _clusters(
    n: int, d: int = 64, centers: int = 5, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    middle = rng.normal(size=(centers, d)) * 6
    labels = rng.integers(0, centers, n)
    return (middle[labels] + rng.normal(size=(n, d))).astype(np.float32), labels


def _separated(points: np.ndarray, labels: np.ndarray) -> float:
    """Leave-one-out 1-nearest-neighbour accuracy of the cluster labels in 2D."""
    from sklearn.neighbors import KNeighborsClassifier

    model = KNeighborsClassifier(n_neighbors=2).fit(points, labels)
    neighbour = model.kneighbors(points, 2, return_distance=False)[:, 1]
    return float(np.mean(labels[neighbour] == labels))


def test_pca_is_sklearns_up_to_sign() -> None:
    from sklearn.decomposition import PCA

    vectors, _ = _clusters(3000)
    found = project(vectors, method="pca")
    expected = PCA(n_components=2).fit_transform(vectors.astype(np.float64))
    assert found.method == "pca" and found.fitted_rows == 3000
    for axis in range(2):
        sign = np.sign(np.dot(found.points[:, axis], expected[:, axis]))
        np.testing.assert_allclose(
            found.points[:, axis] * sign, expected[:, axis], rtol=1e-4, atol=1e-3
        )


def test_progress_is_reported_and_axes_come_from_a_sample_above_its_size() -> None:
    from sklearn.decomposition import PCA

    vectors, _ = _clusters(250_000, d=8)
    seen: list[tuple[str, int, int]] = []
    found = project(
        vectors, method="pca", progress=lambda stage, done, total: seen.append((stage, done, total))
    )
    assert seen[-1] == ("principal axes", 100_000, 100_000)
    assert [done for _, done, _ in seen] == sorted(done for _, done, _ in seen)
    assert found.fitted_rows == 100_000 and found.points.shape == (250_000, 2)
    # The sampled axes are those of every row, up to sampling noise.
    expected = PCA(n_components=2).fit_transform(vectors.astype(np.float64))
    for axis in range(2):
        cosine = abs(np.dot(found.points[:, axis], expected[:, axis])) / (
            np.linalg.norm(found.points[:, axis]) * np.linalg.norm(expected[:, axis])
        )
        assert cosine > 0.999


def test_bad_input_is_refused() -> None:
    with pytest.raises(InputError, match="at least 3 vectors"):
        project(np.ones((2, 4)), method="pca")
    with pytest.raises(InputError, match="unknown projection method"):
        project(np.ones((5, 4)), method="tsne")  # type: ignore[arg-type]
    broken = np.ones((10, 4))
    broken[6, 1] = np.inf
    with pytest.raises(InputError, match="row 6"):
        project(broken, method="pca")


@pytest.mark.slow
def test_umap_keeps_clusters_apart_and_places_the_rest_among_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("umap")
    monkeypatch.setattr(projection, "UMAP_FIT_LIMIT", 1500)
    vectors, labels = _clusters(6000)
    found = project(vectors, method="umap", seed=3)
    assert found.method == "umap" and found.fitted_rows == 1500
    assert found.points.shape == (6000, 2) and np.isfinite(found.points).all()
    sample = np.sort(np.random.default_rng(3).choice(6000, 1500, replace=False))
    placed = np.setdiff1d(np.arange(6000), sample)
    assert _separated(found.points[sample], labels[sample]) > 0.98
    # A placed row's nearest 2D neighbour is of its own cluster, as for fitted rows.
    assert _separated(found.points, labels) > 0.98
    assert _separated(found.points[placed], labels[placed]) > 0.98
    # Seeded: the same seed gives the same points.
    again = project(vectors, method="umap", seed=3)
    np.testing.assert_array_equal(again.points, found.points)
