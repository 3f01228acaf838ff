"""Contract: the HubSpot–Stripe sync on a HubSpot portal and a Stripe account.

The run makes in HubSpot (names prefixed with its tag) a product with its accounting fields
and a company with a won deal, waits until HubSpot's search lists the deal, and syncs: the
product and the customer are created in Stripe with their metadata and linked both ways; a
second sync changes nothing; a price changed in HubSpot makes a new Stripe price and archives
the old one; a name changed in Stripe flows back to HubSpot.
"""

import pytest
from contract_isolation import RunCatalog, RunHubSpot
from contract_targets import needs

from backend.core.settings import Settings
from backend.services.sync import sync

pytestmark = pytest.mark.contract

AXES = {"axe_analytique_1": "BUREAUX", "axe_analytique_2": "CONTRAT", "axe_analytique_3": "TEST"}


@needs("stripe", "hubspot")
def test_sync(target, tmp_path):
    from backend.store.ledger import LedgerStore
    run = target.run
    adapter = target.hubspot_adapter()
    adapter.ensure_properties()   # as the sync's first step does: the records below use them
    product = target.hubspot_record("products", {
        "name": f"{run.hubspot_prefix}Bureau contrat", "price": "150.00",
        "description": "Produit des tests de contrat", "code_comptable": "706100", **AXES})
    company = target.hubspot_record("companies", {
        "name": f"{run.hubspot_prefix}Société Contrat", "address": "1 rue de la Paix",
        "city": "Lyon", "zip": "69002", "country": "France"})
    deal = target.hubspot_record("deals", {
        "dealname": f"{run.hubspot_prefix}Affaire", "pipeline": "default",
        "dealstage": "closedwon", "amount": "150"})
    target.hubspot_associate("deals", deal, "companies", company)
    settings = Settings()
    # HubSpot's search index lags behind writes: the sync finds customers through it.
    target.wait_for(lambda: company in adapter.customer_candidates(
        settings.hubspot_quote_statuses, settings.hubspot_deal_stages)["company"],
        "the run's won deal found by HubSpot's search")

    hubspot = RunHubSpot(adapter, products={product}, companies={company})
    catalog = RunCatalog(target.catalog(), target, hubspot_ids={product, company})
    store = LedgerStore(f"sqlite:///{tmp_path / 'ledger.db'}")
    store.migrate()
    run.cleanup.add("ledger store", store.close)

    def synced():
        return sync(hubspot, catalog, store, settings, run.company)

    first = synced()
    assert first.problems == [] and first.conflicts == []
    created = sorted(c.split(" ")[0] for c in first.created if not c.startswith("propriété"))
    assert created == ["entreprise", "produit"], first.created

    # The product, in Stripe with its accounting fields, both sides linked.
    stripe_product = target.hubspot_properties("products", product, ["stripe_product_id"])[
        "stripe_product_id"]
    made = target.stripe.v1.products.retrieve(stripe_product)
    assert made.metadata["hubspot_product_id"] == product
    assert made.metadata["accounting_code"] == "706100"
    assert [made.metadata[f"analytic_axis_{i}"] for i in (1, 2, 3)] == list(AXES.values())
    first_price = target.stripe.v1.prices.retrieve(made.default_price)
    assert (first_price.unit_amount, first_price.currency, first_price.type) == (
        15_000, "eur", "one_time")

    # The company, a Stripe customer with a code from the nomenclature on both sides.
    linked = target.hubspot_properties("companies", company, ["stripe_customer_id",
                                                               "code_comptable"])
    customer = target.stripe.v1.customers.retrieve(linked["stripe_customer_id"])
    assert linked["code_comptable"].startswith("411CONTR")
    assert customer.metadata["accounting_code"] == linked["code_comptable"]
    assert customer.metadata["hubspot_company_id"] == company
    assert customer.name == f"{run.hubspot_prefix}Société Contrat"
    assert customer.address.city == "Lyon"

    second = synced()
    assert (second.created, second.updated, second.linked) == ([], [], [])

    # A price changed in HubSpot: a new Stripe price, the old one archived.
    target.hubspot_update("products", product, {"price": "165.00"})
    synced()
    repriced = target.stripe.v1.products.retrieve(stripe_product)
    assert repriced.default_price != first_price.id
    assert target.stripe.v1.prices.retrieve(repriced.default_price).unit_amount == 16_500
    assert target.stripe.v1.prices.retrieve(first_price.id).active is False

    # A name changed in Stripe flows back to HubSpot.
    renamed = f"{run.hubspot_prefix}Bureau contrat renommé"
    target.stripe.v1.products.update(stripe_product, params={"name": renamed})
    synced()
    assert target.hubspot_properties("products", product, ["name"])["name"] == renamed
    assert synced().updated == []
