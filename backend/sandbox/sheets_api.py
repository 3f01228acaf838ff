"""The Google Sheets API v4 sandbox: a loopback stand-in the official google-api-python-client
talks to unchanged.

    sandbox = SheetsSandbox()
    spreadsheet_id = sandbox.create_spreadsheet("Journal", ["Écritures", "Anomalies"])
    with serve(sandbox) as running:
        service = build("sheets", "v4", credentials=AnonymousCredentials(),
                        static_discovery=True, client_options={"api_endpoint": running.url})
        service.spreadsheets().values().append(spreadsheetId=spreadsheet_id,
            range="Écritures!A1:K", valueInputOption="RAW", body={"values": rows}).execute()
        sandbox.values(spreadsheet_id, "Écritures")   # what the sheet now holds

The client builds `{api_endpoint}/v4/spreadsheets/...` (the discovery document's rootUrl is
replaced by api_endpoint, its servicePath is empty) and percent-encodes the A1 range of the
path ("%C3%89critures%21A1%3AK"), so the routes below match the raw path and decode the range.

Endpoints: spreadsheets create, get, batchUpdate; values get, batchGet, update, batchUpdate,
append, clear, batchClear. Request and response bodies follow the discovery document's schemas
(unknown fields are refused like Google refuses them); errors carry Google's JSON error body.
What the sandbox chooses where Google's behaviour is not pinned down is written next to the
code that does it: formulas are stored, not evaluated (their value is #NAME?); numbers and dates
are parsed and formatted in the spreadsheet's locale (fr_FR by default).
"""

from __future__ import annotations

import json
import random
import string
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote

from backend.sandbox.a1 import A1Error, A1Range, column_letters, format_range, parse_range
from backend.sandbox.faults import FaultPlan
from backend.sandbox.server import Request, Response, Service
from backend.sandbox.sheets_errors import (CANONICAL, INVALID_CREDENTIALS, WRITE_QUOTA,
                                           SheetsError, error_body, invalid, not_found)
from backend.sandbox.sheets_model import (Sheet, Spreadsheet, cell_data, find_table, read_rows,
                                          transpose)
from backend.sandbox.sheets_requests import apply_request
from backend.sandbox.sheets_schema import filter_fields, normalize
from backend.sandbox.sheets_values import (DATETIME_OPTIONS, FORMATTED_VALUE, FORMULA,
                                           INPUT_OPTIONS, RAW, RENDER_OPTIONS, SERIAL_NUMBER,
                                           UNFORMATTED_VALUE, Formula, InvalidValue,
                                           effective_number_format, parse_raw_rows,
                                           parse_user_entered_rows, render)

SPREADSHEET_ID_CHARACTERS = string.ascii_letters + string.digits + "-_"

WRITE_WINDOW_SECONDS = 60.0
DEADLINE_SECONDS = 180.0     # Google ends a request it has processed this long
RECEIVED_KEPT = 100_000


@dataclass(frozen=True)
class Received:
    """A request as the sandbox saw it: its body's size on the wire and the answer's status."""

    method: str
    path: str
    body_bytes: int
    status: int
    at: float               # the sandbox's clock when it answered


