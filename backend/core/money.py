"""Integer cents to the texts and numbers the files and the sheet hold. Never floats."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation


def comma(cents: int) -> str:
    """1234567 -> "12345,67": decimal comma, two decimals, no thousands separator."""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(int(cents)), 100)
    return f"{sign}{units},{rest:02d}"


def to_decimal(cents: int) -> Decimal:
    """Exact euros, for a sheet cell that must hold a number."""
    return Decimal(int(cents)).scaleb(-2)


def parse_cents(value) -> int | None:
    """Cents from what a sheet cell holds ("12,50", "12.5", 12.5, Decimal, "" -> 0).

    None when the cell holds something that is not an amount: the caller names the cell.
    A float from a sheet is read through its shortest text form, so 0.1 stays 10 cents.
    """
    if value is None:
        return 0
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, Decimal)):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    else:
        text = str(value).strip().replace("\u00a0", "").replace(" ", "").replace("€", "")
        if not text:
            return 0
        if "," in text and "." in text:
            return None
        try:
            number = Decimal(text.replace(",", "."))
        except InvalidOperation:
            return None
    if not number.is_finite():
        return None
    cents = number * 100
    if cents != cents.to_integral_value():
        return None
    return int(cents)
