"""The HTTP transport under google-api-python-client: google-auth's requests session.

The client's default transport, httplib2, re-sends a request whose connection dropped before
the answer ("the connection just went stale, so retry regardless"), POSTs included: an append
whose answer was lost would be applied twice. This transport sends each request once; reads
are retried by the client (`execute(num_retries=...)`), and a failed write is checked against
the sheet by the caller before it writes again.
"""

from __future__ import annotations

import httplib2
import requests
from google.auth.transport.requests import AuthorizedSession


class SessionHttp:
    """What googleapiclient needs of an `http` object: `request(...)` -> (response, content)."""

    def __init__(self, credentials, timeout: float = 60.0) -> None:
        self.session = AuthorizedSession(credentials)
        self.timeout = timeout

    def request(self, uri, method="GET", body=None, headers=None, redirections=5,
                connection_type=None):
        try:
            answer = self.session.request(method, uri, data=body, headers=headers,
                                          timeout=self.timeout, allow_redirects=redirections > 0)
        # The client retries a read on the builtin TimeoutError/ConnectionError (what httplib2
        # raises); requests' own are plain OSErrors to it, and a read that timed out or lost
        # its connection would fail the run at once instead of being retried.
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
