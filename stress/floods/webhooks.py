"""Flood 1, webhooks: changes are made in the HubSpot sandbox (products, companies, contacts) and
in the Stripe sandbox (products, customers); then every delivery announcing them (HubSpot
v3-signed arrays of events, Stripe signed events) is sent 1 to 10 times, shuffled, from many
threads. Once no job is left, Stripe, HubSpot, the ledger's sync links and codes, and the
recorded deliveries must be exactly those of a quiet run in a fresh World (each delivery once,
in order, each sync finished before the next delivery); every answer 200.
"""

from __future__ import annotations

import copy
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests
import sqlalchemy as sa

from backend.adapters.stripe_catalog import StripeCatalogAdapter
from backend.services.webhooks import hubspot_event_key
from backend.store.schema import webhook_deliveries
from stress.floods.shared import COMPANY, Tally, differences, serve, settle
from stress.report import Result
from stress.world import (HUBSPOT_APP_SECRET, SERVICE_AUDIENCE, STRIPE_SECRET,
                          STRIPE_WEBHOOK_SECRET, World, demo_data)

# The World's public address, which HubSpot signs for (its app sets no PUBLIC_BASE_URL, so
# SERVICE_AUDIENCE is it), whatever address the deliveries are sent to.
PUBLIC_BASE_URL = SERVICE_AUDIENCE


@dataclass
class Delivery:
    """One webhook delivery: a HubSpot array of events or one Stripe event."""
    source: str                       # "hubspot" | "stripe"
    events: list[dict]

    @property
    def ids(self) -> list[str]:
        return [hubspot_event_key(e) if self.source == "hubspot" else str(e["id"])
                for e in self.events]

    def request(self, world: World, base_url: str, attempt: int) -> tuple[str, bytes, dict]:
        """(path, body, headers) of the attempt-th sending: a retried HubSpot delivery counts
        its attempts and each sending is signed afresh, as the senders do, for the public
        address, not for `base_url`, where it is sent."""
        if self.source == "hubspot":
            path = f"/webhooks/hubspot/{COMPANY}"
            events = [dict(e, attemptNumber=attempt) for e in self.events]
            body, headers = world.sandbox.hubspot.signed_delivery(events, PUBLIC_BASE_URL + path,
                                                                  secret=HUBSPOT_APP_SECRET)
            return path, body, headers
        body, signature = world.sandbox.stripe.signed_webhook(self.events[0],
                                                              secret=STRIPE_WEBHOOK_SECRET)
        return (f"/webhooks/stripe/{COMPANY}", body,
                {"Stripe-Signature": signature, "Content-Type": "application/json"})


def start_and_wait(world: World, action: str, trigger: str = "campagne") -> None:
    world.backend.runner().start(world.backend.companies.get(COMPANY), action, {}, trigger)
    settle(world)


