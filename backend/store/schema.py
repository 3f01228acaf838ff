"""The ledger store's tables as they are now, and how to connect to the database.

This module describes the current shape that `ledger.py` queries. The database gets that
shape from the Alembic revisions in `backend/store/alembic/versions/` (see its README), never
from `metadata.create_all`: when a table changes, change it here AND add a revision
(tests/test_migrations.py compares the two).
Every table but `companies` (the registry itself) is keyed by company first: an integrator
serves many companies from one store.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

# Constraint names that do not depend on the database, so that a later migration can refer
# to them by name (PostgreSQL and SQLite would otherwise name them differently).
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Values of journal_entries.kind (status is "pending" or "written").
KINDS = ("invoice", "credit_note", "reversal")


class UTCDateTime(sa.TypeDecorator):
    """An aware datetime in, an aware UTC datetime out, on every database.

    PostgreSQL stores `timestamp with time zone`. SQLite has no such type: SQLAlchemy stores
    a text timestamp and returns it naive, so we store UTC and put the zone back on reading.
    A naive datetime is refused: the store cannot know which zone it meant.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware datetime (UTC)")
        value = value.astimezone(timezone.utc)
        # SQLite compares the stored text: keep one format (naive UTC) for every row.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

# One run at a time per company: a lease that a crashed run cannot hold forever.
# acquired_at: when the holder last (re)acquired it.
run_locks = sa.Table(
    "run_locks", metadata,
    sa.Column("company", sa.String(255), primary_key=True),
    sa.Column("holder", sa.String(255), nullable=False),
    sa.Column("acquired_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
)

# Each run (the Historique tab, the job status). outcome is NULL while it runs.
runs = sa.Table(
    "runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("company", sa.String(255), nullable=False),
    sa.Column("action", sa.String(100), nullable=False),
    sa.Column("trigger", sa.String(255), nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime),
    sa.Column("outcome", sa.String(20)),
    sa.Column("summary", sa.JSON),
    sa.Index(None, "company", "started_at"),
)

# What was written to the sheet, one row per entry (pièce): the exactly-once memory.
journal_entries = sa.Table(
    "journal_entries", metadata,
    sa.Column("company", sa.String(255), primary_key=True),
    sa.Column("ref", sa.String(255), primary_key=True),
    sa.Column("document_id", sa.String(255), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("piece", sa.String(255), nullable=False),
    sa.Column("entry_date", sa.Date, nullable=False),
    sa.Column("tab", sa.String(255), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="SET NULL")),
)

# Documents that could not be journaled, since when, and why (the Anomalies tab).
anomalies = sa.Table(
    "anomalies", metadata,
    sa.Column("company", sa.String(255), primary_key=True),
    sa.Column("document_id", sa.String(255), primary_key=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("first_seen", UTCDateTime, nullable=False),
)

# Where the last successful fetch stopped, per company and key.
cursors = sa.Table(
    "cursors", metadata,
    sa.Column("company", sa.String(255), primary_key=True),
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

# Customer account codes handed out: a customer keeps its code forever, and no two
# customers of a company share one (the unique constraint holds even against a race).
# `code_key` is the code as codes.code_key compares it (upper case): `411simpl` and
# `411SIMPL` are one account, so the constraint is on it (revision 0005).
customer_codes = sa.Table(
    "customer_codes", metadata,
    sa.Column("company", sa.String(255), primary_key=True),
    sa.Column("customer_id", sa.String(255), primary_key=True),
    sa.Column("code", sa.String(100), nullable=False),
    sa.Column("code_key", sa.String(100), nullable=False),
    sa.UniqueConstraint("company", "code_key"),
)

# Webhook deliveries already applied: a replay is recognised by its id, within its company
# (revision 0006; the senders' ids are theirs, and must not let one company block another).
webhook_deliveries = sa.Table(
    "webhook_deliveries", metadata,
    sa.Column("company", sa.String(255), primary_key=True),
    sa.Column("source", sa.String(100), primary_key=True),
    sa.Column("delivery_id", sa.String(255), primary_key=True),
    sa.Column("received_at", UTCDateTime, nullable=False),
)

# HubSpot <-> Stripe links and the fields as they were at the last sync: a field that differs
# from it on one side was changed there; on both sides, it is a conflict for a person.
sync_links = sa.Table(
    "sync_links", metadata,
    sa.Column("company", sa.String(255), primary_key=True),
    sa.Column("object_type", sa.String(20), primary_key=True),
    sa.Column("hubspot_id", sa.String(255), primary_key=True),
    sa.Column("stripe_id", sa.String(255), nullable=False),
    sa.Column("state", sa.JSON, nullable=False),
    sa.Column("synced_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("company", "object_type", "stripe_id"),
)


# The company registry (backend/auth/registry.py): the companies the backend serves, managed
# with `python -m backend companies`. Secret NAMES only, never their values. `settings` is
# the raw mapping of companies.json (keys of backend/core/settings.py). Not keyed by company
# like the ledger tables: a company's ledger rows refer to `id` but are kept when it is
# removed (no foreign key).
companies = sa.Table(
    "companies", metadata,
    sa.Column("id", sa.String(63), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("spreadsheet_id", sa.String(255), nullable=False, unique=True),
    sa.Column("allowed_emails", sa.JSON, nullable=False),     # list of lower-case emails
    sa.Column("client_ids", sa.JSON, nullable=False),         # list of OAuth client ids
    sa.Column("secrets", sa.JSON, nullable=False),            # kind -> secret name
    sa.Column("settings", sa.JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

# Background jobs of the web layer (backend/jobs/sql_store.py): one active job per company.
KEY = sa.String(255)

jobs = sa.Table(
    "jobs", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("company", KEY, nullable=False),
    sa.Column("action", sa.String(100), nullable=False),
    sa.Column("params", sa.JSON, nullable=False),
    sa.Column("trigger", KEY, nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    # The company while the job is queued or running, NULL once it is over.
    sa.Column("active_company", KEY, unique=True),
    sa.Column("stage", sa.String(200), nullable=False),
    sa.Column("done", sa.Integer),
    sa.Column("total", sa.Integer),
    sa.Column("percent", sa.Integer, nullable=False),
    sa.Column("outcome", sa.String(20), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("result", sa.JSON, nullable=False),
    sa.Column("worker", KEY, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("started_at", UTCDateTime),
    sa.Column("finished_at", UTCDateTime),
    sa.Index(None, "company", "created_at"),
)

job_files = sa.Table(
    "job_files", metadata,
    sa.Column("job_id", sa.String(32), sa.ForeignKey("jobs.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("name", KEY, primary_key=True),
    sa.Column("media_type", sa.String(100), nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
)


# --- Connecting -----------------------------------------------------------------------------

SUPPORTED_DIALECTS = ("sqlite", "postgresql")
# Execution option that marks a connection as about to write (see begin_write).
_WRITE_OPTION = "ledger_write"


def make_engine(url: str, **engine_kwargs: Any) -> Engine:
    """An engine for a SQLite file or PostgreSQL, set up for correct transactions."""
    url_obj = sa.make_url(url)
    if url_obj.get_backend_name() not in SUPPORTED_DIALECTS:
        raise ValueError(f"unsupported database {url_obj.get_backend_name()!r}: "
                         f"use SQLite or PostgreSQL")
    if url_obj.get_backend_name() == "sqlite":
        return _sqlite_engine(url_obj, engine_kwargs)
    # Cloud SQL and proxies close idle connections: check one before using it.
    engine_kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(url_obj, **engine_kwargs)


def _sqlite_engine(url: sa.URL, engine_kwargs: dict[str, Any]) -> Engine:
    # Writers wait for each other (up to 30 s) instead of failing with "database is locked".
    connect_args = {"timeout": 30, **engine_kwargs.pop("connect_args", {})}
    engine = sa.create_engine(url, connect_args=connect_args, **engine_kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Python's sqlite3 neither begins a transaction before a SELECT or DDL nor lets us
        # choose the kind of BEGIN: turn its own handling off and emit BEGIN ourselves
        # (the recipe of SQLAlchemy's SQLite documentation; works on every Python version).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A writer takes the write lock at BEGIN: two transactions that read then write
        # would otherwise deadlock, and one of them fail, when both try to write.
        immediate = conn.get_execution_options().get(_WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


@contextmanager
def begin_write(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that will write: committed at the end, rolled back on an
    exception. On SQLite it holds the database's write lock from the start."""
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE_OPTION: True})
        with conn.begin():
            yield conn
