"""Errors of the HubSpot sandbox, in HubSpot's body.

HubSpot answers an error with `{"status": "error", "message": ..., "correlationId": <uuid>,
"category": ...}` (the `Error` schema of its OpenAPI files), the category naming the kind of
failure. A 429 says which limit was hit (`policyName`) and carries `errorType: RATE_LIMIT`.
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
RATE_LIMITED = "You have reached your ten_secondly_rolling limit."
RATE_POLICY = "TEN_SECONDLY_ROLLING"


class HubSpotError(Exception):
    """An answer other than 2xx, raised anywhere in a request."""

    def __init__(self, status: int, message: str, category: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.category = category or CATEGORIES.get(status, "INTERNAL_ERROR")
        self.headers = headers or {}

    def response(self) -> Response:
        correlation = str(uuid.uuid4())
        body = {"status": "error", "message": self.message, "correlationId": correlation,
                "category": self.category}
        if self.status == 429:
            body.update(errorType="RATE_LIMIT", policyName=RATE_POLICY)
        return Response.json(self.status, body,
                             {"X-HubSpot-Correlation-Id": correlation, **self.headers})


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
