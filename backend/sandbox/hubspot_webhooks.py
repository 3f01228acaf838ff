"""Webhook deliveries as HubSpot sends them to an app's target URL.

A delivery is a POST whose body is a JSON array of up to 100 events, e.g.

    [{"objectId": 1246965, "propertyName": "lifecyclestage", "propertyValue": "subscriber",
      "changeSource": "CRM_UI", "eventId": 3816279340, "subscriptionId": 25, "portalId": 33,
      "appId": 1160452, "occurredAt": 1462216307945, "subscriptionType":
      "contact.propertyChange", "attemptNumber": 0}]

(`objectId`, `occurredAt` and the ids are numbers), signed in v3 (`X-HubSpot-Signature-v3`
and `X-HubSpot-Request-Timestamp`, see `backend.hubspot_signature`) and, for older
receivers, in v1 (`X-HubSpot-Signature`: hex SHA-256 of secret + body).
A retried delivery carries the same events with `attemptNumber` counting the retries.
"""

from __future__ import annotations

import hashlib
import json

from backend.hubspot_signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign_v3

MAX_EVENTS = 100
# The objects of the CRM webhook subscriptions (webhooks v3 `eventType`), and what happens.
OBJECTS = ("company", "contact", "deal", "product", "line_item")
ACTIONS = ("creation", "deletion", "propertyChange", "associationChange", "merge", "restore")
USER_AGENT = "HubSpot Connect 2.0 (http://dev.hubspot.com/)"


def delivery(events: list[dict], uri: str, method: str, timestamp_ms: int,
             secret: str) -> tuple[bytes, dict[str, str]]:
    if not 0 < len(events) <= MAX_EVENTS:
        raise ValueError(f"a delivery holds 1 to {MAX_EVENTS} events, not {len(events)}")
    body = json.dumps(events, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-HubSpot-Signature": hashlib.sha256(secret.encode("utf-8") + body).hexdigest(),
        "X-HubSpot-Signature-Version": "v1",
        SIGNATURE_HEADER: sign_v3(method, uri, body, timestamp_ms, secret),
        TIMESTAMP_HEADER: str(timestamp_ms),
    }
    return body, headers
