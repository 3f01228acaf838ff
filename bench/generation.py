"""2. The daily generation end to end, the product's way.

`generate(...)` with the real adapters (`StripeSourceAdapter`, `GoogleSheetsAdapter`) against
the sandbox with its latency per call, and a SQLite ledger store in a temporary directory: a
first run on a month of N invoices (everything is new). Measured in a fresh process, after a
warm-up run (its own sheet and store, an empty window: the lazy imports and first-use caches
are then behind us, as in the long-running web process that the daily trigger calls): wall time
of the `generate` call, calls counted by the sandbox's fault plan, peak memory, time spent in
the cyclic garbage collector, and where the time went (time inside the Stripe port's methods,
the sheet's, the store's; the rest is the core and the glue).
"""

from __future__ import annotations

import functools
import tempfile
import time
from datetime import datetime, timezone

from bench.machine import GcPauses, PeakRss
from bench.sandbox import Sandbox

NOW = datetime(2026, 11, 2, 6, 0, tzinfo=timezone.utc)   # the morning after the demo month
START_DATE = "2026-10-01"
STRIPE_PORT = ("invoices", "credit_notes", "customers", "products", "tax_rates", "events")
SHEET_PORT = ("tab_titles", "ensure_tabs", "read", "read_column", "append", "replace",
              "delete_rows", "highlight")
STORE_METHODS = ("acquire_lock", "release_lock", "lock_holder", "start_run", "finish_run",
                 "get_cursor", "set_cursor", "customer_codes", "save_customer_codes", "journal",
                 "written_documents", "mark_pending", "mark_written", "forget_pending",
                 "sync_anomalies")


def run_settings(start_date: str = START_DATE):
    from backend.core.settings import Settings
    from backend.demo import DEMO_COMPANY
    return Settings(axis_names=tuple(DEMO_COMPANY["axis_names"]), siren=DEMO_COMPANY["siren"],
                    start_date=start_date)


class _Clock:
    """Seconds spent inside the methods of an object, by group (not nested: the store is
    never called from inside an adapter)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def watch(self, obj, names, group: str, materialize: bool = False) -> None:
        self.seconds.setdefault(group, 0.0)
        for name in names:
            method = getattr(obj, name, None)
            if method is not None:
                setattr(obj, name, self._wrap(method, group, materialize))

    def _wrap(self, method, group, materialize):
        @functools.wraps(method)
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                result = method(*args, **kwargs)
                if materialize:   # a listing is a generator: its calls happen when it is read
                    result = iter(list(result))
                return result
            finally:
                self.seconds[group] += time.perf_counter() - started
        return timed


def measure_generation(invoices: int, latency: float, parallelism: int, rate: float,
                       in_process: bool = False) -> dict:
    from google.oauth2.credentials import Credentials

    from backend.adapters.google_sheets import GoogleSheetsAdapter
    from backend.adapters.stripe_source import StripeSourceAdapter
    from backend.sandbox.local import SHEETS_TOKEN, STRIPE_KEY
    from backend.services.generate import generate
    from backend.store.ledger import LedgerStore

    settings = run_settings()
    with Sandbox(invoices, latency, in_process=in_process) as box, \
            tempfile.TemporaryDirectory() as tmp:
        end = box.endpoints

        def connect(name: str, spreadsheet_id: str):
            store = LedgerStore(f"sqlite:///{tmp}/{name}.db")
            store.migrate()
            stripe = StripeSourceAdapter(STRIPE_KEY, base_url=end.stripe_url,
                                         parallelism=parallelism, max_requests_per_second=rate)
            sheet = GoogleSheetsAdapter(spreadsheet_id, Credentials(token=SHEETS_TOKEN),
                                        base_url=end.sheets_url)
            return stripe, sheet, store

        warm = connect("warm-up", box.new_spreadsheet("Warm-up"))
        generate(*warm, run_settings(NOW.date().isoformat()), "warm-up", now=NOW)
        warm[0].close()
        stripe, sheet, store = connect("ledger", end.spreadsheet_id)
        clock = _Clock()
        clock.watch(stripe, STRIPE_PORT, "stripe", materialize=True)
        clock.watch(sheet, SHEET_PORT, "sheets")
        clock.watch(store, STORE_METHODS, "store")
        box.reset_counts()
        with PeakRss() as memory, GcPauses() as pauses:
            started = time.perf_counter()
            report = generate(stripe, sheet, store, settings, "bench", now=NOW)
            wall = time.perf_counter() - started
        counts = box.counts()
        lines_calls = box.lines_calls()
        rows_in_sheet = box.rows()
        stripe.close()
    outside = sum(clock.seconds.values())
    return {
        "invoices": invoices, "wall": wall, "calls": counts, "adapter_calls": report.calls,
        "lines_calls": lines_calls, "max_ranges": stripe.max_ranges,
        "documents_read": report.documents_read, "entries": len(report.written),
        "rows": report.rows_written, "rows_in_sheet": rows_in_sheet,
        "anomalies": len(report.result.anomalies), "skipped": len(report.result.skipped),
        "peak_mb": memory.peak_mb, "memory_method": memory.method,
        "gc_seconds": pauses.seconds, "gc_collections": pauses.collections,
        "phases": {**clock.seconds, "rest": max(wall - outside, 0.0)},
    }
