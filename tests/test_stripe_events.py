"""Stripe events as they really are: hints rendered in the account's API version of their
time, kept 30 days. The official `stripe` library against the sandbox over HTTP, a real
SQLite ledger store, the Sheets sandbox.

- An event names a document; the generation reads it again by id in the pinned version, so a
  void on an account older than 2025-03-31.basil is reversed on the next run.
- Whatever the gap between two successful runs (10, 31, 90 days), every void and every late
  finalization is written exactly once.
- The sandbox: events older than 30 days are neither listed nor served; each keeps the
  account's version of its time.
"""

import copy
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
import stripe

from backend.core.settings import Settings
from backend.demo import DEMO_COMPANY, build_demo_company
from backend.sandbox.local import STRIPE_KEY, LocalSandbox
from backend.sandbox.stripe_params import API_VERSION
from backend.sandbox.stripe_versions import PRE_BASIL
from backend.services.convert import journal_objects
from backend.services.generate import VOID_EVENTS, generate

COMPANY = "mdc"
T1 = datetime(2026, 11, 2, 6, 0, tzinfo=timezone.utc)   # the morning after the demo month
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
SETTINGS = Settings(axis_names=tuple(DEMO_COMPANY["axis_names"]), siren=DEMO_COMPANY["siren"])


@pytest.fixture(scope="module")
def month():
    """A slice of the demo month with no anomaly (anomalies hold the window back on purpose,
    which would hide what these tests look at): its draft, its open invoices, its credit
    notes and their invoices, and enough paid ones to fill two pages."""
    demo = build_demo_company()
    objects = [o for kind in demo.values() for o in kind]
    anomalies = {a.document_id for a in journal_objects(objects, SETTINGS).result.anomalies}
    invoices = [i for i in sorted(demo["invoices"], key=lambda i: i["created"])
                if i["id"] not in anomalies]
    credited = {c["invoice"] for c in demo["credit_notes"]}
    keep = [i for n, i in enumerate(invoices) if n < 120 or i["id"] in credited
            or i["status"] in ("open", "draft")]
    one_off = next(i for i in keep if i["status"] == "open" and i["parent"] is None
                   and i["id"] not in credited)
    return {**demo, "invoices": keep + [as_draft(one_off, "in_1QdraftSecondOfOctober0")]}


def as_draft(invoice: dict, new_id: str) -> dict:
    """A second draft for the month, like the demo's own: a copy of a one-off invoice before
    its finalization, created ten days before the month's end."""
    draft = copy.deepcopy(invoice)
    draft.update(id=new_id, created=int(datetime(2026, 10, 21, 9, 0, tzinfo=timezone.utc)
                                        .timestamp()),
                 status="draft", number=None, effective_at=None, hosted_invoice_url=None,
                 invoice_pdf=None, amount_paid=0, amount_remaining=invoice["amount_due"],
                 attempted=False, attempt_count=0, next_payment_attempt=None,
                 ending_balance=None, webhooks_delivered_at=None,
                 status_transitions={k: None for k in invoice["status_transitions"]})
    draft["lines"]["url"] = f"/v1/invoices/{new_id}/lines"
    for n, line in enumerate(draft["lines"]["data"]):
        line.update(id=f"il_1QdraftSecondLine{n:06d}", invoice=new_id)
    return draft


@pytest.fixture
def box(month):
    with LocalSandbox() as sandbox:
        sandbox.stripe.load(copy.deepcopy(month))
        sandbox.sid = sandbox.sheets.create_spreadsheet("Journal", ["Feuille 1"])
        sandbox.now = [T1.timestamp()]
        sandbox.stripe.clock = lambda: sandbox.now[0]
        yield sandbox


def at(box, when: datetime) -> int:
    """Move the sandbox's clock to `when`; its timestamp."""
    box.now[0] = when.timestamp()
    return int(when.timestamp())


def run(box, store, now: datetime, settings: Settings = SETTINGS):
    at(box, now)
    return generate(box.stripe_adapter(max_retries=0), box.sheet_adapter(box.sid), store,
                    settings, COMPANY, now=now)


def sheet_refs(box) -> Counter:
    rows = box.sheets.values(box.sid, "Écritures")
    col = rows[0].index("Ref. Pièce")
    return Counter(r[col] for r in rows[1:])


