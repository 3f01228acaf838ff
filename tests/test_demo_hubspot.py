"""The demo company's HubSpot side: deterministic, consistent with its Stripe side, and
holding every case the product and customer syncs must handle (see `backend/demo/hubspot.py`).
"""

from __future__ import annotations

import json

import hubspot
import pytest
from hubspot.crm.associations.v4 import BatchInputPublicFetchAssociationsBatchRequest
from hubspot.crm.quotes import PublicObjectSearchRequest

from backend.core.codes import code_stem, customer_code
from backend.demo import build_demo_company
from backend.demo.hubspot import (FREQUENCIES, NEW_PRODUCTS, REPRICED_AMOUNT,
                                  build_demo_hubspot, with_duplicate_customer)
from backend.sandbox.hubspot_api import HubSpotSandbox
from backend.sandbox.server import serve

PUBLISHED = ("APPROVAL_NOT_NEEDED", "APPROVED")     # a quote sent to the buyer
WON = "closedwon"                                   # the stage the sync is configured with


@pytest.fixture(scope="module")
def stripe_side() -> dict:
    return with_duplicate_customer(build_demo_company())


@pytest.fixture(scope="module")
def demo(stripe_side) -> dict:
    return build_demo_hubspot(stripe_side)


def associated(demo: dict, from_type: str, from_id: str, to_type: str) -> set[str]:
    ends = set()
    for link in demo["associations"]:
        pair = ((link["fromObjectType"], link["fromObjectId"]),
                (link["toObjectType"], link["toObjectId"]))
        for (a_type, a_id), (b_type, b_id) in (pair, pair[::-1]):
            if (a_type, a_id) == (from_type, from_id) and b_type == to_type:
                ends.add(b_id)
    return ends


def sales(demo: dict, kind: str, record_id: str) -> tuple[set[str], set[str]]:
    """The statuses of a record's quotes and the stages of its deals."""
    quotes = {q["id"]: q["properties"]["hs_status"] for q in demo["quotes"]}
    deals = {d["id"]: d["properties"]["dealstage"] for d in demo["deals"]}
    return ({quotes[i] for i in associated(demo, kind, record_id, "quotes")},
            {deals[i] for i in associated(demo, kind, record_id, "deals")})


def qualifies(demo: dict, kind: str, record: dict) -> bool:
    """What the customer sync looks for: a published quote, a won deal, or a link."""
    statuses, stages = sales(demo, kind, record["id"])
    return bool(set(PUBLISHED) & statuses or WON in stages
                or record["properties"].get("stripe_customer_id"))


def customers_by_email(stripe_side: dict) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for customer in stripe_side["customers"]:
        found.setdefault(customer["email"].casefold(), []).append(customer)
    return found


def test_the_same_every_time(stripe_side, demo):
    assert json.dumps(build_demo_hubspot(stripe_side)) == json.dumps(demo)
    # The duplicate Stripe customer changes nothing on the HubSpot side.
    assert build_demo_hubspot() == demo
    assert with_duplicate_customer(stripe_side) is stripe_side
    assert build_demo_hubspot(seed=7) != demo


def test_it_loads_as_is(demo):
    sandbox = HubSpotSandbox()
    sandbox.load(demo)
    for kind in ("products", "companies", "contacts", "deals", "quotes", "line_items"):
        assert [o["id"] for o in sandbox.objects(kind)] == sorted(
            (o["id"] for o in demo[kind]), key=int)
    ids = [o["id"] for kind in demo if kind not in ("properties", "associations")
           for o in demo[kind]]
    assert len(ids) == len(set(ids))


