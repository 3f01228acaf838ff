"""The FEC of a period (a fiscal year, or the months asked): one EcritureNum sequence over the
period, the legal name with the period's closing date; a month's FEC is an extract, named so."""

import copy
import random
import re
from datetime import date
from decimal import Decimal

import pytest
from demo_sheet import NOW, SETTINGS, generated, sheet  # noqa: F401 (fixtures)

from backend.adapters.memory import MemorySpreadsheet
from backend.adapters.xlsx_workbook import XlsxSpreadsheet
from backend.cli import EXIT_INPUT, main
from backend.core.settings import (
    SHEET_KEYS,
    Settings,
    SettingsError,
    from_mapping,
    to_rows,
)
from backend.demo import DEMO_COMPANY
from backend.formats.fec_validator import check_file_name, validate_fec
from backend.services.generate import entry_tab_spec
from backend.services.sheet_journal import (
    ExportRefused,
    NothingToExport,
    export_month,
    export_period,
    fiscal_year,
)

SIREN = DEMO_COMPANY["siren"]


def pieces(days: list[date], prefix: str, seed: int) -> list[list]:
    """Balanced pièces written by hand in the sheet, one per day given (customer, revenue, VAT)."""
    draw = random.Random(seed)
    rows = []
    for number, day in enumerate(days, start=1):
        net = draw.randint(100, 90_000)
        vat = net // 5
        piece = f"{prefix}-{number:03d}"
        label = f"Facture {piece} Client {number}"
        rows += [[day, "VT", piece, "", "411CLI01", label, Decimal(net + vat) / 100, "", "", "", ""],
                 [day, "VT", piece, "", "706000", label, "", Decimal(net) / 100, "", "", ""],
                 [day, "VT", piece, "", "445711", label, "", Decimal(vat) / 100, "", "", ""]]
    return rows


SEPTEMBER = [date(2026, 9, d) for d in (3, 3, 17, 30)]
NOVEMBER = [date(2026, 11, d) for d in (2, 15, 30)]
NEXT_YEAR = [date(2027, 1, 4)]


def year_sheet(sheet: MemorySpreadsheet) -> MemorySpreadsheet:
    """The demo's month with pièces of September, November and the next January around it;
    September's are written last, as an accountant adding them later would."""
    sheet.tabs["Écritures"] += (pieces(NOVEMBER, "NOV", 1) + pieces(NEXT_YEAR, "JAN", 2)
                                + pieces(SEPTEMBER, "SEP", 3))
    return sheet


def records(content: bytes) -> list[list[str]]:
    lines = content.decode("utf-8").split("\r\n")
    assert lines[0].startswith("JournalCode\tJournalLib\tEcritureNum") and lines[-1] == ""
    return [line.split("\t") for line in lines[1:-1]]


def numbers_by_piece(content: bytes) -> dict[str, int]:
    """PieceRef -> EcritureNum, checking each pièce has one number."""
    found: dict[str, int] = {}
    for record in records(content):
        assert found.setdefault(record[8], int(record[2])) == int(record[2])
    return found


# --- the period's file ----------------------------------------------------------------------

def test_the_years_fec_numbers_its_pieces_continuously_across_the_months(sheet):
    year_sheet(sheet)
    export = export_period(sheet, SETTINGS, "2026-01", "2026-12", now=NOW)
    assert export.fec_name == f"{SIREN}FEC20261231.txt"
    assert validate_fec(export.fec, export.fec_name) == []
    numbers = numbers_by_piece(export.fec)
    assert export.pieces == len(numbers) == 4 + 497 + 1 + 3        # no January 2027
    assert sorted(numbers.values()) == list(range(1, export.pieces + 1))
    assert not any(piece.startswith("JAN-") for piece in numbers)
    # September comes first although written last; within a day, the sheet's order.
    assert [numbers[f"SEP-00{n}"] for n in (1, 2, 3, 4)] == [1, 2, 3, 4]
    # October is the month's file shifted by September's 4 pièces, in the same order...
    october = export_month(copy.deepcopy(sheet), SETTINGS, "2026-10")
    in_month = numbers_by_piece(october.fec)
    assert sorted(in_month.values()) == list(range(1, 498))
    assert {p: numbers[p] for p in in_month} == {p: n + 4 for p, n in in_month.items()}
    # ... and November (the demo's pièce of 1 November, then ours) starts where October ends.
    last_of_october = max(numbers[p] for p in in_month)
    november = sorted(n for p, n in numbers.items()
                      if p not in in_month and not p.startswith("SEP-"))
    assert last_of_october == 501 and november == list(range(502, 506))


