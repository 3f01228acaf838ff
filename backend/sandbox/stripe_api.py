"""The Stripe sandbox: a local stand-in for api.stripe.com that the official `stripe` library
talks to unchanged (`stripe.StripeClient(key, base_addresses={"api": running.url})`).

It serves the demo company's objects (`load(build_demo_company())`) the way Stripe does:
newest-first lists with cursor paging and `expand`, documents showing their first ten lines,
Stripe's error bodies and statuses (so the library raises the right exception), API-key
checks, idempotent writes, an optional rate limit, events, and webhook signatures.

    sandbox = StripeSandbox()
    sandbox.load(build_demo_company())
    with serve(sandbox) as running:
        client = stripe.StripeClient("sk_test_sandbox", base_addresses={"api": running.url})
        client.v1.invoices.list(params={"limit": 100})
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl

from backend.sandbox import stripe_params as p
from backend.sandbox import stripe_versions as versions
from backend.sandbox import stripe_writes as writes
from backend.sandbox.faults import FaultPlan
from backend.sandbox.server import Request, Response, Service
from backend.sandbox.stripe_deliveries import (
    Deliveries,
    check_enabled_events,
    enabled_for,
)
from backend.sandbox.stripe_objects import (
    EVENT_RETENTION_SECONDS,
    Ids,
    expand,
    finalized,
    new_event,
    next_number,
    previous_attributes,
    voided,
    with_first_lines,
)
from backend.sandbox.stripe_params import API_VERSION, StripeError, missing
from backend.sandbox.stripe_store import Collection, dumps, page_of_list

# Where each kind of object lives: `object` value -> (store, label in "No such <label>").
KINDS = {
    "invoice": ("invoices", "invoice"), "credit_note": ("credit_notes", "credit note"),
    "customer": ("customers", "customer"), "product": ("products", "product"),
    "price": ("prices", "price"), "tax_rate": ("tax_rates", "tax rate"),
    "coupon": ("coupons", "coupon"), "event": ("events", "event"),
    "webhook_endpoint": ("webhook_endpoints", "webhook endpoint"),
}
_DOCUMENTS = ("invoices", "credit_notes")   # documents embed their lines

NO_KEY = ("You did not provide an API key. You need to provide your API key in the "
          "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
          "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or "
          "we can help at https://support.stripe.com/.")
# A restricted key's permission for each resource of the sandbox (`rak_<name>_read|write`, as
# Stripe names them in its 403: "Having the 'rak_webhook_read' permission would allow this
# request to continue."). A write permission implies the read one.
PERMISSIONS = {"balance": "balance", "events": "event", "webhook_endpoints": "webhook",
               "invoices": "invoice", "credit_notes": "credit_note", "customers": "customer",
               "products": "product", "prices": "plan", "tax_rates": "tax_rate",
               "coupons": "coupon"}
RATE_LIMITED = ("Request rate limit exceeded. Learn more about rate limits here "
                "https://stripe.com/docs/rate-limits.")
_JSON = {"Content-Type": "application/json"}


@dataclass
class _Saved:
    """The first answer to an idempotency key, and what it was an answer to."""
    fingerprint: tuple
    response: Response
    request_id: str


class StripeSandbox(Service):
    name = "stripe"
    state_attributes = ("ids", "stores")

    def __init__(self, plan: FaultPlan | None = None, api_key: str = "sk_test_sandbox",
                 webhook_secret: str = "whsec_sandbox", *,
                 rate_limit_per_second: int | None = None,
                 clock: Callable[[], float] = time.time,
                 account_api_version: str = API_VERSION,
                 restricted_keys: dict[str, set[str]] | None = None) -> None:
        """`restricted_keys`: restricted keys (`rk_test_...`) the account also accepts, each
        with its permissions (`rak_invoice_read`, `rak_webhook_read`...): a call outside them
        is answered 403 naming the permission it needs, as Stripe does.
        `rate_limit_per_second`: more requests than that within a rolling second get
        Stripe's 429 (Stripe allows 100/s in live mode, 25/s in test mode); None: no limit.
        `clock` dates what the API creates (customers, prices, their events) and ages events
        (listed and served for 30 days). `account_api_version`: the account's default API
        version, in which events render their `data.object` (settable later; each event
        keeps the version in force when it was recorded)."""
        super().__init__(plan)
        self.api_key = api_key
        self.restricted_keys = {k: frozenset(v) for k, v in (restricted_keys or {}).items()}
        self.webhook_secret = webhook_secret
        self.rate_limit_per_second = rate_limit_per_second
        self.clock = clock
        self.account_api_version = account_api_version
        self.ids = Ids()
        self.stores = {name: Collection(label, with_first_lines if name in _DOCUMENTS else None)
                       for name, label in KINDS.values()}
        self._saved: dict[str, _Saved] = {}
        self._recent: deque[float] = deque()
        self._rate_lock = threading.Lock()
        self._current = threading.local()   # the request being handled, for its events
        # Events go to the webhook endpoints (stripe_deliveries.py), from worker threads
        # started at the first delivery: none while no endpoint is registered.
        self._endpoint_secrets: dict[str, str] = {}
        self.deliveries = Deliveries(self._signed_for, self._delivery_target,
                                     self._delivered_once)
        self._declare_routes()

    # --- state, for tests and the demo ---------------------------------------------------

    def load(self, company: dict) -> None:
        """Replace the whole state with `company` (lists by kind, as `build_demo_company()`
        returns them; `events` optional). The dicts are kept, not copied: don't change them
        afterwards."""
        unknown = set(company) - set(self.stores)
        if unknown:
            raise ValueError(f"unknown kinds: {sorted(unknown)}")
        with self.lock:
            for name, store in self.stores.items():
                store.replace_all(company.get(name, ()))
            self._saved.clear()

    def add(self, obj: dict) -> None:
        """Add or replace one object, by its `object` and `id`."""
        store_name, _ = KINDS[obj["object"]]
        with self.lock:
            self.stores[store_name].put(obj)

    def get(self, object_id: str) -> dict | None:
        """The stored object (read-only), whatever its kind."""
        with self.lock:
            return self._find(object_id)

    def finalize_invoice(self, invoice_id: str, at: int) -> dict:
        """Finalize a draft at `at` as Stripe does (number, `finalized_at`, `effective_at`,
        hosted URLs; paid at once when nothing is due) and record `invoice.finalized`."""
        with self.lock:
            invoices = self.stores["invoices"]
            invoice = self._invoice(invoice_id)
            customer = self.stores["customers"].get(invoice["customer"])
            number = invoice["number"] or next_number(invoices.all(), customer)
            result = finalized(invoice, at, number, self._account_id())
            invoices.put(result)
            self._advance_sequence(customer, number)
            self.record_event("invoice.finalized", result, at)
            if result["status"] == "paid":
                self.record_event("invoice.paid", result, at)
            return result

    def void_invoice(self, invoice_id: str, at: int) -> dict:
        """Void an open or uncollectible invoice at `at` and record `invoice.voided`."""
        with self.lock:
            result = voided(self._invoice(invoice_id), at)
            self.stores["invoices"].put(result)
            self.record_event("invoice.voided", result, at)
            return result

    def add_webhook_endpoint(self, url: str, enabled_events: list[str], *,
                             status: str = "enabled", at: int | None = None,
                             secret: str | None = None) -> dict:
        """A webhook endpoint as the Dashboard makes it (`we_...`), listed by
        GET /v1/webhook_endpoints. Its signing secret is shown only by the creation's answer:
        the one returned here has it, the stored one (and every later read) does not.
        `secret`: the endpoint's own (default: the sandbox's `webhook_secret`). While it is
        enabled, the events recorded from now on whose type it enables are delivered to
        `url` (backend/sandbox/stripe_deliveries.py)."""
        check_enabled_events(enabled_events)
        with self.lock:
            endpoint = {"id": self.ids.long("we"), "object": "webhook_endpoint",
                        "api_version": None, "application": None,
                        "created": int(self.clock() if at is None else at),
                        "description": None, "enabled_events": list(enabled_events),
                        "livemode": "_live_" in self.api_key, "metadata": {},
                        "status": status, "url": url}
            self.stores["webhook_endpoints"].put(endpoint)
            if secret is not None:
                self._endpoint_secrets[endpoint["id"]] = secret
        return dict(endpoint, secret=self._endpoint_secret(endpoint["id"]))

    def load_state(self, path) -> None:
        super().load_state(path)
        with self.lock:     # a state saved before a kind was added lacks its collection
            for name, label in KINDS.values():
                if name not in self.stores:
                    self.stores[name] = Collection(label, with_first_lines
                                                   if name in _DOCUMENTS else None)

    def record_event(self, event_type: str, obj: dict, at: int,
                     previous: dict | None = None) -> dict:
        """Record an event whose `data.object` is a snapshot of `obj` as the API shows it,
        rendered in the account's API version of the moment (which the event keeps, in
        `api_version`, whatever version a client later reads it with). Inside a request,
        `request.id` and `request.idempotency_key` name that request."""
        request_id, key = getattr(self._current, "request", (None, None))
        store_name, _ = KINDS[obj["object"]]
        with self.lock:
            version = self.account_api_version
            shown = versions.render(self.stores[store_name].view(obj), version, self._resolve)
            event = new_event(self.ids.long("evt"), event_type, shown, at,
                              versions.render_previous(previous, obj["object"], version),
                              request_id, key, api_version=version)
            endpoints = [e["id"] for e in self.stores["webhook_endpoints"].all()
                         if e["status"] == "enabled" and enabled_for(e["enabled_events"],
                                                                     event_type)]
            event["pending_webhooks"] = len(endpoints)
            self.stores["events"].put(event)
            self.deliveries.send(event, endpoints)
        return event

    def signed_webhook(self, event: dict, timestamp: int | None = None,
                       secret: str | None = None) -> tuple[bytes, str]:
        """The body and `Stripe-Signature` header of a delivery of `event`, signed as Stripe
        signs them: `t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>">` with the
        endpoint's secret. The timestamp defaults to now: receivers reject old ones."""
        payload = json.dumps(event, indent=2, ensure_ascii=False).encode("utf-8")
        stamp = int(time.time()) if timestamp is None else int(timestamp)
        key = (secret if secret is not None else self.webhook_secret).encode("utf-8")
        signature = hmac.new(key, f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
        return payload, f"t={stamp},v1={signature}"

    def _endpoint_secret(self, endpoint_id: str) -> str:
        return self._endpoint_secrets.get(endpoint_id, self.webhook_secret)

    def _delivery_target(self, endpoint_id: str) -> tuple[str, str] | None:
        """Where a delivery goes now, with which secret; None once the endpoint is disabled
        or gone (Stripe drops the retries of such an endpoint)."""
        with self.lock:
            endpoint = self.stores["webhook_endpoints"].get(endpoint_id)
            if endpoint is None or endpoint["status"] != "enabled":
                return None
            return endpoint["url"], self._endpoint_secret(endpoint_id)

    def _signed_for(self, event: dict, timestamp: int, secret: str) -> tuple[bytes, str]:
        return self.signed_webhook(event, timestamp=timestamp, secret=secret)

    def _delivered_once(self, event_id: str) -> None:
        """`pending_webhooks`: the endpoints not yet delivered to, as Stripe counts them."""
        with self.lock:
            event = self.stores["events"].get(event_id)
            if event is not None and event["pending_webhooks"] > 0:
                self.stores["events"].put(dict(event,
                                               pending_webhooks=event["pending_webhooks"] - 1))

    # --- HTTP: what every request goes through ---------------------------------------------

    def dispatch(self, request: Request) -> Response:
        request_id = self.ids.short("req")
        key = request.headers.get("idempotency-key") if request.method == "POST" else None
        try:
            self._permitted(request, self._authenticate(request))
            self._throttle()
            if key:
                response = self._idempotent(request, key, request_id)
            else:
                response = self._execute(request, request_id)
        except StripeError as error:
            response = self._error(error, request_id)
        headers = {**response.headers, "Request-Id": request_id,
                   "Stripe-Version": request.headers.get("stripe-version") or API_VERSION}
        if key:
            headers["Idempotency-Key"] = key
        return Response(response.status, response.body, headers)

    def error_response(self, status: int, message: str) -> Response:
        """Stripe's error body for `status` (injected faults and unknown routes): the type and
        code the library turns into the matching exception."""
        request_id = self.ids.short("req")
        response = self._error(_error_for_status(status, message), request_id)
        response.headers.update({"Request-Id": request_id, "Stripe-Version": API_VERSION})
        return response

    def _execute(self, request: Request, request_id: str) -> Response:
        self._current.request = (request_id, request.headers.get("idempotency-key"))
        try:
            return super().dispatch(request)
        except StripeError as error:
            return self._error(error, request_id)
        except Exception as exc:  # noqa: BLE001 - answered like Stripe's own bad day
            return self._error(StripeError(500, f"Sandbox error: {type(exc).__name__}: {exc}",
                                           type="api_error"), request_id)
        finally:
            self._current.request = (None, None)

    def _authenticate(self, request: Request) -> str:
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        key = credential.strip()
        if scheme.lower() == "basic":   # curl -u sk_test_...:
            try:
                key = base64.b64decode(key).decode("utf-8").split(":", 1)[0]
            except (ValueError, UnicodeDecodeError):
                key = ""
        elif scheme.lower() != "bearer":
            key = ""
        if not key:
            raise StripeError(401, NO_KEY)
        known = [self.api_key, *self.restricted_keys]
        if not any(hmac.compare_digest(key, k) for k in known):
            raise StripeError(401, f"Invalid API Key provided: {_masked(key)}")
        return key

    def _permitted(self, request: Request, key: str) -> None:
        """A restricted key may call only the resources its permissions cover."""
        granted = self.restricted_keys.get(key)
        if granted is None or hmac.compare_digest(key, self.api_key):
            return
        parts = request.path.split("/")
        resource = PERMISSIONS.get(parts[2] if len(parts) > 2 else "")
        if resource is None:
            return          # the route's own answer (404 for an unknown URL)
        read, write = f"rak_{resource}_read", f"rak_{resource}_write"
        needed = read if request.method == "GET" else write
        if needed in granted or write in granted:
            return
        raise StripeError(403, f"The provided key '{_masked(key)}' does not have the required "
                               f"permissions for this endpoint on account "
                               f"'{self._account_id()}'. Having the '{needed}' permission would "
                               "allow this request to continue.")

    def _throttle(self) -> None:
        if not self.rate_limit_per_second:
            return
        now = time.monotonic()
        with self._rate_lock:
            while self._recent and now - self._recent[0] >= 1.0:
                self._recent.popleft()
            if len(self._recent) >= self.rate_limit_per_second:
                # No Stripe-Should-Retry header: Stripe's libraries do not retry a true rate
                # limit (only lock timeouts), the caller has to slow down.
                raise StripeError(429, RATE_LIMITED, code="rate_limit")
            self._recent.append(now)

    def _idempotent(self, request: Request, key: str, request_id: str) -> Response:
        """Stripe saves the first answer to a key once the endpoint ran (successes and 500s,
        not parameter errors) and replays it to the same request; the same key with other
        parameters is an error."""
        fingerprint = (request.method, request.path, sorted(parse_qsl(
            request.body.decode("utf-8"), keep_blank_values=True)))
        with self.lock:
            saved = self._saved.get(key)
            if saved is not None:
                if saved.fingerprint != fingerprint:
                    raise StripeError(400, "Keys for idempotent requests can only be used with "
                                           "the same parameters they were first used with. Try "
                                           f"using a key other than '{key}' if you meant to "
                                           "execute a different request.",
                                      type="idempotency_error")
                headers = {**saved.response.headers, "Idempotent-Replayed": "true",
                           "Original-Request": saved.request_id}
                return Response(saved.response.status, saved.response.body, headers)
            response = self._execute(request, request_id)
            if not 400 <= response.status < 500:
                self._saved[key] = _Saved(fingerprint, response, request_id)
            return response

    def _error(self, error: StripeError, request_id: str) -> Response:
        return Response(error.status, dumps(error.body(request_id)), dict(_JSON))

    # --- routes ----------------------------------------------------------------------------

    def _declare_routes(self) -> None:
        status = p.choice("draft", "open", "paid", "uncollectible", "void")
        lists = {
            "invoices": {"customer": _equals("customer"), "status": _equals("status", status),
                         "subscription": _equals("subscription"),
                         "collection_method": _equals("collection_method"),
                         "customer_account": _equals("customer_account"),
                         "due_date": _within("due_date")},
            "credit_notes": {"customer": _equals("customer"), "invoice": _equals("invoice"),
                             "customer_account": _equals("customer_account")},
            "customers": {"email": _equals("email"), "test_clock": _equals("test_clock")},
            "products": {"active": _flag("active"), "shippable": _flag("shippable"),
                         "type": _equals("type"), "url": _equals("url"), "ids": _among("id")},
            "prices": {"active": _flag("active"), "currency": _equals("currency"),
                       "product": _equals("product"), "type": _equals("type"),
                       "lookup_keys": _among("lookup_key"), "recurring": _recurring_like},
            "tax_rates": {"active": _flag("active"), "inclusive": _flag("inclusive")},
            "coupons": {},
            "events": {"type": _event_type, "types": _among("type"),
                       "delivery_success": _delivered},
            "webhook_endpoints": {},
        }
        for name, filters in lists.items():
            self.route("GET", f"/v1/{name}", self._lister(name, filters))
            if name in _DOCUMENTS:
                self.route("GET", f"/v1/{name}/{{id}}/lines", self._line_lister(name))
            self.route("GET", f"/v1/{name}/{{id}}", self._getter(name))
        self.route("POST", "/v1/customers", self._create_customer)
        self.route("POST", "/v1/customers/{id}", self._update_customer)
        self.route("POST", "/v1/products", self._create_product)
        self.route("POST", "/v1/products/{id}", self._update_product)
        self.route("POST", "/v1/prices", self._create_price)
        self.route("POST", "/v1/prices/{id}", self._update_price)
        self.route("GET", "/v1/balance", self._balance)
        for method in ("GET", "POST", "DELETE", "PUT", "PATCH"):
            self.route(method, "{path:rest}", self._unrecognized)

    def _unrecognized(self, request: Request, path: str) -> Response:
        raise StripeError(404, f"Unrecognized request URL ({request.method}: {request.path}). "
                               "Please see https://stripe.com/docs or we can help at "
                               "https://support.stripe.com/.")

    # --- reads -----------------------------------------------------------------------------

    def _balance(self, request: Request) -> Response:
        """The account's balance (nothing is paid in the sandbox: zero euros), Stripe's
        cheapest authenticated read."""
        livemode = "_live_" in self.api_key
        zero = {"amount": 0, "currency": "eur", "source_types": {"card": 0}}
        return self._json({"object": "balance", "available": [zero], "livemode": livemode,
                           "pending": [dict(zero)]})

    def _lister(self, name: str, filters: dict):
        allowed = {"limit", "starting_after", "ending_before", "expand", "created", *filters}

        def handler(request: Request) -> Response:
            store = self.stores[name]   # at request time: load_state replaces the collections
            params = p.parse(request.query)
            p.reject_unknown(params, allowed)
            tests = [build(params[key], key) for key, build in filters.items() if key in params]
            after, before = p.cursors(params)
            items, more = store.page(
                p.limit(params), created=self._retained_span(name, p.span(params, "created")),
                match=(lambda obj: all(test(obj) for test in tests)) if tests else None,
                starting_after=after, ending_before=before)
            return self._list_response(store, items, more, f"/v1/{name}", p.expansions(params))
        return handler

    def _line_lister(self, name: str):
        """An invoice's (or credit note's) lines, all of them, in their own order."""
        def handler(request: Request, id: str) -> Response:
            store = self.stores[name]
            params = p.parse(request.query)
            p.reject_unknown(params, {"limit", "starting_after", "ending_before", "expand"})
            lines = self._stored(name, id)["lines"]
            after, before = p.cursors(params)
            items, more = page_of_list(lines["data"], p.limit(params), after, before,
                                       f"{store.label} line item")
            listing = {"object": "list", "data": items, "has_more": more,
                       "url": lines.get("url") or f"/v1/{name}/{id}/lines"}
            return self._json(expand(listing, p.expansions(params), self._resolve))
        return handler

    def _getter(self, name: str):
        def handler(request: Request, id: str) -> Response:
            store = self.stores[name]
            params = p.parse(request.query)
            p.reject_unknown(params, {"expand"})
            return self._object_response(store, self._retained(name, self._stored(name, id)),
                                         params)
        return handler

    def _list_response(self, store: Collection, items: list[dict], has_more: bool, url: str,
                       paths: list[str]) -> Response:
        if paths:
            listing = {"object": "list", "data": [store.view(obj) for obj in items],
                       "has_more": has_more, "url": url}
            return self._json(expand(listing, paths, self._resolve))
        # The common case, spliced from each object's cached JSON: a page of 100 invoices
        # costs a join instead of re-serialising half a megabyte.
        data = b", ".join(store.json(obj["id"]) for obj in items)
        body = b'{"object": "list", "data": [%s], "has_more": %s, "url": %s}' % (
            data, b"true" if has_more else b"false", dumps(url))
        return Response(200, body, dict(_JSON))

    def _object_response(self, store: Collection, obj: dict, params: dict) -> Response:
        paths = p.expansions(params)
        if not paths:
            return Response(200, store.json(obj["id"]), dict(_JSON))
        return self._json(expand(store.view(obj), paths, self._resolve))

    # --- writes ----------------------------------------------------------------------------

    def _create_customer(self, request: Request) -> Response:
        params = p.parse(request.form())
        customer = writes.create_customer(params, self._new_id("customers", "cus"),
                                          self._now(), self.ids.prefix_code())
        self._save(customer, "customer.created")
        return self._object_response(self.stores["customers"], customer, params)

    def _update_customer(self, request: Request, id: str) -> Response:
        params = p.parse(request.form())
        old = self._stored("customers", id)
        self._save(writes.update_customer(old, params), "customer.updated", old)
        return self._object_response(self.stores["customers"], self._stored("customers", id),
                                     params)

    def _create_product(self, request: Request) -> Response:
        """Nothing is stored until every parameter, the first price's too, has been checked."""
        params = p.parse(request.form())
        product = writes.create_product(params, self._new_id("products", "prod"), self._now())
        if product["id"] in self.stores["products"]:
            raise StripeError(400, "Product already exists.", code="resource_already_exists",
                              param="id")
        price = None
        if "default_price_data" in params:
            price_params = p.hash_(params["default_price_data"], "default_price_data") or {}
            price = self._new_price({**price_params, "product": product["id"]}, product["id"])
            product["default_price"] = price["id"]
        self._save(product, "product.created")
        if price is not None:
            self._save_price(price, price_params)
        return self._object_response(self.stores["products"], product, params)

    def _update_product(self, request: Request, id: str) -> Response:
        params = p.parse(request.form())
        old = self._stored("products", id)
        product = writes.update_product(old, params, self._now(), self.stores["prices"])
        self._save(product, "product.updated", old)
        return self._object_response(self.stores["products"], product, params)

    def _create_price(self, request: Request) -> Response:
        params = p.parse(request.form())
        product = None
        if "product_data" in params and "product" not in params:
            data = p.hash_(params["product_data"], "product_data") or {}
            product = writes.create_product(data, self._new_id("products", "prod"), self._now())
            params = {**params, "product": product["id"]}
        price = self._new_price(params, product["id"] if product else None)
        if product is not None:
            self._save(product, "product.created")
        self._save_price(price, params)
        return self._object_response(self.stores["prices"], price, params)

    def _update_price(self, request: Request, id: str) -> Response:
        params = p.parse(request.form())
        old = self._stored("prices", id)
        price = writes.update_price(old, params)
        holder = self._lookup_key_holder(params, id)
        if holder is not None:
            self._save(dict(holder, lookup_key=None), "price.updated", holder)
        self._save(price, "price.updated", old)
        return self._object_response(self.stores["prices"], price, params)

    def _new_price(self, params: dict, new_product: str | None = None) -> dict:
        """A checked price, not yet stored; `new_product` is a product being created with it."""
        products = self.stores["products"]
        price = writes.create_price(params, self._new_id("prices", "price", long=True),
                                    self._now(), lambda pid: pid in products or pid == new_product)
        self._lookup_key_holder(params, price["id"])   # refused here if taken
        return price

    def _save_price(self, price: dict, params: dict) -> None:
        holder = self._lookup_key_holder(params, price["id"])
        if holder is not None:
            self._save(dict(holder, lookup_key=None), "price.updated", holder)
        self._save(price, "price.created")

    def _lookup_key_holder(self, params: dict, price_id: str) -> dict | None:
        """The other price holding the requested lookup key, which `transfer_lookup_key`
        allows to take; without it, a taken key is refused."""
        holder = writes.lookup_key_taken(params, price_id, self.stores["prices"])
        if holder is not None and not p.boolean(params.get("transfer_lookup_key", "false"),
                                                 "transfer_lookup_key"):
            raise StripeError(400, f"A price (`{holder['id']}`) already uses that lookup key.",
                              param="lookup_key")
        return holder

    def _save(self, obj: dict, event_type: str, old: dict | None = None) -> None:
        """Store `obj` and record its event; an update that changed nothing records none."""
        previous = previous_attributes(old, obj) if old is not None else None
        if old is not None and not previous:
            return
        store_name, _ = KINDS[obj["object"]]
        self.stores[store_name].put(obj)
        created = obj["created"] if old is None else self._now()
        self.record_event(event_type, obj, created, previous)

    # --- helpers ---------------------------------------------------------------------------

    def _now(self) -> int:
        return int(self.clock())

    def _new_id(self, store_name: str, prefix: str, long: bool = False) -> str:
        while True:
            object_id = self.ids.long(prefix) if long else self.ids.short(prefix)
            if object_id not in self.stores[store_name]:
                return object_id

    def _stored(self, store_name: str, object_id: str) -> dict:
        obj = self.stores[store_name].get(object_id)
        if obj is None:
            raise missing(self.stores[store_name].label, object_id)
        return obj

    def _invoice(self, invoice_id: str) -> dict:
        """For the state helpers: a Python error, not an HTTP one."""
        invoice = self.stores["invoices"].get(invoice_id)
        if invoice is None:
            raise KeyError(f"no invoice {invoice_id}")
        return invoice

    def _find(self, object_id: str) -> dict | None:
        for store in self.stores.values():
            obj = store.get(object_id)
            if obj is not None:
                return obj
        return None

    def _resolve(self, object_id: str) -> dict | None:
        """The object an id names, as the API shows it (for `expand`)."""
        for store in self.stores.values():
            obj = store.get(object_id)
            if obj is not None:
                return store.view(obj)
        return None

    def _json(self, data) -> Response:
        return Response(200, dumps(data), dict(_JSON))

    def _account_id(self) -> str:
        """The account in the stored invoices' hosted URLs, so new URLs look like them."""
        for invoice in self.stores["invoices"].all():
            match = re.search(r"/i/(acct_\w+)/", invoice.get("hosted_invoice_url") or "")
            if match:
                return match.group(1)
        return "acct_1SandboxAccount"

    def _advance_sequence(self, customer: dict | None, number: str) -> None:
        """A number from the customer's own sequence moves that sequence on."""
        if customer and number.startswith(f"{customer['invoice_prefix']}-"):
            sequence = customer.get("next_invoice_sequence") or 1
            self.stores["customers"].put(dict(customer, next_invoice_sequence=sequence + 1))

    # --- the account's API version, credit-note voids, events' retention --------------------

    @property
    def account_api_version(self) -> str:
        return self._account_api_version

    @account_api_version.setter
    def account_api_version(self, version: str) -> None:
        self._account_api_version = versions.check(version)

    def void_credit_note(self, credit_note_id: str, at: int) -> dict:
        """Void an issued credit note at `at` and record `credit_note.voided`. Stripe voids a
        credit note only while the invoice it credits is open."""
        with self.lock:
            note = self.stores["credit_notes"].get(credit_note_id)
            if note is None:
                raise KeyError(f"no credit note {credit_note_id}")
            invoice = self._invoice(note["invoice"])
            if note["status"] != "issued" or invoice["status"] != "open":
                raise ValueError(f"credit note {credit_note_id} is {note['status']} on a "
                                 f"{invoice['status']} invoice: only an issued credit note of "
                                 f"an open invoice can be voided")
            result = dict(note, status="void", voided_at=at)
            self.stores["credit_notes"].put(result)
            # What the note took off the invoice is due again.
            if note["type"] == "pre_payment":
                self.stores["invoices"].put(dict(
                    invoice, amount_due=invoice["amount_due"] + note["amount"],
                    amount_remaining=invoice["amount_remaining"] + note["amount"],
                    pre_payment_credit_notes_amount=(
                        invoice["pre_payment_credit_notes_amount"] - note["amount"])))
            else:
                self.stores["invoices"].put(dict(
                    invoice, post_payment_credit_notes_amount=(
                        invoice["post_payment_credit_notes_amount"] - note["amount"])))
            self.record_event("credit_note.voided", result, at)
            return result

    def _retained_span(self, store_name: str, span: tuple[int | None, int | None]
                       ) -> tuple[int | None, int | None]:
        """Events are listed for 30 days: an older `created[gte]` is no error, the older
        events are simply not there any more."""
        if store_name != "events":
            return span
        oldest, newest = span
        floor = self._now() - EVENT_RETENTION_SECONDS
        return (floor if oldest is None else max(oldest, floor)), newest

    def _retained(self, store_name: str, obj: dict) -> dict:
        """An event older than 30 days is answered as one that never existed (404)."""
        if store_name == "events" and obj["created"] < self._now() - EVENT_RETENTION_SECONDS:
            raise missing(self.stores[store_name].label, obj["id"])
        return obj


# --- list filters: (param value, param name) -> test of a stored object -------------------

def _equals(field: str, coerce=None):
    def build(value, name):
        wanted = coerce(value, name) if coerce else p.required_text(value, name)
        return lambda obj: obj.get(field) == wanted
    return build


def _flag(field: str):
    def build(value, name):
        wanted = p.boolean(value, name)
        return lambda obj: obj.get(field) is wanted
    return build


def _among(field: str):
    def build(value, name):
        wanted = set(p.strings(value, name))
        return lambda obj: obj.get(field) in wanted
    return build


def _within(field: str):
    def build(value, name):
        low, high = p.bounds(value, name)
        return lambda obj: (obj.get(field) is not None
                            and (low is None or obj[field] >= low)
                            and (high is None or obj[field] <= high))
    return build


def _event_type(value, name):
    """`invoice.finalized`, or a group with a wildcard: `invoice.*`."""
    pattern = p.required_text(value, name)
    if "*" in pattern:
        regex = re.compile(re.escape(pattern).replace(r"\*", ".*") + "$")
        return lambda event: bool(regex.match(event["type"]))
    return lambda event: event["type"] == pattern


def _delivered(value, name):
    # As Stripe: false lists the events still pending or failed at some endpoint (their
    # `pending_webhooks` not yet counted down to 0), true those delivered everywhere.
    wanted = p.boolean(value, name)
    return lambda event: (event.get("pending_webhooks", 0) == 0) == wanted


def _recurring_like(value, name):
    given = p.hash_(value, name) or {}
    p.reject_unknown({f"recurring[{k}]": v for k, v in given.items()},
                     {"recurring[interval]", "recurring[usage_type]"})
    return lambda price: (price.get("recurring") is not None
                          and all(price["recurring"].get(k) == v for k, v in given.items()))


def _error_for_status(status: int, message: str) -> StripeError:
    """The body Stripe sends with each status, which decides the library's exception:
    400/404 InvalidRequestError, 401 AuthenticationError, 402 CardError, 403 PermissionError,
    429 RateLimitError, 5xx APIError."""
    if status == 404:
        return StripeError(404, message, code="resource_missing")
    if status == 429:
        return StripeError(429, message, code="rate_limit")
    if status == 402:
        return StripeError(402, message, type="card_error", code="card_declined")
    if status == 409:
        return StripeError(409, message, type="idempotency_error", code="idempotency_key_in_use")
    if status >= 500:
        return StripeError(status, message, type="api_error")
    return StripeError(status, message)


def _masked(key: str) -> str:
    """`sk_test_****Aso0`: Stripe shows the key's prefix and last four characters only."""
    match = re.match(r"^[a-z]{2}_(?:test|live)_", key)
    prefix = match.group(0) if match else ""
    tail = key[-4:] if len(key) - len(prefix) > 4 else ""
    return prefix + "*" * (len(key) - len(prefix) - len(tail)) + tail
