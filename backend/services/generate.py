"""Generate: what is new in Stripe becomes entries in the sheet, each exactly once.

A run, under the company's lock:
1. reads the catalog (products, customers, tax rates) and the invoices and credit notes
   created since the window start, plus the documents voided since the last run that the
   window does not hold (created before it, journaled by an earlier run);
2. reconciles with the sheet: a pending write of an earlier run that reached the sheet is
   recorded as written, one that did not is forgotten (before journaling, so that a document
   voided since a crashed run wrote it gets its reversing entry);
3. journals them with the core (documents already written are left alone, except a void
   that needs its reversing entry); an entry whose reference is already in the sheet or
   recorded as written is never written again (even if the accountant cleared the tab after
   her import);
4. records the entries as pending, appends all their rows in one call per tab, records them
   as written; an append whose answer was lost is checked against the sheet before retrying;
5. refreshes the Anomalies tab (a fixed anomaly disappears), adds a line to Historique and
   moves the window: it starts next time at the oldest document still waiting (a draft, an
   anomaly) or at this run's start, whichever is earlier.

Voids and late finalizations, whatever the gap between two successful runs. Stripe's events
are hints: a `invoice.voided` or `credit_note.voided` event only names a document, read again
by id in the pinned API version (an event's payload is rendered in the account's API version
of its time: on an account older than 2025-03-31.basil its invoice lines have no
`pricing.price_details.product`). Stripe keeps events 30 days; when the last run's events
cursor is older than that less two days, the run does not use them: it lists the void
invoices (Stripe's `status=void` filter) and the credit notes created since the first run's
window start, and keeps those journaled and not yet reversed. That costs one call per hundred
voids (credit notes: per hundred credit notes) instead of one call per journaled document to
re-read them all, and nothing at all when nothing journaled is left unreversed. Late
finalizations need no event: a draft holds the window at its creation, so the next run,
however late, lists it again once it is final.
"""

from __future__ import annotations

import gc
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from backend import spreadsheet
from backend.backoff import Backoff
from backend.core.catalog import Catalog, ref_id
from backend.core.customers import generate_missing_codes
from backend.core.documents import journal_fields
from backend.core.journal import JournalResult, journal_documents
from backend.core.model import Entry, journal_rows
from backend.core.settings import Settings
from backend.errors import ServiceError
from backend.formats import inexweb
from backend.journal_sheet import REF_COLUMN, entries_tab_title, is_entries_tab
from backend.ports import Progress, Spreadsheet, StripeSource, TabSpec, no_progress
from backend.services.locked import DEFAULT_LEASE, Lease, checkpoint, run_locked
from backend.services.sheet_journal import french_month
from backend.store.ledger import JournalRecord, LedgerStore

log = logging.getLogger(__name__)

VOID_EVENTS = ["invoice.voided", "credit_note.voided"]
CURSOR_DOCUMENTS = "documents_since"
CURSOR_EVENTS = "events_since"
CURSOR_JOURNAL_START = "journal_start"   # the first window start: nothing older is journaled
# Stripe lists events of the last 30 days only; a cursor older than this, less a margin for
# clocks and long runs, means some events may be gone: voids are then listed instead.
EVENT_RETENTION_SECONDS = 30 * 24 * 3600
EVENTS_TRUSTED_SECONDS = EVENT_RETENTION_SECONDS - 2 * 24 * 3600
MARGIN_SECONDS = 3600        # documents created just before a run may be indexed late
APPEND_ATTEMPTS = 4
# One append holds a normal month; a bigger one is cut, on entry boundaries, by rows and by
# the size of its JSON body: Google recommends 2 MB at most per request, and a smaller request
# also stays far from Google's 180-second deadline. 1.5 MB keeps a quarter in hand (the same
# limit as the Sheets adapter's MAX_REQUEST_BYTES).
MAX_APPEND_ROWS = 20_000
MAX_APPEND_BYTES = 1_500_000
# The stages the progress bar shows (backend/jobs/actions.py ACTIONS["generate"]): reading
# counts the documents read, page by page; writing counts the appends ("lot 2 sur 5").
READ_STAGE = "Lecture de Stripe"
PAGE_OF_CREDIT_NOTES = 100       # Stripe's page
RECONCILE_STAGE = "Rapprochement avec la feuille"
WRITE_STAGE = "Écriture dans la feuille"


