"""Issue 7, point 1 over the HubSpot–Stripe sync: the campaign at CI size, its counters shown
able to catch what they count (defects planted through the sandboxes' own APIs), and the
schedules that found a bug kept as regression tests."""

from __future__ import annotations

import socket
import sqlite3
import time
from urllib.parse import urlsplit

import pytest
from sqlalchemy.exc import OperationalError

from backend.errors import ServiceError
from backend.sandbox import faults as F
from backend.sandbox.local import STRIPE_KEY, LocalSandbox
from stress.store_faults import DB_CRASH, INJECTED, is_clear
from stress.sync_faults import (FIRST_AT, Harness, Schedule, Spec, campaign, compare, draw,
                                outcome)


def test_the_campaign_at_ci_size_meets_its_targets(campaign_figures):
    result = campaign(full=False, seed=0, progress=lambda message: None)
    print("\n".join(result.lines()))
    campaign_figures(result)
    assert result.ok, "\n".join(result.failures[:20])


@pytest.fixture(scope="module")
def harness():
    with Harness() as h:
        yield h


@pytest.fixture
def synced(harness):
    """The first sync done quietly, then `check()` compares what is there now with the
    campaign's reference."""
    store = harness.restore("first")
    harness.sync_once(store, FIRST_AT)

    def check():
        return compare(harness.references["first"],
                       outcome(harness.box, store, harness.hubspot_ids["first"],
                               harness.pristine_ids))
    check.store = store
    yield check
    store.close()


def linked(harness, plural):
    return [o for o in harness.box.hubspot.objects(plural)
            if o["properties"].get("stripe_customer_id")]


def test_a_quiet_sync_compares_clean(synced):
    assert synced().clean


def test_a_second_stripe_customer_for_one_company_is_a_duplicate(harness, synced):
    company = linked(harness, "companies")[0]
    code = company["properties"]["code_comptable"]
    harness.box.catalog_adapter().create_customer(
        {"name": company["properties"]["name"], "code": code}, "company", company["id"],
        "planted-duplicate")
    found = synced()
    assert any(f"company {company['id']}: 2 Stripe objects" in d for d in found.duplicates)
    assert any(d.startswith(f"code {code}: 2 Stripe customers") for d in found.duplicates)
    assert not found.missing


def test_a_customer_more_with_no_hubspot_record_is_a_duplicate(harness, synced):
    harness.box.catalog_adapter().client.v1.customers.create(params={"name": "Sans lien"})
    assert synced().duplicates == ["1 Stripe customers more than the quiet run"]


def test_one_stripe_customer_named_by_two_records_is_a_duplicate(harness, synced):
    company, other = linked(harness, "companies")[:2]
    harness.box.hubspot_adapter().update("companies", {other["id"]: {
        "stripe_customer_id": company["properties"]["stripe_customer_id"]}})
    found = synced()
    assert any("named by 2 HubSpot records" in d for d in found.duplicates)


def test_a_price_made_twice_is_a_duplicate(harness, synced):
    product = next(p for p in harness.box.hubspot.objects("products")
                   if p["properties"].get("stripe_product_id"))
    cents = round(float(product["properties"]["price"]) * 100)
    harness.box.catalog_adapter().create_price(product["properties"]["stripe_product_id"], cents,
                                               "planted-price")
    found = synced()
    assert any("made twice" in d for d in found.duplicates)
    assert any("stripe.active_prices" in d for d in found.divergent)


def test_a_lost_link_is_missing(harness, synced):
    contact = linked(harness, "contacts")[0]
    harness.box.hubspot_adapter().update("contacts", {contact["id"]: {"stripe_customer_id": ""}})
    found = synced()
    assert found.missing == [(f"contact {contact['id']}: no hubspot.link (the quiet run has "
                              f"{contact['properties']['stripe_customer_id']})")]
    assert not found.duplicates


def test_another_code_in_stripe_is_divergent(harness, synced):
    company = linked(harness, "companies")[0]
    harness.box.catalog_adapter().update_customer(
        company["properties"]["stripe_customer_id"], {"metadata": {"accounting_code": "411AUTRE"}},
        "company", company["id"])
    found = synced()
    assert len(found.divergent) == 1 and "411AUTRE" in found.divergent[0]
    assert not found.duplicates and not found.missing


def test_only_the_injected_store_error_and_service_errors_are_clear_failures():
    injected = OperationalError("SELECT 1", {}, sqlite3.OperationalError(f"disk I/O error ({INJECTED})"))
    assert is_clear(injected) and is_clear(ServiceError("stripe", "503", status=503))
    assert not is_clear(OperationalError("SELECT 1", {}, sqlite3.OperationalError("locked")))
    assert not is_clear(KeyError("cus_x"))


