"""Webhook deliveries an intruder can send: unsigned, badly signed, stale, misaddressed or
replayed (WEBHOOK_INTRUDERS). Every refusal is the same 401 with the same body, whether the
company exists, has that webhook, or the signature is wrong (issue 13): the webhook URLs tell
nobody which company ids exist."""

from __future__ import annotations

import base64
import time
from datetime import datetime, timezone

from stress.intruders.context import Attempt, Context, Intruder, Route, _bearer, _send
from stress.world import CLIENT_ID, HUBSPOT_APP_SECRET, SERVICE_AUDIENCE, STRIPE_WEBHOOK_SECRET

# The World's public address, which HubSpot is given and signs for: its app sets no
# PUBLIC_BASE_URL, so SERVICE_AUDIENCE is it (backend/web/config.py), not the transport's.
PUBLIC_BASE_URL = SERVICE_AUDIENCE


def _delivery(ctx: Context, route: Route, company: str, *, secret: str | None = None,
              stamp: float | None = None, event_id: int | None = None,
              signed_company: str | None = None, quiet: bool = False,
              occurred: float | None = None, signed_base: str = PUBLIC_BASE_URL
              ) -> tuple[bytes, dict, int]:
    """A delivery of one change, signed as the source signs it; `signed_base` and
    `signed_company` the URL the signature covers (HubSpot signs it: the public address).
    A product change, which starts a sync when applied; `quiet` (the replays), unless
    `ctx.sync_events`, a change that starts none (applying it records the delivery all the
    same, which is what the replay check watches) to save the syncs.
    `occurred`: when the change happened (HubSpot; the same event sent again repeats it)."""
    sandbox = ctx.world.sandbox
    n = ctx.next_event() if event_id is None else event_id
    now = time.time() if stamp is None else stamp
    if route.family == "stripe":
        kind = "invoice.created" if quiet and not ctx.sync_events else "product.updated"
        event = {"id": f"evt_intruder_{n}", "object": "event", "type": kind,
                 "created": int(now), "api_version": "2026-10-28.endive", "livemode": False,
                 "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None},
                 "data": {"object": {"id": "prod_intruder", "object": "product"}}}
        payload, signature = sandbox.stripe.signed_webhook(
            event, timestamp=int(now), secret=STRIPE_WEBHOOK_SECRET if secret is None else secret)
        return payload, {"Stripe-Signature": signature, "Content-Type": "application/json"}, n
    at = None if occurred is None else datetime.fromtimestamp(occurred, timezone.utc)
    event = (sandbox.hubspot.event("deal.creation", 1, occurred_at=at)
             if quiet and not ctx.sync_events
             else sandbox.hubspot.event("product.propertyChange", 1, "price", "12", occurred_at=at))
    event["eventId"] = 10_000_000 + n
    uri = signed_base + route.paths(ctx, False)[0].format(company=signed_company or company)
    body, headers = sandbox.hubspot.signed_delivery(
        [event], uri, timestamp_ms=int(now * 1000),
        secret=HUBSPOT_APP_SECRET if secret is None else secret)
    return body, headers, n


def _unsigned(headers: dict) -> dict:
    return {k: v for k, v in headers.items()
            if k.lower().startswith(("content-type", "user-agent"))}


def _webhook_intruder(name: str, status: int, build, families=("hubspot", "stripe"),
                      full_only: bool = False) -> Intruder:
    return Intruder(name, {f: status for f in families}, build, full_only)


def _w_no_signature(ctx, route, path):
    body, headers, _ = _delivery(ctx, route, "demo")
    return Attempt(_unsigned(headers), data=body)


def _w_other_secret(ctx, route, path):
    body, headers, _ = _delivery(ctx, route, "demo", secret="whsec_not_the_right_one_0000")
    return Attempt(headers, data=body)


def _w_garbage(ctx, route, path):
    body, headers, _ = _delivery(ctx, route, "demo")
    if route.family == "stripe":
        headers["Stripe-Signature"] = f"t={int(time.time())},v1={'0' * 64}"
    else:
        headers["X-HubSpot-Signature-v3"] = base64.b64encode(b"\0" * 32).decode()
    return Attempt(headers, data=body)


def _w_other_body(ctx, route, path):
    _, headers, _ = _delivery(ctx, route, "demo")
    other, _, _ = _delivery(ctx, route, "demo")
    return Attempt(headers, data=other)


def _w_stale(ctx, route, path):
    body, headers, _ = _delivery(ctx, route, "demo", stamp=time.time() - 600)
    return Attempt(headers, data=body)


def _w_future(ctx, route, path):
    body, headers, _ = _delivery(ctx, route, "demo", stamp=time.time() + 600)
    return Attempt(headers, data=body)


def _w_other_url(ctx, route, path):
    body, headers, _ = _delivery(ctx, route, "demo", signed_company="another-company")
    return Attempt(headers, data=body)


