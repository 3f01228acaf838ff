"""Faults: randomized fault schedules over a generation run on the whole demo month, each
followed by a clean run; then the sheet must hold every entry exactly once, balanced.

A schedule (drawn from the campaign's seed and its index, so it can be replayed) places one
to three faults at the Nth call of a clean run to Stripe or Sheets, or at the Nth SQL
statement of the ledger store:

- Stripe, Sheets (the sandbox's FaultPlan): an error answer (Stripe 500/503/429, Sheets
  500/503, each service's own error body), a timeout (the adapters get a 1 s timeout, the
  sandbox stalls longer), a dropped connection, an answer lost after the write was applied,
  a crash of the process before or after the request is applied;
- the store (SQLAlchemy's `before_cursor_execute` event on the store's engine, in the process
  running the generation): an OperationalError, or the process dying before the statement.

The faulted run goes in a child process (stress.processes.Child) that the sandbox kills on a
crash fault. The clean run is the next day's; a lease the faulted run left (killed, or its
release failed) is taken over once expired, as the next run would a minute later (its lease
clock is set past the expiry). Then the Écritures tab is counted against the journal the core
computes from the same Stripe objects: duplicates, missing entries, unbalanced pieces; the
store must record every entry as written (none pending), the Anomalies tab must list exactly
the expected anomalies, and a faulted run that failed must have failed with a clear error.

Three workers (two cores; schedules wait on back-offs and timeouts a good part of the time),
each with its own sandbox, run the schedules; each schedule starts from snapshots of the
Stripe account and of an empty spreadsheet, and a fresh ledger store: a SQLite file, or with
`--store postgresql` a database of a PostgreSQL server the campaign starts (stress/stores.py),
the store faults then raising psycopg's own errors.

    PYTHONPATH=. python -m stress.faults [--full] [--seed S] [--store postgresql]
    PYTHONPATH=. python -m stress.faults --seed S --schedule I    # replay one schedule
"""

from __future__ import annotations

import argparse
import copy
import multiprocessing.util
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from backend.journal_sheet import REF_COLUMN, is_entries_tab
from backend.sandbox.faults import CRASH, CRASH_AFTER, DROP, ERROR, LOST, TIMEOUT, Fault
from backend.sandbox.local import SHEETS_TOKEN, STRIPE_KEY, LocalSandbox
from backend.spreadsheet import ANOMALIES
from backend.store.ledger import LedgerStore
from stress.fault_runs import COMPANY, LATER, NOW, SETTINGS, count_statements, faulted_generation
from stress.processes import PRELOAD, Child, context
from stress.report import Result
from stress.store_faults import DB_CRASH, DB_ERROR, StoreFault
from stress.stores import StoreSite, open_site, taking_over

FULL_SCHEDULES = 1000
CI_SCHEDULES = 60           # under a minute on two cores
# Two cores, three workers: a third of a schedule's time is back-off sleeps and timeouts,
# which a third worker fills (measured: ~1.3x the schedules a second of two workers).
WORKERS = 3
CLIENT_TIMEOUT = 1.0        # seconds the adapters wait for an answer in a faulted run
TIMEOUT_DELAY = 1.5         # how long the sandbox stalls on a TIMEOUT fault (> the above)
CHILD_LIMIT = 120.0         # a faulted run still going after this is a hang (a finding)
SPREADSHEET = "journal-faults"

TARGETS = ("stripe", "sheets", "store")
SERVICE_KINDS = (ERROR, TIMEOUT, DROP, LOST, CRASH, CRASH_AFTER)
STORE_KINDS = (DB_ERROR, DB_CRASH)
STATUSES = {"stripe": (500, 503, 429), "sheets": (500, 503)}
KIND_ORDER = SERVICE_KINDS + STORE_KINDS


# --- schedules ------------------------------------------------------------------------------

@dataclass(frozen=True, order=True)
class Planned:
    target: str             # "stripe" | "sheets" | "store"
    call: int               # the Nth call to the service, or the Nth statement of the store
    kind: str               # a FaultPlan kind, or DB_ERROR / DB_CRASH
    status: int | None = None

    def __str__(self) -> str:
        return f"{self.target}#{self.call} {self.kind}" + (f" {self.status}" if self.status else "")


