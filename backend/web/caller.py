"""Every route but the health check needs a verified caller: these decorators check it.

`user_required`: a Google ID token (Apps Script's `ScriptApp.getIdentityToken()`) in
`Authorization: Bearer`, for one of the accepted audiences, with a verified email allowed for
the company whose spreadsheet the request names (`spreadsheet_id`, and optionally `company`,
in the JSON body or the query string). The caller is then in `g.caller`.

`service_required`: an OIDC token of Cloud Scheduler or Cloud Tasks, for SERVICE_AUDIENCE,
of one of SERVICE_ACCOUNTS.

A refusal answers 401 (no valid token) or 403 (a valid token, not for this) with a French
message and no detail; the detail goes to the log.
"""

from __future__ import annotations

import logging
from functools import wraps

from flask import current_app, g, jsonify, request

from backend.auth.access import AccessDenied, authorize_service, authorize_user
from backend.auth.tokens import TokenRejected, bearer_token

log = logging.getLogger(__name__)

UNAUTHENTICATED = ("Identité Google non vérifiée : fermez le panneau, rechargez la feuille "
                   "et réessayez.")
FORBIDDEN = "Ce compte Google n'a pas accès à la comptabilité de cette feuille."


def backend():
    return current_app.extensions["journal"]


def request_fields() -> dict:
    body = request.get_json(silent=True) if request.is_json else None
    fields = dict(request.args.items())
    if isinstance(body, dict):
        fields.update({k: v for k, v in body.items() if isinstance(k, str)})
    return fields


def error(status: int, code: str, message: str):
    response = jsonify(error=message, code=code)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def _token() -> str | None:
    return bearer_token(request.headers.get("Authorization"))


def user_required(view):
    @wraps(view)
    def checked(*args, **kwargs):
        b = backend()
        fields = request_fields()
        try:
            identity = b.verifier.verify(_token(), b.user_audiences())
            g.caller = authorize_user(identity, b.companies, str(fields.get("spreadsheet_id") or ""),
                                      str(fields.get("company") or "") or None,
                                      b.config["ID_TOKEN_AUDIENCES"])
        except TokenRejected as exc:
            log.warning("refused %s %s: %s", request.method, request.path, exc)
            return error(401, "unauthenticated", UNAUTHENTICATED)
        except AccessDenied as exc:
            log.warning("refused %s %s: %s", request.method, request.path, exc)
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
        except TokenRejected as exc:
            log.warning("refused %s %s: %s", request.method, request.path, exc)
            return error(401, "unauthenticated", "Jeton de service invalide.")
        except AccessDenied as exc:
            log.warning("refused %s %s: %s", request.method, request.path, exc)
            return error(403, "forbidden", "Compte de service non autorisé.")
        return view(*args, **kwargs)
    return checked
