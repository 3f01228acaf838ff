"""What the sidebar receives: jobs and the company's status as plain JSON, dates written
the French way in the company's time zone. Nothing here carries a secret: jobs hold the
reports' French lines and summaries, files are listed by name and size."""

from __future__ import annotations

from datetime import datetime, timezone

from backend.auth.companies import Company
from backend.jobs.actions import SCHEDULED_TRIGGERS, Action
from backend.jobs.model import FAILED, Job
from backend.services.generate import READ_STAGE, WRITE_STAGE
from backend.spreadsheet import local_time


def french_time(at: datetime | None, timezone: str) -> str:
    """`at` (UTC, as stored) in the company's zone, as the sheet's Historique shows it."""
    if at is None:
        return ""
    return local_time(at, timezone).strftime("%d/%m/%Y à %H:%M")


def progress_text(stage: str, done: int, total: int | None) -> str:
    """The line under the bar: the generation's documents read page by page ("Lecture de
    Stripe : 300 documents lus") and batches of rows written ("Écriture dans la feuille :
    lot 2 sur 5", the batch being written, counted from 1); any other stage, done / total."""
    if not stage:
        return ""
    if stage == READ_STAGE and done:
        return f"{stage} : {done} document{'s' if done > 1 else ''} lu{'s' if done > 1 else ''}"
    if stage == WRITE_STAGE and total:
        return f"{stage} : lot {min(done + 1, total)} sur {total}"
    if done:
        return f"{stage} : {done}" + (f" / {total}" if total else "")
    return stage


def job_view(job: Job, actions: dict[str, Action], company: Company) -> dict:
    tz = company.settings.timezone
    action = actions.get(job.action)
    return {
        "id": job.id,
        "action": job.action,
        "label": action.label if action else job.action,
        "state": job.state,
        "active": job.active,
        "stage": job.stage,
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "outcome": job.outcome,
        "detail": progress_text(job.stage, job.done, job.total),
        "message": job.message,
        # What needs her, shown first (the sync's records left alone, the entries' anomalies);
        # the message and the rest fold below it.
        "attention": (job.result.get("summary") or {}).get("attention", []),
        "anomalies": job.result.get("anomalies"),
        "files": job.result.get("files", []),
        "summary": job.result.get("summary", {}),
        "params": job.params,
        "trigger": job.trigger,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "when": french_time(job.finished_at or job.created_at, tz),
    }


def generation_view(run: dict, company: Company) -> dict:
    summary = run.get("summary") or {}
    return {"when": french_time(run.get("started_at"), company.settings.timezone),
            "trigger": run.get("trigger", ""), "outcome": run.get("outcome"),
            "entries_written": summary.get("entries_written"),
            "anomalies": summary.get("anomalies")}


def daily_failure_view(jobs: list, company: Company) -> dict | None:
    """The daily run's failure inside the backend (the trigger's call went through, the job
    did not: Stripe refusing the key, the sheet's layout...), for the sidebar's red banner:
    when the company's latest finished generation is a scheduled one that failed or was
    refused. A later generation that went through (any trigger) ends it. `jobs`: newest
    first. The trigger's own failures (the backend unreachable or refusing the call) are
    recorded by the Apps Script side, in the document."""
    generation = next((j for j in jobs if j.action == "generate" and not j.active), None)
    if generation is None or not generation.trigger.startswith(SCHEDULED_TRIGGERS):
        return None
    if generation.state != FAILED and generation.outcome != "refused":
        return None
    return {"when": french_time(generation.finished_at or generation.updated_at,
                                company.settings.timezone),
            "message": generation.message}


def last_daily_view(generations: list[dict]) -> dict | None:
    """When the daily trigger last reached the backend (the latest scheduled generation, gone
    through or not, `generations` newest first), and as whose trigger ("déclencheur quotidien
    (e-mail)"): the sidebar's script keeps its record of the spreadsheet's one daily trigger
    fresh with it, for an add-on's trigger may run without the document's context, where it
    cannot note its own runs (appsscript/Triggers.gs)."""
    run = next((r for r in generations
                if str(r.get("trigger", "")).startswith(SCHEDULED_TRIGGERS)), None)
    if run is None or run.get("started_at") is None:
        return None
    at = run["started_at"]
    at = at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at.astimezone(timezone.utc)
    return {"at": at.isoformat().replace("+00:00", "Z"), "trigger": run["trigger"]}