def draw_schedule(seed: int, index: int, calls: dict[str, int]) -> list[Planned]:
    """1 to 3 faults at distinct calls, each within what a clean run makes."""
    rng = random.Random(f"faults:{seed}:{index}")
    chosen: dict[tuple[str, int], Planned] = {}
    wanted = rng.randint(1, 3)
    while len(chosen) < wanted:
        target = rng.choice(TARGETS)
        call = rng.randint(1, calls[target])
        if (target, call) in chosen:
            continue
        kind = rng.choice(STORE_KINDS if target == "store" else SERVICE_KINDS)
        status = rng.choice(STATUSES[target]) if kind == ERROR else None
        chosen[(target, call)] = Planned(target, call, kind, status)
    return sorted(chosen.values())


# --- what the sheet and the store hold after the clean run -----------------------------------

@dataclass
class Expected:
    lines: dict[str, int]                  # entry ref -> its number of rows
    anomalies: Counter                     # (document id, reason) -> 1


def expected_journal(company: dict) -> Expected:
    from backend.services.convert import journal_objects
    objects = [o for kind in company.values() for o in kind]
    result = journal_objects(objects, SETTINGS).result
    return Expected({e.ref: len(e.lines) for e in result.entries},
                    Counter((a.document_id, a.reason) for a in result.anomalies))


@dataclass
class Findings:
    duplicates: int = 0          # entries with more rows in the sheet than they have
    missing: int = 0             # expected entries absent from the sheet, or incomplete
    unbalanced: int = 0          # pieces whose debits and credits differ
    unexpected: int = 0          # references in the sheet that no document gives
    store: int = 0               # records pending, or recorded refs != expected refs
    anomalies: int = 0           # rows of the Anomalies tab off the expected list (both ways)
    details: list[str] = field(default_factory=list)

    COUNTS = ("duplicates", "missing", "unbalanced", "unexpected", "store", "anomalies")

    @property
    def clean(self) -> bool:
        return not any(getattr(self, name) for name in self.COUNTS)


def _cents(value) -> int:
    if isinstance(value, bool) or value in ("", None):
        return 0
    if isinstance(value, (int, float)):
        return round(value * 100)
    try:
        return round(float(str(value).replace(",", ".")) * 100)
    except ValueError:
        return 0   # text in an amount cell: the piece then shows as unbalanced


def count_entries(rows: list[list], expected: Expected, findings: Findings) -> None:
    """Counts over one Écritures tab's values (header first), into `findings`."""
    if not rows:
        findings.missing += len(expected.lines)
        findings.details.append("no Écritures rows at all")
        return
    header = [str(c).strip() for c in rows[0]]
    ref_at, piece_at = header.index(REF_COLUMN), header.index("Pièce")
    debit_at, credit_at = header.index("Débit"), header.index("Crédit")
    seen: Counter = Counter()
    balance: Counter = Counter()
    for row in rows[1:]:
        cells = list(row) + [""] * (len(header) - len(row))
        key = str(cells[ref_at]).strip() or str(cells[piece_at]).strip()
        if not key:
            continue
        seen[key] += 1
        balance[key] += _cents(cells[debit_at]) - _cents(cells[credit_at])
    for ref, lines in expected.lines.items():
        if seen[ref] > lines:
            findings.duplicates += 1
            findings.details.append(f"duplicate: {ref} has {seen[ref]} rows, its entry {lines}")
        elif seen[ref] < lines:
            findings.missing += 1
            findings.details.append(f"missing: {ref} has {seen[ref]} rows of {lines}")
    extra = sorted(set(seen) - set(expected.lines))
    findings.unexpected += len(extra)
    findings.details += [f"unexpected reference in the sheet: {ref}" for ref in extra[:5]]
    off = sorted(key for key, total in balance.items() if total)
    findings.unbalanced += len(off)
    findings.details += [f"unbalanced: {key} off by {balance[key] / 100:.2f}" for key in off[:5]]


