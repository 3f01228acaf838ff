"""The Sheets sandbox, driven by the real google-api-python-client over HTTP on loopback.

The client is built from the discovery document bundled in the library (static_discovery) with
the sandbox's URL as api_endpoint, and an httplib2 transport without proxy: no request leaves
127.0.0.1.
"""

import http.client
import json
import time

import google_auth_httplib2
import httplib2
import pytest
from google.auth.credentials import AnonymousCredentials
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from backend.sandbox.a1 import A1Error, format_range, parse_range, quote_sheet_name
from backend.sandbox.faults import ERROR, Fault, FaultPlan
from backend.sandbox.server import serve
from backend.sandbox.sheets_api import SheetsSandbox

NNBSP = "\u202f"   # the digit-group separator of fr_FR numbers
HYPERLINK = '=HYPERLINK("http://x")'


def client(url: str, credentials=None):
    http = google_auth_httplib2.AuthorizedHttp(credentials or AnonymousCredentials(),
                                               http=httplib2.Http(proxy_info=None, timeout=60))
    return build("sheets", "v4", http=http, static_discovery=True,
                 client_options={"api_endpoint": url})


# One server for the module (stopping one takes half a second); each test has its own
# spreadsheet.
@pytest.fixture(scope="module")
def sandbox():
    return SheetsSandbox()


@pytest.fixture(scope="module")
def running(sandbox):
    with serve(sandbox) as running:
        yield running


@pytest.fixture(scope="module")
def api(running):
    return client(running.url)


@pytest.fixture
def book(sandbox):
    return sandbox.create_spreadsheet("Journal des ventes", ["Écritures", "Anomalies"])


def values(api):
    return api.spreadsheets().values()


def append(api, spreadsheet_id, rng, rows, option="RAW", **kwargs):
    return values(api).append(spreadsheetId=spreadsheet_id, range=rng, valueInputOption=option,
                              body={"values": rows}, **kwargs).execute()


def get(api, spreadsheet_id, rng, **kwargs):
    return values(api).get(spreadsheetId=spreadsheet_id, range=rng, **kwargs).execute()


def batch_update(api, spreadsheet_id, *requests):
    return api.spreadsheets().batchUpdate(spreadsheetId=spreadsheet_id,
                                          body={"requests": list(requests)}).execute()


def error_of(call) -> tuple[int, dict]:
    with pytest.raises(HttpError) as caught:
        call()
    return caught.value.status_code, json.loads(caught.value.content)


def entry_row(n: int) -> list:
    return ["05/10/2026", "VT", f"F-{n}", f"in_{n}", "411SIMPL", "Coworking", 120.0, "",
            "A", "B", "C"]


# --------------------------------------------------------------------------- A1 notation

def test_a1_ranges_and_how_google_quotes_sheet_names():
    assert parse_range("'Écritures'!A2:K").end_row is None
    assert parse_range("Écritures!B2:A1").start_row == 0          # corners in any order
    assert parse_range("Écritures").sheet == "Écritures"          # a whole sheet by name
    assert parse_range("A1:B2").sheet is None                     # cells of the first sheet
    assert parse_range("'It''s'!A1").sheet == "It's"
    with pytest.raises(A1Error):
        parse_range("")
    assert quote_sheet_name("Sheet1") == "Sheet1"
    assert quote_sheet_name("Écritures") == "'Écritures'"         # non-ASCII: quoted
    assert quote_sheet_name("Feuille 1") == "'Feuille 1'"
    assert quote_sheet_name("A1") == "'A1'"                       # looks like a cell
    assert format_range("Лист2", 0, 1, 0, 1) == "'Лист2'!A1"      # one cell, not A1:A1
    assert format_range("Écritures", 0, 3, 0, 11) == "'Écritures'!A1:K3"


# --------------------------------------------------------------------------- spreadsheets