def make_changes(world: World, size: dict, seed: int) -> list[Delivery]:
    """Edits made by people in HubSpot and in Stripe, in a seeded order, and the deliveries
    that announce them (HubSpot groups a few events per delivery, areas mixed). The same seed
    makes the same edits of the same records in any World at the same point."""
    rng = random.Random(seed)
    hub = world.sandbox.hubspot
    catalog = StripeCatalogAdapter(STRIPE_SECRET, base_url=world.sandbox.stripe_url)
    linked = {kind: [o for o in hub.objects(kind) if o["properties"].get(
        "stripe_product_id" if kind == "products" else "stripe_customer_id")]
        for kind in ("products", "companies", "contacts")}
    picks = {kind: rng.sample(objs, len(objs)) for kind, objs in linked.items()}
    changes: list[Callable[[], tuple[str, dict]]] = []

    def hubspot_edit(kind: str, record: dict, prop: str, value: str):
        singular = {"products": "product", "companies": "company", "contacts": "contact"}[kind]

        def apply():
            hub.set_properties(kind, record["id"], {prop: value})
            return "hubspot", hub.event(f"{singular}.propertyChange", record["id"], prop, value)
        return apply

    products = picks["products"]
    codes = sorted({p["properties"].get("code_comptable") for p in linked["products"]} - {None, ""})
    for i, product in enumerate(products[:size["product_changes"]]):
        props = product["properties"]
        kind = ("price", "name", "description", "code_comptable")[i % 4]
        value = {"price": f"{float(props.get('price') or 0) + 5 * (i + 1):.2f}",
                 "name": f"{props.get('name')} (révisé {i})",
                 "description": f"Description revue pendant le flot ({i})",
                 "code_comptable": next((c for c in codes if c != props.get("code_comptable")),
                                        "706300")}[kind]
        changes.append(hubspot_edit("products", product, kind, value))
    for kind, count, edits in (
            ("companies", size["company_changes"], (("city", "Villeurbanne"), ("name", None),
                                                    ("address", "12 quai du Flot"))),
            ("contacts", size["contact_changes"], (("lastname", None), ("city", "Nantes"),
                                                   ("email", "flot{i}@mail.example")))):
        for i, record in enumerate(picks[kind][:count]):
            prop, value = edits[i % len(edits)]
            value = (f"{record['properties'].get(prop) or ''} Flot{i}".strip() if value is None
                     else value.format(i=i))
            changes.append(hubspot_edit(kind, record, prop, value))

    def new_product():
        record_id = hub.add("products", {
            "name": "Salle de formation — Paris Bastille", "price": "650.00",
            "description": "Salle de 20 places, à la journée.", "code_comptable": "706300",
            "axe_analytique_1": "SALLES", "axe_analytique_2": "PARIS-11",
            "axe_analytique_3": "PONCTUEL", "hs_sku": "formation_bastille_jour"})
        return "hubspot", hub.event("product.creation", record_id)
    changes.append(new_product)

    spare = products[size["product_changes"]:]      # products no HubSpot edit touches

    def archive(product):
        def apply():
            hub.archive("products", product["id"])
            return "hubspot", hub.event("product.deletion", product["id"])
        return apply
    changes.append(archive(spare[0]))

    # Stripe edits touch records HubSpot does not (a field edited on both sides is a conflict
    # for a person, which the quiet run and the flood would both report; not the point here).
    stripe_products = spare[1:]
    stripe_companies = picks["companies"][size["company_changes"]:]

    def stripe_edit(apply_write):
        def apply():
            before = {e["id"] for e in world.sandbox.stripe.stores["events"].all()}
            apply_write()
            new = [e for e in world.sandbox.stripe.stores["events"].all() if e["id"] not in before]
            assert len(new) == 1, f"one Stripe edit, one event: {len(new)}"
            return "stripe", new[0]
        return apply

    for i in range(size["stripe_changes"]):
        if i % 2 == 0:
            product = stripe_products[i // 2]
            changes.append(stripe_edit(lambda p=product, i=i: catalog.update_product(
                p["properties"]["stripe_product_id"],
                {"name": f"{p['properties']['name']} — Stripe {i}"})))
        else:
            company = stripe_companies[i // 2]
            changes.append(stripe_edit(lambda c=company, i=i: catalog.update_customer(
                c["properties"]["stripe_customer_id"], {"name": f"{c['properties']['name']} ({i})"},
                "company", c["id"])))

    rng.shuffle(changes)
    deliveries: list[Delivery] = []
    batch: list[dict] = []
    batch_size = rng.choice((1, 2, 3))
    for change in changes:
        source, event = change()
        if source == "stripe":
            deliveries.append(Delivery("stripe", [event]))
            continue
        batch.append(event)
        if len(batch) >= batch_size:
            deliveries.append(Delivery("hubspot", batch))
            batch, batch_size = [], rng.choice((1, 2, 3))
    if batch:
        deliveries.append(Delivery("hubspot", batch))
    return deliveries


@dataclass
class Sent:
    """What one sending of a delivery got back."""
    delivery: int
    attempt: int
    status: int | None
    applied: int = 0
    replays: int = 0


def send(world: World, session: requests.Session, base_url: str, deliveries: list[Delivery],
         index: int, attempt: int) -> Sent:
    path, body, headers = deliveries[index].request(world, base_url, attempt)
    try:
        answer = session.post(base_url + path, data=body, headers=headers, timeout=60)
    except requests.RequestException:
        return Sent(index, attempt, None)
    data = answer.json() if answer.headers.get("Content-Type", "").startswith("application/json") else {}
    return Sent(index, attempt, answer.status_code, int(data.get("applied") or 0),
                int(data.get("replays") or 0))


def applications(deliveries: list[Delivery], sent: list[Sent]) -> tuple[int, int]:
    """(events applied more than once, events never applied), from the answers: over all the
    sendings of a delivery, each of its events must be applied exactly once."""
    applied = Counter()
    for s in sent:
        applied[s.delivery] += s.applied
    twice = sum(max(0, applied[i] - len(d.events)) for i, d in enumerate(deliveries))
    never = sum(max(0, len(d.events) - applied[i]) for i, d in enumerate(deliveries))
    return twice, never


def flood_deliveries(world: World, base_url: str, deliveries: list[Delivery], seed: int,
                     threads: int) -> tuple[list[Sent], Tally]:
    """Every delivery sent 1 to 10 times, all sendings shuffled, from `threads` threads."""
    rng = random.Random(seed)
    plan = [(i, attempt) for i in range(len(deliveries)) for attempt in range(rng.randint(1, 10))]
    rng.shuffle(plan)
    tally = Tally()
    local = threading.local()

    def one(item):
        if not hasattr(local, "session"):
            local.session = requests.Session()
        outcome = send(world, local.session, base_url, deliveries, *item)
        tally.add(outcome.status)
        return outcome

    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="flood") as pool:
        sent = list(pool.map(one, plan))
    return sent, tally


def quiet_deliveries(world: World, base_url: str, deliveries: list[Delivery]
                     ) -> tuple[list[Sent], Tally]:
    """Each delivery once, in order, its sync finished before the next."""
    tally = Tally()
    session = requests.Session()
    sent = []
    for i in range(len(deliveries)):
        outcome = send(world, session, base_url, deliveries, i, 0)
        tally.add(outcome.status)
        sent.append(outcome)
        settle(world)
    return sent, tally


def snapshot(world: World, deliveries: list[Delivery]) -> dict:
    """What the syncs leave, comparable between Worlds: Stripe products, prices and customers,
    HubSpot products, companies and contacts (archived ones too), the ledger's sync links,
    customer codes and recorded deliveries. Ids the campaign did not load (a customer created
    by a sync) are named after what they stand for, since the order of creation (three at a
    time) decides which id a customer gets; clocks are left out."""
    demo, _ = demo_data()
    known = {o["id"] for objs in demo.values() for o in objs if isinstance(o, dict) and "id" in o}
    stripe = world.sandbox.stripe
    with stripe.lock:
        kinds = {k: copy.deepcopy(stripe.stores[k].all()) for k in ("products", "prices", "customers")}
    names: dict[str, str] = {}
    for product in kinds["products"]:
        if product["id"] not in known:
            owner = product["metadata"].get("hubspot_product_id")
            names[product["id"]] = f"<product of HubSpot {owner}>"
    for customer in kinds["customers"]:
        if customer["id"] not in known:
            meta = customer.get("metadata") or {}
            owner = next((f"{t} {meta[f'hubspot_{t}_id']}" for t in ("company", "contact")
                          if meta.get(f"hubspot_{t}_id")), customer.get("email"))
            names[customer["id"]] = f"<customer of HubSpot {owner}>"
    for price in sorted(kinds["prices"], key=lambda p: (p["product"], p["unit_amount"] or 0, p["id"])):
        if price["id"] not in known:
            name = f"<price {names.get(price['product'], price['product'])} {price['unit_amount']}>"
            while name in names.values():
                name += "+"
            names[price["id"]] = name

    def canon(value):
        if isinstance(value, dict):
            return {k: canon(v) for k, v in value.items()}
        if isinstance(value, list):
            return [canon(v) for v in value]
        return names.get(value, value) if isinstance(value, str) else value

    dropped = {"created", "updated", "invoice_prefix"}   # clocks; a prefix drawn at creation
    state = {kind: {names.get(o["id"], o["id"]): canon({k: v for k, v in o.items() if k not in dropped})
                    for o in objs} for kind, objs in kinds.items()}
    hub = world.sandbox.hubspot
    clocks = {"createdAt", "updatedAt", "archivedAt"}
    prop_clocks = {"createdate", "hs_lastmodifieddate", "lastmodifieddate"}
    with hub.lock:
        for kind in ("products", "companies", "contacts"):
            records = {}
            for record_id in sorted(hub.stores[kind].ids(), key=int):
                record = hub.get(kind, record_id)
                record = {k: v for k, v in record.items() if k not in clocks}
                record["properties"] = {k: v for k, v in record["properties"].items()
                                        if k not in prop_clocks}
                records[record_id] = canon(record)
            state[f"hubspot {kind}"] = records
    for object_type in ("product", "company", "contact"):
        state[f"sync links {object_type}"] = {
            hid: {"stripe_id": canon(link.stripe_id), "state": canon(link.state)}
            for hid, link in world.store.sync_links(COMPANY, object_type).items()}
    state["customer codes"] = {canon(k): v for k, v in world.store.customer_codes(COMPANY).items()}
    order = {(d.source, event_id): f"delivery {i} event {j}"
             for i, d in enumerate(deliveries) for j, event_id in enumerate(d.ids)}
    with world.store.engine.connect() as conn:
        rows = conn.execute(sa.select(webhook_deliveries.c.source,
                                      webhook_deliveries.c.delivery_id)).all()
    state["recorded deliveries"] = sorted(order.get((r.source, r.delivery_id),
                                                    f"unknown {r.source} {r.delivery_id}")
                                          for r in rows)
    return state


def webhook_world(size: dict, seed: int, flood: bool, progress) -> dict:
    """One World: the first sync (so that HubSpot and Stripe are linked, as after setup), the
    people's edits, then the deliveries, flooded or quiet; what it leaves and how it went."""
    with World(companies=1) as world, serve(world, production=flood) as server:
        start_and_wait(world, "sync_products")
        start_and_wait(world, "sync_customers")
        deliveries = make_changes(world, size, seed)
        started = time.perf_counter()
        if flood:
            sent, tally = flood_deliveries(world, server.url, deliveries, seed, size["flood_threads"])
        else:
            sent, tally = quiet_deliveries(world, server.url, deliveries)
        settled = settle(world)
        seconds = time.perf_counter() - started
        jobs = [j for j in world.backend.job_store().latest(COMPANY, 10_000)
                if j.trigger.startswith("webhook")]
        return {"state": snapshot(world, deliveries), "sent": sent, "tally": tally,
                "deliveries": deliveries, "settled": settled, "seconds": seconds,
                "jobs": jobs}


def webhooks_part(result: Result, size: dict, seed: int, progress) -> None:
    progress("floods: webhooks, the flood")
    flood = webhook_world(size, seed, True, progress)
    progress("floods: webhooks, the quiet run")
    quiet = webhook_world(size, seed, False, progress)
    deliveries: list[Delivery] = flood["deliveries"]
    tally: Tally = flood["tally"]
    twice, never = applications(deliveries, flood["sent"])
    diff = differences(flood["state"], quiet["state"])
    events = sum(len(d.events) for d in deliveries)
    failed_jobs = [j for j in flood["jobs"] + quiet["jobs"] if j.state != "done"
                   or j.outcome not in ("ok", "warning")]
    f = result.figures
    f["webhooks: deliveries (HubSpot / Stripe)"] = (
        f"{len(deliveries)} ({sum(d.source == 'hubspot' for d in deliveries)} / "
        f"{sum(d.source == 'stripe' for d in deliveries)}), {events} events")
    f["webhooks: sendings in the flood (1 to 10 per delivery, shuffled)"] = (
        f"{tally.sent} from {size['flood_threads']} threads in {flood['seconds']:.1f} s")
    f["webhooks: answers by status"] = tally.text()
    f["webhooks: connection errors"] = tally.connection_errors
    f["webhooks: events applied twice / never"] = f"{twice} / {never}"
    f["webhooks: sync jobs, flood / quiet run"] = f"{len(flood['jobs'])} / {len(quiet['jobs'])}"
    f["webhooks: failed sync jobs"] = len(failed_jobs)
    f["webhooks: differences from the quiet run"] = len(diff)
    result.target("webhooks: final state identical to the quiet run", not diff and flood["settled"],
                  f"{len(diff)} difference(s)")
    result.target("webhooks: no error answer (every answer 200)",
                  tally.errors() == 0 and tally.connection_errors == 0 and tally.sent > 0,
                  f"{tally.errors()} error answer(s), {tally.connection_errors} connection error(s)")
    result.target("webhooks: each event applied exactly once", twice == 0 and never == 0,
                  f"{twice} applied twice, {never} never")
    for line in diff[:10]:
        result.fail(f"webhooks: flood differs from the quiet run at {line}")
    if quiet["tally"].errors() or quiet["tally"].connection_errors:
        result.fail(f"webhooks: the quiet run got error answers: {quiet['tally'].text()}")
    for job in failed_jobs[:5]:
        result.fail(f"webhooks: job {job.action} {job.state}/{job.outcome}: {job.message}")
    if not (flood["settled"] and quiet["settled"]):
        result.fail("webhooks: jobs still active after the deliveries")
