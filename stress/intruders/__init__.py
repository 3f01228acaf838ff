"""Part 4 of issue 7: intruders, and the search for secrets.

The matrix of routes x methods x intruders and what each attempt must leave as it was
(matrix.py), made of tokens (tokens.py) and webhook deliveries (webhooks.py) an intruder can
make, sent through a transport (transport.py) in a context (context.py); then a normal day
through the app and the search of everything it left for any piece of a secret (secrets.py).
"""

from __future__ import annotations

import math
import time
from collections import Counter

from stress.intruders.context import make_context, prepare
from stress.intruders.logs import CAP, run_log_forging
from stress.intruders.matrix import (CROSS_INTRUDERS, INTRUDERS, ROUTES, TOKEN_INTRUDERS,
                                     WEBHOOK_INTRUDERS, CountingRequest, MatrixOutcome, _valid,
                                     counted_app, intruders, run_matrix)
from stress.intruders.secrets import (CELLS, JOBS, LOGS, RESPONSES, STORE, TOKEN_LABEL, WINDOW,
                                      Evidence, capture_logs, collect, needles, normal_day,
                                      search, secret_names, token_signatures)
from stress.intruders.tokens import OTHER_CLIENT
from stress.intruders.transport import ClientTransport, HttpTransport, Transport
from stress.report import Result
from stress.world import CLIENT_ID, SECRETS, World

# What the tests and the detectors use, besides campaign().
__all__ = ["CELLS", "INTRUDERS", "JOBS", "LOGS", "OTHER_CLIENT", "RESPONSES", "ROUTES", "STORE",
           "TOKEN_LABEL", "WINDOW", "ClientTransport", "CountingRequest", "Evidence", "_valid",
           "campaign", "capture_logs", "collect", "make_context", "needles", "prepare",
           "run_matrix", "search", "secret_names", "token_signatures"]

PART = "intruders"


# --- the campaign ---------------------------------------------------------------------------

