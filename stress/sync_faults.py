"""Issue 7, point 1 for the HubSpot–Stripe sync: randomized fault schedules over a sync of the
demo company, each followed by a clean sync, compared with a quiet sync.

A schedule holds one to three faults, each at a call drawn within the quiet run's own count
of calls to that service (so every fault can fire): an error answer (429, 500, 503), a dropped
connection, an answer lost after the write was applied, a call the client gives up on (short
adapter timeouts), the process killed before or after the call is applied (the sync runs in a
`stress.processes.Child` and the fault plan's `on_crash` kills it), or the ledger store's Nth
SQL statement failing or killing the process (SQLAlchemy's `before_cursor_execute` event on
the store's engine). Two thirds of the schedules fault the first sync of the demo company,
one third a second sync after edits on both sides (`apply_edits`). At full size, every crash
point (before and after each call, before each statement, of both syncs) is run as well.

After each faulted sync a clean sync runs (after the lease of a crashed run has expired), then
the outcome (every HubSpot product, company and contact, the Stripe objects it is linked to,
the store's links and codes) is compared with a quiet sync followed by the same clean sync:

- duplicates: a Stripe object more than the quiet run made, a HubSpot record with two Stripe
  objects (or two HubSpot records on one), two customers with one account code, a price made
  twice;
- missing: a link or a Stripe object the quiet run has and this one lacks;
- divergent: any other field that differs (names, codes, prices, sections, addresses, states).

Stripe ids the sync creates depend on the order of requests, so the outcome names them by what
they belong to ("new customer of company 123"), never by id.

Replay a failure: `run_schedules(seed, [index])` for a random one, or, for any, `Harness().run(
Schedule(None, 0, phase, (Spec(target, call, kind, status), ...)))` with what the failure line
prints ("stripe#7:crash" is Spec("stripe", 7, "crash")). Both need the `if __name__ ==
"__main__":` guard in a script: the sync runs in a forkserver child.
"""

from __future__ import annotations

import copy
import os
import random
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from backend.core.settings import Settings
from backend.demo import DEMO_COMPANY
from backend.sandbox import faults as F
from backend.sandbox.local import HUBSPOT_TOKEN, STRIPE_KEY, LocalSandbox
from backend.store.ledger import LedgerStore
from stress.processes import Child
from stress.report import Result
from stress.store_faults import (DB_CRASH, STORE_KINDS, StatementCounter, StoreFault,
                                 fired_faults, is_clear)
from stress.stores import open_site, taking_over

COMPANY = "mdc"
SETTINGS = Settings(axis_names=tuple(DEMO_COMPANY["axis_names"]), siren=DEMO_COMPANY["siren"])
FIRST_AT = datetime(2026, 11, 2, 6, 0, tzinfo=timezone.utc)
SECOND_AT = datetime(2026, 11, 3, 6, 0, tzinfo=timezone.utc)
CLIENT_TIMEOUT = 1.0                    # the faulted run's adapters give up after this...
STALL = 2.5                             # ...on a call the sandbox holds this long (TIMEOUT)
FULL_SCHEDULES = 320
CI_SCHEDULES = 27

HTTP_KINDS = (F.ERROR, F.DROP, F.LOST, F.TIMEOUT, F.CRASH, F.CRASH_AFTER)
ERROR_STATUSES = (429, 500, 503)
TARGETS = ("stripe", "hubspot", "store")
PHASES = ("first", "second")


# --- schedules ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Spec:
    target: str              # "stripe" | "hubspot" | "store"
    call: int                # the Nth call to the service, or the Nth SQL statement (1-based)
    kind: str                # faults.KINDS for a service, DB_ERROR | DB_CRASH for the store
    status: int = 500        # for ERROR

    def __str__(self) -> str:
        status = f"({self.status})" if self.kind == F.ERROR else ""
        return f"{self.target}#{self.call}:{self.kind}{status}"

    def fault(self) -> F.Fault:
        return F.Fault(self.target, self.call, self.kind, status=self.status, delay=STALL)


