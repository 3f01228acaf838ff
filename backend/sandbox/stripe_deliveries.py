"""The Stripe sandbox's deliveries of events to its webhook endpoints, as Stripe makes them.

When the sandbox records an event, each enabled endpoint whose `enabled_events` holds the
event's type (or `*`, every event: Stripe accepts no other wildcard there) is sent an HTTP
POST of the event's JSON, signed for that endpoint (`Stripe-Signature: t=...,v1=...`, a new
timestamp at each attempt so that a retry is not stale), with Stripe's user agent and content
type. Deliveries run in worker threads, never in the request that recorded the event: a slow
receiver does not slow the API down. Several workers deliver side by side, so deliveries are
not in the order of the events (Stripe does not promise one either).

A delivery that gets anything but a 2xx (a redirect too), or no answer within the timeout, is
tried again later, with growing delays; a retry whose endpoint was disabled or deleted
meanwhile is dropped, as Stripe drops it. Nothing runs (no thread is started) until an event
is to be delivered to an endpoint.
"""

from __future__ import annotations

import heapq
import http.client
import itertools
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
CONTENT_TYPE = "application/json; charset=utf-8"
# Stripe retries a failed delivery with exponential backoff for up to three days in live mode
# and three times over a few hours in test mode. The sandbox keeps that shape (three retries,
# each delay four times the last) in seconds rather than hours, so that tests and benchmarks
# see retries without waiting for them; `Deliveries.retry_delays` sets other delays.
RETRY_DELAYS = (1.0, 4.0, 16.0)
# Stripe does not publish how long it waits for an answer, only that an endpoint should answer
# 2xx at once and do its work afterwards; a receiver slower than this counts as failed.
TIMEOUT_SECONDS = 10.0
# Deliveries in flight at a time (Stripe delivers a burst's events side by side).
WORKERS = 8

Sign = Callable[[dict, int, str], tuple[bytes, str]]        # (event, timestamp, secret)
Target = Callable[[str], tuple[str, str] | None]            # endpoint id -> (url, secret)
Delivered = Callable[[str], None]                           # event id, once per endpoint


def enabled_for(enabled_events: list[str], event_type: str) -> bool:
    """Whether an endpoint with these `enabled_events` is sent events of `event_type`."""
    return "*" in enabled_events or event_type in enabled_events


def check_enabled_events(enabled_events: list[str]) -> None:
    """Stripe's `enabled_events` are event types, or `*` for all of them; a group wildcard
    such as `invoice.*` is not one (the events list's `type` filter takes those, not an
    endpoint)."""
    wrong = [name for name in enabled_events if "*" in name and name != "*"]
    if wrong or not enabled_events:
        raise ValueError(f"enabled_events must be event types or '*', not {wrong or '[]'}")


@dataclass(frozen=True)
class Attempt:
    """One try at delivering one event to one endpoint."""
    event: str                  # evt_...
    type: str
    endpoint: str               # we_...
    number: int                 # 1 for the first try, then 2, 3... for the retries
    status: int | None          # the receiver's HTTP status; None: no answer
    error: str                  # why there was no answer ("" when there was one)
    at: float                   # when it was sent (time.time())
    seconds: float              # until the answer, or the failure

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(order=True)
class _Job:
    due: float                          # time.monotonic() at which to try
    order: int
    event: dict = field(compare=False)
    endpoint: str = field(compare=False)
    number: int = field(compare=False, default=1)