def campaign(full: bool = False, seed: int = 0, progress=print) -> Result:
    """`seed` is unused: the matrix is exhaustive, nothing is drawn at random."""
    result = Result(PART)
    started = time.perf_counter()
    with capture_logs() as logs, World(companies=3, dispatch="inline") as world:
        world.certificate_fetches = counted_app(world)
        http = HttpTransport(world.app)
        try:
            day = normal_day(world, http, result, progress)
            transports: list[Transport] = [http]
            client = ClientTransport(world.app)
            transports.append(client)
            outcomes = []
            for transport in ([client, http] if full else [client]):
                ctx = make_context(world, transport)
                ctx.sync_events = full
                prepare(ctx, day.export_job)
                outcomes.append((transport, run_matrix(ctx, full, progress)))
                bait = world.backend.job_store().get(ctx.bait_job)
                if bait.state != "queued":
                    result.fail(f"the bait job for /tasks/run was {bait.state}: an intruder ran it")
            # Log forging (issue 13): every request value that reaches a log, hostile, and
            # every line the production formatter writes parsed back (over real HTTP too:
            # werkzeug's request log).
            forging = run_log_forging(
                [client, http], lambda email: world.token(email or world.users[0], CLIENT_ID),
                world.sheets[0])
            wanted, left_out = needles(SECRETS, secret_names(world))
            wanted[TOKEN_LABEL] = token_signatures(transports)
            evidence = collect(world, logs, transports)
            leaks = search(evidence, wanted)
        finally:
            http.close()

    m = MatrixOutcome()
    for _, o in outcomes:
        m.routes, m.routes_covered, m.intruders = o.routes, o.routes_covered, o.intruders
        m.uncovered = o.uncovered
        m.attempts += o.attempts
        m.as_expected += o.as_expected
        m.statuses.update(o.statuses)
        m.ran.update(o.ran)
        m.replays += o.replays
        m.applied_twice += o.applied_twice
        m.probes += o.probes
        m.controls = o.controls
        m.fetches += o.fetches
        m.seconds += o.seconds
        m.wrong += o.wrong
    ran = {k: m.ran.get(k, 0) for k in ("jobs created", "jobs started or changed",
                                        "sandbox calls", "deliveries recorded", "runs")}
    f = result.figures
    f["transports"] = "Flask test client and real HTTP (werkzeug)" if full else "Flask test client"
    f["routes in app.url_map / with an expectation"] = f"{m.routes} / {m.routes_covered}"
    f["intruders"] = (f"{m.intruders} ({sum(1 for i in intruders(full) if i in TOKEN_INTRUDERS)} "
                      f"tokens, {sum(1 for i in intruders(full) if i in CROSS_INTRUDERS)} misplaced "
                      f"callers, {sum(1 for i in intruders(full) if i in WEBHOOK_INTRUDERS)} webhook)")
    f["attempts (route x method x intruder)"] = m.attempts
    f["answered as expected"] = m.as_expected
    f["answers by status"] = ", ".join(f"{s}: {n}" for s, n in sorted(m.statuses.items()))
    f["wrong answers"] = len(m.wrong)
    f["run by intruders (jobs, job changes, sandbox calls, deliveries, runs)"] = " / ".join(
        str(v) for v in ran.values())
    f["replays answered as such / applied twice"] = f"{m.replays - m.applied_twice} / {m.applied_twice}"
    f["other methods (405) and OPTIONS probes"] = m.probes
    f["controls: routes where the valid caller is served"] = f"{m.controls} of {m.routes}"
    f["Google certificate fetches caused by intruders"] = m.fetches
    f["normal day: requests / jobs"] = (f"{day.requests} / "
                                        + ", ".join(f"{k} {v}" for k, v in sorted(day.jobs.items())))
    for n, note in enumerate(day.notes, 1):
        f[f"normal day: note {n}"] = note
    f["needles (4 secrets, their 12-character pieces, base64 forms)"] = (
        f"{sum(len(v) for k, v in wanted.items() if k != TOKEN_LABEL)} ({left_out} pieces left "
        "out: part of a secret's public name)")
    f["ID token signatures searched for (every token sent)"] = len(wanted[TOKEN_LABEL])
    f["log forging: cases x transports / log lines parsed / defects"] = (
        f"{forging.cases} / {forging.lines} / {len(forging.defects)}")
    for category in (LOGS, RESPONSES, CELLS, JOBS, STORE):
        f[f"{category} searched"] = evidence.count(category)
    found = Counter(leak.category for leak in leaks)
    f["secret occurrences found"] = (len(leaks) if not leaks else
                                     f"{len(leaks)} ({', '.join(f'{k}: {v}' for k, v in found.items())})")

    for line in m.uncovered:
        result.fail(f"route without expectation: {line}")
    for line in m.wrong:
        result.fail(line)
    for defect in forging.defects:
        result.fail(f"log forging: {defect}")
    for leak in leaks:
        result.fail(f"secret in {leak.category}, {leak.where}: {leak.secret}: …{leak.excerpt}…")
    result.target("every route of the app has an expectation", not m.uncovered and m.routes > 0,
                  f"{m.routes_covered} of {m.routes} routes")
    result.target("every intruder refused with the right status, on every route and method",
                  not m.wrong and m.attempts > 0, f"{len(m.wrong)} wrong of {m.attempts}")
    result.target("nothing runs for an intruder: 0 jobs, 0 sandbox calls, 0 deliveries",
                  not any(ran.values()), " / ".join(str(v) for v in ran.values()))
    minutes = max(1, math.ceil(m.seconds / 60)) * len(outcomes)
    result.target("intruders make the backend fetch Google's certificates at most once a minute",
                  m.fetches <= minutes, f"{m.fetches} fetches in {m.seconds:.0f} s of matrix")
    result.target("a replayed delivery is never applied twice", m.applied_twice == 0 and m.replays > 0,
                  f"{m.applied_twice} of {m.replays}")
    result.target("no secret in any log line, response, cell, job or store row: 0", not leaks,
                  len(leaks))
    result.target(f"every log line one JSON object: none forged, no request value over {CAP} "
                  "characters", not forging.defects and forging.lines > 0,
                  f"{len(forging.defects)} defects in {forging.lines} lines")
    result.seconds = time.perf_counter() - started
    return result
