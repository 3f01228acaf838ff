"""Part 4 of issue 7: intruders, and the search for secrets.

The matrix: every route of the app (read from `app.url_map`, so that a route added later is
covered, or the campaign fails for want of an expectation), every method it serves, times
every intruder that applies to it (forged, expired or misdirected tokens; a person on the
service routes and a service on the people's routes; another company's spreadsheet, id, user
or job; unsigned, badly signed, stale, misaddressed or replayed webhook deliveries). Each
attempt has its expected status (401 no valid proof, 403 a valid token not for this, 404 an
unknown company or another company's job, 200 for the health check and for a replay answered
as such) and must leave everything as it was: no job created or started, no call to the
sandbox, no webhook delivery recorded, no run in the ledger store.

The secret search: a normal day through the app over real HTTP (werkzeug's server, so that
its request log is there too), with every secret in play (generate, sync, validate, dedupe,
export and its downloads, webhook deliveries, the scheduler, a Cloud Tasks hand-over) and the
failures that tend to leak keys (Stripe refusing our key, whose real message quotes it
masked; HubSpot refusing its token; secrets missing from the secret source), every log record
captured at DEBUG; then every log line, every answer of the app (status, headers, body), every
cell of every tab of every spreadsheet, every job (params, message, result, files) and every
row of the ledger store is searched for each secret and for any 12-character piece of one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import logging
import math
import threading
import time
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone

import sqlalchemy as sa

from stress.report import Result
from stress.world import (CLIENT_ID, HUBSPOT_APP_SECRET, HUBSPOT_SECRET, SECRETS, SERVICE_ACCOUNT,
                          SERVICE_AUDIENCE, STRIPE_SECRET, STRIPE_WEBHOOK_SECRET, World)

PART = "intruders"
WINDOW = 12                      # any piece of a secret this long is a leak
SECRET_LABELS = {STRIPE_SECRET: "Stripe API key", HUBSPOT_SECRET: "HubSpot token",
                 HUBSPOT_APP_SECRET: "HubSpot app secret",
                 STRIPE_WEBHOOK_SECRET: "Stripe webhook secret"}
OTHER_CLIENT = "another-app.apps.googleusercontent.com"
OTHER_SERVICE_AUDIENCE = "https://elsewhere.example.test"
STRANGER = "intrus@example.com"
EXPORT_MONTH = "2026-10"
# Webhook event ids, unique in the process: a second matrix on the same store (another
# transport) must not meet its own earlier deliveries as replays.
_EVENT_IDS = itertools.count(1)


# --- talking to the app -------------------------------------------------------------------

@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def text(self) -> str:
        """Everything the caller receives, for the secret search (bytes as latin-1: any
        ASCII piece of a secret stays findable whatever the encoding)."""
        head = "\n".join(f"{k}: {v}" for k, v in self.headers)
        return f"{self.status}\n{head}\n\n{self.body.decode('latin-1')}"


class Transport:
    """Sends requests to the app and keeps every answer (the secret search reads them)."""
    base = "http://localhost"        # what the app sees as its own address (HubSpot signs it)

    def __init__(self) -> None:
        self.answers: list[Answer] = []
        self.authorizations: set[str] = set()      # every Authorization header sent

    def send(self, method: str, path: str, headers: dict | None = None,
             query: dict | None = None, json_body=None, data: bytes | None = None) -> Answer:
        if headers and headers.get("Authorization"):
            self.authorizations.add(headers["Authorization"])
        answer = self._send(method, path, dict(headers or {}), query, json_body, data)
        self.answers.append(answer)
        return answer

    def _send(self, method, path, headers, query, json_body, data) -> Answer:
        raise NotImplementedError


class ClientTransport(Transport):
    """Flask's test client: the whole app, no socket (the matrix: fast and deterministic)."""

    def __init__(self, app) -> None:
        super().__init__()
        self.app = app

    def _send(self, method, path, headers, query, json_body, data) -> Answer:
        kwargs = {"headers": headers, "query_string": query}
        if data is not None:
            kwargs.update(data=data, content_type=headers.pop("Content-Type", "application/json"))
        elif json_body is not None:
            kwargs["json"] = json_body
        response = self.app.test_client().open(path, method=method, **kwargs)
        return Answer(response.status_code, list(response.headers.items()), response.get_data())


class HttpTransport(Transport):
    """The app served by werkzeug on loopback and called with `requests`: real HTTP, and
    werkzeug's own request log."""

    def __init__(self, app) -> None:
        super().__init__()
        import requests
        from werkzeug.serving import make_server
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.session = requests.Session()
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True,
                                       name="stress-intruders-app")
        self.thread.start()

    def _send(self, method, path, headers, query, json_body, data) -> Answer:
        response = self.session.request(method, self.base + path, headers=headers, params=query,
                                        json=json_body if data is None else None, data=data,
                                        timeout=120)
        return Answer(response.status_code, list(response.headers.items()), response.content)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.session.close()
        self.thread.join(5)


