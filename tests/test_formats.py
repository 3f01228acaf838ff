"""The Inexweb month file and the FEC, byte for byte where it matters."""

from dataclasses import replace
from datetime import date

from backend.core.model import JournalRow
from backend.core.money import comma, parse_cents
from backend.formats import fec, inexweb
from backend.formats.fec_validator import validate_fec


def row(piece="F-1", ref="in_1", account="411SIMPL", label="Facture F-1 Simplon", debit=0,
        credit=0, day=date(2026, 10, 5), sections=("", "", "")):
    return JournalRow(day, "VT", piece, ref, account, label, debit, credit, sections)


def entry_rows(piece="F-1", ref="in_1", day=date(2026, 10, 5), label="Facture F-1 Simplon"):
    return [row(piece, ref, "411SIMPL", label, debit=123456, day=day),
            row(piece, ref, "706100", label, credit=102880, day=day,
                sections=("BUREAUX", "LYON", "ABO")),
            row(piece, ref, "445711", label, credit=20576, day=day)]


def test_amounts_have_a_decimal_comma_two_decimals_no_thousands_separator():
    assert [comma(c) for c in (0, 5, 100, 123456, 100000000, -250)] == \
        ["0,00", "0,05", "1,00", "1234,56", "1000000,00", "-2,50"]


def test_parse_cents_reads_sheet_cells_exactly_or_refuses():
    assert [parse_cents(v) for v in ("12,50", "12.5", 12.5, 0.1, "", None, "1 234,56")] == \
        [1250, 1250, 1250, 10, 0, 0, 123456]
    assert [parse_cents(v) for v in ("abc", "1,2.3", "0,001", True, float("nan"))] == [None] * 5


def test_month_file_layout(settings):
    content = inexweb.month_file(entry_rows(), replace(settings, axis_names=("Activité", "Site", "Offre")))
    lines = content.split(b"\r\n")
    assert lines[-1] == b"" and b"\n" not in b"".join(lines)  # CRLF everywhere, final one too
    text = [line.decode("cp1252").split("\t") for line in lines[:-1]]
    assert text[0] == ["Date", "Code journal", "Pièce", "Ref. Pièce", "Numéro du compte", "Libellé",
                       "Débit", "Crédit", "Activité", "Site", "Offre"]
    assert text[1] == ["05/10/2026", "VT", "F-1", "in_1", "411SIMPL", "Facture F-1 Simplon",
                       "1234,56", "", "", "", ""]
    assert text[2] == ["05/10/2026", "VT", "F-1", "in_1", "706100", "Facture F-1 Simplon",
                       "", "1028,80", "BUREAUX", "LYON", "ABO"]


def test_month_file_transliterates_what_windows_1252_lacks(settings):
    replaced = set()
    rows = entry_rows(label="Facture F-1 Łukasz Wróbel ☕ Œuvre €")
    content = inexweb.month_file(rows, settings, replaced)
    label = content.split(b"\r\n")[1].split(b"\t")[5].decode("cp1252")
    assert label == "Facture F-1 Lukasz Wróbel ? Œuvre €"
    assert replaced == {"Ł", "☕"}
    utf8 = inexweb.month_file(rows, replace(settings, export_encoding="utf-8"))
    assert "Łukasz Wróbel ☕".encode() in utf8


def test_tabs_and_line_breaks_in_text_cannot_break_the_file(settings):
    content = inexweb.month_file(entry_rows(label="A\tB\nC\r\nD"), settings)
    assert all(len(l.split(b"\t")) == 11 for l in content.split(b"\r\n")[:-1])
    assert b"A B C D" in content


def test_fec_columns_customer_accounts_and_numbering(settings):
    rows = entry_rows("F-2", "in_2", date(2026, 10, 9)) + entry_rows("F-1", "in_1", date(2026, 10, 5))
    content = fec.fec_file(rows, settings, {"411SIMPL": "Simplon"})
    lines = [l.split("\t") for l in content.decode("utf-8").split("\r\n")[:-1]]
    assert lines[0] == list(fec.COLUMNS) and len(fec.COLUMNS) == 18
    first = dict(zip(fec.COLUMNS, lines[1]))
    assert first == {"JournalCode": "VT", "JournalLib": "Journal des ventes", "EcritureNum": "1",
                     "EcritureDate": "20261005", "CompteNum": "411000", "CompteLib": "Clients",
                     "CompAuxNum": "411SIMPL", "CompAuxLib": "Simplon", "PieceRef": "F-1",
                     "PieceDate": "20261005", "EcritureLib": "Facture F-1 Simplon",
                     "Debit": "1234,56", "Credit": "0,00", "EcritureLet": "", "DateLet": "",
                     "ValidDate": "20261005", "Montantdevise": "", "Idevise": ""}
    revenue = dict(zip(fec.COLUMNS, lines[2]))
    assert (revenue["CompteNum"], revenue["CompteLib"], revenue["CompAuxNum"]) == \
        ("706100", "Prestations de services", "")
    assert [l[2] for l in lines[1:]] == ["1", "1", "1", "2", "2", "2"]  # date order, continuous
    assert [l[8] for l in lines[1:]][::3] == ["F-1", "F-2"]
    assert validate_fec(content, fec.file_name("732829320", date(2026, 10, 31))) == []


def test_fec_with_pipe_separator_passes(settings):
    content = fec.fec_file(entry_rows(), replace(settings, fec_separator="|"))
    assert content.split(b"\r\n")[0].count(b"|") == 17
    assert validate_fec(content) == []


def test_fec_file_name():
    assert fec.file_name("732829320", date(2026, 10, 31)) == "732829320FEC20261031.txt"
