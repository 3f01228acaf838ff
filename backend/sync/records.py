"""The fields the sync compares, read the same way from HubSpot and from Stripe.

Products: name, description, price (cents), billing period, accounting code and the three
sections.
Customers: name, email, address, accounting code. Empty and missing are the same value.
"""

from __future__ import annotations

from backend.core.codes import is_general_account, is_section
from backend.core.money import parse_cents
from backend.sync import stripe_rules

# `period`: the default price's billing period ("1 month"; "" for a one-time price).
PRODUCT_FIELDS = ("name", "description", "price", "period", "code", "axis_1", "axis_2", "axis_3")
# HubSpot is the master of these: a change made to them in Stripe alone is put back.
PRODUCT_MASTER = frozenset({"price", "period", "code", "axis_1", "axis_2", "axis_3"})
CUSTOMER_FIELDS = ("name", "email", "line1", "city", "postal_code", "country", "code")

HUBSPOT_PRODUCT_PROPERTIES = ["name", "description", "price", "recurringbillingfrequency",
                              "code_comptable", "axe_analytique_1", "axe_analytique_2",
                              "axe_analytique_3", "stripe_product_id"]
HUBSPOT_COMPANY_PROPERTIES = ["name", "address", "city", "zip", "country",
                              "code_comptable", "stripe_customer_id"]
HUBSPOT_CONTACT_PROPERTIES = ["firstname", "lastname", "email", "address", "city", "zip", "country",
                              "code_comptable", "stripe_customer_id"]


def text(value) -> str:
    return "" if value is None else str(value).strip()


# HubSpot holds a country's name, Stripe its ISO code: compared and written as the code.
COUNTRY_CODES = {"france": "FR", "belgique": "BE", "belgium": "BE", "suisse": "CH",
                 "switzerland": "CH", "luxembourg": "LU", "allemagne": "DE", "germany": "DE",
                 "espagne": "ES", "spain": "ES", "italie": "IT", "italy": "IT",
                 "royaume-uni": "GB", "united kingdom": "GB", "monaco": "MC", "canada": "CA"}
COUNTRY_NAMES = {"FR": "France", "BE": "Belgique", "CH": "Suisse", "LU": "Luxembourg",
                 "DE": "Allemagne", "ES": "Espagne", "IT": "Italie", "GB": "Royaume-Uni",
                 "MC": "Monaco", "CA": "Canada"}


def country_code(value) -> str:
    name = text(value)
    if len(name) == 2 and name.isalpha():
        return name.upper()
    return COUNTRY_CODES.get(name.lower(), name)


def hubspot_product(obj: dict) -> tuple[dict, str | None]:
    """(fields, problem): a price HubSpot holds in euros as text, turned into cents; the billing
    frequency as a Stripe period (None when HubSpot states none). What Stripe would refuse (no
    name, a negative price, a field too long, a frequency past three years) is a problem, not a
    failed sync."""
    props = obj.get("properties") or {}
    cents = parse_cents(text(props.get("price")))
    billing, problem = stripe_rules.hubspot_period(text(props.get("recurringbillingfrequency")))
    fields = {"name": text(props.get("name")), "description": text(props.get("description")),
              "price": cents, "period": billing, "code": text(props.get("code_comptable")),
              **{f"axis_{i}": text(props.get(f"axe_analytique_{i}")) for i in (1, 2, 3)}}
    if cents is None:
        problem = f"prix illisible : « {text(props.get('price'))[:40]} »"
    elif cents < 0:
        problem = f"prix négatif : « {text(props.get('price'))[:40]} »"
    elif not fields["name"]:
        problem = "sans nom (Stripe en exige un)"
    return fields, problem or stripe_rules.product_problem(fields) or accounting_problem(fields)


def accounting_problem(fields: dict) -> str | None:
    """Why a product's accounting fields cannot be taken in (French, naming the HubSpot
    property), else None: a code that is not an account, a section that is not one (a value
    starting with = + - @, a tab or a line break would be a formula in the accountant's
    files). An empty code or section is allowed: the generation makes an anomaly of it."""
    if fields["code"] and not is_general_account(fields["code"]):
        return (f"code comptable « {fields['code'][:40]} » invalide : un compte commence par "
                "trois chiffres, suivis de lettres ou de chiffres (code_comptable)")
    for i in (1, 2, 3):
        section = fields[f"axis_{i}"]
        if not is_section(section):
            return (f"section « {section[:40]} » invalide sur l'axe {i} : une lettre ou un chiffre "
                    "d'abord, puis lettres, chiffres, espaces et - _ . / ' (axe_analytique_"
                    f"{i})")
    return None