@dataclass(frozen=True)
class Schedule:
    seed: int | None              # None: one of the crash points of the full sweep
    index: int
    phase: str                    # "first": the first sync; "second": a sync after EDITS
    faults: tuple[Spec, ...]

    def __str__(self) -> str:
        origin = "crash sweep" if self.seed is None else f"seed={self.seed} schedule={self.index}"
        return f"{origin} phase={self.phase} faults=[" + ", ".join(map(str, self.faults)) + "]"


def phase_of(index: int) -> str:
    return "second" if index % 3 == 2 else "first"


def draw(seed: int, index: int, sizes: dict[str, dict[str, int]]) -> Schedule:
    """Schedule `index` of campaign `seed`: the same arguments always give the same faults."""
    phase = phase_of(index)
    rng = random.Random(f"sync-faults-{seed}-{index}")
    specs = []
    for _ in range(rng.choice((1, 1, 2, 3))):
        target = rng.choice(TARGETS)
        kind = rng.choice(STORE_KINDS if target == "store" else HTTP_KINDS)
        specs.append(Spec(target, rng.randint(1, sizes[phase][target]), kind,
                          rng.choice(ERROR_STATUSES)))
    # Two faults at the same call of the same service: the plan fires the first only.
    unique = {(s.target, s.call): s for s in specs}
    return Schedule(seed, index, phase, tuple(sorted(unique.values(),
                                                     key=lambda s: (s.target, s.call))))


def crash_points(sizes: dict[str, dict[str, int]]) -> list[Schedule]:
    """Every place a process can die: before and after each call to Stripe and HubSpot, and
    before each SQL statement, of both syncs (the full campaign runs them all, on top of the
    random schedules: a crash between two given calls is a needle random draws may miss)."""
    out = []
    for phase in PHASES:
        for target in TARGETS:
            kinds = (DB_CRASH,) if target == "store" else (F.CRASH, F.CRASH_AFTER)
            for call in range(1, sizes[phase][target] + 1):
                out += [Schedule(None, len(out), phase, (Spec(target, call, kind),))
                        for kind in kinds]
    return out


# --- the child: one sync, in a process the campaign may kill ---------------------------------

# An injected 429 asks for HubSpot's whole ten-second window. The campaign checks what the
# retry after it does, not how long the wait was (tests/test_hubspot_real_behaviour.py does):
# the sync waits a fraction of it, so that a schedule costs seconds, not tens.
RATE_WAIT_CAP = 0.5


def _short_sleep(seconds: float) -> None:
    time.sleep(min(seconds, RATE_WAIT_CAP))


def adapters(hubspot_url: str, stripe_url: str, timeout: float = 30.0):
    from backend.adapters.hubspot_crm import HubSpotAdapter
    from backend.adapters.stripe_catalog import StripeCatalogAdapter
    return (HubSpotAdapter(HUBSPOT_TOKEN, host=hubspot_url, timeout=timeout, sleep=_short_sleep),
            StripeCatalogAdapter(STRIPE_KEY, base_url=stripe_url, timeout=timeout))


def child_sync(hubspot_url: str, stripe_url: str, database_url: str, store_faults: tuple,
               fired: str, timeout: float, now: datetime) -> dict:
    """One sync with the production adapters (short timeouts) and the store's planned faults;
    what happened, as plain values."""
    from backend.services.sync import sync
    store = LedgerStore(database_url)
    counter = StatementCounter((StoreFault(s.call, s.kind) for s in store_faults), fired).attach(store)
    hubspot, stripe = adapters(hubspot_url, stripe_url, timeout)
    try:
        report = sync(hubspot, stripe, store, SETTINGS, COMPANY, now=now)
        return {"state": "completed", "statements": counter.count, "summary": report.summary(),
                "problems": report.problems, "conflicts": len(report.conflicts)}
    except Exception as exc:   # classified here: the campaign reports any unclear one
        return {"state": "failed", "clear": is_clear(exc), "statements": counter.count,
                "type": f"{type(exc).__module__}.{type(exc).__qualname__}",
                "message": (str(exc).splitlines() or [""])[0][:300],
                "traceback": "".join(traceback.format_exception(exc, limit=8))[-3000:]}
    finally:
        store.close()


