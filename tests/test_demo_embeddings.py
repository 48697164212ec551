"""The demo projects' embeddings: hidden layers of networks trained during the build, an
unlabeled corpus per project, and the projections kept for the embedding view. Checked
against what the vectors should know (scikit-learn's nearest neighbours recover the
classes), the corpus's own source digits, and the store's elements."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow.compute as pc
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier

from shoal.demo import build_demo_projects
from shoal.store import Dataset, ElementRef, Store

SCALE = 0.1
pytestmark = pytest.mark.slow  # builds the demo (UMAP included)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    built = Store(tmp_path_factory.mktemp("home"))
    build_demo_projects(built, scale=SCALE)
    yield built
    built.close()


def _vectors(dataset: Dataset, model: str, target: str | None = None) -> dict[Any, np.ndarray]:
    """{frame id or target id: vector} of one model in the dataset's own table."""
    table = dataset.embeddings()
    rows = table.filter(pc.equal(table.column("model_id"), model)).to_pylist()
    key = "frame_id" if target is None else "target_id"
    return {row[key]: np.asarray(row["vector"], np.float32) for row in rows}


def _leave_one_out_accuracy(vectors: np.ndarray, classes: list[str]) -> float:
    neighbours = KNeighborsClassifier(n_neighbors=1)
    return float(cross_val_score(neighbours, vectors, classes, cv=5).mean())


def test_digit_frames_carry_the_mlps_hidden_layer(store: Store) -> None:
    dataset = store.project("digits").dataset("handwritten-digits")
    frames = dataset.frames().column("frame_id").to_pylist()
    vectors = _vectors(dataset, "digits-mlp/hidden")
    assert list(vectors) == frames
    # The same network as the mlp-64 inference set's frame embeddings.
    set_table = store.read_table(dataset.inference_set("mlp-64")._object(), "embeddings.parquet")
    of_set = {r["frame_id"]: r["vector"] for r in set_table.to_pylist()}
    assert all(np.array_equal(vectors[f], np.asarray(of_set[f], np.float32)) for f in frames)
    # The hidden layer knows the digits: nearest neighbours recover the labels.
    truth = dict(zip(*dataset.labels().select(["frame_id", "class_name"]).to_pydict().values(),
                     strict=True))  # fmt: skip
    accuracy = _leave_one_out_accuracy(np.stack([vectors[f] for f in frames]),
                                       [truth[f] for f in frames])  # fmt: skip
    assert accuracy > 0.8
    assert {m.model for m in dataset.embedding_models()} >= {"digits-mlp/hidden"}


def test_shapes_crops_and_frames_from_the_trained_networks(store: Store) -> None:
    dataset = store.project("shapes").dataset("rendered-scenes")
    labels = dataset.labels()
    crops = _vectors(dataset, "shapes-crop-mlp/hidden", target="label")
    assert list(crops) == labels.column("label_id").to_pylist()
    frames = _vectors(dataset, "shapes-scene-mlp/hidden")
    assert list(frames) == dataset.frames().column("frame_id").to_pylist()
    info = {m.model: m for m in dataset.embedding_models()}["shapes-crop-mlp/hidden"]
    assert info.dimension == 32 and info.labels == labels.num_rows
    for inference in dataset.inference_sets():
        # Every prediction crop, through the same network.
        assert info.predictions[inference.name] == inference.predictions().num_rows
        refs = [ElementRef("prediction", i, inference.name)
                for i in inference.predictions().column("prediction_id").to_pylist()[:5]]  # fmt: skip
        assert dataset.vectors_of(refs, embedding="shapes-crop-mlp/hidden").shape == (5, 32)
    # Visible labels' crops: nearest neighbours recover the shape's class.
    visible = [not ignored for ignored in labels.column("ignore").to_pylist()]
    ids = [
        i for i, keep in zip(labels.column("label_id").to_pylist(), visible, strict=True) if keep
    ]
    classes = [c for c, keep in zip(labels.column("class_name").to_pylist(), visible, strict=True)
               if keep]  # fmt: skip
    assert _leave_one_out_accuracy(np.stack([crops[i] for i in ids]), classes) > 0.6


