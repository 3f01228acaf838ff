"""Faults of the ledger store, for the fault campaigns: the Nth SQL statement of a run fails
with a database error or kills the process.

They go through SQLAlchemy's public engine events on the store's own engine:
`before_cursor_execute` runs before every statement (BEGIN included), inside SQLAlchemy's
error handling, so a DBAPI error raised there reaches the product exactly as a real database
hiccup would (wrapped by SQLAlchemy into `sqlalchemy.exc.OperationalError`). The error is the
driver's own: sqlite3's on SQLite; psycopg's on PostgreSQL, as production meets it: the
server dropping the connection (a failover, a restart: the connection is closed, and
SQLAlchemy throws it away) on even statements, a lock not granted in time on odd ones.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from backend.errors import AlreadyRunning, Interrupted, ServiceError
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
            raise _database_error(conn.dialect.name, cursor, self.count)
        return statement, parameters


def _database_error(dialect: str, cursor, statement: int) -> Exception:
    """The driver's own error for a failing statement (SQLAlchemy wraps it)."""
    where = f"{INJECTED} at statement {statement}"
    if dialect != "postgresql":
        # As sqlite3 raises for a locked or failing disk.
        return sqlite3.OperationalError(f"disk I/O error ({where})")
    import psycopg
    if statement % 2:
        return psycopg.errors.LockNotAvailable(
            f"canceling statement due to lock timeout ({where})")
    cursor.connection.close()   # what the server did: SQLAlchemy sees a closed connection
    return psycopg.OperationalError(
        f"consuming input failed: server closed the connection unexpectedly ({where})")


def fired_faults(path) -> list[StoreFault]:
    """The store faults a child said it fired (the file StatementCounter appends to)."""
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as lines:
        return [StoreFault(int(n), kind) for n, kind in (line.split() for line in lines if line.strip())]


def is_clear(exc: BaseException) -> bool:
    """The errors a faulted run may end with: a service that failed after the adapter's
    retries, another run holding the lock, a run stopped at a safe point, or the store error
    the campaign injected."""
    if isinstance(exc, (ServiceError, AlreadyRunning, Interrupted)):
        return True
    return isinstance(exc, OperationalError) and INJECTED in str(exc)