def test_get_spreadsheet(api, book):
    answer = api.spreadsheets().get(spreadsheetId=book).execute()
    assert answer["spreadsheetId"] == book
    assert answer["properties"]["title"] == "Journal des ventes"
    assert answer["properties"]["locale"] == "fr_FR"
    first, second = (sheet["properties"] for sheet in answer["sheets"])
    assert first == {"sheetId": 0, "title": "Écritures", "index": 0, "sheetType": "GRID",
                     "gridProperties": {"rowCount": 1000, "columnCount": 26}}
    assert second["title"] == "Anomalies" and second["index"] == 1 and second["sheetId"] != 0
    titles = api.spreadsheets().get(spreadsheetId=book, fields="sheets.properties.title").execute()
    assert titles == {"sheets": [{"properties": {"title": "Écritures"}},
                                 {"properties": {"title": "Anomalies"}}]}
    ids = api.spreadsheets().get(spreadsheetId=book,
                                 fields="spreadsheetId,sheets(properties(sheetId,index))").execute()
    assert ids["spreadsheetId"] == book
    assert ids["sheets"][0] == {"properties": {"sheetId": 0, "index": 0}}


def test_create_through_the_api(api, sandbox):
    created = api.spreadsheets().create(body={
        "properties": {"title": "Démo"},
        "sheets": [{"properties": {"title": "Écritures", "gridProperties": {"frozenRowCount": 1}}},
                   {"properties": {"title": "Historique"}}]}).execute()
    assert created["properties"]["title"] == "Démo"
    assert [s["properties"]["title"] for s in created["sheets"]] == ["Écritures", "Historique"]
    assert created["sheets"][0]["properties"]["gridProperties"]["frozenRowCount"] == 1
    assert sandbox.tabs(created["spreadsheetId"]) == ["Écritures", "Historique"]


def test_unknown_spreadsheet_is_404(api):
    status, body = error_of(lambda: get(api, "nope", "A1"))
    assert status == 404
    assert body == {"error": {"code": 404, "message": "Requested entity was not found.",
                              "status": "NOT_FOUND"}}


def test_grid_data_tells_a_formula_from_text(api, sandbox, book):
    append(api, book, "Écritures!A1", [[HYPERLINK]], option="RAW")
    append(api, book, "Écritures!A1", [[HYPERLINK]], option="USER_ENTERED")
    answer = api.spreadsheets().get(spreadsheetId=book, ranges=["Écritures!A1:A2"],
                                    includeGridData=True).execute()
    raw, entered = (row["values"][0] for row in answer["sheets"][0]["data"][0]["rowData"])
    assert raw["userEnteredValue"] == {"stringValue": HYPERLINK}
    assert entered["userEnteredValue"] == {"formulaValue": HYPERLINK}


# --------------------------------------------------------------------------- append and read

def test_append_on_an_empty_tab_starts_at_row_1(api, book):
    answer = append(api, book, "Écritures!A1:K", [entry_row(n) for n in range(3)])
    assert answer == {"spreadsheetId": book,
                      "updates": {"spreadsheetId": book, "updatedRange": "'Écritures'!A1:K3",
                                  "updatedRows": 3, "updatedColumns": 11, "updatedCells": 33}}
    again = append(api, book, "Écritures!A1:K", [entry_row(3)])
    assert again["tableRange"] == "'Écritures'!A1:K3"
    assert again["updates"]["updatedRange"] == "'Écritures'!A4:K4"


def test_plain_sheet_names_are_not_quoted(api, sandbox):
    spreadsheet_id = sandbox.create_spreadsheet("en", ["Sheet1", "Feuille 1"])
    assert append(api, spreadsheet_id, "Sheet1", [["a"]])["updates"]["updatedRange"] == "Sheet1!A1"
    assert append(api, spreadsheet_id, "'Feuille 1'!A1", [["a", "b"]])["updates"]["updatedRange"] \
        == "'Feuille 1'!A1:B1"


