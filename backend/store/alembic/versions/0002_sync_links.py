"""HubSpot-Stripe sync links (the old runner's migration 2).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03

The HubSpot <-> Stripe links and their last synced state (the products and customers sync).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from backend.store.schema import NAMING_CONVENTION

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _tables() -> sa.MetaData:
    md = sa.MetaData(naming_convention=NAMING_CONVENTION)
    sa.Table("sync_links", md,
             sa.Column("company", sa.String(255), primary_key=True),
             sa.Column("object_type", sa.String(20), primary_key=True),
             sa.Column("hubspot_id", sa.String(255), primary_key=True),
             sa.Column("stripe_id", sa.String(255), nullable=False),
             sa.Column("state", sa.JSON, nullable=False),
             sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
             sa.UniqueConstraint("company", "object_type", "stripe_id"))
    return md


def upgrade() -> None:
    _tables().create_all(op.get_bind())


def downgrade() -> None:
    _tables().drop_all(op.get_bind())
