"""The accountant's workbook as a local .xlsx file, for running with no Google account.

Tabs as in the Google Sheet: Écritures, Anomalies, Paramètres, Historique; frozen header,
amounts as numbers with two decimals, dates as dates. Every text is stored as text: a
customer called "=HYPERLINK(...)" stays a name, never becomes a formula.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from backend.adapters.files import write_atomic

DATE_FORMAT = "DD/MM/YYYY"
DATETIME_FORMAT = "DD/MM/YYYY HH:MM"
AMOUNT_FORMAT = "#,##0.00"
HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")


@dataclass
class Tab:
    title: str
    header: list[str]
    rows: list[list]
    widths: dict[int, int] | None = None


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
        cell.value = "" if value is None else str(value)
        cell.data_type = "s"  # openpyxl would take a leading "=" for a formula


def write_workbook(path: str | Path, tabs: list[Tab]) -> Path:
    """Write all tabs at once, atomically: a crash leaves the previous file whole."""
    path = Path(path)
    book = Workbook()
    book.remove(book.active)
    for tab in tabs:
        sheet = book.create_sheet(tab.title)
        sheet.append(tab.header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(vertical="center")
        for values in tab.rows:
            row = sheet.max_row + 1
            for column, value in enumerate(values, start=1):
                _set(sheet.cell(row=row, column=column), value)
        sheet.freeze_panes = "A2"
        if tab.rows:
            sheet.auto_filter.ref = sheet.dimensions
        for column, title in enumerate(tab.header, start=1):
            width = (tab.widths or {}).get(column) or max(12, min(60, len(title) + 4))
            sheet.column_dimensions[get_column_letter(column)].width = width
    return write_atomic(path, save=book.save)
