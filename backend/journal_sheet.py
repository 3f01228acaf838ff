"""The Écritures tab(s) as the accountant left them: rows read back by their header names,
with what is wrong on each (text in an amount, both sides filled, no date…).

The sheet's header row is the layout: columns are found by name, so the accountant may move
or add columns. Used by dedupe, validate and export, which all work on what the sheet holds
now, the accountant's corrections included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from backend.core.model import JournalRow
from backend.core.money import parse_cents
from backend.core.settings import Settings
from backend.formats.inexweb import FIXED_COLUMNS

ENTRIES_PREFIX = "Écritures"
REF_COLUMN = "Ref. Pièce"
SHEETS_EPOCH = date(1899, 12, 30)   # day 0 of a spreadsheet's date serial numbers


class LayoutError(ValueError):
    """A tab whose header lacks a column the journal needs: nothing can be read safely."""


@dataclass
class SheetLine:
    tab: str
    index: int                      # 0-based, the header being row 0 (sheet row index + 1)
    row: JournalRow | None          # None when a problem keeps it from being read
    problems: list[str] = field(default_factory=list)   # in French, for the accountant
    written_key: str = ""           # its Ref. Pièce, else its Pièce, as the cells hold them

    @property
    def key(self) -> str:
        """What makes a pièce: its Stripe reference, else its number."""
        return (self.row.ref or self.row.piece) if self.row else ""


def entries_tab_title(settings: Settings, day: date) -> str:
    return f"{ENTRIES_PREFIX} {day:%Y-%m}" if settings.tab_per_month else ENTRIES_PREFIX


def is_entries_tab(title: str) -> bool:
    return title == ENTRIES_PREFIX or title.startswith(ENTRIES_PREFIX + " ")


def column_positions(header: list, settings: Settings, tab: str) -> dict[str, int]:
    names = [str(c).strip() if c is not None else "" for c in header]
    positions = {}
    for name in (*FIXED_COLUMNS, *settings.axis_names):
        if name in names:
            positions[name] = names.index(name)
    missing = [n for n in FIXED_COLUMNS if n not in positions]
    if missing:
        raise LayoutError(f"onglet « {tab} » : colonne(s) introuvable(s) dans l'en-tête : "
                          + ", ".join(f"« {m} »" for m in missing))
    return positions


def to_date(value) -> date | None:
    """A date cell: a real date, a spreadsheet serial number, or text JJ/MM/AAAA or AAAA-MM-JJ."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 1 <= value < 2958466:
        return SHEETS_EPOCH + timedelta(days=int(value))
    text = str(value or "").strip()
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))   # an account typed as a number in the sheet: 706100.0
    return str(value).strip()


def parse_tab(tab: str, rows: list[list], settings: Settings) -> list[SheetLine]:
    """Every non-blank row below the header, read by column name."""
    if not rows:
        return []
    positions = column_positions(rows[0], settings, tab)

    def cell(raw: list, name: str):
        col = positions.get(name)
        return raw[col] if col is not None and col < len(raw) else ""

    lines = []
    for index, raw in enumerate(rows[1:], start=1):
        if all(_text(v) == "" for v in raw):
            continue   # blank rows are the accountant's spacing, not entries
        problems = []
        day = to_date(cell(raw, "Date"))
        if day is None:
            problems.append(f"date illisible : « {_text(cell(raw, 'Date'))} »")
        amounts = {}
        for name in ("Débit", "Crédit"):
            cents = parse_cents(cell(raw, name))
            if cents is None:
                problems.append(f"{name} illisible : « {_text(cell(raw, name))} »")
            elif cents < 0:
                problems.append(f"{name} négatif : {_text(cell(raw, name))}")
            amounts[name] = cents
        debit, credit = amounts["Débit"], amounts["Crédit"]
        if debit is not None and credit is not None and debit >= 0 and credit >= 0:
            if debit and credit:
                problems.append("débit et crédit remplis sur la même ligne")
            elif not debit and not credit:
                problems.append("ni débit ni crédit")
        account = _text(cell(raw, "Numéro du compte"))
        if not account:
            problems.append("numéro de compte vide")
        piece, ref = _text(cell(raw, "Pièce")), _text(cell(raw, REF_COLUMN))
        if not piece and not ref:
            problems.append("pièce sans numéro ni référence")
        row = None
        if day is not None and debit is not None and credit is not None:
            row = JournalRow(day, _text(cell(raw, "Code journal")), piece, ref, account,
                             _text(cell(raw, "Libellé")), max(debit, 0), max(credit, 0),
                             tuple(_text(cell(raw, n)) for n in settings.axis_names))
        lines.append(SheetLine(tab, index, row, problems, ref or piece))
    return lines


NO_ENTRIES_TAB = ("la feuille n'a pas d'onglet « Écritures » (renommé ou supprimé ?) : "
                  "redonnez-lui son nom, ou générez les écritures")


def parse_tabs(tabs: dict[str, list[list]], settings: Settings) -> list[SheetLine]:
    lines: list[SheetLine] = []
    for title, rows in tabs.items():
        lines += parse_tab(title, rows, settings)
    return lines
