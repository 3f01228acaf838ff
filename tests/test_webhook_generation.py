"""Issue 14, point 1: Stripe's document events start a generation, coalesced.

The app's Stripe webhook route, the official `stripe` library against the Stripe sandbox over
HTTP, the Sheets sandbox, a real SQLite ledger store. Deliveries are signed as Stripe signs
them (the sandbox's `signed_webhook`). Jobs go through the inline dispatcher, which holds a
job dispatched for later until the test runs it (`run_held`): the test is the clock, so "a
hundred events, one run" is shown without sleeping.

- 100 `invoice.finalized` deliveries: one generation, queued; once run, each invoice in the
  sheet once; the same deliveries again: nothing started, nothing written.
- An event arriving while the run reads: exactly one run after it, which writes its invoice.
- A voided invoice's event: its reversing entry, once.
- Which event starts what; a bad signature starts nothing.
"""

from __future__ import annotations

import copy
import json
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_stripe_events import as_draft

from backend.auth.companies import Companies, Company
from backend.core.settings import from_mapping
from backend.demo import DEMO_COMPANY, build_demo_company
from backend.jobs.dispatch import (
    CloudTasksDispatcher,
    InlineDispatcher,
    ThreadDispatcher,
)
from backend.jobs.model import Job
from backend.sandbox.faults import FaultPlan
from backend.sandbox.local import STRIPE_KEY, LocalSandbox
from backend.secrets import MemorySecrets
from backend.services.convert import journal_objects
from backend.services.webhooks import COALESCE_SECONDS, STRIPE_EVENTS, stripe_delivery
from backend.web import create_app

COMPANY = "maison"
SHEET = "sheet-maison"
WEBHOOK_SECRET = "whsec_sandbox"          # the sandbox signs with it by default
DRAFTS = 100
TRIGGER = "webhook Stripe"
DOCUMENT_EVENTS = ("invoice.finalized", "invoice.voided", "invoice.marked_uncollectible",
                   "credit_note.created", "credit_note.voided")
SETTINGS = from_mapping({"company_name": DEMO_COMPANY["name"], "siren": DEMO_COMPANY["siren"],
                         "axis_names": ";".join(DEMO_COMPANY["axis_names"])})


@pytest.fixture(scope="module")
def month() -> dict:
    """Twenty journaled invoices of the demo month with no anomaly, and DRAFTS drafts (copies
    of a one-off invoice before its finalization), each with lines of its own."""
    demo = build_demo_company()
    objects = [o for kind in demo.values() for o in kind]
    anomalies = {a.document_id for a in journal_objects(objects, SETTINGS).result.anomalies}
    invoices = [i for i in sorted(demo["invoices"], key=lambda i: i["created"])
                if i["id"] not in anomalies and i["status"] in ("open", "paid")]
    one_off = next(i for i in invoices if i["parent"] is None)
    drafts = []
    for n in range(DRAFTS):
        draft = as_draft(one_off, f"in_1QwebhookDraft{n:08d}")
        for k, line in enumerate(draft["lines"]["data"]):
            line["id"] = f"il_1QwebhookDraft{n:04d}Line{k:03d}"
        drafts.append(draft)
    return {**demo, "credit_notes": [], "invoices": invoices[:20] + drafts}


class Tap(FaultPlan):
    """The sandbox's plan, doing `action` once, at the first Sheets call made after Stripe's
    invoices were listed: the generation has read Stripe and waits for this answer."""

    def __init__(self) -> None:
        super().__init__()
        self.action = None
        self._listed = False

    def on_call(self, service: str, method: str, path: str):
        if service == "stripe" and path.startswith("/v1/invoices"):
            self._listed = True
        elif service == "sheets" and self._listed and self.action is not None:
            action, self.action = self.action, None
            action()
        return super().on_call(service, method, path)


