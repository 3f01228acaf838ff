"""Webhook signatures are checked against the service's public address (PUBLIC_BASE_URL) plus
the path and query as received, never against the Host header or X-Forwarded-*: the app is
served by gunicorn as app.yaml starts it, behind a front end that rewrites scheme and host as
App Engine's does (tests/web/proxy.py), and the senders sign the https address they were given.
"""

from __future__ import annotations

import http.client
import logging
import time
from urllib.parse import urlsplit

import pytest
import requests
from conftest import PUBLIC_BASE_URL, make_config
from proxy import FrontEnd

from backend.web import create_app
from stress.serve import Gunicorn

# As configured in the HubSpot app: a query too, with an escape HubSpot decodes before signing
# (%3A) and one it keeps (%20).
TARGET = "/webhooks/hubspot/demo?portal=42&note=a%20b%3Ac"


@pytest.fixture
def served(issuer, sandbox, ledger):
    """The app under gunicorn (2 workers of 8 threads, as app.yaml), then the front end."""
    config = make_config(issuer, sandbox, ledger)
    config.pop("LEDGER_STORE")
    config.pop("DISPATCHER")
    config["DATABASE_URL"] = ledger.engine.url.render_as_string(hide_password=False)
    with Gunicorn(config) as app, FrontEnd(app.url) as front:
        yield app, front


def hubspot_delivery(sandbox, signed_for: str, event_id: int) -> tuple[bytes, dict]:
    # deal.creation: recorded when applied, but starts no sync (nothing to wait for).
    event = dict(sandbox.hubspot.event("deal.creation", 7), eventId=event_id)
    return sandbox.hubspot.signed_delivery([event], signed_for, secret="hubspot-secret")


def stripe_delivery(sandbox, event_id: str) -> tuple[bytes, dict]:
    event = {"id": event_id, "object": "event", "type": "invoice.created",
             "created": int(time.time()), "api_version": "2026-10-28.endive", "livemode": False,
             "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None},
             "data": {"object": {"id": "in_proxied", "object": "invoice"}}}
    payload, signature = sandbox.stripe.signed_webhook(event, secret="whsec_sandbox")
    return payload, {"Stripe-Signature": signature, "Content-Type": "application/json"}


def test_deliveries_signed_for_the_public_https_address_pass_the_front_end(served, sandbox):
    app, front = served
    body, headers = hubspot_delivery(sandbox, PUBLIC_BASE_URL + TARGET, 1)
    answer = requests.post(front.url + TARGET, data=body, headers=headers, timeout=30)
    assert (answer.status_code, answer.json()["applied"]) == (200, 1)
    # The app was reached as in production: the instance's host, https said by a header.
    method, target, seen = front.seen[-1]
    assert target == TARGET and seen["Host"] == app.url.removeprefix("http://")
    assert seen["X-Forwarded-Proto"] == "https"

    payload, stripe_headers = stripe_delivery(sandbox, "evt_proxied_1")
    answer = requests.post(front.url + "/webhooks/stripe/demo", data=payload,
                           headers=stripe_headers, timeout=30)
    assert (answer.status_code, answer.json()["applied"]) == (200, 1)


def test_a_delivery_signed_for_the_address_the_app_sees_is_refused(served, sandbox):
    """What the app sees behind the front end (its instance's host, http or the https that
    X-Forwarded-Proto claims) is not what HubSpot signed: refused."""
    app, front = served
    seen_host = app.url.removeprefix("http://")
    for n, scheme in enumerate(("http", "https")):
        body, headers = hubspot_delivery(sandbox, f"{scheme}://{seen_host}{TARGET}", 10 + n)
        answer = requests.post(front.url + TARGET, data=body, headers=headers, timeout=30)
        assert answer.status_code == 401, scheme


def test_host_and_forwarded_headers_cannot_choose_the_signed_address(served, sandbox):
    """Anyone can send Host and X-Forwarded-*: a delivery signed for the address they name,
    sent straight to the instance with those headers, is refused."""
    app, _ = served
    forged = "https://intruder.example" + TARGET
    body, headers = hubspot_delivery(sandbox, forged, 20)
    headers.update({"Host": "intruder.example", "X-Forwarded-Host": "intruder.example",
                    "X-Forwarded-Proto": "https", "X-Forwarded-Port": "443",
                    "Forwarded": "for=1.2.3.4;host=intruder.example;proto=https"})
    answer = requests.post(app.url + TARGET, data=body, headers=headers, timeout=30)
    assert answer.status_code == 401
    # Nor can a request line in absolute form: only its path and query count.
    assert post_absolute(app.url, forged, *hubspot_delivery(sandbox, forged, 21)) == 401
    public = PUBLIC_BASE_URL + TARGET
    assert post_absolute(app.url, forged, *hubspot_delivery(sandbox, public, 22)) == 200