def count_anomalies(rows: list[list], expected: Expected, findings: Findings) -> None:
    listed = Counter((str(r[0]), str(r[3])) for r in rows[1:] if len(r) > 3)
    wrong = (listed - expected.anomalies) + (expected.anomalies - listed)
    findings.anomalies += sum(wrong.values())
    findings.details += [f"Anomalies tab: {doc} «{reason}» "
                         f"{'extra' if listed[(doc, reason)] > expected.anomalies[(doc, reason)] else 'absent'}"
                         for doc, reason in list(wrong)[:5]]


def count_store(store: LedgerStore, expected: Expected, findings: Findings) -> None:
    records = store.journal(COMPANY)
    pending = sorted(ref for ref, r in records.items() if r.status != "written")
    absent = sorted(set(expected.lines) - set(records))
    extra = sorted(set(records) - set(expected.lines))
    findings.store += len(pending) + len(absent) + len(extra)
    for label, refs in (("pending in the store", pending), ("not recorded in the store", absent),
                        ("recorded but not expected", extra)):
        if refs:
            findings.details.append(f"{len(refs)} {label}: {', '.join(refs[:3])}")


def check(box: LocalSandbox, spreadsheet_id: str, store: LedgerStore,
          expected: Expected) -> Findings:
    """Everything the campaign counts, read from the sandbox sheet and the store."""
    findings = Findings()
    tabs = box.sheets.tabs(spreadsheet_id)
    entry_tabs = [t for t in tabs if is_entries_tab(t)]
    rows: list[list] = []
    for n, tab in enumerate(entry_tabs):   # one header, the rows of every entries tab
        values = box.sheets.values(spreadsheet_id, tab)
        rows += values if n == 0 else values[1:]
    count_entries(rows, expected, findings)
    count_anomalies(box.sheets.values(spreadsheet_id, ANOMALIES) if ANOMALIES in tabs else [],
                    expected, findings)
    count_store(store, expected, findings)
    return findings


# --- one worker: a sandbox, snapshots, and schedules run one after another --------------------

class Bench:
    def __init__(self, stripe_snapshot: str, expected: Expected, site: StoreSite) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="faults-"))
        self.expected = expected
        self.site = site
        self.box = LocalSandbox().__enter__()
        self.stripe_snapshot = stripe_snapshot
        self.box.stripe.load_state(stripe_snapshot)
        # An empty spreadsheet, saved once, loaded again before each schedule.
        self.box.sheets.create_spreadsheet("Journal des ventes", ["Feuille 1"],
                                           spreadsheet_id=SPREADSHEET)
        self.sheets_snapshot = str(self.tmp / "sheets.pickle")
        self.box.sheets.save_state(self.sheets_snapshot)
        # The clean runs share one Sheets adapter: building one costs ~0.3 s of CPU (the
        # client renders the API's docstrings), and a run lists the tabs before using them.
        self.clean_sheet = self.box.sheet_adapter(SPREADSHEET)

    def close(self) -> None:
        self.box.__exit__(None, None, None)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run(self, index: int, schedule: list[Planned]) -> dict:
        box = self.box
        box.plan.reset()
        box.plan.on_crash = None
        box.stripe.load_state(self.stripe_snapshot)
        box.sheets.load_state(self.sheets_snapshot)
        url = self.site.fresh(f"ledger-{index}")
        fired_file = self.tmp / f"fired-{index}.txt"
        service_faults = [Fault(p.target, p.call, p.kind, status=p.status or 500,
                                delay=TIMEOUT_DELAY) for p in schedule if p.target != "store"]
        store_faults = tuple(StoreFault(p.call, p.kind) for p in schedule if p.target == "store")

        child = Child(faulted_generation, box.stripe_url, box.sheets_url, SPREADSHEET, url,
                      store_faults, str(fired_file), CLIENT_TIMEOUT, STRIPE_KEY, SHEETS_TOKEN)
        box.plan.on_crash = lambda fault: child.kill()
        box.plan.reset(service_faults)
        started = time.perf_counter()
        child.start()
        outcome = child.wait(CHILD_LIMIT)
        faulted_seconds = time.perf_counter() - started
        # A service fault fired if its call was reached; a store fault, if the child said so.
        done = set()
        if fired_file.exists():
            done = {int(line.split()[0]) for line in fired_file.read_text().split("\n") if line}
        fired = [n for n, p in enumerate(schedule)
                 if (p.target == "store" and p.call in done)
                 or (p.target != "store" and box.plan.count(p.target) >= p.call)]
        box.plan.on_crash = None
        box.plan.reset()

        crashed_by_plan = child.killed or any(schedule[n].kind == DB_CRASH for n in fired)
        state, error, unclear = _classify(outcome, crashed_by_plan)
        store = LedgerStore(url)
        clean_error = None
        stripe = box.stripe_adapter()
        try:
            from backend.services.generate import generate
            generate(stripe, self.clean_sheet, store, SETTINGS, COMPANY, now=LATER,
                     lease=taking_over(store, COMPANY))
        except Exception as exc:   # reported: the clean run must go through
            clean_error = f"{type(exc).__name__}: {exc}"
        finally:
            stripe.close()
        findings = check(box, SPREADSHEET, store, self.expected)
        store.close()
        self.site.drop(url)
        fired_file.unlink(missing_ok=True)
        french = outcome.value.get("french") if isinstance(outcome.value, dict) else None
        return {"index": index, "schedule": [str(p) for p in schedule], "fired": fired,
                "state": state, "error": error, "unclear": unclear, "french": french,
                "clean_error": clean_error, "faulted_seconds": round(faulted_seconds, 3),
                "findings": {name: getattr(findings, name) for name in Findings.COUNTS},
                "details": findings.details[:12]}


