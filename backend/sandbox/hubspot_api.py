"""The HubSpot sandbox: a local stand-in for api.hubapi.com (CRM v3 objects, search and
properties, associations v4) that the official `hubspot-api-client` talks to unchanged.

    sandbox = HubSpotSandbox()
    sandbox.load(build_demo_hubspot())
    with serve(sandbox) as running:
        client = hubspot.HubSpot(access_token="pat-sandbox", host=running.url)
        client.crm.products.basic_api.get_page(limit=100)

`host` is a setting of the client (every API's `Configuration.host`), so one keyword points
all of them at the sandbox. Answers follow HubSpot's OpenAPI files: objects with string
properties and ISO timestamps, cursor paging for lists, offset paging and `total` for
searches, batch limits (100 inputs) with 207 multi-status answers, HubSpot's error bodies
(`status`, `message`, `correlationId`, `category`), private-app token checks, the token's
scopes (403 MISSING_SCOPES, `hubspot_scopes`), the limits (the rolling ten seconds, 429
`TEN_SECONDLY_ROLLING` with the `X-HubSpot-RateLimit-*` headers; the search endpoints' own
per-second limit, which they answer without those headers and which the ten seconds do not
count, as the OpenAPI files' `x-hubspot-rate-limit-exemptions` say of them and of the
association batch endpoints; the daily limit), and a search index that lags behind writes
by `lag` seconds. It also signs webhook deliveries as HubSpot does (v3), for the backend's
webhook endpoint.
"""

from __future__ import annotations

import hmac
import itertools
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from datetime import datetime, timezone
from urllib.parse import unquote

from backend.sandbox import hubspot_scopes
from backend.sandbox import hubspot_search as search
from backend.sandbox import hubspot_webhooks as webhooks
from backend.sandbox.faults import FaultPlan
from backend.sandbox.hubspot_associations import AssociationGraph, type_spec
from backend.sandbox.hubspot_errors import (DAILY, NO_CREDENTIALS, SECONDLY, TEN_SECONDLY,
                                            HubSpotError, invalid, not_found,
                                            property_errors, rate_limited, too_many_inputs)
from backend.sandbox.hubspot_properties import PropertyRegistry
from backend.sandbox.hubspot_schema import (ASSOCIATION_TYPES, CONTACT_MODIFIED, CREATED,
                                            DEFAULT_ASSOCIATION, MODIFIED, OBJECT_ID,
                                            READ_ONLY, TYPES, ObjectType, always_answered,
                                            type_named)
from backend.sandbox.hubspot_store import MAX_LAG, ObjectStore, Record, iso, render
from backend.sandbox.server import Request, Response, Service

BATCH_LIMIT = 100                 # inputs of an object batch
ASSOCIATION_BATCH_LIMIT = 1000    # inputs of an association batch read
LIST_LIMIT, LIST_DEFAULT = 100, 10
ASSOCIATION_PAGE, ASSOCIATION_PAGE_DEFAULT = 500, 500
RATE_WINDOW = 10.0                # seconds: HubSpot's TEN_SECONDLY_ROLLING policy
SEARCH_WINDOW = 1.0               # seconds: the search endpoints' limit (5 a second on HubSpot)
DAY = 86_400.0
PRIVATE_APP_DAILY = 250_000       # requests a day of a private app (Free and Starter accounts)
_SEARCH = re.compile(r"^/crm/v3/objects/[^/]+/search$")
_ASSOCIATION_BATCH = re.compile(r"^/crm/v4/associations/[^/]+/[^/]+/batch/")
FIRST_ID = 40_000_000_001         # record ids handed out when nothing is loaded
_ACCOUNT_CREATED = datetime(2019, 1, 7, 9, 0, tzinfo=timezone.utc)   # standard properties'
_LOADABLE = {"properties", "associations", *TYPES}


