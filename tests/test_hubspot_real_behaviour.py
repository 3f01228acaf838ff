"""HubSpot as it is, through the production adapter (hubspot-api-client over HTTP) and the
sync against the sandbox: the private app's scopes, 429s on the ten-second and search
limits, a search index that lags behind writes, and searches past 10,000 results.

The sandbox's clock is a hand-moved one shared with the adapter's sleep: a 429 is waited
out by moving the clock, so that the limits are real and the tests do not wait.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hubspot.crm.objects import ApiException
from hubspot.crm.products import PublicObjectSearchRequest
from urllib3 import HTTPResponse

from backend.adapters.hubspot_crm import (CUSTOM_PROPERTIES, RATE_RETRIES, HubSpotAdapter,
                                          MissingScopes, rate_wait)
from backend.core.settings import Settings
from backend.demo import build_demo_company
from backend.demo.hubspot import build_demo_hubspot
from backend.errors import ServiceError
from backend.sandbox import hubspot_scopes
from backend.sandbox.hubspot_errors import DAILY, SECONDLY, TEN_SECONDLY
from backend.sandbox.local import HUBSPOT_TOKEN, LocalSandbox
from backend.services.sync import sync
from backend.services.webhooks import hubspot_delivery
from backend.store.ledger import LedgerStore
from clocks import SimClock

README = Path(__file__).resolve().parent.parent / "README.md"
START = datetime(2026, 10, 31, 12, 0, tzinfo=timezone.utc).timestamp()
URI = "https://compta.example.fr/webhooks/hubspot"


def without_our_properties(data: dict) -> dict:
    """The demo's HubSpot account before the product ever ran there: none of its custom
    properties (so that the sync creates them) nor their values."""
    ours = {name for _, names in CUSTOM_PROPERTIES.values() for name in names}
    fresh = copy.deepcopy(data)
    fresh["properties"] = {}
    for kind in ("products", "companies", "contacts"):
        for record in fresh[kind]:
            record["properties"] = {k: v for k, v in record["properties"].items()
                                    if k not in ours}
    return fresh


@pytest.fixture(scope="module")
def demo():
    company = build_demo_company()
    return company, build_demo_hubspot(company)


@pytest.fixture
def make_box(demo, tmp_path):
    """A sandbox with the demo company on both sides (HubSpot without the product's
    properties unless `ours`), a store, and the sandbox's clock."""
    opened = []

    def make(ours: bool = False, **hubspot) -> LocalSandbox:
        company, data = demo
        box = LocalSandbox().__enter__()
        opened.append(box)
        box.stripe.load(copy.deepcopy(company))
        box.hubspot.load(copy.deepcopy(data) if ours else without_our_properties(data))
        box.clock = SimClock(START)
        box.hubspot.clock = box.clock
        for name, value in hubspot.items():
            setattr(box.hubspot, name, value)
        box.store = LedgerStore(f"sqlite:///{tmp_path / f'ledger-{len(opened)}.db'}")
        box.store.migrate()
        return box

    yield make
    for box in opened:
        box.__exit__(None, None, None)


def adapter(box: LocalSandbox) -> HubSpotAdapter:
    return HubSpotAdapter(HUBSPOT_TOKEN, host=box.hubspot_url, sleep=box.clock.sleep)


def run(box: LocalSandbox, **kwargs):
    return sync(adapter(box), box.catalog_adapter(), box.store, Settings(), "mdc", **kwargs)


def outcome(report) -> tuple:
    return (sorted(report.created), sorted(report.updated), sorted(report.linked),
            sorted(report.archived), sorted(report.problems))


def hubspot_calls(box: LocalSandbox) -> list[tuple[str, str]]:
    return [(c.method, c.path) for c in box.plan.calls if c.service == "hubspot"]


def stripe_customers_of(box: LocalSandbox, kind: str, hid: str) -> list[dict]:
    return [c for c in box.catalog_adapter().customers()
            if (c.get("metadata") or {}).get(f"hubspot_{kind}_id") == hid]


# --- scopes ----------------------------------------------------------------------------------

