"""The child side of the fault campaign: one generation run over the demo month, in a process
that the campaign may kill, with the ledger store's Nth SQL statement failing if asked
(stress/store_faults.py).
"""

from __future__ import annotations

import traceback
from datetime import datetime, timezone

from backend.core.settings import Settings
from backend.demo import DEMO_COMPANY
from backend.store.ledger import LedgerStore
from stress.store_faults import StatementCounter, StoreFault, is_clear

COMPANY = "mdc"
SETTINGS = Settings(axis_names=tuple(DEMO_COMPANY["axis_names"]), siren=DEMO_COMPANY["siren"])
NOW = datetime(2026, 11, 2, 6, 0, tzinfo=timezone.utc)
# The clean run after a faulted one: the next day, so that a crashed run's lease (900 s) is over.
LATER = datetime(2026, 11, 3, 6, 0, tzinfo=timezone.utc)


def faulted_generation(stripe_url: str, sheets_url: str, spreadsheet_id: str, database_url: str,
                       store_faults: tuple[StoreFault, ...], fired: str, timeout: float,
                       stripe_key: str, sheets_token: str) -> dict:
    """One generation run with the production adapters (short timeouts: the client gives up
    on a stalled call) and the store's planned faults; what happened, as plain values."""
    from google.oauth2.credentials import Credentials

    from backend.adapters.google_sheets import GoogleSheetsAdapter
    from backend.adapters.stripe_source import StripeSourceAdapter
    from backend.jobs.failures import explain
    from backend.services.generate import generate

    store = LedgerStore(database_url)
    counter = StatementCounter(tuple(store_faults), fired).attach(store)
    stripe = StripeSourceAdapter(stripe_key, base_url=stripe_url, timeout=timeout)
    sheet = GoogleSheetsAdapter(spreadsheet_id, Credentials(token=sheets_token),
                                base_url=sheets_url, timeout=timeout)
    try:
        report = generate(stripe, sheet, store, SETTINGS, COMPANY, now=NOW)
        return {"state": "completed", "written": len(report.written),
                "statements": counter.count}
    except Exception as exc:   # classified here: the campaign reports any unclear one
        message = str(exc).splitlines()[0][:300] if str(exc) else ""
        clear = is_clear(exc)
        try:   # what the accountant would read (the job runner's words)
            french = explain(exc, "Génération des écritures")[2]
        except Exception as failure:
            french, clear = None, False
            message += f" (and explaining it failed: {type(failure).__name__}: {failure})"
        return {"state": "failed", "clear": clear,
                "type": f"{type(exc).__module__}.{type(exc).__qualname__}",
                "message": message, "french": french, "statements": counter.count,
                "traceback": "".join(traceback.format_exception(exc, limit=8))[-3000:]}
    finally:
        stripe.close()
        store.close()


def count_statements(store: LedgerStore) -> StatementCounter:
    """A counter on a store (for the clean run that sizes the schedules)."""
    return StatementCounter().attach(store)
