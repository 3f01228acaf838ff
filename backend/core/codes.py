"""Customer account codes, by the company's nomenclature.

`411` + the first letters or digits of the customer's name, upper-cased, accents
transliterated, anything else dropped: "Simplon" -> `411SIMPL`. On a clash the tail becomes
a counter and the code keeps its length: `411SIMP1` ... `411SIMP9`, `411SIM10` ...

The customer sync reuses `customer_code`; a customer keeps its code forever once it has one,
so this is only ever called for customers that have none.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

# Letters that NFKD does not decompose into a base letter plus accents.
_SPECIAL = {
    "Æ": "AE", "æ": "AE", "Œ": "OE", "œ": "OE", "ß": "SS", "ẞ": "SS",
    "Ø": "O", "ø": "O", "Ł": "L", "ł": "L", "Đ": "D", "đ": "D", "Þ": "TH", "þ": "TH",
    "Ð": "D", "ð": "D", "ı": "I",
}


class CodeError(ValueError):
    """No code can be made (a name without a single letter or digit, or no counter left)."""


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
        raise CodeError(f"code length {length} leaves no room after prefix {prefix!r}")
    stem = code_stem(name)[:width]
    if not stem:
        raise CodeError(f"name {name!r} has no letter or digit to make an account code from")
    used = {c.upper() for c in taken}
    candidate = prefix + stem
    if candidate.upper() not in used:
        return candidate
    counter = 1
    while len(str(counter)) <= width:
        tail = str(counter)
        body = stem if len(stem) + len(tail) <= width else stem[: width - len(tail)]
        candidate = prefix + body + tail
        if candidate.upper() not in used:
            return candidate
        counter += 1
    raise CodeError(f"no free account code left for {name!r} with prefix {prefix!r}")


def assign_codes(names: dict[str, str], existing: Iterable[str], prefix: str = "411",
                 length: int = 8) -> tuple[dict[str, str], dict[str, str]]:
    """Codes for customers that have none, unique among `existing` and each other.

    `names` maps a customer id to its name, in the order codes are to be handed out (the
    first customer with a name keeps the plain stem). Returns (codes by id, errors by id).
    """
    taken = {c.upper() for c in existing}
    codes: dict[str, str] = {}
    errors: dict[str, str] = {}
    for key, name in names.items():
        try:
            code = customer_code(name, taken, prefix, length)
        except CodeError as exc:
            errors[key] = str(exc)
            continue
        codes[key] = code
        taken.add(code.upper())
    return codes, errors
