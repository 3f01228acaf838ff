"""The preview's routes for the daily trigger's failures (issue 14, point 4): a backend that
refuses the daily trigger's call on demand, and the stand-in's Sheet.appendRow into the Sheets
sandbox (tests/sidebar/daily.test.js drives them from Chromium)."""

from __future__ import annotations

from datetime import datetime

from backend.web.preview.__main__ import EMAIL

SHEET = "preview-daily-sheet"


def preview(make_web, sandbox):
    sandbox.sheets.create_spreadsheet("Journal", ["Feuille 1"], spreadsheet_id=SHEET)
    web = make_web(PREVIEW=True, PREVIEW_ISSUER=None, PREVIEW_EMAIL=EMAIL, PREVIEW_AUDIENCE="x",
                   PREVIEW_SPREADSHEET=SHEET, PREVIEW_COMPANY="demo", PREVIEW_SHEET=dict,
                   PREVIEW_SHEET_ADAPTER=lambda: sandbox.sheet_adapter(SHEET))
    return web.client


def test_the_daily_call_refused_on_demand_and_only_it(make_web, sandbox):
    client = preview(make_web, sandbox)
    assert client.post("/preview/daily-answer", json={"status": 503}).get_json() == {"status": 503}
    refused = client.post("/actions/generate", json={"trigger": "daily", "spreadsheet_id": SHEET})
    assert refused.status_code == 503 and refused.mimetype == "text/html"
    # Any other call goes to the backend as usual (here: refused for want of a token).
    assert client.post("/actions/generate", json={"params": {}}).status_code == 401
    assert client.post("/preview/daily-answer", json={"status": None}).status_code == 200
    assert client.post("/actions/generate", json={"trigger": "daily"}).status_code == 401
    assert client.post("/preview/daily-answer", json={"status": 200}).status_code == 400
    assert client.post("/preview/daily-answer", json={"status": "503"}).status_code == 400


def test_the_backend_down_on_demand_but_not_the_preview(make_web, sandbox):
    client = preview(make_web, sandbox)
    assert client.post("/preview/backend-down", json={"down": True}).get_json() == {"down": True}
    assert client.get("/status", query_string={"spreadsheet_id": SHEET}).status_code == 503
    assert client.post("/actions/generate", json={"params": {}}).status_code == 503
    assert client.get("/preview/spreadsheet").status_code == 200
    client.post("/preview/backend-down", json={"down": False})
    assert client.get("/status", query_string={"spreadsheet_id": SHEET}).status_code == 401


def test_append_row_writes_the_sandbox_sheet_dates_in_the_company_zone_text_as_text(make_web, sandbox):
    client = preview(make_web, sandbox)
    assert client.get("/preview/spreadsheet").get_json() == {"time_zone": "Europe/Paris"}
    assert client.post("/preview/sheet/append", json={"tab": "Historique"}).get_json() == {"created": "Historique"}
    for row in (["Date", "Déclencheur", "Action", "Résultat"],
                [{"at": "2026-12-03T17:43:00.000Z"}, "'déclencheur quotidien (x)", "'Génération",
                 "'=HYPERLINK(\"https://evil.example\")"]):
        assert client.post("/preview/sheet/append", json={"tab": "Historique", "row": row}).status_code == 200
    sheet = sandbox.sheet_adapter(SHEET)
    rows = sheet.read(["Historique"])["Historique"]
    assert rows[0] == ["Date", "Déclencheur", "Action", "Résultat"]
    assert rows[1][1:] == ["déclencheur quotidien (x)", "Génération", "=HYPERLINK(\"https://evil.example\")"]
    value = rows[1][0]
    assert isinstance(value, (int, float)), "a date and time of the sheet, not a text"
    assert client.post("/preview/sheet/append", json={"tab": 3}).status_code == 400
    # 18:43 in Paris (UTC+1 in December): the serial's fraction of a day.
    assert round((value % 1) * 24 * 60) == 18 * 60 + 43
    assert datetime(1899, 12, 30).toordinal() + int(value) == datetime(2026, 12, 3).toordinal()
