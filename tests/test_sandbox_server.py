"""The sandbox's HTTP base: routing, the service's error bodies, latency and faults."""

import http.client
import json
import threading

import pytest

from backend.sandbox.faults import DROP, ERROR, LOST, Fault, FaultPlan
from backend.sandbox.server import Response, Service, serve


class Echo(Service):
    name = "echo"

    def __init__(self, plan=None):
        super().__init__(plan)
        self.applied = []
        self.route("POST", "/v1/things/{thing_id}", self.post)
        self.route("GET", "/files/{path:rest}", lambda req, path: Response.json(200, {"path": path}))

    def post(self, request, thing_id):
        self.applied.append(thing_id)
        return Response.json(200, {"id": thing_id})


def call(url, method, path):
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    conn.request(method, path, body=b"" if method == "POST" else None)
    answer = conn.getresponse()
    return answer.status, json.loads(answer.read())


def test_routes_and_errors():
    with serve(Echo()) as running:
        assert call(running.url, "POST", "/v1/things/a") == (200, {"id": "a"})
        assert call(running.url, "GET", "/files/a/b/c.txt") == (200, {"path": "a/b/c.txt"})
        assert call(running.url, "GET", "/v1/things/a")[0] == 405
        assert call(running.url, "GET", "/nowhere")[0] == 404


def test_faults_at_the_nth_call():
    plan = FaultPlan(faults=[Fault("echo", 2, ERROR, status=429), Fault("echo", 3, DROP),
                             Fault("echo", 4, LOST)])
    service = Echo(plan)
    with serve(service) as running:
        assert call(running.url, "POST", "/v1/things/1")[0] == 200
        assert call(running.url, "POST", "/v1/things/2")[0] == 429
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
            call(running.url, "POST", "/v1/things/3")
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
            call(running.url, "POST", "/v1/things/4")
        assert call(running.url, "POST", "/v1/things/5")[0] == 200
    assert service.applied == ["1", "4", "5"]  # the lost answer's write was applied
    assert plan.count("echo") == 5 and plan.count("echo", "POST") == 5


def test_latency_is_added_to_every_call():
    import time
    plan = FaultPlan(latency=0.05)
    with serve(Echo(plan)) as running:
        started = time.monotonic()
        for i in range(3):
            call(running.url, "POST", f"/v1/things/{i}")
        assert time.monotonic() - started >= 0.15


def test_a_fault_for_one_method_fires_only_on_that_method():
    plan = FaultPlan(faults=[Fault("echo", 1, ERROR, status=503, method="POST")])
    with serve(Echo(plan)) as running:
        assert call(running.url, "POST", "/v1/things/1")[0] == 503
        assert call(running.url, "GET", "/files/x")[0] == 200   # POST count is still 1
        assert call(running.url, "POST", "/v1/things/2")[0] == 200


def test_stopping_ends_the_connections_a_client_keeps_open():
    """A client that keeps its connection alive (requests, httplib2, the stripe library) and
    is not closed held a handler thread, and through it the whole sandbox, until the garbage
    collector happened to free the client: stopping the server ends its connections."""
    service = Echo()
    before = {t for t in threading.enumerate() if t.name.startswith("Thread-")}
    running = serve(service)
    host, port = running.url.removeprefix("http://").split(":")
    kept = http.client.HTTPConnection(host, int(port), timeout=5)   # kept alive, never closed
    kept.request("POST", "/v1/things/a", body=b"")
    assert kept.getresponse().read() == b'{"id": "a"}'
    handlers = [t for t in threading.enumerate()
                if t.name.startswith("Thread-") and t not in before]
    assert handlers, "the kept-alive connection has its handler thread"
    running.stop()
    for handler in handlers:
        handler.join(timeout=5)
    assert not any(t.is_alive() for t in handlers)
    kept.close()
