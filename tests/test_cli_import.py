"""``shoal import``: files in, projects out, bad input named, nothing half-written."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from shoal.cli import main
from shoal.store import Store

from coco_oracle import pycocotools_stats, random_coco
from conftest import validation_folder


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shoal.cli", *args], capture_output=True, text=True
    )


@pytest.fixture
def coco_files(tmp_path):
    gt, dt = random_coco(np.random.default_rng(17), num_images=12)
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "model.json").write_text(json.dumps(dt))
    return gt, dt, tmp_path


def test_import_coco_then_evaluate_equals_pycocotools(coco_files, capsys):
    gt, dt, folder = coco_files
    home = str(folder / "home")
    assert main(["import", "coco", str(folder / "gt.json"), "--project", "p", "--home", home]) == 0
    assert (
        main(
            [
                "import",
                "coco-results",
                str(folder / "model.json"),
                "--project",
                "p",
                "--dataset",
                "gt",
                "--home",
                home,
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "imported dataset 'gt' into p: 12 frames" in out
    assert f"imported inference set 'model' on p/gt: {len(dt):,} predictions" in out
    model = Store(home).project("p").dataset("gt").inference_set("model")
    assert model.evaluate().coco_summary().stats == pytest.approx(
        pycocotools_stats(gt, dt), abs=1e-12
    )


def test_names_in_use_need_replace(coco_files):
    _, _, folder = coco_files
    home = str(folder / "home")
    args = ["import", "coco", str(folder / "gt.json"), "--project", "p", "--home", home]
    assert run_cli(*args).returncode == 0
    again = run_cli(*args)
    assert again.returncode == 2
    assert "--replace" in again.stderr and "Traceback" not in again.stderr
    assert run_cli(*args, "--replace").returncode == 0
    assert Store(home).project("p").dataset("gt").version == 2


def test_bad_results_are_named_and_change_nothing(coco_files):
    _, dt, folder = coco_files
    home = str(folder / "home")
    assert (
        run_cli(
            "import", "coco", str(folder / "gt.json"), "--project", "p", "--home", home
        ).returncode
        == 0
    )
    dt[5]["bbox"][2] = float("nan")
    bad = folder / "bad.json"
    bad.write_text(json.dumps(dt).replace("NaN", "-1"))
    done = run_cli(
        "import", "coco-results", str(bad), "--project", "p", "--dataset", "gt", "--home", home
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith(f"shoal: error: {bad}: record 5: ")
    assert Store(home).project("p").dataset("gt").inference_sets() == []
    assert sorted(p.name for p in (folder / "home" / "staging").iterdir()) == []


def test_predictions_need_a_dataset(coco_files):
    _, _, folder = coco_files
    done = run_cli(
        "import",
        "coco-results",
        str(folder / "model.json"),
        "--project",
        "p",
        "--home",
        str(folder / "h"),
    )
    assert done.returncode == 2
    assert "needs --dataset" in done.stderr


def test_import_voc_and_its_detections_from_the_public_fixture(tmp_path):
    folder = (
        validation_folder("rafaelpadilla-review-object-detection-metrics") / "data" / "database"
    )
    home = str(tmp_path)
    assert (
        main(
            [
                "import",
                "voc",
                str(folder / "gts" / "pascalvoc_format"),
                "--project",
                "voc",
                "--dataset",
                "db",
                "--home",
                home,
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "import",
                "coco-results",
                str(folder / "dets" / "coco_format" / "coco_dets.json"),
                "--project",
                "voc",
                "--dataset",
                "db",
                "--name",
                "dets",
                "--home",
                home,
            ]
        )
        == 0
    )
    dataset = Store(home).project("voc").dataset("db")
    assert (dataset.frames().num_rows, dataset.labels().num_rows) == (100, 273)
    assert dataset.inference_set("dets").predictions().num_rows == 452
    # VOC's "difficult" boxes are ignored ground truth: predictions on them do not count.
    difficult = sum(dataset.labels().column("ignore").to_pylist())
    assert difficult > 0
    report = dataset.inference_set("dets").evaluate().report(0.0, 0.5)
    assert int(report.support.sum()) == 273 - difficult
    assert int(report.tp.sum() + report.fp.sum()) < 452


def test_import_classification_csv(tmp_path):
    rng = np.random.default_rng(3)
    names = ["cat", "dog"]
    truth = rng.choice(names, 30)
    lines = ["frame_id,label"] + [f"f{i},{c}" for i, c in enumerate(truth)]
    (tmp_path / "labels.csv").write_text("\n".join(lines) + "\n")
    p = rng.random(30)
    predicted = np.where(p > 0.5, "dog", "cat")
    rows = ["frame_id,predicted,confidence,p_cat,p_dog"] + [
        f"f{i},{predicted[i]},{max(p[i], 1 - p[i]):.6f},{1 - p[i]:.6f},{p[i]:.6f}"
        for i in range(30)
    ]
    (tmp_path / "preds.csv").write_text("\n".join(rows) + "\n")
    home = str(tmp_path / "home")
    assert (
        main(["import", "csv", str(tmp_path / "labels.csv"), "--project", "c", "--home", home]) == 0
    )
    assert (
        main(
            [
                "import",
                "csv-predictions",
                str(tmp_path / "preds.csv"),
                "--project",
                "c",
                "--dataset",
                "labels",
                "--home",
                home,
            ]
        )
        == 0
    )
    project = Store(home).project("c")
    assert project.task == "classification"
    evaluation = project.dataset("labels").inference_set("preds").evaluate()
    assert evaluation.accuracy() == pytest.approx(float(np.mean(truth == predicted)))
