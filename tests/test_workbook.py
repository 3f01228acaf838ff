"""The local workbook: the sheet's tabs, formatted, and no text ever turned into a formula."""

import zipfile
from datetime import date, datetime
from decimal import Decimal

from openpyxl import load_workbook

from backend import spreadsheet
from backend.adapters.xlsx_workbook import Tab, write_workbook
from backend.core.model import JournalRow
from backend.core.settings import Settings

HOSTILE = ['=HYPERLINK("http://evil","x")', "+33 6 12", "-2+3", "@SUM(A1)", "=1+1"]


def rows():
    return [JournalRow(date(2026, 10, 5), "VT", "F-1", "in_1", "411HYPER", label, 123456, 0)
            for label in HOSTILE] + [
        JournalRow(date(2026, 10, 5), "VT", "F-1", "in_1", "706100", "x", 0, 617280,
                   ("BUREAUX", "LYON", "ABO"))]


def test_tabs_formats_and_text_stays_text(tmp_path):
    settings = Settings(axis_names=("Activité", "Site", "Offre"))
    path = write_workbook(tmp_path / "journal.xlsx", [
        Tab(spreadsheet.ENTRIES, *spreadsheet.entries_tab(rows(), settings)),
        Tab(spreadsheet.SETTINGS, *spreadsheet.settings_tab(settings)),
        Tab(spreadsheet.HISTORY, *spreadsheet.history_tab([spreadsheet.HistoryLine(
            datetime(2026, 11, 1, 6, 0), "=cmd", "Génération", "=2+2")])),
    ])
    book = load_workbook(path)
    assert book.sheetnames == ["Écritures", "Historique", "Paramètres"]   # the accountant's order
    sheet = book["Écritures"]
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]] == ["Date", "Code journal", "Pièce", "Ref. Pièce",
                                           "Numéro du compte", "Libellé", "Débit", "Crédit",
                                           "Activité", "Site", "Offre"]
    first = sheet[2]
    assert first[0].value == datetime(2026, 10, 5) and first[0].number_format == "DD/MM/YYYY"
    assert first[6].value == Decimal("1234.56") or first[6].value == 1234.56
    assert first[6].number_format == "#,##0.00" and first[7].value in ("", None)
    assert [sheet.cell(row=r, column=6).value for r in range(2, 7)] == HOSTILE
    assert all(sheet.cell(row=r, column=6).data_type == "s" for r in range(2, 7))
    assert book["Historique"]["D2"].value == "=2+2" and book["Historique"]["B2"].value == "=cmd"
    with zipfile.ZipFile(path) as archive:
        xml = "".join(archive.read(n).decode() for n in archive.namelist() if n.endswith(".xml"))
    assert "<f>" not in xml and "<f " not in xml


def test_write_is_atomic(tmp_path):
    path = tmp_path / "journal.xlsx"
    path.write_bytes(b"old")

    class Boom:
        def __str__(self):
            raise RuntimeError("boom")

    try:
        write_workbook(path, [Tab("Écritures", ["A"], [[Boom()]])])
    except RuntimeError:
        pass
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["journal.xlsx"]
