"""The sheet and the workbook open on Écritures, tabs in the order the accountant works
(Écritures, Anomalies, Historique, Paramètres; month tabs newest first), every column wide
enough for what it holds.

The production path: the real google-api-python-client against the Sheets sandbox over HTTP
on loopback, the real `stripe` client against the Stripe sandbox, a real SQLite ledger store;
the workbook read back with openpyxl.
"""

import copy
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from openpyxl import load_workbook

from backend import spreadsheet
from backend.adapters.google_sheets import (CELL_PADDING_PIXELS, PIXELS_PER_CHARACTER,
                                            GoogleSheetsAdapter)
from backend.adapters.xlsx_workbook import Tab, XlsxSpreadsheet, write_workbook
from backend.demo import build_demo_company
from backend.errors import ServiceError
from backend.sandbox.local import SHEETS_TOKEN, LocalSandbox
from backend.sandbox.sheets_values import FORMATTED_VALUE
from backend.services.generate import generate
from stress.fault_runs import COMPANY, NOW, SETTINGS

OURS = ["Écritures", "Anomalies", "Historique", "Paramètres"]


@pytest.fixture(scope="module")
def demo():
    return build_demo_company()


@pytest.fixture
def box(demo):
    with LocalSandbox() as sandbox:
        sandbox.stripe.load(copy.deepcopy(demo))
        sandbox.sid = sandbox.sheets.create_spreadsheet("Journal des ventes", ["Feuille 1"])
        yield sandbox


def tabs_by_index(box) -> list[str]:
    """The tabs as Google lists them to a client: spreadsheets.get, sheets by index."""
    api = build("sheets", "v4", credentials=Credentials(token=SHEETS_TOKEN),
                static_discovery=True, cache_discovery=False,
                client_options={"api_endpoint": box.sheets_url})
    meta = api.spreadsheets().get(spreadsheetId=box.sid,
                                  fields="sheets.properties(title,index)").execute()
    props = [s["properties"] for s in meta["sheets"]]
    assert [p.get("index", 0) for p in props] == list(range(len(props)))
    return [p["title"] for p in props]


# --------------------------------------------------------------------------- the order


@pytest.mark.parametrize("titles, order", [
    (["Feuille 1", "Écritures", "Anomalies", "Paramètres", "Historique"],
     ["Écritures", "Anomalies", "Historique", "Paramètres", "Feuille 1"]),
    (["Historique", "Écritures 2026-09", "Mes notes", "Paramètres", "Anomalies",
      "Écritures 2026-10", "Écritures 2025-12"],
     ["Écritures 2026-10", "Écritures 2026-09", "Écritures 2025-12", "Anomalies", "Historique",
      "Paramètres", "Mes notes"]),
    (["Paramètres", "Historique"], ["Historique", "Paramètres"]),
    ([], []),
])
def test_the_accountant_s_order(titles, order):
    assert spreadsheet.tab_order(titles) == order


def test_a_new_sheet_opens_on_its_entries_the_tabs_in_the_accountant_s_order(box, store):
    generate(box.stripe_adapter(), box.sheet_adapter(box.sid), store, SETTINGS, COMPANY, now=NOW)
    assert tabs_by_index(box) == OURS + ["Feuille 1"]


def test_month_tabs_come_first_newest_first_and_a_new_month_moves_to_the_front(demo, store):
    settings = replace(SETTINGS, tab_per_month=True)
    with LocalSandbox() as box:
        box.stripe.load(copy.deepcopy(demo))
        box.sid = box.sheets.create_spreadsheet("Journal des ventes", ["Feuille 1"])
        sheet = box.sheet_adapter(box.sid)
        generate(box.stripe_adapter(), sheet, store, settings, COMPANY, now=NOW)
        months = [t for t in tabs_by_index(box) if t.startswith("Écritures ")]
        assert months and months == sorted(months, reverse=True)
        assert tabs_by_index(box) == months + OURS[1:] + ["Feuille 1"]
        # Another month's tab made later by a second adapter (a new run): first again.
        later = GoogleSheetsAdapter(box.sid, Credentials(token=SHEETS_TOKEN),
                                    base_url=box.sheets_url)
        later.ensure_tabs([spreadsheet.TabSpec("Écritures 2027-01", ["Date"])])
        assert tabs_by_index(box) == ["Écritures 2027-01"] + months + OURS[1:] + ["Feuille 1"]


def test_a_tab_the_accountant_moved_stays_until_a_run_creates_one(box):
    sheet = box.sheet_adapter(box.sid)
    sheet.ensure_tabs([spreadsheet.TabSpec(t, ["A"]) for t in OURS])
    assert tabs_by_index(box) == OURS + ["Feuille 1"]
    mine = box.sheets.spreadsheets[box.sid].sheet_by_title("Feuille 1").sheet_id
    sheet._batch_update([{"updateSheetProperties": {               # her choice, in the UI
        "properties": {"sheetId": mine, "index": 0}, "fields": "index"}}])
    assert tabs_by_index(box) == ["Feuille 1"] + OURS
    again = box.sheet_adapter(box.sid)
    assert again.ensure_tabs([spreadsheet.TabSpec(t, ["A"]) for t in OURS]) == []
    assert tabs_by_index(box) == ["Feuille 1"] + OURS


# --------------------------------------------------------------------------- widths


