"""Stripe through the official library (`stripe.StripeClient`, the API version it pins).

Lists are read 100 at a time with the customer expanded in the same call, so a run needs
about one call per hundred documents; an invoice with more than ten lines gets the rest of its
lines from the lines endpoint. The library does the HTTP, the authentication, the API version
header and the retries (connection errors, 429s and 5xx, with backoff).

What makes a big month fast:

- Pages are read on the library's raw path: the library sends the request and checks the
  answer, and the JSON body becomes plain dicts in one `json.loads`, the same dicts the API
  returns. The typed path (`client.v1.invoices.list`) builds a StripeObject for every nested
  object, which this adapter then turned back into dicts: about 0.2 s of CPU per page of 100
  invoices, more than the round trip itself. The raw path is the one
  `StripeClient.raw_request` takes; it is called one level lower (the client's requestor)
  only to skip the OrderedDict-building parse `raw_request` makes of every successful body
  (35 ms a page of 100 invoices, against 5 ms for `json.loads`); where that level is
  missing, `raw_request` is used.
- A list with a `created` window (invoices, credit notes, events) is read in time ranges side
  by side. The first page comes from the whole window: a daily run with fewer than a hundred
  new documents makes that one call, as before. When there is more, the rest of the window is
  cut into time ranges of about equal work (estimated from the density of what was read) for
  a pool of threads; when a thread falls idle, the range with the most left is cut again. The
  ranges never overlap (`created[gte]`/`created[lt]`; the range being read keeps its cursor),
  so the result is the sequential listing: the same documents in the same newest-first order,
  deduplicated by id. Each range costs at most one partial page: about one call per hundred
  documents plus `max_ranges`. The lines of long documents are fetched in tasks of their own,
  side by side too. Requests are spaced to stay under Stripe's read rate limit (100 a second
  in live mode, 25 in test mode) with a margin. Results, cuts and progress are handled on the
  calling thread; a failure anywhere lets the calls under way finish, starts nothing new, and
  is raised as a ServiceError.
- Documents of one listing showing the same customer share one dict for it (read-only).
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field

import stripe

from backend.errors import ServiceError
from backend.ports import Progress, no_progress

PAGE = 100
PARALLELISM = 8
# Requests a second this adapter allows itself: under Stripe's read limits (100/s live,
# 25/s test mode), leaving room for the account's other traffic.
LIVE_RATE = 80
TEST_RATE = 20


class StripeSourceAdapter:
    """`parallelism`: threads reading time ranges side by side (1: one page after another).
    `max_ranges`: how many ranges a listing may be cut into (each may cost one partial page).
    `max_requests_per_second`: None picks by the key (live 80, test mode 20); 0: no limit."""

    def __init__(self, api_key: str, base_url: str | None = None, max_retries: int = 3,
                 timeout: float = 30.0, *, parallelism: int = PARALLELISM,
                 max_ranges: int | None = None,
                 max_requests_per_second: float | None = None) -> None:
        kwargs = {"base_addresses": {"api": base_url}} if base_url else {}
        http = stripe.RequestsClient(timeout=timeout) if _has_requests() else None
        self.client = stripe.StripeClient(api_key, max_network_retries=max_retries,
                                          http_client=http, **kwargs)
        self.parallelism = max(1, int(parallelism))
        self.max_ranges = max(1, max_ranges if max_ranges is not None else 3 * self.parallelism)
        if max_requests_per_second is None:
            max_requests_per_second = TEST_RATE if "_test_" in api_key else LIVE_RATE
        self._rate = _RateLimit(max_requests_per_second)
        self._get_raw = _raw_getter(self.client)
        self._calls = 0
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    def calls(self) -> int:
        return self._calls

    def close(self) -> None:
        """Stop the reading threads (they also stop when the adapter is garbage-collected);
        a later listing starts new ones."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)

    # --- one request ---------------------------------------------------------------------

    def _get(self, path: str, params: dict) -> dict:
        """One GET through the library; the answer's JSON as plain dicts."""
        with self._lock:
            self._calls += 1
        try:
            with self._rate.slot():
                body = self._get_raw(path, params)
        except stripe.StripeError as exc:
            raise service_error(exc) from exc
        try:
            return json.loads(body)
        except ValueError as exc:
            raise ServiceError("stripe", f"unreadable answer to GET {path}: {exc}",
                               transient=True) from exc

    # --- lists -----------------------------------------------------------------------------

    def _sequential(self, path: str, params: dict, progress: Progress = no_progress,
                    stage: str = "", lines_path: str | None = None,
                    keep: Keep | None = None) -> Iterator[dict]:
        params = {**params, "limit": PAGE}
        read = 0
        shared = _SharedCustomers()
        while True:
            page = self._get(path, params)
            items = page.get("data") or []
            shared.share(items)
            if lines_path:
                items = self._complete_all(items, lines_path)
            if keep is not None:
                items = [keep(item) for item in items]
            read += len(items)
            if stage:
                progress(stage, read, None)
            yield from items
            if not page.get("has_more") or not items:
                return
            params = {**params, "starting_after": items[-1]["id"]}

    def _listing(self, path: str, params: dict, gte: int | None, lt: int | None,
                 progress: Progress = no_progress, stage: str = "",
                 lines_path: str | None = None, keep: Keep | None = None) -> Iterator[dict]:
        """Every object created in [gte, lt), newest first; in time ranges side by side when
        the window has a start and the adapter more than one thread."""
        if gte is None or self.parallelism == 1:
            window = {k: v for k, v in (("gte", gte), ("lt", lt)) if v is not None}
            yield from self._sequential(path, {**params, **({"created": window} if window else {})},
                                        progress, stage, lines_path, keep)
            return
        yield from _RangedListing(self, path, params, lines_path, progress, stage,
                                  keep).run(gte, lt)

    def _page(self, path: str, params: dict) -> dict:
        return self._get(path, {**params, "limit": PAGE})

    def _complete_all(self, documents: list[dict], lines_path: str) -> list[dict]:
        """The documents, those with more than ten lines completed (side by side)."""
        todo = [n for n, d in enumerate(documents) if (d.get("lines") or {}).get("has_more")]
        if not todo:
            return documents
        documents = list(documents)
        if self.parallelism == 1 or len(todo) == 1:
            for n in todo:
                documents[n] = self._complete_lines(documents[n], lines_path)
            return documents
        futures = {self._submit(self._complete_lines, documents[n], lines_path): n for n in todo}
        try:
            for future in futures:
                documents[futures[future]] = future.result()
        except BaseException:
            _stop(futures)
            raise
        return documents

    def _complete_lines(self, document: dict, lines_path: str) -> dict:
        lines = document.get("lines") or {}
        if not lines.get("has_more"):
            return document
        data = list(lines.get("data") or [])
        path = lines_path.format(id=document["id"])
        params = {"limit": PAGE, "starting_after": data[-1]["id"]} if data else {"limit": PAGE}
        while True:
            page = self._get(path, params)
            items = page.get("data") or []
            data += items
            if not page.get("has_more") or not items:
                break
            params = {"limit": PAGE, "starting_after": data[-1]["id"]}
        return {**document, "lines": {**lines, "data": data, "has_more": False}}

    def _submit(self, fn: Callable, *args) -> Future:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self.parallelism,
                                                thread_name_prefix="stripe-read")
            pool = self._pool
        return pool.submit(fn, *args)

    # --- the port --------------------------------------------------------------------------

    def invoices(self, created_gte=None, created_lt=None, progress: Progress = no_progress,
                 keep: Keep | None = None, status: str | None = None):
        params = {"expand": ["data.customer"], **({"status": status} if status else {})}
        return self._listing("/v1/invoices", params, created_gte, created_lt, progress,
                             "Factures lues", "/v1/invoices/{id}/lines", keep)

    def credit_notes(self, created_gte=None, created_lt=None, keep: Keep | None = None):
        return self._listing("/v1/credit_notes", {"expand": ["data.customer"]}, created_gte,
                             created_lt, lines_path="/v1/credit_notes/{id}/lines", keep=keep)

    def invoice(self, invoice_id: str) -> dict:
        """One invoice with all its lines and its customer (one call, more past ten lines)."""
        return self._complete_lines(
            self._get(f"/v1/invoices/{invoice_id}", {"expand": ["customer"]}),
            "/v1/invoices/{id}/lines")

    def credit_note(self, credit_note_id: str) -> dict:
        """One credit note with all its lines and its customer."""
        return self._complete_lines(
            self._get(f"/v1/credit_notes/{credit_note_id}", {"expand": ["customer"]}),
            "/v1/credit_notes/{id}/lines")

    def customers(self):
        return self._sequential("/v1/customers", {})

    def products(self):
        return self._sequential("/v1/products", {})

    def tax_rates(self):
        return self._sequential("/v1/tax_rates", {})

    def events(self, types: list[str], created_gte: int):
        return self._listing("/v1/events", {"types": types}, created_gte, None)