def _w_app_address(ctx, route, path):
    # What the app sees as its own address behind the front end: not what HubSpot signed.
    body, headers, _ = _delivery(ctx, route, "demo", signed_base=ctx.transport.base)
    return Attempt(headers, data=body)


def _w_forwarded_host(ctx, route, path):
    # Signed for an address of the intruder's, named in the headers anyone can send.
    scheme = ctx.transport.base.split("://")[0]
    body, headers, _ = _delivery(ctx, route, "demo", signed_base=f"{scheme}://intruder.example")
    headers.update({"Host": "intruder.example", "X-Forwarded-Host": "intruder.example",
                    "X-Forwarded-Proto": scheme})
    return Attempt(headers, data=body)


def _w_unknown_company(ctx, route, path):
    body, headers, _ = _delivery(ctx, route, "nobody", signed_company="nobody")
    return Attempt(headers, data=body, company="nobody")


def _w_no_secret(ctx, route, path):
    company = ctx.world.company_ids[1]       # a company without webhook secrets
    body, headers, _ = _delivery(ctx, route, company, signed_company=company)
    return Attempt(headers, data=body, company=company)


def _w_unknown_company_unsigned(ctx, route, path):
    body, headers, _ = _delivery(ctx, route, "nobody", signed_company="nobody")
    return Attempt(_unsigned(headers), data=body, company="nobody")


def _w_not_utf8(company: str | None):
    """An unsigned body that is not UTF-8: refused like any unsigned one, not read first."""
    def build(ctx, route, path):
        _, headers, _ = _delivery(ctx, route, "demo")
        return Attempt(_unsigned(headers), data=b'\xff\xfe{"id": "evt_\xe9"}\x80',
                       company=company)
    return build


def _w_not_utf8_signed_garbage(ctx, route, path):
    # The signature headers present (garbage), the body not UTF-8.
    attempt = _w_garbage(ctx, route, path)
    attempt.data = b"[\xc3(\xff]"
    return attempt


def _w_id_token(ctx, route, path):
    body, headers, _ = _delivery(ctx, route, "demo")
    token = ctx.header(("valid", ctx.user), lambda: ctx.token(ctx.user, CLIENT_ID))
    return Attempt({**_unsigned(headers), **_bearer(token)}, data=body)


def _w_replay(resign: bool):
    def build(ctx, route, path):
        occurred = time.time()
        body, headers, n = _delivery(ctx, route, "demo", quiet=True, occurred=occurred)
        first = _send(ctx, route, path, Attempt(headers, data=body))
        answer = first.json() or {}
        if first.status != 200 or answer.get("applied") != 1:
            raise AssertionError(f"the first delivery was not applied: {first.status} {answer}")
        if ctx.after_prime:
            ctx.after_prime(ctx.world)
        if resign:      # the same event, signed afresh: the signature is fine, the id is not
            body, headers, _ = _delivery(ctx, route, "demo", event_id=n, quiet=True,
                                         occurred=occurred)
        return Attempt(headers, data=body, replay=True)
    return build


WEBHOOK_INTRUDERS = [
    _webhook_intruder("no signature", 401, _w_no_signature),
    _webhook_intruder("signed with another secret", 401, _w_other_secret),
    _webhook_intruder("garbage signature", 401, _w_garbage),
    _webhook_intruder("signature over another body", 401, _w_other_body),
    _webhook_intruder("stale timestamp (10 minutes old)", 401, _w_stale),
    _webhook_intruder("signed for another URL", 401, _w_other_url, families=("hubspot",)),
    _webhook_intruder("signed for the address the app sees, not the public one", 401,
                      _w_app_address, families=("hubspot",)),
    _webhook_intruder("signed for the address named by Host and X-Forwarded-Host", 401,
                      _w_forwarded_host, families=("hubspot",)),
    _webhook_intruder("unknown company", 401, _w_unknown_company),
    _webhook_intruder("company without a webhook secret", 401, _w_no_secret),
    _webhook_intruder("unknown company, unsigned", 401, _w_unknown_company_unsigned),
    _webhook_intruder("unsigned body that is not UTF-8", 401, _w_not_utf8(None)),
    _webhook_intruder("unsigned body that is not UTF-8, unknown company", 401,
                      _w_not_utf8("nobody")),
    _webhook_intruder("garbage signature over a body that is not UTF-8", 401,
                      _w_not_utf8_signed_garbage, full_only=True),
    _webhook_intruder("Google ID token instead of a signature", 401, _w_id_token),
    _webhook_intruder("replayed delivery", 200, _w_replay(False)),
    _webhook_intruder("replayed delivery, signed afresh", 200, _w_replay(True)),
    # Stripe's own library accepts a future timestamp (the signature needs the secret anyway).
    _webhook_intruder("timestamp 10 minutes ahead", 401, _w_future, families=("hubspot",),
                      full_only=True),
]
