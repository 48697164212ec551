"""Peak memory of committing a staged upload (issue 11, defect 11).

    python benchmarks/upload_memory.py [--mb 130] [--chunk-mb 8]

Stages about ``--mb`` MB of prediction rows as JSON chunks through the REST API
(in-process), then commits them in a fresh ``python`` process and reports that process's
peak memory (``VmHWM``) before and during the commit, so only the commit counts.
MB = 10**6 bytes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

COMMIT = r"""
import json, sys, time
from fastapi.testclient import TestClient
import shoal
from shoal.server import create_app

def peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1000.0
    return float("nan")

home, upload_id = sys.argv[1], sys.argv[2]
client = TestClient(create_app(home, max_upload_bytes=1 << 30), base_url="http://localhost")
before = peak_mb()
started = time.perf_counter()
done = client.post(
    f"/api/v1/uploads/{upload_id}/commit",
    json={"kind": "inference_set", "project": "p", "dataset": "d", "name": "m"},
)
seconds = time.perf_counter() - started
assert done.status_code == 201, done.text
print(json.dumps({"before_mb": before, "peak_mb": peak_mb(), "seconds": seconds,
                  "rows": done.json()["rows"]["predictions"]}))
"""


def stage(home: Path, megabytes: float, chunk_megabytes: float) -> tuple[str, int]:
    """A project, a dataset of 1,000 frames and a staged upload of predictions."""
    import pyarrow as pa
    from fastapi.testclient import TestClient

    import shoal
    from shoal.server import create_app

    store = shoal.Store(home)
    project = store.create_project("p", classes=["cat", "dog", "bird"])
    frame_ids = [f"frame-{i:05d}" for i in range(1000)]
    frames = pa.table({"frame_id": frame_ids})
    labels = pa.table({
        "label_id": [f"l{i}" for i in range(1000)], "frame_id": frame_ids,
        "class_name": ["cat"] * 1000, "x": [1.0] * 1000, "y": [1.0] * 1000,
        "width": [5.0] * 1000, "height": [5.0] * 1000,
    })  # fmt: skip
    project.create_dataset("d", shoal.DatasetTables.build(frames, labels))
    client = TestClient(create_app(store, max_upload_bytes=1 << 30), base_url="http://localhost")
    upload_id = client.post("/api/v1/uploads").json()["upload_id"]
    row = {
        "frame_id": "frame-00000", "class_name": "dog", "x": 12.25, "y": 40.5,
        "width": 30.75, "height": 22.0, "confidence": 0.8125,
    }  # fmt: skip
    row_bytes = len(json.dumps(row)) + 2
    per_chunk = max(1, int(chunk_megabytes * 1e6 / row_bytes))
    total = int(megabytes * 1e6 / row_bytes)
    staged = 0
    number = 0
    while staged < total:
        count = min(per_chunk, total - staged)
        rows = [
            {**row, "frame_id": frame_ids[(staged + i) % 1000], "confidence": (i % 97) / 97}
            for i in range(count)
        ]
        put = client.put(f"/api/v1/uploads/{upload_id}/chunks/{number}", json={"predictions": rows})
        assert put.status_code == 200, put.text
        staged += count
        number += 1
    return upload_id, staged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=130.0, help="staged JSON, MB")
    parser.add_argument("--chunk-mb", type=float, default=8.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="shoal-upload-memory-") as folder:
        home = Path(folder) / "home"
        upload_id, rows = stage(home, args.mb, args.chunk_mb)
        staged_bytes = sum(
            path.stat().st_size for path in (home / "uploads" / upload_id).glob("chunk-*")
        )
        done = subprocess.run(
            [sys.executable, "-c", COMMIT, str(home), upload_id],
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(done.stdout.strip().splitlines()[-1])
    growth = result["peak_mb"] - result["before_mb"]
    print(
        f"staged {staged_bytes / 1e6:.0f} MB in chunk files ({rows:,} predictions); commit: "
        f"{result['seconds']:.1f} s, peak {result['peak_mb']:.0f} MB "
        f"({result['before_mb']:.0f} MB before it: +{growth:.0f} MB, "
        f"{growth / (staged_bytes / 1e6):.1f}x the staged files)"
    )


if __name__ == "__main__":
    main()