def open_invoices(box, written: set[str], before: int) -> list[dict]:
    """Journaled open invoices created before `before` that no credit note points at."""
    credited = {c["invoice"] for c in box.stripe.stores["credit_notes"].all()}
    return [i for i in box.stripe.stores["invoices"].all()
            if i["status"] == "open" and i["id"] in written and i["created"] < before
            and i["id"] not in credited]


# --- the old-version event ------------------------------------------------------------------

def test_a_void_on_a_pre_basil_account_is_reversed_on_the_next_run(box, store):
    """The account still on 2024-06-20: the `invoice.voided` event carries lines with `price`
    and no `pricing`. The invoice is read again in the pinned version, so its reversal is
    written on that very run: no anomaly, no window moved back."""
    box.stripe.account_api_version = PRE_BASIL
    first = run(box, store, T1)
    assert first.written and not first.result.anomalies
    since = store.get_cursor(COMPANY, "documents_since")
    written = {e.document_id: e for e in first.written}
    target = open_invoices(box, set(written), int(since))[0]   # older than the next window

    later = T1 + DAY
    voided_at = at(box, later - timedelta(minutes=10))
    box.stripe.void_invoice(target["id"], voided_at)
    event = box.stripe.stores["events"].all()[0]
    line = event["data"]["object"]["lines"]["data"][0]
    assert event["api_version"] == PRE_BASIL and "pricing" not in line and line["price"]

    second = run(box, store, later)
    assert [e.ref for e in second.written] == [target["id"] + "/annulation"]
    assert not second.result.anomalies
    assert store.get_cursor(COMPANY, "documents_since") == since   # the window did not rewind
    reversal, original = second.written[0], written[target["id"]]
    assert reversal.date.isoformat() == "2026-11-03" and reversal.kind == "reversal"
    assert [(l.account, l.debit, l.credit) for l in reversal.lines] == [
        (l.account, l.credit, l.debit) for l in original.lines]
    assert sheet_refs(box)[reversal.ref] == len(reversal.lines)

    third = run(box, store, later + DAY)
    assert third.written == [] and not third.result.anomalies


# --- gaps between two successful runs ---------------------------------------------------------

@pytest.mark.parametrize("gap_days", [10, 31, 90])
def test_no_void_nor_late_finalization_is_lost_whatever_the_gap(box, store, gap_days):
    """Between two runs `gap_days` apart: an invoice voided, a credit note voided and a draft
    finalized in the hours after the first run; another invoice voided and the other draft
    finalized the day before the second run. After 31 or 90 days the first events are gone from Stripe; every reversal
    and the late finalization are still written once, and a third run writes nothing."""
    box.stripe.account_api_version = PRE_BASIL   # events in the old shapes, as in the issue
    settings = Settings(axis_names=SETTINGS.axis_names, siren=SETTINGS.siren,
                        start_date="2026-10-01")
    first = run(box, store, T1, settings)
    assert not first.result.anomalies
    since = int(store.get_cursor(COMPANY, "documents_since"))
    written = {e.document_id for e in first.written}
    early, late = open_invoices(box, written, since)[:2]
    note = next(c for c in box.stripe.stores["credit_notes"].all()
                if c["id"] in written and c["status"] == "issued"
                and box.stripe.get(c["invoice"])["status"] == "open")
    drafts = [i for i in box.stripe.stores["invoices"].all() if i["status"] == "draft"]
    assert len(drafts) == 2 and all(d["created"] < T1.timestamp() and d["id"] not in written
                                    for d in drafts)

    second_at = T1 + gap_days * DAY
    box.stripe.void_invoice(early["id"], at(box, T1 + HOUR))
    box.stripe.void_credit_note(note["id"], at(box, T1 + 2 * HOUR))
    box.stripe.finalize_invoice(drafts[0]["id"], at(box, T1 + 3 * HOUR))
    box.stripe.void_invoice(late["id"], at(box, second_at - DAY))
    box.stripe.finalize_invoice(drafts[1]["id"], at(box, second_at - 2 * HOUR))
    at(box, second_at)
    still_listed = list(box.stripe_adapter().events(VOID_EVENTS, int(T1.timestamp())))
    assert len(still_listed) == (3 if gap_days < 30 else 1)   # the scenario: events expired

    second = run(box, store, second_at, settings)
    expected = {early["id"] + "/annulation", note["id"] + "/annulation",
                late["id"] + "/annulation", drafts[0]["id"], drafts[1]["id"]}
    assert sorted(e.ref for e in second.written) == sorted(expected)
    assert not second.result.anomalies
    third = run(box, store, second_at + DAY, settings)
    assert third.written == [] and not third.result.anomalies
    refs = sheet_refs(box)
    entries = {e.ref: len(e.lines) for e in first.written + second.written}
    assert refs == Counter(entries)   # every entry in the sheet, each exactly once