# --- the outcome of a sync, named so that two runs compare ---------------------------------

def _addr(address: dict | None) -> dict:
    address = address or {}
    return {k: address.get(k) or "" for k in ("line1", "city", "postal_code", "country")}


@dataclass
class Outcome:
    records: dict[str, dict]          # "company 123" -> its fields, on each side, by name
    stripe_counts: Counter            # customers / products / prices in Stripe
    duplicates: list[str] = field(default_factory=list)


class Namer:
    """Stripe ids as names that do not depend on the order of requests: an object the demo
    had keeps its id; one made since is named by the HubSpot record its metadata names."""

    def __init__(self, pristine_ids: set[str], stripe) -> None:
        self.pristine = pristine_ids
        self.names: dict[str, str] = {}
        for product in stripe.stores["products"].all():
            self.names[product["id"]] = self._name(product, "product")
        for customer in stripe.stores["customers"].all():
            self.names[customer["id"]] = self._name(customer, "customer")
        for price in stripe.stores["prices"].all():
            if price["id"] not in self.pristine:
                self.names[price["id"]] = (f"new price of {self(price.get('product'))} "
                                           f"at {price.get('unit_amount')}")

    def _name(self, obj: dict, kind: str) -> str:
        if obj["id"] in self.pristine:
            return obj["id"]
        meta = obj.get("metadata") or {}
        owners = [f"{t} {meta[f'hubspot_{t}_id']}" for t in ("product", "company", "contact")
                  if meta.get(f"hubspot_{t}_id")]
        return f"new {kind} of {' / '.join(owners) or 'nobody (' + obj['id'] + ')'}"

    def __call__(self, stripe_id) -> str:
        if isinstance(stripe_id, dict):
            stripe_id = stripe_id.get("id")
        if not stripe_id:
            return ""
        return self.names.get(stripe_id, stripe_id if stripe_id in self.pristine
                              else f"unknown {stripe_id}")


