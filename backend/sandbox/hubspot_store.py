"""The records of one HubSpot object type, in id order, with lookups by property value.

HubSpot lists a type by record id with a cursor (`after`), keeps archived records apart (they
are listed only with `archived=true`), and finds records by a property's value (`idProperty`,
searches on an equality). An `ObjectStore` keeps its live ids sorted, so that a page is a
binary search plus the page, and builds an index of a property's values the first time it is
looked up by it, then keeps it current on every write: a sync that searches each of 2,000
companies by its Stripe id costs 2,000 lookups, not 2,000 scans.

HubSpot's search answers from an index that lags behind writes (seconds to a minute): a store
also keeps the versions of each record written through the API, dated, so that `as_of` gives
the records as the index saw them a moment ago (a record created since is not there, one
changed since has its old values, one archived since is still there).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone

MAX_LAG = 3600.0   # seconds: how far back `as_of` may look (HubSpot lags by a minute at most)

from backend.sandbox.hubspot_schema import CREATED, MODIFIED, ObjectType


@dataclass(slots=True)
class Record:
    """One object: its id and every property value it has, all strings (HubSpot's own
    `hs_object_id`, `createdate` and `hs_lastmodifieddate` included)."""

    id: str
    properties: dict[str, str]
    archived_at: str | None = None

    @property
    def created_at(self) -> str:
        return self.properties[CREATED]

    @property
    def updated_at(self) -> str:
        return self.properties[MODIFIED]


def iso(moment: datetime) -> str:
    """HubSpot's timestamps: UTC, milliseconds, "Z": 2026-10-05T08:30:00.000Z."""
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def render(record: Record, names: Iterable[str]) -> dict:
    """A `SimplePublicObject`: the asked-for properties, null where the record has no value
    (as HubSpot answers them)."""
    body = {"id": record.id,
            "properties": {name: record.properties.get(name) for name in names},
            "createdAt": record.created_at, "updatedAt": record.updated_at,
            "archived": record.archived_at is not None}
    if record.archived_at is not None:
        body["archivedAt"] = record.archived_at
    return body


def index_key(value: str) -> str:
    # HubSpot matches e-mail addresses and other text without regard to case.
    return value.casefold()


class ObjectStore:
    def __init__(self, kind: ObjectType) -> None:
        self.kind = kind
        self._live: dict[str, Record] = {}
        self._archived: dict[str, Record] = {}
        self._order: list[int] = []                            # live ids, ascending
        self._indexes: dict[str, dict[str, set[str]]] = {}     # property -> value -> ids
        # id -> [(when written, the live record then or None)], oldest first; only records
        # written through `put` and `archive` with a date (the others are as loaded).
        self._history: dict[str, list[tuple[float, Record | None]]] = {}

    def get(self, record_id: str, archived: bool = False) -> Record | None:
        return (self._archived if archived else self._live).get(record_id)

    def live(self) -> Iterator[Record]:
        """In id order."""
        return (self._live[str(number)] for number in self._order)

    def ids(self) -> Iterator[str]:
        return iter([*self._live, *self._archived])

    def page(self, limit: int, after: int | None, archived: bool = False
             ) -> tuple[list[Record], str | None]:
        """Up to `limit` records from id `after` on, and the id the next page starts at."""
        if archived:
            order = sorted(int(key) for key in self._archived)
            pool = self._archived
        else:
            order, pool = self._order, self._live
        start = bisect_left(order, after) if after is not None else 0
        chosen = order[start:start + limit + 1]
        following = str(chosen[limit]) if len(chosen) > limit else None
        return [pool[str(number)] for number in chosen[:limit]], following

    def find(self, name: str, value: str) -> list[Record]:
        """The live records whose `name` equals `value`, case aside."""
        ids = self._index(name).get(index_key(value), ())
        return [self._live[record_id] for record_id in sorted(ids, key=int)]

    def as_of(self, moment: float) -> list[Record]:
        """The live records as they were at `moment` (at most MAX_LAG before the last write),
        in id order."""
        found = [record for record in self.live() if record.id not in self._history]
        for versions in self._history.values():
            then = None
            for written, version in versions:
                if written > moment:
                    break
                then = version
            if then is not None:
                found.append(then)
        return sorted(found, key=lambda record: int(record.id))

    def replace_all(self, records: Iterable[Record]) -> None:
        self._live, self._archived, self._indexes, self._history = {}, {}, {}, {}
        for record in records:
            (self._archived if record.archived_at else self._live)[record.id] = record
        self._order = sorted(int(key) for key in self._live)

    def put(self, record: Record, at: float | None = None) -> None:
        """Add a live record or replace one; its indexed values follow. A change is a new
        `Record` put in place of the old one, never an edit of the stored one: the indexes
        are kept by comparing the two. `at`: when it was written (for `as_of`)."""
        old = self._live.get(record.id)
        if at is not None:
            self._remember(record.id, old, record, at)
        if old is None:
            insort(self._order, int(record.id))
        for name, index in self._indexes.items():
            if old is not None:
                _unindex(index, old, name)
            _add_to_index(index, record, name)
        self._live[record.id] = record

    def archive(self, record_id: str, at: str, written: float | None = None) -> None:
        """Archive a live record at `at` (HubSpot's timestamp); `written`: when (for
        `as_of`)."""
        record = self._live.pop(record_id)
        del self._order[bisect_left(self._order, int(record_id))]
        for name, index in self._indexes.items():
            _unindex(index, record, name)
        if written is not None:
            self._remember(record_id, record, None, written)
        # A new Record: the live one may still be a version `as_of` answers with.
        self._archived[record_id] = Record(record.id, record.properties, at)

    def _remember(self, record_id: str, before: Record | None, after: Record | None,
                  at: float) -> None:
        versions = self._history.setdefault(record_id, [(float("-inf"), before)])
        versions.append((at, after))
        # A version followed by one written more than MAX_LAG ago is seen by no view.
        while len(versions) > 1 and versions[1][0] <= at - MAX_LAG:
            versions.pop(0)

    def _index(self, name: str) -> dict[str, set[str]]:
        index = self._indexes.get(name)
        if index is None:
            index = {}
            for record in self._live.values():
                _add_to_index(index, record, name)
            self._indexes[name] = index
        return index


def _add_to_index(index: dict[str, set[str]], record: Record, name: str) -> None:
    value = record.properties.get(name)
    if value:
        index.setdefault(index_key(value), set()).add(record.id)


def _unindex(index: dict[str, set[str]], record: Record, name: str) -> None:
    value = record.properties.get(name)
    if value:
        ids = index[index_key(value)]
        ids.discard(record.id)
        if not ids:
            del index[index_key(value)]
