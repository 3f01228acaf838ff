"""The Stripe adapter's fast listing: the library's raw path, and a `created` window read in
time ranges side by side. Whatever the cuts, the result is the sequential listing: the same
documents, in the same newest-first order, each once; calls are counted exactly; a failure in
any range surfaces as a ServiceError. Behaviour only: nothing here measures time."""

from __future__ import annotations

import copy
import math
import random
import threading
import time
import types

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from backend.adapters import stripe_source
from backend.adapters.stripe_source import PAGE, StripeSourceAdapter, _raw_getter, cuts
from backend.demo import build_demo_company, scale_invoices
from backend.errors import ServiceError
from backend.sandbox.faults import DROP, ERROR, Fault
from backend.sandbox.local import STRIPE_KEY, LocalSandbox

BASE = 1_790_000_000            # the crowded month's first second
SECONDS = 40                    # ... and how many seconds it spans


@pytest.fixture(scope="module")
def demo():
    return build_demo_company()


def crowded(demo, per_second: int = 40) -> dict:
    """A month whose invoices crowd into SECONDS seconds, `per_second` to a second: any
    cut between two ranges falls on a second that several invoices share."""
    invoices = [dict(inv, created=BASE + n % SECONDS)
                for n, inv in enumerate(scale_invoices(demo, per_second * SECONDS))]
    return {**demo, "invoices": invoices}


def adapter(box: LocalSandbox, **kwargs) -> StripeSourceAdapter:
    kwargs.setdefault("max_retries", 0)
    kwargs.setdefault("max_requests_per_second", 0)
    return StripeSourceAdapter(STRIPE_KEY, base_url=box.stripe_url, **kwargs)


def windows_read(source: StripeSourceAdapter) -> list[dict]:
    """Spy on the pages a listing reads: the `created` window and cursor of each."""
    seen: list[dict] = []
    lock = threading.Lock()
    page = source._page

    def spy(path, params):
        with lock:
            seen.append({"path": path, "created": dict(params.get("created") or {}),
                         "after": params.get("starting_after")})
        return page(path, params)
    source._page = spy
    return seen


@pytest.fixture(scope="module")
def crowded_month(demo):
    return crowded(demo)


@pytest.fixture
def crowded_box(crowded_month):
    with LocalSandbox() as box:
        box.stripe.load(crowded_month)    # the sandbox only reads what it is given
        yield box


@pytest.fixture
def demo_box(demo):
    with LocalSandbox() as box:
        box.stripe.load(copy.deepcopy(demo))
        yield box


def test_ranges_side_by_side_give_the_sequential_listing(crowded_box):
    box = crowded_box
    sequential = list(adapter(box, parallelism=1).invoices(created_gte=BASE))
    box.plan.reset()
    parallel_source = adapter(box, parallelism=8)
    pages = windows_read(parallel_source)
    parallel = list(parallel_source.invoices(created_gte=BASE))

    assert [d["id"] for d in parallel] == [d["id"] for d in sequential]   # order too
    assert parallel == sequential                                         # field for field
    assert len({d["id"] for d in parallel}) == len(parallel) == 40 * SECONDS
    # It did read in several ranges, cut on seconds that invoices share.
    lows = {p["created"]["gte"] for p in pages}
    assert len(lows) > 2
    crowded_seconds = {d["created"] for d in sequential}
    assert {low for low in lows if low != BASE} <= crowded_seconds
    # Counted exactly, and about one call per hundred invoices plus one per range.
    lines_calls = sum(1 for c in box.plan.calls if c.path.endswith("/lines"))
    assert lines_calls == sum(1 for d in parallel if d["lines"]["total_count"] > 10)
    assert parallel_source.calls() == box.plan.count("stripe") == len(pages) + lines_calls
    assert len(pages) <= math.ceil(len(parallel) / PAGE) + parallel_source.max_ranges


def test_a_boundary_second_belongs_to_one_range(crowded_box):
    """Ranges are [gte, lt): invoices of a boundary second are read once, in the upper range."""
    source = adapter(crowded_box, parallelism=4)
    pages = windows_read(source)
    documents = list(source.invoices(created_gte=BASE))
    windows = {(p["created"]["gte"], p["created"].get("lt")) for p in pages if p["after"] is None}
    boundaries = {lt for _, lt in windows if lt is not None and lt < BASE + SECONDS}
    assert boundaries, "the listing was cut"
    for second in boundaries:
        at_boundary = [d["id"] for d in documents if d["created"] == second]
        assert len(at_boundary) == len(set(at_boundary)) == 40


