"""Stripe through the official library (`stripe.StripeClient`, the API version it pins).

Lists are read 100 at a time with the customer expanded in the same call, so a run needs
about one call per hundred documents; an invoice with more than ten lines gets the rest of its
lines from the lines endpoint. The library retries connection errors, 429s and 5xx itself,
with backoff, and sends idempotency keys on writes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import stripe

from backend.errors import ServiceError
from backend.ports import Progress, no_progress

PAGE = 100


class StripeSourceAdapter:
    def __init__(self, api_key: str, base_url: str | None = None, max_retries: int = 3,
                 timeout: float = 30.0) -> None:
        kwargs = {"base_addresses": {"api": base_url}} if base_url else {}
        http = stripe.RequestsClient(timeout=timeout) if _has_requests() else None
        self.client = stripe.StripeClient(api_key, max_network_retries=max_retries,
                                          http_client=http, **kwargs)
        self._calls = 0
        self._lock = threading.Lock()

    def calls(self) -> int:
        return self._calls

    def _request(self, fn, *args, **kwargs):
        with self._lock:
            self._calls += 1
        try:
            return fn(*args, **kwargs)
        except stripe.StripeError as exc:
            raise _service_error(exc) from exc

    def _pages(self, service, params: dict, progress: Progress = no_progress,
               stage: str = "") -> Iterator[dict]:
        params = {**params, "limit": PAGE}
        read = 0
        while True:
            page = self._request(service.list, params=params)
            items = [obj.to_dict(for_json=True) for obj in page.data]
            read += len(items)
            if stage:
                progress(stage, read, None)
            yield from items
            if not page.has_more or not items:
                return
            params = {**params, "starting_after": items[-1]["id"]}

    @staticmethod
    def _created(gte: int | None, lt: int | None) -> dict:
        window = {k: v for k, v in (("gte", gte), ("lt", lt)) if v is not None}
        return {"created": window} if window else {}

    def _complete_lines(self, document: dict, lines_service) -> dict:
        lines = document.get("lines") or {}
        if not lines.get("has_more"):
            return document
        data = list(lines.get("data") or [])
        params = {"limit": PAGE, "starting_after": data[-1]["id"]} if data else {"limit": PAGE}
        while True:
            page = self._request(lines_service.list, document["id"], params=params)
            data += [obj.to_dict(for_json=True) for obj in page.data]
            if not page.has_more or not page.data:
                break
            params = {"limit": PAGE, "starting_after": data[-1]["id"]}
        return {**document, "lines": {**lines, "data": data, "has_more": False}}

    def invoices(self, created_gte=None, created_lt=None, progress: Progress = no_progress):
        params = {**self._created(created_gte, created_lt), "expand": ["data.customer"]}
        for invoice in self._pages(self.client.v1.invoices, params, progress, "Factures lues"):
            yield self._complete_lines(invoice, self.client.v1.invoices.line_items)

    def credit_notes(self, created_gte=None, created_lt=None):
        params = {**self._created(created_gte, created_lt), "expand": ["data.customer"]}
        for note in self._pages(self.client.v1.credit_notes, params):
            yield self._complete_lines(note, self.client.v1.credit_notes.line_items)

    def customers(self):
        return self._pages(self.client.v1.customers, {})

    def products(self):
        return self._pages(self.client.v1.products, {})

    def tax_rates(self):
        return self._pages(self.client.v1.tax_rates, {})

    def events(self, types: list[str], created_gte: int):
        return self._pages(self.client.v1.events, {"types": types, "created": {"gte": created_gte}})


def _has_requests() -> bool:
    try:
        import requests  # noqa: F401
    except ImportError:
        return False
    return True


def _service_error(exc: stripe.StripeError) -> ServiceError:
    status = getattr(exc, "http_status", None)
    transient = isinstance(exc, (stripe.APIConnectionError, stripe.RateLimitError)) or (
        status is not None and status >= 500)
    message = getattr(exc, "user_message", None) or str(exc) or type(exc).__name__
    if isinstance(exc, stripe.AuthenticationError):
        message = "the Stripe API key was refused (check STRIPE_API_KEY)"
    return ServiceError("stripe", message, transient=transient, status=status,
                        applied_unknown=isinstance(exc, stripe.APIConnectionError))
