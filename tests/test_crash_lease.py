"""Crashes as in production (issue 11, point 6): the company's lock is a one-minute lease
renewed by the run's heartbeat, and SIGTERM ends a run at its next safe point.

- A run killed mid-write (SIGKILL, a real process) holds the company until its lease expires,
  a minute at most after its last renewal; the next run is refused until then and takes over
  after, writing every entry exactly once. On SQLite and on PostgreSQL.
- The heartbeat keeps a run's lease alive past its ttl; a run that lost its lease (another
  took it) stops at its next safe point without writing.
- SIGTERM mid-run, to the CLI and to the app under gunicorn (as app.yaml serves it): the process
  exits within App Engine's grace, the run recorded as interrupted, the lease free at once, and
  the next run writes every entry exactly once. With Cloud Tasks the job goes back to the queue
  for the retry; with a worker thread it is closed with a French message.

Lease clocks are injected (no waiting for a minute); the sandboxes get a latency so that a run
is in flight when it is stopped.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import unquote

import pytest

from backend.auth.companies import Companies, Company
from backend.demo import build_demo_company
from backend.errors import AlreadyRunning, Interrupted
from backend.jobs.actions import ACTIONS, Action, ActionReport
from backend.jobs.connections import ServiceUrls, connector
from backend.jobs.model import DONE, FAILED, QUEUED, Job
from backend.jobs.runner import STALE_AFTER, JobRunner, RetryLater
from backend.jobs.shutdown import GRACE_SECONDS, Stopping, install_sigterm
from backend.jobs.sql_store import SqlJobStore
from backend.jobs.store import INTERRUPTED, RESUMING, MemoryJobStore
from backend.journal_sheet import ENTRIES_PREFIX, is_entries_tab
from backend.sandbox.faults import CRASH_AFTER, Fault
from backend.sandbox.local import SHEETS_TOKEN, STRIPE_KEY, LocalSandbox
from backend.secrets import MemorySecrets
from backend.services.generate import generate
from backend.services.locked import Lease, run_locked
from backend.store.ledger import LedgerStore
from stress import faults
from stress.fault_runs import COMPANY, LATER, NOW, SETTINGS, faulted_generation
from stress.processes import Child

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
LATENCY = 0.25          # seconds per sandbox call while a run is to be stopped mid-flight


# --- fixtures -------------------------------------------------------------------------------

@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    url = server.create_database("lease")
    yield url
    server.drop_database(url)


@pytest.fixture(scope="module")
def demo():
    company = build_demo_company()
    return company, faults.expected_journal(company)


@pytest.fixture
def box(demo):
    with LocalSandbox() as running:
        running.stripe.load(copy.deepcopy(demo[0]))
        running.sheets.create_spreadsheet("Journal des ventes", ["Feuille 1"],
                                          spreadsheet_id=faults.SPREADSHEET)
        yield running


@pytest.fixture
def store(db_url):
    ledger = LedgerStore(db_url)
    ledger.migrate()
    yield ledger
    ledger.close()


class FakeClock:
    """A lease clock the test moves."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self.now += timedelta(seconds=seconds)
            return self.now


def wait_for(condition, what: str, limit: float = 30.0):
    """Poll until condition() is truthy (a guard against a hang, not a timing assertion)."""
    deadline = time.monotonic() + limit
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.01)


def assert_exactly_once(box, sheet_id: str, store: LedgerStore, company: str, expected) -> None:
    """Every expected entry in the sheet once, balanced; the store records each as written."""
    findings = faults.Findings()
    rows: list[list] = []
    for n, tab in enumerate(t for t in box.sheets.tabs(sheet_id) if is_entries_tab(t)):
        values = box.sheets.values(sheet_id, tab)
        rows += values if n == 0 else values[1:]
    faults.count_entries(rows, expected, findings)
    records = store.journal(company)
    assert {name: getattr(findings, name) for name in ("duplicates", "missing", "unbalanced",
                                                       "unexpected")} == dict.fromkeys(
        ("duplicates", "missing", "unbalanced", "unexpected"), 0), findings.details
    assert set(records) == set(expected.lines)
    assert {r.status for r in records.values()} == {"written"}


