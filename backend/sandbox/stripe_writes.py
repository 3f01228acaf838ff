"""The writes the sandbox accepts: customers, products and prices, created and updated.

Each function takes the parsed params and returns the new object (stored objects are never
edited in place); the service stores it and records the event. Each kind lists the fields it
accepts with their coercer; anything else is refused with Stripe's "unknown parameter" error.
Stripe's input limits (lengths, e-mail, metadata, amounts, intervals) are in `stripe_limits`.
"""

from __future__ import annotations

from backend.sandbox import stripe_limits as limits
from backend.sandbox import stripe_params as p
from backend.sandbox.stripe_objects import (merge_metadata, new_customer, new_price,
                                            new_product, recurring)
from backend.sandbox.stripe_params import StripeError, missing

_ADDRESS_KEYS = ("city", "country", "line1", "line2", "postal_code", "state")
_ADDRESS_PART = 5000


def _address(value, param: str) -> dict | None:
    given = p.hash_(value, param)
    if given is None:
        return None
    for key in given:
        if key not in _ADDRESS_KEYS:
            raise p.unknown(f"{param}[{key}]")
    return {key: limits.text(_ADDRESS_PART)(given.get(key, ""), f"{param}[{key}]")
            for key in _ADDRESS_KEYS}


def _shipping(value, param: str) -> dict | None:
    given = p.hash_(value, param)
    if given is None:
        return None
    return {"address": _address(given.get("address", ""), f"{param}[address]"),
            "name": limits.required_text(5000)(given.get("name"), f"{param}[name]"),
            "phone": limits.text(20)(given.get("phone", ""), f"{param}[phone]")}


CUSTOMER_FIELDS = {
    "address": _address, "balance": p.integer, "description": limits.text(5000),
    "email": limits.email, "invoice_prefix": p.required_text, "name": limits.text(256),
    "next_invoice_sequence": p.integer, "phone": limits.text(20),
    "preferred_locales": p.strings, "shipping": _shipping,
    "tax_exempt": p.choice("none", "exempt", "reverse"),
}

PRODUCT_FIELDS = {
    "active": p.boolean, "description": limits.text(40000), "images": p.strings,
    "name": limits.required_text(5000), "shippable": p.boolean,
    "statement_descriptor": limits.text(22), "tax_code": p.text,
    "unit_label": limits.text(12), "url": limits.text(5000),
}

PRICE_UPDATE_FIELDS = {
    "active": p.boolean, "lookup_key": limits.text(200), "nickname": limits.text(5000),
    "tax_behavior": p.choice("inclusive", "exclusive", "unspecified"),
}
# What a product's first price (`default_price_data`) may say.
DEFAULT_PRICE_FIELDS = ("currency", "metadata", "recurring", "tax_behavior", "unit_amount",
                        "unit_amount_decimal")

_ALWAYS = ("expand", "metadata")


def apply(obj: dict, params: dict, fields: dict, extra=()) -> dict:
    """A copy of `obj` with the given fields set (metadata merged); refuses unknown ones."""
    p.reject_unknown(params, {*fields, *_ALWAYS, *extra})
    result = dict(obj)
    for name, coerce in fields.items():
        if name in params:
            result[name] = coerce(params[name], name)
    if "metadata" in params:
        limits.check_metadata(params["metadata"])
        result["metadata"] = merge_metadata(obj["metadata"], params["metadata"])
        limits.check_metadata_count(result["metadata"])
    return result


# --- customers ---------------------------------------------------------------------------

def create_customer(params: dict, object_id: str, now: int, invoice_prefix: str) -> dict:
    return apply(new_customer(object_id, now, invoice_prefix), params, CUSTOMER_FIELDS)


def update_customer(customer: dict, params: dict) -> dict:
    return apply(customer, params, CUSTOMER_FIELDS)


# --- products ----------------------------------------------------------------------------

def create_product(params: dict, object_id: str, now: int) -> dict:
    if "name" not in params:
        raise StripeError(400, "Missing required param: name.", code="parameter_missing",
                          param="name")
    fields = dict(PRODUCT_FIELDS, type=p.choice("good", "service"))
    # `id` and `default_price_data` are read by the service (custom ids, the first price);
    # the first price is checked here so that its errors name `default_price_data[...]`.
    product = apply(new_product(params.get("id") or object_id, now), params, fields,
                    extra=("id", "default_price_data"))
    if "default_price_data" in params:
        check_default_price_data(params["default_price_data"])
    return product


def check_default_price_data(value) -> None:
    data = p.hash_(value, "default_price_data") or {}
    p.reject_unknown({f"default_price_data[{k}]": v for k, v in data.items()},
                     {f"default_price_data[{k}]" for k in DEFAULT_PRICE_FIELDS})
    _price_terms(data, "default_price_data")
    if "metadata" in data:
        limits.check_metadata(data["metadata"], "default_price_data[metadata]")
        limits.check_metadata_count(merge_metadata({}, data["metadata"]),
                                    "default_price_data[metadata]")


