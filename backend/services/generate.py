"""Generate: what is new in Stripe becomes entries in the sheet, each exactly once.

A run, under the company's lock:
1. reads the catalog (products, customers, tax rates) and the invoices and credit notes
   created since the window start, plus the voids announced by events since the last run;
2. journals them with the core (documents already written are left alone, except a void
   that needs its reversing entry);
3. reconciles with the sheet: a pending write of an earlier run that reached the sheet is
   recorded as written, one that did not is forgotten; an entry whose reference is already in
   the sheet or recorded as written is never written again (even if the accountant cleared
   the tab after her import);
4. records the entries as pending, appends all their rows in one call per tab, records them
   as written; an append whose answer was lost is checked against the sheet before retrying;
5. refreshes the Anomalies tab (a fixed anomaly disappears), adds a line to Historique and
   moves the window: it starts next time at the oldest document still waiting (a draft, an
   anomaly) or at this run's start, whichever is earlier.
"""

from __future__ import annotations

import gc
import os
import socket
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from backend import spreadsheet
from backend.core.catalog import Catalog, ref_id
from backend.core.customers import generate_missing_codes
from backend.core.documents import journal_fields
from backend.core.journal import JournalResult, journal_documents
from backend.core.model import Entry, journal_rows
from backend.core.settings import Settings
from backend.errors import AlreadyRunning, ServiceError
from backend.formats import inexweb
from backend.journal_sheet import REF_COLUMN, entries_tab_title, is_entries_tab
from backend.ports import Progress, Spreadsheet, StripeSource, TabSpec, no_progress
from backend.store.ledger import JournalRecord, LedgerStore

VOID_EVENTS = ["invoice.voided", "credit_note.voided"]
CURSOR_DOCUMENTS = "documents_since"
CURSOR_EVENTS = "events_since"
MARGIN_SECONDS = 3600        # documents created just before a run may be indexed late
APPEND_ATTEMPTS = 3
# Rows per append: one call holds a normal month; a huge one is cut, on entry boundaries, so
# that no request grows past what the Sheets API takes in one body (a few tens of MB).
MAX_APPEND_ROWS = 20_000


@dataclass
class GenerateReport:
    run_id: int
    documents_read: int = 0
    written: list[Entry] = field(default_factory=list)
    rows_written: int = 0
    already_in_sheet: int = 0        # pending writes of an earlier run found in the sheet
    result: JournalResult = field(default_factory=JournalResult)
    calls: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    tabs: dict[str, int] = field(default_factory=dict)   # rows appended per tab

    def summary(self) -> dict:
        return {"documents_read": self.documents_read, "entries_written": len(self.written),
                "rows_written": self.rows_written, "already_in_sheet": self.already_in_sheet,
                "anomalies": len(self.result.anomalies), "skipped": len(self.result.skipped),
                "calls": self.calls, "seconds": round(self.seconds, 3), "tabs": self.tabs}

    def french(self) -> str:
        if not self.written:
            head = "Aucune nouvelle écriture"
        else:
            head = f"{len(self.written)} écriture(s) ajoutée(s) ({self.rows_written} lignes)"
        return (f"{head} ; {len(self.result.anomalies)} anomalie(s) ; "
                f"{self.documents_read} document(s) Stripe lus")


def entry_tab_spec(title: str, settings: Settings) -> TabSpec:
    return TabSpec(title, inexweb.header(settings), date_columns=(0,), amount_columns=(6, 7))


ANOMALIES_SPEC = TabSpec(spreadsheet.ANOMALIES, spreadsheet.ANOMALY_HEADER, datetime_columns=(4,))
HISTORY_SPEC = spreadsheet.HISTORY_SPEC


def settings_spec() -> TabSpec:
    return TabSpec(spreadsheet.SETTINGS, spreadsheet.SETTINGS_HEADER)


def run_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def generate(stripe: StripeSource, sheet: Spreadsheet, store: LedgerStore, settings: Settings,
             company: str, trigger: str = "ligne de commande", now: datetime | None = None,
             progress: Progress = no_progress, max_append_rows: int = MAX_APPEND_ROWS
             ) -> GenerateReport:
    now = now or datetime.now(timezone.utc)
    holder = run_holder()
    if not store.acquire_lock(company, holder, now=now):
        held = store.lock_holder(company)
        raise AlreadyRunning(company, held[0] if held else None)
    run_id = store.start_run(company, "generate", trigger, now=now)
    report = GenerateReport(run_id)
    started = time.perf_counter()
    calls_before = {"stripe": stripe.calls(), "sheets": sheet.calls()}
    try:
        _generate(stripe, sheet, store, settings, company, now, report, progress, trigger,
                  max_append_rows)
    except BaseException as exc:
        report.seconds = time.perf_counter() - started
        store.finish_run(run_id, "failed", {**report.summary(), "error": str(exc)})
        raise
    finally:
        gc.unfreeze()
        store.release_lock(company, holder)
    report.calls = {"stripe": stripe.calls() - calls_before["stripe"],
                    "sheets": sheet.calls() - calls_before["sheets"]}
    report.seconds = time.perf_counter() - started
    store.finish_run(run_id, "ok", report.summary())
    return report


