"""`make demo`: the demo company's month through the pipeline, leaving files a person can open.

The demo company's Stripe objects are written as the API returns them, read back by the same
loader as `convert`, journaled by the core, and written as the Inexweb month file, the FEC and
the accountant's workbook.
"""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path

from backend.adapters.files import write_atomic
from backend.adapters.xlsx_workbook import Tab, write_workbook
from backend.cli_summary import result_summary
from backend.core.model import journal_rows
from backend.core.settings import Settings
from backend.demo import DEMO_COMPANY, write_demo_company
from backend.formats import fec
from backend.services.convert import journal_objects, month_end, render
from backend import spreadsheet
from backend.stripe_files import read_objects


def demo_settings() -> Settings:
    return Settings(axis_names=tuple(DEMO_COMPANY["axis_names"]),
                    company_name=DEMO_COMPANY["name"], siren=DEMO_COMPANY["siren"])


def run_demo(out: Path, month: str = "2026-10") -> int:
    started = time.perf_counter()
    settings = demo_settings()
    paths = write_demo_company(out / "stripe", month=month)
    objects = read_objects(paths)
    done = journal_objects(objects, settings)
    result = done.result
    this_month = [e for e in result.entries if f"{e.date:%Y-%m}" == month]
    other = len(result.entries) - len(this_month)
    closing = month_end(date.fromisoformat(f"{month}-01"))

    replaced: set[str] = set()
    month_file = write_atomic(out / f"inexweb-{month}.txt",
                              render(this_month, settings, "inexweb", replaced))
    fec_file = write_atomic(out / fec.file_name(settings.siren, closing),
                            render(this_month, settings, "fec", replaced))

    now = datetime.now().replace(microsecond=0)
    outcome = (f"{len(result.entries)} écritures, {len(result.anomalies)} anomalies, "
               f"{len(result.skipped)} documents sans écriture")
    tabs = [
        Tab(spreadsheet.ENTRIES, *spreadsheet.entries_tab(journal_rows(result.entries), settings),
            widths={1: 12, 3: 22, 4: 30, 5: 16, 6: 48}),
        Tab(spreadsheet.ANOMALIES, *spreadsheet.anomalies_tab(
            result.anomalies, {a.document_id: now for a in result.anomalies}),
            widths={1: 30, 4: 80, 5: 18}),
        Tab(spreadsheet.SETTINGS, *spreadsheet.settings_tab(settings), widths={1: 28, 2: 40, 3: 70}),
        Tab(spreadsheet.HISTORY, *spreadsheet.history_tab([spreadsheet.HistoryLine(
            now, "make demo", "Génération des écritures", outcome)]), widths={1: 18, 3: 28, 4: 70}),
    ]
    book = write_workbook(out / f"journal-{month}.xlsx", tabs)

    invoices = sum(1 for o in objects if o.get("object") == "invoice")
    notes = sum(1 for o in objects if o.get("object") == "credit_note")
    debit = sum(e.total_debit for e in result.entries)
    credit = sum(e.total_credit for e in result.entries)
    print(f"{DEMO_COMPANY['name']} (demo), month {month}")
    print(f"invoices read: {invoices}, credit notes read: {notes}, "
          f"customer codes generated: {len(done.new_codes)}")
    for line in result_summary(result, limit=10):
        print(line)
    print(f"entries dated in {month}: {len(this_month)}; dated in another month: {other} "
          "(kept in the sheet, left out of this month's files)")
    print("journal balances: " + ("yes" if debit == credit and all(
        e.balanced for e in result.entries) else "NO"))
    if replaced:
        print("characters transliterated in the files: " + " ".join(sorted(replaced)))
    print(f"files: {month_file}  (Inexweb month file, {settings.export_encoding})")
    print(f"       {fec_file}  (FEC, passes the DGFiP validator's checks)")
    print(f"       {book}  (tabs: Écritures, Anomalies, Paramètres, Historique)")
    print(f"       {out / 'stripe'}/  (the demo company's Stripe objects)")
    print(f"time: {time.perf_counter() - started:.2f} s")
    return 0
