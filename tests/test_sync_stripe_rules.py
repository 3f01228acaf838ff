"""Stripe's input rules (issue 11, point 2): the Stripe sandbox refuses what Stripe refuses,
with Stripe's 400 naming the parameter; the HubSpot -> Stripe sync reports a record Stripe
would refuse (or does refuse) and syncs the others; recurring HubSpot products get recurring
Stripe prices. Real hubspot-api-client and stripe libraries over HTTP against the sandbox, a
real SQLite ledger store."""

from __future__ import annotations

import pytest
import stripe

from backend.core.settings import Settings
from backend.errors import ServiceError
from backend.sandbox.faults import Fault, FaultPlan
from backend.sandbox.local import LocalSandbox
from backend.sandbox.server import serve
from backend.sandbox.stripe_api import StripeSandbox
from backend.services.sync import sync
from backend.store.ledger import LedgerStore

KEY = "sk_test_sandbox"


# --- the sync -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sandbox():
    with LocalSandbox() as running:
        yield running


@pytest.fixture
def box(sandbox, tmp_path):
    """Empty Stripe and HubSpot accounts (HubSpot with the sync's properties), a fresh store."""
    sandbox.stripe.load({})
    sandbox.hubspot.load({})
    sandbox.plan.reset()
    sandbox.hubspot_adapter().ensure_properties()
    sandbox.store = LedgerStore(f"sqlite:///{tmp_path / 'ledger.db'}")
    sandbox.store.migrate()
    return sandbox


def run(box, catalog=None, **kwargs):
    return sync(box.hubspot_adapter(), catalog or box.catalog_adapter(), box.store, Settings(),
                "rules", **kwargs)


def add_product(box, name: str, price: str = "120.00", **props) -> str:
    return box.hubspot.add("products", {"name": name, "price": price, "code_comptable": "706100",
                                        "axe_analytique_1": "COWORKING", **props})


def add_companies(box, names: list[str]) -> list[str]:
    """Companies with a won deal: the customer sync makes each a Stripe customer."""
    deal = box.hubspot.add("deals", {"dealname": "Abonnements", "dealstage": "closedwon",
                                     "pipeline": "default"})
    return [box.hubspot.add("companies", {"name": name, "city": "Lyon", "zip": "69002",
                                          "address": "3 rue Mercière", "country": "France"},
                            associations=[("deals", deal)]) for name in names]


def stripe_products(box) -> dict[str, dict]:
    """Stripe's products by the HubSpot id in their metadata."""
    return {p["metadata"]["hubspot_product_id"]: p for p in box.stripe.stores["products"].all()}


def stripe_customers(box) -> dict[str, dict]:
    return {c["metadata"]["hubspot_company_id"]: c for c in box.stripe.stores["customers"].all()}


def stripe_posts(box) -> int:
    return box.plan.count("stripe", "POST")


def test_a_product_stripe_refuses_is_reported_and_the_fifty_others_are_synced(box):
    good = [add_product(box, f"Poste nomade n°{n:02d}", f"{100 + n}.00") for n in range(50)]
    # A note pasted into the accounting code: HubSpot keeps it, Stripe refuses metadata values
    # over 500 characters.
    bad = add_product(box, "Bureau mal codé", code_comptable="706100 " + "x" * 494)
    report = run(box, customers=False)
    synced = stripe_products(box)
    assert sorted(synced) == sorted(good)
    assert all(box.hubspot.get("products", hid)["properties"]["stripe_product_id"]
               == synced[hid]["id"] for hid in good)
    assert len(report.created) == 50
    assert report.problems == [f"produit Bureau mal codé (HubSpot {bad}) : « code_comptable » "
                               "trop long pour Stripe : 501 caractères, 500 au plus"]
    assert "1 à vérifier" in report.french()
    assert not box.hubspot.get("products", bad)["properties"].get("stripe_product_id")
    # The next sync says it again and does nothing twice.
    posts = stripe_posts(box)
    again = run(box, customers=False)
    assert again.problems == report.problems
    assert (again.created, again.updated) == ([], [])
    assert stripe_posts(box) == posts and len(stripe_products(box)) == 50