def test_every_line_of_the_period_is_written_once_with_its_amounts(sheet):
    year_sheet(sheet)
    export = export_period(sheet, SETTINGS, "2026-09", "2026-11", now=NOW)
    assert export.fec_name == f"{SIREN}FEC20261130.txt"
    body = records(export.fec)
    assert len(body) == len(export.rows) == 12 + 1722 + 9
    debit = sum(Decimal(r[11].replace(",", ".")) for r in body)
    credit = sum(Decimal(r[12].replace(",", ".")) for r in body)
    assert debit == credit > 0
    dates = [r[3] for r in body]
    assert dates == sorted(dates) and dates[0] == "20260903" and dates[-1] == "20261130"
    assert sheet.tabs["Historique"][-1][2:4] == [
        "Export du FEC (septembre 2026 à novembre 2026)",
        f"505 pièce(s), 1743 ligne(s) exportées : {SIREN}FEC20261130.txt"]


def test_a_month_per_tab_is_read_across_its_tabs(sheet):
    """With tab_per_month, each month is in its own tab: the period reads them all, in date
    order whatever the order of the tabs."""
    rows = year_sheet(sheet).tabs.pop("Écritures")
    header, body = rows[0], rows[1:]
    for month in ("2026-11", "2026-09", "2026-10", "2027-01"):   # not in date order
        sheet.tabs[f"Écritures {month}"] = [header] + [r for r in body if f"{r[0]:%Y-%m}" == month]
    settings = from_mapping({"tab_per_month": "oui"}, base=SETTINGS)
    export = export_period(sheet, settings, "2026-01", "2026-12", now=NOW)
    numbers = numbers_by_piece(export.fec)
    assert sorted(numbers.values()) == list(range(1, 506))
    assert numbers["SEP-001"] == 1 and numbers["NOV-003"] == 505
    assert validate_fec(export.fec, export.fec_name) == []


def test_a_period_with_a_fault_in_one_month_is_refused(sheet):
    year_sheet(sheet)
    september_line = next(r for r in sheet.tabs["Écritures"] if r[2] == "SEP-002")
    september_line[6] = Decimal(september_line[6]) + Decimal("0.01")
    with pytest.raises(ExportRefused, match="SEP-002.*déséquilibrée"):
        export_period(sheet, SETTINGS, "2026-01", "2026-12", now=NOW)
    assert export_period(sheet, SETTINGS, "2026-10", "2026-12", now=NOW).pieces == 501


def test_an_empty_period_is_refused_in_one_french_sentence(sheet):
    with pytest.raises(NothingToExport) as refused:
        export_period(sheet, SETTINGS, "2025-01", "2025-12", now=NOW)
    assert str(refused.value) == ("Aucune écriture sur la période (janvier 2025 à décembre 2025) "
                                  "dans la feuille : aucun FEC écrit.")
    assert "ligne 0" not in str(refused.value)


@pytest.mark.parametrize("first, last, said", [
    ("2026-12", "2026-01", "la période commence (décembre 2026) après sa fin (janvier 2026)"),
    ("2026-13", "2026-12", "mois « 2026-13 » invalide"),
    ("2026-1", "2026-12", "mois « 2026-1 » invalide"),
])
def test_a_wrong_period_is_refused_before_reading(first, last, said):
    with pytest.raises(ValueError, match=re.escape(said)):
        export_period(MemorySpreadsheet(), SETTINGS, first, last)


# --- the month's extract --------------------------------------------------------------------

def test_the_months_fec_is_named_as_an_extract_not_as_the_legal_file(sheet):
    export = export_month(sheet, SETTINGS, "2026-10")
    assert export.fec_name == f"FEC-extrait-{SIREN}-2026-10.txt"
    assert validate_fec(export.fec) == []
    assert [p.message for p in check_file_name(export.fec_name)] == [
        f"file name '{export.fec_name}': SIREN '' is not 9 digits",
        (f"file name '{export.fec_name}': closing date '-extrait-{SIREN}-2026-10' is not a "
         "valid AAAAMMJJ date")]
    assert sorted(numbers_by_piece(export.fec).values()) == list(range(1, 498))


# --- the fiscal year's setting ----------------------------------------------------------------

@pytest.mark.parametrize("typed, kept", [("01", "01"), ("7", "07"), (7.0, "07"), (" 12 ", "12")])
def test_the_fiscal_year_start_is_a_month(typed, kept):
    assert from_mapping({"fiscal_year_start": typed}).fiscal_year_start == kept


