"""The customer of a document: its account code and the name its lines are labelled with."""

from __future__ import annotations

from backend.core.catalog import Catalog, ref_id
from backend.core.codes import assign_codes, code_key, is_auxiliary_account
from backend.core.model import Problem
from backend.core.settings import Settings


def customer_of(document: dict, catalog: Catalog) -> tuple[str | None, str, list[Problem]]:
    """(account code, name, problems). A customer Stripe does not know, or one with no code,
    makes the document an anomaly: its entry would otherwise land on a wrong account."""
    customer_id = ref_id(document.get("customer"))
    customer = catalog.customers.get(customer_id or "")
    name = ((customer or {}).get("name") or document.get("customer_name")
            or (customer or {}).get("email") or document.get("customer_email") or "").strip()
    if not customer_id:
        return None, name, [Problem.of("unknown_customer", customer="?")]
    code = catalog.customer_code(customer_id)
    if code and not is_auxiliary_account(code):
        return None, name, [Problem.of("invalid_customer_code", customer=customer_id, name=name,
                                       account=code[:40])]
    if code:
        other = _other_owner(catalog, customer_id, code)
        if other is not None:
            other_customer = catalog.customers.get(other) or {}
            return None, name, [Problem.of(
                "shared_customer_code", customer=customer_id, name=name, account=code[:40],
                other=other, other_name=((other_customer.get("name") or other_customer.get("email")
                                          or "?") if isinstance(other_customer, dict) else "?"))]
        return code, name, []
    if customer is None:
        return None, name, [Problem.of("unknown_customer", customer=customer_id)]
    if customer.get("deleted"):   # Stripe keeps only its id: no name, no metadata
        return None, name, [Problem.of("deleted_customer", customer=customer_id, name=name)]
    return None, name, [Problem.of("missing_customer_code", customer=customer_id, name=name,
                                   detail=catalog.code_errors.get(
                                       customer_id, "aucun code dans ses métadonnées"))]


def generate_missing_codes(catalog: Catalog, settings: Settings) -> dict[str, str]:
    """Codes by the nomenclature for known customers that have none, oldest customer first,
    unique among every code already known. Recorded in the catalog; returns the new codes."""
    waiting = sorted((c for cid, c in catalog.customers.items()
                      if not catalog.customer_code(cid) and not c.get("deleted")),
                     key=lambda c: (c.get("created") if isinstance(c.get("created"), int) else 0,
                                    c["id"]))
    names = {c["id"]: c["name"] if isinstance(c.get("name"), str) else "" for c in waiting}
    codes, errors = assign_codes(names, catalog.known_codes(), settings.customer_code_prefix,
                                 settings.customer_code_length)
    catalog.customer_codes.update(codes)
    catalog.code_errors.update(errors)
    return codes


def _other_owner(catalog: Catalog, customer_id: str, code: str) -> str | None:
    """Another known customer with the same code (as `code_key` compares codes), else None:
    the receivables of two customers would be merged on one account."""
    for other in sorted(_owners_by_key(catalog).get(code_key(code), ())):
        if other != customer_id and code_key(catalog.customer_code(other) or "") == code_key(code):
            return other
    return None


def _owners_by_key(catalog: Catalog) -> dict[str, set[str]]:
    """code_key -> the customers holding it, worked out once per state of the catalog (a month
    has thousands of documents): kept on the catalog with the sizes it was made from, and made
    again when customers or codes are added. Each hit is checked against the live code."""
    sizes = (len(catalog.customers), len(catalog.customer_codes))
    memo = catalog.__dict__.get("_owners_by_key")
    if memo is not None and memo[0] == sizes:
        return memo[1]
    owners: dict[str, set[str]] = {}
    for cid in {*catalog.customers, *catalog.customer_codes}:
        key = code_key(catalog.customer_code(cid) or "")
        if key:
            owners.setdefault(key, set()).add(cid)
    catalog.__dict__["_owners_by_key"] = (sizes, owners)
    return owners
