"""Cell values of the Sheets sandbox: what a write stores, and how a read renders it.

Stored values are plain Python objects so that a 200,000-row tab stays a list of lists:
`None` or "" (empty), `str`, `bool`, `int`/`float`, and two markers:

- `Formula`: what USER_ENTERED makes of "=...". The sandbox does not evaluate formulas: the
  value of a formula cell is the error `#NAME?` (as if every function were unknown), and only
  the FORMULA render shows its text. That keeps a formula visibly different from the same text
  written RAW, which reads back unchanged.
- `DateSerial` (a float): a date typed as text under USER_ENTERED ("05/10/2026" in fr_FR). It is
  a serial number (days since 1899-12-30) that Sheets formats as a date by itself, as the UI
  does, unless the cell has its own number format.

Rendering follows the spreadsheet locale: fr_FR writes 1234.5 as "1234,5" (automatic format)
and as "1 234,50" under the pattern "#,##0.00", grouping digits with U+202F (narrow no-break
space, CLDR's French group separator); en_US writes "1,234.50".
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

EPOCH = datetime(1899, 12, 30)
NAME_ERROR = "#NAME?"

FORMATTED_VALUE = "FORMATTED_VALUE"
UNFORMATTED_VALUE = "UNFORMATTED_VALUE"
FORMULA = "FORMULA"
RENDER_OPTIONS = (FORMATTED_VALUE, UNFORMATTED_VALUE, FORMULA)
SERIAL_NUMBER = "SERIAL_NUMBER"
FORMATTED_STRING = "FORMATTED_STRING"
DATETIME_OPTIONS = (SERIAL_NUMBER, FORMATTED_STRING)
RAW = "RAW"
USER_ENTERED = "USER_ENTERED"
INPUT_OPTIONS = (RAW, USER_ENTERED)

DATE_TYPES = ("DATE", "TIME", "DATE_TIME")


class Formula:
    """A formula cell: its text, never evaluated."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"Formula({self.text!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Formula) and other.text == self.text

    __hash__ = None


class DateSerial(float):
    """A date entered as text: formatted as a date unless the cell says otherwise."""

    number_format = {"type": "DATE", "pattern": "dd/mm/yyyy"}


class DateTimeSerial(DateSerial):
    number_format = {"type": "DATE_TIME", "pattern": "dd/mm/yyyy hh:mm:ss"}


def is_empty(value) -> bool:
    return value is None or value == ""


# ---------------------------------------------------------------------------- locales

class Locale:
    """What the sandbox needs of a spreadsheet locale."""

    def __init__(self, decimal: str, group: str, day_first: bool, true: tuple[str, ...],
                 false: tuple[str, ...], months: tuple[str, ...], date_pattern: str) -> None:
        self.decimal = decimal
        self.group = group
        self.day_first = day_first
        self.true_words = true
        self.false_words = false
        self.months = months
        self.date_pattern = date_pattern
        group_chars = "[ \u00a0\u202f]" if decimal == "," else ","
        self.number_re = re.compile(
            rf"^(?P<sign>[+-]?)(?P<int>\d{{1,3}}(?:{group_chars}\d{{3}})+|\d+)"
            rf"(?:{re.escape(decimal)}(?P<frac>\d+))?$")


FRENCH_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
                 "septembre", "octobre", "novembre", "décembre")
ENGLISH_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
                  "September", "October", "November", "December")
FRENCH = Locale(",", "\u202f", True, ("TRUE", "VRAI"), ("FALSE", "FAUX"), FRENCH_MONTHS,
                "dd/mm/yyyy")
ENGLISH_US = Locale(".", ",", False, ("TRUE",), ("FALSE",), ENGLISH_MONTHS, "m/d/yyyy")
ENGLISH_GB = Locale(".", ",", True, ("TRUE",), ("FALSE",), ENGLISH_MONTHS, "dd/mm/yyyy")


def locale_for(code: str | None) -> Locale:
    """fr_* and en_* locales are modelled; any other is treated as en_US."""
    code = (code or "fr_FR").replace("-", "_")
    if code.startswith("fr"):
        return FRENCH
    if code.startswith("en") and code not in ("en", "en_US"):
        return ENGLISH_GB
    return ENGLISH_US


# ---------------------------------------------------------------------------- input

class InvalidValue(ValueError):
    """A value of a ValueRange that is neither a string, a number, a boolean nor null."""


