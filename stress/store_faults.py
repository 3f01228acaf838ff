"""Faults of the ledger store, for the fault campaigns: the Nth SQL statement of a run fails
with a database error or kills the process.

They go through SQLAlchemy's public engine events on the store's own engine:
`before_cursor_execute` runs before every statement (BEGIN included), inside SQLAlchemy's
error handling, so a DBAPI error raised there reaches the product exactly as a real database
hiccup would (wrapped by SQLAlchemy into `sqlalchemy.exc.OperationalError`).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from backend.errors import AlreadyRunning, ServiceError
from backend.store.ledger import LedgerStore
from stress.processes import crash_now

INJECTED = "injected fault"     # in the message of every store error a campaign raises
DB_ERROR = "db_error"           # the Nth statement fails with an OperationalError
DB_CRASH = "db_crash"           # the process dies just before the Nth statement
STORE_KINDS = (DB_ERROR, DB_CRASH)


@dataclass(frozen=True)
class StoreFault:
    statement: int          # 1-based, counted over the run's statements
    kind: str               # DB_ERROR | DB_CRASH


class StatementCounter:
    """Counts the store's statements and fails the planned ones. Before failing one it appends
    "<statement> <kind>" to the file `fired`, so the parent knows even when the child dies."""

    def __init__(self, faults: Iterable[StoreFault] = (), fired: str | None = None) -> None:
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


def fired_faults(path) -> list[StoreFault]:
    """The store faults a child said it fired (the file StatementCounter appends to)."""
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as lines:
        return [StoreFault(int(n), kind) for n, kind in (line.split() for line in lines if line.strip())]


def is_clear(exc: BaseException) -> bool:
    """The errors a faulted run may end with: a service that failed after the adapter's
    retries, another run holding the lock, or the store error the campaign injected."""
    if isinstance(exc, (ServiceError, AlreadyRunning)):
        return True
    return isinstance(exc, OperationalError) and INJECTED in str(exc)
