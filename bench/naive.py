"""3. The same month the naive way, as automation flows and per-document scripts do it.

Each finalized invoice arrives on its own (a webhook delivery: its id, not counted as a call)
and is handled alone: the invoice retrieved (`client.v1.invoices.retrieve`, with its lines
endpoint when it has more than ten), its customer retrieved, the product of each line
retrieved, the entry made by the same core, and its rows appended to the sheet in one Sheets
call (googleapiclient). The tax rates are listed once at the start. Nothing is cached from one
invoice to the next. At 50 ms a call that is minutes for 500 invoices: the sample is measured
in full and larger months are extrapolated linearly from its cost per invoice.

Google allows about 60 write requests a minute per user: with one append per invoice that is a
floor of N/60 minutes whatever the latency; `quota_check` shows the sandbox, given that quota,
refusing the 61st append of a minute with Google's 429.
"""

from __future__ import annotations

import time

from bench.generation import run_settings
from bench.sandbox import ENTRIES_TAB, Sandbox

GOOGLE_WRITES_PER_MINUTE = 60


def measure_naive(sample: int, latency: float, quota_check: bool = True) -> dict:
    import stripe
    from google.oauth2.credentials import Credentials

    from backend.adapters.google_sheets import GoogleSheetsAdapter
    from backend.adapters.google_http import NO_RETRY
    from backend.core.catalog import Catalog, line_product_id
    from backend.core.customers import generate_missing_codes
    from backend.core.journal import journal_document
    from backend.core.model import Entry, journal_rows
    from backend.errors import ServiceError
    from backend.formats import inexweb
    from backend.sandbox.local import SHEETS_TOKEN, STRIPE_KEY
    from backend.services.generate import entry_tab_spec

    settings = run_settings()
    with Sandbox(sample, latency) as box:
        end = box.endpoints
        ids = box.finalized_invoice_ids()
        client = stripe.StripeClient(STRIPE_KEY, base_addresses={"api": end.stripe_url},
                                     http_client=stripe.RequestsClient())
        # No retries: the quota check must see Google's 429, not the adapter waiting it out.
        sheet = GoogleSheetsAdapter(end.spreadsheet_id, Credentials(token=SHEETS_TOKEN),
                                    base_url=end.sheets_url, backoff=NO_RETRY)
        box.reset_counts()
        started = time.perf_counter()
        sheet.ensure_tabs([entry_tab_spec(ENTRIES_TAB, settings)])
        tax_rates = [t.to_dict(for_json=True) for t in
                     client.v1.tax_rates.list(params={"limit": 100}).auto_paging_iter()]
        entries = rows = 0
        for invoice_id in ids:
            invoice = client.v1.invoices.retrieve(invoice_id).to_dict(for_json=True)
            if invoice["lines"]["has_more"]:
                lines = [line.to_dict(for_json=True) for line in client.v1.invoices.line_items.list(
                    invoice_id, params={"limit": 100}).auto_paging_iter()]
                invoice["lines"] = {**invoice["lines"], "data": lines, "has_more": False}
            customer = client.v1.customers.retrieve(invoice["customer"]).to_dict(for_json=True)
            products = [client.v1.products.retrieve(product).to_dict(for_json=True)
                        for product in map(line_product_id, invoice["lines"]["data"]) if product]
            catalog = Catalog().add_all(tax_rates + products + [customer, invoice])
            generate_missing_codes(catalog, settings)
            outcome = journal_document(invoice, catalog, settings)
            if isinstance(outcome, Entry):
                values = [inexweb.sheet_values(r) for r in journal_rows([outcome])]
                sheet.append(ENTRIES_TAB, values)
                entries += 1
                rows += len(values)
        wall = time.perf_counter() - started
        counts = box.counts()
        rows_in_sheet = box.rows()
        quota = _quota_check(box, sheet, ServiceError) if quota_check else None
    return {"month": sample, "invoices": len(ids), "wall": wall, "per_invoice": wall / sample,
            "calls": counts, "appends": entries, "entries": entries, "rows": rows,
            "rows_in_sheet": rows_in_sheet, "quota": quota}


def _quota_check(box: Sandbox, sheet, service_error) -> dict:
    """With Google's quota set on the sandbox, append one row at a time until refused."""
    box.set_write_quota(GOOGLE_WRITES_PER_MINUTE)
    started = time.perf_counter()
    refused_at, status, message = None, None, ""
    try:
        for n in range(1, GOOGLE_WRITES_PER_MINUTE + 2):
            try:
                sheet.append(ENTRIES_TAB, [["quota check"]])
            except service_error as exc:
                refused_at, status, message = n, exc.status, exc.message
                break
    finally:
        box.set_write_quota(None)
    return {"per_minute": GOOGLE_WRITES_PER_MINUTE, "refused_at": refused_at, "status": status,
            "message": message, "seconds": time.perf_counter() - started}


def quota_floor_seconds(appends: float) -> float:
    """The least time N appends take under Google's per-minute write quota."""
    return appends / GOOGLE_WRITES_PER_MINUTE * 60.0
