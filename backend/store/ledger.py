"""The ledger store: what was written to the sheet, runs, locks, anomalies, cursors, customer
codes and webhook deliveries, per company.

Plain Python values in and out. Every write is one transaction. Bulk writes go in batches
through executemany (one round trip per batch, not per row). Timestamps are aware UTC
datetimes. Works on a SQLite file (the default) and on PostgreSQL (`DATABASE_URL`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from backend.core.codes import code_key
from backend.store import migrations, schema
from backend.store.schema import (
    anomalies,
    begin_write,
    cursors,
    customer_codes,
    journal_entries,
    run_locks,
    runs,
    sync_links,
    webhook_deliveries,
)

# Rows per executemany call: large enough that 50,000 records take a few round trips,
# small enough to keep the parameter lists modest in memory.
BATCH_ROWS = 5000
# Values per membership test (see _batches_in).
IN_LIST_SIZE = 900        # SQLite: below its historical limit of 999 bound parameters
ARRAY_SIZE = 10000        # PostgreSQL: one array parameter
# Entry kinds whose written entry means the document is in the journal (a void of it then
# needs a reversal).
DOCUMENT_KINDS = ("invoice", "credit_note")
OUTCOMES = ("ok", "failed")
# A run's lease on its company: short, renewed by the run's heartbeat (services/locked.py), so
# that a crashed process holds the company for at most this long.
LEASE_SECONDS = 60

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class JournalRecord:
    ref: str             # the entry's unique key: "in_…", "cn_…", "in_…/annulation"
    document_id: str     # Stripe id
    kind: str            # "invoice" | "credit_note" | "reversal"
    piece: str           # document number
    entry_date: date
    tab: str             # sheet tab it was written to
    status: str          # "pending" (about to be written) | "written"
    run_id: int | None


@dataclass(frozen=True)
class SyncLink:
    hubspot_id: str
    stripe_id: str
    state: dict          # the synced fields' values at the last sync
    synced_at: datetime | None = None


class UnknownRefs(KeyError):
    """mark_written was given refs the store does not have (nothing was changed)."""

    def __init__(self, company: str, refs: list[str]) -> None:
        super().__init__(refs)
        self.company = company
        self.refs = refs

    def __str__(self) -> str:
        shown = ", ".join(self.refs[:20]) + (" …" if len(self.refs) > 20 else "")
        return f"{len(self.refs)} unknown ref(s) for company {self.company!r}: {shown}"


def _now(now: datetime | None) -> datetime:
    """The given time (aware: a naive one is refused), else the current time, in UTC."""
    if now is None:
        return datetime.now(timezone.utc)
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"naive datetime {now!r}: pass an aware datetime (UTC)")
    return now.astimezone(timezone.utc)


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def with_driver(url: str) -> str:
    """The URL with the PostgreSQL driver we ship (psycopg 3) when it names none: Cloud SQL
    docs and most hosts write postgres:// or postgresql://, which SQLAlchemy would map to
    psycopg2, a driver we do not install."""
    url = url.strip()
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def database_url(explicit: str | None = None, default_path: str = "ledger.db") -> str:
    """The ledger store's URL: `explicit` (a command's --database-url), else DATABASE_URL,
    else a SQLite file; with our PostgreSQL driver."""
    url = (explicit or "").strip() or os.environ.get("DATABASE_URL", "").strip()
    return with_driver(url) if url else f"sqlite:///{default_path}"


def database_url_from_env(default_path: str = "ledger.db") -> str:
    return database_url(None, default_path)


class LedgerStore:
    def __init__(self, url: str = "sqlite:///ledger.db", **engine_kwargs: Any) -> None:
        self.engine = schema.make_engine(url, **engine_kwargs)
        dialect = self.engine.dialect.name
        # ON CONFLICT clauses are dialect-specific in SQLAlchemy; both dialects have them.
        self._insert = postgresql.insert if dialect == "postgresql" else sqlite.insert

    @classmethod
    def from_env(cls, default_path: str = "ledger.db") -> LedgerStore:
        return cls(database_url_from_env(default_path))

    def close(self) -> None:
        """Close the pooled connections (tests, shutdown)."""
        self.engine.dispose()

    # --- Schema -------------------------------------------------------------------------

    def migrate(self) -> list[str]:
        """Bring the database to the code's schema; the Alembic revisions applied."""
        return migrations.migrate(self.engine)

    def schema_version(self) -> str | None:
        """The database's Alembic revision ("0004"...); None for an empty database."""
        return migrations.current_revision(self.engine)

    # --- One run at a time per company --------------------------------------------------

    def acquire_lock(self, company: str, holder: str, ttl_seconds: float = LEASE_SECONDS,
                     now: datetime | None = None) -> bool:
        """Take the company's lease; True if taken (free, expired, or already ours: then
        extended). One statement, so two racing callers cannot both get it."""
        now = _now(now)
        stmt = self._insert(run_locks).values(
            company=company, holder=holder, acquired_at=now,
            expires_at=now + _ttl(ttl_seconds))
        stmt = stmt.on_conflict_do_update(
            index_elements=[run_locks.c.company],
            set_={"holder": stmt.excluded.holder, "acquired_at": stmt.excluded.acquired_at,
                  "expires_at": stmt.excluded.expires_at},
            # The row is updated only if it is ours or its lease ran out (a crashed run).
            where=sa.or_(run_locks.c.holder == holder, run_locks.c.expires_at <= now)
        ).returning(run_locks.c.holder)   # a row back iff inserted or updated
        with begin_write(self.engine) as conn:
            return conn.execute(stmt).first() is not None

    def renew_lock(self, company: str, holder: str, ttl_seconds: float = LEASE_SECONDS,
                   now: datetime | None = None) -> bool:
        """Extend our lease; False if another holder has the lock (or nobody has)."""
        now = _now(now)
        stmt = (run_locks.update()
                .where(run_locks.c.company == company, run_locks.c.holder == holder)
                .values(expires_at=now + _ttl(ttl_seconds)))
        with begin_write(self.engine) as conn:
            return conn.execute(stmt).rowcount == 1

    def release_lock(self, company: str, holder: str) -> None:
        """Give the lock up; a no-op if another holder has taken it since."""
        with begin_write(self.engine) as conn:
            conn.execute(run_locks.delete().where(run_locks.c.company == company,
                                                  run_locks.c.holder == holder))

    def lock_holder(self, company: str) -> tuple[str, datetime] | None:
        """(holder, expires_at) of the lease on record, expired or not; None if free."""
        stmt = sa.select(run_locks.c.holder, run_locks.c.expires_at).where(
            run_locks.c.company == company)
        with self.engine.connect() as conn:
            row = conn.execute(stmt).first()
        return (row.holder, row.expires_at) if row else None

    # --- Runs ---------------------------------------------------------------------------

    def start_run(self, company: str, action: str, trigger: str,
                  now: datetime | None = None) -> int:
        stmt = runs.insert().values(company=company, action=action, trigger=trigger,
                                    started_at=_now(now))
        with begin_write(self.engine) as conn:
            return int(conn.execute(stmt).inserted_primary_key[0])

    def finish_run(self, run_id: int, outcome: str, summary: dict,
                   now: datetime | None = None) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, not {outcome!r}")
        json.dumps(summary)   # a TypeError here names the culprit, not a database error
        stmt = (runs.update().where(runs.c.id == run_id)
                .values(outcome=outcome, summary=summary, finished_at=_now(now)))
        with begin_write(self.engine) as conn:
            if conn.execute(stmt).rowcount != 1:
                raise KeyError(f"no run {run_id}")

    def runs(self, company: str, limit: int = 20) -> list[dict]:
        """The company's runs, newest first."""
        stmt = (sa.select(runs.c.id, runs.c.action, runs.c.trigger, runs.c.started_at,
                          runs.c.finished_at, runs.c.outcome, runs.c.summary)
                .where(runs.c.company == company)
                .order_by(runs.c.started_at.desc(), runs.c.id.desc())
                .limit(limit))
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(stmt)]

    # --- What was written (exactly once) -----------------------------------------------

    def journal(self, company: str) -> dict[str, JournalRecord]:
        """Every record of the company, by ref, in one query."""
        c = journal_entries.c
        stmt = sa.select(c.ref, c.document_id, c.kind, c.piece, c.entry_date, c.tab,
                         c.status, c.run_id).where(c.company == company)
        with self.engine.connect() as conn:
            return {row[0]: JournalRecord(*row) for row in conn.execute(stmt)}

    def mark_pending(self, company: str, records: list[JournalRecord], run_id: int) -> None:
        """Record entries about to be written. A pending record is updated; a written one is
        left exactly as it is (never downgraded to pending)."""
        rows = [{"company": company, "ref": r.ref, "document_id": r.document_id,
                 "kind": r.kind, "piece": r.piece, "entry_date": r.entry_date, "tab": r.tab,
                 "status": "pending", "run_id": run_id} for r in _unique_records(records)]
        stmt = self._insert(journal_entries)
        stmt = stmt.on_conflict_do_update(
            index_elements=[journal_entries.c.company, journal_entries.c.ref],
            set_={name: stmt.excluded[name] for name in
                  ("document_id", "kind", "piece", "entry_date", "tab", "run_id")},
            where=journal_entries.c.status != "written")
        with begin_write(self.engine) as conn:
            for batch in _chunks(rows, BATCH_ROWS):
                conn.execute(stmt, batch)

    def mark_written(self, company: str, refs: list[str], run_id: int) -> None:
        """pending -> written. Every ref must be known (else UnknownRefs, a KeyError, and
        nothing changes); a ref already written keeps its record."""
        refs = list(dict.fromkeys(refs))
        c = journal_entries.c
        stmt = (journal_entries.update()
                .where(c.company == sa.bindparam("b_company"), c.ref == sa.bindparam("b_ref"),
                       c.status == "pending")
                .values(status="written", run_id=sa.bindparam("b_run_id")))
        with begin_write(self.engine) as conn:
            known = {ref for condition in _batches_in(conn, c.ref, refs)
                     for ref in conn.scalars(sa.select(c.ref).where(c.company == company,
                                                                     condition))}
            unknown = [ref for ref in refs if ref not in known]
            if unknown:
                raise UnknownRefs(company, unknown)
            params = [{"b_company": company, "b_ref": ref, "b_run_id": run_id} for ref in refs]
            for batch in _chunks(params, BATCH_ROWS):
                conn.execute(stmt, batch)

    def forget_pending(self, company: str, refs: list[str]) -> None:
        """Drop pending records the sheet did not get; written records are never dropped."""
        c = journal_entries.c
        stmt = journal_entries.delete().where(
            c.company == sa.bindparam("b_company"), c.ref == sa.bindparam("b_ref"),
            c.status == "pending")
        params = [{"b_company": company, "b_ref": ref} for ref in dict.fromkeys(refs)]
        with begin_write(self.engine) as conn:
            for batch in _chunks(params, BATCH_ROWS):
                conn.execute(stmt, batch)

    def written_documents(self, company: str) -> set[str]:
        """Stripe ids whose invoice or credit-note entry is written."""
        c = journal_entries.c
        stmt = sa.select(c.document_id).distinct().where(
            c.company == company, c.status == "written", c.kind.in_(DOCUMENT_KINDS))
        with self.engine.connect() as conn:
            return set(conn.scalars(stmt))

    # --- Anomalies ----------------------------------------------------------------------

    def sync_anomalies(self, company: str, current: dict[str, str],
                       now: datetime | None = None) -> dict[str, datetime]:
        """Make the stored anomalies the current ones: new ones are first seen now, known ones
        keep their first_seen (their reason is updated), fixed ones are removed.
        Returns first_seen per current document id."""
        now = _now(now)
        a = anomalies.c
        upsert = self._insert(anomalies)
        upsert = upsert.on_conflict_do_update(
            index_elements=[a.company, a.document_id], set_={"reason": upsert.excluded.reason})
        remove = anomalies.delete().where(a.company == sa.bindparam("b_company"),
                                          a.document_id == sa.bindparam("b_document_id"))
        with begin_write(self.engine) as conn:
            stored = set(conn.scalars(sa.select(a.document_id).where(a.company == company)))
            fixed = [{"b_company": company, "b_document_id": doc}
                     for doc in stored - current.keys()]
            for batch in _chunks(fixed, BATCH_ROWS):
                conn.execute(remove, batch)
            rows = [{"company": company, "document_id": doc, "reason": reason,
                     "first_seen": now} for doc, reason in current.items()]
            for batch in _chunks(rows, BATCH_ROWS):
                conn.execute(upsert, batch)
            first_seen = conn.execute(sa.select(a.document_id, a.first_seen)
                                      .where(a.company == company))
            return {doc: seen for doc, seen in first_seen if doc in current}

    # --- Cursors ------------------------------------------------------------------------

    def get_cursor(self, company: str, key: str) -> str | None:
        stmt = sa.select(cursors.c.value).where(cursors.c.company == company,
                                                cursors.c.key == key)
        with self.engine.connect() as conn:
            return conn.scalar(stmt)

    def set_cursor(self, company: str, key: str, value: str) -> None:
        stmt = self._insert(cursors).values(company=company, key=key, value=value)
        stmt = stmt.on_conflict_do_update(index_elements=[cursors.c.company, cursors.c.key],
                                          set_={"value": stmt.excluded.value})
        with begin_write(self.engine) as conn:
            conn.execute(stmt)

    # --- Customer codes -----------------------------------------------------------------

    def customer_codes(self, company: str) -> dict[str, str]:
        """Stripe customer id -> account code, for every customer given one."""
        stmt = sa.select(customer_codes.c.customer_id, customer_codes.c.code).where(
            customer_codes.c.company == company)
        with self.engine.connect() as conn:
            return {customer: code for customer, code in conn.execute(stmt)}

    def save_customer_codes(self, company: str, codes: dict[str, str]) -> None:
        """Save new codes. ValueError (and nothing saved) if a customer already has another
        code, or a code belongs to another customer."""
        if not codes:
            return
        cc = customer_codes.c
        insert = self._insert(customer_codes).on_conflict_do_nothing(
            index_elements=[cc.company, cc.customer_id])
        with begin_write(self.engine) as conn:
            stored = dict(conn.execute(sa.select(cc.customer_id, cc.code)
                                       .where(cc.company == company)).all())
            _check_codes(company, codes, stored)
            new = [{"company": company, "customer_id": customer, "code": code,
                    "code_key": code_key(code)}
                   for customer, code in codes.items() if customer not in stored]
            try:
                for batch in _chunks(new, BATCH_ROWS):
                    conn.execute(insert, batch)
            except IntegrityError as exc:   # the unique code, taken by a concurrent save
                raise ValueError(f"company {company!r}: a customer code is already used by "
                                 f"another customer ({exc.orig})") from exc
            # On PostgreSQL a concurrent save may have given one of them a code first, which
            # ON CONFLICT DO NOTHING skipped silently: read back what is now stored.
            saved = _codes_of(conn, company, [row["customer_id"] for row in new])
            _check_codes(company, codes, saved)

    # --- HubSpot <-> Stripe sync links ----------------------------------------------------

    def sync_links(self, company: str, object_type: str) -> dict[str, SyncLink]:
        """HubSpot id -> its link, for one kind of object ("product", "company", "contact")."""
        sl = sync_links.c
        stmt = sa.select(sl.hubspot_id, sl.stripe_id, sl.state, sl.synced_at).where(
            sl.company == company, sl.object_type == object_type)
        with self.engine.connect() as conn:
            return {row.hubspot_id: SyncLink(row.hubspot_id, row.stripe_id, dict(row.state),
                                             row.synced_at) for row in conn.execute(stmt)}

    def save_sync_links(self, company: str, object_type: str, links: list[SyncLink],
                        now: datetime | None = None) -> None:
        """Record links and their synced state (replacing what was there for those ids)."""
        if not links:
            return
        sl = sync_links.c
        rows = [{"company": company, "object_type": object_type, "hubspot_id": link.hubspot_id,
                 "stripe_id": link.stripe_id, "state": link.state, "synced_at": _now(now)}
                for link in links]
        with begin_write(self.engine) as conn:
            conn.execute(sa.delete(sync_links).where(
                sl.company == company, sl.object_type == object_type,
                sl.hubspot_id.in_([link.hubspot_id for link in links])))
            for batch in _chunks(rows, BATCH_ROWS):
                conn.execute(sa.insert(sync_links), batch)

    # --- Webhook deliveries -------------------------------------------------------------

    def record_delivery(self, company: str, source: str, delivery_id: str,
                        now: datetime | None = None) -> bool:
        """True the first time a company's delivery is seen, False on a replay (even a
        concurrent one: the primary key decides). Per company: the ids come from the sender
        (and HubSpot's portals share a numbering), so another company's delivery of the same
        id is not a replay of this one."""
        wd = webhook_deliveries.c
        stmt = self._insert(webhook_deliveries).values(
            company=company, source=source, delivery_id=delivery_id, received_at=_now(now))
        stmt = stmt.on_conflict_do_nothing(
            index_elements=[wd.company, wd.source, wd.delivery_id]
        ).returning(wd.delivery_id)   # a row back iff inserted
        with begin_write(self.engine) as conn:
            return conn.execute(stmt).first() is not None


