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


def invoice_timestamp(invoice: dict) -> int | None:
    """When an invoice is journaled: at finalization, else when effective, else when created.

    An invoice created on one day and finalized days later is journaled at finalization,
    even across a month end.
    """
    transitions = invoice.get("status_transitions") or {}
    for value in (transitions.get("finalized_at"), invoice.get("effective_at"), invoice.get("created")):
        if value is not None:
            return int(value)
    return None