def test_a_company_stripe_refuses_is_reported_and_the_fifty_others_are_synced(box):
    good = add_companies(box, [f"Atelier {n:02d}" for n in range(50)])
    # A legal name with its whole registration in it: Stripe keeps names of 256 at most.
    long_name = ("Société coopérative " + "des ateliers réunis " * 13).strip()
    bad = add_companies(box, [long_name])[0]
    report = run(box, products=False)
    customers = stripe_customers(box)
    assert sorted(customers) == sorted(good)
    codes = [c["metadata"]["accounting_code"] for c in customers.values()]
    assert len(set(codes)) == 50 and all(code.startswith("411ATE") for code in codes)
    assert len(report.created) == 50
    assert report.problems == [f"entreprise {long_name[:80]}… (HubSpot {bad}) : « name » trop "
                               f"long pour Stripe : {len(long_name)} caractères, 256 au plus"]
    assert not box.hubspot.get("companies", bad)["properties"].get("stripe_customer_id")
    posts = stripe_posts(box)
    again = run(box, products=False)
    assert again.problems == report.problems and again.created == []
    assert stripe_posts(box) == posts and len(stripe_customers(box)) == 50


def test_a_refusal_the_pre_check_does_not_know_skips_that_product_only(box):
    hids = [add_product(box, f"Salle {n}") for n in range(10)]
    # Stripe's 400 on the third creation (a rule the sync does not check beforehand).
    box.plan.reset([Fault("stripe", 3, kind="error", status=400, method="POST")])
    report = run(box, customers=False)
    assert sorted(stripe_products(box)) == sorted(hids[:2] + hids[3:])
    assert report.problems == [f"produit Salle 2 (HubSpot {hids[2]}) : refusé par Stripe : "
                               "Injected fault"]
    assert len(report.created) == 9
    # Stripe takes it the next time; the others are not created twice.
    again = run(box, customers=False)
    assert (again.created, again.problems) == (["produit Salle 2"], [])
    assert sorted(stripe_products(box)) == sorted(hids)
    # A transient failure is not a refusal: the run fails, the next one takes over.
    add_product(box, "Salle 10")
    box.plan.reset([Fault("stripe", 1, kind="error", status=503, method="POST")])
    with pytest.raises(ServiceError) as failed:
        run(box, catalog=box.catalog_adapter(max_retries=0), customers=False)
    assert failed.value.transient and failed.value.status == 503


def test_a_refusal_among_customers_created_side_by_side_skips_that_one_only(box):
    hids = add_companies(box, [f"Studio {name}" for name in
                               ("Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot",
                                "Golf", "Hotel", "India", "Juliett")])
    box.plan.reset([Fault("stripe", 4, kind="error", status=400, method="POST")])
    report = run(box, products=False)
    created = stripe_customers(box)
    assert len(created) == 9 and len(report.created) == 9
    [refused] = [hid for hid in hids if hid not in created]
    name = box.hubspot.get("companies", refused)["properties"]["name"]
    assert report.problems == [f"entreprise {name} (HubSpot {refused}) : refusé par Stripe : "
                               "Injected fault"]
    again = run(box, products=False)
    assert again.problems == [] and len(again.created) == 1 and name in again.created[0]
    assert sorted(stripe_customers(box)) == sorted(hids)


def test_recurring_products_get_recurring_prices_with_hubspot_s_frequency(box):
    monthly = add_product(box, "Forfait 10 jours", "95.00", recurringbillingfrequency="monthly")
    once = add_product(box, "Cabine à l'heure", "12.00")
    run(box, customers=False)
    product = stripe_products(box)[monthly]
    price = box.stripe.get(product["default_price"])
    assert (price["type"], price["unit_amount"]) == ("recurring", 9500)
    assert (price["recurring"]["interval"], price["recurring"]["interval_count"]) == ("month", 1)
    assert box.stripe.get(stripe_products(box)[once]["default_price"])["type"] == "one_time"
    # Sold quarterly from now on: a new price (prices cannot change), the old one archived.
    box.hubspot.set_properties("products", monthly, {"recurringbillingfrequency": "quarterly"})
    report = run(box, customers=False)
    assert report.updated == ["produit Forfait 10 jours (period)"]
    quarterly = box.stripe.get(box.stripe.get(product["id"])["default_price"])
    assert (quarterly["recurring"]["interval"], quarterly["recurring"]["interval_count"],
            quarterly["unit_amount"]) == ("month", 3, 9500)
    assert box.stripe.get(price["id"])["active"] is False
    # Every five years: Stripe bills at most every three years; reported, nothing changed.
    box.hubspot.set_properties("products", monthly, {"recurringbillingfrequency": "per_five_years"})
    report = run(box, customers=False)
    assert report.problems == [f"produit Forfait 10 jours (HubSpot {monthly}) : fréquence de "
                               "facturation « per_five_years » trop longue pour Stripe, qui "
                               "facture au plus tous les trois ans (recurringbillingfrequency)"]
    assert box.stripe.get(product["id"])["default_price"] == quarterly["id"]
    # No frequency stated in HubSpot: a new amount keeps the price's period.
    box.hubspot.set_properties("products", monthly, {"recurringbillingfrequency": "",
                                                     "price": "99.00"})
    run(box, customers=False)
    latest = box.stripe.get(box.stripe.get(product["id"])["default_price"])
    assert (latest["unit_amount"], latest["recurring"]["interval_count"]) == (9900, 3)