@dataclass(frozen=True)
class AppendPolicy:
    """How the rows of a run are appended. `max_bytes`: the largest JSON body of one append.
    An append whose outcome is unknown (a 5xx, a lost answer) is tried at most `attempts`
    times in all, each retry after Google's backoff (1 s, 2 s, 4 s… plus up to a second) and
    a look at the sheet. `backoff` is injectable so that tests run on a simulated clock."""

    max_bytes: int = MAX_APPEND_BYTES
    attempts: int = APPEND_ATTEMPTS
    backoff: Backoff = Backoff()

    def pause(self, retry: int) -> None:
        self.backoff.sleep(self.backoff.delay(retry))


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
    # What was read and why (the wording of a second run, which reads fewer documents than
    # the first): the window's first day in the company's zone (None: the whole account),
    # why it starts there, and how many of the documents read were already journaled.
    window_day: date | None = None
    window_from: str = ""            # "" (first run), "waiting", "last_run"
    already_journaled: int = 0

    def summary(self) -> dict:
        return {"documents_read": self.documents_read, "entries_written": len(self.written),
                "rows_written": self.rows_written, "already_in_sheet": self.already_in_sheet,
                "already_journaled": self.already_journaled,
                "anomalies": len(self.result.anomalies), "skipped": len(self.result.skipped),
                "calls": self.calls, "seconds": round(self.seconds, 3), "tabs": self.tabs}

    def french(self) -> str:
        if not self.written:
            head = "Aucune nouvelle écriture"
        else:
            head = f"{len(self.written)} écriture(s) ajoutée(s) ({self.rows_written} lignes)"
        return (f"{head} ; {len(self.result.anomalies)} anomalie(s) ; "
                f"{self.documents_read} document(s) Stripe lus{self._why_read()}")

    def _why_read(self) -> str:
        """A run after the first reads only the window since the last run (from its oldest
        document still waiting, if older): fewer documents than the first, most of them
        already journaled and left as they are. Said, so that the counts can be compared."""
        if not self.window_from or self.window_day is None:
            return ""
        day = self.window_day
        why = ("date du plus ancien document encore en attente" if self.window_from == "waiting"
               else "date de la dernière génération, moins une heure de marge")
        first = "1er" if day.day == 1 else str(day.day)
        text = f" : ceux créés depuis le {first} {french_month(day.strftime('%Y-%m'))} ({why})"
        if self.already_journaled:
            text += (f", dont {self.already_journaled} déjà dans le journal et laissé(s) "
                     "tel(s) quel(s)")
        return text


def entry_tab_spec(title: str, settings: Settings) -> TabSpec:
    return TabSpec(title, inexweb.header(settings), date_columns=(0,), amount_columns=(6, 7))


ANOMALIES_SPEC = TabSpec(spreadsheet.ANOMALIES, spreadsheet.ANOMALY_HEADER, datetime_columns=(4,))
HISTORY_SPEC = spreadsheet.HISTORY_SPEC


def settings_spec() -> TabSpec:
    return TabSpec(spreadsheet.SETTINGS, spreadsheet.SETTINGS_HEADER)


