"""`make stress`: the reliability and security campaign of issue 7 at full size, every part
printing its figures and targets.

    python -m stress.run [--quick] [--parts faults,sync_faults,floods,bad_input,intruders]
                         [--seed N] [--json FILE] [--store sqlite|postgresql]

--quick runs each part at the size `make test` uses (tests/test_stress_*.py). --store postgresql
runs the fault schedules (faults, sync_faults) with the ledger store on PostgreSQL, production's
database (a throwaway server, stress/postgres.py); the other parts keep SQLite. The exit code is
0 only if every target of every part was met and no check failed.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import platform
import sys
import time
import traceback

from rich.console import Console
from rich.table import Table
from rich.text import Text

from stress.report import Result

PARTS = {   # part -> (module, what it proves)
    "faults": ("stress.faults", "1. faults over a generation run"),
    "sync_faults": ("stress.sync_faults", "1. faults over the HubSpot–Stripe sync"),
    "floods": ("stress.floods", "2. floods"),
    "bad_input": ("stress.bad_input", "3. bad input"),
    "intruders": ("stress.intruders", "4. intruders and secrets"),
}


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_part(name: str, full: bool, seed: int, store: str = "sqlite") -> Result:
    module, title = PARTS[name]
    started = time.perf_counter()
    try:
        campaign = importlib.import_module(module).campaign
        # The parts that take a store run on the one asked for; the others on SQLite.
        options = {"store": store} if "store" in inspect.signature(campaign).parameters else {}
        result = campaign(full=full, seed=seed, progress=say, **options)
    except Exception:   # noqa: BLE001 - a part that crashes is a failed part, and the others still run
        result = Result(name)
        result.fail(f"the campaign itself failed:\n{traceback.format_exc()}")
    result.seconds = result.seconds or time.perf_counter() - started
    result.part = f"{title} [{name}]"
    return result


def summary(results: list[Result], elapsed: float, full: bool) -> list[str]:
    lines = ["", (f"== summary: {'full size' if full else 'CI size (--quick)'}, "
                  f"Python {platform.python_version()}, whole run {elapsed:.0f} s ==")]
    for result in results:
        met = sum(t.met for t in result.targets)
        lines.append(f"  {'OK  ' if result.ok else 'FAIL'} {result.part}: targets met {met}/"
                     f"{len(result.targets)}, failed checks {len(result.failures)}, "
                     f"{result.seconds:.0f} s")
    return lines


def print_summary(results: list[Result], elapsed: float, full: bool, stream=None) -> None:
    """The summary: a rich table on a terminal, the plain lines of `summary` otherwise (a log,
    CI's output, a pipe)."""
    console = Console(file=stream or sys.stdout, soft_wrap=True)
    if not console.is_terminal:
        print("\n".join(summary(results, elapsed, full)), file=console.file, flush=True)
        return
    table = Table(title=f"summary: {'full size' if full else 'CI size (--quick)'}, Python "
                        f"{platform.python_version()}, whole run {elapsed:.0f} s",
                  title_justify="left")
    for name, justify in (("", "left"), ("part", "left"), ("targets met", "right"),
                          ("failed checks", "right"), ("time", "right")):
        table.add_column(name, justify=justify)
    for result in results:
        met = sum(t.met for t in result.targets)
        table.add_row(Text("OK", style="green") if result.ok else Text("FAIL", style="bold red"),
                      Text(result.part), f"{met}/{len(result.targets)}",
                      str(len(result.failures)), f"{result.seconds:.0f} s")
    console.print()
    console.print(table)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stress.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="the CI size of every part")
    parser.add_argument("--parts", default=",".join(PARTS),
                        help=f"comma-separated, among {', '.join(PARTS)}")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random schedules")
    parser.add_argument("--json", metavar="FILE", help="also write every figure to FILE")
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite",
                        help="the ledger store of the fault schedules (postgresql: a throwaway "
                             "server, Debian's postgresql package)")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.parts.split(",") if n.strip()]
    unknown = [n for n in names if n not in PARTS]
    if unknown:
        parser.error(f"unknown part(s): {', '.join(unknown)}")
    started = time.perf_counter()
    results = []
    for name in names:
        say(f"-- {PARTS[name][1]} ({'CI size' if args.quick else 'full size'})...")
        result = run_part(name, not args.quick, args.seed, args.store)
        print("\n".join(result.lines()), flush=True)
        results.append(result)
    elapsed = time.perf_counter() - started
    print_summary(results, elapsed, not args.quick)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump({"full": not args.quick, "seed": args.seed, "store": args.store,
                       "elapsed": round(elapsed, 1),
                       "python": platform.python_version(),
                       "parts": [r.as_dict() for r in results]}, out, indent=2, ensure_ascii=False)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
