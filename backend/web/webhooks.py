"""Webhook deliveries: HubSpot (signature v3) and Stripe (its signed payloads), one URL per
company. The signature is checked with the company's webhook secret, each delivery is applied
once (the ledger store remembers its id), and the sync of what changed is started as a job,
like a click in the sidebar. These routes need no ID token: the signature is the caller's proof.
"""

from __future__ import annotations

import time

from flask import Blueprint, jsonify, request

from backend.services.webhooks import hubspot_delivery, stripe_delivery
from backend.web.caller import backend, error

bp = Blueprint("webhooks", __name__)
WEBHOOK_TRIGGER = "webhook {source}"


def _company_and_secret(company_id: str, kind: str):
    b = backend()
    company = b.companies.get(company_id)
    name = company.secret_name(kind) if company else None
    if company is None or not name:
        return None, None
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


def _answer(delivery):
    response = jsonify(applied=delivery.applied, replays=delivery.replays, message=delivery.message)
    response.status_code = delivery.status
    return response


@bp.post("/webhooks/hubspot/<company_id>")
def hubspot(company_id: str):
    company, secret = _company_and_secret(company_id, "hubspot_webhook")
    if company is None:
        return error(404, "unknown_company", "Société inconnue.")
    delivery = hubspot_delivery("POST", request.url, request.get_data(), dict(request.headers),
                                secret, backend().ledger(), _sync_starter(company, "HubSpot"),
                                int(time.time() * 1000))
    return _answer(delivery)


@bp.post("/webhooks/stripe/<company_id>")
def stripe(company_id: str):
    company, secret = _company_and_secret(company_id, "stripe_webhook")
    if company is None:
        return error(404, "unknown_company", "Société inconnue.")
    delivery = stripe_delivery(request.get_data(), request.headers.get("Stripe-Signature", ""),
                               secret, backend().ledger(), _sync_starter(company, "Stripe"))
    return _answer(delivery)