class App:
    def __init__(self, box: LocalSandbox, dispatcher) -> None:
        self.box, self.dispatcher = box, dispatcher
        company = Company(COMPANY, DEMO_COMPANY["name"], SHEET, frozenset({"compta@example.fr"}),
                          {"stripe": "stripe-key", "stripe_webhook": "stripe-webhook"}, (),
                          SETTINGS)
        self.app = create_app({
            "TESTING": True, "COMPANIES": Companies([company]),
            "SECRETS": MemorySecrets({"stripe-key": STRIPE_KEY,
                                      "stripe-webhook": WEBHOOK_SECRET}),
            "LEDGER_STORE": box.store, "DISPATCHER": dispatcher,
            "ID_TOKEN_AUDIENCES": ["test"], "SERVICE_ACCOUNTS": [],
            "GOOGLE_CERTS_URL": "http://127.0.0.1:9/certs",
            "STRIPE_API_BASE": box.stripe_url, "SHEETS_API_BASE": box.sheets_url})

    def deliver(self, payload: bytes, signature: str) -> tuple[int, dict]:
        answer = self.app.test_client().post(f"/webhooks/stripe/{COMPANY}", data=payload,
                                             headers={"Stripe-Signature": signature},
                                             content_type="application/json")
        return answer.status_code, answer.get_json()

    def jobs(self) -> list[Job]:
        return self.app.extensions["journal"].job_store().latest(COMPANY, limit=1000)

    def refs(self) -> Counter:
        rows = self.box.sheets.values(SHEET, "Écritures")
        column = rows[0].index("Ref. Pièce")
        return Counter(row[column] for row in rows[1:])

    def history(self) -> list[list]:
        return self.box.sheets.values(SHEET, "Historique")[1:]


@pytest.fixture
def box(month, store):
    with LocalSandbox(plan=Tap()) as sandbox:
        sandbox.stripe.load(copy.deepcopy(month))
        sandbox.sheets.create_spreadsheet("Journal des ventes", ["Feuille 1"],
                                          spreadsheet_id=SHEET)
        sandbox.store = store
        yield sandbox


def finalize(box, invoice_id: str) -> tuple[bytes, str]:
    """Finalize a draft now; the signed delivery of its `invoice.finalized` event."""
    box.stripe.finalize_invoice(invoice_id, int(time.time()))
    return signed(box, "invoice.finalized", invoice_id)


def signed(box, event_type: str, object_id: str) -> tuple[bytes, str]:
    event = next(e for e in reversed(box.stripe.stores["events"].all())
                 if e["type"] == event_type and e["data"]["object"]["id"] == object_id)
    return box.stripe.signed_webhook(event)


def drafts(box) -> list[str]:
    return [i["id"] for i in box.stripe.stores["invoices"].all() if i["status"] == "draft"]


# --- a burst is one run ----------------------------------------------------------------------

def test_a_hundred_finalizations_make_one_run_and_a_replay_makes_none(box):
    app = App(box, InlineDispatcher())
    ids = drafts(box)
    assert len(ids) == DRAFTS
    deliveries = [finalize(box, invoice_id) for invoice_id in ids]
    answers = [app.deliver(*d) for d in deliveries]
    assert {(status, body["applied"]) for status, body in answers} == {(200, 1)}
    # One job, queued for later; nothing read nor written yet.
    [job] = app.jobs()
    assert (job.action, job.state, job.trigger) == ("generate", "queued", TRIGGER)
    assert len(app.dispatcher.held) == 1 and "Écritures" not in box.sheets.tabs(SHEET)

    assert app.dispatcher.run_held() == [job.id]
    [job] = app.jobs()
    assert job.state == "done", job.message
    refs = app.refs()
    lines = refs[ids[0]]
    assert lines >= 2 and all(refs[i] == lines for i in ids)     # each one entry, once
    history = app.history()
    assert [row[1:3] for row in history] == [[TRIGGER, "Génération des écritures"]]

    # Stripe delivers them all again (a retry, a replay): nothing started, nothing written.
    again = [app.deliver(*d) for d in deliveries]
    assert {(status, body["applied"], body["replays"]) for status, body in again} == {(200, 0, 1)}
    assert len(app.jobs()) == 1 and app.dispatcher.held == []
    assert app.refs() == refs and app.history() == history


def test_an_event_arriving_while_the_run_reads_makes_exactly_one_more_run(box):
    app = App(box, InlineDispatcher())
    first, late = drafts(box)[:2]
    assert app.deliver(*finalize(box, first))[0] == 200
    answers = []

    def during_the_run():
        # The run has listed Stripe's invoices: this one is finalized too late for it.
        answers.append(app.deliver(*finalize(box, late)))
        assert len(app.jobs()) == 1          # nothing started beside the running job

    box.plan.action = during_the_run
    [job_id] = app.dispatcher.run_held()
    assert answers and answers[0][0] == 200 and answers[0][1]["applied"] == 1
    assert box.plan.action is None           # it did happen during the run
    jobs = app.jobs()
    assert len(jobs) == 2 and all(j.state == "done" for j in jobs)
    follow_up = next(j for j in jobs if j.id != job_id)
    assert (follow_up.action, follow_up.trigger) == ("generate", TRIGGER)
    assert follow_up.result["summary"]["entries_written"] == 1     # the late one, by it
    refs = app.refs()
    assert refs[first] == refs[late] > 0
    assert [row[1] for row in app.history()] == [TRIGGER, TRIGGER]
    assert app.dispatcher.held == []          # and no third run


