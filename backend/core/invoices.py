"""Invoices -> entries of the sales journal.

Invoices that are `open`, `paid` or `uncollectible` are journaled; drafts are ignored; a zero
total makes no entry. A void invoice is never journaled; one voided after it was journaled
gets a reversing entry dated when it was voided (`reverse_void`).
The customer's balance (`starting_balance`, `amount_due`) never changes the entry: it is a
settlement matter, the sale is `total`.
"""

from __future__ import annotations

from backend.core.catalog import Catalog, line_product_id
from backend.core.dates import invoice_timestamp
from backend.core.documents import journal_sale, reverse_after_void
from backend.core.model import Outcome, Problem, Skipped
from backend.core.revenue import product_target
from backend.core.settings import Settings

JOURNALED_STATUSES = ("open", "paid", "uncollectible")


def journal_invoice(invoice: dict, catalog: Catalog, settings: Settings) -> Outcome:
    """The entry of a finalized invoice, or why there is none."""
    status = invoice.get("status")
    if status == "draft":
        return Skipped(invoice.get("id") or "?", invoice.get("number") or "", "draft")
    if status == "void":
        return Skipped(invoice.get("id") or "?", invoice.get("number") or "",
                       "void_before_journaled")
    problems = []
    if status not in JOURNALED_STATUSES:
        problems.append(Problem.of("malformed", detail=f"statut inconnu {status!r}"))
    if not invoice.get("number"):
        problems.append(Problem.of("malformed", detail="facture sans numéro"))

    def target_of(line: dict):
        return product_target(line_product_id(line), catalog, line.get("id") or "?")

    return journal_sale(invoice, kind="invoice", word="Facture", sign=1,
                        timestamp=invoice_timestamp(invoice), target_of=target_of,
                        problems=problems, catalog=catalog, settings=settings)


def reverse_void(invoice: dict, catalog: Catalog, settings: Settings) -> Outcome:
    """For an invoice voided after it was journaled: its entry turned around, at `voided_at`."""
    return reverse_after_void(journal_invoice({**invoice, "status": "open"}, catalog, settings),
                              (invoice.get("status_transitions") or {}).get("voided_at"), settings)
