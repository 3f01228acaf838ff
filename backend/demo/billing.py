"""Invoices and credit notes: their amounts by Stripe's rules and their API shapes.

All amounts are integer cents. The rules, which the accounting core relies on:
- a line's `amount` (= `subtotal`) is quantity × unit amount, VAT excluded (prices are
  tax-exclusive);
- invoice-level discounts are spread over the discountable positive lines and listed in each
  line's `discount_amounts`;
- a line's VAT is computed on its amount minus its discounts, rounded half away from zero;
- the document's totals are the sums of its lines: `total` = `subtotal` − discounts + VAT.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from backend.demo.catalog import Catalog
from backend.demo.common import DAY


# --- money rules -------------------------------------------------------------------------

def percent_tenths(tax_rate: dict) -> int:
    """The rate in tenths of a percent (20 % -> 200, 5.5 % -> 55): integer arithmetic only."""
    return round(tax_rate["percentage"] * 10)


def tax_amount(taxable: int, tenths: int) -> int:
    """VAT on `taxable` cents at `tenths`/10 %, rounded half away from zero (so that a
    credit line's VAT is exactly the opposite of the same debit line's)."""
    magnitude = (abs(taxable) * tenths + 500) // 1000
    return magnitude if taxable >= 0 else -magnitude


def _prorate(total: int, weights: list[int]) -> list[int]:
    """`total` split in proportion to `weights` (largest remainders get the spare cents).
    Each share is at most its weight when `total` <= sum(weights)."""
    whole = sum(weights)
    if whole == 0:
        return [0] * len(weights)
    shares = [total * w // whole for w in weights]
    spare = total - sum(shares)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in by_remainder[:spare]:
        shares[i] += 1
    return shares


def allocate_discounts(amounts: list[int], discountable: list[bool],
                       discounts: list[tuple[str, dict]]) -> list[list[tuple[str, int]]]:
    """Per line, the (discount id, amount) pairs of the invoice's discounts, applied in order.

    A percentage coupon takes its share of what is left of each line; an amount-off coupon is
    spread in proportion to what is left, never more than the lines hold. Negative lines
    (proration credits) are never discounted.
    """
    left = [a if (ok and a > 0) else 0 for a, ok in zip(amounts, discountable)]
    per_line: list[list[tuple[str, int]]] = [[] for _ in amounts]
    for discount_id, coupon in discounts:
        if coupon["percent_off"] is not None:
            hundredths = round(coupon["percent_off"] * 100)
            shares = [(rest * hundredths + 5000) // 10000 for rest in left]
        else:
            shares = _prorate(min(coupon["amount_off"], sum(left)), left)
        for i, share in enumerate(shares):
            if share:
                per_line[i].append((discount_id, share))
                left[i] -= share
    return per_line


def _tax_entry(amount: int, taxable: int, tax_rate_id: str) -> dict:
    return {"amount": amount, "tax_behavior": "exclusive",
            "tax_rate_details": {"tax_rate": tax_rate_id},
            "taxability_reason": "standard_rated", "taxable_amount": taxable,
            "type": "tax_rate_details"}


def _line_taxes(amount: int, discounts: list[tuple[str, int]], tax_rate: dict) -> list[dict]:
    taxable = amount - sum(share for _, share in discounts)
    return [_tax_entry(tax_amount(taxable, percent_tenths(tax_rate)), taxable, tax_rate["id"])]


def _discount_amounts(discounts: list[tuple[str, int]]) -> list[dict]:
    return [{"amount": share, "discount": discount_id} for discount_id, share in discounts]


def _pretax_credits(discounts: list[tuple[str, int]]) -> list[dict]:
    # Stripe lists discounts again among the pre-tax credits; the entries use discount_amounts.
    return [{"amount": share, "credit_balance_transaction": None, "discount": discount_id,
             "type": "discount"} for discount_id, share in discounts]


def summarize(lines: list[dict]) -> dict:
    """A document's totals from its lines: discounts and VAT aggregated per discount and per
    tax rate, in the order they first appear."""
    discounts: dict[str, int] = {}
    taxes: dict[str, list[int]] = {}
    for line in lines:
        for entry in line["discount_amounts"]:
            discounts[entry["discount"]] = discounts.get(entry["discount"], 0) + entry["amount"]
        for tax in line["taxes"]:
            summed = taxes.setdefault(tax["tax_rate_details"]["tax_rate"], [0, 0])
            summed[0] += tax["amount"]
            summed[1] += tax["taxable_amount"]
    subtotal = sum(line["amount"] for line in lines)
    excluding_tax = subtotal - sum(discounts.values())
    return {
        "subtotal": subtotal,
        "discounts": list(discounts.items()),
        "total_excluding_tax": excluding_tax,
        "total_taxes": [_tax_entry(amount, taxable, rate)
                        for rate, (amount, taxable) in taxes.items()],
        "total": excluding_tax + sum(amount for amount, _ in taxes.values()),
    }


# --- invoices ----------------------------------------------------------------------------

@dataclass
class LineSpec:
    """One invoice line before its amounts are worked out."""

    id: str                           # il_..., known early so a proration can point at it
    offer: str                        # catalog offer key
    quantity: int
    description: str
    period: tuple[int, int]
    parent: dict
    subscription: str | None = None
    unit_amount: int | None = None    # None: the price's; proration lines carry their own
    discountable: bool = True


@dataclass
class InvoicePlan:
    """What happened to one invoice; `render_invoice` turns it into Stripe's object."""

    id: str
    customer: dict
    billing_reason: str
    collection_method: str            # "charge_automatically" or "send_invoice"
    created: int
    lines: list[LineSpec]
    finalized_at: int | None = None   # None: still a draft
    paid_at: int | None = None
    voided_at: int | None = None
    marked_uncollectible_at: int | None = None
    attempt_count: int = 0
    discounts: list[tuple[str, dict]] = field(default_factory=list)  # (discount id, coupon)
    starting_balance: int = 0         # negative: customer credit applied to this invoice
    subscription: str | None = None
    proration_date: int | None = None
    description: str | None = None
    period: tuple[int, int] | None = None  # None: (created, created), as for one-off invoices

    @property
    def status(self) -> str:
        if self.finalized_at is None:
            return "draft"
        if self.voided_at is not None:
            return "void"
        if self.marked_uncollectible_at is not None:
            return "uncollectible"
        return "paid" if self.paid_at is not None else "open"


