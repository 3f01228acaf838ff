"""No field of a file the accountant opens in a spreadsheet program starts a formula (issue 13, 2).

Customer names, invoice numbers, product sections and labels carrying each OWASP trigger go
through the real writers; the bytes are read back as a spreadsheet would (the csv module for
the Inexweb file and the FEC, openpyxl for the workbook), and every field must start with
something other than a trigger while still holding the text.
"""

import csv
import io
import zipfile
from dataclasses import replace
from datetime import date

import pytest
from builders import customer, invoice, line, product, standard_catalog
from openpyxl import load_workbook

from backend.adapters.xlsx_workbook import Tab, XlsxSpreadsheet, write_workbook
from backend.core.model import JournalRow
from backend.formats import fec, inexweb
from backend.formats.cells import as_text, would_compute
from backend.formats.encoding import encode, single_line
from backend.formats.fec_validator import validate_fec
from backend.services.convert import convert

PAYLOADS = ["@SUM(1+1)*cmd|' /C calc'!A0", "=SUM Consulting", "+Plus Agency", "-2+3",
            "\tTab Conseil", "\rRetour Conseil", '"=1+1"', " =2+2", "＝3+3"]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0", "＝", "＋", "－", "＠")
# Fields the product itself formats as numbers or dates: never quoted.
FEC_NUMERIC = {"EcritureNum", "EcritureDate", "PieceDate", "Debit", "Credit", "DateLet",
               "ValidDate", "Montantdevise"}


def computes(field: str) -> bool:
    """What a spreadsheet might do with the field: drop the quotes and spaces, then compute."""
    return field.lstrip(' "\u00a0').startswith(TRIGGERS) or field.startswith(TRIGGERS)


def readable(payload: str, sep: str = "\t") -> str:
    """The text a file keeps of the payload: tabs, line breaks and the separator are spaces in
    these files."""
    return single_line(payload).replace(sep, " ").strip(' "')


def read_fields(content: bytes, encoding: str, sep: str) -> list[list[str]]:
    text = content.decode(encoding)
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))


def assert_no_formula(records: list[list[str]], numeric: set[int] = frozenset()):
    for n, record in enumerate(records):
        for col, field in enumerate(record):
            if col in numeric and n:
                assert not field.startswith(("=", "+", "@")), (n, col, field)
                continue
            assert not computes(field), f"line {n}, column {col}: {field!r}"


# --- the rule ---------------------------------------------------------------------------------

@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_trigger_gets_a_leading_quote_and_keeps_its_text(payload):
    assert would_compute(payload)
    assert as_text(payload) == "'" + payload


@pytest.mark.parametrize("text", ["Simplon", "", "411SIMPL", "Facture F-1 =Evil", "'déjà cité",
                                  "12,50", "Élodie Dupont", "  Espace"])
def test_plain_text_is_left_alone(text):
    assert as_text(text) == text


# --- the files, from Stripe objects through the real pipeline ----------------------------------

def hostile_month():
    """One invoice per payload: the customer is named with it, the invoice numbered with it,
    and its product's three sections hold it (Stripe product metadata)."""
    objects = standard_catalog()
    for n, payload in enumerate(PAYLOADS, start=1):
        objects += [customer(f"cus_p{n}", payload, f"411PAYL{n}"),
                    product(f"prod_p{n}", payload, "706100", (payload, f"X{payload}", payload)),
                    invoice(f"in_p{n}", payload, f"cus_p{n}",
                            [line(f"il_p{n}", f"prod_p{n}", 1000 * n)])]
    return objects


def test_inexweb_file_has_no_formula_and_keeps_the_names(settings):
    settings = replace(settings, axis_names=("=Activité", "@Site", "-Offre"))
    done = convert(hostile_month(), settings, "inexweb")
    assert len(done.journaled.result.entries) == len(PAYLOADS)
    records = read_fields(done.content, "cp1252", "\t")
    assert records[0][8:] == ["'=Activité", "'@Site", "'-Offre"]
    assert_no_formula(records, numeric={0, 6, 7})
    for payload in PAYLOADS:
        kept = encode(readable(payload), "cp1252").decode("cp1252")   # ＝ is folded to =
        pieces = [r for r in records[1:] if r[2].strip(" '\"") == kept]
        assert pieces, payload
        quoted = would_compute(single_line(payload))      # a leading tab is a space here
        assert all(r[2].startswith("'") == quoted and kept in r[2] for r in pieces)
        sections = [r[8] for r in pieces if r[8]]
        assert sections and all(s.startswith("'") == quoted and kept in s for s in sections)
        assert any(kept in r[5] for r in pieces)          # the label names the customer
    amounts = [r[6] or r[7] for r in records[1:]]
    assert all(a.replace(",", "").isdigit() for a in amounts)  # amounts stay numbers


