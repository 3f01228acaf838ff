"""Bodies nested past the limit are refused the same way on every Python version (the
routes and the HubSpot webhook through the app: the bad-input catalogue's deep_nesting cases)."""

import json

from backend.json_nesting import MAX_DEPTH, too_deep


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def test_depth_is_counted_outside_strings():
    assert not too_deep(nested(MAX_DEPTH))
    assert too_deep(nested(MAX_DEPTH + 1))
    assert too_deep(b'{"a": ' * 40 + b"1" + b"}" * 40)
    brackets_in_text = json.dumps({"name": "[" * 100 + '\\"{' * 50}).encode()
    assert not too_deep(brackets_in_text)
    # A real HubSpot delivery: an array of flat events.
    assert not too_deep(json.dumps([{"eventId": n, "objectId": n} for n in range(100)]).encode())

