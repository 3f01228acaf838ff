"""What keeps a contract run to its own objects on a shared test account, done around the
product's adapters (the product itself has no notion of a run):

- `RunSource`: the Stripe source shows the generation only the documents of the run's
  customers (a test account holds other people's invoices of the day);
- `RunTabs`: the spreadsheet seen through tabs of the run only: the product writes
  "Écritures", "Historique"… and the sheet gets "contract-xxxxxxxx Écritures"…;
- `RunHubSpot` and `RunCatalog`: the sync sees only the run's HubSpot records and Stripe
  objects, and every Stripe object it creates is tagged and disposed of with the run's.

They forward every call to the real adapter: what goes over the wire is the product's.
"""

from __future__ import annotations

from dataclasses import replace

from contract_targets import RUN_TAG, Target

from backend.core.catalog import ref_id


class RunSource:
    """A StripeSource showing only the documents of `customers`."""

    def __init__(self, inner, customers: set[str]) -> None:
        self.inner = inner
        self.customers = customers

    def _ours(self, documents):
        return (d for d in documents if ref_id(d.get("customer")) in self.customers)

    def invoices(self, *args, **kwargs):
        return self._ours(self.inner.invoices(*args, **kwargs))

    def credit_notes(self, *args, **kwargs):
        return self._ours(self.inner.credit_notes(*args, **kwargs))

    def events(self, types, created_gte):
        # Events only name documents, which are read again by id: the run's filter applies
        # to what the generation then journals (documents it never journaled are ignored).
        return self.inner.events(types, created_gte)

    def __getattr__(self, name):   # invoice, credit_note, products, tax_rates, calls…
        return getattr(self.inner, name)


class RunTabs:
    """A Spreadsheet whose tabs are those of the run, their prefix taken off."""

    def __init__(self, inner, prefix: str) -> None:
        self.inner = inner
        self.prefix = prefix

    def _real(self, title: str) -> str:
        return self.prefix + title

    def _seen(self, title: str) -> str:
        return title[len(self.prefix):]

    def tab_titles(self) -> list[str]:
        return [self._seen(t) for t in self.inner.tab_titles() if t.startswith(self.prefix)]

    def ensure_tabs(self, specs):
        made = self.inner.ensure_tabs([replace(s, title=self._real(s.title)) for s in specs])
        return [self._seen(t) for t in made]

    def read(self, titles):
        return {self._seen(t): rows for t, rows in
                self.inner.read([self._real(t) for t in titles]).items()}

    def read_column(self, titles, header):
        return {self._seen(t): values for t, values in
                self.inner.read_column([self._real(t) for t in titles], header).items()}

    def append(self, title, rows):
        return self.inner.append(self._real(title), rows)

    def replace(self, spec, rows):
        return self.inner.replace(replace(spec, title=self._real(spec.title)), rows)

    def delete_rows(self, title, indexes):
        return self.inner.delete_rows(self._real(title), indexes)

    def highlight(self, title, indexes, clear_others=True):
        return self.inner.highlight(self._real(title), indexes, clear_others)

    def calls(self) -> int:
        return self.inner.calls()


class NotTheRunsRecord(AssertionError):
    """The sync was about to write to a record the run did not make: stopped before it."""


class RunHubSpot:
    """The HubSpot adapter showing the sync only the run's products, companies, contacts."""

    def __init__(self, inner, products: set[str], companies: set[str],
                 contacts: set[str] = frozenset()) -> None:
        self.inner = inner
        self.ours = {"products": set(products), "companies": set(companies),
                     "contacts": set(contacts)}

    def products(self, archived: bool = False) -> list[dict]:
        return [p for p in self.inner.products(archived=archived)
                if p["id"] in self.ours["products"]]

    def customer_candidates(self, quote_statuses, deal_stages) -> dict[str, set[str]]:
        found = self.inner.customer_candidates(quote_statuses, deal_stages)
        return {"company": found["company"] & self.ours["companies"],
                "contact": found["contact"] & self.ours["contacts"]}

    def update(self, plural: str, updates: dict[str, dict]) -> None:
        strangers = set(updates) - self.ours[plural]
        if strangers:
            raise NotTheRunsRecord(f"the sync would update HubSpot {plural} {sorted(strangers)}")
        return self.inner.update(plural, updates)

    def __getattr__(self, name):   # ensure_properties, read, calls
        return getattr(self.inner, name)


class RunCatalog:
    """The Stripe catalog adapter showing the sync only the run's products, prices and
    customers; what the sync creates is adopted by the run (tagged, disposed of)."""

    def __init__(self, inner, target: Target, hubspot_ids: set[str]) -> None:
        self.inner = inner
        self.target = target
        self.hubspot_ids = hubspot_ids
        self.made: set[str] = set()

    def _ours(self, obj: dict) -> bool:
        meta = obj.get("metadata") or {}
        return (obj["id"] in self.made or meta.get(RUN_TAG) == self.target.run.id
                or meta.get("hubspot_product_id") in self.hubspot_ids
                or meta.get("hubspot_company_id") in self.hubspot_ids
                or meta.get("hubspot_contact_id") in self.hubspot_ids)

    def _guard(self, object_id: str) -> None:
        if object_id not in self.made and object_id not in {
                o["id"] for o in self.products() + self.customers()}:
            raise NotTheRunsRecord(f"the sync would change Stripe object {object_id}")

    def products(self) -> list[dict]:
        return [p for p in self.inner.products() if self._ours(p)]

    def prices(self) -> list[dict]:
        products = {p["id"] for p in self.products()}
        return [p for p in self.inner.prices() if ref_id(p.get("product")) in products]

    def customers(self) -> list[dict]:
        return [c for c in self.inner.customers() if self._ours(c)]

    def create_product(self, fields, hubspot_id, key):
        made = self.inner.create_product(fields, hubspot_id, key)
        self._adopt("product", made["id"])
        if ref_id(made.get("default_price")):   # made with the product, its first price
            self._adopt("price", ref_id(made["default_price"]))
        return made

    def create_price(self, product_id, cents, key, replaces=None, recurring=None):
        made = self.inner.create_price(product_id, cents, key, replaces=replaces,
                                       recurring=recurring)
        self._adopt("price", made["id"])
        return made

    def create_customer(self, fields, object_type, hubspot_id, key):
        made = self.inner.create_customer(fields, object_type, hubspot_id, key)
        self._adopt("customer", made["id"])
        return made

    def update_product(self, product_id, params):
        self._guard(product_id)
        return self.inner.update_product(product_id, params)

    def update_customer(self, customer_id, params, object_type, hubspot_id):
        self._guard(customer_id)
        return self.inner.update_customer(customer_id, params, object_type, hubspot_id)

    def archive_price(self, price_id):
        if price_id not in {p["id"] for p in self.prices()} and price_id not in self.made:
            raise NotTheRunsRecord(f"the sync would archive Stripe price {price_id}")
        return self.inner.archive_price(price_id)

    def calls(self) -> int:
        return self.inner.calls()

    def _adopt(self, kind: str, object_id: str) -> None:
        self.made.add(object_id)
        self.target.adopt(kind, object_id)
