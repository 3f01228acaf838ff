"""A batch of Stripe documents -> entries, anomalies and skips, in journal order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from backend.core import credit_notes, invoices
from backend.core.catalog import Catalog
from backend.core.model import Anomaly, Entry, Outcome, Problem, Skipped
from backend.core.settings import Settings

JOURNALED_KINDS = ("invoice", "credit_note")


@dataclass
class JournalResult:
    entries: list[Entry] = field(default_factory=list)
    anomalies: list[Anomaly] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        if isinstance(outcome, Entry):
            self.entries.append(outcome)
        elif isinstance(outcome, Anomaly):
            self.anomalies.append(outcome)
        else:
            self.skipped.append(outcome)

    @property
    def documents(self) -> int:
        return len(self.entries) + len(self.anomalies) + len(self.skipped)


def journal_document(document: dict, catalog: Catalog, settings: Settings,
                     journaled: frozenset[str] | set[str] = frozenset()) -> Outcome:
    """One invoice or credit note. `journaled` holds the ids already in the journal: a void
    document among them gets its reversing entry, any other void is skipped."""
    kind = document.get("object")
    module = invoices if kind == "invoice" else credit_notes
    try:
        if document.get("status") == "void" and document.get("id") in journaled:
            return module.reverse_void(document, catalog, settings)
        if kind == "invoice":
            return invoices.journal_invoice(document, catalog, settings)
        return credit_notes.journal_credit_note(document, catalog, settings)
    except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as exc:
        # A shape no rule foresaw: the document waits for a person, the batch goes on.
        return Anomaly(str(document.get("id") or "?"), str(document.get("number") or ""), "",
                       (Problem.of("malformed", detail=f"{type(exc).__name__}: {exc}"),))


def journal_order(entry: Entry) -> tuple:
    return (entry.date, entry.piece, entry.ref)


def journal_documents(documents: Iterable[dict], catalog: Catalog, settings: Settings,
                      journaled: frozenset[str] | set[str] = frozenset()) -> JournalResult:
    result = JournalResult()
    for document in documents:
        if document.get("object") in JOURNALED_KINDS:
            result.add(journal_document(document, catalog, settings, journaled))
    result.entries.sort(key=journal_order)
    result.anomalies.sort(key=lambda a: (a.number, a.document_id))
    return result
