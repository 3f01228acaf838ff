"""The FEC validator: a valid file passes, and each rule broken alone is reported."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.formats.fec_validator import (
    ERROR, FEC_COLUMNS, FEC_COLUMNS_MONTANT_SENS, WARNING, FecProblem, has_errors, validate_fec,
)

NAME = "732829320FEC20241231.txt"      # a SIREN with a valid check digit


def line(num, date, account, label, debit="0,00", credit="0,00", piece=None, **more):
    values = dict(
        JournalCode="VT", JournalLib="Ventes", EcritureNum=str(num), EcritureDate=date,
        CompteNum=account, CompteLib=label, CompAuxNum="", CompAuxLib="",
        PieceRef=piece or f"F2024-{num:0>3}", PieceDate=date,
        EcritureLib=f"Facture F2024-{num:0>3} ACME", Debit=debit, Credit=credit,
        EcritureLet="", DateLet="", ValidDate="20240131", Montantdevise="", Idevise="",
    )
    values.update(more)
    return values


def customer(num, date, debit):
    return line(num, date, "411000", "Clients", debit=debit, CompAuxNum="411ACME",
                CompAuxLib="ACME")


# Two sales: lines 2-4 are entry 1, lines 5-7 entry 2 (the header is line 1).
VALID = [
    customer(1, "20240105", "120,00"),
    line(1, "20240105", "706000", "Prestations de services", credit="100,00"),
    line(1, "20240105", "445710", "TVA collectée", credit="20,00"),
    customer(2, "20240110", "60,00"),
    line(2, "20240110", "706000", "Prestations de services", credit="50,00"),
    line(2, "20240110", "445710", "TVA collectée", credit="10,00"),
]


def fec(rows, *, header=FEC_COLUMNS, sep="\t", eol="\r\n", encoding="utf-8", bom=False):
    """A FEC file's bytes from dicts keyed by column name."""
    text = eol.join([sep.join(header)] + [sep.join(row[c] for c in header) for row in rows])
    data = (text + eol).encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def edit(index, **changes):
    rows = copy.deepcopy(VALID)
    rows[index].update(changes)
    return rows


def errors(problems):
    return [p for p in problems if p.severity == ERROR]


def assert_reported(problems, line, field, fragment, severity=ERROR):
    found = [p for p in problems if p.line == line and p.field == field
             and fragment in p.message and p.severity == severity]
    assert found, f"no {severity} ({line}, {field}, {fragment!r}) in:\n" + "\n".join(
        map(str, problems))


# --- Valid files ------------------------------------------------------------------------------

def test_valid_two_entry_file_has_no_problem():
    assert validate_fec(fec(VALID), filename=NAME) == []


@pytest.mark.parametrize("options", [
    dict(sep="|"), dict(eol="\n"), dict(eol="\r"), dict(bom=True),
], ids=["pipe", "lf", "cr", "utf8-bom-tolerated"])
def test_valid_file_in_other_allowed_shapes(options):
    assert validate_fec(fec(VALID, **options)) == []


def test_iso_8859_15_read_when_not_utf8():
    rows = edit(0, CompAuxLib="Société Générale €")
    data = fec(rows, encoding="iso8859-15")
    assert validate_fec(data) == []
    assert validate_fec(data, encoding="ISO-8859-15") == []


def test_amounts_are_compared_in_cents_not_floats():
    rows = [customer(1, "20240105", "0,30"),
            line(1, "20240105", "706000", "Services", credit="0,10"),
            line(1, "20240105", "706100", "Services", credit="0,20")]
    assert validate_fec(fec(rows)) == []


def test_numbering_per_journal_is_accepted():
    """BOI-CF-IOR-60-40-20 § 100: the numbering may be proper to each journal."""
    bank = [line(1, "20240107", "512000", "Banque", debit="120,00", JournalCode="BQ",
                 JournalLib="Banque"),
            line(1, "20240107", "411000", "Clients", credit="120,00", JournalCode="BQ",
                 JournalLib="Banque", CompAuxNum="411ACME", CompAuxLib="ACME")]
    rows = VALID[:3] + bank + VALID[3:]
    assert validate_fec(fec(rows)) == []


def test_prefixed_numbers_are_followed_by_prefix():
    rows = copy.deepcopy(VALID)
    for row in rows:
        row["EcritureNum"] = f"VT{int(row['EcritureNum']):05d}"
    assert validate_fec(fec(rows)) == []