def readme_scopes() -> set[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## HubSpot and Stripe kept in step", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^- `([^`]+)`", section, flags=re.MULTILINE))


def test_the_readme_lists_the_sandbox_s_default_scopes(make_box):
    box = make_box()
    assert readme_scopes() == set(hubspot_scopes.PRODUCT_SCOPES) == set(box.hubspot.scopes)


def test_exactly_those_scopes_run_a_sync_and_a_webhook_driven_sync(make_box):
    box = make_box()
    first = run(box)
    assert {f"propriété HubSpot {p}" for p in ("companies.stripe_customer_id",
                                               "contacts.code_comptable",
                                               "products.stripe_product_id")} <= set(first.created)
    assert first.linked
    # Every call the product makes was made, and none outside the scopes was refused.
    assert box.hubspot.limited == {}
    company = next(c for c in box.hubspot.objects("companies")
                   if c["properties"].get("stripe_customer_id"))
    box.hubspot.set_properties("companies", company["id"], {"city": "Villeurbanne"})
    event = box.hubspot.event("company.propertyChange", company["id"], "city", "Villeurbanne")
    body, headers = box.hubspot.signed_delivery([event], URI)
    runs = []

    def run_sync(products: bool, customers: bool) -> None:
        runs.append(run(box, products=products, customers=customers, trigger="webhook"))

    delivery = hubspot_delivery("POST", URI, body, headers, "hubspot-secret", box.store,
                                run_sync, int(box.clock() * 1000), company="demo")
    assert delivery.applied == 1 and len(runs) == 1
    assert box.stripe.get(company["properties"]["stripe_customer_id"])["address"]["city"] \
        == "Villeurbanne"


def needs(call: tuple[str, str], granted: frozenset[str]) -> bool:
    return bool(hubspot_scopes.unmet(hubspot_scopes.required(*call) or [], granted))


@pytest.fixture(scope="module")
def full_run_calls(demo, tmp_path_factory):
    """The HubSpot calls of a first sync with every scope the product needs, in order."""
    company, data = demo
    with LocalSandbox() as box:
        box.stripe.load(copy.deepcopy(company))
        box.hubspot.load(without_our_properties(data))
        store = LedgerStore(f"sqlite:///{tmp_path_factory.mktemp('full') / 'ledger.db'}")
        store.migrate()
        sync(box.hubspot_adapter(), box.catalog_adapter(), store, Settings(), "mdc")
        return hubspot_calls(box)


@pytest.mark.parametrize("scope", sorted(hubspot_scopes.PRODUCT_SCOPES))
def test_without_any_one_of_them_the_first_call_needing_it_is_refused(make_box, full_run_calls,
                                                                      scope):
    granted = hubspot_scopes.PRODUCT_SCOPES - {scope}
    box = make_box(scopes=granted)
    with pytest.raises(MissingScopes) as refused:
        run(box)
    # The product needs it: some call of the sync cannot be made without it...
    first = next(n for n, call in enumerate(full_run_calls) if needs(call, granted))
    # ...and the sync got as far as that call, which HubSpot refused naming the scope.
    assert hubspot_calls(box) == full_run_calls[:first + 1]
    error = refused.value
    assert any(scope in alternatives for alternatives in error.scopes)
    assert not error.transient and error.status == 403
    assert scope in str(error) and f"« {scope} »" in error.french
    assert "Applications privées" in error.french
    last = box.store.runs("mdc")[0]
    assert last["outcome"] == "failed" and scope in last["summary"]["error"]


def test_a_scope_refusal_is_hubspot_s_403_with_its_body(make_box):
    box = make_box(scopes={"crm.objects.companies.read"})
    with pytest.raises(MissingScopes) as refused:
        adapter(box).products()
    assert refused.value.scopes == [("crm.objects.products.read", "e-commerce")]
    with pytest.raises(MissingScopes) as refused:
        adapter(box).customer_candidates((), ("closedwon",))
    assert refused.value.scopes == [("crm.objects.deals.read",)]
    cause = refused.value.__cause__
    assert cause.status == 403
    body = json.loads(cause.body)
    assert list(body) == ["status", "message", "correlationId", "errors", "links", "category"]
    assert body["message"] == ("This app hasn't been granted all required scopes to make this "
                               "call. Read more about required scopes here: "
                               "https://developers.hubspot.com/scopes.")
    assert body["errors"] == [{"message": "All of the following scopes are required.",
                               "context": {"requiredGranularScopes": ["crm.objects.deals.read"]}}]
    assert body["category"] == "MISSING_SCOPES" and cause.headers["X-HubSpot-Correlation-Id"]


# --- rate limits -----------------------------------------------------------------------------

def test_a_429_storm_is_waited_out_as_the_headers_say(make_box):
    calm = make_box()
    expected = outcome(run(calm))
    stormy = make_box(rate_limit_per_10s=6, search_limit_per_second=2)
    report = run(stormy)
    # The same sync, nothing lost nor applied twice (a refused batch update was not applied).
    assert outcome(report) == expected
    assert len(stormy.catalog_adapter().customers()) == len(calm.catalog_adapter().customers())
    assert len(stormy.catalog_adapter().products()) == len(calm.catalog_adapter().products())
    limited = stormy.hubspot.limited
    assert limited[TEN_SECONDLY] >= 3 and limited[SECONDLY] >= 1
    # Each ten-second 429 was waited out for the interval its headers gave (10,000 ms), each
    # search 429 (no headers) for the search limit's second; nothing else waited.
    assert stormy.clock.waits.count(10.0) == limited[TEN_SECONDLY]
    assert sorted(set(stormy.clock.waits) - {10.0}) == [1.0]
    assert len(stormy.clock.waits) == sum(limited.values())
    assert report.calls["hubspot"] == len(hubspot_calls(stormy))


def test_searches_over_their_limit_wait_a_second_and_go_on(make_box):
    box = make_box(ours=True, search_limit_per_second=1)
    found = adapter(box).customer_candidates(("APPROVAL_NOT_NEEDED", "APPROVED"), ("closedwon",))
    reference = make_box(ours=True)
    assert found == adapter(reference).customer_candidates(("APPROVAL_NOT_NEEDED", "APPROVED"),
                                                           ("closedwon",))
    # Four searches in the same instant, one a second allowed: three waits of a second.
    assert box.hubspot.limited == {SECONDLY: 3} and box.clock.waits == [1.0, 1.0, 1.0]


def test_a_limit_that_does_not_free_is_given_up_after_a_few_tries(make_box):
    box = make_box(ours=True, rate_limit_per_10s=1)
    stuck = HubSpotAdapter(HUBSPOT_TOKEN, host=box.hubspot_url, sleep=box.clock.waits.append)
    stuck.products()
    with pytest.raises(ServiceError) as refused:
        stuck.products()
    assert refused.value.status == 429 and refused.value.transient
    assert box.clock.waits == [10.0] * RATE_RETRIES
    assert box.hubspot.limited[TEN_SECONDLY] == RATE_RETRIES + 1


def test_the_daily_limit_is_not_waited_out(make_box):
    box = make_box(ours=True, daily_limit=2)
    hubspot = adapter(box)
    hubspot.products()
    hubspot.products()
    with pytest.raises(ServiceError) as refused:
        hubspot.products()      # the day's third request
    assert refused.value.status == 429 and refused.value.transient
    assert box.clock.waits == [] and box.hubspot.limited == {DAILY: 1}


def too_many(headers: dict[str, str], body: bytes = b"{}") -> ApiException:
    """A 429 as the client raises it, from an answer with these headers."""
    return ApiException(http_resp=HTTPResponse(body=body, headers=headers, status=429,
                                               reason="Too Many Requests"))


def test_retry_after_comes_first_then_the_interval_then_the_policy_s_pace():
    interval = {"X-HubSpot-RateLimit-Interval-Milliseconds": "10000"}
    assert rate_wait(too_many({"Retry-After": "3", **interval}), 0) == 3.0
    assert rate_wait(too_many(interval), 2) == 10.0
    assert [rate_wait(too_many({}), n) for n in range(3)] == [1.0, 2.0, 4.0]
    assert rate_wait(too_many({"Retry-After": "86400"}), 0) == 60.0
    daily = b'{"status": "error", "policyName": "DAILY", "errorType": "RATE_LIMIT"}'
    assert rate_wait(too_many(interval, daily), 0) is None


# --- search lag ------------------------------------------------------------------------------

def test_syncs_under_search_lag_create_nothing_twice(make_box):
    box = make_box(lag=30.0)
    first = run(box)
    customers, products = (len(box.catalog_adapter().customers()),
                           len(box.catalog_adapter().products()))
    assert any(c.startswith("entreprise") for c in first.created)
    # Five seconds later: every link the first sync wrote is still unsearchable.
    box.clock.now += 5
    assert adapter(box).customer_candidates((), ()) == {"company": set(), "contact": set()}
    assert run(box).created == []
    # A company wins a deal; a second later its deal is not searchable yet: it waits...
    deal = next(d for d in box.hubspot.objects("deals") if d["properties"]["dealstage"]
                == "closedwon")
    company = box.hubspot.add("companies", {"name": "Atelier Lumen SARL", "city": "Lyon",
                                            "zip": "69002", "country": "France",
                                            "address": "4 rue Mercière"})
    box.hubspot.add("deals", {**{k: deal["properties"][k] for k in
                                 ("dealstage", "pipeline", "amount", "closedate")},
                              "dealname": "Atelier Lumen — bureaux"},
                    associations=[("companies", company)])
    box.clock.now += 1
    assert run(box).created == [] and stripe_customers_of(box, "company", company) == []
    # ...then is created once, and not again while its new link is not searchable.
    box.clock.now += 31
    made = run(box).created
    assert len(made) == 1 and made[0].startswith("entreprise Atelier Lumen SARL (411")
    for _ in range(3):
        box.clock.now += 2
        assert run(box).created == []
    assert len(stripe_customers_of(box, "company", company)) == 1
    assert len(box.catalog_adapter().customers()) == customers + 1
    assert len(box.catalog_adapter().products()) == products


def test_webhook_driven_syncs_right_after_a_change_under_lag(make_box):
    box = make_box(lag=30.0)
    run(box)
    runs = []

    def deliver(*events) -> None:
        body, headers = box.hubspot.signed_delivery(list(events), URI)
        hubspot_delivery("POST", URI, body, headers, "hubspot-secret", box.store,
                         lambda products, customers: runs.append(run(
                             box, products=products, customers=customers, trigger="webhook")),
                         int(box.clock() * 1000), company="demo")

    # A product made in HubSpot, its webhook at once: created in Stripe once, even when a
    # second change follows a second later, its Stripe id still unsearchable.
    box.clock.now += 1
    product = box.hubspot.add("products", {"name": "Casier connecté", "price": "25",
                                           "code_comptable": "706300"})
    deliver(box.hubspot.event("product.creation", product))
    box.clock.now += 1
    box.hubspot.set_properties("products", product, {"price": "27"})
    deliver(box.hubspot.event("product.propertyChange", product, "price", "27"))
    made = [p for p in box.catalog_adapter().products()
            if (p.get("metadata") or {}).get("hubspot_product_id") == product]
    assert product not in linked_products(box)       # its link is not searchable yet
    assert len(made) == 1 and runs[0].created == ["produit Casier connecté"]
    assert box.stripe.get(made[0]["default_price"])["unit_amount"] == 2700
    # A linked company edited, its webhook at once: the change reaches Stripe, no new customer.
    customers = len(box.catalog_adapter().customers())
    linked = next(c for c in box.hubspot.objects("companies")
                  if c["properties"].get("stripe_customer_id"))
    box.hubspot.set_properties("companies", linked["id"], {"city": "Annecy"})
    deliver(box.hubspot.event("company.propertyChange", linked["id"], "city", "Annecy"))
    stripe_id = linked["properties"]["stripe_customer_id"]
    assert box.stripe.get(stripe_id)["address"]["city"] == "Annecy"
    assert len(box.catalog_adapter().customers()) == customers
    assert all(r.created == [] for r in runs[1:])
    box.clock.now += 31
    assert product in linked_products(box)


def linked_products(box: LocalSandbox) -> set[str]:
    """The products a search finds with a Stripe id (through the client, as the index sees
    them)."""
    found = adapter(box).client.crm.products.search_api.do_search(PublicObjectSearchRequest(
        filter_groups=[{"filters": [{"propertyName": "stripe_product_id",
                                     "operator": "HAS_PROPERTY"}]}], limit=200))
    return {p.id for p in found.results}


# --- 10,000 results --------------------------------------------------------------------------

def test_a_search_past_10000_results_is_split(make_box, demo):
    box = make_box(ours=True)
    stamp = "2026-10-01T08:00:00.000Z"
    many = [{"id": str(9_000_000_000 + n), "createdAt": stamp, "updatedAt": stamp,
             "archived": False,
             "properties": {"name": f"Société {n}", "stripe_customer_id": f"cus_{n:014d}"}}
            for n in range(10_450)]
    box.hubspot.load({"properties": demo[1]["properties"], "companies": many})
    found = adapter(box).customer_candidates((), ())
    assert found["company"] == {c["id"] for c in many} and found["contact"] == set()
    searches = [c for c in hubspot_calls(box) if c[1].endswith("/search")]
    # 10,000 in 50 pages, then the 450 above the last id in 3, then the contacts.
    assert len(searches) == 50 + 3 + 1
