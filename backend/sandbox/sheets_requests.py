"""The requests of spreadsheets.batchUpdate that the sandbox applies.

Each handler takes the spreadsheet (a copy: the caller keeps it only if every request of the
batch succeeds, which makes a batch all or nothing as in Google), the request's body and the
prefix of its error messages ("Invalid requests[1].deleteDimension: "), and returns its reply
(a member of the Response union, or {} for requests without one).
"""

from __future__ import annotations

from collections.abc import Callable

from backend.sandbox.a1 import format_range
from backend.sandbox.sheets_errors import SheetsError, invalid
from backend.sandbox.sheets_model import FormatRule, Sheet, Spreadsheet
from backend.sandbox.sheets_schema import parse_field_mask, request_kinds
from backend.sandbox.sheets_values import from_extended_value

# Requests that only change how the sheet looks or behaves in the UI: accepted, no effect here.
COSMETIC = {"autoResizeDimensions", "updateBorders", "mergeCells",
            "unmergeCells", "setDataValidation", "addConditionalFormatRule",
            "deleteConditionalFormatRule", "updateConditionalFormatRule", "updateBanding",
            "updateEmbeddedObjectBorder"}


def apply_request(spreadsheet: Spreadsheet, request: dict, index: int) -> dict:
    kinds = [key for key in request if request[key] is not None]
    if not kinds:
        raise invalid(f"Invalid requests[{index}]: No request set.")
    if len(kinds) > 1:
        raise invalid(f"Invalid requests[{index}]: oneof field 'kind' is already set. "
                      f"Cannot set '{kinds[1]}'")
    kind = kinds[0]
    where = f"Invalid requests[{index}].{kind}: "
    body = request[kind] or {}
    if kind in COSMETIC:
        if kind == "autoResizeDimensions":
            _sheet(spreadsheet, (body.get("dimensions") or {}).get("sheetId", 0), where)
        return {}
    handler = HANDLERS.get(kind)
    if handler is None:
        if request_kinds() and kind not in request_kinds():
            raise invalid(f'Invalid JSON payload received. Unknown name "{kind}" at '
                          f"'requests[{index}]': Cannot find field.")
        raise SheetsError(501, f"{where}this request is not supported by the Sheets sandbox.")
    return handler(spreadsheet, body, where)


# ---------------------------------------------------------------------------- helpers

def _sheet(spreadsheet: Spreadsheet, sheet_id, where: str) -> Sheet:
    sheet = spreadsheet.sheet_by_id(int(sheet_id or 0))
    if sheet is None:
        raise invalid(f"{where}No grid with id: {int(sheet_id or 0)}")
    return sheet


def _grid_range(spreadsheet: Spreadsheet, grid_range: dict | None, where: str):
    """(sheet, top, bottom, left, right) of a GridRange, ends bounded by the grid; 400 when it
    reaches past the grid."""
    grid_range = grid_range or {}
    sheet = _sheet(spreadsheet, grid_range.get("sheetId", 0), where)
    top = int(grid_range.get("startRowIndex", 0))
    left = int(grid_range.get("startColumnIndex", 0))
    bottom = grid_range.get("endRowIndex")
    right = grid_range.get("endColumnIndex")
    bottom = sheet.row_count if bottom is None else int(bottom)
    right = sheet.column_count if right is None else int(right)
    if top < 0 or left < 0 or top > bottom or left > right:
        raise invalid(f"{where}Invalid range: start index must be less than or equal to end "
                      f"index, and not negative.")
    if bottom > sheet.row_count or right > sheet.column_count:
        text = format_range(sheet.title, top, bottom, left, right)
        raise invalid(f"{where}Range ({text}) exceeds grid limits. Max rows: "
                      f"{sheet.row_count}, max columns: {sheet.column_count}")
    return sheet, top, bottom, left, right


def _mask(fields: str | None, where: str, everything: tuple[tuple[str, ...], ...]):
    paths = parse_field_mask(fields)
    if not paths:
        raise invalid(f"{where}At least one field must be specified in 'fields'.")
    if ("*",) in paths:
        return list(everything)
    return paths


def _dimension(body: dict, where: str) -> str:
    dimension = body.get("dimension")
    if dimension not in ("ROWS", "COLUMNS"):
        raise invalid(f"{where}Invalid dimension: {dimension or 'DIMENSION_UNSPECIFIED'}")
    return dimension


