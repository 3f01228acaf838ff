"""Month files say what they hold: the demo month's run writes 1722 lines, 3 of them dated
1 November (an invoice finalized on 31 October at 23:30 UTC, 00:30 in Paris); the month's
Inexweb file and FEC take the 1719 of October, and so does the month's workbook, whose
"Autres mois" tab holds the 3 others saying with which month they go. The summaries count
both and give the reason."""

import copy
from datetime import date, datetime
from pathlib import Path

from demo_sheet import NOW, SETTINGS, generated, sheet  # noqa: F401 (fixtures)
from openpyxl import load_workbook

from backend.adapters.memory import MemorySpreadsheet
from backend.adapters.xlsx_workbook import OTHER_MONTHS, write_workbook
from backend.core.model import JournalRow
from backend.core.settings import Settings
from backend.services.demo import run_demo, workbook_tabs
from backend.services.month_files import EXPORTED_WITH, difference_english, split_month
from backend.services.sheet_journal import elsewhere_french, export_month
from backend.spreadsheet import entries_tab


def test_the_month_export_counts_the_lines_dated_elsewhere(sheet):
    export = export_month(sheet, SETTINGS, "2026-10", now=NOW)
    assert len(export.rows) == 1719
    assert export.elsewhere == {"2026-11": 3}
    assert len(sheet.tabs["Écritures"]) - 1 == 1722
    assert sheet.tabs["Historique"][-1][2:] == [
        "Export du mois d'octobre 2026", "1719 lignes exportées (Inexweb et FEC) ; 3 lignes datées de "
        "novembre 2026 : exportées avec novembre 2026"]
    november = export_month(copy.deepcopy(sheet), SETTINGS, "2026-11", now=NOW)
    assert len(november.rows) == 3 and november.elsewhere == {"2026-10": 1719}


def test_the_months_workbook_keeps_the_month_and_says_where_the_others_go(sheet):
    tabs = sheet.read(sheet.tab_titles())
    split = split_month(tabs, SETTINGS, "2026-10")
    assert len(split["Écritures"]) == 1 + 1719
    assert split["Écritures"][0] == tabs["Écritures"][0]
    others = split[OTHER_MONTHS]
    assert others[0] == tabs["Écritures"][0] + [EXPORTED_WITH]
    assert [row[-1] for row in others[1:]] == ["novembre 2026"] * 3
    assert {row[2] for row in others[1:]} == {"MDC-2026-5899"}
    assert sorted(map(repr, split["Écritures"][1:] + [r[:-1] for r in others[1:]])) == sorted(
        map(repr, tabs["Écritures"][1:]))               # every line, once
    for title in tabs:
        if title != "Écritures":
            assert split[title] == tabs[title]          # the other tabs as they are
    # A month whose lines are all its own: no such tab.
    october = {title: rows for title, rows in split.items() if title != OTHER_MONTHS}
    assert split_month(october, SETTINGS, "2026-10") == october


def test_one_tab_per_month_keeps_the_months_tab_only():
    settings = Settings(tab_per_month=True)
    def tab(day):
        rows = [JournalRow(day, "VT", "F-1", f"in_{day:%m}", "411X", "Facture F-1 X", 100, 0),
                JournalRow(day, "VT", "F-1", f"in_{day:%m}", "706100", "Facture F-1 X", 0, 100)]
        header, body = entries_tab(rows, settings)
        return [header] + body
    tabs = {"Écritures 2026-10": tab(date(2026, 10, 3)), "Écritures 2026-11": tab(date(2026, 11, 1)),
            "Historique": [["Date", "Déclencheur", "Action", "Résultat"]]}
    split = split_month(tabs, settings, "2026-10")
    assert list(split) == ["Écritures 2026-10", "Historique", OTHER_MONTHS]
    assert split["Écritures 2026-10"] == tabs["Écritures 2026-10"]
    assert [row[-1] for row in split[OTHER_MONTHS][1:]] == ["novembre 2026"] * 2


