"""Generation into the sheet, exactly once, with the in-memory Stripe and spreadsheet and a
real SQLite ledger store. (The same runs over HTTP against the sandbox: test_pipeline_http.)"""

import copy
from collections import Counter
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from backend.adapters.memory import MemorySpreadsheet, MemoryStripe
from backend.core.settings import Settings
from backend.demo import DEMO_COMPANY, build_demo_company
from backend.errors import AlreadyRunning, ServiceError
from backend.services.generate import generate

NOW = datetime(2026, 11, 2, 6, 0, tzinfo=timezone.utc)
LATER = datetime(2026, 11, 3, 6, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def demo():
    return build_demo_company()


@pytest.fixture
def company(demo):
    return copy.deepcopy(demo)


@pytest.fixture
def settings():
    return Settings(axis_names=tuple(DEMO_COMPANY["axis_names"]), siren=DEMO_COMPANY["siren"])


def refs_in(sheet, prefix="Écritures"):
    counts = Counter()
    for title, rows in sheet.tabs.items():
        if title.startswith(prefix):
            col = rows[0].index("Ref. Pièce")
            counts.update(r[col] for r in rows[1:])
    return counts


def expected_rows(report_entries):
    return {e.ref: len(e.lines) for e in report_entries}


def journal_of(company, settings):
    """What the month must give: the entries' line counts by reference."""
    from backend.services.convert import journal_objects
    objects = [o for kind in company.values() for o in kind]
    return expected_rows(journal_objects(objects, settings).result.entries)


def test_first_run_writes_every_entry_once_then_nothing(company, store, settings):
    sheet, stripe = MemorySpreadsheet(), MemoryStripe(company)
    first = generate(stripe, sheet, store, settings, "mdc", now=NOW)
    assert len(first.written) == 498 and first.rows_written == 1722
    assert refs_in(sheet) == expected_rows(first.written)
    assert len(sheet.tabs["Anomalies"]) == 1 + 4
    assert sheet.tabs["Historique"][1][2] == "Génération des écritures"
    assert [r[0] for r in sheet.tabs["Paramètres"][1:3]] == ["journal_code", "journal_label"]
    assert first.calls["stripe"] == 4   # tax rates, products, invoices, credit notes
    second = generate(stripe, sheet, store, settings, "mdc", now=LATER)
    assert second.written == [] and second.french().startswith("Aucune nouvelle écriture")
    assert refs_in(sheet) == expected_rows(first.written)
    assert len(sheet.tabs["Historique"]) == 3
    assert store.runs("mdc")[0]["outcome"] == "ok"


class LosesAnswer(MemorySpreadsheet):
    """Applies the append, then fails as if the answer was lost on the way back."""

    def __init__(self, failures=1, error=None):
        super().__init__()
        self.failures = failures
        self.error = error

    def append(self, title, rows):
        super().append(title, rows)
        if title.startswith("Écritures") and self.failures:
            self.failures -= 1
            raise self.error or ServiceError("sheets", "connection reset", transient=True,
                                             applied_unknown=True)


def test_append_whose_answer_was_lost_is_not_written_twice(company, store, settings):
    sheet = LosesAnswer()
    report = generate(MemoryStripe(company), sheet, store, settings, "mdc", now=NOW)
    assert refs_in(sheet) == expected_rows(report.written)
    assert set(store.journal("mdc")) == set(expected_rows(report.written))


def test_crash_between_sheet_write_and_store_commit(company, store, settings):
    sheet = LosesAnswer(error=RuntimeError("process killed"))
    with pytest.raises(RuntimeError):
        generate(MemoryStripe(company), sheet, store, settings, "mdc", now=NOW)
    assert {r.status for r in store.journal("mdc").values()} == {"pending"}
    assert store.runs("mdc")[0]["outcome"] == "failed"
    again = generate(MemoryStripe(company), sheet, store, settings, "mdc", now=LATER)
    assert again.written == [] and again.already_in_sheet == 498
    assert refs_in(sheet) == journal_of(company, settings)
    assert {r.status for r in store.journal("mdc").values()} == {"written"}


def test_void_after_a_crash_that_left_its_entry_in_the_sheet_is_reversed(company, store,
                                                                          settings):
    sheet = LosesAnswer(error=RuntimeError("process killed"))
    with pytest.raises(RuntimeError):
        generate(MemoryStripe(company), sheet, store, settings, "mdc", now=NOW)
    # The crashed run's rows are in the sheet, recorded as pending only; then one is voided.
    invoice = next(i for i in company["invoices"] if i["status"] == "paid" and i["total"] > 0)
    assert refs_in(sheet)[invoice["id"]] > 0
    invoice.update(status="void")
    invoice["status_transitions"]["voided_at"] = int(LATER.timestamp()) - 600
    again = generate(MemoryStripe(company), sheet, store, settings, "mdc", now=LATER)
    assert [e.ref for e in again.written] == [invoice["id"] + "/annulation"]
    assert refs_in(sheet)[invoice["id"] + "/annulation"] == refs_in(sheet)[invoice["id"]]


def test_write_that_never_reached_the_sheet_is_written_next_run(company, store, settings):
    class Refuses(MemorySpreadsheet):
        def append(self, title, rows):
            if title.startswith("Écritures"):
                raise ServiceError("sheets", "503 UNAVAILABLE", transient=False)
            super().append(title, rows)

    with pytest.raises(ServiceError):
        generate(MemoryStripe(company), Refuses(), store, settings, "mdc", now=NOW)
    sheet = MemorySpreadsheet()
    report = generate(MemoryStripe(company), sheet, store, settings, "mdc", now=LATER)
    assert len(report.written) == 498 and refs_in(sheet) == expected_rows(report.written)


def test_stripe_failure_mid_paging_writes_nothing(company, store, settings):
    class Fails(MemoryStripe):
        def credit_notes(self, created_gte=None, created_lt=None, keep=None):
            raise ServiceError("stripe", "500 api_error", transient=True)

    sheet = MemorySpreadsheet()
    with pytest.raises(ServiceError):
        generate(Fails(company), sheet, store, settings, "mdc", now=NOW)
    assert sheet.tabs == {} and store.journal("mdc") == {}
    report = generate(MemoryStripe(company), sheet, store, settings, "mdc", now=LATER)
    assert len(report.written) == 498


def test_cleared_tab_after_import_is_not_filled_again(company, store, settings):
    sheet, stripe = MemorySpreadsheet(), MemoryStripe(company)
    generate(stripe, sheet, store, settings, "mdc", now=NOW)
    sheet.tabs["Écritures"] = sheet.tabs["Écritures"][:1]
    report = generate(stripe, sheet, store, settings, "mdc", now=LATER)
    assert report.written == [] and len(sheet.tabs["Écritures"]) == 1


def test_fixed_anomaly_is_journaled_and_leaves_the_anomalies_tab(company, store, settings):
    sheet, stripe = MemorySpreadsheet(), MemoryStripe(company)
    generate(stripe, sheet, store, settings, "mdc", now=NOW)
    casier = next(p for p in company["products"] if "accounting_code" not in p["metadata"])
    casier["metadata"]["accounting_code"] = "706900"
    report = generate(stripe, sheet, store, settings, "mdc", now=LATER)
    assert len(report.written) == 4 and len(sheet.tabs["Anomalies"]) == 1
    assert refs_in(sheet) == journal_of(company, settings)


def test_void_after_journaling_gets_its_reversal_once(company, store, settings):
    sheet, stripe = MemorySpreadsheet(), MemoryStripe(company)
    generate(stripe, sheet, store, settings, "mdc", now=NOW)
    invoice = next(i for i in company["invoices"] if i["status"] == "paid")
    voided_at = int(LATER.timestamp()) - 600
    invoice.update(status="void")
    invoice["status_transitions"]["voided_at"] = voided_at
    company["events"] = [{"id": "evt_1", "object": "event", "type": "invoice.voided",
                          "created": voided_at, "data": {"object": invoice}}]
    report = generate(stripe, sheet, store, settings, "mdc", now=LATER)
    assert [e.ref for e in report.written] == [invoice["id"] + "/annulation"]
    assert report.written[0].date.isoformat() == "2026-11-03"
    third = generate(stripe, sheet, store, settings, "mdc",
                     now=LATER.replace(day=4))
    assert third.written == []


def test_late_finalization_is_caught_by_the_next_run(company, store, settings):
    sheet, stripe = MemorySpreadsheet(), MemoryStripe(company)
    draft = next(i for i in company["invoices"] if i["status"] == "draft")
    generate(stripe, sheet, store, settings, "mdc", now=NOW)
    assert draft["id"] not in refs_in(sheet)
    # Finalized a day later; created long before the run's window start.
    template = next(i for i in company["invoices"] if i["status"] == "paid" and i["total"] > 0)
    finalized = copy.deepcopy(template)
    finalized.update(id=draft["id"], number="MDC-2026-9999", created=draft["created"],
                     customer=draft["customer"])
    finalized["status_transitions"]["finalized_at"] = int(LATER.timestamp()) - 3600
    company["invoices"] = [finalized if i is draft else i for i in company["invoices"]]
    report = generate(stripe, sheet, store, settings, "mdc", now=LATER)
    assert [e.ref for e in report.written] == [draft["id"]]


def test_one_run_at_a_time(company, store, settings):
    assert store.acquire_lock("mdc", "someone-else")
    with pytest.raises(AlreadyRunning, match="someone-else"):
        generate(MemoryStripe(company), MemorySpreadsheet(), store, settings, "mdc", now=NOW)


def test_one_tab_per_month(company, store, settings):
    sheet = MemorySpreadsheet()
    report = generate(MemoryStripe(company), sheet, store, replace(settings, tab_per_month=True),
                      "mdc", now=NOW)
    assert sorted(report.tabs) == ["Écritures 2026-10", "Écritures 2026-11"]
    assert report.tabs["Écritures 2026-11"] == 3
    assert "Écritures" not in sheet.tabs


def test_companies_do_not_see_each_other(company, store, settings):
    sheet_a, sheet_b = MemorySpreadsheet(), MemorySpreadsheet()
    generate(MemoryStripe(company), sheet_a, store, settings, "a", now=NOW)
    report = generate(MemoryStripe(company), sheet_b, store, settings, "b", now=NOW)
    assert len(report.written) == 498


class RecordsAppends(MemorySpreadsheet):
    def __init__(self):
        super().__init__()
        self.appended = []

    def append(self, title, rows):
        self.appended.append((title, rows))
        super().append(title, rows)


def test_a_huge_run_is_appended_in_chunks_cut_between_entries(company, store, settings):
    sheet = RecordsAppends()
    report = generate(MemoryStripe(company), sheet, store, settings, "mdc", now=NOW,
                      max_append_rows=100)
    chunks = [rows for title, rows in sheet.appended if title == "Écritures"]
    assert len(chunks) == 18 and all(len(rows) <= 100 for rows in chunks)
    for rows in chunks:   # no entry straddles two appends
        refs = [r[3] for r in rows]
        assert all(refs.count(ref) == expected_rows(report.written)[ref] for ref in set(refs))


def test_a_credit_note_for_an_invoice_older_than_the_window(company, store, settings):
    """November's credit note on an October invoice: the invoice is not listed again, its lines
    are read on their own so that the credit note finds its products."""
    sheet, stripe = MemorySpreadsheet(), MemoryStripe(company)
    generate(stripe, sheet, store, settings, "mdc", now=NOW)
    note = copy.deepcopy(company["credit_notes"][0])
    note.update(id="cn_late", number=note["number"] + "-LATE",
                created=int(LATER.timestamp()) - 600)
    company["credit_notes"] = [note]
    invoices_before = len(company["invoices"])
    store.set_cursor("mdc", "documents_since", str(int(LATER.timestamp()) - 3600))  # a day later
    report = generate(stripe, sheet, store, settings, "mdc", now=LATER)
    assert [e.ref for e in report.written] == ["cn_late"], report.result.anomalies
    assert len(company["invoices"]) == invoices_before
