"""The accountant's Google Sheet through the official client (google-api-python-client).

Few calls: one to list the tabs, one batchGet for what a run reads, one append per tab for
the rows of a run (more when they pass the size below), one batchUpdate for tabs, formats and
highlights. Values are written RAW, so a customer called "=HYPERLINK(...)" stays text.

Google's limits, kept here: no request body above `MAX_REQUEST_BYTES` (Google recommends 2 MB
at most; the use case cuts its appends on entry boundaries to the same size, this adapter
cuts the writes it can cut safely: `replace`, deletions, highlights); ~60 write requests a
minute per user, refused with 429 before anything is applied, so a 429 is retried on writes
too, with Google's backoff (`Backoff`); a 5xx or a lost answer is retried on reads and on
idempotent writes, never on an append or a deletion: those raise a ServiceError saying the
write may have been applied, and the use case looks at the sheet before writing again.
"""

from __future__ import annotations

import functools
import http.client
import json
import socket
from datetime import date, datetime, timezone
from decimal import Decimal
from email.utils import parsedate_to_datetime

import httplib2
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from backend import spreadsheet
from backend.adapters.google_http import REQUEST_TIMEOUT, Backoff, SessionHttp
from backend.errors import ServiceError
from backend.journal_sheet import SHEETS_EPOCH
from backend.ports import TabSpec

SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]

# Google's address for Sheets (the discovery document's rootUrl).
SHEETS_ROOT = "https://sheets.googleapis.com/"


class _NoHttp:
    """The resources' own `http`: never used, every request is executed with an adapter's."""

    def request(self, *args, **kwargs):
        raise RuntimeError("a Sheets request was sent without the adapter's http")


@functools.cache
def _resources() -> tuple:
    """(spreadsheets, spreadsheets.values), built once per process: building them from the
    discovery document costs about 0.14 s of CPU (googleapiclient writes every method's
    docstring). They only make requests, for Google's address; each is sent with the
    adapter's own `http` (its credentials, its timeout, its address), so one set serves
    every company, thread and address."""
    api = build("sheets", "v4", http=_NoHttp(), static_discovery=True, cache_discovery=False)
    sheets = api.spreadsheets()
    return sheets, sheets.values()

# A quarter below Google's recommended 2 MB per request: what the client sends besides the
# values (the rest of the JSON) and a margin against "2 MB" meaning 2,000,000 bytes.
MAX_REQUEST_BYTES = 1_500_000
NEW_TAB_ROWS = 1000          # the grid of a tab ensure_tabs creates
HEADER_COLOR = {"red": 0.867, "green": 0.902, "blue": 0.941}
HIGHLIGHT_COLOR = {"red": 0.973, "green": 0.843, "blue": 0.855}
WHITE = {"red": 1, "green": 1, "blue": 1}
CONNECTION_ERRORS = (ConnectionError, TimeoutError, socket.timeout, http.client.HTTPException,
                     httplib2.HttpLib2Error, OSError)   # requests' errors are OSErrors