def _classify(outcome, crashed_by_plan: bool) -> tuple[str, str | None, str | None]:
    """(completed | failed | crashed | broken, the error's type, an unclear error's text).
    A child that died without a planned crash (it could not start, say) is a finding."""
    if outcome.state == "killed":
        if crashed_by_plan:
            return "crashed", None, None
        return "broken", "died", f"the faulted run's process died on its own (exit {outcome.value})"
    if outcome.state == "error":    # the child function itself raised, or hung
        text = str(outcome.value) or "no outcome"
        return "broken", "child", text if len(text) < 3000 else text[:1000] + " … " + text[-2000:]
    value = outcome.value
    if value["state"] == "completed":
        return "completed", None, None
    kind = value["type"].rsplit(".", 1)[-1]
    if not value["clear"]:
        return "failed", kind, f"{value['type']}: {value['message']}\n{value['traceback']}"
    return "failed", kind, None


_bench: Bench | None = None


def _worker_start(stripe_snapshot: str, expected: Expected, site: StoreSite) -> None:
    global _bench
    # This worker's children fork from a server of its own: have it import the child side
    # too, so that each faulted run starts without importing anything.
    context().set_forkserver_preload(PRELOAD + ["stress.fault_runs", "backend.jobs.failures",
                                                "backend.services.sheet_journal",
                                                "google.oauth2.credentials"])
    _bench = Bench(stripe_snapshot, expected, site)
    # Run when the pool's worker exits normally (atexit does not run in a worker).
    multiprocessing.util.Finalize(_bench, _bench.close, exitpriority=10)


def _worker_run(index: int, schedule: list[Planned]) -> dict:
    return _bench.run(index, schedule)


# --- the campaign ---------------------------------------------------------------------------

def prepare(tmp: Path, site: StoreSite) -> tuple[str, Expected, dict[str, int]]:
    """The Stripe snapshot, the expected journal, and the calls of a clean run (per service,
    and the store's statements), measured on a clean run here."""
    from backend.demo import build_demo_company
    from backend.services.generate import generate
    demo = build_demo_company()
    expected = expected_journal(demo)
    snapshot = str(tmp / "stripe.pickle")
    with LocalSandbox() as box:
        box.stripe.load(copy.deepcopy(demo))
        box.stripe.save_state(snapshot)
        sid = box.sheets.create_spreadsheet("Journal des ventes", ["Feuille 1"])
        probe = site.fresh("probe")
        store = LedgerStore(probe)
        counter = count_statements(store)
        box.plan.reset()
        generate(box.stripe_adapter(), box.sheet_adapter(sid), store, SETTINGS, COMPANY, now=NOW)
        calls = {"stripe": box.plan.count("stripe"), "sheets": box.plan.count("sheets"),
                 "store": counter.count}
        findings = check(box, sid, store, expected)
        store.close()
        site.drop(probe)
    if not findings.clean:
        raise RuntimeError(f"a clean run does not give the expected journal: {findings.details}")
    return snapshot, expected, calls


