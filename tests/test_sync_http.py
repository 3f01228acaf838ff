"""HubSpot and Stripe kept in step, with the real hubspot-api-client and stripe libraries
against the sandbox over HTTP, and a real SQLite ledger store."""

import copy
import json
import time
from datetime import datetime, timezone

import pytest

from backend.core.settings import Settings
from backend.demo import build_demo_company
from backend.demo.hubspot import build_demo_hubspot, with_duplicate_customer
from backend.sandbox.local import LocalSandbox
from backend.services.sync import sync
from backend.services.webhooks import hubspot_delivery, stripe_delivery
from backend.store.ledger import LedgerStore


@pytest.fixture(scope="module")
def demo():
    company = with_duplicate_customer(build_demo_company())
    return company, build_demo_hubspot(company)


@pytest.fixture
def box(demo, tmp_path):
    company, hubspot = demo
    with LocalSandbox() as sandbox:
        sandbox.stripe.load(copy.deepcopy(company))
        sandbox.hubspot.load(copy.deepcopy(hubspot))
        sandbox.store = LedgerStore(f"sqlite:///{tmp_path / 'ledger.db'}")
        sandbox.store.migrate()
        yield sandbox


def run(box, **kwargs):
    return sync(box.hubspot_adapter(), box.catalog_adapter(), box.store, Settings(), "mdc", **kwargs)


def hs(box, kind, name):
    return next(o for o in box.hubspot.objects(kind) if o["properties"].get("name") == name
                or f"{o['properties'].get('firstname')} {o['properties'].get('lastname')}" == name)


def stripe_customers(box):
    return box.catalog_adapter().customers()


def test_dry_run_lists_and_changes_nothing(box):
    before = (copy.deepcopy(box.hubspot.objects("companies")), stripe_customers(box))
    report = run(box, dry_run=True)
    assert len(report.created) == 7 and report.dry_run
    assert "Simulation" in report.french()
    assert (box.hubspot.objects("companies"), stripe_customers(box)) == before
    assert box.store.sync_links("mdc", "company") == {}


def test_first_sync_creates_links_and_reuses(box):
    report = run(box)
    created = {c.split(" (")[0] for c in report.created}
    assert {"produit Cabine téléphonique — Paris Bastille", "entreprise Horizon Béton SAS",
            "contact Margaux Delacroix"} <= created
    # The new HubSpot product is in Stripe with its accounting fields, both sides linked.
    cabine = hs(box, "products", "Cabine téléphonique — Paris Bastille")
    product = box.stripe.get(cabine["properties"]["stripe_product_id"])
    assert product["metadata"]["hubspot_product_id"] == cabine["id"]
    assert product["metadata"]["accounting_code"] == cabine["properties"]["code_comptable"]
    # The new product HubSpot sells monthly has a monthly Stripe price.
    forfait = hs(box, "products", "Forfait 10 jours par mois — Lyon Presqu'île")
    monthly = box.stripe.get(box.stripe.get(forfait["properties"]["stripe_product_id"])["default_price"])
    assert (monthly["type"], monthly["recurring"]["interval"], monthly["unit_amount"]) == (
        "recurring", "month", 9500)
    # A prospect with an accepted quote is a Stripe customer with a code on both sides.
    horizon = hs(box, "companies", "Horizon Béton SAS")
    customer = box.stripe.get(horizon["properties"]["stripe_customer_id"])
    assert customer["metadata"] == {"accounting_code": "411HORIZ", "hubspot_company_id": horizon["id"]}
    assert horizon["properties"]["code_comptable"] == "411HORIZ"
    # A code clash gets the counter: Simplissime is not Simplon's 411SIMPL.
    simpli = hs(box, "companies", "Simplissime Traiteur")
    assert simpli["properties"]["code_comptable"].startswith("411SIMP")
    assert simpli["properties"]["code_comptable"] != "411SIMPL"
    codes = [c["metadata"].get("accounting_code") for c in stripe_customers(box)]
    assert len([c for c in codes if c]) == len({c for c in codes if c})
    # Reused by email: exactly one Stripe customer had it.
    zoltan = hs(box, "contacts", "Zoltán Kővári")
    assert zoltan["properties"]["stripe_customer_id"] == "cus_gXzdT4bklyEHvJ"
    # Two customers share the email: no link, reported.
    aurelien = hs(box, "contacts", "Aurélien Bernard")
    assert not aurelien["properties"].get("stripe_customer_id")
    assert any("Aurélien Bernard" in p and "2 clients Stripe" in p for p in report.problems)
    # Records with neither quote nor deal are left alone.
    assert not hs(box, "companies", "Écho Studio")["properties"].get("stripe_customer_id")
    # Nothing left to do.
    again = run(box)
    assert (again.created, again.updated, again.linked) == ([], [], [])
    assert again.calls["stripe"] <= 6


def test_price_change_makes_a_new_price_and_archives_the_old(box):
    product_id = "prod_yFjNvtSqig2EBs"
    old_price = box.stripe.get(product_id)["default_price"]
    run(box)
    product = box.stripe.get(product_id)
    assert product["default_price"] != old_price
    new = box.stripe.get(product["default_price"])
    assert new["unit_amount"] == 16500
    assert box.stripe.get(old_price)["active"] is False
    # A monthly subscription price stays monthly.
    assert box.stripe.get(old_price)["recurring"]["interval"] == "month"
    assert new["type"] == "recurring"
    assert (new["recurring"]["interval"], new["recurring"]["interval_count"]) == ("month", 1)


