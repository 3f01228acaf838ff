"""Lettering codes (codes de lettrage) in the order an account hands them out.

`A` … `Z`, then `AA`, `AB` … `AZ`, `BA` … `ZZ`, then `AAA` …: the way a spreadsheet numbers its
columns (bijective base 26), so every code is letters only and no code is the prefix-padded
twin of another (`A` and `AA` are two codes). Each customer account has its own sequence and
never reuses a code, even one taken off a group that reopened: a code read in an old export
always means the one settlement it meant then.
"""

from __future__ import annotations

import re

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_CODE = re.compile(r"[A-Z]+")


def code_at(index: int) -> str:
    """The code at position `index` of an account's sequence: 0 -> A, 25 -> Z, 26 -> AA."""
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise ValueError(f"a lettering code's position is a non-negative integer, got {index!r}")
    letters = []
    number = index + 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters.append(_LETTERS[rest])
    return "".join(reversed(letters))


def index_of(code: str) -> int:
    """The position of `code` in the sequence: A -> 0, Z -> 25, AA -> 26 (inverse of `code_at`)."""
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise ValueError(f"a lettering code is upper-case letters A-Z, got {code!r}")
    number = 0
    for letter in code:
        number = number * 26 + _LETTERS.index(letter) + 1
    return number - 1
