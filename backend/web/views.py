"""What the sidebar receives: jobs and the company's status as plain JSON, dates written
the French way in the company's time zone. Nothing here carries a secret: jobs hold the
reports' French lines and summaries, files are listed by name and size."""

from __future__ import annotations

from datetime import datetime

from backend.auth.companies import Company
from backend.jobs.actions import Action
from backend.jobs.model import Job
from backend.spreadsheet import local_time


def french_time(at: datetime | None, timezone: str) -> str:
    """`at` (UTC, as stored) in the company's zone, as the sheet's Historique shows it."""
    if at is None:
        return ""
    return local_time(at, timezone).strftime("%d/%m/%Y à %H:%M")


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
        "message": job.message,
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