def test_montant_sens_variant():
    rows = copy.deepcopy(VALID)
    for row in rows:
        debit = row["Debit"] != "0,00"
        row["Montant"] = row["Debit"] if debit else row["Credit"]
        row["Sens"] = "D" if debit else "C"
    assert validate_fec(fec(rows, header=FEC_COLUMNS_MONTANT_SENS)) == []
    rows[1]["Sens"] = "X"
    assert_reported(validate_fec(fec(rows, header=FEC_COLUMNS_MONTANT_SENS)), 3, "Sens", "'X'")


def test_lettered_line_with_currency_is_valid():
    rows = edit(0, EcritureLet="AA", DateLet="20240215", Montantdevise="130,00", Idevise="USD")
    assert validate_fec(fec(rows)) == []


@settings(max_examples=50, deadline=None)
@given(st.lists(st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=4),
                min_size=1, max_size=8))
def test_any_balanced_journal_passes(sales):
    rows = []
    for num, amounts in enumerate(sales, start=1):
        day = f"202401{num:02d}"
        rows.append(customer(num, day, _euros(sum(amounts))))
        rows += [line(num, day, "706000", "Services", credit=_euros(a)) for a in amounts]
    assert validate_fec(fec(rows), filename=NAME) == []


def _euros(cents):
    return f"{cents // 100},{cents % 100:02d}"


# --- One broken rule at a time: (rows or bytes, expected line, field, fragment, severity) -----

MANDATORY = ("JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum",
             "CompteLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit",
             "ValidDate")


@pytest.mark.parametrize("name", MANDATORY)
def test_empty_mandatory_field(name):
    assert_reported(validate_fec(fec(edit(1, **{name: ""}))), 3, name, "is empty")


CASES = {
    # Dates
    "EcritureDate not a calendar day": (
        edit(0, EcritureDate="20261332"), 2, "EcritureDate",
        "EcritureDate '20261332' is not a valid AAAAMMJJ date"),
    "PieceDate with separators": (
        edit(0, PieceDate="2024-01-05"), 2, "PieceDate", "'2024-01-05' is not a valid"),
    "ValidDate 30 February": (
        edit(0, ValidDate="20240230"), 2, "ValidDate", "'20240230' is not a valid"),
    "DateLet not a date": (
        edit(0, EcritureLet="AA", DateLet="20241301"), 2, "DateLet", "'20241301'"),
    # Both filled or both empty
    "CompAuxLib missing": (
        edit(0, CompAuxLib=""), 2, "CompAuxLib", "while CompAuxNum is '411ACME'"),
    "CompAuxNum missing": (
        edit(0, CompAuxNum=""), 2, "CompAuxNum", "while CompAuxLib is 'ACME'"),
    "DateLet without EcritureLet": (
        edit(0, DateLet="20240215"), 2, "EcritureLet", "while DateLet is '20240215'"),
    "EcritureLet without DateLet": (
        edit(0, EcritureLet="AA"), 2, "DateLet", "while EcritureLet is 'AA'"),
    "Montantdevise without Idevise": (
        edit(0, Montantdevise="130,00"), 2, "Idevise", "while Montantdevise is '130,00'"),
    "Idevise without Montantdevise": (
        edit(0, Idevise="USD"), 2, "Montantdevise", "while Idevise is 'USD'"),
    # Amounts
    "decimal point": (edit(1, Credit="100.00"), 3, "Credit", "'100.00' has a '.'"),
    "thousands separator": (
        edit(0, Debit="1 120,00"), 2, "Debit", "'1 120,00' has a thousands separator"),
    "negative credit": (edit(1, Credit="-100,00"), 3, "Credit", "'-100,00' is signed"),
    "trailing sign": (edit(1, Credit="100,00-"), 3, "Credit", "is signed"),
    "plus sign": (edit(0, Debit="+120,00"), 2, "Debit", "is signed"),
    "three decimals": (edit(1, Credit="100,001"), 3, "Credit", "more than two decimals"),
    "not a number": (edit(1, Credit="cent"), 3, "Credit", "'cent' is not an amount"),
    "bad Montantdevise": (
        edit(0, Montantdevise="1.5", Idevise="USD"), 2, "Montantdevise", "has a '.'"),
    "debit and credit both set": (
        edit(1, Debit="100,00"), 3, None, "Debit '100,00' and Credit '100,00' are both non-zero"),
    "debit and credit both zero": (
        VALID[:3] + [line(1, "20240105", "706000", "Services")] + VALID[3:], 5, None,
        "amount is zero", WARNING),
    # Accounts
    "account shorter than three digits": (
        edit(1, CompteNum="70"), 3, "CompteNum", "'70' does not start with three digits"),
    "account starting with a letter": (
        edit(1, CompteNum="A706000"), 3, "CompteNum", "does not start with three digits"),
    "account with punctuation": (
        edit(0, CompteNum="411-ACME"), 2, "CompteNum", "'411-ACME' holds characters other"),
    # Entries
    "unbalanced entry": (
        edit(2, Credit="19,99"), 2, None, "entry '1' is not balanced: debit 120,00, credit 119,99"),
    "file totals differ": (
        edit(2, Credit="19,99"), None, None, "total debit 180,00 differs from total credit 179,99"),
    "two journal codes in an entry": (
        edit(1, JournalCode="AC"), 3, "JournalCode", "'AC' differs from 'VT' on line 2"),
    "two dates in an entry": (
        edit(2, EcritureDate="20240106"), 4, "EcritureDate", "'20240106' differs from '20240105'"),
    "two pieces in an entry": (
        edit(2, PieceRef="F2024-999"), 4, "PieceRef", "'F2024-999' differs", WARNING),
    "two piece dates in an entry": (
        edit(2, PieceDate="20240104"), 4, "PieceDate", "'20240104' differs", WARNING),
    "entry lines not contiguous": (
        [VALID[0], VALID[1], VALID[3], VALID[2], VALID[4], VALID[5]], 5, "EcritureNum",
        "'1' was already used by the entry starting on line 2"),
    "number reused by a later entry": (
        VALID + [dict(r, EcritureNum="1", EcritureDate="20240111", PieceDate="20240111")
                 for r in VALID[3:]],
        8, "EcritureNum", "'1' was already used"),
    # Numbering and order
    "gap in numbering": (
        [dict(r, EcritureNum="3") if r["EcritureNum"] == "2" else r for r in VALID], 5,
        "EcritureNum", "jumps from '1' to '3': 1 number missing"),
    "numbering going down": (
        [dict(r, EcritureNum={"1": "2", "2": "1"}[r["EcritureNum"]]) for r in VALID], 5,
        "EcritureNum", "'1' comes after '2'"),
    "number without digits": (
        [dict(r, EcritureNum={"1": "A", "2": "B"}[r["EcritureNum"]]) for r in VALID], 2,
        "EcritureNum", "does not end with a number", WARNING),
    "entries out of date order": (
        [dict(r, EcritureDate="20240103", PieceDate="20240103") if r["EcritureNum"] == "2"
         else r for r in VALID], 5, "EcritureDate",
        "'20240103', earlier than '20240105' of entry '1'"),
    "entries out of validation order": (
        [dict(r, ValidDate="20240130") if r["EcritureNum"] == "2" else r for r in VALID], 5,
        "ValidDate", "earlier than '20240131'", WARNING),
}