def _counts(sheet: Sheet, dimension: str) -> int:
    return sheet.row_count if dimension == "ROWS" else sheet.column_count


# ---------------------------------------------------------------------------- sheets

def add_sheet(spreadsheet: Spreadsheet, body: dict, where: str) -> dict:
    props = body.get("properties") or {}
    title = props.get("title") or spreadsheet.default_sheet_title()
    if spreadsheet.sheet_by_title(title) is not None:
        raise invalid(f'{where}A sheet with the name "{title}" already exists. '
                      f"Please enter another name.")
    sheet_id = props.get("sheetId")
    if sheet_id is not None and spreadsheet.sheet_by_id(int(sheet_id)) is not None:
        raise invalid(f"{where}Sheet with id {sheet_id} already exists.")
    grid = props.get("gridProperties") or {}
    rows, columns = int(grid.get("rowCount", 1000)), int(grid.get("columnCount", 26))
    spreadsheet.check_grid(None, rows, columns, where)
    sheet = spreadsheet.add_sheet(title, None if sheet_id is None else int(sheet_id),
                                  props.get("index"), rows, columns)
    sheet.frozen_row_count = int(grid.get("frozenRowCount", 0))
    sheet.frozen_column_count = int(grid.get("frozenColumnCount", 0))
    sheet.hidden = bool(props.get("hidden", False))
    sheet.tab_color = props.get("tabColor") or (props.get("tabColorStyle") or {}).get("rgbColor")
    return {"addSheet": {"properties": sheet.properties()}}


def delete_sheet(spreadsheet: Spreadsheet, body: dict, where: str) -> dict:
    sheet = _sheet(spreadsheet, body.get("sheetId", 0), where)
    if len(spreadsheet.sheets) == 1:
        raise invalid(f"{where}You can't remove all the sheets in a document.")
    spreadsheet.sheets.remove(sheet)
    spreadsheet.reindex()
    return {}


SHEET_FIELDS = (("title",), ("index",), ("hidden",), ("tabColor",), ("gridProperties",))


def update_sheet_properties(spreadsheet: Spreadsheet, body: dict, where: str) -> dict:
    props = body.get("properties") or {}
    sheet = _sheet(spreadsheet, props.get("sheetId", 0), where)
    for path in _mask(body.get("fields"), where, SHEET_FIELDS):
        _update_sheet_field(spreadsheet, sheet, props, path, where)
    return {}


def _update_sheet_field(spreadsheet: Spreadsheet, sheet: Sheet, props: dict, path, where: str):
    """One field-mask path: a field absent from `props` is reset to its default, as a mask
    means "set these fields to what the body says"."""
    head = path[0]
    if head == "title":
        title = props.get("title") or ""
        if not title.strip():
            raise invalid(f"{where}The sheet name cannot be empty.")
        other = spreadsheet.sheet_by_title(title)
        if other is not None and other is not sheet:
            raise invalid(f'{where}A sheet with the name "{title}" already exists. '
                          f"Please enter another name.")
        sheet.title = title
    elif head == "index":
        spreadsheet.move_sheet(sheet, int(props.get("index", 0)))
    elif head == "hidden":
        sheet.hidden = bool(props.get("hidden", False))
    elif head in ("tabColor", "tabColorStyle"):
        style = props.get("tabColorStyle") or {}
        sheet.tab_color = props.get("tabColor") or style.get("rgbColor")
    elif head == "gridProperties":
        grid = props.get("gridProperties") or {}
        names = path[1:2] or ("rowCount", "columnCount", "frozenRowCount", "frozenColumnCount")
        _update_grid(spreadsheet, sheet, grid, names, where)
    # Other fields (rightToLeft, hideGridlines, ...) change nothing the sandbox models.


def _update_grid(spreadsheet: Spreadsheet, sheet: Sheet, grid: dict, names, where: str) -> None:
    rows, columns = sheet.row_count, sheet.column_count
    if "rowCount" in names:
        rows = int(grid.get("rowCount", 0))
    if "columnCount" in names:
        columns = int(grid.get("columnCount", 0))
    if (rows, columns) != (sheet.row_count, sheet.column_count):
        if rows < 1 or columns < 1:
            raise invalid(f"{where}A sheet must have at least one row and one column.")
        spreadsheet.check_grid(sheet, rows, columns, where)
        sheet.resize(rows, columns)
    if "frozenRowCount" in names:
        sheet.frozen_row_count = int(grid.get("frozenRowCount", 0))
    if "frozenColumnCount" in names:
        sheet.frozen_column_count = int(grid.get("frozenColumnCount", 0))


