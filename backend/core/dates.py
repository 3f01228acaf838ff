"""Journal dates: Stripe's Unix timestamps as calendar days in the company's time zone."""

from __future__ import annotations

from datetime import date, datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo


@lru_cache(maxsize=None)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_date(timestamp: int, zone: str) -> date:
    """The day it was in `zone` at `timestamp`: 23:30 UTC on 31 October is 1 November in Paris."""
    return datetime.fromtimestamp(int(timestamp), tz=timezone.utc).astimezone(_zone(zone)).date()


# A journal date outside these years can only be damaged data (a unit error, milliseconds
# taken for seconds, a zero): the document waits for a person instead of landing in 1970.
PLAUSIBLE_YEARS = range(2000, 2100)


def invoice_timestamp(invoice: dict):
    """When an invoice is journaled: at finalization, else when effective, else when created.

    An invoice created on one day and finalized days later is journaled at finalization,
    even across a month end. The value is returned as Stripe gave it: `journal_day` checks it.
    """
    transitions = invoice.get("status_transitions") or {}
    for value in (transitions.get("finalized_at"), invoice.get("effective_at"), invoice.get("created")):
        if value is not None:
            return value
    return None


def journal_day(timestamp, zone: str) -> tuple[date | None, str | None]:
    """(the day, None), or (None, why not in French) for a timestamp that is not an integer
    or not a plausible date."""
    if not isinstance(timestamp, int) or isinstance(timestamp, bool):
        return None, f"date illisible « {str(timestamp)[:30]} »"
    try:
        day = local_date(timestamp, zone)
    except (OverflowError, ValueError, OSError):
        return None, f"date invraisemblable (horodatage {timestamp})"
    if day.year not in PLAUSIBLE_YEARS:
        return None, f"date invraisemblable : {day:%d/%m/%Y}"
    return day, None