@pytest.mark.parametrize("rows, line_no, field, fragment, severity",
                         [(case + (ERROR,))[:5] for case in CASES.values()], ids=list(CASES))
def test_broken_rule_is_reported(rows, line_no, field, fragment, severity):
    assert_reported(validate_fec(fec(rows)), line_no, field, fragment, severity)


def test_numbering_gap_per_journal_is_reported():
    bank = [line(1, "20240107", "512000", "Banque", debit="120,00", JournalCode="BQ"),
            line(1, "20240107", "411000", "Clients", credit="120,00", JournalCode="BQ"),
            line(3, "20240108", "512000", "Banque", debit="60,00", JournalCode="BQ"),
            line(3, "20240108", "411000", "Clients", credit="60,00", JournalCode="BQ")]
    problems = validate_fec(fec(VALID[:3] + bank + VALID[3:]))
    assert_reported(problems, 7, "EcritureNum", "jumps from '1' to '3' in journal BQ")
    assert len(problems) == 1


def test_entry_split_over_two_journals():
    rows = VALID[:2] + [dict(VALID[2], JournalCode="AC")] + VALID[3:]
    assert_reported(validate_fec(fec(rows)), 4, None,
                    "entry '1' of journal AC is not balanced: debit 0,00, credit 20,00")


# --- Header, separator, shape of the lines ----------------------------------------------------

def replace_header(old, new):
    return fec(VALID).replace(old.encode(), new.encode(), 1)


def test_header_name_in_wrong_case():
    problems = validate_fec(replace_header("JournalCode", "journalcode"))
    assert_reported(problems, 1, "JournalCode",
                    "'journalcode', expected 'JournalCode' (letter case)")
    assert len(problems) == 1
    data = fec(edit(3, ValidDate="20240231")).replace(b"JournalCode", b"JOURNALCODE", 1)
    assert_reported(validate_fec(data), 5, "ValidDate", "'20240231'")     # lines still read


def test_header_name_wrong():
    problems = validate_fec(replace_header("CompteLib", "CompteLibelle"))
    assert_reported(problems, 1, "CompteLib", "header column 6 is 'CompteLibelle'")


