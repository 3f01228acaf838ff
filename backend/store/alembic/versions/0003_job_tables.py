"""Background jobs of the web layer and their files (the old runner's migration 3).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03

The web layer's background jobs (backend/jobs/sql_store.py): one active job per company (the
unique `active_company`, NULL once a job is over), their progress and outcome, and the files
an export made. IF NOT EXISTS (checkfirst): where the job store already created them
(SqlJobStore.ensure_tables, before this migration existed), they are kept as they are.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from backend.store.schema import NAMING_CONVENTION

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _tables() -> sa.MetaData:
    md = sa.MetaData(naming_convention=NAMING_CONVENTION)
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
    return md


def upgrade() -> None:
    _tables().create_all(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    _tables().drop_all(op.get_bind())