# --- the sandbox ------------------------------------------------------------------------------

def client(box) -> stripe.StripeClient:
    return stripe.StripeClient(STRIPE_KEY, base_addresses={"api": box.stripe_url},
                               max_network_retries=0)


def test_events_are_listed_and_served_for_30_days(box):
    invoices = [i for i in box.stripe.stores["invoices"].all() if i["status"] == "open"]
    now = at(box, T1 + 40 * DAY)
    old = box.stripe.void_invoice(invoices[0]["id"], now - 31 * 86400)
    recent = box.stripe.void_invoice(invoices[1]["id"], now - 29 * 86400)
    events = {e["data"]["object"]["id"]: e["id"] for e in box.stripe.stores["events"].all()}
    api = client(box)
    listed = api.v1.events.list(params={"types": ["invoice.voided"]}).data
    assert [e.id for e in listed] == [events[recent["id"]]]
    # A window reaching further back is no error: what Stripe still has is listed.
    since = now - 60 * 86400
    assert [e.id for e in api.v1.events.list(params={"created": {"gte": since}}).data] == [
        events[recent["id"]]]
    assert api.v1.events.retrieve(events[recent["id"]]).type == "invoice.voided"
    with pytest.raises(stripe.InvalidRequestError) as gone:
        api.v1.events.retrieve(events[old["id"]])
    assert gone.value.http_status == 404 and gone.value.code == "resource_missing"
    assert gone.value.user_message == f"No such event: '{events[old['id']]}'"


def test_an_event_keeps_the_account_version_of_its_time(box):
    """An event renders `data.object` in the account's version when it happened; reading the
    document itself gives the pinned version."""
    api = client(box)
    opened = [i for i in box.stripe.stores["invoices"].all() if i["status"] == "open"
              and i["lines"]["data"][0]["taxes"]]
    note = next(c for c in box.stripe.stores["credit_notes"].all()
                if box.stripe.get(c["invoice"])["status"] == "open")
    now = at(box, T1)
    box.stripe.account_api_version = PRE_BASIL
    box.stripe.void_invoice(opened[0]["id"], now - 300)
    box.stripe.void_credit_note(note["id"], now - 200)
    box.stripe.account_api_version = API_VERSION
    box.stripe.void_invoice(opened[1]["id"], now - 100)

    new, old_note, old = api.v1.events.list(params={"types": VOID_EVENTS}).data
    assert (old.api_version, old_note.api_version, new.api_version) == (
        PRE_BASIL, PRE_BASIL, API_VERSION)
    stored = box.stripe.get(opened[0]["id"])
    old_invoice, stored_line = old.data.object, stored["lines"]["data"][0]
    old_line = old_invoice.lines.data[0]
    assert "pricing" not in old_line and "taxes" not in old_line and "parent" not in old_line
    assert old_line.price.id == stored_line["pricing"]["price_details"]["price"]
    assert old_line.price.product == stored_line["pricing"]["price_details"]["product"]
    assert [t.amount for t in old_line.tax_amounts] == [t["amount"] for t in stored_line["taxes"]]
    assert [r.id for r in old_line.tax_rates] == [
        t["tax_rate_details"]["tax_rate"] for t in stored_line["taxes"]]
    assert "total_taxes" not in old_invoice and "parent" not in old_invoice
    assert old_invoice.tax == sum(t["amount"] for t in stored["total_taxes"])
    assert old_invoice.paid is False and old_invoice.status == "void"
    assert "tax_amounts" in old_note.data.object and "total_taxes" not in old_note.data.object
    new_line = new.data.object.lines.data[0]
    assert "price_details" in new_line.pricing and "price" not in new_line
    # Read by id, the same invoice comes in the pinned version.
    again = api.v1.invoices.retrieve(opened[0]["id"])
    assert again.lines.data[0].pricing.price_details.product == old_line.price.product
    with pytest.raises(ValueError, match="2024-06-20"):
        box.stripe.account_api_version = "2019-02-19"
