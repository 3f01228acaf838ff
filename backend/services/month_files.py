"""What a month's files hold, said plainly: the sheet keeps every entry (one tab, or one per
month), and the lines written by the month's run are not all dated in the month (an invoice
finalized after the month's end, a reversal dated at `voided_at`, a credit note at `created`,
each in the company's time zone). The month's Inexweb file and FEC take the lines dated in the
month only; the month's workbook does the same: its Écritures hold the month's lines, and the
lines dated in other months go to a tab of their own, "Autres mois", each saying with which
month's export it goes. The summaries give the counts and that reason."""

from __future__ import annotations

from backend.adapters.xlsx_workbook import OTHER_MONTHS
from backend.core.settings import Settings
from backend.journal_sheet import is_entries_tab, parse_tabs
from backend.services.sheet_journal import french_month
from backend.spreadsheet import ENTRIES

EXPORTED_WITH = "Exportée avec"


def split_month(tabs: dict[str, list[list]], settings: Settings, month: str
                ) -> dict[str, list[list]]:
    """`tabs` (the sheet's, header rows included) for the month's workbook: the entries tabs
    keep their header and the lines dated in `month` (and the lines too damaged to be dated,
    for the accountant to see where they are); the lines dated in other months go, in the
    sheet's order, to OTHER_MONTHS (the entries header and EXPORTED_WITH: "novembre 2026"),
    which the workbook places right after the entries tabs. A month tab left with no line is dropped; the other
    tabs are kept as they are."""
    entries = {title: rows for title, rows in tabs.items() if is_entries_tab(title)}
    elsewhere: dict[tuple[str, int], str] = {}
    for line in parse_tabs(entries, settings):
        if line.row is not None and f"{line.row.date:%Y-%m}" != month:
            elsewhere[(line.tab, line.index)] = f"{line.row.date:%Y-%m}"
    out: dict[str, list[list]] = {}
    moved: list[list] = []
    header: list = []
    for title, rows in tabs.items():
        if title not in entries or not rows:
            out[title] = rows
            continue
        header = header or list(rows[0])
        kept = [rows[0]]
        for index, row in enumerate(rows[1:], start=1):
            other = elsewhere.get((title, index))
            if other is None:
                kept.append(row)
            else:
                cells = list(row) + [""] * (len(rows[0]) - len(row))
                moved.append(cells + [french_month(other)])
        if len(kept) > 1 or title == ENTRIES:
            out[title] = kept
    if moved:
        out[OTHER_MONTHS] = [header + [EXPORTED_WITH]] + moved
    return out


def difference_english(month: str, exported: int, elsewhere: dict[str, int],
                       workbook: bool = False) -> list[str]:
    """Why the month's files hold fewer lines than the sheet, for the terminal (English, like
    the rest of the CLI's output): the counts, then one line per other month (`workbook`: the
    month's workbook was written, name its tab)."""
    if not elsewhere:
        return [f"month {month} exported from the sheet: {exported} lines (every line it holds)"]
    total = exported + sum(elsewhere.values())
    tab = f" (workbook tab \"{OTHER_MONTHS}\")" if workbook else ""
    head = (f"month {month} exported from the sheet: {exported} of its {total} lines; the "
            "others are dated (in the company's time zone) in another month:")
    return [head] + [f"  {count} line(s) dated {other} ({french_month(other)}): exported with "
                     f"{other}{tab}" for other, count in elsewhere.items()]
