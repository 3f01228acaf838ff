"""Webhook deliveries reach the sync through the web layer: signature checked, applied once,
no ID token needed (the signature is the proof)."""

import json
import time

from conftest import PUBLIC_BASE_URL


def test_hubspot_delivery_starts_the_sync_once(web):
    url = PUBLIC_BASE_URL + "/webhooks/hubspot/demo"      # as HubSpot signs it
    event = web.sandbox.hubspot.event("product.propertyChange", "4177006901", "price", "12")
    body, headers = web.sandbox.hubspot.signed_delivery([event], url)
    answer = web.client.post("/webhooks/hubspot/demo", data=body, headers=headers,
                             content_type="application/json")
    assert answer.status_code == 200 and answer.get_json()["applied"] == 1
    deadline = time.time() + 20
    while "Historique" not in web.sheet() and time.time() < deadline:
        time.sleep(0.1)
    history = web.sheet()["Historique"]
    assert history[-1][1:3] == ["webhook HubSpot", "Synchronisation HubSpot–Stripe"]
    again = web.client.post("/webhooks/hubspot/demo", data=body, headers=headers,
                            content_type="application/json")
    assert again.status_code == 200 and again.get_json()["replays"] == 1
    tampered = web.client.post("/webhooks/hubspot/demo", data=body.replace(b"12", b"13"),
                               headers=headers, content_type="application/json")
    assert tampered.status_code == 401


def test_stripe_delivery_checked_and_applied_once(web):
    event = {"id": "evt_web_1", "object": "event", "type": "product.updated",
             "created": int(time.time()), "data": {"object": {"id": "prod_x", "object": "product"}},
             "api_version": "2026-10-28.endive", "livemode": False, "pending_webhooks": 1,
             "request": {"id": None, "idempotency_key": None}}
    payload, signature = web.sandbox.stripe.signed_webhook(event)
    post = lambda p, s: web.client.post("/webhooks/stripe/demo", data=p,  # noqa: E731
                                        headers={"Stripe-Signature": s},
                                        content_type="application/json")
    assert post(payload, signature).get_json()["applied"] == 1
    assert post(payload, signature).get_json()["replays"] == 1
    assert post(json.dumps({**event, "id": "evt_web_2"}).encode(), signature).status_code == 401
    # An unknown company and a company without a webhook secret are refused like a bad
    # signature (tests/web/test_webhook_hardening_routes.py: the very same answer).
    assert web.client.post("/webhooks/stripe/nobody", data=payload,
                           headers={"Stripe-Signature": signature}).status_code == 401
    assert web.client.post("/webhooks/stripe/atelier", data=payload,
                           headers={"Stripe-Signature": signature}).status_code == 401


def test_hubspot_events_are_told_apart_by_more_than_their_id(web):
    """HubSpot's eventId is not guaranteed unique: a new change sharing one with an older
    event is applied; the same event sent again (a retry counts its attempts) is a replay."""
    url = PUBLIC_BASE_URL + "/webhooks/hubspot/demo"      # as HubSpot signs it
    hub = web.sandbox.hubspot

    def send(event):
        body, headers = hub.signed_delivery([event], url)
        return web.client.post("/webhooks/hubspot/demo", data=body, headers=headers,
                               content_type="application/json").get_json()

    first = hub.event("company.propertyChange", "101", "city", "Lyon")
    other = dict(hub.event("company.propertyChange", "102", "city", "Nantes"),
                 eventId=first["eventId"])
    assert send(first)["applied"] == 1
    assert send(other)["applied"] == 1
    assert send(dict(first, attemptNumber=1))["replays"] == 1


def test_stripe_document_events_start_one_generation_after_the_delay(make_web):
    """Issue 14: an invoice finalized and another voided, delivered together, make one
    generation, started by the worker thread's timer once the coalescing delay is over
    (tests/test_webhook_generation.py shows the burst of a hundred, the replay and the run
    that follows a late event)."""
    from backend.jobs.dispatch import ThreadDispatcher
    web = make_web(DISPATCHER=(dispatcher := ThreadDispatcher()), WEBHOOK_COALESCE_SECONDS=3)
    stripe = web.sandbox.stripe
    now = int(time.time())
    draft = next(i for i in stripe.stores["invoices"].all() if i["status"] == "draft")
    stripe.finalize_invoice(draft["id"], now)
    stripe.void_invoice(next(i for i in stripe.stores["invoices"].all()
                             if i["status"] == "open")["id"], now)
    events = [e for e in stripe.stores["events"].all()
              if e["type"] in ("invoice.finalized", "invoice.voided")]
    started = time.monotonic()
    for event in events:
        payload, signature = stripe.signed_webhook(event)
        answer = web.client.post("/webhooks/stripe/demo", data=payload,
                                 headers={"Stripe-Signature": signature},
                                 content_type="application/json")
        assert answer.status_code == 200 and answer.get_json()["applied"] == 1
    # One job for both events (queued for the delay; "running" only on a machine so loaded
    # that the two posts took longer than it).
    [job] = web.backend.job_store().latest("demo")
    assert (job.action, job.trigger) == ("generate", "webhook Stripe")
    assert job.state in ("queued", "running")
    dispatcher.wait(60)
    [job] = web.backend.job_store().latest("demo")
    assert job.state == "done" and time.monotonic() - started >= 3
    sheet = web.sheet()
    assert [row[1:3] for row in sheet["Historique"][1:]] == [
        ["webhook Stripe", "Génération des écritures"]]
    header, *rows = sheet["Écritures"]
    assert draft["id"] in {row[header.index("Ref. Pièce")] for row in rows}
