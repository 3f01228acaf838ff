"""The accountant's spreadsheet: its tabs, their headers, and what their rows hold.

Shared by the Google Sheets adapter and the local .xlsx workbook. The headers are the
layout: columns are found by their names, so the accountant may add her own columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from backend.core.model import Anomaly, JournalRow
from backend.core.settings import Settings, to_rows
from backend.formats import inexweb
from backend.journal_sheet import is_entries_tab
from backend.ports import Spreadsheet, TabSpec

ENTRIES = "Écritures"
ANOMALIES = "Anomalies"
SETTINGS = "Paramètres"
HISTORY = "Historique"

ANOMALY_HEADER = ["Document", "Numéro", "Client", "Motif", "Depuis"]
SETTINGS_HEADER = ["Paramètre", "Valeur", "Description"]
HISTORY_HEADER = ["Date", "Déclencheur", "Action", "Résultat"]

# The zone of a company whose settings say none (Settings.timezone's default).
DEFAULT_ZONE = Settings().timezone

# The tabs in the order the accountant works: the entries (the sheet opens on the first tab),
# what needs her, what was done, then the settings; her own tabs after ours.
TAB_ORDER = (ENTRIES, ANOMALIES, HISTORY, SETTINGS)

# Widths in characters by header name, for what the column usually holds: a new tab of the
# Google Sheet gets them (its content comes later), the workbook widens them to its longest
# value.
WIDTHS = {"Date": 12, "Code journal": 14, "Pièce": 22, "Ref. Pièce": 32,
          "Numéro du compte": 18, "Libellé": 60, "Débit": 14, "Crédit": 14,
          "Document": 30, "Numéro": 20, "Client": 36, "Motif": 80, "Depuis": 18,
          "Paramètre": 28, "Valeur": 60, "Description": 76,
          "Déclencheur": 24, "Action": 32, "Résultat": 90}
DATETIME_WIDTH = 18     # "31/12/2026 23:59" and a margin
OTHER_WIDTH = 16        # a column we do not know: an axis of analysis (its codes), hers
MAX_WIDTH = 100         # longer texts are read in the cell, not across the screen
# Columns whose rare long values (Paramètres' account labels) are read whole by wrapping them
# in their cell, rather than by a column as wide as the longest.
WRAPPED = ("Valeur",)


def local_time(at: datetime, zone: str) -> datetime:
    """`at` as the clock on the accountant's wall shows it in `zone`, without a zone: a sheet
    cell holds a date and time, no zone, and the person reads it as local. The store keeps
    UTC; a time without zone is taken as UTC."""
    if at.tzinfo is None or at.utcoffset() is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def tab_order(titles: list[str]) -> list[str]:
    """`titles` in the accountant's order: Écritures (month tabs newest first, the month she
    is closing), Anomalies, Historique, Paramètres, then any other tab as it was."""
    plain = [t for t in titles if t == ENTRIES]
    months = sorted((t for t in titles if is_entries_tab(t) and t != ENTRIES), reverse=True)
    ours = [t for t in TAB_ORDER[1:] if t in titles]
    others = [t for t in titles if t not in plain and t not in months and t not in ours]
    return plain + months + ours + others


def column_width(title: str, values: list | None = None, is_datetime: bool = False) -> int:
    """Characters a column needs: its usual width, widened to its header and longest value
    (a WRAPPED column keeps its usual width)."""
    if title in WRAPPED:
        values = []
    base = DATETIME_WIDTH if is_datetime else WIDTHS.get(title, OTHER_WIDTH)
    longest = max([len(title) + 4] + [len(_shown(v)) + 2 for v in values or []])
    return min(max(base, longest), MAX_WIDTH)


def _shown(value) -> str:
    """The text a cell shows, for its width: dates and amounts as the formats write them."""
    if isinstance(value, datetime):
        return "00/00/0000 00:00"
    if isinstance(value, date):
        return "00/00/0000"
    if isinstance(value, (float, Decimal)):
        return f"{value:,.2f}"
    return "" if value is None else str(value)


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    trigger: str      # who or what started the run: an email, "déclencheur quotidien", "demo"
    action: str       # in French: "Génération des écritures", ...
    result: str       # in French, one line


def entries_tab(rows: list[JournalRow], settings: Settings) -> tuple[list[str], list[list]]:
    return inexweb.header(settings), [inexweb.sheet_values(r) for r in rows]


def anomalies_tab(anomalies: list[Anomaly], since: dict[str, datetime],
                  zone: str = DEFAULT_ZONE) -> tuple[list[str], list[list]]:
    """`since` maps a document id to when its anomaly was first seen (UTC), shown in `zone`."""
    return ANOMALY_HEADER, [[a.document_id, a.number, a.customer, a.reason,
                             local_time(since[a.document_id], zone)
                             if since.get(a.document_id) else ""] for a in anomalies]


def settings_tab(settings: Settings) -> tuple[list[str], list[list]]:
    return SETTINGS_HEADER, [list(r) for r in to_rows(settings)]


def history_tab(lines: list[HistoryLine], zone: str = DEFAULT_ZONE
                ) -> tuple[list[str], list[list]]:
    """Each line's time (UTC) shown in `zone`, the company's."""
    return HISTORY_HEADER, [[local_time(h.at, zone), h.trigger, h.action, h.result]
                            for h in lines]


HISTORY_SPEC = TabSpec(HISTORY, HISTORY_HEADER, datetime_columns=(0,))


def append_history(sheet: Spreadsheet, trigger: str, action: str, result: str, at: datetime,
                   tab_exists: bool = False, zone: str = DEFAULT_ZONE) -> None:
    """One line in Historique for a run, at `at` (UTC) shown in `zone` (the company's
    Settings.timezone); the tab is created first when the sheet lacks it (`tab_exists` spares
    that look when the caller has just made sure of it)."""
    if not tab_exists and HISTORY not in sheet.tab_titles():
        sheet.ensure_tabs([HISTORY_SPEC])
    sheet.append(HISTORY, history_tab([HistoryLine(at, trigger, action, result)], zone)[1])