def post_absolute(server: str, target: str, body: bytes, headers: dict) -> int:
    """POST with `target` as the request line's absolute-form URI (as to a proxy)."""
    parts = urlsplit(server)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("POST", target, body=body, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


def test_the_target_is_signed_as_received_not_as_rebuilt(web):
    """The path and query as the request line carried them: escapes that werkzeug would decode
    when it rebuilds the URL (%64 in the path, %7E and %5B in the query) and HubSpot keeps, one
    HubSpot decodes given in lower case (%3a), and the order of the parameters."""
    target = "/webhooks/hubspot/%64emo?ref=%5Bq%5D%7E&b=x%3ay&a=a%20b"
    body, headers = hubspot_delivery(web.sandbox, PUBLIC_BASE_URL + target, 30)
    answer = web.client.post(target, data=body, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    # Signed for the same parameters in another order: another URL.
    other = "/webhooks/hubspot/%64emo?b=x%3ay&ref=%5Bq%5D%7E&a=a%20b"
    body, headers = hubspot_delivery(web.sandbox, PUBLIC_BASE_URL + other, 31)
    assert web.client.post(target, data=body, headers=headers).status_code == 401


def test_public_base_url_defaults_to_service_audience(make_web):
    """On App Engine both are the service's address; an audience that is not one is ignored."""
    web = make_web(PUBLIC_BASE_URL="", SERVICE_AUDIENCE="https://p.ew.r.appspot.com/")
    signed_for = "https://p.ew.r.appspot.com/webhooks/hubspot/demo"
    body, headers = hubspot_delivery(web.sandbox, signed_for, 40)
    assert web.client.post("/webhooks/hubspot/demo", data=body, headers=headers).status_code == 200
    web = make_web(PUBLIC_BASE_URL="", SERVICE_AUDIENCE="journal-backend")
    body, headers = hubspot_delivery(web.sandbox, "http://localhost/webhooks/hubspot/demo", 41)
    assert web.client.post("/webhooks/hubspot/demo", data=body, headers=headers).status_code == 200


@pytest.mark.parametrize("value, production", [
    ("journal.example.com", False),                      # no scheme
    ("https://journal.example.com/hooks", False),        # a path: not a base
    ("https://journal.example.com?x=1", False),
    ("ftp://journal.example.com", False),
    ("http://journal.example.com", True),                # production is https only
])
def test_a_malformed_public_base_url_stops_the_start(issuer, sandbox, ledger, value, production):
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        create_app(make_config(issuer, sandbox, ledger, PUBLIC_BASE_URL=value,
                               PRODUCTION=production))


def test_in_production_without_a_public_address_hubspot_deliveries_wait(make_web, caplog):
    """No PUBLIC_BASE_URL and no SERVICE_AUDIENCE to fall back on: HubSpot deliveries are
    answered 503 (HubSpot sends them again once the address is configured), with the reason in
    the log; Stripe's, whose signature does not cover the address, go through."""
    web = make_web(PRODUCTION=True, PUBLIC_BASE_URL="", SERVICE_AUDIENCE="")
    body, headers = hubspot_delivery(web.sandbox, "http://localhost/webhooks/hubspot/demo", 50)
    with caplog.at_level(logging.WARNING):
        answer = web.client.post("/webhooks/hubspot/demo", data=body, headers=headers)
    assert answer.status_code == 503
    assert any("PUBLIC_BASE_URL" in r.getMessage() for r in caplog.records)
    payload, stripe_headers = stripe_delivery(web.sandbox, "evt_unconfigured_1")
    assert web.client.post("/webhooks/stripe/demo", data=payload,
                           headers=stripe_headers).status_code == 200


def test_locally_without_a_public_address_the_request_url_is_used(make_web):
    web = make_web(PUBLIC_BASE_URL="", SERVICE_AUDIENCE="")
    body, headers = hubspot_delivery(web.sandbox, "http://localhost/webhooks/hubspot/demo", 60)
    assert web.client.post("/webhooks/hubspot/demo", data=body, headers=headers).status_code == 200