def test_raw_values_read_back_in_the_three_renders(api, book):
    append(api, book, "Écritures!A1", [["Pièce", "Montant", "Payé", "Date", "Tél"],
                                        ["F-1", 1234.5, True, "05/10/2026", "0612"],
                                        ["F-2", 7, False, "", "x"]])
    formatted = get(api, book, "Écritures!A1:E")
    assert formatted["range"] == "'Écritures'!A1:E1000"
    assert formatted["majorDimension"] == "ROWS"
    assert formatted["values"][1] == ["F-1", "1234,5", "TRUE", "05/10/2026", "0612"]
    unformatted = get(api, book, "Écritures!A1:E", valueRenderOption="UNFORMATTED_VALUE")
    assert unformatted["values"][1:] == [["F-1", 1234.5, True, "05/10/2026", "0612"],
                                         ["F-2", 7, False, "", "x"]]
    formula = get(api, book, "Écritures!A1:E", valueRenderOption="FORMULA")
    assert formula["values"] == unformatted["values"]
    columns = get(api, book, "Écritures!A1:B3", majorDimension="COLUMNS")
    assert columns["values"] == [["Pièce", "F-1", "F-2"], ["Montant", "1234,5", "7"]]


def test_trailing_empty_cells_and_rows_are_left_out(api, book):
    values(api).update(spreadsheetId=book, range="Écritures!A1", valueInputOption="RAW",
                       body={"values": [["a", "", "c", ""], ["", ""], ["b"], ["", ""]]}).execute()
    assert get(api, book, "Écritures")["values"] == [["a", "", "c"], [], ["b"]]
    assert "values" not in get(api, book, "Écritures!D1:Z9")


def test_raw_text_starting_with_equals_stays_text(api, sandbox, book):
    append(api, book, "Écritures!A1", [[HYPERLINK, "=1+2"]], option="RAW")
    for option in ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA"):
        assert get(api, book, "Écritures!A1:B1", valueRenderOption=option)["values"] == \
            [[HYPERLINK, "=1+2"]]
    cell = sandbox.cell(book, "Écritures", "A1")
    assert cell["formula"] is None and cell["value"] == HYPERLINK


def test_user_entered_parses_like_the_ui(api, sandbox, book):
    append(api, book, "Écritures!A1",
           [[HYPERLINK, "05/10/2026", "1 234,56", "0612345678", "'0612", "12.5", "vrai"]],
           option="USER_ENTERED")
    cell = sandbox.cell(book, "Écritures", "A1")
    assert cell["formula"] == HYPERLINK and cell["value"] == "#NAME?"   # stored, not evaluated
    assert get(api, book, "Écritures!A1:G1", valueRenderOption="FORMULA")["values"] == \
        [[HYPERLINK, 46300, 1234.56, 612345678, "0612", "12.5", True]]
    assert get(api, book, "Écritures!A1:G1")["values"] == \
        [["#NAME?", "05/10/2026", "1234,56", "612345678", "0612", "12.5", "TRUE"]]
    assert get(api, book, "Écritures!B1", valueRenderOption="UNFORMATTED_VALUE",
               dateTimeRenderOption="FORMATTED_STRING")["values"] == [["05/10/2026"]]
    assert sandbox.cell(book, "Écritures", "B1")["format"]["numberFormat"]["type"] == "DATE"


def test_append_finds_the_table_as_googles_guide_describes(api, sandbox):
    spreadsheet_id = sandbox.create_spreadsheet("guide", ["Sheet1"])
    layout = [["x", "y", "z"], ["x", "y", "z"], [], ["", "x", "y"], ["", "", "y", "z"],
              ["", "x", "y", "z"]]
    values(api).update(spreadsheetId=spreadsheet_id, range="Sheet1!A1", valueInputOption="RAW",
                       body={"values": layout}).execute()

    def start_of(rng):
        answer = values(api).append(spreadsheetId=spreadsheet_id, range=rng,
                                    valueInputOption="RAW", body={"values": [["new"]]}).execute()
        updated = answer["updates"]["updatedRange"]
        values(api).clear(spreadsheetId=spreadsheet_id, range=updated).execute()  # undo
        return answer.get("tableRange"), updated

    for rng in ("Sheet1", "Sheet1!B4", "Sheet1!C5:D5", "Sheet1!B2:D4", "Sheet1!A3:G10"):
        assert start_of(rng) == ("Sheet1!B4:D6", "Sheet1!B7"), rng
    assert start_of("Sheet1!A1") == ("Sheet1!A1:C2", "Sheet1!A3")
    assert start_of("Sheet1!E4") == (None, "Sheet1!E4")
    assert start_of("Sheet1!A4") == (None, "Sheet1!A4")