def generate(stripe: StripeSource, sheet: Spreadsheet, store: LedgerStore, settings: Settings,
             company: str, trigger: str = "ligne de commande", now: datetime | None = None,
             progress: Progress = no_progress, max_append_rows: int = MAX_APPEND_ROWS,
             appends: AppendPolicy = AppendPolicy(),
             lease: Lease = DEFAULT_LEASE) -> GenerateReport:
    now = now or datetime.now(timezone.utc)
    with run_locked(store, company, "generate", trigger, now=now, lease=lease) as run:
        report = GenerateReport(run.id)
        run.summary = report.summary
        started = time.perf_counter()
        calls_before = {"stripe": stripe.calls(), "sheets": sheet.calls()}
        # What is fetched lives until the run ends: the cyclic collector would scan the
        # growing month again and again (seconds at 50,000 invoices). It is paused for the
        # run; reference counting frees as usual. Not gc.freeze(): once unfrozen, the whole
        # process lands in the oldest generation uncounted, and the collector's rule for a
        # full collection then never fires again (a long-lived worker kept every cycle).
        # Runs overlapping in threads: the one that paused it resumes it.
        paused = gc.isenabled()
        gc.disable()
        try:
            # Each progress report is a safe point to stop at (SIGTERM, a lost lease).
            _generate(stripe, sheet, store, settings, company, now, report, run.guard(progress),
                      trigger, max_append_rows, appends)
        finally:
            if paused:
                gc.enable()
            report.seconds = time.perf_counter() - started
        report.calls = {"stripe": stripe.calls() - calls_before["stripe"],
                        "sheets": sheet.calls() - calls_before["sheets"]}
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
           progress: Progress, records: dict[str, JournalRecord], now: datetime
           ) -> tuple[list[dict], list[dict], int | None]:
    """(catalog objects, documents, window start). `records`: the company's journal as the
    run found it; `now`: the run's time."""
    since = _window_start(store, company, settings)
    _remember_journal_start(store, company, since)
    # Customers come expanded with the documents: no list of every customer is needed.
    catalog = list(stripe.tax_rates()) + list(stripe.products())
    # Only what the rules read is kept of each document: a month of 50,000 invoices in memory.
    # The bar moves per page read: the adapter counts the invoices page by page; the credit
    # notes (a page or two) are counted here as they come, after the invoices.
    documents = {d["id"]: d for d in stripe.invoices(
        created_gte=since, progress=lambda _stage, done, _total: progress(READ_STAGE, done, None),
        keep=journal_fields)}
    invoices_read = len(documents)
    for n, document in enumerate(stripe.credit_notes(created_gte=since, keep=journal_fields), 1):
        documents[document["id"]] = document
        if n % PAGE_OF_CREDIT_NOTES == 0:
            progress(READ_STAGE, invoices_read + n, None)
    progress(READ_STAGE, len(documents), None)
    # Voids of documents older than the window (journaled by an earlier run): their
    # reversing entries are due now.
    for document in _voided_since_last_run(stripe, store, company, set(documents),
                                           _journaled_unreversed(records),
                                           int(now.timestamp())):
        documents.setdefault(document["id"], document)
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
    return catalog, list(documents.values()), since


def _voided_since_last_run(stripe: StripeSource, store: LedgerStore, company: str,
                           listed: set[str], unreversed: dict[str, str], now: int
                           ) -> list[dict]:
    """Documents journaled by an earlier run (not yet reversed) and voided since, that the
    window's listing does not hold, as Stripe shows them now in the pinned version.

    An event is only a hint: it names a document, which is read again by id (Stripe renders
    an event's `data.object` in the account's API version of the time, which may predate
    the shapes the rules read). Stripe lists events of the last 30 days only: when the last
    run's cursor is older than that (less a margin), some voids have left the events, so
    the voids are listed instead (see `_voids_listed`)."""
    events_since = store.get_cursor(company, CURSOR_EVENTS)
    if events_since is None:
        return []   # the first run: nothing journaled yet, nothing to reverse
    if now - int(events_since) > EVENTS_TRUSTED_SECONDS:
        return _voids_listed(stripe, store, company, unreversed)
    named: dict[str, str] = {}
    for event in stripe.events(VOID_EVENTS, int(events_since)):
        obj = (event.get("data") or {}).get("object") or {}
        if isinstance(obj.get("id"), str) and obj["id"] not in listed:
            named[obj["id"]] = obj.get("object") or event.get("type", "").split(".")[0]
    found = []
    for document_id in sorted(named):
        if document_id not in unreversed:
            continue   # voided before it was journaled, or already reversed
        read = stripe.credit_note if named[document_id] == "credit_note" else stripe.invoice
        try:
            found.append(read(document_id))
        except ServiceError as exc:
            # Stripe deletes only drafts, which cannot be voided: nothing to reverse.
            if exc.status != 404:
                raise
            log.warning("void event names %s, which Stripe does not have", document_id)
    return found


def _voids_listed(stripe: StripeSource, store: LedgerStore, company: str,
                  unreversed: dict[str, str]) -> list[dict]:
    """Every void among the documents journaled and not yet reversed, without events.

    The cheapest correct way: Stripe lists invoices by status, so one call per hundred void
    invoices (credit notes have no status filter, but are rare: one call per hundred). The
    listing starts at the first run's window start: no earlier document was ever journaled
    (window starts never move back). Re-reading each journaled document by id instead would
    cost one call per document of the whole history. Nothing is read when nothing journaled
    is left unreversed."""
    if not unreversed:
        return []
    # "0" or unknown (a store older than this cursor): from the beginning.
    start = int(store.get_cursor(company, CURSOR_JOURNAL_START) or 0) or None
    found = [d for d in stripe.invoices(created_gte=start, status="void", keep=journal_fields)
             if d["id"] in unreversed]
    if "credit_note" in unreversed.values():
        found += [d for d in stripe.credit_notes(created_gte=start, keep=journal_fields)
                  if d.get("status") == "void" and d["id"] in unreversed]
    return found


