"""Point 2 of issue 7, floods: the backend served over real HTTP on loopback, hit by many callers
at once, and its final state compared with a quiet run of the same thing.

1. Webhooks (webhooks.py): every delivery of many changes sent 1 to 10 times, shuffled, from
   many threads; the final state must be that of a quiet run.
2. Starts (starts.py): five companies start `generate` at once, one of them twenty times; one
   job per company, each sheet equal to a quiet run's.
3. Status polling (polling.py): GET /status at 200 requests a second while generation jobs run
   back to back; no error answer, every job done.

The floods hit the app as App Engine serves it (gunicorn, 2 workers of 8 threads: app.yaml),
in processes of their own; the quiet runs use a server in a thread. Jobs run in the workers
and share the database and the sandboxes with the campaign (shared.py: what the three share).

    result = campaign(full=False)      # CI size; full=True is `make stress`
"""

from __future__ import annotations

import time

from stress.floods.polling import percentile, poll_load, poll_part
from stress.floods.shared import Tally, differences, expected_journal, journal_check, settle
from stress.floods.starts import comparable_sheet, generate_jobs, starts_part
from stress.floods.webhooks import Delivery, applications, send, snapshot, webhooks_part
from stress.report import Result

# What the tests use, besides campaign().
__all__ = ["Delivery", "Tally", "applications", "campaign", "comparable_sheet", "differences",
           "expected_journal", "generate_jobs", "journal_check", "percentile", "poll_load", "send",
           "settle", "snapshot"]

SIZES = {
    False: {"product_changes": 3, "company_changes": 2, "contact_changes": 2, "stripe_changes": 2,
            "flood_threads": 12, "companies": 5, "burst": 20, "poll_seconds": 5},
    True: {"product_changes": 10, "company_changes": 12, "contact_changes": 10,
           "stripe_changes": 10, "flood_threads": 24, "companies": 5, "burst": 20,
           "poll_seconds": 60},
}


def campaign(full: bool = False, seed: int = 0, progress=print) -> Result:
    result = Result("floods")
    started = time.perf_counter()
    size = SIZES[full]
    for part in (webhooks_part, starts_part, poll_part):
        part_started = time.perf_counter()
        part(result, size, seed, progress)
        progress(f"floods: {part.__name__} done in {time.perf_counter() - part_started:.1f} s")
    result.seconds = time.perf_counter() - started
    return result
