"""Background jobs of the running service (an NLU retraining): one at a time, in a thread.

A job is `queued` until its thread starts, then `running`, then `succeeded` (with a result) or
`failed` (with the error); while it runs it reports a stage, a fraction done and log lines. Every
exception of the work is caught and kept on the job: a failed job never takes the service down.
Jobs live in memory only (the last `keep`); what a job makes (a model version) is on disk.
"""

from __future__ import annotations

import logging
import secrets
import threading
import traceback
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger(__name__)

QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"
MAX_LOG_LINES = 200


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Job:
    id: str
    kind: str
    requested_by: str | None = None
    state: str = QUEUED
    stage: str = "waiting to start"
    fraction: float = 0.0
    log: list[str] = field(default_factory=list)
    result: dict[str, Any] | None = None
    error: str | None = None
    created_at: datetime = field(default_factory=_now)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def active(self) -> bool:
        return self.state in (QUEUED, RUNNING)

    def say(self, line: str) -> None:
        """Add a line to the job's log."""
        with self._lock:
            self.log.append(f"{_now():%H:%M:%S} {line}")
            del self.log[:-MAX_LOG_LINES]

    def progress(self, stage: str, done: int, total: int) -> None:
        """The stage now and how much of it is done (a progress callback of the work)."""
        fraction = min(1.0, max(0.0, done / total)) if total else 0.0
        head = stage.split(":")[0]
        with self._lock:
            new_stage = head != self.stage.split(":")[0]
            self.stage, self.fraction = stage, fraction
        if new_stage:
            self.say(head)

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            return {
                "id": self.id,
                "kind": self.kind,
                "state": self.state,
                "stage": self.stage,
                "fraction": round(self.fraction, 3),
                "log": list(self.log),
                "result": self.result,
                "error": self.error,
                "requested_by": self.requested_by,
                "created_at": self.created_at.isoformat(timespec="seconds"),
                "started_at": self.started_at.isoformat(timespec="seconds") if self.started_at else None,
                "finished_at": self.finished_at.isoformat(timespec="seconds") if self.finished_at else None,
            }


class Busy(Exception):
    """A job is already queued or running (`job`); only one runs at a time."""

    def __init__(self, job: Job) -> None:
        super().__init__(f"job {job.id} ({job.kind}) is still {job.state}")
        self.job = job


Work = Callable[[Job], dict[str, Any]]


class JobRunner:
    """Runs one job at a time in a daemon thread and remembers the last `keep` jobs."""

    def __init__(self, keep: int = 20) -> None:
        self.keep = keep
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._threads: dict[str, threading.Thread] = {}

    def submit(self, kind: str, work: Work, requested_by: str | None = None) -> Job:
        """Start `work(job)` in the background; Busy if a job has not finished yet."""
        with self._lock:
            for job in self._jobs.values():
                if job.active:
                    raise Busy(job)
            job = Job(secrets.token_hex(6), kind, requested_by)
            self._jobs[job.id] = job
            while len(self._jobs) > self.keep:
                self._jobs.popitem(last=False)
            thread = threading.Thread(target=self._run, args=(job, work), name=f"etude-job-{job.id}",
                                      daemon=True)
            self._threads = {k: t for k, t in self._threads.items() if t.is_alive()}
            self._threads[job.id] = thread
        job.say(f"{kind} queued" + (f" by {requested_by}" if requested_by else ""))
        thread.start()
        return job

    def _run(self, job: Job, work: Work) -> None:
        with job._lock:
            job.state, job.started_at, job.stage = RUNNING, _now(), "starting"
        try:
            result = work(job)
        except Exception as exc:  # shown on the job, never raised into the service
            log.exception("job %s (%s) failed", job.id, job.kind)
            job.say(f"failed: {type(exc).__name__}: {exc}")
            job.say(traceback.format_exc(limit=3).strip().splitlines()[-1])
            with job._lock:
                job.state, job.error, job.finished_at = FAILED, f"{type(exc).__name__}: {exc}", _now()
            return
        job.say("finished")
        with job._lock:
            job.state, job.result, job.finished_at = SUCCEEDED, result, _now()
            job.stage, job.fraction = "done", 1.0

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def jobs(self) -> list[Job]:
        """The remembered jobs, newest first."""
        with self._lock:
            return list(reversed(self._jobs.values()))

    def latest(self) -> Job | None:
        with self._lock:
            return next(reversed(self._jobs.values()), None) if self._jobs else None

    def wait(self, job_id: str, timeout: float | None = None) -> Job | None:
        """Wait for a job's thread to end (scripts and tests); the job, or None if unknown."""
        with self._lock:
            thread = self._threads.get(job_id)
        if thread is not None:
            thread.join(timeout)
        return self.get(job_id)
