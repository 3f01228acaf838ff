"""Webhook deliveries from HubSpot and Stripe: signature checked, each delivery applied once,
then the sync of what changed, or for Stripe's document events the generation of the entries
(under the company's lock, like any run).

The web layer calls these with the raw request; they return what to answer. The signature is
checked before anything else reads the body: until then the body is anyone's bytes. Every
refusal of a signature is the one answer REFUSED, whatever the reason, so that the answer
tells an intruder nothing (the web layer gives it to unknown companies too).
Deliveries are remembered per company: one company's ids cannot block another's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import stripe

from backend.errors import AlreadyRunning
from backend.hubspot_signature import verify_v3_signature
from backend.json_nesting import too_deep
from backend.store.ledger import LedgerStore

HUBSPOT_PRODUCT_EVENTS = ("product.",)
HUBSPOT_CUSTOMER_EVENTS = ("company.", "contact.")
DOCUMENTS = "documents"
# What each Stripe event starts: the sync of its area, or the generation (a document to
# journal, or to reverse). The endpoint must send these (the preflight checks it); any other
# type is recorded and starts nothing.
STRIPE_EVENTS = {"product.created": "products", "product.updated": "products",
                 "customer.updated": "customers", "customer.created": "customers",
                 "invoice.finalized": DOCUMENTS, "invoice.voided": DOCUMENTS,
                 "invoice.marked_uncollectible": DOCUMENTS,
                 "credit_note.created": DOCUMENTS, "credit_note.voided": DOCUMENTS}
# A generation asked for by a Stripe event waits this long, queued, before it reads Stripe.
# Stripe sends a burst (a billing run finalizing its renewals, a script voiding a batch) as
# one event per document, over seconds: the events that land during the wait find the run
# queued and start nothing, so the burst is one run, not one per event. Later ones, once the
# run reads, make one more run after it. Long enough for a burst of a few hundred at Stripe's
# pace, short enough for her entries to be in the sheet within the minute.
COALESCE_SECONDS = 10.0


REFUSED_MESSAGE = "missing, bad or stale signature"


@dataclass
class Delivery:
    status: int            # HTTP status to answer
    applied: int = 0       # deliveries applied now
    replays: int = 0       # deliveries seen before
    message: str = ""


def hubspot_event_key(event: dict) -> str:
    """What makes a HubSpot event the same event when delivered again. HubSpot documents
    `eventId` as not guaranteed unique, and portals share one numbering: taken alone, a new
    change could be taken for a replay and wait for the daily sync. A retry repeats every one
    of these fields (only attemptNumber changes)."""
    return ":".join(str(event.get(name, "")) for name in
                    ("portalId", "subscriptionId", "objectId", "occurredAt", "eventId"))


def refused() -> Delivery:
    return Delivery(401, message=REFUSED_MESSAGE)


def stripe_signature_ok(payload: bytes, signature: str, secret: str) -> bool:
    """Stripe's own check (signature and five-minute tolerance), on the raw bytes. The library
    decodes them as UTF-8 before it looks at the header: a body that is not UTF-8 cannot be
    one Stripe signed (it sends JSON in UTF-8), so it is refused like any bad signature."""
    try:
        return stripe.WebhookSignature.verify_header(payload, signature, secret,
                                                     stripe.Webhook.DEFAULT_TOLERANCE)
    except (stripe.SignatureVerificationError, UnicodeDecodeError):
        return False


def hubspot_delivery(method: str, uri: str, body: bytes, headers: dict[str, str], secret: str,
                     store: LedgerStore, run_sync, now_ms: int, *, company: str) -> Delivery:
    """`run_sync(products: bool, customers: bool)` runs the sync; a run already in progress
    will see the change anyway (it reads HubSpot after this delivery)."""
    if not verify_v3_signature(method, uri, body, headers, secret, now_ms):
        return refused()
    not_events = Delivery(400, message="a HubSpot delivery is a JSON array of events")
    if too_deep(body):
        return not_events
    try:
        events = json.loads(body)
    except (ValueError, RecursionError):
        return not_events
    if not isinstance(events, list):
        return not_events
    delivery = Delivery(200)
    products = customers = False
    for event in events:
        if not isinstance(event, dict) or "eventId" not in event:
            continue
        if not store.record_delivery(company, "hubspot", hubspot_event_key(event)):
            delivery.replays += 1
            continue
        delivery.applied += 1
        kind = str(event.get("subscriptionType", ""))
        products |= kind.startswith(HUBSPOT_PRODUCT_EVENTS)
        customers |= kind.startswith(HUBSPOT_CUSTOMER_EVENTS)
    _run(run_sync, products, customers, delivery)
    return delivery


def stripe_delivery(payload: bytes, signature: str, secret: str, store: LedgerStore,
                    run_sync, *, company: str, run_generation=None) -> Delivery:
    """`run_sync(products, customers)` as for HubSpot; `run_generation()` starts the
    generation (coalesced: the web layer asks the runner for it with COALESCE_SECONDS)."""
    if not stripe_signature_ok(payload, signature, secret):
        return refused()
    # Signed: now the body may be read (only the id and type are needed of it).
    not_event = Delivery(400, message="the payload is not a Stripe event")
    if too_deep(payload):
        return not_event
    try:
        event = json.loads(payload)
    except (ValueError, RecursionError):
        return not_event
    if not isinstance(event, dict):
        return not_event
    event_id, event_type = event.get("id"), event.get("type")
    if not event_id or not isinstance(event_id, str) or not isinstance(event_type, str):
        return Delivery(400, message="the payload is not a Stripe event (no id or type)")
    if not store.record_delivery(company, "stripe", event_id):
        return Delivery(200, replays=1, message="already applied")
    area = STRIPE_EVENTS.get(event_type)
    delivery = Delivery(200, applied=1)
    if area == DOCUMENTS:
        if run_generation is not None:
            _start(run_generation, delivery)
        return delivery
    _run(run_sync, area == "products", area == "customers", delivery)
    return delivery


def _run(run_sync, products: bool, customers: bool, delivery: Delivery) -> None:
    if products or customers:
        _start(lambda: run_sync(products, customers), delivery)


def _start(start, delivery: Delivery) -> None:
    try:
        start()
    except AlreadyRunning:
        # The running sync or the next one picks the change up: answer 200 so the sender does
        # not retry in a storm; the delivery is recorded.
        delivery.message = "a run is in progress; the change is picked up by the next run"