def _window_start(store: LedgerStore, company: str, settings: Settings) -> int | None:
    saved = store.get_cursor(company, CURSOR_DOCUMENTS)
    if saved is not None:
        return int(saved)
    if settings.start_date:
        start = datetime.combine(date.fromisoformat(settings.start_date), datetime.min.time())
        return int(start.replace(tzinfo=ZoneInfo(settings.timezone)).timestamp())
    return None


def _fetch(stripe: StripeSource, store: LedgerStore, company: str, settings: Settings,
           progress: Progress) -> tuple[list[dict], list[dict], int | None]:
    """(catalog objects, documents, window start)."""
    since = _window_start(store, company, settings)
    # Customers come expanded with the documents: no list of every customer is needed.
    catalog = list(stripe.tax_rates()) + list(stripe.products())
    # Only what the rules read is kept of each document: a month of 50,000 invoices in memory.
    documents = {d["id"]: d for d in stripe.invoices(created_gte=since, progress=progress,
                                                     keep=journal_fields)}
    documents.update((d["id"], d) for d in stripe.credit_notes(created_gte=since,
                                                               keep=journal_fields))
    # A credit note finds its products through the lines of the invoice it credits: an invoice
    # older than the window is read on its own (a few calls: credit notes are rare).
    credited = {ref_id(d.get("invoice")) for d in documents.values()
                if d.get("object") == "credit_note"} - set(documents) - {None}
    for invoice_id in sorted(credited):
        try:
            catalog.append(stripe.invoice(invoice_id))
        except ServiceError as exc:
            # An invoice Stripe does not have: its credit note becomes an anomaly (its lines
            # name an unknown invoice line) and the rest of the month is journaled.
            if exc.status != 404:
                raise
    events_since = store.get_cursor(company, CURSOR_EVENTS)
    if events_since is not None:
        for event in stripe.events(VOID_EVENTS, int(events_since)):
            obj = (event.get("data") or {}).get("object") or {}
            if obj.get("id") and obj["id"] not in documents:
                documents[obj["id"]] = obj   # a void of a document older than the window
    return catalog, list(documents.values()), since


def _generate(stripe, sheet, store, settings, company, now, report, progress, trigger,
              max_append_rows) -> None:
    progress("Lecture de Stripe", 0, None)
    # What is fetched lives until the run ends: the cyclic collector would scan the growing
    # month again and again (seconds at 50,000 invoices). It is paused while reading, and what
    # was read is then frozen out of its sight; reference counting frees as usual, and
    # generate() unfreezes at the end.
    paused = gc.isenabled()
    gc.disable()
    try:
        catalog_objects, documents, since = _fetch(stripe, store, company, settings, progress)
    finally:
        if paused:
            gc.enable()
    report.documents_read = len(documents)
    gc.freeze()

    catalog = Catalog().add_all(catalog_objects + documents)
    catalog.customer_codes.update(store.customer_codes(company))
    new_codes = generate_missing_codes(catalog, settings)
    if new_codes:
        store.save_customer_codes(company, new_codes)

    records = store.journal(company)
    written_docs = store.written_documents(company)
    waiting = [d for d in documents if d["id"] not in written_docs
               or (d.get("status") == "void" and f"{d['id']}/annulation" not in records)]
    result = journal_documents(waiting, catalog, settings, written_docs)
    report.result = result

    progress("Rapprochement avec la feuille", 0, None)
    titles = sheet.tab_titles()
    entry_tabs = [t for t in titles if is_entries_tab(t)]
    in_sheet = {str(ref).strip() for refs in sheet.read_column(entry_tabs, REF_COLUMN).values()
                for ref in refs if str(ref).strip()}
    _reconcile_pending(store, company, records, in_sheet, report)

    to_write = [e for e in result.entries if e.ref not in in_sheet and e.ref not in records]
    found_in_sheet = [e for e in result.entries if e.ref in in_sheet and e.ref not in records]
    if found_in_sheet:  # written by a run whose record was lost: the sheet has them, record it
        _record(store, company, found_in_sheet, settings, report.run_id)

    by_tab: dict[str, list[Entry]] = {}
    for entry in to_write:
        by_tab.setdefault(entries_tab_title(settings, entry.date), []).append(entry)
    _ensure_tabs(sheet, settings, titles, sorted(by_tab))
    for title, entries in sorted(by_tab.items()):
        progress("Écriture dans la feuille", report.rows_written, None)
        store.mark_pending(company, _records(entries, title), report.run_id)
        for chunk in _chunks(entries, max_append_rows):
            _append_exactly_once(sheet, title, chunk)
            store.mark_written(company, [e.ref for e in chunk], report.run_id)
        report.written += entries
        report.tabs[title] = sum(len(e.lines) for e in entries)
        report.rows_written += report.tabs[title]

    first_seen = store.sync_anomalies(company, {a.document_id: a.reason for a in result.anomalies},
                                      now=now)
    sheet.replace(ANOMALIES_SPEC, spreadsheet.anomalies_tab(result.anomalies, first_seen)[1])
    spreadsheet.append_history(sheet, trigger, "Génération des écritures", report.french(), now,
                               tab_exists=True)

    # Next window: from the oldest document still waiting, or this run's start.
    waiting_since = [d["created"] for d in documents if isinstance(d.get("created"), int) and (
        d.get("status") == "draft" or d["id"] in first_seen)]
    start = int(now.timestamp()) - MARGIN_SECONDS
    store.set_cursor(company, CURSOR_DOCUMENTS, str(min([start] + waiting_since)))
    store.set_cursor(company, CURSOR_EVENTS, str(start))