class SheetsSandbox(Service):
    """Spreadsheets in memory behind the Sheets v4 wire protocol.

    `token`: when set, every request needs `Authorization: Bearer <token>` (401 otherwise).
    `write_quota_per_minute`: when set, write requests beyond that many in the last 60 seconds
    get Google's 429 "Quota exceeded for quota metric 'Write requests'", with no Retry-After
    (Google sends none; `retry_after`, seconds, adds one for a test of a client honouring it).
    `processing_delay(request)`: seconds the request takes to process (a test sets it; none by
    default). Past `deadline` seconds Google stops and answers 503 UNAVAILABLE "The service is
    currently unavailable."; a write may have been applied all the same (reported by users of
    the API), which is what the sandbox does unless `deadline_applies` is False.
    `clock` and `sleep` are the sandbox's time: a test gives both a simulated clock.
    `received` lists every request answered (size of its body, status) in order.
    """

    name = "sheets"
    state_attributes = ("spreadsheets",)

    def __init__(self, plan: FaultPlan | None = None, token: str | None = None,
                 write_quota_per_minute: int | None = None, clock=time.monotonic,
                 sleep=time.sleep) -> None:
        super().__init__(plan)
        self.token = token
        self.write_quota_per_minute = write_quota_per_minute
        self.retry_after: float | None = None
        self.clock = clock
        self.sleep = sleep
        self.processing_delay: Callable[[Request], float] | None = None
        self.deadline = DEADLINE_SECONDS
        self.deadline_applies = True
        self.received: deque[Received] = deque(maxlen=RECEIVED_KEPT)
        self._recent_writes: deque[float] = deque()
        self.spreadsheets: dict[str, Spreadsheet] = {}
        # Ids drawn from a seeded generator: shaped like Google's, the same from run to run.
        self._ids = random.Random("sheets-spreadsheet-ids")
        # Spreadsheets that exist but are not shared with the caller: Google answers 403
        # PERMISSION_DENIED "The caller does not have permission" (a sheet that does not
        # exist is a 404).
        self.not_shared: set[str] = set()
        base = "/v4/spreadsheets"
        self.route("POST", base, self._create)
        self.route("POST", base + "/{sid}:batchUpdate", self._batch_update)
        self.route("GET", base + "/{sid}/values:batchGet", self._values_batch_get)
        self.route("POST", base + "/{sid}/values:batchUpdate", self._values_batch_update)
        self.route("POST", base + "/{sid}/values:batchClear", self._values_batch_clear)
        self.route("POST", base + "/{sid}/values/{rng}:append", self._values_append)
        self.route("POST", base + "/{sid}/values/{rng}:clear", self._values_clear)
        self.route("GET", base + "/{sid}/values/{rng}", self._values_get)
        self.route("PUT", base + "/{sid}/values/{rng}", self._values_update)
        self.route("GET", base + "/{sid}", self._get)

    # ------------------------------------------------------------------ the service's frame

    def error_response(self, status: int, message: str) -> Response:
        if message == "Injected fault":   # a planned fault: answer what Google would say
            message = CANONICAL.get(status, ("", message))[1] or message
        body = error_body(status, message, self.write_quota_per_minute or WRITE_QUOTA)
        headers = {"Retry-After": f"{self.retry_after:g}"} \
            if status == 429 and self.retry_after is not None else None
        return Response.json(status, body, headers)

    def dispatch(self, request: Request) -> Response:
        size = len(request.body)
        response = self._answer(_undo_method_override(request))
        with self.lock:
            self.received.append(Received(request.method, request.path, size, response.status,
                                          self.clock()))
        return response

    def _answer(self, request: Request) -> Response:
        try:
            self._authenticate(request)
            self._check_shared(request)
            self._count_write(request)
            delay = self.processing_delay(request) if self.processing_delay else 0.0
            if delay > self.deadline:
                # Outside the lock: other requests go on while this one is processed.
                self.sleep(self.deadline)
                if self.deadline_applies and request.method != "GET":
                    super().dispatch(request)
                raise SheetsError(503)
            if delay:
                self.sleep(delay)
            return super().dispatch(request)
        except SheetsError as error:
            return self.error_response(error.status, error.message)

    def _authenticate(self, request: Request) -> None:
        if self.token is None:
            return
        header = request.headers.get("authorization")
        if not header:
            raise SheetsError(401)
        if header != f"Bearer {self.token}":
            raise SheetsError(401, INVALID_CREDENTIALS)

    def _check_shared(self, request: Request) -> None:
        parts = request.path.split("/")
        if len(parts) > 3 and parts[3].split(":")[0] in self.not_shared:
            raise SheetsError(403)

    def _count_write(self, request: Request) -> None:
        """Google's per-minute write quota, when the sandbox is given one. Reads are free."""
        if self.write_quota_per_minute is None or request.method == "GET":
            return
        with self.lock:
            now = self.clock()
            while self._recent_writes and now - self._recent_writes[0] >= WRITE_WINDOW_SECONDS:
                self._recent_writes.popleft()
            if len(self._recent_writes) >= self.write_quota_per_minute:
                raise SheetsError(429)
            self._recent_writes.append(now)

    # ------------------------------------------------------------------ helpers for tests

    def create_spreadsheet(self, title: str, tabs=("Feuille 1",), spreadsheet_id: str | None = None,
                           locale: str = "fr_FR", time_zone: str = "Europe/Paris") -> str:
        """A new spreadsheet with these tabs (the first has sheetId 0, as in Google)."""
        if not tabs:
            raise ValueError("a spreadsheet has at least one tab")
        with self.lock:
            spreadsheet = self._new_spreadsheet(title, locale, time_zone, spreadsheet_id)
            for i, tab in enumerate(tabs):
                spreadsheet.add_sheet(tab, sheet_id=0 if i == 0 else None)
            return spreadsheet.spreadsheet_id

    def tabs(self, spreadsheet_id: str) -> list[str]:
        return [sheet.title for sheet in self._spreadsheet(spreadsheet_id).sheets]

    def sheet_properties(self, spreadsheet_id: str, tab: str) -> dict:
        return self._tab(spreadsheet_id, tab).properties()

    def values(self, spreadsheet_id: str, tab: str,
               render_option: str = UNFORMATTED_VALUE) -> list[list]:
        """What values.get of the whole tab answers (UNFORMATTED_VALUE by default): trailing
        empty cells and rows trimmed, formulas as their value (#NAME?)."""
        with self.lock:
            spreadsheet = self._spreadsheet(spreadsheet_id)
            sheet = self._tab(spreadsheet_id, tab)
            return read_rows(sheet, 0, sheet.row_count, 0, sheet.column_count, render_option,
                             SERIAL_NUMBER, spreadsheet.locale_rules)

    def cell(self, spreadsheet_id: str, tab: str, a1: str) -> dict:
        """One cell: its value, its formula text (None unless it is a formula), its format
        (userEnteredFormat, with the date format Sheets gives a date typed as text) and its
        formatted text."""
        with self.lock:
            spreadsheet = self._spreadsheet(spreadsheet_id)
            sheet = self._tab(spreadsheet_id, tab)
            parsed = parse_range(a1)
            row, col = parsed.start_row, parsed.start_col
            value = sheet.value_at(row, col)
            cell_format = dict(sheet.format_at(row, col))
            number_format = effective_number_format(value, cell_format)
            if number_format and "numberFormat" not in cell_format:
                cell_format["numberFormat"] = dict(number_format)
            locale = spreadsheet.locale_rules
            return {"value": render(value, cell_format, UNFORMATTED_VALUE, SERIAL_NUMBER, locale),
                    "formula": value.text if isinstance(value, Formula) else None,
                    "format": cell_format,
                    "formatted": render(value, cell_format, FORMATTED_VALUE, SERIAL_NUMBER, locale)}

    def export_json(self, spreadsheet_id: str, render_option: str = FORMATTED_VALUE) -> dict:
        """The spreadsheet as plain JSON for the demo: properties and, per tab, its values as
        the API renders them, plus the formula text of formula cells by A1 address."""
        with self.lock:
            spreadsheet = self._spreadsheet(spreadsheet_id)
            tabs = []
            for sheet in spreadsheet.sheets:
                formulas = {format_range(None, r, r + 1, c, c + 1): value.text
                            for r, row in enumerate(sheet.rows) for c, value in enumerate(row)
                            if isinstance(value, Formula)}
                entry = {"properties": sheet.properties(),
                         "values": read_rows(sheet, 0, sheet.row_count, 0, sheet.column_count,
                                             render_option, SERIAL_NUMBER,
                                             spreadsheet.locale_rules)}
                if formulas:
                    entry["formulas"] = formulas
                tabs.append(entry)
            return {"spreadsheetId": spreadsheet.spreadsheet_id,
                    "properties": spreadsheet.properties(), "sheets": tabs}

    def write_json(self, spreadsheet_id: str, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.export_json(spreadsheet_id), ensure_ascii=False, indent=1),
                        encoding="utf-8")
        return path

    # ------------------------------------------------------------------ spreadsheets

    def _new_spreadsheet(self, title: str, locale: str, time_zone: str,
                         spreadsheet_id: str | None = None) -> Spreadsheet:
        spreadsheet_id = spreadsheet_id or self._new_id()
        if spreadsheet_id in self.spreadsheets:
            raise ValueError(f"spreadsheet {spreadsheet_id} already exists")
        spreadsheet = Spreadsheet(spreadsheet_id, title, locale, time_zone)
        self.spreadsheets[spreadsheet_id] = spreadsheet
        return spreadsheet

    def _new_id(self) -> str:
        """Google's ids are 44 characters of [A-Za-z0-9_-], and may start with '-' (which a
        command line must accept: backend/cli_args.py)."""
        while True:
            drawn = "".join(self._ids.choices(SPREADSHEET_ID_CHARACTERS, k=44))
            if drawn not in self.spreadsheets:
                return drawn

    def _spreadsheet(self, spreadsheet_id: str) -> Spreadsheet:
        spreadsheet = self.spreadsheets.get(spreadsheet_id)
        if spreadsheet is None:
            raise not_found()
        return spreadsheet

    def _tab(self, spreadsheet_id: str, tab: str) -> Sheet:
        sheet = self._spreadsheet(spreadsheet_id).sheet_by_title(tab)
        if sheet is None:
            raise KeyError(f"no tab {tab!r} in {spreadsheet_id}")
        return sheet

    def _create(self, request: Request) -> Response:
        body = normalize(request.json() or {}, "Spreadsheet")
        props = body.get("properties") or {}
        locale = props.get("locale") or "fr_FR"
        default_title = ("Feuille de calcul sans titre" if locale.startswith("fr")
                         else "Untitled spreadsheet")
        spreadsheet = Spreadsheet("pending", props.get("title") or default_title, locale,
                                  props.get("timeZone") or "Europe/Paris")
        sheets = body.get("sheets") or [{}]
        for i, sheet_body in enumerate(sheets):   # all checked before the spreadsheet exists
            apply_request(spreadsheet, {"addSheet": {"properties": {
                "sheetId": 0 if i == 0 else None, **(sheet_body.get("properties") or {})}}}, i)
        created = self._new_spreadsheet(spreadsheet.title, locale, spreadsheet.time_zone)
        created.sheets = spreadsheet.sheets
        return Response.json(200, self._resource(created))

    def _get(self, request: Request, sid: str) -> Response:
        spreadsheet = self._spreadsheet(sid)
        ranges = _params(request, "ranges")
        include = _flag(request, "includeGridData")
        resource = self._resource(spreadsheet, include, ranges)
        return Response.json(200, filter_fields(resource, _param(request, "fields")))

    def _resource(self, spreadsheet: Spreadsheet, include_grid_data: bool = False,
                  ranges: list[str] | None = None) -> dict:
        """The Spreadsheet resource; with grid data, cells of the given ranges (or of every
        tab) as CellData."""
        wanted: list[tuple[Sheet, tuple[int, int, int, int] | None]] = []
        if ranges:
            for text in ranges:
                sheet, parsed = self._resolve(spreadsheet, text)
                wanted.append((sheet, self._bounds(sheet, parsed)))
        else:
            wanted = [(sheet, None) for sheet in spreadsheet.sheets]
        sheets, seen = [], {}
        for sheet, bounds in wanted:
            if sheet.sheet_id not in seen:
                entry = {"properties": sheet.properties()}
                if sheet.basic_filter:
                    entry["basicFilter"] = sheet.basic_filter
                seen[sheet.sheet_id] = entry
                sheets.append(entry)
            if include_grid_data:
                bounds = bounds or (0, sheet.row_count, 0, sheet.column_count)
                seen[sheet.sheet_id].setdefault("data", []).append(
                    self._grid_data(sheet, bounds, spreadsheet))
        return {"spreadsheetId": spreadsheet.spreadsheet_id,
                "properties": spreadsheet.properties(),
                "sheets": sheets,
                "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/"
                                  f"{spreadsheet.spreadsheet_id}/edit"}

    @staticmethod
    def _grid_data(sheet: Sheet, bounds, spreadsheet: Spreadsheet) -> dict:
        top, bottom, left, right = bounds
        locale = spreadsheet.locale_rules
        row_data = []
        for r in range(top, min(bottom, len(sheet.rows))):
            width = min(right, len(sheet.rows[r]))
            cells = [cell_data(sheet, r, c, locale) for c in range(left, width)]
            while cells and not cells[-1]:
                cells.pop()
            row_data.append({"values": cells} if cells else {})
        while row_data and not row_data[-1]:
            row_data.pop()
        data: dict = {"rowData": row_data}
        if top:
            data["startRow"] = top
        if left:
            data["startColumn"] = left
        return data

    def _batch_update(self, request: Request, sid: str) -> Response:
        spreadsheet = self._spreadsheet(sid)
        body = normalize(request.json() or {}, "BatchUpdateSpreadsheetRequest")
        # All or nothing: the requests run on a copy that replaces the spreadsheet only when
        # every one of them succeeded.
        draft = spreadsheet.clone()
        replies = [apply_request(draft, item or {}, i)
                   for i, item in enumerate(body.get("requests") or [])]
        self.spreadsheets[sid] = draft
        answer = {"spreadsheetId": sid, "replies": replies}
        if body.get("includeSpreadsheetInResponse"):
            answer["updatedSpreadsheet"] = self._resource(
                draft, bool(body.get("responseIncludeGridData")), body.get("responseRanges"))
        return Response.json(200, answer)

    # ------------------------------------------------------------------ ranges

    def _resolve(self, spreadsheet: Spreadsheet, text: str) -> tuple[Sheet, A1Range]:
        """The sheet and bounds an A1 text names; 400 "Unable to parse range" for text that is
        no range or names no sheet of this spreadsheet."""
        try:
            parsed = parse_range(text)
        except A1Error:
            raise invalid(f"Unable to parse range: {text}") from None
        if parsed.sheet is None:
            return spreadsheet.sheets[0], parsed
        sheet = spreadsheet.sheet_by_title(parsed.sheet)
        if sheet is None:
            raise invalid(f"Unable to parse range: {text}")
        return sheet, parsed

    @staticmethod
    def _bounds(sheet: Sheet, parsed: A1Range) -> tuple[int, int, int, int]:
        """(top, bottom, left, right) within the grid; open ends stop at the grid's edge, and a
        range reaching past it is refused as Google refuses it."""
        bottom = sheet.row_count if parsed.end_row is None else parsed.end_row
        right = sheet.column_count if parsed.end_col is None else parsed.end_col
        if bottom > sheet.row_count or right > sheet.column_count \
                or parsed.start_row >= sheet.row_count or parsed.start_col >= sheet.column_count:
            text = format_range(sheet.title, parsed.start_row, parsed.end_row,
                                parsed.start_col, parsed.end_col)
            raise invalid(f"Range ({text}) exceeds grid limits. Max rows: {sheet.row_count}, "
                          f"max columns: {sheet.column_count}")
        return parsed.start_row, bottom, parsed.start_col, right

    # ------------------------------------------------------------------ reading values

    def _values_get(self, request: Request, sid: str, rng: str) -> Response:
        spreadsheet = self._spreadsheet(sid)
        options = _read_options(request)
        return Response.json(200, self._value_range(spreadsheet, unquote(rng), *options))

    def _values_batch_get(self, request: Request, sid: str) -> Response:
        spreadsheet = self._spreadsheet(sid)
        options = _read_options(request)
        answer: dict = {"spreadsheetId": sid}
        ranges = _params(request, "ranges")
        if ranges:
            answer["valueRanges"] = [self._value_range(spreadsheet, text, *options)
                                     for text in ranges]
        return Response.json(200, answer)

    def _value_range(self, spreadsheet: Spreadsheet, text: str, major: str, option: str,
                     datetime_option: str) -> dict:
        sheet, parsed = self._resolve(spreadsheet, text)
        top, bottom, left, right = self._bounds(sheet, parsed)
        return self._render_range(spreadsheet, sheet, (top, bottom, left, right), major, option,
                                  datetime_option)

    @staticmethod
    def _render_range(spreadsheet: Spreadsheet, sheet: Sheet, bounds, major: str, option: str,
                      datetime_option: str) -> dict:
        top, bottom, left, right = bounds
        rows = read_rows(sheet, top, bottom, left, right, option, datetime_option,
                         spreadsheet.locale_rules)
        answer = {"range": format_range(sheet.title, top, bottom, left, right),
                  "majorDimension": major}
        values = transpose(rows) if major == "COLUMNS" else rows
        if values:   # Google leaves "values" out of an empty range
            answer["values"] = values
        return answer

    # ------------------------------------------------------------------ writing values

    def _values_update(self, request: Request, sid: str, rng: str) -> Response:
        spreadsheet = self._spreadsheet(sid)
        option = _input_option(_param(request, "valueInputOption"))
        body = normalize(request.json() or {}, "ValueRange")
        write = self._plan_write(spreadsheet, unquote(rng), body, option)
        write.apply()
        return Response.json(200, self._update_response(spreadsheet, write, request.query))

    def _values_batch_update(self, request: Request, sid: str) -> Response:
        spreadsheet = self._spreadsheet(sid)
        body = normalize(request.json() or {}, "BatchUpdateValuesRequest")
        option = _input_option(body.get("valueInputOption"))
        # Every range is checked before anything is written.
        writes = [self._plan_write(spreadsheet, item.get("range") or "", item, option)
                  for item in body.get("data") or []]
        for write in writes:
            write.apply()
        answer: dict = {"spreadsheetId": sid}
        if writes:
            response_query = [(key, str(body[key])) for key in
                              ("includeValuesInResponse", "responseValueRenderOption",
                               "responseDateTimeRenderOption") if key in body]
            responses = [self._update_response(spreadsheet, write, response_query)
                         for write in writes]
            answer.update({
                "totalUpdatedRows": sum(r.get("updatedRows", 0) for r in responses),
                "totalUpdatedColumns": sum(r.get("updatedColumns", 0) for r in responses),
                "totalUpdatedCells": sum(r.get("updatedCells", 0) for r in responses),
                "totalUpdatedSheets": len({write.sheet.sheet_id for write in writes}),
                "responses": responses})
        return Response.json(200, answer)

    def _values_append(self, request: Request, sid: str, rng: str) -> Response:
        spreadsheet = self._spreadsheet(sid)
        option = _input_option(_param(request, "valueInputOption"))
        insert = _param(request, "insertDataOption") or "OVERWRITE"
        if insert not in ("OVERWRITE", "INSERT_ROWS"):
            raise invalid(f"Invalid value at 'insert_data_option' "
                          f"(type.googleapis.com/google.apps.sheets.v4.InsertDataOption), "
                          f'"{insert}"')
        body = normalize(request.json() or {}, "ValueRange")
        text = unquote(rng)
        sheet, parsed = self._resolve(spreadsheet, text)
        top, bottom, left, right = self._bounds(sheet, parsed)
        block = _block(body, option, spreadsheet)
        table = find_table(sheet, top, bottom, left, right)
        start_row, start_col = (table[1], table[2]) if table else (top, left)
        height, width = len(block), max((len(row) for row in block), default=0)
        # Appending grows the grid as needed (and INSERT_ROWS always adds its rows).
        rows = sheet.row_count + height if insert == "INSERT_ROWS" \
            else max(sheet.row_count, start_row + height)
        columns = max(sheet.column_count, start_col + width)
        spreadsheet.check_grid(sheet, rows, columns)
        if insert == "INSERT_ROWS" and height:
            sheet.insert_rows(start_row, height)
        sheet.row_count, sheet.column_count = rows, columns
        write = _Write(sheet, start_row, start_col, block)
        write.apply()
        answer = {"spreadsheetId": sid}
        if table:
            answer["tableRange"] = format_range(sheet.title, *table)
        answer["updates"] = self._update_response(spreadsheet, write, request.query)
        return Response.json(200, answer)

    def _plan_write(self, spreadsheet: Spreadsheet, text: str, body: dict, option: str) -> "_Write":
        """Where a ValueRange goes, checked: the range exists, the values fit in it (a single
        cell is only an anchor), and in the grid (values.update does not grow the grid)."""
        sheet, parsed = self._resolve(spreadsheet, text)
        top, _, left, _ = self._bounds(sheet, parsed)
        block = _block(body, option, spreadsheet)
        height, width = len(block), max((len(row) for row in block), default=0)
        if not parsed.single_cell:
            label = format_range(sheet.title, top, parsed.end_row, left, parsed.end_col)
            if parsed.end_row is not None and top + height > parsed.end_row:
                raise invalid(f"Requested writing within range [{label}], but tried writing "
                              f"to row [{parsed.end_row + 1}]")
            if parsed.end_col is not None and left + width > parsed.end_col:
                raise invalid(f"Requested writing within range [{label}], but tried writing "
                              f"to column [{column_letters(parsed.end_col)}]")
        if top + height > sheet.row_count or left + width > sheet.column_count:
            written = format_range(sheet.title, top, top + height, left, left + width)
            raise invalid(f"Range ({written}) exceeds grid limits. Max rows: {sheet.row_count}, "
                          f"max columns: {sheet.column_count}")
        return _Write(sheet, top, left, block, parsed)

    def _update_response(self, spreadsheet: Spreadsheet, write: "_Write", query) -> dict:
        """UpdateValuesResponse of a write; with includeValuesInResponse, the values written as
        they now read (responseValueRenderOption, responseDateTimeRenderOption)."""
        answer: dict = {"spreadsheetId": spreadsheet.spreadsheet_id}
        bounds = write.bounds()
        if bounds is None:
            answer["updatedRange"] = format_range(write.sheet.title, write.top, write.top + 1,
                                                  write.left, write.left + 1)
            return answer
        answer.update({"updatedRange": format_range(write.sheet.title, *bounds),
                       "updatedRows": write.height, "updatedColumns": write.width,
                       "updatedCells": write.cells})
        params = dict(query)
        if str(params.get("includeValuesInResponse", "")).lower() == "true":
            option = params.get("responseValueRenderOption") or FORMATTED_VALUE
            datetime_option = params.get("responseDateTimeRenderOption") or SERIAL_NUMBER
            _check_enum(option, RENDER_OPTIONS, "response_value_render_option", "ValueRenderOption")
            _check_enum(datetime_option, DATETIME_OPTIONS, "response_date_time_render_option",
                        "DateTimeRenderOption")
            answer["updatedData"] = self._render_range(spreadsheet, write.sheet, bounds, "ROWS",
                                                       option, datetime_option)
        return answer

    # ------------------------------------------------------------------ clearing values

    def _values_clear(self, request: Request, sid: str, rng: str) -> Response:
        spreadsheet = self._spreadsheet(sid)
        normalize(request.json() or {}, "ClearValuesRequest")
        cleared = self._clear(spreadsheet, [unquote(rng)])
        return Response.json(200, {"spreadsheetId": sid, "clearedRange": cleared[0]})

    def _values_batch_clear(self, request: Request, sid: str) -> Response:
        spreadsheet = self._spreadsheet(sid)
        body = normalize(request.json() or {}, "BatchClearValuesRequest")
        cleared = self._clear(spreadsheet, body.get("ranges") or [])
        return Response.json(200, {"spreadsheetId": sid, "clearedRanges": cleared})

    def _clear(self, spreadsheet: Spreadsheet, texts: list[str]) -> list[str]:
        """Clear values (formats stay, as in Google); every range is checked first."""
        targets = []
        for text in texts:
            sheet, parsed = self._resolve(spreadsheet, text)
            targets.append((sheet, self._bounds(sheet, parsed)))
        for sheet, (top, bottom, left, right) in targets:
            sheet.clear(top, bottom, left, right)
        return [format_range(sheet.title, *bounds) for sheet, bounds in targets]


