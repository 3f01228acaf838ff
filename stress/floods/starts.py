"""Flood 2, starts: five companies start `generate` at once while one of them gets twenty
simultaneous POST /actions/generate (threads released by a barrier): one job per company, the
twenty answers name that one job, each sheet holds the demo month's journal exactly once and
equals a quiet single run's sheet (timestamps aside); no error answer.
"""

from __future__ import annotations

import random
import threading

import requests

from stress.floods.shared import Tally, differences, expected_journal, journal_check, serve, settle
from stress.report import Result
from stress.serve import Served
from stress.world import World

# Latency of every sandbox call during the starts (so that the twenty requests all land while
# the first job runs: a job finished before a request arrives lets that request start a new
# one, by design).
STARTS_LATENCY = 0.05


def _session(base_url: str) -> requests.Session:
    """A session whose connection is open already (a GET /healthz), so that a request sent
    after a barrier is not slowed by the TCP handshake."""
    session = requests.Session()
    session.get(base_url + "/healthz", timeout=30)
    return session


def comparable_sheet(tabs: dict[str, list[list]], email: str) -> dict:
    """A sheet without what depends on when and by whom it was written: the date of each
    Historique line and of each anomaly (`Depuis`), the user's email in the trigger."""
    out = {}
    for title, values in tabs.items():
        rows = [list(r) for r in values]
        if title == "Historique":
            rows = [[c.replace(email, "<utilisateur>") if isinstance(c, str) else c for c in r[1:]]
                    for r in rows]
        elif title == "Anomalies" and rows and "Depuis" in rows[0]:
            col = rows[0].index("Depuis")
            rows = [r[:col] + r[col + 1:] for r in rows]
        out[title] = rows
    return out


def generate_jobs(world: World, company: str) -> list:
    return [j for j in world.backend.job_store().latest(company, 1000) if j.action == "generate"]


def quiet_generation() -> dict:
    """One company, one generate, nothing else running: the sheet every flooded company's
    sheet must equal."""
    with World(companies=1) as world, Served(world.app) as server:
        answer = requests.post(server.url + "/actions/generate",
                               json={"spreadsheet_id": world.sheets[0]},
                               headers=world.auth(world.token(world.users[0])), timeout=60)
        answer.raise_for_status()
        settle(world)
        return comparable_sheet(world.sheet(world.sheets[0]), world.users[0])


def starts_part(result: Result, size: dict, seed: int, progress) -> None:
    progress("floods: starts, the quiet run")
    quiet = quiet_generation()
    progress("floods: starts, the flood")
    with World(companies=size["companies"], latency=STARTS_LATENCY) as world, \
            serve(world) as server:
        tokens = [world.token(user) for user in world.users]
        # The burst for the first company, one start for each of the others, all at once.
        plan = [0] * size["burst"] + list(range(1, len(world.company_ids)))
        random.Random(seed).shuffle(plan)
        sessions = [_session(server.url) for _ in plan]
        barrier = threading.Barrier(len(plan))
        answers: list[tuple[int, int | None, str | None]] = [(0, None, None)] * len(plan)
        tally = Tally()

        def post(slot: int) -> None:
            company = plan[slot]
            barrier.wait()
            try:
                answer = sessions[slot].post(server.url + "/actions/generate",
                                             json={"spreadsheet_id": world.sheets[company]},
                                             headers=world.auth(tokens[company]), timeout=60)
                status, job = answer.status_code, (answer.json().get("job") or {}).get("id")
            except (requests.RequestException, ValueError):
                status, job = None, None
            tally.add(status)
            answers[slot] = (company, status, job)

        threads = [threading.Thread(target=post, args=(slot,)) for slot in range(len(plan))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        settled = settle(world)
        expected = expected_journal(world)
        burst_ids = {job for company, _status, job in answers if company == 0}
        jobs = {cid: generate_jobs(world, cid) for cid in world.company_ids}
        bad_jobs = [j for js in jobs.values() for j in js
                    if j.state != "done" or j.outcome not in ("ok", "warning")]
        duplicated = missing = sheet_diff = 0
        for i, sheet in enumerate(world.sheets):
            tabs = world.sheet(sheet)
            dup, miss = journal_check(tabs, expected)
            duplicated, missing = duplicated + dup, missing + miss
            diff = differences(comparable_sheet(tabs, world.users[i]), quiet)
            sheet_diff += len(diff)
            for line in diff[:3]:
                result.fail(f"starts: sheet of {world.company_ids[i]} differs from a quiet run "
                            f"at {line}")
    f = result.figures
    created = tally.statuses.get(202, 0)
    f["starts: requests (burst for one company + one per other company)"] = (
        f"{len(plan)} ({size['burst']} + {len(world.company_ids) - 1}), released by a barrier")
    f["starts: answers by status (202 started, 200 already running)"] = tally.text()
    f["starts: connection errors"] = tally.connection_errors
    f["starts: job ids in the burst's answers"] = len(burst_ids)
    f["starts: generate jobs per company"] = ", ".join(
        f"{cid} {len(js)}" for cid, js in jobs.items())
    f["starts: entries duplicated / missing in the sheets"] = f"{duplicated} / {missing}"
    f["starts: sheet cells differing from a quiet run"] = sheet_diff
    one_job = all(len(js) == 1 for js in jobs.values()) and len(burst_ids) == 1 and None not in burst_ids
    result.target("starts: no error answer (202 for a new job, 200 for the running one)",
                  tally.errors((200, 202)) == 0 and tally.connection_errors == 0
                  and created == len(world.company_ids),
                  f"{tally.text()}; {tally.connection_errors} connection error(s)")
    result.target("starts: one job per company, the twenty answers naming it", one_job,
                  f"{len(burst_ids)} job id(s) in the burst; jobs per company "
                  + "/".join(str(len(js)) for js in jobs.values()))
    result.target("starts: final state identical to a quiet run (each entry once)",
                  settled and duplicated == 0 and missing == 0 and sheet_diff == 0,
                  f"{duplicated} duplicated, {missing} missing, {sheet_diff} differing cell(s)")
    for job in bad_jobs[:5]:
        result.fail(f"starts: job {job.company} {job.state}/{job.outcome}: {job.message}")
