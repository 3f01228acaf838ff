"""Settings from the sheet's Paramètres tab, where the accountant edits them."""

from __future__ import annotations

from backend import spreadsheet
from backend.core.settings import Settings, SettingsError, from_mapping
from backend.ports import Spreadsheet


def settings_from_rows(rows: list[list], base: Settings) -> Settings:
    values = {}
    for row in rows[1:]:
        key = str(row[0]).strip() if row and row[0] is not None else ""
        if not key:
            continue
        values[key] = row[1] if len(row) > 1 and row[1] is not None else ""
    try:
        return from_mapping(values, base=base)
    except SettingsError as exc:
        raise SettingsError(f"onglet {spreadsheet.SETTINGS} : {exc}") from exc


def load_sheet_settings(sheet: Spreadsheet, base: Settings) -> Settings:
    """The tab's values over `base`; `base` alone when the sheet has no such tab yet."""
    if spreadsheet.SETTINGS not in sheet.tab_titles():
        return base
    rows = sheet.read([spreadsheet.SETTINGS])[spreadsheet.SETTINGS]
    return settings_from_rows(rows, base)
