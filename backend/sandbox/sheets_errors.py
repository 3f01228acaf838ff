"""Errors of the Sheets sandbox, in Google's JSON error shape.

Google APIs answer `{"error": {"code": 400, "message": "...", "status": "INVALID_ARGUMENT"}}`;
the status is the google.rpc code name of the HTTP status.
"""

from __future__ import annotations

CELL_LIMIT = 10_000_000
WRITE_QUOTA = 60     # write requests per minute per user, Google's default

# HTTP status -> (google.rpc status, Google's message when there is nothing more specific)
CANONICAL = {
    400: ("INVALID_ARGUMENT", "Request contains an invalid argument."),
    401: ("UNAUTHENTICATED", "Request is missing required authentication credential. Expected "
                             "OAuth 2 access token, login cookie or other valid authentication "
                             "credential. See https://developers.google.com/identity/sign-in/web/"
                             "devconsole-project."),
    403: ("PERMISSION_DENIED", "The caller does not have permission"),
    404: ("NOT_FOUND", "Requested entity was not found."),
    409: ("ABORTED", "The operation was aborted."),
    429: ("RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Write requests' and limit "
                                "'Write requests per minute per user' of service "
                                "'sheets.googleapis.com' for consumer "
                                "'project_number:000000000000'."),
    499: ("CANCELLED", "The operation was cancelled."),
    500: ("INTERNAL", "Internal error encountered."),
    501: ("UNIMPLEMENTED", "Operation is not implemented, or supported, or enabled."),
    502: ("UNAVAILABLE", "Bad Gateway"),
    503: ("UNAVAILABLE", "The service is currently unavailable."),
    504: ("DEADLINE_EXCEEDED", "The service is currently unavailable."),
}

INVALID_CREDENTIALS = ("Request had invalid authentication credentials. Expected OAuth 2 access "
                       "token, login cookie or other valid authentication credential. See "
                       "https://developers.google.com/identity/sign-in/web/devconsole-project.")

CELL_LIMIT_MESSAGE = (f"This action would increase the number of cells in the workbook above the "
                      f"limit of {CELL_LIMIT} cells.")


class SheetsError(Exception):
    """An answer other than 200, raised anywhere in a request and turned into Google's body."""

    def __init__(self, status: int, message: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message or CANONICAL.get(status, ("UNKNOWN", "Unknown error"))[1]


def invalid(message: str) -> SheetsError:
    return SheetsError(400, message)


def not_found() -> SheetsError:
    return SheetsError(404, CANONICAL[404][1])


def error_body(status: int, message: str, quota_limit_value: int = WRITE_QUOTA) -> dict:
    rpc_status = CANONICAL.get(status, ("UNKNOWN", ""))[0]
    error = {"code": status, "message": message, "status": rpc_status}
    if status == 429:
        # What Google adds to a quota error, as captured from Sheets: ErrorInfo with the quota
        # and its value, and a Help link. Nothing says when to retry (no RetryInfo, and no
        # Retry-After header): the quota refills each minute.
        error["details"] = [{
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "RATE_LIMIT_EXCEEDED",
            "domain": "googleapis.com",
            "metadata": {"quota_location": "global",
                         "service": "sheets.googleapis.com",
                         "quota_limit_value": str(quota_limit_value),
                         "quota_limit": "WriteRequestsPerMinutePerUser",
                         "consumer": "projects/000000000000",
                         "quota_metric": "sheets.googleapis.com/write_requests"},
        }, {
            "@type": "type.googleapis.com/google.rpc.Help",
            "links": [{"description": "Request a higher quota limit.",
                       "url": "https://cloud.google.com/docs/quota#requesting_higher_quota"}],
        }]
    return {"error": error}
