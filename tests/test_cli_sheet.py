"""The CLI's sheet commands: against the sandbox over HTTP, and on a local .xlsx workbook."""

import argparse
import copy
import re
import threading

import pytest
from openpyxl import load_workbook

from backend.adapters.memory import MemorySpreadsheet, MemoryStripe
from backend.adapters.xlsx_workbook import XlsxSpreadsheet
from backend.cli import EXIT_INVALID, main, parser
from backend.cli_args import glue_values
from backend.core.settings import Settings
from backend.demo import build_demo_company
from backend.errors import AlreadyRunning
from backend.sandbox.local import STRIPE_KEY, LocalSandbox
from backend.sandbox.sheets_api import SheetsSandbox
from backend.services.generate import generate
from backend.store.ledger import LedgerStore


@pytest.fixture(scope="module")
def demo():
    return build_demo_company()


def test_generate_validate_dedupe_export_from_the_command_line(demo, tmp_path, capsys):
    with LocalSandbox() as box:
        box.stripe.load(copy.deepcopy(demo))
        sid = box.sheets.create_spreadsheet("Journal", ["Feuille 1"])
        where = ["--spreadsheet", sid, "--sheets-url", box.sheets_url,
                 "--database", f"sqlite:///{tmp_path / 'ledger.db'}", "--company", "mdc"]
        stripe = ["--stripe-key", STRIPE_KEY, "--stripe-url", box.stripe_url]
        assert main(["generate", *where, *stripe]) == 0
        out = capsys.readouterr().out
        assert "entries written: 498, rows written: 1722" in out
        assert "calls: stripe 9, sheets" in out
        assert main(["generate", *where, *stripe]) == 0
        assert "nothing new to write" in capsys.readouterr().out
        assert main(["validate", *where]) == 0
        assert "checked 498 piece(s), 1722 line(s): balanced" in capsys.readouterr().out
        # The SIREN the FEC needs is the company's configuration (a settings file), never the
        # sheet's: a Paramètres row for it is ignored.
        box.sheet_adapter(sid).append("Paramètres", [["siren", "552100554", ""]])
        settings = tmp_path / "settings.json"
        settings.write_text('{"siren": "918345620"}', encoding="utf-8")
        assert main(["export", *where, "--settings", str(settings), "--month", "2026-10",
                     "--out", str(tmp_path)]) == 0
        assert (tmp_path / "FEC-extrait-918345620-2026-10.txt").exists()
        assert (tmp_path / "inexweb-2026-10.txt").exists()
        capsys.readouterr()
        box.sheet_adapter(sid).append("Écritures", [["01/10/2026", "VT", "X", "", "411X", "", 1, ""]])
        assert main(["validate", *where]) == EXIT_INVALID
        assert "row 1724 (X): pièce déséquilibrée : débit 1,00, crédit 0,00" in capsys.readouterr().out
        assert main(["dedupe", *where]) == 0
        assert "duplicates removed: 0 row(s)" in capsys.readouterr().out


def test_generate_into_a_local_workbook(demo, tmp_path, capsys):
    book = tmp_path / "journal.xlsx"
    store = LedgerStore(f"sqlite:///{tmp_path / 'ledger.db'}")
    store.migrate()
    report = generate(MemoryStripe(copy.deepcopy(demo)), XlsxSpreadsheet(book), store,
                      Settings(), "mdc")
    assert report.rows_written == 1722
    reopened = XlsxSpreadsheet(book)        # what is on disk, read back
    assert len(reopened.tabs["Écritures"]) == 1723
    again = generate(MemoryStripe(copy.deepcopy(demo)), reopened, store, Settings(), "mdc")
    assert again.written == []
    sheet = load_workbook(book)["Écritures"]
    assert sheet.freeze_panes == "A2" and sheet["A2"].number_format == "DD/MM/YYYY"
    assert sheet["G2"].number_format == "#,##0.00"
    assert main(["validate", "--xlsx", str(book), "--database", f"sqlite:///{tmp_path / 'l.db'}"]) == 0


