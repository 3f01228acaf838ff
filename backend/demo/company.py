"""The demo company: "La Maison du Coworking", one month of its Stripe billing.

An invented coworking operator with two sites (Paris Bastille and Lyon Presqu'île), about
180 customers and 500 invoices a month, returned as the Stripe API (version
2026-10-28.endive) returns its objects. The local Stripe sandbox serves them, the accounting
core turns them into entries, and `make demo`, the tests and the benchmarks start from them.

Beside the ordinary month (subscription renewals, new subscriptions, one-off invoices for
meeting rooms, day passes, café, printing), the month holds every case the journal must
handle: one void invoice, one draft, one zero-total invoice (100 % coupon), a proration
credit line, an invoice of 13 lines, an invoice created on the last day of the previous month
and finalized in this one, one finalized at 23:30 UTC on the last day (already the next month
in Paris), invoices paid partly from the customer's balance, invoices of the one product
without an accounting code, and credit notes (one with a custom line, one before payment).

Same arguments, same output, on every machine: a seeded `random.Random`, no wall clock.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from backend.demo.billing import (InvoicePlan, LineSpec, apply_credit_note,
                                  credit_invoice_line, custom_credit_line, item_parent,
                                  render_credit_note, render_invoice, subscription_parent)
from backend.demo.catalog import Catalog, build_catalog
from backend.demo.common import DAY, IdFactory, Month, account_tag, add_months, local
from backend.demo.customers import Member, build_customers

DEMO_COMPANY = {
    "name": "La Maison du Coworking",
    "siren": "918345620",
    "axis_names": ["Activité", "Site", "Offre"],
    "month": "2026-10",
    "timezone": "Europe/Paris",
}

_FOOTER = ("La Maison du Coworking — SAS au capital de 20 000 € — 12 rue de la Roquette, "
           "75011 Paris — SIREN 918 345 620 — TVA FR95918345620")

INVOICES_PER_MONTH = 500
# Invoice numbers run through the year; giving each month its own block keeps two demo months
# of the same year from sharing a number.
_NUMBERS_PER_MONTH = 600

# File name (= key of the build) and the list's url, as the API names them.
KINDS = {
    "tax_rates": "/v1/tax_rates", "products": "/v1/products", "prices": "/v1/prices",
    "coupons": "/v1/coupons", "customers": "/v1/customers", "invoices": "/v1/invoices",
    "credit_notes": "/v1/credit_notes",
}

_MONTHS_FR = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.",
              "oct.", "nov.", "déc.")

# What customers buy on top of their subscription: (purchase, weight); "salle" and "pass"
# are bought at the customer's site.
_COMPANY_PURCHASES = (("salle", 40), ("cafe", 15), ("impression", 15), ("refacturation", 10),
                      ("snacking", 10), ("pass", 7), ("privatisation", 3))
_PERSON_PURCHASES = (("pass", 40), ("salle", 20), ("cafe", 20), ("impression", 10),
                     ("snacking", 10))
_QUANTITIES = {"salle": (1, 8), "cafe": (1, 4), "impression": (10, 400),
               "refacturation": (1, 3), "snacking": (1, 8), "pass": (1, 5),
               "privatisation": (1, 1)}


def build_demo_company(month: str = "2026-10", seed: int = 2026) -> dict:
    """The company's catalog and customers and one month of invoices and credit notes, each
    kind a list of Stripe objects (plain dicts), newest first as the API lists them."""
    clock = Month.parse(month)
    rng = random.Random(seed)
    ids = IdFactory(rng, account_tag(rng))
    catalog = build_catalog(ids, clock)
    members = build_customers(rng, ids, clock)
    # The month's documents draw from their own generator, so that two months of the same
    # company share customers and products but no invoice id.
    month_rng = random.Random(f"{seed}:{clock.label}")
    biller = _Biller(clock, month_rng, ids.spawn(month_rng), catalog)
    biller.bill(members)
    invoices = biller.render()
    credit_notes = biller.credit(invoices)
    _settle_customers(members, invoices, credit_notes)
    biller.count_redemptions()
    return {
        "tax_rates": _newest_first(catalog.tax_rates.values()),
        "products": _newest_first(catalog.products.values()),
        "prices": _newest_first(catalog.prices.values()),
        "coupons": _newest_first(catalog.coupons.values()),
        "customers": _newest_first(m.customer for m in members),
        "invoices": _newest_first(invoices),
        "credit_notes": _newest_first(credit_notes),
    }


def write_demo_company(directory, month: str = "2026-10", seed: int = 2026) -> list[Path]:
    """One JSON file per kind (`invoices.json`, ...), each a Stripe list object."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    company = build_demo_company(month, seed)
    paths = []
    for kind, url in KINDS.items():
        path = directory / f"{kind}.json"
        listing = {"object": "list", "data": company[kind], "has_more": False, "url": url}
        path.write_text(json.dumps(listing, ensure_ascii=False, indent=1) + "\n",
                        encoding="utf-8")
        paths.append(path)
    return paths


