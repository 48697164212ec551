"""Schemathesis' command line over every operation of a live ``shoal serve``: every phase
(examples, coverage, fuzzing, stateful, the last following the links it infers), every
check, real names in the paths. Zero failures.

Two checks are left out where they judge what no schema can state:

* ``positive_data_acceptance`` (every request the schema allows succeeds) on the
  operations whose success depends on a grammar (a ``query``, a per-class ``conf``
  naming the project's classes) or on the store (a class id already taken, custom
  metric values naming ids the dataset has, an inference set given for a frame or label
  metric, seeds of similar elements with embeddings, issue elements naming
  the store's frames, labels and predictions, a projection computed before it is
  read, a segment
  given both frames and a query, an upload missing a chunk, a nested value beyond
  ±(2**53 - 1) in a row, which the schema does not recurse into): the API answers those
  4xx, naming what is wrong.
* ``ensure_resource_availability`` (a 404 after a POST created something means it was
  lost, unless a DELETE removed it) on uploads: a commit (a POST) consumes its upload.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

pytest.importorskip("schemathesis")

import shoal
from shoal.demo import build_demo_projects
from test_server_live import _free_port

pytestmark = pytest.mark.slow

# Reads and writes go to the demo's names; deletions to scratch entities made for them,
# so the demo stays for the operations after.
CONFIG = """
[parameters]
"path.project" = "shapes"
"path.dataset" = "rendered-scenes"
"path.inference_set" = "adaptive-cc"
"path.segment" = "crowded"
"path.issue" = "late boxes"
"path.campaign" = "late"
"path.position" = 0
"query.before" = "rendered-scenes"
"query.dataset" = "rendered-scenes"
"path.frame_id" = "0001"
"query.inference_set" = "adaptive-cc"
"query.base" = "adaptive-cc"
"query.other" = "threshold-cc"

[[operations]]
include-method = "DELETE"
parameters = { "path.project" = "scratch", "path.dataset" = "scratch", "path.inference_set" = "scratch", "path.segment" = "scratch", "path.issue" = "scratch", "path.campaign" = "scratch" }

[[operations]]  # a conf or a query (tide, label-errors: also bg_iou <= fg_iou, which no schema states; metric-performance: a metric's name)
include-path-regex = "/(metrics|examples|compare|regression|summary|segment|frames|segments|significance|calibration|tide|label-errors|metric-importance|metric-performance|before-after)$"
checks.positive_data_acceptance.enabled = false

[[operations]]  # a task's own routes answer 400 for a project of another task (the demo's names are detection); a query, a conf, an entity type, a frame id
include-path-regex = "/(ner-metrics|ner-sentences|multilabel-metrics|multilabel-examples|multilabel-frame)$"
checks.positive_data_acceptance.enabled = false

[[operations]]  # element-metric values name the store's ids (frames, labels, predictions); inference_set goes with prediction metrics only
include-path-regex = "/element-metrics(/upload|/[^/]+/[^/]+)?$"
checks.positive_data_acceptance.enabled = false

[[operations]]  # similar elements name the store's elements and embedding models
include-path-regex = "/similar$"
checks.positive_data_acceptance.enabled = false

[[operations]]  # a projection is read once computed (404 before), of the store's embedding models; its colors take a conf
include-path-regex = "/projection(/job|/points|/elements|/colors)?$"
checks.positive_data_acceptance.enabled = false

[[operations]]  # issue elements (of a new issue too) name the store's frames, labels and predictions (or a query, a matrix cell's classes); an element's position must be held; fixed labels are COCO of the issue's frames; a COCO export needs elements of one dataset
include-path-regex = "/issues(/[^/]+(/elements(/from-query|/from-cell|/[^/]+)?|/fixed-labels|/export)?)?$"
checks.positive_data_acceptance.enabled = false

[[operations]]  # a campaign names the store's issue, corpus, embedding model and seeds; a review names its candidates
include-path-regex = "/campaigns(/[^/]+(/run|/review|/candidates|/export)?)?$"
checks.positive_data_acceptance.enabled = false

[[operations]]  # uploaded vectors: a Parquet or .npz file naming the store's frames, labels and predictions
include-method = "POST"
include-path-regex = "/embeddings$"
checks.positive_data_acceptance.enabled = false

