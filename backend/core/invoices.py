"""Invoices -> entries of the sales journal.

Invoices that are `open`, `paid` or `uncollectible` are journaled; drafts are ignored; a zero
total makes no entry. A void invoice is never journaled; one voided after it was journaled
gets a reversing entry dated when it was voided (`reverse_void`).
The customer's balance (`starting_balance`, `amount_due`) never changes the entry: it is a
settlement matter, the sale is `total`.
"""

from __future__ import annotations

from backend.core.catalog import Catalog, line_product_id
from backend.core.customers import customer_of
from backend.core.dates import invoice_timestamp, local_date
from backend.core.entries import assemble
from backend.core.model import Anomaly, Entry, Outcome, Problem, Skipped, reversal
from backend.core.revenue import product_target, revenue_by_target
from backend.core.settings import Settings
from backend.core.vat import vat_by_account

JOURNALED_STATUSES = ("open", "paid", "uncollectible")


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


def journal_invoice(invoice: dict, catalog: Catalog, settings: Settings) -> Outcome:
    """The entry of a finalized invoice, or why there is none."""
    invoice_id = invoice.get("id") or "?"
    number = invoice.get("number") or ""
    status = invoice.get("status")
    if status == "draft":
        return Skipped(invoice_id, number, "draft")
    if status == "void":
        return Skipped(invoice_id, number, "void_before_journaled")
    problems = document_problems(invoice, settings)
    if status not in JOURNALED_STATUSES:
        problems.append(Problem.of("malformed", detail=f"statut inconnu {status!r}"))
    if not number:
        problems.append(Problem.of("malformed", detail="facture sans numéro"))
    timestamp = invoice_timestamp(invoice)
    if timestamp is None:
        problems.append(Problem.of("malformed", detail="aucune date"))
    code, name, found = customer_of(invoice, catalog)
    if any(p.code == "malformed" for p in problems):
        return Anomaly(invoice_id, number, name, tuple(problems))
    if invoice["total"] == 0:
        return Skipped(invoice_id, number, "zero_total")
    problems += found

    def target_of(line: dict):
        return product_target(line_product_id(line), catalog, line.get("id") or "?")

    revenue, found = revenue_by_target(invoice["lines"]["data"], target_of, catalog, settings)
    problems += found
    vat, found = vat_by_account(invoice, catalog, settings)
    problems += found
    if problems:
        return Anomaly(invoice_id, number, name, tuple(problems))
    return assemble(document_id=invoice_id, number=number, kind="invoice",
                    on=local_date(timestamp, settings.timezone),
                    label=f"Facture {number} {name}".strip(), customer_code=code,
                    customer_name=name, total=invoice["total"], revenue=revenue, vat=vat,
                    sign=1, settings=settings)


def reverse_void(invoice: dict, catalog: Catalog, settings: Settings) -> Outcome:
    """For an invoice voided after it was journaled: its entry turned around, at `voided_at`."""
    voided_at = (invoice.get("status_transitions") or {}).get("voided_at")
    as_journaled = journal_invoice({**invoice, "status": "open"}, catalog, settings)
    if not isinstance(as_journaled, Entry):
        return as_journaled
    if voided_at is None:
        return Anomaly(as_journaled.document_id, as_journaled.piece, "", (
            Problem.of("malformed", detail="facture annulée sans date d'annulation"),))
    return reversal(as_journaled, local_date(voided_at, settings.timezone))
