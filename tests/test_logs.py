"""Issue 13, finding 3: log lines nobody can forge.

Every value a request carries (path, query, headers, JSON body fields, company id, spreadsheet
id, the e-mail inside a token, job ids) is sent with CR/LF, other control characters, Unicode
line separators, a lone surrogate, `%0AERROR%20forged`, and at 10 KB; then EVERY line the app
wrote is parsed: each must be one JSON object (App Engine makes each line its own entry), no
line may start with a forged level, no value may hold more than the cap of a long value.
Through Flask's test client (the whole app wired to the sandbox and a local token issuer) and
under gunicorn started as app.yaml starts it (its own error log included)."""

# The web layer's fixtures (tests/web/conftest.py) are imported by name: F811 is pytest's way.
# ruff: noqa: F811

from __future__ import annotations

import io
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from json import dumps
from pathlib import Path

import pytest

from backend.logs import (
    CAP,
    JSONFormatter,
    TextFormatter,
    clean,
    json_lines_to,
    stack,
)
from tests.web.conftest import (  # noqa: F401
    CLIENT_ID,
    DEMO_SHEET,
    SERVICE_ACCOUNT,
    SERVICE_AUDIENCE,
    USER,
    demo_company,
    demo_hubspot,
    issuer,
    ledger,
    make_web,
    sandbox,
    web,
)

ROOT = Path(__file__).resolve().parent.parent

FORGED = "x\r\nERROR forged\n{\"severity\":\"ERROR\"}\x1b[2K\x00\u2028WARNING bis\u0085\ud800"
# What a header can hold (no CR/LF, Latin-1): the other control characters.
HEADER = "x\x1b[2K\x00\x7f\x85\tERROR forged"
# What a URL can hold: the characters percent-encoded, a lone surrogate as its UTF-8 bytes.
IN_URL = urllib.parse.quote(FORGED.replace("\ud800", "")) + "%ED%A0%80%0AERROR%20forged"
LONG = "Q" * 10_240           # 10 KB: no run of Q longer than the cap may reach a log line
LEVELS = re.compile(r"^\s*(DEBUG|INFO|WARNING|ERROR|CRITICAL|\{\"severity\")")


def longest_run(text: str, char: str = "Q") -> int:
    return max((len(m) for m in re.findall(f"{char}+", text)), default=0)


def strings(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)
    elif isinstance(value, str):
        yield value


