"""Google's limits on the Sheets API, ridden out by the production path: the real
google-api-python-client against the Sheets sandbox over HTTP on loopback, the real `stripe`
client against the Stripe sandbox, a real SQLite ledger store.

- requests under 2 MB each (Google's recommended maximum), cut on entry boundaries;
- ~60 write requests a minute: a 429 is waited out with Google's truncated exponential
  backoff, honouring a Retry-After when there is one, and nothing is written twice;
- the 180-second deadline: Google answers 503 and may have applied the write; the run looks at
  the sheet before writing again, so each entry lands once;
- reads retried on 5xx, in bounded time.

Time is simulated: the sandbox, the adapter and the use case sleep on one `SimClock`, so a
storm of several minutes takes milliseconds and nothing depends on the machine's speed.
"""

import copy
from collections import Counter
from contextlib import contextmanager
from urllib.parse import unquote

import pytest
from google.oauth2.credentials import Credentials

from backend.adapters.google_sheets import GoogleSheetsAdapter
from backend.backoff import Backoff
from backend.core.model import journal_rows
from backend.demo import build_demo_company, scale_invoices
from backend.errors import ServiceError
from backend.formats import inexweb
from backend.sandbox.faults import ERROR, Fault
from backend.sandbox.local import SHEETS_TOKEN, LocalSandbox
from backend.services.convert import journal_objects
from backend.services.generate import ANOMALIES_SPEC, AppendPolicy, entry_tab_spec, generate
from backend.services.sheet_journal import dedupe, validate
from stress.fault_runs import COMPANY, NOW, SETTINGS
from clocks import SimClock

TWO_MB = 2_000_000
ENTRIES = "Écritures"


@pytest.fixture(scope="module")
def demo():
    return build_demo_company()


@pytest.fixture
def sim():
    return SimClock()


@contextmanager
def sandbox_holding(company, sim):
    """Stripe holding `company`, an empty spreadsheet; the Sheets sandbox on `sim`'s time."""
    with LocalSandbox() as box:
        box.stripe.load(company)
        box.sheets.clock, box.sheets.sleep = sim, sim.sleep
        box.sid = box.sheets.create_spreadsheet("Journal des ventes", ["Feuille 1"])
        yield box


@pytest.fixture
def box(demo, sim):
    with sandbox_holding(copy.deepcopy(demo), sim) as sandbox:
        yield sandbox


def sheet_of(box, sim, kind=GoogleSheetsAdapter, **options):
    backoff = Backoff(sleep=sim.sleep, clock=sim, rand=lambda: 0.5)
    return kind(box.sid, Credentials(token=SHEETS_TOKEN), base_url=box.sheets_url,
                backoff=backoff, **options)


def run(box, sim, store, **options):
    policy = AppendPolicy(backoff=Backoff(sleep=sim.sleep, rand=lambda: 0.5))
    return generate(box.stripe_adapter(), sheet_of(box, sim), store, SETTINGS, COMPANY, now=NOW,
                    appends=policy, **options)


def expected_journal(company):
    objects = [o for kind in company.values() for o in kind]
    return Counter({e.ref: len(e.lines)
                    for e in journal_objects(objects, SETTINGS).result.entries})


def refs_in_sheet(box, tab=ENTRIES):
    rows = box.sheets.values(box.sid, tab)
    col = rows[0].index("Ref. Pièce")
    return Counter(r[col] for r in rows[1:])


def unbalanced(box, tab=ENTRIES):
    """References whose lines in the sheet do not balance (amounts in cents)."""
    balance = Counter()
    for row in box.sheets.values(box.sid, tab)[1:]:
        row = row + [""] * (8 - len(row))            # trailing empty cells are left out
        debit, credit = (round(v * 100) if v != "" else 0 for v in row[6:8])
        balance[row[3]] += debit - credit
    return [ref for ref, cents in balance.items() if cents]


def appends_to(box, tab):
    return [r for r in box.sheets.received if r.method == "POST"
            and unquote(r.path).endswith(f"'{tab}'!A1:append")]


# --------------------------------------------------------------------------- 2 MB


def test_a_3_mb_month_is_written_in_appends_under_2_mb_each_entry_once(demo, sim, store):
    company = copy.deepcopy(demo)
    company["invoices"] = scale_invoices(company, 6_000)
    expected = expected_journal(company)
    with sandbox_holding(company, sim) as box:
        report = run(box, sim, store)
        appends = appends_to(box, ENTRIES)
        sizes = [r.body_bytes for r in appends]
        assert sum(sizes) > 3_000_000, "a month one request would carry over 2 MB"
        assert len(appends) >= 2 and max(sizes) < TWO_MB, sizes
        assert all(r.status == 200 for r in appends)
        assert max(r.body_bytes for r in box.sheets.received) < TWO_MB   # any request
        assert refs_in_sheet(box) == expected and len(report.written) == len(expected)
        assert unbalanced(box) == []


