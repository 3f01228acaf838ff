"""Stripe's wire format for the sandbox: form-encoded parameters in, error bodies out.

The official library sends every parameter form-encoded (the query string of a GET, the body of
a POST), nesting with brackets: `created[gte]=1`, `metadata[plan]=pro`, `expand[0]=data.customer`.
`parse` turns those pairs back into the nested dicts and lists the caller passed; the coercers
below check one value the way Stripe does and raise `StripeError` with Stripe's message.
"""

from __future__ import annotations

import re

API_VERSION = "2026-10-28.endive"   # the version of the installed `stripe` package

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_INDEX = re.compile(r"\[([^\[\]]*)\]")


class StripeError(Exception):
    """An error answer: the HTTP status and the fields of Stripe's `error` object."""

    def __init__(self, status: int, message: str, *, type: str = "invalid_request_error",
                 code: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param

    def body(self, request_id: str) -> dict:
        """`{"error": {...}}` with the keys Stripe sends: `code` and `doc_url` only for coded
        errors, `param` only when one parameter is at fault."""
        error: dict = {}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        error["message"] = self.message
        if self.param:
            error["param"] = self.param
        error["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{request_id}"
        error["type"] = self.type
        return {"error": error}


def missing(label: str, object_id: str, param: str = "id", status: int = 404) -> StripeError:
    return StripeError(status, f"No such {label}: '{object_id}'", code="resource_missing",
                       param=param)


def unknown(param: str) -> StripeError:
    return StripeError(400, f"Received unknown parameter: {param}", param=param)


# --- parsing ---------------------------------------------------------------------------

def parse(pairs: list[tuple[str, str]]) -> dict:
    """Nested params from form pairs. `a[]` and `a[0]` make lists; keys under `metadata`
    stay keys even when they look like indexes."""
    root: dict = {}
    for key, value in pairs:
        tokens = _tokens(key)
        node = root
        for token in tokens[:-1]:
            token = token or str(len(node))
            child = node.get(token)
            if child is None:
                child = node[token] = {}
            elif not isinstance(child, dict):
                raise StripeError(400, f"Invalid hash: {key}", param=tokens[0])
            node = child
        last = tokens[-1] or str(len(node))
        if isinstance(node.get(last), dict):
            raise StripeError(400, f"Invalid hash: {key}", param=tokens[0])
        node[last] = value
    return _with_lists(root, free_keys=True)


def _tokens(key: str) -> list[str]:
    match = _KEY.match(key)
    if not match:
        return [key]
    return [match.group(1), *_INDEX.findall(match.group(2))]


def _with_lists(node, free_keys: bool):
    if not isinstance(node, dict):
        return node
    out = {key: _with_lists(value, free_keys=(key == "metadata")) for key, value in node.items()}
    if not free_keys and out and all(key.isdigit() for key in out):
        return [out[key] for key in sorted(out, key=int)]
    return out


def reject_unknown(params: dict, allowed) -> None:
    """Stripe refuses parameters it does not know; the sandbox also refuses those it does not
    implement, so that a filter it would ignore never returns a silently wrong answer."""
    for name in params:
        if name not in allowed:
            raise unknown(name)


# --- coercion ----------------------------------------------------------------------------

def integer(value, param: str) -> int:
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    raise StripeError(400, f"Invalid integer: {value if isinstance(value, str) else '(hash)'}",
                      param=param)


def boolean(value, param: str) -> bool:
    if value in ("true", "false"):
        return value == "true"
    raise StripeError(400, f"Invalid boolean: {value}", param=param)


def text(value, param: str) -> str | None:
    """A nullable string: an empty value unsets it, as Stripe does."""
    if isinstance(value, str):
        return value or None
    raise StripeError(400, f"Invalid string: {value!r}", param=param)


def required_text(value, param: str) -> str:
    if isinstance(value, str) and value:
        return value
    raise StripeError(400, f"Missing required param: {param}.", code="parameter_missing",
                      param=param)


def strings(value, param: str) -> list[str]:
    """An array of strings; an empty value empties it."""
    if value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    raise StripeError(400, f"Invalid array: {param}", param=param)


def hash_(value, param: str) -> dict | None:
    if value == "":
        return None
    if isinstance(value, dict):
        return value
    raise StripeError(400, f"Invalid hash: {param}", param=param)


def choice(*options: str):
    def coerce(value, param: str) -> str:
        if value in options:
            return value
        listed = ", ".join(options[:-1]) + f", or {options[-1]}" if len(options) > 1 else options[0]
        raise StripeError(400, f"Invalid {param}: must be one of {listed}", param=param)
    return coerce


def limit(params: dict) -> int:
    """1 to 100, 10 by default."""
    if "limit" not in params:
        return 10
    value = integer(params["limit"], "limit")
    if value < 1:
        raise StripeError(400, "This value must be greater than or equal to 1.", param="limit")
    if value > 100:
        raise StripeError(400, f"This value must be less than or equal to 100 (it currently is "
                               f"'{value}').", param="limit")
    return value


def span(params: dict, name: str) -> tuple[int | None, int | None]:
    """`name=<int>` or `name[gt|gte|lt|lte]=<int>` as inclusive bounds (None: open)."""
    return bounds(params.get(name), name)


def bounds(value, name: str) -> tuple[int | None, int | None]:
    if value is None:
        return None, None
    if isinstance(value, str):
        exact = integer(value, name)
        return exact, exact
    if not isinstance(value, dict):
        raise StripeError(400, f"Invalid hash: {name}", param=name)
    low = high = None
    for op, raw in value.items():
        bound = integer(raw, f"{name}[{op}]")
        if op == "gte":
            low = bound if low is None else max(low, bound)
        elif op == "gt":
            low = bound + 1 if low is None else max(low, bound + 1)
        elif op == "lte":
            high = bound if high is None else min(high, bound)
        elif op == "lt":
            high = bound - 1 if high is None else min(high, bound - 1)
        else:
            raise unknown(f"{name}[{op}]")
    return low, high


def expansions(params: dict) -> list[str]:
    value = params.get("expand")
    return [] if value is None else strings(value, "expand")


def cursors(params: dict) -> tuple[str | None, str | None]:
    after, before = params.get("starting_after"), params.get("ending_before")
    if after is not None and before is not None:
        raise StripeError(400, "Received both starting_after and ending_before parameters. "
                               "Please pass in only one.", param="ending_before")
    for name, value in (("starting_after", after), ("ending_before", before)):
        if value is not None and not (isinstance(value, str) and value):
            raise StripeError(400, f"Invalid {name}: must be an object ID", param=name)
    return after, before
