"""Putting an entry together: signed amounts to lines, and the balance every entry must have."""

from __future__ import annotations

from datetime import date

from backend.core.model import Anomaly, Entry, Line, Problem, signed_line
from backend.core.money import comma
from backend.core.revenue import Target
from backend.core.settings import Settings


def assemble(*, document_id: str, number: str, kind: str, on: date, label: str,
             customer_code: str, customer_name: str, total: int,
             revenue: dict[Target, int], vat: dict[str, int], sign: int,
             settings: Settings) -> Entry | Anomaly:
    """An entry from the sale's point of view, turned around when `sign` is -1 (credit note).

    The customer is debited `total`, revenue and VAT are credited; a negative amount swaps its
    side. An entry whose debits and credits differ is never patched: it is an anomaly.
    """
    lines: list[Line | None] = [
        signed_line(customer_code, label, sign * total, is_customer=True,
                    customer_name=customer_name)
    ]
    for (account, sections), amount in revenue.items():
        lines.append(signed_line(account, label, -sign * amount, sections=sections))
    for account, amount in vat.items():
        lines.append(signed_line(account, label, -sign * amount))
    entry = Entry(journal=settings.journal_code, date=on, piece=number, ref=document_id,
                  document_id=document_id, kind=kind,
                  lines=tuple(line for line in lines if line is not None))
    if not entry.balanced:
        return Anomaly(document_id, number, customer_name, (
            Problem.of("unbalanced", debit=comma(entry.total_debit),
                       credit=comma(entry.total_credit)),))
    return entry
