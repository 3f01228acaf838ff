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

from flask import Blueprint, Response, current_app, jsonify, send_from_directory

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
