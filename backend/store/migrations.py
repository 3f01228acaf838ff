"""Migrations of the ledger store, by Alembic.

The revisions live in the package (`backend/store/alembic/versions/`, shipped to App Engine
with the code): 0001-0003 are the three migrations of the hand-written runner this module
used to be, copied exactly; later ones are ordinary Alembic revisions. The Alembic
configuration is built here, in code (`alembic_config`); `alembic.ini` at the repository
root only serves people who run the `alembic` command themselves.

`migrate` applies the pending revisions in one transaction: if one fails, none is recorded
and the database is left as it was (PostgreSQL and SQLite both have transactional DDL).
Two processes migrating at once (two App Engine instances starting) are serialised by a
lock: PostgreSQL's transaction-level advisory lock, SQLite's write lock (BEGIN IMMEDIATE);
Alembic runs on that very connection (`config.attributes["connection"]`).

A database the old runner created (a `schema_migrations` table, no `alembic_version`) is
stamped at the revision matching its version (1 -> 0001, ...), then upgraded like any other.

How to change the schema: backend/store/alembic/README.
"""

from __future__ import annotations

import functools
import zlib
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from backend.store import schema

SCRIPT_LOCATION = Path(__file__).resolve().parent / "alembic"

# The old runner's record of applied versions, and the revision each version became.
# The table is left in place once the database is under Alembic: it costs nothing, keeps
# when each early migration ran, and lets a rollback to a release that still has the old
# runner see "version 3, nothing to do" instead of re-running its migrations.
OLD_RUNNER_TABLE = "schema_migrations"
OLD_RUNNER_REVISIONS = {1: "0001", 2: "0002", 3: "0003"}

# Alembic's record of the revision a database is at (its default name and shape), to read it
# with one cached statement: a MigrationContext would build and compile its own every time.
_alembic_version = sa.Table("alembic_version", sa.MetaData(),
                            sa.Column("version_num", sa.String(32), primary_key=True))

# Any fixed 64-bit number names the advisory lock; this one is derived from the module name
# (the old runner's key: an old and a new release starting together still wait for each other).
_ADVISORY_LOCK_KEY = zlib.crc32(b"backend.store.migrations")


def alembic_config(script_location: Path = SCRIPT_LOCATION) -> Config:
    """Alembic's configuration for the ledger store, without any .ini file. (Tests pass a
    copy of the folder with revisions of their own.)"""
    config = Config()
    config.set_main_option("script_location", str(script_location))
    return config


@functools.cache
def _scripts(script_location: Path = SCRIPT_LOCATION) -> ScriptDirectory:
    # Reading the revision files once per process keeps migrate() on an up-to-date database
    # down to one query and no file read (the test suite migrates hundreds of stores).
    return ScriptDirectory.from_config(alembic_config(script_location))


def head_revision(script_location: Path = SCRIPT_LOCATION) -> str:
    """The revision the code expects (the last one of backend/store/alembic/versions)."""
    head = _scripts(script_location).get_current_head()
    assert head is not None, f"no revision in {script_location}/versions"
    return head


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """What autogenerate compares (env.py, tests): not the old runner's record, which stays
    in databases it created (above) and is no part of schema.metadata."""
    return not (type_ == "table" and name == OLD_RUNNER_TABLE)


def current_revision(engine: Engine) -> str | None:
    """The database's revision; None for an empty database. A database the old runner left
    at version N counts as its matching revision (migrate stamps it so)."""
    with engine.connect() as conn:
        return _current(conn)


def is_up_to_date(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()


def migrate(engine: Engine, script_location: Path = SCRIPT_LOCATION) -> list[str]:
    """Apply the revisions not yet applied, in order; the revisions applied (empty if none)."""
    head = head_revision(script_location)
    with engine.connect() as conn:          # the common case: no lock, no Alembic run
        if _alembic_revision(conn) == head:
            return []
    with schema.begin_write(engine) as conn:
        lock_migrations(conn)
        adopt_old_runner_database(conn, _scripts(script_location))
        config = alembic_config(script_location)
        config.attributes["connection"] = conn
        config.attributes["applied"] = applied = []
        command.upgrade(config, head)
    return applied


def lock_migrations(conn: Connection) -> None:
    # SQLite: begin_write's BEGIN IMMEDIATE already holds the only write lock there is.
    # PostgreSQL: without this lock, two instances would both create the tables and one
    # would fail; the lock is released when the transaction ends.
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY})


def _alembic_revision(conn: Connection) -> str | None:
    if not sa.inspect(conn).has_table(_alembic_version.name):
        return None
    revisions = conn.scalars(sa.select(_alembic_version.c.version_num)).all()
    # Several rows would be several branches: our history is one line, so none is the head.
    return revisions[0] if len(revisions) == 1 else ",".join(sorted(revisions)) or None


def _current(conn: Connection) -> str | None:
    revision = _alembic_revision(conn)
    if revision is None:
        version = _old_runner_version(conn)
        if version is not None:
            return OLD_RUNNER_REVISIONS.get(version, f"old runner's version {version}")
    return revision


def _old_runner_version(conn: Connection) -> int | None:
    """The old runner's version of a database it created and Alembic never touched."""
    inspector = sa.inspect(conn)
    if inspector.has_table(_alembic_version.name) or not inspector.has_table(OLD_RUNNER_TABLE):
        return None
    # None if its record is empty: the old runner had applied nothing.
    return conn.scalar(sa.text(f"SELECT MAX(version) FROM {OLD_RUNNER_TABLE}"))


def adopt_old_runner_database(conn: Connection, scripts: ScriptDirectory) -> None:
    """Stamp a database the old runner created at the revision matching its version (under
    the migrations lock, before Alembic reads the database's revision)."""
    version = _old_runner_version(conn)
    if version is None:
        return
    if version not in OLD_RUNNER_REVISIONS:
        raise RuntimeError(f"{OLD_RUNNER_TABLE} is at version {version}, which no revision "
                           f"matches: this database is newer than this code")
    MigrationContext.configure(conn).stamp(scripts, OLD_RUNNER_REVISIONS[version])