def test_append_insert_rows_and_grid_growth(api, sandbox, book):
    append(api, book, "Écritures!A1", [["h"], ["1"], ["2"]])
    values(api).update(spreadsheetId=book, range="Écritures!A5", valueInputOption="RAW",
                       body={"values": [["below"]]}).execute()
    answer = append(api, book, "Écritures!A1:A3", [["3"]], insertDataOption="INSERT_ROWS")
    assert answer["updates"]["updatedRange"] == "'Écritures'!A4"
    assert sandbox.values(book, "Écritures") == [["h"], ["1"], ["2"], ["3"], [], ["below"]]
    assert sandbox.sheet_properties(book, "Écritures")["gridProperties"]["rowCount"] == 1001
    # OVERWRITE past the last row adds just the rows it needs.
    append(api, book, "Anomalies!A1", [[n] for n in range(1500)])
    assert sandbox.sheet_properties(book, "Anomalies")["gridProperties"]["rowCount"] == 1500


def test_batch_get_two_ranges(api, book):
    append(api, book, "Écritures!A1", [["a", "b"], ["c", "d"]])
    append(api, book, "Anomalies!A1", [["why"]])
    answer = values(api).batchGet(spreadsheetId=book,
                                  ranges=["Écritures!A1:B2", "Anomalies"]).execute()
    assert answer == {"spreadsheetId": book, "valueRanges": [
        {"range": "'Écritures'!A1:B2", "majorDimension": "ROWS",
         "values": [["a", "b"], ["c", "d"]]},
        {"range": "Anomalies!A1:Z1000", "majorDimension": "ROWS", "values": [["why"]]}]}


def test_batch_get_with_a_url_too_long_for_get(api, book):
    # The client turns a GET of more than 2048 characters into a POST with
    # X-HTTP-Method-Override: GET; the sandbox answers it as the GET it is.
    ranges = [f"Écritures!A{n}:K{n}" for n in range(1, 151)]
    answer = values(api).batchGet(spreadsheetId=book, ranges=ranges).execute()
    assert len(answer["valueRanges"]) == 150


# --------------------------------------------------------------------------- update and clear

def test_update(api, sandbox, book):
    answer = values(api).update(spreadsheetId=book, range="Écritures!B2", valueInputOption="RAW",
                                body={"values": [[1, 2], [3, None, 5]]},
                                includeValuesInResponse=True).execute()
    assert answer == {"spreadsheetId": book, "updatedRange": "'Écritures'!B2:D3",
                      "updatedRows": 2, "updatedColumns": 3, "updatedCells": 4,
                      "updatedData": {"range": "'Écritures'!B2:D3", "majorDimension": "ROWS",
                                      "values": [["1", "2"], ["3", "", "5"]]}}
    values(api).update(spreadsheetId=book, range="Écritures!B2:C2", valueInputOption="RAW",
                       body={"values": [[None, "b"]]}).execute()   # null leaves B2 alone
    assert sandbox.values(book, "Écritures") == [[], ["", 1, "b"], ["", 3, "", 5]]
    status, body = error_of(lambda: values(api).update(
        spreadsheetId=book, range="Écritures!A1:B1", valueInputOption="RAW",
        body={"values": [[1, 2, 3]]}).execute())
    assert (status, body["error"]["message"]) == (
        400, "Requested writing within range ['Écritures'!A1:B1], but tried writing to column [C]")
    status, body = error_of(lambda: values(api).update(
        spreadsheetId=book, range="Écritures!A1", body={"values": [[1]]}).execute())
    assert (status, body["error"]["message"]) == \
        (400, "'valueInputOption' is required but not specified")
    status, body = error_of(lambda: values(api).update(
        spreadsheetId=book, range="Écritures!AA1", valueInputOption="RAW",
        body={"values": [[1]]}).execute())
    assert body["error"]["message"] == \
        "Range ('Écritures'!AA1) exceeds grid limits. Max rows: 1000, max columns: 26"


