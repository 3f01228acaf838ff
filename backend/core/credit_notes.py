"""Credit notes -> the reversed entry: the customer credited, revenue and VAT debited.

Each line's account and sections come from the product of the invoice line it credits; a
custom line (a goodwill gesture, with no invoice line) goes to a configurable account.
Dated at `created`. A credit note voided before it was journaled makes no entry; one voided
after gets a reversing entry at `voided_at` (`reverse_void`).
"""

from __future__ import annotations

from backend.core.catalog import Catalog, line_product_id
from backend.core.documents import journal_sale, reverse_after_void
from backend.core.model import Outcome, Problem, Skipped
from backend.core.revenue import no_sections_target, product_target
from backend.core.settings import Settings


def journal_credit_note(note: dict, catalog: Catalog, settings: Settings) -> Outcome:
    if note.get("status") == "void":
        return Skipped(note.get("id") or "?", note.get("number") or "", "void_before_journaled")
    problems = []
    if not note.get("number"):
        problems.append(Problem.of("malformed", detail="avoir sans numéro"))

    def target_of(line: dict):
        invoice_line_id = line.get("invoice_line_item")
        if line.get("type") == "custom_line_item" or not invoice_line_id:
            return no_sections_target(settings.credit_note_custom_account), []
        invoice_line = catalog.invoice_lines.get(invoice_line_id)
        if invoice_line is None:
            return None, [Problem.of("unknown_invoice_line", line=line.get("id") or "?",
                                     invoice_line=invoice_line_id)]
        return product_target(line_product_id(invoice_line), catalog, invoice_line_id)

    created = note.get("created")
    return journal_sale(note, kind="credit_note", word="Avoir", sign=-1,
                        timestamp=created if isinstance(created, int) else None,
                        target_of=target_of, problems=problems, catalog=catalog,
                        settings=settings)


def reverse_void(note: dict, catalog: Catalog, settings: Settings) -> Outcome:
    return reverse_after_void(journal_credit_note({**note, "status": "issued"}, catalog, settings),
                              note.get("voided_at"), settings)
