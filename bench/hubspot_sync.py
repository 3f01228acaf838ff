"""4. The HubSpot sync: 2,000 HubSpot companies and 50 products into Stripe.

The account: the demo company's Stripe side (`build_demo_company()`), grown to 45 products and
1,180 customers, and a HubSpot side (`_Builder` of `backend.demo.hubspot`) with

- 50 products: the 45 Stripe products, linked both ways (3 of them repriced in HubSpot since
  the last sync), and 5 created in HubSpot and not yet in Stripe;
- 2,000 companies, every one with an accepted quote (`APPROVED`, with its deal and two line
  items) or a won deal (`closedwon`), one in two of each: 1,000 linked to an existing Stripe
  customer with an accounting code (the ids and the code on both sides, the same name, e-mail
  domain and address), 1,000 unknown to Stripe (the sync creates their Stripe customer with a
  new code).

`sync(...)` with the real adapters (`HubSpotAdapter`, `StripeCatalogAdapter`) against the
sandbox (HubSpot and Stripe on loopback, one fault plan, a latency per call), a SQLite ledger
store: a first run (creations), then a second with nothing changed. For each: the calls the
sync counted per service, the Stripe writes (POSTs the sandbox's fault plan saw), wall time.
"""

from __future__ import annotations

import copy
import random
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from bench.sandbox import Sandbox

COMPANIES = 2_000
LINKED = 1_000            # of the companies, already linked to a Stripe customer with a code
PRODUCTS = 50
NEW_PRODUCTS = 5          # HubSpot products not yet in Stripe
REPRICED = 3              # linked products whose price changed in HubSpot
NOW = datetime(2026, 11, 2, 6, 0, tzinfo=timezone.utc)

_SYLLABLES = ("ba", "lo", "ri", "ta", "ve", "mon", "sel", "dor", "pi", "cha", "nu", "gar",
              "lin", "bro", "ké", "fa", "zu", "mé", "quo", "ste", "vra", "jo", "pel", "tur")
_KINDS = ("SAS", "SARL", "Conseil", "Studio", "Atelier", "Éditions", "Traiteur", "Architectes",
          "Formation", "Immobilier", "Design", "Productions")
_CITIES = (("Paris", "75011"), ("Paris", "75003"), ("Lyon", "69002"), ("Lyon", "69007"),
           ("Villeurbanne", "69100"), ("Montreuil", "93100"), ("Vincennes", "94300"))


@dataclass(frozen=True)
class HubSpotEndpoints:
    stripe_url: str
    hubspot_url: str