def test_values_batch_update_is_all_or_nothing(api, sandbox, book):
    body = {"valueInputOption": "RAW",
            "data": [{"range": "Écritures!A1", "values": [["ok"]]},
                     {"range": "Nope!A1", "values": [["no"]]}]}
    status, error = error_of(
        lambda: values(api).batchUpdate(spreadsheetId=book, body=body).execute())
    assert status == 400 and error["error"]["message"] == "Unable to parse range: Nope!A1"
    assert sandbox.values(book, "Écritures") == []
    # snake_case names are accepted, as Google's JSON parser accepts them
    body = {"value_input_option": "USER_ENTERED",
            "data": [{"range": "Écritures!A1", "values": [["1"]]},
                     {"range": "Anomalies!B2", "major_dimension": "COLUMNS",
                      "values": [["x", "y"]]}]}
    answer = values(api).batchUpdate(spreadsheetId=book, body=body).execute()
    assert answer["totalUpdatedCells"] == 3 and answer["totalUpdatedSheets"] == 2
    assert sandbox.values(book, "Écritures") == [[1]]
    assert sandbox.values(book, "Anomalies") == [[], ["", "x"], ["", "y"]]


def test_unknown_field_is_refused_like_google(api, book):
    status, body = error_of(lambda: values(api).update(
        spreadsheetId=book, range="Écritures!A1", valueInputOption="RAW",
        body={"valuez": [[1]]}).execute())
    assert status == 400
    assert body["error"]["message"] == \
        'Invalid JSON payload received. Unknown name "valuez": Cannot find field.'