def scale_invoices(company: dict, count: int) -> list[dict]:
    """`count` invoices for benchmarks: the month's invoices, then copies of them with new
    ids, line ids and numbers (same customers, products and amounts).

    Copies are shallow below the line level: nested parts (taxes, pricing, addresses) are
    shared with the originals, so treat the result as read-only.
    """
    base = company["invoices"]
    result = list(base[:count])
    if count <= len(base):
        return result
    rng = random.Random(f"scale:{count}")
    ids = IdFactory(rng, base[0]["id"][9:19])  # the account tag inside Stripe-like ids
    ids.reserve(inv["id"] for inv in base)
    ids.reserve(line["id"] for inv in base for line in inv["lines"]["data"])
    numbered = [inv["number"] for inv in base if inv["number"]]
    prefix = max(numbered).rsplit("-", 1)[0] + "-"
    next_number = max(int(n.rsplit("-", 1)[1]) for n in numbered) + 1
    while len(result) < count:
        for original in base:
            if len(result) == count:
                break
            invoice_id = ids.long("in")
            lines = [dict(line, id=ids.long("il"), invoice=invoice_id)
                     for line in original["lines"]["data"]]
            copy = dict(original, id=invoice_id,
                        lines=dict(original["lines"], data=lines,
                                   url=f"/v1/invoices/{invoice_id}/lines"))
            if original["number"]:
                copy["number"] = f"{prefix}{next_number:04d}"
                next_number += 1
            result.append(copy)
    return result


def _newest_first(objects) -> list[dict]:
    return sorted(objects, key=lambda obj: -obj["created"])


@dataclass
class _Subscription:
    id: str
    member: Member
    items: list[list]            # [offer key, quantity, subscription item id]
    anchor: int                  # start of the current period: the renewal in this month
    card: bool                   # card payments settle at once, SEPA debits days later
    # (discount id, coupon): the customer's loyalty discount, a welcome coupon...
    discounts: list[tuple[str, dict]] = field(default_factory=list)


