"""Sync: HubSpot and Stripe kept in step, products and customers.

Products: HubSpot is the master of name, description, price, billing frequency and the
accounting fields. A new HubSpot product is created in Stripe (monthly, quarterly... when
HubSpot's `recurringbillingfrequency` says so); changes are carried over (a new price or
frequency makes a new Stripe price and archives the old one: Stripe prices cannot change); an
archived one is archived. A name or description changed in Stripe flows back. Each side stores
the other's id.

Customers: each HubSpot company or contact with a quote (sent or accepted), a deal in a
configured stage, or a link already, gets its Stripe customer: the linked one; else the one
customer with its email (exactly one, not linked elsewhere); else a new one with an account
code from the nomenclature, unique among every code known. Later edits of name, email, address
or code on either side are carried to the other. A code, once given, changes only when a
person changes it.

Both: when the same field changed on both sides since the last sync, nothing is overwritten:
it is a conflict for a person to settle. A record Stripe would refuse (`sync/stripe_rules.py`)
or does refuse (a 400) is reported "à vérifier" and left alone; the others go on. Any other
failure (5xx, 429, connection) ends the run: the next one takes over. A dry run lists what
would change and changes nothing.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone

from backend import spreadsheet
from backend.core.codes import CodeError, code_key, customer_code, is_customer_account
from backend.core.settings import Settings
from backend.services.locked import DEFAULT_LEASE, Lease, checkpoint, run_locked
from backend.store.ledger import LedgerStore, SyncLink
from backend.sync import records, stripe_rules
from backend.sync.merge import Conflict, merge
from backend.sync.stripe_rules import StripeRefusal

PRODUCT, COMPANY, CONTACT = "product", "company", "contact"


@dataclass
class SyncReport:
    dry_run: bool = False
    # Whether customers were synced: only they are linked (by e-mail), so a products-only
    # report says nothing of links.
    customers: bool = True
    created: list[str] = field(default_factory=list)      # "product prod_x (Bureau)"...
    updated: list[str] = field(default_factory=list)
    linked: list[str] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)     # French: why a record was left alone
    calls: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> dict:
        return {"dry_run": self.dry_run, "created": len(self.created), "updated": len(self.updated),
                "linked": len(self.linked), "archived": len(self.archived),
                "conflicts": len(self.conflicts), "problems": len(self.problems),
                "calls": self.calls, "seconds": round(self.seconds, 3)}

    def french(self, detail: int = 5) -> str:
        """One line for Historique and the sidebar: the counts, then the first items of each."""
        head = "Simulation : " if self.dry_run else ""
        linked = f"{len(self.linked)} relié(s), " if self.customers or self.linked else ""
        line = (f"{head}{len(self.created)} créé(s), {len(self.updated)} mis à jour, "
                f"{linked}{len(self.archived)} archivé(s), "
                f"{len(self.conflicts)} conflit(s) à arbitrer"
                + (f", {len(self.problems)} à vérifier" if self.problems else ""))
        for title, items in (("Créés", self.created), ("Reliés", self.linked),
                             ("Conflits", [c.french() for c in self.conflicts]),
                             ("À vérifier", self.problems)):
            if items and detail:
                line += f". {title} : " + " ; ".join(items[:detail]) + (" …" if len(items) > detail else "")
        return line


def _key(company: str, *parts: str) -> str:
    """An idempotency key stable across retries of the same change (Stripe replays it)."""
    return "sync-" + "-".join((company,) + parts)


# --- products -------------------------------------------------------------------------------

def sync_products(hubspot, stripe, store: LedgerStore, company: str, report: SyncReport,
                  now: datetime) -> None:
    prices = {p["id"]: p for p in stripe.prices()}
    stripe_products = {p["id"]: p for p in stripe.products()}
    by_hubspot_meta = {(p.get("metadata") or {}).get("hubspot_product_id"): p
                       for p in stripe_products.values() if (p.get("metadata") or {}).get("hubspot_product_id")}
    links = store.sync_links(company, PRODUCT)
    new_links: list[SyncLink] = []
    back_to_hubspot: dict[str, dict] = {}

    for obj in hubspot.products(archived=False) + hubspot.products(archived=True):
        checkpoint()   # between records: a stop here is a crash the sync already recovers from
        hid = obj["id"]
        props = obj.get("properties") or {}
        stripe_id = (records.text(props.get("stripe_product_id"))
                     or (links[hid].stripe_id if hid in links else "")
                     or (by_hubspot_meta.get(hid) or {}).get("id", ""))
        product = stripe_products.get(stripe_id)
        fields, problem = records.hubspot_product(obj)
        label = _label("produit", fields["name"], hid)
        if obj.get("archived"):
            if product is not None and product.get("active"):
                try:
                    if not report.dry_run:
                        stripe.update_product(stripe_id, {"active": False})
                    report.archived.append(f"{label} ({stripe_id})")
                except StripeRefusal as refusal:
                    _problem(report, label, hid, refusal.french())
            continue
        if problem:
            _problem(report, label, hid, problem)
            continue
        current = records.stripe_product(product, prices) if product is not None else None
        if fields["period"] is None:
            # HubSpot states no frequency: the Stripe price keeps its period (a product linked
            # before frequencies were synced stays monthly); a new product is sold once.
            fields["period"] = current["period"] if current is not None else ""
        if product is None:
            if stripe_id:
                _problem(report, label, hid, f"le produit Stripe {stripe_id} est introuvable")
                continue
            if not report.dry_run:
                try:
                    created = stripe.create_product(fields, hid, _key(company, "product", hid))
                except StripeRefusal as refusal:
                    _problem(report, label, hid, refusal.french())
                    continue
                back_to_hubspot[hid] = {"stripe_product_id": created["id"]}
                new_links.append(SyncLink(hid, created["id"], fields))
            report.created.append(label)
            continue
        if records.text(props.get("stripe_product_id")) != stripe_id:
            back_to_hubspot.setdefault(hid, {})["stripe_product_id"] = stripe_id
            report.linked.append(f"{label} ({stripe_id})")
        base = links[hid].state if hid in links else None
        if base is not None and "period" not in base:
            # Links saved before the period was a synced field: Stripe's period was the last one.
            base = {**base, "period": current["period"]}
        result = merge(PRODUCT, hid, stripe_id, fields, current, base, records.PRODUCT_MASTER)
        report.conflicts += result.conflicts
        if not report.dry_run:
            try:
                _apply_product(stripe, product, result.to_stripe, result.state, company, hid)
                if "price" not in result.to_stripe and "period" not in result.to_stripe:
                    _finish_price_change(stripe, product, prices, label, report)
            except StripeRefusal as refusal:
                _problem(report, label, hid, refusal.french())
                continue
            if result.to_hubspot:
                back_to_hubspot.setdefault(hid, {}).update(records.hubspot_product_props(result.to_hubspot))
            new_links.append(SyncLink(hid, stripe_id, result.state))
        if result.changes:
            report.updated.append(f"{label} ({', '.join(sorted({**result.to_stripe, **result.to_hubspot}))})")

    if not report.dry_run:
        hubspot.update("products", back_to_hubspot)
        store.save_sync_links(company, PRODUCT, new_links, now=now)


def _label(kind: str, name: str, hid: str) -> str:
    """How a report names a HubSpot record: its kind and name (cut short), else its id."""
    if not name:
        return f"{kind} {hid}"
    return f"{kind} {name[:80]}" + ("…" if len(name) > 80 else "")


def _problem(report: SyncReport, label: str, hid: str, reason: str) -> None:
    """A record left alone, for a person to fix in HubSpot: named, with its HubSpot id."""
    named = label if label.endswith(f" {hid}") else f"{label} (HubSpot {hid})"
    report.problems.append(f"{named} : {reason}")


def _apply_product(stripe, product: dict, to_stripe: dict, state: dict, company: str,
                   hid: str) -> None:
    params = records.stripe_product_params(to_stripe)
    if "price" in to_stripe or "period" in to_stripe:
        # Stripe prices cannot change: a new price (HubSpot's amount and billing period)
        # becomes the default, the old one is archived.
        old = product.get("default_price")
        old_id = old.get("id") if isinstance(old, dict) else old
        # The key names the price replaced too: a price set back to an amount it had within
        # Stripe's 24 hours of idempotency is a new change, not a replay of the first one.
        billing = state["period"]
        new_price = stripe.create_price(product["id"], state["price"],
                                        _key(company, "price", hid, str(state["price"]),
                                             billing.replace(" ", "") or "once", old_id or "none"),
                                        replaces=old_id, recurring=stripe_rules.recurring(billing))
        params["default_price"] = new_price["id"]
        stripe.update_product(product["id"], params)
        if old_id:
            stripe.archive_price(old_id)
    elif params:
        stripe.update_product(product["id"], params)


def _finish_price_change(stripe, product: dict, prices: dict[str, dict], label: str,
                         report: SyncReport) -> None:
    """A price change cut short between the new default price and the old one's archiving (a
    crash) would leave the old price active for good: the new price names the one it
    replaces, archived here if still active (`prices` holds the active ones)."""
    default = product.get("default_price")
    default_id = default.get("id") if isinstance(default, dict) else default
    replaced = ((prices.get(default_id or "") or {}).get("metadata") or {}).get("replaces_price")
    if replaced and replaced in prices:
        stripe.archive_price(replaced)
        report.archived.append(f"ancien prix de {label} ({replaced})")


# --- customers ------------------------------------------------------------------------------

def sync_customers(hubspot, stripe, store: LedgerStore, settings: Settings, company: str,
                   report: SyncReport, now: datetime) -> None:
    customers = {c["id"]: c for c in stripe.customers()}
    candidates = hubspot.customer_candidates(settings.hubspot_quote_statuses,
                                             settings.hubspot_deal_stages)
    records_by_type = {COMPANY: hubspot.read("companies", sorted(candidates[COMPANY]),
                                             records.HUBSPOT_COMPANY_PROPERTIES),
                       CONTACT: hubspot.read("contacts", sorted(candidates[CONTACT]),
                                             records.HUBSPOT_CONTACT_PROPERTIES)}
    links = {t: store.sync_links(company, t) for t in (COMPANY, CONTACT)}
    linked_stripe = {l.stripe_id for t in links.values() for l in t.values()}
    meta_links = {}
    for c in customers.values():
        meta = c.get("metadata") or {}
        for t in (COMPANY, CONTACT):
            if meta.get(f"hubspot_{t}_id"):
                meta_links[(t, meta[f"hubspot_{t}_id"])] = c["id"]
                linked_stripe.add(c["id"])
    stored_codes = store.customer_codes(company)   # codes the generation gave, kept as given
    taken = ({code_key(records.text((c.get("metadata") or {}).get("accounting_code")))
              for c in customers.values()} | {code_key(c) for c in stored_codes.values()}
             | {code_key(records.text((o.get("properties") or {}).get("code_comptable")))
                for objs in records_by_type.values() for o in objs}) - {""}
    owners = _code_owners(customers, stored_codes)
    by_email: dict[str, list[str]] = {}
    for c in customers.values():
        if records.text(c.get("email")):
            by_email.setdefault(records.text(c["email"]).lower(), []).append(c["id"])

    codes_to_store: dict[str, str] = {}
    for object_type, objects in records_by_type.items():
        plural = "companies" if object_type == COMPANY else "contacts"
        back: dict[str, dict] = {}
        new_links: list[SyncLink] = []
        to_create: list[tuple[str, str, dict]] = []
        for obj in objects:
            checkpoint()   # between records (see sync_products)
            hid, props = obj["id"], obj.get("properties") or {}
            fields = records.hubspot_customer(object_type, obj)
            label = _label("entreprise" if object_type == COMPANY else "contact", fields["name"], hid)
            problem = stripe_rules.customer_problem(object_type, fields)
            if problem:   # Stripe would refuse it: left alone, not the whole sync stopped
                _problem(report, label, hid, problem)
                continue
            stripe_id = (records.text(props.get("stripe_customer_id"))
                         or (links[object_type][hid].stripe_id if hid in links[object_type] else "")
                         or meta_links.get((object_type, hid), ""))
            if stripe_id and stripe_id not in customers:
                _problem(report, label, hid, f"le client Stripe {stripe_id} est introuvable")
                continue
            if not stripe_id and fields.get("email"):
                matches = [m for m in by_email.get(fields["email"], []) if m not in linked_stripe]
                if len(by_email.get(fields["email"], [])) > 1:
                    _problem(report, label, hid, f"{len(by_email[fields['email']])} clients Stripe "
                                                 f"ont l'e-mail {fields['email']} : aucun n'est relié")
                    continue
                if len(matches) == 1:
                    stripe_id = matches[0]
                    linked_stripe.add(stripe_id)
                    report.linked.append(f"{label} ({stripe_id}, même e-mail)")
            if not stripe_id:
                code = fields["code"]
                if code:   # typed in HubSpot: a valid account that no other customer has
                    problem = _code_problem(code, "", hid, owners, settings)
                    if problem:
                        _problem(report, label, hid, problem)
                        continue
                else:
                    try:
                        code = customer_code(records.code_name(object_type, props), taken,
                                             settings.customer_code_prefix, settings.customer_code_length)
                    except CodeError as exc:
                        _problem(report, label, hid, exc.french)
                        continue
                taken.add(code_key(code))
                owners.setdefault(code_key(code), {})[f"hubspot:{hid}"] = f"{label} (HubSpot {hid})"
                if report.dry_run:
                    report.created.append(f"{label} ({code})")
                    continue
                to_create.append((hid, label, {**fields, "code": code}))
                continue
            current = records.stripe_customer(customers[stripe_id])
            base = links[object_type][hid].state if hid in links[object_type] else None
            if base is None and not current["code"] and not fields["code"]:
                # An existing customer without a code: the one the journal already used for it,
                # else a new one, once.
                fields["code"] = stored_codes.get(stripe_id, "")
                if not fields["code"]:
                    try:
                        fields["code"] = customer_code(records.code_name(object_type, props), taken,
                                                       settings.customer_code_prefix,
                                                       settings.customer_code_length)
                        taken.add(code_key(fields["code"]))
                    except CodeError as exc:
                        _problem(report, label, hid, exc.french)
            if base is None and current["code"] and fields["code"] != current["code"]:
                fields["code"] = current["code"]   # an existing Stripe code is reused, never regenerated
            result = merge(object_type, hid, stripe_id, fields, current, base)
            if "code" in result.to_stripe or "code" in result.to_hubspot:
                # A code changed on one side (or first given): taken only if it is a valid
                # account that no other customer has; else nothing is written for this record.
                problem = result.state["code"] and _code_problem(
                    result.state["code"], stripe_id, hid, owners, settings)
                if problem:
                    _problem(report, label, hid, f"client Stripe {stripe_id}, {problem}")
                    continue
                _take_code(owners, stripe_id, result.state["code"],
                           f"{label} (Stripe {stripe_id}, HubSpot {hid})")
            report.conflicts += result.conflicts
            if not report.dry_run:
                try:
                    if result.to_stripe:
                        stripe.update_customer(stripe_id, records.stripe_customer_params(
                            _with_full_address(result.to_stripe, result.state)), object_type, hid)
                    elif (customers[stripe_id].get("metadata") or {}).get(f"hubspot_{object_type}_id") != hid:
                        stripe.update_customer(stripe_id, {}, object_type, hid)
                except StripeRefusal as refusal:   # a rule we did not know: this record only
                    _problem(report, label, hid, refusal.french())
                    continue
            if result.changes:
                report.updated.append(f"{label} ({', '.join(sorted({**result.to_stripe, **result.to_hubspot}))})")
            if report.dry_run:
                continue
            props_back = records.hubspot_customer_props(object_type, result.to_hubspot)
            if records.text(props.get("stripe_customer_id")) != stripe_id:
                props_back["stripe_customer_id"] = stripe_id
            if result.state.get("code") and records.text(props.get("code_comptable")) != result.state["code"]:
                props_back["code_comptable"] = result.state["code"]
            if props_back:
                back[hid] = props_back
            if result.state.get("code"):
                codes_to_store[stripe_id] = result.state["code"]
            new_links.append(SyncLink(hid, stripe_id, result.state))
        # Stripe has no batch create: new customers are created a few at a time (each with
        # its idempotency key, so a retried sync gets the same customers back); one refused
        # is reported, the others are created.
        for (hid, label, fields), created in zip(to_create, _side_by_side(
                lambda item: _or_refusal(lambda: stripe.create_customer(
                    item[2], object_type, item[0], _key(company, object_type, item[0]))),
                to_create)):
            if isinstance(created, StripeRefusal):
                _problem(report, label, hid, created.french())
                continue
            report.created.append(f"{label} ({fields['code']})")
            back[hid] = {"stripe_customer_id": created["id"], "code_comptable": fields["code"]}
            codes_to_store[created["id"]] = fields["code"]
            new_links.append(SyncLink(hid, created["id"], fields))
        if not report.dry_run:
            hubspot.update(plural, back)
            store.save_sync_links(company, object_type, new_links, now=now)
    if not report.dry_run and codes_to_store:
        store.save_customer_codes(company, {k: v for k, v in codes_to_store.items()
                                            if k not in stored_codes})


def _code_owners(customers: dict[str, dict], stored: dict[str, str]) -> dict[str, dict[str, str]]:
    """code_key -> {Stripe id: how a report names that customer}, for every code known: the
    Stripe customers' metadata and the codes the generation gave (the store)."""
    owners: dict[str, dict[str, str]] = {}
    for cid, customer in customers.items():
        meta = customer.get("metadata") or {}
        code = records.text(meta.get("accounting_code"))
        hubspot = records.text(meta.get("hubspot_company_id") or meta.get("hubspot_contact_id"))
        name = records.text(customer.get("name")) or records.text(customer.get("email"))
        named = (f"{name[:80]} " if name else "") + f"(Stripe {cid}" + (
            f", HubSpot {hubspot})" if hubspot else ")")
        if code:
            owners.setdefault(code_key(code), {})[cid] = named
        if stored.get(cid):
            owners.setdefault(code_key(stored[cid]), {})[cid] = named
    return owners


