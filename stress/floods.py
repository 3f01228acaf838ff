"""Point 2 of issue 7, floods: the backend served over real HTTP on loopback, hit by many callers
at once, and its final state compared with a quiet run of the same thing.

1. Webhooks: changes are made in the HubSpot sandbox (products, companies, contacts) and in the
   Stripe sandbox (products, customers); then every delivery announcing them (HubSpot v3-signed
   arrays of events, Stripe signed events) is sent 1 to 10 times, shuffled, from many threads.
   Once no job is left, Stripe, HubSpot, the ledger's sync links and codes, and the recorded
   deliveries must be exactly those of a quiet run in a fresh World (each delivery once, in
   order, each sync finished before the next delivery); every answer 200.
2. Starts: five companies start `generate` at once while one of them gets twenty simultaneous
   POST /actions/generate (threads released by a barrier): one job per company, the twenty
   answers name that one job, each sheet holds the demo month's journal exactly once and equals
   a quiet single run's sheet (timestamps aside); no error answer.
3. Status polling: GET /status at 200 requests a second (60 s full size, 5 s CI size) from a
   process of its own, while generation jobs run back to back against a slow sandbox; open-loop
   pacing (latency counted from each request's slot, so a stall delays every request queued
   behind it); no error answer, latencies reported, and every job done.

The floods hit the app as App Engine serves it (gunicorn, 2 workers of 8 threads: app.yaml),
in processes of their own; the quiet runs use a server in a thread. Jobs run in the workers
and share the database and the sandboxes with the campaign.

    result = campaign(full=False)      # CI size; full=True is `make stress`
"""

from __future__ import annotations

import copy
import itertools
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
from backend.jobs.runner import PendingStarts
from backend.services.convert import journal_objects
from backend.services.webhooks import hubspot_event_key
from backend.store.schema import webhook_deliveries
from stress.report import Result
from stress.serve import Gunicorn, Served, served_config
from stress.world import HUBSPOT_APP_SECRET, STRIPE_SECRET, STRIPE_WEBHOOK_SECRET, World, demo_data

RATE = 200                   # GET /status a second (the figure)
SIZES = {
    False: {"product_changes": 3, "company_changes": 2, "contact_changes": 2, "stripe_changes": 2,
            "flood_threads": 12, "companies": 5, "burst": 20, "poll_seconds": 5},
    True: {"product_changes": 10, "company_changes": 12, "contact_changes": 10,
           "stripe_changes": 10, "flood_threads": 24, "companies": 5, "burst": 20,
           "poll_seconds": 60},
}
COMPANY = "demo"             # the World's company with webhook secrets
SETTLE_SECONDS = 180.0
# Latency of every sandbox call during the starts (so that the twenty requests all land while
# the first job runs: a job finished before a request arrives lets that request start a new
# one, by design) and during the poll (so that one generation lasts seconds, not half a second).
STARTS_LATENCY = 0.05
POLL_LATENCY = 0.2
POLL_THREADS = 8


# --- shared helpers --------------------------------------------------------------------------

class Tally:
    """HTTP answers by status, and requests that got no answer at all."""

    def __init__(self) -> None:
        self.statuses: Counter = Counter()
        self.connection_errors = 0
        self._lock = threading.Lock()

    def add(self, status: int | None) -> None:
        with self._lock:
            if status is None:
                self.connection_errors += 1
            else:
                self.statuses[status] += 1

    def errors(self, fine: tuple[int, ...] = (200,)) -> int:
        """Answers with a status outside `fine`."""
        return sum(n for status, n in self.statuses.items() if status not in fine)

    @property
    def sent(self) -> int:
        return sum(self.statuses.values()) + self.connection_errors

    def text(self) -> str:
        shown = ", ".join(f"{status}: {n}" for status, n in sorted(self.statuses.items()))
        return shown or "none"


