"""One long action at a time per company, for every action that writes (generate, sync):
`run_locked` takes the company's lease, renews it from a heartbeat while the run lives,
records the run, and releases the lease at the end.

    with run_locked(store, company, "generate", trigger, now=now) as run:
        report = Report(run.id)
        run.summary = report.summary          # what the run record keeps, ok or failed
        ...  checkpoint()  ...                # at each safe point of the use case

- The lease is short (`Lease.ttl_seconds`, 60 s) and renewed every `renew_every` (20 s): a
  crashed process (killed, its instance gone) holds the company for at most a minute, then
  the next run takes over. The lease is timed by `Lease.clock` (the wall clock), never by the
  run's `now`, which is the business date the run journals at (a test's, the demo's).
- The run stops at its next safe point (`checkpoint()`, or `run.check()`) when it is asked to:
  the stop event of the job or command is set (SIGTERM: `stop_on`, backend/jobs/shutdown.py),
  or the lease is no longer surely ours (a renewal found another holder, or none succeeded
  for a whole ttl): two runs never write side by side. It raises `Interrupted`.
- Any point is a safe one: the ledger store records an entry as pending before its rows are
  appended and as written after, and the next run reconciles pending records with the sheet;
  the sync converges from a crash at any call (stress/sync_faults.py). Stopping at a checkpoint
  is a crash the process chose the moment of, with the run recorded and the lease freed at once.
- The run record: started with the run; at the end "ok" with `run.summary()`, or "failed" with
  the summary, the error and, for a stop, why (`interrupted`: "signal" or "lease").
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from backend.errors import AlreadyRunning, Interrupted
from backend.heartbeat import beating
from backend.ports import Progress
from backend.store.ledger import LEASE_SECONDS, LedgerStore

log = logging.getLogger(__name__)

RENEW_EVERY = 20.0   # seconds: three renewals per lease, so two may fail without losing it


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Lease:
    ttl_seconds: float = LEASE_SECONDS
    renew_every: float = RENEW_EVERY                  # real seconds between two renewals
    clock: Callable[[], datetime] = utc_now           # what the lease's expiry is measured in


DEFAULT_LEASE = Lease()

# The stop event of the job or command this context runs (set by SIGTERM), and the run in
# progress: context-local, so that the job runner and the CLI need not thread them through
# every action, and `checkpoint()` needs no argument.
_stop_event: ContextVar[threading.Event | None] = ContextVar("stop_event", default=None)
_current_run: ContextVar[LockedRun | None] = ContextVar("current_run", default=None)


@contextmanager
def stop_on(event: threading.Event) -> Iterator[threading.Event]:
    """Runs started within stop at their next safe point once `event` is set."""
    token = _stop_event.set(event)
    try:
        yield event
    finally:
        _stop_event.reset(token)


def checkpoint() -> None:
    """A safe point of the run in progress (if any): raises Interrupted if it must stop."""
    run = _current_run.get()
    if run is not None:
        run.check()


def run_holder(action: str) -> str:
    """Who holds a lease: the host and process (for a person reading the lock), unique."""
    return f"{socket.gethostname()}:{os.getpid()}:{action}:{uuid.uuid4().hex[:8]}"


class LockedRun:
    """The run in progress: its record id, its lease, and whether it must stop."""

    def __init__(self, store: LedgerStore, company: str, holder: str, lease: Lease,
                 stop: threading.Event | None, expires_at: datetime) -> None:
        self.store, self.company, self.holder, self.lease = store, company, holder, lease
        self.id = 0
        self.summary: Callable[[], dict] = dict
        self.expires_at = expires_at       # of the lease, as far as this run knows
        self._stop = stop
        self._lost = threading.Event()     # a renewal found the lease taken

    def stopping(self) -> str | None:
        """Why the run must stop ("signal" or "lease"), or None."""
        if self._stop is not None and self._stop.is_set():
            return Interrupted.SIGNAL
        if self._lost.is_set() or self.lease.clock() >= self.expires_at:
            return Interrupted.LEASE
        return None

    def check(self) -> None:
        reason = self.stopping()
        if reason is not None:
            raise Interrupted(self.company, reason)

    def guard(self, progress: Progress) -> Progress:
        """`progress`, with a safe point after each report: a use case reports between its
        steps (and the Stripe reader between pages). After, so that the time the report took
        (a job stores it) is not a window."""
        def guarded(stage: str, done: int, total: int | None) -> None:
            progress(stage, done, total)
            self.check()
        return guarded

    # --- the heartbeat ------------------------------------------------------------------

    def _heartbeat(self):
        return beating(self.lease.renew_every, self._renew, f"lease-{self.company}")

    def _renew(self) -> bool:
        """One beat: extend the lease; False (no more beats) once it is lost to another."""
        now = self.lease.clock()
        try:
            renewed = self.store.renew_lock(self.company, self.holder,
                                            self.lease.ttl_seconds, now=now)
        except Exception as exc:   # the next beat tries again; check() knows the expiry
            log.warning("lease of %s not renewed (%s: %s); it expires at %s",
                        self.company, type(exc).__name__, exc, self.expires_at.isoformat())
            return True
        if not renewed:
            log.warning("lease of %s lost to another run: this one stops at its next "
                        "safe point", self.company)
            self._lost.set()
            return False
        self.expires_at = now + timedelta(seconds=self.lease.ttl_seconds)
        return True


@contextmanager
def run_locked(store: LedgerStore, company: str, action: str, trigger: str, *,
               now: datetime | None = None, lease: Lease = DEFAULT_LEASE,
               stop: threading.Event | None = None) -> Iterator[LockedRun]:
    """The company's lease and run record around a run (see the module's docstring).
    AlreadyRunning if another run holds the lease. `stop` defaults to the context's
    (`stop_on`); `now` dates the run record."""
    holder = run_holder(action)
    taken_at = lease.clock()
    if not store.acquire_lock(company, holder, lease.ttl_seconds, now=taken_at):
        held = store.lock_holder(company)
        raise AlreadyRunning(company, held[0] if held else None)
    run = LockedRun(store, company, holder, lease, stop if stop is not None else _stop_event.get(),
                    taken_at + timedelta(seconds=lease.ttl_seconds))
    try:
        run.id = store.start_run(company, action, trigger, now=now)
        token = _current_run.set(run)
        try:
            with run._heartbeat():
                yield run
        except BaseException as exc:
            _record_failure(run, exc)
            raise
        finally:
            _current_run.reset(token)
        store.finish_run(run.id, "ok", run.summary())
    finally:
        _release(store, company, holder, lease)


def _record_failure(run: LockedRun, exc: BaseException) -> None:
    """The run as failed, with why; a store that cannot record it does not hide `exc`."""
    try:
        summary = dict(run.summary())
    except Exception:   # a report half-built by the failure: the error alone is recorded
        summary = {}
    summary["error"] = str(exc)
    if isinstance(exc, Interrupted):
        summary["interrupted"] = exc.reason
    try:
        run.store.finish_run(run.id, "failed", summary)
    except Exception as failure:
        log.warning("run %s of %s not recorded as failed (%s: %s)", run.id, run.company,
                    type(failure).__name__, failure)


def _release(store: LedgerStore, company: str, holder: str, lease: Lease) -> None:
    """Free the lease; if the store does not answer, it frees itself at its expiry."""
    try:
        store.release_lock(company, holder)
    except Exception as exc:
        log.warning("lease of %s not released (%s: %s): it expires within %s s", company,
                    type(exc).__name__, exc, lease.ttl_seconds)