def test_changes_flow_both_ways_and_conflicts_wait_for_a_person(box):
    run(box)
    horizon = hs(box, "companies", "Horizon Béton SAS")
    stripe_id = horizon["properties"]["stripe_customer_id"]
    catalog = box.catalog_adapter()
    # HubSpot edits the city; Stripe edits the name: each goes to the other side.
    box.hubspot.set_properties("companies", horizon["id"], {"city": "Villeurbanne"})
    catalog.update_customer(stripe_id, {"name": "Horizon Béton"}, "company", horizon["id"])
    report = run(box)
    assert box.stripe.get(stripe_id)["address"]["city"] == "Villeurbanne"
    assert hs(box, "companies", "Horizon Béton")["properties"]["name"] == "Horizon Béton"
    assert report.conflicts == []
    # Both sides change the same field: nothing overwritten, reported, again until settled.
    box.hubspot.set_properties("companies", horizon["id"], {"city": "Lyon"})
    catalog.update_customer(stripe_id, {"address": {"city": "Bron"}}, "company", horizon["id"])
    first = run(box)
    assert [(c.field, c.hubspot_value, c.stripe_value) for c in first.conflicts] == [
        ("city", "Lyon", "Bron")]
    assert box.stripe.get(stripe_id)["address"]["city"] == "Bron"
    assert hs(box, "companies", "Horizon Béton")["properties"]["city"] == "Lyon"
    assert len(run(box).conflicts) == 1
    box.hubspot.set_properties("companies", horizon["id"], {"city": "Bron"})   # a person settles
    assert run(box).conflicts == []


def test_a_code_changes_only_when_a_person_changes_it(box):
    run(box)
    horizon = hs(box, "companies", "Horizon Béton SAS")
    box.hubspot.set_properties("companies", horizon["id"], {"name": "Zénith Béton"})
    run(box)
    stripe_id = horizon["properties"]["stripe_customer_id"]
    assert box.stripe.get(stripe_id)["metadata"]["accounting_code"] == "411HORIZ"   # renamed, same code
    box.hubspot.set_properties("companies", horizon["id"], {"code_comptable": "411ZENIT"})
    run(box)
    assert box.stripe.get(stripe_id)["metadata"]["accounting_code"] == "411ZENIT"


def test_a_name_changed_in_stripe_flows_back_and_an_archived_product_is_archived(box):
    run(box)
    cabine = hs(box, "products", "Cabine téléphonique — Paris Bastille")
    stripe_id = cabine["properties"]["stripe_product_id"]
    box.catalog_adapter().update_product(stripe_id, {"name": "Cabine — Bastille"})
    run(box)
    assert box.hubspot.get("products", cabine["id"])["properties"]["name"] == "Cabine — Bastille"
    box.hubspot.archive("products", cabine["id"])
    report = run(box)
    assert box.stripe.get(stripe_id)["active"] is False and len(report.archived) == 1


def test_hubspot_webhook_applied_once_and_bad_signature_refused(box):
    runs = []
    uri = "https://backend.example/webhooks/hubspot"
    event = box.hubspot.event("company.propertyChange", "96303366191", "city", "Lyon")
    body, headers = box.hubspot.signed_delivery([event], uri)
    now_ms = int(time.time() * 1000)

    def apply(b=body, h=headers):
        return hubspot_delivery("POST", uri, b, h, "hubspot-secret", box.store,
                                lambda p, c: runs.append((p, c)), now_ms, company="demo")

    assert apply().applied == 1 and runs == [(False, True)]
    assert apply().replays == 1 and runs == [(False, True)]        # a replay changes nothing
    tampered = body.replace(b"Lyon", b"Nice")
    assert apply(tampered).status == 401
    stale_body, stale_headers = box.hubspot.signed_delivery(
        [box.hubspot.event("product.creation", "1")], uri, timestamp_ms=now_ms - 10 * 60 * 1000)
    assert apply(stale_body, stale_headers).status == 401 and len(runs) == 1


def test_stripe_webhook_applied_once_and_bad_signature_refused(box):
    runs = []
    event = {"id": "evt_sync_1", "object": "event", "type": "customer.updated",
             "created": int(time.time()), "data": {"object": {"id": "cus_x", "object": "customer"}},
             "api_version": "2026-10-28.endive", "livemode": False, "pending_webhooks": 1,
             "request": {"id": None, "idempotency_key": None}}
    payload, signature = box.stripe.signed_webhook(event)
    apply = lambda p=payload, s=signature: stripe_delivery(  # noqa: E731
        p, s, "whsec_sandbox", box.store, lambda prod, cust: runs.append((prod, cust)),
        company="demo")
    assert apply().applied == 1 and apply().replays == 1 and runs == [(False, True)]
    assert apply(payload, signature.replace("v1=", "v1=0")).status == 401
    assert apply(json.dumps({**event, "id": "evt_2"}).encode(), signature).status == 401


def test_the_custom_properties_are_created_in_a_fresh_account():
    with LocalSandbox() as fresh:
        adapter = fresh.hubspot_adapter()
        created = adapter.ensure_properties()
        assert "products.code_comptable" in created and "contacts.stripe_customer_id" in created
        assert len(created) == 9
        assert adapter.ensure_properties() == []
