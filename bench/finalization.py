"""5. Finalization to sheet: how long after an invoice is finalized in Stripe its entry is in
the sheet, when Stripe's webhooks start the generation (issue 14, point 1).

The account: the demo company's catalogue (customers, products, prices, tax rates) and N
drafts made from its month's invoices (`scale_invoices`), created a few minutes ago, nothing
journaled yet. The backend: the production app (`create_app`) served on loopback by a
threaded server, its jobs in worker threads (`ThreadDispatcher`), a SQLite ledger store, the
company's Stripe webhook secret; the Stripe sandbox's webhook endpoint for the company is its
`/webhooks/stripe/<company>` URL, signed with that secret (backend/sandbox/
stripe_deliveries.py delivers the events from worker threads, as Stripe does).

Then the N drafts are finalized in a burst, as fast as the sandbox takes them, while a thread
of the sandbox's process reads the sheet every POLL_SECONDS: per invoice, the delay is the time
its id (Ref. Pièce) first appears in an Écritures tab less the time it was finalized. An
invoice the journal puts in Anomalies instead is counted apart. Every Stripe and Sheets call the
backend makes carries the sandbox's latency (50 ms by default); finalizing is not an API call
here (the sandbox's state helper), so the burst is as fast as the backend could ever see one.
"""

from __future__ import annotations

import logging
import math
import tempfile
import threading
import time

from bench.sandbox import Endpoints, Sandbox, _Local

COMPANY = "bench"
WEBHOOK_SECRET = "whsec_bench_finalization"
POLL_SECONDS = 0.1            # how often the sheet is read for new rows
WAIT_SECONDS = 300            # after the burst, at most this long for the last row
TARGET_P99 = 60.0             # seconds, issue 14
DRAFTS_AGE = 600              # the drafts were created this long before the burst (seconds)
# What the company's endpoint is enabled for: the documents' events (a generation) and the
# catalogue's (a sync), as `python -m backend check` expects them.
ENABLED_EVENTS = ["credit_note.created", "credit_note.voided", "customer.created",
                  "customer.updated", "invoice.finalized", "invoice.marked_uncollectible",
                  "invoice.voided", "product.created", "product.updated"]


def company_settings():
    from backend.core.settings import from_mapping
    from backend.demo import DEMO_COMPANY
    return from_mapping({"company_name": DEMO_COMPANY["name"], "siren": DEMO_COMPANY["siren"],
                         "axis_names": ";".join(DEMO_COMPANY["axis_names"])})


def with_entries(demo: dict) -> list[dict]:
    """The month's invoices that the journal turns into entries: not those it skips (the one
    with nothing to pay) nor those it lists in Anomalies, which put no row in Écritures to
    wait for."""
    from backend.core.catalog import Catalog
    from backend.core.customers import generate_missing_codes
    from backend.core.journal import journal_documents
    settings = company_settings()
    catalog = Catalog().add_all([obj for kind in ("customers", "products", "prices",
                                                  "tax_rates", "coupons")
                                 for obj in demo.get(kind, ())] + demo["invoices"])
    generate_missing_codes(catalog, settings)
    written = {entry.ref for entry in journal_documents(demo["invoices"], catalog,
                                                        settings).entries}
    return [inv for inv in demo["invoices"] if inv["id"] in written and inv["status"] != "void"]


def as_draft(invoice: dict, created: int) -> dict:
    """`invoice` as it was before it was finalized: no number, no dates of a final invoice,
    everything still due."""
    return dict(invoice, status="draft", number=None, created=created, effective_at=None,
                hosted_invoice_url=None, invoice_pdf=None, amount_paid=0,
                amount_remaining=invoice["amount_due"], ending_balance=None,
                attempt_count=0, attempted=False, auto_advance=False,
                status_transitions={"finalized_at": None, "marked_uncollectible_at": None,
                                    "paid_at": None, "voided_at": None})


