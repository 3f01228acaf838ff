"""Contract: webhook deliveries of the run's real changes, through the app's webhook routes.

A laptop cannot receive Stripe's or HubSpot's calls. So the run changes its own objects,
takes the events Stripe recorded for them (`/v1/events`, as Stripe would have sent them),
signs each with the `stripe` library's own helper (`WebhookSignature.generate_signature_header`,
what `stripe.Webhook.construct_event` checks) and posts it to the local app; HubSpot's events
for the run's records are built in HubSpot's delivery format and signed with the v3 helper the
app checks with (backend/hubspot_signature.py). Each delivery is applied once, a second
delivery is a replay, a tampered one is refused, and the sync each one asks for is started as
a job (recorded here, not run: the sync works on the whole account, which a contract run must
not touch; test_contract_sync covers it on the run's records).
"""

import json
import time
from datetime import UTC, datetime

import pytest
import stripe
from contract_targets import needs

from backend.hubspot_signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign_v3

pytestmark = pytest.mark.contract

PUBLIC_BASE_URL = "https://journal.contract.test"   # the address the senders were given
STRIPE_SECRET = "whsec_contract_endpoint_secret"
HUBSPOT_SECRET = "contract-hubspot-app-secret"
SYNC_OF = {"customer.created": "sync_customers", "customer.updated": "sync_customers",
           "product.created": "sync_products", "price.created": None}


class RecordedNotRun:
    """A dispatcher keeping the actions the app starts, each closed at once unrun."""

    retries = False

    def __init__(self) -> None:
        self.actions: list[str] = []
        self.jobs = None   # the app's job store, set once the app exists

    def dispatch(self, job, execute, delay=0.0) -> None:
        from backend.jobs.model import DONE
        self.actions.append(job.action)
        self.jobs.finish(job.id, DONE, "ok", "non lancé (tests de contrat)", {},
                         datetime.now(UTC))


@pytest.fixture
def app(target, tmp_path):
    from backend.auth.companies import Companies, Company
    from backend.core.settings import Settings
    from backend.secrets import MemorySecrets
    from backend.store.ledger import LedgerStore
    from backend.web import create_app
    store = LedgerStore(f"sqlite:///{tmp_path / 'ledger.db'}")
    store.migrate()
    company = Company(target.run.label, "Contrat", "sheet-contract",
                      frozenset({"compta@example.com"}),
                      {"stripe_webhook": "stripe-webhook", "hubspot_webhook": "hubspot-app"},
                      (), Settings())
    dispatcher = RecordedNotRun()
    made = create_app({
        "TESTING": True, "COMPANIES": Companies([company]),
        "SECRETS": MemorySecrets({"stripe-webhook": STRIPE_SECRET, "hubspot-app": HUBSPOT_SECRET}),
        "LEDGER_STORE": store, "DISPATCHER": dispatcher, "ID_TOKEN_AUDIENCES": ["contract"],
        "SERVICE_AUDIENCE": PUBLIC_BASE_URL, "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "SERVICE_ACCOUNTS": [], "GOOGLE_CERTS_URL": "http://127.0.0.1:9/certs"})
    dispatcher.jobs = made.extensions["journal"].job_store()
    made.dispatcher = dispatcher
    made.path = lambda source: f"/webhooks/{source}/{target.run.label}"
    yield made
    store.close()


@needs("stripe")
def test_stripe_webhooks(target, app):
    run = target.run
    customer = target.customer(f"Contrat {run.short}", f"contrat+{run.short}@example.com")
    target.stripe.v1.customers.update(customer, params={"name": f"Contrat {run.short} SA"})
    product, price = target.product(f"Bureau contrat {run.short}", "706100",
                                    ("BUREAUX", "CONTRAT", "TEST"), 10_000)
    events = target.events_for({customer, product, price}, sorted(SYNC_OF), expected=4)
    assert sorted(e["type"] for e in events) == sorted(SYNC_OF)

    client = app.test_client()

    def deliver(payload: str, header: str):
        answer = client.post(app.path("stripe"), data=payload.encode("utf-8"),
                             headers={"Stripe-Signature": header},
                             content_type="application/json")
        return answer.status_code, answer.get_json()

    for event in events:
        payload = json.dumps(event, ensure_ascii=False, indent=2)
        header = stripe.WebhookSignature.generate_signature_header(payload, STRIPE_SECRET)
        started = len(app.dispatcher.actions)
        status, body = deliver(payload, header)
        assert (status, body["applied"]) == (200, 1), (event["type"], body)
        wanted = SYNC_OF[event["type"]]
        assert app.dispatcher.actions[started:] == ([wanted] if wanted else []), event["type"]
        status, body = deliver(payload, header)                   # Stripe retries: a replay
        assert (status, body["replays"], body["applied"]) == (200, 1, 0)
        tampered = payload.replace(event["id"], event["id"] + "x")
        assert deliver(tampered, header)[0] == 401
        stale = stripe.WebhookSignature.generate_signature_header(
            payload, STRIPE_SECRET, timestamp=int(time.time()) - 3600)
        assert deliver(payload, stale)[0] == 401
        assert app.dispatcher.actions[started:] == ([wanted] if wanted else [])


@needs("hubspot")
def test_hubspot_webhooks(target, app):
    run = target.run
    company = target.hubspot_record("companies", {"name": f"{run.hubspot_prefix}Société Contrat"})
    product = target.hubspot_record("products", {"name": f"{run.hubspot_prefix}Bureau contrat",
                                                 "price": "100.00"})
    target.hubspot_update("companies", company, {"city": "Lyon"})
    target.hubspot_update("products", product, {"price": "120.00"})
    now_ms = int(time.time() * 1000)
    # As HubSpot delivers them (a JSON array, up to 100 events); the portal id is not known
    # to the test and any constant will do: each event is known by all its fields together.
    events = [{"eventId": 1, "subscriptionId": 1, "portalId": 0, "appId": 0,
               "occurredAt": now_ms - 1000, "subscriptionType": "company.propertyChange",
               "attemptNumber": 0, "objectId": int(company), "changeSource": "CRM",
               "propertyName": "city", "propertyValue": "Lyon"},
              {"eventId": 2, "subscriptionId": 2, "portalId": 0, "appId": 0,
               "occurredAt": now_ms - 500, "subscriptionType": "product.propertyChange",
               "attemptNumber": 0, "objectId": int(product), "changeSource": "CRM",
               "propertyName": "price", "propertyValue": "120.00"}]
    body = json.dumps(events).encode("utf-8")
    path = app.path("hubspot")
    client = app.test_client()

    def deliver(data: bytes, stamp: int = now_ms, signed: bytes | None = None):
        headers = {SIGNATURE_HEADER: sign_v3("POST", PUBLIC_BASE_URL + path,
                                             body if signed is None else signed, stamp,
                                             HUBSPOT_SECRET),
                   TIMESTAMP_HEADER: str(stamp)}
        answer = client.post(path, data=data, headers=headers, content_type="application/json")
        return answer.status_code, answer.get_json()

    assert deliver(body) == (200, {"applied": 2, "replays": 0, "message": ""})
    assert sorted(app.dispatcher.actions) == ["sync_customers", "sync_products"]
    retried = json.dumps([dict(e, attemptNumber=1) for e in events]).encode("utf-8")
    assert deliver(retried, signed=retried)[1]["replays"] == 2     # HubSpot's retry
    assert deliver(body.replace(b"Lyon", b"Nice"))[0] == 401       # signed over other bytes
    assert deliver(body, stamp=now_ms - 10 * 60 * 1000)[0] == 401  # older than five minutes
    assert len(app.dispatcher.actions) == 2
