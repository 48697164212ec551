"""``shoal ls``, ``shoal show`` and ``shoal rm`` on a real store."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from shoal.cli import main
from shoal.store import Store
from test_cli_segments import table_row

from coco_oracle import coco_sample, random_coco


@pytest.fixture
def home(tmp_path):
    _, _, dataset_tables, inference_tables = coco_sample(seed=5, num_images=6)
    store = Store(tmp_path)
    dataset = store.create_project("traffic").create_dataset("val", dataset_tables)
    dataset.create_inference_set("model-a", inference_tables)
    dataset.create_segment(
        "smoke",
        type="regression_test",
        frames=dataset_tables.frames.column("frame_id").to_pylist()[:2],
        precision=0.5,
    )
    store.close()
    return tmp_path


def test_ls_and_show(home, capsys):
    assert main(["ls", "--home", str(home)]) == 0
    assert table_row(capsys.readouterr().out, "traffic") == ["traffic", "detection", "1"]
    assert main(["ls", "traffic", "--home", str(home)]) == 0
    out = capsys.readouterr().out
    assert table_row(out, "dataset")[:3] == ["dataset", "inference set", "frames"]
    assert table_row(out, "val")[:3] == ["val", "-", "6"]
    assert "model-a" in out
    assert main(["show", "traffic", "--home", str(home)]) == 0
    out = capsys.readouterr().out
    assert table_row(out, "smoke")[:4] == ["smoke", "regression_test", "2", "0.5"]
    assert table_row(out, "model-a")[0] == "model-a"
    assert main(["show", "traffic", "--json", "--home", str(home)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["datasets"][0]["inference_sets"][0]["name"] == "model-a"
    assert [s["name"] for s in info["datasets"][0]["segments"]] == ["All Frames", "smoke"]


def test_rm_asks_and_yes_deletes(home):
    done = subprocess.run(
        [sys.executable, "-m", "shoal.cli", "rm", "traffic", "val", "model-a", "--home", str(home)],
        capture_output=True, text=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 1
    assert "pass --yes" in done.stderr
    assert [i.name for i in Store(home).project("traffic").dataset("val").inference_sets()] == [
        "model-a"
    ]
    assert main(["rm", "traffic", "val", "model-a", "--yes", "--home", str(home)]) == 0
    assert Store(home).project("traffic").dataset("val").inference_sets() == []
    assert main(["rm", "traffic", "--yes", "--home", str(home)]) == 0
    assert Store(home).projects() == []
    objects = list((home / "objects").iterdir())
    assert objects == []


def test_unknown_names_are_one_line_errors(home):
    done = subprocess.run(
        [sys.executable, "-m", "shoal.cli", "rm", "traffic", "nope", "--yes", "--home", str(home)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        == "shoal: error: project 'traffic' has no dataset 'nope' (datasets: val)"
    )


@pytest.mark.parametrize(
    "command",
    [
        ["ls"],
        ["ls", "traffic"],
        ["show", "traffic"],
        ["rm", "traffic", "--yes"],
        ["check", "--project", "traffic", "--inference-set", "model-a"],
        ["segment", "ls", "--project", "traffic"],
    ],
)
def test_read_only_commands_refuse_a_home_without_a_store(tmp_path, command):
    typo = tmp_path / "typo"
    done = subprocess.run(
        [sys.executable, "-m", "shoal.cli", *command, "--home", str(typo)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"shoal: error: no Shoal store at {typo}; "
        "create one with `shoal import` or `shoal demo --build`"
    )
    assert not typo.exists()


def test_import_creates_a_new_home(tmp_path, capsys):
    gt, _ = random_coco(np.random.default_rng(6), num_images=3)
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    new_home = tmp_path / "new" / "home"
    code = main(
        ["import", "coco", str(tmp_path / "gt.json"), "--project", "p", "--home", str(new_home)]
    )
    assert code == 0
    assert main(["ls", "--home", str(new_home)]) == 0
    assert table_row(capsys.readouterr().out, "p") == ["p", "detection", "1"]


def test_a_catalog_that_is_not_a_database_is_a_one_line_error(tmp_path):
    (tmp_path / "catalog.sqlite").write_text("not a database")
    done = subprocess.run(
        [sys.executable, "-m", "shoal.cli", "ls", "--home", str(tmp_path)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 2
    # Issue 11: the line names the damaged file itself and points to `shoal doctor`.
    assert done.stderr.strip() == (
        f"shoal: error: {tmp_path / 'catalog.sqlite'}: the catalog cannot be read (file is not "
        "a database) (the store is damaged: run `shoal doctor`)"
    )