class HubSpotSandbox(Service):
    name = "hubspot"
    state_attributes = ("stores", "properties", "associations", "_next_id")
    portal_id = 146_372_519
    app_id = 2_918_044
    user_id = 52_017_334              # the super admin who made the private app

    def __init__(self, plan: FaultPlan | None = None, access_token: str = "pat-sandbox",
                 client_secret: str = "hubspot-secret", rate_limit_per_10s: int | None = None,
                 *, clock: Callable[[], float] = time.time, scopes: Iterable[str] | None = None,
                 search_limit_per_second: int | None = None,
                 daily_limit: int = PRIVATE_APP_DAILY, lag: float = 0.0) -> None:
        """`rate_limit_per_10s`: more requests than that within a rolling ten seconds get
        HubSpot's 429 (private apps get 100, or 190 on Professional and Enterprise
        accounts); None: no limit. `search_limit_per_second`: the same for searches (5 on
        HubSpot); None: no limit. `daily_limit`: requests a (UTC) day. `scopes`: the
        token's (default: exactly those the product needs). `lag`: seconds the search index
        runs behind writes. `clock` is the sandbox's now: it dates what the API writes,
        and the limits and the lag follow it."""
        super().__init__(plan)
        self.access_token = access_token
        self.client_secret = client_secret
        self.rate_limit_per_10s = rate_limit_per_10s
        self.search_limit_per_second = search_limit_per_second
        self.daily_limit = daily_limit
        self.scopes = frozenset(hubspot_scopes.PRODUCT_SCOPES if scopes is None else scopes)
        self.lag = lag
        self.clock = clock
        self.stores = {name: ObjectStore(kind) for name, kind in TYPES.items()}
        self.properties = PropertyRegistry(list(TYPES.values()), iso(_ACCOUNT_CREATED))
        self.associations = AssociationGraph()
        self._next_id = FIRST_ID
        self._recent: deque[float] = deque()
        self._searches: deque[float] = deque()
        self._today, self._used_today = None, 0
        self.limited: Counter[str] = Counter()     # 429s answered, by policy
        self._rate_lock = threading.Lock()
        self._event_ids = itertools.count(3_816_279_340)
        self._subscriptions: dict[str, int] = {}
        self._declare_routes()

    # --- state, for tests and the demo ---------------------------------------------------

    def load(self, data: dict) -> None:
        """Replace the whole state with `data`, as `build_demo_hubspot()` returns it:
        `properties` (custom property definitions by object type, `PropertyCreate` fields),
        one list of objects per type in the API's shape (`id`, `properties`, `createdAt`,
        `updatedAt`, `archived`), and `associations` ({fromObjectType, fromObjectId,
        toObjectType, toObjectId}, the unlabeled type unless `associationTypeId` says)."""
        unknown = set(data) - _LOADABLE
        if unknown:
            raise ValueError(f"unknown kinds: {sorted(unknown)}")
        with self.lock:
            self.properties.reset()
            for type_name, specs in data.get("properties", {}).items():
                kind = self._kind(type_name)
                for spec in specs:
                    self.properties.create(kind, spec, iso(_ACCOUNT_CREATED))
            for name, store in self.stores.items():
                store.replace_all(self._loaded(store.kind, obj) for obj in data.get(name, ()))
            self.associations.clear()
            for link in data.get("associations", ()):
                self.associate(link["fromObjectType"], link["fromObjectId"],
                               link["toObjectType"], link["toObjectId"],
                               link.get("associationTypeId"))
            self._next_id = max((int(i) + 1 for s in self.stores.values() for i in s.ids()),
                                default=FIRST_ID)

    def add(self, object_type: str, properties: dict, id: str | None = None,
            associations: Iterable[tuple[str, str]] = (), at: datetime | None = None) -> str:
        """Create a record as a person would in HubSpot; `associations` are (type, id) pairs
        to associate it with (unlabeled). Returns its id."""
        with self.lock, _as_value_error():
            kind = self._kind(object_type)
            cleaned = self._cleaned(kind, properties)
            self._check_unique(kind, [(None, cleaned)])
            record_id = str(id) if id is not None else self._new_id()
            if record_id in set(self.stores[kind.name].ids()):
                raise ValueError(f"{kind.singular} {record_id} already exists")
            self._next_id = max(self._next_id, int(record_id) + 1)
            self._create(kind, cleaned, self._stamp(at), record_id)
            for target_type, target_id in associations:
                self.associate(kind.name, record_id, target_type, target_id)
            return record_id

    def get(self, object_type: str, id: str) -> dict | None:
        """The record (archived ones too) with every property it has."""
        with self.lock:
            store = self.stores[self._kind(object_type).name]
            record = store.get(str(id)) or store.get(str(id), archived=True)
            return render(record, sorted(record.properties)) if record else None

    def objects(self, object_type: str) -> list[dict]:
        """The live records of a type, in id order, with every property they have."""
        with self.lock:
            store = self.stores[self._kind(object_type).name]
            return [render(record, sorted(record.properties)) for record in store.live()]

    def set_properties(self, object_type: str, id: str, properties: dict,
                       at: datetime | None = None) -> dict:
        """Edit a record as a person would in HubSpot (at `at`, default now): the values
        change and so does `hs_lastmodifieddate`. An empty string clears a value."""
        with self.lock, _as_value_error():
            kind = self._kind(object_type)
            store = self.stores[kind.name]
            record = store.get(str(id))
            if record is None:
                raise KeyError(f"no live {kind.singular} {id}")
            cleaned = self._cleaned(kind, properties)
            self._check_unique(kind, [(record.id, cleaned)])
            record = self._update(store, record, cleaned, self._stamp(at))
            return render(record, sorted(record.properties))

    def archive(self, object_type: str, id: str, at: datetime | None = None) -> None:
        """Archive a record as a person would (it leaves the lists, searches and
        associations; `archived=true` still finds it)."""
        with self.lock:
            self.stores[self._kind(object_type).name].archive(str(id), self._stamp(at),
                                                              self.clock())

    def associate(self, from_type: str, from_id: str, to_type: str, to_id: str,
                  type_id: int | None = None) -> None:
        """Associate two records (seen from both ends), unlabeled unless `type_id` says."""
        source, target = self._kind(from_type), self._kind(to_type)
        type_id = type_id or DEFAULT_ASSOCIATION.get((source.name, target.name))
        if type_id is None or ASSOCIATION_TYPES.get(type_id, ())[:2] != (source.name,
                                                                          target.name):
            raise ValueError(f"no association type {type_id} from {source.name} to {target.name}")
        self.associations.add((source.name, str(from_id)), (target.name, str(to_id)), type_id)

    # --- webhooks ---------------------------------------------------------------------------

    def event(self, subscription_type: str, object_id: str | int,
              property_name: str | None = None, property_value: str | None = None,
              change_source: str = "CRM_UI", occurred_at: datetime | None = None,
              attempt_number: int = 0) -> dict:
        """One webhook event as HubSpot shapes it (`contact.propertyChange`,
        `product.creation`, ...), with the next event id."""
        singular, _, action = subscription_type.partition(".")
        if singular not in webhooks.OBJECTS or action not in webhooks.ACTIONS:
            raise ValueError(f"unknown subscription type {subscription_type!r}")
        if action == "propertyChange" and property_name is None:
            raise ValueError("a propertyChange event names its property")
        moment = occurred_at or self._now()
        event = {"eventId": next(self._event_ids),
                 "subscriptionId": self._subscriptions.setdefault(
                     subscription_type, 2_400_000 + len(self._subscriptions)),
                 "portalId": self.portal_id, "appId": self.app_id,
                 "occurredAt": int(moment.timestamp() * 1000),
                 "subscriptionType": subscription_type, "attemptNumber": attempt_number,
                 "objectId": int(object_id), "changeSource": change_source}
        if property_name is not None:
            event.update(propertyName=property_name, propertyValue=property_value or "")
        return event

    def signed_delivery(self, events: list[dict], uri: str, method: str = "POST",
                        timestamp_ms: int | None = None, secret: str | None = None
                        ) -> tuple[bytes, dict[str, str]]:
        """The body and headers of a delivery of `events` to `uri` (the target URL exactly
        as configured in the app), signed with the app's client secret (or `secret`) at
        `timestamp_ms` (default now: receivers refuse deliveries older than 5 minutes)."""
        stamp = int(self.clock() * 1000) if timestamp_ms is None else int(timestamp_ms)
        return webhooks.delivery(events, uri, method, stamp,
                                 self.client_secret if secret is None else secret)

    # --- HTTP: what every request goes through ---------------------------------------------

    def dispatch(self, request: Request) -> Response:
        limits: dict[str, str] = {}
        try:
            self._authenticate(request)
            limits = self._throttle(request)
            self._check_scopes(request)
            response = super().dispatch(request)
        except HubSpotError as error:
            response = error.response()
        response.headers.update(limits)
        return response

    def error_response(self, status: int, message: str) -> Response:
        """HubSpot's body for `status` (injected faults, unknown routes)."""
        if status == 429:
            return rate_limited(TEN_SECONDLY, self._rate_headers(0)).response()
        return HubSpotError(status, message).response()

    def _authenticate(self, request: Request) -> None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(),
                                                                 self.access_token.encode()):
            raise HubSpotError(401, NO_CREDENTIALS)

    def _check_scopes(self, request: Request) -> None:
        missing = hubspot_scopes.unmet(
            hubspot_scopes.required(request.method, request.path) or [], self.scopes)
        if missing:
            raise HubSpotError(403, hubspot_scopes.MESSAGE,
                               fields=hubspot_scopes.missing_scopes_body(missing))

    def _throttle(self, request: Request) -> dict[str, str]:
        """Count the request against the limits, or refuse it with HubSpot's 429; the
        headers its answer carries. Searches have their own limit and, like the
        association batch endpoints, are exempt from the ten seconds and answer with the
        daily headers only."""
        searching = request.method == "POST" and bool(_SEARCH.match(request.path))
        exempt = searching or bool(_ASSOCIATION_BATCH.match(request.path))
        now = self.clock()
        with self._rate_lock:
            if self._today != now // DAY:
                self._today, self._used_today = now // DAY, 0
            if self._used_today >= self.daily_limit:
                self._refuse(DAILY, self._daily_headers(), {} if exempt else self._rate_headers(0))
            if searching and self.search_limit_per_second:
                _expire(self._searches, now, SEARCH_WINDOW)
                if len(self._searches) >= self.search_limit_per_second:
                    self._refuse(SECONDLY, self._daily_headers())
            if not exempt and self.rate_limit_per_10s:
                _expire(self._recent, now, RATE_WINDOW)
                if len(self._recent) >= self.rate_limit_per_10s:
                    self._refuse(TEN_SECONDLY, self._daily_headers(), self._rate_headers(0))
            self._used_today += 1
            if searching:
                self._searches.append(now)
            headers = self._daily_headers()
            if not exempt and self.rate_limit_per_10s:
                self._recent.append(now)
                headers.update(self._rate_headers(self.rate_limit_per_10s - len(self._recent)))
            return headers

    def _refuse(self, policy: str, *headers: dict[str, str]) -> None:
        self.limited[policy] += 1
        raise rate_limited(policy, {k: v for part in headers for k, v in part.items()})

    def _daily_headers(self) -> dict[str, str]:
        return {"X-HubSpot-RateLimit-Daily": str(self.daily_limit),
                "X-HubSpot-RateLimit-Daily-Remaining":
                    str(max(self.daily_limit - self._used_today, 0))}

    def _rate_headers(self, remaining: int) -> dict[str, str]:
        return {"X-HubSpot-RateLimit-Interval-Milliseconds": str(int(RATE_WINDOW * 1000)),
                "X-HubSpot-RateLimit-Max": str(self.rate_limit_per_10s or 100),
                "X-HubSpot-RateLimit-Remaining": str(remaining)}

    # --- routes ----------------------------------------------------------------------------

    def route(self, method: str, pattern: str, handler) -> None:
        """Path parts reach the handlers decoded: an e-mail used as an id arrives as
        `jo%40example.fr` (decoded only once split, so that an encoded "/" stays inside its
        part)."""
        def decoded(request: Request, **parts: str) -> Response:
            return handler(request, **{name: unquote(value) for name, value in parts.items()})
        super().route(method, pattern, decoded)

    def _declare_routes(self) -> None:
        objects = "/crm/v3/objects/{type}"
        self.route("GET", objects, self._list)
        self.route("POST", objects, self._create_one)
        self.route("POST", objects + "/batch/read", self._batch_read)
        self.route("POST", objects + "/batch/create", self._batch_create)
        self.route("POST", objects + "/batch/update", self._batch_update)
        self.route("POST", objects + "/batch/archive", self._batch_archive)
        self.route("POST", objects + "/search", self._search)
        self.route("GET", objects + "/{id}", self._get_one)
        self.route("PATCH", objects + "/{id}", self._update_one)
        self.route("DELETE", objects + "/{id}", self._archive_one)
        self.route("GET", "/crm/v3/properties/{type}", self._list_properties)
        self.route("POST", "/crm/v3/properties/{type}", self._create_property)
        self.route("GET", "/crm/v3/properties/{type}/{name}", self._get_property)
        self.route("GET", "/crm/v4/objects/{type}/{id}/associations/{to_type}",
                   self._list_associations)
        self.route("PUT", "/crm/v4/objects/{type}/{id}/associations/default/{to_type}/{to_id}",
                   self._associate_default)
        self.route("POST", "/crm/v4/associations/{type}/{to_type}/batch/read",
                   self._batch_read_associations)
        self.route("POST", hubspot_scopes.TOKEN_INFO_PATH, self._token_info)

    # --- the token's own information --------------------------------------------------------

    def _token_info(self, request: Request) -> Response:
        body = _body(request)
        key = body.get("tokenKey") if isinstance(body, dict) else None
        if not isinstance(key, str) or not key:
            raise invalid("tokenKey is required")
        if not hmac.compare_digest(key.encode(), self.access_token.encode()):
            raise HubSpotError(401, NO_CREDENTIALS)     # a token of no app of this account
        return Response.json(200, hubspot_scopes.token_info(self.user_id, self.portal_id,
                                                            self.app_id, self.scopes))

    # --- objects: reads --------------------------------------------------------------------

    def _list(self, request: Request, type: str) -> Response:
        store = self._store(type)
        query = _query(request)
        limit = _int_param(query, "limit", LIST_DEFAULT)
        if not 0 < limit <= LIST_LIMIT:
            raise invalid(f"limit must be between 1 and {LIST_LIMIT}, got {limit}")
        after = _int_param(query, "after", None)
        records, following = store.page(limit, after, archived=_flag(query, "archived"))
        body = {"results": [self._answer(store.kind, record, query) for record in records]}
        if following is not None:
            body["paging"] = {"next": {"after": following, "link": f"?after={following}"}}
        return Response.json(200, body)

    def _get_one(self, request: Request, type: str, id: str) -> Response:
        store = self._store(type)
        query = _query(request)
        record = self._lookup(store, id, _first(query, "idProperty"), _flag(query, "archived"))
        if record is None:
            raise not_found()
        return Response.json(200, self._answer(store.kind, record, query))

    def _batch_read(self, request: Request, type: str) -> Response:
        store = self._store(type)
        body = _body(request)
        inputs = _inputs(body, BATCH_LIMIT)
        if body.get("propertiesWithHistory"):
            raise invalid("propertiesWithHistory is not supported by the sandbox")
        names = self._names(store.kind, body.get("properties"))
        archived = _flag(_query(request), "archived")
        results, missing = {}, []
        for item in inputs:
            record = self._lookup(store, str(item.get("id")), body.get("idProperty"), archived)
            if record is None:
                missing.append(str(item.get("id")))
            else:
                results[record.id] = render(record, names)   # asked twice, answered once
        errors = [_not_found_error(f"Could not get some {store.kind.label} objects, they may "
                                   "be deleted or not exist. Check that ids are valid.",
                                   {"ids": missing})] if missing else []
        return self._batch_answer(200, list(results.values()), errors)

    def _search(self, request: Request, type: str) -> Response:
        store = self._store(type)
        query = search.parse(_body(request))
        # The index runs `lag` seconds behind the writes; reads by id and lists do not.
        as_of = self.clock() - min(self.lag, MAX_LAG) if self.lag else None
        found = search.run(query, store, self.properties, as_of)
        names = self._names(store.kind, query.properties)
        body = {"total": found.total, "results": [render(r, names) for r in found.records]}
        if found.next_after is not None:
            body["paging"] = {"next": {"after": found.next_after}}
        return Response.json(200, body)

    # --- objects: writes -------------------------------------------------------------------

    def _create_one(self, request: Request, type: str) -> Response:
        kind = self._store(type).kind
        cleaned, links = self._creation(kind, _body(request))
        self._check_unique(kind, [(None, cleaned)])
        record = self._create(kind, cleaned, self._stamp(), self._new_id(), links)
        return Response.json(201, render(record, self._names(kind, None)))

    def _batch_create(self, request: Request, type: str) -> Response:
        kind = self._store(type).kind
        prepared = [self._creation(kind, item) for item in _inputs(_body(request), BATCH_LIMIT)]
        self._check_unique(kind, [(None, cleaned) for cleaned, _ in prepared])
        now = self._stamp()
        records = [self._create(kind, cleaned, now, self._new_id(), links)
                   for cleaned, links in prepared]
        names = self._names(kind, None)
        return self._batch_answer(201, [render(r, names) for r in records], [])

    def _update_one(self, request: Request, type: str, id: str) -> Response:
        store = self._store(type)
        record = self._lookup(store, id, _first(_query(request), "idProperty"))
        if record is None:
            raise not_found()
        cleaned = self._cleaned(store.kind, _properties_of(_body(request)))
        self._check_unique(store.kind, [(record.id, cleaned)])
        record = self._update(store, record, cleaned, self._stamp())
        return Response.json(200, render(record, self._names(store.kind, None)))

    def _batch_update(self, request: Request, type: str) -> Response:
        """Every input is checked before any is applied; ids not found are reported (207)
        while the others are updated."""
        store = self._store(type)
        inputs = _inputs(_body(request), BATCH_LIMIT)
        given = [str(item.get("id")) for item in inputs]
        repeated = sorted(i for i, n in Counter(given).items() if n > 1)
        if repeated:
            raise invalid(f"Duplicate IDs found in batch input: {repeated}. IDs must be unique")
        found, missing = [], []
        for item, record_id in zip(inputs, given, strict=True):
            record = self._lookup(store, record_id, item.get("idProperty"))
            cleaned = self._cleaned(store.kind, _properties_of(item))
            if record is None:
                missing.append(record_id)
            else:
                found.append((record, cleaned))
        self._check_unique(store.kind, [(record.id, cleaned) for record, cleaned in found])
        now = self._stamp()
        names = self._names(store.kind, None)
        results = [render(self._update(store, record, cleaned, now), names)
                   for record, cleaned in found]
        errors = [_not_found_error(f"Could not update some {store.kind.label} objects, they "
                                   "may be deleted or not exist. Check that ids are valid.",
                                   {"ids": missing})] if missing else []
        return self._batch_answer(200, results, errors)

    def _archive_one(self, request: Request, type: str, id: str) -> Response:
        store = self._store(type)
        if store.get(id) is not None:    # archiving twice, or a missing id, is not an error
            store.archive(id, self._stamp(), self.clock())
        return Response(204, b"", {})

    def _batch_archive(self, request: Request, type: str) -> Response:
        store = self._store(type)
        now = self._stamp()
        for item in _inputs(_body(request), BATCH_LIMIT):
            if store.get(str(item.get("id"))) is not None:
                store.archive(str(item.get("id")), now, self.clock())
        return Response(204, b"", {})

    # --- properties ------------------------------------------------------------------------

    def _list_properties(self, request: Request, type: str) -> Response:
        kind = self._store(type).kind
        # Custom properties are never archived here, so the archived list is empty.
        archived = _flag(_query(request), "archived")
        return Response.json(200, {"results": [] if archived else self.properties.all(kind)})

    def _create_property(self, request: Request, type: str) -> Response:
        kind = self._store(type).kind
        body = _body(request)
        if not isinstance(body, dict):
            raise invalid("Invalid input JSON: expected a PropertyCreate object")
        return Response.json(201, self.properties.create(kind, body, self._stamp()))

    def _get_property(self, request: Request, type: str, name: str) -> Response:
        kind = self._store(type).kind
        definition = self.properties.get(kind, name)
        if definition is None:
            raise not_found(f"Unable to find property with name {name} on object type "
                            f"{kind.type_id}")
        return Response.json(200, definition)

    # --- associations v4 -------------------------------------------------------------------

    def _list_associations(self, request: Request, type: str, id: str, to_type: str
                           ) -> Response:
        source, target = self._store(type).kind, self._store(to_type).kind
        query = _query(request)
        limit = _int_param(query, "limit", ASSOCIATION_PAGE_DEFAULT)
        if not 0 < limit <= ASSOCIATION_PAGE:
            raise invalid(f"limit must be between 1 and {ASSOCIATION_PAGE}, got {limit}")
        offset = _int_param(query, "after", 0)
        linked = self._linked(source, id, target)
        body = {"results": [_associated(target_id, types)
                            for target_id, types in linked[offset:offset + limit]]}
        if offset + limit < len(linked):
            following = str(offset + limit)
            body["paging"] = {"next": {"after": following, "link": f"?after={following}"}}
        return Response.json(200, body)

    def _associate_default(self, request: Request, type: str, id: str, to_type: str,
                           to_id: str) -> Response:
        source, target = self._store(type).kind, self._store(to_type).kind
        type_id = DEFAULT_ASSOCIATION.get((source.name, target.name))
        if type_id is None:
            raise invalid(f"There is no default association type from {source.name} to "
                          f"{target.name}")
        for kind, record_id in ((source, id), (target, to_id)):
            if self.stores[kind.name].get(record_id) is None:
                raise not_found(f"No {kind.singular} with id {record_id} exists")
        self.associations.add((source.name, id), (target.name, to_id), type_id)
        back = DEFAULT_ASSOCIATION[(target.name, source.name)]
        results = [_default_association(id, to_id, type_id),
                   _default_association(to_id, id, back)]
        return self._batch_answer(200, results, [])

    def _batch_read_associations(self, request: Request, type: str, to_type: str) -> Response:
        source, target = self._store(type).kind, self._store(to_type).kind
        results, errors = [], []
        for item in _inputs(_body(request), ASSOCIATION_BATCH_LIMIT):
            record_id = str(item.get("id"))
            linked = self._linked(source, record_id, target)
            if linked:
                results.append({"from": {"id": record_id},
                                "to": [_associated(i, types) for i, types in linked]})
            else:
                errors.append(_not_found_error(
                    f"No {target.singular} is associated with {source.singular} {record_id}.",
                    {"fromObjectId": [record_id]}))
        return self._batch_answer(200, results, errors)

    # --- helpers ----------------------------------------------------------------------------

    def _kind(self, name: str) -> ObjectType:
        kind = type_named(str(name))
        if kind is None:
            raise ValueError(f"unknown object type {name!r}")
        return kind

    def _store(self, name: str) -> ObjectStore:
        kind = type_named(name)
        if kind is None:
            raise invalid(f"Unable to infer object type from: {name}")
        return self.stores[kind.name]

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), timezone.utc)

    def _stamp(self, at: datetime | None = None) -> str:
        return iso(at or self._now())

    def _new_id(self) -> str:
        self._next_id += 1
        return str(self._next_id - 1)

    def _lookup(self, store: ObjectStore, value: str, id_property: str | None = None,
                archived: bool = False) -> Record | None:
        if id_property in (None, "", OBJECT_ID):
            return store.get(value, archived=archived)
        if self.properties.get(store.kind, id_property) is None:
            raise invalid(f"Property {id_property!r} does not exist on {store.kind.label} "
                          "objects and cannot be used as idProperty")
        matches = store.find(id_property, value)
        return matches[0] if matches else None

    def _names(self, kind: ObjectType, requested: list[str] | None) -> list[str]:
        """The properties of an answer: those asked for that exist (HubSpot ignores the
        others), else the type's defaults; always HubSpot's three own."""
        known = self.properties.names(kind)
        names = [name for name in (requested or kind.defaults) if name in known]
        return list(dict.fromkeys(names + list(always_answered(kind))))

    def _answer(self, kind: ObjectType, record: Record, query: dict[str, list[str]]) -> dict:
        """A `SimplePublicObjectWithAssociations` for a GET, with the associations asked
        for (v3 style: `{"companies": {"results": [{"id", "type"}]}}`) when there are any."""
        body = render(record, self._names(kind, _split(query.get("properties", []))))
        associations = {}
        for name in _split(query.get("associations", [])):
            target = type_named(name)
            linked = self._linked(kind, record.id, target) if target else []
            if linked:
                label = f"{kind.singular}_to_{target.singular}"
                associations[name] = {"results": [{"id": i, "type": label} for i, _ in linked]}
        if associations:
            body["associations"] = associations
        return body

    def _linked(self, source: ObjectType, record_id: str, target: ObjectType
                ) -> list[tuple[str, list[int]]]:
        """Associations to live records (archiving a record hides its associations)."""
        live = self.stores[target.name]
        return [(i, types) for i, types in self.associations.of((source.name, record_id),
                                                                 target.name)
                if live.get(i) is not None]

    def _cleaned(self, kind: ObjectType, values: dict) -> dict[str, str]:
        cleaned, problems = self.properties.clean(kind, values)
        if problems:
            raise property_errors(problems, self.portal_id)
        return cleaned

    def _creation(self, kind: ObjectType, item) -> tuple[dict[str, str], list[tuple]]:
        """The values and associations of one `SimplePublicObjectInputForCreate`."""
        cleaned = self._cleaned(kind, _properties_of(item))
        links = []
        for association in item.get("associations") or ():
            target_id = str((association.get("to") or {}).get("id"))
            for spec in association.get("types") or ():
                type_id = spec.get("associationTypeId")
                source, target, _ = ASSOCIATION_TYPES.get(type_id, (None, None, None))
                if source != kind.name:
                    raise invalid(f"Association type {type_id} cannot be used from "
                                  f"{kind.name}")
                if self.stores[target].get(target_id) is None:
                    raise invalid(f"Cannot associate with {target} {target_id}: no such record")
                links.append((target, target_id, type_id))
        return cleaned, links

    def _check_unique(self, kind: ObjectType, writes: list[tuple[str | None, dict]]) -> None:
        """409 when a value of a unique property (a contact's e-mail) is another record's."""
        store = self.stores[kind.name]
        unique = [d["name"] for d in self.properties.all(kind) if d["hasUniqueValue"]]
        for record_id, cleaned in writes:
            for name in unique:
                value = cleaned.get(name)
                holders = [r.id for r in store.find(name, value) if r.id != record_id] \
                    if value else []
                if holders:
                    message = (f"Contact already exists. Existing ID: {holders[0]}"
                               if name == "email" else
                               f"A {kind.singular} with {name} {value!r} already exists. "
                               f"Existing ID: {holders[0]}")
                    raise HubSpotError(409, message)
        for name in unique:
            values = [c[name].casefold() for _, c in writes if c.get(name)]
            if len(values) != len(set(values)):
                raise invalid(f"Duplicate values of the unique property {name} in the input")

    def _create(self, kind: ObjectType, cleaned: dict[str, str], now: str, record_id: str,
                links: Iterable[tuple[str, str, int]] = ()) -> Record:
        properties = {name: value for name, value in cleaned.items() if value != ""}
        properties.update({OBJECT_ID: record_id, CREATED: now, MODIFIED: now})
        if kind.name == "contacts":
            properties[CONTACT_MODIFIED] = now
        record = Record(record_id, properties)
        self.stores[kind.name].put(record, self.clock())
        for target, target_id, type_id in links:
            self.associations.add((kind.name, record_id), (target, target_id), type_id)
        return record

    def _update(self, store: ObjectStore, record: Record, cleaned: dict[str, str],
                now: str) -> Record:
        """The record with `cleaned` applied, stored; `hs_lastmodifieddate` moves only when
        a value really changed (writing the same value is not an edit)."""
        properties = dict(record.properties)
        for name, value in cleaned.items():
            if value == "":
                properties.pop(name, None)
            else:
                properties[name] = value
        if properties == record.properties:
            return record
        properties[MODIFIED] = now
        if store.kind.name == "contacts":
            properties[CONTACT_MODIFIED] = now
        updated = Record(record.id, properties)
        store.put(updated, self.clock())
        return updated

    def _loaded(self, kind: ObjectType, obj: dict) -> Record:
        """A record from an object in the API's shape (the demo's)."""
        own = {name: value for name, value in obj["properties"].items()
               if name not in READ_ONLY and value not in (None, "")}
        with _as_value_error():
            cleaned = self._cleaned(kind, own)
        properties = {**cleaned, OBJECT_ID: str(obj["id"]),
                      CREATED: obj["createdAt"], MODIFIED: obj["updatedAt"]}
        if kind.name == "contacts":
            properties[CONTACT_MODIFIED] = obj["updatedAt"]
        return Record(str(obj["id"]), properties,
                      obj.get("archivedAt") if obj.get("archived") else None)

    def _batch_answer(self, status: int, results: list[dict], errors: list[dict]) -> Response:
        """A `BatchResponse...`: 207 with `errors` and `numErrors` when some inputs failed."""
        now = self._stamp()
        body = {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now}
        if errors:
            body.update(numErrors=len(errors), errors=errors)
            status = 207
        return Response.json(status, body)


