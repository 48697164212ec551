"""The store's embeddings: elements of a dataset and its inference sets (ElementRef,
vectors_of, embedding_models), similar elements seeded by vectors or prediction crops
(scikit-learn's brute force as the oracle), the similarity index kept in the store, and
projections kept in the store (equal to shoal.analysis.projection's own output on the
same vectors, stale when the vectors change, all or nothing when a computation fails)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from shoal.analysis.projection import project
from shoal.errors import InputError, NotFoundError
from shoal.sdk import LabeledDataset, LabeledFrame
from shoal.store import Dataset, ElementRef, Store, examine
from shoal.tables import InferenceTables

FRAMES = 60
DIMENSION = 8


def _vectors(seed: int, rows: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(3, DIMENSION)) * 4
    return (centres[np.arange(rows) % 3] + rng.normal(size=(rows, DIMENSION))).astype(np.float32)


def _inference(seed: int, frames: int = FRAMES, *, frame_vectors: bool = False) -> InferenceTables:
    """Two predictions a frame with crop vectors of model "clip" (and frame vectors of
    model "hidden" when asked)."""
    ids = [f"p{i:03d}" for i in range(2 * frames)]
    predictions = pa.table(
        {
            "prediction_id": ids,
            "frame_id": [f"f{i // 2:03d}" for i in range(2 * frames)],
            "class_name": ["car"] * (2 * frames),
            "x": [10.0] * (2 * frames),
            "y": [10.0] * (2 * frames),
            "width": [20.0] * (2 * frames),
            "height": [20.0] * (2 * frames),
            "confidence": [0.9] * (2 * frames),
        }
    )
    crops = _vectors(seed, 2 * frames)
    rows: dict[str, list[Any]] = {
        "frame_id": [f"f{i // 2:03d}" for i in range(2 * frames)],
        "target_id": list(ids),
        "model_id": ["clip"] * (2 * frames),
        "vector": [v.tolist() for v in crops],
    }
    if frame_vectors:
        hidden = _vectors(seed + 1, frames)
        rows["frame_id"] += [f"f{i:03d}" for i in range(frames)]
        rows["target_id"] += [None] * frames
        rows["model_id"] += ["hidden"] * frames
        rows["vector"] += [v.tolist() for v in hidden]
    return InferenceTables.build(predictions, pa.table(rows))


def _dataset(tmp_path: Path, frames: int = FRAMES) -> Dataset:
    frame_vectors, label_vectors = _vectors(1, frames), _vectors(2, frames)
    dataset = LabeledDataset()
    for i in range(frames):
        frame = LabeledFrame(frame_id=f"f{i:03d}")
        frame.add_image(image_url=f"f{i:03d}.png", width=100, height=100)
        frame.add_label_2d_bbox(
            label_id=f"l{i:03d}", classification="car", top=10, left=10, width=20, height=20
        )
        frame.add_frame_embedding(embedding=frame_vectors[i].tolist(), model_id="clip")
        frame.add_crop_embedding(
            label_id=f"l{i:03d}", embedding=label_vectors[i].tolist(), model_id="clip"
        )
        dataset.add_frame(frame)
    store = Store(tmp_path / "home")
    project_ = store.create_project("p", task="detection")
    return project_.create_dataset("val", dataset.to_tables())


def _objects(home: Path) -> set[str]:
    return {p.name for p in (home / "objects").iterdir()}


# --------------------------------------------------------------------------- elements


def test_embedding_models_count_every_table(tmp_path: Path) -> None:
    dataset = _dataset(tmp_path)
    dataset.create_inference_set("m", _inference(5, frame_vectors=True))
    infos = {i.model: i.to_dict() for i in dataset.embedding_models()}
    assert infos == {
        "clip": {
            "model": "clip",
            "dimension": DIMENSION,
            "frames": FRAMES,
            "labels": FRAMES,
            "predictions": {"m": 2 * FRAMES},
        },
        "hidden": {
            "model": "hidden",
            "dimension": DIMENSION,
            "frames": FRAMES,
            "labels": 0,
            "predictions": {},
        },
    }


def test_vectors_of_reads_each_sources_table(tmp_path: Path) -> None:
    dataset = _dataset(tmp_path)
    dataset.create_inference_set("m", _inference(5, frame_vectors=True))
    refs = [
        ElementRef("prediction", "p007", "m"),
        ElementRef("label", "l003"),
        ElementRef("frame", "f010"),
    ]
    got = dataset.vectors_of(refs, embedding="clip")
    expected = np.stack(
        [_vectors(5, 2 * FRAMES)[7], _vectors(2, FRAMES)[3], _vectors(1, FRAMES)[10]]
    )
    np.testing.assert_array_equal(got, expected)
    hidden = dataset.vectors_of([ElementRef("frame", "f004", "m")], embedding="hidden")
    np.testing.assert_array_equal(hidden[0], _vectors(6, FRAMES)[4])
    # A set's frame vectors are searched by their keys (frame/<set>/<frame id>).
    found = dataset.similar(["frame/m/f004"], 5, embedding="hidden")
    expected = _oracle(_vectors(6, FRAMES), _vectors(6, FRAMES)[[4]], [4], 5)
    assert list(found.ids) == [f"frame/m/f{i:03d}" for i in expected]
    assert ElementRef.from_key(found.ids[0], "frame") == ElementRef(
        "frame", f"f{expected[0]:03d}", "m"
    )
    with pytest.raises(NotFoundError, match="prediction 'p999' of inference set 'm'"):
        dataset.vectors_of([ElementRef("prediction", "p999", "m")], embedding="clip")
    with pytest.raises(NotFoundError, match=r"label 'l003'.*no crop embeddings"):
        dataset.vectors_of([ElementRef("label", "l003")], embedding="hidden")
    with pytest.raises(InputError, match="name its inference set"):
        ElementRef("prediction", "p1")
    with pytest.raises(InputError, match="ElementRef"):
        dataset.vectors_of(["f000"], embedding="clip")  # type: ignore[list-item]


def _oracle(vectors: np.ndarray, seeds: np.ndarray, exclude: list[int], k: int) -> list[int]:
    from sklearn.neighbors import NearestNeighbors

    oracle = NearestNeighbors(n_neighbors=len(vectors), algorithm="brute", metric="cosine")
    distances, rows = oracle.fit(vectors).kneighbors(seeds)
    best = np.full(len(vectors), np.inf)
    for dist, row in zip(distances, rows, strict=True):
        best[row] = np.minimum(best[row], dist)
    best[exclude] = np.inf
    return np.lexsort((np.arange(len(vectors)), best))[:k].tolist()


def test_crops_of_labels_and_predictions_are_one_search(tmp_path: Path) -> None:
    dataset = _dataset(tmp_path)
    dataset.create_inference_set("m", _inference(5))
    crops = np.concatenate([_vectors(2, FRAMES), _vectors(5, 2 * FRAMES)])
    keys = [f"l{i:03d}" for i in range(FRAMES)] + [
        f"prediction/m/p{i:03d}" for i in range(2 * FRAMES)
    ]
    # Seeds: a label and a prediction, by key and by ElementRef; one exclusion.
    found = dataset.similar(
        ["l001", ElementRef("prediction", "p004", "m")], 12, embedding="clip", kind="crop",
        exclude=["prediction/m/p010"],
    )  # fmt: skip
    seed_rows = [1, FRAMES + 4]
    expected = _oracle(crops, crops[seed_rows], [*seed_rows, FRAMES + 10], 12)
    assert list(found.ids) == [keys[i] for i in expected]
    assert any(i.startswith("prediction/m/") for i in found.ids)
    assert ElementRef.from_key(found.ids[0], "crop").key == found.ids[0]
    # Another dataset's vectors as seeds (a campaign's search): the same answer.
    seeds = dataset.vectors_of([ElementRef("label", "l001"), ElementRef("prediction", "p004", "m")])
    by_vectors = dataset.similar_to_vectors(
        seeds, 12, kind="crop", exclude=["l001", "prediction/m/p004", "prediction/m/p010"]
    )
    assert by_vectors.ids == found.ids
    np.testing.assert_allclose(by_vectors.distances, found.distances, atol=1e-6)
    with pytest.raises(InputError, match="dimension 3"):
        dataset.similar_to_vectors(np.ones((1, 3), np.float32), kind="crop")


def test_the_index_is_kept_in_the_store_and_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("faiss")
    from shoal.analysis.similarity import VectorIndex
    from shoal.store import _similarity

    monkeypatch.setattr(_similarity, "INDEX_MIN_VECTORS", 50)
    builds: list[int] = []
    original = VectorIndex.build.__func__  # type: ignore[attr-defined]

    def counted(cls: type[VectorIndex], vectors: Any, **options: Any) -> VectorIndex:
        builds.append(len(vectors))
        return original(cls, vectors, **options)  # type: ignore[no-any-return]

    monkeypatch.setattr(VectorIndex, "build", classmethod(counted))
    dataset = _dataset(tmp_path, frames=200)
    _similarity.forget_prepared()
    # While another writer holds the lock, a query answers without waiting to keep it.
    with dataset.store.home.write_lock():
        first = dataset.similar(["f007"], 10)
    assert dataset.store._rows("SELECT 1 FROM similarity_indexes") == []
    _similarity.forget_prepared()
    builds.clear()
    assert dataset.similar(["f007"], 10) == first
    assert not first.exact and builds == [200]
    row = dataset.store._row("SELECT object, vectors_key FROM similarity_indexes")
    assert row is not None and (tmp_path / "home/objects" / row["object"] / "index.faiss").is_file()
    # The vectors are kept beside it, in element order: a new process reads no Parquet vectors.
    kept_vectors = np.load(tmp_path / "home/objects" / row["object"] / "vectors.npy")
    np.testing.assert_array_equal(kept_vectors, _vectors(1, 200))
    # A new process: no prepared search in memory, the index is read from the store.
    _similarity.forget_prepared()
    second = Store(tmp_path / "home").project("p").dataset("val").similar(["f007"], 10)
    assert builds == [200] and second.ids == first.ids
    assert examine(tmp_path / "home").healthy
    # A damaged kept index: doctor says so, repair drops it, the next query builds it.
    (tmp_path / "home/objects" / row["object"] / "index.faiss").write_bytes(b"damaged")
    checkup = examine(tmp_path / "home")
    assert (
        not checkup.healthy
        and "kept similarity index cannot be read" in checkup.findings[0].problem
    )
    assert examine(tmp_path / "home", repair=True).healthy
    _similarity.forget_prepared()
    assert dataset.similar(["f007"], 10).ids == first.ids and builds == [200, 200]
    # New vectors (an inference set with crop vectors): the crop index is its own; the
    # frame index is still current. Replacing the dataset makes it stale: built again.
    dataset.create_inference_set("m", _inference(5, frames=200))
    _similarity.forget_prepared()
    dataset.similar(["f007"], 10)
    assert builds == [200, 200]
    dataset.similar(["prediction/m/p001"], 10, kind="crop")
    assert builds == [200, 200, 600]
    assert len(dataset.store._rows("SELECT 1 FROM similarity_indexes")) == 2


# --------------------------------------------------------------------------- projections


@pytest.mark.parametrize("method", ["pca", pytest.param("umap", marks=pytest.mark.slow)])
def test_projection_is_the_analysis_output_kept(tmp_path: Path, method: str) -> None:
    if method == "umap":
        pytest.importorskip("umap")
    dataset = _dataset(tmp_path)
    dataset.create_inference_set("m", _inference(5))
    calls: list[tuple[int, int]] = []
    kept = dataset.projection(
        kind="crop", method=method, progress=lambda d, t: calls.append((d, t))
    )  # type: ignore[arg-type]
    crops = np.concatenate([_vectors(2, FRAMES), _vectors(5, 2 * FRAMES)])
    expected = project(crops, method=method, seed=0)  # type: ignore[arg-type]
    np.testing.assert_array_equal(kept.xy, expected.points)
    assert kept.fitted_on == expected.fitted_rows and len(kept) == 3 * FRAMES
    assert kept.sources.to_pylist() == ["label"] * FRAMES + ["prediction"] * (2 * FRAMES)
    assert kept.inference_sets.to_pylist() == [None] * FRAMES + ["m"] * (2 * FRAMES)
    assert kept.element_ids.to_pylist()[FRAMES] == "p000"
    assert kept.frame_ids.to_pylist()[FRAMES + 3] == "f001"
    assert calls[-1] == (1000, 1000) and [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert dataset.projection_state(kind="crop", method=method) == "current"  # type: ignore[arg-type]
    # Read back by a new store (a new process), not computed again.
    again = Store(tmp_path / "home").project("p").dataset("val")
    read = again.projection(kind="crop", method=method, compute=False)  # type: ignore[arg-type]
    np.testing.assert_array_equal(read.xy, kept.xy)
    assert read.computed_at == kept.computed_at and read.element_ids.equals(kept.element_ids)
    assert read.to_dict()["sources"] == {"label": FRAMES, "prediction": 2 * FRAMES}


def test_a_replaced_sets_vectors_make_the_projection_stale(tmp_path: Path) -> None:
    dataset = _dataset(tmp_path)
    dataset.create_inference_set("m", _inference(5))
    assert dataset.projection_state(kind="crop", method="pca") == "missing"
    with pytest.raises(NotFoundError, match="not computed: missing"):
        dataset.projection(kind="crop", method="pca", compute=False)
    first = dataset.projection(kind="crop", method="pca")
    frames = dataset.projection(kind="frame", method="pca")
    (first_object,) = [
        r["object"]
        for r in dataset.store._rows("SELECT object FROM projections WHERE kind = 'crop'")
    ]
    # A set without crop vectors of the model changes nothing.
    dataset.create_inference_set("plain", InferenceTables.build(_inference(9).predictions))
    assert dataset.projection_state(kind="crop", method="pca") == "current"
    dataset.create_inference_set("m", _inference(7), replace=True)
    assert dataset.projection_state(kind="crop", method="pca") == "stale"
    assert dataset.projection_state(kind="frame", method="pca") == "current"
    with pytest.raises(NotFoundError, match="stale"):
        dataset.projection(kind="crop", method="pca", compute=False)
    second = dataset.projection(kind="crop", method="pca")
    crops = np.concatenate([_vectors(2, FRAMES), _vectors(7, 2 * FRAMES)])
    np.testing.assert_array_equal(second.xy, project(crops, method="pca").points)
    assert not np.array_equal(second.xy, first.xy)
    assert dataset.projection_state(kind="crop", method="pca") == "current"
    assert not (tmp_path / "home/objects" / first_object).exists()  # the old one discarded
    np.testing.assert_array_equal(dataset.projection(kind="frame", method="pca").xy, frames.xy)
    assert examine(tmp_path / "home").healthy


@pytest.mark.parametrize("fail_at", [300, 999])
def test_a_failed_computation_leaves_the_store_as_it_was(tmp_path: Path, fail_at: int) -> None:
    """Failing mid-computation (300) or in the writing transaction (999): no row, no
    object, nothing staged."""
    dataset = _dataset(tmp_path)
    home = tmp_path / "home"
    before = _objects(home)

    def progress(done: int, total: int) -> None:
        if done >= fail_at:
            raise RuntimeError("stopped")

    with pytest.raises(RuntimeError, match="stopped"):
        dataset.projection(method="pca", progress=progress)
    assert _objects(home) == before and not list((home / "staging").iterdir())
    assert dataset.store._rows("SELECT * FROM projections") == []
    assert dataset.projection_state(method="pca") == "missing"


def test_deleting_the_dataset_discards_its_kept_objects(tmp_path: Path) -> None:
    dataset = _dataset(tmp_path)
    home = tmp_path / "home"
    kept = dataset.projection(method="pca")
    assert len(kept) == FRAMES
    (obj,) = [r["object"] for r in dataset.store._rows("SELECT object FROM projections")]
    Store(home).sweep()  # a kept projection is no leftover
    assert (home / "objects" / obj).is_dir()
    (home / "objects" / obj / "projection.parquet").write_bytes(b"damaged")
    with pytest.raises(NotFoundError, match="kept points cannot be read"):
        Store(home).project("p").dataset("val").projection(method="pca", compute=False)
    checkup = examine(home)
    assert not checkup.healthy and "kept projection cannot be read" in checkup.findings[0].problem
    assert examine(home, repair=True).healthy
    assert dataset.projection_state(method="pca") == "missing"
    dataset.projection(method="pca")
    # Damaged again: the next use computes it again, without doctor.
    (obj,) = [r["object"] for r in dataset.store._rows("SELECT object FROM projections")]
    (home / "objects" / obj / "projection.parquet").write_bytes(b"damaged")
    again = Store(home).project("p").dataset("val").projection(method="pca")
    np.testing.assert_array_equal(again.xy, kept.xy)
    assert examine(home).healthy and not (home / "objects" / obj).exists()
    dataset.project.delete_dataset("val")
    assert _objects(home) == set()


def test_what_it_cannot_project_is_said(tmp_path: Path) -> None:
    dataset = _dataset(tmp_path)
    dataset.create_inference_set("m", _inference(5, frame_vectors=True))
    with pytest.raises(InputError, match="2 models"):
        dataset.projection(method="pca")
    with pytest.raises(NotFoundError, match="no embedding model 'nope'"):
        dataset.projection("nope", method="pca")
    with pytest.raises(NotFoundError, match="no crop embeddings of model 'hidden'"):
        dataset.projection("hidden", kind="crop", method="pca")
    with pytest.raises(InputError, match="unknown projection method 'tsne'"):
        dataset.projection("clip", method="tsne")  # type: ignore[arg-type]
    # Frames of one model: the dataset's and the set's, each element told apart.
    hidden = dataset.projection("hidden", method="pca")
    assert hidden.inference_sets.to_pylist() == ["m"] * FRAMES


# --------------------------------------------------------------------------- adding vectors


def test_added_vectors_keep_matchings_and_quality_and_stale_the_projection(
    tmp_path: Path,
) -> None:
    from shoal.store import read_embeddings_file

    dataset = _dataset(tmp_path)
    inference = dataset.create_inference_set("m", _inference(5))
    dataset.compute_quality(read_images=False)
    report = inference.metrics(include=["report"]).report
    kept_matchings = dataset.store._rows("SELECT object FROM evaluations")
    quality = [i.name for i in dataset.metric_infos() if i.source == "quality"]
    assert kept_matchings and quality
    dataset.projection(kind="crop", method="pca")
    frame_projection = dataset.projection(kind="frame", method="pca")
    # New crop vectors of model "clip" for the set from Parquet (label_id / embedding
    # aliases are for the dataset; here prediction_id names the target).
    vectors = _vectors(11, 2 * FRAMES)
    file = tmp_path / "new.parquet"
    import pyarrow.parquet as pq

    pq.write_table(
        pa.table(
            {
                "prediction_id": [f"p{i:03d}" for i in range(2 * FRAMES)],
                "model_id": ["clip"] * (2 * FRAMES),
                "embedding": pa.array([v.tolist() for v in vectors], pa.list_(pa.float32())),
            }
        ),
        file,
    )
    version = inference.version
    dataset.add_embeddings(read_embeddings_file(file), inference_set="m", source=str(file))
    assert inference.version == version + 1
    assert dataset.store._rows("SELECT object FROM evaluations") == kept_matchings
    assert [i.name for i in dataset.metric_infos() if i.source == "quality"] == quality
    assert inference.metrics(include=["report"]).report.to_dict() == report.to_dict()
    assert inference.predictions().column("prediction_id").to_pylist()[0] == "p000"
    assert dataset.projection_state(kind="crop", method="pca") == "stale"
    assert dataset.projection_state(kind="frame", method="pca") == "current"
    np.testing.assert_array_equal(
        dataset.vectors_of([ElementRef("prediction", "p009", "m")])[0], vectors[9]
    )
    crops = np.concatenate([_vectors(2, FRAMES), vectors])
    recomputed = dataset.projection(kind="crop", method="pca")
    np.testing.assert_array_equal(recomputed.xy, project(crops, method="pca").points)
    np.testing.assert_array_equal(
        dataset.projection(kind="frame", method="pca", compute=False).xy, frame_projection.xy
    )
    # Another model's vectors for the dataset: clip's projections are carried, current.
    dino = tmp_path / "dino.npz"
    np.savez(dino, ids=np.array([f"f{i:03d}" for i in range(FRAMES)]), vectors=_vectors(12, FRAMES))
    dataset.add_embeddings(read_embeddings_file(dino, model="dino"), source=str(dino))
    assert dataset.projection_state("clip", kind="frame", method="pca") == "current"
    assert dataset.projection_state("clip", kind="crop", method="pca") == "current"
    np.testing.assert_array_equal(
        dataset.projection("clip", kind="crop", method="pca", compute=False).xy, recomputed.xy
    )
    # Replacing clip's frame vectors stales that projection only.
    np.savez(dino, ids=np.array([f"f{i:03d}" for i in range(FRAMES)]), vectors=_vectors(13, FRAMES))
    dataset.add_embeddings(read_embeddings_file(dino, model="clip"), source=str(dino))
    assert dataset.projection_state("clip", kind="frame", method="pca") == "stale"
    assert dataset.projection_state("clip", kind="crop", method="pca") == "current"
    assert dataset.embedding_models()[0].labels == FRAMES  # the label crops stay
    assert examine(tmp_path / "home").healthy


def test_a_bad_vector_file_names_the_record_and_changes_nothing(tmp_path: Path) -> None:
    from shoal.store import read_embeddings_file

    dataset = _dataset(tmp_path)
    home = tmp_path / "home"
    before, version = _objects(home), dataset.version
    wrong_length = tmp_path / "short.npz"
    np.savez(wrong_length, ids=np.array(["f000", "f001"]), vectors=np.ones((2, 3), np.float32))
    with pytest.raises(InputError, match=r"short\.npz: record 0: .*length 3.*have 8"):
        dataset.add_embeddings(
            read_embeddings_file(wrong_length, model="clip"), source=str(wrong_length)
        )
    unknown = tmp_path / "crops.npz"
    np.savez(unknown, ids=np.array(["l000", "l999"]), vectors=np.ones((2, 8), np.float32))
    with pytest.raises(InputError, match=r"crops\.npz: record 1: .*label 'l999' that does not"):
        dataset.add_embeddings(
            read_embeddings_file(unknown, model="clip", kind="crop"), source=str(unknown)
        )
    with pytest.raises(InputError, match="names no model"):
        read_embeddings_file(unknown)
    not_parquet = tmp_path / "x.parquet"
    not_parquet.write_text("hello")
    with pytest.raises(InputError, match=r"x\.parquet: not a Parquet file"):
        read_embeddings_file(not_parquet)
    assert _objects(home) == before and dataset.version == version


_KILLED_WRITE = """
import sys
import numpy as np
from shoal.store import Store, read_embeddings_file
dataset = Store(sys.argv[1]).project("p").dataset("val")
if sys.argv[2] == "projection":
    dataset.projection(method="pca")
