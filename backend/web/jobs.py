"""Job status for the sidebar: a job's progress and result, the files it made, and the
company's status (running job, last run, anomalies, the month to export)."""

import io

from flask import Blueprint, g, jsonify, send_file
from werkzeug.http import parse_options_header

from backend.core.settings import EXPORT_ENCODINGS, FEC_ENCODINGS
from backend.jobs.actions import previous_month
from backend.jobs.model import is_job_id
from backend.web.caller import backend, error, user_required
from backend.web.views import (
    daily_failure_view,
    generation_view,
    job_view,
    last_daily_view,
)

bp = Blueprint("jobs", __name__)

# The charsets the files are written in (the settings' fixed lists, and the name the Inexweb
# file's Content-Type gives Windows-1252).
CHARSETS = frozenset(EXPORT_ENCODINGS) | frozenset(FEC_ENCODINGS) | {"windows-1252"}


def _company_job(job_id: str):
    if not is_job_id(job_id):
        return None
    job = backend().job_store().get(job_id)
    return job if job is not None and job.company == g.caller.company.id else None


@bp.get("/jobs/<job_id>")
@user_required
def show(job_id: str):
    job = _company_job(job_id)
    if job is None:
        return error(404, "unknown_job", "Action introuvable.")
    return jsonify(job=job_view(job, backend().actions, g.caller.company))


@bp.get("/jobs/<job_id>/files/<name>")
@user_required
def download(job_id: str, name: str):
    job = _company_job(job_id)
    found = backend().job_store().file(job_id, name) if job else None
    if found is None:
        return error(404, "unknown_file", "Fichier introuvable.")
    # Werkzeug names the file: an ASCII name as is, any other as RFC 5987's filename*=UTF-8''
    # with an ASCII fallback, so a name beyond Latin-1 never makes a header WSGI cannot send.
    media_type = _media_type(found.media_type)
    response = send_file(io.BytesIO(found.content), mimetype=media_type.split(";")[0],
                         as_attachment=True, download_name=_one_line(found.name) or "fichier",
                         max_age=0)
    response.content_type = media_type      # as stored: send_file would add charset=utf-8
    return response


def _media_type(stored: str) -> str:
    """The stored media type, its charset only when it is one the settings allow: a value
    typed in the Paramètres tab before they were checked must not reach a header."""
    kind, options = parse_options_header(stored)
    charset = options.get("charset", "")
    if not kind.isascii() or not kind.isprintable():
        return "application/octet-stream"
    if charset.lower() in CHARSETS:
        return f"{kind}; charset={charset}"
    return kind if not kind.startswith("text/") else "application/octet-stream"


def _one_line(name: str) -> str:
    """A header holds one line: what cannot be printed in a file name becomes a space."""
    return "".join(c if c.isprintable() else " " for c in name).strip()


@bp.get("/status")
@user_required
def status():
    b = backend()
    company = g.caller.company
    store = b.job_store()
    active = store.active(company.id)
    latest = store.latest(company.id, 10)
    finished = next((j for j in latest if not j.active), None)
    generations = [r for r in b.ledger().runs(company.id, limit=50) if r.get("action") == "generate"]
    generation = generations[0] if generations else None
    last_ok = next((r for r in generations if r.get("outcome") == "ok"), None)
    return jsonify(
        company={"id": company.id, "name": company.name},
        email=g.caller.email,
        actions=[{"name": a.name, "label": a.label, "available": a.available}
                 for a in b.actions.values()],
        active_job=job_view(active, b.actions, company) if active else None,
        last_job=job_view(finished, b.actions, company) if finished else None,
        last_generation=generation_view(generation, company) if generation else None,
        daily_failure=daily_failure_view(latest, company),
        last_daily=last_daily_view(generations),
        anomalies=((last_ok.get("summary") or {}).get("anomalies") if last_ok else None),
        export_month=previous_month(b.clock(), company.settings.timezone),
        fiscal_year=current_fiscal_year(previous_month(b.clock(), company.settings.timezone),
                                        company.settings.fiscal_year_start),
    )


def current_fiscal_year(month: str, start_month: str) -> dict:
    """The fiscal year that holds `month` (the one offered to export), for the sidebar's FEC
    button: {year (the year it starts in, the export_fec_year action's parameter),
    start_month}."""
    year, number = (int(part) for part in month.split("-"))
    start = int(start_month or 1)
    return {"year": year if number >= start else year - 1, "start_month": start}