class _Biller:
    """Plans the month's invoices (`bill`), renders them (`render`), then credits a few."""

    def __init__(self, clock: Month, rng: random.Random, ids: IdFactory, catalog: Catalog):
        self.clock = clock
        self.rng = rng
        self.ids = ids
        self.catalog = catalog
        self.account = {"name": DEMO_COMPANY["name"], "footer": _FOOTER, "tag": ids.tag}
        # The data is a snapshot taken on the morning after the month: later payments and
        # finalizations have not happened yet.
        self.snapshot = clock.shifted(1).at(1, 9)
        self.plans: list[InvoicePlan] = []
        self.discounts: dict[str, list[tuple[str, dict]]] = {}  # customer-level, by customer

    # --- the month ---------------------------------------------------------------------

    def bill(self, members: list[Member]) -> None:
        long_standing = [m for m in members if m.long_standing]
        new = [m for m in members if not m.long_standing]
        renewals = [self._subscription(m, items, self._anchor(), self._pays_by_card(m))
                    for m in long_standing for items in self._usual_plan(m)]
        self._reward_loyalty(renewals)
        cycles = {sub.id: self._renewal(sub) for sub in renewals}
        plain = self._special_renewals(renewals, cycles)
        self.plans.extend(cycles.values())
        self._upgrade(plain, cycles)
        self._new_subscriptions(new)
        self._special_one_offs(long_standing)
        self._fill_with_one_offs(members, new)

    def _usual_plan(self, member: Member) -> list[list[tuple[str, int]]]:
        """The subscriptions a long-standing member renews each month (items per one)."""
        rng = self.rng
        site = "paris" if member.site == "domiciled" else member.site
        other = "lyon" if site == "paris" else "paris"
        if not member.is_company:
            roll = rng.random()
            if roll < 0.55:
                return [[(f"nomade_{site}", 1)]]
            return [[(f"fixe_{site}", 1)]] if roll < 0.8 else []  # else day passes only
        if member.site == "domiciled":
            return [[("domiciliation", 1)]]
        roll = rng.random()
        if roll < 0.25:
            plan = [[(f"privatif_{site}", 1)]]
            if rng.random() < 0.5:
                plan[0].append(("domiciliation", 1))
        elif roll < 0.6:
            plan = [[(f"fixe_{site}", rng.randint(1, 4))]]
        else:
            plan = [[(f"nomade_{site}", rng.randint(1, 3))]]
        if rng.random() < 0.15:
            plan.append([(f"nomade_{other}", 1)])  # a second subscription at the other site
        return plan

    def _anchor(self) -> int:
        """This month's renewal: most members renew on the 1st, others on their anniversary."""
        day = 1 if self.rng.random() < 0.6 else self.rng.randint(2, 28)
        return self.clock.at(day, *self._clock_time(7, 20))

    def _pays_by_card(self, member: Member) -> bool:
        return not member.is_company or self.rng.random() < 0.4

    def _subscription(self, member: Member, items, anchor: int, card: bool) -> _Subscription:
        return _Subscription(self.ids.long("sub"), member,
                             [[offer, qty, self.ids.short("si")] for offer, qty in items],
                             anchor, card)

    def _reward_loyalty(self, renewals: list[_Subscription]) -> None:
        """A 10 % forever coupon on a few long-standing multi-seat companies."""
        multi_seat = [s for s in renewals if s.member.is_company and s.items[0][1] >= 2]
        coupon = self.catalog.coupons["FIDELITE10"]
        for sub in self.rng.sample(multi_seat, 8):
            member = sub.member
            if member.id not in self.discounts:
                discount_id = self.ids.long("di")
                start = member.customer["created"] + 30 * DAY
                member.customer["discount"] = _discount(discount_id, coupon["id"],
                                                        member.id, start)
                self.discounts[member.id] = [(discount_id, coupon)]
        for sub in renewals:
            sub.discounts = list(self.discounts.get(sub.member.id, []))

    def _renewal(self, sub: _Subscription) -> InvoicePlan:
        """The monthly renewal: created at the cycle, finalized about an hour later."""
        created = sub.anchor
        finalized = created + 3600 + self.rng.randint(0, 300)
        plan = InvoicePlan(
            id=self.ids.long("in"), customer=sub.member.customer,
            billing_reason="subscription_cycle", collection_method="charge_automatically",
            created=created, lines=self._subscription_lines(sub, created),
            finalized_at=finalized, attempt_count=1, discounts=list(sub.discounts),
            subscription=sub.id, period=(add_months(created, -1), created))
        plan.paid_at = self._settled(finalized, sub.card)
        return plan

    def _subscription_lines(self, sub: _Subscription, start: int) -> list[LineSpec]:
        end = add_months(start, 1)
        lines = []
        for offer_key, quantity, item_id in sub.items:
            offer = self.catalog.offers[offer_key]
            lines.append(LineSpec(
                id=self.ids.long("il"), offer=offer_key, quantity=quantity,
                description=f"{quantity} × {offer.name} (à {_euros(offer.unit_amount)} / mois)",
                period=(start, end), parent=subscription_parent(sub.id, item_id),
                subscription=sub.id))
        return lines

    def _settled(self, finalized: int, card: bool) -> int | None:
        """When an automatic payment succeeded: a card at once, a SEPA debit 3 to 5 days
        later; None if that is after the snapshot (the invoice is still open)."""
        if card:
            return finalized + self.rng.randint(3, 40)
        paid = finalized + self.rng.randint(3 * DAY, 5 * DAY)
        return paid if paid <= self.snapshot else None

    def _special_renewals(self, renewals: list[_Subscription],
                          cycles: dict[str, InvoicePlan]) -> list[_Subscription]:
        """Renewals that failed, used credit, gained a locker or a coupon; returns the rest."""
        rng = self.rng
        plain = [s for s in renewals if not s.discounts]
        by_card = [s for s in plain if s.card and cycles[s.id].paid_at]
        early_people = [s for s in by_card if not s.member.is_company
                        and local(s.anchor).day <= 5]
        # Two cards kept failing: after the retries, the invoices were marked uncollectible.
        for sub in rng.sample(early_people, 2):
            plan = cycles[sub.id]
            plan.paid_at, plan.attempt_count = None, 4
            plan.marked_uncollectible_at = plan.finalized_at + 21 * DAY
            plain.remove(sub)
            by_card.remove(sub)
        # A few card payments failed and are being retried: open invoices.
        for sub in rng.sample(by_card, 4):
            cycles[sub.id].paid_at, cycles[sub.id].attempt_count = None, 2
            plain.remove(sub)
        # Credit left on the customer's balance (an earlier credit note) pays part of the
        # renewal; on the domiciliation-only one it pays it all and some credit remains.
        domiciled = next(s for s in plain if s.member.site == "domiciled")
        offices = [s for s in plain if s is not domiciled and s.member.is_company]
        for sub, credit in zip([domiciled, *rng.sample(offices, 2)], (10000, 5000, 12000)):
            cycles[sub.id].starting_balance = -credit
            plain.remove(sub)
        cycles[domiciled.id].paid_at = cycles[domiciled.id].finalized_at  # nothing left due
        # Two members added the new locker to their subscription last month.
        for sub in rng.sample([s for s in plain if s.member.is_company], 2):
            sub.items.append(["casier", 1, self.ids.short("si")])
            cycles[sub.id].lines = self._subscription_lines(sub, sub.anchor)
            plain.remove(sub)
        # A 30 € goodwill coupon on one plain renewal and, stacked on the 10 % loyalty
        # discount, on one loyal company's.
        geste = self.catalog.coupons["GESTE30"]
        loyal = next(s for s in renewals if s.discounts)
        gesture = rng.choice(plain)
        plain.remove(gesture)
        for sub in (gesture, loyal):
            cycles[sub.id].discounts.append((self.ids.long("di"), geste))
        return plain

    def _upgrade(self, plain: list[_Subscription], cycles: dict[str, InvoicePlan]) -> None:
        """A member moves from a nomad desk to a fixed desk mid-period: the invoice credits
        the unused time of the old plan (a negative line) and charges the new one."""
        sub = next(s for s in plain
                   if not s.member.is_company and s.items[0][0].startswith("nomade_")
                   and s.card and local(s.anchor).day == 1 and cycles[s.id].paid_at)
        renewal = cycles[sub.id]
        start, end = sub.anchor, add_months(sub.anchor, 1)
        change = self.clock.at(15, 10, 12, 40)
        old_offer, _, old_item = sub.items[0]
        new_offer = old_offer.replace("nomade_", "fixe_")
        new_item = self.ids.short("si")
        day = local(change)
        after = f"après le {day.day} {_MONTHS_FR[day.month - 1]} {day.year}"

        def prorated(offer_key: str) -> int:  # half up, in integer arithmetic
            unit = self.catalog.offers[offer_key].unit_amount
            return (2 * unit * (end - change) + (end - start)) // (2 * (end - start))

        lines = [
            LineSpec(id=self.ids.long("il"), offer=old_offer, quantity=1,
                     description=f"Temps non utilisé sur {self.catalog.offers[old_offer].name} "
                                 f"{after}",
                     period=(change, end), subscription=sub.id, discountable=False,
                     parent=subscription_parent(sub.id, old_item,
                                                invoice_item=self.ids.long("ii"),
                                                credited=(renewal.id, renewal.lines[0].id)),
                     unit_amount=-prorated(old_offer)),
            LineSpec(id=self.ids.long("il"), offer=new_offer, quantity=1,
                     description=f"Temps restant sur {self.catalog.offers[new_offer].name} "
                                 f"{after}",
                     period=(change, end), subscription=sub.id,
                     parent=subscription_parent(sub.id, new_item,
                                                invoice_item=self.ids.long("ii")),
                     unit_amount=prorated(new_offer)),
        ]
        sub.items[0] = [new_offer, 1, new_item]
        self.plans.append(InvoicePlan(
            id=self.ids.long("in"), customer=sub.member.customer,
            billing_reason="subscription_update", collection_method="charge_automatically",
            created=change, lines=lines, finalized_at=change + 2, paid_at=change + 9,
            attempt_count=1, subscription=sub.id, proration_date=change,
            period=(change, change)))

    def _new_subscriptions(self, new: list[Member]) -> None:
        """Half of the new customers subscribe during the month: first invoices paid at
        once by card, some with a welcome coupon, one with its first month free, two with
        the new locker, and one at 23:30 UTC on the last day (00:30 the next day in Paris)."""
        rng = self.rng
        subscribers = new[: len(new) // 2]
        welcome = self.catalog.coupons["BIENVENUE50"]
        free = self.catalog.coupons["OFFERT100"]
        late_night = next(m for m in subscribers if not m.is_company)
        free_month = next(m for m in subscribers if not m.is_company and m is not late_night)
        last_day = self.clock.days
        utc_2330 = int(datetime(self.clock.year, self.clock.month, last_day, 23, 30,
                                tzinfo=timezone.utc).timestamp())
        late_night.customer["created"] = utc_2330 - 300
        others = [m for m in subscribers if m not in (late_night, free_month)]
        lockers = others[:2]
        welcomed = others[2:8]
        for member in subscribers:
            site = "paris" if member.site == "domiciled" else member.site
            items = [(rng.choice((f"nomade_{site}", f"fixe_{site}")),
                      rng.randint(1, 2) if member.is_company else 1)]
            if member in lockers:
                items.append(("casier", 1))
            when = (utc_2330 - 8 if member is late_night
                    else member.customer["created"] + rng.randint(120, 1800))
            sub = self._subscription(member, items, when, card=True)
            if member is free_month:
                sub.discounts.append((self.ids.long("di"), free))
            elif member in welcomed:
                sub.discounts.append((self.ids.long("di"), welcome))
            finalized = utc_2330 if member is late_night else when + rng.randint(1, 4)
            self.plans.append(InvoicePlan(
                id=self.ids.long("in"), customer=member.customer,
                billing_reason="subscription_create", collection_method="charge_automatically",
                created=when, lines=self._subscription_lines(sub, when),
                finalized_at=finalized, paid_at=finalized + rng.randint(3, 20),
                attempt_count=1, discounts=list(sub.discounts), subscription=sub.id,
                period=(when, when)))

    # --- one-off invoices --------------------------------------------------------------

    def _special_one_offs(self, long_standing: list[Member]) -> None:
        rng = self.rng
        companies = [m for m in long_standing
                     if m.is_company and m.id not in self.discounts]
        seminar, late, voided, draft = rng.sample(companies, 4)
        clock = self.clock

        # A seminar billed on one invoice of 13 lines (three VAT rates), with a 30 € gesture.
        day = rng.randint(6, 12)
        when = clock.at(day, 17, 5, 12)
        lines = [self._one_off_line(offer, qty, when, label) for offer, qty, label in (
            ("privatisation", 1, "Privatisation — jour 1, matin"),
            ("privatisation", 1, "Privatisation — jour 2, matin"),
            ("salle_paris", 4, "Salle de réunion — atelier jour 1"),
            ("salle_paris", 3, "Salle de réunion — atelier jour 2"),
            ("pass_paris", 12, "Pass journée — participants jour 1"),
            ("pass_paris", 10, "Pass journée — participants jour 2"),
            ("cafe", 6, "Pack café — accueil jour 1"),
            ("cafe", 4, "Pack café — accueil jour 2"),
            ("snacking", 40, "Snacking — pause jour 1"),
            ("snacking", 25, "Snacking — pause jour 2"),
            ("impression", 850, "Impressions — supports des participants"),
            ("impression", 120, "Impressions — badges et signalétique"),
            ("refacturation", 3, "Refacturation — envoi des invitations en recommandé"),
        )]
        self.plans.append(self._one_off(seminar, when, lines, finalize_after=1800,
                                        description="Séminaire d'équipe — 2 jours",
                                        extra=((self.ids.long("di"),
                                                self.catalog.coupons["GESTE30"]),)))

        # Drafted on the last afternoon of the previous month, finalized on the 2nd.
        created = clock.shifted(-1).at(clock.shifted(-1).days, 17, 40, 3)
        lines = [self._one_off_line("privatisation", 1, created),
                 self._one_off_line("cafe", 8, created),
                 self._one_off_line("snacking", 30, created)]
        plan = self._one_off(late, created, lines, description="Soirée de lancement")
        plan.finalized_at = clock.at(2, 9, 15, 27)
        plan.paid_at = plan.finalized_at + 6 * DAY
        self.plans.append(plan)

        # Billed twice by mistake: the copy was voided the next day.
        when = clock.at(8, 11, 2, 9)
        plan = self._one_off(voided, when, [self._one_off_line("salle_paris", 3, when)],
                             finalize_after=300)
        plan.paid_at, plan.voided_at = None, plan.finalized_at + DAY
        self.plans.append(plan)

        # Prepared on the last afternoon, not finalized yet: the journal ignores drafts.
        when = clock.at(clock.days, 16, 20, 45)
        plan = self._one_off(draft, when, [self._one_off_line("salle_paris", 2, when),
                                           self._one_off_line("cafe", 1, when)])
        plan.finalized_at = plan.paid_at = None
        self.plans.append(plan)

    def _fill_with_one_offs(self, members: list[Member], new: list[Member]) -> None:
        """Ordinary one-off purchases up to the month's volume; each new customer that did
        not subscribe makes at least one."""
        first_buyers = new[len(new) // 2:]
        # Whoever joined before the last morning (not the customer of 23:30 UTC).
        regulars = [m for m in members
                    if m.customer["created"] < self.clock.at(self.clock.days, 8)]
        while len(self.plans) < INVOICES_PER_MONTH:
            member = first_buyers.pop(0) if first_buyers else self.rng.choice(regulars)
            when = self._purchase_time(member)
            lines = [self._one_off_line(offer, self._quantity(offer), when)
                     for offer in self._basket(member)]
            self.plans.append(self._one_off(member, when, lines))

    def _basket(self, member: Member) -> list[str]:
        """One to three different offers, by what this kind of customer buys."""
        purchases = _COMPANY_PURCHASES if member.is_company else _PERSON_PURCHASES
        size = self.rng.choices((1, 2, 3), weights=(70, 22, 8))[0]
        site = "paris" if member.site == "domiciled" else member.site
        basket: list[str] = []
        while len(basket) < size:
            kind = self.rng.choices([p for p, _ in purchases], [w for _, w in purchases])[0]
            offer = f"{kind}_{site}" if kind in ("salle", "pass") else kind
            if offer not in basket:
                basket.append(offer)
        return basket

    def _quantity(self, offer: str) -> int:
        return self.rng.randint(*_QUANTITIES[offer.split("_")[0]])

    def _purchase_time(self, member: Member) -> int:
        """A working-hours moment in the month, after the customer was created."""
        created = member.customer["created"]
        first_day = local(created).day if self.clock.contains(created) else 1
        when = self.clock.at(self.rng.randint(first_day, self.clock.days),
                             *self._clock_time(8, 19))
        return when if when > created else created + self.rng.randint(300, 3600)

    def _clock_time(self, first_hour: int, last_hour: int) -> tuple[int, int, int]:
        return (self.rng.randint(first_hour, last_hour), self.rng.randrange(60),
                self.rng.randrange(60))

    def _one_off_line(self, offer_key: str, quantity: int, when: int,
                      label: str | None = None) -> LineSpec:
        offer = self.catalog.offers[offer_key]
        if label is None:
            label = offer.name
            if offer_key.startswith(("salle_", "pass_", "privatisation")):
                label += f" — {local(when):%d/%m/%Y}"
        return LineSpec(id=self.ids.long("il"), offer=offer_key, quantity=quantity,
                        description=label, period=(when, when),
                        parent=item_parent(self.ids.long("ii")))

    def _one_off(self, member: Member, when: int, lines: list[LineSpec],
                 finalize_after: int | None = None, description: str | None = None,
                 extra: tuple[tuple[str, dict], ...] = ()) -> InvoicePlan:
        """A one-off invoice: companies pay by transfer within 30 days (some later than the
        snapshot: still open), people by card at finalization."""
        rng = self.rng
        finalized = when + (finalize_after if finalize_after is not None
                            else rng.randint(60, 5400))
        if member.is_company:
            delay = (rng.randint(1, 10) if rng.random() < 0.7 else rng.randint(10, 40)) * DAY
            paid = finalized + delay + rng.randint(0, 8 * 3600)
            paid = paid if paid <= self.snapshot else None
        else:
            paid = finalized + rng.randint(5, 60)
        return InvoicePlan(
            id=self.ids.long("in"), customer=member.customer, billing_reason="manual",
            collection_method="send_invoice" if member.is_company else "charge_automatically",
            created=when, lines=lines, finalized_at=finalized, paid_at=paid,
            attempt_count=0 if member.is_company else 1,  # transfers are not attempts
            discounts=[*self.discounts.get(member.id, []), *extra], description=description)

    # --- rendering and credit notes ----------------------------------------------------

    def render(self) -> list[dict]:
        """The invoices as the API returns them, numbered in the order they were finalized."""
        invoices = [render_invoice(plan, self.catalog, self.account)
                    for plan in self.plans]
        finalized = sorted((inv for inv in invoices if inv["status_transitions"]["finalized_at"]),
                           key=lambda inv: (inv["status_transitions"]["finalized_at"],
                                            inv["created"], inv["id"]))
        first = (self.clock.month - 1) * _NUMBERS_PER_MONTH + 1
        for sequence, invoice in enumerate(finalized, start=first):
            invoice["number"] = f"MDC-{self.clock.year}-{sequence:04d}"
        return invoices

    def credit(self, invoices: list[dict]) -> list[dict]:
        """Five credit notes on invoices of the month, issued a few days after them."""
        rates = {rate["id"]: rate for rate in self.catalog.tax_rates.values()}
        vat_20 = self.catalog.tax_rates["20"]
        by_number = sorted((inv for inv in invoices if inv["number"]),
                           key=lambda inv: inv["number"])
        candidates = [inv for inv in by_number
                      if inv["starting_balance"] == 0 and inv["total"] > 0
                      and local(inv["status_transitions"]["finalized_at"]).day <= 24
                      and self.clock.contains(inv["created"])
                      and self.clock.contains(inv["status_transitions"]["finalized_at"])]
        taken: set[str] = set()

        def pick(status: str, test) -> dict:
            found = next(inv for inv in candidates if inv["id"] not in taken
                         and inv["status"] == status and test(inv))
            taken.add(found["id"])
            return found

        def line_of(invoice: dict, prefix: str) -> dict:
            return next(line for line in invoice["lines"]["data"]
                        if self._offer_of(line).startswith(prefix))

        def credited(line: dict, quantity: int) -> dict:
            rate = rates[line["taxes"][0]["tax_rate_details"]["tax_rate"]]
            return credit_invoice_line(line, quantity, rate, self.ids.long("cnli"))

        def has(prefix: str):
            return lambda inv: any(self._offer_of(line).startswith(prefix)
                                   for line in inv["lines"]["data"])

        notes = []
        # A meeting room booked by card and cancelled: the line refunded in full.
        room = pick("paid", lambda inv: inv["billing_reason"] == "manual"
                    and inv["collection_method"] == "charge_automatically"
                    and not inv["discounts"] and has("salle_")(inv))
        booking = line_of(room, "salle_")
        notes.append((room, [credited(booking, booking["quantity"])], "order_change",
                      "Réservation de salle annulée.", "refund"))
        # A loyal company gives back one of its desks mid-month: one unit of a discounted
        # line, with its share of the discount, credited to the customer's balance.
        desk = pick("paid", lambda inv: inv["billing_reason"] == "subscription_cycle"
                    and inv["customer"] in self.discounts and len(inv["discounts"]) == 1
                    and any(line["quantity"] >= 2 for line in inv["lines"]["data"]))
        seats = next(line for line in desk["lines"]["data"] if line["quantity"] >= 2)
        notes.append((desk, [credited(seats, 1)], "order_change",
                      "Un poste libéré en cours de mois.", "balance"))
        # Air conditioning down for three days in a private office: a goodwill gesture.
        office = pick("paid", lambda inv: not inv["discounts"] and has("privatif_")(inv))
        notes.append((office, [custom_credit_line(
            "Geste commercial — climatisation en panne du 12 au 14", 15000, vat_20,
            self.ids.long("cnli"))], "product_unsatisfactory", "Avec nos excuses.", "refund"))
        # A line billed twice on an invoice not yet paid: credited before payment.
        twice = pick("open", lambda inv: inv["collection_method"] == "send_invoice"
                     and not inv["discounts"])
        line = twice["lines"]["data"][0]
        notes.append((twice, [credited(line, line["quantity"])], "duplicate",
                      "Ligne facturée deux fois.", None))
        # A café pack not delivered, plus a small gesture, on the customer's balance.
        cafe = pick("paid", lambda inv: not inv["discounts"] and has("cafe")(inv)
                    and inv["total"] >= 5000)  # room for the gesture on top of the pack
        notes.append((cafe, [credited(line_of(cafe, "cafe"), 1), custom_credit_line(
            "Geste commercial — machine à café en panne", 500, self.catalog.tax_rates["10"],
            self.ids.long("cnli"))], "product_unsatisfactory", None, "balance"))

        credit_notes = []
        for invoice, lines, reason, memo, settlement in notes:
            # After the payment for a post-payment note (a SEPA debit takes days).
            transitions = invoice["status_transitions"]
            created = self._within_month(transitions["paid_at"] or transitions["finalized_at"])
            note = render_credit_note(
                self.ids.long("cn"), invoice, lines, created, reason, memo,
                refund_id=self.ids.long("re") if settlement == "refund" else None,
                balance_transaction_id=(self.ids.long("cbtxn") if settlement == "balance"
                                        else None))
            apply_credit_note(invoice, note)
            credit_notes.append(note)
        return credit_notes

    def count_redemptions(self) -> None:
        """Each discount is one redemption of its coupon."""
        redeemed: dict[str, set[str]] = {}
        for plan in self.plans:
            for discount_id, coupon in plan.discounts:
                redeemed.setdefault(coupon["id"], set()).add(discount_id)
        for coupon_id, discount_ids in redeemed.items():
            self.catalog.coupons[coupon_id]["times_redeemed"] = len(discount_ids)

    def _offer_of(self, line: dict) -> str:
        product = line["pricing"]["price_details"]["product"]
        return next(key for key, p in self.catalog.products.items() if p["id"] == product)

    def _within_month(self, after: int) -> int:
        """A working-hours moment one to four days after `after`, before the month ends."""
        day = min(local(after).day + self.rng.randint(1, 4), self.clock.days)
        return self.clock.at(day, *self._clock_time(9, 17))


def _discount(discount_id: str, coupon_id: str, customer_id: str, start: int) -> dict:
    """A customer-level discount object (Stripe embeds it in the customer)."""
    return {"checkout_session": None, "customer": customer_id, "customer_account": None,
            "end": None, "id": discount_id, "invoice": None, "invoice_item": None,
            "object": "discount", "promotion_code": None,
            "source": {"coupon": coupon_id, "type": "coupon"}, "start": start,
            "subscription": None, "subscription_item": None}


def _settle_customers(members: list[Member], invoices: list[dict],
                      credit_notes: list[dict]) -> None:
    """Customer state after the month: balance left, delinquency, next invoice number."""
    by_id = {m.id: m.customer for m in members}
    for invoice in invoices:
        customer = by_id[invoice["customer"]]
        if invoice["starting_balance"]:
            customer["balance"] += invoice["ending_balance"]
        if invoice["status"] == "uncollectible" or (
                invoice["status"] == "open" and invoice["attempt_count"] > 1):
            customer["delinquent"] = True
        if invoice["number"]:
            customer["next_invoice_sequence"] += 1
    for note in credit_notes:
        if note["customer_balance_transaction"]:
            by_id[note["customer"]]["balance"] -= note["total"]


def _euros(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d} €"