def _expire(moments: deque[float], now: float, window: float) -> None:
    while moments and now - moments[0] >= window:
        moments.popleft()


@contextmanager
def _as_value_error():
    """The helpers' callers are tests and the demo: HubSpot's refusal as a ValueError."""
    try:
        yield
    except HubSpotError as error:
        raise ValueError(error.message) from None


def _query(request: Request) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for key, value in request.query:
        params.setdefault(key, []).append(value)
    return params


def _first(query: dict[str, list[str]], name: str) -> str | None:
    return query.get(name, [None])[0]


def _split(values: list[str]) -> list[str]:
    """`properties=a,b&properties=c`: HubSpot takes both spellings."""
    return [part for value in values for part in value.split(",") if part]


def _flag(query: dict[str, list[str]], name: str) -> bool:
    return (_first(query, name) or "false").lower() == "true"


def _int_param(query: dict[str, list[str]], name: str, default):
    text = _first(query, name)
    if text is None:
        return default
    try:
        return int(text)
    except ValueError:
        raise invalid(f"{name} must be an integer, got {text!r}") from None


def _body(request: Request):
    try:
        return request.json()
    except ValueError as error:
        raise invalid(f"Invalid input JSON on line {getattr(error, 'lineno', 1)}, column "
                      f"{getattr(error, 'colno', 1)}: {error}") from None


