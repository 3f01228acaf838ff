"""The job store port, and its in-memory adapter (tests, one process).

The one rule every adapter keeps: a company has at most one active (queued or running) job.
`create` inserts a job only if the company has none, atomically; otherwise it answers the
active one. An active job not heard of for `stale_after` (its worker died with its
instance) is closed as interrupted first, so that a crash never blocks a company. A running
job is heard of through its progress and `touch`, which its runner calls while it lives.
"""

from __future__ import annotations

import copy
import threading
from datetime import datetime, timedelta
from typing import Protocol

from backend.jobs.model import ACTIVE, DONE, FAILED, QUEUED, RUNNING, Job, JobFile

INTERRUPTED = ("L'action a été interrompue (le serveur a redémarré) ; "
               "relancez-la : elle reprendra là où elle s'est arrêtée.")
# A job stopped by SIGTERM and put back in the queue: the sidebar shows it while Cloud Tasks
# tries again.
RESUMING = ("Interrompue par un redémarrage du serveur, sans rien écrire deux fois ; "
            "elle reprend d'elle-même dans un instant.")


class JobStore(Protocol):
    def create(self, job: Job, stale_after: timedelta) -> tuple[Job, bool]:
        """(job, True) if inserted; (the company's active job, False) otherwise."""

    def get(self, job_id: str) -> Job | None: ...

    def claim(self, job_id: str, worker: str, now: datetime, stale_after: timedelta) -> Job | None:
        """queued -> running for `worker` (or a running job whose worker went silent); None
        if the job is not there to take (finished, or running elsewhere)."""

    def progress(self, job_id: str, stage: str, done: int | None, total: int | None,
                 percent: int, now: datetime) -> None: ...

    def finish(self, job_id: str, state: str, outcome: str, message: str, result: dict,
               now: datetime, files: list[JobFile] = ()) -> None:
        """The job is over (DONE or FAILED): the company may start another."""

    def touch(self, job_id: str, now: datetime) -> None:
        """A sign of life of a running job (its updated_at), between progress reports."""

    def requeue(self, job_id: str, now: datetime) -> bool:
        """running -> queued, its worker forgotten and RESUMING shown: the job's next attempt
        (a Cloud Tasks retry) claims it again. The company keeps it as its active job. False
        if the job was not running."""

    def active(self, company: str) -> Job | None: ...

    def latest(self, company: str, limit: int = 10) -> list[Job]:
        """The company's jobs, newest first."""

    def file(self, job_id: str, name: str) -> JobFile | None: ...

    def purge(self, finished_before: datetime) -> int:
        """Forget finished jobs (and their files) older than that; how many."""


def _stale(job: Job, now: datetime, stale_after: timedelta) -> bool:
    return job.state in ACTIVE and job.updated_at < now - stale_after


class MemoryJobStore:
    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._files: dict[str, dict[str, JobFile]] = {}
        self._lock = threading.Lock()

    def create(self, job: Job, stale_after: timedelta) -> tuple[Job, bool]:
        with self._lock:
            for other in self._jobs.values():
                if other.company != job.company or other.state not in ACTIVE:
                    continue
                if _stale(other, job.created_at, stale_after):
                    self._close(other, FAILED, "error", INTERRUPTED, {}, job.created_at)
                else:
                    return copy.deepcopy(other), False
            self._jobs[job.id] = copy.deepcopy(job)
            return copy.deepcopy(job), True

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return copy.deepcopy(job) if job else None

    def claim(self, job_id, worker, now, stale_after):
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or not (job.state == QUEUED or (job.state == RUNNING
                                                            and _stale(job, now, stale_after))):
                return None
            job.state, job.worker, job.updated_at = RUNNING, worker, now
            job.started_at = job.started_at or now
            return copy.deepcopy(job)

    def progress(self, job_id, stage, done, total, percent, now):
        with self._lock:
            job = self._jobs.get(job_id)
            if job and job.state == RUNNING:
                job.stage, job.done, job.total, job.percent, job.updated_at = (
                    stage, done, total, percent, now)

    def finish(self, job_id, state, outcome, message, result, now, files=()):
        with self._lock:
            job = self._jobs.get(job_id)
            if job and job.state in ACTIVE:
                self._close(job, state, outcome, message, result, now)
                self._files[job_id] = {f.name: f for f in files}

    def touch(self, job_id, now):
        with self._lock:
            job = self._jobs.get(job_id)
            if job and job.state == RUNNING:
                job.updated_at = max(job.updated_at, now)

    def requeue(self, job_id, now):
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.state != RUNNING:
                return False
            job.state, job.worker, job.stage, job.updated_at = QUEUED, "", RESUMING, now
            return True

    def _close(self, job, state, outcome, message, result, now) -> None:
        job.state, job.outcome, job.message, job.result = state, outcome, message, dict(result)
        job.finished_at = job.updated_at = now
        if state == DONE:
            job.percent = 100

    def active(self, company):
        with self._lock:
            for job in self._jobs.values():
                if job.company == company and job.state in ACTIVE:
                    return copy.deepcopy(job)
        return None

    def latest(self, company, limit=10):
        with self._lock:
            jobs = [j for j in self._jobs.values() if j.company == company]
        jobs.sort(key=lambda j: j.created_at, reverse=True)
        return [copy.deepcopy(j) for j in jobs[:limit]]

    def file(self, job_id, name):
        with self._lock:
            return self._files.get(job_id, {}).get(name)

    def purge(self, finished_before):
        with self._lock:
            old = [i for i, j in self._jobs.items()
                   if j.finished_at is not None and j.finished_at < finished_before]
            for job_id in old:
                del self._jobs[job_id]
                self._files.pop(job_id, None)
            return len(old)
