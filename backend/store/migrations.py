"""Versioned migrations of the ledger store.

Each migration is a function of a Connection. `migrate` applies the pending ones in order, in
one transaction, and records each in `schema_migrations`; if one fails, none is recorded
and the database is left as it was (PostgreSQL and SQLite both have transactional DDL).
Two processes migrating at once (two App Engine instances starting) are serialised by a
lock: PostgreSQL's transaction-level advisory lock, SQLite's write lock (BEGIN IMMEDIATE).

To change the schema: change the table in `schema.py`, then append a `Migration(N + 1, ...)`
to MIGRATIONS that brings a database at version N to the new shape (DDL through
`conn.execute(sa.text("ALTER TABLE ..."))`, `sa.Table(...).create(conn)`, data moves through
Core statements; keep it valid on both SQLite and PostgreSQL, and test it on both, as
tests/test_store.py does with its example version 2). Never edit an applied migration:
databases in production already ran it. Migration 1 therefore keeps its own copy of the
tables as they were, rather than using `schema.metadata`.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from backend.store import schema


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Connection], None]


# The record of applied migrations, created before any migration runs.
_bookkeeping = sa.MetaData()
schema_migrations = sa.Table(
    "schema_migrations", _bookkeeping,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("description", sa.String(200), nullable=False),
    sa.Column("applied_at", schema.UTCDateTime, nullable=False),
)

# Any fixed 64-bit number names the advisory lock; this one is derived from the module name.
_ADVISORY_LOCK_KEY = zlib.crc32(b"backend.store.migrations")


def _v1_create_tables(conn: Connection) -> None:
    """All the tables of the first release (a frozen copy: see the module docstring)."""
    md = sa.MetaData(naming_convention=schema.NAMING_CONVENTION)
    ts = sa.DateTime(timezone=True)
    key = sa.String(255)
    sa.Table("run_locks", md,
             sa.Column("company", key, primary_key=True),
             sa.Column("holder", key, nullable=False),
             sa.Column("acquired_at", ts, nullable=False),
             sa.Column("expires_at", ts, nullable=False))
    sa.Table("runs", md,
             sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
             sa.Column("company", key, nullable=False),
             sa.Column("action", sa.String(100), nullable=False),
             sa.Column("trigger", key, nullable=False),
             sa.Column("started_at", ts, nullable=False),
             sa.Column("finished_at", ts),
             sa.Column("outcome", sa.String(20)),
             sa.Column("summary", sa.JSON),
             sa.Index(None, "company", "started_at"))
    sa.Table("journal_entries", md,
             sa.Column("company", key, primary_key=True),
             sa.Column("ref", key, primary_key=True),
             sa.Column("document_id", key, nullable=False),
             sa.Column("kind", sa.String(20), nullable=False),
             sa.Column("piece", key, nullable=False),
             sa.Column("entry_date", sa.Date, nullable=False),
             sa.Column("tab", key, nullable=False),
             sa.Column("status", sa.String(20), nullable=False),
             sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="SET NULL")))
    sa.Table("anomalies", md,
             sa.Column("company", key, primary_key=True),
             sa.Column("document_id", key, primary_key=True),
             sa.Column("reason", sa.Text, nullable=False),
             sa.Column("first_seen", ts, nullable=False))
    sa.Table("cursors", md,
             sa.Column("company", key, primary_key=True),
             sa.Column("key", sa.String(100), primary_key=True),
             sa.Column("value", sa.Text, nullable=False))
    sa.Table("customer_codes", md,
             sa.Column("company", key, primary_key=True),
             sa.Column("customer_id", key, primary_key=True),
             sa.Column("code", sa.String(100), nullable=False),
             sa.UniqueConstraint("company", "code"))
    sa.Table("webhook_deliveries", md,
             sa.Column("source", sa.String(100), primary_key=True),
             sa.Column("delivery_id", key, primary_key=True),
             sa.Column("received_at", ts, nullable=False))
    md.create_all(conn)


def _v2_sync_links(conn: Connection) -> None:
    """The HubSpot <-> Stripe links and their last synced state (the products and customers
    sync)."""
    md = sa.MetaData(naming_convention=schema.NAMING_CONVENTION)
    sa.Table("sync_links", md,
             sa.Column("company", sa.String(255), primary_key=True),
             sa.Column("object_type", sa.String(20), primary_key=True),
             sa.Column("hubspot_id", sa.String(255), primary_key=True),
             sa.Column("stripe_id", sa.String(255), nullable=False),
             sa.Column("state", sa.JSON, nullable=False),
             sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
             sa.UniqueConstraint("company", "object_type", "stripe_id"))
    md.create_all(conn)


def _v3_create_job_tables(conn: Connection) -> None:
    """The web layer's background jobs (backend/jobs/sql_store.py): one active job per company
    (the unique `active_company`, NULL once a job is over), their progress and outcome, and
    the files an export made. IF NOT EXISTS: where the job store already created them
    (SqlJobStore.ensure_tables, before this migration), they are recorded as they are."""
    md = sa.MetaData(naming_convention=schema.NAMING_CONVENTION)
    ts = sa.DateTime(timezone=True)
    key = sa.String(255)
    sa.Table("jobs", md,
             sa.Column("id", sa.String(32), primary_key=True),
             sa.Column("company", key, nullable=False),
             sa.Column("action", sa.String(100), nullable=False),
             sa.Column("params", sa.JSON, nullable=False),
             sa.Column("trigger", key, nullable=False),
             sa.Column("state", sa.String(20), nullable=False),
             sa.Column("active_company", key, unique=True),
             sa.Column("stage", sa.String(200), nullable=False),
             sa.Column("done", sa.Integer),
             sa.Column("total", sa.Integer),
             sa.Column("percent", sa.Integer, nullable=False),
             sa.Column("outcome", sa.String(20), nullable=False),
             sa.Column("message", sa.Text, nullable=False),
             sa.Column("result", sa.JSON, nullable=False),
             sa.Column("worker", key, nullable=False),
             sa.Column("created_at", ts, nullable=False),
             sa.Column("updated_at", ts, nullable=False),
             sa.Column("started_at", ts),
             sa.Column("finished_at", ts),
             sa.Index(None, "company", "created_at"))
    sa.Table("job_files", md,
             sa.Column("job_id", sa.String(32), sa.ForeignKey("jobs.id", ondelete="CASCADE"),
                       primary_key=True),
             sa.Column("name", key, primary_key=True),
             sa.Column("media_type", sa.String(100), nullable=False),
             sa.Column("content", sa.LargeBinary, nullable=False))
    md.create_all(conn, checkfirst=True)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "create the ledger tables", _v1_create_tables),
    Migration(2, "HubSpot-Stripe sync links", _v2_sync_links),
    Migration(3, "background jobs of the web layer and their files", _v3_create_job_tables),
)


def migrate(engine: Engine, migrations: Sequence[Migration] = MIGRATIONS,
            now: datetime | None = None) -> list[int]:
    """Apply the migrations not yet applied, in order; the versions applied (empty if none)."""
    _check_sequence(migrations)
    now = now or datetime.now(timezone.utc)
    with schema.begin_write(engine) as conn:
        _lock_migrations(conn)
        schema_migrations.create(conn, checkfirst=True)
        done = applied_versions(conn)
        applied = []
        for migration in migrations:
            if migration.version in done:
                continue
            migration.apply(conn)
            conn.execute(schema_migrations.insert().values(
                version=migration.version, description=migration.description, applied_at=now))
            applied.append(migration.version)
    return applied


def current_version(engine: Engine) -> int:
    """The highest version applied; 0 for an empty database."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table(schema_migrations.name):
            return 0
        return max(applied_versions(conn), default=0)


def applied_versions(conn: Connection) -> set[int]:
    return set(conn.scalars(sa.select(schema_migrations.c.version)))


def _lock_migrations(conn: Connection) -> None:
    # SQLite: begin_write's BEGIN IMMEDIATE already holds the only write lock there is.
    # PostgreSQL: without this lock, two instances would both create the tables and one
    # would fail; the lock is released when the transaction ends.
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY})


def _check_sequence(migrations: Sequence[Migration]) -> None:
    versions = [m.version for m in migrations]
    if versions != sorted(set(versions)) or (versions and versions[0] < 1):
        raise ValueError(f"migration versions must be positive and strictly increasing: "
                         f"{versions}")
