"""The whole sandbox on loopback: Stripe and Google Sheets stand-ins sharing one fault plan,
with the production adapters pointed at them. Used by the demo, the tests and benchmarks."""

from __future__ import annotations

from backend.sandbox.faults import FaultPlan
from backend.sandbox.hubspot_api import HubSpotSandbox
from backend.sandbox.server import serve
from backend.sandbox.sheets_api import SheetsSandbox
from backend.sandbox.stripe_api import StripeSandbox

STRIPE_KEY = "sk_test_sandbox"
SHEETS_TOKEN = "sandbox-token"
HUBSPOT_TOKEN = "pat-sandbox"


class LocalSandbox:
    def __init__(self, plan: FaultPlan | None = None, latency: float = 0.0,
                 stripe_rate_limit: int | None = None) -> None:
        self.plan = plan or FaultPlan(latency=latency)
        self.stripe = StripeSandbox(self.plan, api_key=STRIPE_KEY,
                                    rate_limit_per_second=stripe_rate_limit)
        self.sheets = SheetsSandbox(self.plan, token=SHEETS_TOKEN)
        self.hubspot = HubSpotSandbox(self.plan, access_token=HUBSPOT_TOKEN)
        self._running = []

    def __enter__(self) -> "LocalSandbox":
        self._running = [serve(self.stripe), serve(self.sheets), serve(self.hubspot)]
        self.stripe_url, self.sheets_url, self.hubspot_url = (r.url for r in self._running)
        return self

    def __exit__(self, *exc) -> None:
        for running in self._running:
            running.stop()

    def stripe_adapter(self, max_retries: int = 3):
        from backend.adapters.stripe_source import StripeSourceAdapter
        return StripeSourceAdapter(STRIPE_KEY, base_url=self.stripe_url, max_retries=max_retries)

    def sheet_adapter(self, spreadsheet_id: str):
        from google.oauth2.credentials import Credentials

        from backend.adapters.google_sheets import GoogleSheetsAdapter
        return GoogleSheetsAdapter(spreadsheet_id, Credentials(token=SHEETS_TOKEN),
                                   base_url=self.sheets_url)

    def catalog_adapter(self, max_retries: int = 3):
        from backend.adapters.stripe_catalog import StripeCatalogAdapter
        return StripeCatalogAdapter(STRIPE_KEY, base_url=self.stripe_url, max_retries=max_retries)

    def hubspot_adapter(self):
        from backend.adapters.hubspot_crm import HubSpotAdapter
        return HubSpotAdapter(HUBSPOT_TOKEN, host=self.hubspot_url)