def append_call(box, folder: Path) -> int:
    """The number, among the Sheets POSTs of a run on an empty sheet, of the append of the
    entries (measured on a scratch spreadsheet and store of the same sandbox)."""
    sid = box.sheets.create_spreadsheet("Brouillon", ["Feuille 1"])
    scratch = LedgerStore(f"sqlite:///{folder / 'scratch.db'}")
    scratch.migrate()
    box.plan.reset()
    generate(box.stripe_adapter(), box.sheet_adapter(sid), scratch, SETTINGS, COMPANY, now=NOW)
    posts = [c for c in box.plan.calls if c.service == "sheets" and c.method == "POST"]
    box.plan.reset()
    scratch.close()
    return next(n for n, c in enumerate(posts, 1) if ENTRIES_PREFIX in unquote(c.path))


# --- a crashed run's lease --------------------------------------------------------------------

def test_a_killed_run_frees_the_company_within_a_minute(box, demo, store, db_url, tmp_path):
    """SIGKILL right after the entries reached the sheet, before the run recorded them: the
    lease stays (a killed process cleans nothing up), but for a minute at most; the next run
    is refused until it expires, then takes over and writes nothing twice."""
    expected = demo[1]
    post = append_call(box, tmp_path)
    child = Child(faulted_generation, box.stripe_url, box.sheets_url, faults.SPREADSHEET, db_url,
                  (), str(tmp_path / "fired"), 5.0, STRIPE_KEY, SHEETS_TOKEN)
    box.plan.on_crash = lambda fault: child.kill()
    box.plan.reset([Fault("sheets", post, CRASH_AFTER, method="POST")])
    child.start()
    outcome = child.wait(60)
    killed_at = datetime.now(timezone.utc)
    box.plan.on_crash = None
    assert outcome.state == "killed" and child.killed
    assert len(box.sheets.values(faults.SPREADSHEET, ENTRIES_PREFIX)) > 1   # rows landed

    holder, expires = store.lock_holder(COMPANY)
    assert f":{child.process.pid}:" in holder
    assert killed_at < expires <= killed_at + timedelta(seconds=60)
    assert [r["outcome"] for r in store.runs(COMPANY)] == [None]    # died mid-run

    stripe = box.stripe_adapter()
    sheet = box.sheet_adapter(faults.SPREADSHEET)
    with pytest.raises(AlreadyRunning, match=str(child.process.pid)):
        generate(stripe, sheet, store, SETTINGS, COMPANY, now=LATER,
                 lease=Lease(clock=lambda: expires - timedelta(seconds=1)))
    report = generate(stripe, sheet, store, SETTINGS, COMPANY, now=LATER,
                      lease=Lease(clock=lambda: expires))
    assert report.written == [] and report.already_in_sheet == len(expected.lines)
    assert_exactly_once(box, faults.SPREADSHEET, store, COMPANY, expected)
    assert store.lock_holder(COMPANY) is None


# --- the heartbeat ------------------------------------------------------------------------------

class Gate:
    """A progress callback that holds the run at one stage until the test lets it go."""

    def __init__(self, stage: str) -> None:
        self.stage, self.reached, self.go = stage, threading.Event(), threading.Event()

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if stage == self.stage and not self.reached.is_set():
            self.reached.set()
            assert self.go.wait(60)


def in_thread(work):
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = work()
        except BaseException as exc:   # noqa: BLE001 - handed to the test
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_the_heartbeat_keeps_a_long_run_s_lease_past_its_ttl(box, demo, store):
    clock = FakeClock()
    lease = Lease(ttl_seconds=60, renew_every=0.02, clock=clock)
    gate = Gate("Rapprochement avec la feuille")     # Stripe read, the sheet not written yet
    thread, outcome = in_thread(lambda: generate(
        box.stripe_adapter(), box.sheet_adapter(faults.SPREADSHEET), store, SETTINGS, COMPANY,
        now=NOW, progress=gate, lease=lease))
    assert gate.reached.wait(60)
    holder = store.lock_holder(COMPANY)[0]
    for _ in range(10):            # 200 s of the run's clock: more than three leases
        now = clock.advance(20)
        wait_for(lambda: store.lock_holder(COMPANY) == (holder, now + timedelta(seconds=60)),
                 "the heartbeat renewed the lease")
    assert not store.acquire_lock(COMPANY, "next run", 60, now=clock())
    with pytest.raises(AlreadyRunning):
        generate(box.stripe_adapter(), box.sheet_adapter(faults.SPREADSHEET), store, SETTINGS,
                 COMPANY, now=NOW, lease=Lease(clock=clock))
    gate.go.set()
    thread.join(60)
    assert "error" not in outcome, outcome.get("error")
    assert len(outcome["value"].written) == len(demo[1].lines)
    assert store.runs(COMPANY)[0]["outcome"] == "ok"
    assert store.lock_holder(COMPANY) is None
    assert_exactly_once(box, faults.SPREADSHEET, store, COMPANY, demo[1])


