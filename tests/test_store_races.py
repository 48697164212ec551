"""Create-by-name races between separate processes on one home (issue 11, defect 2).

Each racer is its own Python process with its own Store, released at one moment; of
those creating one new name exactly one wins and every other gets a ``ConflictError``
(never a ``sqlite3.IntegrityError``), and a project that now exists is simply used.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from shoal.store import IssueElement, Store

from coco_oracle import coco_sample, random_coco, write_coco_sample
from conftest import one_model

# One racer: waits for the start moment, does one write, prints how it went.
RACER = textwrap.dedent(
    """
    import json, sys
    from shoal.errors import ConflictError
    from shoal.store import IssueElement, Store
    from coco_oracle import coco_sample

    home, operation = sys.argv[1], sys.argv[2]
    store = Store(home)
    _, _, dataset_tables, inference_tables = coco_sample(seed=3, num_images=6)
    project = store.project("p")
    dataset = project.dataset("val")
    frames = dataset.frames().column("frame_id").to_pylist()[:2]
    operations = {
        "project": lambda: store.create_project("new"),
        "get_or_create": lambda: store.get_or_create_project("shared"),
        "dataset": lambda: project.create_dataset("d2", dataset_tables),
        "inference_set": lambda: dataset.create_inference_set("m2", inference_tables),
        "replace": lambda: dataset.create_inference_set("m", inference_tables, replace=True),
        "segment": lambda: dataset.create_segment("s", frames=frames),
        "query_segment": lambda: dataset.create_segment("q", query="num_labels > 0"),
        "issue": lambda: project.create_issue("i", [IssueElement("val", frames[0])]),
        "rename": lambda: segment.rename("renamed"),
    }
    segment = dataset.segment(sys.argv[3]) if operation == "rename" else None
    print("ready", flush=True)
    sys.stdin.readline()  # the go, sent to every racer at once
    try:
        operations[operation]()
    except ConflictError as error:
        print(json.dumps(["conflict", str(error)]))
    else:
        print(json.dumps(["ok", ""]))
    """
)


def race_processes(home: Path, operation: str, count: int, *arguments: str) -> list[list[str]]:
    """``count`` processes doing ``operation`` at one moment (racer i gets
    ``arguments[i]``, if any); each one's outcome."""
    tests = str(Path(__file__).parent)
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(home), operation, *arguments[i : i + 1]],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": tests},
        )
        for i in range(count)
    ]
    for run in runs:  # every racer has opened the store and waits
        assert run.stdout is not None and run.stdout.readline() == "ready\n", run.stderr
    for run in runs:
        assert run.stdin is not None
        run.stdin.write("go\n")
        run.stdin.flush()
    outcomes = []
    for run in runs:
        out, err = run.communicate(timeout=180)
        assert run.returncode == 0, err  # no IntegrityError, no traceback of any kind
        assert "Traceback" not in err, err
        outcomes.append(json.loads(out))
    return outcomes


def one_winner(outcomes: list[list[str]], message: str) -> None:
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["conflict"] * (len(kinds) - 1) + ["ok"], outcomes
    assert all(message in text for kind, text in outcomes if kind == "conflict"), outcomes


@pytest.mark.slow
def test_processes_racing_for_one_new_name_get_one_winner(tmp_path):
    _, _, dataset_tables, inference_tables = coco_sample(seed=3, num_images=6)
    store = Store(tmp_path)
    model = one_model(store, dataset_tables, inference_tables)
    dataset = model.dataset
    frames = dataset.frames().column("frame_id").to_pylist()

    one_winner(race_processes(tmp_path, "project", 3), "exists already")
    assert [p.name for p in store.projects()] == ["new", "p"]
    # get_or_create: every racer gets the one project.
    assert [kind for kind, _ in race_processes(tmp_path, "get_or_create", 3)] == ["ok"] * 3
    assert [p.name for p in store.projects()] == ["new", "p", "shared"]

    one_winner(race_processes(tmp_path, "dataset", 3), "has a dataset 'd2' already")
    one_winner(race_processes(tmp_path, "inference_set", 3), "has an inference set 'm2'")
    one_winner(race_processes(tmp_path, "segment", 3), "has a segment 's' already")
    one_winner(race_processes(tmp_path, "query_segment", 3), "has a segment 'q' already")
    one_winner(race_processes(tmp_path, "issue", 3), "has an issue 'i' already")
    assert [i.elements() for i in store.project("p").issues()] == [[IssueElement("val", frames[0])]]
    # Replacing racers all succeed, one after the other: three new versions.
    assert [kind for kind, _ in race_processes(tmp_path, "replace", 3)] == ["ok"] * 3
    assert dataset.inference_set("m").version == 4
    # What the winners wrote is whole: every object is there and reads.
    names = sorted(s.name for s in dataset.segments())
    assert "q" in names and "s" in names
    assert store.project("p").dataset("d2").frames().num_rows == 6
    assert (
        dataset.inference_set("m2").predictions().num_rows == inference_tables.predictions.num_rows
    )