@pytest.mark.parametrize(
    ("project", "model"), [("digits", "digits-mlp/hidden"), ("shapes", "shapes-scene-mlp/hidden")]
)
def test_each_project_has_an_unlabeled_corpus(store: Store, project: str, model: str) -> None:
    corpus = store.project(project).dataset("unlabeled")
    frames = corpus.frames()
    assert frames.num_rows > 0 and corpus.labels().num_rows == 0
    assert list(_vectors(corpus, model)) == frames.column("frame_id").to_pylist()
    assert corpus.image_root is not None
    for uri in frames.column("image_uri").to_pylist()[:3]:
        assert (corpus.image_root / uri).is_file()
    assert corpus.projection_state(model, kind="frame", method="pca") == "current"


def test_the_digit_corpus_answers_similar_digits(store: Store) -> None:
    """The corpus holds re-scans of real digits: the corpus frame nearest a labeled
    digit's vector is mostly of its class (its source digit in load_digits)."""
    project = store.project("digits")
    dataset, corpus = project.dataset("handwritten-digits"), project.dataset("unlabeled")
    target = load_digits().target
    corpus_class = dict(zip(corpus.frames().column("frame_id").to_pylist(),
                            (str(target[i]) for i in corpus.frames().column("source_index").to_pylist()),
                            strict=True))  # fmt: skip
    labels = dataset.labels().to_pylist()[:40]
    seeds = dataset.vectors_of([ElementRef("frame", r["frame_id"]) for r in labels],
                               embedding="digits-mlp/hidden")  # fmt: skip
    agree = 0
    for row, vector in zip(labels, seeds, strict=True):
        found = corpus.similar_to_vectors(vector[None, :], 1, embedding="digits-mlp/hidden")
        agree += corpus_class[found.ids[0]] == row["class_name"]
    assert agree / len(labels) > 0.8


def test_projections_are_kept_for_the_embedding_view(store: Store) -> None:
    wanted = {
        ("digits", "handwritten-digits"): [("digits-mlp/hidden", "frame")],
        ("shapes", "rendered-scenes"): [
            ("shapes-scene-mlp/hidden", "frame"),
            ("shapes-crop-mlp/hidden", "crop"),
        ],
    }
    for (project, name), kept in wanted.items():
        dataset = store.project(project).dataset(name)
        for model, kind in kept:
            info = {m.model: m for m in dataset.embedding_models()}[model]
            count = info.frames if kind == "frame" else info.labels + sum(info.predictions.values())
            for method in ("pca", "umap"):
                assert dataset.projection_state(model, kind=kind, method=method) == "current"
                projection = dataset.projection(model, kind=kind, method=method, compute=False)  # type: ignore[arg-type]
                assert len(projection) == count and projection.fitted_on == count
                assert np.isfinite(projection.xy).all()


def test_the_shapes_corpus_has_prediction_crops_to_search(store: Store) -> None:
    """The corpus's detections (the strong detector's) carry crop vectors of the same
    network as the labeled crops: a crop campaign's seeds find corpus crops, and the
    nearest corpus crop to a labeled crop is mostly predicted as the same class."""
    project = store.project("shapes")
    dataset, corpus = project.dataset("rendered-scenes"), project.dataset("unlabeled")
    (detector,) = corpus.inference_sets()
    predictions = detector.predictions()
    info = {m.model: m for m in corpus.embedding_models()}["shapes-crop-mlp/hidden"]
    assert info.predictions == {detector.name: predictions.num_rows} and info.labels == 0
    predicted = dict(zip(predictions["prediction_id"].to_pylist(),
                         predictions["class_name"].to_pylist(), strict=True))  # fmt: skip
    labels = [r for r in dataset.labels().to_pylist() if not r["ignore"]][:40]
    seeds = dataset.vectors_of([ElementRef("label", r["label_id"]) for r in labels],
                               embedding="shapes-crop-mlp/hidden")  # fmt: skip
    agree = 0
    for row, vector in zip(labels, seeds, strict=True):
        found = corpus.similar_to_vectors(vector[None, :], 1, embedding="shapes-crop-mlp/hidden",
                                          kind="crop")  # fmt: skip
        key = found.ids[0]
        assert key.startswith(f"prediction/{detector.name}/")
        agree += predicted[key.split("/", 2)[2]] == row["class_name"]
    assert agree / len(labels) > 0.5


def test_the_labeled_dataset_is_picked_beside_the_corpus(store: Store) -> None:
    """With no dataset named, the CLI picks a project's only dataset with labels."""
    from shoal.cli._projects import pick_dataset

    assert pick_dataset(store.project("shapes"), None).name == "rendered-scenes"
    assert pick_dataset(store.project("digits"), None).name == "handwritten-digits"
    assert pick_dataset(store.project("digits"), "unlabeled").name == "unlabeled"