def _inputs(body, limit: int) -> list[dict]:
    inputs = body.get("inputs") if isinstance(body, dict) else None
    if not isinstance(inputs, list) or not all(isinstance(i, dict) for i in inputs):
        raise invalid("Invalid input JSON: expected an object with a list of inputs")
    if len(inputs) > limit:
        raise too_many_inputs(limit)
    return inputs


def _properties_of(item) -> dict:
    properties = item.get("properties") if isinstance(item, dict) else None
    if not isinstance(properties, dict):
        raise invalid("Invalid input JSON: expected an object with a properties map")
    return properties


def _not_found_error(message: str, context: dict[str, list[str]]) -> dict:
    """A `StandardError` of a batch answer."""
    return {"status": "error", "category": "OBJECT_NOT_FOUND", "message": message,
            "context": context, "errors": [], "links": {}}


def _associated(target_id: str, types: list[int]) -> dict:
    """A `MultiAssociatedObjectWithLabel`."""
    return {"toObjectId": target_id, "associationTypes": [type_spec(t) for t in types]}


def _default_association(from_id: str, to_id: str, type_id: int) -> dict:
    """A `PublicDefaultAssociation`."""
    return {"from": {"id": from_id}, "to": {"id": to_id},
            "associationSpec": {"associationCategory": "HUBSPOT_DEFINED",
                                "associationTypeId": type_id}}