def quote(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def to_cell(value):
    """A Python value as the JSON the API takes. Dates become serial numbers (the column's
    date format shows them as dates); an amount's float prints as its exact decimal text."""
    if isinstance(value, datetime):
        delta = value.replace(tzinfo=None) - datetime.combine(SHEETS_EPOCH, datetime.min.time())
        return round(delta.total_seconds() / 86400, 6)
    if isinstance(value, date):
        return (value - SHEETS_EPOCH).days
    if isinstance(value, Decimal):
        return float(value)
    if value is None:
        return ""
    return value


class GoogleSheetsAdapter:
    """`timeout`: how long an answer may take (longer than Google's own 180-second deadline,
    see google_http); `backoff`: how 429s, 5xx and lost connections are retried;
    `max_request_bytes`: the largest request body the writes that can be cut are cut to."""

    def __init__(self, spreadsheet_id: str, credentials, base_url: str | None = None,
                 timeout: float = REQUEST_TIMEOUT, backoff: Backoff = Backoff(),
                 max_request_bytes: int = MAX_REQUEST_BYTES) -> None:
        self.spreadsheet_id = spreadsheet_id
        # Sends each request once; to `base_url` (a sandbox) instead of Google when given.
        rebase = (SHEETS_ROOT, base_url.rstrip("/") + "/") if base_url else None
        self.http = SessionHttp(credentials, timeout=timeout, rebase=rebase)
        self.backoff = backoff
        self.max_request_bytes = max_request_bytes
        self.sheets, self.values = _resources()
        self._calls = 0
        self._sheet_ids: dict[str, int] = {}

    def calls(self) -> int:
        """HTTP requests sent, retries included."""
        return self._calls

    def _run(self, request, write: bool = False):
        """Send `request`, retrying what is safe to retry. `write`: a request that must not be
        sent twice once Google may have applied it (an append, deleting rows).

        The client's own `num_retries` is not used: it retries POSTs too, waits
        rand() * 2**n seconds with no cap nor Retry-After, and sleeps on a clock tests cannot
        drive."""
        started = self.backoff.clock()
        retry = 0
        while True:
            self._calls += 1
            try:
                return request.execute(http=self.http, num_retries=0)
            except HttpError as exc:
                error, asked, cause = _http_failure(exc, write), _retry_after(exc), exc
                # A 429 is Google refusing before doing anything: safe to send again.
                retryable = error.status == 429 or (error.status >= 500 and not write)
            except CONNECTION_ERRORS as exc:
                error = ServiceError("sheets", f"connection failed: {exc or type(exc).__name__}",
                                     transient=True, applied_unknown=write)
                retryable, asked, cause = not write, None, exc
            delay = self.backoff.delay(retry, asked)
            spent = self.backoff.clock() - started
            if not retryable or retry >= self.backoff.retries \
                    or spent + delay > self.backoff.budget:
                raise error from cause
            self.backoff.sleep(delay)
            retry += 1

    # --- reading ------------------------------------------------------------------------

    def tab_titles(self) -> list[str]:
        meta = self._run(self.sheets.get(
            spreadsheetId=self.spreadsheet_id, fields="sheets.properties(sheetId,title)"))
        self._sheet_ids = {s["properties"]["title"]: s["properties"]["sheetId"]
                           for s in meta.get("sheets", [])}
        return list(self._sheet_ids)

    def _batch_get(self, ranges: list[str]) -> list[list[list]]:
        if not ranges:
            return []
        answer = self._run(self.values.batchGet(
            spreadsheetId=self.spreadsheet_id, ranges=ranges, majorDimension="ROWS",
            valueRenderOption="UNFORMATTED_VALUE", dateTimeRenderOption="SERIAL_NUMBER"))
        return [vr.get("values", []) for vr in answer.get("valueRanges", [])]

    def read(self, titles: list[str]) -> dict[str, list[list]]:
        return dict(zip(titles, self._batch_get([quote(t) for t in titles])))

    def read_column(self, titles: list[str], header: str) -> dict[str, list]:
        headers = dict(zip(titles, self._batch_get([f"{quote(t)}!1:1" for t in titles])))
        wanted = {}
        for title in titles:
            names = [str(c).strip() for c in (headers[title][0] if headers[title] else [])]
            if header in names:
                letter = column_letter(names.index(header))
                wanted[title] = f"{quote(title)}!{letter}2:{letter}"
        values = dict(zip(wanted, self._batch_get(list(wanted.values()))))
        return {t: [row[0] if row else "" for row in values.get(t, [])] for t in titles}

    # --- writing ------------------------------------------------------------------------

    def _batch_update(self, requests: list[dict]) -> dict:
        return self._run(self.sheets.batchUpdate(
            spreadsheetId=self.spreadsheet_id, body={"requests": requests}), write=True)

    def _batch_updates(self, requests: list[dict]) -> None:
        """`requests` in order, in as many batchUpdates as keep each body under the limit."""
        for group in cut_by_size(requests, self.max_request_bytes - len('{"requests": []}')):
            self._batch_update(group)

    def ensure_tabs(self, specs: list[TabSpec]) -> list[str]:
        """Missing tabs created with header, frozen row and column formats, in one call."""
        titles = list(self._sheet_ids) or self.tab_titles()   # known since this run's listing
        missing = [s for s in specs if s.title not in titles]
        if not missing:
            return []
        next_id = max(self._sheet_ids.values(), default=0) + 1
        requests = []
        for offset, spec in enumerate(missing):
            sheet_id = next_id + offset
            self._sheet_ids[spec.title] = sheet_id
            requests.append({"addSheet": {"properties": {
                "sheetId": sheet_id, "title": spec.title,
                "gridProperties": {"rowCount": NEW_TAB_ROWS,
                                   "columnCount": max(len(spec.header), 1),
                                   "frozenRowCount": 1}}}})
            requests.append(_header_request(sheet_id, spec.header))
            requests += _format_requests(sheet_id, spec)
            requests += _width_requests(sheet_id, spec)
        requests += self._order_requests()
        self._batch_update(requests)
        return [s.title for s in missing]

    def _order_requests(self) -> list[dict]:
        """Moves putting the tabs in the accountant's order (spreadsheet.tab_order), the
        first tab being the one the sheet opens on. Done when a run creates a tab, so a tab
        she moved stays where she put it until then. Each move is to the left of where the tab
        is: Google counts a move's index "before the move", which is the same index then."""
        current = list(self._sheet_ids)
        wanted = spreadsheet.tab_order(current)
        requests = []
        for index, title in enumerate(wanted):
            if current[index] != title:
                requests.append({"updateSheetProperties": {
                    "properties": {"sheetId": self._sheet_ids[title], "index": index},
                    "fields": "index"}})
                current.remove(title)
                current.insert(index, title)
        self._sheet_ids = {title: self._sheet_ids[title] for title in wanted}
        return requests

    def append(self, title: str, rows: list[list]) -> None:
        if not rows:
            return
        self._run(self.values.append(
            spreadsheetId=self.spreadsheet_id, range=f"{quote(title)}!A1",
            valueInputOption="RAW", insertDataOption="INSERT_ROWS",
            body={"values": [[to_cell(v) for v in row] for row in rows]}), write=True)

    def replace(self, spec: TabSpec, rows: list[list]) -> None:
        """Clear the tab, write header and rows from A1. Each request gives the same tab when
        sent again, so each is retried like a read. values.update does not grow the grid: a
        body longer than a new tab's rows first sets the tab's row count; a body over the size
        limit is written by several updates, each at its row."""
        values = [list(spec.header)] + [[to_cell(v) for v in r] for r in rows]
        self._run(self.values.clear(spreadsheetId=self.spreadsheet_id, range=quote(spec.title),
                                    body={}))
        if len(values) > NEW_TAB_ROWS:
            self._run(self.sheets.batchUpdate(spreadsheetId=self.spreadsheet_id, body={
                "requests": [{"updateSheetProperties": {
                    "properties": {"sheetId": self._sheet_id(spec.title),
                                   "gridProperties": {"rowCount": len(values)}},
                    "fields": "gridProperties.rowCount"}}]}))
        top = 0
        for chunk in cut_by_size(values, self.max_request_bytes - len('{"values": []}')):
            self._run(self.values.update(
                spreadsheetId=self.spreadsheet_id, range=f"{quote(spec.title)}!A{top + 1}",
                valueInputOption="RAW", body={"values": chunk}))
            top += len(chunk)

    def _sheet_id(self, title: str) -> int:
        if title not in self._sheet_ids:
            self.tab_titles()
        return self._sheet_ids[title]

    def delete_rows(self, title: str, indexes: list[int]) -> None:
        if not indexes:
            return
        if 0 in indexes:
            raise ValueError("the header row is never deleted")
        sheet_id = self._sheet_id(title)
        requests = [{"deleteDimension": {"range": {"sheetId": sheet_id, "dimension": "ROWS",
                                                   "startIndex": start, "endIndex": end}}}
                    for start, end in reversed(_runs(sorted(set(indexes))))]
        # Bottom first, in order: a later batch's rows are above the earlier ones', so the
        # indexes stay right across batches.
        self._batch_updates(requests)

    def highlight(self, title: str, indexes: list[int], clear_others: bool = True) -> None:
        sheet_id = self._sheet_id(title)
        requests = []
        if clear_others:
            requests.append(_background(sheet_id, 1, None, WHITE))
        requests += [_background(sheet_id, start, end, HIGHLIGHT_COLOR)
                     for start, end in _runs(sorted(set(indexes)))]
        if requests:
            self._batch_updates(requests)


def json_size(value) -> int:
    """Bytes of `value` in a request body, as the client serialises it (json.dumps)."""
    return len(json.dumps(value))


def cut_by_size(items: list, limit: int) -> list[list]:
    """`items` in order, cut into lists whose JSON array ("[a, b]") stays within `limit`
    bytes; an item larger than the limit goes alone."""
    groups: list[list] = [[]]
    size = 2
    for item in items:
        item_size = json_size(item) + 2   # its separator ", "
        if groups[-1] and size + item_size > limit:
            groups.append([])
            size = 2
        groups[-1].append(item)
        size += item_size
    return groups


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _runs(indexes: list[int]) -> list[tuple[int, int]]:
    """[3, 4, 5, 9] -> [(3, 6), (9, 10)]: contiguous ranges, end exclusive."""
    runs: list[tuple[int, int]] = []
    for i in indexes:
        if runs and runs[-1][1] == i:
            runs[-1] = (runs[-1][0], i + 1)
        else:
            runs.append((i, i + 1))
    return runs


def _background(sheet_id: int, start: int, end: int | None, color: dict) -> dict:
    grid = {"sheetId": sheet_id, "startRowIndex": start}
    if end is not None:
        grid["endRowIndex"] = end
    return {"repeatCell": {"range": grid, "cell": {"userEnteredFormat": {"backgroundColor": color}},
                           "fields": "userEnteredFormat.backgroundColor"}}


def _header_request(sheet_id: int, header: list[str]) -> dict:
    return {"updateCells": {
        "range": {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": 1,
                  "startColumnIndex": 0, "endColumnIndex": len(header)},
        "rows": [{"values": [{"userEnteredValue": {"stringValue": h},
                              "userEnteredFormat": {"textFormat": {"bold": True},
                                                    "backgroundColor": HEADER_COLOR}}
                             for h in header]}],
        "fields": "userEnteredValue,userEnteredFormat(textFormat,backgroundColor)"}}


PIXELS_PER_CHARACTER = 7     # Sheets' default font (Arial 10): a 100-pixel column shows ~13
CELL_PADDING_PIXELS = 8


def _width_requests(sheet_id: int, spec: TabSpec) -> list[dict]:
    """Each column of a new tab as wide as what it usually holds (its content comes later, in
    other calls: a resize to the content would cost a write request each run); the text of a
    WRAPPED column wraps in its cells."""
    wrapped = [{"repeatCell": {
        "range": {"sheetId": sheet_id, "startRowIndex": 1, "startColumnIndex": col,
                  "endColumnIndex": col + 1},
        "cell": {"userEnteredFormat": {"wrapStrategy": "WRAP"}},
        "fields": "userEnteredFormat.wrapStrategy"}}
        for col, title in enumerate(spec.header) if title in spreadsheet.WRAPPED]
    return wrapped + [{"updateDimensionProperties": {
        "range": {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": col,
                  "endIndex": col + 1},
        "properties": {"pixelSize": spreadsheet.column_width(
            title, is_datetime=col in spec.datetime_columns) * PIXELS_PER_CHARACTER
            + CELL_PADDING_PIXELS},
        "fields": "pixelSize"}} for col, title in enumerate(spec.header)]


def _format_requests(sheet_id: int, spec: TabSpec) -> list[dict]:
    formats = [(spec.date_columns, {"type": "DATE", "pattern": "dd/mm/yyyy"}),
               (spec.datetime_columns, {"type": "DATE_TIME", "pattern": "dd/mm/yyyy hh:mm"}),
               (spec.amount_columns, {"type": "NUMBER", "pattern": "#,##0.00"})]
    return [{"repeatCell": {
        "range": {"sheetId": sheet_id, "startRowIndex": 1, "startColumnIndex": col,
                  "endColumnIndex": col + 1},
        "cell": {"userEnteredFormat": {"numberFormat": number_format}},
        "fields": "userEnteredFormat.numberFormat"}}
        for columns, number_format in formats for col in columns]


def _http_failure(exc: HttpError, write: bool) -> ServiceError:
    status = exc.resp.status
    return ServiceError("sheets", _google_message(exc), status=status,
                        transient=status == 429 or status >= 500,
                        applied_unknown=write and status >= 500)


def _retry_after(exc: HttpError) -> float | None:
    """Seconds the answer asks to wait: a Retry-After header (seconds or an HTTP date), else
    a google.rpc.RetryInfo in the error body ("retryDelay": "1.5s"). Sheets' quota 429 has
    been seen with neither; other Google APIs send them."""
    header = exc.resp.get("retry-after")
    if header:
        try:
            return float(header)
        except ValueError:
            try:
                when = parsedate_to_datetime(header)
                return (when - datetime.now(timezone.utc)).total_seconds()
            except (TypeError, ValueError):
                pass
    try:
        details = json.loads(exc.content.decode("utf-8"))["error"].get("details") or []
        for detail in details:
            if detail.get("@type") == "type.googleapis.com/google.rpc.RetryInfo":
                return float(str(detail["retryDelay"]).removesuffix("s"))
    except (ValueError, KeyError, AttributeError, TypeError):
        pass
    return None


def _google_message(exc: HttpError) -> str:
    try:
        error = json.loads(exc.content.decode("utf-8"))["error"]
        return f"{error.get('code')} {error.get('status', '')}: {error.get('message', '')}".strip()
    except (ValueError, KeyError, AttributeError, TypeError):
        return f"HTTP {exc.resp.status}"
