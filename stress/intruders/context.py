"""What every attempt is made from: the context (the World, the transport, the intruders' own
keys, the jobs the job routes and /tasks/run aim at), routes, attempts and intruders, and the
sending of an attempt."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from stress.intruders.transport import Answer, Transport
from stress.world import CLIENT_ID, World

EXPORT_MONTH = "2026-10"
# Webhook event ids, unique in the process: a second matrix on the same store (another
# transport) must not meet its own earlier deliveries as replays.
_EVENT_IDS = itertools.count(1)


@dataclass
class Context:
    world: World
    transport: Transport
    stranger: object                 # a LocalIssuer with another RSA key (its own key id)
    impostor: object                 # another RSA key that claims the issuer's key id
    job_id: str = ""                 # a finished export of the first company, with files
    file_name: str = "inexweb.txt"
    bait_job: str = ""               # a queued job /tasks/run would run if let in
    after_prime: Callable[[World], None] | None = None   # for the detector tests only
    sync_events: bool = False        # replays of deliveries that start a sync (slower)
    _tokens: dict = field(default_factory=dict)

    @property
    def user(self) -> str:
        return self.world.users[0]

    @property
    def sheet(self) -> str:
        return self.world.sheets[0]

    def token(self, email: str, audience: str, **kw) -> str:
        return self.world.token(email, audience, **kw)

    def header(self, key: tuple, make: Callable[[], str | None]) -> str | None:
        """A token made once per intruder and identity: signing one costs a tenth of a
        second (the issuer parses its RSA key each time), and each is valid for an hour."""
        if key not in self._tokens:
            self._tokens[key] = make()
        return self._tokens[key]

    @staticmethod
    def next_event() -> int:
        return next(_EVENT_IDS)


def make_context(world: World, transport: Transport) -> Context:
    from backend.auth.local_issuer import LocalIssuer
    impostor = LocalIssuer()                    # never served: only its key signs
    impostor.key_id = world.issuer.key_id
    return Context(world, transport, LocalIssuer(), impostor)


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Route:
    family: str      # public | user | job | service | hubspot | stripe
    paths: Callable[[Context, bool], list[str]]
    fields: Callable[[Context], dict] = lambda ctx: {}


@dataclass
class Attempt:
    headers: dict = field(default_factory=dict)
    fields: dict | None = None       # JSON body of a POST, query string of a GET
    data: bytes | None = None        # a raw body (webhooks)
    company: str | None = None       # the company of a webhook URL
    replay: bool = False             # answered 200 as a replay, applied 0


@dataclass(frozen=True)
class Intruder:
    name: str
    expect: dict[str, int]                                  # family -> status
    build: Callable[[Context, Route, str], Attempt]        # (ctx, route, path) -> attempt
    full_only: bool = False


def _placeholders(ctx: Context, fields: dict) -> dict:
    names = {"{sheet2}": ctx.world.sheets[1], "{company2}": ctx.world.company_ids[1],
             "{company1}": ctx.world.company_ids[0]}
    return {k: names.get(v, v) if isinstance(v, str) else v for k, v in fields.items()}


def _send(ctx: Context, route: Route, path: str, attempt: Attempt, method: str = "POST") -> Answer:
    if attempt.data is not None:
        path = path.format(company=attempt.company or ctx.world.company_ids[0])
        return ctx.transport.send(method, path, attempt.headers, data=attempt.data)
    fields = _placeholders(ctx, attempt.fields or {})
    if method in ("GET", "HEAD"):
        return ctx.transport.send(method, path, attempt.headers, query=fields)
    return ctx.transport.send(method, path, attempt.headers, json_body=fields)


def prepare(ctx: Context, export_job: dict | None = None) -> None:
    """A finished export (a job with files) of the first company for the job routes, and a
    queued job of the last company that /tasks/run would run if an intruder got in."""
    from backend.jobs.model import Job
    from backend.jobs.runner import STALE_AFTER
    world = ctx.world
    if export_job is None:
        auth = _bearer(ctx.token(ctx.user, CLIENT_ID))
        for name, params in (("generate", {}), ("export", {"month": EXPORT_MONTH})):
            answer = ctx.transport.send("POST", f"/actions/{name}", auth, json_body={
                "spreadsheet_id": ctx.sheet, "params": params})
            export_job = (answer.json() or {}).get("job") or {}
    if not export_job.get("files"):
        raise RuntimeError(f"the export made no file: {export_job.get('message')}")
    ctx.job_id, ctx.file_name = export_job["id"], export_job["files"][0]["name"]
    bait, _ = world.backend.job_store().create(
        Job.new(world.company_ids[-1], "validate", {}, "intruders: bait",
                datetime.now(timezone.utc)), STALE_AFTER)
    ctx.bait_job = bait.id
