"""docs/SETTINGS.md and docs/LAYOUTS.md say what the code does.

The pages are written for the product's users, in words; these tests hold their tables to
the code they describe, so that a setting added, a default changed or a column renamed
without its page fails here, naming the difference.
"""

from __future__ import annotations

import json
import re
from dataclasses import fields
from pathlib import Path

from backend import spreadsheet
from backend.core.settings import (
    CONFIG_ONLY,
    SHEET_KEYS,
    Settings,
    from_mapping,
    setting_text,
)
from backend.formats import fec, inexweb
from backend.sheet_settings import settings_from_rows

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_PAGE = ROOT / "docs" / "SETTINGS.md"
LAYOUTS_PAGE = ROOT / "docs" / "LAYOUTS.md"


def table_after(page: Path, heading: str) -> list[list[str]]:
    """The body rows of the first table after `heading` (a whole heading line), cells stripped,
    backticks removed, `\\|` read as `|`."""
    lines = page.read_text(encoding="utf-8").splitlines()
    start = lines.index(heading)
    rows, seen_table = [], False
    for line in lines[start + 1:]:
        if line.startswith("|"):
            seen_table = True
            cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
            rows.append([c.strip().replace("\\|", "|").replace("`", "") for c in cells])
        elif seen_table or line.startswith("#"):
            break
    assert rows, f"no table after {heading!r} in {page.name}"
    _header, rule, *body = rows
    assert set("".join(rule)) <= set("-:"), f"{page.name}: {heading!r} has no header rule"
    return body


def default_text(key: str) -> str:
    """A default as the page writes it: as the Paramètres tab and `--setting` take it."""
    return setting_text(Settings(), key) or "(empty)"


def settings_rows() -> dict[str, list[str]]:
    rows = table_after(SETTINGS_PAGE, "## The keys")
    keys = [r[0] for r in rows]
    assert len(keys) == len(set(keys)), "a key is documented twice"
    return {r[0]: r for r in rows}


def test_every_setting_is_documented_and_no_other():
    documented = set(settings_rows())
    in_code = {f.name for f in fields(Settings)}
    assert documented - in_code == set(), "documented but not a setting"
    assert in_code - documented == set(), "settings missing from docs/SETTINGS.md"


def test_each_settings_default_is_the_codes():
    wrong = {key: (row[1], default_text(key)) for key, row in settings_rows().items()
             if row[1] != default_text(key)}
    assert wrong == {}, "(page, code)"


def test_who_may_change_each_setting_is_the_codes():
    said = {key: row[2] for key, row in settings_rows().items()}
    assert set(said.values()) == {"Paramètres", "configuration only"}
    assert {k for k, who in said.items() if who == "Paramètres"} == set(SHEET_KEYS)
    assert {k for k, who in said.items() if who == "configuration only"} == set(CONFIG_ONLY)


def test_every_setting_is_either_the_sheets_or_the_configurations():
    # What the page's "may be changed in" column relies on: no third kind of setting.
    assert SHEET_KEYS | CONFIG_ONLY.keys() == {f.name for f in fields(Settings)}
    assert not SHEET_KEYS & CONFIG_ONLY.keys()


def first_column(heading: str) -> list[str]:
    return [row[0] for row in table_after(LAYOUTS_PAGE, heading)]


def test_the_tabs_are_listed_in_the_codes_order():
    assert first_column("## The spreadsheet") == list(spreadsheet.TAB_ORDER)


def test_each_tabs_columns_are_the_codes():
    assert first_column("### Écritures")[:len(inexweb.FIXED_COLUMNS)] == list(inexweb.FIXED_COLUMNS)
    assert len(first_column("### Écritures")) == len(inexweb.FIXED_COLUMNS) + 1   # the axes' row
    assert first_column("### Anomalies") == spreadsheet.ANOMALY_HEADER
    assert first_column("### Historique") == spreadsheet.HISTORY_HEADER
    assert first_column("### Paramètres") == spreadsheet.SETTINGS_HEADER


def test_the_fec_columns_are_the_legal_order_the_code_writes():
    assert first_column("### FEC") == list(fec.COLUMNS)


def test_the_example_entry_is_what_the_product_writes():
    """The page's example rows are those of a golden case's Inexweb file, field for field."""
    text = LAYOUTS_PAGE.read_text(encoding="utf-8")
    after = text[text.index("An invoice of 450,00"):]
    example = [[c.strip() for c in line.strip().split("|")[1:-1]]
               for line in after.splitlines() if line.startswith("| 05/10/2026")]
    golden = (ROOT / "tests" / "golden" / "customer_balance" / "expected.inexweb.txt"
              ).read_bytes().decode("cp1252").split("\r\n")
    assert len(example) == 3
    assert example == [line.split("\t") for line in golden[1:4]]


DESIGN_PAGE = ROOT / "docs" / "DESIGN.md"


def contract_fields() -> list[str]:
    """The field names of DESIGN.md's contract table, `axe_analytique_1..3` spelt out."""
    names = []
    for row in table_after(DESIGN_PAGE, "## Contract fields (names others rely on)"):
        for name in re.findall(r"[a-z_0-9.]+", row[1]):
            ranged = re.fullmatch(r"(.+_)(\d)\.\.(\d)", name)
            names += ([f"{ranged[1]}{i}" for i in range(int(ranged[2]), int(ranged[3]) + 1)]
                      if ranged else [name])
    return [n for n in names if n != "or"]


def test_the_contract_fields_are_the_names_the_code_reads_and_writes():
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "backend").rglob("*.py")
                        if not {"sandbox", "demo"} & set(p.relative_to(ROOT).parts))
    names = contract_fields()
    assert {"accounting_code", "hubspot_contact_id", "axe_analytique_3"} <= set(names)

    def used(name: str) -> bool:
        numbered = re.fullmatch(r"(.+_)\d", name)
        return (f'"{name}"' in sources
                or bool(numbered and f'f"{numbered[1]}{{i}}"' in sources))

    assert [n for n in names if not used(n)] == []


def test_the_settings_examples_are_accepted_and_say_the_same():
    """The page's settings file and its Paramètres rows give the same settings."""
    text = SETTINGS_PAGE.read_text(encoding="utf-8")
    as_file = from_mapping(json.loads(re.search(r"```json\n(.*?)```", text, re.DOTALL)[1]))
    rows = table_after(SETTINGS_PAGE, "## Examples")
    as_tab = settings_from_rows([["Paramètre", "Valeur"], *rows], Settings())
    assert as_file == as_tab
    assert as_file.vat_accounts == {"20": "445710"}     # a map replaces the default whole
    assert as_file.axis_names == ("Activité", "Site", "Offre")
