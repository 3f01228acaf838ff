"""`make bench`: the figures of issue 6 in one table, measured on this machine against the
local sandbox with a set latency per call.

    python -m bench.run [--latency 0.05] [--sizes 500,5000,50000] [--quick]
                        [--naive-sample 500] [--parallelism 8] [--rate 80]
                        [--finalizations 500] [--finalization-only]
                        [--sandbox-in-process] [--profile] [--json FILE]

Every measurement runs in a fresh interpreter; the sandbox (Stripe and Sheets on loopback,
sharing one fault plan that counts the calls and adds the latency) runs in a process of its
own unless --sandbox-in-process. Benchmarks print figures: nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time

from bench import core_speed, finalization, generation, hubspot_sync, naive
from bench.isolate import isolated
from bench.machine import load_average, machine
from bench.table import Row, count, duration, megabytes, rate, ratio, render

CORE_TARGET = 20_000
SMALL_RUN = (500, 2.0)            # 500 invoices in under 2 s
LARGE_RUN = (50_000, 20.0, 500)   # 50,000 in under 20 s and under 500 MB
STRIPE_FIXED = 4                  # tax rates, products, credit notes, (events) lists
SHEETS_FIXED = 8                  # a run's Sheets calls whatever the volume (one append)
APPEND_ROWS = 9_000               # rows per append: generate.MAX_APPEND_BYTES (1.5 MB) of them


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency", type=float, default=0.05,
                        help="seconds added by the sandbox to every call (default 0.05)")
    parser.add_argument("--sizes", default=None,
                        help="invoices in the month, comma-separated (default 500,5000,50000; "
                             "--quick: 500,2000)")
    parser.add_argument("--quick", action="store_true",
                        help="a fast smoke run: small sizes, one repetition, naive way on 50")
    parser.add_argument("--naive-sample", type=int, default=None,
                        help="invoices the naive way is measured on (default 500; --quick 50)")
    parser.add_argument("--parallelism", type=int, default=8,
                        help="threads reading Stripe time ranges side by side (default 8)")
    parser.add_argument("--rate", type=float, default=80,
                        help="Stripe requests a second the adapter allows itself (default 80, "
                             "under the live-mode limit of 100)")
    parser.add_argument("--sandbox-in-process", action="store_true",
                        help="run the sandbox inside the measured process (as the tests do)")
    parser.add_argument("--profile", action="store_true",
                        help="also print a cProfile of the core at the largest size")
    parser.add_argument("--json", metavar="FILE", help="also write the raw figures to FILE")
    parser.add_argument("--hubspot-only", action="store_true",
                        help="measure point 4 alone (the HubSpot sync) and print its rows")
    parser.add_argument("--finalizations", type=int, default=None,
                        help="drafts finalized in the finalization-to-sheet burst (default 500; "
                             "--quick 100)")
    parser.add_argument("--finalization-only", action="store_true",
                        help="measure point 5 alone (finalization to sheet) and print its rows")
    parser.add_argument("--render", metavar="FILE",
                        help="print the table of figures saved with --json, measuring nothing")
    args = parser.parse_args(argv)
    default = "500,2000" if args.quick else "500,5000,50000"
    args.sizes = sorted({int(s.replace("_", "")) for s in (args.sizes or default).split(",")})
    if args.naive_sample is None:
        args.naive_sample = 50 if args.quick else 500
    if args.finalizations is None:
        args.finalizations = 100 if args.quick else 500
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.render:
        with open(args.render, encoding="utf-8") as saved:
            print(report(_int_keys(json.load(saved))))
        return 0
    started = time.perf_counter()
    load_before = load_average()
    if args.finalization_only:
        say(f"finalization to sheet, {count(args.finalizations)} drafts, two bursts...")
        fin = isolated(finalization.measure_both, args.finalizations, args.latency,
                       args.sandbox_in_process)
        title = [(f"Benchmarks (issues 6 and 14), point 5 alone: sandbox latency "
                  f"{args.latency * 1000:.0f} ms per call; whole run "
                  f"{duration(time.perf_counter() - started)}")]
        column = [args.finalizations]
        print(render(title, column, finalization.rows(fin, column), finalization.NOTES))
        if args.json:
            with open(args.json, "w", encoding="utf-8") as out:
                json.dump({"args": vars(args), "finalization": fin}, out, indent=2, default=str)
        return 0
    if args.hubspot_only:
        say("4/4 HubSpot sync, 2,000 companies and 50 products, two runs...")
        hub = isolated(hubspot_sync.measure_sync, args.latency, args.sandbox_in_process)
        sizes = args.sizes[:1]
        rows = hubspot_rows(hub, sizes)
        title = [f"Benchmarks (issue 6), point 4 alone: sandbox latency {args.latency * 1000:.0f} "
                 f"ms per call, LocalSandbox "
                 f"{'in the measured process' if args.sandbox_in_process else 'in its own process'}; "
                 f"whole run {duration(time.perf_counter() - started)}"]
        print(render(title, sizes, rows, HUBSPOT_NOTES))
        if args.json:
            with open(args.json, "w", encoding="utf-8") as out:
                json.dump({"args": vars(args), "hubspot": hub}, out, indent=2, default=str)
        return 0

    say(f"1/4 core alone: {', '.join(count(n) for n in args.sizes)} invoices...")
    core = isolated(core_speed.measure_core, args.sizes, 1 if args.quick else 3, args.profile)
    ours = {}
    for size in args.sizes:
        say(f"2/4 daily generation, {count(size)} invoices...")
        ours[size] = isolated(generation.measure_generation, size, args.latency,
                              args.parallelism, args.rate, args.sandbox_in_process)
    say(f"3/4 the naive way, {count(args.naive_sample)} invoices measured...")
    slow = isolated(naive.measure_naive, args.naive_sample, args.latency)
    say("4/4 HubSpot sync, 2,000 companies and 50 products, two runs...")
    hub = isolated(hubspot_sync.measure_sync, args.latency, args.sandbox_in_process)
    say(f"then finalization to sheet, {count(args.finalizations)} drafts, two bursts...")
    fin = isolated(finalization.measure_both, args.finalizations, args.latency,
                   args.sandbox_in_process)
    elapsed = time.perf_counter() - started

    results = {"machine": machine(), "args": {k: v for k, v in vars(args).items()},
               "load_average": {"before": load_before, "after": load_average()},
               "elapsed": elapsed, "core": core, "ours": ours, "naive": slow, "hubspot": hub,
               "finalization": fin}
    print(report(results))
    if args.profile and "profile" in core:
        print("\nProfile of the core (journal_documents, largest size):\n" + core["profile"])
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(results, out, indent=2, default=str)
    return 0


def report(results: dict) -> str:
    args, core, ours, slow = (results["args"], results["core"], results["ours"],
                              results["naive"])
    sizes = args["sizes"]
    m = results["machine"]
    where = "in the measured process" if args["sandbox_in_process"] else "in its own process"
    title = [
        f"Benchmarks (issue 6): sandbox latency {args['latency'] * 1000:.0f} ms per call, "
        f"LocalSandbox {where}; Stripe read in time ranges by {args['parallelism']} threads, "
        f"at most {args['rate']:.0f} requests/s",
        f"Machine: {m['cpus']} CPUs, {m['cpu']}, {m['memory']}, Python {m['python']} "
        f"({m['system']}); load average {results['load_average']['before']} before, "
        f"{results['load_average']['after']} after; whole run {duration(results['elapsed'])}",
    ]
    rows: list[Row] = []
    largest = max(sizes)

    # 1. core
    rows.append(Row(f"1. Core alone, one core: journal_documents on prepared dicts, "
                    f"best of {core['repeat']} (no JSON, no I/O)", section=True))
    per_size = core["sizes"]
    top = per_size[largest]["per_second"] if largest in per_size else 0
    rows.append(Row("invoices converted per second", [rate(per_size[n]["per_second"]) for n in sizes],
                    f">= {CORE_TARGET:,}/s", _met(top >= CORE_TARGET, top, CORE_TARGET, "/s")))
    rows.append(Row("  time in the cyclic GC (of the best run)",
                    [f"{per_size[n]['gc_seconds'] / per_size[n]['seconds'] * 100:.0f} %"
                     for n in sizes]))
    rows.append(Row("  same, the prepared dicts frozen out of the GC",
                    [rate(per_size[n]["frozen_per_second"]) for n in sizes]))
    rows.append(Row(f"  journal_objects (catalog and codes too), N = {count(core['objects']['size'])}",
                    [""] * (len(sizes) - 1) + [rate(core["objects"]["per_second"])]))

    # 2. ours
    rows.append(Row("2. Daily generation, ours: generate() with StripeSourceAdapter and "
                    "GoogleSheetsAdapter, SQLite ledger, a first run of the month", section=True))
    stripe_ok = []
    cells, extra_cells = [], []
    for n in sizes:
        r = ours[n]
        base = math.ceil(n / 100)
        extra = r["calls"]["stripe"] - base - r["lines_calls"]
        stripe_ok.append(extra <= STRIPE_FIXED + r["max_ranges"])
        cells.append(count(r["calls"]["stripe"]))
        extra_cells.append(f"{base:,}+{extra}+{r['lines_calls']}")
    rows.append(Row("Stripe calls (counted by the sandbox)", cells,
                    "<= ceil(N/100) + small constant",
                    "yes, plus lines calls (*)" if all(stripe_ok) else "no"))
    rows.append(Row("  = ceil(N/100) + lists, range ends + lines calls", extra_cells,
                    f"lists, range ends <= {STRIPE_FIXED} + {ours[sizes[0]]['max_ranges']}"))
    sheets_ok = all(ours[n]["calls"]["sheets"]
                    <= SHEETS_FIXED + math.ceil(ours[n]["rows"] / APPEND_ROWS) - 1 for n in sizes)
    rows.append(Row("Sheets calls (counted by the sandbox)",
                    [count(ours[n]["calls"]["sheets"]) for n in sizes],
                    f"small constant; +1 per {APPEND_ROWS:,} rows", "yes" if sheets_ok else "no"))
    rows.append(Row("wall time of generate()", [duration(ours[n]["wall"]) for n in sizes],
                    _wall_target(sizes), _wall_met(ours)))
    for label, key in (("reading Stripe", "stripe"), ("Sheets calls", "sheets"),
                       ("ledger store (SQLite)", "store"), ("core, catalog, rows (the rest)", "rest")):
        rows.append(Row(f"  {label}", [duration(ours[n]["phases"][key]) for n in sizes]))
    rows.append(Row("  cyclic GC pauses, within the above",
                    [duration(ours[n]["gc_seconds"]) for n in sizes]))
    mem_n = LARGE_RUN[0]
    mem_ok = ours[mem_n]["peak_mb"] < LARGE_RUN[2] if mem_n in ours else None
    rows.append(Row("peak memory (RSS high-water mark above start)",
                    [megabytes(ours[n]["peak_mb"]) for n in sizes],
                    f"< {LARGE_RUN[2]} MB at {count(mem_n)}",
                    "n/a" if mem_ok is None else _met(mem_ok, ours[mem_n]["peak_mb"],
                                                      LARGE_RUN[2], " MB", lower=True)))
    rows.append(Row("entries written (rows; all found in the sheet)",
                    [f"{count(ours[n]['entries'])} ({count(ours[n]['rows'])}"
                     f"{'' if ours[n]['rows_in_sheet'] == ours[n]['rows'] else ' MISMATCH'})"
                     for n in sizes]))

    # 3. naive
    sample = slow["month"]
    rows.append(Row(f"3. The naive way: per finalized invoice, retrieve it, its customer and each "
                    f"line's product, one Sheets append; the month of {count(sample)} measured",
                    section=True))
    how = ["measured" if n == sample else "extrapolated" for n in sizes]
    rows.append(Row("figures below are", how))
    per_invoice = slow["per_invoice"]
    stripe_per = (slow["calls"]["stripe"] - 1) / sample       # the tax rates list is once
    setup_sheets = slow["calls"]["sheets"] - slow["appends"]
    naive_wall = {n: slow["wall"] if n == sample else per_invoice * n for n in sizes}
    appends = {n: slow["appends"] / sample * n for n in sizes}
    rows.append(Row("Stripe calls", [count(slow["calls"]["stripe"]) if n == sample
                                     else count(1 + stripe_per * n) for n in sizes]))
    rows.append(Row("Sheets calls", [count(slow["calls"]["sheets"]) if n == sample
                                     else count(setup_sheets + appends[n])
                                     for n in sizes]))
    rows.append(Row("wall time, no write quota", [duration(naive_wall[n]) for n in sizes]))
    floor = {n: max(naive_wall[n], naive.quota_floor_seconds(appends[n])) for n in sizes}
    rows.append(Row(f"at least, under Google's {naive.GOOGLE_WRITES_PER_MINUTE} writes/min/user",
                    [duration(floor[n]) for n in sizes], "appends / 60 per minute"))
    rows.append(Row("ratio naive / ours, wall time",
                    [ratio(naive_wall[n] / ours[n]["wall"]) for n in sizes]))
    rows.append(Row("ratio naive / ours, under the write quota",
                    [ratio(floor[n] / ours[n]["wall"]) for n in sizes]))
    quota = slow.get("quota")
    if quota:
        refused = (f"#{quota['refused_at']}: HTTP {quota['status']}" if quota["refused_at"]
                   else "none refused")
        rows.append(Row("quota check: first append refused in a minute",
                        [refused] + [""] * (len(sizes) - 1),
                        f"sandbox set to {quota['per_minute']} writes/min"))

    # 4. HubSpot
    if results.get("hubspot"):
        rows += hubspot_rows(results["hubspot"], sizes)
    if results.get("finalization"):
        rows += finalization.rows(results["finalization"], sizes)

    mem_method = next(iter(ours.values()))["memory_method"]
    notes = [
        "(*) Lines calls: one per invoice with more than ten lines (its lines endpoint; Stripe "
        "has no batch for it): 1 in 500 of the demo month's invoices.",
        f"Memory: {mem_method}, of the process running generate() (the sandbox's memory is "
        "not in it unless --sandbox-in-process).",
        "Wall time: the generate() call only (the month is loaded into the sandbox before). "
        "GC pauses: gc.callbacks.",
        f"Naive way: {duration(per_invoice)} per invoice of the month, measured on the month "
        f"of {count(sample)} ({count(slow['invoices'])} finalized, {count(slow['appends'])} "
        "appends) at this latency; larger months extrapolated linearly. "
        "Under the quota: max(wall time, appends / 60 per minute).",
    ]
    if results.get("hubspot"):
        notes += HUBSPOT_NOTES
    if results.get("finalization"):
        notes += finalization.NOTES
    if quota and quota["refused_at"]:
        notes.append(f"Quota check: with write_quota_per_minute={quota['per_minute']} the Sheets "
                     f"sandbox refused append #{quota['refused_at']} of the minute: "
                     f"{quota['message']}")
    return render(title, sizes, rows, notes)


HUBSPOT_NOTES = [
    "(**) Point 4 is not per month size: its figures are in the first column. The account: "
    "2,000 HubSpot companies each with an accepted quote or a won deal (1,000 already linked "
    "to a Stripe customer with a code, 1,000 new), 50 products (45 linked of which 3 repriced "
    "in HubSpot, 5 new); a SQLite ledger store; second run right after the first, nothing "
    "changed. HubSpot and Stripe calls: as the sync counts them (SyncReport.calls, equal to "
    "the sandbox's count); Stripe writes: the POSTs in the sandbox's fault plan. Stripe has no "
    "batch create: one POST per new customer (the sync makes three at a time).",
]


def hubspot_rows(h: dict, sizes) -> list[Row]:
    """Point 4: the HubSpot sync, first run (creations) and second run (nothing to change)."""
    first, second = h["runs"]
    pad = [""] * (len(sizes) - 1)
    records = h["companies"] + h["products"]
    rows = [Row(f"4. HubSpot sync: {count(h['companies'])} HubSpot companies "
                f"({count(h['linked'])} linked, {count(h['companies'] - h['linked'])} new) and "
                f"{h['products']} products ({h['new_products']} new, {h['repriced']} repriced) "
                "into Stripe, sync() with HubSpotAdapter and StripeCatalogAdapter (**)",
                section=True)]
    # Per record would be a call under /objects/{type}/{id}: every call must be a batch of up
    # to 100 (or a search page of 200).
    per_100 = not any("/objects/" in k and "{id}" in k and "batch" not in k
                      for r in h["runs"] for k in r["sandbox"]["hubspot_by_endpoint"])
    for name, r in (("first run (creations)", first), ("second run (nothing changed)", second)):
        rows.append(Row(f"{name}: HubSpot calls", [count(r["calls"]["hubspot"])] + pad,
                        f"batches of 100, no per-record call ({count(records)} records)",
                        "yes" if per_100 else "no: per-record calls"))
        rows.append(Row("  Stripe calls / Stripe writes (POST)",
                        [f"{count(r['calls']['stripe'])} / {count(r['sandbox']['stripe_writes'])}"]
                        + pad, *(("almost no write", "yes" if r["sandbox"]["stripe_writes"] <= 5
                                  else f"no: {r['sandbox']['stripe_writes']} writes")
                                 if r is second else ("", ""))))
        rows.append(Row("  HubSpot writes (batch updates)",
                        [count(r["sandbox"]["hubspot_writes"])] + pad))
        rows.append(Row("  created / updated / linked / problems",
                        [f"{r['created']:,} / {r['updated']} / {r['linked']} / {r['problems']}"]
                        + pad))
        rows.append(Row("  wall time of sync()", [duration(r["wall"])] + pad))
    return rows


def say(text: str) -> None:
    """Progress, on stderr: the table alone goes to stdout."""
    print(text, file=sys.stderr, flush=True)


def _int_keys(results: dict) -> dict:
    """Sizes are JSON object keys, hence strings, once saved."""
    results["core"]["sizes"] = {int(k): v for k, v in results["core"]["sizes"].items()}
    results["ours"] = {int(k): v for k, v in results["ours"].items()}
    return results


def _met(ok: bool, value: float, target: float, unit: str, lower: bool = False) -> str:
    if ok:
        return "yes"
    gap = (value - target) if lower else (target - value)
    return f"no: {gap:,.0f}{unit} {'over' if lower else 'short'}"


def _wall_target(sizes) -> str:
    return f"< {SMALL_RUN[1]:.0f} s at {count(SMALL_RUN[0])}, < {LARGE_RUN[1]:.0f} s at {count(LARGE_RUN[0])}"


def _wall_met(ours: dict) -> str:
    verdicts = []
    for n, limit in ((SMALL_RUN[0], SMALL_RUN[1]), (LARGE_RUN[0], LARGE_RUN[1])):
        if n in ours:
            wall = ours[n]["wall"]
            verdicts.append(f"{count(n)}: yes" if wall < limit
                            else f"{count(n)}: no, {wall - limit:.1f} s over")
    return "; ".join(verdicts) or "n/a"


if __name__ == "__main__":
    sys.exit(main())
