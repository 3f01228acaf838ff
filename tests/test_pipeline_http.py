"""The production path over real HTTP: the official `stripe` and Google clients against the
sandbox, a real SQLite ledger store, and faults injected at every step of a run.

After any fault, the next clean run leaves each document's entry in the sheet exactly once.
"""

import copy
import gc
from collections import Counter
from datetime import datetime, timezone

import pytest
from google.oauth2.credentials import Credentials

from backend.adapters.google_sheets import GoogleSheetsAdapter
from backend.backoff import Backoff
from backend.core.settings import Settings
from backend.demo import DEMO_COMPANY, build_demo_company
from backend.errors import ServiceError
from backend.sandbox.faults import DROP, ERROR, LOST, Fault
from backend.sandbox.local import SHEETS_TOKEN, LocalSandbox
from backend.services.convert import journal_objects
from backend.services.generate import AppendPolicy, entry_tab_spec, generate
from backend.store.ledger import LedgerStore
from clocks import SimClock

NOW = datetime(2026, 11, 2, 6, 0, tzinfo=timezone.utc)
LATER = datetime(2026, 11, 3, 6, 0, tzinfo=timezone.utc)
SETTINGS = Settings(axis_names=tuple(DEMO_COMPANY["axis_names"]), siren=DEMO_COMPANY["siren"])


@pytest.fixture(scope="module")
def demo():
    return build_demo_company()


def small_month(demo):
    """A slice of the demo month that still has every kind of case the faults must survive:
    paging, an invoice whose lines need a second call, credit notes, anomalies, a void."""
    invoices = sorted(demo["invoices"], key=lambda i: i["created"])
    keep = invoices[:150] + [i for i in invoices[150:] if i["lines"]["total_count"] > 10
                             or i["status"] in ("void", "draft")]
    ids = {i["id"] for i in keep}
    return {**demo, "invoices": keep,
            "credit_notes": [c for c in demo["credit_notes"] if c["invoice"] in ids]}


@pytest.fixture(scope="module")
def small(demo):
    return small_month(demo)


def journal_of(company):
    objects = [o for kind in company.values() for o in kind]
    return {e.ref: len(e.lines) for e in journal_objects(objects, SETTINGS).result.entries}


@pytest.fixture(scope="module")
def expected(demo):
    return journal_of(demo)


@pytest.fixture
def sandbox(demo):
    with LocalSandbox() as box:
        box.stripe.load(copy.deepcopy(demo))
        box.sid = box.sheets.create_spreadsheet("Journal", ["Feuille 1"])
        yield box


def run(sandbox, store, now=NOW, retries=0):
    # Google's backoff (1 s, 2 s, 4 s... before a retry) on a simulated clock: the same retries
    # in the same order, without the seconds of real waiting after each injected fault.
    clock = SimClock()
    backoff = Backoff(sleep=clock.sleep, clock=clock, rand=lambda: 0.5)
    sheet = GoogleSheetsAdapter(sandbox.sid, Credentials(token=SHEETS_TOKEN),
                                base_url=sandbox.sheets_url, backoff=backoff)
    return generate(sandbox.stripe_adapter(max_retries=retries), sheet, store, SETTINGS, "mdc",
                    now=now, appends=AppendPolicy(backoff=backoff))


def sheet_refs(sandbox):
    rows = sandbox.sheets.values(sandbox.sid, "Écritures")
    col = rows[0].index("Ref. Pièce")
    return Counter(r[col] for r in rows[1:])


def test_generation_over_http_and_the_calls_it_takes(sandbox, store, expected):
    report = run(sandbox, store)
    assert sheet_refs(sandbox) == expected
    # 4 lists (tax rates, products, invoices in 5 pages, credit notes) + lines of the 13-line invoice.
    assert report.calls["stripe"] == 9 == sandbox.plan.count("stripe")
    assert report.calls["sheets"] == sandbox.plan.count("sheets") <= 10
    appends = [c for c in sandbox.plan.calls if c.path.endswith(":append")]
    assert len(appends) == 2   # every row of the run in one append, plus the Historique line
    second = run(sandbox, store, LATER)
    assert second.written == [] and sheet_refs(sandbox) == expected


