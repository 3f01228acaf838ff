"""Issue 7, point 3: the bad-input catalogue, whole, at CI size; and proof that each of its
counters and checks can fail (a formula typed into a sheet, a document lost, a line written
that nobody expects, the ledger store disagreeing with the sheet, a wrong expected answer, a
known gap)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

from backend.sandbox.local import LocalSandbox
from backend.store.ledger import JournalRecord, LedgerStore
from stress.bad_input import CATEGORIES, FINDINGS, all_cases, campaign, run_cases
from stress.bad_input.cases import Case, Expect
from stress.bad_input.checks import (formula_cells, formula_cells_exported, lost_documents,
                                     store_disagreements, unexpected_rows)
from stress.bad_input.requests import Req
from stress.bad_input.sheet_edits import MANUAL


def test_the_catalogue_at_ci_size(campaign_figures):
    result = campaign(full=False)
    print("\n".join(result.lines()))
    campaign_figures(result)
    assert result.ok
    assert result.figures["cases in the catalogue"] >= 50
    assert result.figures["formula cells found (any tab, any spreadsheet, after every case)"] == 0


def test_every_case_is_data_with_its_expected_answer():
    cases = all_cases()
    assert len({c.name for c in cases}) == len(cases)
    assert {c.category for c in cases} == set(CATEGORIES)
    for case in cases:
        assert case.name.startswith(case.category + "."), case.name
        assert case.expect.status is not None or case.expect.outcome is not None, case.name
        assert case.given and case.make is not None, case.name
        assert not case.finding or case.finding in FINDINGS, case.name
    assert {c.finding for c in cases if c.finding} == set(FINDINGS)   # each finding has its case


# --- the counters can count -------------------------------------------------------------------

def test_the_formula_counter_sees_a_formula_typed_into_any_tab():
    with LocalSandbox() as box:
        sid = box.sheets.create_spreadsheet("Journal", ["Feuille 1", "Écritures"])
        api = box.sheet_adapter(sid)
        api.values.update(spreadsheetId=sid, range="'Écritures'!A1", valueInputOption="RAW",
                          body={"values": [["=1+1", '=HYPERLINK("x")']]}).execute(http=api.http)
        assert formula_cells(box.sheets) == [] == formula_cells_exported(box.sheets)
        api.values.update(spreadsheetId=sid, range="'Feuille 1'!C3", valueInputOption="USER_ENTERED",
                          body={"values": [["=SUM(A1:A2)"]]}).execute(http=api.http)
        found = formula_cells(box.sheets)
        assert found == formula_cells_exported(box.sheets) == [f"{sid}/Feuille 1!C3: =SUM(A1:A2)"]


def test_the_lost_and_wrong_counters():
    expected = {"in_a": 3, "in_b": 2}
    assert lost_documents(expected, Counter({"in_a": 3, "in_b": 2})) == []
    assert len(lost_documents(expected, Counter({"in_a": 3}))) == 1            # missing
    assert len(lost_documents(expected, Counter({"in_a": 6, "in_b": 2}))) == 1  # written twice
    assert len(lost_documents(expected, Counter({"in_a": 2, "in_b": 2}))) == 1  # a line short
    assert unexpected_rows(set(expected), Counter({"in_a": 3, "in_z": 1})) == [
        "in_z: 1 row(s) nobody expects"]


def test_the_store_check_sees_a_half_written_state(tmp_path: Path):
    store = LedgerStore(f"sqlite:///{tmp_path / 'ledger.db'}")
    store.migrate()
    run = store.start_run("c", "generate", "test")
    store.mark_pending("c", [JournalRecord("in_x", "in_x", "invoice", "F-1", date(2026, 10, 1),
                                           "Écritures", "pending", None)], run)
    assert store_disagreements(store, "c", Counter({"in_x": 3})) == ["in_x: recorded pending"]
    store.mark_written("c", ["in_x"], run)
    assert store_disagreements(store, "c", Counter({"in_x": 3})) == []
    assert store_disagreements(store, "c", Counter()) == ["in_x: recorded written, not in the sheet"]
    assert store_disagreements(store, "c", Counter({"in_x": 3, "in_y": 2})) == [
        "in_y: in the sheet, not recorded"]
    store.close()


def test_a_case_that_damages_another_document_counts_it_lost():
    """A Stripe case whose object replaces a document of the base month (same id, in USD):
    that document loses its entry, and the case fails on it."""
    def damage(base):
        victim = dict(base.base_invoice, currency="usd")
        return [victim, base.invoice("T1")], "in_bad_T1"
    case = Case("stripe.detector_lost", "stripe", "a base invoice replaced by a USD copy", Expect(
        outcome="entry"), damage)
    (verdict,) = run_cases([case], progress=lambda _: None)
    assert not verdict.passed and verdict.lost == 1
    assert any(f.startswith("lost: ") for f in verdict.failures)


def test_an_entry_where_an_anomaly_was_expected_is_a_wrong_write():
    case = Case("stripe.detector_wrong", "stripe", "a good invoice said to be an anomaly",
                Expect(outcome="anomaly", says=("BAD-T2",)), lambda b: ([b.invoice("T2")], "in_bad_T2"))
    (verdict,) = run_cases([case], progress=lambda _: None)
    assert not verdict.passed and verdict.wrong == 1 and verdict.lost == 0


def test_a_wrong_expected_answer_fails_and_a_known_gap_is_reported():
    text_body = Req("/actions/generate", raw=b"hello", content_type="text/plain")
    wrong = Case("requests.detector_expectation", "requests", "text body said to be fine",
                 Expect(200), text_body)
    gap = Case("requests.detector_gap", "requests", "a case marked as a known gap",
               Expect(415, "bad_content_type"), text_body, known_gap="for the test")
    verdicts = run_cases([wrong, gap], progress=lambda _: None)
    assert [v.passed for v in verdicts] == [False, False]
    assert verdicts[0].failures[0].startswith("status 415, expected 200")
    assert verdicts[1].failures == ["known gap: for the test"]   # its answer was the right one


def test_a_line_an_action_loses_or_writes_is_counted():
    """The sheet harness compares the entries before and after the action: a line removed or
    added meanwhile (here by an edit made right after the action) is counted."""
    lose = Case("sheet.detector_lost", "sheet", "a line deleted after validate", Expect(
        outcome="ok"), {"edits": [], "action": "validate", "after": [("delete_rows", 10, 11)]})
    add = Case("sheet.detector_wrong", "sheet", "a line added after validate", Expect(
        outcome="ok"), {"edits": [], "action": "validate", "after": [("append", MANUAL)]})
    lost, wrong = run_cases([lose, add], progress=lambda _: None)
    assert (lost.passed, lost.lost, lost.wrong) == (False, 1, 0)
    assert (wrong.passed, wrong.lost, wrong.wrong) == (False, 0, 1)
