"""The accountant's spreadsheet: its tabs, their headers, and what their rows hold.

Shared by the Google Sheets adapter and the local .xlsx workbook. The headers are the
layout: columns are found by their names, so the accountant may add her own columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from backend.core.model import Anomaly, JournalRow
from backend.core.settings import Settings, to_rows
from backend.formats import inexweb
from backend.ports import Spreadsheet, TabSpec

ENTRIES = "Écritures"
ANOMALIES = "Anomalies"
SETTINGS = "Paramètres"
HISTORY = "Historique"

ANOMALY_HEADER = ["Document", "Numéro", "Client", "Motif", "Depuis"]
SETTINGS_HEADER = ["Paramètre", "Valeur", "Description"]
HISTORY_HEADER = ["Date", "Déclencheur", "Action", "Résultat"]


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    trigger: str      # who or what started the run: an email, "déclencheur quotidien", "demo"
    action: str       # in French: "Génération des écritures", ...
    result: str       # in French, one line


def entries_tab(rows: list[JournalRow], settings: Settings) -> tuple[list[str], list[list]]:
    return inexweb.header(settings), [inexweb.sheet_values(r) for r in rows]


def anomalies_tab(anomalies: list[Anomaly], since: dict[str, datetime]
                  ) -> tuple[list[str], list[list]]:
    """`since` maps a document id to when its anomaly was first seen."""
    return ANOMALY_HEADER, [[a.document_id, a.number, a.customer, a.reason,
                             since.get(a.document_id, "")] for a in anomalies]


def settings_tab(settings: Settings) -> tuple[list[str], list[list]]:
    return SETTINGS_HEADER, [list(r) for r in to_rows(settings)]


def history_tab(lines: list[HistoryLine]) -> tuple[list[str], list[list]]:
    return HISTORY_HEADER, [[h.at, h.trigger, h.action, h.result] for h in lines]


HISTORY_SPEC = TabSpec(HISTORY, HISTORY_HEADER, datetime_columns=(0,))


def append_history(sheet: Spreadsheet, trigger: str, action: str, result: str, at: datetime,
                   tab_exists: bool = False) -> None:
    """One line in Historique for a run; the tab is created first when the sheet lacks it
    (`tab_exists` spares that look when the caller has just made sure of it)."""
    if not tab_exists and HISTORY not in sheet.tab_titles():
        sheet.ensure_tabs([HISTORY_SPEC])
    sheet.append(HISTORY, history_tab([HistoryLine(at, trigger, action, result)])[1])
