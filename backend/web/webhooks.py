"""Webhook deliveries: HubSpot (signature v3) and Stripe (its signed payloads), one URL per
company. The signature is checked with the company's webhook secret, each delivery is applied
once (the ledger store remembers its id), and the sync of what changed is started as a job,
like a click in the sidebar; an invoice or credit note finalized, voided or marked
uncollectible starts the generation, COALESCE_SECONDS later so that a burst of events is one
run (WEBHOOK_COALESCE_SECONDS in the app's config overrides it: tests, the bench). These routes
need no ID token: the signature is the caller's proof.

HubSpot signs the https address it was given (the app's target URL) with the path and query it
sent; behind App Engine's front end the app sees another scheme and host, and the Host and
X-Forwarded-* headers are anyone's to write. So the signature is checked against the configured
public address (PUBLIC_BASE_URL, backend/web/config.py) plus the request target exactly as the
request line carried it. Stripe's signature covers the body and a timestamp only.

Whether a company exists is nobody's business but its own: a delivery for an unknown company,
for a company without that webhook, or with a bad signature gets the one same refusal (401,
same body), after the same work: the signature is checked, against a secret nobody has when
the company has none.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from urllib.parse import quote

from flask import Blueprint, current_app, jsonify, request

from backend.hubspot_signature import verify_v3_signature
from backend.services.webhooks import (
    COALESCE_SECONDS,
    hubspot_delivery,
    refused,
    stripe_delivery,
    stripe_signature_ok,
)
from backend.web.caller import backend, error
from backend.web.config import public_base_url

bp = Blueprint("webhooks", __name__)
log = logging.getLogger(__name__)
WEBHOOK_TRIGGER = "webhook {source}"       # Historique's "who": « webhook Stripe »
# `scheme://authority` of a request target in absolute form (`POST https://host/path HTTP/1.1`).
_ABSOLUTE_FORM = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*")


# What a delivery for a company without that webhook is checked against: drawn per process,
# never stored nor shown, so no signature matches it.
_NOBODYS_SECRET = secrets.token_urlsafe(32)


def _company_and_secret(company_id: str, kind: str):
    """(company, its webhook secret), or (None, a secret nobody has)."""
    b = backend()
    company = b.companies.get(company_id)
    name = company.secret_name(kind) if company else None
    if company is None or not name:
        return None, _NOBODYS_SECRET
    return company, b.secrets.get(name).reveal()


def _sync_starter(company, source: str):
    def run_sync(products: bool, customers: bool) -> None:
        # One job per company: if one is running (another sync, a generation), the sync
        # starts when it ends; the sender does not deliver again.
        trigger = WEBHOOK_TRIGGER.format(source=source)
        for action, wanted in (("sync_customers", customers), ("sync_products", products)):
            if wanted:
                backend().runner().request(company, action, {}, trigger)
    return run_sync


def _generation_starter(company):
    def run_generation() -> None:
        # Coalesced (JobRunner.request): the run waits, queued, for the rest of the burst;
        # if a job is running, one generation follows it.
        delay = float(current_app.config.get("WEBHOOK_COALESCE_SECONDS", COALESCE_SECONDS))
        backend().runner().request(company, "generate", {},
                                   WEBHOOK_TRIGGER.format(source="Stripe"), delay)
    return run_generation


def _answer(delivery):
    response = jsonify(applied=delivery.applied, replays=delivery.replays, message=delivery.message)
    response.status_code = delivery.status
    return response


def _request_target() -> str:
    """The path and query exactly as the request line carried them (gunicorn's RAW_URI,
    werkzeug's REQUEST_URI): HubSpot signs the URL it called, escapes and parameter order
    included, which a path decoded and quoted again may not reproduce."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if raw is None:
        # A server that keeps no request line: rebuilt, the best that can be done.
        query = request.query_string.decode("latin-1")
        path = quote(request.script_root + request.path, safe="/:@!$&'()*+,;=-._~")
        return path + (f"?{query}" if query else "")
    # WSGI carries the raw bytes as latin-1; HubSpot signs the URL's UTF-8.
    raw = raw.encode("latin-1").decode("utf-8", "replace")
    return _ABSOLUTE_FORM.sub("", raw, count=1) or "/"


def _signed_url() -> str | None:
    """The URL HubSpot signed, if the service knows its public address; locally (tests, the
    preview) without one, the request's own scheme and host. None: refuse (production)."""
    base = public_base_url(current_app.config)
    if base is None:
        if current_app.config["PRODUCTION"]:
            return None
        base = request.host_url.rstrip("/")
    return base + _request_target()


@bp.post("/webhooks/hubspot/<company_id>")
def hubspot(company_id: str):
    url = _signed_url()
    if url is None:
        # 503: HubSpot delivers again later, by when the address may be configured. The
        # same for every company id: it says nothing of which exist.
        log.error("HubSpot delivery not checked: set PUBLIC_BASE_URL (or SERVICE_AUDIENCE) "
                  "to the service's https address")
        return error(503, "public_url_not_configured",
                     "Adresse publique du service non configurée (PUBLIC_BASE_URL).")
    company, secret = _company_and_secret(company_id, "hubspot_webhook")
    body, headers, now_ms = request.get_data(), dict(request.headers), int(time.time() * 1000)
    if company is None:
        verify_v3_signature("POST", url, body, headers, secret, now_ms)   # the same work
        log.warning("HubSpot delivery refused: no company with a HubSpot webhook by that id")
        return _answer(refused())
    delivery = hubspot_delivery("POST", url, body, headers, secret, backend().ledger(),
                                _sync_starter(company, "HubSpot"), now_ms, company=company.id)
    if delivery.status == 401:
        # The usual cause once deployed: HubSpot's target URL is not PUBLIC_BASE_URL + path.
        log.warning("HubSpot delivery for %s refused (%s); checked for %r", company_id,
                    delivery.message, url[:300])
    return _answer(delivery)


@bp.post("/webhooks/stripe/<company_id>")
def stripe(company_id: str):
    company, secret = _company_and_secret(company_id, "stripe_webhook")
    payload, signature = request.get_data(), request.headers.get("Stripe-Signature", "")
    if company is None:
        stripe_signature_ok(payload, signature, secret)                   # the same work
        log.warning("Stripe delivery refused: no company with a Stripe webhook by that id")
        return _answer(refused())
    delivery = stripe_delivery(payload, signature, secret, backend().ledger(),
                               _sync_starter(company, "Stripe"), company=company.id,
                               run_generation=_generation_starter(company))
    return _answer(delivery)
