"""Times a person reads are in the company's time zone (Settings.timezone), the store keeps UTC.

The sheet's Historique and Anomalies, the local workbook and the sidebar's "last run" must say
the same time: the production path (the real google-api-python-client against the Sheets
sandbox over HTTP on loopback, the real `stripe` client against the Stripe sandbox, a real
SQLite ledger store) around the change to winter time (2026-10-25, 03:00 CEST -> 02:00 CET)
and in a zone without summer time (America/Martinique, UTC-4).
"""

import copy
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook

from backend import spreadsheet
from backend.adapters.xlsx_workbook import XlsxSpreadsheet
from backend.demo import build_demo_company
from backend.journal_sheet import SHEETS_EPOCH
from backend.sandbox.local import LocalSandbox
from backend.services.generate import generate
from backend.services.sheet_journal import validate
from backend.web.views import french_time, generation_view
from stress.fault_runs import COMPANY, SETTINGS

UTC = timezone.utc
# The night summer time ends in Paris: 00:30 UTC is 02:30 CEST, 01:30 UTC is 02:30 CET.
BEFORE_CHANGE = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
AFTER_CHANGE = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
MORNING = datetime(2026, 11, 2, 6, 47, tzinfo=UTC)     # the 06:47 that is 07:47


@pytest.fixture(scope="module")
def demo():
    return build_demo_company()


def from_serial(value) -> datetime:
    """A date-time cell read UNFORMATTED (a serial number) as the wall-clock time it shows."""
    return datetime.combine(SHEETS_EPOCH, datetime.min.time()) + timedelta(days=value)


def shown(at: datetime) -> str:
    """As the sidebar writes a time (views.french_time), from a zone-less cell value."""
    return f"{round_minute(at):%d/%m/%Y à %H:%M}"


def round_minute(at: datetime) -> datetime:
    return (at + timedelta(seconds=30)).replace(second=0, microsecond=0)


@contextmanager
def sandbox_with(company):
    """Stripe holding `company`, an empty spreadsheet."""
    with LocalSandbox() as box:
        box.stripe.load(copy.deepcopy(company))
        box.sid = box.sheets.create_spreadsheet("Journal des ventes", ["Feuille 1"])
        yield box


def history(box) -> list[list]:
    return box.sheets.values(box.sid, spreadsheet.HISTORY)[1:]


def anomalies(box) -> list[list]:
    return box.sheets.values(box.sid, spreadsheet.ANOMALIES)[1:]


# --------------------------------------------------------------------------- the conversion


@pytest.mark.parametrize("at, zone, wall", [
    (BEFORE_CHANGE, "Europe/Paris", datetime(2026, 10, 25, 2, 30)),
    (AFTER_CHANGE, "Europe/Paris", datetime(2026, 10, 25, 2, 30)),
    (datetime(2026, 10, 25, 2, 30, tzinfo=UTC), "Europe/Paris", datetime(2026, 10, 25, 3, 30)),
    (MORNING, "Europe/Paris", datetime(2026, 11, 2, 7, 47)),
    (datetime(2026, 7, 1, 6, 47, tzinfo=UTC), "Europe/Paris", datetime(2026, 7, 1, 8, 47)),
    (MORNING, "America/Martinique", datetime(2026, 11, 2, 2, 47)),
    (datetime(2026, 11, 2, 2, 0, tzinfo=UTC), "America/Martinique", datetime(2026, 11, 1, 22, 0)),
    (datetime(2026, 11, 2, 6, 47), "Europe/Paris", datetime(2026, 11, 2, 7, 47)),  # naive: UTC
])
def test_a_utc_time_is_shown_on_the_company_s_clock(at, zone, wall):
    assert spreadsheet.local_time(at, zone) == wall
    assert french_time(at, zone) == f"{wall:%d/%m/%Y à %H:%M}"


