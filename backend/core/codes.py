"""Customer account codes, by the company's nomenclature.

`411` + the first letters or digits of the customer's name, upper-cased, accents
transliterated, anything else dropped: "Simplon" -> `411SIMPL`. On a clash the tail becomes
a counter and the code keeps its length: `411SIMP1` ... `411SIMP9`, `411SIM10` ...

The customer sync reuses `customer_code`; a customer keeps its code forever once it has one,
so this is only ever called for customers that have none.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Letters that NFKD does not decompose into a base letter plus accents.
_SPECIAL = {
    "Æ": "AE", "æ": "AE", "Œ": "OE", "œ": "OE", "ß": "SS", "ẞ": "SS",
    "Ø": "O", "ø": "O", "Ł": "L", "ł": "L", "Đ": "D", "đ": "D", "Þ": "TH", "þ": "TH",
    "Ð": "D", "ð": "D", "ı": "I",
}


# What an account code may be, as the FEC's validator reads it (A47 A-1 VII): a general
# account (revenue) starts with three digits of the plan comptable, then letters or digits; a
# customer's code (an auxiliary account, its prefix a setting) is letters and digits. Anything
# else (a formula, a word with spaces, punctuation) would be written into the books as is.
_GENERAL_ACCOUNT = re.compile(r"[0-9]{3}[A-Za-z0-9]*")
_AUXILIARY_ACCOUNT = re.compile(r"[A-Za-z0-9]+")


def is_general_account(code: str) -> bool:
    return bool(_GENERAL_ACCOUNT.fullmatch(code))


def is_auxiliary_account(code: str) -> bool:
    return bool(_AUXILIARY_ACCOUNT.fullmatch(code))


# The store keeps codes in a column of this size (backend/store/schema.py, customer_codes).
CODE_LENGTH_MAX = 100


def is_customer_account(code: str, prefix: str = "411") -> bool:
    """A code a person may give a customer (HubSpot's `code_comptable`, Stripe's metadata):
    letters and digits, the company's customer prefix, then at least one more character. A
    code without the prefix would be read as a general account by the FEC (CompteNum)."""
    return (is_auxiliary_account(code) and len(code) <= CODE_LENGTH_MAX
            and len(code) > len(prefix) and code_key(code).startswith(code_key(prefix)))


def code_key(code: str) -> str:
    """What makes two customer codes the same account: `411simpl` and `411SIMPL` are one.
    The one comparison of codes, used by the nomenclature, the sync, the generation and the
    store's unique constraint alike (a person reading the books, or a program that upper-cases
    account numbers on import, would take them for one account)."""
    return (code or "").strip().upper()


# An analytic section (Stripe's `analytic_axis_N`, HubSpot's `axe_analytique_N`): a letter or
# a digit first, then letters, digits, spaces and - _ . / ' (« PARIS-11 », « Axe 2 »). A
# first character like = + - @ would make a formula of it in a spreadsheet program.
_SECTION = re.compile(r"[^\W_][\w .\-/']*")


def is_section(value: str) -> bool:
    return not value or bool(_SECTION.fullmatch(value))


class CodeError(ValueError):
    """No code can be made (a name without a single letter or digit, or no counter left).
    `french` says it to the accountant (the sync's report, the Anomalies tab)."""

    def __init__(self, message: str, french: str) -> None:
        super().__init__(message)
        self.french = french


def ascii_fold(text: str) -> str:
    """Latin text with accents and ligatures transliterated; other characters kept as they are."""
    out = []
    for ch in text:
        if ch in _SPECIAL:
            out.append(_SPECIAL[ch])
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append(base)
    return "".join(out)


def code_stem(name: str) -> str:
    """The name reduced to upper-case ASCII letters and digits."""
    folded = ascii_fold(name or "").upper()
    return "".join(c for c in folded if ("A" <= c <= "Z") or ("0" <= c <= "9"))


def display_name(company: str | None = None, last_name: str | None = None,
                 first_name: str | None = None) -> str:
    """The name a code is made from: the company name, else last then first name."""
    if company and company.strip():
        return company.strip()
    return " ".join(p.strip() for p in (last_name, first_name) if p and p.strip())


def customer_code(name: str, taken: Iterable[str], prefix: str = "411", length: int = 8) -> str:
    """A code for `name` that is not in `taken` (compared case-insensitively).

    `length` is the full length of a code, prefix included. A name shorter than the room
    left gives a shorter code; a counter is then appended rather than eating its letters.
    """
    width = length - len(prefix)
    if width < 1:
        raise CodeError(f"code length {length} leaves no room after prefix {prefix!r}",
                        f"la longueur des codes ({length}) ne laisse aucune place après le "
                        f"préfixe « {prefix} »")
    stem = code_stem(name)[:width]
    if not stem:
        raise CodeError(f"name {name!r} has no letter or digit to make an account code from",
                        f"le nom « {(name or '').strip()[:60]} » n'a ni lettre ni chiffre pour en "
                        "faire un code comptable")
    used = {code_key(c) for c in taken}
    candidate = prefix + stem
    if code_key(candidate) not in used:
        return candidate
    counter = 1
    while len(str(counter)) <= width:
        tail = str(counter)
        body = stem if len(stem) + len(tail) <= width else stem[: width - len(tail)]
        candidate = prefix + body + tail
        if code_key(candidate) not in used:
            return candidate
        counter += 1
    raise CodeError(f"no free account code left for {name!r} with prefix {prefix!r}",
                    f"plus aucun code libre pour « {name[:60]} » avec le préfixe « {prefix} »")


def assign_codes(names: dict[str, str], existing: Iterable[str], prefix: str = "411",
                 length: int = 8) -> tuple[dict[str, str], dict[str, str]]:
    """Codes for customers that have none, unique among `existing` and each other.

    `names` maps a customer id to its name, in the order codes are to be handed out (the
    first customer with a name keeps the plain stem). Returns (codes by id, errors by id).
    """
    taken = {code_key(c) for c in existing}
    codes: dict[str, str] = {}
    errors: dict[str, str] = {}
    for key, name in names.items():
        try:
            code = customer_code(name, taken, prefix, length)
        except CodeError as exc:
            errors[key] = exc.french
            continue
        codes[key] = code
        taken.add(code_key(code))
    return codes, errors