def test_clear_keeps_formats(api, sandbox, book):
    append(api, book, "Écritures!A1", [["h1", "h2"], [1, 2], [3, 4]])
    batch_update(api, book, {"repeatCell": {
        "range": {"sheetId": 0, "startRowIndex": 1}, "fields": "userEnteredFormat.textFormat.bold",
        "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}}}})
    answer = values(api).clear(spreadsheetId=book, range="Écritures!A2:K").execute()
    assert answer == {"spreadsheetId": book, "clearedRange": "'Écritures'!A2:K1000"}
    assert sandbox.values(book, "Écritures") == [["h1", "h2"]]
    assert sandbox.cell(book, "Écritures", "A2")["format"] == {"textFormat": {"bold": True}}
    answer = values(api).batchClear(spreadsheetId=book,
                                    body={"ranges": ["Écritures!A1", "Anomalies"]}).execute()
    assert answer["clearedRanges"] == ["'Écritures'!A1", "Anomalies!A1:Z1000"]
    assert sandbox.values(book, "Écritures") == [["", "h2"]]


# --------------------------------------------------------------------------- batchUpdate

def test_add_sheet_freeze_and_number_formats(api, sandbox, book):
    reply = batch_update(api, book, {"addSheet": {"properties": {"title": "Paramètres"}}})
    properties = reply["replies"][0]["addSheet"]["properties"]
    assert properties["title"] == "Paramètres" and properties["index"] == 2
    assert properties["gridProperties"] == {"rowCount": 1000, "columnCount": 26}
    append(api, book, "Écritures!A1", [["Date", "Débit"], [46300, 1234.56], [46301, -0.5]])
    answer = batch_update(
        api, book,
        {"updateSheetProperties": {
            "properties": {"sheetId": 0, "gridProperties": {"frozenRowCount": 1}},
            "fields": "gridProperties.frozenRowCount"}},
        {"repeatCell": {"range": {"sheetId": 0, "startRowIndex": 1, "startColumnIndex": 1,
                                  "endColumnIndex": 2},
                        "cell": {"userEnteredFormat": {"numberFormat": {"type": "NUMBER",
                                                                        "pattern": "#,##0.00"}}},
                        "fields": "userEnteredFormat.numberFormat"}},
        {"repeatCell": {"range": {"sheetId": 0, "startRowIndex": 1, "endColumnIndex": 1},
                        "cell": {"userEnteredFormat": {"numberFormat": {"type": "DATE",
                                                                        "pattern": "dd/mm/yyyy"}}},
                        "fields": "userEnteredFormat.numberFormat"}},
        {"repeatCell": {"range": {"sheetId": 0, "endRowIndex": 1},
                        "cell": {"userEnteredFormat": {
                            "textFormat": {"bold": True},
                            "backgroundColorStyle": {"rgbColor": {"red": 0.9, "green": 0.9,
                                                                  "blue": 0.9}}}},
                        "fields": "userEnteredFormat(textFormat,backgroundColorStyle)"}},
        {"autoResizeDimensions": {"dimensions": {"sheetId": 0, "dimension": "COLUMNS"}}},
        {"setBasicFilter": {"filter": {"range": {"sheetId": 0}}}})
    assert answer["replies"] == [{}] * 6
    sheets = api.spreadsheets().get(spreadsheetId=book).execute()["sheets"]
    grid = sheets[0]["properties"]["gridProperties"]
    assert grid["frozenRowCount"] == 1
    # fr_FR: decimal comma, digit groups with a narrow no-break space
    assert get(api, book, "Écritures!A1:B3")["values"] == \
        [["Date", "Débit"], ["05/10/2026", f"1{NNBSP}234,56"], ["06/10/2026", "-0,50"]]
    assert get(api, book, "Écritures!A2:B2", valueRenderOption="UNFORMATTED_VALUE")["values"] == \
        [[46300, 1234.56]]
    header = sandbox.cell(book, "Écritures", "A1")["format"]
    assert header["textFormat"] == {"bold": True} and "backgroundColorStyle" in header


def test_delete_dimension_shifts_rows_up(api, sandbox, book):
    append(api, book, "Écritures!A1", [[f"r{n}"] for n in range(1, 7)])
    bold = {"userEnteredFormat": {"textFormat": {"bold": True}}}
    batch_update(api, book, {"repeatCell": {  # rows 5 and 6 bold
        "range": {"sheetId": 0, "startRowIndex": 4, "endRowIndex": 6}, "cell": bold,
        "fields": "userEnteredFormat.textFormat.bold"}})
    batch_update(api, book, {"deleteDimension": {"range": {
        "sheetId": 0, "dimension": "ROWS", "startIndex": 2, "endIndex": 4}}})
    assert sandbox.values(book, "Écritures") == [["r1"], ["r2"], ["r5"], ["r6"]]
    assert [sandbox.cell(book, "Écritures", f"A{n}")["format"] for n in (2, 3, 4, 5)] == \
        [{}, bold["userEnteredFormat"], bold["userEnteredFormat"], {}]   # formats moved up too
    assert sandbox.sheet_properties(book, "Écritures")["gridProperties"]["rowCount"] == 998
    batch_update(api, book,
                 {"insertDimension": {"range": {"sheetId": 0, "dimension": "ROWS",
                                                "startIndex": 1, "endIndex": 2}}},
                 {"appendDimension": {"sheetId": 0, "dimension": "COLUMNS", "length": 4}})
    assert sandbox.values(book, "Écritures") == [["r1"], [], ["r2"], ["r5"], ["r6"]]
    assert sandbox.sheet_properties(book, "Écritures")["gridProperties"] == \
        {"rowCount": 999, "columnCount": 30}


def test_batch_update_is_all_or_nothing(api, sandbox, book):
    status, body = error_of(lambda: batch_update(
        api, book,
        {"addSheet": {"properties": {"title": "Historique"}}},
        {"deleteDimension": {"range": {"sheetId": 4242, "dimension": "ROWS",
                                       "startIndex": 0, "endIndex": 1}}}))
    assert status == 400
    assert body["error"] == {"code": 400, "status": "INVALID_ARGUMENT",
                             "message": "Invalid requests[1].deleteDimension: "
                                        "No grid with id: 4242"}
    assert sandbox.tabs(book) == ["Écritures", "Anomalies"]
    status, body = error_of(lambda: batch_update(
        api, book, {"addSheet": {"properties": {"title": "anomalies"}}}))
    assert body["error"]["message"] == ('Invalid requests[0].addSheet: A sheet with the name '
                                        '"anomalies" already exists. Please enter another name.')


def test_ten_million_cell_limit(api, sandbox, book):
    # Two tabs of 1000 x 26; grow Écritures to just under the limit.
    rows = 10_000_000 // 26 - 1000
    batch_update(api, book, {"updateSheetProperties": {
        "properties": {"sheetId": 0, "gridProperties": {"rowCount": rows}},
        "fields": "gridProperties.rowCount"}})
    message = ("This action would increase the number of cells in the workbook above the limit "
               "of 10000000 cells.")
    status, body = error_of(lambda: batch_update(
        api, book, {"appendDimension": {"sheetId": 0, "dimension": "ROWS", "length": 1}}))
    assert (status, body["error"]["message"]) == (
        400, f"Invalid requests[0].appendDimension: {message}")
    status, body = error_of(lambda: append(api, book, "Écritures!A1", [["x"]],
                                           insertDataOption="INSERT_ROWS"))
    assert (status, body["error"]["message"]) == (400, message)
    assert sandbox.values(book, "Écritures") == []
    assert append(api, book, "Écritures!A1", [["x"]])["updates"]["updatedRange"] == \
        "'Écritures'!A1"


# --------------------------------------------------------------------------- errors, faults, auth

def test_unknown_tab_is_a_400_with_googles_body(api, book):
    status, body = error_of(lambda: get(api, book, "Journal!A1:K"))
    assert status == 400
    assert body == {"error": {"code": 400, "message": "Unable to parse range: Journal!A1:K",
                              "status": "INVALID_ARGUMENT"}}


def test_injected_429_and_503():
    plan = FaultPlan(faults=[Fault("sheets", 1, ERROR, status=429),
                             Fault("sheets", 2, ERROR, status=503)])
    sandbox = SheetsSandbox(plan)
    book = sandbox.create_spreadsheet("j", ["Écritures"])
    with serve(sandbox) as running:
        api = client(running.url)
        status, body = error_of(lambda: append(api, book, "Écritures!A1", [["x"]]))
        assert status == 429 and body["error"]["status"] == "RESOURCE_EXHAUSTED"
        assert body["error"]["message"].startswith(
            "Quota exceeded for quota metric 'Write requests'")
        status, body = error_of(lambda: append(api, book, "Écritures!A1", [["x"]]))
        assert status == 503 and body["error"]["status"] == "UNAVAILABLE"
        answer = append(api, book, "Écritures!A1", [["x"]])
        assert answer["updates"]["updatedRange"] == "'Écritures'!A1"
    assert sandbox.values(book, "Écritures") == [["x"]]   # the refused calls wrote nothing


def test_write_quota_per_minute():
    now = [1000.0]
    sandbox = SheetsSandbox(write_quota_per_minute=2, clock=lambda: now[0])
    book = sandbox.create_spreadsheet("j", ["Écritures"])
    with serve(sandbox) as running:
        api = client(running.url)
        append(api, book, "Écritures!A1", [["1"]])
        append(api, book, "Écritures!A1", [["2"]])
        get(api, book, "Écritures")                          # reads do not count
        status, body = error_of(lambda: append(api, book, "Écritures!A1", [["3"]]))
        assert status == 429 and "Write requests per minute per user" in body["error"]["message"]
        now[0] += 60
        append(api, book, "Écritures!A1", [["3"]])
    assert sandbox.values(book, "Écritures") == [["1"], ["2"], ["3"]]


def test_the_quota_429_is_googles_with_no_retry_after():
    """As captured from Sheets: ErrorInfo naming the quota and its value, a Help link, and
    nothing saying when to retry. A test may add a Retry-After, for a client that honours it."""
    sandbox = SheetsSandbox(write_quota_per_minute=1, clock=lambda: 1000.0)
    book = sandbox.create_spreadsheet("j", ["Écritures"])
    with serve(sandbox) as running:
        api = client(running.url)
        append(api, book, "Écritures!A1", [["1"]])
        with pytest.raises(HttpError) as caught:
            append(api, book, "Écritures!A1", [["2"]])
        sandbox.retry_after = 30
        with pytest.raises(HttpError) as asked:
            append(api, book, "Écritures!A1", [["2"]])
    error = json.loads(caught.value.content)["error"]
    assert (error["code"], error["status"]) == (429, "RESOURCE_EXHAUSTED")
    info, help_link = error["details"]
    assert info["@type"] == "type.googleapis.com/google.rpc.ErrorInfo"
    assert info["reason"] == "RATE_LIMIT_EXCEEDED"
    assert info["metadata"]["quota_limit"] == "WriteRequestsPerMinutePerUser"
    assert info["metadata"]["quota_limit_value"] == "1"
    assert help_link["@type"] == "type.googleapis.com/google.rpc.Help"
    assert "retry-after" not in caught.value.resp
    assert asked.value.resp["retry-after"] == "30"


def test_a_request_past_the_deadline_is_answered_503_and_may_have_been_applied():
    """Google stops processing a request after 180 s and answers 503; the sandbox takes the
    processing time a test sets, on its own clock (no real waiting here)."""
    now, slept = [1000.0], []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    sandbox = SheetsSandbox(clock=lambda: now[0], sleep=sleep)
    sandbox.processing_delay = lambda request: 200.0 if request.method == "POST" else 30.0
    book = sandbox.create_spreadsheet("j", ["Écritures"])
    with serve(sandbox) as running:
        api = client(running.url)
        status, body = error_of(lambda: append(api, book, "Écritures!A1", [["1"]]))
        assert (status, body["error"]["status"]) == (503, "UNAVAILABLE")
        assert body["error"]["message"] == "The service is currently unavailable."
        assert sandbox.values(book, "Écritures") == [["1"]]     # applied all the same
        sandbox.deadline_applies = False
        error_of(lambda: append(api, book, "Écritures!A1", [["2"]]))
        assert sandbox.values(book, "Écritures") == [["1"]]     # or not
        assert get(api, book, "Écritures")["values"] == [["1"]]  # 30 s: within the deadline
    assert slept == [180.0, 180.0, 30.0] and now[0] == 1390.0


def test_the_sandbox_records_each_request_and_its_body_size(api, sandbox, book):
    sandbox.received.clear()
    rows = [["é" * 10, 1.5]] * 100
    append(api, book, "Écritures!A1", rows)
    get(api, book, "Écritures")
    posted, read = sandbox.received
    assert (posted.method, posted.status, read.method, read.status) == ("POST", 200, "GET", 200)
    assert posted.body_bytes == len(json.dumps({"values": rows}))   # what the client sent
    assert read.body_bytes == 0 and posted.path.endswith(":append")


def test_bearer_token_required_when_set():
    sandbox = SheetsSandbox(token="sandbox-token")
    book = sandbox.create_spreadsheet("j", ["Écritures"])
    with serve(sandbox) as running:
        api = client(running.url, Credentials(token="sandbox-token"))
        assert get(api, book, "Écritures") == {"range": "'Écritures'!A1:Z1000",
                                               "majorDimension": "ROWS"}
        host, port = running.url.removeprefix("http://").split(":")
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            conn = http.client.HTTPConnection(host, int(port), timeout=5)
            conn.request("GET", f"/v4/spreadsheets/{book}", headers=headers)
            answer = conn.getresponse()
            body = json.loads(answer.read())
            conn.close()
            assert answer.status == 401 and body["error"]["status"] == "UNAUTHENTICATED"


# --------------------------------------------------------------------------- volume

def test_200000_rows_in_one_append_and_one_read(api, sandbox, book):
    rows = [entry_row(n) for n in range(200_000)]
    started = time.monotonic()
    answer = append(api, book, "Écritures!A1:K", rows)
    read = get(api, book, "Écritures!A1:K", valueRenderOption="UNFORMATTED_VALUE")
    elapsed = time.monotonic() - started
    assert answer["updates"]["updatedRange"] == "'Écritures'!A1:K200000"
    assert len(read["values"]) == 200_000 and read["values"][-1][2] == "F-199999"
    assert read["values"][0][6] == 120        # a whole double is written without its fraction
    print(f"\n200,000 rows appended and read back in {elapsed:.1f} s")   # a figure, not a test
    assert sandbox.sheet_properties(book, "Écritures")["gridProperties"]["rowCount"] == 200_000