# --- the Stripe sandbox's limits ----------------------------------------------------------------

@pytest.fixture(scope="module")
def stripe_sandbox():
    service = StripeSandbox(FaultPlan(), api_key=KEY)
    with serve(service) as running:
        yield service, stripe.StripeClient(KEY, base_addresses={"api": running.url},
                                           max_network_retries=0)


@pytest.fixture
def client(stripe_sandbox):
    service, client = stripe_sandbox
    service.load({})
    return client


def _product(client) -> str:
    """A product made on purpose before the refused write."""
    return client.v1.products.create(params={"name": "Support"}).id


def _price(client, **params):
    return client.v1.prices.create(params={"product": _product(client), "currency": "eur",
                                           "unit_amount": 1000, **params})


def _recurring(interval: str, count: int) -> dict:
    return {"interval": interval, "interval_count": count}


REFUSED = [   # (what, call, param, words of Stripe's message)
    ("customer name over 256", lambda c: c.v1.customers.create(params={"name": "n" * 257}),
     "name", "Invalid string: nnnnnnnnnn...nnnnnnnnnn; must be at most 256 characters"),
    ("e-mail without a dotted domain",
     lambda c: c.v1.customers.create(params={"email": "jean@gmail"}),
     "email", "Invalid email address: jean@gmail"),
    ("e-mail with a leading space",
     lambda c: c.v1.customers.create(params={"email": " jean@example.fr"}),
     "email", "Invalid email address"),
    ("e-mail over 512", lambda c: c.v1.customers.create(
        params={"email": "a" * 501 + "@example.com"}), "email", "must be at most 512 characters"),
    ("customer phone over 20", lambda c: c.v1.customers.create(params={"phone": "0" * 21}),
     "phone", "must be at most 20 characters"),
    ("customer description over 5000",
     lambda c: c.v1.customers.create(params={"description": "d" * 5001}),
     "description", "must be at most 5000 characters"),
    ("address line over 5000",
     lambda c: c.v1.customers.create(params={"address": {"line1": "l" * 5001}}),
     "address[line1]", "must be at most 5000 characters"),
    ("postal code over 5000",
     lambda c: c.v1.customers.create(params={"address": {"postal_code": "7" * 5001}}),
     "address[postal_code]", "must be at most 5000 characters"),
    ("metadata value over 500", lambda c: c.v1.customers.create(
        params={"metadata": {"accounting_code": "4" * 501}}), "metadata[accounting_code]",
     "Metadata values can have up to 500 characters, but you passed in a value that is 501"),
    ("metadata key over 40", lambda c: c.v1.customers.create(
        params={"metadata": {"k" * 41: "v"}}), f"metadata[{'k' * 41}]",
     "Metadata keys can have up to 40 characters, but you passed in a key that is 41"),
    ("51 metadata keys", lambda c: c.v1.customers.update(
        c.v1.customers.create(params={"metadata": {f"k{n}": "v" for n in range(50)}}).id,
        params={"metadata": {"one_more": "v"}}), "metadata",
     "Metadata can have up to 50 keys, but you've set 51"),
    ("product name over 5000", lambda c: c.v1.products.create(params={"name": "p" * 5001}),
     "name", "must be at most 5000 characters"),
    ("product description over 40000", lambda c: c.v1.products.create(
        params={"name": "Salle", "description": "d" * 40001}), "description",
     "must be at most 40000 characters"),
    ("product metadata value over 500", lambda c: c.v1.products.update(
        _product(c), params={"metadata": {"analytic_axis_1": "a" * 501}}),
     "metadata[analytic_axis_1]", "Metadata values can have up to 500 characters"),
    ("statement descriptor over 22", lambda c: c.v1.products.create(
        params={"name": "Salle", "statement_descriptor": "s" * 23}), "statement_descriptor",
     "must be at most 22 characters"),
    ("unit label over 12", lambda c: c.v1.products.create(
        params={"name": "Salle", "unit_label": "u" * 13}), "unit_label",
     "must be at most 12 characters"),
    ("first price over eight digits", lambda c: c.v1.products.create(params={
        "name": "Salle", "default_price_data": {"currency": "eur", "unit_amount": 100_000_000}}),
     "default_price_data[unit_amount]", "less than or equal to 99999999"),
    ("first price billed every four years", lambda c: c.v1.products.create(params={
        "name": "Salle", "default_price_data": {"currency": "eur", "unit_amount": 1000,
                                                "recurring": _recurring("year", 4)}}),
     "default_price_data[recurring][interval_count]", "three years"),
    ("first price in an unknown currency", lambda c: c.v1.products.create(params={
        "name": "Salle", "default_price_data": {"currency": "xyz", "unit_amount": 1000}}),
     "default_price_data[currency]", "Invalid currency: xyz"),
    ("first price with a lookup key", lambda c: c.v1.products.create(params={
        "name": "Salle", "default_price_data": {"currency": "eur", "unit_amount": 1000,
                                                "lookup_key": "salle"}}),
     "default_price_data[lookup_key]", "Received unknown parameter"),
    ("price over eight digits", lambda c: _price(c, unit_amount=100_000_000),
     "unit_amount", "This value must be less than or equal to 99999999 (it currently is "
                    "'100000000')."),
    ("price in an unknown currency", lambda c: _price(c, currency="eurx"), "currency",
     "Invalid currency: eurx. Stripe currently supports these currencies: usd, aed"),
    ("price every 37 months", lambda c: _price(c, recurring=_recurring("month", 37)),
     "recurring[interval_count]", "three years"),
    ("price every 157 weeks", lambda c: _price(c, recurring=_recurring("week", 157)),
     "recurring[interval_count]", "three years"),
    ("price every 0 months", lambda c: _price(c, recurring=_recurring("month", 0)),
     "recurring[interval_count]", "Invalid positive integer"),
    ("lookup key over 200", lambda c: _price(c, lookup_key="k" * 201), "lookup_key",
     "must be at most 200 characters"),
    ("price nickname over 5000", lambda c: _price(c, nickname="n" * 5001), "nickname",
     "must be at most 5000 characters"),
    ("price metadata value over 500", lambda c: _price(c, metadata={"replaces_price": "p" * 501}),
     "metadata[replaces_price]", "Metadata values can have up to 500 characters"),
]


