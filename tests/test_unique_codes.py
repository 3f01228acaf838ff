"""One account code per customer, always (issue 13, finding 1), and the accounting fields the
sync takes in from HubSpot checked as it takes them (finding 2's sync side).

The sync runs with the real hubspot-api-client and stripe libraries against the sandbox over
HTTP; the generation's check is the core's; the store's constraint and its migration run on
SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import copy

import pytest
import sqlalchemy as sa
from builders import credit_line, credit_note, customer, invoice, line
from test_migrations import alembic_at

from backend.core import codes
from backend.core.journal import journal_documents
from backend.core.model import Entry
from backend.core.settings import Settings
from backend.demo import build_demo_company
from backend.demo.hubspot import build_demo_hubspot
from backend.sandbox.local import LocalSandbox
from backend.services.sync import sync
from backend.store import migrations, schema
from backend.store.ledger import LedgerStore

COMPANY = "mdc"


# --- the rule ----------------------------------------------------------------------------

def test_one_comparison_of_codes_and_what_a_customer_account_is():
    assert codes.code_key(" 411simpl ") == codes.code_key("411SIMPL")
    assert codes.is_customer_account("411CREME") and codes.is_customer_account("411crem1")
    for bad in ("=1+1", "706000", "411", "411 CREME", "411-CREME", "411CRÈME", "@411", "411" + "A" * 98):
        assert not codes.is_customer_account(bad), bad
    assert codes.is_customer_account("CSIMPLO", prefix="C")
    for good in ("", "BUREAUX", "PARIS-11", "Axe analytique 1", "Île-de-France"):
        assert codes.is_section(good), good
    for bad in ("=1+1", "+33", "-2+3", "@SUM(1)", "\tX", "\rX", "_X", "A;B", "A\nB"):
        assert not codes.is_section(bad), bad


# --- the sync ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo():
    company = build_demo_company()
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
        sandbox.store.close()


def run(box, **kwargs):
    return sync(box.hubspot_adapter(), box.catalog_adapter(), box.store, Settings(), COMPANY,
                **kwargs)


def hs(box, kind, name):
    return next(o for o in box.hubspot.objects(kind) if o["properties"].get("name") == name)


def deal_won(box):
    return next(d["id"] for d in box.hubspot.objects("deals")
                if d["properties"].get("dealstage") == "closedwon")


def test_a_code_changed_in_hubspot_to_another_customers_is_refused_and_nothing_written(box):
    run(box)
    horizon, simpl = hs(box, "companies", "Horizon Béton SAS"), hs(box, "companies", "Simplicité Conseil")
    horizon_id = horizon["properties"]["stripe_customer_id"]
    simpl_id = simpl["properties"]["stripe_customer_id"]
    taken = box.stripe.get(simpl_id)["metadata"]["accounting_code"]
    for typed in (taken, taken.lower()):      # the same account, whatever its case
        box.hubspot.set_properties("companies", horizon["id"], {"code_comptable": typed,
                                                                "city": "Vénissieux"})
        report = run(box)
        [said] = [p for p in report.problems if horizon["id"] in p]
        for named in ("Horizon Béton SAS", horizon["id"], horizon_id, "Simplicité Conseil",
                      simpl_id, simpl["id"], typed):
            assert named in said, (named, said)
        assert "deux clients ne partagent jamais un compte" in said
        assert not any("Horizon" in u for u in report.updated)
        # Left alone on both sides: Stripe keeps its code (and its city: nothing of the record
        # is written), HubSpot keeps what the person typed, the other customer is untouched.
        horizon_stripe = box.stripe.get(horizon_id)
        assert horizon_stripe["metadata"]["accounting_code"] == "411HORIZ"
        assert horizon_stripe["address"]["city"] != "Vénissieux"
        assert box.stripe.get(simpl_id)["metadata"]["accounting_code"] == taken
        assert hs(box, "companies", "Horizon Béton SAS")["properties"]["code_comptable"] == typed
        assert box.store.customer_codes(COMPANY).get(horizon_id) in (None, "411HORIZ")
    # The same code put into Stripe's metadata (the dashboard) does not reach HubSpot either.
    box.hubspot.set_properties("companies", horizon["id"], {"code_comptable": "411HORIZ"})
    box.catalog_adapter().update_customer(horizon_id, {"metadata": {"accounting_code": taken}},
                                          "company", horizon["id"])
    report = run(box)
    [said] = [p for p in report.problems if horizon["id"] in p]
    assert taken in said and simpl_id in said
    assert hs(box, "companies", "Horizon Béton SAS")["properties"]["code_comptable"] == "411HORIZ"
    box.catalog_adapter().update_customer(horizon_id, {"metadata": {"accounting_code": "411HORIZ"}},
                                          "company", horizon["id"])
    # A free, valid code is taken as before.
    box.hubspot.set_properties("companies", horizon["id"], {"code_comptable": "411ZENIT"})
    report = run(box)
    assert not [p for p in report.problems if horizon["id"] in p]
    assert box.stripe.get(horizon_id)["metadata"]["accounting_code"] == "411ZENIT"


def test_a_new_customer_with_a_code_already_taken_or_invalid_is_not_created(box):
    run(box)
    simpl = hs(box, "companies", "Simplicité Conseil")
    simpl_id = simpl["properties"]["stripe_customer_id"]
    taken = box.stripe.get(simpl_id)["metadata"]["accounting_code"]
    deal = deal_won(box)
    ids = {name: box.hubspot.add("companies", {"name": name, "code_comptable": code},
                                 associations=[("deals", deal)])
           for name, code in (("Double Compte SARL", taken.lower()), ("Formule SARL", "=1+1"),
                              ("Général SARL", "706000"), ("Libre SARL", "411LIBRE"),
                              ("Jumeau Un", "411JUMEA"), ("Jumeau Deux", "411JUMEA"))}
    before = {c["id"] for c in box.catalog_adapter().customers()}
    report = run(box)
    said = {name: " ".join(p for p in report.problems if p.startswith(f"entreprise {name} (HubSpot {hid})"))
            for name, hid in ids.items()}
    assert "Simplicité Conseil" in said["Double Compte SARL"] and simpl_id in said["Double Compte SARL"]
    assert taken.lower() in said["Double Compte SARL"]
    assert "invalide" in said["Formule SARL"] and "=1+1" in said["Formule SARL"]
    assert "invalide" in said["Général SARL"]
    assert said["Libre SARL"] == "" and said["Jumeau Un"] == ""
    assert "Jumeau Un" in said["Jumeau Deux"] and ids["Jumeau Un"] in said["Jumeau Deux"]
    new = [c for c in box.catalog_adapter().customers() if c["id"] not in before]
    assert sorted(c["metadata"]["accounting_code"] for c in new) == ["411JUMEA", "411LIBRE"]
    for name in ("Double Compte SARL", "Formule SARL", "Général SARL", "Jumeau Deux"):
        assert not box.hubspot.get("companies", ids[name])["properties"].get("stripe_customer_id")
    kept = [c.upper() for c in box.store.customer_codes(COMPANY).values()]
    assert len(kept) == len(set(kept))


def test_sections_and_codes_of_products_are_checked_as_the_sync_takes_them(box):
    run(box)
    ids = {name: box.hubspot.add("products", {"name": name, "price": "10", **props})
           for name, props in (("Section formule", {"code_comptable": "706100",
                                                    "axe_analytique_1": "=1+1"}),
                               ("Code formule", {"code_comptable": "@SUM(1+1)"}),
                               ("Section saine", {"code_comptable": "706100",
                                                  "axe_analytique_2": "PARIS-11"}))}
    report = run(box)
    said = {name: " ".join(p for p in report.problems if name in p) for name in ids}
    assert "section « =1+1 » invalide sur l'axe 1" in said["Section formule"]
    assert "axe_analytique_1" in said["Section formule"]
    assert "code comptable « @SUM(1+1) » invalide" in said["Code formule"]
    assert said["Section saine"] == ""
    stripe_names = {p["name"] for p in box.catalog_adapter().products()}
    assert "Section saine" in stripe_names
    assert not {"Section formule", "Code formule"} & stripe_names
    # A later change to a linked product is checked the same way: nothing written.
    cabine = hs(box, "products", "Section saine")
    box.hubspot.set_properties("products", cabine["id"], {"axe_analytique_3": "-2+3"})
    report = run(box)
    assert any("-2+3" in p for p in report.problems)
    product = box.stripe.get(cabine["properties"]["stripe_product_id"])
    assert product["metadata"].get("analytic_axis_3", "") == ""


# --- the generation ------------------------------------------------------------------------

def test_an_invoice_whose_customer_shares_its_code_is_an_anomaly(catalog, settings):
    catalog.add(customer("cus_creme", "Crème & Co", "411CREME"))
    catalog.add(customer("cus_atelier", "Atelier A", "411creme"))     # same account, other case
    catalog.add(customer("cus_seul", "Seul SARL"))
    catalog.customer_codes["cus_seul"] = "411SEUL"
    first = invoice("in_1", "F-1", "cus_atelier", [line("il_1", "prod_bureau", 10000)])
    second = invoice("in_2", "F-2", "cus_creme", [line("il_2", "prod_bureau", 10000)])
    alone = invoice("in_3", "F-3", "cus_seul", [line("il_3", "prod_bureau", 10000)])
    note = credit_note("cn_1", "A-1", first, [credit_line("cnl_1", first["lines"]["data"][0], 5000)])
    result = journal_documents([first, second, alone, note], catalog, settings)
    assert [e.document_id for e in result.entries] == ["in_3"]
    reasons = {a.document_id: a.reason for a in result.anomalies}
    assert set(reasons) == {"in_1", "in_2", "cn_1"}
    assert "cus_creme (Crème & Co)" in reasons["in_1"] and "411creme" in reasons["in_1"]
    assert "cus_atelier (Atelier A)" in reasons["in_2"]
    assert "deux clients ne partagent jamais un compte" in reasons["in_1"]
    # Once the accountant gives one of them its own code, both are journaled.
    catalog.add(customer("cus_atelier", "Atelier A", "411ATELI"))
    result = journal_documents([first, second], catalog, settings)
    assert all(isinstance(e, Entry) for e in result.entries) and len(result.entries) == 2
    assert result.anomalies == []


# --- the store and its migration ------------------------------------------------------------

def test_the_store_refuses_a_code_another_customer_has_whatever_its_case(make_store):
    store = make_store()
    store.migrate()
    store.save_customer_codes(COMPANY, {"cus_a": "411SIMPL"})
    with pytest.raises(ValueError, match="411simpl"):
        store.save_customer_codes(COMPANY, {"cus_b": "411simpl"})
    # The database itself, past the check:
    with pytest.raises(sa.exc.IntegrityError), schema.begin_write(store.engine) as conn:
        conn.execute(schema.customer_codes.insert().values(
            company=COMPANY, customer_id="cus_c", code="411Simpl", code_key="411SIMPL"))
    store.save_customer_codes("other", {"cus_b": "411simpl"})
    assert store.customer_codes(COMPANY) == {"cus_a": "411SIMPL"}


def _at_0004_with(store: LedgerStore, rows: dict[str, str]) -> None:
    alembic_at(store.engine, "0004")
    table = sa.table("customer_codes", sa.column("company"), sa.column("customer_id"),
                     sa.column("code"))
    with schema.begin_write(store.engine) as conn:
        for customer_id, code in rows.items():
            conn.execute(table.insert().values(company=COMPANY, customer_id=customer_id,
                                               code=code))


def test_the_migration_keys_the_codes_it_finds(make_store):
    store = make_store()
    _at_0004_with(store, {"cus_a": "411simpl", "cus_b": "411DUPON"})
    assert store.migrate()[0] == "0005"
    assert store.customer_codes(COMPANY) == {"cus_a": "411simpl", "cus_b": "411DUPON"}
    with pytest.raises(ValueError):
        store.save_customer_codes(COMPANY, {"cus_c": "411SIMPL"})
    columns = {c["name"]: c for c in sa.inspect(store.engine).get_columns("customer_codes")}
    assert columns["code_key"]["nullable"] is False


def test_the_migration_refuses_a_database_holding_a_shared_code_and_says_which(make_store):
    store = make_store()
    _at_0004_with(store, {"cus_a": "411simpl", "cus_b": "411SIMPL", "cus_c": "411DUPON"})
    with pytest.raises(RuntimeError, match=r"411SIMPL: cus_a \(411simpl\), cus_b \(411SIMPL\)"):
        store.migrate()
    # The whole upgrade undone: still at 0004, every row kept.
    assert store.schema_version() == "0004"
    assert "code_key" not in {c["name"] for c in sa.inspect(store.engine).get_columns("customer_codes")}
    assert len(store.customer_codes(COMPANY)) == 3
    # The integrator removes the row the accountant chose; the upgrade then goes through.
    with schema.begin_write(store.engine) as conn:
        conn.execute(sa.text("DELETE FROM customer_codes WHERE customer_id = 'cus_b'"))
    store.migrate()
    assert migrations.is_up_to_date(store.engine)
    assert store.customer_codes(COMPANY) == {"cus_a": "411simpl", "cus_c": "411DUPON"}


def test_the_migration_can_be_undone(make_store):
    store = make_store()
    _at_0004_with(store, {"cus_a": "411simpl"})
    assert store.migrate()[0] == "0005"
    from alembic import command
    config = migrations.alembic_config()
    with schema.begin_write(store.engine) as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0004")
    assert "code_key" not in {c["name"] for c in sa.inspect(store.engine).get_columns("customer_codes")}
    assert LedgerStore.customer_codes(store, COMPANY) == {"cus_a": "411simpl"}