def check_scalar(value, where: str):
    if value is None or type(value) in (str, int, float, bool):
        return value
    kind = "struct_value" if isinstance(value, dict) else "list_value"
    raise InvalidValue(f"Invalid values{where}: {kind} {{\n}}\n")


_SCALAR_TYPES = frozenset((str, int, float, bool, type(None)))


def parse_raw_rows(rows: list) -> list[list]:
    """RAW keeps every value as given ("=1+2" stays a string). Only the types are checked."""
    for i, row in enumerate(rows):
        if not isinstance(row, list):   # a flat list of values instead of a list of rows
            raise InvalidValue(f"Invalid value at 'data.values[{i}]' (type.googleapis.com/"
                               f"google.protobuf.ListValue), {json.dumps(row)}")
        if not _SCALAR_TYPES.issuperset(map(type, row)):
            for j, value in enumerate(row):
                check_scalar(value, f"[{i}][{j}]")
    return rows


def parse_user_entered_rows(rows: list, locale: Locale) -> list[list]:
    parse_raw_rows(rows)
    return [[parse_user_entered(value, locale) if type(value) is str else value for value in row]
            for row in rows]


_TIME = r"(?:[ T](?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?)?"
_SLASH_DATE = re.compile(r"^(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4})" + _TIME + "$")
_ISO_DATE = re.compile(r"^(?P<y>\d{4})-(?P<b>\d{1,2})-(?P<a>\d{1,2})" + _TIME + "$")


# Only text starting like this can be a number or a date: the rest skips the regexes.
_MAY_BE_NUMBER = frozenset("0123456789+- \u00a0")


def parse_user_entered(text: str, locale: Locale):
    """What the Sheets UI makes of typed text: a formula, a number, a boolean, a date, or the
    text itself. A leading apostrophe forces text and is not stored."""
    first = text[:1]
    if first == "=" and len(text) > 1:
        return Formula(text)
    if first == "'":
        return text[1:]
    if first in _MAY_BE_NUMBER and first:
        stripped = text.strip()
        number = _parse_number(stripped, locale)
        if number is not None:
            return number
        serial = _parse_date(stripped, locale)
        if serial is not None:
            return serial
    elif len(text) <= 6:
        upper = text.strip().upper()
        if upper in locale.true_words:
            return True
        if upper in locale.false_words:
            return False
    return text


def _parse_number(text: str, locale: Locale):
    """Digits with the locale's decimal separator (and optional digit groups). In fr_FR "12.5"
    is not a number: the sandbox leaves it as text. Leading zeros are lost, as in Sheets
    ("0612345678" becomes 612345678)."""
    match = locale.number_re.match(text)
    if not match:
        return None
    digits = match["int"]
    if not digits.isdigit():
        digits = re.sub(r"\D", "", digits)
    sign = -1 if match["sign"] == "-" else 1
    if match["frac"]:
        return sign * float(f"{digits}.{match['frac']}")
    return sign * int(digits)


def _parse_date(text: str, locale: Locale):
    match = _SLASH_DATE.match(text) or _ISO_DATE.match(text)
    if not match:
        return None
    a, b, year = int(match["a"]), int(match["b"]), int(match["y"])
    iso = match.re is _ISO_DATE
    day, month = (a, b) if iso or locale.day_first else (b, a)
    try:
        moment = datetime(year, month, day, int(match["h"] or 0), int(match["mi"] or 0),
                          int(match["s"] or 0))
    except ValueError:
        return None
    serial = (moment - EPOCH) / timedelta(days=1)
    return DateTimeSerial(serial) if match["h"] else DateSerial(serial)


def from_extended_value(extended: dict | None):
    """The stored value of an ExtendedValue (updateCells, repeatCell)."""
    if not extended:
        return None
    if "formulaValue" in extended:
        return Formula(extended["formulaValue"])
    if "stringValue" in extended:
        return extended["stringValue"]
    if "boolValue" in extended:
        return bool(extended["boolValue"])
    if "numberValue" in extended:
        return extended["numberValue"]
    return None


def to_extended_value(value, effective: bool = False) -> dict | None:
    """ExtendedValue of a stored value: as entered, or (effective) as computed."""
    if is_empty(value):
        return None
    if isinstance(value, Formula):
        if effective:
            return {"errorValue": {"type": "NAME", "message": "Unknown function (sandbox)"}}
        return {"formulaValue": value.text}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, (int, float)):
        return {"numberValue": json_number(value)}
    return {"stringValue": value}


