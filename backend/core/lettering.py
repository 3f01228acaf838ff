"""Lettering (lettrage) of the customer accounts across the sales and the Stripe journals.

An invoice's group is its customer line in the sales journal, the customer lines of its credit
notes, and the customer lines of the payments, refunds and disputes linked to it. When a group
sums to zero, all its lines get one lettering code (per customer account, `A` … `Z`, `AA` …,
never reused: `lettering_codes`) and the date of its last line. A partial payment leaves the
group open. A later movement that reopens it (a refund, a lost dispute) takes the code off all
its lines; when it sums to zero again it gets a new code.

Pure: the caller gives the customer lines as plain data (which entry and line, which account,
which invoice's group, the signed amount, the date) and the state the store kept from the last
call; the matcher gives each line its code and date, or none, and the state to keep. Lettering
is derived from the links, never typed: calling again with the same lines and the state it
returned gives the same codes and the same state; with more lines, only the groups those lines
belong to can change.

Decisions the design left open, taken here:
- A group is matched per customer account. A code belongs to one account (the FEC letters an
  account, `EcritureLet` beside `CompAuxNum`), so a group whose lines fall on two accounts (a
  payment journaled on another customer than its invoice) is lettered on each account only
  where its own lines sum to zero, and the group is reported (`SplitGroup`) for the accountant:
  on its own, the invoice stays open on one account and a credit sits on the other.
- A group that held a code and comes back with other lines that still sum to zero (a refund
  and a new payment between two calls) gets a new code: it was reopened in between, and the
  result does not depend on how the lines were batched between calls.
- The caller gives each group it names whole (every one of its lines known so far); a group
  absent from the call keeps its state untouched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from backend.core.codes import code_key
from backend.core.lettering_codes import code_at
from backend.core.model import Entry, Problem


@dataclass(frozen=True)
class CustomerLine:
    """One customer line of either journal, as lettering sees it."""

    id: str        # stable key: the entry's Ref. Pièce and the line's index, e.g. "in_1/0"
    account: str   # the customer's account code, e.g. "411SIMPL"
    group: str     # the invoice it settles (the invoice's own line: the invoice's id)
    amount: int    # signed cents: a debit positive, a credit negative
    on: date       # the entry's date

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError(f"line {self.id}: amount must be integer cents, got {self.amount!r}")
        if not self.id or not self.group or not code_key(self.account):
            raise ValueError(f"line {self.id!r}: id, account and group are required")


@dataclass(frozen=True)
class Letter:
    """A line's lettering: the code and the day its group was settled (FEC `EcritureLet`,
    `DateLet`)."""

    code: str
    on: date


@dataclass(frozen=True)
class GroupCode:
    """A code held by a group on one account, and the lines it was given to."""

    code: str
    on: date
    lines: frozenset[str]


@dataclass(frozen=True)
class LetteringState:
    """What the store keeps between two calls.

    `next_index`: per account (its `code_key`), the position of the next code to hand out
    (0 is `A`); every code before it has been given once and is never given again.
    `held`: per (account key, group), the code the group holds now.
    """

    next_index: Mapping[str, int] = field(default_factory=dict)
    held: Mapping[tuple[str, str], GroupCode] = field(default_factory=dict)

    def next_code(self, account: str) -> str:
        return code_at(self.next_index.get(code_key(account), 0))

    def given_codes(self, account: str) -> tuple[str, ...]:
        """Every code the account has handed out, held now or taken off a reopened group."""
        return tuple(code_at(i) for i in range(self.next_index.get(code_key(account), 0)))


@dataclass(frozen=True)
class SplitGroup:
    """A group whose lines fall on more than one customer account: lettered per account,
    reported for the accountant to look at (Anomalies)."""

    group: str
    accounts: tuple[str, ...]

    @property
    def problem(self) -> Problem:
        return Problem.of("lettering_split_group", group=self.group,
                          accounts=", ".join(self.accounts))

    @property
    def reason(self) -> str:
        return self.problem.reason

    @property
    def reason_en(self) -> str:
        return self.problem.reason_en


@dataclass(frozen=True)
class Lettering:
    """The matcher's answer: every given line's letter (None while its group is open), the
    state to keep, and the groups split over several accounts."""

    letters: Mapping[str, Letter | None]
    state: LetteringState
    split_groups: tuple[SplitGroup, ...] = ()


def entry_customer_lines(entry: Entry, group: str) -> list[CustomerLine]:
    """The customer lines of a journaled entry, in the invoice's group `group` (the invoice's
    own id for an invoice and its reversal, the invoice a credit note or a payment settles).

    A line's id is the entry's Ref. Pièce and the line's position, stable because an entry is
    rebuilt the same from the same document. A voided invoice's reversal joins its group and
    brings it to zero: the invoice and its cancellation are lettered together.
    """
    return [CustomerLine(f"{entry.ref}/{index}", line.account, group, line.debit - line.credit,
                         entry.date)
            for index, line in enumerate(entry.lines) if line.is_customer]


def _by_group(lines: Iterable[CustomerLine]) -> dict[tuple[str, str], list[CustomerLine]]:
    groups: dict[tuple[str, str], list[CustomerLine]] = defaultdict(list)
    seen: dict[str, CustomerLine] = {}
    for line in lines:
        if line.id in seen:
            if seen[line.id] == line:
                continue  # the same line given twice (two reads of one entry) counts once
            raise ValueError(f"two different customer lines share the id {line.id!r}")
        seen[line.id] = line
        groups[(code_key(line.account), line.group)].append(line)
    return groups


def _split_groups(groups: Iterable[tuple[str, str]]) -> tuple[SplitGroup, ...]:
    accounts: dict[str, set[str]] = defaultdict(set)
    for account, group in groups:
        accounts[group].add(account)
    return tuple(SplitGroup(group, tuple(sorted(found)))
                 for group, found in sorted(accounts.items()) if len(found) > 1)


def letter(lines: Iterable[CustomerLine], state: LetteringState | None = None) -> Lettering:
    """Each line's lettering code and date, and the new state (see the module's doc)."""
    state = state or LetteringState()
    groups = _by_group(lines)
    next_index = dict(state.next_index)
    held = dict(state.held)
    letters: dict[str, Letter | None] = {}
    settled = []  # groups that sum to zero and need a new code: (date, (account, group))
    for key, members in groups.items():
        ids = frozenset(line.id for line in members)
        if sum(line.amount for line in members) != 0:
            # Open: a partial payment, or a movement that reopened a lettered group. Its code,
            # if it had one, is taken off and stays spent.
            held.pop(key, None)
            letters.update((line.id, None) for line in members)
            continue
        kept = held.get(key)
        if kept is not None and kept.lines == ids:
            letters.update((line.id, Letter(kept.code, kept.on)) for line in members)
            continue
        held.pop(key, None)
        settled.append((max(line.on for line in members), key))
    # New codes go in the order the groups were settled, the day then the invoice's id, so
    # that the same lines always get the same codes.
    for on, key in sorted(settled):
        account = key[0]
        index = next_index.get(account, 0)
        next_index[account] = index + 1
        members = groups[key]
        held[key] = GroupCode(code_at(index), on, frozenset(line.id for line in members))
        letters.update((line.id, Letter(code_at(index), on)) for line in members)
    return Lettering(letters, LetteringState(next_index, held), _split_groups(groups))


@dataclass(frozen=True)
class OpenGroup:
    """An invoice's group that does not sum to zero on a customer account: the raw material
    of the `Encours clients` tab (which adds the due date from the invoice)."""

    account: str      # the account as the group's first line spells it
    group: str
    left: int         # cents still owed (negative: the customer has a credit)
    first: date       # its earliest line, usually the invoice's own
    last: date        # its latest movement


def open_receivables(lines: Iterable[CustomerLine]) -> dict[str, tuple[OpenGroup, ...]]:
    """Per customer account (its code as first spelled), the groups not summing to zero.

    Over any set of lines, an account's amounts left add up to the account's balance: the
    groups left out sum to zero.
    """
    by_account: dict[str, list[OpenGroup]] = defaultdict(list)
    spelling: dict[str, str] = {}
    for (account, group), members in _by_group(lines).items():
        left = sum(line.amount for line in members)
        if left == 0:
            continue
        name = spelling.setdefault(account, members[0].account)
        by_account[name].append(OpenGroup(name, group, left, min(line.on for line in members),
                                           max(line.on for line in members)))
    return {account: tuple(sorted(found, key=lambda g: (g.first, g.group)))
            for account, found in sorted(by_account.items())}
