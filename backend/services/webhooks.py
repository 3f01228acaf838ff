"""Webhook deliveries from HubSpot and Stripe: signature checked, each delivery applied once,
then the sync of what changed (under the company's lock, like any run).

The web layer calls these with the raw request; they return what to answer.
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
STRIPE_EVENTS = {"product.created": "products", "product.updated": "products",
                 "customer.updated": "customers", "customer.created": "customers"}


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


def hubspot_delivery(method: str, uri: str, body: bytes, headers: dict[str, str], secret: str,
                     store: LedgerStore, run_sync, now_ms: int) -> Delivery:
    """`run_sync(products: bool, customers: bool)` runs the sync; a run already in progress
    will see the change anyway (it reads HubSpot after this delivery)."""
    if not verify_v3_signature(method, uri, body, headers, secret, now_ms):
        return Delivery(401, message="bad or stale signature")
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
        if not store.record_delivery("hubspot", hubspot_event_key(event)):
            delivery.replays += 1
            continue
        delivery.applied += 1
        kind = str(event.get("subscriptionType", ""))
        products |= kind.startswith(HUBSPOT_PRODUCT_EVENTS)
        customers |= kind.startswith(HUBSPOT_CUSTOMER_EVENTS)
    _run(run_sync, products, customers, delivery)
    return delivery


def stripe_delivery(payload: bytes, signature: str, secret: str, store: LedgerStore,
                    run_sync) -> Delivery:
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret)
    except stripe.SignatureVerificationError:
        return Delivery(401, message="missing, bad or stale signature")
    except (ValueError, TypeError, AttributeError, RecursionError):
        # Signed, but not an event: not JSON, JSON that is not an object, absurd nesting.
        return Delivery(400, message="the payload is not a Stripe event")
    try:
        event_id, event_type = event["id"], event["type"]
    except KeyError:
        event_id = event_type = None
    if not event_id or not isinstance(event_id, str) or not isinstance(event_type, str):
        return Delivery(400, message="the payload is not a Stripe event (no id or type)")
    if not store.record_delivery("stripe", event_id):
        return Delivery(200, replays=1, message="already applied")
    area = STRIPE_EVENTS.get(event_type)
    delivery = Delivery(200, applied=1)
    _run(run_sync, area == "products", area == "customers", delivery)
    return delivery


def _run(run_sync, products: bool, customers: bool, delivery: Delivery) -> None:
    if not (products or customers):
        return
    try:
        run_sync(products, customers)
    except AlreadyRunning:
        # The running sync or the next one picks the change up: answer 200 so the sender does
        # not retry in a storm; the delivery is recorded.
        delivery.message = "a run is in progress; the change is picked up by the next run"
