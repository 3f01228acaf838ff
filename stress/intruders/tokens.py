"""Tokens an intruder can make (forged, expired, misdirected: TOKEN_INTRUDERS), and valid
tokens used where they do not belong: another company's spreadsheet, id, user or job, a person
on the service routes and a service on the people's routes (CROSS_INTRUDERS)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable

from stress.intruders.context import Attempt, Context, Intruder, Route
from stress.world import CLIENT_ID, SERVICE_ACCOUNT, SERVICE_AUDIENCE

OTHER_CLIENT = "another-app.apps.googleusercontent.com"
# The client an `azp` intruder's token was issued to: no audience of anyone's (not even of
# the matrix's planted open door, OTHER_CLIENT), so only the azp check can refuse it.
OTHER_PARTY = "third-app.apps.googleusercontent.com"
OTHER_SERVICE_AUDIENCE = "https://elsewhere.example.test"
STRANGER = "intrus@example.com"


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
    # Our audience, but issued to another OAuth client (`azp`): Google says to check it. Not
    # on the service routes: a service's OIDC token carries its account's id there.
    _token_intruder("issued to another client (azp)", lambda ctx, e, a: "Bearer " + ctx.token(
        e, a, azp=OTHER_PARTY), user=403, families=("user", "job")),
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
    _token_intruder("azp an empty string", lambda ctx, e, a: "Bearer " + ctx.token(e, a, azp=""),
                    user=403, families=("user", "job"), full_only=True),
    _token_intruder("azp a list holding the client id", lambda ctx, e, a: "Bearer " + ctx.token(
        e, a, azp=[a]), user=403, families=("user", "job"), full_only=True),
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
