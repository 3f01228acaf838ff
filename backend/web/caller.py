"""Every route but the health check needs a verified caller: these decorators check it.

`user_required`: a Google ID token (Apps Script's `ScriptApp.getIdentityToken()`) in
`Authorization: Bearer`, for one of the accepted audiences, with a verified email allowed for
the company whose spreadsheet the request names (`spreadsheet_id`, and optionally `company`,
in the JSON body or the query string). The caller is then in `g.caller`.

`service_required`: an OIDC token of Cloud Scheduler or Cloud Tasks, for SERVICE_AUDIENCE,
of one of SERVICE_ACCOUNTS.

A refusal answers 401 (no valid token) or 403 (a valid token, not for this) with a French
message and no detail; the detail goes to the log. With a valid token, a body that is not a
JSON object is answered 400 (415 when it is not JSON at all, on the sidebar's routes) saying
so; one over MAX_CONTENT_LENGTH 413, unread.
"""

from __future__ import annotations

import json
import logging
from functools import wraps

from flask import current_app, g, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from backend.auth.access import AccessDenied, authorize_service, authorize_user
from backend.auth.tokens import TokenRejected, bearer_token
from backend.json_nesting import too_deep
from backend.logs import clean

log = logging.getLogger(__name__)

UNAUTHENTICATED = ("Identité Google non vérifiée : fermez le panneau, rechargez la feuille "
                   "et réessayez.")
FORBIDDEN = "Ce compte Google n'a pas accès à la comptabilité de cette feuille."


def backend():
    return current_app.extensions["journal"]


class BadBody(Exception):
    """A request body that is not a JSON object: answered 400 or 415, saying why."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


BODY_TYPE = "Le corps de la requête doit être du JSON (Content-Type: application/json)."
BODY_UNREADABLE = "Requête invalide : le corps n'est pas du JSON lisible."
BODY_NOT_OBJECT = "Requête invalide : le corps doit être un objet JSON."


def json_body(strict: bool = False) -> dict:
    """The request's JSON object ({} when there is no body). Bigger than MAX_CONTENT_LENGTH:
    413 before it is read. `strict`: a body of another content type is refused (415) rather
    than ignored, so that a malformed call is told so instead of being taken for a call
    that names no spreadsheet."""
    data = request.get_data(cache=True)
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if request.content_length is None and limit and len(data) >= limit:
        # A body with no length (chunked) is cut at the limit by Werkzeug, not refused: what
        # reached the limit is taken as too big rather than parsed truncated.
        raise RequestEntityTooLarge()
    if not data.strip():
        return {}
    if not request.is_json:
        if strict:
            raise BadBody(415, "bad_content_type", BODY_TYPE)
        return {}
    try:
        if too_deep(data):
            raise ValueError("nested too deep")
        body = json.loads(data)
    except (ValueError, RecursionError):   # bad syntax or bytes; absurd nesting
        raise BadBody(400, "bad_body", BODY_UNREADABLE) from None
    if not isinstance(body, dict):
        raise BadBody(400, "bad_body", BODY_NOT_OBJECT)
    return body


def request_fields(strict: bool = False) -> dict:
    """The query string's fields, then the JSON body's (the body wins)."""
    fields = dict(request.args.items())
    fields.update({k: v for k, v in json_body(strict).items() if isinstance(k, str)})
    return fields


def error(status: int, code: str, message: str):
    response = jsonify(error=message, code=code)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def _refused(exc: Exception) -> None:
    # The path and the reason carry request values (ids, e-mails): escaped and cut here as
    # well as by the formatter (backend/logs.py), so that no handler gets a forged line.
    log.warning("refused %s %s: %s", request.method, clean(request.path), clean(exc))


def _token() -> str | None:
    return bearer_token(request.headers.get("Authorization"))


def user_required(view):
    @wraps(view)
    def checked(*args, **kwargs):
        b = backend()
        try:
            token = _token()
            if not token:
                # Before the audiences are read from the company registry: a call without a
                # token costs no database query (and is refused even when it is down).
                raise TokenRejected("no token")
            identity = b.verifier.verify(token, b.user_audiences())
            # The token first: a caller without one learns nothing, not even about its body.
            fields = request_fields(strict=True)
            g.caller = authorize_user(identity, b.companies, str(fields.get("spreadsheet_id") or ""),
                                      str(fields.get("company") or "") or None,
                                      b.config["ID_TOKEN_AUDIENCES"])
        except TokenRejected as exc:
            _refused(exc)
            return error(401, "unauthenticated", UNAUTHENTICATED)
        except BadBody as exc:
            _refused(exc)
            return error(exc.status, exc.code, exc.message)
        except AccessDenied as exc:
            _refused(exc)
            return error(403, "forbidden", FORBIDDEN)
        return view(*args, **kwargs)
    return checked


def service_required(view):
    @wraps(view)
    def checked(*args, **kwargs):
        b = backend()
        audience = b.config.get("SERVICE_AUDIENCE")
        try:
            identity = b.verifier.verify(_token(), [audience] if audience else [])
            g.service = authorize_service(identity, b.config["SERVICE_ACCOUNTS"])
            # A body of another type is ignored as before (Cloud Scheduler may send
            # application/octet-stream); a JSON body must be an object.
            request_fields()
        except BadBody as exc:
            _refused(exc)
            return error(exc.status, exc.code, exc.message)
        except TokenRejected as exc:
            _refused(exc)
            return error(401, "unauthenticated", "Jeton de service invalide.")
        except AccessDenied as exc:
            _refused(exc)
            return error(403, "forbidden", "Compte de service non autorisé.")
        return view(*args, **kwargs)
    return checked
