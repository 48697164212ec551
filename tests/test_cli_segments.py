"""``shoal segment create|set|ls|rm`` on a real store, and a CI gate set up without Python."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from shoal.cli import main
from shoal.store import Store

from coco_oracle import coco_sample
from conftest import run_cli


def table_row(printed: str, first_cell: str) -> list[str]:
    """The cells of the table row that starts with ``first_cell`` (cells are separated by
    two or more spaces, as the CLI prints them)."""
    for line in printed.splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        if cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row {first_cell!r} in:\n{printed}")


@pytest.fixture
def home(tmp_path: Path) -> str:
    _, _, dataset_tables, inference_tables = coco_sample(seed=17, num_images=9)
    store = Store(tmp_path / "home")
    dataset = store.create_project("traffic").create_dataset("val", dataset_tables)
    dataset.create_inference_set("model-a", inference_tables)
    store.close()
    return str(tmp_path / "home")


def frame_ids(home: str) -> list[str]:
    return Store(home).project("traffic").dataset("val").frames().column("frame_id").to_pylist()


def test_create_from_frames_and_list(home: str, capsys: pytest.CaptureFixture[str]) -> None:
    ids = frame_ids(home)
    code = main(
        ["segment", "create", "smoke", "--project", "traffic", "--frames", ",".join(ids[:3]),
         "--type", "regression_test", "--recall", "0.4", "--home", home]
    )  # fmt: skip
    assert code == 0
    assert "created segment 'smoke' on traffic/val" in capsys.readouterr().out
    segment = Store(home).project("traffic").dataset("val").segment("smoke")
    assert segment.type == "regression_test"
    assert segment.frame_ids() == sorted(ids[:3])
    assert segment.thresholds == {"precision": None, "recall": 0.4, "f1_score": None}

    assert main(["segment", "ls", "--project", "traffic", "--home", home]) == 0
    printed = capsys.readouterr().out
    assert table_row(printed, "segment") == [
        "segment", "type", "frames", "precision >=", "recall >=", "F1 >=", "query"
    ]  # fmt: skip
    assert table_row(printed, "smoke") == ["smoke", "regression_test", "3", "-", "0.4", "-", "-"]
    assert table_row(printed, "All Frames")[:3] == ["All Frames", "split", str(len(ids))]
    assert "\x1b[" not in printed  # no ANSI codes when not a terminal


def test_create_from_a_file_and_from_standard_input(home: str, tmp_path: Path) -> None:
    ids = frame_ids(home)
    listing = tmp_path / "frames.txt"
    listing.write_text("\n".join(ids[:4]) + "\n\n")
    done = run_cli(
        "segment", "create", "listed", "--project", "traffic", "--frames-file", str(listing),
        "--home", home,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    piped = run_cli(
        "segment", "create", "piped", "--project", "traffic", "--frames-file", "-",
        "--type", "split", "--home", home, stdin="\n".join(ids[4:6]),
    )  # fmt: skip
    assert piped.returncode == 0, piped.stderr
    dataset = Store(home).project("traffic").dataset("val")
    assert dataset.segment("listed").frame_ids() == sorted(ids[:4])
    assert dataset.segment("piped").frame_ids() == sorted(ids[4:6])
    assert dataset.segment("piped").type == "split"


def test_create_from_a_query_follows_the_store(home: str) -> None:
    done = run_cli(
        "segment", "create", "rainy", "--project", "traffic", "--query", "weather = 'rain'",
        "--home", home, "--json",
    )  # fmt: skip
    assert done.returncode == 2  # --json belongs to ls only: argparse says so
    done = run_cli(
        "segment", "create", "rainy", "--project", "traffic", "--query", "weather = 'rain'",
        "--home", home,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    dataset = Store(home).project("traffic").dataset("val")
    assert dataset.segment("rainy").frame_ids() == dataset.query("weather = 'rain'")
    listed = run_cli("segment", "ls", "--project", "traffic", "--json", "--home", home)
    segments = {s["name"]: s for s in json.loads(listed.stdout)}
    assert segments["rainy"]["query"] == "weather = 'rain'"
    assert segments["rainy"]["frame_count"] == len(dataset.query("weather = 'rain'"))
    listed = run_cli("segment", "ls", "--project", "traffic", "--home", home)
    assert table_row(listed.stdout, "rainy")[-1] == "weather = 'rain'"


def test_set_and_clear_thresholds(home: str) -> None:
    ids = frame_ids(home)
    assert main(["segment", "create", "s", "--project", "traffic", "--frames", ids[0],
                 "--home", home]) == 0  # fmt: skip

    def thresholds() -> dict[str, float | None]:
        return Store(home).project("traffic").dataset("val").segment("s").thresholds

    assert main(["segment", "set", "s", "--project", "traffic", "--precision", "0.8",
                 "--f1", "0.5", "--home", home]) == 0  # fmt: skip
    assert thresholds() == {"precision": 0.8, "recall": None, "f1_score": 0.5}
    assert main(["segment", "set", "s", "--project", "traffic", "--recall", "0.3",
                 "--home", home]) == 0  # fmt: skip
    assert thresholds() == {"precision": 0.8, "recall": 0.3, "f1_score": 0.5}
    assert main(["segment", "set", "s", "--project", "traffic", "--f1", "none",
                 "--home", home]) == 0  # fmt: skip
    assert thresholds() == {"precision": 0.8, "recall": 0.3, "f1_score": None}
    assert main(["segment", "set", "s", "--project", "traffic", "--clear", "--recall", "0.6",
                 "--home", home]) == 0  # fmt: skip
    assert thresholds() == {"precision": None, "recall": 0.6, "f1_score": None}
    assert main(["segment", "set", "s", "--project", "traffic", "--clear", "--home", home]) == 0
    assert thresholds() == {"precision": None, "recall": None, "f1_score": None}


def test_all_frames_takes_thresholds(home: str) -> None:
    """The store lets the built-in split carry thresholds like any split card."""
    done = run_cli(
        "segment", "set", "All Frames", "--project", "traffic", "--precision", "0.5",
        "--home", home,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    dataset = Store(home).project("traffic").dataset("val")
    assert dataset.segment("All Frames").thresholds["precision"] == 0.5


def test_rm_asks_first_and_yes_deletes(home: str) -> None:
    ids = frame_ids(home)
    assert main(["segment", "create", "gone", "--project", "traffic", "--frames", ids[0],
                 "--home", home]) == 0  # fmt: skip
    asked = run_cli("segment", "rm", "gone", "--project", "traffic", "--home", home)
    assert asked.returncode == 1 and "pass --yes" in asked.stderr
    names = [s.name for s in Store(home).project("traffic").dataset("val").segments()]
    assert "gone" in names
    assert main(["segment", "rm", "gone", "--project", "traffic", "--yes", "--home", home]) == 0
    names = [s.name for s in Store(home).project("traffic").dataset("val").segments()]
    assert "gone" not in names


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("create", "x", "--frames", "nope"), "unknown frame 'nope'"),
        (("create", "x", "--query", "wether = 'rain'"), "weather"),
        (("create", "x", "--frames", " , "), "--frames lists no frame ids"),
        (("create", "x", "--frames", "a", "--type", "smoke"), "segment type must be one of"),
        (("create", "x", "--frames", "a", "--query", "true"), "not allowed with argument"),
        (("create", "x"), "one of the arguments --frames --frames-file --query is required"),
        (("create", "x", "--frames-file", "/no/such/file.txt"), "/no/such/file.txt"),
        (("set", "x", "--precision", "0.5"), "has no segment 'x'"),
        (("set", "All Frames"), "nothing to set"),
        (("set", "All Frames", "--recall", "1.5"), "1.5 is not in [0, 1]"),
        (("rm", "All Frames", "--yes"), "All Frames"),
        (("ls", "--dataset", "test"), "has no dataset 'test'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(home: str, args: tuple[str, ...], message: str) -> None:
    done = run_cli("segment", *args, "--project", "traffic", "--home", home)
    assert done.returncode == 2, done.stdout
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_frames_file_errors_name_the_file(home: str, tmp_path: Path) -> None:
    listing = tmp_path / "frames.txt"
    listing.write_text("not-a-frame\n")
    done = run_cli(
        "segment", "create", "x", "--project", "traffic", "--frames-file", str(listing),
        "--home", home,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"shoal: error: segment 'x': unknown frame 'not-a-frame' (frame ids read from {listing})"
    )
    listing.write_bytes(b"\xff\xfe\n")
    done = run_cli(
        "segment", "create", "x", "--project", "traffic", "--frames-file", str(listing),
        "--home", home,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip() == f"shoal: error: {listing}: is not UTF-8 text (byte 0)"
    listing.write_text("\n \n")
    done = run_cli(
        "segment", "create", "x", "--project", "traffic", "--frames-file", str(listing),
        "--home", home,
    )  # fmt: skip
    assert done.returncode == 2 and "no frame ids" in done.stderr


def test_several_datasets_need_dataset(home: str) -> None:
    store = Store(home)
    project = store.project("traffic")
    project.create_dataset("test", project.dataset("val").tables())
    store.close()
    done = run_cli("segment", "ls", "--project", "traffic", "--home", home)
    assert done.returncode == 2
    assert "has 2 datasets (test, val): pass --dataset" in done.stderr
    done = run_cli("segment", "ls", "--project", "traffic", "--dataset", "test", "--home", home)
    assert done.returncode == 0 and "All Frames" in done.stdout


def test_a_ci_gate_set_up_from_the_command_line(home: str) -> None:
    """Create a regression test, threshold it and gate on it, all from the CLI."""
    ids = frame_ids(home)
    created = run_cli(
        "segment", "create", "gate", "--project", "traffic", "--frames", ",".join(ids),
        "--type", "regression_test", "--recall", "0", "--home", home,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    passing = run_cli("check", "--project", "traffic", "--inference-set", "model-a", "--home", home)
    assert passing.returncode == 0, passing.stderr
    raised = run_cli(
        "segment", "set", "gate", "--project", "traffic", "--recall", "1", "--precision", "1",
        "--home", home,
    )  # fmt: skip
    assert raised.returncode == 0, raised.stderr
    failing = run_cli("check", "--project", "traffic", "--inference-set", "model-a", "--home", home)
    assert failing.returncode == 1
    assert "failed: gate" in failing.stderr