class _Write:
    """A block of parsed values to write at (top, left) of a sheet."""

    def __init__(self, sheet: Sheet, top: int, left: int, block: list[list],
                 parsed: A1Range | None = None) -> None:
        self.sheet, self.top, self.left, self.block = sheet, top, left, block
        self.height = len(block)
        self.width = max((len(row) for row in block), default=0)
        # null leaves a cell as it was: it is not an updated cell.
        self.cells = sum(len(row) - row.count(None) for row in block)

    def apply(self) -> None:
        self.sheet.write_block(self.top, self.left, self.block)

    def bounds(self):
        if not self.height or not self.width:
            return None
        return self.top, self.top + self.height, self.left, self.left + self.width


# ---------------------------------------------------------------------- request parameters

def _undo_method_override(request: Request) -> Request:
    """googleapiclient sends a GET whose URL would pass 2048 characters (a batchGet of many
    ranges) as a POST with `X-HTTP-Method-Override: GET` and the query in the body."""
    override = request.headers.get("x-http-method-override")
    if request.method != "POST" or not override:
        return request
    query = request.query + parse_qsl(request.body.decode("utf-8"), keep_blank_values=True)
    return Request(override.upper(), request.path, query, request.headers, b"")


def _param(request: Request, name: str) -> str | None:
    values = _params(request, name)
    return values[-1] if values else None