def test_history_and_anomaly_rows_hold_local_times_without_zone():
    line = spreadsheet.HistoryLine(MORNING, "déclencheur quotidien", "Génération", "ok")
    assert spreadsheet.history_tab([line], "America/Martinique")[1] == [
        [datetime(2026, 11, 2, 2, 47), "déclencheur quotidien", "Génération", "ok"]]
    anomaly = SimpleNamespace(document_id="in_1", number="F-1", customer="Simplon",
                              reason="taux de TVA inconnu")
    rows = spreadsheet.anomalies_tab([anomaly], {"in_1": BEFORE_CHANGE}, "Europe/Paris")[1]
    assert rows == [["in_1", "F-1", "Simplon", "taux de TVA inconnu",
                     datetime(2026, 10, 25, 2, 30)]]
    assert rows[0][4].tzinfo is None


# --------------------------------------------------------------------------- sheet and view


def test_the_sheet_and_the_sidebar_say_the_same_time_across_the_change_to_winter_time(
        demo, store):
    settings = replace(SETTINGS, timezone="Europe/Paris")
    company = SimpleNamespace(settings=settings)
    with sandbox_with(demo) as box:
        sheet = box.sheet_adapter(box.sid)
        generate(box.stripe_adapter(), sheet, store, settings, COMPANY, now=BEFORE_CHANGE)
        generate(box.stripe_adapter(), sheet, store, settings, COMPANY, now=AFTER_CHANGE)
        lines = history(box)
        seen = anomalies(box)
    assert len(lines) == 2
    assert [shown(from_serial(line[0])) for line in lines] == [
        "25/10/2026 à 02:30", "25/10/2026 à 02:30"]
    runs = [r for r in reversed(store.runs(COMPANY)) if r["action"] == "generate"]
    assert [generation_view(r, company)["when"] for r in runs] == [
        shown(from_serial(line[0])) for line in lines]
    # Anomalies: first seen at the first run, on the same clock.
    assert seen, "the demo company has anomalies"
    assert {shown(from_serial(row[4])) for row in seen} == {"25/10/2026 à 02:30"}


def test_in_martinique_the_sheet_says_martinique_s_time(demo, store):
    settings = replace(SETTINGS, timezone="America/Martinique")
    company = SimpleNamespace(settings=settings)
    with sandbox_with(demo) as box:
        sheet = box.sheet_adapter(box.sid)
        generate(box.stripe_adapter(), sheet, store, settings, COMPANY, now=MORNING)
        validate(sheet, settings, trigger="compta@example.fr", now=MORNING + timedelta(minutes=5))
        lines = history(box)
        seen = anomalies(box)
    assert [shown(from_serial(line[0])) for line in lines] == [
        "02/11/2026 à 02:47", "02/11/2026 à 02:52"]
    assert [line[2] for line in lines] == ["Génération des écritures",
                                           "Contrôle de l'équilibre"]
    run = next(r for r in store.runs(COMPANY) if r["action"] == "generate")
    assert generation_view(run, company)["when"] == "02/11/2026 à 02:47"
    assert {shown(from_serial(row[4])) for row in seen} == {"02/11/2026 à 02:47"}


def test_the_workbook_holds_the_company_s_times(demo, store, tmp_path):
    settings = replace(SETTINGS, timezone="Europe/Paris")
    with sandbox_with(demo) as box:
        book = XlsxSpreadsheet(tmp_path / "journal.xlsx")
        generate(box.stripe_adapter(), book, store, settings, COMPANY, now=MORNING)
    saved = load_workbook(tmp_path / "journal.xlsx")
    assert saved["Historique"]["A2"].value == datetime(2026, 11, 2, 7, 47)
    assert saved["Historique"]["A2"].number_format == "DD/MM/YYYY HH:MM"
    assert {row[4].value for row in saved["Anomalies"].iter_rows(min_row=2)} == {
        datetime(2026, 11, 2, 7, 47)}
