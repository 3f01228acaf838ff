"""Bad requests to the Flask routes, with a valid token: bodies that are not JSON, JSON of the
wrong type, unknown actions, bad parameters, bodies far over the size limit (MAX_CONTENT_LENGTH,
64 KiB: checked through the test client and over a real socket, where a 50 MB body announced
but never sent, and a chunked one with no length, must be answered 413 without being read),
wrong content types, and webhook deliveries whose payload is malformed though signed.

Every answer must be the one written in the case, never a 500, never a secret; a refused
request starts no job; after each case the demo company's sheet still holds the demo month's
journal exactly once and the ledger store agrees with it; no cell anywhere holds a formula.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from werkzeug.test import EnvironBuilder

from backend.hubspot_signature import sign_v3
from stress.bad_input.cases import Case, Expect, Verdict
from stress.bad_input.checks import (
    demo_settings,
    expected_entries,
    formula_cells,
    lost_documents,
    read_tabs,
    sheet_refs,
    store_disagreements,
    unexpected_rows,
)
from stress.serve import Served
from stress.world import (
    HUBSPOT_APP_SECRET,
    SECRETS,
    SERVICE_AUDIENCE,
    STRIPE_WEBHOOK_SECRET,
    World,
    demo_data,
)

SHEET = "<sheet>"             # replaced by the caller's spreadsheet id when sent
NONE = object()               # no body at all
BIG = 10 * 1024 * 1024        # far over the 64 KiB limit


@dataclass(frozen=True)
class Req:
    path: str
    method: str = "POST"
    body: Any = NONE          # sent as JSON (SHEET replaced)
    raw: bytes | None = None  # sent as is (SHEET replaced)
    content_type: str | None = "application/json"
    query: bool = False       # spreadsheet_id in the query string too
    sign: str = ""            # "hubspot" | "stripe": signed with the demo company's secret
    # "client": Flask's test client; "unterminated": no Content-Length (a chunked body as a
    # WSGI server hands it over); "socket-announced": real HTTP, a 50 MB Content-Length and
    # only the first 64 KiB sent; "socket-chunked": real HTTP, chunks until the server answers.
    transport: str = "client"


def deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def R(name: str, given: str, req: Req, expect: Expect, finding: str = "", gap: str = "") -> Case:
    return Case(f"requests.{name}", "requests", given, expect, req, gap, finding)


EXPORT = "/actions/export"
GEN = "/actions/generate"
OK_BODY = {"spreadsheet_id": SHEET}
NOT_OBJECT = Expect(400, "bad_body", says=("objet JSON",))
UNREADABLE = Expect(400, "bad_body", says=("JSON lisible",))
NOT_JSON_TYPE = Expect(415, "bad_content_type", says=("application/json",))
TOO_BIG = Expect(413, "http_413", says=("trop volumineuse",))
BAD_MONTH = Expect(400, "bad_params", says=("Mois invalide", "AAAA-MM"))
# A webhook delivery refused: one answer for every reason (services/webhooks.py REFUSED_MESSAGE).
REFUSED = Expect(401, says=('"applied":0', "missing, bad or stale signature"))

CASES: list[Case] = [
    # --- bodies that are not a JSON object ---------------------------------------------------
    R("text_body", "text/plain body 'hello'",
      Req(GEN, raw=b"hello", content_type="text/plain"), NOT_JSON_TYPE, "F1"),
    R("json_type_not_json", "Content-Type JSON, body '{bad' (spreadsheet in the query)",
      Req(GEN, raw=b"{bad", query=True), UNREADABLE, "F1"),
    R("json_array", "JSON array body", Req(GEN, body=[OK_BODY]), NOT_OBJECT, "F1"),
    R("json_string", "JSON string body", Req(GEN, body="sheet-demo"), NOT_OBJECT, "F1"),
    R("json_null", "JSON null body", Req(GEN, raw=b"null", query=True), NOT_OBJECT, "F1"),
    R("json_number", "JSON number body", Req(GEN, raw=b"42"), NOT_OBJECT, "F1"),
    R("not_utf8", "Content-Type JSON, bytes that are not UTF-8",
      Req(GEN, raw=b'{"spreadsheet_id": "\xff\xfe"}'), UNREADABLE, "F1"),
    R("deep_nesting", "10 KB of nested arrays (5,000 levels; refused past 32)",
      Req(GEN, raw=deep(5000)), UNREADABLE, "F2"),
    R("valid_json_wrong_type", "a valid JSON object sent as text/plain",
      Req(GEN, raw=b'{"spreadsheet_id": "<sheet>"}', content_type="text/plain"),
      NOT_JSON_TYPE, "F1"),
    R("form_encoded", "a form-encoded body",
      Req(GEN, raw=b"spreadsheet_id=<sheet>", content_type="application/x-www-form-urlencoded"),
      NOT_JSON_TYPE, "F1"),
    R("empty_body_query", "no body, spreadsheet in the query string (as a GET does)",
      Req("/status", method="GET", query=True), Expect(200)),
    # --- sizes ---------------------------------------------------------------------------------
    R("huge_body", "a 10 MB JSON body with its Content-Length",
      Req(GEN, raw=b'{"spreadsheet_id": "<sheet>", "pad": "' + b"x" * BIG + b'"}'), TOO_BIG),
    R("huge_body_unterminated", "2 MB with no Content-Length (chunked, as the server hands it)",
      Req(GEN, raw=b'{"spreadsheet_id": "<sheet>", "pad": "' + b"x" * (2 << 20) + b'"}',
          transport="unterminated"), TOO_BIG),
    R("huge_body_announced_socket", "real HTTP: Content-Length 50 MB, 64 KiB sent, the rest never",
      Req(GEN, transport="socket-announced"), Expect(413)),
    R("huge_body_chunked_socket", "real HTTP: chunked body, chunks sent until the server answers",
      Req(GEN, transport="socket-chunked"), Expect(413), "F4"),
    R("huge_webhook", "a 200 KB Stripe webhook, signed", Req("/webhooks/stripe/demo",
      raw=b'{"id": "evt_big", "pad": "' + b"x" * 200_000 + b'"}', sign="stripe"), TOO_BIG),
    # --- actions and parameters ----------------------------------------------------------------
    R("unknown_action", "POST /actions/explode",
      Req("/actions/explode", body=OK_BODY), Expect(404, "unknown_action",
                                                    says=("Action inconnue : explode",))),
    R("unknown_action_formula_name", "an action named =HYPERLINK(…) followed by 2,000 x",
      Req('/actions/=HYPERLINK("http:evil","x")' + "x" * 2000, body=OK_BODY),
      Expect(404, "unknown_action", says=("Action inconnue : =HYPERLINK",),
             never=("x" * 100,))),
    R("params_string", "params given as a string", Req(EXPORT, body={**OK_BODY, "params": "2026-10"}),
      Expect(400, "bad_params", says=("Paramètres invalides",))),
    R("params_list", "params given as a list", Req(EXPORT, body={**OK_BODY, "params": ["2026-10"]}),
      Expect(400, "bad_params", says=("Paramètres invalides",))),
    R("month_slash", "month 10/2026", Req(EXPORT, body={**OK_BODY, "params": {"month": "10/2026"}}),
      BAD_MONTH),
    R("month_13", "month 2026-13", Req(EXPORT, body={**OK_BODY, "params": {"month": "2026-13"}}),
      BAD_MONTH),
    R("month_number", "month as the number 202610",
      Req(EXPORT, body={**OK_BODY, "params": {"month": 202610}}), BAD_MONTH),
    R("month_object", "month as an object",
      Req(EXPORT, body={**OK_BODY, "params": {"month": {"year": 2026, "month": 10}}}), BAD_MONTH),
    R("month_nan", "month as the JSON literal NaN",
      Req(EXPORT, raw=b'{"spreadsheet_id": "<sheet>", "params": {"month": NaN}}'), BAD_MONTH),
    R("month_long", "month as 5,000 characters",
      Req(EXPORT, body={**OK_BODY, "params": {"month": "2026-10" * 700}}),
      Expect(400, "bad_params", says=("Mois invalide",), never=("2026-10" * 10,))),
    R("month_far_past", "month 1900-01: well formed, nothing in it",
      Req(EXPORT, body={**OK_BODY, "params": {"month": "1900-01"}}),
      Expect(202, outcome="refused", says=("Aucune écriture datée de janvier 1900",))),
    R("month_far_future", "month 2999-12: well formed, nothing in it",
      Req(EXPORT, body={**OK_BODY, "params": {"month": "2999-12"}}),
      Expect(202, outcome="refused", says=("Aucune écriture datée de décembre 2999",))),
    R("unknown_keys", "unknown keys in the body and in params (formula-like values)",
      Req(EXPORT, body={**OK_BODY, "evil": "=1+1", "params": {"month": "2026-10",
                                                               "evil": '=HYPERLINK("x")'}}),
      Expect(202, outcome="ok", says=("Mois exporté (octobre 2026)",),
             params={"month": "2026-10"})),
    R("spreadsheet_id_list", "spreadsheet_id given as a list",
      Req(GEN, body={"spreadsheet_id": [SHEET]}), Expect(403, "forbidden")),
    R("spreadsheet_id_number", "spreadsheet_id given as a number",
      Req(GEN, body={"spreadsheet_id": 12345}), Expect(403, "forbidden")),
    R("company_object", "company given as an object",
      Req(GEN, body={**OK_BODY, "company": {"id": "demo"}}), Expect(403, "forbidden")),
    R("daily_trigger_on_export", "trigger 'daily' on an action the trigger never starts",
      Req(EXPORT, body={**OK_BODY, "trigger": "daily"}),
      Expect(400, "not_scheduled", says=("ne se lance pas automatiquement",))),
    R("get_on_post_route", "GET /actions/generate", Req(GEN, method="GET", query=True),
      Expect(405, "http_405")),
    R("unknown_route", "POST /actions", Req("/actions", body=OK_BODY), Expect(404, "http_404")),
    R("unknown_job_long_id", "GET /jobs/<5,000 characters>",
      Req("/jobs/" + "j" * 5000, method="GET", query=True), Expect(404, "unknown_job")),
    R("file_traversal", "GET /jobs/x/files/../../etc/passwd (escaped)",
      Req("/jobs/x/files/..%2F..%2Fetc%2Fpasswd", method="GET", query=True), Expect(404)),
    # --- webhooks: signed, so they get past the signature check ---------------------------------
    R("hubspot_not_json", "signed HubSpot delivery 'garbage'",
      Req("/webhooks/hubspot/demo", raw=b"garbage", sign="hubspot"),
      Expect(400, says=("JSON array of events",))),
    R("hubspot_object", "signed HubSpot delivery that is an object, not an array",
      Req("/webhooks/hubspot/demo", body={"eventId": 1}, sign="hubspot"),
      Expect(400, says=("JSON array of events",))),
    R("hubspot_junk_events", "signed HubSpot array of non-events (1, 'x', null, {})",
      Req("/webhooks/hubspot/demo", body=[1, "x", None, {"no": "eventId"}], sign="hubspot"),
      Expect(200, says=('"applied":0',))),
    R("hubspot_deep_nesting", "signed HubSpot delivery of 5,000 nested arrays",
      Req("/webhooks/hubspot/demo", raw=deep(5000), sign="hubspot"),
      Expect(400, says=("JSON array of events",)), "F3"),
    R("hubspot_unsigned", "unsigned HubSpot delivery",
      Req("/webhooks/hubspot/demo", body=[{"eventId": 9}]), REFUSED),
    R("stripe_not_json", "signed Stripe payload 'garbage'",
      Req("/webhooks/stripe/demo", raw=b"garbage", sign="stripe"),
      Expect(400, says=("not a Stripe event",))),
    R("stripe_array", "signed Stripe payload that is an array",
      Req("/webhooks/stripe/demo", body=[{"id": "evt_1"}], sign="stripe"),
      Expect(400, says=("not a Stripe event",)), "F3"),
    R("stripe_null", "signed Stripe payload null",
      Req("/webhooks/stripe/demo", raw=b"null", sign="stripe"),
      Expect(400, says=("not a Stripe event",)), "F3"),
    R("stripe_no_id", "signed Stripe event without an id",
      Req("/webhooks/stripe/demo", body={"object": "event", "type": "product.updated"},
          sign="stripe"), Expect(400, says=("not a Stripe event",)), "F3"),
    R("stripe_no_type", "signed Stripe event without a type",
      Req("/webhooks/stripe/demo", body={"id": "evt_no_type", "object": "event"}, sign="stripe"),
      Expect(400, says=("not a Stripe event",)), "F3"),
    R("stripe_deep_nesting", "signed Stripe payload of 5,000 nested arrays",
      Req("/webhooks/stripe/demo", raw=deep(5000), sign="stripe"),
      Expect(400, says=("not a Stripe event",)), "F3"),
    # --- webhooks: refused before the body is read, all alike (issue 13) -----------------------
    # An unknown company, a company without that webhook and a bad signature get one answer:
    # the route tells nobody which company ids exist.
    R("webhook_unknown_company", "a webhook for a company nobody configured",
      Req("/webhooks/stripe/nobody", body={"id": "evt_x"}), REFUSED, finding="F19"),
    R("webhook_unknown_company_signed", "a Stripe delivery signed with the demo company's "
      "secret, for a company nobody configured",
      Req("/webhooks/stripe/nobody", body={"id": "evt_x", "type": "product.updated"},
          sign="stripe"), REFUSED, finding="F19"),
    R("webhook_hubspot_unknown_company", "a HubSpot delivery signed with the app's secret, for "
      "a company nobody configured",
      Req("/webhooks/hubspot/nobody", body=[{"eventId": 9}], sign="hubspot"), REFUSED, finding="F19"),
    R("webhook_company_without_secret", "a Stripe delivery signed with the demo company's "
      "secret, for a company that has no Stripe webhook",
      Req("/webhooks/stripe/societe2", body={"id": "evt_x", "type": "product.updated"},
          sign="stripe"), REFUSED, finding="F19"),
    R("stripe_unsigned_not_utf8", "unsigned Stripe payload that is not UTF-8",
      Req("/webhooks/stripe/demo", raw=b"\xff\xfe{\"id\": \"evt_\xe9\"}"), REFUSED, finding="F19"),
    R("stripe_unsigned_not_utf8_unknown_company",
      "unsigned Stripe payload that is not UTF-8, for a company nobody configured",
      Req("/webhooks/stripe/nobody", raw=b"\xc3("), REFUSED, finding="F19"),
    R("stripe_signed_not_utf8", "Stripe payload that is not UTF-8, signed (Stripe sends UTF-8 "
      "JSON only: its library cannot read it, so it is refused like a bad signature)",
      Req("/webhooks/stripe/demo", raw=b"\xff\xfe{}", sign="stripe"), REFUSED),
    R("hubspot_unsigned_not_utf8", "unsigned HubSpot delivery that is not UTF-8",
      Req("/webhooks/hubspot/demo", raw=b"[\xff\xfe]"), REFUSED),
]


class Harness:
    """One World (two companies, jobs run inline), the demo month generated into the demo
    company's sheet first so that an export has something to export."""

    def __init__(self, full: bool) -> None:
        self.full = full

    def __enter__(self) -> "Harness":
        self.world = World(companies=2, dispatch="inline").__enter__()
        world = self.world
        self.token = world.token(world.users[0])
        self.sheet = world.sheets[0]
        answer = world.client.post(GEN, json={"spreadsheet_id": self.sheet},
                                   headers=world.auth(self.token))
        if answer.status_code != 202 or answer.get_json()["job"]["state"] != "done":
            raise RuntimeError(f"the first generation failed: {answer.get_data(as_text=True)[:300]}")
        company, _ = demo_data()
        self.expected = expected_entries([o for kind in company.values() for o in kind],
                                         demo_settings())
        return self

    def __exit__(self, *exc) -> None:
        self.world.__exit__(*exc)

    # --- sending -------------------------------------------------------------------------------

    def _bytes(self, req: Req) -> bytes | None:
        if req.raw is not None:
            return req.raw.replace(SHEET.encode(), self.sheet.encode())
        if req.body is NONE:
            return None
        return json.dumps(req.body).replace(SHEET, self.sheet).encode()

    def _headers(self, req: Req, data: bytes | None, url: str) -> dict:
        headers = {} if req.sign or req.path.startswith("/webhooks/") else self.world.auth(self.token)
        if req.sign == "hubspot":
            stamp = int(time.time() * 1000)
            headers.update({"X-HubSpot-Signature-v3": sign_v3("POST", url, data or b"", stamp,
                                                              HUBSPOT_APP_SECRET),
                            "X-HubSpot-Request-Timestamp": str(stamp)})
        elif req.sign == "stripe":
            stamp = int(time.time())
            digest = hmac.new(STRIPE_WEBHOOK_SECRET.encode(), f"{stamp}.".encode() + (data or b""),
                              hashlib.sha256).hexdigest()
            headers["Stripe-Signature"] = f"t={stamp},v1={digest}"
        return headers

    def send(self, req: Req) -> tuple[int, str]:
        """(status, body text) of the answer."""
        if req.transport.startswith("socket"):
            return self._over_socket(req)
        data = self._bytes(req)
        query = {"spreadsheet_id": self.sheet} if req.query else None
        url = SERVICE_AUDIENCE + req.path
        headers = self._headers(req, data, url)
        builder = EnvironBuilder(path=req.path, method=req.method, query_string=query,
                                 headers=headers, input_stream=io.BytesIO(data or b""),
                                 content_type=req.content_type if data is not None else None,
                                 content_length=len(data) if data is not None else 0)
        environ = builder.get_environ()
        if req.transport == "unterminated":
            # What a WSGI server hands over for a chunked request: no length, a stream that
            # ends where the body ends.
            environ.pop("CONTENT_LENGTH", None)
            environ["wsgi.input_terminated"] = True
        answer = self.world.client.open(environ)
        return answer.status_code, answer.get_data(as_text=True)

    def _over_socket(self, req: Req) -> tuple[int, str]:
        with Served(self.world.app) as server:
            host, port = urlsplit(server.url).hostname, urlsplit(server.url).port
            head = (f"POST {req.path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                    f"Authorization: Bearer {self.token}\r\nContent-Type: application/json\r\n")
            first = b'{"spreadsheet_id": "' + self.sheet.encode() + b'", "pad": "'
            with socket.create_connection((host, port), timeout=20) as sock:
                try:
                    if req.transport == "socket-announced":
                        sock.sendall((head + "Content-Length: 50000000\r\n\r\n").encode())
                        sock.sendall(first + b"x" * 65536)
                    else:
                        sock.sendall((head + "Transfer-Encoding: chunked\r\n\r\n").encode())
                        chunk = b"x" * 65536
                        sock.sendall(b"%x\r\n%s\r\n" % (len(first), first))
                        for _ in range(32 * 16):       # up to 32 MB, unless answered first
                            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                            sock.settimeout(0.0)
                            try:
                                if sock.recv(1, socket.MSG_PEEK):
                                    break
                            except BlockingIOError:
                                pass
                            finally:
                                sock.settimeout(20)
                except OSError:
                    pass    # the server answered and closed while the rest was being sent
                answer = b""
                try:
                    while b"\r\n\r\n" not in answer:
                        piece = sock.recv(65536)
                        if not piece:
                            break
                        answer += piece
                except OSError:
                    pass
        status_line = answer.split(b"\r\n", 1)[0].decode("latin-1")
        parts = status_line.split()
        status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        return status, answer.decode("utf-8", "replace")

    # --- a case ----------------------------------------------------------------------------------

    def _jobs(self) -> int:
        store = self.world.backend.job_store()
        return sum(len(store.latest(cid, 100_000)) for cid in self.world.company_ids)

    def run(self, case: Case) -> Verdict:
        verdict = Verdict(case)
        expect: Expect = case.expect
        jobs_before = self._jobs()
        status, text = self.send(case.make)
        verdict.answer = f"{status} {text.splitlines()[0][:160] if text else ''}"
        verdict.check(status == expect.status, f"status {status}, expected {expect.status}: {text[:200]}")
        verdict.check(status != 500 and '"internal"' not in text, f"an internal error: {text[:200]}")
        body = _json(text)
        if expect.code:
            verdict.check(isinstance(body, dict) and body.get("code") == expect.code,
                          f"code {body.get('code') if isinstance(body, dict) else None!r}, "
                          f"expected {expect.code!r}")
        job = body.get("job") if isinstance(body, dict) else None
        said = text + (json.dumps(job, ensure_ascii=False) if job else "")
        if job:
            said = job.get("message") or ""
            verdict.check(expect.outcome is None or job.get("outcome") == expect.outcome,
                          f"job outcome {job.get('outcome')!r}, expected {expect.outcome!r}: {said[:200]}")
            if expect.params is not None:
                verdict.check(job.get("params") == expect.params,
                              f"job params {job.get('params')!r}, expected {expect.params!r}")
        else:
            verdict.check(expect.outcome is None, f"no job started, expected one ({expect.outcome})")
        for text_wanted in expect.says:
            verdict.check(text_wanted in said or text_wanted in text,
                          f"the answer does not say {text_wanted!r}: {said[:200]}")
        for text_unwanted in expect.never:
            verdict.check(text_unwanted not in text, f"the answer says {text_unwanted[:40]!r}")
        verdict.check(not any(s in text for s in SECRETS), "a secret in the answer")
        if status >= 400:
            verdict.check(self._jobs() == jobs_before, "a refused request started a job")
        self._invariants(verdict)
        return verdict

    def _invariants(self, verdict: Verdict) -> None:
        tabs = read_tabs(self.world.sandbox.sheets, self.sheet)
        refs = sheet_refs(tabs)
        lost = lost_documents(self.expected, refs)
        wrong = unexpected_rows(set(self.expected), refs) + store_disagreements(
            self.world.store, self.world.company_ids[0], refs)
        formulas = formula_cells(self.world.sandbox.sheets)
        verdict.lost, verdict.wrong, verdict.formula_cells = len(lost), len(wrong), len(formulas)
        verdict.failures += [f"lost: {x}" for x in lost[:5]] + [f"wrong: {x}" for x in wrong[:5]]
        verdict.failures += [f"formula: {x}" for x in formulas[:5]]


def _json(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return None
