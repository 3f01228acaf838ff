"""The state of the Sheets sandbox: spreadsheets, their sheets (tabs), cells and formats.

A sheet keeps its cells as a list of rows, each a list of stored values (see sheets_values),
so that 200,000 rows of 11 cells cost what 200,000 Python lists cost. The grid size
(rowCount x columnCount) is separate from the data, as in Sheets: a new tab is 1000 x 26 and
empty. Formats are not stored per cell but as the list of repeatCell/updateCells operations
that set them ("rules"), applied in order; a column or a whole table formatted at once stays
one rule however many rows it has.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

from backend.sandbox.a1 import MAX_COLUMNS
from backend.sandbox.sheets_errors import CELL_LIMIT, CELL_LIMIT_MESSAGE, invalid
from backend.sandbox.sheets_values import (FORMATTED_VALUE, Locale, is_empty, locale_for,
                                           render, to_extended_value)

DEFAULT_ROWS = 1000
DEFAULT_COLUMNS = 26
# Google's sizes of a row and a column nobody resized, in pixels.
DEFAULT_PIXELS = {"ROWS": 21, "COLUMNS": 100}


@dataclass(frozen=True)
class FormatRule:
    """The fields `paths` (field-mask paths into CellData, e.g. ("userEnteredFormat",
    "numberFormat")) of `cell`, applied to a block of cells. Ends of None are unbounded."""

    start_row: int
    end_row: int | None
    start_col: int
    end_col: int | None
    cell: dict
    paths: tuple[tuple[str, ...], ...]

    def covers_row(self, row: int) -> bool:
        return self.start_row <= row and (self.end_row is None or row < self.end_row)

    def covers_col(self, col: int) -> bool:
        return self.start_col <= col and (self.end_col is None or col < self.end_col)

    def apply(self, state: dict) -> None:
        """Set (or clear, when `cell` lacks it) each masked field in the nested `state`."""
        for path in self.paths:
            _set_path(state, path, _get_path(self.cell, path))


def _get_path(data, path):
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _set_path(state: dict, path, value) -> None:
    for key in path[:-1]:
        state = state.setdefault(key, {})
    if value is None:
        state.pop(path[-1], None)
    else:
        state[path[-1]] = _deep_copy(value)


def _deep_copy(value):
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value


def _shift_index(index: int | None, at: int, count: int, inserted: bool) -> int | None:
    """Where a row/column boundary goes when `count` rows are inserted at `at` or deleted
    from `at`. A range that spans an insertion point grows, as it does in Sheets."""
    if index is None:
        return None
    if inserted:
        return index + count if index > at else index
    if index <= at:
        return index
    return max(at, index - count)


class Sheet:
    """One tab: its properties, its rows of values and its format rules."""

    def __init__(self, sheet_id: int, title: str, index: int, row_count: int = DEFAULT_ROWS,
                 column_count: int = DEFAULT_COLUMNS) -> None:
        self.sheet_id = sheet_id
        self.title = title
        self.index = index
        self.row_count = row_count
        self.column_count = column_count
        self.frozen_row_count = 0
        self.frozen_column_count = 0
        self.hidden = False
        self.tab_color: dict | None = None
        self.basic_filter: dict | None = None
        self.rows: list[list] = []
        self.formats: list[FormatRule] = []

    def clone(self) -> "Sheet":
        copy = Sheet(self.sheet_id, self.title, self.index, self.row_count, self.column_count)
        copy.__dict__.update({k: v for k, v in self.__dict__.items()
                              if k not in ("rows", "formats")})
        copy.rows = [list(row) for row in self.rows]
        copy.formats = list(self.formats)   # rules are immutable: sharing them is safe
        for dimension in DEFAULT_PIXELS:
            copy.__dict__["_pixels_" + dimension] = dict(self.pixel_sizes(dimension))
        return copy

    def pixel_sizes(self, dimension: str) -> dict[int, int]:
        """Rows' or columns' pixelSize set by updateDimensionProperties, by index; made on
        first use, as a sheet saved by an older sandbox has none."""
        return self.__dict__.setdefault("_pixels_" + dimension, {})

    def pixel_size(self, dimension: str, index: int) -> int:
        return self.pixel_sizes(dimension).get(index, DEFAULT_PIXELS[dimension])

    def _shift_pixels(self, dimension: str, at: int, count: int, inserted: bool) -> None:
        """Sizes follow their row or column when others are inserted or deleted before it."""
        sizes = self.pixel_sizes(dimension)
        moved = {}
        for index, size in sizes.items():
            if index < at:
                moved[index] = size
            elif inserted:
                moved[index + count] = size
            elif index >= at + count:
                moved[index - count] = size
        sizes.clear()
        sizes.update(moved)

    # -- properties --------------------------------------------------------------------

    def properties(self) -> dict:
        """SheetProperties as Google answers them: zero counts and false flags are left out."""
        grid = {"rowCount": self.row_count, "columnCount": self.column_count}
        if self.frozen_row_count:
            grid["frozenRowCount"] = self.frozen_row_count
        if self.frozen_column_count:
            grid["frozenColumnCount"] = self.frozen_column_count
        props = {"sheetId": self.sheet_id, "title": self.title, "index": self.index,
                 "sheetType": "GRID", "gridProperties": grid}
        if self.hidden:
            props["hidden"] = True
        if self.tab_color:
            props["tabColor"] = self.tab_color
            props["tabColorStyle"] = {"rgbColor": self.tab_color}
        return props

    @property
    def cell_count(self) -> int:
        return self.row_count * self.column_count

    # -- reading -----------------------------------------------------------------------

    def value_at(self, row: int, col: int):
        if row < len(self.rows) and col < len(self.rows[row]):
            return self.rows[row][col]
        return None

    def format_at(self, row: int, col: int) -> dict:
        state: dict = {}
        for rule in self.formats:
            if rule.covers_row(row) and rule.covers_col(col):
                rule.apply(state)
        return state.get("userEnteredFormat", {})

    def data_row_count(self) -> int:
        """Rows up to the last one holding a value (trailing empty rows do not count)."""
        count = len(self.rows)
        while count and all(is_empty(v) for v in self.rows[count - 1]):
            count -= 1
        return count

    def row_has_data(self, row: int, start_col: int, end_col: int | None) -> bool:
        if row >= len(self.rows):
            return False
        cells = self.rows[row]
        if start_col < len(cells):
            first = cells[start_col]
            if first is not None and first != "":
                return True   # the usual case, answered without a loop
        return any(v is not None and v != "" for v in cells[start_col:end_col])

    # -- writing -----------------------------------------------------------------------

    def write_block(self, top: int, left: int, block: list[list]) -> None:
        """Write rows of values from (top, left). None leaves a cell as it was (the API's
        null), "" empties it. Rows past the data are appended whole: the fast path of a big
        append."""
        rows = self.rows
        for offset, values in enumerate(block):
            r = top + offset
            if r >= len(rows):
                rows.extend([] for _ in range(r - len(rows)))
                rows.append(([None] * left + list(values)) if left else list(values))
                continue
            row = rows[r]
            end = left + len(values)
            if len(row) < end:
                row.extend([None] * (end - len(row)))
            for c, value in enumerate(values, left):
                if value is not None:
                    row[c] = value

    def clear(self, top: int, bottom: int, left: int, right: int) -> None:
        for r in range(top, min(bottom, len(self.rows))):
            row = self.rows[r]
            for c in range(left, min(right, len(row))):
                row[c] = None

    def insert_rows(self, at: int, count: int) -> None:
        if at < len(self.rows):
            self.rows[at:at] = [[] for _ in range(count)]
        self.row_count += count
        self.formats = self._shifted_formats(at, count, inserted=True, rows=True)
        self._shift_pixels("ROWS", at, count, inserted=True)

    def delete_rows(self, start: int, end: int) -> None:
        del self.rows[start:end]
        self.row_count -= end - start
        self.formats = self._shifted_formats(start, end - start, inserted=False, rows=True)
        self._shift_pixels("ROWS", start, end - start, inserted=False)

    def insert_columns(self, at: int, count: int) -> None:
        for row in self.rows:
            if at < len(row):
                row[at:at] = [None] * count
        self.column_count += count
        self.formats = self._shifted_formats(at, count, inserted=True, rows=False)
        self._shift_pixels("COLUMNS", at, count, inserted=True)

    def delete_columns(self, start: int, end: int) -> None:
        for row in self.rows:
            del row[start:end]
        self.column_count -= end - start
        self.formats = self._shifted_formats(start, end - start, inserted=False, rows=False)
        self._shift_pixels("COLUMNS", start, end - start, inserted=False)

    def resize(self, row_count: int, column_count: int) -> None:
        """Shrinking the grid drops what lies outside it."""
        if row_count < self.row_count:
            del self.rows[row_count:]
        if column_count < self.column_count:
            for row in self.rows:
                del row[column_count:]
        self.row_count, self.column_count = row_count, column_count

    def _shifted_formats(self, at: int, count: int, inserted: bool, rows: bool) -> list[FormatRule]:
        shifted = []
        for rule in self.formats:
            start, end = (rule.start_row, rule.end_row) if rows else (rule.start_col, rule.end_col)
            new_start = _shift_index(start, at, count, inserted)
            new_end = _shift_index(end, at, count, inserted)
            if new_end is not None and new_start >= new_end:
                continue                   # everything the rule covered was deleted
            if rows:
                shifted.append(replace(rule, start_row=new_start, end_row=new_end))
            else:
                shifted.append(replace(rule, start_col=new_start, end_col=new_end))
        return shifted


@dataclass
class Spreadsheet:
    spreadsheet_id: str
    title: str
    locale: str = "fr_FR"
    time_zone: str = "Europe/Paris"
    sheets: list[Sheet] = field(default_factory=list)
    _ids: random.Random = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self._ids is None:
            # Sheet ids look like Google's (large, random) but repeat from run to run.
            self._ids = random.Random(self.spreadsheet_id)

    @property
    def locale_rules(self) -> Locale:
        return locale_for(self.locale)

    def clone(self) -> "Spreadsheet":
        copy = Spreadsheet(self.spreadsheet_id, self.title, self.locale, self.time_zone,
                           [sheet.clone() for sheet in self.sheets])
        copy._ids.setstate(self._ids.getstate())
        return copy

    def properties(self) -> dict:
        return {"title": self.title, "locale": self.locale, "autoRecalc": "ON_CHANGE",
                "timeZone": self.time_zone}

    # -- sheets --------------------------------------------------------------------------

    def sheet_by_title(self, title: str) -> Sheet | None:
        """Sheet names are matched without regard to case, as Sheets does."""
        for sheet in self.sheets:
            if sheet.title == title:
                return sheet
        folded = title.casefold()
        for sheet in self.sheets:
            if sheet.title.casefold() == folded:
                return sheet
        return None

    def sheet_by_id(self, sheet_id: int) -> Sheet | None:
        return next((sheet for sheet in self.sheets if sheet.sheet_id == sheet_id), None)

    def new_sheet_id(self) -> int:
        while True:
            candidate = self._ids.randrange(1, 2 ** 31 - 1)
            if self.sheet_by_id(candidate) is None:
                return candidate

    def default_sheet_title(self) -> str:
        base = "Feuille " if self.locale.startswith("fr") else "Sheet"
        n = len(self.sheets) + 1
        while self.sheet_by_title(f"{base}{n}") is not None:
            n += 1
        return f"{base}{n}"

    def add_sheet(self, title: str, sheet_id: int | None = None, index: int | None = None,
                  row_count: int = DEFAULT_ROWS, column_count: int = DEFAULT_COLUMNS) -> Sheet:
        sheet_id = self.new_sheet_id() if sheet_id is None else sheet_id
        index = len(self.sheets) if index is None else min(index, len(self.sheets))
        sheet = Sheet(sheet_id, title, index, row_count, column_count)
        self.sheets.insert(index, sheet)
        self.reindex()
        return sheet

    def reindex(self) -> None:
        for i, sheet in enumerate(self.sheets):
            sheet.index = i

    def move_sheet(self, sheet: Sheet, index: int) -> None:
        self.sheets.remove(sheet)
        self.sheets.insert(min(index, len(self.sheets)), sheet)
        self.reindex()

    # -- limits --------------------------------------------------------------------------

    def cell_count(self) -> int:
        return sum(sheet.cell_count for sheet in self.sheets)

    def check_grid(self, sheet: Sheet | None, row_count: int, column_count: int,
                   prefix: str = "") -> None:
        """Refuse a grid change that would pass Google's limits: 10,000,000 cells in the
        workbook and 18,278 columns in a sheet. `sheet` None means a new sheet."""
        if column_count > MAX_COLUMNS:
            raise invalid(f"{prefix}This action would increase the number of columns in the "
                          f"sheet above the limit of {MAX_COLUMNS} columns.")
        current = sheet.cell_count if sheet is not None else 0
        if self.cell_count() - current + row_count * column_count > CELL_LIMIT:
            raise invalid(prefix + CELL_LIMIT_MESSAGE)


# ---------------------------------------------------------------------------- reading

class FormatLookup:
    """Effective formats of many cells of one sheet, fast: the rules touching each column are
    found once, and the format of a set of matching rules is computed once."""

    def __init__(self, sheet: Sheet) -> None:
        self.sheet = sheet
        self._by_column: dict[int, list[tuple[int, FormatRule]]] = {}
        self._cache: dict[tuple[int, ...], dict] = {}

    def at(self, row: int, col: int) -> dict | None:
        rules = self._by_column.get(col)
        if rules is None:
            rules = [(i, rule) for i, rule in enumerate(self.sheet.formats) if rule.covers_col(col)]
            self._by_column[col] = rules
        if not rules:
            return None
        key = tuple(i for i, rule in rules if rule.covers_row(row))
        if not key:
            return None
        found = self._cache.get(key)
        if found is None:
            state: dict = {}
            for i in key:
                self.sheet.formats[i].apply(state)
            found = self._cache[key] = state.get("userEnteredFormat", {})
        return found


def read_rows(sheet: Sheet, top: int, bottom: int, left: int, right: int, option: str,
              datetime_option: str, locale: Locale) -> list[list]:
    """Rendered rows of a block, trimmed like the API: trailing empty cells of each row and
    trailing empty rows are left out; empty cells inside are ""."""
    lookup = FormatLookup(sheet) if sheet.formats else None

    def cell(r: int, c: int, value):
        if value is None:
            return ""
        cell_format = lookup.at(r, c) if lookup is not None else None
        return render(value, cell_format, option, datetime_option, locale)

    out: list[list] = []
    last_non_empty = 0
    rows = sheet.rows
    for r in range(top, min(bottom, len(rows))):
        cells = rows[r][left:right]
        n = len(cells)
        while n and (cells[n - 1] is None or cells[n - 1] == ""):
            n -= 1
        if n != len(cells):
            del cells[n:]
        # Strings render as themselves: only other cells go through `render`.
        out.append([v if v.__class__ is str else cell(r, c, v) for c, v in enumerate(cells, left)])
        if n:
            last_non_empty = len(out)
    del out[last_non_empty:]
    return out


def transpose(rows: list[list]) -> list[list]:
    """Rows to columns, trimmed the same way."""
    width = max((len(row) for row in rows), default=0)
    columns = [[row[c] if c < len(row) else "" for row in rows] for c in range(width)]
    for column in columns:
        while column and column[-1] == "":
            column.pop()
    return columns


def find_table(sheet: Sheet, top: int, bottom: int, left: int, right: int):
    """The "table" values.append appends to, as Google's guide describes it: the data around
    the last row of the input range that holds any, grown to the consecutive rows and adjacent
    columns holding data (so it may reach beyond the range: for the guide's sheet with tables
    A1:C2 and B4:D6, the inputs "Sheet1", "B4", "C5:D5", "B2:D4" and "A3:G10" all find B4:D6,
    "A1" finds A1:C2, and "A4" or "E4" find none). Returns (top, bottom, left, right), or None
    when the range holds no data: values then go to the range's first cell."""
    has_data = sheet.row_has_data
    last = next((r for r in range(min(bottom, len(sheet.rows)) - 1, top - 1, -1)
                 if has_data(r, left, right)), None)
    if last is None:
        return None
    row = sheet.rows[last]
    first, end = last, last + 1
    col_left = next(c for c in range(left, min(right, len(row))) if not is_empty(row[c]))
    col_right = next(c for c in range(min(right, len(row)) - 1, left - 1, -1)
                     if not is_empty(row[c])) + 1
    while True:
        # Grow sideways over the rows found so far, then up and down over those columns,
        # until neither adds anything.
        block = sheet.rows[first:end]
        new_left, new_right = col_left, col_right
        while new_left > 0 and _column_has_data(block, new_left - 1):
            new_left -= 1
        while _column_has_data(block, new_right):
            new_right += 1
        new_first, new_end = first, end
        while new_first > 0 and has_data(new_first - 1, new_left, new_right):
            new_first -= 1
        while has_data(new_end, new_left, new_right):
            new_end += 1
        if (new_first, new_end, new_left, new_right) == (first, end, col_left, col_right):
            return first, end, col_left, col_right
        first, end, col_left, col_right = new_first, new_end, new_left, new_right


def _column_has_data(block: list[list], col: int) -> bool:
    return any(col < len(row) and row[col] is not None and row[col] != "" for row in block)


def cell_data(sheet: Sheet, row: int, col: int, locale: Locale) -> dict:
    """CellData of one cell for spreadsheets.get with includeGridData."""
    value = sheet.value_at(row, col)
    cell_format = sheet.format_at(row, col)
    data: dict = {}
    entered = to_extended_value(value)
    if entered is not None:
        data["userEnteredValue"] = entered
        data["effectiveValue"] = to_extended_value(value, effective=True)
        data["formattedValue"] = render(value, cell_format, FORMATTED_VALUE, "SERIAL_NUMBER",
                                        locale)
    if cell_format:
        data["userEnteredFormat"] = cell_format
    return data
