"""What invoices and credit notes share: the checks of a document's shape, and the way from
a document to its entry once its own rules have said where each line goes."""

from __future__ import annotations

from backend.core.catalog import Catalog
from backend.core.customers import customer_of
from backend.core.dates import journal_day, local_date
from backend.core.entries import assemble
from backend.core.model import Anomaly, Entry, Outcome, Problem, Skipped, reversal
from backend.core.revenue import TargetOf, revenue_by_target
from backend.core.settings import Settings
from backend.core.vat import vat_by_account


def document_problems(document: dict, settings: Settings) -> list[Problem]:
    """What makes any document unreadable or out of scope, before its amounts are looked at."""
    problems = []
    currency = (document.get("currency") or "").lower()
    if currency != settings.currency.lower():
        problems.append(Problem.of("currency", currency=currency.upper() or "?"))
    if not isinstance(document.get("total"), int) or isinstance(document.get("total"), bool):
        problems.append(Problem.of("malformed", detail="total manquant ou non entier"))
    lines = document.get("lines")
    if not isinstance(lines, dict) or not isinstance(lines.get("data"), list):
        problems.append(Problem.of("malformed", detail="lignes absentes"))
    elif lines.get("has_more"):
        problems.append(Problem.of("malformed", detail="lignes incomplètes (has_more)"))
    else:
        problems += [Problem.of("malformed", detail=d) for d in _amount_faults(document)]
    return problems


def _is_cents(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _amount_faults(document: dict) -> list[str]:
    """Amounts that are not integer cents: they would make a wrong entry, not a crash."""
    faults = []
    for tax in document.get("total_taxes") or []:
        if not isinstance(tax, dict) or not _is_cents(tax.get("amount")):
            faults.append("montant de TVA illisible")
    for line in document["lines"]["data"]:
        line_id = line.get("id", "?") if isinstance(line, dict) else "?"
        if not isinstance(line, dict) or not _is_cents(line.get("amount")):
            faults.append(f"ligne {line_id} : montant illisible")
            continue
        nested = (line.get("discount_amounts") or []) + (line.get("taxes") or [])
        if not all(isinstance(x, dict) and _is_cents(x.get("amount")) for x in nested):
            faults.append(f"ligne {line_id} : remise ou taxe illisible")
        if "discount_amount" in line and not _is_cents(line["discount_amount"] or 0):
            faults.append(f"ligne {line_id} : remise illisible")
    return faults


def journal_sale(document: dict, *, kind: str, word: str, sign: int, timestamp,
                 target_of: TargetOf, problems: list[Problem], catalog: Catalog,
                 settings: Settings) -> Outcome:
    """The entry of an invoice (`sign` 1) or a credit note (`sign` -1), or why there is none.

    `problems` holds what the document's own rules found already; the customer, the
    revenue lines and the VAT add theirs, and every one of them is reported at once.
    """
    document_id = document.get("id") or "?"
    number = document.get("number") or ""
    problems = document_problems(document, settings) + problems
    on = None
    if timestamp is None:
        problems.append(Problem.of("malformed", detail="aucune date"))
    else:
        on, reason = journal_day(timestamp, settings.timezone)
        if reason:
            problems.append(Problem.of("malformed", detail=reason))
    code, name, found = customer_of(document, catalog)
    if any(p.code == "malformed" for p in problems):
        return Anomaly(document_id, number, name, tuple(problems))
    if document["total"] == 0:
        return Skipped(document_id, number, "zero_total")
    problems += found
    revenue, found = revenue_by_target(document["lines"]["data"], target_of, catalog, settings)
    problems += found
    vat, found = vat_by_account(document, catalog, settings)
    problems += found
    if problems:
        return Anomaly(document_id, number, name, tuple(problems))
    return assemble(document_id=document_id, number=number, kind=kind,
                    on=on,
                    label=f"{word} {number} {name}".strip(), customer_code=code,
                    customer_name=name, total=document["total"], revenue=revenue, vat=vat,
                    sign=sign, settings=settings)


def reverse_after_void(as_journaled: Outcome, voided_at: int | None, settings: Settings) -> Outcome:
    """The entry of a document voided after it was journaled, turned around at `voided_at`."""
    if not isinstance(as_journaled, Entry):
        return as_journaled
    if voided_at is None:
        return Anomaly(as_journaled.document_id, as_journaled.piece, "", (
            Problem.of("malformed", detail="annulée sans date d'annulation"),))
    return reversal(as_journaled, local_date(voided_at, settings.timezone))


# What the rules read of a document and of its lines; the rest of Stripe's fields (URLs,
# payment settings, rendering...) is most of an invoice's size and is dropped by
# `journal_fields` when a big month is held in memory.
DOCUMENT_FIELDS = ("id", "object", "number", "status", "currency", "customer", "customer_name",
                   "customer_email", "total", "total_taxes", "status_transitions",
                   "effective_at", "created", "invoice", "voided_at")
LINE_FIELDS = ("id", "object", "invoice", "amount", "discount_amounts", "discount_amount",
               "taxes", "tax_rates", "pricing", "invoice_line_item", "type")


def journal_fields(document: dict) -> dict:
    """The document with only what the journal rules read (same entries, a fraction of the
    memory). A document of an unexpected shape is kept whole, for the rules to report it."""
    lines = document.get("lines") if isinstance(document, dict) else None
    if not isinstance(lines, dict) or not isinstance(lines.get("data"), list) or not all(
            isinstance(line, dict) for line in lines["data"]):
        return document
    kept = {k: document[k] for k in DOCUMENT_FIELDS if k in document}
    kept["lines"] = {"object": lines.get("object"), "has_more": lines.get("has_more"),
                     "data": [{k: line[k] for k in LINE_FIELDS if k in line}
                              for line in lines["data"]]}
    return kept
