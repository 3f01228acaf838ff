"""Request bodies checked against the Sheets v4 discovery document, and field masks.

The sandbox reads the schemas from the discovery document bundled in google-api-python-client
(the one the client builds its methods from), so that a misspelt field is refused the way
Google refuses it ("Invalid JSON payload received. Unknown name ...") instead of being silently
ignored. Google's JSON parser also accepts the proto (snake_case) spelling of each field: such
names are renamed to camelCase here, and the handlers only ever see camelCase.
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources

from backend.sandbox.sheets_errors import invalid


@functools.lru_cache(maxsize=1)
def _schemas() -> dict:
    try:
        path = resources.files("googleapiclient.discovery_cache") / "documents" / "sheets.v4.json"
        return json.loads(path.read_text(encoding="utf-8"))["schemas"]
    except (ModuleNotFoundError, FileNotFoundError, KeyError):
        return {}   # without the client library, bodies are taken as they come


def request_kinds() -> set[str]:
    """The members of the Request union ("addSheet", "repeatCell", ...)."""
    return set(_schemas().get("Request", {}).get("properties", {}))


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def normalize(body, schema_name: str, location: str = ""):
    """`body` with snake_case keys renamed; 400 on a name the schema does not have."""
    schema = _schemas().get(schema_name)
    if schema is None or body is None:
        return body
    if not isinstance(body, dict):
        where = f" at '{location}'" if location else ""
        raise invalid(f"Invalid JSON payload received. Expected an object{where}.")
    properties = schema.get("properties", {})
    out = {}
    for key, value in body.items():
        name = key if key in properties else _camel(key)
        if name not in properties:
            where = f" at '{location}'" if location else ""
            raise invalid(f'Invalid JSON payload received. Unknown name "{key}"{where}: '
                          f"Cannot find field.")
        out[name] = _normalize_value(value, properties[name], _join(location, _snake(name)))
    return out


def _normalize_value(value, prop: dict, location: str):
    ref = prop.get("$ref")
    if ref:
        return normalize(value, ref, location)
    items = prop.get("items") or {}
    if prop.get("type") == "array" and items.get("$ref") and isinstance(value, list):
        return [normalize(item, items["$ref"], f"{location}[{i}]") for i, item in enumerate(value)]
    return value   # scalars, maps and arrays of values (ValueRange.values) are not walked


def _join(location: str, name: str) -> str:
    return f"{location}.{name}" if location else name


# ---------------------------------------------------------------------------- field masks

def parse_field_mask(text: str | None) -> list[tuple[str, ...]]:
    """"a.b,c(d,e/f)" -> [("a","b"), ("c","d"), ("c","e","f")]. Both "." and "/" separate
    the parts of a path, as Google accepts both in `fields`."""
    if not text:
        return []
    paths, _ = _parse_list(text.replace(" ", ""), 0, ())
    return paths


_FIELD_PATH = re.compile(r"[A-Za-z0-9_*]+(?:[./][A-Za-z0-9_*]+)*")


def _parse_list(text: str, i: int, prefix: tuple[str, ...]):
    paths = []
    while i < len(text):
        match = _FIELD_PATH.match(text, i)
        if not match:
            raise invalid(f"Invalid field selection {text}")
        path = prefix + tuple(re.split(r"[./]", match.group(0)))
        i = match.end()
        if i < len(text) and text[i] == "(":
            sub, i = _parse_list(text, i + 1, path)
            if i >= len(text) or text[i] != ")":
                raise invalid(f"Invalid field selection {text}")
            paths.extend(sub)
            i += 1
        else:
            paths.append(path)
        if i < len(text) and text[i] == ",":
            i += 1
            continue
        if i < len(text) and text[i] == ")":
            return paths, i
    return paths, i


def filter_fields(data, fields: str | None):
    """A partial response: only the fields the `fields` parameter asks for."""
    paths = parse_field_mask(fields)
    if not paths or ("*",) in paths:
        return data
    tree: dict = {}
    for path in paths:
        node = tree
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if node is None:
                break
        else:
            node[path[-1]] = None   # a leaf: keep the whole value
    return _apply_tree(data, tree)


def _apply_tree(data, tree):
    if tree is None:
        return data
    if isinstance(data, list):
        return [_apply_tree(item, tree) for item in data]
    if not isinstance(data, dict):
        return data
    if "*" in tree:
        return data
    return {key: _apply_tree(data[key], sub) for key, sub in tree.items() if key in data}
