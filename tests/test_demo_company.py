"""The demo company: deterministic, complete, and exact to the cent by Stripe's rules.

The money checks recompute every amount here, independently of the generator's code, so that
a generator that breaks a rule fails them.
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections import Counter, defaultdict
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import stripe

from backend.core.codes import assign_codes, code_stem, display_name
from backend.demo import DEMO_COMPANY, build_demo_company, scale_invoices, write_demo_company

PARIS = ZoneInfo("Europe/Paris")
MONTH = "2026-10"
# Stripe's published example objects (tests/reference/stripe_fixtures.json), kept with the
# tests so that the shape check runs wherever the suite does.
FIXTURES = Path(__file__).resolve().parent / "reference" / "stripe_fixtures.json"


@pytest.fixture(scope="module")
def company() -> dict:
    return build_demo_company()


@pytest.fixture(scope="module")
def fixtures() -> dict:
    return json.loads(FIXTURES.read_text(encoding="utf-8"))["resources"]


def paris_month(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, PARIS).strftime("%Y-%m")


def finalized(invoice: dict) -> int | None:
    return invoice["status_transitions"]["finalized_at"]


def vat(taxable: int, percentage: float) -> int:
    """VAT rounded half away from zero (what ROUND_HALF_UP does on Decimals)."""
    exact = Decimal(taxable) * Decimal(str(percentage)) / 100
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def is_person(customer: dict) -> bool:
    return "last_name" in customer["metadata"]


def code_name(customer: dict) -> str:
    if is_person(customer):
        return display_name(last_name=customer["metadata"]["last_name"],
                            first_name=customer["metadata"]["first_name"])
    return display_name(company=customer["name"])


# --- determinism and files -----------------------------------------------------------------

def test_same_arguments_give_the_same_company(company):
    again = build_demo_company(MONTH, 2026)
    assert again == company
    assert (json.dumps(again, ensure_ascii=False, sort_keys=True)
            == json.dumps(company, ensure_ascii=False, sort_keys=True))


def test_another_seed_or_month_gives_other_documents(company):
    other_seed = build_demo_company(MONTH, 7)
    assert {i["id"] for i in other_seed["invoices"]}.isdisjoint(
        i["id"] for i in company["invoices"])
    # Another month of the same company: same customers and products, no shared invoice id
    # nor invoice number.
    november = build_demo_company("2026-11", 2026)
    assert {c["id"] for c in november["customers"]} == {c["id"] for c in company["customers"]}
    assert {p["id"] for p in november["products"]} == {p["id"] for p in company["products"]}
    assert {i["id"] for i in november["invoices"]}.isdisjoint(
        i["id"] for i in company["invoices"])
    numbers = {i["number"] for i in company["invoices"]} - {None}
    assert numbers.isdisjoint(i["number"] for i in november["invoices"])
    assert all(paris_month(finalized(i)) in ("2026-11", "2026-12")
               for i in november["invoices"] if finalized(i))


def test_generation_is_fast():
    started = time.perf_counter()
    build_demo_company()
    assert time.perf_counter() - started < 1.0


def test_write_demo_company(tmp_path, company):
    paths = write_demo_company(tmp_path / "demo")
    urls = {"tax_rates": "/v1/tax_rates", "products": "/v1/products", "prices": "/v1/prices",
            "coupons": "/v1/coupons", "customers": "/v1/customers",
            "invoices": "/v1/invoices", "credit_notes": "/v1/credit_notes"}
    assert [p.name for p in paths] == [f"{kind}.json" for kind in urls]
    for path, (kind, url) in zip(paths, urls.items()):
        text = path.read_text(encoding="utf-8")
        listing = json.loads(text)
        assert listing == {"object": "list", "data": company[kind], "has_more": False,
                           "url": url}
    customers = (tmp_path / "demo" / "customers.json").read_text(encoding="utf-8")
    assert "Łukasz Wróbel" in customers and "\\u" not in customers  # ensure_ascii=False
    assert customers.startswith('{\n "object": "list"')  # indent 1


def test_demo_company_identity():
    assert DEMO_COMPANY["name"] == "La Maison du Coworking"
    assert DEMO_COMPANY["month"] == MONTH and DEMO_COMPANY["timezone"] == "Europe/Paris"
    assert len(DEMO_COMPANY["axis_names"]) == 3
    siren = DEMO_COMPANY["siren"]
    assert re.fullmatch(r"\d{9}", siren)
    digits = [int(d) for d in reversed(siren)]
    luhn = sum(d if i % 2 == 0 else (2 * d if d < 5 else 2 * d - 9)
               for i, d in enumerate(digits))
    assert luhn % 10 == 0


# --- catalog -------------------------------------------------------------------------------

def test_tax_rates(company):
    rates = company["tax_rates"]
    assert {20.0, 10.0} <= {r["percentage"] for r in rates}
    for rate in rates:
        assert re.fullmatch(r"txr_1Q[0-9A-Za-z]{22}", rate["id"])
        assert (rate["country"], rate["tax_type"], rate["inclusive"]) == ("FR", "vat", False)
        assert rate["active"] and not rate["livemode"]


def test_products_and_prices(company):
    products, prices = company["products"], company["prices"]
    assert len(products) >= 8
    price_by_id = {p["id"]: p for p in prices}
    assert len(price_by_id) == len(products)
    uncoded = [p for p in products if p["active"] and "accounting_code" not in p["metadata"]]
    assert len(uncoded) == 1
    classes = set()
    for product in products:
        meta = product["metadata"]
        if product is not uncoded[0]:
            assert re.fullmatch(r"70[678]\d{3}", meta["accounting_code"]), product["name"]
            classes.add(meta["accounting_code"][:3])
        assert all(meta[f"analytic_axis_{axis}"] for axis in (1, 2, 3))
        assert meta["hubspot_product_id"].isdigit()
        price = price_by_id[product["default_price"]]
        assert price["product"] == product["id"]
        assert (price["currency"], price["tax_behavior"]) == ("eur", "exclusive")
        assert price["unit_amount_decimal"] == str(price["unit_amount"])
        if price["type"] == "recurring":
            assert price["recurring"]["interval"] == "month"
        else:
            assert price["type"] == "one_time" and price["recurring"] is None
    assert classes == {"706", "707", "708"}
    assert {p["type"] for p in prices} == {"recurring", "one_time"}
    # Products sold at both sites differ by their site section.
    assert {"PARIS-11", "LYON-PRESQU"} <= {p["metadata"]["analytic_axis_2"] for p in products}


def test_coupons(company):
    coupons = {c["id"]: c for c in company["coupons"]}
    shapes = {(c["percent_off"], c["amount_off"], c["duration"]) for c in coupons.values()}
    assert (10.0, None, "forever") in shapes
    assert (50.0, None, "once") in shapes
    assert (None, 3000, "once") in shapes
    assert any(c["percent_off"] == 100.0 for c in coupons.values())
    assert all(c["times_redeemed"] >= 1 for c in coupons.values())


# --- customers -----------------------------------------------------------------------------

def test_customers(company):
    customers = company["customers"]
    assert len(customers) >= 60
    assert len({c["id"] for c in customers}) == len(customers)
    assert all(c["currency"] == "eur" and c["email"] and c["address"]["city"]
               and c["address"]["country"] == "FR" for c in customers)
    people = [c for c in customers if is_person(c)]
    assert 20 <= len(people) <= len(customers) - 20
    for person in people:
        assert person["name"] == (f"{person['metadata']['first_name']} "
                                  f"{person['metadata']['last_name']}")
    names = [c["name"] for c in customers]
    joined = "".join(names)
    assert all(ch in joined for ch in "Éèçôœï")
    assert sum(1 for n in names if not n.isascii()) >= 30
    # Names that share their first five letters: the clash rule must show.
    stems = Counter(code_stem(code_name(c))[:5] for c in customers)
    assert stems["SIMPL"] >= 3 and stems["ATELI"] >= 3
    assert sum(1 for count in stems.values() if count >= 2) >= 5

    def cp1252_safe(name: str) -> bool:
        try:
            name.encode("cp1252")
        except UnicodeEncodeError:
            return False
        return True

    assert any(not cp1252_safe(n) for n in names)
    assert any(n[0] in "=+" for n in names)


def test_long_standing_customers_have_codes_by_the_rule(company):
    customers = company["customers"]
    coded = [c for c in customers if "accounting_code" in c["metadata"]]
    assert 0.6 <= len(coded) / len(customers) <= 0.72
    codes = [c["metadata"]["accounting_code"] for c in coded]
    assert len(set(codes)) == len(codes)
    # Handed out oldest first, each unique among the ones before.
    oldest_first = sorted(coded, key=lambda c: c["created"])
    expected, errors = assign_codes({c["id"]: code_name(c) for c in oldest_first}, [])
    assert not errors
    assert {c["id"]: c["metadata"]["accounting_code"] for c in coded} == expected
    assert all(re.fullmatch(r"411[A-Z0-9]{5}", code) for code in codes)
    assert all("hubspot_company_id" in c["metadata"] or "hubspot_contact_id" in c["metadata"]
               for c in coded)
    # The new ones have no code yet and joined during the month.
    new = [c for c in customers if "accounting_code" not in c["metadata"]]
    assert all(paris_month(c["created"]) == MONTH for c in new
               if c["created"] < datetime(2026, 10, 31, 23, 0, tzinfo=timezone.utc).timestamp())
    assert all(c["created"] < datetime(2026, 10, 1, tzinfo=PARIS).timestamp() for c in coded)


# --- invoices ------------------------------------------------------------------------------

def test_invoice_volume_and_statuses(company):
    invoices = company["invoices"]
    assert 480 <= len(invoices) <= 520
    statuses = Counter(i["status"] for i in invoices)
    assert statuses["paid"] > len(invoices) * 0.7
    assert statuses["open"] >= 5
    assert 1 <= statuses["uncollectible"] <= 2
    assert statuses["void"] == 1 and statuses["draft"] == 1
    assert set(statuses) == {"paid", "open", "uncollectible", "void", "draft"}
    reasons = Counter(i["billing_reason"] for i in invoices)
    assert reasons["subscription_cycle"] > reasons["subscription_create"] > 0
    assert reasons["manual"] > 0
    assert all(i["currency"] == "eur" and not i["livemode"] for i in invoices)


def test_void_and_draft(company):
    (void,) = [i for i in company["invoices"] if i["status"] == "void"]
    assert void["status_transitions"]["voided_at"] > finalized(void)
    assert void["number"] and void["amount_paid"] == 0
    (draft,) = [i for i in company["invoices"] if i["status"] == "draft"]
    assert draft["number"] is None and finalized(draft) is None
    assert draft["effective_at"] is None and draft["ending_balance"] is None
    assert draft["hosted_invoice_url"] is None


def test_exactly_one_zero_invoice(company):
    zeros = [i for i in company["invoices"] if finalized(i) and i["total"] == 0]
    assert len(zeros) == 1
    zero = zeros[0]
    assert zero["subtotal"] > 0
    assert sum(d["amount"] for d in zero["total_discount_amounts"]) == zero["subtotal"]
    assert all(t["amount"] == 0 for t in zero["total_taxes"])
    assert zero["amount_due"] == 0 and zero["status"] == "paid"


def test_proration_credit_and_long_invoice(company):
    invoices = company["invoices"]
    negative = [(i, line) for i in invoices for line in i["lines"]["data"] if line["amount"] < 0]
    assert negative
    for invoice, line in negative:
        details = line["parent"]["subscription_item_details"]
        assert details["proration"] and details["proration_details"]["credited_items"]
        assert invoice["total"] > 0
    long = [i for i in invoices if len(i["lines"]["data"]) > 10]
    assert long
    for invoice in long:
        assert invoice["lines"]["has_more"] is False
        assert invoice["lines"]["total_count"] == len(invoice["lines"]["data"])
        assert len({t["tax_rate_details"]["tax_rate"] for t in invoice["total_taxes"]}) >= 2


def test_month_boundaries(company):
    invoices = [i for i in company["invoices"] if finalized(i)]
    # Created on the last day of the previous month, finalized (journaled) in this one.
    late = [i for i in invoices if paris_month(i["created"]) == "2026-09"]
    assert late and all(paris_month(finalized(i)) == MONTH for i in late)
    assert all(datetime.fromtimestamp(i["created"], PARIS).day == 30 for i in late)
    # Finalized at 23:30 UTC on the 31st: already 1 November in Paris.
    at_2330 = datetime(2026, 10, 31, 23, 30, tzinfo=timezone.utc).timestamp()
    next_month = [i for i in invoices if paris_month(finalized(i)) != MONTH]
    assert [finalized(i) for i in next_month] == [at_2330]
    assert datetime.fromtimestamp(at_2330, PARIS).strftime("%Y-%m-%d %H:%M") == "2026-11-01 00:30"
    for invoice in invoices:
        assert invoice["effective_at"] == finalized(invoice)
        assert invoice["created"] <= finalized(invoice)
        paid = invoice["status_transitions"]["paid_at"]
        assert (paid is not None) == (invoice["status"] == "paid")
        if paid is not None:
            assert paid >= finalized(invoice)


def test_customer_balance_applied(company):
    with_credit = [i for i in company["invoices"] if i["starting_balance"] < 0]
    assert len(with_credit) >= 2
    assert all(i["amount_due"] < i["total"] for i in with_credit)
    assert any(i["amount_due"] == 0 and i["ending_balance"] < 0 for i in with_credit)


def test_product_without_code_is_billed(company):
    (uncoded,) = [p for p in company["products"] if "accounting_code" not in p["metadata"]]
    using = [i for i in company["invoices"] if finalized(i) and any(
        line["pricing"]["price_details"]["product"] == uncoded["id"]
        for line in i["lines"]["data"])]
    assert 2 <= len(using) <= 6


def test_numbers_follow_finalization(company):
    numbered = sorted((i for i in company["invoices"] if finalized(i)),
                      key=lambda i: (finalized(i), i["created"], i["id"]))
    numbers = [i["number"] for i in numbered]
    assert all(re.fullmatch(r"MDC-2026-\d{4,}", n) for n in numbers)
    assert len(set(numbers)) == len(numbers)
    sequence = [int(n.rsplit("-", 1)[1]) for n in numbers]
    assert sequence == list(range(sequence[0], sequence[0] + len(sequence)))


def test_references_hold(company):
    customers = {c["id"]: c for c in company["customers"]}
    prices = {p["id"]: p for p in company["prices"]}
    rates = {r["id"] for r in company["tax_rates"]}
    invoice_ids = [i["id"] for i in company["invoices"]]
    assert len(set(invoice_ids)) == len(invoice_ids)
    line_ids = [line["id"] for i in company["invoices"] for line in i["lines"]["data"]]
    assert len(set(line_ids)) == len(line_ids)
    for invoice in company["invoices"]:
        customer = customers[invoice["customer"]]
        assert invoice["customer_name"] == customer["name"]
        assert invoice["customer_email"] == customer["email"]
        assert invoice["lines"]["url"] == f"/v1/invoices/{invoice['id']}/lines"
        subscription = invoice["parent"] and invoice["parent"]["subscription_details"][
            "subscription"]
        assert (subscription is not None) == invoice["billing_reason"].startswith("subscription")
        for line in invoice["lines"]["data"]:
            assert line["invoice"] == invoice["id"] and line["object"] == "line_item"
            details = line["pricing"]["price_details"]
            assert prices[details["price"]]["product"] == details["product"]
            assert all(t["tax_rate_details"]["tax_rate"] in rates for t in line["taxes"])
            if subscription:
                assert line["parent"]["type"] == "subscription_item_details"
                assert line["parent"]["subscription_item_details"]["subscription"] == subscription
            else:
                assert line["parent"]["type"] == "invoice_item_details"
    customer_discounts = {c["discount"]["id"] for c in customers.values() if c["discount"]}
    assert customer_discounts and all(
        any(d in i["discounts"] for i in company["invoices"]) for d in customer_discounts)


# --- money rules ---------------------------------------------------------------------------

def check_lines(lines: list[dict], percentages: dict[str, float]) -> None:
    for line in lines:
        discounts = sum(d["amount"] for d in line["discount_amounts"])
        if line["amount"] > 0:
            assert 0 <= discounts <= line["amount"], line["id"]
        else:
            assert discounts == 0, line["id"]
        assert len(line["taxes"]) == 1
        for tax in line["taxes"]:
            assert tax["tax_behavior"] == "exclusive" and tax["type"] == "tax_rate_details"
            assert tax["taxable_amount"] == line["amount"] - discounts, line["id"]
            rate = percentages[tax["tax_rate_details"]["tax_rate"]]
            assert tax["amount"] == vat(tax["taxable_amount"], rate), line["id"]


def check_totals(document: dict, lines: list[dict], discount_key: str) -> None:
    subtotal = sum(line["amount"] for line in lines)
    discounts: dict[str, int] = defaultdict(int)
    taxes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for line in lines:
        for entry in line["discount_amounts"]:
            discounts[entry["discount"]] += entry["amount"]
        for tax in line["taxes"]:
            taxes[tax["tax_rate_details"]["tax_rate"]][0] += tax["amount"]
            taxes[tax["tax_rate_details"]["tax_rate"]][1] += tax["taxable_amount"]
    assert document["subtotal"] == document["subtotal_excluding_tax"] == subtotal
    assert {d["discount"]: d["amount"] for d in document[discount_key]} == dict(discounts)
    assert len(document[discount_key]) == len(discounts)
    assert document["total_excluding_tax"] == subtotal - sum(discounts.values())
    assert {t["tax_rate_details"]["tax_rate"]: [t["amount"], t["taxable_amount"]]
            for t in document["total_taxes"]} == dict(taxes)
    assert len(document["total_taxes"]) == len(taxes)
    assert document["total"] == (document["total_excluding_tax"]
                                 + sum(t["amount"] for t in document["total_taxes"]))


def test_money_rules_of_every_invoice(company):
    percentages = {r["id"]: r["percentage"] for r in company["tax_rates"]}
    for invoice in company["invoices"]:
        lines = invoice["lines"]["data"]
        for line in lines:
            assert isinstance(line["amount"], int)
            assert line["subtotal"] == line["amount"]
            unit = int(line["pricing"]["unit_amount_decimal"])
            assert line["amount"] == unit * line["quantity"]
        check_lines(lines, percentages)
        check_totals(invoice, lines, "total_discount_amounts")
        assert invoice["discounts"] == [d["discount"] for d in invoice["total_discount_amounts"]]
        due = max(0, invoice["total"] + invoice["starting_balance"])
        assert invoice["starting_balance"] <= 0
        assert invoice["amount_due"] == due - invoice["pre_payment_credit_notes_amount"]
        if invoice["status"] == "paid":
            assert invoice["amount_paid"] == invoice["amount_due"]
            assert invoice["amount_remaining"] == 0
        elif invoice["status"] in ("open", "uncollectible", "draft"):
            assert invoice["amount_paid"] == 0
            assert invoice["amount_remaining"] == invoice["amount_due"]
        if invoice["starting_balance"] and finalized(invoice):
            assert invoice["ending_balance"] == min(0, invoice["total"]
                                                    + invoice["starting_balance"])


# --- credit notes --------------------------------------------------------------------------

def test_credit_notes(company):
    notes = company["credit_notes"]
    assert 3 <= len(notes) <= 6
    invoices = {i["id"]: i for i in company["invoices"]}
    rates = {r["id"]: r for r in company["tax_rates"]}
    percentages = {r["id"]: r["percentage"] for r in company["tax_rates"]}
    kinds = Counter()
    credited_per_invoice: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for note in notes:
        invoice = invoices[note["invoice"]]
        assert note["number"] == invoice["number"] + "-CN-01"
        assert note["status"] == "issued" and note["voided_at"] is None
        assert note["customer"] == invoice["customer"]
        assert note["type"] == {"paid": "post_payment", "open": "pre_payment"}[invoice["status"]]
        assert paris_month(note["created"]) == MONTH and note["created"] > finalized(invoice)
        if note["type"] == "post_payment":
            assert note["created"] > invoice["status_transitions"]["paid_at"]
        assert note["effective_at"] == note["created"]
        lines = note["lines"]["data"]
        assert note["lines"]["total_count"] == len(lines)
        check_lines(lines, percentages)
        check_totals(note, lines, "discount_amounts")
        assert note["amount"] == note["total"] <= invoice["total"]
        assert note["discount_amount"] == sum(line["discount_amount"] for line in lines)
        invoice_lines = {line["id"]: line for line in invoice["lines"]["data"]}
        for line in lines:
            kinds[line["type"]] += 1
            assert line["discount_amount"] == sum(d["amount"] for d in line["discount_amounts"])
            assert [r["id"] for r in line["tax_rates"]] == [
                t["tax_rate_details"]["tax_rate"] for t in line["taxes"]]
            assert all(r == rates[r["id"]] for r in line["tax_rates"])
            if line["type"] == "custom_line_item":
                assert line["invoice_line_item"] is None
                assert line["unit_amount"] * line["quantity"] == line["amount"] > 0
                continue
            original = invoice_lines[line["invoice_line_item"]]
            assert 0 < line["quantity"] <= original["quantity"]
            assert line["amount"] == original["amount"] // original["quantity"] * line["quantity"]
            taken = credited_per_invoice[original["id"]]
            taken["amount"] += line["amount"]
            taken["discount"] += line["discount_amount"]
            taken["tax"] += sum(t["amount"] for t in line["taxes"])
            assert taken["amount"] <= original["amount"]
            assert taken["discount"] <= sum(d["amount"] for d in original["discount_amounts"])
            assert taken["tax"] <= sum(t["amount"] for t in original["taxes"])
    assert kinds["invoice_line_item"] >= 3 and kinds["custom_line_item"] >= 1
    assert {n["type"] for n in notes} == {"post_payment", "pre_payment"}
    assert any(n["discount_amount"] > 0 for n in notes)
    # The invoices know what was credited on them.
    for invoice in invoices.values():
        on_it = [n for n in notes if n["invoice"] == invoice["id"]]
        assert invoice["post_payment_credit_notes_amount"] == sum(
            n["total"] for n in on_it if n["type"] == "post_payment")
        assert invoice["pre_payment_credit_notes_amount"] == sum(
            n["total"] for n in on_it if n["type"] == "pre_payment")


# --- shapes --------------------------------------------------------------------------------

SHAPES = {  # kind in the build -> (fixture resource, stripe class)
    "tax_rates": ("tax_rate", stripe.TaxRate),
    "products": ("product", stripe.Product),
    "prices": ("price", stripe.Price),
    "coupons": ("coupon", stripe.Coupon),
    "customers": ("customer", stripe.Customer),
    "invoices": ("invoice", stripe.Invoice),
    "credit_notes": ("credit_note", stripe.CreditNote),
}


def check_shape(obj: dict, fixture: dict, stripe_class) -> None:
    """Every key the reference object has; none that the typed class does not list."""
    keys = set(obj)
    assert set(fixture) <= keys, (obj.get("id"), set(fixture) - keys)
    allowed = set(fixture) | set(stripe_class.__annotations__)
    assert keys <= allowed, (obj.get("id"), keys - allowed)


def test_every_object_has_the_reference_shape(company, fixtures):
    for kind, (resource, stripe_class) in SHAPES.items():
        for obj in company[kind]:
            check_shape(obj, fixtures[resource], stripe_class)
            assert obj["object"] == fixtures[resource]["object"]
    for invoice in company["invoices"]:
        for line in invoice["lines"]["data"]:
            check_shape(line, fixtures["line_item"], stripe.InvoiceLineItem)
    for note in company["credit_notes"]:
        for line in note["lines"]["data"]:
            check_shape(line, fixtures["credit_note_line_item"], stripe.CreditNoteLineItem)
            for rate in line["tax_rates"]:
                check_shape(rate, fixtures["tax_rate"], stripe.TaxRate)
    for customer in company["customers"]:
        if customer["discount"]:
            check_shape(customer["discount"], fixtures["discount"], stripe.Discount)


def test_objects_load_into_the_stripe_library(company):
    invoice = stripe.Invoice.construct_from(company["invoices"][0], "sk_test_demo")
    assert invoice.lines.data[0].pricing.price_details.product.startswith("prod_")
    note = stripe.CreditNote.construct_from(company["credit_notes"][0], "sk_test_demo")
    assert note.lines.data[0].object == "credit_note_line_item"


# --- benchmarks ----------------------------------------------------------------------------

def test_scale_invoices(company):
    before = copy.deepcopy(company["invoices"])
    scaled = scale_invoices(company, 5000)
    assert company["invoices"] == before  # the month itself is left untouched
    assert len(scaled) == 5000
    assert scaled[:len(before)] == before
    ids = [i["id"] for i in scaled]
    assert len(set(ids)) == len(ids) and all(i.startswith("in_") for i in ids)
    numbers = [i["number"] for i in scaled if i["number"] is not None]
    assert len(set(numbers)) == len(numbers)
    assert sum(1 for i in scaled if i["status"] == "draft") == 10  # drafts stay unnumbered
    line_ids = [line["id"] for i in scaled for line in i["lines"]["data"]]
    assert len(set(line_ids)) == len(line_ids)
    for invoice in scaled:
        assert invoice["lines"]["url"] == f"/v1/invoices/{invoice['id']}/lines"
        assert all(line["invoice"] == invoice["id"] for line in invoice["lines"]["data"])
    assert len(scale_invoices(company, 100)) == 100


def test_scale_invoices_to_fifty_thousand(company):
    scaled = scale_invoices(company, 50_000)
    assert len(scaled) == 50_000
    assert len({i["id"] for i in scaled}) == 50_000