# ---------------------------------------------------------------------------- output

def json_number(value):
    """Sheets stores doubles and writes whole ones without a fraction (5, not 5.0)."""
    if isinstance(value, float):
        if value.is_integer() and -2 ** 53 < value < 2 ** 53:
            return int(value)
        return float(value)   # a DateSerial is written as a plain number
    return value


def effective_number_format(value, cell_format: dict | None) -> dict | None:
    number_format = (cell_format or {}).get("numberFormat")
    if number_format:
        return number_format
    if isinstance(value, DateSerial):
        return value.number_format
    return None


def render(value, cell_format: dict | None, option: str, datetime_option: str, locale: Locale):
    """One cell as values.get answers it."""
    cls = value.__class__
    if (cls is int or cls is float) and not (cell_format and "numberFormat" in cell_format):
        # A plain number in a cell without a number format: the common case, kept short.
        return general_number(value, locale) if option == FORMATTED_VALUE else json_number(value)
    if is_empty(value):
        return ""
    if isinstance(value, Formula):
        return value.text if option == FORMULA else NAME_ERROR
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE") if option == FORMATTED_VALUE else value
    number_format = effective_number_format(value, cell_format)
    if option == FORMATTED_VALUE:
        return format_number(value, number_format, locale)
    is_date = number_format is not None and number_format.get("type") in DATE_TYPES
    if is_date and datetime_option == FORMATTED_STRING:
        return format_number(value, number_format, locale)
    return json_number(value)


def format_number(value, number_format: dict | None, locale: Locale) -> str:
    kind = (number_format or {}).get("type")
    pattern = (number_format or {}).get("pattern") or DEFAULT_PATTERNS.get(kind)
    if kind in DATE_TYPES:
        return format_date(value, pattern or locale.date_pattern, locale)
    if kind == "TEXT" or not pattern:
        return general_number(value, locale)
    return format_with_pattern(value, pattern, locale)


DEFAULT_PATTERNS = {"NUMBER": "#,##0.00", "PERCENT": "0.00%", "CURRENCY": '#,##0.00 "€"',
                    "SCIENTIFIC": "0.00E+00", "TIME": "hh:mm:ss",
                    "DATE_TIME": "dd/mm/yyyy hh:mm:ss"}


def general_number(value, locale: Locale) -> str:
    """Sheets' automatic format: no digit groups, up to 10 decimals, trailing zeros dropped."""
    value = json_number(value)
    if type(value) is int:
        return str(value)
    if value != 0 and (abs(value) >= 1e15 or abs(value) < 1e-10):
        return f"{value:.2E}".replace(".", locale.decimal)
    text = f"{value:.10f}".rstrip("0").rstrip(".")
    return text.replace(".", locale.decimal)


_LITERAL = re.compile(r'"([^"]*)"|\\(.)|\[\$([^\]-]*)[^\]]*\]|_.|\*.|(.)', re.S)


def format_with_pattern(value, pattern: str, locale: Locale) -> str:
    """A number under a Sheets number pattern such as "#,##0.00", "0.0%" or '#,##0.00 "€"'.
    Enough of the syntax for accounting sheets: digit placeholders, grouping, decimals,
    percent, quoted and escaped literals, and a second section for negative numbers."""
    sections = _split_sections(pattern)
    negative = value < 0
    section = sections[1] if negative and len(sections) > 1 else sections[0]
    explicit_negative = negative and len(sections) > 1
    prefix, core, suffix, percent = _pattern_parts(section)
    if "E" in core.upper():
        core = core.upper().split("E")[0]
    number = abs(value) * (100 if percent else 1)
    body = _format_core(number, core, locale)
    sign = "-" if negative and not explicit_negative and body.strip("0" + locale.decimal) else ""
    return f"{sign}{prefix}{body}{suffix}"


def _split_sections(pattern: str) -> list[str]:
    sections, current, quoted = [], [], False
    for char in pattern:
        if char == '"':
            quoted = not quoted
        if char == ";" and not quoted:
            sections.append("".join(current))
            current = []
        else:
            current.append(char)
    sections.append("".join(current))
    return sections


