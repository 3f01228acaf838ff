"""The accountant's workbook as a local .xlsx file, for running with no Google account.

Tabs as in the Google Sheet and in the accountant's order (Écritures, Anomalies, Historique,
Paramètres: spreadsheet.tab_order), the file opening on the first; frozen header, every column
as wide as its longest value (Paramètres' values wrapped instead), amounts as numbers with two
decimals, dates as dates. Every text is stored as text, headers included: a customer called
"=HYPERLINK(...)" stays a name, never becomes a formula. openpyxl decides by the value alone
(a str starting with "=" becomes a formula cell), so the type is set back to string after the
value; a text a spreadsheet would compute also gets Excel's quote prefix, so that it stays text
when the accountant edits the cell. The text itself is kept exactly: the workbook stands in for
the Google Sheet, whose values are read back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from backend import spreadsheet
from backend.adapters.files import write_atomic
from backend.adapters.memory import MemorySpreadsheet
from backend.formats.cells import would_compute
from backend.journal_sheet import is_entries_tab

# The tab of a month's workbook holding the lines dated in other months
# (backend/services/month_files.py).
OTHER_MONTHS = "Autres mois"

DATE_FORMAT = "DD/MM/YYYY"
DATETIME_FORMAT = "DD/MM/YYYY HH:MM"
AMOUNT_FORMAT = "#,##0.00"
HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
WRAP = Alignment(wrap_text=True, vertical="top")


HIGHLIGHT_FILL = PatternFill("solid", fgColor="F8D7DA")


@dataclass
class Tab:
    title: str
    header: list[str]
    rows: list[list]
    widths: dict[int, int] | None = None
    highlighted: set[int] | None = None    # 0-based row indexes, the header being 0


def _set(cell, value) -> None:
    if isinstance(value, Decimal):
        cell.value = value
        cell.number_format = AMOUNT_FORMAT
    elif isinstance(value, datetime):
        cell.value = value.replace(tzinfo=None)
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        cell.value = value
        cell.number_format = DATE_FORMAT
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        cell.value = value
    else:
        text = "" if value is None else str(value)
        cell.value = text
        cell.data_type = "s"  # openpyxl would take a leading "=" for a formula
        if text and would_compute(text):
            cell.quotePrefix = True


def write_workbook(path: str | Path, tabs: list[Tab]) -> Path:
    """Write all tabs at once, atomically: a crash leaves the previous file whole. The tabs
    go in the accountant's order, the file opens on the first (Écritures)."""
    path = Path(path)
    book = Workbook()
    book.remove(book.active)
    order = spreadsheet.tab_order([tab.title for tab in tabs])
    if OTHER_MONTHS in order:   # a month's lines dated elsewhere: right after its entries
        order.remove(OTHER_MONTHS)
        order.insert(sum(1 for t in order if is_entries_tab(t)), OTHER_MONTHS)
    for tab in sorted(tabs, key=lambda t: order.index(t.title)):
        sheet = book.create_sheet(tab.title)
        for column, title in enumerate(tab.header, start=1):
            _set(sheet.cell(row=1, column=column), title)   # an axis name may start with "="
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(vertical="center")
        wrapped = {column for column, title in enumerate(tab.header, start=1)
                   if title in spreadsheet.WRAPPED}
        for index, values in enumerate(tab.rows, start=1):
            for column, value in enumerate(values, start=1):
                cell = sheet.cell(row=index + 1, column=column)
                _set(cell, value)
                if column in wrapped:
                    cell.alignment = WRAP
                if tab.highlighted and index in tab.highlighted:
                    cell.fill = HIGHLIGHT_FILL
        sheet.freeze_panes = "A2"
        if tab.rows:
            sheet.auto_filter.ref = sheet.dimensions
        for column, title in enumerate(tab.header, start=1):
            width = (tab.widths or {}).get(column) or spreadsheet.column_width(
                str(title), [row[column - 1] for row in tab.rows if column <= len(row)])
            sheet.column_dimensions[get_column_letter(column)].width = width
    if book.worksheets:
        book.active = 0
    return write_atomic(path, save=book.save)


def _read_value(cell):
    """Typed values back from the file: amounts as Decimal, dates as dates."""
    value = cell.value
    if value is None:
        return ""
    if cell.number_format == AMOUNT_FORMAT and isinstance(value, (int, float)):
        return Decimal(str(value))
    if isinstance(value, datetime) and cell.number_format == DATE_FORMAT:
        return value.date()
    return value


class XlsxSpreadsheet(MemorySpreadsheet):
    """The accountant's spreadsheet as a local .xlsx file, behind the same port as Google
    Sheets. Every change is saved at once (atomically), so that what the ledger store records
    as written is on disk."""

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.path = Path(path)
        if self.path.exists():
            book = load_workbook(self.path)
            for sheet in book.worksheets:
                rows = [[_read_value(c) for c in row] for row in sheet.iter_rows()]
                self.tabs[sheet.title] = rows or [[]]
                marked = {i for i, row in enumerate(sheet.iter_rows()) if i and any(
                    c.fill is not None and c.fill.fgColor is not None
                    and c.fill.fgColor.rgb in ("00F8D7DA", "FFF8D7DA") for c in row)}
                if marked:
                    self.highlighted[sheet.title] = marked

    def _changed(self) -> None:
        write_workbook(self.path, [
            Tab(title, [str(c) for c in rows[0]] if rows else [], rows[1:],
                highlighted=self.highlighted.get(title))
            for title, rows in self.tabs.items()])