def outcome(box: LocalSandbox, store: LedgerStore, hubspot_ids: dict[str, list[str]],
            pristine_ids: set[str]) -> Outcome:
    """Everything the sync is responsible for, read from the sandboxes and the store."""
    stripe = box.stripe
    name = Namer(pristine_ids, stripe)
    products = {p["id"]: p for p in stripe.stores["products"].all()}
    customers = {c["id"]: c for c in stripe.stores["customers"].all()}
    prices = stripe.stores["prices"].all()
    records: dict[str, dict] = {}
    duplicates: list[str] = []
    claimed: dict[str, list[str]] = {}          # Stripe object -> HubSpot records naming it

    for kind, plural, prop in (("product", "products", "stripe_product_id"),
                               ("company", "companies", "stripe_customer_id"),
                               ("contact", "contacts", "stripe_customer_id")):
        links = store.sync_links(COMPANY, kind)
        codes = store.customer_codes(COMPANY)
        objects = products if kind == "product" else customers
        owners: dict[str, list[str]] = {}
        for obj in objects.values():
            hid = (obj.get("metadata") or {}).get(f"hubspot_{kind}_id")
            if hid and (kind != "product" or obj.get("active")):
                owners.setdefault(hid, []).append(obj["id"])
        for hid in hubspot_ids[plural]:
            key = f"{kind} {hid}"
            record = box.hubspot.get(plural, hid)
            props = record["properties"]
            hub_link = props.get(prop) or ""
            link = links.get(hid)
            meta_owners = owners.get(hid, [])
            if len(meta_owners) > 1:
                duplicates.append(f"{key}: {len(meta_owners)} Stripe objects name it in their "
                                  f"metadata ({', '.join(name(i) for i in sorted(meta_owners))})")
            named = {i for i in (hub_link, link.stripe_id if link else "", *meta_owners) if i}
            if len(named) > 1:
                duplicates.append(f"{key}: linked to {len(named)} Stripe objects "
                                  f"({', '.join(sorted(name(i) for i in named))})")
            stripe_id = hub_link or (link.stripe_id if link else "") or \
                (meta_owners[0] if meta_owners else "")
            if hub_link:
                claimed.setdefault(hub_link, []).append(key)
            fields = {"hubspot." + k: props.get(k) or "" for k in sorted(props)
                      if not k.startswith("hs_") and k not in ("createdate", "lastmodifieddate",
                                                               prop)}
            fields["hubspot.link"] = name(hub_link)
            fields["store.link"] = name(link.stripe_id) if link else ""
            fields.update({f"store.state.{k}": v for k, v in sorted((link.state if link else {}).items())})
            obj = objects.get(stripe_id) if stripe_id else None
            fields["stripe.id"] = name(obj["id"]) if obj else ""
            if obj is not None and kind == "product":
                default = obj.get("default_price")
                default_id = default.get("id") if isinstance(default, dict) else default
                default_price = next((p for p in prices if p["id"] == default_id), {})
                mine = [p for p in prices if p.get("product") == obj["id"]]
                fields.update({"stripe.name": obj.get("name") or "",
                               "stripe.description": obj.get("description") or "",
                               "stripe.active": bool(obj.get("active")),
                               "stripe.metadata": dict(obj.get("metadata") or {}),
                               "stripe.default_price": default_price.get("unit_amount"),
                               "stripe.active_prices": sorted(p.get("unit_amount") for p in mine
                                                              if p.get("active"))})
                amounts = Counter(p.get("unit_amount") for p in mine)
                twice = sorted(a for a, n in amounts.items() if n > 1)
                if twice:
                    duplicates.append(f"{key}: price(s) {twice} made twice for {name(obj['id'])}")
            elif obj is not None:
                fields.update({"stripe.name": obj.get("name") or "",
                               "stripe.email": obj.get("email") or "",
                               "stripe.address": _addr(obj.get("address")),
                               "stripe.metadata": dict(obj.get("metadata") or {}),
                               "store.code": codes.get(obj["id"], "")})
            records[key] = fields

    for stripe_id, keys in claimed.items():
        if len(keys) > 1:
            duplicates.append(f"{name(stripe_id)}: named by {len(keys)} HubSpot records "
                              f"({', '.join(sorted(keys))})")
    by_code: dict[str, list[str]] = {}
    for customer in customers.values():
        code = ((customer.get("metadata") or {}).get("accounting_code") or "").upper()
        if code:
            by_code.setdefault(code, []).append(customer["id"])
    duplicates += [f"code {code}: {len(ids)} Stripe customers ({', '.join(sorted(name(i) for i in ids))})"
                   for code, ids in sorted(by_code.items()) if len(ids) > 1]
    counts = Counter({"customers": len(customers), "products": len(products),
                      "prices": len(prices)})
    return Outcome(records, counts, duplicates)


@dataclass
class Comparison:
    duplicates: list[str]
    missing: list[str]
    divergent: list[str]

    @property
    def clean(self) -> bool:
        return not (self.duplicates or self.missing or self.divergent)


LINK_FIELDS = ("hubspot.link", "store.link", "stripe.id")