@pytest.mark.parametrize("typed", ["0", "13", "juillet", "", "2026-07", "١"])
def test_a_fiscal_year_start_that_is_not_a_month_is_refused_in_french(typed):
    with pytest.raises(SettingsError) as refused:
        from_mapping({"fiscal_year_start": typed})
    assert str(refused.value).startswith("fiscal_year_start : mois de début d'exercice invalide")
    assert "(un mois de 01 à 12)" in str(refused.value)


def test_the_fiscal_year_start_is_in_the_parametres_tab():
    assert "fiscal_year_start" in SHEET_KEYS
    row = next(r for r in to_rows(Settings()) if r[0] == "fiscal_year_start")
    assert row[1] == "01" and "exercice" in row[2]


@pytest.mark.parametrize("start, year, period", [
    ("01", 2026, ("2026-01", "2026-12")),
    ("07", 2026, ("2026-07", "2027-06")),
    ("12", 2025, ("2025-12", "2026-11")),
])
def test_the_fiscal_year_runs_twelve_months_from_its_first(start, year, period):
    assert fiscal_year(year, from_mapping({"fiscal_year_start": start})) == period


def test_a_fiscal_year_from_october_takes_the_next_years_months(sheet):
    year_sheet(sheet)
    settings = from_mapping({"fiscal_year_start": "10"}, base=SETTINGS)
    export = export_period(sheet, settings, *fiscal_year(2026, settings), now=NOW)
    assert export.fec_name == f"{SIREN}FEC20270930.txt"
    pieces_ = numbers_by_piece(export.fec)
    assert pieces_["MDC-2026-5401"] == 1 and pieces_["JAN-001"] == 502 == export.pieces
    assert not any(p.startswith("SEP-") for p in pieces_)


# --- the command line -----------------------------------------------------------------------

@pytest.fixture
def workbook(sheet, tmp_path):
    """The year's sheet in a local .xlsx workbook, as the command line reads one."""
    book = tmp_path / "journal.xlsx"
    local = XlsxSpreadsheet(book)
    tabs = year_sheet(sheet).tabs
    local.ensure_tabs([entry_tab_spec("Écritures", SETTINGS)])
    local.append("Écritures", tabs["Écritures"][1:])
    return book


def test_export_from_to_writes_one_legal_fec(workbook, tmp_path, capsys):
    settings = tmp_path / "settings.json"
    settings.write_text(f'{{"siren": "{SIREN}", "axis_names": "Activité;Site;Offre"}}',
                        encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    where = ["--xlsx", str(workbook), "--database", f"sqlite:///{tmp_path / 'l.db'}",
             "--settings", str(settings)]
    assert main(["export", *where, "--from", "2026-01", "--to", "2026-12", "--out", str(out)]) == 0
    assert [p.name for p in out.iterdir()] == [f"{SIREN}FEC20261231.txt"]
    content = (out / f"{SIREN}FEC20261231.txt").read_bytes()
    assert validate_fec(content, f"{SIREN}FEC20261231.txt") == []
    assert sorted(numbers_by_piece(content).values()) == list(range(1, 506))
    assert "exported 505 piece(s), 1743 line(s) from 2026-01 to 2026-12" in capsys.readouterr().out
    assert main(["export", *where, "--month", "2026-10", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        f"{SIREN}FEC20261231.txt", f"FEC-extrait-{SIREN}-2026-10.txt", "inexweb-2026-10.txt"]


@pytest.mark.parametrize("arguments, said", [
    (["--from", "2026-12", "--to", "2026-01"],
     ("error: --from 2026-12 is after --to 2026-01 (la période commence après sa fin); "
      "nothing written")),
    (["--from", "2026-01"], "error: give --month AAAA-MM, or --from AAAA-MM and --to AAAA-MM"),
    (["--month", "2026-10", "--from", "2026-01", "--to", "2026-12"],
     "error: give either --month or --from and --to, not both"),
    (["--from", "2026-1", "--to", "2026-12"], "error: --from '2026-1' is not a month AAAA-MM"),
    ([], "error: give --month AAAA-MM, or --from AAAA-MM and --to AAAA-MM"),
])
def test_export_refuses_a_wrong_period_before_opening_anything(arguments, said, tmp_path, capsys):
    database = tmp_path / "l.db"
    book = tmp_path / "journal.xlsx"
    code = main(["export", "--xlsx", str(book), "--database", f"sqlite:///{database}",
                 *arguments, "--out", str(tmp_path)])
    assert code == EXIT_INPUT == 2
    assert capsys.readouterr().err.startswith(said)
    assert list(tmp_path.iterdir()) == []              # no file, no database, no workbook