[[operations]]  # a label-error review names a candidate of the store (kind:id)
include-path-regex = "/label-errors/[^/]+/review$"
checks.positive_data_acceptance.enabled = false

[[operations]]  # a chunk's nested values, a commit's chunks
include-path-regex = "/(commit|chunks/[^/]+)$"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-method = "PATCH"
include-path = "/api/v1/projects/{project}"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-path-regex = "^/api/v1/uploads/"
checks.ensure_resource_availability.enabled = false
"""


def _demo_home(home: Path) -> None:
    store = shoal.Store(home)
    build_demo_projects(store, scale=0.05)
    shapes = store.project("shapes")
    late = shapes.create_issue("late boxes")
    late.add_elements([shoal.IssueElement("rendered-scenes", f) for f in ("0000", "0001", "0002")])
    dataset = shapes.dataset("rendered-scenes")
    dataset.create_segment("scratch", frames=["0000"])
    predictions = dataset.inference_set("threshold-cc").predictions()
    dataset.create_inference_set("scratch", shoal.InferenceTables.build(predictions))
    scratch = store.create_project("scratch", classes=["circle"])
    for project in (shapes, scratch):
        project.create_issue("scratch")
    shapes.issue("scratch").add_elements([shoal.IssueElement("rendered-scenes", "0000")])
    frames = pa.table({"frame_id": ["a"]})
    labels = pa.table({
        "label_id": ["l"], "frame_id": ["a"], "class_name": ["circle"],
        "x": [1.0], "y": [1.0], "width": [4.0], "height": [4.0],
    })  # fmt: skip
    for project in (shapes, scratch):
        project.create_dataset("scratch", shoal.DatasetTables.build(frames, labels))
    scratch_data = scratch.dataset("scratch")
    scratch_data.create_segment("scratch", frames=["a"])
    # Campaigns: the demo's unlabeled corpus searched for more late boxes (run: it has
    # candidates); scratch ones to delete, the scratch project's over a one-vector corpus.
    late_campaign = shapes.create_campaign("late", corpus="unlabeled", issue="late boxes", k=3)
    late_campaign.run()
    shapes.create_campaign("scratch", corpus="unlabeled", issue="late boxes", k=1)
    vector = pa.table({"frame_id": ["a"], "model_id": ["m"], "vector": [[1.0, 0.0]]})
    scratch.create_dataset("corpus", shoal.DatasetTables.build(frames, labels[:0], vector))
    scratch.create_campaign(
        "scratch", corpus="corpus", seeds=[shoal.IssueElement("corpus", "a")], k=1
    )


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("schemathesis")
    _demo_home(folder / "home")
    port = _free_port()
    log = (folder / "serve.log").open("w")  # read by no one: a pipe would fill and block
    process = subprocess.Popen(
        [sys.executable, "-m", "shoal.cli._serve", "--home", str(folder / "home"),
         "--port", str(port), "--preload", "0"],
        stdout=log, stderr=log,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert process.poll() is None, (folder / "serve.log").read_text()
            assert time.monotonic() < deadline, "shoal serve did not start"
            time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}", folder
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_schemathesis_finds_no_failure_in_any_phase(live: tuple[str, Path]) -> None:
    url, folder = live
    config = folder / "schemathesis.toml"
    config.write_text(CONFIG, encoding="utf-8")
    command = [
        str(Path(sys.executable).with_name("st")),
        "--config-file", str(config), "--no-color",
        "run", f"{url}/openapi.json",
        "--phases", "examples,coverage,fuzzing,stateful",
        # every check (the default; "--checks all" would override the exclusions above)
        "--max-examples", "10", "--seed", "1", "--workers", "1",
        "--generation-database", "none",
        # JSON text is UTF-8 (RFC 8259), in which a lone surrogate cannot be written
        "--generation-codec", "utf-8",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=folder)
    assert done.returncode == 0, done.stdout[-20_000:] + done.stderr[-5_000:]
    selected = re.search(r"Operations:\s+(\d+) selected / (\d+) total", done.stdout)
    assert selected and selected[1] == selected[2], done.stdout  # every operation