def test_a_run_that_lost_its_lease_stops_before_writing(box, demo, store, caplog):
    """Another instance, its clock a minute ahead, took the company: the run's next renewal
    finds it taken, and the run stops at its next safe point instead of writing beside it."""
    caplog.set_level(logging.WARNING, logger="backend.services.locked")
    clock = FakeClock()
    gate = Gate("Rapprochement avec la feuille")
    thread, outcome = in_thread(lambda: generate(
        box.stripe_adapter(), box.sheet_adapter(faults.SPREADSHEET), store, SETTINGS, COMPANY,
        now=NOW, progress=gate, lease=Lease(ttl_seconds=60, renew_every=0.02, clock=clock)))
    assert gate.reached.wait(60)
    assert store.acquire_lock(COMPANY, "ahead", 60, now=clock() + timedelta(seconds=61))
    wait_for(lambda: any("lost to another run" in r.getMessage() for r in caplog.records),
             "the heartbeat found the lease taken")
    gate.go.set()
    thread.join(60)
    assert isinstance(outcome.get("error"), Interrupted) and outcome["error"].reason == "lease"
    assert store.lock_holder(COMPANY)[0] == "ahead"           # its release freed nothing
    assert box.sheets.tabs(faults.SPREADSHEET) == ["Feuille 1"]  # nothing written
    assert store.journal(COMPANY) == {}
    run = store.runs(COMPANY)[0]
    assert run["outcome"] == "failed" and run["summary"]["interrupted"] == "lease"


def test_a_failed_run_is_recorded_and_frees_its_lease_at_once(store):
    clock = FakeClock()
    with pytest.raises(ValueError, match="boom"):
        with run_locked(store, COMPANY, "generate", "test", now=NOW,
                        lease=Lease(clock=clock)) as run:
            run.summary = lambda: {"entries_written": 3}
            raise ValueError("boom")
    run = store.runs(COMPANY)[0]
    assert (run["outcome"], run["summary"]) == ("failed", {"entries_written": 3, "error": "boom"})
    assert store.lock_holder(COMPANY) is None


# --- SIGTERM ----------------------------------------------------------------------------------

def test_the_sigterm_handler_chains_to_the_one_it_replaces():
    """gunicorn's worker has its own SIGTERM handler (its graceful stop): ours sets the jobs'
    stop events, then calls it."""
    seen = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: seen.append(signum))
    try:
        stopping = Stopping()
        install_sigterm(stopping)
        with stopping.running() as stop:
            os.kill(os.getpid(), signal.SIGTERM)
            wait_for(lambda: seen, "the previous handler ran")
            assert stop.is_set() and seen == [signal.SIGTERM]
        with stopping.running() as late:      # a job starting during the shutdown stops too
            assert late.is_set()
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_sigterm_stops_the_command_line_run_cleanly(box, demo, store, db_url, tmp_path):
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"axis_names": list(SETTINGS.axis_names),
                                    "siren": SETTINGS.siren}))
    box.plan.latency = LATENCY
    command = [sys.executable, "-m", "backend", "generate", "--spreadsheet", faults.SPREADSHEET,
               "--stripe-url", box.stripe_url, "--sheets-url", box.sheets_url,
               "--database", db_url, "--company", COMPANY, "--settings", str(settings)]
    cli = subprocess.Popen(command, cwd=ROOT, env=dict(os.environ, STRIPE_API_KEY=STRIPE_KEY),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: box.plan.count("stripe") >= 3 or cli.poll() is not None,
                 "the generation reading Stripe", limit=60)
        assert cli.poll() is None, cli.communicate()
        cli.send_signal(signal.SIGTERM)
        # App Engine kills after its grace: the run must be over by then, by itself.
        _, err = cli.communicate(timeout=GRACE_SECONDS)
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.communicate()
    assert cli.returncode == 4, err
    assert "takes up where it stopped" in err
    run = store.runs(COMPANY)[0]
    assert run["outcome"] == "failed" and run["summary"]["interrupted"] == "signal"
    assert store.lock_holder(COMPANY) is None                 # free at once, not in a minute
    box.plan.latency = 0
    report = generate(box.stripe_adapter(), box.sheet_adapter(faults.SPREADSHEET), store,
                      SETTINGS, COMPANY, now=LATER)
    assert len(report.written) == len(demo[1].lines)
    assert_exactly_once(box, faults.SPREADSHEET, store, COMPANY, demo[1])


