"""POST /actions/<name>: start an action for the caller's company, as a background job.

Body (JSON): `spreadsheet_id` (and optionally `company`), `params` (the export's `month`),
`trigger: "daily"` when the Apps Script daily trigger calls. Answers 202 with the new job, or
200 with the company's job already queued or running (`started: false`): the sidebar then
follows that one; there is never a second run.
"""

from flask import Blueprint, g, jsonify

from backend.jobs.actions import ParamError
from backend.jobs.failures import record_failure
from backend.jobs.model import Job
from backend.jobs.runner import UnknownAction
from backend.web.caller import backend, error, request_fields, user_required
from backend.web.views import job_view

bp = Blueprint("actions", __name__, url_prefix="/actions")


def trigger_label(email: str, daily: bool) -> str:
    return f"déclencheur quotidien ({email})" if daily else f"{email} (panneau)"


@bp.post("/<name>")
@user_required
def start(name: str):
    b = backend()
    caller = g.caller
    fields = request_fields()
    runner = b.runner()
    try:
        action = runner.action(name)
    except UnknownAction:
        return error(404, "unknown_action", f"Action inconnue : {name[:40]}")
    daily = fields.get("trigger") == "daily"
    if daily and not action.scheduled:
        return error(400, "not_scheduled", f"{action.label} ne se lance pas automatiquement.")
    params = fields.get("params") or {}
    if not isinstance(params, dict):
        return error(400, "bad_params", "Paramètres invalides.")
    trigger = trigger_label(caller.email, daily)
    try:
        job, created = runner.start(caller.company, name, params, trigger)
    except ParamError as exc:
        # Refused before a job exists: its Historique line is written here, with the
        # connections a job of this action would have had (the runner writes the others).
        unsaved = Job.new(caller.company.id, name, {}, trigger, runner.clock())
        record_failure(runner.connect(caller.company, unsaved), action.label, str(exc),
                       runner.clock())
        return error(400, "bad_params", str(exc))
    body = {"job": job_view(job, b.actions, caller.company), "started": created}
    if not created:
        running = b.actions.get(job.action)
        body["message"] = (f"Une action est déjà en cours : {running.label if running else job.action}"
                           " ; voici où elle en est.")
    return jsonify(body), 202 if created else 200