def test_renames_racing_for_one_name_get_one_winner(tmp_path):
    """Two segments renamed to one new name at one moment: one takes it, the other
    keeps its own name and is told."""
    _, _, dataset_tables, inference_tables = coco_sample(seed=3, num_images=6)
    store = Store(tmp_path)
    dataset = one_model(store, dataset_tables, inference_tables).dataset
    frames = dataset.frames().column("frame_id").to_pylist()
    dataset.create_segment("a", frames=frames[:1])
    dataset.create_segment("b", frames=frames[1:2])
    one_winner(race_processes(tmp_path, "rename", 2, "a", "b"), "has a segment 'renamed' already")
    assert sorted(s.name for s in dataset.segments())[1:] in (["a", "renamed"], ["b", "renamed"])


def test_parallel_cli_imports_into_a_new_project_add_every_dataset(tmp_path):
    """Three ``shoal import`` runs into one new project with different datasets, and
    two with the same one: no traceback, every different dataset lands, the second of
    the same name is told in one line (exit 2)."""
    for seed in (1, 2, 3):
        gt, _ = random_coco(np.random.default_rng(seed), num_images=5)
        (tmp_path / f"gt{seed}.json").write_text(json.dumps(gt))
    write_coco_sample(tmp_path, seed=9, num_images=5, results_file="dt.json")
    home = str(tmp_path / "home")

    def cli(*args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "shoal.cli", *args, "--home", home],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    runs = [
        cli("import", "coco", str(tmp_path / f"gt{s}.json"), "--project", "p") for s in (1, 2, 3)
    ]
    runs += [
        cli("import", "coco", str(tmp_path / "gt.json"), "--project", "p", "--dataset", "same")
        for _ in range(2)
    ]
    results = [(run, *run.communicate(timeout=180)) for run in runs]
    for run, _, err in results[:3]:
        assert run.returncode == 0, err
    same = sorted(run.returncode for run, _, _ in results[3:])
    assert same == [0, 2], [err for _, _, err in results]
    assert all("Traceback" not in err and "IntegrityError" not in err for _, _, err in results)
    loser = next(err for run, _, err in results[3:] if run.returncode)
    errors = [line for line in loser.splitlines() if line.startswith("shoal: error:")]
    assert len(errors) == 1 and "has a dataset 'same' already" in errors[0]
    assert [d.name for d in Store(home).project("p").datasets()] == ["gt1", "gt2", "gt3", "same"]


def test_concurrent_creates_over_the_api_are_one_201_and_409s_for_every_kind(tmp_path):
    """Threads of one server creating one new dataset, inference set, segment or issue:
    one 201, the others 409 with the JSON error body (never 500)."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from fastapi.testclient import TestClient

    from shoal.server import create_app

    _, _, dataset_tables, inference_tables = coco_sample(seed=3, num_images=6)
    store = Store(tmp_path)
    dataset = one_model(store, dataset_tables, inference_tables).dataset
    frames = dataset.frames().column("frame_id").to_pylist()
    client = TestClient(create_app(tmp_path), base_url="http://localhost")
    base = "/api/v1/projects/p"
    requests = {
        "segment": (f"{base}/datasets/val/segments", {"name": "s", "frames": frames[:2]}),
        "issue": (f"{base}/issues", {"name": "i"}),
    }
    for what, (url, body) in requests.items():
        barrier = Barrier(5)

        def post(_: int, url: str = url, body: dict = body, barrier: Barrier = barrier):
            barrier.wait()
            return client.post(url, json=body)

        with ThreadPoolExecutor(max_workers=5) as pool:
            answers = list(pool.map(post, range(5)))
        assert sorted(a.status_code for a in answers) == [201, 409, 409, 409, 409], what
        assert all(a.json()["error"] == "conflict" for a in answers if a.status_code == 409)