@dataclass
class _Range:
    """Objects created in [low, high) (high None: no end), read newest first; `after` is the
    cursor once a page has been read. Ranges never overlap."""

    low: int
    high: int | None
    after: str | None = None
    items: list[dict] = field(default_factory=list)
    newest: int | None = None      # `created` of the first object read in this range
    left: float = 0.0              # objects expected still to read, when it can be cut


class _RangedListing:
    """One listing read in time ranges side by side. The calling thread schedules: each task
    in the pool is one page of one range; results, cuts and progress happen here.

    Idle threads go to the range with the most left to read: when a page comes back and
    threads are idle, its range is cut only if no range in flight is expected to hold more
    (that one is cut when its own page comes back, a round trip later)."""

    def __init__(self, adapter: StripeSourceAdapter, path: str, params: dict,
                 lines_path: str | None, progress: Progress, stage: str,
                 keep: Keep | None = None) -> None:
        self.adapter = adapter
        self.keep = keep or _whole
        self.path = path
        self.params = params
        self.lines_path = lines_path
        self.progress = progress
        self.stage = stage
        self.ranges: list[_Range] = []
        self.running: dict[Future, _Range] = {}              # pages
        self.lines: dict[Future, tuple[_Range, int]] = {}    # the rest of a document's lines
        self.read = 0
        self.shared = _SharedCustomers()

    def run(self, gte: int, lt: int | None) -> Iterator[dict]:
        first = _Range(gte, lt)
        self.ranges.append(first)
        self._submit(first)
        try:
            while self.running or self.lines:
                done, _ = wait([*self.running, *self.lines], return_when=FIRST_COMPLETED)
                for future in done:
                    if future in self.lines:
                        part, index = self.lines.pop(future)
                        part.items[index] = self.keep(future.result())
                    else:
                        self._receive(self.running.pop(future), future.result())
        except BaseException:
            # Nothing new starts; calls under way finish (so that calls() matches the
            # service's count), then the first failure is raised.
            _stop([*self.running, *self.lines])
            raise
        seen: set[str] = set()
        for part in sorted(self.ranges, key=lambda r: r.low, reverse=True):
            for item in part.items:
                if item["id"] not in seen:
                    seen.add(item["id"])
                    yield item

    def _submit(self, part: _Range) -> None:
        window = {"gte": part.low, **({"lt": part.high} if part.high is not None else {})}
        params = {**self.params, "created": window}
        if part.after:
            params["starting_after"] = part.after
        future = self.adapter._submit(self.adapter._page, self.path, params)
        self.running[future] = part

    def _receive(self, part: _Range, page: dict) -> None:
        items = page.get("data") or []
        self.shared.share(items)
        pending = set()
        if self.lines_path:
            # A document with more than ten lines gets the rest from its lines endpoint, in
            # a task of its own: the range's next page does not wait for it.
            for offset, item in enumerate(items):
                if (item.get("lines") or {}).get("has_more"):
                    future = self.adapter._submit(self.adapter._complete_lines, item,
                                                  self.lines_path)
                    self.lines[future] = (part, len(part.items) + offset)
                    pending.add(offset)
        # Only what the caller keeps is held while the other ranges are read.
        part.items += [item if n in pending else self.keep(item) for n, item in enumerate(items)]
        self.read += len(items)
        if self.stage:
            self.progress(self.stage, self.read, None)
        if not page.get("has_more") or not items:
            return
        last = items[-1]
        if part.newest is None:
            part.newest = items[0]["created"]
        part.after = last["id"]
        # What is left: [low, last created], the cursor skipping what was read of that second.
        part.high = last["created"] + 1
        part.left = expected_left(part.low, part.high, part.newest, len(part.items))
        idle = self.adapter.parallelism - len(self.running) - len(self.lines) - 1
        room = self.adapter.max_ranges - len(self.ranges)
        if idle > 0 and room > 0 and all(part.left >= other.left
                                         for other in self.running.values()):
            pieces = cuts(part.low, part.high, part.newest, len(part.items), min(idle, room))
            share = part.left / (len(pieces) + 1)
            for low, high in pieces:
                new = _Range(low, high, left=share)
                self.ranges.append(new)
                self._submit(new)
                part.low = max(part.low, high)
            part.left = share
        self._submit(part)


