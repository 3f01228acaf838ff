"""Stripe objects saved as JSON: a list object, a JSON array, or one object, per file."""

from __future__ import annotations

import json
from pathlib import Path

LIST_KINDS = ("list", "search_result")


class InputError(ValueError):
    """An input file that cannot be read as Stripe objects: nothing is written."""


def objects_in(data, source: str) -> list[dict]:
    if isinstance(data, dict) and data.get("object") in LIST_KINDS:
        items = data.get("data")
        if not isinstance(items, list):
            raise InputError(f"{source}: a Stripe list object without a 'data' array")
    elif isinstance(data, list):
        items = data
    elif isinstance(data, dict):
        items = [data]
    else:
        raise InputError(f"{source}: expected a Stripe object, a list object or an array")
    objects = []
    for index, item in enumerate(items):
        if isinstance(item, dict) and item.get("object") in LIST_KINDS:
            objects += objects_in(item, f"{source} item {index}")
        elif isinstance(item, dict) and isinstance(item.get("object"), str) and item.get("id"):
            objects.append(item)
        else:
            raise InputError(f"{source}: item {index} is not a Stripe object "
                             "(it needs an 'object' and an 'id')")
    return objects


def read_objects(paths: list[str | Path]) -> list[dict]:
    """Every Stripe object of every file, in order; any unreadable file fails the whole read."""
    objects: list[dict] = []
    for path in paths:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: "
                             f"{exc.msg})") from exc
        objects += objects_in(data, str(path))
    return objects