def quiescent(world: World) -> bool:
    """No company has a job queued or running, nor one waiting to start after another."""
    store = world.backend.job_store()
    pending = PendingStarts(lambda: world.store)
    return all(store.active(company) is None and not pending.waiting(company, world.backend.actions)
               for company in world.company_ids)


def settle(world: World, timeout: float = SETTLE_SECONDS) -> bool:
    """Until the World is quiescent two checks in a row (jobs run in this process or in the
    server's: the database is what they share)."""
    deadline = time.monotonic() + timeout
    calm = 0
    while time.monotonic() < deadline:
        calm = calm + 1 if quiescent(world) else 0
        if calm == 2:
            return True
        time.sleep(0.05)
    return False


def differences(left, right, path: str = "") -> list[str]:
    """The paths where two JSON-like values differ."""
    if isinstance(left, dict) and isinstance(right, dict):
        out = []
        for key in sorted(set(left) | set(right), key=str):
            where = f"{path}/{key}"
            if key not in left or key not in right:
                out.append(f"{where} only in {'flood' if key in left else 'quiet run'}")
            else:
                out += differences(left[key], right[key], where)
        return out
    if isinstance(left, list) and isinstance(right, list) and len(left) == len(right):
        return [d for i, (a, b) in enumerate(zip(left, right))
                for d in differences(a, b, f"{path}[{i}]")]
    return [] if left == right else [f"{path}: {_short(left)} != {_short(right)}"]


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def serve(world: World, production: bool = True):
    """The floods hit the app as App Engine serves it (gunicorn, workers and threads); the
    quiet reference runs a server in a thread, quicker to start."""
    return Gunicorn(served_config(world)) if production else Served(world.app)


def _session(base_url: str) -> requests.Session:
    """A session whose connection is open already (a GET /healthz), so that a request sent
    after a barrier is not slowed by the TCP handshake."""
    session = requests.Session()
    session.get(base_url + "/healthz", timeout=30)
    return session


# --- 1. webhooks ------------------------------------------------------------------------------

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
        its attempts and each sending is signed afresh, as the senders do."""
        if self.source == "hubspot":
            path = f"/webhooks/hubspot/{COMPANY}"
            events = [dict(e, attemptNumber=attempt) for e in self.events]
            body, headers = world.sandbox.hubspot.signed_delivery(events, base_url + path,
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


# --- 2. starts --------------------------------------------------------------------------------

def expected_journal(world: World) -> Counter:
    """The demo month's entries: ref -> number of lines."""
    demo, _ = demo_data()
    objects = [o for kind in demo.values() for o in kind]
    settings = world.backend.companies.get(COMPANY).settings
    return Counter({e.ref: len(e.lines) for e in journal_objects(objects, settings).result.entries})


def journal_rows(tabs: dict[str, list[list]]) -> Counter:
    """Rows per entry ref over the entries tabs (one per month, or one for all)."""
    rows = Counter()
    for title, values in tabs.items():
        if title.startswith("Écritures") and values:
            col = values[0].index("Ref. Pièce")
            rows.update(r[col] for r in values[1:] if len(r) > col and r[col] != "")
    return rows


def journal_check(tabs: dict[str, list[list]], expected: Counter) -> tuple[int, int]:
    """(entries whose rows are in the sheet more than once, entries missing or incomplete)."""
    rows = journal_rows(tabs)
    duplicated = sum(1 for ref, n in rows.items() if n > expected.get(ref, 0))
    missing = sum(1 for ref, n in expected.items() if rows.get(ref, 0) < n)
    return duplicated, missing


def comparable_sheet(tabs: dict[str, list[list]], email: str) -> dict:
    """A sheet without what depends on when and by whom it was written: the date of each
    Historique line and of each anomaly (`Depuis`), the user's email in the trigger."""
    out = {}
    for title, values in tabs.items():
        rows = [list(r) for r in values]
        if title == "Historique":
            rows = [[c.replace(email, "<utilisateur>") if isinstance(c, str) else c for c in r[1:]]
                    for r in rows]
        elif title == "Anomalies" and rows and "Depuis" in rows[0]:
            col = rows[0].index("Depuis")
            rows = [r[:col] + r[col + 1:] for r in rows]
        out[title] = rows
    return out