def compare(quiet: Outcome, got: Outcome) -> Comparison:
    """What `got` has that the quiet run does not: duplicates, missing links or objects, and
    every other field that differs."""
    duplicates = [d for d in got.duplicates if d not in quiet.duplicates]
    explained = Counter()
    for line in duplicates:
        explained["prices" if "made twice" in line else
                  "products" if line.startswith("product") else "customers"] += 1
    for kind, n in sorted((got.stripe_counts - quiet.stripe_counts).items()):
        if n > explained[kind]:
            duplicates.append(f"{n} Stripe {kind} more than the quiet run")
    missing, divergent = [], []
    for key, want in quiet.records.items():
        have = got.records.get(key, {})
        for link in LINK_FIELDS:
            if want.get(link) and not have.get(link):
                missing.append(f"{key}: no {link} (the quiet run has {want[link]})")
        gone = {link for link in LINK_FIELDS if want.get(link) and not have.get(link)}
        for name in sorted(set(want) | set(have)):
            if name in gone or (name.startswith("stripe.") and "stripe.id" in gone):
                continue
            if want.get(name) != have.get(name):
                divergent.append(f"{key}: {name} is {have.get(name)!r}, "
                                 f"the quiet run's {want.get(name)!r}")
    for kind, n in sorted((quiet.stripe_counts - got.stripe_counts).items()):
        missing.append(f"{n} Stripe {kind} fewer than the quiet run")
    return Comparison(duplicates, missing, divergent)


# --- the second sync's starting point: edits on both sides -----------------------------------

def apply_edits(box: LocalSandbox) -> list[str]:
    """After a first sync: what people changed in HubSpot and in Stripe before the second.
    Returns what was done (for the report)."""
    hub = box.hubspot
    catalog = box.catalog_adapter()
    products = [p for p in hub.objects("products") if p["properties"].get("stripe_product_id")]
    companies = [c for c in hub.objects("companies") if c["properties"].get("stripe_customer_id")]
    contacts = [c for c in hub.objects("contacts") if c["properties"].get("stripe_customer_id")
                and c["properties"].get("email")]
    done = []
    p0, p1, p2, p3, p4 = products[:5]
    price = float(p0["properties"]["price"]) + 12.5
    hub.set_properties("products", p0["id"], {"price": f"{price:.2f}"})
    hub.set_properties("products", p1["id"], {"name": p1["properties"]["name"] + " (nouveau nom)"})
    hub.archive("products", p2["id"])
    catalog.update_product(p3["properties"]["stripe_product_id"],
                           {"name": p3["properties"]["name"] + " — renommé dans Stripe"})
    catalog.update_product(p4["properties"]["stripe_product_id"],   # HubSpot's field: put back
                           {"metadata": {"accounting_code": "706999"}})
    new_product = hub.add("products", {"name": "Salle de réunion — Nantes", "price": "45.00",
                                       "description": "Par heure", "code_comptable": "706300",
                                       "axe_analytique_1": "SALLES", "axe_analytique_2": "NANTES",
                                       "axe_analytique_3": "HEURE"})
    done += ["product price changed in HubSpot", "product renamed in HubSpot",
             "product archived in HubSpot", "product renamed in Stripe",
             "product code changed in Stripe", "product created in HubSpot"]
    c0, c1, c2 = companies[:3]
    hub.set_properties("companies", c0["id"], {"city": "Villeurbanne"})
    catalog.update_customer(c1["properties"]["stripe_customer_id"],
                            {"name": c1["properties"]["name"] + " Groupe"}, "company", c1["id"])
    hub.set_properties("companies", c2["id"], {"city": "Lyon"})          # both sides: a conflict
    catalog.update_customer(c2["properties"]["stripe_customer_id"], {"address": {"city": "Bron"}},
                            "company", c2["id"])
    k0, k1 = contacts[:2]
    hub.set_properties("contacts", k0["id"], {"code_comptable": "411CHANG"})
    catalog.update_customer(k1["properties"]["stripe_customer_id"],
                            {"email": "nouvelle.adresse@mail.example"}, "contact", k1["id"])
    done += ["company city changed in HubSpot", "company renamed in Stripe",
             "company city changed on both sides (conflict)", "contact code changed in HubSpot",
             "contact email changed in Stripe"]
    # New customers: a company with a won deal whose name clashes with a known code, a
    # contact with a won deal.
    for plural, props in (("companies", {"name": "Horizon Béton Nord", "city": "Lille",
                                         "zip": "59000", "country": "France"}),
                          ("contacts", {"firstname": "Inès", "lastname": "Delacroix",
                                        "email": "ines.delacroix@mail.example", "city": "Paris"})):
        record = hub.add(plural, props)
        deal = hub.add("deals", {"dealname": "Abonnement", "dealstage": "closedwon",
                                 "pipeline": "default", "amount": "350"})
        hub.associate("deals", deal, plural, record)
    done += ["company with a won deal added in HubSpot", "contact with a won deal added"]
    del new_product
    return done


