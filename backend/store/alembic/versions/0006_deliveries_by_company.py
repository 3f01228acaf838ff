"""Webhook deliveries keyed by company: (company, source, delivery_id).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

The ids are the senders' (Stripe's event ids, HubSpot's event fields), and HubSpot's portals
share one numbering: keyed by source alone, a delivery of one company could be taken for a
replay of another's and dropped.

A delivery recorded before this revision does not say whose it was. It is kept for every
company the store knows (the registry and every table keyed by company), so that a retry
still sent by Stripe (it retries for three days) is recognised whichever company it was for:
a copy too many costs one row, a copy too few a delivery applied twice. In a store that knows
no company at all the rows are kept under the empty company, where nothing looks them up.

The table is rebuilt (the primary key changes; SQLite cannot alter one): rows go through a
scratch table, as the old and new tables cannot both carry the name pk_webhook_deliveries on
PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SCRATCH = "webhook_deliveries_0006"
# Tables whose `company` (or `id`) names a company the store serves, as they are at 0005.
COMPANY_COLUMNS = (("companies", "id"), ("runs", "company"), ("journal_entries", "company"),
                   ("customer_codes", "company"), ("cursors", "company"),
                   ("sync_links", "company"), ("jobs", "company"))


def _deliveries(name: str, with_company: bool) -> sa.Table:
    columns = [sa.Column("company", sa.String(255))] if with_company else []
    return sa.Table(name, sa.MetaData(), *columns,
                    sa.Column("source", sa.String(100)),
                    sa.Column("delivery_id", sa.String(255)),
                    sa.Column("received_at", sa.DateTime(timezone=True)))


def _create(name: str, with_company: bool, primary_key: str | None) -> None:
    key = [sa.Column("company", sa.String(255), nullable=False)] if with_company else []
    constraints = ([sa.PrimaryKeyConstraint(*(["company"] if with_company else []),
                                            "source", "delivery_id", name=primary_key)]
                   if primary_key else [])
    op.create_table(name, *key,
                    sa.Column("source", sa.String(100), nullable=False),
                    sa.Column("delivery_id", sa.String(255), nullable=False),
                    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
                    *constraints)


def _known_companies(bind) -> list[str]:
    present = set(sa.inspect(bind).get_table_names())
    selects = [sa.select(sa.column(column).label("company")).select_from(sa.table(table))
               for table, column in COMPANY_COLUMNS if table in present]
    return sorted(bind.execute(sa.union(*selects)).scalars()) if selects else []


def _copy(source: sa.Table, target: sa.Table, company=None) -> None:
    """INSERT ... SELECT, `company` a literal for every row (None: the source's own)."""
    company_column = (source.c.company if company is None
                      else sa.literal(company, sa.String(255)).label("company"))
    op.get_bind().execute(target.insert().from_select(
        ["company", "source", "delivery_id", "received_at"],
        sa.select(company_column, source.c.source, source.c.delivery_id,
                  source.c.received_at)))


def upgrade() -> None:
    bind = op.get_bind()
    old = _deliveries("webhook_deliveries", with_company=False)
    scratch = _deliveries(SCRATCH, with_company=True)
    _create(SCRATCH, with_company=True, primary_key=None)
    for company in _known_companies(bind) or [""]:
        _copy(old, scratch, company)
    op.drop_table("webhook_deliveries")
    _create("webhook_deliveries", with_company=True, primary_key="pk_webhook_deliveries")
    _copy(scratch, _deliveries("webhook_deliveries", with_company=True))
    op.drop_table(SCRATCH)


def downgrade() -> None:
    # One row per (source, id), the first time any company received it.
    new = _deliveries("webhook_deliveries", with_company=True)
    op.create_table(SCRATCH,
                    sa.Column("source", sa.String(100), nullable=False),
                    sa.Column("delivery_id", sa.String(255), nullable=False),
                    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False))
    scratch = _deliveries(SCRATCH, with_company=False)
    op.get_bind().execute(scratch.insert().from_select(
        ["source", "delivery_id", "received_at"],
        sa.select(new.c.source, new.c.delivery_id, sa.func.min(new.c.received_at))
        .group_by(new.c.source, new.c.delivery_id)))
    op.drop_table("webhook_deliveries")
    _create("webhook_deliveries", with_company=False, primary_key="pk_webhook_deliveries")
    old = _deliveries("webhook_deliveries", with_company=False)
    op.get_bind().execute(old.insert().from_select(
        ["source", "delivery_id", "received_at"],
        sa.select(scratch.c.source, scratch.c.delivery_id, scratch.c.received_at)))
    op.drop_table(SCRATCH)
