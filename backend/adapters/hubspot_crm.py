"""HubSpot CRM v3 through the official client (hubspot-api-client, its `host` setting points
it at the sandbox). Lists are read 100 at a time, records read and updated 100 per batch
call, searches 200 per page, in slices of 10,000 (HubSpot's cap on one query).

Every call is retried on a 429 (a refused request was not applied), as the answer says: its
Retry-After if any, else the ten-second window the X-HubSpot-RateLimit headers give, else
the policy's own pace (searches are limited per second and answer without those headers),
a few times. A daily limit is not waited out. Done here, not by the urllib3 `Retry` the
client accepts: that one knows Retry-After only, which HubSpot does not send. A 403 for
want of scopes names them (`MissingScopes`): the private app needs the scopes listed in the
README.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from hubspot import HubSpot
from hubspot.crm.associations.v4.models import (BatchInputPublicFetchAssociationsBatchRequest,
                                                PublicFetchAssociationsBatchRequest)
from hubspot.crm.objects.models import (BatchInputSimplePublicObjectBatchInput,
                                        BatchReadInputSimplePublicObjectId, Filter, FilterGroup,
                                        PublicObjectSearchRequest, SimplePublicObjectBatchInput,
                                        SimplePublicObjectId)

from hubspot.crm.properties.models import PropertyCreate

from backend.errors import ServiceError
from backend.sync.records import HUBSPOT_PRODUCT_PROPERTIES

BATCH = 100
SEARCH_PAGE = 200
SEARCH_CAP = 10_000          # results one search query pages through; past them, a 400
RATE_RETRIES = 5             # 429s of one call retried before giving up (transient)
SEARCH_PACE = 1.0            # seconds: the search limit's window, doubled on each retry
LONGEST_WAIT = 60.0          # seconds: no answer makes one call wait longer
# The product's own properties (DESIGN.md, "Contract fields"), created where missing.
CUSTOM_PROPERTIES = {
    "products": ("productinformation", ["code_comptable", "axe_analytique_1", "axe_analytique_2",
                                        "axe_analytique_3", "stripe_product_id"]),
    "companies": ("companyinformation", ["code_comptable", "stripe_customer_id"]),
    "contacts": ("contactinformation", ["code_comptable", "stripe_customer_id"]),
}
LABELS = {"code_comptable": "Code comptable", "stripe_product_id": "Produit Stripe",
          "stripe_customer_id": "Client Stripe", "axe_analytique_1": "Axe analytique 1",
          "axe_analytique_2": "Axe analytique 2", "axe_analytique_3": "Axe analytique 3"}


class MissingScopes(ServiceError):
    """HubSpot refused a call for want of scopes of the private app: not transient, a person
    must grant them. `scopes`: for each requirement not met, its alternatives (any one is
    enough), as HubSpot names them."""

    def __init__(self, scopes: list[tuple[str, ...]], call: str) -> None:
        wanted = "; ".join(" or ".join(r) for r in scopes) or "unnamed"
        super().__init__("hubspot", f"403 MISSING_SCOPES on {call}: the private app needs "
                         f"the scope {wanted}", status=403)
        self.scopes = scopes

    @property
    def french(self) -> str:
        wanted = " ; ".join(" ou ".join(f"« {s} »" for s in r) for r in self.scopes)
        return ("HubSpot refuse l'appel : l'application privée n'a pas l'autorisation "
                f"(scope) {wanted} ; ajoutez-la dans HubSpot (Paramètres › Intégrations › "
                "Applications privées), puis relancez.")


def _body(exc) -> dict:
    raw = getattr(exc, "body", None) or b""
    try:
        data = json.loads(raw)
    except (TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _header(exc, name: str) -> str | None:
    headers = getattr(exc, "headers", None)
    return headers.get(name) if headers is not None else None


def _seconds(text: str | None, unit: float = 1.0) -> float | None:
    try:
        value = float(text) * unit
    except (TypeError, ValueError):
        return None
    return value if value >= 0 else None


def rate_wait(exc, retry: int) -> float | None:
    """How long to wait before retry number `retry` (0 first) of a call HubSpot answered
    429, from what the answer says; None: do not retry (the daily limit)."""
    body = _body(exc)
    if body.get("policyName") == "DAILY":
        return None
    wait = _seconds(_header(exc, "Retry-After"))
    if wait is None:
        # The ten-second window is rolling: waiting it whole frees the room it counts.
        wait = _seconds(_header(exc, "X-HubSpot-RateLimit-Interval-Milliseconds"), 0.001)
    if wait is None:
        # No header: the search limit (so many a second), or one we do not know.
        wait = SEARCH_PACE * 2 ** retry
    return min(wait, LONGEST_WAIT)


def _as_dict(obj) -> dict:
    data = obj.to_dict()
    return {"id": data["id"], "properties": data.get("properties") or {},
            "archived": bool(data.get("archived")), "updatedAt": data.get("updated_at")}


class HubSpotAdapter:
    def __init__(self, access_token: str, host: str | None = None, timeout: float = 30.0,
                 *, sleep: Callable[[float], None] = time.sleep,
                 rate_retries: int = RATE_RETRIES) -> None:
        kwargs = {"host": host} if host else {}
        self.client = HubSpot(access_token=access_token, **kwargs)
        # The client has no timeout of its own: a stalled call would hang the sync for good.
        self.timeout = timeout
        self.sleep = sleep             # how a 429 is waited out (tests pass their clock's)
        self.rate_retries = rate_retries
        self._calls = 0

    def calls(self) -> int:
        """Requests sent, retries included."""
        return self._calls

    def _call(self, fn, *args, **kwargs):
        retry = 0
        while True:
            self._calls += 1
            try:
                return fn(*args, _request_timeout=self.timeout, **kwargs)
            except Exception as exc:   # each API's ApiException is its own class; all carry status
                status = getattr(exc, "status", None)
                if status is None and not hasattr(exc, "body"):
                    raise ServiceError("hubspot", f"connection failed: {exc}",
                                       transient=True) from exc
                wait = rate_wait(exc, retry) if status == 429 else None
                if wait is not None and retry < self.rate_retries:
                    self.sleep(wait)
                    retry += 1
                    continue
                body = _body(exc)
                if status == 403 and body.get("category") == "MISSING_SCOPES":
                    raise MissingScopes(_required_scopes(body), _call_name(fn, args)) from exc
                raise ServiceError("hubspot", f"{status}: {getattr(exc, 'body', '') or exc}",
                                   status=status,
                                   transient=status == 429 or (status or 0) >= 500) from exc

    def ensure_properties(self) -> list[str]:
        """Create the product's custom properties the account lacks; the ones created."""
        created = []
        for object_type, (group, names) in CUSTOM_PROPERTIES.items():
            existing = {p.name for p in self._call(
                self.client.crm.properties.core_api.get_all, object_type).results}
            for name in names:
                if name in existing:
                    continue
                self._call(self.client.crm.properties.core_api.create, object_type, PropertyCreate(
                    name=name, label=LABELS[name], type="string", field_type="text",
                    group_name=group))
                created.append(f"{object_type}.{name}")
        return created

    def products(self, archived: bool = False) -> list[dict]:
        out, after = [], None
        while True:
            page = self._call(self.client.crm.products.basic_api.get_page, limit=BATCH, after=after,
                              properties=HUBSPOT_PRODUCT_PROPERTIES, archived=archived)
            out += [_as_dict(o) for o in page.results]
            after = page.paging.next.after if page.paging and page.paging.next else None
            if not after:
                return out

    def _search_ids(self, object_type: str, prop: str, operator: str, values=None) -> list[str]:
        """Every id matching, in id order. One query pages through 10,000 results at most:
        sorted by id, each slice of 10,000 goes on from the last id of the one before (one
        filter more, far under the 6 a group may have)."""
        flt = Filter(property_name=prop, operator=operator,
                     **({"values": list(values)} if values is not None else {}))
        ids: list[str] = []
        while True:
            beyond = ([Filter(property_name="hs_object_id", operator="GT", value=ids[-1])]
                      if ids else [])
            after, taken = None, 0
            while True:
                request = PublicObjectSearchRequest(
                    filter_groups=[FilterGroup(filters=[flt, *beyond])],
                    sorts=[{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
                    properties=["hs_object_id"], limit=SEARCH_PAGE, after=after)
                # Ids only: the raw answer, not 200 models whose dates the client parses one
                # by one (most of the time of a search through 10,000 records).
                answer = self._call(self.client.crm.objects.search_api.do_search, object_type,
                                    request, _preload_content=False)
                page = json.loads(answer.data)
                ids += [str(o["id"]) for o in page.get("results") or ()]
                taken += len(page.get("results") or ())
                after = ((page.get("paging") or {}).get("next") or {}).get("after")
                if not after:
                    return ids
                if taken + SEARCH_PAGE > SEARCH_CAP:
                    break     # the next page would be refused: a new slice

    def _associated(self, from_type: str, ids: list[str], to_type: str) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(ids), BATCH):
            body = BatchInputPublicFetchAssociationsBatchRequest(
                inputs=[PublicFetchAssociationsBatchRequest(id=i) for i in ids[start:start + BATCH]])
            answer = self._call(self.client.crm.associations.v4.batch_api.get_page,
                                from_type, to_type, body)
            for result in answer.results or []:
                found.update(str(t.to_object_id) for t in result.to or [])
        return found

    def customer_candidates(self, quote_statuses, deal_stages) -> dict[str, set[str]]:
        """Companies and contacts with a quote in `quote_statuses`, a deal in `deal_stages`,
        or a Stripe link already."""
        quotes = self._search_ids("quotes", "hs_status", "IN", quote_statuses) if quote_statuses else []
        deals = self._search_ids("deals", "dealstage", "IN", deal_stages) if deal_stages else []
        out = {}
        for kind, plural in (("company", "companies"), ("contact", "contacts")):
            ids = set(self._search_ids(plural, "stripe_customer_id", "HAS_PROPERTY"))
            if quotes:
                ids |= self._associated("quotes", quotes, plural)
            if deals:
                ids |= self._associated("deals", deals, plural)
            out[kind] = ids
        return out

    def read(self, plural: str, ids: list[str], properties: list[str]) -> list[dict]:
        out = []
        for start in range(0, len(ids), BATCH):
            body = BatchReadInputSimplePublicObjectId(
                inputs=[SimplePublicObjectId(id=i) for i in ids[start:start + BATCH]],
                properties=properties, properties_with_history=[])
            answer = self._call(self.client.crm.objects.batch_api.read, plural, body)
            out += [_as_dict(o) for o in answer.results]
        return sorted(out, key=lambda o: int(o["id"]) if o["id"].isdigit() else 0)

    def update(self, plural: str, updates: dict[str, dict]) -> None:
        items = [SimplePublicObjectBatchInput(id=i, properties={k: "" if v is None else str(v)
                                                                for k, v in props.items()})
                 for i, props in updates.items() if props]
        for start in range(0, len(items), BATCH):
            self._call(self.client.crm.objects.batch_api.update, plural,
                       BatchInputSimplePublicObjectBatchInput(inputs=items[start:start + BATCH]))


def _required_scopes(body: dict) -> list[tuple[str, ...]]:
    """The alternatives of each requirement HubSpot says is not met (its 403's `errors`)."""
    found = []
    for error in body.get("errors") or ():
        context = (error or {}).get("context") or {}
        named = context.get("requiredGranularScopes") or context.get("requiredScopes") or ()
        if named:
            found.append(tuple(str(s) for s in named))
    return found


def _call_name(fn, args: tuple) -> str:
    """`SearchApi.do_search deals`: the client's method and the object type, for the log."""
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", "call")
    return " ".join([name, *(a for a in args[:2] if isinstance(a, str))])