def test_customer_text_stays_text_in_the_sheet(sandbox, store):
    run(sandbox, store)
    rows = sandbox.sheets.values(sandbox.sid, "Écritures")
    labels = [r[5] for r in rows[1:] if "=SUM Consulting" in r[5] or "+Plus Agency" in r[5]]
    assert labels, "the demo has customers whose names look like formulas"
    for tab in sandbox.sheets.export_json(sandbox.sid)["sheets"]:
        assert "formulas" not in tab, tab["properties"]["title"]


def test_dates_and_amounts_are_typed_cells(sandbox, store):
    run(sandbox, store)
    cell = sandbox.sheets.cell(sandbox.sid, "Écritures", "A2")
    assert cell["format"]["numberFormat"]["type"] == "DATE" and cell["formatted"] == "01/10/2026"
    amount = sandbox.sheets.cell(sandbox.sid, "Écritures", "G2")
    assert isinstance(amount["value"], (int, float)) and "," in amount["formatted"]


@pytest.mark.parametrize("service", ["stripe", "sheets"])
@pytest.mark.parametrize("kind", [ERROR, DROP, LOST])
def test_any_fault_at_any_call_then_a_clean_run_gives_each_entry_once(small, tmp_path, service, kind):
    """Every call of a run to `service` fails in turn (one schedule per call); each time the
    next clean run must leave every entry in the sheet exactly once."""
    expected = journal_of(small)
    with LocalSandbox() as probe:           # how many calls a clean run makes
        probe.stripe.load(copy.deepcopy(small))
        probe.sid = probe.sheets.create_spreadsheet("Journal", ["Feuille 1"])
        store = LedgerStore(f"sqlite:///{tmp_path / 'probe.db'}")
        store.migrate()
        run(probe, store)
        calls = probe.plan.count(service)
    assert calls >= 4
    for call in range(1, calls + 1):
        with LocalSandbox() as box:
            box.stripe.load(copy.deepcopy(small))
            box.sid = box.sheets.create_spreadsheet("Journal", ["Feuille 1"])
            store = LedgerStore(f"sqlite:///{tmp_path / f'{call}.db'}")
            store.migrate()
            box.plan.reset([Fault(service, call, kind, status=500)])
            try:
                run(box, store)
            except ServiceError:
                pass
            box.plan.reset()
            run(box, store, LATER)
            assert sheet_refs(box) == expected, f"{kind} at {service} call {call}"
            assert {r.status for r in store.journal("mdc").values()} == {"written"}
            store.close()
        gc.collect()   # each sandbox is a reference cycle: free it before the next one


def test_lost_append_answer_is_checked_within_the_same_run(sandbox, store, expected):
    # Sheets POSTs of a first run: ensure tabs, clear Paramètres (then a PUT), the append.
    sandbox.plan.reset([Fault("sheets", 3, LOST, method="POST")])
    report = run(sandbox, store)
    assert len(report.written) == len(expected) and sheet_refs(sandbox) == expected
    appends = [c for c in sandbox.plan.calls if c.path.endswith(":append") and "critures" in c.path]
    assert len(appends) == 1   # the lost one, not sent again: the sheet was read instead


def test_tab_cleared_after_import_stays_empty(sandbox, store):
    run(sandbox, store)
    sandbox.sheet_adapter(sandbox.sid).replace(entry_tab_spec("Écritures", SETTINGS), [])
    assert run(sandbox, store, LATER).written == []
    assert sheet_refs(sandbox) == Counter()


def test_one_invoice_is_read_with_all_its_lines(sandbox, demo):
    long = next(i for i in demo["invoices"] if i["lines"]["total_count"] > 10)
    read = sandbox.stripe_adapter().invoice(long["id"])
    assert [l["id"] for l in read["lines"]["data"]] == [l["id"] for l in long["lines"]["data"]]
    assert read["lines"]["has_more"] is False


@pytest.mark.parametrize("since", [None, 1_700_000_000])   # sequential, then time ranges
def test_the_adapter_keeps_only_what_it_is_asked_to(sandbox, since):
    from backend.core.documents import journal_fields
    adapter = sandbox.stripe_adapter()
    whole = list(adapter.invoices(created_gte=since))
    kept = list(adapter.invoices(created_gte=since, keep=journal_fields))
    assert kept == [journal_fields(d) for d in whole]
    long = next(d for d in kept if len(d["lines"]["data"]) > 10)   # completed, then kept
    assert long["lines"]["has_more"] is False and "url" not in long["lines"]
