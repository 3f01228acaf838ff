"""Stripe objects the sandbox makes or reshapes: ids, the API's view of a document (first
lines only), `expand`, new customers, products and prices, events, and invoice transitions.

Shapes follow API version 2026-10-28.endive: the same keys as the reference objects of
`tests/reference/stripe_fixtures.json` (Stripe's own OpenAPI fixtures).
"""

from __future__ import annotations

import copy
import random
import string
from collections.abc import Callable

from backend.sandbox.stripe_params import API_VERSION, StripeError

EMBEDDED_LINES = 10   # an invoice or credit note shows its first 10 lines; the rest via /lines

_ALPHABET = string.ascii_letters + string.digits


class Ids:
    """Stripe-looking ids (`cus_` + 14 characters, `price_1` + 23...), from a seeded
    generator so that a sandbox run is reproducible."""

    def __init__(self, seed: int = 0) -> None:
        self._rng = random.Random(seed)

    def short(self, prefix: str) -> str:
        return f"{prefix}_{self._chars(14)}"

    def long(self, prefix: str) -> str:
        return f"{prefix}_1{self._chars(23)}"

    def prefix_code(self) -> str:
        """A customer's `invoice_prefix`: 8 upper-case hex digits."""
        return "".join(self._rng.choice("0123456789ABCDEF") for _ in range(8))

    def _chars(self, n: int) -> str:
        return "".join(self._rng.choice(_ALPHABET) for _ in range(n))


# --- what the API shows ------------------------------------------------------------------

def with_first_lines(document: dict) -> dict:
    """An invoice or credit note as the API shows it: at most the first ten lines, `has_more`
    telling the client to fetch the rest from the lines endpoint."""
    lines = document.get("lines")
    if not isinstance(lines, dict) or len(lines.get("data", ())) <= EMBEDDED_LINES:
        return document
    shown = dict(lines, data=lines["data"][:EMBEDDED_LINES], has_more=True)
    if "total_count" in lines:
        shown["total_count"] = len(lines["data"])
    return dict(document, lines=shown)


def expand(obj: dict, paths: list[str], resolve: Callable[[str], dict | None]) -> dict:
    """`obj` with each dotted path's id replaced by the object it names. Copies along the
    paths only: stored objects are shared and never edited."""
    for path in paths:
        obj = _expand(obj, path.split("."), resolve, path)
    return obj


def _expand(node, parts: list[str], resolve, path: str):
    if isinstance(node, list):
        return [_expand(item, parts, resolve, path) for item in node]
    head, rest = parts[0], parts[1:]
    if not isinstance(node, dict) or head not in node:
        raise StripeError(400, f"This property cannot be expanded ({head}).", param="expand")
    value = _resolved(node[head], resolve, path)
    if rest and value is not None:
        value = _expand(value, rest, resolve, path)
    return dict(node, **{head: value})


def _resolved(value, resolve, path: str):
    if isinstance(value, list):
        return [_resolved(item, resolve, path) for item in value]
    if not isinstance(value, str):
        return value   # null, or already an object
    found = resolve(value)
    if found is None:
        # The sandbox holds no object of that kind (a subscription, say): refuse rather than
        # leave an id where the client expects an object.
        raise StripeError(400, f"This property cannot be expanded ({path}): the sandbox has "
                               f"no object {value}.", param="expand")
    return found


# --- new objects ---------------------------------------------------------------------------

def new_customer(object_id: str, created: int, invoice_prefix: str) -> dict:
    return {
        "address": None, "balance": 0, "created": created, "currency": None,
        "default_source": None, "delinquent": False, "description": None, "discount": None,
        "email": None, "id": object_id, "invoice_prefix": invoice_prefix,
        "invoice_settings": {"custom_fields": None, "default_payment_method": None,
                             "footer": None, "rendering_options": None},
        "livemode": False, "metadata": {}, "name": None, "next_invoice_sequence": 1,
        "object": "customer", "phone": None, "preferred_locales": [], "shipping": None,
        "tax_exempt": "none", "test_clock": None,
    }


def new_product(object_id: str, created: int) -> dict:
    return {
        "active": True, "created": created, "default_price": None, "description": None,
        "id": object_id, "images": [], "livemode": False, "marketing_features": [],
        "metadata": {}, "name": None, "object": "product", "package_dimensions": None,
        "shippable": None, "statement_descriptor": None, "tax_code": None, "type": "service",
        "unit_label": None, "updated": created, "url": None,
    }


def new_price(object_id: str, created: int) -> dict:
    return {
        "active": True, "billing_scheme": "per_unit", "created": created, "currency": None,
        "custom_unit_amount": None, "id": object_id, "livemode": False, "lookup_key": None,
        "metadata": {}, "nickname": None, "object": "price", "product": None,
        "recurring": None, "tax_behavior": "unspecified", "tiers_mode": None,
        "transform_quantity": None, "type": "one_time", "unit_amount": None,
        "unit_amount_decimal": None,
    }