def test_synced_products_match_their_stripe_products(stripe_side, demo):
    stripe = {p["id"]: p for p in stripe_side["products"]}
    prices = {p["id"]: p for p in stripe_side["prices"]}
    synced = [p for p in demo["products"] if "stripe_product_id" in p["properties"]]
    assert len(synced) == len(stripe)
    repriced = []
    for product in synced:
        hs = product["properties"]
        twin = stripe[hs["stripe_product_id"]]
        assert twin["metadata"]["hubspot_product_id"] == product["id"]
        assert hs.get("code_comptable") == twin["metadata"].get("accounting_code")
        assert [hs[f"axe_analytique_{n}"] for n in (1, 2, 3)] == \
            [twin["metadata"][f"analytic_axis_{n}"] for n in (1, 2, 3)]
        assert (hs["name"], hs["description"]) == (twin["name"], twin["description"])
        billing = prices[twin["default_price"]]["recurring"]
        assert hs.get("recurringbillingfrequency") == (
            billing and FREQUENCIES[(billing["interval"], billing["interval_count"])])
        cents = round(float(hs["price"]) * 100)
        if cents != prices[twin["default_price"]]["unit_amount"]:
            repriced.append((hs["name"], cents, product["updatedAt"]))
    assert repriced == [("Poste nomade — Lyon Presqu'île", REPRICED_AMOUNT,
                         repriced[0][2])]
    assert repriced[0][2].startswith("2026-10-")      # changed this month, after the last sync


def test_two_products_wait_for_their_stripe_twin(demo):
    new = [p for p in demo["products"] if "stripe_product_id" not in p["properties"]]
    assert [p["properties"]["name"] for p in new] == [n.name for n in NEW_PRODUCTS]
    for product in new:
        assert product["properties"]["code_comptable"] and product["properties"]["price"]
        assert all(product["properties"][f"axe_analytique_{n}"] for n in (1, 2, 3))
    # One sold by the hour, one sold monthly (the sync makes it a monthly Stripe price).
    assert [p["properties"].get("recurringbillingfrequency") for p in new] == [None, "monthly"]


def test_linked_customers_match_their_stripe_customers(stripe_side, demo):
    stripe = {c["id"]: c for c in stripe_side["customers"]}
    half_linked = 0
    for kind, key in (("companies", "hubspot_company_id"), ("contacts", "hubspot_contact_id")):
        by_hubspot_id = {c["metadata"][key]: c for c in stripe_side["customers"]
                         if key in c["metadata"]}
        for record in demo[kind]:
            twin = by_hubspot_id.get(record["id"])
            hs = record["properties"]
            if twin is None:
                assert "stripe_customer_id" not in hs
                continue
            if "stripe_customer_id" not in hs:    # the link is only on the Stripe side
                half_linked += 1
            else:
                assert stripe[hs["stripe_customer_id"]] is twin
            assert hs.get("code_comptable") == twin["metadata"].get("accounting_code")
            if kind == "companies":
                assert hs["name"] == twin["name"]
            else:
                assert (hs["firstname"], hs["lastname"], hs["email"]) == (
                    twin["metadata"]["first_name"], twin["metadata"]["last_name"], twin["email"])
            assert (hs["city"], hs["zip"], hs["country"]) == (
                twin["address"]["city"], twin["address"]["postal_code"], "France")
    assert half_linked == 2
    coded = [r for kind in ("companies", "contacts") for r in demo[kind]
             if r["properties"].get("code_comptable")]
    assert len(coded) == sum("accounting_code" in c["metadata"] for c in stripe.values())


def test_prospects_with_a_published_quote_or_a_won_deal(demo):
    prospects = {}
    for kind in ("companies", "contacts"):
        for record in demo[kind]:
            if qualifies(demo, kind, record) and "stripe_customer_id" not in record["properties"]:
                prospects[(kind, record["id"])] = sales(demo, kind, record["id"])
    statuses = {s for quotes, _ in prospects.values() for s in quotes}
    assert set(PUBLISHED) <= statuses
    assert {kind for (kind, _), (_, stages) in prospects.items() if WON in stages} == \
        {"companies", "contacts"}
    assert {kind for (kind, _), (quotes, _) in prospects.items() if quotes} == \
        {"companies", "contacts"}