class Deliveries:
    """The queue of deliveries and its workers. `sign` makes a delivery's body and signature
    header; `target` says where an endpoint is and its secret now (None: disabled or gone);
    `delivered` is told of each success (the event's `pending_webhooks` counts down)."""

    def __init__(self, sign: Sign, target: Target, delivered: Delivered | None = None, *,
                 retry_delays=RETRY_DELAYS, timeout: float = TIMEOUT_SECONDS,
                 workers: int = WORKERS) -> None:
        self.sign = sign
        self.target = target
        self.delivered = delivered
        self.retry_delays = tuple(retry_delays)
        self.timeout = timeout
        self.workers = workers
        self._queue: list[_Job] = []
        self._order = itertools.count()
        self._busy = 0
        self._attempts: list[Attempt] = []
        self._threads: list[threading.Thread] = []
        self._closed = False
        self._changed = threading.Condition()

    def send(self, event: dict, endpoints: list[str]) -> None:
        """Deliver `event` to each endpoint id, later, from a worker."""
        if not endpoints:
            return
        with self._changed:
            for endpoint in endpoints:
                heapq.heappush(self._queue, _Job(time.monotonic(), next(self._order), event,
                                                 endpoint))
            self._start_workers()
            self._changed.notify_all()

    def attempts(self) -> list[Attempt]:
        """Every attempt so far, in the order they ended."""
        with self._changed:
            return list(self._attempts)

    def pending(self) -> int:
        """Deliveries queued (retries waiting included) or in flight."""
        with self._changed:
            return len(self._queue) + self._busy

    def threads(self) -> int:
        """Worker threads alive (none until the first delivery)."""
        with self._changed:
            return sum(1 for t in self._threads if t.is_alive())

    def wait(self, timeout: float = 30.0) -> bool:
        """Until nothing is queued or in flight (retries included); False if `timeout` ran out
        first."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._queue or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
            return True

    def close(self) -> None:
        """Stop the workers; what is still queued is dropped."""
        with self._changed:
            self._closed = True
            self._queue.clear()
            self._changed.notify_all()
        for thread in self._threads:
            thread.join(self.timeout + 1)

    # --- workers ---------------------------------------------------------------------------

    def _start_workers(self) -> None:
        self._threads = [t for t in self._threads if t.is_alive()]
        while len(self._threads) < self.workers and not self._closed:
            thread = threading.Thread(target=self._work, daemon=True,
                                      name=f"stripe-delivery-{len(self._threads) + 1}")
            self._threads.append(thread)
            thread.start()

    def _next(self) -> _Job | None:
        with self._changed:
            while not self._closed:
                now = time.monotonic()
                if self._queue and self._queue[0].due <= now:
                    self._busy += 1
                    return heapq.heappop(self._queue)
                self._changed.wait(self._queue[0].due - now if self._queue else None)
            return None

    def _work(self) -> None:
        while (job := self._next()) is not None:
            attempt = None
            try:
                attempt = self._attempt(job)
                if attempt is not None and attempt.delivered and self.delivered is not None:
                    self.delivered(job.event["id"])
            finally:
                # One step: `wait` never sees a failed try as the end with its retry unqueued.
                with self._changed:
                    self._busy -= 1
                    if attempt is not None:
                        self._attempts.append(attempt)
                        if not attempt.delivered and not self._closed \
                                and job.number <= len(self.retry_delays):
                            heapq.heappush(self._queue, _Job(
                                time.monotonic() + self.retry_delays[job.number - 1],
                                next(self._order), job.event, job.endpoint, job.number + 1))
                    self._changed.notify_all()

    def _attempt(self, job: _Job) -> Attempt | None:
        """One POST; None when the endpoint is no longer there to deliver to."""
        target = self.target(job.endpoint)
        if target is None:
            return None
        url, secret = target
        started, sent_at = time.monotonic(), time.time()
        body, signature = self.sign(job.event, int(sent_at), secret)
        status, error = None, ""
        try:
            status = _post(url, body, {"Content-Type": CONTENT_TYPE, "User-Agent": USER_AGENT,
                                       "Stripe-Signature": signature,
                                       "Cache-Control": "no-cache",
                                       "Accept": "*/*; q=0.5, application/xml"}, self.timeout)
        except Exception as exc:  # noqa: BLE001 - whatever went wrong, it was not delivered
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return Attempt(job.event["id"], job.event["type"], job.endpoint, job.number, status,
                       error, sent_at, time.monotonic() - started)


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """The receiver's status; redirects are not followed (Stripe counts them as failures)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout,
                                                 context=ssl.create_default_context())
    elif parts.scheme == "http":
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    else:
        raise OSError(f"not an http(s) URL: {url}")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()