def test_the_workbook_shows_the_other_months_tab_after_the_entries(sheet, tmp_path):
    tabs = split_month(sheet.read(sheet.tab_titles()), SETTINGS, "2026-10")
    book = load_workbook(write_workbook(tmp_path / "journal-2026-10.xlsx", workbook_tabs(tabs)))
    assert book.sheetnames[:2] == ["Écritures", OTHER_MONTHS]
    entries = book["Écritures"]
    assert entries.max_row == 1720
    assert {c.value.month for c in entries["A"][1:]} == {10}
    other = book[OTHER_MONTHS]
    assert other.max_row == 4
    assert other["A2"].value == datetime(2026, 11, 1) and other["A2"].number_format == "DD/MM/YYYY"
    assert other["L1"].value == EXPORTED_WITH and other["L2"].value == "novembre 2026"


def test_the_differences_said_in_english_and_french():
    assert difference_english("2026-10", 1719, {"2026-11": 3}, workbook=True) == [
        "month 2026-10 exported from the sheet: 1719 of its 1722 lines; the others are dated "
        "(in the company's time zone) in another month:",
        "  3 line(s) dated 2026-11 (novembre 2026): exported with 2026-11 (workbook tab "
        "\"Autres mois\")"]
    assert difference_english("2026-10", 12, {}) == [
        "month 2026-10 exported from the sheet: 12 lines (every line it holds)"]
    assert elsewhere_french({"2026-11": 3, "2026-08": 1}) == (
        "3 lignes datées de novembre 2026 : exportées avec novembre 2026 ; 1 ligne datée "
        "d'août 2026 : exportée avec août 2026")
    assert elsewhere_french({}) == ""
    # A sheet with one tab for the year: the other months in one sentence, not a list.
    assert elsewhere_french({"2026-07": 1700, "2026-08": 1650, "2026-09": 1600, "2026-11": 3}) \
        == ("4953 lignes datées d'autres mois (de juillet 2026 à novembre 2026) : exportées "
            "avec leur mois")


def test_make_demo_says_what_the_month_files_hold(tmp_path, capsys):
    assert run_demo(tmp_path / "demo") == 0
    out = capsys.readouterr().out
    assert "rows written to the sheet: 1722 (498 entries)" in out
    assert ("month 2026-10 exported from the sheet: 1719 of its 1722 lines; the others are "
            "dated (in the company's time zone) in another month:") in out
    assert ("  3 line(s) dated 2026-11 (novembre 2026): exported with 2026-11 (workbook tab "
            "\"Autres mois\")") in out
    book = load_workbook(Path(tmp_path / "demo" / "journal-2026-10.xlsx"))
    assert book.sheetnames == ["Écritures", OTHER_MONTHS, "Anomalies", "Historique", "Paramètres"]
    assert book["Écritures"].max_row == 1 + 1719 and book[OTHER_MONTHS].max_row == 1 + 3
    inexweb = (tmp_path / "demo" / "inexweb-2026-10.txt").read_bytes()
    assert inexweb.count(b"\r\n") == 1 + 1719


def test_the_cli_export_says_why_it_holds_fewer_lines(sheet, tmp_path, capsys):
    from backend.adapters.xlsx_workbook import XlsxSpreadsheet
    from backend.cli import main
    book = XlsxSpreadsheet(tmp_path / "journal.xlsx")
    for title, rows in sheet.tabs.items():
        book.tabs[title] = copy.deepcopy(rows)
    book._changed()
    settings = tmp_path / "settings.json"
    settings.write_text('{"siren": "918345620", "axis_names": ["Activité", "Site", "Offre"]}',
                        encoding="utf-8")
    assert main(["export", "--xlsx", str(tmp_path / "journal.xlsx"), "--settings", str(settings),
                 "--database", f"sqlite:///{tmp_path / 'l.db'}", "--month", "2026-10",
                 "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "exported 1719 line(s) of 2026-10" in out
    assert "  3 line(s) dated 2026-11 (novembre 2026): exported with 2026-11\n" in out


def test_a_month_of_its_own_lines_only_says_nothing_more(tmp_path, capsys):
    rows = [JournalRow(date(2026, 10, 3), "VT", "F-1", "in_1", "411X", "Facture F-1 X", 100, 0),
            JournalRow(date(2026, 10, 3), "VT", "F-1", "in_1", "706100", "Facture F-1 X", 0, 100)]
    mem = MemorySpreadsheet()
    header, body = entries_tab(rows, SETTINGS)
    mem.tabs["Écritures"] = [header] + body
    export = export_month(mem, SETTINGS, "2026-10", now=NOW)
    assert export.elsewhere == {}
