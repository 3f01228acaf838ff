"""`python -m backend.web.preview`: the whole flow on the demo company, in a browser, with no
account anywhere.

Starts, in this process: the Stripe, HubSpot and Google Sheets sandboxes on loopback with the
demo company ("La Maison du Coworking") and an empty spreadsheet; a local token issuer; the
backend (the production app, its jobs in a worker thread, its ledger store in a SQLite file);
and serves the preview page: the spreadsheet's tabs beside the sidebar, whose buttons run the
real Code.gs through a stand-in of google.script.run. Open the address it prints. It opens
on the demo company's month (DEMO_COMPANY["month"], where its invoices fall), as on the
morning after it; --month picks another.

    python -m backend.web.preview [--port 8080] [--month 2026-10] [--latency 0.1]
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from backend.auth.companies import Companies, Company
from backend.auth.local_issuer import LocalIssuer
from backend.core.settings import from_mapping
from backend.demo import DEMO_COMPANY, build_demo_company
from backend.demo.hubspot import build_demo_hubspot, with_duplicate_customer
from backend.sandbox.local import HUBSPOT_TOKEN, STRIPE_KEY, LocalSandbox
from backend.secrets import MemorySecrets
from backend.store.ledger import LedgerStore

COMPANY_ID = "demo"
SPREADSHEET_ID = "preview-la-maison-du-coworking"
EMAIL = "comptable@maison-coworking.example"
CLIENT_ID = "preview-appsscript.apps.googleusercontent.com"
STRIPE_SECRET = "demo-stripe-key"
HUBSPOT_SECRET = "demo-hubspot-token"


def month_clock(month: str):
    """The clock of a run on the 2nd of the month after `month`, 06:00 UTC, that then goes on
    as real time does (as `make demo` runs: the morning after the month)."""
    year, number = (int(part) for part in month.split("-"))
    start = datetime(year + number // 12, number % 12 + 1, 2, 6, 0, tzinfo=timezone.utc)
    began = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - began)


def demo_company() -> Company:
    settings = from_mapping({"company_name": DEMO_COMPANY["name"], "siren": DEMO_COMPANY["siren"],
                             "axis_names": ";".join(DEMO_COMPANY["axis_names"])})
    return Company(COMPANY_ID, DEMO_COMPANY["name"], SPREADSHEET_ID, frozenset({EMAIL}),
                   {"stripe": STRIPE_SECRET, "hubspot": HUBSPOT_SECRET}, (), settings)


def preview_config(sandbox: LocalSandbox, issuer: LocalIssuer, store: LedgerStore, clock,
                   title: str) -> dict:
    sheet = sandbox.sheet_adapter(SPREADSHEET_ID)
    return {
        "PRODUCTION": False,
        "PREVIEW": True,
        "COMPANIES": Companies([demo_company()]),
        "SECRETS": MemorySecrets({STRIPE_SECRET: STRIPE_KEY, HUBSPOT_SECRET: HUBSPOT_TOKEN}),
        "LEDGER_STORE": store,
        "GOOGLE_CERTS_URL": issuer.certs_url,
        "ID_TOKEN_AUDIENCES": [CLIENT_ID],
        "SERVICE_AUDIENCE": "",
        "SERVICE_ACCOUNTS": [],
        "STRIPE_API_BASE": sandbox.stripe_url,
        "SHEETS_API_BASE": sandbox.sheets_url,
        "HUBSPOT_API_BASE": sandbox.hubspot_url,
        "JOB_DISPATCH": "thread",
        "CLOCK": clock,
        "PREVIEW_ISSUER": issuer,
        "PREVIEW_EMAIL": EMAIL,
        "PREVIEW_AUDIENCE": CLIENT_ID,
        "PREVIEW_SPREADSHEET": SPREADSHEET_ID,
        "PREVIEW_COMPANY": COMPANY_ID,
        "PREVIEW_TITLE": title,
        "PREVIEW_SHEET": lambda: sheet.read(sheet.tab_titles()),
        # The stand-in's SpreadsheetApp writes (a request of its own: a fresh adapter).
        "PREVIEW_SHEET_ADAPTER": lambda: sandbox.sheet_adapter(SPREADSHEET_ID),
        "PREVIEW_PLAN": sandbox.plan,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend.web.preview", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback)")
    parser.add_argument("--port", type=int, default=8080, help="port (0: any free one)")
    parser.add_argument("--month", default=DEMO_COMPANY["month"],
                        help=f"the demo company's month, AAAA-MM (default: {DEMO_COMPANY['month']})")
    parser.add_argument("--latency", type=float, default=0.05,
                        help="seconds added to each sandbox call, to watch the progress bar")
    parser.add_argument("--database", help="ledger store file (default: a new one in a temp dir)")
    args = parser.parse_args(argv)

    from werkzeug.serving import make_server

    from backend.logs import configure as configure_logs
    from backend.web import create_app
    configure_logs(logging.INFO)   # readable lines, request values escaped (backend/logs.py)

    # The demo month, not the current one, where the demo company has nothing (issue 14); the
    # clock is the morning after it, so that the sidebar offers that month to export.
    month = args.month
    clock = month_clock(month)
    workdir = Path(tempfile.mkdtemp(prefix="journal-preview-"))
    database = Path(args.database) if args.database else workdir / "ledger.db"
    title = f"Journal des ventes — {DEMO_COMPANY['name']}"

    with LocalSandbox(latency=args.latency) as sandbox, LocalIssuer() as issuer:
        # The demo company as `make demo` has it: its Stripe account (with a customer recorded
        # twice, for the sync to report) and its HubSpot account.
        company = with_duplicate_customer(build_demo_company(month=month))
        sandbox.stripe.load(company)
        sandbox.hubspot.load(build_demo_hubspot(company, month=month))
        sandbox.sheets.create_spreadsheet(title, ["Feuille 1"], spreadsheet_id=SPREADSHEET_ID)
        store = LedgerStore(f"sqlite:///{database}")
        store.migrate()
        app = create_app(preview_config(sandbox, issuer, store, clock, title))
        server = make_server(args.host, args.port, app, threaded=True)
        url = f"http://{args.host}:{server.server_port}/preview/"
        print(f"preview of {DEMO_COMPANY['name']} ({month}): {url}", flush=True)
        print("Ctrl-C to stop", flush=True)

        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        server.shutdown()
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