def item_parent(invoice_item: str) -> dict:
    """`parent` of a one-off line (an invoice item)."""
    return {"invoice_item_details": {"invoice_item": invoice_item, "proration": False,
                                     "proration_details": {"credited_items": None},
                                     "subscription": None},
            "subscription_item_details": None, "type": "invoice_item_details"}


def subscription_parent(subscription: str, subscription_item: str, *,
                        invoice_item: str | None = None,
                        credited: tuple[str, str] | None = None) -> dict:
    """`parent` of a subscription line; proration lines are invoice items too, and a
    proration credit names the (invoice, line) it gives back."""
    credited_items = None
    if credited:
        credited_items = {"invoice": credited[0], "invoice_line_items": [credited[1]]}
    return {"invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": invoice_item, "proration": invoice_item is not None,
                "proration_details": {"credited_items": credited_items},
                "subscription": subscription, "subscription_item": subscription_item},
            "type": "subscription_item_details"}


def build_lines(plan: InvoicePlan, catalog: Catalog) -> list[dict]:
    units = [spec.unit_amount if spec.unit_amount is not None
             else catalog.prices[spec.offer]["unit_amount"] for spec in plan.lines]
    amounts = [unit * spec.quantity for unit, spec in zip(units, plan.lines)]
    discounts = allocate_discounts(amounts, [s.discountable for s in plan.lines],
                                   plan.discounts)
    lines = []
    for spec, unit, amount, line_discounts in zip(plan.lines, units, amounts, discounts):
        price = catalog.prices[spec.offer]
        tax_rate = catalog.tax_rates[catalog.offers[spec.offer].vat]
        lines.append({
            "amount": amount, "currency": "eur", "description": spec.description,
            "discount_amounts": _discount_amounts(line_discounts),
            "discountable": spec.discountable,
            "discounts": [],  # line-level discounts only; ours are invoice-level
            "id": spec.id, "invoice": plan.id, "livemode": False, "metadata": {},
            "object": "line_item", "parent": spec.parent,
            "period": {"end": spec.period[1], "start": spec.period[0]},
            "pretax_credit_amounts": _pretax_credits(line_discounts),
            "pricing": {"price_details": {"price": price["id"], "product": price["product"]},
                        "type": "price_details", "unit_amount_decimal": str(unit)},
            "quantity": spec.quantity, "quantity_decimal": str(spec.quantity),
            "subscription": spec.subscription, "subtotal": amount,
            "taxes": _line_taxes(amount, line_discounts, tax_rate),
        })
    return lines


