"""A threaded HTTP server on loopback with routing, JSON answers and fault injection.

Each sandbox service subclasses `Service` and declares its routes; `serve()` starts it on a
free port of 127.0.0.1 in a background thread and returns its base URL.
"""

from __future__ import annotations

import json
import pickle
import re
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from backend.sandbox.faults import CRASH, CRASH_AFTER, DROP, ERROR, LOST, TIMEOUT, FaultPlan


@dataclass
class Request:
    method: str
    path: str
    query: list[tuple[str, str]]      # in order, repeated keys kept (Stripe's expand[]=...)
    headers: dict[str, str]           # lower-cased names
    body: bytes

    def json(self):
        return json.loads(self.body or b"null")

    def form(self) -> list[tuple[str, str]]:
        return parse_qsl(self.body.decode("utf-8"), keep_blank_values=True)


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str]

    @classmethod
    def json(cls, status: int, data, headers: dict[str, str] | None = None) -> "Response":
        return cls(status, json.dumps(data, ensure_ascii=False).encode("utf-8"),
                   {"Content-Type": "application/json; charset=utf-8", **(headers or {})})


Handler = Callable[..., Response]


class Service:
    """Routes of one service. Subclasses call `route` in `__init__` and implement
    `error_response(status, message)` with the service's own error body."""

    name = "service"
    # What `save_state` keeps: the attributes that hold the service's data.
    state_attributes: tuple[str, ...] = ()

    def __init__(self, plan: FaultPlan | None = None) -> None:
        self.plan = plan or FaultPlan()
        self.lock = threading.RLock()   # one request at a time touches the state
        self._routes: list[tuple[str, re.Pattern, Handler]] = []

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """`pattern` is a path with {name} placeholders matching one path segment, or
        {name:rest} matching the remainder (a path with slashes)."""
        regex = re.sub(r"\{(\w+):rest\}", r"(?P<\1>.+)", pattern)
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", regex)
        self._routes.append((method, re.compile(f"^{regex}$"), handler))

    def error_response(self, status: int, message: str) -> Response:
        return Response.json(status, {"error": {"message": message}})

    def save_state(self, path) -> None:
        """The service's data to a file, so that the demo's accounts outlive the process."""
        with self.lock:
            data = {name: getattr(self, name) for name in self.state_attributes}
            Path(path).write_bytes(pickle.dumps(data))

    def load_state(self, path) -> None:
        """Data saved by `save_state` (a file this sandbox wrote: trusted)."""
        with self.lock:
            for name, value in pickle.loads(Path(path).read_bytes()).items():
                setattr(self, name, value)

    def dispatch(self, request: Request) -> Response:
        allowed = False
        for method, regex, handler in self._routes:
            match = regex.match(request.path)
            if not match:
                continue
            allowed = True
            if method == request.method:
                with self.lock:
                    return handler(request, **match.groupdict())
        if allowed:
            return self.error_response(405, f"Method {request.method} not allowed on {request.path}")
        return self.error_response(404, f"Unrecognized request URL ({request.method}: {request.path})")


def _handler_class(service: Service):
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet: tests and the demo print their own
            pass

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in two writes; without this, Nagle's algorithm holds
            # the body back ~40 ms on a kept-alive connection, which real APIs do not do.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _handle(self) -> None:
            split = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if len(body) < length:
                # The client went away mid-request (a killed process): a real server never
                # acts on a truncated body, it drops the connection.
                self.close_connection = True
                return
            request = Request(self.command, split.path, parse_qsl(split.query, keep_blank_values=True),
                              {k.lower(): v for k, v in self.headers.items()}, body)
            fault = service.plan.on_call(service.name, self.command, split.path)
            if fault is not None and fault.kind == CRASH:
                service.plan.crash(fault)
                self.close_connection = True
                self.connection.close()
                return
            if fault is not None and fault.kind in (DROP, TIMEOUT):
                if fault.kind == TIMEOUT:
                    time.sleep(fault.delay)
                self.close_connection = True
                self.connection.close()
                return
            if fault is not None and fault.kind == ERROR:
                response = service.error_response(fault.status, "Injected fault")
            else:
                try:
                    response = service.dispatch(request)
                except Exception as exc:  # the sandbox answers like a service having a bad day
                    response = service.error_response(500, f"Sandbox error: {type(exc).__name__}: {exc}")
            if fault is not None and fault.kind == CRASH_AFTER:
                service.plan.crash(fault)
            if fault is not None and fault.kind in (LOST, CRASH_AFTER):
                self.close_connection = True
                self.connection.close()
                return
            self.send_response(response.status)
            for key, value in response.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    return _Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Open connections, closed at stop(): a kept-alive connection otherwise holds its
        # handler thread (and through it the whole sandbox's data) until the client goes away,
        # which a client object waiting for the garbage collector may never do.
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request, client_address) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """End every open connection as a server going down does: each handler thread's
        pending read returns at once and the thread ends."""
        with self._connections_lock:
            open_now = list(self._connections)
        for connection in open_now:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass      # already closed by its handler

    def handle_error(self, request, client_address) -> None:
        # A client that went away (a killed process, a timeout) is what the fault tests do on
        # purpose; the standard server prints a traceback for each. Anything else still does.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class Running:
    """A service served on loopback; `url` is its base address. Use as a context manager."""

    def __init__(self, service: Service, port: int = 0) -> None:
        self.service = service
        self.httpd = _Server(("127.0.0.1", port), _handler_class(service))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        # A short poll interval: shutdown() waits for it, and tests start many servers.
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       name=f"sandbox-{service.name}", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.close_connections()
        self.httpd.server_close()

    def __enter__(self) -> "Running":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def serve(service: Service, port: int = 0) -> Running:
    return Running(service, port)
