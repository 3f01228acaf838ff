"""The secret search: a normal day through the app over real HTTP (werkzeug's server, so that
its request log is there too), with every secret in play (generate, sync, validate, dedupe,
export and its downloads, webhook deliveries, the scheduler, a Cloud Tasks hand-over) and the
failures that tend to leak keys (Stripe refusing our key, whose real message quotes it
masked; HubSpot refusing its token; secrets missing from the secret source), every log record
captured at DEBUG; then every log line, every answer of the app (status, headers, body), every
cell of every tab of every spreadsheet, every job (params, message, result, files) and every
row of the ledger store is searched for each secret and for any 12-character piece of one.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone

import sqlalchemy as sa

from stress.intruders.context import EXPORT_MONTH
from stress.intruders.transport import HttpTransport, Transport
from stress.report import Result
from stress.world import (HUBSPOT_APP_SECRET, HUBSPOT_SECRET, SECRETS, SERVICE_ACCOUNT,
                          SERVICE_AUDIENCE, STRIPE_SECRET, STRIPE_WEBHOOK_SECRET, World)

WINDOW = 12                      # any piece of a secret this long is a leak
SECRET_LABELS = {STRIPE_SECRET: "Stripe API key", HUBSPOT_SECRET: "HubSpot token",
                 HUBSPOT_APP_SECRET: "HubSpot app secret",
                 STRIPE_WEBHOOK_SECRET: "Stripe webhook secret"}


# --- every log record -----------------------------------------------------------------------

class LogCapture(logging.Handler):
    """Every record, formatted as a log line would be (with its traceback)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s [%(threadName)s]: %(message)s"))
        self.lines: list[str] = []
        self._lock_lines = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:   # a record that does not format is still searched, raw
            text = f"{record.name}: {record.msg!r} {record.args!r}"
        with self._lock_lines:
            self.lines.append(text)


@contextmanager
def capture_logs() -> Iterator[LogCapture]:
    """A handler on the root logger at DEBUG, werkzeug's logger at DEBUG too: every record
    any logger emits is seen. (Loggers that set their own level keep it: SQLAlchemy's are at
    WARNING unless the app asks for more, and it does not.)"""
    capture = LogCapture()
    root = logging.getLogger()
    werkzeug = logging.getLogger("werkzeug")
    saved = {"": root.level, "werkzeug": werkzeug.level}
    werkzeug.setLevel(logging.DEBUG)
    root.setLevel(logging.DEBUG)
    root.addHandler(capture)
    extra = not werkzeug.propagate
    if extra:
        werkzeug.addHandler(capture)
    try:
        yield capture
    finally:
        root.removeHandler(capture)
        if extra:
            werkzeug.removeHandler(capture)
        for name, level in saved.items():
            logging.getLogger(name or None).setLevel(level)


# --- a normal day, with the failures that tend to leak keys ---------------------------------

@dataclass
class Day:
    requests: int = 0
    jobs: Counter = field(default_factory=Counter)
    export_job: dict | None = None
    notes: list[str] = field(default_factory=list)


