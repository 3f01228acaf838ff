"""The ledger store, on SQLite and on a real PostgreSQL server (tests/postgres.py).

Every test runs on both backends. Without PostgreSQL installed the PostgreSQL half is skipped
on a developer machine and fails on CI (CI set).
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from concurrency import in_threads
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError

from backend.store import JournalRecord, LedgerStore, UnknownRefs, migrations, schema
from backend.store.ledger import database_url_from_env

T0 = datetime(2026, 10, 1, 8, 0, tzinfo=timezone.utc)
COMPANY = "maison-du-coworking"
OTHER = "autre-societe"


# --- Fixtures -----------------------------------------------------------------------------

@pytest.fixture
def store(make_store) -> LedgerStore:
    store = make_store()
    store.migrate()
    return store


def record(ref: str, document_id: str | None = None, kind: str = "invoice",
           tab: str = "Écritures 2026-10", day: int = 1) -> JournalRecord:
    return JournalRecord(ref, document_id or ref.split("/")[0], kind, f"F-{ref}",
                         date(2026, 10, day), tab, "pending", None)


class StatementCounter:
    """Counts the statements a store sends (executemany counts once: one round trip)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.statements: list[tuple[str, bool]] = []
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.strip().upper() not in ("BEGIN", "BEGIN IMMEDIATE"):
            self.statements.append((statement, executemany))


# --- Migrations: tests/test_migrations.py ------------------------------------------------

# --- One run at a time --------------------------------------------------------------------

def test_lock_is_exclusive_reentrant_and_released_by_its_holder(store):
    assert store.lock_holder(COMPANY) is None
    assert store.acquire_lock(COMPANY, "run-a", ttl_seconds=60, now=T0)
    assert not store.acquire_lock(COMPANY, "run-b", ttl_seconds=60, now=T0)
    assert store.lock_holder(COMPANY) == ("run-a", T0 + timedelta(seconds=60))
    # The same holder again: still its lock, lease extended.
    assert store.acquire_lock(COMPANY, "run-a", ttl_seconds=60, now=T0 + timedelta(seconds=30))
    assert store.lock_holder(COMPANY) == ("run-a", T0 + timedelta(seconds=90))
    store.release_lock(COMPANY, "run-b")                  # not its lock: no effect
    assert store.lock_holder(COMPANY)[0] == "run-a"
    assert store.acquire_lock(OTHER, "run-b", now=T0)     # locks are per company
    store.release_lock(COMPANY, "run-a")
    assert store.lock_holder(COMPANY) is None
    assert store.acquire_lock(COMPANY, "run-b", now=T0)


def test_an_expired_lease_goes_to_the_next_run(store):
    assert store.acquire_lock(COMPANY, "crashed", ttl_seconds=60, now=T0)
    assert not store.acquire_lock(COMPANY, "next", ttl_seconds=60, now=T0 + timedelta(seconds=59))
    assert store.acquire_lock(COMPANY, "next", ttl_seconds=60, now=T0 + timedelta(seconds=60))
    assert store.lock_holder(COMPANY) == ("next", T0 + timedelta(seconds=120))
    # The crashed run, coming back, has lost it: no renewal, and its release frees nothing.
    assert not store.renew_lock(COMPANY, "crashed", now=T0 + timedelta(seconds=61))
    store.release_lock(COMPANY, "crashed")
    assert store.lock_holder(COMPANY)[0] == "next"


def test_renewing_keeps_a_long_run_s_lock(store):
    assert store.acquire_lock(COMPANY, "long", ttl_seconds=60, now=T0)
    assert store.renew_lock(COMPANY, "long", ttl_seconds=60, now=T0 + timedelta(seconds=50))
    assert not store.acquire_lock(COMPANY, "other", now=T0 + timedelta(seconds=100))
    assert store.lock_holder(COMPANY) == ("long", T0 + timedelta(seconds=110))
    assert not store.renew_lock(COMPANY, "other", now=T0)
    assert not store.renew_lock(OTHER, "long", now=T0)    # nothing held there


def test_a_lease_lasts_a_minute_unless_renewed(store):
    """A crashed run's lease frees the company within a minute; the run's heartbeat renews it
    while the run lives (backend/services/locked.py)."""
    assert store.acquire_lock(COMPANY, "run", now=T0)
    assert store.lock_holder(COMPANY) == ("run", T0 + timedelta(seconds=60))
    assert store.renew_lock(COMPANY, "run", now=T0 + timedelta(seconds=20))
    assert store.lock_holder(COMPANY) == ("run", T0 + timedelta(seconds=80))
    assert store.acquire_lock(COMPANY, "next", now=T0 + timedelta(seconds=80))