def _journaled_unreversed(records: dict[str, JournalRecord]) -> dict[str, str]:
    """Document id -> kind, for every invoice and credit note with an entry on record
    (written, or pending: a pending one may be in the sheet) and no reversing entry."""
    reversed_ = {r.document_id for r in records.values() if r.kind == "reversal"}
    return {r.document_id: r.kind for r in records.values()
            if r.kind in ("invoice", "credit_note") and r.document_id not in reversed_}


def _remember_journal_start(store: LedgerStore, company: str, since: int | None) -> None:
    """Until a run has moved the window, keep the earliest window start ("0": none), below
    which nothing is ever journaled: where a listing of voids can start."""
    if store.get_cursor(company, CURSOR_DOCUMENTS) is not None:
        return
    saved = store.get_cursor(company, CURSOR_JOURNAL_START)
    start = since or 0
    if saved is None or start < int(saved):
        store.set_cursor(company, CURSOR_JOURNAL_START, str(start))


def _generate(stripe, sheet, store, settings, company, now, report, progress, trigger,
              max_append_rows, appends) -> None:
    progress(READ_STAGE, 0, None)
    records = store.journal(company)
    first_run = store.get_cursor(company, CURSOR_DOCUMENTS) is None
    catalog_objects, documents, since = _fetch(stripe, store, company, settings, progress,
                                               records, now)
    report.documents_read = len(documents)
    _explain_window(report, documents, since, first_run, settings)

    catalog = Catalog().add_all(catalog_objects + documents)
    catalog.customer_codes.update(store.customer_codes(company))
    new_codes = generate_missing_codes(catalog, settings)
    if new_codes:
        store.save_customer_codes(company, new_codes)

    # Reconciled before journaling: an entry of a crashed run that reached the sheet is
    # written, so a void of its document since then needs a reversing entry, not a skip
    # as "voided before it was journaled".
    progress(RECONCILE_STAGE, 0, None)
    titles = sheet.tab_titles()
    entry_tabs = [t for t in titles if is_entries_tab(t)]
    in_sheet = {str(ref).strip() for refs in sheet.read_column(entry_tabs, REF_COLUMN).values()
                for ref in refs if str(ref).strip()}
    _reconcile_pending(store, company, records, in_sheet, report)

    written_docs = store.written_documents(company)
    waiting = [d for d in documents if d["id"] not in written_docs
               or (d.get("status") == "void" and f"{d['id']}/annulation" not in records)]
    report.already_journaled = len(documents) - len(waiting)
    result = journal_documents(waiting, catalog, settings, written_docs)
    report.result = result

    to_write = [e for e in result.entries if e.ref not in in_sheet and e.ref not in records]
    found_in_sheet = [e for e in result.entries if e.ref in in_sheet and e.ref not in records]
    if found_in_sheet:  # written by a run whose record was lost: the sheet has them, record it
        _record(store, company, found_in_sheet, settings, report.run_id)

    by_tab: dict[str, list[Entry]] = {}
    for entry in to_write:
        by_tab.setdefault(entries_tab_title(settings, entry.date), []).append(entry)
    _ensure_tabs(sheet, settings, titles, sorted(by_tab))
    # The appends planned before the first (their count is the bar's "lot 2 sur 5"): sizes
    # only, the rows themselves are made again one append at a time.
    plans = {title: _plan_chunks(entries, max_append_rows, appends.max_bytes)
             for title, entries in by_tab.items()}
    batches = sum(len(plan) for plan in plans.values())
    batch = 0
    for title, entries in sorted(by_tab.items()):
        store.mark_pending(company, _records(entries, title), report.run_id)
        for chunk in _planned_chunks(entries, plans[title]):
            progress(WRITE_STAGE, batch, batches)
            checkpoint()   # between appends: what is left stays pending, for the next run
            _append_exactly_once(sheet, title, chunk, appends)
            store.mark_written(company, [e.ref for e, _ in chunk], report.run_id)
            batch += 1
        report.written += entries
        report.tabs[title] = sum(len(e.lines) for e in entries)
        report.rows_written += report.tabs[title]

    if batches:
        progress(WRITE_STAGE, batches, batches)
    first_seen = store.sync_anomalies(company, {a.document_id: a.reason for a in result.anomalies},
                                      now=now)
    sheet.replace(ANOMALIES_SPEC, spreadsheet.anomalies_tab(result.anomalies, first_seen,
                                                            settings.timezone)[1])
    spreadsheet.append_history(sheet, trigger, "Génération des écritures", report.french(), now,
                               tab_exists=True, zone=settings.timezone)

    # Next window: from the oldest document still waiting, or this run's start.
    waiting_since = [d["created"] for d in documents if isinstance(d.get("created"), int) and (
        d.get("status") == "draft" or d["id"] in first_seen)]
    start = int(now.timestamp()) - MARGIN_SECONDS
    store.set_cursor(company, CURSOR_DOCUMENTS, str(min([start] + waiting_since)))
    store.set_cursor(company, CURSOR_EVENTS, str(start))


