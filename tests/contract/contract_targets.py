"""Where a contract scenario runs: the local sandboxes (always) or real test accounts (when
their credentials are given), behind one interface, so that the same scenario functions run
on both.

A scenario asks its target for what it needs: objects made in Stripe (customers, products
and prices through the official `stripe` library on both targets; tax rates and invoices
through the library on a real account, and through the sandbox's own helpers locally, its API
having no endpoint to write them), the official HubSpot and Google clients, the product's
adapters pointed at the right place, and `wait_for`, which polls until what was written is
listed (lists and HubSpot's search lag behind writes: up to 90 s on a real account, 10 s on
the sandbox, whose search lags a second).

Every object a run makes carries its run tag (Stripe metadata `contract_run=<uuid>`, a
`[contract-xxxxxxxx]` prefix on HubSpot names, tabs named `contract-xxxxxxxx …` in the
sheet) and is registered in the run's `Cleanup`, which disposes of all of them when the test
ends, passed or failed.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import stripe

RUN_TAG = "contract_run"          # Stripe metadata key of every object a run makes
STRIPE_TEST_PREFIXES = ("sk_test_", "rk_test_")

# What each service needs from the environment, in the order the skip message names them.
VARIABLES = {
    "stripe": ("CONTRACT_STRIPE_KEY",),
    "hubspot": ("CONTRACT_HUBSPOT_TOKEN",),
    "sheets": ("CONTRACT_SPREADSHEET_ID", "CONTRACT_GOOGLE_CREDENTIALS"),
}
# The scenarios make a won deal to turn the run's company into a customer: the contract
# tests' private app needs this scope beyond the product's (README.md lists those).
CONTRACT_HUBSPOT_SCOPES = ("crm.objects.deals.write",)
# Where the real clients go; unset: the services themselves. Only for testing this harness
# (e.g. proving that a live key is refused before any connection is opened).
ADDRESSES = {"stripe": "CONTRACT_STRIPE_API_BASE", "hubspot": "CONTRACT_HUBSPOT_API_BASE",
             "sheets": "CONTRACT_SHEETS_API_BASE"}


class LiveKeyRefused(Exception):
    """CONTRACT_STRIPE_KEY is not a test-mode key: nothing is called with it."""


def needs(*services: str):
    """Declares the services a scenario uses (`@needs("stripe", "sheets")`): the real target
    is skipped, naming the variables, unless all of theirs are set."""
    unknown = set(services) - set(VARIABLES)
    if unknown:
        raise ValueError(f"unknown services {sorted(unknown)}")

    def mark(function):
        function.contract_needs = tuple(services)
        return function
    return mark


def missing_variables(services, environ: Mapping[str, str] = os.environ) -> list[str]:
    return [name for service in services for name in VARIABLES[service]
            if not environ.get(name, "").strip()]


def check_stripe_key(key: str) -> str:
    """The key if it is a test-mode secret or restricted key; else LiveKeyRefused, whose
    message never shows more than the key's prefix."""
    key = key.strip()
    if not key.startswith(STRIPE_TEST_PREFIXES):
        parts = key.split("_")
        shown = f"{parts[0]}_{parts[1]}_…" if len(parts) >= 3 else "not a Stripe secret key"
        raise LiveKeyRefused(
            f"CONTRACT_STRIPE_KEY is not a test-mode key ({shown}): refused before any call. "
            "Contract tests create, void and delete objects: give a key starting with "
            "sk_test_ or rk_test_ (Stripe Dashboard, test mode, Developers › API keys).")
    return key


# --- the run: its tag and what it must dispose of ------------------------------------------

@dataclass
class Run:
    """One test's run: its tag, and the objects to dispose of when it ends."""

    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    started: int = field(default_factory=lambda: int(time.time()))
    cleanup: Cleanup = field(default_factory=lambda: Cleanup())

    @property
    def short(self) -> str:
        return self.id[:8]

    @property
    def label(self) -> str:
        """`contract-xxxxxxxx`: what tab titles and HubSpot names start with."""
        return f"contract-{self.short}"

    @property
    def hubspot_prefix(self) -> str:
        return f"[{self.label}] "

    @property
    def tab_prefix(self) -> str:
        return f"{self.label} "

    @property
    def company(self) -> str:
        """The company key in the ledger store and in Stripe idempotency keys (unique)."""
        return f"contract-{self.id}"

    @property
    def metadata(self) -> dict:
        return {RUN_TAG: self.id}