def replay_command(seed: int, index: int, store: str = "sqlite") -> str:
    return (f"PYTHONPATH=. python -m stress.faults --seed {seed} --schedule {index}"
            + (f" --store {store}" if store != "sqlite" else ""))


def campaign(full: bool = False, seed: int = 0, progress=print, schedules: int | None = None,
             workers: int = WORKERS, store: str = "sqlite") -> Result:
    result = Result("faults")
    total = schedules or (FULL_SCHEDULES if full else CI_SCHEDULES)
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="faults-campaign-"))
    try:
        with open_site(store, tmp) as site:
            outcomes, plans, calls = _run_schedules(result, site, tmp, total, seed, workers,
                                                    started, progress)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result.seconds = time.perf_counter() - started
    result.figures["ledger store"] = store
    _summarize(result, sorted(outcomes, key=lambda o: o["index"]), plans, calls, seed, full,
               workers, store)
    return result


def _run_schedules(result: Result, site: StoreSite, tmp: Path, total: int, seed: int,
                   workers: int, started: float, progress) -> tuple[list, list, dict]:
    snapshot, expected, calls = prepare(tmp, site)
    plans = [draw_schedule(seed, i, calls) for i in range(total)]
    progress(f"faults: {total} schedules (seed {seed}) over the demo month "
             f"({len(expected.lines)} entries), store on {site.kind}; a clean run makes "
             f"{calls['stripe']} Stripe calls, {calls['sheets']} Sheets calls, "
             f"{calls['store']} store statements")
    outcomes = []
    step = max(1, total // 10)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context(),
                             initializer=_worker_start,
                             initargs=(snapshot, expected, site)) as pool:
        futures = {pool.submit(_worker_run, i, plan): i for i, plan in enumerate(plans)}
        for done, future in enumerate(as_completed(futures), 1):
            try:
                outcomes.append(future.result())
            except Exception as exc:   # the worker itself failed: say which schedule
                result.fail(f"schedule {futures[future]}: the worker failed: {exc!r} — "
                            f"replay: {replay_command(seed, futures[future], site.kind)}")
            if done % step == 0 or done == total:
                bad = sum(1 for o in outcomes if not _ok(o))
                progress(f"faults: {done}/{total} schedules, {bad} with a finding, "
                         f"{time.perf_counter() - started:.0f} s")
    return outcomes, plans, calls


def _ok(outcome: dict) -> bool:
    return (not outcome["unclear"] and outcome["state"] != "broken"
            and not outcome["clean_error"] and not any(outcome["findings"].values()))


