"""Checks a FEC (fichier des écritures comptables) before anyone else does. Bytes in, problems out.

What is checked, and on whose word:

* Article A47 A-1 of the Livre des procédures fiscales: the 18 columns in their order (VII),
  the file name `SirenFECAAAAMMJJ` (IX), tab or `|` between fields (VI), ASCII, ISO-8859-15 or
  UTF-8 (XII 1°), a decimal comma and no thousands separator (XII 2°), dates AAAAMMJJ (XII 4°),
  account numbers starting with three digits (VII, column 5), entries "classées par ordre
  chronologique de validation" (VII 1°).
* BOI-CF-IOR-60-40-20 § 100: EcritureNum "doit être croissante dans le temps et ne pas
  comporter de rupture. Cette numérotation peut être unique sur l'ensemble du fichier ou être
  propre à chaque journal": both numberings are accepted (see `_numbered_by_journal`).
* Test Compta Demat, the DGFiP's validator (github.com/DGFiP/Test-Compta-Demat, src/testeur):
  init.pl (file name, separator detected from the header), trt_entete.pl (UTF-8 BOM removed from
  the header), trt_txt.pl (field count, empty mandatory fields, '.' as decimal separator and
  thousands separators are errors, debit and credit both set or both zero is an *alert*, an
  account not starting with three digits is an alert, total debit = total credit alert switched
  off in 2014), alto2_fonctions.pl (UTF-8, else read as ISO-8859-15; CR, LF or CRLF), and the
  vérificateur's views SQL/ECRITURE.sql + VUES.sql, which flag per EcritureNum: several journal
  codes, unbalanced, several EcritureDate, several PieceRef, several PieceDate.

Where this module is stricter than Test Compta Demat, on purpose because we write the file
ourselves: exactly 18 columns with the legal names in the legal order and case (the law allows
extra columns after the 18th, the validator matches names case-insensitively in any order);
strict AAAAMMJJ dates (the validator also reads JJ/MM/AAAA); no sign in Debit/Credit (the law
allows a sign, our writer swaps the side instead); at most two decimals; unbalanced entries,
unequal totals and broken numbering are errors (the validator does not test them).
Severity "warning" marks what the validator reports as an alert, or what is unusual but legal.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

FEC_COLUMNS = ("JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum",
               "CompteLib", "CompAuxNum", "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib",
               "Debit", "Credit", "EcritureLet", "DateLet", "ValidDate", "Montantdevise",
               "Idevise")
# A47 A-1 VII 2°: "Montant" and "Sens" may replace "Debit" and "Credit".
FEC_COLUMNS_MONTANT_SENS = FEC_COLUMNS[:11] + ("Montant", "Sens") + FEC_COLUMNS[13:]

ERROR = "error"
WARNING = "warning"

MANDATORY = ("JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum",
             "CompteLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit",
             "Montant", "Sens", "ValidDate")
# Filled together or left empty together ("à blanc si non utilisé").
PAIRS = (("CompAuxNum", "CompAuxLib"), ("EcritureLet", "DateLet"), ("Montantdevise", "Idevise"))
DATES = ("EcritureDate", "PieceDate", "DateLet", "ValidDate")
AMOUNTS = ("Debit", "Credit", "Montant", "Montantdevise")
SIGNED_AMOUNTS = ("Montantdevise",)
SENS = {"D": 1, "+1": 1, "C": -1, "-1": -1}
# codecs names of the character sets A47 A-1 XII 1° allows.
LEGAL_ENCODINGS = ("ascii", "iso8859-15", "utf-8", "utf-8-sig")
SEPARATOR_NAMES = {"\t": "tab", "|": "'|'"}


@dataclass(frozen=True)
class FecProblem:
    line: int | None      # 1-based line number in the file (header = 1), None for the file
    field: str | None     # column name, when one is at fault
    message: str
    severity: str = ERROR

    def __str__(self) -> str:
        where = "file" if self.line is None else f"line {self.line}"
        if self.field:
            where += f", {self.field}"
        return f"{where}: {self.message} [{self.severity}]"


def has_errors(problems: Iterable[FecProblem]) -> bool:
    """True when the file must not be written: warnings alone do not stop it."""
    return any(p.severity == ERROR for p in problems)


def validate_fec(data: bytes, filename: str | None = None,
                 encoding: str | None = None) -> list[FecProblem]:
    """Every problem found; an empty list means the file passes.

    `encoding` None: UTF-8 (a BOM is tolerated), else ISO-8859-15, as Test Compta Demat reads.
    Line, then file-level problems are only looked for when the layers below them hold: no
    line check without a readable header, no entry check while a line has the wrong shape.
    """
    problems = list(check_file_name(filename)) if filename is not None else []
    text, found = _decode(data, encoding)
    problems += found
    if text is None:
        return _in_file_order(problems)
    lines = _lines(text)
    if not lines:
        problems.append(FecProblem(None, None, "the file has no line, not even the header"))
        return _in_file_order(problems)
    separator, columns, found = _header(lines[0])
    problems += found
    if columns is None:
        return _in_file_order(problems)
    rows, found = _rows(lines[1:], separator, columns)
    problems += found
    for check in LINE_CHECKS:
        for row in rows:
            problems.extend(check(row))
    if rows and not found:
        ledger = _ledger(rows)
        for check in LEDGER_CHECKS:
            problems.extend(check(ledger))
    return _in_file_order(problems)


def _in_file_order(problems: list[FecProblem]) -> list[FecProblem]:
    return sorted(problems, key=lambda p: (p.line is not None, p.line or 0))


# --- The file as text -----------------------------------------------------------------------

def check_file_name(filename: str) -> Iterator[FecProblem]:
    """A47 A-1 IX: `SirenFECAAAAMMJJ`, AAAAMMJJ being the closing date; `.txt` for a flat file."""
    name = re.split(r"[\\/]", filename)[-1]
    match = re.fullmatch(r"(.*?)FEC(.*)\.txt", name, flags=re.IGNORECASE)
    if not match or "FEC" not in name:
        yield FecProblem(None, None, f"file name '{name}' is not <SIREN>FEC<AAAAMMJJ>.txt")
        return
    siren, closing = match.groups()
    if not re.fullmatch(r"[0-9]{9}", siren):
        yield FecProblem(None, None, f"file name '{name}': SIREN '{siren}' is not 9 digits")
    elif not _luhn(siren):
        yield FecProblem(None, None, f"file name '{name}': SIREN '{siren}' fails its check "
                                     "digit (Luhn)", WARNING)
    if _date(closing) is None:
        yield FecProblem(None, None, f"file name '{name}': closing date '{closing}' is not a "
                                     "valid AAAAMMJJ date")


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(digits):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _decode(data: bytes, encoding: str | None) -> tuple[str | None, list[FecProblem]]:
    """Text from bytes. A UTF-8 BOM is tolerated: Test Compta Demat strips it from the header
    (trt_entete.pl, "suppression du bom dans le cas utf8"), so it is not reported."""
    if not data:
        return None, [FecProblem(None, None, "the file is empty")]
    if encoding is not None:
        return _decode_as(data, encoding)
    body = data.removeprefix(codecs.BOM_UTF8)
    try:
        return body.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        if body is not data:
            return None, [_undecodable(body, exc, "UTF-8 (it starts with a UTF-8 BOM)")]
    if not any(0x80 <= byte <= 0x9F for byte in data):
        return data.decode("iso8859-15"), []
    # Bytes 0x80-0x9F are control characters in ISO-8859-15: the file is Windows-1252.
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        return None, [_undecodable(data, exc, "UTF-8, ISO-8859-15 or Windows-1252")]
    return text, [FecProblem(None, None, "the file is neither UTF-8 nor ISO-8859-15 but "
                                         "Windows-1252, which article A47 A-1 does not list",
                             WARNING)]


def _decode_as(data: bytes, encoding: str) -> tuple[str | None, list[FecProblem]]:
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return None, [FecProblem(None, None, f"unknown encoding '{encoding}'")]
    problems = []
    if name not in LEGAL_ENCODINGS:
        problems.append(FecProblem(None, None, f"encoding '{encoding}' is not one article "
                                               "A47 A-1 allows (ASCII, ISO-8859-15, UTF-8)",
                                   WARNING))
    if name == "utf-8":
        data = data.removeprefix(codecs.BOM_UTF8)
    try:
        return data.decode(name), problems
    except UnicodeDecodeError as exc:
        return None, problems + [_undecodable(data, exc, encoding)]


def _undecodable(data: bytes, exc: UnicodeDecodeError, what: str) -> FecProblem:
    line = data.count(b"\n", 0, exc.start) + 1
    return FecProblem(line, None, f"byte 0x{data[exc.start]:02X} (offset {exc.start}) is not "
                                  f"valid {what}")


def _lines(text: str) -> list[str]:
    """A47 A-1 VI 1° a: records end with CR and/or LF. The final line end makes no line."""
    lines = re.split(r"\r\n|\r|\n", text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _header(line: str) -> tuple[str | None, tuple[str, ...] | None, list[FecProblem]]:
    """The separator, found as Test Compta Demat does (init.pl: tab if the header splits into 9
    fields or more on tabs, else '|'), and the 18 legal names in order and case (A47 A-1 VII).
    A name differing only by case is reported but still read; any other difference stops."""
    separator = "\t" if line.count("\t") >= 8 else "|" if line.count("|") >= 8 else None
    if separator is None:
        return None, None, [FecProblem(1, None, "the header is not separated by tabs or '|', "
                                                "the only separators allowed")]
    names = [name.strip(" ") for name in line.split(separator)]
    if len(names) != len(FEC_COLUMNS):
        return separator, None, [FecProblem(1, None, f"the header has {len(names)} columns "
                                                     f"instead of {len(FEC_COLUMNS)}")]
    montant_sens = [n.lower() for n in names[11:13]] == ["montant", "sens"]
    expected = FEC_COLUMNS_MONTANT_SENS if montant_sens else FEC_COLUMNS
    problems, fatal = [], False
    for position, (got, want) in enumerate(zip(names, expected), start=1):
        if got == want:
            continue
        same_name = got.lower() == want.lower()
        fatal = fatal or not same_name
        problems.append(FecProblem(1, want, f"header column {position} is '{got}', expected "
                                            f"'{want}'" + (" (letter case)" if same_name else "")))
    return separator, (None if fatal else expected), problems


# --- Lines ------------------------------------------------------------------------------------

@dataclass
class _Row:
    line: int
    v: dict[str, str]                  # column name -> value, surrounding spaces removed
    debit: int | None = None           # cents; both None when an amount cannot be read
    credit: int | None = None


def _rows(lines: list[str], separator: str,
          columns: tuple[str, ...]) -> tuple[list[_Row], list[FecProblem]]:
    """Well-formed lines as rows; a problem for each empty line or wrong field count."""
    rows, problems = [], []
    for number, text in enumerate(lines, start=2):
        if not text.strip(" \u00a0"):
            problems.append(FecProblem(number, None, "the line is empty"))
            continue
        fields = text.split(separator)
        if len(fields) != len(columns):
            other = "|" if separator == "\t" else "\t"
            if text.count(other) == len(columns) - 1:
                message = (f"the line is separated by {SEPARATOR_NAMES[other]} while the header "
                           f"uses {SEPARATOR_NAMES[separator]}")
            else:
                message = f"the line has {len(fields)} fields instead of {len(columns)}"
            problems.append(FecProblem(number, None, message))
            continue
        # Test Compta Demat drops spaces around separators and reads no-break spaces as spaces.
        row = _Row(number, {c: f.strip(" \u00a0") for c, f in zip(columns, fields)})
        row.debit, row.credit = _sides(row.v)
        rows.append(row)
    if not lines:
        problems.append(FecProblem(None, None, "the file has no line after the header"))
    return rows, problems


def _sides(v: dict[str, str]) -> tuple[int | None, int | None]:
    """(debit, credit) in cents, from Debit/Credit or from Montant/Sens; (None, None) when
    either cannot be read."""
    if "Debit" in v:
        debit, credit = _parse_amount(v["Debit"])[0], _parse_amount(v["Credit"])[0]
        return (None, None) if debit is None or credit is None else (debit, credit)
    amount, sens = _parse_amount(v["Montant"])[0], SENS.get(v["Sens"].upper())
    if amount is None or sens is None:
        return None, None
    return (amount, 0) if sens > 0 else (0, amount)


def check_mandatory(row: _Row) -> Iterator[FecProblem]:
    """The informations A47 A-1 VII requires; Test Compta Demat reports them empty as errors
    (trt_txt.pl: NOT NULL columns, and the "données absentes" list for BIC/IS files)."""
    for name in MANDATORY:
        if name in row.v and not row.v[name]:
            yield FecProblem(row.line, name, f"{name} is empty")


def check_pairs(row: _Row) -> Iterator[FecProblem]:
    """An auxiliary account with its label, a lettering with its date, an amount in currency
    with its currency: both or neither."""
    for first, second in PAIRS:
        if bool(row.v[first]) != bool(row.v[second]):
            filled, empty = (first, second) if row.v[first] else (second, first)
            yield FecProblem(row.line, empty, f"{empty} is empty while {filled} is "
                                              f"'{row.v[filled]}': fill both or neither")


def check_dates(row: _Row) -> Iterator[FecProblem]:
    """A47 A-1 XII 4°: AAAAMMJJ without separator, and a day that exists."""
    for name in DATES:
        value = row.v[name]
        if value and _date(value) is None:
            yield FecProblem(row.line, name, f"{name} '{value}' is not a valid AAAAMMJJ date")


def check_amounts(row: _Row) -> Iterator[FecProblem]:
    """A47 A-1 XII 2°: decimal comma, no thousands separator; '.' has been an error in Test
    Compta Demat since 2019. At most two decimals; a sign only in Montantdevise."""
    for name in AMOUNTS:
        value = row.v.get(name, "")
        if value:
            complaint = _parse_amount(value, signed=name in SIGNED_AMOUNTS)[1]
            if complaint:
                yield FecProblem(row.line, name, f"{name} '{value}' {complaint}")
    if "Sens" in row.v and row.v["Sens"] and row.v["Sens"].upper() not in SENS:
        yield FecProblem(row.line, "Sens", f"Sens '{row.v['Sens']}' is not D, C, +1 or -1")


def check_one_side(row: _Row) -> Iterator[FecProblem]:
    """A line is a debit or a credit. Test Compta Demat raises one alert for both cases
    (trt_txt.pl, "débit/crédit renseignés sur une même ligne, ou débit=crédit=0"): both set is
    an error here, both zero a warning, as there."""
    if row.debit is None or row.credit is None:
        return
    if row.debit and row.credit:
        yield FecProblem(row.line, None, f"Debit '{row.v.get('Debit')}' and Credit "
                                         f"'{row.v.get('Credit')}' are both non-zero")
    elif not row.debit and not row.credit:
        yield FecProblem(row.line, None, "the line's amount is zero (debit and credit both "
                                         "zero)", WARNING)


def check_account(row: _Row) -> Iterator[FecProblem]:
    """A47 A-1 VII: "les trois premiers caractères doivent correspondre à des chiffres" (an
    alert in Test Compta Demat); letters and digits only, as our account codes are."""
    value = row.v["CompteNum"]
    if not value:
        return
    if not re.match(r"[0-9]{3}", value):
        yield FecProblem(row.line, "CompteNum", f"CompteNum '{value}' does not start with "
                                                "three digits of the plan comptable")
    elif not re.fullmatch(r"[A-Za-z0-9]+", value):
        yield FecProblem(row.line, "CompteNum", f"CompteNum '{value}' holds characters other "
                                                "than letters and digits")


LINE_CHECKS: tuple[Callable[[_Row], Iterable[FecProblem]], ...] = (
    check_mandatory, check_pairs, check_dates, check_amounts, check_one_side, check_account,
)


# --- Entries and the whole file ---------------------------------------------------------------

@dataclass
class _Entry:
    num: str
    journal: str
    label: str                                            # how messages name it
    rows: list[_Row] = field(default_factory=list)
    resumed_at: list[int] = field(default_factory=list)   # lines after another entry's lines

    @property
    def line(self) -> int:
        return self.rows[0].line

    def first(self, name: str) -> str:
        return self.rows[0].v[name]


@dataclass
class _Ledger:
    rows: list[_Row]
    entries: list[_Entry]      # in the order of their first line
    by_journal: bool           # EcritureNum numbered per JournalCode rather than file-wide


def _ledger(rows: list[_Row]) -> _Ledger:
    by_journal = _numbered_by_journal(rows)
    return _Ledger(rows, _entries(rows, by_journal), by_journal)


def _entries(rows: list[_Row], by_journal: bool) -> list[_Entry]:
    entries: dict[object, _Entry] = {}
    previous = None
    for row in rows:
        num, journal = row.v["EcritureNum"], row.v["JournalCode"]
        key = (journal, num) if by_journal else num
        entry = entries.get(key)
        if entry is None:
            label = f"'{num}'" + (f" of journal {journal}" if by_journal else "")
            entry = entries[key] = _Entry(num, journal, label)
        elif key != previous:
            entry.resumed_at.append(row.line)
        entry.rows.append(row)
        previous = key
    return list(entries.values())


def _numbered_by_journal(rows: list[_Row]) -> bool:
    """BOI-CF-IOR-60-40-20 § 100 allows a numbering "propre à chaque journal". It is assumed
    when some EcritureNum is used by several journals, each time on contiguous lines; otherwise
    numbers are file-wide, and a number whose lines are interrupted by another journal's is one
    entry with two journal codes (what the vérificateur's ECRITURE.sql flags, grouping by
    EcritureNum alone)."""
    journals: dict[str, set[str]] = {}
    for row in rows:
        journals.setdefault(row.v["EcritureNum"], set()).add(row.v["JournalCode"])
    if all(len(codes) == 1 for codes in journals.values()):
        return False
    return not any(entry.resumed_at for entry in _entries(rows, by_journal=True))


def _sequence_problems(entries: list[_Entry], by_journal: bool) -> list[FecProblem]:
    """Each next number is the previous one plus one, within its journal when numbered by
    journal and within its prefix ("VT-0001" then "VT-0002") in any case."""
    problems = []
    last: dict[object, _Entry] = {}
    for entry in entries:
        if not entry.num:
            continue          # reported empty by check_mandatory
        match = re.fullmatch(r"(.*?)([0-9]+)", entry.num)
        if not match:
            problems.append(FecProblem(entry.line, "EcritureNum", f"EcritureNum '{entry.num}' "
                                       "does not end with a number: its continuity cannot be "
                                       "checked", WARNING))
            continue
        prefix, number = match.group(1), int(match.group(2))
        key = (entry.journal, prefix) if by_journal else prefix
        where = f" in journal {entry.journal}" if by_journal else ""
        before = last.get(key)
        last[key] = entry
        if before is None:
            continue
        previous = int(re.fullmatch(r"(.*?)([0-9]+)", before.num).group(2))
        if number <= previous:
            problems.append(FecProblem(entry.line, "EcritureNum", f"EcritureNum '{entry.num}' "
                                       f"comes after '{before.num}'{where}: numbers must "
                                       "increase"))
        elif number > previous + 1:
            missing = number - previous - 1
            problems.append(FecProblem(entry.line, "EcritureNum", f"EcritureNum jumps from "
                                       f"'{before.num}' to '{entry.num}'{where}: {missing} "
                                       f"number{'s' if missing > 1 else ''} missing"))
    return problems


def check_contiguous(ledger: _Ledger) -> Iterator[FecProblem]:
    """The lines of an entry follow each other; a number met again later is a second entry
    reusing it, or an entry split in two: either way an error."""
    for entry in ledger.entries:
        for line in entry.resumed_at:
            yield FecProblem(line, "EcritureNum", f"EcritureNum {entry.label} was already "
                                                  f"used by the entry starting on line "
                                                  f"{entry.line}: an entry's lines must be "
                                                  "contiguous")


def check_numbering(ledger: _Ledger) -> Iterator[FecProblem]:
    """BOI-CF-IOR-60-40-20 § 100: increasing, without gap, file-wide or per journal."""
    yield from _sequence_problems(ledger.entries, ledger.by_journal)


def check_balanced(ledger: _Ledger) -> Iterator[FecProblem]:
    """Debits equal credits in every entry, in integer cents ("Ecriture non équilibrée" in the
    vérificateur's VUES.sql). Entries with an unreadable amount are left to check_amounts."""
    for entry in ledger.entries:
        if any(row.debit is None for row in entry.rows):
            continue
        debit = sum(row.debit for row in entry.rows)
        credit = sum(row.credit for row in entry.rows)
        if debit != credit:
            yield FecProblem(entry.line, None, f"entry {entry.label} is not balanced: debit "
                                               f"{_euros(debit)}, credit {_euros(credit)}")


# Fields every line of an entry shares. The vérificateur's VUES.sql flags all four; the law
# does not require one PieceRef per entry, hence warnings for the piece.
UNIFORM = (("JournalCode", ERROR), ("EcritureDate", ERROR), ("PieceRef", WARNING),
           ("PieceDate", WARNING))


def check_uniform(ledger: _Ledger) -> Iterator[FecProblem]:
    """The first line of an entry that departs from its first line, for each field."""
    for entry in ledger.entries:
        for name, severity in UNIFORM:
            row = next((r for r in entry.rows if r.v[name] != entry.first(name)), None)
            if row is not None:
                yield FecProblem(row.line, name, f"{name} '{row.v[name]}' differs from "
                                                 f"'{entry.first(name)}' on line {entry.line}, "
                                                 f"in the same entry {entry.label}", severity)


def check_chronology(ledger: _Ledger) -> Iterator[FecProblem]:
    """Entries in EcritureDate order (our journal's rule, as numbers must grow with time,
    § 100), and in ValidDate order as A47 A-1 VII 1° says ("par ordre chronologique de
    validation"), a warning since neither Test Compta Demat nor our journal checks it."""
    for name, severity in (("EcritureDate", ERROR), ("ValidDate", WARNING)):
        latest: _Entry | None = None
        for entry in ledger.entries:
            day = _date(entry.first(name))
            if day is None:
                continue
            if latest is not None and day < _date(latest.first(name)):
                yield FecProblem(entry.line, name, f"entry {entry.label} has {name} "
                                                   f"'{entry.first(name)}', earlier than "
                                                   f"'{latest.first(name)}' of entry "
                                                   f"{latest.label} before it", severity)
            else:
                latest = entry


def check_totals(ledger: _Ledger) -> Iterator[FecProblem]:
    """Total debit equals total credit (Test Compta Demat computed it, then switched its alert
    off in 2014; it follows from balanced entries, and catches a line outside any entry)."""
    if any(row.debit is None for row in ledger.rows):
        return
    debit = sum(row.debit for row in ledger.rows)
    credit = sum(row.credit for row in ledger.rows)
    if debit != credit:
        yield FecProblem(None, None, f"total debit {_euros(debit)} differs from total credit "
                                     f"{_euros(credit)}")


LEDGER_CHECKS: tuple[Callable[[_Ledger], Iterable[FecProblem]], ...] = (
    check_contiguous, check_numbering, check_balanced, check_uniform, check_chronology,
    check_totals,
)


# --- Values -----------------------------------------------------------------------------------

def _date(text: str) -> date | None:
    if not re.fullmatch(r"[0-9]{8}", text):
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


_AMOUNT = re.compile(r"([+-]?)([0-9]+)(?:,([0-9]{1,2}))?([+-]?)")


def _parse_amount(text: str, signed: bool = False) -> tuple[int | None, str | None]:
    """(cents, None), or (None, what is wrong). A sign, leading or trailing (A47 A-1 XII 2°),
    only when `signed`."""
    match = _AMOUNT.fullmatch(text)
    if match:
        lead, units, decimals, trail = match.groups()
        if not (lead or trail) or (signed and not (lead and trail)):
            cents = int(units) * 100 + int((decimals or "").ljust(2, "0"))
            return (-cents if "-" in lead + trail else cents), None
    return None, _amount_complaint(text, signed)


def _amount_complaint(text: str, signed: bool) -> str:
    if "." in text:
        return "has a '.': the decimal separator is the comma"
    if re.search(r"[0-9][ \u00a0'][0-9]", text):
        return "has a thousands separator"
    if re.fullmatch(r"[+-]?[0-9]+,[0-9]{3,}[+-]?", text):
        return "has more than two decimals"
    if not signed and re.fullmatch(r"[+-][0-9]+(,[0-9]+)?|[0-9]+(,[0-9]+)?[+-]", text):
        return "is signed: amounts are positive, the column gives the side"
    return "is not an amount (digits, then an optional comma and at most two decimals)"


def _euros(cents: int) -> str:
    """Written here rather than imported: the validator shares no code with the writer."""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(cents), 100)
    return f"{sign}{units},{rest:02d}"