@pytest.mark.parametrize("sep", ["\t", "|"])
def test_fec_has_no_formula_keeps_the_names_and_passes_the_validator(settings, sep):
    settings = replace(settings, siren="123456789", fec_separator=sep)
    done = convert(hostile_month(), settings, "fec")
    problems = [p for p in validate_fec(done.content, encoding="utf-8") if p.severity == "error"]
    assert problems == []
    records = read_fields(done.content, "utf-8", sep)
    columns = records[0]
    assert columns == list(fec.COLUMNS)
    assert_no_formula(records, numeric={columns.index(c) for c in FEC_NUMERIC})
    aux_label, piece = columns.index("CompAuxLib"), columns.index("PieceRef")
    for payload in PAYLOADS:
        kept = readable(payload, sep)
        names = {r[aux_label] for r in records[1:] if r[aux_label].strip(" '\"") == kept}
        assert names, payload
        assert all(not computes(n) and (n.startswith("'") or payload[0] in "\t\r") for n in names)
        assert any(r[piece].strip(" '\"") == kept for r in records[1:]), payload


def test_labels_written_in_the_sheet_are_quoted_in_both_files(settings):
    """The accountant (or a copy-paste) may put anything in Libellé: the export reads it back."""
    settings = replace(settings, siren="123456789")
    rows = []
    for n, payload in enumerate(PAYLOADS, start=1):
        piece = f"F-{n}"
        rows += [JournalRow(date(2026, 10, 5), "VT", piece, f"in_{n}", "411SIMPL", payload,
                            1200, 0),
                 JournalRow(date(2026, 10, 5), "VT", piece, f"in_{n}", "706100", payload, 0,
                            1000, (payload, "", "")),
                 JournalRow(date(2026, 10, 5), "VT", piece, f"in_{n}", "445711", payload, 0,
                            200)]
    month = read_fields(inexweb.month_file(rows, settings), "cp1252", "\t")
    assert_no_formula(month, numeric={0, 6, 7})
    content = fec.fec_file(rows, settings)
    assert [p for p in validate_fec(content) if p.severity == "error"] == []
    records = read_fields(content, "utf-8", "\t")
    assert_no_formula(records, numeric={records[0].index(c) for c in FEC_NUMERIC})
    label = records[0].index("EcritureLib")
    assert [r[label] for r in records[1::3]] == [as_text(single_line(p)) for p in PAYLOADS]
    assert records[1][label] == "'" + PAYLOADS[0]


def test_negative_amounts_in_the_month_file_stay_numbers(settings):
    """A credit on the debit side is written as the product formats it, sign and all."""
    rows = [JournalRow(date(2026, 10, 5), "VT", "A-1", "cn_1", "411SIMPL", "Avoir", -250, 0)]
    fields = read_fields(inexweb.month_file(rows, settings), "cp1252", "\t")[1]
    assert fields[6] == "-2,50"


# --- the workbook -----------------------------------------------------------------------------

def test_workbook_cells_and_headers_are_plain_strings_with_their_exact_text(tmp_path):
    header = ["Date", "=Activité", "@SUM(A1)", "Libellé"]
    rows = [[date(2026, 10, 5), payload, payload, f"Facture {payload}"] for payload in PAYLOADS]
    path = write_workbook(tmp_path / "journal.xlsx", [Tab("Écritures", header, rows)])
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    sheet = load_workbook(path)["Écritures"]
    got = [[c.value for c in row] for row in sheet.iter_rows()]
    assert got[0] == header
    # XML reads a carriage return as a line feed: the only change the text may undergo.
    kept = [p.replace("\r", "\n") for p in PAYLOADS]
    assert [r[1:] for r in got[1:]] == [[p, p, f"Facture {p}"] for p in kept]
    for row in sheet.iter_rows():
        for cell in row[1:]:
            assert cell.data_type == "s", cell.coordinate
            # Excel keeps a quote-prefixed cell text even when the accountant edits it.
            assert bool(cell.quotePrefix) == would_compute(cell.value), cell.coordinate


def test_xlsx_spreadsheet_keeps_hostile_text_across_saves(tmp_path):
    path = tmp_path / "book.xlsx"
    sheet = XlsxSpreadsheet(path)
    sheet.tabs["Écritures"] = [["Date", "=Axe"], [date(2026, 10, 5), "=SUM Consulting"]]
    sheet._changed()
    again = XlsxSpreadsheet(path)
    assert again.tabs["Écritures"][0] == ["Date", "=Axe"]
    assert again.tabs["Écritures"][1][1] == "=SUM Consulting"
    book = load_workbook(path)
    assert all(c.data_type != "f" for row in book["Écritures"].iter_rows() for c in row)
