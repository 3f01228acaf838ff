"""Stripe objects as an account on an older API version sees them in its events.

Stripe renders an event's `data.object` in the account's default API version at the time of
the event (the event's `api_version`), not in the version the client pins; documents read by
id or listed come in the version the request names (the `stripe` library always sends its
pinned one). The sandbox stores every object in the pinned version (`API_VERSION`) and
converts here when an event is recorded.

Versions: the pinned one (objects as stored) and `2024-06-20`, the version of the `stripe`
package 10.x and the last shapes before `2025-03-31.basil` reorganised invoices. The field
lists come from the typed classes of stripe 10.12.0 (2024-06-20) against the installed
package, and the moves from Stripe's basil changelog:

- invoice line items: `pricing.price_details` replaced `price` (a whole Price object) and
  `plan`; `parent` replaced `type`, `subscription_item`, `invoice_item`, `proration` and
  `proration_details`; `taxes` replaced `tax_amounts` and `tax_rates` (tax rate objects);
- invoices: `total_taxes` replaced `total_tax_amounts` and `tax`; `parent` replaced
  `subscription`, `subscription_details`, `subscription_proration_date` and `quote`;
  payments moved out (`paid`, `paid_out_of_band`, `charge`, `payment_intent`, ...);
- credit notes: `total_taxes` replaced `tax_amounts`, `refunds` replaced `refund`; their
  lines: `taxes` replaced `tax_amounts` (their `tax_rates` stayed);
- fields added since (`customer_account`, `amount_overpaid`, `tax_details`, ...) are absent.

Old fields the sandbox holds no data for are null: `charge` and `payment_intent` (it keeps no
payments), `discount` (no discount objects), `application_fee_amount`, `transfer_data`.
Objects of other kinds (prices, coupons) did not change between the two versions.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import Decimal

from backend.sandbox.stripe_params import API_VERSION

PRE_BASIL = "2024-06-20"
SUPPORTED = (API_VERSION, PRE_BASIL)

Resolve = Callable[[str], "dict | None"]

# Fields of the pinned version that 2024-06-20 does not have, by `object`.
_ADDED_SINCE = {
    "invoice": {"amount_overpaid", "amount_paid_off_stripe", "confirmation_secret",
                "customer_account", "parent", "payments", "status_details",
                "total_pretax_credit_amounts", "total_taxes"},
    "line_item": {"parent", "pretax_credit_amounts", "pricing", "quantity_decimal", "subtotal",
                  "taxes"},
    "credit_note": {"customer_account", "post_payment_amount", "pre_payment_amount",
                    "pretax_credit_amounts", "refunds", "total_taxes"},
    "credit_note_line_item": {"metadata", "pretax_credit_amounts", "taxes"},
    "customer": {"business_name", "customer_account", "individual_name"},
    "product": {"tax_details"},
    "tax_rate": {"flat_amount", "rate_type"},
}
_NEW_AUTOMATIC_TAX = ("disabled_reason", "provider")
_NEW_FINALIZATION_ERROR = ("advice_code", "network_advice_code", "network_decline_code")
_NEW_PAYMENT_METHOD_OPTIONS = ("billie", "blik", "payto", "pix", "upi")


def check(version: str) -> str:
    """`version` if the sandbox can render it, else a ValueError naming those it can."""
    if version not in SUPPORTED:
        raise ValueError(f"the Stripe sandbox renders API versions {', '.join(SUPPORTED)}; "
                         f"not {version!r}")
    return version


def render(obj: dict, version: str, resolve: Resolve) -> dict:
    """`obj` (stored in the pinned version) as `version` shows it: `obj` itself for the
    pinned version, else a new object that shares nothing with it. `resolve` gives the
    stored object an id names (prices and tax rates that old line items embed)."""
    check(version)
    if version == API_VERSION:
        return obj
    return _pre_basil(copy.deepcopy(obj), resolve)


def render_previous(previous: dict | None, kind: str, version: str) -> dict | None:
    """An `*.updated` event's `previous_attributes`, without the fields `version` lacks."""
    if not previous or version == API_VERSION:
        return previous
    return {k: v for k, v in previous.items() if k not in _ADDED_SINCE.get(kind, ())}


