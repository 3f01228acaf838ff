"""The preflight: everything that would fail for a company, said before its first run.

`preflight(setup)` runs each check of a company's configuration against the real services
(through their official clients) and returns a `PreflightReport`: one line per check, each
`ok`, `warning` or `error`, with a short label, what was found and, when not ok, how to fix
it. The lines are in French: the sidebar shows them to the accountant, and the CLI
(`python -m backend check --company ID`) prints the same to the integrator.

Every check runs whatever the others found (a refused Stripe key does not hide a sheet that
is not shared), each in its own thread bounded by `setup.timeout`, with no retry: a service
that does not answer is said so, and the preflight ends. No secret value is ever part of a
line: messages from the services are scrubbed (backend/secrets.py) before they are quoted.

- `runner.py`: `preflight()`, the eight checks in order, each in a thread with its timeout.
- `setup.py`: `PreflightSetup`, what the checks need of a company, and the default timeout.
- `report.py`: `CheckLine`, its statuses, the checks' labels, `PreflightReport`.
- `stripe_checks.py`: the Stripe key, the account's API version, the Stripe webhook endpoint.
- `hubspot_checks.py`: the HubSpot token and its scopes, the HubSpot webhooks.
- `sheet_checks.py`: the Google sheet (shared with the backend) and its tabs' headers.
- `database_check.py`: the ledger database (reachable, migrated).
- `helpers.py`: what several checks share: the scrubbed quote, the lookup of a secret.
"""

from backend.preflight.hubspot_checks import HUBSPOT_SCOPES, HUBSPOT_TOKEN_INFO
from backend.preflight.report import (
    ERROR,
    LABEL_API_VERSION,
    LABEL_DATABASE,
    LABEL_HUBSPOT,
    LABEL_HUBSPOT_WEBHOOK,
    LABEL_SHEET,
    LABEL_STRIPE_KEY,
    LABEL_STRIPE_WEBHOOK,
    LABEL_TABS,
    MARKS,
    OK,
    WARNING,
    CheckLine,
    PreflightReport,
)
from backend.preflight.runner import preflight
from backend.preflight.setup import TIMEOUT, PreflightSetup
from backend.preflight.stripe_checks import STRIPE_READS, STRIPE_WRITES

__all__ = [
    "ERROR", "HUBSPOT_SCOPES", "HUBSPOT_TOKEN_INFO", "LABEL_API_VERSION", "LABEL_DATABASE",
    "LABEL_HUBSPOT", "LABEL_HUBSPOT_WEBHOOK", "LABEL_SHEET", "LABEL_STRIPE_KEY",
    "LABEL_STRIPE_WEBHOOK", "LABEL_TABS", "MARKS", "OK", "STRIPE_READS", "STRIPE_WRITES",
    "TIMEOUT", "WARNING", "CheckLine", "PreflightReport", "PreflightSetup", "preflight",
]