# --- every log record -----------------------------------------------------------------------

class LogCapture(logging.Handler):
    """Every record, formatted as a log line would be (with its traceback)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s [%(threadName)s]: %(message)s"))
        self.lines: list[str] = []
        self._lock_lines = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:   # a record that does not format is still searched, raw
            text = f"{record.name}: {record.msg!r} {record.args!r}"
        with self._lock_lines:
            self.lines.append(text)


@contextmanager
def capture_logs() -> Iterator[LogCapture]:
    """A handler on the root logger at DEBUG, werkzeug's logger at DEBUG too: every record
    any logger emits is seen. (Loggers that set their own level keep it: SQLAlchemy's are at
    WARNING unless the app asks for more, and it does not.)"""
    capture = LogCapture()
    root = logging.getLogger()
    werkzeug = logging.getLogger("werkzeug")
    saved = {"": root.level, "werkzeug": werkzeug.level}
    werkzeug.setLevel(logging.DEBUG)
    root.setLevel(logging.DEBUG)
    root.addHandler(capture)
    extra = not werkzeug.propagate
    if extra:
        werkzeug.addHandler(capture)
    try:
        yield capture
    finally:
        root.removeHandler(capture)
        if extra:
            werkzeug.removeHandler(capture)
        for name, level in saved.items():
            logging.getLogger(name or None).setLevel(level)


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


# --- tokens an intruder can make ------------------------------------------------------------

def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwt(header: dict, claims: dict, sign: Callable[[bytes], bytes] | None = None) -> str:
    """A JWT by hand: header and payload base64url, the signature `sign` makes (none: empty)."""
    signing_input = (f"{b64url(json.dumps(header).encode())}."
                     f"{b64url(json.dumps(claims).encode())}")
    signature = sign(signing_input.encode("ascii")) if sign else b""
    return f"{signing_input}.{b64url(signature)}"


def claims(email: str | None, audience: str, now: int | None = None, /, **over) -> dict:
    """Claims as Google's ID tokens carry them, valid unless `over` says otherwise (a value
    of None removes the claim)."""
    now = int(time.time()) if now is None else now
    base = {"iss": "https://accounts.google.com", "aud": audience, "azp": audience,
            "sub": f"local-{email}", "email": email, "email_verified": True, "iat": now,
            "exp": now + 3600}
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


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


# --- routes and what is expected of them ----------------------------------------------------

@dataclass(frozen=True)
class Route:
    family: str      # public | user | job | service | hubspot | stripe
    paths: Callable[[Context, bool], list[str]]
    fields: Callable[[Context], dict] = lambda ctx: {}


def _user_fields(ctx: Context) -> dict:
    return {"spreadsheet_id": ctx.sheet}


def _action_paths(ctx: Context, full: bool) -> list[str]:
    # generate is the one that writes; at full size every action the app knows.
    names = list(ctx.world.backend.actions) if full else ["generate", "export"]
    return [f"/actions/{name}" for name in names]


# Keyed by endpoint: a route of the app missing here fails the campaign.
ROUTES: dict[str, Route] = {
    "health.health": Route("public", lambda ctx, full: ["/healthz"]),
    "actions.start": Route("user", _action_paths, _user_fields),
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


# Tokens: `make(ctx, email, audience)` gives the Authorization header's value (or None).
TokenMaker = Callable[[Context, str, str], str | None]


def _token_intruder(name: str, make: TokenMaker, user: int = 401, service: int | None = 401,
                    fields: dict | None = None, job: int | None = None,
                    families: tuple[str, ...] = ("user", "job", "service"),
                    full_only: bool = False) -> Intruder:
    """An intruder that presents a token; the health check answers it 200 (it reads nothing)."""
    expect = {"public": 200}
    if "user" in families:
        expect["user"] = user
    if "job" in families:
        expect["job"] = user if job is None else job
    if "service" in families and service is not None:
        expect["service"] = service

    def build(ctx: Context, route: Route, path: str) -> Attempt:
        service_route = route.family == "service"
        email = SERVICE_ACCOUNT if service_route else ctx.user
        audience = SERVICE_AUDIENCE if service_route else CLIENT_ID
        value = ctx.header((name, email, audience), lambda: make(ctx, email, audience))
        wanted = {**route.fields(ctx), **((fields or {}) if not service_route else {})}
        wanted = {k: v for k, v in wanted.items() if v is not None}
        return Attempt(headers={"Authorization": value} if value is not None else {},
                       fields=wanted)
    return Intruder(name, expect, build, full_only)


def _other_audience(audience: str) -> str:
    return OTHER_SERVICE_AUDIENCE if audience == SERVICE_AUDIENCE else OTHER_CLIENT


def _hs256_with(material: Callable[[Context], bytes]) -> TokenMaker:
    def make(ctx, email, audience):
        key = material(ctx)
        header = {"alg": "HS256", "typ": "JWT", "kid": ctx.world.issuer.key_id}
        return "Bearer " + jwt(header, claims(email, audience),
                               lambda data: hmac.new(key, data, hashlib.sha256).digest())
    return make


def _certificate(ctx: Context) -> bytes:
    return ctx.world.issuer.certificate_pem.encode()


def _public_key(ctx: Context) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    cert = x509.load_pem_x509_certificate(_certificate(ctx))
    return cert.public_key().public_bytes(serialization.Encoding.PEM,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)


def _es256_token(ctx, email, audience):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from google.auth.crypt import es256
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    signer = es256.ES256Signer.from_string(pem, key_id=ctx.world.issuer.key_id)
    return "Bearer " + jwt({"alg": "ES256", "typ": "JWT", "kid": ctx.world.issuer.key_id},
                           claims(email, audience), signer.sign)


def _signature_stripped(ctx, email, audience):
    header, payload, _ = ctx.token(email, audience).split(".")
    return f"Bearer {header}.{payload}."


def _payload_swapped(ctx, email, audience):
    # A real signature over the intruder's own token, the payload of someone allowed.
    header, _, signature = ctx.token(STRANGER, audience).split(".")
    _, payload, _ = ctx.token(email, audience).split(".")
    return f"Bearer {header}.{payload}.{signature}"


def _alg_relabelled(ctx, email, audience):
    _, payload, signature = ctx.token(email, audience).split(".")
    return "Bearer " + ".".join([b64url(json.dumps({"alg": "RS512", "typ": "JWT",
                                                    "kid": ctx.world.issuer.key_id}).encode()),
                                 payload, signature])


def _signed(**over) -> TokenMaker:
    """A token the issuer really signs, with claims changed by `over`."""
    return lambda ctx, email, audience: "Bearer " + ctx.world.issuer.sign(
        claims(email, audience, **over))


TOKEN_INTRUDERS = [
    _token_intruder("no token", lambda ctx, e, a: None),
    _token_intruder("not a Bearer token (Basic)",
                    lambda ctx, e, a: "Basic " + base64.b64encode(f"{e}:password".encode()).decode()),
    _token_intruder("garbage token", lambda ctx, e, a: "Bearer not.a.token"),
    _token_intruder("unsigned token (alg: none)",
                    lambda ctx, e, a: "Bearer " + jwt({"alg": "none", "typ": "JWT"}, claims(e, a))),
    _token_intruder("signed with another RSA key", lambda ctx, e, a: "Bearer " + ctx.stranger.token(e, a)),
    _token_intruder("another RSA key under the issuer's key id",
                    lambda ctx, e, a: "Bearer " + ctx.impostor.token(e, a)),
    _token_intruder("HS256 keyed with the public certificate (key confusion)",
                    _hs256_with(_certificate)),
    _token_intruder("wrong audience", lambda ctx, e, a: "Bearer " + ctx.token(e, _other_audience(a))),
    _token_intruder("wrong issuer",
                    lambda ctx, e, a: "Bearer " + ctx.token(e, a, issuer="https://issuer.example.test")),
    _token_intruder("expired", lambda ctx, e, a: "Bearer " + ctx.token(
        e, a, issued_at=int(time.time()) - 7200, lifetime=3600)),
    _token_intruder("not yet valid (issued a day ahead)", lambda ctx, e, a: "Bearer " + ctx.token(
        e, a, issued_at=int(time.time()) + 86400)),
    _token_intruder("unverified email", lambda ctx, e, a: "Bearer " + ctx.token(e, a, email_verified=False)),
    _token_intruder("no email", _signed(email=None, email_verified=None)),
    _token_intruder("email not allowed", lambda ctx, e, a: "Bearer " + ctx.token(STRANGER, a),
                    user=403, service=403),
    # At full size, more ways of getting a token wrong.
    _token_intruder("empty Bearer", lambda ctx, e, a: "Bearer ", full_only=True),
    _token_intruder("two tokens in one header",
                    lambda ctx, e, a: f"Bearer {ctx.token(e, a)} {ctx.token(e, a)}", full_only=True),
    _token_intruder("signature stripped", _signature_stripped, full_only=True),
    _token_intruder("payload swapped under another token's signature", _payload_swapped,
                    full_only=True),
    _token_intruder("alg relabelled RS512", _alg_relabelled, full_only=True),
    _token_intruder("HS256 keyed with the public key", _hs256_with(_public_key), full_only=True),
    _token_intruder("ES256 with another key under the issuer's key id", _es256_token,
                    full_only=True),
    _token_intruder("no exp claim", _signed(exp=None), full_only=True),
    _token_intruder("no iat claim", _signed(iat=None), full_only=True),
    _token_intruder("expired a minute ago (beyond the clock skew)", _signed(
        iat=int(time.time()) - 3660, exp=int(time.time()) - 60), full_only=True),
    _token_intruder("email_verified as the string 'false'", _signed(email_verified="false"),
                    full_only=True),
    _token_intruder("8 KB of garbage", lambda ctx, e, a: "Bearer " + "A" * 8192, full_only=True),
    _token_intruder("look-alike email (Cyrillic letter)",
                    lambda ctx, e, a: "Bearer " + ctx.token(e.replace("e", "\u0435", 1), a),
                    user=403, service=403, full_only=True),
]

# Valid tokens used where they do not belong, and other companies' things.
CROSS_INTRUDERS = [
    _token_intruder("another company's spreadsheet",
                    lambda ctx, e, a: "Bearer " + ctx.token(e, a),
                    user=403, fields={"spreadsheet_id": "{sheet2}"}, families=("user", "job")),
    _token_intruder("another company id", lambda ctx, e, a: "Bearer " + ctx.token(e, a),
                    user=403, fields={"company": "{company2}"}, families=("user", "job")),
    _token_intruder("its own company id with another's spreadsheet",
                    lambda ctx, e, a: "Bearer " + ctx.token(e, a), user=403,
                    fields={"company": "{company1}", "spreadsheet_id": "{sheet2}"},
                    families=("user", "job")),
    _token_intruder("another company's user", lambda ctx, e, a: "Bearer " + ctx.token(
        ctx.world.users[1], a), user=403, families=("user", "job")),
    _token_intruder("an unknown spreadsheet", lambda ctx, e, a: "Bearer " + ctx.token(e, a),
                    user=403, fields={"spreadsheet_id": "sheet-of-nobody"}, families=("user", "job")),
    _token_intruder("no spreadsheet", lambda ctx, e, a: "Bearer " + ctx.token(e, a),
                    user=403, fields={"spreadsheet_id": None}, families=("user", "job")),
    # Another company's allowed caller, on its own spreadsheet, names this company's job.
    _token_intruder("another company's caller asks for this job", lambda ctx, e, a: "Bearer " +
                    ctx.token(ctx.world.users[1], a), fields={"spreadsheet_id": "{sheet2}"},
                    families=("job",), job=404),
    _token_intruder("service-account token on a user route", lambda ctx, e, a: "Bearer " +
                    ctx.token(SERVICE_ACCOUNT, SERVICE_AUDIENCE), families=("user", "job")),
    _token_intruder("service account with the app's audience", lambda ctx, e, a: "Bearer " +
                    ctx.token(SERVICE_ACCOUNT, CLIENT_ID), user=403, families=("user", "job")),
    _token_intruder("user token on a service route", lambda ctx, e, a: "Bearer " +
                    ctx.token(ctx.user, CLIENT_ID), families=("service",)),
    _token_intruder("user token for the service audience", lambda ctx, e, a: "Bearer " +
                    ctx.token(ctx.user, SERVICE_AUDIENCE), service=403, families=("service",)),
]


def _placeholders(ctx: Context, fields: dict) -> dict:
    names = {"{sheet2}": ctx.world.sheets[1], "{company2}": ctx.world.company_ids[1],
             "{company1}": ctx.world.company_ids[0]}
    return {k: names.get(v, v) if isinstance(v, str) else v for k, v in fields.items()}


# --- webhook deliveries ---------------------------------------------------------------------

def _delivery(ctx: Context, route: Route, company: str, *, secret: str | None = None,
              stamp: float | None = None, event_id: int | None = None,
              signed_company: str | None = None, quiet: bool = False) -> tuple[bytes, dict, int]:
    """A delivery of one change, signed as the source signs it; `signed_company` the URL the
    signature covers (HubSpot signs it). A product change, which starts a sync when applied;
    `quiet` (the replays), unless `ctx.sync_events`, a change that starts none (applying it records
    the delivery all the same, which is what the replay check watches) to save the syncs."""
    sandbox = ctx.world.sandbox
    n = ctx.next_event() if event_id is None else event_id
    now = time.time() if stamp is None else stamp
    if route.family == "stripe":
        kind = "invoice.created" if quiet and not ctx.sync_events else "product.updated"
        event = {"id": f"evt_intruder_{n}", "object": "event", "type": kind,
                 "created": int(now), "api_version": "2026-10-28.endive", "livemode": False,
                 "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None},
                 "data": {"object": {"id": "prod_intruder", "object": "product"}}}
        payload, signature = sandbox.stripe.signed_webhook(
            event, timestamp=int(now), secret=STRIPE_WEBHOOK_SECRET if secret is None else secret)
        return payload, {"Stripe-Signature": signature, "Content-Type": "application/json"}, n
    event = (sandbox.hubspot.event("deal.creation", 1) if quiet and not ctx.sync_events
             else sandbox.hubspot.event("product.propertyChange", 1, "price", "12"))
    event["eventId"] = 10_000_000 + n
    uri = ctx.transport.base + route.paths(ctx, False)[0].format(company=signed_company or company)
    body, headers = sandbox.hubspot.signed_delivery(
        [event], uri, timestamp_ms=int(now * 1000),
        secret=HUBSPOT_APP_SECRET if secret is None else secret)
    return body, headers, n


def _unsigned(headers: dict) -> dict:
    return {k: v for k, v in headers.items()
            if k.lower().startswith(("content-type", "user-agent"))}


def _webhook_intruder(name: str, status: int, build, families=("hubspot", "stripe"),
                      full_only: bool = False) -> Intruder:
    return Intruder(name, {f: status for f in families}, build, full_only)


def _w_no_signature(ctx, route, path):
    body, headers, _ = _delivery(ctx, route, "demo")
    return Attempt(_unsigned(headers), data=body)


def _w_other_secret(ctx, route, path):
    body, headers, _ = _delivery(ctx, route, "demo", secret="whsec_not_the_right_one_0000")
    return Attempt(headers, data=body)


def _w_garbage(ctx, route, path):
    body, headers, _ = _delivery(ctx, route, "demo")
    if route.family == "stripe":
        headers["Stripe-Signature"] = f"t={int(time.time())},v1={'0' * 64}"
    else:
        headers["X-HubSpot-Signature-v3"] = base64.b64encode(b"\0" * 32).decode()
    return Attempt(headers, data=body)


def _w_other_body(ctx, route, path):
    _, headers, _ = _delivery(ctx, route, "demo")
    other, _, _ = _delivery(ctx, route, "demo")
    return Attempt(headers, data=other)


def _w_stale(ctx, route, path):
    body, headers, _ = _delivery(ctx, route, "demo", stamp=time.time() - 600)
    return Attempt(headers, data=body)


def _w_future(ctx, route, path):
    body, headers, _ = _delivery(ctx, route, "demo", stamp=time.time() + 600)
    return Attempt(headers, data=body)


def _w_other_url(ctx, route, path):
    body, headers, _ = _delivery(ctx, route, "demo", signed_company="another-company")
    return Attempt(headers, data=body)


def _w_unknown_company(ctx, route, path):
    body, headers, _ = _delivery(ctx, route, "nobody", signed_company="nobody")
    return Attempt(headers, data=body, company="nobody")


def _w_no_secret(ctx, route, path):
    company = ctx.world.company_ids[1]       # a company without webhook secrets
    body, headers, _ = _delivery(ctx, route, company, signed_company=company)
    return Attempt(headers, data=body, company=company)


def _w_id_token(ctx, route, path):
    body, headers, _ = _delivery(ctx, route, "demo")
    token = ctx.header(("valid", ctx.user), lambda: ctx.token(ctx.user, CLIENT_ID))
    return Attempt({**_unsigned(headers), **_bearer(token)}, data=body)


def _w_replay(resign: bool):
    def build(ctx, route, path):
        body, headers, n = _delivery(ctx, route, "demo", quiet=True)
        first = _send(ctx, route, path, Attempt(headers, data=body))
        answer = first.json() or {}
        if first.status != 200 or answer.get("applied") != 1:
            raise AssertionError(f"the first delivery was not applied: {first.status} {answer}")
        if ctx.after_prime:
            ctx.after_prime(ctx.world)
        if resign:      # the same event, signed afresh: the signature is fine, the id is not
            body, headers, _ = _delivery(ctx, route, "demo", event_id=n, quiet=True)
        return Attempt(headers, data=body, replay=True)
    return build


WEBHOOK_INTRUDERS = [
    _webhook_intruder("no signature", 401, _w_no_signature),
    _webhook_intruder("signed with another secret", 401, _w_other_secret),
    _webhook_intruder("garbage signature", 401, _w_garbage),
    _webhook_intruder("signature over another body", 401, _w_other_body),
    _webhook_intruder("stale timestamp (10 minutes old)", 401, _w_stale),
    _webhook_intruder("signed for another URL", 401, _w_other_url, families=("hubspot",)),
    _webhook_intruder("unknown company", 404, _w_unknown_company),
    _webhook_intruder("company without a webhook secret", 404, _w_no_secret),
    _webhook_intruder("Google ID token instead of a signature", 401, _w_id_token),
    _webhook_intruder("replayed delivery", 200, _w_replay(False)),
    _webhook_intruder("replayed delivery, signed afresh", 200, _w_replay(True)),
    # Stripe's own library accepts a future timestamp (the signature needs the secret anyway).
    _webhook_intruder("timestamp 10 minutes ahead", 401, _w_future, families=("hubspot",),
                      full_only=True),
]

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


def _send(ctx: Context, route: Route, path: str, attempt: Attempt, method: str = "POST") -> Answer:
    if attempt.data is not None:
        path = path.format(company=attempt.company or ctx.world.company_ids[0])
        return ctx.transport.send(method, path, attempt.headers, data=attempt.data)
    fields = _placeholders(ctx, attempt.fields or {})
    if method in ("GET", "HEAD"):
        return ctx.transport.send(method, path, attempt.headers, query=fields)
    return ctx.transport.send(method, path, attempt.headers, json_body=fields)


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


# --- a normal day, with the failures that tend to leak keys ---------------------------------

@dataclass
class Day:
    requests: int = 0
    jobs: Counter = field(default_factory=Counter)
    export_job: dict | None = None
    notes: list[str] = field(default_factory=list)


def normal_day(world: World, http: HttpTransport, result: Result, progress=print) -> Day:
    from backend.jobs.dispatch import InlineDispatcher
    from backend.jobs.model import Job
    from backend.jobs.runner import STALE_AFTER
    from backend.secrets import MemorySecrets
    from backend.web import create_app

    day = Day()
    sheet, user = world.sheets[0], world.users[0]
    auth = world.auth(world.token(user))
    service = world.auth(world.token(SERVICE_ACCOUNT, SERVICE_AUDIENCE))

    def check(ok: bool, what: str) -> None:
        if not ok:
            result.fail(f"normal day: {what}")

    def act(name: str, params: dict | None = None, transport: Transport = http,
            state: str = "done", says: str = "") -> dict:
        answer = transport.send("POST", f"/actions/{name}", auth,
                                json_body={"spreadsheet_id": sheet, "params": params or {}})
        check(answer.status == 202, f"{name} answered {answer.status} {answer.json()}")
        job = ((answer.json() or {}).get("job")) or {}
        shown = transport.send("GET", f"/jobs/{job.get('id')}", auth,
                               query={"spreadsheet_id": sheet}).json() or {}
        job = shown.get("job") or {}
        for file in job.get("files", []):
            got = transport.send("GET", f"/jobs/{job['id']}/files/{file['name']}", auth,
                                 query={"spreadsheet_id": sheet})
            check(got.status == 200 and len(got.body) == file["size"], f"download {file['name']}")
        check(job.get("state") == state and says in (job.get("message") or ""),
              f"{name} ended {job.get('state')}: {job.get('message')!r} (expected {state}, {says!r})")
        day.jobs[f"{name} {job.get('state')}"] += 1
        return job

    check(http.send("GET", "/healthz").status == 200, "health check")
    check(http.send("GET", "/status", auth, query={"spreadsheet_id": sheet}).status == 200, "status")
    act("generate")
    act("sync_products")
    act("sync_customers")
    act("validate")
    act("dedupe")
    day.export_job = act("export", {"month": EXPORT_MONTH})
    check(len(day.export_job.get("files", [])) == 2, "the export made its two files")

    # Webhook deliveries, each applied once and then answered as a replay.
    stripe_event = {"id": "evt_day_1", "object": "event", "type": "product.updated",
                    "created": int(time.time()), "api_version": "2026-10-28.endive",
                    "livemode": False, "pending_webhooks": 1,
                    "request": {"id": None, "idempotency_key": None},
                    "data": {"object": {"id": "prod_day", "object": "product"}}}
    payload, signature = world.sandbox.stripe.signed_webhook(stripe_event, secret=STRIPE_WEBHOOK_SECRET)
    hub_event = world.sandbox.hubspot.event("contact.propertyChange", 1, "firstname", "Jeanne")
    hub_body, hub_headers = world.sandbox.hubspot.signed_delivery(
        [hub_event], f"{http.base}/webhooks/hubspot/{world.company_ids[0]}", secret=HUBSPOT_APP_SECRET)
    for attempt in (1, 2):
        stripe_answer = http.send("POST", f"/webhooks/stripe/{world.company_ids[0]}",
                                  {"Stripe-Signature": signature, "Content-Type": "application/json"},
                                  data=payload)
        hub_answer = http.send("POST", f"/webhooks/hubspot/{world.company_ids[0]}", hub_headers,
                               data=hub_body)
        key = "applied" if attempt == 1 else "replays"
        for source, answer in (("Stripe", stripe_answer), ("HubSpot", hub_answer)):
            check(answer.status == 200 and (answer.json() or {}).get(key) == 1,
                  f"{source} delivery {attempt}: {answer.status} {answer.json()}")

    # Cloud Scheduler for every company, then a job handed over by Cloud Tasks.
    answer = http.send("POST", "/scheduler/generate", service, json_body={})
    check(answer.status == 200 and len((answer.json() or {}).get("jobs", [])) == len(world.company_ids),
          f"scheduler: {answer.status} {answer.json()}")
    queued, _ = world.backend.job_store().create(
        Job.new(world.company_ids[1], "validate", {}, "Cloud Tasks", datetime.now(timezone.utc)),
        STALE_AFTER)
    answer = http.send("POST", "/tasks/run", service, json_body={"job_id": queued.id})
    check(answer.status == 200 and world.backend.job_store().get(queued.id).state == "done",
          f"tasks/run: {answer.status} {answer.json()}")

    # Stripe refuses our key (its message quotes the key masked); HubSpot refuses its token.
    world.sandbox.stripe.api_key = "sk_test_rotated_elsewhere_0000000000000000"
    try:
        act("generate", state="failed", says="Stripe refuse l'accès")
    finally:
        world.sandbox.stripe.api_key = STRIPE_SECRET
    world.sandbox.hubspot.access_token = "pat-eu1-rotated-elsewhere-0000"
    try:
        act("sync_customers", state="failed", says="HubSpot refuse l'accès")
    finally:
        world.sandbox.hubspot.access_token = HUBSPOT_SECRET

    # Secrets missing from the secret source: an app whose source has only the HubSpot token.
    config = world.config()
    config.update(SECRETS=MemorySecrets({"hubspot-token": HUBSPOT_SECRET}),
                  DISPATCHER=InlineDispatcher())
    bare = HttpTransport(create_app(config))
    try:
        act("generate", transport=bare, state="failed", says="« stripe-key »")
        stripe_answer = bare.send("POST", f"/webhooks/stripe/{world.company_ids[0]}",
                                  {"Stripe-Signature": signature, "Content-Type": "application/json"},
                                  data=payload)
        body, headers = world.sandbox.hubspot.signed_delivery(
            [world.sandbox.hubspot.event("contact.propertyChange", 1, "firstname", "Anne")],
            f"{bare.base}/webhooks/hubspot/{world.company_ids[0]}", secret=HUBSPOT_APP_SECRET)
        hub_answer = bare.send("POST", f"/webhooks/hubspot/{world.company_ids[0]}", headers, data=body)
        day.notes.append(f"webhooks with their secret missing answered Stripe {stripe_answer.status}, "
                         f"HubSpot {hub_answer.status}")
        check(stripe_answer.status >= 500 and hub_answer.status >= 500,
              "a delivery whose secret is missing must not be answered as done (the sender retries)")
    finally:
        bare.close()
    http.answers.extend(bare.answers)
    check(http.send("GET", "/status", auth, query={"spreadsheet_id": sheet}).status == 200, "status")
    day.requests = len(http.answers)
    progress(f"intruders: normal day {day.requests} requests, jobs {dict(day.jobs)}")
    return day


# --- the secret search ----------------------------------------------------------------------

@dataclass
class Evidence:
    """What could hold a secret: category -> [(where, text)]."""
    items: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def add(self, category: str, where: str, text: str) -> None:
        self.items.setdefault(category, []).append((where, text))

    def count(self, category: str) -> int:
        return len(self.items.get(category, []))


@dataclass(frozen=True)
class Leak:
    category: str
    where: str
    secret: str          # its label, never its value
    excerpt: str         # around the find, every piece of a secret masked with *


def token_signatures(transports: list[Transport]) -> list[str]:
    """The signatures of the ID tokens sent: whoever holds one with its (guessable) header and
    payload holds the token, a credential for an hour. The tokens are never logged."""
    found = set()
    for transport in transports:
        for value in transport.authorizations:
            last = value.rsplit(".", 1)[-1].strip()
            if value.count(".") >= 2 and len(last) >= 40:
                found.add(last.lower())
    return sorted(found)


def needles(secrets=SECRETS, public_names=()) -> tuple[dict[str, list[str]], int]:
    """Per secret label: the secret, every WINDOW-long piece of it, and its base64 forms (an
    Authorization: Basic header); pieces that are also part of a secret's public name (the
    name a config gives it, shown in messages) are left out. Lower-case: the search ignores
    case. Also returns how many pieces were left out."""
    names = [n.lower() for n in public_names]
    found: dict[str, list[str]] = {}
    left_out = 0
    for secret in secrets:
        label = SECRET_LABELS.get(secret, f"secret #{len(found) + 1}")
        pieces = {secret[i:i + WINDOW].lower() for i in range(max(len(secret) - WINDOW + 1, 1))}
        kept = {p for p in pieces if not any(p in n for n in names)}
        left_out += len(pieces) - len(kept)
        for form in (secret, f"{secret}:", f":{secret}"):
            kept.add(base64.b64encode(form.encode()).decode().rstrip("=").lower())
        found[label] = sorted(kept)
    return found, left_out


def search(evidence: Evidence, wanted: dict[str, list[str]]) -> list[Leak]:
    """Every (item, secret) where the item holds a piece of the secret. Each category is
    searched as one text (fast), the finds mapped back to their items."""
    leaks: list[Leak] = []
    for category, items in evidence.items.items():
        starts, parts, offset = [], [], 0
        for _, text in items:
            starts.append(offset)
            parts.append(text.lower())
            offset += len(text) + 1
        blob = "\0".join(parts)
        everything = [p for pieces in wanted.values() for p in pieces]
        seen: set[tuple[int, str]] = set()
        for label, pieces in wanted.items():
            for piece in pieces:
                at = blob.find(piece)
                while at != -1:
                    index = bisect_right(starts, at) - 1
                    if (index, label) not in seen:
                        seen.add((index, label))
                        where, text = items[index]
                        local = at - starts[index]
                        excerpt = _masked(text[max(local - 30, 0):local + len(piece) + 30],
                                          everything)
                        leaks.append(Leak(category, where, label, excerpt.replace("\n", " ")))
                    at = blob.find(piece, at + 1)
    return leaks


def _masked(text: str, pieces: list[str]) -> str:
    """`text` with every character that belongs to a piece of a secret as *: the report (and
    the notes made from it) must not become the leak."""
    lower = text.lower()
    hidden = [False] * len(text)
    for piece in pieces:
        at = lower.find(piece)
        while at != -1:
            hidden[at:at + len(piece)] = [True] * len(piece)
            at = lower.find(piece, at + 1)
    return "".join("*" if h else c for c, h in zip(text, hidden))


TOKEN_LABEL = "an ID token's signature"
LOGS, RESPONSES, CELLS, JOBS, STORE = ("log lines", "responses", "spreadsheet cells",
                                       "job records", "ledger store rows")


def collect(world: World, logs: LogCapture, transports: list[Transport]) -> Evidence:
    """Everything a secret could have reached: log lines, answers, cells, jobs, store rows."""
    evidence = Evidence()
    for n, line in enumerate(list(logs.lines)):
        evidence.add(LOGS, f"log line {n + 1}", line)
    for transport in transports:
        for n, answer in enumerate(transport.answers):
            evidence.add(RESPONSES, f"{type(transport).__name__} answer {n + 1}", answer.text())
    sheets = world.sandbox.sheets
    for sid in list(sheets.spreadsheets):
        exported = sheets.export_json(sid)
        evidence.add(CELLS, f"{sid} properties", json.dumps(exported["properties"], ensure_ascii=False))
        for tab in exported["sheets"]:
            title = tab["properties"]["title"]
            for r, row in enumerate(tab["values"]):
                for c, value in enumerate(row):
                    if value not in ("", None):
                        evidence.add(CELLS, f"{sid}!{title} R{r + 1}C{c + 1}", str(value))
            for a1, formula in (tab.get("formulas") or {}).items():
                evidence.add(CELLS, f"{sid}!{title} {a1} (formula)", formula)
    meta = sa.MetaData()
    meta.reflect(world.store.engine)
    with world.store.engine.connect() as conn:
        for table in meta.sorted_tables:
            category = JOBS if table.name in ("jobs", "job_files") else STORE
            for n, row in enumerate(conn.execute(sa.select(table))):
                text = " | ".join(v.decode("latin-1") if isinstance(v, bytes) else str(v)
                                  for v in row)
                evidence.add(category, f"{table.name} row {n + 1}", text)
    return evidence


def secret_names(world: World) -> list[str]:
    return [name for company in world.config()["COMPANIES"] for name in company.secrets.values()]


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
    for category in (LOGS, RESPONSES, CELLS, JOBS, STORE):
        f[f"{category} searched"] = evidence.count(category)
    found = Counter(leak.category for leak in leaks)
    f["secret occurrences found"] = (len(leaks) if not leaks else
                                     f"{len(leaks)} ({', '.join(f'{k}: {v}' for k, v in found.items())})")

    for line in m.uncovered:
        result.fail(f"route without expectation: {line}")
    for line in m.wrong:
        result.fail(line)
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
    result.seconds = time.perf_counter() - started
    return result
