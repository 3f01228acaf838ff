"""What an action gets: `ActionConnections`, the company's collaborators, each opened on
first use (an action that does not touch Stripe needs no Stripe key).

- `sheet`: the company's spreadsheet through the Sheets API, as the backend's own identity:
  the company's service account key when its config names a `google` secret, else the App
  Engine service account (Application Default Credentials), else the sandbox's token when
  the Sheets address is a local sandbox;
- `settings`: the company's settings, with the sheet's Paramètres tab over them;
- `stripe`: the Stripe reader, `stripe_catalog` the Stripe products and customers writer
  (the sync), both with the company's `stripe` secret;
- `hubspot`: HubSpot's CRM, with the company's `hubspot` secret (a private app's token);
- `store`: the ledger store; `secret(kind)`: a secret of the company;
- `trigger`, `params`, `now`: who started the job, its parameters, the job's clock.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from backend.auth.companies import Company
from backend.core.settings import Settings
from backend.jobs.model import Job
from backend.ports import Spreadsheet, StripeSource
from backend.secrets import Secret, SecretMissing, SecretSource
from backend.store.ledger import LedgerStore


@dataclass(frozen=True)
class ServiceUrls:
    """Where the service APIs are: None for the real ones, a loopback address for a sandbox."""
    stripe: str | None = None
    sheets: str | None = None
    hubspot: str | None = None
    # The https address Stripe and HubSpot call the backend at (PUBLIC_BASE_URL); None when
    # unknown, as locally. The preflight compares the registered webhook endpoints with it.
    public: str | None = None


@dataclass
class ActionConnections:
    company: Company
    job: Job
    store: LedgerStore
    secrets: SecretSource
    urls: ServiceUrls = field(default_factory=ServiceUrls)
    now: datetime | None = None

    @property
    def company_id(self) -> str:
        return self.company.id

    @property
    def trigger(self) -> str:
        return self.job.trigger

    @property
    def params(self) -> dict:
        return self.job.params

    def secret(self, kind: str) -> Secret:
        name = self.company.secret_name(kind)
        if not name:
            raise SecretMissing(f"{self.company.id}:{kind}", "the company's config (secrets)")
        return self.secrets.get(name)

    @cached_property
    def sheet(self) -> Spreadsheet:
        from backend.adapters.google_sheets import GoogleSheetsAdapter
        return GoogleSheetsAdapter(self.company.spreadsheet_id, self.google_credentials(),
                                   base_url=self.urls.sheets)

    @cached_property
    def settings(self) -> Settings:
        from backend.sheet_settings import load_sheet_settings
        return load_sheet_settings(self.sheet, self.company.settings)

    @cached_property
    def stripe(self) -> StripeSource:
        from backend.adapters.stripe_source import StripeSourceAdapter
        return StripeSourceAdapter(self.secret("stripe").reveal(), base_url=self.urls.stripe)

    @cached_property
    def stripe_catalog(self):
        from backend.adapters.stripe_catalog import StripeCatalogAdapter
        return StripeCatalogAdapter(self.secret("stripe").reveal(), base_url=self.urls.stripe)

    @cached_property
    def hubspot(self):
        from backend.adapters.hubspot_crm import HubSpotAdapter
        return HubSpotAdapter(self.secret("hubspot").reveal(), host=self.urls.hubspot)

    def google_credentials(self):
        """The backend's identity for Sheets: the company's service account, the sandbox's
        token, else Application Default Credentials (App Engine's service account)."""
        from backend.adapters.google_sheets import SCOPES
        if self.company.secret_name("google"):
            from google.oauth2 import service_account
            info = json.loads(self.secret("google").reveal())
            return service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
        if self.urls.sheets:
            from google.oauth2.credentials import Credentials
            from backend.sandbox.local import SHEETS_TOKEN
            return Credentials(token=SHEETS_TOKEN)
        import google.auth
        credentials, _project = google.auth.default(scopes=SCOPES)
        return credentials


Connect = Callable[[Company, Job], ActionConnections]


def connector(store: Callable[[], LedgerStore], secrets: SecretSource, urls: ServiceUrls,
              clock: Callable[[], datetime]) -> Connect:
    def connect(company: Company, job: Job) -> ActionConnections:
        return ActionConnections(company, job, store(), secrets, urls, clock())
    return connect
