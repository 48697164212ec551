"""Data for tests that read while a writer replaces an inference set.

The inference set ``m`` alternates between two prediction sets, A (odd versions) and B
(even versions), which differ in every id, box and confidence. Each answer says the
version it was computed from, so a reader can check it against what that version must
give: the answer computed when nothing else was running.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow.compute as pc

import shoal
from shoal.store import Dataset
from shoal.tables import InferenceTables

from coco_oracle import coco_tables, random_coco

PROJECT, DATASET, REPLACED, FIXED = "p", "val", "m", "fixed"
BASE = f"/api/v1/projects/{PROJECT}/datasets/{DATASET}"
# The reads a reader makes: (name, path, query parameters).
READS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("examples", f"{BASE}/inference-sets/{REPLACED}/examples", {"limit": 1000}),
    ("metrics", f"{BASE}/metrics", {"inference_set": [REPLACED, FIXED]}),
    ("compare", f"{BASE}/compare", {"base": REPLACED, "other": FIXED}),
    ("regression", f"{BASE}/inference-sets/{REPLACED}/regression", {}),
)


def prediction_sets(
    seed: int = 7, num_images: int = 40
) -> tuple[Any, InferenceTables, InferenceTables]:
    """The dataset's tables and the two prediction sets A and B."""
    gt, dt = random_coco(np.random.default_rng(seed), num_images=num_images, num_classes=5)
    dataset_tables, first = coco_tables(gt, dt)
    a = first.predictions
    b = a.set_column(
        a.schema.get_field_index("prediction_id"),
        "prediction_id",
        pc.binary_join_element_wise("b-", a.column("prediction_id"), ""),
    )
    for name in ("x", "y"):
        b = b.set_column(b.schema.get_field_index(name), name, pc.add(b.column(name), 3.0))
    confidence = pc.subtract(1.0, b.column("confidence"))
    b = b.set_column(b.schema.get_field_index("confidence"), "confidence", confidence)
    return dataset_tables, InferenceTables.build(a), InferenceTables.build(b)


def build(store: shoal.Store) -> tuple[Dataset, list[InferenceTables]]:
    """The project, its dataset, ``fixed`` (A, never replaced) and ``m`` at version 1 (A)."""
    dataset_tables, a, b = prediction_sets()
    project = store.create_project(PROJECT, default_conf=0.3)
    dataset = project.create_dataset(DATASET, dataset_tables)
    dataset.create_inference_set(FIXED, a)
    dataset.create_inference_set(REPLACED, a)
    frames = dataset.frames().column("frame_id").to_pylist()
    dataset.create_segment("first half", frames=frames[: len(frames) // 2], precision=0.1)
    return dataset, [a, b]


def replace_next(dataset: Dataset, sets: list[InferenceTables]) -> int:
    """Replace ``m`` with the other prediction set; its new version."""
    version = dataset.inference_set(REPLACED).version
    dataset.create_inference_set(REPLACED, sets[version % 2], replace=True)
    return version + 1


def version_of(name: str, answer: Any) -> int | None:
    """The version of ``m`` an answer says it was computed from (None: it does not say)."""
    if name == "examples":
        return int(answer["version"])
    if name == "metrics":
        return int(answer["results"][0]["version"])
    if name == "compare":
        return int(answer["versions"]["base"])
    return None


def without_versions(name: str, answer: Any) -> Any:
    """The answer with the version fields left out (what two versions of one prediction
    set have in common)."""
    if name == "examples":
        return {k: v for k, v in answer.items() if k not in ("version", "dataset_version")}
    if name == "metrics":
        results = [{k: v for k, v in r.items() if k != "version"} for r in answer["results"]]
        return {**answer, "results": results}
    if name == "compare":
        return {k: v for k, v in answer.items() if k != "versions"}
    return answer


def expected_answers(
    dataset: Dataset, sets: list[InferenceTables], get: Callable[[str, dict[str, Any]], Any]
) -> dict[str, list[Any]]:
    """Each read's answer for A (index 1: odd versions) and B (index 0), asked with no
    writer running; leaves ``m`` at an odd version again."""
    answers: dict[str, list[Any]] = {name: [None, None] for name, _, _ in READS}
    for _ in range(2):
        version = dataset.inference_set(REPLACED).version
        for name, path, params in READS:
            answers[name][version % 2] = without_versions(name, get(path, params))
        replace_next(dataset, sets)
    assert answers["examples"][0] != answers["examples"][1]
    return answers


def check_answer(name: str, answer: Any, expected: dict[str, list[Any]]) -> bool:
    """Whether an answer is exactly what the version it names must give (for a read that
    names none, what one of the versions gives)."""
    version = version_of(name, answer)
    body = without_versions(name, answer)
    if version is None:
        return body in expected[name]
    return bool(body == expected[name][version % 2])
