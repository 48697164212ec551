"""Embeddings and projections over REST, the client and the CLI: every answer equals the
store's (``Dataset.embedding_models``, ``Dataset.projection``), the points' bytes are the
library's float32 points, elements come back by index, and what cannot be answered is a
4xx JSON error (a clear line without traceback in the CLI)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from shoal.store import Dataset, Store
from test_projection_store import FRAMES, _dataset, _inference

ROUTE = "/api/v1/projects/p/datasets/val"


@pytest.fixture
def dataset(tmp_path: Path) -> Dataset:
    found = _dataset(tmp_path)
    found.create_inference_set("m", _inference(5))
    return found


def _api(tmp_path: Path) -> tuple[TestClient, Any]:
    from shoal.server import create_app

    app = create_app(tmp_path / "home")
    return TestClient(app, base_url="http://localhost"), app


def _until_ended(api: TestClient, params: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job: dict[str, Any] = api.get(f"{ROUTE}/projection/job", params=params).json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError("the projection job did not end")


def test_rest_answers_the_stores_projection(tmp_path: Path, dataset: Dataset) -> None:
    api, _ = _api(tmp_path)
    models = api.get(f"{ROUTE}/embeddings")
    assert models.status_code == 200
    assert models.json() == [i.to_dict() for i in dataset.embedding_models()]
    params = {"kind": "crop", "method": "pca"}
    missing = api.get(f"{ROUTE}/projection", params=params)
    assert missing.status_code == 404 and "POST .../projection" in missing.json()["detail"]
    assert api.get(f"{ROUTE}/projection/job", params=params).status_code == 404
    started = api.post(f"{ROUTE}/projection", params=params)
    assert started.status_code == 202 and started.json()["kind"] == "projection"
    job = _until_ended(api, params)
    assert job["state"] == "done" and job["done"] == job["total"] == 1000
    kept = dataset.projection(kind="crop", method="pca", compute=False)
    summary = api.get(f"{ROUTE}/projection", params=params).json()
    assert summary == {**json.loads(json.dumps(kept.to_dict())), "state": "current"}
    assert job["result"] == kept.to_dict()
    assert summary["sources"] == {"label": FRAMES, "prediction": 2 * FRAMES}
    # The points as bytes: the library's float32 points, little-endian, row-major.
    points = api.get(f"{ROUTE}/projection/points", params=params)
    assert points.headers["content-type"] == "application/octet-stream"
    assert points.content == kept.xy.astype("<f4").tobytes()
    assert int(points.headers["x-shoal-count"]) == len(kept)
    # Elements by index, in the order asked.
    indices = [FRAMES + 5, 0, FRAMES - 1]
    elements = api.post(f"{ROUTE}/projection/elements", params=params, json={"indices": indices})
    assert elements.status_code == 200
    assert elements.json() == [
        {"index": FRAMES + 5, "source": "prediction", "inference_set": "m", "id": "p005",
         "frame_id": "f002"},
        {"index": 0, "source": "label", "inference_set": None, "id": "l000", "frame_id": "f000"},
        {"index": FRAMES - 1, "source": "label", "inference_set": None,
         "id": f"l{FRAMES - 1:03d}", "frame_id": f"f{FRAMES - 1:03d}"},
    ]  # fmt: skip
    # A current projection: a job done at once.
    again = api.post(f"{ROUTE}/projection", params=params)
    assert again.status_code == 202 and again.json()["state"] == "done"


def test_what_rest_cannot_answer_is_a_4xx(tmp_path: Path, dataset: Dataset) -> None:
    api, _ = _api(tmp_path)
    dataset.projection(method="pca")
    past = api.post(
        f"{ROUTE}/projection/elements", params={"method": "pca"}, json={"indices": [FRAMES]}
    )
    assert (
        past.status_code == 400
        and "indices[0] = 60 is past the last point" in past.json()["detail"]
    )
    negative = api.post(
        f"{ROUTE}/projection/elements", params={"method": "pca"}, json={"indices": [-1]}
    )
    assert negative.status_code == 422
    huge = api.post(
        f"{ROUTE}/projection/elements", params={"method": "pca"}, json={"indices": [2**70]}
    )
    assert huge.status_code == 422
    unknown = api.get(f"{ROUTE}/projection", params={"embedding": "nope", "method": "pca"})
    assert unknown.status_code == 404 and "no embedding model 'nope'" in unknown.json()["detail"]
    bad_method = api.post(f"{ROUTE}/projection", params={"method": "tsne"})
    assert bad_method.status_code == 422
    assert api.get("/api/v1/projects/p/datasets/nope/embeddings").status_code == 404
    # Two models: the model must be named (a 400 naming them).
    dataset.create_inference_set("h", _inference(3, frame_vectors=True))
    two = api.get(f"{ROUTE}/projection/points", params={"method": "pca"})
    assert two.status_code == 400 and "clip, hidden" in two.json()["detail"]
    # Replaced vectors: stale, a 404 that says so.
    dataset.create_inference_set("m", _inference(9), replace=True)
    stale = api.get(f"{ROUTE}/projection", params={"embedding": "clip", "kind": "crop"})
    assert stale.status_code == 404


def test_a_failed_job_says_why(tmp_path: Path) -> None:
    found = _dataset(tmp_path, frames=2)  # two vectors: too few to project
    api, _ = _api(tmp_path)
    assert api.post(f"{ROUTE}/projection", params={"method": "pca"}).status_code == 202
    job = _until_ended(api, {"method": "pca"})
    assert job["state"] == "failed" and "at least 3 vectors" in job["error"]
    assert found.projection_state(method="pca") == "missing"


def test_the_client_computes_and_reads_the_projection(tmp_path: Path, dataset: Dataset) -> None:
    from shoal.client import Client
    from shoal.client._errors import APIError
    from test_client import serve

    _, app = _api(tmp_path)
    steps: list[tuple[int, int]] = []
    with serve(app) as url:
        client = Client(url)
        assert client.embedding_models("p", "val") == [
            i.to_dict() for i in dataset.embedding_models()
        ]
        job = client.compute_projection(
            "p", "val", kind="crop", method="pca", poll_seconds=0.05,
            progress=lambda d, t: steps.append((d, t)),
        )  # fmt: skip
        assert job["state"] == "done"
        kept = dataset.projection(kind="crop", method="pca", compute=False)
        points = client.projection_points("p", "val", kind="crop", method="pca")
        assert points.dtype == np.float32
        np.testing.assert_array_equal(points, kept.xy)
        assert client.projection("p", "val", kind="crop", method="pca")["count"] == len(kept)
        elements = client.projection_elements("p", "val", [3], kind="crop", method="pca")
        assert elements[0]["id"] == kept.element_ids[3].as_py()
        with pytest.raises(APIError) as raised:
            client.projection("p", "val", method="umap")
        assert raised.value.status == 404
    assert not steps or steps[-1][0] == steps[-1][1]


def test_cli_lists_projects_and_imports(
    tmp_path: Path, dataset: Dataset, capsys: pytest.CaptureFixture[str]
) -> None:
    from shoal.cli import main

    home = str(tmp_path / "home")
    assert main(["embeddings", "ls", "p", "val", "--home", home]) == 0
    printed = capsys.readouterr().out
    assert "clip" in printed and str(2 * FRAMES) in printed
    out = tmp_path / "projection.json"
    code = main(
        ["embeddings", "project", "p", "val", "--kind", "crop", "--method", "pca",
         "--json", str(out), "--home", home]
    )  # fmt: skip
    assert code == 0
    written = json.loads(out.read_text())
    kept = dataset.projection(kind="crop", method="pca", compute=False)
    assert written["count"] == len(kept) and written["state"] == "current"
    assert written["points"] == kept.xy.tolist()
    assert written["elements"][FRAMES] == {
        "source": "prediction", "inference_set": "m", "id": "p000", "frame_id": "f000"
    }  # fmt: skip
    # Import: new crop vectors of model "dino" for the set from parquet, then frame
    # vectors for the dataset from .npz.
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(2 * FRAMES, 4)).astype(np.float32)
    table = pa.table(
        {
            "frame_id": [f"f{i // 2:03d}" for i in range(2 * FRAMES)],
            "target_id": [f"p{i:03d}" for i in range(2 * FRAMES)],
            "model_id": ["dino"] * (2 * FRAMES),
            "vector": pa.array([v.tolist() for v in vectors], pa.list_(pa.float32())),
        }
    )
    pq.write_table(table, tmp_path / "dino.parquet")
    code = main(
        ["embeddings", "import", "p", "val", str(tmp_path / "dino.parquet"),
         "--inference-set", "m", "--home", home]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    frames = rng.normal(size=(FRAMES, 4)).astype(np.float32)
    np.savez(
        tmp_path / "frames.npz", ids=np.array([f"f{i:03d}" for i in range(FRAMES)]), vectors=frames
    )
    code = main(
        ["embeddings", "import", "p", "val", str(tmp_path / "frames.npz"), "--model", "dino",
         "--home", home]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    store = Store(home)
    after = store.project("p").dataset("val")
    infos = {i.model: i for i in after.embedding_models()}
    assert infos["dino"].frames == FRAMES and infos["dino"].predictions == {"m": 2 * FRAMES}
    assert infos["clip"].frames == FRAMES and infos["clip"].predictions == {"m": 2 * FRAMES}
    from shoal.store import ElementRef

    np.testing.assert_array_equal(
        after.vectors_of(
            [ElementRef("prediction", "p007", "m"), ElementRef("frame", "f003")], embedding="dino"
        ),
        np.stack([vectors[7], frames[3]]),
    )
    # A file that cannot be read: one line naming the file and what is wrong.
    bad = tmp_path / "bad.npz"
    np.savez(bad, ids=np.array(["f000", "nope"]), vectors=np.ones((2, 4), np.float32))
    code = main(["embeddings", "import", "p", "val", str(bad), "--model", "x", "--home", home])
    captured = capsys.readouterr()
    assert code != 0 and "nope" in captured.err and "Traceback" not in captured.err


def test_rest_similar_takes_prediction_crops(tmp_path: Path, dataset: Dataset) -> None:
    api, _ = _api(tmp_path)
    seeds = ["l003", "prediction/m/p004"]
    expected = dataset.similar(seeds, 6, kind="crop", exclude=["prediction/m/p005"])
    answer = api.get(
        f"{ROUTE}/similar",
        params={"to": seeds, "k": 6, "kind": "crop", "exclude": ["prediction/m/p005"]},
    )
    assert answer.status_code == 200 and answer.json() == expected.to_dict()
    missing = api.get(f"{ROUTE}/similar", params={"to": "prediction/m/nope", "kind": "crop"})
    assert missing.status_code == 400 and "'prediction/m/nope'" in missing.json()["detail"]


def test_rest_and_client_upload_vectors(tmp_path: Path, dataset: Dataset) -> None:
    import io

    from shoal.client import Client
    from shoal.client._errors import APIError
    from shoal.store import ElementRef
    from test_client import serve

    api, app = _api(tmp_path)
    frames = np.random.default_rng(2).normal(size=(FRAMES, 4)).astype(np.float32)
    buffer = io.BytesIO()
    np.savez(buffer, ids=np.array([f"f{i:03d}" for i in range(FRAMES)]), vectors=frames)
    added = api.post(
        f"{ROUTE}/embeddings",
        params={"format": "npz", "model": "dino"},
        content=buffer.getvalue(),
        headers={"content-type": "application/octet-stream"},
    )
    assert added.status_code == 201, added.text
    assert added.json() == [i.to_dict() for i in dataset.embedding_models()]
    np.testing.assert_array_equal(
        dataset.vectors_of([ElementRef("frame", "f005")], embedding="dino")[0], frames[5]
    )
    # Bad bytes: a 400 naming the upload; the store unchanged.
    version = dataset.version
    bad = api.post(
        f"{ROUTE}/embeddings", params={"format": "parquet"}, content=b"not parquet",
        headers={"content-type": "application/octet-stream"},
    )  # fmt: skip
    assert bad.status_code == 400 and bad.json()["detail"].startswith("not a Parquet file")
    assert bad.json()["where"] == "upload"
    assert dataset.version == version
    # The client: crop vectors of the set from Parquet.
    crops = np.random.default_rng(3).normal(size=(2 * FRAMES, 4)).astype(np.float32)
    pq.write_table(
        pa.table(
            {
                "prediction_id": [f"p{i:03d}" for i in range(2 * FRAMES)],
                "model_id": ["dino"] * (2 * FRAMES),
                "vector": pa.array([v.tolist() for v in crops], pa.list_(pa.float32())),
            }
        ),
        tmp_path / "crops.parquet",
    )
    with serve(app) as url:
        client = Client(url)
        models = client.add_embeddings("p", "val", tmp_path / "crops.parquet", inference_set="m")
        dino = next(m for m in models if m["model"] == "dino")
        assert dino["predictions"] == {"m": 2 * FRAMES} and dino["frames"] == FRAMES
        with pytest.raises(APIError) as raised:
            client.add_embeddings("p", "val", tmp_path / "crops.parquet", inference_set="nope")
        assert raised.value.status == 404
    np.testing.assert_array_equal(
        dataset.vectors_of([ElementRef("prediction", "p011", "m")], embedding="dino")[0], crops[11]
    )
