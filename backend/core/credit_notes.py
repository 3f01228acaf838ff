"""Credit notes -> the reversed entry: the customer credited, revenue and VAT debited.

Each line's account and sections come from the product of the invoice line it credits; a
custom line (a goodwill gesture, with no invoice line) goes to a configurable account.
Dated at `created`. A credit note voided before it was journaled makes no entry; one voided
after gets a reversing entry at `voided_at` (`reverse_void`).
"""

from __future__ import annotations

from backend.core.catalog import Catalog, line_product_id
from backend.core.customers import customer_of
from backend.core.dates import local_date
from backend.core.entries import assemble
from backend.core.invoices import document_problems
from backend.core.model import Anomaly, Entry, Outcome, Problem, Skipped, reversal
from backend.core.revenue import no_sections_target, product_target, revenue_by_target
from backend.core.settings import Settings
from backend.core.vat import vat_by_account


def journal_credit_note(note: dict, catalog: Catalog, settings: Settings) -> Outcome:
    note_id = note.get("id") or "?"
    number = note.get("number") or ""
    if note.get("status") == "void":
        return Skipped(note_id, number, "void_before_journaled")
    problems = document_problems(note, settings)
    if not number:
        problems.append(Problem.of("malformed", detail="avoir sans numéro"))
    if note.get("created") is None:
        problems.append(Problem.of("malformed", detail="aucune date"))
    code, name, found = customer_of(note, catalog)
    if any(p.code == "malformed" for p in problems):
        return Anomaly(note_id, number, name, tuple(problems))
    if note["total"] == 0:
        return Skipped(note_id, number, "zero_total")
    problems += found

    def target_of(line: dict):
        invoice_line_id = line.get("invoice_line_item")
        if line.get("type") == "custom_line_item" or not invoice_line_id:
            return no_sections_target(settings.credit_note_custom_account), []
        invoice_line = catalog.invoice_lines.get(invoice_line_id)
        if invoice_line is None:
            return None, [Problem.of("unknown_invoice_line", line=line.get("id") or "?",
                                     invoice_line=invoice_line_id)]
        return product_target(line_product_id(invoice_line), catalog, invoice_line_id)

    revenue, found = revenue_by_target(note["lines"]["data"], target_of, catalog, settings)
    problems += found
    vat, found = vat_by_account(note, catalog, settings)
    problems += found
    if problems:
        return Anomaly(note_id, number, name, tuple(problems))
    return assemble(document_id=note_id, number=number, kind="credit_note",
                    on=local_date(note["created"], settings.timezone),
                    label=f"Avoir {number} {name}".strip(), customer_code=code,
                    customer_name=name, total=note["total"], revenue=revenue, vat=vat,
                    sign=-1, settings=settings)


def reverse_void(note: dict, catalog: Catalog, settings: Settings) -> Outcome:
    as_journaled = journal_credit_note({**note, "status": "issued"}, catalog, settings)
    if not isinstance(as_journaled, Entry):
        return as_journaled
    if note.get("voided_at") is None:
        return Anomaly(as_journaled.document_id, as_journaled.piece, "", (
            Problem.of("malformed", detail="avoir annulé sans date d'annulation"),))
    return reversal(as_journaled, local_date(note["voided_at"], settings.timezone))
