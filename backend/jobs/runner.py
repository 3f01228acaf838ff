"""Starting and executing jobs.

`start` stores a new job for the company, unless it has one already (queued or running):
then it answers that one, whose progress the sidebar follows instead of starting a second
run. `execute` (a worker thread, or the Cloud Tasks request) claims the job, runs its action
with a progress callback that stores the stage and a percentage, and stores the outcome:
the report's French line and summary, or what went wrong in French. Anything else goes to
the log with secrets scrubbed.

A job is stopped by SIGTERM at its next safe point (backend/jobs/shutdown.py): its run is
recorded as interrupted and its lease freed at once; with Cloud Tasks the job goes back to the
queue and `execute` raises RetryLater, so that the task's request fails and Cloud Tasks runs it
again (on another instance: this one is going away), taking up where it stopped; with a worker
thread, which dies with the process, the job is closed with a French message saying to start
it again (a job left queued would show "en cours" and block the company until it went stale).
A job killed outright (no SIGTERM, or past the grace) goes quiet: its runner touches it every
TOUCH_EVERY seconds while it lives, so one silent for STALE_AFTER (90 s) is dead; the company
may then start another, and a Cloud Tasks delivery of a job still running (elsewhere, or on a
dead instance) answers RetryLater until the job is over or silent long enough to take over.

`request` is `start` for a caller that must not be turned away when the company has a job
running (a webhook announcing a change: its sender will not ask again): the action is
remembered (`PendingStarts`, in the ledger store so that every instance sees it) and started
when the running job ends.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone

from backend.auth.companies import Companies, Company
from backend.errors import Interrupted
from backend.heartbeat import beating
from backend.jobs.actions import PREPARE, Action
from backend.jobs.connections import Connect
from backend.jobs.dispatch import Dispatcher
from backend.jobs.failures import explain, record_failure
from backend.jobs.model import DONE, FAILED, RUNNING, Job
from backend.jobs.shutdown import PROCESS, Stopping
from backend.jobs.store import INTERRUPTED, JobStore
from backend.logs import stack
from backend.secrets import scrub
from backend.services.locked import stop_on
from backend.store.ledger import LedgerStore

log = logging.getLogger(__name__)

# A running job is touched every TOUCH_EVERY seconds while its runner lives; one not heard of
# for STALE_AFTER died with its instance: the company may start another, a retry takes it up.
TOUCH_EVERY = 20.0
STALE_AFTER = timedelta(seconds=90)
KEEP_JOBS = timedelta(days=90)
PROGRESS_EVERY = 0.3                    # seconds between two stored updates of one stage


# A run that could no longer be sure it was the only one writing for the company.
LEASE_LOST = ("L'action a été interrompue : elle n'a pas pu confirmer qu'elle était seule à "
              "écrire pour cette société. Relancez-la : elle reprendra là où elle s'est "
              "arrêtée, sans rien écrire deux fois.")


class UnknownAction(KeyError):
    pass


class RetryLater(Exception):
    """The request that ran the job must fail, so that Cloud Tasks tries it again later
    (backend/web/service.py answers 503): the job was stopped by SIGTERM and is back in the
    queue, or it is running on another instance, which may have died (the retry then finds
    it over, or silent long enough to take it up)."""

    def __init__(self, job_id: str, why: str) -> None:
        super().__init__(f"job {job_id}: {why}; Cloud Tasks is to try again")
        self.job_id = job_id


class PendingStarts:
    """Actions asked for while the company had a job running, with who asked: a cursor of the
    ledger store per action, empty when nothing waits."""

    KEY = "pending start {action}"

    def __init__(self, ledger: Callable[[], LedgerStore]) -> None:
        self.ledger = ledger

    def add(self, company: str, action: str, trigger: str) -> None:
        self.ledger().set_cursor(company, self.KEY.format(action=action), trigger)

    def clear(self, company: str, action: str) -> None:
        key = self.KEY.format(action=action)
        if self.ledger().get_cursor(company, key):
            self.ledger().set_cursor(company, key, "")

    def waiting(self, company: str, actions) -> dict[str, str]:
        """action -> trigger, for the actions waiting."""
        found = {a: self.ledger().get_cursor(company, self.KEY.format(action=a)) for a in actions}
        return {a: trigger for a, trigger in found.items() if trigger}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


# A stage whose total is unknown (documents read from Stripe, page by page) still fills its
# share as its count grows, without ever reaching the end: half of it at this count.
HALF_OF_UNKNOWN = 500


class ProgressRecorder:
    """The use cases' progress(stage, done, total), stored as a stage and a percentage: each
    of the action's stages takes an equal share of the bar, filled by done/total when the
    total is known, and by done/(done + HALF_OF_UNKNOWN) when it is not (the bar moves per
    page read, never past its stage). Stored at most every PROGRESS_EVERY seconds within a
    stage, and always at its end."""

    def __init__(self, store: JobStore, job_id: str, stages: tuple[str, ...],
                 clock: Callable[[], datetime]) -> None:
        self.store, self.job_id, self.stages, self.clock = store, job_id, stages, clock
        self._stage: str | None = None
        self._index = 0
        self._last = 0.0
        self.percent = 0

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if stage == self._stage and now - self._last < PROGRESS_EVERY and not (
                total and done >= total):
            return
        if stage != self._stage and stage in self.stages:
            self._index = self.stages.index(stage)
        self._stage, self._last = stage, now
        share = 100 / max(len(self.stages), 1)
        within = (min(done / total, 1.0) if total
                  else max(done, 0) / (max(done, 0) + HALF_OF_UNKNOWN))
        self.percent = max(self.percent, min(int(self._index * share + within * share), 99))
        self.store.progress(self.job_id, stage, done, total, self.percent, self.clock())


class JobRunner:
    def __init__(self, store: JobStore, dispatcher: Dispatcher, actions: Mapping[str, Action],
                 companies: Companies, connect: Connect,
                 clock: Callable[[], datetime] = utcnow, stale_after: timedelta = STALE_AFTER,
                 pending: PendingStarts | None = None, stopping: Stopping = PROCESS,
                 touch_every: float = TOUCH_EVERY) -> None:
        self.store = store
        self.stopping = stopping      # SIGTERM sets the stop event of every job it runs
        self.touch_every = touch_every
        self.pending = pending
        self.dispatcher = dispatcher
        self.actions = actions
        self.companies = companies
        self.connect = connect
        self.clock = clock
        self.stale_after = stale_after
        self.worker = f"{socket.gethostname()}:{os.getpid()}"

    def action(self, name: str) -> Action:
        if name not in self.actions:
            raise UnknownAction(name)
        return self.actions[name]

    def start(self, company: Company, name: str, raw_params: dict, trigger: str,
              delay: float = 0.0) -> tuple[Job, bool]:
        """(job, True) for a new job; (the company's running job, False) if it has one.
        `delay`: seconds the new job waits, queued, before it runs (see `request`)."""
        action = self.action(name)
        now = self.clock()
        params = action.params(raw_params or {}, company, now)
        job, created = self.store.create(Job.new(company.id, name, params, trigger, now),
                                         self.stale_after)
        if not created:
            log.info("job %s of %s already active: %s not started", job.id, company.id, name)
            return job, False
        log.info("job %s: %s for %s by %s", job.id, name, company.id, trigger)
        try:
            self.dispatcher.dispatch(job, self.execute, delay)
        except Exception:
            log.error("job %s could not be dispatched: %s", job.id, stack())
            self.store.finish(job.id, FAILED, "error", "L'action n'a pas pu être lancée ; "
                              "réessayez dans un instant.", {}, self.clock())
        self._purge(now)
        return self.store.get(job.id) or job, True

    def request(self, company: Company, name: str, raw_params: dict, trigger: str,
                delay: float = 0.0) -> tuple[Job, bool]:
        """`start`, and if the company has a job running, `name` starts when that job ends.
        Remembered before trying: a job ending between the try and the remembering would
        otherwise leave it waiting for nothing.

        Coalescing (a burst of webhooks): with a `delay`, a new job waits that long, queued;
        requests made meanwhile find it active and start nothing (the run clears the pending
        start before it reads anything, so it sees their changes); a request made once it
        has begun reading leaves the pending start set, and one more run follows it."""
        if self.pending is None:
            return self.start(company, name, raw_params, trigger, delay)
        self.action(name)
        self.pending.add(company.id, name, trigger)
        return self.start(company, name, raw_params, trigger, delay)

    def execute(self, job_id: str) -> None:
        job = self.store.claim(job_id, f"{self.worker}:{threading.get_ident()}", self.clock(),
                               self.stale_after)
        if job is None:
            current = self.store.get(job_id)
            if (current is not None and current.state == RUNNING
                    and getattr(self.dispatcher, "retries", False)):
                raise RetryLater(job_id, "running on another instance")
            log.info("job %s: nothing to do (finished, or taken by another worker)", job_id)
            return
        try:
            with self.stopping.running() as stop, stop_on(stop), self._alive(job.id):
                self._execute(job)
        finally:
            self._start_pending(job.company)

    def _alive(self, job_id: str):
        """Touch the job while it runs, so that only a dead worker's job goes stale."""
        def touch() -> None:
            try:
                self.store.touch(job_id, self.clock())
            except Exception:   # the next beat tries again; progress touches it too
                log.warning("job %s not touched: %s", job_id, stack())
        return beating(self.touch_every, touch, f"job-alive-{job_id[:8]}")

    def _start_pending(self, company_id: str) -> None:
        if self.pending is None:
            return
        try:
            company = self.companies.get(company_id)
            waiting = self.pending.waiting(company_id, self.actions) if company else {}
            for name, trigger in waiting.items():
                job, created = self.start(company, name, {}, trigger)
                if not created:      # another job got in first: its end starts this one
                    break
        except Exception:   # the next request or the daily run catches up
            log.error("pending jobs of %s not started: %s", company_id, stack())

    def _execute(self, job: Job) -> None:
        action = self.actions.get(job.action)
        company = self.companies.get(job.company)
        if action is None or company is None:
            self.store.finish(job.id, FAILED, "error", "Action ou société inconnue.", {},
                              self.clock())
            return
        progress = ProgressRecorder(self.store, job.id, action.all_stages, self.clock)
        started = time.perf_counter()
        try:
            if self.pending is not None:
                # Before the action reads anything: a request made after this is for a
                # change this run may not see, and starts another run after it.
                self.pending.clear(job.company, job.action)
            progress(PREPARE, 0, None)
            report = action.run(self.connect(company, job), progress)
            summary = report.summary()
            result = {"summary": summary,
                      "anomalies": getattr(report, "anomalies", None)
                      if getattr(report, "anomalies", None) is not None
                      else summary.get("anomalies"),
                      "files": [{"name": f.name, "size": len(f.content)}
                                for f in getattr(report, "files", ())]}
            outcome = getattr(report, "outcome", "ok")
            self.store.finish(job.id, DONE, outcome, scrub(report.french()), result,
                              self.clock(), list(getattr(report, "files", ())))
            log.info("job %s: %s done for %s in %.2f s (%s)", job.id, job.action, job.company,
                     time.perf_counter() - started, outcome)
        except Interrupted as exc:
            self._interrupted(job, exc)
        except Exception as exc:
            state, outcome, message = explain(exc, action.label)
            level = logging.WARNING if state == DONE else logging.ERROR
            log.log(level, "job %s: %s for %s failed: %s", job.id, job.action, job.company,
                    stack())
            if outcome == "refused" or state == FAILED:
                # Every refusal and failure is in Historique, written here only (the use
                # cases write it when they go through); a sheet out of reach leaves it in the
                # job and the log.
                try:
                    record_failure(self.connect(company, job), action.label, message,
                                   self.clock(), refused=outcome == "refused")
                except Exception:
                    log.warning("job %s: failure not written in Historique: %s", job.id,
                                stack())
            self.store.finish(job.id, state, outcome, message, {}, self.clock())

    def _interrupted(self, job: Job, exc: Interrupted) -> None:
        """A job stopped at a safe point: back to the queue if the queue runs it again,
        else closed with what to do."""
        log.warning("job %s: %s for %s stopped at a safe point (%s)", job.id, job.action,
                    job.company, exc.reason)
        if exc.reason == Interrupted.SIGNAL and getattr(self.dispatcher, "retries", False):
            if self.store.requeue(job.id, self.clock()):
                raise RetryLater(job.id, "stopped by SIGTERM, back in the queue") from exc
        message = INTERRUPTED if exc.reason == Interrupted.SIGNAL else LEASE_LOST
        self.store.finish(job.id, FAILED, "error", message, {}, self.clock())

    def _purge(self, now: datetime) -> None:
        try:
            self.store.purge(now - KEEP_JOBS)
        except Exception:   # housekeeping never fails a request
            log.warning("job purge failed: %s", stack())