def generate_jobs(world: World, company: str) -> list:
    return [j for j in world.backend.job_store().latest(company, 1000) if j.action == "generate"]


def quiet_generation() -> dict:
    """One company, one generate, nothing else running: the sheet every flooded company's
    sheet must equal."""
    with World(companies=1) as world, Served(world.app) as server:
        answer = requests.post(server.url + "/actions/generate",
                               json={"spreadsheet_id": world.sheets[0]},
                               headers=world.auth(world.token(world.users[0])), timeout=60)
        answer.raise_for_status()
        settle(world)
        return comparable_sheet(world.sheet(world.sheets[0]), world.users[0])


def starts_part(result: Result, size: dict, seed: int, progress) -> None:
    progress("floods: starts, the quiet run")
    quiet = quiet_generation()
    progress("floods: starts, the flood")
    with World(companies=size["companies"], latency=STARTS_LATENCY) as world, \
            serve(world) as server:
        tokens = [world.token(user) for user in world.users]
        # The burst for the first company, one start for each of the others, all at once.
        plan = [0] * size["burst"] + list(range(1, len(world.company_ids)))
        random.Random(seed).shuffle(plan)
        sessions = [_session(server.url) for _ in plan]
        barrier = threading.Barrier(len(plan))
        answers: list[tuple[int, int | None, str | None]] = [(0, None, None)] * len(plan)
        tally = Tally()

        def post(slot: int) -> None:
            company = plan[slot]
            barrier.wait()
            try:
                answer = sessions[slot].post(server.url + "/actions/generate",
                                             json={"spreadsheet_id": world.sheets[company]},
                                             headers=world.auth(tokens[company]), timeout=60)
                status, job = answer.status_code, (answer.json().get("job") or {}).get("id")
            except (requests.RequestException, ValueError):
                status, job = None, None
            tally.add(status)
            answers[slot] = (company, status, job)

        threads = [threading.Thread(target=post, args=(slot,)) for slot in range(len(plan))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        settled = settle(world)
        expected = expected_journal(world)
        burst_ids = {job for company, _status, job in answers if company == 0}
        jobs = {cid: generate_jobs(world, cid) for cid in world.company_ids}
        bad_jobs = [j for js in jobs.values() for j in js
                    if j.state != "done" or j.outcome not in ("ok", "warning")]
        duplicated = missing = sheet_diff = 0
        for i, sheet in enumerate(world.sheets):
            tabs = world.sheet(sheet)
            dup, miss = journal_check(tabs, expected)
            duplicated, missing = duplicated + dup, missing + miss
            diff = differences(comparable_sheet(tabs, world.users[i]), quiet)
            sheet_diff += len(diff)
            for line in diff[:3]:
                result.fail(f"starts: sheet of {world.company_ids[i]} differs from a quiet run "
                            f"at {line}")
    f = result.figures
    created = tally.statuses.get(202, 0)
    f["starts: requests (burst for one company + one per other company)"] = (
        f"{len(plan)} ({size['burst']} + {len(world.company_ids) - 1}), released by a barrier")
    f["starts: answers by status (202 started, 200 already running)"] = tally.text()
    f["starts: connection errors"] = tally.connection_errors
    f["starts: job ids in the burst's answers"] = len(burst_ids)
    f["starts: generate jobs per company"] = ", ".join(
        f"{cid} {len(js)}" for cid, js in jobs.items())
    f["starts: entries duplicated / missing in the sheets"] = f"{duplicated} / {missing}"
    f["starts: sheet cells differing from a quiet run"] = sheet_diff
    one_job = all(len(js) == 1 for js in jobs.values()) and len(burst_ids) == 1 and None not in burst_ids
    result.target("starts: no error answer (202 for a new job, 200 for the running one)",
                  tally.errors((200, 202)) == 0 and tally.connection_errors == 0
                  and created == len(world.company_ids),
                  f"{tally.text()}; {tally.connection_errors} connection error(s)")
    result.target("starts: one job per company, the twenty answers naming it", one_job,
                  f"{len(burst_ids)} job id(s) in the burst; jobs per company "
                  + "/".join(str(len(js)) for js in jobs.values()))
    result.target("starts: final state identical to a quiet run (each entry once)",
                  settled and duplicated == 0 and missing == 0 and sheet_diff == 0,
                  f"{duplicated} duplicated, {missing} missing, {sheet_diff} differing cell(s)")
    for job in bad_jobs[:5]:
        result.fail(f"starts: job {job.company} {job.state}/{job.outcome}: {job.message}")


# --- 3. status polling ------------------------------------------------------------------------

def poll_load(base_url: str, token: str, spreadsheet_id: str, rate: float, seconds: float,
              threads: int = POLL_THREADS) -> dict:
    """GET /status at `rate` a second for `seconds`, open-loop: request i is due at
    start + i/rate and its latency runs from then, so a stalled server delays (and is charged
    for) every request queued behind the stall. Runs in a process of its own in the campaign
    (the load must not take the server's interpreter lock); plain values back."""
    total = int(rate * seconds)
    slots = itertools.count()
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: Counter = Counter()
    outcome = {"connection_errors": 0, "with_active_job": 0, "last": 0.0}
    headers = {"Authorization": f"Bearer {token}"}
    start = time.monotonic() + 0.2

    def worker() -> None:
        session = requests.Session()
        while True:
            with lock:
                slot = next(slots)
            if slot >= total:
                return
            due = start + slot / rate
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            active = False
            try:
                answer = session.get(base_url + "/status", params={"spreadsheet_id": spreadsheet_id},
                                     headers=headers, timeout=30)
                status = answer.status_code
                active = status == 200 and answer.json().get("active_job") is not None
            except (requests.RequestException, ValueError):
                status = None
            done = time.monotonic()
            with lock:
                latencies.append((done - due) * 1000)
                outcome["last"] = max(outcome["last"], done)
                outcome["with_active_job"] += active
                if status is None:
                    outcome["connection_errors"] += 1
                else:
                    statuses[status] += 1

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return {"sent": total, "latencies_ms": latencies, "statuses": dict(statuses),
            "connection_errors": outcome["connection_errors"],
            "with_active_job": outcome["with_active_job"],
            "elapsed": max(outcome["last"] - start, 1e-9)}


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile (p in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-p * len(ordered) // 100))))
    return ordered[rank - 1]


class JobChain:
    """Generation jobs back to back for one company, each started over HTTP when the previous
    ends, until stopped; what each job ended as."""

    def __init__(self, world: World, base_url: str) -> None:
        self.world, self.base_url = world, base_url
        self.jobs: list = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="job-chain", daemon=True)

    def start(self) -> "JobChain":
        self._thread.start()
        return self

    def _run(self) -> None:
        session = requests.Session()
        store = self.world.backend.job_store()
        headers = self.world.auth(self.world.token(self.world.users[0]))
        while not self._stop.is_set():
            answer = session.post(self.base_url + "/actions/generate",
                                  json={"spreadsheet_id": self.world.sheets[0]},
                                  headers=headers, timeout=60)
            if answer.status_code not in (200, 202):
                self.errors.append(f"start answered {answer.status_code}")
                return
            job_id = answer.json()["job"]["id"]
            while (job := store.get(job_id)) is not None and job.active:
                time.sleep(0.05)
            self.jobs.append(job)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(SETTLE_SECONDS)


def poll_part(result: Result, size: dict, seed: int, progress) -> None:
    from stress.processes import Child
    seconds = size["poll_seconds"]
    progress(f"floods: status polling, {RATE}/s for {seconds} s")
    with World(companies=1, latency=POLL_LATENCY) as world, serve(world) as server:
        token = world.token(world.users[0])
        chain = JobChain(world, server.url).start()
        deadline = time.monotonic() + 10
        while world.backend.job_store().active(COMPANY) is None and time.monotonic() < deadline:
            time.sleep(0.01)      # the first job is running before the poll begins
        outcome = Child(poll_load, server.url, token, world.sheets[0], RATE, seconds).start() \
            .wait(timeout=seconds + 120)
        chain.stop()
        settle(world)
        duplicated, missing = journal_check(world.sheet(world.sheets[0]), expected_journal(world))
    if outcome.state != "ok":
        result.fail(f"status polling: the load process ended {outcome.state}: {outcome.value}")
        return
    load = outcome.value
    latencies = load["latencies_ms"]
    statuses = Counter({int(k): v for k, v in load["statuses"].items()})
    errors = sum(n for status, n in statuses.items() if status != 200)
    achieved = len(latencies) / load["elapsed"]
    bad_jobs = [j for j in chain.jobs if j.state != "done" or j.outcome not in ("ok", "warning")]
    f = result.figures
    f["status: requests sent"] = load["sent"]
    f["status: target rate, achieved rate"] = f"{RATE}/s, {achieved:.1f}/s over {load['elapsed']:.1f} s"
    f["status: latency p50 / p95 / p99 / max (ms, from each request's slot)"] = " / ".join(
        f"{percentile(latencies, p):.1f}" for p in (50, 95, 99, 100))
    f["status: answers by status"] = ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items()))
    f["status: error answers (non-200)"] = errors
    f["status: connection errors"] = load["connection_errors"]
    f["status: answers showing a running job"] = f"{load['with_active_job']} of {len(latencies)}"
    outcomes = Counter(j.outcome for j in chain.jobs)
    f["status: generation jobs during the poll (outcomes)"] = (
        f"{len(chain.jobs)} ({', '.join(f'{k} {v}' for k, v in outcomes.items())})")
    f["status: entries duplicated / missing in the sheet after the jobs"] = f"{duplicated} / {missing}"
    if achieved < 0.95 * RATE:
        f["status: note"] = f"the {RATE}/s rate was not reached ({achieved:.1f}/s)"
    result.target("status: no error answer while a job runs",
                  errors == 0 and load["connection_errors"] == 0 and latencies,
                  f"{errors} error answer(s), {load['connection_errors']} connection error(s) "
                  f"in {len(latencies)}")
    result.target("status: the jobs polled finished correctly (each entry once)",
                  chain.jobs and not bad_jobs and not chain.errors and duplicated == 0
                  and missing == 0,
                  f"{len(chain.jobs)} job(s), {len(bad_jobs)} not done, "
                  f"{duplicated} duplicated, {missing} missing")
    for job in bad_jobs[:5]:
        result.fail(f"status: job {job.state}/{job.outcome}: {job.message}")
    for error in chain.errors:
        result.fail(f"status: job chain: {error}")
    if load["with_active_job"] == 0:
        result.fail("status: no answer showed a running job: the poll did not overlap a job")


# --- the part ---------------------------------------------------------------------------------

def campaign(full: bool = False, seed: int = 0, progress=print) -> Result:
    result = Result("floods")
    started = time.perf_counter()
    size = SIZES[full]
    for part in (webhooks_part, starts_part, poll_part):
        part_started = time.perf_counter()
        part(result, size, seed, progress)
        progress(f"floods: {part.__name__} done in {time.perf_counter() - part_started:.1f} s")
    result.seconds = time.perf_counter() - started
    return result


if __name__ == "__main__":
    import sys
    outcome = campaign(full="--full" in sys.argv, progress=lambda m: print(m, file=sys.stderr))
    print("\n".join(outcome.lines()))
    sys.exit(0 if outcome.ok else 1)
