"""Google ID tokens: the one Apps Script sends (`ScriptApp.getIdentityToken()`) and the OIDC
tokens Cloud Scheduler and Cloud Tasks attach to their calls.

`TokenVerifier.verify` checks, with google-auth (`google.oauth2.id_token.verify_token`): the
RS256 signature against Google's published certificates (fetched from `certs_url`, cached as
long as Google's Cache-Control allows), the expiry and issue time, the audience (one of the
configured client ids), the issuer (accounts.google.com), and then that the token carries a
verified email. The token itself is never logged nor stored. Its authorized party (`azp`, the
client the token was issued to) is kept in the Identity: Google says to check it when the
token has one, and which client ids are allowed depends on the company (auth/access.py).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

GOOGLE_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
GOOGLE_ISSUERS = ("accounts.google.com", "https://accounts.google.com")
CLOCK_SKEW_SECONDS = 10
# An unknown key id refetches Google's certificates at most this often: anyone can send a
# token naming one, and must not make every instance call Google at will. Google publishes
# a key before it signs with it, so a fetch a minute is enough to pick a rotation up.
REFETCH_AT_MOST_EVERY = 60.0


class TokenRejected(Exception):
    """The token is missing, malformed, badly signed, expired, for another audience, or
    without a verified email. The message (English, for the log) says which."""


@dataclass(frozen=True)
class Identity:
    email: str          # lower-case
    audience: str
    subject: str
    # `azp`: the OAuth client the token was issued to, None when the token has none. A
    # service's OIDC token (Cloud Scheduler, Cloud Tasks) carries its account's numeric id.
    authorized_party: str | None = None


class CachingRequest:
    """A google-auth transport request that keeps GET answers (the certificates) for their
    Cache-Control max-age (between one minute and one day), so that verifying a token costs
    no HTTP call most of the time."""

    def __init__(self, inner=None, clock: Callable[[], float] = time.monotonic) -> None:
        if inner is None:
            import google.auth.transport.requests
            inner = google.auth.transport.requests.Request()
        self._inner = inner
        self._clock = clock
        self._cache: dict[str, tuple[float, object]] = {}
        self._lock = threading.Lock()

    def __call__(self, url, method="GET", body=None, headers=None, timeout=None, **kwargs):
        if method != "GET":
            return self._inner(url, method=method, body=body, headers=headers,
                               timeout=timeout, **kwargs)
        now = self._clock()
        with self._lock:
            cached = self._cache.get(url)
        if cached and cached[0] > now:
            return cached[1]
        response = self._inner(url, method="GET", headers=headers, timeout=timeout or 10, **kwargs)
        if response.status == 200:
            with self._lock:
                self._cache[url] = (now + _max_age(response.headers), response)
        return response

    def forget(self) -> None:
        with self._lock:
            self._cache.clear()


def _max_age(headers) -> float:
    match = re.search(r"max-age=(\d+)", str((headers or {}).get("cache-control")
                                             or (headers or {}).get("Cache-Control") or ""))
    return min(max(int(match.group(1)) if match else 300, 60), 86400)


def _without_token(message: str, token: str) -> str:
    """google-auth quotes a malformed token in its message ("Wrong number of segments in
    token: b'…'"); the refusal is logged, and no piece of a token ever is."""
    for piece in sorted({token, *token.split(".")}, key=len, reverse=True):
        if len(piece) >= 4:
            message = message.replace(piece, "…")
    return message


class TokenVerifier:
    def __init__(self, certs_url: str = GOOGLE_CERTS_URL, request=None,
                 issuers: Iterable[str] = GOOGLE_ISSUERS,
                 clock_skew: int = CLOCK_SKEW_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.certs_url = certs_url
        self.request = request if request is not None else CachingRequest()
        self.issuers = tuple(issuers)
        self.clock_skew = clock_skew
        self._clock = clock
        self._refetched_at: float | None = None
        self._refetch_lock = threading.Lock()

    def _may_refetch(self) -> bool:
        now = self._clock()
        with self._refetch_lock:
            if self._refetched_at is not None and now - self._refetched_at < REFETCH_AT_MOST_EVERY:
                return False
            self._refetched_at = now
            return True

    def verify(self, token: str | None, audiences: Iterable[str]) -> Identity:
        from google.auth import exceptions
        from google.oauth2 import id_token

        audiences = sorted({a for a in audiences if a})
        if not audiences:
            # verify_token would skip the audience check with None: never let it.
            raise TokenRejected("no audience configured: every token is refused")
        if not token:
            raise TokenRejected("no token")
        claims = None
        for attempt in (1, 2):
            try:
                claims = id_token.verify_token(token, self.request, audience=audiences,
                                               certs_url=self.certs_url,
                                               clock_skew_in_seconds=self.clock_skew)
                break
            except (ValueError, exceptions.GoogleAuthError) as exc:
                message = str(exc)
                # A key id we do not know: Google may have rotated its keys since we cached
                # them. Fetch them once more (at most once a minute, whoever asks).
                if (attempt == 1 and "key id" in message and hasattr(self.request, "forget")
                        and self._may_refetch()):
                    self.request.forget()
                    continue
                raise TokenRejected(f"invalid token: {type(exc).__name__}: "
                                    f"{_without_token(message, token)[:200]}") from None
        if claims.get("iss") not in self.issuers:
            raise TokenRejected(f"wrong issuer {claims.get('iss')!r}")
        email = str(claims.get("email") or "").strip().lower()
        if not email:
            raise TokenRejected("the token carries no email (is the userinfo.email scope granted?)")
        if claims.get("email_verified") not in (True, "true"):
            raise TokenRejected(f"email {email} is not verified")
        azp = claims.get("azp")
        return Identity(email, str(claims.get("aud")), str(claims.get("sub") or ""),
                        None if azp is None else str(azp))


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None
