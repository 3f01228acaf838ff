"""What the three floods share: the answers tallied by status, waiting until no job is left,
the differences between two JSON-like states, the server the floods hit, and the journal a
sheet must hold (each demo entry exactly once)."""

from __future__ import annotations

import threading
import time
from collections import Counter

from backend.jobs.runner import PendingStarts
from backend.services.convert import journal_objects
from stress.serve import Gunicorn, Served, served_config
from stress.world import World, demo_data

COMPANY = "demo"             # the World's company with webhook secrets
SETTLE_SECONDS = 180.0


class Tally:
    """HTTP answers by status, and requests that got no answer at all."""

    def __init__(self) -> None:
        self.statuses: Counter = Counter()
        self.connection_errors = 0
        self._lock = threading.Lock()

    def add(self, status: int | None) -> None:
        with self._lock:
            if status is None:
                self.connection_errors += 1
            else:
                self.statuses[status] += 1

    def errors(self, fine: tuple[int, ...] = (200,)) -> int:
        """Answers with a status outside `fine`."""
        return sum(n for status, n in self.statuses.items() if status not in fine)

    @property
    def sent(self) -> int:
        return sum(self.statuses.values()) + self.connection_errors

    def text(self) -> str:
        shown = ", ".join(f"{status}: {n}" for status, n in sorted(self.statuses.items()))
        return shown or "none"


def quiescent(world: World) -> bool:
    """No company has a job queued or running, nor one waiting to start after another."""
    store = world.backend.job_store()
    pending = PendingStarts(lambda: world.store)
    return all(store.active(company) is None and not pending.waiting(company, world.backend.actions)
               for company in world.company_ids)


def settle(world: World, timeout: float = SETTLE_SECONDS) -> bool:
    """Until the World is quiescent two checks in a row (jobs run in this process or in the
    server's: the database is what they share)."""
    deadline = time.monotonic() + timeout
    calm = 0
    while time.monotonic() < deadline:
        calm = calm + 1 if quiescent(world) else 0
        if calm == 2:
            return True
        time.sleep(0.05)
    return False


def differences(left, right, path: str = "") -> list[str]:
    """The paths where two JSON-like values differ."""
    if isinstance(left, dict) and isinstance(right, dict):
        out = []
        for key in sorted(set(left) | set(right), key=str):
            where = f"{path}/{key}"
            if key not in left or key not in right:
                out.append(f"{where} only in {'flood' if key in left else 'quiet run'}")
            else:
                out += differences(left[key], right[key], where)
        return out
    if isinstance(left, list) and isinstance(right, list) and len(left) == len(right):
        return [d for i, (a, b) in enumerate(zip(left, right))
                for d in differences(a, b, f"{path}[{i}]")]
    return [] if left == right else [f"{path}: {_short(left)} != {_short(right)}"]


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def serve(world: World, production: bool = True):
    """The floods hit the app as App Engine serves it (gunicorn, workers and threads); the
    quiet reference runs a server in a thread, quicker to start."""
    return Gunicorn(served_config(world)) if production else Served(world.app)


def expected_journal(world: World) -> Counter:
    """The demo month's entries: ref -> number of lines."""
    demo, _ = demo_data()
    objects = [o for kind in demo.values() for o in kind]
    settings = world.backend.companies.get(COMPANY).settings
    return Counter({e.ref: len(e.lines) for e in journal_objects(objects, settings).result.entries})


def journal_rows(tabs: dict[str, list[list]]) -> Counter:
    """Rows per entry ref over the entries tabs (one per month, or one for all)."""
    rows = Counter()
    for title, values in tabs.items():
        if title.startswith("Écritures") and values:
            col = values[0].index("Ref. Pièce")
            rows.update(r[col] for r in values[1:] if len(r) > col and r[col] != "")
    return rows


def journal_check(tabs: dict[str, list[list]], expected: Counter) -> tuple[int, int]:
    """(entries whose rows are in the sheet more than once, entries missing or incomplete)."""
    rows = journal_rows(tabs)
    duplicated = sum(1 for ref, n in rows.items() if n > expected.get(ref, 0))
    missing = sum(1 for ref, n in expected.items() if rows.get(ref, 0) < n)
    return duplicated, missing