def _ttl(ttl_seconds: float) -> timedelta:
    if ttl_seconds <= 0:
        raise ValueError(f"ttl_seconds must be positive, not {ttl_seconds}")
    return timedelta(seconds=ttl_seconds)


def _unique_records(records: Iterable[JournalRecord]) -> list[JournalRecord]:
    """One record per ref. The same record twice is harmless (a document listed twice by a
    paginated fetch); two different records for one ref are a bug upstream."""
    by_ref: dict[str, JournalRecord] = {}
    for record in records:
        if record.kind not in schema.KINDS:
            raise ValueError(f"{record.ref}: kind must be one of {schema.KINDS}, "
                             f"not {record.kind!r}")
        seen = by_ref.setdefault(record.ref, record)
        if _comparable(seen) != _comparable(record):
            raise ValueError(f"two different records for ref {record.ref}: {seen} / {record}")
    return list(by_ref.values())


def _comparable(record: JournalRecord) -> tuple:
    # status and run_id are set by the store, not by the caller.
    return (record.document_id, record.kind, record.piece, record.entry_date, record.tab)


def _batches_in(conn: Connection, column: sa.Column,
                values: Sequence[str]) -> Iterator[sa.ColumnElement[bool]]:
    """`column in values` as a few conditions, one per batch of values.

    PostgreSQL gets one array parameter: psycopg prepares a statement run five times, and
    the generic plan of `IN ($1, …, $900)` scans the whole table (1.4 s per batch on 50,000
    records), where `= ANY($1)` stays an index scan. SQLite gets IN lists within its limit
    on bound parameters."""
    if conn.dialect.name == "postgresql":
        array = postgresql.ARRAY(column.type)
        for batch in _chunks(values, ARRAY_SIZE):
            yield column == sa.any_(sa.bindparam(None, list(batch), type_=array))
    else:
        for batch in _chunks(values, IN_LIST_SIZE):
            yield column.in_(batch)


def _codes_of(conn: Connection, company: str, customers: Sequence[str]) -> dict[str, str]:
    cc = customer_codes.c
    found: dict[str, str] = {}
    for condition in _batches_in(conn, cc.customer_id, customers):
        found.update(conn.execute(sa.select(cc.customer_id, cc.code).where(
            cc.company == company, condition)).all())
    return found


def _check_codes(company: str, wanted: dict[str, str], stored: dict[str, str]) -> None:
    """A customer's code never changes; no two customers of a company share a code (compared
    by `code_key`, as the unique constraint does: `411simpl` is `411SIMPL`)."""
    changed = {c: (stored[c], code) for c, code in wanted.items()
               if c in stored and stored[c] != code}
    if changed:
        detail = ", ".join(f"{c}: {old} -> {new}" for c, (old, new) in sorted(changed.items()))
        raise ValueError(f"company {company!r}: customer codes never change ({detail})")
    owners: dict[str, str] = {}
    for customer, code in [*stored.items(), *wanted.items()]:
        owner = owners.setdefault(code_key(code), customer)
        if owner != customer:
            raise ValueError(f"company {company!r}: code {code} belongs to {owner}, "
                             f"cannot also be given to {customer}")