def normal_day(world: World, http: HttpTransport, result: Result, progress=print) -> Day:
    from backend.jobs.dispatch import InlineDispatcher
    from backend.jobs.model import Job
    from backend.jobs.runner import STALE_AFTER
    from backend.secrets import MemorySecrets
    from backend.web import create_app

    day = Day()
    sheet, user = world.sheets[0], world.users[0]
    auth = world.auth(world.token(user))
    service = world.auth(world.token(SERVICE_ACCOUNT, SERVICE_AUDIENCE))

    def check(ok: bool, what: str) -> None:
        if not ok:
            result.fail(f"normal day: {what}")

    def act(name: str, params: dict | None = None, transport: Transport = http,
            state: str = "done", says: str = "") -> dict:
        answer = transport.send("POST", f"/actions/{name}", auth,
                                json_body={"spreadsheet_id": sheet, "params": params or {}})
        check(answer.status == 202, f"{name} answered {answer.status} {answer.json()}")
        job = ((answer.json() or {}).get("job")) or {}
        shown = transport.send("GET", f"/jobs/{job.get('id')}", auth,
                               query={"spreadsheet_id": sheet}).json() or {}
        job = shown.get("job") or {}
        for file in job.get("files", []):
            got = transport.send("GET", f"/jobs/{job['id']}/files/{file['name']}", auth,
                                 query={"spreadsheet_id": sheet})
            check(got.status == 200 and len(got.body) == file["size"], f"download {file['name']}")
        check(job.get("state") == state and says in (job.get("message") or ""),
              f"{name} ended {job.get('state')}: {job.get('message')!r} (expected {state}, {says!r})")
        day.jobs[f"{name} {job.get('state')}"] += 1
        return job

    check(http.send("GET", "/healthz").status == 200, "health check")
    check(http.send("GET", "/status", auth, query={"spreadsheet_id": sheet}).status == 200, "status")
    act("generate")
    act("sync_products")
    act("sync_customers")
    act("validate")
    act("dedupe")
    day.export_job = act("export", {"month": EXPORT_MONTH})
    check(len(day.export_job.get("files", [])) == 2, "the export made its two files")

    # Webhook deliveries, each applied once and then answered as a replay.
    stripe_event = {"id": "evt_day_1", "object": "event", "type": "product.updated",
                    "created": int(time.time()), "api_version": "2026-10-28.endive",
                    "livemode": False, "pending_webhooks": 1,
                    "request": {"id": None, "idempotency_key": None},
                    "data": {"object": {"id": "prod_day", "object": "product"}}}
    payload, signature = world.sandbox.stripe.signed_webhook(stripe_event, secret=STRIPE_WEBHOOK_SECRET)
    hub_event = world.sandbox.hubspot.event("contact.propertyChange", 1, "firstname", "Jeanne")
    hub_body, hub_headers = world.sandbox.hubspot.signed_delivery(
        [hub_event], f"{SERVICE_AUDIENCE}/webhooks/hubspot/{world.company_ids[0]}", secret=HUBSPOT_APP_SECRET)
    for attempt in (1, 2):
        stripe_answer = http.send("POST", f"/webhooks/stripe/{world.company_ids[0]}",
                                  {"Stripe-Signature": signature, "Content-Type": "application/json"},
                                  data=payload)
        hub_answer = http.send("POST", f"/webhooks/hubspot/{world.company_ids[0]}", hub_headers,
                               data=hub_body)
        key = "applied" if attempt == 1 else "replays"
        for source, answer in (("Stripe", stripe_answer), ("HubSpot", hub_answer)):
            check(answer.status == 200 and (answer.json() or {}).get(key) == 1,
                  f"{source} delivery {attempt}: {answer.status} {answer.json()}")

    # Cloud Scheduler for every company, then a job handed over by Cloud Tasks.
    answer = http.send("POST", "/scheduler/generate", service, json_body={})
    check(answer.status == 200 and len((answer.json() or {}).get("jobs", [])) == len(world.company_ids),
          f"scheduler: {answer.status} {answer.json()}")
    queued, _ = world.backend.job_store().create(
        Job.new(world.company_ids[1], "validate", {}, "Cloud Tasks", datetime.now(timezone.utc)),
        STALE_AFTER)
    answer = http.send("POST", "/tasks/run", service, json_body={"job_id": queued.id})
    check(answer.status == 200 and world.backend.job_store().get(queued.id).state == "done",
          f"tasks/run: {answer.status} {answer.json()}")

    # Stripe refuses our key (its message quotes the key masked); HubSpot refuses its token.
    world.sandbox.stripe.api_key = "sk_test_rotated_elsewhere_0000000000000000"
    try:
        act("generate", state="failed", says="Stripe refuse l'accès")
    finally:
        world.sandbox.stripe.api_key = STRIPE_SECRET
    world.sandbox.hubspot.access_token = "pat-eu1-rotated-elsewhere-0000"
    try:
        act("sync_customers", state="failed", says="HubSpot refuse l'accès")
    finally:
        world.sandbox.hubspot.access_token = HUBSPOT_SECRET

    # Secrets missing from the secret source: an app whose source has only the HubSpot token.
    config = world.config()
    config.update(SECRETS=MemorySecrets({"hubspot-token": HUBSPOT_SECRET}),
                  DISPATCHER=InlineDispatcher())
    bare = HttpTransport(create_app(config))
    try:
        act("generate", transport=bare, state="failed", says="« stripe-key »")
        stripe_answer = bare.send("POST", f"/webhooks/stripe/{world.company_ids[0]}",
                                  {"Stripe-Signature": signature, "Content-Type": "application/json"},
                                  data=payload)
        body, headers = world.sandbox.hubspot.signed_delivery(
            [world.sandbox.hubspot.event("contact.propertyChange", 1, "firstname", "Anne")],
            f"{SERVICE_AUDIENCE}/webhooks/hubspot/{world.company_ids[0]}", secret=HUBSPOT_APP_SECRET)
        hub_answer = bare.send("POST", f"/webhooks/hubspot/{world.company_ids[0]}", headers, data=body)
        day.notes.append(f"webhooks with their secret missing answered Stripe {stripe_answer.status}, "
                         f"HubSpot {hub_answer.status}")
        check(stripe_answer.status >= 500 and hub_answer.status >= 500,
              "a delivery whose secret is missing must not be answered as done (the sender retries)")
    finally:
        bare.close()
    http.answers.extend(bare.answers)
    check(http.send("GET", "/status", auth, query={"spreadsheet_id": sheet}).status == 200, "status")
    day.requests = len(http.answers)
    progress(f"intruders: normal day {day.requests} requests, jobs {dict(day.jobs)}")
    return day


# --- the secret search ----------------------------------------------------------------------

@dataclass
class Evidence:
    """What could hold a secret: category -> [(where, text)]."""
    items: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def add(self, category: str, where: str, text: str) -> None:
        self.items.setdefault(category, []).append((where, text))

    def count(self, category: str) -> int:
        return len(self.items.get(category, []))


@dataclass(frozen=True)
class Leak:
    category: str
    where: str
    secret: str          # its label, never its value
    excerpt: str         # around the find, every piece of a secret masked with *


