"""The ports: what the use cases need from Stripe and from the spreadsheet.

Real adapters use the official client libraries (`backend/adapters/stripe_source.py`,
`backend/adapters/google_sheets.py`); the local workbook (`xlsx_workbook.py`) and the
in-memory fakes (`memory.py`) stand in behind the same ports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

# progress(stage, done, total): total None while it is not known (paging through a list).
Progress = Callable[[str, int, "int | None"], None]


def no_progress(stage: str, done: int, total: int | None) -> None:
    pass


class StripeSource(Protocol):
    """Read access to the Stripe account; each method pages through the full list."""

    def invoices(self, created_gte: int | None = None, created_lt: int | None = None,
                 progress: Progress = no_progress, keep=None,
                 status: str | None = None) -> Iterator[dict]:
        """Every invoice created in [created_gte, created_lt) (with that `status`, when
        given), all lines present, customer expanded, newest first; `keep(document)`, when
        given, is what is held of each (to save memory)."""

    def credit_notes(self, created_gte: int | None = None, created_lt: int | None = None,
                     keep=None) -> Iterator[dict]: ...

    def invoice(self, invoice_id: str) -> dict:
        """One invoice with all its lines and its customer expanded, in the pinned API
        version (what an event names is read again this way: its payload is only a hint)."""

    def credit_note(self, credit_note_id: str) -> dict:
        """One credit note with all its lines and its customer expanded."""

    def customers(self) -> Iterator[dict]: ...

    def products(self) -> Iterator[dict]: ...

    def tax_rates(self) -> Iterator[dict]: ...

    def events(self, types: list[str], created_gte: int) -> Iterator[dict]:
        """Events of those types created since `created_gte`; Stripe keeps 30 days of them."""

    def calls(self) -> int:
        """HTTP requests made so far (for the run summary)."""


@dataclass(frozen=True)
class TabSpec:
    """A tab the product writes: its header, and how its columns are formatted."""

    title: str
    header: list[str]
    date_columns: tuple[int, ...] = ()      # 0-based
    amount_columns: tuple[int, ...] = ()
    datetime_columns: tuple[int, ...] = ()


class Spreadsheet(Protocol):
    """The accountant's spreadsheet. Rows are lists of cell values: str, int, Decimal,
    date, datetime or "" (empty). Text is always written as text, never as a formula.
    Row indexes are 0-based and count the header row (row 0)."""

    def tab_titles(self) -> list[str]: ...

    def ensure_tabs(self, specs: list[TabSpec]) -> list[str]:
        """Create the tabs that are missing, with their header, frozen and formatted.
        Returns the titles created."""

    def read(self, titles: list[str]) -> dict[str, list[list]]:
        """Every row of each tab (header first), as typed values: numbers, dates, text."""

    def read_column(self, titles: list[str], header: str) -> dict[str, list]:
        """One column of each tab, found by its header name (below the header); [] if the
        tab has no such column."""

    def append(self, title: str, rows: list[list]) -> None: ...

    def replace(self, spec: TabSpec, rows: list[list]) -> None:
        """The tab's body replaced by `rows` (the header rewritten too)."""

    def delete_rows(self, title: str, indexes: list[int]) -> None: ...

    def highlight(self, title: str, indexes: list[int], clear_others: bool = True) -> None:
        """Mark rows for the accountant's attention (a red background); the others cleared."""

    def calls(self) -> int: ...
