"""Stripe products, prices and customers for the sync, through `stripe.StripeClient`.

Every write carries an idempotency key that names the change, so a sync retried after a crash
gets Stripe's stored answer instead of a second product or customer. A 400 (Stripe refuses
what one record holds) is raised as `StripeRefusal`, which the sync reports for that record
alone; every other failure stays a `ServiceError` that ends the run.
"""

from __future__ import annotations

import threading

import stripe

from backend.adapters.stripe_source import _has_requests, service_error
from backend.sync import stripe_rules
from backend.sync.stripe_rules import StripeRefusal

PAGE = 100


class StripeCatalogAdapter:
    def __init__(self, api_key: str, base_url: str | None = None, max_retries: int = 3,
                 timeout: float = 30.0) -> None:
        kwargs = {"base_addresses": {"api": base_url}} if base_url else {}
        if _has_requests():   # as the source adapter: a stalled call gives up, then is retried
            kwargs["http_client"] = stripe.RequestsClient(timeout=timeout)
        self.client = stripe.StripeClient(api_key, max_network_retries=max_retries, **kwargs)
        self._calls = 0
        self._lock = threading.Lock()   # the sync creates customers from a few threads

    def calls(self) -> int:
        return self._calls

    def _call(self, fn, *args, **kwargs):
        with self._lock:
            self._calls += 1
        try:
            result = fn(*args, **kwargs)
        except stripe.InvalidRequestError as exc:
            if exc.http_status != 400:
                raise service_error(exc) from exc
            raise StripeRefusal(exc.user_message or str(exc), param=exc.param,
                                code=exc.code) from exc
        except stripe.StripeError as exc:
            raise service_error(exc) from exc
        return result

    def _all(self, service, params: dict) -> list[dict]:
        out, params = [], {**params, "limit": PAGE}
        while True:
            page = self._call(service.list, params=params)
            items = [o.to_dict(for_json=True) for o in page.data]
            out += items
            if not page.has_more or not items:
                return out
            params = {**params, "starting_after": items[-1]["id"]}

    def products(self) -> list[dict]:
        return self._all(self.client.v1.products, {})

    def prices(self) -> list[dict]:
        return self._all(self.client.v1.prices, {"active": True})

    def customers(self) -> list[dict]:
        return self._all(self.client.v1.customers, {})

    def create_product(self, fields: dict, hubspot_id: str, key: str) -> dict:
        metadata = {"accounting_code": fields["code"], "hubspot_product_id": hubspot_id,
                    **{f"analytic_axis_{i}": fields[f"axis_{i}"] for i in (1, 2, 3)}}
        first_price = {"currency": "eur", "unit_amount": fields["price"],
                       "tax_behavior": "exclusive"}
        recurring = stripe_rules.recurring(fields.get("period") or "")
        if recurring:
            first_price["recurring"] = recurring
        params = {"name": fields["name"], "metadata": metadata, "default_price_data": first_price}
        if fields["description"]:
            params["description"] = fields["description"]
        return self._call(self.client.v1.products.create, params=params,
                          options={"idempotency_key": key}).to_dict(for_json=True)

    def update_product(self, product_id: str, params: dict) -> dict:
        return self._call(self.client.v1.products.update, product_id, params=params).to_dict(for_json=True)

    def create_price(self, product_id: str, cents: int, key: str,
                     replaces: str | None = None, recurring: dict | None = None) -> dict:
        """`replaces`: the price this one takes over from, kept in its metadata so that a
        change cut short can be finished by the next sync; `recurring`: its billing period
        ({"interval": "month", "interval_count": 1}), None for a one-time price."""
        params = {"product": product_id, "currency": "eur", "unit_amount": cents,
                  "tax_behavior": "exclusive"}
        if recurring:
            params["recurring"] = recurring
        if replaces:
            params["metadata"] = {"replaces_price": replaces}
        return self._call(self.client.v1.prices.create, params=params,
                          options={"idempotency_key": key}).to_dict(for_json=True)

    def archive_price(self, price_id: str) -> None:
        self._call(self.client.v1.prices.update, price_id, params={"active": False})

    def create_customer(self, fields: dict, object_type: str, hubspot_id: str, key: str) -> dict:
        params = {"name": fields["name"],
                  "metadata": {"accounting_code": fields["code"], f"hubspot_{object_type}_id": hubspot_id}}
        if fields.get("email"):
            params["email"] = fields["email"]
        address = {k: fields[k] for k in ("line1", "city", "postal_code", "country") if fields.get(k)}
        if address:
            params["address"] = address
        return self._call(self.client.v1.customers.create, params=params,
                          options={"idempotency_key": key}).to_dict(for_json=True)

    def update_customer(self, customer_id: str, params: dict, object_type: str, hubspot_id: str) -> dict:
        """Also records the HubSpot link in the customer's metadata."""
        metadata = {**params.get("metadata", {}), f"hubspot_{object_type}_id": hubspot_id}
        return self._call(self.client.v1.customers.update, customer_id,
                          params={**params, "metadata": metadata}).to_dict(for_json=True)