@pytest.mark.parametrize("what, call, param, words", REFUSED, ids=[c[0] for c in REFUSED])
def test_the_sandbox_refuses_what_stripe_refuses(client, stripe_sandbox, what, call, param,
                                                 words):
    service, _ = stripe_sandbox
    with pytest.raises(stripe.InvalidRequestError) as refused:
        call(client)
    error = refused.value
    assert (error.http_status, error.param) == (400, param)
    assert words in error.user_message
    assert error.json_body["error"]["type"] == "invalid_request_error"
    if param == "email" and "Invalid email" in words:
        assert error.code == "email_invalid"
    # Nothing half-written: only what the case made on purpose before its refused write.
    assert not [p for p in service.stores["products"].all() if p["name"] != "Support"]
    assert not service.stores["prices"].all()
    assert not [c for c in service.stores["customers"].all() if len(c["metadata"]) != 50]


def test_the_limits_are_exact(client):
    """At each limit Stripe takes the value; one past it, Stripe refuses."""
    customer = client.v1.customers.create(params={
        "name": "n" * 256, "email": "prenom.nom+compta@sous.domaine.example.fr",
        "phone": "+33 4 72 00 00 00", "address": {"line1": "l" * 5000, "country": "FR"},
        "metadata": {"k" * 40: "v" * 500, **{f"k{n}": "v" for n in range(49)}}})
    assert len(customer.metadata.to_dict()) == 50
    product = client.v1.products.create(params={
        "name": "p" * 5000, "description": "d" * 40000, "statement_descriptor": "s" * 22,
        "default_price_data": {"currency": "eur", "unit_amount": 99_999_999,
                               "recurring": _recurring("year", 3)}})
    price = client.v1.prices.retrieve(product.default_price)
    assert (price.unit_amount, price.recurring.interval_count) == (99_999_999, 3)
    for interval, count in (("month", 36), ("week", 156), ("day", 1095)):
        longest = _price(client, recurring=_recurring(interval, count))
        assert longest.recurring.interval_count == count
        with pytest.raises(stripe.InvalidRequestError):
            _price(client, recurring=_recurring(interval, count + 1))
    for past in ({"name": "n" * 257}, {"metadata": {"k" * 41: "v"}},
                 {"metadata": {"k": "v" * 501}}):
        with pytest.raises(stripe.InvalidRequestError):
            client.v1.customers.create(params=past)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.update(customer.id, params={"metadata": {"fifty_one": "v"}})