class RecordsAppends(GoogleSheetsAdapter):
    """The production adapter, noting the rows of each append it sends."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.appended = []

    def append(self, title, rows):
        self.appended.append((title, rows))
        super().append(title, rows)


def test_appends_are_cut_between_entries_each_recorded_once_written(demo, sim, store, box):
    """A small byte limit: many appends, none splitting an entry (the recovery of a lost
    answer checks entries by reference), and every entry recorded as written."""
    sheet = sheet_of(box, sim, kind=RecordsAppends)
    policy = AppendPolicy(max_bytes=40_000,
                          backoff=Backoff(sleep=sim.sleep, rand=lambda: 0.5))
    report = generate(box.stripe_adapter(), sheet, store, SETTINGS, COMPANY, now=NOW,
                      appends=policy)
    requests = appends_to(box, ENTRIES)
    assert len(requests) >= 6 and max(r.body_bytes for r in requests) <= 40_000
    lines = {e.ref: len(e.lines) for e in report.written}
    chunks = [rows for title, rows in sheet.appended if title == ENTRIES]
    assert len(chunks) == len(requests)
    for rows in chunks:
        refs = Counter(r[3] for r in rows)
        assert all(count == lines[ref] for ref, count in refs.items())
    assert refs_in_sheet(box) == expected_journal(demo)
    assert {r.status for r in store.journal(COMPANY).values()} == {"written"}


# --------------------------------------------------------------------------- 429


def test_a_write_quota_storm_is_ridden_out_and_nothing_is_written_twice(demo, sim, store, box):
    expected = expected_journal(demo)
    box.sheets.write_quota_per_minute = 2
    report = run(box, sim, store)
    refused = [r for r in box.sheets.received if r.status == 429]
    assert len(refused) >= 3, "the storm happened"
    assert refs_in_sheet(box) == expected and len(report.written) == len(expected)
    assert store.runs(COMPANY)[0]["outcome"] == "ok"
    # Every write went through in the end, each once: no two successful appends of entries.
    assert len([r for r in appends_to(box, ENTRIES) if r.status == 200]) == 1
    # Google's backoff: 1 s, 2 s, 4 s… (+ jitter), never more than 64 s at once.
    assert sim.waits[:3] == [1.5, 2.5, 4.5] and max(sim.waits) <= 64
    writes = [r for r in box.sheets.received if r.method != "GET" and r.status == 200]
    for earlier, later in zip(writes, writes[2:]):      # the sandbox's quota was kept
        assert later.at - earlier.at >= 60


def test_a_storm_that_outlasts_the_budget_ends_in_bounded_time_then_a_run_writes_once(
        demo, sim, store, box):
    box.sheets.write_quota_per_minute = 0           # every write refused
    with pytest.raises(ServiceError) as failure:
        run(box, sim, store)
    assert failure.value.status == 429 and failure.value.transient
    assert not failure.value.applied_unknown
    assert 60 < sum(sim.waits) <= Backoff().budget     # waited past a minute, then gave up
    assert len([r for r in box.sheets.received if r.status == 429]) == Backoff().retries + 1
    box.sheets.write_quota_per_minute = None
    run(box, sim, store)
    assert refs_in_sheet(box) == expected_journal(demo)


def test_a_retry_after_is_honoured(sim, box):
    """Sheets' quota 429 carries no Retry-After (the sandbox sends none by default); when an
    answer asks for a delay, the adapter waits that long rather than guessing."""
    box.sheets.write_quota_per_minute = 1
    box.sheets.retry_after = 60
    sheet = sheet_of(box, sim)
    sheet.append("Feuille 1", [["un"]])
    sheet.append("Feuille 1", [["deux"]])
    assert sim.waits == [60]
    assert box.sheets.values(box.sid, "Feuille 1") == [["un"], ["deux"]]


# --------------------------------------------------------------------------- 180 s


@pytest.mark.parametrize("applied", [True, False], ids=["applied", "not-applied"])
def test_a_deadline_exceeded_append_is_recovered_exactly_once(demo, sim, store, box, applied):
    expected = expected_journal(demo)
    slow = []

    def processing(request):   # the month's append takes 200 s the first time
        if unquote(request.path).endswith(f"'{ENTRIES}'!A1:append") and not slow:
            slow.append(request)
            return 200.0
        return 0.0

    box.sheets.processing_delay = processing
    box.sheets.deadline_applies = applied
    sheet = sheet_of(box, sim)
    # The client waits longer than Google's deadline: it hears Google's 503 rather than
    # giving up on an append Google is still applying.
    assert sheet.http.timeout > box.sheets.deadline
    policy = AppendPolicy(backoff=Backoff(sleep=sim.sleep, rand=lambda: 0.5))
    report = generate(box.stripe_adapter(), sheet, store, SETTINGS, COMPANY, now=NOW,
                      appends=policy)
    appends = appends_to(box, ENTRIES)
    assert [r.status for r in appends] == ([503] if applied else [503, 200])
    timed_out = appends[0]
    check = next(r for r in box.sheets.received if r.method == "GET" and r.at > timed_out.at)
    assert check.at >= timed_out.at + 1        # a pause before looking at the sheet
    assert refs_in_sheet(box) == expected and len(report.written) == len(expected)
    assert {r.status for r in store.journal(COMPANY).values()} == {"written"}


# --------------------------------------------------------------------------- reads


def test_reads_are_retried_on_5xx_with_backoff(demo, sim, store, box):
    box.plan.reset([Fault("sheets", 1, ERROR, status=503, method="GET"),
                    Fault("sheets", 2, ERROR, status=500, method="GET")])
    report = run(box, sim, store)
    assert refs_in_sheet(box) == expected_journal(demo) and report.written
    assert sim.waits[:2] == [1.5, 2.5]


def test_a_read_that_keeps_failing_gives_up_in_bounded_time(sim, box):
    box.plan.reset([Fault("sheets", n, ERROR, status=503, method="GET") for n in range(1, 30)])
    sheet = sheet_of(box, sim)
    with pytest.raises(ServiceError) as failure:
        sheet.tab_titles()
    assert failure.value.status == 503 and failure.value.transient
    assert box.plan.count("sheets", "GET") == Backoff().retries + 1
    assert sum(sim.waits) <= Backoff().budget


# --------------------------------------------------------------------------- other writes


def test_a_large_anomalies_tab_is_replaced_in_requests_under_2_mb(sim, box):
    """Anomalies grow with the month (a product without its account: every invoice is one).
    15,000 rows are past 2 MB, and past the 1,000 rows of a new tab's grid, which
    values.update does not grow."""
    sheet = sheet_of(box, sim)
    sheet.ensure_tabs([ANOMALIES_SPEC])
    rows = [[f"in_{n:024d}", f"MDC-2026-{n:05d}", f"Client numéro {n}",
             "produit sans compte comptable : « Casier » (prod_XXXXXXXXXXXXXX)", 46300.5]
            for n in range(15_000)]
    sheet.replace(ANOMALIES_SPEC, rows)
    writes = [r for r in box.sheets.received if r.method != "GET"]
    assert sum(r.body_bytes for r in writes) > TWO_MB
    assert max(r.body_bytes for r in writes) < TWO_MB
    tab = box.sheets.values(box.sid, ANOMALIES_SPEC.title)
    assert len(tab) == 15_001 and tab[-1][1] == "MDC-2026-14999"
    sheet.replace(ANOMALIES_SPEC, rows[:3])         # a fixed month: the tab shrinks back
    assert len(box.sheets.values(box.sid, ANOMALIES_SPEC.title)) == 4


def planted_journal(demo):
    """The demo month's rows with each entry written twice in a row (pasted again by hand),
    and the same rows once with every other entry's first line a euro off."""
    entries = journal_objects([o for kind in demo.values() for o in kind],
                              SETTINGS).result.entries
    doubled, broken = [], []
    for n, entry in enumerate(entries):
        rows = [inexweb.sheet_values(r) for r in journal_rows([entry])]
        doubled += rows + rows
        if n % 2:
            rows = [list(r) for r in rows]
            side = 6 if rows[0][6] != "" else 7     # debit or credit, whichever it has
            rows[0][side] += 1
        broken += rows
    return entries, doubled, broken