def test_the_demo_month_same_as_the_typed_library_path(demo_box, demo):
    """Invoices (one has 13 lines: its lines endpoint is read), credit notes: the raw path and
    the ranges give exactly what the library's typed path gives, as plain dicts."""
    box = demo_box
    since = min(i["created"] for i in demo["invoices"]) - 1
    source = adapter(box)
    invoices = list(source.invoices(created_gte=since))
    notes = list(source.credit_notes(created_gte=since))
    assert source.calls() == box.plan.count("stripe")

    client = source.client
    typed = [o.to_dict(for_json=True) for o in client.v1.invoices.list(
        params={"limit": 100, "expand": ["data.customer"], "created": {"gte": since}}
    ).auto_paging_iter()]
    assert [i["id"] for i in invoices] == [i["id"] for i in typed]
    long = [i for i in typed if i["lines"]["has_more"]]
    assert long, "the demo month has an invoice with more than ten lines"
    for invoice, reference in zip(invoices, typed):
        if reference["lines"]["has_more"]:
            lines = [o.to_dict(for_json=True) for o in client.v1.invoices.line_items.list(
                reference["id"], params={"limit": 100}).auto_paging_iter()]
            reference = {**reference, "lines": {**reference["lines"], "data": lines,
                                                "has_more": False}}
        assert invoice == reference
    typed_notes = [o.to_dict(for_json=True) for o in client.v1.credit_notes.list(
        params={"limit": 100, "expand": ["data.customer"], "created": {"gte": since}}
    ).auto_paging_iter()]
    assert notes == typed_notes


def test_an_unbounded_window_is_read_one_page_after_another(demo_box, demo):
    source = adapter(demo_box, parallelism=8)
    pages = windows_read(source)
    documents = list(source.invoices())
    assert len(documents) == len(demo["invoices"])
    assert all(p["created"] == {} for p in pages)
    # 5 pages, and the lines of the 13-line invoice (called inside the page's read).
    assert source.calls() == demo_box.plan.count("stripe") == 6


def test_documents_with_many_lines_are_completed_side_by_side(crowded_box):
    """Unbounded window (one page after another) or ranges: the lines endpoint calls of the
    long invoices run in the pool, and the documents come out complete, in place."""
    box = crowded_box
    reference = list(adapter(box, parallelism=1).invoices())
    long = [d for d in reference if d["lines"]["total_count"] > 10]
    assert len(long) > 1
    assert all(len(d["lines"]["data"]) == d["lines"]["total_count"] and not d["lines"]["has_more"]
               for d in long)
    assert list(adapter(box, parallelism=4).invoices()) == reference
    assert list(adapter(box, parallelism=4).invoices(created_gte=BASE)) == reference


def test_a_failed_lines_call_fails_the_listing(crowded_box):
    source = adapter(crowded_box, parallelism=8)

    def failing(document, lines_path):
        raise ServiceError("stripe", "lines unavailable", transient=True)
    source._complete_lines = failing
    with pytest.raises(ServiceError, match="lines unavailable"):
        list(source.invoices(created_gte=BASE))
    assert source.calls() == crowded_box.plan.count("stripe")


def test_a_small_window_costs_one_call(demo_box, demo):
    """A daily run with fewer than a hundred new documents: one call, as before."""
    newest = sorted(i["created"] for i in demo["invoices"])[-50]
    source = adapter(demo_box, parallelism=8)
    documents = list(source.invoices(created_gte=newest))
    assert len(documents) == 50 and source.calls() == 1 == demo_box.plan.count("stripe")