def _pattern_parts(section: str) -> tuple[str, str, str, bool]:
    """(prefix literal, numeric core like "#,##0.00", suffix literal, percent?). The core is
    the first run of digit placeholders, grouping commas and the decimal point."""
    prefix, core, suffix, percent = [], [], [], False
    for match in _LITERAL.finditer(section):
        quoted, escaped, currency, plain = match.groups()
        token = match.group(0)
        in_core = core and not suffix
        if plain is not None and not suffix and (plain in "#0?." or (plain in ",Ee+-" and in_core)):
            core.append(plain)
            continue
        if plain == "%":
            percent = True
            literal = "%"
        elif token.startswith("_"):
            literal = " "          # "_)" leaves the width of ")": a space is close enough
        elif token.startswith("*"):
            literal = ""           # "*-" repeats a character to fill the column: nothing here
        else:
            literal = next(part for part in (quoted, escaped, currency, plain) if part is not None)
        (suffix if core else prefix).append(literal)
    return "".join(prefix), "".join(core), "".join(suffix), percent


def _format_core(number: float, core: str, locale: Locale) -> str:
    integer_part, _, fraction_part = core.partition(".")
    min_decimals = fraction_part.count("0")
    max_decimals = sum(fraction_part.count(c) for c in "0#?")
    grouping = "," in integer_part
    min_integer = integer_part.count("0")
    quantum = Decimal(1).scaleb(-max_decimals)
    rounded = Decimal(repr(float(number))).quantize(quantum, rounding=ROUND_HALF_UP)
    text = f"{rounded:f}"
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0").ljust(min_decimals, "0") if max_decimals else ""
    whole = whole.lstrip("0").rjust(min_integer, "0")
    if grouping and len(whole) > 3:
        head = len(whole) % 3 or 3
        whole = whole[:head] + "".join(locale.group + whole[i:i + 3]
                                       for i in range(head, len(whole), 3))
    return whole + (locale.decimal + fraction if fraction else "")


_DATE_TOKEN = re.compile(r'"[^"]*"|\\.|yyyy|yy|mmmm|mmm|mm|m|dddd|ddd|dd|d|hh|h|ss|s|.',
                         re.IGNORECASE | re.S)


def format_date(serial, pattern: str, locale: Locale) -> str:
    """A serial number under a date/time pattern ("dd/mm/yyyy", "yyyy-mm-dd hh:mm")."""
    moment = EPOCH + timedelta(days=float(serial))
    moment = moment.replace(microsecond=0) + timedelta(seconds=round(moment.microsecond / 1e6))
    tokens = _DATE_TOKEN.findall(pattern)
    out = []
    for i, token in enumerate(tokens):
        lower = token.lower()
        if token.startswith('"'):
            out.append(token[1:-1])
        elif token.startswith("\\"):
            out.append(token[1:])
        elif lower in ("yyyy", "yy"):
            out.append(f"{moment.year:04d}" if lower == "yyyy" else f"{moment.year % 100:02d}")
        elif lower in ("dd", "d"):
            out.append(f"{moment.day:02d}" if lower == "dd" else str(moment.day))
        elif lower in ("dddd", "ddd"):
            out.append(_weekday(moment.date(), locale, len(lower) == 3))
        elif lower in ("hh", "h"):
            out.append(f"{moment.hour:02d}" if lower == "hh" else str(moment.hour))
        elif lower in ("ss", "s"):
            out.append(f"{moment.second:02d}" if lower == "ss" else str(moment.second))
        elif lower in ("mmmm", "mmm"):
            name = locale.months[moment.month - 1]
            out.append(name if lower == "mmmm" else name[:3])
        elif lower in ("mm", "m"):
            minutes = _means_minutes(tokens, i)
            number = moment.minute if minutes else moment.month
            out.append(f"{number:02d}" if lower == "mm" else str(number))
        else:
            out.append(token)
    return "".join(out)


def _means_minutes(tokens: list[str], i: int) -> bool:
    """"mm" is minutes right after an hour or right before seconds, a month otherwise."""
    def neighbour(step):
        j = i + step
        while 0 <= j < len(tokens):
            lower = tokens[j].lower()
            if lower in ("h", "hh", "s", "ss", "yyyy", "yy", "d", "dd", "m", "mm", "mmm", "mmmm"):
                return lower
            j += step
        return ""
    return neighbour(-1) in ("h", "hh") or neighbour(1) in ("s", "ss")


def _weekday(day: date, locale: Locale, short: bool) -> str:
    names = (("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
             if locale is FRENCH else
             ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"))
    name = names[day.weekday()]
    return name[:3] if short else name