def _explain_window(report: GenerateReport, documents: list[dict], since: int | None,
                    first_run: bool, settings: Settings) -> None:
    """Where the window started and why, for the report's wording: a run after the first
    starts at the last run's start (less the margin) or, when older, at the oldest document
    still waiting then (a draft, an anomaly), which is read again."""
    if first_run or since is None:
        return
    zone = ZoneInfo(settings.timezone)
    report.window_day = datetime.fromtimestamp(since, zone).date()
    report.window_from = ("waiting" if any(d.get("created") == since for d in documents)
                          else "last_run")


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


def _chunks(entries: list[Entry], max_rows: int, max_bytes: int = MAX_APPEND_BYTES
            ) -> Iterator[list[tuple[Entry, list[list]]]]:
    """The entries with their sheet rows, cut into appends of at most `max_rows` rows and
    `max_bytes` of JSON body, never inside an entry: the recovery of a lost answer checks
    entries by their reference, so an entry's lines land together or not at all. An entry
    bigger than the limit on its own goes alone. Made one append at a time (a month of
    50,000 invoices is 170,000 rows)."""
    envelope = len('{"values": []}')
    chunk: list[tuple[Entry, list[list]]] = []
    rows, size = 0, envelope
    for entry in entries:
        values = [inexweb.sheet_values(r) for r in journal_rows([entry])]
        entry_size = _rows_size(values)
        if chunk and (rows + len(values) > max_rows or size + entry_size > max_bytes):
            yield chunk
            chunk, rows, size = [], 0, envelope
        chunk.append((entry, values))
        rows += len(values)
        size += entry_size
    if chunk:
        yield chunk


def _plan_chunks(entries: list[Entry], max_rows: int, max_bytes: int = MAX_APPEND_BYTES
                 ) -> list[int]:
    """How many entries each append of `_chunks` takes, without holding the rows."""
    return [len(chunk) for chunk in _chunks(entries, max_rows, max_bytes)]


def _planned_chunks(entries: list[Entry], plan: list[int]
                    ) -> Iterator[list[tuple[Entry, list[list]]]]:
    """The appends `_plan_chunks` counted, their rows made one append at a time."""
    start = 0
    for size in plan:
        part = entries[start:start + size]
        start += size
        yield [(e, [inexweb.sheet_values(r) for r in journal_rows([e])]) for e in part]


def _rows_size(values: list[list]) -> int:
    """At least the bytes these rows take in an append body as the client serialises them
    (json.dumps, ASCII with escapes), separators included. Dates and amounts are measured as
    text, a few bytes longer than the numbers the adapter sends: the estimate errs high."""
    return len(json.dumps(values, default=str))


def _append_exactly_once(sheet: Spreadsheet, title: str, chunk: list[tuple[Entry, list[list]]],
                         policy: AppendPolicy = AppendPolicy()) -> None:
    """Append the rows of the chunk's entries. When the outcome is unknown (a 5xx, a lost
    answer, Google's deadline), pause, then look at the sheet before retrying, so that rows
    that did land (or land while Google finishes) are not written twice. A 429 never gets
    here unretried: the adapter waits it out, since Google applied nothing. At most
    `policy.attempts` appends."""
    remaining = chunk
    for attempt in range(1, policy.attempts + 1):
        try:
            sheet.append(title, [row for _, rows in remaining for row in rows])
            return
        except ServiceError as exc:
            # Any other failure has had its retries in the adapter (a 429 is waited out there).
            if not exc.applied_unknown or attempt == policy.attempts:
                raise
            policy.pause(attempt - 1)
            landed = {str(r).strip() for r in sheet.read_column([title], REF_COLUMN)[title]}
            remaining = [(e, rows) for e, rows in remaining if e.ref not in landed]
            if not remaining:
                return