def render_invoice(plan: InvoicePlan, catalog: Catalog, account: dict) -> dict:
    """The invoice as the API returns it (lines embedded), without its number: numbers are
    handed out afterwards, in the order of finalization."""
    lines = build_lines(plan, catalog)
    sums = summarize(lines)
    total = sums["total"]
    status = plan.status
    finalized = plan.finalized_at
    # A negative starting balance is customer credit: it lowers what is due, down to zero,
    # and what it does not use stays on the customer's balance.
    applied = total + plan.starting_balance
    amount_due = max(0, applied)
    amount_paid = amount_due if status == "paid" else 0
    amount_remaining = amount_due if status in ("draft", "open", "uncollectible") else 0
    if finalized is None:
        ending_balance = None  # a draft has not touched the customer's balance yet
    else:
        ending_balance = min(0, applied) if plan.starting_balance else 0
    customer = plan.customer
    period = plan.period or (plan.created, plan.created)
    hosted = None if finalized is None else (
        f"https://invoice.stripe.com/i/acct_1Q{account['tag']}/test_{plan.id[3:]}")
    return {
        "account_country": "FR", "account_name": account["name"], "account_tax_ids": None,
        "amount_due": amount_due, "amount_overpaid": 0, "amount_paid": amount_paid,
        "amount_remaining": amount_remaining, "amount_shipping": 0, "application": None,
        "attempt_count": plan.attempt_count, "attempted": plan.attempt_count > 0,
        "auto_advance": status == "open",  # Stripe still retries or sends reminders
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None,
                          "provider": None, "status": None},
        "automatically_finalizes_at": None,
        "billing_reason": plan.billing_reason, "collection_method": plan.collection_method,
        "created": plan.created, "currency": "eur", "custom_fields": None,
        "customer": customer["id"], "customer_account": None,
        "customer_address": dict(customer["address"]), "customer_email": customer["email"],
        "customer_name": customer["name"], "customer_phone": customer["phone"],
        "customer_shipping": None, "customer_tax_exempt": "none", "customer_tax_ids": [],
        "default_payment_method": None, "default_source": None, "default_tax_rates": [],
        "description": plan.description,
        "discounts": [discount_id for discount_id, _ in plan.discounts],
        "due_date": ((finalized or plan.created) + 30 * DAY
                     if plan.collection_method == "send_invoice" else None),
        "effective_at": finalized, "ending_balance": ending_balance,
        "footer": account["footer"], "from_invoice": None,
        "hosted_invoice_url": hosted, "id": plan.id,
        "invoice_pdf": None if hosted is None else hosted + "/pdf",
        "issuer": {"type": "self"}, "last_finalization_error": None, "latest_revision": None,
        "lines": {"data": lines, "has_more": False, "object": "list",
                  "total_count": len(lines), "url": f"/v1/invoices/{plan.id}/lines"},
        "livemode": False, "metadata": {},
        "next_payment_attempt": (finalized + 3 * DAY if status == "open" and
                                 plan.collection_method == "charge_automatically" else None),
        "number": None, "object": "invoice", "on_behalf_of": None,
        "parent": None if plan.subscription is None else {
            "quote_details": None,
            "subscription_details": {"metadata": {}, "subscription": plan.subscription,
                                     "subscription_proration_date": plan.proration_date},
            "type": "subscription_details"},
        "payment_settings": {"default_mandate": None, "payment_method_options": None,
                             "payment_method_types": None},
        "period_end": period[1], "period_start": period[0],
        "post_payment_credit_notes_amount": 0, "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": {"amount_tax_display": None, "pdf": {"page_size": "auto"},
                      "template": None, "template_version": None},
        "shipping_cost": None, "shipping_details": None,
        "starting_balance": plan.starting_balance, "statement_descriptor": None,
        "status": status,
        "status_transitions": {"finalized_at": finalized,
                               "marked_uncollectible_at": plan.marked_uncollectible_at,
                               "paid_at": plan.paid_at, "voided_at": plan.voided_at},
        # Kept by the API next to parent.subscription_details for older integrations.
        "subscription": plan.subscription,
        "subtotal": sums["subtotal"], "subtotal_excluding_tax": sums["subtotal"],
        "test_clock": None, "total": total,
        "total_discount_amounts": _discount_amounts(sums["discounts"]),
        "total_excluding_tax": sums["total_excluding_tax"],
        "total_pretax_credit_amounts": _pretax_credits(sums["discounts"]),
        "total_taxes": sums["total_taxes"],
        "webhooks_delivered_at": plan.created + 2,
    }


