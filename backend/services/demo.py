"""`make demo`: the demo company's month through the production path, on the local sandbox.

The demo company is served by the Stripe sandbox; its Google Sheet lives in the Sheets
sandbox; the production adapters (the official `stripe` and Google clients) talk to them over
HTTP on loopback. A run generates the entries into the sheet, then exports the month from what
the sheet holds. The sheet and the ledger store are kept in the output folder, so a second
`make demo` finds everything already written and says so (`make clean` starts over).
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from backend.adapters.files import write_atomic
from backend.adapters.xlsx_workbook import Tab, write_workbook
from backend.cli_summary import print_sync, result_summary
from backend.core.settings import Settings
from backend.demo import DEMO_COMPANY, build_demo_company, write_demo_company
from backend.demo.hubspot import build_demo_hubspot, with_duplicate_customer
from backend.journal_sheet import SHEETS_EPOCH
from backend.sandbox.local import LocalSandbox
from backend.services.generate import generate
from backend.services.month_files import OTHER_MONTHS, difference_english, split_month
from backend.services.sheet_journal import export_month, validate
from backend.services.sync import sync
from backend.sheet_settings import load_sheet_settings
from backend.store.ledger import LedgerStore

SPREADSHEET_ID = "demo-la-maison-du-coworking"
COMPANY = "demo"


def demo_settings() -> Settings:
    return Settings(axis_names=tuple(DEMO_COMPANY["axis_names"]),
                    company_name=DEMO_COMPANY["name"], siren=DEMO_COMPANY["siren"])


def run_demo(out: Path, month: str = "2026-10") -> int:
    out.mkdir(parents=True, exist_ok=True)
    state = out / ".sandbox"
    company = with_duplicate_customer(build_demo_company(month=month))
    write_demo_company(out / "stripe", month=month)
    store = LedgerStore(f"sqlite:///{out / 'ledger.db'}")
    store.migrate()
    # The run happens "the morning after" the month, as the daily trigger would run it.
    now = datetime.fromisoformat(f"{month}-01T06:00:00+00:00") + timedelta(days=32)
    now = now.replace(day=1) + timedelta(days=1)

    with LocalSandbox() as sandbox:
        services = (sandbox.stripe, sandbox.hubspot, sandbox.sheets)
        if state.exists():   # the demo accounts as the last `make demo` left them
            for service in services:
                service.load_state(state / f"{service.name}.pickle")
        else:
            sandbox.stripe.load(company)
            sandbox.hubspot.load(build_demo_hubspot(company))
            sandbox.sheets.create_spreadsheet(f"Journal des ventes — {DEMO_COMPANY['name']}",
                                              ["Feuille 1"], spreadsheet_id=SPREADSHEET_ID)
        print_check(sandbox, store)
        sheet = sandbox.sheet_adapter(SPREADSHEET_ID)
        settings = load_sheet_settings(sheet, demo_settings())
        started = time.perf_counter()
        synced = sync(sandbox.hubspot_adapter(), sandbox.catalog_adapter(), store, settings,
                      COMPANY, trigger="make demo", sheet=sheet, now=now)
        report = generate(sandbox.stripe_adapter(), sheet, store, settings, COMPANY,
                          trigger="make demo", now=now)
        checked = validate(sheet, settings, trigger="make demo", now=now)
        export = export_month(sheet, settings, month, trigger="make demo", now=now)
        month_file = write_atomic(out / f"inexweb-{month}.txt", export.inexweb)
        fec_file = write_atomic(out / export.fec_name, export.fec)
        # The month's workbook holds the month, as its files do: the sheet's lines dated in
        # another month are in a tab of their own, saying with which month they go.
        book = write_workbook(out / f"journal-{month}.xlsx", workbook_tabs(
            split_month(sheet.read(sheet.tab_titles()), settings, month)))
        (out / "sheet.json").write_text(json.dumps(sandbox.sheets.export_json(SPREADSHEET_ID),
                                                   ensure_ascii=False, indent=1), encoding="utf-8")
        state.mkdir(exist_ok=True)
        for service in services:
            service.save_state(state / f"{service.name}.pickle")
        seconds = time.perf_counter() - started

    print(f"{DEMO_COMPANY['name']} (demo), month {month}, on the local sandbox")
    print("HubSpot -> Stripe sync:")
    print_sync(synced, indent="  ", limit=12)
    print("generation:")
    print(f"read from Stripe: {report.documents_read} documents (the month has "
          f"{len(company['invoices'])} invoices and {len(company['credit_notes'])} credit notes)")
    for line in result_summary(report.result, limit=10):
        print(line)
    if report.written:
        print(f"rows written to the sheet: {report.rows_written} "
              f"({len(report.written)} entries)")
    else:
        print("nothing new to write: every document is already in the sheet")
    print("calls: " + ", ".join(f"{svc} {n}" for svc, n in report.calls.items())
          + f"; generation {report.seconds:.2f} s")
    print(f"journal balances: {'yes' if checked.ok else 'NO'} "
          f"({checked.pieces} pieces, {checked.lines} lines in the sheet)")
    for line in difference_english(month, len(export.rows), export.elsewhere,
                                   workbook=True):
        print(line)
    if export.replaced:
        print("characters transliterated in the files: " + " ".join(sorted(export.replaced)))
    print(f"files: {month_file}  (Inexweb month file, {settings.export_encoding})")
    print(f"       {fec_file}  (the month's extract of the FEC, passes the DGFiP validator's checks)")
    print(f"       {book}  (the sheet's tabs, Écritures holding the month's lines"
          + (f", \"{OTHER_MONTHS}\" the {sum(export.elsewhere.values())} dated in another month"
             if export.elsewhere else "") + ")")
    print(f"       {out / 'stripe'}/  (the demo company's Stripe objects)")
    print(f"time: {seconds:.2f} s")
    return 0


def print_check(sandbox: LocalSandbox, store: LedgerStore) -> None:
    """The preflight of the demo company against the sandboxes, as `python -m backend check`
    prints it: what an integrator sees before a first run. Locally nothing has a public
    address, so the webhooks are said uncheckable, honestly."""
    from google.oauth2.credentials import Credentials

    from backend.auth.companies import Company
    from backend.jobs.connections import ServiceUrls
    from backend.preflight import PreflightSetup, preflight
    from backend.sandbox.local import HUBSPOT_TOKEN, SHEETS_TOKEN, STRIPE_KEY
    from backend.secrets import MemorySecrets
    names = {"stripe": "demo-stripe-key", "hubspot": "demo-hubspot-token",
             "stripe_webhook": "demo-stripe-webhook-secret",
             "hubspot_webhook": "demo-hubspot-app-secret"}
    secrets = MemorySecrets({"demo-stripe-key": STRIPE_KEY, "demo-hubspot-token": HUBSPOT_TOKEN,
                             "demo-stripe-webhook-secret": sandbox.stripe.webhook_secret,
                             "demo-hubspot-app-secret": sandbox.hubspot.client_secret})
    company = Company(COMPANY, DEMO_COMPANY["name"], SPREADSHEET_ID, frozenset(), names,
                      (), demo_settings())
    report = preflight(PreflightSetup(
        company, secrets, ServiceUrls(sandbox.stripe_url, sandbox.sheets_url, sandbox.hubspot_url),
        lambda: Credentials(token=SHEETS_TOKEN), lambda: store.engine, demo=True))
    print(f"check of {DEMO_COMPANY['name']} (python -m backend check), before the run:")
    print("\n".join("  " + line for line in report.text().splitlines()))


def _serial_date(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        whole = datetime.combine(SHEETS_EPOCH, datetime.min.time()) + timedelta(days=value)
        return whole.date() if float(value).is_integer() else whole.replace(microsecond=0)
    return value


def workbook_tabs(tabs: dict[str, list[list]]) -> list[Tab]:
    """The sheet's tabs as a workbook a person can open: dates as dates, amounts as numbers."""
    out = []
    for title, rows in tabs.items():
        if not rows or title == "Feuille 1":
            continue
        header = [str(c) for c in rows[0]]
        dates = {i for i, name in enumerate(header) if name in ("Date", "Depuis")}
        amounts = {i for i, name in enumerate(header) if name in ("Débit", "Crédit")}
        body = []
        for row in rows[1:]:
            cells = list(row) + [""] * (len(header) - len(row))
            for i in dates:
                cells[i] = _serial_date(cells[i])
            for i in amounts:
                if isinstance(cells[i], (int, float)) and not isinstance(cells[i], bool):
                    cells[i] = Decimal(repr(cells[i])).quantize(Decimal("0.01"))
            body.append(cells)
        out.append(Tab(title, header, body))
    return out
