"""HubSpot's v3 request signature: how a webhook delivery is signed, and how to check one.

HubSpot puts in `X-HubSpot-Signature-v3` the base64 HMAC-SHA256, keyed with the app's client
secret, of `method + URI + body + timestamp`, the timestamp (Unix milliseconds) being the
`X-HubSpot-Request-Timestamp` header. In the URI it first decodes the percent-escapes of a fixed
list (and only those), so a receiver must decode the same ones before it compares; it must
also refuse a timestamp older than five minutes, which is what stops a replayed delivery.
https://developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/request-validation

Why our own check and not the official client's: hubspot-api-client's
`hubspot.utils.signature.Signature` (v12) signs v3 over the URI exactly as it is given, without
that decoding. A target URL with one of those escapes (`%3A` in a query value, say) would be
refused though HubSpot signed it; tests/test_webhook_hardening.py shows the two apart, and
that they agree on a URI without escapes.

Pure functions (no clock, no I/O): the backend's webhook endpoint and the HubSpot sandbox both
use them, so that what the sandbox signs is exactly what production accepts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping

SIGNATURE_HEADER = "X-HubSpot-Signature-v3"
TIMESTAMP_HEADER = "X-HubSpot-Request-Timestamp"
MAX_AGE_MS = 300_000   # five minutes

# The escapes HubSpot's table says to decode; any other (%20, %25, ...) stays as it is.
_DECODED = {"%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$", "%27": "'",
            "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";"}
_ESCAPE = re.compile("|".join(_DECODED), re.IGNORECASE)


def signed_uri(uri: str) -> str:
    """The URI as it enters the signature: the listed escapes decoded, in either case."""
    return _ESCAPE.sub(lambda match: _DECODED[match.group(0).upper()], uri)


def sign_v3(method: str, uri: str, body: bytes | str, timestamp_ms: int | str,
            secret: str) -> str:
    """The `X-HubSpot-Signature-v3` value of a request."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    source = f"{method.upper()}{signed_uri(uri)}".encode("utf-8") + raw + str(timestamp_ms).encode()
    digest = hmac.new(secret.encode("utf-8"), source, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_v3_signature(method: str, uri: str, body: bytes | str, headers: Mapping[str, str],
                        secret: str, now_ms: int, max_age_ms: int = MAX_AGE_MS) -> bool:
    """Whether a request really comes from HubSpot, signed with `secret`, within `max_age_ms`.

    `uri` is the full URL HubSpot called (scheme, host, path and query, as configured in the
    app: behind a proxy, not what the local server sees); `body` the raw bytes received.
    A timestamp as far in the future as the window allows in the past is refused too: it can
    only be a forgery or a clock gone wrong.
    """
    signature = _header(headers, SIGNATURE_HEADER)
    timestamp = _header(headers, TIMESTAMP_HEADER)
    if not signature or not timestamp or not timestamp.isdigit() or not secret:
        return False
    if abs(now_ms - int(timestamp)) > max_age_ms:
        return False
    expected = sign_v3(method, uri, body, timestamp, secret)
    return hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace"))


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name, whatever the case of the keys (plain dicts are case-sensitive)."""
    value = headers.get(name)
    if value is None:
        wanted = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == wanted), None)
    return value.strip() if value is not None else None
