"""The runner: `preflight(setup)` runs the eight checks, in order, and returns their report.

Every check runs whatever the others found (a refused Stripe key does not hide a sheet that
is not shared), each in its own thread bounded by `setup.timeout`, with no retry: a service
that does not answer is said so, and the preflight ends. A check that raises, or says nothing
in time, becomes an error line; the exception's text is scrubbed of secrets before it is quoted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from backend.preflight import report as labels  # LABEL_*: the checks' labels
from backend.preflight.database_check import check_database
from backend.preflight.helpers import scrubbed_quote
from backend.preflight.hubspot_checks import check_hubspot_token, check_hubspot_webhook
from backend.preflight.report import ERROR, CheckLine, PreflightReport
from backend.preflight.setup import PreflightSetup
from backend.preflight.sheet_checks import check_sheet, check_tabs
from backend.preflight.stripe_checks import (
    check_api_version,
    check_stripe_key,
    check_stripe_webhook,
)


def preflight(setup: PreflightSetup) -> PreflightReport:
    shared: dict = {}     # what one check learns and another needs (the sheet's tabs)
    checks = [
        (labels.LABEL_STRIPE_KEY, check_stripe_key),
        (labels.LABEL_API_VERSION, check_api_version),
        (labels.LABEL_HUBSPOT, check_hubspot_token),
        (labels.LABEL_SHEET, check_sheet),
        (labels.LABEL_TABS, check_tabs),
        (labels.LABEL_STRIPE_WEBHOOK, check_stripe_webhook),
        (labels.LABEL_HUBSPOT_WEBHOOK, check_hubspot_webhook),
        (labels.LABEL_DATABASE, check_database),
    ]
    report = PreflightReport(setup.company.id)
    for label, check in checks:
        report.lines.append(_bounded(label, lambda c=check: c(setup, shared), setup.timeout))
    return report


def _bounded(label: str, run: Callable[[], CheckLine], timeout: float) -> CheckLine:
    """`run()` in a thread of its own, given `timeout` seconds; any exception or silence
    becomes an error line (the exception's text scrubbed of secrets)."""
    result: list = []

    def target() -> None:
        try:
            result.append(run())
        except Exception as exc:  # noqa: BLE001 - a check that breaks is a line, not a crash
            result.append(CheckLine(ERROR, label, "vérification impossible : "
                                    + scrubbed_quote(f"{type(exc).__name__}: {exc}"),
                                    "Relancez la vérification ; si cela persiste, lisez le "
                                    "journal du backend."))

    thread = threading.Thread(target=target, name=f"preflight {label}", daemon=True)
    thread.start()
    thread.join(timeout)
    if not result:
        return CheckLine(ERROR, label, f"pas de réponse en {timeout:g} s",
                         "Le service est lent ou injoignable d'ici : vérifiez le réseau "
                         "(pare-feu, proxy) et relancez la vérification.")
    return result[0]
