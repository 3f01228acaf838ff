"""Command line: `python -m backend convert|demo ...`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from backend.adapters.files import write_atomic
from backend.cli_summary import result_summary
from backend.core.settings import SettingsError, from_mapping
from backend.formats.fec import FecError
from backend.services.convert import FORMATS, convert
from backend.settings_file import load_settings
from backend.stripe_files import InputError, read_objects

EXIT_INPUT = 2      # unreadable input or settings: nothing written
EXIT_REFUSED = 3    # the file would be wrong (a FEC failing the DGFiP checks): nothing written


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

    demo = commands.add_parser("demo", help="run the demo company's month through the pipeline")
    demo.add_argument("--out", default="demo-output", help="folder for the files (demo-output)")
    demo.add_argument("--month", default="2026-10", help="month to generate, AAAA-MM")
    demo.set_defaults(run=cmd_demo)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.run(args)