# --- 2024-06-20 ----------------------------------------------------------------------------

def _pre_basil(obj: dict, resolve: Resolve) -> dict:
    kind = obj.get("object")
    if kind == "invoice":
        return _invoice(obj, resolve)
    if kind == "credit_note":
        return _credit_note(obj)
    if kind == "line_item":
        return _line_item(obj, resolve)
    if kind == "credit_note_line_item":
        return _credit_note_line(obj)
    return _without_new(obj)


def _without_new(obj: dict) -> dict:
    added = _ADDED_SINCE.get(obj.get("object"), set())
    return {k: v for k, v in obj.items() if k not in added}


def _sorted(obj: dict) -> dict:
    return dict(sorted(obj.items()))   # Stripe sends fields in alphabetical order


def _invoice(invoice: dict, resolve: Resolve) -> dict:
    parent = invoice.get("parent") or {}
    subscription = parent.get("subscription_details") or {}
    taxes = _rate_taxes(invoice.get("total_taxes"))
    out = _without_new(invoice)
    out.update(
        application_fee_amount=None, charge=None, payment_intent=None, transfer_data=None,
        discount=None,
        paid=invoice.get("status") == "paid",
        paid_out_of_band=bool(invoice.get("amount_paid_off_stripe")),
        quote=(parent.get("quote_details") or {}).get("quote"),
        subscription=subscription.get("subscription"),
        subscription_details=({"metadata": subscription.get("metadata") or {}}
                              if subscription else None),
        subscription_proration_date=subscription.get("subscription_proration_date"),
        tax=sum(t["amount"] for t in taxes) if taxes else None,
        total_tax_amounts=[_tax_amount(t) for t in taxes],
    )
    out["automatic_tax"] = _without_keys(invoice.get("automatic_tax"), _NEW_AUTOMATIC_TAX)
    out["last_finalization_error"] = _without_keys(invoice.get("last_finalization_error"),
                                                   _NEW_FINALIZATION_ERROR)
    settings = invoice.get("payment_settings")
    if isinstance(settings, dict) and isinstance(settings.get("payment_method_options"), dict):
        out["payment_settings"] = dict(settings, payment_method_options=_without_keys(
            settings["payment_method_options"], _NEW_PAYMENT_METHOD_OPTIONS))
    out["lines"] = _list(invoice.get("lines"), lambda line: _line_item(line, resolve))
    return _sorted(out)


def _line_item(line: dict, resolve: Resolve) -> dict:
    parent = line.get("parent") or {}
    details = parent.get(parent.get("type") or "") or {}
    from_subscription = parent.get("type") == "subscription_item_details"
    price_details = (line.get("pricing") or {}).get("price_details") or {}
    price = _price(price_details, resolve)
    taxes = _rate_taxes(line.get("taxes"))
    excluding_tax = line["amount"] - sum(t["amount"] for t in taxes
                                         if t.get("tax_behavior") == "inclusive")
    out = _without_new(line)
    out.update(
        amount_excluding_tax=excluding_tax,
        invoice_item=details.get("invoice_item"),
        plan=_plan(price) if from_subscription and price and price.get("recurring") else None,
        price=price,
        proration=bool(details.get("proration")),
        proration_details=details.get("proration_details"),
        subscription_item=details.get("subscription_item"),
        tax_amounts=[_tax_amount(t) for t in taxes],
        tax_rates=[rate for rate in (_tax_rate(t, resolve) for t in taxes) if rate],
        type="subscription" if from_subscription else "invoiceitem",
        unit_amount_excluding_tax=_per_unit(excluding_tax, line.get("quantity")),
    )
    return _sorted(out)


