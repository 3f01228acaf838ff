"""HubSpot CRM v3 through the official client (hubspot-api-client, its `host` setting points
it at the sandbox). Lists are read 100 at a time, records read and updated 100 per batch
call, searches 200 per page."""

from __future__ import annotations

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


def _as_dict(obj) -> dict:
    data = obj.to_dict()
    return {"id": data["id"], "properties": data.get("properties") or {},
            "archived": bool(data.get("archived")), "updatedAt": data.get("updated_at")}


class HubSpotAdapter:
    def __init__(self, access_token: str, host: str | None = None, timeout: float = 30.0) -> None:
        kwargs = {"host": host} if host else {}
        self.client = HubSpot(access_token=access_token, **kwargs)
        # The client has no timeout of its own: a stalled call would hang the sync for good.
        self.timeout = timeout
        self._calls = 0

    def calls(self) -> int:
        return self._calls

    def _call(self, fn, *args, **kwargs):
        self._calls += 1
        try:
            return fn(*args, _request_timeout=self.timeout, **kwargs)
        except Exception as exc:   # every API's ApiException has its own class; all carry status
            status = getattr(exc, "status", None)
            if status is None and not hasattr(exc, "body"):
                raise ServiceError("hubspot", f"connection failed: {exc}", transient=True) from exc
            raise ServiceError("hubspot", f"{status}: {getattr(exc, 'body', '') or exc}",
                               status=status, transient=status == 429 or (status or 0) >= 500) from exc

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
        ids, after = [], None
        flt = Filter(property_name=prop, operator=operator,
                     **({"values": list(values)} if values is not None else {}))
        while True:
            request = PublicObjectSearchRequest(filter_groups=[FilterGroup(filters=[flt])],
                                                properties=["hs_object_id"], limit=SEARCH_PAGE,
                                                after=after)
            page = self._call(self.client.crm.objects.search_api.do_search, object_type, request)
            ids += [o.id for o in page.results]
            after = page.paging.next.after if page.paging and page.paging.next else None
            if not after:
                return ids

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
