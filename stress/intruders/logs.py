"""Issue 13, finding 3: intruders who write the backend's log. Every request value that reaches
a log line (path, query, headers, JSON body fields, company and spreadsheet ids, job ids,
webhook company ids, tokens) is sent with CR/LF, control characters, a Unicode line separator,
a lone surrogate and 10 KB; the app's records go through the production formatter
(backend/logs.py) and every line is parsed back. A defect is a line that is not one JSON
object, a line that starts with a level (a forged entry), or a value longer than the cap."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

from backend.logs import CAP, json_lines_to

FORGED = "x\r\nERROR forged\n{\"severity\":\"ERROR\"}\x1b[2K\x00\u2028WARNING bis\x85\ud800"
HEADER = "x\x1b[2K\x00\x7f\x85\tERROR forged"          # what a header can hold
IN_URL = quote(FORGED.replace("\ud800", "")) + "%ED%A0%80%0AERROR%20forged"
LONG = "Q" * 10_240
_LEVEL = re.compile(r"^\s*(DEBUG|INFO|WARNING|ERROR|CRITICAL)\b")


@dataclass
class LogOutcome:
    cases: int = 0
    lines: int = 0
    defects: list[str] = field(default_factory=list)


def cases(user_token: Callable[[str], str], sheet: str) -> list[tuple[str, str, dict]]:
    """(label, method path, request keyword arguments) for a Transport.send."""
    bad = FORGED + LONG
    body = {"spreadsheet_id": bad, "company": bad, "params": {"month": bad}, "job_id": bad}
    raw = json.dumps(body).encode()          # ASCII escapes: the lone surrogate travels
    json_type = {"Content-Type": "application/json"}
    return [
        ("path %0A, no token", "GET /jobs/x%0AERROR%20forged", {}),
        ("path 10 KB, no token", "GET /jobs/" + LONG, {}),
        ("file name %0D%0A", "GET /jobs/x%0D%0AERROR/files/a%0Ab", {}),
        ("action name %0A", "POST /actions/generate%0AERROR", {"data": raw, "headers": json_type}),
        ("token 10 KB", "GET /status", {"headers": {"Authorization": "Bearer " + LONG + HEADER}}),
        ("e-mail in a token", "GET /status?spreadsheet_id=" + sheet,
         {"headers": {"Authorization": "Bearer " + user_token("a" + HEADER + LONG + "@x.fr")}}),
        ("spreadsheet id in the query", "GET /status?spreadsheet_id=" + IN_URL + LONG,
         {"headers": {"Authorization": "Bearer " + user_token(""), "X-Cloud-Trace-Context":
                      HEADER + LONG}}),
        ("body fields", "POST /actions/generate",
         {"data": raw, "headers": {**json_type, "Authorization": "Bearer " + user_token("")}}),
        ("unreadable body", "POST /actions/generate",
         {"data": b"{" + LONG.encode() + b"\n\r",
          "headers": {**json_type, "Authorization": "Bearer " + user_token("")}}),
        ("job id, no token", "POST /tasks/run", {"data": raw, "headers": json_type}),
        ("HubSpot company id %0A", "POST /webhooks/hubspot/x%0AERROR%20forged",
         {"data": LONG.encode(), "headers": {"X-HubSpot-Signature-v3": HEADER + LONG}}),
        ("HubSpot company id 10 KB", "POST /webhooks/hubspot/" + LONG, {"data": b"[]"}),
        ("Stripe signature", "POST /webhooks/stripe/x%0AERROR",
         {"data": LONG.encode() + b"\xff", "headers": {"Stripe-Signature": "t=1," + HEADER + LONG}}),
    ]


def check(output: str) -> tuple[int, list[str]]:
    """(lines, defects) of what the formatter wrote."""
    defects = []
    lines = output.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for number, line in enumerate(lines, 1):
        try:
            entry = json.loads(line)
        except ValueError:
            defects.append(f"log line {number} is not JSON: {line[:120]!r}")
            continue
        if _LEVEL.match(line) or not isinstance(entry, dict) or "severity" not in entry:
            defects.append(f"log line {number} is not a structured entry: {line[:120]!r}")
        longest = max((len(m) for m in re.findall("Q+", line)), default=0)
        if longest > CAP:
            defects.append(f"log line {number} holds a value of {longest} characters")
    return len(lines), defects


def run_log_forging(transports, user_token: Callable[[str], str], sheet: str) -> LogOutcome:
    """Send every case through each transport with the production formatter on the root
    logger."""
    outcome = LogOutcome()
    with json_lines_to(io.StringIO()) as stream:
        for transport in transports:
            for label, target, kwargs in cases(user_token, sheet):
                method, path = target.split(" ", 1)
                try:
                    transport.send(method, path, **kwargs)
                except Exception as exc:   # a request that cannot be sent is a case lost, said
                    outcome.defects.append(f"{label}: not sent ({type(exc).__name__})")
                outcome.cases += 1
    outcome.lines, defects = check(stream.getvalue())
    outcome.defects += defects
    return outcome
