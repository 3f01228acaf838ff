"""The sandbox's objects of one kind, in the order Stripe lists them, with cursor paging.

Stripe lists newest first and pages with object ids as cursors (`starting_after`,
`ending_before`). A `Collection` keeps its objects sorted once, so that a `created` range and a
cursor are each a binary search, and a page costs the page (plus the objects a filter skips),
never the whole list: listing 50,000 invoices is linear, not quadratic.

Order: by `created`, newest first; within one second, the object added last comes first (a
`customer.updated` event before the `customer.created` of the same second, as on Stripe), and
objects loaded together by id.

Stored objects are treated as immutable: a change replaces the object (`put`), it never edits
it in place. That keeps the serialised copies cached here valid and lets event snapshots share
structure with the live objects.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable

from backend.sandbox.stripe_params import missing

Predicate = Callable[[dict], bool]


def dumps(data) -> bytes:
    # check_circular off: API objects are trees; it saves ~15 % on a page of invoices.
    return json.dumps(data, ensure_ascii=False, check_circular=False).encode("utf-8")


def _as_stored(obj: dict) -> dict:
    return obj   # a named function, so that a collection can be saved (pickled)


class Collection:
    """`label` names the kind in Stripe's messages ("No such invoice: ..."); `view` is what
    the API shows of a stored object (invoices show only their first lines)."""

    # Serialising an invoice costs ~45 µs; caching the JSON of the objects most recently
    # served makes a re-read page nearly free, while the cap keeps a 50,000-invoice
    # benchmark from holding a quarter of a gigabyte of strings.
    CACHE_SIZE = 5000

    def __init__(self, label: str, view: Callable[[dict], dict] | None = None) -> None:
        self.label = label
        self.view = view or _as_stored
        self._by_id: dict[str, dict] = {}
        self._added: dict[str, int] = {}          # id -> when it was added (a counter)
        self._order: list[tuple[int, int, str]] = []   # (-created, -added, id), ascending
        self._json: dict[str, bytes] = {}

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, object_id: str) -> bool:
        return object_id in self._by_id

    def get(self, object_id: str) -> dict | None:
        return self._by_id.get(object_id)

    def all(self) -> list[dict]:
        """Newest first."""
        return [self._by_id[key[-1]] for key in self._order]

    def replace_all(self, objects: Iterable[dict]) -> None:
        self._by_id = {obj["id"]: obj for obj in objects}
        # Loaded together: ties in `created` go by id, the smallest first.
        by_id_descending = sorted(self._by_id, reverse=True)
        self._added = {object_id: n for n, object_id in enumerate(by_id_descending)}
        self._order = sorted(self._key(obj) for obj in self._by_id.values())
        self._json = {}

    def put(self, obj: dict) -> None:
        """Add `obj`, or replace the object with its id (which keeps its place among ties)."""
        old = self._by_id.get(obj["id"])
        if old is not None:
            del self._order[bisect_left(self._order, self._key(old))]
            self._json.pop(obj["id"], None)
        else:
            self._added[obj["id"]] = len(self._added)
        self._by_id[obj["id"]] = obj
        insort(self._order, self._key(obj))

    def _key(self, obj: dict) -> tuple[int, int, str]:
        return (-obj["created"], -self._added[obj["id"]], obj["id"])

    def json(self, object_id: str) -> bytes:
        """The serialised view of one object."""
        cached = self._json.get(object_id)
        if cached is None:
            cached = dumps(self.view(self._by_id[object_id]))
            if len(self._json) >= self.CACHE_SIZE:
                del self._json[next(iter(self._json))]   # the oldest entry
            self._json[object_id] = cached
        return cached

    def page(self, limit: int, *, created: tuple[int | None, int | None] = (None, None),
             match: Predicate | None = None, starting_after: str | None = None,
             ending_before: str | None = None) -> tuple[list[dict], bool]:
        """One page, newest first, and whether more objects match beyond it (past its end, or
        before its start when paging back with `ending_before`)."""
        low, high = self._range(*created)
        if starting_after is not None:
            low = max(low, self._position(starting_after, "starting_after") + 1)
        if ending_before is not None:
            high = min(high, self._position(ending_before, "ending_before"))
            # Paging back: the `limit` matches just before the cursor, nearest first...
            found = self._scan(range(high - 1, low - 1, -1), match, limit + 1)
            # ...shown newest first like every page.
            return found[:limit][::-1], len(found) > limit
        found = self._scan(range(low, high), match, limit + 1)
        return found[:limit], len(found) > limit

    def _range(self, oldest: int | None, newest: int | None) -> tuple[int, int]:
        """Positions [low, high) of the objects created within [oldest, newest]. The order is
        by -created, so the newest bound gives the start."""
        def neg_created(key):
            return key[0]
        low = 0 if newest is None else bisect_left(self._order, -newest, key=neg_created)
        high = (len(self._order) if oldest is None
                else bisect_right(self._order, -oldest, key=neg_created))
        return low, max(low, high)

    def _position(self, object_id: str, param: str) -> int:
        obj = self._by_id.get(object_id)
        if obj is None:
            raise missing(self.label, object_id, param=param, status=400)
        return bisect_left(self._order, self._key(obj))

    def _scan(self, positions: range, match: Predicate | None, wanted: int) -> list[dict]:
        found = []
        for position in positions:
            obj = self._by_id[self._order[position][-1]]
            if match is None or match(obj):
                found.append(obj)
                if len(found) == wanted:
                    break
        return found


def page_of_list(items: list[dict], limit: int, starting_after: str | None,
                 ending_before: str | None, label: str) -> tuple[list[dict], bool]:
    """Paging within an embedded list (an invoice's lines), in the list's own order."""
    ids = [item["id"] for item in items]

    def position(object_id: str, param: str) -> int:
        try:
            return ids.index(object_id)
        except ValueError:
            raise missing(label, object_id, param=param, status=400) from None

    if ending_before is not None:
        end = position(ending_before, "ending_before")
        start = max(0, end - limit)
        return items[start:end], start > 0
    start = 0 if starting_after is None else position(starting_after, "starting_after") + 1
    return items[start:start + limit], start + limit < len(items)
