"""How deep a JSON document nests, counted before it is parsed.

No body this backend accepts (a sidebar request, a HubSpot delivery) nests more than a few
levels. Past the limit a body is refused as unreadable: whether Python's parser itself gives
up depends on its version (3.11 stops near 1,000 levels, 3.13 goes much deeper), and the
answer must not.
"""

from __future__ import annotations

MAX_DEPTH = 32
_OPEN, _CLOSE, _QUOTE, _BACKSLASH = b"[{", b"]}", ord('"'), ord("\\")


def too_deep(raw: bytes, limit: int = MAX_DEPTH) -> bool:
    """True if arrays and objects nest more than `limit` levels (brackets inside strings do
    not count). Malformed input is left for the parser to refuse."""
    if raw.count(b"[") + raw.count(b"{") <= limit:      # the usual body: nothing to scan
        return False
    depth = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == _BACKSLASH:
                escaped = True
            elif byte == _QUOTE:
                in_string = False
        elif byte == _QUOTE:
            in_string = True
        elif byte in _OPEN:
            depth += 1
            if depth > limit:
                return True
        elif byte in _CLOSE:
            depth -= 1
    return False
