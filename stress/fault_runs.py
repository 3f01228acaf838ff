"""The child side of the fault campaign: one generation run over the demo month, in a process
that the campaign may kill, with the ledger store's Nth SQL statement failing if asked.

Store faults go through SQLAlchemy's public engine events on the store's own engine:
`before_cursor_execute` runs before every statement (BEGIN included), inside SQLAlchemy's
error handling, so a DBAPI error raised there reaches the product exactly as a real database
hiccup would (wrapped by SQLAlchemy into `sqlalchemy.exc.OperationalError`).
"""

from __future__ import annotations

import os
import sqlite3
import traceback
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from backend.core.settings import Settings
from backend.demo import DEMO_COMPANY
from backend.errors import AlreadyRunning, ServiceError
from backend.store.ledger import LedgerStore
from stress.processes import crash_now

COMPANY = "mdc"
SETTINGS = Settings(axis_names=tuple(DEMO_COMPANY["axis_names"]), siren=DEMO_COMPANY["siren"])
NOW = datetime(2026, 11, 2, 6, 0, tzinfo=timezone.utc)
# The clean run after a faulted one: the next day, so that a crashed run's lease (900 s) is over.
LATER = datetime(2026, 11, 3, 6, 0, tzinfo=timezone.utc)
INJECTED = "injected fault"     # in the message of every store error the campaign raises

DB_ERROR = "db_error"     # the Nth statement fails with an OperationalError
DB_CRASH = "db_crash"     # the process dies just before the Nth statement


@dataclass(frozen=True)
class StoreFault:
    statement: int          # 1-based, counted over the run's statements
    kind: str               # DB_ERROR | DB_CRASH


class StatementCounter:
    """Counts the store's statements and fails the planned ones. `fired` is a file the child
    appends to before it fails a statement, so the parent knows even when the child dies."""

    def __init__(self, faults: tuple[StoreFault, ...] = (), fired: str | None = None) -> None:
        self.count = 0
        self.faults = {f.statement: f for f in faults}
        self.fired = fired

    def attach(self, store: LedgerStore) -> StatementCounter:
        event.listen(store.engine, "before_cursor_execute", self.before)
        return self

    def before(self, conn, cursor, statement, parameters, context, executemany):
        self.count += 1
        fault = self.faults.get(self.count)
        if fault is not None:
            if self.fired:
                # One write of a short line: on disk before the process may be killed.
                fd = os.open(self.fired, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                try:
                    os.write(fd, f"{fault.statement} {fault.kind}\n".encode())
                finally:
                    os.close(fd)
            if fault.kind == DB_CRASH:
                crash_now()
            # A DBAPI error, as sqlite3 raises for a locked or failing disk: SQLAlchemy wraps it.
            raise sqlite3.OperationalError(
                f"disk I/O error ({INJECTED} at statement {self.count})")
        return statement, parameters


def is_clear(exc: BaseException) -> bool:
    """The errors a faulted run may end with: a service that failed after the adapter's
    retries, another run holding the lock, or the store error the campaign injected."""
    if isinstance(exc, (ServiceError, AlreadyRunning)):
        return True
    return isinstance(exc, OperationalError) and INJECTED in str(exc)


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
