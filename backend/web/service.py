"""Routes for Google's services, not for people: each needs an OIDC token of one of the
configured service accounts, for SERVICE_AUDIENCE.

- POST /tasks/run `{"job_id": ...}`: Cloud Tasks hands a job over; it runs within this
  request (which App Engine lets live up to 10 minutes). Answers 200 once the job is over,
  whatever its outcome (the outcome is stored), so that Cloud Tasks retries only when this
  instance died: then the job, not heard of, is taken up again. A job stopped by SIGTERM
  (back in the queue) or running on another instance answers 503: Cloud Tasks retries it.
- POST /scheduler/generate `{"company": ...}` (or no company: all of them): the daily
  generation started by Cloud Scheduler, for integrators who prefer it to the Apps Script
  trigger. Same rule: a company with a job running gets no second one.
"""

import logging

from flask import Blueprint, jsonify

from backend.jobs.model import is_job_id
from backend.jobs.runner import RetryLater
from backend.web.caller import backend, error, request_fields, service_required

log = logging.getLogger(__name__)
bp = Blueprint("service", __name__)
SCHEDULER_TRIGGER = "planificateur (Cloud Scheduler)"


@bp.post("/tasks/run")
@service_required
def run_task():
    job_id = str(request_fields().get("job_id") or "")
    if not job_id:
        return error(400, "bad_request", "job_id manquant.")
    if not is_job_id(job_id):
        # No job has that id, as for an id never made: answered done, so that the queue does
        # not retry it (and the id, anyone's text, reaches neither the store nor a log).
        log.warning("task for an id that is no job's: nothing to do")
        return jsonify(ok=True)
    try:
        backend().runner().execute(job_id)
    except RetryLater as exc:
        log.info("%s", exc)
        return error(503, "retry_later", "Action interrompue ; elle reprendra d'elle-même.")
    return jsonify(ok=True)


@bp.post("/scheduler/generate")
@service_required
def scheduled_generation():
    b = backend()
    wanted = request_fields().get("company")
    companies = [b.companies.get(str(wanted))] if wanted else list(b.companies)
    if not companies or companies[0] is None:
        return error(404, "unknown_company", "Société inconnue.")
    started = []
    for company in companies:
        job, created = b.runner().start(company, "generate", {}, SCHEDULER_TRIGGER)
        started.append({"company": company.id, "job": job.id, "started": created})
    return jsonify(jobs=started)