def build_account(seed: int = 2026) -> tuple[dict, dict]:
    """(the Stripe side for `StripeSandbox.load`, the HubSpot side for `HubSpotSandbox.load`)."""
    from backend.core.codes import customer_code
    from backend.demo import DEMO_COMPANY, build_demo_company
    from backend.demo.common import DAY, Month
    from backend.demo.hubspot import _Builder, _customer_properties, _euros, _slug

    rng = random.Random(f"{seed}:bench-hubspot")
    company = copy.deepcopy(build_demo_company())
    month = Month.parse(DEMO_COMPANY["month"])

    # Products: the demo's 17, plus copies up to PRODUCTS - NEW_PRODUCTS, each its own price.
    base = list(company["products"])
    prices = {p["id"]: p for p in company["prices"]}
    for i in range(PRODUCTS - NEW_PRODUCTS - len(base)):
        model = base[i % len(base)]
        price = copy.deepcopy(prices[model["default_price"]])
        product = copy.deepcopy(model)
        product["id"] = f"prod_bench{i:08d}"
        product["name"] = f"{model['name']} — formule {i + 2}"
        product["metadata"]["hubspot_product_id"] = str(9_100_000_000 + i)
        price["id"] = f"price_bench{i:08d}"
        price["product"] = product["id"]
        price["lookup_key"] = f"{price['lookup_key']}_f{i + 2}"
        price["unit_amount"] += 100 * (i + 1)
        price["unit_amount_decimal"] = str(price["unit_amount"])
        product["default_price"] = price["id"]
        company["products"].append(product)
        company["prices"].append(price)

    # Customers: LINKED Stripe companies with a code and a HubSpot company id.
    template = next(c for c in company["customers"] if "first_name" not in c["metadata"])
    taken = {c["metadata"].get("accounting_code", "") for c in company["customers"]} - {""}
    names: set[str] = set()

    def new_name() -> str:
        while True:
            word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3)))
            name = f"{word.capitalize()} {rng.choice(_KINDS)}"
            if name not in names:
                names.add(name)
                return name

    def address() -> dict:
        city, zip_code = rng.choice(_CITIES)
        return {"city": city, "country": "FR", "line1": f"{rng.randint(1, 200)} rue {new_word()}",
                "line2": None, "postal_code": zip_code, "state": None}

    def new_word() -> str:
        return "".join(rng.choice(_SYLLABLES) for _ in range(3)).capitalize()

    linked = []
    for i in range(LINKED):
        name = new_name()
        code = customer_code(name, taken)
        taken.add(code)
        customer = copy.deepcopy(template)
        customer.update(id=f"cus_bench{i:08d}", name=name, email=f"compta@{_slug(name)}.example",
                        address=address(), phone=f"+3314{rng.randrange(10 ** 7):07d}",
                        invoice_prefix=f"B{i:07X}", next_invoice_sequence=1,
                        created=month.at(1, 9, 0) - rng.randint(30, 600) * DAY,
                        metadata={"accounting_code": code,
                                  "hubspot_company_id": str(8_100_000_000 + i)})
        linked.append(customer)
    company["customers"] = linked + company["customers"]

    builder = _Builder(company, month, random.Random(f"{seed}:bench-hubspot:builder"))
    builder.products()
    # Drop the demo's own two new products: NEW_PRODUCTS of ours instead.
    data = builder.data
    data["products"] = [p for p in data["products"] if "stripe_product_id" in p["properties"]]
    for product in data["products"]:
        if product["properties"]["stripe_product_id"].startswith("prod_bench"):
            index = int(product["properties"]["stripe_product_id"][len("prod_bench"):])
            if index < REPRICED - 1:          # the demo's builder reprices one already
                cents = round(float(product["properties"]["price"]) * 100) + 500
                product["properties"]["price"] = _euros(cents)
    for i in range(NEW_PRODUCTS):
        at = month.at(3 + i, 9, 40)
        builder._add("products", str(9_200_000_000 + i),
                     {"name": f"Nouveau service {i + 1} — Paris Bastille",
                      "description": "Créé dans HubSpot ce mois-ci.",
                      "price": _euros(2500 + 500 * i), "hs_sku": f"nouveau_{i + 1}",
                      "code_comptable": "706300", "axe_analytique_1": "SERVICES",
                      "axe_analytique_2": "PARIS-11", "axe_analytique_3": "PONCTUEL"}, at, at)

    def sales(record_id: str, label: str, i: int, since: int) -> None:
        if i % 2:
            builder._sales("companies", record_id, label, "APPROVED", None, since)
        else:
            builder._sales("companies", record_id, label, None, "closedwon", since)

    for i, customer in enumerate(linked):
        record_id = customer["metadata"]["hubspot_company_id"]
        properties = {**_customer_properties(customer),
                      "code_comptable": customer["metadata"]["accounting_code"],
                      "stripe_customer_id": customer["id"]}
        builder._add("companies", record_id, properties, customer["created"] - 10 * DAY,
                     customer["created"])
        sales(record_id, customer["name"], i, customer["created"] - 10 * DAY)
    for i in range(COMPANIES - LINKED):
        name = new_name()
        where = address()
        record_id = str(8_200_000_000 + i)
        created = month.at(rng.randint(2, 20), rng.randint(8, 18), rng.randrange(60))
        builder._add("companies", record_id,
                     {"name": name, "domain": f"{_slug(name)}.example", "address": where["line1"],
                      "city": where["city"], "zip": where["postal_code"], "country": "France"},
                     created, created + 3600)
        sales(record_id, name, i, created)
    return company, data


