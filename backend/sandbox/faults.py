"""Latency and fault injection for the sandbox servers.

A `FaultPlan` is shared by every server of a sandbox: it counts the calls to each service,
adds a set latency to each, and at chosen calls answers with an error, drops the connection
before the request is applied, or applies it and then drops the connection (the write that
succeeded but whose answer was lost). The two crash kinds stand for the caller's process dying
while its request is in flight (a deploy, an out-of-memory kill): the plan's `on_crash` callback
(set by whoever runs the caller in another process) kills it, before or after the request is
applied; then the connection is closed.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

# What a fault does:
ERROR = "error"      # answer `status` with the service's own error body; nothing applied
DROP = "drop"        # close the connection without an answer; nothing applied
LOST = "lost"        # apply the request, then close the connection without an answer
TIMEOUT = "timeout"  # wait `delay` seconds, then close without an answer; nothing applied
CRASH = "crash"      # the caller dies while the request is in flight; nothing applied
CRASH_AFTER = "crash_after"   # the request is applied, then the caller dies before the answer
KINDS = (ERROR, DROP, LOST, TIMEOUT, CRASH, CRASH_AFTER)
# A held service answers nobody until released (a test that needs a run still going while it
# looks); past this, calls go on anyway, so that a test that forgot to release cannot hang.
HOLD_LIMIT = 30.0


@dataclass(frozen=True)
class Fault:
    service: str                 # "stripe", "sheets", "hubspot", or "*" for any
    call: int                    # the Nth call (1-based) to that service, counted by the plan
    kind: str = ERROR
    status: int = 500
    delay: float = 2.0           # for TIMEOUT
    method: str | None = None    # only count calls with this HTTP method ("POST"...), if set

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}")


@dataclass
class Call:
    service: str
    method: str
    path: str
    at: float


@dataclass
class FaultPlan:
    latency: float = 0.0                       # seconds added to every call
    faults: list[Fault] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    # Called with the fault on a crash kind; must return once the caller's process is dead.
    on_crash: Callable[[Fault], None] | None = None
    _counts: Counter = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _held: dict[str, threading.Event] = field(default_factory=dict)

    def hold(self, service: str) -> None:
        """Calls to `service` wait from now until `release` (HOLD_LIMIT at most)."""
        with self._lock:
            self._held.setdefault(service, threading.Event()).clear()

    def release(self) -> None:
        with self._lock:
            for gate in self._held.values():
                gate.set()
            self._held.clear()

    def on_call(self, service: str, method: str, path: str) -> Fault | None:
        """Record a call; sleep the latency; return the fault planned for it, if any."""
        with self._lock:
            self.calls.append(Call(service, method, path, time.monotonic()))
            self._counts[(service, None)] += 1
            self._counts[(service, method)] += 1
            due = None
            for fault in self.faults:
                if fault.service not in ("*", service) or fault.method not in (None, method):
                    continue
                if self._counts[(service, fault.method)] == fault.call:
                    due = fault
                    break
            gate = self._held.get(service)
        if gate is not None:
            gate.wait(HOLD_LIMIT)
        if self.latency:
            time.sleep(self.latency)
        return due

    def crash(self, fault: Fault) -> None:
        if self.on_crash is None:
            raise RuntimeError("a crash fault needs the plan's on_crash callback")
        self.on_crash(fault)

    def count(self, service: str, method: str | None = None) -> int:
        with self._lock:
            return self._counts[(service, method)]

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {svc: n for (svc, method), n in self._counts.items() if method is None}

    def reset(self, faults: list[Fault] | None = None) -> None:
        with self._lock:
            self.calls.clear()
            self._counts.clear()
            self.faults = list(faults or [])
