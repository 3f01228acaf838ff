"""Command line: `python -m backend convert|demo ...`."""

from __future__ import annotations

import argparse
import logging
import sys
from contextlib import contextmanager
from pathlib import Path

from backend.adapters.files import write_atomic
from backend.cli_summary import print_sync, result_summary
from backend.core.settings import SettingsError, from_mapping
from backend.formats.fec import FecError
from backend.services.convert import FORMATS, convert
from backend.settings_file import load_settings
from backend.stripe_files import InputError, read_objects

EXIT_INPUT = 2      # unreadable input or settings: nothing written
EXIT_REFUSED = 3    # the file would be wrong (a FEC failing the DGFiP checks): nothing written
EXIT_SERVICE = 4    # Stripe or Google failed, or SIGTERM stopped the run at a safe point;
                    # the next run takes up where this one stopped
EXIT_BUSY = 5       # another run holds the company's lock
EXIT_INVALID = 6    # validate found problems (listed, and highlighted in the sheet)


def cmd_convert(args: argparse.Namespace) -> int:
    try:
        settings = load_settings(args.settings)
        if args.siren:
            settings = from_mapping({"siren": args.siren}, base=settings)
        objects = read_objects(args.inputs)
    except (InputError, SettingsError) as exc:
        print(f"error: {exc}; nothing written", file=sys.stderr)
        return EXIT_INPUT
    try:
        conversion = convert(objects, settings, args.format)
    except FecError as exc:
        print(f"error: {exc}; nothing written", file=sys.stderr)
        return EXIT_REFUSED
    write_atomic(args.output, conversion.content)
    done = conversion.journaled
    print(f"read {len(args.inputs)} file(s), {done.objects_read} Stripe objects")
    for line in result_summary(done.result):
        print(line)
    if done.new_codes:
        print(f"customer codes generated: {len(done.new_codes)} "
              f"({', '.join(sorted(done.new_codes.values())[:8])}"
              f"{', ...' if len(done.new_codes) > 8 else ''})")
    if conversion.replaced:
        print("characters transliterated for the file's encoding: "
              + " ".join(sorted(conversion.replaced)))
    print(f"wrote {args.format} file: {args.output}")
    return 0