def test_events_in_ranges_same_as_sequential(demo_box, demo):
    box = demo_box
    invoices = sorted(demo["invoices"], key=lambda i: i["created"])
    for n, invoice in enumerate(invoices[:300]):
        box.stripe.record_event("invoice.voided" if n % 3 else "invoice.paid", invoice,
                                BASE + n // 2)
    box.stripe.clock = lambda: BASE + 86400   # Stripe lists the last 30 days of events
    types_ = ["invoice.voided"]
    sequential = list(adapter(box, parallelism=1).events(types_, BASE))
    parallel = list(adapter(box, parallelism=8).events(types_, BASE))
    assert [e["id"] for e in parallel] == [e["id"] for e in sequential]
    assert len(parallel) == 200 and parallel == sequential


@pytest.mark.parametrize("call", [1, 4, 9])
@pytest.mark.parametrize("kind,status,transient", [(ERROR, 500, True), (ERROR, 400, False),
                                                   (DROP, 500, True)])
def test_a_fault_in_one_range_is_a_service_error(crowded_box, call, kind, status, transient):
    box = crowded_box
    box.plan.reset([Fault("stripe", call, kind, status=status)])
    source = adapter(box, parallelism=8)
    with pytest.raises(ServiceError) as caught:
        list(source.invoices(created_gte=BASE))
    assert caught.value.service == "stripe" and caught.value.transient is transient
    # Calls under way when it failed were finished, nothing new was started: the count is exact.
    assert source.calls() == box.plan.count("stripe") >= call
    box.plan.reset()
    assert len(list(source.invoices(created_gte=BASE))) == 40 * SECONDS   # the next run reads all


def test_progress_is_reported_from_the_calling_thread(crowded_box):
    reports = []
    caller = threading.get_ident()

    def progress(stage, done, total):
        reports.append((stage, done, total, threading.get_ident()))
    documents = list(adapter(crowded_box).invoices(created_gte=BASE, progress=progress))
    assert reports and all(r[3] == caller and r[0] == "Factures lues" and r[2] is None
                           for r in reports)
    counts = [r[1] for r in reports]
    assert counts == sorted(counts) and counts[-1] == len(documents)


def test_the_read_rate_stays_under_the_limit(demo):
    """Test mode allows 25 reads a second; the adapter's default for a test key stays under."""
    with LocalSandbox(stripe_rate_limit=25) as box:
        box.stripe.load(crowded(demo, per_second=80))
        source = StripeSourceAdapter(STRIPE_KEY, base_url=box.stripe_url, max_retries=0)
        assert source._rate.per_second == stripe_source.TEST_RATE
        documents = list(source.invoices(created_gte=BASE))
        assert len(documents) == 80 * SECONDS and source.calls() > 25


def test_documents_of_one_customer_share_its_dict(demo_box, demo):
    since = min(i["created"] for i in demo["invoices"]) - 1
    invoices = list(adapter(demo_box).invoices(created_gte=since))
    by_customer: dict[str, set[int]] = {}
    for invoice in invoices:
        by_customer.setdefault(invoice["customer"]["id"], set()).add(id(invoice["customer"]))
    assert all(len(ids) == 1 for ids in by_customer.values())
    assert len(by_customer) < len(invoices)


def test_a_customer_changed_during_a_listing_is_not_shared():
    shared = stripe_source._SharedCustomers()
    old = {"id": "in_1", "customer": {"id": "cus_1", "name": "A"}}
    same = {"id": "in_2", "customer": {"id": "cus_1", "name": "A"}}
    changed = {"id": "in_3", "customer": {"id": "cus_1", "name": "B"}}
    plain = {"id": "in_4", "customer": "cus_2"}
    shared.share([old, same, changed, plain])
    assert same["customer"] is old["customer"]
    assert changed["customer"] == {"id": "cus_1", "name": "B"}
    assert plain["customer"] == "cus_2"


def test_the_public_raw_request_fallback(demo_box):
    """Where the library lacks the requestor's raw call, `raw_request` does the same GET."""
    source = adapter(demo_box)
    client = source.client
    params = {"limit": 3, "expand": ["data.customer"]}
    fallback = _raw_getter(types.SimpleNamespace(raw_request=client.raw_request))
    import json
    assert json.loads(fallback("/v1/invoices", params)) == json.loads(
        source._get_raw("/v1/invoices", params))


@hsettings(max_examples=300, deadline=None)
@given(low=st.integers(0, 10_000), span=st.integers(1, 5_000), seen=st.integers(0, 5_000),
       read=st.integers(1, 5_000), spare=st.integers(0, 20))
def test_cuts_tile_what_is_left(low, span, seen, read, spare):
    high = low + span
    pieces = cuts(low, high, high - 1 + seen, read, spare)
    assert len(pieces) <= spare
    kept_low = max([h for _, h in pieces], default=low)
    tiles = sorted(pieces + [(kept_low, high)])
    assert tiles[0][0] == low and tiles[-1][1] == high
    assert all(a < b for a, b in tiles)                         # none empty
    assert all(tiles[i][1] == tiles[i + 1][0] for i in range(len(tiles) - 1))
    assert pieces == sorted(pieces, reverse=True)               # newest first


def test_requests_late_after_their_slot_never_bunch_at_the_server():
    """However late a request reaches Stripe after it took its slot (a thread paused, a slow
    network), no rolling second of arrivals holds more than the limit: a slot is held until a
    second after the answer. Counting starts alone let 26 arrive in one second against 20
    starts on a loaded machine (CI)."""
    limit = stripe_source._RateLimit(5)
    arrivals: list[float] = []
    lock = threading.Lock()
    delays = random.Random(7)
    pauses = [delays.uniform(0, 0.3) for _ in range(30)]

    def request(pause: float) -> None:
        with limit.slot():
            time.sleep(pause)                  # on its way: arrives late, maybe with others
            with lock:
                arrivals.append(time.monotonic())
            time.sleep(pause / 3)              # the answer on its way back

    threads = [threading.Thread(target=request, args=(p,)) for p in pauses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    arrivals.sort()
    assert len(arrivals) == 30
    most = max(sum(1 for other in arrivals if first <= other < first + 1.0)
               for first in arrivals)
    assert most <= 5, most