# --- the harness ------------------------------------------------------------------------------

@dataclass
class Run:
    schedule: Schedule
    state: str                    # "completed" | "failed" | "crashed"
    detail: dict
    fired: list[str]
    clean_error: str | None
    comparison: Comparison | None
    seconds: float


class Harness:
    """One sandbox, reused: each schedule starts from a saved state (the demo company, or the
    demo after a quiet first sync and the edits) and a copy of the matching store file."""

    def __init__(self, progress=None, store: str = "sqlite") -> None:
        self.progress = progress or (lambda message: None)
        self.store_kind = store      # the ledger store's database: sqlite | postgresql

    def __enter__(self) -> "Harness":
        from stress.world import demo_data
        self._tmp = tempfile.TemporaryDirectory(prefix="sync-faults-")
        self.tmp = Path(self._tmp.name)
        self._site = open_site(self.store_kind, self.tmp)
        self.site = self._site.__enter__()
        self.box = LocalSandbox().__enter__()
        demo, hubspot = demo_data()
        self.box.stripe.load(copy.deepcopy(demo))
        self.box.hubspot.load(copy.deepcopy(hubspot))
        self.pristine_ids = ({o["id"] for kind in ("products", "prices", "customers")
                              for o in self.box.stripe.stores[kind].all()})
        self.stores = {"first": self.site.fresh("first")}
        self._save("first")
        # The second sync's starting point: a quiet first sync, then the edits.
        self.stores["second"] = self.site.copy(self.stores["first"], "second")
        store = LedgerStore(self.stores["second"])
        self.sync_once(store, FIRST_AT)
        store.close()
        self.edits = apply_edits(self.box)
        self._save("second")
        self.sizes: dict[str, dict[str, int]] = {}
        self.references: dict[str, Outcome] = {}
        self.quiet_calls: dict[str, list[tuple[str, str, str]]] = {}   # for targeted tests
        for phase in PHASES:
            self._measure(phase)
        return self

    def __exit__(self, *exc) -> None:
        self.box.plan.reset()
        self.box.__exit__(*exc)
        self._site.__exit__(*exc)
        self._tmp.cleanup()

    # --- states -------------------------------------------------------------------------------

    def _save(self, phase: str) -> None:
        self.box.stripe.save_state(self.tmp / f"{phase}.stripe")
        self.box.hubspot.save_state(self.tmp / f"{phase}.hubspot")
        # Every HubSpot record the outcome looks at, archived ones included.
        ids = getattr(self, "hubspot_ids", {})
        ids[phase] = {plural: [o["id"] for o in self.box.hubspot.objects(plural)]
                      for plural in ("products", "companies", "contacts")}
        if phase == "second":
            first = ids["first"]["products"]
            ids[phase]["products"] = sorted(set(first) | set(ids[phase]["products"]), key=int)
        self.hubspot_ids = ids

    def restore(self, phase: str) -> LedgerStore:
        """The phase's starting point, and a fresh copy of its store."""
        self.box.plan.reset()
        self.box.plan.on_crash = None
        self.box.stripe.load({})      # also forgets the idempotency keys of earlier schedules
        self.box.stripe.load_state(self.tmp / f"{phase}.stripe")
        self.box.hubspot.load_state(self.tmp / f"{phase}.hubspot")
        if getattr(self, "_run_store", None):
            self.site.drop(self._run_store)
        self._run_store = self.site.copy(self.stores[phase], "run")
        return LedgerStore(self._run_store)

    @staticmethod
    def at(phase: str) -> datetime:
        return FIRST_AT if phase == "first" else SECOND_AT

    def sync_once(self, store: LedgerStore, now: datetime):
        """One sync, in this process, with the production adapters' own timeouts; it takes
        over a lease a faulted run left."""
        from backend.services.sync import sync
        hubspot, stripe = adapters(self.box.hubspot_url, self.box.stripe_url)
        return sync(hubspot, stripe, store, SETTINGS, COMPANY, now=now,
                    lease=taking_over(store, COMPANY))

    def _measure(self, phase: str) -> None:
        """The quiet run of the phase, in a child as the faulted ones: its calls per service
        and statements size the schedules; it and a clean sync after it are the reference."""
        run = self.run(Schedule(-1, -1, phase, ()), reference=True)
        if run.state != "completed" or run.clean_error:
            raise RuntimeError(f"the quiet {phase} sync failed: {run.detail} {run.clean_error}")
        self.sizes[phase] = {"stripe": self._counts["stripe"], "hubspot": self._counts["hubspot"],
                             "store": run.detail["statements"]}

    # --- one schedule -------------------------------------------------------------------------

    def run(self, schedule: Schedule, reference: bool = False) -> Run:
        started = time.perf_counter()
        phase = schedule.phase
        store = self.restore(phase)
        fired_file = self.tmp / "fired"
        fired_file.unlink(missing_ok=True)
        store_faults = tuple(s for s in schedule.faults if s.target == "store")
        child = Child(child_sync, self.box.hubspot_url, self.box.stripe_url,
                      store.engine.url.render_as_string(hide_password=False),
                      store_faults, str(fired_file), CLIENT_TIMEOUT, self.at(phase))
        self.box.plan.on_crash = lambda fault: child.kill()
        self.box.plan.reset([s.fault() for s in schedule.faults if s.target != "store"])
        child.start()
        result = child.wait(timeout=180)
        if child.killed or result.state == "killed":
            time.sleep(0.05)      # let requests in flight when it died reach the sandbox
        counts = self.box.plan.counts()
        if reference:
            self.quiet_calls[phase] = [(c.service, c.method, c.path) for c in self.box.plan.calls]
        self.box.plan.reset()
        self.box.plan.on_crash = None
        self._counts = counts
        fired = [str(s) for s in schedule.faults if s.target != "store"
                 and counts.get(s.target, 0) >= s.call]
        fired += [str(Spec("store", f.statement, f.kind)) for f in fired_faults(fired_file)]
        if result.state == "killed":
            state, detail = "crashed", {}
        elif result.state == "error":
            state, detail = "failed", {"clear": False, "message": str(result.value)[:3000]}
        else:
            detail = result.value
            state = detail["state"]
        # The clean sync: after a crashed run's lease (or one a failing store left) expired.
        clean_error = None
        try:
            self.sync_once(store, self.at(phase))
        except Exception as exc:   # reported: a clean run must always get through
            clean_error = f"{type(exc).__name__}: {exc}"[:500]
        got = outcome(self.box, store, self.hubspot_ids[phase], self.pristine_ids)
        store.close()
        if reference:
            self.references[phase] = got
            comparison = None
        else:
            comparison = compare(self.references[phase], got)
        return Run(schedule, state, detail, fired, clean_error, comparison,
                   time.perf_counter() - started)