def recurring(interval: str, interval_count: int = 1, usage_type: str = "licensed") -> dict:
    return {"interval": interval, "interval_count": interval_count, "meter": None,
            "trial_period_days": None, "usage_type": usage_type}


EVENT_RETENTION_SECONDS = 30 * 24 * 3600   # Stripe lists and serves events of 30 days only


def new_event(object_id: str, event_type: str, obj: dict, created: int,
              previous_attributes: dict | None = None, request_id: str | None = None,
              idempotency_key: str | None = None, api_version: str = API_VERSION) -> dict:
    """`data.object` is a snapshot: a deep copy, so later changes do not rewrite history.
    `obj` is already in `api_version`, the account's version when the event happened."""
    data = {"object": copy.deepcopy(obj)}
    if previous_attributes:
        data["previous_attributes"] = previous_attributes
    return {
        "api_version": api_version, "created": created, "data": data, "id": object_id,
        "livemode": False, "object": "event", "pending_webhooks": 0,
        "request": {"id": request_id, "idempotency_key": idempotency_key}, "type": event_type,
    }


def merge_metadata(current: dict, update) -> dict:
    """Stripe's metadata update: keys are merged, an empty value deletes its key, and an empty
    `metadata` clears them all."""
    if update == "":
        return {}
    if not isinstance(update, dict):
        raise StripeError(400, "Invalid hash: metadata", param="metadata")
    merged = dict(current)
    for key, value in update.items():
        if not isinstance(value, str):
            raise StripeError(400, f"Invalid metadata[{key}]: must be a string",
                              param=f"metadata[{key}]")
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def previous_attributes(old: dict, new: dict) -> dict:
    """What an `*.updated` event reports as changed: the old top-level values, and for
    metadata only the keys that changed (None for a key that was added)."""
    changed = {}
    for key, value in new.items():
        if old.get(key) == value:
            continue
        if key == "metadata":
            keys = set(old["metadata"]) | set(value)
            changed[key] = {k: old["metadata"].get(k) for k in sorted(keys)
                            if old["metadata"].get(k) != value.get(k)}
        else:
            changed[key] = old.get(key)
    return changed


# --- invoice transitions ------------------------------------------------------------------

def finalized(invoice: dict, at: int, number: str, account: str) -> dict:
    """A draft made final: numbered, dated, payable; an invoice with nothing due is paid at
    once, as Stripe does."""
    if invoice["status"] != "draft":
        raise ValueError(f"invoice {invoice['id']} is {invoice['status']}: only a draft can be "
                         f"finalized")
    result = copy.deepcopy(invoice)
    transitions = result["status_transitions"]
    transitions["finalized_at"] = at
    result["number"] = result["number"] or number
    result["effective_at"] = result["effective_at"] or at
    url = f"https://invoice.stripe.com/i/{account}/test_{invoice['id'][3:]}"
    result["hosted_invoice_url"] = result["hosted_invoice_url"] or url
    result["invoice_pdf"] = result["invoice_pdf"] or f"{url}/pdf"
    result["status"] = "open"
    if result["amount_due"] == 0:
        result["status"] = "paid"
        transitions["paid_at"] = at
    return result


def voided(invoice: dict, at: int) -> dict:
    """Only open or uncollectible invoices can be voided; nothing remains due after."""
    if invoice["status"] not in ("open", "uncollectible"):
        raise ValueError(f"invoice {invoice['id']} is {invoice['status']}: only an open or "
                         f"uncollectible invoice can be voided")
    result = copy.deepcopy(invoice)
    result["status"] = "void"
    result["status_transitions"]["voided_at"] = at
    result["amount_remaining"] = 0
    return result


def next_number(invoices: list[dict], customer: dict | None) -> str:
    """Account-wide numbering (`MDC-2026-0042`) continued when invoices already carry numbers;
    else the customer's own sequence (`<invoice_prefix>-0001`)."""
    numbered = [inv["number"] for inv in invoices if inv.get("number")
                and "-" in inv["number"] and inv["number"].rsplit("-", 1)[1].isdigit()]
    if numbered:
        prefix = max(numbered, key=lambda n: int(n.rsplit("-", 1)[1])).rsplit("-", 1)[0]
        tails = [int(n.rsplit("-", 1)[1]) for n in numbered if n.rsplit("-", 1)[0] == prefix]
        return f"{prefix}-{max(tails) + 1:04d}"
    prefix = (customer or {}).get("invoice_prefix") or "SANDBOX"
    sequence = (customer or {}).get("next_invoice_sequence") or 1
    return f"{prefix}-{sequence:04d}"