def stripe_product(product: dict, prices: dict[str, dict]) -> dict:
    meta = product.get("metadata") or {}
    default = product.get("default_price")
    price_id = default.get("id") if isinstance(default, dict) else default
    price = prices.get(price_id or "") or {}
    billing = price.get("recurring") or {}
    period = (stripe_rules.period(billing["interval"], int(billing.get("interval_count") or 1))
              if billing.get("interval") else "")
    return {"name": text(product.get("name")), "description": text(product.get("description")),
            "price": price.get("unit_amount"), "period": period,
            "code": text(meta.get("accounting_code")),
            **{f"axis_{i}": text(meta.get(f"analytic_axis_{i}")) for i in (1, 2, 3)}}


def hubspot_product_props(fields: dict) -> dict:
    """Fields going to HubSpot (only name and description ever flow back)."""
    names = {"name": "name", "description": "description"}
    return {names[k]: v for k, v in fields.items() if k in names}


def stripe_product_params(fields: dict) -> dict:
    """Fields going to a Stripe product's update (the price is handled apart)."""
    params: dict = {}
    if "name" in fields:
        params["name"] = fields["name"]
    if "description" in fields:
        params["description"] = fields["description"]
    meta = {}
    if "code" in fields:
        meta["accounting_code"] = fields["code"]
    for i in (1, 2, 3):
        if f"axis_{i}" in fields:
            meta[f"analytic_axis_{i}"] = fields[f"axis_{i}"]
    if meta:
        params["metadata"] = meta
    return params


def customer_name(object_type: str, props: dict) -> str:
    if object_type == "company":
        return text(props.get("name"))
    return " ".join(p for p in (text(props.get("firstname")), text(props.get("lastname"))) if p)


def code_name(object_type: str, props: dict) -> str:
    """The name the account code is made from: the company's, else last then first name."""
    from backend.core.codes import display_name
    if object_type == "company":
        return display_name(company=text(props.get("name")))
    return display_name(last_name=text(props.get("lastname")), first_name=text(props.get("firstname")))


def hubspot_customer(object_type: str, obj: dict) -> dict:
    """A company has no email property in HubSpot: its email is neither compared nor written."""
    props = obj.get("properties") or {}
    fields = {"name": customer_name(object_type, props), "email": text(props.get("email")).lower(),
              "line1": text(props.get("address")), "city": text(props.get("city")),
              "postal_code": text(props.get("zip")), "country": country_code(props.get("country")),
              "code": text(props.get("code_comptable"))}
    if object_type == "company":
        del fields["email"]
    return fields


def stripe_customer(customer: dict) -> dict:
    address = customer.get("address") or {}
    return {"name": text(customer.get("name")), "email": text(customer.get("email")).lower(),
            "line1": text(address.get("line1")), "city": text(address.get("city")),
            "postal_code": text(address.get("postal_code")), "country": country_code(address.get("country")),
            "code": text((customer.get("metadata") or {}).get("accounting_code"))}


def hubspot_customer_props(object_type: str, fields: dict) -> dict:
    props: dict = {}
    if "name" in fields:
        if object_type == "company":
            props["name"] = fields["name"]
        else:   # a person's name goes back split as HubSpot holds it: first word, then the rest
            first, _, last = fields["name"].partition(" ")
            props["firstname"], props["lastname"] = first, last
    for field, prop in (("email", "email"), ("line1", "address"), ("city", "city"),
                        ("postal_code", "zip"), ("code", "code_comptable")):
        if field in fields:
            props[prop] = fields[field]
    if "country" in fields:
        props["country"] = COUNTRY_NAMES.get(fields["country"], fields["country"])
    return props


def stripe_customer_params(fields: dict) -> dict:
    params: dict = {}
    for field in ("name", "email"):
        if field in fields:
            params[field] = fields[field]
    address = {k: fields[k] for k in ("line1", "city", "postal_code", "country") if k in fields}
    if address:
        params["address"] = address
    if "code" in fields:
        params["metadata"] = {"accounting_code": fields["code"]}
    return params
