"""``shoal doctor``: check a home, repair what can be rebuilt, say whether it is healthy."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from shoal.store import Store, examine
from test_store_corruption import evaluated_home, kept_matching, object_of, truncate

from coco_oracle import coco_sample
from conftest import run_cli


@pytest.fixture
def home(tmp_path) -> Path:
    return evaluated_home(tmp_path, seed=23)


def doctor(home: Path, *args: str):
    return run_cli("doctor", "--home", str(home), *args)


def test_a_healthy_home_exits_0(home):
    run = doctor(home)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip() == f"healthy: {home} (catalog and 3 data object(s) read whole)"
    checkup = examine(home)
    assert checkup.healthy and checkup.findings == []


def test_damage_is_named_and_repair_drops_only_what_can_be_rebuilt(home):
    _, _, dataset_tables, _ = coco_sample(seed=23, num_images=8)
    labels = object_of(home, "datasets", "val") / "labels.parquet"
    kept = kept_matching(home)
    truncate(labels)
    truncate(kept)
    (home / "staging" / ("a" * 32)).mkdir()  # what a killed write leaves
    run = doctor(home)
    assert run.returncode == 1, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert any(
        line.startswith(f"DAMAGED: {labels} (dataset p/val): this data file cannot be read")
        for line in lines
    ), lines
    assert any(line.startswith(f"DAMAGED: {kept} (kept matching p/val/m)") for line in lines)
    assert any(line.startswith("leftover: ") and "staging" in line for line in lines)
    assert "damaged:" in run.stderr and "--repair" in run.stderr
    assert kept.exists()  # checking alone changes nothing

    repaired = doctor(home, "--repair")
    assert repaired.returncode == 1  # the dataset's labels are still damaged
    assert f"repaired: {kept} (kept matching p/val/m)" in repaired.stdout
    assert not kept.exists() and list((home / "staging").iterdir()) == []
    with sqlite3.connect(home / "catalog.sqlite") as db:
        assert db.execute("SELECT count(*) FROM evaluations").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM datasets").fetchone() == (1,)  # reported only
    assert labels.exists()

    # Re-importing the damaged dataset makes the home healthy again.
    Store(home).project("p").create_dataset("val", dataset_tables, replace=True)
    assert doctor(home).returncode == 0


def test_a_missing_folder_and_a_bad_object_name_are_damage(home):
    folder = object_of(home, "inference_sets", "m")
    for file in folder.iterdir():
        file.unlink()
    folder.rmdir()
    with sqlite3.connect(home / "catalog.sqlite") as db:
        db.execute("UPDATE datasets SET object = '../..' WHERE name = 'val'")
    checkup = examine(home, repair=True)
    assert not checkup.healthy
    problems = {(f.path, f.problem) for f in checkup.findings if f.damage}
    assert (str(folder), "the data object's folder is missing") in problems
    assert any("'../..', which is not an object name" in problem for _, problem in problems)
    assert home.is_dir() and (home / "catalog.sqlite").is_file()  # nothing outside touched


def test_a_corrupt_catalog_is_reported_and_a_missing_store_is_bad_input(home, tmp_path):
    (home / "catalog.sqlite").write_bytes(b"garbage" * 1000)
    run = doctor(home)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stdout.startswith(f"DAMAGED: {home / 'catalog.sqlite'}: the catalog cannot be read")
    missing = doctor(tmp_path / "nowhere")
    assert missing.returncode == 2 and "no Shoal store at" in missing.stderr
    assert not (tmp_path / "nowhere").exists()


def test_a_check_beside_a_writer_reports_no_damage(home):
    """Without --repair the check takes no lock: objects a replace removes meanwhile
    are not damage."""
    import threading

    _, _, _, inference_tables = coco_sample(seed=23, num_images=8)
    store = Store(home)
    dataset = store.project("p").dataset("val")
    done = threading.Event()

    def replace_repeatedly() -> None:
        try:
            for _ in range(15):
                dataset.create_inference_set("m", inference_tables, replace=True)
                dataset.inference_set("m").evaluate()
        finally:
            done.set()

    writer = threading.Thread(target=replace_repeatedly)
    writer.start()
    checks = 0
    while not done.is_set() or checks == 0:
        checkup = examine(home)
        assert checkup.healthy, [f.line() for f in checkup.findings]
        checks += 1
    writer.join()
    assert dataset.inference_set("m").version == 16
