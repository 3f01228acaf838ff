"""The Stripe sandbox delivers its events to its webhook endpoints as Stripe does: a signed
POST (`stripe.WebhookSignature.verify_header` accepts it) with Stripe's headers, from worker
threads (a slow receiver does not slow the API), to the endpoints enabled for the event's type
only, retried with backoff on a non-2xx answer or a timeout, never after a 2xx.

The receiver is a tiny HTTP server on loopback that answers each delivery with the status the
test scripted for it."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from backend.demo import build_demo_company
from backend.sandbox.faults import FaultPlan
from backend.sandbox.server import serve
from backend.sandbox.stripe_api import StripeSandbox
from backend.sandbox.stripe_deliveries import CONTENT_TYPE, USER_AGENT

KEY = "sk_test_sandbox"
SECRET = "whsec_deliveries_test_0001"
FAST_RETRIES = (0.05, 0.1, 0.2)     # Stripe's test mode: three retries over a few hours
GATE_TIMEOUT = 10                    # a gate nobody opens: the test has failed already


class Receiver:
    """Records every POST (path, headers, body, when) and answers from `script`: a list of
    (status, seconds to wait first) used in turn, the last one repeated. With `gate`, each
    answer also waits until the gate opens (so a test sees what happens meanwhile, with no
    clock); `in_flight`/`most_in_flight` count the requests waiting for their answer."""

    def __init__(self, script=((200, 0.0),), gate: threading.Event | None = None) -> None:
        self.script = list(script)
        self.gate = gate
        self.received: list[dict] = []
        self.answered = 0
        self.in_flight = self.most_in_flight = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    turn = len(receiver.received)
                    receiver.received.append({"path": self.path, "headers": dict(self.headers),
                                              "body": body, "at": time.time()})
                    status, pause = receiver.script[min(turn, len(receiver.script) - 1)]
                    receiver.in_flight += 1
                    receiver.most_in_flight = max(receiver.most_in_flight, receiver.in_flight)
                time.sleep(pause)
                if receiver.gate is not None:
                    receiver.gate.wait(GATE_TIMEOUT)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass      # the sender gave up waiting (a timeout): nobody to answer
                with receiver.lock:
                    receiver.in_flight -= 1
                    receiver.answered += 1

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    def bodies(self) -> list[dict]:
        with self.lock:
            return [json.loads(r["body"]) for r in self.received]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def company() -> dict:
    return build_demo_company()


@pytest.fixture
def sandbox(company):
    service = StripeSandbox(FaultPlan(), api_key=KEY)
    service.load(company)
    service.deliveries.retry_delays = FAST_RETRIES
    yield service
    service.deliveries.close()


@pytest.fixture
def receivers():
    made = []

    def make(script=((200, 0.0),), gate: threading.Event | None = None) -> Receiver:
        made.append(Receiver(script, gate))
        return made[-1]
    yield make
    for receiver in made:
        if receiver.gate is not None:
            receiver.gate.set()
        receiver.close()


def a_draft(company) -> dict:
    return next(inv for inv in company["invoices"] if inv["status"] == "draft")


def test_a_finalization_is_delivered_signed_with_stripe_s_headers(sandbox, company, receivers):
    receiver = receivers()
    endpoint = sandbox.add_webhook_endpoint(f"{receiver.url}/webhooks/stripe/demo",
                                            ["invoice.finalized"], secret=SECRET)
    assert endpoint["secret"] == SECRET
    draft = a_draft(company)
    sandbox.finalize_invoice(draft["id"], draft["created"] + 60)
    assert sandbox.deliveries.wait(5)
    [delivery] = receiver.received
    headers = {k.lower(): v for k, v in delivery["headers"].items()}
    assert delivery["path"] == "/webhooks/stripe/demo"
    assert headers["content-type"] == CONTENT_TYPE == "application/json; charset=utf-8"
    assert headers["user-agent"] == USER_AGENT == "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
    assert stripe.WebhookSignature.verify_header(delivery["body"].decode("utf-8"),
                                                 headers["stripe-signature"], SECRET, 300)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(delivery["body"].decode("utf-8"),
                                              headers["stripe-signature"], "whsec_other", 300)
    event = stripe.Webhook.construct_event(delivery["body"], headers["stripe-signature"], SECRET)
    assert event.type == "invoice.finalized" and event.data.object.id == draft["id"]
    assert event.data.object.status in ("open", "paid")
    # The event the API lists is the one delivered; its one endpoint was pending when it was
    # sent, and no longer is once it answered 2xx.
    sent, stored = json.loads(delivery["body"]), sandbox.get(event.id)
    assert sent["pending_webhooks"] == 1 and stored["pending_webhooks"] == 0
    assert dict(sent, pending_webhooks=0) == stored
    [attempt] = sandbox.deliveries.attempts()
    assert (attempt.event, attempt.endpoint, attempt.number, attempt.status) == (
        event.id, endpoint["id"], 1, 200)


def test_a_500_is_retried_with_a_fresh_signature_then_a_200_ends_it(sandbox, company,
                                                                     receivers):
    receiver = receivers([(500, 0.0), (503, 0.0), (200, 0.0)])
    sandbox.add_webhook_endpoint(receiver.url, ["invoice.finalized"], secret=SECRET)
    draft = a_draft(company)
    sandbox.finalize_invoice(draft["id"], draft["created"] + 60)
    assert sandbox.deliveries.wait(5)
    time.sleep(max(FAST_RETRIES) * 2)      # room for a wrong extra retry to show up
    assert [a.status for a in sandbox.deliveries.attempts()] == [500, 503, 200]
    assert [a.number for a in sandbox.deliveries.attempts()] == [1, 2, 3]
    assert len(receiver.received) == 3
    assert len({json.loads(r["body"])["id"] for r in receiver.received}) == 1   # one event
    gaps = [b["at"] - a["at"] for a, b in zip(receiver.received, receiver.received[1:])]
    assert gaps[0] >= FAST_RETRIES[0] and gaps[1] >= FAST_RETRIES[1], gaps   # backoff
    for delivery in receiver.received:    # each try is signed when it is sent
        assert stripe.WebhookSignature.verify_header(
            delivery["body"].decode("utf-8"), delivery["headers"]["Stripe-Signature"], SECRET,
            300)


def test_a_200_is_not_retried(sandbox, company, receivers):
    receiver = receivers([(200, 0.0)])
    sandbox.add_webhook_endpoint(receiver.url, ["*"], secret=SECRET)
    draft = a_draft(company)
    sandbox.finalize_invoice(draft["id"], draft["created"] + 60)
    assert sandbox.deliveries.wait(5)
    time.sleep(max(FAST_RETRIES) * 2)
    types = sorted(b["type"] for b in receiver.bodies())
    # `*`: every event, each once (a draft with nothing due is also paid at once).
    assert types in (["invoice.finalized"], ["invoice.finalized", "invoice.paid"])
    assert all(a.number == 1 for a in sandbox.deliveries.attempts())


def test_retries_stop_after_three_and_a_timeout_counts_as_a_failure(sandbox, company,
                                                                    receivers):
    sandbox.deliveries.timeout = 0.2
    receiver = receivers([(200, 0.6), (500, 0.0)])     # too slow, then failing for good
    sandbox.add_webhook_endpoint(receiver.url, ["invoice.finalized"], secret=SECRET)
    draft = a_draft(company)
    sandbox.finalize_invoice(draft["id"], draft["created"] + 60)
    assert sandbox.deliveries.wait(10)
    attempts = sandbox.deliveries.attempts()
    assert [a.status for a in attempts] == [None, 500, 500, 500]
    assert "timeout" in attempts[0].error.lower()
    assert len(receiver.received) == 1 + len(FAST_RETRIES)
    assert sandbox.get(attempts[0].event)["pending_webhooks"] == 1     # never delivered


def test_the_events_list_filters_on_delivery_success_as_stripe_does(sandbox, company,
                                                                   receivers):
    """`delivery_success=false`: the events still pending or failed at an endpoint."""
    failing = receivers([(500, 0.0)])
    sandbox.add_webhook_endpoint(failing.url, ["invoice.finalized"], secret=SECRET)
    draft = a_draft(company)
    sandbox.finalize_invoice(draft["id"], int(time.time()))     # within the 30 days kept
    assert sandbox.deliveries.wait(10)
    with serve(sandbox) as running:
        client = stripe.StripeClient(KEY, base_addresses={"api": running.url})
        # An event no endpoint is enabled for: nothing pending, so delivered.
        client.v1.customers.create(params={"name": "Client sans webhook"})
        failed = client.v1.events.list(params={"delivery_success": False, "limit": 100})
        delivered = client.v1.events.list(params={"delivery_success": True, "limit": 100})
    assert [e.type for e in failed.data] == ["invoice.finalized"]
    assert failed.data[0].data.object.id == draft["id"]
    assert [e.type for e in delivered.data] == ["customer.created"]


def test_an_endpoint_not_enabled_for_the_type_gets_nothing(sandbox, company, receivers):
    wanted, other, disabled = receivers(), receivers(), receivers()
    sandbox.add_webhook_endpoint(wanted.url, ["invoice.voided", "invoice.finalized"])
    sandbox.add_webhook_endpoint(other.url, ["customer.created", "invoice.voided"])
    sandbox.add_webhook_endpoint(disabled.url, ["*"], status="disabled")
    draft = a_draft(company)
    sandbox.finalize_invoice(draft["id"], draft["created"] + 60)
    assert sandbox.deliveries.wait(5)
    assert [b["type"] for b in wanted.bodies()] == ["invoice.finalized"]
    assert other.received == [] and disabled.received == []
    # The sandbox's own secret when none was given, as the creation's answer showed it.
    delivery = wanted.received[0]
    assert stripe.WebhookSignature.verify_header(
        delivery["body"].decode("utf-8"), delivery["headers"]["Stripe-Signature"],
        sandbox.webhook_secret, 300)


def test_a_group_wildcard_is_not_an_endpoint_s_event(sandbox):
    # Stripe's enabled_events: event types, or '*' for all of them ('invoice.*' filters the
    # events list, it does not enable an endpoint).
    with pytest.raises(ValueError, match="invoice"):
        sandbox.add_webhook_endpoint("http://127.0.0.1:9/x", ["invoice.*"])
    with pytest.raises(ValueError):
        sandbox.add_webhook_endpoint("http://127.0.0.1:9/x", [])


def test_no_endpoint_no_delivery_and_no_thread(sandbox, company):
    draft = a_draft(company)
    sandbox.finalize_invoice(draft["id"], draft["created"] + 60)
    assert sandbox.deliveries.pending() == 0 and sandbox.deliveries.attempts() == []
    assert sandbox.deliveries.threads() == 0
    assert sandbox.stores["events"].all()[0]["pending_webhooks"] == 0


def test_a_disabled_endpoint_gets_no_more_retries(sandbox, company, receivers):
    gate = threading.Event()
    receiver = receivers([(500, 0.0)], gate=gate)     # its 500 comes once the gate opens
    endpoint = sandbox.add_webhook_endpoint(receiver.url, ["invoice.finalized"])
    draft = a_draft(company)
    sandbox.finalize_invoice(draft["id"], draft["created"] + 60)
    deadline = time.monotonic() + GATE_TIMEOUT / 2
    while not receiver.received and time.monotonic() < deadline:
        time.sleep(0.01)
    # Disabled while the first try waits for its answer: the retry after the 500 is dropped.
    stored = dict(sandbox.get(endpoint["id"]), status="disabled")
    sandbox.add(stored)
    gate.set()
    assert sandbox.deliveries.wait(5)
    assert len(receiver.received) == 1


def test_a_slow_receiver_does_not_slow_the_api(sandbox, receivers):
    gate = threading.Event()
    receiver = receivers(gate=gate)            # answers only once the test opens the gate
    sandbox.add_webhook_endpoint(receiver.url, ["customer.created"])
    with serve(sandbox) as running:
        client = stripe.StripeClient(KEY, base_addresses={"api": running.url})
        customers = [client.v1.customers.create(params={"name": f"Client {i}"})
                     for i in range(3)]
        # Every API call has returned while no delivery has had its answer: the API does
        # not wait for the receivers.
        assert receiver.answered == 0
        gate.set()
        assert sandbox.deliveries.wait(10)
    assert sorted(b["data"]["object"]["id"] for b in receiver.bodies()) \
        == sorted(c.id for c in customers)
    # Created by an API request: the delivered event names it, as Stripe's does.
    assert all(b["request"]["id"].startswith("req_") for b in receiver.bodies())


def test_a_burst_is_delivered_side_by_side_not_one_at_a_time(sandbox, company, receivers):
    gate = threading.Event()
    receiver = receivers(gate=gate)
    sandbox.add_webhook_endpoint(receiver.url, ["invoice.voided"])
    open_ones = [inv for inv in company["invoices"] if inv["status"] == "open"][:8]
    assert len(open_ones) == 8
    for invoice in open_ones:
        sandbox.void_invoice(invoice["id"], invoice["created"] + 60)
    # With no answer given yet, more than one delivery is waiting for its answer: they do not
    # wait for one another (one at a time, the second would come only after the gate).
    deadline = time.monotonic() + GATE_TIMEOUT / 2
    while receiver.most_in_flight < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert receiver.most_in_flight >= 2, "deliveries waited for one another"
    gate.set()
    assert sandbox.deliveries.wait(10)
    assert len(receiver.received) == 8