def test_a_voided_invoice_s_event_writes_its_reversal_once(box):
    app = App(box, InlineDispatcher())
    invoice_id = drafts(box)[0]
    app.deliver(*finalize(box, invoice_id))
    app.dispatcher.run_held()
    lines = app.refs()[invoice_id]
    box.stripe.void_invoice(invoice_id, int(time.time()))
    delivery = signed(box, "invoice.voided", invoice_id)
    assert app.deliver(*delivery)[1]["applied"] == 1
    app.dispatcher.run_held()
    refs = app.refs()
    assert refs[invoice_id] == refs[f"{invoice_id}/annulation"] == lines
    assert app.deliver(*delivery)[1]["replays"] == 1
    assert app.dispatcher.held == [] and len(app.jobs()) == 2 and app.refs() == refs


def test_a_bad_signature_starts_nothing(box):
    app = App(box, InlineDispatcher())
    payload, signature = finalize(box, drafts(box)[0])
    forged = box.stripe.signed_webhook(json.loads(payload), secret="whsec_other")
    assert app.deliver(payload, forged[1])[0] == 401
    assert app.deliver(payload.replace(b"invoice.finalized", b"invoice.voided"),
                       signature)[0] == 401
    assert app.jobs() == [] and app.dispatcher.held == []
    assert app.deliver(payload, signature)[1]["applied"] == 1      # the real one, once


# --- which event starts what ------------------------------------------------------------------

@pytest.mark.parametrize("event_type", [*DOCUMENT_EVENTS, "customer.updated", "invoice.created",
                                        "invoice.paid", "charge.succeeded"])
def test_each_event_type_starts_its_run_or_nothing(store, event_type):
    box_stripe = LocalSandbox().stripe
    event = {"id": f"evt_{event_type}", "object": "event", "type": event_type,
             "created": int(time.time()), "data": {"object": {"id": "x", "object": "invoice"}}}
    payload, signature = box_stripe.signed_webhook(event)
    started = []
    answer = stripe_delivery(payload, signature, WEBHOOK_SECRET, store,
                             lambda products, customers: started.append("sync"),
                             company=COMPANY, run_generation=lambda: started.append("generate"))
    assert (answer.status, answer.applied) == (200, 1)
    expected = ["generate"] if event_type in DOCUMENT_EVENTS else (
        ["sync"] if event_type == "customer.updated" else [])
    assert started == expected


def test_the_endpoint_is_asked_for_every_event_that_starts_a_run():
    """The preflight asks the endpoint for every key of STRIPE_EVENTS; the README and the
    deployment guide name each of them."""
    assert set(DOCUMENT_EVENTS) <= set(STRIPE_EVENTS)
    root = Path(__file__).resolve().parent.parent
    for guide in ("README.md", "deploy/README.md"):
        text = (root / guide).read_text(encoding="utf-8")
        assert [e for e in STRIPE_EVENTS if f"`{e}`" not in text] == [], guide
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert f"starts {COALESCE_SECONDS:g} seconds later" in " ".join(readme.split())


# --- the delay, per dispatcher ----------------------------------------------------------------

def _job() -> Job:
    return Job.new(COMPANY, "generate", {}, TRIGGER, datetime(2026, 11, 2, 9, 0,
                                                              tzinfo=UTC))


def test_cloud_tasks_schedules_a_delayed_task():
    from google.cloud import tasks_v2
    dispatcher = CloudTasksDispatcher("projects/p/locations/europe-west1/queues/journal",
                                      "https://backend.example.test", "tasks@p.iam.test",
                                      clock=lambda: 1_800_000_000.25)
    job = _job()
    now = dispatcher.task(job)
    later = dispatcher.task(job, COALESCE_SECONDS)
    assert "schedule_time" not in now
    assert later["schedule_time"] == {"seconds": 1_800_000_000 + int(COALESCE_SECONDS),
                                      "nanos": 250_000_000}
    # The official library takes it as Task.schedule_time (a protobuf Timestamp).
    request = tasks_v2.CreateTaskRequest(parent=dispatcher.queue_path, task=later)
    assert request.task.schedule_time.timestamp() == 1_800_000_000.25 + COALESCE_SECONDS


def test_the_thread_dispatcher_runs_a_delayed_job_after_its_delay():
    dispatcher = ThreadDispatcher()
    ran = []
    started = time.monotonic()
    dispatcher.dispatch(_job(), lambda job_id: ran.append(time.monotonic() - started),
                        delay=0.5)
    dispatcher.wait()                        # joins the timer's thread
    assert len(ran) == 1 and ran[0] >= 0.5
