"""Settings from the sheet's Paramètres tab, where the accountant edits them.

Anyone who can edit the spreadsheet can type in this tab, so it may change only what
`SHEET_KEYS` lists (how the books are presented); what the company is (`CONFIG_ONLY`: its
SIREN, its name, the HubSpot rules that create Stripe customers) stays its configuration's.
A value there that differs from the configuration is ignored and said, naming its cell.
"""

from __future__ import annotations

import logging

from backend import spreadsheet
from backend.core.settings import (
    CONFIG_ONLY,
    PARSERS,
    Settings,
    SettingsError,
    from_mapping,
)
from backend.ports import Spreadsheet

log = logging.getLogger(__name__)

VALUE_COLUMN = "B"


def _cell(row: int) -> str:
    """The A1 address of a row's value ("Paramètres!B7"): what the accountant looks for."""
    return f"{spreadsheet.SETTINGS}!{VALUE_COLUMN}{row}"


def settings_from_rows(rows: list[list], base: Settings, notes: list[str] | None = None
                       ) -> Settings:
    """The tab's rows (header first) over `base`, the company's configured settings.

    A refused value raises SettingsError naming its cell; a row that would change what only
    the configuration sets is left out, and said in `notes` when it differs from `base`."""
    values, cells = {}, {}
    for number, row in enumerate(rows[1:], start=2):
        key = str(row[0]).strip() if row and row[0] is not None else ""
        if not key:
            continue
        values[key] = row[1] if len(row) > 1 and row[1] is not None else ""
        cells[key] = _cell(number)
    said = []
    for key in [k for k in values if k in CONFIG_ONLY]:
        raw = values.pop(key)
        if not _same(key, raw, base):
            said.append(f"{cells[key]} : {CONFIG_ONLY[key]} (valeur ignorée : celle de la "
                        "configuration de la société s'applique)")
    for note in said:
        # Logged as a repr: the cell's text is the editor's, never a line of the log of its own.
        log.warning("settings tab: config-only value ignored: %r", note)
    if notes is not None:
        notes.extend(said)
    try:
        return from_mapping(values, base=base)
    except SettingsError as exc:
        where = cells.get(exc.key)
        raise SettingsError(f"{where} : {exc.reason}" if where
                            else f"onglet {spreadsheet.SETTINGS} : {exc}", exc.key) from None


def _same(key: str, raw, base: Settings) -> bool:
    """Whether the tab only repeats the configuration (a tab written before the allow-list)."""
    try:
        return PARSERS[key](raw) == getattr(base, key)
    except SettingsError:
        return False


def load_sheet_settings(sheet: Spreadsheet, base: Settings, notes: list[str] | None = None
                        ) -> Settings:
    """The tab's values over `base`; `base` alone when the sheet has no such tab yet.

    `notes` receives what the tab tried to change and could not (see `settings_from_rows`)."""
    if spreadsheet.SETTINGS not in sheet.tab_titles():
        return base
    rows = sheet.read([spreadsheet.SETTINGS])[spreadsheet.SETTINGS]
    return settings_from_rows(rows, base, notes)
