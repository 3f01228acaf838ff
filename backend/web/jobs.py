"""Job status for the sidebar: a job's progress and result, the files it made, and the
company's status (running job, last run, anomalies, the month to export)."""

from flask import Blueprint, Response, g, jsonify

from backend.jobs.actions import previous_month
from backend.web.caller import backend, error, user_required
from backend.web.views import generation_view, job_view

bp = Blueprint("jobs", __name__)


def _company_job(job_id: str):
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
    response = Response(found.content, mimetype=found.media_type.split(";")[0])
    response.headers["Content-Type"] = found.media_type
    response.headers["Content-Disposition"] = f'attachment; filename="{found.name}"'
    return response


@bp.get("/status")
@user_required
def status():
    b = backend()
    company = g.caller.company
    store = b.job_store()
    active = store.active(company.id)
    finished = next((j for j in store.latest(company.id, 10) if not j.active), None)
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
        anomalies=((last_ok.get("summary") or {}).get("anomalies") if last_ok else None),
        export_month=previous_month(b.clock(), company.settings.timezone),
    )