def test_sigterm_stops_a_job_of_the_app_under_gunicorn_cleanly(demo):
    """The app as App Engine serves it (gunicorn workers with app.yaml's --config hooks), a
    generation running in a worker thread: SIGTERM to gunicorn, which passes it to its
    workers; the job stops at its next safe point, is closed with a French message, and the
    server is gone within App Engine's grace."""
    import requests

    from backend.adapters.stripe_source import StripeSourceAdapter
    from stress.serve import Gunicorn, served_config
    from stress.world import STRIPE_SECRET, World
    with World(companies=1, latency=LATENCY, hubspot=False) as world:
        with Gunicorn(served_config(world)) as server:
            answer = requests.post(server.url + "/actions/generate",
                                   json={"spreadsheet_id": world.sheets[0]},
                                   headers=world.auth(world.token(world.users[0])), timeout=30)
            assert answer.status_code == 202, answer.text
            job_id = answer.json()["job"]["id"]
            wait_for(lambda: world.sandbox.plan.count("stripe") >= 3, "the job reading Stripe")
            # SIGTERM to gunicorn's master: it exits by itself (0), within the grace.
            assert server.stop(timeout=GRACE_SECONDS) == 0
        jobs = SqlJobStore(world.store.engine)
        job = jobs.get(job_id)
        assert (job.state, job.outcome, job.message) == (FAILED, "error", INTERRUPTED)
        run = world.store.runs("demo")[0]
        assert run["outcome"] == "failed" and run["summary"]["interrupted"] == "signal"
        assert world.store.lock_holder("demo") is None
        world.sandbox.plan.latency = 0
        generate(StripeSourceAdapter(STRIPE_SECRET, base_url=world.sandbox.stripe_url),
                 world.sandbox.sheet_adapter(world.sheets[0]), world.store, SETTINGS, "demo",
                 now=LATER)
        assert_exactly_once(world.sandbox, world.sheets[0], world.store, "demo", demo[1])


class HeldDispatcher:
    """A queue that keeps its jobs until the test runs them: Cloud Tasks (`retries`: a task
    whose request fails is run again) or a worker thread (no retry)."""

    def __init__(self, retries: bool) -> None:
        self.retries = retries
        self.jobs: list[str] = []

    def dispatch(self, job, execute, delay=0.0) -> None:
        self.jobs.append(job.id)


