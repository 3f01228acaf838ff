"""Flood 3, status polling: GET /status at 200 requests a second (60 s full size, 5 s CI size)
from a process of its own, while generation jobs run back to back against a slow sandbox;
open-loop pacing (latency counted from each request's slot, so a stall delays every request
queued behind it); no error answer, latencies reported, and every job done.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter

import requests

from stress.floods.shared import (COMPANY, SETTLE_SECONDS, expected_journal, journal_check, serve,
                                  settle)
from stress.report import Result
from stress.world import World

RATE = 200                   # GET /status a second (the figure)
# Latency of every sandbox call during the poll (so that one generation lasts seconds, not
# half a second).
POLL_LATENCY = 0.2
POLL_THREADS = 8


def poll_load(base_url: str, token: str, spreadsheet_id: str, rate: float, seconds: float,
              threads: int = POLL_THREADS) -> dict:
    """GET /status at `rate` a second for `seconds`, open-loop: request i is due at
    start + i/rate and its latency runs from then, so a stalled server delays (and is charged
    for) every request queued behind the stall. Runs in a process of its own in the campaign
    (the load must not take the server's interpreter lock); plain values back."""
    total = int(rate * seconds)
    slots = itertools.count()
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: Counter = Counter()
    outcome = {"connection_errors": 0, "with_active_job": 0, "last": 0.0}
    headers = {"Authorization": f"Bearer {token}"}
    start = time.monotonic() + 0.2

    def worker() -> None:
        session = requests.Session()
        while True:
            with lock:
                slot = next(slots)
            if slot >= total:
                return
            due = start + slot / rate
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            active = False
            try:
                answer = session.get(base_url + "/status", params={"spreadsheet_id": spreadsheet_id},
                                     headers=headers, timeout=30)
                status = answer.status_code
                active = status == 200 and answer.json().get("active_job") is not None
            except (requests.RequestException, ValueError):
                status = None
            done = time.monotonic()
            with lock:
                latencies.append((done - due) * 1000)
                outcome["last"] = max(outcome["last"], done)
                outcome["with_active_job"] += active
                if status is None:
                    outcome["connection_errors"] += 1
                else:
                    statuses[status] += 1

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return {"sent": total, "latencies_ms": latencies, "statuses": dict(statuses),
            "connection_errors": outcome["connection_errors"],
            "with_active_job": outcome["with_active_job"],
            "elapsed": max(outcome["last"] - start, 1e-9)}


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile (p in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-p * len(ordered) // 100))))
    return ordered[rank - 1]


class JobChain:
    """Generation jobs back to back for one company, each started over HTTP when the previous
    ends, until stopped; what each job ended as."""

    def __init__(self, world: World, base_url: str) -> None:
        self.world, self.base_url = world, base_url
        self.jobs: list = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="job-chain", daemon=True)

    def start(self) -> "JobChain":
        self._thread.start()
        return self

    def _run(self) -> None:
        session = requests.Session()
        store = self.world.backend.job_store()
        headers = self.world.auth(self.world.token(self.world.users[0]))
        while not self._stop.is_set():
            answer = session.post(self.base_url + "/actions/generate",
                                  json={"spreadsheet_id": self.world.sheets[0]},
                                  headers=headers, timeout=60)
            if answer.status_code not in (200, 202):
                self.errors.append(f"start answered {answer.status_code}")
                return
            job_id = answer.json()["job"]["id"]
            while (job := store.get(job_id)) is not None and job.active:
                time.sleep(0.05)
            self.jobs.append(job)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(SETTLE_SECONDS)


def poll_part(result: Result, size: dict, seed: int, progress) -> None:
    from stress.processes import Child
    seconds = size["poll_seconds"]
    progress(f"floods: status polling, {RATE}/s for {seconds} s")
    with World(companies=1, latency=POLL_LATENCY) as world, serve(world) as server:
        token = world.token(world.users[0])
        chain = JobChain(world, server.url).start()
        deadline = time.monotonic() + 10
        while world.backend.job_store().active(COMPANY) is None and time.monotonic() < deadline:
            time.sleep(0.01)      # the first job is running before the poll begins
        outcome = Child(poll_load, server.url, token, world.sheets[0], RATE, seconds).start() \
            .wait(timeout=seconds + 120)
        chain.stop()
        settle(world)
        duplicated, missing = journal_check(world.sheet(world.sheets[0]), expected_journal(world))
    if outcome.state != "ok":
        result.fail(f"status polling: the load process ended {outcome.state}: {outcome.value}")
        return
    load = outcome.value
    latencies = load["latencies_ms"]
    statuses = Counter({int(k): v for k, v in load["statuses"].items()})
    errors = sum(n for status, n in statuses.items() if status != 200)
    achieved = len(latencies) / load["elapsed"]
    bad_jobs = [j for j in chain.jobs if j.state != "done" or j.outcome not in ("ok", "warning")]
    f = result.figures
    f["status: requests sent"] = load["sent"]
    f["status: target rate, achieved rate"] = f"{RATE}/s, {achieved:.1f}/s over {load['elapsed']:.1f} s"
    f["status: latency p50 / p95 / p99 / max (ms, from each request's slot)"] = " / ".join(
        f"{percentile(latencies, p):.1f}" for p in (50, 95, 99, 100))
    f["status: answers by status"] = ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items()))
    f["status: error answers (non-200)"] = errors
    f["status: connection errors"] = load["connection_errors"]
    f["status: answers showing a running job"] = f"{load['with_active_job']} of {len(latencies)}"
    outcomes = Counter(j.outcome for j in chain.jobs)
    f["status: generation jobs during the poll (outcomes)"] = (
        f"{len(chain.jobs)} ({', '.join(f'{k} {v}' for k, v in outcomes.items())})")
    f["status: entries duplicated / missing in the sheet after the jobs"] = f"{duplicated} / {missing}"
    if achieved < 0.95 * RATE:
        f["status: note"] = f"the {RATE}/s rate was not reached ({achieved:.1f}/s)"
    result.target("status: no error answer while a job runs",
                  errors == 0 and load["connection_errors"] == 0 and latencies,
                  f"{errors} error answer(s), {load['connection_errors']} connection error(s) "
                  f"in {len(latencies)}")
    result.target("status: the jobs polled finished correctly (each entry once)",
                  chain.jobs and not bad_jobs and not chain.errors and duplicated == 0
                  and missing == 0,
                  f"{len(chain.jobs)} job(s), {len(bad_jobs)} not done, "
                  f"{duplicated} duplicated, {missing} missing")
    for job in bad_jobs[:5]:
        result.fail(f"status: job {job.state}/{job.outcome}: {job.message}")
    for error in chain.errors:
        result.fail(f"status: job chain: {error}")
    if load["with_active_job"] == 0:
        result.fail("status: no answer showed a running job: the poll did not overlap a job")
