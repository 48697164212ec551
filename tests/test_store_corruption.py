"""Damaged files in a home (issue 11, defect 12): never a traceback or a 500.

A corrupt Parquet object or catalog, a missing object folder: a ``StoreCorruptError``
naming the file, one line from the CLI, 503 with the JSON error body from the API. A
truncated kept matching is matched again (and kept anew). A catalog row naming an
object outside ``objects/`` is never read or deleted.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shoal.errors import StoreCorruptError
from shoal.server import create_app
from shoal.store import Store

from coco_oracle import coco_sample
from conftest import one_model, run_cli


def evaluated_home(root: Path, seed: int) -> Path:
    """A home under ``root`` with project p, dataset val and inference set m of an
    8-image COCO sample drawn with ``seed``, evaluated (its matching kept)."""
    _, _, dataset_tables, inference_tables = coco_sample(seed=seed, num_images=8)
    store = Store(root / "home")
    model = one_model(store, dataset_tables, inference_tables)
    model.evaluate()
    store.close()
    return root / "home"


@pytest.fixture
def home(tmp_path) -> Path:
    """A home with project p, dataset val, inference set m (its matching kept)."""
    return evaluated_home(tmp_path, seed=17)


def object_of(home: Path, table: str, name: str) -> Path:
    with sqlite3.connect(home / "catalog.sqlite") as db:
        (obj,) = db.execute(f"SELECT object FROM {table} WHERE name = ?", (name,)).fetchone()
    return home / "objects" / obj


def kept_matching(home: Path) -> Path:
    with sqlite3.connect(home / "catalog.sqlite") as db:
        (obj,) = db.execute("SELECT object FROM evaluations").fetchone()
    return home / "objects" / obj / "kept.npz"


def truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def client_for(home: Path) -> TestClient:
    return TestClient(create_app(home), base_url="http://localhost")


METRICS = "/api/v1/projects/p/datasets/val/metrics?inference_set=m"
FRAMES = "/api/v1/projects/p/datasets/val/frames"


@pytest.mark.parametrize(
    ("file", "damage"),
    [
        ("labels.parquet", lambda p: truncate(p)),
        ("frames.parquet", lambda p: p.write_bytes(b"PAR1" + b"\0" * 200 + b"PAR1")),
        ("frames.parquet", lambda p: p.unlink()),
    ],
)
def test_a_damaged_parquet_file_is_named_everywhere(home, file, damage):
    damaged = object_of(home, "datasets", "val") / file
    damage(damaged)
    store = Store(home)
    with pytest.raises(StoreCorruptError) as caught:
        store.project("p").dataset("val").inference_set("m").metrics()
    assert caught.value.path == str(damaged)
    assert "shoal doctor" in str(caught.value)
    # The CLI: one line naming the file, no traceback.
    run = run_cli("check", "--project", "p", "--inference-set", "m", "--home", str(home))
    assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
    assert run.stderr.strip().splitlines()[-1].startswith(f"shoal: error: {damaged}: ")
    # The API: 503 with the JSON error body naming the file, never 500.
    client = client_for(home)
    for url in (METRICS, f"{FRAMES}?limit=5" if file == "frames.parquet" else METRICS):
        answer = client.get(url)
        assert answer.status_code == 503, answer.text
        body = answer.json()
        assert body["error"] == "store_damaged" and body["where"] == str(damaged)
    # Everything that does not read the damaged file still answers.
    assert client.get("/api/v1/projects/p").status_code == 200


def test_a_missing_object_folder_is_damage_not_a_changed_version(home):
    folder = object_of(home, "inference_sets", "m")
    shutil.rmtree(folder)
    store = Store(home)
    with pytest.raises(StoreCorruptError, match="folder is missing") as caught:
        store.project("p").dataset("val").inference_set("m").predictions()
    assert caught.value.path == str(folder)
    answer = client_for(home).get(METRICS)
    assert answer.status_code == 503 and answer.json()["where"] == str(folder)


def test_a_corrupt_catalog_is_named_by_the_store_the_cli_and_the_api(home):
    client = client_for(home)
    assert client.get("/api/v1/projects").status_code == 200
    catalog = home / "catalog.sqlite"
    catalog.write_bytes(b"not a database" * 500)
    for url in ("/api/v1/projects", METRICS):
        answer = client.get(url)
        assert answer.status_code == 503, answer.text
        assert answer.json()["where"] == str(catalog)
    with pytest.raises(StoreCorruptError, match="catalog cannot be read") as caught:
        Store(home)
    assert caught.value.path == str(catalog)
    run = run_cli("ls", "--home", str(home))
    assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
    assert run.stderr.strip().startswith(f"shoal: error: {catalog}: the catalog cannot be read")


def test_a_truncated_kept_matching_is_matched_again_and_kept_anew(home):
    fresh = Store(home).project("p").dataset("val").inference_set("m").metrics().report
    kept = kept_matching(home)
    truncate(kept)
    # A new process (a new store): the kept matching is unreadable, so it matches again.
    store = Store(home)
    again = store.project("p").dataset("val").inference_set("m").metrics().report
    assert again.to_dict() == fresh.to_dict()
    store.close()
    replaced = kept_matching(home)
    assert replaced != kept and not kept.parent.exists()
    assert replaced.stat().st_size > 0
    # Over the API too: never a (permanent) 500.
    truncate(replaced, keep=0.1)
    assert client_for(home).get(METRICS).status_code == 200


def test_object_names_outside_the_objects_folder_are_never_followed(home, tmp_path):
    victim = home / "victim"
    victim.mkdir()
    (victim / "frames.parquet").write_bytes(b"precious")
    with sqlite3.connect(home / "catalog.sqlite") as db:
        db.execute("UPDATE datasets SET object = '../victim' WHERE name = 'val'")
    store = Store(home)
    dataset = store.project("p").dataset("val")
    with pytest.raises(StoreCorruptError, match="not an object name") as caught:
        dataset.frames()
    assert caught.value.path == str(home / "catalog.sqlite")
    store.project("p").delete_dataset("val")
    store.sweep()
    assert (victim / "frames.parquet").read_bytes() == b"precious"
    assert [d.name for d in store.project("p").datasets()] == []


def test_damage_elsewhere_does_not_block_a_delete_or_a_replace(home):
    _, _, dataset_tables, inference_tables = coco_sample(seed=17, num_images=8)
    store = Store(home)
    dataset = store.project("p").dataset("val")
    other = store.project("p").create_dataset("other", dataset_tables)
    truncate(object_of(home, "datasets", "val") / "labels.parquet")
    # Replacing and deleting other data reads every object's classes: the damaged one
    # keeps every class instead of failing the write.
    other.create_inference_set("m2", inference_tables)
    other.create_inference_set("m2", inference_tables, replace=True)
    store.project("p").delete_dataset("other")
    # The damaged dataset itself can be replaced, which repairs it.
    store.project("p").create_dataset("val", dataset_tables, replace=True)
    assert dataset.labels().num_rows == dataset_tables.labels.num_rows


def test_the_sweep_removes_links_without_following_them(home, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("mine")
    (home / "objects" / ("b" * 32)).symlink_to(outside, target_is_directory=True)
    (home / "staging" / "stray").symlink_to(outside, target_is_directory=True)
    store = Store(home)  # opening sweeps leftovers
    assert not (home / "objects" / ("b" * 32)).exists()
    assert not (home / "staging" / "stray").is_symlink()
    assert (outside / "keep.txt").read_text() == "mine"
    assert store.project("p").dataset("val").frames().num_rows == 8
