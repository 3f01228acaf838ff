"""Text fields that a spreadsheet program must read as text, never as a formula.

Customers choose their own names (Checkout, the customer portal, HubSpot forms), and product
metadata and invoice numbers are typed by people: a field that reaches the accountant's Excel
starting with `=`, `+`, `-` or `@` would be computed (`=HYPERLINK(...)`, DDE `cmd|' /C calc'!A0`).
OWASP's CSV injection advice (and ASVS 1.2.10): a field whose first character is one of
`= + - @`, a tab, a carriage return (we add line feed and NUL) gets a leading single quote,
which spreadsheets show as text and which keeps the name readable.

Only text fields go through here: dates and amounts the product formats itself ("-2,50") are
numbers and must stay numbers, so each format decides per column.
"""

from __future__ import annotations

# The full-width forms are read as their ASCII twins by some spreadsheets (Excel on a CJK
# locale, LibreOffice's autocorrect); they cost nothing to include.
TRIGGERS = frozenset("=+-@\t\r\n\0＝＋－＠")
# A spreadsheet opening a separated text file drops the quotes around a field and may trim
# the spaces before it: `"=1+1"` or ` =1+1` would still reach the formula parser.
SKIPPED = " \"\u00a0"
QUOTE = "'"


def would_compute(text: str) -> bool:
    """True if a spreadsheet opening the field could take it for a formula."""
    if text[:1] in TRIGGERS:
        return True
    rest = text.lstrip(SKIPPED)
    return rest != text and rest[:1] in TRIGGERS


def as_text(text: str) -> str:
    """`text` as a field a spreadsheet reads as text: a leading quote where it would compute."""
    return QUOTE + text if text and would_compute(text) else text