def test_every_column_of_the_sheet_is_wide_enough_for_what_it_holds(box, store):
    generate(box.stripe_adapter(), box.sheet_adapter(box.sid), store, SETTINGS, COMPANY, now=NOW)
    model = box.sheets.spreadsheets[box.sid]
    checked = 0
    for title in OURS:
        sheet = model.sheet_by_title(title)
        rows = box.sheets.values(box.sid, title, FORMATTED_VALUE)
        assert len(rows) > 1, title
        header = rows[0]
        for col, name in enumerate(header):
            pixels = sheet.pixel_size("COLUMNS", col)
            assert pixels > 100 or len(name) < 9, (title, name, pixels)   # not left at 100
            if col == len(header) - 1:
                continue   # the last column's text runs over the empty cells on its right
            if name in spreadsheet.WRAPPED:
                cell = box.sheets.cell(box.sid, title, f"{chr(65 + col)}2")
                assert cell["format"].get("wrapStrategy") == "WRAP", (title, name)
                continue
            longest = max(len(str(r[col])) for r in rows if col < len(r))
            assert longest * PIXELS_PER_CHARACTER + CELL_PADDING_PIXELS <= pixels, (
                title, name, longest, pixels)
            checked += 1
    assert checked > 15


def test_the_sandbox_keeps_a_column_s_size_as_google_does(box):
    sheet = box.sheet_adapter(box.sid)
    sheet.ensure_tabs([spreadsheet.TabSpec("T", ["Date", "Client", "Motif"])])
    model = box.sheets.spreadsheets[box.sid].sheet_by_title("T")
    sizes = [model.pixel_size("COLUMNS", c) for c in range(3)]
    assert sizes == [spreadsheet.column_width(n) * PIXELS_PER_CHARACTER + CELL_PADDING_PIXELS
                     for n in ("Date", "Client", "Motif")]
    assert model.pixel_size("COLUMNS", 3) == 100 and model.pixel_size("ROWS", 0) == 21
    sid = model.sheet_id
    sheet._batch_update([{"insertDimension": {"range": {
        "sheetId": sid, "dimension": "COLUMNS", "startIndex": 0, "endIndex": 1}}}])
    model = box.sheets.spreadsheets[box.sid].sheet_by_title("T")
    assert [model.pixel_size("COLUMNS", c) for c in range(4)] == [100] + sizes
    with pytest.raises(ServiceError, match="400"):
        sheet._batch_update([{"updateDimensionProperties": {
            "range": {"sheetId": sid, "dimension": "COLUMNS", "startIndex": 0,
                      "endIndex": 27},
            "properties": {"pixelSize": 10}, "fields": "pixelSize"}}])


# --------------------------------------------------------------------------- the workbook


def test_the_workbook_opens_on_its_entries_tabs_in_order_columns_fit(demo, store, tmp_path):
    with LocalSandbox() as box:
        box.stripe.load(copy.deepcopy(demo))
        book = XlsxSpreadsheet(tmp_path / "journal.xlsx")
        generate(box.stripe_adapter(), book, store, SETTINGS, COMPANY, now=NOW)
    saved = load_workbook(tmp_path / "journal.xlsx")
    assert saved.sheetnames == OURS
    assert saved.active.title == "Écritures"
    for sheet in saved.worksheets:
        for column in sheet.iter_cols():
            letter = column[0].column_letter
            longest = max(len(shown_cell(c)) for c in column)
            if column[0].value in spreadsheet.WRAPPED:
                assert all(c.alignment.wrap_text for c in column[1:]), sheet.title
                continue
            assert sheet.column_dimensions[letter].width >= min(longest, 100), (
                sheet.title, column[0].value, longest)


def shown_cell(cell) -> str:
    """The text a workbook cell shows: its date or amount as its format writes it."""
    value = cell.value
    if isinstance(value, (date, datetime)):
        return "00/00/0000 00:00" if "HH" in cell.number_format else "00/00/0000"
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return f"{value:,.2f}"
    return "" if value is None else str(value)


def test_a_long_name_widens_its_column_in_the_workbook(tmp_path):
    name = "Établissement public de coopération culturelle du Grand Ouest"
    path = write_workbook(tmp_path / "w.xlsx", [
        Tab(spreadsheet.HISTORY, spreadsheet.HISTORY_HEADER,
            [[datetime(2026, 1, 1), "x", "y", "z"]]),
        Tab(spreadsheet.ANOMALIES, *spreadsheet.anomalies_tab([], {})),
        Tab(spreadsheet.ENTRIES, ["Date", "Client"], [[date(2026, 1, 1), name],
                                                       [date(2026, 1, 2), "x" * 300]]),
    ])
    saved = load_workbook(path)
    assert saved.sheetnames == ["Écritures", "Anomalies", "Historique"]
    assert saved.active.title == "Écritures"
    assert saved["Écritures"].column_dimensions["B"].width == spreadsheet.MAX_WIDTH
    saved = load_workbook(write_workbook(tmp_path / "v.xlsx", [
        Tab(spreadsheet.ENTRIES, ["Date", "Client"], [[date(2026, 1, 1), name]])]))
    assert saved["Écritures"].column_dimensions["B"].width == len(name) + 2
    assert saved["Écritures"].column_dimensions["A"].width == 12
    assert saved.active.title == "Écritures"