def update_spreadsheet_properties(spreadsheet: Spreadsheet, body: dict, where: str) -> dict:
    props = body.get("properties") or {}
    everything = (("title",), ("locale",), ("timeZone",))
    for path in _mask(body.get("fields"), where, everything):
        if path[0] == "title":
            spreadsheet.title = props.get("title", "")
        elif path[0] == "locale":
            spreadsheet.locale = props.get("locale") or "en_US"
        elif path[0] == "timeZone":
            spreadsheet.time_zone = props.get("timeZone") or "GMT"
    return {}


# ---------------------------------------------------------------------------- dimensions

def _dimension_range(spreadsheet: Spreadsheet, body: dict, where: str,
                     end_defaults_to_start: bool = False) -> tuple[Sheet, str, int, int, int]:
    """(sheet, ROWS or COLUMNS, how many it has, startIndex, endIndex) of a request's
    DimensionRange; a missing endIndex is the sheet's end (or the start, for an insert)."""
    span = body.get("range") or {}
    dimension = _dimension(span, where)
    sheet = _sheet(spreadsheet, span.get("sheetId", 0), where)
    count = _counts(sheet, dimension)
    start = int(span.get("startIndex", 0))
    end = int(span.get("endIndex", start if end_defaults_to_start else count))
    return sheet, dimension, count, start, end


def delete_dimension(spreadsheet: Spreadsheet, body: dict, where: str) -> dict:
    sheet, dimension, count, start, end = _dimension_range(spreadsheet, body, where)
    noun = "row" if dimension == "ROWS" else "column"
    if start < 0 or start >= end:
        raise invalid(f"{where}Invalid dimension range: startIndex ({start}) must be less than "
                      f"endIndex ({end}).")
    if end > count:
        raise invalid(f"{where}Cannot delete a {noun} that doesn't exist. Tried to delete "
                      f"{noun} index {end - 1} but there are only {count} {noun}s.")
    if start == 0 and end == count:
        raise invalid(f"{where}You can't delete all the {noun}s on the sheet.")
    if dimension == "ROWS":
        sheet.delete_rows(start, end)
    else:
        sheet.delete_columns(start, end)
    return {}


def insert_dimension(spreadsheet: Spreadsheet, body: dict, where: str) -> dict:
    sheet, dimension, count, start, end = _dimension_range(spreadsheet, body, where,
                                                           end_defaults_to_start=True)
    if start < 0 or start >= end or start > count:
        raise invalid(f"{where}Invalid dimension range: startIndex ({start}), endIndex ({end}); "
                      f"the sheet has {count} {dimension.lower()}.")
    if body.get("inheritFromBefore") and start == 0:
        raise invalid(f"{where}Cannot inherit properties from before if inserting at the "
                      f"beginning of the sheet.")
    _grow(spreadsheet, sheet, dimension, end - start, where)
    if dimension == "ROWS":
        sheet.insert_rows(start, end - start)
    else:
        sheet.insert_columns(start, end - start)
    return {}


def append_dimension(spreadsheet: Spreadsheet, body: dict, where: str) -> dict:
    dimension = _dimension(body, where)
    sheet = _sheet(spreadsheet, body.get("sheetId", 0), where)
    length = int(body.get("length", 0))
    if length < 1:
        raise invalid(f"{where}length must be positive.")
    _grow(spreadsheet, sheet, dimension, length, where)
    if dimension == "ROWS":
        sheet.row_count += length
    else:
        sheet.column_count += length
    return {}


DIMENSION_FIELDS = (("pixelSize",), ("hiddenByUser",), ("developerMetadata",))


def update_dimension_properties(spreadsheet: Spreadsheet, body: dict, where: str) -> dict:
    """Rows' or columns' pixelSize, kept (spreadsheets.get does not show it yet); the other
    DimensionProperties (hiddenByUser, ...) change nothing the sandbox models."""
    if body.get("dataSourceSheetRange") is not None:
        raise SheetsError(501, f"{where}data source sheets are not supported by the Sheets "
                               f"sandbox.")
    sheet, dimension, count, start, end = _dimension_range(spreadsheet, body, where)
    if start < 0 or start > end or end > count:
        raise invalid(f"{where}Invalid dimension range: startIndex ({start}), endIndex ({end}); "
                      f"the sheet has {count} {dimension.lower()}.")
    paths = _mask(body.get("fields"), where, DIMENSION_FIELDS)
    if ("pixelSize",) in paths:
        size = int((body.get("properties") or {}).get("pixelSize", 0))
        if size < 0:
            raise invalid(f"{where}pixelSize must be non-negative.")
        sizes = sheet.pixel_sizes(dimension)
        for index in range(start, end):
            sizes[index] = size
    return {}