@pytest.mark.parametrize("retries", [True, False], ids=["cloud-tasks", "thread"])
def test_a_job_stopped_by_sigterm_is_retried_by_its_queue_or_closed(box, demo, store, retries):
    company = Company("mdc", "La Maison du Coworking", faults.SPREADSHEET, frozenset({"a@b.fr"}),
                      {"stripe": "stripe-key"}, (), SETTINGS)
    jobs = SqlJobStore(store.engine)
    dispatcher = HeldDispatcher(retries)

    def runner(stopping: Stopping) -> JobRunner:
        urls = ServiceUrls(box.stripe_url, box.sheets_url, None)
        clock = lambda: datetime.now(timezone.utc)   # noqa: E731
        return JobRunner(jobs, dispatcher, ACTIONS, Companies([company]),
                         connector(lambda: store, MemorySecrets({"stripe-key": STRIPE_KEY}),
                                   urls, clock), stopping=stopping)

    stopping = Stopping()
    first = runner(stopping)
    job, created = first.start(company, "generate", {}, "test")
    assert created and dispatcher.jobs == [job.id]
    box.plan.latency = LATENCY
    thread, outcome = in_thread(lambda: first.execute(job.id))
    wait_for(lambda: box.plan.count("stripe") >= 3, "the job reading Stripe")
    stopping.stop_all()                        # what SIGTERM does in the worker
    thread.join(60)
    run = store.runs(COMPANY)[0]
    assert run["outcome"] == "failed" and run["summary"]["interrupted"] == "signal"
    assert store.lock_holder(COMPANY) is None
    stopped = jobs.get(job.id)
    box.plan.latency = 0
    if not retries:
        assert "error" not in outcome
        assert (stopped.state, stopped.message) == (FAILED, INTERRUPTED)
        return
    # Cloud Tasks: the request fails (the job is back in the queue), the retry takes it up.
    assert isinstance(outcome.get("error"), RetryLater)
    assert (stopped.state, stopped.stage, stopped.worker) == (QUEUED, RESUMING, "")
    assert jobs.active(COMPANY).id == job.id   # still the company's job: no second one starts
    runner(Stopping()).execute(job.id)         # the retry, on another instance
    assert jobs.get(job.id).state == DONE
    assert_exactly_once(box, faults.SPREADSHEET, store, COMPANY, demo[1])


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_requeue_puts_a_running_job_back_for_its_next_attempt(kind, tmp_path):
    jobs = MemoryJobStore() if kind == "memory" else SqlJobStore(f"sqlite:///{tmp_path / 'j.db'}")
    if kind == "sqlite":
        jobs.ensure_tables()
    stale = timedelta(minutes=15)
    job, _ = jobs.create(Job.new("mdc", "generate", {}, "x", T0), stale)
    assert not jobs.requeue(job.id, T0)                     # queued, not running
    assert jobs.claim(job.id, "worker-1", T0, stale).worker == "worker-1"
    assert jobs.requeue(job.id, T0 + timedelta(seconds=1))
    again = jobs.get(job.id)
    assert (again.state, again.worker, again.stage) == (QUEUED, "", RESUMING)
    assert jobs.create(Job.new("mdc", "dedupe", {}, "y", T0), stale)[1] is False
    assert jobs.claim(job.id, "worker-2", T0 + timedelta(seconds=2), stale).worker == "worker-2"
    assert Counter(j.state for j in jobs.latest("mdc")) == Counter({"running": 1})


def test_a_live_job_is_touched_and_only_a_dead_one_goes_stale():
    """A job whose action is silent for minutes is kept alive by its runner; a job whose
    instance died is silent, and after STALE_AFTER (90 s, not 15 minutes) it no longer
    blocks the company. A Cloud Tasks delivery of a job running elsewhere asks to be retried
    (Cloud Tasks comes back when the job is over, or dead long enough to take over)."""
    jobs = MemoryJobStore()
    clock = FakeClock()
    started, release = threading.Event(), threading.Event()

    def silent(conn, progress):
        started.set()
        assert release.wait(60)
        return ActionReport("Fait.")

    company = Company(COMPANY, "La Maison du Coworking", "sheet", frozenset({"a@b.fr"}))
    runner = JobRunner(jobs, HeldDispatcher(retries=True), {"silent": Action("silent", "Test", silent)},
                       Companies([company]), lambda company, job: None, clock=clock,
                       stopping=Stopping(), touch_every=0.01)
    job, _ = runner.start(company, "silent", {}, "test")
    thread, outcome = in_thread(lambda: runner.execute(job.id))
    assert started.wait(60)
    for _ in range(5):                              # five minutes without a progress report
        now = clock.advance(60)
        wait_for(lambda: jobs.get(job.id).updated_at == now, "the runner touched its job")
    other, created = jobs.create(Job.new(COMPANY, "silent", {}, "x", clock()), STALE_AFTER)
    assert not created and other.id == job.id
    with pytest.raises(RetryLater):                 # a second delivery of the running task
        runner.execute(job.id)
    release.set()
    thread.join(60)
    assert "error" not in outcome and jobs.get(job.id).state == DONE

    dead, _ = jobs.create(Job.new(COMPANY, "silent", {}, "x", clock()), STALE_AFTER)
    jobs.claim(dead.id, "a worker that will die", clock(), STALE_AFTER)
    later = clock.advance(STALE_AFTER.total_seconds() + 1)
    fresh, created = jobs.create(Job.new(COMPANY, "silent", {}, "y", later), STALE_AFTER)
    assert created and jobs.get(dead.id).message == INTERRUPTED
