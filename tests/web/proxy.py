"""App Engine's front end in miniature: an HTTP server on loopback that forwards every request
to the app, as the real one does after terminating https.

What the app then sees is what it sees in production: the request line's target unchanged
(path and query, escapes and all), the Host header of the instance (not the public address the
sender called), `X-Forwarded-Proto: https`, the caller's address appended to
`X-Forwarded-For`, and no hop-by-hop header (the front end removes Connection, Keep-Alive,
Transfer-Encoding, TE, Trailer, Proxy-Authorization and Accept-Encoding, and sends the body
whole with its Content-Length).

    with FrontEnd(app_url) as front:
        requests.post(front.url + "/webhooks/hubspot/demo?x=1", data=body, headers=headers)
"""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

# Removed by the front end from what it forwards (and from what it answers).
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authorization", "proxy-connection", "te",
              "trailer", "transfer-encoding", "upgrade", "accept-encoding"}
# Set by the front end itself, whatever the caller sent.
REWRITTEN = {"host", "x-forwarded-proto", "content-length"}


class _Forward(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def _body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass            # trailers, dropped like the front end does
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _forward(self) -> None:
        body = self._body()
        upstream = self.server.upstream
        headers = [(k, v) for k, v in self.headers.items()
                   if k.lower() not in HOP_BY_HOP | REWRITTEN]
        forwarded_for = self.headers.get("X-Forwarded-For")
        headers = [(k, v) for k, v in headers if k.lower() != "x-forwarded-for"]
        client = self.client_address[0]
        headers += [("Host", upstream.netloc), ("X-Forwarded-Proto", "https"),
                    ("X-Forwarded-For", f"{forwarded_for}, {client}" if forwarded_for else client),
                    ("Content-Length", str(len(body)))]
        connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)
        try:
            # putrequest with skip_host: the target goes out byte for byte as received.
            connection.putrequest(self.command, self.path, skip_host=True,
                                  skip_accept_encoding=True)
            for name, value in headers:
                connection.putheader(name, value)
            connection.endheaders(body)
            answer = connection.getresponse()
            content = answer.read()
        finally:
            connection.close()
        self.server.seen.append((self.command, self.path, dict(headers)))
        self.send_response_only(answer.status, answer.reason)
        for name, value in answer.getheaders():
            if name.lower() not in HOP_BY_HOP | {"content-length"}:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

    def log_message(self, *args) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    upstream = None
    seen: list


class FrontEnd:
    """Forwards to `upstream` (the app's own http address, e.g. gunicorn's). `seen` keeps what
    was forwarded: (method, target, headers)."""

    def __init__(self, upstream: str) -> None:
        self._server = _Server(("127.0.0.1", 0), _Forward)
        self._server.upstream = urlsplit(upstream)
        self._server.seen = []
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="front-end")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def seen(self) -> list[tuple[str, str, dict]]:
        return self._server.seen

    def __enter__(self) -> "FrontEnd":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