def _grow(spreadsheet: Spreadsheet, sheet: Sheet, dimension: str, count: int, where: str) -> None:
    rows = sheet.row_count + (count if dimension == "ROWS" else 0)
    columns = sheet.column_count + (count if dimension == "COLUMNS" else 0)
    spreadsheet.check_grid(sheet, rows, columns, where)


# ---------------------------------------------------------------------------- cells

CELL_FIELDS = (("userEnteredValue",), ("userEnteredFormat",), ("note",))


def repeat_cell(spreadsheet: Spreadsheet, body: dict, where: str) -> dict:
    sheet, top, bottom, left, right = _grid_range(spreadsheet, body.get("range"), where)
    cell = body.get("cell") or {}
    paths = _mask(body.get("fields"), where, CELL_FIELDS)
    format_paths = tuple(tuple(p) for p in paths if p[0] == "userEnteredFormat")
    if format_paths:
        grid_range = body.get("range") or {}
        sheet.formats.append(FormatRule(top, grid_range.get("endRowIndex"), left,
                                        grid_range.get("endColumnIndex"), cell, format_paths))
    if ("userEnteredValue",) in paths:
        value = from_extended_value(cell.get("userEnteredValue"))
        stored = "" if value is None else value
        sheet.write_block(top, left, [[stored] * (right - left) for _ in range(bottom - top)])
    return {}


def update_cells(spreadsheet: Spreadsheet, body: dict, where: str) -> dict:
    rows = body.get("rows") or []
    paths = _mask(body.get("fields"), where, CELL_FIELDS)
    if body.get("start") is not None:
        start = body["start"]
        sheet = _sheet(spreadsheet, start.get("sheetId", 0), where)
        top, left = int(start.get("rowIndex", 0)), int(start.get("columnIndex", 0))
        bottom = top + len(rows)
        right = left + max((len(row.get("values") or []) for row in rows), default=0)
        _grid_range(spreadsheet, {"sheetId": sheet.sheet_id, "startRowIndex": top,
                                  "endRowIndex": bottom, "startColumnIndex": left,
                                  "endColumnIndex": right}, where)
    else:
        sheet, top, bottom, left, right = _grid_range(spreadsheet, body.get("range"), where)
    format_paths = tuple(tuple(p) for p in paths if p[0] == "userEnteredFormat")
    write_values = ("userEnteredValue",) in paths
    for r, row in enumerate(rows, top):
        if r >= bottom:
            break
        for c, cell in enumerate(row.get("values") or [], left):
            if c >= right:
                break
            if write_values:
                value = from_extended_value(cell.get("userEnteredValue"))
                sheet.write_block(r, c, [["" if value is None else value]])
            if format_paths:
                sheet.formats.append(FormatRule(r, r + 1, c, c + 1, cell, format_paths))
    return {}


def set_basic_filter(spreadsheet: Spreadsheet, body: dict, where: str) -> dict:
    basic_filter = body.get("filter") or {}
    sheet, *_ = _grid_range(spreadsheet, basic_filter.get("range"), where)
    sheet.basic_filter = basic_filter
    return {}


def clear_basic_filter(spreadsheet: Spreadsheet, body: dict, where: str) -> dict:
    _sheet(spreadsheet, body.get("sheetId", 0), where).basic_filter = None
    return {}


HANDLERS: dict[str, Callable[[Spreadsheet, dict, str], dict]] = {
    "addSheet": add_sheet,
    "deleteSheet": delete_sheet,
    "updateSheetProperties": update_sheet_properties,
    "updateSpreadsheetProperties": update_spreadsheet_properties,
    "deleteDimension": delete_dimension,
    "insertDimension": insert_dimension,
    "appendDimension": append_dimension,
    "updateDimensionProperties": update_dimension_properties,
    "repeatCell": repeat_cell,
    "updateCells": update_cells,
    "setBasicFilter": set_basic_filter,
    "clearBasicFilter": clear_basic_filter,
}