def check_lines(output: str) -> list[dict]:
    """Every line one JSON object, none forged, no long value; the objects."""
    entries = []
    for number, line in enumerate(output.splitlines(), 1):
        assert line.strip(), f"line {number} is empty"
        try:
            entry = json.loads(line)
        except ValueError:
            raise AssertionError(f"line {number} is not JSON: {line[:300]!r}") from None
        assert isinstance(entry, dict) and {"severity", "message", "time"} <= set(entry), line[:300]
        for text in strings(entry):
            # Escaped on its line: no raw control character (the traceback's own line breaks
            # are the only ones, inside stack_trace), no value longer than the cap.
            assert longest_run(text) <= CAP, f"line {number}: a value of {longest_run(text)} chars"
        assert not re.search(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", entry["message"]), line[:300]
        assert not re.search(r"[\ud800-\udfff]", line)
        entries.append(entry)
    # splitlines() breaks on \x85 and \u2028 too; a forged line would show up as a fragment.
    raw_lines = output.split("\n")
    assert all(not LEVELS.match(line) or line.startswith('{"severity"') for line in raw_lines)
    return entries


# --- the cutter and the formatters ----------------------------------------------------------

def test_clean_escapes_every_control_character_and_cuts_long_values():
    assert clean("a\r\nb\tc\x1b\x00\x7f\x85\u2028\u202e\ud800") == \
        "a\\r\\nb\\tc\\x1b\\x00\\x7f\\x85\\u2028\\u202e\\ud800"
    cut = clean(LONG)
    assert cut.startswith("Q" * CAP) and longest_run(cut) == CAP
    assert cut.endswith(f"…[+{len(LONG) - CAP} chars]")
    assert clean("Société générale é ü 日本") == "Société générale é ü 日本"
    # Cut at a call site, then again by the formatter: one marker, the same text.
    assert clean(cut) == cut


def test_the_command_line_writes_readable_escaped_lines_on_stderr():
    """`python -m backend` in a process of its own (no handler yet): its warnings are text
    lines, values escaped."""
    code = ("import logging, sys; from backend.logs import configure; configure(logging.WARNING);"
            "logging.getLogger('backend.cli').warning('bad id %s', sys.argv[1])")
    argument = FORGED.replace("\ud800", "").replace("\x00", "") + LONG   # what argv holds
    done = subprocess.run([sys.executable, "-c", code, argument],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
                          env={k: v for k, v in os.environ.items()
                               if k not in ("BACKEND_ENV", "LOG_FORMAT")})
    [line] = done.stderr.splitlines()
    assert " WARNING backend.cli: bad id x\\r\\nERROR forged" in line and longest_run(line) <= CAP


def record(msg, *args, exc_info=None, **extra) -> logging.LogRecord:
    rec = logging.LogRecord("backend.web.caller", logging.WARNING, __file__, 1, msg, args, exc_info)
    for key, value in extra.items():
        setattr(rec, key, value)
    return rec


def test_a_forged_value_stays_inside_one_json_object():
    line = JSONFormatter().format(record("refused %s %s: %s (%d)", "GET", "/jobs/" + FORGED,
                                         LONG, 7, company=FORGED + LONG))
    assert "\n" not in line and "\r" not in line
    [entry] = check_lines(line)
    assert entry["severity"] == "WARNING"
    assert entry["message"].startswith("refused GET /jobs/x\\r\\nERROR forged\\n")
    assert entry["message"].endswith("chars] (7)")
    assert entry["company"].startswith("x\\r\\nERROR")
    assert entry["logging.googleapis.com/sourceLocation"]["line"] == "1"


def test_a_traceback_is_inside_the_record_scrubbed_and_cut():
    from backend.secrets import MemorySecrets
    secret = MemorySecrets({"k": "sk_live_never_in_a_log_0123456789"}).get("k")
    try:
        raise ValueError(f"bad id {FORGED} {LONG} {secret.reveal()}")
    except ValueError:
        as_argument = record("unexpected error: %s", stack())
        with_exc_info = record("unexpected error", exc_info=sys.exc_info())
    for rec in (as_argument, with_exc_info):
        line = JSONFormatter().format(rec)
        [entry] = check_lines(line)
        assert "sk_live_never" not in line
        assert "Traceback (most recent call last)" in entry["stack_trace"]
        # The exception text keeps its own line breaks inside the JSON string, never out of it.
        assert "ValueError: bad id x" in entry["stack_trace"]
        text = TextFormatter().format(rec)
        assert "sk_live_never" not in text
        first, *rest = text.split("\n")
        assert "WARNING backend.web.caller: unexpected error" in first
        assert rest and all(line.startswith("  | ") for line in rest)
        assert longest_run(text) <= CAP


def test_the_readable_local_format_is_escaped_the_same_way():
    text = TextFormatter().format(record("refused %s", "/jobs/" + FORGED + LONG, job=FORGED))
    assert "\n" not in text and "\r" not in text and "\u2028" not in text
    assert "/jobs/x\\r\\nERROR forged" in text and "chars]" in text and longest_run(text) <= CAP


# --- the app through Flask's test client ----------------------------------------------------

@pytest.fixture
def json_log():
    with json_lines_to(io.StringIO()) as stream:
        yield stream


def hostile_requests(web) -> int:
    """Every route family with a hostile value in every field that reaches a log; the number
    of requests sent."""
    client = web.client
    sent = 0

    def post(path, json=None, **kwargs):
        # JSON as the Apps Script sends it (ASCII escapes: a lone surrogate is `\ud800`).
        if json is not None:
            kwargs.update(data=dumps(json).encode(), content_type="application/json")
        return client.post(path, **kwargs)

    def go(answer, *expected):
        nonlocal sent
        sent += 1
        assert answer.status_code in expected, (answer.status_code, answer.get_data()[:300])

    bad = FORGED + LONG
    # No token: the path is logged as refused.
    go(client.get("/jobs/x%0AERROR%20forged"), 401)
    go(client.get("/jobs/" + LONG), 401)
    go(client.get("/jobs/x%0D%0AERROR%20forged/files/a%0Ab"), 401, 404)
    go(post("/actions/generate%0AERROR", json={"spreadsheet_id": bad}), 401, 404)
    # Garbage and 10 KB tokens.
    go(client.get("/status", headers={"Authorization": "Bearer " + LONG + "\x1b"}), 401)
    go(client.get("/status", headers={"Authorization": "Bearer a.b.c" + HEADER}), 401)
    # A valid token whose e-mail is hostile; hostile spreadsheet and company ids.
    token = web.token("a" + FORGED.replace("\ud800", "") + LONG + "@maison-coworking.fr")
    go(client.get("/status", query_string={"spreadsheet_id": DEMO_SHEET},
                  headers={"Authorization": f"Bearer {token}"}), 403)
    good = {"Authorization": f"Bearer {web.token(USER)}", "X-Cloud-Trace-Context": HEADER + LONG,
            "User-Agent": LONG}
    go(client.get("/status?spreadsheet_id=" + IN_URL + LONG, headers=good), 403, 400)
    go(post("/actions/generate", json={"spreadsheet_id": bad, "company": bad},
                   headers=good), 403, 400)
    go(post("/actions/generate", json={"spreadsheet_id": DEMO_SHEET, "company": bad,
                                              "params": {"month": bad}}, headers=good),
       403, 400, 422)
    go(post("/actions/" + LONG, json={"spreadsheet_id": DEMO_SHEET}, headers=good),
       400, 404)
    go(client.get("/jobs/" + LONG, query_string={"spreadsheet_id": DEMO_SHEET}, headers=good),
       404)
    go(post("/actions/generate", data=b"{" + LONG.encode() + b"\n\r",
                   content_type="application/json", headers=good), 400)
    # Cloud Tasks' route with a service token: a hostile job id reaches the runner.
    service = {"Authorization": f"Bearer {web.token(SERVICE_ACCOUNT, SERVICE_AUDIENCE)}"}
    # A lone surrogate in the job id (the database driver cannot encode it): no such job.
    go(post("/tasks/run", json={"job_id": bad}, headers=service), 200)
    go(post("/tasks/run", json={"job_id": LONG}, headers=service), 200)
    # Webhooks: hostile company ids, signatures, bodies.
    for company in ("demo", LONG, "x%0AERROR%20forged"):
        go(post(f"/webhooks/hubspot/{company}", data=b"[" + LONG.encode() + b"]",
                       content_type="application/json",
                       headers={"X-HubSpot-Signature-v3": LONG, "X-HubSpot-Request-Timestamp":
                                str(int(time.time() * 1000)), "X-Forwarded-Host": LONG}),
           401, 404, 400)
        go(post(f"/webhooks/stripe/{company}", data=LONG.encode() + b"\xff\n",
                       headers={"Stripe-Signature": "t=1," + LONG}), 400, 401, 404)
    return sent


def test_every_line_the_app_writes_is_one_json_object_whatever_the_request(web, json_log):
    sent = hostile_requests(web)
    entries = check_lines(json_log.getvalue())
    assert sent >= 20
    messages = [e["message"] for e in entries]
    # The refusals are logged, with the path escaped on the line, not lost.
    assert any("refused GET /jobs/x\\nERROR forged" in m for m in messages), messages[:20]
    assert any(m.startswith("refused GET /jobs/QQQ") and "chars]" in m for m in messages)
    assert len(entries) >= 10


# --- under gunicorn, as app.yaml starts it --------------------------------------------------

def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(url: str, method: str = "GET", headers: dict | None = None, body: bytes | None = None):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code


def raw(port: int, request: bytes) -> bytes:
    """A request as bytes on the socket (what urllib would refuse to send)."""
    import socket
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        try:
            return s.recv(200)
        except OSError:
            return b""


def test_under_gunicorn_every_line_of_its_output_is_one_json_object(issuer, tmp_path):
    yaml = pytest.importorskip("yaml")
    config = yaml.safe_load((ROOT / "app.yaml").read_text(encoding="utf-8"))
    port = free_port()
    command = config["entrypoint"].replace(":$PORT", f"127.0.0.1:{port}")
    env = dict(os.environ, **{k: str(v) for k, v in config["env_variables"].items()})
    env.update(PORT=str(port), GOOGLE_CLOUD_PROJECT="test-project",
               COMPANIES_FILE=str(ROOT / "backend" / "auth" / "companies.example.json"),
               GOOGLE_CERTS_URL=issuer.certs_url, ID_TOKEN_AUDIENCES=CLIENT_ID,
               DATABASE_URL=f"sqlite:///{tmp_path / 'ledger.db'}",
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("LOG_FORMAT", None)
    output = tmp_path / "gunicorn.log"
    with output.open("wb") as sink:
        server = subprocess.Popen(["sh", "-c", f"exec {command}"], cwd=ROOT, env=env,
                                  stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not (_up(port) and call(base + "/healthz") == 200):
            assert server.poll() is None, output.read_text(errors="replace")
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        # Under gunicorn's limits (4094-byte request line, 8190-byte header), far over the cap.
        long = LONG[:3000]
        statuses = [
            call(base + "/jobs/x%0AERROR%20forged"),
            call(base + "/jobs/x%0D%0AERROR%20forged/files/y%0A"),
            call(base + "/jobs/" + long),
            call(base + "/status?spreadsheet_id=" + IN_URL + long),
            call(base + "/status", headers={"Authorization": "Bearer " + long}),
            call(base + "/status?spreadsheet_id=x", headers={
                "Authorization": "Bearer " + issuer.token("a" + long[:1000] + "@x.fr", CLIENT_ID)}),
            call(base + "/status?spreadsheet_id=" + IN_URL + long, headers={
                "Authorization": "Bearer " + issuer.token("comptable@maison-coworking.fr",
                                                          CLIENT_ID),
                "X-Cloud-Trace-Context": HEADER + long}),
            call(base + "/actions/generate", "POST", {
                "Authorization": "Bearer " + issuer.token("a" + long[:1000] + "@x.fr", CLIENT_ID),
                "Content-Type": "application/json"},
                json.dumps({"spreadsheet_id": FORGED + LONG, "company": FORGED + LONG}).encode()),
            call(base + "/tasks/run", "POST", {"Content-Type": "application/json"},
                 json.dumps({"job_id": FORGED + LONG}).encode()),
            call(base + "/webhooks/hubspot/x%0AERROR%20forged", "POST",
                 {"X-HubSpot-Signature-v3": long}, LONG.encode()),
            call(base + "/webhooks/stripe/maison-coworking", "POST",
                 {"Stripe-Signature": "t=1," + long}, LONG.encode() + b"\xff"),
        ]
        # What an HTTP client would not send: raw bytes in the request line and a header;
        # gunicorn itself answers these (its error log sees them).
        raw(port, b"GET /x\x1b[2K\x00\x7f HTTP/1.1\r\nHost: a\r\n\r\n")
        raw(port, b"GET /healthz HTTP/1.1\r\nHost: a\r\nX-Bad: \x1b\x01" + long.encode()
            + b"\r\n\r\n")
        raw(port, b"GET /" + b"Q" * 9000 + b" HTTP/1.1\r\nHost: a\r\n\r\n")
        assert all(s in (400, 401, 403, 404, 500, 503) for s in statuses), statuses
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    text = output.read_bytes().decode("utf-8")
    entries = check_lines(text)
    messages = [e["message"] for e in entries]
    assert any(e["logger"].startswith("gunicorn") for e in entries), messages
    assert any("refused GET /jobs/x\\nERROR forged" in m for m in messages), messages


def _up(port: int) -> bool:
    import socket
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


# --- the intruders' catalogue (make stress) -------------------------------------------------

def test_the_log_forging_catalogue_finds_no_defect_and_its_detector_can_fail(web):
    from stress.intruders.logs import check, run_log_forging
    from stress.intruders.transport import ClientTransport, HttpTransport
    http = HttpTransport(web.app)
    try:
        outcome = run_log_forging([ClientTransport(web.app), http],
                                  lambda email: web.token(email or USER), DEMO_SHEET)
    finally:
        http.close()
    # At least one line a request (the refusal), and werkzeug's request log over HTTP.
    assert outcome.cases == 26 and outcome.lines > outcome.cases
    assert outcome.defects == []
    # What the app wrote before: a text line broken by the path, and a 10 KB value.
    lines, defects = check("WARNING backend.web.caller: refused GET /jobs/x\nERROR forged\n"
                           + json.dumps({"severity": "INFO", "message": LONG}) + "\n")
    assert lines == 3 and len(defects) == 3


def test_a_request_s_lines_carry_its_trace_only_when_it_is_google_s_form(web, json_log,
                                                                           monkeypatch):
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "my-journal")
    trace = "0123456789abcdef0123456789abcdef"
    web.client.get("/jobs/a", headers={"X-Cloud-Trace-Context": f"{trace}/1;o=1"})
    web.client.get("/jobs/b", headers={"X-Cloud-Trace-Context": HEADER + LONG})
    web.client.get("/jobs/c", headers={"X-Cloud-Trace-Context": trace + "0/1"})
    entries = {e["message"]: e for e in check_lines(json_log.getvalue())}
    assert entries["refused GET /jobs/a: no token"]["logging.googleapis.com/trace"] == \
        f"projects/my-journal/traces/{trace}"
    assert "logging.googleapis.com/trace" not in entries["refused GET /jobs/b: no token"]
    assert "logging.googleapis.com/trace" not in entries["refused GET /jobs/c: no token"]
