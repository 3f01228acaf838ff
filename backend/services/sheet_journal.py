"""Dedupe, validate and export: what the accountant runs on the sheet as it is now."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from backend import spreadsheet
from backend.core.model import JournalRow
from backend.core.money import comma
from backend.core.settings import Settings
from backend.formats import fec, inexweb
from backend.journal_sheet import (
    NO_ENTRIES_TAB,
    LayoutError,
    SheetLine,
    is_entries_tab,
    parse_tabs,
)
from backend.ports import Spreadsheet
from backend.services.convert import fec_checked, month_end


def _entries(sheet: Spreadsheet, required: bool = True) -> dict[str, list[list]]:
    """The entries tabs. `required`: a sheet without one (renamed, deleted) is refused rather
    than found "balanced, 0 pièce"."""
    titles = [t for t in sheet.tab_titles() if is_entries_tab(t)]
    if not titles and required:
        raise LayoutError(NO_ENTRIES_TAB)
    return sheet.read(titles) if titles else {}


def _history(sheet: Spreadsheet, trigger: str, action: str, result: str, now: datetime | None,
             zone: str = spreadsheet.DEFAULT_ZONE) -> None:
    """A line in Historique, its time in `zone` (the company's Settings.timezone)."""
    spreadsheet.append_history(sheet, trigger, action, result, now or datetime.now(timezone.utc),
                               zone=zone)


# --- dedupe ---------------------------------------------------------------------------------

@dataclass
class DedupeReport:
    removed: dict[str, int] = field(default_factory=dict)     # pièce -> rows removed
    rows_removed: int = 0

    def french(self) -> str:
        if not self.removed:
            return "Aucun doublon"
        return (f"{len(self.removed)} pièce(s) en double, {self.rows_removed} ligne(s) supprimée(s) : "
                + ", ".join(sorted(self.removed)[:20]) + (" …" if len(self.removed) > 20 else ""))


def _cells(raw: list) -> tuple:
    return tuple("" if v is None else str(v).strip() for v in raw)


def find_duplicates(tabs: dict[str, list[list]], settings: Settings) -> dict[str, dict[str, list[int]]]:
    """Per pièce, the extra copies' row indexes per tab.

    A pièce is written n times when each of its distinct lines appears a multiple of n times
    (n being the greatest common divisor of the counts); the first copies are kept. A pièce
    with only some lines repeated is not a copy: balance validation will point at it.
    """
    occurrences: dict[str, dict[tuple, list[tuple[str, int]]]] = defaultdict(lambda: defaultdict(list))
    for line in parse_tabs(tabs, settings):
        if line.row is None:
            continue
        raw = tabs[line.tab][line.index]
        occurrences[line.key][_cells(raw)].append((line.tab, line.index))
    extra: dict[str, dict[str, list[int]]] = {}
    for key, lines in occurrences.items():
        copies = math.gcd(*(len(places) for places in lines.values()))
        if copies < 2:
            continue
        for places in lines.values():
            keep = len(places) // copies
            for tab, index in places[keep:]:
                extra.setdefault(key, {}).setdefault(tab, []).append(index)
    return extra


def dedupe(sheet: Spreadsheet, settings: Settings, trigger: str = "ligne de commande",
           now: datetime | None = None) -> DedupeReport:
    tabs = _entries(sheet)
    extra = find_duplicates(tabs, settings)
    per_tab: dict[str, list[int]] = defaultdict(list)
    report = DedupeReport()
    for key, places in extra.items():
        report.removed[key] = sum(len(i) for i in places.values())
        for tab, indexes in places.items():
            per_tab[tab] += indexes
    for tab, indexes in per_tab.items():
        sheet.delete_rows(tab, sorted(indexes))
    report.rows_removed = sum(report.removed.values())
    _history(sheet, trigger, "Suppression des doublons", report.french(), now,
             settings.timezone)
    return report


# --- validate -------------------------------------------------------------------------------

@dataclass
class LineProblem:
    tab: str
    row: int            # the sheet's row number, as the accountant sees it (1 = header)
    piece: str
    message: str        # French


@dataclass
class ValidateReport:
    pieces: int = 0
    lines: int = 0
    problems: list[LineProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def french(self) -> str:
        if self.ok:
            return f"Journal équilibré : {self.pieces} pièce(s), {self.lines} ligne(s) vérifiées"
        pieces = {p.piece for p in self.problems}
        listed = " ; ".join(f"{p.tab} ligne {p.row} ({p.piece}) : {p.message}"
                            for p in self.problems[:5])
        return (f"{len(self.problems)} problème(s) sur {len(pieces)} pièce(s) "
                f"({self.pieces} pièces, {self.lines} lignes vérifiées) ; lignes surlignées : "
                f"{listed}{' …' if len(self.problems) > 5 else ''}")


def check_lines(lines: list[SheetLine]) -> list[LineProblem]:
    problems = [LineProblem(l.tab, l.index + 1, l.key or l.written_key or "?", m)
                for l in lines for m in l.problems]
    pieces: dict[str, list[SheetLine]] = defaultdict(list)
    for line in lines:
        if line.row is not None and line.key:
            pieces[line.key].append(line)
    for key, members in pieces.items():
        debit = sum(l.row.debit for l in members)
        credit = sum(l.row.credit for l in members)
        if debit != credit:
            problems += [LineProblem(l.tab, l.index + 1, key, f"pièce déséquilibrée : débit "
                                     f"{comma(debit)}, crédit {comma(credit)}") for l in members]
        dates = {l.row.date for l in members}
        if len(dates) > 1:
            problems += [LineProblem(l.tab, l.index + 1, key, "pièce sur plusieurs dates")
                         for l in members]
    return sorted(problems, key=lambda p: (p.tab, p.row))


def validate(sheet: Spreadsheet, settings: Settings, trigger: str = "ligne de commande",
             now: datetime | None = None) -> ValidateReport:
    tabs = _entries(sheet)
    lines = parse_tabs(tabs, settings)
    report = ValidateReport(pieces=len({l.key for l in lines if l.key}), lines=len(lines),
                            problems=check_lines(lines))
    bad: dict[str, set[int]] = defaultdict(set)
    for problem in report.problems:
        bad[problem.tab].add(problem.row - 1)
    for tab in tabs:
        sheet.highlight(tab, sorted(bad.get(tab, ())), clear_others=True)
    _history(sheet, trigger, "Contrôle de l'équilibre", report.french(), now,
             settings.timezone)
    return report


# --- export ---------------------------------------------------------------------------------

class ExportRefused(ValueError):
    """The month's lines in the sheet are not fit to import: nothing is exported."""

    def __init__(self, problems: list[LineProblem]) -> None:
        self.problems = problems
        listed = "; ".join(f"{p.tab} ligne {p.row} ({p.piece}) : {p.message}" for p in problems[:10])
        super().__init__(f"{len(problems)} problème(s) empêchent l'export : {listed}")


@dataclass
class MonthExport:
    month: str
    rows: list[JournalRow]
    inexweb: bytes
    fec: bytes
    fec_name: str
    replaced: set[str]
    # Lines of the sheet dated in other months (AAAA-MM -> lines): not in this month's files,
    # they go with their own month's (a reversal at voided_at, an invoice finalized after the
    # month's end). What the summaries give as the reason the counts differ.
    elsewhere: dict[str, int] = field(default_factory=dict)


LABEL_WORDS = ("Facture", "Avoir", "Annulation Facture", "Annulation Avoir")


def customer_names_from_labels(rows: list[JournalRow], settings: Settings) -> dict[str, str]:
    """The customer's name for the FEC's CompAuxLib, from labels the product wrote
    ("Facture MDC-0001 Simplon"); a label the accountant wrote is taken whole."""
    names = {}
    for row in rows:
        if not fec.is_customer_account(row.account, settings) or row.account in names:
            continue
        name = row.label
        for word in LABEL_WORDS:
            prefix = f"{word} {row.piece} "
            if row.label.startswith(prefix):
                name = row.label[len(prefix):]
        names[row.account] = name or row.label
    return names


def _period_rows(sheet: Spreadsheet, settings: Settings, first: str, last: str
                 ) -> tuple[dict[str, list[list]], list[SheetLine], list[JournalRow]]:
    """What an export of the months `first` to `last` reads, or why it refuses: (the entries
    tabs, every line of them, the rows dated in the period). Refused (nothing exported) for a
    period that is not one, a missing SIREN (it names the FEC), or lines of the period unfit
    to import (those too damaged to be dated count as the period's)."""
    wrong = period_error(first, last)
    if wrong:
        raise ValueError(wrong)
    if not settings.siren:
        raise ValueError("le SIREN n'est pas renseigné dans les paramètres : il nomme le FEC")
    tabs = _entries(sheet, required=False)
    every = parse_tabs(tabs, settings)
    lines = [l for l in every if l.row is None or first <= f"{l.row.date:%Y-%m}" <= last]
    problems = check_lines(lines)
    if problems:
        raise ExportRefused(problems)
    return tabs, every, [l.row for l in lines]


def lines_elsewhere(lines: list[SheetLine], month: str) -> dict[str, int]:
    """The readable lines dated in another month than `month`: AAAA-MM -> count, in order."""
    counts: dict[str, int] = defaultdict(int)
    for line in lines:
        if line.row is not None and f"{line.row.date:%Y-%m}" != month:
            counts[f"{line.row.date:%Y-%m}"] += 1
    return dict(sorted(counts.items()))


def export_month(sheet: Spreadsheet, settings: Settings, month: str,
                 trigger: str = "ligne de commande", now: datetime | None = None) -> MonthExport:
    """The Inexweb month file and the FEC of `month` (AAAA-MM), from the sheet as it is."""
    tabs, every, rows = _period_rows(sheet, settings, month, month)
    if not rows:
        # One sentence naming the month as she says it: there is no line to point at.
        missing = f" ; {NO_ENTRIES_TAB}" if not tabs else ""
        raise NothingToExport(f"Aucune écriture datée {of_month(month)} dans la "
                              f"feuille{missing} : rien à exporter.")
    replaced: set[str] = set()
    # The month's FEC is an extract, named so: the legal name is the period's (export_period).
    export = MonthExport(month, rows, inexweb.month_file(rows, settings, replaced),
                         fec_checked(rows, settings, customer_names_from_labels(rows, settings),
                                     replaced), fec.extract_name(settings.siren, month), replaced,
                         lines_elsewhere(every, month))
    # The sheet holds more lines than the files when some are dated in other months: said.
    others = elsewhere_french(export.elsewhere)
    _history(sheet, trigger, f"Export du mois {of_month(month)}",
             f"{len(rows)} lignes exportées (Inexweb et FEC){' ; ' + others if others else ''}",
             now, settings.timezone)
    return export


# --- the FEC of a period --------------------------------------------------------------------

FRENCH_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
                 "septembre", "octobre", "novembre", "décembre")
MONTH_FORM = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


def french_month(month: str) -> str:
    """"2026-10" -> "octobre 2026"."""
    year, number = month.split("-")
    return f"{FRENCH_MONTHS[int(number) - 1]} {year}"


def of_month(month: str) -> str:
    """"2026-10" -> "d'octobre 2026", "2026-11" -> "de novembre 2026" (elided before a
    vowel: avril, août, octobre)."""
    name = french_month(month)
    return f"d'{name}" if name[0] in "aeiouéèê" else f"de {name}"


# Beyond this many other months (a sheet with one Écritures tab for the whole year), they are
# said in one sentence: the point is why the counts differ, not a list of the year.
ELSEWHERE_LISTED = 2


def elsewhere_french(elsewhere: dict[str, int]) -> str:
    """MonthExport.elsewhere for a person: "3 lignes datées de novembre 2026 : exportées avec
    novembre 2026" ("" when every line of the sheet is the month's); more than two months:
    "5100 lignes datées d'autres mois (de juillet 2026 à novembre 2026) : exportées avec leur
    mois"."""
    def plural(n: int) -> str:
        return "s" if n > 1 else ""
    if len(elsewhere) > ELSEWHERE_LISTED:
        months, total = sorted(elsewhere), sum(elsewhere.values())
        return (f"{total} ligne{plural(total)} datée{plural(total)} d'autres mois "
                f"({of_month(months[0])} à {french_month(months[-1])}) : "
                f"exportée{plural(total)} avec leur mois")
    return " ; ".join(f"{n} ligne{plural(n)} datée{plural(n)} {of_month(m)} : exportée{plural(n)} "
                      f"avec {french_month(m)}" for m, n in elsewhere.items())


def period_error(first: str, last: str) -> str | None:
    """What is wrong with the period `first`..`last` (AAAA-MM each, both included), in French;
    None when it is a period."""
    for month in (first, last):
        if not MONTH_FORM.fullmatch(month or ""):
            return f"mois « {str(month)[:20]} » invalide : AAAA-MM attendu, par exemple 2026-10"
    if first > last:
        return (f"la période commence ({french_month(first)}) après sa fin "
                f"({french_month(last)})")
    return None


def fiscal_year(year: int, settings: Settings) -> tuple[str, str]:
    """The first and last months of the fiscal year starting in `year` (settings'
    fiscal_year_start): 2026 from 07 is 2026-07 to 2027-06."""
    start = int(settings.fiscal_year_start)
    if start == 1:
        return f"{year:04d}-01", f"{year:04d}-12"
    return f"{year:04d}-{start:02d}", f"{year + 1:04d}-{start - 1:02d}"


@dataclass
class PeriodExport:
    first: str                  # AAAA-MM
    last: str                   # AAAA-MM, included
    rows: list[JournalRow]
    pieces: int
    fec: bytes
    fec_name: str               # the legal name, with the period's closing date
    replaced: set[str]

    @property
    def label(self) -> str:
        return period_label(self.first, self.last)


class NothingToExport(ExportRefused):
    """The period holds no entry: a refusal said in one sentence, no line to point at."""

    def __init__(self, message: str) -> None:
        self.problems = []
        ValueError.__init__(self, message)


def period_label(first: str, last: str) -> str:
    """"janvier 2026 à décembre 2026", or the one month."""
    if first == last:
        return french_month(first)
    return f"{french_month(first)} à {french_month(last)}"


def export_period(sheet: Spreadsheet, settings: Settings, first: str, last: str,
                  trigger: str = "ligne de commande", now: datetime | None = None) -> PeriodExport:
    """The FEC of the months `first` to `last` (AAAA-MM, both included), from every entries
    tab of the sheet as it is: one EcritureNum sequence over the period, pièces in the month
    files' order (by date, the sheet's order within a day), so that the period's numbers are
    the months' numbers shifted by the pièces of the months before."""
    tabs, _, rows = _period_rows(sheet, settings, first, last)
    closing = month_end(date.fromisoformat(f"{last}-01"))
    export = PeriodExport(first, last, rows, len(fec.group_entries(rows)), b"",
                          fec.file_name(settings.siren, closing), set())
    if not rows:
        missing = f" ; {NO_ENTRIES_TAB}" if not tabs else ""
        raise NothingToExport(f"Aucune écriture sur la période ({export.label}) dans la "
                              f"feuille{missing} : aucun FEC écrit.")
    export.fec = fec_checked(rows, settings, customer_names_from_labels(rows, settings),
                             export.replaced)
    _history(sheet, trigger, f"Export du FEC ({export.label})",
             f"{export.pieces} pièce(s), {len(rows)} ligne(s) exportées : {export.fec_name}", now,
             settings.timezone)
    return export