def _ensure_tabs(sheet: Spreadsheet, settings: Settings, titles: list[str],
                 entry_tabs: list[str]) -> None:
    """Create what the run writes to and the sheet lacks; a new Paramètres tab gets the
    settings in force, for the accountant to edit."""
    wanted = [entry_tab_spec(t, settings) for t in entry_tabs] + [
        ANOMALIES_SPEC, settings_spec(), HISTORY_SPEC]
    missing = [spec for spec in wanted if spec.title not in titles]
    if not missing:
        return
    created = sheet.ensure_tabs(missing)
    if spreadsheet.SETTINGS in created:
        sheet.replace(settings_spec(), spreadsheet.settings_tab(settings)[1])


def _records(entries: list[Entry], tab: str) -> list[JournalRecord]:
    return [JournalRecord(e.ref, e.document_id, e.kind, e.piece, e.date, tab, "pending", None)
            for e in entries]


def _record(store, company, entries, settings, run_id) -> None:
    grouped: dict[str, list[Entry]] = {}
    for e in entries:
        grouped.setdefault(entries_tab_title(settings, e.date), []).append(e)
    for tab, items in grouped.items():
        store.mark_pending(company, _records(items, tab), run_id)
        store.mark_written(company, [e.ref for e in items], run_id)


def _reconcile_pending(store, company, records, in_sheet, report) -> None:
    pending = [r.ref for r in records.values() if r.status == "pending"]
    landed = [ref for ref in pending if ref in in_sheet]
    lost = [ref for ref in pending if ref not in in_sheet]
    if landed:
        store.mark_written(company, landed, report.run_id)
        report.already_in_sheet += len(landed)
        for ref in landed:
            records[ref] = replace(records[ref], status="written")
    if lost:
        store.forget_pending(company, lost)
        for ref in lost:
            records.pop(ref, None)


def _chunks(entries: list[Entry], max_rows: int) -> list[list[Entry]]:
    chunks: list[list[Entry]] = [[]]
    rows = 0
    for entry in entries:
        if chunks[-1] and rows + len(entry.lines) > max_rows:
            chunks.append([])
            rows = 0
        chunks[-1].append(entry)
        rows += len(entry.lines)
    return chunks


def _append_exactly_once(sheet: Spreadsheet, title: str, entries: list[Entry]) -> None:
    """Append the entries' rows; when an answer is lost, look at the sheet before retrying,
    so that rows that did land are not written twice."""
    remaining = entries
    for attempt in range(1, APPEND_ATTEMPTS + 1):
        try:
            sheet.append(title, [inexweb.sheet_values(r) for r in journal_rows(remaining)])
            return
        except ServiceError as exc:
            if not exc.transient or attempt == APPEND_ATTEMPTS:
                raise
            landed = {str(r).strip() for r in sheet.read_column([title], REF_COLUMN)[title]}
            remaining = [e for e in remaining if e.ref not in landed]
            if not remaining:
                return
            time.sleep(0.2 * attempt)