def _summarize(result: Result, outcomes: list[dict], plans: list[list[Planned]],
               calls: dict[str, int], seed: int, full: bool, workers: int,
               store: str = "sqlite") -> None:
    drawn = [p for plan in plans for p in plan]
    kinds = Counter(p.kind for p in drawn)
    targets = Counter(p.target for p in drawn)
    states = Counter(o["state"] for o in outcomes)
    clear = [o for o in outcomes if o["state"] == "failed" and not o["unclear"]]
    errors = Counter(o["error"] for o in clear)
    generic = sum(1 for o in clear if "erreur inattendue" in (o["french"] or ""))
    totals = {name: sum(o["findings"][name] for o in outcomes) for name in Findings.COUNTS}
    fired = Counter(plans[o["index"]][n].kind for o in outcomes for n in o["fired"])
    fired_targets = Counter(plans[o["index"]][n].target for o in outcomes for n in o["fired"])
    f = result.figures
    f["schedules"] = len(outcomes)
    f["seed"] = seed
    f["calls of a clean run (where faults are drawn)"] = (
        f"Stripe {calls['stripe']}, Sheets {calls['sheets']}, store statements {calls['store']}")
    f["faults drawn / fired (their call was reached)"] = f"{len(drawn)} / {sum(fired.values())}"
    f["per kind, drawn/fired"] = ", ".join(f"{k} {kinds[k]}/{fired[k]}" for k in KIND_ORDER)
    f["per target, drawn/fired"] = ", ".join(f"{t} {targets[t]}/{fired_targets[t]}"
                                             for t in TARGETS)
    f["faulted runs completed (retries absorbed the faults)"] = states["completed"]
    f["faulted runs failed with a clear error"] = (
        f"{len(clear)} (" + ", ".join(f"{k} {n}" for k, n in errors.most_common()) + ")")
    f["of which the accountant reads the generic 'erreur inattendue'"] = generic
    f["faulted runs crashed (process killed)"] = states["crashed"]
    f["faulted runs with an unexpected exception or a hang"] = (
        sum(1 for o in outcomes if o["unclear"]))
    f["clean runs that failed"] = sum(1 for o in outcomes if o["clean_error"])
    f["duplicates"] = totals["duplicates"]
    f["missing entries"] = totals["missing"]
    f["unbalanced pieces"] = totals["unbalanced"]
    f["unexpected references in the sheet"] = totals["unexpected"]
    f["store disagreements (pending, unrecorded or extra records)"] = totals["store"]
    f["Anomalies tab rows off the expected list"] = totals["anomalies"]
    spans = sorted(o["faulted_seconds"] for o in outcomes)
    if spans:
        f["faulted run time p50 / max (s)"] = f"{spans[len(spans) // 2]:.2f} / {spans[-1]:.2f}"
    f["workers"] = workers
    f["wall time (s)"] = round(result.seconds, 1)
    f["schedules per second"] = round(len(outcomes) / result.seconds, 2) if result.seconds else 0
    result.target("duplicates: 0", totals["duplicates"] == 0, totals["duplicates"])
    result.target("missing documents: 0", totals["missing"] == 0, totals["missing"])
    result.target("unbalanced pieces: 0", totals["unbalanced"] == 0, totals["unbalanced"])
    if full:
        result.target("at least 1,000 fault schedules", len(outcomes) >= 1000, len(outcomes))
    for o in outcomes:
        if _ok(o):
            continue
        what = []
        if o["unclear"]:
            what.append(f"faulted run raised an unclear error: {o['unclear'].splitlines()[0]}")
        if o["clean_error"]:
            what.append(f"clean run failed: {o['clean_error']}")
        what += o["details"]
        fired_text = "; ".join(o["schedule"][n] for n in o["fired"]) or "none"
        result.fail(f"schedule {o['index']} [{'; '.join(o['schedule'])}] "
                    f"(fired: {fired_text}; faulted run {o['state']}): "
                    f"{' | '.join(what)} — replay: {replay_command(seed, o['index'], store)}")


def replay(seed: int, index: int, progress=print, store: str = "sqlite") -> dict:
    """Run one schedule again, in one worker here, and print what happened."""
    tmp = Path(tempfile.mkdtemp(prefix="faults-replay-"))
    try:
        with open_site(store, tmp) as site:
            snapshot, expected, calls = prepare(tmp, site)
            plan = draw_schedule(seed, index, calls)
            progress(f"schedule {index} of seed {seed}: {'; '.join(map(str, plan))}")
            bench = Bench(snapshot, expected, site)
            try:
                outcome = bench.run(index, plan)
            finally:
                bench.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    progress(f"  fired: {'; '.join(outcome['schedule'][n] for n in outcome['fired']) or 'none'}")
    for key in ("state", "error", "clean_error", "faulted_seconds", "findings"):
        progress(f"  {key}: {outcome[key]}")
    for line in outcome["details"]:
        progress(f"  {line}")
    if outcome["unclear"]:
        progress(outcome["unclear"])
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the full size (1,000 schedules)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--schedules", type=int, help="how many schedules (overrides the size)")
    parser.add_argument("--schedule", type=int, help="replay this one schedule of the seed")
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite",
                        help="the ledger store's database (postgresql: a throwaway server)")
    args = parser.parse_args(argv)
    if args.schedule is not None:
        outcome = replay(args.seed, args.schedule, store=args.store)
        return 0 if _ok(outcome) else 1
    result = campaign(full=args.full, seed=args.seed, schedules=args.schedules,
                      store=args.store)
    print("\n".join(result.lines()))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