def percentile(values: list[float], p: float) -> float:
    """Nearest rank: the smallest value with at least p % of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


class Burst(_Local):
    """The sandbox's side (in its own process by default): the account, the burst, and the
    watch on the sheet."""

    def __init__(self, invoices: int, latency: float, freeze: bool = False) -> None:
        from backend.demo import build_demo_company, scale_invoices
        from backend.sandbox.local import LocalSandbox
        self.freeze = freeze
        demo = build_demo_company()
        created = int(time.time()) - DRAFTS_AGE
        month = {**demo, "invoices": with_entries(demo)}
        drafts = [as_draft(inv, created) for inv in scale_invoices(month, invoices)]
        self.company = {**demo, "invoices": drafts, "credit_notes": [], "events": []}
        self.box = LocalSandbox(latency=latency)
        self.finalized_at: dict[str, float] = {}
        self.seen: dict[str, float] = {}
        self.anomalies: set[str] = set()
        self._stop = threading.Event()
        self._watch: threading.Thread | None = None

    def start(self) -> Endpoints:
        self.box.__enter__()
        self.box.stripe.load(self.company)
        self.sid = self.box.sheets.create_spreadsheet("Journal des ventes", ["Feuille 1"])
        return Endpoints(self.box.stripe_url, self.box.sheets_url, self.sid)

    def stop(self) -> None:
        self._stop.set()
        self.box.stripe.deliveries.close()
        super().stop()

    def register(self, url: str, secret: str) -> str:
        return self.box.stripe.add_webhook_endpoint(url, ENABLED_EVENTS, secret=secret)["id"]

    def burst(self, pace: float = 0.0) -> float:
        """Finalize every draft, one after the other, with the sheet watched meanwhile; the
        burst's length in seconds. `pace`: seconds from one finalization to the next (0: as
        fast as the sandbox takes them; the latency: as a client calling Stripe's finalize
        endpoint one invoice after the other would)."""
        self._watch = threading.Thread(target=self._watch_sheet, name="bench-watch",
                                       daemon=True)
        self._watch.start()
        started = time.time()
        for n, invoice in enumerate(self.company["invoices"]):
            wait = started + n * pace - time.time()
            if wait > 0:
                time.sleep(wait)
            self.box.stripe.finalize_invoice(invoice["id"], int(time.time()))
            self.finalized_at[invoice["id"]] = time.time()
        return time.time() - started

    def progress(self) -> tuple[int, int, int]:
        """(invoices in Écritures, in Anomalies, finalized)."""
        ours = set(self.finalized_at)
        seen = ours & set(self.seen)
        return len(seen), len((ours & self.anomalies) - seen), len(ours)

    def outcome(self) -> dict:
        self._stop.set()
        attempts = self.box.stripe.deliveries.attempts()
        return {
            "delays": sorted(self.seen[i] - self.finalized_at[i] for i in self.seen
                             if i in self.finalized_at),
            "anomalies": len((set(self.finalized_at) & self.anomalies) - set(self.seen)),
            "finalized": len(self.finalized_at),
            "deliveries": len(attempts),
            "deliveries_failed": sum(1 for a in attempts if not a.delivered),
            "delivery_statuses": sorted({str(a.status) for a in attempts}),
        }

    def _watch_sheet(self) -> None:
        from backend.journal_sheet import REF_COLUMN, is_entries_tab
        from backend.spreadsheet import ANOMALIES
        sheets = self.box.sheets
        while not self._stop.wait(POLL_SECONDS):
            now = time.time()
            for tab in sheets.tabs(self.sid):
                if is_entries_tab(tab):
                    rows = sheets.values(self.sid, tab)
                    if not rows or REF_COLUMN not in rows[0]:
                        continue
                    column = rows[0].index(REF_COLUMN)
                    for row in rows[1:]:
                        ref = str(row[column]) if len(row) > column else ""
                        if ref and ref not in self.seen:
                            self.seen[ref] = now
                elif tab == ANOMALIES:
                    self.anomalies |= {str(row[0]) for row in sheets.values(self.sid, tab)[1:]
                                       if row}


def measure_finalization(invoices: int, latency: float, pace: float = 0.0,
                         in_process: bool = False, wait_seconds: float = WAIT_SECONDS) -> dict:
    """`pace`: seconds between two finalizations (Burst.burst)."""
    from werkzeug.serving import make_server

    from backend.auth.companies import Companies, Company
    from backend.demo import DEMO_COMPANY
    from backend.sandbox.local import STRIPE_KEY
    from backend.secrets import MemorySecrets
    from backend.store.ledger import LedgerStore
    from backend.web import create_app

    logging.getLogger("werkzeug").setLevel(logging.WARNING)   # not a line per delivery
    with Sandbox(invoices, latency, in_process=in_process, factory=Burst) as box, \
            tempfile.TemporaryDirectory() as tmp:
        end = box.endpoints
        store = LedgerStore(f"sqlite:///{tmp}/ledger.db")
        store.migrate()
        settings = company_settings()
        company = Company(COMPANY, DEMO_COMPANY["name"], end.spreadsheet_id,
                          frozenset({"comptable@bench.example"}),
                          {"stripe": "bench-stripe-key", "stripe_webhook": "bench-webhook"},
                          (), settings)
        app = create_app({
            "PRODUCTION": False, "COMPANIES": Companies([company]),
            "SECRETS": MemorySecrets({"bench-stripe-key": STRIPE_KEY,
                                      "bench-webhook": WEBHOOK_SECRET}),
            "LEDGER_STORE": store, "ID_TOKEN_AUDIENCES": [], "SERVICE_AUDIENCE": "",
            "SERVICE_ACCOUNTS": [], "STRIPE_API_BASE": end.stripe_url,
            "SHEETS_API_BASE": end.sheets_url, "JOB_DISPATCH": "thread"})
        server = make_server("127.0.0.1", 0, app, threaded=True)
        serving = threading.Thread(target=server.serve_forever, daemon=True,
                                   name="bench-backend")
        serving.start()
        try:
            box.ask("register", f"http://127.0.0.1:{server.server_port}/webhooks/stripe/"
                                f"{COMPANY}", WEBHOOK_SECRET)
            box.reset_counts()
            burst = box.ask("burst", pace)
            deadline = time.monotonic() + wait_seconds
            while time.monotonic() < deadline:
                seen, anomalies, finalized = box.ask("progress")
                if seen + anomalies >= finalized:
                    break
                time.sleep(0.5)
            waited = time.monotonic() - deadline + wait_seconds
            jobs = _settled_jobs(app, deadline)
            counts = box.counts()
            outcome = box.ask("outcome")
        finally:
            server.shutdown()
            store.close()
    delays = outcome["delays"]
    runs = [j for j in jobs if j.action == "generate"]
    return {
        "invoices": invoices, "latency": latency, "pace": pace, "burst": burst,
        "waited": waited,
        "complete": len(delays) + outcome["anomalies"] >= outcome["finalized"],
        "seen": len(delays), "anomalies": outcome["anomalies"],
        "finalized": outcome["finalized"],
        "p50": percentile(delays, 50) if delays else None,
        "p99": percentile(delays, 99) if delays else None,
        "max": delays[-1] if delays else None,
        "runs": len(runs), "jobs": {a: sum(1 for j in jobs if j.action == a)
                                    for a in sorted({j.action for j in jobs})},
        "run_states": sorted({j.state for j in runs}),
        "calls": counts, "deliveries": outcome["deliveries"],
        "deliveries_failed": outcome["deliveries_failed"],
        "delivery_statuses": outcome["delivery_statuses"],
    }


def _settled_jobs(app, deadline: float) -> list:
    """The company's jobs once none is queued or running any more (or the deadline passed)."""
    backend = app.extensions["journal"]
    while True:
        jobs = backend.job_store().latest(COMPANY, 1000)
        if not any(j.active for j in jobs) or time.monotonic() > deadline:
            return jobs
        time.sleep(0.2)