def _credit_note(note: dict) -> dict:
    refunds = note.get("refunds") or []
    out = _without_new(note)
    out.update(refund=refunds[0].get("refund") if refunds else None,
               tax_amounts=[_tax_amount(t) for t in _rate_taxes(note.get("total_taxes"))])
    out["lines"] = _list(note.get("lines"), _credit_note_line)
    return _sorted(out)


def _credit_note_line(line: dict) -> dict:
    taxes = _rate_taxes(line.get("taxes"))
    excluding_tax = line["amount"] - sum(t["amount"] for t in taxes
                                         if t.get("tax_behavior") == "inclusive")
    out = _without_new(line)
    out.update(amount_excluding_tax=excluding_tax,
               tax_amounts=[_tax_amount(t) for t in taxes],
               tax_rates=[_without_new(r) if isinstance(r, dict) else r
                          for r in line.get("tax_rates") or []],
               unit_amount_excluding_tax=_per_unit(excluding_tax, line.get("quantity")))
    return _sorted(out)


# --- pieces -------------------------------------------------------------------------------

def _list(listing, convert) -> dict:
    if not isinstance(listing, dict):
        return listing
    return dict(listing, data=[convert(item) for item in listing.get("data") or []])


def _without_keys(value, keys: tuple[str, ...]):
    if not isinstance(value, dict):
        return value
    return {k: v for k, v in value.items() if k not in keys}


def _rate_taxes(taxes) -> list[dict]:
    """The taxes that come from tax rates: the only kind 2024-06-20 could show."""
    return [t for t in taxes or [] if isinstance(t, dict) and t.get("type") == "tax_rate_details"]


def _tax_amount(tax: dict) -> dict:
    """A basil `taxes` item as a 2024-06-20 `tax_amounts` item."""
    return {"amount": tax["amount"], "inclusive": tax.get("tax_behavior") == "inclusive",
            "tax_rate": (tax.get("tax_rate_details") or {}).get("tax_rate"),
            "taxability_reason": tax.get("taxability_reason"),
            "taxable_amount": tax.get("taxable_amount")}


def _tax_rate(tax: dict, resolve: Resolve) -> dict | None:
    rate_id = (tax.get("tax_rate_details") or {}).get("tax_rate")
    rate = resolve(rate_id) if isinstance(rate_id, str) else None
    return _without_new(rate) if rate else None


def _price(details: dict, resolve: Resolve) -> dict | None:
    """The whole Price a 2024-06-20 line embeds (its `product` an id)."""
    price_id = details.get("price")
    if isinstance(price_id, dict):   # already expanded
        return price_id
    if not isinstance(price_id, str):
        return None
    price = resolve(price_id)
    if price is None:   # a price the sandbox does not hold: what the line says of it
        return {"id": price_id, "object": "price", "product": details.get("product")}
    return copy.deepcopy(price)


def _plan(price: dict) -> dict:
    """The Plan view of a recurring price, as old subscription lines carried it."""
    recurring = price.get("recurring") or {}
    return {
        "active": price.get("active"), "aggregate_usage": None,
        "amount": price.get("unit_amount"), "amount_decimal": price.get("unit_amount_decimal"),
        "billing_scheme": price.get("billing_scheme"), "created": price.get("created"),
        "currency": price.get("currency"), "id": price.get("id"),
        "interval": recurring.get("interval"), "interval_count": recurring.get("interval_count"),
        "livemode": price.get("livemode", False), "metadata": price.get("metadata") or {},
        "meter": recurring.get("meter"), "nickname": price.get("nickname"), "object": "plan",
        "product": price.get("product"), "tiers_mode": price.get("tiers_mode"),
        "transform_usage": price.get("transform_quantity"),
        "trial_period_days": recurring.get("trial_period_days"),
        "usage_type": recurring.get("usage_type"),
    }


def _per_unit(amount: int, quantity) -> str | None:
    """A decimal string in cents, at most 12 decimal places, as Stripe writes them."""
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        return None
    value = (Decimal(amount) / quantity).quantize(Decimal("1e-12")).normalize()
    return format(value, "f")