def test_two_runs_at_once_make_one_run(demo, tmp_path):
    """Two starts racing (the daily trigger and a click, or a webhook): one writes, the other
    is told a run is in progress; the sheet holds each entry once."""
    store = LedgerStore(f"sqlite:///{tmp_path / 'ledger.db'}")
    store.migrate()
    sheet = MemorySpreadsheet()
    outcomes, barrier = [], threading.Barrier(2)

    def start():
        barrier.wait()
        try:
            outcomes.append(len(generate(MemoryStripe(copy.deepcopy(demo)), sheet, store,
                                         Settings(), "mdc").written))
        except AlreadyRunning:
            outcomes.append("busy")

    threads = [threading.Thread(target=start) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes, key=str) == [498, "busy"] or outcomes == [498, 0] or outcomes == [0, 498]
    refs = [r[3] for r in sheet.tabs["Écritures"][1:]]
    assert len(refs) == 1722


# --- spreadsheet ids that start with '-' (Google's may: 44 characters of [A-Za-z0-9_-]) -----

DASH_ID = "-WIvseZru6tkQ3mXbL0p_aH7sJc2dKf9gN4yVqE1oRtU"


def commands_taking_a_spreadsheet():
    """Every sub-command of `python -m backend` (nested ones too) that has --spreadsheet."""
    found, pending = {}, [((), parser())]
    while pending:
        path, current = pending.pop()
        for action in current._actions:
            if isinstance(action, argparse._SubParsersAction):
                pending += [((*path, name), sub) for name, sub in action.choices.items()]
            elif "--spreadsheet" in action.option_strings and path:
                found[path] = current
    return found


def required_words(sub) -> list[str]:
    """Values for what the sub-command requires besides --spreadsheet (export's --month)."""
    words = []
    for action in sub._actions:
        if "--spreadsheet" in action.option_strings:
            continue
        if action.required and action.option_strings:
            words += [action.option_strings[0], action.choices[0] if action.choices else "2026-10"]
        elif (not action.option_strings and action.nargs not in ("?", "*", argparse.SUPPRESS)
              and not isinstance(action, argparse._SubParsersAction)):
            words.append(action.choices[0] if action.choices else "x")
    return words


def test_the_sandbox_draws_ids_shaped_like_google_s_the_same_every_run():
    first, second = SheetsSandbox(), SheetsSandbox()
    ids = [first.create_spreadsheet("J") for _ in range(300)]
    assert ids == [second.create_spreadsheet("J") for _ in range(300)]   # seeded
    assert len(set(ids)) == 300
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{44}", sid) for sid in ids)
    assert any(sid.startswith("-") for sid in ids)   # as Google's can: the CLI must take them


@pytest.mark.parametrize("command", sorted(commands_taking_a_spreadsheet()), ids=" ".join)
def test_every_command_takes_an_id_starting_with_a_dash(command):
    top = parser()
    sub = commands_taking_a_spreadsheet()[command]
    for argv in ([*command, "--spreadsheet", DASH_ID, *required_words(sub)],
                 [*command, *required_words(sub), "--spreadsheet", DASH_ID],
                 [*command, f"--spreadsheet={DASH_ID}", *required_words(sub)]):
        args = top.parse_args(glue_values(argv, top))
        assert args.spreadsheet == DASH_ID, argv


def test_a_missing_id_is_still_reported_as_missing(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["validate", "--spreadsheet", "--xlsx", "journal.xlsx"])
    assert stop.value.code == 2
    assert "--spreadsheet: expected one argument" in capsys.readouterr().err


def test_validate_a_sheet_whose_id_starts_with_a_dash(demo, tmp_path, capsys):
    """End to end: the id pasted as it is reaches the Sheets API (the sandbox over HTTP)."""
    with LocalSandbox() as box:
        box.stripe.load(copy.deepcopy(demo))
        sid = box.sheets.create_spreadsheet("Journal", ["Feuille 1"], spreadsheet_id=DASH_ID)
        where = ["--spreadsheet", sid, "--sheets-url", box.sheets_url,
                 "--database", f"sqlite:///{tmp_path / 'ledger.db'}", "--company", "mdc"]
        assert main(["generate", *where, "--stripe-key", STRIPE_KEY,
                     "--stripe-url", box.stripe_url]) == 0
        assert "entries written: 498" in capsys.readouterr().out
        assert main(["validate", *where]) == 0
        assert "checked 498 piece(s), 1722 line(s): balanced" in capsys.readouterr().out
