"""What a case of the bad-input catalogue is: its input, and the answer written down for it.

A case is data. `make` says how to build the input (each category reads it its own way);
`expect` is the answer the product must give, fixed before the product is run: an HTTP status
and error code, or what becomes of a document (an entry, an anomaly, a skip), of a HubSpot
record (created, or left alone with a problem), or of a sidebar action (its outcome), and the
texts the answer must hold: the document it names (invoice number, Stripe id, HubSpot record,
sheet row) and the reason, in French where the accountant reads it.

A case the product does not meet yet is marked `known_gap` with the reason: the runner still
runs it and reports it as a failure, so a gap is never hidden. A case that found a bug which
was then fixed names it in `finding` (a key of FINDINGS in stress/bad_input/__init__.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Expect:
    status: int | None = None      # HTTP status of the answer (requests, webhooks)
    code: str | None = None        # the JSON answer's error `code`
    # What the product does with the input: a Stripe document -> "entry" | "anomaly" |
    # "skipped"; a HubSpot record -> "created" | "problem"; an action's job -> its outcome
    # ("ok", "warning", "refused").
    outcome: str | None = None
    says: tuple[str, ...] = ()     # texts the answer / anomaly row / message must contain
    never: tuple[str, ...] = ()    # texts it must not contain (English from inside, a path...)
    # An entry's lines, as (account, debit cents, credit cents), in any order.
    lines: tuple[tuple[str, int, int], ...] = ()
    params: dict | None = None     # the job's stored params (unknown keys must not reach them)


@dataclass(frozen=True)
class Case:
    name: str
    category: str                  # "requests" | "stripe" | "hubspot" | "sheet"
    given: str                     # the input in a few words, for the report
    expect: Expect
    make: Any = None               # how to build the input (read by the category's harness)
    known_gap: str = ""            # the product does not meet `expect` yet, and why
    finding: str = ""              # the bug this case exposed (key of FINDINGS), now fixed


@dataclass
class Verdict:
    """What running one case gave."""
    case: Case
    failures: list[str] = field(default_factory=list)
    formula_cells: int = 0         # cells of any tab of any spreadsheet holding a formula
    lost: int = 0                  # other documents not in the sheet exactly once
    wrong: int = 0                 # rows that should not be there; sheet and store disagreeing
    answer: str = ""               # what the product answered, one line (for the report)

    @property
    def passed(self) -> bool:
        return not self.failures and not self.case.known_gap

    def check(self, ok: bool, message: str) -> None:
        if not ok:
            self.failures.append(message)