@dataclass
class Cleanup:
    """What a run made, disposed of last made first. Every step is tried even when one
    fails; `failures` says which did and why."""

    steps: list[tuple[str, Callable[[], None]]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    done: list[str] = field(default_factory=list)

    def add(self, what: str, step: Callable[[], None]) -> None:
        self.steps.append((what, step))

    def run(self) -> None:
        while self.steps:
            what, step = self.steps.pop()
            try:
                step()
                self.done.append(what)
            except Exception as exc:   # noqa: BLE001 - the others must still be disposed of
                self.failures.append(f"{what}: {type(exc).__name__}: {exc}"[:300])


# --- the targets ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Item:
    """An invoice line to make: a price of a product, a quantity, a tax rate."""
    price: str
    product: str
    unit_amount: int
    quantity: int
    tax_rate: str
    percentage: int


class Target:
    """What both targets share: the official clients and the product's adapters, and the
    objects made through the `stripe` library (the sandbox has those endpoints)."""

    name = ""
    poll_seconds = 0.0          # how long `wait_for` keeps trying (0: once)
    poll_every = 2.0

    def __init__(self, run: Run) -> None:
        self.run = run
        self.stripe: stripe.StripeClient | None = None
        self.hubspot = None      # hubspot.HubSpot
        self.spreadsheet_id: str | None = None

    # the product's adapters
    def source(self):
        raise NotImplementedError

    def catalog(self):
        raise NotImplementedError

    def hubspot_adapter(self):
        raise NotImplementedError

    def sheet_adapter(self):
        raise NotImplementedError

    # Stripe objects both targets make through the library
    def customer(self, name: str, email: str) -> str:
        made = self.stripe.v1.customers.create(params={
            "name": name, "email": email, "metadata": self.run.metadata})
        self.run.cleanup.add(f"Stripe customer {made.id}", lambda: self.dispose("customer", made.id))
        return made.id

    def product(self, name: str, code: str, sections: tuple[str, str, str],
                unit_amount: int) -> tuple[str, str]:
        """(product id, price id): a product with its accounting fields and a one-time
        price in euros, tax excluded."""
        metadata = {**self.run.metadata, "accounting_code": code,
                    **{f"analytic_axis_{i}": s for i, s in enumerate(sections, start=1)}}
        made = self.stripe.v1.products.create(params={"name": name, "metadata": metadata})
        self.run.cleanup.add(f"Stripe product {made.id}", lambda: self.dispose("product", made.id))
        price = self.stripe.v1.prices.create(params={
            "product": made.id, "currency": "eur", "unit_amount": unit_amount,
            "tax_behavior": "exclusive", "metadata": self.run.metadata})
        self.run.cleanup.add(f"Stripe price {price.id}", lambda: self.dispose("price", price.id))
        return made.id, price.id

    def adopt(self, kind: str, object_id: str) -> None:
        """An object the product made for the run (the sync's customers, products, prices):
        tagged like the rest (on the kinds the library can update) and disposed of."""
        if kind in ("customer", "product", "price"):
            service = {"customer": self.stripe.v1.customers, "product": self.stripe.v1.products,
                       "price": self.stripe.v1.prices}[kind]
            service.update(object_id, params={"metadata": self.run.metadata})
        self.run.cleanup.add(f"Stripe {kind} {object_id}", lambda: self.dispose(kind, object_id))

    def events_for(self, ids: set[str], types: list[str], expected: int) -> list[dict]:
        """The events Stripe recorded for the run's objects since the run started, oldest
        first, as plain dicts (the payload a webhook delivery would carry)."""
        found: list[dict] = []

        def listed() -> bool:
            events = self.stripe.v1.events.list(params={
                "types": types, "created": {"gte": self.run.started - 5}, "limit": 100})
            found[:] = [e for e in (event.to_dict(for_json=True)
                                    for event in events.auto_paging_iter())
                        if e["data"]["object"].get("id") in ids]
            return len(found) >= expected
        self.wait_for(listed, f"{expected} events of the run's objects listed by Stripe")
        return sorted(found, key=lambda e: (e["created"], e["id"]))

    def wait_for(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + self.poll_seconds
        while not condition():
            if time.monotonic() >= deadline:
                raise AssertionError(f"{self.name}: not seen in {self.poll_seconds:.0f} s: {what}")
            time.sleep(self.poll_every)

    # what differs
    def tax_rate(self, percentage: int) -> str:
        raise NotImplementedError

    def invoice(self, customer: str, items: list[Item]) -> str:
        """A draft invoice of the run, billed by sending it (no card needed), in euros."""
        raise NotImplementedError

    def finalize(self, invoice_id: str) -> None:
        raise NotImplementedError

    def void(self, invoice_id: str) -> None:
        raise NotImplementedError

    def dispose(self, kind: str, object_id: str) -> None:
        raise NotImplementedError

    def archive(self, kind: str, object_id: str) -> None:
        """Products and prices cannot be deleted once used: archived, on both targets. A
        product's default price cannot be archived: it goes with its product."""
        api = self.stripe.v1
        if kind == "product":
            api.products.update(object_id, params={"active": False})
            return
        product = api.products.retrieve(api.prices.retrieve(object_id).product)
        if product.default_price != object_id:
            api.prices.update(object_id, params={"active": False})

    # HubSpot records, through the official client on both targets
    def hubspot_record(self, object_type: str, properties: dict) -> str:
        from hubspot.crm.objects.models import SimplePublicObjectInputForCreate
        made = self.hubspot.crm.objects.basic_api.create(
            object_type, SimplePublicObjectInputForCreate(properties=properties))
        self.run.cleanup.add(f"HubSpot {object_type} {made.id}",
                             lambda: self.hubspot.crm.objects.basic_api.archive(object_type, made.id))
        return str(made.id)

    def hubspot_associate(self, from_type: str, from_id: str, to_type: str, to_id: str) -> None:
        self.hubspot.crm.associations.v4.basic_api.create_default(from_type, from_id, to_type, to_id)

    def hubspot_properties(self, object_type: str, object_id: str, names: list[str]) -> dict:
        read = self.hubspot.crm.objects.basic_api.get_by_id(object_type, object_id,
                                                             properties=names)
        return read.properties or {}

    def hubspot_update(self, object_type: str, object_id: str, properties: dict) -> None:
        from hubspot.crm.objects.models import SimplePublicObjectInput
        self.hubspot.crm.objects.basic_api.update(object_type, object_id,
                                                  SimplePublicObjectInput(properties=properties))

    # the sheet's tabs of the run
    def drop_run_tabs(self, sheet) -> None:
        """Delete every tab whose title carries the run's prefix (through the adapter's own
        googleapiclient resource: the port has no such operation, the product never does it)."""
        answer = sheet.sheets.get(spreadsheetId=self.spreadsheet_id,
                                  fields="sheets.properties(sheetId,title)").execute(http=sheet.http)
        ours = [s["properties"]["sheetId"] for s in answer.get("sheets", ())
                if s["properties"]["title"].startswith(self.run.tab_prefix)]
        if ours:
            sheet.sheets.batchUpdate(spreadsheetId=self.spreadsheet_id, body={"requests": [
                {"deleteSheet": {"sheetId": sheet_id}} for sheet_id in ours]}).execute(http=sheet.http)


class SandboxTarget(Target):
    """The local sandboxes on loopback, empty; the product's adapters and the official
    clients pointed at them."""

    name = "sandbox"
    # HubSpot's search index lags behind writes here too (a second, not up to a minute):
    # the scenarios' waits are exercised in make test.
    search_lag = 1.0
    poll_seconds = 10.0
    poll_every = 0.1

    def __init__(self, run: Run, box) -> None:
        from hubspot import HubSpot

        from backend.sandbox.local import HUBSPOT_TOKEN, STRIPE_KEY
        super().__init__(run)
        self.box = box
        box.hubspot.scopes = box.hubspot.scopes | set(CONTRACT_HUBSPOT_SCOPES)
        box.hubspot.lag = self.search_lag
        self.stripe = stripe.StripeClient(STRIPE_KEY, base_addresses={"api": box.stripe_url},
                                          max_network_retries=0)
        self.hubspot = HubSpot(access_token=HUBSPOT_TOKEN, host=box.hubspot_url)
        self.spreadsheet_id = box.sheets.create_spreadsheet("Journal (contrat)", ["Feuille 1"])
        self.disposed: list[tuple[str, str]] = []
        self._invoices = 0
        self.add_neighbours()

    def source(self):
        return self.box.stripe_adapter(max_retries=0)

    def catalog(self):
        return self.box.catalog_adapter(max_retries=0)

    def hubspot_adapter(self):
        return self.box.hubspot_adapter()

    def sheet_adapter(self):
        return self.box.sheet_adapter(self.spreadsheet_id)

    def tax_rate(self, percentage: int) -> str:
        rate_id = f"txr_contract{self.run.short}{percentage}"
        self.box.stripe.add({"object": "tax_rate", "id": rate_id, "percentage": percentage,
                             "inclusive": False, "country": "FR", "tax_type": "vat",
                             "active": True, "display_name": "TVA", "livemode": False,
                             "created": int(time.time()), "metadata": self.run.metadata})
        self.run.cleanup.add(f"Stripe tax rate {rate_id}", lambda: self.dispose("tax_rate", rate_id))
        return rate_id

    def invoice(self, customer: str, items: list[Item]) -> str:
        invoice_id = self._draft(customer, items, self.run.metadata)
        self.run.cleanup.add(f"Stripe invoice {invoice_id}", lambda: self.dispose("invoice", invoice_id))
        return invoice_id

    def _draft(self, customer: str, items: list[Item], metadata: dict) -> str:
        import builders  # tests/builders.py: Stripe's shapes, totals as Stripe adds them
        self._invoices += 1
        invoice_id = f"in_contract{self.run.short}{self._invoices:04d}"
        lines = []
        for n, item in enumerate(items):
            line = builders.line(f"il_contract{self.run.short}{self._invoices:04d}{n:02d}",
                                 item.product, item.unit_amount * item.quantity,
                                 rate=(item.tax_rate, item.percentage))
            line["quantity"] = item.quantity
            line["pricing"]["price_details"]["price"] = item.price
            line["pricing"]["unit_amount_decimal"] = str(item.unit_amount)
            lines.append(line)
        draft = builders.invoice(invoice_id, None, customer, lines, status="draft",
                                 finalized=None)
        draft.update(created=int(time.time()), collection_method="send_invoice",
                     hosted_invoice_url=None, invoice_pdf=None, livemode=False,
                     metadata=metadata, parent=None)
        self.box.stripe.add(draft)
        return invoice_id

    def add_neighbours(self) -> None:
        """What a shared test account holds besides the run's objects, made today by
        someone else: a customer with a finalized invoice, a HubSpot company with a won deal
        and a HubSpot product. A scenario must leave them alone (`disturbed_neighbours`)."""
        api = self.stripe.v1
        customer = api.customers.create(params={"name": "Voisin SARL",
                                                "email": "compta@voisin.example"}).id
        product = api.products.create(params={"name": "Produit voisin", "metadata": {
            "accounting_code": "706900"}}).id
        price = api.prices.create(params={"product": product, "currency": "eur",
                                          "unit_amount": 5_000}).id
        rate = f"txr_neighbour{self.run.short}"
        self.box.stripe.add({"object": "tax_rate", "id": rate, "percentage": 20,
                             "inclusive": False, "active": True, "display_name": "TVA",
                             "country": "FR", "created": int(time.time()), "metadata": {}})
        invoice = self._draft(customer, [Item(price, product, 5_000, 1, rate, 20)], {})
        self.finalize(invoice)
        from hubspot.crm.objects.models import SimplePublicObjectInputForCreate as New
        objects = self.hubspot.crm.objects.basic_api
        company = objects.create("companies", New(properties={"name": "Voisin SARL"})).id
        deal = objects.create("deals", New(properties={
            "dealname": "Affaire voisine", "pipeline": "default", "dealstage": "closedwon"})).id
        self.hubspot_associate("deals", deal, "companies", company)
        hub_product = objects.create("products", New(properties={
            "name": "Produit voisin", "price": "50.00"})).id
        self.neighbours = {"stripe": {customer, product, price, rate, invoice},
                           "hubspot": {company, deal, hub_product},
                           "invoice": invoice, "company": company, "product": hub_product}

    def disturbed_neighbours(self) -> list[str]:
        """How the run touched what is not its own: the neighbour's invoice journaled,
        its HubSpot records linked to Stripe, Stripe objects made for them."""
        n = self.neighbours
        found = []
        for sheet in self.box.sheets.export_json(self.spreadsheet_id)["sheets"]:
            cells = json.dumps(sheet, ensure_ascii=False)
            if n["invoice"] in cells:
                found.append(f"the neighbour's invoice in tab {sheet['properties']['title']}")
        for kind, object_id in (("companies", n["company"]), ("products", n["product"])):
            props = self.box.hubspot.get(kind, object_id)["properties"]
            if props.get("stripe_customer_id") or props.get("stripe_product_id"):
                found.append(f"HubSpot {kind} {object_id} linked to Stripe")
        for store in ("customers", "products"):
            for obj in self.box.stripe.stores[store].all():
                meta = obj.get("metadata") or {}
                if {meta.get("hubspot_company_id"), meta.get("hubspot_product_id")} & {
                        n["company"], n["product"]}:
                    found.append(f"Stripe {store} {obj['id']} made for a neighbour")
        if self.box.stripe.get(n["invoice"])["status"] != "open":
            found.append("the neighbour's invoice changed")
        return found

    def finalize(self, invoice_id: str) -> None:
        self.box.stripe.finalize_invoice(invoice_id, int(time.time()))

    def void(self, invoice_id: str) -> None:
        self.box.stripe.void_invoice(invoice_id, int(time.time()))

    def dispose(self, kind: str, object_id: str) -> None:
        """Products and prices are archived through the library as on a real account; the
        sandbox has no endpoint for the rest (deleting customers, voiding or deleting
        invoices, archiving tax rates) and goes away with the test: they are counted."""
        if kind in ("product", "price"):
            self.archive(kind, object_id)
        self.disposed.append((kind, object_id))

    def tagged_objects(self) -> set[tuple[str, str]]:
        """(kind, id) of every Stripe object in the sandbox carrying the run's tag."""
        return {(obj["object"], obj["id"])
                for store in ("customers", "products", "prices", "tax_rates", "invoices")
                for obj in self.box.stripe.stores[store].all()
                if (obj.get("metadata") or {}).get(RUN_TAG) == self.run.id}

    def unregistered(self) -> list[str]:
        """Before the cleanup: the run's objects it would not dispose of (the check a real
        account cannot have: here every object the run made is known)."""
        steps = " ".join(what for what, _ in self.run.cleanup.steps)
        untagged_hubspot = [f"HubSpot {t} {r['id']}" for t in ("products", "companies", "deals")
                            for r in self.box.hubspot.objects(t)
                            if r["id"] not in steps and r["id"] not in self.neighbours["hubspot"]]
        return [f"Stripe {kind} {object_id}" for kind, object_id in sorted(self.tagged_objects())
                if object_id not in steps] + untagged_hubspot

    def leftovers(self) -> list[str]:
        """After the cleanup: what is still there (tabs of the run, live HubSpot records,
        active products and prices of the run)."""
        left = [f"tab {sheet['properties']['title']}"
                for sheet in self.box.sheets.export_json(self.spreadsheet_id)["sheets"]
                if sheet["properties"]["title"].startswith(self.run.tab_prefix)]
        left += [f"HubSpot {t} {r['id']}" for t in ("products", "companies", "deals")
                 for r in self.box.hubspot.objects(t) if r["id"] not in self.neighbours["hubspot"]]
        for kind, object_id in sorted(self.tagged_objects()):
            obj = self.box.stripe.get(object_id)
            if kind == "product" and obj.get("active"):
                left.append(f"active Stripe product {object_id}")
            if kind == "price" and obj.get("active") and self.box.stripe.get(
                    obj["product"]).get("default_price") != object_id:
                left.append(f"active Stripe price {object_id}")
            if (kind, object_id) not in self.disposed:
                left.append(f"Stripe {kind} {object_id} not disposed of")
        return left


class RealTarget(Target):
    """Real test accounts, from the CONTRACT_* variables (checked by the fixture)."""

    name = "real"
    poll_seconds = 90.0

    def __init__(self, run: Run, services: tuple[str, ...],
                 environ: Mapping[str, str] = os.environ) -> None:
        super().__init__(run)
        self.services = services
        self.env = environ
        if "stripe" in services:
            self.stripe_key = check_stripe_key(environ["CONTRACT_STRIPE_KEY"])
            base = environ.get(ADDRESSES["stripe"]) or None
            self.stripe_base = base
            self.stripe = stripe.StripeClient(
                self.stripe_key, max_network_retries=2,
                **({"base_addresses": {"api": base}} if base else {}))
        if "hubspot" in services:
            from hubspot import HubSpot
            self.hubspot_token = environ["CONTRACT_HUBSPOT_TOKEN"].strip()
            self.hubspot_base = environ.get(ADDRESSES["hubspot"]) or None
            self.hubspot = HubSpot(access_token=self.hubspot_token,
                                   **({"host": self.hubspot_base} if self.hubspot_base else {}))
        if "sheets" in services:
            self.spreadsheet_id = environ["CONTRACT_SPREADSHEET_ID"].strip()

    def source(self):
        from backend.adapters.stripe_source import StripeSourceAdapter
        return StripeSourceAdapter(self.stripe_key, base_url=self.stripe_base)

    def catalog(self):
        from backend.adapters.stripe_catalog import StripeCatalogAdapter
        return StripeCatalogAdapter(self.stripe_key, base_url=self.stripe_base)

    def hubspot_adapter(self):
        from backend.adapters.hubspot_crm import HubSpotAdapter
        return HubSpotAdapter(self.hubspot_token, host=self.hubspot_base)

    def sheet_adapter(self):
        from google.oauth2 import service_account

        from backend.adapters.google_sheets import SCOPES, GoogleSheetsAdapter
        credentials = service_account.Credentials.from_service_account_file(
            self.env["CONTRACT_GOOGLE_CREDENTIALS"].strip(), scopes=SCOPES)
        return GoogleSheetsAdapter(self.spreadsheet_id, credentials,
                                   base_url=self.env.get(ADDRESSES["sheets"]) or None)

    def tax_rate(self, percentage: int) -> str:
        made = self.stripe.v1.tax_rates.create(params={
            "display_name": "TVA", "percentage": percentage, "inclusive": False,
            "country": "FR", "jurisdiction": "FR", "tax_type": "vat",
            "description": f"contract tests {self.run.label}", "metadata": self.run.metadata})
        self.run.cleanup.add(f"Stripe tax rate {made.id}", lambda: self.dispose("tax_rate", made.id))
        return made.id

    def invoice(self, customer: str, items: list[Item]) -> str:
        made = self.stripe.v1.invoices.create(params={
            "customer": customer, "currency": "eur", "collection_method": "send_invoice",
            "days_until_due": 30, "auto_advance": False,
            "pending_invoice_items_behavior": "exclude", "metadata": self.run.metadata})
        self.run.cleanup.add(f"Stripe invoice {made.id}", lambda: self.dispose("invoice", made.id))
        for item in items:
            self.stripe.v1.invoice_items.create(params={
                "customer": customer, "invoice": made.id, "pricing": {"price": item.price},
                "quantity": item.quantity, "tax_rates": [item.tax_rate],
                "metadata": self.run.metadata})
        return made.id

    def finalize(self, invoice_id: str) -> None:
        self.stripe.v1.invoices.finalize_invoice(invoice_id, params={"auto_advance": False})

    def void(self, invoice_id: str) -> None:
        self.stripe.v1.invoices.void_invoice(invoice_id)

    def dispose(self, kind: str, object_id: str) -> None:
        """Stripe deletes drafts and customers; a finalized invoice can only be voided, a
        product with prices, a price and a tax rate only archived."""
        api = self.stripe.v1
        if kind == "invoice":
            status = api.invoices.retrieve(object_id).status
            if status == "draft":
                api.invoices.delete(object_id)
            elif status in ("open", "uncollectible"):
                api.invoices.void_invoice(object_id)
        elif kind == "customer":
            api.customers.delete(object_id)
        elif kind in ("product", "price"):
            self.archive(kind, object_id)
        elif kind == "tax_rate":
            api.tax_rates.update(object_id, params={"active": False})
        else:
            raise ValueError(f"unknown kind {kind}")


def today_in_paris() -> str:
    from zoneinfo import ZoneInfo
    return datetime.now(UTC).astimezone(ZoneInfo("Europe/Paris")).date().isoformat()
