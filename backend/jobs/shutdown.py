"""SIGTERM ends the running jobs cleanly, at their next safe point.

App Engine stops an instance with SIGTERM, then kills it a few seconds later (GRACE_SECONDS).
gunicorn's master passes SIGTERM on to each worker, whose own handler stops taking requests
and lets those in flight finish within `graceful_timeout`. Each job of the process registers
its stop event here (`Stopping.running`); on SIGTERM every one is set, and the job ends at its
next safe point (backend/services/locked.py): its run recorded as interrupted, its lease
released at once, the job put back for Cloud Tasks to retry or closed with a French message
(backend/jobs/runner.py).

In a gunicorn worker (backend/jobs/gunicorn_conf.py): `post_worker_init` chains our handler
in front of the worker's own, which it still calls (gunicorn's graceful stop goes on as
before); `worker_exit` waits, within the grace, for the jobs to reach their safe point: jobs
of the thread dispatcher run in daemon threads, which the worker's exit would cut short.
The command line uses `stop_on_sigterm` around one run.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

# App Engine standard (second-generation runtimes): SIGKILL follows SIGTERM after about 3 s.
GRACE_SECONDS = 3.0
# What a worker waits for its jobs at exit: the grace, less a margin for the exit itself.
EXIT_WAIT_SECONDS = GRACE_SECONDS - 0.5


class Stopping:
    """The stop events of the jobs running in this process."""

    def __init__(self) -> None:
        self.requested = threading.Event()      # SIGTERM received: new jobs stop at once too
        self._running: set[threading.Event] = set()
        self._changed = threading.Condition()

    @contextmanager
    def running(self) -> Iterator[threading.Event]:
        """A job's stop event, for as long as the job runs."""
        event = threading.Event()
        with self._changed:
            self._running.add(event)
            if self.requested.is_set():
                event.set()
        try:
            yield event
        finally:
            with self._changed:
                self._running.discard(event)
                self._changed.notify_all()

    def stop_all(self) -> None:
        """Every running job (and any starting later) stops at its next safe point. Called
        from a signal handler: takes no lock another thread of this process may hold long."""
        self.requested.set()
        for event in list(self._running):
            event.set()

    def count(self) -> int:
        with self._changed:
            return len(self._running)

    def wait(self, timeout: float) -> bool:
        """Until no job runs (True), or `timeout` seconds (False)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._running:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True


PROCESS = Stopping()


def install_sigterm(stopping: Stopping = PROCESS):
    """SIGTERM stops `stopping`'s running jobs, then goes to the handler that was there
    (gunicorn's graceful stop). Main thread only (Python's rule for signal handlers).
    Returns the previous handler."""
    previous = signal.getsignal(signal.SIGTERM)

    def on_sigterm(signum, frame) -> None:
        stopping.stop_all()
        if callable(previous):
            previous(signum, frame)

    signal.signal(signal.SIGTERM, on_sigterm)
    # As gunicorn set it (signal.signal resets it): system calls in flight are not cut short.
    signal.siginterrupt(signal.SIGTERM, False)
    return previous


@contextmanager
def stop_on_sigterm() -> Iterator[threading.Event]:
    """For one command-line run (main thread): SIGTERM sets the event the run stops on,
    instead of killing the process; the previous handler is back afterwards."""
    stopping = Stopping()
    previous = install_sigterm(stopping)
    try:
        with stopping.running() as event:
            yield event
    finally:
        signal.signal(signal.SIGTERM, previous)


# --- gunicorn server hooks (backend/jobs/gunicorn_conf.py) -----------------------------------

def post_worker_init(worker) -> None:
    """In each worker, after gunicorn installed its handlers and loaded the app."""
    install_sigterm(PROCESS)


def worker_exit(server, worker) -> None:
    """In each worker, once it stopped serving: let the jobs reach their safe point."""
    if PROCESS.count() and not PROCESS.wait(EXIT_WAIT_SECONDS):
        log.warning("%d job(s) still running at exit: their lease frees itself within a "
                    "minute, and their next attempt takes over", PROCESS.count())

