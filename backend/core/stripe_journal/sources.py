"""What a balance transaction's `source` tells: its id, the customer who paid, the invoice
it settles.

Stripe gives the source as an id, or as the object itself with `expand[]=data.source`: a
charge (`ch_`/`py_`, with `customer`), a refund (`re_`, with `charge`), a dispute (`dp_`,
with `charge`), a payout (`po_`)... Inside it, `customer` and `charge` may again be ids or
objects. When only ids are at hand, `payers` (any Stripe id: charge, refund, dispute, payment
intent -> customer id) says who paid.
"""

from __future__ import annotations

from collections.abc import Mapping


def ref(value) -> str | None:
    """The id of a reference that is an id, an expanded object, or nothing."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return value["id"] or None
    return None


def source_id(txn: dict) -> str | None:
    return ref(txn.get("source"))


def related_ids(txn: dict) -> list[str]:
    """The source's id, then the ids of what it hangs on (its charge, its payment intent),
    nearest first: a refund's invoice and customer are its charge's."""
    ids: list[str] = []
    source = txn.get("source")
    for value in (source,
                  source.get("charge") if isinstance(source, dict) else None,
                  source.get("payment_intent") if isinstance(source, dict) else None):
        found = ref(value)
        if found and found not in ids:
            ids.append(found)
    charge = source.get("charge") if isinstance(source, dict) else None
    if isinstance(charge, dict):
        found = ref(charge.get("payment_intent"))
        if found and found not in ids:
            ids.append(found)
    return ids


def customer_id(txn: dict, payers: Mapping[str, str]) -> str | None:
    """Who paid: the expanded source's customer, else its expanded charge's, else what
    `payers` knows of any related id. None when nobody can be named."""
    source = txn.get("source")
    if isinstance(source, dict):
        for holder in (source, source.get("charge")):
            if isinstance(holder, dict):
                found = ref(holder.get("customer"))
                if found:
                    return found
    for related in related_ids(txn):
        found = payers.get(related)
        if isinstance(found, str) and found:
            return found
    return None


def invoice_number(txn: dict, invoice_numbers: Mapping[str, str]) -> str | None:
    """The number of the invoice the transaction settles (Stripe's invoice payments link an
    invoice to its charge or payment intent), looked up from the source to its charge."""
    for related in related_ids(txn):
        found = invoice_numbers.get(related)
        if isinstance(found, str) and found:
            return found
    return None
