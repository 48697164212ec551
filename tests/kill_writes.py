"""The writes the kill test (test_kill.py) interrupts, and a worker process that runs one.

Each write is one user action, through the face a user would use: ``import`` is
``shoal import coco ... --replace`` (the CLI's code, in process), ``commit`` an upload
committed over the REST API (the server's code, in process: killing this process is
killing the server mid-commit), ``segment`` a segment deleted, created again and given
a threshold (three catalog writes). Every write is idempotent, so the test can run the
same write again after a kill and expect it to succeed.

Run as a script (``python kill_writes.py HOME OPERATION ROUND``) it opens everything,
prints ``ready``, waits for a line on stdin, does the write and prints ``done``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from coco_oracle import random_coco

PROJECT = "p"
BASE_DATASET = "val"
TARGETS = 3  # each operation writes one of three names, so kills hit new and old names


def target(operation: str, round_number: int) -> str:
    prefix = {"import": "d", "commit": "m", "segment": "s"}[operation]
    return f"{prefix}{round_number % TARGETS}"


def coco_file(folder: Path, round_number: int) -> Path:
    """One of two COCO files of different sizes (so two versions differ in content)."""
    variant = round_number % 2
    path = folder / f"gt{variant}.json"
    if not path.exists():
        gt, _ = random_coco(
            np.random.default_rng(100 + variant), num_images=150 + 50 * variant, max_gt=12
        )
        path.write_text(json.dumps(gt))
    return path


def frame_count(folder: Path, round_number: int) -> int:
    return len(json.loads(coco_file(folder, round_number).read_text())["images"])


def prediction_rows(frame_ids: list[str], classes: list[str], round_number: int) -> list[dict]:
    rng = np.random.default_rng(round_number % 2)
    rows = []
    for frame_id in frame_ids:
        for _ in range(int(rng.integers(0, 6 + 4 * (round_number % 2)))):
            x, y = (float(v) for v in rng.uniform(0, 500, 2))
            rows.append(
                {
                    "prediction_id": f"p{len(rows)}",
                    "frame_id": frame_id,
                    "class_name": classes[int(rng.integers(len(classes)))],
                    "x": x,
                    "y": y,
                    "width": float(rng.uniform(4, 100)),
                    "height": float(rng.uniform(4, 100)),
                    "confidence": float(rng.uniform(0, 1)),
                }
            )
    return rows


def segment_frames(frame_ids: list[str], round_number: int) -> list[str]:
    step = 2 + round_number % 2
    return sorted(frame_ids[::step])


def write(home: Path, folder: Path, operation: str, round_number: int) -> None:
    """Do one write to the end (raises on failure)."""
    name = target(operation, round_number)
    if operation == "import":
        from shoal.cli import main

        code = main(
            ["import", "coco", str(coco_file(folder, round_number)), "--project", PROJECT,
             "--dataset", name, "--replace", "--home", str(home)]
        )  # fmt: skip
        assert code == 0
        return
    if operation == "commit":
        _commit(home, name, round_number)
        return
    from shoal.store import Store

    dataset = Store(home).project(PROJECT).dataset(BASE_DATASET)
    if name in {s.name for s in dataset.segments()}:
        dataset.segment(name).delete()
    frames = segment_frames(dataset.frames().column("frame_id").to_pylist(), round_number)
    segment = dataset.create_segment(name, frames=frames)
    segment.set_thresholds(recall=0.5)


def _commit(home: Path, name: str, round_number: int) -> None:
    from fastapi.testclient import TestClient

    from shoal.server import create_app
    from shoal.store import Store

    store = Store(home)
    project = store.project(PROJECT)
    frame_ids = project.dataset(BASE_DATASET).frames().column("frame_id").to_pylist()
    classes = [c.name for c in project.classes()]
    rows = prediction_rows(frame_ids, classes, round_number)
    store.close()
    client = TestClient(create_app(home), base_url="http://localhost")
    upload = client.post("/api/v1/uploads").json()["upload_id"]
    half = len(rows) // 2
    for number, chunk in enumerate((rows[:half], rows[half:])):
        answer = client.put(
            f"/api/v1/uploads/{upload}/chunks/{number}", json={"predictions": chunk}
        )
        assert answer.status_code == 200, answer.text
    body: dict[str, Any] = {"kind": "inference_set", "project": PROJECT,
                            "dataset": BASE_DATASET, "name": name, "replace": True}  # fmt: skip
    answer = client.post(f"/api/v1/uploads/{upload}/commit", json=body)
    assert answer.status_code == 201, answer.text
    # A commit queues the dataset's quality job (the server's background work): the
    # write is done when that job is, as a server's would be before it is stopped.
    quality = f"/api/v1/projects/{PROJECT}/datasets/{BASE_DATASET}/quality"
    deadline = time.monotonic() + 60
    while client.get(quality).json()["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, "the quality job did not finish"
        time.sleep(0.02)


if __name__ == "__main__":
    home_arg, operation_arg, round_arg = sys.argv[1], sys.argv[2], int(sys.argv[3])
    home_path = Path(home_arg)
    # Load everything the write needs before saying ready, so the kill lands in the write.
    import fastapi.testclient  # noqa: F401

    import shoal.cli
    import shoal.server  # noqa: F401
    from shoal.store import Store

    Store(home_path).close()
    coco_file(home_path.parent, round_arg)
    print("ready", flush=True)
    sys.stdin.readline()
    write(home_path, home_path.parent, operation_arg, round_arg)
    print("done", flush=True)
