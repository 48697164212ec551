"""The ``shoal`` command, run as users run it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from shoal import COCO_STAT_NAMES
from shoal.cli import main

from conftest import run_cli, validation_folder

FAKE100_AP = 0.5045806987249628


def test_eval_prints_tables_and_writes_json(tmp_path, capsys):
    folder = validation_folder("cocoapi-val2014-fake100")
    out = tmp_path / "metrics.json"
    code = main(
        [
            "eval",
            str(folder / "instances_val2014_100.json"),
            str(folder / "instances_val2014_fakebbox100_results.json"),
            "--conf",
            "0.3",
            "--json",
            str(out),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert (
        "Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.505" in printed
    )
    assert "micro avg" in printed and "Largest confusions" in printed
    result = json.loads(out.read_text())
    assert result["coco"]["AP"] == pytest.approx(FAKE100_AP, abs=1e-12)
    assert list(result["coco"]) == list(COCO_STAT_NAMES)
    rows = {row["label"]: row for row in result["report"]["classes"]}
    assert rows["person"]["support"] == 250
    assert result["settings"] == {"conf": 0.3, "iou": 0.5, "protocol": "coco", "iou_type": "bbox"}
    matrix = result["confusion_matrix"]
    assert matrix["labels"][-1] == "background"
    assert sum(matrix["matrix"][matrix["labels"].index("person")]) == 250


def test_eval_voc_protocol(tmp_path, capsys):
    folder = validation_folder("detectron2-coco-eval-sample")
    code = main(
        [
            "eval",
            str(folder / "gt_val2017_img139_285.json"),
            str(folder / "dt_img139.json"),
            "--protocol",
            "voc",
        ]
    )
    assert code == 0
    assert "PASCAL VOC AP at IoU 0.5" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [0, 0, 10, 10], \"score\": 0.5}", "results.json"),
        ('[{"image_id": 99, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.5}]', "record 0: "),
        ('[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.5},'
         ' {"image_id": 1, "category_id": 1, "bbox": [0, 0, -1, 10], "score": 0.5}]', "record 1: "),
        ('[{"image_id": 1, "category_id": 7, "bbox": [0, 0, 10, 10], "score": 0.5}]', "category"),
        ('[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 1.5}]', "score"),
    ],
)  # fmt: skip
def test_bad_results_give_one_line_and_exit_2(tmp_path, content, message):
    gt = {"images": [{"id": 1}], "categories": [{"id": 1, "name": "a"}],
          "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "area": 100}]}  # fmt: skip
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "results.json").write_text(content)
    done = run_cli("eval", str(tmp_path / "gt.json"), str(tmp_path / "results.json"))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("shoal: error: ")
    assert str(tmp_path / "results.json") in done.stderr
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_missing_file_is_a_user_error(tmp_path):
    done = run_cli("eval", str(tmp_path / "nope.json"), str(tmp_path / "also-nope.json"))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "nope.json" in done.stderr


def test_bad_threshold_is_refused_by_the_parser(tmp_path):
    done = run_cli("eval", "a.json", "b.json", "--conf", "2")
    assert done.returncode == 2
    assert "not in [0, 1]" in done.stderr


def test_empty_results_are_valid(tmp_path, capsys):
    gt = {"images": [{"id": 1}], "categories": [{"id": 1, "name": "a"}], "annotations": []}
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "results.json").write_text("[]")
    out = tmp_path / "out.json"
    assert (
        main(
            ["eval", str(tmp_path / "gt.json"), str(tmp_path / "results.json"), "--json", str(out)]
        )
        == 0
    )
    result = json.loads(out.read_text())
    assert all(v == -1.0 for v in result["coco"].values())


def test_demo_generates_and_evaluates(tmp_path, capsys):
    assert main(["demo", "--dir", str(tmp_path), "--images", "60"]) == 0
    printed = capsys.readouterr().out
    assert "COCO summary" in printed
    first = (tmp_path / "gt.json").read_bytes()
    assert main(["demo", "--dir", str(tmp_path), "--images", "60"]) == 0
    assert (tmp_path / "gt.json").read_bytes() == first  # deterministic
    assert not list(Path(tmp_path).glob("*.partial"))


def test_demo_build_makes_both_projects(tmp_path, capsys):
    assert main(["demo", "--build", "--scale", "0.05", "--home", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "digits (classification)" in printed and "shapes (detection)" in printed
    assert "mlp-64: accuracy" in printed and "adaptive-cc: mAP" in printed


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path):
    """``shoal demo | head -1``: once the reader has gone, stop as Unix tools do (the
    status of SIGPIPE, nothing on standard error), not "shoal: error: Broken pipe"."""
    import os
    import signal

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line is written
    try:
        done = subprocess.run(
            [sys.executable, "-m", "shoal.cli", "demo", "--dir", str(tmp_path), "--images", "5"],
            stdout=write_end, stderr=subprocess.PIPE, text=True, check=False,
        )  # fmt: skip
    finally:
        os.close(write_end)
    assert done.returncode == 128 + signal.SIGPIPE
    assert done.stderr == ""


@pytest.mark.parametrize(
    ("command", "args", "message"),
    [
        ("demo", ("--images", "0"), "argument --images: 0 is not 1 or more"),
        ("demo", ("--images", "-5"), "argument --images: -5 is not 1 or more"),
        ("demo", ("--images", "many"), "argument --images: 'many' is not a whole number"),
        ("demo", ("--scale", "0"), "argument --scale: 0.0 is not a positive number"),
        ("demo", ("--conf", "1.5"), "argument --conf: 1.5 is not in [0, 1]"),
        ("serve", ("--port", "70000"), "argument --port: 70000 is not between 0 and 65535"),
        ("serve", ("--port", "http"), "argument --port: 'http' is not a whole number"),
        ("serve", ("--preload", "-1"), "argument --preload: -1 is not 0 or more"),
        (
            "serve",
            ("--max-upload-mb", "0"),
            "argument --max-upload-mb: 0 is not between 0.001 (1 KB) and 1048576 (1 TB) MB",
        ),
    ],
)
def test_bad_numbers_are_refused_before_anything_is_written(tmp_path, command, args, message):
    """``demo`` writes nothing to its --dir and ``serve`` opens no store at its --home."""
    place_option = {"demo": "--dir", "serve": "--home"}[command]
    place = tmp_path / "made"
    done = run_cli(command, place_option, str(place), *args)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert not place.exists()
