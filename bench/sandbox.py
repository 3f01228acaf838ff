"""The local sandbox (`LocalSandbox`) loaded with a month of N invoices, for the benchmarks.

By default it runs in a process of its own: the real Stripe and Google do their work on their
own machines, so the sandbox's CPU (building and serialising 50,000 invoices, storing 170,000
rows) should not share the measured process's interpreter lock or memory. The latency per call
and the call counts (its `FaultPlan`) are the same either way; `in_process=True` keeps it in
the calling process, as the tests do.
"""

from __future__ import annotations

import gc
import multiprocessing
import traceback
from dataclasses import dataclass

ENTRIES_TAB = "Écritures"


@dataclass(frozen=True)
class Endpoints:
    stripe_url: str
    sheets_url: str
    spreadsheet_id: str


def month_of(invoices: int) -> dict:
    """The demo company with its month scaled to `invoices` invoices."""
    from backend.demo import build_demo_company, scale_invoices
    demo = build_demo_company()
    return {**demo, "invoices": scale_invoices(demo, invoices)}


class _Local:
    """The sandbox itself, and the few things the benchmarks ask of it."""

    def __init__(self, invoices: int, latency: float, freeze: bool = False) -> None:
        from backend.sandbox.local import LocalSandbox
        self.freeze = freeze
        self.company = month_of(invoices)
        self.box = LocalSandbox(latency=latency)

    def start(self) -> Endpoints:
        self.box.__enter__()
        self.box.stripe.load(self.company)
        self.sid = self.box.sheets.create_spreadsheet("Journal", ["Feuille 1"])
        if self.freeze:
            # The loaded month stays for the sandbox's life: out of the collector's sight,
            # so that serving a page does not walk 50,000 stored invoices now and then.
            gc.collect()
            gc.freeze()
        return Endpoints(self.box.stripe_url, self.box.sheets_url, self.sid)

    def stop(self) -> None:
        self.box.__exit__(None, None, None)

    def counts(self) -> dict[str, int]:
        return {"stripe": self.box.plan.count("stripe"), "sheets": self.box.plan.count("sheets")}

    def reset_counts(self) -> None:
        self.box.plan.reset()

    def new_spreadsheet(self, title: str) -> str:
        return self.box.sheets.create_spreadsheet(title, ["Feuille 1"])

    def lines_calls(self) -> int:
        """Calls to an invoice's or credit note's lines endpoint (those with more than ten)."""
        return sum(1 for call in self.box.plan.calls
                   if call.service == "stripe" and call.path.endswith("/lines"))

    def set_write_quota(self, per_minute: int | None) -> None:
        self.box.sheets.write_quota_per_minute = per_minute
        self.box.sheets._recent_writes.clear()

    def rows(self, tab: str = ENTRIES_TAB) -> int:
        """Rows below the header of a tab (0 if it does not exist)."""
        if tab not in self.box.sheets.tabs(self.sid):
            return 0
        return max(len(self.box.sheets.values(self.sid, tab)) - 1, 0)

    def finalized_invoice_ids(self) -> list[str]:
        """What an automation flow is triggered with (one `invoice.finalized` webhook each)."""
        return [i["id"] for i in self.company["invoices"] if i["status"] != "draft"]


def _serve(conn, invoices: int, latency: float, factory=None) -> None:
    try:
        local = (factory or _Local)(invoices, latency, freeze=True)
        conn.send(("ok", local.start()))
    except BaseException:
        conn.send(("error", traceback.format_exc()))
        return
    try:
        while True:
            name, args = conn.recv()
            if name == "stop":
                break
            try:
                conn.send(("ok", getattr(local, name)(*args)))
            except Exception:
                conn.send(("error", traceback.format_exc()))
    finally:
        local.stop()


class Sandbox:
    """`with Sandbox(invoices, latency) as box:` a loaded sandbox; `box.endpoints` for the
    clients, `box.counts()` the calls its fault plan counted."""

    def __init__(self, invoices: int, latency: float, in_process: bool = False,
                 factory=None) -> None:
        """`factory`: the class of the sandbox's state, `_Local` (a month of invoices) unless
        given; called as `factory(invoices, latency, freeze=...)`, it must be importable by
        name (the process is spawned) and have `start()` and `stop()`."""
        self.factory = factory or _Local
        self.invoices = invoices
        self.latency = latency
        self.in_process = in_process
        self._local: _Local | None = None
        self._process = None
        self._conn = None
        self.endpoints: Endpoints | None = None

    def __enter__(self) -> "Sandbox":
        if self.in_process:
            self._local = self.factory(self.invoices, self.latency)
            self.endpoints = self._local.start()
            return self
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, self.invoices, self.latency,
                                                            self.factory),
                                        name="bench-sandbox", daemon=True)
        self._process.start()
        self.endpoints = self._answer()
        return self

    def __exit__(self, *exc) -> None:
        if self._local is not None:
            self._local.stop()
            return
        try:
            self._conn.send(("stop", ()))
        except OSError:
            pass
        self._process.join(timeout=30)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join()

    def _answer(self):
        status, value = self._conn.recv()
        if status != "ok":
            raise RuntimeError(f"the sandbox process failed:\n{value}")
        return value

    def _ask(self, name: str, *args):
        if self._local is not None:
            return getattr(self._local, name)(*args)
        self._conn.send((name, args))
        return self._answer()

    def counts(self) -> dict[str, int]:
        return self._ask("counts")

    def reset_counts(self) -> None:
        self._ask("reset_counts")

    def new_spreadsheet(self, title: str) -> str:
        return self._ask("new_spreadsheet", title)

    def lines_calls(self) -> int:
        return self._ask("lines_calls")

    def set_write_quota(self, per_minute: int | None) -> None:
        self._ask("set_write_quota", per_minute)

    def rows(self, tab: str = ENTRIES_TAB) -> int:
        return self._ask("rows", tab)

    def finalized_invoice_ids(self) -> list[str]:
        return self._ask("finalized_invoice_ids")

    def ask(self, name: str, *args):
        """Any other method of the sandbox's state object, by name."""
        return self._ask(name, *args)
