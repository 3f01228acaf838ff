"""The invariants every case is held to, whatever its category.

- No cell of any tab of any spreadsheet the sandbox holds is a formula: the Sheets sandbox
  keeps a formula apart from text (it stores what USER_ENTERED makes of "=..." as a formula,
  shown in `export_json` under "formulas"), so a name that reached a cell as a formula is seen.
- Nothing lost: each expected entry is in the Écritures tabs exactly once (as many rows with
  its Ref. Pièce as it has lines; a doubled entry counts as lost too: it is wrong either way).
- Nothing wrong written: no rows with a reference nobody expects; the ledger store records
  exactly the references the sheet holds, every one as written (no half-written state).
"""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

from backend.core.settings import Settings, from_mapping
from backend.demo import DEMO_COMPANY
from backend.journal_sheet import REF_COLUMN, is_entries_tab
from backend.sandbox.a1 import format_range
from backend.sandbox.sheets_values import Formula
from backend.services.convert import journal_objects
from backend.store.ledger import LedgerStore


def scratch_dir(prefix: str) -> tempfile.TemporaryDirectory:
    """A directory for the ledger store: in memory where the machine has /dev/shm (SQLite
    syncs every commit to disk, a tenth of a second per case otherwise)."""
    shm = Path("/dev/shm")
    return tempfile.TemporaryDirectory(prefix=prefix, dir=shm if shm.is_dir() else None)


def demo_settings() -> Settings:
    """The demo company's settings, as stress.world configures it."""
    return from_mapping({"company_name": DEMO_COMPANY["name"], "siren": DEMO_COMPANY["siren"],
                         "axis_names": ";".join(DEMO_COMPANY["axis_names"])})


def formula_cells(sheets) -> list[str]:
    """Every formula cell of every spreadsheet of a SheetsSandbox, as "id/tab!A1: =...".

    What `export_json` lists under "formulas", read straight from the sandbox's cells (the
    rendering `export_json` also does costs a quarter of a second per case); the detector
    test checks that both agree."""
    found = []
    with sheets.lock:
        for spreadsheet_id, spreadsheet in sheets.spreadsheets.items():
            for tab in spreadsheet.sheets:
                found += [f"{spreadsheet_id}/{tab.title}!{format_range(None, r, r + 1, c, c + 1)}: "
                          f"{value.text[:60]}"
                          for r, row in enumerate(tab.rows) for c, value in enumerate(row)
                          if isinstance(value, Formula)]
    return found


def formula_cells_exported(sheets) -> list[str]:
    """The same, through `export_json` (the way tests/test_pipeline_http.py looks)."""
    found = []
    for spreadsheet_id in list(sheets.spreadsheets):
        for tab in sheets.export_json(spreadsheet_id)["sheets"]:
            title = tab["properties"]["title"]
            found += [f"{spreadsheet_id}/{title}!{a1}: {text[:60]}"
                      for a1, text in tab.get("formulas", {}).items()]
    return found


def read_tabs(sheets, spreadsheet_id: str) -> dict[str, list[list]]:
    """Every tab of a sandbox spreadsheet, as values.get renders it (unformatted)."""
    return {title: sheets.values(spreadsheet_id, title) for title in sheets.tabs(spreadsheet_id)}


def expected_entries(objects: list[dict], settings: Settings) -> dict[str, int]:
    """Ref. Pièce -> number of rows, for the entries the rules make of `objects`."""
    return {e.ref: len(e.lines) for e in journal_objects(objects, settings).result.entries}


def sheet_refs(tabs: dict[str, list[list]]) -> Counter:
    """Ref. Pièce -> rows holding it, over every Écritures tab."""
    counts: Counter = Counter()
    for title, rows in tabs.items():
        if not is_entries_tab(title) or not rows:
            continue
        header = [str(c).strip() for c in rows[0]]
        if REF_COLUMN not in header:
            continue
        col = header.index(REF_COLUMN)
        counts.update(str(r[col]).strip() for r in rows[1:] if col < len(r) and str(r[col]).strip())
    return counts


def lost_documents(expected: dict[str, int], in_sheet: Counter) -> list[str]:
    """Expected entries not in the sheet exactly once (missing, partial or doubled)."""
    return [f"{ref}: {in_sheet.get(ref, 0)} row(s) in the sheet, {rows} expected"
            for ref, rows in expected.items() if in_sheet.get(ref, 0) != rows]


def unexpected_rows(allowed: set[str], in_sheet: Counter) -> list[str]:
    return [f"{ref}: {n} row(s) nobody expects" for ref, n in in_sheet.items() if ref not in allowed]


def store_disagreements(store: LedgerStore, company: str, in_sheet: Counter) -> list[str]:
    """The ledger store must record as written exactly the entries the sheet holds."""
    records = store.journal(company)
    problems = [f"{ref}: recorded {r.status}" for ref, r in records.items() if r.status != "written"]
    problems += [f"{ref}: in the sheet, not recorded" for ref in set(in_sheet) - set(records)]
    problems += [f"{ref}: recorded written, not in the sheet" for ref in set(records) - set(in_sheet)]
    return problems