def update_product(product: dict, params: dict, now: int, prices) -> dict:
    updated = apply(product, params, PRODUCT_FIELDS, extra=("default_price",))
    if "default_price" in params:
        price_id = p.text(params["default_price"], "default_price")
        if price_id is not None:
            price = prices.get(price_id)
            if price is None:
                raise missing("price", price_id, param="default_price", status=400)
            if price["product"] != product["id"]:
                raise StripeError(400, f"The price {price_id} does not belong to product "
                                       f"{product['id']}.", param="default_price")
        updated["default_price"] = price_id
    updated["updated"] = now
    return updated


# --- prices ------------------------------------------------------------------------------

def create_price(params: dict, object_id: str, now: int, product_exists) -> dict:
    """`product` must exist (with `product_data`, the service makes the product and passes
    its id in `product`)."""
    p.reject_unknown(params, {"active", "currency", "expand", "lookup_key", "metadata",
                              "nickname", "product", "product_data", "recurring",
                              "tax_behavior", "transfer_lookup_key", "unit_amount",
                              "unit_amount_decimal"})
    price = new_price(object_id, now)
    currency, amounts, billing = _price_terms(params)
    product_id = p.required_text(params.get("product"), "product")
    if not product_exists(product_id):
        raise missing("product", product_id, param="product", status=400)
    price["currency"], price["product"] = currency, product_id
    price["unit_amount"], price["unit_amount_decimal"] = amounts
    if billing is not None:
        price["recurring"], price["type"] = billing, "recurring"
    return apply(price, {k: v for k, v in params.items() if k in PRICE_UPDATE_FIELDS
                         or k == "metadata"}, PRICE_UPDATE_FIELDS)


def update_price(price: dict, params: dict) -> dict:
    return apply(price, params, PRICE_UPDATE_FIELDS, extra=("transfer_lookup_key",))


def _named(prefix: str, name: str) -> str:
    """A parameter's name as Stripe reports it: `unit_amount`, or nested in `prefix`
    (`default_price_data[recurring][interval_count]`)."""
    if not prefix:
        return name
    head, _, rest = name.partition("[")
    return f"{prefix}[{head}]" + (f"[{rest}" if rest else "")


def _price_terms(params: dict, prefix: str = "") -> tuple[str, tuple, dict | None]:
    """(currency, (unit_amount, unit_amount_decimal), recurring or None), checked."""
    currency = limits.currency(params.get("currency"), _named(prefix, "currency"))
    amounts = _amount(params, prefix)
    billing = _recurring(params["recurring"], prefix) if "recurring" in params else None
    return currency, amounts, billing


def _amount(params: dict, prefix: str = "") -> tuple[int, str]:
    if "unit_amount" in params:
        name = _named(prefix, "unit_amount")
        amount = p.integer(params["unit_amount"], name)
        limits.check_unit_amount(amount, name)
        return amount, str(amount)
    if "unit_amount_decimal" in params:
        decimal = params["unit_amount_decimal"]
        whole = decimal.split(".")[0] if isinstance(decimal, str) else ""
        if not whole.isdigit():
            raise StripeError(400, f"Invalid decimal: {decimal}",
                              param=_named(prefix, "unit_amount_decimal"))
        return (int(whole) if decimal == whole else None), decimal
    raise StripeError(400, f"Missing required param: {_named(prefix, 'unit_amount')}.",
                      code="parameter_missing", param=_named(prefix, "unit_amount"))


def _recurring(value, prefix: str = "") -> dict:
    given = p.hash_(value, _named(prefix, "recurring")) or {}
    names = {key: _named(prefix, f"recurring[{key}]")
             for key in ("interval", "interval_count", "usage_type")}
    p.reject_unknown({_named(prefix, f"recurring[{k}]"): v for k, v in given.items()},
                     set(names.values()))
    interval = p.choice("day", "week", "month", "year")(
        p.required_text(given.get("interval"), names["interval"]), names["interval"])
    count = p.integer(given.get("interval_count", "1"), names["interval_count"])
    limits.check_interval(interval, count, names["interval_count"])
    usage = p.choice("licensed", "metered")(given.get("usage_type", "licensed"),
                                            names["usage_type"])
    return recurring(interval, count, usage)


def lookup_key_taken(params: dict, price_id: str, prices) -> dict | None:
    """The other price holding the requested lookup key, if any (Stripe refuses a duplicate
    unless `transfer_lookup_key` moves it)."""
    key = params.get("lookup_key")
    if not key:
        return None
    return next((price for price in prices.all()
                 if price["lookup_key"] == key and price["id"] != price_id), None)
