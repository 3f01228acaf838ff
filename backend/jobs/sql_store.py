"""The job store on the ledger's database (SQLite locally, PostgreSQL on App Engine), so that
every instance sees the same jobs: the one that starts a job, the one Cloud Tasks gives it
to, the ones the sidebar polls.

"One active job per company" is the unique column `active_company`: it holds the company
while the job is queued or running and NULL after (NULLs never clash), so starting a job is
one INSERT ... ON CONFLICT DO NOTHING that two racing requests cannot both win.

The tables are the ledger store's (`schema.py`, Alembic revision 0003); `ensure_tables()` applies the
store's migrations.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from backend.jobs.model import ACTIVE, DONE, QUEUED, RUNNING, Job, JobFile
from backend.jobs.store import INTERRUPTED, RESUMING
from backend.store import schema
from backend.store import migrations
from backend.store.schema import begin_write, job_files, jobs

_COLUMNS = [c for c in jobs.c if c.name != "active_company"]


def _job(row) -> Job:
    m = row._mapping
    return Job(**{c.name: m[c.name] for c in _COLUMNS})


class SqlJobStore:
    def __init__(self, engine: Engine | str) -> None:
        self.engine = schema.make_engine(engine) if isinstance(engine, str) else engine
        self._insert = (postgresql.insert if self.engine.dialect.name == "postgresql"
                        else sqlite.insert)

    def ensure_tables(self) -> None:
        migrations.migrate(self.engine)

    def create(self, job: Job, stale_after: timedelta) -> tuple[Job, bool]:
        now = job.created_at
        values = {c.name: getattr(job, c.name) for c in _COLUMNS}
        stmt = (self._insert(jobs).values(**values, active_company=job.company)
                .on_conflict_do_nothing(index_elements=[jobs.c.active_company])
                .returning(jobs.c.id))
        with begin_write(self.engine) as conn:
            conn.execute(jobs.update().where(jobs.c.active_company == job.company,
                                             jobs.c.updated_at < now - stale_after)
                         .values(**_closing("failed", "error", INTERRUPTED, {}, now)))
            if conn.execute(stmt).first() is not None:
                return job, True
            row = conn.execute(sa.select(*_COLUMNS).where(
                jobs.c.active_company == job.company)).first()
        if row is None:   # finished between the two statements (PostgreSQL): try again
            return self.create(job, stale_after)
        return _job(row), False

    def get(self, job_id: str) -> Job | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(*_COLUMNS).where(jobs.c.id == job_id)).first()
        return _job(row) if row else None

    def claim(self, job_id, worker, now, stale_after):
        stmt = (jobs.update()
                .where(jobs.c.id == job_id, sa.or_(
                    jobs.c.state == QUEUED,
                    sa.and_(jobs.c.state == RUNNING, jobs.c.updated_at < now - stale_after)))
                .values(state=RUNNING, worker=worker, updated_at=now,
                        started_at=sa.func.coalesce(jobs.c.started_at, now))
                .returning(*_COLUMNS))
        with begin_write(self.engine) as conn:
            row = conn.execute(stmt).first()
        return _job(row) if row else None

    def progress(self, job_id, stage, done, total, percent, now):
        stmt = (jobs.update().where(jobs.c.id == job_id, jobs.c.state == RUNNING)
                .values(stage=stage[:200], done=done, total=total, percent=percent,
                        updated_at=now))
        with begin_write(self.engine) as conn:
            conn.execute(stmt)

    def finish(self, job_id, state, outcome, message, result, now, files=()):
        with begin_write(self.engine) as conn:
            closed = conn.execute(jobs.update().where(jobs.c.id == job_id,
                                                      jobs.c.state.in_(ACTIVE))
                                  .values(**_closing(state, outcome, message, result, now)))
            if closed.rowcount and files:
                conn.execute(job_files.insert(), [
                    {"job_id": job_id, "name": f.name, "media_type": f.media_type,
                     "content": f.content} for f in files])

    def touch(self, job_id, now):
        stmt = (jobs.update().where(jobs.c.id == job_id, jobs.c.state == RUNNING,
                                    jobs.c.updated_at < now)
                .values(updated_at=now))
        with begin_write(self.engine) as conn:
            conn.execute(stmt)

    def requeue(self, job_id, now):
        stmt = (jobs.update().where(jobs.c.id == job_id, jobs.c.state == RUNNING)
                .values(state=QUEUED, worker="", stage=RESUMING, updated_at=now))
        with begin_write(self.engine) as conn:
            return conn.execute(stmt).rowcount == 1

    def active(self, company):
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(*_COLUMNS).where(
                jobs.c.active_company == company)).first()
        return _job(row) if row else None

    def latest(self, company, limit=10):
        stmt = (sa.select(*_COLUMNS).where(jobs.c.company == company)
                .order_by(jobs.c.created_at.desc(), jobs.c.id).limit(limit))
        with self.engine.connect() as conn:
            return [_job(row) for row in conn.execute(stmt)]

    def file(self, job_id, name):
        stmt = sa.select(job_files.c.name, job_files.c.media_type, job_files.c.content).where(
            job_files.c.job_id == job_id, job_files.c.name == name)
        with self.engine.connect() as conn:
            row = conn.execute(stmt).first()
        return JobFile(row.name, row.media_type, bytes(row.content)) if row else None

    def purge(self, finished_before):
        with begin_write(self.engine) as conn:
            old = sa.select(jobs.c.id).where(jobs.c.finished_at < finished_before)
            conn.execute(job_files.delete().where(job_files.c.job_id.in_(old)))
            return conn.execute(jobs.delete().where(jobs.c.finished_at < finished_before)).rowcount


def _closing(state: str, outcome: str, message: str, result: dict, now: datetime) -> dict:
    values = {"state": state, "outcome": outcome, "message": message, "result": result,
              "finished_at": now, "updated_at": now, "active_company": None}
    if state == DONE:
        values["percent"] = 100
    return values
