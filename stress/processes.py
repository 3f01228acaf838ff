"""Run a function in a process of its own, which the campaign can kill at any moment (a crash:
a deploy, an out-of-memory kill), and get its outcome.

Children fork from a server process that has already imported the product, so each starts in
milliseconds instead of re-importing stripe, googleapiclient and SQLAlchemy.

    child = Child(module_function, arg1, arg2).start()
    plan.on_crash = lambda fault: child.kill()      # the sandbox kills it mid-request
    outcome = child.wait()                          # Outcome("ok", value) / ("error", message) / ("killed", None)
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import traceback
from dataclasses import dataclass
from typing import Any

PRELOAD = ["backend.services.generate", "backend.services.sync", "backend.adapters.stripe_source",
           "backend.adapters.stripe_catalog", "backend.adapters.google_sheets",
           "backend.adapters.hubspot_crm", "backend.store.ledger", "stress.report", "stress.warm"]
_context = None


def context():
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(PRELOAD)
    return _context


@dataclass
class Outcome:
    state: str          # "ok" | "error" | "killed"
    value: Any = None   # the function's return value (ok) or "Type: message" (error)


def _main(connection, function, args) -> None:
    try:
        value = function(*args)
        connection.send(("ok", value))
    except BaseException as exc:  # reported to the parent, which decides what it means
        connection.send(("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=6)}"))
    finally:
        connection.close()


def crash_now() -> None:
    """Called inside a child: die at once, like a killed instance (no cleanup, no finally)."""
    os.kill(os.getpid(), signal.SIGKILL)


class Child:
    def __init__(self, function, *args) -> None:
        ctx = context()
        self._receive, send = ctx.Pipe(duplex=False)
        self._send = send
        self.process = ctx.Process(target=_main, args=(send, function, args), daemon=True)
        self.killed = False

    def start(self) -> "Child":
        self.process.start()
        self._send.close()          # the child holds the only writing end now
        return self

    def kill(self) -> None:
        """SIGKILL, and return once the process is gone."""
        self.killed = True
        if self.process.pid is not None:
            try:
                os.kill(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.join()

    def wait(self, timeout: float = 300.0) -> Outcome:
        message = None
        if self._receive.poll(timeout):
            try:
                message = self._receive.recv()
            except EOFError:          # died before sending
                message = None
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.kill()
            return Outcome("error", f"child still running after {timeout} s: killed")
        self._receive.close()
        if message is None:
            return Outcome("killed", self.process.exitcode)
        return Outcome(*message)
