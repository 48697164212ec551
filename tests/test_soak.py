"""Soak (issue 11, "Done means"): a real server on loopback, one writer replacing an
inference set and adding datasets through a store of its own (as a CLI import would),
and eight readers on metrics, examples, compare and regression, for a fixed count of
requests. No answer is a 5xx, none mixes versions (each is checked against what the
version it names gives, ``replace_race``), and the store is consistent afterwards.

Bounded: the readers make ``READERS * READS_PER_READER`` requests; the writer writes
until they are done, at most ``MAX_WRITES`` times.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import shoal
from shoal.store import examine

from replace_race import (
    DATASET,
    PROJECT,
    READS,
    REPLACED,
    build,
    check_answer,
    expected_answers,
    prediction_sets,
    replace_next,
)

httpx = pytest.importorskip("httpx")
pytest.importorskip("uvicorn")  # serve (test_client) runs the app under it

pytestmark = pytest.mark.slow

READERS = 8
READS_PER_READER = 100
MAX_WRITES = 2000
# Every this many writes, the writer adds a dataset instead of replacing.
ADD_DATASET_EVERY = 5


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    from shoal.server import create_app
    from test_client import serve

    store = shoal.Store(tmp_path / "home")
    build(store)
    with serve(create_app(store)) as url:
        yield url


def test_one_writer_and_eight_readers(served: str, tmp_path: Path) -> None:
    # The writer's own store on the same home: another process's view of it.
    writer_store = shoal.Store(tmp_path / "home")
    dataset = writer_store.project(PROJECT).dataset(DATASET)
    dataset_tables, a, b = prediction_sets()
    sets = [a, b]

    with httpx.Client(base_url=served, timeout=120) as quiet:

        def get(path: str, params: dict[str, Any]) -> Any:
            response = quiet.get(path, params=params)
            assert response.status_code == 200, response.text
            return response.json()

        expected = expected_answers(dataset, sets, get)

    statuses: Counter[int] = Counter()
    by_read: Counter[str] = Counter()
    refusals: list[str] = []
    wrong: list[tuple[str, Any]] = []
    lock = threading.Lock()

    def read(number: int) -> None:
        with httpx.Client(base_url=served, timeout=120) as client:
            for turn in range(number, number + READS_PER_READER):
                name, path, params = READS[turn % len(READS)]
                response = client.get(path, params=params)
                with lock:
                    statuses[response.status_code] += 1
                    by_read[name] += 1
                if response.status_code != 200:
                    with lock:
                        refusals.append(f"{response.status_code} {response.text[:200]}")
                    continue
                answer = response.json()
                if not check_answer(name, answer, expected):
                    with lock:
                        wrong.append((name, answer))

    readers = [threading.Thread(target=read, args=(i,)) for i in range(READERS)]
    started = time.monotonic()
    for thread in readers:
        thread.start()
    replaces = added = 0
    while any(thread.is_alive() for thread in readers) and replaces + added < MAX_WRITES:
        if (replaces + added + 1) % ADD_DATASET_EVERY == 0:
            dataset.project.create_dataset(f"added-{added}", dataset_tables)
            added += 1
        else:
            replace_next(dataset, sets)
            replaces += 1
    for thread in readers:
        thread.join()
    seconds = time.monotonic() - started
    total = READERS * READS_PER_READER
    print(
        f"\nsoak: {total} requests ({dict(by_read)}) in {seconds:.1f} s during "
        f"{replaces} replaces and {added} datasets added; statuses {dict(statuses)}"
    )

    assert not [status for status in statuses if status >= 500], refusals
    assert wrong == [], [name for name, _ in wrong]
    assert sum(statuses.values()) == total
    # A read whose version's files a back-to-back replace removed asks again, rarely.
    assert all("ask again" in refusal for refusal in refusals), refusals
    assert statuses[200] >= total * 0.95, statuses
    assert replaces >= 2 and added >= 1

    # Consistent afterwards: a fresh store on the home sees every write, whole.
    checkup = examine(tmp_path / "home")
    assert checkup.healthy, [finding.line() for finding in checkup.findings]
    after = shoal.Store(tmp_path / "home")
    project = after.project(PROJECT)
    assert {d.name for d in project.datasets()} == {DATASET} | {f"added-{i}" for i in range(added)}
    replaced = project.dataset(DATASET).inference_set(REPLACED)
    # Version 1 was A, then expected_answers' two replaces, then the soak's.
    assert replaced.version == 3 + replaces
    want = sets[replaced.version % 2 == 0].predictions
    assert replaced.predictions().column("prediction_id").equals(want.column("prediction_id"))
    for name in (f"added-{i}" for i in range(added)):
        assert project.dataset(name).labels().num_rows == dataset_tables.labels.num_rows
    with httpx.Client(base_url=served, timeout=120) as client:
        for name, path, params in READS:
            response = client.get(path, params=params)
            assert response.status_code == 200 and check_answer(name, response.json(), expected)