def test_schedules_are_reproducible_and_within_the_quiet_runs_counts(harness):
    for index in range(40):
        schedule = draw(7, index, harness.sizes)
        assert schedule == draw(7, index, harness.sizes)
        assert 1 <= len(schedule.faults) <= 3
        assert all(1 <= s.call <= harness.sizes[schedule.phase][s.target] for s in schedule.faults)


def test_a_crash_in_the_store_kills_the_sync_and_the_clean_run_takes_over(harness):
    run = harness.run(Schedule(0, 0, "first", (Spec("store", 5, DB_CRASH),)))
    assert run.state == "crashed" and run.fired == ["store#5:db_crash"]
    assert run.clean_error is None and run.comparison.clean


# --- found by the campaign ----------------------------------------------------------------------

def price_change_calls(harness) -> tuple[int, int]:
    """The quiet first sync's Stripe calls that make a product's new price its default, then
    archive the old one (their rank among Stripe calls)."""
    stripe = [(method, path) for service, method, path in harness.quiet_calls["first"]
              if service == "stripe"]
    archive = next(n for n, (method, path) in enumerate(stripe, 1)
                   if method == "POST" and path.startswith("/v1/prices/"))
    assert stripe[archive - 2][1].startswith("/v1/products/")   # the default price, just before
    return archive - 1, archive


@pytest.mark.parametrize("where", ["after the new default price", "before the old one's archiving"])
def test_a_crash_in_the_middle_of_a_price_change_leaves_no_old_price_active(harness, where):
    """Found by the crash sweep (stripe#6:crash_after, stripe#7:crash on the demo): the run died
    after the new price became the default and before the old one was archived; the next sync
    saw the prices equal and left the old price active for good. The new price now names the
    one it replaces, and the next sync archives it."""
    update, archive = price_change_calls(harness)
    spec = Spec("stripe", update, F.CRASH_AFTER) if where.startswith("after") \
        else Spec("stripe", archive, F.CRASH)
    run = harness.run(Schedule(0, 0, "first", (spec,)))
    assert run.state == "crashed" and run.clean_error is None
    assert run.comparison.clean, run.comparison


def test_a_price_set_back_within_a_day_is_a_new_change_not_a_replay(harness):
    """Found while checking the fix above: the price's idempotency key named the product and
    the amount only, so 165 -> 160 -> 165 € within Stripe's 24 hours replayed the first 165 €
    price (archived by then) instead of making a new one. The key names the price replaced."""
    store = harness.restore("first")
    try:
        harness.sync_once(store, FIRST_AT)
        product = next(p for p in harness.box.hubspot.objects("products")
                       if p["properties"]["stripe_product_id"] == "prod_yFjNvtSqig2EBs")
        for euros in ("160.00", "165.00"):
            harness.box.hubspot.set_properties("products", product["id"], {"price": euros})
            harness.sync_once(store, FIRST_AT)
            stripe_product = harness.box.stripe.get("prod_yFjNvtSqig2EBs")
            default = harness.box.stripe.get(stripe_product["default_price"])
            active = [p["unit_amount"] for p in harness.box.stripe.stores["prices"].all()
                      if p["product"] == stripe_product["id"] and p["active"]]
            assert default["active"] and default["unit_amount"] == round(float(euros) * 100)
            assert active == [default["unit_amount"]]
    finally:
        store.close()


def test_a_request_cut_short_by_a_dying_client_is_not_applied():
    """Found by the campaign (seed=0 schedule=93 phase=first faults=[stripe#32:crash]): the
    sync creates customers from three threads; killed while one thread had sent its request's
    headers and not its body, the sandbox applied the truncated request (a customer with no
    name, no metadata, its idempotency key taken with those parameters), so the clean sync's
    create was refused ("Keys for idempotent requests can only be used with the same
    parameters"). A real server drops a request whose body never arrived; so does the
    sandbox now."""
    with LocalSandbox() as box:
        url = urlsplit(box.stripe_url)
        body = b"name=Horizon+B%C3%A9ton+SAS&metadata[accounting_code]=411HORIZ"
        with socket.create_connection((url.hostname, url.port)) as conn:
            conn.sendall(b"POST /v1/customers HTTP/1.1\r\nHost: stripe\r\n"
                         b"Authorization: Bearer " + STRIPE_KEY.encode() + b"\r\n"
                         b"Idempotency-Key: sync-mdc-company-1\r\n"
                         b"Content-Type: application/x-www-form-urlencoded\r\n"
                         b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[:12])
            conn.shutdown(socket.SHUT_WR)
            assert conn.recv(100) == b""          # dropped, no answer
        time.sleep(0.1)
        assert box.stripe.stores["customers"].all() == []
        created = box.catalog_adapter().create_customer(
            {"name": "Horizon Béton SAS", "code": "411HORIZ"}, "company", "1", "sync-mdc-company-1")
        assert created["name"] == "Horizon Béton SAS"
