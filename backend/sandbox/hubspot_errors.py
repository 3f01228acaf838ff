"""Errors of the HubSpot sandbox, in HubSpot's body.

HubSpot answers an error with `{"status": "error", "message": ..., "correlationId": <uuid>,
"category": ...}` (the `Error` schema of its OpenAPI files), the category naming the kind of
failure. A 403 for want of scopes names them (`hubspot_scopes.missing_scopes_body`). A 429
comes from the limits in front of the API, in their own bodies: the ten-second and daily
limits say which policy was hit (`policyName`, `errorType: RATE_LIMIT`, no category), the
search limit answers as recorded from api.hubapi.com (`category: RATE_LIMITS`, no policy).
"""

from __future__ import annotations

import json
import uuid

from backend.sandbox.server import Response

CATEGORIES = {
    400: "VALIDATION_ERROR", 401: "INVALID_AUTHENTICATION", 403: "MISSING_SCOPES",
    404: "OBJECT_NOT_FOUND", 405: "VALIDATION_ERROR", 409: "CONFLICT", 429: "RATE_LIMITS",
}
NOT_FOUND = "resource not found"
NO_CREDENTIALS = ("Authentication credentials not found. This API supports OAuth 2.0 "
                  "authentication and you can find more details at "
                  "https://developers.hubspot.com/docs/methods/auth/oauth-overview")
TEN_SECONDLY, SECONDLY, DAILY = "TEN_SECONDLY_ROLLING", "SECONDLY", "DAILY"
RATE_LIMITED = "You have reached your ten_secondly_rolling limit."
_LIMIT_MESSAGES = {TEN_SECONDLY: RATE_LIMITED, SECONDLY: "You have reached your secondly limit.",
                   DAILY: "You have reached your daily limit."}


class HubSpotError(Exception):
    """An answer other than 2xx, raised anywhere in a request. `fields`, when given, are the
    body's fields beside status, message and correlationId (in place of the category)."""

    def __init__(self, status: int, message: str, category: str | None = None,
                 headers: dict[str, str] | None = None, fields: dict | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.category = category or CATEGORIES.get(status, "INTERNAL_ERROR")
        self.headers = headers or {}
        self.fields = fields

    def response(self) -> Response:
        correlation = str(uuid.uuid4())
        body = {"status": "error", "message": self.message, "correlationId": correlation}
        body.update({"category": self.category} if self.fields is None else self.fields)
        return Response.json(self.status, body,
                             {"X-HubSpot-Correlation-Id": correlation, **self.headers})


def rate_limited(policy: str, headers: dict[str, str]) -> HubSpotError:
    """HubSpot's 429 for `policy` (TEN_SECONDLY, SECONDLY for search, DAILY)."""
    if policy == SECONDLY:
        fields = {"category": "RATE_LIMITS"}
    else:
        fields = {"errorType": "RATE_LIMIT", "policyName": policy,
                  "requestId": str(uuid.uuid4())}
    return HubSpotError(429, _LIMIT_MESSAGES[policy], headers=headers, fields=fields)


def invalid(message: str) -> HubSpotError:
    return HubSpotError(400, message)


def not_found(message: str = NOT_FOUND) -> HubSpotError:
    return HubSpotError(404, message)


def property_errors(problems: list[dict], portal_id: int) -> HubSpotError:
    """HubSpot's 400 for bad property values: one JSON list of the problems in the message."""
    detail = [{"isValid": False, "message": p["message"], "error": p["error"], "name": p["name"],
               "localizedErrorMessage": p["message"], "portalId": portal_id} for p in problems]
    return invalid("Property values were not valid: "
                   + json.dumps(detail, ensure_ascii=False, separators=(",", ":")))


def too_many_inputs(limit: int) -> HubSpotError:
    return invalid(f"The maximum number of inputs supported in a batch request is {limit}. "
                   "Please reduce the number of items and try again")
