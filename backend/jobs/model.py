"""A job: one action run for one company, its progress and its outcome."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATES = (QUEUED, RUNNING, DONE, FAILED)
ACTIVE = (QUEUED, RUNNING)
# How a finished job went: ok; warning (done, with problems to look at); refused (the action
# would have been wrong: nothing done); unavailable (the action does not exist yet); error.
OUTCOMES = ("ok", "warning", "refused", "unavailable", "error")


@dataclass
class Job:
    id: str
    company: str
    action: str
    params: dict
    trigger: str                  # who or what started it (French, as in the Historique tab)
    state: str
    created_at: datetime
    updated_at: datetime          # the last sign of life: a running job not heard of for long died
    stage: str = ""
    done: int | None = None
    total: int | None = None
    percent: int = 0
    outcome: str = ""
    message: str = ""             # French: the result, or why it failed
    result: dict = field(default_factory=dict)   # summary, anomalies, files (names and sizes)
    worker: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @staticmethod
    def new(company: str, action: str, params: dict, trigger: str, now: datetime) -> Job:
        return Job(uuid.uuid4().hex, company, action, dict(params), trigger, QUEUED, now, now)

    @property
    def active(self) -> bool:
        return self.state in ACTIVE


@dataclass(frozen=True)
class JobFile:
    """A file an action made (the month's exports), kept for download."""
    name: str
    media_type: str
    content: bytes


_JOB_ID = re.compile(r"[0-9a-f]{32}")


def is_job_id(text: str) -> bool:
    """Whether `text` has the form of the ids `Job.new` makes. Ids come from requests (a URL,
    a task's body): anything else is no job, answered before it reaches the store or a log
    (a lone surrogate cannot even be sent to the database)."""
    return bool(_JOB_ID.fullmatch(text))