class HubSpotLocal:
    """The sandbox's state for point 4: `LocalSandbox` with the account above loaded."""

    def __init__(self, _size: int, latency: float, freeze: bool = False) -> None:
        from backend.sandbox.local import LocalSandbox
        self.box = LocalSandbox(latency=latency)
        self.stripe_data, self.hubspot_data = build_account()

    def start(self) -> HubSpotEndpoints:
        self.box.__enter__()
        self.box.stripe.load(self.stripe_data)
        self.box.hubspot.load(self.hubspot_data)
        return HubSpotEndpoints(self.box.stripe_url, self.box.hubspot_url)

    def stop(self) -> None:
        self.box.__exit__(None, None, None)

    def reset_counts(self) -> None:
        self.box.plan.reset()

    def counts(self) -> dict:
        calls = list(self.box.plan.calls)
        return {"stripe": sum(c.service == "stripe" for c in calls),
                "stripe_writes": sum(c.service == "stripe" and c.method == "POST" for c in calls),
                "hubspot": sum(c.service == "hubspot" for c in calls),
                "hubspot_writes": sum(c.service == "hubspot" and c.method in ("POST", "PATCH")
                                      and "/search" not in c.path and "/batch/read" not in c.path
                                      for c in calls),
                "hubspot_by_endpoint": _by_endpoint(c for c in calls if c.service == "hubspot")}

    def census(self) -> dict:
        companies = self.box.hubspot.objects("companies")
        products = self.box.hubspot.objects("products")
        return {"companies": len(companies),
                "companies_linked": sum(bool(c["properties"].get("stripe_customer_id"))
                                        for c in companies),
                "products": len(products),
                "products_linked": sum(bool(p["properties"].get("stripe_product_id"))
                                       for p in products)}


def _by_endpoint(calls) -> dict[str, int]:
    """Calls by method and path, record ids blanked: "POST /crm/v3/objects/companies/search"."""
    import re
    out: dict[str, int] = {}
    for call in calls:
        key = f"{call.method} {re.sub(r'/[0-9]+(?=/|$)', '/{id}', call.path.split('?')[0])}"
        out[key] = out.get(key, 0) + 1
    return dict(sorted(out.items()))


def measure_sync(latency: float, in_process: bool = False) -> dict:
    """Both runs of the sync, in this process, against the sandbox (its own process unless
    `in_process`)."""
    from backend.adapters.hubspot_crm import HubSpotAdapter
    from backend.adapters.stripe_catalog import StripeCatalogAdapter
    from backend.core.settings import Settings
    from backend.sandbox.local import HUBSPOT_TOKEN, STRIPE_KEY
    from backend.services.sync import sync
    from backend.store.ledger import LedgerStore

    out = {"companies": COMPANIES, "linked": LINKED, "products": PRODUCTS,
           "new_products": NEW_PRODUCTS, "repriced": REPRICED, "runs": []}
    with tempfile.TemporaryDirectory() as tmp, \
            Sandbox(0, latency, in_process, factory=HubSpotLocal) as box:
        ends = box.endpoints
        store = LedgerStore(f"sqlite:///{tmp}/ledger.db")
        store.migrate()
        out["before"] = box.ask("census")
        for run in (1, 2):
            hubspot = HubSpotAdapter(HUBSPOT_TOKEN, host=ends.hubspot_url)
            stripe = StripeCatalogAdapter(STRIPE_KEY, base_url=ends.stripe_url)
            box.reset_counts()
            started = time.perf_counter()
            report = sync(hubspot, stripe, store, Settings(), "bench", now=NOW)
            wall = time.perf_counter() - started
            counted = box.counts()
            out["runs"].append({
                "wall": wall, "calls": dict(report.calls), "sandbox": counted,
                "created": len(report.created), "updated": len(report.updated),
                "linked": len(report.linked), "archived": len(report.archived),
                "conflicts": len(report.conflicts), "problems": len(report.problems),
                "problem_sample": report.problems[:3]})
        out["after"] = box.ask("census")
    return out
