"""The FEC (Fichier des écritures comptables, article A47 A-1 of the LPF).

The 18 columns in their legal order, tab or `|` separated, dates AAAAMMJJ, amounts with a
decimal comma (zero on the unused side), one EcritureNum per pièce numbered in a continuous
sequence in date order. Customer lines carry the collective account (411000) in CompteNum and
the customer's own code in CompAuxNum.

The legal file covers a period (the fiscal year, or the months asked): one numbering over the
whole period, named `<SIREN>FEC<AAAAMMJJ>.txt`, the date being the period's closing date. A
month's file is an extract, numbered from 1: it is named `FEC-extrait-<SIREN>-<AAAA-MM>.txt` so
that no one hands it over as the legal file (joined end to end, the extracts' numbering would
restart each month: the period's file numbers the months as one sequence).
"""

from __future__ import annotations

from datetime import date

from backend.core.model import JournalRow
from backend.core.money import comma
from backend.core.settings import Settings
from backend.formats.cells import as_text
from backend.formats.encoding import encode, single_line

COLUMNS = ("JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib",
           "CompAuxNum", "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit",
           "EcritureLet", "DateLet", "ValidDate", "Montantdevise", "Idevise")
# Columns the product writes as numbers or AAAAMMJJ dates; every other field is text (names,
# labels, references, codes), quoted where a spreadsheet would compute it (see cells.py). The
# FEC rules put no limit on the characters of a text field: the quote keeps it legal.
NUMERIC_COLUMNS = frozenset(COLUMNS.index(name) for name in (
    "EcritureNum", "EcritureDate", "PieceDate", "Debit", "Credit", "DateLet", "ValidDate",
    "Montantdevise"))


class FecError(ValueError):
    """The FEC would not pass the DGFiP's checks: nothing is written."""


def file_name(siren: str, closing: date) -> str:
    """The legal name (A47 A-1 IX), for the file of a whole period only."""
    return f"{siren}FEC{closing:%Y%m%d}.txt"


def extract_name(siren: str, month: str) -> str:
    """A month's extract (`month` AAAA-MM): not the legal pattern, which the validator's
    file-name check refuses."""
    return f"FEC-extrait-{siren}-{month}.txt"


def group_entries(rows: list[JournalRow]) -> list[list[JournalRow]]:
    """Rows grouped by pièce (journal, date, number, reference), in date order.

    Grouping by key rather than by adjacency keeps a pièce whole even if the accountant
    moved its rows apart in the sheet.
    """
    groups: dict[tuple, list[JournalRow]] = {}
    for row in rows:
        groups.setdefault((row.journal, row.date, row.piece, row.ref), []).append(row)
    return sorted(groups.values(), key=lambda g: g[0].date)  # stable: sheet order within a day


def is_customer_account(account: str, settings: Settings) -> bool:
    return account.startswith(settings.customer_code_prefix) and account != settings.customer_account


def fec_records(rows: list[JournalRow], settings: Settings,
                customer_names: dict[str, str] | None = None) -> list[list[str]]:
    names = customer_names or {}
    records = []
    for number, entry in enumerate(group_entries(rows), start=1):
        for row in entry:
            day = f"{row.date:%Y%m%d}"
            if is_customer_account(row.account, settings):
                account, aux, aux_label = (settings.customer_account, row.account,
                                           names.get(row.account) or row.label)
            else:
                account, aux, aux_label = row.account, "", ""
            records.append([
                row.journal, settings.journal_label, str(number), day, account,
                settings.account_label(account), aux, aux_label, row.piece, day, row.label,
                comma(row.debit), comma(row.credit), "", "",
                # Entries are validated when journaled: the validation date is the entry's.
                day, "", ""])
    return records


def fec_file(rows: list[JournalRow], settings: Settings,
             customer_names: dict[str, str] | None = None,
             replaced: set[str] | None = None) -> bytes:
    sep = settings.fec_separator
    lines = [list(COLUMNS)] + fec_records(rows, settings, customer_names)
    return b"".join(
        encode(sep.join(_field(col, cell, sep) for col, cell in enumerate(line)),
               settings.fec_encoding, replaced) + b"\r\n"
        for line in lines)


def _field(column: int, value: str, sep: str) -> str:
    text = single_line(value).replace(sep, " ")
    return text if column in NUMERIC_COLUMNS else as_text(text)
