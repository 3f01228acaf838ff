"""What the core produces: entries (pièces) of the sales journal, anomalies and skips.

Amounts are integer cents. A line holds a positive amount on exactly one side.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from backend.core.messages import english, french

NO_SECTIONS: tuple[str, str, str] = ("", "", "")


@dataclass(frozen=True)
class Line:
    account: str
    label: str
    debit: int = 0
    credit: int = 0
    # Analytic sections on the three axes; revenue lines only.
    sections: tuple[str, str, str] = NO_SECTIONS
    # Set on the customer line: the FEC puts the collective account in CompteNum and this
    # code in CompAuxNum, with the customer's name in CompAuxLib.
    customer_name: str = ""
    is_customer: bool = False

    def __post_init__(self) -> None:
        if self.debit < 0 or self.credit < 0 or (self.debit > 0) == (self.credit > 0):
            raise ValueError(f"line {self.account}: exactly one positive side required, "
                             f"got debit {self.debit}, credit {self.credit}")


def signed_line(account: str, label: str, amount: int, **extra) -> Line | None:
    """A debit line for a positive amount, a credit line for a negative one, none for zero.

    A negative amount swaps its side: both columns always hold positive amounts.
    """
    if amount == 0:
        return None
    if amount > 0:
        return Line(account, label, debit=amount, **extra)
    return Line(account, label, credit=-amount, **extra)


@dataclass(frozen=True)
class Entry:
    """One pièce: all the lines of one Stripe document, on one date, in one journal."""

    journal: str
    date: date
    piece: str          # the document's number
    ref: str            # what makes the entry unique: the Stripe id, with a suffix for a reversal
    document_id: str    # the Stripe id of the document the entry comes from
    kind: str           # "invoice", "credit_note" or "reversal"
    lines: tuple[Line, ...] = field(default_factory=tuple)

    @property
    def total_debit(self) -> int:
        return sum(line.debit for line in self.lines)

    @property
    def total_credit(self) -> int:
        return sum(line.credit for line in self.lines)

    @property
    def balanced(self) -> bool:
        return self.total_debit == self.total_credit


def reversal(entry: Entry, on: date, ref_suffix: str = "/annulation",
             label_prefix: str = "Annulation ") -> Entry:
    """The entry that cancels `entry`: same lines, sides swapped, dated `on`."""
    lines = tuple(replace(line, debit=line.credit, credit=line.debit,
                          label=label_prefix + line.label) for line in entry.lines)
    return replace(entry, date=on, ref=entry.ref + ref_suffix, kind="reversal", lines=lines)


@dataclass(frozen=True)
class Problem:
    """One reason a document cannot be journaled; `code` is a key of core.messages."""

    code: str
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, code: str, **params: object) -> "Problem":
        return cls(code, tuple((k, str(v)) for k, v in params.items()))

    @property
    def reason(self) -> str:
        return french(self.code, dict(self.params))

    @property
    def reason_en(self) -> str:
        return english(self.code, dict(self.params))


@dataclass(frozen=True)
class Anomaly:
    """A document that could not be journaled, for the accountant to fix; retried next run.

    All its problems are listed at once so that one round of fixes is enough.
    """

    document_id: str
    number: str
    customer: str
    problems: tuple[Problem, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(p.code for p in self.problems)

    @property
    def reason(self) -> str:
        return " ; ".join(p.reason for p in self.problems)

    @property
    def reason_en(self) -> str:
        return "; ".join(p.reason_en for p in self.problems)


@dataclass(frozen=True)
class Skipped:
    """A document that rightly makes no entry (a draft, a zero total, a void before journaling)."""

    document_id: str
    number: str
    code: str

    @property
    def reason(self) -> str:
        return french(self.code, {})

    @property
    def reason_en(self) -> str:
        return english(self.code, {})


Outcome = Entry | Anomaly | Skipped


@dataclass(frozen=True)
class JournalRow:
    """One line of the journal as the sheet and the files hold it, whatever made it: the
    core's entries, or the accountant's sheet with her corrections."""

    date: date
    journal: str
    piece: str
    ref: str
    account: str
    label: str
    debit: int
    credit: int
    sections: tuple[str, str, str] = NO_SECTIONS


def journal_rows(entries: list[Entry]) -> list[JournalRow]:
    return [JournalRow(e.date, e.journal, e.piece, e.ref, line.account, line.label,
                       line.debit, line.credit, line.sections)
            for e in entries for line in e.lines]


def customer_names(entries: list[Entry]) -> dict[str, str]:
    """Customer account code -> name, for the FEC's CompAuxLib."""
    return {line.account: line.customer_name for e in entries for line in e.lines
            if line.is_customer and line.customer_name}