def _connect(args, need_stripe: bool):
    from backend.connections import ConfigError, connect
    try:
        return connect(args, need_stripe)
    except (ConfigError, SettingsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def print_generate(report) -> None:
    print(f"documents read: {report.documents_read}")
    for line in result_summary(report.result):
        print(line)
    print(f"entries written: {len(report.written)}, rows written: {report.rows_written}"
          + (f" (tabs: {', '.join(f'{t} {n}' for t, n in report.tabs.items())})" if report.tabs else ""))
    if report.already_in_sheet:
        print(f"found in the sheet from an interrupted run: {report.already_in_sheet}")
    if not report.written:
        print("nothing new to write")
    print("calls: " + ", ".join(f"{svc} {n}" for svc, n in report.calls.items())
          + f"; time {report.seconds:.2f} s")


@contextmanager
def _stoppable():
    """SIGTERM (a deploy, a container stop) ends the run at its next safe point, recorded
    as interrupted, its lease freed: the process then exits with EXIT_SERVICE."""
    from backend.jobs.shutdown import stop_on_sigterm
    from backend.services.locked import stop_on
    with stop_on_sigterm() as stop, stop_on(stop):
        yield


def cmd_generate(args: argparse.Namespace) -> int:
    from backend.errors import AlreadyRunning, Interrupted, ServiceError
    from backend.progress import TerminalProgress
    from backend.services.generate import generate
    conn = _connect(args, need_stripe=True)
    if conn is None:
        return EXIT_INPUT
    progress = TerminalProgress()   # a rich bar on a terminal, a line per stage otherwise
    try:
        with _stoppable():
            report = generate(conn.stripe, conn.sheet, conn.store, conn.settings, conn.company,
                              trigger="ligne de commande", progress=progress)
    except AlreadyRunning as exc:
        progress.close()
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except ServiceError as exc:
        progress.close()
        print(f"error: {exc}; the next run will take up where this one stopped", file=sys.stderr)
        return EXIT_SERVICE
    except Interrupted as exc:
        progress.close()
        print(f"stopped: {exc}", file=sys.stderr)
        return EXIT_SERVICE
    finally:
        progress.close()    # any other error too: the terminal gets its cursor back
    print_generate(report)
    return 0


def cmd_dedupe(args: argparse.Namespace) -> int:
    from backend.services.sheet_journal import dedupe
    conn = _connect(args, need_stripe=False)
    if conn is None:
        return EXIT_INPUT
    report = dedupe(conn.sheet, conn.settings)
    for piece, rows in sorted(report.removed.items()):
        print(f"removed {rows} duplicate row(s) of {piece}")
    print(f"duplicates removed: {report.rows_removed} row(s) in {len(report.removed)} piece(s)")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from backend.services.sheet_journal import validate
    conn = _connect(args, need_stripe=False)
    if conn is None:
        return EXIT_INPUT
    report = validate(conn.sheet, conn.settings)
    for problem in report.problems:
        print(f"{problem.tab} row {problem.row} ({problem.piece}): {problem.message}")
    print(f"checked {report.pieces} piece(s), {report.lines} line(s): "
          + ("balanced" if report.ok else f"{len(report.problems)} problem(s), rows highlighted"))
    return 0 if report.ok else EXIT_INVALID


def _export_period(args: argparse.Namespace) -> int:
    """`--from`/`--to`: one FEC for the months between, with the legal name."""
    from backend.services.sheet_journal import ExportRefused, export_period
    conn = _connect(args, need_stripe=False)
    if conn is None:
        return EXIT_INPUT
    try:
        export = export_period(conn.sheet, conn.settings, args.first, args.last)
    except (ExportRefused, ValueError, FecError) as exc:
        print(f"error: {exc}; nothing written", file=sys.stderr)
        return EXIT_REFUSED
    fec_file = write_atomic(Path(args.out) / export.fec_name, export.fec)
    print(f"exported {export.pieces} piece(s), {len(export.rows)} line(s) from {args.first} to "
          f"{args.last}: {fec_file}")
    return 0


def _period_arguments(args: argparse.Namespace) -> str | None:
    """What is wrong with --month / --from / --to, said before anything is opened."""
    from backend.services.sheet_journal import MONTH_FORM
    if args.month and (args.first or args.last):
        return "give either --month or --from and --to, not both"
    if not args.month and not (args.first and args.last):
        return "give --month AAAA-MM, or --from AAAA-MM and --to AAAA-MM"
    for option, value in (("--month", args.month), ("--from", args.first), ("--to", args.last)):
        if value and not MONTH_FORM.fullmatch(value):
            return f"{option} {value[:20]!r} is not a month AAAA-MM (2026-10)"
    if args.first and args.first > args.last:
        return (f"--from {args.first} is after --to {args.last} (la période commence après sa "
                "fin)")
    return None


def cmd_export(args: argparse.Namespace) -> int:
    from backend.services.sheet_journal import ExportRefused, export_month
    wrong = _period_arguments(args)
    if wrong:
        print(f"error: {wrong}; nothing written", file=sys.stderr)
        return EXIT_INPUT
    if args.first:
        return _export_period(args)
    conn = _connect(args, need_stripe=False)
    if conn is None:
        return EXIT_INPUT
    try:
        export = export_month(conn.sheet, conn.settings, args.month)
    except (ExportRefused, ValueError, FecError) as exc:
        print(f"error: {exc}; nothing written", file=sys.stderr)
        return EXIT_REFUSED
    out = Path(args.out)
    month_file = write_atomic(out / f"inexweb-{args.month}.txt", export.inexweb)
    fec_file = write_atomic(out / export.fec_name, export.fec)
    print(f"exported {len(export.rows)} line(s) of {args.month}: {month_file}, {fec_file}")
    if export.elsewhere:      # why the sheet holds more lines than the month's files
        from backend.services.month_files import difference_english
        for line in difference_english(args.month, len(export.rows), export.elsewhere):
            print(line)
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    from backend.connections import ConfigError, open_hubspot, open_stripe_catalog
    from backend.errors import AlreadyRunning, Interrupted, ServiceError
    from backend.services.sync import sync
    conn = _connect(args, need_stripe=False)
    if conn is None:
        return EXIT_INPUT
    try:
        hubspot = open_hubspot(args.hubspot_token, args.hubspot_url)
        catalog = open_stripe_catalog(args.stripe_key, args.stripe_url)
        with _stoppable():
            report = sync(hubspot, catalog, conn.store, conn.settings, conn.company,
                          products=not args.customers_only, customers=not args.products_only,
                          dry_run=args.dry_run, sheet=conn.sheet)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except AlreadyRunning as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except ServiceError as exc:
        print(f"error: {exc}; the next sync takes up where this one stopped", file=sys.stderr)
        return EXIT_SERVICE
    except Interrupted as exc:
        print(f"stopped: {exc}", file=sys.stderr)
        return EXIT_SERVICE
    print_sync(report)
    return 0


def cmd_login(args: argparse.Namespace) -> int:
    from backend.services.login import login
    return login(args.client_secrets, port=args.port, open_browser=not args.no_browser)


def cmd_serve(args: argparse.Namespace) -> int:
    from backend.web.preview.__main__ import main as preview
    return preview(["--port", str(args.port)] + (["--month", args.month] if args.month else []))


def cmd_demo(args: argparse.Namespace) -> int:
    from backend.services.demo import run_demo
    return run_demo(Path(args.out), month=args.month)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m backend",
                                  description="Stripe invoices to the sales journal.")
    commands = top.add_subparsers(dest="command", required=True)

    conv = commands.add_parser("convert", help="Stripe objects saved as JSON -> Inexweb or FEC file")
    conv.add_argument("--format", choices=FORMATS, required=True)
    conv.add_argument("--settings", help="settings file (JSON or TOML); design defaults otherwise")
    conv.add_argument("--siren", help="the company's SIREN (9 digits), for the FEC")
    conv.add_argument("--output", required=True, help="file to write")
    conv.add_argument("inputs", nargs="+", metavar="INPUT.json")
    conv.set_defaults(run=cmd_convert)

    from backend.connections import add_arguments
    gen = commands.add_parser("generate", help="new Stripe documents -> entries in the sheet")
    add_arguments(gen, stripe=True)
    gen.set_defaults(run=cmd_generate)
    for name, run, text in (("dedupe", cmd_dedupe, "remove pièces written twice in the sheet"),
                            ("validate", cmd_validate, "check every pièce of the sheet balances")):
        sub = commands.add_parser(name, help=text)
        add_arguments(sub, stripe=False)
        sub.set_defaults(run=run)
    exp = commands.add_parser("export", help="the month's Inexweb file and FEC extract, or the "
                              "FEC of a period (--from, --to), from the sheet")
    add_arguments(exp, stripe=False)
    exp.add_argument("--month", help="AAAA-MM: the Inexweb file and the FEC extract of a month")
    exp.add_argument("--from", dest="first", metavar="AAAA-MM",
                     help="first month of the period's FEC (with --to)")
    exp.add_argument("--to", dest="last", metavar="AAAA-MM",
                     help="last month of the period's FEC, included; its last day names the file")
    exp.add_argument("--out", default=".", help="folder for the files")
    exp.set_defaults(run=cmd_export)
    syn = commands.add_parser("sync", help="HubSpot and Stripe kept in step: products, customers")
    add_arguments(syn, stripe=True, hubspot=True)
    syn.add_argument("--dry-run", action="store_true", help="list what would change, change nothing")
    only = syn.add_mutually_exclusive_group()
    only.add_argument("--products-only", action="store_true")
    only.add_argument("--customers-only", action="store_true")
    syn.set_defaults(run=cmd_sync)
    log = commands.add_parser("login", help="authorize access to your Google Sheets (saves a token)")
    log.add_argument("--client-secrets", required=True, help="OAuth client file (Desktop app)")
    log.add_argument("--port", type=int, default=0)
    log.add_argument("--no-browser", action="store_true", help="print the address instead")
    log.set_defaults(run=cmd_login)

    srv = commands.add_parser("serve", help="local preview: backend, sandboxes, demo company, sidebar")
    srv.add_argument("--port", type=int, default=8080)
    srv.add_argument("--month")
    srv.set_defaults(run=cmd_serve)

    demo = commands.add_parser("demo", help="run the demo company's month through the pipeline")
    demo.add_argument("--out", default="demo-output", help="folder for the files (demo-output)")
    demo.add_argument("--month", default="2026-10", help="month to generate, AAAA-MM")
    demo.set_defaults(run=cmd_demo)
    from backend import cli_check, cli_companies, cli_db
    for module in (cli_check, cli_db, cli_companies):
        module.register(commands)
    return top


def main(argv: list[str] | None = None) -> int:
    from backend.cli_args import glue_values  # a pasted id may start with '-'
    top = parser()
    args = top.parse_args(glue_values(argv, top))
    # The reports are printed; what is logged (warnings and errors) goes to stderr on lines
    # that values from Stripe, HubSpot or a sheet cannot break (backend/logs.py).
    from backend.logs import configure as configure_logs
    configure_logs(logging.WARNING)
    return args.run(args)
