"""CRM search (`POST /crm/v3/objects/{objectType}/search`): filters, sort, paging.

As HubSpot documents it: filters within a group are ANDed, groups are ORed (at most 5 groups,
6 filters in a group, 18 in all); one sort; `limit` up to 200; `after` is an offset, and no
query pages past its first 10,000 results: the page that ends there still links to the next
one, which is refused with a 400, while `total` counts every match. Text compares without
regard to case; numbers and dates compare as such (a date filter may be given in epoch
milliseconds or ISO 8601). Search answers from an index that lags behind writes: `run` with
`as_of` looks at the records as they were then.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass

from backend.sandbox.hubspot_errors import invalid
from backend.sandbox.hubspot_properties import PropertyRegistry, comparable
from backend.sandbox.hubspot_schema import ObjectType
from backend.sandbox.hubspot_store import ObjectStore, Record

MAX_LIMIT = 200
DEFAULT_LIMIT = 10
MAX_RESULTS = 10_000
MAX_GROUPS, MAX_GROUP_FILTERS, MAX_FILTERS = 5, 6, 18
OPERATORS = ("EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN",
             "HAS_PROPERTY", "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN")
_TEXT_TYPES = ("string", "enumeration", "phone_number", "bool")
_TOKENS = re.compile(r"[\w*]+")

Test = Callable[[Record], bool]


@dataclass
class Search:
    groups: list[list[dict]]
    sort: tuple[str, bool] | None       # (property, descending)
    properties: list[str] | None
    limit: int
    offset: int
    query: str | None


@dataclass
class Results:
    records: list[Record]
    total: int
    next_after: str | None


def parse(body) -> Search:
    if not isinstance(body, dict):
        raise invalid("Invalid input JSON: the request body must be a PublicObjectSearchRequest")
    groups = [group.get("filters") or [] for group in body.get("filterGroups") or []]
    if len(groups) > MAX_GROUPS or any(len(g) > MAX_GROUP_FILTERS for g in groups) \
            or sum(map(len, groups)) > MAX_FILTERS:
        raise invalid(f"Too many filters: at most {MAX_GROUPS} filterGroups of "
                      f"{MAX_GROUP_FILTERS} filters each, {MAX_FILTERS} filters in all.")
    limit = _integer(body.get("limit", DEFAULT_LIMIT), "limit")
    if not 0 < limit <= MAX_LIMIT:
        raise invalid(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    offset = _integer(body.get("after") or 0, "after")
    if offset >= MAX_RESULTS:
        raise invalid(f"Search results are limited to the first {MAX_RESULTS} matches: narrow "
                      "the query (by a date or hs_object_id range) to reach the others.")
    return Search(groups, _sort(body.get("sorts") or []), body.get("properties"), limit,
                  offset, body.get("query"))


def run(search: Search, store: ObjectStore, registry: PropertyRegistry,
        as_of: float | None = None) -> Results:
    """The page asked for; `as_of` (a clock reading): search the records as they were then."""
    kind = store.kind
    tests = [[_filter_test(f, kind, registry) for f in group] for group in search.groups]
    if search.query:
        needle = search.query.casefold()
        tests = [group + [_query_test(kind, needle)] for group in tests or [[]]]
    pool = store.as_of(as_of) if as_of is not None else _candidates(search, store, registry)
    matches = [record for record in pool
               if not tests or any(all(test(record) for test in group) for group in tests)]
    if search.sort is not None:
        _sort_records(matches, *search.sort, kind, registry)
    end = min(search.offset + search.limit, MAX_RESULTS, len(matches))
    # As HubSpot does: the last page within the cap still links on (to a refused offset).
    following = str(end) if end < len(matches) else None
    return Results(matches[search.offset:end], len(matches), following)


def _candidates(search: Search, store: ObjectStore, registry: PropertyRegistry) -> list[Record]:
    """The records worth testing, in id order: when every group requires a text property to
    equal something, only the records holding those values (from the store's indexes)."""
    found: dict[str, Record] = {}
    for group in search.groups:
        lookup = next((f for f in group if _indexable(f, store.kind, registry)), None)
        if lookup is None:
            return list(store.live())
        values = lookup.get("values") if lookup["operator"] == "IN" else [lookup.get("value")]
        for value in values or ():
            found.update((r.id, r) for r in store.find(lookup["propertyName"], str(value)))
    if not search.groups:
        return list(store.live())
    return sorted(found.values(), key=lambda record: int(record.id))


def _indexable(spec: dict, kind: ObjectType, registry: PropertyRegistry) -> bool:
    definition = registry.get(kind, spec.get("propertyName", ""))
    return (spec.get("operator") in ("EQ", "IN") and definition is not None
            and definition["type"] in _TEXT_TYPES)


def _filter_test(spec: dict, kind: ObjectType, registry: PropertyRegistry) -> Test:
    name, operator = spec.get("propertyName"), spec.get("operator")
    if operator not in OPERATORS:
        raise invalid(f"Unknown filter operator {operator!r}; expected one of {list(OPERATORS)}")
    definition = registry.get(kind, name or "")
    if definition is None:
        raise invalid(f"There was a problem with the request: property {name!r} does not exist "
                      f"on {kind.label} objects")
    if operator in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
        wanted = operator == "HAS_PROPERTY"
        return lambda record: (name in record.properties) == wanted
    if operator in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        return _token_test(name, str(spec.get("value", "")), operator == "CONTAINS_TOKEN")

    def value_of(key: str):
        if spec.get(key) is None:
            raise invalid(f"Filter on {name} with {operator} needs a {key!r}")
        try:
            return comparable(definition, str(spec[key]))
        except ValueError:
            raise invalid(f"Filter value {spec[key]!r} is not valid for property {name} "
                          f"({definition['type']})") from None

    def holding(check: Callable) -> Test:
        # A record without the property never matches a comparison (NEQ and NOT_IN included).
        def test(record: Record) -> bool:
            text = record.properties.get(name)
            return text is not None and check(comparable(definition, text))
        return test

    if operator in ("IN", "NOT_IN"):
        options = {comparable(definition, str(v)) for v in spec.get("values") or ()}
        return holding((lambda v: v in options) if operator == "IN" else
                       (lambda v: v not in options))
    if operator == "BETWEEN":
        low, high = value_of("value"), value_of("highValue")
        return holding(lambda v: low <= v <= high)
    target = value_of("value")
    return holding({"EQ": lambda v: v == target, "NEQ": lambda v: v != target,
                    "LT": lambda v: v < target, "LTE": lambda v: v <= target,
                    "GT": lambda v: v > target, "GTE": lambda v: v >= target}[operator])


def _token_test(name: str, pattern: str, wanted: bool) -> Test:
    """A word of the value equals the token (`*` a wildcard): "coworking" is a token of
    "Poste nomade — coworking Paris"."""
    tokens = _TOKENS.findall(pattern.casefold())

    def test(record: Record) -> bool:
        words = _TOKENS.findall(record.properties.get(name, "").casefold())
        hit = bool(tokens) and all(any(fnmatch.fnmatchcase(word, token) for word in words)
                                   for token in tokens)
        return hit == wanted
    return test


def _query_test(kind: ObjectType, needle: str) -> Test:
    def test(record: Record) -> bool:
        return any(needle in record.properties.get(name, "").casefold()
                   for name in kind.searchable)
    return test


def _sort(sorts: list) -> tuple[str, bool] | None:
    """HubSpot takes `{"propertyName": ..., "direction": "DESCENDING"}` (or a bare name,
    "-name" descending); one sort at most."""
    if len(sorts) > 1:
        raise invalid("Only one sort is allowed in a search request")
    if not sorts:
        return None
    sort = sorts[0]
    if isinstance(sort, str):
        return sort.lstrip("-"), sort.startswith("-")
    direction = str(sort.get("direction", "ASCENDING")).upper()
    if direction not in ("ASCENDING", "DESCENDING") or not sort.get("propertyName"):
        raise invalid(f"Invalid sort {sort!r}")
    return sort["propertyName"], direction == "DESCENDING"


def _sort_records(records: list[Record], name: str, descending: bool, kind: ObjectType,
                  registry: PropertyRegistry) -> None:
    definition = registry.get(kind, name)
    if definition is None:
        raise invalid(f"Cannot sort by {name!r}: no such property on {kind.label} objects")
    # Records without a value come last either way; ties keep id order (the list's order).
    held = [r for r in records if name in r.properties]
    empty = [r for r in records if name not in r.properties]
    held.sort(key=lambda r: comparable(definition, r.properties[name]), reverse=descending)
    records[:] = held + empty


def _integer(value, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise invalid(f"{name} must be an integer, got {value!r}") from None