def test_one_email_matches_one_stripe_customer_and_one_matches_two(stripe_side, demo):
    by_email = customers_by_email(stripe_side)
    unlinked = [c for c in demo["contacts"] if "stripe_customer_id" not in c["properties"]
                and c["properties"]["email"].casefold() in by_email]
    matches = {c["properties"]["email"]: by_email[c["properties"]["email"].casefold()]
               for c in unlinked if qualifies(demo, "contacts", c)}
    assert sorted(len(found) for found in matches.values()) == [1, 2]
    for found in matches.values():   # none of them is linked to HubSpot on the Stripe side
        assert not any(k.startswith("hubspot_") for c in found for k in c["metadata"])


def test_records_the_sync_must_leave_alone(demo):
    ignored = {kind: [r for r in demo[kind] if not qualifies(demo, kind, r)]
               for kind in ("companies", "contacts")}
    nothing = [r for r in ignored["companies"]
               if sales(demo, "companies", r["id"]) == (set(), set())]
    assert len(nothing) >= 3 and ignored["contacts"]
    assert any(sales(demo, "companies", r["id"])[0] == {"DRAFT"} for r in ignored["companies"])
    assert any("appointmentscheduled" in sales(demo, "companies", r["id"])[1]
               for r in ignored["companies"])


def test_a_prospect_s_code_clashes_with_existing_codes(stripe_side, demo):
    codes = [c["metadata"]["accounting_code"] for c in stripe_side["customers"]
             if "accounting_code" in c["metadata"]]
    name = "Simplissime Traiteur"
    assert any(r["properties"]["name"] == name and qualifies(demo, "companies", r)
               for r in demo["companies"])
    assert "411" + code_stem(name)[:5] in codes
    assert customer_code(name, codes) not in codes


def test_quotes_deals_and_line_items_hold_together(demo):
    ids = {kind: {o["id"] for o in demo[kind]} for kind in demo
           if kind not in ("properties", "associations")}
    for link in demo["associations"]:
        assert link["fromObjectId"] in ids[link["fromObjectType"]]
        assert link["toObjectId"] in ids[link["toObjectType"]]
    for quote in demo["quotes"]:
        assert associated(demo, "quotes", quote["id"], "deals")
        assert associated(demo, "quotes", quote["id"], "companies") | \
            associated(demo, "quotes", quote["id"], "contacts")
        items = [i for i in demo["line_items"]
                 if i["id"] in associated(demo, "quotes", quote["id"], "line_items")]
        assert items and all(i["properties"]["hs_product_id"] in ids["products"] for i in items)
        total = sum(round(float(i["properties"]["amount"]) * 100) for i in items)
        assert round(float(quote["properties"]["hs_quote_amount"]) * 100) == total


def test_the_sync_s_questions_through_the_client(demo):
    """Who has a published quote, asked as the sync will ask: a search, then the quotes'
    companies and contacts in one batch read each."""
    sandbox = HubSpotSandbox()
    sandbox.load(demo)
    with serve(sandbox) as running:
        client = hubspot.HubSpot(access_token="pat-sandbox", host=running.url)
        quotes = client.crm.quotes.search_api.do_search(PublicObjectSearchRequest(
            filter_groups=[{"filters": [{"propertyName": "hs_status", "operator": "IN",
                                         "values": list(PUBLISHED)}]}], limit=100))
        found = set()
        for kind in ("companies", "contacts"):
            answer = client.crm.associations.v4.batch_api.get_page(
                "quotes", kind, BatchInputPublicFetchAssociationsBatchRequest(
                    inputs=[{"id": q.id} for q in quotes.results]))
            found |= {(kind, t.to_object_id) for r in answer.results for t in r.to}
    expected = {(kind, r["id"]) for kind in ("companies", "contacts") for r in demo[kind]
                if set(PUBLISHED) & sales(demo, kind, r["id"])[0]}
    assert found == expected and len(expected) >= 4
