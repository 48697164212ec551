"""Dataset.similar: the store's frames and label crops nearest some seeds by their stored
embeddings, equal to exact search over the same vectors (scikit-learn's brute force as
the oracle), per embedding model, with clear errors for what it cannot answer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from shoal.errors import InputError, NotFoundError
from shoal.sdk import LabeledDataset, LabeledFrame
from shoal.store import Store


def _dataset(tmp_path: Path, frames: int = 120) -> tuple[object, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(4)
    centres = rng.normal(size=(4, 16)) * 5
    frame_vectors = (centres[np.arange(frames) % 4] + rng.normal(size=(frames, 16))).astype(
        np.float32
    )
    crop_vectors = rng.normal(size=(frames, 16)).astype(np.float32)
    dataset = LabeledDataset()
    for i in range(frames):
        frame = LabeledFrame(frame_id=f"f{i:03d}")
        frame.add_image(image_url=f"f{i:03d}.png", width=100, height=100)
        frame.add_label_2d_bbox(
            label_id=f"l{i:03d}", classification="car", top=10, left=10, width=20, height=20
        )
        frame.add_frame_embedding(embedding=frame_vectors[i].tolist(), model_id="resnet")
        frame.add_frame_embedding(embedding=(-frame_vectors[i]).tolist(), model_id="flipped")
        frame.add_crop_embedding(
            label_id=f"l{i:03d}", embedding=crop_vectors[i].tolist(), model_id="resnet"
        )
        dataset.add_frame(frame)
    store = Store(tmp_path / "home")
    project = store.create_project("p", task="detection")
    return project.create_dataset("val", dataset.to_tables()), frame_vectors, crop_vectors


def _expected(vectors: np.ndarray, seeds: list[int], exclude: list[int], k: int) -> list[int]:
    from sklearn.neighbors import NearestNeighbors

    oracle = NearestNeighbors(n_neighbors=len(vectors), algorithm="brute", metric="cosine")
    distances, rows = oracle.fit(vectors).kneighbors(vectors[seeds])
    best = np.full(len(vectors), np.inf)
    for dist, row in zip(distances, rows, strict=True):
        best[row] = np.minimum(best[row], dist)
    best[seeds + exclude] = np.inf
    return np.lexsort((np.arange(len(vectors)), best))[:k].tolist()


def test_frames_and_crops_nearest_the_seeds(tmp_path: Path) -> None:
    dataset, frame_vectors, crop_vectors = _dataset(tmp_path)
    found = dataset.similar(["f000", "f001"], 8, embedding="resnet", exclude=["f004"])  # type: ignore[attr-defined]
    assert found.exact and found.kind == "frame" and found.embedding == "resnet"
    assert list(found.ids) == [f"f{i:03d}" for i in _expected(frame_vectors, [0, 1], [4], 8)]
    assert list(found.distances) == sorted(found.distances)
    assert found.frame_ids == found.ids
    assert found.to_dict()["results"][0] == {
        "id": found.ids[0],
        "frame_id": found.ids[0],
        "distance": found.distances[0],
    }
    crops = dataset.similar(["l010"], 5, embedding="resnet", kind="crop")  # type: ignore[attr-defined]
    assert list(crops.ids) == [f"l{i:03d}" for i in _expected(crop_vectors, [10], [], 5)]
    # A crop's frame comes with it, as the labels table has it.
    labels = dataset.labels().to_pydict()
    frame_of = dict(zip(labels["label_id"], labels["frame_id"], strict=True))
    assert list(crops.frame_ids) == [frame_of[i] for i in crops.ids]
    # Another model answers from its own vectors (opposite directions: the same order).
    flipped = dataset.similar(["f000", "f001"], 8, embedding="flipped", exclude=["f004"])  # type: ignore[attr-defined]
    assert flipped.ids == found.ids


def test_what_it_cannot_answer_is_said(tmp_path: Path) -> None:
    dataset, _, _ = _dataset(tmp_path, frames=20)
    with pytest.raises(InputError, match="embeddings of 2 models"):
        dataset.similar(["f000"])  # type: ignore[attr-defined]
    with pytest.raises(NotFoundError, match="no embedding model 'clip'"):
        dataset.similar(["f000"], embedding="clip")  # type: ignore[attr-defined]
    with pytest.raises(InputError, match="frames without an embedding of this model: 'nope'"):
        dataset.similar(["nope"], embedding="resnet")  # type: ignore[attr-defined]
    with pytest.raises(NotFoundError, match="no crop embeddings of model 'flipped'"):
        dataset.similar(["l000"], embedding="flipped", kind="crop")  # type: ignore[attr-defined]
    with pytest.raises(InputError, match="at least one element"):
        dataset.similar([], embedding="resnet")  # type: ignore[attr-defined]


def test_above_the_index_size_the_index_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("faiss")
    from shoal.store import _similarity

    monkeypatch.setattr(_similarity, "INDEX_MIN_VECTORS", 50)
    dataset, frame_vectors, _ = _dataset(tmp_path, frames=400)
    found = dataset.similar(["f007"], 10, embedding="resnet")  # type: ignore[attr-defined]
    assert not found.exact and "f007" not in found.ids
    expected = {f"f{i:03d}" for i in _expected(frame_vectors, [7], [], 10)}
    assert len(expected & set(found.ids)) >= 9


def test_shoal_similar_prints_and_writes_the_stores_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from shoal.cli import main

    dataset, _, _ = _dataset(tmp_path, frames=60)
    home = str(tmp_path / "home")
    out = tmp_path / "similar.json"
    code = main(
        ["similar", "p", "val", "--to", "f000", "--to", "f001", "-k", "4", "--embedding",
         "resnet", "--exclude", "f004", "--json", str(out), "--home", home]
    )  # fmt: skip
    assert code == 0
    expected = dataset.similar(["f000", "f001"], 4, embedding="resnet", exclude=["f004"])  # type: ignore[attr-defined]
    written = json.loads(out.read_text())
    assert written["results"] == expected.to_dict()["results"] and written["exact"] is True
    printed = capsys.readouterr().out
    assert "Nearest frames by resnet" in printed and "(exact search)" in printed
    assert all(element in printed for element in expected.ids)
    # A user error: one line naming what is wrong, no traceback.
    code = main(["similar", "p", "val", "--to", "f000", "--home", home])
    captured = capsys.readouterr()
    assert code != 0 and "name one (embedding=)" in captured.err
    assert "Traceback" not in captured.err


def test_rest_and_client_answer_the_stores_neighbours(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from shoal.client import Client
    from shoal.server import create_app
    from test_client import serve

    dataset, _, _ = _dataset(tmp_path, frames=60)
    expected = dataset.similar(["f000", "f001"], 5, embedding="resnet", exclude=["f004"])  # type: ignore[attr-defined]
    app = create_app(tmp_path / "home")
    api = TestClient(app, base_url="http://localhost")
    route = "/api/v1/projects/p/datasets/val/similar"
    params = {"to": ["f000", "f001"], "k": 5, "embedding": "resnet", "exclude": ["f004"]}
    answer = api.get(route, params=params)
    assert answer.status_code == 200 and answer.json() == expected.to_dict()
    with serve(app) as url:
        found = Client(url).similar(
            "p", "val", ["f000", "f001"], k=5, embedding="resnet", exclude=["f004"]
        )
    assert found == expected
    # What it cannot answer is a 4xx with a JSON body.
    assert api.get(route, params={"to": "f000"}).status_code == 400  # two models: name one
    missing = api.get(route, params={"to": "nope", "embedding": "resnet"})
    assert missing.status_code == 400 and "'nope'" in missing.json()["detail"]
    assert api.get(route, params={"to": "f000", "embedding": "clip"}).status_code == 404
    assert api.get(route).status_code == 422
