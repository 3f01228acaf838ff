"""The HTTP transport under google-api-python-client, and how long a Google call may take.

The client's default transport, httplib2, re-sends a request whose connection dropped before
the answer ("the connection just went stale, so retry regardless"), POSTs included: an append
whose answer was lost would be applied twice. This transport sends each request once; the
adapter decides what is retried (`Backoff`), and a failed append is checked against the sheet
by the caller before it is written again.

Time limits. Google ends a request it has been processing for 180 seconds (Sheets answers 503
"The service is currently unavailable."), and the write may have been applied by then. The
client waits longer than that for an answer (`REQUEST_TIMEOUT`), so that it hears Google's
own outcome: a client that gave up at 60 seconds on an append Google was still applying
would look at the sheet before the rows landed and write them again.
"""

from __future__ import annotations

import httplib2
import requests
from google.auth.transport.requests import AuthorizedSession

from backend.backoff import Backoff

GOOGLE_DEADLINE = 180.0      # seconds Google processes one request before answering 503
# Google's deadline, plus the time for its answer to travel and for the front end's own work.
REQUEST_TIMEOUT = GOOGLE_DEADLINE + 20.0
CONNECT_TIMEOUT = 10.0       # reaching Google takes milliseconds; a dead route fails fast


NO_RETRY = Backoff(retries=0)


class SessionHttp:
    """What googleapiclient needs of an `http` object: `request(...)` -> (response, content)."""

    def __init__(self, credentials, timeout: float = REQUEST_TIMEOUT,
                 rebase: tuple[str, str] | None = None) -> None:
        self.session = AuthorizedSession(credentials)
        self.timeout = timeout
        # (Google's root, another root): requests made for Google's address are sent to
        # the other one (a sandbox), so the client's resources, built once for Google's
        # address, serve every address.
        self.rebase = rebase

    def request(self, uri, method="GET", body=None, headers=None, redirections=5,
                connection_type=None):
        if self.rebase and uri.startswith(self.rebase[0]):
            uri = self.rebase[1] + uri[len(self.rebase[0]):]
        # (connect, read): the read timeout is how long the answer may take to start coming.
        timeout = (min(CONNECT_TIMEOUT, self.timeout), self.timeout)
        try:
            answer = self.session.request(method, uri, data=body, headers=headers,
                                          timeout=timeout, allow_redirects=redirections > 0)
        # requests' errors are plain OSErrors; the adapter retries a read on the builtin
        # TimeoutError/ConnectionError (what httplib2 raises, and what the client knows).
        except requests.exceptions.Timeout as exc:
            raise TimeoutError(str(exc) or "timed out") from exc
        except requests.exceptions.ConnectionError as exc:
            raise ConnectionError(str(exc) or "connection failed") from exc
        info = {key.lower(): value for key, value in answer.headers.items()}
        info["status"] = str(answer.status_code)
        info["reason"] = answer.reason or ""
        return httplib2.Response(info), answer.content

    def close(self) -> None:
        self.session.close()
