"""The backend's settings, from the environment (app.yaml's env_variables on App Engine).

| variable | meaning |
|---|---|
| BACKEND_ENV | `production` on App Engine: a wrong companies file stops the start, secrets come from Secret Manager and jobs go through Cloud Tasks |
| COMPANIES_FILE | a companies file (JSON or TOML; see backend/auth/companies.example.json) whose companies missing from the company registry are added to it at start; default `companies.json` when there is one. The registry (in the ledger database, `python -m backend companies`) is the source of truth, read at each request: no restart to add a company. Set to a file that is not there: the start stops in production |
| ID_TOKEN_AUDIENCES | the OAuth client ids whose ID tokens are accepted (the Editor add-on's), comma-separated; with every company's own (`client_ids` in the registry, read at each request) |
| SERVICE_AUDIENCE | the audience of Cloud Scheduler's and Cloud Tasks' OIDC tokens: the backend's URL |
| PUBLIC_BASE_URL | the https address the senders call (`https://host`, no path): HubSpot signs its webhooks for it plus the path and query; default SERVICE_AUDIENCE when that is such an address; locally, if neither, the request's own URL |
| SERVICE_ACCOUNTS | the service accounts allowed to call /tasks/run and /scheduler/generate |
| GOOGLE_CERTS_URL | where Google's token certificates are (default Google's; tests use a local one) |
| JOB_DISPATCH | `thread` (a worker thread, default locally) or `cloud-tasks` (default in production) |
| TASKS_QUEUE, TASKS_URL, TASKS_SERVICE_ACCOUNT | the Cloud Tasks queue path, the backend URL the tasks call, the account their OIDC token is for |
| DATABASE_URL / DATABASE_URL_SECRET | the ledger store (and job store): a URL, or the name of the secret that holds it |
| SECRETS, SECRETS_FILE, GOOGLE_CLOUD_PROJECT | where secrets come from (see backend/secrets.py) |
| STRIPE_API_BASE, SHEETS_API_BASE, HUBSPOT_API_BASE | the sandboxes' addresses, locally |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from backend.auth.tokens import GOOGLE_CERTS_URL


def _list(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def settings_from_env(environ: Mapping[str, str] | None = None) -> dict:
    env = os.environ if environ is None else environ
    production = env.get("BACKEND_ENV", "").strip().lower() == "production"
    return {
        "PRODUCTION": production,
        # Empty: companies.json if there is one (backend/web/services.py), else the registry.
        "COMPANIES_FILE": env.get("COMPANIES_FILE", "").strip(),
        "ID_TOKEN_AUDIENCES": _list(env.get("ID_TOKEN_AUDIENCES")),
        "SERVICE_AUDIENCE": env.get("SERVICE_AUDIENCE", "").strip(),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "").strip(),
        "SERVICE_ACCOUNTS": _list(env.get("SERVICE_ACCOUNTS")),
        "GOOGLE_CERTS_URL": env.get("GOOGLE_CERTS_URL") or GOOGLE_CERTS_URL,
        "JOB_DISPATCH": env.get("JOB_DISPATCH") or ("cloud-tasks" if production else "thread"),
        "TASKS_QUEUE": env.get("TASKS_QUEUE", ""),
        "TASKS_URL": env.get("TASKS_URL") or env.get("SERVICE_AUDIENCE", ""),
        "TASKS_SERVICE_ACCOUNT": env.get("TASKS_SERVICE_ACCOUNT", ""),
        "DATABASE_URL": env.get("DATABASE_URL", ""),
        "DATABASE_URL_SECRET": env.get("DATABASE_URL_SECRET", ""),
        "STRIPE_API_BASE": env.get("STRIPE_API_BASE") or None,
        "SHEETS_API_BASE": env.get("SHEETS_API_BASE") or None,
        "HUBSPOT_API_BASE": env.get("HUBSPOT_API_BASE") or None,
        "PREVIEW": False,
        "MAX_CONTENT_LENGTH": 64 * 1024,
    }


def public_base_url(config: Mapping) -> str | None:
    """The address webhook senders were given, `scheme://host[:port]`: PUBLIC_BASE_URL, else
    SERVICE_AUDIENCE if it is such an address (on App Engine both are the service's URL), else
    None. Behind App Engine's front end the app cannot learn it from the request: the Host
    header and X-Forwarded-* are whatever the caller sent. A malformed PUBLIC_BASE_URL is a
    ValueError saying why (https only in production, where `secure: always` holds)."""
    production = bool(config.get("PRODUCTION"))
    value = str(config.get("PUBLIC_BASE_URL") or "").strip()
    if value:
        problem = _not_a_base_url(value, production)
        if problem:
            raise ValueError(f"PUBLIC_BASE_URL {value!r} {problem}")
        return value.rstrip("/")
    audience = str(config.get("SERVICE_AUDIENCE") or "").strip()
    if audience and not _not_a_base_url(audience, production):
        return audience.rstrip("/")
    return None


def _not_a_base_url(value: str, production: bool) -> str | None:
    """Why `value` is not a base address (None if it is one)."""
    schemes = ("https",) if production else ("https", "http")
    try:
        parts = urlsplit(value)
        parts.port      # a port that is not a number raises here
    except ValueError:
        return "is not a URL"
    if parts.scheme not in schemes or not parts.hostname:
        return f"must be {' or '.join(s + '://host' for s in schemes)}"
    if parts.path not in ("", "/") or parts.query or parts.fragment or "?" in value:
        return ("must have no path, query or fragment "
                "(e.g. https://PROJECT_ID.REGION_ID.r.appspot.com)")
    if parts.username is not None or parts.password is not None:
        return "must not hold a user or password"
    return None
