"""SIGKILL during imports, upload commits and segment edits (issue 11, "Done means").

Seeded rounds: a worker process (tests/kill_writes.py) starts one write and is killed
with SIGKILL at a random moment within it (or at one of the store's crash points).
After each kill the store must hold nothing partial (every object the catalog points
to reads whole; the write's target is in its old state or its complete new one), lose
nothing (everything else is as it was), leave nothing behind once opened, and the same
write must then succeed.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import kill_writes
from kill_writes import BASE_DATASET, PROJECT, target, write
from shoal.store import Store, examine

SEED = 20261202
ROUNDS = 60
OPERATIONS = ("import", "commit", "segment")
CRASH_POINTS = ("before-publish", "after-publish", "before-commit")
WORKER = str(Path(kill_writes.__file__))

State = dict[tuple[str, str], tuple[object, ...]]


def observed(home: Path) -> State:
    """Everything a user sees, read whole: each dataset's version and row counts as
    read, each inference set's, each segment's frames and recall threshold."""
    store = Store(home)  # opening sweeps what a killed write left
    try:
        project = store.project(PROJECT)
        state: State = {}
        for dataset in project.datasets():
            info = dataset.to_dict()
            frames, labels = dataset.frames().num_rows, dataset.labels().num_rows
            assert (frames, labels) == (info["num_frames"], info["num_labels"])  # not partial
            state[("dataset", dataset.name)] = (dataset.version, frames, labels)
            for inference_set in dataset.inference_sets():
                rows = inference_set.predictions().num_rows
                assert rows == inference_set.to_dict()["num_predictions"]
                state[("set", inference_set.name)] = (inference_set.version, rows)
        for segment in project.dataset(BASE_DATASET).segments()[1:]:
            state[("segment", segment.name)] = (
                tuple(segment.frame_ids()),
                segment.thresholds["recall"],
            )
        return state
    finally:
        store.close()


def assert_whole(home: Path) -> None:
    """No damage and, once a store was opened, no leftovers: nothing partial on disk."""
    checkup = examine(home)
    assert checkup.findings == [], [f.line() for f in checkup.findings]


def key_of(operation: str, name: str) -> tuple[str, str]:
    return ({"import": "dataset", "commit": "set", "segment": "segment"}[operation], name)


def start_worker(home: Path, operation: str, round_number: int, crash_at: str | None):
    env = {**os.environ, "PYTHONPATH": str(Path(WORKER).parent)}
    env.pop("SHOAL_TEST_CRASH_AT", None)
    if crash_at is not None:
        env["SHOAL_TEST_CRASH_AT"] = crash_at
    worker = subprocess.Popen(
        [sys.executable, WORKER, str(home), operation, str(round_number)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert worker.stdout is not None and worker.stdin is not None
    line = worker.stdout.readline()
    assert line == "ready\n", worker.communicate(timeout=60)[1]
    return worker


def timed_run(home: Path, operation: str, round_number: int) -> float:
    """How long the write takes in a worker, from the go to done."""
    worker = start_worker(home, operation, round_number, None)
    started = time.perf_counter()
    out, err = worker.communicate("go\n", timeout=120)
    assert "done" in out, err
    return time.perf_counter() - started


@pytest.mark.slow
def test_sigkill_at_random_points_loses_nothing_and_leaves_nothing_partial(tmp_path, capsys):
    home = tmp_path / "home"
    write(home, tmp_path, "import", 0)  # the base dataset "d0"...
    Store(home).project(PROJECT).create_dataset(  # ... and "val", what commits and segments use
        BASE_DATASET, Store(home).project(PROJECT).dataset("d0").tables()
    )
    # How long each write takes here, so kills land within it (writing once each, too).
    duration = {op: timed_run(home, op, 1) for op in OPERATIONS}
    rng = random.Random(SEED)
    kills = finished = 0
    points: dict[str, int] = {}
    for round_number in range(2, ROUNDS + 2):
        operation = rng.choice(OPERATIONS)
        name = target(operation, round_number)
        key = key_of(operation, name)
        before = observed(home)
        crash_at = None
        if operation != "segment" and rng.random() < 0.3:
            crash_at = rng.choice(CRASH_POINTS)
        worker = start_worker(home, operation, round_number, crash_at)
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
        if crash_at is None:
            time.sleep(rng.uniform(0.0, duration[operation]))
            worker.send_signal(signal.SIGKILL)
        out, err = worker.communicate(timeout=120)
        if "done" in out:
            finished += 1
        else:
            assert worker.returncode == -signal.SIGKILL, err
            kills += 1
            point = crash_at or "random moment"
            points[point] = points.get(point, 0) + 1

        after = observed(home)
        assert_whole(home)
        # Nothing lost: everything but the write's target is as it was.
        assert {k: v for k, v in after.items() if k != key} == {
            k: v for k, v in before.items() if k != key
        }
        # Nothing partial: the target is as it was, or the write's complete result.
        write(home, tmp_path, operation, round_number)  # the same write now succeeds
        complete = observed(home)
        assert_whole(home)
        old, new = before.get(key), after.get(key)
        if operation == "segment":
            # Three catalog writes: old, deleted, created, or created with its threshold.
            wanted = complete[key]
            assert new in (old, None, (wanted[0], None), wanted)
        elif new != old:
            assert new[0] == (old[0] if old else 0) + 1  # one version up...
            assert new[1:] == complete[key][1:]  # ... with every row of the write
            assert complete[key][0] == new[0] + 1
        else:
            assert complete[key][0] == (old[0] if old else 0) + 1

    with capsys.disabled():
        print(
            f"\nkill test (seed {SEED}): {kills} of {ROUNDS} writes killed "
            f"({', '.join(f'{n} {p}' for p, n in sorted(points.items()))}), "
            f"{finished} finished first; nothing lost, nothing partial"
        )
    assert kills >= ROUNDS // 2
