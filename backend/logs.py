"""Log lines nobody can forge: one set-up for the web app, gunicorn, the job runner, the CLI
and the preview.

App Engine makes each line of stdout/stderr its own log entry, and reads a line that is a JSON
object as a structured entry: `severity`, `message`, `time` and the `logging.googleapis.com/...`
fields (sourceLocation, trace) become the entry's own fields, the rest its jsonPayload. So in
production every record is ONE JSON object on ONE line (JSONFormatter); locally a readable line
(TextFormatter). Either way:

- every argument of a record (the `%s` values, which is where request values go: paths,
  spreadsheet ids, company ids, e-mails, job ids, exception texts) and every `extra=` field is
  made safe by `clean()`: control characters (CR/LF included), Unicode line separators and lone
  surrogates escaped as visible `\\xNN`, `\\uNNNN`, then cut to CAP characters with a marker;
- the whole message goes through `clean()` again (longer cap), as a net for a value formatted
  into the text by the caller;
- a traceback stays inside the record (`stack_trace` in JSON; indented lines in text), each of
  its lines cleaned and cut, secrets scrubbed (backend/secrets.py) like the message.

Call sites therefore pass request values as arguments (`log.warning("refused %s", path)`),
never formatted in advance (f-strings), and a traceback as the argument `stack()` (scrubbed
before any handler sees it) or `exc_info=True`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import traceback
from collections.abc import Mapping
from contextlib import contextmanager
from datetime import datetime, timezone

CAP = 200              # characters kept of one value (a path, an id, an e-mail, an exception text)
MESSAGE_CAP = 2000     # of the whole message, after the values are put in
STACK_LINES = 200      # lines kept of one traceback (the deepest ones)

# C0 controls (CR, LF, TAB, ESC...), DEL, C1 controls, the Unicode line and paragraph
# separators (str.splitlines and some viewers break lines there), the bidi overrides (they
# reorder what a reader sees), and lone surrogates (not encodable: the line would be lost).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(value, cap: int = CAP) -> str:
    """`value` as text that stays on its line and says what it holds: unsafe characters
    escaped, then cut to `cap` characters with a marker telling how many were left out."""
    text = value if isinstance(value, str) else _text(value)
    text = _UNSAFE.sub(_escape, text)
    if len(text) > cap:
        done = _CUT.search(text)
        if done and done.start() <= cap:     # cut already (a call site, then the formatter)
            return text
        text = f"{text[:cap]}…[+{len(text) - cap} chars]"
    return text


_CUT = re.compile(r"…\[\+\d+ chars\]$")


def _text(value) -> str:
    try:
        return str(value)
    except Exception:   # a broken __str__ must not lose the record
        return f"<{type(value).__name__}>"


class Stack(str):
    """A traceback passed as a log argument (`log.error("...: %s", stack())`): in the message
    only its last line (the exception) goes, cleaned; the whole goes to the record's traceback.
    Handlers that know nothing of it (a test's capture) see the scrubbed text, as before."""


def stack() -> Stack:
    """The exception being handled, as a traceback with every revealed secret scrubbed."""
    from backend.secrets import scrub
    return Stack(scrub(traceback.format_exc()))


def _safe_arg(value):
    # Numbers stay numbers (`%d`, `%.2f` still work); anything else becomes clean text.
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Stack):
        lines = value.strip().splitlines()
        return clean(lines[-1] if lines else "")
    return clean(value)


def safe_message(record: logging.LogRecord) -> str:
    """The record's message with every argument cleaned before it is put in."""
    from backend.secrets import scrub
    args = record.args
    if isinstance(args, Mapping):
        args = {k: _safe_arg(v) for k, v in args.items()}
    elif isinstance(args, tuple):
        args = tuple(_safe_arg(v) for v in args)
    msg = _text(record.msg)
    try:
        text = msg % args if args else msg
    except (TypeError, ValueError, KeyError):
        # A call whose format does not match its arguments: both said, nothing lost.
        text = f"{msg} {args!r}"
    return clean(scrub(text), MESSAGE_CAP)


def _stacks_in_args(record: logging.LogRecord) -> list[str]:
    args = record.args
    values = args.values() if isinstance(args, Mapping) else args if isinstance(args, tuple) else ()
    return [str(v) for v in values if isinstance(v, Stack)]


def safe_stack(record: logging.LogRecord) -> str | None:
    """The record's traceback (exc_info, stack_info, or a Stack argument), secrets scrubbed,
    each line cleaned and cut: a forged line inside an exception text stays inside its line."""
    from backend.secrets import scrub
    parts = _stacks_in_args(record)
    if record.exc_info and record.exc_info[0] is not None:
        parts.append("".join(traceback.format_exception(*record.exc_info)))
    elif record.exc_text:
        parts.append(record.exc_text)
    if record.stack_info:
        parts.append(record.stack_info)
    if not parts:
        return None
    lines = scrub("\n".join(parts)).splitlines()
    if len(lines) > STACK_LINES:
        lines = [f"… {len(lines) - STACK_LINES} lines left out"] + lines[-STACK_LINES:]
    return "\n".join(clean(line) for line in lines)


# The attributes every LogRecord has: anything else on a record came from `extra=`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime",
                                                                          "taskName"}


