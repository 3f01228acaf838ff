"""A whole installation on loopback for the campaign: the token issuer, the sandbox (Stripe,
Sheets, HubSpot) loaded with the demo company, a ledger store, and the Flask app configured
for several companies, as App Engine would serve it (no pytest fixtures: `make stress` runs
without pytest).

    with World(companies=5) as world:
        token = world.token(world.users[0])
        world.client.post("/actions/generate", json={...}, headers=world.auth(token))
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path

from backend.auth.companies import Companies, Company
from backend.auth.local_issuer import LocalIssuer
from backend.core.settings import from_mapping
from backend.demo import DEMO_COMPANY, build_demo_company
from backend.demo.hubspot import build_demo_hubspot
from backend.jobs.dispatch import InlineDispatcher
from backend.sandbox.local import LocalSandbox
from backend.secrets import MemorySecrets
from backend.store.ledger import LedgerStore

CLIENT_ID = "1234567890-appsscript.apps.googleusercontent.com"
SERVICE_AUDIENCE = "https://backend.example.test"
SERVICE_ACCOUNT = "scheduler@project.iam.gserviceaccount.com"
# What the sandboxes accept, and what must never be seen in a log line, answer or cell.
STRIPE_SECRET = "sk_test_51StressSecretKeyNeverShownAnywhere7Qx"
HUBSPOT_SECRET = "pat-eu1-stress-never-shown-either-4242"
HUBSPOT_APP_SECRET = "hubspot-app-secret-never-shown-1111"
STRIPE_WEBHOOK_SECRET = "whsec_stress_never_shown_2222"
SECRETS = (STRIPE_SECRET, HUBSPOT_SECRET, HUBSPOT_APP_SECRET, STRIPE_WEBHOOK_SECRET)

_DEMO: dict | None = None
_HUBSPOT: dict | None = None


def demo_data() -> tuple[dict, dict]:
    """The demo company's Stripe objects and HubSpot records (built once per process)."""
    global _DEMO, _HUBSPOT
    if _DEMO is None:
        _DEMO = build_demo_company()
        _HUBSPOT = build_demo_hubspot(_DEMO)
    return _DEMO, _HUBSPOT


class World:
    """`companies` companies share the demo Stripe and HubSpot accounts; each has its own
    spreadsheet (`sheet-<id>`), user (`compta@<id>.test`) and rows in the ledger store. The
    first is "demo" and has webhook secrets."""

    def __init__(self, companies: int = 2, dispatch: str = "thread", database_url: str | None = None,
                 latency: float = 0.0, hubspot: bool = True) -> None:
        self.company_ids = ["demo"] + [f"societe{n}" for n in range(2, companies + 1)]
        self.users = [f"compta@{cid}.test" for cid in self.company_ids]
        self.sheets = [f"sheet-{cid}" for cid in self.company_ids]
        self.dispatch = dispatch
        self.database_url = database_url
        self.latency = latency
        self.hubspot = hubspot
        self._tmp: tempfile.TemporaryDirectory | None = None

    # --- life -----------------------------------------------------------------------------

    def __enter__(self) -> "World":
        from backend.web import create_app
        self._tmp = tempfile.TemporaryDirectory(prefix="stress-")
        self.tmp = Path(self._tmp.name)
        self.issuer = LocalIssuer().__enter__()
        self.sandbox = LocalSandbox(latency=self.latency).__enter__()
        demo, hubspot = demo_data()
        self.sandbox.stripe.api_key = STRIPE_SECRET
        self.sandbox.hubspot.access_token = HUBSPOT_SECRET
        self.sandbox.stripe.load(copy.deepcopy(demo))
        if self.hubspot:
            self.sandbox.hubspot.load(copy.deepcopy(hubspot))
        for sheet in self.sheets:
            self.sandbox.sheets.create_spreadsheet("Journal des ventes", ["Feuille 1"],
                                                   spreadsheet_id=sheet)
        self.store = LedgerStore(self.database_url or f"sqlite:///{self.tmp / 'ledger.db'}")
        self.store.migrate()
        self.app = create_app(self.config())
        return self

    def __exit__(self, *exc) -> None:
        self.store.close()
        self.sandbox.__exit__(*exc)
        self.issuer.__exit__(*exc)
        self._tmp.cleanup()

    def config(self) -> dict:
        settings = from_mapping({"company_name": DEMO_COMPANY["name"], "siren": DEMO_COMPANY["siren"],
                                 "axis_names": ";".join(DEMO_COMPANY["axis_names"])})
        companies = []
        for cid, user, sheet in zip(self.company_ids, self.users, self.sheets):
            secrets = {"stripe": "stripe-key", "hubspot": "hubspot-token"}
            if cid == "demo":
                secrets |= {"hubspot_webhook": "hubspot-app-secret",
                            "stripe_webhook": "stripe-webhook-secret"}
            companies.append(Company(cid, f"Société {cid}", sheet, frozenset({user}), secrets,
                                     (), settings))
        return {
            "TESTING": False,
            "COMPANIES": Companies(companies),
            "SECRETS": MemorySecrets({"stripe-key": STRIPE_SECRET, "hubspot-token": HUBSPOT_SECRET,
                                      "hubspot-app-secret": HUBSPOT_APP_SECRET,
                                      "stripe-webhook-secret": STRIPE_WEBHOOK_SECRET}),
            "LEDGER_STORE": self.store,
            "DISPATCHER": InlineDispatcher() if self.dispatch == "inline" else None,
            "GOOGLE_CERTS_URL": self.issuer.certs_url,
            "ID_TOKEN_AUDIENCES": [CLIENT_ID],
            "SERVICE_AUDIENCE": SERVICE_AUDIENCE,
            "SERVICE_ACCOUNTS": [SERVICE_ACCOUNT],
            "STRIPE_API_BASE": self.sandbox.stripe_url,
            "SHEETS_API_BASE": self.sandbox.sheets_url,
            "HUBSPOT_API_BASE": self.sandbox.hubspot_url,
            "JOB_DISPATCH": "thread",
        }

    # --- calling it ------------------------------------------------------------------------

    @property
    def client(self):
        return self.app.test_client()

    @property
    def backend(self):
        return self.app.extensions["journal"]

    def token(self, email: str, audience: str = CLIENT_ID, **claims) -> str:
        return self.issuer.token(email, audience, **claims)

    @staticmethod
    def auth(token: str) -> dict:
        return {"Authorization": f"Bearer {token}"}

    def sheet(self, sheet_id: str) -> dict[str, list[list]]:
        """Every tab of a spreadsheet, as the values Sheets would give."""
        adapter = self.sandbox.sheet_adapter(sheet_id)
        return adapter.read(adapter.tab_titles())