def test_header_columns_swapped():
    problems = validate_fec(replace_header("Debit\tCredit", "Credit\tDebit"))
    assert_reported(problems, 1, "Debit", "header column 12 is 'Credit'")


def test_header_missing_a_column():
    assert_reported(validate_fec(replace_header("\tIdevise", "")), 1, None,
                    "17 columns instead of 18")


def test_header_with_an_extra_column():
    assert_reported(validate_fec(replace_header("Idevise", "Idevise\tDateRglt")), 1, None,
                    "19 columns instead of 18")


def test_separator_not_allowed():
    problems = validate_fec(fec(VALID, sep=";"))
    assert_reported(problems, 1, None, "not separated by tabs or '|'")


def test_line_with_wrong_field_count():
    data = fec(VALID).replace(b"\t20240131\t\t\r\n", b"\t20240131\t\r\n", 1)
    assert_reported(validate_fec(data), 2, None, "17 fields instead of 18")


def test_line_with_the_other_separator():
    lines = fec(VALID).split(b"\r\n")
    lines[3] = lines[3].replace(b"\t", b"|")
    assert_reported(validate_fec(b"\r\n".join(lines)), 4, None,
                    "separated by '|' while the header uses tab")


def test_empty_line_in_the_middle():
    lines = fec(VALID).split(b"\r\n")
    lines.insert(4, b"")
    assert_reported(validate_fec(b"\r\n".join(lines)), 5, None, "the line is empty")


def test_empty_file_and_header_only():
    assert_reported(validate_fec(b""), None, None, "the file is empty")
    assert_reported(validate_fec(fec([])), None, None, "no line after the header")


# --- Encoding ---------------------------------------------------------------------------------

def test_invalid_utf8_when_declared():
    data = fec(edit(0, CompAuxLib="Société"), encoding="iso8859-15")
    assert_reported(validate_fec(data, encoding="utf-8"), 2, None, "is not valid utf-8")


def test_windows_1252_read_with_a_warning():
    data = fec(edit(0, CompAuxLib="ACME – Café"), encoding="cp1252")     # en dash is 0x96
    problems = validate_fec(data)
    assert not has_errors(problems)
    assert_reported(problems, None, None, "Windows-1252", WARNING)
    assert_reported(validate_fec(data, encoding="cp1252"), None, None,
                    "'cp1252' is not one article A47 A-1 allows", WARNING)


def test_undecodable_bytes():
    data = fec(VALID).replace(b"ACME", b"AC\x81\x9dE", 1)     # undefined even in Windows-1252
    assert_reported(validate_fec(data), 2, None, "byte 0x81")


def test_unknown_encoding():
    assert_reported(validate_fec(fec(VALID), encoding="klingon"), None, None,
                    "unknown encoding 'klingon'")


def test_bom_with_invalid_utf8():
    data = b"\xef\xbb\xbf" + fec(edit(0, CompAuxLib="Société"), encoding="iso8859-15")
    assert_reported(validate_fec(data), 2, None, "starts with a UTF-8 BOM")


# --- File name --------------------------------------------------------------------------------

@pytest.mark.parametrize("filename, fragment, severity", [
    ("FEC20241231.txt", "SIREN '' is not 9 digits", ERROR),
    ("73282932FEC20241231.txt", "SIREN '73282932' is not 9 digits", ERROR),
    ("732829320FEC20241331.txt", "closing date '20241331' is not a valid", ERROR),
    ("732829320FEC2024123.txt", "closing date '2024123'", ERROR),
    ("732829320FEC20241231.csv", "is not <SIREN>FEC<AAAAMMJJ>.txt", ERROR),
    ("732829320fec20241231.txt", "is not <SIREN>FEC<AAAAMMJJ>.txt", ERROR),
    ("123456789FEC20241231.txt", "fails its check digit", WARNING),
])
def test_bad_file_name(filename, fragment, severity):
    assert_reported(validate_fec(fec(VALID), filename=filename), None, None, fragment, severity)


def test_file_name_with_a_directory():
    assert validate_fec(fec(VALID), filename="/tmp/exports/" + NAME) == []


# --- The problems themselves ------------------------------------------------------------------

def test_problems_come_in_file_order_and_read_plainly():
    rows = edit(2, Credit="19,99")
    rows[0]["EcritureDate"] = "20261332"
    problems = validate_fec(fec(rows), filename="bad.txt")
    lines = [p.line for p in problems]
    assert lines == sorted(lines, key=lambda n: (n is not None, n or 0))
    assert str(FecProblem(2, "Debit", "Debit 'x' is not an amount")) == (
        "line 2, Debit: Debit 'x' is not an amount [error]")
    assert has_errors(problems) and not has_errors([FecProblem(None, None, "m", WARNING)])