def extra_fields(record: logging.LogRecord) -> dict:
    fields = {}
    for key, value in vars(record).items():
        if key in _STANDARD or key.startswith("_"):
            continue
        fields[clean(key, 60)] = _safe_arg(value)
    return fields


SEVERITY = {logging.DEBUG: "DEBUG", logging.INFO: "INFO", logging.WARNING: "WARNING",
            logging.ERROR: "ERROR", logging.CRITICAL: "CRITICAL"}

_TRACE = re.compile(r"[0-9a-f]{32}")


def _trace() -> str | None:
    """`projects/P/traces/T` from App Engine's X-Cloud-Trace-Context header, when a request is
    being served: Cloud Logging groups the request's lines under it. Taken only when it is the
    32 hex digits Google sends (it is a request header, so anyone can send another)."""
    project = os.environ.get("GOOGLE_CLOUD_PROJECT")
    if not project or "flask" not in sys.modules:
        return None
    from flask import has_request_context, request
    if not has_request_context():
        return None
    header = request.headers.get("X-Cloud-Trace-Context", "")[:100]
    trace = header.split("/", 1)[0]
    return f"projects/{project}/traces/{trace}" if _TRACE.fullmatch(trace) else None


class JSONFormatter(logging.Formatter):
    """One JSON object per record, on one line, in ASCII (json.dumps escapes what is left:
    quotes, backslashes, and non-ASCII as \\uXXXX, which Cloud Logging reads back as the
    letters; no stream encoding can then fail on a line)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "severity": SEVERITY.get(record.levelno, "DEFAULT"),
            "message": safe_message(record),
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "logger": record.name,
            "logging.googleapis.com/sourceLocation": {
                "file": record.pathname, "line": str(record.lineno), "function": record.funcName},
        }
        stack = safe_stack(record)
        if stack:
            # Error Reporting reads a traceback from `stack_trace`.
            entry["stack_trace"] = stack
        try:
            trace = _trace()
        except Exception:   # a record is never lost for want of its trace
            trace = None
        if trace:
            entry["logging.googleapis.com/trace"] = trace
        for key, value in extra_fields(record).items():
            entry.setdefault(key, value)
        return json.dumps(entry, ensure_ascii=True, default=clean)


class TextFormatter(logging.Formatter):
    """A readable line for local runs, made safe the same way; a traceback follows on lines
    that start with `  | `, so none of them can pass for a record of its own."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created).strftime("%Y-%m-%d %H:%M:%S")
        line = f"{when} {record.levelname} {record.name}: {safe_message(record)}"
        fields = extra_fields(record)
        if fields:
            line += " " + " ".join(f"{k}={v}" for k, v in fields.items())
        stack = safe_stack(record)
        if stack:
            line += "".join(f"\n  | {part}" for part in stack.split("\n"))
        return line


def json_lines_wanted() -> bool:
    """JSON lines in production (App Engine), or wherever LOG_FORMAT=json asks for them."""
    chosen = os.environ.get("LOG_FORMAT", "").strip().lower()
    if chosen in ("json", "text"):
        return chosen == "json"
    return os.environ.get("BACKEND_ENV", "").strip().lower() == "production"


def formatter(json_lines: bool | None = None) -> logging.Formatter:
    return JSONFormatter() if (json_lines_wanted() if json_lines is None else json_lines) \
        else TextFormatter()


class _OurHandler(logging.StreamHandler):
    """The handler configure() installs (recognised so that a second call adds nothing)."""


def configure(level: int = logging.INFO, json_lines: bool | None = None, stream=None,
              force: bool = False) -> logging.Handler | None:
    """Send every record to `stream` (stderr) through the safe formatter. Leaves the root
    logger alone when it already has handlers (gunicorn's, configured by
    backend/jobs/gunicorn_conf.py with these formatters; pytest's), unless `force`."""
    root = logging.getLogger()
    if root.handlers and not force:
        return None
    for handler in [h for h in root.handlers if isinstance(h, _OurHandler)]:
        root.removeHandler(handler)
    handler = _OurHandler(stream or sys.stderr)
    handler.setFormatter(formatter(json_lines))
    root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(True)    # Python's warnings as records too, not raw stderr lines
    return handler


@contextmanager
def json_lines_to(stream, level: int = logging.DEBUG):
    """For the block, every record also goes to `stream` as production writes it (the
    checks of what a request can make the logs say); the root logger is then put back as it
    was, its level included, so that nothing after it logs more than it would have."""
    root = logging.getLogger()
    before = root.level
    handler = configure(level, json_lines=True, stream=stream, force=True)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(before)
        logging.captureWarnings(False)       # configure() turned it on


def gunicorn_logconfig() -> dict:
    """gunicorn's `logconfig_dict`: its error log and the app's records (the root logger),
    through the safe formatter on stderr. Its access log stays off (App Engine writes its own
    request log): the logger has no handler and does not propagate."""
    kind = "backend.logs.JSONFormatter" if json_lines_wanted() else "backend.logs.TextFormatter"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"safe": {"()": kind}},
        "handlers": {"safe": {"class": "logging.StreamHandler", "formatter": "safe",
                              "stream": "ext://sys.stderr"}},
        "root": {"level": "INFO", "handlers": ["safe"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
        },
    }
