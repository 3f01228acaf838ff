"""Stripe's input limits, as the API enforces them on the writes the sandbox serves.

Each check raises `StripeError` with the 400 Stripe sends: `invalid_request_error`, the
offending parameter in `param` (`metadata[accounting_code]`, `address[line1]`...) and Stripe's
wording. Sources:
- metadata: Stripe's API reference ("up to 50 keys, with key names up to 40 characters long
  and values up to 500 characters long"); the messages as the API writes them ("Metadata values
  can have up to 500 characters, but you passed in a value that is 501 characters...");
- string lengths: the `maxLength` of Stripe's OpenAPI specification (customer `name` 256,
  `email` 512, `phone` 20, `description` 5000, address parts 5000; product `name` 5000,
  `description` 40000, `statement_descriptor` 22, `unit_label` 12; price `lookup_key` 200,
  `nickname` 5000), refused as "Invalid string: <first 10>...<last 10>; must be at most N
  characters";
- e-mail: "Invalid email address: <value>" with code `email_invalid` (refused, among others:
  `name@com`, `name@gmail`, `@.example.com`, a leading space, a full-width ＠);
- amounts: eight digits at most (99999999 in the currency's smallest unit);
- recurring prices: an interval of three years at most (3 years, 36 months, 156 weeks), as the
  pinned API version documents `recurring[interval_count]`.
"""

from __future__ import annotations

import re

from backend.sandbox import stripe_params as p
from backend.sandbox.stripe_params import StripeError

METADATA_KEYS = 50
METADATA_KEY_LENGTH = 40
METADATA_VALUE_LENGTH = 500
EMAIL_LENGTH = 512
UNIT_AMOUNT_MAX = 99_999_999
# The longest billing interval, in each unit.
INTERVAL_MAX = {"day": 3 * 365, "week": 3 * 52, "month": 3 * 12, "year": 3}

# Stripe's presentment currencies (lower-case ISO 4217), as its error message lists them.
CURRENCIES = (
    "usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd "
    "bwp byn bzd cad cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp "
    "gel gip gmd gnf gtq gyd hkd hnl htg huf idr ils inr isk jmd jod jpy kes kgs khr kmf krw "
    "kwd kyd kzt lak lbp lkr lrd lsl mad mdl mga mkd mmk mnt mop mur mvr mwk mxn myr mzn nad "
    "ngn nio nok npr nzd omr pab pen pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr sek "
    "sgd shp sle sos srd std szl thb tjs tnd top try ttd twd tzs uah ugx uyu uzs vnd vuv wst "
    "xaf xcd xof xpf yer zar zmw").split()

_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_EMAIL = re.compile(rf"{_LOCAL}@(?:{_LABEL}\.)+[A-Za-z]{{2,}}")


def _shown(value: str) -> str:
    """How Stripe quotes a long value in a length error: its first and last ten characters."""
    return value if len(value) <= 20 else f"{value[:10]}...{value[-10:]}"


def check_length(value: str | None, param: str, limit: int) -> None:
    if value is not None and len(value) > limit:
        raise StripeError(400, f"Invalid string: {_shown(value)}; must be at most {limit} "
                               "characters", param=param)


def text(limit: int):
    """A coercer: a nullable string (empty unsets it) of at most `limit` characters."""
    def coerce(value, param: str) -> str | None:
        result = p.text(value, param)
        check_length(result, param, limit)
        return result
    return coerce


def required_text(limit: int):
    def coerce(value, param: str) -> str:
        result = p.required_text(value, param)
        check_length(result, param, limit)
        return result
    return coerce


def email(value, param: str) -> str | None:
    """A coercer for `email`: empty unsets it; else a plain address of at most 512 characters."""
    result = p.text(value, param)
    if result is None:
        return None
    check_length(result, param, EMAIL_LENGTH)
    if not _EMAIL.fullmatch(result):
        raise StripeError(400, f"Invalid email address: {result}", code="email_invalid",
                          param=param)
    return result


def check_metadata(update, param: str = "metadata") -> None:
    """The keys and values posted (the merge and its type checks come after)."""
    if not isinstance(update, dict):
        return
    for key, value in update.items():
        if len(key) > METADATA_KEY_LENGTH:
            raise StripeError(400, f"Metadata keys can have up to {METADATA_KEY_LENGTH} "
                                   f"characters, but you passed in a key that is {len(key)} "
                                   f"characters. Invalid key: {key}",
                              param=f"{param}[{key}]")
        if isinstance(value, str) and len(value) > METADATA_VALUE_LENGTH:
            raise StripeError(400, f"Metadata values can have up to {METADATA_VALUE_LENGTH} "
                                   f"characters, but you passed in a value that is "
                                   f"{len(value)} characters. Invalid value: {value}",
                              param=f"{param}[{key}]")


def check_metadata_count(merged: dict, param: str = "metadata") -> None:
    """The keys an object would hold once the update is merged."""
    if len(merged) > METADATA_KEYS:
        raise StripeError(400, f"Metadata can have up to {METADATA_KEYS} keys, but you've set "
                               f"{len(merged)}. Email us at support+metadata@stripe.com for "
                               "more information.", param=param)


def check_unit_amount(amount: int, param: str) -> None:
    if amount < 0:
        raise StripeError(400, "This value must be greater than or equal to 0.", param=param)
    if amount > UNIT_AMOUNT_MAX:
        raise StripeError(400, f"This value must be less than or equal to {UNIT_AMOUNT_MAX} "
                               f"(it currently is '{amount}').", param=param)


def currency(value, param: str) -> str:
    code = p.required_text(value, param).lower()
    if code not in CURRENCIES:
        raise StripeError(400, f"Invalid currency: {code}. Stripe currently supports these "
                               f"currencies: {', '.join(CURRENCIES)}", param=param)
    return code


def check_interval(interval: str, count: int, param: str) -> None:
    """`param` names `recurring[interval_count]` (or its nested form)."""
    if count < 1:
        raise StripeError(400, "Invalid positive integer", param=param)
    if count > INTERVAL_MAX[interval]:
        raise StripeError(400, "The maximum interval for a recurring price is three years "
                               "(3 years, 36 months, or 156 weeks).", param=param)
