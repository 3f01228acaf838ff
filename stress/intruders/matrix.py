"""The matrix: every route of the app (read from `app.url_map`, so that a route added later is
covered, or the campaign fails for want of an expectation), every method it serves, times
every intruder that applies to it (forged, expired or misdirected tokens; a person on the
service routes and a service on the people's routes; another company's spreadsheet, id, user
or job; unsigned, badly signed, stale, misaddressed or replayed webhook deliveries). Each
attempt has its expected status (401 no valid proof, 403 a valid token not for this, 404 an
unknown company or another company's job, 200 for the health check and for a replay answered
as such) and must leave everything as it was: no job created or started, no call to the
sandbox, no webhook delivery recorded, no run in the ledger store.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from stress.intruders.context import (Attempt, Context, Intruder, Route, _bearer, _placeholders,
                                      _send)
from stress.intruders.tokens import CROSS_INTRUDERS, TOKEN_INTRUDERS
from stress.intruders.transport import Answer
from stress.intruders.webhooks import WEBHOOK_INTRUDERS, _delivery
from stress.world import CLIENT_ID, SERVICE_ACCOUNT, SERVICE_AUDIENCE, World


# --- what nothing running means -------------------------------------------------------------

class CountingRequest:
    """The transport the token verifier fetches Google's certificates with, counting the
    fetches (given to the app as TOKEN_REQUEST, under its certificate cache): an intruder must
    not be able to make the backend call out at will."""

    def __init__(self) -> None:
        import google.auth.transport.requests
        self.inner = google.auth.transport.requests.Request()
        self.calls = 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.inner(*args, **kwargs)


def counted_app(world: World) -> CountingRequest:
    """Gives `world` an app whose certificate fetches are counted (same config otherwise)."""
    from backend.auth.tokens import CachingRequest
    from backend.web import create_app
    fetches = CountingRequest()
    world.app = create_app({**world.config(), "TOKEN_REQUEST": CachingRequest(fetches)})
    return fetches


def footprint(world: World) -> dict:
    """What an attempt that runs anything would change: jobs (by state), webhook deliveries,
    runs in the ledger store, calls to each sandbox service."""
    from backend.store.schema import jobs, runs, webhook_deliveries
    with world.store.engine.connect() as conn:
        states = dict(conn.execute(sa.select(jobs.c.state, sa.func.count())
                                   .group_by(jobs.c.state)).all())
        deliveries = conn.scalar(sa.select(sa.func.count()).select_from(webhook_deliveries))
        run_count = conn.scalar(sa.select(sa.func.count()).select_from(runs))
    fetches = getattr(world, "certificate_fetches", None)
    return {"jobs": states, "deliveries": deliveries, "runs": run_count,
            "calls": dict(world.sandbox.plan.counts()),
            "fetches": fetches.calls if fetches else 0}


def changes(before: dict, after: dict) -> dict[str, int]:
    """How much ran between two footprints (0 everywhere when nothing did)."""
    jobs_made = sum(after["jobs"].values()) - sum(before["jobs"].values())
    moved = sum(abs(after["jobs"].get(s, 0) - before["jobs"].get(s, 0))
                for s in set(before["jobs"]) | set(after["jobs"]))
    return {"jobs created": jobs_made,
            "jobs started or changed": moved - jobs_made if moved > jobs_made else 0,
            "sandbox calls": sum(after["calls"].values()) - sum(before["calls"].values()),
            "deliveries recorded": after["deliveries"] - before["deliveries"],
            "runs": after["runs"] - before["runs"],
            "certificate fetches": after["fetches"] - before["fetches"]}


# --- routes and what is expected of them ----------------------------------------------------

def _user_fields(ctx: Context) -> dict:
    return {"spreadsheet_id": ctx.sheet}


def _action_fields(ctx: Context) -> dict:
    # The export's month, which the sidebar always sends (a blank one is refused, issue 14):
    # an intruder let in by a planted defect would start a job, as the matrix must see.
    return {**_user_fields(ctx), "params": {"month": "2026-10"}}


def _action_paths(ctx: Context, full: bool) -> list[str]:
    # generate is the one that writes; at full size every action the app knows.
    names = list(ctx.world.backend.actions) if full else ["generate", "export"]
    return [f"/actions/{name}" for name in names]


# Keyed by endpoint: a route of the app missing here fails the campaign.
ROUTES: dict[str, Route] = {
    "health.health": Route("public", lambda ctx, full: ["/healthz"]),
    "actions.start": Route("user", _action_paths, _action_fields),
    "jobs.show": Route("job", lambda ctx, full: [f"/jobs/{ctx.job_id}"], _user_fields),
    "jobs.download": Route("job", lambda ctx, full: [f"/jobs/{ctx.job_id}/files/{ctx.file_name}"],
                           _user_fields),
    "jobs.status": Route("user", lambda ctx, full: ["/status"], _user_fields),
    "service.run_task": Route("service", lambda ctx, full: ["/tasks/run"],
                              lambda ctx: {"job_id": ctx.bait_job}),
    "service.scheduled_generation": Route("service", lambda ctx, full: ["/scheduler/generate"],
                                          lambda ctx: {"company": ctx.world.company_ids[0]}),
    "webhooks.hubspot": Route("hubspot", lambda ctx, full: ["/webhooks/hubspot/{company}"]),
    "webhooks.stripe": Route("stripe", lambda ctx, full: ["/webhooks/stripe/{company}"]),
}


INTRUDERS = TOKEN_INTRUDERS + CROSS_INTRUDERS + WEBHOOK_INTRUDERS


# --- controls: the valid caller is served -----------------------------------------------------
# Without them the refusals would prove little: a path or a field gone wrong is refused for
# everyone. Each is harmless: validate reads the sheet; /tasks/run names no job; the scheduler
# names the company whose bait job is active (so nothing starts); a delivery that starts no sync.

def _valid(ctx: Context, service: bool = False) -> dict:
    if service:
        return _bearer(ctx.header(("valid", SERVICE_ACCOUNT),
                                  lambda: ctx.token(SERVICE_ACCOUNT, SERVICE_AUDIENCE)))
    return _bearer(ctx.header(("valid", ctx.user), lambda: ctx.token(ctx.user, CLIENT_ID)))


def _webhook_control(ctx: Context, endpoint: str):
    route = ROUTES[endpoint]
    body, headers, _ = _delivery(ctx, route, "demo", quiet=True)
    return "POST", route.paths(ctx, False)[0], Attempt(headers, data=body), 200


CONTROLS: dict[str, Callable[[Context], tuple[str, str, Attempt, int]]] = {
    "health.health": lambda ctx: ("GET", "/healthz", Attempt(), 200),
    "actions.start": lambda ctx: ("POST", "/actions/validate",
                                  Attempt(_valid(ctx), _user_fields(ctx)), 202),
    "jobs.show": lambda ctx: ("GET", f"/jobs/{ctx.job_id}", Attempt(_valid(ctx), _user_fields(ctx)),
                              200),
    "jobs.download": lambda ctx: ("GET", f"/jobs/{ctx.job_id}/files/{ctx.file_name}",
                                  Attempt(_valid(ctx), _user_fields(ctx)), 200),
    "jobs.status": lambda ctx: ("GET", "/status", Attempt(_valid(ctx), _user_fields(ctx)), 200),
    "service.run_task": lambda ctx: ("POST", "/tasks/run",
                                     Attempt(_valid(ctx, True), {"job_id": "no-such-job"}), 200),
    "service.scheduled_generation": lambda ctx: (
        "POST", "/scheduler/generate",
        Attempt(_valid(ctx, True), {"company": ctx.world.company_ids[-1]}), 200),
    "webhooks.hubspot": lambda ctx: _webhook_control(ctx, "webhooks.hubspot"),
    "webhooks.stripe": lambda ctx: _webhook_control(ctx, "webhooks.stripe"),
}


def intruders(full: bool) -> list[Intruder]:
    return [i for i in INTRUDERS if full or not i.full_only]


# --- the matrix -----------------------------------------------------------------------------

CODES = {401: {"unauthenticated"}, 403: {"forbidden"},
         404: {"unknown_company", "unknown_job", "unknown_file"}}


@dataclass
class MatrixOutcome:
    routes: int = 0
    routes_covered: int = 0
    intruders: int = 0
    attempts: int = 0
    as_expected: int = 0
    statuses: Counter = field(default_factory=Counter)
    ran: Counter = field(default_factory=Counter)        # what intruders made run
    replays: int = 0
    applied_twice: int = 0
    probes: int = 0                  # other methods (405) and OPTIONS
    controls: int = 0                # routes where the valid caller was served
    fetches: int = 0                 # Google certificate fetches intruders caused
    seconds: float = 0.0
    wrong: list[str] = field(default_factory=list)
    uncovered: list[str] = field(default_factory=list)


def _check(answer: Answer, expected: int, attempt: Attempt, route: Route, method: str) -> str:
    """What is wrong with the answer ('' if nothing)."""
    if answer.status != expected:
        return f"status {answer.status} (expected {expected})"
    if method == "HEAD" or expected == 200 and route.family == "public":
        return ""
    body = answer.json()
    if not isinstance(body, dict):
        return "the answer is not a JSON object"
    if attempt.replay:
        if body.get("applied") != 0 or not body.get("replays"):
            return f"a replay answered {body}"
        return ""
    if route.family in ("hubspot", "stripe") and expected == 401:
        return "" if body.get("applied") == 0 else f"a refused delivery answered {body}"
    if body.get("code") not in CODES.get(expected, {body.get("code")}):
        return f"code {body.get('code')!r}"
    if set(body) - {"error", "code"}:
        return f"the refusal says more than it should: {sorted(body)}"
    if expected == 401 and answer.header("WWW-Authenticate") != "Bearer":
        return "401 without WWW-Authenticate: Bearer"
    return ""


def run_matrix(ctx: Context, full: bool = False, progress=print) -> MatrixOutcome:
    world = ctx.world
    out = MatrixOutcome()
    started = time.perf_counter()
    chosen = intruders(full)
    out.intruders = len(chosen)
    rules = [r for r in world.app.url_map.iter_rules() if r.endpoint != "static"]
    out.routes = len(rules)
    for rule in rules:
        route = ROUTES.get(rule.endpoint)
        if route is None or rule.endpoint not in CONTROLS:
            out.uncovered.append(f"{rule.rule} ({rule.endpoint})")
            continue
        method, path, attempt, expected = CONTROLS[rule.endpoint](ctx)
        answer = _send(ctx, route, path, attempt, method)
        if answer.status == expected:
            out.controls += 1
        else:
            out.wrong.append(f"control: the valid caller on {method} {path} got {answer.status} "
                             f"(expected {expected})")
        applicable = [i for i in chosen if route.family in i.expect]
        if not applicable:
            out.uncovered.append(f"{rule.rule} ({rule.endpoint}): no intruder applies")
            continue
        out.routes_covered += 1
        methods = sorted(rule.methods - {"OPTIONS"})
        for path in route.paths(ctx, full):
            for method in methods:
                for intruder in applicable:
                    expected = intruder.expect[route.family]
                    try:
                        attempt = intruder.build(ctx, route, path)
                    except AssertionError as exc:
                        out.attempts += 1
                        out.wrong.append(f"{intruder.name} on {method} {path}: {exc}")
                        continue
                    before = footprint(world)
                    answer = _send(ctx, route, path, attempt, method)
                    ran = changes(before, footprint(world))
                    out.attempts += 1
                    out.statuses[answer.status] += 1
                    problem = _check(answer, expected, attempt, route, method)
                    out.fetches += ran.pop("certificate fetches")
                    if any(ran.values()):
                        out.ran.update({k: v for k, v in ran.items() if v})
                        problem = (problem + "; " if problem else "") + "it ran: " + ", ".join(
                            f"{k} {v}" for k, v in ran.items() if v)
                    if attempt.replay:
                        out.replays += 1
                        if ran["deliveries recorded"] or (answer.json() or {}).get("applied"):
                            out.applied_twice += 1
                    if problem:
                        out.wrong.append(f"{intruder.name} on {method} {path}: {problem}")
                    else:
                        out.as_expected += 1
        _probe_methods(ctx, rule, route, out)
    out.seconds = time.perf_counter() - started
    progress(f"intruders: matrix {out.attempts} attempts on {out.routes_covered} routes, "
             f"{len(out.wrong)} wrong")
    return out


def _probe_methods(ctx: Context, rule, route: Route, out: MatrixOutcome) -> None:
    """A valid caller using a method the route does not serve gets 405; OPTIONS gets the
    allowed methods. Neither runs the view."""
    path = route.paths(ctx, False)[0].format(company=ctx.world.company_ids[0])
    headers = _bearer(ctx.header(("valid", ctx.user), lambda: ctx.token(ctx.user, CLIENT_ID)))
    fields = _placeholders(ctx, route.fields(ctx))
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
        if method in rule.methods and method != "OPTIONS":
            continue
        expected = 200 if method == "OPTIONS" else 405
        before = footprint(ctx.world)
        answer = ctx.transport.send(method, path, headers, json_body=fields if method != "GET" else None,
                                    query=fields if method == "GET" else None)
        ran = changes(before, footprint(ctx.world))
        ran.pop("certificate fetches")
        out.probes += 1
        if answer.status != expected or any(ran.values()):
            out.wrong.append(f"{method} {path} by a valid caller: {answer.status} (expected "
                             f"{expected}), ran {ran}")