def _code_problem(code: str, stripe_id: str, hid: str, owners: dict[str, dict[str, str]],
                  settings: Settings) -> str | None:
    """Why `code` cannot be this customer's (French, naming the other customer), else None.
    One comparison everywhere: codes.code_key, as the store's unique constraint."""
    prefix = settings.customer_code_prefix
    if not is_customer_account(code, prefix):
        return (f"code comptable « {code[:40]} » invalide : un compte client est « {prefix} » "
                "suivi de lettres ou de chiffres (code_comptable) ; rien n'est modifié pour ce client")
    others = [named for owner, named in owners.get(code_key(code), {}).items()
              if owner not in (stripe_id, f"hubspot:{hid}")]
    if not others:
        return None
    return (f"le code comptable « {code} » est déjà celui d'un autre client, {others[0]} : "
            "deux clients ne partagent jamais un compte, rien n'est modifié pour ce client "
            "(code_comptable)")


def _take_code(owners: dict[str, dict[str, str]], stripe_id: str, code: str, named: str) -> None:
    """`stripe_id` now holds `code` too, for the records after it. Its previous code stays
    its own: the store keeps a code given once, and the books hold entries on it."""
    if code:
        owners.setdefault(code_key(code), {})[stripe_id] = named


CREATE_WORKERS = 3   # under Stripe's rate limits (100 requests a second live, 25 in test mode)


