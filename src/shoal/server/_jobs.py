"""Background jobs of the server (computing quality metrics), with their progress.

Jobs run one at a time on one worker thread, in the order they were asked for (each
job already uses every CPU through its own reader threads). Each has a key (what it
works on, e.g. a dataset) so a client asks about "the quality job of this dataset";
a job's record stays readable after it ends (the last ``KEPT_JOBS`` of them), in
memory: a restarted server has none.

States: ``queued`` -> ``running`` -> ``done`` or ``failed`` (with the error's message).
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from shoal.errors import ShoalError

__all__ = ["Job", "JobRegistry", "JobState"]

JobState = Literal["queued", "running", "done", "failed"]
KEPT_JOBS = 200

Work = Callable[[Callable[[int, int], None]], dict[str, Any]]
"""A job's work: called with ``progress(done, total)``, returns its result (JSON)."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Job:
    """One job's record: read it under the registry's lock (``JobRegistry.view``)."""

    id: str
    kind: str
    key: tuple[str, ...]
    state: JobState = "queued"
    done: int = 0
    total: int = 0
    created_at: str = field(default_factory=_now)
    started_at: str | None = None
    finished_at: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "state": self.state,
            "done": self.done,
            "total": self.total,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "result": self.result,
            "error": self.error,
        }


class JobRegistry:
    """Starts jobs on one worker thread and tells their state."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._worker: ThreadPoolExecutor | None = None

    def start(self, kind: str, key: tuple[str, ...], work: Work, *, again: bool = False) -> Job:
        """Queue ``work`` as a job of ``kind`` on ``key``; its record (a copy).

        A job of that kind and key still queued is returned instead of a new one (it
        will see the data as it is when it starts). One running is returned too, unless
        ``again``: then a new job queues behind it (the data changed since it began)."""
        with self._lock:
            for job in reversed(self._jobs.values()):
                if job.kind != kind or job.key != key:
                    continue
                if job.state == "queued" or (job.state == "running" and not again):
                    return _copy(job)
                break
            job = Job(uuid.uuid4().hex, kind, key)
            self._jobs[job.id] = job
            self._trim()
            if self._worker is None:
                self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shoal-job")
            worker = self._worker
            record = _copy(job)
        worker.submit(self._run, job, work)
        return record

    def finished(self, kind: str, key: tuple[str, ...], result: dict[str, Any]) -> Job:
        """Record a job of ``kind`` on ``key`` that is done at once (its answer was
        already kept, e.g. a current projection); its record (a copy)."""
        now = _now()
        job = Job(uuid.uuid4().hex, kind, key, state="done", done=1, total=1)
        job.started_at = job.finished_at = now
        job.result = result
        with self._lock:
            self._jobs[job.id] = job
            self._trim()
            return _copy(job)

    def latest(self, kind: str, key: tuple[str, ...]) -> Job | None:
        """The newest job of ``kind`` on ``key`` (a copy), or None."""
        with self._lock:
            for job in reversed(self._jobs.values()):
                if job.kind == kind and job.key == key:
                    return _copy(job)
        return None

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return _copy(job) if job is not None else None

    def wait(self, timeout: float | None = None) -> None:
        """Until every job queued so far has ended (for tests and shutdown)."""
        with self._lock:
            worker = self._worker
        if worker is not None:
            worker.submit(lambda: None).result(timeout=timeout)

    def shutdown(self) -> None:
        with self._lock:
            worker, self._worker = self._worker, None
        if worker is not None:
            worker.shutdown(wait=True, cancel_futures=False)

    def _run(self, job: Job, work: Work) -> None:
        with self._lock:
            job.state = "running"
            job.started_at = _now()

        def progress(done: int, total: int) -> None:
            with self._lock:
                job.done, job.total = done, total

        try:
            result = work(progress)
        except ShoalError as error:
            self._finish(job, "failed", error=str(error))
        except Exception as error:  # a job's failure is its record's, not the server's
            self._finish(job, "failed", error=f"{type(error).__name__}: {error}")
        else:
            self._finish(job, "done", result=result)

    def _finish(
        self,
        job: Job,
        state: JobState,
        *,
        result: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        with self._lock:
            job.state, job.result, job.error = state, result, error
            job.finished_at = _now()

    def _trim(self) -> None:
        """Forget the oldest ended jobs beyond ``KEPT_JOBS`` (called with the lock)."""
        ended = [j.id for j in self._jobs.values() if j.state in ("done", "failed")]
        for job_id in ended[: max(0, len(self._jobs) - KEPT_JOBS)]:
            del self._jobs[job_id]


def _copy(job: Job) -> Job:
    return Job(**{name: getattr(job, name) for name in job.__dataclass_fields__})