def token_signatures(transports: list[Transport]) -> list[str]:
    """The signatures of the ID tokens sent: whoever holds one with its (guessable) header and
    payload holds the token, a credential for an hour. The tokens are never logged."""
    found = set()
    for transport in transports:
        for value in transport.authorizations:
            last = value.rsplit(".", 1)[-1].strip()
            if value.count(".") >= 2 and len(last) >= 40:
                found.add(last.lower())
    return sorted(found)


def needles(secrets=SECRETS, public_names=()) -> tuple[dict[str, list[str]], int]:
    """Per secret label: the secret, every WINDOW-long piece of it, and its base64 forms (an
    Authorization: Basic header); pieces that are also part of a secret's public name (the
    name a config gives it, shown in messages) are left out. Lower-case: the search ignores
    case. Also returns how many pieces were left out."""
    names = [n.lower() for n in public_names]
    found: dict[str, list[str]] = {}
    left_out = 0
    for secret in secrets:
        label = SECRET_LABELS.get(secret, f"secret #{len(found) + 1}")
        pieces = {secret[i:i + WINDOW].lower() for i in range(max(len(secret) - WINDOW + 1, 1))}
        kept = {p for p in pieces if not any(p in n for n in names)}
        left_out += len(pieces) - len(kept)
        for form in (secret, f"{secret}:", f":{secret}"):
            kept.add(base64.b64encode(form.encode()).decode().rstrip("=").lower())
        found[label] = sorted(kept)
    return found, left_out


def search(evidence: Evidence, wanted: dict[str, list[str]]) -> list[Leak]:
    """Every (item, secret) where the item holds a piece of the secret. Each category is
    searched as one text (fast), the finds mapped back to their items."""
    leaks: list[Leak] = []
    for category, items in evidence.items.items():
        starts, parts, offset = [], [], 0
        for _, text in items:
            starts.append(offset)
            parts.append(text.lower())
            offset += len(text) + 1
        blob = "\0".join(parts)
        everything = [p for pieces in wanted.values() for p in pieces]
        seen: set[tuple[int, str]] = set()
        for label, pieces in wanted.items():
            for piece in pieces:
                at = blob.find(piece)
                while at != -1:
                    index = bisect_right(starts, at) - 1
                    if (index, label) not in seen:
                        seen.add((index, label))
                        where, text = items[index]
                        local = at - starts[index]
                        excerpt = _masked(text[max(local - 30, 0):local + len(piece) + 30],
                                          everything)
                        leaks.append(Leak(category, where, label, excerpt.replace("\n", " ")))
                    at = blob.find(piece, at + 1)
    return leaks


def _masked(text: str, pieces: list[str]) -> str:
    """`text` with every character that belongs to a piece of a secret as *: the report (and
    the notes made from it) must not become the leak."""
    lower = text.lower()
    hidden = [False] * len(text)
    for piece in pieces:
        at = lower.find(piece)
        while at != -1:
            hidden[at:at + len(piece)] = [True] * len(piece)
            at = lower.find(piece, at + 1)
    return "".join("*" if h else c for c, h in zip(text, hidden))


TOKEN_LABEL = "an ID token's signature"
LOGS, RESPONSES, CELLS, JOBS, STORE = ("log lines", "responses", "spreadsheet cells",
                                       "job records", "ledger store rows")


def collect(world: World, logs: LogCapture, transports: list[Transport]) -> Evidence:
    """Everything a secret could have reached: log lines, answers, cells, jobs, store rows."""
    evidence = Evidence()
    for n, line in enumerate(list(logs.lines)):
        evidence.add(LOGS, f"log line {n + 1}", line)
    for transport in transports:
        for n, answer in enumerate(transport.answers):
            evidence.add(RESPONSES, f"{type(transport).__name__} answer {n + 1}", answer.text())
    sheets = world.sandbox.sheets
    for sid in list(sheets.spreadsheets):
        exported = sheets.export_json(sid)
        evidence.add(CELLS, f"{sid} properties", json.dumps(exported["properties"], ensure_ascii=False))
        for tab in exported["sheets"]:
            title = tab["properties"]["title"]
            for r, row in enumerate(tab["values"]):
                for c, value in enumerate(row):
                    if value not in ("", None):
                        evidence.add(CELLS, f"{sid}!{title} R{r + 1}C{c + 1}", str(value))
            for a1, formula in (tab.get("formulas") or {}).items():
                evidence.add(CELLS, f"{sid}!{title} {a1} (formula)", formula)
    meta = sa.MetaData()
    meta.reflect(world.store.engine)
    with world.store.engine.connect() as conn:
        for table in meta.sorted_tables:
            category = JOBS if table.name in ("jobs", "job_files") else STORE
            for n, row in enumerate(conn.execute(sa.select(table))):
                text = " | ".join(v.decode("latin-1") if isinstance(v, bytes) else str(v)
                                  for v in row)
                evidence.add(category, f"{table.name} row {n + 1}", text)
    return evidence


def secret_names(world: World) -> list[str]:
    return [name for company in world.config()["COMPANIES"] for name in company.secrets.values()]