# --- the campaign -----------------------------------------------------------------------------

def run_schedules(seed: int, indexes, progress=None, harness: Harness | None = None) -> list[Run]:
    """Replay schedules by their index (as printed with a failure)."""
    if harness is None:
        with Harness(progress) as h:
            return run_schedules(seed, indexes, progress, h)
    return [harness.run(draw(seed, i, harness.sizes)) for i in indexes]


def campaign(full: bool = False, seed: int = 0, progress=print, store: str = "sqlite") -> Result:
    result = Result("sync_faults")
    started = time.perf_counter()
    total = FULL_SCHEDULES if full else CI_SCHEDULES
    by_kind, by_service = Counter(), Counter()
    states, phases, origins = Counter(), Counter(), Counter()
    fired = duplicates = missing = divergent = unclear = clean_failures = 0
    with Harness(progress, store) as harness:
        for phase in PHASES:
            if harness.references[phase].duplicates:
                result.fail(f"the quiet {phase} sync itself has duplicates: "
                            f"{harness.references[phase].duplicates[:5]}")
        schedules = [draw(seed, index, harness.sizes) for index in range(total)]
        if full:
            schedules += crash_points(harness.sizes)
        for n, schedule in enumerate(schedules, 1):
            run = harness.run(schedule)
            origins["random" if schedule.seed is not None else "sweep"] += 1
            phases[schedule.phase] += 1
            for spec in schedule.faults:
                by_kind[spec.kind] += 1
                by_service[spec.target] += 1
            fired += bool(run.fired)
            states[run.state] += 1
            c = run.comparison
            duplicates += len(c.duplicates)
            missing += len(c.missing)
            divergent += len(c.divergent)
            problems = []
            if run.state == "failed" and not run.detail.get("clear"):
                unclear += 1
                problems.append(f"the faulted sync failed with an unclear error: "
                                f"{run.detail.get('type', '')} {run.detail.get('message', '')}")
            if run.clean_error:
                clean_failures += 1
                problems.append(f"the clean sync after it failed: {run.clean_error}")
            problems += ([f"duplicate: {d}" for d in c.duplicates[:3]]
                         + [f"missing: {m}" for m in c.missing[:3]]
                         + [f"divergent: {d}" for d in c.divergent[:3]])
            if problems:
                result.fail(f"{schedule} ({run.state}; fired {run.fired}): " + " | ".join(problems))
            if n % 25 == 0 or n == len(schedules):
                progress(f"sync faults: {n}/{len(schedules)} schedules, "
                         f"{time.perf_counter() - started:.0f} s, {len(result.failures)} failing")
        sizes = harness.sizes
        edits = len(harness.edits)
    result.figures.update({
        "ledger store": store,
        "seed": seed,
        "schedules": f"{len(schedules)} ({origins['random']} random"
                     + (f" + {origins['sweep']} crash points: every call and statement"
                        if full else "") + ")",
        "schedules over the first sync / a second sync after edits":
            f"{phases['first']} / {phases['second']}",
        "edits on both sides before the second sync": edits,
        "calls of a quiet first sync": ", ".join(f"{t} {sizes['first'][t]}" for t in TARGETS)
                                       .replace("store", "SQL statements"),
        "calls of a quiet second sync": ", ".join(f"{t} {sizes['second'][t]}" for t in TARGETS)
                                        .replace("store", "SQL statements"),
        "faults drawn": sum(by_kind.values()),
        "faults per kind": ", ".join(f"{k} {by_kind[k]}" for k in HTTP_KINDS + STORE_KINDS),
        "faults per service": ", ".join(f"{t} {by_service[t]}" for t in TARGETS),
        "schedules where a fault fired": fired,
        "faulted syncs completed / failed / crashed":
            f"{states['completed']} / {states['failed']} / {states['crashed']}",
        "faulted syncs that failed with an unclear error": unclear,
        "clean syncs that failed": clean_failures,
        "duplicates": duplicates,
        "missing": missing,
        "divergent fields": divergent,
        "wall time": f"{time.perf_counter() - started:.1f} s",
    })
    result.target("duplicates: 0", duplicates == 0, duplicates)
    result.target("missing: 0", missing == 0, missing)
    result.target("divergent: 0", divergent == 0, divergent)
    minimum = 300 if full else CI_SCHEDULES
    result.target(f"schedules: at least {minimum}", len(schedules) >= minimum, len(schedules))
    result.seconds = time.perf_counter() - started
    return result


if __name__ == "__main__":
    import sys
    outcome_ = campaign(full="--full" in sys.argv, seed=int(os.environ.get("SEED", "0")))
    print("\n".join(outcome_.lines()))
