"""The company registry: one row per company the store serves.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

Constraint names are written out as schema.NAMING_CONVENTION makes them (pk_<table>,
uq_<table>_<columns>): the same on SQLite and PostgreSQL, and frozen here even if the
convention changes later.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    ts = sa.DateTime(timezone=True)
    op.create_table(
        "companies",
        sa.Column("id", sa.String(63), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("spreadsheet_id", sa.String(255), nullable=False),
        sa.Column("allowed_emails", sa.JSON, nullable=False),   # list of str
        sa.Column("client_ids", sa.JSON, nullable=False),       # list of str
        sa.Column("secrets", sa.JSON, nullable=False),          # kind -> secret name
        sa.Column("settings", sa.JSON, nullable=False),         # dict
        sa.Column("created_at", ts, nullable=False),
        sa.Column("updated_at", ts, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_companies"),
        sa.UniqueConstraint("spreadsheet_id", name="uq_companies_spreadsheet_id"),
    )


def downgrade() -> None:
    op.drop_table("companies")