else:
    dataset.add_embeddings(read_embeddings_file(sys.argv[3], model="extra"))
"""


@pytest.mark.parametrize("write", ["projection", "import"])
@pytest.mark.parametrize(
    "point",
    [
        pytest.param("before-publish", marks=pytest.mark.slow),
        pytest.param("after-publish", marks=pytest.mark.slow),
        "before-commit",
    ],
)
def test_a_killed_write_leaves_the_store_as_it_was(tmp_path: Path, write: str, point: str) -> None:
    import os
    import signal
    import subprocess
    import sys

    dataset = _dataset(tmp_path, frames=20)
    home = tmp_path / "home"
    file = tmp_path / "extra.npz"
    np.savez(file, ids=np.array([f"f{i:03d}" for i in range(20)]), vectors=_vectors(3, 20))
    version, objects = dataset.version, _objects(home)
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_WRITE, str(home), write, str(file)],
        env={**os.environ, "SHOAL_TEST_CRASH_AT": point},
        capture_output=True,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    assert examine(home).healthy  # leftovers at most
    reopened = Store(home).project("p").dataset("val")  # opening sweeps them
    assert _objects(home) == objects and reopened.version == version
    assert reopened.projection_state(method="pca") == "missing"
    assert [i.model for i in reopened.embedding_models()] == ["clip"]