def test_only_one_of_racing_runs_gets_the_lock(store, make_store):
    stores = [store, make_store()]   # two threads of one process, and another process
    for attempt in range(3):
        results = in_threads(8, lambda i: stores[i % 2].acquire_lock(
            COMPANY, f"run-{attempt}-{i}", now=T0))
        assert results.count(True) == 1, results
        winner = f"run-{attempt}-{results.index(True)}"
        assert store.lock_holder(COMPANY)[0] == winner
        store.release_lock(COMPANY, winner)


def test_naive_datetimes_are_refused(store):
    naive = datetime(2026, 10, 1, 8, 0)
    with pytest.raises(ValueError, match="naive datetime"):
        store.acquire_lock(COMPANY, "run", now=naive)
    with pytest.raises(ValueError, match="naive datetime"):
        store.sync_anomalies(COMPANY, {"in_1": "x"}, now=naive)
    assert store.lock_holder(COMPANY) is None


# --- Runs ---------------------------------------------------------------------------------

def test_runs_are_listed_newest_first_with_their_outcome(store):
    ids = [store.start_run(COMPANY, "generate", f"trigger-{i}", now=T0 + timedelta(hours=i))
           for i in range(3)]
    store.start_run(OTHER, "generate", "other company", now=T0)
    store.finish_run(ids[1], "ok", {"entries_written": 12, "tabs": {"Écritures": 40}},
                     now=T0 + timedelta(hours=1, minutes=2))
    store.finish_run(ids[2], "failed", {"error": "Stripe a répondu 500"},
                     now=T0 + timedelta(hours=2, seconds=5))

    runs = store.runs(COMPANY)
    assert [r["id"] for r in runs] == ids[::-1]
    assert runs[1] == {"id": ids[1], "action": "generate", "trigger": "trigger-1",
                       "started_at": T0 + timedelta(hours=1),
                       "finished_at": T0 + timedelta(hours=1, minutes=2), "outcome": "ok",
                       "summary": {"entries_written": 12, "tabs": {"Écritures": 40}}}
    assert runs[0]["outcome"] == "failed"
    assert runs[2]["outcome"] is None and runs[2]["finished_at"] is None   # still running
    assert [r["id"] for r in store.runs(COMPANY, limit=2)] == ids[:0:-1]
    assert len(store.runs(OTHER)) == 1


