"""Create the ledger tables (the old runner's migration 1).

Revision ID: 0001
Revises:
Create Date: 2026-12-03

A frozen copy of the tables of the first release, never `schema.metadata`: databases in
production ran exactly this.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from backend.store.schema import NAMING_CONVENTION

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _tables() -> sa.MetaData:
    md = sa.MetaData(naming_convention=NAMING_CONVENTION)
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
    return md


def upgrade() -> None:
    _tables().create_all(op.get_bind())


def downgrade() -> None:
    _tables().drop_all(op.get_bind())
