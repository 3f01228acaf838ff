"""Stripe objects for tests, in the current API shapes, with totals that add up as Stripe's do.

Only the fields the core reads, plus the ones that make a document recognisable.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def ts(text: str, zone=PARIS) -> int:
    """'2026-10-05 10:00' in Paris (or `zone`) -> Unix timestamp."""
    return int(datetime.fromisoformat(text).replace(tzinfo=zone).timestamp())


def half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def tax_rate(rate_id: str, percentage, inclusive: bool = False) -> dict:
    return {"object": "tax_rate", "id": rate_id, "percentage": percentage, "inclusive": inclusive,
            "country": "FR", "tax_type": "vat", "active": True, "display_name": "TVA"}


def product(product_id: str, name: str, code: str | None = "706100",
            sections=("BUREAUX", "LYON", "ABONNEMENT")) -> dict:
    metadata = {}
    if code:
        metadata["accounting_code"] = code
    for i, section in enumerate(sections or (), start=1):
        metadata[f"analytic_axis_{i}"] = section
    return {"object": "product", "id": product_id, "name": name, "active": True,
            "metadata": metadata}


def customer(customer_id: str, name: str, code: str | None = None, created: int = 1) -> dict:
    metadata = {"accounting_code": code} if code else {}
    return {"object": "customer", "id": customer_id, "name": name, "email": None,
            "created": created, "currency": "eur", "balance": 0, "metadata": metadata}


def tax_entry(amount: int, rate_id: str, taxable: int, behavior: str = "exclusive") -> dict:
    return {"amount": amount, "tax_behavior": behavior, "tax_rate_details": {"tax_rate": rate_id},
            "taxability_reason": "standard_rated", "taxable_amount": taxable,
            "type": "tax_rate_details"}


def line(line_id: str, product_id: str, amount: int, rate=("txr_20", 20), discount: int = 0,
         inclusive: bool = False, invoice: str | None = None) -> dict:
    """An invoice line; its tax is computed as Stripe does, on the amount after discount."""
    taxes = []
    if rate:
        rate_id, pct = rate
        taxable = amount - discount
        pct = Decimal(str(pct))
        if inclusive:
            tax = taxable - half_up(Decimal(taxable) * 100 / (100 + pct))
            taxes.append(tax_entry(tax, rate_id, taxable - tax, "inclusive"))
        else:
            taxes.append(tax_entry(half_up(Decimal(taxable) * pct / 100), rate_id, taxable))
    return {"object": "line_item", "id": line_id, "invoice": invoice, "amount": amount,
            "subtotal": amount, "currency": "eur", "quantity": 1,
            "description": f"ligne {line_id}",
            "discount_amounts": [{"amount": discount, "discount": "di_test"}] if discount else [],
            "discounts": ["di_test"] if discount else [],
            "pricing": {"type": "price_details", "unit_amount_decimal": str(amount),
                        "price_details": {"price": f"price_{product_id}", "product": product_id}},
            "taxes": taxes}


def total_taxes(lines: list[dict]) -> list[dict]:
    by_rate: dict[tuple, dict] = {}
    for item in lines:
        for tax in item.get("taxes") or []:
            key = (tax["tax_rate_details"]["tax_rate"], tax["tax_behavior"])
            agg = by_rate.setdefault(key, tax_entry(0, key[0], 0, key[1]))
            agg["amount"] += tax["amount"]
            agg["taxable_amount"] += tax["taxable_amount"]
    return list(by_rate.values())


def invoice(invoice_id: str, number: str | None, customer_id: str, lines: list[dict],
            status: str = "paid", finalized: str | None = "2026-10-05 10:00",
            created: str | None = None, currency: str = "eur", starting_balance: int = 0,
            voided: str | None = None) -> dict:
    for item in lines:
        item["invoice"] = invoice_id
    subtotal = sum(item["amount"] for item in lines)
    discounts = sum(d["amount"] for item in lines for d in item["discount_amounts"])
    taxes = total_taxes(lines)
    exclusive = sum(t["amount"] for t in taxes if t["tax_behavior"] == "exclusive")
    total = subtotal - discounts + exclusive
    finalized_at = ts(finalized) if finalized and status != "draft" else None
    created_at = ts(created) if created else (finalized_at or ts("2026-10-01 09:00"))
    amount_due = max(0, total + starting_balance)
    return {
        "object": "invoice", "id": invoice_id, "number": number, "status": status,
        "currency": currency, "customer": customer_id, "created": created_at,
        "effective_at": finalized_at, "subtotal": subtotal, "total": total,
        "total_excluding_tax": subtotal - discounts, "total_taxes": taxes,
        "total_discount_amounts": ([{"amount": discounts, "discount": "di_test"}]
                                   if discounts else []),
        "starting_balance": starting_balance, "ending_balance": min(0, total + starting_balance)
        if finalized_at else None,
        "amount_due": amount_due, "amount_paid": amount_due if status == "paid" else 0,
        "amount_remaining": 0 if status == "paid" else amount_due,
        "status_transitions": {"finalized_at": finalized_at, "paid_at": None,
                               "marked_uncollectible_at": None,
                               "voided_at": ts(voided) if voided else None},
        "lines": {"object": "list", "data": lines, "has_more": False,
                  "url": f"/v1/invoices/{invoice_id}/lines"},
    }


def credit_note(note_id: str, number: str, invoice_obj: dict, lines: list[dict],
                created: str = "2026-10-20 15:00", status: str = "issued",
                voided: str | None = None) -> dict:
    """`lines`: credit note lines made with `credit_line` or `custom_line`."""
    subtotal = sum(item["amount"] for item in lines)
    discounts = sum(item["discount_amount"] for item in lines)
    taxes = total_taxes(lines)
    exclusive = sum(t["amount"] for t in taxes if t["tax_behavior"] == "exclusive")
    total = subtotal - discounts + exclusive
    return {"object": "credit_note", "id": note_id, "number": number, "status": status,
            "currency": "eur", "customer": invoice_obj["customer"], "invoice": invoice_obj["id"],
            "created": ts(created), "effective_at": ts(created), "subtotal": subtotal,
            "total": total, "amount": total, "total_taxes": taxes,
            "discount_amount": discounts, "type": "post_payment",
            "voided_at": ts(voided) if voided else None,
            "lines": {"object": "list", "data": lines, "has_more": False,
                      "url": f"/v1/credit_notes/{note_id}/lines"}}


def credit_line(line_id: str, invoice_line: dict, amount: int, rate=("txr_20", 20)) -> dict:
    base = line(line_id, "unused", amount, rate)
    return {"object": "credit_note_line_item", "id": line_id, "type": "invoice_line_item",
            "invoice_line_item": invoice_line["id"], "amount": amount, "discount_amount": 0,
            "discount_amounts": [], "quantity": 1, "taxes": base["taxes"], "tax_rates": [],
            "description": invoice_line["description"]}


def custom_line(line_id: str, amount: int, rate=("txr_20", 20)) -> dict:
    item = credit_line(line_id, {"id": None, "description": "Geste commercial"}, amount, rate)
    item.update(type="custom_line_item", invoice_line_item=None)
    return item


def standard_catalog() -> list[dict]:
    """Tax rates, products and customers most tests share."""
    return [
        tax_rate("txr_20", 20), tax_rate("txr_10", 10), tax_rate("txr_55", 5.5),
        tax_rate("txr_20i", 20, inclusive=True),
        product("prod_bureau", "Bureau privatif", "706100", ("BUREAUX", "LYON", "ABONNEMENT")),
        product("prod_salle", "Salle de réunion", "706200", ("SALLES", "LYON", "PONCTUEL")),
        product("prod_cafe", "Pack café", "706300", ("RESTAURATION", "LYON", "PONCTUEL")),
        product("prod_impr", "Impressions", "707100", ("SERVICES", "LYON", "PONCTUEL")),
        product("prod_casier", "Casier sécurisé", None, ("BUREAUX", "LYON", "ABONNEMENT")),
        customer("cus_simplon", "Simplon", "411SIMPL"),
        customer("cus_dupont", "Élodie Dupont", "411DUPON"),
    ]