def _or_refusal(call):
    """call()'s result, or the StripeRefusal it raised: Stripe refusing one record is that
    record's answer, while any other failure (5xx, 429, connection) still ends the run."""
    try:
        return call()
    except StripeRefusal as refusal:
        return refusal


def _side_by_side(fn, items: list) -> list:
    """fn over items, a few at a time, results in order; the first failure is raised."""
    if len(items) <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(max_workers=CREATE_WORKERS, thread_name_prefix="sync-create") as pool:
        return list(pool.map(fn, items))


def _with_full_address(to_stripe: dict, state: dict) -> dict:
    """Stripe's address is one value: any part of it changed sends the whole of it."""
    if any(k in to_stripe for k in ("line1", "city", "postal_code", "country")):
        return {**to_stripe, **{k: state.get(k, "") for k in ("line1", "city", "postal_code", "country")}}
    return to_stripe


# --- the use case ---------------------------------------------------------------------------

def sync(hubspot, stripe, store: LedgerStore, settings: Settings, company: str, *,
         products: bool = True, customers: bool = True, dry_run: bool = False,
         trigger: str = "ligne de commande", sheet=None, now: datetime | None = None,
         lease: Lease = DEFAULT_LEASE) -> SyncReport:
    now = now or datetime.now(timezone.utc)
    report = SyncReport(dry_run=dry_run, customers=customers)
    with run_locked(store, company, "sync", trigger, now=now, lease=lease) as run:
        run.summary = report.summary
        started = time.perf_counter()
        before = {"hubspot": hubspot.calls(), "stripe": stripe.calls()}
        if not dry_run:
            report.created += [f"propriété HubSpot {p}" for p in hubspot.ensure_properties()]
        if products:
            checkpoint()
            sync_products(hubspot, stripe, store, company, report, now)
        if customers:
            checkpoint()
            sync_customers(hubspot, stripe, store, settings, company, report, now)
        report.calls = {"hubspot": hubspot.calls() - before["hubspot"],
                        "stripe": stripe.calls() - before["stripe"]}
        report.seconds = time.perf_counter() - started
    if sheet is not None and not dry_run:
        spreadsheet.append_history(sheet, trigger, "Synchronisation HubSpot–Stripe",
                                   report.french(), now, zone=settings.timezone)
    return report