def _params(request: Request, name: str) -> list[str]:
    return [value for key, value in request.query if key == name]


def _flag(request: Request, name: str) -> bool:
    return (_param(request, name) or "").lower() == "true"


def _check_enum(value: str, allowed, field: str, type_name: str) -> None:
    if value not in allowed:
        raise invalid(f"Invalid value at '{field}' "
                      f'(type.googleapis.com/google.apps.sheets.v4.{type_name}), "{value}"')


def _read_options(request: Request) -> tuple[str, str, str]:
    major = _param(request, "majorDimension") or "ROWS"
    if major == "DIMENSION_UNSPECIFIED":
        major = "ROWS"
    option = _param(request, "valueRenderOption") or FORMATTED_VALUE
    datetime_option = _param(request, "dateTimeRenderOption") or SERIAL_NUMBER
    _check_enum(major, ("ROWS", "COLUMNS"), "major_dimension", "Dimension")
    _check_enum(option, RENDER_OPTIONS, "value_render_option", "ValueRenderOption")
    _check_enum(datetime_option, DATETIME_OPTIONS, "date_time_render_option",
                "DateTimeRenderOption")
    return major, option, datetime_option


def _input_option(value: str | None) -> str:
    """valueInputOption is required on every write, as in Google."""
    if not value or value == "INPUT_VALUE_OPTION_UNSPECIFIED":
        raise invalid("'valueInputOption' is required but not specified")
    _check_enum(value, INPUT_OPTIONS, "value_input_option", "ValueInputOption")
    return value


def _block(body: dict, option: str, spreadsheet: Spreadsheet) -> list[list]:
    """The values of a ValueRange as rows of stored values."""
    values = body.get("values") or []
    if not isinstance(values, list):
        raise invalid("Invalid JSON payload received. Invalid value at 'data.values'")
    major = body.get("majorDimension") or "ROWS"
    _check_enum(major, ("ROWS", "COLUMNS", "DIMENSION_UNSPECIFIED"), "data.major_dimension",
                "Dimension")
    try:
        if option == RAW:
            rows = parse_raw_rows(values)
        else:
            rows = parse_user_entered_rows(values, spreadsheet.locale_rules)
    except InvalidValue as error:
        raise invalid(str(error)) from None
    if major == "COLUMNS":
        width = max((len(column) for column in rows), default=0)
        rows = [[column[r] if r < len(column) else None for column in rows] for r in range(width)]
    return rows


__all__ = ["SheetsSandbox", "FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA"]
