"""What the coworking sells: VAT rates, products with their default prices, and coupons.

The product metadata carries the contract fields of the design (`accounting_code`,
`analytic_axis_1..3`, `hubspot_product_id`). Sections: axis 1 "Activité" (COWORKING,
BUREAUX, SALLES, ...), axis 2 "Site" (PARIS-11, LYON-PRESQU, or COMMUN when shared),
axis 3 "Offre" (ABONNEMENT, PONCTUEL, REFACTURATION).
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.demo.common import DAY, IdFactory, Month

# VAT rates by key: (percentage, description).
VAT_RATES = {
    "20": (20.0, "TVA France — taux normal 20 %"),
    "10": (10.0, "TVA France — taux intermédiaire 10 % (restauration sur place)"),
    "5.5": (5.5, "TVA France — taux réduit 5,5 % (produits alimentaires à emporter)"),
}


@dataclass(frozen=True)
class Offer:
    key: str
    name: str
    description: str
    unit_amount: int                 # cents, VAT excluded
    vat: str                         # key in VAT_RATES
    recurring: bool                  # monthly subscription price, else one-time
    accounting_code: str | None      # None: the one product nobody has coded yet
    sections: tuple[str, str, str]
    kind: str = "service"            # Stripe product type: "service" or "good"
    unit_label: str | None = None
    age_days: int = 900              # how long before the month the product was created


OFFERS = (
    Offer("nomade_paris", "Poste nomade — Paris Bastille",
          "Accès illimité à l'espace ouvert de Paris Bastille, du lundi au vendredi.",
          19000, "20", True, "706100", ("COWORKING", "PARIS-11", "ABONNEMENT"), age_days=2100),
    Offer("nomade_lyon", "Poste nomade — Lyon Presqu'île",
          "Accès illimité à l'espace ouvert de Lyon Presqu'île, du lundi au vendredi.",
          16000, "20", True, "706100", ("COWORKING", "LYON-PRESQU", "ABONNEMENT"), age_days=1300),
    Offer("fixe_paris", "Bureau fixe — Paris Bastille",
          "Un bureau attitré avec caisson, accès 24 h/24.",
          35000, "20", True, "706110", ("BUREAUX", "PARIS-11", "ABONNEMENT"),
          unit_label="poste", age_days=2100),
    Offer("fixe_lyon", "Bureau fixe — Lyon Presqu'île",
          "Un bureau attitré avec caisson, accès 24 h/24.",
          29000, "20", True, "706110", ("BUREAUX", "LYON-PRESQU", "ABONNEMENT"),
          unit_label="poste", age_days=1300),
    Offer("privatif_paris", "Bureau privatif 4 postes — Paris Bastille",
          "Bureau fermé de 4 postes, mobilier et fibre inclus.",
          160000, "20", True, "706120", ("BUREAUX", "PARIS-11", "ABONNEMENT"), age_days=1800),
    Offer("privatif_lyon", "Bureau privatif 6 postes — Lyon Presqu'île",
          "Bureau fermé de 6 postes, mobilier et fibre inclus.",
          190000, "20", True, "706120", ("BUREAUX", "LYON-PRESQU", "ABONNEMENT"), age_days=1300),
    Offer("domiciliation", "Domiciliation commerciale",
          "Adresse du siège social, réception et numérisation du courrier.",
          4900, "20", True, "706200", ("DOMICILIATION", "PARIS-11", "ABONNEMENT"), age_days=1700),
    # Added a few weeks ago; the accountant has not given it an account yet.
    Offer("casier", "Casier sécurisé", "Casier à code dans l'espace membres.",
          1500, "20", True, None, ("SERVICES", "COMMUN", "ABONNEMENT"), age_days=24),
    Offer("salle_paris", "Salle de réunion — Paris Bastille",
          "Salle de 8 places avec écran, à l'heure.",
          4500, "20", False, "706300", ("SALLES", "PARIS-11", "PONCTUEL"),
          unit_label="heure", age_days=2000),
    Offer("salle_lyon", "Salle de réunion — Lyon Presqu'île",
          "Salle de 6 places avec écran, à l'heure.",
          3500, "20", False, "706300", ("SALLES", "LYON-PRESQU", "PONCTUEL"),
          unit_label="heure", age_days=1300),
    Offer("pass_paris", "Pass journée — Paris Bastille", "Une journée en espace ouvert.",
          2500, "20", False, "706400", ("COWORKING", "PARIS-11", "PONCTUEL"),
          unit_label="jour", age_days=2000),
    Offer("pass_lyon", "Pass journée — Lyon Presqu'île", "Une journée en espace ouvert.",
          2200, "20", False, "706400", ("COWORKING", "LYON-PRESQU", "PONCTUEL"),
          unit_label="jour", age_days=1300),
    Offer("privatisation", "Privatisation événementielle (demi-journée)",
          "L'espace de Paris Bastille privatisé pour un événement, jusqu'à 80 personnes.",
          120000, "20", False, "706500", ("EVENEMENTS", "PARIS-11", "PONCTUEL"), age_days=1500),
    Offer("cafe", "Pack café — 10 boissons chaudes", "Dix boissons chaudes au comptoir.",
          1800, "10", False, "707200", ("RESTAURATION", "COMMUN", "PONCTUEL"),
          kind="good", age_days=1600),
    Offer("snacking", "Snacking à emporter", "Encas et jus de fruits à emporter.",
          450, "5.5", False, "707300", ("RESTAURATION", "COMMUN", "PONCTUEL"),
          kind="good", age_days=600),
    Offer("impression", "Impressions couleur", "Impression ou copie couleur A4, à la page.",
          15, "20", False, "707100", ("SERVICES", "COMMUN", "PONCTUEL"),
          kind="good", unit_label="page", age_days=2000),
    Offer("refacturation", "Refacturation de frais d'envoi",
          "Lettre recommandée avec accusé de réception envoyée pour le compte du membre.",
          890, "20", False, "708800", ("SERVICES", "COMMUN", "REFACTURATION"), age_days=1400),
)

# Coupons: (id, name, percent_off, amount_off, duration, age in days).
COUPONS = (
    ("FIDELITE10", "Fidélité -10 %", 10.0, None, "forever", 1500),
    ("BIENVENUE50", "Bienvenue : -50 % le premier mois", 50.0, None, "once", 700),
    ("GESTE30", "Geste commercial 30 €", None, 3000, "once", 900),
    ("OFFERT100", "Premier mois offert", 100.0, None, "once", 400),
)


@dataclass
class Catalog:
    tax_rates: dict[str, dict]       # by VAT key
    products: dict[str, dict]        # by offer key
    prices: dict[str, dict]          # by offer key
    coupons: dict[str, dict]         # by coupon id
    offers: dict[str, Offer]


def build_catalog(ids: IdFactory, month: Month) -> Catalog:
    founded = month.start - 2200 * DAY
    tax_rates = {key: _tax_rate(ids.long("txr"), key, founded) for key in VAT_RATES}
    products, prices = {}, {}
    for offer in OFFERS:
        created = month.start - offer.age_days * DAY
        product_id = ids.short("prod")
        price = _price(ids.long("price"), product_id, offer, created)
        products[offer.key] = _product(product_id, price["id"], offer, created,
                                       ids.digits(10))
        prices[offer.key] = price
    coupons = {row[0]: _coupon(*row, month) for row in COUPONS}
    return Catalog(tax_rates, products, prices, coupons, {o.key: o for o in OFFERS})


def _tax_rate(rate_id: str, key: str, created: int) -> dict:
    percentage, description = VAT_RATES[key]
    return {
        "active": True, "country": "FR", "created": created, "description": description,
        "display_name": "TVA", "effective_percentage": percentage, "flat_amount": None,
        "id": rate_id, "inclusive": False, "jurisdiction": "FR",
        "jurisdiction_level": "country", "livemode": False, "metadata": {},
        "object": "tax_rate", "percentage": percentage, "rate_type": "percentage",
        "state": None, "tax_type": "vat",
    }


def _product(product_id: str, price_id: str, offer: Offer, created: int,
             hubspot_id: str) -> dict:
    metadata = {}
    if offer.accounting_code:
        metadata["accounting_code"] = offer.accounting_code
    for axis, section in enumerate(offer.sections, start=1):
        metadata[f"analytic_axis_{axis}"] = section
    metadata["hubspot_product_id"] = hubspot_id
    return {
        "active": True, "created": created, "default_price": price_id,
        "description": offer.description, "id": product_id, "images": [], "livemode": False,
        "marketing_features": [], "metadata": metadata, "name": offer.name,
        "object": "product", "package_dimensions": None,
        "shippable": False if offer.kind == "good" else None, "statement_descriptor": None,
        "tax_code": None, "type": offer.kind, "unit_label": offer.unit_label,
        "updated": created + 3 * DAY, "url": None,
    }


def _price(price_id: str, product_id: str, offer: Offer, created: int) -> dict:
    recurring = None
    if offer.recurring:
        recurring = {"interval": "month", "interval_count": 1, "meter": None,
                     "trial_period_days": None, "usage_type": "licensed"}
    return {
        "active": True, "billing_scheme": "per_unit", "created": created, "currency": "eur",
        "custom_unit_amount": None, "id": price_id, "livemode": False,
        "lookup_key": offer.key + ("_mensuel" if offer.recurring else "_unitaire"),
        "metadata": {}, "nickname": "Mensuel HT" if offer.recurring else "Tarif unitaire HT",
        "object": "price", "product": product_id, "recurring": recurring,
        "tax_behavior": "exclusive", "tiers_mode": None, "transform_quantity": None,
        "type": "recurring" if offer.recurring else "one_time",
        "unit_amount": offer.unit_amount, "unit_amount_decimal": str(offer.unit_amount),
    }


def _coupon(coupon_id: str, name: str, percent_off: float | None, amount_off: int | None,
            duration: str, age_days: int, month: Month) -> dict:
    return {
        "amount_off": amount_off, "created": month.start - age_days * DAY,
        # Stripe gives a currency to amount-off coupons only.
        "currency": "eur" if amount_off is not None else None,
        "duration": duration, "duration_in_months": None, "id": coupon_id, "livemode": False,
        "max_redemptions": None, "metadata": {}, "name": name, "object": "coupon",
        "percent_off": percent_off, "redeem_by": None,
        "times_redeemed": 0,  # counted once the month's invoices are known
        "valid": True,
    }
