"""Alembic's environment for the ledger store (backend/store/migrations.py drives it).

`migrations.migrate` hands us its connection in `config.attributes["connection"]`, already
in a transaction holding the migrations lock: Alembic then runs every pending revision in
that one transaction (an external transaction: Alembic neither begins nor commits it), and
records the revisions it applied in `config.attributes["applied"]`.

Run by the `alembic` command itself (alembic.ini at the repository root, e.g. for
`alembic revision --autogenerate`), it connects to DATABASE_URL (else sqlite:///ledger.db)
and takes the same lock as `migrate`; like `migrate`, it first stamps a database the old
runner created at its matching revision (any command, even `alembic current`).
"""

from __future__ import annotations

from alembic import context

from backend.store import migrations, schema
from backend.store.ledger import database_url_from_env

config = context.config


def _record_applied(*, ctx, step, heads, run_args) -> None:
    if step.is_upgrade and not step.is_stamp:
        config.attributes.setdefault("applied", []).append(step.up_revision_id)


def render_item(type_: str, obj, autogen_context) -> str | bool:
    # A revision is a frozen copy: it names the database type, not our Python wrapper.
    if type_ == "type" and isinstance(obj, schema.UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=schema.metadata,
                      include_name=migrations.include_name, on_version_apply=_record_applied,
                      render_item=render_item, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or database_url_from_env()
    engine = schema.make_engine(url)
    try:
        with schema.begin_write(engine) as conn:
            migrations.lock_migrations(conn)
            migrations.adopt_old_runner_database(conn, context.script)
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) mode is not supported: the revisions need a connection")
run_migrations_online()
