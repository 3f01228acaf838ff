"""Issue 13, part 6, at the routes: the webhook URLs do not tell which companies exist (an
unknown company, a company without that webhook and a bad signature get one same answer),
an unsigned Stripe body that is not UTF-8 gets that answer too, one company's delivery id
does not block another's, and a Google ID token issued to another client (`azp`) is refused.
(Below the web layer: tests/test_webhook_hardening.py.)"""

from __future__ import annotations

import json
import time

import pytest
from conftest import (
    CLIENT_ID,
    HUBSPOT_SECRET,
    PUBLIC_BASE_URL,
    STRIPE_SECRET,
    demo_companies,
)
from hubspot.utils.signature import Signature

from backend.auth.companies import Companies, Company
from backend.hubspot_signature import SIGNATURE_HEADER, TIMESTAMP_HEADER
from backend.secrets import MemorySecrets

STRIPE_WEBHOOK_SECRET = "whsec_sandbox"        # the demo company's (tests/web/conftest.py)
HUBSPOT_APP_SECRET = "hubspot-secret"


def stripe_event(event_id: str, kind: str = "invoice.created") -> dict:
    return {"id": event_id, "object": "event", "type": kind, "created": int(time.time()),
            "data": {"object": {"id": "in_x", "object": "invoice"}},
            "api_version": "2026-10-28.endive", "livemode": False, "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None}}


def post_stripe(web, company: str, payload: bytes, signature: str | None):
    headers = {"Stripe-Signature": signature} if signature is not None else {}
    return web.client.post(f"/webhooks/stripe/{company}", data=payload, headers=headers,
                           content_type="application/json")


def post_hubspot(web, company: str, body: bytes, headers: dict):
    return web.client.post(f"/webhooks/hubspot/{company}", data=body, headers=headers,
                           content_type="application/json")


def answer_of(response) -> tuple:
    return response.status_code, response.get_data(), response.headers.get("WWW-Authenticate")


# --- No company enumeration ---------------------------------------------------------------

def test_stripe_refusals_are_one_answer_whatever_the_company(web):
    payload, signature = web.sandbox.stripe.signed_webhook(stripe_event("evt_enum"),
                                                           secret="whsec_an_intruder_s_own")
    answers = {
        "bad signature, known company": post_stripe(web, "demo", payload, signature),
        "no signature, known company": post_stripe(web, "demo", payload, None),
        "unknown company": post_stripe(web, "nobody", payload, signature),
        "unknown company, no signature": post_stripe(web, "nobody", payload, None),
        "company without a Stripe webhook": post_stripe(web, "atelier", payload, signature),
    }
    seen = {name: answer_of(response) for name, response in answers.items()}
    assert len(set(seen.values())) == 1, seen
    status, body, _ = next(iter(seen.values()))
    assert status == 401 and json.loads(body)["applied"] == 0


def test_hubspot_refusals_are_one_answer_whatever_the_company(web):
    hub = web.sandbox.hubspot
    event = hub.event("product.propertyChange", "4177006901", "price", "12")

    def signed(company: str, secret: str):
        return hub.signed_delivery([event], f"{PUBLIC_BASE_URL}/webhooks/hubspot/{company}",
                                   secret=secret)

    answers = {
        "bad signature, known company": post_hubspot(web, "demo", *signed("demo", "not-it")),
        "unknown company": post_hubspot(web, "nobody", *signed("nobody", "not-it")),
        # signed with the demo company's real secret, for a URL of a company without a webhook
        "company without a HubSpot webhook": post_hubspot(
            web, "atelier", *signed("atelier", HUBSPOT_APP_SECRET)),
        "unknown company, the demo's secret": post_hubspot(
            web, "nobody", *signed("nobody", HUBSPOT_APP_SECRET)),
    }
    seen = {name: answer_of(response) for name, response in answers.items()}
    assert len(set(seen.values())) == 1, seen
    assert next(iter(seen.values()))[0] == 401


def test_the_stripe_refusal_is_the_hubspot_refusal(web):
    stripe_answer = post_stripe(web, "nobody", b"{}", None)
    hubspot_answer = post_hubspot(web, "nobody", b"[]", {})
    assert answer_of(stripe_answer) == answer_of(hubspot_answer)


def test_a_refused_delivery_for_an_unknown_company_records_and_starts_nothing(web):
    payload, signature = web.sandbox.stripe.signed_webhook(stripe_event("evt_nobody",
                                                                        "product.updated"))
    assert post_stripe(web, "nobody", payload, signature).status_code == 401
    assert web.backend.job_store().latest("demo", 10) == []
    # The demo company, which has the secret, still gets its delivery applied.
    assert post_stripe(web, "demo", payload, signature).get_json()["applied"] == 1


# --- Stripe: the signature before the body ------------------------------------------------

@pytest.mark.parametrize("payload", [b"\xff\xfe\x00{", b'{"id": "evt_\xe9"}'])
def test_an_unsigned_body_that_is_not_utf8_gets_the_refusal_not_a_400(web, payload):
    refusal = answer_of(post_stripe(web, "demo", b"{}", None))
    assert refusal[0] == 401
    assert answer_of(post_stripe(web, "demo", payload, None)) == refusal
    assert answer_of(post_stripe(web, "demo", payload, f"t={int(time.time())},v1={'0' * 64}")) \
        == refusal
    assert answer_of(post_stripe(web, "nobody", payload, None)) == refusal


# --- Deliveries keyed by company ----------------------------------------------------------

def two_webhook_companies() -> Companies:
    demo, atelier = list(demo_companies())
    atelier = Company(atelier.id, atelier.name, atelier.spreadsheet_id, atelier.allowed_emails,
                      {**atelier.secrets, "stripe_webhook": "atelier-stripe-webhook-secret"},
                      atelier.client_ids, atelier.settings)
    return Companies([demo, atelier])


def test_one_event_id_delivered_to_two_companies_is_applied_for_each(make_web):
    web = make_web(COMPANIES=two_webhook_companies(), SECRETS=MemorySecrets({
        "demo-stripe-key": STRIPE_SECRET, "demo-hubspot-token": HUBSPOT_SECRET,
        "demo-hubspot-app-secret": HUBSPOT_APP_SECRET,
        "demo-stripe-webhook-secret": STRIPE_WEBHOOK_SECRET,
        "atelier-stripe-key": "sk_test_atelier_key_not_in_sandbox",
        "atelier-stripe-webhook-secret": "whsec_atelier"}))
    event = stripe_event("evt_shared")      # an invoice event: recorded, starts no sync
    for company, secret in (("demo", STRIPE_WEBHOOK_SECRET), ("atelier", "whsec_atelier")):
        payload, signature = web.sandbox.stripe.signed_webhook(event, secret=secret)
        first = post_stripe(web, company, payload, signature).get_json()
        again = post_stripe(web, company, payload, signature).get_json()
        assert (first["applied"], again["replays"]) == (1, 1), (company, first, again)


# --- azp: the client the token was issued to ----------------------------------------------

def jobs_started(web) -> int:
    return len(web.backend.job_store().latest("demo", 100))


def test_a_token_issued_to_another_client_is_refused(web, caplog):
    answer = web.post("/actions/validate", azp="another-app.apps.googleusercontent.com")
    assert answer.status_code == 403 and answer.get_json()["code"] == "forbidden"
    assert jobs_started(web) == 0
    assert "authorized party another-app.apps.googleusercontent.com" in caplog.text


def test_a_token_without_azp_or_issued_to_our_client_is_served(web):
    assert web.post("/actions/validate", azp=None).status_code == 202            # no azp
    assert web.post("/actions/validate", azp=CLIENT_ID).status_code in (202, 409)


def test_azp_is_checked_against_the_company_s_own_client_ids(make_web):
    """A company that lists its own client ids: a token whose audience is one of them but
    which was issued to the other company's client is refused."""
    own, other = "111-own.apps.googleusercontent.com", "222-other.apps.googleusercontent.com"
    demo, atelier = list(demo_companies())
    demo = Company(demo.id, demo.name, demo.spreadsheet_id, demo.allowed_emails, demo.secrets,
                   (own,), demo.settings)
    web = make_web(COMPANIES=Companies([demo, atelier]), ID_TOKEN_AUDIENCES=[own, other])
    assert web.post("/actions/validate", audience=own, azp=other).status_code == 403
    assert web.post("/actions/validate", audience=own, azp=own).status_code == 202


# --- HubSpot: what the sandbox signs is what the route accepts, escapes included ----------

def test_a_hubspot_delivery_to_a_url_with_escapes_is_accepted(web):
    path = "/webhooks/hubspot/demo?at=09%3A30&who=a%40b&n=a%20b"
    event = web.sandbox.hubspot.event("company.propertyChange", "101", "city", "Lyon")
    body, headers = web.sandbox.hubspot.signed_delivery([event], PUBLIC_BASE_URL + path)
    accepted = web.client.post(path, data=body, headers=headers, content_type="application/json")
    assert accepted.status_code == 200 and accepted.get_json()["applied"] == 1
    # Signed over the URI as sent (the library's way): refused.
    now_ms = int(time.time() * 1000)
    raw = {SIGNATURE_HEADER: Signature.get_signature(HUBSPOT_APP_SECRET, body.decode(), "v3",
                                                     PUBLIC_BASE_URL + path, "POST", str(now_ms)),
           TIMESTAMP_HEADER: str(now_ms)}
    refused = web.client.post(path, data=body, headers=raw, content_type="application/json")
    assert refused.status_code == 401
