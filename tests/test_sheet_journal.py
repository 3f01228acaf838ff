"""Dedupe, validate and export on the sheet as the accountant left it."""

import copy
from datetime import date, datetime
from decimal import Decimal

import pytest
from demo_sheet import NOW, SETTINGS, generated, sheet  # noqa: F401 (fixtures)

from backend.core.settings import Settings
from backend.formats.fec_validator import validate_fec
from backend.journal_sheet import LayoutError, parse_tab
from backend.services.sheet_journal import ExportRefused, dedupe, export_month, validate


def body(sheet):
    return sheet.tabs["Écritures"]


def test_a_clean_sheet_validates(sheet):
    report = validate(sheet, SETTINGS)
    assert report.ok and report.lines == 1722 and report.pieces == 498
    assert "équilibré" in report.french()
    assert sheet.highlighted["Écritures"] == set()


def test_dedupe_removes_a_piece_pasted_twice_and_only_that(sheet):
    rows = body(sheet)
    piece_rows = [r for r in rows[1:] if r[3] == rows[1][3]]
    rows += copy.deepcopy(piece_rows)           # pasted again at the bottom
    rows.insert(40, copy.deepcopy(rows[5]))     # and one line of another piece, once
    before = len(rows)
    report = dedupe(sheet, SETTINGS)
    assert report.removed == {rows[1][3]: len(piece_rows)}
    assert len(body(sheet)) == before - len(piece_rows)
    assert not validate(sheet, SETTINGS).ok     # the half-copied piece is for a person to see
    assert dedupe(sheet, SETTINGS).removed == {}


def test_validate_reports_and_highlights_the_accountants_mistakes(sheet):
    rows = body(sheet)
    rows[2][6] = "douze"                  # text in an amount
    rows[5][6], rows[5][7] = Decimal("10"), Decimal("10")   # both sides
    rows[8][7] = Decimal(rows[8][7]) + Decimal("0.01")      # unbalances its piece
    rows.insert(12, ["", "", "", "", "", "", "", "", "", "", ""])   # a blank row is fine
    report = validate(sheet, SETTINGS)
    messages = {(p.row, p.message.split(" :")[0]) for p in report.problems}
    assert (3, "Débit illisible") in messages
    assert (6, "débit et crédit remplis sur la même ligne") in messages
    assert any(m.startswith("pièce déséquilibrée") for _, m in messages)
    assert {2, 5, 8} <= sheet.highlighted["Écritures"]
    assert 12 not in sheet.highlighted["Écritures"]


def test_columns_are_found_by_their_header(sheet):
    rows = body(sheet)
    order = [5, 0, 1, 2, 3, 4, 6, 7, 8, 9, 10]   # Libellé moved first
    sheet.tabs["Écritures"] = [[r[i] if i < len(r) else "" for i in order] for r in rows]
    assert validate(sheet, SETTINGS).ok
    sheet.tabs["Écritures"][0][1] = "Jour"
    with pytest.raises(LayoutError, match="« Date »"):
        validate(sheet, SETTINGS)


def test_export_month_from_the_sheet_with_corrections(sheet):
    rows = body(sheet)
    rows[1][5] = "Libellé corrigé à la main"
    export = export_month(sheet, SETTINGS, "2026-10")
    assert export.fec_name == "FEC-extrait-918345620-2026-10.txt"    # an extract of the year's FEC
    assert validate_fec(export.fec) == []
    text = export.inexweb.decode("cp1252")
    assert "Libellé corrigé à la main" in text
    assert text.count("\r\n") == 1 + len(export.rows)
    assert all(r.date.strftime("%Y-%m") == "2026-10" for r in export.rows)
    assert "Historique" in sheet.tabs and sheet.tabs["Historique"][-1][2] == "Export du mois d'octobre 2026"


def test_export_refuses_a_month_that_does_not_balance(sheet):
    body(sheet)[2][7] = Decimal("1")
    with pytest.raises(ExportRefused, match="déséquilibrée"):
        export_month(sheet, SETTINGS, "2026-10")


def test_accountant_values_are_read_whatever_their_form():
    header = ["Date", "Code journal", "Pièce", "Ref. Pièce", "Numéro du compte", "Libellé", "Débit",
              "Crédit"]
    rows = [header,
            [46300, "VT", "F1", "", 411000.0, "x", 12.5, ""],                  # Sheets serial, floats
            ["05/10/2026", "VT", "F1", "", "706100", "x", "", "10,00"],
            [datetime(2026, 10, 5), "VT", "F1", "", "445711", "x", "", "2.50"]]
    lines = parse_tab("Écritures", rows, Settings())
    assert [l.problems for l in lines] == [[], [], []]
    assert lines[0].row.date == date(2026, 10, 5) and lines[0].row.account == "411000"
    assert [(l.row.debit, l.row.credit) for l in lines] == [(1250, 0), (0, 1000), (0, 250)]
