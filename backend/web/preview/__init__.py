"""The local preview: the sidebar as the accountant sees it, next to a view of the demo
company's spreadsheet, with the real Code.gs running in the browser behind a stand-in of
`google.script.run` (static/standin.js) and of the Apps Script services it uses
(static/standin-worker.js: UrlFetchApp calls this backend, ScriptApp mints an ID token
signed by the preview's local issuer, triggers and properties live in the browser).

Registered only when the app's config has PREVIEW (`python -m backend.web.preview`), which
create_app refuses in production. Its routes need no caller: it serves loopback only, and its
tokens are signed by a key that exists only in this process.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    request,
    send_from_directory,
)

from backend.journal_sheet import SHEETS_EPOCH
from backend.web.preview.template import render, server_code

STATIC = Path(__file__).parent / "static"
APPSSCRIPT = Path(__file__).resolve().parents[3] / "appsscript"

bp = Blueprint("preview", __name__, url_prefix="/preview")


def _folder() -> Path:
    return Path(current_app.config.get("APPSSCRIPT_DIR") or APPSSCRIPT)


def _page(text: str) -> Response:
    response = Response(text, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
def page():
    return _page((STATIC / "preview.html").read_text(encoding="utf-8"))


@bp.get("/sidebar")
def sidebar():
    html = render(_folder(), "Sidebar")
    standin = '<script src="/preview/static/standin.js"></script>'
    return _page(html.replace("<head>", "<head>\n    " + standin, 1))


@bp.get("/appsscript.js")
def appsscript():
    response = Response(server_code(_folder()), mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/static/<path:name>")
def static(name: str):
    return send_from_directory(STATIC, name, max_age=0)


@bp.get("/config")
def config():
    c = current_app.config
    return jsonify(spreadsheet_id=c["PREVIEW_SPREADSHEET"], company=c.get("PREVIEW_COMPANY", ""),
                   email=c["PREVIEW_EMAIL"], title=c.get("PREVIEW_TITLE", ""))


@bp.post("/token")
def token():
    """An ID token for the preview's user, as ScriptApp.getIdentityToken() gives one."""
    c = current_app.config
    return jsonify(token=c["PREVIEW_ISSUER"].token(c["PREVIEW_EMAIL"], c["PREVIEW_AUDIENCE"]))


@bp.post("/hold/<service>")
def hold(service: str):
    """The sandbox's `service` answers nobody until /release (the browser tests: a second
    person opens the sidebar while a run is surely still going, whatever the machine's speed)."""
    if service not in ("stripe", "sheets", "hubspot"):
        return jsonify(error="unknown service"), 404
    current_app.config["PREVIEW_PLAN"].hold(service)
    return jsonify(held=service)


@bp.post("/release")
def release():
    current_app.config["PREVIEW_PLAN"].release()
    return jsonify(released=True)


@bp.get("/sheet")
def sheet():
    """The demo spreadsheet's tabs, the first rows of each, for the page's sheet view."""
    tabs = current_app.config["PREVIEW_SHEET"]()
    return jsonify(tabs=[{"title": title, "rows": _rows(rows[:301]), "count": max(len(rows) - 1, 0)}
                         for title, rows in tabs.items()])


def _rows(rows: list[list]) -> list[list[str]]:
    header = [str(c) for c in rows[0]] if rows else []
    dates = {i for i, name in enumerate(header) if name in ("Date", "Depuis")}
    amounts = {i for i, name in enumerate(header) if name in ("Débit", "Crédit")}
    out = [header]
    for row in rows[1:]:
        cells = []
        for i, value in enumerate(row):
            if i in dates and isinstance(value, (int, float)) and not isinstance(value, bool):
                whole = datetime.combine(SHEETS_EPOCH, datetime.min.time()) + timedelta(days=value)
                value = whole.date() if float(value).is_integer() else whole
            elif i in amounts and isinstance(value, (int, float)) and not isinstance(value, bool):
                value = Decimal(str(value))
            cells.append(_cell(value))
        out.append(cells)
    return out


