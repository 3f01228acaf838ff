"""What Stripe refuses, checked before the sync writes a record, and HubSpot's billing
frequencies as Stripe billing periods.

A record Stripe would refuse is reported (in French, naming the record and the HubSpot
property) and left alone instead of stopping the whole sync at Stripe's 400. The limits are
Stripe's published ones (API reference and its OpenAPI `maxLength`s): metadata values of 500
characters, customer names of 256, e-mails of 512 in a plain address form, product names of
5,000 and descriptions of 40,000, address parts of 5,000, amounts of eight digits, billing
intervals of three years at most. A 400 for a rule not listed here still reaches the sync as
`StripeRefusal`: that record is reported the same way, the others go on.

Pure: no I/O; the Stripe sandbox models the same rules on its own side.
"""

from __future__ import annotations

import re

from backend.errors import ServiceError

METADATA_VALUE_LENGTH = 500
CUSTOMER_NAME_LENGTH = 256
EMAIL_LENGTH = 512
ADDRESS_PART_LENGTH = 5000
PRODUCT_NAME_LENGTH = 5000
PRODUCT_DESCRIPTION_LENGTH = 40000
UNIT_AMOUNT_MAX = 99_999_999            # cents: 999 999,99 €
INTERVAL_MAX = {"day": 3 * 365, "week": 3 * 52, "month": 3 * 12, "year": 3}

# HubSpot's `recurringbillingfrequency` options -> Stripe's (interval, interval_count).
HUBSPOT_FREQUENCIES = {
    "weekly": ("week", 1), "biweekly": ("week", 2), "monthly": ("month", 1),
    "quarterly": ("month", 3), "per_six_months": ("month", 6), "annually": ("year", 1),
    "per_two_years": ("year", 2), "per_three_years": ("year", 3),
    "per_four_years": ("year", 4), "per_five_years": ("year", 5),
}

_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_EMAIL = re.compile(rf"{_LOCAL}@(?:{_LABEL}\.)+[A-Za-z]{{2,}}")
_SECRET = re.compile(r"\b(?:sk|rk|pk|whsec)_\w{6,}|\bpat-\w[\w-]{6,}")


class StripeRefusal(ServiceError):
    """Stripe answered 400 to one record's write: that record is refused (a rule the
    pre-check does not know), not the service down. `param` names the field at fault."""

    def __init__(self, message: str, param: str | None = None, code: str | None = None) -> None:
        super().__init__("stripe", message, status=400)
        self.param = param
        self.code = code

    def french(self) -> str:
        """The refusal for the report: Stripe's own words, short, with nothing secret."""
        where = f" ({self.param})" if self.param else ""
        said = _SECRET.sub("[masqué]", " ".join(self.message.split()))
        return f"refusé par Stripe{where} : {said[:200]}" + ("…" if len(said) > 200 else "")


# --- billing periods ---------------------------------------------------------------------------

def period(interval: str, count: int) -> str:
    """A billing period as the sync compares it: "1 month", "3 month"; "" for a one-time price."""
    return f"{count} {interval}"


def recurring(billing: str) -> dict | None:
    """Stripe's `recurring` parameter for a period; None for a one-time price."""
    if not billing:
        return None
    count, interval = billing.split(" ")
    return {"interval": interval, "interval_count": int(count)}


def hubspot_period(frequency: str) -> tuple[str | None, str | None]:
    """(period, problem) for HubSpot's frequency: None when the property is empty (not stated)."""
    if not frequency:
        return None, None
    if frequency not in HUBSPOT_FREQUENCIES:
        return None, (f"fréquence de facturation inconnue « {frequency[:40]} » "
                      "(recurringbillingfrequency)")
    interval, count = HUBSPOT_FREQUENCIES[frequency]
    if count > INTERVAL_MAX[interval]:
        return None, (f"fréquence de facturation « {frequency} » trop longue pour Stripe, qui "
                      "facture au plus tous les trois ans (recurringbillingfrequency)")
    return period(interval, count), None


# --- records ------------------------------------------------------------------------------------

def valid_email(value: str) -> bool:
    """An address Stripe takes: ASCII, one @, a dotted domain ending in letters, 512 at most."""
    return len(value) <= EMAIL_LENGTH and bool(_EMAIL.fullmatch(value))


def _too_long(prop: str, value: str, limit: int) -> str | None:
    if len(value) <= limit:
        return None
    return (f"« {prop} » trop long pour Stripe : {_count(len(value))} caractères, "
            f"{_count(limit)} au plus")


def _count(number: int) -> str:
    """5\u202f001: French thousands, with a narrow no-break space."""
    return f"{number:,}".replace(",", "\u202f")


def product_problem(fields: dict) -> str | None:
    """Why Stripe would refuse this HubSpot product (fields as `records.hubspot_product`
    reads them), else None."""
    checks = [("name", fields["name"], PRODUCT_NAME_LENGTH),
              ("description", fields["description"], PRODUCT_DESCRIPTION_LENGTH),
              ("code_comptable", fields["code"], METADATA_VALUE_LENGTH),
              *((f"axe_analytique_{i}", fields[f"axis_{i}"], METADATA_VALUE_LENGTH)
                for i in (1, 2, 3))]
    for prop, value, limit in checks:
        problem = _too_long(prop, value, limit)
        if problem:
            return problem
    if fields["price"] is not None and fields["price"] > UNIT_AMOUNT_MAX:
        return "« price » trop élevé pour Stripe : 999 999,99 € au plus"
    return None


def customer_problem(object_type: str, fields: dict) -> str | None:
    """Why Stripe would refuse this HubSpot company or contact (fields as
    `records.hubspot_customer` reads them), else None."""
    email = fields.get("email") or ""
    if email and not valid_email(email):
        return f"e-mail invalide « {email[:80]} »"
    name = "name" if object_type == "company" else "firstname/lastname"
    checks = [(name, fields["name"], CUSTOMER_NAME_LENGTH),
              ("address", fields["line1"], ADDRESS_PART_LENGTH),
              ("city", fields["city"], ADDRESS_PART_LENGTH),
              ("zip", fields["postal_code"], ADDRESS_PART_LENGTH),
              ("country", fields["country"], ADDRESS_PART_LENGTH),
              ("code_comptable", fields["code"], METADATA_VALUE_LENGTH)]
    for prop, value, limit in checks:
        problem = _too_long(prop, value, limit)
        if problem:
            return problem
    return None