def measure_both(invoices: int, latency: float, in_process: bool = False) -> dict:
    """The two bursts of the table: all at once, and one finalization per call's latency."""
    return {"coalesce": _coalesce_seconds(),
            "at_once": measure_finalization(invoices, latency, 0.0, in_process),
            "paced": measure_finalization(invoices, latency, latency, in_process)}


def _coalesce_seconds() -> float | None:
    """The backend's wait before a webhook's generation starts (None: a backend without one)."""
    from backend.services import webhooks
    return getattr(webhooks, "COALESCE_SECONDS", None)


def rows(results: dict, sizes) -> list:
    """Section 5 of `make bench`'s table: its figures in the first column."""
    from bench.table import Row, count, duration
    pad = [""] * (len(sizes) - 1)
    first = results["at_once"]
    wait = results.get("coalesce")
    waits = f"; the generation starts {wait:.0f} s after the first event" if wait else ""
    out = [Row(f"5. Finalization to sheet: {count(first['invoices'])} drafts finalized in "
               f"Stripe, its webhooks delivered to the backend served on loopback (jobs in "
               f"threads){waits} (***)", section=True)]
    for name, r in (("all at once", first),
                    (f"one per {_ms(results['paced'])} (a client's calls)", results["paced"])):
        if r["p99"] is None:
            out.append(Row(f"{name}: nothing reached the sheet", ["n/a"] + pad,
                           f"p99 < {TARGET_P99:.0f} s", "no"))
            continue
        met = r["complete"] and r["p99"] < TARGET_P99
        out.append(Row(f"{name}: finalization-to-sheet delay p50 / p99",
                       [f"{duration(r['p50'])} / {duration(r['p99'])}"] + pad,
                       f"p99 < {TARGET_P99:.0f} s",
                       "yes" if met else ("no: not all in the sheet" if not r["complete"]
                                          else f"no, {r['p99'] - TARGET_P99:.0f} s over")))
        out.append(Row("  max; invoices in Écritures / finalized",
                       [f"{duration(r['max'])}; {count(r['seen'])} / {count(r['finalized'])}"]
                       + pad))
        out.append(Row("  burst length; generation runs",
                       [f"{duration(r['burst'])}; {r['runs']}"] + pad))
        out.append(Row("  Stripe / Sheets calls (the backend's, counted by the sandbox)",
                       [f"{count(r['calls']['stripe'])} / {count(r['calls']['sheets'])}"]
                       + pad))
        out.append(Row("  webhook deliveries (failed)",
                       [f"{count(r['deliveries'])} ({r['deliveries_failed']})"] + pad))
    return out


def _ms(r: dict) -> str:
    return f"{r['pace'] * 1000:.0f} ms"


NOTES = [
    ("(***) Section 5: per invoice, the delay from its finalization in the Stripe sandbox to its "
    "id (Ref. Pièce) in an Écritures tab, the sheet read every 0.1 s; p50 and p99 by nearest "
    "rank. The drafts are copies of the demo month's invoices that the journal turns into "
    "entries. 'All at once': finalized as fast as the sandbox's state helper takes them; "
    "'one per call': one every latency seconds, as a client finalizing them one by one "
    "through the API would. Calls: every Stripe and Sheets call the backend made from the "
    "first delivery to the last row, each with the sandbox's latency."),
]