def test_timestamps_come_back_as_aware_utc(store):
    paris = datetime(2026, 10, 1, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
    run_id = store.start_run(COMPANY, "generate", "manuel", now=paris)
    started = store.runs(COMPANY)[0]["started_at"]
    assert started == paris and started.tzinfo == timezone.utc and started.hour == 8
    store.finish_run(run_id, "ok", {})
    finished = store.runs(COMPANY)[0]["finished_at"]
    assert finished.tzinfo == timezone.utc
    assert abs(finished - datetime.now(timezone.utc)) < timedelta(minutes=1)


def test_finish_run_checks_its_arguments(store):
    run_id = store.start_run(COMPANY, "generate", "manuel", now=T0)
    with pytest.raises(ValueError, match="outcome"):
        store.finish_run(run_id, "done", {})
    with pytest.raises(TypeError):
        store.finish_run(run_id, "ok", {"when": object()})
    with pytest.raises(KeyError):
        store.finish_run(run_id + 1000, "ok", {})
    assert store.runs(COMPANY)[0]["outcome"] is None


# --- What was written ---------------------------------------------------------------------

def test_pending_then_written(store):
    run_id = store.start_run(COMPANY, "generate", "manuel", now=T0)
    store.mark_pending(COMPANY, [record("in_1"), record("cn_2", kind="credit_note", day=3)],
                       run_id)
    journal = store.journal(COMPANY)
    assert journal == {
        "in_1": JournalRecord("in_1", "in_1", "invoice", "F-in_1", date(2026, 10, 1),
                              "Écritures 2026-10", "pending", run_id),
        "cn_2": JournalRecord("cn_2", "cn_2", "credit_note", "F-cn_2", date(2026, 10, 3),
                              "Écritures 2026-10", "pending", run_id)}
    second = store.start_run(COMPANY, "generate", "manuel", now=T0)
    store.mark_written(COMPANY, ["in_1"], second)
    journal = store.journal(COMPANY)
    assert (journal["in_1"].status, journal["in_1"].run_id) == ("written", second)
    assert journal["cn_2"].status == "pending"
    assert store.journal(OTHER) == {}


def test_written_is_never_downgraded_to_pending(store):
    first = store.start_run(COMPANY, "generate", "manuel", now=T0)
    store.mark_pending(COMPANY, [record("in_1"), record("in_2")], first)
    store.mark_written(COMPANY, ["in_1"], first)
    retry = store.start_run(COMPANY, "generate", "manuel", now=T0)
    store.mark_pending(COMPANY, [record("in_1", tab="Autre"), record("in_2", tab="Autre")],
                       retry)
    journal = store.journal(COMPANY)
    assert journal["in_1"] == JournalRecord("in_1", "in_1", "invoice", "F-in_1",
                                            date(2026, 10, 1), "Écritures 2026-10",
                                            "written", first)
    # A pending record is updated by the retry.
    assert (journal["in_2"].tab, journal["in_2"].run_id) == ("Autre", retry)
    # Marking an already written entry written again keeps its record.
    store.mark_written(COMPANY, ["in_1"], retry)
    assert store.journal(COMPANY)["in_1"].run_id == first


def test_marking_unknown_refs_written_raises_and_changes_nothing(store):
    run_id = store.start_run(COMPANY, "generate", "manuel", now=T0)
    store.mark_pending(COMPANY, [record("in_1")], run_id)
    store.mark_pending(OTHER, [record("in_9")], run_id)
    with pytest.raises(KeyError) as raised:
        store.mark_written(COMPANY, ["in_1", "in_404", "in_9"], run_id)
    assert isinstance(raised.value, UnknownRefs)
    assert raised.value.refs == ["in_404", "in_9"]          # in_9 is another company's
    assert "in_404" in str(raised.value) and "in_9" in str(raised.value)
    assert store.journal(COMPANY)["in_1"].status == "pending"


def test_forgetting_pending_records_never_forgets_written_ones(store):
    run_id = store.start_run(COMPANY, "generate", "manuel", now=T0)
    store.mark_pending(COMPANY, [record("in_1"), record("in_2"), record("in_3")], run_id)
    store.mark_pending(OTHER, [record("in_1")], run_id)
    store.mark_written(COMPANY, ["in_1"], run_id)
    store.forget_pending(COMPANY, ["in_1", "in_2", "in_unknown"])
    assert {ref: r.status for ref, r in store.journal(COMPANY).items()} == {
        "in_1": "written", "in_3": "pending"}
    assert set(store.journal(OTHER)) == {"in_1"}


def test_written_documents_are_invoices_and_credit_notes_written(store):
    run_id = store.start_run(COMPANY, "generate", "manuel", now=T0)
    store.mark_pending(COMPANY, [
        record("in_1"), record("in_1/annulation", kind="reversal"),
        record("cn_2", kind="credit_note"), record("in_3"),
        record("in_4/annulation", "in_4", kind="reversal")], run_id)
    store.mark_written(COMPANY, ["in_1", "in_1/annulation", "cn_2", "in_4/annulation"], run_id)
    store.mark_pending(OTHER, [record("in_5")], run_id)
    store.mark_written(OTHER, ["in_5"], run_id)
    # in_3 is only pending; in_4 has only a reversal written.
    assert store.written_documents(COMPANY) == {"in_1", "cn_2"}


def test_mark_pending_checks_its_records(store):
    run_id = store.start_run(COMPANY, "generate", "manuel", now=T0)
    store.mark_pending(COMPANY, [record("in_1"), record("in_1")], run_id)   # listed twice
    assert len(store.journal(COMPANY)) == 1
    with pytest.raises(ValueError, match="two different records"):
        store.mark_pending(COMPANY, [record("in_2"), record("in_2", tab="Autre")], run_id)
    with pytest.raises(ValueError, match="kind"):
        store.mark_pending(COMPANY, [record("in_3", kind="quote")], run_id)
    assert set(store.journal(COMPANY)) == {"in_1"}


def test_journal_is_read_in_one_query(store):
    run_id = store.start_run(COMPANY, "generate", "manuel", now=T0)
    store.mark_pending(COMPANY, [record(f"in_{i}") for i in range(50)], run_id)
    counter = StatementCounter(store.engine)
    assert len(store.journal(COMPANY)) == 50
    assert len(counter.statements) == 1


BULK = 50_000


def test_fifty_thousand_records_in_batches(store):
    run_id = store.start_run(COMPANY, "generate", "manuel", now=T0)
    records = [record(f"in_{i:06d}", day=1 + i % 28) for i in range(BULK)]
    counter = StatementCounter(store.engine)
    started = time.perf_counter()
    store.mark_pending(COMPANY, records, run_id)
    store.mark_written(COMPANY, [r.ref for r in records], run_id)
    elapsed = time.perf_counter() - started
    # Batches, not a round trip per row: what makes it fast, and what cannot vary with the
    # machine's load (the seconds are printed, as figures, not asserted; `make bench` has them).
    assert len(counter.statements) < 100, len(counter.statements)

    before = len(counter.statements)
    started = time.perf_counter()
    journal = store.journal(COMPANY)
    read = time.perf_counter() - started
    assert len(counter.statements) - before == 1       # one query, whatever the size
    assert len(journal) == BULK and all(r.status == "written" for r in journal.values())
    assert journal["in_000029"].entry_date == date(2026, 10, 2)
    print(f"\n{store.engine.dialect.name}: {BULK} pending+written {elapsed:.2f} s "
          f"({before} statements), journal() {read:.2f} s")


def test_a_failed_bulk_write_writes_nothing(store):
    run_id = store.start_run(COMPANY, "generate", "manuel", now=T0)
    records = [record(f"in_{i}") for i in range(12_000)]      # more than one batch
    store.mark_pending(COMPANY, records, run_id)
    with pytest.raises(KeyError):
        store.mark_written(COMPANY, [r.ref for r in records] + ["in_missing"], run_id)
    assert {r.status for r in store.journal(COMPANY).values()} == {"pending"}
    broken = JournalRecord("in_last", "in_last", "invoice", None, date(2026, 10, 1), "T",
                           "pending", None)                  # no pièce: the last batch fails
    with pytest.raises(IntegrityError):
        store.mark_pending(OTHER, records + [broken], run_id)
    assert store.journal(OTHER) == {}
    with pytest.raises(IntegrityError):                       # no run 999
        store.mark_pending(OTHER, records[:1], 999)


# --- Anomalies ----------------------------------------------------------------------------

def _reasons(store: LedgerStore, company: str) -> dict[str, str]:
    with store.engine.connect() as conn:
        return dict(conn.execute(sa.select(schema.anomalies.c.document_id,
                                           schema.anomalies.c.reason)
                                 .where(schema.anomalies.c.company == company)).all())


def test_anomalies_keep_first_seen_and_disappear_once_fixed(store):
    t1, t2, t3 = T0, T0 + timedelta(days=1), T0 + timedelta(days=2)
    assert store.sync_anomalies(COMPANY, {"in_1": "no code", "in_2": "USD"}, now=t1) == {
        "in_1": t1, "in_2": t1}
    store.sync_anomalies(OTHER, {"in_1": "elsewhere"}, now=t1)

    assert store.sync_anomalies(COMPANY, {"in_1": "no VAT account", "in_3": "USD"}, now=t2) == {
        "in_1": t1, "in_3": t2}
    assert _reasons(store, COMPANY) == {"in_1": "no VAT account", "in_3": "USD"}

    # in_2 was fixed, then broke again: a new first sighting.
    assert store.sync_anomalies(COMPANY, {"in_2": "USD"}, now=t3) == {"in_2": t3}
    assert store.sync_anomalies(COMPANY, {}, now=t3) == {}
    assert _reasons(store, COMPANY) == {}
    assert _reasons(store, OTHER) == {"in_1": "elsewhere"}


# --- Cursors ------------------------------------------------------------------------------

def test_cursors_per_company_and_key(store):
    assert store.get_cursor(COMPANY, "documents_since") is None
    store.set_cursor(COMPANY, "documents_since", "1790000000")
    store.set_cursor(COMPANY, "events_since", "1790000100")
    store.set_cursor(OTHER, "documents_since", "1")
    store.set_cursor(COMPANY, "documents_since", "1790086400")
    assert store.get_cursor(COMPANY, "documents_since") == "1790086400"
    assert store.get_cursor(COMPANY, "events_since") == "1790000100"
    assert store.get_cursor(OTHER, "documents_since") == "1"
    assert store.get_cursor(OTHER, "events_since") is None


# --- Customer codes -----------------------------------------------------------------------

def test_customer_codes_never_change(store):
    store.save_customer_codes(COMPANY, {"cus_a": "411SIMPL", "cus_b": "411ACME"})
    store.save_customer_codes(COMPANY, {"cus_a": "411SIMPL", "cus_c": "411ZETA"})   # resaved
    with pytest.raises(ValueError, match="never change"):
        store.save_customer_codes(COMPANY, {"cus_d": "411DELTA", "cus_a": "411SIMP1"})
    assert store.customer_codes(COMPANY) == {
        "cus_a": "411SIMPL", "cus_b": "411ACME", "cus_c": "411ZETA"}   # cus_d not saved


def test_customer_codes_are_unique_per_company(store):
    store.save_customer_codes(COMPANY, {"cus_a": "411SIMPL"})
    with pytest.raises(ValueError, match="belongs to cus_a"):
        store.save_customer_codes(COMPANY, {"cus_b": "411SIMPL"})
    with pytest.raises(ValueError, match="belongs to"):
        store.save_customer_codes(COMPANY, {"cus_c": "411SAME", "cus_d": "411SAME"})
    store.save_customer_codes(OTHER, {"cus_b": "411SIMPL"})       # another company: fine
    assert store.customer_codes(COMPANY) == {"cus_a": "411SIMPL"}
    assert store.customer_codes(OTHER) == {"cus_b": "411SIMPL"}
    # The database itself refuses a duplicate, whoever writes.
    with pytest.raises(IntegrityError), store.engine.begin() as conn:
        conn.execute(schema.customer_codes.insert().values(
            company=COMPANY, customer_id="cus_z", code="411simpl", code_key="411SIMPL"))


def test_racing_saves_of_one_code_leave_it_to_one_customer(store, make_store):
    stores = [store, make_store()]
    results = in_threads(6, lambda i: stores[i % 2].save_customer_codes(
        COMPANY, {f"cus_{i}": "411RACE"}))
    assert sum(r is None for r in results) == 1, results
    assert all(isinstance(r, ValueError) for r in results if r is not None), results
    assert list(store.customer_codes(COMPANY).values()) == ["411RACE"]


# --- Webhook deliveries -------------------------------------------------------------------

def test_a_replayed_delivery_is_recognised(store):
    assert store.record_delivery(COMPANY, "stripe", "evt_1", now=T0)
    assert not store.record_delivery(COMPANY, "stripe", "evt_1", now=T0 + timedelta(hours=1))
    assert store.record_delivery(COMPANY, "hubspot", "evt_1")
    assert store.record_delivery(COMPANY, "stripe", "evt_2")


def test_concurrent_replays_apply_a_delivery_once(store, make_store):
    stores = [store, make_store()]
    results = in_threads(8, lambda i: stores[i % 2].record_delivery(COMPANY, "stripe", "evt_race"))
    assert results.count(True) == 1, results
    assert results.count(False) == 7, results


# --- Configuration ------------------------------------------------------------------------

def test_from_env_uses_database_url(db_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    store = LedgerStore.from_env()
    try:
        assert store.engine.dialect.name == sa.make_url(db_url).get_backend_name()
        assert store.migrate()[-1] == migrations.head_revision()
    finally:
        store.close()


def test_without_database_url_the_store_is_a_sqlite_file(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    path = tmp_path / "ledger.db"
    store = LedgerStore.from_env(default_path=str(path))
    try:
        store.migrate()
        assert path.is_file()
    finally:
        store.close()


@pytest.mark.parametrize("given, expected", [
    ("postgres://u:p@host/db", "postgresql+psycopg://u:p@host/db"),
    ("postgresql://u:p@/db?host=/cloudsql/proj:europe-west1:inst",
     "postgresql+psycopg://u:p@/db?host=/cloudsql/proj:europe-west1:inst"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ("sqlite:////data/ledger.db", "sqlite:////data/ledger.db"),
])
def test_database_urls_get_the_installed_driver(given, expected, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", given)
    assert database_url_from_env() == expected


def test_other_databases_are_refused():
    with pytest.raises(ValueError, match="unsupported database"):
        LedgerStore("mysql://u@h/db")


# --- Sync links ---------------------------------------------------------------------------

def test_sync_links_keep_the_last_synced_state_per_company_and_kind(store):
    from backend.store.ledger import SyncLink
    store.save_sync_links(COMPANY, "product", [SyncLink("101", "prod_a", {"name": "Bureau"}),
                                               SyncLink("102", "prod_b", {"name": "Salle"})], now=T0)
    store.save_sync_links(COMPANY, "product", [SyncLink("101", "prod_a", {"name": "Bureau fixe"})],
                          now=T0)
    links = store.sync_links(COMPANY, "product")
    assert {k: (v.stripe_id, v.state) for k, v in links.items()} == {
        "101": ("prod_a", {"name": "Bureau fixe"}), "102": ("prod_b", {"name": "Salle"})}
    assert links["101"].synced_at == T0
    assert store.sync_links(COMPANY, "company") == {} and store.sync_links(OTHER, "product") == {}
    with pytest.raises(IntegrityError):   # one Stripe object is linked to one HubSpot record
        store.save_sync_links(COMPANY, "product", [SyncLink("103", "prod_a", {})], now=T0)