def test_dedupe_and_validate_of_a_large_sheet_cut_their_batch_updates(demo, sim, box):
    """Deleting hundreds of copies and highlighting hundreds of pièces: one batchUpdate each
    would grow with the month; they are cut to the limit (a small one here), in order."""
    entries, doubled, broken = planted_journal(demo)
    limit = 12_000
    sheet = sheet_of(box, sim, max_request_bytes=limit)
    sheet.ensure_tabs([entry_tab_spec(ENTRIES, SETTINGS)])
    sheet.append(ENTRIES, doubled)
    box.sheets.received.clear()
    report = dedupe(sheet, SETTINGS)
    assert len(report.removed) == len(entries)
    batches = [r for r in box.sheets.received if r.path.endswith(":batchUpdate")]
    assert len(batches) > 3 and max(r.body_bytes for r in batches) <= limit
    assert refs_in_sheet(box) == Counter({e.ref: len(e.lines) for e in entries})

    sheet.replace(entry_tab_spec(ENTRIES, SETTINGS), broken)
    box.sheets.received.clear()
    check = validate(sheet, SETTINGS)
    assert not check.ok and len({p.piece for p in check.problems}) >= len(entries) // 2 - 5
    batches = [r for r in box.sheets.received if r.path.endswith(":batchUpdate")]
    assert len(batches) > 3 and max(r.body_bytes for r in batches) <= limit
    highlighted = {p.row for p in check.problems}
    for row in (min(highlighted), max(highlighted)):
        cell = box.sheets.cell(box.sid, ENTRIES, f"A{row}")
        assert cell["format"]["backgroundColor"]["green"] < 1, row
    first_ok = next(n for n in range(2, 50) if n not in highlighted)
    cell = box.sheets.cell(box.sid, ENTRIES, f"A{first_ok}")
    assert cell["format"].get("backgroundColor", {"green": 1})["green"] == 1