# --- credit notes ------------------------------------------------------------------------

def credit_invoice_line(line: dict, quantity: int, tax_rate: dict, line_id: str) -> dict:
    """A credit-note line giving back `quantity` units of an invoice line: its share of the
    line's discounts, and VAT recomputed on what is credited (never more than the line had)."""
    unit = line["amount"] // line["quantity"]
    discounts = [(entry["discount"],
                  (entry["amount"] * quantity * 2 + line["quantity"]) // (2 * line["quantity"]))
                 for entry in line["discount_amounts"]]
    return _credit_line(line_id, "invoice_line_item", line["description"], quantity,
                        unit * quantity, discounts, tax_rate, invoice_line_item=line["id"])


def custom_credit_line(description: str, amount: int, tax_rate: dict, line_id: str) -> dict:
    """A credit-note line that credits no invoice line (a goodwill gesture)."""
    line = _credit_line(line_id, "custom_line_item", description, 1, amount, [], tax_rate)
    line["unit_amount"] = amount
    line["unit_amount_decimal"] = str(amount)
    return line


def _credit_line(line_id: str, kind: str, description: str, quantity: int, amount: int,
                 discounts: list[tuple[str, int]], tax_rate: dict,
                 invoice_line_item: str | None = None) -> dict:
    return {
        "amount": amount, "description": description,
        "discount_amount": sum(share for _, share in discounts),
        "discount_amounts": _discount_amounts(discounts), "id": line_id,
        "invoice_line_item": invoice_line_item, "livemode": False, "metadata": {},
        "object": "credit_note_line_item", "pretax_credit_amounts": _pretax_credits(discounts),
        "quantity": quantity, "tax_rates": [dict(tax_rate)],
        "taxes": _line_taxes(amount, discounts, tax_rate), "type": kind,
        # Stripe fills the unit amount of custom lines only.
        "unit_amount": None, "unit_amount_decimal": None,
    }


def render_credit_note(credit_note_id: str, invoice: dict, lines: list[dict], created: int,
                       reason: str | None, memo: str, refund_id: str | None,
                       balance_transaction_id: str | None) -> dict:
    """A credit note on `invoice`: pre-payment if the invoice is still open (it lowers what
    is due), post-payment once paid (refunded, or credited to the customer's balance)."""
    sums = summarize(lines)
    total = sums["total"]
    post_payment = invoice["status"] == "paid"
    refunds = []
    if post_payment and refund_id:
        refunds = [{"amount_refunded": total, "payment_record_refund": None,
                    "refund": refund_id, "type": "refund"}]
    return {
        "amount": total, "amount_shipping": 0, "created": created, "currency": "eur",
        "customer": invoice["customer"], "customer_account": None,
        "customer_balance_transaction": balance_transaction_id if post_payment else None,
        "discount_amount": sum(amount for _, amount in sums["discounts"]),
        "discount_amounts": _discount_amounts(sums["discounts"]),
        "effective_at": created, "id": credit_note_id, "invoice": invoice["id"],
        "lines": {"data": lines, "has_more": False, "object": "list",
                  "total_count": len(lines), "url": f"/v1/credit_notes/{credit_note_id}/lines"},
        "livemode": False, "memo": memo, "metadata": {},
        "number": f"{invoice['number']}-CN-01", "object": "credit_note",
        "out_of_band_amount": None,
        "pdf": f"https://pay.stripe.com/credit_notes/{credit_note_id}/pdf",
        "post_payment_amount": total if post_payment else 0,
        "pre_payment_amount": 0 if post_payment else total,
        "pretax_credit_amounts": _pretax_credits(sums["discounts"]),
        "reason": reason, "refunds": refunds, "shipping_cost": None, "status": "issued",
        "subtotal": sums["subtotal"], "subtotal_excluding_tax": sums["subtotal"],
        "total": total, "total_excluding_tax": sums["total_excluding_tax"],
        "total_taxes": sums["total_taxes"],
        "type": "post_payment" if post_payment else "pre_payment", "voided_at": None,
    }


def apply_credit_note(invoice: dict, credit_note: dict) -> None:
    """What a credit note changes on its invoice: a pre-payment one lowers what is due."""
    if credit_note["type"] == "post_payment":
        invoice["post_payment_credit_notes_amount"] += credit_note["total"]
        return
    invoice["pre_payment_credit_notes_amount"] += credit_note["total"]
    invoice["amount_due"] -= credit_note["total"]
    invoice["amount_remaining"] -= credit_note["total"]
