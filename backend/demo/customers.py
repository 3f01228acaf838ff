"""The coworking's customers: long-standing members with an accounting code, new ones without.

Long-standing customers carry the code the company's rule gave them
(`backend.core.codes.assign_codes`, handed out in the order the customers were created, so
the oldest keeps the plain stem). New customers have none: the customer sync makes theirs.
People keep their first and last names in `metadata` (`first_name`, `last_name`), since the
code is made from the last name first while `name` reads "Firstname Lastname".
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from backend.core.codes import assign_codes, ascii_fold, display_name
from backend.demo import names
from backend.demo.common import DAY, IdFactory, Month

LONG_STANDING_PEOPLE = 70
NEW_PEOPLE = 38


@dataclass
class Member:
    """A customer, with what the demo needs to bill it."""

    customer: dict                 # the Stripe customer object
    is_company: bool
    site: str                      # "paris", "lyon", or "domiciled" (uses the address only)
    long_standing: bool
    first_name: str | None = None
    last_name: str | None = None

    @property
    def id(self) -> str:
        return self.customer["id"]

    @property
    def code_name(self) -> str:
        """The name the account code is made from."""
        if self.is_company:
            return display_name(company=self.customer["name"])
        return display_name(last_name=self.last_name, first_name=self.first_name)


def build_customers(rng: random.Random, ids: IdFactory, month: Month) -> list[Member]:
    # The hand-picked people first, then people drawn from the name pools.
    split = LONG_STANDING_PEOPLE - len(names.LONG_STANDING_PEOPLE)
    drawn = _draw_people(rng, split + NEW_PEOPLE - len(names.NEW_PEOPLE))
    long_people = [*names.LONG_STANDING_PEOPLE, *drawn[:split]]
    new_people = [*names.NEW_PEOPLE, *drawn[split:]]
    long_standing = ([_company(rng, ids, name, True) for name in names.LONG_STANDING_COMPANIES]
                     + [_person(rng, ids, first, last, True) for first, last in long_people])
    new = ([_company(rng, ids, name, False) for name in names.NEW_COMPANIES]
           + [_person(rng, ids, first, last, False) for first, last in new_people])

    # Members joined over the past six years; codes go to the oldest first.
    rng.shuffle(long_standing)
    joined = sorted(month.start - rng.randint(45 * DAY, 2100 * DAY) for _ in long_standing)
    for member, created in zip(long_standing, joined):
        member.customer["created"] = created
    codes, errors = assign_codes({m.id: m.code_name for m in long_standing}, [])
    if errors:
        raise ValueError(f"demo customer names without a code: {errors}")
    for member in long_standing:
        member.customer["metadata"] = {"accounting_code": codes[member.id],
                                       **member.customer["metadata"]}

    # New customers signed up during the month; a few were created straight in Stripe and
    # have no HubSpot record yet.
    rng.shuffle(new)
    for member in new:
        member.customer["created"] = month.at(rng.randint(1, month.days - 1),
                                              rng.randint(8, 19), rng.randrange(60),
                                              rng.randrange(60))
    for member in new[-3:]:
        for key in ("hubspot_company_id", "hubspot_contact_id"):
            member.customer["metadata"].pop(key, None)
    return long_standing + new


def _draw_people(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """Distinct (first, last) pairs, none equal to a hand-picked person."""
    taken = set(names.LONG_STANDING_PEOPLE) | set(names.NEW_PEOPLE)
    drawn: list[tuple[str, str]] = []
    while len(drawn) < count:
        pair = (rng.choice(names.FIRST_NAMES), rng.choice(names.LAST_NAMES))
        if pair not in taken:
            taken.add(pair)
            drawn.append(pair)
    return drawn


def _company(rng: random.Random, ids: IdFactory, name: str, long_standing: bool) -> Member:
    site = rng.choices(("paris", "lyon", "domiciled"), weights=(50, 35, 15))[0]
    customer = _customer(rng, ids, name, f"compta@{_slug(name)}.example",
                         "+33199" + ids.digits(6), _address(rng, site),
                         {"hubspot_company_id": ids.digits(11)})
    return Member(customer, True, site, long_standing)


def _person(rng: random.Random, ids: IdFactory, first: str, last: str,
            long_standing: bool) -> Member:
    site = rng.choices(("paris", "lyon"), weights=(60, 40))[0]
    email = f"{_slug(first)}.{_slug(last)}@{rng.choice(names.MAIL_PROVIDERS)}.example"
    customer = _customer(rng, ids, f"{first} {last}", email, "+3363998" + ids.digits(4),
                         _address(rng, site),
                         {"first_name": first, "last_name": last,
                          "hubspot_contact_id": ids.digits(9)})
    return Member(customer, False, site, long_standing, first, last)


def _customer(rng: random.Random, ids: IdFactory, name: str, email: str, phone: str,
              address: dict, metadata: dict) -> dict:
    return {
        "address": address, "balance": 0,
        "created": 0,  # set once the member's place in the company's history is known
        "currency": "eur", "default_source": None, "delinquent": False, "description": None,
        "discount": None, "email": email, "id": ids.short("cus"),
        "invoice_prefix": "".join(rng.choices("0123456789ABCDEF", k=8)),
        "invoice_settings": {"custom_fields": None, "default_payment_method": None,
                             "footer": None, "rendering_options": None},
        "livemode": False, "metadata": metadata, "name": name, "next_invoice_sequence": 1,
        "object": "customer", "phone": phone, "preferred_locales": ["fr-FR"],
        "shipping": None, "tax_exempt": "none", "test_clock": None,
    }


def _address(rng: random.Random, site: str) -> dict:
    if site == "domiciled":
        # A domiciled company's registered office is the coworking itself.
        return {"city": "Paris", "country": "FR", "line1": "12 rue de la Roquette",
                "line2": f"Domiciliation — boîte {rng.randint(1, 250)}",
                "postal_code": "75011", "state": None}
    area = names.PARIS_AREA if site == "paris" else names.LYON_AREA
    if rng.random() < 0.1:
        area = names.ELSEWHERE
    city, postal_code = rng.choice(area)
    line2 = rng.choice(names.LINE2) if rng.random() < 0.25 else None
    return {"city": city, "country": "FR",
            "line1": f"{rng.randint(1, 180)} {rng.choice(names.STREETS)}", "line2": line2,
            "postal_code": postal_code, "state": None}


def _slug(text: str) -> str:
    """Lower-case ASCII for an e-mail address: "Cœur de Ville SARL" -> "coeur-de-ville-sarl"."""
    kept = "".join(c if c.isascii() and c.isalnum() else " " for c in ascii_fold(text).lower())
    return "-".join(kept.split())
