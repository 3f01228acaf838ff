"""Fixtures of the web layer: a local token issuer (its own RSA key, its certificates served on
loopback), the sandbox with the demo company, two companies, and the app wired to them.

    def test_x(web):                      # the app, its client, and helpers to call it
        answer = web.post("/actions/generate", email=web.USER)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from backend.auth.companies import Companies, Company
from backend.auth.local_issuer import LocalIssuer
from backend.core.settings import from_mapping
from backend.demo import DEMO_COMPANY, build_demo_company
from backend.demo.hubspot import build_demo_hubspot
from backend.jobs.dispatch import InlineDispatcher
from backend.sandbox.local import LocalSandbox
from backend.secrets import MemorySecrets
from backend.store.ledger import LedgerStore
from backend.web import create_app

CLIENT_ID = "1234567890-appsscript.apps.googleusercontent.com"
SERVICE_AUDIENCE = "https://backend.example.test"
# The https address HubSpot and Stripe are given (webhook signatures cover it), not the one
# the app sees behind the front end.
PUBLIC_BASE_URL = "https://journal.example.com"
SERVICE_ACCOUNT = "scheduler@project.iam.gserviceaccount.com"
USER = "comptable@maison-coworking.fr"
OTHER_USER = "compta@atelier-velo.fr"
DEMO_SHEET = "sheet-maison-coworking"
OTHER_SHEET = "sheet-atelier-velo"
# Keys that the sandboxes accept and that must never be seen anywhere.
STRIPE_SECRET = "sk_test_51VerySecretKeyNeverShownAnywhere9Zq"
HUBSPOT_SECRET = "pat-eu1-never-shown-either-0000"


def demo_companies() -> Companies:
    settings = from_mapping({"company_name": DEMO_COMPANY["name"], "siren": DEMO_COMPANY["siren"],
                             "axis_names": ";".join(DEMO_COMPANY["axis_names"])})
    return Companies([
        Company("demo", DEMO_COMPANY["name"], DEMO_SHEET, frozenset({USER}),
                {"stripe": "demo-stripe-key", "hubspot": "demo-hubspot-token",
                 "hubspot_webhook": "demo-hubspot-app-secret",
                 "stripe_webhook": "demo-stripe-webhook-secret"}, (), settings),
        Company("atelier", "L'Atelier Vélo", OTHER_SHEET, frozenset({OTHER_USER}),
                {"stripe": "atelier-stripe-key"}, (), from_mapping({})),
    ])


@pytest.fixture(scope="session")
def issuer():
    with LocalIssuer() as running:
        yield running


@pytest.fixture(scope="session")
def demo_company() -> dict:
    return build_demo_company()


@pytest.fixture(scope="session")
def demo_hubspot(demo_company) -> dict:
    return build_demo_hubspot(demo_company)


@pytest.fixture
def sandbox(demo_company, demo_hubspot):
    with LocalSandbox() as running:
        running.stripe.api_key = STRIPE_SECRET
        running.hubspot.access_token = HUBSPOT_SECRET
        running.stripe.load(demo_company)
        running.hubspot.load(demo_hubspot)
        for sheet_id in (DEMO_SHEET, OTHER_SHEET):
            running.sheets.create_spreadsheet("Journal des ventes", ["Feuille 1"],
                                              spreadsheet_id=sheet_id)
        yield running


@dataclass
class Web:
    """The app under test and how to call it as the sidebar does."""
    app: object
    issuer: LocalIssuer
    sandbox: LocalSandbox
    store: LedgerStore
    USER: str = USER
    OTHER_USER: str = OTHER_USER
    calls: list = field(default_factory=list)

    @property
    def client(self):
        return self.app.test_client()

    @property
    def backend(self):
        return self.app.extensions["journal"]

    def token(self, email: str = USER, audience: str = CLIENT_ID, **claims) -> str:
        return self.issuer.token(email, audience, **claims)

    def headers(self, email: str | None = USER, token: str | None = None, **claims) -> dict:
        if token is None and email is None:
            return {}
        return {"Authorization": f"Bearer {token or self.token(email, **claims)}"}

    def post(self, path: str, body: dict | None = None, spreadsheet: str | None = DEMO_SHEET,
             email: str | None = USER, token: str | None = None, **claims):
        body = dict(body or {})
        if spreadsheet is not None:
            body.setdefault("spreadsheet_id", spreadsheet)
        answer = self.client.post(path, json=body, headers=self.headers(email, token, **claims))
        self.calls.append(answer)
        return answer

    def get(self, path: str, spreadsheet: str | None = DEMO_SHEET, email: str | None = USER,
            token: str | None = None, **claims):
        query = {"spreadsheet_id": spreadsheet} if spreadsheet is not None else {}
        answer = self.client.get(path, query_string=query,
                                 headers=self.headers(email, token, **claims))
        self.calls.append(answer)
        return answer

    def run(self, action: str, params: dict | None = None) -> dict:
        """Start an action (executed inline) and return its finished job."""
        answer = self.post(f"/actions/{action}", {"params": params or {}})
        assert answer.status_code == 202, answer.get_json()
        job = self.get(f"/jobs/{answer.get_json()['job']['id']}").get_json()["job"]
        assert job["state"] in ("done", "failed")
        return job

    def sheet(self, sheet_id: str = DEMO_SHEET) -> dict[str, list[list]]:
        adapter = self.sandbox.sheet_adapter(sheet_id)
        return adapter.read(adapter.tab_titles())


def make_config(issuer, sandbox, store, **overrides) -> dict:
    config = {
        "TESTING": True,
        "COMPANIES": demo_companies(),
        "SECRETS": MemorySecrets({"demo-stripe-key": STRIPE_SECRET,
                                  "demo-hubspot-token": HUBSPOT_SECRET,
                                  "demo-hubspot-app-secret": "hubspot-secret",
                                  "demo-stripe-webhook-secret": "whsec_sandbox",
                                  "atelier-stripe-key": "sk_test_atelier_key_not_in_sandbox"}),
        "LEDGER_STORE": store,
        "DISPATCHER": InlineDispatcher(),
        "GOOGLE_CERTS_URL": issuer.certs_url,
        "ID_TOKEN_AUDIENCES": [CLIENT_ID],
        "SERVICE_AUDIENCE": SERVICE_AUDIENCE,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "SERVICE_ACCOUNTS": [SERVICE_ACCOUNT],
        "STRIPE_API_BASE": sandbox.stripe_url,
        "SHEETS_API_BASE": sandbox.sheets_url,
        "HUBSPOT_API_BASE": sandbox.hubspot_url,
        "JOB_DISPATCH": "thread",
    }
    config.update(overrides)
    return config


@pytest.fixture
def ledger(tmp_path: Path):
    store = LedgerStore(f"sqlite:///{tmp_path / 'ledger.db'}")
    store.migrate()
    yield store
    store.close()


@pytest.fixture
def make_web(issuer, sandbox, ledger):
    def make(**overrides) -> Web:
        return Web(create_app(make_config(issuer, sandbox, ledger, **overrides)), issuer,
                   sandbox, ledger)
    return make


@pytest.fixture
def web(make_web) -> Web:
    return make_web()


# --- job stores on each backend -------------------------------------------------------------

@pytest.fixture(scope="session")
def postgres_database(postgres_server):
    url = postgres_server.create_database("jobs")
    yield url
    postgres_server.drop_database(url)


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def make_job_store(request, tmp_path):
    """Job stores on one database, each with its own engine (like separate instances); the
    memory store is one object shared by all."""
    from backend.jobs.sql_store import SqlJobStore
    from backend.jobs.store import MemoryJobStore
    if request.param == "memory":
        shared = MemoryJobStore()
        yield lambda: shared
        return
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'jobs.db'}"
    else:
        server = request.getfixturevalue("postgres_server")
        url = server.create_schema(request.getfixturevalue("postgres_database"))
    stores = []

    def make():
        store = SqlJobStore(url)
        store.ensure_tables()
        stores.append(store)
        return store

    yield make
    for store in stores:
        store.engine.dispose()
    if request.param == "postgresql":
        request.getfixturevalue("postgres_server").drop_schema(url)
