"""The Inexweb import layout: the sheet's columns and the month file.

Columns in order: Date, Code journal, Pièce, Ref. Pièce, Numéro du compte, Libellé, Débit,
Crédit, then one column per analytic axis headed with its name. The month file is
tab-separated, dates JJ/MM/AAAA, amounts with a decimal comma and two decimals, an empty cell
for the unused side, CRLF line ends, Windows-1252 by default.
"""

from __future__ import annotations

from backend.core.model import JournalRow
from backend.core.money import comma, to_decimal
from backend.core.settings import Settings
from backend.formats.cells import as_text
from backend.formats.encoding import encode, single_line

FIXED_COLUMNS = ("Date", "Code journal", "Pièce", "Ref. Pièce", "Numéro du compte", "Libellé",
                 "Débit", "Crédit")
# Columns of the month file the product formats as a date or an amount ("-2,50" is a number):
# every other field is text, quoted where a spreadsheet would compute it (see cells.py).
NUMERIC_COLUMNS = frozenset((0, 6, 7))


def header(settings: Settings) -> list[str]:
    return [*FIXED_COLUMNS, *settings.axis_names]


def sheet_values(row: JournalRow) -> list:
    """A row as sheet cells: a real date, amounts as exact numbers, "" for the unused side."""
    return [row.date, row.journal, row.piece, row.ref, row.account, row.label,
            to_decimal(row.debit) if row.debit else "", to_decimal(row.credit) if row.credit else "",
            *row.sections]


def file_fields(row: JournalRow) -> list[str]:
    return [row.date.strftime("%d/%m/%Y"), row.journal, row.piece, row.ref, row.account,
            row.label, comma(row.debit) if row.debit else "",
            comma(row.credit) if row.credit else "", *row.sections]


def month_file(rows: list[JournalRow], settings: Settings,
               replaced: set[str] | None = None) -> bytes:
    """The file the accountant imports into Inexweb. Characters the encoding lacks are
    transliterated and collected in `replaced`."""
    lines = [[as_text(single_line(name)) for name in header(settings)]]
    lines += [[_field(col, cell) for col, cell in enumerate(file_fields(row))] for row in rows]
    text_lines = ("\t".join(line) for line in lines)
    return b"".join(encode(line, settings.export_encoding, replaced) + b"\r\n"
                    for line in text_lines)


def _field(column: int, value) -> str:
    text = single_line(str(value))
    return text if column in NUMERIC_COLUMNS else as_text(text)
