"""A1 notation as the Sheets API reads and writes it.

Parsing turns "'Écritures'!A2:K" into a sheet name and 0-based, half-open bounds (None where
the range is open: "A2:K" runs to the last row of the grid). Formatting produces the ranges
Google returns: the sheet name bare when it is a plain ASCII identifier ("Sheet1!A1:K3"),
quoted otherwise ("'Écritures'!A1:K3", "'Лист2'!A1", "'Class Data'!A1:E"), and a single cell
as "A1", never "A1:A1".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_COLUMNS = 18278  # "ZZZ": Google's column limit

_REF = re.compile(r"^(?P<col>[A-Za-z]{1,3})?(?P<row>[0-9]+)?$")
_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CELL_LIKE = re.compile(r"^([A-Za-z]{1,3}[0-9]+|[Rr][0-9]*[Cc][0-9]*)$")


class A1Error(ValueError):
    """The text is not a range the API can parse."""


@dataclass(frozen=True)
class A1Range:
    """A parsed range. `sheet` is None when the text named no sheet (the first sheet is meant).
    Rows and columns are 0-based and half-open; an end of None runs to the edge of the grid."""

    sheet: str | None
    start_row: int = 0
    end_row: int | None = None
    start_col: int = 0
    end_col: int | None = None
    single_cell: bool = False   # written as one cell ("A1"): an anchor that writes may grow from


def column_letters(index: int) -> str:
    """0 -> "A", 25 -> "Z", 26 -> "AA"."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def column_index(letters: str) -> int:
    """"A" -> 0, "AA" -> 26."""
    index = 0
    for char in letters.upper():
        index = index * 26 + (ord(char) - ord("A") + 1)
    return index - 1


def quote_sheet_name(title: str) -> str:
    """The sheet name as Google writes it in a range: bare only for a plain ASCII identifier
    that cannot be mistaken for a cell reference."""
    if _PLAIN_NAME.match(title) and not _CELL_LIKE.match(title):
        return title
    return "'" + title.replace("'", "''") + "'"


def format_range(title: str | None, start_row: int, end_row: int | None,
                 start_col: int, end_col: int | None) -> str:
    """A1 text of bounds (0-based, half-open). A one-cell range is written as that cell."""
    start = f"{column_letters(start_col)}{start_row + 1}"
    if end_row is not None and end_col is not None and end_row - start_row == 1 \
            and end_col - start_col == 1:
        cells = start
    else:
        end_letters = column_letters(end_col - 1) if end_col is not None else ""
        end_number = str(end_row) if end_row is not None else ""
        cells = f"{start}:{end_letters}{end_number}"
    return f"{quote_sheet_name(title)}!{cells}" if title is not None else cells


def split_sheet(text: str) -> tuple[str | None, str | None]:
    """("Sheet name", "cells") from "'Sheet name'!cells"; a text without "!" is either cells of
    the first sheet or a whole sheet's name, and the caller decides (see parse_range)."""
    if text.startswith("'"):
        name, i = [], 1
        while i < len(text):
            if text[i] == "'":
                if text[i + 1:i + 2] == "'":   # '' is an escaped quote inside the name
                    name.append("'")
                    i += 2
                    continue
                rest = text[i + 1:]
                if rest == "":
                    return "".join(name), None
                if not rest.startswith("!"):
                    raise A1Error(text)
                return "".join(name), rest[1:]
            name.append(text[i])
            i += 1
        raise A1Error(text)
    if "!" in text:
        name, cells = text.rsplit("!", 1)
        return name, cells
    return None, text


def _parse_ref(ref: str) -> tuple[int | None, int | None]:
    """(column, row), 0-based, either possibly None ("A" or "3")."""
    match = _REF.match(ref)
    if not match or not ref:
        raise A1Error(ref)
    col = column_index(match["col"]) if match["col"] else None
    row = int(match["row"]) - 1 if match["row"] else None
    if row is not None and row < 0:
        raise A1Error(ref)
    if col is not None and col >= MAX_COLUMNS:
        raise A1Error(ref)
    return col, row


def parse_cells(cells: str) -> A1Range:
    """Bounds of "A1:B2", "A:B", "2:5", "A2:K", "B3" (no sheet part)."""
    if ":" not in cells:
        col, row = _parse_ref(cells)
        if col is None or row is None:   # "A" or "3" alone is not a range
            raise A1Error(cells)
        return A1Range(None, row, row + 1, col, col + 1, single_cell=True)
    first, _, second = cells.partition(":")
    col1, row1 = _parse_ref(first)
    col2, row2 = _parse_ref(second)
    # "A:2" and "1:B" mix a column with a row: no rectangle.
    if (row1 is None and col2 is None) or (col1 is None and row2 is None):
        raise A1Error(cells)
    start_col, end_col = _ordered(col1, col2)
    start_row, end_row = _ordered(row1, row2)
    return A1Range(None, start_row, end_row, start_col, end_col)


def _ordered(a: int | None, b: int | None) -> tuple[int, int | None]:
    """Start and exclusive end along one axis. Google accepts "B2:A1" as "A1:B2"; a missing
    side is the edge of the grid ("A2:K" runs to the last row)."""
    if a is not None and b is not None:
        return min(a, b), max(a, b) + 1
    if a is None and b is None:
        return 0, None
    if a is None:
        return 0, b + 1
    return a, None


def parse_range(text: str) -> A1Range:
    """Parse any A1 range text. Raises A1Error on what Google calls "Unable to parse range"."""
    if not text or not text.strip():
        raise A1Error(text)
    sheet, cells = split_sheet(text)
    if sheet is not None and cells is None:
        return A1Range(sheet)                      # "'My sheet'": the whole sheet
    if sheet is None:
        try:
            return parse_cells(cells)
        except A1Error:
            return A1Range(cells)                  # "Écritures": a whole sheet by name
    parsed = parse_cells(cells)
    return A1Range(sheet, parsed.start_row, parsed.end_row, parsed.start_col, parsed.end_col,
                   parsed.single_cell)