def _cell(value) -> str:
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, (Decimal, float)):
        return f"{value:.2f}".replace(".", ",")
    return "" if value is None else str(value)


# --- the daily trigger's failures (issue 14, point 4) ------------------------------------------

@bp.post("/daily-answer")
def daily_answer():
    """From now on the backend answers the daily trigger's call (POST /actions/generate with
    `trigger: daily`) with `status` and an HTML page, as Google's front end does when the app is
    down or failing (503, 500...); `status: null` ends it. The browser tests: a failed daily
    run, its Historique line and the sidebar's banner."""
    status = (request.get_json(silent=True) or {}).get("status")
    if status is not None and (not isinstance(status, int) or not 400 <= status <= 599):
        return jsonify(error="status: an HTTP error code, or null"), 400
    current_app.config["PREVIEW_DAILY_STATUS"] = status
    return jsonify(status=status)


@bp.post("/backend-down")
def backend_down():
    """`down: true`: every call to the backend (all but the preview's own routes) answers 503
    and an HTML page, as Google's front end does when the app is down; `down: false` ends it.
    A job already started keeps running in its worker thread (the sandboxes are servers of
    their own). The browser tests: the server lost before a start or in the middle of a job,
    and a sidebar opened meanwhile that must still show a recorded failure."""
    current_app.config["PREVIEW_DOWN"] = bool((request.get_json(silent=True) or {}).get("down"))
    return jsonify(down=current_app.config["PREVIEW_DOWN"])


@bp.before_app_request
def _failing_backend():
    c = current_app.config
    if request.path.startswith("/preview/"):
        return None
    status = 503 if c.get("PREVIEW_DOWN") else None
    if not status and c.get("PREVIEW_DAILY_STATUS") and request.method == "POST" \
            and request.path == "/actions/generate" \
            and (request.get_json(silent=True) or {}).get("trigger") == "daily":
        status = c["PREVIEW_DAILY_STATUS"]
    if status:
        return Response("<html><body>Service Unavailable</body></html>", status=status,
                        mimetype="text/html")
    return None


@bp.get("/spreadsheet")
def spreadsheet_properties():
    """The spreadsheet's time zone (Spreadsheet.getSpreadsheetTimeZone()): the preview's sheet
    is set up in the company's zone, as the deploy guide asks of a real one."""
    c = current_app.config
    company = c["COMPANIES"].get(c.get("PREVIEW_COMPANY", ""))
    return jsonify(time_zone=company.settings.timezone if company else "Europe/Paris")


@bp.post("/sheet/append")
def sheet_append():
    """Spreadsheet.insertSheet and Sheet.appendRow for the stand-in, in the Sheets sandbox
    through the backend's own adapter: `tab` made (empty) when missing, then `row`, if given, at
    its end. A cell is a text (a leading apostrophe, which makes Sheets keep the rest as text, is
    dropped: the adapter writes RAW anyway) or {"at": ISO time}: a date and time, shown in the
    spreadsheet's zone."""
    from backend.ports import TabSpec
    from backend.spreadsheet import local_time

    c = current_app.config
    body = request.get_json(silent=True) or {}
    tab, row = body.get("tab"), body.get("row")
    if not isinstance(tab, str) or not tab or not isinstance(row, (list, type(None))):
        return jsonify(error="tab (and row) expected"), 400
    zone = spreadsheet_properties().get_json()["time_zone"]
    sheet = c["PREVIEW_SHEET_ADAPTER"]()
    if tab not in sheet.tab_titles():
        sheet.ensure_tabs([TabSpec(tab, [])])
    if row is None:
        return jsonify(created=tab)
    cells = []
    for cell in row:
        if isinstance(cell, dict) and isinstance(cell.get("at"), str):
            cells.append(local_time(datetime.fromisoformat(cell["at"]), zone))
        else:
            text = "" if cell is None else str(cell)
            cells.append(text.removeprefix("'"))
    sheet.append(tab, [cells])
    return jsonify(appended=True)