Keep = Callable[[dict], dict]


def _whole(document: dict) -> dict:
    return document


def _stop(futures) -> None:
    """Cancel what has not started; wait for what has."""
    for future in futures:
        future.cancel()
    wait(list(futures))


def expected_left(low: int, high: int, newest: int, read: int) -> float:
    """Objects expected in [low, high) at the density of what was read: `read` objects from
    `newest` down to `high - 1`. 0 when the range cannot be cut (one second long, or less
    than two pages expected)."""
    span = high - low
    seen = max(newest - (high - 1) + 1, 1)
    expected = read * span / seen
    return expected if span > 1 and expected >= 2 * PAGE else 0.0


def cuts(low: int, high: int, newest: int, read: int, spare: int) -> list[tuple[int, int]]:
    """New ranges to cut from the older end of what is left of a range, [low, high), so that
    `spare` idle threads get work of about one range's size each (see `expected_left`).
    Returned newest first; together with what stays, [max(high of the cuts), high), they
    tile [low, high) exactly."""
    expected = expected_left(low, high, newest, read)
    if spare <= 0 or not expected:
        return []
    span = high - low
    parts = min(spare + 1, int(expected // PAGE), span)
    bounds = [low + span * i // parts for i in range(parts + 1)]
    return [(bounds[i], bounds[i + 1]) for i in range(parts - 2, -1, -1)]


class _SharedCustomers:
    """Documents of one listing that show the same expanded customer, equal field for field,
    get one dict for it instead of a copy each: a month of 50,000 invoices to 180 customers
    holds 180 customers, not 50,000 (a quarter of the listing's memory). The documents are
    read, never changed in place (as everywhere in the product)."""

    def __init__(self) -> None:
        self._seen: dict[str, dict] = {}

    def share(self, documents: list[dict]) -> None:
        seen = self._seen
        for document in documents:
            customer = document.get("customer")
            if not isinstance(customer, dict) or not isinstance(customer.get("id"), str):
                continue
            known = seen.get(customer["id"])
            if known is None or known != customer:
                seen[customer["id"]] = customer
            elif known is not customer:
                document["customer"] = known


class _RateLimit:
    """At most `per_second` requests in any rolling second as Stripe counts them, on arrival.
    A request holds its slot from its start until a second after its answer: however late it
    reaches Stripe (a thread paused after it took its slot, a slow network), every request
    that arrives within one second of Stripe's clock still held its slot at that second's
    end, so there are never more than `per_second` of them. Counting starts alone does not
    hold: requests started over more than a second can arrive together (seen on a loaded
    machine: 26 arrivals in a second against 20 starts)."""

    def __init__(self, per_second: float) -> None:
        self.per_second = per_second
        self._held: list[list[float]] = []     # per slot: [until]; inf while it runs
        self._lock = threading.Lock()

    @contextmanager
    def slot(self) -> Iterator[None]:
        if not self.per_second:
            yield
            return
        cell = self._take()
        try:
            yield
        finally:
            with self._lock:
                cell[0] = time.monotonic() + 1.0

    def _take(self) -> list[float]:
        while True:
            with self._lock:
                now = time.monotonic()
                self._held = [cell for cell in self._held if cell[0] > now]
                if len(self._held) < self.per_second:
                    cell = [math.inf]
                    self._held.append(cell)
                    return cell
                # The soonest a slot frees: a finished request's second ending, or (all
                # still running) their answers, looked for again shortly.
                delay = min(cell[0] for cell in self._held) - now
            time.sleep(min(max(delay, 0.001), 0.02))


def _raw_getter(client: stripe.StripeClient) -> Callable[[str, dict], str | bytes]:
    """GET `path` through the library's raw path, returning the body of a successful answer
    and raising the library's exception for an error answer, as `raw_request` does."""
    requestor = getattr(client, "_requestor", None)
    request_raw = getattr(requestor, "request_raw", None)
    interpret = getattr(requestor, "_interpret_response", None)
    if request_raw is None or interpret is None:
        return lambda path, params: client.raw_request("get", path, **params).body

    def get(path: str, params: dict):
        body, code, headers = request_raw("get", path, params=params, options={},
                                          base_address="api", api_mode="V1",
                                          usage=["raw_request"])
        if not 200 <= code < 300:
            interpret(body, code, headers, "V1")   # raises the library's error
        return body
    return get


def _has_requests() -> bool:
    try:
        import requests  # noqa: F401
    except ImportError:
        return False
    return True


def service_error(exc: stripe.StripeError) -> ServiceError:
    """A Stripe library error as the use cases see it (shared with the sync's adapter)."""
    status = getattr(exc, "http_status", None)
    transient = isinstance(exc, (stripe.APIConnectionError, stripe.RateLimitError)) or (
        status is not None and status >= 500)
    message = getattr(exc, "user_message", None) or str(exc) or type(exc).__name__
    if isinstance(exc, stripe.AuthenticationError):
        message = "the Stripe API key was refused (check STRIPE_API_KEY)"
    return ServiceError("stripe", message, transient=transient, status=status,
                        applied_unknown=isinstance(exc, stripe.APIConnectionError))
