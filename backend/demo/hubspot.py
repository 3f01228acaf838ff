"""The demo company's HubSpot side: its product library, companies and contacts, deals,
quotes and their line items, consistent with its Stripe side (`build_demo_company()`).

HubSpot is where the coworking sells, and the master of products and of their accounting
fields. What the demo holds, for the product and customer syncs to work on:

- products: every Stripe product, with the same name, description, price (euros, a decimal
  string), billing frequency (`recurringbillingfrequency` "monthly" for the subscriptions),
  accounting code and sections (`code_comptable`, `axe_analytique_1..3`) and its Stripe id
  (`stripe_product_id`), except that one price was changed in HubSpot since the last sync
  ("Poste nomade — Lyon Presqu'île", 160.00 -> 165.00); plus two products created in HubSpot
  this month and not yet in Stripe, one sold by the hour and one sold monthly;
- companies (company customers) and contacts (people) for every Stripe customer linked to
  HubSpot, carrying `stripe_customer_id` and `code_comptable` as the Stripe customer's
  metadata has them, except one company and one contact whose HubSpot record lacks the
  Stripe id (the link exists only on the Stripe side); members who joined this month have a
  won deal;
- prospects that the customer sync must turn into Stripe customers: companies and contacts
  with a published quote (`hs_status` APPROVAL_NOT_NEEDED: sent without approval; APPROVED:
  approved then sent) or a won deal (`closedwon`), no Stripe link; "Simplissime Traiteur"
  makes its code clash with "Simplon" and friends;
- a contact whose e-mail is that of exactly one Stripe customer with no HubSpot link (the
  sync reuses it), and one whose e-mail is that of two Stripe customers (never linked:
  reported) -- the second Stripe customer is added by `with_duplicate_customer()`;
- records the sync must leave alone: companies and a contact with neither quote nor deal, a
  company whose only quote is a DRAFT, one whose deal is still at `appointmentscheduled`.

Same arguments, same output: a seeded `random.Random`, timestamps derived from the month.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timezone

from backend.core.codes import ascii_fold
from backend.demo.common import DAY, IdFactory, Month
from backend.demo.company import DEMO_COMPANY, build_demo_company
from backend.sync.stripe_rules import HUBSPOT_FREQUENCIES

CUSTOM_PROPERTIES = {
    "products": [
        ("code_comptable", "Code comptable", "Compte de produit (706…, 707…) de la vente"),
        ("axe_analytique_1", "Axe analytique 1 — Activité", "Section analytique : activité"),
        ("axe_analytique_2", "Axe analytique 2 — Site", "Section analytique : site"),
        ("axe_analytique_3", "Axe analytique 3 — Offre", "Section analytique : offre"),
        ("stripe_product_id", "Produit Stripe", "Identifiant du produit dans Stripe"),
    ],
    "companies": [
        ("code_comptable", "Code comptable", "Compte client (411…)"),
        ("stripe_customer_id", "Client Stripe", "Identifiant du client dans Stripe"),
    ],
    "contacts": [
        ("code_comptable", "Code comptable", "Compte client (411…)"),
        ("stripe_customer_id", "Client Stripe", "Identifiant du client dans Stripe"),
    ],
}
_GROUPS = {"products": "productinformation", "companies": "companyinformation",
           "contacts": "contactinformation"}
_COUNTRIES = {"FR": "France"}

# The product whose price was changed in HubSpot since the last sync (by its Stripe
# lookup key), and its new unit price in cents.
REPRICED_LOOKUP_KEY = "nomade_lyon_mensuel"
REPRICED_AMOUNT = 16500
# A Stripe price's (interval, interval_count) -> HubSpot's billing frequency.
FREQUENCIES = {period: frequency for frequency, period in HUBSPOT_FREQUENCIES.items()}


@dataclass(frozen=True)
class _NewProduct:
    name: str
    description: str
    price_cents: int
    sku: str
    code: str
    sections: tuple[str, str, str]
    day: int                        # of the month it was created in HubSpot
    frequency: str = ""             # HubSpot's recurringbillingfrequency; "" sold once


NEW_PRODUCTS = (
    _NewProduct("Cabine téléphonique — Paris Bastille",
                "Cabine insonorisée pour un appel ou une visio, à l'heure.", 1200,
                "cabine_paris_unitaire", "706300", ("SALLES", "PARIS-11", "PONCTUEL"), 6),
    _NewProduct("Forfait 10 jours par mois — Lyon Presqu'île",
                "Dix journées par mois en espace ouvert, sans engagement.", 9500,
                "forfait10_lyon_mensuel", "706100", ("COWORKING", "LYON-PRESQU", "ABONNEMENT"),
                14, "monthly"),
)


@dataclass(frozen=True)
class _Prospect:
    """A company (`first` None) or a person HubSpot knows and Stripe does not."""
    name: str                       # company name, or last name
    first: str | None
    city: str
    zip: str
    street: str
    quote: str | None = None        # its quote's hs_status
    deal: str | None = None         # its deal's stage


PROSPECTS = (
    # The sync creates a Stripe customer for each of these...
    _Prospect("Simplissime Traiteur", None, "Paris", "75011", "18 rue Keller",
              quote="APPROVAL_NOT_NEEDED"),
    _Prospect("Horizon Béton SAS", None, "Villeurbanne", "69100", "4 rue Francis-de-Pressensé",
              quote="APPROVED"),
    _Prospect("Lanterne Rouge Éditions", None, "Lyon", "69004", "22 rue d'Austerlitz",
              deal="closedwon"),
    _Prospect("Delacroix", "Margaux", "Paris", "75020", "61 rue des Pyrénées",
              quote="APPROVAL_NOT_NEEDED"),
    _Prospect("Fontaine", "Basile", "Montreuil", "93100", "9 rue de Paris", deal="closedwon"),
    # ... and leaves these alone: a draft quote, a deal not won, nothing at all.
    _Prospect("Écho Studio", None, "Paris", "75003", "5 rue Charlot", quote="DRAFT"),
    _Prospect("Perle Rare Bijoux", None, "Lyon", "69002", "30 rue Mercière",
              deal="appointmentscheduled"),
    _Prospect("Tramontane Conseil", None, "Paris", "75012", "88 avenue Daumesnil"),
    _Prospect("Girouette Média", None, "Lyon", "69007", "12 rue de Marseille"),
    _Prospect("Cerf-Volant Productions", None, "Vincennes", "94300", "3 rue de Montreuil"),
    _Prospect("Morel", "Justine", "Paris", "75011", "140 boulevard Voltaire"),
)


def build_demo_hubspot(company: dict | None = None, month: str = DEMO_COMPANY["month"],
                       seed: int = 2026) -> dict:
    """The HubSpot account of the demo company whose Stripe side is `company` (default:
    `build_demo_company(month, seed)`), in the form `HubSpotSandbox.load` takes."""
    company = company if company is not None else build_demo_company(month, seed)
    builder = _Builder(company, Month.parse(month), random.Random(f"{seed}:hubspot"))
    builder.products()
    builder.customers()
    builder.prospects()
    builder.known_by_email()
    return builder.result()


def with_duplicate_customer(company: dict, seed: int = 2026) -> dict:
    """`company` with one more Stripe customer: a second record of a person already in
    Stripe without a HubSpot link (same name and e-mail, made weeks earlier from a payment
    link and never used), so that the HubSpot contact with that e-mail matches two Stripe
    customers. Returns a new dict; `company` is left as it was."""
    person = _unlinked_people(company)[0]
    if sum(c["email"] == person["email"] for c in company["customers"]) > 1:
        return company
    rng = random.Random(f"{seed}:hubspot:duplicate")
    ids = IdFactory(rng, "", {c["id"] for c in company["customers"]})
    duplicate = {**person, "id": ids.short("cus"), "created": person["created"] - 41 * DAY,
                 "invoice_prefix": "".join(rng.choices("0123456789ABCDEF", k=8)),
                 "next_invoice_sequence": 1, "metadata": dict(person["metadata"])}
    customers = sorted([*company["customers"], duplicate],
                       key=lambda c: (-c["created"], c["id"]))
    return {**company, "customers": customers}


def _unlinked_people(company: dict) -> list[dict]:
    """People in Stripe with no HubSpot link, one per e-mail (the newest), by e-mail: the
    first is the one `with_duplicate_customer` doubles, the second the one the sync will
    find by e-mail. The same before and after the duplicate (which is older) is added."""
    people = {}
    for customer in sorted(company["customers"], key=lambda c: (-c["created"], c["id"])):
        metadata = customer["metadata"]
        if "first_name" in metadata and not any(k.startswith("hubspot_") for k in metadata):
            people.setdefault(customer["email"], customer)
    if len(people) < 2:
        raise ValueError("the demo needs two people in Stripe without a HubSpot link")
    return [people[email] for email in sorted(people)]


class _Builder:
    def __init__(self, company: dict, month: Month, rng: random.Random) -> None:
        self.company = company
        self.month = month
        self.rng = rng
        self.data = {"properties": _custom_properties(), "products": [], "companies": [],
                     "contacts": [], "deals": [], "quotes": [], "line_items": [],
                     "associations": []}
        # HubSpot ids already named by the Stripe side, which new records must not take.
        self.taken = {value for obj in [*company["products"], *company["customers"]]
                      for key, value in obj["metadata"].items() if key.startswith("hubspot_")}
        self.prices = {price["id"]: price for price in company["prices"]}

    def result(self) -> dict:
        return self.data

    # --- products ---------------------------------------------------------------------------

    def products(self) -> None:
        for product in sorted(self.company["products"], key=lambda p: p["created"]):
            price = self.prices[product["default_price"]]
            metadata = product["metadata"]
            amount, modified = price["unit_amount"], product["updated"]
            if price["lookup_key"] == REPRICED_LOOKUP_KEY:
                amount, modified = REPRICED_AMOUNT, self.month.at(12, 10, 24)
            properties = {"name": product["name"], "description": product["description"],
                          "price": _euros(amount), "hs_sku": price["lookup_key"],
                          "stripe_product_id": product["id"]}
            if price["recurring"]:
                billing = price["recurring"]
                properties["recurringbillingfrequency"] = FREQUENCIES[
                    (billing["interval"], billing["interval_count"])]
            if "accounting_code" in metadata:
                properties["code_comptable"] = metadata["accounting_code"]
            for axis in (1, 2, 3):
                properties[f"axe_analytique_{axis}"] = metadata[f"analytic_axis_{axis}"]
            # Made in HubSpot first; the sync then made the Stripe product.
            self._add("products", metadata["hubspot_product_id"], properties,
                      product["created"] - 2 * 3600, modified)
        for new in NEW_PRODUCTS:
            properties = {"name": new.name, "description": new.description,
                          "price": _euros(new.price_cents), "hs_sku": new.sku,
                          "code_comptable": new.code}
            if new.frequency:
                properties["recurringbillingfrequency"] = new.frequency
            for axis, section in enumerate(new.sections, start=1):
                properties[f"axe_analytique_{axis}"] = section
            at = self.month.at(new.day, 9, 40)
            self._add("products", self._new_id(10), properties, at, at)

    # --- customers --------------------------------------------------------------------------

    def customers(self) -> None:
        linked = sorted((c for c in self.company["customers"]
                         if any(k.startswith("hubspot_") for k in c["metadata"])),
                        key=lambda c: (c["created"], c["id"]))
        # The oldest company and the oldest person: the Stripe id never made it to HubSpot.
        half_linked = {next(c["id"] for c in linked if "hubspot_company_id" in c["metadata"]),
                       next(c["id"] for c in linked if "hubspot_contact_id" in c["metadata"])}
        for customer in linked:
            metadata = customer["metadata"]
            kind = "companies" if "hubspot_company_id" in metadata else "contacts"
            record_id = metadata.get("hubspot_company_id") or metadata["hubspot_contact_id"]
            properties = _customer_properties(customer)
            if "accounting_code" in metadata:
                properties["code_comptable"] = metadata["accounting_code"]
            if customer["id"] not in half_linked:
                properties["stripe_customer_id"] = customer["id"]
            known_since = customer["created"] - self.rng.randint(3, 40) * DAY
            self._add(kind, record_id, properties, known_since, customer["created"])
            if self.month.contains(customer["created"]):   # joined this month: a won deal
                self._deal(kind, record_id, customer["name"], "closedwon",
                           customer["created"] - 3600, known_since)

    def prospects(self) -> None:
        for prospect in PROSPECTS:
            created = self.month.at(self.rng.randint(2, 20), self.rng.randint(8, 18),
                                    self.rng.randrange(60))
            if prospect.first is None:
                kind, properties = "companies", {
                    "name": prospect.name, "domain": f"{_slug(prospect.name)}.example"}
                label = prospect.name
            else:
                kind, properties = "contacts", {
                    "firstname": prospect.first, "lastname": prospect.name,
                    "email": f"{_slug(prospect.first)}.{_slug(prospect.name)}@mail.example"}
                label = f"{prospect.first} {prospect.name}"
            properties.update(address=prospect.street, city=prospect.city, zip=prospect.zip,
                              country="France")
            record_id = self._new_id(11 if kind == "companies" else 9)
            self._add(kind, record_id, properties, created, created + 3600)
            self._sales(kind, record_id, label, prospect.quote, prospect.deal, created)

    def known_by_email(self) -> None:
        """Contacts for the two people in Stripe without a HubSpot link: one e-mail matches
        one Stripe customer (with a quote: reused), the other two (with a won deal: reported,
        never linked)."""
        doubled, single = _unlinked_people(self.company)[:2]
        for customer, quote, deal in ((single, "APPROVED", None), (doubled, None, "closedwon")):
            created = customer["created"] - 12 * DAY
            record_id = self._new_id(9)
            self._add("contacts", record_id, _customer_properties(customer), created,
                      created + DAY)
            self._sales("contacts", record_id, customer["name"], quote, deal, created)

    # --- sales ------------------------------------------------------------------------------

    def _sales(self, kind: str, record_id: str, label: str, quote: str | None,
               deal: str | None, since: int) -> None:
        """A won (or open) deal, or a quote with its deal and line items."""
        if deal is not None:
            self._deal(kind, record_id, label, deal, since + 5 * DAY, since)
        if quote is not None:
            stage = "qualifiedtobuy" if quote == "DRAFT" else "contractsent"
            deal_id = self._deal(kind, record_id, label, stage, since + 20 * DAY, since)
            self._quote(kind, record_id, deal_id, label, quote, since + DAY)

    def _deal(self, kind: str, record_id: str, label: str, stage: str, close: int,
              created: int) -> str:
        amount = self.rng.choice((190, 350, 1600, 1900, 4900))
        deal_id = self._new_id(11)
        self._add("deals", deal_id,
                  {"dealname": f"{label} — abonnement", "dealstage": stage,
                   "pipeline": "default", "amount": str(amount),
                   "closedate": _iso(close, 0)}, created, max(created, close))
        self._link("deals", deal_id, kind, record_id)
        return deal_id

    def _quote(self, kind: str, record_id: str, deal_id: str, label: str, status: str,
               created: int) -> None:
        quote_id = self._new_id(10)
        products = self.rng.sample([p for p in self.data["products"]
                                    if "stripe_product_id" in p["properties"]], 2)
        total = 0
        for product in products:
            quantity = self.rng.randint(1, 4)
            cents = round(float(product["properties"]["price"]) * 100)
            total += quantity * cents
            item_id = self._new_id(11)
            self._add("line_items", item_id,
                      {"name": product["properties"]["name"], "quantity": str(quantity),
                       "price": product["properties"]["price"], "hs_product_id": product["id"],
                       "amount": _euros(quantity * cents)}, created, created)
            self._link("line_items", item_id, "quotes", quote_id)
        expires = datetime.fromtimestamp(created + 30 * DAY, timezone.utc).date().isoformat()
        self._add("quotes", quote_id,
                  {"hs_title": f"Devis — {label}", "hs_status": status,
                   "hs_expiration_date": expires, "hs_quote_amount": _euros(total)},
                  created, created + (0 if status == "DRAFT" else 2 * 3600))
        self._link("quotes", quote_id, kind, record_id)
        self._link("quotes", quote_id, "deals", deal_id)

    # --- records ----------------------------------------------------------------------------

    def _add(self, kind: str, record_id: str, properties: dict, created: int,
             modified: int) -> None:
        created_at = _iso(created, self.rng.randrange(1000))
        modified_at = max(created_at, _iso(modified, self.rng.randrange(1000)))
        own = {"hs_object_id": record_id, "createdate": created_at,
               "hs_lastmodifieddate": modified_at}
        if kind == "contacts":
            own["lastmodifieddate"] = modified_at
        self.data[kind].append({"id": record_id, "properties": {**properties, **own},
                                "createdAt": created_at, "updatedAt": modified_at,
                                "archived": False})

    def _link(self, from_type: str, from_id: str, to_type: str, to_id: str) -> None:
        self.data["associations"].append({"fromObjectType": from_type, "fromObjectId": from_id,
                                          "toObjectType": to_type, "toObjectId": to_id})

    def _new_id(self, digits: int) -> str:
        while True:
            candidate = str(self.rng.randrange(10 ** (digits - 1), 10 ** digits))
            if candidate not in self.taken:
                self.taken.add(candidate)
                return candidate


def _custom_properties() -> dict[str, list[dict]]:
    return {kind: [{"name": name, "label": label, "description": description,
                    "type": "string", "fieldType": "text", "groupName": _GROUPS[kind]}
                   for name, label, description in rows]
            for kind, rows in CUSTOM_PROPERTIES.items()}


def _customer_properties(customer: dict) -> dict[str, str]:
    """What HubSpot holds of a Stripe customer: a company's name and domain, or a person's
    names and e-mail; phone and address (a contact has no second address line in HubSpot)."""
    address = customer["address"] or {}
    metadata = customer["metadata"]
    if "first_name" in metadata:
        properties = {"firstname": metadata["first_name"], "lastname": metadata["last_name"],
                      "email": customer["email"]}
    else:
        properties = {"name": customer["name"], "domain": customer["email"].split("@")[1],
                      "address2": address.get("line2")}
    properties.update(phone=customer["phone"], address=address.get("line1"),
                      city=address.get("city"), zip=address.get("postal_code"),
                      country=_COUNTRIES.get(address.get("country"), address.get("country")))
    return {key: value for key, value in properties.items() if value}


def _euros(cents: int) -> str:
    """HubSpot's price: a decimal string in euros, "165.00", "0.15"."""
    return f"{cents // 100}.{cents % 100:02d}"


def _iso(seconds: int, milliseconds: int) -> str:
    moment = datetime.fromtimestamp(seconds, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{milliseconds:03d}Z"


def _slug(text: str) -> str:
    """Lower-case ASCII words joined by "-": "Écho Studio" -> "echo-studio"."""
    kept = "".join(c if c.isascii() and c.isalnum() else " " for c in ascii_fold(text).lower())
    return "-".join(kept.split())
